/*
** catalog.c - which first-party services count as "trusted".
**
** The table itself is data (data/trusted-services.tsv, from seeds 000 and
** 004) compiled into the binary by scripts/gen-catalog.sh. Matching follows
** decision.md section 7: an entry that is a bare namespace
** ("Microsoft.Sql", every tenant-registered entry, every Key Vault entry)
** matches any resource type in that namespace; a typed entry
** ("Microsoft.DataFactory/factories") needs exactly that type.
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

static int entry_targets(const moat_service *e, moat_catalog_target t)
{
    if (t == MOAT_TARGET_STORAGE)
        return strcmp(e->target, "storage") == 0;
    return strcmp(e->target, "keyvault") == 0;
}

int moat__catalog_match(moat_catalog_target target, const char *type, size_t n)
{
    const char *slash = memchr(type, '/', n);
    size_t ns_len = slash ? (size_t)(slash - type) : n;
    for (size_t i = 0; i < moat__catalog_size; i++) {
        const moat_service *e = &moat__catalog_entries[i];
        if (!entry_targets(e, target))
            continue;
        size_t mlen = strlen(e->match);
        if (memchr(e->match, '/', mlen) != NULL) {
            if (moat__eq_ci(e->match, mlen, type, n))
                return (int)i;
        } else if (moat__eq_ci(e->match, mlen, type, ns_len)) {
            return (int)i;
        }
    }
    return -1;
}
