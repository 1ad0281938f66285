/*
** ids.c - Azure identifiers.
**
** Azure Resource Manager compares resource ids, names, GUIDs and enum values
** ignoring case, and writes regions both as "westeurope" and "West Europe"
** (decision.md section 7). Everything here folds ASCII case; regions also
** drop spaces. Hash tables key on the folded text and confirm with a full
** case-insensitive comparison.
*/
#include "moat_int.h"

#include <stdlib.h>
#include <string.h>

static inline unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static inline uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9E3779B97F4A7C15ULL;
    return h ^ (h >> 29);
}

uint64_t moat__hash_ci(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        h = mix(h, moat__fold8(moat__load8(s + i)));
    if (i < n)
        h = mix(h, moat__fold8(moat__load_tail(s + i, n - i)));
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h ? h : 1; /* 0 means "no hash" in callers */
}

int moat__eq_ci_z(const char *a, const char *b)
{
    return moat__eq_ci(a, strlen(a), b, strlen(b));
}

void moat__lower(char *s)
{
    for (; *s; s++)
        *s = (char)fold((unsigned char)*s);
}

int moat__region_norm(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t')
            continue;
        if (o + 1 >= cap)
            return -1;
        out[o++] = (char)fold(c);
    }
    if (o == 0)
        return -1;
    out[o] = '\0';
    return 0;
}

const char *moat__region_pair_of(const char *norm)
{
    for (unsigned long i = 0; norm && i < moat__region_pairs_size; i++) {
        if (strcmp(moat__region_pairs[i].region, norm) == 0)
            return moat__region_pairs[i].pair;
    }
    return NULL;
}

const char *moat_paired_region(const char *region)
{
    char norm[64];
    if (region == NULL ||
        moat__region_norm(region, strlen(region), norm, sizeof norm) != 0)
        return NULL;
    return moat__region_pair_of(norm);
}

int moat__subscription_of(const char *s, size_t n, char *out, size_t cap)
{
    static const char prefix[] = "/subscriptions/";
    size_t plen = sizeof prefix - 1;
    if (n >= plen && moat__eq_ci(s, plen, prefix, plen)) {
        s += plen;
        n -= plen;
    }
    while (n > 0 && s[n - 1] == '/')
        n--;
    if (n == 0 || n + 1 > cap || memchr(s, '/', n) != NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)fold((unsigned char)s[i]);
    out[n] = '\0';
    return 0;
}

/*--------------------------------------------------------------------------
** Interning: case-insensitive string -> dense index.
*/
struct moat_intern_slot {
    uint64_t hash;
    uint32_t index;
};

void moat__intern_init(moat_intern *t)
{
    memset(t, 0, sizeof *t);
}

void moat__intern_free(moat_intern *t)
{
    free(t->slots);
    free(t->keys);
    memset(t, 0, sizeof *t);
}

static uint32_t intern_probe(const moat_intern *t, uint64_t h, const char *key,
                             size_t n, size_t *slot)
{
    size_t mask = t->cap - 1;
    size_t i = (size_t)h & mask;
    for (;;) {
        const struct moat_intern_slot *s = &t->slots[i];
        if (s->hash == 0) {
            *slot = i;
            return MOAT_ID_OTHER;
        }
        if (s->hash == h) {
            const char *k = t->keys[s->index];
            if (moat__eq_ci(k, strlen(k), key, n))
                return s->index;
        }
        i = (i + 1) & mask;
    }
}

static int intern_grow(moat_intern *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    struct moat_intern_slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].hash == 0)
            continue;
        size_t j = (size_t)t->slots[i].hash & (cap - 1);
        while (slots[j].hash)
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

uint32_t moat__intern_add(moat_intern *t, moat_arena *a, const char *key,
                          size_t n)
{
    if ((t->count + 1) * 2 > t->cap && intern_grow(t) != 0)
        return MOAT_ID_NONE;
    uint64_t h = moat__hash_ci(key, n);
    size_t slot;
    uint32_t found = intern_probe(t, h, key, n, &slot);
    if (found != MOAT_ID_OTHER)
        return found;
    if (t->count >= MOAT_ID_OTHER - 1)
        return MOAT_ID_NONE;
    if (t->count == t->keys_cap) {
        size_t cap = t->keys_cap ? t->keys_cap * 2 : 64;
        const char **keys = realloc(t->keys, cap * sizeof *keys);
        if (keys == NULL)
            return MOAT_ID_NONE;
        t->keys = keys;
        t->keys_cap = cap;
    }
    char *copy = moat__arena_strndup(a, key, n);
    if (copy == NULL)
        return MOAT_ID_NONE;
    moat__lower(copy);
    uint32_t index = (uint32_t)t->count++;
    t->keys[index] = copy;
    t->slots[slot].hash = h;
    t->slots[slot].index = index;
    return index;
}

uint32_t moat__intern_find(const moat_intern *t, const char *key, size_t n)
{
    if (t->cap == 0)
        return MOAT_ID_OTHER;
    size_t slot;
    return intern_probe(t, moat__hash_ci(key, n), key, n, &slot);
}

/*--------------------------------------------------------------------------
** Index: case-insensitive string -> pointer.
*/
struct moat_index_slot {
    uint64_t hash;
    const char *key;
    size_t len;
    void *value;
};

void moat__index_init(moat_index *x)
{
    memset(x, 0, sizeof *x);
}

void moat__index_free(moat_index *x)
{
    free(x->slots);
    memset(x, 0, sizeof *x);
}

static struct moat_index_slot *index_probe(const moat_index *x, uint64_t h,
                                           const char *key, size_t n)
{
    size_t mask = x->cap - 1;
    size_t i = (size_t)h & mask;
    for (;;) {
        struct moat_index_slot *s = &x->slots[i];
        if (s->hash == 0)
            return s;
        if (s->hash == h && moat__eq_ci(s->key, s->len, key, n))
            return s;
        i = (i + 1) & mask;
    }
}

static int index_grow(moat_index *x)
{
    size_t cap = x->cap ? x->cap * 2 : 64;
    struct moat_index_slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < x->cap; i++) {
        if (x->slots[i].hash == 0)
            continue;
        size_t j = (size_t)x->slots[i].hash & (cap - 1);
        while (slots[j].hash)
            j = (j + 1) & (cap - 1);
        slots[j] = x->slots[i];
    }
    free(x->slots);
    x->slots = slots;
    x->cap = cap;
    return 0;
}

int moat__index_put(moat_index *x, const char *key, size_t n, void *value,
                    void **prev)
{
    if ((x->count + 1) * 2 > x->cap && index_grow(x) != 0)
        return -1;
    uint64_t h = moat__hash_ci(key, n);
    struct moat_index_slot *s = index_probe(x, h, key, n);
    if (s->hash != 0) {
        if (prev)
            *prev = s->value;
        return 1;
    }
    s->hash = h;
    s->key = key;
    s->len = n;
    s->value = value;
    x->count++;
    return 0;
}

void *moat__index_get(const moat_index *x, const char *key, size_t n)
{
    if (x->cap == 0)
        return NULL;
    struct moat_index_slot *s = index_probe(x, moat__hash_ci(key, n), key, n);
    return s->hash ? s->value : NULL;
}

void **moat__index_ref(const moat_index *x, const char *key, size_t n)
{
    if (x->cap == 0)
        return NULL;
    struct moat_index_slot *s = index_probe(x, moat__hash_ci(key, n), key, n);
    return s->hash ? &s->value : NULL;
}

/*--------------------------------------------------------------------------
** ARM ids.
*/
int moat__segments_split(const char *s, size_t n, moat_segments *out)
{
    out->n = 0;
    if (n >= 65536)
        return -1;
    size_t i = 0;
    if (n > 0 && s[0] == '/')
        i = 1;
    while (i <= n) {
        size_t start = i;
        while (i < n && s[i] != '/')
            i++;
        if (i == n && start == n && n > 0 && s[n - 1] == '/')
            break; /* trailing slash */
        if (out->n == MOAT_MAX_SEGMENTS)
            return -1;
        out->off[out->n] = (uint16_t)start;
        out->len[out->n] = (uint16_t)(i - start);
        out->n++;
        i++;
    }
    return 0;
}

/* Index of the segment "providers" (the last one, for nested providers in
** extension resources), or -1. */
static int providers_at(const char *s, const moat_segments *seg)
{
    int at = -1;
    for (int i = 0; i + 1 < seg->n; i++) {
        if (moat__eq_ci(s + seg->off[i], seg->len[i], "providers", 9))
            at = i;
    }
    return at;
}

size_t moat__arm_type_of(const char *id, size_t n, char *out, size_t cap)
{
    moat_segments seg;
    if (moat__segments_split(id, n, &seg) != 0)
        return 0;
    int p = providers_at(id, &seg);
    if (p < 0 || p + 2 >= seg.n)
        return 0;
    /* providers/NS/type/name[/type/name...]: NS, then every other segment. */
    size_t o = 0;
    for (int i = p + 1; i < seg.n; i++) {
        if (i > p + 1 && (i - p) % 2 == 1)
            continue; /* a name */
        size_t len = seg.len[i];
        if (o + len + 2 > cap)
            return 0;
        if (o)
            out[o++] = '/';
        memcpy(out + o, id + seg.off[i], len);
        o += len;
    }
    out[o] = '\0';
    return o;
}

int moat__arm_subscription_of(const char *id, size_t n, char *out, size_t cap)
{
    moat_segments seg;
    if (moat__segments_split(id, n, &seg) != 0 || seg.n < 2)
        return -1;
    if (!moat__eq_ci(id + seg.off[0], seg.len[0], "subscriptions", 13))
        return -1;
    return moat__subscription_of(id + seg.off[1], seg.len[1], out, cap);
}

size_t moat__arm_parent_len(const char *id, size_t n, const char *child)
{
    size_t cn = strlen(child);
    /* Search for "/<child>/" ignoring case, last occurrence. */
    if (n < cn + 2)
        return 0;
    for (size_t i = n - cn - 1; i > 0; i--) {
        if (id[i - 1] == '/' && id[i + cn] == '/' &&
            moat__eq_ci(id + i, cn, child, cn))
            return i - 1;
    }
    return 0;
}
