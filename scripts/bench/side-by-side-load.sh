# shellcheck shell=bash
# bench.sh's side-by-side series under load (sourced by scripts/bench.sh; uses its rec-style RESULTS rows, fail,
# cold_pass, wrk_p99_ms, URL, WORK and the scale variables). With FileServer and nginx both up, the scenarios whose
# ratios moved most between the one-at-a-time rounds are run in pairs, alternating which server goes first, so that
# drift in the machine's speed (the virtual disk's cold reads vary 3x from pass to pass, the CPU's share by 10-20 %
# over minutes) falls on both alike:
#   pair_cold_series   COLD_PASSES pairs of cold passes (each pass evicts the cold set first): per pair the ratios of
#                      the 4 KiB req/s, its p99 and the downloads' MiB/s (together, the sum of their own rates,
#                      and the slowest's over the fastest's); then twice as many pairs of the downloads alone, with no
#                      4 KiB requests beside them (MiB/s together): the disk path without the two servers' different
#                      shares of the CPU for the small requests;
#   pair_fresh_series  FRESH_PAIRS pairs of wrk -t2 -c20 -H 'Connection: close' runs of FRESH_SECONDS: per pair the
#                      ratio of the req/s.
# Each series writes its geometric mean of the per-pair ratios with a 95 % interval, the medians and the pairs
# FileServer won.

# pair_order I: the two servers in pair I's order, each first in every other pair.
pair_order() { if (($1 % 2)); then echo fileserver nginx; else echo nginx fileserver; fi; }

# pair_url SERVER FS_URL NG_URL: the URL SERVER answers on.
pair_url() { if [[ "$1" == nginx ]]; then echo "$3"; else echo "$2"; fi; }

# GEO_INTERVAL_AWK: awk functions for a geometric mean of per-pair ratios with its 95 % interval, Student's t over the
# logs of the ratios: with 4-20 pairs a series is too short for a bootstrap to be honest about the width, and a goal
# of "≥ 1.0×" missed by 3 % means little when the interval is ±5 %. geo_lo and geo_hi use what geo_mean left in
# GEO_MEAN and GEO_HALF; with one pair the interval is the point. median(a, n) sorts a[1..n] in place.
GEO_INTERVAL_AWK='
function median(a, n,    i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function t975(df) {
    if (df <= 30) {
        split("12.706 4.303 3.182 2.776 2.571 2.447 2.365 2.306 2.262 2.228 2.201 2.179 2.160 2.145 2.131 2.120 2.110 2.101 2.093 2.086 2.080 2.074 2.069 2.064 2.060 2.056 2.052 2.048 2.045 2.042", T975, " ")
        return T975[df]
    }
    return (df <= 60) ? 2.000 : (df <= 120) ? 1.980 : 1.960
}
function geo_mean(l, n,    i, sum, sq) {
    for (i = 1; i <= n; i++) sum += l[i]
    GEO_MEAN = sum / n
    for (i = 1; i <= n; i++) sq += (l[i] - GEO_MEAN) ^ 2
    GEO_HALF = (n > 1) ? t975(n - 1) * sqrt(sq / (n - 1)) / sqrt(n) : 0
    return exp(GEO_MEAN)
}
function geo_lo() { return exp(GEO_MEAN - GEO_HALF) }
function geo_hi() { return exp(GEO_MEAN + GEO_HALF) }
'

# pair_stats LABEL FIELD BETTER TSV: the RESULTS rows of one figure from TSV's lines "pair fs-value nginx-value";
# BETTER is "higher" or "lower".
pair_stats() {
    local label="$1" field="$2" better="$3" tsv="$4"
    awk -v label="$label" -v field="$field" -v better="$better" "$GEO_INTERVAL_AWK"'
        $2 > 0 && $3 > 0 { n++; f[n] = $2; g[n] = $3; l[n] = log($2 / $3); won += (better == "higher") ? ($2 > $3) : ($2 < $3) }
        END {
            if (n == 0) exit
            printf "%s\tfileserver\t%s_n\t%d\n", label, field, n
            printf "%s\tfileserver\t%s_geo\t%.4f\n", label, field, geo_mean(l, n)
            printf "%s\tfileserver\t%s_lo\t%.4f\n", label, field, geo_lo()
            printf "%s\tfileserver\t%s_hi\t%.4f\n", label, field, geo_hi()
            printf "%s\tfileserver\t%s_won\t%d\n", label, field, won
            printf "%s\tfileserver\t%s\t%s\n", label, field, median(f, n)
            printf "%s\tnginx\t%s\t%s\n", label, field, median(g, n)
        }' "$tsv" >>"$RESULTS"
}

# pair_position LABEL FIELD TSV: how much faster a pair's second pass ran than its first, whichever server that was
# (pair_order), as RESULTS rows of the pseudo-server "disk": the geometric mean and the pairs where it was faster.
# The virtual disk has shown such an effect (one run: 1.7x, 5 of 5), which an even number of pairs balances out.
pair_position() {
    local label="$1" field="$2" tsv="$3"
    awk -v label="$label" -v field="$field" '
        $2 > 0 && $3 > 0 {
            # Odd pairs run FileServer first (pair_order).
            first = ($1 % 2) ? $2 : $3; second = ($1 % 2) ? $3 : $2
            n++; logs += log(second / first); won += (second > first)
        }
        END {
            if (n == 0) exit
            printf "%s\tdisk\t%s_second_n\t%d\n", label, field, n
            printf "%s\tdisk\t%s_second_geo\t%.4f\n", label, field, exp(logs / n)
            printf "%s\tdisk\t%s_second_won\t%d\n", label, field, won
        }' "$tsv" >>"$RESULTS"
}

# pair_phase LABEL FIELD TSV: the servers compared within the disk's phase, as RESULTS rows. All the passes of the
# series are split at their median into a slow and a fast half; per half, FileServer's mean over nginx's (FIELD_phase_slow,
# FIELD_phase_fast), their geometric mean (FIELD_phase_geo) and FileServer's passes in the fast half (FIELD_phase_fs_fast).
# Where the disk's rhythm falls unevenly on the servers (pair_position), the per-pair ratios carry it: nginx against a
# second nginx with four workers, by hand, gave 0.908 over 20 pairs and 1.01 / 1.04 within the phases. Splitting on the
# outcome pulls a real difference a little toward 1 when it is small beside the gap between the phases, so the per-pair
# figure stays the goal's and this one is printed beside it.
pair_phase() {
    local label="$1" field="$2" tsv="$3"
    awk -v label="$label" -v field="$field" '
        $2 > 0 && $3 > 0 { n++; v[n] = $2; who[n] = "fileserver"; n++; v[n] = $3; who[n] = "nginx" }
        END {
            if (n < 4) exit
            for (i = 1; i <= n; i++) w[i] = v[i]
            for (i = 2; i <= n; i++) { t = w[i]; for (j = i - 1; j >= 1 && w[j] > t; j--) w[j + 1] = w[j]; w[j + 1] = t }
            median = (w[n / 2] + w[n / 2 + 1]) / 2
            for (i = 1; i <= n; i++) { half = (v[i] > median) ? "fast" : "slow"; sum[half, who[i]] += v[i]; count[half, who[i]]++ }
            if (!count["slow", "fileserver"] || !count["slow", "nginx"] || !count["fast", "fileserver"] || !count["fast", "nginx"]) exit
            slow = (sum["slow", "fileserver"] / count["slow", "fileserver"]) / (sum["slow", "nginx"] / count["slow", "nginx"])
            fast = (sum["fast", "fileserver"] / count["fast", "fileserver"]) / (sum["fast", "nginx"] / count["fast", "nginx"])
            printf "%s\tfileserver\t%s_phase_slow\t%.4f\n", label, field, slow
            printf "%s\tfileserver\t%s_phase_fast\t%.4f\n", label, field, fast
            printf "%s\tfileserver\t%s_phase_geo\t%.4f\n", label, field, sqrt(slow * fast)
            printf "%s\tfileserver\t%s_phase_fs_fast\t%d\n", label, field, count["fast", "fileserver"]
            printf "%s\tfileserver\t%s_phase_passes\t%d\n", label, field, n
        }' "$tsv" >>"$RESULTS"
}

# pair_cold_series FS_URL NG_URL
pair_cold_series() {
    local fs_url="$1" ng_url="$2" i server dir bad=0
    local tsv="$WORK/load-pairs-cold"
    : >"$tsv.rps"; : >"$tsv.p99"; : >"$tsv.mibs"; : >"$tsv.sum_mibs"; : >"$tsv.even"; : >"$tsv.alone_mibs"
    # The first pass would otherwise find the disk slow after the minutes without cold reads, and it is always
    # FileServer's (pair_order).
    cold_prime
    for ((i = 1; i <= COLD_PASSES; i++)); do
        for server in $(pair_order "$i"); do
            URL="$(pair_url "$server" "$fs_url" "$ng_url")"
            dir="$WORK/load-pairs/cold.$server.p$i"
            cold_pass "$dir" || { bad=$((bad + 1)); fail "side by side: cold pass $i of $server failed ($(cat "$dir/error" 2>/dev/null))"; continue 2; }
        done
        local f="$WORK/load-pairs/cold.fileserver.p$i" g="$WORK/load-pairs/cold.nginx.p$i"
        printf '%s %s %s\n' "$i" "$(cat "$f/rps")" "$(cat "$g/rps")" >>"$tsv.rps"
        printf '%s %s %s\n' "$i" "$(cat "$f/p99")" "$(cat "$g/p99")" >>"$tsv.p99"
        printf '%s %s %s\n' "$i" "$(cat "$f/mibs")" "$(cat "$g/mibs")" >>"$tsv.mibs"
        printf '%s %s %s\n' "$i" "$(cat "$f/sum_mibs")" "$(cat "$g/sum_mibs")" >>"$tsv.sum_mibs"
        printf '%s %s %s\n' "$i" "$(cat "$f/even")" "$(cat "$g/even")" >>"$tsv.even"
    done
    # Twice as many: a pass alone is short (2-3 s for 4 GiB), and the disk's speed varies as much.
    for ((i = 1; i <= 2 * COLD_PASSES; i++)); do
        for server in $(pair_order "$i"); do
            URL="$(pair_url "$server" "$fs_url" "$ng_url")"
            dir="$WORK/load-pairs/cold-alone.$server.p$i"
            cold_pass "$dir" alone || { bad=$((bad + 1)); fail "side by side: cold pass $i (alone) of $server failed ($(cat "$dir/error" 2>/dev/null))"; continue 2; }
        done
        printf '%s %s %s\n' "$i" "$(cat "$WORK/load-pairs/cold-alone.fileserver.p$i/mibs")" "$(cat "$WORK/load-pairs/cold-alone.nginx.p$i/mibs")" >>"$tsv.alone_mibs"
    done
    ((bad == 0)) || return 0
    pair_stats load cold_small_rps higher "$tsv.rps"
    pair_stats load cold_small_p99_ms lower "$tsv.p99"
    pair_stats load cold_mibs higher "$tsv.mibs"
    pair_stats load cold_sum_mibs higher "$tsv.sum_mibs"
    pair_stats load cold_even higher "$tsv.even"
    pair_stats load cold_alone_mibs higher "$tsv.alone_mibs"
    pair_position load cold_mibs "$tsv.mibs"
    pair_position load cold_alone_mibs "$tsv.alone_mibs"
    pair_phase load cold_mibs "$tsv.mibs"
    pair_phase load cold_alone_mibs "$tsv.alone_mibs"
}

# pair_fresh_series FS_URL NG_URL
pair_fresh_series() {
    local fs_url="$1" ng_url="$2" i server out rps tsv="$WORK/load-pairs-fresh"
    declare -A got
    : >"$tsv"
    for ((i = 1; i <= FRESH_PAIRS; i++)); do
        for server in $(pair_order "$i"); do
            URL="$(pair_url "$server" "$fs_url" "$ng_url")"
            out="$WORK/load-pairs/fresh.$server.p$i.txt"
            timeout -k 5 $((FRESH_SECONDS + 60)) wrk -t2 -c20 -d"${FRESH_SECONDS}s" --latency -H 'Connection: close' \
                "${URL}small.bin" >"$out" 2>&1 || true
            rps="$(awk '/^Requests\/sec:/ { print $2 }' "$out")"
            [[ -n "$rps" ]] && ! grep -q 'Non-2xx or 3xx responses' "$out" ||
                { fail "side by side: wrk (new connection per request) against $server gave no clean result ($(tail -n 1 "$out"))"; continue 2; }
            got[$server]="$rps"
        done
        printf '%s %s %s\n' "$i" "${got[fileserver]}" "${got[nginx]}" >>"$tsv"
    done
    pair_stats load fresh_rps higher "$tsv"
}
