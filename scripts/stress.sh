#!/usr/bin/env bash
# Bounded stress and measurement run of the FileServer CLI, driven by the raw-socket load generator in
# scripts/loadgen (one process per load, key=value summaries).
#
#   bash scripts/stress.sh [--smoke] [--phases memory,tls-memory,abort,slowloris,stalled,rate] [--keep]
#
# Phases (each bounded in time; every server runs on 127.0.0.1 with an ephemeral port, --log-level Warning):
#   memory     per body path (sendfile, copy): RSS growth under 1000 slow readers (16 KiB/s each, 20 s) of a
#              64 MiB file, in KiB per client, against the targets (copy <= 128, sendfile <= 24); the copy path
#              again with --high-watermark 256k --low-watermark 64k; the same load against a private nginx
#              (sendfile on and off; master + worker RSS) for reference, when nginx is installed.
#   tls-memory the same load over HTTPS (loadgen over SslStream, certificate checked with --ca): FileServer
#              with --tls-self-signed (every TLS body takes the copy loop), KiB per client against the TLS
#              target (<= 240: the copy path's 128 plus SslStream's per-connection buffers), every body byte
#              compared with the file; nginx with ssl (cert/key from openssl, TLSv1.2 TLSv1.3, sendfile off)
#              for reference, when nginx and openssl are installed.
#   abort      per body path: 5000 requests abandoned at random points (RST or FIN); open fds and RSS before
#              and after (fds must return near the baseline within 30 s), errors in the server's log, and a
#              normal download afterwards.
#   slowloris  --header-timeout 5: 500 connections sending a head one byte per 2 s for 20 s, while 100
#              downloads of a 1 MiB file run; downloads must all succeed, slowloris must be cut at ~5 s.
#   stalled    per body path, --send-timeout 3: a client reads 1 MiB then stops reading; time until the
#              server drops it.
#   rate       per body path, --limit-rate 1m: measured rate over 10 s against 1 MiB/s +-10 %.
#
# --smoke runs every phase at a tiny scale (well under a minute once built; nginx and the watermark variant
# are skipped) and exits 1 if any of its assertions fails. A full run only reports: its exit code is 0
# unless something could not run at all (a server that does not start, e.g. on an option it does not know
# yet, or a load that did not finish), which is 1. Either way the last thing printed is a markdown table:
# phase | figure | value | target | met.
#
# Environment: FILESERVER_DLL=path/FileServer.Cli.dll skips the CLI build; LOADGEN_DLL=path/LoadGen.dll skips
# the load generator build; STRESS_KEEP=1 (or --keep) keeps the work directory (server logs, load outputs).
# shellcheck disable=SC2317 # the phases run as "phase_$name", cleanup from a trap: reached indirectly
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FS_READY_TIMEOUT=30   # seconds for a server to write its ready file
STOP_TIMEOUT=20       # seconds for a graceful stop after SIGTERM
SERVER_LIFETIME=900   # hard bound on any one server (timeout(1) kills it afterwards)

export LC_ALL=C   # "." as the decimal point in EPOCHREALTIME and awk
export DOTNET_NOLOGO=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1

LIB_NAME=stress
source "$REPO_ROOT/scripts/lib/load.sh" process apt nginx fileserver tls args
ALL_PHASES="memory,tls-memory,abort,slowloris,stalled,rate"
SMOKE=0 KEEP="${STRESS_KEEP:-}" PHASES="$ALL_PHASES"
lib_parse_args "--smoke:SMOKE=1 --keep:KEEP=1 --phases=PHASES" "$@"
IFS=',' read -r -a PHASE_LIST <<<"$PHASES"
for phase in "${PHASE_LIST[@]}"; do
    [[ ",$ALL_PHASES," == *",$phase,"* ]] || { echo "stress: unknown phase '$phase' (phases: $ALL_PHASES)" >&2; exit 2; }
done

# ---------------------------------------------------------------------------------------------------------
# Scale

if ((SMOKE)); then
    MEM_CLIENTS=20 MEM_SECONDS=3 MEM_RAMP=0.5 MEM_SETTLE=1
    ABORT_REQUESTS=100 ABORT_CONCURRENCY=20
    SL_CLIENTS=20 SL_INTERVAL_MS=2000 SL_SECONDS=4 SL_HEADER_TIMEOUT=2 SL_DOWNLOADS=10
    ST_SEND_TIMEOUT=2 ST_SECONDS=10
    RATE_SECONDS=3
else
    MEM_CLIENTS=1000 MEM_SECONDS=20 MEM_RAMP=2 MEM_SETTLE=2
    ABORT_REQUESTS=5000 ABORT_CONCURRENCY=100
    SL_CLIENTS=500 SL_INTERVAL_MS=2000 SL_SECONDS=20 SL_HEADER_TIMEOUT=5 SL_DOWNLOADS=100
    ST_SEND_TIMEOUT=3 ST_SECONDS=20
    RATE_SECONDS=10
fi
MEM_RATE=16384
MEM_RCVBUF=16384
MEM_TARGET_COPY=128      # KiB per client
MEM_TARGET_SENDFILE=24   # KiB per client
MEM_TARGET_TLS=240       # KiB per client: the copy path's 128 + ~112 of TLS state (see phase_tls_memory)
ABORT_MAX_BYTES=1048576
ABORT_FD_WAIT=30         # seconds for the fd count to come back
ABORT_WARM_REQUESTS=200  # aborted requests before the baseline
ST_READ_BYTES=1048576
RATE_LIMIT=1m
RATE_BYTES=1048576
RATE_TOLERANCE=10        # percent

# ---------------------------------------------------------------------------------------------------------
# Work directory, process bookkeeping, cleanup

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-stress.XXXXXX")"
STOP_TIMEOUT="${STOP_TIMEOUT:-5}"
lib_on_exit
trap 'echo "stress: interrupted" >&2; print_table; exit 130' INT
trap 'echo "stress: terminated" >&2; print_table; exit 143' TERM

# Raise the open-file limit to the hard limit (1000 clients plus the server's own descriptors).
hard="$(ulimit -Hn)"
ulimit -n "$hard" 2>/dev/null || ulimit -n 65536 2>/dev/null || true
echo "# open-file limit $(ulimit -n); work dir $WORK; phases $PHASES$( ((SMOKE)) && echo ' (smoke)')"

# ---------------------------------------------------------------------------------------------------------
# Results

R_PHASE=() R_FIGURE=() R_VALUE=() R_TARGET=() R_MET=()
ASSERT_FAILED=()
NOT_RUN=()
declare -A PHASE_SECONDS=()

# record PHASE FIGURE VALUE TARGET STATUS [assert]: STATUS is met, not met, - (information) or could not run.
# With "assert", a smoke run fails unless STATUS is met.
record() {
    R_PHASE+=("$1") R_FIGURE+=("$2") R_VALUE+=("$3") R_TARGET+=("$4") R_MET+=("$5")
    printf '   %-28s %-40s target %-28s %s\n' "$1" "$2: $3" "$4" "$5"
    if [[ "$5" == "could not run" ]]; then
        NOT_RUN+=("$1: $2 ($3)")
    elif [[ "${6:-}" == assert && "$5" != met ]]; then
        ASSERT_FAILED+=("$1: $2 = $3 (target $4)")
    fi
}
met_if() { if "$@"; then echo met; else echo "not met"; fi; }

print_table() {
    local i name
    echo
    echo "## FileServer stress results$( ((SMOKE)) && echo ' (smoke scale)')"
    echo
    echo "| phase | figure | value | target | met |"
    echo "| --- | --- | --- | --- | --- |"
    for i in "${!R_PHASE[@]}"; do
        echo "| ${R_PHASE[$i]} | ${R_FIGURE[$i]} | ${R_VALUE[$i]} | ${R_TARGET[$i]} | ${R_MET[$i]} |"
    done
    echo
    echo "| phase | seconds |"
    echo "| --- | --- |"
    for name in build "${PHASE_LIST[@]}"; do
        [[ -n "${PHASE_SECONDS[$name]:-}" ]] && echo "| $name | ${PHASE_SECONDS[$name]} |"
    done
    return 0
}

elapsed_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
# calc EXPR: floating-point arithmetic with awk, one decimal unless the expression formats itself.
calc() { awk "BEGIN { printf \"%.1f\", $1 }"; }
# fcmp "A op B": floating-point comparison (exit status).
fcmp() { awk "BEGIN { exit !($1) }"; }

# ---------------------------------------------------------------------------------------------------------
# Process helpers

# Sockets and served files among them: what a leaked connection would leave behind.
fd_conn_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 \( -lname 'socket:*' -o -lname "$ROOT/*" \) 2>/dev/null | wc -l; }

# kv FILE KEY: the value of KEY=... in a loadgen summary, or "-".
kv() {
    local value
    value="$(sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n 1 || true)"
    echo "${value:--}"
}

# loadgen OUT BOUND MODE ARGS...: runs the load generator within BOUND seconds and returns its exit code
# (in the background and waited for, so that INT/TERM traps run at once).
loadgen() {
    local out="$1" rc=0
    loadgen_bg "$@"
    loadgen_wait || rc=$?
    if ((rc != 0)) && [[ -s "$out.err" ]]; then
        sed 's/^/   # loadgen: /' "$out.err" | head -n 5
    fi
    return "$rc"
}
# loadgen_bg OUT BOUND MODE ARGS...: the same in the background; sets LG_WRAP.
loadgen_bg() {
    local out="$1" bound="$2"
    shift 2
    timeout -k 5 "$bound" dotnet "$LOADGEN" "$@" >"$out" 2>"$out.err" </dev/null &
    LG_WRAP=$!
    lib_track "$LG_WRAP"
}
# loadgen_wait [WRAPPER]: exit code of a background load, the last one started by default (its wrapper is
# bounded, so this is too).
loadgen_wait() {
    local wrapper="${1:-$LG_WRAP}" rc=0
    wait "$wrapper" || rc=$?
    lib_forget "$wrapper"
    return "$rc"
}

# ---------------------------------------------------------------------------------------------------------
# Servers

# start_fileserver LABEL ARGS...: sets SRV_PID, SRV_WRAP, SRV_ERR, URL; on failure returns 1 with SRV_FAIL.
start_fileserver() {
    local label="$1"
    shift
    SRV_KIND=fileserver SRV_LABEL="$label" SRV_ERR="$WORK/$label.err" SRV_FAIL="" URL="" SRV_PID=""
    if ! FS_LIFETIME="$SERVER_LIFETIME" fs_start "$label" "$ROOT" --log-level Warning "$@" 2>/dev/null; then
        SRV_FAIL="server did not start: $(head -n 2 "$SRV_ERR" | tr '\n' ' ' | sed 's/ *$//')"
        return 1
    fi
    SRV_WRAP="$FS_WRAPPER" SRV_PID="$FS_PID" URL="$FS_URL"
}

# start_nginx LABEL on|off [tls]: a private nginx (own conf, logs and temp paths in the work dir); same outputs.
# With tls it listens with ssl, with the openssl certificate and key $TLS_CERT and $TLS_KEY; URL is https://.
start_nginx() {
    local label="$1" sendfile="$2" tls="${3:-}"
    SRV_KIND=nginx SRV_LABEL="$label" SRV_ERR="$WORK/$label/error.log" SRV_FAIL="" URL="" SRV_PID=""
    if ! NGINX_WORKERS=1 NGINX_LIFETIME="$SERVER_LIFETIME" nginx_start "$label" "$ROOT" "$sendfile" "$tls" 2>"$WORK/$label.start.err"; then
        SRV_FAIL="nginx did not start: $(head -n 2 "$WORK/$label.start.err" | tr '\n' ' ' | sed 's/ *$//')"
        return 1
    fi
    SRV_WRAP="$NGINX_WRAPPER" URL="$NGINX_URL" SRV_PID="$NGINX_MASTER"
}

# start_or_record PHASE FIGURE TARGET fileserver|nginx LABEL ARGS...: "-- LABEL", then the server as start_fileserver
# or start_nginx LABEL ARGS... would; a server that does not start is recorded as FIGURE could not run (false).
start_or_record() {
    local phase="$1" figure="$2" target="$3" kind="$4"
    shift 4
    echo "-- $1"
    "start_$kind" "$@" && return 0
    record "$phase" "$figure" "$SRV_FAIL" "$target" "could not run"
    return 1
}

STOPS_OK=0
STOPS_BAD=()
# stop_server: SIGTERM to the server (nginx: its master), bounded wait; a FileServer must exit 0.
stop_server() {
    local rc=0
    kill -TERM "$SRV_PID" 2>/dev/null || true
    lib_await "$SRV_WRAP" || rc=$?
    if ((LIB_KILLED)); then
        echo "   # $SRV_LABEL still running ${STOP_TIMEOUT}s after SIGTERM: killed"
        [[ "$SRV_KIND" == fileserver ]] && STOPS_BAD+=("$SRV_LABEL: killed after ${STOP_TIMEOUT}s")
        return 0
    fi
    if [[ "$SRV_KIND" == fileserver ]]; then
        if ((rc == 0)); then
            STOPS_OK=$((STOPS_OK + 1))
        else
            echo "   # $SRV_LABEL exited with code $rc after SIGTERM"
            STOPS_BAD+=("$SRV_LABEL: exit code $rc")
        fi
    fi
}

# server_log_problems: count of log lines that signal a bug (unobserved task exceptions, errors, criticals).
server_log_problems() {
    local count
    count="$(grep -cE 'Unobserved|fail:|crit:|Unhandled exception' "$SRV_ERR" 2>/dev/null || true)"
    echo "${count:-0}"
}

# warm_up: one verified download of the big file; returns 1 (with a message) if it fails. Over TLS (an
# https:// URL) the load generator checks the certificate with $TLS_CA.
warm_up() {
    set_tls_args
    if ! loadgen "$WORK/$SRV_LABEL.warm" 120 download --url "${URL}big.bin" --count 1 --sha256 "$BIG_SHA" --timeout 60 "${LG_TLS[@]}"; then
        echo "   # warm-up download failed: $(kv "$WORK/$SRV_LABEL.warm" errors)"
        return 1
    fi
}

# ---------------------------------------------------------------------------------------------------------
# Build and data

build_started="$EPOCHREALTIME"
[[ -z "${FILESERVER_DLL:-}${LOADGEN_DLL:-}" ]] && echo "== build src/FileServer.Cli and scripts/loadgen (Release)"
DLL="$(fs_build_cli)" || { echo "stress: the CLI does not build" >&2; exit 1; }
LOADGEN="$(fs_build_loadgen)" || { echo "stress: the load generator does not build" >&2; exit 1; }
PHASE_SECONDS[build]="$(elapsed_since "$build_started")"

ROOT="$WORK/root"
mkdir -p "$ROOT"
head -c $((64 * 1024 * 1024)) /dev/urandom >"$ROOT/big.bin"
head -c $((1024 * 1024)) /dev/urandom >"$ROOT/m1.bin"
printf 'hello\n' >"$ROOT/small.txt"
BIG_SHA="$(sha256sum "$ROOT/big.bin" | cut -d' ' -f1)"
M1_SHA="$(sha256sum "$ROOT/m1.bin" | cut -d' ' -f1)"
NGINX="$(nginx_bin)"

# set_tls_args: LG_TLS, the load generator's certificate option for the current URL: --ca $TLS_CA for an
# https:// one, nothing for http://.
TLS_CA="" TLS_CERT="" TLS_KEY=""
LG_TLS=()
set_tls_args() {
    LG_TLS=()
    [[ "$URL" == https://* ]] && LG_TLS=(--ca "$TLS_CA")
    return 0
}

# ---------------------------------------------------------------------------------------------------------
# Phase: memory per slow reader

MEM_PHASE=memory   # the phase memory_run records under
MEM_VERIFY=0       # 1: the slow readers compare every body byte with the file (--verify)

# memory_run LABEL TARGET_KIB fileserver|nginx ARGS...: prints and records KiB per client.
memory_run() {
    local label="$1" target="$2" kind="$3" out base peak rss samples=0 per_client status connected ok failures target_text="-"
    local extra=() wrong
    shift 3
    [[ -n "$target" ]] && target_text="<= $target"
    start_or_record "$MEM_PHASE" "$label KiB/client" "$target_text" "$kind" "$label" "$@" || return 0
    if ! warm_up; then
        record "$MEM_PHASE" "$label KiB/client" "warm-up download failed" "$target_text" "could not run"
        stop_server
        return 0
    fi
    sleep "$MEM_SETTLE"
    # shellcheck disable=SC2046 # word splitting of the pid list is meant
    base="$(lib_rss_kib $(lib_family "$SRV_PID"))"
    peak="$base"
    out="$WORK/$label.slow-readers"
    set_tls_args
    extra=("${LG_TLS[@]}")
    ((MEM_VERIFY)) && extra+=(--verify "$ROOT/big.bin")
    loadgen_bg "$out" $((MEM_SECONDS + 90)) slow-readers --url "${URL}big.bin" --clients "$MEM_CLIENTS" --rate "$MEM_RATE" \
        --seconds "$MEM_SECONDS" --rcvbuf "$MEM_RCVBUF" --ramp-seconds "$MEM_RAMP" "${extra[@]}"
    while kill -0 "$LG_WRAP" 2>/dev/null && ((samples < (MEM_SECONDS + 100) * 2)); do
        # shellcheck disable=SC2046
        rss="$(lib_rss_kib $(lib_family "$SRV_PID"))"
        ((rss > peak)) && peak="$rss"
        samples=$((samples + 1))
        sleep 0.5
    done
    status=0
    loadgen_wait || status=$?
    connected="$(kv "$out" connected)" ok="$(kv "$out" head_200)" failures="$(kv "$out" failures)"
    per_client="$(calc "($peak - $base) / $MEM_CLIENTS")"
    echo "   baseline $((base / 1024)) MiB, peak $((peak / 1024)) MiB over $samples samples; clients $connected connected, $ok got 200, failures $failures, avg $(kv "$out" bytes_per_client_avg) bytes each (expected ~$(kv "$out" bytes_per_client_expected))"
    [[ "$(kv "$out" tls)" != - && "$(kv "$out" tls)" != no ]] && echo "   TLS: $(kv "$out" tls)"
    if ((MEM_VERIFY)); then
        wrong="$(kv "$out" wrong_body_clients)"
        record "$MEM_PHASE" "$label clients that saw a wrong body byte" \
            "$wrong$([[ "$wrong" != 0 ]] && echo " (first at body offset $(kv "$out" wrong_body_first_offset))")" 0 \
            "$(met_if [ "$wrong" = 0 ])" assert
    fi
    if ((status != 0)) || [[ "$ok" != "$MEM_CLIENTS" ]]; then
        record "$MEM_PHASE" "$label slow readers served" "$ok/$MEM_CLIENTS (loadgen exit $status, failures $failures)" "$MEM_CLIENTS/$MEM_CLIENTS" "not met" assert
    elif ((SMOKE)); then
        record "$MEM_PHASE" "$label slow readers served" "$ok/$MEM_CLIENTS" "$MEM_CLIENTS/$MEM_CLIENTS" met assert
    fi
    if [[ -n "$target" ]] && ((!SMOKE)); then
        record "$MEM_PHASE" "$label KiB/client" "$per_client (peak $((peak / 1024)) MiB - base $((base / 1024)) MiB)" "$target_text" \
            "$(met_if fcmp "$per_client <= $target")"
    else
        # At smoke scale RSS noise swamps 20 clients: reported, not judged.
        record "$MEM_PHASE" "$label KiB/client" "$per_client (peak $((peak / 1024)) MiB - base $((base / 1024)) MiB)" "$target_text" -
    fi
    stop_server
}

phase_memory() {
    echo
    echo "== memory: $MEM_CLIENTS slow readers at $MEM_RATE B/s for ${MEM_SECONDS}s, SO_RCVBUF $MEM_RCVBUF, 64 MiB file"
    memory_run sendfile "$MEM_TARGET_SENDFILE" fileserver
    memory_run copy "$MEM_TARGET_COPY" fileserver --no-sendfile
    if ((!SMOKE)); then
        memory_run copy-hw256k "" fileserver --no-sendfile --high-watermark 256k --low-watermark 64k
        if [[ -n "$NGINX" ]]; then
            memory_run nginx-sendfile "" nginx on
            memory_run nginx-copy "" nginx off
        else
            echo "-- nginx not installed: no reference figures"
        fi
    fi
}

# ---------------------------------------------------------------------------------------------------------
# Phase: memory per slow reader over TLS

# The same load over HTTPS. FileServer --tls-self-signed writes its certificate (--tls-cert-out), which the
# load generator then trusts (--ca); nginx gets a P-256 certificate and key made by openssl, the same kind
# of certificate and key as FileServer's self-signed one. Over TLS every FileServer body takes the copy loop
# (SslStream encrypts from user space), bounded per connection by --high-watermark (64k) like the plain copy
# path (target 128). MEM_TARGET_TLS adds what a slow TLS reader holds on top, estimated per connection, not
# fitted: the record SslStream encrypts while its write waits for the socket (16 KiB + overhead, rented in
# the pool's 32 KiB bucket), OpenSSL's record write and read buffers (~17 KiB each; .NET does not release
# them between records as nginx's SSL_MODE_RELEASE_BUFFERS does), the memory BIO the encrypted record passes
# through (up to ~32 KiB once grown), and the SSL object and TLS 1.3 state (~10 KiB): ~112 KiB, so 240.
# For scale, the first full run on 2 cores: copy 92.8, TLS 231.9; nginx sendfile off 73.5, nginx ssl 120.6.
phase_tls_memory() {
    local saved_phase="$MEM_PHASE" saved_verify="$MEM_VERIFY"
    echo
    echo "== tls-memory: $MEM_CLIENTS slow TLS readers at $MEM_RATE B/s for ${MEM_SECONDS}s, SO_RCVBUF $MEM_RCVBUF, 64 MiB file, every body byte checked"
    mkdir -p "$WORK/tls"
    MEM_PHASE=tls-memory MEM_VERIFY=1
    TLS_CA="$WORK/tls/fileserver-self-signed.pem"
    memory_run tls "$MEM_TARGET_TLS" fileserver --tls-self-signed --tls-cert-out "$TLS_CA"
    if ((!SMOKE)); then
        if [[ -z "$NGINX" ]]; then
            echo "-- nginx not installed: no TLS reference figure"
        elif ! command -v openssl >/dev/null 2>&1; then
            echo "-- openssl not installed: no certificate for nginx, no TLS reference figure"
        else
            TLS_CERT="$WORK/tls/nginx.pem" TLS_KEY="$WORK/tls/nginx.key"
            if tls_self_signed "$TLS_CERT" "$TLS_KEY" >"$WORK/tls/openssl.log" 2>&1; then
                TLS_CA="$TLS_CERT"
                memory_run nginx-tls "" nginx off tls
            else
                record tls-memory "nginx-tls KiB/client" "openssl could not make a certificate: $(head -n 1 "$WORK/tls/openssl.log")" - "could not run"
            fi
        fi
    fi
    MEM_PHASE="$saved_phase" MEM_VERIFY="$saved_verify"
}

# ---------------------------------------------------------------------------------------------------------
# Phase: abort storm

abort_run() {
    local label="$1" seed="$2" out fd0 fd1 sock0 sock1 rss0 rss1 tolerance i waited problems status dl
    shift 2
    start_or_record abort "$label storm" - fileserver "$label" "$@" || return 0
    # Warm-up: a download, and a few aborts, whose first exceptions make the runtime map some more assemblies
    # (System.Diagnostics.StackTrace, System.Reflection.Metadata, the pdb...: ~10 fds, once) before the baseline.
    if ! warm_up || ! loadgen "$WORK/$label.warm-storm" 120 abort-storm --url "${URL}big.bin" --requests "$ABORT_WARM_REQUESTS" \
        --concurrency 20 --max-bytes "$ABORT_MAX_BYTES" --seed 999 --time-limit 60; then
        record abort "$label storm" "warm-up failed" - "could not run"
        stop_server
        return 0
    fi
    sleep 2
    fd0="$(lib_fds "$SRV_PID")" sock0="$(fd_conn_count "$SRV_PID")" rss0="$(lib_rss_kib "$SRV_PID")"
    out="$WORK/$label.abort-storm"
    status=0
    loadgen "$out" 400 abort-storm --url "${URL}big.bin" --requests "$ABORT_REQUESTS" --concurrency "$ABORT_CONCURRENCY" \
        --max-bytes "$ABORT_MAX_BYTES" --seed "$seed" --time-limit 300 || status=$?
    echo "   storm: $(kv "$out" completed)/$ABORT_REQUESTS completed in $(kv "$out" seconds)s, client errors $(kv "$out" errors) ($(kv "$out" error_kinds)); before response $(kv "$out" closed_before_response), mid-head $(kv "$out" closed_mid_head), mid-body $(kv "$out" closed_mid_body); RST $(kv "$out" rst_closes), FIN $(kv "$out" graceful_closes)"
    tolerance=$(((fd0 * 5 + 99) / 100))
    waited=0
    fd1="$(lib_fds "$SRV_PID")" sock1="$(fd_conn_count "$SRV_PID")"
    for ((i = 0; i < ABORT_FD_WAIT * 2 && (fd1 > fd0 + tolerance || sock1 > sock0); i++)); do
        sleep 0.5
        fd1="$(lib_fds "$SRV_PID")" sock1="$(fd_conn_count "$SRV_PID")"
        waited="$(calc "($i + 1) * 0.5")"
    done
    rss1="$(lib_rss_kib "$SRV_PID")"
    problems="$(server_log_problems)"
    dl=0
    loadgen "$WORK/$label.after" 120 download --url "${URL}big.bin" --count 1 --sha256 "$BIG_SHA" --timeout 60 || dl=$?
    echo "   fds $fd0 -> $fd1, sockets and served files $sock0 -> $sock1 (after ${waited}s), RSS $((rss0 / 1024)) -> $((rss1 / 1024)) MiB, problem lines in the server log: $problems"
    if ((status != 0)) || [[ "$(kv "$out" started)" != "$ABORT_REQUESTS" ]]; then
        record abort "$label storm ran" "loadgen exit $status, started $(kv "$out" started)/$ABORT_REQUESTS" "all requests" "could not run"
    fi
    record abort "$label client errors" "$(kv "$out" errors) ($(kv "$out" error_kinds))" 0 "$(met_if [ "$(kv "$out" errors)" = 0 ])"
    record abort "$label fds before/after" "$fd0 / $fd1 (waited ${waited}s)" "within 5 % (<= $((fd0 + tolerance)))" \
        "$(met_if [ "$fd1" -le $((fd0 + tolerance)) ])" assert
    record abort "$label sockets+files before/after" "$sock0 / $sock1" "back to $sock0" "$(met_if [ "$sock1" -le "$sock0" ])" assert
    record abort "$label RSS before/after" "$((rss0 / 1024)) / $((rss1 / 1024)) MiB" "within 5 %" \
        "$(met_if fcmp "$rss1 <= $rss0 * 1.05")"
    record abort "$label Unobserved/fail:/crit: lines" "$problems" 0 "$(met_if [ "$problems" = 0 ])" assert
    record abort "$label download after storm" "$( ((dl == 0)) && echo ok || echo "failed: $(kv "$WORK/$label.after" errors)")" "200, 64 MiB, sha256" \
        "$(met_if [ "$dl" = 0 ])" assert
    stop_server
    if ((problems > 0)); then
        grep -E 'Unobserved|fail:|crit:|Unhandled exception' "$SRV_ERR" | head -n 3 | cut -c1-300 | sed 's/^/   # /'
    fi
}

phase_abort() {
    echo
    echo "== abort storm: $ABORT_REQUESTS aborted requests per body path, concurrency $ABORT_CONCURRENCY, up to $ABORT_MAX_BYTES bytes read"
    abort_run abort-sendfile 1
    abort_run abort-copy 2 --no-sendfile
}

# ---------------------------------------------------------------------------------------------------------
# Phase: slowloris (with downloads alongside)

phase_slowloris() {
    local sl dl status dl_status closed median max sl_wrap
    echo
    echo "== slowloris: $SL_CLIENTS heads at one byte per ${SL_INTERVAL_MS} ms for ${SL_SECONDS}s, --header-timeout $SL_HEADER_TIMEOUT, $SL_DOWNLOADS downloads of 1 MiB alongside"
    start_fileserver slowloris --header-timeout "$SL_HEADER_TIMEOUT" || {
        record slowloris "server with --header-timeout" "$SRV_FAIL" - "could not run"
        return 0
    }
    sl="$WORK/slowloris.out" dl="$WORK/slowloris.downloads"
    loadgen_bg "$sl" $((SL_SECONDS + 60)) slowloris --url "${URL}small.txt" --clients "$SL_CLIENTS" \
        --interval-ms "$SL_INTERVAL_MS" --seconds "$SL_SECONDS"
    sl_wrap="$LG_WRAP"
    sleep 1
    dl_status=0
    loadgen "$dl" $((SL_SECONDS + 120)) download --url "${URL}m1.bin" --count "$SL_DOWNLOADS" --concurrency 4 \
        --sha256 "$M1_SHA" --timeout 30 --time-limit $((SL_SECONDS + 60)) || dl_status=$?
    status=0
    loadgen_wait "$sl_wrap" || status=$?
    closed="$(kv "$sl" closed_by_server)" median="$(kv "$sl" close_seconds_median)" max="$(kv "$sl" close_seconds_max)"
    echo "   downloads: $(kv "$dl" ok) ok, $(kv "$dl" failed) failed in $(kv "$dl" seconds)s ($(kv "$dl" errors))"
    echo "   slowloris: $(kv "$sl" connected) connected, $closed closed by the server ($(kv "$sl" close_kinds)), responses $(kv "$sl" statuses), still open $(kv "$sl" still_open); close after min/median/p90/max $(kv "$sl" close_seconds_min)/$median/$(kv "$sl" close_seconds_p90)/$max s"
    if ((status != 0)); then
        record slowloris "slowloris load" "loadgen exit $status" "runs to the end" "could not run"
    fi
    record slowloris "downloads during the attack" "$(kv "$dl" ok)/$SL_DOWNLOADS ok" "$SL_DOWNLOADS/$SL_DOWNLOADS" \
        "$(met_if [ "$dl_status" = 0 ])" assert
    record slowloris "connections cut by the server" "$closed/$SL_CLIENTS ($(kv "$sl" statuses))" "$SL_CLIENTS/$SL_CLIENTS" \
        "$(met_if [ "$closed" = "$SL_CLIENTS" ])" assert
    if [[ "$median" == - ]]; then
        record slowloris "time to close (median / max)" "none closed" "~${SL_HEADER_TIMEOUT} s" "not met" assert
    else
        record slowloris "time to close (median / max)" "$median / $max s" "~${SL_HEADER_TIMEOUT} s (median $(calc "$SL_HEADER_TIMEOUT - 0.5")-$((SL_HEADER_TIMEOUT + 2)) s)" \
            "$(met_if fcmp "$median >= $SL_HEADER_TIMEOUT - 0.5 && $median <= $SL_HEADER_TIMEOUT + 2")" assert
    fi
    stop_server
}

# ---------------------------------------------------------------------------------------------------------
# Phase: stalled reader (send timeout)

stalled_run() {
    local label="$1" out status after
    shift
    start_or_record stalled "$label drop after stall" "~${ST_SEND_TIMEOUT} s" fileserver "$label" --send-timeout "$ST_SEND_TIMEOUT" "$@" || return 0
    out="$WORK/$label.stalled"
    status=0
    loadgen "$out" $((ST_SECONDS + 90)) stalled --url "${URL}big.bin" --read-bytes "$ST_READ_BYTES" --seconds "$ST_SECONDS" || status=$?
    after="$(kv "$out" seconds_after_stop)"
    echo "   dropped: $(kv "$out" dropped) ($(kv "$out" how)) $after s after the reads stopped, $(kv "$out" seconds_after_window_full) s after the receive queue last grew ($(kv "$out" queued_bytes) bytes queued)"
    if ((status != 0)); then
        record stalled "$label drop after stall" "loadgen exit $status: $(head -n 1 "$out.err" 2>/dev/null)" "~${ST_SEND_TIMEOUT} s" "could not run"
    elif [[ "$(kv "$out" dropped)" != yes ]]; then
        record stalled "$label drop after stall" "not closed in ${ST_SEND_TIMEOUT}+${ST_SECONDS} s" "~${ST_SEND_TIMEOUT} s" "not met" assert
    else
        record stalled "$label drop after stall" "$after s ($(kv "$out" seconds_after_window_full) s after window full)" \
            "~${ST_SEND_TIMEOUT} s ($(calc "$ST_SEND_TIMEOUT - 0.5")-$((ST_SEND_TIMEOUT + 3)) s)" \
            "$(met_if fcmp "$after >= $ST_SEND_TIMEOUT - 0.5 && $after <= $ST_SEND_TIMEOUT + 3")" assert
    fi
    stop_server
}

phase_stalled() {
    echo
    echo "== stalled reader: --send-timeout $ST_SEND_TIMEOUT, reads $ST_READ_BYTES bytes then stops, waits up to ${ST_SECONDS}s"
    stalled_run stalled-sendfile
    stalled_run stalled-copy --no-sendfile
}

# ---------------------------------------------------------------------------------------------------------
# Phase: rate limit

rate_run() {
    local label="$1" out status rate percent
    shift
    start_or_record rate "$label rate" "1 MiB/s +-$RATE_TOLERANCE %" fileserver "$label" --limit-rate "$RATE_LIMIT" "$@" || return 0
    out="$WORK/$label.rate"
    status=0
    loadgen "$out" $((RATE_SECONDS + 60)) rate --url "${URL}big.bin" --seconds "$RATE_SECONDS" || status=$?
    rate="$(kv "$out" bytes_per_second)"
    if ((status != 0)) || [[ "$rate" == - ]]; then
        record rate "$label rate" "loadgen exit $status: $(head -n 1 "$out.err" 2>/dev/null)" "1 MiB/s +-$RATE_TOLERANCE %" "could not run"
    else
        percent="$(calc "($rate - $RATE_BYTES) * 100 / $RATE_BYTES")"
        echo "   $(kv "$out" body_bytes) body bytes in $(kv "$out" window_seconds) s: $(calc "$rate / 1024") KiB/s (after the first second $(calc "$(kv "$out" steady_bytes_per_second) / 1024") KiB/s); per second: $(kv "$out" per_second)"
        record rate "$label rate" "$(calc "$rate / 1024") KiB/s ($percent %)" "1024 KiB/s +-$RATE_TOLERANCE %" \
            "$(met_if fcmp "$percent >= -$RATE_TOLERANCE && $percent <= $RATE_TOLERANCE")" assert
    fi
    stop_server
}

phase_rate() {
    echo
    echo "== rate limit: --limit-rate $RATE_LIMIT, one reader for ${RATE_SECONDS}s"
    rate_run rate-sendfile
    rate_run rate-copy --no-sendfile
}

# ---------------------------------------------------------------------------------------------------------
# Run

for phase in "${PHASE_LIST[@]}"; do
    started="$EPOCHREALTIME"
    "phase_${phase//-/_}"
    PHASE_SECONDS[$phase]="$(elapsed_since "$started")"
    echo "   ($phase: ${PHASE_SECONDS[$phase]} s)"
done

if ((${#STOPS_BAD[@]} > 0)); then
    record all "FileServer exit code after SIGTERM" "$STOPS_OK ok; ${STOPS_BAD[*]}" "0, within ${STOP_TIMEOUT}s" "not met" assert
else
    record all "FileServer exit code after SIGTERM" "0 for all $STOPS_OK servers" "0, within ${STOP_TIMEOUT}s" met assert
fi

print_table
echo
if ((${#NOT_RUN[@]} > 0)); then
    echo "stress: ${#NOT_RUN[@]} measurement(s) could not run:"
    printf '  - %s\n' "${NOT_RUN[@]}"
fi
if ((SMOKE)); then
    if ((${#ASSERT_FAILED[@]} > 0)); then
        echo "stress: smoke assertions failed:"
        printf '  - %s\n' "${ASSERT_FAILED[@]}"
        exit 1
    fi
    ((${#NOT_RUN[@]} == 0)) || exit 1
    echo "stress: smoke passed"
    exit 0
fi
((${#NOT_RUN[@]} == 0)) || exit 1
exit 0
