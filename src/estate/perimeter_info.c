/*
** perimeter_info.c - a resource's perimeter association as names, for
** tools that write perimeter rules (moat explain's fixes, replay's
** proposals): the perimeter, the profile and its other members.
*/
#include "moat_int.h"

#include <string.h>

moat_status moat_estate_perimeter_info(const moat_estate *es,
                                       const char *resource_id,
                                       moat_perimeter_info *out)
{
    if (es == NULL || resource_id == NULL || out == NULL)
        return MOAT_E_INVAL;
    memset(out, 0, sizeof *out);
    moat_status st = MOAT_E_NOTFOUND;
    const resource *r =
        moat__estate_find(es, resource_id, strlen(resource_id), &st);
    if (r == NULL)
        return st == MOAT_OK ? MOAT_E_NOTFOUND : st;
    const assoc *a = r->assoc;
    if (a == NULL || a->perimeter == NULL)
        return MOAT_E_NOTFOUND;
    out->perimeter_id = a->perimeter->id;
    out->perimeter_name = a->perimeter->name;
    out->perimeter_guid = a->perimeter->guid_text;
    out->association_name = a->name;
    out->mode = moat__mode_name(a->mode);
    if (a->profile) {
        out->profile_id = a->profile->id;
        out->profile_name = a->profile->name;
        for (size_t i = 0; i < es->n_resources; i++)
            out->profile_members += es->resources[i].assoc &&
                                    es->resources[i].assoc->profile ==
                                        a->profile;
    }
    return MOAT_OK;
}

const char *moat_estate_profile_member(const moat_estate *es,
                                       const char *profile_id, size_t i)
{
    if (es == NULL || profile_id == NULL)
        return NULL;
    for (size_t k = 0; k < es->n_resources; k++) {
        const assoc *a = es->resources[k].assoc;
        if (a && a->profile && a->profile->id &&
            moat__eq_ci_z(a->profile->id, profile_id) && i-- == 0)
            return es->resources[k].id;
    }
    return NULL;
}

const char *moat_estate_perimeter_by_guid(const moat_estate *es,
                                          const char *guid)
{
    if (es == NULL || guid == NULL)
        return NULL;
    for (size_t i = 0; i < es->n_perimeters; i++)
        if (es->perimeters[i].guid_text &&
            moat__eq_ci_z(es->perimeters[i].guid_text, guid))
            return es->perimeters[i].id;
    return NULL;
}
