#!/usr/bin/env bash
# The cost of a path lookup: 4 KiB requests per second (wrk -t2 -c50, keep-alive) for a file at the root and one
# three directories down, against this build (openat2), this build with the lookup forced to the openat walk
# (FILESERVER_PATH_LOOKUP=walk), a baseline build given as BASELINE_DLL (e.g. one before the race-free root),
# and a private nginx (sendfile on, access_log off). Every server is measured in turn, ROUNDS times, after the
# same warm-up; the figures of one round are from the same minutes, so compare within a round.
#
#   BASELINE_DLL=/path/FileServer.Cli.dll bash scripts/bench-lookup.sh      (ROUNDS=2 SECS=10 WARM=8)
#
# FILESERVER_DLL skips building this tree's CLI. Without BASELINE_DLL the baseline column is skipped; without
# nginx (apt-get install nginx-light) its column is. Prints one markdown table.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-2}"
SECS="${SECS:-10}"
WARM="${WARM:-8}"
export LC_ALL=C DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
command -v wrk >/dev/null || { echo "bench-lookup: wrk is needed (apt-get install wrk)"; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-lookup.XXXXXX")"
SERVER=""
source "$REPO_ROOT/scripts/lib/load.sh" process apt nginx fileserver
lib_on_exit

DLL="$(fs_build_cli)" || { echo "bench-lookup: the CLI could not be built"; exit 1; }
mkdir -p "$WORK/data/sub/dir/deep"
head -c 4096 /dev/urandom >"$WORK/data/small.bin"
cp "$WORK/data/small.bin" "$WORK/data/sub/dir/deep/small.bin"
PATHS=(small.bin sub/dir/deep/small.bin)

start_fileserver() { # DLL [walk]
    # A local DLL: fs_start starts whichever build this call names (bash scopes dynamically).
    local DLL="$1"
    [[ "${2:-}" == walk ]] && export FILESERVER_PATH_LOOKUP=walk
    fs_start server "$WORK/data" --no-access-log || { echo "bench-lookup: $DLL did not start"; exit 1; }
    unset FILESERVER_PATH_LOOKUP
    SERVER="$FS_WRAPPER"
    URL="$FS_URL"
}

start_nginx() {
    NGINX_CONNECTIONS=1024 NGINX_LIFETIME=900 nginx_start nginx "$WORK/data" on || { echo "bench-lookup: nginx did not start"; exit 1; }
    SERVER="$NGINX_WRAPPER" URL="$NGINX_URL"
}

stop_server() { lib_stop_pid "$SERVER" || true; SERVER=""; }

rps() { # URL SECONDS
    wrk -t2 -c50 -d"${2}s" "$1" | awk '/^Requests\/sec:/ { printf "%d", $2 }'
}

declare -A RESULT
NAMES=(new walk)
[[ -n "${BASELINE_DLL:-}" ]] && NAMES=(baseline "${NAMES[@]}")
[[ -n "$(nginx_bin)" ]] && NAMES+=(nginx)
for ((round = 1; round <= ROUNDS; round++)); do
    for name in "${NAMES[@]}"; do
        case "$name" in
            baseline) start_fileserver "$BASELINE_DLL" ;;
            new) start_fileserver "$DLL" ;;
            walk) start_fileserver "$DLL" walk ;;
            nginx) start_nginx ;;
        esac
        for path in "${PATHS[@]}"; do
            wrk -t2 -c50 -d"${WARM}s" "$URL$path" >/dev/null
            RESULT[$round,$name,$path]="$(rps "$URL$path" "$SECS")"
        done
        stop_server
    done
done

echo "| round | file | $(printf '%s | ' "${NAMES[@]}")"
echo "|---|---|$(printf -- '---|%.0s' "${NAMES[@]}")"
for ((round = 1; round <= ROUNDS; round++)); do
    for path in "${PATHS[@]}"; do
        line="| $round | /$path |"
        for name in "${NAMES[@]}"; do line+=" ${RESULT[$round,$name,$path]} |"; done
        echo "$line"
    done
done
echo "(4 KiB requests/s, wrk -t2 -c50 for ${SECS} s after ${WARM} s of warm-up, one server at a time; new = openat2, walk = FILESERVER_PATH_LOOKUP=walk)"
