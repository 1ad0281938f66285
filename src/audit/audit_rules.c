/*
** audit_rules.c - the audit's rules (MOAT001... and the CIS controls),
** their levels, and the CIS numbering of each control by version
** (reference/posture-tools.md section 2).
*/
#include "audit_int.h"

#include <stdlib.h>
#include <string.h>

/*--------------------------------------------------------------------------
** The rules (kinds of findings).
*/
const moat_audit_rule
    moat__audit_rules[R_COUNT] =
        {
            {"MOAT001", "internet-reachable",
             "Reachable from every address on the internet",
             "The public path admits any source address: publicNetworkAccess is Enabled and the firewall's default action is Allow (Azure's default when networkAcls is absent), or an IP rule covers the whole address space. Anyone with a credential the resource accepts (an account key or a SAS on a storage account, an Entra token on both) can reach the data plane from anywhere.",
             MOAT_LEVEL_CRITICAL},
            {"MOAT002", "wide-ip-range",
             "An IP rule or perimeter prefix admits a very wide range",
             "Rules are counted by the addresses they admit, not by their number: one rule such as 20.0.0.0/8 admits sixteen million addresses, including other tenants' cloud resources.",
             MOAT_LEVEL_MEDIUM},
            {"MOAT003", "log-metrics-exception",
             "Logging or Metrics exception admits reads of logs or metrics from anywhere",
             "bypass Logging admits reads of the $logs container, bypass Metrics reads of the $Metrics tables, from any network, past the firewall and past publicNetworkAccess Disabled.",
             MOAT_LEVEL_LOW},
            {"MOAT004", "wildcard-instance-rule",
             "A resource instance rule admits every instance of a type in a tenant, subscription or resource group",
             "resourceAccessRules with '*' segments admit every resource of that type in the scope: any workspace or factory someone creates there later reaches the account.",
             MOAT_LEVEL_MEDIUM},
            {"MOAT005", "cross-tenant-instance-rule",
             "A resource instance rule names another tenant and admits nothing",
             "The rule's tenantId is not the account's tenant. Azure admits only resource instances of the account's own tenant (\"Resource instances must be from the same tenant as your storage account\"), so the rule never matches: the partner it was meant for is refused, and the rule reads as access that does not exist.",
             MOAT_LEVEL_LOW},
            {"MOAT006", "disabled-with-exceptions",
             "publicNetworkAccess is Disabled but exceptions still admit traffic",
             "Disabled turns off IP and virtual network rules only; the exceptions stay in force: trusted services, and on a storage account also resource instance rules and the Logging and Metrics exceptions (Azure Storage network security limitations). The resource is not reachable only through private endpoints.",
             MOAT_LEVEL_LOW},
            {"MOAT007", "perimeter-lockdown",
             "SecuredByPerimeter without a perimeter: only private endpoints reach it",
             "publicNetworkAccess SecuredByPerimeter with no perimeter association refuses every public and trusted request; only approved private endpoints get through.",
             MOAT_LEVEL_INFO},
            {"MOAT008", "perimeter-not-enforcing",
             "The network security perimeter is in Learning or Audit mode",
             "In Learning mode a request no perimeter rule admits falls back to the resource's own firewall; in Audit mode the perimeter only reports. The finding lists what switching to Enforced would cut off.",
             MOAT_LEVEL_MEDIUM},
            {"MOAT009", "vnet-rule-without-service-endpoint",
             "A virtual network rule names a subnet without the service endpoint it needs",
             "Traffic from a subnet reaches the resource through a virtual network rule only over a service endpoint (Microsoft.Storage in the region or its paired region, Microsoft.Storage.Global, Microsoft.KeyVault). Without one it leaves on the public path and the rule never matches.",
             MOAT_LEVEL_MEDIUM},
            {"MOAT010", "vnet-rule-not-active",
             "A virtual network rule is not in state Succeeded",
             "A rule in state NetworkSourceDeleted (the subnet was deleted), Provisioning, Deprovisioning or Failed admits nothing.",
             MOAT_LEVEL_LOW},
            {"MOAT011", "invalid-ip-rule", "An IP rule Azure refuses",
             "Azure Storage IP rules take public IPv4 addresses and ranges of prefix 0 to 30: private ranges (10/8, 172.16/12, 192.168/16), /31 and /32 are refused; there are at most 400 rules of each kind. Key Vault takes public IPv4 ranges of any prefix and refuses the same private ranges; at most 1000 rules.",
             MOAT_LEVEL_MEDIUM},
            {"MOAT012", "private-endpoint-not-approved",
             "A private endpoint connection is not Approved",
             "Only an Approved private endpoint connection carries traffic; Pending, Rejected and Disconnected ones admit nothing.",
             MOAT_LEVEL_LOW},
            {"MOAT013", "unknown-value", "A setting the verdict depends on is unknown", "An ARM template expression or a Terraform value known only after apply: moat decides it as the most restrictive value and reports the controls that rest on it as failing with basis unknown, never guessing the value.",
             MOAT_LEVEL_MEDIUM},
            {"MOAT014", "tenant-unknown", "The resource's tenant is unknown",
             "Trusted services and the cross-tenant check need the tenant: a storage account's comes from its subscription (add the subscription to the estate), a vault's from properties.tenantId.",
             MOAT_LEVEL_INFO},
            {"MOAT015", "dependency-refused",
             "An Azure service's request on the customer's behalf is refused",
             "Azure services make data-plane requests to storage accounts and key vaults on the customer's behalf: a storage account fetching its customer-managed key, diagnostic settings, flow logs, SQL auditing and Event Hubs Capture writing to storage, a Function App reaching its own storage and its Key Vault references. moat reads each edge from the estate, decides the request the service makes (decision.md section 4) and reports the refused ones where they break, with the deciding rule and the smallest fix; an edge it cannot decide is reported as unknown, never as fine. Under a perimeter's Learning or Audit mode it also reports what Enforced would refuse.",
             MOAT_LEVEL_CRITICAL},
            {"MOAT016", "perimeter-unsupported-feature",
             "A storage account under a perimeter uses a feature the perimeter does not support",
             "Seed 003 (Network security perimeter for Azure Storage, Limitations) lists what a perimeter-associated account does not support: SFTP, NFS 3.0, SMB file shares, object replication, lifecycle management, blob inventory, unmanaged disks and vaulted backups. Protocols other than HTTPS are blocked; services not onboarded to perimeters are blocked in Enforced mode.",
             MOAT_LEVEL_HIGH},
            {"MOAT017", "runner-refused",
             "terraform apply will get a 403 from the data plane",
             "Terraform creates containers, shares, queues, tables, blobs, Data Lake filesystems and Key Vault secrets, keys and certificates through the data plane, from the machine that runs it (azurerm authenticates to storage with the account key by default). moat decides each such resource of a plan as a request from the runners given with --runner, against the firewall the same plan sets.",
             MOAT_LEVEL_HIGH},
            {"MOAT018", "storage-service-tag-rule",
             "A perimeter rule with service tags can never match a storage account",
             "Azure Storage does not support service tags in network security perimeter inbound rules (\"Azure Storage currently doesn't support service tags as inbound access rules\", Configure service tag access in Network Security Perimeter): the rule admits none of the account's callers, whatever their address, and moat decides so (warning service-tags-unsupported). Admit storage callers with address prefixes or subscriptions; key vaults in the same profile do use the rule.",
             MOAT_LEVEL_LOW},
            {"CIS-STORAGE-DEFAULT-DENY", "storage-default-deny",
             "Storage: the public path does not deny by default",
             "CIS: default network access rule for storage accounts set to deny. Judged on effect: defaultAction Deny, publicNetworkAccess Disabled or SecuredByPerimeter, or an Enforced perimeter all deny by default.",
             MOAT_LEVEL_HIGH},
            {"CIS-STORAGE-TRUSTED-SERVICES",
             "storage-trusted-services", "Storage: trusted Microsoft services are not admitted", "CIS: allow trusted Microsoft services to access the account. AzureServices is in effect when bypass lists it or is absent (Azure's default). From CIS 4.0 the control applies only when public access is enabled from selected networks.",
             MOAT_LEVEL_MEDIUM},
            {"CIS-STORAGE-PRIVATE-ENDPOINT", "storage-private-endpoint",
             "Storage: no approved private endpoint",
             "CIS: private endpoints used to access storage accounts. An Approved connection must exist; Pending or Rejected ones do not count.",
             MOAT_LEVEL_MEDIUM},
            {"CIS-STORAGE-PUBLIC-ACCESS-DISABLED",
             "storage-public-access-disabled",
             "Storage: public network access is not disabled",
             "CIS: public network access disabled for storage accounts. SecuredByPerimeter passes when no perimeter address rule opens the public path.",
             MOAT_LEVEL_MEDIUM},
            {"CIS-KEYVAULT-PRIVATE-ENDPOINT", "keyvault-private-endpoint",
             "Key Vault: no approved private endpoint",
             "CIS: private endpoints used for Azure Key Vault.",
             MOAT_LEVEL_MEDIUM},
            {"CIS-KEYVAULT-PUBLIC-ACCESS-DISABLED",
             "keyvault-public-access-disabled",
             "Key Vault: public network access is not disabled",
             "CIS 4.0 and later: public network access disabled for Key Vault when using private endpoints.",
             MOAT_LEVEL_MEDIUM},
            {"MOAT-KEYVAULT-DEFAULT-DENY", "keyvault-default-deny",
             "Key Vault: the public path does not deny by default",
             "Not a CIS control (no CIS version has one for Key Vault; Checkov's CKV_AZURE_109). Judged like storage-default-deny.",
             MOAT_LEVEL_HIGH},
};

size_t moat_audit_rule_count(void)
{
    return R_COUNT;
}

const moat_audit_rule *moat_audit_rule_at(size_t i)
{
    return i < R_COUNT ? &moat__audit_rules[i] : NULL;
}

const char *moat_level_name(moat_level level)
{
    static const char *const n[] = {"info", "low", "medium", "high",
                                    "critical"};
    return (unsigned)level < MOAT_ARRAY_LEN(n) ? n[level] : "?";
}

int moat_level_from_name(const char *name, moat_level *out)
{
    for (int i = 0; i <= MOAT_LEVEL_CRITICAL; i++) {
        if (name && moat__eq_ci_z(name, moat_level_name((moat_level)i))) {
            *out = (moat_level)i;
            return 0;
        }
    }
    return -1;
}

const char *moat_basis_name(moat_basis b)
{
    return b == MOAT_BASIS_DEFAULT   ? "default"
           : b == MOAT_BASIS_UNKNOWN ? "unknown"
                                     : "explicit";
}

const char *moat_control_status_name(moat_control_status s)
{
    return s == MOAT_CONTROL_PASS   ? "pass"
           : s == MOAT_CONTROL_FAIL ? "fail"
                                    : "not-applicable";
}

/*--------------------------------------------------------------------------
** CIS numbering by version (posture-tools.md section 2).
*/
const char *const moat__audit_cis_versions[N_CIS] = {
    "1.1.0", "1.2.0", "1.3.0", "1.4.0", "2.0.0",
    "2.1.0", "3.0.0", "4.0.0", "5.0.0", "6.0.0",
};

/* Control id per CIS version, in cis_versions order; NULL: not in that
** version. */
const char *const moat__audit_cis_ids[C_COUNT][N_CIS] = {
    [C_STORAGE_DEFAULT_DENY] = {"3.7", "3.6", "3.6", "3.6", "3.8", "3.8", "4.7",
                                "10.3.2.3", "9.3.2.3", "9.3.2.3"},
    [C_STORAGE_TRUSTED] = {"3.8", "3.7", "3.7", "3.7", "3.9", "3.9", "4.8",
                           "10.3.5", "9.3.5", "9.3.5"},
    [C_STORAGE_PE] = {NULL, NULL, NULL, NULL, "3.10", "3.10", "4.9", "10.3.2.1",
                      "9.3.2.1", "9.3.2.1"},
    [C_STORAGE_PNA] = {NULL, NULL, NULL, NULL, NULL, "3.7", "4.6", "10.3.2.2",
                       "9.3.2.2", "9.3.2.2"},
    [C_KEYVAULT_PE] = {NULL, NULL, NULL, NULL, "8.7", "8.7", "3.3.7", "9.3.8",
                       "8.3.8", "8.3.8"},
    [C_KEYVAULT_PNA] = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, "9.3.7",
                        "8.3.7", "8.3.7"},
    [C_KEYVAULT_DEFAULT_DENY] = {NULL},
};

const int moat__audit_control_rule[C_COUNT] = {
    R_CTL_STORAGE_DEFAULT_DENY,  R_CTL_STORAGE_TRUSTED, R_CTL_STORAGE_PE,
    R_CTL_STORAGE_PNA,           R_CTL_KEYVAULT_PE,     R_CTL_KEYVAULT_PNA,
    R_CTL_KEYVAULT_DEFAULT_DENY,
};

const char *moat_cis_version(size_t i)
{
    return i < N_CIS ? moat__audit_cis_versions[i] : NULL;
}
