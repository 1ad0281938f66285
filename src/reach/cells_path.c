/*
** cells_path.c - the atoms of where a request comes from: its path
** (private endpoint, subnet, public), its source address, and the caller's
** perimeters.
*/
#include "cells_int.h"

#include <stdlib.h>
#include <string.h>

/*--------------------------------------------------------------------------
** Path: private endpoints first (decision.md section 4, step 1), then the
** subnet a service endpoint carries the request from (section 6).
*/
/* The id is a subnet of some side's estate. */
static int subnet_in_estate(const cctx *c, const char *id)
{
    for (int s = 0; s < c->dom.n_sides; s++) {
        const moat_estate *es = c->dom.side[s].es;
        if (es && moat__index_get(&es->subnet_by_id, id, strlen(id)))
            return 1;
    }
    return 0;
}

/* Whether side f's resource is reached from subnet id through a service
** endpoint (a subnet its estate lacks is taken as it says). */
static int reaches(const side_feat *f, const char *id)
{
    const subnet_info *si =
        moat__index_get(&f->es->subnet_by_id, id, strlen(id));
    return moat__subnet_reaches(si, f->r);
}

/* A subnet of the estates that no side's resource reaches and that is
** not named: the witness of "another subnet, on the public path". */
static const char *noreach_witness(cctx *c, const cnames *named)
{
    FOR_SIDES(c, s, f)
    {
        for (size_t i = 0; i < f->es->n_subnets; i++) {
            const char *id = f->es->subnets[i].id;
            int all = moat__cnames_find(named, id) == UINT32_MAX;
            FOR_SIDES(c, t, g)
            all = all && !reaches(g, id);
            if (all)
                return id;
        }
    }
    return NULL;
}

/* The first connection of r from private endpoint id, or r->n_pes: none
** (a small key keeps the split's group map small). */
static int32_t pe_conn_of(const resource *r, const char *id)
{
    for (uint16_t i = 0; i < r->n_pes; i++) {
        if (moat__eq_ci_z(r->pes[i].pe_id, id))
            return i;
    }
    return r->n_pes;
}

/* The lowest active virtual network rule of r per subnet id, by an index
** of the ids (a maximum-size account has 400 rules and 400 subnets). */
typedef struct vnet_index {
    cnames ids;
    int32_t *best;
} vnet_index;

static void vnet_index_build(cctx *c, const resource *r, vnet_index *x)
{
    moat__cnames_init(&x->ids);
    x->best = moat__cells_keys(c, r->n_vnet_active + 1u, CKEY_NONE);
    for (uint16_t i = 0; x->best && i < r->n_vnet_active; i++) {
        uint16_t w = r->vnet_which[i];
        uint32_t k = moat__cnames_add(&x->ids, r->vnets[w].id);
        if (k != UINT32_MAX && (x->best[k] < 0 || w < x->best[k]))
            x->best[k] = w;
    }
}

static int32_t vnet_lookup(const vnet_index *x, const char *id)
{
    uint32_t k = moat__cnames_find(&x->ids, id);
    return k == UINT32_MAX || x->best == NULL ? CKEY_NONE : x->best[k];
}

static void path_feats(cctx *c, side_feat *f)
{
    uint32_t n = c->dom.n[D_PATH];
    vnet_index vx;
    if (c->dom.probe_only) /* the public path alone: no subnet to look up */
        memset(&vx, 0, sizeof vx);
    else
        vnet_index_build(c, f->r, &vx);
    f->pe_key = moat__cells_keys(c, n, CKEY_NONE);
    f->se_key = moat__cells_keys(c, n, CKEY_NONE);
    f->vnet_key = moat__cells_keys(c, n, CKEY_NONE);
    f->fw_key = moat__cells_keys(c, n, CKEY_NONE);
    for (uint32_t i = 0; !c->failed && i < n; i++) {
        const path_atom *a = &c->dom.path[i];
        switch (a->kind) {
        case PATH_PE: f->pe_key[i] = pe_conn_of(f->r, a->id); break;
        case PATH_PE_OTHER: f->pe_key[i] = f->r->n_pes; break;
        case PATH_PUBLIC: f->se_key[i] = 0; break;
        case PATH_SUBNET:
            f->se_key[i] = reaches(f, a->id);
            f->vnet_key[i] = vnet_lookup(&vx, a->id);
            break;
        case PATH_SUBNET_REACH: f->se_key[i] = 1; break;
        case PATH_SUBNET_NOREACH: f->se_key[i] = 0; break;
        }
        f->fw_key[i] = f->se_key[i] == 0 ? -2 : f->vnet_key[i];
    }
    if (vx.ids.oom && !c->failed)
        c->failed = MOAT_E_NOMEM;
    moat__cnames_free(&vx.ids);
}

static void path_add(cctx *c, uint32_t *k, path_kind kind, const char *id)
{
    c->dom.path[*k].kind = kind;
    c->dom.path[(*k)++].id = id;
}

/* The internet probe's path alone (moat__cells_internet): public. */
static int public_path_only(cctx *c)
{
    uint32_t k = 0;
    c->dom.path = moat__cells_alloc(c, sizeof *c->dom.path);
    if (c->dom.path)
        path_add(c, &k, PATH_PUBLIC, NULL);
    moat__cells_dim(c, D_PATH, 1);
    FOR_SIDES(c, s, f)
    path_feats(c, f);
    return c->failed ? -1 : 0;
}

int moat__cells_path(cctx *c, const char *const *extra, size_t n_extra)
{
    if (c->dom.probe_only)
        return public_path_only(c);
    cnames pes, subnets;
    moat__cnames_init(&pes);
    moat__cnames_init(&subnets);
    FOR_SIDES(c, s, f)
    {
        for (uint16_t i = 0; i < f->r->n_pes; i++)
            moat__cnames_add(&pes, f->r->pes[i].pe_id);
        for (uint16_t i = 0; i < f->r->n_vnet_active; i++)
            moat__cnames_add(&subnets, f->r->vnets[f->r->vnet_which[i]].id);
    }
    for (size_t i = 0; i < n_extra; i++)
        moat__cnames_add(&subnets, extra[i]);
    const char *noreach = noreach_witness(c, &subnets);
    uint32_t n = pes.n + subnets.n + 3 + (noreach != NULL), k = 0;
    c->dom.path = moat__cells_alloc(c, n * sizeof *c->dom.path);
    if (c->dom.path && !pes.oom && !subnets.oom) {
        for (uint32_t i = 0; i < pes.n; i++)
            path_add(c, &k, PATH_PE, pes.v[i]);
        path_add(c, &k, PATH_PE_OTHER,
                 moat__cells_fresh(c, &pes,
                                   "/subscriptions/00000000-0000-4000-8000-"
                                   "00000000cccc/resourceGroups/moat/providers/"
                                   "Microsoft.Network/privateEndpoints/other",
                                   NULL));
        path_add(c, &k, PATH_PUBLIC, NULL);
        for (uint32_t i = 0; i < subnets.n; i++)
            path_add(c, &k, PATH_SUBNET, subnets.v[i]);
        path_add(c, &k, PATH_SUBNET_REACH,
                 moat__cells_fresh(c, &subnets,
                                   "/subscriptions/00000000-0000-4000-8000-"
                                   "00000000cccc/resourceGroups/moat/providers/"
                                   "Microsoft.Network/virtualNetworks/other/"
                                   "subnets/other",
                                   subnet_in_estate));
        if (noreach)
            path_add(c, &k, PATH_SUBNET_NOREACH, noreach);
    } else if (!c->failed) {
        c->failed = MOAT_E_NOMEM;
    }
    moat__cnames_free(&pes);
    moat__cnames_free(&subnets);
    moat__cells_dim(c, D_PATH, n);
    FOR_SIDES(c, s, f)
    path_feats(c, f);
    return c->failed ? -1 : 0;
}

/*--------------------------------------------------------------------------
** Source addresses: no address, then IPv4 and IPv6 intervals cut at the
** bounds of every address rule of every side (IP rules, perimeter
** prefixes, service-tag prefixes), so that each rule holds an interval
** whole or not at all.
*/
typedef struct cuts {
    moat_u128 *v;
    size_t n, cap;
} cuts;

static int cut_add(cuts *k, moat_u128 x)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 64;
        moat_u128 *v = realloc(k->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        k->v = v;
        k->cap = cap;
    }
    k->v[k->n++] = x;
    return 0;
}

static int cmp_u128(const void *a, const void *b)
{
    return moat__u128_cmp(*(const moat_u128 *)a, *(const moat_u128 *)b);
}

static moat_u128 inc128(moat_u128 v)
{
    if (++v.lo == 0)
        v.hi++;
    return v;
}

/* The cuts of set p's family-f intervals: each start, and each end + 1
** short of the family's last address. */
static int cuts_of(cuts *k, const moat_prefix_set *p, int family)
{
    int rc = 0;
    if (family == 4) {
        for (uint32_t i = 0; i < p->n4; i++) {
            rc |= cut_add(k, (moat_u128){0, p->v4[i].lo});
            if (p->v4[i].hi != UINT32_MAX)
                rc |= cut_add(k, (moat_u128){0, (uint64_t)p->v4[i].hi + 1});
        }
    } else {
        for (uint32_t i = 0; i < p->n6; i++) {
            rc |= cut_add(k, p->v6[i].lo);
            if (p->v6[i].hi.hi != UINT64_MAX || p->v6[i].hi.lo != UINT64_MAX)
                rc |= cut_add(k, inc128(p->v6[i].hi));
        }
    }
    return rc;
}

/* The sorted distinct cuts of family f over every side's address sets,
** 0 first. */
static int family_cuts(cctx *c, cuts *k, int family)
{
    int rc = cut_add(k, (moat_u128){0, 0});
    FOR_SIDES(c, s, f)
    {
        rc |= cuts_of(k, &f->r->ips, family);
        if (f->pf) {
            rc |= cuts_of(k, &f->pf->prefixes, family);
            rc |= cuts_of(k, &f->pf->tag_prefixes, family);
        }
    }
    if (rc)
        return -1;
    qsort(k->v, k->n, sizeof *k->v, cmp_u128);
    size_t m = 0;
    for (size_t i = 0; i < k->n; i++) {
        if (m == 0 || moat__u128_cmp(k->v[m - 1], k->v[i]) != 0)
            k->v[m++] = k->v[i];
    }
    k->n = m;
    return 0;
}

/* The lowest rule of set p over each atom of family f (atoms first ..
** first + n), walking both in order; -1 where none. */
static void rules_over(const cctx *c, const moat_prefix_set *p, int family,
                       uint32_t first, uint32_t n, int32_t *key)
{
    uint32_t j = 0, m = family == 4 ? p->n4 : p->n6;
    for (uint32_t i = first; i < first + n; i++) {
        moat_u128 lo = c->dom.ip[i].lo;
        moat_u128 hi, at;
        for (;; j++) {
            if (j >= m)
                break;
            hi = family == 4 ? (moat_u128){0, p->v4[j].hi} : p->v6[j].hi;
            if (moat__u128_cmp(hi, lo) >= 0)
                break;
        }
        if (j >= m)
            continue;
        at = family == 4 ? (moat_u128){0, p->v4[j].lo} : p->v6[j].lo;
        if (moat__u128_cmp(at, lo) <= 0)
            key[i] = family == 4 ? p->v4[j].rule : p->v6[j].rule;
    }
}

static int32_t min_key(int32_t a, int32_t b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

static void ip_feats(cctx *c, side_feat *f)
{
    uint32_t n = c->dom.n[D_IP], n4 = c->dom.n_ip4, n6 = n - 1 - n4;
    f->ip_key = moat__cells_keys(c, n, CKEY_NONE);
    f->perim_key = moat__cells_keys(c, n, CKEY_NONE);
    int32_t *tags = moat__cells_keys(c, n, CKEY_NONE);
    if (c->failed)
        return;
    rules_over(c, &f->r->ips, 4, 1, n4, f->ip_key);
    rules_over(c, &f->r->ips, 6, 1 + n4, n6, f->ip_key);
    if (f->pf == NULL)
        return;
    rules_over(c, &f->pf->prefixes, 4, 1, n4, f->perim_key);
    rules_over(c, &f->pf->prefixes, 6, 1 + n4, n6, f->perim_key);
    /* A vault's service-tag rules match from Azure's service-tag file;
    ** a storage account's never (decision.md section 4). */
    if (f->r->kind != RES_KEYVAULT || !f->es->has_service_tags)
        return;
    rules_over(c, &f->pf->tag_prefixes, 4, 1, n4, tags);
    rules_over(c, &f->pf->tag_prefixes, 6, 1 + n4, n6, tags);
    for (uint32_t i = 0; i < n; i++)
        f->perim_key[i] = min_key(f->perim_key[i], tags[i]);
}

static void ip_atoms(cctx *c, const cuts *k, int family, uint32_t *at)
{
    moat_u128 last = family == 4 ? (moat_u128){0, UINT32_MAX}
                                 : (moat_u128){UINT64_MAX, UINT64_MAX};
    for (size_t i = 0; i < k->n; i++) {
        ip_atom *a = &c->dom.ip[(*at)++];
        a->family = (uint8_t)family;
        a->lo = k->v[i];
        if (i + 1 < k->n) {
            a->hi = k->v[i + 1];
            if (a->hi.lo-- == 0)
                a->hi.hi--;
        } else {
            a->hi = last;
        }
    }
}

int moat__cells_ip(cctx *c)
{
    cuts k4 = {NULL, 0, 0}, k6 = {NULL, 0, 0};
    if (family_cuts(c, &k4, 4) == 0 && family_cuts(c, &k6, 6) == 0) {
        uint32_t n = (uint32_t)(1 + k4.n + k6.n), at = 1;
        c->dom.ip = moat__cells_alloc(c, n * sizeof *c->dom.ip);
        c->dom.n_ip4 = (uint32_t)k4.n;
        if (c->dom.ip) {
            ip_atoms(c, &k4, 4, &at);
            ip_atoms(c, &k6, 6, &at);
        }
        moat__cells_dim(c, D_IP, n);
    } else {
        c->failed = MOAT_E_NOMEM;
    }
    free(k4.v);
    free(k6.v);
    FOR_SIDES(c, s, f)
    ip_feats(c, f);
    return c->failed ? -1 : 0;
}
