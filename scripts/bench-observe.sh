#!/usr/bin/env bash
# What observing costs: FileServer plain, with a JSON access log to a file (--access-log FILE --access-log-format
# json), and with the live view alone (--progress, on a pseudo-terminal made by script(1)), in turns of
# ROUNDS rounds (each starting with another variant): 4 KiB requests per second (wrk -t2 -c50, keep-alive: a log line per request is the most it can cost)
# and one 1 GiB download (curl, MiB/s). Ratios to the plain server of the same round are the figures.
#
#   bash scripts/bench-observe.sh          (ROUNDS=3 SECS=10 WARM=5)
#
# FILESERVER_DLL skips the build. Installs wrk and curl with apt-get when missing. Prints one markdown table.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-3}" SECS="${SECS:-10}" WARM="${WARM:-5}"
export LC_ALL=C.UTF-8 DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-observe.XXXXXX")"
LIB_NAME=bench-observe
source "$REPO_ROOT/scripts/lib/load.sh" process apt fileserver
lib_on_exit

apt_need wrk:wrk curl:curl script:util-linux || lib_die "wrk, curl or script is missing"
DLL="$(fs_build_cli)" || lib_die "the CLI could not be built"
mkdir -p "$WORK/root"
head -c 4096 /dev/urandom >"$WORK/root/small.bin"
head -c $((1 << 30)) /dev/urandom >"$WORK/root/big.bin"

# start NAME: the server of that variant on a port of its own; sets URL and SERVER (the process to stop).
start() {
    local port
    port="$(lib_free_port)" || lib_die "no free port"
    URL="http://127.0.0.1:$port/"
    case "$1" in
        plain) set -- --no-access-log ;;
        accesslog) set -- --access-log "$WORK/access.log" --access-log-format json ;;
        progress) set -- --no-access-log --progress ;;
    esac
    if [[ " $* " == *" --progress "* ]]; then
        # script(1) gives the server a terminal for stdout: the live view draws as it would for a person.
        timeout -k 5 900 script -qfec "dotnet '$DLL' '$WORK/root' --host 127.0.0.1 --port $port $*" /dev/null \
            </dev/null >"$WORK/pty.out" 2>"$WORK/server.err" &
    else
        timeout -k 5 900 dotnet "$DLL" "$WORK/root" --host 127.0.0.1 --port "$port" "$@" </dev/null >/dev/null 2>"$WORK/server.err" &
    fi
    SERVER=$!
    lib_track "$SERVER"
    lib_wait_listening "$port" 60 "$SERVER" || { cat "$WORK/server.err"; lib_die "$1 did not start"; }
}

declare -A RPS MIBS
NAMES=(plain accesslog progress)
for ((round = 1; round <= ROUNDS; round++)); do
    # Each round starts with another variant: a place in the order (a warmer machine, a later minute) is not a cost.
    order=()
    for ((i = 0; i < ${#NAMES[@]}; i++)); do order+=("${NAMES[(round - 1 + i) % ${#NAMES[@]}]}"); done
    for name in "${order[@]}"; do
        start "$name"
        wrk -t2 -c50 -d"${WARM}s" "${URL}small.bin" >/dev/null
        RPS[$round,$name]="$(wrk -t2 -c50 -d"${SECS}s" "${URL}small.bin" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }')"
        MIBS[$round,$name]="$(curl -q -sf -o /dev/null -w '%{speed_download}' "${URL}big.bin" | awk '{ printf "%.0f", $1 / 1048576 }')"
        lib_stop_pid "$SERVER" || true
        rm -f "$WORK/access.log"
    done
done

echo "| round | figure | plain | access log (json, file) | ratio | live view | ratio |"
echo "|---|---|---|---|---|---|---|"
for ((round = 1; round <= ROUNDS; round++)); do
    for figure in RPS MIBS; do
        declare -n values="$figure"
        awk -v r="$round" -v f="$([[ $figure == RPS ]] && echo '4 KiB req/s' || echo '1 GiB MiB/s')" \
            -v p="${values[$round,plain]}" -v a="${values[$round,accesslog]}" -v l="${values[$round,progress]}" \
            'BEGIN { printf "| %s | %s | %s | %s | %.3f | %s | %.3f |\n", r, f, p, a, a / p, l, l / p }'
    done
done
echo "(wrk -t2 -c50 for ${SECS} s after ${WARM} s of warm-up; one curl download of 1 GiB; one server at a time, the order rotated every round)"
