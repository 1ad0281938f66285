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

/* The resource group named in an ARM id, for az commands: every segment
** between "resourceGroups" and "providers", so that a group the loader
** took with a '/' in it is not cut short (Azure refuses such names; an
** estate file may still hold one). */
const char *moat__audit_rg_of_id(moat_audit *a, const char *id)
{
    moat_segments seg;
    if (id && moat__segments_split(id, strlen(id), &seg) == 0) {
        for (int i = 0; i + 1 < seg.n; i++) {
            if (!moat__eq_ci(id + seg.off[i], seg.len[i], "resourceGroups", 14))
                continue;
            int j = i + 1;
            while (j + 1 < seg.n &&
                   !moat__eq_ci(id + seg.off[j + 1], seg.len[j + 1],
                                "providers", 9))
                j++;
            size_t from = seg.off[i + 1], to = seg.off[j] + seg.len[j];
            return moat__audit_fmt(a, "%.*s", (int)(to - from), id + from);
        }
    }
    return "<resource-group>";
}

/* The name after the last segment `type` of an ARM id ("virtualNetworks":
** the network of a subnet id), or otherwise. */
const char *moat__audit_id_after(moat_audit *a, const char *id,
                                 const char *type, const char *otherwise)
{
    moat_segments seg;
    const char *found = otherwise;
    if (id && moat__segments_split(id, strlen(id), &seg) == 0) {
        for (int i = 0; i + 1 < seg.n; i++)
            if (moat__eq_ci(id + seg.off[i], seg.len[i], type, strlen(type)))
                found = moat__audit_fmt(a, "%.*s", seg.len[i + 1],
                                        id + seg.off[i + 1]);
    }
    return found;
}

const char *moat__audit_rg(moat_audit *a, const char *id)
{
    return moat__audit_rg_of_id(a, id);
}

const char *moat__audit_rg_of(moat_audit *a, const resource *r)
{
    return moat__audit_rg_of_id(a, r->id);
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

/* The public addresses of one family (4 or 6) admitted from other
** regions: the exposure's `internet` probe of the cells (src/reach,
** docs/reach.md), so that the audit and `moat reach` cannot disagree;
** computed once per resource. Both families are 128-bit numbers (IPv4 in
** the low 32 bits); the whole IPv6 space is said by `all`. Out of memory
** fails the whole audit rather than understate the exposure. */
addr_count moat__audit_internet_addresses(moat_audit *a, const facts *f,
                                          int family)
{
    addr_count out = {{0, 0}, 0};
    if (a->inet_for != f->r) {
        moat_u128 v4, v6;
        int v6_all = 0;
        if (moat__reach_internet(f->es, f->r, &v4, &v6, &v6_all) != 0) {
            a->failed = 1;
            return out;
        }
        a->inet_for = f->r;
        a->inet[0].n = v4;
        a->inet[0].all = v4.hi == 0 && v4.lo == 1ULL << 32;
        a->inet[1].n = v6_all ? (moat_u128){0, 0} : v6;
        a->inet[1].all = v6_all;
    }
    return a->inet[family == 4 ? 0 : 1];
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
