"""The gate decides on the path the upstream receives.

nginx forwards its normalised $uri (percent-decoded, dot segments resolved,
slashes merged) when proxy_pass has a URI part, and the raw request URI
when it has none. The module used to decide on the raw URI, so
GET /stnwpublicassets/../stnwshipments/c/b was decided for the open
stnwpublicassets and the upstream received /stnwshipments/c/b; and
/stnwshipments/$logs/../manifests/secret.csv passed the Logging exception
and reached /stnwshipments/manifests/secret.csv. Now moat decides on
nginx's $uri and refuses what an upstream could read differently: dot
segments in any encoding, encoded slashes, backslashes, empty segments,
fragments, double encodings. moat serve's /v1/authz, which gets nginx's
raw $request_uri in X-Original-URI, refuses the same.

Estate: examples/estate (stnwpublicassets admits everyone; stnwshipments
denies 127.0.0.1 but excepts reads of $logs with bypass Logging)."""
import shutil

from gatelib import EXAMPLES, Gate, get, refused
from seclib import Serve, check, finish, request, tmpdir

SHIPMENTS = "stnwshipments.blob.core.windows.net"
PUBLIC = "stnwpublicassets.blob.core.windows.net"

# Path style (/<account>/...): each would reach stnwshipments' data.
PATH_ATTACKS = [
    "/stnwpublicassets/../stnwshipments/c/b",
    "/stnwshipments/$logs/../manifests/secret.csv",
    "/stnwpublicassets/%2E%2E/stnwshipments/c/b",
    "/stnwpublicassets/%2e./stnwshipments/c/b",
    "/stnwpublicassets/..%2Fstnwshipments/c/b",
    "/stnwpublicassets%2F..%2Fstnwshipments/c/b",
    "/stnwshipments/%24logs/.%2E/manifests/secret.csv",
    "/stnwshipments/$logs/./../manifests/secret.csv",
    "/stnwshipments/$logs/..",
    # What only some upstreams resolve: a backslash as a slash (IIS,
    # Windows), a path parameter after a dot segment (Tomcat), a second
    # percent-decoding, an empty segment nginx merges (merge_slashes) but
    # a raw-URI upstream keeps, a fragment nginx cuts the path at.
    "/stnwshipments/$logs/..\\..\\manifests/secret.csv",
    "/stnwshipments/$logs/%5C..%5Cmanifests/secret.csv",
    "/stnwshipments/$logs/..;/manifests/secret.csv",
    "/stnwshipments/$logs/%252E%252E/manifests/secret.csv",
    "/stnwshipments/$logs/%252F..%252Fmanifests/secret.csv",
    "/stnwshipments//$logs/blob1",
    "/stnwpublicassets/c#/../../stnwshipments/c/b",
]
# Host style (<account>.blob.core.windows.net): the same, one segment less.
HOST_ATTACKS = [
    "/$logs/../manifests/secret.csv",
    "/$logs/%2E%2E/manifests/secret.csv",
    "/%24logs/..%2Fmanifests/secret.csv",
    "/$logs/..\\manifests/secret.csv",
    "//$logs/blob1",
]
# Requests that must still pass, and reach the upstream as sent.
PATH_GOOD = [
    ("/stnwpublicassets/c/b", "/stnwpublicassets/c/b"),
    ("/stnwpublicassets/c/a.b/..x/.../b.", "/stnwpublicassets/c/a.b/..x/.../b."),
    ("/stnwpublicassets/c/b?comp=list&p=a/../b", None),
    ("/stnwpublicassets/", "/stnwpublicassets/"),
    ("/stnwshipments/$logs/blob1", "/stnwshipments/$logs/blob1"),
    ("/stnwshipments/%24logs/2026/blob1", "/stnwshipments/$logs/2026/blob1"),
]


def upstream_got(body):
    """The echo upstream's "METHOD URI HOST" line: the URI."""
    parts = body.decode("latin-1").split(" ")
    return parts[1] if len(parts) > 2 else None


def through_nginx():
    g = Gate([{"account_from": "path", "uri_part": True},
              {"account_from": "path", "uri_part": False},
              {"account_from": "host", "uri_part": True},
              {"account_from": "host", "uri_part": False}])
    try:
        for port, how in zip(g.ports[:2], ("normalised", "raw")):
            for target in PATH_ATTACKS:
                st, body = get(port, target)
                check(refused(st, body) or st == 400,
                      "path style, upstream given the %s URI: %s was not "
                      "refused (%d, upstream got %r)" % (how, target, st, body))
            for target, want in PATH_GOOD:
                st, body = get(port, target)
                got = upstream_got(body)
                check(st == 200 and (want is None or how == "raw" or
                                     got == want),
                      "path style (%s): %s should pass as %s, got %d %r"
                      % (how, target, want, st, body))
            st, body = get(port, "/stnwshipments/manifests/secret.csv")
            check(refused(st, body), "a plain deny still denies (%s)" % how)
        for port, how in zip(g.ports[2:], ("normalised", "raw")):
            for target in HOST_ATTACKS:
                st, body = get(port, target, host=SHIPMENTS)
                check(refused(st, body) or st == 400,
                      "host style (%s): %s was not refused (%d, upstream got "
                      "%r)" % (how, target, st, body))
            st, body = get(port, "/$logs/blob1", host=SHIPMENTS)
            check(st == 200, "host style (%s): $logs still passes: %d %r"
                  % (how, st, body))
            st, body = get(port, "/c/b", host=PUBLIC)
            check(st == 200, "host style (%s): the open account passes: %d"
                  % (how, st))
        check(g.nginx.error_log().count("moat: denied (fail closed)") > 0,
              "the error log says why the module refused")
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
        for target in PATH_ATTACKS:
            st, hdrs, _ = request(s.port, "GET", "/v1/authz", [
                ("X-Original-URI", target), ("X-Real-IP", "127.0.0.1")])
            check(st == 403 and hdrs.get("x-moat-decision") == "deny",
                  "moat serve: %s was not refused (%d)" % (target, st))
        for target, _ in PATH_GOOD:
            st, hdrs, _ = request(s.port, "GET", "/v1/authz", [
                ("X-Original-URI", target), ("X-Real-IP", "127.0.0.1")])
            check(st == 200, "moat serve: %s should pass, got %d %s"
                  % (target, st, hdrs.get("x-moat-error", "")))
    finally:
        s.stop()
        shutil.rmtree(s.tmp, ignore_errors=True)


through_nginx()
through_serve()
finish("gate path normalisation")
