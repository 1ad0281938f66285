/*
** replay_run.c - the replay pipeline: the main thread reads and frames the
** logs into chunks; workers (--threads of them: the main thread, and
** threads of their own) read, map and decide every record of a chunk
** against every configuration into their own aggregates; the main
** thread writes each chunk's per-record output in input order and, at the
** end, merges the workers' aggregates. Memory is the chunk ring plus the
** aggregates, whatever the size of the logs.
*/
#include "replay_run.h"
#include "replay/replay_suggest.h"
#include "buf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK_BYTES (1u << 20)

/*--------------------------------------------------------------------------
** Chunks and workers.
*/
typedef enum slot_state {
    SLOT_FREE,
    SLOT_READY,
    SLOT_BUSY,
    SLOT_DONE
} slot_state;

typedef struct chunk {
    slot_state state;
    uint64_t seq;
    const char *view; /* the records (in data) */
    tool_buf data; /* the records read (replay_input_read) */
    size_t len;
    int input;
    uint64_t first_line; /* 0: the line after the previous chunk's last */
    uint64_t n_lines;    /* lines the chunk holds (the worker counts) */
    /* --changes and --decisions lines (numbered: their inputs number
    ** every chunk); unmapped and lenient records as "LINE\tTEXT", LINE
    ** from the chunk's first, numbered when flushed. */
    tool_buf changes, decisions, unmapped, lenient;
    uint64_t n_unmapped, n_lenient;
} chunk;

typedef struct replay_run {
    const replay_options *opt;
    replay_input *inputs;
    int n_inputs;
    chunk *slots;
    int n_slots;
    uint64_t next_take; /* the seq the next worker takes */
    int finished;       /* no more chunks will come */
    pthread_mutex_t mu;
    pthread_cond_t work, done;
} replay_run;

typedef struct worker {
    replay_run *run;
    pthread_t thread;
    replay_agg agg;
    moat_request *q[REPLAY_MAX_CONFIGS];
    moat_explanation *x;
    moat_log_reader *reader;
    int reader_input; /* the input the reader was made for */
    int failed;
} worker;

static void request_json(tool_buf *b, const moat_log_request *m)
{
    static const struct {
        moat_field f;
        const char *key;
    } top[] = {{MOAT_REQ_RESOURCE, "resource"},
               {MOAT_REQ_PLANE, "plane"},
               {MOAT_REQ_ENDPOINT, "endpoint"},
               {MOAT_REQ_OPERATION, "operation"},
               {MOAT_REQ_TARGET, "target"},
               {MOAT_REQ_PROTOCOL, "protocol"},
               {MOAT_REQ_TIME, "time"}},
      source[] = {{MOAT_REQ_SOURCE_IP, "ip"},
                  {MOAT_REQ_SOURCE_SUBNET, "subnet"},
                  {MOAT_REQ_SOURCE_PRIVATE_ENDPOINT, "private_endpoint"},
                  {MOAT_REQ_SOURCE_REGION, "region"}},
      caller[] = {{MOAT_REQ_CALLER_AUTH, "auth"},
                  {MOAT_REQ_CALLER_TENANT, "tenant"},
                  {MOAT_REQ_CALLER_SUBSCRIPTION, "subscription"},
                  {MOAT_REQ_CALLER_RESOURCE_ID, "resource_id"}};
    tb_puts(b, "{");
    int first = 1;
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
        const moat_text *t = &m->field[top[i].f];
        if (t->n == 0)
            continue;
        tb_printf(b, "%s\"%s\":", first ? "" : ",", top[i].key);
        tb_json(b, t->p, t->n);
        first = 0;
    }
    tb_puts(b, ",\"source\":{");
    first = 1;
    for (size_t i = 0; i < sizeof source / sizeof source[0]; i++) {
        const moat_text *t = &m->field[source[i].f];
        if (t->n == 0)
            continue;
        tb_printf(b, "%s\"%s\":", first ? "" : ",", source[i].key);
        tb_json(b, t->p, t->n);
        first = 0;
    }
    tb_puts(b, "},\"caller\":{");
    first = 1;
    for (size_t i = 0; i < sizeof caller / sizeof caller[0]; i++) {
        const moat_text *t = &m->field[caller[i].f];
        if (t->n == 0)
            continue;
        tb_printf(b, "%s\"%s\":", first ? "" : ",", caller[i].key);
        tb_json(b, t->p, t->n);
        first = 0;
    }
    const moat_text *p = &m->field[MOAT_REQ_CALLER_PERIMETER];
    if (p->n) {
        tb_printf(b, "%s\"perimeters\":[", first ? "" : ",");
        tb_json(b, p->p, p->n);
        tb_puts(b, "]");
    }
    tb_puts(b, "}}");
}

static const char *azure_name(moat_log_outcome o)
{
    return o == MOAT_LOG_AZURE_ALLOWED  ? "allowed"
           : o == MOAT_LOG_AZURE_DENIED ? "denied"
                                        : "unknown";
}

/* One line for --changes or --decisions. */
static void record_json(worker *w, tool_buf *b, const replay_input *in,
                        uint64_t line, const replay_outcome *o)
{
    const replay_options *opt = w->run->opt;
    tb_puts(b, "{\"file\":");
    tb_json(b, in->path, strlen(in->path));
    tb_printf(b, ",\"line\":%llu,\"request\":", (unsigned long long)line);
    request_json(b, o->m);
    tb_printf(b, ",\"path\":\"%s\",\"azure\":\"%s\"", o->m->path,
              azure_name(o->m->azure));
    if (o->m->azure_code)
        tb_printf(b, ",\"azure_code\":\"%s\"", o->m->azure_code);
    if (o->m->lenient)
        tb_puts(b, ",\"lenient\":true");
    if (o->m->azure_category.n) {
        /* A perimeter record: Azure's category and rule, moat's. */
        tb_puts(b, ",\"azure_category\":");
        tb_json(b, o->m->azure_category.p, o->m->azure_category.n);
        tb_puts(b, ",\"azure_rule\":");
        tb_json(b, o->m->azure_rule.p ? o->m->azure_rule.p : "",
                o->m->azure_rule.n);
        tb_printf(b, ",\"events\":%llu", (unsigned long long)o->m->events);
        if (o->nsp_category) {
            tb_puts(b, ",\"moat_nsp\":{\"category\":");
            tb_json(b, o->nsp_category, strlen(o->nsp_category));
            tb_puts(b, ",\"rule\":");
            tb_json(b, o->nsp_rule, strlen(o->nsp_rule));
            tb_puts(b, "}");
        }
    }
    tb_puts(b, ",\"decisions\":{");
    for (int c = 0; c < opt->n_cfg; c++) {
        tb_printf(b, "%s\"", c ? "," : "");
        tb_puts(b, opt->cfg[c].name);
        tb_puts(b, "\":");
        if (o->verdict[c] < 0) {
            tb_puts(b, "{\"decision\":\"missing\"}");
            continue;
        }
        const char *rule = "";
        if (w->x && moat_explain(w->q[c], w->x, 0) == MOAT_OK)
            rule = moat_explanation_rule(w->x);
        tb_printf(b, "{\"decision\":\"%s\",\"category\":\"%s\",\"rule\":",
                  o->verdict[c] == MOAT_ALLOW ? "allow" : "deny",
                  moat_category_name(o->d[c].category));
        tb_json(b, rule, strlen(rule));
        tb_puts(b, "}");
    }
    tb_puts(b, "}}\n");
}

static int ensure_reader(worker *w, int input)
{
    if (w->reader && w->reader_input == input)
        return 0;
    moat_log_reader_free(w->reader);
    replay_input *in = &w->run->inputs[input];
    w->reader = moat_log_reader_new(w->run->opt->cfg[0].es, in->format);
    w->reader_input = input;
    if (w->reader == NULL)
        return -1;
    if (in->format == MOAT_LOG_ANALYTICS_CSV &&
        moat_log_reader_header(w->reader, in->header, in->header_len, NULL) !=
            MOAT_OK)
        return -1;
    return 0;
}

/* Keeps the entry b gained from byte from on one line: a message may
** quote a record's field, and a JSON escape in it can decode to a line
** break, which would split the entry (and --unmapped's line per record). */
static void one_line(tool_buf *b, size_t from)
{
    for (size_t i = from; !b->failed && i + 1 < b->len; i++)
        if (b->s[i] == '\n' || b->s[i] == '\r')
            b->s[i] = ' ';
}

/* rel: the record's line from the chunk's first (0). */
static void process_record(worker *w, chunk *ch, const char *rec, size_t len,
                           uint64_t rel)
{
    const replay_options *opt = w->run->opt;
    replay_input *in = &w->run->inputs[ch->input];
    moat_log_request m;
    const char *reason = NULL;
    moat_error err;
    if (moat_log_read(w->reader, rec, len, &m, &reason, &err) != MOAT_OK) {
        replay_agg_unmapped(&w->agg, reason ? reason : "unreadable");
        ch->n_unmapped++;
        size_t at = ch->unmapped.len;
        tb_printf(&ch->unmapped, "%llu\t%s: %s\n", (unsigned long long)rel,
                  reason ? reason : "unreadable", err.message);
        one_line(&ch->unmapped, at);
        return;
    }
    if (m.lenient) {
        ch->n_lenient++;
        size_t at = ch->lenient.len;
        tb_printf(&ch->lenient, "%llu\t%s\n", (unsigned long long)rel,
                  m.lenient);
        one_line(&ch->lenient, at);
    }
    replay_outcome o;
    o.m = &m;
    o.nsp_category = o.nsp_rule = NULL;
    int changed = 0;
    for (int c = 0; c < opt->n_cfg; c++) {
        o.rule[c] = -1;
        if (moat_log_request_apply(&m, w->q[c], NULL) != MOAT_OK ||
            moat_decide(w->q[c], &o.d[c]) != MOAT_OK) {
            o.verdict[c] = -1;
        } else {
            o.verdict[c] = (int)o.d[c].verdict;
            o.rule[c] = moat_decision_rule(w->q[c], &o.d[c]);
        }
        changed |= c > 0 && o.verdict[c] != o.verdict[0];
    }
    if (opt->suggest && o.verdict[0] == MOAT_ALLOW)
        replay_suggest_note(&w->agg, &m, &o.d[0]);
    if (m.azure_category.n && o.verdict[0] >= 0)
        moat_decision_nsp_terms(w->q[0], &o.d[0], &o.nsp_category,
                                &o.nsp_rule);
    replay_agg_record(&w->agg, &o);
    if (opt->changes && changed)
        record_json(w, &ch->changes, in, ch->first_line + rel, &o);
    if (opt->decisions)
        record_json(w, &ch->decisions, in, ch->first_line + rel, &o);
}

static void process_chunk(worker *w, chunk *ch)
{
    if (ensure_reader(w, ch->input) < 0) {
        w->failed = 1;
        return;
    }
    const replay_input *in = &w->run->inputs[ch->input];
    const char *p = ch->view, *end = ch->view + ch->len, *rec;
    size_t len;
    unsigned lines;
    uint64_t rel = 0, records = 0;
    while (replay_next_record(in->mode, &p, end, &rec, &len, &lines)) {
        size_t blank = 0;
        while (blank < len && (rec[blank] == ' ' || rec[blank] == '\t'))
            blank++;
        if (blank < len) {
            process_record(w, ch, rec, len, rel);
            records++;
        }
        rel += lines;
    }
    ch->n_lines = rel;
    const char *fmt = moat_log_format_name(in->format);
    if (records && strmap_add(&w->agg.formats, fmt, strlen(fmt), records) < 0)
        w->failed = 1;
}

/* The oldest chunk no thread has taken, marked taken; NULL when the next
** is not ready. Called with run->mu held. */
static chunk *take_ready(replay_run *run)
{
    chunk *ch = &run->slots[run->next_take % (uint64_t)run->n_slots];
    if (ch->state != SLOT_READY || ch->seq != run->next_take)
        return NULL;
    ch->state = SLOT_BUSY;
    run->next_take++;
    return ch;
}

static void finish_chunk(replay_run *run, chunk *ch)
{
    pthread_mutex_lock(&run->mu);
    ch->state = SLOT_DONE;
    pthread_cond_broadcast(&run->done);
    pthread_mutex_unlock(&run->mu);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    replay_run *run = w->run;
    for (;;) {
        pthread_mutex_lock(&run->mu);
        chunk *ch;
        while ((ch = take_ready(run)) == NULL) {
            if (run->finished) {
                pthread_mutex_unlock(&run->mu);
                return NULL;
            }
            pthread_cond_wait(&run->work, &run->mu);
        }
        pthread_mutex_unlock(&run->mu);
        process_chunk(w, ch);
        finish_chunk(run, ch);
    }
}

/*--------------------------------------------------------------------------
** The main thread.
*/
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct flusher {
    const replay_options *opt;
    const replay_input *inputs;
    uint64_t next_line; /* of the input being flushed, after its last chunk */
    tool_buf numbered;  /* scratch: a chunk's unmapped or lenient lines */
    uint64_t unmapped_shown;
    uint64_t unmapped_total;
    uint64_t lenient_shown, lenient_total;
    uint64_t lines;
    int write_failed;
} flusher;

/* The lines of b on stderr after prefix, while *shown < max. */
static void show_lines(const tool_buf *b, const char *prefix,
                       uint64_t *shown, uint64_t max)
{
    const char *p = b->s, *end = p + b->len;
    while (p && p < end && *shown < max) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        fprintf(stderr, "moat: %s: %.*s\n", prefix, (int)n, p);
        (*shown)++;
        p = nl ? nl + 1 : end;
    }
}

/* The "LINE\tTEXT" lines of b as "PATH:N: TEXT", N = first + LINE, in
** f->numbered. */
static const tool_buf *numbered(flusher *f, const tool_buf *b,
                                const char *path, uint64_t first)
{
    tb_reset(&f->numbered);
    const char *p = b->s, *end = p + b->len;
    while (p && p < end) {
        char *tab;
        unsigned long long rel = strtoull(p, &tab, 10);
        const char *nl = memchr(tab, '\n', (size_t)(end - tab));
        const char *text = tab + (tab < end && *tab == '\t');
        size_t n = nl ? (size_t)(nl - text) : (size_t)(end - text);
        tb_printf(&f->numbered, "%s:%llu: %.*s\n", path,
                  (unsigned long long)first + rel, (int)n, text);
        p = nl ? nl + 1 : end;
    }
    return &f->numbered;
}

static void flush_chunk(flusher *f, chunk *ch)
{
    const replay_options *opt = f->opt;
    const char *path = f->inputs[ch->input].path;
    uint64_t first = ch->first_line ? ch->first_line : f->next_line;
    f->next_line = first + ch->n_lines;
    f->lines += ch->n_lines;
    const tool_buf *unmapped = numbered(f, &ch->unmapped, path, first);
    if (opt->changes && ch->changes.len &&
        fwrite(ch->changes.s, 1, ch->changes.len, opt->changes) !=
            ch->changes.len)
        f->write_failed = 1;
    if (opt->decisions && ch->decisions.len &&
        fwrite(ch->decisions.s, 1, ch->decisions.len, opt->decisions) !=
            ch->decisions.len)
        f->write_failed = 1;
    if (opt->unmapped && unmapped->len &&
        fwrite(unmapped->s, 1, unmapped->len, opt->unmapped) != unmapped->len)
        f->write_failed = 1;
    /* A line the buffers had no memory for is output lost: the run fails
    ** as for a failed write rather than hand over a shorter file. */
    if (ch->changes.failed || ch->decisions.failed || ch->unmapped.failed ||
        ch->lenient.failed || unmapped->failed)
        f->write_failed = 1;
    /* The first few unmapped records on stderr, with their lines; and
    ** the records read leniently, which are replayed, said so. */
    show_lines(unmapped, "unmapped", &f->unmapped_shown, opt->show_unmapped);
    f->unmapped_total += ch->n_unmapped;
    if (ch->lenient.len) {
        const tool_buf *lenient = numbered(f, &ch->lenient, path, first);
        f->write_failed |= lenient->failed;
        show_lines(lenient, "read leniently", &f->lenient_shown,
                   opt->show_unmapped);
    }
    f->lenient_total += ch->n_lenient;
    tb_reset(&ch->changes);
    tb_reset(&ch->decisions);
    tb_reset(&ch->unmapped);
    tb_reset(&ch->lenient);
    ch->n_unmapped = ch->n_lenient = 0;
}

static void progress(const replay_run *run, int input, uint64_t lines,
                     double t0, double *last)
{
    double t = now();
    if (!run->opt->progress || t - *last < 0.5)
        return;
    *last = t;
    fprintf(stderr,
            "\rmoat replay: %llu records read (%.0f/s), file %d of %d  ",
            (unsigned long long)lines, (double)lines / (t - t0), input + 1,
            run->n_inputs);
}

/* Writes the output of the oldest chunk in flight, once it is done. Until
** then this thread processes the chunks no worker has taken, as one of
** the --threads: reading is its first job, so it reads whenever the ring
** has room and processes only when it has none. Were it a thread of its
** own beside one worker per CPU, the reading thread would share a CPU
** with a worker; inflating gzip, it then ran at half speed and starved
** them (a fifth of two CPUs idle; bench/RESULTS.md, 2026-12-05). */
static void flush_oldest(replay_run *run, worker *self, flusher *f,
                         uint64_t *seq_flush)
{
    chunk *oldest = &run->slots[*seq_flush % (uint64_t)run->n_slots];
    pthread_mutex_lock(&run->mu);
    while (oldest->state != SLOT_DONE) {
        chunk *ch = take_ready(run);
        if (ch == NULL) {
            pthread_cond_wait(&run->done, &run->mu);
            continue;
        }
        pthread_mutex_unlock(&run->mu);
        process_chunk(self, ch);
        finish_chunk(run, ch);
        pthread_mutex_lock(&run->mu);
    }
    pthread_mutex_unlock(&run->mu);
    flush_chunk(f, oldest);
    pthread_mutex_lock(&run->mu);
    oldest->state = SLOT_FREE;
    pthread_mutex_unlock(&run->mu);
    (*seq_flush)++;
}

/* While input i is read here, the gzip logs after it inflate on threads
** of their own (one fewer than the workers, at least one), so that
** several files decompress at once. */
static void inflate_ahead(replay_run *run, int i)
{
    int ahead = run->opt->threads > 2 ? run->opt->threads - 1 : 1;
    for (int j = i + 1; j < run->n_inputs && j <= i + ahead; j++) {
        replay_source *src = run->inputs[j].src;
        if (src && replay_source_gzip(src))
            replay_source_prefetch(src); /* failing, it is read here */
    }
}

static void feed(replay_run *run, worker *self, flusher *f)
{
    uint64_t seq_fill = 0, seq_flush = 0;
    double t0 = now(), last = t0;
    for (int i = 0; i < run->n_inputs; i++) {
        replay_input *in = &run->inputs[i];
        inflate_ahead(run, i);
        for (;;) {
            if (seq_fill - seq_flush == (uint64_t)run->n_slots)
                flush_oldest(run, self, f, &seq_flush);
            chunk *ch = &run->slots[seq_fill % (uint64_t)run->n_slots];
            ch->len = replay_input_read(in, &ch->data, CHUNK_BYTES,
                                        &ch->first_line, &ch->view);
            if (ch->len == 0)
                break;
            ch->input = i;
            pthread_mutex_lock(&run->mu);
            ch->seq = seq_fill++;
            ch->state = SLOT_READY;
            pthread_cond_broadcast(&run->work);
            pthread_mutex_unlock(&run->mu);
            progress(run, i, f->lines, t0, &last);
        }
    }
    while (seq_flush < seq_fill)
        flush_oldest(run, self, f, &seq_flush);
    if (run->opt->progress)
        fputs("\r\033[K", stderr);
}

static int worker_init(worker *w, replay_run *run)
{
    memset(w, 0, sizeof *w);
    w->run = run;
    w->reader_input = -1;
    if (replay_agg_init(&w->agg, run->opt->cfg, run->opt->n_cfg) < 0)
        return -1;
    for (int c = 0; c < run->opt->n_cfg; c++) {
        w->q[c] = moat_request_new(run->opt->cfg[c].es);
        if (w->q[c] == NULL)
            return -1;
    }
    w->x = moat_explanation_new();
    return w->x ? 0 : -1;
}

static void worker_free(worker *w)
{
    for (int c = 0; c < REPLAY_MAX_CONFIGS; c++)
        moat_request_free(w->q[c]);
    moat_explanation_free(w->x);
    moat_log_reader_free(w->reader);
    replay_agg_free(&w->agg);
}

int replay_run_all(const replay_options *opt, replay_input *inputs,
                   int n_inputs, replay_agg *total, uint64_t *unmapped_shown)
{
    replay_run run;
    memset(&run, 0, sizeof run);
    run.opt = opt;
    run.inputs = inputs;
    run.n_inputs = n_inputs;
    /* ws[0] is this thread's: it reads, and processes when it cannot. */
    int nw = opt->threads > 0 ? opt->threads : 1;
    run.n_slots = 2 * nw + 2;
    run.slots = calloc((size_t)run.n_slots, sizeof *run.slots);
    worker *ws = calloc((size_t)nw, sizeof *ws);
    int rc = 0;
    if (run.slots == NULL || ws == NULL) {
        free(run.slots);
        free(ws);
        return -1;
    }
    pthread_mutex_init(&run.mu, NULL);
    pthread_cond_init(&run.work, NULL);
    pthread_cond_init(&run.done, NULL);
    int ready = 0; /* workers initialised; all but ws[0] started */
    for (; ready < nw; ready++) {
        if (worker_init(&ws[ready], &run) < 0 ||
            (ready > 0 && pthread_create(&ws[ready].thread, NULL,
                                         worker_main, &ws[ready]) != 0)) {
            worker_free(&ws[ready]);
            rc = -1;
            break;
        }
    }
    flusher f;
    memset(&f, 0, sizeof f);
    f.opt = opt;
    f.inputs = inputs;
    for (int i = 0; i < n_inputs; i++)
        inputs[i].number_every_chunk = opt->changes || opt->decisions;
    if (rc == 0)
        feed(&run, &ws[0], &f);
    pthread_mutex_lock(&run.mu);
    run.finished = 1;
    pthread_cond_broadcast(&run.work);
    pthread_mutex_unlock(&run.mu);
    for (int i = 0; i < ready; i++) {
        if (i > 0)
            pthread_join(ws[i].thread, NULL);
        if (ws[i].failed || replay_agg_merge(total, &ws[i].agg) < 0)
            rc = -1;
        worker_free(&ws[i]);
    }
    for (int i = 0; i < run.n_slots; i++) {
        tb_free(&run.slots[i].data);
        tb_free(&run.slots[i].changes);
        tb_free(&run.slots[i].decisions);
        tb_free(&run.slots[i].unmapped);
        tb_free(&run.slots[i].lenient);
    }
    tb_free(&f.numbered);
    free(run.slots);
    free(ws);
    pthread_mutex_destroy(&run.mu);
    pthread_cond_destroy(&run.work);
    pthread_cond_destroy(&run.done);
    *unmapped_shown = f.unmapped_shown;
    if (f.lenient_total > f.lenient_shown && opt->show_unmapped)
        fprintf(stderr, "moat: %llu records read leniently in all\n",
                (unsigned long long)f.lenient_total);
    if (f.write_failed)
        rc = -2;
    return rc;
}
