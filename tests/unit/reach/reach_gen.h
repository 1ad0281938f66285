/*
** reach_gen.h - random estates and requests for the cells property tests
** (test_reach.c): a storage account or key vault with every kind of rule,
** its address rules drawn from a small pool so that they overlap and
** nest, and requests drawn from the same vocabulary with every rule
** boundary and the addresses either side of it.
*/
#ifndef MOAT_REACH_GEN_H
#define MOAT_REACH_GEN_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define G_SUB1 "11111111-1111-4111-8111-111111111111"
#define G_SUB2 "22222222-2222-4222-8222-222222222222"
#define G_SUB3 "33333333-3333-4333-8333-333333333333"
#define G_TEN1 "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
#define G_TEN2 "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
#define G_TEN3 "cccccccc-cccc-4ccc-8ccc-cccccccccccc"
#define G_PER1 "d1d1d1d1-d1d1-4d1d-8d1d-d1d1d1d1d1d1"
#define G_PER2 "d2d2d2d2-d2d2-4d2d-8d2d-d2d2d2d2d2d2"
#define G_PER3 "d3d3d3d3-d3d3-4d3d-8d3d-d3d3d3d3d3d3"
#define G_RG "/subscriptions/" G_SUB1 "/resourceGroups/rg"
#define G_VNET G_RG "/providers/Microsoft.Network/virtualNetworks/vn"
#define G_NSP G_RG "/providers/Microsoft.Network/networkSecurityPerimeters"
#define G_PE G_RG "/providers/Microsoft.Network/privateEndpoints/"

/* xorshift64*: reproducible from the seed. */
typedef struct grng {
    uint64_t s;
} grng;

static uint64_t g_next(grng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ULL;
}

static unsigned g_below(grng *r, unsigned n)
{
    return n ? (unsigned)(g_next(r) % n) : 0;
}

static int g_chance(grng *r, unsigned pct)
{
    return g_below(r, 100) < pct;
}

/* An address: family 4 or 6, 16 bytes big-endian (IPv4 in the last 4). */
typedef struct gaddr {
    int family;
    uint8_t b[16];
} gaddr;

typedef struct grange {
    gaddr lo, hi;
} grange;

/* The estate's vocabulary, for requests. */
typedef struct gestate {
    char *json;
    size_t len, cap;
    int keyvault;
    char region[16];
    grange ranges[64]; /* every address rule */
    int n_ranges;
    /* subnets: which reach the resource through a service endpoint */
    int subnet_reaches[5];
} gestate;

static void g_put(gestate *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void g_put(gestate *g, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(g->json + g->len, g->cap - g->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < g->cap - g->len) {
            g->len += (size_t)n;
            return;
        }
        g->cap = g->cap * 2 + (size_t)n + 64;
        g->json = realloc(g->json, g->cap);
    }
}

/* The first and last address of a CIDR text. */
static int g_range_of(const char *cidr, grange *out)
{
    char host[64];
    const char *slash = strchr(cidr, '/');
    size_t n = slash ? (size_t)(slash - cidr) : strlen(cidr);
    if (n >= sizeof host)
        return -1;
    memcpy(host, cidr, n);
    host[n] = '\0';
    memset(out, 0, sizeof *out);
    int v6 = strchr(host, ':') != NULL;
    int bits = v6 ? 128 : 32, prefix = slash ? atoi(slash + 1) : bits;
    uint8_t *b = out->lo.b + (v6 ? 0 : 12);
    if (inet_pton(v6 ? AF_INET6 : AF_INET, host, b) != 1)
        return -1;
    out->lo.family = out->hi.family = v6 ? 6 : 4;
    memcpy(&out->hi, &out->lo, sizeof out->hi);
    for (int i = prefix; i < bits; i++) {
        int byte = (v6 ? 0 : 12) + i / 8, bit = 7 - i % 8;
        out->lo.b[byte] &= (uint8_t)~(1u << bit);
        out->hi.b[byte] |= (uint8_t)(1u << bit);
    }
    return 0;
}

/* a +/- 1 (delta), staying in the family's space. */
static gaddr g_step(gaddr a, int delta)
{
    int first = a.family == 4 ? 12 : 0;
    for (int i = 15; i >= first; i--) {
        if (delta > 0) {
            if (++a.b[i] != 0)
                return a;
        } else {
            if (a.b[i]-- != 0)
                return a;
        }
    }
    return a; /* wrapped: the other end of the space, still an address */
}

static void g_text(const gaddr *a, char *out, size_t cap)
{
    inet_ntop(a->family == 6 ? AF_INET6 : AF_INET,
              a->b + (a->family == 6 ? 0 : 12), out, (socklen_t)cap);
}

/* Public IPv4 ranges that overlap and nest, any prefix; a storage
** account refuses /31 and /32 written out, so those go bare. */
static void g_ipv4(grng *r, gestate *g, int keyvault, char *out, size_t cap)
{
    static const char *const bases[] = {"20.0.0.0", "20.0.1.0", "20.0.0.128",
                                        "52.1.2.3", "0.0.0.0",  "203.0.113.7",
                                        "255.255.255.255", "20.0.0.255"};
    const char *base = bases[g_below(r, 8)];
    int prefix = (int)g_below(r, 33);
    if (prefix < 8 && g_chance(r, 80))
        prefix += 16;
    if (prefix >= 31 && !keyvault)
        snprintf(out, cap, "%s", base);
    else
        snprintf(out, cap, "%s/%d", base, prefix);
    grange rg;
    if (g_range_of(out, &rg) == 0 && g->n_ranges < 64) {
        /* refused when inside the private ranges: keep them public */
        g->ranges[g->n_ranges++] = rg;
    }
}

static void g_ipv6(grng *r, gestate *g, char *out, size_t cap)
{
    static const char *const bases[] = {"2001:db8::", "2001:db8:0:1::",
                                        "2001:db8::5", "::", "fe00::1:0:0:1:92",
                                        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"};
    int prefix = (int)g_below(r, 129);
    if (prefix < 16 && g_chance(r, 80))
        prefix += 32;
    snprintf(out, cap, "%s/%d", bases[g_below(r, 6)], prefix);
    grange rg;
    if (g_range_of(out, &rg) == 0 && g->n_ranges < 64)
        g->ranges[g->n_ranges++] = rg;
}


/* The subnets: 0 Microsoft.Storage in the region, 1 Microsoft.KeyVault,
** 2 none, 3 Microsoft.Storage.Global; 4 Microsoft.Storage in a VNet of
** eastus (reaching eastus and its pair, not westeurope). */
#define G_VNET2 G_RG "/providers/Microsoft.Network/virtualNetworks/vn2"
static const char *const g_subnet_se[4] = {
    "{\"service\":\"Microsoft.Storage\",\"locations\":[\"westeurope\"]}",
    "{\"service\":\"Microsoft.KeyVault\"}", NULL,
    "{\"service\":\"Microsoft.Storage.Global\"}"};

static void g_network(gestate *g)
{
    g_put(g, "{\"id\":\"" G_VNET "\",\"name\":\"vn\",\"type\":\"Microsoft."
             "Network/virtualNetworks\",\"location\":\"westeurope\","
             "\"properties\":{\"subnets\":[");
    for (int i = 0; i < 4; i++) {
        g_put(g, "%s{\"id\":\"" G_VNET "/subnets/sn%d\",\"name\":\"sn%d\","
                 "\"properties\":{\"serviceEndpoints\":[%s]}}",
              i ? "," : "", i, i, g_subnet_se[i] ? g_subnet_se[i] : "");
        g->subnet_reaches[i] = g->keyvault ? i == 1 : i == 0 || i == 3;
    }
    g_put(g, "]}},{\"id\":\"" G_VNET2 "\",\"name\":\"vn2\",\"type\":"
             "\"Microsoft.Network/virtualNetworks\",\"location\":\"eastus\","
             "\"properties\":{\"subnets\":[{\"id\":\"" G_VNET2 "/subnets/sn4\","
             "\"name\":\"sn4\",\"properties\":{\"serviceEndpoints\":[{"
             "\"service\":\"Microsoft.Storage\"}]}}]}},");
    g->subnet_reaches[4] = 0;
}

static const char *const g_patterns[] = {
    G_RG "/providers/Microsoft.Synapse/workspaces/ws1",
    "/subscriptions/" G_SUB1 "/resourceGroups/*/providers/Microsoft.Synapse/"
    "workspaces/*",
    "/subscriptions/*/resourceGroups/*/providers/Microsoft.Web/sites/*",
    G_RG "/providers/Microsoft.ApiManagement/service/apim1",
    "/subscriptions/" G_SUB1 "/resourceGroups/rg/providers/*/*/x",
    G_RG "/providers/Microsoft.DataFactory/factories/*"};

static void g_storage_acls(grng *r, gestate *g)
{
    char text[80];
    g_put(g, ",\"ipv6Rules\":[");
    for (int i = 0, n = (int)g_below(r, 4); i < n; i++) {
        g_ipv6(r, g, text, sizeof text);
        g_put(g, "%s{\"value\":\"%s\"}", i ? "," : "", text);
    }
    g_put(g, "],\"resourceAccessRules\":[");
    for (int i = 0, n = (int)g_below(r, 4); i < n; i++)
        g_put(g, "%s{\"tenantId\":\"%s\",\"resourceId\":\"%s\"}", i ? "," : "",
              g_chance(r, 70) ? G_TEN1 : G_TEN2, g_patterns[g_below(r, 6)]);
    g_put(g, "]");
}

static void g_acls(grng *r, gestate *g)
{
    static const char *const bypass[] = {"AzureServices", "None",
                                         "Logging, Metrics",
                                         "Logging, Metrics, AzureServices",
                                         "Metrics"};
    char text[80];
    g_put(g, ",\"networkAcls\":{\"defaultAction\":\"%s\",\"bypass\":\"%s\","
             "\"ipRules\":[",
          g_chance(r, 20) ? "Allow" : "Deny",
          bypass[g_below(r, g->keyvault ? 2 : 5)]);
    for (int i = 0, n = (int)g_below(r, 6); i < n; i++) {
        g_ipv4(r, g, g->keyvault, text, sizeof text);
        g_put(g, "%s{\"value\":\"%s\"}", i ? "," : "", text);
    }
    g_put(g, "],\"virtualNetworkRules\":[");
    for (int i = 0, n = (int)g_below(r, 3); i < n; i++) {
        unsigned k = g_below(r, 6);
        g_put(g, "%s{\"id\":\"%s/subnets/sn%u\"%s}", i ? "," : "",
              k == 4 ? G_VNET2 : G_VNET, k,
              g_chance(r, 15) ? ",\"state\":\"Failed\"" : "");
    }
    g_put(g, "]");
    if (!g->keyvault)
        g_storage_acls(r, g);
    g_put(g, "}");
}

static void g_pes(grng *r, gestate *g, const char *id)
{
    static const char *const status[] = {"Approved", "Pending", "Rejected"};
    g_put(g, ",\"privateEndpointConnections\":[");
    for (int i = 0, n = (int)g_below(r, 3); i < n; i++)
        g_put(g, "%s{\"id\":\"%s/privateEndpointConnections/c%d\","
                 "\"properties\":{\"privateEndpoint\":{\"id\":\"" G_PE
                 "pe%u\"},\"privateLinkServiceConnectionState\":{\"status\":"
                 "\"%s\"}}}",
              i ? "," : "", id, i, g_below(r, 3), status[g_below(r, 3)]);
    g_put(g, "]");
}

#define G_ACCOUNT G_RG "/providers/Microsoft.Storage/storageAccounts/st1"
#define G_VAULT G_RG "/providers/Microsoft.KeyVault/vaults/kv1"

static void g_resource(grng *r, gestate *g)
{
    static const char *const pna[] = {"Enabled", "Disabled",
                                      "SecuredByPerimeter"};
    const char *id = g->keyvault ? G_VAULT : G_ACCOUNT;
    g_put(g, "{\"id\":\"%s\",\"name\":\"%s\",\"type\":\"%s\",\"location\":"
             "\"westeurope\",\"properties\":{",
          id, g->keyvault ? "kv1" : "st1",
          g->keyvault ? "Microsoft.KeyVault/vaults"
                      : "Microsoft.Storage/storageAccounts");
    g_put(g, "\"publicNetworkAccess\":\"%s\"", pna[g_below(r, 3)]);
    if (g->keyvault && g_chance(r, 90))
        g_put(g, ",\"tenantId\":\"" G_TEN1 "\"");
    if (g_chance(r, 90))
        g_acls(r, g);
    g_pes(r, g, id);
    g_put(g, "}}");
}

static void g_perimeter(grng *r, gestate *g)
{
    static const char *const modes[] = {"Learning", "Enforced", "Audit"};
    char text[80];
    g_put(g, ",{\"id\":\"" G_NSP "/p1\",\"name\":\"p1\",\"type\":\"Microsoft."
             "Network/networkSecurityPerimeters\",\"location\":\"westeurope\","
             "\"properties\":{\"perimeterGuid\":\"" G_PER1 "\"}},"
             "{\"id\":\"" G_NSP "/p1/profiles/prof\",\"name\":\"prof\","
             "\"type\":\"Microsoft.Network/networkSecurityPerimeters/"
             "profiles\",\"properties\":{}}");
    for (int i = 0, n = (int)g_below(r, 3); i < n; i++) {
        g_put(g, ",{\"id\":\"" G_NSP "/p1/profiles/prof/accessRules/ar%d\","
                 "\"name\":\"ar%d\",\"type\":\"Microsoft.Network/"
                 "networkSecurityPerimeters/profiles/accessRules\","
                 "\"properties\":{\"direction\":\"Inbound\",",
              i, i);
        if (g_chance(r, 60)) {
            g_ipv4(r, g, 1, text, sizeof text);
            g_put(g, "\"addressPrefixes\":[\"%s\"", text);
            if (!g->keyvault && g_chance(r, 40)) {
                g_ipv6(r, g, text, sizeof text);
                g_put(g, ",\"%s\"", text);
            }
            g_put(g, "]}}");
        } else {
            g_put(g, "\"subscriptions\":[{\"id\":\"/subscriptions/%s\"}]}}",
                  g_chance(r, 50) ? G_SUB2 : G_SUB1);
        }
    }
    g_put(g, ",{\"id\":\"" G_NSP "/p1/resourceAssociations/a1\",\"name\":"
             "\"a1\",\"type\":\"Microsoft.Network/networkSecurityPerimeters/"
             "resourceAssociations\",\"properties\":{\"privateLinkResource\":"
             "{\"id\":\"%s\"},\"profile\":{\"id\":\"" G_NSP
             "/p1/profiles/prof\"},\"accessMode\":\"%s\"}}",
          g->keyvault ? G_VAULT : G_ACCOUNT, modes[g_below(r, 3)]);
    if (g_chance(r, 60))
        g_put(g, ",{\"id\":\"" G_NSP "/p1/links/l1\",\"name\":\"l1\","
                 "\"type\":\"Microsoft.Network/networkSecurityPerimeters/"
                 "links\",\"properties\":{\"remotePerimeterResourceId\":\""
                 "/subscriptions/" G_SUB2 "/resourceGroups/rg2/providers/"
                 "Microsoft.Network/networkSecurityPerimeters/p2\","
                 "\"localInboundProfiles\":[\"%s\"],\"status\":\"%s\"}}",
              g_chance(r, 70) ? "*" : "other",
              g_chance(r, 80) ? "Approved" : "Pending");
    g_put(g, ",{\"id\":\"/subscriptions/" G_SUB2 "/resourceGroups/rg2/"
             "providers/Microsoft.Network/networkSecurityPerimeters/p2\","
             "\"name\":\"p2\",\"type\":\"Microsoft.Network/"
             "networkSecurityPerimeters\",\"location\":\"northeurope\","
             "\"properties\":{\"perimeterGuid\":\"" G_PER2 "\"}}");
}

/* A random estate of one resource (seeded). */
static void g_estate(uint64_t seed, int keyvault, gestate *g)
{
    grng r = {seed * 0x9E3779B97F4A7C15ULL + 1};
    memset(g, 0, sizeof *g);
    g->keyvault = keyvault;
    g->cap = 4096;
    g->json = malloc(g->cap);
    g->json[0] = '\0';
    g_put(g, "[");
    if (g_chance(&r, 90))
        g_put(g, "{\"id\":\"/subscriptions/" G_SUB1 "\",\"type\":\"Microsoft."
                 "Resources/subscriptions\",\"subscriptionId\":\"" G_SUB1
                 "\",\"tenantId\":\"" G_TEN1 "\"},");
    g_network(g);
    g_resource(&r, g);
    if (g_chance(&r, 50))
        g_perimeter(&r, g);
    g_put(g, "]");
}

#endif /* MOAT_REACH_GEN_H */
