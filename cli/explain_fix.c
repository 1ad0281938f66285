/*
** explain_fix.c - the smallest change that admits one refused request, the
** az command that makes it, and what it opens beyond that caller: one
** address in the resource's firewall, one address in a perimeter profile
** (to every resource of the profile), a subnet, a private endpoint; or,
** when the network admitted it, the role, SAS or key to look at.
*/
#include "explain.h"

#include <string.h>

/* The resource group and name of an ARM id. */
static void id_parts(const char *id, char *rg, size_t rg_cap, char *name,
                     size_t name_cap)
{
    const char *g = strstr(id, "/resourceGroups/");
    if (g == NULL)
        g = strstr(id, "/resourcegroups/");
    const char *e = g ? strchr(g + 16, '/') : NULL;
    snprintf(rg, rg_cap, "%.*s", e ? (int)(e - g - 16) : 4,
             e ? g + 16 : "<rg>");
    const char *slash = strrchr(id, '/');
    snprintf(name, name_cap, "%s", slash ? slash + 1 : id);
}

/* One address more in the resource's own firewall. */
static void fix_firewall(finding *x)
{
    char rg[128], name[128];
    id_parts(x->resource_id, rg, sizeof rg, name, sizeof name);
    const char *ip = x->f.source_ip[0] ? x->f.source_ip : "<caller address>";
    if (x->private_source) {
        snprintf(
            x->fix, sizeof x->fix,
            "Azure saw the private address %s: the caller reaches %s from a virtual network (a service endpoint, or %s), so no IP rule can admit it; admit its subnet with a virtual network rule (its subnet needs the %s service endpoint), or give it a private endpoint",
            ip, name,
            x->storage ? "the account's own region: IP rules ignore callers of the same region"
                       : "a private path",
            x->storage ? "Microsoft.Storage" : "Microsoft.KeyVault");
        snprintf(x->command, sizeof x->command,
                 "az %s network-rule add --resource-group %s %s %s --subnet <subnet id>",
                 x->storage ? "storage account" : "keyvault", rg,
                 x->storage ? "--account-name" : "--name", name);
        snprintf(x->opens, sizeof x->opens,
                 "every address of that subnet, to %s", name);
        return;
    }
    snprintf(x->fix, sizeof x->fix, "allow %s in %s's firewall (an IP rule)",
             ip, name);
    snprintf(x->command, sizeof x->command,
             "az %s network-rule add --resource-group %s %s %s --ip-address %s%s",
             x->storage ? "storage account" : "keyvault", rg,
             x->storage ? "--account-name" : "--name", name, ip,
             x->storage ? "" : "/32");
    snprintf(x->opens, sizeof x->opens,
             "1 address (%s) to %s, for any caller there that holds a key, a SAS or a role",
             ip, name);
}

/* One address more in the resource's perimeter profile. */
static void fix_perimeter(finding *x, const moat_estate *es)
{
    moat_perimeter_info pi;
    char rg[128], name[128], prg[128], pname[128];
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
    const char *ip = x->f.source_ip[0] ? x->f.source_ip : "<caller address>";
    snprintf(x->fix, sizeof x->fix,
             "an inbound access rule for %s/32 in profile %s of perimeter %s (%s mode; Enforced ignores the resource's own firewall and trusted services)",
             ip, pi.profile_name, pname, pi.mode);
    snprintf(x->command, sizeof x->command,
             "az network perimeter profile access-rule create --resource-group %s --perimeter-name %s --profile-name %s --name allow-%s --address-prefixes %s/32",
             prg, pname, pi.profile_name, ip, ip);
    snprintf(x->opens, sizeof x->opens,
             "1 address (%s) to every resource of profile %s: %zu resource%s",
             ip, pi.profile_name, pi.profile_members,
             pi.profile_members == 1 ? "" : "s");
}

static void fix_private_link(finding *x)
{
    char rg[128], name[128];
    id_parts(x->resource_id[0] ? x->resource_id : x->f.resource, rg, sizeof rg,
             name, sizeof name);
    if (x->decided &&
        x->d.category == MOAT_CAT_RES_PRIVATE_ENDPOINT_NOT_APPROVED) {
        snprintf(x->fix, sizeof x->fix,
                 "approve the caller's private endpoint connection on %s",
                 name);
        snprintf(x->command, sizeof x->command,
                 "az network private-endpoint-connection approve --resource-group %s --resource-name %s --type %s --name <connection>",
                 rg, name,
                 x->storage ? "Microsoft.Storage/storageAccounts"
                            : "Microsoft.KeyVault/vaults");
        snprintf(x->opens, sizeof x->opens,
                 "the endpoint's virtual network, nothing public");
        return;
    }
    snprintf(x->fix, sizeof x->fix,
             "public network access is off for %s: reach it through a private endpoint (and its private DNS zone), not its public address",
             name);
    snprintf(x->command, sizeof x->command,
             "az network private-endpoint create --resource-group <rg> --name pe-%s --vnet-name <vnet> --subnet <subnet> --private-connection-resource-id %s --group-id %s --connection-name %s",
             name, x->resource_id[0] ? x->resource_id : "<resource id>",
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
        snprintf(x->command, sizeof x->command,
                 "az role assignment create --assignee-object-id %s --role \"%s\" --scope %s",
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
    default: fix_firewall(x);
    }
}
