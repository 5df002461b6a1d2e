#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers (tests/FileServer.Fuzz): AFL++ from Debian drives SharpFuzz-instrumented
# FileServer.dll, one target after another, each for a bounded time.
#
#   bash scripts/fuzz.sh [--seconds N] [--target NAME]...   (default: every target, 300 s each)
#   bash scripts/fuzz.sh --smoke                            (no AFL: every target over its seeds and past findings)
#
# Targets: request-head, range, target, preconditions. Seeds come from the test corpora (tests/FileServer.Tests/
# Corpora) and tests/FileServer.Fuzz/Seeds.cs; inputs that once crashed are kept in tests/FileServer.Fuzz/findings/
# TARGET/ and replayed by every run. A crash prints its input's path and the exception; reproduce it with
#   dotnet tests/FileServer.Fuzz/bin/Debug/net10.0/FileServer.Fuzz.dll replay TARGET DIR
# then keep the input in findings/TARGET/ and turn it into a unit test (see ByteRangeParserTests for one).
# Installs afl++ with apt-get when missing (root or sudo). Prints one line per target with executions, time,
# coverage, corpus, crashes and hangs, and exits 1 when any target crashed or could not run.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGETS_ALL=(request-head range target preconditions)
SECONDS_PER_TARGET=300
SMOKE=0
TARGETS=()
while (($# > 0)); do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --seconds) SECONDS_PER_TARGET="$2"; shift ;;
        --target) TARGETS+=("$2"); shift ;;
        *) echo "fuzz: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done
((${#TARGETS[@]} > 0)) || TARGETS=("${TARGETS_ALL[@]}")
[[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] && ((SECONDS_PER_TARGET > 0 && SECONDS_PER_TARGET <= 86400)) \
    || { echo "fuzz: --seconds must be 1..86400" >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fileserver-fuzz.XXXXXX")"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
LIB_NAME=fuzz
source "$REPO_ROOT/scripts/lib/load.sh" process apt fileserver
lib_on_exit

# The plain build runs seeds and replays; a second, instrumented copy is what AFL++ drives.
PLAIN="$(fs_build "" tests/FileServer.Fuzz FileServer.Fuzz)" || { echo "fuzz: building tests/FileServer.Fuzz failed"; exit 1; }
FUZZ=(dotnet "$PLAIN")

failed=0
seed() { # TARGET -> $WORK/seeds/TARGET
    "${FUZZ[@]}" seeds "$1" "$REPO_ROOT/tests/FileServer.Tests/Corpora" "$WORK/seeds/$1" >/dev/null
}

if ((SMOKE)); then
    for target in "${TARGETS[@]}"; do
        seed "$target"
        dirs=("$WORK/seeds/$target")
        [[ -d "$REPO_ROOT/tests/FileServer.Fuzz/findings/$target" ]] && dirs+=("$REPO_ROOT/tests/FileServer.Fuzz/findings/$target")
        if ! "${FUZZ[@]}" replay "$target" "${dirs[@]}"; then
            failed=1
        fi
    done
    echo "fuzz smoke: ${#TARGETS[@]} targets replayed, $((failed == 0 ? 0 : 1)) with failures"
    exit "$failed"
fi

apt_need afl-fuzz:afl++ || { echo "fuzz: afl++ is not installed and apt-get could not install it"; exit 1; }

timeout 300 dotnet tool install --tool-path "$WORK/tools" SharpFuzz.CommandLine --version 2.3.0 >"$WORK/tool.log" 2>&1 \
    || { echo "fuzz: installing the sharpfuzz tool failed"; tail -n 5 "$WORK/tool.log"; exit 1; }
cp -r "$(dirname "$PLAIN")" "$WORK/instrumented"
"$WORK/tools/sharpfuzz" "$WORK/instrumented/FileServer.dll" \
    || { echo "fuzz: instrumenting FileServer.dll failed"; exit 1; }

# dotnet is not an AFL binary (SharpFuzz runs the forkserver); no core dumps or CPU governor to wait for here.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_QUIET=1
mkdir -p "$WORK/out"
stat_of() { awk -F': *' -v key="$1" '$1 ~ "^"key" *$" { print $2 }' "$2"; }

for target in "${TARGETS[@]}"; do
    seed "$target"
    out="$WORK/out/$target"
    started=$SECONDS
    timeout -k 10 $((SECONDS_PER_TARGET + 120)) afl-fuzz -i "$WORK/seeds/$target" -o "$out" -t 5000 -m none -V "$SECONDS_PER_TARGET" \
        -- dotnet "$WORK/instrumented/FileServer.Fuzz.dll" fuzz "$target" >"$WORK/afl-$target.log" 2>&1 || true
    stats="$out/default/fuzzer_stats"
    if [[ ! -s "$stats" ]]; then
        echo "fuzz $target: afl-fuzz did not run"; tail -n 15 "$WORK/afl-$target.log"; failed=1; continue
    fi
    crashes="$(stat_of saved_crashes "$stats")"
    hangs="$(stat_of saved_hangs "$stats")"
    echo "fuzz $target: $(stat_of execs_done "$stats") executions in $((SECONDS - started)) s ($(stat_of execs_per_sec "$stats")/s)," \
        "coverage $(stat_of bitmap_cvg "$stats"), corpus $(stat_of corpus_count "$stats"), crashes $crashes, hangs $hangs"
    if ((crashes > 0)); then
        failed=1
        # The plain build names each crash's exception; the inputs are left for findings/.
        mkdir -p "$REPO_ROOT/TestResults/fuzz-crashes/$target"
        cp "$out"/default/crashes/id* "$REPO_ROOT/TestResults/fuzz-crashes/$target/"
        "${FUZZ[@]}" replay "$target" "$REPO_ROOT/TestResults/fuzz-crashes/$target" || true
        echo "fuzz $target: crash inputs copied to TestResults/fuzz-crashes/$target"
    fi
done
exit "$failed"
