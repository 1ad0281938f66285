/*
** fuzz_log.c - replay's record reader on arbitrary bytes, in every format,
** against an estate with subnets, a private endpoint, an identity, a key
** vault (AzureDiagnostics and AZKVAuditLogs rows) and a
** perimeter (perimeter access records, NSPAccessLogs, too); and a second estate, as a proposal, through the translating
** path. The first byte picks the format (CSV takes the first line as its
** header). Reading never crashes or leaks; a record that maps to a request
** in one estate maps the same in the other (decisions agree, as the
** estates are the same); a request that fails to apply decides deny.
*/
#include "moat.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char log_estate[] =
    "[{\"id\":\"/subscriptions/s1\",\"type\":\"Microsoft.Resources/"
    "subscriptions\",\"subscriptionId\":\"s1\",\"tenantId\":\"t1\"},"
    "{\"id\":\"/subscriptions/s1/resourceGroups/g/providers/Microsoft.KeyVault/"
    "vaults/kv\",\"name\":\"kv\",\"type\":\"Microsoft.KeyVault/vaults\","
    "\"location\":\"westeurope\",\"properties\":{\"tenantId\":\"t1\","
    "\"networkAcls\":{\"defaultAction\":\"Deny\",\"ipRules\":[{\"value\":"
    "\"203.0.113.0/24\"}]}}},"
    "{\"id\":\"/subscriptions/s1/resourceGroups/g/providers/Microsoft.Storage/"
    "storageAccounts/acct\",\"name\":\"acct\",\"type\":\"Microsoft.Storage/"
    "storageAccounts\",\"location\":\"westeurope\",\"properties\":{"
    "\"networkAcls\":{\"defaultAction\":\"Deny\",\"bypass\":\"Logging\","
    "\"ipRules\":[{\"value\":\"203.0.113.0/24\"}],\"virtualNetworkRules\":[{"
    "\"id\":\"/subscriptions/s1/resourceGroups/g/providers/Microsoft.Network/"
    "virtualNetworks/v/subnets/a\"}],\"resourceAccessRules\":[{\"tenantId\":"
    "\"t1\",\"resourceId\":\"/subscriptions/s1/resourceGroups/g/providers/"
    "Microsoft.Synapse/workspaces/w\"}]},\"privateEndpointConnections\":[{"
    "\"properties\":{\"privateEndpoint\":{\"id\":\"/subscriptions/s1/"
    "resourceGroups/g/providers/Microsoft.Network/privateEndpoints/pe\"},"
    "\"privateLinkServiceConnectionState\":{\"status\":\"Approved\"}}}]}},"
    "{\"id\":\"/subscriptions/s1/resourceGroups/g/providers/Microsoft.Network/"
    "virtualNetworks/v\",\"type\":\"Microsoft.Network/virtualNetworks\","
    "\"location\":\"westeurope\",\"properties\":{\"subnets\":[{\"id\":"
    "\"/subscriptions/s1/resourceGroups/g/providers/Microsoft.Network/"
    "virtualNetworks/v/subnets/a\",\"properties\":{\"addressPrefix\":"
    "\"10.0.1.0/24\",\"serviceEndpoints\":[{\"service\":\"Microsoft.Storage\"}"
    "]}},{\"id\":\"/subscriptions/s1/resourceGroups/g/providers/"
    "Microsoft.Network/virtualNetworks/v/subnets/b\",\"properties\":{"
    "\"addressPrefix\":\"10.0.2.0/24\"}},{\"id\":\"/subscriptions/s1/"
    "resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/"
    "c\",\"properties\":{\"addressPrefix\":\"10.0.2.0/25\"}}]}},"
    "{\"id\":\"/subscriptions/s1/resourceGroups/g/providers/Microsoft.Network/"
    "privateEndpoints/pe\",\"type\":\"Microsoft.Network/privateEndpoints\","
    "\"properties\":{\"subnet\":{\"id\":\"/subscriptions/s1/resourceGroups/g/"
    "providers/Microsoft.Network/virtualNetworks/v/subnets/b\"}}},"
    "{\"id\":\"/subscriptions/s1/resourceGroups/g/providers/Microsoft.Synapse/"
    "workspaces/w\",\"type\":\"Microsoft.Synapse/workspaces\",\"location\":"
    "\"westeurope\",\"identity\":{\"principalId\":\"p1\"}},"
    /* a perimeter around acct, for perimeter access records */
    "{\"id\":\"/subscriptions/s1/resourceGroups/g/providers/Microsoft.Network/"
    "networkSecurityPerimeters/n\",\"type\":\"Microsoft.Network/"
    "networkSecurityPerimeters\",\"location\":\"westeurope\",\"properties\":{"
    "\"perimeterGuid\":\"c553ad54-365e-4219-85d3-e6d4a30742a0\"}},"
    "{\"id\":\"/subscriptions/s1/resourceGroups/g/providers/Microsoft.Network/"
    "networkSecurityPerimeters/n/profiles/p\",\"type\":\"Microsoft.Network/"
    "networkSecurityPerimeters/profiles\"},"
    "{\"id\":\"/subscriptions/s1/resourceGroups/g/providers/Microsoft.Network/"
    "networkSecurityPerimeters/n/profiles/p/accessRules/allow-hq\",\"name\":"
    "\"allow-hq\",\"type\":\"Microsoft.Network/networkSecurityPerimeters/"
    "profiles/accessRules\",\"properties\":{\"direction\":\"Inbound\","
    "\"addressPrefixes\":[\"198.51.100.0/26\"],\"subscriptions\":[{\"id\":"
    "\"/subscriptions/8fda9fa2-48b6-4eb6-928c-c56d3b37241d\"}]}},"
    "{\"id\":\"/subscriptions/s1/resourceGroups/g/providers/Microsoft.Network/"
    "networkSecurityPerimeters/n/resourceAssociations/a\",\"type\":"
    "\"Microsoft.Network/networkSecurityPerimeters/resourceAssociations\","
    "\"properties\":{\"privateLinkResource\":{\"id\":\"/subscriptions/s1/"
    "resourceGroups/g/providers/Microsoft.Storage/storageAccounts/acct\"},"
    "\"profile\":{\"id\":\"/subscriptions/s1/resourceGroups/g/providers/"
    "Microsoft.Network/networkSecurityPerimeters/n/profiles/p\"},"
    "\"accessMode\":\"Learning\"}}]";

static moat_estate *log_es[2];
static moat_request *log_q[2];

static void log_setup(void)
{
    for (int i = 0; i < 2; i++) {
        moat_loader *ld = moat_loader_new(0);
        moat_loader_add_json(ld, "estate.json", log_estate,
                             sizeof log_estate - 1);
        if (moat_loader_finish(ld, &log_es[i]) != MOAT_OK)
            abort();
        moat_loader_free(ld);
        log_q[i] = moat_request_new(log_es[i]);
    }
}

static void one_record(moat_log_reader *r, const char *rec, size_t len)
{
    moat_log_request m;
    const char *reason = NULL;
    moat_error err;
    moat_status st = moat_log_read(r, rec, len, &m, &reason, &err);
    if (st != MOAT_OK) {
        if (reason == NULL || err.message[0] == '\0')
            __builtin_trap(); /* an unmapped record always says why */
        return;
    }
    moat_decision d[2];
    for (int i = 0; i < 2; i++) {
        if (moat_log_request_apply(&m, log_q[i], NULL) != MOAT_OK) {
            moat_request_reset(log_q[i]);
            if (moat_decide(log_q[i], &d[i]) == MOAT_OK ||
                d[i].verdict != MOAT_DENY)
                __builtin_trap(); /* fail closed */
            return;
        }
        moat_decide(log_q[i], &d[i]);
    }
    if (d[0].verdict != d[1].verdict || d[0].category != d[1].category)
        __builtin_trap(); /* same estate: direct and translated paths agree */
    const char *cat[2], *rule[2];
    for (int i = 0; i < 2; i++)
        moat_decision_nsp_terms(log_q[i], &d[i], &cat[i], &rule[i]);
    if (strcmp(cat[0], cat[1]) != 0 || strcmp(rule[0], rule[1]) != 0 ||
        (m.azure_category.n && m.events == 0))
        __builtin_trap(); /* the perimeter's terms agree too */
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (log_es[0] == NULL)
        log_setup();
    if (size < 1)
        return 0;
    static const moat_log_format formats[] = {
        MOAT_LOG_DIAGNOSTIC, MOAT_LOG_ANALYTICS_JSON, MOAT_LOG_ANALYTICS_CSV,
        MOAT_LOG_CLASSIC};
    moat_log_format f = formats[data[0] % 4];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    moat_log_detect(text, len);
    moat_log_reader *r = moat_log_reader_new(log_es[0], f);
    if (r == NULL)
        return 0;
    if (f == MOAT_LOG_ANALYTICS_CSV) {
        const char *nl = memchr(text, '\n', len);
        size_t h = nl ? (size_t)(nl - text) : len;
        if (moat_log_reader_header(r, text, h, NULL) != MOAT_OK) {
            moat_log_reader_free(r);
            return 0;
        }
        text += h + (nl != NULL);
        len -= h + (nl != NULL);
    }
    /* Each line a record (CSV rows with quoted newlines come out as
    ** several: malformed ones, which is what the reader must survive). */
    while (len) {
        const char *nl = memchr(text, '\n', len);
        size_t n = nl ? (size_t)(nl - text) : len;
        one_record(r, text, n);
        text += n + (nl != NULL);
        len -= n + (nl != NULL);
    }
    moat_log_reader_free(r);
    return 0;
}
