/*
** test_audit.c - the audit's claims checked against the engine. Random
** storage accounts and key vaults (default action, publicNetworkAccess,
** bypass, IP rules, resource instance rules of the account's and another
** tenant, a perimeter association in each mode with address rules and a
** service-tag rule, Azure's service-tag file given, private endpoint
** connections in each state) are audited, and every claim is probed with
** moat_decide: the IPv4 and IPv6 addresses the "internet" exposure counts
** are exactly the ones decide admits (brute force over the /20 and the
** /116 the rules live in; a vault's service tags count, a storage
** account's never), the "azure-same-region" exposure likewise from the
** resource's own region (a vault's IP rules see such callers, a storage
** account's do not), *-default-deny passes exactly when an address outside
** every rule is refused, *-public-access-disabled passes only when no
** public address gets in, trusted services get in exactly when the
** exposure and storage-trusted-services say so, a resource instance rule
** admits exactly its own tenant's instance as the "identities" exposure
** says, and private endpoint connections admit exactly when Approved. Then
** suppressions and baselines through the public API.
*/
#include "harness.h"
#include "moat_int.h"

#include <stdint.h>
#include <stdlib.h>

#define SUB "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
#define TENANT "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
#define RG "/subscriptions/" SUB "/resourceGroups/rg"
#define NSP RG "/providers/Microsoft.Network/networkSecurityPerimeters/nsp"
#define PE RG "/providers/Microsoft.Network/privateEndpoints/"
#define APP RG "/providers/Microsoft.Web/sites/"
#define OTHER_TENANT "a0b1c2d3-e4f5-4a6b-9c8d-7e6f5a4b3c2d"

/* Rules live inside 20.0.0.0/20 so that decide can be asked about every
** address they could admit. */
#define BASE_IP 0x14000000u
#define SPACE 4096u
#define ACCOUNTS 48

typedef struct gen {
    char *buf;
    size_t n, cap;
    uint64_t seed;
} gen;

static uint32_t rnd(gen *g, uint32_t below)
{
    g->seed ^= g->seed << 13;
    g->seed ^= g->seed >> 7;
    g->seed ^= g->seed << 17;
    return (uint32_t)(g->seed % below);
}

static void out(gen *g, const char *f, ...) MOAT_PRINTF(2, 3);
static void out(gen *g, const char *f, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, f);
        int k = vsnprintf(g->buf + g->n, g->cap - g->n, f, ap);
        va_end(ap);
        if ((size_t)k < g->cap - g->n) {
            g->n += (size_t)k;
            return;
        }
        g->cap = g->cap * 2 + (size_t)k;
        g->buf = realloc(g->buf, g->cap);
    }
}

/* A prefix of /24 to /30 inside the rule space, as text. */
static void prefix(gen *g)
{
    uint32_t len = 24 + rnd(g, 7);
    uint32_t size = 1u << (32 - len);
    uint32_t ip = BASE_IP + (rnd(g, SPACE) & ~(size - 1));
    out(g, "\"%u.%u.%u.%u/%u\"", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
        ip & 255, len);
}

/* A prefix of /116 to /124 inside 2001:db8::/116, the IPv6 rule space. */
static void prefix6(gen *g)
{
    uint32_t len = 116 + rnd(g, 9);
    uint32_t size = 1u << (128 - len);
    out(g, "\"2001:db8::%x/%u\"", rnd(g, SPACE) & ~(size - 1), len);
}

static void ip_rules(gen *g)
{
    uint32_t n = rnd(g, 4);
    out(g, "\"ipRules\":[");
    for (uint32_t i = 0; i < n; i++) {
        out(g, "%s{\"value\":", i ? "," : "");
        prefix(g);
        out(g, "}");
    }
    out(g, "],\"ipv6Rules\":[");
    n = rnd(g, 3);
    for (uint32_t i = 0; i < n; i++) {
        out(g, "%s{\"value\":", i ? "," : "");
        prefix6(g);
        out(g, "}");
    }
    out(g, "]");
}

static const char *const pe_states[] = {"Approved", "Pending", "Rejected",
                                        "Disconnected"};

/* Resource instance rules: one for an instance of the account's tenant,
** one for another tenant's (which admits nothing, decision.md v2). */
static void instance_rules(gen *g, int i)
{
    uint32_t which = rnd(g, 4);
    out(g, ",\"resourceAccessRules\":[");
    if (which & 1)
        out(g,
            "{\"tenantId\":\"" TENANT "\",\"resourceId\":\"" APP "own%02d\"}%s",
            i, which & 2 ? "," : "");
    if (which & 2)
        out(g,
            "{\"tenantId\":\"" OTHER_TENANT "\",\"resourceId\":\"" APP
            "other%02d\"}",
            i);
    out(g, "]");
}

static void association(gen *g, const char *res, int i)
{
    static const char *const modes[] = {"Learning", "Enforced", "Audit"};
    out(g,
        ",{\"id\":\"" NSP "/resourceAssociations/%s\",\"name\":\"%s\","
        "\"type\":\"Microsoft.Network/networkSecurityPerimeters/"
        "resourceAssociations\",\"properties\":{\"privateLinkResource\":"
        "{\"id\":\"" RG "/providers/%s\"},\"profile\":{\"id\":\"" NSP
        "/profiles/p%d\"},\"accessMode\":\"%s\"}}",
        strrchr(res, '/') + 1, strrchr(res, '/') + 1, res, i % 2,
        modes[rnd(g, 3)]);
}

/* A key vault: public access, default action, bypass, IP rules and a
** perimeter association drawn as for accounts. */
static void vault(gen *g, int i)
{
    static const char *const pna[] = {NULL, "Enabled", "Disabled",
                                      "SecuredByPerimeter"};
    const char *p = pna[rnd(g, 4)];
    out(g,
        ",{\"id\":\"" RG "/providers/Microsoft.KeyVault/vaults/kv%02d\","
        "\"name\":\"kv%02d\",\"type\":\"Microsoft.KeyVault/vaults\","
        "\"location\":\"westeurope\",\"properties\":{\"tenantId\":\"" TENANT
        "\"",
        i, i);
    if (p)
        out(g, ",\"publicNetworkAccess\":\"%s\"", p);
    if (rnd(g, 5)) {
        out(g, ",\"networkAcls\":{\"defaultAction\":\"%s\",\"bypass\":\"%s\",",
            rnd(g, 3) ? "Deny" : "Allow", rnd(g, 2) ? "AzureServices" : "None");
        ip_rules(g);
        out(g, "}");
    }
    out(g, "}}");
    if (rnd(g, 2) == 0) {
        char res[64];
        snprintf(res, sizeof res, "Microsoft.KeyVault/vaults/kv%02d", i);
        association(g, res, i);
    }
}

static void account(gen *g, int i)
{
    static const char *const pna[] = {NULL, "Enabled", "Disabled",
                                      "SecuredByPerimeter"};
    const char *p = pna[rnd(g, 4)];
    out(g,
        ",{\"id\":\"" RG
        "/providers/Microsoft.Storage/storageAccounts/st%02d\","
        "\"name\":\"st%02d\",\"type\":\"Microsoft.Storage/storageAccounts\","
        "\"location\":\"westeurope\",\"properties\":{",
        i, i);
    if (p)
        out(g, "\"publicNetworkAccess\":\"%s\",", p);
    out(g, "\"privateEndpointConnections\":[");
    uint32_t n_pe = rnd(g, 3);
    for (uint32_t k = 0; k < n_pe; k++)
        out(g,
            "%s{\"properties\":{\"privateEndpoint\":{\"id\":\"" PE
            "pe%02d-%u\"},\"privateLinkServiceConnectionState\":{\"status\":"
            "\"%s\"}}}",
            k ? "," : "", i, k, pe_states[(i + k) % 4]);
    out(g, "]");
    if (rnd(g, 5)) {
        static const char *const bypass[] = {NULL, "None", "AzureServices",
                                             "Logging, Metrics"};
        const char *b = bypass[rnd(g, 4)];
        out(g, ",\"networkAcls\":{\"defaultAction\":\"%s\",",
            rnd(g, 3) ? "Deny" : "Allow");
        if (b)
            out(g, "\"bypass\":\"%s\",", b);
        ip_rules(g);
        instance_rules(g, i);
        out(g, "}");
    }
    out(g, "}}");
    if (rnd(g, 3) == 0) {
        char res[64];
        snprintf(res, sizeof res, "Microsoft.Storage/storageAccounts/st%02d",
                 i);
        association(g, res, i);
    }
}

static char *estate_json(uint64_t seed)
{
    gen g = {malloc(4096), 0, 4096, seed};
    out(&g,
        "[{\"id\":\"/subscriptions/" SUB "\",\"type\":\"Microsoft.Resources/"
        "subscriptions\",\"subscriptionId\":\"" SUB "\",\"tenantId\":\"" TENANT
        "\"},{\"id\":\"" NSP "\",\"name\":\"nsp\",\"type\":\"Microsoft."
        "Network/networkSecurityPerimeters\",\"location\":\"westeurope\","
        "\"properties\":{\"perimeterGuid\":\"b1c2d3e4-f5a6-4b7c-8d9e-"
        "0f1a2b3c4d5e\"}}");
    /* Profile p0 has address rules; p1 has none. */
    out(&g,
        ",{\"id\":\"" NSP "/profiles/p0\",\"name\":\"p0\",\"type\":\"Microsoft."
        "Network/networkSecurityPerimeters/profiles\"},{\"id\":\"" NSP
        "/profiles/p1\",\"name\":\"p1\",\"type\":\"Microsoft.Network/"
        "networkSecurityPerimeters/profiles\"},{\"id\":\"" NSP
        "/profiles/p0/accessRules/r\",\"name\":\"r\",\"type\":\"Microsoft."
        "Network/networkSecurityPerimeters/profiles/accessRules\","
        "\"properties\":{\"direction\":\"Inbound\",\"addressPrefixes\":[");
    prefix(&g);
    out(&g, ",");
    prefix(&g);
    out(&g, ",");
    prefix6(&g);
    out(&g, "]}}");
    /* ... and a service-tag rule, which admits for key vaults only. */
    out(&g, ",{\"id\":\"" NSP "/profiles/p0/accessRules/t\",\"name\":\"t\","
            "\"type\":\"Microsoft.Network/networkSecurityPerimeters/profiles/"
            "accessRules\",\"properties\":{\"direction\":\"Inbound\","
            "\"serviceTags\":[\"RuleSpace\"]}}");
    for (int i = 0; i < ACCOUNTS; i++) {
        account(&g, i);
        vault(&g, i);
    }
    out(&g, "]");
    return g.buf;
}

/* The service-tag file: tag RuleSpace covers part of the rule spaces (the
** IPv4 /20 and the IPv6 /116 the brute force walks). */
static const char tags_json[] =
    "{\"values\":[{\"name\":\"RuleSpace\",\"properties\":{"
    "\"addressPrefixes\":[\"20.0.8.0/26\",\"20.0.3.128/25\","
    "\"2001:db8::800/118\"]}}]}";

static moat_estate *load(const char *json)
{
    moat_loader *ld = moat_loader_new(MOAT_LOAD_LENIENT);
    moat_estate *es = NULL;
    moat_loader_add_json(ld, "test.json", json, strlen(json));
    moat_loader_add_service_tags_json(ld, "tags.json", tags_json,
                                      strlen(tags_json));
    moat_loader_finish(ld, &es);
    moat_loader_free(ld);
    return es;
}

static int set(moat_request *q, moat_field field, const char *value)
{
    return moat_request_set(q, field, value, strlen(value), NULL) == MOAT_OK;
}

/* Whether a caller outside every perimeter, in region, reaches resource
** id from address ipt (or through private endpoint pe). */
static int admits_text_in(moat_request *q, const char *id, const char *ipt,
                          const char *pe, const char *region)
{
    moat_request_reset(q);
    int ok = set(q, MOAT_REQ_RESOURCE, id);
    if (pe)
        ok = ok && set(q, MOAT_REQ_SOURCE_IP, "10.9.0.4") &&
             set(q, MOAT_REQ_SOURCE_PRIVATE_ENDPOINT, pe);
    else
        ok = ok && set(q, MOAT_REQ_SOURCE_IP, ipt) &&
             set(q, MOAT_REQ_SOURCE_REGION, region);
    moat_decision d;
    if (!ok || moat_decide(q, &d) != MOAT_OK)
        return -1;
    return d.verdict == MOAT_ALLOW;
}

/* ... from IPv4 address ip. */
static int admits_in(moat_request *q, const char *id, uint32_t ip,
                     const char *pe, const char *region)
{
    char ipt[16];
    snprintf(ipt, sizeof ipt, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255,
             (ip >> 8) & 255, ip & 255);
    return admits_text_in(q, id, ipt, pe, region);
}

/* ... in another region. */
static int admits_text(moat_request *q, const char *id, const char *ipt,
                       const char *pe)
{
    return admits_text_in(q, id, ipt, pe, "eastus");
}

/* Whether a web app of tenant reaches id from an address no rule admits:
** only a resource instance rule can let it in. */
static int admits_instance(moat_request *q, const char *id, const char *app,
                           const char *tenant)
{
    moat_request_reset(q);
    int ok = set(q, MOAT_REQ_RESOURCE, id) &&
             set(q, MOAT_REQ_SOURCE_IP, "99.1.2.3") &&
             set(q, MOAT_REQ_SOURCE_REGION, "eastus") &&
             set(q, MOAT_REQ_CALLER_TENANT, tenant) &&
             set(q, MOAT_REQ_CALLER_RESOURCE_ID, app);
    moat_decision d;
    if (!ok || moat_decide(q, &d) != MOAT_OK)
        return -1;
    return d.verdict == MOAT_ALLOW;
}

static int admits(moat_request *q, const char *id, uint32_t ip, const char *pe)
{
    return admits_in(q, id, ip, pe, "eastus");
}

/* Whether the caller from 2001:db8::<k> in region reaches resource id. */
static int admits6_in(moat_request *q, const char *id, uint32_t k,
                      const char *region)
{
    char ipt[48];
    snprintf(ipt, sizeof ipt, "2001:db8::%x", k);
    return admits_text_in(q, id, ipt, NULL, region);
}

/* Whether Azure Backup, from the account's tenant, reaches resource id
** from an address no rule admits. */
static int admits_trusted(moat_request *q, const char *id)
{
    moat_request_reset(q);
    int ok = set(q, MOAT_REQ_RESOURCE, id) &&
             set(q, MOAT_REQ_SOURCE_IP, "99.1.2.3") &&
             set(q, MOAT_REQ_SOURCE_REGION, "eastus") &&
             set(q, MOAT_REQ_CALLER_TENANT, TENANT) &&
             set(q, MOAT_REQ_CALLER_SERVICE, "Microsoft.RecoveryServices");
    moat_decision d;
    if (!ok || moat_decide(q, &d) != MOAT_OK)
        return -1;
    return d.verdict == MOAT_ALLOW;
}

static const moat_exposure *exposure(const moat_audit *a, const char *id,
                                     const char *source)
{
    for (size_t i = 0; i < moat_audit_exposure_count(a); i++) {
        const moat_exposure *e = moat_audit_exposure(a, i);
        if (strcmp(e->resource, id) == 0 && strcmp(e->source, source) == 0)
            return e;
    }
    return NULL;
}

/* The status of a control on a resource; -1 when it disagrees with itself
** across CIS versions, -2 when absent. */
static int control(const moat_audit *a, const char *id, const char *name)
{
    int status = -2;
    for (size_t i = 0; i < moat_audit_control_count(a); i++) {
        const moat_control_result *c = moat_audit_control(a, i);
        if (strcmp(c->resource, id) || strcmp(c->control, name))
            continue;
        if (c->status == MOAT_CONTROL_NOT_APPLICABLE)
            continue;
        if (status >= 0 && status != (int)c->status)
            return -1;
        status = (int)c->status;
    }
    return status;
}

/* Addresses of the rule spaces decide admits from region: IPv4 in *n,
** IPv6 in *n6. */
static void count_admitted_in(moat_request *q, const char *id,
                              const char *region, uint32_t *n, uint32_t *n6)
{
    *n = *n6 = 0;
    for (uint32_t k = 0; k < SPACE; k++) {
        *n += admits_in(q, id, BASE_IP + k, NULL, region) == 1;
        *n6 += admits6_in(q, id, k, region) == 1;
    }
}

/* The admitted counts an exposure's detail states: "N IPv4 addresses and M
** IPv6 addresses through ...", after "as from the internet (...): " for a
** vault's same region. */
static void claimed_counts(const char *detail, unsigned long long *n,
                           unsigned long long *n6)
{
    if (strncmp(detail, "as from the internet", 20) == 0) {
        const char *colon = strstr(detail, ": ");
        detail = colon ? colon + 2 : "";
    }
    char *rest;
    *n = strtoull(detail, &rest, 10);
    const char *and = strstr(rest, " and ");
    *n6 = and? strtoull(and+5, NULL, 10) : ~0ULL;
}

/* What an exposure claims against the addresses admitted of both rule
** spaces (n, n6) and whether one outside every rule gets in (outside,
** outside6). */
static int claim_holds(const moat_exposure *e, uint32_t n, uint32_t n6,
                       int outside, int outside6)
{
    if (e == NULL)
        return 0;
    if (strcmp(e->admitted, "all") == 0)
        return n == SPACE && n6 == SPACE && outside == 1 && outside6 == 1;
    if (strcmp(e->admitted, "none") == 0)
        return n == 0 && n6 == 0 && outside == 0 && outside6 == 0;
    if (strcmp(e->admitted, "some") != 0)
        return 0;
    unsigned long long claimed, claimed6;
    claimed_counts(e->detail, &claimed, &claimed6);
    return n + n6 > 0 && claimed == n && claimed6 == n6 && outside == 0 &&
           outside6 == 0;
}

/* The exposure `source` against decide from region. */
static int check_exposure(moat_request *q, const moat_audit *a, const char *id,
                          const char *source, const char *region, uint32_t n,
                          uint32_t n6)
{
    int outside = admits_in(q, id, 0x63010203u, NULL, region); /* 99.1.2.3 */
    int outside6 = admits_text_in(q, id, "2001:db9::1", NULL, region);
    return claim_holds(exposure(a, id, source), n, n6, outside, outside6);
}

/* The internet exposure against decide, in both families: the counts are
** the addresses decide admits; outside the rule spaces nothing gets in
** unless all do. */
static int check_internet(moat_request *q, const moat_audit *a, const char *id,
                          uint32_t n, uint32_t n6)
{
    return check_exposure(q, a, id, "internet", "eastus", n, n6);
}

/* Same region: a storage account's IP and perimeter address rules do not
** see the caller; a key vault's do (decision.md section 7, version 2). */
static int check_same_region(moat_request *q, const moat_audit *a,
                             const char *id, uint32_t n_other,
                             uint32_t n6_other)
{
    uint32_t n, n6;
    count_admitted_in(q, id, "westeurope", &n, &n6);
    if (strstr(id, "/vaults/") && (n != n_other || n6 != n6_other))
        return 0;
    return check_exposure(q, a, id, "azure-same-region", "westeurope", n, n6);
}

/* Resource instance rules admit the account's own tenant's instances only,
** as the identities exposure says. */
static int check_instances(moat_request *q, const moat_audit *a, const char *id,
                           int i)
{
    char own[256], other[256];
    snprintf(own, sizeof own, APP "own%02d", i);
    snprintf(other, sizeof other, APP "other%02d", i);
    const moat_exposure *e = exposure(a, id, "identities");
    int in_own = admits_instance(q, id, own, TENANT);
    int in_other = admits_instance(q, id, other, OTHER_TENANT);
    if (e == NULL || in_own < 0 || in_other < 0)
        return 0;
    int all = strcmp(e->admitted, "all") == 0;
    return in_own == (all || strcmp(e->admitted, "some") == 0) &&
           in_other == all;
}

/* The control named kind-what ("storage-default-deny"). */
static int control_of(const moat_audit *a, const char *id, const char *what)
{
    char name[64];
    snprintf(name, sizeof name, "%s-%s",
             strstr(id, "/vaults/") ? "keyvault" : "storage", what);
    return control(a, id, name);
}

static int check_controls(moat_request *q, const moat_audit *a, const char *id,
                          uint32_t n)
{
    int outside = admits(q, id, 0x63010203u, NULL);
    int dd = control_of(a, id, "default-deny");
    if (dd < 0 || (dd == MOAT_CONTROL_PASS) != (outside == 0))
        return 0;
    int pad = control_of(a, id, "public-access-disabled");
    if (pad < 0 || (pad == MOAT_CONTROL_PASS && n != 0))
        return 0;
    return 1;
}

/* The trusted-services exposure, and the pre-4.0 control (AzureServices in
** effect), against a trusted caller. */
static int check_trusted(moat_request *q, const moat_audit *a, const char *id)
{
    const moat_exposure *e = exposure(a, id, "trusted-services");
    int in = admits_trusted(q, id);
    if (e == NULL || in < 0)
        return 0;
    int claimed =
        strcmp(e->admitted, "all") == 0 || strcmp(e->admitted, "some") == 0;
    if (claimed != in)
        return 0;
    /* The control holds when trusted services get in for any reason but
    ** the tenant; this estate's tenant is known. */
    for (size_t i = 0; i < moat_audit_control_count(a); i++) {
        const moat_control_result *c = moat_audit_control(a, i);
        if (strcmp(c->resource, id) == 0 &&
            strcmp(c->control, "storage-trusted-services") == 0 &&
            c->status != MOAT_CONTROL_NOT_APPLICABLE &&
            (c->status == MOAT_CONTROL_PASS) != in)
            return 0;
    }
    return 1;
}

static int check_private_endpoints(moat_request *q, const moat_audit *a,
                                   const char *id, int i)
{
    int approved = 0;
    for (uint32_t k = 0; k < 2; k++) {
        char pe[256];
        snprintf(pe, sizeof pe, PE "pe%02d-%u", i, k);
        int ok = admits(q, id, 0, pe);
        if (ok < 0)
            return 0;
        approved |= ok;
    }
    const moat_exposure *e = exposure(a, id, "private-endpoints");
    int pe_control = control_of(a, id, "private-endpoint");
    return e && (strcmp(e->admitted, "some") == 0) == approved &&
           (pe_control == MOAT_CONTROL_PASS) == approved;
}

TEST(audit_claims_match_decide)
{
    for (uint64_t seed = 1; seed <= 8; seed++) {
        char *json = estate_json(seed * 0x9E3779B97F4A7C15ull);
        moat_estate *es = load(json);
        free(json);
        ASSERT(es != NULL);
        moat_audit *a = NULL;
        ASSERT_EQ(moat_audit_run(es, NULL, &a), MOAT_OK);
        moat_request *q = moat_request_new(es);
        for (int i = 0; i < 2 * ACCOUNTS; i++) {
            char id[256];
            int vault = i >= ACCOUNTS, k = i % ACCOUNTS;
            snprintf(id, sizeof id,
                     vault ? RG "/providers/Microsoft.KeyVault/vaults/kv%02d"
                           : RG "/providers/Microsoft.Storage/"
                                "storageAccounts/st%02d",
                     k);
            const char *name = strrchr(id, '/') + 1;
            uint32_t n, n6;
            count_admitted_in(q, id, "eastus", &n, &n6);
            if (!check_internet(q, a, id, n, n6))
                FAIL_AT("seed %llu: internet exposure of %s is wrong",
                        (unsigned long long)seed, name);
            if (!check_same_region(q, a, id, n, n6))
                FAIL_AT("seed %llu: same-region exposure of %s is wrong",
                        (unsigned long long)seed, name);
            if (!check_controls(q, a, id, n))
                FAIL_AT("seed %llu: a control on %s disagrees with decide",
                        (unsigned long long)seed, name);
            if (!check_trusted(q, a, id))
                FAIL_AT("seed %llu: trusted services on %s are wrong",
                        (unsigned long long)seed, name);
            if (!vault && !check_private_endpoints(q, a, id, k))
                FAIL_AT("seed %llu: private endpoints of %s are wrong",
                        (unsigned long long)seed, name);
            if (!vault && !check_instances(q, a, id, k))
                FAIL_AT("seed %llu: instance rules of %s are wrong",
                        (unsigned long long)seed, name);
        }
        moat_request_free(q);
        moat_audit_free(a);
        moat_estate_free(es);
    }
}

/*--------------------------------------------------------------------------
** Suppressions and baselines.
*/
static const char small_estate[] =
    "[{\"id\":\"/subscriptions/" SUB "\",\"type\":\"Microsoft.Resources/"
    "subscriptions\",\"subscriptionId\":\"" SUB "\",\"tenantId\":\"" TENANT
    "\"},{\"id\":\"" RG "/providers/Microsoft.Storage/storageAccounts/open\","
    "\"name\":\"open\",\"type\":\"Microsoft.Storage/storageAccounts\","
    "\"location\":\"westeurope\"},{\"id\":\"" RG
    "/providers/Microsoft.Storage/storageAccounts/shut\",\"name\":\"shut\","
    "\"type\":\"Microsoft.Storage/storageAccounts\",\"location\":"
    "\"westeurope\",\"properties\":{\"publicNetworkAccess\":\"Disabled\"}}]";

static size_t count_state(const moat_audit *a, moat_finding_state s)
{
    size_t n = 0;
    for (size_t i = 0; i < moat_audit_finding_count(a); i++)
        n += moat_audit_finding(a, i)->state == s;
    return n;
}

static const moat_finding *find_rule(const moat_audit *a, const char *rule,
                                     const char *name)
{
    for (size_t i = 0; i < moat_audit_finding_count(a); i++) {
        const moat_finding *f = moat_audit_finding(a, i);
        if (strcmp(f->rule->name, rule) == 0 &&
            strcmp(f->resource_name, name) == 0)
            return f;
    }
    return NULL;
}

TEST(audit_open_account_is_internet_reachable_by_default)
{
    moat_estate *es = load(small_estate);
    moat_audit *a = NULL;
    ASSERT_EQ(moat_audit_run(es, NULL, &a), MOAT_OK);
    const moat_finding *f = find_rule(a, "internet-reachable", "open");
    ASSERT(f != NULL);
    ASSERT(find_rule(a, "internet-reachable", "shut") == NULL);
    int defaulted = 0;
    for (size_t i = 0; i < f->n_evidence; i++)
        defaulted |= f->evidence[i].basis == MOAT_BASIS_DEFAULT;
    ASSERT(defaulted); /* Azure's defaults, named as such */
    ASSERT(f->fingerprint && strlen(f->fingerprint) > 8);
    moat_audit_free(a);
    moat_estate_free(es);
}

TEST(audit_suppressions_need_reasons_and_expire)
{
    moat_estate *es = load(small_estate);
    moat_audit *a = NULL;
    ASSERT_EQ(moat_audit_run(es, NULL, &a), MOAT_OK);
    size_t active = count_state(a, MOAT_FINDING_ACTIVE);
    ASSERT(active > 0);
    moat_error err;
    static const char no_reason[] =
        "{\"suppressions\":[{\"rule\":\"internet-reachable\"}]}";
    ASSERT(moat_audit_suppress(a, no_reason, sizeof no_reason - 1, "2026-11-22",
                               &err) != MOAT_OK);
    ASSERT(strstr(err.message, "reason") != NULL);
    ASSERT_EQ(count_state(a, MOAT_FINDING_ACTIVE), active); /* nothing */
    static const char sup[] =
        "{\"suppressions\":[{\"rule\":\"internet-reachable\",\"resource\":"
        "\"open\",\"reason\":\"public website\"},{\"rule\":\"MOAT001\","
        "\"resource\":\"*\",\"reason\":\"old\",\"expires\":\"2020-01-01\"}]}";
    ASSERT_EQ(moat_audit_suppress(a, sup, sizeof sup - 1, "2026-11-22", &err),
              MOAT_OK);
    ASSERT_EQ(count_state(a, MOAT_FINDING_SUPPRESSED), 1);
    ASSERT_EQ(moat_audit_suppression_count(a), 2);
    ASSERT_EQ(moat_audit_suppression(a, 0)->matched, 1);
    ASSERT(moat_audit_suppression(a, 1)->expired);
    ASSERT_EQ(moat_audit_suppression(a, 1)->matched, 0);
    const moat_finding *f = find_rule(a, "internet-reachable", "open");
    ASSERT_STR(f->suppression, "public website");
    moat_audit_free(a);
    moat_estate_free(es);
}

/* A suppression or a baseline is read as every JSON reader reads it, or
** refused: a name given twice (an expiry read as past by one reader and
** future by another), or U+0000 ("*\u0000" read as "*", any resource). */
TEST(audit_filters_refuse_duplicates_and_nul)
{
    moat_estate *es = load(small_estate);
    moat_audit *a = NULL;
    ASSERT_EQ(moat_audit_run(es, NULL, &a), MOAT_OK);
    size_t active = count_state(a, MOAT_FINDING_ACTIVE);
    static const struct {
        const char *json;
        const char *names;
    } bad[] = {
        {"{\"suppressions\":[{\"rule\":\"MOAT001\",\"reason\":\"r\","
         "\"expires\":\"2020-01-01\",\"Expires\":\"2999-01-01\"}]}",
         "expires"},
        {"{\"suppressions\":[],\"suppressions\":[{\"rule\":\"MOAT001\","
         "\"reason\":\"r\"}]}",
         "suppressions"},
        {"{\"suppressions\":[{\"rule\":\"MOAT001\",\"reason\":\"r\","
         "\"resource\":\"*\\u0000shut\"}]}",
         "resource"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        moat_error err;
        if (moat_audit_suppress(a, bad[i].json, strlen(bad[i].json),
                                "2026-11-22", &err) == MOAT_OK ||
            strstr(err.message, bad[i].names) == NULL)
            FAIL_AT("%s: %s", bad[i].json, err.message);
        ASSERT_EQ(count_state(a, MOAT_FINDING_ACTIVE), active);
    }
    char *base = moat_audit_baseline_json(a);
    ASSERT(base != NULL);
    static const char twice[] =
        "{\"findings\":[],\"findings\":[{\"fingerprint\":\"x\"}]}";
    moat_error err;
    ASSERT(moat_audit_apply_baseline(a, twice, sizeof twice - 1, &err) !=
           MOAT_OK);
    ASSERT(strstr(err.message, "findings") != NULL);
    moat_free(base);
    moat_audit_free(a);
    moat_estate_free(es);
}

TEST(audit_baseline_round_trip)
{
    moat_estate *es = load(small_estate);
    moat_audit *a = NULL, *b = NULL;
    ASSERT_EQ(moat_audit_run(es, NULL, &a), MOAT_OK);
    char *base = moat_audit_baseline_json(a);
    ASSERT(base != NULL);
    ASSERT_EQ(moat_audit_run(es, NULL, &b), MOAT_OK);
    moat_error err;
    ASSERT_EQ(moat_audit_apply_baseline(b, base, strlen(base), &err), MOAT_OK);
    ASSERT_EQ(count_state(b, MOAT_FINDING_ACTIVE), 0);
    ASSERT_EQ(count_state(b, MOAT_FINDING_BASELINE),
              moat_audit_finding_count(b));
    static const char bad[] = "{\"findings\":[7]}";
    ASSERT(moat_audit_apply_baseline(b, bad, sizeof bad - 1, &err) != MOAT_OK);
    moat_free(base);
    moat_audit_free(a);
    moat_audit_free(b);
    moat_estate_free(es);
}

TEST(audit_unknown_cis_version_is_refused)
{
    moat_estate *es = load(small_estate);
    moat_audit *a = NULL;
    moat_audit_options opt = {"9.9.9", 0, NULL, 0};
    ASSERT_EQ(moat_audit_run(es, &opt, &a), MOAT_E_INVAL);
    ASSERT(a == NULL);
    opt.cis_version = "2.0";
    ASSERT_EQ(moat_audit_run(es, &opt, &a), MOAT_OK);
    for (size_t i = 0; i < moat_audit_control_count(a); i++)
        ASSERT_EQ(moat_audit_control(a, i)->n_cis, 1);
    moat_audit_free(a);
    moat_estate_free(es);
}

TEST(audit_resources_index_their_results)
{
    char *json = estate_json(7);
    moat_estate *es = load(json);
    free(json);
    moat_audit *a = NULL;
    ASSERT_EQ(moat_audit_run(es, NULL, &a), MOAT_OK);
    size_t nf = 0, nc = 0, ne = 0;
    for (size_t i = 0; i < moat_audit_resource_count(a); i++) {
        const moat_audited *r = moat_audit_resource(a, i);
        ASSERT_EQ(r->first_finding, nf);
        ASSERT_EQ(r->first_control, nc);
        ASSERT_EQ(r->first_exposure, ne);
        for (size_t k = 0; k < r->n_findings; k++)
            ASSERT_STR(moat_audit_finding(a, nf + k)->resource, r->id);
        for (size_t k = 0; k < r->n_controls; k++)
            ASSERT_STR(moat_audit_control(a, nc + k)->resource, r->id);
        for (size_t k = 0; k < r->n_exposures; k++)
            ASSERT_STR(moat_audit_exposure(a, ne + k)->resource, r->id);
        nf += r->n_findings;
        nc += r->n_controls;
        ne += r->n_exposures;
    }
    ASSERT_EQ(nf, moat_audit_finding_count(a));
    ASSERT_EQ(nc, moat_audit_control_count(a));
    ASSERT_EQ(ne, moat_audit_exposure_count(a));
    moat_audit_free(a);
    moat_estate_free(es);
}

/* The reason of control `name` on the resource named `res`, or NULL. */
static const moat_control_result *control_on(const moat_audit *a,
                                             const char *res, const char *name)
{
    for (size_t i = 0; i < moat_audit_control_count(a); i++) {
        const moat_control_result *c = moat_audit_control(a, i);
        if (strcmp(c->resource_name, res) == 0 && strcmp(c->control, name) == 0)
            return c;
    }
    return NULL;
}

/* An Approved connection is a private endpoint connection whether or not
** its endpoint's id is shown (Azure's REST example updateVault shows
** "privateEndpoint": {"id": ""}); one without a status, or a list that is
** an expression, is unknown, never "no private endpoint connection". */
TEST(audit_private_endpoint_connections_without_ids_or_status)
{
    static const char json[] =
        "[{\"id\":\"" RG "/providers/Microsoft.KeyVault/vaults/kv1\","
        "\"type\":\"Microsoft.KeyVault/vaults\",\"location\":\"westus\","
        "\"properties\":{\"tenantId\":\"" TENANT "\",\"privateEndpoint"
        "Connections\":[{\"id\":\"\",\"properties\":{\"privateEndpoint\":{"
        "\"id\":\"\"},\"privateLinkServiceConnectionState\":{\"status\":"
        "\"Approved\"}}}]}},"
        "{\"id\":\"" RG "/providers/Microsoft.KeyVault/vaults/kv2\","
        "\"type\":\"Microsoft.KeyVault/vaults\",\"location\":\"westus\","
        "\"properties\":{\"tenantId\":\"" TENANT "\",\"privateEndpoint"
        "Connections\":[{\"properties\":{\"privateEndpoint\":{\"id\":\"" PE
        "pe1\"}}}]}},"
        "{\"id\":\"" RG "/providers/Microsoft.KeyVault/vaults/kv3\","
        "\"type\":\"Microsoft.KeyVault/vaults\",\"location\":\"westus\","
        "\"properties\":{\"tenantId\":\"" TENANT "\",\"privateEndpoint"
        "Connections\":\"[parameters('connections')]\"}}]";
    moat_estate *es = load(json);
    ASSERT(es != NULL);
    moat_audit *a = NULL;
    ASSERT_EQ(moat_audit_run(es, NULL, &a), MOAT_OK);
    const moat_control_result *c =
        control_on(a, "kv1", "keyvault-private-endpoint");
    ASSERT(c != NULL && c->status == MOAT_CONTROL_PASS);
    static const char *const unknown[] = {"kv2", "kv3"};
    for (size_t i = 0; i < 2; i++) {
        const char *name = unknown[i];
        c = control_on(a, name, "keyvault-private-endpoint");
        ASSERT(c != NULL && c->status == MOAT_CONTROL_FAIL);
        ASSERT_EQ(c->basis, MOAT_BASIS_UNKNOWN);
        ASSERT(strstr(c->reason, "unknown") != NULL);
        ASSERT(strstr(c->reason, "no private endpoint connection") == NULL);
        const moat_exposure *e = NULL;
        for (size_t k = 0; k < moat_audit_exposure_count(a); k++) {
            const moat_exposure *x = moat_audit_exposure(a, k);
            if (strstr(x->resource, name) &&
                strcmp(x->source, "private-endpoints") == 0)
                e = x;
        }
        ASSERT(e != NULL);
        ASSERT_STR(e->admitted, "unknown");
    }
    moat_audit_free(a);
    moat_estate_free(es);
}

/* "::/0" in ipv6Rules admits every IPv6 source (moat check admits
** 2001:db8::5 through it): the internet is not "none", and MOAT001 says
** so; a /64 is counted in addresses, 2^64 of them. */
TEST(audit_ipv6_rules_count_on_the_internet)
{
    static const char json[] =
        "[{\"id\":\"" RG "/providers/Microsoft.Storage/storageAccounts/v6all\","
        "\"type\":\"Microsoft.Storage/"
        "storageAccounts\",\"location\":\"westus\","
        "\"properties\":{\"networkAcls\":{\"defaultAction\":\"Deny\","
        "\"ipv6Rules\":[{\"value\":\"::/0\"}]}}},"
        "{\"id\":\"" RG "/providers/Microsoft.Storage/storageAccounts/v6net\","
        "\"type\":\"Microsoft.Storage/"
        "storageAccounts\",\"location\":\"westus\","
        "\"properties\":{\"networkAcls\":{\"defaultAction\":\"Deny\","
        "\"ipv6Rules\":[{\"value\":\"2001:db8::/64\"}]}}}]";
    moat_estate *es = load(json);
    ASSERT(es != NULL);
    moat_audit *a = NULL;
    ASSERT_EQ(moat_audit_run(es, NULL, &a), MOAT_OK);
    const moat_exposure *e = exposure(
        a, RG "/providers/Microsoft.Storage/storageAccounts/v6all", "internet");
    ASSERT(e != NULL);
    ASSERT_STR(e->admitted, "some");
    ASSERT(strstr(e->detail, "every IPv6 address") != NULL);
    ASSERT(find_rule(a, "internet-reachable", "v6all") != NULL);
    e = exposure(a, RG "/providers/Microsoft.Storage/storageAccounts/v6net",
                 "internet");
    ASSERT(e != NULL);
    ASSERT_STR(e->admitted, "some");
    ASSERT(strstr(e->detail, "18446744073709551616 IPv6 addresses") != NULL);
    ASSERT(find_rule(a, "internet-reachable", "v6net") == NULL);
    moat_request *q = moat_request_new(es);
    ASSERT_EQ(admits_text(q, "v6net", "2001:db8::5", NULL), 1);
    ASSERT_EQ(admits_text(q, "v6net", "2001:db9::5", NULL), 0);
    moat_request_free(q);
    moat_audit_free(a);
    moat_estate_free(es);
}

/* An audit that judged nothing is incomplete, never clean; one that
** judged every resource of a complete estate is complete. */
TEST(audit_of_nothing_is_incomplete)
{
    moat_estate *es = load("[]");
    ASSERT(es != NULL);
    ASSERT_EQ(moat_estate_incomplete_count(es), 0);
    moat_audit *a = NULL;
    ASSERT_EQ(moat_audit_run(es, NULL, &a), MOAT_OK);
    ASSERT_EQ(moat_audit_resource_count(a), 0);
    ASSERT_EQ(moat_audit_incomplete_count(a), 1);
    ASSERT(strstr(moat_audit_incomplete(a, 0)->why, "nothing was audited"));
    ASSERT(moat_audit_incomplete(a, 1) == NULL);
    moat_audit_free(a);
    moat_estate_free(es);
    es = load(small_estate);
    ASSERT_EQ(moat_audit_run(es, NULL, &a), MOAT_OK);
    ASSERT_EQ(moat_audit_incomplete_count(a), 0);
    moat_audit_free(a);
    moat_estate_free(es);
}
