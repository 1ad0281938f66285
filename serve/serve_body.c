/*
** serve_body.c - a response's body, in the worker's own buffer, grown as
** an answer needs (serve.h: srv_body_reserve, srv_body_append); the
** endpoints and the metrics write into it.
*/
#include "serve.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int srv_body_reserve(srv_worker *w, srv_response *rs, size_t n)
{
    if (n > SIZE_MAX / 2 - rs->body_len)
        return -1;
    size_t need = rs->body_len + n + 1; /* and the terminating NUL */
    if (need <= w->cap)
        return 0;
    size_t cap = w->cap;
    while (cap < need)
        cap *= 2;
    char *b = realloc(w->buf, cap);
    if (b == NULL)
        return -1;
    w->buf = b;
    w->cap = cap;
    rs->body = b;
    return 0;
}

int srv_body_append(srv_worker *w, srv_response *rs, const char *s, size_t n)
{
    if (srv_body_reserve(w, rs, n) != 0)
        return -1;
    memcpy(w->buf + rs->body_len, s, n);
    rs->body_len += n;
    w->buf[rs->body_len] = '\0';
    return 0;
}
