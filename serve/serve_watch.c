/*
** serve_watch.c - the files an estate is read from, as a poll sees them:
** listed the way the loader lists them (every *.json below a directory,
** sorted), each with a signature of its size, inode and modification
** time. Two observations are compared to tell whether anything changed,
** and which files of the estate in force are gone.
*/
#include "tool.h"
#include "serve.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h;
}

/* Appends path (taken: freed with the list) of the given kind. */
static int add(srv_files *f, char *path, char kind)
{
    if (path == NULL)
        return -1;
    srv_file *v = realloc(f->v, (f->n + 1) * sizeof *v);
    if (v == NULL) {
        free(path);
        return -1;
    }
    f->v = v;
    struct stat st;
    srv_file *e = &v[f->n++];
    e->path = path;
    e->kind = kind;
    e->present = stat(path, &st) == 0;
    e->sig = 1;
    if (e->present) {
        e->sig = mix(e->sig, (uint64_t)st.st_size);
        e->sig = mix(e->sig, (uint64_t)st.st_ino);
        e->sig = mix(e->sig, (uint64_t)st.st_mtim.tv_sec);
        e->sig = mix(e->sig, (uint64_t)st.st_mtim.tv_nsec);
    }
    return 0;
}

/* An estate path: a directory's *.json files, or the path itself (listed
** even when missing, so that loading it fails rather than skips it). */
static int add_estate(srv_files *f, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return add(f, strdup(path), SRV_FILE_ESTATE);
    size_t n;
    char **files = cli_json_files(path, &n);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = add(f, files[i], SRV_FILE_ESTATE);
        else
            free(files[i]);
    }
    free(files);
    return rc;
}

int srv_files_observe(const srv_settings *st, srv_files *out)
{
    memset(out, 0, sizeof *out);
    int rc = 0;
    for (int i = 0; i < st->n_estates && rc == 0; i++)
        rc = add_estate(out, st->estates[i]);
    if (rc == 0 && st->topology)
        rc = add(out, strdup(st->topology), SRV_FILE_TOPOLOGY);
    if (rc == 0 && st->jwks)
        rc = add(out, strdup(st->jwks), SRV_FILE_KEYS);
    if (rc == 0 && st->service_tags)
        rc = add(out, strdup(st->service_tags), SRV_FILE_SERVICE_TAGS);
    if (rc != 0)
        srv_files_free(out);
    return rc;
}

void srv_files_free(srv_files *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->v[i].path);
    free(f->v);
    memset(f, 0, sizeof *f);
}

int srv_files_equal(const srv_files *a, const srv_files *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->v[i].sig != b->v[i].sig ||
            a->v[i].present != b->v[i].present ||
            strcmp(a->v[i].path, b->v[i].path) != 0)
            return 0;
    return 1;
}

static const srv_file *lookup(const srv_files *f, const char *path)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].path, path) == 0)
            return &f->v[i];
    return NULL;
}

const char *srv_files_vanished(const srv_files *was, const srv_files *now,
                               size_t *count)
{
    const char *first = NULL;
    *count = 0;
    for (size_t i = 0; i < was->n; i++) {
        if (!was->v[i].present)
            continue;
        const srv_file *f = lookup(now, was->v[i].path);
        if (f == NULL || !f->present) {
            if (first == NULL)
                first = was->v[i].path;
            ++*count;
        }
    }
    return first;
}
