/*
** fuzz_request.c - the request parser on arbitrary bytes against a fixed
** estate with every kind of rule; a request that fails to parse can never
** be allowed, and decide and explain always agree.
*/
#include "moat.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char request_estate[] =
    "[{\"id\":\"/subscriptions/s1\",\"type\":\"Microsoft.Resources/"
    "subscriptions\",\"subscriptionId\":\"s1\",\"tenantId\":\"t1\"},"
    "{\"id\":\"/subscriptions/s1/resourceGroups/g/providers/Microsoft.Storage/"
    "storageAccounts/a\",\"type\":\"Microsoft.Storage/storageAccounts\","
    "\"location\":\"westeurope\",\"properties\":{\"networkAcls\":{"
    "\"defaultAction\":\"Deny\",\"bypass\":\"Logging, Metrics, AzureServices\","
    "\"ipRules\":[{\"value\":\"203.0.113.0/24\"}],\"ipv6Rules\":[{\"value\":"
    "\"2001:db8::/32\"}],\"virtualNetworkRules\":[{\"id\":\"s\"}],"
    "\"resourceAccessRules\":[{\"tenantId\":\"t1\",\"resourceId\":"
    "\"/subscriptions/*/resourceGroups/*/providers/Microsoft.Web/sites/*\"}]},"
    "\"privateEndpointConnections\":[{\"properties\":{\"privateEndpoint\":{"
    "\"id\":\"p\"},\"privateLinkServiceConnectionState\":{\"status\":"
    "\"Approved\"}}}]}},"
    "{\"id\":\"/n/providers/Microsoft.Network/networkSecurityPerimeters/n\","
    "\"type\":\"Microsoft.Network/networkSecurityPerimeters\",\"properties\":"
    "{\"perimeterGuid\":\"g\"}},"
    "{\"id\":\"/n/providers/Microsoft.Network/networkSecurityPerimeters/n/"
    "profiles/p\",\"type\":\"Microsoft.Network/networkSecurityPerimeters/"
    "profiles\"},"
    "{\"id\":\"/n/providers/Microsoft.Network/networkSecurityPerimeters/n/"
    "profiles/p/accessRules/r\",\"type\":\"Microsoft.Network/"
    "networkSecurityPerimeters/profiles/accessRules\",\"properties\":{"
    "\"addressPrefixes\":[\"198.51.100.0/24\"],\"subscriptions\":[{\"id\":"
    "\"/subscriptions/s2\"}],\"serviceTags\":[\"AzureCloud\"]}},"
    "{\"id\":\"/s/providers/Microsoft.KeyVault/vaults/v\",\"type\":"
    "\"Microsoft.KeyVault/vaults\",\"location\":\"westeurope\",\"properties\":"
    "{\"tenantId\":\"t1\",\"networkAcls\":{\"defaultAction\":\"Deny\"}}},"
    "{\"id\":\"/n/providers/Microsoft.Network/networkSecurityPerimeters/n/"
    "resourceAssociations/x\",\"type\":\"Microsoft.Network/"
    "networkSecurityPerimeters/resourceAssociations\",\"properties\":{"
    "\"privateLinkResource\":{\"id\":\"/s/providers/Microsoft.KeyVault/vaults/"
    "v\"},\"profile\":{\"id\":\"/n/providers/Microsoft.Network/"
    "networkSecurityPerimeters/n/profiles/p\"},\"accessMode\":\"Learning\"}}]";

static moat_estate *request_es;
static moat_request *request_q;
static moat_explanation *request_x;

static void request_teardown(void)
{
    moat_explanation_free(request_x);
    moat_request_free(request_q);
    moat_estate_free(request_es);
}

static void request_setup(void)
{
    moat_loader *ld = moat_loader_new(0);
    moat_loader_add_json(ld, "estate", request_estate,
                         sizeof request_estate - 1);
    if (moat_loader_finish(ld, &request_es) != MOAT_OK)
        __builtin_trap();
    moat_loader_free(ld);
    request_q = moat_request_new(request_es);
    request_x = moat_explanation_new();
    atexit(request_teardown);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (request_es == NULL)
        request_setup();
    moat_error err;
    moat_decision d;
    moat_status rc =
        moat_request_parse(request_q, (const char *)data, size, &err);
    if (rc != MOAT_OK) {
        if (err.message[0] == '\0')
            __builtin_trap();
        if (moat_decide(request_q, &d) == MOAT_OK || d.verdict != MOAT_DENY)
            __builtin_trap();
        return 0;
    }
    if (moat_decide(request_q, &d) != MOAT_OK)
        __builtin_trap();
    if (moat_explain(request_q, request_x, MOAT_EXPLAIN_STEPS) != MOAT_OK)
        __builtin_trap();
    const moat_decision *e = moat_explanation_decision(request_x);
    if (e->verdict != d.verdict || e->category != d.category ||
        e->enforced_would != d.enforced_would)
        __builtin_trap();
    if ((d.verdict == MOAT_DENY) != (d.http_status == 403))
        __builtin_trap();
    char out[64];
    moat_explanation_json(request_x, out, sizeof out);
    return 0;
}
