#!/usr/bin/env bash
# --progress in a real terminal: the server runs in a tmux pane, two slow downloads run, and the pane, captured,
# shows a row for each (path and percentage) and the totals. The capture is printed and kept in
# TestResults/progress-pane.txt. Then, on a terminal of 10 rows (scripts/lib/on_terminal.py), six downloads: the
# rows that do not fit are counted on an "and N more" line; and when the terminal goes away, the server serves on
# and still stops cleanly.
#
#   bash scripts/progress.sh [--smoke]      (the same either way: about 15 s)
#
# FILESERVER_DLL skips the build. Installs tmux and curl with apt-get when missing. Ends with
# "progress: N passed, N failed".
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LC_ALL=C.UTF-8 DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-progress.XXXXXX")"
SESSION="fileserver-progress-$$"
LIB_NAME=progress
source "$REPO_ROOT/scripts/lib/load.sh" process apt fileserver check
end_session() { tmux kill-session -t "$SESSION" 2>/dev/null || true; }
LIB_BEFORE_EXIT=end_session
lib_on_exit

apt_need tmux:tmux curl:curl || lib_die "tmux or curl is missing"
DLL="$(fs_build_cli)" || lib_die "the CLI could not be built"
mkdir -p "$WORK/root"
head -c $((64 << 20)) /dev/urandom >"$WORK/root/first.iso"
head -c $((64 << 20)) /dev/urandom >"$WORK/root/second.iso"

tmux new-session -d -s "$SESSION" -x 160 -y 30 \
    "dotnet '$DLL' '$WORK/root' --host 127.0.0.1 --port 0 --ready-file '$WORK/ready' --progress 2>'$WORK/server.err'"
fs_wait "$WORK/ready" "" 30 || { cat "$WORK/server.err"; lib_die "the server did not start in the pane"; }
URL="$(head -n 1 "$WORK/ready")"

# Two downloads that last about 8 s each: the pane is captured while both run.
for name in first second; do
    timeout 60 curl -q -sf --limit-rate 8M -o "$WORK/$name.dl" "$URL$name.iso" &
    lib_track $!
done
capture="$WORK/pane.txt"
shown=0
for _ in $(seq 60); do
    tmux capture-pane -p -t "$SESSION" >"$capture"
    # Both rows, and a rate on each (the second look at a transfer has one).
    if grep -q '/first.iso' "$capture" && grep -q '/second.iso' "$capture" && grep -q 'transfers 2' "$capture" \
        && (($(grep -E '/(first|second)\.iso' "$capture" | grep -cvE ' 0 B/s') == 2)); then
        shown=1
        break
    fi
    sleep 0.1
done
mkdir -p "$REPO_ROOT/TestResults"
cp "$capture" "$REPO_ROOT/TestResults/progress-pane.txt"
sed 's/^/# | /' "$capture"

check "the pane shows a row for each of two running downloads" test "$shown" -eq 1
check "each row has a percentage" test "$(grep -E '/(first|second)\.iso' "$capture" | grep -cE '[0-9]+\.[0-9]%')" -eq 2
check "the totals show 2 connections and 2 transfers" grep -qE 'connections 2 +transfers 2' "$capture"
check "each row has a rate" test "$(grep -E '/(first|second)\.iso' "$capture" | grep -cE '[0-9.]+ [KMG]iB/s')" -eq 2
check "each row names its body path (sendfile)" test "$(grep -E '/(first|second)\.iso' "$capture" | grep -c sendfile)" -eq 2

# Six downloads on a terminal of 10 rows: 4 rows fit (the totals, the table's borders, heading and the last line
# take 6), the other 2 are counted.
FS_TERMINAL="$WORK/small-terminal.out 100 10" fs_start small "$WORK/root" --progress
downloads=()
for i in 1 2 3 4 5 6; do
    timeout 60 curl -q -sf --limit-rate 4M -o /dev/null "${FS_URL}first.iso?n=$i" &
    lib_track $!
    downloads+=($!)
done
more=0
for _ in $(seq 60); do
    grep -qa 'and 2 more' "$WORK/small-terminal.out" && { more=1; break; }
    sleep 0.1
done
check "a terminal too short for six transfers shows four rows and 'and 2 more'" test "$more" -eq 1
# Its terminal closed under it (the copier ends, as a terminal window that closes without a hangup): the view's
# next frame fails with EIO; the server must neither crash nor stop serving.
# The copier is the one python3 process left with this command line (the server exec'd away from it; timeout(1) has one too).
pkill -f "^python3 .*on_terminal.py $WORK/small-terminal.out" || true
for _ in $(seq 20); do pgrep -f "^python3 .*on_terminal.py $WORK/small-terminal.out" >/dev/null || break; sleep 0.1; done
# About 2 s (64 MiB at 32 MiB/s): frames are due meanwhile, and each meets the closed terminal.
code="$(curl -q -s --limit-rate 32M -o /dev/null -w "%{http_code}" "${FS_URL}second.iso" --max-time 30 || true)"
echo "# after the terminal closed: HTTP $code"
check "with its terminal gone, the server still answers" test "$code" = 200
for pid in "${downloads[@]}"; do lib_stop_pid "$pid" || true; done
rc=0
lib_stop_pid "$FS_WRAPPER" || rc=$?
check "and stops cleanly on SIGTERM (exit code 0)" test "$rc" -eq 0
check "no unhandled exception on its stderr" bash -c "! grep -q 'Unhandled exception' '$WORK/small.err'"
check_summary progress
