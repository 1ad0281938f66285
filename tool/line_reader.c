/*
** line_reader.c - see line_reader.h. Reads in chunks and finds line ends
** with memchr, as getline does, but never grows past the limit.
*/
#include "line_reader.h"

#include <stdlib.h>
#include <string.h>

void line_reader_init(line_reader *r, FILE *fp, size_t max)
{
    r->fp = fp;
    r->max = max;
    r->line = NULL;
    r->len = r->cap = 0;
    r->pos = r->end = 0;
    r->eof = 0;
}

void line_reader_free(line_reader *r)
{
    free(r->line);
    r->line = NULL;
    r->cap = 0;
}

/* Appends n bytes to the line (room for its NUL included); -1 when there
** is no memory for them. */
static int append(line_reader *r, const char *p, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *line = realloc(r->line, cap);
        if (line == NULL)
            return -1;
        r->line = line;
        r->cap = cap;
    }
    memcpy(r->line + r->len, p, n);
    r->len += n;
    return 0;
}

/* Refills the chunk: 1 when it holds bytes, 0 at the end, -1 on error. */
static int refill(line_reader *r)
{
    if (r->eof)
        return 0;
    r->pos = 0;
    r->end = fread(r->chunk, 1, sizeof r->chunk, r->fp);
    if (r->end > 0)
        return 1;
    r->eof = 1;
    return ferror(r->fp) ? -1 : 0;
}

line_status line_reader_next(line_reader *r)
{
    line_status st = LINE_OK;
    int started = 0;
    r->len = 0;
    for (;;) {
        if (r->pos == r->end) {
            int got = refill(r);
            if (got < 0)
                return LINE_READ_ERROR;
            if (got == 0)
                break; /* the last line may lack its "\n" */
        }
        const char *p = r->chunk + r->pos;
        size_t avail = r->end - r->pos;
        const char *nl = memchr(p, '\n', avail);
        size_t take = nl ? (size_t)(nl - p) : avail;
        started = 1;
        if (st == LINE_OK && r->len + take > r->max)
            st = LINE_TOO_LONG;
        else if (st == LINE_OK && append(r, p, take) < 0)
            st = LINE_NO_MEMORY;
        r->pos += take + (nl != NULL);
        if (nl)
            break;
    }
    if (!started)
        return LINE_END;
    if (st != LINE_OK)
        return st;
    if (r->len && r->line[r->len - 1] == '\r')
        r->len--;
    r->line[r->len] = '\0'; /* append() left room for it */
    return LINE_OK;
}
