#!/usr/bin/env bash
# What it costs to bring an evicted file back into the page cache, the two ways the disk warmer can
# (src/FileServer/Serving/ColdRangeWarmer.cs): pread(2) in 256 KiB steps into a buffer (its fallback), and
# sendfile(2) into /dev/null (what it does on Linux: the kernel reads the pages in and copies none of them).
# Each round evicts the file (POSIX_FADV_DONTNEED) before each way, alternating which goes first; prints wall time
# and the process's system and user CPU (getrusage) per GiB, and the medians.
#
#   bash scripts/cold-read.sh                 a 1 GiB file, 5 rounds
#   bash scripts/cold-read.sh --mib 256 --rounds 3
#
# The file is written once under TMPDIR (or --dir DIR) and removed at the end. Installs python3 when missing.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LIB_NAME=cold-read
MIB=1024 ROUNDS=5 DIR="${TMPDIR:-/tmp}"
source "$REPO_ROOT/scripts/lib/load.sh" args apt
lib_parse_args "--mib=MIB --rounds=ROUNDS --dir=DIR" "$@"
[[ "$MIB" =~ ^[1-9][0-9]*$ && "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || lib_usage_error "--mib and --rounds take positive integers"
apt_need python3:python3 || { echo "cold-read: python3 is missing and could not be installed" >&2; exit 1; }

FILE="$(mktemp "$DIR/fileserver-cold-read.XXXXXX")"
trap 'rm -f "$FILE"' EXIT
head -c $((MIB * 1024 * 1024)) /dev/urandom >"$FILE"
sync "$FILE"

timeout -k 5 $((ROUNDS * 120 + 60)) python3 - "$FILE" "$ROUNDS" <<'PY'
import os, resource, statistics, sys, time

path, rounds = sys.argv[1], int(sys.argv[2])
step = 256 * 1024

def through_buffer(fd, size):
    buffer = bytearray(step)
    offset = 0
    while offset < size:
        read = os.preadv(fd, [buffer], offset)
        if read == 0:
            break
        offset += read

def into_dev_null(fd, size):
    sink = os.open("/dev/null", os.O_WRONLY | os.O_CLOEXEC)
    try:
        offset = 0
        while offset < size:
            sent = os.sendfile(sink, fd, offset, 2 * 1024 * 1024)
            if sent == 0:
                break
            offset += sent
    finally:
        os.close(sink)

ways = {"pread into a 256 KiB buffer": through_buffer, "sendfile into /dev/null": into_dev_null}
results = {name: [] for name in ways}
fd = os.open(path, os.O_RDONLY)
size = os.fstat(fd).st_size
gib = size / 2**30
for r in range(rounds):
    names = list(ways) if r % 2 == 0 else list(reversed(ways))
    for name in names:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        before, start = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
        ways[name](fd, size)
        after, wall = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - start
        results[name].append((wall / gib, (after.ru_stime - before.ru_stime) / gib, (after.ru_utime - before.ru_utime) / gib))
        print(f"round {r + 1}  {name:28s} wall {wall / gib:6.3f} s/GiB  system {results[name][-1][1]:6.3f}  user {results[name][-1][2]:6.3f}", flush=True)
print()
print("| way | wall, s/GiB | system CPU, s/GiB | user CPU, s/GiB |")
print("|---|---|---|---|")
for name, rows in results.items():
    print(f"| {name} | " + " | ".join(f"{statistics.median(row[k] for row in rows):.3f}" for k in range(3)) + " |")
PY
