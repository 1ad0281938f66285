/*
** buf.h - the one growable byte buffer of the command line, serve, fuzz and
** bench: bytes and formatted text appended, a size cap, and a sticky
** failure flag so that a caller checks once, at the end, whether anything
** was lost (out of memory, over the cap, a format error).
**
** A zeroed tool_buf is an empty buffer with the default cap. Once anything
** was put, s is NUL-terminated (s[len] == '\0'), so text can be used as a
** C string. After a failure every later append does nothing: the bytes
** already in s are a prefix of what was asked, never a whole.
*/
#ifndef MOAT_TOOL_BUF_H
#define MOAT_TOOL_BUF_H

#include <stddef.h>
#include <string.h>

/* The cap of a buffer whose max is 0: the estate files' 1 GiB. */
#define TOOL_BUF_MAX ((size_t)1 << 30)

typedef struct tool_buf {
    char *s;
    size_t len; /* bytes in s, the NUL not counted */
    size_t cap; /* bytes allocated at s */
    size_t max; /* the most bytes s may hold (0: TOOL_BUF_MAX); set
                   before the first append */
    int failed; /* sticky: out of memory, over max, or a bad format */
    /* realloc(3) when NULL; the unit tests make it fail. */
    void *(*grow)(void *p, size_t n);
} tool_buf;

/* Room for need bytes in all (the NUL included). 0, or -1 with failed set
** (already failed, over max, out of memory). For a caller that also writes
** into s itself. */
int tb_reserve(tool_buf *b, size_t need);
/* n bytes at p appended. */
void tb_put_grow(tool_buf *b, const void *p, size_t n);
static inline void tb_put(tool_buf *b, const void *p, size_t n)
{
    /* Inline while they fit (replay appends a few bytes at a time); the
    ** room is never past max + 1 (tb_reserve), so no cap is crossed. */
    if (n < b->cap - b->len && !b->failed) {
        memcpy(b->s + b->len, p, n);
        b->len += n;
        b->s[b->len] = '\0';
    } else {
        tb_put_grow(b, p, n);
    }
}
static inline void tb_puts(tool_buf *b, const char *s)
{
    tb_put(b, s, strlen(s));
}
/* Formats at the end of the buffer whatever the length: formatted first
** into the room there, and again once the buffer holds the text's size. */
void tb_printf(tool_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s[0..n) as a JSON string literal, quotes included: '"' and '\\'
** escaped, control characters as \u00XX, everything else as it is. */
void tb_json(tool_buf *b, const char *s, size_t n);
/* The same for a C string. */
void tb_json_str(tool_buf *b, const char *s);
/* Empties the buffer, keeping its memory, and clears failed. */
void tb_reset(tool_buf *b);
/* Hands the text over (NUL-terminated, "" when nothing was put; *len gets
** its length when len is not NULL) and leaves b empty. NULL, and the
** memory freed, when b failed or "" could not be allocated. */
char *tb_take(tool_buf *b, size_t *len);
/* Frees the memory; b is empty again (its max and grow kept). */
void tb_free(tool_buf *b);

#endif
