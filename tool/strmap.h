/*
** strmap.h - a string-keyed hash map (open addressing, keys copied), for
** replay's aggregates: counts by source, identity, reason and account.
*/
#ifndef MOAT_STRMAP_H
#define MOAT_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct strmap_entry {
    char *key;
    size_t len;
    uint64_t hash;
    uint64_t count; /* for counting maps */
    void *value;    /* for maps of structures */
} strmap_entry;

typedef struct strmap {
    strmap_entry *slots;
    size_t cap, n;
    int failed; /* out of memory: the map stopped growing */
} strmap;

void strmap_init(strmap *m);
/* Frees keys and slots; free_value (may be NULL) frees each value. */
void strmap_free(strmap *m, void (*free_value)(void *));
/* The entry of key, created (count 0, value NULL) when absent; NULL when
** out of memory. */
strmap_entry *strmap_get(strmap *m, const char *key, size_t len);
strmap_entry *strmap_find(const strmap *m, const char *key, size_t len);
/* Adds n to key's count. */
int strmap_add(strmap *m, const char *key, size_t len, uint64_t n);
/* The entries sorted by key (a new array the caller frees), *n their
** number; NULL when out of memory or empty. */
strmap_entry **strmap_sorted(const strmap *m, size_t *n);
/* The entries sorted by count, largest first, ties by key. */
strmap_entry **strmap_by_count(const strmap *m, size_t *n);

#endif
