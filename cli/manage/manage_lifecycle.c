/*
** manage_lifecycle.c - `moat storage account create|list|delete` and
** `moat keyvault create|list|delete`: the az verbs users run around the
** rules, on estate files. A created resource is what Azure answers for
** it (azure-cli-recordings):
**
** - a storage account: its firewall always present (bypass AzureServices,
**   no rules, Allow unless --bypass and --default-action say otherwise);
**   publicNetworkAccess only when given (storage_account_public_network_
**   access: absent otherwise); HTTPS only, TLS 1.2 and no anonymous blob
**   access, as current az creates accounts; kind StorageV2 and sku
**   Standard_RAGRS unless given;
** - a key vault: publicNetworkAccess Enabled always; no networkAcls when
**   the firewall is Azure's default (keyvault_network_rule step 10: Key
**   Vault answers none), else the rules of --network-acls (JSON
**   {"ip": [...], "vnet": [...]}, a file, or @file), --network-acls-ips
**   and --network-acls-vnets, single addresses as /32 and subnet ids in
**   lower case (steps 8 and 9).
**
** The subscription and region come from --subscription and --location,
** else from the resource group's other resources in the file; a vault's
** tenant from --tenant-id, else the file's other vaults (az takes both
** from the signed-in account, which an estate file does not have).
** list prints every account or vault of the estate (of -g), delete
** removes one from its file.
*/
#include "manage_acl.h"
#include "manage_generic.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A resource of type named name in group in the open file, or NULL. */
static const moat_node *existing(manage *m, const char *type, const char *name,
                                 const char *group)
{
    for (const moat_node *r = m->list ? moat_node_child(m->list) : NULL; r;
         r = moat_node_next(r)) {
        const char *t = mg_str(r, "type"), *n = mg_str(r, "name");
        char g[256];
        if (t && n && strcasecmp(t, type) == 0 && strcasecmp(n, name) == 0 &&
            mg_group_of(r, g, sizeof g) && strcasecmp(g, group) == 0)
            return r;
    }
    return NULL;
}

/* Opens the estate for a new resource of c->target (under a directory:
** the file holding others of its type), its place found. MG_OK, or
** MG_OK with *done set when a storage account of that name exists (ARM's
** create-or-update: storage_recreate); a key vault that exists is
** refused, as az refuses it (MG_REFUSED). */
static int open_new(acl_ctx *c, const cli_args *a, char *sub, char *loc,
                    int *done)
{
    mg_target any = c->target;
    any.name = NULL;
    any.group = NULL;
    *done = 0;
    if (c->target.name == NULL || c->target.group == NULL)
        return mg_usage(&c->m, "give --name and --resource-group");
    int rc = mg_open(&c->m, c->m.command, a, &any);
    const moat_node *old = rc == MG_OK ? existing(&c->m, c->target.type,
                                                  c->target.name,
                                                  c->target.group)
                                       : NULL;
    if (old && c->kind == ACL_VAULT)
        /* azure-cli keyvault/custom.py create_vault: client.get() finds
        ** the vault, InvalidArgumentValueError (exit 1) */
        return mg_refuse(&c->m,
                         "The specified vault: %s already exists (az keyvault create refuses an existing vault; change it with keyvault update or keyvault network-rule)",
                         c->target.name);
    if (old) {
        *done = 1;
        return MG_OK;
    }
    if (rc == MG_OK)
        rc = mg_new_place(&c->m, a, c->target.group, sub, loc, 64);
    return rc;
}

/* Appends the new resource, makes it part of the document, finds it. */
static int append_new(acl_ctx *c, mg_buf *b)
{
    int rc = b->failed ? MG_NOT_WRITTEN : mg_append_resource(&c->m, b->s);
    if (rc == MG_OK)
        rc = mg_apply(&c->m);
    return rc == MG_OK ? acl_refind(c) : rc;
}

/* Lands the new resource (unless it existed: done), frees, closes. */
static int finish_create(acl_ctx *c, mg_buf *b, const char *sub, int done,
                         int rc)
{
    c->target.subscription = done ? NULL : sub;
    if (rc == MG_OK && !done)
        rc = mg_commit(&c->m, &c->target);
    mg_buf_free(b);
    mg_close(&c->m);
    return rc;
}

/*--------------------------------------------------------------------------
** storage account create
*/
/* Region names as ARM compares them: case and spaces aside. */
static int same_region(const char *a, const char *b)
{
    for (;; a++, b++) {
        while (*a == ' ')
            a++;
        while (*b == ' ')
            b++;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
        if (*a == '\0')
            return 1;
    }
}

/* sku and kind of an existing account, when given. */
static int set_sku_kind(acl_ctx *c, const cli_args *a)
{
    int rc = MG_OK;
    mg_buf b = {0};
    if (cli_get(a, "sku")) {
        mg_buf_printf(&b, "{\"name\": ");
        mg_buf_json_str(&b, cli_get(a, "sku"));
        mg_buf_printf(&b, "}");
        rc = b.failed ? MG_NOT_WRITTEN : acl_set(c, c->res, "sku", b.s);
        mg_buf_free(&b);
    }
    if (rc == MG_OK && cli_get(a, "kind")) {
        mg_buf_json_str(&b, cli_get(a, "kind"));
        rc = b.failed ? MG_NOT_WRITTEN : acl_set(c, c->res, "kind", b.s);
        mg_buf_free(&b);
    }
    return rc;
}

/* `az storage account create` on an account that exists: ARM's PUT is a
** create-or-update, and Storage documents it (Storage Accounts - Create,
** REST API): "If an account is already created and a subsequent create
** request is issued with different properties, the account properties
** will be updated. If an account is already created and a subsequent
** create or update request is issued with the exact same set of
** properties, the request will succeed." So the properties given are
** set, as `storage account update` sets them (az sends a networkRuleSet
** only with --default-action, its rules omitted: the rules are kept);
** the location cannot change (ARM: InvalidResourceLocation). */
static int storage_recreate(const cli_args *a)
{
    acl_ctx c;
    int rc = acl_open(&c, ACL_STORAGE, "storage account create", a, 0);
    const char *loc = cli_get(a, "location");
    const char *have = rc == MG_OK ? mg_str(c.res, "location") : NULL;
    if (rc == MG_OK && loc && have && !same_region(loc, have))
        rc = mg_refuse(&c.m,
                       "InvalidResourceLocation: the storage account %s already exists in location '%s'; a resource of the same name cannot be created in location '%s'",
                       c.target.name, have, loc);
    int given = cli_has(a, "default-action") || cli_has(a, "bypass") ||
                cli_has(a, "public-network-access") || storage_update_given(a);
    if (rc == MG_OK && (cli_get(a, "sku") || cli_get(a, "kind")))
        rc = set_sku_kind(&c, a);
    if (rc == MG_OK && given)
        rc = acl_update(&c, a); /* sets, commits and prints */
    else if (rc == MG_OK && (cli_get(a, "sku") || cli_get(a, "kind")))
        rc = mg_commit(&c.m, &c.target);
    else if (rc == MG_OK) /* the same properties: Azure succeeds */
        rc = mg_print(&c.m, c.res, TYPE_STORAGE);
    mg_close(&c.m);
    return rc;
}

static int storage_firewall(acl_ctx *c, const cli_args *a, mg_buf *b)
{
    static const char *const actions[] = {"Allow", "Deny"};
    const char *def = cli_get(a, "default-action"), *canon = "Allow";
    char bypass[128] = "AzureServices";
    if (def && !mg_choice(def, actions, 2, &canon))
        return mg_usage(&c->m, "--default-action takes Allow or Deny");
    if (cli_has(a, "bypass") &&
        storage_bypass_value(&c->m, a, 0, bypass, sizeof bypass) != MG_OK)
        return MG_USAGE;
    mg_buf_printf(b, "\"networkAcls\": {\"bypass\": ");
    mg_buf_json_str(b, bypass);
    mg_buf_printf(b,
                  ", \"virtualNetworkRules\": [], \"ipRules\": [], \"defaultAction\": \"%s\"}",
                  canon);
    return MG_OK;
}

static int storage_create(const cli_args *a)
{
    static const char *const pnas[] = {"Enabled", "Disabled",
                                       "SecuredByPerimeter"};
    acl_ctx c;
    memset(&c, 0, sizeof c);
    c.kind = ACL_STORAGE;
    c.m.command = "storage account create";
    c.target = (mg_target){TYPE_STORAGE, acl_name(a),
                           cli_get(a, "resource-group"), NULL,
                           "storage account", NULL};
    if (cli_has(a, "bypass") && !cli_has(a, "default-action"))
        return mg_usage(&c.m, "incorrect usage: --default-action ACTION [--bypass SERVICE ...] (as az)");
    char sub[64], loc[64];
    int done, rc = open_new(&c, a, sub, loc, &done);
    if (rc == MG_OK && done) {
        mg_close(&c.m);
        return storage_recreate(a);
    }
    const char *pna = cli_get(a, "public-network-access"), *canon = NULL;
    if (rc == MG_OK && !done && pna && !mg_choice(pna, pnas, 3, &canon))
        rc = mg_usage(&c.m, "--public-network-access takes Enabled, Disabled or SecuredByPerimeter");
    mg_buf b = {0};
    if (rc == MG_OK && !done) {
        const char *sku = cli_get(a, "sku"), *kind = cli_get(a, "kind");
        mg_buf_printf(&b, "{\"type\": \"" TYPE_STORAGE "\", \"id\": \"/subscriptions/%s/resourceGroups/%s/providers/" TYPE_STORAGE "/%s\", \"name\": ", sub, c.target.group, c.target.name);
        mg_buf_json_str(&b, c.target.name);
        mg_buf_printf(&b, ", \"location\": ");
        mg_buf_json_str(&b, loc);
        mg_buf_printf(&b, ", \"kind\": ");
        mg_buf_json_str(&b, kind ? kind : "StorageV2");
        mg_buf_printf(&b, ", \"sku\": {\"name\": ");
        mg_buf_json_str(&b, sku ? sku : "Standard_RAGRS");
        mg_buf_printf(&b, "}, \"properties\": {");
        if (canon)
            mg_buf_printf(&b, "\"publicNetworkAccess\": \"%s\", ", canon);
        rc = storage_firewall(&c, a, &b);
        mg_buf_printf(&b, ", \"supportsHttpsTrafficOnly\": true, \"minimumTlsVersion\": \"TLS1_2\", \"allowBlobPublicAccess\": false}}");
    }
    if (rc == MG_OK && !done)
        rc = append_new(&c, &b);
    if (rc == MG_OK && !done && storage_update_given(a))
        rc = storage_update_extra(&c, a);
    return finish_create(&c, &b, sub, done, rc);
}

/*--------------------------------------------------------------------------
** keyvault create
*/
#include "jmespath.h"

/* The rules a new vault gets, as JSON elements. */
typedef struct vault_rules {
    mg_strings ips, vnets;
} vault_rules;

static int add_vault_ip(acl_ctx *c, vault_rules *r, const char *ip)
{
    moat_range range;
    int rc = acl_parse_ip(c, ip, 4, &range);
    if (rc != MG_OK)
        return rc;
    mg_buf b = {0};
    mg_buf_printf(&b, "{\"value\": \"%s%s\"}", ip, range.bare ? "/32" : "");
    return mg_strings_take(&r->ips, &b);
}

/* A subnet by id, or VNET/SUBNET in the vault's group (as az builds it),
** in lower case as Key Vault stores it. */
static int add_vault_vnet(acl_ctx *c, vault_rules *r, const char *v,
                          const char *sub)
{
    mg_buf id = {0}, b = {0};
    const char *slash = strchr(v, '/');
    if (v[0] == '/')
        mg_buf_printf(&id, "%s", v);
    else if (slash && strchr(slash + 1, '/') == NULL)
        mg_buf_printf(&id,
                      "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%.*s/subnets/%s",
                      sub, c->target.group, (int)(slash - v), v, slash + 1);
    else
        return mg_usage(&c->m, "--network-acls-vnets: '%s' is neither a subnet id nor VNET/SUBNET", v);
    for (size_t i = 0; id.s && i < id.len; i++)
        id.s[i] = (char)tolower((unsigned char)id.s[i]);
    mg_buf_printf(&b, "{\"id\": ");
    mg_buf_json_str(&b, id.failed ? "" : id.s);
    mg_buf_printf(&b, "}");
    mg_buf_free(&id);
    return mg_strings_take(&r->vnets, &b);
}

/* --network-acls: JSON, a file of it, or @file. */
static int read_acls_json(acl_ctx *c, const char *arg, vault_rules *r,
                          const char *sub)
{
    size_t len;
    char *file = NULL;
    const char *text = arg;
    jp_arena *ar = jp_arena_new(0, 0);
    const jp_value *v = ar && arg[0] != '@'
                            ? jp_parse_json(ar, arg, strlen(arg), NULL)
                            : NULL;
    if (v == NULL && ar) {
        file = cli_read_file(arg[0] == '@' ? arg + 1 : arg, &len);
        text = file;
        v = file ? jp_parse_json(ar, file, len, NULL) : NULL;
    }
    int rc = v && jp_type_of(v) == JP_OBJECT
                 ? MG_OK
                 : mg_usage(&c->m, "--network-acls takes JSON {\"ip\": [...], \"vnet\": [...]}, a file of it or @file; '%s' is none", arg);
    const char *keys[] = {"ip", "vnet"};
    for (size_t k = 0; k < 2 && rc == MG_OK; k++) {
        const jp_value *l = jp_get(v, keys[k], strlen(keys[k]));
        for (size_t i = 0; i < jp_count(l) && rc == MG_OK; i++) {
            const char *s = jp_string(jp_item(l, i), &len);
            rc = s == NULL ? mg_usage(&c->m, "--network-acls: \"%s\" holds strings", keys[k])
                 : k == 0  ? add_vault_ip(c, r, s)
                           : add_vault_vnet(c, r, s, sub);
        }
    }
    (void)text;
    free(file);
    jp_arena_free(ar);
    return rc;
}

static int vault_rules_from(acl_ctx *c, const cli_args *a, vault_rules *r,
                            const char *sub)
{
    int rc = MG_OK;
    if (cli_has(a, "network-acls"))
        rc = read_acls_json(c, cli_get(a, "network-acls"), r, sub);
    for (int i = 0; i < a->n_opts && rc == MG_OK; i++) {
        if (strcmp(a->opts[i].name, "network-acls-ips") == 0)
            rc = add_vault_ip(c, r, a->opts[i].value);
        else if (strcmp(a->opts[i].name, "network-acls-vnets") == 0)
            rc = add_vault_vnet(c, r, a->opts[i].value, sub);
    }
    return rc;
}

static void json_elements(mg_buf *b, const mg_strings *l)
{
    mg_buf_printf(b, "[");
    for (size_t i = 0; i < l->n; i++)
        mg_buf_printf(b, "%s%s", i ? ", " : "", l->s[i]);
    mg_buf_printf(b, "]");
}

/* networkAcls, unless it is Azure's default (then Key Vault keeps none). */
static int vault_firewall(acl_ctx *c, const cli_args *a, const char *sub,
                          mg_buf *b)
{
    static const char *const actions[] = {"Allow", "Deny"};
    const char *def = cli_get(a, "default-action"), *canon = "Allow";
    char bypass[128] = "AzureServices";
    vault_rules r = {.ips = {.n = 0}, .vnets = {.n = 0}};
    int rc = MG_OK;
    if (def && !mg_choice(def, actions, 2, &canon))
        rc = mg_usage(&c->m, "--default-action takes Allow or Deny");
    if (rc == MG_OK && cli_has(a, "bypass"))
        rc = storage_bypass_value(&c->m, a, 1, bypass, sizeof bypass);
    if (rc == MG_OK)
        rc = vault_rules_from(c, a, &r, sub);
    if (rc == MG_OK && (strcmp(canon, "Allow") != 0 ||
                        strcmp(bypass, "AzureServices") != 0 || r.ips.n ||
                        r.vnets.n)) {
        mg_buf_printf(b, ", \"networkAcls\": {\"bypass\": \"%s\", \"defaultAction\": \"%s\", \"ipRules\": ", bypass, canon);
        json_elements(b, &r.ips);
        mg_buf_printf(b, ", \"virtualNetworkRules\": ");
        json_elements(b, &r.vnets);
        mg_buf_printf(b, "}");
    }
    mg_strings_free(&r.ips);
    mg_strings_free(&r.vnets);
    return rc;
}

/* The vault's tenant: --tenant-id, else another vault's in the file. */
static const char *vault_tenant(acl_ctx *c, const cli_args *a)
{
    const char *t = cli_get(a, "tenant-id");
    for (const moat_node *r = c->m.list ? moat_node_child(c->m.list) : NULL;
         r && t == NULL; r = moat_node_next(r)) {
        const char *type = mg_str(r, "type");
        if (type && strcasecmp(type, TYPE_VAULT) == 0)
            t = mg_str(mg_properties(r), "tenantId");
    }
    if (t == NULL)
        mg_usage(&c->m, "give --tenant-id: no vault in %s names the tenant (az takes it from the signed-in account)", c->m.file.path);
    return t;
}

static int vault_body(acl_ctx *c, const cli_args *a, const char *sub,
                      const char *loc, mg_buf *b)
{
    static const char *const skus[] = {"standard", "premium"};
    static const char *const pnas[] = {"Enabled", "Disabled"};
    const char *sku = cli_get(a, "sku"), *ssku = "standard";
    const char *pna = cli_get(a, "public-network-access"), *cpna = "Enabled";
    const char *days = cli_get(a, "retention-days");
    const char *soft = cli_get(a, "enable-soft-delete");
    const char *rbac = cli_get(a, "enable-rbac-authorization");
    const char *tenant = vault_tenant(c, a);
    if (tenant == NULL)
        return MG_USAGE;
    if (sku && !mg_choice(sku, skus, 2, &ssku))
        return mg_usage(&c->m, "--sku takes standard or premium");
    if (pna && !mg_choice(pna, pnas, 2, &cpna))
        return mg_usage(&c->m, "--public-network-access takes Enabled or Disabled");
    char *end = NULL;
    long d = days ? strtol(days, &end, 10) : 90;
    if (days && (*end || d < 7 || d > 90))
        return mg_usage(&c->m, "--retention-days takes 7 to 90");
    mg_buf_printf(b, "{\"type\": \"" TYPE_VAULT "\", \"id\": \"/subscriptions/%s/resourceGroups/%s/providers/" TYPE_VAULT "/%s\", \"name\": ", sub, c->target.group, c->target.name);
    mg_buf_json_str(b, c->target.name);
    mg_buf_printf(b, ", \"location\": ");
    mg_buf_json_str(b, loc);
    mg_buf_printf(b, ", \"properties\": {\"tenantId\": ");
    mg_buf_json_str(b, tenant);
    mg_buf_printf(b, ", \"sku\": {\"family\": \"A\", \"name\": \"%s\"}, \"enableSoftDelete\": %s, \"softDeleteRetentionInDays\": %ld, \"enableRbacAuthorization\": %s, \"publicNetworkAccess\": \"%s\", \"vaultUri\": \"https://%s.vault.azure.net/\"",
                  ssku, soft && strcasecmp(soft, "false") == 0 ? "false" : "true", d,
                  rbac && strcasecmp(rbac, "false") == 0 ? "false" : "true", cpna,
                  c->target.name);
    int rc = vault_firewall(c, a, sub, b);
    mg_buf_printf(b, "}}");
    return rc;
}

static int vault_create(const cli_args *a)
{
    acl_ctx c;
    memset(&c, 0, sizeof c);
    c.kind = ACL_VAULT;
    c.m.command = "keyvault create";
    c.target = (mg_target){TYPE_VAULT, acl_name(a), cli_get(a, "resource-group"),
                           NULL, "key vault", NULL};
    char sub[64], loc[64];
    int done, rc = open_new(&c, a, sub, loc, &done);
    mg_buf b = {0};
    if (rc == MG_OK && !done)
        rc = vault_body(&c, a, sub, loc, &b);
    if (rc == MG_OK && !done)
        rc = append_new(&c, &b);
    return finish_create(&c, &b, sub, done, rc);
}

/*--------------------------------------------------------------------------
** list, delete
*/
typedef struct list_ctx {
    const char *type, *group;
    const moat_doc *doc;
    mg_buf *out;
    size_t n;
} list_ctx;

static void add_listed(const moat_node *r, void *ctx)
{
    list_ctx *l = ctx;
    const char *t = mg_str(r, "type");
    char g[256];
    if (t == NULL || strcasecmp(t, l->type) != 0)
        return;
    if (l->group && (!mg_group_of(r, g, sizeof g) || strcasecmp(g, l->group)))
        return;
    char *text = moat_doc_slice(l->doc, r);
    if (text)
        mg_buf_printf(l->out, "%s%s", l->n++ ? ", " : "", text);
    else
        l->out->failed = 1;
    moat_free(text);
}

static void list_doc(const moat_doc *doc, void *ctx)
{
    list_ctx *l = ctx;
    l->doc = doc;
    mg_each_resource(doc, add_listed, ctx);
}

static int list_cmd(const char *type, const char *what, const char *command,
                    const cli_args *a)
{
    manage m;
    mg_target any = {type, NULL, NULL, NULL, what, NULL};
    int rc = mg_open(&m, command, a, &any);
    mg_buf b = {0};
    list_ctx l = {type, cli_get(a, "resource-group"), NULL, &b, 0};
    if (rc == MG_OK) {
        mg_buf_printf(&b, "[");
        list_doc(m.doc, &l);
        mg_each_other_doc(&m, list_doc, &l);
        mg_buf_printf(&b, "]");
        rc = mg_print_json(&m, &b, type);
    }
    mg_buf_free(&b);
    mg_close(&m);
    return rc;
}

static int delete_cmd(acl_kind kind, const char *command, const cli_args *a)
{
    acl_ctx c;
    int rc = acl_open(&c, kind, command, a, 0);
    if (rc == MG_OK)
        rc = mg_remove_resource(&c.m, c.res);
    if (rc == MG_OK) {
        c.m.output_none = 1; /* az prints nothing */
        rc = mg_commit(&c.m, NULL);
    }
    mg_close(&c.m);
    return rc;
}

static int storage_list(const cli_args *a)
{
    return list_cmd(TYPE_STORAGE, "storage account", "storage account list", a);
}

static int storage_delete(const cli_args *a)
{
    return delete_cmd(ACL_STORAGE, "storage account delete", a);
}

static int vault_list(const cli_args *a)
{
    return list_cmd(TYPE_VAULT, "key vault", "keyvault list", a);
}

static int vault_delete(const cli_args *a)
{
    return delete_cmd(ACL_VAULT, "keyvault delete", a);
}

/*--------------------------------------------------------------------------
** The commands.
*/
static const cli_spec list_spec[] = {MG_COMMON_SPEC, {NULL, 0, 0}};
static const cli_spec delete_spec[] = {MG_COMMON_SPEC, ACL_NAME_SPEC,
                                       {"yes", 0, 'y'}, {NULL, 0, 0}};
static const cli_spec storage_create_spec[] = {
    MG_COMMON_SPEC,        ACL_NAME_SPEC,         STORAGE_ENDPOINT_SPEC,
    {"location", 1, 'l'},  {"sku", 1, 0},         {"kind", 1, 0},
    {"bypass", CLI_VALUES, 0}, {"default-action", 1, 0},
    {"public-network-access", 1, 0}, {NULL, 0, 0}};
static const cli_spec vault_create_spec[] = {
    MG_COMMON_SPEC, ACL_NAME_SPEC, {"location", 1, 'l'}, {"sku", 1, 0},
    {"tenant-id", 1, 0}, {"retention-days", 1, 0},
    {"enable-soft-delete", 1, 0}, {"enable-rbac-authorization", 1, 0},
    {"enable-purge-protection", 1, 0}, {"public-network-access", 1, 0},
    {"default-action", 1, 0}, {"bypass", CLI_VALUES, 0},
    {"network-acls", 1, 0}, {"network-acls-ips", CLI_VALUES, 0},
    {"network-acls-vnets", CLI_VALUES, 0}, {NULL, 0, 0}};

#define PLACE_HELP                                                             \
    "  --location, -l REGION      (else the resource group's, from the\n"     \
    "                             file's other resources)\n"

const mg_command mg_storage_lifecycle[] = {
    {"storage account create", "add a storage account as Azure creates it",
     "  --name, -n NAME  --resource-group, -g RG  (both needed)\n" PLACE_HELP
     "  --sku SKU (Standard_RAGRS)  --kind KIND (StorageV2)\n"
     "  --bypass WORD...  --default-action Allow|Deny\n"
     "  --public-network-access Enabled|Disabled|SecuredByPerimeter\n"
     "  and the endpoint flags of 'storage account update'\n",
     storage_create_spec, storage_create},
    {"storage account list", "print the estate's storage accounts (-g: of a group)",
     "", list_spec, storage_list},
    {"storage account delete", "remove a storage account from its file",
     "  --name, -n NAME  (--yes is accepted, as az's)\n", delete_spec,
     storage_delete},
    {NULL, NULL, NULL, NULL, NULL},
};

const mg_command mg_vault_lifecycle[] = {
    {"keyvault create", "add a key vault as Azure creates it",
     "  --name, -n NAME  --resource-group, -g RG  (both needed)\n" PLACE_HELP
     "  --tenant-id GUID           (else another vault's in the file)\n"
     "  --sku standard|premium  --retention-days 7-90\n"
     "  --enable-soft-delete, --enable-rbac-authorization true|false\n"
     "  --public-network-access Enabled|Disabled\n"
     "  --default-action Allow|Deny  --bypass AzureServices|None\n"
     "  --network-acls JSON|FILE|@FILE  {\"ip\": [...], \"vnet\": [...]}\n"
     "  --network-acls-ips IP...  --network-acls-vnets ID|VNET/SUBNET...\n",
     vault_create_spec, vault_create},
    {"keyvault list", "print the estate's key vaults (-g: of a group)", "",
     list_spec, vault_list},
    {"keyvault delete", "remove a key vault from its file",
     "  --name, -n NAME  (--yes is accepted)\n", delete_spec, vault_delete},
    {NULL, NULL, NULL, NULL, NULL},
};
