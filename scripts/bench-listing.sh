#!/usr/bin/env bash
# The cost of a large directory listing: a directory of ENTRIES files (default 100,000) listed by FileServer (HTML and
# JSON) and by a private nginx with `autoindex on` (HTML, the same directory), in one run, one server at a time, after
# the same warm-up. For each: the median time of RUNS listings (curl's time_total), the bytes, and the server's
# resident memory before and after (peak, VmHWM), so the memory per entry can be read off.
#
#   bash scripts/bench-listing.sh            (ENTRIES=100000 RUNS=5)
#
# FILESERVER_DLL skips building this tree's CLI. Installs nginx-light and curl with apt-get when missing. Prints one
# markdown table.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ENTRIES="${ENTRIES:-100000}"
RUNS="${RUNS:-5}"
export LC_ALL=C DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-listing.XXXXXX")"
chmod 755 "$WORK"
LIB_NAME=bench-listing
source "$REPO_ROOT/scripts/lib/load.sh" process apt nginx fileserver
lib_on_exit

apt_need curl:curl || lib_die "curl is missing"
nginx_ensure || echo "# no nginx: its column is skipped"
DLL="$(fs_build_cli)" || lib_die "the CLI could not be built"

mkdir -p "$WORK/data/big"
(cd "$WORK/data/big" && seq -f "file-%06g.dat" 1 "$ENTRIES" | xargs touch)
echo "# $ENTRIES entries in $WORK/data/big"

# measure NAME URL PID: RUNS listings after two warm-up ones; prints "median_s bytes rss_before_kib hwm_after_kib".
measure() {
    local url="$2" pid="$3" before times=() bytes
    before="$(lib_rss_kib "$pid")"
    for _ in 1 2; do curl -q -sf -o /dev/null "$url" || lib_die "$1: $url failed"; done
    for ((i = 0; i < RUNS; i++)); do
        read -r t bytes < <(curl -q -sf -o /dev/null -w '%{time_total} %{size_download}\n' "$url")
        times+=("$t")
    done
    printf '%s %s %s %s\n' "$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')" \
        "$bytes" "$before" "$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")"
}

declare -A ROW
FS_LIFETIME=900 fs_start server "$WORK/data" --no-access-log || lib_die "FileServer did not start"
ROW[fileserver-html]="$(measure fileserver "${FS_URL}big/" "$FS_PID")"
ROW[fileserver-json]="$(measure fileserver "${FS_URL}big/?format=json" "$FS_PID")"
lib_stop_pid "$FS_WRAPPER" || true
if [[ -n "$(nginx_bin)" ]]; then
    NGINX_WORKERS=1 NGINX_EXTRA_SERVER="autoindex on;" nginx_start nginx "$WORK/data" on || lib_die "nginx did not start"
    worker="$(lib_child "$NGINX_MASTER")"
    ROW[nginx-autoindex]="$(measure nginx "${NGINX_URL}big/" "$worker")"
    lib_stop_pid "$NGINX_WRAPPER" || true
fi

echo "| server | listing of $ENTRIES entries, median s | bytes | RSS before, MiB | peak RSS after, MiB | peak above before, bytes per entry |"
echo "|---|---|---|---|---|---|"
for name in fileserver-html fileserver-json nginx-autoindex; do
    [[ -n "${ROW[$name]:-}" ]] || continue
    read -r median bytes before hwm <<<"${ROW[$name]}"
    awk -v n="$name" -v m="$median" -v b="$bytes" -v r="$before" -v h="$hwm" -v e="$ENTRIES" \
        'BEGIN { printf "| %s | %.3f | %.0f | %.1f | %.1f | %.0f |\n", n, m, b, r / 1024, h / 1024, (h - r) * 1024 / e }'
done
echo "(curl time_total, median of $RUNS after 2 warm-up listings, one server at a time; nginx: 1 worker, autoindex on, its worker's memory)"
