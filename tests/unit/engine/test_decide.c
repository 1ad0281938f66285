/*
** test_decide.c - the procedure through the public API: fail-closed
** paths, request parsing errors, explanations, and that deciding leaves
** the request unchanged.
*/
#include "harness.h"
#include "engine_int.h"

#define SUB "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
#define TENANT "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
#define ACCT                                                                   \
    "/subscriptions/" SUB "/resourceGroups/rg/providers/"                      \
    "Microsoft.Storage/storageAccounts/"

static const char estate_json[] =
    "[{\"id\":\"/subscriptions/" SUB "\",\"type\":\"Microsoft.Resources/"
    "subscriptions\",\"subscriptionId\":\"" SUB "\",\"tenantId\":\"" TENANT
    "\"},"
    "{\"id\":\"" ACCT "st1\",\"name\":\"st1\",\"type\":\"Microsoft.Storage/"
    "storageAccounts\",\"location\":\"westeurope\",\"properties\":{"
    "\"networkAcls\":{\"defaultAction\":\"Deny\",\"ipRules\":[{\"value\":"
    "\"203.0.113.0/24\"}],\"ipv6Rules\":[{\"value\":\"2001:db8::/48\"}]}}},"
    "{\"id\":\"/subscriptions/x/resourceGroups/a/providers/Microsoft.Storage/"
    "storageAccounts/dup\",\"type\":\"Microsoft.Storage/storageAccounts\","
    "\"location\":\"westeurope\"},"
    "{\"id\":\"/subscriptions/x/resourceGroups/b/providers/Microsoft.Storage/"
    "storageAccounts/dup\",\"type\":\"Microsoft.Storage/storageAccounts\","
    "\"location\":\"westeurope\"}]";

static moat_estate *estate(void)
{
    return harness_estate(estate_json, 0);
}

TEST(decide_unbound_request_denies)
{
    moat_estate *es = estate();
    ASSERT(es != NULL);
    moat_request *q = moat_request_new(es);
    moat_decision d;
    d.verdict = MOAT_ALLOW;
    ASSERT_EQ(moat_decide(q, &d), MOAT_E_STATE);
    ASSERT_EQ(d.verdict, MOAT_DENY);
    ASSERT_EQ(moat_decide(NULL, &d), MOAT_E_STATE);
    ASSERT_EQ(d.verdict, MOAT_DENY);
    moat_request_free(q);
    moat_estate_free(es);
}

TEST(decide_bad_requests_leave_nothing_to_allow)
{
    moat_estate *es = estate();
    moat_request *q = moat_request_new(es);
    moat_error err;
    static const char *const bad[] = {
        "{\"resource\":\"st1\",\"source\":{\"ip\":\"999.1.1.1\"}}",
        "{\"resource\":\"nope\"}",
        "{\"resource\":\"dup\"}",
        "{\"resource\":\"st1\",\"sorce\":{}}",
        "{\"resource\":\"st1\",\"plane\":\"mgmt\"}",
        "{\"resource\":\"st1\",\"caller\":{\"perimeters\":\"x\"}}",
        "{\"resource\":\"st1\",\"source\":{\"ip\":7}}",
        "[]",
        "{\"resource\":\"st1\"",
        "{\"plane\":\"data\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        moat_status rc = moat_request_parse(q, bad[i], strlen(bad[i]), &err);
        if (rc == MOAT_OK)
            FAIL_AT("accepted bad request %s", bad[i]);
        ASSERT(err.message[0] != '\0');
        moat_decision d;
        ASSERT(moat_decide(q, &d) != MOAT_OK);
        ASSERT_EQ(d.verdict, MOAT_DENY);
    }
    ASSERT_EQ(moat_request_parse(q, bad[2], strlen(bad[2]), &err),
              MOAT_E_AMBIGUOUS);
    ASSERT(strstr(err.message, "full ARM id") != NULL);
    moat_request_free(q);
    moat_estate_free(es);
}

TEST(decide_and_explain_agree)
{
    moat_estate *es = estate();
    moat_request *q = moat_request_new(es);
    moat_explanation *x = moat_explanation_new();
    static const struct {
        const char *json;
        moat_verdict verdict;
        moat_category cat;
        const char *rule;
    } cases[] = {
        {"{\"resource\":\"st1\",\"source\":{\"ip\":\"203.0.113.9\"}}",
         MOAT_ALLOW, MOAT_CAT_RES_IP_RULE,
         "networkAcls.ipRules[0] 203.0.113.0/24"},
        {"{\"resource\":\"st1\",\"source\":{\"ip\":\"2001:db8:0:ffff::1\"}}",
         MOAT_ALLOW, MOAT_CAT_RES_IP_RULE,
         "networkAcls.ipv6Rules[0] 2001:db8::/48"},
        {"{\"resource\":\"st1\",\"source\":{\"ip\":\"::ffff:203.0.113.9\"}}",
         MOAT_ALLOW, MOAT_CAT_RES_IP_RULE,
         "networkAcls.ipRules[0] 203.0.113.0/24"},
        {"{\"resource\":\"st1\",\"source\":{\"ip\":\"192.0.2.1\"}}", MOAT_DENY,
         MOAT_CAT_RES_DEFAULT_ACTION_DENY, "networkAcls.defaultAction Deny"},
        {"{\"resource\":\"st1\",\"plane\":\"CONTROL\"}", MOAT_ALLOW,
         MOAT_CAT_RES_CONTROL_PLANE_NOT_FILTERED, ""},
        {"{\"resource\":\"st1\",\"caller\":{\"tenant\":\"" TENANT "\","
         "\"service\":\"Microsoft.EventHub\"}}",
         MOAT_ALLOW, MOAT_CAT_RES_TRUSTED_SERVICE,
         "networkAcls.bypass AzureServices: Azure Event Hubs "
         "(Microsoft.EventHub)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        moat_error err;
        ASSERT_EQ(
            moat_request_parse(q, cases[i].json, strlen(cases[i].json), &err),
            MOAT_OK);
        moat_decision d;
        ASSERT_EQ(moat_decide(q, &d), MOAT_OK);
        ASSERT_EQ(d.verdict, cases[i].verdict);
        ASSERT_EQ(d.category, cases[i].cat);
        ASSERT_EQ(moat_explain(q, x, MOAT_EXPLAIN_STEPS), MOAT_OK);
        const moat_decision *xd = moat_explanation_decision(x);
        ASSERT_EQ(xd->verdict, d.verdict);
        ASSERT_EQ(xd->category, d.category);
        ASSERT_STR(moat_explanation_rule(x), cases[i].rule);
        ASSERT(moat_explanation_step_count(x) >= 1);
        ASSERT(strlen(moat_explanation_reason(x)) > 10);
        char json[2048];
        size_t n = moat_explanation_json(x, json, sizeof json);
        ASSERT(n > 0 && n < sizeof json);
        ASSERT(strstr(json, moat_category_name(d.category)) != NULL);
        /* A small buffer is truncated, never overrun. */
        char tiny[8];
        ASSERT_EQ(moat_explanation_json(x, tiny, sizeof tiny), n);
        ASSERT_EQ(strlen(tiny), 7);
    }
    moat_explanation_free(x);
    moat_request_free(q);
    moat_estate_free(es);
}

TEST(decide_names_round_trip)
{
    for (int c = 1; c < MOAT_CAT_COUNT_; c++) {
        const char *name = moat_category_name((moat_category)c);
        ASSERT(name[0] != '\0');
        ASSERT_EQ(moat_category_from_name(name), c);
    }
    ASSERT_STR(moat_category_name(MOAT_CAT_COUNT_), "");
    ASSERT_STR(moat_strerror(MOAT_E_SYNTAX), "malformed JSON");
    ASSERT_STR(moat_status_name(MOAT_E_LIMIT), "E_LIMIT");
    ASSERT_STR(moat_warning_name(MOAT_WARN_TENANT_UNKNOWN), "tenant-unknown");
}

TEST(decide_request_limits)
{
    moat_estate *es = estate();
    moat_request *q = moat_request_new(es);
    char big[MOAT_REQ_POOL + 16];
    memset(big, 'a', sizeof big);
    moat_error err;
    ASSERT_EQ(moat_request_set(q, MOAT_REQ_TARGET, big, sizeof big, &err),
              MOAT_E_LIMIT);
    moat_request_reset(q);
    for (int i = 0; i < MOAT_REQ_MAX_PERIMETERS; i++)
        ASSERT_EQ(moat_request_set(q, MOAT_REQ_CALLER_PERIMETER, "g", 1, &err),
                  MOAT_OK);
    ASSERT_EQ(moat_request_set(q, MOAT_REQ_CALLER_PERIMETER, "g", 1, &err),
              MOAT_E_LIMIT);
    moat_request_free(q);
    moat_estate_free(es);
}

/* Deciding allocates nothing: count every malloc through ASan's hooks while
** deciding requests that walk every layer (perimeter, firewall, exceptions,
** enforced_would). */
/* From the sanitizer runtime (declared here: gcc ships no header). */
int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void *, size_t),
    void (*free_hook)(const volatile void *));

static volatile long counting, mallocs;
static void count_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    if (counting)
        mallocs++;
}
static void count_free(const volatile void *p)
{
    (void)p;
}

static const char nsp_estate[] =
    "[{\"id\":\"/subscriptions/" SUB "\",\"type\":\"Microsoft.Resources/"
    "subscriptions\",\"subscriptionId\":\"" SUB "\",\"tenantId\":\"" TENANT
    "\"},"
    "{\"id\":\"" ACCT "st2\",\"type\":\"Microsoft.Storage/storageAccounts\","
    "\"location\":\"westeurope\",\"properties\":{\"networkAcls\":{"
    "\"defaultAction\":\"Deny\",\"bypass\":\"Logging, Metrics, AzureServices\","
    "\"ipRules\":[{\"value\":\"203.0.113.0/24\"}],\"virtualNetworkRules\":[{"
    "\"id\":\"/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/"
    "virtualNetworks/v/subnets/a\"}],\"resourceAccessRules\":[{\"tenantId\":"
    "\"" TENANT "\",\"resourceId\":\"/subscriptions/*/resourceGroups/*/"
    "providers/Microsoft.Web/sites/*\"}]}}},"
    "{\"id\":\"/n/providers/Microsoft.Network/networkSecurityPerimeters/n\","
    "\"type\":\"Microsoft.Network/networkSecurityPerimeters\",\"properties\":"
    "{\"perimeterGuid\":\"g\"}},"
    "{\"id\":\"/n/providers/Microsoft.Network/networkSecurityPerimeters/n/"
    "profiles/p\",\"type\":\"Microsoft.Network/networkSecurityPerimeters/"
    "profiles\"},"
    "{\"id\":\"/n/providers/Microsoft.Network/networkSecurityPerimeters/n/"
    "profiles/p/accessRules/r\",\"type\":\"Microsoft.Network/"
    "networkSecurityPerimeters/profiles/accessRules\",\"properties\":{"
    "\"addressPrefixes\":[\"198.51.100.0/24\"],\"serviceTags\":[\"x\"]}},"
    "{\"id\":\"/n/providers/Microsoft.Network/networkSecurityPerimeters/n/"
    "resourceAssociations/x\",\"type\":\"Microsoft.Network/"
    "networkSecurityPerimeters/resourceAssociations\",\"properties\":{"
    "\"privateLinkResource\":{\"id\":\"" ACCT "st2\"},\"profile\":{\"id\":"
    "\"/n/providers/Microsoft.Network/networkSecurityPerimeters/n/profiles/"
    "p\"},\"accessMode\":\"Learning\"}}]";

TEST(decide_allocates_nothing)
{
    moat_estate *es = harness_estate(nsp_estate, 0);
    ASSERT(es != NULL);
    static const char *const reqs[] = {
        "{\"resource\":\"st2\",\"source\":{\"ip\":\"198.51.100.1\"}}",
        "{\"resource\":\"st2\",\"source\":{\"ip\":\"203.0.113.1\"}}",
        "{\"resource\":\"st2\",\"source\":{\"ip\":\"192.0.2.1\"}}",
        "{\"resource\":\"st2\",\"source\":{\"subnet\":\"/subscriptions/s/"
        "resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/"
        "subnets/a\"}}",
        "{\"resource\":\"st2\",\"caller\":{\"tenant\":\"" TENANT "\","
        "\"resource_id\":\"/subscriptions/x/resourceGroups/y/providers/"
        "Microsoft.Web/sites/z\"}}",
        "{\"resource\":\"st2\",\"endpoint\":\"table\",\"target\":"
        "\"$MetricsCapacityBlob\"}",
    };
    moat_request *qs[6];
    for (int i = 0; i < 6; i++) {
        qs[i] = moat_request_new(es);
        ASSERT_EQ(moat_request_parse(qs[i], reqs[i], strlen(reqs[i]), NULL),
                  MOAT_OK);
    }
    ASSERT(__sanitizer_install_malloc_and_free_hooks(count_malloc,
                                                     count_free) != 0);
    moat_decision d;
    int allowed = 0;
    counting = 1;
    for (int k = 0; k < 10000; k++) {
        moat_decide(qs[k % 6], &d);
        allowed += d.verdict == MOAT_ALLOW;
    }
    counting = 0;
    ASSERT_EQ(mallocs, 0);
    /* Every request but the third is admitted: 1,667 of 10,000 are not. */
    ASSERT_EQ(allowed, 10000 - 1667);
    /* The counter works: a request object does allocate. */
    counting = 1;
    moat_request_free(moat_request_new(es));
    counting = 0;
    ASSERT(mallocs > 0);
    for (int i = 0; i < 6; i++)
        moat_request_free(qs[i]);
    moat_estate_free(es);
}

/* decision.md: "'*' matches one whole segment": never an empty one, in
** the compiled matcher and in the traced one explanations use. */
static const char wildcard_estate[] =
    "{\"id\":\"" ACCT "stw\",\"type\":\"Microsoft.Storage/storageAccounts\","
    "\"location\":\"westeurope\",\"properties\":{\"networkAcls\":{"
    "\"defaultAction\":\"Deny\",\"bypass\":\"None\",\"resourceAccessRules\":[{"
    "\"tenantId\":\"" TENANT "\",\"resourceId\":\"/subscriptions/*/"
    "resourceGroups/*/providers/Microsoft.Web/sites/*\"}]}}}";

TEST(decide_wildcard_needs_a_nonempty_segment)
{
    moat_estate *es = harness_estate(wildcard_estate, 0);
    ASSERT(es != NULL);
    moat_request *q = moat_request_new(es);
    moat_explanation *x = moat_explanation_new();
    static const struct {
        const char *caller;
        moat_verdict verdict;
    } cases[] = {
        {"/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/sites/z",
         MOAT_ALLOW},
        {"/subscriptions//resourceGroups/y/providers/Microsoft.Web/sites/z",
         MOAT_DENY},
        {"/subscriptions/x/resourceGroups//providers/Microsoft.Web/sites/z",
         MOAT_DENY},
        {"/subscriptions/x/resourceGroups/y/providers/Microsoft.Web/sites//",
         MOAT_DENY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char json[512];
        snprintf(json, sizeof json,
                 "{\"resource\":\"stw\",\"caller\":{\"tenant\":\"" TENANT
                 "\",\"resource_id\":\"%s\"}}",
                 cases[i].caller);
        ASSERT_EQ(moat_request_parse(q, json, strlen(json), NULL), MOAT_OK);
        moat_decision d;
        ASSERT_EQ(moat_decide(q, &d), MOAT_OK);
        if (d.verdict != cases[i].verdict)
            FAIL_AT("caller %s: %s", cases[i].caller,
                    moat_category_name(d.category));
        ASSERT_EQ(moat_explain(q, x, MOAT_EXPLAIN_STEPS), MOAT_OK);
        ASSERT_EQ(moat_explanation_decision(x)->verdict, cases[i].verdict);
    }
    moat_explanation_free(x);
    moat_request_free(q);
    moat_estate_free(es);
}

/* A Key Vault's explanation speaks only of what Key Vault has: trusted
** services as its one exception, never Storage's resource instance rules
** or its Logging and Metrics exceptions. */
#define VAULT                                                                  \
    "/subscriptions/" SUB "/resourceGroups/rg/providers/Microsoft."            \
    "KeyVault/vaults/"
static const char vault_estate[] =
    "[{\"id\":\"" VAULT "kvoff\",\"type\":\"Microsoft.KeyVault/vaults\","
    "\"location\":\"westeurope\",\"properties\":{\"tenantId\":\"" TENANT "\","
    "\"publicNetworkAccess\":\"Disabled\",\"networkAcls\":{\"defaultAction\":"
    "\"Deny\",\"bypass\":\"AzureServices\"}}},"
    "{\"id\":\"" VAULT "kvdeny\",\"type\":\"Microsoft.KeyVault/vaults\","
    "\"location\":\"westeurope\",\"properties\":{\"tenantId\":\"" TENANT "\","
    "\"networkAcls\":{\"defaultAction\":\"Deny\",\"bypass\":\"None\","
    "\"ipRules\":[{\"value\":\"203.0.113.0/24\"}]}}}]";

static int speaks_of_storage(const char *text)
{
    static const char *const words[] = {"Logging", "Metrics", "instance",
                                        "$logs", "account"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        if (strstr(text, words[i]))
            return 1;
    }
    return 0;
}

TEST(decide_vault_reasons_speak_of_vaults)
{
    moat_estate *es = harness_estate(vault_estate, 0);
    ASSERT(es != NULL);
    moat_request *q = moat_request_new(es);
    moat_explanation *x = moat_explanation_new();
    static const char *const reqs[] = {
        "{\"resource\":\"kvoff\",\"endpoint\":\"vault\",\"source\":{\"ip\":"
        "\"198.51.100.7\"}}",
        "{\"resource\":\"kvoff\",\"endpoint\":\"vault\",\"caller\":{\"tenant\":"
        "\"" TENANT "\",\"service\":\"Microsoft.Sql\"}}",
        "{\"resource\":\"kvdeny\",\"endpoint\":\"vault\",\"source\":{\"ip\":"
        "\"198.51.100.7\"}}",
        "{\"resource\":\"kvdeny\",\"endpoint\":\"vault\",\"source\":{\"ip\":"
        "\"203.0.113.7\"}}",
    };
    for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
        ASSERT_EQ(moat_request_parse(q, reqs[i], strlen(reqs[i]), NULL),
                  MOAT_OK);
        ASSERT_EQ(moat_explain(q, x, MOAT_EXPLAIN_STEPS), MOAT_OK);
        if (speaks_of_storage(moat_explanation_reason(x)))
            FAIL_AT("request %zu: %s", i, moat_explanation_reason(x));
        if (speaks_of_storage(moat_explanation_rule(x)))
            FAIL_AT("request %zu: %s", i, moat_explanation_rule(x));
        for (size_t k = 0; k < moat_explanation_step_count(x); k++) {
            const moat_step *s = moat_explanation_step(x, k);
            if (speaks_of_storage(s->layer) || speaks_of_storage(s->detail))
                FAIL_AT("request %zu: %s: %s", i, s->layer, s->detail);
        }
    }
    moat_explanation_free(x);
    moat_request_free(q);
    moat_estate_free(es);
}

/* A request is read as every JSON reader reads it, or not at all: a name
** given twice (in any case) is an error naming it, where readers disagree
** on which one counts; a string with U+0000 is an error naming its field,
** where C strings would cut it short. */
TEST(decide_request_duplicates_and_nul_are_errors)
{
    moat_estate *es = estate();
    moat_request *q = moat_request_new(es);
    static const struct {
        const char *json;
        const char *names;
    } bad[] = {
        {"{\"resource\":\"st1\",\"plane\":\"control\",\"plane\":\"data\"}",
         "\"plane\""},
        {"{\"resource\":\"st1\",\"PLANE\":\"data\",\"plane\":\"control\"}",
         "\"plane\""},
        {"{\"resource\":\"st1\",\"source\":{\"ip\":\"192.0.2.1\"},"
         "\"source\":{\"ip\":\"203.0.113.9\"}}",
         "\"source\""},
        {"{\"resource\":\"st1\",\"source\":{\"ip\":\"192.0.2.1\","
         "\"Ip\":\"203.0.113.9\"}}",
         "\"source.ip\""},
        {"{\"resource\":\"st1\",\"caller\":{\"perimeters\":[],"
         "\"perimeters\":[\"g\"]}}",
         "\"caller.perimeters\""},
        {"{\"resource\":\"st1\",\"caller\":{\"tenant\":\"" TENANT "\","
         "\"service\":\"Microsoft.EventHub\\u0000x\"}}",
         "caller.service"},
        {"{\"resource\":\"st1\\u0000x\"}", "resource"},
        {"{\"resource\":\"st1\",\"caller\":{\"perimeters\":[\"g\\u0000\"]}}",
         "caller.perimeters"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        moat_error err;
        moat_status rc =
            moat_request_parse(q, bad[i].json, strlen(bad[i].json), &err);
        if (rc == MOAT_OK || strstr(err.message, bad[i].names) == NULL)
            FAIL_AT("%s: %s (%s)", bad[i].json, moat_status_name(rc),
                    err.message);
        moat_decision d;
        ASSERT(moat_decide(q, &d) != MOAT_OK);
        ASSERT_EQ(d.verdict, MOAT_DENY);
    }
    /* The same through moat_request_set, which takes a length. */
    moat_error err;
    ASSERT_EQ(moat_request_parse(q, "{\"resource\":\"st1\"}", 18, NULL),
              MOAT_OK);
    static const char service[] = "Microsoft.EventHub\0x";
    ASSERT_EQ(moat_request_set(q, MOAT_REQ_CALLER_SERVICE, service,
                               sizeof service - 1, &err),
              MOAT_E_INVAL);
    ASSERT(strstr(err.message, "U+0000") != NULL);
    ASSERT_EQ(q->trust.n[0], 0);
    ASSERT_EQ(q->trust.n[1], 0);
    moat_request_free(q);
    moat_estate_free(es);
}
