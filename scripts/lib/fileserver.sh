# shellcheck shell=bash
# FileServer's own: build the CLI, the load generator (or another project of this repository) once, and start a
# server on port 0 that says where it listens in its ready file. Needs process.sh, and WORK (a temporary directory
# the caller removes) and REPO_ROOT set:
#
#   source "$REPO_ROOT/scripts/lib/load.sh" process fileserver
#   DLL="$(fs_build_cli)" && LOADGEN="$(fs_build_loadgen)"
#   fs_start NAME ROOT [ARGS...]      # sets FS_URL and FS_PID (the server process); FS_WRAPPER is timeout's PID
#
# FILESERVER_DLL and LOADGEN_DLL, when set, name builds to use instead. Every wait is bounded.

# fs_build GIVEN PROJECT NAME: prints GIVEN (made absolute) when set, else builds the project in the directory
# PROJECT (relative to the repository; NAME.csproj, assembly NAME.dll) in Release and prints the path of its dll.
# The build goes to $WORK/artifacts (obj/ too), so that builds in the tree, concurrent or not, are left alone; no
# build server outlives it.
fs_build() {
    local given="$1" project="$2" name="$3" dll log="$WORK/build-$3.log"
    if [[ -n "$given" ]]; then
        [[ -f "$given" ]] || { echo "$given does not exist" >&2; return 1; }
        echo "$(cd "$(dirname "$given")" && pwd)/$(basename "$given")"
        return 0
    fi
    if ! timeout -k 10 900 dotnet build "$REPO_ROOT/$project" -c Release --nologo -v quiet --disable-build-servers \
        --artifacts-path "$WORK/artifacts" </dev/null >"$log" 2>&1; then
        echo "building $project failed:" >&2
        tail -n 30 "$log" >&2
        return 1
    fi
    dll="$WORK/artifacts/bin/$name/release/$name.dll"
    [[ -f "$dll" ]] || { echo "building $project made no $dll" >&2; return 1; }
    echo "$dll"
}

# fs_build_cli / fs_build_loadgen: FileServer.Cli.dll (or FILESERVER_DLL), LoadGen.dll (or LOADGEN_DLL).
fs_build_cli() { fs_build "${FILESERVER_DLL:-}" src/FileServer.Cli FileServer.Cli; }
fs_build_loadgen() { fs_build "${LOADGEN_DLL:-}" scripts/loadgen LoadGen; }

# fs_spawn NAME ROOT [ARGS...]: starts $DLL in the background on 127.0.0.1, port 0, bounded by FS_LIFETIME seconds
# (default 900), with its ready file, stdout and stderr in $WORK/NAME.{ready,out,err}; the server holds none of the
# script's other descriptors (fd 3, a copy of the script's stdout, would keep a pipe reader waiting). Sets FS_WRAPPER
# (timeout's PID, tracked for the exit). FS_TERMINAL="FILE COLUMNS ROWS" puts its stdout on a pseudo-terminal of that size
# (on_terminal.py: the same process, the same session) and copies what it draws into FILE.
fs_spawn() {
    local name="$1" root="$2"
    shift 2
    rm -f "$WORK/$name.ready"
    local terminal=()
    # shellcheck disable=SC2206 # three words, split on purpose
    [[ -z "${FS_TERMINAL:-}" ]] || terminal=(python3 "$REPO_ROOT/scripts/lib/on_terminal.py" $FS_TERMINAL)
    timeout -k 5 "${FS_LIFETIME:-900}" "${terminal[@]}" dotnet "$DLL" "$root" --host 127.0.0.1 --port 0 --ready-file "$WORK/$name.ready" "$@" \
        </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" 3>&- &
    FS_WRAPPER=$!
    lib_track "$FS_WRAPPER"
}

# fs_wait READY PID [SECONDS]: waits until the server PID wrote its ready file READY (default 30 s); 0 when it did,
# 1 when PID ended first, 2 when the time ran out. An empty PID: a server this shell cannot see (in a tmux pane).
fs_wait() {
    local i
    for ((i = 0; i < ${3:-30} * 10; i++)); do
        [[ -s "$1" ]] && return 0
        if [[ -n "$2" ]] && ! kill -0 "$2" 2>/dev/null; then
            [[ -s "$1" ]] && return 0
            return 1
        fi
        sleep 0.1
    done
    [[ -s "$1" ]] && return 0
    return 2
}

# fs_start NAME ROOT [ARGS...]: fs_spawn, then waits (FS_READY_TIMEOUT seconds, default 30) for the ready file. Sets
# FS_URL (the first URL) and FS_PID (the server itself, for /proc). Returns 1, with the server's stderr, and the
# server stopped, if it did not start.
fs_start() {
    local name="$1"
    fs_spawn "$@"
    if ! fs_wait "$WORK/$name.ready" "$FS_WRAPPER" "${FS_READY_TIMEOUT:-30}"; then
        echo "server $name did not start:" >&2
        cat "$WORK/$name.err" >&2
        lib_stop_pid "$FS_WRAPPER" || true
        return 1
    fi
    # shellcheck disable=SC2034 # for the caller
    FS_URL="$(head -n 1 "$WORK/$name.ready")"
    FS_PID="$(lib_child "$FS_WRAPPER")"
    [[ -n "$FS_PID" ]] || FS_PID="$FS_WRAPPER"
}
