#!/usr/bin/env bash
# tests/e2e/run.sh - the gate with real components: nginx (Debian) with
# ngx_http_moat_module, Azurite (npm) as the storage server, and the Azure
# SDK for JavaScript (npm) as the client, over HTTPS (bearer tokens need
# it). Scenarios in gate.test.js. Needs build/ngx_http_moat_module.so and
# build/moat (MOAT names the moat binary, for tokens).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
MOAT=${MOAT:-$top/build/moat}
MODULE=${MODULE:-$top/build/ngx_http_moat_module.so}
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

# Free ports: ask the kernel.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
AZ=$(port); GATE=$(port); PE=$(port)

# TLS for the listeners (and for Azurite, which wants it for OAuth).
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$tmp/tls.key" -out "$tmp/tls.crt" 2>/dev/null

# Signing keys and a token for Azure Backup's managed identity.
"$MOAT" token keygen --key "$tmp/jwt.pem" --jwks "$tmp/jwks.json" --alg ES256 2>/dev/null
TOKEN=$("$MOAT" token mint --key "$tmp/jwt.pem" --estate "$here/estate/gate.json" --identity rsv-gate)

cp "$here/estate/gate.json" "$tmp/estate.json"
sed "s/@PE_PORT@/$PE/" "$here/topology.json.in" >"$tmp/topology.json"

# Azurite with one account per configuration of the estate.
KEYS=""
for a in stopen stnone stlogs stpriv stperim; do
    KEYS="$KEYS${KEYS:+;}$a:$(head -c 32 /dev/urandom | base64)"
done
AZURITE_ACCOUNTS="$KEYS" "$here/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$AZ" \
    --cert "$tmp/tls.crt" --key "$tmp/tls.key" --oauth basic --loose --skipApiVersionCheck \
    --inMemoryPersistence --disableProductStyleUrl --silent \
    >"$tmp/azurite.log" 2>&1 &
pids+=($!)

cat >"$tmp/nginx.conf" <<EOF
load_module $MODULE;
pid $tmp/nginx.pid;
error_log $tmp/error.log info;
worker_processes 2;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $tmp/body;
    proxy_temp_path $tmp/proxy;
    client_max_body_size 0;
    moat on;
    moat_estate $tmp/estate.json;
    moat_topology $tmp/topology.json;
    moat_jwks $tmp/jwks.json;
    moat_jwt_audience https://storage.azure.com/;
    moat_service_tags $top/examples/servicetags/ServiceTags_Public_20250127-excerpt.json;
    moat_account_from path;
    moat_decision_log $tmp/decisions.jsonl;
    server {
        listen 127.0.0.1:$GATE ssl;
        listen 127.0.0.1:$PE ssl;
        ssl_certificate $tmp/tls.crt;
        ssl_certificate_key $tmp/tls.key;
        location / {
            proxy_pass https://127.0.0.1:$AZ;
            proxy_ssl_verify off;
            proxy_http_version 1.1;
            proxy_set_header Host \$http_host;
        }
    }
}
EOF
nginx -p "$tmp" -c "$tmp/nginx.conf" -t 2>"$tmp/nginx-t.log" || { cat "$tmp/nginx-t.log"; exit 1; }
# A service-tag file that does not load fails the configuration.
sed "s|moat_service_tags .*;|moat_service_tags $tmp/nosuch.json;|" "$tmp/nginx.conf" >"$tmp/nginx-bad.conf"
if nginx -p "$tmp" -c "$tmp/nginx-bad.conf" -t 2>"$tmp/nginx-t.log" ||
    ! grep -q "nosuch.json" "$tmp/nginx-t.log"; then
    echo "not ok - moat_service_tags with a missing file was accepted"; cat "$tmp/nginx-t.log"; exit 1
fi
echo "ok - moat_service_tags: a missing file fails the configuration"
nginx -p "$tmp" -c "$tmp/nginx.conf"

# Wait for both servers.
for i in $(seq 50); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $AZ), 1); socket.create_connection(('127.0.0.1', $GATE), 1)" 2>/dev/null; then
        break
    fi
    sleep 0.2
done

rc=0
GATE="https://127.0.0.1:$GATE" GATE_PE="https://127.0.0.1:$PE" KEYS="$KEYS" TOKEN="$TOKEN" \
    ESTATE="$tmp/estate.json" RELOAD="nginx -p $tmp -c $tmp/nginx.conf -s reload" \
    NODE_EXTRA_CA_CERTS="$tmp/tls.crt" node "$here/gate.test.js" || rc=$?

# Deployment pre-flight: the containers `moat audit --runner` says will get
# a 403 get it through the gate, the others are created.
python3 "$top/tests/audit/hcl2plan.py" "$here/preflight.tf" >"$tmp/preflight-plan.json"
"$MOAT" audit --quiet --format json --estate "$here/estate/gate.json" \
    --estate "$tmp/preflight-plan.json" --runner 127.0.0.5 --runner 127.0.0.9 \
    >"$tmp/preflight.json" || true
GATE="https://127.0.0.1:$GATE" KEYS="$KEYS" EXPECT="$tmp/preflight.json" \
    NODE_EXTRA_CA_CERTS="$tmp/tls.crt" node "$here/preflight.test.js" || rc=$?

# The decision log has one line per decision, shaped like NSP access logs.
python3 - "$tmp/decisions.jsonl" <<'PY' || rc=1
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
denied = [l for l in lines if l["resultAction"] == "Denied"]
assert lines and denied, "no decisions logged"
for l in lines:
    for k in ("time", "category", "resultAction", "matchedRule", "source", "destination"):
        assert k in l, "decision log line lacks " + k
assert any(l["category"] == "ResTrustedService" for l in lines), "no trusted-service decision"
assert any(l["category"] == "ResPrivateEndpoint" for l in lines), "no private endpoint decision"
print("ok - decision log: %d lines, %d denied" % (len(lines), len(denied)))
PY
if [ "$rc" -ne 0 ]; then
    echo "--- nginx error log"; tail -20 "$tmp/error.log"
    echo "--- azurite log"; tail -20 "$tmp/azurite.log"
    echo "--- last decisions"; tail -${DECISIONS:-5} "$tmp/decisions.jsonl" 2>/dev/null
fi
exit "$rc"
