/*
** cells_diff.c - `moat diff` for one resource (docs/reach.md): the cells
** whose decision changes, newly allowed and newly denied, as JSON and as
** text that says what opened and what closed.
*/
#include "cells_probe.h"

#include <stdlib.h>
#include <string.h>

/* How cell i's verdict moves: 1 newly allowed, -1 newly denied, 0 not
** (a side without the resource denies everything). */
static int movement(const moat_cells *m, size_t i)
{
    moat_decision a, b;
    int before = moat_cell_decision(m, i, 0, &a) == MOAT_OK &&
                 a.verdict == MOAT_ALLOW;
    int after = moat_cell_decision(m, i, 1, &b) == MOAT_OK &&
                b.verdict == MOAT_ALLOW;
    return after - before;
}

MOAT_API int moat_cell_change(const moat_cells *m, size_t i)
{
    return m && m->c.dom.n_sides == 2 && i < m->c.n_cells ? movement(m, i) : 0;
}

static void cells_of(moat_buf *b, const moat_cells *m, int want,
                     const char *key)
{
    moat__buf_printf(b, ",\"%s\":[", key);
    int n = 0;
    for (size_t i = 0; i < m->c.n_cells; i++) {
        if (movement(m, i) != want)
            continue;
        char *c = moat_cell_json(m, i, NULL);
        moat__buf_puts(b, n++ ? "," : "");
        moat__buf_puts(b, c ? c : "null");
        b->failed |= c == NULL;
        free(c);
    }
    moat__buf_putc(b, ']');
}

static void exposure_of(moat_buf *b, const moat_cells *m, int side,
                        const char *key)
{
    moat__buf_printf(b, ",\"%s\":", key);
    if (m->c.dom.side[side].r)
        moat__cells_exposure(b, m, side);
    else
        moat__buf_puts(b, "null");
}

/* The resource of a diff (its new side when there is one) and whether
** it was added, removed or changed. */
static const resource *diffed(const moat_cells *m, const char **change)
{
    const resource *r0 = m->c.dom.side[0].r, *r1 = m->c.dom.side[1].r;
    *change = !r0 ? "added" : !r1 ? "removed" : "changed";
    return r1 ? r1 : r0;
}

MOAT_API char *moat_cells_diff_json(const moat_cells *m, size_t *len)
{
    if (m == NULL || m->c.dom.n_sides != 2)
        return NULL;
    const char *change;
    const resource *r = diffed(m, &change);
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__buf_puts(&b, "{\"resource\":");
    moat__buf_json_cstr(&b, r->id);
    moat__buf_printf(&b, ",\"kind\":\"%s\",\"change\":\"%s\"",
                     r->kind == RES_STORAGE ? "storage" : "keyvault", change);
    cells_of(&b, m, 1, "newly_allowed");
    cells_of(&b, m, -1, "newly_denied");
    exposure_of(&b, m, 0, "exposure_before");
    exposure_of(&b, m, 1, "exposure_after");
    moat__buf_putc(&b, '}');
    return moat__cells_take(&b, len);
}

/*--------------------------------------------------------------------------
** Text.
*/
static void rule_of(moat_buf *b, const moat_cells *m, size_t i, int side)
{
    moat_request *q = moat_request_new(m->c.dom.side[side].es);
    moat_explanation *x = moat_explanation_new();
    if (q && x && moat_cell_witness(m, i, side, q) == MOAT_OK &&
        moat_explain(q, x, 0) == MOAT_OK) {
        const char *t = moat_explanation_rule(x);
        moat__buf_puts(b, t[0] ? t : moat_category_name(
                                         moat_explanation_decision(x)->category));
    }
    moat_explanation_free(x);
    moat_request_free(q);
}

/* The internet addresses side `to` admits and side `from` does not. */
static void internet_change(moat_buf *b, const moat_cells *m, int from, int to,
                            const char *what)
{
    if (!m->c.dom.side[to].r)
        return;
    cpoint p;
    moat__probe_base(m, to, moat__cells_now(), &p);
    probe_addrs x, y;
    moat__probe_addresses(m, &p, to, &x);
    moat__probe_addresses(m, &p, from, &y);
    const cdomain *d = &m->c.dom;
    if (!m->c.dom.side[from].r)
        memset(y.atoms, 0, d->words[D_IP] * sizeof *y.atoms);
    probe_addrs n = x;
    n.ipv4 = 0;
    n.ipv6 = 0;
    n.ipv6_all = 0;
    int any = 0;
    for (uint32_t a = 1; x.atoms && y.atoms && a < d->n[D_IP]; a++) {
        int on = moat__bit(x.atoms, a) && !moat__bit(y.atoms, a);
        if (!on) {
            x.atoms[a >> 6] &= ~(1ULL << (a & 63));
            continue;
        }
        any = 1;
        const ip_atom *ia = &d->ip[a];
        if (ia->family == 4)
            n.ipv4 += ia->hi.lo - ia->lo.lo + 1;
        else {
            cu128 lo = ((cu128)ia->lo.hi << 64) | ia->lo.lo;
            cu128 hi = ((cu128)ia->hi.hi << 64) | ia->hi.lo;
            cu128 c = hi - lo + 1, before = n.ipv6;
            n.ipv6 += c;
            n.ipv6_all |= c == 0 || n.ipv6 < before;
        }
    }
    if (any) {
        moat__buf_printf(b, "  %s from the internet: ", what);
        moat_buf r;
        moat__buf_init(&r, 0);
        moat__probe_ranges(&r, m, &n);
        for (const char *s = moat__buf_cstr(&r); *s; s++) {
            if (*s != '"')
                moat__buf_puts(b, *s == ',' ? ", " : (char[]){*s, 0});
        }
        moat__buf_free(&r);
        char c4[32], c6[48];
        moat__cells_u128_text(0, n.ipv4, 0, c4, sizeof c4);
        moat__cells_u128_text((uint64_t)(n.ipv6 >> 64), (uint64_t)n.ipv6,
                              n.ipv6_all, c6, sizeof c6);
        moat__buf_printf(b, " (%s IPv4, %s IPv6 addresses)", c4, c6);
        if (x.n_rules) {
            moat__buf_puts(b, " by ");
            rule_of(b, m, x.cell[0], to);
        }
        moat__buf_putc(b, '\n');
    }
    moat__probe_free(&x);
    moat__probe_free(&y);
}

/* Up to `most` changed cells of one direction, one line each. */
static void cell_lines(moat_buf *b, const moat_cells *m, int want, int most)
{
    int n = 0, total = 0;
    for (size_t i = 0; i < m->c.n_cells; i++)
        total += movement(m, i) == want;
    for (size_t i = 0; i < m->c.n_cells && n < most; i++) {
        if (movement(m, i) != want)
            continue;
        n++;
        moat__buf_printf(b, "  %s ", want > 0 ? "+ allowed" : "- denied");
        int side = want > 0 ? 1 : 0;
        if (m->c.dom.side[side].r) {
            moat__buf_puts(b, "by ");
            rule_of(b, m, i, side);
        }
        char *c = moat_cell_json(m, i, NULL);
        const char *w = c ? strstr(c, "\"witness\":") : NULL;
        const char *e = w ? strstr(w, ",\"addresses\"") : NULL;
        if (w && e)
            moat__buf_printf(b, ", e.g. %.*s", (int)(e - w - 10), w + 10);
        free(c);
        moat__buf_putc(b, '\n');
    }
    if (total > n)
        moat__buf_printf(b, "  ... and %d more %s classes of requests\n",
                         total - n, want > 0 ? "newly allowed" : "newly denied");
}

MOAT_API char *moat_cells_diff_text(const moat_cells *m, size_t *len)
{
    if (m == NULL || m->c.dom.n_sides != 2)
        return NULL;
    const char *change;
    const resource *r = diffed(m, &change);
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__buf_printf(&b, "%s (%s, %s)\n", r->name ? r->name : r->id,
                     r->kind == RES_STORAGE ? "storage account" : "key vault",
                     change);
    internet_change(&b, m, 0, 1, "newly admitted");
    internet_change(&b, m, 1, 0, "no longer admitted");
    cell_lines(&b, m, 1, 10);
    cell_lines(&b, m, -1, 10);
    return moat__cells_take(&b, len);
}
