#!/usr/bin/env bash
# Soak: mixed load for a long while against three servers over one tree — sendfile, --no-sendfile, and HTTPS
# (--tls-self-signed) — with the symlink swap race of issue 20 running the whole time.
#
#   bash scripts/soak.sh [--minutes 10]      (default 10 minutes of load)
#   bash scripts/soak.sh --smoke             (20 seconds, an 8 MiB file: the slice .ci/run runs)
#
# Loads (scripts/loadgen, each in a loop that stops by itself at the deadline): large downloads on each server
# (SHA-256 checked), 4 KiB downloads, verified ranges and resumes, aborted downloads (RST and FIN at random
# points), slow readers (every byte compared with the file), and the race: /d/secret.txt and /f/secret.txt while
# their directory or name change places with links that lead outside (renameat2 RENAME_EXCHANGE).
# Prints requests, errors, bytes verified, and each server's RSS and open descriptors at the start, the middle
# and the end, and once more after the load stopped. Exit 0 only when: no escape (no byte from outside the
# root), no wrong byte, no failed download, no error logged by a server, and descriptors back to where they
# started (the open-file cache's few aside).
# FILESERVER_DLL / LOADGEN_DLL skip the builds; SOAK_KEEP=1 keeps the work directory (logs, summaries).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MINUTES=10
SMOKE=0
while (($# > 0)); do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --minutes) MINUTES="$2"; shift ;;
        *) echo "soak: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done
[[ "$MINUTES" =~ ^[0-9]+$ ]] && ((MINUTES >= 1 && MINUTES <= 1440)) || { echo "soak: --minutes must be 1..1440" >&2; exit 2; }
DURATION=$((MINUTES * 60))
BIG_MIB=64
if ((SMOKE)); then
    DURATION=20
    BIG_MIB=8
fi
FD_SLACK=8   # descriptors the open-file cache may hold at the end and not at the start

export LC_ALL=C DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-soak.XXXXXX")"
[[ "${SOAK_KEEP:-0}" == 1 ]] && KEEP=1
LOAD_PIDS=()
source "$REPO_ROOT/scripts/lib/load.sh" process fileserver
lib_on_exit

# ---------------------------------------------------------------------------------------------------------
# Build and tree

DLL="$(fs_build_cli)" || { echo "soak: the CLI could not be built"; exit 1; }
LOADGEN="$(fs_build_loadgen)" || { echo "soak: loadgen could not be built"; exit 1; }

ROOT="$WORK/root"
MARKER="OUTSIDE-THE-ROOT-$RANDOM"
mkdir -p "$ROOT/d" "$ROOT/f" "$WORK/outside"
head -c $((BIG_MIB * 1024 * 1024)) /dev/urandom >"$ROOT/big.bin"
head -c 4096 /dev/urandom >"$ROOT/small.bin"
echo "inside the root" >"$ROOT/d/secret.txt"
echo "inside the root" >"$ROOT/f/secret.txt"
echo "$MARKER" >"$WORK/outside/secret.txt"
ln -s "$WORK/outside" "$ROOT/d-swap"
ln -s "$WORK/outside/secret.txt" "$ROOT/f/secret-swap"
BIG_SHA="$(sha256sum "$ROOT/big.bin" | cut -d' ' -f1)"
SMALL_SHA="$(sha256sum "$ROOT/small.bin" | cut -d' ' -f1)"

# ---------------------------------------------------------------------------------------------------------
# Servers

declare -A URL PID
start_server() { # NAME ARGS...
    local name="$1"
    shift
    FS_LIFETIME=$((DURATION + 600)) fs_start "$name" "$ROOT" --no-access-log "$@" || { echo "soak: server $name did not start"; exit 1; }
    URL[$name]="$FS_URL"
    PID[$name]="$FS_PID"
}
start_server sendfile
start_server copy --no-sendfile
start_server tls --tls-self-signed
SERVERS=(sendfile copy tls)


# ---------------------------------------------------------------------------------------------------------
# Tallies: every loadgen run appends its key=value summary to SUMMARIES as one line.

SUMMARIES="$WORK/summaries"
: >"$SUMMARIES"
sum_of() { # MODE KEY
    awk -v mode="$1" -v key="$2" '$0 ~ " mode=" mode " " { for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == key) s += kv[2] } } END { printf "%.0f", s }' "$SUMMARIES"
}
killed() { awk '/ killed=1 / { n++ } END { printf "%d", n }' "$SUMMARIES"; }
report() { # LABEL
    local requests errors verified escapes line name
    requests=$(($(sum_of download ok) + $(sum_of download failed) + $(sum_of ranges requests) + $(sum_of abort-storm started) \
        + $(sum_of slow-readers connected) + $(sum_of race requests)))
    # slow-readers' failures include its wrong bodies.
    errors=$(($(killed) + $(sum_of download failed) + $(sum_of ranges failed) + $(sum_of ranges wrong_bytes) + $(sum_of slow-readers failures) \
        + $(sum_of race failed)))
    verified=$(($(sum_of download body_bytes) + $(sum_of ranges body_bytes) + $(sum_of slow-readers body_bytes_total)))
    escapes=$(sum_of race outside)
    line="soak $1: requests=$requests errors=$errors verified_mib=$((verified / 1048576)) escapes=$escapes"
    for name in "${SERVERS[@]}"; do
        line+=" | $name rss_mib=$(($(lib_rss_kib "${PID[$name]}") / 1024)) fds=$(lib_fds "${PID[$name]}")"
    done
    echo "$line"
}

run_load() { # every loadgen run in a loop until the deadline; its summary appended on one line
    local deadline="$1" part="$SUMMARIES.part.$BASHPID"
    shift
    while ((SECONDS < deadline)); do
        local left=$((deadline - SECONDS))
        ((left >= 3)) || break
        local rc=0
        timeout -k 5 $((left + 60)) dotnet "$LOADGEN" "$@" 2>>"$WORK/loadgen.err" | tr '\n' ' ' >"$part" || rc=$?
        # A run that had to be killed or failed left no whole summary: it counts as an error, never as nothing.
        if ((rc != 0)) || ! grep -q "mode=$1 " "$part"; then
            echo "mode=$1 killed=1 exit=$rc " >"$part"
        fi
        # Whole lines only, so a report in the middle never reads half a summary.
        echo "$(date +%s) $(cat "$part")" >>"$SUMMARIES"
    done
}

# Warm-up: every server has served every file once, so the start sample counts what the load adds.
for name in "${SERVERS[@]}"; do
    timeout 120 dotnet "$LOADGEN" download --url "${URL[$name]}small.bin" --count 4 --concurrency 1 --sha256 "$SMALL_SHA" >/dev/null
    timeout 120 dotnet "$LOADGEN" download --url "${URL[$name]}big.bin" --count 1 --concurrency 1 --sha256 "$BIG_SHA" >/dev/null
done
declare -A START_FDS
for name in "${SERVERS[@]}"; do START_FDS[$name]="$(lib_fds "${PID[$name]}")"; done
report "start (0 s)"

END=$((SECONDS + DURATION))
SLOW_SECONDS=$((SMOKE ? 8 : 30))
RACE_SECONDS=$((SMOKE ? 8 : 60))
# load ARGS...: run_load in the background until END, tracked.
load() {
    run_load "$END" "$@" &
    LOAD_PIDS+=($!)
    lib_track $!
}
for name in "${SERVERS[@]}"; do
    load download --url "${URL[$name]}big.bin" --count 4 --concurrency 2 --sha256 "$BIG_SHA" --time-limit "$DURATION"
done
load download --url "${URL[sendfile]}small.bin" --count 2000 --concurrency 4 --sha256 "$SMALL_SHA" --time-limit "$DURATION"
load ranges --url "${URL[copy]}big.bin" --file "$ROOT/big.bin" --count 200 --concurrency 2 --time-limit "$DURATION"
load ranges --url "${URL[tls]}big.bin" --file "$ROOT/big.bin" --count 50 --concurrency 1 --time-limit "$DURATION"
load abort-storm --url "${URL[sendfile]}big.bin" --requests 500 --concurrency 20 --max-bytes 4m --time-limit "$DURATION"
load slow-readers --url "${URL[copy]}big.bin" --clients 20 --rate 256k --seconds "$SLOW_SECONDS" --verify "$ROOT/big.bin"
load slow-readers --url "${URL[tls]}big.bin" --clients 10 --rate 256k --seconds "$SLOW_SECONDS" --verify "$ROOT/big.bin"
load race --url "${URL[sendfile]}d/secret.txt" --swap "$ROOT/d" --with "$ROOT/d-swap" --outside-marker "$MARKER" \
    --clients 2 --seconds "$RACE_SECONDS"
load race --url "${URL[copy]}f/secret.txt" --swap "$ROOT/f/secret.txt" --with "$ROOT/f/secret-swap" --outside-marker "$MARKER" \
    --clients 2 --seconds "$RACE_SECONDS"

# The middle sample waits for the middle: sleeping here paces a report, it synchronises nothing.
sleep $((DURATION / 2))
report "middle ($((DURATION / 2)) s)"
wait "${LOAD_PIDS[@]}" 2>/dev/null || true
for pid in "${LOAD_PIDS[@]}"; do lib_forget "$pid"; done
LOAD_PIDS=()
report "end ($DURATION s)"

# Descriptors flat: once every connection has ended (no load runs now), each server is back near its start.
fd_problems=()
for name in "${SERVERS[@]}"; do
    settled=0
    for ((i = 0; i < 100; i++)); do
        if (($(lib_fds "${PID[$name]}") <= START_FDS[$name] + FD_SLACK)); then settled=1; break; fi
        sleep 0.2
    done
    ((settled)) || fd_problems+=("$name: $(lib_fds "${PID[$name]}") descriptors after the load, ${START_FDS[$name]} at the start")
done
report "after the load"

escapes=$(sum_of race outside)
wrong=$(($(sum_of ranges wrong_bytes) + $(sum_of slow-readers wrong_body_clients)))
failed_downloads=$(($(killed) + $(sum_of download failed) + $(sum_of ranges failed) + $(sum_of race failed) + $(sum_of slow-readers failures)))
server_errors="$(grep -hE '^[^ ]+ (fail|crit): ' "$WORK"/*.err 2>/dev/null | grep -v '^$' || true)"
warnings="$(grep -hoE ' warn: [A-Za-z.]+\[[0-9]+\]' "$WORK"/{sendfile,copy,tls}.err 2>/dev/null | sort | uniq -c | tr -s ' ' | tr '\n' ';' || true)"
echo "soak: swaps and answers of the race: $(sum_of race swaps) swaps, $(sum_of race inside) inside, $(sum_of race refused) refused, $escapes from outside"
echo "soak: aborted downloads: $(sum_of abort-storm started) started, $(sum_of abort-storm rst_closes) RST, $(sum_of abort-storm graceful_closes) FIN"
echo "soak: server warnings by event: ${warnings:-none}"
status=0
((escapes == 0)) || { echo "soak: FAIL - $escapes responses carried the file outside the root"; status=1; }
((wrong == 0)) || { echo "soak: FAIL - $wrong bodies with a wrong byte"; status=1; }
((failed_downloads == 0)) || { echo "soak: FAIL - $failed_downloads failed requests: $(grep -ho 'errors=[^ ]*' "$SUMMARIES" | sort | uniq -c | tr '\n' ' ')"; status=1; }
[[ -z "$server_errors" ]] || { echo "soak: FAIL - errors in the servers' logs:"; head -n 20 <<<"$server_errors"; status=1; }
((${#fd_problems[@]} == 0)) || { echo "soak: FAIL - descriptors not flat: ${fd_problems[*]}"; status=1; }
((status == 0)) && echo "soak: PASS - no escape, no wrong byte, no failed request, no server error, descriptors flat"
exit "$status"
