/*
** manage_view.c - resources as az prints them. az prints what the Python
** SDK's model holds, serialised with camelCase names (azure-cli's todict),
** with resourceGroup added to every object whose id names one (azure-cli
** core's _add_resource_group, run on every result):
**
** - a storage account (azure-mgmt-storage's StorageAccount) has its
**   properties flattened to the top, the firewall as networkRuleSet, and
**   the SDK's names where they differ from ARM's: an IP rule's value is
**   ipAddressOrRange, a virtual network rule's id virtualNetworkResourceId,
**   supportsHttpsTrafficOnly enableHttpsTrafficOnly, isNfsV3Enabled
**   enableNfsV3; Azure's firewall defaults where the file has none;
** - a key vault (azure-mgmt-keyvault's Vault) and the perimeter resources
**   keep ARM's shape (properties nested).
**
** So that queries written for the file's ARM shape keep working, every
** object of the view looks up what it lacks in the ARM JSON it came from
** (jp_new_object_fallback): properties.networkAcls, an IP rule's value.
** Lookups only: what is printed is az's shape.
*/
#include "manage_view.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void mg_members_add(mg_members *o, const char *key, size_t len,
                    const jp_value *v)
{
    if (o->failed || v == NULL)
        return;
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 16;
        const char **k = realloc(o->keys, cap * sizeof *k);
        if (k)
            o->keys = k;
        size_t *l = realloc(o->lens, cap * sizeof *l);
        if (l)
            o->lens = l;
        const jp_value **v2 = realloc(o->vals, cap * sizeof *v2);
        if (v2)
            o->vals = v2;
        if (!k || !l || !v2) {
            o->failed = 1;
            return;
        }
        o->cap = cap;
    }
    o->keys[o->n] = key;
    o->lens[o->n] = len;
    o->vals[o->n++] = v;
}

const jp_value *mg_members_done(jp_arena *a, mg_members *o,
                                const jp_value *fallback)
{
    const jp_value *r =
        o->failed ? NULL : jp_new_object(a, o->keys, o->lens, o->vals, o->n);
    free(o->keys);
    free(o->lens);
    free(o->vals);
    memset(o, 0, sizeof *o);
    if (r && fallback && jp_type_of(fallback) == JP_OBJECT)
        r = jp_new_object_fallback(a, r, fallback);
    return r;
}

/* fn on each element of the array l, as a new array (NULL when out of
** memory); l itself when it is not an array. */
static const jp_value *
map_array(jp_arena *a, const jp_value *l,
          const jp_value *(*fn)(jp_arena *, const jp_value *, const void *),
          const void *ctx)
{
    if (jp_type_of(l) != JP_ARRAY)
        return l;
    size_t n = jp_count(l);
    const jp_value **items = malloc((n ? n : 1) * sizeof *items);
    const jp_value *r = NULL;
    size_t i = 0;
    while (items && i < n && (items[i] = fn(a, jp_item(l, i), ctx)) != NULL)
        i++;
    if (items && i == n)
        r = jp_new_array(a, items, n);
    free(items);
    return r;
}

static int key_is(const char *k, size_t n, const char *name)
{
    return strlen(name) == n && memcmp(k, name, n) == 0;
}

/*--------------------------------------------------------------------------
** resourceGroup, as azure-cli adds it.
*/
/* The resource group an ARM id names (parse_resource_id: the id starts
** with /subscriptions/S/resourceGroups/G); 0 when none. */
static int group_of_id(const char *id, size_t n, const char **g, size_t *glen)
{
    static const char subs[] = "/subscriptions/", rgs[] = "/resourcegroups/";
    if (n < sizeof subs - 1 || strncasecmp(id, subs, sizeof subs - 1) != 0)
        return 0;
    const char *p = memchr(id + sizeof subs - 1, '/', n - (sizeof subs - 1));
    if (p == NULL || (size_t)(id + n - p) < sizeof rgs - 1 ||
        strncasecmp(p, rgs, sizeof rgs - 1) != 0)
        return 0;
    *g = p + sizeof rgs - 1;
    const char *end = memchr(*g, '/', (size_t)(id + n - *g));
    *glen = (size_t)((end ? end : id + n) - *g);
    return 1;
}

/* o's own member key (not its fallback's), or NULL. */
static const jp_value *own(const jp_value *o, const char *key)
{
    for (size_t i = 0; i < jp_count(o); i++) {
        size_t n;
        const char *k = jp_key(o, i, &n);
        if (key_is(k, n, key))
            return jp_item(o, i);
    }
    return NULL;
}

static int has_group_key(const jp_value *o)
{
    for (size_t i = 0; i < jp_count(o); i++) {
        size_t n;
        const char *k = jp_key(o, i, &n);
        if (n == 13 && strncasecmp(k, "resourcegroup", 13) == 0)
            return 1;
    }
    return 0;
}

static const jp_value *grouped(jp_arena *a, const jp_value *v, const void *ctx)
{
    (void)ctx;
    return mg_with_groups(a, v);
}

const jp_value *mg_with_groups(jp_arena *a, const jp_value *v)
{
    jp_type t = jp_type_of(v);
    if (t == JP_ARRAY)
        return map_array(a, v, grouped, NULL);
    if (t != JP_OBJECT)
        return v;
    mg_members o = {0};
    for (size_t i = 0; i < jp_count(v); i++) {
        size_t n;
        const char *k = jp_key(v, i, &n);
        const jp_value *item = jp_item(v, i);
        /* azure-cli leaves a sourceVault's content alone */
        const jp_value *sub =
            key_is(k, n, "sourceVault") ? item : mg_with_groups(a, item);
        if (sub == NULL)
            o.failed = 1;
        mg_members_add(&o, k, n, sub);
    }
    const jp_value *id = own(v, "id");
    const char *g;
    size_t glen, idlen;
    const char *ids = jp_type_of(id) == JP_STRING ? jp_string(id, &idlen) : NULL;
    if (ids && !has_group_key(v) && group_of_id(ids, idlen, &g, &glen))
        mg_members_add(&o, "resourceGroup", 13, jp_new_string(a, g, glen));
    return mg_members_done(a, &o, v);
}

/*--------------------------------------------------------------------------
** A storage account as azure-mgmt-storage's model.
*/
/* A rule element with the SDK's name for one member (from -> to). */
static const jp_value *renamed(jp_arena *a, const jp_value *e, const char *from,
                               const char *to)
{
    if (jp_type_of(e) != JP_OBJECT)
        return e;
    mg_members o = {0};
    for (size_t i = 0; i < jp_count(e); i++) {
        size_t n;
        const char *k = jp_key(e, i, &n);
        int is = key_is(k, n, from);
        mg_members_add(&o, is ? to : k, is ? strlen(to) : n, jp_item(e, i));
    }
    return mg_members_done(a, &o, e);
}

/* A rule element renamed as ctx (two names: from, to) says. */
static const jp_value *renamed_by(jp_arena *a, const jp_value *e,
                                  const void *ctx)
{
    const char *const *names = ctx;
    return renamed(a, e, names[0], names[1]);
}

static const jp_value *renamed_list(jp_arena *a, const jp_value *l,
                                    const char *from, const char *to)
{
    const char *names[] = {from, to};
    return map_array(a, l, renamed_by, names);
}

const jp_value *mg_storage_rules_view(jp_arena *a, const jp_value *fw)
{
    if (jp_type_of(fw) != JP_OBJECT)
        return fw;
    mg_members o = {0};
    for (size_t i = 0; i < jp_count(fw); i++) {
        size_t n;
        const char *k = jp_key(fw, i, &n);
        const jp_value *v = jp_item(fw, i);
        if (key_is(k, n, "ipRules") || key_is(k, n, "ipv6Rules"))
            v = renamed_list(a, v, "value", "ipAddressOrRange");
        else if (key_is(k, n, "virtualNetworkRules"))
            v = renamed_list(a, v, "id", "virtualNetworkResourceId");
        if (v == NULL)
            o.failed = 1;
        mg_members_add(&o, k, n, v);
    }
    return mg_members_done(a, &o, fw);
}

/* ARM property names that azure-mgmt-storage's model names otherwise. */
static const char *sdk_name(const char *k, size_t n)
{
    static const char *const names[][2] = {
        {"networkAcls", "networkRuleSet"},
        {"supportsHttpsTrafficOnly", "enableHttpsTrafficOnly"},
        {"isNfsV3Enabled", "enableNfsV3"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (key_is(k, n, names[i][0]))
            return names[i][1];
    return NULL;
}

/* ARM template members that are not the resource's (az never shows them). */
static int template_only(const char *k, size_t n)
{
    return key_is(k, n, "apiVersion") || key_is(k, n, "dependsOn") ||
           key_is(k, n, "condition") || key_is(k, n, "copy") ||
           key_is(k, n, "comments");
}

/* One member of the flattened account (the firewall is added apart). */
static void add_flat(mg_members *o, const char *k, size_t n, const jp_value *v)
{
    const char *sdk = sdk_name(k, n);
    if (sdk && strcmp(sdk, "networkRuleSet") == 0)
        return; /* added once, from fw */
    if (key_is(k, n, "networkRuleSet") || template_only(k, n))
        return;
    mg_members_add(o, sdk ? sdk : k, sdk ? strlen(sdk) : n, v);
}

/* Members of azure-mgmt-storage's StorageAccount about access that az
** prints as null when Azure's answer lacks them (so "'publicNetworkAccess'
** in result" holds, as storage_account_public_network_access's test
** asserts). */
static const char *const sdk_members[] = {
    "allowBlobPublicAccess", "allowCrossTenantReplication",
    "allowSharedKeyAccess",  "dnsEndpointType",
    "dualStackEndpointPreference", "enableHttpsTrafficOnly",
    "minimumTlsVersion",     "privateEndpointConnections",
    "publicNetworkAccess",   "routingPreference",
};

static void add_sdk_nulls(mg_members *o)
{
    for (size_t i = 0; i < sizeof sdk_members / sizeof sdk_members[0]; i++) {
        size_t k = 0, n = strlen(sdk_members[i]);
        while (k < o->n && !(o->lens[k] == n &&
                             memcmp(o->keys[k], sdk_members[i], n) == 0))
            k++;
        if (k == o->n)
            mg_members_add(o, sdk_members[i], n, jp_null());
    }
}

const jp_value *mg_storage_view(jp_arena *a, const jp_value *res,
                                const jp_value *fw, const jp_value *arm_view)
{
    mg_members o = {0};
    const jp_value *props = jp_get(res, "properties", 10);
    for (size_t i = 0; i < jp_count(res); i++) {
        size_t n;
        const char *k = jp_key(res, i, &n);
        if (!key_is(k, n, "properties"))
            add_flat(&o, k, n, jp_item(res, i));
    }
    if (jp_type_of(props) == JP_OBJECT)
        for (size_t i = 0; i < jp_count(props); i++) {
            size_t n;
            const char *k = jp_key(props, i, &n);
            if (jp_get(res, k, n) == NULL || key_is(k, n, "networkAcls"))
                add_flat(&o, k, n, jp_item(props, i));
        }
    if (fw && jp_type_of(fw) != JP_NULL) {
        const jp_value *sdk_fw = mg_storage_rules_view(a, fw);
        if (sdk_fw == NULL)
            o.failed = 1;
        mg_members_add(&o, "networkRuleSet", 14, sdk_fw);
    }
    add_sdk_nulls(&o);
    return mg_members_done(a, &o, arm_view);
}
