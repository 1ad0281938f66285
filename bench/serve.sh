#!/usr/bin/env bash
# bench/serve.sh - moat serve under wrk (Debian): /v1/authz and /v1/check
# at 1 and 50 connections, one worker thread on the first core, wrk on the
# second. Prints one JSON line per run (the best of SERVE_ROUNDS).
#
# The estate is the decide benchmark's maximum-size account (400 IP rules,
# 400 virtual network rules, 200 resource instance rules, a Learning
# perimeter with 200 prefixes) with 127.0.0.1 as its last IP rule, so an
# allowed request walks every rule; a denied one comes from 127.0.0.2.
set -eu
cd "$(dirname "$0")/.."
secs=${SERVE_SECONDS:-8}
rounds=${SERVE_ROUNDS:-2}
# Another build to compare with (SERVE_MOAT), and the flags it needs to
# believe the benchmark's X-Real-IP (SERVE_TRUST; empty for builds from
# before --trust-header).
moat=${SERVE_MOAT:-build/moat}
trust=${SERVE_TRUST-"--trust-header X-Real-IP"}
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT

# shellcheck source=bench/lib.sh
. bench/lib.sh
account=$(max_estate "$tmp")
port=$(free_port)
# shellcheck disable=SC2086
taskset -c 0 "$moat" serve --estate "$tmp/estate.json" --listen "127.0.0.1:$port" \
    --threads 1 --account-from path --poll 0 $trust 2>"$tmp/serve.err" &
pid=$!
for _ in $(seq 50); do curl -s "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

authz="http://127.0.0.1:$port/v1/authz/$account/data/blob.bin"
cat >"$tmp/check.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"resource": "$account", "operation": "read", "source": {"ip": "127.0.0.1"}}'
wrk.headers["Content-Type"] = "application/json"
LUA
check=$(curl -s -o /dev/null -w "%{http_code}" -H "X-Real-IP: 127.0.0.1" "$authz")
if [ "$check" != 200 ]; then
    echo "bench/serve: the benchmark request was not allowed ($check)" >&2
    exit 1
fi

# The server's CPU time so far (user + system), in clock ticks: CPU time
# per request is what a run costs the server even when other work shares
# the machine and throughput says more about the neighbours.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)

run() { # name connections wrk-args...
    local name=$1 c=$2 t0 t1 n
    shift 2
    t0=$(cpu_ticks)
    taskset -c 1 wrk -t1 -c"$c" -d"${secs}s" --latency "$@" >"$tmp/$name.txt"
    t1=$(cpu_ticks)
    n=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$tmp/$name.txt")
    echo "{\"bench\":\"serve\",\"endpoint\":\"$name\",\"connections\":$c,$(wrk_fields "$tmp/$name.txt"),\"server_cpu_us_per_request\":$(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$hz" 'BEGIN{printf "%.2f", n ? (b - a) * 1e6 / hz / n : 0}')}"
}

best() { # name connections wrk-args...: the best of the rounds
    local lines=()
    for _ in $(seq "$rounds"); do lines+=("$(run "$@")"); done
    python3 -c 'import json,sys; r=[json.loads(a) for a in sys.argv[1:]]; print(json.dumps(max(r, key=lambda d: d["requests_per_sec"]), separators=(",",":")))' "${lines[@]}"
}

for c in 1 50; do
    best authz-allow "$c" -H "X-Real-IP: 127.0.0.1" "$authz"
    best authz-deny "$c" -H "X-Real-IP: 127.0.0.2" "$authz"
    best check "$c" -s "$tmp/check.lua" "http://127.0.0.1:$port/v1/check"
done
