/*
** manage_keyvault.c - `moat keyvault show|update` and
** `moat keyvault network-rule list|add|remove`, as az and Key Vault do them
** (azure-cli's keyvault module, custom.py add_network_rule and
** remove_network_rule; realworld/azure-cli-recordings/
** keyvault_network_rule.json):
**
** - a vault without networkAcls gets Azure's defaults (AzureServices,
**   Allow, empty lists) at its first change;
** - a single address is stored as "/32" (Key Vault answers 1.2.3.4/32 for
**   1.2.3.4), and 1.2.3.4 and 1.2.3.4/32 are one rule;
** - addresses given together that overlap each other are refused (az's
**   InvalidArgumentValueError); one overlapping a rule there already is
**   skipped with a warning;
** - subnet ids are stored in lower case, as Key Vault answers them;
** - a change that changes nothing writes nothing (az skips the PUT).
*/
#include "manage_acl.h"
#include "manage_generic.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VAULT_MAX_IP 1000
#define VAULT_MAX_VNET 200

static int show(const cli_args *a)
{
    return acl_show_cmd(ACL_VAULT, "keyvault show", a);
}

static int update(const cli_args *a)
{
    return acl_update_cmd(ACL_VAULT, "keyvault update", a);
}

static int list(const cli_args *a)
{
    acl_ctx c;
    int rc = acl_open(&c, ACL_VAULT, "keyvault network-rule list", a, 0);
    if (rc == MG_OK && c.acls)
        rc = mg_print(&c.m, c.acls, NULL);
    else if (rc == MG_OK)
        fprintf(
            stderr,
            "moat: note: %s has no networkAcls: Azure's defaults apply (bypass AzureServices, default action Allow, no rules)\n",
            c.target.name);
    mg_close(&c.m);
    return rc;
}

/* The --ip-address values, with the vault's /32 for single addresses. */
typedef struct vault_ip {
    const char *given;
    char stored[64];
    moat_range r;
} vault_ip;

static int parse_ips(acl_ctx *c, const cli_args *a, vault_ip *out, size_t *n)
{
    *n = 0;
    for (int i = 0; i < a->n_opts; i++) {
        if (strcmp(a->opts[i].name, "ip-address") != 0)
            continue;
        vault_ip *v = &out[(*n)++];
        v->given = a->opts[i].value;
        int rc = acl_parse_ip(c, v->given, 4, &v->r);
        if (rc != MG_OK)
            return rc;
        snprintf(v->stored, sizeof v->stored, "%s%s", v->given,
                 v->r.bare ? "/32" : "");
        for (size_t k = 0; k + 1 < *n; k++) {
            if (moat_range_overlaps(&out[k].r, &v->r))
                return mg_usage(
                    &c->m,
                    "--ip-address %s and %s overlap; give each range once",
                    out[k].given, v->given);
        }
    }
    return MG_OK;
}

static int add_ips(acl_ctx *c, const cli_args *a)
{
    vault_ip ips[CLI_MAX_ARGS];
    size_t n;
    int rc = parse_ips(c, a, ips, &n);
    const moat_node *list = acl_list(c, "ipRules");
    char *items[CLI_MAX_ARGS];
    size_t k = 0;
    for (size_t i = 0; rc == MG_OK && i < n; i++) {
        const char *clash = acl_overlapping(list, &ips[i].r, NULL, 0);
        if (clash) {
            mg_warn(
                &c->m,
                "%s overlaps with %s, which exists already; not adding duplicates",
                ips[i].given, clash);
            continue;
        }
        tool_buf b = {0};
        tb_printf(&b, "{\"value\": ");
        tb_json_str(&b, ips[i].stored);
        tb_printf(&b, "}");
        if (b.failed)
            rc = MG_NOT_WRITTEN;
        items[k++] = b.s;
    }
    if (rc == MG_OK && moat_node_count(list) + k > VAULT_MAX_IP)
        rc = mg_refuse(
            &c->m, "%s would hold %zu IP rules; Key Vault allows at most %d",
            c->target.name, moat_node_count(list) + k, VAULT_MAX_IP);
    if (rc == MG_OK)
        rc = acl_append(c, "ipRules", items, k);
    for (size_t i = 0; i < k; i++)
        free(items[i]);
    return rc;
}

static int add_subnet(acl_ctx *c, const cli_args *a)
{
    char id[1024];
    int rc = acl_new_subnet(c, a, VAULT_MAX_VNET, id, sizeof id);
    if (rc != MG_OK || id[0] == '\0')
        return rc;
    for (char *p = id; *p; p++) /* as Key Vault answers it */
        *p = (char)tolower((unsigned char)*p);
    tool_buf b = {0};
    tb_printf(&b, "{\"id\": ");
    tb_json_str(&b, id);
    tb_printf(&b, "}");
    char *item = b.s;
    rc = b.failed ? MG_NOT_WRITTEN
                  : acl_append(c, "virtualNetworkRules", &item, 1);
    tb_free(&b);
    return rc;
}

static int need_rule(const char *cmd, const cli_args *a, const char *verb)
{
    if (cli_has(a, "ip-address") || cli_has(a, "subnet"))
        return MG_OK;
    manage m = {.command = cmd};
    return mg_usage(&m, "nothing to %s: give --ip-address or --subnet", verb);
}

static int add(const cli_args *a)
{
    const char *cmd = "keyvault network-rule add";
    int rc = need_rule(cmd, a, "add");
    if (rc != MG_OK)
        return rc;
    acl_ctx c;
    rc = acl_open(&c, ACL_VAULT, cmd, a, 1);
    if (rc == MG_OK)
        rc = add_ips(&c, a);
    if (rc == MG_OK && cli_has(a, "subnet"))
        rc = add_subnet(&c, a);
    if (rc == MG_OK)
        rc = mg_commit(&c.m, &c.target);
    mg_close(&c.m);
    return rc;
}

static int remove_rules(const cli_args *a)
{
    const char *cmd = "keyvault network-rule remove";
    int rc = need_rule(cmd, a, "remove");
    if (rc != MG_OK)
        return rc;
    acl_ctx c;
    rc = acl_open(&c, ACL_VAULT, cmd, a, 0);
    removal ips = {.n = 0}, vnets = {.n = 0};
    const moat_node *li = acl_list(&c, "ipRules");
    const moat_node *lv = acl_list(&c, "virtualNetworkRules");
    if (rc == MG_OK)
        rc = acl_match_addresses(&c, a, "ip-address", 4, li, &ips);
    if (rc == MG_OK && cli_has(a, "subnet"))
        rc = acl_match_subnet(&c, a, lv, &vnets);
    const moat_node *lists[] = {li, lv};
    const removal *chosen[] = {&ips, &vnets};
    if (rc == MG_OK)
        rc = acl_remove_and_commit(&c, lists, chosen, 2);
    mg_close(&c.m);
    return rc;
}

static const cli_spec rule_spec[] = {
    MG_COMMON_SPEC,   ACL_NAME_SPEC,       {"ip-address", CLI_VALUES, 0},
    {"subnet", 1, 0}, {"vnet-name", 1, 0}, {NULL, 0, 0}};

#define NAME_HELP "  --name, -n, --vault-name NAME   the key vault\n"

#define RULE_HELP                                                              \
    "  --ip-address IP [IP ...]   IPv4 addresses or CIDR ranges (a single\n"   \
    "                             address is stored as /32)\n"                 \
    "  --subnet ID | NAME         a subnet, by id, or by name with\n"          \
    "  --vnet-name VNET           its virtual network\n"

const mg_command mg_keyvault_commands[] = {
    {"keyvault show", "print a key vault (--query a value)", NAME_HELP,
     acl_show_spec, show},
    {"keyvault update",
     "set the default action, the exception, public network access",
     NAME_HELP
     "  --default-action Allow|Deny\n"
     "  --bypass AzureServices|None\n"
     "  --public-network-access Enabled|Disabled|SecuredByPerimeter\n"
     MG_GENERIC_HELP,
     acl_update_spec, update},
    {"keyvault network-rule list", "print the firewall (networkAcls)",
     NAME_HELP, acl_show_spec, list},
    {"keyvault network-rule add", "add rules", NAME_HELP RULE_HELP, rule_spec,
     add},
    {"keyvault network-rule remove", "remove rules", NAME_HELP RULE_HELP,
     rule_spec, remove_rules},
    {NULL, NULL, NULL, NULL, NULL},
};
