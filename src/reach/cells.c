/*
** cells.c - splitting boxes, refining leaves stage by stage, and keeping
** the cells.
**
** A computation runs stages in order: the resource in its own access mode,
** then (Learning or Audit) as Enforced would decide it for
** enforced_would, then, for a diff, the other side likewise. A leaf of one
** stage is run through the next; a leaf of the last stage is a cell, with
** the outcome of every stage. Splits are remembered by (set, key): the
** later stages and sibling branches ask the same question of the same
** set again and again.
*/
#include "cells_int.h"

#include <stdlib.h>
#include <string.h>

#define MEMO_MIN 64u

/*--------------------------------------------------------------------------
** Splits.
*/
static size_t memo_slot(const cctx *c, const uint64_t *s, const int32_t *k)
{
    uint64_t h = ((uint64_t)(uintptr_t)s * 0x9E3779B97F4A7C15ULL) ^
                 ((uint64_t)(uintptr_t)k * 0xC2B2AE3D27D4EB4FULL);
    return (size_t)(h >> 17) & (c->memo_cap - 1);
}

/* Grows the memo to twice its size; 0, or -1 when out of memory. */
static int memo_grow(cctx *c)
{
    size_t cap = c->memo_cap ? 2 * c->memo_cap : MEMO_MIN;
    split_memo *old = c->memo;
    size_t old_cap = c->memo_cap;
    c->memo = calloc(cap, sizeof *c->memo);
    if (c->memo == NULL) {
        c->memo = old;
        return -1;
    }
    c->memo_cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].set == NULL)
            continue;
        size_t j = memo_slot(c, old[i].set, old[i].key);
        while (c->memo[j].set)
            j = (j + 1) & (cap - 1);
        c->memo[j] = old[i];
    }
    free(old);
    return 0;
}

static const split_memo *memo_find(const cctx *c, const uint64_t *s,
                                   const int32_t *k)
{
    if (c->memo_cap == 0)
        return NULL;
    for (size_t j = memo_slot(c, s, k); c->memo[j].set;
         j = (j + 1) & (c->memo_cap - 1)) {
        if (c->memo[j].set == s && c->memo[j].key == k)
            return &c->memo[j];
    }
    return NULL;
}

static void memo_put(cctx *c, const uint64_t *s, const int32_t *k,
                     const cgroup *g, uint32_t n)
{
    if (2 * (c->memo_used + 1) > c->memo_cap && memo_grow(c) != 0)
        return; /* not remembered: only slower */
    size_t j = memo_slot(c, s, k);
    while (c->memo[j].set)
        j = (j + 1) & (c->memo_cap - 1);
    c->memo[j].set = s;
    c->memo[j].key = k;
    c->memo[j].groups = g;
    c->memo[j].n = n;
    c->memo_used++;
}

/* The slot of key in the group map (keys run from -2 up). */
static size_t gslot(int32_t key)
{
    return (size_t)((int64_t)key + 2);
}

static int gmap_fit(cctx *c, int32_t key)
{
    size_t need = gslot(key) + 1;
    if (need <= c->gmap_len)
        return 0;
    size_t len = c->gmap_len ? c->gmap_len : 64;
    while (len < need)
        len *= 2;
    int32_t *g = realloc(c->gmap, len * sizeof *g);
    if (g == NULL)
        return -1;
    for (size_t i = c->gmap_len; i < len; i++)
        g[i] = -1;
    c->gmap = g;
    c->gmap_len = len;
    return 0;
}

/* Counts the distinct keys of s's atoms into the group map; their number,
** 0 when out of memory. */
static size_t count_groups(cctx *c, int d, const uint64_t *s,
                           const int32_t *key, int32_t *order, size_t cap)
{
    size_t ng = 0;
    for (uint32_t w = 0; w < c->dom.words[d]; w++) {
        for (uint64_t bits = s[w]; bits; bits &= bits - 1) {
            uint32_t a = w * 64 + (uint32_t)__builtin_ctzll(bits);
            int32_t k = key[a];
            if (gmap_fit(c, k) != 0)
                return 0;
            if (c->gmap[gslot(k)] < 0 && ng < cap) {
                c->gmap[gslot(k)] = (int32_t)ng;
                order[ng++] = k;
            }
        }
    }
    return ng;
}

size_t moat__cells_split(cctx *c, int d, const uint64_t *s, const int32_t *key,
                         const cgroup **out)
{
    *out = NULL;
    const split_memo *m = c->failed || key == NULL ? NULL : memo_find(c, s, key);
    if (m) {
        *out = m->groups;
        return m->n;
    }
    if (c->failed || key == NULL) {
        c->failed = c->failed ? c->failed : MOAT_E_NOMEM;
        return 0;
    }
    uint32_t n = c->dom.n[d], words = c->dom.words[d];
    int32_t *order = malloc((n + 1) * sizeof *order);
    size_t ng = order ? count_groups(c, d, s, key, order, n + 1) : 0;
    cgroup *g = ng ? moat__cells_alloc(c, ng * sizeof *g) : NULL;
    if (g && ng == 1) {
        g[0].key = order[0];
        g[0].set = s;
    } else if (g) {
        uint64_t *sets = moat__cells_alloc(c, ng * words * sizeof *sets);
        for (size_t i = 0; sets && i < ng; i++) {
            g[i].key = order[i];
            g[i].set = sets + i * words;
        }
        for (uint32_t w = 0; sets && w < words; w++) {
            for (uint64_t bits = s[w]; bits; bits &= bits - 1) {
                uint32_t a = w * 64 + (uint32_t)__builtin_ctzll(bits);
                moat__bit_set(sets + (size_t)c->gmap[gslot(key[a])] * words, a);
            }
        }
    }
    for (size_t i = 0; i < ng; i++)
        c->gmap[gslot(order[i])] = -1;
    free(order);
    if (g == NULL || c->failed) {
        c->failed = c->failed ? c->failed : MOAT_E_NOMEM;
        return 0;
    }
    memo_put(c, s, key, g, (uint32_t)ng);
    *out = g;
    return ng;
}

/*--------------------------------------------------------------------------
** Leaves and cells.
*/
static ccell *cell_new(cctx *c)
{
    if (c->limit && c->n_cells >= c->limit) {
        c->failed = MOAT_E_LIMIT;
        return NULL;
    }
    size_t b = c->n_cells / CELL_BLOCK;
    if (b == c->n_blocks) {
        if (c->n_blocks == c->cap_blocks) {
            size_t cap = c->cap_blocks ? 2 * c->cap_blocks : 16;
            ccell **v = moat__cells_alloc(c, cap * sizeof *v);
            if (v == NULL)
                return NULL;
            if (c->n_blocks)
                memcpy(v, c->blocks, c->n_blocks * sizeof *v);
            c->blocks = v;
            c->cap_blocks = cap;
        }
        /* not zeroed: cell_new's caller writes every field */
        c->blocks[c->n_blocks] =
            c->failed ? NULL
                      : moat__arena_alloc(c->arena, CELL_BLOCK * sizeof(ccell));
        if (c->blocks[c->n_blocks] == NULL && !c->failed)
            c->failed = MOAT_E_NOMEM;
        if (c->blocks[c->n_blocks] == NULL)
            return NULL;
        c->n_blocks++;
    }
    return &c->blocks[b][c->n_cells++ % CELL_BLOCK];
}

void moat__cells_leaf(cctx *c, int k, const cbox *b, coutcome o)
{
    if (c->failed)
        return;
    c->out[k] = o;
    if (k + 1 < c->n_stages) {
        moat__cells_run(c, k + 1, b);
        return;
    }
    ccell *x = cell_new(c);
    if (x == NULL)
        return;
    x->box = *b;
    memcpy(x->out, c->out, sizeof x->out);
}
