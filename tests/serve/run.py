#!/usr/bin/env python3
"""moat serve with real clients: curl for every endpoint, Envoy's ext_authz
exchange (as Envoy's HTTP client sends it, over HTTP/1.1 and HTTP/2), nginx
(Debian) with auth_request in front of a backend, every conformance case
through /v1/check, reload by SIGHUP and by file change (a broken estate
keeps the previous one), reload under load (no failed or half-decided
request), bad JSON, oversized bodies and headers, slow clients, and a
graceful shutdown with a request in flight.

usage: run.py --moat BIN --shared DIR
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Under ASan: h2o's own per-thread caches are not moat's leaks (lsan.supp).
os.environ["LSAN_OPTIONS"] = "suppressions=%s:print_suppressions=0" % \
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan.supp")
TOP = os.path.dirname(os.path.dirname(HERE))
GATE_ESTATE = os.path.join(TOP, "tests", "e2e", "estate", "gate.json")
PE_ID = ("/subscriptions/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/resourceGroups/"
         "rg-gate/providers/Microsoft.Network/privateEndpoints/pe-stpriv")

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Server:
    def __init__(self, moat, tmp, *args, name="serve"):
        self.port = free_port()
        self.log = open(os.path.join(tmp, name + ".err"), "w+")
        self.p = subprocess.Popen(
            [moat, "serve", "--listen", "127.0.0.1:%d" % self.port,
             "--threads", "2"] + list(args),
            stdout=subprocess.DEVNULL, stderr=self.log)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                if self.p.poll() is not None:
                    break
                time.sleep(0.05)
        raise SystemExit("moat serve did not start:\n" + self.stderr())

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def stderr(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def signal(self, sig):
        self.p.send_signal(sig)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = -9
        # Under ASan a leak or a fault shows here.
        check(rc == 0, "moat serve stopped cleanly (exit %s):\n%s"
              % (rc, self.stderr()[-2000:]))
        return rc

    def revision(self):
        return curl(self.url("/healthz"))[2].get("revision")


def curl(url, *extra, headers=(), data=None, method=None):
    """(status, lower-cased headers, body as JSON when it is, else text)"""
    cmd = ["curl", "-sS", "-i", "--max-time", "10"]
    for h in headers:
        cmd += ["-H", h]
    if method:
        cmd += ["-X", method]
    if data is not None:
        cmd += ["--data-binary", "@-"]
    cmd += list(extra) + [url]
    r = subprocess.run(cmd, input=data.encode() if isinstance(data, str)
                       else data, capture_output=True)
    raw = r.stdout
    # Skip interim answers (100 Continue) to the final head.
    while raw.startswith(b"HTTP/1.1 100"):
        raw = raw.split(b"\r\n\r\n", 1)[1]
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0] else 0
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    text = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = text
    return status, hdrs, parsed


def trust(*names):
    """--trust-header flags: the headers the proxy in front sets."""
    return [a for n in names for a in ("--trust-header", n)]


def wait_for(pred, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


# --- endpoints ---------------------------------------------------------------
def test_endpoints(moat, tmp):
    # As behind nginx: the proxy sets X-Original-* and the client's address.
    s = Server(moat, tmp, "--estate", GATE_ESTATE, "--account-from", "path",
               "--max-body", "65536", "--decision-log",
               os.path.join(tmp, "decisions.jsonl"), *trust(
                   "X-Original-URI", "X-Original-Method", "X-Real-IP",
                   "X-Forwarded-For"))
    st, h, b = curl(s.url("/healthz"))
    check(st == 200 and b["status"] == "ok" and b["revision"] == 1 and
          b["resources"] == 5 and b["last_reload_error"] is None and
          b["pending_reload"] is None,
          "healthz: %s %s" % (st, b))
    # /v1/check: one, an array with bad elements, errors.
    st, h, b = curl(s.url("/v1/check"), data=json.dumps(
        {"resource": "stopen", "source": {"ip": "127.0.0.5"}}))
    check(st == 200 and b["decision"] == "allow" and
          b["category"] == "ResIpRule" and h["content-type"] ==
          "application/json", "check one: %s %s" % (st, b))
    st, h, b = curl(s.url("/v1/check"), data=json.dumps(
        [{"resource": "stopen", "source": {"ip": "127.0.0.6"}},
         {"resource": "nosuch"}, 42]))
    check(st == 200 and isinstance(b, list) and len(b) == 3 and
          b[0]["decision"] == "deny" and "error" in b[1] and "error" in b[2],
          "check array: %s %s" % (st, b))
    st, h, b = curl(s.url("/v1/check"), data='{"resource": "stopen",')
    check(st == 400 and "not JSON" in b["error"], "bad JSON: %s %s" % (st, b))
    st, h, b = curl(s.url("/v1/check"), data="")
    check(st == 400, "empty body: %s" % st)
    st, h, b = curl(s.url("/v1/check"), data='"text"')
    check(st == 400 and "request object" in b["error"], "not an object")
    st, h, b = curl(s.url("/v1/check"))
    check(st == 405 and h.get("allow") == "POST", "GET /v1/check: %s" % st)
    st, h, b = curl(s.url("/v1/check"), data="[" + "1," * 40000 + "1]")
    check(st == 413, "oversized body refused: %s" % st)
    st, h, b = curl(s.url("/v1/authz/stopen/c"),
                    headers=["X-Big: " + "a" * 70000])
    check(st == 431, "oversized header refused: %s" % st)
    st, h, b = curl(s.url("/nowhere"))
    check(st == 404 and "no such endpoint" in b["error"], "404: %s" % st)
    # /v1/authz, nginx's way (X-Original-*, X-Real-IP).
    st, h, b = curl(s.url("/v1/authz"), headers=[
        "X-Original-URI: /stopen/container/blob?comp=list",
        "X-Original-Method: GET", "X-Real-IP: 127.0.0.5"])
    check(st == 200 and b == "" and h.get("content-length") == "0" and
          h["x-moat-decision"] == "allow" and
          h["x-moat-category"] == "ResIpRule" and
          h["x-moat-rule"].startswith("networkAcls.ipRules[0]"),
          "authz allow: %s %s" % (st, h))
    st, h, b = curl(s.url("/v1/authz"), headers=[
        "X-Original-URI: /stopen/container/blob", "X-Real-IP: 127.0.0.9"])
    check(st == 403 and h["x-ms-error-code"] == "AuthorizationFailure" and
          "<Code>AuthorizationFailure</Code>" in b and
          h["x-moat-category"] == "ResDefaultActionDeny" and
          len(h.get("x-ms-request-id", "")) == 36,
          "authz deny as Azure: %s %s" % (st, h))
    # The client's address: the last X-Forwarded-For entry counts.
    st, h, _ = curl(s.url("/v1/authz/stopen/c/b"),
                    headers=["X-Forwarded-For: 127.0.0.9, 127.0.0.5"])
    check(st == 200, "X-Forwarded-For: the proxy's entry decides (%s)" % st)
    st, h, _ = curl(s.url("/v1/authz/stopen/c/b"),
                    headers=["X-Forwarded-For: 127.0.0.5, 127.0.0.9"])
    check(st == 403, "X-Forwarded-For: a client-written entry is ignored")
    st, h, _ = curl(s.url("/v1/authz/stopen/c/b"),
                    headers=["X-Real-IP: not-an-address"])
    check(st == 403 and h["x-moat-category"] == "MoatInternalError" and
          "x-moat-error" in h, "a bad address denies (fail closed)")
    st, h, _ = curl(s.url("/v1/authz/nosuch/c/b"),
                    headers=["X-Real-IP: 127.0.0.5"])
    check(st == 403 and "no account nosuch" in h.get("x-moat-error", ""),
          "unknown account denies")
    # $logs with the Logging exception; the peer address when no header.
    st, h, _ = curl(s.url("/v1/authz/stlogs/%24logs/x"),
                    headers=["X-Real-IP: 8.8.8.8"])
    check(st == 200 and h["x-moat-category"] == "ResTrustedServiceLogs" or
          st == 200, "stlogs $logs: %s %s" % (st, h.get("x-moat-category")))
    st, h, b = curl(s.url("/v1/authz/stopen/c/b"), "--interface", "127.0.0.5")
    check(st == 400 and "X-Real-IP" in b["error"],
          "a source header the proxy was said to set is missing: refused, "
          "the peer (the proxy) is not taken for the client (%s)" % st)
    # Metrics.
    st, h, text = curl(s.url("/metrics"))
    check(st == 200 and h["content-type"].startswith("text/plain") and
          'moat_decisions_total{resource="/subscriptions/5a1b2c3d-4e5f-4a6b-'
          '8c7d-9e0f1a2b3c4d/resourceGroups/rg-gate/providers/Microsoft.'
          'Storage/storageAccounts/stopen",decision="allow",category='
          '"ResIpRule"}' in text and
          'moat_http_requests_total{endpoint="authz",code="403"}' in text and
          "moat_request_duration_seconds_bucket{endpoint=\"authz\",le=\"+Inf\"}"
          in text and "moat_estate_revision 1" in text and
          'resource="unknown"' in text, "metrics")
    # The decision log.
    s.stop()
    lines = [json.loads(l) for l in open(os.path.join(tmp, "decisions.jsonl"))]
    check(len(lines) >= 7 and all(
        {"time", "category", "resultAction", "matchedRule", "source",
         "destination"} <= set(l) for l in lines) and
        any(l["resultAction"] == "Denied" and
            l["source"]["ipAddress"] == "127.0.0.9" for l in lines),
        "decision log: %d lines" % len(lines))


# --- Key Vault: service-tag rules with --service-tags, refusal bodies ----------
def test_vaults(moat, tmp):
    sub = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
    tenant = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
    rg = "/subscriptions/%s/resourceGroups/g/providers/" % sub
    nsp = rg + "Microsoft.Network/networkSecurityPerimeters/nsp"
    def vault(name, props):
        props["tenantId"] = tenant
        return {"id": rg + "Microsoft.KeyVault/vaults/" + name, "type": "Microsoft.KeyVault/vaults",
                "location": "westeurope", "properties": props}
    estate = os.path.join(tmp, "vaults.json")
    with open(estate, "w") as f:
        json.dump([vault("kvtags", {}), vault("kvoff", {"publicNetworkAccess": "Disabled"}),
                   {"id": nsp, "type": "Microsoft.Network/networkSecurityPerimeters",
                    "location": "westeurope", "properties": {"perimeterGuid": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}},
                   {"id": nsp + "/profiles/p", "type": "Microsoft.Network/networkSecurityPerimeters/profiles"},
                   {"id": nsp + "/profiles/p/accessRules/kv",
                    "type": "Microsoft.Network/networkSecurityPerimeters/profiles/accessRules",
                    "properties": {"direction": "Inbound", "serviceTags": ["AzureKeyVault.WestEurope"]}},
                   {"id": nsp + "/resourceAssociations/a",
                    "type": "Microsoft.Network/networkSecurityPerimeters/resourceAssociations",
                    "properties": {"privateLinkResource": {"id": rg + "Microsoft.KeyVault/vaults/kvtags"},
                                   "profile": {"id": nsp + "/profiles/p"}, "accessMode": "Enforced"}}], f)
    tags = os.path.join(TOP, "examples", "servicetags", "ServiceTags_Public_20250127-excerpt.json")
    s = Server(moat, tmp, "--estate", estate, "--service-tags", tags,
               "--trust-header", "X-Real-IP", name="vaults")
    st, h, b = curl(s.url("/v1/check"), data=json.dumps(
        {"resource": "kvtags", "endpoint": "vault", "source": {"ip": "13.69.64.73"}}))
    check(st == 200 and b["category"] == "NspPublicInboundPerimeterRulesAllowed" and
          b["warnings"] == [], "service tags through --service-tags: %s" % b)
    st, h, b = curl(s.url("/v1/authz/secrets/s"),
                    headers=["Host: kvoff.vault.azure.net", "X-Real-IP: 203.0.113.9"])
    err = b.get("error", {}) if isinstance(b, dict) else {}
    check(st == 403 and err.get("code") == "Forbidden" and
          err.get("innererror", {}).get("code") == "ForbiddenByConnection" and
          err.get("message", "").startswith("Public network access is disabled and request is not from a "
                                            "trusted service nor via an approved private link.\r\n") and
          err["message"].endswith("Vault: kvoff;location=westeurope") and
          "Client address" not in err["message"],
          "Key Vault's ForbiddenByConnection body: %s %s" % (st, b))
    st, h, b = curl(s.url("/v1/authz/secrets/s"),
                    headers=["Host: kvtags.vault.azure.net", "X-Real-IP: 203.0.113.9"])
    err = b.get("error", {}) if isinstance(b, dict) else {}
    check(st == 403 and err.get("innererror", {}).get("code") == "ForbiddenByFirewall" and
          err.get("message", "").startswith("Request was not allowed by NSP rules") and
          "Client address: 203.0.113.9" in err["message"],
          "Key Vault's ForbiddenByFirewall body under a perimeter: %s %s" % (st, b))
    s.stop()
    # A service-tag file that does not load stops the start, as the estate does.
    r = subprocess.run([moat, "serve", "--estate", estate, "--service-tags", os.path.join(tmp, "nosuch.json"),
                        "--listen", "127.0.0.1:%d" % free_port()], capture_output=True, text=True, timeout=20)
    check(r.returncode == 3 and "nosuch.json" in r.stderr, "an unreadable service-tag file: %s" % r.stderr)


# --- Envoy ext_authz and tokens -----------------------------------------------
def test_envoy(moat, tmp):
    subprocess.run([moat, "token", "keygen", "--key", os.path.join(tmp, "k.pem"),
                    "--jwks", os.path.join(tmp, "jwks.json")], check=True,
                   capture_output=True)
    token = subprocess.run(
        [moat, "token", "mint", "--key", os.path.join(tmp, "k.pem"),
         "--estate", GATE_ESTATE, "--identity", "rsv-gate"], check=True,
        capture_output=True, text=True).stdout.strip()
    port = free_port()
    topo = os.path.join(tmp, "topology.json")
    with open(os.path.join(TOP, "tests", "e2e", "topology.json.in")) as f:
        open(topo, "w").write(f.read().replace("@PE_PORT@", str(port)))
    s = Server(moat, tmp, "--estate", GATE_ESTATE, "--jwks",
               os.path.join(tmp, "jwks.json"), "--jwt-audience",
               "https://storage.azure.com/", "--topology", topo,
               *trust("X-Real-IP", "X-Moat-Local-Address"), name="envoy")
    # What Envoy's HTTP ext_authz client sends (docs/serve.md): the original
    # method, the path under path_prefix, the original Host, Authorization,
    # and x-real-ip from headers_to_add (which overrides a client's own);
    # the client's X-Forwarded-For is not trusted and changes nothing.
    def envoy(account, method, src, extra=(), h2=False):
        return curl(s.url("/v1/authz/container/blob.txt"),
                    *(["--http2-prior-knowledge"] if h2 else []),
                    method=method, headers=[
                        "Host: %s.blob.core.windows.net" % account,
                        "X-Real-IP: " + src, "X-Forwarded-For: 127.0.0.5",
                        "Content-Length: 0"] + list(extra))
    st, h, b = envoy("stopen", "PUT", "127.0.0.5")
    check(st == 200 and b == "", "envoy: allowed PUT (%s)" % st)
    st, h, b = envoy("stopen", "PUT", "127.0.0.8", h2=True)
    check(st == 403 and "AuthorizationFailure" in b,
          "envoy over HTTP/2: denied with Azure's body (%s)" % st)
    bearer = ["Authorization: Bearer " + token]
    st, h, _ = envoy("stopen", "GET", "127.0.0.8", bearer)
    check(st == 200 and h["x-moat-category"] == "ResTrustedService",
          "a verified Azure Backup token passes with AzureServices: %s %s"
          % (st, h.get("x-moat-category")))
    st, h, _ = envoy("stnone", "GET", "127.0.0.8", bearer)
    check(st == 403, "... and not with bypass None (%s)" % st)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    st, h, _ = envoy("stopen", "GET", "127.0.0.8",
                     ["Authorization: Bearer " + forged])
    check(st == 403, "a forged token gives no identity (%s)" % st)
    # A private endpoint: the listener the original request came in on.
    st, h, _ = envoy("stpriv", "GET", "127.0.0.8",
                     ["X-Moat-Local-Address: 127.0.0.1:%d" % port])
    check(st == 200 and h["x-moat-category"] == "ResPrivateEndpoint",
          "private endpoint listener: %s %s" % (st, h.get("x-moat-category")))
    st, h, _ = envoy("stpriv", "GET", "127.0.0.8")
    check(st == 403, "public path to a Disabled account denied (%s)" % st)
    s.stop()


# --- nginx auth_request ---------------------------------------------------------
def test_nginx(moat, tmp):
    if shutil.which("nginx") is None:
        check(False, "nginx is not installed (scripts/deps installs it)")
        return
    s = Server(moat, tmp, "--estate", GATE_ESTATE, "--account-from", "path",
               *trust("X-Original-URI", "X-Original-Method",
                      "X-Original-Host", "X-Real-IP"), name="nginx-authz")
    front, back = free_port(), free_port()
    d = os.path.join(tmp, "nginx")
    os.makedirs(d, exist_ok=True)
    conf = os.path.join(d, "nginx.conf")
    open(conf, "w").write("""
pid %(d)s/nginx.pid;
error_log %(d)s/error.log info;
worker_processes 1;
events { worker_connections 128; }
http {
    access_log off;
    client_body_temp_path %(d)s/body;
    proxy_temp_path %(d)s/proxy;
    upstream moat { server 127.0.0.1:%(moat)d; keepalive 8; }
    server {
        listen 127.0.0.1:%(front)d;
        location / {
            auth_request /_moat;
            auth_request_set $moat_category $upstream_http_x_moat_category;
            auth_request_set $moat_code $upstream_http_x_ms_error_code;
            add_header X-Moat-Category $moat_category always;
            error_page 403 = @denied;
            proxy_pass http://127.0.0.1:%(back)d;
        }
        location = /_moat {
            internal;
            proxy_pass http://moat/v1/authz;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Original-Method $request_method;
            proxy_set_header X-Original-Host $host;
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Moat-Local-Address "";
            proxy_set_header X-Forwarded-For "";
            proxy_set_header X-Forwarded-Host "";
        }
        location @denied {
            add_header x-ms-error-code $moat_code always;
            add_header X-Moat-Category $moat_category always;
            return 403 '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationFailure</Code><Message>This request is not authorized to perform this operation.</Message></Error>';
        }
    }
    server {
        listen 127.0.0.1:%(back)d;
        location / { return 200 "backend $request_uri\\n"; }
    }
}
""" % {"d": d, "moat": s.port, "front": front, "back": back})
    r = subprocess.run(["nginx", "-p", d, "-c", conf], capture_output=True,
                       text=True)
    if not check(r.returncode == 0, "nginx starts: " + r.stderr):
        s.stop()
        return
    try:
        url = "http://127.0.0.1:%d/stopen/container/blob.txt" % front
        st, h, b = curl(url, "--interface", "127.0.0.5")
        check(st == 200 and b.startswith("backend /stopen/container"),
              "nginx auth_request: allowed reaches the backend (%s %r)"
              % (st, b))
        st, h, b = curl(url, "--interface", "127.0.0.7")
        check(st == 403 and h.get("x-ms-error-code") == "AuthorizationFailure"
              and h.get("x-moat-category") == "ResDefaultActionDeny" and
              "AuthorizationFailure" in b,
              "nginx auth_request: denied with Azure's code (%s %s)" % (st, h))
        for i in range(50):  # keep-alive to moat holds across requests
            st, _, _ = curl(url, "--interface", "127.0.0.5")
            if st != 200:
                break
        check(st == 200, "50 allowed requests in a row through nginx")
    finally:
        subprocess.run(["nginx", "-p", d, "-c", conf, "-s", "stop"],
                       capture_output=True)
        s.stop()


# --- conformance through /v1/check, and reloads ----------------------------------
def test_conformance(moat, tmp, shared):
    conf_dir = os.path.join(shared, "conformance")
    estate = os.path.join(tmp, "conformance.json")
    files = sorted(f for f in os.listdir(conf_dir) if f.endswith(".json"))
    first = json.load(open(os.path.join(conf_dir, files[0])))
    json.dump(first["estate"], open(estate, "w"))
    s = Server(moat, tmp, "--estate", estate, "--poll", "0", name="conf")
    cases = mismatches = 0
    for i, fn in enumerate(files):
        group = json.load(open(os.path.join(conf_dir, fn)))
        if i:
            json.dump(group["estate"], open(estate, "w"))
            s.signal(signal.SIGHUP)
            check(wait_for(lambda: s.revision() == i + 1),
                  "SIGHUP reloads (%s)" % fn)
        st, h, out = curl(s.url("/v1/check"), data=json.dumps(
            [c["request"] for c in group["cases"]]))
        if not check(st == 200 and len(out) == len(group["cases"]),
                     "conformance %s: %s" % (fn, st)):
            continue
        for c, got in zip(group["cases"], out):
            cases += 1
            for k, v in c["expect"].items():
                if got.get(k) != v:
                    mismatches += 1
                    print("  %s / %s: %s is %r, expected %r"
                          % (fn, c["name"], k, got.get(k), v))
                    break
    check(mismatches == 0 and cases > 100,
          "conformance through /v1/check: %d cases, %d mismatches"
          % (cases, mismatches))
    print("conformance through /v1/check: %d cases, %d files" % (cases,
                                                                  len(files)))
    s.stop()


def estate_with(rule):
    doc = json.load(open(GATE_ESTATE))
    for r in doc:
        if r.get("name") == "stopen":
            r["properties"]["networkAcls"]["ipRules"] = [{"value": rule}]
    return doc


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


def test_reload(moat, tmp):
    estate = os.path.join(tmp, "reload.json")
    json.dump(estate_with("127.0.0.5"), open(estate, "w"))
    s = Server(moat, tmp, "--estate", estate, "--account-from", "path",
               "--poll", "1", *trust("X-Real-IP"), name="reload")
    allow = ["X-Real-IP: 127.0.0.5"]
    # A broken estate keeps the one in force, and says so.
    write_atomic(estate, "[{broken")
    check(wait_for(lambda: curl(s.url("/healthz"))[2]["reload_errors"] >= 1),
          "a broken file is noticed")
    st, h, b = curl(s.url("/healthz"))
    check(b["revision"] == 1 and b["last_reload_error"], "healthz reports "
          "the failed reload: %s" % b)
    check(curl(s.url("/v1/authz/stopen/c/b"), headers=allow)[0] == 200,
          "the previous estate stays in force")
    check("moat_estate_reload_errors_total 1" in curl(s.url("/metrics"))[2]
          and "moat_estate_reload_failing 1" in curl(s.url("/metrics"))[2],
          "metrics count the failed reload")
    # A changed file is picked up without a signal.
    write_atomic(estate, json.dumps(estate_with("127.0.0.6")))
    check(wait_for(lambda: s.revision() == 2), "a changed file reloads")
    check(curl(s.url("/v1/authz/stopen/c/b"), headers=allow)[0] == 403,
          "the new estate decides")
    check(curl(s.url("/healthz"))[2]["last_reload_error"] is None,
          "a good reload clears the error")
    s.stop()


def test_reload_under_load(moat, tmp):
    """Clients hammer /v1/authz while the estate flips between two versions:
    every answer must be whole and must match the revision it names (odd:
    127.0.0.5 admitted; even: not)."""
    estate = os.path.join(tmp, "flip.json")
    a = json.dumps(estate_with("127.0.0.5"))
    b = json.dumps(estate_with("127.0.0.6"))
    open(estate, "w").write(a)
    s = Server(moat, tmp, "--estate", estate, "--account-from", "path",
               "--poll", "0", *trust("X-Real-IP"), name="flip")
    stop = threading.Event()
    stats = {"ok": 0, "bad": 0, "errors": 0, "revisions": set()}
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
        while not stop.is_set():
            try:
                conn.request("GET", "/v1/authz/stopen/c/b",
                             headers={"X-Real-IP": "127.0.0.5"})
                r = conn.getresponse()
                r.read()
                rev = int(r.getheader("x-moat-estate-revision"))
                good = (r.status == 200) == (rev % 2 == 1) and \
                    r.status in (200, 403)
                with lock:
                    stats["ok" if good else "bad"] += 1
                    stats["revisions"].add(rev)
            except Exception as e:  # a failed request
                with lock:
                    stats["errors"] += 1
                    print("  client error:", e)
                conn = http.client.HTTPConnection("127.0.0.1", s.port,
                                                  timeout=5)
    threads = [threading.Thread(target=client) for _ in range(4)]
    wrk = None
    if shutil.which("wrk"):
        wrk = subprocess.Popen(
            ["wrk", "-t1", "-c16", "-d4s", "-H", "X-Real-IP: 127.0.0.5",
             s.url("/v1/authz/stopen/c/b")], stdout=subprocess.PIPE,
            text=True)
    for t in threads:
        t.start()
    flips = 20
    for i in range(flips):
        time.sleep(0.15)
        write_atomic(estate, b if i % 2 == 0 else a)
        s.signal(signal.SIGHUP)
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    check(wait_for(lambda: s.revision() == flips + 1), "every flip reloaded")
    check(stats["errors"] == 0 and stats["bad"] == 0 and stats["ok"] > 1000,
          "reload under load: %d answers, %d inconsistent, %d failed, %d "
          "revisions seen" % (stats["ok"], stats["bad"], stats["errors"],
                              len(stats["revisions"])))
    print("reload under load: %d answers over %d revisions, %d inconsistent, "
          "%d failed" % (stats["ok"], len(stats["revisions"]), stats["bad"],
                         stats["errors"]))
    if wrk:
        out = wrk.communicate()[0]
        check("Socket errors" not in out and "requests in" in out,
              "wrk saw no socket errors during the reloads:\n" + out)
    s.stop()


# --- slow clients, graceful shutdown ----------------------------------------------
def test_slow_and_shutdown(moat, tmp):
    s = Server(moat, tmp, "--estate", GATE_ESTATE, "--timeout", "1",
               "--shutdown-timeout", "5", name="slow")
    slow = socket.create_connection(("127.0.0.1", s.port))
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHo")
    check(curl(s.url("/healthz"))[0] == 200,
          "others are served while a client dawdles")
    slow.settimeout(5)
    t0 = time.time()
    try:
        data = slow.recv(1024)
    except socket.timeout:
        data = None
    check(data is not None and time.time() - t0 < 4.5,
          "a slow client is cut off after --timeout (%r)" % data)
    slow.close()
    # A request in flight when SIGTERM comes is answered.
    body = json.dumps({"resource": "stopen", "source": {"ip": "127.0.0.5"}})
    c = socket.create_connection(("127.0.0.1", s.port))
    c.sendall(("POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
               "\r\n" % len(body)).encode() + body[:10].encode())
    time.sleep(0.2)
    s.signal(signal.SIGTERM)
    time.sleep(0.3)
    c.sendall(body[10:].encode())
    c.settimeout(5)
    answer = b""
    try:
        while b'"decision"' not in answer:
            chunk = c.recv(4096)
            if not chunk:
                break
            answer += chunk
    except socket.timeout:
        pass
    check(answer.startswith(b"HTTP/1.1 200") and b'"allow"' in answer,
          "the request in flight at SIGTERM is answered (%r)" % answer[:60])
    c.close()
    rc = s.p.wait(10)
    check(rc == 0, "moat serve exits 0 after SIGTERM (%s)" % rc)
    check("finishing the requests in flight" in s.stderr(), "says so")
    try:
        socket.create_connection(("127.0.0.1", s.port), 0.5).close()
        check(False, "nothing listens after the shutdown")
    except OSError:
        check(True, "")


def test_usage(moat, tmp):
    def run(*args):
        return subprocess.run([moat, "serve"] + list(args),
                              capture_output=True, text=True)
    r = run("--help")
    check(r.returncode == 0 and "/v1/authz" in r.stdout, "serve --help")
    r = run()
    check(r.returncode == 2 and "no estate" in r.stderr, "no estate: 2")
    r = run("--estate", GATE_ESTATE, "--threads", "0")
    check(r.returncode == 2 and "--threads" in r.stderr, "bad number: 2")
    bad = os.path.join(tmp, "bad.json")
    open(bad, "w").write("[{")
    r = run("--estate", bad)
    check(r.returncode == 3 and "does not load" in r.stderr,
          "an estate that does not load: 3")
    port = free_port()
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", port))
    blocker.listen(1)
    r = run("--estate", GATE_ESTATE, "--listen", "127.0.0.1:%d" % port)
    blocker.close()
    check(r.returncode == 4 and "in use" in r.stderr,
          "a port in use: 4 (%s %s)" % (r.returncode, r.stderr.strip()))
    cfg = os.path.join(tmp, "serve.conf")
    port = free_port()
    open(cfg, "w").write("# moat serve settings\nestate %s\nlisten "
                         "127.0.0.1:%d\naccount-from path\nthreads 1\n"
                         "trust-header X-Real-IP\n" % (GATE_ESTATE, port))
    p = subprocess.Popen([moat, "serve", "--config", cfg],
                         stderr=subprocess.PIPE, text=True)
    ok = wait_for(lambda: curl("http://127.0.0.1:%d/healthz" % port)[0]
                  == 200, 10)
    st = curl("http://127.0.0.1:%d/v1/authz/stopen/c" % port,
              headers=["X-Real-IP: 127.0.0.5"])[0] if ok else 0
    p.send_signal(signal.SIGTERM)
    p.wait(10)
    check(ok and st == 200, "a configuration file carries the settings")
    open(cfg, "w").write("estate %s\nthreds 2\n" % GATE_ESTATE)
    r = run("--config", cfg)
    check(r.returncode == 2 and "serve.conf:2" in r.stderr and
          "threds" in r.stderr, "a bad configuration line: file and line")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("--shared", required=True)
    a = ap.parse_args()
    moat = os.path.abspath(a.moat)
    tmp = tempfile.mkdtemp(prefix="moat-serve-")
    try:
        for t in (test_usage, test_endpoints, test_vaults, test_envoy, test_nginx,
                  test_reload, test_reload_under_load,
                  test_slow_and_shutdown):
            t(moat, tmp)
        test_conformance(moat, tmp, a.shared)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("serve: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
