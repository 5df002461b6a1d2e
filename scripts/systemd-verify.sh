#!/usr/bin/env bash
# Checks samples/systemd/fileserver.service:
#   1. `systemd-analyze verify` accepts it with no warning. Its ExecStart names /usr/local/bin/fileserver, which is
#      not installed here and which verify would report as "not executable": the copy verified has the same unit
#      with only that binary replaced by /bin/true (arguments and every other line unchanged);
#   2. it sets every sandboxing option docs/deployment.md explains, and not MemoryDenyWriteExecute (the .NET JIT
#      needs writable then executable memory); `systemd-analyze security --offline` rates its exposure;
#   3. with FILESERVER_DLL set: the CLI accepts ExecStart's arguments (root, port and log path moved into a work dir,
#      127.0.0.1 and port 0), writes the access log file, survives ExecReload's SIGHUP and reopens that file by name
#      (what logrotate needs), and exits 0 on KillSignal's SIGTERM.
# Where systemd-analyze is missing or cannot run (some containers), part 1 prints "# skipped: ..." and counts
# nothing; --install first tries to install it (package systemd). Nothing is installed into systemd, no unit is
# started: verify and security only read files.
#
#   bash scripts/systemd-verify.sh [--install]      (a few seconds)
#
# Installs curl with apt-get when missing (part 3). Ends with "systemd-verify: N passed, N failed".
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LC_ALL=C.UTF-8 DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
LIB_NAME=systemd-verify
source "$REPO_ROOT/scripts/lib/load.sh" process apt fileserver check args
INSTALL=0
lib_parse_args "--install:INSTALL=1 --smoke:SMOKE=1" "$@"   # --smoke: the same checks, for the test command
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-systemd.XXXXXX")"
CHECK_LINES=30
lib_on_exit

UNIT="$REPO_ROOT/samples/systemd/fileserver.service"
[[ -f "$UNIT" ]] || lib_die "$UNIT is missing"
EXEC_START="$(sed -n 's/^ExecStart=//p' "$UNIT")"
BINARY="${EXEC_START%% *}"
echo "# unit: samples/systemd/fileserver.service"
echo "# ExecStart=$EXEC_START"

# 1. systemd-analyze verify, on a copy whose ExecStart binary exists (same file name: verify checks it against the
# unit's name).
((INSTALL)) && { apt_need systemd-analyze:systemd || echo "# systemd could not be installed"; }
mkdir -p "$WORK/units" "$WORK/probe"
sed "s#^ExecStart=$BINARY #ExecStart=/bin/true #" "$UNIT" >"$WORK/units/fileserver.service"
printf '[Service]\nExecStart=/bin/true\n' >"$WORK/probe/probe.service"
if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "# skipped: systemd-analyze is not installed (--install tries apt-get install systemd)"
elif ! timeout 60 systemd-analyze verify "$WORK/probe/probe.service" >"$WORK/probe.out" 2>&1; then
    echo "# skipped: systemd-analyze verify cannot run here, even on a two-line unit:"
    sed 's/^/#   /' "$WORK/probe.out" | head -n 5
else
    echo "# $(systemd-analyze --version | head -n 1); verifying a copy with ExecStart=/bin/true ${EXEC_START#* }"
    verify_clean() {
        local rc=0
        timeout 60 systemd-analyze verify "$WORK/units/fileserver.service" >"$WORK/verify.out" 2>&1 || rc=$?
        cat "$WORK/verify.out"
        echo "exit code $rc"
        # A unit problem (unknown key, bad value) is only a warning with exit 0: any line at all fails.
        ((rc == 0)) && [[ ! -s "$WORK/verify.out" ]]
    }
    check "systemd-analyze verify accepts the unit with no warning" verify_clean
    if timeout 60 systemd-analyze security --offline=true "$WORK/units/fileserver.service" \
        >"$WORK/security.out" 2>&1; then
        exposure="$(grep -o 'Overall exposure level for [^:]*: [0-9.]* [A-Z]*' "$WORK/security.out" | sed 's/.*: //')"
        echo "# systemd-analyze security --offline: exposure $exposure (0 = best, 10 = worst); not addressed:"
        grep '✗' "$WORK/security.out" | awk '{ print $2 }' | sort -u | tr '\n' ' ' | fold -s -w 110 | sed 's/^/#   /'
        echo
        check "its exposure level is 'OK' or better (at most 4.9)" \
            awk -v e="${exposure%% *}" 'BEGIN { exit !(e != "" && e + 0 <= 4.9) }'
    else
        echo "# skipped: systemd-analyze security --offline is not available here"
    fi
fi

# 2. The options, read from the file.
has_options() {
    local missing=() line
    # shellcheck disable=SC2016 # $MAINPID is the unit's, not the shell's
    for line in "DynamicUser=yes" "ProtectSystem=strict" "ProtectHome=yes" "ReadOnlyPaths=/srv/files" \
        "PrivateTmp=yes" "NoNewPrivileges=yes" "PrivateDevices=yes" "ProtectKernelTunables=yes" \
        "ProtectKernelModules=yes" "ProtectControlGroups=yes" "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" \
        "RestrictNamespaces=yes" "LockPersonality=yes" "SystemCallArchitectures=native" "LimitNOFILE=65536" \
        "KillSignal=SIGTERM" "TimeoutStopSec=30" "Restart=on-failure" 'ExecReload=/bin/kill -HUP $MAINPID' \
        "StandardOutput=journal"; do
        grep -qxF "$line" "$UNIT" || missing+=("$line")
    done
    ((${#missing[@]} == 0)) || { printf 'missing: %s\n' "${missing[@]}"; return 1; }
}
check "the unit sets every sandboxing, limit and stop option expected" has_options
check "the unit does not set MemoryDenyWriteExecute (the .NET JIT makes memory executable at run time)" \
    bash -c "! grep -E '^[[:space:]]*MemoryDenyWriteExecute' '$UNIT'"
check "ExecReload's SIGHUP has an access log file to reopen (--access-log FILE in ExecStart)" \
    grep -qE '^ExecStart=.* --access-log /[^ ]+' "$UNIT"

# 3. The CLI with ExecStart's arguments.
if [[ -z "${FILESERVER_DLL:-}" ]]; then
    echo "# skipped: FILESERVER_DLL is not set (the CLI run with ExecStart's arguments)"
else
    apt_need curl:curl || lib_die "curl is missing"
    DLL="$(fs_build_cli)" || lib_die "$FILESERVER_DLL is missing"
    mkdir -p "$WORK/files" "$WORK/log"
    echo "hello" >"$WORK/files/hello.txt"
    # ExecStart's words after the binary: the root and the log in the work dir, --host and --port left to fs_start
    # (127.0.0.1, port 0).
    read -r -a words <<<"${EXEC_START#* }"
    args=()
    for ((i = 0; i < ${#words[@]}; i++)); do
        case "${words[i]}" in
            --host | --port | -p) i=$((i + 1)) ;;
            /srv/files) ROOT_GIVEN=1 ;;
            --access-log) args+=(--access-log "$WORK/log/access.log"); i=$((i + 1)) ;;
            *) args+=("${words[i]}") ;;
        esac
    done
    [[ -n "${ROOT_GIVEN:-}" ]] || lib_die "ExecStart does not serve /srv/files"
    echo "# running: dotnet $DLL $WORK/files --host 127.0.0.1 --port 0 ... ${args[*]}"
    FS_LIFETIME=120 fs_start server "$WORK/files" "${args[@]}" || lib_die "the CLI did not start with ExecStart's arguments"
    get() { curl -q -sf --max-time 10 -o /dev/null -w '%{http_code}' "${FS_URL}hello.txt?$1"; }
    # wait_line FILE TEXT: up to 5 s for TEXT in FILE (lines are written every 20 ms).
    wait_line() {
        local _
        for _ in $(seq 50); do grep -qF "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
        cat "$1" 2>/dev/null
        return 1
    }
    code="$(get before || true)"
    echo "# GET ${FS_URL}hello.txt?before: HTTP $code"
    check "the CLI serves with ExecStart's options" test "$code" = 200
    check "the access line is in the file" wait_line "$WORK/log/access.log" "hello.txt?before"
    mv "$WORK/log/access.log" "$WORK/log/access.log.1"   # what logrotate does, then ExecReload:
    kill -HUP "$FS_PID"
    # Event 36 is logged just before the file is reopened: a moment more, and the reopen is done.
    for _ in $(seq 50); do grep -qF 'SIGHUP: reopening' "$WORK/server.err" 2>/dev/null && break; sleep 0.1; done
    sleep 0.2
    code="$(get after || true)"
    wait_line "$WORK/log/access.log" "hello.txt?after" >/dev/null || true
    echo "# after mv access.log access.log.1 and kill -HUP: HTTP $code; files: $(cd "$WORK/log" && echo *)"
    check "after SIGHUP the server still serves" bash -c "[[ '$code' == 200 ]] && kill -0 $FS_PID"
    reopened() {
        wait_line "$WORK/log/access.log" "hello.txt?after" || return 1
        grep -qF 'hello.txt?before' "$WORK/log/access.log.1" && ! grep -qF 'hello.txt?after' "$WORK/log/access.log.1"
    }
    check "the line after the reload is in a new access.log, the line before in the renamed one" reopened
    rc=0
    lib_stop_pid "$FS_WRAPPER" || rc=$?
    check "SIGTERM (KillSignal) stops it with exit code 0" test "$rc" -eq 0
fi
check_summary systemd-verify
