/*
** jmespath_value.c - the values of the JMESPath engine and the arena that
** holds them: building (depth and expression references tracked as values
** are made, so that nothing walks a value to learn them), reading,
** JSON equality and ordering.
*/
#include "jmespath_int.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*--------------------------------------------------------------------------
** The arena.
*/
typedef struct jp_chunk {
    struct jp_chunk *next;
    size_t size, used;
} jp_chunk;

#define ALIGN _Alignof(max_align_t)
#define CHUNK_HEAD ((sizeof(jp_chunk) + ALIGN - 1) & ~(ALIGN - 1))
#define CHUNK_FIRST 4096u
#define CHUNK_MAX (1u << 20)
#define DEFAULT_MAX_BYTES ((size_t)1 << 30)
#define DEFAULT_MAX_STEPS 100000000ul

jp_arena *jp_arena_new(size_t max_bytes, unsigned long max_steps)
{
    jp_arena *a = calloc(1, sizeof *a);
    if (a == NULL)
        return NULL;
    a->max_bytes = max_bytes ? max_bytes : DEFAULT_MAX_BYTES;
    a->max_steps = max_steps ? max_steps : DEFAULT_MAX_STEPS;
    return a;
}

void jp_arena_free(jp_arena *a)
{
    if (a == NULL)
        return;
    for (jp_chunk *c = a->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

/* A new chunk for at least n bytes: the next size up, or n's own when n
** is large (then kept behind the current chunk, whose room stays in
** use). NULL past the bound or out of memory, with a->failure set. */
static jp_chunk *new_chunk(jp_arena *a, size_t n)
{
    size_t size = a->chunks ? a->chunks->size * 2 : CHUNK_FIRST;
    if (size > CHUNK_MAX)
        size = CHUNK_MAX;
    int own = n > size / 4;
    if (own)
        size = n;
    if (size > a->max_bytes || a->used > a->max_bytes - size) {
        a->failure = JP_ERR_LIMIT;
        return NULL;
    }
    jp_chunk *c = malloc(CHUNK_HEAD + size);
    if (c == NULL) {
        a->failure = JP_ERR_MEMORY;
        return NULL;
    }
    a->used += size;
    c->size = size;
    c->used = 0;
    if (own && a->chunks) {
        c->next = a->chunks->next;
        a->chunks->next = c;
    } else {
        c->next = a->chunks;
        a->chunks = c;
    }
    return c;
}

void *jp_alloc(jp_arena *a, size_t n)
{
    if (n > SIZE_MAX / 2) {
        a->failure = JP_ERR_LIMIT;
        return NULL;
    }
    n = n ? (n + ALIGN - 1) & ~(ALIGN - 1) : ALIGN;
    jp_chunk *c = a->chunks;
    if (c == NULL || c->size - c->used < n) {
        c = new_chunk(a, n);
        if (c == NULL)
            return NULL;
    }
    void *p = (char *)c + CHUNK_HEAD + c->used;
    c->used += n;
    return p;
}

char *jp_strdup(jp_arena *a, const char *s, size_t n)
{
    char *p = n < SIZE_MAX ? jp_alloc(a, n + 1) : NULL;
    if (p == NULL)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void *jp_fail(jp_error *err, jp_errkind kind, size_t offset, const char *fmt,
              ...)
{
    if (err == NULL || err->kind != JP_OK)
        return NULL;
    err->kind = kind;
    err->offset = offset;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return NULL;
}

const char *jp_error_kind_name(jp_errkind kind)
{
    static const char *const names[] = {"ok",
                                        "syntax",
                                        "unknown-function",
                                        "invalid-arity",
                                        "invalid-type",
                                        "invalid-value",
                                        "limit",
                                        "memory",
                                        "json"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind]
                                                           : "unknown";
}

/*--------------------------------------------------------------------------
** Building values.
*/
static const jp_value null_value = {.type = JP_NULL, .depth = 1};
static const jp_value true_value = {.type = JP_BOOL, .boolean = 1, .depth = 1};
static const jp_value false_value = {.type = JP_BOOL, .depth = 1};

const jp_value *jp_null(void)
{
    return &null_value;
}

const jp_value *jp_new_bool(int b)
{
    return b ? &true_value : &false_value;
}

static jp_value *new_value(jp_arena *a, jp_type type)
{
    jp_value *v = jp_alloc(a, sizeof *v);
    if (v) {
        memset(v, 0, sizeof *v);
        v->type = (unsigned char)type;
        v->depth = 1;
    }
    return v;
}

const jp_value *jp_number_value(jp_arena *a, double d, int is_int)
{
    jp_value *v = new_value(a, JP_NUMBER);
    if (v == NULL)
        return NULL;
    v->is_int = is_int && isfinite(d) && d == floor(d);
    v->u.num = v->is_int && d == 0 ? 0.0 : d; /* Python's int has no -0 */
    return v;
}

const jp_value *jp_new_number(jp_arena *a, double d, int is_int)
{
    return jp_number_value(a, d, is_int);
}

const jp_value *jp_string_over(jp_arena *a, const char *s, size_t len)
{
    jp_value *v = new_value(a, JP_STRING);
    if (v) {
        v->u.str = s;
        v->len = len;
    }
    return v;
}

const jp_value *jp_new_string(jp_arena *a, const char *s, size_t len)
{
    char *copy = jp_strdup(a, s, len);
    return copy ? jp_string_over(a, copy, len) : NULL;
}

const jp_value *jp_expref_value(jp_arena *a, const jp_node *n)
{
    jp_value *v = new_value(a, JP_EXPREF);
    if (v) {
        v->u.expref = n;
        v->has_expref = 1;
    }
    return v;
}

/* Sets v's depth and has_expref from its children; 0 when too deep. */
static int adopt(jp_arena *a, jp_value *v, const jp_value *child)
{
    if (child->depth + 1 > v->depth)
        v->depth = child->depth + 1;
    v->has_expref |= child->has_expref;
    if (v->depth > JP_MAX_DEPTH) {
        a->failure = JP_ERR_LIMIT;
        a->too_deep = 1;
        return 0;
    }
    return 1;
}

const jp_value *jp_array_take(jp_arena *a, const jp_value **items, size_t n)
{
    jp_value *v = new_value(a, JP_ARRAY);
    if (v == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!adopt(a, v, items[i]))
            return NULL;
    }
    v->u.items = items;
    v->len = n;
    return v;
}

const jp_value *jp_new_array(jp_arena *a, const jp_value *const *items,
                             size_t n)
{
    const jp_value **copy =
        n <= SIZE_MAX / sizeof *copy ? jp_alloc(a, n * sizeof *copy) : NULL;
    if (copy == NULL)
        return NULL;
    if (n)
        memcpy(copy, items, n * sizeof *copy);
    return jp_array_take(a, copy, n);
}

static int same_key(const jp_member *x, const jp_member *y)
{
    return x->key_len == y->key_len && memcmp(x->key, y->key, x->key_len) == 0;
}

/* Merges runs [lo, mid) and [mid, hi) of idx by key, keeping equal keys
** in their order (a stable sort). */
static void merge_by_key(const jp_member *m, size_t *idx, size_t *tmp,
                         size_t lo, size_t mid, size_t hi)
{
    size_t i = lo, j = mid, k = lo;
    while (i < mid && j < hi) {
        const jp_member *x = &m[idx[i]], *y = &m[idx[j]];
        size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
        int c = n ? memcmp(x->key, y->key, n) : 0;
        if (c == 0)
            c = (x->key_len > y->key_len) - (x->key_len < y->key_len);
        tmp[k++] = c <= 0 ? idx[i++] : idx[j++];
    }
    while (i < mid)
        tmp[k++] = idx[i++];
    while (j < hi)
        tmp[k++] = idx[j++];
    memcpy(idx + lo, tmp + lo, (hi - lo) * sizeof *idx);
}

/* Many members: sorts their indexes by key (bottom-up merge sort) so that
** repeats are neighbours, then keeps each key's first place with its
** last value. Returns the new count, or 0 with a->failure set. */
static size_t dedupe_sorted(jp_arena *a, jp_member *m, size_t n)
{
    size_t *idx = jp_alloc(a, 2 * n * sizeof *idx);
    unsigned char *dead = jp_alloc(a, n);
    if (idx == NULL || dead == NULL)
        return 0;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    memset(dead, 0, n);
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo + w < n; lo += 2 * w)
            merge_by_key(m, idx, idx + n, lo, lo + w,
                         lo + 2 * w < n ? lo + 2 * w : n);
    }
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && same_key(&m[idx[i]], &m[idx[j]]))
            dead[idx[j++]] = 1;
        m[idx[i]].value = m[idx[j - 1]].value;
        i = j;
    }
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (!dead[i])
            m[out++] = m[i];
    }
    return out;
}

/* Keeps each key once, in its first place with its last value (Python's
** dict). Returns the count, or 0 with a->failure set. */
static size_t dedupe(jp_arena *a, jp_member *m, size_t n)
{
    if (n > 16)
        return dedupe_sorted(a, m, n);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < out && !same_key(&m[j], &m[i]))
            j++;
        if (j < out)
            m[j].value = m[i].value;
        else
            m[out++] = m[i];
    }
    return out;
}

const jp_value *jp_object_take(jp_arena *a, jp_member *members, size_t n)
{
    jp_value *v = new_value(a, JP_OBJECT);
    if (v == NULL)
        return NULL;
    if (n > 1 && (n = dedupe(a, members, n)) == 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!adopt(a, v, members[i].value))
            return NULL;
    }
    v->u.members = members;
    v->len = n;
    return v;
}

int jp_is_ordered(const jp_value *obj)
{
    return obj && obj->type == JP_OBJECT && obj->ordered;
}

const jp_value *jp_new_object(jp_arena *a, const char *const *keys,
                              const size_t *key_lens,
                              const jp_value *const *values, size_t n)
{
    jp_member *m =
        n <= SIZE_MAX / sizeof *m ? jp_alloc(a, n * sizeof *m) : NULL;
    if (m == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        m[i].key = jp_strdup(a, keys[i], key_lens[i]);
        if (m[i].key == NULL)
            return NULL;
        m[i].key_len = key_lens[i];
        m[i].value = values[i];
    }
    return jp_object_take(a, m, n);
}

const jp_value *jp_new_object_fallback(jp_arena *a, const jp_value *obj,
                                       const jp_value *fallback)
{
    if (jp_type_of(obj) != JP_OBJECT ||
        (fallback && jp_type_of(fallback) != JP_OBJECT))
        return obj;
    jp_value *v = new_value(a, JP_OBJECT);
    if (v == NULL)
        return NULL;
    *v = *obj;
    v->fallback = fallback;
    return v;
}

int jp_list_push(jp_arena *a, jp_list *l, const jp_value *v)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        const jp_value **items = cap <= SIZE_MAX / sizeof *items
                                     ? jp_alloc(a, cap * sizeof *items)
                                     : NULL;
        if (items == NULL)
            return 0;
        if (l->n)
            memcpy(items, l->items, l->n * sizeof *items);
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = v;
    return 1;
}

/*--------------------------------------------------------------------------
** Reading values.
*/
jp_type jp_type_of(const jp_value *v)
{
    return v ? (jp_type)v->type : JP_NULL;
}

const char *jp_type_name(const jp_value *v)
{
    static const char *const names[] = {"null",  "boolean", "number", "string",
                                        "array", "object",  "expref"};
    return names[jp_type_of(v)];
}

int jp_is_true(const jp_value *v)
{
    switch (jp_type_of(v)) {
    case JP_NULL: return 0;
    case JP_BOOL: return v->boolean;
    case JP_STRING:
    case JP_ARRAY:
    case JP_OBJECT: return v->len > 0;
    default: return 1; /* numbers, 0 included, and expression references */
    }
}

double jp_number(const jp_value *v)
{
    return jp_type_of(v) == JP_NUMBER ? v->u.num : 0;
}

const char *jp_string(const jp_value *v, size_t *len)
{
    if (jp_type_of(v) != JP_STRING)
        return NULL;
    if (len)
        *len = v->len;
    return v->u.str;
}

size_t jp_count(const jp_value *v)
{
    jp_type t = jp_type_of(v);
    return t == JP_ARRAY || t == JP_OBJECT ? v->len : 0;
}

const jp_value *jp_item(const jp_value *v, size_t i)
{
    if (i >= jp_count(v))
        return NULL;
    return v->type == JP_ARRAY ? v->u.items[i] : v->u.members[i].value;
}

const char *jp_key(const jp_value *v, size_t i, size_t *len)
{
    if (jp_type_of(v) != JP_OBJECT || i >= v->len)
        return NULL;
    if (len)
        *len = v->u.members[i].key_len;
    return v->u.members[i].key;
}

const jp_value *jp_get(const jp_value *obj, const char *key, size_t len)
{
    for (; jp_type_of(obj) == JP_OBJECT; obj = obj->fallback) {
        for (size_t i = 0; i < obj->len; i++) {
            const jp_member *m = &obj->u.members[i];
            if (m->key_len == len && memcmp(m->key, key, len) == 0)
                return m->value;
        }
    }
    return NULL;
}

int jp_order(const jp_value *a, const jp_value *b)
{
    if (a->type == JP_NUMBER)
        return (a->u.num > b->u.num) - (a->u.num < b->u.num);
    size_t n = a->len < b->len ? a->len : b->len;
    int c = n ? memcmp(a->u.str, b->u.str, n) : 0; /* UTF-8: code points */
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Equality under a budget of steps: 1, 0, or -1 once *budget is spent
** (values shared within a result can make a naive walk exponential). */
static int equal_within(const jp_value *a, const jp_value *b,
                        unsigned long *budget)
{
    if (a == b)
        return 1;
    if (*budget == 0)
        return -1;
    --*budget;
    if (a->type != b->type || a->len != b->len)
        return 0;
    switch (a->type) {
    case JP_NULL: return 1;
    case JP_BOOL: return a->boolean == b->boolean;
    case JP_NUMBER: return a->u.num == b->u.num;
    case JP_STRING: return memcmp(a->u.str, b->u.str, a->len) == 0;
    case JP_ARRAY:
        for (size_t i = 0; i < a->len; i++) {
            int e = equal_within(a->u.items[i], b->u.items[i], budget);
            if (e != 1)
                return e;
        }
        return 1;
    case JP_OBJECT:
        for (size_t i = 0; i < a->len; i++) {
            const jp_member *m = &a->u.members[i];
            const jp_value *other = NULL;
            for (size_t j = 0; j < b->len && other == NULL; j++) {
                if (*budget == 0)
                    return -1; /* finding the key costs too */
                --*budget;
                if (same_key(m, &b->u.members[j]))
                    other = b->u.members[j].value;
            }
            int e = other ? equal_within(m->value, other, budget) : 0;
            if (e != 1)
                return e;
        }
        return 1;
    default: return 0; /* expression references: only the same one */
    }
}

int jp_equal(const jp_value *a, const jp_value *b)
{
    unsigned long budget = DEFAULT_MAX_STEPS;
    return equal_within(a ? a : &null_value, b ? b : &null_value, &budget) == 1;
}

int jp_equal_counted(jp_arena *a, const jp_value *x, const jp_value *y)
{
    unsigned long left = a->steps < a->max_steps ? a->max_steps - a->steps : 0;
    unsigned long budget = left;
    int e = equal_within(x, y, &budget);
    a->steps += left - budget;
    return e;
}
