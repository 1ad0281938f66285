/*
** replay_input.c - see replay_input.h. replay_source reads gzip and plain
** files alike (every member of a multi-member gzip), so one path serves
** both.
*/
#include "replay_input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_BYTES (1u << 20)
#define MAX_RECORD (64u << 20)

static int fail(replay_input *in, const char *detail)
{
    in->error = 1;
    snprintf(in->err, sizeof in->err, "%s", detail);
    return -1;
}

/* Reads more into the carry buffer; 0 at end of input, -1 on error. */
static long read_more(replay_input *in)
{
    if (in->eof)
        return 0;
    if (tb_reserve(&in->carry, in->carry.len + READ_BYTES) < 0)
        return fail(in, "out of memory");
    long n =
        replay_source_read(in->src, in->carry.s + in->carry.len, READ_BYTES);
    if (n < 0)
        return fail(in, replay_source_error(in->src));
    if (n == 0) {
        in->eof = 1;
        return 0;
    }
    in->carry.len += (size_t)n;
    in->bytes += (size_t)n;
    return n;
}

static int blank_byte(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A UTF-8 byte order mark (some Windows exports start with one). */
static size_t bom_len(const char *p, size_t n)
{
    return n >= 3 && (unsigned char)p[0] == 0xEF &&
                   (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF
               ? 3
               : 0;
}

static size_t skip_bom_ws(const char *p, size_t n)
{
    size_t i = bom_len(p, n);
    while (i < n && blank_byte(p[i]))
        i++;
    return i;
}

/* {"records": [ ... ]} (a diagnostic blob of older exports, an Event Hub
** message): the offset just past '[', or 0. */
static size_t records_wrapper(const char *p, size_t n)
{
    size_t i = skip_bom_ws(p, n);
    if (i >= n || p[i] != '{')
        return 0;
    i++;
    while (i < n && blank_byte(p[i]))
        i++;
    if (n - i < 9 || memcmp(p + i, "\"records\"", 9) != 0)
        return 0;
    i += 9;
    while (i < n && (blank_byte(p[i]) || p[i] == ':'))
        i++;
    return i < n && p[i] == '[' ? i + 1 : 0;
}

/* Frames array elements from the carry into buf->s, one line each. */
static size_t frame_array(replay_input *in, tool_buf *buf,
                          size_t want, size_t *used, uint64_t *records)
{
    size_t start = *used, i = 0, elem = 0;
    int in_elem = 0;
    const char *c = in->carry.s;
    size_t consumed = 0;
    for (; i < in->carry.len && !in->array_done; i++) {
        char ch = c[i];
        if (in->depth == 0 && !in_elem) {
            if (ch == ']') {
                in->array_done = 1;
                consumed = i + 1;
                break;
            }
            if (ch == ',' || ch == ' ' || ch == '\n' || ch == '\r' ||
                ch == '\t') {
                consumed = i + 1;
                continue;
            }
            in_elem = 1;
            elem = i;
        }
        if (in->in_string) {
            if (in->escaped)
                in->escaped = 0;
            else if (ch == '\\')
                in->escaped = 1;
            else if (ch == '"')
                in->in_string = 0;
        } else if (ch == '"') {
            in->in_string = 1;
        } else if (ch == '{' || ch == '[') {
            in->depth++;
        } else if (ch == '}' || ch == ']') {
            in->depth--;
        }
        int scalar_end =
            in->depth == 0 && !in->in_string &&
            (i + 1 >= in->carry.len || c[i + 1] == ',' || c[i + 1] == ']');
        if (in_elem && in->depth == 0 && !in->in_string &&
            (ch == '}' || scalar_end)) {
            size_t len = i + 1 - elem;
            if (tb_reserve(buf, *used + len + 1) < 0) {
                fail(in, "out of memory");
                return 0;
            }
            char *o = buf->s + *used;
            for (size_t k = 0; k < len; k++) {
                char x = c[elem + k];
                o[k] = x == '\n' || x == '\r' ? ' ' : x;
            }
            o[len] = '\n';
            *used += len + 1;
            (*records)++;
            in_elem = 0;
            consumed = i + 1;
            if (*used - start >= want) {
                i++;
                break;
            }
        }
    }
    if (in_elem) {
        /* An element continues past the data read: rescan it next time. */
        in->depth = 0;
        in->in_string = 0;
        in->escaped = 0;
        consumed = elem;
    }
    memmove(in->carry.s, in->carry.s + consumed, in->carry.len - consumed);
    in->carry.len -= consumed;
    return *used - start;
}

/* The last record boundary in [p, p+n): just after a '\n' outside CSV
** quotes; 0 when there is none. */
static size_t last_boundary(input_mode mode, const char *p, size_t n)
{
    if (mode == MODE_LINES) {
        for (size_t i = n; i > 0; i--) {
            if (p[i - 1] == '\n')
                return i;
        }
        return 0;
    }
    size_t cut = 0;
    int quoted = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"')
            quoted = !quoted;
        else if (p[i] == '\n' && !quoted)
            cut = i + 1;
    }
    return cut;
}

static size_t count_lines(const char *p, size_t n)
{
    size_t k = 0;
    for (const char *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))); p++)
        k++;
    return k;
}

/* Moves the number of the next record past a chunk's records, when
** every chunk is numbered; otherwise the next chunk's number is left to
** whoever reads the chunks in order (0: "after the previous chunk"),
** which spares a pass over every byte. */
static void number_chunk(replay_input *in, const char *p, size_t n)
{
    if (in->number_every_chunk && in->next_line)
        in->next_line += count_lines(p, n);
    else
        in->next_line = 0;
}

/* Drops the white space at the start of the carry, reading on until a
** record's first byte is there or the input ends: any number of blank
** lines before a log (or after an array's '[') take one read's memory.
** Returns the newlines dropped, or -1 on a read error. */
static long long skip_blank(replay_input *in)
{
    long long lines = 0;
    for (;;) {
        size_t i = 0;
        while (i < in->carry.len && blank_byte(in->carry.s[i]))
            i++;
        lines += (long long)count_lines(in->carry.s, i);
        memmove(in->carry.s, in->carry.s + i, in->carry.len - i);
        in->carry.len -= i;
        if (in->carry.len > 0)
            return lines;
        long got = read_more(in);
        if (got <= 0)
            return got < 0 ? -1 : lines;
    }
}

/* Reads until the carry holds 64 KiB, or (line) a whole first line, or
** the input ends: enough to see the first record. */
static int fill_start(replay_input *in, int line)
{
    while (!in->eof && in->carry.len < 65536 &&
           !(line && memchr(in->carry.s, '\n', in->carry.len)))
        if (read_more(in) < 0)
            return -1;
    return 0;
}

/* A JSON array (or {"records": [...]}): the format from its first element. */
static int open_array(replay_input *in, size_t wrapper)
{
    in->mode = MODE_ARRAY;
    size_t from = wrapper ? wrapper : 1;
    memmove(in->carry.s, in->carry.s + from, in->carry.len - from);
    in->carry.len -= from;
    if (skip_blank(in) < 0 || fill_start(in, 0) < 0)
        return -1;
    in->format = moat_log_detect(in->carry.s, in->carry.len);
    if (in->format == MOAT_LOG_UNKNOWN && wrapper)
        in->format = MOAT_LOG_DIAGNOSTIC;
    return 0;
}

/* One record a line (a CSV log's first line its header): the format from
** the first line, which blank lines preceded. */
static int open_lines(replay_input *in, uint64_t blank)
{
    in->next_line += blank;
    const char *p = in->carry.s, *nl = memchr(p, '\n', in->carry.len);
    size_t first = nl ? (size_t)(nl - p) : in->carry.len;
    in->format = moat_log_detect(p, first);
    in->mode = in->format == MOAT_LOG_ANALYTICS_CSV ? MODE_CSV : MODE_LINES;
    if (in->mode == MODE_LINES)
        return 0;
    in->header = malloc(first + 1);
    if (in->header == NULL)
        return fail(in, "out of memory");
    memcpy(in->header, p, first);
    in->header[first] = '\0';
    in->header_len = first;
    size_t drop = first + (nl ? 1 : 0);
    in->next_line += 1;
    memmove(in->carry.s, in->carry.s + drop, in->carry.len - drop);
    in->carry.len -= drop;
    return 0;
}

int replay_input_open(replay_input *in, const char *path)
{
    memset(in, 0, sizeof *in);
    in->path = path;
    in->next_line = 1;
    char err[256];
    in->src = replay_source_open(path, err, sizeof err);
    if (in->src == NULL)
        return fail(in, err);
    if (read_more(in) < 0)
        return -1;
    size_t bom = bom_len(in->carry.s, in->carry.len);
    memmove(in->carry.s, in->carry.s + bom, in->carry.len - bom);
    in->carry.len -= bom;
    long long blank = skip_blank(in);
    if (blank < 0 || fill_start(in, 1) < 0)
        return -1;
    if (in->carry.len == 0)
        return fail(in, "empty log");
    size_t wrapper = records_wrapper(in->carry.s, in->carry.len);
    int rc = wrapper || in->carry.s[0] == '[' ? open_array(in, wrapper)
                                             : open_lines(in, (uint64_t)blank);
    if (rc < 0)
        return -1;
    if (in->format == MOAT_LOG_UNKNOWN)
        return fail(
            in,
            "not a Storage access log moat reads (expected diagnostic-setting JSON lines (storage or Key Vault), Log Analytics StorageBlobLogs/Table/Queue/File rows as JSON or CSV, or Storage Analytics $logs lines of version 1.0/2.0)");
    return 0;
}

void replay_input_close(replay_input *in)
{
    replay_source_close(in->src);
    tb_free(&in->carry);
    free(in->header);
    in->src = NULL;
    in->header = NULL;
}

size_t replay_input_read(replay_input *in, tool_buf *buf, size_t want,
                         uint64_t *first, const char **view)
{
    size_t used = 0;
    *first = in->next_line;
    *view = buf->s;
    if (in->error)
        return 0;
    if (in->mode == MODE_ARRAY) {
        uint64_t records = 0;
        for (;;) {
            frame_array(in, buf, want, &used, &records);
            if (in->error || used >= want || in->array_done)
                break;
            if (in->carry.len > MAX_RECORD) {
                fail(in, "a record longer than 64 MiB");
                break;
            }
            long r = read_more(in);
            if (r < 0)
                break;
            if (r == 0) {
                if (in->carry.len &&
                    skip_bom_ws(in->carry.s, in->carry.len) < in->carry.len)
                    fail(in, "the JSON array ends before its ']'");
                break;
            }
        }
        if (in->next_line)
            in->next_line += records;
        *view = buf->s;
        return used;
    }
    /* The carry (a partial record) first, then reads straight into the
    ** chunk; what follows the last whole record goes back to the carry. */
    if (tb_reserve(buf, want + in->carry.len + READ_BYTES + 1) < 0) {
        fail(in, "out of memory");
        return 0;
    }
    memcpy(buf->s, in->carry.s, in->carry.len);
    used = in->carry.len;
    in->carry.len = 0;
    size_t cut = 0;
    for (;;) {
        while (used < want && !in->eof) {
            size_t room = buf->cap - used - 1;
            long n = replay_source_read(
                in->src, buf->s + used, room < READ_BYTES ? room : READ_BYTES);
            if (n < 0) {
                fail(in, replay_source_error(in->src));
                return 0;
            }
            if (n == 0)
                in->eof = 1;
            used += (size_t)n;
            in->bytes += (size_t)n;
        }
        cut = in->eof ? used : last_boundary(in->mode, buf->s, used);
        if (cut || in->eof)
            break;
        /* One record longer than a chunk: read on. */
        if (used > MAX_RECORD) {
            fail(in, "a record longer than 64 MiB");
            return 0;
        }
        want = used * 2;
        if (tb_reserve(buf, want + READ_BYTES + 1) < 0) {
            fail(in, "out of memory");
            return 0;
        }
    }
    if (tb_reserve(&in->carry, used - cut + 1) < 0) {
        fail(in, "out of memory");
        return 0;
    }
    memcpy(in->carry.s, buf->s + cut, used - cut);
    in->carry.len = used - cut;
    if (cut && buf->s[cut - 1] != '\n')
        buf->s[cut++] = '\n'; /* the last record of the file */
    number_chunk(in, buf->s, cut);
    *view = buf->s;
    return cut;
}

int replay_next_record(input_mode mode, const char **p, const char *end,
                       const char **rec, size_t *len, unsigned *lines)
{
    if (*p >= end)
        return 0;
    const char *s = *p, *e;
    *lines = 1;
    if (mode == MODE_CSV) {
        int quoted = 0;
        for (e = s; e < end; e++) {
            if (*e == '"')
                quoted = !quoted;
            else if (*e == '\n') {
                if (!quoted)
                    break;
                (*lines)++;
            }
        }
    } else {
        e = memchr(s, '\n', (size_t)(end - s));
        if (e == NULL)
            e = end;
    }
    *rec = s;
    *len = (size_t)(e - s);
    if (*len && s[*len - 1] == '\r')
        (*len)--;
    *p = e < end ? e + 1 : end;
    return 1;
}
