/*
** test_regions.c - Azure's region pairs (data/region-pairs.tsv) and the
** Microsoft.Storage service endpoint without `locations`, which reaches the
** VNet's region and its pair (decision.md section 6, version 2).
*/
#include "harness.h"
#include "moat_int.h"

TEST(regions_pairs_as_azure_lists_them)
{
    ASSERT_STR(moat__region_pair_of("westeurope"), "northeurope");
    ASSERT_STR(moat__region_pair_of("northeurope"), "westeurope");
    ASSERT_STR(moat__region_pair_of("westus"), "eastus");
    ASSERT_STR(moat__region_pair_of("eastus"), "westus");
    /* Directed: the page's asymmetric pairs. */
    ASSERT_STR(moat__region_pair_of("westus3"), "eastus");
    ASSERT_STR(moat__region_pair_of("brazilsouth"), "southcentralus");
    ASSERT_STR(moat__region_pair_of("southcentralus"), "northcentralus");
    ASSERT_STR(moat__region_pair_of("westindia"), "southindia");
    ASSERT_STR(moat__region_pair_of("southindia"), "centralindia");
    ASSERT_STR(moat__region_pair_of("swedencentral"), "swedensouth");
    ASSERT_STR(moat__region_pair_of("usgovtexas"), "usgovvirginia");
    /* Nonpaired and unknown regions have none. */
    ASSERT(moat__region_pair_of("austriaeast") == NULL);
    ASSERT(moat__region_pair_of("italynorth") == NULL);
    ASSERT(moat__region_pair_of("nowhere") == NULL);
    for (unsigned long i = 0; i < moat__region_pairs_size; i++)
        ASSERT(strcmp(moat__region_pairs[i].region,
                      moat__region_pairs[i].pair) != 0);
}

#define SUB "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
#define RG "/subscriptions/" SUB "/resourceGroups/rg/providers/"
#define VNET RG "Microsoft.Network/virtualNetworks/"

/* Subnets "bare" (Microsoft.Storage without locations) and "listed"
** (locations westus only) of a VNet in West US; an account in each region
** with a rule for both. */
static const char estate_json[] =
    "[{\"id\":\"" VNET "v1\",\"type\":\"Microsoft.Network/virtualNetworks\","
    "\"location\":\"West US\",\"properties\":{\"subnets\":["
    "{\"id\":\"" VNET "v1/subnets/bare\",\"name\":\"bare\",\"properties\":{"
    "\"addressPrefix\":\"10.0.0.0/24\",\"serviceEndpoints\":[{\"service\":"
    "\"Microsoft.Storage\"}]}},"
    "{\"id\":\"" VNET "v1/subnets/listed\",\"name\":\"listed\","
    "\"properties\":{\"addressPrefix\":\"10.0.1.0/24\",\"serviceEndpoints\":"
    "[{\"service\":\"Microsoft.Storage\",\"locations\":[\"westus\"]}]}}]}}"
#define ACCOUNT(name, region)                                                  \
    ",{\"id\":\"" RG "Microsoft.Storage/storageAccounts/" name "\","           \
    "\"type\":\"Microsoft.Storage/storageAccounts\",\"location\":\"" region    \
    "\",\"properties\":{\"networkAcls\":{\"defaultAction\":\"Deny\","          \
    "\"virtualNetworkRules\":[{\"id\":\"" VNET "v1/subnets/bare\"},"           \
    "{\"id\":\"" VNET "v1/subnets/listed\"}]}}}"
    ACCOUNT("stwest", "westus") ACCOUNT("steast", "eastus")
        ACCOUNT("stcentral", "centralus") "]";

static moat_category from_subnet(moat_request *q, const char *acct,
                                 const char *subnet)
{
    char id[512];
    snprintf(id, sizeof id, VNET "v1/subnets/%s", subnet);
    moat_request_reset(q);
    moat_decision d;
    if (moat_request_set(q, MOAT_REQ_RESOURCE, acct, strlen(acct), NULL) ||
        moat_request_set(q, MOAT_REQ_SOURCE_IP, "203.0.113.9", 11, NULL) ||
        moat_request_set(q, MOAT_REQ_SOURCE_SUBNET, id, strlen(id), NULL) ||
        moat_decide(q, &d) != MOAT_OK)
        return MOAT_CAT_NONE;
    return d.category;
}

TEST(regions_storage_endpoint_reaches_the_pair)
{
    moat_estate *es = harness_estate(estate_json, 0);
    ASSERT(es != NULL);
    moat_request *q = moat_request_new(es);
    /* Without locations: West US and its pair East US. */
    ASSERT_EQ(from_subnet(q, "stwest", "bare"), MOAT_CAT_RES_VIRTUAL_NETWORK_RULE);
    ASSERT_EQ(from_subnet(q, "steast", "bare"), MOAT_CAT_RES_VIRTUAL_NETWORK_RULE);
    ASSERT_EQ(from_subnet(q, "stcentral", "bare"),
              MOAT_CAT_RES_DEFAULT_ACTION_DENY);
    /* A locations list says which: West US only. */
    ASSERT_EQ(from_subnet(q, "stwest", "listed"),
              MOAT_CAT_RES_VIRTUAL_NETWORK_RULE);
    ASSERT_EQ(from_subnet(q, "steast", "listed"),
              MOAT_CAT_RES_DEFAULT_ACTION_DENY);
    char *text = moat_estate_describe(es, NULL);
    ASSERT(strstr(text, "\"storagePairedRegion\":\"eastus\"") != NULL);
    moat_free(text);
    moat_request_free(q);
    moat_estate_free(es);
}

/* The public form takes a region as Azure writes it either way. */
TEST(regions_public_pair_takes_either_spelling)
{
    ASSERT_STR(moat_paired_region("West US"), "eastus");
    ASSERT_STR(moat_paired_region("westeurope"), "northeurope");
    ASSERT_STR(moat_paired_region("North Europe"), "westeurope");
    ASSERT(moat_paired_region("Italy North") == NULL);
    ASSERT(moat_paired_region("") == NULL);
    ASSERT(moat_paired_region(NULL) == NULL);
}
