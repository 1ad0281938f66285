/*
** http_map.c - see http_map.h. The mapping, rule by rule (docs/gate.md):
**
**   path               the one the upstream receives: the server's
**                      normalised path (nginx's $uri) or the request
**                      target's, percent-decoded once; refused when an
**                      upstream could read it as another resource (below)
**   account, endpoint  host style: the host's first label is the account,
**                      the second the endpoint (blob, dfs, file, queue,
**                      table; z<nn>.web is web; <vault>.vault.azure.net is
**                      a vault); path style: the first path segment is the
**                      account, the endpoint comes from the configuration
**   operation          DELETE: delete; PUT, POST, PATCH, MERGE: write;
**                      GET, HEAD, OPTIONS: list when the query asks for a
**                      listing (comp=list, restype=container with
**                      comp=list) or the path is the table service's
**                      /Tables, else read; any other method is refused
**   target             the next path segment (container, table, queue,
**                      share); a table's ends at '('
**   auth               Authorization SharedKey/SharedKeyLite: AccountKey;
**                      Bearer: OAuth; a sig= query parameter: SAS; none:
**                      Anonymous
*/
#include "http_map.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t cap, const char *msg)
{
    if (cap)
        snprintf(err, cap, "%s", msg);
    return -1;
}

/* n bytes of a and b equal, ASCII case ignored. */
static int ieqn(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return 1;
}

static int ieq(const char *a, size_t an, const char *b)
{
    return an == strlen(b) && ieqn(a, b, an);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The byte a percent-encoding at p (n bytes left) stands for, or -1 when
** p is not one (RFC 3986 section 2.1: '%' and two hexadecimal digits). */
static int escaped(const char *p, size_t n)
{
    int hi, lo;
    if (n < 3 || p[0] != '%' || (hi = hexval(p[1])) < 0 ||
        (lo = hexval(p[2])) < 0)
        return -1;
    return hi * 16 + lo;
}

/* Percent-decodes [p, p+n) into out (cap bytes, NUL-terminated), once. */
static int decode(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = escaped(p + i, n - i);
        if (c >= 0)
            i += 2;
        else
            c = (unsigned char)p[i];
        if (c == '\0' || o + 1 >= cap)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

/*--------------------------------------------------------------------------
** The path moat decides on must be the one the upstream acts on. nginx
** forwards its normalised $uri when proxy_pass has a URI part (percent-
** decoded once, dot segments resolved, slashes merged: RFC 3986 section
** 5.2.4) and the raw request target when it has none; an upstream may
** decode once more, read '\' as '/' (IIS, Windows), cut a segment at ';'
** (Tomcat's path parameters) or keep what nginx merged. So moat decides on
** the normalised path and refuses, in the raw target and again in that
** path, anything that would let the two name different resources.
*/
/* A segment ("." or "..", a dot raw or encoded, maybe followed by ";...")
** that resolves to this segment's parent or to itself. */
static int dot_segment(const char *s, size_t n)
{
    size_t i = 0, dots = 0;
    while (i < n && dots < 3) {
        if (s[i] == '.') {
            i++;
        } else if (escaped(s + i, n - i) == '.') {
            i += 3;
        } else {
            break;
        }
        dots++;
    }
    return (dots == 1 || dots == 2) &&
           (i == n || s[i] == ';' || escaped(s + i, n - i) == ';');
}

static const char *segment_problem(const char *s, size_t n, int last)
{
    if (n == 0 && !last)
        return "an empty path segment (//), which nginx merges and an upstream may not";
    if (dot_segment(s, n))
        return "a dot segment (. or .., in any encoding) in the path";
    return NULL;
}

/* Why path p (n bytes) could name another resource upstream, or NULL. raw:
** p is the request target as sent (its escapes must be well formed);
** else p was decoded once and an escape in it is a second encoding. */
static const char *path_problem(const char *p, size_t n, int raw)
{
    if (n == 0 || p[0] != '/')
        return "the path does not start with /";
    size_t seg = 1;
    for (size_t i = 1; i <= n; i++) {
        if (i == n || p[i] == '/') {
            const char *why = segment_problem(p + seg, i - seg, i == n);
            if (why)
                return why;
            seg = i + 1;
        } else if (p[i] == '\\' || p[i] == '\0') {
            return "a backslash or NUL in the path";
        } else if (p[i] == '%') {
            int c = escaped(p + i, n - i);
            if (c < 0 && raw)
                return "a malformed percent-encoding in the path";
            if (c == '/' || c == '\\' || c == '\0')
                return "an encoded slash, backslash or NUL in the path";
        }
    }
    return NULL;
}

/* The request target split and checked: the decided path (the server's,
** or the raw one decoded into buf) and the raw query. */
typedef struct target_parts {
    const char *path, *query;
    size_t path_len, query_len;
} target_parts;

static int split_target(const http_in *in, target_parts *t, char *buf,
                        size_t bufcap, char *err, size_t cap)
{
    const char *uri = in->uri, *uend = in->uri + in->uri_len;
    const char *qmark = memchr(uri, '?', in->uri_len);
    const char *raw_end = qmark ? qmark : uend;
    t->query = qmark ? qmark + 1 : uend;
    t->query_len = (size_t)(uend - t->query);
    if (memchr(uri, '#', in->uri_len))
        return fail(err, cap, "a fragment (#) in the request target");
    const char *why = path_problem(uri, (size_t)(raw_end - uri), 1);
    if (why)
        return fail(err, cap, why);
    if (in->path) {
        t->path = in->path;
        t->path_len = in->path_len;
    } else {
        if (decode(uri, (size_t)(raw_end - uri), buf, bufcap) < 0)
            return fail(err, cap, "the path is too long");
        t->path = buf;
        t->path_len = strlen(buf);
    }
    why = path_problem(t->path, t->path_len, 0);
    return why ? fail(err, cap, why) : 0;
}

/* Storage account and vault names: letters, digits and hyphens. */
static int valid_name(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

static const char *const endpoints[] = {"blob",  "dfs", "file", "queue",
                                        "table", "web", "vault"};

static int set_endpoint(http_out *out, const char *p, size_t n)
{
    for (size_t i = 0; i < sizeof endpoints / sizeof *endpoints; i++) {
        if (ieq(p, n, endpoints[i])) {
            snprintf(out->endpoint, sizeof out->endpoint, "%s", endpoints[i]);
            return 0;
        }
    }
    return -1;
}

/* host: <account>[-secondary].<endpoint>.<suffix>[:port] */
static int from_host(const http_in *in, http_out *out, char *err, size_t cap)
{
    const char *h = in->host, *end = in->host + in->host_len;
    const char *colon = memchr(h, ':', in->host_len);
    if (colon)
        end = colon;
    const char *dot = memchr(h, '.', (size_t)(end - h));
    if (dot == NULL || dot == h)
        return fail(
            err, cap,
            "the host names no account (<account>.blob.core.windows.net)");
    size_t alen = (size_t)(dot - h);
    if (alen > 10 && ieq(dot - 10, 10, "-secondary"))
        alen -= 10;
    if (alen >= sizeof out->account)
        return fail(err, cap, "account name too long");
    memcpy(out->account, h, alen);
    out->account[alen] = '\0';
    if (!valid_name(out->account))
        return fail(err, cap,
                    "the host's account name is not letters and digits");
    const char *label = dot + 1;
    const char *dot2 = memchr(label, '.', (size_t)(end - label));
    size_t llen = (size_t)((dot2 ? dot2 : end) - label);
    if (llen > 1 && label[0] == 'z' && dot2 && end - dot2 > 4 &&
        ieq(dot2 + 1, 3, "web"))
        return set_endpoint(out, "web", 3);
    if (set_endpoint(out, label, llen) == 0) {
        out->vault = strcmp(out->endpoint, "vault") == 0;
        return 0;
    }
    return set_endpoint(out, in->endpoint ? in->endpoint : "blob",
                        in->endpoint ? strlen(in->endpoint) : 4) == 0
               ? 0
               : fail(err, cap, "unknown endpoint");
}

/* The length of host h's name as nginx compares it (ngx_http_validate_host):
** up to the port ("[v6]" whole), less one trailing dot. */
static size_t host_name_len(const char *h, size_t n)
{
    const char *end = NULL;
    if (n && h[0] == '[') {
        end = memchr(h, ']', n);
        if (end)
            end++;
    } else {
        end = memchr(h, ':', n);
    }
    size_t len = end ? (size_t)(end - h) : n;
    return len && h[len - 1] == '.' ? len - 1 : len;
}

/* An absolute-form request line names its host, and nginx then ignores the
** Host header (RFC 9112 section 3.2.2): a proxy configuration forwarding
** either could send the request to the other; both must name one host. */
static int one_host(const http_in *in, char *err, size_t cap)
{
    if (in->host == NULL || in->host_header == NULL)
        return 0;
    size_t a = host_name_len(in->host, in->host_len);
    size_t b = host_name_len(in->host_header, in->host_header_len);
    if (a == b && ieqn(in->host, in->host_header, a))
        return 0;
    return fail(err, cap,
                "the request line and the Host header name different hosts");
}

/* A query parameter's value, or NULL. */
static const char *param(const char *q, size_t n, const char *name, size_t *len)
{
    size_t k = strlen(name);
    const char *p = q, *end = q + n;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        if ((size_t)(e - p) > k && p[k] == '=' && ieq(p, k, name)) {
            *len = (size_t)(e - p - (ptrdiff_t)k - 1);
            return p + k + 1;
        }
        p = amp ? amp + 1 : end;
    }
    return NULL;
}

/* The methods Azure Storage and Key Vault serve, by their REST API
** references, and what each does to the data; any other method (COPY,
** MOVE, MKCOL, LOCK, ...) is refused. Method names are case-sensitive (RFC
** 9110 section 9.1): "get" is not GET.
**   GET, HEAD   Get Blob, Get Blob Properties, Get Secret, ...
**   OPTIONS     Preflight Blob/Queue/Table/File Request (CORS)
**   PUT, POST   Put Blob, Put Message, Insert Entity, Set Secret, Sign
**   PATCH       Data Lake Storage Gen2 Path - Update; Key Vault updates
**   MERGE       Table storage's Merge Entity and Insert Or Merge Entity
**   DELETE      Delete Blob, Delete Entity, Delete Secret, ... */
static const struct http_method {
    const char *name;
    const char *operation; /* NULL: read, or list when the request lists */
} http_methods[] = {{"GET", NULL},      {"HEAD", NULL},      {"OPTIONS", NULL},
                    {"PUT", "write"},   {"POST", "write"},   {"PATCH", "write"},
                    {"MERGE", "write"}, {"DELETE", "delete"}};

static const struct http_method *served_method(const http_in *in)
{
    for (size_t i = 0; i < sizeof http_methods / sizeof *http_methods; i++) {
        const char *name = http_methods[i].name;
        if (in->method_len == strlen(name) &&
            memcmp(in->method, name, in->method_len) == 0)
            return &http_methods[i];
    }
    return NULL;
}

static const char *operation(const struct http_method *m, const char *query,
                             size_t qlen, const char *target, int table)
{
    if (m->operation)
        return m->operation;
    size_t vlen;
    const char *comp = param(query, qlen, "comp", &vlen);
    if (comp && ieq(comp, vlen, "list"))
        return "list";
    if (table && strcmp(target, "Tables") == 0)
        return "list";
    return "read";
}

/* Path style: the first segment is the account; *rest the one after. */
static int from_path(const http_in *in, const char *p, const char *end,
                     http_out *out, const char **rest, char *err, size_t cap)
{
    const char *slash = memchr(p, '/', (size_t)(end - p));
    const char *e = slash ? slash : end;
    if (e == p)
        return fail(err, cap, "the path names no account (/<account>/...)");
    if ((size_t)(e - p) >= sizeof out->account)
        return fail(err, cap, "account name too long");
    memcpy(out->account, p, (size_t)(e - p));
    out->account[e - p] = '\0';
    if (!valid_name(out->account))
        return fail(err, cap,
                    "the path's account name is not letters and digits");
    const char *ep = in->endpoint ? in->endpoint : "blob";
    if (set_endpoint(out, ep, strlen(ep)) < 0)
        return fail(err, cap, "unknown endpoint");
    out->vault = strcmp(out->endpoint, "vault") == 0;
    *rest = slash ? slash + 1 : end;
    return 0;
}

/* The target: the segment at p (a table's ends at its key). */
static int set_target(http_out *out, const char *p, const char *end, char *err,
                      size_t cap)
{
    const char *e = memchr(p, '/', (size_t)(end - p));
    if (e == NULL)
        e = end;
    const char *paren = strcmp(out->endpoint, "table") == 0
                            ? memchr(p, '(', (size_t)(e - p))
                            : NULL;
    if (paren)
        e = paren;
    if ((size_t)(e - p) >= sizeof out->target)
        return fail(err, cap, "target name too long");
    memcpy(out->target, p, (size_t)(e - p));
    out->target[e - p] = '\0';
    return 0;
}

/* Who is asking. */
static void set_auth(const http_in *in, const target_parts *t, http_out *out)
{
    const char *a = in->authorization;
    size_t an = in->authorization_len;
    size_t vlen;
    if (a && an >= 10 && ieq(a, 10, "SharedKey ")) {
        out->auth = HTTP_AUTH_SHARED_KEY;
    } else if (a && an >= 14 && ieq(a, 14, "SharedKeyLite ")) {
        out->auth = HTTP_AUTH_SHARED_KEY;
    } else if (a && an > 7 && ieq(a, 7, "Bearer ")) {
        out->auth = HTTP_AUTH_BEARER;
        out->bearer = a + 7;
        out->bearer_len = an - 7;
        while (out->bearer_len && *out->bearer == ' ')
            out->bearer++, out->bearer_len--;
    } else if (param(t->query, t->query_len, "sig", &vlen)) {
        out->auth = HTTP_AUTH_SAS;
    } else {
        out->auth = HTTP_AUTH_ANONYMOUS;
    }
}

int moat_http_map(const http_in *in, http_out *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    if (in->method == NULL || in->uri == NULL)
        return fail(err, cap, "no method or URI");
    const struct http_method *method = served_method(in);
    if (method == NULL)
        return fail(err, cap,
                    "a method Azure Storage and Key Vault do not serve");
    char decoded[HTTP_MAX_PATH];
    target_parts t = {NULL, NULL, 0, 0};
    if (one_host(in, err, cap) < 0 ||
        split_target(in, &t, decoded, sizeof decoded, err, cap) < 0)
        return -1;
    const char *p = t.path + 1, *end = t.path + t.path_len;
    if (in->account_from == ACCOUNT_FROM_PATH) {
        if (from_path(in, p, end, out, &p, err, cap) < 0)
            return -1;
    } else {
        if (in->host == NULL || in->host_len == 0)
            return fail(err, cap, "no Host header");
        if (from_host(in, out, err, cap) < 0)
            return -1;
    }
    if (set_target(out, p, end, err, cap) < 0)
        return -1;
    out->operation = operation(method, t.query, t.query_len, out->target,
                               strcmp(out->endpoint, "table") == 0);
    set_auth(in, &t, out);
    return 0;
}

const char *moat_http_auth_name(http_auth a)
{
    switch (a) {
    case HTTP_AUTH_SHARED_KEY: return "AccountKey";
    case HTTP_AUTH_SAS: return "SAS";
    case HTTP_AUTH_BEARER: return "OAuth";
    case HTTP_AUTH_ANONYMOUS: break;
    }
    return "Anonymous";
}
