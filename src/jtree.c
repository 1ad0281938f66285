/*
** jtree.c - building JSON trees for the readers: the ARM resources a
** Terraform plan's resources become (read_terraform.c) and a template's
** resources with their parameters substituted (read_template.c), in the
** loader's arena, each value keeping the position it came from so that
** diagnostics point into the file read.
*/
#include "load.h"

#include <string.h>

json_value *moat__jt_new(moat_loader *ld, json_type type, uint32_t pos)
{
    json_value *v = moat__arena_zalloc(&ld->arena, sizeof *v);
    if (v == NULL) {
        moat__oom(ld);
        return NULL;
    }
    v->type = type;
    v->pos = pos;
    return v;
}

json_value *moat__jt_str(moat_loader *ld, const char *s, uint32_t pos)
{
    json_value *v = moat__jt_new(ld, JSON_STRING, pos);
    if (v) {
        v->str = s ? s : "";
        v->len = (uint32_t)strlen(v->str);
    }
    return v;
}

json_value *moat__jt_clone(moat_loader *ld, const json_value *src)
{
    json_value *v = moat__jt_new(ld, src->type, src->pos);
    if (v) {
        v->str = src->str;
        v->len = src->len;
        v->child = src->child;
        v->end = src->end;
    }
    return v;
}

void moat__jt_put(json_value *obj, const char *key, json_value *v)
{
    if (obj == NULL || v == NULL)
        return;
    v->key = key;
    v->key_len = (uint32_t)strlen(key);
    v->next = NULL;
    json_value **tail = &obj->child;
    while (*tail)
        tail = &(*tail)->next;
    *tail = v;
    obj->len++;
}

void moat__jt_push(json_value *arr, json_value *v)
{
    if (arr == NULL || v == NULL)
        return;
    v->key = NULL;
    v->next = NULL;
    json_value **tail = &arr->child;
    while (*tail)
        tail = &(*tail)->next;
    *tail = v;
    arr->len++;
}
