"""seclib - what the security tests share: checks that count, free ports,
moat serve and nginx started and stopped cleanly, and raw HTTP (a test of
request smuggling or of an absolute-form request line must write the bytes
itself: no client library sends them)."""
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MOAT = os.environ.get("MOAT", os.path.join(TOP, "build", "moat"))
MODULE = os.environ.get("MODULE", os.path.join(TOP, "build",
                                               "ngx_http_moat_module.so"))
# Under ASan: h2o's own per-thread caches are not moat's leaks.
os.environ.setdefault("LSAN_OPTIONS", "suppressions=%s:print_suppressions=0"
                      % os.path.join(TOP, "tests", "serve", "lsan.supp"))

_passed = _failed = 0


def check(cond, what):
    """Counts one check; prints what failed."""
    global _passed, _failed
    if cond:
        _passed += 1
    else:
        _failed += 1
        print("FAIL: " + what)
    return cond


def finish(name):
    """The last line the runner shows; the exit status says if all passed."""
    print("%s: %d checks passed, %d failed" % (name, _passed, _failed))
    sys.exit(1 if _failed or not _passed else 0)


def tmpdir():
    return tempfile.mkdtemp(prefix="moat-sec-")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc=None, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            if proc is not None and proc.poll() is not None:
                return False
            time.sleep(0.05)
    return False


class Serve:
    """moat serve on a free loopback port; stop() checks a clean exit (under
    ASan a leak or a fault shows there)."""

    def __init__(self, *args, tmp=None, port=None):
        self.tmp = tmp or tmpdir()
        self.port = port or free_port()
        self.err = open(os.path.join(self.tmp, "serve-%d.err" % self.port),
                        "w+")
        self.p = subprocess.Popen(
            [MOAT, "serve", "--listen", "127.0.0.1:%d" % self.port,
             "--threads", "1"] + list(args),
            stdout=subprocess.DEVNULL, stderr=self.err)
        if not wait_port(self.port, self.p):
            raise SystemExit("moat serve did not start:\n" + self.stderr())

    def stderr(self):
        self.err.flush()
        self.err.seek(0)
        return self.err.read()

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = -9
        check(rc == 0, "moat serve stopped cleanly (exit %s):\n%s"
              % (rc, self.stderr()[-2000:]))
        return rc


class Nginx:
    """nginx from Debian with a configuration's http block body; %(dir)s in
    it is the prefix directory. module=True loads moat's module."""

    def __init__(self, http_body, module=False, tmp=None):
        self.dir = tmp or tmpdir()
        self.conf = os.path.join(self.dir, "nginx.conf")
        head = ("load_module %s;\n" % MODULE) if module else ""
        with open(self.conf, "w") as f:
            f.write(head + """
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log info;
worker_processes 1;
events { worker_connections 128; }
http {
    access_log off;
    client_body_temp_path %(dir)s/body;
    proxy_temp_path %(dir)s/proxy;
""" % {"dir": self.dir} + http_body.replace("%(dir)s", self.dir) + "\n}\n")
        r = subprocess.run(["nginx", "-p", self.dir, "-c", self.conf],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("nginx does not start: " + r.stderr)

    def reload(self):
        return subprocess.run(["nginx", "-p", self.dir, "-c", self.conf,
                               "-s", "reload"], capture_output=True,
                              text=True)

    def error_log(self):
        try:
            return open(os.path.join(self.dir, "error.log")).read()
        except OSError:
            return ""

    def stop(self):
        subprocess.run(["nginx", "-p", self.dir, "-c", self.conf, "-s",
                        "stop"], capture_output=True)


def raw(port, data, timeout=5.0):
    """Writes data (bytes) on one connection and reads until the peer closes
    or goes quiet; every byte the server sent."""
    s = socket.create_connection(("127.0.0.1", port), timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    s.close()
    return out


def statuses(response_bytes):
    """The status codes of every HTTP response in a byte stream."""
    out = []
    for line in response_bytes.split(b"\r\n"):
        if line.startswith(b"HTTP/1.") and len(line.split()) >= 2:
            out.append(int(line.split()[1]))
    return out


def request(port, method, path, headers=(), body=None):
    """(status, {lower-cased header: value}, body bytes) over http.client;
    headers is a list of (name, value) so a name may repeat."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    has_host = any(n.lower() == "host" for n, _ in headers)
    if not has_host:
        c.putheader("Host", "127.0.0.1")
    for n, v in headers:
        c.putheader(n, v)
    if body is not None:
        c.putheader("Content-Length", str(len(body)))
    c.endheaders(body)
    r = c.getresponse()
    data = r.read()
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, hdrs, data


def responses(data):
    """Every HTTP/1.1 response in a byte stream, framed by Content-Length
    (moat serve always sends one): a list of (status, {lower-cased header:
    value}, body bytes)."""
    out = []
    while data.startswith(b"HTTP/1."):
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("latin-1").split("\r\n")
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        out.append((int(lines[0].split()[1]), hdrs, rest[:n]))
        data = rest[n:]
    return out


def closed_after(port, data, timeout=5.0):
    """Writes data on one connection; (every byte the server sent, whether
    it closed the connection by itself before timeout)."""
    s = socket.create_connection(("127.0.0.1", port), timeout)
    s.sendall(data)
    out, closed = b"", False
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            out += chunk
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    s.close()
    return out, closed


def request_from(source, port, method, path, headers=(), body=None):
    """request(), from a chosen loopback address (127.0.0.0/8): the TCP
    peer moat sees. (request() builds its connection by name; for this one
    call the name binds it to source. Not for threads.)"""
    plain = http.client.HTTPConnection

    def bound(*args, **kwargs):
        return plain(*args, source_address=(source, 0), **kwargs)
    http.client.HTTPConnection = bound
    try:
        return request(port, method, path, headers, body)
    finally:
        http.client.HTTPConnection = plain
