#!/usr/bin/env bash
# What observing costs: FileServer plain, with a JSON access log to a file (--access-log FILE --access-log-format
# json), with the live view (--progress), and with both, in ROUNDS rounds (each starting with another variant; one
# server at a time). Every variant's stdout is a 120x40 pseudo-terminal (scripts/lib/on_terminal.py), so they differ
# in their options only. Figures: 4 KiB requests per second (wrk -t2 -c50, keep-alive: a log line per request is the
# most a log can cost), after WARM seconds of the same load (the live view's code is jitted in its first seconds),
# and the median of 3 downloads of 1 GiB (curl, MiB/s). Ratios to the plain server of the same round.
#
#   bash scripts/bench-observe.sh          (ROUNDS=3 SECS=10 WARM=15)
#
# FILESERVER_DLL skips the build. Installs wrk, curl and python3 with apt-get when missing. Prints one markdown table.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-3}" SECS="${SECS:-10}" WARM="${WARM:-15}"
export LC_ALL=C.UTF-8 DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-observe.XXXXXX")"
LIB_NAME=bench-observe
source "$REPO_ROOT/scripts/lib/load.sh" process apt fileserver
lib_on_exit

apt_need wrk:wrk curl:curl python3:python3 || lib_die "wrk, curl or python3 is missing"
DLL="$(fs_build_cli)" || lib_die "the CLI could not be built"
mkdir -p "$WORK/root"
head -c 4096 /dev/urandom >"$WORK/root/small.bin"
head -c $((1 << 30)) /dev/urandom >"$WORK/root/big.bin"

# start NAME: the server of that variant; sets URL and SERVER (the process to stop). Every variant's stdout is a
# pseudo-terminal (on_terminal.py: the same session as wrk, so the scheduler treats them alike), so that they differ
# only in their options.
start() {
    local args=()
    case "$1" in
        plain) args=(--no-access-log) ;;
        accesslog) args=(--access-log "$WORK/access.log" --access-log-format json) ;;
        progress) args=(--no-access-log --progress) ;;
        both) args=(--access-log "$WORK/access.log" --access-log-format json --progress) ;;
    esac
    rm -f "$WORK/access.log"
    FS_TERMINAL="$WORK/$1.terminal 120 40" fs_start "$1" "$WORK/root" "${args[@]}" || lib_die "$1 did not start"
    URL="$FS_URL" SERVER="$FS_WRAPPER"
}

declare -A RPS MIBS
NAMES=(plain accesslog progress both)
for ((round = 1; round <= ROUNDS; round++)); do
    # Each round starts with another variant: a place in the order (a warmer machine, a later minute) is not a cost.
    order=()
    for ((i = 0; i < ${#NAMES[@]}; i++)); do order+=("${NAMES[(round - 1 + i) % ${#NAMES[@]}]}"); done
    for name in "${order[@]}"; do
        start "$name"
        wrk -t2 -c50 -d"${WARM}s" "${URL}small.bin" >/dev/null
        RPS[$round,$name]="$(wrk -t2 -c50 -d"${SECS}s" "${URL}small.bin" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }')"
        MIBS[$round,$name]="$(for _ in 1 2 3; do curl -q -sf -o /dev/null -w '%{speed_download}\n' "${URL}big.bin"; done |
            sort -g | awk 'NR == 2 { printf "%.0f", $1 / 1048576 }')"
        lib_stop_pid "$SERVER" || true
    done
done

echo "| round | figure | plain | access log (json, file) | ÷ plain | live view | ÷ plain | both | ÷ plain |"
echo "|---|---|---|---|---|---|---|---|---|"
for ((round = 1; round <= ROUNDS; round++)); do
    for figure in RPS MIBS; do
        declare -n values="$figure"
        awk -v r="$round" -v f="$([[ $figure == RPS ]] && echo '4 KiB req/s' || echo '1 GiB MiB/s, median of 3')" \
            -v p="${values[$round,plain]}" -v a="${values[$round,accesslog]}" -v l="${values[$round,progress]}" -v b="${values[$round,both]}" \
            'BEGIN { printf "| %s | %s | %s | %s | %.3f | %s | %.3f | %s | %.3f |\n", r, f, p, a, a / p, l, l / p, b, b / p }'
    done
done
echo "(wrk -t2 -c50 for ${SECS} s after ${WARM} s of warm-up; 3 curl downloads of 1 GiB; one server at a time, the order rotated every round)"
