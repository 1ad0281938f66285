/*
** audit_controls.c - the CIS controls, each judged on what Azure does and
** marked explicit, default or unknown (docs/audit.md, "CIS controls").
*/
#include "audit_int.h"

#include <stdlib.h>
#include <string.h>

/*--------------------------------------------------------------------------
** Controls.
*/
typedef struct verdict {
    moat_control_status status;
    moat_basis basis;
    const char *reason;
} verdict;

/* An unknown value the verdict rests on fails the control: moat never
** guesses it (docs/audit.md). */
static verdict judge(int pass, moat_basis b, const char *reason)
{
    verdict v;
    v.status =
        pass && b != MOAT_BASIS_UNKNOWN ? MOAT_CONTROL_PASS : MOAT_CONTROL_FAIL;
    v.basis = b;
    v.reason = reason;
    return v;
}

/* The public path denies by default: publicNetworkAccess Disabled or
** SecuredByPerimeter, an Enforced perimeter, or defaultAction Deny. */
static verdict default_deny(moat_audit *a, const facts *f)
{
    const resource *r = f->r;
    moat_basis pb = moat__audit_to_basis(r->pna_basis);
    if (r->pna == PNA_DISABLED && pb != MOAT_BASIS_UNKNOWN)
        return judge(1, pb, "publicNetworkAccess is Disabled");
    /* SecuredByPerimeter shuts the public path when there is no perimeter
    ** (lockdown) or one that decides; under an Audit association the
    ** resource's own firewall decides (decision.md section 4, step 5). */
    if (r->pna == PNA_SECURED_BY_PERIMETER && !f->fallback)
        return judge(1, pb, "publicNetworkAccess is SecuredByPerimeter");
    if (f->enforced)
        return judge(1, moat__audit_mode_basis(f),
                     moat__audit_fmt(a, "perimeter association %s is Enforced",
                                     f->a->name));
    /* Deny decides whatever publicNetworkAccess is: the verdict rests on
    ** the default action alone. */
    moat_basis db = moat__audit_to_basis(r->default_basis);
    if (!r->default_allow)
        return judge(1, db,
                     db == MOAT_BASIS_UNKNOWN
                         ? "networkAcls.defaultAction is unknown"
                         : "networkAcls.defaultAction is Deny");
    if (pb == MOAT_BASIS_UNKNOWN)
        return judge(0, MOAT_BASIS_UNKNOWN, "publicNetworkAccess is unknown");
    return judge(0, moat__audit_weaker(pb, db),
                 r->acl_basis == BASIS_DEFAULT
                     ? "no networkAcls: Azure's default action is Allow"
                     : "networkAcls.defaultAction is Allow");
}

static verdict trusted_services(const facts *f, int cis4)
{
    const resource *r = f->r;
    moat_basis bb = moat__audit_to_basis(r->bypass_basis);
    /* CIS 4.0 and later: the control assumes public access "Enabled from
    ** selected virtual networks and IP addresses". */
    if (cis4) {
        moat_basis sb =
            moat__audit_weaker(moat__audit_to_basis(r->pna_basis),
                               moat__audit_to_basis(r->default_basis));
        int selected = r->pna == PNA_ENABLED && !r->default_allow;
        if (sb == MOAT_BASIS_UNKNOWN)
            return judge(
                0, MOAT_BASIS_UNKNOWN,
                "whether public access is limited to selected networks is unknown");
        if (!selected) {
            verdict v = {
                MOAT_CONTROL_NOT_APPLICABLE, sb,
                r->pna != PNA_ENABLED
                    ? "public access is not enabled from selected networks (publicNetworkAccess is not Enabled)"
                    : "public access is not limited to selected networks (defaultAction Allow)"};
            return v;
        }
    }
    if (!f->fallback)
        return judge(
            0, MOAT_BASIS_EXPLICIT,
            f->locked
                ? "SecuredByPerimeter without a perimeter refuses trusted services"
                : "the perimeter decides alone: trusted services are not consulted");
    if (f->firewall && r->default_allow)
        return judge(
            1,
            moat__audit_weaker(moat__audit_to_basis(r->pna_basis),
                               moat__audit_to_basis(r->default_basis)),
            "the default action Allow admits every caller, trusted services included");
    if (bb == MOAT_BASIS_UNKNOWN)
        return judge(0, bb, "networkAcls.bypass is unknown");
    if (r->bypass & BYPASS_AZURE_SERVICES)
        return judge(
            1, bb,
            bb == MOAT_BASIS_DEFAULT
                ? "bypass is absent: Azure's default AzureServices applies"
                : "bypass includes AzureServices");
    return judge(0, bb, "bypass does not include AzureServices");
}

/* Private endpoint connections: how many are Approved, how many have an
** unknown status (none stated, a template's endpoint, a value known only
** after apply), and the basis of what is known about them: unknown when
** the list or any status is. */
moat_basis moat__audit_pe_counts(const resource *r, unsigned *approved,
                                 unsigned *unknown)
{
    *approved = *unknown = 0;
    for (uint16_t i = 0; i < r->n_pes; i++) {
        *approved += r->pes[i].status == PE_APPROVED;
        *unknown += r->pes[i].status == PE_UNKNOWN;
    }
    return *unknown ? MOAT_BASIS_UNKNOWN : moat__audit_to_basis(r->pe_basis);
}

static verdict private_endpoint(const facts *f)
{
    const resource *r = f->r;
    unsigned approved, unknown;
    moat_basis b = moat__audit_pe_counts(r, &approved, &unknown);
    if (approved)
        return judge(1, MOAT_BASIS_EXPLICIT,
                     "an Approved private endpoint connection exists");
    if (unknown)
        return judge(
            0, MOAT_BASIS_UNKNOWN,
            "private endpoint connections exist but whether any is Approved is unknown");
    if (b == MOAT_BASIS_UNKNOWN)
        return judge(
            0, b,
            "privateEndpointConnections is unknown: whether an Approved connection exists is unknown");
    return judge(0, b,
                 r->n_pes ? "no private endpoint connection is Approved"
                          : "no private endpoint connection");
}

static verdict public_access_disabled(const facts *f)
{
    const resource *r = f->r;
    moat_basis pb = moat__audit_to_basis(r->pna_basis);
    if (pb == MOAT_BASIS_UNKNOWN)
        return judge(0, pb, "publicNetworkAccess is unknown");
    /* A Learning or Enforced perimeter decides before publicNetworkAccess
    ** (decision.md section 4, step 4): its address rules admit public
    ** sources even when the setting says Disabled. */
    const profile *pf = f->nsp && f->a->profile ? f->a->profile : NULL;
    int open = pf && (pf->prefixes.n4 || pf->prefixes.n6);
    if (r->pna == PNA_DISABLED)
        return judge(
            !open, pb,
            open
                ? "publicNetworkAccess is Disabled, but the perimeter decides first and its address rules admit public sources"
                : "publicNetworkAccess is Disabled");
    if (r->pna == PNA_SECURED_BY_PERIMETER && f->fallback)
        return judge(
            0, pb,
            "SecuredByPerimeter under an Audit-mode association: the resource's own firewall decides");
    if (r->pna == PNA_SECURED_BY_PERIMETER)
        return judge(
            !open, pb,
            open
                ? "SecuredByPerimeter, and perimeter address rules admit public sources"
                : "SecuredByPerimeter with no perimeter address rule: no public source is admitted");
    /* An Enforced association decides alone whatever the setting says. */
    if (f->enforced)
        return judge(
            !open, moat__audit_mode_basis(f),
            open
                ? "publicNetworkAccess is Enabled and the Enforced perimeter's address rules admit public sources"
                : "publicNetworkAccess is Enabled, but the Enforced perimeter decides and has no address rule: no public source is admitted");
    return judge(
        0, pb,
        pb == MOAT_BASIS_DEFAULT
            ? "publicNetworkAccess is absent: Azure's default is Enabled"
            : "publicNetworkAccess is Enabled");
}

static const char *control_fix(moat_audit *a, int control, const resource *r)
{
    switch (control) {
    case C_STORAGE_DEFAULT_DENY:
    case C_KEYVAULT_DEFAULT_DENY:
        return moat__audit_az_update(a, r, "--default-action Deny");
    case C_STORAGE_TRUSTED:
        return moat__audit_az_update(a, r, "--bypass AzureServices");
    case C_STORAGE_PNA:
    case C_KEYVAULT_PNA:
        return moat__audit_az_update(a, r, "--public-network-access Disabled");
    case C_STORAGE_PE:
    case C_KEYVAULT_PE:
        return moat__audit_cmd(
            a,
            "az network private-endpoint create --resource-group %s --name pe-%s --vnet-name %s --subnet %s --private-connection-resource-id %s --group-id %s --connection-name %s",
            moat__audit_rg_of(a, r), r->name, "<vnet>", "<subnet>", r->id,
            r->kind == RES_STORAGE ? "blob" : "vault", r->name);
    }
    return "";
}

/* Records one verdict for the versions in [from, to) that list control. */
/* The fields a control's verdict rests on, with their values and bases. */
static void control_evidence(moat_audit *a, moat_finding *x, int control,
                             const facts *f)
{
    const resource *r = f->r;
    if (control == C_STORAGE_PE || control == C_KEYVAULT_PE) {
        unsigned approved, unknown;
        moat_basis b = moat__audit_pe_counts(r, &approved, &unknown);
        moat__audit_evidence(
            a, x, "properties.privateEndpointConnections",
            b == MOAT_BASIS_UNKNOWN && r->n_pes == 0
                ? "unknown"
                : moat__audit_fmt(a, "%u Approved, %u unknown, of %u", approved,
                                  unknown, r->n_pes),
            b);
        return;
    }
    moat__audit_evidence(a, x, "properties.publicNetworkAccess",
                         moat__pna_name(r->pna),
                         moat__audit_to_basis(r->pna_basis));
    if (control != C_STORAGE_PNA && control != C_KEYVAULT_PNA)
        moat__audit_evidence(a, x, "properties.networkAcls.defaultAction",
                             r->default_allow ? "Allow" : "Deny",
                             moat__audit_to_basis(r->default_basis));
    if (control == C_STORAGE_TRUSTED)
        moat__audit_evidence(a, x, "properties.networkAcls.bypass",
                             moat__audit_bypass_text(r->bypass),
                             moat__audit_to_basis(r->bypass_basis));
    if (f->a)
        moat__audit_evidence(
            a, x, moat__audit_fmt(a, "%s.properties.accessMode", f->a->id),
            f->a->mode_text, MOAT_BASIS_EXPLICIT);
}

static void add_control(audit_run *run, const facts *f, int control, verdict v,
                        size_t from, size_t to)
{
    const resource *r = f->r;
    moat_audit *a = run->a;
    moat_cis_ref *refs = moat__arena_alloc(&a->arena, N_CIS * sizeof *refs);
    if (refs == NULL) {
        a->failed = 1;
        return;
    }
    size_t n = 0;
    for (size_t i = from; i < to; i++) {
        if (moat__audit_cis_ids[control][i] == NULL)
            continue;
        if (run->cis_only >= 0 && (size_t)run->cis_only != i)
            continue;
        refs[n].version = moat__audit_cis_versions[i];
        refs[n].id = moat__audit_cis_ids[control][i];
        n++;
    }
    /* A control with no CIS number (keyvault-default-deny) is reported
    ** unless one CIS version was asked for. */
    int cis_less = control == C_KEYVAULT_DEFAULT_DENY;
    if (n == 0 && !(cis_less && run->cis_only < 0))
        return;
    moat_control_result *c = PUSH(a, a->controls);
    if (c == NULL)
        return;
    const moat_audit_rule *rule =
        &moat__audit_rules[moat__audit_control_rule[control]];
    c->control = rule->name;
    c->title = rule->title;
    c->resource = r->id;
    c->resource_name = r->name;
    c->status = v.status;
    c->basis = v.basis;
    c->reason = v.reason;
    c->cis = refs;
    c->n_cis = n;
    if (v.status != MOAT_CONTROL_FAIL)
        return;
    moat_finding *x = moat__audit_finding(
        a, r, moat__audit_control_rule[control],
        moat__audit_fmt(a, "%zu", from),
        moat__audit_fmt(a, "%s: %s", rule->title, v.reason));
    if (x) {
        x->control = rule->name;
        x->cis = refs;
        x->n_cis = n;
        x->fix = control_fix(a, control, r);
        if (v.basis == MOAT_BASIS_UNKNOWN)
            x->level = MOAT_LEVEL_MEDIUM;
    }
    control_evidence(a, x, control, f);
}

static int same_verdict(verdict x, verdict y)
{
    return x.status == y.status && x.basis == y.basis;
}

void moat__audit_controls_of(audit_run *run, const facts *f)
{
    if (f->storage) {
        add_control(run, f, C_STORAGE_DEFAULT_DENY, default_deny(run->a, f), 0,
                    N_CIS);
        verdict before = trusted_services(f, 0), after = trusted_services(f, 1);
        if (same_verdict(before, after)) {
            add_control(run, f, C_STORAGE_TRUSTED, before, 0, N_CIS);
        } else {
            add_control(run, f, C_STORAGE_TRUSTED, before, 0, CIS_4);
            add_control(run, f, C_STORAGE_TRUSTED, after, CIS_4, N_CIS);
        }
        add_control(run, f, C_STORAGE_PE, private_endpoint(f), 0, N_CIS);
        add_control(run, f, C_STORAGE_PNA, public_access_disabled(f), 0, N_CIS);
    } else {
        add_control(run, f, C_KEYVAULT_PE, private_endpoint(f), 0, N_CIS);
        add_control(run, f, C_KEYVAULT_PNA, public_access_disabled(f), 0,
                    N_CIS);
        add_control(run, f, C_KEYVAULT_DEFAULT_DENY, default_deny(run->a, f), 0,
                    N_CIS);
    }
}
