#!/usr/bin/env bash
# bench/callgrind.sh - instructions executed (valgrind's callgrind, Ir) per
# operation for decide, check, replay, audit, serve and the gate: figures a
# machine shared with other work does not disturb, for comparing two builds
# of the same inputs. Prints one JSON line per workload.
#
#   bench/callgrind.sh [BUILD_DIR]    (default build/; needs moat, bench
#                                      and ngx_http_moat_module.so in it)
#
#   decide   moat__decide() only (--toggle-collect: the procedure under
#            moat_decide and moat_explain), in the check below
#   check    `moat check --requests` end to end, per line: 20,000 of the
#            decide benchmark's requests on its maximum-size account
#   replay   `bench replay` with two configurations: reading, mapping and
#            setting a request for each (the second through the
#            translation memo) and deciding, per record (5,000 diagnostic
#            records, 3 runs)
#   audit    moat_audit_run() only, per resource (1,000 resources, 5 runs)
#   reach    moat_cells_compute() and moat_cells_exposure_json() of the
#            maximum-size account (`bench reach`), per run (10 runs)
#   serve    srv_handle() only: 2,000 GET /v1/authz on one keep-alive
#            connection to `moat serve --threads 1`
#   gate     the module's handler only: 2,000 requests through nginx
#            (one process, no master) with `moat on`
#   replay-cmd  `moat replay` end to end, one thread, with --changes,
#            --decisions and --unmapped written (tool/buf.c's buffers):
#            per record (the replay workload's 5,000 records, one
#            proposal)
#   manage   the az-style commands end to end, per command: `storage
#            account list -o table`, `show -o yaml`, `network-rule add
#            --dry-run` and `keyvault update --set` on a copy of
#            examples/estate
#
#   CG_ONLY="replay-cmd manage" bench/callgrind.sh DIR   runs only those
set -eu
cd "$(dirname "$0")/.."
bin=${1:-build}
n_decide=${CG_DECIDE:-20000}
n_http=${CG_HTTP:-2000}
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT

# shellcheck source=bench/lib.sh
. bench/lib.sh

only=${CG_ONLY:-}
want() { [ -z "$only" ] || [[ " $only " == *" $1 "* ]]; }

cg() { # out-file args...: runs under callgrind, prints the total Ir
    local out=$1
    shift
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>"$out.log"
    summary "$out"
}
summary() { sed -n 's/^summary: *//p; s/^totals: *//p' "$1" | head -1; }
emit() { # name total per
    awk -v n="$1" -v t="$2" -v p="$3" 'BEGIN{printf "{\"bench\":\"callgrind\",\"workload\":\"%s\",\"ir\":%d,\"per\":%d,\"ir_per_op\":%.0f}\n", n, t, p, t / p}'
}

# The decide benchmark's estate and requests (its own timing loops are too
# long for callgrind; only what it emits is used).
if want check || want decide; then
build/bench decide --emit "$tmp/emit" --requests "$n_decide" >/dev/null
lines=$(wc -l <"$tmp/emit/requests.jsonl")
want check && emit check "$(cg "$tmp/check.cg" "$bin/moat" check --estate "$tmp/emit/estate.json" \
    --requests "$tmp/emit/requests.jsonl")" "$lines"
want decide && emit decide "$(cg "$tmp/decide.cg" --toggle-collect=moat__decide "$bin/moat" check \
    --estate "$tmp/emit/estate.json" --requests "$tmp/emit/requests.jsonl")" "$lines"
fi

if want replay || want replay-cmd; then
python3 tests/replay/genlogs.py --estate examples/estate --records 5000 \
    --format diagnostic --out "$tmp/replay.log" --seed 7 --unmappable 0.5 >/dev/null
want replay && emit replay "$(cg "$tmp/replay.cg" --toggle-collect=moat_log_read \
    --toggle-collect=moat_log_request_apply --toggle-collect=moat_decide \
    "$bin/bench" replay "$tmp/replay.log" examples/estate 2)" 15000
want replay-cmd && emit replay-cmd "$(cg "$tmp/replay-cmd.cg" "$bin/moat" replay -q \
    --threads 1 --estate examples/estate --proposed p=examples/estate \
    --changes "$tmp/changes.jsonl" --decisions "$tmp/decisions.jsonl" \
    --unmapped "$tmp/unmapped.txt" "$tmp/replay.log")" 5000
fi

if want manage; then
cp -r examples/estate "$tmp/manage"
m=0
for cmd in "storage account list -o table" \
    "storage account show --name stnwshipments -o yaml" \
    "storage account network-rule add --account-name stnwshipments --ip-address 203.0.113.77 --dry-run" \
    "keyvault update --name kv-nw-payments --set properties.networkAcls.defaultAction=Allow"; do
    # shellcheck disable=SC2086
    ir=$(cg "$tmp/manage.cg" "$bin/moat" $cmd --estate "$tmp/manage")
    m=$((m + ir))
done
emit manage "$m" 4
fi

want audit && emit audit "$(cg "$tmp/audit.cg" --toggle-collect=moat_audit_run \
    "$bin/bench" audit 1000 "$tmp/audit")" 5000

emit reach "$(cg "$tmp/reach.cg" --toggle-collect=moat_cells_compute \
    --toggle-collect=moat_cells_exposure_json "$bin/bench" reach 10)" 10

# HTTP: n_http requests on one connection, then the server is stopped so
# that callgrind writes its counts.
http_client() { # port path [header]
    python3 - "$1" "$2" "$n_http" "${3:-}" <<'PY'
import http.client, sys
port, path, n, header = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
headers = dict([header.split(": ", 1)]) if header else {}
codes = {}
for _ in range(n):
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    r.read()
    codes[r.status] = codes.get(r.status, 0) + 1
if list(codes) != [200]:
    sys.exit("bench/callgrind: answers %s" % codes)
PY
}
wait_port() { for _ in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$1/$2" && return 0; sleep 0.1; done; return 1; }

if want serve || want gate; then
account=$(max_estate "$tmp")
fi
if want serve; then
port=$(free_port)
valgrind --tool=callgrind --callgrind-out-file="$tmp/serve.cg" --toggle-collect=srv_handle \
    "$bin/moat" serve --estate "$tmp/estate.json" --listen "127.0.0.1:$port" \
    --threads 1 --account-from path --poll 0 --trust-header X-Real-IP \
    >/dev/null 2>"$tmp/serve.log" &
pids+=($!)
wait_port "$port" healthz
http_client "$port" "/v1/authz/$account/data/blob.bin" "X-Real-IP: 127.0.0.1"
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" || true
# Health checks before the run are counted too: at most a few dozen.
emit serve "$(summary "$tmp/serve.cg")" "$n_http"
fi

if want gate && [ -f "$bin/ngx_http_moat_module.so" ] && command -v nginx >/dev/null; then
    up=$(free_port); on=$(free_port)
    mkdir -p "$tmp/ngx"
    cat >"$tmp/ngx/nginx.conf" <<EOF
load_module $(cd "$bin" && pwd)/ngx_http_moat_module.so;
daemon off;
master_process off;
pid $tmp/ngx/nginx.pid;
error_log $tmp/ngx/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $tmp/ngx/body;
    proxy_temp_path $tmp/ngx/proxy;
    moat_estate $tmp/estate.json;
    moat_account_from path;
    server { listen 127.0.0.1:$up; location / { return 200 "ok\n"; } }
    server {
        listen 127.0.0.1:$on;
        moat on;
        location / { proxy_pass http://127.0.0.1:$up; }
    }
}
EOF
    valgrind --tool=callgrind --callgrind-out-file="$tmp/gate.cg" \
        --toggle-collect=ngx_http_moat_handler \
        nginx -p "$tmp/ngx" -c "$tmp/ngx/nginx.conf" >/dev/null 2>"$tmp/gate.log" &
    pids+=($!)
    wait_port "$up" x
    http_client "$on" "/$account/data/blob.bin"
    kill -QUIT "${pids[-1]}"; wait "${pids[-1]}" || true
    emit gate "$(summary "$tmp/gate.cg")" "$n_http"
fi
