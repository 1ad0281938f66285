/*
** servicetags.c - Azure's service-tag file, and the prefixes of the tags a
** perimeter profile's inbound rules name.
**
** decision.md section 4: a perimeter inbound rule's serviceTags admit a key
** vault's caller on the public path whose address is in one of the tags'
** prefixes, as Azure's published file (ServiceTags_Public_<date>.json,
** "Azure IP Ranges and Service Tags") lists them; Storage does not support
** them ("Azure Storage currently doesn't support service tags as inbound
** access rules", Configure service tag access in Network Security
** Perimeter). The file is read whole, its tags indexed by name; a tag's
** prefixes are parsed only when a rule names it, at compile time.
*/
#include "load.h"

#include <string.h>

/* One element of values[]: its name and properties.addressPrefixes. */
static int read_tag(moat_loader *ld, const src_file *f, const json_value *v,
                    size_t i)
{
    const json_value *name = moat__json_get(v, "name");
    const json_value *props = moat__json_get(v, "properties");
    const json_value *list = moat__json_get(props, "addressPrefixes");
    if (v->type != JSON_OBJECT || name == NULL || name->type != JSON_STRING ||
        props == NULL || props->type != JSON_OBJECT ||
        (list && list->type != JSON_ARRAY && list->type != JSON_NULL)) {
        src_loc at = {f, v->pos, "", ""};
        moat__diag_at(
            ld, &at, MOAT_SEV_ERROR, MOAT_E_INVAL,
            "values[%zu] is not a service tag: expected {\"name\": ..., \"properties\": {\"addressPrefixes\": [...]}}",
            i);
        return -1;
    }
    raw_tag *t = moat__arena_zalloc(&ld->arena, sizeof *t);
    if (t == NULL) {
        moat__oom(ld);
        return -1;
    }
    t->name = name->str;
    t->prefixes = list && list->type == JSON_ARRAY ? list : NULL;
    t->file = f;
    t->index = i;
    if (ld->tags_tail == NULL)
        ld->tags_tail = &ld->tags;
    APPEND(ld, tags, t);
    return 0;
}

moat_status moat_loader_add_service_tags_json(moat_loader *ld,
                                              const char *name,
                                              const char *json, size_t len)
{
    if (ld == NULL || (json == NULL && len))
        return MOAT_E_INVAL;
    src_file *f;
    moat_status rc;
    json_value *doc = moat__load_text(ld, name, json ? json : "", len, &f, &rc);
    if (doc == NULL)
        return rc;
    const json_value *values = moat__json_get(doc, "values");
    if (doc->type != JSON_OBJECT || values == NULL ||
        values->type != JSON_ARRAY) {
        src_loc at = {f, doc->pos, "", ""};
        moat__diag_at(
            ld, &at, MOAT_SEV_ERROR, MOAT_E_INVAL,
            "not a service-tag file: expected {\"values\": [...]}, as in Azure's ServiceTags_Public_<date>.json");
        return MOAT_E_INVAL;
    }
    size_t i = 0, bad = 0;
    for (const json_value *v = values->child; v; v = v->next, i++)
        bad += read_tag(ld, f, v, i) != 0;
    ld->n_tag_files++;
    if (ld->oom)
        return MOAT_E_NOMEM;
    return bad ? MOAT_E_INVAL : MOAT_OK;
}

moat_status moat_loader_add_service_tags(moat_loader *ld, const char *path)
{
    if (ld == NULL || path == NULL || path[0] == '\0')
        return MOAT_E_INVAL;
    return moat__add_file(ld, path, moat_loader_add_service_tags_json);
}

/*--------------------------------------------------------------------------
** Compiling: each profile's tag prefixes, by the lowest rule naming them.
*/
int moat__tags_index(moat_loader *ld, moat_index *out)
{
    moat__index_init(out);
    for (raw_tag *t = ld->tags; t; t = t->next) {
        void *prev = NULL;
        int rc = moat__index_put(out, t->name, strlen(t->name), t, &prev);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            src_loc at = {t->file, t->prefixes ? t->prefixes->pos : 0, "",
                          ""};
            moat__diag_at(
                ld, &at, MOAT_SEV_WARNING, MOAT_E_INVAL,
                "service tag %s is defined again (values[%zu]); the first definition is used",
                t->name, t->index);
        }
    }
    return 0;
}

/* Adds the prefixes of tag `name` for rule `rule` to b; a tag the files do
** not hold admits nothing, and says so. */
void moat__tags_add(moat_loader *ld, const moat_index *tags, const char *name,
                    uint16_t rule, const src_loc *rule_loc,
                    moat_prefix_builder *b)
{
    const raw_tag *t = moat__index_get(tags, name, strlen(name));
    if (t == NULL) {
        moat__diag_at(
            ld, rule_loc, MOAT_SEV_WARNING, MOAT_E_NOTFOUND,
            "service tag %s is not in the service-tag file: the rule admits nothing through it",
            name);
        return;
    }
    size_t k = 0;
    for (const json_value *p = t->prefixes ? t->prefixes->child : NULL; p;
         p = p->next, k++) {
        moat_cidr c;
        if (p->type == JSON_STRING && moat__cidr_parse(p->str, p->len, &c) == 0) {
            moat__prefix_builder_add(b, &c, rule);
            continue;
        }
        src_loc at = {t->file, p->pos, "", ""};
        moat__diag_at(
            ld, &at, MOAT_SEV_WARNING, MOAT_E_INVAL,
            "service tag %s: addressPrefixes[%zu] is not an address range; ignored",
            t->name, k);
    }
}
