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

# The decide benchmark's estate, with 127.0.0.1 as its last IP rule
# (IP rules come after the perimeter's, so every request walks them all).
build/bench decide --emit "$tmp/emit" --requests 16 >/dev/null
python3 - "$tmp/emit/estate.json" "$tmp/estate.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
items = d if isinstance(d, list) else d.get("value", [])
for r in items:
    if r.get("type", "").lower() == "microsoft.storage/storageaccounts":
        r["properties"]["networkAcls"]["ipRules"][-1] = {"value": "127.0.0.1"}
        account = r["name"]
json.dump(d, open(sys.argv[2], "w"))
print(account, file=open(sys.argv[2] + ".account", "w"))
PY
account=$(cat "$tmp/estate.json.account")

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
UP=$(port); OFF=$(port); ON=$(port)
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
    python3 - "$1" "$tmp/$1.txt" <<'PY'
import re, sys
t = open(sys.argv[2]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
def us(label):
    m = re.search(r"\s%s\s+([\d.]+)(us|ms|s)\b" % re.escape(label), t)
    v, u = float(m.group(1)), m.group(2)
    return v * {"us": 1, "ms": 1e3, "s": 1e6}[u]
print('{"bench":"gate","moat":"%s","requests_per_sec":%.0f,"p50_us":%.0f,"p99_us":%.0f}'
      % (sys.argv[1], rps, us("50%"), us("99%")))
PY
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
