/*
** test_load_reading.c - an estate is read the way every JSON reader reads
** it, or not at all: a name given twice (in any case, or under two
** accepted spellings, or both inside and beside "properties") and a string
** holding U+0000 are errors naming file, line and key; under --lenient
** they are warnings and the most restrictive reading.
*/
#include "harness.h"
#include "moat_int.h"

#define SUB "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
#define ACCT                                                                   \
    "/subscriptions/" SUB "/resourceGroups/rg/providers/"                      \
    "Microsoft.Storage/storageAccounts/"
/* Account "e": the test's properties between OPEN and CLOSE. */
#define OPEN                                                                   \
    "{\"id\":\"" ACCT "e\",\"type\":\"Microsoft.Storage/storageAccounts\","    \
    "\"location\":\"westeurope\",\"properties\":{"
#define CLOSE "}}"

/* What 198.51.100.1 gets from account e, or -1 when the estate does not
** load; *ld keeps the loader for its diagnostics. */
static int verdict(const char *json, unsigned flags, moat_loader **ld)
{
    *ld = moat_loader_new(flags);
    moat_loader_add_json(*ld, "t.json", json, strlen(json));
    moat_estate *es = NULL;
    if (moat_loader_finish(*ld, &es) != MOAT_OK)
        return -1;
    moat_request *q = moat_request_new(es);
    moat_decision d;
    d.verdict = MOAT_ALLOW;
    if (moat_request_set(q, MOAT_REQ_RESOURCE, "e", 1, NULL) != MOAT_OK ||
        moat_request_set(q, MOAT_REQ_SOURCE_IP, "198.51.100.1", 12, NULL) !=
            MOAT_OK ||
        moat_decide(q, &d) != MOAT_OK)
        d.verdict = MOAT_DENY;
    moat_request_free(q);
    moat_estate_free(es);
    return (int)d.verdict;
}

/* The first diagnostic of severity sev, or NULL. */
static const moat_diag *diag_of(const moat_loader *ld, moat_severity sev)
{
    for (size_t i = 0; i < moat_loader_diag_count(ld); i++) {
        const moat_diag *d = moat_loader_diag(ld, i);
        if (d->severity == sev)
            return d;
    }
    return NULL;
}

typedef struct reading_case {
    const char *json;
    const char *path;    /* the diagnostic's JSON path */
    unsigned line;       /* and line */
    const char *message; /* a word of its message */
    int lenient;         /* the verdict under --lenient, -1: still an error */
} reading_case;

static int check_case(const reading_case *c)
{
    moat_loader *ld;
    int v = verdict(c->json, 0, &ld);
    const moat_diag *d = diag_of(ld, MOAT_SEV_ERROR);
    int ok = v == -1 && d && strcmp(d->path, c->path) == 0 &&
             d->line == c->line && strcmp(d->file, "t.json") == 0 &&
             strstr(d->message, c->message) != NULL;
    if (!ok)
        printf("#   %s\n#   -> verdict %d, error %s:%u: %s: %s\n", c->json, v,
               d ? d->file : "-", d ? d->line : 0, d ? d->path : "-",
               d ? d->message : "(none)");
    moat_loader_free(ld);
    v = verdict(c->json, MOAT_LOAD_LENIENT, &ld);
    d = diag_of(ld, c->lenient < 0 ? MOAT_SEV_ERROR : MOAT_SEV_WARNING);
    if (v != c->lenient || d == NULL || strcmp(d->path, c->path) != 0) {
        printf("#   lenient %s\n#   -> verdict %d, expected %d; %s: %s\n",
               c->json, v, c->lenient, d ? d->path : "-",
               d ? d->message : "(no diagnostic)");
        ok = 0;
    }
    moat_loader_free(ld);
    return ok;
}

/* The first of n cases that fails, or -1. */
static long first_failing(const reading_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!check_case(&cases[i]))
            return (long)i;
    }
    return -1;
}

#define NA "properties.networkAcls"

static const reading_case account_cases[] = {
    /* Python, Node and Go read the last value: Deny. */
    {OPEN "\"networkAcls\":{\"defaultAction\":\"Allow\",\n"
          "\"defaultAction\":\"Deny\"}" CLOSE,
     NA ".defaultAction", 2, "duplicate", MOAT_DENY},
    {OPEN "\"networkAcls\":{\"defaultAction\":\"Deny\",\n"
          "\"defaultAction\":\"Allow\"}" CLOSE,
     NA ".defaultAction", 2, "duplicate", MOAT_DENY},
    /* Names match ignoring case, as ARM's do. */
    {OPEN "\"networkAcls\":{\"defaultAction\":\"Allow\",\n\n"
          "\"DEFAULTACTION\":\"Deny\"}" CLOSE,
     NA ".DEFAULTACTION", 3, "duplicate", MOAT_DENY},
    /* Two accepted spellings of one setting. */
    {OPEN "\"networkAcls\":{\"defaultAction\":\"Deny\"},\n"
          "\"networkRuleSet\":{\"defaultAction\":\"Allow\"}" CLOSE,
     "properties.networkRuleSet", 2, "networkAcls", MOAT_DENY},
    {OPEN "\"networkAcls\":{\"defaultAction\":\"Deny\",\"ipRules\":[{"
          "\"value\":\"203.0.113.0/24\",\n\"ipAddressOrRange\":"
          "\"198.51.100.0/24\"}]}" CLOSE,
     NA ".ipRules[0].ipAddressOrRange", 2, "value", MOAT_DENY},
    /* Inside "properties" and beside it (az's flattened form). */
    {OPEN "\"networkAcls\":{\"defaultAction\":\"Deny\"}},\n"
          "\"networkRuleSet\":{\"defaultAction\":\"Allow\"}}",
     "networkRuleSet", 2, "properties", MOAT_DENY},
    {"{\"id\":\"" ACCT "e\",\"type\":\"Microsoft.Storage/storageAccounts\","
     "\"location\":\"westeurope\",\"properties\":{},\n"
     "\"networkAcls\":{\"defaultAction\":\"Deny\"}}",
     "networkAcls", 2, "properties", MOAT_DENY},
    {OPEN "\"publicNetworkAccess\":\"Disabled\",\n\"publicNetworkAccess\":"
          "\"Enabled\"" CLOSE,
     "properties.publicNetworkAccess", 2, "duplicate", MOAT_DENY},
    /* U+0000 cut the value short: "Allow". */
    {OPEN "\"networkAcls\":{\n\"defaultAction\":\"Allow\\u0000Deny\"}" CLOSE,
     NA ".defaultAction", 2, "U+0000", MOAT_DENY},
    {OPEN "\"networkAcls\":{\"defaultAction\":\"Deny\",\"ipRules\":[{"
          "\n\"value\":\"198.51.100.0/24\\u0000\"}]}" CLOSE,
     NA ".ipRules[0].value", 2, "U+0000", MOAT_DENY},
    /* Equal values: the reading is not in doubt, only the file. */
    {OPEN "\"networkAcls\":{\"defaultAction\":\"Allow\",\n"
          "\"defaultAction\":\"Allow\"}" CLOSE,
     NA ".defaultAction", 2, "duplicate", MOAT_ALLOW},
    /* Which resource: no reading is more restrictive than the other. */
    {"{\"id\":\"" ACCT "e\",\n\"id\":\"" ACCT "f\",\"type\":\"Microsoft."
     "Storage/storageAccounts\",\"location\":\"westeurope\"}",
     "id", 2, "duplicate", -1},
    {"{\"id\":\"" ACCT "e\\u0000f\",\"type\":\"Microsoft."
     "Storage/storageAccounts\",\"location\":\"westeurope\"}",
     "id", 1, "U+0000", -1},
};

TEST(reading_account_duplicates_and_nul)
{
    ASSERT_EQ(first_failing(account_cases, MOAT_ARRAY_LEN(account_cases)), -1);
}

/* Account e, Allow by its own rules, in perimeter n through association
** x (whose properties the case supplies): Learning falls back to the
** account and allows, Enforced denies. */
#define NSP "/n/providers/Microsoft.Network/networkSecurityPerimeters/n"
#define NSP_ESTATE(assoc_props)                                                \
    "[" OPEN CLOSE ",{\"id\":\"" NSP "\",\"type\":\"Microsoft.Network/"        \
    "networkSecurityPerimeters\",\"properties\":{\"perimeterGuid\":\"g\"}},"   \
    "{\"id\":\"" NSP "/profiles/p\",\"type\":\"Microsoft.Network/"             \
    "networkSecurityPerimeters/profiles\"},{\"id\":\"" NSP                     \
    "/resourceAssociations/x\",\"type\":\"Microsoft.Network/"                  \
    "networkSecurityPerimeters/resourceAssociations\",\"properties\":{"        \
    "\"privateLinkResource\":{\"id\":\"" ACCT                                  \
    "e\"},\"profile\":{\"id\":\"" NSP "/profiles/p\"}," assoc_props "}}]"

static const reading_case perimeter_cases[] = {
    {NSP_ESTATE("\"accessMode\":\"Enforced\",\n\"accessMode\":\"Learning\""),
     "properties.accessMode", 2, "duplicate", MOAT_DENY},
    {NSP_ESTATE("\n\"accessMode\":\"Learning\\u0000Enforced\""),
     "properties.accessMode", 2, "U+0000", MOAT_DENY},
    /* Which resource the perimeter holds: no safe reading. */
    {NSP_ESTATE("\"accessMode\":\"Enforced\",\n\"privateLinkResource\":{"
                "\"id\":\"" ACCT "f\"}"),
     "properties.privateLinkResource", 2, "duplicate", -1},
};

TEST(reading_perimeter_duplicates_and_nul)
{
    moat_loader *ld;
    ASSERT_EQ(verdict(NSP_ESTATE("\"accessMode\":\"Learning\""), 0, &ld),
              MOAT_ALLOW);
    moat_loader_free(ld);
    ASSERT_EQ(first_failing(perimeter_cases, MOAT_ARRAY_LEN(perimeter_cases)),
              -1);
}

/* Only what moat reads counts: a name twice where moat never looks is the
** estate's own business. */
TEST(reading_ignores_what_it_does_not_read)
{
    moat_loader *ld;
    int v = verdict(OPEN "\"networkAcls\":{\"defaultAction\":\"Allow\"},"
                         "\"foo\":1,\"FOO\":2,\"bar\":\"x\\u0000y\"},"
                         "\"tags\":{\"env\":\"a\",\"Env\":\"b\"}}",
                    0, &ld);
    ASSERT_EQ(v, MOAT_ALLOW);
    ASSERT_EQ(moat_loader_diag_count(ld), 0);
    moat_loader_free(ld);
}

/* `terraform show -json` of a state: account e, whose network_rules the
** case supplies. */
#define TF_STATE(rules)                                                        \
    "{\"format_version\":\"1.0\",\"values\":{\"root_module\":{\"resources\":"  \
    "[{\"address\":\"azurerm_storage_account.e\",\"mode\":\"managed\","        \
    "\"type\":\"azurerm_storage_account\",\"name\":\"e\",\"values\":{\"id\":"  \
    "\"" ACCT "e\",\"name\":\"e\",\"location\":\"westeurope\","                \
    "\"resource_group_name\":\"rg\",\"public_network_access_enabled\":true,"   \
    "\"network_rules\":[{" rules "}]}}]}}}"

static const reading_case terraform_cases[] = {
    {TF_STATE("\"default_action\":\"Allow\",\n\"default_action\":\"Deny\""),
     "default_action", 2, "duplicate", MOAT_DENY},
    {TF_STATE("\"default_action\":\"Deny\",\"ip_rules\":[\n"
              "\"198.51.100.1\\u0000\"]"),
     NA ".ipRules[0]", 2, "U+0000", MOAT_DENY}, /* ARM paths, as ever */
    {TF_STATE("\"default_action\":\"Deny\"}],\n\"network_rules\":[{"
              "\"default_action\":\"Allow\""),
     "network_rules", 2, "duplicate", -1},
};

TEST(reading_terraform_duplicates_and_nul)
{
    moat_loader *ld;
    ASSERT_EQ(verdict(TF_STATE("\"default_action\":\"Allow\""), 0, &ld),
              MOAT_ALLOW);
    moat_loader_free(ld);
    ASSERT_EQ(first_failing(terraform_cases, MOAT_ARRAY_LEN(terraform_cases)),
              -1);
}

/* A subnet inside its VNet and again on its own: the same definition is
** read once (a warning); two that differ in what moat reads are an error
** in either mode, since neither reading is the stricter (service endpoints
** turn IP rules off as they turn virtual network rules on). The same for
** a VNet's region. */
#define VNET                                                                   \
    "/subscriptions/" SUB "/resourceGroups/rg/providers/Microsoft.Network/"    \
    "virtualNetworks/v"
#define SUBNET_TWICE(endpoints, location)                                      \
    "[{\"id\":\"" VNET "\",\"type\":\"Microsoft.Network/virtualNetworks\","    \
    "\"location\":\"westeurope\",\"properties\":{\"subnets\":[{\"id\":\"" VNET \
    "/subnets/a\",\"properties\":{\"serviceEndpoints\":[{\"service\":"         \
    "\"Microsoft.Storage\",\"locations\":[\"westeurope\"]}]}}]}},\n"           \
    "{\"id\":\"" VNET "/subnets/a\",\"type\":\"Microsoft.Network/"             \
    "virtualNetworks/"                                                         \
    "subnets\",\"properties\":{\"serviceEndpoints\":[" endpoints               \
    "]}},\n{\"id\":\"" VNET "\",\"type\":\"Microsoft.Network/"                 \
    "virtualNetworks\",\"location\":\"" location "\"}]"

TEST(reading_subnet_twice)
{
    static const struct {
        const char *json;
        const char *message; /* NULL: loads */
        unsigned line;
    } cases[] = {
        {SUBNET_TWICE("{\"service\":\"Microsoft.Storage\",\"locations\":["
                      "\"westeurope\"]}",
                      "westeurope"),
         NULL, 0},
        {SUBNET_TWICE("", "westeurope"), "defined twice", 2},
        {SUBNET_TWICE("{\"service\":\"Microsoft.Storage\",\"locations\":["
                      "\"*\"]}",
                      "westeurope"),
         "defined twice", 2},
        {SUBNET_TWICE("{\"service\":\"Microsoft.Storage\",\"locations\":["
                      "\"westeurope\"]}",
                      "northeurope"),
         "defined twice", 3},
    };
    for (size_t i = 0; i < MOAT_ARRAY_LEN(cases); i++) {
        for (unsigned lenient = 0; lenient < 2; lenient++) {
            moat_loader *ld = moat_loader_new(lenient ? MOAT_LOAD_LENIENT : 0);
            moat_loader_add_json(ld, "t.json", cases[i].json,
                                 strlen(cases[i].json));
            moat_estate *es = NULL;
            moat_status rc = moat_loader_finish(ld, &es);
            const moat_diag *d = diag_of(ld, MOAT_SEV_ERROR);
            int ok = cases[i].message
                         ? rc != MOAT_OK && d &&
                               strstr(d->message, cases[i].message) &&
                               d->line == cases[i].line
                         : rc == MOAT_OK;
            if (!ok)
                printf("#   case %zu lenient %u: %s: %u: %s\n", i, lenient,
                       moat_status_name(rc), d ? d->line : 0,
                       d ? d->message : "(no error)");
            moat_estate_free(es);
            moat_loader_free(ld);
            if (!ok)
                FAIL_AT("case %zu", i);
        }
    }
}

/* A storage account's own view of its perimeter without the perimeter, the
** association or the profile cannot be read; leaving it out would leave
** the account outside an Enforced perimeter, so it is an error, as is a
** perimeter configuration whose access mode is not a string. */
#define NSP_CONFIG(props)                                                      \
    "[" OPEN "\"networkAcls\":{\"defaultAction\":\"Allow\"}" CLOSE             \
    ",{\"id\":\"" ACCT "e/networkSecurityPerimeterConfigurations/c\","         \
    "\"type\":\"Microsoft.Storage/storageAccounts/"                            \
    "networkSecurityPerimeterConfigurations\",\"properties\":{" props "}}]"

TEST(reading_incomplete_perimeter_configuration)
{
    static const struct {
        const char *json;
        int verdict; /* -1: refused */
        const char *message;
    } cases[] = {
        {NSP_CONFIG("\"networkSecurityPerimeter\":{\"id\":\"" NSP "\"},"
                    "\"resourceAssociation\":{\"accessMode\":\"Enforced\"},"
                    "\"profile\":{\"name\":\"p\"}"),
         MOAT_DENY, NULL},
        {NSP_CONFIG("\"networkSecurityPerimeter\":{\"id\":\"" NSP "\"},"
                    "\"resourceAssociation\":{\"accessMode\":\"Enforced\"}"),
         -1, "profile"},
        {NSP_CONFIG("\"networkSecurityPerimeter\":{\"id\":\"" NSP "\"},"
                    "\"resourceAssociation\":{\"accessMode\":7},"
                    "\"profile\":{\"name\":\"p\"}"),
         -1, "expected a string"},
    };
    for (size_t i = 0; i < MOAT_ARRAY_LEN(cases); i++) {
        for (unsigned flags = 0; flags <= MOAT_LOAD_LENIENT; flags++) {
            moat_loader *ld;
            int v = verdict(cases[i].json, flags, &ld);
            const moat_diag *d = diag_of(ld, MOAT_SEV_ERROR);
            int ok = v == cases[i].verdict &&
                     (cases[i].message == NULL ||
                      (d && strstr(d->message, cases[i].message)));
            if (!ok)
                printf("#   case %zu flags %u: verdict %d, %s\n", i, flags, v,
                       d ? d->message : "(no error)");
            moat_loader_free(ld);
            if (!ok)
                FAIL_AT("case %zu", i);
        }
    }
}

/* A rule whose action is unknown (a template expression, or under
** --lenient an action given twice) admits nothing: it might not be Allow. */
TEST(reading_unknown_action_admits_nothing)
{
    static const char *const docs[] = {
        OPEN "\"networkAcls\":{\"defaultAction\":\"Deny\",\"ipRules\":[{"
             "\"value\":\"198.51.100.0/24\",\"action\":\"[parameters('a')]\"}"
             "]}" CLOSE,
        OPEN "\"networkAcls\":{\"defaultAction\":\"Deny\",\"ipRules\":[{"
             "\"value\":\"198.51.100.0/24\",\"action\":\"Allow\",\"Action\":"
             "\"Deny\"}]}" CLOSE,
    };
    for (size_t i = 0; i < MOAT_ARRAY_LEN(docs); i++) {
        moat_loader *ld;
        int v = verdict(docs[i], MOAT_LOAD_LENIENT, &ld);
        moat_loader_free(ld);
        if (v != MOAT_DENY)
            FAIL_AT("document %zu: verdict %d", i, v);
    }
}
