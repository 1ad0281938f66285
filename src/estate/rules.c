/*
** rules.c - every rule that can admit a request, numbered across the
** estate: per resource its IPv4 and IPv6 rules, virtual network rules and
** resource instance rules, then per perimeter profile its inbound rules.
** Replay counts which numbers decided to find the rules that never do.
*/
#include "moat_int.h"

#include <stdio.h>
#include <string.h>

static uint32_t resource_rules(const resource *r)
{
    return (uint32_t)r->n_ip4 + r->n_ip6 + r->n_vnets + r->n_rars;
}

void moat__number_rules(moat_estate *es)
{
    uint32_t next = 0;
    for (size_t i = 0; i < es->n_resources; i++) {
        es->resources[i].rule_base = next;
        next += resource_rules(&es->resources[i]);
    }
    for (size_t i = 0; i < es->n_profiles; i++) {
        es->profiles[i].rule_base = next;
        next += es->profiles[i].n_rules;
    }
    es->n_rules = next;
}

size_t moat_estate_rule_count(const moat_estate *es)
{
    return es ? es->n_rules : 0;
}

static void describe_resource_rule(const resource *r, uint32_t k,
                                   moat_rule_info *out)
{
    out->owner = r->id;
    out->inbound = 1;
    if (k < r->n_ip4) {
        snprintf(out->text, sizeof out->text, "networkAcls.ipRules[%u] %s",
                 r->ip4[k].index, r->ip4[k].text);
        return;
    }
    k -= r->n_ip4;
    if (k < r->n_ip6) {
        snprintf(out->text, sizeof out->text, "networkAcls.ipv6Rules[%u] %s",
                 r->ip6[k].index, r->ip6[k].text);
        return;
    }
    k -= r->n_ip6;
    if (k < r->n_vnets) {
        snprintf(out->text, sizeof out->text,
                 "networkAcls.virtualNetworkRules[%u] %s", r->vnets[k].index,
                 r->vnets[k].id);
        return;
    }
    k -= r->n_vnets;
    snprintf(out->text, sizeof out->text,
             "networkAcls.resourceAccessRules[%u] %s", r->rars[k].index,
             r->rars[k].resource_id);
}

/* The index of the last owner whose first number is <= i: numbers rise
** with the owner, so a binary search over their first numbers. base
** steps through the owners' rule_base fields, stride bytes apart. */
static size_t last_owner(const void *base, size_t n, size_t stride, size_t i)
{
    size_t lo = 0, hi = n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t first;
        memcpy(&first, (const char *)base + mid * stride, sizeof first);
        if (first <= i)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static void describe_profile_rule(const profile *p, uint32_t k,
                                  moat_rule_info *out)
{
    const access_rule *ar = &p->rules[k];
    out->owner = p->id;
    out->inbound = ar->inbound;
    snprintf(out->text, sizeof out->text, "profiles/%s/accessRules/%s",
             p->name, ar->name);
}

moat_status moat_estate_rule(const moat_estate *es, size_t i,
                             moat_rule_info *out)
{
    if (es == NULL || out == NULL || i >= es->n_rules)
        return MOAT_E_NOTFOUND;
    if (es->n_resources) {
        const resource *r = &es->resources[last_owner(
            &es->resources[0].rule_base, es->n_resources, sizeof *r, i)];
        if (i >= r->rule_base && i < r->rule_base + resource_rules(r)) {
            describe_resource_rule(r, (uint32_t)(i - r->rule_base), out);
            return MOAT_OK;
        }
    }
    if (es->n_profiles) {
        const profile *p = &es->profiles[last_owner(
            &es->profiles[0].rule_base, es->n_profiles, sizeof *p, i)];
        if (i >= p->rule_base && i < p->rule_base + p->n_rules) {
            describe_profile_rule(p, (uint32_t)(i - p->rule_base), out);
            return MOAT_OK;
        }
    }
    return MOAT_E_NOTFOUND;
}

moat_status moat_estate_rules_of(const moat_estate *es, const char *id,
                                 size_t *first, size_t *n,
                                 size_t *profile_first, size_t *profile_n)
{
    moat_status st = MOAT_E_NOTFOUND;
    const resource *r =
        es && id ? moat__estate_find(es, id, strlen(id), &st) : NULL;
    if (r == NULL)
        return st == MOAT_OK ? MOAT_E_NOTFOUND : st;
    *first = r->rule_base;
    *n = resource_rules(r);
    const profile *p = r->assoc ? r->assoc->profile : NULL;
    *profile_first = p ? p->rule_base : 0;
    *profile_n = p ? p->n_rules : 0;
    return MOAT_OK;
}

long moat_decision_rule(const moat_request *q, const moat_decision *d)
{
    if (q == NULL || d == NULL || q->res == NULL)
        return -1;
    const resource *r = q->res;
    uint32_t i = MOAT_RULE_INDEX(d->rule_);
    switch (MOAT_RULE_KIND(d->rule_)) {
    case RK_IP4: return (long)(r->rule_base + i);
    case RK_IP6: return (long)(r->rule_base + r->n_ip4 + i);
    case RK_VNET: return (long)(r->rule_base + r->n_ip4 + r->n_ip6 + i);
    case RK_RAR:
        return (long)(r->rule_base + r->n_ip4 + r->n_ip6 + r->n_vnets + i);
    case RK_NSP_RULE:
        if (r->assoc && r->assoc->profile)
            return (long)(r->assoc->profile->rule_base + i);
        return -1;
    default: return -1;
    }
}
