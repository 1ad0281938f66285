"""The gate decides on the host nginx uses, and refuses two hosts.

An absolute-form request line (GET http://host/path HTTP/1.1) names a host
of its own; nginx then ignores the Host header (RFC 9112 section 3.2.2)
and $host is the request line's. The module read the Host header, so with
proxy_set_header Host $host, GET http://stnwshipments.blob.core.windows.net
/c/b with Host: stnwpublicassets.blob.core.windows.net was decided for the
open stnwpublicassets and forwarded to stnwshipments. Now moat decides on
nginx's $host (r->headers_in.server) and refuses a request whose request
line and Host header name different hosts, whatever the proxy
configuration forwards.

Estate: examples/estate (stnwpublicassets admits everyone; stnwshipments
denies 127.0.0.1 but excepts reads of $logs)."""
from gatelib import Gate, refused, send
from seclib import check, finish

SHIPMENTS = "stnwshipments.blob.core.windows.net"
PUBLIC = "stnwpublicassets.blob.core.windows.net"


def absolute(port, host_in_line, host_header, path="/c/b", version="1.1"):
    lines = ["GET http://%s%s HTTP/%s" % (host_in_line, path, version)]
    if host_header is not None:
        lines.append("Host: " + host_header)
    lines.append("Connection: close")
    return send(port, ("\r\n".join(lines) + "\r\n\r\n").encode())


def upstream_host(body):
    """The echo upstream's "METHOD URI HOST" line: the host."""
    parts = body.decode("latin-1").split()
    return parts[2] if len(parts) > 2 else None


g = Gate([{"account_from": "host", "uri_part": True, "host": "$host"},
          {"account_from": "host", "uri_part": False, "host": "$host"},
          {"account_from": "host", "uri_part": True, "host": "$http_host"},
          {"account_from": "path", "uri_part": True, "host": "$host"}])
try:
    for port, how in zip(g.ports[:3], ("$host", "$host, raw URI",
                                       "$http_host")):
        st, body = absolute(port, SHIPMENTS, PUBLIC)
        check(refused(st, body),
              "Host %s: request line %s, Host %s was not refused (%d, "
              "upstream got %r)" % (how, SHIPMENTS, PUBLIC, st, body))
        st, body = absolute(port, PUBLIC, SHIPMENTS)
        check(refused(st, body), "Host %s: the reverse was not refused (%d)"
              % (how, st))
        # One host, written differently (case, port, a trailing dot): the
        # same host for nginx, so for moat.
        st, body = absolute(port, "STNWpublicassets.blob.core.windows.net:80",
                            PUBLIC + ".")
        check(st == 200, "Host %s: the same host written twice should pass, "
              "got %d %r" % (how, st, body))
        st, body = absolute(port, SHIPMENTS, SHIPMENTS)
        check(refused(st, body), "Host %s: a plain deny still denies" % how)
    # Decided on $host: an absolute-form HTTP/1.0 request without a Host
    # header is for the request line's host.
    st, body = absolute(g.ports[0], SHIPMENTS, None, "/$logs/b", "1.0")
    check(st == 200 and upstream_host(body) == SHIPMENTS,
          "HTTP/1.0 absolute form: decided on the request line's host, "
          "got %d %r" % (st, body))
    st, body = absolute(g.ports[0], SHIPMENTS, None, "/c/b", "1.0")
    check(refused(st, body), "HTTP/1.0 absolute form: a deny denies")
    # Path style reads no account from the host; two hosts still refuse.
    st, body = absolute(g.ports[3], SHIPMENTS, PUBLIC,
                        "/stnwpublicassets/c/b")
    check(refused(st, body), "path style: two hosts were not refused (%d)"
          % st)
    st, body = absolute(g.ports[3], PUBLIC, PUBLIC, "/stnwpublicassets/c/b")
    check(st == 200, "path style: one host passes (%d)" % st)
    check("request line" in g.nginx.error_log(),
          "the error log says the request line and Host disagree")
finally:
    g.stop()
finish("gate host: absolute form")
