#!/usr/bin/env bash
# bench/gate.sh - nginx proxying to a static upstream with the moat module
# on and off, in the same nginx, in the same run (wrk from Debian). Prints
# one JSON line per configuration and the ratio.
#
# One worker process (on the first core) and one wrk thread (on the second),
# 32 connections; the upstream answers 200 with a 32-byte body. The
# module decides a path-style blob read from 127.0.0.1 against the
# maximum-size account of the decide benchmark (400 IP rules, 400 virtual
# network rules, 200 resource instance rules, a Learning perimeter with 200
# prefixes), allowed by an IP rule; the decision log is off.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
secs=${GATE_SECONDS:-10}
tmp=$(mktemp -d)
trap 'kill $(cat "$tmp/nginx.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$tmp"' EXIT

# shellcheck source=bench/lib.sh
. bench/lib.sh
account=$(max_estate "$tmp")

UP=$(free_port); OFF=$(free_port); ON=$(free_port)
cat >"$tmp/nginx.conf" <<EOF
load_module $top/build/ngx_http_moat_module.so;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
worker_processes 1;
worker_cpu_affinity 01;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $tmp/body;
    proxy_temp_path $tmp/proxy;
    upstream static { server 127.0.0.1:$UP; keepalive 64; }
    moat_estate $tmp/estate.json;
    moat_account_from path;
    server { listen 127.0.0.1:$UP; location / { return 200 "0123456789abcdef0123456789abcde\n"; } }
    server {
        listen 127.0.0.1:$OFF;
        moat off;
        location / { proxy_pass http://static; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
    server {
        listen 127.0.0.1:$ON;
        moat on;
        location / { proxy_pass http://static; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
EOF
nginx -p "$tmp" -c "$tmp/nginx.conf"
sleep 0.5
url="/$account/data/blob.bin"
check=$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$ON$url")
if [ "$check" != 200 ]; then
    echo "bench/gate: the gate refused the benchmark request ($check)" >&2
    exit 1
fi

run() { # name port
    taskset -c 1 wrk -t1 -c32 -d"${secs}s" --latency "http://127.0.0.1:$2$url" >"$tmp/$1.txt"
    echo "{\"bench\":\"gate\",\"moat\":\"$1\",$(wrk_fields "$tmp/$1.txt")}"
}
# Interleaved rounds, the best of each, so that drift hits both alike.
rounds=${GATE_ROUNDS:-3}
results=()
for i in $(seq "$rounds"); do
    results+=("$(run off "$OFF")" "$(run on "$ON")")
done
python3 - "${results[@]}" <<'PY'
import json, sys
runs = [json.loads(a) for a in sys.argv[1:]]
off = max((r for r in runs if r["moat"] == "off"), key=lambda d: d["requests_per_sec"])
on = max((r for r in runs if r["moat"] == "on"), key=lambda d: d["requests_per_sec"])
print(json.dumps(off, separators=(",", ":")))
print(json.dumps(on, separators=(",", ":")))
print('{"bench":"gate-ratio","on_over_off":%.3f,"added_p50_us":%.0f}'
      % (on["requests_per_sec"] / off["requests_per_sec"], on["p50_us"] - off["p50_us"]))
PY
