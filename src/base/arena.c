/*
** arena.c - bump allocation in chunks.
**
** A loader, an estate and each parsed request line own one arena; nothing
** inside is freed individually. moat__arena_reset() keeps the largest chunk
** so that a stream of requests reuses one block and stops calling malloc.
*/
#include "moat_int.h"

#include <stdlib.h>
#include <string.h>

struct moat_arena_chunk {
    moat_arena_chunk *next;
    size_t cap;
    size_t used;
    _Alignas(16) unsigned char data[];
};

#define ARENA_ALIGN 16u
#define ARENA_MIN_CHUNK (16u * 1024u)

void moat__arena_init(moat_arena *a, size_t limit)
{
    a->head = NULL;
    a->total = 0;
    a->limit = limit;
}

static moat_arena_chunk *chunk_new(moat_arena *a, size_t need)
{
    size_t cap = ARENA_MIN_CHUNK;
    if (a->head && a->head->cap * 2 > cap)
        cap = a->head->cap * 2;
    if (cap > 64u * 1024u * 1024u)
        cap = 64u * 1024u * 1024u;
    if (cap < need)
        cap = need;
    if (a->limit && a->total + cap > a->limit) {
        if (a->total + need > a->limit)
            return NULL;
        cap = need;
    }
    moat_arena_chunk *c = malloc(sizeof(*c) + cap);
    if (c == NULL)
        return NULL;
    c->cap = cap;
    c->used = 0;
    c->next = a->head;
    a->head = c;
    a->total += cap;
    return c;
}

void *moat__arena_alloc(moat_arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    size_t rounded = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    moat_arena_chunk *c = a->head;
    if (c == NULL || c->cap - c->used < rounded) {
        c = chunk_new(a, rounded);
        if (c == NULL)
            return NULL;
    }
    void *p = c->data + c->used;
    c->used += rounded;
    return p;
}

void *moat__arena_zalloc(moat_arena *a, size_t n)
{
    void *p = moat__arena_alloc(a, n);
    if (p)
        memset(p, 0, n);
    return p;
}

char *moat__arena_strndup(moat_arena *a, const char *s, size_t n)
{
    char *p = moat__arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *moat__arena_vprintf(moat_arena *a, const char *fmt, va_list ap)
{
    char small[256];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    char *p = NULL;
    if (n >= 0 && (size_t)n < sizeof small)
        p = moat__arena_strndup(a, small, (size_t)n);
    else if (n >= 0 && (p = moat__arena_alloc(a, (size_t)n + 1)) != NULL)
        vsnprintf(p, (size_t)n + 1, fmt, again);
    va_end(again);
    return p;
}

char *moat__arena_printf(moat_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = moat__arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void moat__arena_reset(moat_arena *a)
{
    moat_arena_chunk *keep = NULL;
    moat_arena_chunk *c = a->head;
    while (c) {
        moat_arena_chunk *next = c->next;
        if (keep == NULL || c->cap > keep->cap) {
            if (keep)
                free(keep);
            keep = c;
        } else {
            free(c);
        }
        c = next;
    }
    a->head = keep;
    a->total = 0;
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
        a->total = keep->cap;
    }
}

void moat__arena_free(moat_arena *a)
{
    moat_arena_chunk *c = a->head;
    while (c) {
        moat_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}
