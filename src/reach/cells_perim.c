/*
** cells_perim.c - the atoms of caller.perimeters.
**
** perimeter_inbound (decision.md section 4) asks two things of the list:
** whether it holds the association's perimeter (intra-perimeter), and
** else which listed perimeter an Approved link joins first (the link the
** decision names). On one side the atoms are therefore "holds it", "the
** first linked one listed is g" for each linked g, and "neither". Over two
** sides every combination of the two sides' answers that some list gives
** is an atom: each combination is tried on the lists of the GUIDs it
** requires, in every order, and kept when one of them gives it.
*/
#include "cells_int.h"

#include <string.h>

/* What a side's association makes of caller perimeters. */
typedef struct perim_view {
    const char *own;      /* its perimeter's GUID, or NULL */
    const char **linked;  /* GUIDs joined by Approved links, distinct */
    uint16_t *link;       /* the link of each (the lowest) */
    uint32_t n_linked;
} perim_view;

static void view_of(cctx *c, const side_feat *f, perim_view *v)
{
    memset(v, 0, sizeof *v);
    const assoc *a = f->r ? f->r->assoc : NULL;
    if (a == NULL)
        return;
    if (a->perimeter && a->perimeter->guid < MOAT_ID_OTHER)
        v->own = f->es->ids.keys[a->perimeter->guid];
    v->linked = moat__cells_alloc(c, (a->n_joins + 1u) * sizeof *v->linked);
    v->link = moat__cells_alloc(c, (a->n_joins + 1u) * sizeof *v->link);
    if (c->failed)
        return;
    /* Sorted by GUID, then link: the first of each GUID is the link
    ** decide's binary search finds. */
    for (uint16_t i = 0; i < a->n_joins; i++) {
        if (i && a->joins[i].guid == a->joins[i - 1].guid)
            continue;
        if (a->joins[i].guid >= MOAT_ID_OTHER)
            continue;
        v->linked[v->n_linked] = f->es->ids.keys[a->joins[i].guid];
        v->link[v->n_linked++] = a->joins[i].link;
    }
}

/* What side view v makes of the list l (n GUIDs), as perimeter_inbound
** reads it. */
static perim_side judge(const perim_view *v, const char *const *l, int n)
{
    perim_side p = {PSIG_NONE, 0, NULL};
    for (int i = 0; v->own && i < n; i++) {
        if (moat__eq_ci_z(l[i], v->own)) {
            p.sig = PSIG_INTRA;
            return p;
        }
    }
    for (int i = 0; i < n; i++) {
        for (uint32_t k = 0; k < v->n_linked; k++) {
            if (moat__eq_ci_z(l[i], v->linked[k])) {
                p.sig = PSIG_LINK;
                p.link = v->link[k];
                p.linked = v->linked[k];
                return p;
            }
        }
    }
    return p;
}

/* The choice k of side view v: 0 neither, 1 its own perimeter, 2 + i
** linked i; the GUID the list must hold for it, or NULL. */
static const char *needs(const perim_view *v, uint32_t k)
{
    return k == 0 ? NULL : k == 1 ? v->own : v->linked[k - 2];
}

static int same_side(perim_side a, uint32_t k, const perim_view *v)
{
    if (k == 0)
        return a.sig == PSIG_NONE;
    if (k == 1)
        return a.sig == PSIG_INTRA;
    return a.sig == PSIG_LINK && a.link == v->link[k - 2];
}

/* Tries the orders of l (n <= 2 GUIDs, distinct) for the choices k[]. */
static int try_orders(const perim_view *v, int sides, const uint32_t *k,
                      const char **l, int n, perim_side *out)
{
    for (int swap = 0; swap < (n == 2 ? 2 : 1); swap++) {
        const char *o[2] = {l[swap ? 1 : 0], n == 2 ? l[swap ? 0 : 1] : NULL};
        int ok = 1;
        for (int s = 0; s < sides && ok; s++) {
            out[s] = judge(&v[s], o, n);
            ok = same_side(out[s], k[s], &v[s]);
        }
        if (ok) {
            l[0] = o[0];
            if (n == 2)
                l[1] = o[1];
            return 1;
        }
    }
    return 0;
}

/* Adds the atom for choices k[] of every side when some list gives it. */
static void try_combo(cctx *c, const perim_view *v, int sides,
                      const uint32_t *k, uint32_t *at)
{
    const char *l[2] = {NULL, NULL};
    int n = 0;
    for (int s = 0; s < sides; s++) {
        const char *g = needs(&v[s], k[s]);
        if (g && !(n == 1 && moat__eq_ci_z(l[0], g)))
            l[n++] = g;
    }
    perim_side out[CELLS_SIDES] = {{0, 0, NULL}, {0, 0, NULL}};
    if (!try_orders(v, sides, k, l, n, out))
        return;
    perim_atom *a = &c->dom.perim[(*at)++];
    const char **list = moat__cells_alloc(c, 2 * sizeof *list);
    if (list == NULL)
        return;
    for (int i = 0; i < n; i++)
        list[i] = l[i];
    a->list = list;
    a->n_list = (uint8_t)n;
    memcpy(a->side, out, sizeof out);
}

/* Every GUID the atoms speak of, for the JSON's named lists. */
static void perim_named(cctx *c, const perim_view *v, int sides)
{
    cnames l;
    moat__cnames_init(&l);
    for (int s = 0; s < sides; s++) {
        moat__cnames_add(&l, v[s].own);
        for (uint32_t i = 0; i < v[s].n_linked; i++)
            moat__cnames_add(&l, v[s].linked[i]);
    }
    uint32_t n;
    c->dom.perim_named = moat__cnames_keep(c, &l, &n);
    c->dom.n_perim_named = n - 1;
    moat__cnames_free(&l);
}

static void perim_feats(cctx *c, side_feat *f, int s)
{
    uint32_t n = c->dom.n[D_PERIMETERS];
    f->perim_sig = moat__cells_keys(c, n, 0);
    for (uint32_t i = 0; f->perim_sig && i < n; i++) {
        const perim_side *p = &c->dom.perim[i].side[s];
        f->perim_sig[i] = p->sig == PSIG_LINK ? PSIG_LINK + p->link : p->sig;
    }
}

int moat__cells_perimeters(cctx *c)
{
    perim_view v[CELLS_SIDES];
    int sides = c->dom.n_sides;
    uint32_t opts[CELLS_SIDES] = {1, 1}, total = 1;
    for (int s = 0; s < sides; s++) {
        view_of(c, &c->dom.side[s], &v[s]);
        opts[s] = 2 + v[s].n_linked;
        total *= opts[s];
    }
    c->dom.perim = moat__cells_alloc(c, total * sizeof *c->dom.perim);
    uint32_t at = 0, k[CELLS_SIDES] = {0, 0};
    for (uint32_t i = 0; c->dom.perim && i < total; i++) {
        k[0] = i % opts[0];
        k[1] = sides > 1 ? i / opts[0] : 0;
        if ((k[0] == 1 && !v[0].own) || (sides > 1 && k[1] == 1 && !v[1].own))
            continue;
        try_combo(c, v, sides, k, &at);
    }
    perim_named(c, v, sides);
    moat__cells_dim(c, D_PERIMETERS, at);
    FOR_SIDES(c, s, f)
    perim_feats(c, f, s);
    return c->failed ? -1 : 0;
}
