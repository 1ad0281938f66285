/*
** serve_state.c - the estate in force. A load builds a whole snapshot
** (estate, topology, keys) aside, then swaps it in under a lock; workers
** notice the new revision with one atomic load per request and rebind. A
** snapshot is freed when the last worker lets go of it, so no request ever
** sees a half-loaded estate, and a load that fails leaves the previous one
** in force (counted, and reported on /healthz).
*/
#include "cli.h"
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void free_snapshot(srv_snapshot *s)
{
    if (s == NULL)
        return;
    moat_estate_free(s->estate);
    topology_free(s->topo);
    jwt_keys_free(s->keys);
    free(s);
}

/* The estate's diagnostics on stderr; the first error into err. */
static void report(moat_loader *ld, char *err, size_t cap)
{
    err[0] = '\0';
    for (size_t i = 0; i < moat_loader_diag_count(ld); i++) {
        const moat_diag *d = moat_loader_diag(ld, i);
        cli_print_diag(d);
        if (d->severity == MOAT_SEV_ERROR && err[0] == '\0')
            snprintf(err, cap, "%s:%u:%u: %s%s%s", d->file, d->line, d->column,
                     d->path, d->path[0] ? ": " : "", d->message);
    }
}

static moat_estate *load_estate(const srv_settings *st, char *err, size_t cap)
{
    moat_loader *ld = moat_loader_new(st->lenient ? MOAT_LOAD_LENIENT : 0);
    if (ld == NULL) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    for (int i = 0; i < st->n_estates; i++)
        moat_loader_add_path(ld, st->estates[i]);
    if (st->service_tags)
        moat_loader_add_service_tags(ld, st->service_tags);
    moat_estate *es = NULL;
    moat_status rc = moat_loader_finish(ld, &es);
    report(ld, err, cap);
    if (rc != MOAT_OK && err[0] == '\0')
        snprintf(err, cap, "%s", moat_strerror(rc));
    moat_loader_free(ld);
    return rc == MOAT_OK ? es : NULL;
}

/* A side file (topology, keys) read and parsed; 0, or -1 with err. */
static int load_side(const char *path, const char *what, void **out,
                     void *(*parse)(const char *, size_t, char *, size_t),
                     char *err, size_t cap)
{
    *out = NULL;
    if (path == NULL)
        return 0;
    size_t len;
    char *text = cli_read_file(path, &len);
    if (text == NULL) {
        snprintf(err, cap, "%s %s: cannot read", what, path);
        return -1;
    }
    char why[256] = "";
    *out = parse(text, len, why, sizeof why);
    free(text);
    if (*out == NULL) {
        snprintf(err, cap, "%s %s: %s", what, path, why);
        return -1;
    }
    return 0;
}

static void *parse_topology(const char *t, size_t n, char *e, size_t c)
{
    return topology_load(t, n, e, c);
}

static void *parse_keys(const char *t, size_t n, char *e, size_t c)
{
    return jwt_keys_load(t, n, e, c);
}

static srv_snapshot *load_snapshot(const srv_settings *st, char *err,
                                   size_t cap)
{
    srv_snapshot *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    void *topo = NULL, *keys = NULL;
    s->estate = load_estate(st, err, cap);
    if (s->estate == NULL ||
        load_side(st->topology, "topology", &topo, parse_topology, err, cap) ||
        load_side(st->jwks, "jwks", &keys, parse_keys, err, cap)) {
        s->topo = topo;
        s->keys = keys;
        free_snapshot(s);
        return NULL;
    }
    s->topo = topo;
    s->keys = keys;
    s->refs = 1; /* the state's own */
    s->loaded_at = (int64_t)time(NULL);
    return s;
}

/*--------------------------------------------------------------------------
** Noticing changes: a signature of every file the estate is read from.
*/
static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h;
}

static uint64_t file_sig(uint64_t h, const char *path)
{
    struct stat st;
    for (const char *p = path; *p; p++)
        h = mix(h, (unsigned char)*p);
    if (stat(path, &st) != 0)
        return mix(h, 0xdeadull);
    h = mix(h, (uint64_t)st.st_size);
    h = mix(h, (uint64_t)st.st_ino);
    h = mix(h, (uint64_t)st.st_mtim.tv_sec);
    return mix(h, (uint64_t)st.st_mtim.tv_nsec);
}

static uint64_t signature(const srv_settings *st)
{
    uint64_t h = 1;
    for (int i = 0; i < st->n_estates; i++) {
        struct stat sb;
        if (stat(st->estates[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            size_t n;
            char **files = cli_json_files(st->estates[i], &n);
            h = mix(h, n);
            for (size_t k = 0; k < n; k++)
                h = file_sig(h, files[k]);
            cli_free_files(files, n);
        } else {
            h = file_sig(h, st->estates[i]);
        }
    }
    if (st->topology)
        h = file_sig(h, st->topology);
    if (st->jwks)
        h = file_sig(h, st->jwks);
    if (st->service_tags)
        h = file_sig(h, st->service_tags);
    return h;
}

/*--------------------------------------------------------------------------
** The state.
*/
static int open_log(const char *path)
{
    return path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)
                : -1;
}

int srv_state_init(srv_state *s, const srv_settings *settings)
{
    memset(s, 0, sizeof *s);
    s->settings = settings;
    s->log_fd = -1;
    pthread_mutex_init(&s->lock, NULL);
    s->signature = signature(settings);
    char err[512];
    s->current = load_snapshot(settings, err, sizeof err);
    if (s->current == NULL) {
        fprintf(stderr, "moat serve: the estate does not load: %s\n", err);
        return -1;
    }
    s->current->revision = 1;
    atomic_store(&s->revision, 1);
    if (settings->decision_log) {
        s->log_fd = open_log(settings->decision_log);
        if (s->log_fd < 0) {
            fprintf(stderr, "moat serve: %s: %s\n", settings->decision_log,
                    strerror(errno));
            return -1;
        }
    }
    return 0;
}

void srv_state_free(srv_state *s)
{
    srv_snapshot *cur = s->current;
    s->current = NULL;
    if (cur && --cur->refs == 0)
        free_snapshot(cur);
    if (s->log_fd >= 0)
        close(s->log_fd);
    pthread_mutex_destroy(&s->lock);
}

int srv_state_reload(srv_state *s, int force)
{
    uint64_t sig = signature(s->settings);
    if (!force && sig == s->signature)
        return 0;
    s->signature = sig; /* a failed load is retried when the files change */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char err[512];
    srv_snapshot *next = load_snapshot(s->settings, err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_mutex_lock(&s->lock);
    if (next == NULL) {
        snprintf(s->last_error, sizeof s->last_error, "%s", err);
        uint64_t keep = s->current->revision;
        pthread_mutex_unlock(&s->lock);
        atomic_fetch_add(&s->reload_errors, 1);
        fprintf(stderr,
                "moat serve: the new estate does not load; revision %llu "
                "stays in force: %s\n",
                (unsigned long long)keep, err);
        return -1;
    }
    srv_snapshot *old = s->current, *drop = NULL;
    next->revision = old->revision + 1;
    s->current = next;
    s->last_error[0] = '\0';
    atomic_store(&s->revision, next->revision);
    if (--old->refs == 0)
        drop = old;
    pthread_mutex_unlock(&s->lock);
    free_snapshot(drop);
    atomic_fetch_add(&s->reloads, 1);
    fprintf(stderr, "moat serve: estate revision %llu in force (%.1f ms)\n",
            (unsigned long long)next->revision,
            (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    return 1;
}

srv_snapshot *srv_state_acquire(srv_state *s)
{
    pthread_mutex_lock(&s->lock);
    srv_snapshot *snap = s->current;
    snap->refs++;
    pthread_mutex_unlock(&s->lock);
    return snap;
}

void srv_state_release(srv_state *s, srv_snapshot *snap)
{
    if (snap == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    int last = --snap->refs == 0;
    pthread_mutex_unlock(&s->lock);
    if (last)
        free_snapshot(snap);
}

void srv_state_reopen_log(srv_state *s)
{
    if (s->log_fd < 0)
        return;
    int fd = open_log(s->settings->decision_log);
    if (fd < 0) {
        fprintf(stderr, "moat serve: %s: %s\n", s->settings->decision_log,
                strerror(errno));
        return;
    }
    /* dup2 replaces the descriptor the workers write to in one step. */
    dup2(fd, s->log_fd);
    close(fd);
}
