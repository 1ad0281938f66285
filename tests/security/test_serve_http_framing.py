"""moat serve: a request whose body length is ambiguous is refused with 400
and the connection is closed, so no byte after it can be read as a request
of its own (request smuggling: RFC 9112 section 6.3 and 11.2).

Before the fix h2o (2.2.5) took the first of two Content-Length lines, and
Transfer-Encoding over Content-Length, moat answered, and the connection
stayed open: the bytes a front end holding the other length would count as
body were served as a second request (here a GET /healthz that must never
be answered)."""
import os

from seclib import Serve, check, closed_after, finish, responses, TOP

ESTATE = os.path.join(TOP, "tests", "e2e", "estate", "gate.json")
SMUGGLED = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
BODY = b'{"resource": "stopen", "source": {"ip": "127.0.0.9"}}'

CASES = {
    "two Content-Length lines that disagree":
        b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n" %
        (len(BODY), len(BODY) + len(SMUGGLED)) + BODY + SMUGGLED,
    "two Content-Length lines that agree":
        b"Content-Length: %d\r\nContent-Length: %d\r\n\r\n" %
        (len(BODY), len(BODY)) + BODY + SMUGGLED,
    "Content-Length and Transfer-Encoding: chunked":
        b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n" %
        (5 + len(SMUGGLED)) + b"0\r\n\r\n" + SMUGGLED,
    "Transfer-Encoding: chunked and Content-Length":
        b"Transfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n" %
        (5 + len(SMUGGLED)) + b"0\r\n\r\n" + SMUGGLED,
    "two Transfer-Encoding lines":
        b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n" + SMUGGLED,
    "a Content-Length list":
        b"Content-Length: %d, %d\r\n\r\n" % (len(BODY), len(BODY)) + BODY +
        SMUGGLED,
}


def main():
    s = Serve("--estate", ESTATE, "--account-from", "path")
    try:
        for path in (b"/v1/check", b"/v1/authz/stopen/c/b"):
            for name, rest in CASES.items():
                data, closed = closed_after(
                    s.port, b"POST " + path + b" HTTP/1.1\r\nHost: x\r\n" +
                    rest, timeout=3)
                got = responses(data)
                check(len(got) == 1 and got[0][0] == 400,
                      "%s %s: one 400, not %s" %
                      (path.decode(), name, [r[0] for r in got]))
                check(closed and got and
                      got[0][1].get("connection") == "close",
                      "%s %s: the connection is closed after it" %
                      (path.decode(), name))
        # A request that is not ambiguous keeps its connection.
        data, closed = closed_after(
            s.port, b"POST /v1/check HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY + SMUGGLED,
            timeout=1)
        check([r[0] for r in responses(data)] == [200, 200] and not closed,
              "a well-framed request and the next one on the same "
              "connection are both answered")
    finally:
        s.stop()
    finish("serve http framing")


if __name__ == "__main__":
    main()
