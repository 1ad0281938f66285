"""moat serve: several lines of one header are one list (RFC 9110 section
5.3), the client is the entry the trusted proxies appended (--forwarded-hops,
counted from the right of the whole list), and a header that must say one
thing but says two is refused (400, JSON error), never read one way by
moat and another by the backend.

Before the fix moat took the last entry of the *first* X-Forwarded-For
line: a proxy that appends a line of its own (HAProxy's option forwardfor)
left the client's forged line first, and two lines 127.0.0.5 then
127.0.0.9 were decided as 127.0.0.5 (200). Two X-Real-IP lines were read
as the first, two Host lines as the last (h2o), two X-Original-URI lines as
the first."""
import json
import os

from seclib import Serve, TOP, check, finish, request_from, tmpdir

ESTATE = os.path.join(TOP, "tests", "e2e", "estate", "gate.json")


def get(port, path, headers):
    return request_from("127.0.0.1", port, "GET", path, headers)


def refused(port, path, headers, what):
    st, h, body = get(port, path, headers)
    try:
        err = json.loads(body).get("error", "")
    except ValueError:
        err = ""
    check(st == 400 and err and h.get("x-moat-decision") == "deny",
          "%s: 400 with a JSON error, not %s %r" % (what, st, body[:80]))


def forwarded_for(tmp):
    s = Serve("--estate", ESTATE, "--account-from", "path", "--trust-header",
              "X-Forwarded-For", tmp=tmp)
    p = "/v1/authz/stopen/c/b"
    try:
        # 127.0.0.5 is stopen's IP rule. The proxy appended the last entry.
        st = get(s.port, p, [("X-Forwarded-For", "127.0.0.5"),
                             ("X-Forwarded-For", "127.0.0.9")])[0]
        check(st == 403, "two lines: the proxy's own line decides, not the "
              "client's first one (%s)" % st)
        st = get(s.port, p, [("X-Forwarded-For", "127.0.0.9"),
                             ("X-Forwarded-For", "127.0.0.5")])[0]
        check(st == 200, "two lines: the last entry of the last line (%s)"
              % st)
        st = get(s.port, p, [("X-Forwarded-For", "127.0.0.5, 127.0.0.9, ,")])[0]
        check(st == 403, "empty list elements are no entry (%s)" % st)
        refused(s.port, p, [("X-Forwarded-For", " , ")],
                "an X-Forwarded-For with no entry")
    finally:
        s.stop()
    s = Serve("--estate", ESTATE, "--account-from", "path", "--trust-header",
              "X-Forwarded-For", "--forwarded-hops", "2", tmp=tmp)
    try:
        st = get(s.port, p, [("X-Forwarded-For", "127.0.0.9, 127.0.0.5"),
                             ("X-Forwarded-For", "10.0.0.1")])[0]
        check(st == 200, "two hops: the second entry from the right, across "
              "lines (%s)" % st)
        st = get(s.port, p, [("X-Forwarded-For", "127.0.0.5, 127.0.0.9"),
                             ("X-Forwarded-For", "10.0.0.1")])[0]
        check(st == 403, "two hops: not the client's own entries (%s)" % st)
        refused(s.port, p, [("X-Forwarded-For", "127.0.0.5")],
                "fewer X-Forwarded-For entries than --forwarded-hops")
    finally:
        s.stop()


def single_valued(tmp):
    s = Serve("--estate", ESTATE, "--account-from", "path",
              "--trust-header", "X-Real-IP", "--trust-header",
              "X-Original-URI", "--trust-header", "X-Original-Method",
              "--trust-header", "X-Original-Host", "--trust-header",
              "X-Forwarded-Host", "--trust-header", "X-Moat-Local-Address",
              tmp=tmp)
    p = "/v1/authz/stopen/c/b"
    try:
        ok = [("X-Real-IP", "127.0.0.5")]
        check(get(s.port, p, ok)[0] == 200, "one X-Real-IP line decides")
        for name, a, b in (("X-Real-IP", "127.0.0.5", "127.0.0.9"),
                           ("X-Original-URI", "/stopen/c/b", "/stpriv/c/b"),
                           ("X-Original-Method", "GET", "PUT"),
                           ("X-Original-Host", "a.example", "b.example"),
                           ("X-Forwarded-Host", "a.example", "b.example"),
                           ("X-Moat-Local-Address", "127.0.0.1:1",
                            "127.0.0.1:2"),
                           ("Authorization", "Bearer a", "SharedKey b:c")):
            extra = [] if name == "X-Real-IP" else ok
            refused(s.port, p, extra + [(name, a), (name, b)],
                    "two %s lines" % name)
        refused(s.port, p, ok + [("Host", "stopen.blob.core.windows.net"),
                                 ("Host", "stpriv.blob.core.windows.net")],
                "two Host lines")
    finally:
        s.stop()


def main():
    tmp = tmpdir()
    forwarded_for(tmp)
    single_valued(tmp)
    finish("serve header lists")


if __name__ == "__main__":
    main()
