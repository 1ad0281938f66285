#!/usr/bin/env bash
# scripts/gate.sh - `make gate`: Azure's network rules in front of a local
# storage server. Starts Azurite (blob) and nginx with ngx_http_moat_module
# in front of it, for every storage account of an estate, and prints how to
# connect. Ctrl-C stops both.
#
#   scripts/gate.sh [--estate PATH] [--topology FILE] [--port N] [--dir DIR]
#                   [--learning]
#
#   --estate PATH    the estate (default examples/estate)
#   --topology FILE  subnets and private endpoint listeners (docs/gate.md)
#   --port N         the gate's port (default 10000, Azurite's own default,
#                    so tools configured for Azurite reach the gate);
#                    Azurite listens on N+100
#   --dir DIR        where keys, configuration and logs go (build/gate)
#   --learning       allow everything, log what would be denied
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
estate=$top/examples/estate topology="" port=10000 dir=$top/build/gate mode=on
while [ $# -gt 0 ]; do
    case "$1" in
    --estate) estate=$(realpath "$2"); shift 2 ;;
    --topology) topology=$(realpath "$2"); shift 2 ;;
    --port) port=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --learning) mode=learning; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gate: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
mkdir -p "$dir"
dir=$(realpath "$dir")

# What it needs: the module, moat, nginx, Azurite.
command -v nginx >/dev/null || "$top/scripts/deps"
make -s -C "$top" all module
if [ ! -x "$top/tests/e2e/node_modules/.bin/azurite-blob" ]; then
    (cd "$top/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Keys for bearer tokens (moat token mint signs with them).
[ -f "$dir/jwt.pem" ] || "$top/build/moat" token keygen --key "$dir/jwt.pem" --jwks "$dir/jwks.json"

# One Azurite account per storage account of the estate, keys kept across runs.
if [ ! -f "$dir/accounts" ]; then
    "$top/build/moat" estate --estate "$estate" --format json 2>/dev/null |
        python3 -c '
import base64, json, os, sys
d = json.load(sys.stdin)
for r in d.get("resources", []):
    if r.get("kind") == "storage":
        print("%s:%s" % (r["name"], base64.b64encode(os.urandom(32)).decode()))
' >"$dir/accounts"
fi
accounts=$(paste -sd';' "$dir/accounts")
if [ -z "$accounts" ]; then
    echo "gate: the estate has no storage account" >&2
    exit 1
fi

topo_line=""
[ -n "$topology" ] && topo_line="moat_topology $topology;"
cat >"$dir/nginx.conf" <<EOF
load_module $top/build/ngx_http_moat_module.so;
pid $dir/nginx.pid;
error_log $dir/error.log notice;
daemon off;
events { worker_connections 1024; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    client_max_body_size 0;
    moat $mode;
    moat_estate $estate;
    $topo_line
    moat_jwks $dir/jwks.json;
    moat_account_from path;
    moat_decision_log $dir/decisions.jsonl;
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://127.0.0.1:$((port + 100));
            proxy_http_version 1.1;
            proxy_set_header Host \$http_host;
        }
    }
}
EOF

pids=()
stop() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap stop EXIT INT TERM
AZURITE_ACCOUNTS="$accounts" "$top/tests/e2e/node_modules/.bin/azurite-blob" \
    --blobHost 127.0.0.1 --blobPort $((port + 100)) --loose --skipApiVersionCheck \
    --disableProductStyleUrl --location "$dir/azurite" --silent >"$dir/azurite.log" 2>&1 &
pids+=($!)
nginx -p "$dir" -c "$dir/nginx.conf" &
pids+=($!)

cat <<EOF
moat gate on http://127.0.0.1:$port (Azurite behind it on $((port + 100))), mode $mode
estate:    $estate
decisions: $dir/decisions.jsonl (one JSON line per request)
reload:    nginx -p $dir -c $dir/nginx.conf -s reload   (after editing the estate)

Connection strings:
EOF
while IFS=: read -r name key; do
    echo "  DefaultEndpointsProtocol=http;AccountName=$name;AccountKey=$key;BlobEndpoint=http://127.0.0.1:$port/$name;"
done <"$dir/accounts"
cat <<EOF

A bearer token for a managed identity of the estate:
  $top/build/moat token mint --key $dir/jwt.pem --estate $estate --identity <name>

Ctrl-C stops the gate.
EOF
wait
