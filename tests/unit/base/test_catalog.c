/*
** test_catalog.c - the trusted-service catalog (version 2): which rows
** name a caller (platform, identities, bare namespaces), their dates, the
** request's time (RFC 3339, boundaries, zones, errors), and the decisions
** that depend on them.
*/
#include "harness.h"
#include "moat_int.h"

#define SUB "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
#define TENANT "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
#define OTHER_TENANT "a0b1c2d3-e4f5-4a6b-9c8d-7e6f5a4b3c2d"
#define RG "/subscriptions/" SUB "/resourceGroups/rg/providers/"
#define APIM RG "Microsoft.ApiManagement/service/apim1"

/* The rows naming `name` for a target, as a request would find them. */
static int first_row(moat_catalog_target t, const char *name)
{
    caller_rows c;
    moat__catalog_rows_of(name, strlen(name), NULL, 0, &c);
    return c.n[t - 1] ? c.row[t - 1][0] : -1;
}

static const char *service_of(moat_catalog_target t, const char *name)
{
    int i = first_row(t, name);
    return i < 0 ? "" : moat__catalog_entries[i].service;
}

TEST(catalog_names_callers)
{
    /* Platform namespaces (caller.service) and typed identities; a bare
    ** namespace among the identities matches every type of it. */
    ASSERT_STR(service_of(MOAT_TARGET_STORAGE, "Microsoft.RecoveryServices"),
               "Azure Backup");
    ASSERT_STR(service_of(MOAT_TARGET_STORAGE,
                          "microsoft.recoveryservices/vaults"),
               "Azure Backup");
    ASSERT_STR(service_of(MOAT_TARGET_STORAGE,
                          "Microsoft.DataFactory/factories"),
               "Azure Data Factory");
    ASSERT(first_row(MOAT_TARGET_STORAGE, "Microsoft.DataFactory") < 0);
    ASSERT(first_row(MOAT_TARGET_STORAGE, "Microsoft.DataFactory/pipelines") <
           0);
    ASSERT(first_row(MOAT_TARGET_STORAGE, "Microsoft.Sql/servers/databases") >=
           0);
    ASSERT(first_row(MOAT_TARGET_KEYVAULT, "Microsoft.Kusto") < 0);
    /* Key Vault: customer code is not trusted (decision.md section 7). */
    ASSERT(first_row(MOAT_TARGET_KEYVAULT, "Microsoft.Web/sites") < 0);
    ASSERT(first_row(MOAT_TARGET_KEYVAULT,
                     "Microsoft.Compute/virtualMachines") < 0);
    ASSERT_STR(service_of(MOAT_TARGET_KEYVAULT, "Microsoft.Web"),
               "Azure App Service");
    ASSERT(first_row(MOAT_TARGET_KEYVAULT, "Microsoft.Compute") >= 0);
    ASSERT_STR(service_of(MOAT_TARGET_KEYVAULT,
                          "Microsoft.Compute/diskEncryptionSets"),
               "Azure Disk Storage");
    ASSERT_STR(service_of(MOAT_TARGET_KEYVAULT,
                          "Microsoft.Sql/managedInstances"),
               "Azure SQL Database");
    /* A platform never names a type, an identity never a namespace. */
    ASSERT(first_row(MOAT_TARGET_KEYVAULT, "Microsoft.Web/Microsoft.Web") < 0);
    ASSERT(first_row(MOAT_TARGET_STORAGE, "Microsoft.AgFoodPlatform") < 0);
    ASSERT(moat_catalog_count() > 90);
    ASSERT(moat_catalog_entry(moat_catalog_count()) == NULL);
}

/* Every name the catalog uses is named by fewer than MOAT_TRUST_MAX rows
** of a target, so a request's candidates are never cut short. */
TEST(catalog_candidates_fit)
{
    for (size_t i = 0; i < moat_catalog_count(); i++) {
        const moat_service *e = moat_catalog_entry(i);
        char names[1024];
        snprintf(names, sizeof names, "%s,%s", e->platform, e->identities);
        for (char *tok = strtok(names, ","); tok; tok = strtok(NULL, ",")) {
            caller_rows c;
            moat__catalog_rows_of(tok, strlen(tok), NULL, 0, &c);
            if (c.n[0] >= MOAT_TRUST_MAX || c.n[1] >= MOAT_TRUST_MAX)
                FAIL_AT("%s is named by %u and %u rows", tok, c.n[0], c.n[1]);
            ASSERT(c.n[0] + c.n[1] >= 1);
        }
    }
}

TEST(catalog_dates)
{
    /* Columns as text, spans as seconds; until is exclusive. */
    int apim = -1, search = -1;
    for (size_t i = 0; i < moat_catalog_count(); i++) {
        const moat_service *e = moat_catalog_entry(i);
        if (strcmp(e->target, "storage") == 0 &&
            strcmp(e->service, "Azure API Management") == 0)
            apim = (int)i;
        if (strcmp(e->target, "keyvault") == 0 &&
            strcmp(e->service, "Azure AI Search") == 0)
            search = (int)i;
        const catalog_row *r = &moat__catalog_rows[i];
        ASSERT(r->since < r->until);
        ASSERT_EQ(e->since[0] == '\0', r->since == INT64_MIN);
        ASSERT_EQ(e->until[0] == '\0', r->until == INT64_MAX);
        ASSERT(e->platform[0] || e->identities[0]);
    }
    ASSERT(apim >= 0 && search >= 0);
    ASSERT_STR(moat_catalog_entry((size_t)apim)->until, "2026-03-15");
    ASSERT_EQ(moat__catalog_rows[apim].until, 1773532800LL);
    ASSERT(moat__catalog_rows[apim].managed_identity);
    ASSERT_EQ(moat__catalog_rows[search].since, 1787184000LL); /* 2026-08-20 */

    caller_rows c;
    const char *t = "Microsoft.ApiManagement/service";
    moat__catalog_rows_of(t, strlen(t), t, strlen(t), &c);
    ASSERT_EQ(c.instances_until, 1773532800LL);
    ASSERT_EQ(c.instances_row, apim);
    ASSERT_EQ(moat__catalog_in_force(&c, MOAT_TARGET_STORAGE, 1773532799LL),
              apim);
    ASSERT_EQ(moat__catalog_in_force(&c, MOAT_TARGET_STORAGE, 1773532800LL),
              -1);
    ASSERT(moat__catalog_in_force(&c, MOAT_TARGET_KEYVAULT, 1773532800LL) >= 0);
    t = "Microsoft.Search/searchServices";
    moat__catalog_rows_of(t, strlen(t), t, strlen(t), &c);
    ASSERT_EQ(moat__catalog_in_force(&c, MOAT_TARGET_KEYVAULT, 1787183999LL),
              -1);
    ASSERT_EQ(moat__catalog_in_force(&c, MOAT_TARGET_KEYVAULT, 1787184000LL),
              search);
    ASSERT_EQ(c.instances_until, INT64_MAX);
}

static int64_t when(const char *s)
{
    int64_t t = -1;
    return moat__time_parse(s, strlen(s), &t) == 0 ? t : -1;
}

TEST(catalog_time_parsing)
{
    ASSERT_EQ(when("1970-01-01T00:00:00Z"), 0);
    ASSERT_EQ(when("2026-03-15T00:00:00Z"), 1773532800LL);
    ASSERT_EQ(when("2026-03-14T23:59:59Z"), 1773532799LL);
    ASSERT_EQ(when("2026-03-14T23:59:59.9999999Z"), 1773532799LL);
    ASSERT_EQ(when("2026-03-15t00:00:00z"), 1773532800LL);
    ASSERT_EQ(when("2026-03-15 00:00:00Z"), 1773532800LL);
    /* Zones: half past midnight in UTC+1 is the day before in UTC. */
    ASSERT_EQ(when("2026-03-15T00:30:00+01:00"), 1773532800LL - 1800);
    ASSERT_EQ(when("2026-03-14T19:00:00-05:00"), 1773532800LL);
    ASSERT_EQ(when("2026-03-15T05:30:00.5+05:30"), 1773532800LL);
    ASSERT_EQ(when("2024-02-29T12:00:00Z"), 1709208000LL);
    ASSERT_EQ(when("2016-12-31T23:59:60Z"), 1483228800LL);
    static const char *const bad[] = {
        "",
        "2026-03-15",
        "2026-03-15T00:00:00",
        "2026-03-15T00:00Z",
        "2026-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-03-15T24:00:00Z",
        "2026-03-15T00:60:00Z",
        "2026-03-15T00:00:00.Z",
        "2026-03-15T00:00:00+0100",
        "2026-03-15T00:00:00+01:00 ",
        "2026-03-15T00:00:00UTC",
        "2026-3-15T00:00:00Z",
        "15/03/2026 00:00:00",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (when(bad[i]) != -1)
            FAIL_AT("accepted \"%s\"", bad[i]);
    }
}

static const char estate_json[] =
    "[{\"id\":\"/subscriptions/" SUB "\",\"type\":\"Microsoft.Resources/"
    "subscriptions\",\"subscriptionId\":\"" SUB "\",\"tenantId\":\"" TENANT
    "\"},"
    "{\"id\":\"" RG "Microsoft.Storage/storageAccounts/st1\",\"type\":"
    "\"Microsoft.Storage/storageAccounts\",\"location\":\"westeurope\","
    "\"properties\":{\"networkAcls\":{\"defaultAction\":\"Deny\","
    "\"bypass\":\"AzureServices\"}}},"
    "{\"id\":\"" RG "Microsoft.Storage/storageAccounts/st2\",\"type\":"
    "\"Microsoft.Storage/storageAccounts\",\"location\":\"westeurope\","
    "\"properties\":{\"networkAcls\":{\"defaultAction\":\"Deny\","
    "\"bypass\":\"None\",\"resourceAccessRules\":[{\"tenantId\":\"" TENANT
    "\",\"resourceId\":\"" APIM "\"},{\"tenantId\":\"" OTHER_TENANT
    "\",\"resourceId\":\"" RG "Microsoft.DataFactory/factories/*\"}]}}},"
    "{\"id\":\"/subscriptions/ffffffff-5a6b-4c7d-8e9f-0a1b2c3d4e5f/"
    "resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st3\","
    "\"type\":\"Microsoft.Storage/storageAccounts\",\"location\":"
    "\"westeurope\",\"properties\":{\"networkAcls\":{\"defaultAction\":"
    "\"Deny\",\"bypass\":\"None\",\"resourceAccessRules\":[{\"tenantId\":\"" OTHER_TENANT
    "\",\"resourceId\":\"" RG "Microsoft.DataFactory/factories/*\"}]}}}]";

/* The category of a request to st1 or st2 from APIM at `time`. */
static moat_category decide_at(moat_request *q, const char *res,
                               const char *caller, const char *tenant,
                               const char *time, unsigned *warnings)
{
    moat_request_reset(q);
    moat_decision d;
    if (moat_request_set(q, MOAT_REQ_RESOURCE, res, strlen(res), NULL) ||
        moat_request_set(q, MOAT_REQ_CALLER_TENANT, tenant, strlen(tenant),
                         NULL) ||
        moat_request_set(q, MOAT_REQ_CALLER_RESOURCE_ID, caller,
                         strlen(caller), NULL) ||
        (time &&
         moat_request_set(q, MOAT_REQ_TIME, time, strlen(time), NULL)) ||
        moat_decide(q, &d) != MOAT_OK)
        return MOAT_CAT_NONE;
    if (warnings)
        *warnings = d.warnings;
    return d.category;
}

TEST(catalog_decisions_at_boundaries)
{
    moat_estate *es = harness_estate(estate_json, 0);
    ASSERT(es != NULL);
    moat_request *q = moat_request_new(es);
    /* Trusted service: the last second before the retirement, the first
    ** second of its day, and a zone whose local date is the day. */
    ASSERT_EQ(decide_at(q, "st1", APIM, TENANT, "2026-03-14T23:59:59.999Z",
                        NULL),
              MOAT_CAT_RES_TRUSTED_SERVICE);
    ASSERT_EQ(decide_at(q, "st1", APIM, TENANT, "2026-03-15T00:00:00Z", NULL),
              MOAT_CAT_RES_DEFAULT_ACTION_DENY);
    ASSERT_EQ(decide_at(q, "st1", APIM, TENANT, "2026-03-15T00:30:00+01:00",
                        NULL),
              MOAT_CAT_RES_TRUSTED_SERVICE);
    /* Without a time: now, which is past the retirement. */
    ASSERT_EQ(decide_at(q, "st1", APIM, TENANT, NULL, NULL),
              MOAT_CAT_RES_DEFAULT_ACTION_DENY);
    /* Resource instance rules end for the type with the row. */
    ASSERT_EQ(decide_at(q, "st2", APIM, TENANT, "2026-03-14T23:59:59Z", NULL),
              MOAT_CAT_RES_RESOURCE_INSTANCE_RULE);
    ASSERT_EQ(decide_at(q, "st2", APIM, TENANT, "2026-03-15T00:00:00Z", NULL),
              MOAT_CAT_RES_DEFAULT_ACTION_DENY);
    /* A rule naming another tenant admits nobody on an account of known
    ** tenant (instances must be from the account's tenant)... */
    const char *adf = RG "Microsoft.DataFactory/factories/adf1";
    unsigned w = 0;
    ASSERT_EQ(decide_at(q, "st2", adf, OTHER_TENANT, NULL, &w),
              MOAT_CAT_RES_DEFAULT_ACTION_DENY);
    ASSERT_EQ(w, 0);
    /* ... and when the account's tenant is unknown, the rule's own stands
    ** in, with the warning. */
    ASSERT_EQ(decide_at(q, "st3", adf, OTHER_TENANT, NULL, &w),
              MOAT_CAT_RES_RESOURCE_INSTANCE_RULE);
    ASSERT_EQ(w, MOAT_WARN_TENANT_UNKNOWN);
    ASSERT_EQ(decide_at(q, "st3", adf, TENANT, NULL, &w),
              MOAT_CAT_RES_DEFAULT_ACTION_DENY);

    /* A bad time is an error naming the field, in both ways in. */
    moat_error err;
    ASSERT_EQ(moat_request_set(q, MOAT_REQ_TIME, "2026-03-15", 10, &err),
              MOAT_E_INVAL);
    ASSERT(strncmp(err.message, "time \"2026-03-15\"", 17) == 0);
    const char *json = "{\"resource\":\"st1\",\"time\":\"yesterday\"}";
    ASSERT_EQ(moat_request_parse(q, json, strlen(json), &err), MOAT_E_INVAL);
    ASSERT(strstr(err.message, "time \"yesterday\"") != NULL);
    ASSERT_EQ(err.offset, 25); /* the value */
    json = "{\"resource\":\"st1\",\"time\":20260315}";
    ASSERT_EQ(moat_request_parse(q, json, strlen(json), &err), MOAT_E_INVAL);
    ASSERT(strstr(err.message, "\"time\" must be a string") != NULL);
    moat_request_free(q);
    moat_estate_free(es);
}
