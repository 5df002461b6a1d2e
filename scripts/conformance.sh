#!/usr/bin/env bash
# Differential conformance check of FileServer against nginx for byte ranges and conditional requests.
#
#   bash scripts/conformance.sh           # full matrix, FileServer on both body paths vs nginx
#   bash scripts/conformance.sh --smoke   # the first SMOKE_COUNT requests, default (sendfile) FileServer only
#
# Builds src/FileServer.Cli once (Release) into the work dir unless FILESERVER_DLL names an already built
# FileServer.Cli.dll. Installs nginx (nginx-light, else nginx), curl and python3 with apt-get if missing.
# Starts a private nginx (own nginx.conf, pid and error log in the work dir, 127.0.0.1 on a free port; the
# system nginx and its config are never touched) and FileServer on the same generated data dir, sends the
# same matrix of range/conditional requests to both and compares, per request:
#   - status, Content-Range, Content-Length and the body bytes (sha256);
#   - multipart/byteranges: the parts as (Content-Range, part bytes); the boundaries differ per server, so
#     Content-Length is only checked to be present and equal to the bytes received on each side;
#   - 4xx: status and Content-Range only (the error documents differ by design), Content-Length checked
#     against the bytes received on each side;
#   - 304: status, Content-Range, Content-Length as sent, an empty body, and that the server's own ETag
#     is repeated (RFC 9110 §15.4.5).
# Every body is also checked against the file itself ("!bytes" marks a body that is not the bytes asked for).
# ETag-based conditions use each server's own ETag (their formats differ), fetched first.
#
# Output: one line per request, "same - PASS:NAME" or "DIFF - PASS:NAME: fileserver <sig> vs nginx <sig>",
# where sig is status/cr=Content-Range/cl=Content-Length/sha=first 12 hex of the body's sha256 (or the list
# of parts), then "conformance: N requests, N same, N different". Differences are documented behaviour,
# not failures: the exit code is 0 with differences, non-zero if a server does not start, a request does
# not complete, or (full run) fewer than 60 requests ran per pass.
# CONFORMANCE_VERBOSE=1 also prints the signature of "same" lines; CONFORMANCE_KEEP=1 keeps the work dir
# (responses/PASS/N.{fileserver,nginx}.{hdr,body}, results.tsv indexed by N, server logs) for inspection.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MIN_REQUESTS=60
SMOKE_COUNT=10
FS_READY_TIMEOUT=60   # seconds to wait for a server to be ready
STOP_TIMEOUT=20       # seconds to wait for a server to stop after SIGTERM
SERVER_LIFETIME=1800  # hard bound on any one server run (timeout(1) ends it afterwards)
CURL_TIMEOUT=60       # per request
APT_WAIT=600          # seconds to wait for another apt/dpkg run to finish
APT_TIMEOUT=900       # per apt-get command

SMOKE=0
source "$REPO_ROOT/scripts/lib/load.sh" process apt fileserver nginx args
for arg in "$@"; do
    case "$arg" in
        --smoke) SMOKE=1 ;;
        -h | --help) lib_usage; exit 0 ;;
        *) echo "usage: $0 [--smoke]" >&2; exit 2 ;;
    esac
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-conformance.XXXXXX")"
KEEP="${CONFORMANCE_KEEP:-}"
LIB_NAME=conformance
FS_LIFETIME="$SERVER_LIFETIME"
lib_on_exit

# ---------------------------------------------------------------------------------------------------------
# Tools

nginx_ensure || true
apt_need curl:curl python3:python3 || true
NGINX="$(nginx_bin)"
[[ -n "$NGINX" ]] || lib_die "nginx is not available"
for tool in curl python3 timeout sha256sum dd truncate dotnet; do
    command -v "$tool" >/dev/null 2>&1 || lib_die "required tool '$tool' is not available"
done

# curl: -q (no .curlrc) must come first; never a proxy for loopback.
CURL=(curl -q -sS --noproxy '*' --connect-timeout 5 --max-time "$CURL_TIMEOUT" --path-as-is --http1.1)

# ---------------------------------------------------------------------------------------------------------
# Helper (python3, scripts/lib/conformance_helper.py): response signatures and comparison, dates.

py() { LC_ALL=C python3 "$REPO_ROOT/scripts/lib/conformance_helper.py" "$@"; }

# ---------------------------------------------------------------------------------------------------------
# Data dir (shared by both servers; readable by nginx's unprivileged workers)

chmod 755 "$WORK"
DATA="$WORK/data"
mkdir -p "$DATA"
GiB=$((1024 * 1024 * 1024))
MiB=$((1024 * 1024))
SPARSE_SIZE=$((5 * GiB))

: >"$DATA/empty.bin"
head -c 1 /dev/urandom >"$DATA/one.bin"
printf '0123456789\n' >"$DATA/eleven.txt"
head -c 10000 /dev/urandom >"$DATA/r10000.bin"
head -c "$MiB" /dev/urandom >"$DATA/r1m.bin"
truncate -s 5G "$DATA/sparse5g.bin"
for off in 0 $((2 * GiB - 7)) $((4 * GiB + 4093)) $((SPARSE_SIZE - MiB)); do
    head -c 4096 /dev/urandom | dd of="$DATA/sparse5g.bin" bs=4096 count=1 seek="$off" \
        oflag=seek_bytes conv=notrunc status=none
done
[[ "$(stat -c %s "$DATA/sparse5g.bin")" == "$SPARSE_SIZE" ]] || lib_die "sparse file has the wrong size"
# A fixed past modification time with a sub-second part: Last-Modified has whole seconds, so date
# conditions must compare at one-second granularity; "a day later" is still in the past.
touch -d '2024-03-05 06:07:08.123456789 UTC' "$DATA"/*
chmod 755 "$DATA"
chmod 644 "$DATA"/*

# ---------------------------------------------------------------------------------------------------------
# Servers

# start_nginx: sets NGINX_URL (without its trailing slash) and NGINX_PID.
start_nginx() {
    NGINX_WORKERS=1 NGINX_CONNECTIONS=64 NGINX_LIFETIME="$SERVER_LIFETIME" nginx_start nginx "$DATA" on || lib_die "nginx did not start"
    NGINX_URL="${NGINX_URL%/}" NGINX_PID="$NGINX_WRAPPER"
    echo "# nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') on $NGINX_URL (pid $NGINX_PID)"
}

build_cli() {
    [[ -z "${FILESERVER_DLL:-}" ]] && echo "# building src/FileServer.Cli (Release)"
    DLL="$(fs_build_cli)" || lib_die "build failed"
}

# start_fileserver LABEL ARGS... : sets FS_PID (the timeout(1) wrapper) and FS_URL (without its trailing slash).
start_fileserver() {
    local label="$1"
    shift
    fs_start "fileserver-$label" "$DATA" "$@" || lib_die "fileserver ($label) did not start"
    FS_PID="$FS_WRAPPER"
    FS_URL="${FS_URL%/}"
    echo "# fileserver ($label) on $FS_URL (pid $FS_PID)"
}

stop_fileserver() {
    local label="$1" rc=0
    lib_stop_pid "$FS_PID" || rc=$?
    ((rc == 0)) || echo "# fileserver ($label) exited with $rc"
}

# ---------------------------------------------------------------------------------------------------------
# The matrix: NAME|METHOD|PATH|HEADER|HEADER...
# Header values may use {ETAG} (the server's own current ETag), {LM} (Last-Modified), {LM_EARLIER} and
# {LM_LATER} (a day before/after), {LM_RFC850} and {LM_ASCTIME} (Last-Modified in the obsolete formats).
# The first SMOKE_COUNT lines are the --smoke slice.

FORTY_RANGES="bytes=$(for ((i = 0; i < 40; i++)); do printf '%s%d-%d' "$([[ $i -gt 0 ]] && echo ,)" $((i * 200)) $((i * 200 + 99)); done)"
THIRTY_TWO_RANGES="bytes=$(for ((i = 0; i < 32; i++)); do printf '%s%d-%d' "$([[ $i -gt 0 ]] && echo ,)" $((i * 200)) $((i * 200 + 99)); done)"
S_LAST=$((SPARSE_SIZE - 1))
G2=$((2 * GiB))
G4=$((4 * GiB))

matrix() {
    cat <<EOF
rfc14.1.2-first-500|GET|/r10000.bin|Range: bytes=0-499
rfc14.1.2-second-500|GET|/r10000.bin|Range: bytes=500-999
rfc14.1.2-final-500-suffix|GET|/r10000.bin|Range: bytes=-500
rfc14.1.2-final-500-open|GET|/r10000.bin|Range: bytes=9500-
rfc14.1.2-first-and-last|GET|/r10000.bin|Range: bytes=0-0,-1
rfc14.1.2-adjacent|GET|/r10000.bin|Range: bytes=500-600,601-999
rfc14.1.2-overlapping|GET|/r10000.bin|Range: bytes=500-700,601-999
head-range|HEAD|/r10000.bin|Range: bytes=0-499
5g-last-byte|GET|/sparse5g.bin|Range: bytes=$S_LAST-$S_LAST
inm-current|GET|/eleven.txt|If-None-Match: {ETAG}
go-0-4|GET|/eleven.txt|Range: bytes=0-4
go-2-open|GET|/eleven.txt|Range: bytes=2-
go-suffix-5|GET|/eleven.txt|Range: bytes=-5
go-3-7|GET|/eleven.txt|Range: bytes=3-7
go-0-0,-2|GET|/eleven.txt|Range: bytes=0-0,-2
go-0-1,5-8|GET|/eleven.txt|Range: bytes=0-1,5-8
go-0-1,5-|GET|/eleven.txt|Range: bytes=0-1,5-
go-5-1000|GET|/eleven.txt|Range: bytes=5-1000
go-0-,1-,2-,3-,4-|GET|/eleven.txt|Range: bytes=0-,1-,2-,3-,4-
go-0-9|GET|/eleven.txt|Range: bytes=0-9
go-0-10|GET|/eleven.txt|Range: bytes=0-10
go-0-11|GET|/eleven.txt|Range: bytes=0-11
go-10-11|GET|/eleven.txt|Range: bytes=10-11
go-10-open|GET|/eleven.txt|Range: bytes=10-
go-11-open|GET|/eleven.txt|Range: bytes=11-
go-11-12|GET|/eleven.txt|Range: bytes=11-12
go-12-12|GET|/eleven.txt|Range: bytes=12-12
go-11-100|GET|/eleven.txt|Range: bytes=11-100
go-12-100|GET|/eleven.txt|Range: bytes=12-100
go-100-open|GET|/eleven.txt|Range: bytes=100-
go-100-1000|GET|/eleven.txt|Range: bytes=100-1000
bad-empty-set|GET|/eleven.txt|Range: bytes=
bad-reversed|GET|/eleven.txt|Range: bytes=5-1
bad-suffix-zero|GET|/eleven.txt|Range: bytes=-0
bad-letters|GET|/eleven.txt|Range: bytes=a-b
bad-trailing-comma|GET|/eleven.txt|Range: bytes=1-2,
bad-leading-comma|GET|/eleven.txt|Range: bytes=,1-2
bad-double-comma|GET|/eleven.txt|Range: bytes=1-2,,4-5
bad-ows-around-comma|GET|/eleven.txt|Range: bytes=1-2 , 4-5
bad-space-after-equals|GET|/eleven.txt|Range: bytes= 1-2
bad-upper-unit|GET|/eleven.txt|Range: BYTES=1-2
bad-other-unit|GET|/eleven.txt|Range: items=1-2
bad-double-dash|GET|/eleven.txt|Range: bytes=--1
bad-huge-last|GET|/eleven.txt|Range: bytes=0-99999999999999999999
bad-huge-first|GET|/eleven.txt|Range: bytes=99999999999999999999-
bad-huge-suffix|GET|/eleven.txt|Range: bytes=-99999999999999999999
suffix-larger-than-file|GET|/eleven.txt|Range: bytes=-100
ranges-32|GET|/r10000.bin|Range: $THIRTY_TWO_RANGES
ranges-40|GET|/r10000.bin|Range: $FORTY_RANGES
ranges-sum-past-length|GET|/r10000.bin|Range: bytes=0-6000,4000-9999
ranges-unordered|GET|/r10000.bin|Range: bytes=9000-9099,0-99
empty-no-range|GET|/empty.bin|
empty-0-open|GET|/empty.bin|Range: bytes=0-
empty-suffix-1|GET|/empty.bin|Range: bytes=-1
one-0-0|GET|/one.bin|Range: bytes=0-0
one-suffix-1|GET|/one.bin|Range: bytes=-1
one-1-open|GET|/one.bin|Range: bytes=1-
1m-tail-open|GET|/r1m.bin|Range: bytes=1048000-
1m-two-64k|GET|/r1m.bin|Range: bytes=0-65535,983040-1048575
5g-last-mib-suffix|GET|/sparse5g.bin|Range: bytes=-$MiB
5g-last-mib-open|GET|/sparse5g.bin|Range: bytes=$((SPARSE_SIZE - MiB))-
5g-across-2gib|GET|/sparse5g.bin|Range: bytes=$((G2 - 100))-$((G2 + 100))
5g-across-4gib|GET|/sparse5g.bin|Range: bytes=$((G4 - 1000))-$((G4 + 5000))
5g-two-parts-past-4gib|GET|/sparse5g.bin|Range: bytes=0-99,$((G4 + 4000))-$((G4 + 4199))
5g-past-end|GET|/sparse5g.bin|Range: bytes=$SPARSE_SIZE-
5g-head-range|HEAD|/sparse5g.bin|Range: bytes=$G4-$((G4 + 99))
inm-other|GET|/eleven.txt|If-None-Match: "other"
inm-star|GET|/eleven.txt|If-None-Match: *
inm-weak-current|GET|/eleven.txt|If-None-Match: W/{ETAG}
inm-list|GET|/eleven.txt|If-None-Match: "x", {ETAG}
inm-current-head|HEAD|/eleven.txt|If-None-Match: {ETAG}
im-current|GET|/eleven.txt|If-Match: {ETAG}
im-other|GET|/eleven.txt|If-Match: "other"
im-star|GET|/eleven.txt|If-Match: *
im-weak-current|GET|/eleven.txt|If-Match: W/{ETAG}
im-list|GET|/eleven.txt|If-Match: "x", {ETAG}
ims-equal|GET|/eleven.txt|If-Modified-Since: {LM}
ims-earlier|GET|/eleven.txt|If-Modified-Since: {LM_EARLIER}
ims-later|GET|/eleven.txt|If-Modified-Since: {LM_LATER}
ims-invalid|GET|/eleven.txt|If-Modified-Since: yesterday
ims-equal-rfc850|GET|/eleven.txt|If-Modified-Since: {LM_RFC850}
ims-equal-asctime|GET|/eleven.txt|If-Modified-Since: {LM_ASCTIME}
ius-earlier|GET|/eleven.txt|If-Unmodified-Since: {LM_EARLIER}
ius-equal|GET|/eleven.txt|If-Unmodified-Since: {LM}
ius-later|GET|/eleven.txt|If-Unmodified-Since: {LM_LATER}
ir-etag-current|GET|/r10000.bin|Range: bytes=0-99|If-Range: {ETAG}
ir-etag-stale|GET|/r10000.bin|Range: bytes=0-99|If-Range: "stale"
ir-etag-weak|GET|/r10000.bin|Range: bytes=0-99|If-Range: W/{ETAG}
ir-date-current|GET|/r10000.bin|Range: bytes=0-99|If-Range: {LM}
ir-date-stale|GET|/r10000.bin|Range: bytes=0-99|If-Range: {LM_EARLIER}
ir-date-current-multi|GET|/r10000.bin|Range: bytes=0-99,200-299|If-Range: {LM}
ir-without-range|GET|/eleven.txt|If-Range: {ETAG}
order-inm-other-ims-equal|GET|/eleven.txt|If-None-Match: "other"|If-Modified-Since: {LM}
order-inm-current-ims-earlier|GET|/eleven.txt|If-None-Match: {ETAG}|If-Modified-Since: {LM_EARLIER}
order-im-current-ius-earlier|GET|/eleven.txt|If-Match: {ETAG}|If-Unmodified-Since: {LM_EARLIER}
order-im-other-ius-later|GET|/eleven.txt|If-Match: "other"|If-Unmodified-Since: {LM_LATER}
order-im-other-inm-current|GET|/eleven.txt|If-Match: "other"|If-None-Match: {ETAG}
order-ius-earlier-inm-current|GET|/eleven.txt|If-Unmodified-Since: {LM_EARLIER}|If-None-Match: {ETAG}
order-inm-current-range|GET|/r10000.bin|Range: bytes=0-99|If-None-Match: {ETAG}
order-inm-current-ir-stale|GET|/r10000.bin|Range: bytes=0-99|If-None-Match: {ETAG}|If-Range: "stale"
order-im-other-range|GET|/r10000.bin|Range: bytes=0-99|If-Match: "other"
order-ius-earlier-range|GET|/r10000.bin|Range: bytes=0-99|If-Unmodified-Since: {LM_EARLIER}
order-ims-later-range|GET|/r10000.bin|Range: bytes=0-99|If-Modified-Since: {LM_LATER}
order-ims-earlier-range|GET|/r10000.bin|Range: bytes=0-99|If-Modified-Since: {LM_EARLIER}
head-multi-range|HEAD|/r10000.bin|Range: bytes=0-9,20-29
head-unsatisfiable|HEAD|/eleven.txt|Range: bytes=100-
resume-complete-10000|GET|/r10000.bin|Range: bytes=10000-
resume-complete-1m|GET|/r1m.bin|Range: bytes=$MiB-
resume-complete-eleven|GET|/eleven.txt|Range: bytes=11-
resume-partial-1m|GET|/r1m.bin|Range: bytes=$((MiB / 2))-
whole-eleven|GET|/eleven.txt|
whole-10000|GET|/r10000.bin|
whole-1m|GET|/r1m.bin|
EOF
}

# ---------------------------------------------------------------------------------------------------------
# Requests

# validators SIDE URL : sets V_ETAG_<SIDE> and V_LM_<SIDE> from a HEAD of /eleven.txt (all files share
# the modification time, so Last-Modified is the same for every file; ETags are fetched per file below).
declare -A ETAGS=()
LM=""
fetch_validators() {
    local side="$1" url="$2" path hdr
    for path in /eleven.txt /r10000.bin /r1m.bin /one.bin /empty.bin /sparse5g.bin; do
        hdr="$WORK/validators-$side.hdr"
        "${CURL[@]}" -I -D "$hdr" -o /dev/null "$url$path" || lib_die "HEAD $path on $side failed"
        ETAGS["$side$path"]="$(py field "$hdr" ETag)"
        if [[ "$side" == nginx && "$path" == /eleven.txt ]]; then
            LM="$(py field "$hdr" Last-Modified)"
        fi
    done
}

subst() {
    local v="$1" etag="$2"
    v="${v//\{ETAG\}/$etag}"
    v="${v//\{LM_EARLIER\}/$LM_EARLIER}"
    v="${v//\{LM_LATER\}/$LM_LATER}"
    v="${v//\{LM_RFC850\}/$LM_RFC850}"
    v="${v//\{LM_ASCTIME\}/$LM_ASCTIME}"
    v="${v//\{LM\}/$LM}"
    printf '%s' "$v"
}

# fetch SIDE URL OUTPREFIX METHOD PATH HEADERS... : one request; returns curl's exit code (63 = body larger
# than --max-filesize, which counts as complete: the head is what is compared then).
fetch() {
    local side="$1" url="$2" out="$3" method="$4" path="$5" etag h rc=0
    shift 5
    etag="${ETAGS[$side$path]}"
    local args=(-D "$out.hdr" --max-filesize $((1 << 30)))
    # HEAD: curl -I reads no body and would copy the head into -o; the body file stays empty.
    if [[ "$method" == HEAD ]]; then
        args+=(-I -o /dev/null)
    else
        args+=(-o "$out.body")
    fi
    for h in "$@"; do
        [[ -n "$h" ]] && args+=(-H "$(subst "$h" "$etag")")
    done
    : >"$out.body"
    rm -f "$out.body.toolarge"
    "${CURL[@]}" "${args[@]}" "$url$path" 2>"$out.err" || rc=$?
    if ((rc == 63)); then
        : >"$out.body.toolarge"
        rc=0
    fi
    return "$rc"
}

TOTAL=0
SAME=0
DIFFERENT=0
FAILED=0

# run_pass LABEL LIMIT : the matrix (first LIMIT lines, 0 = all) against FS_URL and NGINX_URL.
run_pass() {
    local label="$1" limit="$2" n=0 line name method path result dir="$WORK/responses/$1" rc
    local pass_same=0 pass_diff=0 pass_total=0
    mkdir -p "$dir"
    echo "# pass $label: fileserver $FS_URL vs nginx $NGINX_URL"
    while IFS= read -r line; do
        [[ -n "$line" ]] || continue
        n=$((n + 1))
        if ((limit > 0 && n > limit)); then
            break
        fi
        local fields=()
        IFS='|' read -r -a fields <<<"$line"
        name="${fields[0]}"
        method="${fields[1]}"
        path="${fields[2]}"
        local headers=("${fields[@]:3}")
        rc=0
        fetch fileserver "$FS_URL" "$dir/$n.fileserver" "$method" "$path" "${headers[@]}" || rc=$?
        if ((rc != 0)); then
            FAILED=$((FAILED + 1))
            echo "FAIL - $label:$name: request to fileserver did not complete (curl exit $rc: $(head -c 200 "$dir/$n.fileserver.err"))"
            continue
        fi
        fetch nginx "$NGINX_URL" "$dir/$n.nginx" "$method" "$path" "${headers[@]}" || rc=$?
        if ((rc != 0)); then
            FAILED=$((FAILED + 1))
            echo "FAIL - $label:$name: request to nginx did not complete (curl exit $rc: $(head -c 200 "$dir/$n.nginx.err"))"
            continue
        fi
        result="$(py compare "$method" "$DATA$path" \
            "$dir/$n.fileserver.hdr" "$dir/$n.fileserver.body" "${ETAGS[fileserver$path]}" \
            "$dir/$n.nginx.hdr" "$dir/$n.nginx.body" "${ETAGS[nginx$path]}")" ||
            lib_die "comparison helper failed on $label:$name"
        pass_total=$((pass_total + 1))
        printf '%s\t%s:%s\t%s\n' "$n" "$label" "$name" "$result" >>"$WORK/results.tsv"
        if [[ "$result" == same$'\t'* ]]; then
            pass_same=$((pass_same + 1))
            if [[ -n "${CONFORMANCE_VERBOSE:-}" ]]; then
                echo "same - $label:$name: ${result#same$'\t'}"
            else
                echo "same - $label:$name"
            fi
        else
            pass_diff=$((pass_diff + 1))
            echo "DIFF - $label:$name: $result"
        fi
    done < <(matrix)
    echo "# pass $label: $pass_total requests, $pass_same same, $pass_diff different"
    TOTAL=$((TOTAL + pass_total))
    SAME=$((SAME + pass_same))
    DIFFERENT=$((DIFFERENT + pass_diff))
    PASS_TOTAL="$pass_total"
}

# ---------------------------------------------------------------------------------------------------------
# Main

MATRIX_SIZE="$(matrix | grep -c .)"
if ((SMOKE == 0 && MATRIX_SIZE < MIN_REQUESTS)); then
    lib_die "the matrix has $MATRIX_SIZE requests, fewer than $MIN_REQUESTS"
fi

build_cli
start_nginx
fetch_validators nginx "$NGINX_URL"
[[ -n "$LM" && "$LM" != - ]] || lib_die "nginx sent no Last-Modified"
mapfile -t _dates < <(py dates "$LM")
LM_EARLIER="${_dates[0]}"
LM_LATER="${_dates[1]}"
LM_RFC850="${_dates[2]}"
LM_ASCTIME="${_dates[3]}"
echo "# Last-Modified $LM; nginx ETag of /eleven.txt ${ETAGS[nginx/eleven.txt]}"

if ((SMOKE)); then
    PASSES=(sendfile)
    LIMIT="$SMOKE_COUNT"
else
    PASSES=(sendfile no-sendfile)
    LIMIT=0
fi

SHORT=0
for pass in "${PASSES[@]}"; do
    if [[ "$pass" == no-sendfile ]]; then
        start_fileserver "$pass" --no-sendfile
    else
        start_fileserver "$pass"
    fi
    fetch_validators fileserver "$FS_URL"
    fs_lm="$(py field "$WORK/validators-fileserver.hdr" Last-Modified)"
    [[ "$fs_lm" == "$LM" ]] || echo "# note: Last-Modified differs: fileserver $fs_lm, nginx $LM"
    echo "# fileserver ETag of /eleven.txt ${ETAGS[fileserver/eleven.txt]}"
    run_pass "$pass" "$LIMIT"
    stop_fileserver "$pass"
    if ((SMOKE == 0 && PASS_TOTAL < MIN_REQUESTS)); then
        SHORT=1
    elif ((SMOKE == 1 && PASS_TOTAL < SMOKE_COUNT)); then
        SHORT=1
    fi
done

echo "conformance: $TOTAL requests, $SAME same, $DIFFERENT different"
if ((FAILED > 0)); then
    echo "# $FAILED request(s) did not complete" >&2
    exit 1
fi
if ((SHORT)); then
    echo "# fewer requests ran than required" >&2
    exit 1
fi
exit 0
