/*
** reach_audit.c - the audit's questions about reachability, answered from
** the cells (reach.h), so that `moat audit` and `moat reach` cannot
** disagree: the addresses each rule actually admits (MOAT002) and what an
** association's Enforced mode would cut off (MOAT008).
*/
#include "cells_probe.h"
#include "reach.h"

#include <stdlib.h>
#include <string.h>

moat_cells *moat__reach_open(const moat_estate *es, const resource *r)
{
    moat_cells *m = NULL;
    if (moat__cells_of(es, r, &m) != MOAT_OK) {
        moat_cells_free(m);
        return NULL;
    }
    return m;
}

/* The IP atoms admitted by rule `ref` at the internet probe point. */
typedef struct by_rule {
    const moat_cells *m;
    uint32_t ref;
    uint64_t *atoms;
} by_rule;

static void by_rule_visit(void *ctx, size_t cell, const cpoint *p)
{
    by_rule *x = ctx;
    moat_decision d;
    if (moat_cell_decision(x->m, cell, 0, &d) == MOAT_OK &&
        d.verdict == MOAT_ALLOW && d.rule_ == x->ref)
        moat__bit_set(x->atoms, p->a[D_IP]);
}

/* Atom a lies inside within (whole: atoms split at every rule's bounds,
** so an atom is inside a rule's range or outside it). */
static int atom_inside(const ip_atom *a, const moat_cidr *within)
{
    moat_addr lo = {a->family, a->lo};
    return within == NULL || moat__cidr_contains(within, &lo);
}

int moat__reach_rule_addresses(const moat_cells *m, uint32_t ref,
                               const moat_cidr *within, moat_u128 *n,
                               int *all)
{
    const cdomain *d = &m->c.dom;
    by_rule x = {m, ref, calloc(d->words[D_IP] ? d->words[D_IP] : 1, 8)};
    cu128 sum = 0;
    *all = 0;
    if (x.atoms == NULL)
        return -1;
    cpoint base;
    moat__probe_base(m, 0, moat__cells_now(), &base);
    moat__probe_each(m, &base, D_IP, -1, by_rule_visit, &x);
    for (uint32_t a = 1; a < d->n[D_IP]; a++) {
        const ip_atom *ia = &d->ip[a];
        if (!moat__bit(x.atoms, a) || !atom_inside(ia, within))
            continue;
        cu128 lo = ((cu128)ia->lo.hi << 64) | ia->lo.lo;
        cu128 hi = ((cu128)ia->hi.hi << 64) | ia->hi.lo;
        cu128 c = hi - lo + 1, before = sum;
        sum += c;
        *all |= c == 0 || sum < before; /* the whole IPv6 space */
    }
    free(x.atoms);
    *n = (moat_u128){(uint64_t)(sum >> 64), (uint64_t)sum};
    return 0;
}

size_t moat__reach_enforced_cuts(const moat_cells *m, uint32_t *refs,
                                 size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < moat_cells_count(m); i++) {
        moat_decision d;
        if (moat_cell_decision(m, i, 0, &d) != MOAT_OK ||
            d.verdict != MOAT_ALLOW || !d.has_enforced_would ||
            d.enforced_would != MOAT_DENY)
            continue;
        size_t k = 0;
        while (k < n && refs[k] != d.rule_)
            k++;
        if (k == n && n < max)
            refs[n++] = d.rule_;
    }
    return n;
}
