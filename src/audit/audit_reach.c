/*
** audit_reach.c - the findings that speak of reachability, computed from
** the cells (src/reach, reach.h) so that `moat audit` and `moat reach`
** cannot disagree (issue 14): MOAT002's per-rule breadth (the addresses
** each rule actually admits, by the cells' rule attribution) and MOAT008
** (what an association's Enforced mode would cut off). MOAT001 and the
** exposure read the same cells (audit_facts.c).
*/
#include "audit_int.h"

#include <stdlib.h>
#include <string.h>

/* The cells of f's resource, computed once per resource; NULL (and the
** audit failed, rather than understate) when they cannot be. */
const moat_cells *moat__audit_cells(moat_audit *a, const facts *f)
{
    if (!a->cells_tried) {
        a->cells_tried = 1;
        a->cells = moat__reach_open(f->es, f->r);
        a->failed |= a->cells == NULL;
    }
    return a->cells;
}

void moat__audit_cells_done(moat_audit *a)
{
    moat_cells_free(a->cells);
    a->cells = NULL;
    a->cells_tried = 0;
}

/* The addresses rule ref admits inside c, from the cells: IPv4 addresses,
** or for IPv6 the /64 networks they make up (rounded up); 0 when the
** cells cannot say (the audit has failed). */
static uint64_t rule_breadth(moat_audit *a, const facts *f, uint32_t ref,
                             const moat_cidr *c)
{
    const moat_cells *m = moat__audit_cells(a, f);
    moat_u128 n;
    int all = 0;
    if (m == NULL || moat__reach_rule_addresses(m, ref, c, &n, &all) != 0) {
        a->failed = 1;
        return 0;
    }
    if (c->addr.family == 4)
        return n.lo;
    return all ? UINT64_MAX : n.hi + (n.lo != 0);
}

/* An IP rule wider than the threshold. In force, its breadth is what the
** cells say it admits (a rule shadowed by an earlier one admits only what
** is left to it); not in force (the firewall's IP rules are not
** consulted), its configured breadth, said to be latent. */
static void wide_ip_rule(moat_audit *a, const facts *f, uint16_t i,
                         uint64_t threshold)
{
    const resource *r = f->r;
    int v6 = i >= r->n_ip4;
    const ip_rule *ir = v6 ? &r->ip6[i - r->n_ip4] : &r->ip4[i];
    uint64_t n = moat__cidr_size(&ir->cidr);
    /* IPv6 ranges are judged by the same count of /64 networks. */
    if (v6)
        n = ir->cidr.prefix >= 64          ? 1
            : (64 - ir->cidr.prefix) >= 63 ? UINT64_MAX
                                           : 1ULL << (64 - ir->cidr.prefix);
    if (n > threshold && f->firewall)
        n = rule_breadth(a, f,
                         MOAT_RULE_REF(v6 ? RK_IP6 : RK_IP4,
                                       v6 ? i - r->n_ip4 : i),
                         &ir->cidr);
    if (n <= threshold)
        return;
    const char *list = v6 ? "ipv6Rules" : "ipRules";
    moat_finding *x = moat__audit_finding(
        a, r, R_WIDE_RANGE, ir->text,
        moat__audit_fmt(
            a, "%s[%u] %s admits %llu %s%s", list, ir->index, ir->text,
            (unsigned long long)n, v6 ? "/64 networks" : "addresses",
            f->firewall
                ? ""
                : " (not in force now: the firewall's IP rules are not consulted)"));
    if (x && n >= (1ULL << 24))
        x->level = MOAT_LEVEL_HIGH;
    moat__audit_evidence(a, x,
                         moat__audit_fmt(a, "properties.networkAcls.%s[%u].value",
                                         list, ir->index),
                         ir->text, MOAT_BASIS_EXPLICIT);
    if (x)
        x->fix = moat__audit_cmd(
            a,
            r->kind == RES_STORAGE
                ? "az storage account network-rule remove %r --%r %s"
                : "az keyvault network-rule remove %r --%r %s",
            moat__audit_az_target(a, r), v6 ? "ipv6-address" : "ip-address",
            ir->text);
}

/* An IPv4 prefix of an inbound perimeter rule wider than the threshold:
** the addresses of the prefix the cells say the rule admits. */
static void wide_perimeter_prefix(moat_audit *a, const facts *f, uint16_t k,
                                  uint16_t p, uint64_t threshold)
{
    const profile *pf = f->a->profile;
    const access_rule *ar = &pf->rules[k];
    uint64_t n = moat__cidr_size(&ar->cidrs[p]);
    if (ar->cidrs[p].addr.family != 4 || n <= threshold)
        return;
    n = rule_breadth(a, f, MOAT_RULE_REF(RK_NSP_RULE, k), &ar->cidrs[p]);
    if (n <= threshold)
        return;
    moat_finding *x = moat__audit_finding(
        a, f->r, R_WIDE_RANGE,
        moat__audit_fmt(a, "%s/%s", ar->name, ar->prefixes[p]),
        moat__audit_fmt(
            a, "perimeter rule %s of profile %s admits %s: %llu addresses",
            ar->name, pf->name, ar->prefixes[p], (unsigned long long)n));
    if (x && n >= (1ULL << 24))
        x->level = MOAT_LEVEL_HIGH;
    moat__audit_evidence(
        a, x, moat__audit_fmt(a, "%s.properties.addressPrefixes[%u]", ar->id, p),
        ar->prefixes[p], MOAT_BASIS_EXPLICIT);
}

void moat__audit_find_wide_rules(moat_audit *a, const facts *f,
                                 uint64_t threshold)
{
    const resource *r = f->r;
    for (uint16_t i = 0; i < r->n_ip4 + r->n_ip6; i++)
        wide_ip_rule(a, f, i, threshold);
    const profile *pf = f->nsp && f->a->profile ? f->a->profile : NULL;
    for (uint16_t k = 0; pf && k < pf->n_rules; k++) {
        for (uint16_t p = 0; pf->rules[k].inbound && p < pf->rules[k].n_prefixes;
             p++)
            wide_perimeter_prefix(a, f, k, p, threshold);
    }
}

/*--------------------------------------------------------------------------
** MOAT008: what Enforced would cut off.
*/
#define CUTS_MAX 4096

typedef struct cut_kinds {
    unsigned every, ip, vnet, trusted, rar, bypass, other;
} cut_kinds;

/* The rules that admit what Enforced would deny, by kind (distinct rules
** counted once). */
static int enforced_cuts(moat_audit *a, const facts *f, cut_kinds *k)
{
    memset(k, 0, sizeof *k);
    const moat_cells *m = moat__audit_cells(a, f);
    uint32_t *refs = malloc(CUTS_MAX * sizeof *refs);
    if (m == NULL || refs == NULL) {
        a->failed = 1;
        free(refs);
        return -1;
    }
    size_t n = moat__reach_enforced_cuts(m, refs, CUTS_MAX);
    for (size_t i = 0; i < n; i++) {
        switch (MOAT_RULE_KIND(refs[i])) {
        case RK_DEFAULT_ACTION:
        case RK_NO_ACLS: k->every++; break;
        case RK_IP4:
        case RK_IP6: k->ip++; break;
        case RK_VNET: k->vnet++; break;
        case RK_TRUSTED: k->trusted++; break;
        case RK_RAR: k->rar++; break;
        case RK_BYPASS_LOGGING:
        case RK_BYPASS_METRICS: k->bypass++; break;
        default: k->other++; break;
        }
    }
    free(refs);
    return 0;
}

/* "every address (default action Allow), 2 virtual network rules, ..." */
static const char *cuts_text(moat_audit *a, const cut_kinds *k)
{
    char lost[512] = "";
    size_t n = 0;
#define CUT(cond, ...)                                                         \
    if (cond)                                                                  \
        n += (size_t)snprintf(lost + n, sizeof lost - n, __VA_ARGS__)
    CUT(k->every, "every address (default action Allow)");
    CUT(k->ip, "%s%u IP rule%s", n ? ", " : "", k->ip, k->ip == 1 ? "" : "s");
    CUT(k->vnet, "%s%u virtual network rule%s", n ? ", " : "", k->vnet,
        k->vnet == 1 ? "" : "s");
    CUT(k->trusted, "%strusted services", n ? ", " : "");
    CUT(k->rar, "%s%u resource instance rule%s", n ? ", " : "", k->rar,
        k->rar == 1 ? "" : "s");
    CUT(k->bypass, "%sthe Logging/Metrics exceptions", n ? ", " : "");
    CUT(k->other, "%s%u other rule%s", n ? ", " : "", k->other,
        k->other == 1 ? "" : "s");
#undef CUT
    return n ? moat__audit_fmt(a, "; Enforced would cut off %s", lost)
             : "; Enforced would change nothing the resource's rules admit";
}

void moat__audit_find_not_enforcing(moat_audit *a, const facts *f)
{
    const assoc *as = f->a;
    cut_kinds k;
    if (as == NULL || as->mode == MODE_ENFORCED || enforced_cuts(a, f, &k))
        return;
    moat_finding *x = moat__audit_finding(
        a, f->r, R_NOT_ENFORCING, as->id,
        moat__audit_fmt(
            a, "association %s of perimeter %s is in %s mode%s%s", as->name,
            as->perimeter ? as->perimeter->name : "?", as->mode_text,
            as->mode == MODE_AUDIT ? ": the perimeter only reports" : "",
            cuts_text(a, &k)));
    moat__audit_evidence(a, x,
                         moat__audit_fmt(a, "%s.properties.accessMode", as->id),
                         as->mode_text, MOAT_BASIS_EXPLICIT);
    if (x)
        x->fix = moat__audit_cmd(
            a,
            "az network perimeter association update --resource-group %s --perimeter-name %s --name %s --access-mode Enforced",
            moat__audit_rg_of_id(a, as->perimeter ? as->perimeter->id : NULL),
            as->perimeter ? as->perimeter->name : "<perimeter>", as->name);
}
