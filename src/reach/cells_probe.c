/*
** cells_probe.c - questions asked of the cells at one point of every
** dimension but one: which source addresses a probe admits (as the fewest
** CIDR ranges, with counts and the rules that admit them), and whether a
** probe is admitted. The exposure (cells_exposure.c) and the reach text
** are made of such probes, so they cannot disagree with the cells.
*/
#include "cells_probe.h"

#include <stdlib.h>
#include <string.h>

static uint32_t first_of(const cdomain *d, int k, const uint64_t *s)
{
    for (uint32_t a = 0; a < d->n[k]; a++) {
        if (moat__bit(s, a))
            return a;
    }
    return 0;
}

/* The atom of a "nobody" caller: no perimeter list, no link judged. */
static uint32_t no_perimeters(const cdomain *d)
{
    for (uint32_t a = 0; a < d->n[D_PERIMETERS]; a++) {
        if (d->perim[a].n_list == 0)
            return a;
    }
    return 0;
}

static uint32_t path_atom_of(const cdomain *d, path_kind kind)
{
    for (uint32_t a = 0; a < d->n[D_PATH]; a++) {
        if (d->path[a].kind == kind)
            return a;
    }
    return 0;
}

void moat__probe_base(const moat_cells *m, int side, int64_t now, cpoint *p)
{
    const cdomain *d = &m->c.dom;
    int kv = d->kind == RES_KEYVAULT;
    (void)side;
    p->a[D_PLANE] = 0;
    p->a[D_PATH] = path_atom_of(d, PATH_PUBLIC);
    p->a[D_IP] = 0;
    p->a[D_REGION] = d->n[D_REGION] - 1; /* another region */
    p->a[D_PROTOCOL] = 0;                /* HTTPS */
    p->a[D_ENDPOINT] = kv ? MOAT_ENDPOINT_VAULT : MOAT_ENDPOINT_BLOB;
    p->a[D_OP] = MOAT_OP_READ;
    p->a[D_TARGET] = 2; /* an ordinary target */
    p->a[D_AUTH] = kv ? MOAT_AUTH_OAUTH : MOAT_AUTH_SAS;
    p->a[D_TENANT] = d->n[D_TENANT] - 1;
    p->a[D_SUBSCRIPTION] = d->n[D_SUBSCRIPTION] - 1;
    p->a[D_SERVICE] = 0;
    p->a[D_CALLER] = 0; /* caller.resource_id absent */
    p->a[D_PERIMETERS] = no_perimeters(d);
    uint32_t t = first_of(d, D_TIME, d->all[D_TIME]);
    for (uint32_t a = t; a < d->n[D_TIME]; a++) {
        if (moat__bit(d->all[D_TIME], a) && d->time[a].lo <= now &&
            now < d->time[a].hi)
            t = a;
    }
    p->a[D_TIME] = t;
}

/* The dimensions a probe compares but skip1 and skip2, those that most
** often tell cells apart first (a cell is mostly left at the first); their
** number. */
static int probe_dims(int skip1, int skip2, int *out)
{
    static const int order[D_COUNT] = {
        D_PATH,   D_CALLER,   D_IP,     D_PERIMETERS, D_SERVICE,
        D_TENANT, D_SUBSCRIPTION, D_TIME, D_REGION,   D_AUTH,
        D_OP,     D_ENDPOINT, D_TARGET, D_PROTOCOL,   D_PLANE};
    int n = 0;
    for (int i = 0; i < D_COUNT; i++) {
        if (order[i] != skip1 && order[i] != skip2)
            out[n++] = order[i];
    }
    return n;
}

/* Cell x holds p in the n dimensions dims. */
static int holds(const ccell *x, const cpoint *p, const int *dims, int n)
{
    for (int i = 0; i < n; i++) {
        if (!moat__bit(x->box.s[dims[i]], p->a[dims[i]]))
            return 0;
    }
    return 1;
}

static const ccell *cell_at(const moat_cells *m, size_t i)
{
    return &m->c.blocks[i / CELL_BLOCK][i % CELL_BLOCK];
}

void moat__probe_each(const moat_cells *m, const cpoint *base, int d1, int d2,
                      probe_fn fn, void *ctx)
{
    const cdomain *d = &m->c.dom;
    int dims[D_COUNT], n_dims = probe_dims(d1, d2, dims);
    for (size_t i = 0; i < m->c.n_cells; i++) {
        const ccell *x = cell_at(m, i);
        if (!holds(x, base, dims, n_dims))
            continue;
        cpoint p = *base;
        for (uint32_t w = 0; w < d->words[d1]; w++) {
            for (uint64_t bits = x->box.s[d1][w]; bits; bits &= bits - 1) {
                p.a[d1] = w * 64 + (uint32_t)__builtin_ctzll(bits);
                if (d2 < 0) {
                    fn(ctx, i, &p);
                    continue;
                }
                for (uint32_t b = 0; b < d->n[d2]; b++) {
                    if (!moat__bit(x->box.s[d2], b))
                        continue;
                    p.a[d2] = b;
                    fn(ctx, i, &p);
                }
            }
        }
    }
}

size_t moat__probe_cell(const moat_cells *m, const cpoint *p)
{
    return moat__cells_locate(m, p);
}

int moat__probe_allows(const moat_cells *m, const cpoint *p, int side,
                       moat_decision *out)
{
    size_t i = moat__cells_locate(m, p);
    moat_decision d;
    if (i == SIZE_MAX || moat_cell_decision(m, i, side, &d) != MOAT_OK)
        return 0;
    if (out)
        *out = d;
    return d.verdict == MOAT_ALLOW;
}

/*--------------------------------------------------------------------------
** Admitted addresses.
*/
void moat__probe_addresses(const moat_cells *m, const cpoint *p, int side,
                           probe_addrs *out)
{
    const cdomain *d = &m->c.dom;
    int enforced = side >> 1;
    side &= 1;
    memset(out, 0, sizeof *out);
    out->atoms = calloc(d->words[D_IP] ? d->words[D_IP] : 1, sizeof(uint64_t));
    if (out->atoms == NULL)
        return;
    int dims[D_COUNT], n_dims = probe_dims(D_IP, -1, dims);
    for (size_t i = 0; i < m->c.n_cells; i++) {
        const ccell *x = cell_at(m, i);
        moat_decision dec;
        if (!holds(x, p, dims, n_dims) ||
            moat_cell_decision(m, i, side, &dec) != MOAT_OK)
            continue;
        if (enforced && dec.has_enforced_would)
            dec.verdict = dec.enforced_would;
        if (dec.verdict != MOAT_ALLOW)
            continue;
        for (uint32_t w = 0; w < d->words[D_IP]; w++)
            out->atoms[w] |= x->box.s[D_IP][w]; /* atom 0: no address */
        if (!enforced && out->n_rules < PROBE_RULES) {
            int seen = 0;
            for (int r = 0; r < out->n_rules; r++)
                seen |= out->rule[r] == dec.rule_;
            if (!seen) {
                out->cell[out->n_rules] = i;
                out->rule[out->n_rules++] = dec.rule_;
            }
        }
    }
    for (uint32_t a = 1; a < d->n[D_IP]; a++) {
        if (!moat__bit(out->atoms, a))
            continue;
        const ip_atom *ia = &d->ip[a];
        if (ia->family == 4) {
            out->ipv4 += ia->hi.lo - ia->lo.lo + 1;
        } else {
            cu128 lo = ((cu128)ia->lo.hi << 64) | ia->lo.lo;
            cu128 hi = ((cu128)ia->hi.hi << 64) | ia->hi.lo;
            cu128 n = hi - lo + 1, before = out->ipv6;
            out->ipv6 += n;
            out->ipv6_all |= n == 0 || out->ipv6 < before;
        }
    }
}

void moat__probe_free(probe_addrs *a)
{
    free(a->atoms);
    a->atoms = NULL;
}

/* x != 0: its trailing zero bits, and the position of its highest bit. */
static int ctz128(cu128 x)
{
    uint64_t lo = (uint64_t)x;
    return lo ? __builtin_ctzll(lo) : 64 + __builtin_ctzll((uint64_t)(x >> 64));
}

static int log2_128(cu128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    return hi ? 127 - __builtin_clzll(hi) : 63 - __builtin_clzll((uint64_t)x);
}

/* The largest aligned block at lo inside [lo, hi], as log2 of its size
** (128: the whole IPv6 space): as many bits as lo ends with zeros, and
** no more than the interval holds. */
static int block_at(cu128 lo, cu128 hi, int bits)
{
    cu128 n = hi - lo + 1;
    if (n == 0)
        return 128; /* [0, 2^128 - 1] */
    int tz = lo == 0 ? bits : ctz128(lo), lg = log2_128(n);
    int size = tz < lg ? tz : lg;
    return size > bits ? bits : size;
}

static char *decimal(char *p, unsigned v)
{
    char d[10];
    int n = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n)
        *p++ = d[--n];
    return p;
}

size_t moat__probe_cidr_text(int family, cu128 lo, int prefix, char *out)
{
    char *p = out;
    if (family == 4) { /* dotted quad, as inet_ntop writes it */
        for (int i = 3; i >= 0; i--) {
            p = decimal(p, (unsigned)(lo >> (8 * i)) & 255u);
            if (i)
                *p++ = '.';
        }
    } else {
        moat_addr a = {6, {(uint64_t)(lo >> 64), (uint64_t)lo}};
        moat__addr_format(&a, out, 64);
        p += strlen(out);
    }
    *p++ = '/';
    p = decimal(p, (unsigned)prefix);
    *p = '\0';
    return (size_t)(p - out);
}

void moat__probe_cidrs(moat_buf *b, int f, cu128 lo, cu128 hi, int *n)
{
    int bits = f == 4 ? 32 : 128;
    for (;;) {
        int size = block_at(lo, hi, bits);
        char text[80];
        text[0] = ',';
        text[1] = '"';
        size_t len = moat__probe_cidr_text(f, lo, bits - size, text + 2) + 2;
        text[len++] = '"';
        moat__buf_put(b, *n ? text : text + 1, *n ? len : len - 1);
        (*n)++;
        if (size == 128)
            return;
        cu128 last = lo + ((cu128)1 << size) - 1;
        if (last >= hi)
            return;
        lo = last + 1;
    }
}

int moat__probe_ranges(moat_buf *b, const moat_cells *m, const probe_addrs *a)
{
    const cdomain *d = &m->c.dom;
    int n = 0;
    for (uint32_t x = 1; a->atoms && x < d->n[D_IP]; x++) {
        if (!moat__bit(a->atoms, x))
            continue;
        uint32_t e = x;
        while (e + 1 < d->n[D_IP] && moat__bit(a->atoms, e + 1) &&
               d->ip[e + 1].family == d->ip[x].family)
            e++;
        const ip_atom *lo = &d->ip[x], *hi = &d->ip[e];
        moat__probe_cidrs(b, lo->family, ((cu128)lo->lo.hi << 64) | lo->lo.lo,
                 ((cu128)hi->hi.hi << 64) | hi->hi.lo, &n);
        x = e;
    }
    return n;
}
