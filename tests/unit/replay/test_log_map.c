/*
** test_log_map.c - records to requests through the public API
** (moat_log_read): the rules of docs/replay.md that the generated logs of
** tests/replay do not reach, one record at a time.
*/
#include "harness.h"
#include "engine_int.h"

#include <stdlib.h>

#define SUB "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
#define TENANT "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
#define PROV "/subscriptions/" SUB "/resourceGroups/rg/providers/"
#define ACCT PROV "Microsoft.Storage/storageAccounts/st1"
#define VAULT PROV "Microsoft.KeyVault/vaults/kv1"
/* An account in a resource group named like the type segment. */
#define ODD                                                                    \
    "/subscriptions/" SUB "/resourceGroups/storageAccounts/providers/"         \
    "Microsoft.Storage/storageAccounts/st2"

/* An account and a vault, both refusing the internet, and a managed
** identity whose tokens come from TENANT. */
static const char estate_json[] =
    "[{\"id\":\"/subscriptions/" SUB "\",\"type\":\"Microsoft.Resources/"
    "subscriptions\",\"subscriptionId\":\"" SUB "\",\"tenantId\":\"" TENANT
    "\"},"
    "{\"id\":\"" ACCT "\",\"name\":\"st1\",\"type\":\"Microsoft.Storage/"
    "storageAccounts\",\"location\":\"westeurope\",\"properties\":{"
    "\"networkAcls\":{\"defaultAction\":\"Deny\",\"ipRules\":[{\"value\":"
    "\"203.0.113.0/24\"}]}}},"
    "{\"id\":\"" ODD "\",\"type\":\"Microsoft.Storage/storageAccounts\","
    "\"location\":\"westeurope\"},"
    "{\"id\":\"" VAULT "\",\"name\":\"kv1\",\"type\":\"Microsoft.KeyVault/"
    "vaults\",\"location\":\"westeurope\",\"properties\":{\"tenantId\":"
    "\"" TENANT
    "\",\"networkAcls\":{\"defaultAction\":\"Deny\",\"bypass\":\"None\"}}},"
    "{\"id\":\"" PROV "Microsoft.ManagedIdentity/userAssignedIdentities/id1\","
    "\"type\":\"Microsoft.ManagedIdentity/userAssignedIdentities\","
    "\"location\":\"westeurope\",\"properties\":{\"principalId\":"
    "\"11111111-2222-4333-8444-555555555555\",\"tenantId\":\"" TENANT "\"}}]";

static moat_estate *estate(void)
{
    return harness_estate(estate_json, 0);
}

typedef struct mapped {
    moat_status st;
    const char *reason;
    moat_log_request m;
} mapped;

/* The request's texts point into the reader: it lives until the next
** record (or done()), as moat_log_read() promises. */
static moat_log_reader *reader;

static void done(moat_estate *es)
{
    moat_log_reader_free(reader);
    reader = NULL;
    moat_estate_free(es);
}

static mapped read_one(moat_estate *es, moat_log_format f, const char *rec)
{
    mapped out;
    moat_log_reader_free(reader);
    reader = moat_log_reader_new(es, f);
    out.st = moat_log_read(reader, rec, strlen(rec), &out.m, &out.reason, NULL);
    return out;
}

/* Field f of the request, NUL-terminated in a static buffer. */
static const char *field(const mapped *x, moat_field f)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%.*s", (int)x->m.field[f].n,
             x->m.field[f].p ? x->m.field[f].p : "");
    return buf;
}

TEST(log_map_resource_ids_by_provider)
{
    moat_estate *es = estate();
    ASSERT(es != NULL);
    /* A resource group named storageAccounts is not the type segment. */
    mapped x = read_one(
        es, MOAT_LOG_DIAGNOSTIC,
        "{\"resourceId\":\"/SUBSCRIPTIONS/" SUB "/RESOURCEGROUPS/RG/PROVIDERS/"
        "MICROSOFT.STORAGE/STORAGEACCOUNTS/ST1/BLOBSERVICES/DEFAULT\","
        "\"category\":\"StorageRead\",\"operationName\":\"GetBlob\","
        "\"callerIpAddress\":\"203.0.113.9:443\",\"statusCode\":200}");
    ASSERT_EQ(x.st, MOAT_OK);
    ASSERT_STR(field(&x, MOAT_REQ_RESOURCE), ACCT);
    x = read_one(es, MOAT_LOG_DIAGNOSTIC,
                 "{\"resourceId\":\"" ODD "/tableServices/default\","
                 "\"category\":\"StorageRead\",\"operationName\":"
                 "\"QueryEntities\",\"callerIpAddress\":\"203.0.113.9\"}");
    ASSERT_EQ(x.st, MOAT_OK);
    ASSERT_STR(field(&x, MOAT_REQ_RESOURCE), ODD);
    ASSERT_STR(field(&x, MOAT_REQ_ENDPOINT), "table");
    /* A bare account name finds accounts only, never the vault. */
    x = read_one(es, MOAT_LOG_ANALYTICS_JSON,
                 "{\"AccountName\":\"kv1\",\"OperationName\":\"GetBlob\","
                 "\"CallerIpAddress\":\"203.0.113.9:1\"}");
    ASSERT_STR(x.reason, "account not in the estate");
    done(es);
}

TEST(log_map_sources_and_status)
{
    moat_estate *es = estate();
    static const struct {
        const char *ip, *want;
        moat_log_outcome azure;
        const char *status;
    } cases[] = {
        {"[2001:db8::7]:8443", "2001:db8::7", MOAT_LOG_AZURE_DENIED,
         "\"statusCode\":403,\"statusText\":\"SASIpAuthorizationError\""},
        {"198.51.100.4", "198.51.100.4", MOAT_LOG_AZURE_DENIED,
         "\"statusCode\":403,\"statusText\":\"AuthorizationFailure\""},
        {"198.51.100.4:1", "198.51.100.4", MOAT_LOG_AZURE_ALLOWED,
         "\"statusCode\":404,\"statusText\":\"BlobNotFound\""},
        {"198.51.100.4:1", "198.51.100.4", MOAT_LOG_NO_EVIDENCE,
         "\"statusCode\":\"Unknown\",\"statusText\":\"NetworkError\""},
        {"::ffff:198.51.100.4", "::ffff:198.51.100.4", MOAT_LOG_NO_EVIDENCE,
         "\"statusCode\":401,\"statusText\":\"InvalidAuthenticationInfo\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rec[1024];
        snprintf(rec, sizeof rec,
                 "{\"resourceId\":\"" ACCT "\",\"category\":\"StorageRead\","
                 "\"operationName\":\"GetBlob\",\"callerIpAddress\":\"%s\","
                 "%s}",
                 cases[i].ip, cases[i].status);
        mapped x = read_one(es, MOAT_LOG_DIAGNOSTIC, rec);
        ASSERT_EQ(x.st, MOAT_OK);
        ASSERT_STR(field(&x, MOAT_REQ_SOURCE_IP), cases[i].want);
        ASSERT_EQ(x.m.azure, cases[i].azure);
    }
    mapped x = read_one(es, MOAT_LOG_DIAGNOSTIC,
                        "{\"resourceId\":\"" ACCT "\",\"category\":"
                        "\"StorageRead\",\"operationName\":\"GetBlob\","
                        "\"callerIpAddress\":\"Unknown\"}");
    ASSERT_STR(x.reason, "no caller address");
    done(es);
}

TEST(log_map_vault_records)
{
    moat_estate *es = estate();
    /* A data-plane refusal, by ForbiddenByFirewall's text; the identity's
    ** tenant comes from the estate when the claims lack tid. */
    mapped x = read_one(
        es, MOAT_LOG_DIAGNOSTIC,
        "{\"resourceId\":\"" VAULT "\",\"operationName\":\"SecretGet\","
        "\"category\":\"AuditEvent\",\"resultType\":\"Success\","
        "\"resultSignature\":\"Forbidden\",\"resultDescription\":\"Client "
        "address is not authorized and caller is not a trusted service.\","
        "\"callerIpAddress\":\"198.51.100.4\",\"identity\":{\"claim\":{"
        "\"oid\":\"11111111-2222-4333-8444-555555555555\"}},\"properties\":{"
        "\"httpStatusCode\":403,\"requestUri\":\"https://kv1.vault.azure.net/"
        "secrets/s\"}}");
    ASSERT_EQ(x.st, MOAT_OK);
    ASSERT_STR(field(&x, MOAT_REQ_ENDPOINT), "vault");
    ASSERT_EQ(x.m.field[MOAT_REQ_PLANE].n, 0);
    ASSERT_STR(field(&x, MOAT_REQ_OPERATION), "read");
    ASSERT_STR(field(&x, MOAT_REQ_CALLER_AUTH), "OAuth");
    ASSERT_STR(field(&x, MOAT_REQ_CALLER_TENANT), TENANT);
    ASSERT_STR(field(&x, MOAT_REQ_CALLER_RESOURCE_ID),
               PROV "Microsoft.ManagedIdentity/userAssignedIdentities/id1");
    ASSERT_EQ(x.m.azure, MOAT_LOG_AZURE_DENIED);
    /* Authorization refusals are after the network: no evidence. */
    x = read_one(es, MOAT_LOG_DIAGNOSTIC,
                 "{\"resourceId\":\"" VAULT "\",\"operationName\":"
                 "\"KeyListDeleted\",\"resultDescription\":\"Caller is not "
                 "authorized to perform action on resource.\","
                 "\"callerIpAddress\":\"198.51.100.4\",\"properties\":{"
                 "\"httpStatusCode\":403}}");
    ASSERT_EQ(x.m.azure, MOAT_LOG_NO_EVIDENCE);
    ASSERT_STR(field(&x, MOAT_REQ_OPERATION), "list");
    /* Resource Manager's requests are the control plane. */
    x = read_one(es, MOAT_LOG_DIAGNOSTIC,
                 "{\"resourceId\":\"" VAULT
                 "\",\"operationName\":\"KeyRotate\","
                 "\"callerIpAddress\":\"198.51.100.4\",\"properties\":{"
                 "\"httpStatusCode\":200,\"requestUri\":\"https://"
                 "control-prod-weu.vaultcore.azure.net/x\"}}");
    ASSERT_STR(field(&x, MOAT_REQ_PLANE), "control");
    ASSERT_STR(field(&x, MOAT_REQ_OPERATION), "write");
    /* Not requests, or not read. */
    x = read_one(es, MOAT_LOG_DIAGNOSTIC,
                 "{\"resourceId\":\"" VAULT "\",\"operationName\":"
                 "\"VaultAccessPolicyChangedEventGridNotification\","
                 "\"callerIpAddress\":\"198.51.100.4\"}");
    ASSERT_STR(x.reason, "not a request");
    x = read_one(es, MOAT_LOG_ANALYTICS_JSON,
                 "{\"_ResourceId\":\"" VAULT "\",\"OperationName\":"
                 "\"SecretGet\",\"CallerIpAddress\":\"198.51.100.4\"}");
    ASSERT_STR(x.reason, "Key Vault Log Analytics row");
    done(es);
}

/* The record's own time is the request's: RFC 3339 as logged, the
** portal's CSV display form converted, anything else unmapped. */
TEST(log_map_record_times)
{
    moat_estate *es = estate();
    static const struct {
        const char *logged, *want;
    } cases[] = {
        {"2026-03-14T23:59:59.9999999Z", "2026-03-14T23:59:59.9999999Z"},
        {"2026-03-15T00:30:00+01:00", "2026-03-15T00:30:00+01:00"},
        {"3/14/2026, 11:59:59.999 PM", "2026-03-14T23:59:59Z"},
        {"11/20/2026, 12:05:00.000 AM", "2026-11-20T00:05:00Z"},
        {"11/20/2026 12:05:00 PM", "2026-11-20T12:05:00Z"},
        {"", ""},
    };
    moat_request *q = moat_request_new(es);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char rec[1024];
        snprintf(rec, sizeof rec,
                 "{\"time\":\"%s\",\"resourceId\":\"" ACCT "\","
                 "\"category\":\"StorageRead\",\"operationName\":\"GetBlob\","
                 "\"callerIpAddress\":\"198.51.100.4\"}",
                 cases[i].logged);
        mapped x = read_one(es, MOAT_LOG_DIAGNOSTIC, rec);
        ASSERT_EQ(x.st, MOAT_OK);
        ASSERT_STR(field(&x, MOAT_REQ_TIME), cases[i].want);
        /* The fast path and the texts set the same time. */
        ASSERT_EQ(moat_log_request_apply(&x.m, q, NULL), MOAT_OK);
        moat_request r2 = *q;
        moat_request_reset(q);
        if (cases[i].want[0])
            ASSERT_EQ(moat_request_set(q, MOAT_REQ_TIME, cases[i].want,
                                       strlen(cases[i].want), NULL),
                      MOAT_OK);
        ASSERT_EQ(r2.has_time, q->has_time);
        ASSERT_EQ(r2.time, q->time);
    }
    static const char *const bad[] = {"20/11/2026, 8:00:00 AM", "yesterday",
                                      "2/30/2026, 8:00:00 AM",
                                      "11/20/2026, 13:00:00 PM"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char rec[1024];
        snprintf(rec, sizeof rec,
                 "{\"time\":\"%s\",\"resourceId\":\"" ACCT "\","
                 "\"category\":\"StorageRead\",\"operationName\":\"GetBlob\","
                 "\"callerIpAddress\":\"198.51.100.4\"}",
                 bad[i]);
        mapped x = read_one(es, MOAT_LOG_DIAGNOSTIC, rec);
        ASSERT_EQ(x.st, MOAT_E_INVAL);
        ASSERT_STR(x.reason, "time not understood");
    }
    moat_request_free(q);
    done(es);
}

/* A classic line has no protocol field: the request URL's scheme is. */
TEST(log_map_classic_protocol_from_url)
{
    moat_estate *es = estate();
    mapped x = read_one(
        es, MOAT_LOG_CLASSIC,
        "1.0;2026-11-20T08:00:00.0000000Z;GetBlob;AnonymousSuccess;200;1;1;"
        "anonymous;;st1;blob;\"http://st1.blob.core.windows.net/c/a\";"
        "\"/st1/c/a\";id;0;203.0.113.9:4000;2021-08-06;1;0;1;1;0;;;;;;"
        "\"curl/8\";;");
    ASSERT_EQ(x.st, MOAT_OK);
    ASSERT_STR(field(&x, MOAT_REQ_PROTOCOL), "HTTP");
    ASSERT_STR(field(&x, MOAT_REQ_TARGET), "c");
    ASSERT_STR(field(&x, MOAT_REQ_CALLER_AUTH), "Anonymous");
    done(es);
}

TEST(log_map_detects_formats)
{
    static const struct {
        const char *rec;
        moat_log_format want;
    } cases[] = {
        {"{\"operationName\":\"GetBlob\"}", MOAT_LOG_DIAGNOSTIC},
        {"\xEF\xBB\xBF {\"CallerIpAddress\":\"1.2.3.4\"}",
         MOAT_LOG_ANALYTICS_JSON},
        {"TimeGenerated [UTC],OperationName,CallerIpAddress",
         MOAT_LOG_ANALYTICS_CSV},
        {"2.0;t;GetBlob;Success;200;1;1;bearer;a;a;blob;\"https://x/"
         "?OperationName,CallerIpAddress\"",
         MOAT_LOG_CLASSIC},
        {"3.0;t;GetBlob", MOAT_LOG_UNKNOWN},
        {"{\"hello\":1}", MOAT_LOG_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ASSERT_EQ(moat_log_detect(cases[i].rec, strlen(cases[i].rec)),
                  cases[i].want);
}
