#!/usr/bin/env bash
# The cold downloads' speed against the small requests' tail beside them: FileServer as it comes, and paced with
# --limit-rate, each against nginx, all up at once.
#
#   bash scripts/cold-trade.sh [--rounds N] [--rates LIST] [--mib M] [--smoke] [--keep]
#
# On two cores shared with the clients, every byte a server hands the four downloading curls faster is CPU they take
# from the small requests' client and server (docs/performance.md, "The send buffer's size, and what the tail
# costs"). This measures where FileServer stands on that trade, and where --limit-rate (per response, as nginx's
# limit_rate) moves it. Up at once on 127.0.0.1, serving the same files: nginx (sendfile on; tcp_nopush on; as
# scripts/bench.sh), FileServer, and one FileServer per rate in LIST (comma-separated --limit-rate values; default
# 300m,450m). After a warm-up (the 4 KiB file for 3 s, the 64 MiB file 40 times, from each), N rounds (default 12)
# of scripts/bench.sh's cold pass against each, in an order that rotates every round and reverses every other cycle:
# four files of M MiB (default 1024) evicted from the page cache and downloaded at once, and `wrk -t1 -c10 --latency`
# on the hot 4 KiB file for as long as they run. Printed per FileServer ÷ nginx: the geometric mean of the per-round
# ratios with a 95 % interval (Student's t) for the 4 KiB requests/s, their p99 and the downloads' MiB/s together,
# and each server's medians. --smoke (in the test command): 16 MiB files, one rate, no warm-up, one round; it fails
# only if a server does not start or a pass gives no result.
#
# Installs nginx-light, curl and wrk with apt-get when missing; builds the CLI in Release into a temporary work dir,
# removed at the end unless --keep (then it keeps rounds.tsv: round, server, req/s, p99 ms, MiB/s). FILESERVER_DLL
# names a built FileServer.Cli.dll to use instead.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LIB_NAME=cold-trade
source "$REPO_ROOT/scripts/lib/load.sh" process apt nginx fileserver args
source "$REPO_ROOT/scripts/bench/scenarios.sh"
source "$REPO_ROOT/scripts/bench/side-by-side-load.sh"
ROUNDS=12 RATES=300m,450m COLD_MIB=1024 SMOKE=0 KEEP=""
lib_parse_args "--rounds=ROUNDS --rates=RATES --mib=COLD_MIB --smoke:SMOKE=1 --keep:KEEP=1" "$@"
((SMOKE)) && ROUNDS=1 RATES=450m COLD_MIB=16
[[ "$ROUNDS" =~ ^[1-9][0-9]{0,2}$ && "$ROUNDS" -le 200 ]] || lib_usage_error "--rounds needs 1-200"
[[ "$COLD_MIB" =~ ^[1-9][0-9]{0,4}$ ]] || lib_usage_error "--mib needs a positive size in MiB"
[[ "$RATES" =~ ^[1-9][0-9]*[kKmMgG]?(,[1-9][0-9]*[kKmMgG]?)*$ ]] || lib_usage_error "--rates needs --limit-rate values, e.g. 450m,600m"

export LC_ALL=C DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
WORK="$(mktemp -d /tmp/fileserver-cold-trade.XXXXXX)"
chmod 755 "$WORK"   # nginx workers (nobody) read the files below it
lib_on_exit
# What scenarios.sh's cold pass reads.
MiB=$((1024 * 1024)) COLD_WRK_SECONDS=120 DOWNLOAD_TIMEOUT=300 DATA="$WORK/www"
CURL=(curl -q -sS --noproxy '*' --http1.1 --connect-timeout 5)

nginx_ensure && apt_need curl:curl wrk:wrk || { echo "cold-trade: could not install nginx, curl or wrk" >&2; exit 1; }
echo "# building$([[ -n "${FILESERVER_DLL:-}" ]] && echo " nothing: FILESERVER_DLL" || echo " FileServer (Release)")"
DLL="$(fs_build_cli)" || { echo "cold-trade: the CLI could not be built" >&2; exit 1; }

mkdir -p "$DATA"
head -c 4096 /dev/urandom >"$DATA/small.bin"
head -c $((64 * MiB)) /dev/urandom >"$DATA/mid.bin"
chmod 644 "$DATA"/*.bin
echo "# the cold set: 4 x $COLD_MIB MiB, written and read back twice"
cold_files

# Every server ends by itself after two hours at most, whatever happens to this script.
declare -A SERVER_URL
NAMES=(fileserver)
FS_LIFETIME=7200 fs_start fileserver "$DATA" --log-level Warning || exit 1
SERVER_URL[fileserver]="$FS_URL"
IFS=, read -r -a rates <<<"$RATES"
for rate in "${rates[@]}"; do
    FS_LIFETIME=7200 fs_start "fileserver-$rate" "$DATA" --log-level Warning --limit-rate "$rate" || exit 1
    SERVER_URL["fileserver-$rate"]="$FS_URL"
    NAMES+=("fileserver-$rate")
done
NGINX_LIFETIME=7200 nginx_start nginx "$DATA" on || { echo "cold-trade: nginx did not start" >&2; exit 1; }
SERVER_URL[nginx]="$NGINX_URL"
NAMES+=(nginx)

if ((!SMOKE)); then
    echo "# warm-up: the 4 KiB file for 3 s and the 64 MiB file 40 times, from each"
    for name in "${NAMES[@]}"; do
        timeout -k 5 60 wrk -t2 -c8 -d3s "${SERVER_URL[$name]}small.bin" >/dev/null 2>&1 || { echo "cold-trade: $name: warm-up wrk failed" >&2; exit 1; }
        for ((i = 0; i < 40; i++)); do
            "${CURL[@]}" -f --max-time 60 -o /dev/null "${SERVER_URL[$name]}mid.bin" || { echo "cold-trade: $name: warm-up download failed" >&2; exit 1; }
        done
    done
fi

echo "# $ROUNDS rounds of a cold pass against each: ${NAMES[*]}"
n=${#NAMES[@]}
: >"$WORK/rounds.tsv"
cold_prime
for ((r = 0; r < ROUNDS; r++)); do
    order=()
    for ((i = 0; i < n; i++)); do order+=("${NAMES[(r + i) % n]}"); done
    # Every other cycle backwards, so that no server always follows the same one.
    if (((r / n) % 2)); then
        for ((i = 0; i < n / 2; i++)); do t="${order[i]}"; order[i]="${order[n - 1 - i]}"; order[n - 1 - i]="$t"; done
    fi
    for name in "${order[@]}"; do
        URL="${SERVER_URL[$name]}" dir="$WORK/r$r.$name"
        cold_pass "$dir" || { echo "cold-trade: round $((r + 1)), $name: $(cat "$dir/error")" >&2; exit 1; }
        printf '%s %s %s %s %s\n' "$r" "$name" "$(cat "$dir/rps")" "$(cat "$dir/p99")" "$(cat "$dir/mibs")" >>"$WORK/rounds.tsv"
    done
done

echo "# $(nproc) CPUs, $(uname -r), build $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC'), 4 x $COLD_MIB MiB"
awk -v names="${NAMES[*]}" "$GEO_INTERVAL_AWK"'
    function ratio(s, c,    r, k) {
        k = 0
        for (r = 0; r < nr; r++) if (v[s, r, c] > 0 && v["nginx", r, c] > 0) l[++k] = log(v[s, r, c] / v["nginx", r, c])
        if (k == 0) return "—"
        geo_mean(l, k)
        return sprintf("%.3f× (%.3f–%.3f)", exp(GEO_MEAN), geo_lo(), geo_hi())
    }
    function med(s, c,    r) { for (r = 0; r < nr; r++) x[r + 1] = v[s, r, c]; return median(x, nr) }
    { v[$2, $1, 3] = $3; v[$2, $1, 4] = $4; v[$2, $1, 5] = $5; if ($1 + 1 > nr) nr = $1 + 1 }
    END {
        k = split(names, name, " ")
        print "| server | 4 KiB req/s ÷ nginx | their p99 ÷ nginx | cold downloads ÷ nginx | medians: req/s, p99 ms, MiB/s |"
        print "|---|---|---|---|---|"
        for (s = 1; s <= k; s++) {
            if (name[s] == "nginx") cells = "— | — | —"
            else cells = ratio(name[s], 3) " | " ratio(name[s], 4) " | " ratio(name[s], 5)
            printf "| %s | %s | %.0f, %.1f, %.0f |\n", name[s], cells, med(name[s], 3), med(name[s], 4), med(name[s], 5)
        }
        printf "\n%d rounds; goals (issue 25): req/s ≥ 1.0, p99 ≤ 1.0, downloads ≥ 1.0, at once\n", nr
    }' "$WORK/rounds.tsv"
[[ -z "$KEEP" ]] || echo "# kept: $WORK/rounds.tsv"
