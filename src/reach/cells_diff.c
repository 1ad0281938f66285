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

/* The rules of side `to` that admit, at point p, an address of atoms:
** " by RULE, RULE" (the cells that admit them, not every admitting rule
** of the side). */
static void rules_of(moat_buf *b, const moat_cells *m, const cpoint *p, int to,
                     const uint64_t *atoms)
{
    const cdomain *d = &m->c.dom;
    uint32_t seen[8];
    int n = 0;
    for (size_t i = 0; i < m->c.n_cells && n < 8; i++) {
        const ccell *x = moat__cells_at(m, i);
        moat_decision dec;
        int in = 1, hit = 0;
        for (int k = 0; k < D_COUNT && in; k++)
            in = k == D_IP || moat__bit(x->box.s[k], p->a[k]);
        for (uint32_t w = 0; in && w < d->words[D_IP]; w++)
            hit |= (x->box.s[D_IP][w] & atoms[w]) != 0;
        if (!hit || moat_cell_decision(m, i, to, &dec) != MOAT_OK ||
            dec.verdict != MOAT_ALLOW)
            continue;
        int dup = 0;
        for (int r = 0; r < n; r++)
            dup |= seen[r] == dec.rule_;
        if (dup)
            continue;
        seen[n] = dec.rule_;
        moat__buf_puts(b, n++ ? ", " : " by ");
        rule_of(b, m, i, to);
    }
}

/* The atoms of x that y lacks, into x, with their counts in *n. */
static int atoms_minus(const cdomain *d, probe_addrs *x, const probe_addrs *y,
                       probe_addrs *n)
{
    int any = 0;
    *n = *x;
    n->ipv4 = 0;
    n->ipv6 = 0;
    n->ipv6_all = 0;
    for (uint32_t a = 1; x->atoms && y->atoms && a < d->n[D_IP]; a++) {
        if (!moat__bit(x->atoms, a) || moat__bit(y->atoms, a)) {
            x->atoms[a >> 6] &= ~(1ULL << (a & 63));
            continue;
        }
        any = 1;
        const ip_atom *ia = &d->ip[a];
        if (ia->family == 4) {
            n->ipv4 += ia->hi.lo - ia->lo.lo + 1;
        } else {
            cu128 lo = ((cu128)ia->lo.hi << 64) | ia->lo.lo;
            cu128 hi = ((cu128)ia->hi.hi << 64) | ia->hi.lo;
            cu128 c = hi - lo + 1, before = n->ipv6;
            n->ipv6 += c;
            n->ipv6_all |= c == 0 || n->ipv6 < before;
        }
    }
    if (x->atoms)
        x->atoms[0] &= ~1ULL; /* atom 0: no address */
    return any;
}

/* The internet addresses side `to` admits and side `from` does not:
** "newly admitted from the internet: 0.0.0.0/0 minus 3 ranges
** (4,294,967,040 IPv4 addresses) by RULE", counts and ranges as the
** reach text writes them. */
static void internet_change(moat_buf *b, const moat_cells *m, int from, int to,
                            const char *what)
{
    if (!m->c.dom.side[to].r)
        return;
    cpoint p;
    moat__probe_base(m, to, moat__cells_now(), &p);
    probe_addrs x, y, n;
    moat__probe_addresses(m, &p, to, &x);
    moat__probe_addresses(m, &p, from, &y);
    const cdomain *d = &m->c.dom;
    if (!m->c.dom.side[from].r && y.atoms)
        memset(y.atoms, 0, d->words[D_IP] * sizeof *y.atoms);
    if (x.atoms == NULL || y.atoms == NULL)
        b->failed = 1;
    if (atoms_minus(d, &x, &y, &n)) {
        moat__buf_printf(b, "  %s from the internet: ", what);
        moat__probe_ranges_text(b, m, &n, 12);
        moat__probe_count_text(b, &n);
        rules_of(b, m, &p, to, n.atoms);
        moat__buf_putc(b, '\n');
    }
    moat__probe_free(&x);
    moat__probe_free(&y);
}

/* The names of exposure list `key` that side `to` admits and side `from`
** does not (trusted services gained or lost, by their catalog names):
** "  trusted services no longer admitted: Azure Backup, ...". */
#define LIST_MAX 256
static void list_change(moat_buf *b, const char *from, const char *to,
                        const char *key, const char *label, const char *what)
{
    const char *fi[LIST_MAX], *ti[LIST_MAX];
    size_t fl[LIST_MAX], tl[LIST_MAX];
    int nf = moat__cells_list_items(from, key, fi, fl, LIST_MAX);
    int nt = moat__cells_list_items(to, key, ti, tl, LIST_MAX), n = 0;
    for (int i = 0; i < nt; i++) {
        int had = 0;
        for (int k = 0; k < nf && !had; k++)
            had = fl[k] == tl[i] && memcmp(fi[k], ti[i], tl[i]) == 0;
        if (had)
            continue;
        if (n++ == 0)
            moat__buf_printf(b, "  %s %s: ", label, what);
        else
            moat__buf_puts(b, ", ");
        moat__buf_printf(b, "%.*s", (int)tl[i], ti[i]);
    }
    if (n)
        moat__buf_putc(b, '\n');
}

/* Side admits the exposure's internet probe without a source address
** (the default action Allow, no networkAcls): every caller an exposure
** list names is admitted anyway, so a name missing from its lists is not
** a name it refuses. */
static int admits_anyone(const moat_cells *m, int side)
{
    cpoint p;
    if (!m->c.dom.side[side].r)
        return 0;
    moat__probe_base(m, side, moat__cells_now(), &p);
    p.a[D_IP] = 0;
    return moat__probe_allows(m, &p, side, NULL);
}

/* What each exposure list gained and lost (docs/reach.md, "exposure"). */
static void lists_change(moat_buf *b, const moat_cells *m)
{
    static const char *const lists[][2] = {
        {"trusted_services", "trusted services"},
        {"instances", "resource instances"},
        {"subnets", "subnets"},
        {"private_endpoints", "private endpoints"},
        {"subscriptions", "perimeter subscriptions"},
        {"perimeters", "perimeters"},
    };
    moat_buf e[2];
    for (int s = 0; s < 2; s++) {
        moat__buf_init(&e[s], 0);
        if (m->c.dom.side[s].r)
            moat__cells_exposure(&e[s], m, s);
        b->failed |= e[s].failed;
    }
    const char *old = moat__buf_cstr(&e[0]), *new = moat__buf_cstr(&e[1]);
    int gained = !admits_anyone(m, 0), lost = !admits_anyone(m, 1);
    for (size_t i = 0; i < MOAT_ARRAY_LEN(lists); i++) {
        if (gained)
            list_change(b, old, new, lists[i][0], lists[i][1],
                        "newly admitted");
        if (lost)
            list_change(b, new, old, lists[i][0], lists[i][1],
                        "no longer admitted");
    }
    moat__buf_free(&e[0]);
    moat__buf_free(&e[1]);
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
    lists_change(&b, m);
    cell_lines(&b, m, 1, 10);
    cell_lines(&b, m, -1, 10);
    return moat__cells_take(&b, len);
}
