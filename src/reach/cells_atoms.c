/*
** cells_atoms.c - the atoms of every dimension of a request but the
** caller's identity (cells_ident.c), and what each side (a resource in an
** estate) makes of them.
**
** Named values are collected from every side, so that in a diff the two
** resources are judged over one domain: a value only one side names is an
** atom of both. "Any other" atoms stand for everything a side does not
** name, split where the procedure tells values apart (decision.md section
** 6: a subnet of the estate without a service endpoint reaching the
** resource is on the public path, one the estate does not hold is taken
** as it says).
*/
#include "cells_int.h"

#include <stdlib.h>
#include <string.h>

void *moat__cells_alloc(cctx *c, size_t n)
{
    void *p = c->failed ? NULL : moat__arena_zalloc(c->arena, n);
    if (p == NULL && !c->failed)
        c->failed = MOAT_E_NOMEM;
    return p;
}

const char *moat__cells_strdup(cctx *c, const char *s)
{
    const char *p =
        c->failed ? NULL : moat__arena_strndup(c->arena, s, strlen(s));
    if (p == NULL && !c->failed)
        c->failed = MOAT_E_NOMEM;
    return p ? p : "";
}

int32_t *moat__cells_keys(cctx *c, uint32_t n, int32_t v)
{
    int32_t *k = moat__cells_alloc(c, (n ? n : 1) * sizeof *k);
    for (uint32_t i = 0; k && i < n; i++)
        k[i] = v;
    return k;
}

uint64_t *moat__cells_full(cctx *c, uint32_t n)
{
    uint32_t words = (n + 63) / 64;
    uint64_t *s = moat__cells_alloc(c, (words ? words : 1) * sizeof *s);
    for (uint32_t i = 0; s && i < n; i++)
        moat__bit_set(s, i);
    return s;
}

/* Sets the size of dimension d (n atoms) and its full set. */
void moat__cells_dim(cctx *c, int d, uint32_t n)
{
    c->dom.n[d] = n;
    c->dom.words[d] = (n + 63) / 64;
    c->dom.all[d] = moat__cells_full(c, n);
}

/*--------------------------------------------------------------------------
** Lists of names compared ignoring case (ids, GUIDs, regions).
*/
void moat__cnames_init(cnames *l)
{
    memset(l, 0, sizeof *l);
    moat__index_init(&l->idx);
}

/* Lists of up to CNAMES_LINEAR names (most of them: one resource's
** regions, tenants, private endpoints) are searched by a scan; the index
** is built when the list grows past it (an index costs a 64-slot table). */
#define CNAMES_LINEAR 8u

static uint32_t scan_find(const cnames *l, const char *s, size_t n)
{
    for (uint32_t i = 0; i < l->n; i++) {
        if (moat__eq_ci(l->v[i], l->len[i], s, n))
            return i;
    }
    return UINT32_MAX;
}

/* Puts v[i] into the index; 0, 1 (already there: *prev) or -1. */
static int index_name(cnames *l, const char *s, size_t n, uint32_t i,
                      void **prev)
{
    return moat__index_put(&l->idx, s, n, (void *)(uintptr_t)(i + 1), prev);
}

/* The index of s (n bytes) when l holds it, else UINT32_MAX; -1 in *rc
** when out of memory, else 0. Indexes the names once they are many. */
static uint32_t held(cnames *l, const char *s, size_t n, int *rc)
{
    void *prev = NULL;
    *rc = 0;
    if (l->n < CNAMES_LINEAR)
        return scan_find(l, s, n);
    for (uint32_t i = (uint32_t)l->idx.count; *rc == 0 && i < l->n; i++)
        *rc = index_name(l, l->v[i], l->len[i], i, NULL) < 0 ? -1 : 0;
    if (*rc == 0)
        *rc = index_name(l, s, n, l->n, &prev);
    if (*rc == 1) {
        *rc = 0;
        return (uint32_t)(uintptr_t)prev - 1;
    }
    return UINT32_MAX;
}

/* Adds s (not empty) once; returns its index, or UINT32_MAX (empty, or
** out of memory: l->oom). */
uint32_t moat__cnames_add(cnames *l, const char *s)
{
    if (s == NULL || s[0] == '\0')
        return UINT32_MAX;
    int rc;
    size_t n = strlen(s);
    uint32_t at = held(l, s, n, &rc);
    if (at != UINT32_MAX)
        return at;
    if (rc == 0 && l->n == l->cap) {
        uint32_t cap = l->cap ? 2 * l->cap : 16;
        const char **v = realloc(l->v, cap * sizeof *v);
        size_t *len = v ? realloc(l->len, cap * sizeof *len) : NULL;
        if (v)
            l->v = v;
        if (len == NULL)
            rc = -1;
        else
            l->len = len, l->cap = cap;
    }
    if (rc < 0) {
        l->oom = 1;
        return UINT32_MAX;
    }
    l->v[l->n] = s;
    l->len[l->n] = n;
    return l->n++;
}

uint32_t moat__cnames_find(const cnames *l, const char *s)
{
    if (s == NULL)
        return UINT32_MAX;
    if (l->idx.count < l->n) /* not indexed (yet) */
        return scan_find(l, s, strlen(s));
    void *v = moat__index_get(&l->idx, s, strlen(s));
    return v ? (uint32_t)(uintptr_t)v - 1 : UINT32_MAX;
}

void moat__cnames_free(cnames *l)
{
    free(l->v);
    free(l->len);
    moat__index_free(&l->idx);
}

/* The names into arena memory, plus a NULL slot for "any other"; the
** count with it. */
const char **moat__cnames_keep(cctx *c, cnames *l, uint32_t *n)
{
    const char **v = moat__cells_alloc(c, (l->n + 1) * sizeof *v);
    for (uint32_t i = 0; v && i < l->n; i++)
        v[i] = l->v[i];
    *n = l->n + 1;
    if (l->oom && !c->failed)
        c->failed = MOAT_E_NOMEM;
    return v;
}

/* A text none of l holds, for an "any other" atom: base, or base with a
** number. */
const char *moat__cells_fresh(cctx *c, const cnames *l, const char *base,
                         int (*taken)(const cctx *, const char *))
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", base);
    for (unsigned i = 2; moat__cnames_find(l, buf) != UINT32_MAX ||
                         (taken && taken(c, buf));
         i++)
        snprintf(buf, sizeof buf, "%s%u", base, i);
    return moat__cells_strdup(c, buf);
}

/*--------------------------------------------------------------------------
** Enumerations: plane, protocol, endpoint, operation, auth, target.
*/
static void enum_dims(cctx *c)
{
    moat__cells_dim(c, D_PLANE, 2);         /* data, control */
    moat__cells_dim(c, D_PROTOCOL, 5);      /* moat_protocol order */
    moat__cells_dim(c, D_ENDPOINT, 7);      /* moat_endpoint order */
    moat__cells_dim(c, D_OP, 4);            /* moat_operation order */
    moat__cells_dim(c, D_AUTH, 4);          /* moat_auth order */
    moat__cells_dim(c, D_TARGET, 3);        /* $logs, $Metrics..., other */
}

/*--------------------------------------------------------------------------
** Regions (the same-region rule, Storage's alone: decision.md section 7).
*/
static void region_dim(cctx *c)
{
    cnames l;
    moat__cnames_init(&l);
    FOR_SIDES(c, s, f)
    {
        if (f->r->region < MOAT_ID_OTHER)
            moat__cnames_add(&l, f->es->regions.keys[f->r->region]);
    }
    uint32_t n;
    c->dom.region = moat__cnames_keep(c, &l, &n);
    if (c->dom.region)
        c->dom.region[n - 1] = moat__cells_fresh(c, &l, "nowhere", NULL);
    moat__cells_dim(c, D_REGION, n);
    FOR_SIDES(c, s, f)
    {
        f->same_region = moat__cells_keys(c, n, 0);
        for (uint32_t i = 0; f->same_region && i + 1 < n; i++)
            f->same_region[i] = f->r->kind == RES_STORAGE &&
                                f->r->region < MOAT_ID_OTHER &&
                                moat__eq_ci_z(f->es->regions.keys[f->r->region],
                                              l.v[i]);
    }
    moat__cnames_free(&l);
}

/*--------------------------------------------------------------------------
** Tenants: the resource's, and those of resource instance rules.
*/
static void tenant_feats(cctx *c, side_feat *f, const cnames *l, uint32_t n)
{
    const resource *r = f->r;
    f->tenant_is_res = moat__cells_keys(c, n, 0);
    f->tenant_known = moat__cells_alloc(c, n);
    f->rule_tenant = moat__cells_alloc(c, (r->n_rars + 1u) * sizeof(uint32_t));
    if (c->failed)
        return;
    for (uint32_t i = 0; i + 1 < n; i++) {
        const char *t = l->v[i];
        uint32_t id = moat__intern_find(&f->es->ids, t, strlen(t));
        f->tenant_known[i] = id < MOAT_ID_OTHER;
        f->tenant_is_res[i] = r->tenant != MOAT_ID_NONE && id == r->tenant;
    }
    for (uint16_t i = 0; i < r->n_rars; i++) {
        uint32_t a = moat__cnames_find(l, r->rars[i].tenant_text);
        f->rule_tenant[i] = a == UINT32_MAX ? n - 1 : a;
    }
}

static void tenant_dim(cctx *c)
{
    cnames l;
    moat__cnames_init(&l);
    FOR_SIDES(c, s, f)
    {
        if (f->r->tenant != MOAT_ID_NONE)
            moat__cnames_add(&l, f->r->tenant_text);
        for (uint16_t i = 0; f->r->kind == RES_STORAGE && i < f->r->n_rars;
             i++)
            moat__cnames_add(&l, f->r->rars[i].tenant_text);
    }
    uint32_t n;
    c->dom.tenant = moat__cnames_keep(c, &l, &n);
    if (c->dom.tenant)
        c->dom.tenant[n - 1] =
            moat__cells_fresh(c, &l, "00000000-0000-4000-8000-00000000aaaa", NULL);
    moat__cells_dim(c, D_TENANT, n);
    FOR_SIDES(c, s, f)
    tenant_feats(c, f, &l, n);
    moat__cnames_free(&l);
}

/*--------------------------------------------------------------------------
** Subscriptions named by the perimeter profile's inbound rules.
*/
static int32_t sub_rule(const profile *pf, uint32_t id)
{
    for (uint16_t i = 0; pf && i < pf->n_subs; i++) {
        if (pf->sub_ids[i] == id)
            return pf->sub_rule[i];
    }
    return CKEY_NONE;
}

static void subscription_dim(cctx *c)
{
    cnames l;
    moat__cnames_init(&l);
    FOR_SIDES(c, s, f)
    {
        for (uint16_t i = 0; f->pf && i < f->pf->n_subs; i++)
            moat__cnames_add(&l, f->es->ids.keys[f->pf->sub_ids[i]]);
    }
    uint32_t n;
    c->dom.subscription = moat__cnames_keep(c, &l, &n);
    if (c->dom.subscription)
        c->dom.subscription[n - 1] =
            moat__cells_fresh(c, &l, "00000000-0000-4000-8000-00000000bbbb", NULL);
    moat__cells_dim(c, D_SUBSCRIPTION, n);
    FOR_SIDES(c, s, f)
    {
        f->sub_key = moat__cells_keys(c, n, CKEY_NONE);
        for (uint32_t i = 0; f->sub_key && i + 1 < n; i++) {
            uint32_t id =
                moat__intern_find(&f->es->ids, l.v[i], strlen(l.v[i]));
            f->sub_key[i] = id < MOAT_ID_OTHER ? sub_rule(f->pf, id)
                                               : CKEY_NONE;
        }
    }
    moat__cnames_free(&l);
}

/*--------------------------------------------------------------------------
** Time: the intervals between the catalog's dates (decision.md section 2:
** time selects the catalog rows in force and changes nothing else).
*/
static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void time_dim(cctx *c)
{
    size_t rows = moat__catalog_size, n = 0;
    int64_t *at = malloc((2 * rows + 1) * sizeof *at);
    if (at == NULL) {
        c->failed = MOAT_E_NOMEM;
        return;
    }
    for (size_t i = 0; i < rows; i++) {
        if (moat__catalog_rows[i].since != INT64_MIN)
            at[n++] = moat__catalog_rows[i].since;
        if (moat__catalog_rows[i].until != INT64_MAX)
            at[n++] = moat__catalog_rows[i].until;
    }
    qsort(at, n, sizeof *at, cmp_i64);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k == 0 || at[k - 1] != at[i])
            at[k++] = at[i];
    }
    c->dom.time = moat__cells_alloc(c, (k + 1) * sizeof *c->dom.time);
    for (size_t i = 0; c->dom.time && i <= k; i++) {
        c->dom.time[i].lo = i ? at[i - 1] : INT64_MIN;
        c->dom.time[i].hi = i < k ? at[i] : INT64_MAX;
    }
    free(at);
    moat__cells_dim(c, D_TIME, (uint32_t)k + 1);
}

/*--------------------------------------------------------------------------
** The entry point; the path, address and perimeter dimensions are in
** cells_path.c.
*/
int moat__cells_atoms(cctx *c, const char *const *extra_subnets,
                      size_t n_extra)
{
    enum_dims(c);
    region_dim(c);
    tenant_dim(c);
    subscription_dim(c);
    time_dim(c);
    if (!c->failed)
        moat__cells_path(c, extra_subnets, n_extra);
    if (!c->failed)
        moat__cells_ip(c);
    if (!c->failed)
        moat__cells_perimeters(c);
    return c->failed ? -1 : 0;
}
