/*
** reach_req.h - random requests for the cells property tests, and the
** `when` matcher of docs/reach.md written again from the document: it
** reads a cell's JSON and a request's fields and says whether the request
** lies in the cell, knowing nothing of the engine.
*/
#ifndef MOAT_REACH_REQ_H
#define MOAT_REACH_REQ_H

#include "reach_gen.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <time.h>

typedef struct greq {
    const char *plane, *endpoint, *protocol, *operation, *target, *auth;
    int has_ip;
    gaddr ip;
    const char *pe, *subnet, *region, *tenant, *subscription, *service;
    char caller[300];
    int has_caller;
    const char *perimeters[3];
    int n_perimeters;
    int64_t time;
} greq;

static const char *g_pick(grng *r, const char *const *v, unsigned n)
{
    return v[g_below(r, n)];
}

static const char *const g_types[] = {
    "Microsoft.ApiManagement/service", "Microsoft.Synapse/workspaces",
    "Microsoft.Web/sites",             "Microsoft.Compute/virtualMachines",
    "Microsoft.RecoveryServices/vaults", "Microsoft.DataFactory/factories",
    "Microsoft.Nothing/things",        "Microsoft.Sql/servers",
    "Microsoft.MachineLearningServices/workspaces", "Microsoft.Devices/IotHubs"};

/* A caller id: a pattern with its '*' filled, or a resource of a type. */
static void g_caller(grng *r, greq *q)
{
    static const char *const fill[] = {"ws1", "rg", "Microsoft.Web", "sites",
                                       "x", "q", G_SUB1};
    if (g_chance(r, 50)) {
        const char *p = g_patterns[g_below(r, 6)];
        size_t o = 0;
        for (const char *c = p; *c && o + 20 < sizeof q->caller; c++) {
            if (*c == '*') {
                const char *f = fill[g_below(r, 7)];
                o += (size_t)snprintf(q->caller + o, sizeof q->caller - o, "%s",
                                      f);
            } else {
                q->caller[o++] = *c;
            }
        }
        q->caller[o] = '\0';
    } else {
        snprintf(q->caller, sizeof q->caller,
                 "/subscriptions/%s/resourceGroups/rg/providers/%s/n%u%s",
                 g_chance(r, 50) ? G_SUB1 : G_SUB2,
                 g_types[g_below(r, 10)], g_below(r, 3),
                 g_chance(r, 10) ? "/databases/db" : "");
    }
    q->has_caller = 1;
}

static int64_t g_date(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (sscanf(s, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

static int64_t g_time(grng *r)
{
    size_t n = moat_catalog_count();
    const moat_service *s = moat_catalog_entry(g_below(r, (unsigned)n));
    const char *d = g_chance(r, 50) ? s->since : s->until;
    if (d[0] && g_chance(r, 80))
        return g_date(d) + (int64_t)g_below(r, 3) - 1;
    return 1577836800 + (int64_t)(g_next(r) % (10ULL * 365 * 86400));
}

static void g_ip(grng *r, const gestate *g, greq *q)
{
    q->has_ip = g_chance(r, 92);
    if (!q->has_ip)
        return;
    if (g->n_ranges && g_chance(r, 80)) {
        const grange *rg = &g->ranges[g_below(r, (unsigned)g->n_ranges)];
        q->ip = g_step(g_chance(r, 50) ? rg->lo : rg->hi,
                       (int)g_below(r, 3) - 1);
        return;
    }
    memset(&q->ip, 0, sizeof q->ip);
    q->ip.family = g_chance(r, 60) ? 4 : 6;
    for (int i = q->ip.family == 4 ? 12 : 0; i < 16; i++)
        q->ip.b[i] = (uint8_t)g_next(r);
    if (q->ip.family == 4 && (q->ip.b[12] == 10 || q->ip.b[12] == 0))
        q->ip.b[12] = 20;
}

static void g_identity(grng *r, greq *q)
{
    static const char *const tenants[] = {NULL, G_TEN1, G_TEN1, G_TEN2,
                                          G_TEN3};
    static const char *const subs[] = {NULL, G_SUB1, G_SUB2, G_SUB3};
    static const char *const per[] = {G_PER1, G_PER2, G_PER3, G_PER2};
    q->tenant = g_pick(r, tenants, 5);
    q->subscription = g_pick(r, subs, 4);
    q->has_caller = 0;
    if (g_chance(r, 60))
        g_caller(r, q);
    q->service = NULL;
    if (g_chance(r, 25)) {
        const moat_service *s = moat_catalog_entry(
            g_below(r, (unsigned)moat_catalog_count()));
        q->service = s->platform[0] ? s->platform
                     : g_chance(r, 50) ? "Microsoft.Nothing"
                                       : "Microsoft.Synapse/workspaces";
    }
    q->n_perimeters = (int)g_below(r, 4);
    for (int i = 0; i < q->n_perimeters; i++)
        q->perimeters[i] = per[g_below(r, 4)];
}

static void g_request(grng *r, const gestate *g, greq *q)
{
    static const char *const planes[] = {"data", "data", "data", "control"};
    static const char *const eps[] = {"blob",  "dfs", "file", "queue",
                                      "table", "web", "vault"};
    static const char *const prots[] = {"HTTPS", "HTTPS", "HTTP", "SMB",
                                        "NFS",   "SFTP"};
    static const char *const ops[] = {"read", "write", "delete", "list"};
    static const char *const targets[] = {
        "$logs", "$MetricsHourPrimaryTransactionsBlob", "$metrics", "c1",
        "$Metrics", "$LOGS"};
    static const char *const auths[] = {"OAuth", "OAuth", "SAS", "AccountKey",
                                        "Anonymous"};
    static const char *const pes[] = {G_PE "pe0", G_PE "pe1", G_PE "pe2",
                                      G_PE "pe7"};
    static const char *const subnets[] = {
        G_VNET "/subnets/sn0", G_VNET "/subnets/sn1", G_VNET "/subnets/sn2",
        G_VNET "/subnets/sn3", G_VNET2 "/subnets/sn4", G_VNET "/subnets/sn5"};
    static const char *const regions[] = {NULL, "westeurope", "northeurope",
                                          "eastus", "West Europe"};
    memset(q, 0, sizeof *q);
    q->plane = g_pick(r, planes, 4);
    q->endpoint = g_pick(r, eps, 7);
    q->protocol = g_pick(r, prots, 6);
    q->operation = g_pick(r, ops, 4);
    q->target = g_pick(r, targets, 6);
    q->auth = g_pick(r, auths, 5);
    g_ip(r, g, q);
    unsigned path = g_below(r, 100);
    q->pe = path < 20 ? g_pick(r, pes, 4) : NULL;
    q->subnet = path >= 20 && path < 55 ? g_pick(r, subnets, 6) : NULL;
    if (path < 5)
        q->subnet = g_pick(r, subnets, 6);
    q->region = g_pick(r, regions, 5);
    g_identity(r, q);
    q->time = g_time(r);
}

static moat_status g_set(moat_request *q, moat_field f, const char *v)
{
    return v ? moat_request_set(q, f, v, strlen(v), NULL) : MOAT_OK;
}

/* The request q bound to resource id. */
static moat_status g_bind(const greq *g, const char *id, moat_request *q)
{
    char ip[64], when[40];
    moat_request_reset(q);
    moat_status st = g_set(q, MOAT_REQ_RESOURCE, id);
    st = st ? st : g_set(q, MOAT_REQ_PLANE, g->plane);
    st = st ? st : g_set(q, MOAT_REQ_ENDPOINT, g->endpoint);
    st = st ? st : g_set(q, MOAT_REQ_PROTOCOL, g->protocol);
    st = st ? st : g_set(q, MOAT_REQ_OPERATION, g->operation);
    st = st ? st : g_set(q, MOAT_REQ_TARGET, g->target);
    st = st ? st : g_set(q, MOAT_REQ_CALLER_AUTH, g->auth);
    if (g->has_ip) {
        g_text(&g->ip, ip, sizeof ip);
        st = st ? st : g_set(q, MOAT_REQ_SOURCE_IP, ip);
    }
    st = st ? st : g_set(q, MOAT_REQ_SOURCE_PRIVATE_ENDPOINT, g->pe);
    st = st ? st : g_set(q, MOAT_REQ_SOURCE_SUBNET, g->subnet);
    st = st ? st : g_set(q, MOAT_REQ_SOURCE_REGION, g->region);
    st = st ? st : g_set(q, MOAT_REQ_CALLER_TENANT, g->tenant);
    st = st ? st : g_set(q, MOAT_REQ_CALLER_SUBSCRIPTION, g->subscription);
    st = st ? st : g_set(q, MOAT_REQ_CALLER_SERVICE, g->service);
    if (g->has_caller)
        st = st ? st : g_set(q, MOAT_REQ_CALLER_RESOURCE_ID, g->caller);
    for (int i = 0; i < g->n_perimeters; i++)
        st = st ? st : g_set(q, MOAT_REQ_CALLER_PERIMETER, g->perimeters[i]);
    time_t t = (time_t)g->time;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return st ? st : g_set(q, MOAT_REQ_TIME, when);
}

#endif /* MOAT_REACH_REQ_H */
