/*
** netmap.c - the estate's network map: which subnet a private address
** belongs to, where each private endpoint sits, which resource holds a
** managed identity's principal, and which perimeter each resource is a
** member of. Compiled with the estate; read by replay (log.c) to turn a log
** record's caller into the request Azure saw.
*/
#include "load.h"

#include <stdlib.h>
#include <string.h>

static int cmp_site(const void *x, const void *y)
{
    const net_site *a = x, *b = y;
    if (a->cidr.addr.family != b->cidr.addr.family)
        return a->cidr.addr.family < b->cidr.addr.family ? -1 : 1;
    moat_u128 alo, ahi, blo, bhi;
    moat__cidr_range(&a->cidr, &alo, &ahi);
    moat__cidr_range(&b->cidr, &blo, &bhi);
    return moat__u128_cmp(alo, blo);
}

/* Marks every site whose range overlaps another's: for those, a lookup
** lists all candidates instead of trusting the lowest index. Sites are
** sorted by family and start, so an overlap is with a running maximum. */
static void mark_overlaps(net_site *v, size_t n)
{
    moat_u128 max_hi = {0, 0};
    size_t max_at = 0;
    for (size_t i = 0; i < n; i++) {
        moat_u128 lo, hi;
        moat__cidr_range(&v[i].cidr, &lo, &hi);
        int same_family =
            i > 0 && v[i].cidr.addr.family == v[i - 1].cidr.addr.family;
        if (same_family && moat__u128_cmp(lo, max_hi) <= 0) {
            v[i].overlaps = 1;
            v[max_at].overlaps = 1;
        }
        if (!same_family || moat__u128_cmp(hi, max_hi) > 0) {
            max_hi = hi;
            max_at = i;
        }
    }
}

static int compile_sites(moat_loader *ld, moat_estate *es)
{
    netmap *m = &es->map;
    size_t n = 0;
    for (raw_subnet *s = ld->subnets; s; s = s->next)
        n += s->n_prefixes;
    if (n == 0)
        return 0;
    if (n > 0xFFFF) {
        moat__diag_at(
            ld, &ld->subnets->loc, MOAT_SEV_WARNING, MOAT_E_LIMIT,
            "%zu subnet address ranges; replay maps only the first 65535", n);
        n = 0xFFFF;
    }
    m->sites = moat__arena_alloc(&es->arena, n * sizeof *m->sites);
    if (m->sites == NULL)
        return -1;
    for (raw_subnet *s = ld->subnets; s && m->n_sites < n; s = s->next) {
        const subnet_info *si =
            moat__index_get(&es->subnet_by_id, s->id, strlen(s->id));
        for (uint16_t i = 0; si && i < s->n_prefixes && m->n_sites < n; i++) {
            net_site *site = &m->sites[m->n_sites++];
            site->cidr = s->prefixes[i];
            site->subnet = si;
            site->overlaps = 0;
        }
    }
    qsort(m->sites, m->n_sites, sizeof *m->sites, cmp_site);
    mark_overlaps(m->sites, m->n_sites);
    moat_prefix_builder b;
    moat__prefix_builder_init(&b);
    for (size_t i = 0; i < m->n_sites; i++)
        moat__prefix_builder_add(&b, &m->sites[i].cidr, (uint16_t)i);
    moat_status st = moat__prefix_build(&b, &es->arena, &m->site_set);
    moat__prefix_builder_free(&b);
    return st == MOAT_OK ? 0 : -1;
}

static int compile_pe_sites(moat_loader *ld, moat_estate *es)
{
    for (raw_pe_site *p = ld->pe_sites; p; p = p->next) {
        subnet_info *si = moat__index_get(&es->subnet_by_id, p->subnet_id,
                                          strlen(p->subnet_id));
        if (si == NULL)
            continue; /* its subnet is not in the estate: nothing to map */
        const char *id =
            moat__arena_strndup(&es->arena, p->pe_id, strlen(p->pe_id));
        if (id == NULL ||
            moat__index_put(&es->map.pe_subnet, id, strlen(id), si, NULL) < 0)
            return -1;
    }
    return 0;
}

/* Whether a request could hold the caller's id (n bytes) and then its
** subscription (sn bytes) in its string pool: moat_request_set() refuses
** (MOAT_E_LIMIT) what it cannot (request.c: pool_copy, the pool check). */
static int id_fits_request(size_t n)
{
    return n + 1 <= MOAT_REQ_POOL;
}

static int subscription_fits_request(size_t n, size_t sn)
{
    size_t used = n + 1;
    if (sn + 1 <= MOAT_REQ_POOL - used)
        used += sn + 1;
    return used < MOAT_REQ_POOL - 1;
}

/* The caller's subscription, as caller.subscription sets it: the id's
** second segment when the first is "subscriptions". */
static void prepare_subscription(moat_estate *es, principal *pr)
{
    const char *id = pr->resource_id;
    if (pr->seg.n < 2 ||
        !moat__eq_ci(id + pr->seg.off[0], pr->seg.len[0], "subscriptions", 13))
        return;
    const char *v = id + pr->seg.off[1];
    size_t n = pr->seg.len[1];
    uint32_t interned = MOAT_ID_NONE; /* an empty value sets nothing */
    if (n) {
        char guid[128];
        if (moat__subscription_of(v, n, guid, sizeof guid) != 0 ||
            !subscription_fits_request(pr->id_len, n))
            return;
        interned = moat__intern_find(&es->ids, guid, strlen(guid));
    }
    pr->subscription_text = moat__arena_strndup(&es->arena, v, n);
    pr->subscription = interned;
}

/* The caller fields a request from this identity gets, computed once per
** identity, the same as moat_request_set() computes for
** caller.resource_id and caller.subscription (request.c: set_caller_id,
** compute_trust): its segments, hashes and catalog rows; none for an id
** a request refuses (too long, too many segments). */
static int prepare_caller(moat_estate *es, principal *pr)
{
    const char *id = pr->resource_id;
    size_t n = pr->id_len = strlen(id);
    pr->subscription = MOAT_ID_OTHER;
    pr->perimeter = MOAT_ID_OTHER;
    pr->trust.instances_row = -1;
    pr->trust.instances_until = INT64_MAX;
    moat_segments seg;
    if (n && id_fits_request(n) && moat__segments_split(id, n, &seg) == 0) {
        char type[512];
        size_t tn = moat__arm_type_of(id, n, type, sizeof type);
        pr->seg = seg;
        pr->hash = moat__hash_ci(id, n);
        pr->type_hash = tn ? moat__hash_ci(type, tn) : 0;
        moat__catalog_rows_of(type, tn, type, tn, &pr->trust);
        prepare_subscription(es, pr);
    }
    const perimeter *p = moat__index_get(&es->map.member_of, id, n);
    if (p && p->guid_text) {
        pr->perimeter_text = p->guid_text;
        pr->perimeter = p->guid;
    }
    return 0;
}

static int compile_principals(moat_loader *ld, moat_estate *es)
{
    size_t n = 0;
    for (raw_principal *p = ld->principals; p; p = p->next)
        n++;
    es->map.list =
        n ? moat__arena_alloc(&es->arena, n * sizeof *es->map.list) : NULL;
    if (n && es->map.list == NULL)
        return -1;
    for (raw_principal *p = ld->principals; p; p = p->next) {
        principal *pr = moat__arena_zalloc(&es->arena, sizeof *pr);
        const char *key = moat__arena_strndup(&es->arena, p->principal_id,
                                              strlen(p->principal_id));
        if (pr == NULL || key == NULL)
            return -1;
        pr->resource_id = moat__arena_strndup(&es->arena, p->resource_id,
                                              strlen(p->resource_id));
        pr->location = p->location
                           ? moat__arena_strndup(&es->arena, p->location,
                                                 strlen(p->location))
                           : NULL;
        pr->principal_id = key;
        pr->tenant_id = p->tenant_id
                            ? moat__arena_strndup(&es->arena, p->tenant_id,
                                                  strlen(p->tenant_id))
                            : NULL;
        es->map.list[es->map.n_principals++] = pr;
        if (pr->resource_id == NULL || prepare_caller(es, pr) < 0)
            return -1;
        void *prev = NULL;
        int rc =
            moat__index_put(&es->map.principals, key, strlen(key), pr, &prev);
        if (rc < 0)
            return -1;
        if (rc == 1 &&
            strcmp(((principal *)prev)->resource_id, pr->resource_id) != 0)
            moat__diag_at(
                ld, &p->loc, MOAT_SEV_WARNING, MOAT_E_INVAL,
                "principal %s is held by %s and by %s; replay maps it to the first",
                p->principal_id, ((principal *)prev)->resource_id,
                p->resource_id);
    }
    return 0;
}

static const perimeter *perimeter_by_id(const moat_estate *es, const char *id)
{
    for (size_t i = 0; id && i < es->n_perimeters; i++) {
        if (moat__eq_ci_z(es->perimeters[i].id, id))
            return &es->perimeters[i];
    }
    return NULL;
}

/* Every associated resource (in any mode) is a member of its perimeter:
** its calls carry the perimeter (decision.md section 2,
** caller.perimeters). */
static int compile_members(moat_loader *ld, moat_estate *es)
{
    for (raw_assoc *a = ld->assocs; a; a = a->next) {
        const perimeter *p = perimeter_by_id(es, a->perimeter_id);
        if (p == NULL || a->resource_id == NULL || p->guid_text == NULL)
            continue;
        const char *id = moat__arena_strndup(&es->arena, a->resource_id,
                                             strlen(a->resource_id));
        if (id == NULL || moat__index_put(&es->map.member_of, id, strlen(id),
                                          (void *)p, NULL) < 0)
            return -1;
    }
    return 0;
}

int moat__compile_netmap(moat_loader *ld, moat_estate *es)
{
    moat__index_init(&es->map.pe_subnet);
    moat__index_init(&es->map.principals);
    moat__index_init(&es->map.member_of);
    if (compile_sites(ld, es) < 0 || compile_pe_sites(ld, es) < 0 ||
        compile_members(ld, es) < 0 || compile_principals(ld, es) < 0)
        return -1;
    return 0;
}

void moat__netmap_free(netmap *m)
{
    moat__index_free(&m->pe_subnet);
    moat__index_free(&m->principals);
    moat__index_free(&m->member_of);
}

size_t moat__netmap_subnets_of(const moat_estate *es, const moat_addr *a,
                               const subnet_info **out, size_t cap)
{
    const netmap *m = &es->map;
    uint16_t i = moat__prefix_lookup(&m->site_set, a);
    if (i == MOAT_RULE_NONE)
        return 0;
    if (!m->sites[i].overlaps) {
        if (cap)
            out[0] = m->sites[i].subnet;
        return 1;
    }
    /* Overlapping ranges (VNets of different subscriptions reuse address
    ** space): every subnet whose range holds the address, once each. */
    size_t n = 0;
    for (size_t k = 0; k < m->n_sites; k++) {
        if (!m->sites[k].overlaps || !moat__cidr_contains(&m->sites[k].cidr, a))
            continue;
        const subnet_info *si = m->sites[k].subnet;
        size_t j = 0;
        while (j < n && j < cap && out[j] != si)
            j++;
        if (j < n)
            continue;
        if (n < cap)
            out[n] = si;
        n++;
    }
    return n;
}

/*--------------------------------------------------------------------------
** Public lookups for front ends (the gate, moat token, moat serve).
*/
static int last_segment_is(const char *id, const char *name)
{
    const char *slash = strrchr(id, '/');
    return moat__eq_ci_z(slash ? slash + 1 : id, name);
}

moat_status moat_estate_identity(const moat_estate *es, const char *name,
                                 moat_identity *out)
{
    if (es == NULL || name == NULL || out == NULL)
        return MOAT_E_INVAL;
    const principal *found = NULL;
    for (size_t i = 0; i < es->map.n_principals; i++) {
        const principal *p = es->map.list[i];
        if (moat__eq_ci_z(p->resource_id, name) ||
            moat__eq_ci_z(p->principal_id, name) ||
            last_segment_is(p->resource_id, name)) {
            if (found && found != p &&
                !moat__eq_ci_z(found->resource_id, p->resource_id))
                return MOAT_E_AMBIGUOUS;
            found = p;
        }
    }
    if (found == NULL)
        return MOAT_E_NOTFOUND;
    out->resource_id = found->resource_id;
    out->principal_id = found->principal_id;
    out->tenant_id = found->tenant_id;
    return MOAT_OK;
}

const char *moat_estate_perimeter_of(const moat_estate *es,
                                     const char *resource_id)
{
    if (es == NULL || resource_id == NULL)
        return NULL;
    const perimeter *p =
        moat__index_get(&es->map.member_of, resource_id, strlen(resource_id));
    return p ? p->guid_text : NULL;
}

size_t moat_estate_subnets_of(const moat_estate *es, const char *address,
                              const char **ids, size_t cap)
{
    moat_addr a;
    const subnet_info *found[16];
    if (es == NULL || address == NULL ||
        moat__addr_parse(address, strlen(address), &a) != 0)
        return 0;
    size_t n = moat__netmap_subnets_of(es, &a, found, 16);
    for (size_t i = 0; i < n && i < cap && i < 16; i++)
        ids[i] = found[i]->id;
    return n;
}
