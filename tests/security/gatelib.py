"""gatelib - what the gate's security tests share (seclib has the rest):
real nginx with moat's module in front of an echo upstream, a second
server of the same nginx that answers every request with what it received
("$request_method $request_uri $http_host"), so that a test shows what the
upstream actually got for a request moat admitted; and raw HTTP from a
chosen loopback source address (a test of an absolute-form request line or
of an odd method must write the bytes itself)."""
import os
import shutil
import socket
import time

from seclib import TOP, Nginx, free_port, wait_port

EXAMPLES = os.path.join(TOP, "examples", "estate")

ECHO = """
    server {
        listen 127.0.0.1:%(port)d;
        location / { return 200 "$request_method $request_uri $http_host\\n"; }
    }
"""

GATE = """
    server {
        listen 127.0.0.1:%(port)d;
        moat on;
        moat_estate %(estate)s;
        moat_account_from %(account_from)s;
        location / {
            proxy_pass http://127.0.0.1:%(upstream)d%(uri_part)s;
            proxy_set_header Host %(host)s;
        }
    }
"""


class Gate:
    """One nginx: the echo upstream and a gate server per entry of kinds,
    each a dict with account_from ("path" or "host"), uri_part (proxy_pass
    with a URI part: the upstream gets nginx's normalised $uri; without:
    the raw request URI) and host (what proxy_set_header Host sends).
    self.ports[i] is kinds[i]'s port."""

    def __init__(self, kinds, estate=EXAMPLES, http_extra="", tmp=None):
        self.upstream = free_port()
        body = http_extra + ECHO % {"port": self.upstream}
        self.ports = []
        for k in kinds:
            port = free_port()
            self.ports.append(port)
            body += GATE % {
                "port": port, "estate": estate,
                "account_from": k.get("account_from", "path"),
                "upstream": self.upstream,
                "uri_part": "/" if k.get("uri_part", True) else "",
                "host": k.get("host", "$host")}
        self.nginx = Nginx(body, module=True, tmp=tmp)
        for p in [self.upstream] + self.ports:
            if not wait_port(p):
                raise SystemExit("nginx does not listen on %d:\n%s"
                                 % (p, self.nginx.error_log()[-2000:]))

    def stop(self):
        """Stops nginx and, once it has exited, removes its directory."""
        self.nginx.stop()
        pid = os.path.join(self.nginx.dir, "nginx.pid")
        deadline = time.time() + 10
        while os.path.exists(pid) and time.time() < deadline:
            time.sleep(0.05)
        shutil.rmtree(self.nginx.dir, ignore_errors=True)


def send(port, data, source="127.0.0.1", timeout=5.0):
    """Writes data (bytes, a whole request with Connection: close) from
    source and reads the answer: (status, body bytes); status 0 when the
    server closed without one."""
    with socket.create_connection(("127.0.0.1", port), timeout,
                                  source_address=(source, 0)) as s:
        s.sendall(data)
        with s.makefile("rb") as f:
            out = f.read()
    head, _, body = out.partition(b"\r\n\r\n")
    parts = head.split(b"\r\n", 1)[0].split()
    status = int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0
    return status, body


def get(port, target, host="127.0.0.1", method="GET", source="127.0.0.1",
        headers=()):
    """A request line with target as written (no client normalises it)."""
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: " + host,
             "Connection: close"] + list(headers)
    return send(port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"),
                source)


def refused(status, body):
    """moat's refusal: Azure's 403, and the upstream never saw it."""
    return status == 403 and b"AuthorizationFailure" in body
