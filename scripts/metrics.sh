#!/usr/bin/env bash
# The meter and the Prometheus endpoint from outside, against a running server:
#   1. dotnet-counters (installed as a .NET tool into the work dir) reads the meter FileServer while known traffic
#      runs, and the counts it reports match the traffic;
#   2. curl scrapes --metrics-port, and every line of the answer follows the Prometheus text format (0.0.4): HELP and
#      TYPE once per family and before its samples, sample lines of NAME{LABELS} VALUE, histogram buckets cumulative
#      and ending with +Inf equal to _count.
#
#   bash scripts/metrics.sh [--smoke]      (--smoke: the same, with less traffic; part of the test command)
#
# FILESERVER_DLL skips the build. Ends with "metrics: N passed, N failed".
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REQUESTS=200
[[ "${1:-}" == --smoke ]] && REQUESTS=40
export LC_ALL=C DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-metrics.XXXXXX")"
LIB_NAME=metrics
source "$REPO_ROOT/scripts/lib/load.sh" process apt fileserver check
CHECK_LINES=20
lib_on_exit

apt_need curl:curl || lib_die "curl is missing"
DLL="$(fs_build_cli)" || lib_die "the CLI could not be built"
mkdir -p "$WORK/root"
head -c 100000 /dev/urandom >"$WORK/root/file.bin"
FS_LIFETIME=600 fs_start server "$WORK/root" --metrics-port 0 --no-access-log || lib_die "the server did not start"
for _ in $(seq 100); do grep -q 'Metrics on ' "$WORK/server.err" && break; sleep 0.1; done
METRICS_URL="$(grep -o 'http://127.0.0.1:[0-9]*/metrics' "$WORK/server.err" | head -n 1)"

traffic() {
    local i
    for ((i = 0; i < REQUESTS; i++)); do curl -q -sf -o /dev/null "${FS_URL}file.bin"; done
    for ((i = 0; i < REQUESTS / 4; i++)); do curl -q -s -o /dev/null "${FS_URL}missing"; done
}

# dotnet-counters collects the meter into a CSV while the traffic runs; its last fileserver.requests rates summed
# over the run are the requests sent.
counters_see_the_meter() {
    timeout 300 dotnet tool install --tool-path "$WORK/tools" dotnet-counters >"$WORK/tool.log" 2>&1 \
        || { tail -n 5 "$WORK/tool.log"; return 1; }
    # A session of fixed length (it stops by itself and writes its file); the traffic runs inside it.
    timeout 90 "$WORK/tools/dotnet-counters" collect -p "$FS_PID" --counters FileServer --refresh-interval 1 \
        --duration 00:00:00:12 --format csv -o "$WORK/counters.csv" </dev/null >"$WORK/counters.out" 2>&1 &
    local collector=$!
    for _ in $(seq 100); do grep -q 'Starting a counter session' "$WORK/counters.out" && break; sleep 0.1; done
    traffic
    wait "$collector" || { echo "dotnet-counters failed:"; cat "$WORK/counters.out"; return 1; }
    head -n 3 "$WORK/counters.csv"
    grep -q 'fileserver.requests' "$WORK/counters.csv" || { echo "no fileserver.requests in the CSV"; return 1; }
    local seen
    seen="$(awk -F, '/fileserver.requests/ && /2xx/ { s += $NF } END { printf "%.0f", s }' "$WORK/counters.csv")"
    echo "2xx requests seen by dotnet-counters: $seen of $REQUESTS sent"
    ((seen == REQUESTS))
}

# Every line of the scrape in the text format, families declared once and before their samples.
scrape_is_prometheus_text() {
    curl -q -sf -D "$WORK/scrape.headers" -o "$WORK/scrape.txt" "$METRICS_URL" || { echo "scrape failed"; return 1; }
    grep -qi '^Content-Type: text/plain; version=0.0.4' "$WORK/scrape.headers" || { cat "$WORK/scrape.headers"; return 1; }
    awk '
        /^# HELP / { next }
        /^# TYPE / { if ($3 in type) { print "TYPE twice: " $3; bad = 1 } type[$3] = $4; next }
        /^#/ { print "unknown comment: " $0; bad = 1; next }
        {
            if ($0 !~ /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? -?[0-9.eE+-]+$|\+Inf$/) { print "not a sample: " $0; bad = 1; next }
            name = $1; sub(/\{.*/, "", name); family = name
            sub(/_(bucket|sum|count)$/, "", family)
            if (!(family in type) && !(name in type)) { print "sample before its TYPE: " $0; bad = 1 }
            if (name ~ /_bucket$/) { if ($2 + 0 < last[family] + 0 && $0 !~ /le="0.001"/) { print "buckets not cumulative: " $0; bad = 1 } last[family] = $2 }
        }
        END { exit bad }' "$WORK/scrape.txt" || return 1
    local count inf
    count="$(awk '/^fileserver_response_duration_seconds_count / { print $2 }' "$WORK/scrape.txt")"
    inf="$(awk '/^fileserver_response_duration_seconds_bucket\{le="\+Inf"\} / { print $2 }' "$WORK/scrape.txt")"
    echo "duration histogram: +Inf bucket $inf, count $count"
    [[ -n "$count" && "$count" == "$inf" ]]
}

check "dotnet-counters reads the meter FileServer and counts the requests sent" counters_see_the_meter
check "curl scrapes --metrics-port in the Prometheus text format" scrape_is_prometheus_text
check_summary metrics
