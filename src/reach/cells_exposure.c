/*
** cells_exposure.c - the exposure projection of docs/reach.md, computed
** from the cells by probes (cells_probe.c): who gets in, by source class.
*/
#include "cells_probe.h"
#include "reach.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t moat__cells_now(void)
{
    return (int64_t)time(NULL);
}

/* The admitting rule's kind and index of cell i on side, or RK_NONE. */
static rule_kind admits_in(const moat_cells *m, size_t i, int side,
                           uint16_t *index)
{
    moat_decision d;
    if (moat_cell_decision(m, i, side, &d) != MOAT_OK ||
        d.verdict != MOAT_ALLOW)
        return RK_NONE;
    *index = MOAT_RULE_INDEX(d.rule_);
    return MOAT_RULE_KIND(d.rule_);
}

static rule_kind admits_at(const moat_cells *m, const cpoint *p, int side,
                           uint16_t *index)
{
    size_t i = moat__probe_cell(m, p);
    return i == SIZE_MAX ? RK_NONE : admits_in(m, i, side, index);
}

/* A list of names gathered by a pass of probes, each once, in order. */
#define NAMES_MAX 1024
#define NAMES_SEEN 4096 /* a power of two */
typedef struct names_pass {
    const char *seen[NAMES_SEEN]; /* texts met, by pointer */
    int by_text; /* distinct pointers may hold one text */
    int n_seen;
    const moat_cells *m;
    int side;
    rule_kind want, want2;
    const char *v[NAMES_MAX];
    int n;
    int (*name)(struct names_pass *, const cpoint *, rule_kind, uint16_t,
                const char **);
} names_pass;

static void names_add(names_pass *x, const char *s)
{
    /* Most visits bring a text already seen: its pointer says so. */
    size_t h = ((uintptr_t)s >> 3) & (NAMES_SEEN - 1);
    while (x->seen[h] && x->seen[h] != s)
        h = (h + 1) & (NAMES_SEEN - 1);
    if (x->seen[h] == s)
        return;
    if (x->n_seen + 1 < NAMES_SEEN / 2) {
        x->seen[h] = s;
        x->n_seen++;
    }
    for (int i = 0; x->by_text && i < x->n; i++) {
        if (strcmp(x->v[i], s) == 0)
            return; /* two catalog rows, one service */
    }
    if (x->n < NAMES_MAX)
        x->v[x->n++] = s;
}

static void names_visit(void *ctx, size_t cell, const cpoint *p)
{
    names_pass *x = ctx;
    uint16_t i = 0;
    const char *s = NULL;
    rule_kind k = admits_in(x->m, cell, x->side, &i);
    if (k != RK_NONE &&
        (k == x->want || (x->want2 != RK_NONE && k == x->want2)) &&
        x->name(x, p, k, i, &s) && s)
        names_add(x, s);
}

static void names_json(moat_buf *b, const names_pass *x, const char *key)
{
    moat__buf_printf(b, ",\"%s\":[", key);
    for (int i = 0; i < x->n; i++) {
        moat__buf_puts(b, i ? "," : "");
        moat__buf_json_cstr(b, x->v[i]);
    }
    moat__buf_putc(b, ']');
}

static void addresses_json(moat_buf *b, const moat_cells *m, const cpoint *p,
                           int side)
{
    probe_addrs a;
    moat__probe_addresses(m, p, side, &a);
    char v6[48];
    moat__cells_u128_text((uint64_t)(a.ipv6 >> 64), (uint64_t)a.ipv6,
                          a.ipv6_all, v6, sizeof v6);
    moat__buf_printf(b, "{\"ipv4\":%llu,\"ipv6\":\"%s\",\"ranges\":[",
                     (unsigned long long)a.ipv4, v6);
    moat__probe_ranges(b, m, &a);
    moat__buf_puts(b, "]}");
    moat__probe_free(&a);
}

static int trusted_name(names_pass *x, const cpoint *p, rule_kind k,
                        uint16_t i, const char **s)
{
    (void)k;
    /* the probes: caller.service set, or absent with any resource id */
    if (p->a[D_SERVICE] != 0 && p->a[D_CALLER] != 0)
        return 0;
    (void)x;
    *s = moat__catalog_entries[i].service;
    return 1;
}

static int instance_name(names_pass *x, const cpoint *p, rule_kind k,
                         uint16_t i, const char **s)
{
    (void)k;
    (void)p;
    *s = x->m->c.dom.side[x->side].r->rars[i].resource_id;
    return 1;
}

static int path_name(names_pass *x, const cpoint *p, rule_kind k, uint16_t i,
                     const char **s)
{
    (void)k;
    (void)i;
    const path_atom *a = &x->m->c.dom.path[p->a[D_PATH]];
    *s = a->kind == PATH_SUBNET || a->kind == PATH_PE ? a->id : NULL;
    return 1;
}

static int subscription_name(names_pass *x, const cpoint *p, rule_kind k,
                             uint16_t i, const char **s)
{
    (void)k;
    (void)i;
    uint32_t a = p->a[D_SUBSCRIPTION];
    *s = a + 1 < x->m->c.dom.n[D_SUBSCRIPTION] ? x->m->c.dom.subscription[a]
                                               : NULL;
    return 1;
}

static int perimeter_name(names_pass *x, const cpoint *p, rule_kind k,
                          uint16_t i, const char **s)
{
    (void)i;
    const perim_atom *a = &x->m->c.dom.perim[p->a[D_PERIMETERS]];
    *s = k == RK_INTRA ? (a->n_list ? a->list[0] : NULL)
                       : a->side[x->side].linked;
    return 1;
}

/* One pass of probes over dimension d1 from base, then (d2 >= 0) one over
** d2: the points that differ from base in one of them. */
static void pass(moat_buf *b, const moat_cells *m, int side, const cpoint *base,
                 int d1, int d2, rule_kind want, rule_kind want2,
                 int (*name)(names_pass *, const cpoint *, rule_kind, uint16_t,
                             const char **),
                 const char *key)
{
    names_pass *x = calloc(1, sizeof *x);
    if (x == NULL) {
        b->failed = 1;
        return;
    }
    x->m = m;
    x->side = side;
    x->want = want;
    x->want2 = want2;
    x->name = name;
    x->by_text = name == trusted_name || name == instance_name;
    if (d2 < 0) {
        moat__probe_each(m, base, d1, -1, names_visit, x);
    } else { /* the points of d1 with d2 at base's, then the reverse */
        moat__probe_each(m, base, d1, -1, names_visit, x);
        moat__probe_each(m, base, d2, -1, names_visit, x);
    }
    names_json(b, x, key);
    free(x);
}

/* The tenant atom of the side's resource, or -1 (tenant unknown). */
static int32_t own_tenant(const moat_cells *m, int side)
{
    const side_feat *f = &m->c.dom.side[side];
    for (uint32_t t = 0; f->tenant_is_res && t < m->c.dom.n[D_TENANT]; t++) {
        if (f->tenant_is_res[t])
            return (int32_t)t;
    }
    return -1;
}

/* Trusted services and resource instances: an OAuth caller of the
** resource's tenant without an address; subnets and private endpoints
** that admit the internet probe's caller; perimeter subscriptions and
** perimeters that admit an OAuth caller. */
static void lists_json(moat_buf *b, const moat_cells *m, int side,
                       const cpoint *base)
{
    cpoint p = *base;
    int32_t t = own_tenant(m, side);
    p.a[D_IP] = 0;
    p.a[D_AUTH] = MOAT_AUTH_OAUTH;
    if (t >= 0)
        p.a[D_TENANT] = (uint32_t)t;
    pass(b, m, side, &p, D_SERVICE, D_CALLER, t >= 0 ? RK_TRUSTED : RK_NONE,
         RK_NONE, trusted_name, "trusted_services");
    p.a[D_SERVICE] = 0;
    pass(b, m, side, &p, D_CALLER, -1, t >= 0 ? RK_RAR : RK_NONE, RK_NONE,
         instance_name, "instances");
    cpoint q = *base;
    q.a[D_IP] = 0;
    pass(b, m, side, &q, D_PATH, -1, RK_VNET, RK_NONE, path_name, "subnets");
    pass(b, m, side, &q, D_PATH, -1, RK_PE, RK_NONE, path_name,
         "private_endpoints");
    q.a[D_AUTH] = MOAT_AUTH_OAUTH;
    pass(b, m, side, &q, D_SUBSCRIPTION, -1, RK_NSP_RULE, RK_NONE,
         subscription_name, "subscriptions");
    pass(b, m, side, &q, D_PERIMETERS, -1, RK_INTRA, RK_LINK, perimeter_name,
         "perimeters");
}

static int bypass_read(const moat_cells *m, int side, const cpoint *base,
                       uint32_t target, moat_endpoint ep, rule_kind want)
{
    cpoint p = *base;
    uint16_t i = 0;
    if (m->c.dom.kind != RES_STORAGE)
        return 0;
    p.a[D_IP] = 0;
    p.a[D_TARGET] = target;
    p.a[D_ENDPOINT] = ep;
    return admits_at(m, &p, side, &i) == want;
}

/* The region atom of the side's resource, or -1. */
static int32_t own_region(const moat_cells *m, int side)
{
    const cdomain *d = &m->c.dom;
    const resource *r = d->side[side].r;
    for (uint32_t a = 0; r->location && a + 1 < d->n[D_REGION]; a++) {
        if (d->side[side].same_region[a])
            return (int32_t)a;
    }
    return -1;
}

void moat__cells_exposure(moat_buf *b, const moat_cells *m, int side)
{
    cpoint base, p;
    moat__probe_base(m, side, moat__cells_now(), &base);
    moat__buf_puts(b, "{\"internet\":");
    addresses_json(b, m, &base, side);
    p = base;
    p.a[D_AUTH] = MOAT_AUTH_OAUTH;
    moat__buf_puts(b, ",\"internet_oauth\":");
    addresses_json(b, m, &p, side);
    if (m->c.dom.kind == RES_STORAGE) {
        int32_t rg = own_region(m, side);
        p = base;
        moat__buf_puts(b, ",\"same_region\":");
        if (rg >= 0) {
            p.a[D_REGION] = (uint32_t)rg;
            addresses_json(b, m, &p, side);
        } else {
            moat__buf_puts(b, "null");
        }
    }
    lists_json(b, m, side, &base);
    moat__buf_printf(
        b, ",\"logs\":%s,\"metrics\":%s}",
        bypass_read(m, side, &base, 0, MOAT_ENDPOINT_BLOB, RK_BYPASS_LOGGING)
            ? "true"
            : "false",
        bypass_read(m, side, &base, 1, MOAT_ENDPOINT_TABLE, RK_BYPASS_METRICS)
            ? "true"
            : "false");
}

MOAT_API char *moat_cells_exposure_json(const moat_cells *m, int side,
                                        size_t *len)
{
    if (m == NULL || side < 0 || side >= m->c.dom.n_sides ||
        m->c.dom.side[side].r == NULL)
        return NULL;
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__cells_exposure(&b, m, side);
    return moat__cells_take(&b, len);
}

int moat__reach_internet(const moat_estate *es, const resource *r,
                         moat_u128 *v4, moat_u128 *v6, int *v6_all)
{
    moat_cells *m = NULL;
    int64_t now = moat__cells_now();
    if (moat__cells_internet(es, r, now, &m) != MOAT_OK)
        return -1;
    cpoint base;
    probe_addrs a;
    moat__probe_base(m, 0, now, &base);
    moat__probe_addresses(m, &base, 0, &a);
    int rc = a.atoms ? 0 : -1;
    *v4 = (moat_u128){0, a.ipv4};
    *v6 = (moat_u128){(uint64_t)(a.ipv6 >> 64), (uint64_t)a.ipv6};
    *v6_all = a.ipv6_all;
    moat__probe_free(&a);
    moat_cells_free(m);
    return rc;
}
