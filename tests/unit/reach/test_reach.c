/*
** test_reach.c - the cells engine's exactness (issue 14), as properties
** over random estates (reach_gen.h) and random requests with every rule
** boundary and the addresses either side of it (reach_req.h):
**   1. cells are disjoint and cover the space: each random request lies in
**      exactly one cell by the documented `when` (reach_when.h, written
**      from docs/reach.md), and the address counts of the cells holding
**      any one point of the other dimensions sum to 2^32 + 2^128 + "none";
**   2. each cell's witness and random requests drawn inside it get the
**      cell's decision, category, rule and warnings from moat_decide;
**   3. each random request gets, from moat_decide, the decision of the
**      cell its `when` puts it in;
**   4. diff: a request is in a newly allowed cell iff the old estate
**      denies it and the new one allows it.
** REACH_ESTATES (environment) scales the number of estates.
*/
#define _DEFAULT_SOURCE /* timegm */
#include "harness.h"
#include "cells_api.h"
#include "cells_probe.h"
#include "reach_when.h"

#define G_SUBNET_PREFIX G_VNET "/subnets/sn"

int reach_test_subnet_reaches(const char *id);
static const gestate *g_current;

int reach_test_subnet_reaches(const char *id)
{
    size_t n = strlen(G_SUBNET_PREFIX);
    if (strcasecmp(id, G_VNET2 "/subnets/sn4") == 0)
        return g_current->subnet_reaches[4];
    if (strncasecmp(id, G_SUBNET_PREFIX, n) == 0 && id[n] >= '0' &&
        id[n] <= '3' && id[n + 1] == '\0')
        return g_current->subnet_reaches[id[n] - '0'];
    return 1; /* not in the estate: taken as it says (section 6) */
}

typedef struct tally {
    unsigned long long checks, bad;
} tally;

static int same_decision(const moat_decision *a, const moat_decision *b)
{
    return a->verdict == b->verdict && a->category == b->category &&
           a->rule_ == b->rule_ && a->warnings == b->warnings &&
           a->has_enforced_would == b->has_enforced_would &&
           (!a->has_enforced_would || a->enforced_would == b->enforced_would);
}

static void report(tally *t, const char *what, uint64_t seed, const char *req,
                   const moat_decision *want, const moat_decision *got)
{
    t->bad++;
    if (t->bad > 5)
        return;
    printf("#   seed %llu: %s: cell %s/%u/%x, decide %s/%u/%x\n#   %s\n",
           (unsigned long long)seed, what, moat_category_name(want->category),
           want->rule_, want->warnings, moat_category_name(got->category),
           got->rule_, got->warnings, req ? req : "");
}

/* The cells of one computation, parsed once. */
typedef struct parsed {
    cJSON **cell;
    size_t n;
    cJSON *domain;
} parsed;

static int parse_cells(const moat_cells *c, parsed *p)
{
    p->n = moat_cells_count(c);
    p->cell = calloc(p->n + 1, sizeof *p->cell);
    char *d = moat_cells_domain_json(c, NULL);
    p->domain = d ? cJSON_Parse(d) : NULL;
    moat_free(d);
    for (size_t i = 0; i < p->n; i++) {
        char *s = moat_cell_json(c, i, NULL);
        p->cell[i] = s ? cJSON_Parse(s) : NULL;
        moat_free(s);
        if (p->cell[i] == NULL)
            return -1;
    }
    return p->domain ? 0 : -1;
}

static void free_parsed(parsed *p)
{
    for (size_t i = 0; i < p->n; i++)
        cJSON_Delete(p->cell[i]);
    free(p->cell);
    cJSON_Delete(p->domain);
}

/* Property 2: witnesses, and random points of each cell. */
static void check_inside(const moat_cells *c, moat_request *q, grng *r,
                         uint64_t seed, tally *t)
{
    const cdomain *d = &c->c.dom;
    for (size_t i = 0; i < moat_cells_count(c); i++) {
        moat_decision want, got;
        moat_cell_decision(c, i, 0, &want);
        moat_cell_witness(c, i, 0, q);
        moat_decide(q, &got);
        t->checks++;
        if (!same_decision(&want, &got))
            report(t, "witness", seed, NULL, &want, &got);
        const ccell *x = moat__cells_at(c, i);
        for (int k = 0; k < 3; k++) {
            cpoint p;
            for (int dim = 0; dim < D_COUNT; dim++) {
                uint32_t n = 0, pick;
                for (uint32_t a = 0; a < d->n[dim]; a++)
                    n += (uint32_t)moat__bit(x->box.s[dim], a);
                pick = g_below(r, n);
                for (uint32_t a = 0; a < d->n[dim]; a++) {
                    if (moat__bit(x->box.s[dim], a) && pick-- == 0)
                        p.a[dim] = a;
                }
            }
            const ip_atom *ia = &d->ip[p.a[D_IP]];
            moat_u128 ip = g_chance(r, 50) ? ia->hi : ia->lo;
            moat__cells_request(c, &p, &ip, q);
            moat_request_set(q, MOAT_REQ_RESOURCE, d->side[0].r->id,
                             strlen(d->side[0].r->id), NULL);
            moat_decide(q, &got);
            t->checks++;
            if (!same_decision(&want, &got))
                report(t, "in-cell request", seed, NULL, &want, &got);
        }
    }
}

/* Properties 1 and 3: each random request lies in exactly one cell, and
** decide gives it that cell's decision (side: 0 for reach). */
static size_t locate(const parsed *p, const greq *g, int keyvault, int skip_ip,
                     size_t *count, tally *t)
{
    size_t at = SIZE_MAX;
    *count = 0;
    for (size_t i = 0; i < p->n; i++) {
        t->checks++;
        if (w_match(cJSON_GetObjectItem(p->cell[i], "when"), g, p->domain,
                    keyvault, skip_ip)) {
            (*count)++;
            at = i;
        }
    }
    return at;
}

static void check_requests(const moat_cells *c, const parsed *p,
                           const gestate *ge, moat_request *q, grng *r,
                           uint64_t seed, tally *t)
{
    const char *id = c->c.dom.side[0].r->id;
    for (int k = 0; k < 200; k++) {
        greq g;
        g_request(r, ge, &g);
        if (g_bind(&g, id, q) != MOAT_OK)
            continue;
        size_t n, at = locate(p, &g, ge->keyvault, 0, &n, t);
        moat_decision want, got;
        moat_decide(q, &got);
        if (n != 1) {
            t->bad++;
            printf("#   seed %llu: request in %zu cells\n",
                   (unsigned long long)seed, n);
            continue;
        }
        moat_cell_decision(c, at, 0, &want);
        t->checks++;
        if (!same_decision(&want, &got)) {
            char *cj = cJSON_PrintUnformatted(p->cell[at]), ip[64] = "";
            if (g.has_ip)
                g_text(&g.ip, ip, sizeof ip);
            char line[2048];
            snprintf(line, sizeof line, "ip %s subnet %s pe %s region %s "
                     "auth %s tenant %s caller %s service %s\n#   %.900s",
                     ip, g.subnet ? g.subnet : "-", g.pe ? g.pe : "-",
                     g.region ? g.region : "-", g.auth,
                     g.tenant ? g.tenant : "-",
                     g.has_caller ? g.caller : "-",
                     g.service ? g.service : "-", cj);
            report(t, "located request", seed, line, &want, &got);
            free(cj);
        }
    }
}

/* Property 1's counts: the cells holding one point of the other
** dimensions share out every address once. */
static void check_counts(const moat_cells *c, const parsed *p,
                         const gestate *ge, grng *r, uint64_t seed, tally *t)
{
    for (int k = 0; k < 10; k++) {
        greq g;
        g_request(r, ge, &g);
        unsigned __int128 v6 = 0;
        uint64_t v4 = 0;
        int none = 0, all = 0, wraps = 0;
        for (size_t i = 0; i < p->n; i++) {
            t->checks++;
            if (!w_match(cJSON_GetObjectItem(p->cell[i], "when"), &g,
                         p->domain, ge->keyvault, 1))
                continue;
            moat_addr_count a;
            moat_cell_addresses(c, i, &a);
            v4 += a.ipv4;
            none += a.no_address;
            all += a.ipv6_all;
            unsigned __int128 add = ((unsigned __int128)a.ipv6_hi << 64) |
                                    a.ipv6_lo, before = v6;
            v6 += add;
            wraps += v6 < before;
        }
        int v6_ok = (all == 1 && v6 == 0 && wraps == 0) ||
                    (all == 0 && v6 == 0 && wraps == 1);
        if (v4 != (1ULL << 32) || none != 1 || !v6_ok) {
            t->bad++;
            printf("#   seed %llu: counts ipv4 %llu, none %d, ipv6 all %d "
                   "wraps %d\n",
                   (unsigned long long)seed, (unsigned long long)v4, none, all,
                   wraps);
        }
    }
}

/* The outputs built on the cells run (under the sanitizers) and are JSON
** where they say so. */
static void check_outputs(const moat_cells *c, uint64_t seed, tally *t)
{
    char *out[5] = {moat_cells_reach_text(c, NULL), moat_cells_reach_dot(c, NULL),
                    moat_cells_reach_json(c, 1, NULL),
                    moat_cells_exposure_json(c, 0, NULL),
                    moat_cells_diff_json(c, NULL)};
    int ok = out[0] && out[1] && out[2] && out[3] && out[4] == NULL;
    for (int i = 2; ok && i < 4; i++) {
        cJSON *j = cJSON_Parse(out[i]);
        ok = j != NULL;
        cJSON_Delete(j);
    }
    t->checks++;
    if (!ok) {
        t->bad++;
        printf("#   seed %llu: reach outputs\n", (unsigned long long)seed);
    }
    for (int i = 0; i < 5; i++)
        moat_free(out[i]);
}

/* The audit's computation (moat__cells_internet: only the internet probe's
** line of the space, the caller's identity reduced to "absent") answers
** as the whole space's cells do at every address atom of the probe, at an
** instant inside every time atom; its admitted addresses are the full
** cells' too. */
static void check_probe_at(const moat_cells *c, const moat_estate *es,
                           const char *id, int64_t at, uint64_t seed, tally *t)
{
    moat_status st = MOAT_OK;
    const resource *r = moat__estate_find(es, id, strlen(id), &st);
    moat_cells *q = NULL;
    if (r == NULL || moat__cells_internet(es, r, at, &q) != MOAT_OK) {
        t->bad++;
        printf("#   seed %llu: internet probe cells\n", (unsigned long long)seed);
        return;
    }
    cpoint base, qbase;
    moat__probe_base(c, 0, at, &base);
    moat__probe_base(q, 0, at, &qbase);
    const cdomain *d = &c->c.dom, *e = &q->c.dom;
    int same_ips = d->n[D_IP] == e->n[D_IP];
    for (uint32_t a = 0; same_ips && a < d->n[D_IP]; a++)
        same_ips = memcmp(&d->ip[a], &e->ip[a], sizeof d->ip[a]) == 0;
    t->checks++;
    if (!same_ips || e->n[D_PATH] != 1 || e->n[D_SERVICE] != 1 ||
        e->n[D_CALLER] != 1 || e->path[0].kind != PATH_PUBLIC)
        report(t, "probe domain", seed, NULL, &(moat_decision){0},
               &(moat_decision){0});
    for (uint32_t a = 0; same_ips && a < d->n[D_IP]; a++) {
        base.a[D_IP] = qbase.a[D_IP] = a;
        moat_decision want, got;
        int w = moat__probe_allows(c, &base, 0, &want);
        int g = moat__probe_allows(q, &qbase, 0, &got);
        t->checks++;
        if (w != g || !same_decision(&want, &got))
            report(t, "internet probe", seed, NULL, &want, &got);
    }
    probe_addrs full, part;
    moat__probe_addresses(c, &base, 0, &full);
    moat__probe_addresses(q, &qbase, 0, &part);
    t->checks++;
    if (!full.atoms || !part.atoms || full.ipv4 != part.ipv4 ||
        full.ipv6 != part.ipv6 || full.ipv6_all != part.ipv6_all)
        report(t, "internet addresses", seed, NULL, &(moat_decision){0},
               &(moat_decision){0});
    moat__probe_free(&full);
    moat__probe_free(&part);
    moat_cells_free(q);
}

static void check_internet_probe(const moat_cells *c, const moat_estate *es,
                                 const char *id, uint64_t seed, tally *t)
{
    const cdomain *d = &c->c.dom;
    check_probe_at(c, es, id, (int64_t)time(NULL), seed, t);
    for (uint32_t k = 0; k < d->n[D_TIME]; k++) {
        int64_t lo = d->time[k].lo == INT64_MIN ? 0 : d->time[k].lo;
        check_probe_at(c, es, id, lo, seed, t);
    }
}

static moat_estate *load_gen(const gestate *g)
{
    moat_loader *ld = NULL;
    moat_estate *es = harness_load(g->json, 0, &ld);
    if (es == NULL) {
        for (size_t i = 0; i < moat_loader_diag_count(ld); i++)
            printf("#   %s\n", moat_loader_diag(ld, i)->message);
    }
    moat_loader_free(ld);
    return es;
}

static unsigned estates_to_run(void)
{
    const char *e = getenv("REACH_ESTATES");
    return e ? (unsigned)atoi(e) : 150;
}

static void reach_one(uint64_t seed, tally *t)
{
    gestate ge;
    g_estate(seed, seed % 3 == 0, &ge);
    g_current = &ge;
    moat_estate *es = load_gen(&ge);
    if (es == NULL) {
        t->bad++;
        printf("#   seed %llu: estate refused\n%s\n", (unsigned long long)seed,
               ge.json);
        free(ge.json);
        return;
    }
    moat_cells *c = NULL;
    const char *id = ge.keyvault ? G_VAULT : G_ACCOUNT;
    moat_status st = moat_cells_compute(es, id, NULL, &c);
    parsed p = {NULL, 0, NULL};
    if (st != MOAT_OK || parse_cells(c, &p) != 0) {
        t->bad++;
        printf("#   seed %llu: cells: %s\n", (unsigned long long)seed,
               moat_strerror(st));
    } else {
        grng r = {seed + 77};
        moat_request *q = moat_request_new(es);
        check_inside(c, q, &r, seed, t);
        check_requests(c, &p, &ge, q, &r, seed, t);
        check_counts(c, &p, &ge, &r, seed, t);
        check_outputs(c, seed, t);
        check_internet_probe(c, es, id, seed, t);
        moat_request_free(q);
    }
    free_parsed(&p);
    moat_cells_free(c);
    moat_estate_free(es);
    free(ge.json);
}

TEST(reach_cells_are_exact_over_random_estates)
{
    tally t = {0, 0};
    unsigned n = estates_to_run();
    for (unsigned s = 1; s <= n && t.bad < 20; s++)
        reach_one(s, &t);
    printf("#   reach: %u random estates, %llu checks, %llu disagreements\n",
           n, t.checks, t.bad);
    ASSERT_EQ(t.bad, 0);
    ASSERT(t.checks >= 1000000 || n < 150);
}

/*--------------------------------------------------------------------------
** Property 4: diff.
*/
static void check_diff_request(const moat_cells *c, const parsed *p,
                               const gestate *ge, moat_request *qo,
                               moat_request *qn, const greq *g, tally *t,
                               uint64_t seed)
{
    const char *id = ge->keyvault ? G_VAULT : G_ACCOUNT;
    if (g_bind(g, id, qo) != MOAT_OK || g_bind(g, id, qn) != MOAT_OK)
        return;
    size_t n, at = locate(p, g, ge->keyvault, 0, &n, t);
    if (n != 1) {
        t->bad++;
        printf("#   seed %llu: diff: request in %zu cells\n",
               (unsigned long long)seed, n);
        return;
    }
    moat_decision old_d, new_d, before, after;
    moat_decide(qo, &old_d);
    moat_decide(qn, &new_d);
    moat_cell_decision(c, at, 0, &before);
    moat_cell_decision(c, at, 1, &after);
    t->checks += 3;
    if (!same_decision(&before, &old_d))
        report(t, "diff before", seed, NULL, &before, &old_d);
    if (!same_decision(&after, &new_d))
        report(t, "diff after", seed, NULL, &after, &new_d);
    int newly = before.verdict == MOAT_DENY && after.verdict == MOAT_ALLOW;
    int truth = old_d.verdict == MOAT_DENY && new_d.verdict == MOAT_ALLOW;
    if (newly != truth)
        report(t, "newly allowed", seed, NULL, &before, &old_d);
}

static void diff_one(uint64_t seed, tally *t)
{
    gestate go, gn;
    int kv = seed % 3 == 0;
    g_estate(seed, kv, &go);
    g_estate(seed * 7919 + 13, kv, &gn);
    g_current = &go; /* the network is the same on both sides */
    moat_estate *eo = load_gen(&go), *en = load_gen(&gn);
    moat_cells *c = NULL;
    const char *id = kv ? G_VAULT : G_ACCOUNT;
    moat_status st = eo && en ? moat_cells_diff(eo, id, en, id, NULL, &c)
                              : MOAT_E_INVAL;
    parsed p = {NULL, 0, NULL};
    if (st != MOAT_OK || parse_cells(c, &p) != 0) {
        t->bad++;
        printf("#   seed %llu: diff: %s\n", (unsigned long long)seed,
               moat_strerror(st));
    } else {
        grng r = {seed + 991};
        moat_request *qo = moat_request_new(eo), *qn = moat_request_new(en);
        for (int k = 0; k < 100; k++) {
            greq g;
            g_request(&r, g_chance(&r, 50) ? &go : &gn, &g);
            check_diff_request(c, &p, &go, qo, qn, &g, t, seed);
        }
        char *dj = moat_cells_diff_json(c, NULL), *dt = moat_cells_diff_text(c, NULL);
        cJSON *j = dj ? cJSON_Parse(dj) : NULL;
        t->checks++;
        if (j == NULL || dt == NULL) {
            t->bad++;
            printf("#   seed %llu: diff outputs\n", (unsigned long long)seed);
        }
        cJSON_Delete(j);
        moat_free(dj);
        moat_free(dt);
        moat_request_free(qo);
        moat_request_free(qn);
    }
    free_parsed(&p);
    moat_cells_free(c);
    moat_estate_free(eo);
    moat_estate_free(en);
    free(go.json);
    free(gn.json);
}

TEST(reach_diff_is_exact_over_random_estate_pairs)
{
    tally t = {0, 0};
    unsigned n = estates_to_run() / 3;
    for (unsigned s = 1; s <= n && t.bad < 20; s++)
        diff_one(s, &t);
    printf("#   diff: %u random estate pairs, %llu checks, %llu "
           "disagreements\n",
           n, t.checks, t.bad);
    ASSERT_EQ(t.bad, 0);
}
