/*
** replay_source.c - see replay_source.h.
*/
#include "replay_source.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#ifdef MOAT_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#define IN_BYTES (1u << 18)
#define AHEAD_BLOCKS 4
#define AHEAD_BYTES (1u << 20)

/* Inflated blocks a prefetching thread has ready, in order. */
typedef struct ahead {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t ready, taken;
    char *block[AHEAD_BLOCKS];
    long len[AHEAD_BLOCKS]; /* > 0 bytes; 0 the end; -1 the error */
    size_t pos;             /* read so far of the oldest block */
    uint64_t filled, used;  /* blocks filled and consumed */
    int stop;
} ahead;

static void ahead_free(ahead *a);

typedef enum source_kind { SRC_PLAIN, SRC_ZLIB, SRC_ISAL } source_kind;

struct replay_source {
    int fd;
    source_kind kind;
    unsigned char *in;  /* compressed bytes read, not yet inflated */
    size_t in_len;      /* bytes in in[] */
    uint64_t in_before; /* compressed bytes before in[0] */
    int in_eof;
    int member_done; /* between two gzip members */
    int failed;
    z_stream z;
    ahead *ahead; /* prefetching, or NULL */
#ifdef MOAT_HAVE_ISAL
    struct inflate_state isal;
#endif
    char err[256];
};

static long source_fail(replay_source *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static long source_fail(replay_source *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    s->failed = 1;
    return -1;
}

const char *replay_source_inflater(void)
{
#ifdef MOAT_HAVE_ISAL
    const char *want = getenv("MOAT_INFLATE");
    if (want == NULL || strcmp(want, "zlib") != 0)
        return "isa-l";
#endif
    return "zlib";
}

/* read(2) until n bytes or the end; the count, or -1. */
static long read_full(int fd, unsigned char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (long)got;
}

/* Moves the unread compressed bytes [from, in_len) to the front and reads
** more after them. */
static int refill(replay_source *s, size_t from)
{
    s->in_before += from;
    memmove(s->in, s->in + from, s->in_len - from);
    s->in_len -= from;
    if (s->in_eof)
        return 0;
    long r = read_full(s->fd, s->in + s->in_len, IN_BYTES - s->in_len);
    if (r < 0)
        return (int)source_fail(s, "%s", strerror(errno));
    s->in_len += (size_t)r;
    s->in_eof = s->in_len < IN_BYTES;
    return 0;
}

static int gzip_magic(const unsigned char *p, size_t n)
{
    return n >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

static void start_member(replay_source *s)
{
#ifdef MOAT_HAVE_ISAL
    if (s->kind == SRC_ISAL) {
        isal_inflate_init(&s->isal);
        s->isal.crc_flag = ISAL_GZIP;
        return;
    }
#endif
    inflateReset(&s->z);
}

replay_source *replay_source_open(const char *path, char *err, size_t cap)
{
    replay_source *s = calloc(1, sizeof *s);
    if (s)
        s->in = malloc(IN_BYTES);
    if (s == NULL || s->in == NULL) {
        free(s);
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    s->fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY);
    if (s->fd < 0 || refill(s, 0) < 0) {
        snprintf(err, cap, "%s", strerror(errno));
        replay_source_close(s);
        return NULL;
    }
    if (!gzip_magic(s->in, s->in_len))
        return s; /* SRC_PLAIN */
    s->kind = strcmp(replay_source_inflater(), "isa-l") == 0 ? SRC_ISAL
                                                             : SRC_ZLIB;
    if (s->kind == SRC_ZLIB && inflateInit2(&s->z, 15 + 16) != Z_OK) {
        snprintf(err, cap, "out of memory");
        s->kind = SRC_PLAIN;
        replay_source_close(s);
        return NULL;
    }
    start_member(s);
    return s;
}

void replay_source_close(replay_source *s)
{
    if (s == NULL)
        return;
    if (s->ahead) {
        ahead *a = s->ahead;
        pthread_mutex_lock(&a->mu);
        a->stop = 1;
        pthread_cond_signal(&a->taken);
        pthread_mutex_unlock(&a->mu);
        pthread_join(a->thread, NULL);
        pthread_mutex_destroy(&a->mu);
        pthread_cond_destroy(&a->ready);
        pthread_cond_destroy(&a->taken);
        ahead_free(a);
    }
    if (s->kind == SRC_ZLIB)
        inflateEnd(&s->z);
    if (s->fd >= 0)
        close(s->fd);
    free(s->in);
    free(s);
}

const char *replay_source_error(const replay_source *s)
{
    return s->err;
}

/* Plain bytes: what is buffered, then straight from the file. */
static long read_plain(replay_source *s, char *buf, size_t n)
{
    if (s->in_len) {
        size_t k = s->in_len < n ? s->in_len : n;
        memcpy(buf, s->in, k);
        memmove(s->in, s->in + k, s->in_len - k);
        s->in_len -= k;
        return (long)k;
    }
    if (s->in_eof)
        return 0;
    long r = read_full(s->fd, (unsigned char *)buf, n);
    if (r < 0)
        return source_fail(s, "%s", strerror(errno));
    if (r == 0)
        s->in_eof = 1;
    return r;
}

/* After a member's end: another member, the end of the file, or bytes
** that are not gzip (refused: they would be skipped unread). 1 when a
** member starts, 0 at the end, -1 on error. */
static int next_member(replay_source *s, size_t used)
{
    if (refill(s, used) < 0)
        return -1;
    if (s->in_len == 0)
        return 0;
    if (s->in_len < 2 && !s->in_eof && refill(s, 0) < 0)
        return -1;
    if (!gzip_magic(s->in, s->in_len))
        return (int)source_fail(
            s,
            "%zu bytes after the end of the gzip data at compressed byte %llu are not gzip",
            s->in_len, (unsigned long long)s->in_before);
    s->member_done = 0;
    start_member(s);
    return 1;
}

/* A cut-short stream: the input ended inside a member. */
static long cut_short(replay_source *s)
{
    return source_fail(
        s,
        "the gzip data is cut short: the file ends inside a compressed stream, at compressed byte %llu",
        (unsigned long long)(s->in_before + s->in_len));
}

#ifdef MOAT_HAVE_ISAL
static const char *isal_error(int rc)
{
    switch (rc) {
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "invalid back-reference distance";
    case ISAL_INVALID_WRAPPER: return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "not deflate-compressed";
    case ISAL_INCORRECT_CHECKSUM: return "checksum mismatch";
    default: return "unreadable gzip data";
    }
}

/* One inflate step into [buf, buf+n): bytes out, or -1. *done: the
** member ended. */
static long inflate_isal(replay_source *s, char *buf, size_t n, int *done)
{
    struct inflate_state *st = &s->isal;
    st->next_in = s->in;
    st->avail_in = (uint32_t)s->in_len;
    st->next_out = (uint8_t *)buf;
    st->avail_out = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
    int rc = isal_inflate(st);
    size_t used = (size_t)(st->next_in - s->in);
    long out = (long)((char *)st->next_out - buf);
    if (rc < 0)
        return source_fail(s, "corrupt gzip data (%s) at compressed byte %llu",
                           isal_error(rc),
                           (unsigned long long)(s->in_before + used));
    *done = st->block_state == ISAL_BLOCK_FINISH;
    s->in_before += used;
    memmove(s->in, s->in + used, s->in_len - used);
    s->in_len -= used;
    return out;
}
#endif

static long inflate_zlib(replay_source *s, char *buf, size_t n, int *done)
{
    z_stream *z = &s->z;
    z->next_in = s->in;
    z->avail_in = (uInt)s->in_len;
    z->next_out = (Bytef *)buf;
    z->avail_out = (uInt)(n > UINT32_MAX ? UINT32_MAX : n);
    int rc = inflate(z, Z_NO_FLUSH);
    size_t used = (size_t)(z->next_in - s->in);
    long out = (long)((char *)z->next_out - buf);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
        return source_fail(s, "corrupt gzip data (%s) at compressed byte %llu",
                           z->msg ? z->msg : "unreadable gzip data",
                           (unsigned long long)(s->in_before + used));
    *done = rc == Z_STREAM_END;
    s->in_before += used;
    memmove(s->in, s->in + used, s->in_len - used);
    s->in_len -= used;
    return out;
}

/* Inflates until some output, a member's end, or the input's end. */
static long read_gzip(replay_source *s, char *buf, size_t n)
{
    for (;;) {
        if (s->member_done) {
            int next = next_member(s, 0);
            if (next <= 0)
                return next;
        }
        if (s->in_len == 0 && !s->in_eof && refill(s, 0) < 0)
            return -1;
        size_t before = s->in_len;
        int done = 0;
        long out =
#ifdef MOAT_HAVE_ISAL
            s->kind == SRC_ISAL ? inflate_isal(s, buf, n, &done) :
#endif
                                inflate_zlib(s, buf, n, &done);
        if (out < 0)
            return -1;
        s->member_done = done;
        if (out > 0)
            return out;
        if (done || s->in_len < before)
            continue; /* progress: a member ended, or input was taken */
        if (s->in_eof)
            return cut_short(s);
        if (s->in_len == IN_BYTES)
            return source_fail(s, "gzip data that does not inflate at compressed byte %llu",
                               (unsigned long long)s->in_before);
        if (refill(s, 0) < 0)
            return -1;
    }
}

/* The bytes in this thread. */
static long read_now(replay_source *s, char *buf, size_t n)
{
    if (s->failed)
        return -1;
    if (n == 0)
        return 0;
    return s->kind == SRC_PLAIN ? read_plain(s, buf, n) : read_gzip(s, buf, n);
}

static void *ahead_main(void *arg)
{
    replay_source *s = arg;
    ahead *a = s->ahead;
    for (;;) {
        pthread_mutex_lock(&a->mu);
        while (!a->stop && a->filled - a->used == AHEAD_BLOCKS)
            pthread_cond_wait(&a->taken, &a->mu);
        int stop = a->stop;
        pthread_mutex_unlock(&a->mu);
        if (stop)
            return NULL;
        int slot = (int)(a->filled % AHEAD_BLOCKS);
        long r = read_now(s, a->block[slot], AHEAD_BYTES);
        pthread_mutex_lock(&a->mu);
        a->len[slot] = r;
        a->filled++;
        pthread_cond_signal(&a->ready);
        pthread_mutex_unlock(&a->mu);
        if (r <= 0)
            return NULL; /* the end, or the error: both stay in order */
    }
}

static void ahead_free(ahead *a)
{
    for (int i = 0; i < AHEAD_BLOCKS; i++)
        free(a->block[i]);
    free(a);
}

int replay_source_prefetch(replay_source *s)
{
    if (s->ahead || s->failed)
        return 0;
    ahead *a = calloc(1, sizeof *a);
    for (int i = 0; a && i < AHEAD_BLOCKS; i++) {
        if ((a->block[i] = malloc(AHEAD_BYTES)) == NULL) {
            ahead_free(a);
            return -1;
        }
    }
    if (a == NULL)
        return -1;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->ready, NULL);
    pthread_cond_init(&a->taken, NULL);
    s->ahead = a;
    if (pthread_create(&a->thread, NULL, ahead_main, s) != 0) {
        s->ahead = NULL;
        ahead_free(a);
        return -1;
    }
    return 0;
}

/* The next bytes of the oldest block, waiting for it. */
static long read_ahead(replay_source *s, char *buf, size_t n)
{
    ahead *a = s->ahead;
    pthread_mutex_lock(&a->mu);
    while (a->filled == a->used)
        pthread_cond_wait(&a->ready, &a->mu);
    pthread_mutex_unlock(&a->mu);
    int slot = (int)(a->used % AHEAD_BLOCKS);
    long len = a->len[slot];
    if (len <= 0)
        return len; /* stays: every later read gets it again */
    size_t k = (size_t)len - a->pos < n ? (size_t)len - a->pos : n;
    memcpy(buf, a->block[slot] + a->pos, k);
    a->pos += k;
    if (a->pos == (size_t)len) {
        pthread_mutex_lock(&a->mu);
        a->pos = 0;
        a->used++;
        pthread_cond_signal(&a->taken);
        pthread_mutex_unlock(&a->mu);
    }
    return (long)k;
}

long replay_source_read(replay_source *s, char *buf, size_t n)
{
    if (n == 0)
        return 0;
    return s->ahead ? read_ahead(s, buf, n) : read_now(s, buf, n);
}

int replay_source_gzip(const replay_source *s)
{
    return s->kind != SRC_PLAIN;
}
