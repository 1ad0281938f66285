"""moat serve: an HTTP/1.1 request without a Host line is refused with 400
("A server MUST respond with a 400 (Bad Request) status code to any
HTTP/1.1 request message that lacks a Host header field", RFC 9112
section 3.2). HTTP/1.0 may omit Host, and is answered.

Before the fix such a request was answered (200) like any other: a front
end that routes by Host and moat could then disagree on which account a
request names."""
import os

from seclib import Serve, check, closed_after, finish, responses, TOP

ESTATE = os.path.join(TOP, "tests", "e2e", "estate", "gate.json")
BODY = b'{"resource": "stopen", "source": {"ip": "127.0.0.9"}}'


def ask(port, version, host):
    head = b"POST /v1/check " + version + b"\r\n"
    if host is not None:
        head += b"Host: " + host + b"\r\n"
    data, _ = closed_after(
        port, head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" %
        len(BODY) + BODY, timeout=3)
    return [r[0] for r in responses(data)]


def main():
    s = Serve("--estate", ESTATE, "--account-from", "path")
    try:
        got = ask(s.port, b"HTTP/1.1", None)
        check(got == [400], "HTTP/1.1 without Host: 400, not %s" % got)
        got = ask(s.port, b"HTTP/1.1", b"x")
        check(got == [200], "HTTP/1.1 with Host: 200, not %s" % got)
        got = ask(s.port, b"HTTP/1.0", None)
        check(got == [200], "HTTP/1.0 without Host: 200, not %s" % got)
    finally:
        s.stop()
    finish("serve HTTP/1.1 needs Host")


if __name__ == "__main__":
    main()
