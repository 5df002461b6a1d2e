#!/usr/bin/env bash
# One loopback stream, FileServer against nginx and two minimal .NET peers, all running at once.
#
#   bash scripts/peers.sh [--rounds N | --smoke] [--keep]
#
# What separates FileServer from nginx on a single 1 GiB download, FileServer's own code or the .NET runtime?
# Four servers serve the same 1 GiB file on 127.0.0.1, all up at once:
#   fileserver  FileServer, zero-copy (the default), Release build of this tree, with --loopback-congestion
#               system: the system's congestion control, as the others have, so that only the code differs
#   block       scripts/bench/SendFilePeer block: a thread per connection, blocking calls, one sendfile(2) for
#               the whole body; .NET's socket engine never runs
#   async       scripts/bench/SendFilePeer async: Socket.SendPacketsAsync in 2 MiB slices, FileServer's path
#               with nothing else around it
#   nginx       sendfile on; tcp_nopush on; worker_processes auto; access_log off (as scripts/bench.sh)
# After a warm-up (the 64 MiB file 40 times and the big file twice from each), N rounds (default 40) of one
# download from each, in an order that rotates every round and reverses every other cycle, so that drift in the
# machine's speed over minutes falls on all alike. Printed per server: median and quartiles in MiB/s, and
# against nginx the geometric mean of the per-round ratios with a bootstrap 95 % interval and the rounds won.
# Every download is checked (status 200, full length). A round takes about 2 s on this machine; 100 rounds
# about 3 minutes. --smoke (in the test command): a 64 MiB file, no warm-up, one round; it fails only if a server
# does not start or a download is incomplete.
#
# Installs nginx-light and curl with apt-get when missing; builds in Release into a temporary work dir, removed
# at the end unless --keep (then it keeps rounds.tsv: round, server, MiB/s). FILESERVER_DLL names a built
# FileServer.Cli.dll to use instead of building one.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LIB_NAME=peers
source "$REPO_ROOT/scripts/lib/load.sh" process apt nginx fileserver args
ROUNDS=40 BIG_MIB=1024 MID_MIB=64 MID_WARMUPS=40 BIG_WARMUPS=2 SMOKE=0 KEEP=""
lib_parse_args "--rounds=ROUNDS --smoke:SMOKE=1 --keep:KEEP=1" "$@"
# At most 1000 rounds (about 35 minutes), well inside the servers' own one-hour bound.
[[ "$ROUNDS" =~ ^[1-9][0-9]{0,3}$ && "$ROUNDS" -le 1000 ]] || lib_usage_error "--rounds needs 1-1000"
((SMOKE)) && ROUNDS=1 BIG_MIB=64 MID_MIB=4 MID_WARMUPS=0 BIG_WARMUPS=0

export LC_ALL=C DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
WORK="$(mktemp -d /tmp/fileserver-peers.XXXXXX)"
chmod 755 "$WORK"   # nginx workers (nobody) read the files below it
lib_on_exit

nginx_ensure && apt_need curl:curl ss:iproute2 || { echo "peers: could not install nginx, curl or ss" >&2; exit 1; }

echo "# building$([[ -n "${FILESERVER_DLL:-}" ]] || echo " FileServer and") SendFilePeer (Release)"
DLL="$(fs_build_cli)" || { echo "peers: the CLI could not be built" >&2; exit 1; }
PEER_DLL="$(fs_build "" scripts/bench/SendFilePeer SendFilePeer)" || { echo "peers: SendFilePeer could not be built" >&2; exit 1; }

mkdir -p "$WORK/www"
head -c $((BIG_MIB << 20)) /dev/urandom >"$WORK/www/big.bin"
head -c $((MID_MIB << 20)) /dev/urandom >"$WORK/www/mid.bin"
BIG_SIZE=$((BIG_MIB << 20))

# Every server ends by itself after an hour at most, whatever happens to this script.
NAMES=(fileserver block async nginx)
declare -A PORT
FS_LIFETIME=3600 fs_start fileserver "$WORK/www" --log-level Warning --loopback-congestion system || exit 1
PORT[fileserver]="$(sed -E 's#.*:([0-9]+)/?$#\1#' <<<"$FS_URL")"
NGINX_CONNECTIONS=1024 NGINX_LIFETIME=3600 nginx_start nginx "$WORK/www" on || { echo "peers: nginx did not start" >&2; exit 1; }
PORT[nginx]="$NGINX_PORT"
for mode in block async; do
    # A port nothing listens on yet; the peer binds it at once, before the next is chosen.
    PORT[$mode]="$(lib_free_port)" || { echo "peers: no free port in 20000-29999" >&2; exit 1; }
    timeout 3600 dotnet "$PEER_DLL" "$mode" "${PORT[$mode]}" "$WORK/www" </dev/null >"$WORK/$mode.log" 2>&1 &
    lib_track $!
    lib_wait_listening "${PORT[$mode]}" 30 || { cat "$WORK/$mode.log" >&2; exit 1; }
done

download() {  # download NAME FILE -> MiB/s of one checked download
    local out code size speed
    out="$(curl -sS --max-time 120 -o /dev/null -w '%{http_code} %{size_download} %{speed_download}' \
        "http://127.0.0.1:${PORT[$1]}/$2")" || { echo "peers: $1: curl failed" >&2; return 1; }
    read -r code size speed <<<"$out"
    [[ "$code" == 200 ]] || { echo "peers: $1: status $code for $2" >&2; return 1; }
    [[ "$2" != big.bin || "$size" == "$BIG_SIZE" ]] || { echo "peers: $1: $size of $BIG_SIZE bytes" >&2; return 1; }
    awk -v s="$speed" 'BEGIN { printf "%.0f\n", s / 1048576 }'
}

for name in "${NAMES[@]}"; do
    for _ in {1..100}; do
        curl -s -o /dev/null --max-time 1 "http://127.0.0.1:${PORT[$name]}/mid.bin" && break
        sleep 0.1
    done
    download "$name" mid.bin >/dev/null || { cat "$WORK/$name.log" "$WORK/$name.err" 2>/dev/null >&2; exit 1; }
done
echo "# warm-up: $MID_MIB MiB x $MID_WARMUPS and $BIG_MIB MiB x $BIG_WARMUPS from each"
for name in "${NAMES[@]}"; do
    for ((i = 0; i < MID_WARMUPS; i++)); do download "$name" mid.bin >/dev/null; done
    for ((i = 0; i < BIG_WARMUPS; i++)); do download "$name" big.bin >/dev/null; done
done

echo "# $ROUNDS rounds of one $BIG_MIB MiB download from each"
n=${#NAMES[@]}
: >"$WORK/rounds.tsv"
for ((r = 0; r < ROUNDS; r++)); do
    order=()
    for ((i = 0; i < n; i++)); do order+=("${NAMES[(r + i) % n]}"); done
    if (((r / n) % 2)); then
        reversed=()
        for ((i = n - 1; i >= 0; i--)); do reversed+=("${order[i]}"); done
        order=("${reversed[@]}")
    fi
    for name in "${order[@]}"; do
        speed="$(download "$name" big.bin)" || exit 1
        printf '%s %s %s\n' "$r" "$name" "$speed" >>"$WORK/rounds.tsv"
    done
done

echo "# $(nproc) CPUs, $(uname -r), build $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u '+%Y-%m-%d %H:%M UTC')"
awk -v names="${NAMES[*]}" -v seed="$RANDOM" '
    function sort(a, k,    i, j, t) { for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
    function quantile(a, k, q,    p, lo) { p = 1 + (k - 1) * q; lo = int(p); return lo >= k ? a[k] : a[lo] + (p - lo) * (a[lo + 1] - a[lo]) }
    { v[$2, $1] = $3; rounds[$1] = 1 }
    END {
        srand(seed)
        k = split(names, name, " "); ref = name[k]
        for (r in rounds) nr++
        printf "%-11s %8s %8s %8s   %s\n", "server", "median", "q1", "q3", "vs " ref ": geometric mean (95 % interval), rounds won"
        for (s = 1; s <= k; s++) {
            for (r = 0; r < nr; r++) x[r + 1] = v[name[s], r]
            sort(x, nr)
            printf "%-11s %8.0f %8.0f %8.0f", name[s], quantile(x, nr, 0.5), quantile(x, nr, 0.25), quantile(x, nr, 0.75)
            if (s < k) {
                sum = 0; won = 0
                for (r = 0; r < nr; r++) { l[r + 1] = log(v[name[s], r] / v[ref, r]); sum += l[r + 1]; won += (l[r + 1] > 0) }
                for (b = 1; b <= 2000; b++) { t = 0; for (i = 1; i <= nr; i++) t += l[1 + int(rand() * nr)]; boot[b] = exp(t / nr) }
                sort(boot, 2000)
                printf "   %.3f (%.3f-%.3f), %d of %d", exp(sum / nr), boot[51], boot[1950], won, nr
            }
            printf "\n"
        }
    }' "$WORK/rounds.tsv"
