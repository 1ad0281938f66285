/*
** strmap.c - see strmap.h. FNV-1a hashing, linear probing, load <= 1/2.
*/
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash_of(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

void strmap_init(strmap *m)
{
    memset(m, 0, sizeof *m);
}

void strmap_free(strmap *m, void (*free_value)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key == NULL)
            continue;
        free(m->slots[i].key);
        if (free_value && m->slots[i].value)
            free_value(m->slots[i].value);
    }
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static strmap_entry *probe(const strmap *m, const char *key, size_t len,
                           uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        strmap_entry *e = &m->slots[i];
        if (e->key == NULL ||
            (e->hash == h && e->len == len && memcmp(e->key, key, len) == 0))
            return e;
    }
}

static int grow(strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    strmap_entry *old = m->slots;
    size_t old_cap = m->cap;
    m->slots = calloc(cap, sizeof *m->slots);
    if (m->slots == NULL) {
        m->slots = old;
        m->failed = 1;
        return -1;
    }
    m->cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].key)
            *probe(m, old[i].key, old[i].len, old[i].hash) = old[i];
    }
    free(old);
    return 0;
}

strmap_entry *strmap_find(const strmap *m, const char *key, size_t len)
{
    if (m->cap == 0)
        return NULL;
    strmap_entry *e = probe(m, key, len, hash_of(key, len));
    return e->key ? e : NULL;
}

strmap_entry *strmap_get(strmap *m, const char *key, size_t len)
{
    if ((m->n + 1) * 2 > m->cap && grow(m) < 0)
        return NULL;
    uint64_t h = hash_of(key, len);
    strmap_entry *e = probe(m, key, len, h);
    if (e->key)
        return e;
    e->key = malloc(len + 1);
    if (e->key == NULL) {
        m->failed = 1;
        return NULL;
    }
    memcpy(e->key, key, len);
    e->key[len] = '\0';
    e->len = len;
    e->hash = h;
    e->count = 0;
    e->value = NULL;
    m->n++;
    return e;
}

int strmap_add(strmap *m, const char *key, size_t len, uint64_t n)
{
    strmap_entry *e = strmap_get(m, key, len);
    if (e == NULL)
        return -1;
    e->count += n;
    return 0;
}

static int by_key(const void *x, const void *y)
{
    const strmap_entry *a = *(strmap_entry *const *)x;
    const strmap_entry *b = *(strmap_entry *const *)y;
    return strcmp(a->key, b->key);
}

static int by_count(const void *x, const void *y)
{
    const strmap_entry *a = *(strmap_entry *const *)x;
    const strmap_entry *b = *(strmap_entry *const *)y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->key, b->key);
}

static strmap_entry **collect(const strmap *m, size_t *n,
                              int (*cmp)(const void *, const void *))
{
    *n = 0;
    if (m->n == 0)
        return NULL;
    strmap_entry **v = malloc(m->n * sizeof *v);
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key)
            v[(*n)++] = &m->slots[i];
    }
    qsort(v, *n, sizeof *v, cmp);
    return v;
}

strmap_entry **strmap_sorted(const strmap *m, size_t *n)
{
    return collect(m, n, by_key);
}

strmap_entry **strmap_by_count(const strmap *m, size_t *n)
{
    return collect(m, n, by_count);
}
