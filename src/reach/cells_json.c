/*
** cells_json.c - a cell as JSON (docs/reach.md, "The cell"): `when`, the
** constraints that define it, one array of alternatives per dimension
** (a dimension left out is unconstrained), then its decision on each side,
** its witness and its address count.
*/
#include "cells_api.h"

#include <stdlib.h>
#include <string.h>

static const char *const plane_json[] = {"data", "control"};
static const char *const protocol_json[] = {"HTTPS", "HTTP", "SMB", "NFS",
                                            "SFTP"};
static const char *const endpoint_json[] = {"blob",  "dfs", "file", "queue",
                                            "table", "web", "vault"};
static const char *const op_json[] = {"read", "write", "delete", "list"};
static const char *const auth_json[] = {"OAuth", "SAS", "AccountKey",
                                        "Anonymous"};
static const char *const target_json[] = {"$logs", "$Metrics*", "other"};

static int full(const cdomain *d, int k, const uint64_t *s)
{
    for (uint32_t a = 0; a < d->n[k]; a++) {
        if (!moat__bit(s, a))
            return 0;
    }
    return 1;
}

/* "key": [ or nothing when the set is the whole dimension. */
static int open_dim(moat_buf *b, const cdomain *d, int k, const uint64_t *s,
                    const char *key, int *first)
{
    if (full(d, k, s))
        return 0;
    moat__buf_printf(b, "%s\"%s\":[", *first ? "" : ",", key);
    *first = 0;
    return 1;
}

#define EACH_ATOM(d, k, s, a)                                                  \
    for (uint32_t a = 0, n_ = 0; a < (d)->n[k]; a++)                           \
        if (moat__bit(s, a) && (n_++ ? (moat__buf_putc(b, ','), 1) : 1))

static void enum_dim(moat_buf *b, const cdomain *d, int k, const uint64_t *s,
                     const char *key, const char *const *names, int *first)
{
    if (!open_dim(b, d, k, s, key, first))
        return;
    EACH_ATOM(d, k, s, a)
    moat__buf_json_cstr(b, names[a]);
    moat__buf_putc(b, ']');
}

/* Named values, the last atom "other". */
static void named_dim(moat_buf *b, const cdomain *d, int k, const uint64_t *s,
                      const char *key, const char *const *names, int *first)
{
    if (!open_dim(b, d, k, s, key, first))
        return;
    EACH_ATOM(d, k, s, a)
    moat__buf_json_cstr(b, a + 1 == d->n[k] ? "other" : names[a]);
    moat__buf_putc(b, ']');
}

static void path_item(moat_buf *b, const path_atom *p)
{
    switch (p->kind) {
    case PATH_PE:
        moat__buf_puts(b, "{\"private_endpoint\":");
        moat__buf_json_cstr(b, p->id);
        moat__buf_putc(b, '}');
        break;
    case PATH_PE_OTHER:
        moat__buf_puts(b, "{\"private_endpoint\":\"other\"}");
        break;
    case PATH_PUBLIC: moat__buf_puts(b, "\"public\""); break;
    case PATH_SUBNET:
        moat__buf_puts(b, "{\"subnet\":");
        moat__buf_json_cstr(b, p->id);
        moat__buf_putc(b, '}');
        break;
    case PATH_SUBNET_REACH:
        moat__buf_puts(b, "{\"subnet\":\"other-reaching\"}");
        break;
    case PATH_SUBNET_NOREACH:
        moat__buf_puts(b, "{\"subnet\":\"other-not-reaching\"}");
        break;
    }
}

static void addr_text(moat_buf *b, int family, moat_u128 v)
{
    moat_addr a = {(uint8_t)family, v};
    char text[64];
    moat__addr_format(&a, text, sizeof text);
    moat__buf_puts(b, text);
}

static int adjacent(const ip_atom *x, const ip_atom *y)
{
    moat_u128 n = x->hi;
    if (++n.lo == 0)
        n.hi++;
    return x->family == y->family && moat__u128_cmp(n, y->lo) == 0;
}

/* Address intervals "lo-hi", adjacent atoms merged, and "none". */
static void ip_dim(moat_buf *b, const cdomain *d, const uint64_t *s,
                   int *first)
{
    if (!open_dim(b, d, D_IP, s, "source_ip", first))
        return;
    int n = 0;
    for (uint32_t a = 0; a < d->n[D_IP]; a++) {
        if (!moat__bit(s, a))
            continue;
        const ip_atom *x = &d->ip[a];
        if (n++)
            moat__buf_putc(b, ',');
        if (x->family == 0) {
            moat__buf_puts(b, "\"none\"");
            continue;
        }
        uint32_t e = a;
        while (e + 1 < d->n[D_IP] && moat__bit(s, e + 1) &&
               adjacent(&d->ip[e], &d->ip[e + 1]))
            e++;
        moat__buf_putc(b, '"');
        addr_text(b, x->family, x->lo);
        moat__buf_putc(b, '-');
        addr_text(b, x->family, d->ip[e].hi);
        moat__buf_putc(b, '"');
        a = e;
    }
    moat__buf_putc(b, ']');
}

static void rows_json(moat_buf *b, const rows_list *r)
{
    moat__buf_putc(b, '[');
    for (uint8_t i = 0; i < r->n; i++)
        moat__buf_printf(b, "%s%u", i ? "," : "", r->row[i]);
    moat__buf_putc(b, ']');
}

static void time_json(moat_buf *b, int64_t t, int64_t open)
{
    char text[40];
    if (t == open) {
        moat__buf_puts(b, "null");
        return;
    }
    moat__time_format(t, text, sizeof text);
    moat__buf_json_cstr(b, text);
}

static void ident_dims(moat_buf *b, const cdomain *d, const cbox *x,
                       int *first)
{
    if (open_dim(b, d, D_SERVICE, x->s[D_SERVICE], "service", first)) {
        EACH_ATOM(d, D_SERVICE, x->s[D_SERVICE], a)
        {
            if (a == 0) {
                moat__buf_puts(b, "\"none\"");
                continue;
            }
            moat__buf_puts(b, "{\"rows\":");
            rows_json(b, &d->service[a].rows);
            moat__buf_putc(b, '}');
        }
        moat__buf_putc(b, ']');
    }
    if (open_dim(b, d, D_CALLER, x->s[D_CALLER], "caller", first)) {
        EACH_ATOM(d, D_CALLER, x->s[D_CALLER], a)
        {
            const caller_atom *c = &d->caller[a];
            moat__buf_puts(b, "{\"patterns\":[");
            for (uint16_t i = 0; i < c->n_match; i++)
                moat__buf_printf(b, "%s%u", i ? "," : "", c->match[i]);
            moat__buf_puts(b, "],\"rows\":");
            rows_json(b, &c->rows);
            moat__buf_puts(b, ",\"instances_until\":");
            time_json(b, c->until, INT64_MAX);
            moat__buf_putc(b, '}');
        }
        moat__buf_putc(b, ']');
    }
}

static void perim_dim(moat_buf *b, const cdomain *d, const uint64_t *s,
                      int *first)
{
    if (!open_dim(b, d, D_PERIMETERS, s, "perimeters", first))
        return;
    EACH_ATOM(d, D_PERIMETERS, s, a)
    {
        moat__buf_putc(b, '[');
        for (int k = 0; k < d->n_sides; k++) {
            const perim_side *p = &d->perim[a].side[k];
            moat__buf_puts(b, k ? ",\"" : "\"");
            if (p->sig == PSIG_INTRA)
                moat__buf_puts(b, "intra");
            else if (p->sig == PSIG_LINK)
                moat__buf_printf(b, "link:%s", p->linked);
            else
                moat__buf_puts(b, "none");
            moat__buf_putc(b, '"');
        }
        moat__buf_putc(b, ']');
    }
    moat__buf_putc(b, ']');
}

static void time_dim(moat_buf *b, const cdomain *d, const uint64_t *s,
                     int *first)
{
    if (!open_dim(b, d, D_TIME, s, "time", first))
        return;
    EACH_ATOM(d, D_TIME, s, a)
    {
        moat__buf_puts(b, "{\"from\":");
        time_json(b, d->time[a].lo, INT64_MIN);
        moat__buf_puts(b, ",\"until\":");
        time_json(b, d->time[a].hi, INT64_MAX);
        moat__buf_putc(b, '}');
    }
    moat__buf_putc(b, ']');
}

void moat__cells_when(moat_buf *b, const moat_cells *m, const cbox *x)
{
    const cdomain *d = &m->c.dom;
    int first = 1;
    moat__buf_putc(b, '{');
    enum_dim(b, d, D_PLANE, x->s[D_PLANE], "plane", plane_json, &first);
    if (open_dim(b, d, D_PATH, x->s[D_PATH], "path", &first)) {
        EACH_ATOM(d, D_PATH, x->s[D_PATH], a)
        path_item(b, &d->path[a]);
        moat__buf_putc(b, ']');
    }
    ip_dim(b, d, x->s[D_IP], &first);
    named_dim(b, d, D_REGION, x->s[D_REGION], "region", d->region, &first);
    enum_dim(b, d, D_PROTOCOL, x->s[D_PROTOCOL], "protocol", protocol_json,
             &first);
    enum_dim(b, d, D_ENDPOINT, x->s[D_ENDPOINT], "endpoint", endpoint_json,
             &first);
    enum_dim(b, d, D_OP, x->s[D_OP], "operation", op_json, &first);
    enum_dim(b, d, D_TARGET, x->s[D_TARGET], "target", target_json, &first);
    enum_dim(b, d, D_AUTH, x->s[D_AUTH], "auth", auth_json, &first);
    named_dim(b, d, D_TENANT, x->s[D_TENANT], "tenant", d->tenant, &first);
    named_dim(b, d, D_SUBSCRIPTION, x->s[D_SUBSCRIPTION], "subscription",
              d->subscription, &first);
    ident_dims(b, d, x, &first);
    perim_dim(b, d, x->s[D_PERIMETERS], &first);
    time_dim(b, d, x->s[D_TIME], &first);
    moat__buf_putc(b, '}');
}
