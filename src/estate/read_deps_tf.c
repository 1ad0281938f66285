/*
** read_deps_tf.c - the dependency edges of a Terraform plan or state
** (`terraform show -json`), the same edges read_deps.c reads from ARM, and
** the data-plane resources a runner creates (MOAT017). Arguments per
** hashicorp/terraform-provider-azurerm's documentation (website/docs/r,
** provider 5.2.0); which resources reach the data plane per its code
** (docs/audit.md "Deployment pre-flight").
*/
#include "load.h"

#include <string.h>

typedef struct tfd {
    tf *t;
    tf_res *r;
    rctx c;
} tfd;

static const char *str(tfd *d, const char *blk, const char *attr)
{
    const json_value *v = moat__tf_value(d->t, d->r, blk, attr);
    return v && v->type == JSON_STRING && v->len ? v->str : NULL;
}

static int flag(tfd *d, const char *blk, const char *attr)
{
    const json_value *v = moat__tf_value(d->t, d->r, blk, attr);
    return v && v->type == JSON_TRUE;
}

static dep_edge *edge(tfd *d, unsigned kind, const char *blk,
                      const char *attr)
{
    char path[128];
    snprintf(path, sizeof path, "%s%s%s", blk ? blk : "", blk ? "." : "",
             attr);
    const json_value *v = moat__tf_value(d->t, d->r, blk, attr);
    dep_edge *e = moat__dep_edge(&d->c, kind, v, path);
    if (e) {
        e->from = e->breaks = moat__tf_id(d->t, d->r);
    }
    return e;
}

/* The vault of a key: its id's host when known, else the vault the
** referenced azurerm_key_vault_key (or azurerm_key_vault) names. */
static void key_target(tfd *d, dep_edge *e, const char *blk, const char *attr)
{
    const char *known = str(d, blk, attr);
    if (known) {
        moat__dep_target(&d->c, e, known, DEP_BY_VAULT_URI);
        return;
    }
    tf_res *k = moat__tf_ref_res(d->t, d->r, blk, attr);
    if (k && strcmp(moat__tf_type(k), "azurerm_key_vault_key") == 0) {
        const char *vault = moat__tf_ref(d->t, k, NULL, "key_vault_id");
        if (vault) {
            moat__dep_target(&d->c, e, vault, DEP_BY_ID);
            return;
        }
    }
    e->unknown = "the key is named by a value known only after apply that moat cannot follow to a vault";
}

/* A storage account by id, or by name (the older provider form). */
static void account_target(tfd *d, dep_edge *e, const char *id_attr,
                           const char *name_attr)
{
    const char *id = id_attr ? moat__tf_ref(d->t, d->r, NULL, id_attr) : NULL;
    if (id == NULL && name_attr) {
        tf_res *a = moat__tf_ref_res(d->t, d->r, NULL, name_attr);
        id = a ? moat__tf_id(d->t, a) : str(d, NULL, name_attr);
    }
    if (id)
        moat__dep_target(&d->c, e, id, DEP_BY_ID);
    else
        e->unknown = "the storage account is named by a value known only after apply";
}

static void cmk(tfd *d, const char *blk, const char *key_attr,
                const char *owner_attr)
{
    dep_edge *e = edge(d, DEP_CMK, blk, key_attr);
    if (e == NULL)
        return;
    key_target(d, e, blk, key_attr);
    if (owner_attr) {
        const char *owner = moat__tf_ref(d->t, d->r, NULL, owner_attr);
        if (owner)
            e->from = e->breaks = owner;
        else
            e->unknown = "the resource it encrypts is not in the plan";
    }
    e->endpoints = "vault";
    e->operation = "read";
    e->auth = "OAuth";
    const char *uai = moat__tf_ref(d->t, d->r, blk, "user_assigned_identity_id");
    e->caller_resource = uai ? uai : e->from;
    if (str(d, blk, "federated_identity_client_id"))
        e->federated = 1;
}

static void storage_account(tfd *d)
{
    if (moat__tf_value(d->t, d->r, "customer_managed_key", "key_vault_key_id") ||
        moat__tf_unknown(d->t, d->r, "customer_managed_key", "key_vault_key_id"))
        cmk(d, "customer_managed_key", "key_vault_key_id", NULL);
    static const struct {
        const char *attr;
        unsigned kind;
    } f[] = {{"sftp_enabled", DEP_F_SFTP}, {"nfsv3_enabled", DEP_F_NFS}};
    for (size_t i = 0; i < MOAT_ARRAY_LEN(f); i++) {
        if (!flag(d, NULL, f[i].attr))
            continue;
        dep_edge *e = edge(d, f[i].kind, NULL, f[i].attr);
        if (e)
            e->to_id = e->from;
    }
}

static dep_edge *writes_blob(tfd *d, unsigned kind, const char *blk,
                             const char *attr, const char *service)
{
    dep_edge *e = edge(d, kind, blk, attr);
    if (e == NULL)
        return NULL;
    const char *id = moat__tf_ref(d->t, d->r, blk, attr);
    if (id)
        moat__dep_target(&d->c, e, id, DEP_BY_ID);
    else
        e->unknown = "the storage account is named by a value known only after apply";
    e->endpoints = "blob";
    e->operation = "write";
    e->auth = "OAuth";
    e->caller_service = service;
    return e;
}

static void diagnostic_setting(tfd *d)
{
    if (moat__tf_value(d->t, d->r, NULL, "storage_account_id") == NULL &&
        !moat__tf_unknown(d->t, d->r, NULL, "storage_account_id"))
        return;
    dep_edge *e = writes_blob(d, DEP_DIAG, NULL, "storage_account_id",
                              "Microsoft.Insights");
    if (e == NULL)
        return;
    const char *target = moat__tf_ref(d->t, d->r, NULL, "target_resource_id");
    if (target)
        e->breaks = e->scope = target;
}

static void flow_log(tfd *d)
{
    const json_value *en = moat__tf_value(d->t, d->r, NULL, "enabled");
    if (en && en->type == JSON_FALSE)
        return;
    dep_edge *e = writes_blob(d, DEP_FLOW, NULL, "storage_account_id",
                              "Microsoft.Network");
    if (e)
        e->scope = moat__tf_ref(d->t, d->r, NULL, "target_resource_id");
}

static void sql_auditing(tfd *d)
{
    const json_value *en = moat__tf_value(d->t, d->r, NULL, "enabled");
    const char *ep = str(d, NULL, "blob_storage_endpoint");
    if ((en && en->type == JSON_FALSE) ||
        (ep == NULL && !moat__tf_unknown(d->t, d->r, NULL, "blob_storage_endpoint")))
        return;
    dep_edge *e = edge(d, DEP_SQL_AUDIT, NULL, "blob_storage_endpoint");
    if (e == NULL)
        return;
    if (ep)
        moat__dep_target(&d->c, e, ep, DEP_BY_STORAGE_URI);
    else
        e->unknown = "the storage endpoint is known only after apply";
    const char *server = moat__tf_ref(d->t, d->r, NULL, "server_id");
    if (server == NULL)
        server = moat__tf_ref(d->t, d->r, NULL, "database_id");
    if (server)
        e->from = e->breaks = server;
    e->caller_resource = e->from;
    e->endpoints = "blob";
    e->operation = "write";
    e->auth = str(d, NULL, "storage_account_access_key") ? "AccountKey"
                                                           : "OAuth";
}

static void eventhub(tfd *d)
{
    const json_value *cap = moat__tf_value(d->t, d->r, NULL, "capture_description");
    const json_value *blk = cap && cap->type == JSON_ARRAY ? cap->child : NULL;
    const json_value *en = blk ? moat__json_get(blk, "enabled") : NULL;
    const json_value *dst = blk ? moat__json_get(blk, "destination") : NULL;
    dst = dst && dst->type == JSON_ARRAY ? dst->child : NULL;
    if (en == NULL || en->type != JSON_TRUE || dst == NULL)
        return;
    const json_value *sa = moat__json_get(dst, "storage_account_id");
    dep_edge *e = edge(d, DEP_EH_CAPTURE, "capture_description",
                       "destination.storage_account_id");
    if (e == NULL)
        return;
    if (sa && sa->type == JSON_STRING)
        moat__dep_target(&d->c, e, sa->str, DEP_BY_ID);
    else
        e->unknown = "the storage account is known only after apply";
    e->endpoints = "blob";
    e->operation = "write";
    e->auth = "OAuth";
    e->caller_service = "Microsoft.EventHub";
    const json_value *bc = moat__json_get(dst, "blob_container_name");
    if (bc && bc->type == JSON_STRING)
        e->target = moat__dup(&d->c, bc);
}

/*--------------------------------------------------------------------------
** App Service and Functions.
*/

/* Where the app's requests come from (DEP_SITE_NET). */
static void site_network(tfd *d, const char *site)
{
    dep_edge *e = edge(d, DEP_SITE_NET, NULL, "virtual_network_subnet_id");
    if (e == NULL)
        return;
    e->from = e->breaks = site;
    e->subnet = moat__tf_ref(d->t, d->r, NULL, "virtual_network_subnet_id");
    const char *ips = str(d, NULL, "outbound_ip_addresses");
    e->ips = ips ? moat__dupn(d->c.ld, ips, strlen(ips)) : NULL;
    const char *loc = str(d, NULL, "location");
    e->region = loc ? moat__dupn(d->c.ld, loc, strlen(loc)) : NULL;
    e->route_all = (uint8_t)flag(d, "site_config", "vnet_route_all_enabled");
}

/* storage_account_name: azurerm writes AzureWebJobsStorage (a connection
** string with the account key) or, with storage_uses_managed_identity,
** AzureWebJobsStorage__accountName (function_app_schema.go). */
static void function_storage(tfd *d, const char *site)
{
    if (str(d, NULL, "storage_account_name") == NULL &&
        !moat__tf_unknown(d->t, d->r, NULL, "storage_account_name"))
        return;
    dep_edge *e = edge(d, DEP_FUNC_STORAGE, NULL, "storage_account_name");
    if (e == NULL)
        return;
    e->from = e->breaks = e->caller_resource = site;
    account_target(d, e, NULL, "storage_account_name");
    e->endpoints = "blob,queue,table";
    e->operation = "write";
    e->auth = flag(d, NULL, "storage_uses_managed_identity") ? "OAuth"
                                                              : "AccountKey";
}

static void app_settings(tfd *d, const char *site)
{
    const json_value *m = moat__tf_value(d->t, d->r, NULL, "app_settings");
    if (m == NULL || m->type != JSON_OBJECT)
        return;
    const char *kvid = moat__tf_ref(d->t, d->r, NULL,
                                    "key_vault_reference_identity_id");
    for (const json_value *s = m->child; s; s = s->next) {
        if (s->type != JSON_STRING ||
            strncmp(s->str, "@Microsoft.KeyVault(", 20) != 0)
            continue;
        char path[160];
        snprintf(path, sizeof path, "app_settings.%s", s->key);
        dep_edge *e = moat__dep_edge(&d->c, DEP_KV_REF, s, path);
        if (e == NULL)
            return;
        e->from = e->breaks = site;
        moat__dep_kv_reference(&d->c, e, s->str);
        e->caller_resource = kvid ? kvid : site;
    }
}

static void app(tfd *d)
{
    const char *site = moat__tf_id(d->t, d->r);
    site_network(d, site);
    if (strstr(moat__tf_type(d->r), "function_app"))
        function_storage(d, site);
    app_settings(d, site);
}

/*--------------------------------------------------------------------------
** Features a perimeter does not support, by the account they concern.
*/
static void feature(tfd *d, unsigned kind, const char *id_attr,
                    const char *name_attr, const char *path)
{
    dep_edge *e = edge(d, kind, NULL, path);
    if (e == NULL)
        return;
    account_target(d, e, id_attr, name_attr);
    e->breaks = e->to_id ? e->to_id : e->to_name ? e->to_name : e->from;
}

static void share(tfd *d)
{
    const char *p = str(d, NULL, "enabled_protocol");
    feature(d, p && moat__eq_ci_z(p, "NFS") ? DEP_F_NFS : DEP_F_SMB,
            "storage_account_id", "storage_account_name", "enabled_protocol");
}

static void object_replication(tfd *d)
{
    feature(d, DEP_F_OBJREP, "source_storage_account_id", NULL,
            "source_storage_account_id");
    feature(d, DEP_F_OBJREP, "destination_storage_account_id", NULL,
            "destination_storage_account_id");
}

static void unmanaged_disks(tfd *d)
{
    static const char *const blocks[] = {"storage_os_disk",
                                         "storage_data_disk"};
    for (size_t i = 0; i < MOAT_ARRAY_LEN(blocks); i++) {
        const char *uri = str(d, blocks[i], "vhd_uri");
        if (uri == NULL)
            continue;
        dep_edge *e = edge(d, DEP_F_UNMANAGED_DISK, blocks[i], "vhd_uri");
        if (e == NULL)
            return;
        moat__dep_target(&d->c, e, uri, DEP_BY_STORAGE_URI);
        e->breaks = e->to_name ? e->to_name : e->from;
    }
}

/*--------------------------------------------------------------------------
** Data-plane resources: requests from the runner (MOAT017).
*/
static const struct {
    const char *type;
    const char *endpoint;
    int by_name_only; /* data plane only in the storage_account_name form */
} planes[] = {
    {"azurerm_storage_container", "blob", 1},
    {"azurerm_storage_share", "file", 1},
    {"azurerm_storage_queue", "queue", 1},
    {"azurerm_storage_table", "table", 0},
    {"azurerm_storage_blob", "blob", 0},
    {"azurerm_storage_data_lake_gen2_filesystem", "dfs", 0},
    {"azurerm_key_vault_secret", "vault", 0},
    {"azurerm_key_vault_key", "vault", 0},
    {"azurerm_key_vault_certificate", "vault", 0},
};

static dep_edge *runner_edge(tfd *d, const char *endpoint, const char *path)
{
    dep_edge *e = edge(d, DEP_RUNNER, NULL, path);
    if (e == NULL)
        return NULL;
    e->breaks = e->address;
    e->endpoints = endpoint;
    e->operation = "write";
    /* azurerm signs storage requests with the account key it lists
    ** (storage_use_azuread defaults to false); Key Vault takes tokens. */
    e->auth = strcmp(endpoint, "vault") == 0 ? "OAuth" : "AccountKey";
    return e;
}

static int data_plane(tfd *d)
{
    const char *type = moat__tf_type(d->r);
    size_t k = 0;
    while (k < MOAT_ARRAY_LEN(planes) && strcmp(planes[k].type, type) != 0)
        k++;
    if (k == MOAT_ARRAY_LEN(planes))
        return 0;
    int vault = strcmp(planes[k].endpoint, "vault") == 0;
    int has_id = moat__tf_value(d->t, d->r, NULL, "storage_account_id") ||
                 moat__tf_unknown(d->t, d->r, NULL, "storage_account_id");
    if (planes[k].by_name_only && has_id)
        return 1; /* storage_account_id: Azure Resource Manager, no firewall */
    const char *attr = vault ? "key_vault_id"
                       : has_id ? "storage_account_id"
                                : "storage_account_name";
    dep_edge *e = runner_edge(d, planes[k].endpoint, attr);
    if (e == NULL)
        return 1;
    if (vault) {
        const char *id = moat__tf_ref(d->t, d->r, NULL, "key_vault_id");
        if (id)
            moat__dep_target(&d->c, e, id, DEP_BY_ID);
        else
            e->unknown = "the key vault is named by a value known only after apply";
    } else {
        account_target(d, e, has_id ? "storage_account_id" : NULL,
                       has_id ? NULL : "storage_account_name");
    }
    const char *target = strcmp(type, "azurerm_storage_blob") == 0
                             ? str(d, NULL, "storage_container_name")
                             : moat__tf_name(d->t, d->r);
    e->target = target ? moat__dupn(d->c.ld, target, strlen(target)) : NULL;
    return 1;
}

/* azapi_data_plane_resource: Key Vault types go to the vault host named
** by parent_id ("myvault.vault.azure.net"); azapi_resource goes through
** Azure Resource Manager, which the firewall does not filter. */
static int azapi_data_plane(tfd *d)
{
    const char *type = str(d, NULL, "type");
    if (type == NULL || strncmp(type, "Microsoft.KeyVault/vaults/", 26) != 0)
        return 0;
    dep_edge *e = runner_edge(d, "vault", "parent_id");
    if (e == NULL)
        return 1;
    const char *parent = str(d, NULL, "parent_id");
    if (parent)
        moat__dep_target(&d->c, e, parent, DEP_BY_VAULT_URI);
    else
        e->unknown = "the vault (parent_id) is known only after apply";
    return 1;
}

/*--------------------------------------------------------------------------
** Dispatch.
*/
/* azurerm_eventhub_namespace_customer_managed_key: a list of keys. */
static void eventhub_cmk(tfd *d)
{
    const json_value *l = moat__tf_value(d->t, d->r, NULL, "key_vault_key_ids");
    const json_value *k = l && l->type == JSON_ARRAY ? l->child : NULL;
    dep_edge *e = edge(d, DEP_CMK, NULL, "key_vault_key_ids");
    if (e == NULL)
        return;
    if (k && k->type == JSON_STRING)
        moat__dep_target(&d->c, e, k->str, DEP_BY_VAULT_URI);
    else
        e->unknown = "the keys are known only after apply";
    const char *ns = moat__tf_ref(d->t, d->r, NULL, "eventhub_namespace_id");
    if (ns)
        e->from = e->breaks = ns;
    e->caller_resource = e->from;
    e->endpoints = "vault";
    e->operation = "read";
    e->auth = "OAuth";
}

static int other(tfd *d, const char *type)
{
    static const struct {
        const char *type;
        void (*read)(tfd *);
    } readers[] = {
        {"azurerm_storage_account", storage_account},
        {"azurerm_monitor_diagnostic_setting", diagnostic_setting},
        {"azurerm_network_watcher_flow_log", flow_log},
        {"azurerm_mssql_server_extended_auditing_policy", sql_auditing},
        {"azurerm_mssql_database_extended_auditing_policy", sql_auditing},
        {"azurerm_eventhub", eventhub},
        {"azurerm_eventhub_namespace_customer_managed_key", eventhub_cmk},
        {"azurerm_linux_function_app", app},
        {"azurerm_windows_function_app", app},
        {"azurerm_linux_web_app", app},
        {"azurerm_windows_web_app", app},
        {"azurerm_object_replication", object_replication},
        {"azurerm_storage_object_replication", object_replication},
        {"azurerm_virtual_machine", unmanaged_disks},
    };
    for (size_t i = 0; i < MOAT_ARRAY_LEN(readers); i++) {
        if (strcmp(type, readers[i].type) == 0) {
            readers[i].read(d);
            return 1;
        }
    }
    if (strcmp(type, "azurerm_container_registry") == 0) {
        if (moat__tf_value(d->t, d->r, "encryption", "key_vault_key_id"))
            cmk(d, "encryption", "key_vault_key_id", NULL);
        return 1;
    }
    static const struct {
        const char *type;
        unsigned kind;
    } features[] = {
        {"azurerm_storage_management_policy", DEP_F_LIFECYCLE},
        {"azurerm_storage_blob_inventory_policy", DEP_F_INVENTORY},
        {"azurerm_data_protection_backup_instance_blob_storage", DEP_F_BACKUP},
    };
    for (size_t i = 0; i < MOAT_ARRAY_LEN(features); i++) {
        if (strcmp(type, features[i].type) == 0) {
            feature(d, features[i].kind, "storage_account_id", NULL,
                    "storage_account_id");
            return 1;
        }
    }
    if (strcmp(type, "azurerm_storage_share") == 0)
        share(d);
    if (strcmp(type, "azapi_data_plane_resource") == 0)
        return azapi_data_plane(d);
    return data_plane(d);
}

static void key_cmk(tfd *d, const char *owner)
{
    cmk(d, NULL, "key_vault_key_id", owner);
}

int moat__read_tf_deps(tf *t, tf_res *r)
{
    tfd d;
    d.t = t;
    d.r = r;
    moat__tf_ctx(t, r, &d.c);
    const char *type = moat__tf_type(r);
    static const struct {
        const char *type;
        const char *owner; /* the attribute naming the encrypted resource */
    } cmks[] = {
        {"azurerm_storage_account_customer_managed_key", "storage_account_id"},
        {"azurerm_mssql_server_transparent_data_encryption", "server_id"},
        {"azurerm_disk_encryption_set", NULL},
        {"azurerm_servicebus_namespace_customer_managed_key", "namespace_id"},
        {"azurerm_cosmosdb_account", NULL},
        {"azurerm_log_analytics_cluster_customer_managed_key",
         "log_analytics_cluster_id"},
    };
    for (size_t i = 0; i < MOAT_ARRAY_LEN(cmks); i++) {
        if (strcmp(type, cmks[i].type) != 0)
            continue;
        if (moat__tf_value(t, r, NULL, "key_vault_key_id") ||
            moat__tf_unknown(t, r, NULL, "key_vault_key_id"))
            key_cmk(&d, cmks[i].owner);
        return 1;
    }
    return other(&d, type);
}
