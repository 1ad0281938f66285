/*
** catalog.c - which first-party services count as "trusted", and when.
**
** The table itself is data (data/trusted-services.tsv, catalog version 2,
** from seeds 000 and 004 with later changes cited per row) compiled into
** the binary by scripts/gen-catalog.sh. Naming follows decision.md
** section 4, trusted(R, Q): the caller's name is caller.service when set,
** else the provider/type of caller.resource_id; a row names it when the
** name equals the row's `platform` (ignoring case), or when the name is a
** provider/type among the row's `identities`, where a bare namespace
** matches every type of it. A row holds for since <= time < until.
*/
#include "moat_int.h"

#include <string.h>

size_t moat_catalog_count(void)
{
    return (size_t)moat__catalog_size;
}

const moat_service *moat_catalog_entry(size_t i)
{
    return i < moat__catalog_size ? &moat__catalog_entries[i] : NULL;
}

/* Catalog name c names the caller `name` (n bytes; ns: the bytes of its
** namespace when it is a provider/type, else 0): a platform equals it, a
** typed identity equals it as a provider/type, a bare-namespace identity
** is its namespace. Lengths first: most names differ there. */
static int names_caller(const catalog_name *c, const char *name, size_t n,
                        size_t ns)
{
    switch (c->kind) {
    case CATALOG_PLATFORM:
        return c->len == n && moat__eq_ci(c->name, n, name, n);
    case CATALOG_TYPE:
        return ns && c->len == n && moat__eq_ci(c->name, n, name, n);
    default:
        return ns && c->len == ns && moat__eq_ci(c->name, ns, name, ns);
    }
}

/* Adds row to the caller's rows of its target, once. */
static void add_row(caller_rows *out, uint16_t row)
{
    const catalog_row *c = &moat__catalog_rows[row];
    unsigned t = c->target - 1u;
    if (out->n[t] == MOAT_TRUST_MAX ||
        (out->n[t] && out->row[t][out->n[t] - 1] == row))
        return; /* full, or named twice by one row (names are in row order) */
    out->row[t][out->n[t]++] = row;
    out->dated[t] |= c->since != INT64_MIN || c->until != INT64_MAX;
}

static size_t namespace_len(const char *name, size_t n)
{
    const char *slash = n ? memchr(name, '/', n) : NULL;
    return slash ? (size_t)(slash - name) : 0;
}

/* A managed-identity row naming the resource type: resource instance
** rules stop admitting that type at the row's `until` (decision.md
** section 4; API Management's retirement of 2026-03-15). */
static void instance_limit(caller_rows *out, const char *type, size_t tn)
{
    size_t ns = namespace_len(type, tn);
    out->instances_row = -1;
    out->instances_until = INT64_MAX;
    for (size_t i = 0; ns && i < moat__catalog_names_size; i++) {
        const catalog_name *c = &moat__catalog_names[i];
        const catalog_row *r = &moat__catalog_rows[c->row];
        if (r->managed_identity && r->until < out->instances_until &&
            c->kind != CATALOG_PLATFORM && names_caller(c, type, tn, ns)) {
            out->instances_until = r->until;
            out->instances_row = (int16_t)c->row;
        }
    }
}

void moat__catalog_rows_of(const char *name, size_t n, const char *type,
                           size_t tn, caller_rows *out)
{
    size_t ns = namespace_len(name, n);
    out->n[0] = out->n[1] = 0;
    out->dated[0] = out->dated[1] = 0;
    for (size_t i = 0; n && i < moat__catalog_names_size; i++) {
        if (names_caller(&moat__catalog_names[i], name, n, ns))
            add_row(out, moat__catalog_names[i].row);
    }
    instance_limit(out, type, tn);
}

int moat__catalog_in_force(const caller_rows *c, moat_catalog_target target,
                           int64_t t)
{
    unsigned k = (unsigned)target - 1u;
    for (uint8_t i = 0; i < c->n[k]; i++) {
        const catalog_row *r = &moat__catalog_rows[c->row[k][i]];
        if (r->since <= t && t < r->until)
            return c->row[k][i];
    }
    return -1;
}
