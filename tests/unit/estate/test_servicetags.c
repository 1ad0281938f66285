/*
** test_servicetags.c - perimeter service-tag rules (decision.md sections 4
** and 7): Azure's service-tag file read into the loader, matched for key
** vaults only; without the file nothing matches and the decision says
** service-tags-unknown; on a storage account never, service-tags-
** unsupported; either warning only when the rule was consulted.
*/
#include "harness.h"
#include "moat_int.h"

#define SUB "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
#define TENANT "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
#define RG "/subscriptions/" SUB "/resourceGroups/rg/providers/"
#define NSP RG "Microsoft.Network/networkSecurityPerimeters/nsp"

/* A key vault and a storage account, Enforced in one profile whose rules
** are: tags (AzureKeyVault.WestEurope and a tag no file has), then an
** address rule for 198.51.100.0/24. */
#define ASSOC(name, res)                                                       \
    ",{\"id\":\"" NSP "/resourceAssociations/" name "\",\"type\":"            \
    "\"Microsoft.Network/networkSecurityPerimeters/resourceAssociations\","    \
    "\"properties\":{\"privateLinkResource\":{\"id\":\"" RG res "\"},"         \
    "\"profile\":{\"id\":\"" NSP "/profiles/p\"},\"accessMode\":"              \
    "\"Enforced\"}}"
static const char estate_json[] =
    "[{\"id\":\"/subscriptions/" SUB "\",\"type\":\"Microsoft.Resources/"
    "subscriptions\",\"subscriptionId\":\"" SUB "\",\"tenantId\":\"" TENANT
    "\"},"
    "{\"id\":\"" RG "Microsoft.KeyVault/vaults/kv\",\"type\":\"Microsoft."
    "KeyVault/vaults\",\"location\":\"westeurope\",\"properties\":{"
    "\"tenantId\":\"" TENANT "\"}},"
    "{\"id\":\"" RG "Microsoft.Storage/storageAccounts/st\",\"type\":"
    "\"Microsoft.Storage/storageAccounts\",\"location\":\"westeurope\"},"
    "{\"id\":\"" NSP "\",\"type\":\"Microsoft.Network/"
    "networkSecurityPerimeters\",\"location\":\"westeurope\",\"properties\":"
    "{\"perimeterGuid\":\"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\"}},"
    "{\"id\":\"" NSP "/profiles/p\",\"type\":\"Microsoft.Network/"
    "networkSecurityPerimeters/profiles\"},"
    "{\"id\":\"" NSP "/profiles/p/accessRules/tags\",\"type\":\"Microsoft."
    "Network/networkSecurityPerimeters/profiles/accessRules\",\"properties\":"
    "{\"direction\":\"Inbound\",\"serviceTags\":[\"AzureKeyVault.WestEurope\","
    "\"NoSuch.Tag\"]}},"
    "{\"id\":\"" NSP "/profiles/p/accessRules/hq\",\"type\":\"Microsoft."
    "Network/networkSecurityPerimeters/profiles/accessRules\",\"properties\":"
    "{\"direction\":\"Inbound\",\"addressPrefixes\":[\"198.51.100.0/24\"]}}" ASSOC(
        "a1", "Microsoft.KeyVault/vaults/kv")
        ASSOC("a2", "Microsoft.Storage/storageAccounts/st") "]";

/* As Azure's file writes them (ServiceTags_Public_20250127.json, two
** values trimmed to a few prefixes). */
static const char tags_json[] =
    "{\"changeNumber\": 343, \"cloud\": \"Public\", \"values\": [\n"
    " {\"name\": \"AzureKeyVault.WestEurope\", \"id\": "
    "\"AzureKeyVault.WestEurope\", \"properties\": {\"changeNumber\": 7, "
    "\"region\": \"westeurope\", \"regionId\": 18, \"platform\": \"Azure\", "
    "\"systemService\": \"AzureKeyVault\", \"addressPrefixes\": "
    "[\"13.69.64.72/30\", \"20.61.103.224/29\", \"2603:1020:206::340/125\"], "
    "\"networkFeatures\": null}},\n"
    " {\"name\": \"Storage.WestEurope\", \"id\": \"Storage.WestEurope\", "
    "\"properties\": {\"addressPrefixes\": [\"13.69.40.16/28\", \"bogus\"]}}"
    "]}";

static moat_estate *load(int with_tags, moat_loader **out)
{
    moat_loader *ld = moat_loader_new(0);
    moat_estate *es = NULL;
    moat_loader_add_json(ld, "estate.json", estate_json, strlen(estate_json));
    if (with_tags)
        moat_loader_add_service_tags_json(ld, "tags.json", tags_json,
                                          strlen(tags_json));
    moat_loader_finish(ld, &es);
    if (out)
        *out = ld;
    else
        moat_loader_free(ld);
    return es;
}

static moat_decision decide_from(moat_request *q, const char *res,
                                 const char *ip)
{
    moat_decision d;
    memset(&d, 0, sizeof d);
    moat_request_reset(q);
    if (moat_request_set(q, MOAT_REQ_RESOURCE, res, strlen(res), NULL) ||
        moat_request_set(q, MOAT_REQ_SOURCE_IP, ip, strlen(ip), NULL) ||
        moat_decide(q, &d) != MOAT_OK)
        d.category = MOAT_CAT_NONE;
    return d;
}

TEST(servicetags_admit_key_vaults_with_the_file)
{
    moat_loader *ld;
    moat_estate *es = load(1, &ld);
    ASSERT(es != NULL);
    /* The unknown tag and the bad prefix are said, with where. */
    int unknown = 0, bogus = 0;
    for (size_t i = 0; i < moat_loader_diag_count(ld); i++) {
        const moat_diag *d = moat_loader_diag(ld, i);
        unknown += strstr(d->message, "NoSuch.Tag is not in the service-tag "
                                      "file") != NULL;
        bogus += strstr(d->message, "addressPrefixes[1]") != NULL &&
                 strcmp(d->file, "tags.json") == 0 && d->line == 3;
    }
    ASSERT_EQ(unknown, 1);
    ASSERT_EQ(bogus, 0); /* Storage.WestEurope is named by no rule */
    moat_loader_free(ld);
    moat_request *q = moat_request_new(es);
    moat_decision d = decide_from(q, "kv", "13.69.64.73");
    ASSERT_EQ(d.category, MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_ALLOWED);
    ASSERT_EQ(d.warnings, 0);
    ASSERT_EQ(moat_decision_rule(q, &d) >= 0, 1);
    d = decide_from(q, "kv", "2603:1020:206::347");
    ASSERT_EQ(d.category, MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_ALLOWED);
    d = decide_from(q, "kv", "13.69.64.76");
    ASSERT_EQ(d.category, MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_DENIED);
    ASSERT_EQ(d.warnings, 0);
    /* Storage never matches them, and says so when they were consulted. */
    d = decide_from(q, "st", "13.69.64.73");
    ASSERT_EQ(d.category, MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_DENIED);
    ASSERT_EQ(d.warnings, MOAT_WARN_SERVICE_TAGS_UNSUPPORTED);
    moat_explanation *x = moat_explanation_new();
    ASSERT_EQ(moat_explain(q, x, 0), MOAT_OK);
    char json[2048];
    moat_explanation_json(x, json, sizeof json);
    ASSERT(strstr(json, "\"warnings\":[\"service-tags-unsupported\"]") != NULL);
    moat_explanation_free(x);
    moat_request_free(q);
    moat_estate_free(es);
}

TEST(servicetags_unknown_without_the_file)
{
    moat_estate *es = load(0, NULL);
    ASSERT(es != NULL);
    moat_request *q = moat_request_new(es);
    moat_decision d = decide_from(q, "kv", "13.69.64.73");
    ASSERT_EQ(d.category, MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_DENIED);
    ASSERT_EQ(d.warnings, MOAT_WARN_SERVICE_TAGS_UNKNOWN);
    ASSERT_STR(moat_warning_name(MOAT_WARN_SERVICE_TAGS_UNKNOWN),
               "service-tags-unknown");
    /* The tag rule comes before the address rule that admits: consulted. */
    d = decide_from(q, "kv", "198.51.100.7");
    ASSERT_EQ(d.category, MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_ALLOWED);
    ASSERT_EQ(d.warnings, MOAT_WARN_SERVICE_TAGS_UNKNOWN);
    d = decide_from(q, "st", "198.51.100.7");
    ASSERT_EQ(d.warnings, MOAT_WARN_SERVICE_TAGS_UNSUPPORTED);
    moat_request_free(q);
    moat_estate_free(es);
}

TEST(servicetags_file_errors)
{
    static const char *const bad[] = {
        "{\"values\": 7}",
        "[]",
        "{\"values\": [{\"name\": 3, \"properties\": {}}]}",
        "{\"values\": [{\"name\": \"x\"}]}",
        "{\"values\": [",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        moat_loader *ld = moat_loader_new(0);
        moat_status rc = moat_loader_add_service_tags_json(ld, "t.json", bad[i],
                                                           strlen(bad[i]));
        if (rc == MOAT_OK)
            FAIL_AT("accepted %s", bad[i]);
        ASSERT(moat_loader_error_count(ld) == 1);
        ASSERT_STR(moat_loader_diag(ld, 0)->file, "t.json");
        moat_loader_free(ld);
    }
    moat_loader *ld = moat_loader_new(0);
    ASSERT_EQ(moat_loader_add_service_tags(ld, "/nonexistent/tags.json"),
              MOAT_E_IO);
    moat_loader_free(ld);
}
