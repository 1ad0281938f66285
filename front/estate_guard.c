/*
** estate_guard.c - see estate_guard.h.
*/
#include "estate_guard.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* As deep as moat's loader goes (src/estate/load.c). */
#define MAX_DEPTH 32

/*--------------------------------------------------------------------------
** Listing an estate path's files.
*/
static int files_add(estate_files *f, const char *name)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        char **v = realloc(f->names, cap * sizeof *v);
        if (v == NULL)
            return -1;
        f->names = v;
        f->cap = cap;
    }
    f->names[f->n] = strdup(name);
    if (f->names[f->n] == NULL)
        return -1;
    f->n++;
    return 0;
}

void moat_estate_files_free(estate_files *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->names[i]);
    free(f->names);
    memset(f, 0, sizeof *f);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_json(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && strcasecmp(name + n - 5, ".json") == 0;
}

/* dir's entries not starting with '.', sorted, into names. */
static int read_names(const char *dir, estate_files *names)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return -1;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            rc = files_add(names, e->d_name);
    closedir(d);
    if (rc == 0 && names->n)
        qsort(names->names, names->n, sizeof *names->names, by_name);
    return rc;
}

static int list_dir(const char *dir, int depth, estate_files *out, char *err,
                    size_t cap)
{
    estate_files names = {NULL, 0, 0};
    if (depth > MAX_DEPTH || read_names(dir, &names) < 0) {
        moat_estate_files_free(&names);
        snprintf(err, cap, "%s: cannot read the directory", dir);
        return -1;
    }
    const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        char child[4096];
        struct stat st;
        if ((size_t)snprintf(child, sizeof child, "%s%s%s", dir, sep,
                             names.names[i]) >= sizeof child) {
            snprintf(err, cap, "%s: a name too long below it", dir);
            rc = -1;
        } else if (stat(child, &st) != 0) {
            continue; /* gone since readdir: the loader skips it too */
        } else if (S_ISDIR(st.st_mode)) {
            rc = list_dir(child, depth + 1, out, err, cap);
        } else if (S_ISREG(st.st_mode) && is_json(names.names[i])) {
            rc = files_add(out, child);
        }
    }
    moat_estate_files_free(&names);
    return rc;
}

int moat_estate_files_list(const char *path, estate_files *out, char *err,
                      size_t cap)
{
    struct stat st;
    moat_estate_files_free(out);
    if (path[0] == '\0' || stat(path, &st) != 0) {
        snprintf(err, cap, "%s: cannot open", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return files_add(out, path);
    if (list_dir(path, 0, out, err, cap) < 0) {
        moat_estate_files_free(out);
        return -1;
    }
    return 0;
}

/*--------------------------------------------------------------------------
** The guard.
*/
static int has_file(const estate_files *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->names[i], name) == 0)
            return 1;
    return 0;
}

/* Names of was missing from now. */
static size_t count_missing(const estate_files *was, const estate_files *now)
{
    size_t lost = 0;
    for (size_t i = 0; i < was->n; i++)
        lost += !has_file(now, was->names[i]);
    return lost;
}

static int same_files(const estate_files *a, const estate_files *b)
{
    return a->n == b->n && count_missing(a, b) == 0;
}

static int files_copy(estate_files *to, const estate_files *from)
{
    moat_estate_files_free(to);
    for (size_t i = 0; i < from->n; i++)
        if (files_add(to, from->names[i]) < 0)
            return -1;
    return 0;
}

static guard_entry *find(guard_entry *v, size_t n, const char *path)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].path, path) == 0)
            return &v[i];
    return NULL;
}

static void entry_free(guard_entry *e)
{
    free(e->path);
    moat_estate_files_free(&e->files);
    moat_estate_files_free(&e->pending);
    memset(e, 0, sizeof *e);
}

static void entries_free(guard_entry **v, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        entry_free(&(*v)[i]);
    free(*v);
    *v = NULL;
    *n = 0;
}

/* path's files in the configuration being read. */
static int stage(estate_guard *g, const char *path, const estate_files *now)
{
    guard_entry *e = find(g->staged, g->n_staged, path);
    if (e == NULL) {
        guard_entry *v = realloc(g->staged, (g->n_staged + 1) * sizeof *v);
        if (v == NULL)
            return -1;
        g->staged = v;
        e = &v[g->n_staged];
        memset(e, 0, sizeof *e);
        e->path = strdup(path);
        if (e->path == NULL)
            return -1;
        g->n_staged++;
    }
    return files_copy(&e->files, now);
}

/* After what msg holds: "moat_estate <path> lost 2 of the files it loaded
** in the running configuration: a.json b.json". */
static void describe_loss(const guard_entry *run, const estate_files *now,
                          char *msg, size_t cap)
{
    size_t n = strlen(msg);
    n += (size_t)snprintf(
        msg + n, cap - n,
        "moat_estate %s lost %zu of the files it loaded in the running configuration:",
        run->path, count_missing(&run->files, now));
    for (size_t i = 0; i < run->files.n && n < cap; i++)
        if (!has_file(now, run->files.names[i]))
            n += (size_t)snprintf(msg + n, cap - n, " %s", run->files.names[i]);
}

/* A refused loss becomes the removal a later reload may confirm. */
static guard_verdict refuse(guard_entry *run, const estate_files *now, time_t t,
                            char *msg, size_t cap)
{
    if (!run->has_pending || !same_files(&run->pending, now)) {
        run->has_pending = files_copy(&run->pending, now) == 0;
        run->pending_since = t;
    }
    describe_loss(run, now, msg, cap);
    size_t n = strlen(msg);
    long wait = (long)(run->pending_since + ESTATE_GUARD_CONFIRM_SECONDS - t);
    if (n < cap)
        snprintf(
            msg + n, cap - n,
            ". The running configuration stays in force. To remove them on purpose, reload again with the same files %ld s or more from now.",
            wait > 0 ? wait : 0);
    return GUARD_REFUSED;
}

guard_verdict moat_estate_guard_check(estate_guard *g, const char *path,
                                 const estate_files *now, time_t t, char *msg,
                                 size_t cap)
{
    msg[0] = '\0';
    guard_entry *st = find(g->staged, g->n_staged, path);
    if (st && same_files(&st->files, now))
        return GUARD_ACCEPTED; /* the same path again in this configuration */
    guard_entry *run = find(g->running, g->n_running, path);
    guard_verdict v = GUARD_ACCEPTED;
    if (run && count_missing(&run->files, now)) {
        if (!run->has_pending || !same_files(&run->pending, now) ||
            t - run->pending_since < ESTATE_GUARD_CONFIRM_SECONDS)
            return refuse(run, now, t, msg, cap);
        snprintf(
            msg, cap,
            "accepted the removal (a second reload with the same files confirmed it): ");
        describe_loss(run, now, msg, cap);
        v = GUARD_REMOVAL_CONFIRMED;
    }
    if (stage(g, path, now) < 0) {
        snprintf(msg, cap, "moat_estate %s: out of memory", path);
        return GUARD_REFUSED;
    }
    return v;
}

void moat_estate_guard_begin(estate_guard *g)
{
    entries_free(&g->staged, &g->n_staged);
}

void moat_estate_guard_commit(estate_guard *g)
{
    entries_free(&g->running, &g->n_running);
    g->running = g->staged;
    g->n_running = g->n_staged;
    g->staged = NULL;
    g->n_staged = 0;
}

void moat_estate_guard_free(estate_guard *g)
{
    entries_free(&g->running, &g->n_running);
    entries_free(&g->staged, &g->n_staged);
}
