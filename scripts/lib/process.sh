# shellcheck shell=bash
# Processes a script starts and must stop: track them, stop each with SIGTERM and then SIGKILL after a bound, stop
# them all (and remove $WORK unless KEEP is set) when the script exits; the ports they listen on and what they use.
# WORK must be set by the time the script exits.
#
#   source "$REPO_ROOT/scripts/lib/load.sh" process
#   lib_on_exit                     # traps EXIT/INT/TERM; LIB_BEFORE_EXIT, when set, names a function run first
#   some-server & lib_track $!      # stopped at exit unless lib_stop_pid stopped it first
#
# STOP_TIMEOUT (seconds, default 20) bounds each stop.

LIB_PIDS=()

# lib_track PID: stop PID at exit.
lib_track() { LIB_PIDS+=("$1"); }

# lib_forget PID: PID was stopped (or is stopped elsewhere).
lib_forget() {
    local keep=() p
    for p in "${LIB_PIDS[@]}"; do
        [[ "$p" == "$1" ]] || keep+=("$p")
    done
    LIB_PIDS=("${keep[@]}")
}

# lib_await PID: waits up to STOP_TIMEOUT for PID to end, then SIGKILLs its process group (timeout(1) leads one:
# nginx workers, dotnet), or PID and its children where it leads none; LIB_KILLED says whether it had to. Returns
# PID's exit status and forgets it.
lib_await() {
    local pid="$1" i rc=0
    LIB_KILLED=0   # for the caller
    for ((i = 0; i < ${STOP_TIMEOUT:-20} * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        # shellcheck disable=SC2034 # for the caller
        LIB_KILLED=1
        # shellcheck disable=SC2046 # one word per child
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" $(pgrep -P "$pid") 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || rc=$?
    lib_forget "$pid"
    return "$rc"
}

# lib_stop_pid PID: SIGTERM, then as lib_await.
lib_stop_pid() {
    kill -TERM "$1" 2>/dev/null || true
    lib_await "$1"
}

# lib_stop_all: stops every tracked process.
lib_stop_all() {
    local pid
    for pid in "${LIB_PIDS[@]}"; do
        lib_stop_pid "$pid" || true
    done
}

lib_exit() {
    trap - EXIT INT TERM
    [[ -n "${LIB_BEFORE_EXIT:-}" ]] && "$LIB_BEFORE_EXIT"
    lib_stop_all
    if [[ -n "${KEEP:-}" ]]; then
        echo "# kept $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}

# lib_on_exit: at exit, interrupt or termination, stop what is tracked and remove $WORK.
lib_on_exit() {
    trap lib_exit EXIT
    trap 'echo "# interrupted" >&2; exit 130' INT
    trap 'echo "# terminated" >&2; exit 143' TERM
}

# lib_die MESSAGE: one line on stderr, exit 2.
lib_die() {
    echo "${LIB_NAME:-${0##*/}}: error: $*" >&2
    exit 2
}

# lib_child PID: PID's first child, e.g. the server that timeout(1) runs.
lib_child() { pgrep -P "$1" 2>/dev/null | head -n 1; }

# lib_family PID: PID and its children (an nginx master and its workers).
lib_family() {
    echo "$1"
    pgrep -P "$1" 2>/dev/null || true
}

# lib_free_port: a port in 20000-29999 with no socket bound to it (the ephemeral range, 32768+, is left to clients).
lib_free_port() {
    local used port i
    used="$(awk 'NR > 1 { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u)"
    for ((i = 0; i < 100; i++)); do
        port=$((20000 + (${SRANDOM:-$RANDOM} % 10000)))
        grep -qx "$(printf '%04X' "$port")" <<<"$used" || { echo "$port"; return 0; }
    done
    return 1
}

# lib_listening PORT: a socket listens on 127.0.0.1:PORT.
lib_listening() {
    grep -q "^ *[0-9]*: 0100007F:$(printf '%04X' "$1") 00000000:0000 0A " /proc/net/tcp
}

# lib_wait_listening PORT [SECONDS [PID]]: true once a socket listens on 127.0.0.1:PORT (default 30 s); false at
# once when PID, the process meant to listen, has ended.
lib_wait_listening() {
    local i
    for ((i = 0; i < ${2:-30} * 10; i++)); do
        lib_listening "$1" && return 0
        [[ -z "${3:-}" ]] || kill -0 "$3" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# lib_rss_kib PID...: resident memory summed over the processes, in KiB (0 for one that is gone).
lib_rss_kib() {
    local sum=0 pid value
    for pid in "$@"; do
        value="$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
        sum=$((sum + ${value:-0}))
    done
    echo "$sum"
}

# lib_fds PID: the process's open descriptors.
lib_fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

