/*
** serve_headers.c - what the request's header lines say, whether they say
** it one way only, and which of them moat believes.
**
** Framing. A request whose body length two parsers could read differently
** is where request smuggling starts (RFC 9112 section 11.2): a front end
** that counts one length and moat (h2o) another disagree on where the next
** request begins. h2o 2.2.5 takes the first of several Content-Length lines
** and lets Transfer-Encoding win over Content-Length, and keeps the
** connection open; RFC 9112 section 6.3 says a server may reject both
** together and "MUST close the connection after responding to such a
** request". moat refuses them all with 400 and closes. So too two Host
** lines (RFC 9112 section 3.2: "MUST respond with a 400") and an HTTP/2
** :authority that names another host than a Host line (RFC 9113 section
** 8.3.1: malformed).
**
** Trust. /v1/authz decides the request a proxy in front describes. A
** header that picks the source, the listener, the path, the method or the
** host is the proxy's word only if the proxy sets it on every request:
** nginx's auth_request passes every client header to the subrequest unless
** the configuration overrides it (proxy_pass_request_headers is on by
** default), so a header the configuration does not set is the client's
** word. Those headers are read only when the operator names them
** (--trust-header); otherwise the source is the TCP peer, the method and
** path are the request's own (Envoy's ext_authz forwards the original
** method and the path under path_prefix), the host is Host (or
** :authority), and no request came through a private endpoint listener.
** Authorization is always read: it is the client's own credential, checked
** on its merits (a bearer token's signature).
**
** Lists. Several lines of one header are one list, in order (RFC 9110
** section 5.3), and empty elements are no element (section 5.6.1): a proxy
** that appends a line of its own (HAProxy's option forwardfor) leaves the
** client's lines before it. The client's address is the entry the trusted
** proxies appended: --forwarded-hops from the right of X-Forwarded-For (1,
** the default: the proxy right in front). A header that must name one
** thing (X-Real-IP, the X-Original-* ones, X-Forwarded-Host,
** X-Moat-Local-Address, Authorization, Host) and has two lines is refused:
** moat would read one, the backend perhaps the other.
*/
#include "serve.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const srv_header *srv_header_find(const srv_request *rq, const char *name,
                                  size_t *count)
{
    size_t n = strlen(name), seen = 0;
    const srv_header *first = NULL;
    for (size_t i = 0; i < rq->n_headers; i++) {
        const srv_header *h = &rq->headers[i];
        if (h->name_len == n && strncasecmp(h->name, name, n) == 0) {
            if (first == NULL)
                first = h;
            seen++;
        }
    }
    if (count)
        *count = seen;
    return first;
}

static size_t lines(const srv_request *rq, const char *name)
{
    size_t n;
    srv_header_find(rq, name, &n);
    return n;
}

/* a and b name the same host (case-insensitive, RFC 9110 section 4.2.3). */
static int same_host(const srv_header *a, const srv_header *b)
{
    return a->value_len == b->value_len &&
           strncasecmp(a->value, b->value, a->value_len) == 0;
}

const char *srv_head_problem(const srv_request *rq)
{
    size_t lengths = lines(rq, "content-length");
    size_t codings = lines(rq, "transfer-encoding");
    if (lengths > 1)
        return "more than one Content-Length line: the body's length is ambiguous (RFC 9112 section 6.3)";
    if (lengths && codings)
        return "both Content-Length and Transfer-Encoding: the body's length is ambiguous (RFC 9112 section 6.3)";
    if (codings > 1)
        return "more than one Transfer-Encoding line (RFC 9112 section 6.1)";
    for (size_t i = 0; i < rq->n_headers; i++)
        if (rq->headers[i].name_len == 0)
            return "a header line folded onto the previous one (obs-fold, RFC 9112 section 5.2)";
    size_t hosts;
    const srv_header *host = srv_header_find(rq, "host", &hosts);
    const srv_header *authority = srv_header_find(rq, ":authority", NULL);
    if (hosts > 1)
        return "more than one Host line (RFC 9112 section 3.2)";
    /* "A server MUST respond with a 400 (Bad Request) status code to any
    ** HTTP/1.1 request message that lacks a Host header field" (RFC 9112
    ** section 3.2). HTTP/1.0 may omit it; HTTP/2 carries :authority. */
    if (hosts == 0 && rq->version == 0x101)
        return "an HTTP/1.1 request without a Host line (RFC 9112 section 3.2)";
    if (host && authority && !same_host(host, authority))
        return ":authority and Host name different hosts (RFC 9113 section 8.3.1)";
    return NULL;
}

/*--------------------------------------------------------------------------
** The headers moat believes only when told to.
*/
static const struct {
    const char *name;
    unsigned bit;
    const char *twice; /* why two lines are refused; NULL: a list */
} trustable[] = {
    {"x-real-ip", SRV_TRUST_REAL_IP, "more than one X-Real-IP line"},
    {"x-forwarded-for", SRV_TRUST_FORWARDED_FOR, NULL},
    {"x-moat-local-address", SRV_TRUST_LOCAL_ADDRESS,
     "more than one X-Moat-Local-Address line"},
    {"x-original-uri", SRV_TRUST_ORIGINAL_URI,
     "more than one X-Original-URI line"},
    {"x-original-method", SRV_TRUST_ORIGINAL_METHOD,
     "more than one X-Original-Method line"},
    {"x-original-host", SRV_TRUST_ORIGINAL_HOST,
     "more than one X-Original-Host line"},
    {"x-forwarded-host", SRV_TRUST_FORWARDED_HOST,
     "more than one X-Forwarded-Host line"},
};
#define N_TRUSTABLE (sizeof trustable / sizeof trustable[0])

unsigned srv_trust_bit(const char *name)
{
    for (size_t i = 0; i < N_TRUSTABLE; i++)
        if (strcasecmp(name, trustable[i].name) == 0)
            return trustable[i].bit;
    return 0;
}

/* The header named by bit, if trusted and there; NULL else. */
static const srv_header *trusted(const srv_request *rq, unsigned trust,
                                 unsigned bit)
{
    for (size_t i = 0; i < N_TRUSTABLE; i++)
        if (trustable[i].bit == bit)
            return trust & bit ? srv_header_find(rq, trustable[i].name, NULL)
                               : NULL;
    return NULL;
}

/* Why the single-valued headers /v1/authz reads are ambiguous, or NULL. */
static const char *repeated(const srv_request *rq, unsigned trust)
{
    if (lines(rq, "authorization") > 1)
        return "more than one Authorization line";
    for (size_t i = 0; i < N_TRUSTABLE; i++)
        if ((trust & trustable[i].bit) && trustable[i].twice &&
            lines(rq, trustable[i].name) > 1)
            return trustable[i].twice;
    return NULL;
}

/*--------------------------------------------------------------------------
** Addresses.
*/
/* s without the blanks around it. */
static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/* "a.b.c.d", "a.b.c.d:port", "v6", "[v6]:port": the address into ss and
** text. -1 when it is not one (or has no port and with_port is set). */
static int parse_address(const char *s, size_t n, char *text, size_t cap,
                         struct sockaddr_storage *ss, int with_port)
{
    trim(&s, &n);
    const char *port = NULL;
    if (n && *s == '[') {
        const char *close = memchr(s, ']', n);
        if (close == NULL)
            return -1;
        if (close + 1 < s + n && close[1] == ':')
            port = close + 2;
        n = (size_t)(close - s - 1);
        s++;
    } else {
        const char *colon = memchr(s, ':', n);
        /* One colon is IPv4 with a port; more is IPv6 without one. */
        if (colon &&
            memchr(colon + 1, ':', n - (size_t)(colon - s) - 1) == NULL) {
            port = colon + 1;
            n = (size_t)(colon - s);
        }
    }
    if (n == 0 || n >= cap || n >= 64)
        return -1;
    memcpy(text, s, n);
    text[n] = '\0';
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    unsigned p = port ? (unsigned)strtoul(port, NULL, 10) : 0;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)p);
    } else if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)p);
    } else {
        return -1;
    }
    return with_port && port == NULL ? -1 : 0;
}

/* The *left-th non-empty entry from the right of one line's list; 0 and
** the entry in s, n, or -1 with *left counted down by the entries seen. */
static int entry_from_right(const char *v, size_t len, int *left,
                            const char **s, size_t *n)
{
    const char *end = v + len;
    for (;;) {
        const char *start = end;
        while (start > v && start[-1] != ',')
            start--;
        const char *e = start;
        size_t elen = (size_t)(end - start);
        trim(&e, &elen);
        if (elen && --*left == 0) {
            *s = e;
            *n = elen;
            return 0;
        }
        if (start == v)
            return -1;
        end = start - 1; /* before the comma */
    }
}

/* The entry hops from the right of every X-Forwarded-For line taken as one
** list; 0, or -1 when the list is shorter. */
static int forwarded_entry(const srv_request *rq, int hops, const char **s,
                           size_t *n)
{
    int left = hops;
    for (size_t i = rq->n_headers; i-- > 0;) {
        const srv_header *h = &rq->headers[i];
        if (h->name_len == 15 &&
            strncasecmp(h->name, "x-forwarded-for", 15) == 0 &&
            entry_from_right(h->value, h->value_len, &left, s, n) == 0)
            return 0;
    }
    return -1;
}

static int peer_address(const struct sockaddr *peer, srv_origin *o)
{
    memset(&o->source, 0, sizeof o->source);
    if (peer == NULL)
        return -1;
    if (peer->sa_family == AF_INET) {
        memcpy(&o->source, peer, sizeof(struct sockaddr_in));
        inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr,
                  o->ip, sizeof o->ip);
        return 0;
    }
    if (peer->sa_family == AF_INET6) {
        memcpy(&o->source, peer, sizeof(struct sockaddr_in6));
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr,
                  o->ip, sizeof o->ip);
        return 0;
    }
    return -1;
}

/* The client's address: trusted X-Real-IP, else trusted X-Forwarded-For,
** else the TCP peer when no source header is trusted. NULL, or why the
** request is refused; o->deny when a header names no address. */
static const char *source(const srv_request *rq, const srv_settings *st,
                          srv_origin *o)
{
    const srv_header *h = trusted(rq, st->trusted, SRV_TRUST_REAL_IP);
    const char *s = NULL;
    size_t n = 0;
    if (h) {
        s = h->value;
        n = h->value_len;
    } else if (trusted(rq, st->trusted, SRV_TRUST_FORWARDED_FOR)) {
        if (forwarded_entry(rq, st->forwarded_hops, &s, &n) != 0)
            return "X-Forwarded-For has fewer entries than --forwarded-hops: the client's address is not known";
    } else if (st->trusted & (SRV_TRUST_REAL_IP | SRV_TRUST_FORWARDED_FOR)) {
        /* The proxy always sets it: without it, the peer is the proxy. */
        return "no X-Real-IP or X-Forwarded-For, which the proxy in front was said to set (--trust-header)";
    } else {
        if (peer_address(rq->peer, o) == 0)
            o->have_source = 1;
        else
            o->deny = "the TCP peer has no IP address";
        return NULL;
    }
    if (parse_address(s, n, o->ip, sizeof o->ip, &o->source, 0) == 0)
        o->have_source = 1;
    else
        o->deny = "no client address (x-real-ip or x-forwarded-for names none)";
    return NULL;
}

/* The listener the original request came in on, when trusted. */
static void listener(const srv_request *rq, unsigned trust, srv_origin *o)
{
    const srv_header *h = trusted(rq, trust, SRV_TRUST_LOCAL_ADDRESS);
    if (h == NULL)
        return;
    if (parse_address(h->value, h->value_len, o->local_ip,
                      sizeof o->local_ip, &o->local, 1) == 0)
        o->have_local = 1;
    else
        o->deny = "x-moat-local-address names no address:port";
}

/* The original request's method, path, host and Authorization. */
static void original(const srv_request *rq, unsigned trust, http_in *in)
{
    const srv_header *h = trusted(rq, trust, SRV_TRUST_ORIGINAL_METHOD);
    in->method = h ? h->value : rq->method;
    in->method_len = h ? h->value_len : rq->method_len;
    h = trusted(rq, trust, SRV_TRUST_ORIGINAL_URI);
    if (h) {
        in->uri = h->value;
        in->uri_len = h->value_len;
    } else {
        in->uri = rq->path + 9; /* after /v1/authz */
        in->uri_len = rq->path_len - 9;
        if (in->uri_len == 0 || in->uri[0] == '?') {
            in->uri = "/";
            in->uri_len = 1;
        }
    }
    h = trusted(rq, trust, SRV_TRUST_ORIGINAL_HOST);
    if (h == NULL)
        h = trusted(rq, trust, SRV_TRUST_FORWARDED_HOST);
    if (h == NULL)
        h = srv_header_find(rq, ":authority", NULL);
    if (h == NULL)
        h = srv_header_find(rq, "host", NULL);
    if (h) {
        in->host = h->value;
        in->host_len = h->value_len;
    }
    h = srv_header_find(rq, "authorization", NULL);
    if (h) {
        in->authorization = h->value;
        in->authorization_len = h->value_len;
    }
}

const char *srv_origin_read(const srv_request *rq, const srv_settings *st,
                            srv_origin *o)
{
    memset(o, 0, sizeof *o);
    const char *why = repeated(rq, st->trusted);
    if (why == NULL)
        why = source(rq, st, o);
    if (why)
        return why;
    listener(rq, st->trusted, o);
    original(rq, st->trusted, &o->http);
    o->http.account_from = st->account_from;
    o->http.endpoint = st->endpoint;
    return NULL;
}
