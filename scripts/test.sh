#!/usr/bin/env bash
# Runs every test: the unit tests (dotnet test over FileServer.sln, TRX results) and the end-to-end
# script (scripts/integration.sh, which builds the CLI in Release once unless FILESERVER_DLL is set).
#
#   bash scripts/test.sh
#
# The last line printed is exactly "N passed, N failed" (unit + integration). The exit code is non-zero if
# anything failed, dotnet test failed, no TRX was written, no unit test ran, or the integration script
# did not report its counts. TRX files and the integration log are kept in TestResults/run.XXXXXX/.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

export DOTNET_NOLOGO=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1

UNIT_TIMEOUT=1800         # seconds for dotnet test (build included)
INTEGRATION_TIMEOUT=1800  # seconds for scripts/integration.sh (build included)

# The browser test drives Debian's chromium (Browser/ListingBrowserTests); every other tool a script needs, that
# script installs itself.
source "$REPO_ROOT/scripts/lib/load.sh" apt
apt_need chromium:chromium || echo "# chromium could not be installed: the browser test will fail"

mkdir -p TestResults
RESULTS="$(mktemp -d "$REPO_ROOT/TestResults/run.XXXXXX")"

problems=()

# ---------------------------------------------------------------------------------------------------------
# Unit tests

echo "== unit tests (dotnet test; results in $RESULTS)"
unit_rc=0
timeout --foreground -k 30 "$UNIT_TIMEOUT" dotnet test FileServer.sln \
    --logger "trx;LogFileName=unit.trx" --results-directory "$RESULTS" || unit_rc=$?
if ((unit_rc != 0)); then
    problems+=("dotnet test exited with code $unit_rc")
fi

# Sums one attribute of <Counters .../> over the TRX files given.
counter_sum() {
    local attribute="$1" sum=0 file value
    shift
    for file in "$@"; do
        value="$(grep -o '<Counters [^>]*>' "$file" | head -n 1 | grep -o " $attribute=\"[0-9]*\"" | grep -o '[0-9]\+' || true)"
        sum=$((sum + ${value:-0}))
    done
    echo "$sum"
}

mapfile -t trx_files < <(find "$RESULTS" -type f -name '*.trx' | sort)
unit_total=0 unit_executed=0 unit_passed=0 unit_failed=0 unit_not_executed=0
if ((${#trx_files[@]} == 0)); then
    problems+=("no TRX file was written to $RESULTS")
else
    unit_total="$(counter_sum total "${trx_files[@]}")"
    unit_executed="$(counter_sum executed "${trx_files[@]}")"
    unit_passed="$(counter_sum passed "${trx_files[@]}")"
    # Every outcome that is neither a pass nor a skip counts as a failure.
    unit_failed=$(($(counter_sum failed "${trx_files[@]}") + $(counter_sum error "${trx_files[@]}") \
        + $(counter_sum timeout "${trx_files[@]}") + $(counter_sum aborted "${trx_files[@]}")))
    unit_not_executed="$(counter_sum notExecuted "${trx_files[@]}")"
    if ((unit_executed == 0)); then
        problems+=("no unit test ran (${#trx_files[@]} TRX file(s), total=$unit_total)")
    fi
fi
echo "unit: $unit_passed passed, $unit_failed failed ($unit_executed executed of $unit_total, $unit_not_executed not executed; ${#trx_files[@]} TRX file(s))"

# ---------------------------------------------------------------------------------------------------------
# Integration

# The end-to-end scripts share one Release build of the CLI, unless the caller gave one.
if [[ -z "${FILESERVER_DLL:-}" ]]; then
    echo "== building the CLI (Release) for the end-to-end scripts"
    # fs_build builds below WORK: here the results directory, which is kept.
    WORK="$RESULTS"
    source "$REPO_ROOT/scripts/lib/load.sh" fileserver
    if FILESERVER_DLL="$(fs_build_cli)"; then
        export FILESERVER_DLL
    else
        problems+=("building src/FileServer.Cli (Release) failed; see $RESULTS/build-FileServer.Cli.log")
    fi
fi

echo "== integration (scripts/integration.sh)"
integration_log="$RESULTS/integration.log"
integration_rc=0
timeout --foreground -k 30 "$INTEGRATION_TIMEOUT" bash scripts/integration.sh 2>&1 | tee "$integration_log" || integration_rc=$?
int_passed=0 int_failed=0
summary="$(grep -E '^integration: [0-9]+ passed, [0-9]+ failed$' "$integration_log" | tail -n 1 || true)"
if [[ -z "$summary" ]]; then
    problems+=("scripts/integration.sh printed no 'integration: N passed, N failed' line (exit code $integration_rc)")
else
    int_passed="$(sed -E 's/^integration: ([0-9]+) passed, ([0-9]+) failed$/\1/' <<<"$summary")"
    int_failed="$(sed -E 's/^integration: ([0-9]+) passed, ([0-9]+) failed$/\2/' <<<"$summary")"
    if ((integration_rc != 0 && int_failed == 0)); then
        problems+=("scripts/integration.sh exited with code $integration_rc")
    fi
fi

# ---------------------------------------------------------------------------------------------------------
# Smoke slices of the long scripts, each counted as one check: conformance (the full differential run against
# nginx is scripts/conformance.sh), stress (scripts/stress.sh), bench (the full two-round run is scripts/bench.sh;
# timings are never judged here, only that every server starts and every body it serves is verified), fuzz (the
# targets over their seeds and past findings, no AFL) and soak (20 s of the mixed load).

smoke_passed=0 smoke_failed=0
# smoke SCRIPT WHAT_FAILED : runs `bash scripts/SCRIPT.sh --smoke`, bounded.
smoke() {
    echo "== $1 smoke (scripts/$1.sh --smoke)"
    if timeout --foreground -k 30 900 bash "scripts/$1.sh" --smoke; then
        smoke_passed=$((smoke_passed + 1))
    else
        smoke_failed=$((smoke_failed + 1))
        echo "not ok - $1 smoke: $2"
    fi
}
smoke conformance "a server did not start or a request did not complete"
smoke stress "an assertion failed or a phase could not run"
smoke bench "a server did not start or a verification failed"
smoke peers "a server did not start or a download was incomplete"
smoke cold-trade "a server did not start or a cold pass gave no result"
smoke fuzz "a fuzz target failed on its seeds or on a past finding"
smoke soak "an escape, a wrong byte, a failed request, a server error or descriptors not flat"
smoke metrics "dotnet-counters did not see the meter or the Prometheus text was malformed"
smoke progress "the live view in tmux did not show both running downloads"
smoke package "dotnet pack, the tool install, the installed command's download or the public API check failed"
smoke replicas "behind nginx: validators differ between replicas, a resume on the other replica failed, or the client was misnamed"
smoke systemd-verify "the systemd unit did not verify, lacks a sandboxing option, or the CLI refused its arguments or signals"

# ---------------------------------------------------------------------------------------------------------
# Allocation smoke slice (the full run, >= 100,000 requests and 1 GiB bodies, is scripts/alloc.sh)

echo "== allocation smoke (scripts/alloc.sh --smoke)"
alloc_passed=0 alloc_failed=0
timeout --foreground -k 30 600 bash scripts/alloc.sh --smoke | tee "$RESULTS/alloc.out" || true
if read -r alloc_passed alloc_failed < <(sed -n 's/^alloc: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$RESULTS/alloc.out" | tail -n 1) \
    && [[ -n "$alloc_passed" ]]; then
    :
else
    alloc_passed=0 alloc_failed=1
    echo "not ok - allocation smoke: no summary line"
fi

# ---------------------------------------------------------------------------------------------------------
# Summary

passed=$((unit_passed + int_passed + smoke_passed + alloc_passed))
failed=$((unit_failed + int_failed + smoke_failed + alloc_failed))
status=0
if ((failed > 0)); then
    status=1
fi
if ((${#problems[@]} > 0)); then
    status=1
    for problem in "${problems[@]}"; do
        echo "error: $problem"
    done
fi
# The failed tests are named again here, beside the summary, because CI keeps only the end of the output.
if ((unit_failed > 0)); then
    for file in "${trx_files[@]}"; do
        grep -o '<UnitTestResult [^>]*outcome="\(Failed\|Error\|Timeout\|Aborted\)"[^>]*>' "$file" \
            | sed -E 's/.* testName="([^"]*)".*/not ok - unit test: \1/' || true
    done
fi
echo "== unit: $unit_passed passed, $unit_failed failed; integration: $int_passed passed, $int_failed failed"
echo "$passed passed, $failed failed"
exit "$status"
