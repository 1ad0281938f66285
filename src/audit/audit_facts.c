/*
** audit_facts.c - what a resource lets through, in terms of decision.md
** section 4, and how many addresses its public path admits.
*/
#include "audit_int.h"

#include <stdlib.h>
#include <string.h>

/*--------------------------------------------------------------------------
** What a resource lets through, in terms of decision.md section 4.
*/
/* Resource instance rules that can admit: those of the account's own
** tenant (every one when it is unknown, the rule's tenant standing in),
** decision.md section 4. */
unsigned moat__audit_own_tenant_rars(const resource *r)
{
    unsigned n = 0;
    for (uint16_t i = 0; i < r->n_rars; i++)
        n += r->tenant == MOAT_ID_NONE ||
             moat__same_id(r->rars[i].tenant, r->tenant);
    return n;
}

void moat__audit_facts_of(facts *f, const moat_estate *es, const resource *r)
{
    memset(f, 0, sizeof *f);
    f->es = es;
    f->r = r;
    f->a = r->assoc;
    f->storage = r->kind == RES_STORAGE;
    f->nsp =
        f->a && (f->a->mode == MODE_LEARNING || f->a->mode == MODE_ENFORCED);
    f->enforced = f->a && f->a->mode == MODE_ENFORCED;
    f->locked = r->pna == PNA_SECURED_BY_PERIMETER && f->a == NULL;
    /* Resource rules decide without a perimeter, under Audit, and as the
    ** Learning fallback unless SecuredByPerimeter makes it perimeter-only. */
    f->fallback = !f->locked && !f->enforced &&
                  !(f->nsp && r->pna == PNA_SECURED_BY_PERIMETER);
    f->firewall = f->fallback && r->pna != PNA_DISABLED;
}

/* The association's access mode: a template expression or a value known
** after apply reads as Enforced to decide (the strictest), which no
** control may pass on. */
moat_basis moat__audit_mode_basis(const facts *f)
{
    return f->a && strcmp(f->a->mode_text, "unknown") == 0
               ? MOAT_BASIS_UNKNOWN
               : MOAT_BASIS_EXPLICIT;
}

moat_basis moat__audit_to_basis(basis b)
{
    return b == BASIS_DEFAULT   ? MOAT_BASIS_DEFAULT
           : b == BASIS_UNKNOWN ? MOAT_BASIS_UNKNOWN
                                : MOAT_BASIS_EXPLICIT;
}

/* The weakest of two bases: unknown over default over explicit. */
moat_basis moat__audit_weaker(moat_basis a, moat_basis b)
{
    return a > b ? a : b;
}

/* The resource group named in an ARM id, for az commands. */
const char *moat__audit_rg_of_id(moat_audit *a, const char *id)
{
    moat_segments seg;
    if (id && moat__segments_split(id, strlen(id), &seg) == 0) {
        for (int i = 0; i + 1 < seg.n; i++) {
            if (moat__eq_ci(id + seg.off[i], seg.len[i], "resourceGroups", 14))
                return moat__audit_fmt(a, "%.*s", seg.len[i + 1],
                                       id + seg.off[i + 1]);
        }
    }
    return "<resource-group>";
}

const char *moat__audit_rg(moat_audit *a, const char *id)
{
    return moat__audit_rg_of_id(a, id);
}

const char *moat__audit_rg_of(moat_audit *a, const resource *r)
{
    return moat__audit_rg_of_id(a, r->id);
}

/* Addresses the public path admits from other regions: the union of the
** firewall's and the perimeter's address rules, as the mode makes them
** count, per family. Both families are 128-bit numbers (IPv4 in the low
** 32 bits, as addr.c holds them); the whole IPv6 space, 2^128 addresses,
** is said by a flag since no 128-bit number holds it. */
typedef struct span {
    moat_u128 lo, hi;
} span;

static int cmp_span(const void *x, const void *y)
{
    const span *a = x, *b = y;
    return moat__u128_cmp(a->lo, b->lo);
}

/* The sets that admit a public caller from another region: the IP
** rules (when the firewall is consulted), the perimeter's address rules,
** and for a key vault the prefixes of its service tags (decision.md
** section 4, with Azure's service-tag file). */
size_t moat__audit_public_sets(const facts *f, const moat_prefix_set **sets)
{
    size_t n = 0;
    const profile *pf = f->nsp ? f->a->profile : NULL;
    if (f->firewall)
        sets[n++] = &f->r->ips;
    if (pf)
        sets[n++] = &pf->prefixes;
    if (pf && !f->storage && f->es->has_service_tags)
        sets[n++] = &pf->tag_prefixes;
    return n;
}

static moat_u128 u128_add(moat_u128 a, moat_u128 b)
{
    moat_u128 r = {a.hi + b.hi, a.lo + b.lo};
    r.hi += r.lo < a.lo;
    return r;
}

/* hi - lo + 1 (lo <= hi); wraps to 0 for the whole 128-bit space. */
static moat_u128 span_size(span s)
{
    moat_u128 r = {s.hi.hi - s.lo.hi, s.hi.lo - s.lo.lo};
    r.hi -= s.hi.lo < s.lo.lo;
    moat_u128 one = {0, 1};
    return u128_add(r, one);
}

/* The size of the union of s[0..k) (k > 0, sorted here); *whole when it is
** the whole 128-bit space. */
static moat_u128 union_size(span *s, size_t k, int *whole)
{
    qsort(s, k, sizeof *s, cmp_span);
    moat_u128 total = {0, 0}, max = {UINT64_MAX, UINT64_MAX};
    span cur = s[0];
    for (size_t i = 1; i < k; i++) {
        moat_u128 next = u128_add(cur.hi, (moat_u128){0, 1});
        if (moat__u128_cmp(cur.hi, max) == 0 ||
            moat__u128_cmp(s[i].lo, next) <= 0) {
            if (moat__u128_cmp(s[i].hi, cur.hi) > 0)
                cur.hi = s[i].hi;
        } else {
            total = u128_add(total, span_size(cur));
            cur = s[i];
        }
    }
    *whole = k && cur.lo.hi == 0 && cur.lo.lo == 0 &&
             moat__u128_cmp(cur.hi, max) == 0 && total.hi == 0 && total.lo == 0;
    return u128_add(total, span_size(cur));
}

/* Adds the ranges of family 4 or 6 of set p to s at *k. */
static void add_spans(span *s, size_t *k, const moat_prefix_set *p, int family)
{
    if (family == 4)
        for (uint32_t i = 0; i < p->n4; i++)
            s[(*k)++] = (span){{0, p->v4[i].lo}, {0, p->v4[i].hi}};
    else
        for (uint32_t i = 0; i < p->n6; i++)
            s[(*k)++] = (span){p->v6[i].lo, p->v6[i].hi};
}

/* The public addresses of one family (4 or 6) admitted. Out of memory
** fails the whole audit rather than understate the exposure. */
addr_count moat__audit_internet_addresses(moat_audit *a, const facts *f,
                                          int family)
{
    const resource *r = f->r;
    addr_count out = {{0, 0}, 0};
    if (f->locked)
        return out;
    if (f->firewall && r->default_allow) {
        out.all = 1;
        out.n.lo = family == 4 ? 1ULL << 32 : 0;
        return out;
    }
    const moat_prefix_set *sets[3];
    size_t n_sets = moat__audit_public_sets(f, sets), n = 0;
    for (size_t i = 0; i < n_sets; i++)
        n += family == 4 ? sets[i]->n4 : sets[i]->n6;
    span *s = n ? malloc(n * sizeof *s) : NULL;
    if (s == NULL) {
        a->failed |= n != 0;
        return out;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_sets; i++)
        add_spans(s, &k, sets[i], family);
    int whole;
    out.n = union_size(s, k, &whole);
    free(s);
    out.all = family == 4 ? out.n.hi == 0 && out.n.lo == 1ULL << 32 : whole;
    return out;
}

/* A count as decimal text: "every IPv6 address" for the whole space. */
const char *moat__audit_count_text(moat_audit *a, addr_count c)
{
    if (c.all && c.n.hi == 0 && c.n.lo == 0)
        return "every";
    uint32_t w[4] = {(uint32_t)(c.n.hi >> 32), (uint32_t)c.n.hi,
                     (uint32_t)(c.n.lo >> 32), (uint32_t)c.n.lo};
    char buf[48];
    size_t i = sizeof buf - 1;
    buf[i] = '\0';
    do { /* long division by 10, 32 bits at a time */
        uint64_t rem = 0;
        for (int k = 0; k < 4; k++) {
            uint64_t cur = (rem << 32) | w[k];
            w[k] = (uint32_t)(cur / 10);
            rem = cur % 10;
        }
        buf[--i] = (char)('0' + rem);
    } while (w[0] | w[1] | w[2] | w[3]);
    return moat__audit_fmt(a, "%s", buf + i);
}
