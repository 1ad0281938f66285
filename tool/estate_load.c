/*
** estate_load.c - loading --estate paths for every command, and printing
** the loader's diagnostics as FILE:LINE:COL: severity: RESOURCE: PATH:
** message (the shape compilers use, so editors can jump to it).
*/
#include "tool.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cli_print_diag(const moat_diag *d)
{
    const char *sev = d->severity == MOAT_SEV_ERROR ? "error" : "warning";
    if (d->file[0] && d->line)
        fprintf(stderr, "%s:%u:%u: %s: ", d->file, d->line, d->column, sev);
    else if (d->file[0])
        fprintf(stderr, "%s: %s: ", d->file, sev);
    else
        fprintf(stderr, "moat: %s: ", sev);
    if (d->resource[0])
        fprintf(stderr, "%s: ", d->resource);
    if (d->path[0])
        fprintf(stderr, "%s: ", d->path);
    fprintf(stderr, "%s\n", d->message);
}

moat_estate *cli_load_estate(const cli_args *a, unsigned flags)
{
    if (!cli_has(a, "estate")) {
        cli_error("no estate: give --estate FILE or --estate DIR");
        return NULL;
    }
    const char *paths[CLI_MAX_ARGS];
    int n = 0;
    for (int i = 0; i < a->n_opts; i++) {
        if (strcmp(a->opts[i].name, "estate") == 0)
            paths[n++] = a->opts[i].value;
    }
    if (cli_has(a, "lenient"))
        flags |= CLI_LOAD_LENIENT;
    return cli_load_paths(paths, n, cli_get(a, "service-tags"), flags);
}

moat_estate *cli_load_paths(const char *const *paths, int n, const char *tags,
                            unsigned flags)
{
    int lenient = (flags & CLI_LOAD_LENIENT) != 0;
    moat_loader *ld = moat_loader_new(lenient ? MOAT_LOAD_LENIENT : 0);
    if (ld == NULL) {
        cli_error("out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        const char *path = paths[i];
        if (strcmp(path, "-") == 0)
            moat_loader_add_fd(ld, "<stdin>", 0); /* bounded as files are */
        else
            moat_loader_add_path(ld, path);
    }
    if (tags)
        moat_loader_add_service_tags(ld, tags);
    moat_estate *es = NULL;
    moat_status rc = moat_loader_finish(ld, &es);
    size_t n_diags = moat_loader_diag_count(ld);
    for (size_t i = 0; i < n_diags; i++) {
        const moat_diag *d = moat_loader_diag(ld, i);
        if (d->severity == MOAT_SEV_WARNING && (flags & CLI_LOAD_QUIET))
            continue;
        cli_print_diag(d);
    }
    if (rc != MOAT_OK) {
        size_t errors = moat_loader_error_count(ld);
        if (rc == MOAT_E_NOMEM)
            cli_error("out of memory while loading the estate");
        else
            fprintf(stderr, "moat: the estate has %zu error%s%s\n", errors,
                    errors == 1 ? "" : "s",
                    lenient
                        ? ""
                        : " (--lenient turns validation errors into warnings)");
        es = NULL;
    }
    moat_loader_free(ld);
    return es;
}

/*--------------------------------------------------------------------------
** Files below a directory, as the loader reads them.
*/
typedef struct file_list {
    char **paths;
    size_t n, cap;
} file_list;

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_json_below(const char *dir, file_list *out)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (p == NULL)
            break;
        snprintf(p, n, "%s/%s", dir, e->d_name);
        struct stat st;
        size_t len = strlen(e->d_name);
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            add_json_below(p, out);
        } else if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0 &&
                   stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            /* Only regular files: the loader refuses any other *.json
            ** (it may never end) with an error of its own. */
            if (out->n == out->cap) {
                size_t cap = out->cap ? out->cap * 2 : 16;
                char **np = realloc(out->paths, cap * sizeof *np);
                if (np == NULL)
                    break;
                out->paths = np;
                out->cap = cap;
            }
            out->paths[out->n++] = p;
            continue;
        }
        free(p);
    }
    closedir(d);
}

char **cli_json_files(const char *dir, size_t *n)
{
    file_list l = {NULL, 0, 0};
    add_json_below(dir, &l);
    if (l.n)
        qsort(l.paths, l.n, sizeof *l.paths, cmp_path);
    *n = l.n;
    return l.paths;
}

void cli_free_files(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}
