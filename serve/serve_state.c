/*
** serve_state.c - the estate in force. A load builds a whole snapshot
** (estate, topology, keys) aside, then swaps it in under a lock; workers
** notice the new revision with one atomic load per request and rebind. A
** snapshot is freed when the last worker lets go of it, so no request ever
** sees a half-loaded estate, and a load that fails leaves the previous one
** in force (counted, and reported on /healthz).
**
** What a poll loads. Files are not changed in one step: an editor writes a
** new file and renames it, git checkout removes a file and writes it
** again, rsync replaces the files one after the other. A poll that loads
** whatever the directory holds at that instant can load an estate that
** never was: without the file that holds an Enforced perimeter's
** association, the account's own firewall decides, and requests the whole
** estate denies are allowed until the file is back. So a poll loads a
** change only once the files have been still for --settle seconds (every
** poll in between saw the same names, sizes, inodes and times), reads the
** very files it saw (a file gone by then fails the load), and checks they
** did not change while it read them. And a file of the estate in force
** that is gone is never let go by a poll, however long it stays away: an
** estate loses a file on an explicit reload (SIGHUP) only. Until then the
** estate in force stays, and stderr, /healthz and /metrics say what waits.
*/
#include "tool.h"
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
    moat_topology_free(s->topo);
    moat_jwt_keys_free(s->keys);
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

/* The estate from the files a poll saw (not from the directories again: a
** file that vanished since fails the load instead of being left out). */
static moat_estate *load_estate(const srv_settings *st, const srv_files *files,
                                char *err, size_t cap)
{
    moat_loader *ld = moat_loader_new(st->lenient ? MOAT_LOAD_LENIENT : 0);
    if (ld == NULL) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < files->n; i++) {
        if (files->v[i].kind == SRV_FILE_ESTATE)
            moat_loader_add_path(ld, files->v[i].path);
        else if (files->v[i].kind == SRV_FILE_SERVICE_TAGS)
            moat_loader_add_service_tags(ld, files->v[i].path);
    }
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
    return moat_topology_load(t, n, e, c);
}

static void *parse_keys(const char *t, size_t n, char *e, size_t c)
{
    return moat_jwt_keys_load(t, n, e, c);
}

static srv_snapshot *load_snapshot(const srv_settings *st,
                                   const srv_files *files, char *err,
                                   size_t cap)
{
    srv_snapshot *s = calloc(1, sizeof *s);
    if (s == NULL) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    void *topo = NULL, *keys = NULL;
    s->estate = load_estate(st, files, err, cap);
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
    char err[512] = "out of memory";
    if (srv_files_observe(settings, &s->loaded) == 0)
        s->current = load_snapshot(settings, &s->loaded, err, sizeof err);
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
    srv_files_free(&s->loaded);
    srv_files_free(&s->seen);
    pthread_mutex_destroy(&s->lock);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* What waits on disk, for /healthz and /metrics ("" when nothing). */
static void set_pending(srv_state *s, const char *text, unsigned vanished)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->pending, sizeof s->pending, "%s", text);
    pthread_mutex_unlock(&s->lock);
    atomic_store(&s->vanished, vanished);
}

static void forget_seen(srv_state *s)
{
    srv_files_free(&s->seen);
    s->seen_done = 0;
}

/* The load failed: the estate in force stays, and says why. */
static int load_failed(srv_state *s, const char *err)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->last_error, sizeof s->last_error, "%s", err);
    uint64_t keep = s->current->revision;
    pthread_mutex_unlock(&s->lock);
    atomic_fetch_add(&s->reload_errors, 1);
    fprintf(
        stderr,
        "moat serve: the new estate does not load; revision %llu stays in force: %s\n",
        (unsigned long long)keep, err);
    return -1;
}

/* next in force, read from files (taken). */
static void swap_in(srv_state *s, srv_snapshot *next, srv_files *files,
                    double ms)
{
    pthread_mutex_lock(&s->lock);
    srv_snapshot *old = s->current, *drop = NULL;
    next->revision = old->revision + 1;
    s->current = next;
    s->last_error[0] = '\0';
    s->pending[0] = '\0';
    atomic_store(&s->revision, next->revision);
    if (--old->refs == 0)
        drop = old;
    pthread_mutex_unlock(&s->lock);
    free_snapshot(drop);
    srv_files_free(&s->loaded);
    s->loaded = *files;
    memset(files, 0, sizeof *files);
    forget_seen(s);
    atomic_store(&s->vanished, 0);
    atomic_fetch_add(&s->reloads, 1);
    fprintf(stderr, "moat serve: estate revision %llu in force (%.1f ms)\n",
            (unsigned long long)next->revision, ms);
}

/* Loads files and swaps the result in, if they did not change while they
** were read. 1: in force, and files became s->loaded (taken); 0: they
** changed, and *after is what they are now; -1: the load failed. */
static int load_files(srv_state *s, srv_files *files, srv_files *after)
{
    uint64_t t0 = now_ms();
    char err[512];
    srv_snapshot *next = load_snapshot(s->settings, files, err, sizeof err);
    double ms = (double)(now_ms() - t0);
    if (srv_files_observe(s->settings, after) != 0)
        memset(after, 0, sizeof *after);
    if (next && !srv_files_equal(files, after)) {
        free_snapshot(next);
        return 0;
    }
    srv_files_free(after);
    if (next == NULL)
        return load_failed(s, err);
    swap_in(s, next, files, ms);
    return 1;
}

int srv_state_reload(srv_state *s)
{
    srv_files files, after;
    if (srv_files_observe(s->settings, &files) != 0)
        return load_failed(s, "out of memory");
    for (int attempt = 0; attempt < 3; attempt++) {
        int rc = load_files(s, &files, &after);
        if (rc != 0) {
            srv_files_free(&files);
            return rc;
        }
        srv_files_free(&files);
        files = after;
    }
    srv_files_free(&files);
    return load_failed(
        s,
        "the files kept changing while they were read; send SIGHUP again once they are still");
}

/* A file of the estate in force is gone from what the polls see: keep
** the estate, and say so (once for this state of the files). */
static void report_vanished(srv_state *s, const char *path, size_t count)
{
    char text[512], more[48] = "";
    if (count > 1)
        snprintf(more, sizeof more, " and %zu more files", count - 1);
    snprintf(
        text, sizeof text,
        "%s%s vanished from the estate; revision %llu stays in force until SIGHUP (a poll never lets go of a file)",
        path, more, (unsigned long long)atomic_load(&s->revision));
    set_pending(s, text, (unsigned)count);
    fprintf(stderr, "moat serve: %s\n", text);
}

/* The files differ from the ones in force: start or restart counting
** the time they stay still. */
static void seen_change(srv_state *s, srv_files *now)
{
    if (s->seen.v == NULL) {
        char text[160];
        snprintf(
            text, sizeof text,
            "the estate's files changed; loading them once they have been still for %u s (--settle)",
            s->settings->settle_ms / 1000);
        set_pending(s, text, 0);
        fprintf(stderr, "moat serve: %s\n", text);
    }
    srv_files_free(&s->seen);
    s->seen = *now;
    s->seen_since_ms = now_ms();
    s->seen_done = 0;
}

int srv_state_poll(srv_state *s)
{
    srv_files now, after;
    if (srv_files_observe(s->settings, &now) != 0)
        return 0; /* out of memory: the next poll tries again */
    if (srv_files_equal(&now, &s->loaded)) { /* back as they were */
        srv_files_free(&now);
        if (s->seen.v) {
            set_pending(s, "", 0);
            fprintf(
                stderr,
                "moat serve: the estate's files are back as they were loaded; nothing to reload\n");
        }
        forget_seen(s);
        return 0;
    }
    if (s->seen.v == NULL || !srv_files_equal(&now, &s->seen)) {
        seen_change(s, &now);
        return 0;
    }
    srv_files_free(&now);
    if (s->seen_done ||
        now_ms() - s->seen_since_ms < s->settings->settle_ms)
        return 0;
    s->seen_done = 1; /* acted on once; again when the files change */
    size_t count;
    const char *gone = srv_files_vanished(&s->loaded, &s->seen, &count);
    if (gone) {
        report_vanished(s, gone, count);
        return 0;
    }
    int rc = load_files(s, &s->seen, &after);
    if (rc == 0) /* they changed while being read: wait for them again */
        seen_change(s, &after);
    return rc;
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
