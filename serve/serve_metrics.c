/*
** serve_metrics.c - counters for /metrics (Prometheus text format 0.0.4).
** Each worker counts into its own table under its own lock (uncontended,
** so a few nanoseconds); a scrape takes each lock in turn and sums.
*/
#include "serve.h"
#include "strmap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upper bounds of the latency histogram, seconds. */
static const double bucket_le[] = {1e-6,   2.5e-6, 5e-6,   1e-5, 2.5e-5,
                                   5e-5,   1e-4,   2.5e-4, 5e-4, 1e-3,
                                   2.5e-3, 5e-3,   1e-2,   0.1,  1.0};
#define N_BUCKETS (sizeof bucket_le / sizeof bucket_le[0])

static const int codes[] = {200, 400, 403, 404, 405, 413, 431, 500, 503};
#define N_CODES (sizeof codes / sizeof codes[0])

static const char *const endpoint_names[SRV_N_EP] = {
    "check", "authz", "healthz", "metrics", "other"};

struct srv_metrics {
    pthread_mutex_t lock;
    strmap decisions; /* "resource\x1f" "allow\x1f" "category" */
    uint64_t responses[SRV_N_EP][N_CODES + 1];
    uint64_t buckets[SRV_N_EP][N_BUCKETS];
    uint64_t count[SRV_N_EP];
    double sum[SRV_N_EP];
};

srv_metrics *srv_metrics_new(void)
{
    srv_metrics *m = calloc(1, sizeof *m);
    if (m) {
        pthread_mutex_init(&m->lock, NULL);
        strmap_init(&m->decisions);
    }
    return m;
}

void srv_metrics_free(srv_metrics *m)
{
    if (m == NULL)
        return;
    strmap_free(&m->decisions, NULL);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void srv_metrics_decision(srv_metrics *m, const char *resource, int allow,
                          const char *category)
{
    char key[1024];
    int n = snprintf(key, sizeof key, "%s\x1f%s\x1f%s", resource,
                     allow ? "allow" : "deny", category);
    if (n < 0 || (size_t)n >= sizeof key)
        return;
    pthread_mutex_lock(&m->lock);
    strmap_add(&m->decisions, key, (size_t)n, 1);
    pthread_mutex_unlock(&m->lock);
}

void srv_metrics_response(srv_metrics *m, int endpoint, int status,
                          double seconds)
{
    size_t c = N_CODES;
    for (size_t i = 0; i < N_CODES; i++)
        if (codes[i] == status)
            c = i;
    pthread_mutex_lock(&m->lock);
    m->responses[endpoint][c]++;
    m->count[endpoint]++;
    m->sum[endpoint] += seconds;
    for (size_t b = 0; b < N_BUCKETS; b++)
        if (seconds <= bucket_le[b])
            m->buckets[endpoint][b]++;
    pthread_mutex_unlock(&m->lock);
}

/*--------------------------------------------------------------------------
** Rendering.
*/
typedef struct totals {
    strmap decisions;
    uint64_t responses[SRV_N_EP][N_CODES + 1];
    uint64_t buckets[SRV_N_EP][N_BUCKETS];
    uint64_t count[SRV_N_EP];
    double sum[SRV_N_EP];
} totals;

static void add_worker(totals *t, srv_metrics *m)
{
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->decisions.cap; i++) {
        const strmap_entry *e = &m->decisions.slots[i];
        if (e->key)
            strmap_add(&t->decisions, e->key, e->len, e->count);
    }
    for (int ep = 0; ep < SRV_N_EP; ep++) {
        for (size_t c = 0; c <= N_CODES; c++)
            t->responses[ep][c] += m->responses[ep][c];
        for (size_t b = 0; b < N_BUCKETS; b++)
            t->buckets[ep][b] += m->buckets[ep][b];
        t->count[ep] += m->count[ep];
        t->sum[ep] += m->sum[ep];
    }
    pthread_mutex_unlock(&m->lock);
}

typedef struct writer {
    srv_worker *w;
    srv_response *rs;
} writer;

static void emit(writer *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void emit(writer *o, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0)
        srv_body_append(o->w, o->rs, line,
                        (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* A label value: backslash, quote and newline escaped. */
static void label(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 3 < cap; i++) {
        char ch = s[i];
        if (ch == '\\' || ch == '"') {
            out[o++] = '\\';
            out[o++] = ch;
        } else if (ch == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = ch;
        }
    }
    out[o] = '\0';
}

static void render_decisions(writer *o, totals *t)
{
    emit(
        o,
        "# HELP moat_decisions_total Decisions made, by resource, decision and category.\n"
        "# TYPE moat_decisions_total counter\n");
    size_t n;
    strmap_entry **sorted = strmap_sorted(&t->decisions, &n);
    for (size_t i = 0; sorted && i < n; i++) {
        const char *k = sorted[i]->key, *end = k + sorted[i]->len;
        const char *s1 = memchr(k, '\x1f', (size_t)(end - k));
        const char *s2 =
            s1 ? memchr(s1 + 1, '\x1f', (size_t)(end - s1 - 1)) : NULL;
        if (s2 == NULL)
            continue;
        char res[1024], cat[128];
        label(res, sizeof res, k, (size_t)(s1 - k));
        label(cat, sizeof cat, s2 + 1, (size_t)(end - s2 - 1));
        emit(
            o,
            "moat_decisions_total{resource=\"%s\",decision=\"%.*s\",category=\"%s\"} %llu\n",
            res, (int)(s2 - s1 - 1), s1 + 1, cat,
            (unsigned long long)sorted[i]->count);
    }
    free(sorted);
}

static void render_http(writer *o, totals *t)
{
    emit(
        o,
        "# HELP moat_http_requests_total Requests answered, by endpoint and status.\n"
        "# TYPE moat_http_requests_total counter\n");
    for (int ep = 0; ep < SRV_N_EP; ep++) {
        for (size_t c = 0; c <= N_CODES; c++) {
            if (t->responses[ep][c] == 0)
                continue;
            char code[16] = "other";
            if (c < N_CODES)
                snprintf(code, sizeof code, "%d", codes[c]);
            emit(o,
                 "moat_http_requests_total{endpoint=\"%s\",code=\"%s\"} %llu\n",
                 endpoint_names[ep], code,
                 (unsigned long long)t->responses[ep][c]);
        }
    }
    emit(
        o,
        "# HELP moat_request_duration_seconds Time to answer a request, by endpoint.\n"
        "# TYPE moat_request_duration_seconds histogram\n");
    for (int ep = 0; ep < SRV_N_EP; ep++) {
        if (t->count[ep] == 0)
            continue;
        for (size_t b = 0; b < N_BUCKETS; b++)
            emit(
                o,
                "moat_request_duration_seconds_bucket{endpoint=\"%s\",le=\"%g\"} %llu\n",
                endpoint_names[ep], bucket_le[b],
                (unsigned long long)t->buckets[ep][b]);
        emit(
            o,
            "moat_request_duration_seconds_bucket{endpoint=\"%s\",le=\"+Inf\"} %llu\n"
            "moat_request_duration_seconds_sum{endpoint=\"%s\"} %.9f\n"
            "moat_request_duration_seconds_count{endpoint=\"%s\"} %llu\n",
            endpoint_names[ep], (unsigned long long)t->count[ep],
            endpoint_names[ep], t->sum[ep], endpoint_names[ep],
            (unsigned long long)t->count[ep]);
    }
}

static void render_state(writer *o, srv_state *s)
{
    pthread_mutex_lock(&s->lock);
    int64_t loaded = s->current ? s->current->loaded_at : 0;
    int failing = s->last_error[0] != '\0';
    int pending = s->pending[0] != '\0';
    pthread_mutex_unlock(&s->lock);
    emit(
        o,
        "# HELP moat_estate_revision The estate in force: 1 at start, one more per reload.\n"
        "# TYPE moat_estate_revision gauge\n"
        "moat_estate_revision %llu\n"
        "# HELP moat_estate_loaded_timestamp_seconds When the estate in force was loaded.\n"
        "# TYPE moat_estate_loaded_timestamp_seconds gauge\n"
        "moat_estate_loaded_timestamp_seconds %lld\n"
        "# HELP moat_estate_reloads_total Reloads that put a new estate in force.\n"
        "# TYPE moat_estate_reloads_total counter\n"
        "moat_estate_reloads_total %llu\n"
        "# HELP moat_estate_reload_errors_total Reloads refused (the previous estate stayed in force).\n"
        "# TYPE moat_estate_reload_errors_total counter\n"
        "moat_estate_reload_errors_total %llu\n"
        "# HELP moat_estate_reload_failing 1 when the last reload failed.\n"
        "# TYPE moat_estate_reload_failing gauge\n"
        "moat_estate_reload_failing %d\n"
        "# HELP moat_estate_reload_pending 1 while a change on disk is not "
        "in force (settling, or waiting for SIGHUP).\n"
        "# TYPE moat_estate_reload_pending gauge\n"
        "moat_estate_reload_pending %d\n"
        "# HELP moat_estate_files_vanished Files of the estate in force "
        "that are gone; kept in force until SIGHUP.\n"
        "# TYPE moat_estate_files_vanished gauge\n"
        "moat_estate_files_vanished %u\n",
        (unsigned long long)atomic_load(&s->revision), (long long)loaded,
        (unsigned long long)atomic_load(&s->reloads),
        (unsigned long long)atomic_load(&s->reload_errors), failing, pending,
        atomic_load(&s->vanished));
}

void srv_metrics_render(srv_worker *w, srv_response *rs)
{
    totals *t = calloc(1, sizeof *t);
    writer o = {w, rs};
    if (t == NULL) {
        rs->status = 500;
        return;
    }
    strmap_init(&t->decisions);
    for (int i = 0; i < w->n_all; i++)
        add_worker(t, w->all[i]->metrics);
    render_decisions(&o, t);
    render_http(&o, t);
    render_state(&o, w->state);
    strmap_free(&t->decisions, NULL);
    free(t);
}
