/*
** reach_when.h - docs/reach.md's `when`, implemented again from the
** document for the property tests: whether a request lies in a cell.
*/
#ifndef MOAT_REACH_WHEN_H
#define MOAT_REACH_WHEN_H

#include "reach_req.h"

static int w_ieq(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

/* Regions ignore case and spaces (decision.md section 7). */
static int w_region_eq(const char *a, const char *b)
{
    if (!a || !b)
        return 0;
    for (;;) {
        while (*a == ' ')
            a++;
        while (*b == ' ')
            b++;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
        if (*a == '\0')
            return 1;
        a++, b++;
    }
}

typedef int (*w_eq)(const char *, const char *);

static int w_in(const cJSON *list, const char *v, w_eq eq)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, list) if (eq(e->valuestring, v)) return 1;
    return 0;
}

/* Alternatives of strings: v is one of them. */
static int w_enum(const cJSON *alts, const char *v)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, alts) if (strcmp(e->valuestring, v) == 0) return 1;
    return 0;
}

static int w_named(const cJSON *alts, const char *v, const cJSON *named,
                   w_eq eq)
{
    int other = v == NULL || !w_in(named, v, eq);
    const cJSON *e;
    cJSON_ArrayForEach(e, alts)
    {
        if (strcmp(e->valuestring, "other") == 0 ? other : eq(e->valuestring, v))
            return 1;
    }
    return 0;
}

static int w_target(const cJSON *alts, const char *t)
{
    const char *k = strcmp(t, "$logs") == 0            ? "$logs"
                    : strncmp(t, "$Metrics", 8) == 0 ? "$Metrics*"
                                                     : "other";
    return w_enum(alts, k);
}

static int w_subnet_reaches(const char *id)
{
    extern int reach_test_subnet_reaches(const char *id);
    return reach_test_subnet_reaches(id);
}

static int w_path(const cJSON *alts, const greq *q, const cJSON *dom)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, alts)
    {
        const cJSON *pe = cJSON_GetObjectItem(e, "private_endpoint");
        const cJSON *sn = cJSON_GetObjectItem(e, "subnet");
        if (cJSON_IsString(e)) { /* "public" */
            if (!q->pe && !q->subnet)
                return 1;
        } else if (pe && q->pe) {
            if (strcmp(pe->valuestring, "other") == 0
                    ? !w_in(cJSON_GetObjectItem(dom, "private_endpoints"),
                            q->pe, w_ieq)
                    : w_ieq(pe->valuestring, q->pe))
                return 1;
        } else if (sn && q->subnet && !q->pe) {
            int named = w_in(cJSON_GetObjectItem(dom, "subnets"), q->subnet,
                             w_ieq);
            if (strcmp(sn->valuestring, "other-reaching") == 0) {
                if (!named && w_subnet_reaches(q->subnet))
                    return 1;
            } else if (strcmp(sn->valuestring, "other-not-reaching") == 0) {
                if (!named && !w_subnet_reaches(q->subnet))
                    return 1;
            } else if (w_ieq(sn->valuestring, q->subnet)) {
                return 1;
            }
        }
    }
    return 0;
}

static int w_cmp_addr(const gaddr *a, const gaddr *b)
{
    return memcmp(a->b, b->b, 16);
}

static int w_ip(const cJSON *alts, const greq *q)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, alts)
    {
        const char *s = e->valuestring;
        if (strcmp(s, "none") == 0) {
            if (!q->has_ip)
                return 1;
            continue;
        }
        char lo[64], hi[64];
        const char *dash = strchr(s, '-');
        if (!q->has_ip || !dash || (size_t)(dash - s) >= sizeof lo)
            continue;
        memcpy(lo, s, (size_t)(dash - s));
        lo[dash - s] = '\0';
        snprintf(hi, sizeof hi, "%s", dash + 1);
        grange r;
        if (g_range_of(lo, &r) != 0)
            continue;
        gaddr l = r.lo;
        if (g_range_of(hi, &r) != 0)
            continue;
        if (l.family == q->ip.family && w_cmp_addr(&l, &q->ip) <= 0 &&
            w_cmp_addr(&q->ip, &r.lo) <= 0)
            return 1;
    }
    return 0;
}

/* The catalog row names `name` (decision.md section 4, trusted()). */
static int w_row_names(const moat_service *s, const char *name)
{
    if (s->platform[0] && strcasecmp(s->platform, name) == 0)
        return 1;
    const char *slash = strchr(name, '/');
    if (!slash)
        return 0;
    size_t ns = (size_t)(slash - name);
    for (const char *p = s->identities; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int typed = memchr(p, '/', n) != NULL;
        if (typed ? n == strlen(name) && strncasecmp(p, name, n) == 0
                  : n == ns && strncasecmp(p, name, n) == 0)
            return 1;
        p += n + (e != NULL);
    }
    return 0;
}

/* The rows of the resource's kind naming name equal the array rows. */
static int w_rows(const cJSON *rows, const char *name, int keyvault)
{
    int k = 0, n = cJSON_GetArraySize(rows);
    for (size_t i = 0; name && i < moat_catalog_count(); i++) {
        const moat_service *s = moat_catalog_entry(i);
        if (strcmp(s->target, keyvault ? "keyvault" : "storage") != 0 ||
            !w_row_names(s, name))
            continue;
        if (k >= n || cJSON_GetArrayItem(rows, k)->valueint != (int)i)
            return 0;
        k++;
    }
    return k == n;
}

static int w_service(const cJSON *alts, const greq *q, int keyvault)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, alts)
    {
        if (cJSON_IsString(e) ? q->service == NULL
                              : q->service != NULL &&
                                    w_rows(cJSON_GetObjectItem(e, "rows"),
                                           q->service, keyvault))
            return 1;
    }
    return 0;
}

/* The provider type of an ARM id: NS/type[/type...], or "". */
static void w_type_of(const char *id, char *out, size_t cap)
{
    char seg[32][128];
    int n = 0;
    for (const char *p = id; *p && n < 32;) {
        while (*p == '/')
            p++;
        size_t len = strcspn(p, "/");
        if (len == 0)
            break;
        snprintf(seg[n++], sizeof seg[0], "%.*s", (int)len, p);
        p += len;
    }
    out[0] = '\0';
    int at = -1;
    for (int i = 0; i < n && at < 0; i++)
        at = strcasecmp(seg[i], "providers") == 0 ? i : -1;
    if (at < 0 || at + 2 >= n)
        return;
    size_t o = 0;
    for (int i = at + 1; i < n; i++) {
        if (i > at + 1 && (i - at) % 2 == 1)
            continue;
        o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? "/" : "", seg[i]);
    }
}

static int w_segments(const char *s, const char **seg, size_t *len, int cap)
{
    int n = 0;
    for (const char *p = s; *p;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        if (n == cap)
            return -1;
        len[n] = strcspn(p, "/");
        seg[n++] = p;
        p += len[n - 1];
    }
    return n;
}

/* Pattern (with '*' segments) matches id (decision.md section 4). */
static int w_pattern(const char *pat, const char *id)
{
    const char *ps[40], *is[40];
    size_t pl[40], il[40];
    int pn = w_segments(pat, ps, pl, 40), in = w_segments(id, is, il, 40);
    if (pn < 0 || pn != in)
        return 0;
    if (!strchr(pat, '*'))
        return strcasecmp(pat, id) == 0;
    for (int i = 0; i < pn; i++) {
        if (pl[i] == 1 && ps[i][0] == '*')
            continue;
        if (pl[i] != il[i] || strncasecmp(ps[i], is[i], pl[i]) != 0)
            return 0;
    }
    return 1;
}

static int64_t w_instances_until(const char *type)
{
    int64_t best = INT64_MAX;
    for (size_t i = 0; type[0] && i < moat_catalog_count(); i++) {
        const moat_service *s = moat_catalog_entry(i);
        if (strcmp(s->kind, "managed-identity") != 0 || !s->until[0])
            continue;
        moat_service t = *s;
        t.platform = ""; /* identities only */
        if (w_row_names(&t, type) && g_date(s->until) < best)
            best = g_date(s->until);
    }
    return best;
}

static int w_caller_one(const cJSON *e, const greq *q, const cJSON *dom,
                        int keyvault)
{
    const cJSON *pats = cJSON_GetObjectItem(dom, "patterns");
    const cJSON *want = cJSON_GetObjectItem(e, "patterns");
    int k = 0, n = cJSON_GetArraySize(want), i = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, pats)
    {
        if (q->has_caller && w_pattern(p->valuestring, q->caller)) {
            if (k >= n || cJSON_GetArrayItem(want, k)->valueint != i)
                return 0;
            k++;
        }
        i++;
    }
    if (k != n)
        return 0;
    char type[256] = "";
    if (q->has_caller)
        w_type_of(q->caller, type, sizeof type);
    if (!w_rows(cJSON_GetObjectItem(e, "rows"), type[0] ? type : NULL,
                keyvault))
        return 0;
    const cJSON *u = cJSON_GetObjectItem(e, "instances_until");
    int64_t until = w_instances_until(type);
    return cJSON_IsNull(u) ? until == INT64_MAX
                           : until == g_date(u->valuestring);
}

static int w_caller(const cJSON *alts, const greq *q, const cJSON *dom,
                    int keyvault)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, alts) if (w_caller_one(e, q, dom, keyvault)) return 1;
    return 0;
}

/* What side s's perimeter makes of the request's list. */
static void w_judge(const cJSON *side, const greq *q, char *out, size_t cap)
{
    const cJSON *own = cJSON_GetObjectItem(side, "own");
    for (int i = 0; cJSON_IsString(own) && i < q->n_perimeters; i++) {
        if (w_ieq(own->valuestring, q->perimeters[i])) {
            snprintf(out, cap, "intra");
            return;
        }
    }
    for (int i = 0; i < q->n_perimeters; i++) {
        const cJSON *l;
        cJSON_ArrayForEach(l, cJSON_GetObjectItem(side, "linked"))
        {
            if (w_ieq(l->valuestring, q->perimeters[i])) {
                snprintf(out, cap, "link:%s", l->valuestring);
                return;
            }
        }
    }
    snprintf(out, cap, "none");
}

static int w_perimeters(const cJSON *alts, const greq *q, const cJSON *dom)
{
    const cJSON *sides = cJSON_GetObjectItem(dom, "perimeters");
    const cJSON *e;
    cJSON_ArrayForEach(e, alts)
    {
        int ok = 1, s = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, e)
        {
            char j[128];
            w_judge(cJSON_GetArrayItem(sides, s++), q, j, sizeof j);
            ok = ok && w_ieq(j, v->valuestring);
        }
        if (ok)
            return 1;
    }
    return 0;
}

static int64_t w_instant(const cJSON *v, int64_t open)
{
    if (!cJSON_IsString(v))
        return open;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    sscanf(v->valuestring, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon,
           &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

static int w_time(const cJSON *alts, int64_t t)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, alts)
    {
        if (w_instant(cJSON_GetObjectItem(e, "from"), INT64_MIN) <= t &&
            t < w_instant(cJSON_GetObjectItem(e, "until"), INT64_MAX))
            return 1;
    }
    return 0;
}

/* The request lies in the cell whose `when` this is (ignoring the source
** address when skip_ip). */
static int w_match(const cJSON *when, const greq *q, const cJSON *dom,
                   int keyvault, int skip_ip)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, when)
    {
        const char *k = d->string;
        int ok;
        if (!strcmp(k, "plane"))
            ok = w_enum(d, q->plane);
        else if (!strcmp(k, "protocol"))
            ok = w_enum(d, q->protocol);
        else if (!strcmp(k, "endpoint"))
            ok = w_enum(d, q->endpoint);
        else if (!strcmp(k, "operation"))
            ok = w_enum(d, q->operation);
        else if (!strcmp(k, "auth"))
            ok = w_enum(d, q->auth);
        else if (!strcmp(k, "target"))
            ok = w_target(d, q->target);
        else if (!strcmp(k, "path"))
            ok = w_path(d, q, dom);
        else if (!strcmp(k, "source_ip"))
            ok = skip_ip || w_ip(d, q);
        else if (!strcmp(k, "region"))
            ok = w_named(d, q->region, cJSON_GetObjectItem(dom, "regions"),
                         w_region_eq);
        else if (!strcmp(k, "tenant"))
            ok = w_named(d, q->tenant, cJSON_GetObjectItem(dom, "tenants"),
                         w_ieq);
        else if (!strcmp(k, "subscription"))
            ok = w_named(d, q->subscription,
                         cJSON_GetObjectItem(dom, "subscriptions"), w_ieq);
        else if (!strcmp(k, "service"))
            ok = w_service(d, q, keyvault);
        else if (!strcmp(k, "caller"))
            ok = w_caller(d, q, dom, keyvault);
        else if (!strcmp(k, "perimeters"))
            ok = w_perimeters(d, q, dom);
        else if (!strcmp(k, "time"))
            ok = w_time(d, q->time);
        else
            ok = 0; /* a constraint this matcher does not know */
        if (!ok)
            return 0;
    }
    return 1;
}

#endif /* MOAT_REACH_WHEN_H */
