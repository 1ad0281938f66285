/*
** estate_load.c - loading --estate paths for every command, and printing
** the loader's diagnostics as FILE:LINE:COL: severity: RESOURCE: PATH:
** message (the shape compilers use, so editors can jump to it).
*/
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void print_diag(const moat_diag *d)
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
    return cli_load_paths(paths, n, flags);
}

moat_estate *cli_load_paths(const char *const *paths, int n, unsigned flags)
{
    int lenient = (flags & CLI_LOAD_LENIENT) != 0;
    moat_loader *ld = moat_loader_new(lenient ? MOAT_LOAD_LENIENT : 0);
    if (ld == NULL) {
        cli_error("out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        const char *path = paths[i];
        if (strcmp(path, "-") == 0) {
            size_t len;
            char *text = cli_read_file("-", &len);
            if (text == NULL) {
                moat_loader_free(ld);
                return NULL;
            }
            moat_loader_add_json(ld, "<stdin>", text, len);
            free(text);
        } else {
            moat_loader_add_path(ld, path);
        }
    }
    moat_estate *es = NULL;
    moat_status rc = moat_loader_finish(ld, &es);
    size_t n_diags = moat_loader_diag_count(ld);
    for (size_t i = 0; i < n_diags; i++) {
        const moat_diag *d = moat_loader_diag(ld, i);
        if (d->severity == MOAT_SEV_WARNING && (flags & CLI_LOAD_QUIET))
            continue;
        print_diag(d);
    }
    if (rc != MOAT_OK) {
        size_t errors = moat_loader_error_count(ld);
        if (rc == MOAT_E_NOMEM)
            cli_error("out of memory while loading the estate");
        else
            fprintf(stderr, "moat: the estate has %zu error%s%s\n", errors,
                    errors == 1 ? "" : "s",
                    lenient ? ""
                            : " (--lenient turns validation errors into "
                              "warnings)");
        es = NULL;
    }
    moat_loader_free(ld);
    return es;
}
