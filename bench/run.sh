#!/bin/sh
# bench/run.sh - `make bench`: every benchmark, results on stdout as JSON
# lines and in build/bench-results.jsonl. Record them in bench/RESULTS.md
# with the machine they ran on.
#
#   decide    in-process decisions on a maximum-size account (bench/bench.c)
#   stream    `moat check --requests` end to end over 1,000,000 lines
#   load      loading and compiling 10,000 accounts
#   replay    reading, mapping and deciding access-log records on one core
#             (1 and 4 configurations; diagnostic JSON lines and classic
#             $logs lines), and `moat replay` end to end over
#             1,000,000 records of about 1.6 KB, plain and gzip, on both
#             cores and pinned to one (taskset)
#   reach     the cells and the exposure of a maximum-size account
#             (docs/reach.md), in process
#   diff      `moat diff` end to end over two estates of 10,000 accounts
#             with 300 changed
#   audit     moat_audit_run over 10,000 resources, and `moat audit` end to
#             end (load, audit, and each report format)
#   gate      nginx proxying to a static upstream with the moat module on
#             and off (wrk), when the module, nginx and wrk are there
#   serve     moat serve's /v1/authz and /v1/check at 1 and 50
#             connections, one worker on one core (wrk)
#   cedar     the same decisions through @cedar-policy/cedar-wasm (Node),
#             when node and npm are available (scripts/deps --bench)
#
# BASELINE=PATH (another build's moat): the pinned replay runs that binary
# too, interleaved with this one, nine runs each, the medians side by
# side. Timings on a shared VM scatter by several percent; only
# interleaved runs compare two builds (bench/RESULTS.md, issue 16).
set -eu
cd "$(dirname "$0")/.."
out=build/bench-results.jsonl
: >"$out"
emit() { echo "$1"; echo "$1" >>"$out"; }

emit "$(build/bench decide --emit build/bench-out --requests 1000000)"

best=""
for run in 1 2 3; do
    t=$( { /usr/bin/time -f "%e %U %S" build/moat check --estate build/bench-out/estate.json \
            --requests build/bench-out/requests.jsonl >/dev/null; } 2>&1 | tail -1)
    cpu=$(echo "$t" | awk '{print $2 + $3}')
    if [ -z "$best" ] || awk "BEGIN{exit !($cpu < $best)}"; then best=$cpu; wall=$(echo "$t" | awk '{print $1}'); fi
done
emit "$(awk -v c="$best" -v w="$wall" 'BEGIN{printf "{\"bench\":\"stream\",\"lines\":1000000,\"best_of\":3,\"cpu_s\":%.2f,\"wall_s\":%.2f,\"requests_per_cpu_sec\":%.0f}\n", c, w, 1000000 / c}')"

emit "$(build/bench load 10000 build/bench-load)"

emit "$(build/bench reach 200)"
d=build/bench-diff
[ -s $d/new/accounts.json ] || build/bench diffgen 10000 300 $d
best=""
for run in 1 2 3; do
    t=$( { /usr/bin/time -f "%e %U %S %M" build/moat diff $d/old $d/new --format json >/dev/null; } 2>&1 | tail -1)
    cpu=$(echo "$t" | awk '{print $2 + $3}')
    if [ -z "$best" ] || awk "BEGIN{exit !($cpu < $best)}"; then best=$cpu; wall=$(echo "$t" | awk '{print $1}'); rss=$(echo "$t" | awk '{print $4}'); fi
done
emit "$(awk -v c="$best" -v w="$wall" -v m="$rss" 'BEGIN{printf "{\"bench\":\"diff\",\"accounts\":10000,\"changed\":300,\"best_of\":3,\"cpu_s\":%.2f,\"wall_s\":%.2f,\"max_rss_kb\":%d}\n", c, w, m}')"

# Logs for replay: 200,000 diagnostic records from the example estate whose
# statuses follow moat's decisions (99.9%), as real logs mostly agree; the
# benchmark log is five copies (1,000,000 records).
r=build/bench-replay
mkdir -p $r
if [ ! -s $r/1m.log ]; then
    python3 tests/replay/genlogs.py --estate examples/estate --records 200000 \
        --format diagnostic --out $r/pass1.log --seed 7 --unmappable 0.5
    build/moat replay -q --estate examples/estate --decisions $r/pass1.dec $r/pass1.log >/dev/null
    python3 tests/replay/genlogs.py --estate examples/estate --records 200000 \
        --format diagnostic --out $r/200k.log --seed 7 --unmappable 0.5 --statuses $r/pass1.dec
    for i in 1 2 3 4 5; do cat $r/200k.log; done >$r/1m.log
    gzip -k -f $r/1m.log
fi
emit "$(build/bench replay $r/200k.log examples/estate 1)"
emit "$(build/bench replay $r/200k.log examples/estate 4)"
# The same traffic as classic Storage Analytics lines ($logs, 1.0/2.0).
if [ ! -s $r/classic-200k.log ]; then
    python3 tests/replay/genlogs.py --estate examples/estate --records 200000 \
        --format classic --out $r/classic-pass1.log --seed 7 --unmappable 0.5
    build/moat replay -q --estate examples/estate --decisions $r/classic.dec $r/classic-pass1.log >/dev/null
    python3 tests/replay/genlogs.py --estate examples/estate --records 200000 \
        --format classic --out $r/classic-200k.log --seed 7 --unmappable 0.5 --statuses $r/classic.dec
fi
emit "$(build/bench replay $r/classic-200k.log examples/estate 1)"
emit "$(build/bench replay $r/classic-200k.log examples/estate 4)"
four="--proposed a=examples/estate --proposed b=examples/estate --proposed c=examples/estate"
# gzip side by side: ISA-L (the default when built with it) and zlib
# (MOAT_INFLATE=zlib), the same binary and log.
# 5x200k: the same records as five gzip files, which inflate in parallel.
[ -s $r/200k.log.gz ] || gzip -k -f $r/200k.log
for run in "1 $r/1m.log isa-l" "4 $r/1m.log isa-l" "1 $r/1m.log.gz isa-l" "1 $r/1m.log.gz zlib" \
    "1 5x200k.log.gz isa-l" "1 5x200k.log.gz zlib"; do
    set -- $run
    cfgs=$1; log=$2; inflater=$3
    extra=""; [ "$cfgs" = 4 ] && extra=$four
    files=$log; [ "$log" = 5x200k.log.gz ] && files="$r/200k.log.gz $r/200k.log.gz $r/200k.log.gz $r/200k.log.gz $r/200k.log.gz"
    best=""
    for i in 1 2 3; do
        t=$( { MOAT_INFLATE=$inflater /usr/bin/time -f "%e %U %S %M" build/moat replay -q --format json \
                --estate examples/estate $extra $files >/dev/null; } 2>&1 | tail -1)
        wall=$(echo "$t" | awk '{print $1}')
        if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; cpu=$(echo "$t" | awk '{print $2 + $3}'); rss=$(echo "$t" | awk '{print $4}'); fi
    done
    case $log in *.gz) ;; *) inflater=none ;; esac
    emit "$(awk -v w="$best" -v c="$cpu" -v r="$rss" -v n="$cfgs" -v l="$log" -v z="$inflater" 'BEGIN{printf "{\"bench\":\"replay-cli\",\"log\":\"%s\",\"inflater\":\"%s\",\"records\":1000000,\"configs\":%d,\"threads\":\"default\",\"best_of\":3,\"wall_s\":%.2f,\"cpu_s\":%.2f,\"records_per_sec\":%.0f,\"records_per_cpu_sec\":%.0f,\"peak_rss_mb\":%.0f}\n", l, z, n, w, c, 1000000 / w, 1000000 / c, r / 1024}')"
done

# The whole process pinned to one core, the default threads (one worker:
# the CPUs it may use), nine runs, the median; with BASELINE, interleaved.
if command -v taskset >/dev/null; then
    pinned_runs() {
        for i in 1 2 3 4 5 6 7 8 9; do
            for bin in build/moat ${BASELINE:-}; do
                { /usr/bin/time -f "$bin %e %U %S" taskset -c 0 $bin replay -q \
                    --format json --estate examples/estate $r/1m.log >/dev/null; } 2>&1 | tail -1
            done
        done
    }
    pinned_runs >build/bench-pinned.txt
    for bin in build/moat ${BASELINE:-}; do
        emit "$(awk -v b="$bin" '$1 == b {w[++n] = $2; c[n] = $3 + $4}
            END {for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
                     if (w[j] < w[i]) {t = w[i]; w[i] = w[j]; w[j] = t}
                     if (c[j] < c[i]) {t = c[i]; c[i] = c[j]; c[j] = t}}
                 m = int((n + 1) / 2)
                 printf "{\"bench\":\"replay-cli-pinned\",\"binary\":\"%s\",\"log\":\"1m.log\",\"records\":1000000,\"runs\":%d,\"wall_s_median\":%.2f,\"wall_s_best\":%.2f,\"cpu_s_median\":%.2f,\"records_per_sec\":%.0f}\n", b, n, w[m], w[1], c[m], 1000000 / w[m]}' build/bench-pinned.txt)"
    done
fi

emit "$(build/bench audit 10000 build/bench-audit)"
for fmt in text json sarif junit html; do
    best=""
    for run in 1 2 3; do
        t=$( { /usr/bin/time -f "%e %M" build/moat audit --estate build/bench-audit \
                --format $fmt --output build/bench-audit.$fmt || [ $? -eq 1 ]; } 2>&1 | tail -1)
        wall=$(echo "$t" | awk '{print $1}')
        if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then best=$wall; rss=$(echo "$t" | awk '{print $2}'); fi
    done
    bytes=$(wc -c <build/bench-audit.$fmt)
    emit "$(awk -v w="$best" -v r="$rss" -v b="$bytes" -v f="$fmt" 'BEGIN{printf "{\"bench\":\"audit-cli\",\"format\":\"%s\",\"resources\":10000,\"best_of\":3,\"wall_s\":%.2f,\"peak_rss_mb\":%.0f,\"report_bytes\":%d}\n", f, w, r / 1024, b}')"
done

if [ -f build/ngx_http_moat_module.so ] && command -v nginx >/dev/null 2>&1 &&
    command -v wrk >/dev/null 2>&1; then
    bench/gate.sh | while read -r line; do emit "$line"; done
else
    echo "bench: the module, nginx or wrk is missing; skipping the gate (scripts/deps --bench)" >&2
fi

if command -v wrk >/dev/null 2>&1; then
    bench/serve.sh | while read -r line; do emit "$line"; done
else
    echo "bench: wrk is missing; skipping moat serve (scripts/deps --bench)" >&2
fi

if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    build/bench decide --emit build/bench-cedar --requests 10000 >/dev/null
    (cd bench/peers/cedar && { [ -d node_modules ] || npm ci --silent; })
    cedar=$(node bench/peers/cedar/run.js build/bench-cedar --iterations 20000)
    emit "$cedar"
    moat_ns=$(head -1 "$out" | sed 's/.*"p50_ns":\([0-9.]*\).*/\1/')
    cedar_ns=$(echo "$cedar" | sed 's/.*"p50_ns":\([0-9.]*\).*/\1/')
    emit "$(awk -v m="$moat_ns" -v c="$cedar_ns" 'BEGIN{printf "{\"bench\":\"ratio\",\"cedar_p50_over_moat_p50\":%.0f}\n", c / m}')"
else
    echo "bench: node/npm not found; skipping the Cedar peer (scripts/deps --bench)" >&2
fi
