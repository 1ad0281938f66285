/*
** buf.c - see buf.h.
*/
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_CAP 256

static size_t cap_of(const tool_buf *b)
{
    return b->max ? b->max : TOOL_BUF_MAX;
}

int tb_reserve(tool_buf *b, size_t need)
{
    if (b->failed)
        return -1;
    /* The cap counts the bytes, the NUL after them not. */
    if (need > 0 && need - 1 > cap_of(b)) {
        b->failed = 1;
        return -1;
    }
    if (need <= b->cap)
        return 0;
    size_t c = b->cap ? b->cap : FIRST_CAP;
    while (c < need)
        c = c > SIZE_MAX / 2 ? need : c * 2;
    if (c - 1 > cap_of(b))
        c = cap_of(b) + 1; /* never more than the cap needs */
    char *p = (b->grow ? b->grow : realloc)(b->s, c);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    b->s = p;
    b->cap = c;
    return 0;
}

void tb_put_grow(tool_buf *b, const void *p, size_t n)
{
    if (n > SIZE_MAX - b->len - 1) {
        b->failed = 1;
        return;
    }
    if (tb_reserve(b, b->len + n + 1) != 0)
        return;
    if (n)
        memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void tb_printf(tool_buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < room && (size_t)n <= cap_of(b) - b->len) {
        b->len += (size_t)n;
        return;
    }
    /* Too long for the room left (or no memory yet): room for the whole
    ** text, then formatted again. */
    if (b->s)
        b->s[b->len] = '\0';
    if (tb_reserve(b, b->len + (size_t)n + 1) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void tb_json(tool_buf *b, const char *s, size_t n)
{
    tb_put(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        tb_put(b, s + run, i - run);
        char esc[8];
        if (c == '"' || c == '\\')
            snprintf(esc, sizeof esc, "\\%c", c);
        else
            snprintf(esc, sizeof esc, "\\u%04x", c);
        tb_puts(b, esc);
        run = i + 1;
    }
    tb_put(b, s + run, n - run);
    tb_put(b, "\"", 1);
}

void tb_json_str(tool_buf *b, const char *s)
{
    tb_json(b, s, strlen(s));
}

void tb_reset(tool_buf *b)
{
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
    b->failed = 0;
}

char *tb_take(tool_buf *b, size_t *len)
{
    if (b->s == NULL)
        tb_put(b, "", 0);
    if (b->failed) {
        tb_free(b);
        return NULL;
    }
    char *s = b->s;
    if (len)
        *len = b->len;
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

void tb_free(tool_buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}
