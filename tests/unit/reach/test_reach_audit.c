/*
** test_reach_audit.c - `moat audit` and `moat reach` cannot disagree
** (issue 14, "audit on the same engine"), as a property over random
** estates (reach_gen.h): for every resource, the audit's findings that
** speak of reachability are what reach's JSON says, read with the `when`
** matcher written from docs/reach.md (reach_when.h), not with the engine:
**   MOAT001  iff the exposure's `internet` admits all 2^32 IPv4 or all
**            2^128 IPv6 addresses;
**   MOAT002  for each IP rule in force, iff the addresses of the cells at
**            the `internet` probe point that the rule decides exceed the
**            threshold, with that count (IPv6: /64 networks); a rule said
**            not to be in force decides no such cell; a perimeter prefix's
**            count is at most what its rule decides;
**   MOAT008  for a Learning or Audit association, the rules that admit a
**            cell whose enforced_would is deny, counted by kind, are the
**            ones the finding names.
*/
#define _DEFAULT_SOURCE /* timegm */
#include "harness.h"
#include "reach_when.h"

#include <time.h>

__extension__ typedef unsigned __int128 u128t;

#define WIDE 255 /* a small threshold, so that random rules pass it */
#define ALL_V6 "340282366920938463463374607431768211456"

typedef struct agree {
    unsigned long long checks, bad;
} agree;

static void disagree(agree *t, uint64_t seed, const char *id, const char *what,
                     const char *detail)
{
    t->bad++;
    if (t->bad <= 5)
        printf("#   seed %llu: %s: %s: %s\n", (unsigned long long)seed, id,
               what, detail ? detail : "");
}

static u128t dec128(const char *s)
{
    u128t v = 0;
    for (; s && *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (u128t)(*s - '0');
    return v;
}

/* The exposure's internet probe (docs/reach.md), any source address. */
static void internet_probe(greq *q, int keyvault)
{
    memset(q, 0, sizeof *q);
    q->plane = "data";
    q->endpoint = keyvault ? "vault" : "blob";
    q->protocol = "HTTPS";
    q->operation = "read";
    q->target = "c1";
    q->auth = keyvault ? "OAuth" : "SAS";
    q->region = "southafricanorth"; /* another region */
    q->tenant = "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee";
    q->subscription = "ffffffff-ffff-4fff-8fff-ffffffffffff";
    q->time = (int64_t)time(NULL);
}

/* Per rule text, the addresses the cells at the probe point give it. */
#define RULES_MAX 256
typedef struct rule_sum {
    const char *text[RULES_MAX];
    u128t v4[RULES_MAX], v6[RULES_MAX];
    int v6_all[RULES_MAX];
    int n;
} rule_sum;

static void sum_rules(const cJSON *res, int keyvault, rule_sum *s)
{
    const cJSON *cell, *dom = cJSON_GetObjectItem(res, "domain");
    greq q;
    internet_probe(&q, keyvault);
    memset(s, 0, sizeof *s);
    cJSON_ArrayForEach(cell, cJSON_GetObjectItem(res, "cells"))
    {
        const char *dec =
            cJSON_GetStringValue(cJSON_GetObjectItem(cell, "decision"));
        if (!dec || strcmp(dec, "allow") != 0 ||
            !w_match(cJSON_GetObjectItem(cell, "when"), &q, dom, keyvault, 1))
            continue;
        const char *rule =
            cJSON_GetStringValue(cJSON_GetObjectItem(cell, "rule"));
        const cJSON *ad = cJSON_GetObjectItem(cell, "addresses");
        int k = 0;
        while (k < s->n && strcmp(s->text[k], rule) != 0)
            k++;
        if (k == s->n && s->n < RULES_MAX)
            s->text[s->n++] = rule;
        if (k >= RULES_MAX)
            continue;
        const char *v6 = cJSON_GetStringValue(cJSON_GetObjectItem(ad, "ipv6"));
        s->v4[k] += (u128t)cJSON_GetNumberValue(cJSON_GetObjectItem(ad, "ipv4"));
        s->v6_all[k] |= v6 && strcmp(v6, ALL_V6) == 0;
        s->v6[k] += dec128(v6);
    }
}

static const rule_sum *g_sums;

/* What the cells say rule `text` admits: IPv4 addresses, or /64 networks
** for an IPv6 rule; 0 when it decides no probe cell. */
static uint64_t breadth(const char *text, int v6)
{
    for (int k = 0; k < g_sums->n; k++) {
        if (strcmp(g_sums->text[k], text) != 0)
            continue;
        if (!v6)
            return (uint64_t)g_sums->v4[k];
        if (g_sums->v6_all[k])
            return UINT64_MAX;
        u128t n = g_sums->v6[k];
        return (uint64_t)(n >> 64) + ((uint64_t)n != 0);
    }
    return 0;
}

/* The IP rules' MOAT002 findings agree with the cells. */
static void check_wide(const moat_audit *a, const char *id, const cJSON *res,
                       uint64_t seed, agree *t)
{
    int seen[RULES_MAX] = {0};
    for (size_t i = 0; i < moat_audit_finding_count(a); i++) {
        const moat_finding *f = moat_audit_finding(a, i);
        if (strcmp(f->resource, id) != 0 || strcmp(f->rule->id, "MOAT002"))
            continue;
        char list[16], text[128], prof[64];
        unsigned idx;
        unsigned long long n;
        t->checks++;
        if (sscanf(f->message, "%15[^[][%u] %127s admits %llu", list, &idx,
                   text, &n) == 4) {
            char rule[200];
            int v6 = strcmp(list, "ipv6Rules") == 0;
            snprintf(rule, sizeof rule, "networkAcls.%s[%u] %s", list, idx,
                     text);
            uint64_t want = breadth(rule, v6);
            int latent = strstr(f->message, "not in force") != NULL;
            for (int k = 0; k < g_sums->n; k++)
                seen[k] |= strcmp(g_sums->text[k], rule) == 0;
            if (latent ? want != 0 : want != n || n <= WIDE)
                disagree(t, seed, id, "MOAT002 against the cells", f->message);
        } else if (sscanf(f->message, "perimeter rule %127s of profile %63s",
                          text, prof) == 2) {
            char rule[256];
            const char *c = strrchr(f->message, ':');
            snprintf(rule, sizeof rule, "profiles/%s/accessRules/%s", prof,
                     text);
            n = c ? strtoull(c + 1, NULL, 10) : 0;
            if (n <= WIDE || n > breadth(rule, 0))
                disagree(t, seed, id, "MOAT002 perimeter prefix", f->message);
        }
    }
    /* Every IP rule the cells say passes the threshold has its finding. */
    for (int k = 0; k < g_sums->n; k++) {
        const char *r = g_sums->text[k];
        int v6 = strncmp(r, "networkAcls.ipv6Rules[", 22) == 0;
        if (!v6 && strncmp(r, "networkAcls.ipRules[", 20) != 0)
            continue;
        t->checks++;
        if (!seen[k] && breadth(r, v6) > WIDE)
            disagree(t, seed, id, "MOAT002 missing for", r);
    }
    (void)res;
}

/* MOAT008: the kinds of rules that admit what Enforced would deny. */
static const char *cut_suffix(const cJSON *res, char *out, size_t cap)
{
    const char *seen[RULES_MAX];
    int n_seen = 0;
    unsigned every = 0, ip = 0, vnet = 0, trusted = 0, rar = 0, bypass = 0,
             other = 0;
    const cJSON *cell;
    cJSON_ArrayForEach(cell, cJSON_GetObjectItem(res, "cells"))
    {
        const char *d = cJSON_GetStringValue(cJSON_GetObjectItem(cell, "decision"));
        const char *e =
            cJSON_GetStringValue(cJSON_GetObjectItem(cell, "enforced_would"));
        const char *r = cJSON_GetStringValue(cJSON_GetObjectItem(cell, "rule"));
        if (!d || !e || !r || strcmp(d, "allow") || strcmp(e, "deny"))
            continue;
        int dup = 0;
        for (int k = 0; k < n_seen && !dup; k++)
            dup = strcmp(seen[k], r) == 0;
        if (dup || n_seen == RULES_MAX)
            continue;
        seen[n_seen++] = r;
#define IS(p) (strncmp(r, p, strlen(p)) == 0)
        if (IS("networkAcls.defaultAction") || IS("networkAcls (absent"))
            every++;
        else if (IS("networkAcls.ipRules[") || IS("networkAcls.ipv6Rules["))
            ip++;
        else if (IS("networkAcls.virtualNetworkRules["))
            vnet++;
        else if (IS("networkAcls.bypass AzureServices"))
            trusted++;
        else if (IS("networkAcls.resourceAccessRules["))
            rar++;
        else if (IS("networkAcls.bypass Logging") ||
                 IS("networkAcls.bypass Metrics"))
            bypass++;
        else
            other++;
#undef IS
    }
    char lost[512] = "";
    size_t n = 0;
    if (every)
        n += (size_t)snprintf(lost + n, sizeof lost - n,
                              "every address (default action Allow)");
    if (ip)
        n += (size_t)snprintf(lost + n, sizeof lost - n, "%s%u IP rule%s",
                              n ? ", " : "", ip, ip == 1 ? "" : "s");
    if (vnet)
        n += (size_t)snprintf(lost + n, sizeof lost - n,
                              "%s%u virtual network rule%s", n ? ", " : "",
                              vnet, vnet == 1 ? "" : "s");
    if (trusted)
        n += (size_t)snprintf(lost + n, sizeof lost - n, "%strusted services",
                              n ? ", " : "");
    if (rar)
        n += (size_t)snprintf(lost + n, sizeof lost - n,
                              "%s%u resource instance rule%s", n ? ", " : "",
                              rar, rar == 1 ? "" : "s");
    if (bypass)
        n += (size_t)snprintf(lost + n, sizeof lost - n,
                              "%sthe Logging/Metrics exceptions", n ? ", " : "");
    if (other)
        n += (size_t)snprintf(lost + n, sizeof lost - n, "%s%u other rule%s",
                              n ? ", " : "", other, other == 1 ? "" : "s");
    snprintf(out, cap, "%s%s",
             n ? "; Enforced would cut off "
               : "; Enforced would change nothing the resource's rules admit",
             lost);
    return out;
}

static const moat_finding *finding_of(const moat_audit *a, const char *id,
                                      const char *rule)
{
    for (size_t i = 0; i < moat_audit_finding_count(a); i++) {
        const moat_finding *f = moat_audit_finding(a, i);
        if (strcmp(f->resource, id) == 0 && strcmp(f->rule->id, rule) == 0)
            return f;
    }
    return NULL;
}

static void check_resource(const moat_audit *a, const char *id,
                           const cJSON *res, uint64_t seed, agree *t)
{
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(res, "kind"));
    int keyvault = kind && strcmp(kind, "keyvault") == 0;
    const cJSON *inet = cJSON_GetObjectItem(
        cJSON_GetObjectItem(res, "exposure"), "internet");
    const char *v6 = cJSON_GetStringValue(cJSON_GetObjectItem(inet, "ipv6"));
    int open = cJSON_GetNumberValue(cJSON_GetObjectItem(inet, "ipv4")) ==
                   4294967296.0 ||
               (v6 && strcmp(v6, ALL_V6) == 0);
    t->checks++;
    if (open != (finding_of(a, id, "MOAT001") != NULL))
        disagree(t, seed, id, "MOAT001 against exposure.internet",
                 open ? "exposure open, no finding" : "finding, not open");
    rule_sum sums;
    sum_rules(res, keyvault, &sums);
    g_sums = &sums;
    check_wide(a, id, res, seed, t);
    const cJSON *as = cJSON_GetObjectItem(res, "association");
    const char *mode = cJSON_GetStringValue(cJSON_GetObjectItem(as, "mode"));
    const moat_finding *f = finding_of(a, id, "MOAT008");
    int want = mode && strcmp(mode, "Enforced") != 0;
    char suffix[600];
    t->checks++;
    if (want != (f != NULL))
        disagree(t, seed, id, "MOAT008 presence", mode ? mode : "no association");
    else if (f && !strstr(f->message, cut_suffix(res, suffix, sizeof suffix)))
        disagree(t, seed, id, "MOAT008 against enforced_would", f->message);
}

static void agree_one(uint64_t seed, agree *t)
{
    gestate ge;
    g_estate(seed, seed % 3 == 0, &ge);
    moat_estate *es = harness_load(ge.json, 0, NULL);
    moat_audit_options opt = {NULL, WIDE, NULL, 0};
    moat_audit *a = NULL;
    if (es == NULL || moat_audit_run(es, &opt, &a) != MOAT_OK) {
        disagree(t, seed, "estate", "not loaded or not audited", NULL);
        moat_estate_free(es);
        free(ge.json);
        return;
    }
    for (size_t i = 0; i < moat_estate_resource_count(es); i++) {
        const char *id = moat_estate_resource_id(es, i, NULL, NULL, NULL);
        moat_cells *c = NULL;
        char *js = NULL;
        cJSON *res = NULL;
        if (moat_cells_compute(es, id, NULL, &c) == MOAT_OK)
            js = moat_cells_reach_json(c, 1, NULL);
        res = js ? cJSON_Parse(js) : NULL;
        if (res == NULL)
            disagree(t, seed, id, "no reach JSON", NULL);
        else
            check_resource(a, id, res, seed, t);
        cJSON_Delete(res);
        moat_free(js);
        moat_cells_free(c);
    }
    moat_audit_free(a);
    moat_estate_free(es);
    free(ge.json);
}

/* reach_req.h's random requests are test_reach.c's; this test asks one
** fixed probe. */
static void (*const unused_request)(grng *, const gestate *, greq *) =
    g_request;
static moat_status (*const unused_bind)(const greq *, const char *,
                                        moat_request *) = g_bind;

TEST(audit_agrees_with_reach_over_random_estates)
{
    agree t = {0, 0};
    const char *e = getenv("REACH_ESTATES");
    unsigned n = e ? (unsigned)atoi(e) : 150;
    for (unsigned s = 1; s <= n && t.bad < 20; s++)
        agree_one(1000 + s, &t);
    printf("#   audit vs reach: %u random estates, %llu checks, %llu "
           "disagreements\n",
           n, t.checks, t.bad);
    (void)unused_request;
    (void)unused_bind;
    ASSERT_EQ(t.bad, 0);
    ASSERT(t.checks >= 4 * n);
}
