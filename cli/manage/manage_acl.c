/*
** manage_acl.c - where a resource's firewall sits in an estate file, and
** the address and subnet checks of az and Azure.
*/
#include "manage_acl.h"
#include "manage_generic.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What Azure answers when no firewall was ever set: storage accounts carry
** it always; a vault carries none until the first change, then this
** (azure-cli-recordings: storage_account_service_endpoints step 1,
** keyvault_network_rule step 11; key order as Azure answers). */
static const char storage_default[] =
    "{\"bypass\": \"AzureServices\", \"virtualNetworkRules\": [], \"ipRules\": [], \"defaultAction\": \"Allow\"}";
static const char vault_default[] =
    "{\"bypass\": \"AzureServices\", \"defaultAction\": \"Allow\", \"ipRules\": [], \"virtualNetworkRules\": []}";

const char *acl_name(const cli_args *a)
{
    const char *n = cli_get(a, "name");
    if (n == NULL)
        n = cli_get(a, "account-name");
    if (n == NULL)
        n = cli_get(a, "vault-name");
    return n;
}

/* az shows storage flattened (no "properties", the firewall as
** networkRuleSet); ARM nests it under properties as networkAcls. */
static void locate(acl_ctx *c)
{
    const moat_node *props = mg_properties(c->res);
    int flattened =
        props == NULL && (moat_node_get(c->res, "networkRuleSet") ||
                          moat_node_get(c->res, "provisioningState") ||
                          moat_node_get(c->res, "primaryEndpoints"));
    c->parent = props ? props : (flattened ? c->res : NULL);
    c->acls = NULL;
    if (c->parent) {
        c->acls = moat_node_get(c->parent, "networkAcls");
        if (c->acls == NULL)
            c->acls = moat_node_get(c->parent, "networkRuleSet");
    }
    if (c->acls && moat_node_kind(c->acls) == MOAT_NODE_NULL)
        c->acls = NULL;
}

int acl_refind(acl_ctx *c)
{
    c->res = mg_find(&c->m, &c->target);
    if (c->res == NULL)
        return MG_NOT_FOUND;
    locate(c);
    return MG_OK;
}

static int create_acls(acl_ctx *c)
{
    const char *def = c->kind == ACL_STORAGE ? storage_default : vault_default;
    moat_error err;
    moat_status rc;
    if (c->parent == NULL) {
        char json[512];
        snprintf(json, sizeof json, "{\"networkAcls\": %s}", def);
        rc = moat_doc_add(c->m.doc, c->res, "properties", json, &err);
    } else {
        /* az prints "networkAcls": null for a vault that has none. */
        const moat_node *null_acls = moat_node_get(c->parent, "networkAcls");
        if (null_acls == NULL)
            null_acls = moat_node_get(c->parent, "networkRuleSet");
        int az_form = c->parent == c->res;
        rc = null_acls
                 ? moat_doc_replace(c->m.doc, null_acls, def, &err)
                 : moat_doc_add(c->m.doc, c->parent,
                                az_form ? "networkRuleSet" : "networkAcls", def,
                                &err);
    }
    if (rc != MOAT_OK) {
        cli_error("%s", err.message);
        return MG_NOT_WRITTEN;
    }
    int st = mg_apply(&c->m);
    return st == MG_OK ? acl_refind(c) : st;
}

int acl_open(acl_ctx *c, acl_kind kind, const char *command, const cli_args *a,
             int create)
{
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->target.type = kind == ACL_STORAGE ? TYPE_STORAGE : TYPE_VAULT;
    c->target.what = kind == ACL_STORAGE ? "storage account" : "key vault";
    c->target.name = acl_name(a);
    c->target.group = cli_get(a, "resource-group");
    c->target.subscription = cli_get(a, "subscription");
    c->m.command = command;
    int rc = mg_target_ids(&c->m, a, &c->target, c->id_group, c->id_sub,
                           sizeof c->id_group);
    if (rc != MG_OK)
        return rc;
    if (c->target.name == NULL)
        return mg_usage(&c->m, "give the %s's name: --name NAME (or --ids ID)",
                        c->target.what);
    rc = mg_open(&c->m, command, a, &c->target);
    if (rc == MG_OK)
        rc = acl_refind(c);
    if (rc == MG_OK && c->acls && moat_node_kind(c->acls) != MOAT_NODE_OBJECT) {
        cli_error("%s: the firewall of %s is not an object; fix the file first",
                  c->m.file.path, c->target.name);
        return MG_NOT_FOUND;
    }
    if (rc == MG_OK && create && c->acls == NULL)
        rc = create_acls(c);
    return rc;
}

int acl_set(acl_ctx *c, const moat_node *obj, const char *key, const char *json)
{
    return mg_set(&c->m, obj, key, json);
}

const moat_node *acl_list(const acl_ctx *c, const char *key)
{
    const moat_node *l = moat_node_get(c->acls, key);
    return moat_node_kind(l) == MOAT_NODE_ARRAY ? l : NULL;
}

int acl_append(acl_ctx *c, const char *key, char **elements, size_t n)
{
    if (n == 0)
        return MG_OK;
    const moat_node *list = acl_list(c, key);
    moat_error err;
    if (list) {
        for (size_t i = 0; i < n; i++) {
            if (moat_doc_add(c->m.doc, list, NULL, elements[i], &err) !=
                MOAT_OK) {
                cli_error("%s", err.message);
                return MG_NOT_WRITTEN;
            }
        }
        return MG_OK;
    }
    tool_buf b = {0};
    tb_printf(&b, "[");
    for (size_t i = 0; i < n; i++)
        tb_printf(&b, "%s%s", i ? ", " : "", elements[i]);
    tb_printf(&b, "]");
    int rc = b.failed ? MG_NOT_WRITTEN : acl_set(c, c->acls, key, b.s);
    tb_free(&b);
    return rc;
}

const char *acl_rule_text(const moat_node *e)
{
    if (moat_node_kind(e) == MOAT_NODE_STRING)
        return moat_node_text(e);
    static const char *const keys[] = {"value", "ipAddressOrRange", "id",
                                       "virtualNetworkResourceId"};
    for (size_t i = 0; i < 4; i++) {
        const char *s = mg_str(e, keys[i]);
        if (s)
            return s;
    }
    return NULL;
}

int acl_parse_ip(acl_ctx *c, const char *text, int family, moat_range *r)
{
    const char *accepted =
        family == 6
            ? "an IPv6 address or range such as 2001:db8::1 or 2001:db8::/48"
            : "an IPv4 address or range such as 25.1.2.3 or 25.2.0.0/24";
    if (moat_range_parse(text, r) != MOAT_OK)
        return mg_usage(&c->m,
                        "'%s' is not an address or CIDR range; expected %s",
                        text, accepted);
    if (r->family != family) {
        if (c->kind == ACL_VAULT)
            return mg_refuse(
                &c->m, "'%s' is IPv6: Key Vault firewall rules take IPv4 only",
                text);
        return mg_usage(&c->m, "'%s' is IPv%d: give it with %s", text,
                        r->family,
                        r->family == 6 ? "--ipv6-address" : "--ip-address");
    }
    if (r->host_bits) {
        char net[64];
        moat_range_format(r, net, sizeof net);
        /* az parses with Python's ip_network(), which refuses these. */
        return mg_usage(
            &c->m,
            "'%s' has host bits set: write the range by its network address, %s",
            text, net);
    }
    if (c->kind == ACL_STORAGE && family == 4 && !r->bare && r->prefix > 30)
        return mg_refuse(
            &c->m,
            "'%s': Azure Storage refuses /31 and /32 ranges; write single addresses bare (25.1.2.3), ranges as /30 or wider",
            text);
    /* Both refuse private ranges (decision.md sections 1 and 7; Key Vault
    ** answers "belongs to forbidden range ... (private IP addresses)"). */
    if (family == 4 && moat_range_is_private(r))
        return mg_refuse(
            &c->m,
            "'%s' is a private range (10/8, 172.16/12, 192.168/16): %s IP rules take public addresses only; admit a virtual network with --subnet (service endpoint) or a private endpoint",
            text, c->kind == ACL_VAULT ? "Key Vault" : "Storage");
    return MG_OK;
}

/* /subscriptions/S/resourceGroups/G/providers/Microsoft.Network/
** virtualNetworks/V/subnets/N, any case. */
static int is_subnet_id(const char *id)
{
    static const char *const shape[] = {"subscriptions",   NULL,
                                        "resourceGroups",  NULL,
                                        "providers",       "Microsoft.Network",
                                        "virtualNetworks", NULL,
                                        "subnets",         NULL};
    const char *p = id;
    for (size_t i = 0; i < 10; i++) {
        if (*p != '/')
            return 0;
        p++;
        size_t n = strcspn(p, "/");
        if (n == 0 || (shape[i] && (strlen(shape[i]) != n ||
                                    strncasecmp(p, shape[i], n) != 0)))
            return 0;
        p += n;
    }
    return *p == '\0';
}

int acl_subnet_id(acl_ctx *c, const char *subnet, const char *vnet, char *out,
                  size_t cap)
{
    const char *usage = "give --subnet ID, or --subnet NAME --vnet-name NAME";
    if (subnet[0] == '/') {
        if (vnet)
            return mg_usage(
                &c->m, "--vnet-name goes with a subnet name, not an id: %s",
                usage);
        if (!is_subnet_id(subnet))
            return mg_usage(
                &c->m,
                "'%s' is not a subnet id (expected /subscriptions/S/resourceGroups/G/providers/Microsoft.Network/virtualNetworks/V/subnets/N)",
                subnet);
        snprintf(out, cap, "%s", subnet);
        return MG_OK;
    }
    if (vnet == NULL)
        return mg_usage(&c->m, "'%s' is a subnet name: %s", subnet, usage);
    char sub[128], group[256];
    const char *id = mg_str(c->res, "id");
    if (id == NULL || !mg_id_part(id, "subscriptions", sub, sizeof sub))
        return mg_usage(
            &c->m,
            "%s has no id to take the subscription from: give --subnet as a full id",
            c->target.name);
    const char *g = cli_get(c->m.args, "resource-group");
    if (g == NULL && !mg_group_of(c->res, group, sizeof group))
        return mg_usage(
            &c->m,
            "give --resource-group for the virtual network, or --subnet as a full id");
    snprintf(
        out, cap,
        "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/virtualNetworks/%s/subnets/%s",
        sub, g ? g : group, vnet, subnet);
    if (!is_subnet_id(out))
        return mg_usage(&c->m, "'%s' and '%s' do not make a subnet id", vnet,
                        subnet);
    return MG_OK;
}

/*--------------------------------------------------------------------------
** Service endpoints of subnets the estate knows.
*/
typedef struct endpoint_search {
    const char *id;
    const char *const *services;
    int found;   /* the subnet is in the estate */
    int enabled; /* with one of services */
} endpoint_search;

static void check_subnet(const moat_node *subnet, const char *id,
                         endpoint_search *s)
{
    const char *sid = mg_str(subnet, "id");
    if (sid == NULL || strcasecmp(sid, s->id) != 0)
        return;
    s->found = 1;
    const moat_node *props = mg_properties(subnet);
    const moat_node *eps =
        moat_node_get(props ? props : subnet, "serviceEndpoints");
    for (const moat_node *e = moat_node_child(eps); e; e = moat_node_next(e)) {
        const char *svc = mg_str(e, "service");
        for (size_t i = 0; svc && s->services[i]; i++)
            s->enabled |= strcasecmp(svc, s->services[i]) == 0;
    }
    (void)id;
}

static void search_resource(const moat_node *res, void *ctx)
{
    endpoint_search *s = ctx;
    const char *type = mg_str(res, "type");
    if (type == NULL)
        return;
    if (strcasecmp(type, "Microsoft.Network/virtualNetworks/subnets") == 0) {
        check_subnet(res, s->id, s);
    } else if (strcasecmp(type, "Microsoft.Network/virtualNetworks") == 0) {
        const moat_node *props = mg_properties(res);
        const moat_node *subnets = moat_node_get(props, "subnets");
        for (const moat_node *n = moat_node_child(subnets); n;
             n = moat_node_next(n))
            check_subnet(n, s->id, s);
    }
}

static void search_doc(const moat_doc *doc, void *ctx)
{
    mg_each_resource(doc, search_resource, ctx);
}

void acl_check_endpoint(acl_ctx *c, const char *subnet_id)
{
    static const char *const storage[] = {"Microsoft.Storage",
                                          "Microsoft.Storage.Global", NULL};
    static const char *const vault[] = {"Microsoft.KeyVault", NULL};
    endpoint_search s = {subnet_id, c->kind == ACL_STORAGE ? storage : vault, 0,
                         0};
    search_doc(c->m.doc, &s);
    mg_each_other_doc(&c->m, search_doc, &s);
    if (s.found && !s.enabled)
        mg_warn(
            &c->m,
            "subnet %s has no %s service endpoint: the rule admits nothing until it has one (az network vnet subnet update --service-endpoints %s)",
            subnet_id,
            c->kind == ACL_STORAGE ? "Microsoft.Storage" : "Microsoft.KeyVault",
            c->kind == ACL_STORAGE ? "Microsoft.Storage"
                                   : "Microsoft.KeyVault");
}

/*--------------------------------------------------------------------------
** update, shared by storage accounts and vaults.
*/
static const char *const actions[] = {"Allow", "Deny"};
static const char *const access_values[] = {"Enabled", "Disabled",
                                            "SecuredByPerimeter"};

/* --bypass words (several arguments, or one with commas) as Azure stores
** them: "Logging, Metrics". None stands alone. */
int storage_bypass_value(manage *m, const cli_args *a, int vault, char *out,
                         size_t cap)
{
    static const char *const words[] = {"None", "Logging", "Metrics",
                                        "AzureServices"};
    const char *accepted =
        vault ? "AzureServices or None"
              : "one or more of Logging, Metrics, AzureServices; or None";
    const char *seen[4];
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < a->n_opts; i++) {
        if (strcmp(a->opts[i].name, "bypass") != 0)
            continue;
        char word[64];
        for (const char *p = a->opts[i].value; *p;) {
            p += strspn(p, ", ");
            size_t len = strcspn(p, ", ");
            if (len == 0)
                break;
            snprintf(word, sizeof word, "%.*s", (int)len, p);
            p += len;
            const char *canon;
            if (!mg_choice(word, words, 4, &canon) ||
                (vault && canon != words[0] && canon != words[3]))
                return mg_usage(m, "--bypass '%s': %s takes %s", word,
                                vault ? "Key Vault" : "Storage", accepted);
            int dup = 0;
            for (size_t k = 0; k < n; k++)
                dup |= seen[k] == canon;
            if (!dup && n < 4)
                seen[n++] = canon;
        }
    }
    if (n == 0)
        return mg_usage(m, "--bypass needs a value: %s", accepted);
    for (size_t k = 0; k < n; k++) {
        if (seen[k] == words[0] && n > 1)
            return mg_usage(
                m,
                "--bypass None means no exceptions and cannot be combined with %s; give None alone, or %s",
                seen[k ? 0 : 1], accepted);
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s%s", k ? ", " : "", seen[k]);
    }
    return MG_OK;
}

/* --default-action, --bypass, --public-network-access: shared with the
** vault's update, which differs in the bypass words only. */
int acl_update(acl_ctx *c, const cli_args *a)
{
    manage *m = &c->m;
    const char *def = cli_get(a, "default-action");
    const char *pna = cli_get(a, "public-network-access");
    const char *canon_def = NULL, *canon_pna = NULL;
    char bypass[128] = "";
    if (def && !mg_choice(def, actions, 2, &canon_def))
        return mg_usage(m, "--default-action takes Allow or Deny, not '%s'",
                        def);
    if (pna && !mg_choice(pna, access_values, 3, &canon_pna))
        return mg_usage(
            m,
            "--public-network-access takes Enabled, Disabled or SecuredByPerimeter, not '%s'",
            pna);
    if (cli_has(a, "bypass") &&
        storage_bypass_value(m, a, c->kind == ACL_VAULT, bypass,
                             sizeof bypass) != MG_OK)
        return MG_USAGE;
    int extra = mg_generic_given(a) ||
                (c->kind == ACL_STORAGE && storage_update_given(a));
    if (!def && !pna && !bypass[0] && !extra)
        return mg_usage(
            m,
            "nothing to update: give --default-action, --bypass, --public-network-access%s, or --set, --add, --remove",
            c->kind == ACL_STORAGE ? ", a flag of the endpoints" : "");
    char json[160];
    int rc = MG_OK;
    if (def) {
        snprintf(json, sizeof json, "\"%s\"", canon_def);
        rc = acl_set(c, c->acls, "defaultAction", json);
    }
    if (rc == MG_OK && bypass[0]) {
        snprintf(json, sizeof json, "\"%s\"", bypass);
        rc = acl_set(c, c->acls, "bypass", json);
    }
    if (rc == MG_OK && pna) {
        snprintf(json, sizeof json, "\"%s\"", canon_pna);
        rc = acl_set(c, c->parent, "publicNetworkAccess", json);
    }
    if (rc == MG_OK && c->kind == ACL_STORAGE && storage_update_given(a))
        rc = storage_update_extra(c, a);
    if (rc == MG_OK && mg_generic_given(a))
        rc = mg_generic_update(m, &c->target, a, c->kind == ACL_STORAGE);
    return rc == MG_OK ? mg_commit(m, &c->target) : rc;
}

int acl_remove_list(acl_ctx *c, const moat_node *list, const removal *r)
{
    if (r->n == 0)
        return MG_OK;
    moat_error err;
    if (moat_doc_remove(c->m.doc, list, r->nodes, r->n, &err) != MOAT_OK) {
        cli_error("%s", err.message);
        return MG_NOT_WRITTEN;
    }
    return MG_OK;
}

/*--------------------------------------------------------------------------
** Commands both resources have.
*/
int acl_show_cmd(acl_kind kind, const char *command, const cli_args *a)
{
    acl_ctx c;
    int rc = acl_open(&c, kind, command, a, 0);
    if (rc == MG_OK)
        rc = mg_print(&c.m, c.res, c.target.type);
    mg_close(&c.m);
    return rc;
}

int acl_update_cmd(acl_kind kind, const char *command, const cli_args *a)
{
    acl_ctx c;
    int rc = acl_open(&c, kind, command, a, 1);
    if (rc == MG_OK)
        rc = acl_update(&c, a);
    mg_close(&c.m);
    return rc;
}

const char *acl_overlapping(const moat_node *list, const moat_range *r,
                            char *const *added, size_t n_added)
{
    for (const moat_node *e = moat_node_child(list); e; e = moat_node_next(e)) {
        const char *t = acl_rule_text(e);
        moat_range x;
        if (t && moat_range_parse(t, &x) == MOAT_OK &&
            moat_range_overlaps(&x, r))
            return t;
    }
    for (size_t i = 0; i < n_added; i++) {
        moat_range x;
        if (moat_range_parse(added[i], &x) == MOAT_OK &&
            moat_range_overlaps(&x, r))
            return added[i];
    }
    return NULL;
}

int acl_match_addresses(acl_ctx *c, const cli_args *a, const char *opt,
                        int family, const moat_node *list, removal *out)
{
    for (int i = 0; i < a->n_opts; i++) {
        if (strcmp(a->opts[i].name, opt) != 0)
            continue;
        moat_range r;
        if (moat_range_parse(a->opts[i].value, &r) != MOAT_OK ||
            r.family != family)
            return mg_usage(&c->m, "'%s' is not an IPv%d address or range",
                            a->opts[i].value, family);
        for (const moat_node *e = moat_node_child(list); e;
             e = moat_node_next(e)) {
            const char *t = acl_rule_text(e);
            moat_range x;
            if (t && moat_range_parse(t, &x) == MOAT_OK &&
                moat_range_equal(&x, &r) && out->n < ACL_MAX_REMOVE)
                out->nodes[out->n++] = e;
        }
    }
    return MG_OK;
}

int acl_match_subnet(acl_ctx *c, const cli_args *a, const moat_node *list,
                     removal *out)
{
    char id[1024];
    int rc = acl_subnet_id(c, cli_get(a, "subnet"), cli_get(a, "vnet-name"), id,
                           sizeof id);
    for (const moat_node *e = moat_node_child(list); rc == MG_OK && e;
         e = moat_node_next(e)) {
        const char *t = acl_rule_text(e);
        if (t && strcasecmp(t, id) == 0 && out->n < ACL_MAX_REMOVE)
            out->nodes[out->n++] = e;
    }
    return rc;
}

int acl_new_subnet(acl_ctx *c, const cli_args *a, size_t limit, char *id,
                   size_t cap)
{
    int rc = acl_subnet_id(c, cli_get(a, "subnet"), cli_get(a, "vnet-name"), id,
                           cap);
    if (rc != MG_OK)
        return rc;
    const moat_node *list = acl_list(c, "virtualNetworkRules");
    for (const moat_node *e = moat_node_child(list); e; e = moat_node_next(e)) {
        const char *t = acl_rule_text(e);
        if (t && strcasecmp(t, id) == 0) {
            mg_warn(&c->m, "%s has a rule for subnet %s already",
                    c->target.name, id);
            id[0] = '\0';
            return MG_OK;
        }
    }
    if (moat_node_count(list) + 1 > limit)
        return mg_refuse(
            &c->m, "%s has %zu virtual network rules, the most Azure allows",
            c->target.name, limit);
    acl_check_endpoint(c, id);
    return MG_OK;
}

int acl_remove_and_commit(acl_ctx *c, const moat_node *const *lists,
                          const removal *const *chosen, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += chosen[i]->n;
    if (total == 0)
        mg_warn(&c->m, "no rule of %s matched; nothing to remove",
                c->target.name);
    int rc = MG_OK;
    for (size_t i = 0; i < n && rc == MG_OK; i++)
        rc = acl_remove_list(c, lists[i], chosen[i]);
    return rc == MG_OK ? mg_commit(&c->m, &c->target) : rc;
}

const cli_spec acl_show_spec[] = {MG_COMMON_SPEC, ACL_NAME_SPEC, {NULL, 0, 0}};
const cli_spec acl_update_spec[] = {MG_COMMON_SPEC,
                                    ACL_NAME_SPEC,
                                    MG_GENERIC_SPEC,
                                    {"default-action", 1, 0},
                                    {"bypass", CLI_VALUES, 0},
                                    {"public-network-access", 1, 0},
                                    {NULL, 0, 0}};
