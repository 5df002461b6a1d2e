# shellcheck shell=bash
# bench.sh's scenarios where large-file servers hurt (sourced by scripts/bench.sh; uses its rec, fail, server_pids,
# rss_mib, URL, WORK, DATA and the scale variables; scripts/cold-trade.sh sources it for the cold pass alone, which
# needs only URL, DATA, CURL, MiB, COLD_MIB, COLD_WRK_SECONDS and DOWNLOAD_TIMEOUT):
#   phase_cold   4 KiB requests (wrk -t1 -c10) for as long as 4 downloads of files evicted from the page cache run
#                (at least 1 s, at most COLD_WRK_SECONDS): the files (cold/c1..c4.bin, COLD_MIB each) are dropped
#                with POSIX_FADV_DONTNEED (dd iflag=nocache) right before each pass, so every server starts equally
#                cold; medians of COLD_PASSES passes; the downloads' MiB/s together (4 x COLD_MIB over the time
#                until the last ended), the sum of their own rates, and the slowest one's rate over the fastest's;
#   phase_sweep  4 KiB requests at SWEEP_CONNECTIONS concurrent keep-alive connections (wrk -t2 -cN): req/s and
#                p99 per count, for the chart;
#   phase_burst  BURST_CLIENTS keep-alive connections, each after one 4 KiB GET, held BURST_HOLD s (scripts/loadgen
#                idle), closed; RSS before (the server idle after its warm-up), at the peak and BURST_QUIET s after
#                they closed.
# sweep_chart FILE draws req/s and p99 against the connection count, one line per server (gnuplot, SVG).

# wrk_p99_ms FILE: the 99th percentile of a `wrk --latency` output, in ms.
wrk_p99_ms() {
    awk '$1 == "99%" {
        v = $2; u = v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u)
        f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : -1
        if (f > 0) print v * f }' "$1"
}

# cold_files: the cold set, made once (random bytes, written back so that eviction can drop them) and primed.
cold_files() {
    local i
    mkdir -p "$DATA/cold"
    for i in 1 2 3 4; do
        [[ -f "$DATA/cold/c$i.bin" ]] || head -c $((COLD_MIB * MiB)) /dev/urandom >"$DATA/cold/c$i.bin"
    done
    chmod 755 "$DATA/cold"
    chmod 644 "$DATA"/cold/*
    sync "$DATA"/cold/* 2>/dev/null || sync
    # Primed twice: the first reads of freshly written files are slow below the guest (nginx alone, 4 x 256 MiB,
    # passes one after another: 576, 1012, 2145, 2039 MiB/s; after this priming the first pass gave 2106), which would
    # otherwise fall on the first server measured.
    cold_prime
    cold_prime
}

# cold_evict: the cold set dropped from the page cache (POSIX_FADV_DONTNEED through dd's nocache).
cold_evict() {
    local i
    for i in 1 2 3 4; do
        dd if="$DATA/cold/c$i.bin" iflag=nocache count=0 status=none
    done
}

# cold_prime: the cold set dropped from the page cache and read back, untimed, before a series of cold passes. The
# first cold read after minutes without one is slow below the guest, whichever server asks: after ten idle minutes
# nginx's first pass gave 420 MiB/s and its next 916; in runs m, n and o the side-by-side series' first pass (always
# FileServer's) was the slowest of its six every time (710, 870, 739 against 1,002-1,325 MiB/s).
cold_prime() {
    local i readers=()
    cold_evict
    for i in 1 2 3 4; do
        cat "$DATA/cold/c$i.bin" >/dev/null &
        readers+=($!)
    done
    # Only the readers: a bare wait would wait for the servers this script started too.
    for i in "${readers[@]}"; do wait "$i"; done
}

# phase_cold: COLD_PASSES passes (the virtual disk's speed for cold reads varies from pass to pass: 640-2,100 MiB/s
# summed for the same server and files, measured, often slow and fast by turns), each file evicted before each pass;
# the medians are the figures. COLD_PASSES is even: with an odd count, the server measured next would start in the
# other phase of the disk's rhythm and get one fast pass more.
phase_cold() {
    local round="$1" server="$2" pass
    cold_prime
    for ((pass = 1; pass <= COLD_PASSES; pass++)); do
        cold_pass "$WORK/$server/cold.r$round.p$pass" || { fail "$server: cold pass $pass failed ($(cat "$WORK/$server/cold.r$round.p$pass/error" 2>/dev/null))"; return 0; }
    done
    rec "$round" "$server" cold_small_rps "$(cat "$WORK/$server"/cold.r"$round".p*/rps | median)"
    rec "$round" "$server" cold_small_p99_ms "$(cat "$WORK/$server"/cold.r"$round".p*/p99 | median)"
    rec "$round" "$server" cold_mibs "$(cat "$WORK/$server"/cold.r"$round".p*/mibs | median)"
    rec "$round" "$server" cold_sum_mibs "$(cat "$WORK/$server"/cold.r"$round".p*/sum_mibs | median)"
    rec "$round" "$server" cold_even "$(cat "$WORK/$server"/cold.r"$round".p*/even | median)"
    printf '%s\t%s\tcold_mibs\t%s\n' "$round" "$server" "$(cat "$WORK/$server"/cold.r"$round".p*/mibs | tr '\n' ' ')" >>"$SAMPLES"
}

# cold_pass DIR [alone]: one pass into DIR (files rps, p99, mibs, sum_mibs, even; error on failure); alone: the
# downloads with no 4 KiB requests beside them (mibs, sum_mibs and even only).
cold_pass() {
    local dir="$1" alone="${2:-}" i downloads=()
    mkdir -p "$dir"
    cold_evict
    for i in 1 2 3 4; do
        timeout -k 5 "$DOWNLOAD_TIMEOUT" "${CURL[@]}" -sf -o /dev/null -w '%{http_code} %{size_download} %{speed_download} %{time_total}\n' \
            "${URL}cold/c$i.bin" >"$dir/download.$i" 2>&1 &
        downloads+=($!)
    done
    # The 4 KiB figures are those of the time the downloads ran: wrk is stopped (SIGINT, after which it reports on the
    # time it ran) when the last download ends, but not before a second has passed, so that it has a sample to give
    # where the downloads are short (the smoke run's). COLD_WRK_SECONDS only bounds it.
    local wrk="" floor=""
    if [[ -z "$alone" ]]; then
        timeout -k 5 $((COLD_WRK_SECONDS + 10)) wrk -t1 -c10 -d"${COLD_WRK_SECONDS}s" --latency "${URL}small.bin" >"$dir/wrk.txt" 2>&1 &
        wrk=$!
        sleep 1 &
        floor=$!
    fi
    for i in "${downloads[@]}"; do wait "$i" || true; done
    if [[ -n "$wrk" ]]; then
        wait "$floor" || true
        kill -INT "$wrk" 2>/dev/null || true
        wait "$wrk" || true
        awk '/^Requests\/sec:/ { print $2 }' "$dir/wrk.txt" >"$dir/rps"
        wrk_p99_ms "$dir/wrk.txt" >"$dir/p99"
    fi
    # Together: all the bytes over the time until the last download ended (they start within milliseconds of each
    # other). The sum of the four downloads' own rates overstates that when the shares are unequal (one download
    # done early at twice the others' rate adds its whole rate for time it did not run), so it is kept apart, with
    # the slowest download's rate over the fastest's.
    cat "$dir"/download.* | awk -v size=$((COLD_MIB * MiB)) -v m="$MiB" -v dir="$dir" '
        $1 == 200 && $2 == size && $3 > 0 {
            bytes += $2; sum += $3; n++; if ($4 > last) last = $4
            if (n == 1 || $3 < slow) slow = $3; if ($3 > fast) fast = $3
        }
        END {
            if (n != 4 || last <= 0) exit
            printf "%.0f\n", bytes / last / m >(dir "/mibs")
            printf "%.0f\n", sum / m >(dir "/sum_mibs")
            printf "%.3f\n", slow / fast >(dir "/even")
        }'
    [[ -n "$alone" || ( -s "$dir/rps" && -s "$dir/p99" ) ]] || { echo "wrk gave no result" >"$dir/error"; return 1; }
    [[ -s "$dir/mibs" ]] || { echo "a download failed: $(cat "$dir"/download.* | tr '\n' ' ')" >"$dir/error"; return 1; }
}

phase_sweep() {
    local round="$1" server="$2" n out rps p99
    for n in $SWEEP_CONNECTIONS; do
        out="$WORK/$server/sweep-$n.r$round.txt"
        timeout -k 5 $((SWEEP_SECONDS + 60)) wrk -t2 -c"$n" -d"${SWEEP_SECONDS}s" --latency "${URL}small.bin" >"$out" 2>&1 || true
        rps="$(awk '/^Requests\/sec:/ { print $2 }' "$out")"
        p99="$(wrk_p99_ms "$out")"
        [[ -n "$rps" && -n "$p99" ]] || { fail "$server: wrk -c$n gave no result ($(tail -n 1 "$out"))"; continue; }
        rec "$round" "$server" "sweep_rps_$n" "$rps"
        rec "$round" "$server" "sweep_p99_ms_$n" "$p99"
    done
}

phase_burst() {
    local round="$1" server="$2" out="$WORK/$2/burst.r$1.out" pids peak=0 now load i before
    mapfile -t pids < <(server_pids "$WRAPPER")
    before="$(rss_mib "${pids[@]}")"
    timeout -k 5 $((BURST_HOLD + 120)) dotnet "$LOADGEN" idle --url "${URL}small.bin" --clients "$BURST_CLIENTS" \
        --seconds "$BURST_HOLD" >"$out" 2>&1 &
    load=$!
    while kill -0 "$load" 2>/dev/null; do
        now="$(rss_mib "${pids[@]}")"
        awk -v a="$now" -v b="$peak" 'BEGIN { exit !(a > b) }' && peak="$now"
        sleep 0.3
    done
    wait "$load" || true
    [[ "$(sed -n 's/^ok=//p' "$out")" == "$BURST_CLIENTS" ]] || { fail "$server: the burst of $BURST_CLIENTS connections did not all get their answer ($(tail -n 2 "$out" | tr '\n' ' '))"; return 0; }
    for ((i = 0; i < BURST_QUIET; i++)); do sleep 1; done   # the quiet period is the measurement
    mapfile -t pids < <(server_pids "$WRAPPER")
    now="$(rss_mib "${pids[@]}")"
    rec "$round" "$server" burst_before_rss_mib "$before"
    rec "$round" "$server" burst_peak_rss_mib "$peak"
    rec "$round" "$server" burst_after_rss_mib "$now"
    rec "$round" "$server" burst_added_mib "$(awk -v a="$now" -v b="$before" 'BEGIN { printf "%.1f", a - b }')"
}

# sweep_chart FILE: req/s and p99 (round 1) against the connection count, per plain server, as an SVG by gnuplot.
sweep_chart() {
    local file="$1" data="$WORK/sweep.dat" server n
    command -v gnuplot >/dev/null || { NOTES+=("no chart: gnuplot is missing"); return 0; }
    : >"$data"
    for server in "${PLAIN_SERVERS[@]}"; do
        [[ "$server" == fileserver-observed ]] && continue
        printf '"%s"\n' "$server" >>"$data"
        for n in $SWEEP_CONNECTIONS; do
            awk -F'\t' -v s="$server" -v n="$n" '$1 == 1 && $2 == s && $3 == "sweep_rps_" n { r = $4 } $1 == 1 && $2 == s && $3 == "sweep_p99_ms_" n { p = $4 }
                END { if (r != "" && p != "") print n, r, p }' "$RESULTS" >>"$data"
        done
        printf '\n\n' >>"$data"
    done
    mkdir -p "$(dirname "$file")"
    gnuplot <<GNUPLOT 2>"$WORK/gnuplot.err" || { NOTES+=("no chart: gnuplot failed ($(head -c 200 "$WORK/gnuplot.err"))"); return 0; }
set terminal svg size 1000,420 dynamic font "sans,11"
set output "$file"
set multiplot layout 1,2 title "4 KiB file, wrk -t2 -cN, keep-alive ($MODE scale, round 1)"
set logscale x
set xlabel "concurrent connections"
set key top left
set grid
set ylabel "requests/s"
plot for [i=0:*] "$data" index i using 1:2 with linespoints title columnheader(1)
set ylabel "p99 latency, ms"
set logscale y
plot for [i=0:*] "$data" index i using 1:3 with linespoints title columnheader(1)
unset multiplot
GNUPLOT
    CHART="$file"
}
