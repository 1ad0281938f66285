/*
** manage_vnet.c - `moat network vnet create|show` and `moat network vnet
** subnet create|update|show`: the virtual networks and subnets that
** service endpoints hang from, with az's flags and defaults (`vnet
** create`: address space 10.0.0.0/16, a --subnet-name gets 10.0.0.0/24)
** and the subnets Azure answers with (realworld/azure-cli-recordings/
** storage_account_service_endpoints.json, keyvault_network_rule.json):
** a Microsoft.Storage endpoint lists the network's region and its pair
** (Azure's region pairs), every other service '*' (as Microsoft.KeyVault
** is recorded).
**
** Subnets are written inside their network (properties.subnets), as Azure
** answers a network; a subnet the file holds as a resource of its own is
** found and changed there.
*/
#include "manage_nsp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TYPE_VNET "Microsoft.Network/virtualNetworks"
#define TYPE_SUBNET TYPE_VNET "/subnets"

static int check_ranges(manage *m, const mg_strings *ws, const char *flag)
{
    for (size_t i = 0; i < ws->n; i++) {
        moat_range r;
        if (moat_range_parse(ws->s[i], &r) != MOAT_OK)
            return mg_usage(m, "--%s '%s' is not a CIDR range (10.0.0.0/24)",
                            flag, ws->s[i]);
    }
    return MG_OK;
}

/* The words of --flag, or the one default when none are given. */
static int words_or(const cli_args *a, const char *flag, const char *dflt,
                    mg_strings *out)
{
    mg_split_words(a, flag, out);
    if (out->n == 0 && dflt) {
        out->s[0] = strdup(dflt);
        out->n = out->s[0] != NULL;
        if (out->n == 0)
            return MG_NOT_WRITTEN;
    }
    return MG_OK;
}

/* "West US" -> "westus", as Azure writes a region in a list. */
static void region_name(const char *region, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = region ? region : ""; *p && o + 1 < cap; p++)
        if (*p != ' ')
            out[o++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    out[o] = '\0';
}

static void endpoints_json(tool_buf *b, const mg_strings *svcs,
                           const char *region)
{
    char here[64];
    region_name(region, here, sizeof here);
    const char *pair = moat_paired_region(here);
    tb_printf(b, "[");
    for (size_t i = 0; i < svcs->n; i++) {
        tb_printf(b, "%s{\"provisioningState\": \"Succeeded\"",
                      i ? ", " : "");
        mg_json_member(b, "service", svcs->s[i]);
        if (strcasecmp(svcs->s[i], "Microsoft.Storage") == 0 && here[0]) {
            tb_printf(b, ", \"locations\": [");
            tb_json_str(b, here);
            if (pair) {
                tb_printf(b, ", ");
                tb_json_str(b, pair);
            }
            tb_printf(b, "]}");
        } else {
            tb_printf(b, ", \"locations\": [\"*\"]}");
        }
    }
    tb_printf(b, "]");
}

static void subnet_json(tool_buf *b, const char *vnet_id, const char *name,
                        const mg_strings *prefixes, const mg_strings *svcs,
                        const char *region)
{
    char id[2048];
    snprintf(id, sizeof id, "%s/subnets/%s", vnet_id, name);
    tb_printf(b, "{\"id\": ");
    tb_json_str(b, id);
    mg_json_member(b, "name", name);
    mg_json_member(b, "type", TYPE_SUBNET);
    tb_printf(b, ", \"properties\": {\"provisioningState\": "
                     "\"Succeeded\"");
    if (prefixes->n == 1) {
        mg_json_member(b, "addressPrefix", prefixes->s[0]);
    } else {
        tb_printf(b, ", \"addressPrefixes\": [");
        for (size_t i = 0; i < prefixes->n; i++) {
            tb_printf(b, "%s", i ? ", " : "");
            tb_json_str(b, prefixes->s[i]);
        }
        tb_printf(b, "]");
    }
    if (svcs && svcs->n) {
        tb_printf(b, ", \"serviceEndpoints\": ");
        endpoints_json(b, svcs, region);
    }
    tb_printf(b, "}}");
}

/*--------------------------------------------------------------------------
** vnet create | show
*/
typedef struct vnet_search {
    const char *name, *group;
    const moat_node *found;
} vnet_search;

static void match_vnet(const moat_node *r, void *ctx)
{
    vnet_search *s = ctx;
    const char *t = mg_str(r, "type"), *n = mg_str(r, "name");
    char g[256];
    if (!s->found && t && n && strcasecmp(t, TYPE_VNET) == 0 &&
        strcasecmp(n, s->name) == 0 && mg_group_of(r, g, sizeof g) &&
        strcasecmp(g, s->group) == 0)
        s->found = r;
}

static int vnet_json(manage *m, const cli_args *a, const char *name,
                     const char *group, tool_buf *b)
{
    char sub[64] = "", loc[64] = "";
    mg_strings space = {0}, prefixes = {0};
    const char *subnet = cli_get(a, "subnet-name");
    int rc = mg_new_place(m, a, group, sub, loc, sizeof sub);
    if (rc == MG_OK)
        rc = words_or(a, "address-prefixes", "10.0.0.0/16", &space);
    if (rc == MG_OK)
        rc = words_or(a, "subnet-prefixes", subnet ? "10.0.0.0/24" : NULL,
                      &prefixes);
    if (rc == MG_OK)
        rc = check_ranges(m, &space, "address-prefixes");
    if (rc == MG_OK)
        rc = check_ranges(m, &prefixes, "subnet-prefixes");
    char id[2048];
    snprintf(id, sizeof id,
             "/subscriptions/%s/resourceGroups/%s/providers/" TYPE_VNET "/%s",
             sub, group, name);
    tb_printf(b, "{\"id\": ");
    tb_json_str(b, id);
    mg_json_member(b, "name", name);
    mg_json_member(b, "type", TYPE_VNET);
    mg_json_member(b, "location", loc);
    tb_printf(b, ", \"properties\": {\"provisioningState\": "
                     "\"Succeeded\", \"addressSpace\": {\"addressPrefixes\": [");
    for (size_t i = 0; i < space.n; i++) {
        tb_printf(b, "%s", i ? ", " : "");
        tb_json_str(b, space.s[i]);
    }
    tb_printf(b, "]}, \"subnets\": [");
    if (subnet)
        subnet_json(b, id, subnet, &prefixes, NULL, loc);
    tb_printf(b, "]}}");
    mg_strings_free(&space);
    mg_strings_free(&prefixes);
    return rc == MG_OK && b->failed ? MG_NOT_WRITTEN : rc;
}

static int vnet_create(const cli_args *a)
{
    const char *cmd = "network vnet create";
    manage m = {.command = cmd};
    const char *name = cli_get(a, "name"),
               *group = cli_get(a, "resource-group");
    if (name == NULL || group == NULL)
        return mg_usage(&m, "give --name and --resource-group");
    mg_target any = {TYPE_VNET, NULL, NULL, NULL, "virtual network", NULL};
    int rc = mg_open(&m, cmd, a, &any);
    vnet_search s = {name, group, NULL};
    if (rc == MG_OK)
        mg_each_resource(m.doc, match_vnet, &s);
    tool_buf b = {0};
    if (rc == MG_OK && s.found) {
        fprintf(stderr, "moat: %s exists already; nothing changed\n", name);
        rc = mg_print(&m, s.found, NULL);
    } else if (rc == MG_OK) {
        tb_printf(&b, "{\"newVNet\": ");
        size_t start = b.len;
        rc = vnet_json(&m, a, name, group, &b);
        if (rc == MG_OK)
            rc = mg_append_resource(&m, b.s + start);
        if (rc == MG_OK)
            rc = mg_commit(&m, NULL);
        tb_printf(&b, "}"); /* az prints {"newVNet": the network} */
        if (rc == MG_OK && !m.dry_run)
            rc = mg_print_json(&m, &b, NULL);
    }
    tb_free(&b);
    mg_close(&m);
    return rc;
}

static int vnet_show(const cli_args *a)
{
    manage m = {.command = "network vnet show"};
    mg_target t = {TYPE_VNET, cli_get(a, "name"), cli_get(a, "resource-group"),
                   cli_get(a, "subscription"), "virtual network", NULL};
    if (t.name == NULL)
        return mg_usage(&m, "give the network: --name VNET");
    int rc = mg_open(&m, "network vnet show", a, &t);
    const moat_node *r = rc == MG_OK ? mg_find(&m, &t) : NULL;
    if (rc == MG_OK)
        rc = r ? mg_print(&m, r, NULL) : MG_NOT_FOUND;
    mg_close(&m);
    return rc;
}

/*--------------------------------------------------------------------------
** subnet create | update | show
*/
typedef struct subnet_ctx {
    manage m;
    const moat_node *vnet, *subnets; /* the network, its subnets' array */
    const char *vnet_id, *region, *name;
    const moat_node *subnet; /* NULL: none of that name */
} subnet_ctx;

/* The subnet named c->name: inside the network, or a resource of its
** own. */
static void find_subnet(subnet_ctx *c)
{
    c->subnets = moat_node_get(mg_properties(c->vnet), "subnets");
    c->subnet = NULL;
    for (const moat_node *e = moat_node_child(c->subnets); e && !c->subnet;
         e = moat_node_next(e))
        if (mg_str(e, "name") && strcasecmp(mg_str(e, "name"), c->name) == 0)
            c->subnet = e;
    if (c->subnet == NULL)
        c->subnet = mg_find_child(&c->m, TYPE_SUBNET, c->vnet_id, c->name);
}

static int subnet_open(subnet_ctx *c, const char *command, const cli_args *a,
                       int must_exist)
{
    memset(c, 0, sizeof *c);
    c->m.command = command;
    c->name = cli_get(a, "name");
    mg_target t = {TYPE_VNET,
                   cli_get(a, "vnet-name"),
                   cli_get(a, "resource-group"),
                   cli_get(a, "subscription"),
                   "virtual network",
                   NULL};
    if (t.name == NULL || c->name == NULL)
        return mg_usage(&c->m, "give --vnet-name and the subnet's --name");
    int rc = mg_open(&c->m, command, a, &t);
    c->vnet = rc == MG_OK ? mg_find(&c->m, &t) : NULL;
    c->vnet_id = c->vnet ? mg_str(c->vnet, "id") : NULL;
    c->region = c->vnet ? mg_str(c->vnet, "location") : NULL;
    if (rc == MG_OK && c->vnet_id == NULL)
        return MG_NOT_FOUND;
    if (rc == MG_OK)
        find_subnet(c);
    if (rc == MG_OK && must_exist && c->subnet == NULL) {
        cli_error("no subnet named '%s' in %s", c->name, c->vnet_id);
        return MG_NOT_FOUND;
    }
    return rc;
}

/* After a change: the subnet as it now is, as az prints it. */
static int subnet_commit(subnet_ctx *c)
{
    int rc = mg_commit(&c->m, NULL);
    if (rc != MG_OK || c->m.dry_run)
        return rc;
    char id[2048];
    snprintf(id, sizeof id, "%s", c->vnet_id);
    rc = mg_apply(&c->m); /* every node found before is invalid now */
    mg_target t = {TYPE_VNET, NULL, NULL, NULL, "virtual network", id};
    c->vnet = rc == MG_OK ? mg_find(&c->m, &t) : NULL;
    c->vnet_id = c->vnet ? mg_str(c->vnet, "id") : NULL;
    c->subnet = NULL;
    if (c->vnet_id)
        find_subnet(c);
    return c->subnet ? mg_print(&c->m, c->subnet, NULL) : rc;
}

/* Puts the subnet's JSON in place of the one of its name, or adds it to
** the network's subnets. */
static int put_subnet(subnet_ctx *c, const char *json)
{
    moat_error err;
    moat_status st;
    if (c->subnet)
        st = moat_doc_replace(c->m.doc, c->subnet, json, &err);
    else if (c->subnets)
        st = moat_doc_add(c->m.doc, c->subnets, NULL, json, &err);
    else {
        tool_buf b = {0};
        tb_printf(&b, "[%s]", json);
        int rc = b.failed ? MG_NOT_WRITTEN
                 : mg_properties(c->vnet)
                     ? mg_set(&c->m, mg_properties(c->vnet), "subnets", b.s)
                     : MG_NOT_WRITTEN;
        tb_free(&b);
        if (rc == MG_NOT_WRITTEN && !mg_properties(c->vnet))
            cli_error("%s has no \"properties\"", c->vnet_id);
        return rc;
    }
    if (st != MOAT_OK) {
        cli_error("%s", err.message);
        return MG_NOT_WRITTEN;
    }
    return MG_OK;
}

/* Lands a change made so far (rc MG_OK) and frees what the command held. */
static int subnet_finish(subnet_ctx *c, int rc, tool_buf *b, mg_strings *prefixes,
                         mg_strings *svcs)
{
    if (rc == MG_OK)
        rc = subnet_commit(c);
    tb_free(b);
    mg_strings_free(prefixes);
    mg_strings_free(svcs);
    mg_close(&c->m);
    return rc;
}

/* az subnet create is a PUT: a subnet of the same name is replaced. */
static int subnet_create(const cli_args *a)
{
    subnet_ctx c;
    mg_strings prefixes = {0}, svcs = {0};
    int rc = subnet_open(&c, "network vnet subnet create", a, 0);
    if (rc == MG_OK)
        rc = words_or(a, "address-prefixes", NULL, &prefixes);
    if (rc == MG_OK && prefixes.n == 0)
        rc = mg_usage(&c.m, "give --address-prefixes (10.0.0.0/24)");
    if (rc == MG_OK)
        rc = check_ranges(&c.m, &prefixes, "address-prefixes");
    mg_split_words(a, "service-endpoints", &svcs);
    tool_buf b = {0};
    if (rc == MG_OK) {
        subnet_json(&b, c.vnet_id, c.name, &prefixes, &svcs, c.region);
        rc = b.failed ? MG_NOT_WRITTEN : put_subnet(&c, b.s);
    }
    return subnet_finish(&c, rc, &b, &prefixes, &svcs);
}

static int subnet_update(const cli_args *a)
{
    subnet_ctx c;
    mg_strings prefixes = {0}, svcs = {0};
    int rc = subnet_open(&c, "network vnet subnet update", a, 1);
    if (rc == MG_OK && !cli_has(a, "service-endpoints") &&
        !cli_has(a, "address-prefixes"))
        rc = mg_usage(&c.m, "nothing to update: give --service-endpoints or "
                            "--address-prefixes");
    mg_split_words(a, "address-prefixes", &prefixes);
    mg_split_words(a, "service-endpoints", &svcs);
    if (rc == MG_OK)
        rc = check_ranges(&c.m, &prefixes, "address-prefixes");
    const moat_node *props = c.subnet ? mg_properties(c.subnet) : NULL;
    if (rc == MG_OK && props == NULL)
        rc = mg_usage(&c.m, "subnet %s has no \"properties\" to change",
                      c.name);
    tool_buf b = {0};
    if (rc == MG_OK && cli_has(a, "service-endpoints")) {
        /* --service-endpoints "" removes them all, as in az. */
        endpoints_json(&b, &svcs, c.region);
        rc = b.failed ? MG_NOT_WRITTEN
                      : mg_set(&c.m, props, "serviceEndpoints", b.s);
    }
    if (rc == MG_OK && prefixes.n == 1) {
        tool_buf p = {0};
        tb_json_str(&p, prefixes.s[0]);
        rc = p.failed ? MG_NOT_WRITTEN
                      : mg_set(&c.m, props, "addressPrefix", p.s);
        tb_free(&p);
    } else if (rc == MG_OK && prefixes.n > 1) {
        rc = mg_usage(&c.m, "--address-prefixes: one range when updating");
    }
    return subnet_finish(&c, rc, &b, &prefixes, &svcs);
}

static int subnet_show(const cli_args *a)
{
    subnet_ctx c;
    int rc = subnet_open(&c, "network vnet subnet show", a, 1);
    if (rc == MG_OK)
        rc = mg_print(&c.m, c.subnet, NULL);
    mg_close(&c.m);
    return rc;
}

/*--------------------------------------------------------------------------
** The command table.
*/
static const cli_spec vnet_spec[] = {MG_COMMON_SPEC,
                                     {"name", 1, 'n'},
                                     {"location", 1, 'l'},
                                     {"address-prefixes", CLI_VALUES, 0},
                                     {"subnet-name", 1, 0},
                                     {"subnet-prefixes", CLI_VALUES, 0},
                                     {NULL, 0, 0}};
static const cli_spec subnet_spec[] = {MG_COMMON_SPEC,
                                       {"name", 1, 'n'},
                                       {"vnet-name", 1, 0},
                                       {"address-prefixes", CLI_VALUES, 0},
                                       {"service-endpoints", CLI_VALUES, 0},
                                       {NULL, 0, 0}};

#define SUBNET_HELP                                                            \
    "  --vnet-name VNET           the virtual network\n"                       \
    "  --name, -n SUBNET          the subnet\n"
#define SUBNET_FLAGS                                                           \
    "  --address-prefixes P [P ...]   its range(s)\n"                          \
    "  --service-endpoints S [S ...]  Microsoft.Storage (the network's\n"     \
    "                             region and its pair), Microsoft.KeyVault,\n" \
    "                             ... ('' removes them all)\n"

const mg_command mg_vnet_commands[] = {
    {"network vnet create", "add a virtual network (and a subnet)",
     "  --name, -n VNET            the network\n"
     "  --location, -l REGION      (default: of the group's resources)\n"
     "  --address-prefixes P [P ...]   (default 10.0.0.0/16)\n"
     "  --subnet-name SUBNET       a first subnet\n"
     "  --subnet-prefixes P [P ...]    (default 10.0.0.0/24)\n",
     vnet_spec, vnet_create},
    {"network vnet show", "print a virtual network",
     "  --name, -n VNET            the network\n", vnet_spec, vnet_show},
    {"network vnet subnet create", "add (or replace) a subnet",
     SUBNET_HELP SUBNET_FLAGS, subnet_spec, subnet_create},
    {"network vnet subnet update", "change a subnet's service endpoints",
     SUBNET_HELP SUBNET_FLAGS, subnet_spec, subnet_update},
    {"network vnet subnet show", "print a subnet", SUBNET_HELP, subnet_spec,
     subnet_show},
    {NULL, NULL, NULL, NULL, NULL},
};
