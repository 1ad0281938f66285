/*
** audit_exposure.c - what each class of sources can reach, and through
** which rule (docs/audit.md, "Exposure").
*/
#include "audit_int.h"

#include <stdlib.h>
#include <string.h>

/*--------------------------------------------------------------------------
** Exposure by source class.
*/
static void expose(moat_audit *a, const resource *r, const char *source,
                   const char *admitted, const char *detail)
{
    moat_exposure *e = PUSH(a, a->exposures);
    if (e == NULL)
        return;
    e->resource = r->id;
    e->source = source;
    e->admitted = admitted;
    e->detail = detail;
}

/* Trusted services (decision.md section 4, trusted()): admitted by the
** AzureServices exception when the resource's own rules are consulted and
** its tenant is known. */
static void expose_trusted(moat_audit *a, const facts *f, int open)
{
    const resource *r = f->r;
    const char *src = "trusted-services";
    if (open)
        expose(
            a, r, src, "all",
            "default action Allow admits every caller, trusted services included");
    else if (!f->fallback)
        expose(a, r, src, "none",
               "the resource's exceptions are not consulted");
    else if (r->bypass_basis == BASIS_UNKNOWN)
        expose(a, r, src, "unknown", "networkAcls.bypass is unknown");
    else if (!(r->bypass & BYPASS_AZURE_SERVICES))
        expose(a, r, src, "none", "AzureServices is not in bypass");
    else if (r->tenant == MOAT_ID_NONE)
        expose(a, r, src, "none",
               "bypass AzureServices, but the tenant is unknown (fail closed)");
    else
        expose(
            a, r, src, "some",
            moat__audit_fmt(
                a,
                "services of the %s catalog from tenant %s (bypass AzureServices)",
                f->storage ? "storage" : "Key Vault", r->tenant_text));
}

/* Which lists admit the internet: "ipRules, ipv6Rules and perimeter
** address rules", as many as public_sets holds with addresses in them. */
static const char *internet_lists(moat_audit *a, const facts *f)
{
    const moat_prefix_set *sets[3];
    size_t n_sets = moat__audit_public_sets(f, sets);
    const char *names[4], *out = "";
    size_t n = 0;
    for (size_t i = 0; i < n_sets; i++) {
        const moat_prefix_set *p = sets[i];
        if (p == &f->r->ips) {
            if (p->n4)
                names[n++] = "ipRules";
            if (p->n6)
                names[n++] = "ipv6Rules";
        } else if (p->n4 || p->n6) {
            names[n++] = p == &f->a->profile->prefixes
                             ? "perimeter address rules"
                             : "perimeter service-tag rules";
        }
    }
    for (size_t i = 0; i < n; i++)
        out = moat__audit_fmt(a, "%s%s%s", out,
                              i == 0       ? ""
                              : i + 1 == n ? " and "
                                           : ", ",
                              names[i]);
    return n ? out : "no rule";
}

/* The internet: both address families counted (decision.md section 4:
** IP rules and perimeter address prefixes of either family). "all" when
** every IPv4 address gets in, as before IPv6 was counted; every IPv6
** address alone is "some", and MOAT001 (find_internet) says it. */
/* What keeps the firewall's answer unknown: whether it is consulted
** (publicNetworkAccess, read as Disabled to decide) or its default action
** (read as Deny) being a template expression or a value known after apply.
** Either may really open the public path to everyone, so the exposures the
** firewall decides are unknown, never "none". NULL when both are known. */
static const char *firewall_unknown(const facts *f)
{
    const resource *r = f->r;
    if (moat__audit_mode_basis(f) == MOAT_BASIS_UNKNOWN)
        return "the perimeter association's access mode is unknown";
    if (!f->fallback)
        return NULL;
    if (r->pna_basis == BASIS_UNKNOWN)
        return "publicNetworkAccess is unknown";
    if (r->default_basis == BASIS_UNKNOWN)
        return "networkAcls.defaultAction is unknown";
    return NULL;
}

/* The internet exposure's level and words. */
static const char *internet_level(moat_audit *a, const facts *f,
                                  const char **detail)
{
    const resource *r = f->r;
    addr_count v4 = moat__audit_internet_addresses(a, f, 4);
    addr_count v6 = moat__audit_internet_addresses(a, f, 6);
    int v6_some = v6.all || v6.n.hi || v6.n.lo;
    const char *unknown = firewall_unknown(f);
    if (unknown && !f->locked && !v4.all) {
        *detail =
            v4.n.lo || v6_some
                ? moat__audit_fmt(
                      a,
                      "%s (at least %s IPv4 and %s IPv6 addresses through %s)",
                      unknown, moat__audit_count_text(a, v4),
                      moat__audit_count_text(a, v6), internet_lists(a, f))
                : unknown;
        return "unknown";
    }
    if (f->locked) {
        *detail = "SecuredByPerimeter without a perimeter";
        return "none";
    }
    if (v4.all) {
        *detail = !(f->firewall && r->default_allow)
                      ? "address rules cover the whole IPv4 space"
                  : r->acl_basis == BASIS_DEFAULT
                      ? "no networkAcls: Azure's default action Allow"
                      : "networkAcls.defaultAction Allow";
        return "all";
    }
    if (v4.n.lo || v6_some) {
        *detail = moat__audit_fmt(
            a, "%s IPv4 addresses and %s IPv6 address%s through %s",
            moat__audit_count_text(a, v4), moat__audit_count_text(a, v6),
            v6.all && !v6.n.hi && !v6.n.lo ? "" : "es", internet_lists(a, f));
        return "some";
    }
    if (r->ip_basis == BASIS_UNKNOWN && f->firewall) {
        *detail = "the IP rules are unknown";
        return "unknown";
    }
    *detail = f->enforced ? "Enforced perimeter with no address rule"
              : r->pna == PNA_DISABLED ? "publicNetworkAccess Disabled"
                                       : "no IP rule and default action Deny";
    return "none";
}

/* The internet; for a key vault also its own region, whose callers its IP
** rules see as any other (the same-region rule is Storage's alone,
** decision.md section 7). */
static void expose_internet(moat_audit *a, const facts *f)
{
    const char *detail;
    const char *level = internet_level(a, f, &detail);
    expose(a, f->r, "internet", level, detail);
    if (!f->storage)
        expose(
            a, f->r, "azure-same-region", level,
            moat__audit_fmt(
                a,
                "as from the internet (Key Vault's IP rules see same-region callers): %s",
                detail));
}

static void expose_private_endpoints(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    unsigned approved, unknown;
    moat_basis pb = moat__audit_pe_counts(r, &approved, &unknown);
    expose(a, r, "private-endpoints",
           approved                   ? "some"
           : pb == MOAT_BASIS_UNKNOWN ? "unknown"
                                      : "none",
           pb == MOAT_BASIS_UNKNOWN && r->n_pes == 0
               ? "privateEndpointConnections is unknown"
               : moat__audit_fmt(
                     a, "%u Approved connection%s of %u%s", approved,
                     approved == 1 ? "" : "s", r->n_pes,
                     unknown ? moat__audit_fmt(a, " (%u of unknown approval)",
                                               unknown)
                             : ""));
}

/* Same region and virtual networks: what the firewall alone decides. */
static void expose_firewall(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    /* Same region (storage): IP and perimeter address rules do not
    ** apply; a key vault's is its internet exposure. */
    const char *fw_unknown = firewall_unknown(f);
    if (f->storage)
        expose(
            a, r, "azure-same-region",
            f->firewall && r->default_allow ? "all"
            : fw_unknown                    ? "unknown"
                                            : "none",
            f->firewall && r->default_allow
                ? "default action Allow (IP rules do not see same-region callers)"
            : fw_unknown
                ? fw_unknown
                : "IP rules do not apply to callers in the resource's region");
    if (fw_unknown)
        expose(a, r, "virtual-networks", "unknown", fw_unknown);
    else if (f->firewall && r->default_allow)
        expose(a, r, "virtual-networks", "all", "default action Allow");
    else if (f->firewall && r->n_vnet_active)
        expose(a, r, "virtual-networks", "some",
               moat__audit_fmt(a, "%u subnet%s through virtualNetworkRules",
                               r->n_vnet_active,
                               r->n_vnet_active == 1 ? "" : "s"));
    else
        expose(a, r, "virtual-networks",
               r->vnet_basis == BASIS_UNKNOWN ? "unknown" : "none",
               !f->firewall
                   ? "the firewall's virtual network rules are not consulted"
                   : "no active virtual network rule");
}

void moat__audit_exposure_of(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    const profile *pf = f->nsp && f->a->profile ? f->a->profile : NULL;
    expose_internet(a, f);
    expose_firewall(a, f);
    int open = f->firewall && r->default_allow;
    expose_trusted(a, f, open);
    if (open)
        expose(a, r, "identities", "all",
               "default action Allow admits every caller");
    else if (f->storage && f->fallback && moat__audit_own_tenant_rars(r))
        expose(a, r, "identities", "some",
               moat__audit_fmt(a, "%u resource instance rule%s",
                               moat__audit_own_tenant_rars(r),
                               moat__audit_own_tenant_rars(r) == 1 ? "" : "s"));
    else
        expose(a, r, "identities",
               r->rar_basis == BASIS_UNKNOWN ? "unknown" : "none",
               f->storage ? "no resource instance rule in force"
                          : "Key Vault has no resource instance rules");
    expose_private_endpoints(a, f);
    if (f->nsp)
        expose(a, r, "perimeters", "some",
               moat__audit_fmt(
                   a, "callers inside perimeter %s%s, %u linked perimeter%s%s",
                   f->a->perimeter ? f->a->perimeter->name : "?",
                   f->enforced ? " (Enforced)" : " (Learning)", f->a->n_joins,
                   f->a->n_joins == 1 ? "" : "s",
                   pf && pf->n_subs ? ", and subscription rules" : ""));
    else
        expose(a, r, "perimeters", "none",
               f->a ? "Audit mode: the perimeter does not admit"
                    : "not associated with a perimeter");
}
