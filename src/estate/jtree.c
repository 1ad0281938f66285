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

/*--------------------------------------------------------------------------
** Unknowns in a built resource (a template's expressions, a Terraform
** value known after apply).
*/
json_value *moat__jt_unknown_props(moat_loader *ld, uint32_t pos,
                                   const char *why)
{
    static const char *const keys[] = {"publicNetworkAccess", "networkAcls",
                                       "privateEndpointConnections",
                                       "tenantId"};
    json_value *p = moat__jt_new(ld, JSON_OBJECT, pos);
    for (size_t i = 0; p && i < MOAT_ARRAY_LEN(keys); i++)
        moat__jt_put(p, keys[i], moat__jt_str(ld, why, pos));
    return p;
}

/* Whether a private endpoint's connection with these group ids may reach
** a storage account or a vault: yes unless every group id is literal and
** none of theirs ("sqlServer", "amlworkspace"). */
static int storage_group(const json_value *groups)
{
    static const char *const ids[] = {
        "blob",  "blob_secondary",  "file",  "file_secondary",
        "queue", "queue_secondary", "table", "table_secondary",
        "web",   "web_secondary",   "dfs",   "dfs_secondary",
        "vault"};
    if (groups == NULL || groups->type != JSON_ARRAY)
        return 1; /* unknown */
    for (const json_value *g = groups->child; g; g = g->next) {
        if (g->type != JSON_STRING || moat__is_expression(g))
            return 1;
        for (size_t i = 0; i < MOAT_ARRAY_LEN(ids); i++) {
            if (moat__eq_ci_z(g->str, ids[i]))
                return 1;
        }
    }
    return 0;
}

/* A private endpoint whose target moat cannot name (an expression, a value
** known after apply, connections that are one) may reach any account:
** incomplete. Connection lists that are one value are dropped (said). */
static void check_endpoint(rctx *c, json_value *res, json_value *props)
{
    static const char *const lists[] = {"privateLinkServiceConnections",
                                        "manualPrivateLinkServiceConnections"};
    const char *why = NULL;
    if (props && props->type == JSON_STRING)
        why = "its properties are unknown";
    for (size_t l = 0; !why && props && l < MOAT_ARRAY_LEN(lists); l++) {
        const json_value *list = moat__json_get(props, lists[l]);
        if (moat__is_expression(list))
            why = "its connections are unknown";
        for (const json_value *e =
                 list && list->type == JSON_ARRAY ? list->child : NULL;
             e && !why; e = e->next) {
            const json_value *p = moat__json_get(e, "properties");
            const json_value *target =
                moat__json_get(p ? p : e, "privateLinkServiceId");
            if (moat__is_expression(target) &&
                storage_group(moat__json_get(p ? p : e, "groupIds")))
                why = moat__arena_printf(
                    &c->ld->arena, "its target is %s, which moat cannot name",
                    target->str);
        }
    }
    if (why)
        moat__incomplete(
            c, res, "a private endpoint",
            "%s: if it reaches one of the estate's accounts or vaults, that one's private endpoint connections are understated",
            why);
    for (json_value **at = props && props->type == JSON_OBJECT ? &props->child
                                                               : NULL;
         at && *at;) {
        if ((*at)->type == JSON_STRING &&
            strstr((*at)->key, "rivateLinkServiceConnections")) {
            *at = (*at)->next;
            props->len--;
        } else {
            at = &(*at)->next;
        }
    }
}

int moat__jt_settle(rctx *c, json_value *res, tpl_kind kind)
{
    json_value **at = &res->child;
    while (*at && !moat__eq_ci_z((*at)->key, "properties"))
        at = &(*at)->next;
    json_value *props = *at;
    if (kind == TK_PRIVATE_ENDPOINT)
        check_endpoint(c, res, props);
    if (props == NULL || props->type == JSON_OBJECT)
        return 1;
    if (kind == TK_PRIVATE_ENDPOINT)
        return 0;
    if (kind == TK_ACCOUNT) {
        json_value *u = moat__jt_unknown_props(c->ld, props->pos, props->str);
        if (u == NULL)
            return 0;
        u->key = props->key;
        u->key_len = props->key_len;
        u->key_pos = props->key_pos;
        u->next = props->next;
        *at = u;
        return 1;
    }
    const json_value *ty = moat__json_get(res, "type");
    const char *type = ty && ty->type == JSON_STRING ? ty->str : "";
    if (kind == TK_DEP) {
        moat__incomplete(c, props, type,
                         "its properties are unknown (%s), so the dependency edges it declares (customer-managed keys, logs, app settings) are unknown",
                         props->str);
        return 0;
    }
    if (moat__eq_ci_z(type, "Microsoft.Network/networkSecurityPerimeters") ||
        moat__eq_ci_z(type,
                      "Microsoft.Network/networkSecurityPerimeters/profiles")) {
        props->type = JSON_OBJECT; /* nothing there moat needs */
        props->child = NULL;
        props->len = 0;
        return 1;
    }
    if (kind == TK_VNET || strstr(type, "/subnets") ||
        strstr(type, "ManagedIdentity") || strstr(type, "subscriptions"))
        moat__diag(c, MOAT_SEV_WARNING, MOAT_E_INVAL, props,
                   "the properties are unknown (%s): not read", props->str);
    else
        moat__incomplete(
            c, props, type,
            "its properties are unknown (%s), so what it admits or joins is unknown",
            props->str);
    return 0;
}
