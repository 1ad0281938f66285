"""moat serve: a header that picks the source, the private endpoint
listener, the path, the method or the host of the request /v1/authz
decides is believed only when the operator said the proxy in front sets
it (--trust-header NAME); by default the source is the TCP peer and no
request comes through a private endpoint listener.

Before the fix moat believed every one of them from whoever sent it. nginx
auth_request passes the client's own headers to the subrequest unless the
configuration overrides each one, so behind the documented nginx block a
client that sent X-Moat-Local-Address picked the private endpoint path:
an account with publicNetworkAccess Disabled answered 200 and the backend
served the request. The documented block now sets or clears every header
moat may trust, and is run here as documented."""
import os
import subprocess

from seclib import (MOAT, Nginx, Serve, TOP, check, finish, free_port,
                    request_from, tmpdir, wait_port)

ESTATE = os.path.join(TOP, "tests", "e2e", "estate", "gate.json")
TOPOLOGY = os.path.join(TOP, "tests", "e2e", "topology.json.in")


def get(port, path, headers=(), source="127.0.0.1"):
    return request_from(source, port, "GET", path, headers)


def topology(tmp, pe_port):
    path = os.path.join(tmp, "topology.json")
    with open(TOPOLOGY) as f, open(path, "w") as out:
        out.write(f.read().replace("@PE_PORT@", str(pe_port)))
    return path


def untrusted_by_default(tmp):
    """No --trust-header: every one of these headers is the client's word
    and changes nothing."""
    pe = free_port()
    s = Serve("--estate", ESTATE, "--account-from", "path", "--topology",
              topology(tmp, pe), tmp=tmp)
    try:
        # 127.0.0.5 is stopen's IP rule; 127.0.0.1 is in none.
        check(get(s.port, "/v1/authz/stopen/c/b", source="127.0.0.5")[0] ==
              200, "the TCP peer is the source")
        for name, value in (("X-Real-IP", "127.0.0.5"),
                            ("X-Forwarded-For", "127.0.0.5")):
            st = get(s.port, "/v1/authz/stopen/c/b", [(name, value)])[0]
            check(st == 403, "untrusted %s does not pick the source (%s)"
                  % (name, st))
        st = get(s.port, "/v1/authz/stpriv/c/b",
                 [("X-Moat-Local-Address", "127.0.0.1:%d" % pe)],
                 source="127.0.0.5")[0]
        check(st == 403, "untrusted X-Moat-Local-Address does not pick the "
              "private endpoint path to a Disabled account (%s)" % st)
        st = get(s.port, "/v1/authz/stpriv/c/b",
                 [("X-Original-URI", "/stopen/c/b")], source="127.0.0.5")[0]
        check(st == 403, "untrusted X-Original-URI does not pick the "
              "account (%s)" % st)
    finally:
        s.stop()
    s = Serve("--estate", ESTATE, tmp=tmp)  # the account from the host
    try:
        for name in ("X-Original-Host", "X-Forwarded-Host"):
            st = get(s.port, "/v1/authz/c/b",
                     [("Host", "stpriv.blob.core.windows.net"),
                      (name, "stopen.blob.core.windows.net")],
                     source="127.0.0.5")[0]
            check(st == 403, "untrusted %s does not pick the account (%s)"
                  % (name, st))
        st = get(s.port, "/v1/authz/c/b",
                 [("Host", "stopen.blob.core.windows.net")],
                 source="127.0.0.5")[0]
        check(st == 200, "Host names the account (%s)" % st)
    finally:
        s.stop()


def trusted_when_configured(tmp):
    """--trust-header (flags and the configuration file) makes each one
    count; a name moat does not know is a usage error."""
    pe = free_port()
    conf = os.path.join(tmp, "trust.conf")
    with open(conf, "w") as f:
        f.write("trust-header x-moat-local-address\n")
    s = Serve("--estate", ESTATE, "--account-from", "path", "--topology",
              topology(tmp, pe), "--config", conf, "--trust-header",
              "X-Real-IP", tmp=tmp)
    try:
        check(get(s.port, "/v1/authz/stopen/c/b",
                  [("X-Real-IP", "127.0.0.5")])[0] == 200,
              "trusted X-Real-IP is the source")
        st = get(s.port, "/v1/authz/stopen/c/b", source="127.0.0.5")[0]
        check(st == 400, "a trusted source header that is missing is "
              "refused, not replaced by the peer (%s)" % st)
    finally:
        s.stop()
    s = Serve("--estate", ESTATE, "--account-from", "path", "--topology",
              topology(tmp, pe), "--trust-header", "X-Moat-Local-Address",
              tmp=tmp)
    try:
        st, h, _ = get(s.port, "/v1/authz/stpriv/c/b",
                       [("X-Moat-Local-Address", "127.0.0.1:%d" % pe)],
                       source="127.0.0.5")
        check(st == 200 and h.get("x-moat-category") == "ResPrivateEndpoint",
              "trusted X-Moat-Local-Address is the listener (%s)" % st)
    finally:
        s.stop()
    r = subprocess.run([MOAT, "serve", "--estate", ESTATE, "--trust-header",
                        "X-Client-IP"], capture_output=True, text=True)
    check(r.returncode == 2 and "X-Client-IP" in r.stderr,
          "an unknown --trust-header is a usage error (%s %r)"
          % (r.returncode, r.stderr.strip()))


# The nginx block of docs/serve.md, with the listener of a private endpoint
# beside the public one; moat serve started with the flags it documents.
NGINX = """
    upstream moat { server 127.0.0.1:%(moat)d; keepalive 8; }
    server {
        listen 127.0.0.1:%(public)d;
        set $moat_listener "";
        include %(dir)s/guarded.conf;
    }
    server {
        listen 127.0.0.1:%(pe)d;
        set $moat_listener "$server_addr:$server_port";
        include %(dir)s/guarded.conf;
    }
    server {
        listen 127.0.0.1:%(back)d;
        location / { return 200 "backend $request_uri\\n"; }
    }
"""
GUARDED = """
location / {
    auth_request /_moat;
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
    proxy_set_header X-Moat-Local-Address $moat_listener;
    proxy_set_header X-Forwarded-For "";
    proxy_set_header X-Forwarded-Host "";
}
"""


def behind_nginx(tmp):
    public, pe, back = free_port(), free_port(), free_port()
    s = Serve("--estate", ESTATE, "--account-from", "path", "--topology",
              topology(tmp, pe), "--trust-header", "X-Original-URI",
              "--trust-header", "X-Original-Method", "--trust-header",
              "X-Original-Host", "--trust-header", "X-Real-IP",
              "--trust-header", "X-Moat-Local-Address", tmp=tmp)
    d = tmpdir()
    ports = {"moat": s.port, "public": public, "pe": pe, "back": back,
             "dir": d}
    with open(os.path.join(d, "guarded.conf"), "w") as f:
        f.write(GUARDED % ports)
    n = Nginx(NGINX % ports, tmp=d)
    try:
        wait_port(public)
        st, _, body = get(public, "/stopen/c/b", source="127.0.0.5")
        check(st == 200 and body.startswith(b"backend"),
              "nginx: an allowed request reaches the backend (%s)" % st)
        forged = [("X-Moat-Local-Address", "127.0.0.1:%d" % pe),
                  ("X-Real-IP", "127.0.0.5"), ("X-Forwarded-For", "127.0.0.5"),
                  ("X-Original-URI", "/stopen/c/b")]
        st, _, body = get(public, "/stpriv/c/b", forged, source="127.0.0.9")
        check(st == 403 and b"backend" not in body,
              "nginx: a client's X-Moat-Local-Address, X-Real-IP, "
              "X-Forwarded-For and X-Original-URI change nothing (%s %r)"
              % (st, body[:60]))
        st, _, body = get(pe, "/stpriv/c/b", source="127.0.0.9")
        check(st == 200 and body.startswith(b"backend"),
              "nginx: the private endpoint listener reaches the Disabled "
              "account (%s)" % st)
        st, _, _ = get(public, "/stpriv/c/b", source="127.0.0.5")
        check(st == 403, "nginx: the public listener does not (%s)" % st)
    finally:
        n.stop()
        s.stop()


def main():
    tmp = tmpdir()
    untrusted_by_default(tmp)
    trusted_when_configured(tmp)
    behind_nginx(tmp)
    finish("serve trusted headers")


if __name__ == "__main__":
    main()
