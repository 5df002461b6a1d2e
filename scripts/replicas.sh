#!/usr/bin/env bash
# Behind a balancer: two FileServer replicas of one tree, a private nginx in front of them as a round-robin
# upstream, and what a client of the balancer must be able to count on:
#   1. both replicas send the same ETag and Last-Modified for a file copied with `cp -a` (validators come from the
#      size and the modification time, never the inode), and nginx passes them through unchanged;
#   2. a download through nginx cut part-way resumes on the OTHER replica, asked directly with `curl -C -` and
#      If-Range: the ETag of the first response: 206, and the joined file's SHA-256 is the original's;
#   3. a resume whose If-Range names another ETag gets 200 and the whole file (RFC 9110 §13.1.5);
#   4. a directory asked for without its trailing slash, through nginx, is redirected to a Location that is a path
#      (or the balancer's address), never the replica's own port;
#   5. successive requests through nginx alternate between the replicas (round robin), as their access logs show.
# The nginx config is the one docs/deployment.md describes (keep-alive to the upstream, proxy_buffering off,
# X-Forwarded-For); it adds X-Replica: $upstream_addr to each answer so that the output shows who served what.
#
#   bash scripts/replicas.sh [--keep]      (about 10 s; --keep leaves the work dir, nginx.conf and logs in place)
#
# FILESERVER_DLL skips the build. Installs nginx-light (else nginx) and curl with apt-get when missing. Ends with
# "replicas: N passed, N failed".
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LC_ALL=C DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
LIB_NAME=replicas
source "$REPO_ROOT/scripts/lib/load.sh" process apt nginx fileserver check args
KEEP=""
lib_parse_args "--keep:KEEP=1 --smoke:SMOKE=1" "$@"   # --smoke: the same run (about 10 s), for the test command
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-replicas.XXXXXX")"
chmod 755 "$WORK"   # nginx workers that are not root still reach their temp dirs below it
CHECK_LINES=20
lib_on_exit

SIZE=$((256 << 20))
CURL=(curl -q -sS --max-time 30)

nginx_ensure || lib_die "nginx is missing and could not be installed"
apt_need curl:curl || lib_die "curl is missing"
DLL="$(fs_build_cli)" || lib_die "the CLI could not be built"

# One tree, and its copy with modes and times kept (what rsync -a does too).
mkdir -p "$WORK/a/pub/sub"
head -c "$SIZE" /dev/urandom >"$WORK/a/pub/big.bin"
echo "a file in a directory" >"$WORK/a/pub/sub/note.txt"
echo "small" >"$WORK/a/pub/small.txt"
cp -a "$WORK/a" "$WORK/b"
ORIGINAL_SHA="$(sha256sum <"$WORK/a/pub/big.bin" | cut -d' ' -f1)"
echo "# pub/big.bin: $SIZE bytes, sha256 $ORIGINAL_SHA"
echo "# copy:  $(stat -c '%n inode %i mtime %y' "$WORK/a/pub/big.bin")"
echo "#        $(stat -c '%n inode %i mtime %y' "$WORK/b/pub/big.bin")"

FS_LIFETIME=300 fs_start one "$WORK/a" --trusted-proxy 127.0.0.1 || lib_die "replica one did not start"
ONE_URL="$FS_URL" ONE_PORT="${FS_URL##*:}"
ONE_PORT="${ONE_PORT%/}"
FS_LIFETIME=300 fs_start two "$WORK/b" --trusted-proxy 127.0.0.1 || lib_die "replica two did not start"
TWO_URL="$FS_URL" TWO_PORT="${FS_URL##*:}"
TWO_PORT="${TWO_PORT%/}"
echo "# replica one: $ONE_URL (serves $WORK/a)"
echo "# replica two: $TWO_URL (serves $WORK/b)"

# balancer_start: nginx (lib/nginx.sh, in $WORK/nginx) as a round-robin upstream over the two replicas. One worker,
# so that round robin is one sequence (each worker keeps its own without a shared zone).
balancer_start() {
    local http server
    http="$(cat <<HTTP
log_format balancer '\$remote_addr "\$request" \$status \$body_bytes_sent upstream=\$upstream_addr \$upstream_status';
    map \$remote_addr \$forwarded_for {
        ~^[0-9.]+\$ "for=\$remote_addr";
        ~:          "for=\\"[\$remote_addr]\\"";
        default     "for=unknown";
    }
    upstream fileserver {
        server 127.0.0.1:$ONE_PORT;
        server 127.0.0.1:$TWO_PORT;
        keepalive 16;                      # idle connections kept open to the replicas
    }
HTTP
)"
    server="$(cat <<SERVER
access_log $WORK/nginx/access.log balancer;
        location / {
            proxy_pass http://fileserver;
            proxy_http_version 1.1;        # keep-alive to the upstream needs 1.1 ...
            proxy_set_header Connection ""; # ... and no "Connection: close" from the client
            proxy_set_header Host \$http_host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header Forwarded "\$forwarded_for;proto=\$scheme";
            proxy_buffering off;           # stream large bodies, no temp files
            proxy_redirect off;            # FileServer's Location is a path: nothing to rewrite
            add_header X-Replica \$upstream_addr always;
        }
SERVER
)"
    NGINX_WORKERS=1 NGINX_CONNECTIONS=1024 NGINX_LIFETIME=300 NGINX_EXTRA_HTTP="$http" NGINX_EXTRA_SERVER="$server" \
        nginx_start nginx "$WORK/a" off || return 1
    BALANCER_URL="$NGINX_URL" BALANCER_PORT="$NGINX_PORT"
}
balancer_start || lib_die "nginx did not start"
echo "# balancer:    $BALANCER_URL (nginx, round robin over 127.0.0.1:$ONE_PORT and 127.0.0.1:$TWO_PORT)"

# field FILE NAME: the value of header NAME in the head saved in FILE (the last head, after a redirect).
field() { tr -d '\r' <"$1" | awk -v name="$(tr '[:upper:]' '[:lower:]' <<<"$2")" 'tolower($0) ~ "^" name ":" { sub(/^[^:]*: */, ""); v = $0 } END { print v }'; }

# 1. Validators.
echo
echo "# 1. validators of pub/big.bin (HEAD)"
"${CURL[@]}" -I -o "$WORK/one.head" "${ONE_URL}pub/big.bin"
"${CURL[@]}" -I -o "$WORK/two.head" "${TWO_URL}pub/big.bin"
"${CURL[@]}" -I -o "$WORK/lb.head" "${BALANCER_URL}pub/big.bin"
for who in one two lb; do
    printf '#   %-4s ETag %s  Last-Modified %s%s\n' "$who" "$(field "$WORK/$who.head" ETag)" \
        "$(field "$WORK/$who.head" Last-Modified)" \
        "$([[ $who == lb ]] && echo "  (X-Replica $(field "$WORK/$who.head" X-Replica))")"
done
same_validators() {
    local name a b c
    for name in ETag Last-Modified; do
        a="$(field "$WORK/one.head" "$name")" b="$(field "$WORK/two.head" "$name")" c="$(field "$WORK/lb.head" "$name")"
        echo "$name: one '$a', two '$b', balancer '$c'"
        [[ -n "$a" && "$a" == "$b" ]] || return 1
    done
}
through_balancer_too() {
    local name
    for name in ETag Last-Modified; do
        [[ "$(field "$WORK/lb.head" "$name")" == "$(field "$WORK/one.head" "$name")" ]] || { cat "$WORK/lb.head"; return 1; }
    done
}
check "both replicas send the same ETag and Last-Modified (the copy kept its mtime)" same_validators
check "nginx passes the same ETag and Last-Modified through" through_balancer_too
ETAG="$(field "$WORK/one.head" ETag)"

# 2. A download through the balancer, cut after about 2 s at 32 MiB/s, then resumed on the other replica.
echo
echo "# 2. a download through nginx cut part-way, resumed on the other replica"
rc=0
curl -q -sS --limit-rate 32M --max-time 2 -D "$WORK/part.head" -o "$WORK/joined.bin" \
    "${BALANCER_URL}pub/big.bin" 2>/dev/null || rc=$?
PART_SIZE="$(stat -c %s "$WORK/joined.bin" 2>/dev/null || echo 0)"
FIRST_STATUS="$(tr -d '\r' <"$WORK/part.head" | awk 'NR == 1 { print $2 }')"
FIRST_ETAG="$(field "$WORK/part.head" ETag)"
FIRST_REPLICA="$(field "$WORK/part.head" X-Replica)"
echo "#   first:  GET ${BALANCER_URL}pub/big.bin -> $FIRST_STATUS from $FIRST_REPLICA, ETag $FIRST_ETAG;" \
    "cut by curl (exit $rc) after $PART_SIZE of $SIZE bytes"
case "$FIRST_REPLICA" in
    "127.0.0.1:$ONE_PORT") OTHER_URL="$TWO_URL" OTHER=two ;;
    "127.0.0.1:$TWO_PORT") OTHER_URL="$ONE_URL" OTHER=one ;;
    *) OTHER_URL="$TWO_URL" OTHER="two (the first replica is unknown)" ;;
esac
check "the first part is a proper part: 200 through nginx, cut between 0 and $SIZE bytes" \
    test "$FIRST_STATUS" = 200 -a "$PART_SIZE" -gt 0 -a "$PART_SIZE" -lt "$SIZE"
RESUME_STATUS="$("${CURL[@]}" -C - -H "If-Range: $FIRST_ETAG" -D "$WORK/resume.head" -o "$WORK/joined.bin" \
    -w '%{http_code}' "${OTHER_URL}pub/big.bin" || true)"
JOINED_SHA="$(sha256sum <"$WORK/joined.bin" | cut -d' ' -f1)"
echo "#   resume: GET ${OTHER_URL}pub/big.bin (replica $OTHER) Range: bytes=$PART_SIZE- If-Range: $FIRST_ETAG"
echo "#           -> $RESUME_STATUS, Content-Range $(field "$WORK/resume.head" Content-Range)"
echo "#   joined: $(stat -c %s "$WORK/joined.bin") bytes, sha256 $JOINED_SHA"
check "the resume on the other replica answers 206 from byte $PART_SIZE" \
    test "$RESUME_STATUS" = 206 -a "$(field "$WORK/resume.head" Content-Range)" = "bytes $PART_SIZE-$((SIZE - 1))/$SIZE"
check "the joined file's SHA-256 is the original's" test "$JOINED_SHA" = "$ORIGINAL_SHA"

# 3. A resume whose If-Range is not the file's ETag: the whole file, 200.
echo
echo "# 3. a resume with a wrong If-Range"
WRONG_ETAG='"0-0"'
WRONG="$("${CURL[@]}" -H "Range: bytes=$PART_SIZE-" -H "If-Range: $WRONG_ETAG" -D "$WORK/wrong.head" \
    -o "$WORK/wrong.bin" -w '%{http_code} %{size_download}' "${BALANCER_URL}pub/big.bin" || true)"
WRONG_SHA="$(sha256sum <"$WORK/wrong.bin" | cut -d' ' -f1)"
echo "#   GET ${BALANCER_URL}pub/big.bin Range: bytes=$PART_SIZE- If-Range: $WRONG_ETAG"
echo "#   -> ${WRONG%% *} from $(field "$WORK/wrong.head" X-Replica), ${WRONG#* } bytes, sha256 $WRONG_SHA"
# The same with the right ETag, for contrast: so nginx does pass Range and If-Range on to the replica.
RIGHT="$("${CURL[@]}" -H "Range: bytes=$((SIZE - 100))-" -H "If-Range: $ETAG" -D "$WORK/right.head" -o /dev/null \
    -w '%{http_code} %{size_download}' "${BALANCER_URL}pub/big.bin" || true)"
echo "#   (the same with If-Range: $ETAG and Range: bytes=$((SIZE - 100))- -> ${RIGHT%% *} from" \
    "$(field "$WORK/right.head" X-Replica), ${RIGHT#* } bytes)"
check "a wrong If-Range gets 200 and the whole file (RFC 9110 §13.1.5)" \
    test "$WRONG" = "200 $SIZE" -a "$WRONG_SHA" = "$ORIGINAL_SHA"
check "while the right one, through the same nginx, gets 206 and the range" test "$RIGHT" = "206 100"

# 4. The trailing-slash redirect through the balancer.
echo
echo "# 4. a directory without its trailing slash, through nginx"
REDIRECT="$("${CURL[@]}" -o /dev/null -D "$WORK/redirect.head" -w '%{http_code}' "${BALANCER_URL}pub/sub" || true)"
LOCATION="$(field "$WORK/redirect.head" Location)"
FOLLOWED="$("${CURL[@]}" -L -o "$WORK/listing.html" -w '%{http_code} %{url_effective}' "${BALANCER_URL}pub/sub" || true)"
echo "#   GET ${BALANCER_URL}pub/sub -> $REDIRECT, Location: $LOCATION"
echo "#   followed: ${FOLLOWED%% *} at ${FOLLOWED#* }"
location_fits_the_balancer() {
    echo "Location: '$LOCATION' (replica ports $ONE_PORT and $TWO_PORT)"
    [[ "$REDIRECT" == 301 || "$REDIRECT" == 308 ]] || return 1
    [[ "$LOCATION" != *":$ONE_PORT"* && "$LOCATION" != *":$TWO_PORT"* ]] || return 1
    [[ "$LOCATION" == /pub/sub/ || "$LOCATION" == "${BALANCER_URL}pub/sub/" ]] || return 1
    [[ "$FOLLOWED" == "200 ${BALANCER_URL}pub/sub/" ]] && grep -q note.txt "$WORK/listing.html"
}
check "the redirect's Location is a path (no replica port), and following it through nginx lists the directory" \
    location_fits_the_balancer

# 5. Round robin: six requests, each marked with its number in the query, alternate between the replicas.
echo
echo "# 5. six requests through nginx"
for i in 1 2 3 4 5 6; do
    echo "#   GET /pub/small.txt?rr=$i -> $("${CURL[@]}" -o /dev/null -D "$WORK/rr.head" -w '%{http_code}' \
        "${BALANCER_URL}pub/small.txt?rr=$i" || true) from $(field "$WORK/rr.head" X-Replica)"
done
# The replicas' access lines (stderr, written by a background thread): wait for the sixth.
for _ in $(seq 50); do
    cat "$WORK/one.err" "$WORK/two.err" | grep -q 'rr=6 ' && break
    sleep 0.1
done
for who in one two; do
    grep -o '"GET /pub/small.txt?rr=[0-9]* [^"]*" [0-9]*' "$WORK/$who.err" | sed "s/^/#   replica $who logged: /" || true
done
alternate() {
    local one two
    one="$(grep -o 'rr=[0-9]*' "$WORK/one.err" | sed 's/rr=//' | tr '\n' ' ')"
    two="$(grep -o 'rr=[0-9]*' "$WORK/two.err" | sed 's/rr=//' | tr '\n' ' ')"
    echo "replica one: $one; replica two: $two"
    [[ ("$one" == "1 3 5 " && "$two" == "2 4 6 ") || ("$one" == "2 4 6 " && "$two" == "1 3 5 ") ]]
}
check "the replicas' access logs show the requests alternating (round robin)" alternate

# 6. The client behind the balancer: curl connects to nginx from 127.0.0.2 and sends a forged X-Forwarded-For; nginx
# sets Forwarded: for=127.0.0.2 (what it saw) and appends to X-Forwarded-For. The replicas trust 127.0.0.1 (the
# balancer) only, read Forwarded first, and so log 127.0.0.2: neither the balancer nor the forged address.
echo
echo "# 6. the client through nginx (the replicas run with --trusted-proxy 127.0.0.1)"
"${CURL[@]}" --interface 127.0.0.2 -o /dev/null -H 'X-Forwarded-For: 203.0.113.9' "${BALANCER_URL}pub/small.txt?client=1" || true
for _ in $(seq 50); do
    cat "$WORK/one.err" "$WORK/two.err" | grep -q 'client=1 ' && break
    sleep 0.1
done
logged="$(cat "$WORK/one.err" "$WORK/two.err" | grep 'client=1 ' | head -n 1)"
echo "#   curl from 127.0.0.2 with a forged X-Forwarded-For: 203.0.113.9; the replica logged: ${logged#*FileServer.Access\[2\] }"
check "a replica's access line names the client nginx saw (127.0.0.2), not the balancer nor a forged address" \
    grep -q 'FileServer.Access\[2\] 127\.0\.0\.2 "GET' <<<"$logged"
check "nothing went wrong on the replicas or nginx (no fail/crit line, no [error] or [crit])" \
    bash -c "! grep -E ' (fail|crit): ' '$WORK/one.err' '$WORK/two.err' && ! grep -E '\[(error|crit|alert|emerg)\]' '$WORK/nginx/error.log'"
echo
echo "# nginx's access log:"
sed 's/^/#   /' "$WORK/nginx/access.log"
check_summary replicas
