/*
** test_loader.c - estate loading: file shapes, spellings, defaults,
** validation as Azure does it, and diagnostics that name the file, line,
** resource and JSON path.
*/
#include "harness.h"
#include "load.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUB "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
#define ACCT                                                                   \
    "/subscriptions/" SUB "/resourceGroups/rg/providers/"                      \
    "Microsoft.Storage/storageAccounts/"

static moat_estate *load(const char *json, unsigned flags, moat_loader **out)
{
    return harness_load(json, flags, out);
}

static const moat_diag *first_diag(moat_loader *ld, moat_severity sev)
{
    for (size_t i = 0; i < moat_loader_diag_count(ld); i++) {
        const moat_diag *d = moat_loader_diag(ld, i);
        if (d->severity == sev)
            return d;
    }
    return NULL;
}

TEST(loader_containers)
{
    static const char *const docs[] = {
        "{\"id\":\"" ACCT "a\",\"type\":\"Microsoft.Storage/storageAccounts\","
        "\"location\":\"westeurope\"}",
        "[{\"id\":\"" ACCT "a\",\"type\":\"Microsoft.Storage/storageAccounts\","
        "\"location\":\"westeurope\"}]",
        "{\"value\":[{\"id\":\"" ACCT "a\",\"type\":\"microsoft.storage/"
        "storageaccounts\",\"location\":\"westeurope\"}],\"nextLink\":null}",
        "{\"count\":1,\"data\":[{\"id\":\"" ACCT "a\",\"type\":\"Microsoft."
        "Storage/storageAccounts\",\"location\":\"westeurope\"}]}",
        "{\"$schema\":\"https://schema.management.azure.com/schemas/"
        "2019-04-01/deploymentTemplate.json#\",\"resources\":[{\"name\":\"a\","
        "\"type\":\"Microsoft.Storage/storageAccounts\",\"location\":\"x\"}]}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        moat_estate *es = load(docs[i], 0, NULL);
        if (es == NULL)
            FAIL_AT("document %zu did not load", i);
        moat_estate_stats st;
        moat_estate_stats_get(es, &st);
        ASSERT_EQ(st.storage_accounts, 1);
        moat_estate_free(es);
    }
}

TEST(loader_az_show_spellings)
{
    /* az storage account show: flattened, networkRuleSet, ipAddressOrRange,
    ** virtualNetworkResourceId. */
    const char *doc =
        "{\"id\":\"" ACCT "b\",\"type\":\"Microsoft.Storage/storageAccounts\","
        "\"location\":\"westeurope\",\"publicNetworkAccess\":\"Enabled\","
        "\"networkRuleSet\":{\"defaultAction\":\"Deny\",\"bypass\":\"None\","
        "\"ipRules\":[{\"ipAddressOrRange\":\"203.0.113.0/24\",\"action\":"
        "\"Allow\"}],\"virtualNetworkRules\":[{\"virtualNetworkResourceId\":"
        "\"/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/"
        "virtualNetworks/v/subnets/a\",\"state\":\"Succeeded\"}]}}";
    moat_estate *es = load(doc, 0, NULL);
    ASSERT(es != NULL);
    char *text = moat_estate_describe(es, NULL);
    ASSERT(text != NULL);
    ASSERT(strstr(text, "\"cidr\":\"203.0.113.0/24\"") != NULL);
    ASSERT(strstr(text, "\"defaultAction\":\"Deny\"") != NULL);
    ASSERT(strstr(text, "virtualNetworks/v/subnets/a") != NULL);
    ASSERT(strstr(text, "\"bypass\":[]") != NULL);
    moat_free(text);
    moat_estate_free(es);
}

TEST(loader_defaults_are_marked)
{
    moat_estate *es = load("{\"id\":\"" ACCT "c\",\"type\":\"Microsoft."
                           "Storage/storageAccounts\",\"location\":\"x\"}",
                           0, NULL);
    ASSERT(es != NULL);
    char *text = moat_estate_describe(es, NULL);
    ASSERT(strstr(text, "\"publicNetworkAccess\":\"Enabled\","
                        "\"publicNetworkAccessBasis\":\"default\"") != NULL);
    ASSERT(strstr(text, "\"defaultAction\":\"Allow\",\"defaultActionBasis\":"
                        "\"default\",\"bypass\":[\"AzureServices\"]") != NULL);
    moat_free(text);
    moat_estate_free(es);
}

TEST(loader_refuses_what_azure_refuses)
{
    static const char *const bad_rules[] = {
        "10.0.0.0/8",     "192.168.1.4",   "172.20.0.0/16", "203.0.113.4/32",
        "203.0.113.4/31", "2001:db8::/64", "not-an-ip",
    };
    for (size_t i = 0; i < sizeof bad_rules / sizeof bad_rules[0]; i++) {
        char doc[512];
        snprintf(doc, sizeof doc,
                 "[\n{\"id\":\"" ACCT "d\",\"type\":\"Microsoft.Storage/"
                 "storageAccounts\",\"location\":\"x\",\"properties\":{\n"
                 "\"networkAcls\":{\"defaultAction\":\"Deny\",\"ipRules\":[\n"
                 "{\"value\":\"203.0.113.0/24\"},\n{\"value\":\"%s\"}]}}}]",
                 bad_rules[i]);
        moat_loader *ld;
        moat_estate *es = load(doc, 0, &ld);
        if (es != NULL)
            FAIL_AT("accepted ipRule %s", bad_rules[i]);
        const moat_diag *d = first_diag(ld, MOAT_SEV_ERROR);
        ASSERT(d != NULL);
        ASSERT_STR(d->file, "test.json");
        ASSERT_EQ(d->line, 5);
        ASSERT_STR(d->resource, ACCT "d");
        ASSERT_STR(d->path, "properties.networkAcls.ipRules[1].value");
        moat_loader_free(ld);
        /* --lenient: a warning, and the rule is left out. */
        es = load(doc, MOAT_LOAD_LENIENT, &ld);
        ASSERT(es != NULL);
        ASSERT(first_diag(ld, MOAT_SEV_WARNING) != NULL);
        char *text = moat_estate_describe(es, NULL);
        ASSERT(strstr(text,
                      "\"ipRules\":[{\"value\":\"203.0.113.0/24\","
                      "\"cidr\":\"203.0.113.0/24\",\"index\":0}]") != NULL);
        /* ... and kept aside for the audit. */
        ASSERT(strstr(text, "\"rejectedRules\":[{\"list\":\"ipRules\","
                            "\"index\":1") != NULL);
        moat_free(text);
        moat_estate_free(es);
        moat_loader_free(ld);
    }
}

/* Key Vault refuses the same private ranges (decision.md version 2) and
** takes any prefix, /31 and /32 included. */
TEST(loader_vault_ip_rules)
{
    static const struct {
        const char *rule;
        int ok;
    } cases[] = {
        {"10.0.0.0/8", 0},      {"192.168.1.4", 0},    {"172.31.255.255/32", 0},
        {"10.1.2.3/32", 0},     {"2001:db8::/64", 0},  {"203.0.113.4/32", 1},
        {"203.0.113.4/31", 1},  {"203.0.113.4", 1},    {"0.0.0.0/0", 1},
        {"172.32.0.0/16", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char doc[512];
        snprintf(doc, sizeof doc,
                 "[\n{\"id\":\"/subscriptions/" SUB "/resourceGroups/rg/"
                 "providers/Microsoft.KeyVault/vaults/kv\",\"type\":"
                 "\"Microsoft.KeyVault/vaults\",\"location\":\"x\","
                 "\"properties\":{\"tenantId\":\"t\",\n\"networkAcls\":{"
                 "\"defaultAction\":\"Deny\",\"ipRules\":[\n"
                 "{\"value\":\"%s\"}]}}}]",
                 cases[i].rule);
        moat_loader *ld;
        moat_estate *es = load(doc, 0, &ld);
        if ((es != NULL) != cases[i].ok)
            FAIL_AT("ipRule %s: %s", cases[i].rule,
                    es ? "accepted" : "refused");
        if (!cases[i].ok) {
            const moat_diag *d = first_diag(ld, MOAT_SEV_ERROR);
            ASSERT(d != NULL && d->line == 4);
            ASSERT_STR(d->path, "properties.networkAcls.ipRules[0].value");
            if (strchr(cases[i].rule, ':') == NULL)
                ASSERT(strstr(d->message, "forbidden range") != NULL);
            moat_loader_free(ld);
            /* --lenient: a warning, and the rule is left out. */
            es = load(doc, MOAT_LOAD_LENIENT, &ld);
            ASSERT(es != NULL);
            ASSERT(first_diag(ld, MOAT_SEV_WARNING) != NULL);
            char *text = moat_estate_describe(es, NULL);
            ASSERT(strstr(text, "\"ipRules\":[]") != NULL);
            moat_free(text);
        }
        moat_estate_free(es);
        moat_loader_free(ld);
    }
}

TEST(loader_lenient_settings_fail_closed)
{
    /* A bad defaultAction under --lenient becomes Deny, never Allow; a bad
    ** publicNetworkAccess becomes Disabled. */
    moat_loader *ld;
    moat_estate *es = load("{\"id\":\"" ACCT "e\",\"type\":\"Microsoft."
                           "Storage/storageAccounts\",\"location\":\"x\","
                           "\"properties\":{\"publicNetworkAccess\":\"Open\","
                           "\"networkAcls\":{\"defaultAction\":\"Permit\"}}}",
                           MOAT_LOAD_LENIENT, &ld);
    ASSERT(es != NULL);
    ASSERT(moat_loader_error_count(ld) == 0);
    moat_request *q = moat_request_new(es);
    ASSERT_EQ(moat_request_set(q, MOAT_REQ_RESOURCE, "e", 1, NULL), MOAT_OK);
    ASSERT_EQ(moat_request_set(q, MOAT_REQ_SOURCE_IP, "8.8.8.8", 7, NULL),
              MOAT_OK);
    moat_decision d;
    ASSERT_EQ(moat_decide(q, &d), MOAT_OK);
    ASSERT_EQ(d.verdict, MOAT_DENY);
    ASSERT_EQ(d.category, MOAT_CAT_RES_PUBLIC_NETWORK_ACCESS_DISABLED);
    moat_request_free(q);
    moat_estate_free(es);
    moat_loader_free(ld);
}

TEST(loader_limits)
{
    /* 401 IP rules on a storage account. */
    size_t cap = 64 * 1024;
    char *doc = malloc(cap);
    size_t n =
        (size_t)snprintf(doc, cap,
                         "{\"id\":\"" ACCT "f\",\"type\":\"Microsoft."
                         "Storage/storageAccounts\",\"location\":\"x\","
                         "\"properties\":{\"networkAcls\":{\"ipRules\":[");
    for (int i = 0; i < 401; i++)
        n += (size_t)snprintf(doc + n, cap - n, "%s{\"value\":\"8.8.%d.%d\"}",
                              i ? "," : "", i / 256, i % 256);
    snprintf(doc + n, cap - n, "]}}}");
    moat_loader *ld;
    moat_estate *es = load(doc, 0, &ld);
    ASSERT(es == NULL);
    const moat_diag *d = first_diag(ld, MOAT_SEV_ERROR);
    ASSERT(d != NULL);
    ASSERT(strstr(d->message, "at most 400") != NULL);
    moat_loader_free(ld);
    free(doc);
}

TEST(loader_structural_errors)
{
    moat_loader *ld;
    ASSERT(load("{\"id\":\"" ACCT "g\",\"type\":\"Microsoft.Storage/"
                "storageAccounts\",\"properties\":{\"networkAcls\":\"Deny\"}}",
                0, &ld) == NULL);
    const moat_diag *d = first_diag(ld, MOAT_SEV_ERROR);
    ASSERT(d != NULL);
    ASSERT_STR(d->path, "properties.networkAcls");
    ASSERT(strstr(d->message, "expected an object") != NULL);
    moat_loader_free(ld);
    /* Syntax errors carry line and column. */
    ASSERT(load("[\n{\"id\": 1 \"x\"}\n]", 0, &ld) == NULL);
    d = first_diag(ld, MOAT_SEV_ERROR);
    ASSERT(d != NULL);
    ASSERT_EQ(d->code, MOAT_E_SYNTAX);
    ASSERT_EQ(d->line, 2);
    moat_loader_free(ld);
    /* The same resource twice. */
    const char *one = "{\"id\":\"" ACCT "h\",\"type\":\"Microsoft.Storage/"
                      "storageAccounts\",\"location\":\"x\"}";
    char twice[1024];
    snprintf(twice, sizeof twice, "[%s,%s]", one, one);
    ASSERT(load(twice, 0, &ld) == NULL);
    d = first_diag(ld, MOAT_SEV_ERROR);
    ASSERT(d != NULL && strstr(d->message, "defined twice") != NULL);
    moat_loader_free(ld);
}

TEST(loader_two_associations_is_an_error)
{
    const char *doc =
        "[{\"id\":\"" ACCT "i\",\"type\":\"Microsoft.Storage/storageAccounts\","
        "\"location\":\"x\"},"
        "{\"id\":\"/p/providers/Microsoft.Network/networkSecurityPerimeters/n/"
        "resourceAssociations/a1\",\"type\":\"Microsoft.Network/"
        "networkSecurityPerimeters/resourceAssociations\",\"properties\":{"
        "\"privateLinkResource\":{\"id\":\"" ACCT "i\"},\"profile\":{\"id\":"
        "\"/p/providers/Microsoft.Network/networkSecurityPerimeters/n/"
        "profiles/x\"}}},"
        "{\"id\":\"/p/providers/Microsoft.Network/networkSecurityPerimeters/n/"
        "resourceAssociations/a2\",\"type\":\"Microsoft.Network/"
        "networkSecurityPerimeters/resourceAssociations\",\"properties\":{"
        "\"privateLinkResource\":{\"id\":\"" ACCT "i\"},\"profile\":{\"id\":"
        "\"/p/providers/Microsoft.Network/networkSecurityPerimeters/n/"
        "profiles/x\"},\"accessMode\":\"Enforced\"}}]";
    moat_loader *ld;
    ASSERT(load(doc, 0, &ld) == NULL);
    const moat_diag *d = first_diag(ld, MOAT_SEV_ERROR);
    ASSERT(d != NULL && strstr(d->message, "two perimeter associations"));
    moat_loader_free(ld);
}

TEST(loader_add_path_errors)
{
    moat_loader *ld = moat_loader_new(0);
    ASSERT_EQ(moat_loader_add_path(ld, "/nonexistent/moat/estate.json"),
              MOAT_E_IO);
    ASSERT_EQ(moat_loader_error_count(ld), 1);
    moat_estate *es = (moat_estate *)1;
    ASSERT(moat_loader_finish(ld, &es) != MOAT_OK);
    ASSERT(es == NULL);
    moat_loader_free(ld);
    moat_loader_free(NULL);
    moat_estate_free(NULL);
}

/* A diagnostic whose message holds both texts, or NULL. */
static const moat_diag *diag_with(moat_loader *ld, const char *a, const char *b)
{
    for (size_t i = 0; i < moat_loader_diag_count(ld); i++) {
        const moat_diag *d = moat_loader_diag(ld, i);
        if (strstr(d->message, a) && strstr(d->message, b))
            return d;
    }
    return NULL;
}

/* Estate files are read whole: a FIFO or a device, given or met below a
** directory, might never end (/dev/zero) or never start (a FIFO nobody
** writes); both are refused at once, naming the file. */
TEST(loader_refuses_files_that_never_end)
{
    char dir[] = "/tmp/moat-unit-XXXXXX";
    ASSERT(mkdtemp(dir) != NULL);
    char fifo[64], ok[64];
    snprintf(fifo, sizeof fifo, "%s/b.json", dir);
    snprintf(ok, sizeof ok, "%s/a.json", dir);
    ASSERT_EQ(mkfifo(fifo, 0600), 0);
    FILE *fp = fopen(ok, "w");
    ASSERT(fp != NULL);
    fputs("{\"id\":\"" ACCT "a\",\"type\":\"Microsoft.Storage/"
          "storageAccounts\",\"location\":\"westeurope\"}",
          fp);
    fclose(fp);
    moat_loader *ld = moat_loader_new(0);
    ASSERT_EQ(moat_loader_add_path(ld, fifo), MOAT_E_IO);
    ASSERT(diag_with(ld, fifo, "FIFO") != NULL);
    ASSERT_EQ(moat_loader_add_path(ld, "/dev/zero"), MOAT_E_IO);
    ASSERT(diag_with(ld, "/dev/zero", "character device") != NULL);
    moat_loader_free(ld);
    ld = moat_loader_new(MOAT_LOAD_LENIENT);
    ASSERT_EQ(moat_loader_add_path(ld, dir), MOAT_E_IO);
    ASSERT(diag_with(ld, fifo, "FIFO") != NULL);
    ASSERT_EQ(moat_loader_error_count(ld), 1);
    moat_loader_free(ld);
    unlink(fifo);
    unlink(ok);
    rmdir(dir);
}

/* Text that is not JSON is a syntax error, from memory as from a file (it
** was reported as a limit). */
TEST(loader_syntax_error_status)
{
    moat_loader *ld = moat_loader_new(0);
    static const char bad[] = "{\"a\": [1,\n 2,,]}";
    ASSERT_EQ(moat_loader_add_json(ld, "mem", bad, sizeof bad - 1),
              MOAT_E_SYNTAX);
    ASSERT_EQ(moat_loader_diag(ld, 0)->code, MOAT_E_SYNTAX);
    ASSERT_EQ(moat_loader_diag(ld, 0)->line, 2);
    moat_loader_free(ld);
}

/* The cap on an estate file holds for files (checked before reading),
** streams (while reading) and memory; lowered here to keep the test small. */
TEST(loader_caps_estate_files)
{
    char path[] = "/tmp/moat-unit-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    char big[100];
    memset(big, ' ', sizeof big);
    ASSERT_EQ(write(fd, big, sizeof big), (long long)sizeof big);
    close(fd);
    moat_loader *ld = moat_loader_new(0);
    ld->max_file_bytes = 64;
    ASSERT_EQ(moat_loader_add_path(ld, path), MOAT_E_LIMIT);
    ASSERT(diag_with(ld, path, "larger than 64") != NULL);
    ASSERT_EQ(moat_loader_add_json(ld, "mem", big, sizeof big), MOAT_E_LIMIT);
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    ASSERT_EQ(write(p[1], big, sizeof big), (long long)sizeof big);
    close(p[1]);
    ASSERT_EQ(moat_loader_add_fd(ld, "<stdin>", p[0]), MOAT_E_LIMIT);
    ASSERT(diag_with(ld, "<stdin>", "larger than 64") != NULL);
    close(p[0]);
    ASSERT_EQ(moat_loader_error_count(ld), 3);
    moat_loader_free(ld);
    unlink(path);
    /* Under the cap a stream loads. */
    static const char doc[] = "{\"id\":\"" ACCT "a\",\"type\":\"Microsoft."
                              "Storage/storageAccounts\",\"location\":\"x\"}";
    ld = moat_loader_new(0);
    ASSERT_EQ(pipe(p), 0);
    ASSERT_EQ(write(p[1], doc, sizeof doc - 1), (long long)sizeof doc - 1);
    close(p[1]);
    ASSERT_EQ(moat_loader_add_fd(ld, "<stdin>", p[0]), MOAT_OK);
    close(p[0]);
    moat_estate *es = NULL;
    ASSERT_EQ(moat_loader_finish(ld, &es), MOAT_OK);
    moat_estate_free(es);
    moat_loader_free(ld);
}

/* Diagnostics locate through the loader's line table; it agrees with a
** rescan from the start of the file. */
TEST(loader_line_table_matches_rescan)
{
    char text[16384];
    size_t n = 0;
    n += (size_t)snprintf(text + n, sizeof text - n, "[");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(
            text + n, sizeof text - n,
            "%s{\"id\": \"/subscriptions/s/resourceGroups/rg/providers/"
            "Microsoft.Storage/storageAccounts/st%d\",%.*s\"type\": "
            "\"Microsoft.Storage/storageAccounts\", \"location\": \"x\","
            "\"properties\": {\"networkAcls\":%.*s {\"defaultAction\": "
            "\"Maybe\"}}}",
            i ? ",\n" : "", i, i % 3, "\n\n\n", i % 2, "\n\n");
    n += (size_t)snprintf(text + n, sizeof text - n, "]\n");
    moat_loader *ld = moat_loader_new(MOAT_LOAD_LENIENT);
    moat_loader_add_json(ld, "t.json", text, n);
    size_t found = 0;
    const char *p = text;
    while ((p = strstr(p, "\"Maybe\"")) != NULL) {
        unsigned line, col;
        moat__json_line_col(text, n, (size_t)(p - text), &line, &col);
        int match = 0;
        for (size_t k = 0; k < moat_loader_diag_count(ld); k++) {
            const moat_diag *d = moat_loader_diag(ld, k);
            match |= d->line == line && d->column == col;
        }
        if (!match)
            FAIL_AT("no diagnostic at %u:%u", line, col);
        found++;
        p++;
    }
    ASSERT_EQ(found, 40);
    moat_loader_free(ld);
}
