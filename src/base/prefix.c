/*
** prefix.c - sets of CIDR ranges as sorted disjoint intervals.
**
** Every IP rule list (a storage account's ipRules and ipv6Rules, a Key
** Vault's ipRules, a perimeter profile's inbound addressPrefixes) compiles
** into one set per family. Each interval remembers the lowest rule index
** that covers it, so a lookup says which rule admitted the address as well
** as whether one did. Lookup is a branch-light binary search; a set of 400
** IPv4 rules is at most 801 intervals of 12 bytes.
**
** Building sweeps the range endpoints in order with a min-heap of the
** ranges that are open at each point (keyed by rule index), emitting one
** interval per stretch with the same lowest covering rule: O(n log n).
*/
#include "moat_int.h"

#include <stdlib.h>
#include <string.h>

struct moat_prefix_item {
    moat_u128 lo, hi;
    uint16_t rule;
    uint8_t family;
};

void moat__prefix_builder_init(moat_prefix_builder *b)
{
    memset(b, 0, sizeof *b);
}

void moat__prefix_builder_free(moat_prefix_builder *b)
{
    free(b->items);
    memset(b, 0, sizeof *b);
}

void moat__prefix_builder_add(moat_prefix_builder *b, const moat_cidr *c,
                              uint16_t rule)
{
    if (b->failed)
        return;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        struct moat_prefix_item *p = realloc(b->items, cap * sizeof *p);
        if (p == NULL) {
            b->failed = 1;
            return;
        }
        b->items = p;
        b->cap = cap;
    }
    struct moat_prefix_item *it = &b->items[b->n++];
    moat__cidr_range(c, &it->lo, &it->hi);
    it->rule = rule;
    it->family = c->addr.family;
}

static int cmp_items(const void *a, const void *b)
{
    const struct moat_prefix_item *x = a, *y = b;
    int c = moat__u128_cmp(x->lo, y->lo);
    if (c)
        return c;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static moat_u128 u128_inc(moat_u128 v)
{
    if (++v.lo == 0)
        v.hi++;
    return v;
}

static moat_u128 u128_dec(moat_u128 v)
{
    if (v.lo-- == 0)
        v.hi--;
    return v;
}

/* A binary min-heap of indexes into items, ordered by rule. */
typedef struct heap {
    size_t *a;
    size_t n;
    const struct moat_prefix_item *items;
} heap;

static int heap_less(const heap *h, size_t i, size_t j)
{
    return h->items[h->a[i]].rule < h->items[h->a[j]].rule;
}

static void heap_swap(heap *h, size_t i, size_t j)
{
    size_t t = h->a[i];
    h->a[i] = h->a[j];
    h->a[j] = t;
}

static void heap_push(heap *h, size_t item)
{
    size_t i = h->n++;
    h->a[i] = item;
    while (i > 0 && heap_less(h, i, (i - 1) / 2)) {
        heap_swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_pop(heap *h)
{
    h->a[0] = h->a[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && heap_less(h, l, m))
            m = l;
        if (r < h->n && heap_less(h, r, m))
            m = r;
        if (m == i)
            return;
        heap_swap(h, i, m);
        i = m;
    }
}

typedef struct span {
    moat_u128 lo, hi;
    uint16_t rule;
} span;

/* Sweeps items[0..n) (one family, sorted by lo) into spans; returns the
** count, or -1 when out of memory. */
static long sweep(const struct moat_prefix_item *items, size_t n, span *out)
{
    heap h = {malloc((n ? n : 1) * sizeof(size_t)), 0, items};
    if (h.a == NULL)
        return -1;
    size_t next = 0, nout = 0;
    moat_u128 at = {0, 0};
    int started = 0;
    while (next < n || h.n > 0) {
        /* Drop ranges that ended before `at`. */
        while (h.n > 0 && started && moat__u128_cmp(items[h.a[0]].hi, at) < 0)
            heap_pop(&h);
        if (h.n == 0) {
            if (next == n)
                break;
            at = items[next].lo;
            started = 1;
        }
        while (next < n && moat__u128_cmp(items[next].lo, at) <= 0)
            heap_push(&h, next++);
        while (h.n > 0 && moat__u128_cmp(items[h.a[0]].hi, at) < 0)
            heap_pop(&h);
        if (h.n == 0)
            continue;
        /* The lowest rule covers [at, end]; end is the nearest of its own
        ** end and the point before the next range starts (a lower rule may
        ** begin there). */
        const struct moat_prefix_item *top = &items[h.a[0]];
        moat_u128 end = top->hi;
        if (next < n && moat__u128_cmp(items[next].lo, end) <= 0)
            end = u128_dec(items[next].lo);
        if (nout > 0 && out[nout - 1].rule == top->rule &&
            moat__u128_cmp(u128_inc(out[nout - 1].hi), at) == 0) {
            out[nout - 1].hi = end;
        } else {
            out[nout].lo = at;
            out[nout].hi = end;
            out[nout].rule = top->rule;
            nout++;
        }
        if (end.hi == ~0ULL && end.lo == ~0ULL)
            break; /* covered up to the last address */
        at = u128_inc(end);
    }
    free(h.a);
    return (long)nout;
}

moat_status moat__prefix_build(moat_prefix_builder *b, moat_arena *a,
                               moat_prefix_set *out)
{
    memset(out, 0, sizeof *out);
    if (b->failed)
        return MOAT_E_NOMEM;
    if (b->n == 0)
        return MOAT_OK;
    /* Family 4 first, then 6, each sorted by start. */
    size_t n4 = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (b->items[i].family == 4) {
            struct moat_prefix_item t = b->items[n4];
            b->items[n4++] = b->items[i];
            b->items[i] = t;
        }
    }
    qsort(b->items, n4, sizeof *b->items, cmp_items);
    qsort(b->items + n4, b->n - n4, sizeof *b->items, cmp_items);
    /* n ranges produce at most 2n - 1 spans. */
    span *spans = malloc(2 * b->n * sizeof *spans);
    if (spans == NULL)
        return MOAT_E_NOMEM;
    moat_status rc = MOAT_OK;
    long c4 = sweep(b->items, n4, spans);
    if (c4 < 0) {
        rc = MOAT_E_NOMEM;
        goto out;
    }
    if (c4 > 0) {
        moat_iv4 *v4 = moat__arena_alloc(a, (size_t)c4 * sizeof *v4);
        if (v4 == NULL) {
            rc = MOAT_E_NOMEM;
            goto out;
        }
        for (long i = 0; i < c4; i++) {
            v4[i].lo = (uint32_t)spans[i].lo.lo;
            v4[i].hi = (uint32_t)spans[i].hi.lo;
            v4[i].rule = spans[i].rule;
        }
        out->v4 = v4;
        out->n4 = (uint32_t)c4;
    }
    long c6 = sweep(b->items + n4, b->n - n4, spans);
    if (c6 < 0) {
        rc = MOAT_E_NOMEM;
        goto out;
    }
    if (c6 > 0) {
        moat_iv6 *v6 = moat__arena_alloc(a, (size_t)c6 * sizeof *v6);
        if (v6 == NULL) {
            rc = MOAT_E_NOMEM;
            goto out;
        }
        for (long i = 0; i < c6; i++) {
            v6[i].lo = spans[i].lo;
            v6[i].hi = spans[i].hi;
            v6[i].rule = spans[i].rule;
        }
        out->v6 = v6;
        out->n6 = (uint32_t)c6;
    }
out:
    free(spans);
    b->n = 0;
    return rc;
}

static uint16_t lookup4(const moat_iv4 *base, uint32_t n, uint32_t x)
{
    if (n == 0)
        return MOAT_RULE_NONE;
    /* Last interval whose lo <= x (branchless halving). */
    while (n > 1) {
        uint32_t half = n / 2;
        base = (base[half].lo <= x) ? base + half : base;
        n -= half;
    }
    return (base->lo <= x && x <= base->hi) ? base->rule : MOAT_RULE_NONE;
}

static uint16_t lookup6(const moat_iv6 *base, uint32_t n, moat_u128 x)
{
    if (n == 0)
        return MOAT_RULE_NONE;
    while (n > 1) {
        uint32_t half = n / 2;
        base = (moat__u128_cmp(base[half].lo, x) <= 0) ? base + half : base;
        n -= half;
    }
    if (moat__u128_cmp(base->lo, x) <= 0 && moat__u128_cmp(x, base->hi) <= 0)
        return base->rule;
    return MOAT_RULE_NONE;
}

uint16_t moat__prefix_lookup(const moat_prefix_set *s, const moat_addr *addr)
{
    if (addr->family == 4)
        return lookup4(s->v4, s->n4, (uint32_t)addr->v.lo);
    if (addr->family == 6)
        return lookup6(s->v6, s->n6, addr->v);
    return MOAT_RULE_NONE;
}

size_t moat__prefix_bytes(const moat_prefix_set *s)
{
    return s->n4 * sizeof(moat_iv4) + s->n6 * sizeof(moat_iv6);
}
