/*
** audit_findings.c - findings no field-by-field scanner makes: wide
** ranges, wildcard or cross-tenant instance rules, exceptions that outlive
** Disabled, perimeters that do not enforce, rules that can never match,
** values Azure would refuse (docs/audit.md, "Findings").
*/
#include "audit_int.h"

#include <stdlib.h>
#include <string.h>

/*--------------------------------------------------------------------------
** Findings.
*/
typedef struct finding_builder {
    moat_audit *a;
    moat_finding *f;
    VEC_OF(moat_evidence) ev;
} finding_builder;

static void fingerprint(moat_audit *a, moat_finding *f, const char *what)
{
    char key[2048];
    snprintf(key, sizeof key, "%s|%s|%s", f->rule->id, f->resource,
             what ? what : "");
    uint64_t h = moat__hash_ci(key, strlen(key));
    f->fingerprint = moat__audit_fmt(a, "%016llx", (unsigned long long)h);
}

/* For audit/deps.c (audit_deps.h). */
moat_finding *moat__audit_add_finding(moat_audit *a, const char *rule_id,
                                      const char *resource_id, const char *name,
                                      const char *address, const char *file,
                                      unsigned line, const char *message,
                                      const char *what)
{
    size_t k = 0;
    while (k < R_COUNT && strcmp(moat__audit_rules[k].id, rule_id) != 0)
        k++;
    moat_finding *f = k < R_COUNT ? PUSH(a, a->findings) : NULL;
    if (f == NULL)
        return NULL;
    f->rule = &moat__audit_rules[k];
    f->level = moat__audit_rules[k].level;
    f->resource = resource_id;
    f->resource_name = name;
    f->address = address;
    f->file = file;
    f->line = line;
    f->message = message;
    f->fix = "";
    fingerprint(a, f, what);
    return f;
}

moat_audited *moat__audit_add_resource(moat_audit *a)
{
    return PUSH(a, a->resources);
}

size_t moat__audit_n_findings(const moat_audit *a)
{
    return a->findings.n;
}

void moat__audit_set_failed(moat_audit *a)
{
    a->failed = 1;
}

deps_run *moat__audit_deps(const moat_audit *a)
{
    return a->deps;
}

size_t moat_audit_dependency_count(const moat_audit *a)
{
    return a ? moat__deps_count(a->deps) : 0;
}

const moat_dependency *moat_audit_dependency(const moat_audit *a, size_t i)
{
    return a ? moat__deps_at(a->deps, i) : NULL;
}

moat_finding *moat__audit_finding(moat_audit *a, const resource *r, int rule,
                                  const char *what, const char *message)
{
    moat_finding *f = PUSH(a, a->findings);
    if (f == NULL)
        return NULL;
    f->rule = &moat__audit_rules[rule];
    f->level = moat__audit_rules[rule].level;
    f->resource = r->id;
    f->resource_name = r->name;
    f->address = r->address;
    f->file = r->file;
    f->line = r->line;
    f->message = message;
    f->fix = "";
    fingerprint(a, f, what);
    return f;
}

void moat__audit_evidence(moat_audit *a, moat_finding *f, const char *path,
                          const char *value, moat_basis b)
{
    if (f == NULL)
        return;
    moat_evidence *e =
        moat__arena_alloc(&a->arena, (f->n_evidence + 1) * sizeof *e);
    if (e == NULL) {
        a->failed = 1;
        return;
    }
    if (f->n_evidence)
        memcpy(e, f->evidence, f->n_evidence * sizeof *e);
    e[f->n_evidence].path = path;
    e[f->n_evidence].value = value;
    e[f->n_evidence].basis = b;
    f->evidence = e;
    f->n_evidence++;
}

/* networkAcls.bypass as Azure writes it back: "Logging, Metrics,
** AzureServices", or "None". */
const char *moat__audit_bypass_text(unsigned bypass)
{
    static const char *const text[8] = {
        "None",
        "Logging",
        "Metrics",
        "Logging, Metrics",
        "AzureServices",
        "Logging, AzureServices",
        "Metrics, AzureServices",
        "Logging, Metrics, AzureServices",
    };
    unsigned k = ((bypass & BYPASS_LOGGING) ? 1u : 0u) |
                 ((bypass & BYPASS_METRICS) ? 2u : 0u) |
                 ((bypass & BYPASS_AZURE_SERVICES) ? 4u : 0u);
    return text[k];
}

const char *moat__audit_az_target(moat_audit *a, const resource *r)
{
    return r->kind == RES_STORAGE
               ? moat__audit_cmd(a, "--resource-group %s --account-name %s",
                                 moat__audit_rg_of(a, r), r->name)
               : moat__audit_cmd(a, "--resource-group %s --name %s",
                                 moat__audit_rg_of(a, r), r->name);
}

const char *moat__audit_az_update(moat_audit *a, const resource *r,
                                  const char *args)
{
    return moat__audit_cmd(a, "az %r update --resource-group %s --name %s %r",
                           r->kind == RES_STORAGE ? "storage account"
                                                  : "keyvault",
                           moat__audit_rg_of(a, r), r->name, args);
}

/* Every address of a family gets in: the default action Allow, or address
** rules covering the whole IPv4 or the whole IPv6 space ("::/0" in
** ipv6Rules: moat check admits any IPv6 source through it). */
static void find_internet(moat_audit *a, const facts *f)
{
    addr_count v4 = moat__audit_internet_addresses(a, f, 4);
    addr_count v6 = moat__audit_internet_addresses(a, f, 6);
    if (!v4.all && !v6.all)
        return;
    const resource *r = f->r;
    moat_finding *x = moat__audit_finding(
        a, r, R_INTERNET, NULL,
        moat__audit_fmt(
            a, "%s %s admits every %saddress on the public path: %s",
            r->kind == RES_STORAGE ? "Storage account" : "Key vault", r->name,
            v4.all ? "" : "IPv6 ",
            r->default_allow && f->firewall
                ? (r->acl_basis == BASIS_DEFAULT
                       ? "no networkAcls, so Azure's default action Allow applies"
                       : "networkAcls.defaultAction is Allow")
            : v4.all ? "its address rules cover the whole IPv4 space"
                     : "its address rules cover the whole IPv6 space"));
    moat__audit_evidence(a, x, "properties.publicNetworkAccess",
                         moat__pna_name(r->pna),
                         moat__audit_to_basis(r->pna_basis));
    moat__audit_evidence(a, x, "properties.networkAcls.defaultAction",
                         r->default_allow ? "Allow" : "Deny",
                         moat__audit_to_basis(r->default_basis));
    if (x)
        x->fix = moat__audit_az_update(a, r, "--default-action Deny");
}

/* Many narrow rules can add up to a wide opening: the union of the IPv4
** addresses the public path admits, counted once each, when no single rule
** was already reported and the whole space is not open (MOAT001 says so). */
static void find_wide_union(moat_audit *a, const facts *f, uint64_t threshold,
                            size_t before)
{
    if (a->findings.n != before)
        return;
    addr_count v4 = moat__audit_internet_addresses(a, f, 4);
    uint64_t n = v4.n.lo;
    if (v4.all || n <= threshold)
        return;
    moat_finding *x = moat__audit_finding(
        a, f->r, R_WIDE_RANGE, "union",
        moat__audit_fmt(
            a,
            "IP and perimeter address rules together admit %llu IPv4 addresses, more than %llu, though no single rule does",
            (unsigned long long)n, (unsigned long long)threshold));
    if (x && n >= (1ULL << 24))
        x->level = MOAT_LEVEL_HIGH;
    moat__audit_evidence(a, x, "properties.networkAcls.ipRules",
                         moat__audit_fmt(a, "%u rules", f->r->n_ip4),
                         MOAT_BASIS_EXPLICIT);
}

/* Wide ranges: each rule's breadth as the cells attribute it
** (audit_reach.c), then their union. */
static void find_wide(moat_audit *a, const facts *f, uint64_t threshold)
{
    size_t before = a->findings.n;
    moat__audit_find_wide_rules(a, f, threshold);
    find_wide_union(a, f, threshold, before);
}

static void find_log_metrics(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    if (!f->storage || !f->fallback ||
        !(r->bypass & (BYPASS_LOGGING | BYPASS_METRICS)))
        return;
    int firewall_open = f->firewall && r->default_allow;
    if (firewall_open)
        return; /* everything is open anyway; MOAT001 says so */
    const char *what =
        (r->bypass & BYPASS_LOGGING) && (r->bypass & BYPASS_METRICS)
            ? "the $logs container and the $Metrics tables"
        : (r->bypass & BYPASS_LOGGING) ? "the $logs container"
                                       : "the $Metrics tables";
    moat_finding *x = moat__audit_finding(
        a, r, R_LOG_METRICS, NULL,
        moat__audit_fmt(
            a, "reads of %s are admitted from any network, past the firewall%s",
            what,
            r->pna == PNA_DISABLED ? " and past publicNetworkAccess Disabled"
                                   : ""));
    moat__audit_evidence(a, x, "properties.networkAcls.bypass",
                         moat__audit_bypass_text(r->bypass),
                         moat__audit_to_basis(r->bypass_basis));
    if (x)
        x->fix = moat__audit_az_update(a, r,
                                       (r->bypass & BYPASS_AZURE_SERVICES)
                                           ? "--bypass AzureServices"
                                           : "--bypass None");
}

static void find_instance_rules(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    for (uint16_t i = 0; i < r->n_rars; i++) {
        const rar_rule *p = &r->rars[i];
        const char *path = moat__audit_fmt(
            a, "properties.networkAcls.resourceAccessRules[%u]", p->index);
        if (p->wildcard) {
            /* /subscriptions/{s}/resourceGroups/{g}/providers/NS/type/{n} */
            int star_sub = p->nseg > 1 && p->seg_len[1] == 1 &&
                           p->resource_id[p->seg_off[1]] == '*';
            int star_rg = p->nseg > 3 && p->seg_len[3] == 1 &&
                          p->resource_id[p->seg_off[3]] == '*';
            const char *breadth =
                star_sub  ? "every subscription of the tenant"
                : star_rg ? "every resource group of the subscription"
                          : "the resource group";
            moat_finding *x = moat__audit_finding(
                a, r, R_WILDCARD_INSTANCE, p->resource_id,
                moat__audit_fmt(
                    a,
                    "resource instance rule %s admits every matching resource in %s (tenant %s)",
                    p->resource_id, breadth, p->tenant_text));
            if (x)
                x->level = star_sub  ? MOAT_LEVEL_HIGH
                           : star_rg ? MOAT_LEVEL_MEDIUM
                                     : MOAT_LEVEL_LOW;
            moat__audit_evidence(a, x,
                                 moat__audit_fmt(a, "%s.resourceId", path),
                                 p->resource_id, MOAT_BASIS_EXPLICIT);
            if (x)
                x->fix = moat__audit_cmd(
                    a,
                    "az storage account network-rule remove %r --resource-id %s --tenant-id %s",
                    moat__audit_az_target(a, r), p->resource_id,
                    p->tenant_text);
        }
        if (r->tenant != MOAT_ID_NONE && !moat__same_id(p->tenant, r->tenant)) {
            moat_finding *x = moat__audit_finding(
                a, r, R_CROSS_TENANT_INSTANCE, p->resource_id,
                moat__audit_fmt(
                    a,
                    "resource instance rule %s names tenant %s; the account is in tenant %s, and Azure admits only its own tenant's instances: the rule admits nothing",
                    p->resource_id, p->tenant_text, r->tenant_text));
            moat__audit_evidence(a, x, moat__audit_fmt(a, "%s.tenantId", path),
                                 p->tenant_text, MOAT_BASIS_EXPLICIT);
            if (x)
                x->fix = moat__audit_cmd(
                    a,
                    "az storage account network-rule remove %r --resource-id %s --tenant-id %s",
                    moat__audit_az_target(a, r), p->resource_id,
                    p->tenant_text);
        }
    }
}

static void find_disabled_exceptions(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    if (r->pna != PNA_DISABLED || !f->fallback)
        return;
    char what[256] = "";
    size_t n = 0;
    if (r->bypass & BYPASS_AZURE_SERVICES)
        n += (size_t)snprintf(what + n, sizeof what - n, "%strusted services",
                              n ? ", " : "");
    if (f->storage && r->n_rars)
        n += (size_t)snprintf(what + n, sizeof what - n,
                              "%s%u resource instance rule%s", n ? ", " : "",
                              r->n_rars, r->n_rars == 1 ? "" : "s");
    if (f->storage && (r->bypass & BYPASS_LOGGING))
        n += (size_t)snprintf(what + n, sizeof what - n, "%sLogging",
                              n ? ", " : "");
    if (f->storage && (r->bypass & BYPASS_METRICS))
        n += (size_t)snprintf(what + n, sizeof what - n, "%sMetrics",
                              n ? ", " : "");
    if (n == 0)
        return;
    moat_finding *x = moat__audit_finding(
        a, r, R_DISABLED_EXCEPTIONS, NULL,
        moat__audit_fmt(
            a,
            "publicNetworkAccess is Disabled, yet %s still admit traffic from outside private endpoints",
            what));
    moat__audit_evidence(a, x, "properties.publicNetworkAccess", "Disabled",
                         moat__audit_to_basis(r->pna_basis));
    moat__audit_evidence(a, x, "properties.networkAcls.bypass",
                         (r->bypass & BYPASS_AZURE_SERVICES) ? "AzureServices"
                                                             : "None",
                         moat__audit_to_basis(r->bypass_basis));
    if (x)
        x->fix = moat__audit_az_update(a, r, "--bypass None");
}

static void find_lockdown(moat_audit *a, const facts *f)
{
    if (!f->locked)
        return;
    moat_finding *x = moat__audit_finding(
        a, f->r, R_LOCKDOWN, NULL,
        moat__audit_fmt(
            a,
            "publicNetworkAccess is SecuredByPerimeter and no perimeter is associated: every public and trusted request is refused; %u private endpoint connection%s",
            f->r->n_pes, f->r->n_pes == 1 ? "" : "s"));
    moat__audit_evidence(a, x, "properties.publicNetworkAccess",
                         "SecuredByPerimeter",
                         moat__audit_to_basis(f->r->pna_basis));
}

static void find_vnet_rules(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    for (uint16_t i = 0; i < r->n_vnets; i++) {
        const vnet_rule *v = &r->vnets[i];
        const char *path = moat__audit_fmt(
            a, "properties.networkAcls.virtualNetworkRules[%u]", v->index);
        if (v->state != VNET_SUCCEEDED && v->state != VNET_ABSENT &&
            v->state != VNET_UNKNOWN) {
            moat_finding *x = moat__audit_finding(
                a, r, R_VNET_INACTIVE, v->id,
                moat__audit_fmt(
                    a,
                    "virtual network rule for %s is in state %s and admits nothing",
                    v->id, moat__vnet_state_name(v->state)));
            moat__audit_evidence(a, x, moat__audit_fmt(a, "%s.state", path),
                                 moat__vnet_state_name(v->state),
                                 MOAT_BASIS_EXPLICIT);
            if (x)
                x->fix = moat__audit_cmd(
                    a, "az %r network-rule remove %r --subnet %s",
                    r->kind == RES_STORAGE ? "storage account" : "keyvault",
                    moat__audit_az_target(a, r), v->id);
        }
        const subnet_info *si =
            moat__index_get(&f->es->subnet_by_id, v->id, strlen(v->id));
        if (si && !moat__subnet_reaches(si, r)) {
            const char *need =
                r->kind == RES_KEYVAULT
                    ? "Microsoft.KeyVault"
                    : "Microsoft.Storage (or Microsoft.Storage.Global)";
            moat_finding *x = moat__audit_finding(
                a, r, R_VNET_NO_ENDPOINT, v->id,
                moat__audit_fmt(
                    a,
                    "subnet %s has no %s service endpoint reaching %s: its traffic takes the public path and this rule never matches",
                    v->id, need, r->location ? r->location : "the resource"));
            moat__audit_evidence(a, x, moat__audit_fmt(a, "%s.id", path), v->id,
                                 MOAT_BASIS_EXPLICIT);
            if (x) {
                const char *rg = moat__audit_rg_of_id(a, v->id);
                const char *vnet =
                    moat__audit_id_after(a, v->id, "virtualNetworks", "<vnet>");
                const char *sn =
                    moat__audit_id_after(a, v->id, "subnets", "<subnet>");
                x->fix = moat__audit_cmd(
                    a,
                    "az network vnet subnet update --resource-group %s --vnet-name %s --name %s --service-endpoints %s",
                    rg, vnet, sn,
                    r->kind == RES_KEYVAULT ? "Microsoft.KeyVault"
                                            : "Microsoft.Storage");
            }
        }
    }
}

static void find_rejects(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    for (uint16_t i = 0; i < r->n_rejects; i++) {
        const rejected_rule *rj = &r->rejects[i];
        moat_finding *x = moat__audit_finding(
            a, r, R_INVALID_RULE,
            moat__audit_fmt(a, "%s/%s", rj->list, rj->value),
            moat__audit_fmt(a, "%s[%u]: %s", rj->list, rj->index, rj->message));
        if (x && rj->line)
            x->line = rj->line;
        moat__audit_evidence(a, x,
                             moat__audit_fmt(a, "properties.networkAcls.%s[%u]",
                                             rj->list, rj->index),
                             rj->value, MOAT_BASIS_EXPLICIT);
        if (x && strcmp(rj->list, "ipRules") == 0)
            x->fix = moat__audit_cmd(
                a, "az %r network-rule remove %r --ip-address %s",
                r->kind == RES_STORAGE ? "storage account" : "keyvault",
                moat__audit_az_target(a, r), rj->value);
    }
}

static void find_pe_states(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    for (uint16_t i = 0; i < r->n_pes; i++) {
        const pe_conn *c = &r->pes[i];
        if (c->status == PE_APPROVED || c->status == PE_UNKNOWN)
            continue;
        const char *from = c->pe_id[0] ? c->pe_id : c->name;
        moat_finding *x = moat__audit_finding(
            a, r, R_PE_NOT_APPROVED, from,
            moat__audit_fmt(
                a,
                "private endpoint connection from %s is %s and carries no traffic",
                from, c->status_text));
        moat__audit_evidence(a, x, "properties.privateEndpointConnections",
                             c->status_text, MOAT_BASIS_EXPLICIT);
        if (x)
            x->fix = moat__audit_cmd(
                a,
                "az network private-endpoint-connection approve --id %s",
                moat__audit_fmt(a, "%s/privateEndpointConnections/<connection>",
                                r->id));
    }
}

static void find_unknowns(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    static const struct {
        size_t off;
        const char *path;
    } fields[] = {
        {offsetof(resource, pna_basis), "properties.publicNetworkAccess"},
        {offsetof(resource, acl_basis), "properties.networkAcls"},
        {offsetof(resource, default_basis),
         "properties.networkAcls.defaultAction"},
        {offsetof(resource, bypass_basis), "properties.networkAcls.bypass"},
        {offsetof(resource, ip_basis), "properties.networkAcls.ipRules"},
        {offsetof(resource, vnet_basis),
         "properties.networkAcls.virtualNetworkRules"},
        {offsetof(resource, rar_basis),
         "properties.networkAcls.resourceAccessRules"},
        {offsetof(resource, pe_basis), "properties.privateEndpointConnections"},
    };
    moat_finding *x = NULL;
    for (size_t i = 0; i < MOAT_ARRAY_LEN(fields); i++) {
        basis b = *(const basis *)((const char *)r + fields[i].off);
        if (b != BASIS_UNKNOWN)
            continue;
        if (x == NULL)
            x = moat__audit_finding(a, r, R_UNKNOWN, NULL, "");
        moat__audit_evidence(a, x, fields[i].path, "unknown",
                             MOAT_BASIS_UNKNOWN);
    }
    if (moat__audit_mode_basis(f) == MOAT_BASIS_UNKNOWN) {
        if (x == NULL)
            x = moat__audit_finding(a, r, R_UNKNOWN, NULL, "");
        moat__audit_evidence(
            a, x, moat__audit_fmt(a, "%s.properties.accessMode", f->a->id),
            "unknown", MOAT_BASIS_UNKNOWN);
    }
    int pe_unknown = 0;
    for (uint16_t i = 0; i < r->n_pes; i++)
        pe_unknown |= r->pes[i].status == PE_UNKNOWN;
    if (pe_unknown) {
        if (x == NULL)
            x = moat__audit_finding(a, r, R_UNKNOWN, NULL, "");
        moat__audit_evidence(a, x,
                             "properties.privateEndpointConnections[].status",
                             "unknown", MOAT_BASIS_UNKNOWN);
    }
    if (x) {
        moat_buf b;
        moat__buf_init(&b, 0);
        int tf = r->origin && strcmp(r->origin, "terraform") == 0;
        moat__buf_puts(&b, "unknown: ");
        for (size_t i = 0; i < x->n_evidence; i++)
            moat__buf_printf(&b, "%s%s", i ? ", " : "", x->evidence[i].path);
        moat__buf_puts(
            &b,
            !tf ? " (template expressions)"
            : pe_unknown
                ? " (values known only after apply; a private endpoint connection's approval is decided on the target, outside Terraform)"
                : " (values known only after apply)");
        x->message = moat__audit_fmt(a, "%s", moat__buf_cstr(&b));
        moat__buf_free(&b);
    }
}

/* A storage account's perimeter rules with service tags never admit
** (decision.md sections 1 and 7). */
static void find_tag_rules(moat_audit *a, const facts *f)
{
    const profile *pf = f->a ? f->a->profile : NULL;
    for (uint16_t i = 0; f->storage && pf && i < pf->n_rules; i++) {
        const access_rule *ar = &pf->rules[i];
        if (!ar->inbound || ar->n_service_tags == 0)
            continue;
        const char *tags = "";
        for (uint16_t k = 0; k < ar->n_service_tags; k++)
            tags = moat__audit_fmt(a, "%s%s%s", tags, k ? ", " : "",
                                   ar->service_tags[k]);
        moat_finding *x = moat__audit_finding(
            a, f->r, R_STORAGE_TAG_RULE, ar->id ? ar->id : ar->name,
            moat__audit_fmt(
                a,
                "inbound rule %s of perimeter profile %s names service tags (%s): Azure Storage does not support them, so it admits none of this account's callers",
                ar->name, pf->name, tags));
        moat__audit_evidence(a, x,
                             moat__audit_fmt(a, "%s.properties.serviceTags",
                                             ar->id ? ar->id : ar->name),
                             tags, MOAT_BASIS_EXPLICIT);
    }
}

static void find_tenant(moat_audit *a, const facts *f)
{
    if (f->r->tenant != MOAT_ID_NONE)
        return;
    moat_finding *x = moat__audit_finding(
        a, f->r, R_TENANT_UNKNOWN, NULL,
        f->storage
            ? "the account's subscription is not in the estate, so its tenant is unknown: trusted services are refused (fail closed)"
            : "the vault has no properties.tenantId: trusted services are refused (fail closed)");
    moat__audit_evidence(a, x,
                         f->storage ? "subscription" : "properties.tenantId",
                         "unknown", MOAT_BASIS_UNKNOWN);
}

/* Every finding of one resource, in the order reports list them. */
void moat__audit_findings_of(moat_audit *a, const facts *f, uint64_t wide)
{
    find_internet(a, f);
    find_wide(a, f, wide);
    find_log_metrics(a, f);
    find_instance_rules(a, f);
    find_disabled_exceptions(a, f);
    find_lockdown(a, f);
    moat__audit_find_not_enforcing(a, f);
    find_vnet_rules(a, f);
    find_rejects(a, f);
    find_pe_states(a, f);
    find_unknowns(a, f);
    find_tenant(a, f);
    find_tag_rules(a, f);
    moat__audit_cells_done(a);
}
