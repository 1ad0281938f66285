/*
** deps_compile.c - the loader's dependency edges copied into the compiled
** estate, which outlives the loader (estate/deps.h).
*/
#include "load.h"

#include <string.h>

static const char *copy(moat_estate *es, const char *s, int *failed)
{
    if (s == NULL)
        return NULL;
    char *d = moat__arena_strndup(&es->arena, s, strlen(s));
    if (d == NULL)
        *failed = 1;
    return d;
}

int moat__compile_deps(moat_loader *ld, moat_estate *es)
{
    if (ld->deps.n == 0)
        return 0;
    dep_edge *out = moat__arena_alloc(&es->arena, ld->deps.n * sizeof *out);
    if (out == NULL)
        return -1;
    int failed = 0;
    for (size_t i = 0; i < ld->deps.n; i++) {
        const dep_edge *e = &ld->deps.v[i];
        dep_edge *o = &out[i];
        *o = *e;
        const char **fields[] = {
            &o->from,     &o->from_type,       &o->breaks,
            &o->to_id,    &o->to_name,         &o->to_text,
            &o->path,     &o->target,          &o->caller_resource,
            &o->subnet,   &o->ips,             &o->region,
            &o->file,     &o->address,        &o->unknown,        &o->scope,
        };
        for (size_t k = 0; k < MOAT_ARRAY_LEN(fields); k++)
            *fields[k] = copy(es, *fields[k], &failed);
        /* endpoints, operation, protocol, auth, caller_service and
        ** unknown are string literals. */
    }
    es->deps = out;
    es->n_deps = ld->deps.n;
    return failed ? -1 : 0;
}
