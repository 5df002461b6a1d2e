#!/usr/bin/env bash
# Memory held by idle keep-alive connections: N clients each make one GET of a 4 KiB file, then stay idle;
# the server's RSS is sampled while they are held. Goal (issue 5): 10,000 idle connections add <= 100 MiB.
#
#   bash scripts/idle-connections.sh [CLIENTS]        (default 10000; bounded: about 30 s)
#
# FILESERVER_DLL / LOADGEN_DLL skip the builds. 127.0.0.1 only. Prints one result line and exits 0 when the
# goal is met, 1 when it is not or something could not run.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLIENTS="${1:-10000}"
HOLD_SECONDS=8
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-idle.XXXXXX")"
source "$REPO_ROOT/scripts/lib/load.sh" process fileserver
lib_on_exit

ulimit -n "$(ulimit -Hn)"
((CLIENTS + 64 <= $(ulimit -n))) || { echo "idle: open-file limit $(ulimit -n) is too low for $CLIENTS clients"; exit 1; }

DLL="$(fs_build_cli)" || { echo "idle: the CLI could not be built"; exit 1; }
LOADGEN="$(fs_build_loadgen)" || { echo "idle: loadgen could not be built"; exit 1; }

mkdir -p "$WORK/root"
head -c 4096 /dev/urandom >"$WORK/root/small.bin"
FS_LIFETIME=300 fs_start server "$WORK/root" --no-access-log || { echo "idle: the server did not start"; exit 1; }
URL="$FS_URL"
PID="$FS_PID"
rss() { lib_rss_kib "$PID"; }

curl -q -s -o /dev/null --max-time 10 "${URL}small.bin" || true
sleep 2
before="$(rss)"

timeout -k 5 $((HOLD_SECONDS + 120)) dotnet "$LOADGEN" idle --url "${URL}small.bin" --clients "$CLIENTS" --seconds "$HOLD_SECONDS" \
    >"$WORK/idle.out" 2>"$WORK/idle.err" &
LOAD_PID=$!
for ((i = 0; i < 1200; i++)); do grep -q '^holding=' "$WORK/idle.out" && break; kill -0 "$LOAD_PID" 2>/dev/null || break; sleep 0.1; done
grep -q '^holding=' "$WORK/idle.out" || { echo "idle: the clients never all became idle"; cat "$WORK/idle.out" "$WORK/idle.err"; exit 1; }
peak=0
for ((i = 0; i < 10; i++)); do
    now="$(rss)"
    ((now > peak)) && peak="$now"
    sleep 0.3
done
wait "$LOAD_PID" || true
ok="$(sed -n 's/^ok=//p' "$WORK/idle.out")"
added_mib=$(((peak - before) / 1024))
per_kib=$(((peak - before) / CLIENTS))
echo "idle: $ok of $CLIENTS connections served and held idle; RSS $((before / 1024)) -> $((peak / 1024)) MiB: +$added_mib MiB (${per_kib} KiB each); goal for 10000: <= 100 MiB"
((ok == CLIENTS)) || exit 1
((added_mib * 10000 <= 100 * CLIENTS))
