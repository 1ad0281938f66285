/*
** cells_api.c - the public face of the cells engine (include/moat.h,
** docs/reach.md): computing the cells of one resource or of one resource
** in two estates, and reading a cell's decision, witness and addresses.
*/
#include "cells_api.h"
#include "cells_probe.h"

#include <stdlib.h>
#include <string.h>

/* The most cells one computation may hold: far above any real account
** (the bench's maximum-size account needs a few thousand), low enough
** that a hostile estate cannot take the machine's memory. */
#define CELLS_LIMIT 4000000u

/*--------------------------------------------------------------------------
** Setting up.
*/
static void side_init(moat_cells *m, int s, const moat_estate *es,
                      const resource *r)
{
    side_feat *f = &m->c.dom.side[s];
    f->es = es;
    f->r = r;
    f->pf = r && r->assoc ? r->assoc->profile : NULL;
    f->mode = r && r->assoc ? (int)r->assoc->mode : -1;
}

/* The stages: each side in its own mode, then, under Learning or Audit,
** as Enforced would decide (decision.md section 3, enforced_would). */
static void stages(moat_cells *m)
{
    cctx *c = &m->c;
    c->n_stages = 0;
    for (int s = 0; s < c->dom.n_sides; s++) {
        const side_feat *f = &c->dom.side[s];
        int k = c->n_stages++;
        c->stage[k] = (cstage){s, f->mode, -1};
        m->stage_of[s] = k;
        m->enforced_of[s] = -1;
        if (f->r && (f->mode == MODE_LEARNING || f->mode == MODE_AUDIT)) {
            int e = c->n_stages++;
            c->stage[e] = (cstage){s, MODE_ENFORCED, k};
            m->enforced_of[s] = e;
        }
    }
}

/* Subnets of either estate that reach the resource on one side and not
** on the other: named, so that each side sees one answer per atom. */
static int reach_differs(moat_cells *m, const char ***out, size_t *n)
{
    cctx *c = &m->c;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (c->dom.n_sides < 2 || !c->dom.side[0].r || !c->dom.side[1].r)
        return 0;
    for (int s = 0; s < 2; s++) {
        const moat_estate *es = c->dom.side[s].es;
        for (size_t i = 0; i < es->n_subnets; i++) {
            const char *id = es->subnets[i].id;
            int r0 = moat__subnet_reaches(
                moat__index_get(&c->dom.side[0].es->subnet_by_id, id,
                                strlen(id)),
                c->dom.side[0].r);
            int r1 = moat__subnet_reaches(
                moat__index_get(&c->dom.side[1].es->subnet_by_id, id,
                                strlen(id)),
                c->dom.side[1].r);
            if (r0 == r1)
                continue;
            if (*n == cap) {
                cap = cap ? 2 * cap : 16;
                const char **v = moat__cells_alloc(c, cap * sizeof *v);
                if (v == NULL)
                    return -1;
                if (*n)
                    memcpy(v, *out, *n * sizeof *v);
                *out = v;
            }
            (*out)[(*n)++] = id;
        }
    }
    return 0;
}

/* Restricts the time dimension to the atom holding t. */
static void restrict_time(cctx *c, int64_t t)
{
    uint64_t *s = moat__cells_alloc(c, c->dom.words[D_TIME] * sizeof *s);
    for (uint32_t i = 0; s && i < c->dom.n[D_TIME]; i++) {
        if (c->dom.time[i].lo <= t && t < c->dom.time[i].hi)
            moat__bit_set(s, i);
    }
    if (s)
        c->dom.all[D_TIME] = s;
}

/* The box a computation starts from: the whole space, or (probe_only) the
** internet probe's point at instant `at` in every dimension but the source
** address (docs/reach.md, "The exposure"): the procedure splits whatever
** box it is given, so the cells are then the whole space's cells cut to
** that line. 0, or -1 when out of memory. */
static int start_box(moat_cells *m, int64_t at, cbox *b)
{
    cctx *c = &m->c;
    for (int d = 0; d < D_COUNT; d++)
        b->s[d] = c->dom.all[d];
    if (!c->dom.probe_only)
        return 0;
    cpoint p;
    moat__probe_base(m, 0, at, &p);
    for (int d = 0; d < D_COUNT; d++) {
        uint64_t *s = d == D_IP ? NULL
                                : moat__cells_alloc(c, c->dom.words[d] *
                                                           sizeof *s);
        if (s == NULL && d != D_IP)
            return -1;
        if (s) {
            moat__bit_set(s, p.a[d]);
            b->s[d] = s;
        }
    }
    return 0;
}

static moat_status run(moat_cells *m, const char *time, int64_t at)
{
    cctx *c = &m->c;
    int64_t t = 0;
    if (time && moat__time_parse(time, strlen(time), &t) != 0)
        return MOAT_E_INVAL;
    const char **extra = NULL;
    size_t n_extra = 0;
    if (reach_differs(m, &extra, &n_extra) != 0 ||
        moat__cells_atoms(c, extra, n_extra) != 0 ||
        moat__cells_ident(c) != 0)
        return c->failed == MOAT_E_LIMIT ? MOAT_E_LIMIT : MOAT_E_NOMEM;
    if (time)
        restrict_time(c, t);
    stages(m);
    cbox b;
    if (start_box(m, at, &b) == 0 && !c->failed)
        moat__cells_run(c, 0, &b);
    free(c->memo);
    free(c->gmap);
    free(c->scratch);
    c->memo = NULL;
    c->gmap = NULL;
    c->scratch = NULL;
    if (c->failed)
        return c->failed == MOAT_E_LIMIT ? MOAT_E_LIMIT : MOAT_E_NOMEM;
    return MOAT_OK;
}

static moat_cells *cells_new(int sides)
{
    moat_cells *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    moat__arena_init(&m->arena, 0);
    m->c.arena = &m->arena;
    m->c.dom.n_sides = sides;
    m->c.limit = CELLS_LIMIT;
    return m;
}

static moat_status finish(moat_cells *m, const char *time, moat_cells **out)
{
    moat_status st = run(m, time, 0);
    if (st != MOAT_OK) {
        moat_cells_free(m);
        return st;
    }
    *out = m;
    return MOAT_OK;
}

/* The cells of resource r alone: the whole space, or (probe_only) the
** internet probe's line; at the instant time names, or at `at` when time
** is NULL (0: now). */
static moat_status one_resource(const moat_estate *es, const resource *r,
                                int probe_only, const char *time, int64_t at,
                                moat_cells **out)
{
    *out = NULL;
    moat_cells *m = cells_new(1);
    if (m == NULL)
        return MOAT_E_NOMEM;
    side_init(m, 0, es, r);
    m->c.dom.kind = r->kind;
    m->c.dom.probe_only = probe_only;
    moat_status st = run(m, time, at);
    if (st != MOAT_OK) {
        moat_cells_free(m);
        return st;
    }
    *out = m;
    return MOAT_OK;
}

moat_status moat__cells_of(const moat_estate *es, const resource *r,
                           moat_cells **out)
{
    return one_resource(es, r, 0, NULL, 0, out);
}

moat_status moat__cells_internet(const moat_estate *es, const resource *r,
                                 int64_t at, moat_cells **out)
{
    return one_resource(es, r, 1, NULL, at, out);
}

MOAT_API moat_status moat_cells_compute(const moat_estate *es,
                                        const char *res_name,
                                        const char *time, moat_cells **out)
{
    *out = NULL;
    if (es == NULL || res_name == NULL)
        return MOAT_E_INVAL;
    moat_status st = MOAT_OK;
    const resource *r = moat__estate_find(es, res_name, strlen(res_name), &st);
    if (r == NULL)
        return st == MOAT_OK ? MOAT_E_NOTFOUND : st;
    return one_resource(es, r, 0, time, 0, out);
}

static moat_status find_side(const moat_estate *es, const char *id,
                             const resource **r)
{
    *r = NULL;
    if (id == NULL)
        return MOAT_OK;
    moat_status st = MOAT_OK;
    *r = moat__estate_find(es, id, strlen(id), &st);
    return *r ? MOAT_OK : st == MOAT_OK ? MOAT_E_NOTFOUND : st;
}

MOAT_API moat_status moat_cells_diff(const moat_estate *old_es,
                                     const char *old_id,
                                     const moat_estate *new_es,
                                     const char *new_id, const char *time,
                                     moat_cells **out)
{
    *out = NULL;
    const resource *r0, *r1;
    if (old_es == NULL || new_es == NULL || (!old_id && !new_id))
        return MOAT_E_INVAL;
    moat_status st = find_side(old_es, old_id, &r0);
    if (st == MOAT_OK)
        st = find_side(new_es, new_id, &r1);
    if (st != MOAT_OK)
        return st;
    if (r0 && r1 && r0->kind != r1->kind)
        return MOAT_E_INVAL; /* one id, two kinds: not one resource */
    moat_cells *m = cells_new(2);
    if (m == NULL)
        return MOAT_E_NOMEM;
    side_init(m, 0, old_es, r0);
    side_init(m, 1, new_es, r1);
    m->c.dom.kind = (r0 ? r0 : r1)->kind;
    return finish(m, time, out);
}

MOAT_API void moat_cells_free(moat_cells *m)
{
    if (m == NULL)
        return;
    free(m->c.memo);
    free(m->c.gmap);
    free(m->c.scratch);
    moat__arena_free(&m->arena);
    free(m);
}

MOAT_API size_t moat_cells_count(const moat_cells *m)
{
    return m ? m->c.n_cells : 0;
}

MOAT_API int moat_cells_sides(const moat_cells *m)
{
    return m ? m->c.dom.n_sides : 0;
}

const ccell *moat__cells_at(const moat_cells *m, size_t i)
{
    if (m == NULL || i >= m->c.n_cells)
        return NULL;
    return &m->c.blocks[i / CELL_BLOCK][i % CELL_BLOCK];
}

/*--------------------------------------------------------------------------
** A cell's decision.
*/
MOAT_API moat_status moat_cell_decision(const moat_cells *m, size_t i,
                                        int side, moat_decision *out)
{
    memset(out, 0, sizeof *out);
    const ccell *x = moat__cells_at(m, i);
    if (x == NULL || side < 0 || side >= m->c.dom.n_sides ||
        m->c.dom.side[side].r == NULL)
        return MOAT_E_NOTFOUND;
    const coutcome *o = &x->out[m->stage_of[side]];
    out->verdict = o->allowed ? MOAT_ALLOW : MOAT_DENY;
    out->category = (moat_category)o->category;
    out->warnings = o->warnings;
    out->rule_ = o->rule;
    if (m->enforced_of[side] >= 0) {
        out->has_enforced_would = 1;
        out->enforced_would =
            x->out[m->enforced_of[side]].allowed ? MOAT_ALLOW : MOAT_DENY;
    }
    if (!o->allowed) {
        out->http_status = 403;
        if (m->c.dom.side[side].r->kind == RES_STORAGE)
            out->http_code = "AuthorizationFailure";
        else if (out->category == MOAT_CAT_RES_PUBLIC_NETWORK_ACCESS_DISABLED)
            out->http_code = "ForbiddenByConnection";
        else
            out->http_code = "ForbiddenByFirewall";
    }
    return MOAT_OK;
}

/*--------------------------------------------------------------------------
** Addresses.
*/
MOAT_API void moat_cell_addresses(const moat_cells *m, size_t i,
                                  moat_addr_count *out)
{
    memset(out, 0, sizeof *out);
    const ccell *x = moat__cells_at(m, i);
    if (x == NULL)
        return;
    const cdomain *d = &m->c.dom;
    const uint64_t *s = x->box.s[D_IP];
    cu128 v6 = 0;
    int carry = 0;
    for (uint32_t a = 0; a < d->n[D_IP]; a++) {
        if (!moat__bit(s, a))
            continue;
        const ip_atom *ia = &d->ip[a];
        if (ia->family == 0) {
            out->no_address = 1;
        } else if (ia->family == 4) {
            out->ipv4 += ia->hi.lo - ia->lo.lo + 1;
        } else {
            cu128 lo = ((cu128)ia->lo.hi << 64) | ia->lo.lo;
            cu128 hi = ((cu128)ia->hi.hi << 64) | ia->hi.lo;
            cu128 n = hi - lo + 1; /* 0 when the atom is the whole space */
            cu128 before = v6;
            v6 += n;
            carry |= n == 0 || v6 < before;
        }
    }
    out->ipv6_all = carry && v6 == 0;
    out->ipv6_hi = (uint64_t)(v6 >> 64);
    out->ipv6_lo = (uint64_t)v6;
}
