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

/* The provider/type `name` (ns bytes of namespace) is among the
** comma-separated identities. */
static int among_identities(const char *ids, const char *name, size_t n,
                            size_t ns)
{
    while (*ids) {
        const char *comma = strchr(ids, ',');
        size_t len = comma ? (size_t)(comma - ids) : strlen(ids);
        if (memchr(ids, '/', len) ? moat__eq_ci(ids, len, name, n)
                                  : moat__eq_ci(ids, len, name, ns))
            return 1;
        ids += len + (comma != NULL);
    }
    return 0;
}

/* Row e names the caller `name`: its platform, or one of its identities
** when the name is a provider/type. */
static int row_names(const moat_service *e, const char *name, size_t n)
{
    if (e->platform[0] && moat__eq_ci(e->platform, strlen(e->platform), name, n))
        return 1;
    const char *slash = memchr(name, '/', n);
    return slash && among_identities(e->identities, name, n,
                                     (size_t)(slash - name));
}

/* A managed-identity row naming the resource type: resource instance
** rules stop admitting that type at the row's `until` (decision.md
** section 4; API Management's retirement of 2026-03-15). */
static void instance_limit(caller_rows *out, const char *type, size_t tn)
{
    out->instances_row = -1;
    out->instances_until = INT64_MAX;
    for (size_t i = 0; tn && i < moat__catalog_size; i++) {
        const catalog_row *c = &moat__catalog_rows[i];
        if (c->managed_identity && c->until < out->instances_until &&
            row_names(&moat__catalog_entries[i], type, tn)) {
            out->instances_until = c->until;
            out->instances_row = (int16_t)i;
        }
    }
}

void moat__catalog_rows_of(const char *name, size_t n, const char *type,
                           size_t tn, caller_rows *out)
{
    out->n[0] = out->n[1] = 0;
    out->dated[0] = out->dated[1] = 0;
    for (size_t i = 0; n && i < moat__catalog_size; i++) {
        const catalog_row *c = &moat__catalog_rows[i];
        unsigned t = c->target - 1u;
        if (out->n[t] < MOAT_TRUST_MAX &&
            row_names(&moat__catalog_entries[i], name, n)) {
            out->row[t][out->n[t]++] = (uint16_t)i;
            out->dated[t] |= c->since != INT64_MIN || c->until != INT64_MAX;
        }
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
