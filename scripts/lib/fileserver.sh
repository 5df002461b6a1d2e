# shellcheck shell=bash
# Helpers the scripts share: build the CLI and the load generator once, start a FileServer on port 0 and wait for
# its ready file, and find the server process behind timeout(1). Source it after setting WORK (a temporary
# directory the caller removes) and REPO_ROOT; memory and descriptor counts are in process.sh:
#
#   source "$REPO_ROOT/scripts/lib/fileserver.sh"
#   DLL="$(fs_build_cli)" && LOADGEN="$(fs_build_loadgen)"
#   fs_start NAME ROOT [ARGS...]      # sets FS_URL and FS_PID (the server process); FS_WRAPPER is timeout's PID
#
# FILESERVER_DLL and LOADGEN_DLL, when set, name builds to use instead. Every wait is bounded.

# fs_build GIVEN PROJECT NAME DLL: prints GIVEN when set, else builds PROJECT (relative to the repository) in Release
# into $WORK/NAME and prints the path of DLL there.
fs_build() {
    local given="$1" project="$2" name="$3" dll="$4"
    if [[ -n "$given" ]]; then
        echo "$given"
        return 0
    fi
    timeout 900 dotnet build "$REPO_ROOT/$project" -c Release -o "$WORK/$name" --nologo -v quiet >"$WORK/$name-build.log" 2>&1 \
        || { echo "building $project failed:" >&2; tail -n 5 "$WORK/$name-build.log" >&2; return 1; }
    echo "$WORK/$name/$dll"
}

# fs_build_cli / fs_build_loadgen: FileServer.Cli.dll (or FILESERVER_DLL), LoadGen.dll (or LOADGEN_DLL).
fs_build_cli() { fs_build "${FILESERVER_DLL:-}" src/FileServer.Cli cli FileServer.Cli.dll; }
fs_build_loadgen() { fs_build "${LOADGEN_DLL:-}" scripts/loadgen loadgen LoadGen.dll; }

# fs_start NAME ROOT [ARGS...]: starts $DLL on 127.0.0.1, port 0, with its ready file, stdout and stderr in
# $WORK/NAME.*; bounded by FS_LIFETIME seconds (default 900). Sets FS_URL (the first URL), FS_WRAPPER (timeout's
# PID, to kill) and FS_PID (the server itself, for /proc). Returns 1, with the server's stderr, if it did not start.
fs_start() {
    local name="$1" root="$2" i
    shift 2
    rm -f "$WORK/$name.ready"
    timeout -k 5 "${FS_LIFETIME:-900}" dotnet "$DLL" "$root" --host 127.0.0.1 --port 0 --ready-file "$WORK/$name.ready" "$@" \
        </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" &
    FS_WRAPPER=$!
    for ((i = 0; i < 300; i++)); do [[ -s "$WORK/$name.ready" ]] && break; sleep 0.1; done
    if [[ ! -s "$WORK/$name.ready" ]]; then
        echo "server $name did not start:" >&2
        cat "$WORK/$name.err" >&2
        return 1
    fi
    FS_URL="$(head -n 1 "$WORK/$name.ready")"
    FS_PID="$(pgrep -P "$FS_WRAPPER" -f FileServer.Cli.dll | head -n 1)"
    [[ -n "$FS_PID" ]] || FS_PID="$FS_WRAPPER"
}
