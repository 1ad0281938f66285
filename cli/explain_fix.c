/*
** explain_fix.c - the smallest change that admits one refused request, the
** az command that makes it, and what it opens beyond that caller: one
** address in the resource's firewall, one address in a perimeter profile
** (to every resource of the profile), a subnet, a private endpoint; or,
** when the network admitted it, the role, SAS or key to look at.
*/
#include "explain.h"

#include <string.h>

/* The resource group and name of an ARM id, for the az commands (which
** quote every word: moat_shell_command). */
static void id_parts(const char *id, char *rg, size_t rg_cap, char *name,
                     size_t name_cap)
{
    cli_arm_group(id, rg, rg_cap);
    snprintf(name, name_cap, "%s", cli_arm_name(id));
}

/* The subnet to admit for a private source: with an estate, the subnet
** whose address prefix holds it, or its candidates when several do; a
** placeholder when none does (said in x->fix). Returns how many hold it. */
static size_t source_subnets(const finding *x, const moat_estate *es,
                             const char **ids, size_t cap)
{
    if (es == NULL || x->f.source_ip[0] == '\0')
        return 0;
    return moat_estate_subnets_of(es, x->f.source_ip, ids, cap);
}

/* A private source: admit its subnet with a virtual network rule. */
static void fix_private_source(finding *x, const moat_estate *es,
                               const char *rg, const char *name)
{
    const char *ip = x->f.source_ip[0] ? x->f.source_ip : "<caller address>";
    const char *ids[4];
    size_t n = source_subnets(x, es, ids, 4);
    char which[512];
    if (n == 1)
        snprintf(which, sizeof which, "; the estate's subnet %s holds %s",
                 ids[0], ip);
    else if (n > 1)
        snprintf(which, sizeof which,
                 "; %zu of the estate's subnets hold %s (overlapping address spaces): the command names the first, %s; the others are candidates too (moat explain --format json lists them)",
                 n, ip, ids[0]);
    else
        snprintf(which, sizeof which,
                 "; %s no subnet whose prefix holds %s: the command leaves <subnet id> to fill",
                 es ? "the estate has" : "without --estate moat knows", ip);
    snprintf(
        x->fix, sizeof x->fix,
        "Azure saw the private address %s: the caller reaches %s from a virtual network (a service endpoint, or %s), so no IP rule can admit it; admit its subnet with a virtual network rule (its subnet needs the %s service endpoint), or give it a private endpoint%s",
        ip, name,
        x->storage ? "the account's own region: IP rules ignore callers of the same region"
                   : "a private path",
        x->storage ? "Microsoft.Storage" : "Microsoft.KeyVault", which);
    moat_shell_command(x->command, sizeof x->command,
                       "az %r network-rule add --resource-group %s %r %s --subnet %s",
                       x->storage ? "storage account" : "keyvault", rg,
                       x->storage ? "--account-name" : "--name", name,
                       n ? ids[0] : "<subnet id>");
    x->n_subnets = n < 4 ? n : 4;
    for (size_t i = 0; i < x->n_subnets; i++)
        snprintf(x->subnets[i], sizeof x->subnets[i], "%s", ids[i]);
    snprintf(x->opens, sizeof x->opens, "every address of that subnet, to %s",
             name);
}

/* One address more in the resource's own firewall. */
static void fix_firewall(finding *x, const moat_estate *es)
{
    char rg[256], name[256];
    id_parts(x->resource_id, rg, sizeof rg, name, sizeof name);
    const char *ip = x->f.source_ip[0] ? x->f.source_ip : "<caller address>";
    if (x->private_source) {
        fix_private_source(x, es, rg, name);
        return;
    }
    snprintf(x->fix, sizeof x->fix, "allow %s in %s's firewall (an IP rule)",
             ip, name);
    char addr[128];
    snprintf(addr, sizeof addr, "%s%s", ip, x->storage ? "" : "/32");
    moat_shell_command(x->command, sizeof x->command,
                       "az %r network-rule add --resource-group %s %r %s --ip-address %s",
                       x->storage ? "storage account" : "keyvault", rg,
                       x->storage ? "--account-name" : "--name", name, addr);
    snprintf(x->opens, sizeof x->opens,
             "1 address (%s) to %s, for any caller there that holds a key, a SAS or a role",
             ip, name);
}

/* One address more in the resource's perimeter profile. */
static void fix_perimeter(finding *x, const moat_estate *es)
{
    moat_perimeter_info pi;
    char rg[256], name[256], prg[256], pname[256];
    id_parts(x->resource_id, rg, sizeof rg, name, sizeof name);
    if (es == NULL ||
        moat_estate_perimeter_info(es, x->resource_id, &pi) != MOAT_OK ||
        pi.profile_id == NULL) {
        snprintf(x->fix, sizeof x->fix,
                 "an inbound access rule in the profile of %s's perimeter association",
                 name);
        return;
    }
    id_parts(pi.perimeter_id, prg, sizeof prg, pname, sizeof pname);
    snprintf(pname, sizeof pname, "%s", pi.perimeter_name); /* whole, even
                                                            with a '/' */
    const char *ip = x->f.source_ip[0] ? x->f.source_ip : "<caller address>";
    snprintf(x->fix, sizeof x->fix,
             "an inbound access rule for %s/32 in profile %s of perimeter %s (%s mode; Enforced ignores the resource's own firewall and trusted services)",
             ip, pi.profile_name, pname, pi.mode);
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s/%d", ip, strchr(ip, ':') ? 128 : 32);
    moat_shell_command(x->command, sizeof x->command,
                       "az network perimeter profile access-rule create --resource-group %s --perimeter-name %s --profile-name %s --name allow-%s --address-prefixes %s",
                       prg, pname, pi.profile_name, ip, prefix);
    snprintf(x->opens, sizeof x->opens,
             "1 address (%s) to every resource of profile %s: %zu resource%s",
             ip, pi.profile_name, pi.profile_members,
             pi.profile_members == 1 ? "" : "s");
}

static void fix_private_link(finding *x)
{
    char rg[256], name[256];
    id_parts(x->resource_id[0] ? x->resource_id : x->f.resource, rg, sizeof rg,
             name, sizeof name);
    if (x->decided &&
        x->d.category == MOAT_CAT_RES_PRIVATE_ENDPOINT_NOT_APPROVED) {
        snprintf(x->fix, sizeof x->fix,
                 "approve the caller's private endpoint connection on %s",
                 name);
        moat_shell_command(x->command, sizeof x->command,
                           "az network private-endpoint-connection approve --resource-group %s --resource-name %s --type %s --name %s",
                           rg, name,
                           x->storage ? "Microsoft.Storage/storageAccounts"
                                      : "Microsoft.KeyVault/vaults",
                           "<connection>");
        snprintf(x->opens, sizeof x->opens,
                 "the endpoint's virtual network, nothing public");
        return;
    }
    snprintf(x->fix, sizeof x->fix,
             "public network access is off for %s: reach it through a private endpoint (and its private DNS zone), not its public address",
             name);
    moat_shell_command(x->command, sizeof x->command,
                       "az network private-endpoint create --resource-group %s --name pe-%s --vnet-name %s --subnet %s --private-connection-resource-id %s --group-id %s --connection-name %s",
                       "<rg>", name, "<vnet>", "<subnet>",
                       x->resource_id[0] ? x->resource_id : "<resource id>",
                       x->storage ? "blob" : "vault", name);
    snprintf(x->opens, sizeof x->opens,
             "callers of that virtual network only; nothing public");
}

/* Not the network: what to look at instead. */
static void fix_not_network(finding *x)
{
    const char *who = x->f.caller_oid[0] ? x->f.caller_oid : "<object id>";
    switch (x->f.layer) {
    case FL_ROLE:
        snprintf(x->fix, sizeof x->fix,
                 "the network admitted the request; the caller lacks a data role (Storage: AuthorizationPermissionMismatch) or an access policy (Key Vault: ForbiddenByRbac, AccessDenied): assign one at the resource's scope");
        moat_shell_command(x->command, sizeof x->command,
                 "az role assignment create --assignee-object-id %s --role %s --scope %s",
                 who,
                 x->f.service == 'k' ? "Key Vault Secrets User"
                                     : "Storage Blob Data Reader",
                 x->resource_id[0] ? x->resource_id : "<resource id>");
        snprintf(x->opens, sizeof x->opens,
                 "that identity's data access to the resource; no address");
        break;
    case FL_SAS:
        snprintf(x->fix, sizeof x->fix,
                 "the network admitted the request; the SAS does not cover it (its signed IP range, protocol, services, resource types, permissions or times): issue one that does");
        break;
    case FL_KEY:
        snprintf(x->fix, sizeof x->fix,
                 "the network admitted the request; shared key authorization failed or is not permitted (allowSharedKeyAccess false): sign with Microsoft Entra ID, or check the key");
        break;
    case FL_TOKEN:
        snprintf(x->fix, sizeof x->fix,
                 "the token was not accepted: its audience, tenant or lifetime");
        break;
    case FL_ANONYMOUS:
        snprintf(x->fix, sizeof x->fix,
                 "anonymous access is not permitted: authenticate the request");
        break;
    default:
        snprintf(x->fix, sizeof x->fix,
                 "give --estate to decide the request against the configuration");
    }
}

/* Without an estate: where to look, by the layer the codes name. */
static void look_at(finding *x)
{
    static const struct {
        failure_layer layer;
        const char *text;
    } where[] = {
        {FL_NETWORK,
         "the account's networkAcls (defaultAction, ipRules, virtualNetworkRules, bypass) and its perimeter association; a same-region caller arrives from a private address that IP rules never admit"},
        {FL_FIREWALL,
         "the resource's networkAcls: is the address Azure saw in ipRules (a private one needs a virtual network rule), is the caller a trusted service with bypass AzureServices"},
        {FL_PERIMETER,
         "the inbound access rules of the resource's perimeter profile: in Enforced only they admit (address prefixes, subscriptions, linked perimeters)"},
        {FL_PRIVATE_LINK,
         "publicNetworkAccess and the private endpoint connections: the caller's DNS must resolve the resource to its private endpoint"},
    };
    for (size_t i = 0; i < sizeof where / sizeof *where; i++) {
        if (where[i].layer == x->f.layer) {
            snprintf(x->fix, sizeof x->fix, "%s", where[i].text);
            return;
        }
    }
    fix_not_network(x);
}

void explain_fix(finding *x, const moat_estate *es)
{
    if (!x->decided) {
        look_at(x);
        return;
    }
    if (x->d.verdict == MOAT_ALLOW) {
        if (x->f.layer >= FL_ROLE && x->f.layer <= FL_ANONYMOUS) {
            fix_not_network(x);
            return;
        }
        snprintf(x->fix, sizeof x->fix,
                 "the estate admits this request (%s): what Azure had differs from it (an older export?), or the request differs (the address, the identity); compare with --source-ip and the resource's current settings",
                 x->category);
        return;
    }
    switch (x->d.category) {
    case MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_DENIED:
    case MOAT_CAT_RES_PERIMETER_LOCKDOWN: fix_perimeter(x, es); break;
    case MOAT_CAT_RES_PUBLIC_NETWORK_ACCESS_DISABLED:
    case MOAT_CAT_RES_PRIVATE_ENDPOINT_NOT_APPROVED: fix_private_link(x); break;
    case MOAT_CAT_RES_PROTOCOL_NOT_SUPPORTED_BY_PERIMETER:
        snprintf(x->fix, sizeof x->fix,
                 "a storage account in a perimeter speaks HTTPS only: use HTTPS");
        break;
    default: fix_firewall(x, es);
    }
}
