"""The gate maps the methods Azure serves and refuses the rest.

Every method that was not DELETE, PUT, POST, PATCH or MERGE was mapped to
"read", so COPY, MOVE, MKCOL, LOCK or any token at all on
/stnwshipments/$logs/blob1 passed the Logging exception (which excepts
reads of $logs) and reached the upstream. Now GET, HEAD and OPTIONS read,
PUT, POST, PATCH and MERGE write, DELETE deletes (Azure Storage's and Key
Vault's REST references), and any other method, or one written in
another case (methods are case-sensitive, RFC 9110 section 9.1), is
refused. Through nginx and through moat serve's /v1/authz
(X-Original-Method)."""
import shutil

from gatelib import EXAMPLES, Gate, get, refused
from seclib import Serve, check, finish, request, tmpdir

LOGS = "/stnwshipments/$logs/blob1"
UNSERVED = ["COPY", "MOVE", "MKCOL", "LOCK", "UNLOCK", "PROPFIND",
            "PROPPATCH", "SEARCH", "REPORT", "PURGE", "FOO", "GETX", "GET_",
            "CONNECT"]
READS = ["GET", "HEAD", "OPTIONS"]
WRITES = ["PUT", "POST", "PATCH", "MERGE", "DELETE"]


def through_nginx():
    g = Gate([{"account_from": "path", "uri_part": True}])
    port = g.ports[0]
    try:
        for m in UNSERVED:
            st, body = get(port, LOGS, method=m)
            check(st != 200 and (m == "CONNECT" or refused(st, body)),
                  "%s %s was not refused (%d, upstream got %r)"
                  % (m, LOGS, st, body))
        st, body = get(port, LOGS, method="get")
        check(st != 200, "nginx let a lower-case method through (%d)" % st)
        for m in READS:
            st, body = get(port, LOGS, method=m)
            check(st == 200, "%s of $logs should pass with Logging: %d"
                  % (m, st))
        for m in WRITES:
            st, body = get(port, LOGS, method=m)
            check(st == 403, "%s of $logs is not a read: %d" % (m, st))
            st, body = get(port, "/stnwpublicassets/c/b", method=m)
            check(st == 200, "%s on an open account passes: %d" % (m, st))
    finally:
        g.stop()


def through_serve():
    # As behind nginx's auth_request (docs/serve.md): the proxy's headers
    # are trusted because the operator said so.
    s = Serve("--estate", EXAMPLES, "--account-from", "path", "--poll", "0",
              "--trust-header", "X-Original-URI",
              "--trust-header", "X-Original-Method",
              "--trust-header", "X-Real-IP", tmp=tmpdir())
    try:
        for m in UNSERVED + ["get", "Get", "delete"]:
            st, hdrs, _ = request(s.port, "GET", "/v1/authz", [
                ("X-Original-URI", LOGS), ("X-Original-Method", m),
                ("X-Real-IP", "127.0.0.1")])
            check(st == 403 and hdrs.get("x-moat-decision") == "deny",
                  "moat serve: %s %s was not refused (%d)" % (m, LOGS, st))
        for m in READS:
            st, hdrs, _ = request(s.port, "GET", "/v1/authz", [
                ("X-Original-URI", LOGS), ("X-Original-Method", m),
                ("X-Real-IP", "127.0.0.1")])
            check(st == 200, "moat serve: %s of $logs passes: %d" % (m, st))
    finally:
        s.stop()
        shutil.rmtree(s.tmp, ignore_errors=True)


through_nginx()
through_serve()
finish("gate methods")
