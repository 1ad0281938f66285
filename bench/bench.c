/*
** bench.c - moat's benchmarks.
**
**   build/bench decide [--emit DIR]   in-process decisions on a maximum-size
**                                      account: decisions/s, p50/p99, hot
**                                      bytes; --emit writes the estate and
**                                      requests for the Cedar peer and for
**                                      `moat check --requests`
**   build/bench load N DIR             writes an estate of N accounts to DIR
**                                      and times loading and compiling it
**   build/bench replay LOG ESTATE [N]  reads, maps and decides every record of
**                                      LOG against N copies of ESTATE (one
**                                      core, in memory): records per second;
**                                      and cJSON parsing the same records
**   build/bench audit N DIR            writes an estate of N resources (storage
**                                      accounts and key vaults in every
**                                      posture, a quarter under a perimeter)
**                                      and times moat_audit_run over it
**
** The maximum-size account (issue 2): 400 IPv4 rules, 400 virtual network
** rules, 200 resource access rules, and a Learning-mode perimeter profile
** with 200 prefixes, so that every public request walks the perimeter and
** then the firewall. The request mix is half allowed, half denied.
*/
#include "moat.h"
#include "tool.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#define SUB "7d0c2a34-1b2e-4c8f-9a61-3f5e8d2b9c10"
#define TENANT "c4a1e7f2-6b3d-4e59-8f10-2a9d7c5b3e81"
#define OTHER_TENANT "e8b2c9d4-7a1f-4b36-9c25-5d4e3f2a1b09"
#define ACCOUNT                                                                \
    "/subscriptions/" SUB "/resourceGroups/rg-bench/providers/"                \
    "Microsoft.Storage/storageAccounts/stbenchmax"
#define NSP                                                                    \
    "/subscriptions/" SUB "/resourceGroups/rg-bench/providers/"                \
    "Microsoft.Network/networkSecurityPerimeters/nsp-bench"

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A public IPv4 address (never 10/8, 172.16/12, 192.168/16, 0/8, 127/8,
** 224/3). */
static uint32_t public_addr(void)
{
    for (;;) {
        uint32_t a = (uint32_t)rnd();
        unsigned o = a >> 24;
        if (o == 0 || o == 10 || o == 127 || o >= 224)
            continue;
        if ((a >> 20) == 0xAC1 || (a >> 16) == 0xC0A8)
            continue;
        return a;
    }
}

static void addr_text(uint32_t a, char *out, size_t cap)
{
    snprintf(out, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
             a & 255);
}

typedef struct range {
    uint32_t net;
    unsigned prefix; /* 32 = bare address */
} range;

static range ip_rules[400], nsp_prefixes[200];
static char subnets[400][200], callers[200][200];

static uint32_t inside(const range *r)
{
    uint32_t span = r->prefix >= 32 ? 1u : (1u << (32 - r->prefix));
    return r->net + (uint32_t)(rnd() % span);
}

static range random_range(unsigned min_prefix, unsigned max_prefix)
{
    range r;
    r.prefix = min_prefix + (unsigned)(rnd() % (max_prefix - min_prefix + 1));
    if (rnd() % 4 == 0)
        r.prefix = 32; /* a bare address */
    uint32_t a = public_addr();
    uint32_t mask =
        r.prefix >= 32 ? 0xFFFFFFFFu : ~((1u << (32 - r.prefix)) - 1u);
    r.net = a & mask;
    if ((r.net >> 24) == 10 || (r.net >> 20) == 0xAC1 ||
        (r.net >> 16) == 0xC0A8 || (r.net >> 24) == 0)
        return random_range(min_prefix, max_prefix);
    return r;
}

static void range_text(const range *r, char *out, size_t cap)
{
    char a[32];
    addr_text(r->net, a, sizeof a);
    if (r->prefix >= 32)
        snprintf(out, cap, "%s", a);
    else
        snprintf(out, cap, "%s/%u", a, r->prefix);
}

static void make_rules(void)
{
    for (int i = 0; i < 400; i++)
        ip_rules[i] = random_range(16, 30);
    for (int i = 0; i < 200; i++)
        nsp_prefixes[i] = random_range(12, 28);
    for (int i = 0; i < 400; i++)
        snprintf(subnets[i], sizeof subnets[i],
                 "/subscriptions/" SUB "/resourceGroups/rg-net/providers/"
                 "Microsoft.Network/virtualNetworks/vnet-%03d/subnets/snet-%d",
                 i / 4, i % 4);
    for (int i = 0; i < 200; i++)
        snprintf(callers[i], sizeof callers[i],
                 "/subscriptions/" SUB "/resourceGroups/rg-apps/providers/"
                 "Microsoft.Web/sites/app-%03d",
                 i);
}

static char *estate_json(size_t *len)
{
    size_t cap = 1 << 20, n = 0;
    char *s = malloc(cap);
#define PUT(...) n += (size_t)snprintf(s + n, cap - n, __VA_ARGS__)
    PUT("[{\"id\":\"/subscriptions/" SUB "\",\"type\":\"Microsoft.Resources/"
        "subscriptions\",\"subscriptionId\":\"" SUB "\",\"tenantId\":\"" TENANT
        "\"},\n");
    PUT("{\"id\":\"" ACCOUNT "\",\"name\":\"stbenchmax\",\"type\":\"Microsoft."
        "Storage/storageAccounts\",\"location\":\"westeurope\",\"properties\":"
        "{\"networkAcls\":{\"defaultAction\":\"Deny\",\"bypass\":"
        "\"AzureServices\",\"ipRules\":[");
    char t[64];
    for (int i = 0; i < 400; i++) {
        range_text(&ip_rules[i], t, sizeof t);
        PUT("%s{\"value\":\"%s\",\"action\":\"Allow\"}", i ? "," : "", t);
    }
    PUT("],\"virtualNetworkRules\":[");
    for (int i = 0; i < 400; i++)
        PUT("%s{\"id\":\"%s\",\"action\":\"Allow\",\"state\":\"Succeeded\"}",
            i ? "," : "", subnets[i]);
    PUT("],\"resourceAccessRules\":[");
    for (int i = 0; i < 200; i++)
        PUT("%s{\"tenantId\":\"" TENANT "\",\"resourceId\":\"%s\"}",
            i ? "," : "", callers[i]);
    PUT("]}}},\n");
    PUT("{\"id\":\"" NSP "\",\"type\":\"Microsoft.Network/networkSecurity"
        "Perimeters\",\"location\":\"westeurope\",\"properties\":{"
        "\"perimeterGuid\":\"5b7f3c2a-9d1e-4f68-a0b4-6c8e2d1f7a39\"}},\n");
    PUT("{\"id\":\"" NSP "/profiles/prof-bench\",\"type\":\"Microsoft.Network/"
        "networkSecurityPerimeters/profiles\"},\n");
    PUT("{\"id\":\"" NSP "/profiles/prof-bench/accessRules/partners\",\"type\":"
        "\"Microsoft.Network/networkSecurityPerimeters/profiles/accessRules\","
        "\"properties\":{\"direction\":\"Inbound\",\"addressPrefixes\":[");
    for (int i = 0; i < 200; i++) {
        range r = nsp_prefixes[i];
        if (r.prefix >= 32)
            r.prefix = 32;
        char a[32];
        addr_text(r.net, a, sizeof a);
        PUT("%s\"%s/%u\"", i ? "," : "", a, r.prefix);
    }
    PUT("]}},\n");
    PUT("{\"id\":\"" NSP "/resourceAssociations/assoc-bench\",\"type\":"
        "\"Microsoft.Network/networkSecurityPerimeters/resourceAssociations\","
        "\"properties\":{\"privateLinkResource\":{\"id\":\"" ACCOUNT "\"},"
        "\"profile\":{\"id\":\"" NSP "/profiles/prof-bench\"},\"accessMode\":"
        "\"Learning\"}}]\n");
#undef PUT
    *len = n;
    return s;
}

/* One request of the mix, as JSON. */
static void request_json(char *out, size_t cap)
{
    char ip[32];
    unsigned kind = (unsigned)(rnd() % 100);
    if (kind < 30) { /* inside an IP rule */
        addr_text(inside(&ip_rules[rnd() % 400]), ip, sizeof ip);
        snprintf(out, cap,
                 "{\"resource\":\"" ACCOUNT "\",\"source\":{\"ip\":"
                 "\"%s\"}}",
                 ip);
    } else if (kind < 45) { /* inside a perimeter prefix */
        addr_text(inside(&nsp_prefixes[rnd() % 200]), ip, sizeof ip);
        snprintf(out, cap,
                 "{\"resource\":\"" ACCOUNT "\",\"source\":{\"ip\":"
                 "\"%s\",\"region\":\"eastus\"}}",
                 ip);
    } else if (kind < 70) { /* an address nothing admits (mostly) */
        addr_text(public_addr(), ip, sizeof ip);
        snprintf(out, cap,
                 "{\"resource\":\"" ACCOUNT "\",\"source\":{\"ip\":"
                 "\"%s\"},\"caller\":{\"auth\":\"SAS\"}}",
                 ip);
    } else if (kind < 85) { /* a subnet: a listed one or not */
        int listed = rnd() % 2;
        snprintf(out, cap,
                 "{\"resource\":\"" ACCOUNT "\",\"source\":{\"ip\":"
                 "\"10.%u.%u.4\",\"subnet\":\"%s%s\"}}",
                 (unsigned)(rnd() % 256), (unsigned)(rnd() % 256),
                 subnets[rnd() % 400], listed ? "" : "-x");
    } else { /* a managed identity: listed, or from another tenant */
        int listed = rnd() % 2;
        addr_text(public_addr(), ip, sizeof ip);
        snprintf(out, cap,
                 "{\"resource\":\"" ACCOUNT "\",\"source\":{\"ip\":"
                 "\"%s\",\"region\":\"westeurope\"},\"caller\":{"
                 "\"auth\":\"OAuth\",\"tenant\":\"%s\","
                 "\"resource_id\":\"%s\"}}",
                 ip, listed ? TENANT : OTHER_TENANT, callers[rnd() % 200]);
    }
}

static moat_estate *load_text(const char *text, size_t len)
{
    moat_loader *ld = moat_loader_new(0);
    moat_loader_add_json(ld, "bench", text, len);
    moat_estate *es = NULL;
    if (moat_loader_finish(ld, &es) != MOAT_OK) {
        for (size_t i = 0; i < moat_loader_diag_count(ld); i++)
            fprintf(stderr, "%s\n", moat_loader_diag(ld, i)->message);
    }
    moat_loader_free(ld);
    return es;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double tsc_per_ns(void)
{
    double t0 = now();
    uint64_t c0 = __rdtsc();
    while (now() - t0 < 0.2)
        ;
    return (double)(__rdtsc() - c0) / ((now() - t0) * 1e9);
}

static int emit(const char *dir, const char *estate, size_t elen,
                moat_estate *es, size_t n_requests)
{
    char path[4096];
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/estate.json", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return -1;
    fwrite(estate, 1, elen, f);
    fclose(f);
    snprintf(path, sizeof path, "%s/requests.jsonl", dir);
    FILE *rq = fopen(path, "w");
    snprintf(path, sizeof path, "%s/expected.jsonl", dir);
    FILE *ex = fopen(path, "w");
    if (rq == NULL || ex == NULL)
        return -1;
    moat_request *q = moat_request_new(es);
    for (size_t i = 0; i < n_requests; i++) {
        char line[1024];
        request_json(line, sizeof line);
        moat_decision d;
        moat_request_parse(q, line, strlen(line), NULL);
        moat_decide(q, &d);
        fprintf(rq, "%s\n", line);
        fprintf(ex, "{\"decision\":\"%s\",\"category\":\"%s\"}\n",
                d.verdict == MOAT_ALLOW ? "allow" : "deny",
                moat_category_name(d.category));
    }
    moat_request_free(q);
    fclose(rq);
    fclose(ex);
    return 0;
}

static int bench_decide(const char *emit_dir, size_t emit_n)
{
    make_rules();
    size_t elen;
    char *text = estate_json(&elen);
    double t0 = now();
    moat_estate *es = load_text(text, elen);
    double compile_ms = (now() - t0) * 1e3;
    if (es == NULL)
        return 1;
    moat_estate_stats st;
    moat_estate_stats_get(es, &st);

    enum { NREQ = 4096 };
    moat_request **qs = calloc(NREQ, sizeof *qs);
    size_t allowed = 0;
    for (int i = 0; i < NREQ; i++) {
        char line[1024];
        request_json(line, sizeof line);
        qs[i] = moat_request_new(es);
        moat_error err;
        if (moat_request_parse(qs[i], line, strlen(line), &err) != MOAT_OK) {
            fprintf(stderr, "bench: bad request %s: %s\n", line, err.message);
            return 1;
        }
        moat_decision d;
        moat_decide(qs[i], &d);
        allowed += d.verdict == MOAT_ALLOW;
    }

    /* Throughput: decisions back to back, no timer in the loop. */
    const long rounds = 2000;
    volatile unsigned sink = 0;
    moat_decision d;
    for (int i = 0; i < NREQ; i++)
        moat_decide(qs[i], &d);
    t0 = now();
    for (long r = 0; r < rounds; r++) {
        for (int i = 0; i < NREQ; i++) {
            moat_decide(qs[i], &d);
            sink += (unsigned)d.category;
        }
    }
    double secs = now() - t0;
    double per_sec = (double)rounds * NREQ / secs;

    /* Latency: each decision timed with the TSC, timer cost subtracted. */
    double scale = tsc_per_ns();
    const size_t samples = 1000000;
    uint64_t *lat = malloc(samples * sizeof *lat);
    uint64_t overhead = UINT64_MAX;
    for (int i = 0; i < 1000; i++) {
        unsigned aux;
        uint64_t a = __rdtscp(&aux), b = __rdtscp(&aux);
        if (b - a < overhead)
            overhead = b - a;
    }
    for (size_t i = 0; i < samples; i++) {
        unsigned aux;
        const moat_request *q = qs[i % NREQ];
        uint64_t a = __rdtscp(&aux);
        moat_decide(q, &d);
        uint64_t b = __rdtscp(&aux);
        lat[i] = b - a > overhead ? b - a - overhead : 0;
    }
    qsort(lat, samples, sizeof *lat, cmp_u64);
    double p50 = (double)lat[samples / 2] / scale;
    double p99 = (double)lat[samples * 99 / 100] / scale;
    double p999 = (double)lat[samples * 999 / 1000] / scale;

    printf("{\"bench\":\"decide\",\"account\":{\"ip_rules\":400,\"vnet_rules\":"
           "400,\"resource_access_rules\":200,\"perimeter_prefixes\":200,"
           "\"mode\":\"Learning\"},\"compile_ms\":%.3f,\"hot_bytes\":%zu,"
           "\"requests\":%d,\"allowed_share\":%.2f,\"decisions_per_sec\":%.0f,"
           "\"ns_per_decision\":%.1f,\"p50_ns\":%.1f,\"p99_ns\":%.1f,"
           "\"p999_ns\":%.1f}\n",
           compile_ms, st.hot_bytes, NREQ, (double)allowed / NREQ, per_sec,
           1e9 / per_sec, p50, p99, p999);
    (void)sink;
    int rc = 0;
    if (emit_dir)
        rc = emit(emit_dir, text, elen, es, emit_n);
    for (int i = 0; i < NREQ; i++)
        moat_request_free(qs[i]);
    free(qs);
    free(lat);
    moat_estate_free(es);
    free(text);
    return rc;
}

/* N accounts of a realistic size, in files of 1,000 accounts. */
static int bench_load(long n, const char *dir)
{
    mkdir(dir, 0755);
    long per_file = 1000;
    size_t bytes = 0;
    for (long f = 0; f * per_file < n; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/accounts-%03ld.json", dir, f);
        FILE *fp = fopen(path, "w");
        if (fp == NULL) {
            fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
            return 1;
        }
        fprintf(fp, "{\"value\":[\n");
        for (long i = f * per_file; i < n && i < (f + 1) * per_file; i++) {
            fprintf(fp,
                    "%s{\"id\":\"/subscriptions/" SUB "/resourceGroups/"
                    "rg-%ld/providers/Microsoft.Storage/storageAccounts/"
                    "st%07ld\",\"name\":\"st%07ld\",\"type\":\"Microsoft."
                    "Storage/storageAccounts\",\"location\":\"westeurope\","
                    "\"kind\":\"StorageV2\",\"sku\":{\"name\":"
                    "\"Standard_LRS\"},\"properties\":{\"minimumTlsVersion\":"
                    "\"TLS1_2\",\"publicNetworkAccess\":\"Enabled\","
                    "\"networkAcls\":{\"defaultAction\":\"Deny\",\"bypass\":"
                    "\"AzureServices\",\"ipRules\":[",
                    i == f * per_file ? "" : ",\n", i % 50, i, i);
            for (int k = 0; k < 10; k++) {
                char t[64];
                range r = random_range(20, 30);
                range_text(&r, t, sizeof t);
                fprintf(fp, "%s{\"value\":\"%s\",\"action\":\"Allow\"}",
                        k ? "," : "", t);
            }
            fprintf(fp, "],\"virtualNetworkRules\":[");
            for (int k = 0; k < 5; k++)
                fprintf(fp,
                        "%s{\"id\":\"/subscriptions/" SUB "/resourceGroups/"
                        "rg-net/providers/Microsoft.Network/virtualNetworks/"
                        "vnet-%ld/subnets/snet-%d\",\"action\":\"Allow\","
                        "\"state\":\"Succeeded\"}",
                        k ? "," : "", i % 300, k);
            fprintf(fp,
                    "],\"resourceAccessRules\":[{\"tenantId\":\"" TENANT
                    "\",\"resourceId\":\"/subscriptions/" SUB
                    "/resourceGroups/*/providers/Microsoft.DataFactory/"
                    "factories/*\"}]},\"privateEndpointConnections\":[{"
                    "\"id\":\"x\",\"properties\":{\"privateEndpoint\":{"
                    "\"id\":\"/subscriptions/" SUB "/resourceGroups/rg-pe/"
                    "providers/Microsoft.Network/privateEndpoints/pe-%ld\"},"
                    "\"privateLinkServiceConnectionState\":{\"status\":"
                    "\"Approved\"}}}]}}",
                    i);
        }
        fprintf(fp, "]}\n");
        bytes += (size_t)ftell(fp);
        fclose(fp);
    }
    double best = 1e9;
    size_t accounts = 0;
    for (int run = 0; run < 5; run++) {
        double t0 = now();
        moat_loader *ld = moat_loader_new(0);
        moat_loader_add_path(ld, dir);
        moat_estate *es = NULL;
        if (moat_loader_finish(ld, &es) != MOAT_OK) {
            fprintf(stderr, "bench: estate did not load\n");
            return 1;
        }
        moat_loader_free(ld);
        double t = now() - t0;
        moat_estate_stats st;
        moat_estate_stats_get(es, &st);
        accounts = st.storage_accounts;
        moat_estate_free(es);
        if (t < best)
            best = t;
    }
    printf("{\"bench\":\"load\",\"accounts\":%zu,\"bytes\":%zu,"
           "\"rules_per_account\":{\"ip\":10,\"vnet\":5,\"resource_access\":1,"
           "\"private_endpoint\":1},\"best_of\":5,\"load_ms\":%.1f,"
           "\"mb_per_sec\":%.0f}\n",
           accounts, bytes, best * 1e3, (double)bytes / best / 1e6);
    return 0;
}

/* One storage account or key vault of the audit estate: settings cycle
** through the postures the audit tells apart, so every rule fires. */
static void audit_resource(FILE *fp, long i)
{
    static const char *const pna[] = {"",
                                      "\"publicNetworkAccess\":\"Enabled\",",
                                      "\"publicNetworkAccess\":\"Disabled\",",
                                      "\"publicNetworkAccess\":"
                                      "\"SecuredByPerimeter\","};
    static const char *const bypass[] = {
        "AzureServices", "None", "Logging, Metrics", "AzureServices, Logging"};
    int vault = i % 2 == 1;
    fprintf(fp,
            "%s{\"id\":\"/subscriptions/" SUB "/resourceGroups/rg-%ld/"
            "providers/%s/r%07ld\",\"name\":\"r%07ld\",\"type\":\"%s\","
            "\"location\":\"westeurope\",\"properties\":{%s",
            i ? ",\n" : "", i % 50,
            vault ? "Microsoft.KeyVault/vaults"
                  : "Microsoft.Storage/"
                    "storageAccounts",
            i, i,
            vault ? "Microsoft.KeyVault/vaults"
                  : "Microsoft.Storage/storageAccounts",
            pna[(i / 2) % 4]);
    if (vault)
        fprintf(fp, "\"tenantId\":\"" TENANT "\",");
    if (i % 7 != 0) {
        fprintf(fp,
                "\"networkAcls\":{\"defaultAction\":\"%s\",\"bypass\":"
                "\"%s\",\"ipRules\":[",
                i % 5 == 0 ? "Allow" : "Deny",
                vault ? (i % 3 ? "AzureServices" : "None")
                      : bypass[(i / 3) % 4]);
        for (int k = 0; k < 10; k++) {
            char t[64];
            range r = random_range(k == 0 && i % 11 == 0 ? 8 : 20, 30);
            range_text(&r, t, sizeof t);
            fprintf(fp, "%s{\"value\":\"%s\"}", k ? "," : "", t);
        }
        fprintf(fp, "],\"virtualNetworkRules\":[");
        for (int k = 0; k < 3; k++)
            fprintf(fp,
                    "%s{\"id\":\"/subscriptions/" SUB "/resourceGroups/"
                    "rg-net/providers/Microsoft.Network/virtualNetworks/"
                    "vnet-%ld/subnets/snet-%d\"}",
                    k ? "," : "", i % 300, k);
        fprintf(fp, "]");
        if (!vault)
            fprintf(fp,
                    ",\"resourceAccessRules\":[{\"tenantId\":\"%s\","
                    "\"resourceId\":\"/subscriptions/%s/resourceGroups/*/"
                    "providers/Microsoft.DataFactory/factories/*\"}]",
                    i % 13 == 0 ? OTHER_TENANT : TENANT,
                    i % 4 == 0 ? "*" : SUB);
        fprintf(fp, "},");
    }
    static const char *const pe[] = {"Approved", "Pending", "Rejected",
                                     "Disconnected"};
    fprintf(fp,
            "\"privateEndpointConnections\":[{\"properties\":{"
            "\"privateEndpoint\":{\"id\":\"/subscriptions/" SUB
            "/resourceGroups/rg-pe/providers/Microsoft.Network/"
            "privateEndpoints/pe-%ld\"},\"privateLinkServiceConnectionState\":"
            "{\"status\":\"%s\"}}}]}}",
            i, pe[(i / 5) % 4]);
    if (i % 4 == 3) {
        static const char *const mode[] = {"Learning", "Enforced", "Audit"};
        fprintf(fp,
                ",\n{\"id\":\"" NSP "/resourceAssociations/a%07ld\","
                "\"name\":\"a%07ld\",\"type\":\"Microsoft.Network/"
                "networkSecurityPerimeters/resourceAssociations\","
                "\"properties\":{\"privateLinkResource\":{\"id\":"
                "\"/subscriptions/" SUB "/resourceGroups/rg-%ld/providers/%s/"
                "r%07ld\"},\"profile\":{\"id\":\"" NSP "/profiles/p\"},"
                "\"accessMode\":\"%s\"}}",
                i, i, i % 50,
                vault ? "Microsoft.KeyVault/vaults"
                      : "Microsoft.Storage/storageAccounts",
                i, mode[(i / 4) % 3]);
    }
}

static int bench_audit(long n, const char *dir)
{
    mkdir(dir, 0755);
    char path[4096];
    snprintf(path, sizeof path, "%s/estate.json", dir);
    FILE *fp = fopen(path, "w");
    if (fp == NULL) {
        fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
        return 1;
    }
    fprintf(fp,
            "[{\"id\":\"/subscriptions/" SUB "\",\"type\":\"Microsoft."
            "Resources/subscriptions\",\"subscriptionId\":\"" SUB "\","
            "\"tenantId\":\"" TENANT "\"},\n{\"id\":\"" NSP "\",\"name\":"
            "\"nsp-bench\",\"type\":\"Microsoft.Network/"
            "networkSecurityPerimeters\",\"location\":\"westeurope\","
            "\"properties\":{\"perimeterGuid\":\"3f0c9a2e-5b1d-4c7e-8a6f-"
            "2d9e1b4c7a30\"}},\n{\"id\":\"" NSP
            "/profiles/p\",\"name\":\"p\",\"type\":"
            "\"Microsoft.Network/networkSecurityPerimeters/profiles\"},\n"
            "{\"id\":\"" NSP "/profiles/p/accessRules/r\",\"name\":\"r\","
            "\"type\":\"Microsoft.Network/networkSecurityPerimeters/profiles/"
            "accessRules\",\"properties\":{\"direction\":\"Inbound\","
            "\"addressPrefixes\":[\"20.30.0.0/16\"]}},\n");
    for (long i = 0; i < n; i++)
        audit_resource(fp, i);
    fprintf(fp, "]\n");
    size_t bytes = (size_t)ftell(fp);
    fclose(fp);

    moat_loader *ld = moat_loader_new(MOAT_LOAD_LENIENT);
    moat_loader_add_path(ld, dir);
    moat_estate *es = NULL;
    if (moat_loader_finish(ld, &es) != MOAT_OK) {
        fprintf(stderr, "bench: audit estate did not load\n");
        return 1;
    }
    moat_loader_free(ld);
    double best = 1e9;
    size_t resources = 0, findings = 0, controls = 0, exposures = 0;
    for (int run = 0; run < 5; run++) {
        double t0 = now();
        moat_audit *a = NULL;
        if (moat_audit_run(es, NULL, &a) != MOAT_OK) {
            fprintf(stderr, "bench: audit failed\n");
            return 1;
        }
        double t = now() - t0;
        resources = moat_audit_resource_count(a);
        findings = moat_audit_finding_count(a);
        controls = moat_audit_control_count(a);
        exposures = moat_audit_exposure_count(a);
        moat_audit_free(a);
        if (t < best)
            best = t;
    }
    moat_estate_free(es);
    printf("{\"bench\":\"audit\",\"resources\":%zu,\"bytes\":%zu,"
           "\"findings\":%zu,\"controls\":%zu,\"exposures\":%zu,"
           "\"best_of\":5,\"audit_ms\":%.1f,\"resources_per_sec\":%.0f}\n",
           resources, bytes, findings, controls, exposures, best * 1e3,
           (double)resources / best);
    return 0;
}

/* The log in one buffer, split into lines, as replay's reader thread hands
** them to the workers: the framing (finding newlines) happens on another
** thread in `moat replay`, so it is not part of the per-core cost. */
typedef struct log_lines {
    char *buf;
    char **line; /* NUL-terminated in place, for cJSON */
    size_t *len;
    size_t n, bytes;
} log_lines;

static void free_lines(log_lines *l)
{
    free(l->line);
    free(l->len);
    free(l->buf);
    memset(l, 0, sizeof *l);
}

/* The whole file, NUL-terminated, in l->buf (tool's reader; a log may be
** larger than an estate, so the cap is 16 GiB). */
static int slurp(const char *path, log_lines *l)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    l->buf = cli_read_fd(fd, path, (size_t)16 << 30, &l->bytes);
    close(fd);
    return l->buf ? 0 : -1;
}

static int read_lines(const char *path, log_lines *l)
{
    memset(l, 0, sizeof *l);
    if (slurp(path, l) != 0) {
        free_lines(l);
        return -1;
    }
    size_t cap = 0;
    for (char *p = l->buf, *end = l->buf + l->bytes; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        if (l->n == cap) {
            cap = cap ? cap * 2 : 1024;
            char **line = realloc(l->line, cap * sizeof *line);
            if (line)
                l->line = line;
            size_t *len = realloc(l->len, cap * sizeof *len);
            if (len)
                l->len = len;
            if (line == NULL || len == NULL) {
                free_lines(l);
                return -1;
            }
        }
        *stop = '\0';
        l->line[l->n] = p;
        l->len[l->n++] = (size_t)(stop - p);
        p = stop + 1;
    }
    return 0;
}

static double cjson_pass(char **lines, size_t n)
{
    static const char *const top[] = {
        "time",       "resourceId", "category",        "operationName",
        "statusCode", "statusText", "callerIpAddress", "uri",
        "protocol"};
    double t0 = now();
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *j = cJSON_Parse(lines[i]);
        for (size_t k = 0; j && k < sizeof top / sizeof *top; k++)
            found += cJSON_GetObjectItemCaseSensitive(j, top[k]) != NULL;
        cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "identity");
        found += cJSON_GetObjectItemCaseSensitive(id, "type") != NULL;
        cJSON_Delete(j);
    }
    double t = now() - t0;
    if (found == 0)
        fprintf(stderr, "bench: cJSON found nothing\n");
    return t;
}

static int bench_replay(const char *log, const char *estate, int configs)
{
    log_lines l;
    int rc = read_lines(log, &l);
    size_t n = l.n;
    moat_loader *ld = moat_loader_new(MOAT_LOAD_LENIENT);
    moat_loader_add_path(ld, estate);
    moat_estate *es[16] = {NULL};
    if (rc != 0 || n == 0 || moat_loader_finish(ld, &es[0]) != MOAT_OK) {
        fprintf(stderr, "bench: cannot read %s or %s\n", log, estate);
        moat_loader_free(ld);
        free_lines(&l);
        return 1;
    }
    moat_loader_free(ld);
    for (int c = 1; c < configs; c++) {
        ld = moat_loader_new(MOAT_LOAD_LENIENT);
        moat_loader_add_path(ld, estate);
        moat_loader_finish(ld, &es[c]);
        moat_loader_free(ld);
    }
    /* JSON lines or classic lines: the formats framed by newlines. */
    moat_log_format format = moat_log_detect(l.line[0], l.len[0]);
    moat_log_reader *r = moat_log_reader_new(es[0], format);
    if (r == NULL || format == MOAT_LOG_ANALYTICS_CSV) {
        fprintf(stderr, "bench: %s is not a log of JSON or classic lines\n",
                log);
        moat_log_reader_free(r);
        for (int c = 0; c < configs; c++)
            moat_estate_free(es[c]);
        free_lines(&l);
        return 1;
    }
    moat_request *q[16];
    for (int c = 0; c < configs; c++)
        q[c] = moat_request_new(es[c]);
    double best = 1e9;
    size_t mapped = 0, allowed = 0;
    for (int run = 0; run < 3; run++) {
        double t0 = now();
        mapped = allowed = 0;
        for (size_t i = 0; i < n; i++) {
            moat_log_request m;
            if (moat_log_read(r, l.line[i], l.len[i], &m, NULL, NULL) !=
                MOAT_OK)
                continue;
            mapped++;
            for (int c = 0; c < configs; c++) {
                moat_decision d;
                if (moat_log_request_apply(&m, q[c], NULL) == MOAT_OK &&
                    moat_decide(q[c], &d) == MOAT_OK)
                    allowed += d.verdict == MOAT_ALLOW;
            }
        }
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    /* cJSON on the same records, for JSON logs: the packaged baseline. */
    char cjson[64] = "";
    if (format == MOAT_LOG_DIAGNOSTIC) {
        size_t sample = n < 200000 ? n : 200000;
        snprintf(cjson, sizeof cjson, ",\"cjson_records_per_sec\":%.0f",
                 (double)sample / cjson_pass(l.line, sample));
    }
    printf("{\"bench\":\"replay\",\"format\":\"%s\",\"records\":%zu,"
           "\"mapped\":%zu,\"mean_record_bytes\":%.0f,\"configs\":%d,"
           "\"best_of\":3,\"seconds\":%.3f,\"records_per_sec_core\":%.0f,"
           "\"mb_per_sec\":%.0f%s}\n",
           moat_log_format_name(format), n, mapped, (double)l.bytes / (double)n,
           configs, best, (double)n / best, (double)l.bytes / best / 1e6,
           cjson);
    moat_log_reader_free(r);
    for (int c = 0; c < configs; c++) {
        moat_request_free(q[c]);
        moat_estate_free(es[c]);
    }
    free_lines(&l);
    return allowed == (size_t)-1;
}


/*--------------------------------------------------------------------------
** Exact reasoning (docs/reach.md): the cells of the maximum-size account
** (400 IP rules, 400 virtual network rules, 200 resource instance rules,
** a Learning perimeter with 200 prefixes), and its exposure.
*/
static int bench_reach(int runs)
{
    make_rules();
    size_t len;
    char *text = estate_json(&len);
    moat_estate *es = load_text(text, len);
    free(text);
    if (es == NULL)
        return 1;
    double best = 1e9, best_x = 1e9;
    size_t cells = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        moat_cells *c = NULL;
        if (moat_cells_compute(es, ACCOUNT, NULL, &c) != MOAT_OK) {
            fprintf(stderr, "bench: cells failed\n");
            return 1;
        }
        double t1 = now();
        char *x = moat_cells_exposure_json(c, 0, NULL);
        double t2 = now();
        cells = moat_cells_count(c);
        moat_free(x);
        moat_cells_free(c);
        if (t1 - t0 < best)
            best = t1 - t0;
        if (t2 - t1 < best_x)
            best_x = t2 - t1;
    }
    printf("{\"bench\":\"reach\",\"account\":{\"ip\":400,\"vnet\":400,"
           "\"resource_access\":200,\"perimeter_prefixes\":200,"
           "\"mode\":\"Learning\"},\"cells\":%zu,\"best_of\":%d,"
           "\"cells_ms\":%.3f,\"exposure_ms\":%.3f}\n",
           cells, runs, best * 1e3, best_x * 1e3);
    moat_estate_free(es);
    return 0;
}

/* Two estates of n storage accounts for `moat diff`: NEW changes
** `changes` of them (an IP rule added, a default action flipped, a
** virtual network rule removed, in turn). */
static void diff_account(FILE *fp, long i, int change)
{
    fprintf(fp,
            "{\"id\":\"/subscriptions/" SUB "/resourceGroups/rg-%ld/providers/"
            "Microsoft.Storage/storageAccounts/st%07ld\",\"name\":\"st%07ld\","
            "\"type\":\"Microsoft.Storage/storageAccounts\",\"location\":"
            "\"westeurope\",\"properties\":{\"networkAcls\":{"
            "\"defaultAction\":\"%s\",\"bypass\":\"AzureServices\","
            "\"ipRules\":[",
            i % 50, i, i, change == 2 ? "Allow" : "Deny");
    for (int k = 0; k < 10; k++)
        fprintf(fp, "%s{\"value\":\"%ld.%d.%ld.0/24\"}", k ? "," : "",
                20 + i % 100, k, (i / 100) % 250);
    if (change == 1)
        fprintf(fp, ",{\"value\":\"198.51.%ld.0/24\"}", i % 250);
    fprintf(fp, "],\"virtualNetworkRules\":[");
    for (int k = 0; k < (change == 3 ? 4 : 5); k++)
        fprintf(fp,
                "%s{\"id\":\"/subscriptions/" SUB "/resourceGroups/rg-net/"
                "providers/Microsoft.Network/virtualNetworks/vnet-%ld/"
                "subnets/snet-%d\"}",
                k ? "," : "", i % 300, k);
    fprintf(fp, "]}}}");
}

static int bench_diffgen(long n, long changes, const char *dir)
{
    char path[4096];
    mkdir(dir, 0755);
    for (int side = 0; side < 2; side++) {
        snprintf(path, sizeof path, "%s/%s", dir, side ? "new" : "old");
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/%s/accounts.json", dir,
                 side ? "new" : "old");
        FILE *fp = fopen(path, "w");
        if (fp == NULL)
            return 1;
        fprintf(fp, "[{\"id\":\"/subscriptions/" SUB "\",\"type\":"
                    "\"Microsoft.Resources/subscriptions\",\"subscriptionId\":"
                    "\"" SUB "\",\"tenantId\":\"" TENANT "\"}");
        long step = n / (changes ? changes : 1);
        for (long i = 0; i < n; i++) {
            int change = side && changes && i % step == 0 && i / step < changes
                             ? (int)(i / step % 3) + 1
                             : 0;
            fputs(",\n", fp);
            diff_account(fp, i, change);
        }
        fputs("]\n", fp);
        fclose(fp);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "decide") == 0) {
        const char *dir = NULL;
        size_t n = 10000;
        for (int i = 2; i + 1 < argc; i += 2) {
            if (strcmp(argv[i], "--emit") == 0)
                dir = argv[i + 1];
            else if (strcmp(argv[i], "--requests") == 0)
                n = (size_t)strtoul(argv[i + 1], NULL, 10);
        }
        return bench_decide(dir, n);
    }
    if (argc == 4 && strcmp(argv[1], "load") == 0)
        return bench_load(strtol(argv[2], NULL, 10), argv[3]);
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "replay") == 0)
        return bench_replay(argv[2], argv[3],
                            argc == 5 ? (int)strtol(argv[4], NULL, 10) : 1);
    if (argc == 4 && strcmp(argv[1], "audit") == 0)
        return bench_audit(strtol(argv[2], NULL, 10), argv[3]);
    if (argc == 3 && strcmp(argv[1], "reach") == 0)
        return bench_reach((int)strtol(argv[2], NULL, 10));
    if (argc == 5 && strcmp(argv[1], "diffgen") == 0)
        return bench_diffgen(strtol(argv[2], NULL, 10),
                             strtol(argv[3], NULL, 10), argv[4]);
    fprintf(stderr, "usage: bench decide [--emit DIR] [--requests N]\n"
                    "       bench reach RUNS\n"
                    "       bench diffgen N CHANGES DIR\n"
                    "       bench load N DIR\n"
                    "       bench audit N DIR\n"
                    "       bench replay LOG ESTATE [CONFIGS]\n");
    return 2;
}
