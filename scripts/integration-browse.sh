# shellcheck shell=bash
# Checks of listings, precompressed siblings, checksums and folder archives with the real tools (curl, sha256sum,
# GNU tar, strace), sourced by scripts/integration.sh (its check, start_server, wait_ready, stop_server, CURL).
# The HTTP details (escaping, negotiation tables, JSON, validators) are NUnit's: Integration/DirectoryListingTests,
# PrecompressedTests, DigestTests, ArchiveTests, Browser/ListingBrowserTests.

browse_tree() {
    BROWSE="$WORK/browse"
    mkdir -p "$BROWSE/folder/sub dir" "$BROWSE/folder/empty"
    seq 1 200000 >"$BROWSE/app.js"
    gzip -k -9 "$BROWSE/app.js"
    truncate -s 1G "$BROWSE/gig.iso"
    head -c $((48 * 1024 * 1024)) /dev/urandom >"$BROWSE/folder/large.bin"
    printf 'small\n' >"$BROWSE/folder/sub dir/small.txt"
    printf 'naïve\n' >"$BROWSE/folder/$(printf 'ü%.0s' $(seq 1 60)).txt"
}

# curl --compressed gets the .gz sibling and decodes it to the original's bytes.
compressed_sibling() {
    local headers="$WORK/compressed.headers" body="$WORK/compressed.body"
    "${CURL[@]}" --compressed -D "$headers" -o "$body" "$BASE/app.js" || { echo "curl failed"; return 1; }
    grep -qi '^Content-Encoding: gzip' "$headers" || { echo "no gzip encoding:"; cat "$headers"; return 1; }
    cmp -s "$body" "$BROWSE/app.js" || { echo "decoded bytes differ from app.js"; return 1; }
}

# sha256sum -c accepts the .sha256 sibling of a downloaded 1 GiB file.
sha256_sibling() {
    local dir="$WORK/sums"
    mkdir -p "$dir"
    "${CURL[@]}" -o "$dir/gig.iso" "$BASE/gig.iso" || { echo "download failed"; return 1; }
    "${CURL[@]}" -f -o "$dir/gig.iso.sha256" "$BASE/gig.iso.sha256" || { echo "no .sha256 sibling"; return 1; }
    (cd "$dir" && sha256sum -c gig.iso.sha256) || { cat "$dir/gig.iso.sha256"; return 1; }
}

# A folder download cut short (curl --max-time) and resumed with curl -C - is the whole archive; GNU tar extracts
# the tree from it byte for byte.
archive_resumed() {
    local dir="$WORK/archive" rc=0
    mkdir -p "$dir/x"
    "${CURL[@]}" --limit-rate 8M --max-time 1 -o "$dir/folder.tar" "$BASE/folder/?archive=tar" || rc=$?
    ((rc == 28)) || { echo "the first download was not cut short (curl exit $rc)"; return 1; }
    [[ -s "$dir/folder.tar" ]] || { echo "nothing received before the cut"; return 1; }
    echo "cut after $(stat -c %s "$dir/folder.tar") bytes"
    "${CURL[@]}" -C - -o "$dir/folder.tar" "$BASE/folder/?archive=tar" || { echo "resume failed"; return 1; }
    tar -xf "$dir/folder.tar" -C "$dir/x" || { echo "tar -x failed"; return 1; }
    diff -r "$dir/x/folder" "$BROWSE/folder" || { echo "the extracted tree differs"; return 1; }
}

# The archive's member bytes leave with sendfile(2): strace on the server sees it during a folder download.
archive_uses_sendfile() {
    local pid trace="$WORK/archive.trace" tracer
    pid="$(server_process)"
    [[ -n "$pid" ]] || { echo "no server process"; return 1; }
    timeout 30 strace -f -qq -e trace=sendfile -o "$trace" -p "$pid" &
    tracer=$!
    # Attached once it traces anything: a plain zero-copy download proves it.
    for _ in $(seq 50); do "${CURL[@]}" -o /dev/null "$BASE/folder/large.bin"; [[ -s "$trace" ]] && break; sleep 0.1; done
    : >"$trace.before"
    cp "$trace" "$trace.before"
    "${CURL[@]}" -o /dev/null "$BASE/folder/?archive=tar" || { kill -INT "$tracer"; echo "archive download failed"; return 1; }
    kill -INT "$tracer" 2>/dev/null; wait "$tracer" 2>/dev/null
    local before after
    before="$(grep -c 'sendfile(' "$trace.before" || true)" after="$(grep -c 'sendfile(' "$trace" || true)"
    echo "sendfile calls: $before before the archive, $after after"
    ((after > before))
}

run_browse() {
    local saved_root="$ROOT"
    browse_tree
    ROOT="$BROWSE"
    start_server browse
    check "browse: server writes its URL to the ready file" wait_ready
    if [[ -n "$URL" ]]; then
        check "browse: curl --compressed gets the .gz sibling, decoded equal to the original" compressed_sibling
        check "browse: sha256sum -c accepts the .sha256 sibling of a downloaded 1 GiB file" sha256_sibling
        check "browse: curl -C - resumes a cut ?archive=tar download; tar -x equals the tree" archive_resumed
        check "browse: strace shows sendfile for archive members" archive_uses_sendfile
    fi
    check "browse: SIGTERM stops the server with exit code 0" stop_server
    ROOT="$saved_root"
}
