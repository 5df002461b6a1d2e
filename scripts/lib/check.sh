# shellcheck shell=bash
# Counted checks with one line each, "ok - NAME" or "not ok - NAME" (then, for a failure, the first CHECK_LINES
# lines, default 15, of what the check printed, as "#   " diagnostics), and the closing "LABEL: N passed, N failed"
# that scripts/test.sh and CI read. Needs WORK.
#
#   check "the server starts" start_server
#   check_summary metrics || exit 1

PASS=0
FAIL=0

# check NAME CMD...: runs CMD, its output kept for the diagnostic, and counts the result.
check() {
    local name="$1" out="$WORK/check.out"
    shift
    if "$@" >"$out" 2>&1; then
        PASS=$((PASS + 1))
        echo "ok - $name"
    else
        FAIL=$((FAIL + 1))
        echo "not ok - $name"
        head -n "${CHECK_LINES:-15}" "$out" | sed 's/^/#   /'
    fi
}

# check_summary LABEL: "LABEL: N passed, N failed"; true when none failed.
check_summary() {
    echo "$1: $PASS passed, $FAIL failed"
    ((FAIL == 0))
}
