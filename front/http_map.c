/*
** http_map.c - see http_map.h. The mapping, rule by rule (docs/gate.md):
**
**   account, endpoint  host style: the host's first label is the account,
**                      the second the endpoint (blob, dfs, file, queue,
**                      table; z<nn>.web is web; <vault>.vault.azure.net is
**                      a vault); path style: the first path segment is the
**                      account, the endpoint comes from the configuration
**   operation          DELETE: delete; PUT, POST, PATCH, MERGE: write;
**                      GET, HEAD, OPTIONS: list when the query asks for a
**                      listing (comp=list, restype=container with
**                      comp=list) or the path is the table service's
**                      /Tables, else read
**   target             the next path segment (container, table, queue,
**                      share), percent-decoded; a table's ends at '('
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

static int ieq(const char *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++) {
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

/* Percent-decodes [p, p+n) into out (cap bytes, NUL-terminated). */
static int decode(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        int hi, lo;
        if (c == '%' && i + 2 < n && (hi = hexval(p[i + 1])) >= 0 &&
            (lo = hexval(p[i + 2])) >= 0) {
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0' || o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
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
        return fail(err, cap,
                    "the host names no account (<account>.blob."
                    "core.windows.net)");
    size_t alen = (size_t)(dot - h);
    if (alen > 10 && ieq(dot - 10, 10, "-secondary"))
        alen -= 10;
    if (alen >= sizeof out->account)
        return fail(err, cap, "account name too long");
    memcpy(out->account, h, alen);
    out->account[alen] = '\0';
    if (!valid_name(out->account))
        return fail(err, cap,
                    "the host's account name is not letters and "
                    "digits");
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

static const char *operation(const http_in *in, const char *query, size_t qlen,
                             const char *target, int table)
{
    const char *m = in->method;
    size_t n = in->method_len;
    if (ieq(m, n, "DELETE"))
        return "delete";
    if (ieq(m, n, "PUT") || ieq(m, n, "POST") || ieq(m, n, "PATCH") ||
        ieq(m, n, "MERGE"))
        return "write";
    size_t vlen;
    const char *comp = param(query, qlen, "comp", &vlen);
    if (comp && ieq(comp, vlen, "list"))
        return "list";
    if (table && strcmp(target, "Tables") == 0)
        return "list";
    return "read";
}

int http_map(const http_in *in, http_out *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    if (in->method == NULL || in->uri == NULL)
        return fail(err, cap, "no method or URI");
    const char *uri = in->uri, *uend = in->uri + in->uri_len;
    const char *qmark = memchr(uri, '?', in->uri_len);
    const char *path_end = qmark ? qmark : uend;
    const char *query = qmark ? qmark + 1 : uend;
    size_t qlen = (size_t)(uend - query);
    const char *p = uri;
    if (p < path_end && *p == '/')
        p++;
    if (in->account_from == ACCOUNT_FROM_PATH) {
        const char *slash = memchr(p, '/', (size_t)(path_end - p));
        const char *e = slash ? slash : path_end;
        if (e == p)
            return fail(err, cap,
                        "the path names no account (/<account>/"
                        "...)");
        if (decode(p, (size_t)(e - p), out->account, sizeof out->account) < 0 ||
            !valid_name(out->account))
            return fail(err, cap,
                        "the path's account name is not letters "
                        "and digits");
        const char *ep = in->endpoint ? in->endpoint : "blob";
        if (set_endpoint(out, ep, strlen(ep)) < 0)
            return fail(err, cap, "unknown endpoint");
        out->vault = strcmp(out->endpoint, "vault") == 0;
        p = slash ? slash + 1 : path_end;
    } else {
        if (in->host == NULL || in->host_len == 0)
            return fail(err, cap, "no Host header");
        if (from_host(in, out, err, cap) < 0)
            return -1;
    }
    /* The target: the next segment (a table's ends at its key). */
    const char *e = p;
    while (e < path_end && *e != '/')
        e++;
    int table = strcmp(out->endpoint, "table") == 0;
    const char *paren = table ? memchr(p, '(', (size_t)(e - p)) : NULL;
    if (paren)
        e = paren;
    if (e > p &&
        decode(p, (size_t)(e - p), out->target, sizeof out->target) < 0)
        return fail(err, cap, "target name too long or malformed");
    out->operation = operation(in, query, qlen, out->target, table);
    /* Who is asking. */
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
    } else if (param(query, qlen, "sig", &vlen)) {
        out->auth = HTTP_AUTH_SAS;
    } else {
        out->auth = HTTP_AUTH_ANONYMOUS;
    }
    return 0;
}

const char *http_auth_name(http_auth a)
{
    switch (a) {
    case HTTP_AUTH_SHARED_KEY: return "AccountKey";
    case HTTP_AUTH_SAS: return "SAS";
    case HTTP_AUTH_BEARER: return "OAuth";
    case HTTP_AUTH_ANONYMOUS: break;
    }
    return "Anonymous";
}
