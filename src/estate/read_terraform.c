/*
** read_terraform.c - `terraform show -json` output, of a plan or of a
** state, for the azurerm resources that decide network access.
**
** Each Terraform resource is rewritten as the ARM resource it becomes, built
** as a JSON tree whose values keep their positions in the Terraform file,
** and handed to the same readers as ARM (so validation, defaults and
** diagnostics are one implementation). A value Terraform knows only after
** apply ("after_unknown") becomes an unknown value; the decision treats it
** as the most restrictive one and the audit reports it as unknown.
**
**   azurerm_storage_account           network_rules, public_network_access
**                                     (Enabled/Disabled/SecuredByPerimeter)
**                                     or public_network_access_enabled
**   azurerm_storage_account_network_rules   composed onto its account
**   azurerm_key_vault                 network_acls, tenant_id,
**                                     public_network_access_enabled
**   azurerm_key_vault_network_acls    composed onto its vault
**   azurerm_private_endpoint          private_service_connection: a
**                                     connection whose approval is unknown
**   azurerm_network_security_perimeter, _profile, _access_rule,
**   _association                      the perimeter family
**
** References between resources (storage_account_id, resource_id, ...) are
** followed through their values when known (state) or through the plan's
** configuration references when not (plan of new resources).
*/
#include "load.h"

#include <string.h>

#define UNKNOWN_TEXT "[unknown after apply]"

typedef struct tf_res {
    const char *address; /* module.m.azurerm_x.y */
    const char *module;  /* module.m, or "" */
    const char *type;
    const char *name;
    const json_value *values;
    const json_value *unknown; /* after_unknown, or NULL */
    const json_value *config;  /* configuration expressions, or NULL */
    const json_value *node;    /* for positions */
    const char *id;
    int resolving;
    const struct tf_res *acls; /* a separate network rules resource */
} tf_res;

typedef struct tf {
    moat_loader *ld;
    const src_file *f;
    rctx c; /* for reading members: res is the resource being read */
    tf_res *res;
    size_t n, cap;
    moat_index by_address;
    moat_index ids;     /* ids built so far, to keep them unique */
    moat_index changes; /* address -> after_unknown */
    moat_index configs; /* address -> expressions */
} tf;

/*--------------------------------------------------------------------------
** Reading Terraform values.
*/

/* Members of the plan or state, read as the loader reads every member: a
** name twice, or U+0000 in a string, is an error (Terraform writes
** neither: such a file was edited by hand). */
static const json_value *get(tf *t, const json_value *obj, const char *key)
{
    return moat__member(&t->c, obj, key, NULL);
}

/* Whether after_unknown marks `key` (or any element of it) unknown. */
static int unknown_member(tf *t, const json_value *unknown, const char *key)
{
    const json_value *u = get(t, unknown, key);
    if (u == NULL)
        return 0;
    if (u->type == JSON_TRUE)
        return 1;
    if (u->type == JSON_ARRAY) {
        for (const json_value *e = u->child; e; e = e->next) {
            if (e->type == JSON_TRUE)
                return 1;
        }
    }
    return 0;
}

/* values[key] as a member for the ARM tree: a copy, an unknown marker, or
** NULL when absent. Read as a setting: under --lenient two values that
** disagree are unknown, which the ARM readers take as the most
** restrictive. */
static json_value *value(tf *t, const json_value *values,
                         const json_value *unknown, const char *key)
{
    const json_value *v = moat__setting(&t->c, values, key, NULL);
    if (unknown_member(t, unknown, key))
        return moat__jt_str(t->ld, UNKNOWN_TEXT, v ? v->pos : values->pos);
    if (moat__json_is_null(v))
        return NULL;
    return moat__jt_clone(t->ld, v);
}

static const char *known_str(tf *t, const json_value *values,
                             const json_value *unknown, const char *key)
{
    const json_value *v = get(t, values, key);
    if (unknown_member(t, unknown, key) || v == NULL ||
        v->type != JSON_STRING || v->len == 0)
        return NULL;
    return v->str;
}

/* The first element of a block list (network_rules, network_acls). */
static const json_value *block(tf *t, const json_value *values, const char *key)
{
    const json_value *v = get(t, values, key);
    if (v && v->type == JSON_ARRAY)
        return v->child;
    if (v && v->type == JSON_OBJECT)
        return v;
    return NULL;
}

static const json_value *block_unknown(tf *t, const json_value *unknown,
                                       const char *key)
{
    const json_value *u = get(t, unknown, key);
    if (u && u->type == JSON_ARRAY)
        return u->child;
    return u;
}

/*--------------------------------------------------------------------------
** Addresses, references and ids.
*/
static tf_res *find(tf *t, const char *address)
{
    return moat__index_get(&t->by_address, address, strlen(address));
}

/* "azurerm_storage_account.x.id" or "module.m.azurerm_x.y" (relative to the
** referring resource's module) to the resource it names. */
static tf_res *resolve_reference(tf *t, const tf_res *from, const char *ref)
{
    char buf[1024];
    for (int drop = 0; drop < 3; drop++) {
        const char *prefix = from->module[0] ? from->module : "";
        snprintf(buf, sizeof buf, "%s%s%s", prefix, prefix[0] ? "." : "", ref);
        /* Drop trailing ".attribute" parts one at a time. */
        for (int k = 0; k < drop; k++) {
            char *dot = strrchr(buf, '.');
            if (dot)
                *dot = '\0';
        }
        char *bracket = strchr(buf, '[');
        if (bracket)
            *bracket = '\0';
        tf_res *r = find(t, buf);
        if (r)
            return r;
    }
    return NULL;
}

static const char *resource_id(tf *t, tf_res *r);

/* The id an attribute points at: its value when known, else the resource
** the plan's configuration references. expr is the expressions object the
** attribute lives in (NULL: the resource's own). */
static const char *ref_id(tf *t, tf_res *r, const json_value *values,
                          const json_value *unknown, const json_value *expr,
                          const char *attr)
{
    const char *known = known_str(t, values, unknown, attr);
    if (known)
        return known;
    const json_value *e = get(t, expr ? expr : r->config, attr);
    const json_value *refs = get(t, e, "references");
    if (refs == NULL || refs->type != JSON_ARRAY)
        return NULL;
    for (const json_value *ref = refs->child; ref; ref = ref->next) {
        if (ref->type != JSON_STRING || !moat__element_ok(&t->c, ref))
            continue;
        tf_res *target = resolve_reference(t, r, ref->str);
        if (target)
            return resource_id(t, target);
    }
    return NULL;
}

static const char *tf_name(tf *t, const tf_res *r)
{
    const char *n = known_str(t, r->values, r->unknown, "name");
    return n ? n : r->name;
}

static const char *arm_id(tf *t, const tf_res *r, const char *provider_type)
{
    const char *rg = known_str(t, r->values, r->unknown, "resource_group_name");
    return moat__arena_printf(
        &t->ld->arena,
        "/subscriptions/unknown/resourceGroups/%s/providers/%s/%s",
        rg ? rg : "unknown", provider_type, tf_name(t, r));
}

static const char *child_id(tf *t, tf_res *r, const char *parent_attr,
                            const char *child)
{
    const char *parent = ref_id(t, r, r->values, r->unknown, NULL, parent_attr);
    return moat__arena_printf(
        &t->ld->arena, "%s/%s/%s",
        parent
            ? parent
            : "/providers/Microsoft.Network/networkSecurityPerimeters/unknown",
        child, tf_name(t, r));
}

/* azapi_resource's ARM type: "Microsoft.X/y@2024-01-01" without its API
** version; NULL when unknown. */
static const char *azapi_type(tf *t, const tf_res *r)
{
    const char *ty = known_str(t, r->values, r->unknown, "type");
    const char *at = ty ? strchr(ty, '@') : NULL;
    return at ? moat__dupn(t->ld, ty, (size_t)(at - ty)) : ty;
}

/* azapi_resource's id: parent_id (a resource group, or the parent of a
** child type) and its type and name, as ARM composes them. */
static const char *azapi_id(tf *t, tf_res *r)
{
    const char *type = azapi_type(t, r);
    const char *parent = ref_id(t, r, r->values, r->unknown, NULL, "parent_id");
    if (type == NULL)
        return NULL;
    if (parent == NULL)
        parent = "/subscriptions/unknown/resourceGroups/unknown";
    const char *last = strrchr(type, '/');
    if (last == strchr(type, '/')) /* a top-level type */
        return moat__arena_printf(&t->ld->arena, "%s/providers/%s/%s", parent,
                                  type, tf_name(t, r));
    return moat__arena_printf(&t->ld->arena, "%s/%s/%s", parent, last + 1,
                              tf_name(t, r));
}

static const char *built_id(tf *t, tf_res *r);

/* The ARM id of a resource: its own when the state knows it, else one built
** from its parent, resource group and name. */
static const char *resource_id(tf *t, tf_res *r)
{
    if (r->id)
        return r->id;
    const char *known = known_str(t, r->values, r->unknown, "id");
    if (known) {
        r->id = known;
        return known;
    }
    if (r->resolving)
        return r->address; /* a reference cycle: name it by address */
    r->resolving = 1;
    const char *id = built_id(t, r);
    /* Two resources of a plan may share a name while their resource groups
    ** are unknown: tell the built ids apart by address. */
    if (id && moat__index_get(&t->ids, id, strlen(id)))
        id = moat__arena_printf(&t->ld->arena, "%s#%s", id, r->address);
    r->id = id ? id : r->address;
    if (moat__index_put(&t->ids, r->id, strlen(r->id), r, NULL) < 0)
        moat__oom(t->ld);
    r->resolving = 0;
    return r->id;
}

/* The id a resource of a plan will have, by its type; NULL for a type
** moat does not read. */
static const char *built_id(tf *t, tf_res *r)
{
    const char *id = NULL;
    if (strcmp(r->type, "azapi_resource") == 0)
        id = azapi_id(t, r);
    else if (strcmp(r->type, "azurerm_resource_group") == 0)
        id = moat__arena_printf(&t->ld->arena,
                                "/subscriptions/unknown/resourceGroups/%s",
                                tf_name(t, r));
    else if (strcmp(r->type, "azurerm_storage_account") == 0)
        id = arm_id(t, r, "Microsoft.Storage/storageAccounts");
    else if (strcmp(r->type, "azurerm_key_vault") == 0)
        id = arm_id(t, r, "Microsoft.KeyVault/vaults");
    else if (strcmp(r->type, "azurerm_private_endpoint") == 0)
        id = arm_id(t, r, "Microsoft.Network/privateEndpoints");
    else if (strcmp(r->type, "azurerm_network_security_perimeter") == 0)
        id = arm_id(t, r, "Microsoft.Network/networkSecurityPerimeters");
    else if (strcmp(r->type, "azurerm_network_security_perimeter_profile") == 0)
        id = child_id(t, r, "network_security_perimeter_id", "profiles");
    else if (strcmp(r->type,
                    "azurerm_network_security_perimeter_access_rule") == 0)
        id = child_id(t, r, "network_security_perimeter_profile_id",
                      "accessRules");
    else if (strcmp(r->type,
                    "azurerm_network_security_perimeter_association") == 0) {
        const char *prof_id = ref_id(t, r, r->values, r->unknown, NULL,
                                     "network_security_perimeter_profile_id");
        size_t plen =
            prof_id ? moat__arm_parent_len(prof_id, strlen(prof_id), "profiles")
                    : 0;
        id = moat__arena_printf(&t->ld->arena, "%.*s/resourceAssociations/%s",
                                (int)(plen ? plen : 0), plen ? prof_id : "",
                                tf_name(t, r));
    }
    return id;
}

/*--------------------------------------------------------------------------
** The ARM trees.
*/
static json_value *resource_node(tf *t, tf_res *r, const char *arm_type)
{
    json_value *res = moat__jt_new(t->ld, JSON_OBJECT, r->node->pos);
    moat__jt_put(res, "id",
                 moat__jt_str(t->ld, resource_id(t, r), r->node->pos));
    moat__jt_put(res, "name", moat__jt_str(t->ld, tf_name(t, r), r->node->pos));
    moat__jt_put(res, "type", moat__jt_str(t->ld, arm_type, r->node->pos));
    get(t, r->values, "location"); /* which region: no reading is safe */
    json_value *loc = value(t, r->values, r->unknown, "location");
    if (loc)
        moat__jt_put(res, "location", loc);
    return res;
}

/* publicNetworkAccess from public_network_access (the newer string) or
** public_network_access_enabled (the boolean). */
static json_value *public_access(tf *t, const tf_res *r)
{
    json_value *s = value(t, r->values, r->unknown, "public_network_access");
    if (s)
        return s;
    const json_value *b =
        moat__setting(&t->c, r->values, "public_network_access_enabled", NULL);
    if (unknown_member(t, r->unknown, "public_network_access_enabled") ||
        moat__is_expression(b))
        return moat__jt_str(t->ld, UNKNOWN_TEXT, b ? b->pos : r->node->pos);
    if (b && (b->type == JSON_TRUE || b->type == JSON_FALSE))
        return moat__jt_str(
            t->ld, b->type == JSON_TRUE ? "Enabled" : "Disabled", b->pos);
    return NULL;
}

/* networkAcls from a network_rules / network_acls block, or from the
** attributes of a separate rules resource (blk is then its values). */
static json_value *acls_node(tf *t, tf_res *r, const json_value *blk,
                             const json_value *unk)
{
    json_value *acls = moat__jt_new(t->ld, JSON_OBJECT, blk->pos);
    json_value *v;
    if ((v = value(t, blk, unk, "default_action")))
        moat__jt_put(acls, "defaultAction", v);
    if ((v = value(t, blk, unk, "bypass")))
        moat__jt_put(acls, "bypass", v);
    if ((v = value(t, blk, unk, "ip_rules")))
        moat__jt_put(acls, "ipRules", v);
    if ((v = value(t, blk, unk, "virtual_network_subnet_ids")))
        moat__jt_put(acls, "virtualNetworkRules", v);
    const json_value *pla = get(t, blk, "private_link_access");
    if (unknown_member(t, unk, "private_link_access")) {
        moat__jt_put(acls, "resourceAccessRules",
                     moat__jt_str(t->ld, UNKNOWN_TEXT, blk->pos));
    } else if (pla && pla->type == JSON_ARRAY) {
        json_value *list = moat__jt_new(t->ld, JSON_ARRAY, pla->pos);
        for (const json_value *e = pla->child; e; e = e->next) {
            json_value *rule = moat__jt_new(t->ld, JSON_OBJECT, e->pos);
            json_value *tid = value(t, e, NULL, "endpoint_tenant_id");
            json_value *rid = value(t, e, NULL, "endpoint_resource_id");
            moat__jt_put(rule, "tenantId",
                         tid ? tid : moat__jt_str(t->ld, UNKNOWN_TEXT, e->pos));
            moat__jt_put(rule, "resourceId",
                         rid ? rid : moat__jt_str(t->ld, UNKNOWN_TEXT, e->pos));
            moat__jt_push(list, rule);
        }
        moat__jt_put(acls, "resourceAccessRules", list);
    }
    (void)r;
    return acls;
}

/* The firewall of an account or vault: a separate rules resource wins over
** the inline block (azurerm: use one or the other). */
static json_value *firewall(tf *t, tf_res *r, const char *block_name)
{
    if (r->acls)
        return acls_node(t, r, r->acls->values, r->acls->unknown);
    if (unknown_member(t, r->unknown, block_name))
        return moat__jt_str(t->ld, UNKNOWN_TEXT, r->node->pos);
    const json_value *blk = block(t, r->values, block_name);
    if (blk == NULL)
        return NULL;
    return acls_node(t, r, blk, block_unknown(t, r->unknown, block_name));
}

static void read_arm(tf *t, tf_res *r, json_value *res, json_value *props)
{
    rctx c;
    memset(&c, 0, sizeof c);
    c.ld = t->ld;
    c.file = t->f;
    c.res = r->address;
    c.origin = "terraform";
    c.address = r->address;
    c.pos = r->node->pos;
    size_t mark = moat__rctx_push_key(&c, props);
    const char *type = moat__json_get(res, "type")->str;
    if (strcmp(type, "Microsoft.Storage/storageAccounts") == 0)
        moat__read_account(&c, res, props, RES_STORAGE);
    else if (strcmp(type, "Microsoft.KeyVault/vaults") == 0)
        moat__read_account(&c, res, props, RES_KEYVAULT);
    else if (strcmp(type, "Microsoft.Network/privateEndpoints") == 0)
        moat__read_private_endpoint(&c, res, props);
    else if (strcmp(type, "Microsoft.Network/networkSecurityPerimeters") == 0)
        moat__read_perimeter(&c, res, props);
    else if (strcmp(type,
                    "Microsoft.Network/networkSecurityPerimeters/profiles") ==
             0)
        moat__read_profile(&c, res, props);
    else if (
        strcmp(
            type,
            "Microsoft.Network/networkSecurityPerimeters/profiles/accessRules") ==
        0)
        moat__read_access_rule(&c, res, props);
    else
        moat__read_association(&c, res, props);
    moat__rctx_pop(&c, mark);
    t->ld->n_read++;
}

static json_value *props_node(tf *t, json_value *res)
{
    json_value *props = moat__jt_new(t->ld, JSON_OBJECT, res->pos);
    moat__jt_put(res, "properties", props);
    return props;
}

static void tf_storage_account(tf *t, tf_res *r)
{
    json_value *res = resource_node(t, r, "Microsoft.Storage/storageAccounts");
    json_value *props = props_node(t, res);
    moat__jt_put(props, "publicNetworkAccess", public_access(t, r));
    moat__jt_put(props, "networkAcls", firewall(t, r, "network_rules"));
    read_arm(t, r, res, props);
}

static void tf_key_vault(tf *t, tf_res *r)
{
    json_value *res = resource_node(t, r, "Microsoft.KeyVault/vaults");
    json_value *props = props_node(t, res);
    moat__jt_put(props, "tenantId",
                 value(t, r->values, r->unknown, "tenant_id"));
    moat__jt_put(props, "publicNetworkAccess", public_access(t, r));
    moat__jt_put(props, "networkAcls", firewall(t, r, "network_acls"));
    read_arm(t, r, res, props);
}

/* A private endpoint names what it reaches; whether Azure approved the
** connection is not in Terraform, so the status is unknown. */
static void tf_private_endpoint(tf *t, tf_res *r)
{
    json_value *res = resource_node(t, r, "Microsoft.Network/privateEndpoints");
    json_value *props = props_node(t, res);
    const json_value *list = get(t, r->values, "private_service_connection");
    const json_value *exprs = get(t, r->config, "private_service_connection");
    json_value *auto_list = moat__jt_new(t->ld, JSON_ARRAY, r->node->pos);
    json_value *manual_list = moat__jt_new(t->ld, JSON_ARRAY, r->node->pos);
    const json_value *cfg =
        exprs && exprs->type == JSON_ARRAY ? exprs->child : NULL;
    for (const json_value *e = list && list->type == JSON_ARRAY ? list->child
                                                                : NULL;
         e; e = e->next, cfg = cfg ? cfg->next : NULL) {
        const char *target =
            ref_id(t, r, e, NULL, cfg, "private_connection_resource_id");
        if (target == NULL)
            continue;
        json_value *conn = moat__jt_new(t->ld, JSON_OBJECT, e->pos);
        json_value *cp = moat__jt_new(t->ld, JSON_OBJECT, e->pos);
        json_value *state = moat__jt_new(t->ld, JSON_OBJECT, e->pos);
        moat__jt_put(state, "status",
                     moat__jt_str(t->ld, UNKNOWN_TEXT, e->pos));
        moat__jt_put(cp, "privateLinkServiceId",
                     moat__jt_str(t->ld, target, e->pos));
        moat__jt_put(cp, "privateLinkServiceConnectionState", state);
        moat__jt_put(conn, "properties", cp);
        const json_value *manual = get(t, e, "is_manual_connection");
        moat__jt_push(manual && manual->type == JSON_TRUE ? manual_list
                                                          : auto_list,
                      conn);
    }
    moat__jt_put(props, "privateLinkServiceConnections", auto_list);
    moat__jt_put(props, "manualPrivateLinkServiceConnections", manual_list);
    read_arm(t, r, res, props);
}

static void tf_perimeter(tf *t, tf_res *r)
{
    json_value *res =
        resource_node(t, r, "Microsoft.Network/networkSecurityPerimeters");
    json_value *props = props_node(t, res);
    moat__jt_put(props, "perimeterGuid",
                 value(t, r->values, r->unknown, "perimeter_guid"));
    read_arm(t, r, res, props);
}

static void tf_profile(tf *t, tf_res *r)
{
    json_value *res = resource_node(
        t, r, "Microsoft.Network/networkSecurityPerimeters/profiles");
    read_arm(t, r, res, props_node(t, res));
}

static void subscriptions_node(tf *t, json_value *props, const tf_res *r)
{
    const json_value *subs = get(t, r->values, "subscription_ids");
    if (unknown_member(t, r->unknown, "subscription_ids")) {
        moat__jt_put(props, "subscriptions",
                     moat__jt_str(t->ld, UNKNOWN_TEXT, r->node->pos));
        return;
    }
    if (subs == NULL || subs->type != JSON_ARRAY)
        return;
    json_value *list = moat__jt_new(t->ld, JSON_ARRAY, subs->pos);
    for (const json_value *e = subs->child; e; e = e->next) {
        json_value *o = moat__jt_new(t->ld, JSON_OBJECT, e->pos);
        moat__jt_put(o, "id", moat__jt_clone(t->ld, e));
        moat__jt_push(list, o);
    }
    moat__jt_put(props, "subscriptions", list);
}

static void tf_access_rule(tf *t, tf_res *r)
{
    json_value *res = resource_node(
        t, r,
        "Microsoft.Network/networkSecurityPerimeters/profiles/accessRules");
    json_value *props = props_node(t, res);
    moat__jt_put(props, "direction",
                 value(t, r->values, r->unknown, "direction"));
    moat__jt_put(props, "addressPrefixes",
                 value(t, r->values, r->unknown, "address_prefixes"));
    subscriptions_node(t, props, r);
    moat__jt_put(props, "serviceTags",
                 value(t, r->values, r->unknown, "service_tags"));
    moat__jt_put(props, "fullyQualifiedDomainNames",
                 value(t, r->values, r->unknown, "fqdns"));
    read_arm(t, r, res, props);
}

static void tf_association(tf *t, tf_res *r)
{
    json_value *res = resource_node(
        t, r,
        "Microsoft.Network/networkSecurityPerimeters/resourceAssociations");
    json_value *props = props_node(t, res);
    json_value *plr = moat__jt_new(t->ld, JSON_OBJECT, r->node->pos);
    json_value *prof = moat__jt_new(t->ld, JSON_OBJECT, r->node->pos);
    const char *target =
        ref_id(t, r, r->values, r->unknown, NULL, "resource_id");
    const char *profile_id = ref_id(t, r, r->values, r->unknown, NULL,
                                    "network_security_perimeter_profile_id");
    moat__jt_put(
        plr, "id",
        moat__jt_str(t->ld, target ? target : UNKNOWN_TEXT, r->node->pos));
    moat__jt_put(prof, "id",
                 moat__jt_str(t->ld, profile_id ? profile_id : UNKNOWN_TEXT,
                              r->node->pos));
    moat__jt_put(props, "privateLinkResource", plr);
    moat__jt_put(props, "profile", prof);
    moat__jt_put(props, "accessMode",
                 value(t, r->values, r->unknown, "access_mode"));
    read_arm(t, r, res, props);
}

/*--------------------------------------------------------------------------
** azapi_resource: the ARM resource itself, as type, name, parent_id and
** body (registry.terraform.io/providers/Azure/azapi/latest/docs/
** resources/resource): perimeters and resource instance rules are often
** deployed so, ahead of azurerm.
*/

/* v with what after_unknown u marks (true, or true inside) replaced by, or
** added as, unknown values; NULL when out of memory. */
static json_value *marked(tf *t, const json_value *v, const json_value *u)
{
    if (u && u->type == JSON_TRUE)
        return moat__jt_str(t->ld, UNKNOWN_TEXT, v->pos);
    json_value *r = moat__jt_clone(t->ld, v);
    if (r == NULL || (v->type != JSON_OBJECT && v->type != JSON_ARRAY))
        return r;
    r->child = NULL;
    r->len = 0;
    const json_value *uc =
        u && u->type == JSON_ARRAY && v->type == JSON_ARRAY ? u->child : NULL;
    for (const json_value *m = v->child; m; m = m->next) {
        const json_value *um =
            v->type == JSON_OBJECT && m->key ? moat__json_get(u, m->key) : uc;
        json_value *x = marked(t, m, um);
        if (x == NULL)
            return NULL;
        if (v->type == JSON_OBJECT) {
            moat__jt_put(r, m->key, x);
            x->key_len = m->key_len;
            x->key_pos = m->key_pos;
        } else {
            moat__jt_push(r, x);
        }
        uc = uc ? uc->next : NULL;
    }
    /* Terraform leaves what is known only after apply out of "after". */
    for (const json_value *m = v->type == JSON_OBJECT && u ? u->child : NULL; m;
         m = m->next) {
        if (m->type == JSON_TRUE && m->key && !moat__json_get(v, m->key))
            moat__jt_put(r, m->key, moat__jt_str(t->ld, UNKNOWN_TEXT, v->pos));
    }
    return r;
}

static void place(json_value *v, uint32_t pos)
{
    for (; v; v = v->next) {
        v->pos = v->key_pos = pos;
        place(v->child, pos);
    }
}

/* The body: an object (azapi 2), or a JSON string (azapi 1, parsed; its
** positions are the attribute's); an unknown value when known only after
** apply; NULL when absent or not JSON (after an error). */
static json_value *azapi_body(tf *t, tf_res *r)
{
    const json_value *b = get(t, r->values, "body");
    const json_value *u = get(t, r->unknown, "body");
    if (u && u->type == JSON_TRUE)
        return moat__jt_str(t->ld, UNKNOWN_TEXT, b ? b->pos : r->node->pos);
    if (moat__json_is_null(b) || b->type != JSON_STRING)
        return moat__json_is_null(b) ? NULL : marked(t, b, u);
    json_error err = {0, NULL};
    json_value *doc = moat__json_parse(&t->ld->arena, b->str, b->len, &err);
    if (doc == NULL)
        moat__diag(&t->c, MOAT_SEV_ERROR, MOAT_E_INVAL, b,
                   "body is not JSON (%s at byte %zu)", err.msg, err.pos + 1);
    else
        place(doc, b->pos);
    return doc;
}

/* Whether o is a perimeter profile (want_profile 1) or a storage account
** or vault (0), as azurerm or azapi declares it. */
static int is_kind(tf *t, tf_res *o, int want_profile)
{
    const char *type =
        strcmp(o->type, "azapi_resource") == 0 ? azapi_type(t, o) : NULL;
    if (want_profile)
        return strcmp(o->type, "azurerm_network_security_perimeter_profile") ==
                   0 ||
               (type &&
                moat__eq_ci_z(
                    type,
                    "Microsoft.Network/networkSecurityPerimeters/profiles"));
    return strcmp(o->type, "azurerm_storage_account") == 0 ||
           strcmp(o->type, "azurerm_key_vault") == 0 ||
           (type && moat__tpl_kind(type, strlen(type)) == TK_ACCOUNT);
}

/* In a plan a body's ids are known only after apply; the configuration
** lists what the body references. The one account or vault (want_profile
** 0), or the one perimeter profile (1), it references; NULL when none or
** several (then the association stays unknown, and incomplete). */
static const char *body_reference(tf *t, tf_res *r, int want_profile)
{
    const json_value *refs = get(t, get(t, r->config, "body"), "references");
    const char *found = NULL;
    for (const json_value *ref = refs && refs->type == JSON_ARRAY ? refs->child
                                                                  : NULL;
         ref; ref = ref->next) {
        tf_res *o = ref->type == JSON_STRING && moat__element_ok(&t->c, ref)
                        ? resolve_reference(t, r, ref->str)
                        : NULL;
        const char *id =
            o && is_kind(t, o, want_profile) ? resource_id(t, o) : NULL;
        if (id && found && !moat__eq_ci_z(found, id))
            return NULL;
        if (id)
            found = id;
    }
    return found;
}

/* An association's resource and profile ids unknown after apply: the ones
** its body references, when that says. */
static void association_refs(tf *t, tf_res *r, json_value *props)
{
    static const char *const keys[] = {"privateLinkResource", "profile"};
    for (int k = 0; props && props->type == JSON_OBJECT && k < 2; k++) {
        json_value *o = (json_value *)(uintptr_t)get(t, props, keys[k]);
        json_value *id = (json_value *)(uintptr_t)get(t, o, "id");
        const char *known =
            id && id->type == JSON_STRING && strcmp(id->str, UNKNOWN_TEXT) == 0
                ? body_reference(t, r, k)
                : NULL;
        if (known) {
            id->str = known;
            id->len = (uint32_t)strlen(known);
        }
    }
}

static void tf_azapi(tf *t, tf_res *r)
{
    const char *type = azapi_type(t, r);
    tpl_kind kind = type ? moat__tpl_kind(type, strlen(type)) : TK_OTHER;
    if (kind == TK_OTHER) {
        t->ld->n_ignored++;
        return;
    }
    json_value *res = resource_node(t, r, type);
    json_value *body = azapi_body(t, r);
    const json_value *props =
        body && body->type == JSON_OBJECT ? get(t, body, "properties") : body;
    json_value *p = props ? moat__jt_clone(t->ld, props) : NULL;
    moat__jt_put(res, "properties", p);
    if (moat__eq_ci_z(
            type,
            "Microsoft.Network/networkSecurityPerimeters/resourceAssociations"))
        association_refs(t, r, p);
    rctx c = t->c;
    c.res = r->address;
    c.pos = r->node->pos;
    if (res && !t->ld->oom && moat__jt_settle(&c, res, kind))
        moat__read_resource(t->ld, t->f, res, "terraform",
                            known_str(t, r->values, r->unknown, "id") == NULL,
                            r->address);
}

/*--------------------------------------------------------------------------
** Walking the document.
*/
static void add_resource(tf *t, const json_value *node, const char *module)
{
    t->c.res = "";
    const json_value *addr = get(t, node, "address");
    if (addr == NULL || addr->type != JSON_STRING)
        return;
    t->c.res = addr->str;
    const json_value *type = get(t, node, "type");
    const json_value *name = get(t, node, "name");
    const json_value *mode = get(t, node, "mode");
    if (type == NULL || type->type != JSON_STRING)
        return;
    if (mode && mode->type == JSON_STRING && strcmp(mode->str, "managed") != 0)
        return; /* data sources describe, they do not configure */
    const json_value *values = get(t, node, "values");
    if (values == NULL || values->type != JSON_OBJECT) {
        /* Nothing to read: reading defaults instead would open access. */
        moat__diag(
            &t->c, MOAT_SEV_ERROR, MOAT_E_INVAL, values ? values : node,
            "expected an object at \"values\" (the resource's attributes), found %s",
            values ? moat__json_type_name(values->type) : "none");
        return;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        tf_res *p = moat__arena_alloc(&t->ld->arena, cap * sizeof *p);
        if (p == NULL) {
            moat__oom(t->ld);
            return;
        }
        if (t->n)
            memcpy(p, t->res, t->n * sizeof *p);
        t->res = p;
        t->cap = cap;
    }
    tf_res *r = &t->res[t->n++];
    memset(r, 0, sizeof *r);
    r->address = addr->str;
    r->module = module;
    r->type = type->str;
    r->name = name && name->type == JSON_STRING ? name->str : addr->str;
    r->values = values;
    r->node = node;
}

static void walk_module(tf *t, const json_value *mod, const char *module)
{
    const json_value *list = get(t, mod, "resources");
    for (const json_value *r = list ? list->child : NULL; r; r = r->next)
        add_resource(t, r, module);
    const json_value *kids = get(t, mod, "child_modules");
    for (const json_value *k = kids ? kids->child : NULL; k; k = k->next) {
        const json_value *a = get(t, k, "address");
        walk_module(t, k, a && a->type == JSON_STRING ? a->str : module);
    }
}

static void walk_config(tf *t, const json_value *mod, const char *prefix)
{
    const json_value *list = get(t, mod, "resources");
    for (const json_value *r = list ? list->child : NULL; r; r = r->next) {
        const json_value *a = get(t, r, "address");
        const json_value *e = get(t, r, "expressions");
        if (a == NULL || a->type != JSON_STRING || e == NULL)
            continue;
        const char *full =
            prefix[0]
                ? moat__arena_printf(&t->ld->arena, "%s.%s", prefix, a->str)
                : a->str;
        if (full == NULL || moat__index_put(&t->configs, full, strlen(full),
                                            (void *)e, NULL) < 0)
            moat__oom(t->ld);
    }
    const json_value *calls = get(t, mod, "module_calls");
    for (const json_value *m = calls ? calls->child : NULL; m; m = m->next) {
        const char *sub =
            moat__arena_printf(&t->ld->arena, "%s%smodule.%s", prefix,
                               prefix[0] ? "." : "", m->key);
        if (sub)
            walk_config(t, get(t, m, "module"), sub);
    }
}

static void index_changes(tf *t, const json_value *doc)
{
    const json_value *list = get(t, doc, "resource_changes");
    for (const json_value *c = list ? list->child : NULL; c; c = c->next) {
        const json_value *a = get(t, c, "address");
        const json_value *u = get(t, get(t, c, "change"), "after_unknown");
        if (a && a->type == JSON_STRING && u &&
            moat__index_put(&t->changes, a->str, a->len, (void *)u, NULL) < 0)
            moat__oom(t->ld);
    }
}

int moat__is_terraform(const json_value *doc)
{
    return doc->type == JSON_OBJECT && moat__json_get(doc, "format_version") &&
           (moat__json_get(doc, "planned_values") ||
            moat__json_get(doc, "values") ||
            moat__json_get(doc, "resource_changes"));
}

/* The account or vault of type a separate rules resource configures: by
** id (storage_account_id, key_vault_id: its value, or the plan's
** reference), or in the older provider form by storage_account_name (and
** resource_group_name when both sides know theirs). NULL when it is not in
** the plan or state. */
static tf_res *rules_target(tf *t, tf_res *r, const char *type,
                            const char *id_attr, const char *name_attr)
{
    const char *id = ref_id(t, r, r->values, r->unknown, NULL, id_attr);
    const char *name =
        name_attr ? ref_id(t, r, r->values, r->unknown, NULL, name_attr) : NULL;
    const char *rg = known_str(t, r->values, r->unknown, "resource_group_name");
    for (size_t i = 0; i < t->n; i++) {
        tf_res *o = &t->res[i];
        if (strcmp(o->type, type) != 0)
            continue;
        const char *oid = resource_id(t, o);
        const char *org =
            known_str(t, o->values, o->unknown, "resource_group_name");
        if ((id && moat__eq_ci_z(oid, id)) ||
            (name && moat__eq_ci_z(oid, name)) || /* a reference */
            (name && moat__eq_ci_z(tf_name(t, o), name) &&
             (rg == NULL || org == NULL || moat__eq_ci_z(rg, org))))
            return o;
    }
    return NULL;
}

/* A separate rules resource composes onto the account or vault it names.
** One whose account is not in the plan or state configures a firewall
** moat cannot judge: the estate is incomplete (docs/audit.md). */
static void attach_rules(tf *t, tf_res *r, const char *id_attr,
                         const char *name_attr)
{
    t->c.res = r->address;
    int vault = strcmp(id_attr, "key_vault_id") == 0;
    tf_res *o = rules_target(
        t, r, vault ? "azurerm_key_vault" : "azurerm_storage_account", id_attr,
        name_attr);
    if (o) {
        o->acls = r;
        return;
    }
    const char *named = known_str(t, r->values, r->unknown, id_attr);
    if (named == NULL && name_attr)
        named = known_str(t, r->values, r->unknown, name_attr);
    moat__incomplete(
        &t->c, r->node,
        vault ? "a key vault's network ACLs"
              : "a storage account's network rules",
        "the %s it configures (%s) is not in this plan or state, so the firewall it sets is not audited",
        vault ? "key vault" : "storage account",
        named ? named : "named by a value known after apply");
}

/* azapi_update_resource changes some properties of a resource deployed
** elsewhere: of a type moat reads, what it sets is not read, and the
** estate is incomplete. */
static void partial_update(tf *t, tf_res *r)
{
    const char *type = azapi_type(t, r);
    if (type == NULL || moat__tpl_kind(type, strlen(type)) == TK_OTHER) {
        t->ld->n_ignored++;
        return;
    }
    moat__incomplete(
        &t->c, r->node, "a partial update (azapi_update_resource)",
        "it changes settings of a %s deployed elsewhere, which moat does not read",
        type);
}

/* The root module to read: a plan's planned values, a state's values, or
** with MOAT_LOAD_PLAN_PRIOR a plan's prior state (*prior set: a state, of
** known values and no configuration to resolve; a plan without one holds
** nothing before the change). */
static const json_value *root_module(tf *t, const json_value *doc, int *prior)
{
    *prior = (t->ld->flags & MOAT_LOAD_PLAN_PRIOR) &&
             moat__json_get(doc, "planned_values");
    if (*prior)
        return get(t, get(t, get(t, doc, "prior_state"), "values"),
                   "root_module");
    const json_value *root =
        get(t, get(t, doc, "planned_values"), "root_module");
    return root ? root : get(t, get(t, doc, "values"), "root_module");
}

void moat__read_terraform(moat_loader *ld, const src_file *f,
                          const json_value *doc)
{
    tf t;
    memset(&t, 0, sizeof t);
    t.ld = ld;
    t.f = f;
    moat__index_init(&t.by_address);
    moat__index_init(&t.ids);
    moat__index_init(&t.changes);
    moat__index_init(&t.configs);
    t.c.ld = ld;
    t.c.file = f;
    t.c.res = "";
    t.c.origin = "terraform";
    int prior = 0;
    walk_module(&t, root_module(&t, doc, &prior), "");
    if (!prior) {
        index_changes(&t, doc);
        walk_config(&t, get(&t, get(&t, doc, "configuration"), "root_module"),
                    "");
    }
    for (size_t i = 0; i < t.n; i++) {
        tf_res *r = &t.res[i];
        r->unknown =
            moat__index_get(&t.changes, r->address, strlen(r->address));
        r->config = moat__index_get(&t.configs, r->address, strlen(r->address));
        if (moat__index_put(&t.by_address, r->address, strlen(r->address), r,
                            NULL) < 0)
            moat__oom(ld);
    }
    for (size_t i = 0; i < t.n; i++) {
        tf_res *r = &t.res[i];
        if (strcmp(r->type, "azurerm_storage_account_network_rules") == 0)
            attach_rules(&t, r, "storage_account_id", "storage_account_name");
        else if (strcmp(r->type, "azurerm_key_vault_network_acls") == 0)
            attach_rules(&t, r, "key_vault_id", NULL);
    }
    static const struct {
        const char *type;
        void (*read)(tf *, tf_res *);
    } readers[] = {
        {"azurerm_network_security_perimeter", tf_perimeter},
        {"azurerm_network_security_perimeter_profile", tf_profile},
        {"azurerm_network_security_perimeter_access_rule", tf_access_rule},
        {"azurerm_network_security_perimeter_association", tf_association},
        {"azurerm_storage_account", tf_storage_account},
        {"azurerm_key_vault", tf_key_vault},
        {"azurerm_private_endpoint", tf_private_endpoint},
        {"azapi_resource", tf_azapi},
    };
    for (size_t i = 0; i < t.n && !ld->oom; i++) {
        tf_res *r = &t.res[i];
        size_t k = 0;
        while (k < MOAT_ARRAY_LEN(readers) &&
               strcmp(readers[k].type, r->type) != 0)
            k++;
        t.c.res = r->address;
        int deps = moat__read_tf_deps(&t, r);
        if (k < MOAT_ARRAY_LEN(readers))
            readers[k].read(&t, r);
        else if (strcmp(r->type, "azapi_update_resource") == 0)
            partial_update(&t, r);
        else if (deps)
            ld->n_read++;
        else if (strcmp(r->type, "azurerm_storage_account_network_rules") !=
                     0 &&
                 strcmp(r->type, "azurerm_key_vault_network_acls") != 0)
            ld->n_ignored++;
    }
    moat__index_free(&t.by_address);
    moat__index_free(&t.ids);
    moat__index_free(&t.changes);
    moat__index_free(&t.configs);
}

/*--------------------------------------------------------------------------
** For the dependency edges of a plan or state (read_deps_tf.c, load.h).
*/
const char *moat__tf_type(const tf_res *r)
{
    return r->type;
}

/* The block (first element) of r, or r's values when block is NULL. */
static void tf_scope(tf *t, const tf_res *r, const char *blk,
                     const json_value **values, const json_value **unknown,
                     const json_value **expr)
{
    *values = r->values;
    *unknown = r->unknown;
    *expr = r->config;
    if (blk == NULL)
        return;
    *values = block(t, r->values, blk);
    *unknown = block_unknown(t, r->unknown, blk);
    const json_value *e = get(t, r->config, blk);
    *expr = e && e->type == JSON_ARRAY ? e->child : e;
}

const json_value *moat__tf_value(tf *t, const tf_res *r, const char *blk,
                                 const char *attr)
{
    const json_value *v, *u, *e;
    tf_scope(t, r, blk, &v, &u, &e);
    if (v == NULL || unknown_member(t, u, attr))
        return NULL;
    const json_value *x = get(t, v, attr);
    return moat__json_is_null(x) ? NULL : x;
}

int moat__tf_unknown(tf *t, const tf_res *r, const char *blk,
                     const char *attr)
{
    const json_value *v, *u, *e;
    tf_scope(t, r, blk, &v, &u, &e);
    return unknown_member(t, u, attr);
}

const char *moat__tf_ref(tf *t, tf_res *r, const char *blk, const char *attr)
{
    const json_value *v, *u, *e;
    tf_scope(t, r, blk, &v, &u, &e);
    if (v == NULL)
        return NULL;
    return ref_id(t, r, v, u, e ? e : v, attr);
}

tf_res *moat__tf_ref_res(tf *t, tf_res *r, const char *blk, const char *attr)
{
    const json_value *v, *u, *e;
    tf_scope(t, r, blk, &v, &u, &e);
    const json_value *refs = get(t, get(t, e, attr), "references");
    for (const json_value *ref = refs && refs->type == JSON_ARRAY ? refs->child
                                                                   : NULL;
         ref; ref = ref->next) {
        if (ref->type != JSON_STRING || !moat__element_ok(&t->c, ref))
            continue;
        tf_res *target = resolve_reference(t, r, ref->str);
        if (target)
            return target;
    }
    return NULL;
}

const char *moat__tf_id(tf *t, tf_res *r)
{
    return resource_id(t, r);
}

const char *moat__tf_name(tf *t, const tf_res *r)
{
    return tf_name(t, r);
}

void moat__tf_ctx(tf *t, const tf_res *r, rctx *c)
{
    *c = t->c;
    c->res = r->address;
    c->address = r->address;
    c->pos = r->node->pos;
}
