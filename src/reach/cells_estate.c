/*
** cells_estate.c - what `moat reach` and `moat diff` ask of whole estates:
** the resources in order, and which resources of two estates decide every
** request alike by construction, so that a diff of large estates runs
** the cells only where something changed. The test is conservative: any
** difference it cannot rule out counts as a change, and the cells (exact)
** then say whether a decision moved.
*/
#include "cells_api.h"

#include <stdlib.h>
#include <string.h>

MOAT_API size_t moat_estate_resource_count(const moat_estate *es)
{
    return es ? es->n_resources : 0;
}

MOAT_API const char *moat_estate_resource_id(const moat_estate *es, size_t i,
                                             const char **file, unsigned *line,
                                             const char **address)
{
    if (es == NULL || i >= es->n_resources)
        return NULL;
    const resource *r = &es->resources[i];
    if (file)
        *file = r->file;
    if (line)
        *line = r->line;
    if (address)
        *address = r->address;
    return r->id;
}

MOAT_API int moat_estate_has_resource(const moat_estate *es, const char *id)
{
    return es && id && moat__index_get(&es->by_id, id, strlen(id)) != NULL;
}

static int text_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a && b && moat__eq_ci_z(a, b));
}

static int cidrs_eq(const ip_rule *a, const ip_rule *b, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++) {
        if (a[i].cidr.prefix != b[i].cidr.prefix ||
            a[i].cidr.addr.family != b[i].cidr.addr.family ||
            moat__u128_cmp(a[i].cidr.addr.v, b[i].cidr.addr.v) != 0)
            return 0;
    }
    return 1;
}

static int lists_eq(const resource *a, const resource *b)
{
    if (a->n_ip4 != b->n_ip4 || a->n_ip6 != b->n_ip6 ||
        a->n_vnets != b->n_vnets || a->n_rars != b->n_rars ||
        a->n_pes != b->n_pes || !cidrs_eq(a->ip4, b->ip4, a->n_ip4) ||
        !cidrs_eq(a->ip6, b->ip6, a->n_ip6))
        return 0;
    for (uint16_t i = 0; i < a->n_vnets; i++) {
        if (!text_eq(a->vnets[i].id, b->vnets[i].id) ||
            a->vnets[i].state != b->vnets[i].state)
            return 0;
    }
    for (uint16_t i = 0; i < a->n_rars; i++) {
        if (!text_eq(a->rars[i].tenant_text, b->rars[i].tenant_text) ||
            !text_eq(a->rars[i].resource_id, b->rars[i].resource_id))
            return 0;
    }
    for (uint16_t i = 0; i < a->n_pes; i++) {
        if (!text_eq(a->pes[i].pe_id, b->pes[i].pe_id) ||
            a->pes[i].status != b->pes[i].status)
            return 0;
    }
    return 1;
}

static int strings_eq(const char *const *a, const char *const *b, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++) {
        if (!text_eq(a[i], b[i]))
            return 0;
    }
    return 1;
}

static int profile_eq(const profile *a, const profile *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->n_rules != b->n_rules)
        return 0;
    for (uint16_t i = 0; i < a->n_rules; i++) {
        const access_rule *x = &a->rules[i], *y = &b->rules[i];
        if (x->inbound != y->inbound || x->n_prefixes != y->n_prefixes ||
            x->n_subscriptions != y->n_subscriptions ||
            x->n_service_tags != y->n_service_tags ||
            !strings_eq(x->prefixes, y->prefixes, x->n_prefixes) ||
            !strings_eq(x->subscriptions, y->subscriptions,
                        x->n_subscriptions) ||
            !strings_eq(x->service_tags, y->service_tags, x->n_service_tags))
            return 0;
    }
    return 1;
}

static const char *guid_of(const moat_estate *es, uint32_t id)
{
    return id < MOAT_ID_OTHER ? es->ids.keys[id] : NULL;
}

static int assoc_eq(const moat_estate *ea, const assoc *a,
                    const moat_estate *eb, const assoc *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->mode != b->mode || a->n_joins != b->n_joins ||
        (a->perimeter == NULL) != (b->perimeter == NULL) ||
        (a->perimeter && !text_eq(guid_of(ea, a->perimeter->guid),
                                  guid_of(eb, b->perimeter->guid))) ||
        !profile_eq(a->profile, b->profile) ||
        (a->profile && ea->has_service_tags != eb->has_service_tags))
        return 0;
    for (uint16_t i = 0; i < a->n_joins; i++) {
        if (!text_eq(guid_of(ea, a->joins[i].guid),
                     guid_of(eb, b->joins[i].guid)) ||
            a->joins[i].link != b->joins[i].link)
            return 0;
    }
    return 1;
}

/* Subnets whose service endpoints differ between the estates (or that
** only one holds): the only ones whose reach may differ. */
struct moat_estate_changes {
    const moat_estate *a, *b;
    const char **subnets;
    size_t n;
};

static int subnet_eq(const subnet_info *x, const subnet_info *y,
                     const moat_estate *ea, const moat_estate *eb)
{
    if (x == NULL || y == NULL)
        return x == y;
    if (x->se_storage != y->se_storage ||
        x->se_storage_any != y->se_storage_any ||
        x->se_storage_global != y->se_storage_global ||
        x->se_keyvault != y->se_keyvault ||
        x->n_storage_locations != y->n_storage_locations)
        return 0;
    const char *ra = x->vnet_region < MOAT_ID_OTHER
                         ? ea->regions.keys[x->vnet_region]
                         : NULL;
    const char *rb = y->vnet_region < MOAT_ID_OTHER
                         ? eb->regions.keys[y->vnet_region]
                         : NULL;
    if (!text_eq(ra, rb))
        return 0;
    for (uint16_t i = 0; i < x->n_storage_locations; i++) {
        if (!text_eq(ea->regions.keys[x->storage_locations[i]],
                     eb->regions.keys[y->storage_locations[i]]))
            return 0;
    }
    return 1;
}

static void changed_in(moat_estate_changes *c, const moat_estate *from,
                       const moat_estate *to, size_t *cap)
{
    for (size_t i = 0; i < from->n_subnets && c->subnets; i++) {
        const subnet_info *x = &from->subnets[i];
        const subnet_info *y =
            moat__index_get(&to->subnet_by_id, x->id, strlen(x->id));
        if (from == c->a ? subnet_eq(x, y, from, to) : y != NULL)
            continue;
        if (c->n == *cap) {
            *cap = *cap ? 2 * *cap : 16;
            const char **v = realloc(c->subnets, *cap * sizeof *v);
            if (v == NULL) {
                free(c->subnets);
                c->subnets = NULL;
                return;
            }
            c->subnets = v;
        }
        c->subnets[c->n++] = x->id;
    }
}

MOAT_API moat_estate_changes *moat_estate_changes_new(const moat_estate *a,
                                                      const moat_estate *b)
{
    moat_estate_changes *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    size_t cap = 16;
    c->a = a;
    c->b = b;
    c->subnets = malloc(cap * sizeof *c->subnets);
    changed_in(c, a, b, &cap);
    changed_in(c, b, a, &cap);
    if (c->subnets == NULL) {
        free(c);
        return NULL;
    }
    return c;
}

MOAT_API void moat_estate_changes_free(moat_estate_changes *c)
{
    if (c) {
        free(c->subnets);
        free(c);
    }
}

static int reach_eq(const moat_estate_changes *c, const resource *ra,
                    const resource *rb)
{
    for (size_t i = 0; i < c->n; i++) {
        const char *id = c->subnets[i];
        size_t n = strlen(id);
        if (moat__subnet_reaches(moat__index_get(&c->a->subnet_by_id, id, n),
                                 ra) !=
            moat__subnet_reaches(moat__index_get(&c->b->subnet_by_id, id, n),
                                 rb))
            return 0;
    }
    return 1;
}

MOAT_API int moat_estate_resource_unchanged(const moat_estate_changes *c,
                                            const char *id)
{
    moat_status st;
    const resource *a = moat__estate_find(c->a, id, strlen(id), &st);
    const resource *b = moat__estate_find(c->b, id, strlen(id), &st);
    if (a == NULL || b == NULL)
        return 0;
    return a->kind == b->kind && a->pna == b->pna &&
           a->default_allow == b->default_allow && a->bypass == b->bypass &&
           a->acl_basis == b->acl_basis && text_eq(a->location, b->location) &&
           (a->tenant == MOAT_ID_NONE) == (b->tenant == MOAT_ID_NONE) &&
           text_eq(a->tenant_text, b->tenant_text) && lists_eq(a, b) &&
           assoc_eq(c->a, a->assoc, c->b, b->assoc) && reach_eq(c, a, b);
}
