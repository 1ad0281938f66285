/*
** manage_view.h - resources as az prints them (manage_view.c).
*/
#ifndef MOAT_MANAGE_VIEW_H
#define MOAT_MANAGE_VIEW_H

#include "jmespath.h"

#include <stddef.h>

/* Members collected for a new object, in order; failed once memory ran
** out. */
typedef struct mg_members {
    const char **keys;
    size_t *lens;
    const jp_value **vals;
    size_t n, cap;
    int failed;
} mg_members;

/* Adds key (len bytes, not copied) = v; a NULL v is left out. */
void mg_members_add(mg_members *o, const char *key, size_t len,
                    const jp_value *v);
/* The members as an object, with fallback for the lookups it cannot
** answer when given (jp_new_object_fallback); the collection is freed.
** NULL when out of memory. */
const jp_value *mg_members_done(jp_arena *a, mg_members *o,
                                const jp_value *fallback);

/* mg_print's type for `storage account network-rule list`: the firewall's
** rule lists in azure-mgmt-storage's names. */
#define MG_SHAPE_STORAGE_RULES "storage-network-rules"

/* v with resourceGroup added to every object whose id names one, as
** azure-cli adds it. NULL when out of memory. */
const jp_value *mg_with_groups(jp_arena *a, const jp_value *v);

/* A storage account res as az shows it: properties flattened, the
** firewall fw (the file's, with Azure's defaults when wanted) as
** networkRuleSet in the SDK's names; lookups it lacks go to arm_view. */
const jp_value *mg_storage_view(jp_arena *a, const jp_value *res,
                                const jp_value *fw, const jp_value *arm_view);

/* A storage firewall's rule lists in the SDK's names (ipAddressOrRange,
** virtualNetworkResourceId), the ARM names answering lookups. */
const jp_value *mg_storage_rules_view(jp_arena *a, const jp_value *fw);

#endif
