/*
** manage_storage.c - `moat storage account show|update` and
** `moat storage account network-rule list|add|remove`, with az's flags and
** what az and Azure do with them (azure-cli's storage module,
** operations/account.py; the recordings in realworld/azure-cli-recordings):
**
** - --bypass replaces the exceptions (it does not add to them) and is stored
**   as one string, "Logging, Metrics";
** - addresses are stored as given ("25.1.2.3", never "/32" added; IPv6 as
**   written), compared as addresses;
** - an address overlapping a rule already there (or one earlier in the same
**   command) is skipped with a warning, as az does;
** - a virtual network rule is stored with action Allow and state
**   Succeeded, as Azure answers;
** - removing matches addresses as addresses, subnets by id ignoring case,
**   resource access rules by resource id and tenant.
*/
#include "manage_acl.h"
#include "manage_view.h"
#include "manage_generic.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STORAGE_MAX_IP 400
#define STORAGE_MAX_VNET 400
#define STORAGE_MAX_RAR 200

/*--------------------------------------------------------------------------
** show, update
*/
static int show(const cli_args *a)
{
    return acl_show_cmd(ACL_STORAGE, "storage account show", a);
}

static int update(const cli_args *a)
{
    return acl_update_cmd(ACL_STORAGE, "storage account update", a);
}

/*--------------------------------------------------------------------------
** network-rule list
*/
static int list(const cli_args *a)
{
    acl_ctx c;
    int rc =
        acl_open(&c, ACL_STORAGE, "storage account network-rule list", a, 0);
    if (rc != MG_OK) {
        mg_close(&c.m);
        return rc;
    }
    /* az prints the rule set without bypass and defaultAction. */
    static const char *const lists[] = {
        "ipRules", "ipv6Rules", "resourceAccessRules", "virtualNetworkRules"};
    tool_buf b = {0};
    tb_printf(&b, "{");
    int first = 1;
    for (size_t i = 0; i < 4; i++) {
        const moat_node *l = acl_list(&c, lists[i]);
        char *text = l ? moat_doc_slice(c.m.doc, l) : NULL;
        if (text || i == 0 || i == 3) {
            tb_printf(&b, "%s\"%s\": %s", first ? "" : ", ", lists[i],
                          text ? text : "[]");
            first = 0;
        }
        moat_free(text);
    }
    tb_printf(&b, "}");
    rc = mg_print_json(&c.m, &b, MG_SHAPE_STORAGE_RULES);
    tb_free(&b);
    mg_close(&c.m);
    return rc;
}

/*--------------------------------------------------------------------------
** network-rule add
*/
/* --ip-address or --ipv6-address: each new address, unless it overlaps a
** rule there already (az: "Not adding duplicates"). */
static int add_addresses(acl_ctx *c, const cli_args *a, const char *opt,
                         int family, const char *key, mg_strings *out)
{
    char *texts[CLI_MAX_ARGS];
    size_t n = 0;
    const moat_node *list = acl_list(c, key);
    int rc = MG_OK;
    for (int i = 0; i < a->n_opts && rc == MG_OK; i++) {
        if (strcmp(a->opts[i].name, opt) != 0)
            continue;
        const char *ip = a->opts[i].value;
        moat_range r;
        rc = acl_parse_ip(c, ip, family, &r);
        if (rc != MG_OK)
            break;
        const char *clash = acl_overlapping(list, &r, texts, n);
        if (clash) {
            mg_warn(
                &c->m,
                "%s overlaps with %s, which exists already; not adding duplicates",
                ip, clash);
            continue;
        }
        texts[n++] = (char *)ip;
        tool_buf b = {0};
        tb_printf(&b, "{\"value\": ");
        tb_json_str(&b, ip);
        tb_printf(&b, ", \"action\": \"Allow\"}");
        rc = mg_strings_take(out, &b);
    }
    size_t have = moat_node_count(list);
    if (rc == MG_OK && have + out->n > STORAGE_MAX_IP)
        rc = mg_refuse(
            &c->m,
            "%s would hold %zu %s rules; Azure Storage allows at most %d per account",
            c->target.name, have + out->n, key, STORAGE_MAX_IP);
    return rc;
}

static int add_subnet(acl_ctx *c, const cli_args *a, mg_strings *out)
{
    char id[1024];
    int rc = acl_new_subnet(c, a, STORAGE_MAX_VNET, id, sizeof id);
    if (rc != MG_OK || id[0] == '\0')
        return rc;
    tool_buf b = {0};
    tb_printf(&b, "{\"id\": ");
    tb_json_str(&b, id);
    tb_printf(&b, ", \"action\": \"Allow\", \"state\": \"Succeeded\"}");
    return mg_strings_take(out, &b);
}

/* A GUID: 8-4-4-4-12 hexadecimal digits. */
static int is_guid(const char *s)
{
    static const int groups[] = {8, 4, 4, 4, 12};
    for (size_t g = 0; g < 5; g++) {
        for (int i = 0; i < groups[g]; i++, s++) {
            char ch = *s;
            if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
                  (ch >= 'A' && ch <= 'F')))
                return 0;
        }
        if (*s != (g == 4 ? '\0' : '-'))
            return 0;
        s += g < 4;
    }
    return 1;
}

static int same_rar(const moat_node *e, const char *rid, const char *tid)
{
    const char *r = mg_str(e, "resourceId"), *t = mg_str(e, "tenantId");
    return r && t && strcasecmp(r, rid) == 0 && strcasecmp(t, tid) == 0;
}

static int check_rar_args(acl_ctx *c, const char *rid, const char *tid)
{
    if (tid == NULL)
        return mg_usage(
            &c->m,
            "--resource-id needs --tenant-id, the tenant of the resource");
    if (!is_guid(tid))
        return mg_usage(&c->m, "--tenant-id '%s' is not a GUID", tid);
    if (strncasecmp(rid, "/subscriptions/", 15) != 0 ||
        strstr(rid, "/providers/") == NULL)
        return mg_usage(
            &c->m,
            "--resource-id '%s' is not an ARM resource id (/subscriptions/S/resourceGroups/G/providers/TYPE/NAME; * for any segment)",
            rid);
    return MG_OK;
}

static int add_resource_rule(acl_ctx *c, const cli_args *a, mg_strings *out)
{
    const char *rid = cli_get(a, "resource-id"), *tid = cli_get(a, "tenant-id");
    int rc = check_rar_args(c, rid, tid);
    if (rc != MG_OK)
        return rc;
    const moat_node *list = acl_list(c, "resourceAccessRules");
    for (const moat_node *e = moat_node_child(list); e; e = moat_node_next(e))
        if (same_rar(e, rid, tid)) {
            mg_warn(&c->m, "%s admits %s (tenant %s) already", c->target.name,
                    rid, tid);
            return MG_OK;
        }
    if (moat_node_count(list) + 1 > STORAGE_MAX_RAR)
        return mg_refuse(
            &c->m,
            "%s has %d resource access rules, the most Azure Storage allows",
            c->target.name, STORAGE_MAX_RAR);
    tool_buf b = {0};
    tb_printf(&b, "{\"tenantId\": ");
    tb_json_str(&b, tid);
    tb_printf(&b, ", \"resourceId\": ");
    tb_json_str(&b, rid);
    tb_printf(&b, "}");
    return mg_strings_take(out, &b);
}

static int check_action(manage *m, const cli_args *a)
{
    const char *act = cli_get(a, "action");
    if (act && strcasecmp(act, "Allow") != 0)
        return mg_usage(
            m,
            "--action takes Allow only (Azure's rules admit; the default action denies)");
    return MG_OK;
}

static int add(const cli_args *a)
{
    acl_ctx c;
    const char *cmd = "storage account network-rule add";
    if (!cli_has(a, "ip-address") && !cli_has(a, "ipv6-address") &&
        !cli_has(a, "subnet") && !cli_has(a, "resource-id")) {
        c.m.command = cmd;
        return mg_usage(
            &c.m,
            "nothing to add: give --ip-address, --ipv6-address, --subnet or --resource-id");
    }
    int rc = acl_open(&c, ACL_STORAGE, cmd, a, 1);
    mg_strings ip4 = {.n = 0}, ip6 = {.n = 0}, vnet = {.n = 0}, rar = {.n = 0};
    if (rc == MG_OK)
        rc = check_action(&c.m, a);
    if (rc == MG_OK)
        rc = add_addresses(&c, a, "ip-address", 4, "ipRules", &ip4);
    if (rc == MG_OK)
        rc = add_addresses(&c, a, "ipv6-address", 6, "ipv6Rules", &ip6);
    if (rc == MG_OK && cli_has(a, "subnet"))
        rc = add_subnet(&c, a, &vnet);
    if (rc == MG_OK && cli_has(a, "resource-id"))
        rc = add_resource_rule(&c, a, &rar);
    if (rc == MG_OK)
        rc = acl_append(&c, "ipRules", ip4.s, ip4.n);
    if (rc == MG_OK)
        rc = acl_append(&c, "ipv6Rules", ip6.s, ip6.n);
    if (rc == MG_OK)
        rc = acl_append(&c, "virtualNetworkRules", vnet.s, vnet.n);
    if (rc == MG_OK)
        rc = acl_append(&c, "resourceAccessRules", rar.s, rar.n);
    if (rc == MG_OK)
        rc = mg_commit(&c.m, &c.target);
    mg_strings_free(&ip4);
    mg_strings_free(&ip6);
    mg_strings_free(&vnet);
    mg_strings_free(&rar);
    mg_close(&c.m);
    return rc;
}

/*--------------------------------------------------------------------------
** network-rule remove
*/
static int remove_rules(const cli_args *a)
{
    acl_ctx c;
    const char *cmd = "storage account network-rule remove";
    if (!cli_has(a, "ip-address") && !cli_has(a, "ipv6-address") &&
        !cli_has(a, "subnet") && !cli_has(a, "resource-id")) {
        c.m.command = cmd;
        return mg_usage(
            &c.m,
            "nothing to remove: give --ip-address, --ipv6-address, --subnet or --resource-id");
    }
    int rc = acl_open(&c, ACL_STORAGE, cmd, a, 0);
    if (rc != MG_OK) {
        mg_close(&c.m);
        return rc;
    }
    removal ip4 = {.n = 0}, ip6 = {.n = 0}, vnet = {.n = 0}, rar = {.n = 0};
    const moat_node *l4 = acl_list(&c, "ipRules");
    const moat_node *l6 = acl_list(&c, "ipv6Rules");
    const moat_node *lv = acl_list(&c, "virtualNetworkRules");
    const moat_node *lr = acl_list(&c, "resourceAccessRules");
    rc = acl_match_addresses(&c, a, "ip-address", 4, l4, &ip4);
    if (rc == MG_OK)
        rc = acl_match_addresses(&c, a, "ipv6-address", 6, l6, &ip6);
    if (rc == MG_OK && cli_has(a, "subnet"))
        rc = acl_match_subnet(&c, a, lv, &vnet);
    if (rc == MG_OK && cli_has(a, "resource-id")) {
        const char *rid = cli_get(a, "resource-id");
        const char *tid = cli_get(a, "tenant-id");
        rc = check_rar_args(&c, rid, tid);
        for (const moat_node *e = moat_node_child(lr); rc == MG_OK && e;
             e = moat_node_next(e))
            if (same_rar(e, rid, tid) && rar.n < ACL_MAX_REMOVE)
                rar.nodes[rar.n++] = e;
    }
    const moat_node *lists[] = {l4, l6, lv, lr};
    const removal *chosen[] = {&ip4, &ip6, &vnet, &rar};
    if (rc == MG_OK)
        rc = acl_remove_and_commit(&c, lists, chosen, 4);
    mg_close(&c.m);
    return rc;
}

/*--------------------------------------------------------------------------
** The command table.
*/
static const cli_spec rule_spec[] = {MG_COMMON_SPEC,
                                     ACL_NAME_SPEC,
                                     {"ip-address", CLI_VALUES, 0},
                                     {"ipv6-address", CLI_VALUES, 0},
                                     {"subnet", 1, 0},
                                     {"vnet-name", 1, 0},
                                     {"resource-id", 1, 0},
                                     {"tenant-id", 1, 0},
                                     {"action", 1, 0},
                                     {NULL, 0, 0}};

#define NAME_HELP "  --name, -n, --account-name NAME   the storage account\n"

#define RULE_HELP                                                              \
    "  --ip-address IP [IP ...]   IPv4 addresses or CIDR ranges (public;\n"    \
    "                             /31 and /32 refused: write the address)\n"   \
    "  --ipv6-address IP [IP ...] IPv6 addresses or ranges\n"                  \
    "  --subnet ID | NAME         a subnet, by id, or by name with\n"          \
    "  --vnet-name VNET           its virtual network (resource group from\n"  \
    "                             -g, else the account's)\n"                   \
    "  --resource-id ID           a resource instance rule (wildcards *\n"     \
    "  --tenant-id GUID           allowed in the id), with its tenant\n"

const mg_command mg_storage_commands[] = {
    {"storage account show", "print a storage account (--query a value)",
     NAME_HELP, acl_show_spec, show},
    {"storage account update",
     "set the default action, exceptions, public network access",
     NAME_HELP
     "  --default-action Allow|Deny\n"
     "  --bypass WORD [WORD ...]   Logging, Metrics, AzureServices, or None;\n"
     "                             replaces the exceptions\n"
     "  --public-network-access Enabled|Disabled|SecuredByPerimeter\n"
     "  --default-dual-stack-endpoint [true|false]  IPv6 and IPv4 endpoints\n"
     "  --publish-ipv4-endpoint, --publish-ipv6-endpoint [true|false]\n"
     "                             (not given: as --default-dual-stack-endpoint)\n"
     "  --routing-choice MicrosoftRouting|InternetRouting\n"
     "  --publish-microsoft-endpoints, --publish-internet-endpoints [true|false]\n"
     "  --https-only [true|false]  --allow-blob-public-access [true|false]\n"
     "  --min-tls-version TLS1_0|TLS1_1|TLS1_2|TLS1_3\n" MG_GENERIC_HELP,
     storage_update_spec, update},
    {"storage account network-rule list",
     "print the rules (IP, IPv6, virtual network, resource access)", NAME_HELP,
     acl_show_spec, list},
    {"storage account network-rule add", "add rules", NAME_HELP RULE_HELP,
     rule_spec, add},
    {"storage account network-rule remove", "remove rules", NAME_HELP RULE_HELP,
     rule_spec, remove_rules},
    {NULL, NULL, NULL, NULL, NULL},
};

/*--------------------------------------------------------------------------
** update: the flags of the endpoints (azure-cli's storage account update:
** dual-stack endpoints, routing preference, HTTPS only, TLS, anonymous
** blob access).
*/
static const char *const bool_flags[][3] = {
    /* flag, property, member of the object (NULL: the property itself) */
    {"default-dual-stack-endpoint", "dualStackEndpointPreference",
     "defaultDualStackEndpoints"},
    {"publish-ipv4-endpoint", "dualStackEndpointPreference",
     "publishIpv4Endpoint"},
    {"publish-ipv6-endpoint", "dualStackEndpointPreference",
     "publishIpv6Endpoint"},
    {"publish-microsoft-endpoints", "routingPreference",
     "publishMicrosoftEndpoints"},
    {"publish-internet-endpoints", "routingPreference",
     "publishInternetEndpoints"},
    {"https-only", "supportsHttpsTrafficOnly", NULL},
    {"allow-blob-public-access", "allowBlobPublicAccess", NULL},
};
#define N_BOOL_FLAGS (sizeof bool_flags / sizeof bool_flags[0])

int storage_update_given(const cli_args *a)
{
    for (size_t i = 0; i < N_BOOL_FLAGS; i++)
        if (cli_has(a, bool_flags[i][0]))
            return 1;
    return cli_has(a, "routing-choice") || cli_has(a, "min-tls-version");
}

/* az's three-state flag: true or false (ignoring case); the flag alone is
** true. -1 after saying what is accepted. */
static int flag_bool(manage *m, const cli_args *a, const char *flag)
{
    const char *v = cli_get(a, flag);
    if (v == NULL || strcasecmp(v, "true") == 0)
        return 1;
    if (strcasecmp(v, "false") == 0)
        return 0;
    mg_usage(m, "--%s takes true or false, not '%s'", flag, v);
    return -1;
}

/* The boolean member of obj, or def. */
static int member_bool(const moat_node *obj, const char *key, int def)
{
    const char *t = moat_node_text(moat_node_get(obj, key));
    return t ? strcmp(t, "true") == 0 : def;
}

/* One object property (dual-stack, routing) from its flags: the
** dual-stack members not given follow --default-dual-stack-endpoint when
** it is given (Azure answered all three alike: azure-cli-recordings
** storage_account_ipv6 steps 1 and 2), else keep their value. */
static int set_object_property(acl_ctx *c, const cli_args *a,
                               const char *prop, const char *routing)
{
    const moat_node *old = moat_node_get(c->parent, prop);
    int lead = -1;
    if (cli_has(a, "default-dual-stack-endpoint"))
        lead = flag_bool(&c->m, a, "default-dual-stack-endpoint");
    tool_buf b = {0};
    tb_printf(&b, "{");
    int first = 1;
    if (routing) {
        tb_printf(&b, "\"routingChoice\": ");
        tb_json_str(&b, routing);
        first = 0;
    }
    for (size_t i = 0; i < N_BOOL_FLAGS; i++) {
        if (bool_flags[i][2] == NULL || strcmp(bool_flags[i][1], prop) != 0)
            continue;
        int v = cli_has(a, bool_flags[i][0])
                    ? flag_bool(&c->m, a, bool_flags[i][0])
                : lead >= 0 ? lead
                            : member_bool(old, bool_flags[i][2], 0);
        if (v < 0) {
            tb_free(&b);
            return MG_USAGE;
        }
        tb_printf(&b, "%s\"%s\": %s", first ? "" : ", ", bool_flags[i][2],
                      v ? "true" : "false");
        first = 0;
    }
    tb_printf(&b, "}");
    int rc = b.failed ? MG_NOT_WRITTEN : acl_set(c, c->parent, prop, b.s);
    tb_free(&b);
    return rc;
}

static int given_for(const cli_args *a, const char *prop)
{
    for (size_t i = 0; i < N_BOOL_FLAGS; i++)
        if (strcmp(bool_flags[i][1], prop) == 0 && cli_has(a, bool_flags[i][0]))
            return 1;
    return 0;
}

static int set_scalar_flags(acl_ctx *c, const cli_args *a)
{
    static const char *const tls[] = {"TLS1_0", "TLS1_1", "TLS1_2", "TLS1_3"};
    int rc = MG_OK;
    for (size_t i = 0; i < N_BOOL_FLAGS && rc == MG_OK; i++) {
        if (bool_flags[i][2] || !cli_has(a, bool_flags[i][0]))
            continue;
        int v = flag_bool(&c->m, a, bool_flags[i][0]);
        rc = v < 0 ? MG_USAGE
                   : acl_set(c, c->parent, bool_flags[i][1],
                             v ? "true" : "false");
    }
    const char *t = cli_get(a, "min-tls-version"), *canon;
    if (rc == MG_OK && t && !mg_choice(t, tls, 4, &canon))
        rc = mg_usage(&c->m,
                      "--min-tls-version takes TLS1_0, TLS1_1, TLS1_2 or TLS1_3");
    if (rc == MG_OK && t) {
        char json[16];
        snprintf(json, sizeof json, "\"%s\"", canon);
        rc = acl_set(c, c->parent, "minimumTlsVersion", json);
    }
    return rc;
}

int storage_update_extra(acl_ctx *c, const cli_args *a)
{
    static const char *const choices[] = {"MicrosoftRouting", "InternetRouting"};
    const char *routing = cli_get(a, "routing-choice"), *canon = NULL;
    if (routing && !mg_choice(routing, choices, 2, &canon))
        return mg_usage(&c->m,
                        "--routing-choice takes MicrosoftRouting or InternetRouting");
    int rc = mg_apply(&c->m);
    if (rc == MG_OK)
        rc = acl_refind(c);
    if (rc == MG_OK && c->parent == NULL)
        return mg_usage(&c->m, "%s has no properties to set", c->target.name);
    if (rc == MG_OK && given_for(a, "dualStackEndpointPreference"))
        rc = set_object_property(c, a, "dualStackEndpointPreference", NULL);
    if (rc == MG_OK && (routing || given_for(a, "routingPreference"))) {
        if ((rc = mg_apply(&c->m)) == MG_OK && (rc = acl_refind(c)) == MG_OK)
            rc = set_object_property(c, a, "routingPreference", canon);
    }
    if (rc == MG_OK && (rc = mg_apply(&c->m)) == MG_OK &&
        (rc = acl_refind(c)) == MG_OK)
        rc = set_scalar_flags(c, a);
    return rc;
}

const cli_spec storage_update_spec[] = {MG_COMMON_SPEC,
                                        ACL_NAME_SPEC,
                                        MG_GENERIC_SPEC,
                                        STORAGE_ENDPOINT_SPEC,
                                        {"default-action", 1, 0},
                                        {"bypass", CLI_VALUES, 0},
                                        {"public-network-access", 1, 0},
                                        {NULL, 0, 0}};
