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

/* The name of an admitting rule, as `moat explain`, replay and
** moat_estate_rule() print it: RK_IP4, RK_IP6, RK_VNET, RK_RAR index i of
** resource r, RK_NSP_RULE index i of profile p (the one rule formatter). */
void moat__rule_name(moat_buf *b, const resource *r, const profile *p,
                     rule_kind kind, uint16_t i)
{
    switch (kind) {
    case RK_IP4:
        moat__buf_printf(b, "networkAcls.ipRules[%u] %s", r->ip4[i].index,
                         r->ip4[i].text);
        break;
    case RK_IP6:
        moat__buf_printf(b, "networkAcls.ipv6Rules[%u] %s", r->ip6[i].index,
                         r->ip6[i].text);
        break;
    case RK_VNET:
        moat__buf_printf(b, "networkAcls.virtualNetworkRules[%u] %s",
                         r->vnets[i].index, r->vnets[i].id);
        break;
    case RK_RAR:
        moat__buf_printf(b, "networkAcls.resourceAccessRules[%u] %s",
                         r->rars[i].index, r->rars[i].resource_id);
        break;
    case RK_NSP_RULE:
        moat__buf_printf(b, "profiles/%s/accessRules/%s", p->name,
                         p->rules[i].name);
        break;
    default: break;
    }
}

/* The name into out->text, cut short as snprintf would. */
static void name_into(moat_rule_info *out, const resource *r, const profile *p,
                      rule_kind kind, uint32_t i)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__rule_name(&b, r, p, kind, (uint16_t)i);
    size_t n = b.failed ? 0 : b.len;
    if (n > sizeof out->text - 1)
        n = sizeof out->text - 1;
    if (n)
        memcpy(out->text, b.data, n);
    out->text[n] = '\0';
    moat__buf_free(&b);
}

static void describe_resource_rule(const resource *r, uint32_t k,
                                   moat_rule_info *out)
{
    out->owner = r->id;
    out->inbound = 1;
    static const rule_kind kinds[] = {RK_IP4, RK_IP6, RK_VNET};
    const uint32_t counts[] = {r->n_ip4, r->n_ip6, r->n_vnets};
    for (size_t j = 0; j < MOAT_ARRAY_LEN(kinds); j++) {
        if (k < counts[j]) {
            name_into(out, r, NULL, kinds[j], k);
            return;
        }
        k -= counts[j];
    }
    name_into(out, r, NULL, RK_RAR, k);
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
    out->owner = p->id;
    out->inbound = p->rules[k].inbound;
    name_into(out, NULL, p, RK_NSP_RULE, k);
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

long moat__rule_number(const resource *r, uint32_t ref)
{
    uint32_t i = MOAT_RULE_INDEX(ref);
    switch (MOAT_RULE_KIND(ref)) {
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
