/*
** read_deps.c - the dependency edges of ARM resources (issue 15,
** docs/audit.md "Dependencies"): every request an Azure service makes to
** a storage account or a key vault on the customer's behalf, and the
** storage features a network security perimeter does not support.
**
** Each edge is read where the resource's ARM shape gives it (the shapes
** and the documents defining each edge are listed in docs/audit.md); a
** value that is a template expression or known only after apply makes the
** edge unknown, never fine.
*/
#include "load.h"

#include <string.h>

const char *moat__dep_kind_name(unsigned kind)
{
    static const char *const names[DEP_KIND_COUNT] = {
        "customer-managed-key", "diagnostic-logs",   "flow-logs",
        "sql-auditing",         "event-hubs-capture", "function-storage",
        "key-vault-reference",  "sftp",              "nfs",
        "smb",                  "object-replication", "lifecycle-management",
        "blob-inventory",       "unmanaged-disk",    "vaulted-backup",
        "runner",               "site-network",
    };
    return kind < DEP_KIND_COUNT ? names[kind] : "?";
}

/*--------------------------------------------------------------------------
** Reading values.
*/

/* The value at a dotted path of members (names ignoring case), or NULL. */
static const json_value *at(rctx *c, const json_value *obj, const char *path)
{
    char key[64];
    while (obj && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key || obj->type != JSON_OBJECT)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        obj = moat__member(c, obj, key, NULL);
        path += n + (path[n] == '.');
    }
    return moat__json_is_null(obj) ? NULL : obj;
}

static const char *text(rctx *c, const json_value *v)
{
    return v && v->type == JSON_STRING && v->len ? moat__dup(c, v) : NULL;
}

static int truthy(const json_value *v)
{
    return v && (v->type == JSON_TRUE ||
                 (v->type == JSON_STRING && moat__eq_ci_z(v->str, "true")));
}

dep_edge *moat__dep_edge(rctx *c, unsigned kind, const json_value *where,
                         const char *path)
{
    dep_edge *e = VEC_PUSH(c->ld, c->ld->deps);
    if (e == NULL)
        return NULL;
    e->kind = (uint8_t)kind;
    e->from = c->res;
    e->breaks = c->res;
    e->path = moat__dupn(c->ld, path, strlen(path));
    e->file = c->file ? c->file->name : "";
    unsigned col = 0;
    if (c->file)
        moat__src_line_col(c->file, where ? where->pos : c->pos, &e->line,
                           &col);
    e->address = c->address;
    return e;
}

/* The first DNS label of a URI whose host has the label after it
** ("https://NAME.vault.azure.net/keys/k" with ".vault." gives NAME). */
static const char *host_label(rctx *c, const char *uri, const char *next)
{
    const char *s = strstr(uri, "://");
    s = s ? s + 3 : uri;
    size_t n = strcspn(s, "./:");
    if (n == 0 || s[n] != '.' || strncmp(s + n, next, strlen(next)) != 0)
        return NULL;
    return moat__dupn(c->ld, s, n);
}

/* The target of an edge from a URI (vault: a key or secret URI; else any
** storage endpoint URL) or a resource id (how DEP_BY_ID). */
void moat__dep_target(rctx *c, dep_edge *e, const char *s, int how)
{
    static const char *const endpoints[] = {".blob.", ".dfs.", ".file.",
                                            ".queue.", ".table."};
    e->to_text = moat__dupn(c->ld, s, strlen(s));
    if (how == DEP_BY_ID) {
        if (strchr(s, '/'))
            e->to_id = e->to_text;
        else
            e->to_name = e->to_text;
        return;
    }
    if (how == DEP_BY_VAULT_URI) {
        e->to_name = host_label(c, s, ".vault.");
        if (e->to_name == NULL)
            e->to_name = host_label(c, s, ".managedhsm.");
    } else {
        for (size_t i = 0; i < MOAT_ARRAY_LEN(endpoints) && !e->to_name; i++)
            e->to_name = host_label(c, s, endpoints[i]);
    }
    if (e->to_name == NULL)
        e->unknown = how == DEP_BY_VAULT_URI
                         ? "its key URI names no key vault"
                         : "its URI names no storage account";
}

static void target_value(rctx *c, dep_edge *e, const json_value *v, int how)
{
    if (v == NULL || v->type != JSON_STRING || v->len == 0 ||
        moat__is_expression(v)) {
        e->to_text = v && v->type == JSON_STRING ? moat__dup(c, v) : NULL;
        e->unknown = v ? "it is named by a template expression or a value known only after apply"
                       : "the setting naming it is absent";
        return;
    }
    moat__dep_target(c, e, v->str, how);
}

static void target_uri(rctx *c, dep_edge *e, const json_value *v, int vault)
{
    target_value(c, e, v, vault ? DEP_BY_VAULT_URI : DEP_BY_STORAGE_URI);
}

static void target_id(rctx *c, dep_edge *e, const json_value *v)
{
    target_value(c, e, v, DEP_BY_ID);
}

/* The resource of a child id: ".../storageAccounts/a/managementPolicies/x"
** with child "managementPolicies" gives ".../storageAccounts/a". */
static const char *parent_of(rctx *c, const char *child)
{
    size_t n = moat__arm_parent_len(c->res, strlen(c->res), child);
    return n ? moat__dupn(c->ld, c->res, n) : c->res;
}

/* The user-assigned identity a resource presents: the one named, or its
** only one when its identity is UserAssigned alone. */
static const char *user_identity(rctx *c, const json_value *res,
                                 const json_value *named)
{
    if (named && named->type == JSON_STRING && named->len &&
        memchr(named->str, '/', named->len))
        return moat__dup(c, named);
    const json_value *type = at(c, res, "identity.type");
    const json_value *list = at(c, res, "identity.userAssignedIdentities");
    if (type && type->type == JSON_STRING &&
        moat__eq_ci_z(type->str, "UserAssigned") && list &&
        list->type == JSON_OBJECT && list->child && list->child->key)
        return moat__dupn(c->ld, list->child->key, list->child->key_len);
    return NULL;
}

/* A customer-managed key: a request to the vault, caller the resource (or
** the user-assigned identity it presents). */
static dep_edge *cmk(rctx *c, const json_value *res, const json_value *uri,
                     const char *path, const json_value *identity)
{
    dep_edge *e = moat__dep_edge(c, DEP_CMK, uri, path);
    if (e == NULL)
        return NULL;
    target_uri(c, e, uri, 1);
    e->endpoints = "vault";
    e->operation = "read";
    e->auth = "OAuth";
    const char *uai = user_identity(c, res, identity);
    e->caller_resource = uai ? uai : c->res;
    return e;
}

/*--------------------------------------------------------------------------
** One reader per resource type.
*/
static void storage_account(rctx *c, const json_value *res,
                            const json_value *p)
{
    const json_value *src = at(c, p, "encryption.keySource");
    if (src && src->type == JSON_STRING &&
        (moat__eq_ci_z(src->str, "Microsoft.Keyvault") ||
         moat__is_expression(src))) {
        dep_edge *e =
            cmk(c, res, at(c, p, "encryption.keyvaultproperties.keyvaulturi"),
                "properties.encryption.keyvaultproperties.keyvaulturi",
                at(c, p, "encryption.identity.userAssignedIdentity"));
        const json_value *fed =
            at(c, p, "encryption.identity.federatedIdentityClientId");
        if (e && fed && fed->type == JSON_STRING && fed->len)
            e->federated = 1;
        if (e && moat__is_expression(src) && e->unknown == NULL)
            e->unknown = "encryption.keySource is a template expression";
    }
    static const struct {
        const char *key;
        unsigned kind;
    } features[] = {{"isSftpEnabled", DEP_F_SFTP},
                    {"isNfsV3Enabled", DEP_F_NFS}};
    for (size_t i = 0; i < MOAT_ARRAY_LEN(features); i++) {
        const json_value *v = at(c, p, features[i].key);
        if (truthy(v) || moat__is_expression(v)) {
            char path[64];
            snprintf(path, sizeof path, "properties.%s", features[i].key);
            dep_edge *e = moat__dep_edge(c, features[i].kind, v, path);
            if (e) {
                e->to_id = c->res;
                e->unknown = moat__is_expression(v) ? "its value is a template expression" : NULL;
            }
        }
    }
}

static void sql_protector(rctx *c, const json_value *res, const json_value *p)
{
    const json_value *kt = at(c, p, "serverKeyType");
    if (kt == NULL || kt->type != JSON_STRING ||
        !moat__eq_ci_z(kt->str, "AzureKeyVault"))
        return;
    const char *server = parent_of(c, "encryptionProtector");
    const json_value *uri = at(c, p, "uri");
    dep_edge *e;
    if (uri) {
        e = cmk(c, res, uri, "properties.uri", NULL);
    } else {
        /* serverKeyName is "<vault>_<key>_<version>": vault names have no
        ** '_' (SQL TDE with customer-managed keys). */
        const json_value *kn = at(c, p, "serverKeyName");
        e = cmk(c, res, NULL, "properties.serverKeyName", NULL);
        if (e && kn && kn->type == JSON_STRING && !moat__is_expression(kn) &&
            strchr(kn->str, '_')) {
            e->to_text = moat__dup(c, kn);
            e->to_name = moat__dupn(c->ld, kn->str, strcspn(kn->str, "_"));
            e->unknown = NULL;
        }
    }
    if (e)
        e->caller_resource = e->breaks = e->from = server;
}

static void des(rctx *c, const json_value *res, const json_value *p)
{
    cmk(c, res, at(c, p, "activeKey.keyUrl"), "properties.activeKey.keyUrl",
        NULL);
}

/* Event Hubs and Service Bus namespaces: keyVaultProperties is a list. */
static void namespace_cmk(rctx *c, const json_value *res, const json_value *p)
{
    const json_value *src = at(c, p, "encryption.keySource");
    const json_value *list = at(c, p, "encryption.keyVaultProperties");
    if (src == NULL || src->type != JSON_STRING ||
        !moat__eq_ci_z(src->str, "Microsoft.KeyVault") || list == NULL ||
        list->type != JSON_ARRAY)
        return;
    size_t i = 0;
    for (const json_value *k = list->child; k; k = k->next, i++) {
        char path[96];
        snprintf(path, sizeof path,
                 "properties.encryption.keyVaultProperties[%zu].keyVaultUri",
                 i);
        cmk(c, res, at(c, k, "keyVaultUri"), path,
            at(c, k, "identity.userAssignedIdentity"));
    }
}

static void registry(rctx *c, const json_value *res, const json_value *p)
{
    const json_value *st = at(c, p, "encryption.status");
    if (st == NULL || st->type != JSON_STRING ||
        !moat__eq_ci_z(st->str, "enabled"))
        return;
    cmk(c, res, at(c, p, "encryption.keyVaultProperties.keyIdentifier"),
        "properties.encryption.keyVaultProperties.keyIdentifier", NULL);
}

static void cosmos(rctx *c, const json_value *res, const json_value *p)
{
    const json_value *u = at(c, p, "keyVaultKeyUri");
    if (u)
        cmk(c, res, u, "properties.keyVaultKeyUri", NULL);
}

static void la_cluster(rctx *c, const json_value *res, const json_value *p)
{
    const json_value *u = at(c, p, "keyVaultProperties.keyVaultUri");
    if (u)
        cmk(c, res, u, "properties.keyVaultProperties.keyVaultUri", NULL);
}

/* A request to a storage account to write blobs. */
static dep_edge *writes_to(rctx *c, unsigned kind, const json_value *v,
                           const char *path, int by_uri)
{
    dep_edge *e = moat__dep_edge(c, kind, v, path);
    if (e == NULL)
        return NULL;
    if (by_uri)
        target_uri(c, e, v, 0);
    else
        target_id(c, e, v);
    e->endpoints = "blob";
    e->operation = "write";
    e->auth = "OAuth";
    return e;
}

/* Microsoft.Insights/diagnosticSettings, at any scope: the resource whose
** logs are lost is the part of the id before the extension. */
static void diagnostic_setting(rctx *c, const json_value *res,
                               const json_value *p)
{
    (void)res;
    const json_value *sa = at(c, p, "storageAccountId");
    if (sa == NULL)
        return;
    dep_edge *e =
        writes_to(c, DEP_DIAG, sa, "properties.storageAccountId", 0);
    if (e == NULL)
        return;
    e->caller_service = "Microsoft.Insights";
    const char *ext = "/providers/Microsoft.Insights/diagnosticSettings/";
    const char *id = c->res;
    for (const char *s = id; *s; s++) {
        if (moat__eq_ci(s, strlen(ext), ext, strlen(ext)) &&
            strlen(s) >= strlen(ext) && s > id) {
            e->breaks = e->scope = moat__dupn(c->ld, id, (size_t)(s - id));
            break;
        }
    }
}

static void flow_log(rctx *c, const json_value *res, const json_value *p)
{
    (void)res;
    const json_value *en = at(c, p, "enabled");
    if (en && en->type == JSON_FALSE)
        return;
    dep_edge *e =
        writes_to(c, DEP_FLOW, at(c, p, "storageId"), "properties.storageId", 0);
    if (e) {
        e->caller_service = "Microsoft.Network";
        e->scope = text(c, at(c, p, "targetResourceId"));
    }
}

static void sql_auditing(rctx *c, const json_value *res, const json_value *p)
{
    (void)res;
    const json_value *st = at(c, p, "state");
    const json_value *ep = at(c, p, "storageEndpoint");
    if (st == NULL || st->type != JSON_STRING ||
        !moat__eq_ci_z(st->str, "Enabled") || ep == NULL)
        return;
    dep_edge *e =
        writes_to(c, DEP_SQL_AUDIT, ep, "properties.storageEndpoint", 1);
    if (e == NULL)
        return;
    const char *server = parent_of(c, "auditingSettings");
    if (server == c->res)
        server = parent_of(c, "extendedAuditingSettings");
    if (moat__arm_parent_len(server, strlen(server), "databases"))
        server = moat__dupn(c->ld, server,
                            moat__arm_parent_len(server, strlen(server),
                                                 "databases"));
    e->from = e->breaks = e->caller_resource = server;
    /* With an access key the server writes with the key, not as the
    ** trusted managed identity (audit to a storage account behind a
    ** firewall: "storageAccountAccessKey" must be absent). */
    if (at(c, p, "storageAccountAccessKey"))
        e->auth = "AccountKey";
}

static void eh_capture(rctx *c, const json_value *res, const json_value *p)
{
    (void)res;
    const json_value *en = at(c, p, "captureDescription.enabled");
    if (!truthy(en))
        return;
    dep_edge *e = writes_to(
        c, DEP_EH_CAPTURE,
        at(c, p,
           "captureDescription.destination.properties.storageAccountResourceId"),
        "properties.captureDescription.destination.properties.storageAccountResourceId",
        0);
    if (e == NULL)
        return;
    e->caller_service = "Microsoft.EventHub";
    e->target = text(c, at(c, p,
                           "captureDescription.destination.properties.blobContainer"));
}

/*--------------------------------------------------------------------------
** App Service and Functions: app settings.
*/
typedef struct app_ctx {
    const char *site;
    const char *kv_identity; /* keyVaultReferenceIdentity, or NULL */
    const char *content_share;
} app_ctx;

/* "Key=Value;Key=Value" (a connection string, a Key Vault reference's
** parameters): the value of key, or NULL. */
static const char *param(rctx *c, const char *s, const char *key)
{
    size_t kl = strlen(key);
    while (*s) {
        while (*s == ';' || *s == ' ')
            s++;
        size_t n = strcspn(s, ";)");
        if (n > kl && s[kl] == '=' && moat__eq_ci(s, kl, key, kl))
            return moat__dupn(c->ld, s + kl + 1, n - kl - 1);
        s += n;
        if (*s == ')')
            break;
    }
    return NULL;
}

void moat__dep_kv_reference(rctx *c, dep_edge *e, const char *v)
{
    const char *args = v + strlen("@Microsoft.KeyVault(");
    e->to_text = moat__dupn(c->ld, v, strlen(v));
    const char *uri = param(c, args, "SecretUri");
    if (uri) {
        e->to_name = host_label(c, uri, ".vault.");
        const char *sec = strstr(uri, "/secrets/");
        if (sec)
            e->target = moat__dupn(c->ld, sec + 9, strcspn(sec + 9, "/"));
    } else {
        e->to_name = param(c, args, "VaultName");
        e->target = param(c, args, "SecretName");
    }
    if (e->to_name == NULL)
        e->unknown = "the reference names no vault";
    e->endpoints = "vault";
    e->operation = "read";
    e->auth = "OAuth";
}

static void kv_reference(rctx *c, const app_ctx *ac, const json_value *v,
                         const char *path)
{
    dep_edge *e = moat__dep_edge(c, DEP_KV_REF, v, path);
    if (e == NULL)
        return;
    e->from = e->breaks = ac->site;
    moat__dep_kv_reference(c, e, v->str);
    e->caller_resource = ac->kv_identity ? ac->kv_identity : ac->site;
}

/* AzureWebJobsStorage (a connection string), its identity-based form
** AzureWebJobsStorage__accountName, and the content share's connection
** string (mounted over SMB by the platform). */
static void host_storage(rctx *c, const app_ctx *ac, const char *name,
                         const json_value *v, const char *path)
{
    int content = moat__eq_ci_z(name, "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING");
    int by_name = moat__eq_ci_z(name, "AzureWebJobsStorage__accountName");
    if (!content && !by_name && !moat__eq_ci_z(name, "AzureWebJobsStorage"))
        return;
    dep_edge *e = moat__dep_edge(c, DEP_FUNC_STORAGE, v, path);
    if (e == NULL)
        return;
    e->from = e->breaks = ac->site;
    e->to_text = moat__dup(c, v);
    e->operation = "write";
    e->endpoints = content ? "file" : "blob,queue,table";
    e->protocol = content ? "SMB" : NULL;
    e->target = content ? ac->content_share : NULL;
    if (moat__is_expression(v)) {
        e->unknown = "the setting is a template expression";
    } else if (by_name) {
        e->to_name = e->to_text;
        e->auth = "OAuth";
        e->caller_resource = ac->site;
    } else if (strncmp(v->str, "@Microsoft.KeyVault(", 20) == 0) {
        e->unknown = "the connection string is a Key Vault reference: the account it names is known only to the vault";
    } else {
        e->to_name = param(c, v->str, "AccountName");
        e->auth = param(c, v->str, "AccountKey") ? "AccountKey"
                  : param(c, v->str, "SharedAccessSignature") ? "SAS"
                                                               : "OAuth";
        e->caller_resource = ac->site;
        if (e->to_name == NULL)
            e->unknown = "the connection string names no account";
    }
}

static void app_setting(rctx *c, const app_ctx *ac, const char *name,
                        const json_value *v, const char *path)
{
    if (v == NULL || v->type != JSON_STRING)
        return;
    if (strncmp(v->str, "@Microsoft.KeyVault(", 20) == 0)
        kv_reference(c, ac, v, path);
    host_storage(c, ac, name, v, path);
}

/* siteConfig.appSettings: [{"name", "value"}]; sites/config appsettings:
** {"name": "value"}. */
static void app_settings(rctx *c, app_ctx *ac, const json_value *list,
                         const char *base)
{
    char path[256];
    int arr = list->type == JSON_ARRAY;
    for (const json_value *s = list->child; s; s = s->next) {
        const json_value *n = arr ? at(c, s, "name") : NULL;
        const char *name = arr ? (n && n->type == JSON_STRING ? n->str : "")
                               : (s->key ? s->key : "");
        if (moat__eq_ci_z(name, "WEBSITE_CONTENTSHARE")) {
            const json_value *v = arr ? at(c, s, "value") : s;
            ac->content_share = text(c, v);
        }
    }
    size_t i = 0;
    for (const json_value *s = list->child; s; s = s->next, i++) {
        const json_value *n = arr ? at(c, s, "name") : NULL;
        const char *name = arr ? (n && n->type == JSON_STRING ? n->str : "")
                               : (s->key ? s->key : "");
        if (arr)
            snprintf(path, sizeof path, "%s[%zu].value", base, i);
        else
            snprintf(path, sizeof path, "%s.%s", base, name);
        app_setting(c, ac, name, arr ? at(c, s, "value") : s, path);
    }
}

/* Where an app's requests come from: its integration subnet, its outbound
** addresses, its region. */
static void site_network(rctx *c, const json_value *res, const json_value *p)
{
    dep_edge *e = moat__dep_edge(c, DEP_SITE_NET, res, "properties");
    if (e == NULL)
        return;
    e->subnet = text(c, at(c, p, "virtualNetworkSubnetId"));
    e->ips = text(c, at(c, p, "outboundIpAddresses"));
    e->region = text(c, at(c, res, "location"));
    e->route_all = (uint8_t)(truthy(at(c, p, "vnetRouteAllEnabled")) ||
                             truthy(at(c, p, "siteConfig.vnetRouteAllEnabled")));
    if (e->subnet && moat__is_expression(at(c, p, "virtualNetworkSubnetId")))
        e->unknown = "its integration subnet is a template expression";
}

static void site(rctx *c, const json_value *res, const json_value *p)
{
    site_network(c, res, p);
    app_ctx ac = {c->res, text(c, at(c, p, "keyVaultReferenceIdentity")),
                  NULL};
    if (ac.kv_identity && moat__eq_ci_z(ac.kv_identity, "SystemAssigned"))
        ac.kv_identity = NULL;
    const json_value *list = at(c, p, "siteConfig.appSettings");
    if (list && (list->type == JSON_ARRAY || list->type == JSON_OBJECT))
        app_settings(c, &ac, list, "properties.siteConfig.appSettings");
}

static void site_config(rctx *c, const json_value *res, const json_value *p)
{
    (void)res;
    size_t n = strlen(c->res);
    if (n < 12 || !moat__eq_ci_z(c->res + n - 12, "/appsettings"))
        return;
    app_ctx ac = {parent_of(c, "config"), NULL, NULL};
    if (p && p->type == JSON_OBJECT)
        app_settings(c, &ac, p, "properties");
}

/*--------------------------------------------------------------------------
** Features a perimeter does not support (seed 003, "Limitations").
*/
static dep_edge *feature(rctx *c, unsigned kind, const json_value *where,
                         const char *path, const char *account)
{
    dep_edge *e = moat__dep_edge(c, kind, where, path);
    if (e)
        e->to_id = e->breaks = account;
    return e;
}

static void file_share(rctx *c, const json_value *res, const json_value *p)
{
    (void)res;
    const json_value *pr = at(c, p, "enabledProtocols");
    int nfs = pr && pr->type == JSON_STRING && moat__eq_ci_z(pr->str, "NFS");
    feature(c, nfs ? DEP_F_NFS : DEP_F_SMB, pr, "properties.enabledProtocols",
            parent_of(c, "fileServices"));
}

static void account_ref(rctx *c, unsigned kind, const json_value *v,
                        const char *path)
{
    dep_edge *e = moat__dep_edge(c, kind, v, path);
    if (e == NULL)
        return;
    target_id(c, e, v);
    e->breaks = e->to_id ? e->to_id : e->to_name;
    if (e->breaks == NULL)
        e->breaks = c->res;
}

static void object_replication(rctx *c, const json_value *res,
                               const json_value *p)
{
    (void)res;
    const json_value *s = at(c, p, "sourceAccount");
    const json_value *d = at(c, p, "destinationAccount");
    if (s)
        account_ref(c, DEP_F_OBJREP, s, "properties.sourceAccount");
    if (d)
        account_ref(c, DEP_F_OBJREP, d, "properties.destinationAccount");
    if (s == NULL && d == NULL)
        feature(c, DEP_F_OBJREP, p, "properties",
                parent_of(c, "objectReplicationPolicies"));
}

static void management_policy(rctx *c, const json_value *res,
                              const json_value *p)
{
    (void)res;
    feature(c, DEP_F_LIFECYCLE, p, "properties.policy",
            parent_of(c, "managementPolicies"));
}

static void inventory_policy(rctx *c, const json_value *res,
                             const json_value *p)
{
    (void)res;
    const json_value *en = at(c, p, "policy.enabled");
    if (en && en->type == JSON_FALSE)
        return;
    feature(c, DEP_F_INVENTORY, p, "properties.policy",
            parent_of(c, "inventoryPolicies"));
}

static void vhd(rctx *c, const json_value *disk, const char *path)
{
    const json_value *u = at(c, disk, "vhd.uri");
    if (u == NULL)
        return;
    dep_edge *e = moat__dep_edge(c, DEP_F_UNMANAGED_DISK, u, path);
    if (e == NULL)
        return;
    target_uri(c, e, u, 0);
    e->breaks = e->to_name ? e->to_name : c->res;
}

static void virtual_machine(rctx *c, const json_value *res,
                            const json_value *p)
{
    (void)res;
    vhd(c, at(c, p, "storageProfile.osDisk"),
        "properties.storageProfile.osDisk.vhd.uri");
    const json_value *dd = at(c, p, "storageProfile.dataDisks");
    size_t i = 0;
    for (const json_value *d = dd && dd->type == JSON_ARRAY ? dd->child : NULL;
         d; d = d->next, i++) {
        char path[96];
        snprintf(path, sizeof path,
                 "properties.storageProfile.dataDisks[%zu].vhd.uri", i);
        vhd(c, d, path);
    }
}

static void backup_instance(rctx *c, const json_value *res,
                            const json_value *p)
{
    (void)res;
    const json_value *t = at(c, p, "dataSourceInfo.datasourceType");
    if (t == NULL || t->type != JSON_STRING ||
        strstr(t->str, "lobServices") == NULL)
        return;
    account_ref(c, DEP_F_BACKUP, at(c, p, "dataSourceInfo.resourceID"),
                "properties.dataSourceInfo.resourceID");
}

/*--------------------------------------------------------------------------
** Dispatch.
*/
static const struct {
    const char *type;
    void (*read)(rctx *, const json_value *, const json_value *);
} readers[] = {
    {"Microsoft.Storage/storageAccounts", storage_account},
    {"Microsoft.Sql/servers/encryptionProtector", sql_protector},
    {"Microsoft.Compute/diskEncryptionSets", des},
    {"Microsoft.EventHub/namespaces", namespace_cmk},
    {"Microsoft.ServiceBus/namespaces", namespace_cmk},
    {"Microsoft.ContainerRegistry/registries", registry},
    {"Microsoft.DocumentDB/databaseAccounts", cosmos},
    {"Microsoft.OperationalInsights/clusters", la_cluster},
    {"Microsoft.Insights/diagnosticSettings", diagnostic_setting},
    {"Microsoft.Network/networkWatchers/flowLogs", flow_log},
    {"Microsoft.Sql/servers/auditingSettings", sql_auditing},
    {"Microsoft.Sql/servers/extendedAuditingSettings", sql_auditing},
    {"Microsoft.Sql/servers/databases/auditingSettings", sql_auditing},
    {"Microsoft.Sql/servers/databases/extendedAuditingSettings", sql_auditing},
    {"Microsoft.EventHub/namespaces/eventhubs", eh_capture},
    {"Microsoft.Web/sites", site},
    {"Microsoft.Web/sites/config", site_config},
    {"Microsoft.Storage/storageAccounts/fileServices/shares", file_share},
    {"Microsoft.Storage/storageAccounts/objectReplicationPolicies",
     object_replication},
    {"Microsoft.Storage/storageAccounts/managementPolicies", management_policy},
    {"Microsoft.Storage/storageAccounts/inventoryPolicies", inventory_policy},
    {"Microsoft.Compute/virtualMachines", virtual_machine},
    {"Microsoft.DataProtection/backupVaults/backupInstances", backup_instance},
};

/* The reader of a type; -1 when it has none. A diagnostic setting at a
** resource's scope is typed "<type>/providers/diagnosticSettings". */
static int reader_of(const char *type, size_t n)
{
    for (size_t i = 0; i < MOAT_ARRAY_LEN(readers); i++) {
        if (moat__eq_ci(readers[i].type, strlen(readers[i].type), type, n))
            return (int)i;
    }
    static const char diag[] = "/providers/diagnosticSettings";
    if (n > sizeof diag - 1 &&
        moat__eq_ci(type + n - (sizeof diag - 1), sizeof diag - 1, diag,
                    sizeof diag - 1))
        return reader_of("Microsoft.Insights/diagnosticSettings",
                         strlen("Microsoft.Insights/diagnosticSettings"));
    return -1;
}

int moat__dep_type(const char *type, size_t n)
{
    return reader_of(type, n) >= 0;
}

int moat__read_deps(rctx *c, const json_value *res)
{
    const json_value *type = moat__json_get(res, "type");
    if (type == NULL || type->type != JSON_STRING)
        return 0;
    int k = reader_of(type->str, type->len);
    if (k < 0)
        return 0;
    const json_value *p = moat__member(c, res, "properties", NULL);
    if (p == NULL || p->type != JSON_OBJECT)
        p = res; /* az's flattened output */
    readers[k].read(c, res, p);
    return 1;
}
