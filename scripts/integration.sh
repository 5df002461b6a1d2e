#!/usr/bin/env bash
# End-to-end check of the FileServer CLI with real clients (curl, wget, raw /dev/tcp).
#
#   bash scripts/integration.sh
#
# Builds src/FileServer.Cli once (Release) unless FILESERVER_DLL names an already built FileServer.Cli.dll,
# serves a generated tree on 127.0.0.1 with an ephemeral port, once per body path (sendfile, --no-sendfile)
# and once over HTTPS (a CA/intermediate/leaf chain made with openssl; curl --cacert, wget --ca-certificate,
# aria2c --ca-certificate), plus short HTTPS runs (PKCS#12, --tls-self-signed with --tls-port), and prints one line per check ("ok - NAME" / "not ok - NAME" plus "#" diagnostics). The last line is
# always exactly "integration: N passed, N failed"; the exit code is 1 if any check failed.
# FILESERVER_IT_KEEP=1 keeps the temporary directory (server logs, downloads) for inspection.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOST=127.0.0.1
READY_TIMEOUT=30      # seconds to wait for the ready file
STOP_TIMEOUT=20       # seconds to wait for a graceful stop after SIGTERM
SERVER_LIFETIME=300   # hard bound on any one server run (timeout(1) kills it afterwards)
CURL_TIMEOUT=60       # per curl invocation
WGET_TIMEOUT=30       # wget --timeout (connect/read); the whole call is also wrapped in timeout(1)

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-it.XXXXXX")"

# Interrupted: count it as a failure and still end with the summary line (on the original stdout, fd 3,
# since a check may have redirected stdout when the signal arrives).
interrupted() {
    trap - INT TERM
    FAIL=$((FAIL + 1))
    echo "not ok - interrupted by SIG$1" >&3
    echo "integration: $PASS passed, $FAIL failed" >&3
    exit "$2"
}
exec 3>&1
KEEP="${FILESERVER_IT_KEEP:-}"
STOP_TIMEOUT=5
source "$REPO_ROOT/scripts/lib/load.sh" process apt fileserver check
lib_on_exit
trap 'interrupted INT 130' INT
trap 'interrupted TERM 143' TERM

# ---------------------------------------------------------------------------------------------------------
# Reporting

finish() {
    check_summary integration || exit 1
    exit 0
}

# ---------------------------------------------------------------------------------------------------------
# Tools

apt_need curl:curl wget:wget aria2c:aria2 openssl:openssl ss:iproute2 strace:strace || true
for tool in dotnet curl wget aria2c openssl ss strace sha256sum timeout od pgrep setpriv; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "not ok - required tool '$tool' is available"
        FAIL=$((FAIL + 1))
        finish
    fi
done

# curl: -q (no .curlrc) must come first; never go through a proxy for loopback.
CURL=(curl -q -sS --noproxy '*' --max-time "$CURL_TIMEOUT")
WGET=(timeout --foreground -k 5 "$((WGET_TIMEOUT * 2))" wget --no-config -q --no-proxy --tries=1 --timeout="$WGET_TIMEOUT")
# Over HTTPS, run_mode adds the trust anchor to every client: these stay empty for plain HTTP.
CA_FILE=""
WGET_TLS=()
ARIA_TLS=()

# ---------------------------------------------------------------------------------------------------------
# Build

build_cli() { DLL="$(fs_build_cli)"; }

DLL=""
if [[ -n "${FILESERVER_DLL:-}" ]]; then
    check "CLI assembly present (FILESERVER_DLL)" build_cli
else
    check "build src/FileServer.Cli (Release)" build_cli
fi
if [[ -z "$DLL" || ! -f "$DLL" ]]; then
    finish
fi

# ---------------------------------------------------------------------------------------------------------
# Test tree

ROOT="$WORK/root"
mkdir -p "$ROOT/dir" "$ROOT/sub"
NONCE="$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

: >"$ROOT/empty.bin"
head -c 1 /dev/urandom >"$ROOT/one.bin"
head -c 65535 /dev/urandom >"$ROOT/b65535.bin"
head -c 65536 /dev/urandom >"$ROOT/b65536.bin"
head -c 65537 /dev/urandom >"$ROOT/b65537.bin"
head -c $((10 * 1024 * 1024)) /dev/urandom >"$ROOT/big.bin"
head -c $((256 * 1024 * 1024)) /dev/urandom >"$ROOT/r256.bin"
printf 'hello from a name with a space and unicode\n' >"$ROOT/dir/hé llo.txt"
printf '<!doctype html>\n<title>sub</title>\n<p>index of sub %s</p>\n' "$NONCE" >"$ROOT/sub/index.html"
ln -s "b65537.bin" "$ROOT/inside-link.bin"

# Files every client downloads; the request path is derived from the relative name.
FILES=(empty.bin one.bin b65535.bin b65536.bin b65537.bin big.bin "dir/hé llo.txt" sub/index.html inside-link.bin)

# Percent-encodes everything but unreserved characters and '/' (UTF-8 bytes as they are in the name).
urlencode() {
    local hex out="" byte
    hex="$(printf '%s' "$1" | od -An -v -tx1 | tr -s ' \n' ' ')"
    for byte in $hex; do
        case "$byte" in
            2d | 2e | 2f | 5f | 7e | 3[0-9] | 4[1-9a-f] | 5[0-9a] | 6[1-9a-f] | 7[0-9a])
                out+="$(printf '%b' "\\x$byte")" ;;
            *)
                out+="%${byte^^}" ;;
        esac
    done
    printf '%s' "$out"
}

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# ---------------------------------------------------------------------------------------------------------
# Server control

# start_server LABEL ARGS... : sets SERVER_PID, SERVER_OUT, SERVER_ERR, READY_FILE (URL is set by wait_ready).
start_server() {
    local label="$1"
    shift
    SERVER_OUT="$WORK/server-$label.out"
    SERVER_ERR="$WORK/server-$label.err"
    READY_FILE="$WORK/server-$label.ready"
    URL=""
    FS_LIFETIME="$SERVER_LIFETIME" fs_spawn "server-$label" "$ROOT" "$@"
    SERVER_PID="$FS_WRAPPER"
}

wait_ready() {
    local rc=0
    fs_wait "$READY_FILE" "$SERVER_PID" "$READY_TIMEOUT" || rc=$?
    if ((rc == 1)); then
        echo "server exited before becoming ready; stderr:"
        head -n 10 "$SERVER_ERR"
        return 1
    elif ((rc != 0)); then
        echo "no ready file after ${READY_TIMEOUT}s; stderr:"
        head -n 10 "$SERVER_ERR"
        return 1
    fi
    URL="$(head -n 1 "$READY_FILE")"
    if [[ ! "$URL" =~ ^https?://127\.0\.0\.1:[0-9]+/$ ]]; then
        echo "ready file holds '$URL', expected http(s)://127.0.0.1:PORT/"
        return 1
    fi
    PORT="${URL#http*://127.0.0.1:}"
    PORT="${PORT%/}"
    BASE="${URL%/}"
}

# stop_server: SIGTERM, bounded wait, exit code must be 0.
stop_server() {
    local rc=0
    kill -0 "$SERVER_PID" 2>/dev/null || echo "server (pid $SERVER_PID) already gone"
    lib_stop_pid "$SERVER_PID" || rc=$?
    if ((LIB_KILLED)); then
        echo "still running ${STOP_TIMEOUT}s after SIGTERM; killing it"
        return 1
    fi
    if ((rc != 0)); then
        echo "exit code $rc after SIGTERM, expected 0; stderr tail:"
        tail -n 5 "$SERVER_ERR"
        return 1
    fi
    [[ ! -e "$READY_FILE" ]] || { echo "the ready file $READY_FILE outlived the server"; return 1; }
}

# ---------------------------------------------------------------------------------------------------------
# Checks (each prints its own diagnostic and returns non-zero on failure)

stdout_announces_url() {
    grep -qxF "Listening on $URL" "$SERVER_OUT" || { echo "stdout:"; cat "$SERVER_OUT"; return 1; }
}

curl_download() { # REL
    local rel="$1" dest="$WORK/dl.curl" code want got
    : >"$dest"
    code="$("${CURL[@]}" -o "$dest" -w '%{http_code}' "$URL$(urlencode "$rel")")" || { echo "curl failed (code '$code')"; return 1; }
    [[ "$code" == 200 ]] || { echo "status $code, expected 200"; return 1; }
    want="$(sha_of "$ROOT/$rel")"
    got="$(sha_of "$dest")"
    [[ "$want" == "$got" ]] || { echo "sha256 $got ($(stat -c %s "$dest") bytes), expected $want ($(stat -L -c %s "$ROOT/$rel") bytes)"; return 1; }
}

wget_download() { # REL
    local rel="$1" dest="$WORK/dl.wget" want got
    rm -f "$dest"
    "${WGET[@]}" -O "$dest" "$URL$(urlencode "$rel")" || { echo "wget exited $?"; return 1; }
    want="$(sha_of "$ROOT/$rel")"
    got="$(sha_of "$dest")"
    [[ "$want" == "$got" ]] || { echo "sha256 $got ($(stat -c %s "$dest") bytes), expected $want"; return 1; }
}

# The directory URL with a slash serves its index.html.
curl_directory_index() {
    local dest="$WORK/dl.index" code
    code="$("${CURL[@]}" -o "$dest" -w '%{http_code}' "${BASE}/sub/")" || { echo "curl failed"; return 1; }
    [[ "$code" == 200 ]] || { echo "GET /sub/ -> $code, expected 200"; return 1; }
    cmp -s "$dest" "$ROOT/sub/index.html" || { echo "GET /sub/ body differs from sub/index.html"; return 1; }
}

# access_log_shows PATH MODE : a 200 access-log line for GET PATH ends in body=MODE (logs are asynchronous).
access_log_shows() {
    local path="$1" mode="$2" size="$3" i
    local pattern="\"GET ${path//./\\.} HTTP/1\\.1\" 200 $size [0-9]+ms body=$mode\$"
    for ((i = 0; i < 50; i++)); do
        grep -qE -- "$pattern" "$SERVER_ERR" && return 0
        sleep 0.1
    done
    echo "no access-log line matching: $pattern"
    echo "access-log lines for $path:"
    grep -F "\"GET $path " "$SERVER_ERR" | head -n 5
    return 1
}

no_access_log_with() { # MODE
    if grep -qE "body=$1\$" "$SERVER_ERR"; then
        echo "found body=$1 lines:"
        grep -E "body=$1\$" "$SERVER_ERR" | head -n 3
        return 1
    fi
}

head_request() { # REL
    local rel="$1" hdr="$WORK/head.hdr" out="$WORK/head.out" size code
    size="$(stat -L -c %s "$ROOT/$rel")"
    "${CURL[@]}" -I -o "$out" -D "$hdr" "$URL$(urlencode "$rel")" || { echo "curl -I failed"; return 1; }
    code="$(head -n 1 "$hdr" | tr -d '\r')"
    [[ "$code" =~ ^HTTP/1\.1\ 200 ]] || { echo "status line '$code', expected HTTP/1.1 200"; return 1; }
    grep -qiE "^content-length: *$size"$'\r'"?$" "$hdr" || { echo "no Content-Length: $size in:"; cat "$hdr"; return 1; }
}

# HEAD over a raw socket: after the head, the server must send nothing (Connection: close, read to EOF).
head_has_no_body() { # REL
    local rel="$1" raw="$WORK/head.raw" total headlen
    # shellcheck disable=SC2016 # the inner script reads its own positional parameters
    timeout 10 bash -c '
        exec 3<>"/dev/tcp/$1/$2" || exit 1
        printf "HEAD %s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n" "$3" "$1" "$2" >&3
        cat <&3' _ "$HOST" "$PORT" "/$(urlencode "$rel")" >"$raw" || { echo "raw HEAD failed or timed out"; return 1; }
    total="$(stat -c %s "$raw")"
    # Length of the head up to and including the first CRLFCRLF.
    headlen="$(LC_ALL=C awk 'BEGIN { RS = "\r\n\r\n" } NR == 1 { print length($0) + 4; exit }' "$raw")"
    [[ -n "$headlen" && "$total" -gt 0 ]] || { echo "no response head"; return 1; }
    ((total == headlen)) || { echo "$((total - headlen)) bytes after the HEAD response head (total $total, head $headlen)"; return 1; }
}

redirect_followed() {
    local dest="$WORK/dl.follow" code
    code="$("${CURL[@]}" -L --max-redirs 3 -o "$dest" -w '%{http_code}' "$BASE/sub")" || { echo "curl failed"; return 1; }
    [[ "$code" == 200 ]] || { echo "curl -L /sub -> $code, expected 200"; return 1; }
    cmp -s "$dest" "$ROOT/sub/index.html" || { echo "curl -L /sub: body differs from sub/index.html"; return 1; }
}

# refused PATH [MARKER] : never 200, never /etc/passwd, never MARKER.
# not_found PATH MARKER : exactly 404 and the marker never shows.
# Three transfers in one curl invocation: one connection, three intact bodies.
keep_alive_verbose() {
    local u="$BASE/one.bin" log="$WORK/ka.verbose"
    "${CURL[@]}" -v -o /dev/null -o /dev/null -o /dev/null "$u" "$u" "$u" 2>"$log" || { echo "curl failed"; return 1; }
    grep -qiE 're-?using existing( http:)? connection' "$log" || { echo "curl -v never reused the connection:"; grep -E '^\*' "$log" | head -n 8; return 1; }
}

# A file replaced by mv (same size, same mtime: only the inode differs) is served new at once, even though the
# server keeps recently served files open; a deleted one is 404 at once.
replaced_then_deleted() {
    local f="$ROOT/replaced.bin" dest="$WORK/dl.replaced" code want
    head -c 300000 /dev/urandom >"$f"
    "${CURL[@]}" -o "$dest" "$URL"replaced.bin || { echo "first download failed"; return 1; }
    [[ "$(sha_of "$dest")" == "$(sha_of "$f")" ]] || { echo "first download differs"; return 1; }
    head -c 300000 /dev/urandom >"$f.new"
    touch -r "$f" "$f.new"
    mv -f "$f.new" "$f"
    want="$(sha_of "$f")"
    "${CURL[@]}" -o "$dest" "$URL"replaced.bin || { echo "second download failed"; return 1; }
    [[ "$(sha_of "$dest")" == "$want" ]] || { echo "after mv: the old bytes (or a mix) were served"; return 1; }
    rm -f "$f"
    code="$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$URL"replaced.bin)"
    [[ "$code" == 404 ]] || { echo "after rm: status $code, expected 404"; return 1; }
}

# Four simultaneous downloads of the large file, all intact.
concurrent_downloads() {
    local i pids=() want rc=0
    want="$(sha_of "$ROOT/big.bin")"
    for i in 1 2 3 4; do
        "${CURL[@]}" -o "$WORK/par.$i" "$BASE/big.bin" &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || { echo "curl #$((i + 1)) failed"; rc=1; }
    done
    for i in 1 2 3 4; do
        [[ -f "$WORK/par.$i" && "$(sha_of "$WORK/par.$i")" == "$want" ]] || { echo "download #$i differs"; rc=1; }
    done
    return "$rc"
}

no_error_logs() {
    if grep -qE '(^| )(fail|crit): |Unhandled exception' "$SERVER_ERR"; then
        grep -E '(^| )(fail|crit): |Unhandled exception' "$SERVER_ERR" | head -n 5
        return 1
    fi
}

# refused_start NAME ARGS... : runs the CLI (bounded) and records its exit code and stderr as NAME.rc / NAME.err.
refused_start() {
    local name="$1" rc=0
    shift
    timeout --foreground -k 5 30 dotnet "$DLL" "$@" </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    echo "$rc" >"$WORK/$name.rc"
}

exited_non_zero() { # NAME
    local rc
    rc="$(cat "$WORK/$1.rc")"
    ((rc == 124 || rc == 137)) && { echo "still running after 30s (timeout(1) exit $rc)"; return 1; }
    ((rc != 0)) || { echo "exit code 0, expected non-zero"; return 1; }
    if grep -q 'Listening on' "$WORK/$1.out"; then echo "exit $rc but announced a listening URL"; return 1; fi
    echo "exit $rc"
}

one_stderr_line() { # NAME
    local lines
    lines="$(wc -l <"$WORK/$1.err")"
    ((lines == 1)) || { echo "$lines stderr lines, expected 1:"; head -n 5 "$WORK/$1.err"; return 1; }
}

# interrupt FILE PID : once FILE holds 96 MiB, kill the client PID (SIGKILL: no clean shutdown), and make sure
# the download really was cut short. Bounded at 30 s.
interrupt() {
    local file="$1" pid="$2" i
    for ((i = 0; i < 300; i++)); do
        [[ -f "$file" ]] && (($(stat -c %s "$file") >= 96 * 1024 * 1024)) && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    [[ -f "$file" ]] && (($(stat -c %s "$file") >= 96 * 1024 * 1024)) || { echo "the first transfer never reached 96 MiB"; return 1; }
    (($(stat -c %s "$file") < 256 * 1024 * 1024)) || { echo "the first transfer completed before it could be interrupted"; return 1; }
}

# A curl download killed half-way, then resumed with `curl -C -`: the result is byte-identical, and the
# second transfer was a 206 that fetched only the rest.
curl_resume() {
    local dest="$WORK/resume.curl" pid size out code got
    rm -f "$dest"
    "${CURL[@]}" --limit-rate 40M -o "$dest" "$BASE/r256.bin" &
    pid=$!
    interrupt "$dest" "$pid" || return 1
    size="$(stat -c %s "$dest")"
    out="$("${CURL[@]}" -C - -o "$dest" -w '%{http_code} %{size_download}' "$BASE/r256.bin")" || { echo "curl -C - failed: $out"; return 1; }
    read -r code got <<<"$out"
    [[ "$code" == 206 ]] || { echo "resume answered $code, expected 206"; return 1; }
    ((got == 256 * 1024 * 1024 - size)) || { echo "resume downloaded $got bytes, expected $((256 * 1024 * 1024 - size))"; return 1; }
    [[ "$(sha_of "$dest")" == "$(sha_of "$ROOT/r256.bin")" ]] || { echo "sha256 of the resumed file differs (interrupted at $size)"; return 1; }
    echo "interrupted at $size bytes, resumed with $got"
}

# Ends a background client started by a signal check, whatever the check's outcome.
end_client() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# Waits (bounded) for the server under test to exit; 0 when it did, with its exit code in SERVER_RC.
server_exits() {
    SERVER_RC=0
    lib_await "$SERVER_PID" || SERVER_RC=$?
    ((!LIB_KILLED))
}

# Starts a background curl download of r256.bin at RATE into DEST and waits (bounded) until bytes arrive; sets
# CLIENT_PID, and SERVER_CHILD to the server process itself (under its timeout(1) wrapper).
begin_download() {
    local rate="$1" dest="$2" i
    rm -f "$dest"
    "${CURL[@]}" --limit-rate "$rate" -o "$dest" "$BASE/r256.bin" &
    CLIENT_PID=$!
    for ((i = 0; i < 300; i++)); do
        [[ -s "$dest" ]] && break
        sleep 0.1
    done
    [[ -s "$dest" ]] || { echo "the download never started"; end_client "$CLIENT_PID"; return 1; }
    SERVER_CHILD="$(lib_child "$SERVER_PID")"
    [[ -n "$SERVER_CHILD" ]] || { echo "no server process under pid $SERVER_PID"; end_client "$CLIENT_PID"; return 1; }
}

# Ctrl-C twice: a server given an hour's grace stops at the first SIGINT only once its running download ends;
# a later SIGINT aborts that download, and the server exits with 0 at once. The download is cut short.
second_sigint() {
    local dest="$WORK/second-sigint.part" pid server i
    begin_download 1M "$dest" || return 1
    pid="$CLIENT_PID" server="$SERVER_CHILD"
    # The signals go to the server itself: timeout(1), its parent, would pass each on twice.
    kill -INT "$server"
    for ((i = 0; i < 300; i++)); do
        grep -q 'Stopping: ' "$SERVER_ERR" && break
        sleep 0.1
    done
    grep -q 'Stopping: ' "$SERVER_ERR" || { echo "no 'Stopping' log line after the first SIGINT"; end_client "$pid"; return 1; }
    kill -0 "$server" 2>/dev/null || { echo "the server exited at the first SIGINT with a download running"; end_client "$pid"; return 1; }
    # Not synchronisation: the server takes a signal within half a second of the first as a duplicate of it.
    sleep 0.6
    kill -INT "$server"
    server_exits || { echo "still running ${STOP_TIMEOUT}s after the second SIGINT; killed"; end_client "$pid"; return 1; }
    end_client "$pid"
    ((SERVER_RC == 0)) || { echo "exit code $SERVER_RC after the second SIGINT, expected 0"; return 1; }
    (($(stat -c %s "$dest") < 256 * 1024 * 1024)) || { echo "the download completed before the second SIGINT"; return 1; }
    grep -q 'Told to stop at once: aborting 1 connection' "$SERVER_ERR" || { echo "no 'Told to stop at once' log line"; return 1; }
}

# One SIGTERM through timeout(1), which passes it to the server and then to its process group, so that the
# server may receive it twice (once, when the second arrives while the first is pending): still one graceful
# stop. The duplicate is made certain here by a second SIGTERM to the server 50 ms later. The running download
# finishes whole, then the server exits 0.
wrapped_sigterm() {
    local dest="$WORK/wrapped-sigterm.bin" pid server rc=0
    begin_download 64M "$dest" || return 1
    pid="$CLIENT_PID" server="$SERVER_CHILD"
    kill -TERM "$SERVER_PID"
    sleep 0.05
    kill -TERM "$server" 2>/dev/null || true
    wait "$pid" || rc=$?
    server_exits || { echo "still running ${STOP_TIMEOUT}s after SIGTERM; killed"; return 1; }
    ((rc == 0)) || { echo "curl failed with exit code $rc: the download was cut"; return 1; }
    [[ "$(sha_of "$dest")" == "$(sha_of "$ROOT/r256.bin")" ]] || { echo "sha256 of the download differs"; return 1; }
    ((SERVER_RC == 0)) || { echo "exit code $SERVER_RC after SIGTERM, expected 0"; return 1; }
    ! grep -q 'Told to stop at once' "$SERVER_ERR" || { echo "the doubled SIGTERM was taken for a second one"; return 1; }
}

# A ready file rewritten since (as by a second server given the same path) is not the stopping server's to remove.
foreign_ready_file_kept() {
    local foreign="http://127.0.0.1:1/"
    printf '%s\n' "$foreign" >"$READY_FILE"
    kill -TERM "$SERVER_PID"
    server_exits || { echo "still running ${STOP_TIMEOUT}s after SIGTERM; killed"; return 1; }
    ((SERVER_RC == 0)) || { echo "exit code $SERVER_RC after SIGTERM, expected 0"; return 1; }
    [[ "$(cat "$READY_FILE" 2>/dev/null)" == "$foreign" ]] || { echo "the rewritten ready file was removed or changed"; return 1; }
}

# `server &` in a script (no job control) starts the server with SIGINT ignored; `kill -INT` must still stop it
# gracefully, as it stops nginx. The ignore is made certain with `trap '' INT` before exec.
inherited_sigint_ignored() {
    READY_FILE="$WORK/ready-ignint"
    SERVER_ERR="$WORK/server-ignint.err"
    rm -f "$READY_FILE"
    (trap '' INT && exec dotnet "$DLL" "$ROOT" --host "$HOST" --port 0 --ready-file "$READY_FILE") \
        </dev/null >"$WORK/server-ignint.out" 2>"$SERVER_ERR" 3>&- &
    SERVER_PID=$!
    lib_track "$SERVER_PID"
    wait_ready || return 1
    kill -INT "$SERVER_PID"
    server_exits || { echo "still running ${STOP_TIMEOUT}s after SIGINT; killed"; return 1; }
    ((SERVER_RC == 0)) || { echo "exit code $SERVER_RC after SIGINT, expected 0"; return 1; }
}

# Behind a directory the server may not search, a file cannot be said to be missing: 403, as open(2) reports and
# nginx answers, for the file, the directory's index and a name that is not there; 404 and 200 elsewhere are
# unchanged. Permissions do not bind root, so as root the server runs as nobody (setpriv) on a tree it can reach.
locked_directory_forbidden() {
    local tree="$WORK/locked-tree" home="$WORK/nobody-home" path code expected ready="$WORK/nobody-home/ready"
    local dll="$DLL"
    local -a as_other=()
    mkdir -p "$tree/open" "$tree/locked" "$home"
    printf 'visible\n' >"$tree/open/seen.txt"
    printf 'hidden\n' >"$tree/locked/f.txt"
    chmod 755 "$tree" "$tree/open" && chmod 644 "$tree/open/seen.txt" && chmod 777 "$home"
    if ((EUID == 0)); then
        chmod 700 "$tree/locked"
        # nobody must reach the tree and the server: a copy of the build beside the tree, wherever the build is.
        chmod 755 "$WORK"
        cp -R "$(dirname "$DLL")" "$WORK/nobody-bin" && chmod -R a+rX "$WORK/nobody-bin" || return 1
        dll="$WORK/nobody-bin/$(basename "$DLL")"
        as_other=(setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$home" DOTNET_CLI_HOME="$home")
    else
        chmod 000 "$tree/locked"
    fi
    rm -f "$ready"
    "${as_other[@]}" timeout -k 5 "$SERVER_LIFETIME" dotnet "$dll" "$tree" --host "$HOST" --port 0 --ready-file "$ready" \
        </dev/null >"$WORK/server-locked.out" 2>"$WORK/server-locked.err" 3>&- &
    SERVER_PID=$!
    lib_track "$SERVER_PID"
    READY_FILE="$ready" SERVER_ERR="$WORK/server-locked.err"
    wait_ready || return 1
    for path in open/seen.txt:200 open/missing.txt:404 missing.txt:404 locked:301 locked/f.txt:403 locked/:403 locked/missing.txt:403; do
        expected="${path##*:}" path="${path%:*}"
        code="$("${CURL[@]}" -o /dev/null -w '%{http_code}' "$BASE/$path")" || true
        [[ "$code" == "$expected" ]] || { echo "GET /$path: $code, expected $expected"; stop_server >/dev/null; return 1; }
    done
    stop_server
}

# congestion_is WANT...: the server's side of a kept-alive connection, once a response on it proves the server
# accepted it, runs one of the congestion controls WANT (ss(8) prints it before "wscale:").
congestion_is() {
    local fd line got
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || { echo "cannot connect to port $PORT"; return 1; }
    printf 'GET /b65536.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n' >&"$fd"
    IFS= read -r -t 10 line <&"$fd" || true
    got="$(ss -Htin state established "( sport = :$PORT )" | grep -oE '[a-z0-9_]+ wscale:' | sed 's/ wscale://' | sort -u | tr '\n' ' ')"
    exec {fd}>&-
    [[ "$line" == "HTTP/1.1 200"* ]] || { echo "no response on the connection ('$line')"; return 1; }
    got="${got% }"
    # One algorithm for every server-side connection on the port, and one of those wanted.
    [[ -n "$got" && "$got" != *" "* && " $* " == *" $got "* ]] || { echo "server side runs '$got', expected one of: $*"; return 1; }
    echo "$got"
}

# The congestion control clients on this machine get by default: the system's own (--loopback-congestion system).
default_loopback_congestion() {
    cat /proc/sys/net/ipv4/tcp_congestion_control
}

# What --loopback-congestion auto gives them: cubic or reno where the system's default is a BBR version, the
# system's own otherwise.
auto_loopback_congestion() {
    local system
    system="$(cat /proc/sys/net/ipv4/tcp_congestion_control)"
    case "$system" in
        bbr*) echo cubic reno ;;
        *) echo "$system" ;;
    esac
}

# The server process itself (start_server runs it under timeout(1)).
server_process() { lib_child "$SERVER_PID"; }

# With a slow reader on the copy path, a drain resumes with the low watermark still queued, so the reads that refill
# the queue are high - low (48 KiB with the defaults), not a whole 64 KiB: strace shows the read sizes (the copy path
# reads with preadv2(RWF_NOWAIT), which never waits for the disk; pread64 is the warmer's and the fallback's). The reader
# is scripts/loadgen's (a 16 KiB receive buffer, 2 MB/s): curl's autotuned megabytes of socket buffer would take most
# of the body without the queue ever waiting.
copy_refills_from_low_watermark() {
    local pid trace="$WORK/pread.trace" tracer refills whole sizes loadgen
    loadgen="$(fs_build_loadgen)" || { echo "building scripts/loadgen failed"; return 1; }
    pid="$(server_process)"
    [[ -n "$pid" ]] || { echo "no server process"; return 1; }
    timeout 20 strace -f -qq -e trace=pread64,preadv2 -o "$trace" -p "$pid" &
    tracer=$!
    # strace has attached once it traces anything: the first request's reads prove it.
    for _ in $(seq 50); do "${CURL[@]}" -o /dev/null "$BASE/b65537.bin"; [[ -s "$trace" ]] && break; sleep 0.1; done
    timeout 30 dotnet "$loadgen" slow-readers --url "$BASE/big.bin" --clients 1 --rate 2m --seconds 3 --rcvbuf 16k \
        >"$WORK/slow-reader.out" 2>&1 || { echo "slow reader failed:"; tail -n 5 "$WORK/slow-reader.out"; return 1; }
    kill -INT "$tracer" 2>/dev/null; wait "$tracer" 2>/dev/null
    # The first reads fill the socket buffers without any wait (whole 64 KiB reads, as asyncio's send() would take
    # them whole); the second half of the trace is the slow reader's steady state.
    grep -oE 'pread(64|v2)\([0-9]+, .*\) = [0-9]+$' "$trace" | sed -E 's/.* = //' >"$trace.sizes"
    sizes="$(tail -n "$(($(wc -l <"$trace.sizes") / 2))" "$trace.sizes")"
    refills="$(grep -cx 49152 <<<"$sizes" || true)"
    whole="$(grep -cx 65536 <<<"$sizes" || true)"
    echo "second half of the slow read: reads of 48 KiB: $refills, of 64 KiB: $whole (whole trace: $(sort -n "$trace.sizes" | uniq -c | sort -rn | head -n 3 | tr -s ' \n' ' '))"
    ((refills >= 10 && refills > whole))
}

# A new connection's request is read with one recv: the listener defers the accept until it has arrived, so no
# one-byte MSG_PEEK (.NET's answer to a zero-byte read) comes first. "Connection: close" with nothing left unread ends
# with close(2) alone, no shutdown(2), as nginx does, and sets no TCP_NODELAY (the close pushes the last bytes out);
# the request came in a short read, so the close asks no FIONREAD either. Its response is held for the close, so its
# tail leaves with the FIN (nginx's tcp_nopush): its immediate sends say MSG_MORE, a send .NET makes (gathered, or
# waiting for room) is corked first, and nothing uncorks it; the client still gets every byte and an orderly end. A
# keep-alive connection does set TCP_NODELAY.
close_requests_cost_no_peek_shutdown_or_nodelay() {
    local pid trace="$WORK/close.trace" tracer i peeks shutdowns closes nodelays corks uncorks mores fionreads kept=0
    pid="$(server_process)"
    [[ -n "$pid" ]] || { echo "no server process"; return 1; }
    timeout 20 strace -f -qq -e trace=recvfrom,sendto,ioctl,shutdown,close,setsockopt -o "$trace" -p "$pid" &
    tracer=$!
    # Every request here says Connection: close, so whatever the trace catches of the first ones counts the same.
    for _ in $(seq 50); do "${CURL[@]}" -H 'Connection: close' -o /dev/null "$BASE/one.bin"; [[ -s "$trace" ]] && break; sleep 0.1; done
    for i in 1 2 3; do
        [[ "$("${CURL[@]}" -H 'Connection: close' -o /dev/null -w '%{size_download}' "$BASE/one.bin")" == 1 ]] ||
            { echo "small request $i: not the whole body"; kill -INT "$tracer"; return 1; }
    done
    for i in 1 2 3 4 5; do
        [[ "$("${CURL[@]}" -H 'Connection: close' -o /dev/null -w '%{size_download}' "$BASE/b65537.bin")" == 65537 ]] ||
            { echo "request $i: not the whole body"; kill -INT "$tracer"; return 1; }
    done
    peeks="$(grep -c 'MSG_PEEK' "$trace" || true)"
    shutdowns="$(grep -c 'shutdown(' "$trace" || true)"
    closes="$(grep -cE 'close\([0-9]+\) += 0' "$trace" || true)"
    nodelays="$(grep -c 'TCP_NODELAY' "$trace" || true)"
    corks="$(grep -c 'TCP_CORK, \[1\]' "$trace" || true)"
    uncorks="$(grep -c 'TCP_CORK, \[0\]' "$trace" || true)"
    mores="$(grep -c 'sendto(.*MSG_MORE' "$trace" || true)"
    fionreads="$(grep -c 'FIONREAD' "$trace" || true)"
    # Then two requests on one kept-alive connection (curl reuses it), until the trace shows the option set.
    for _ in $(seq 20); do
        "${CURL[@]}" -o /dev/null -o /dev/null "$BASE/one.bin" "$BASE/one.bin"
        grep -q 'TCP_NODELAY' "$trace" && { kept=1; break; }
    done
    kill -INT "$tracer" 2>/dev/null; wait "$tracer" 2>/dev/null
    echo "requests with Connection: close: MSG_PEEK $peeks, shutdown $shutdowns, close $closes, TCP_NODELAY $nodelays, TCP_CORK on $corks, off $uncorks, sends with MSG_MORE $mores, FIONREAD $fionreads; a keep-alive connection set TCP_NODELAY: $kept"
    # The last close may come after curl has its body and strace is stopped.
    ((peeks == 0 && shutdowns == 0 && closes >= 4 && nodelays == 0 && corks + mores >= 8 && uncorks == 0 && fionreads == 0 && kept == 1))
}

# A small file asked for with "Connection: close" is read, answered and closed without a wait, so its socket is never
# made non-blocking: no fcntl(2) (.NET's first asynchronous operation would make two), and the body still arrives whole.
small_close_requests_cost_no_fcntl() {
    local pid trace="$WORK/fcntl.trace" tracer i fcntls sends
    pid="$(server_process)"
    [[ -n "$pid" ]] || { echo "no server process"; return 1; }
    timeout 20 strace -f -qq -e trace=fcntl,sendto -o "$trace" -p "$pid" &
    tracer=$!
    # strace has attached once it traces anything: the first response's send proves it.
    for _ in $(seq 50); do "${CURL[@]}" -H 'Connection: close' -o /dev/null "$BASE/one.bin"; grep -q sendto "$trace" && break; sleep 0.1; done
    : > "$trace.before"; cp "$trace" "$trace.before"
    for i in 1 2 3 4 5; do
        [[ "$("${CURL[@]}" -H 'Connection: close' "$BASE/one.bin" | sha256sum)" == "$(sha256sum < "$ROOT/one.bin")" ]] ||
            { echo "request $i: not the file"; kill -INT "$tracer"; return 1; }
    done
    kill -INT "$tracer" 2>/dev/null; wait "$tracer" 2>/dev/null
    fcntls="$(diff "$trace.before" "$trace" | grep -c 'fcntl(' || true)"
    sends="$(diff "$trace.before" "$trace" | grep -c 'sendto(' || true)"
    echo "five Connection: close requests for one.bin: fcntl $fcntls, sendto $sends"
    ((fcntls == 0 && sends >= 4))
}

# Clients that leave mid-body (the server paces the body, so it is still sending when they go) cost no stack-trace
# rendering: the server never maps .NET's stack-trace support or its own symbols for them.
leaving_clients_render_no_stack_trace() {
    local pid i mapped
    pid="$(server_process)"
    [[ -n "$pid" ]] || { echo "no server process"; return 1; }
    for i in 1 2 3 4 5; do
        "${CURL[@]}" --limit-rate 2M --max-time 0.3 -o /dev/null "$BASE/big.bin" || true
    done
    "${CURL[@]}" -o /dev/null "$BASE/one.bin" || { echo "the server stopped answering"; return 1; }
    mapped="$(grep -oE '[A-Za-z.]+\.(dll|pdb)' "/proc/$pid/maps" | sort -u | grep -E 'StackTrace|Reflection\.Metadata|\.pdb$' || true)"
    [[ -z "$mapped" ]] || { echo "mapped after clients left: $mapped"; return 1; }
}

# congestion_run LABEL WANT ARGS...: a server of its own started with ARGS; its loopback connections run WANT.
congestion_run() {
    local label="$1" want="$2"
    shift 2
    start_server "$label" "$@"
    check "$label: server writes its URL to the ready file" wait_ready
    if [[ -n "$URL" ]]; then
        check "$label: a loopback connection runs $want congestion control" congestion_is $want
    fi
    check "$label: SIGTERM stops the server with exit code 0" stop_server
}

# Resuming a file that is already complete: the server answers 416 and curl leaves the file as it is.
curl_resume_complete() {
    local dest="$WORK/complete.curl" rc=0
    cp "$ROOT/b65537.bin" "$dest"
    "${CURL[@]}" -C - -o "$dest" "$BASE/b65537.bin" || rc=$?
    ((rc == 0)) || { echo "curl -C - on a complete file exited $rc"; return 1; }
    cmp -s "$dest" "$ROOT/b65537.bin" || { echo "the complete file was changed"; return 1; }
}

wget_resume() {
    local dir="$WORK/wget-resume" pid size
    rm -rf "$dir"
    mkdir -p "$dir"
    # Not through timeout(1) like the other wget calls: the PID killed must be wget's own, or an orphaned wget
    # would keep writing into the file while the resume writes to it too.
    wget --no-config -q --no-proxy --tries=1 --timeout="$WGET_TIMEOUT" "${WGET_TLS[@]}" --limit-rate=40m -P "$dir" "$BASE/r256.bin" &
    pid=$!
    interrupt "$dir/r256.bin" "$pid" || return 1
    size="$(stat -c %s "$dir/r256.bin")"
    "${WGET[@]}" -c -P "$dir" "$BASE/r256.bin" || { echo "wget -c exited $?"; return 1; }
    [[ "$(sha_of "$dir/r256.bin")" == "$(sha_of "$ROOT/r256.bin")" ]] || { echo "sha256 of the resumed file differs (interrupted at $size)"; return 1; }
    echo "interrupted at $size bytes"
}

# aria2c fetches the file in 8 segments over 8 connections (ranges), then checks nothing itself: we do.
aria2_segmented() {
    local dir="$WORK/aria2" ranges
    rm -rf "$dir"
    timeout --foreground -k 5 120 aria2c -q -x8 -s8 -k1M --file-allocation=none --allow-overwrite=true \
        --auto-file-renaming=false --no-conf --all-proxy='' "${ARIA_TLS[@]}" -d "$dir" -o r256.bin "$BASE/r256.bin" \
        || { echo "aria2c exited $?"; return 1; }
    [[ "$(sha_of "$dir/r256.bin")" == "$(sha_of "$ROOT/r256.bin")" ]] || { echo "sha256 of the aria2c download differs"; return 1; }
    ranges="$(grep -cE '"GET /r256\.bin HTTP/1\.1" 206 ' "$SERVER_ERR" || true)"
    ((ranges >= 2)) || { echo "only $ranges ranged (206) requests for r256.bin in the access log"; return 1; }
}

# ---------------------------------------------------------------------------------------------------------
# HTTPS

PKI="$WORK/pki"

# A root CA, an intermediate, and an RSA leaf; chain.pem = leaf + intermediate; server.pfx holds both and the key.
make_certificates() {
    mkdir -p "$PKI"
    cd "$PKI" || return 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem -days 2 \
        -subj "/CN=FileServer IT Root" -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key -out int.csr -subj "/CN=FileServer IT Intermediate"
    printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >int.ext
    openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -out int.pem -days 2 -extfile int.ext
    openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=localhost"
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' >leaf.ext
    openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial -out leaf.pem -days 2 -extfile leaf.ext
    cat leaf.pem int.pem >chain.pem
    openssl pkcs12 -export -in chain.pem -inkey leaf.key -out server.pfx -passout pass:it-secret
    cd - >/dev/null
}

# Plain HTTP sent to the HTTPS port is answered 400 in clear text, like nginx does.
plain_http_to_tls_port() {
    local body="$WORK/plain.body" code
    code="$(curl -q -sS --noproxy '*' --max-time 10 -o "$body" -w '%{http_code}' "http://$HOST:$PORT/one.bin")" || { echo "curl failed"; return 1; }
    [[ "$code" == 400 ]] || { echo "plain HTTP to the TLS port -> $code, expected 400"; return 1; }
    grep -q 'HTTPS port' "$body" || { echo "body does not say why:"; cat "$body"; return 1; }
}

# tls_version MIN MAX : a client limited to that range gets the body.
tls_version() {
    local out
    out="$("${CURL[@]}" --tlsv"$1" --tls-max "$2" -o /dev/null -w '%{http_code}' "$BASE/b65537.bin")" || { echo "curl failed: $out"; return 1; }
    [[ "$out" == 200 ]] || { echo "status $out"; return 1; }
}

old_tls_refused() {
    if "${CURL[@]}" --tlsv1.0 --tls-max 1.1 -o /dev/null "$BASE/one.bin" 2>/dev/null; then
        echo "a TLS 1.0/1.1 client was served"
        return 1
    fi
}

# A client offering h2 and http/1.1 is told http/1.1 (ALPN) and speaks it.
alpn_http11() {
    local out
    out="$("${CURL[@]}" --http2 -o /dev/null -w '%{http_code} %{http_version}' "$BASE/b65537.bin")" || { echo "curl failed"; return 1; }
    [[ "$out" == "200 1.1" ]] || { echo "got '$out', expected '200 1.1'"; return 1; }
}

# part_is_slice BODY FIRST LAST SRC : the multipart part for FIRST-LAST holds exactly those bytes of SRC.
part_is_slice() {
    local header="Content-Range: bytes $2-$3/$(stat -c %s "$4")" off count=$(($3 - $2 + 1))
    off="$(LC_ALL=C grep -obaF -- "$header" "$1" | head -n 1 | cut -d: -f1)"
    [[ -n "$off" ]] || { echo "no part with '$header'"; return 1; }
    # The part's bytes follow its last header line's CRLF and the blank line's CRLF.
    cmp -s <(tail -c +$((off + ${#header} + 5)) "$1" | head -c "$count") <(tail -c +$(($2 + 1)) "$4" | head -c "$count") \
        || { echo "part $2-$3 differs from the file"; return 1; }
}

# curl -r: one range is exactly the slice; two ranges are multipart/byteranges with both slices in it.
tls_ranges() {
    local got="$WORK/range.out" want="$WORK/range.want" hdr="$WORK/range.hdr"
    "${CURL[@]}" -r 1000-70999 -o "$got" "$BASE/big.bin" || { echo "curl -r failed"; return 1; }
    dd if="$ROOT/big.bin" of="$want" bs=1000 skip=1 count=70 status=none
    cmp -s "$got" "$want" || { echo "range 1000-70999 differs"; return 1; }
    "${CURL[@]}" -r 0-99,5000-70999 -D "$hdr" -o "$got" "$BASE/big.bin" || { echo "curl multi-range failed"; return 1; }
    grep -qi '^content-type: multipart/byteranges; boundary=' "$hdr" || { echo "not multipart:"; cat "$hdr"; return 1; }
    part_is_slice "$got" 0 99 "$ROOT/big.bin" && part_is_slice "$got" 5000 70999 "$ROOT/big.bin"
}

# A sparse 5 GiB file (distinct bytes past 2 and 4 GiB) through curl --cacert, hashed as it streams.
tls_five_gib() {
    local file="$ROOT/five.bin" want got offset
    if [[ ! -f "$file" ]]; then
        truncate -s $((5 * 1024 * 1024 * 1024)) "$file"
        for offset in 0 $(((2 << 30) - 7)) $(((4 << 30) + 4093)) $(((5 << 30) - 1048576)); do
            head -c 1048576 /dev/urandom | dd of="$file" bs=1M seek="$offset" oflag=seek_bytes conv=notrunc status=none
        done
    fi
    want="$(sha_of "$file")"
    got="$("${CURL[@]}" --max-time 300 "$BASE/five.bin" | sha256sum | cut -d' ' -f1)" || { echo "curl failed"; return 1; }
    [[ "$got" == "$want" ]] || { echo "sha256 $got, expected $want"; return 1; }
}

tls_checks() { # LABEL
    local m="$1"
    check "$m: curl --cacert GET of a sparse 5 GiB file matches sha256" tls_five_gib
    check "$m: plain HTTP to the HTTPS port gets 400" plain_http_to_tls_port
    check "$m: TLS 1.2 client served" tls_version 1.2 1.2
    check "$m: TLS 1.3 client served" tls_version 1.3 1.3
    check "$m: TLS 1.0/1.1 client refused" old_tls_refused
    check "$m: curl --http2 negotiates HTTP/1.1 (ALPN)" alpn_http11
    check "$m: ranges and multipart ranges over TLS" tls_ranges
    check "$m: still serving after the plain-HTTP client" curl_download b65536.bin
}

# The same chain from a PKCS#12 file whose password comes from an environment variable.
run_pkcs12() {
    local -a CURL=("${CURL[@]}" --cacert "$CA_FILE")
    PFX_PASSWORD=it-secret start_server pfx --tls-pfx "$PKI/server.pfx" --tls-pfx-password-env PFX_PASSWORD
    check "pfx: server writes its https URL to the ready file" wait_ready
    [[ -n "$URL" ]] && check "pfx: curl --cacert GET /big.bin matches sha256" curl_download big.bin
    check "pfx: SIGTERM stops the server with exit code 0" stop_server
}

# --tls-self-signed with --tls-port: https first in the ready file and on stdout, the printed fingerprint is the
# certificate's, curl trusts the PEM written by --tls-cert-out, and plain HTTP still goes zero-copy.
self_signed_ready_order() {
    local second
    second="$(sed -n 2p "$READY_FILE")"
    [[ "$URL" == https://* && "$second" =~ ^http://127\.0\.0\.1:[0-9]+/$ ]] || { echo "ready file:"; cat "$READY_FILE"; return 1; }
    [[ "$(grep '^Listening on' "$SERVER_OUT" | head -n 1)" == "Listening on $URL" ]] || { echo "stdout:"; cat "$SERVER_OUT"; return 1; }
}

self_signed_fingerprint() {
    local printed actual
    printed="$(sed -n 's/^TLS certificate SHA-256 fingerprint //p' "$SERVER_OUT")"
    actual="$(openssl x509 -in "$WORK/self-signed.pem" -noout -fingerprint -sha256 | cut -d= -f2)"
    [[ -n "$printed" && "$printed" == "$actual" ]] || { echo "printed '$printed', certificate '$actual'"; return 1; }
}

plain_listener_uses_sendfile() {
    local plain code
    plain="$(sed -n 2p "$READY_FILE")"
    code="$(curl -q -sS --noproxy '*' --max-time 30 -o "$WORK/plain.big" -w '%{http_code}' "${plain}big.bin")" || { echo "curl failed"; return 1; }
    [[ "$code" == 200 && "$(sha_of "$WORK/plain.big")" == "$(sha_of "$ROOT/big.bin")" ]] || { echo "status $code or body differs"; return 1; }
    access_log_shows /big.bin sendfile $((10 * 1024 * 1024))
}

run_self_signed() {
    local -a CURL=("${CURL[@]}" --cacert "$WORK/self-signed.pem") WGET=("${WGET[@]}" --ca-certificate="$WORK/self-signed.pem")
    start_server self --tls-self-signed --tls-cert-out "$WORK/self-signed.pem" --tls-port 0
    check "self-signed: server writes its URLs to the ready file" wait_ready
    if [[ -n "$URL" ]]; then
        check "self-signed: https URL first (ready file and stdout), http second" self_signed_ready_order
        check "self-signed: printed SHA-256 fingerprint is the certificate's" self_signed_fingerprint
        check "self-signed: curl --cacert GET /big.bin matches sha256" curl_download big.bin
        check "self-signed: wget --ca-certificate GET /b65537.bin matches sha256" wget_download b65537.bin
        check "self-signed: access log shows body=copy over TLS" access_log_shows /big.bin copy $((10 * 1024 * 1024))
        check "self-signed: the plain listener still sends files zero-copy" plain_listener_uses_sendfile
        check "self-signed: no error-level log lines" no_error_logs
    fi
    check "self-signed: SIGTERM stops the server with exit code 0" stop_server
}

tls_refused_starts() {
    refused_start nocert "$ROOT" --port 0 --tls-cert "$WORK/missing.pem" --tls-key "$WORK/missing.key"
    check "missing TLS certificate exits non-zero" exited_non_zero nocert
    check "missing TLS certificate writes one line to stderr" one_stderr_line nocert
    refused_start nokey "$ROOT" --port 0 --tls-cert "$WORK/missing.pem"
    check "--tls-cert without --tls-key exits non-zero" exited_non_zero nokey
    check "--tls-cert without --tls-key writes one line to stderr" one_stderr_line nokey
    if [[ -f "$PKI/server.pfx" ]]; then
        PFX_PASSWORD=wrong refused_start badpfx "$ROOT" --port 0 --tls-pfx "$PKI/server.pfx" --tls-pfx-password-env PFX_PASSWORD
        check "wrong PKCS#12 password exits non-zero" exited_non_zero badpfx
        check "wrong PKCS#12 password writes one line to stderr" one_stderr_line badpfx
    fi
}

# ---------------------------------------------------------------------------------------------------------
# Runs

run_mode() { # LABEL BODYPATH ARGS...  (over HTTPS when CA_FILE names the trust anchor)
    local m="$1" body="$2" rel p
    shift 2
    # Dynamic scope: every check called from here sees the clients with the trust anchor added.
    local -a CURL=("${CURL[@]}") WGET=("${WGET[@]}")
    if [[ -n "$CA_FILE" ]]; then
        CURL+=(--cacert "$CA_FILE")
        WGET+=(--ca-certificate="$CA_FILE")
    fi
    start_server "$m" "$@"
    check "$m: server writes its URL to the ready file" wait_ready
    if [[ -z "$URL" ]]; then
        check "$m: SIGTERM stops the server with exit code 0" stop_server
        return 0
    fi
    check "$m: stdout says 'Listening on $URL'" stdout_announces_url

    for rel in "${FILES[@]}"; do
        check "$m: curl GET /$rel matches sha256" curl_download "$rel"
        check "$m: wget GET /$rel matches sha256" wget_download "$rel"
    done
    check "$m: GET /sub/ serves sub/index.html" curl_directory_index
    check "$m: concurrent curl downloads of big.bin intact" concurrent_downloads
    check "$m: a file replaced by mv is served new, a deleted one is 404" replaced_then_deleted

    check "$m: access log shows body=$body for /b65537.bin" access_log_shows /b65537.bin "$body" 65537
    check "$m: access log shows body=$body for /big.bin" access_log_shows /big.bin "$body" $((10 * 1024 * 1024))
    check "$m: access log shows body=none for /empty.bin" access_log_shows /empty.bin none 0
    if [[ "$body" == copy ]]; then
        check "$m: no response used sendfile" no_access_log_with sendfile
    fi

    check "$m: curl -I /b65537.bin: 200 and Content-Length 65537" head_request b65537.bin
    check "$m: curl -I /big.bin: 200 and Content-Length 10485760" head_request big.bin
    if [[ -z "$CA_FILE" ]]; then
        check "$m: HEAD /big.bin sends no body (raw socket)" head_has_no_body big.bin
    else
        tls_checks "$m"
    fi

    check "$m: curl -L /sub ends at sub/index.html" redirect_followed
    # Status codes, Location, traversal, links out of the root, dotfiles and keep-alive over raw sockets are
    # NUnit's (Integration/CorpusTests with Corpora/targets.tsv, SafeRedirectTests, BodyIntegrityTests); here only
    # what needs the real clients.


    check "$m: keep-alive: curl -v re-uses the connection" keep_alive_verbose
    if [[ "$m" == sendfile ]]; then
        check "$m: a loopback connection runs the system's congestion control ($(default_loopback_congestion)) by default" \
            congestion_is $(default_loopback_congestion)
    fi

    check "$m: curl -C - resumes an interrupted 256 MiB download" curl_resume
    check "$m: curl -C - on a complete file gets 416 and keeps it" curl_resume_complete
    check "$m: wget -c resumes an interrupted 256 MiB download" wget_resume
    check "$m: aria2c -x8 -s8 downloads 256 MiB in segments" aria2_segmented

    if [[ "$m" == sendfile ]]; then
        refused_start inuse "$ROOT" --host "$HOST" --port "$PORT"
        check "second instance on the busy port exits non-zero" exited_non_zero inuse
        check "second instance on the busy port writes one line to stderr" one_stderr_line inuse
        check "$m: still serving after the port clash" curl_download b65536.bin
    fi

    check "$m: no error-level log lines" no_error_logs
    check "$m: SIGTERM stops the server with exit code 0" stop_server
}

refused_start noroot "$WORK/does-not-exist" --host "$HOST" --port 0
check "non-existent root exits non-zero" exited_non_zero noroot
check "non-existent root writes one line to stderr" one_stderr_line noroot
refused_start emptyready "$ROOT" --host "$HOST" --port 0 --ready-file ""
check "empty --ready-file exits non-zero" exited_non_zero emptyready
check "empty --ready-file writes one line to stderr" one_stderr_line emptyready
run_mode sendfile sendfile
run_mode copy copy --no-sendfile
# signal_run LABEL DESCRIPTION CHECK SHUTDOWN_TIMEOUT: a server of its own for one stop-signal check.
signal_run() {
    start_server "$1" --shutdown-timeout "$4"
    check "$1: server writes its URL to the ready file" wait_ready
    if [[ -n "$URL" ]]; then
        check "$1: $2" "$3"
    else
        check "$1: SIGTERM stops the server with exit code 0" stop_server
    fi
}
signal_run sigint "a second SIGINT aborts a running download and exits 0 at once" second_sigint 3600
signal_run sigterm "SIGTERM via timeout(1), and again 50 ms later, lets a running download finish" wrapped_sigterm 60
check "behind a directory the server may not search: 403 (file, index, missing name), not 404" locked_directory_forbidden
check "a server started with SIGINT ignored (as \`server &\` in a script) still stops on SIGINT, exit 0" inherited_sigint_ignored
signal_run foreignready "a ready file rewritten by someone else is left in place on exit" foreign_ready_file_kept 10
start_server slowreader --no-sendfile
check "slowreader: server writes its URL to the ready file" wait_ready
if [[ -n "$URL" ]]; then
    check "slowreader: a slow reader's copy-path refills are high - low watermark (48 KiB), not 64 KiB (strace preadv2/pread64)" copy_refills_from_low_watermark
    check "slowreader: a Connection: close request costs no MSG_PEEK, shutdown(2), FIONREAD or TCP_NODELAY, is held to its close (MSG_MORE, or corked) and arrives whole; a keep-alive one sets TCP_NODELAY (strace)" close_requests_cost_no_peek_shutdown_or_nodelay
    check "slowreader: a small file asked for with Connection: close costs no fcntl(2): its socket is never made non-blocking (strace)" small_close_requests_cost_no_fcntl
fi
check "slowreader: SIGTERM stops the server with exit code 0" stop_server
for m in sendfile copy; do
    start_server "leaving-$m" --limit-rate 4m $([[ $m == copy ]] && echo --no-sendfile)
    check "leaving-$m: server writes its URL to the ready file" wait_ready
    if [[ -n "$URL" ]]; then
        check "leaving-$m: clients leaving mid-body load no stack-trace support or symbols" leaving_clients_render_no_stack_trace
    fi
    check "leaving-$m: SIGTERM stops the server with exit code 0" stop_server
done
congestion_run congestion-reno reno --loopback-congestion reno
congestion_run congestion-system "$(cat /proc/sys/net/ipv4/tcp_congestion_control)" --loopback-congestion system
congestion_run congestion-auto "$(auto_loopback_congestion)" --loopback-congestion auto
refused_start nosuchcc "$ROOT" --host "$HOST" --port 0 --loopback-congestion nosuchcc
check "--loopback-congestion nosuchcc exits non-zero" exited_non_zero nosuchcc
check "--loopback-congestion nosuchcc writes one line to stderr" one_stderr_line nosuchcc
refused_start badcc "$ROOT" --host "$HOST" --port 0 --loopback-congestion 'Not A Name'
check "--loopback-congestion 'Not A Name' exits non-zero" exited_non_zero badcc
check "--loopback-congestion 'Not A Name' writes one line to stderr" one_stderr_line badcc

# HTTPS: a chain made with openssl (root CA -> intermediate -> leaf for localhost/127.0.0.1/::1); clients trust
# only the root, so the server must send the intermediate from its certificate file.
if make_certificates >"$WORK/openssl.log" 2>&1; then
    CA_FILE="$PKI/root.pem"
    WGET_TLS=(--ca-certificate="$CA_FILE")
    ARIA_TLS=(--ca-certificate="$CA_FILE")
    run_mode tls copy --tls-cert "$PKI/chain.pem" --tls-key "$PKI/leaf.key"
    run_pkcs12
    CA_FILE=""
    WGET_TLS=()
    ARIA_TLS=()
else
    FAIL=$((FAIL + 1))
    echo "not ok - openssl makes a test CA, intermediate and leaf"
    head -n 15 "$WORK/openssl.log" | sed 's/^/#   /'
fi
run_self_signed
tls_refused_starts
source "$REPO_ROOT/scripts/integration-browse.sh"
run_browse

finish
