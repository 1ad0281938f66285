/*
** decide.c - the procedure of decision.md section 4.
**
** One implementation serves both moat_decide() (trace == NULL: no text, no
** allocation) and moat_explain() (every layer recorded with words). The
** order of the branches is the contract; each comment names the rule of
** decision.md or the Azure behaviour it implements.
*/
#include "engine_int.h"

#include <stdarg.h>
#include <string.h>

#define NO_MODE (-1)

typedef struct eval {
    const moat_request *q;
    const resource *r;
    const assoc *a;
    int mode; /* the association's access mode, or NO_MODE */
    moat_trace *t;
    unsigned warnings;
} eval;

typedef struct outcome {
    int allowed;
    moat_category cat;
    uint32_t rule;
} outcome;

/* One step of the path, for an explanation (its arena holds the text). */
static void trace_step(moat_trace *t, const char *layer,
                       moat_step_outcome result, const char *fmt, ...)
    MOAT_PRINTF(4, 5);

static void trace_step(moat_trace *t, const char *layer,
                       moat_step_outcome result, const char *fmt, ...)
{
    if (t->n == MOAT_TRACE_MAX_STEPS)
        return;
    moat_buf b;
    moat__buf_init(&b, 4096);
    va_list ap;
    va_start(ap, fmt);
    moat__buf_vprintf(&b, fmt, ap);
    va_end(ap);
    const char *detail = moat__arena_strndup(t->arena, moat__buf_cstr(&b),
                                             strlen(moat__buf_cstr(&b)));
    moat__buf_free(&b);
    moat_step *s = &t->steps[t->n++];
    s->layer = layer;
    s->outcome = result;
    s->detail = detail ? detail : "";
}

#define STEP(e, layer, result, ...)                                            \
    do {                                                                       \
        if ((e)->t)                                                            \
            trace_step((e)->t, layer, result, __VA_ARGS__);                    \
    } while (0)

static outcome allowed(moat_category cat, uint32_t rule)
{
    outcome o = {1, cat, rule};
    return o;
}

static outcome denied(moat_category cat, uint32_t rule)
{
    outcome o = {0, cat, rule};
    return o;
}

static const char *addr_text(const moat_addr *a, char *buf, size_t cap)
{
    if (a->family == 0)
        return "no address";
    moat__addr_format(a, buf, cap);
    return buf;
}

/* The first index of a sorted array whose value is >= key. */
static size_t lower_bound64(const uint64_t *v, size_t n, uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t lower_bound32(const uint32_t *v, size_t n, uint32_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/*--------------------------------------------------------------------------
** Paths (decision.md section 6).
*/
int moat__subnet_reaches(const subnet_info *si, const resource *r)
{
    if (si == NULL)
        return 1; /* not in the estate: taken as it says */
    if (r->kind == RES_KEYVAULT)
        return si->se_keyvault;
    if (si->se_storage_global)
        return 1; /* Microsoft.Storage.Global: any region */
    if (!si->se_storage)
        return 0;
    /* Microsoft.Storage: the VNet's own region; without a locations list
    ** its paired region too (Azure's region pairs), with one the regions
    ** it lists. */
    if (si->se_storage_any || moat__same_id(si->vnet_region, r->region) ||
        moat__same_id(si->storage_pair, r->region))
        return 1;
    for (uint16_t i = 0; i < si->n_storage_locations; i++) {
        if (moat__same_id(si->storage_locations[i], r->region))
            return 1;
    }
    return 0;
}

static int via_service_endpoint(const eval *e)
{
    return e->q->subnet != NULL && moat__subnet_reaches(e->q->subnet_info, e->r);
}

/* On the public path: no private endpoint, and no subnet whose service
** endpoint reaches the resource. */
static int on_public_path(const eval *e)
{
    return e->q->pe == NULL && !via_service_endpoint(e);
}

/* "IP network rules have no effect on requests that originate from the
** same Azure region" (Azure Storage network security). Storage's alone
** (decision.md section 7, version 2): Key Vault's documents tell users to
** list a same-region app's outbound addresses in the vault's IP rules. For
** a storage account it covers perimeter address rules too. */
static int same_region(const eval *e)
{
    return e->r->kind == RES_STORAGE &&
           moat__same_id(e->q->region, e->r->region);
}

/*--------------------------------------------------------------------------
** The resource's own firewall.
*/
static int vnet_rule_match(const eval *e, uint16_t *which)
{
    const resource *r = e->r;
    const moat_request *q = e->q;
    for (size_t i =
             lower_bound64(r->vnet_hashes, r->n_vnet_active, q->subnet_hash);
         i < r->n_vnet_active && r->vnet_hashes[i] == q->subnet_hash; i++) {
        const vnet_rule *v = &r->vnets[r->vnet_which[i]];
        if (moat__eq_ci(v->id, strlen(v->id), q->subnet, q->subnet_len)) {
            *which = r->vnet_which[i];
            return 1;
        }
    }
    return 0;
}

/* A '*' pattern against the caller's id: same number of segments, each
** equal ignoring case or '*', which stands for one whole segment and so
** never for an empty one ("/subscriptions//resourceGroups/..." names no
** subscription: decision.md section 4). Compared from the last segment,
** where ids differ most. Returns 1 on a match, 0 otherwise. */
static int rar_matches(const moat_request *q, const rar_rule *p)
{
    if (p->nseg != q->caller_seg.n)
        return 0;
    if (p->type_hash && q->caller_type_hash &&
        p->type_hash != q->caller_type_hash)
        return 0;
    for (int i = p->nseg - 1; i >= 0; i--) {
        const char *ps = p->resource_id + p->seg_off[i];
        size_t pl = p->seg_len[i];
        if (pl == 1 && ps[0] == '*') {
            if (q->caller_seg.len[i] == 0)
                return 0;
            continue;
        }
        if (!moat__eq_ci(ps, pl, q->caller_id + q->caller_seg.off[i],
                         q->caller_seg.len[i]))
            return 0;
    }
    return 1;
}

/* Resource instance rules admit what they may at all: an Entra (OAuth)
** caller from the account's own tenant ("Resource instances must be from
** the same tenant as your storage account"; unknown: the rule's tenant
** stands in, decision.md section 4), of a type whose managed-identity
** catalog row has not ended (API Management, 2026-03-15). */
static int rar_eligible(const eval *e)
{
    const moat_request *q = e->q;
    if (q->auth != MOAT_AUTH_OAUTH || q->caller_id == NULL ||
        q->tenant >= MOAT_ID_OTHER)
        return 0;
    if (e->r->tenant != MOAT_ID_NONE && !moat__same_id(q->tenant, e->r->tenant))
        return 0;
    return q->trust.instances_until == INT64_MAX ||
           moat__request_time(q) < q->trust.instances_until;
}

/* Resource instance rules: the rule's own tenant equals caller.tenant, the
** id matches (rar_eligible says who may match at all). The lowest
** matching rule names the decision. */
static int rar_match(const eval *e, uint16_t *which)
{
    const moat_request *q = e->q;
    const resource *r = e->r;
    if (!rar_eligible(e))
        return 0;
    uint16_t best = MOAT_RULE_NONE;
    for (size_t i =
             lower_bound64(r->rar_hashes, r->n_rar_literal, q->caller_hash);
         i < r->n_rar_literal && r->rar_hashes[i] == q->caller_hash; i++) {
        const rar_rule *p = &r->rars[r->rar_which[i]];
        if (r->rar_which[i] < best && moat__same_id(p->tenant, q->tenant) &&
            moat__eq_ci(p->resource_id, strlen(p->resource_id), q->caller_id,
                        q->caller_id_len))
            best = r->rar_which[i];
    }
    for (uint16_t i = 0; i < r->n_rar_wild && r->rar_wild[i] < best; i++) {
        const rar_rule *p = &r->rars[r->rar_wild[i]];
        if (moat__same_id(p->tenant, q->tenant) && rar_matches(q, p)) {
            best = r->rar_wild[i];
            break;
        }
    }
    *which = best;
    return best != MOAT_RULE_NONE;
}

static moat_catalog_target target_of(const resource *r)
{
    return r->kind == RES_STORAGE ? MOAT_TARGET_STORAGE : MOAT_TARGET_KEYVAULT;
}

/* trusted(R, Q): OAuth, the caller's tenant equals the resource's (known)
** tenant, and a catalog row for this kind of resource, in force at the
** request's time, names the caller (the rows were found when the caller
** was set). */
static int trusted(const eval *e, int *entry)
{
    const moat_request *q = e->q;
    moat_catalog_target t = target_of(e->r);
    /* The clock is read only when a candidate row is dated. */
    *entry = q->trust.n[t - 1]
                 ? moat__catalog_in_force(&q->trust, t,
                                          q->trust.dated[t - 1]
                                              ? moat__request_time(q)
                                              : 0)
                 : -1;
    return q->auth == MOAT_AUTH_OAUTH && e->r->tenant != MOAT_ID_NONE &&
           moat__same_id(q->tenant, e->r->tenant) && *entry >= 0;
}

static int is_read(const moat_request *q)
{
    return q->op == MOAT_OP_READ || q->op == MOAT_OP_LIST;
}

/* Classic logs live in container $logs (blob, dfs); metrics in tables
** named $Metrics... Both names compare case-sensitively (section 7). */
static int logs_target(const moat_request *q)
{
    return (q->endpoint == MOAT_ENDPOINT_BLOB ||
            q->endpoint == MOAT_ENDPOINT_DFS) &&
           q->target_len == 5 && memcmp(q->target, "$logs", 5) == 0;
}

static int metrics_target(const moat_request *q)
{
    return q->endpoint == MOAT_ENDPOINT_TABLE && q->target_len >= 8 &&
           memcmp(q->target, "$Metrics", 8) == 0;
}

static outcome firewall_rules(eval *e, pna_mode pna)
{
    const resource *r = e->r;
    const moat_request *q = e->q;
    char ip[64];
    if (pna == PNA_DISABLED) {
        STEP(
            e, "firewall", MOAT_STEP_SKIPPED,
            "publicNetworkAccess Disabled: IP and virtual network rules do not apply");
        return denied(MOAT_CAT_NONE, 0);
    }
    if (r->default_allow) {
        STEP(e, "default action", MOAT_STEP_ALLOWED, "%s",
             r->acl_basis == BASIS_DEFAULT
                 ? "no networkAcls: Azure's default is Allow"
                 : "networkAcls.defaultAction is Allow");
        return allowed(MOAT_CAT_RES_DEFAULT_ACTION_ALLOW,
                       MOAT_RULE_REF(r->acl_basis == BASIS_DEFAULT
                                         ? RK_NO_ACLS
                                         : RK_DEFAULT_ACTION,
                                     0));
    }
    STEP(e, "default action", MOAT_STEP_PASSED,
         "Deny: only the rules below admit");
    uint16_t which;
    if (via_service_endpoint(e)) {
        if (vnet_rule_match(e, &which)) {
            STEP(e, "virtual network rules", MOAT_STEP_ALLOWED,
                 "subnet matches virtualNetworkRules[%u]",
                 r->vnets[which].index);
            return allowed(MOAT_CAT_RES_VIRTUAL_NETWORK_RULE,
                           MOAT_RULE_REF(RK_VNET, which));
        }
        STEP(e, "virtual network rules", MOAT_STEP_PASSED,
             "no active rule names subnet %s (%u rules, %u active)", q->subnet,
             r->n_vnets, r->n_vnet_active);
        STEP(e, "IP rules", MOAT_STEP_SKIPPED,
             "service-endpoint traffic carries a private address");
        return denied(MOAT_CAT_NONE, 0);
    }
    STEP(
        e, "virtual network rules", MOAT_STEP_SKIPPED, "%s",
        q->subnet
            ? "the subnet has no service endpoint reaching this resource: the request takes the public path"
            : "not from a subnet with a service endpoint");
    if (same_region(e)) {
        STEP(
            e, "IP rules", MOAT_STEP_SKIPPED,
            "caller in the resource's own region (%s): IP rules have no effect",
            r->location);
        return denied(MOAT_CAT_NONE, 0);
    }
    uint16_t rule =
        q->ip.family ? moat__prefix_lookup(&r->ips, &q->ip) : MOAT_RULE_NONE;
    if (rule != MOAT_RULE_NONE) {
        int v6 = rule >= r->n_ip4;
        const ip_rule *ir = v6 ? &r->ip6[rule - r->n_ip4] : &r->ip4[rule];
        STEP(e, "IP rules", MOAT_STEP_ALLOWED, "%s is in %s[%u] %s",
             addr_text(&q->ip, ip, sizeof ip), v6 ? "ipv6Rules" : "ipRules",
             ir->index, ir->text);
        return allowed(
            MOAT_CAT_RES_IP_RULE,
            MOAT_RULE_REF(v6 ? RK_IP6 : RK_IP4, v6 ? rule - r->n_ip4 : rule));
    }
    STEP(e, "IP rules", MOAT_STEP_PASSED, "%s is in none of %u rules",
         addr_text(&q->ip, ip, sizeof ip),
         q->ip.family == 6 ? r->n_ip6 : r->n_ip4);
    return denied(MOAT_CAT_NONE, 0);
}

/* Why no resource instance rule admitted, for the trace. */
static const char *rar_passed(const eval *e)
{
    const moat_request *q = e->q;
    const resource *r = e->r;
    if (r->n_rars == 0)
        return "none configured";
    if (q->caller_id == NULL)
        return "no caller resource id";
    if (q->auth != MOAT_AUTH_OAUTH)
        return "needs an Entra (OAuth) caller";
    if (r->tenant != MOAT_ID_NONE && !moat__same_id(q->tenant, r->tenant))
        return "the caller is not from the account's tenant (resource instances must be)";
    if (q->trust.instances_until != INT64_MAX &&
        moat__request_time(q) >= q->trust.instances_until)
        return "resource instance access for the caller's type has ended (trusted-service catalog)";
    return "no rule matches the caller's resource id and tenant";
}

static int instance_rules(eval *e, outcome *o)
{
    uint16_t which;
    if (rar_match(e, &which)) {
        STEP(e, "resource instance rules", MOAT_STEP_ALLOWED,
             "caller matches resourceAccessRules[%u]", e->r->rars[which].index);
        *o = allowed(MOAT_CAT_RES_RESOURCE_INSTANCE_RULE,
                     MOAT_RULE_REF(RK_RAR, which));
        return 1;
    }
    STEP(e, "resource instance rules", MOAT_STEP_PASSED, "%s", rar_passed(e));
    return 0;
}

/* The trusted-service exception in the trace: admitted, or why not. */
static void trusted_trace(eval *e, int entry, int admitted)
{
    const moat_request *q = e->q;
    const resource *r = e->r;
    moat_catalog_target t = target_of(r);
    if (!(r->bypass & BYPASS_AZURE_SERVICES)) {
        STEP(e, "trusted services", MOAT_STEP_SKIPPED,
             "AzureServices is not in bypass");
    } else if (admitted) {
        STEP(e, "trusted services", MOAT_STEP_ALLOWED,
             "%s is a trusted service from the resource's tenant",
             moat__catalog_entries[entry].service);
    } else if (entry < 0 && q->trust.n[t - 1]) {
        const moat_service *s = &moat__catalog_entries[q->trust.row[t - 1][0]];
        STEP(e, "trusted services", MOAT_STEP_PASSED,
             "the catalog names the caller (%s) only for %s%s%s%s%s", s->service,
             s->since[0] ? "requests from " : "", s->since,
             s->since[0] && s->until[0] ? " and " : "",
             s->until[0] ? "requests before " : "", s->until);
    } else {
        STEP(e, "trusted services", MOAT_STEP_PASSED, "%s",
             entry < 0 ? "the caller is not a trusted service"
             : q->auth != MOAT_AUTH_OAUTH
                 ? "trusted services must present an Entra (OAuth) token"
             : r->tenant == MOAT_ID_NONE
                 ? "the resource's tenant is unknown (fail closed)"
                 : "the caller's tenant is not the resource's tenant");
    }
}

static int trusted_services(eval *e, outcome *o)
{
    int entry = -1;
    int ok = (e->r->bypass & BYPASS_AZURE_SERVICES) && trusted(e, &entry);
    if (e->t)
        trusted_trace(e, entry, ok);
    if (ok)
        *o = allowed(MOAT_CAT_RES_TRUSTED_SERVICE,
                     MOAT_RULE_REF(RK_TRUSTED, (uint16_t)entry));
    return ok;
}

/* Storage's Logging and Metrics exceptions (Key Vault has neither). */
static int bypass_reads(eval *e, outcome *o)
{
    const resource *r = e->r;
    const moat_request *q = e->q;
    if ((r->bypass & BYPASS_LOGGING) && is_read(q) && logs_target(q)) {
        STEP(e, "Logging exception", MOAT_STEP_ALLOWED,
             "read of container $logs");
        *o = allowed(MOAT_CAT_RES_BYPASS_LOGGING,
                     MOAT_RULE_REF(RK_BYPASS_LOGGING, 0));
        return 1;
    }
    if ((r->bypass & BYPASS_METRICS) && is_read(q) && metrics_target(q)) {
        STEP(e, "Metrics exception", MOAT_STEP_ALLOWED,
             "read of metrics table %s", q->target);
        *o = allowed(MOAT_CAT_RES_BYPASS_METRICS,
                     MOAT_RULE_REF(RK_BYPASS_METRICS, 0));
        return 1;
    }
    STEP(e, "Logging and Metrics exceptions", MOAT_STEP_PASSED, "%s",
         (r->bypass & (BYPASS_LOGGING | BYPASS_METRICS))
             ? "not a read of $logs or a $Metrics table"
             : "not in bypass");
    return 0;
}

/* resource_rules(R, Q, pna): the firewall, then the exceptions, which stay
** in force when publicNetworkAccess is Disabled (Azure Storage network
** security limitations: "any resource instances and exceptions ... will
** remain in effect"). */
static outcome resource_rules(eval *e, pna_mode pna)
{
    int storage = e->r->kind == RES_STORAGE;
    outcome o = firewall_rules(e, pna);
    if (o.allowed || (storage && instance_rules(e, &o)) ||
        trusted_services(e, &o) || (storage && bypass_reads(e, &o)))
        return o;
    if (pna == PNA_DISABLED) {
        STEP(e, "public network access", MOAT_STEP_DENIED,
             "Disabled, and no exception admits the request");
        return denied(MOAT_CAT_RES_PUBLIC_NETWORK_ACCESS_DISABLED,
                      MOAT_RULE_REF(RK_PNA, 0));
    }
    STEP(e, "default action", MOAT_STEP_DENIED,
         "no rule or exception admits the request");
    return denied(MOAT_CAT_RES_DEFAULT_ACTION_DENY,
                  MOAT_RULE_REF(RK_DEFAULT_ACTION, 0));
}

/*--------------------------------------------------------------------------
** The perimeter.
*/
static int join_find(const assoc *a, uint32_t guid, uint16_t *link)
{
    size_t lo = 0, hi = a->n_joins;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (a->joins[mid].guid < guid)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < a->n_joins && a->joins[lo].guid == guid) {
        *link = a->joins[lo].link;
        return 1;
    }
    return 0;
}

static uint16_t subscription_rule(const profile *pf, uint32_t sub)
{
    size_t lo = lower_bound32(pf->sub_ids, pf->n_subs, sub);
    if (lo < pf->n_subs && pf->sub_ids[lo] == sub)
        return pf->sub_rule[lo];
    return MOAT_RULE_NONE;
}

/* The lowest inbound rule of pf that admits q: address prefixes (public
** path, not exempt by region), a key vault's service tags (public path,
** the prefixes of Azure's service-tag file), subscriptions (OAuth). */
static uint16_t perimeter_rule(const eval *e, const profile *pf)
{
    const moat_request *q = e->q;
    uint16_t best = MOAT_RULE_NONE;
    int public_path = q->ip.family && on_public_path(e);
    if (public_path && !same_region(e))
        best = moat__prefix_lookup(&pf->prefixes, &q->ip);
    if (public_path && e->r->kind == RES_KEYVAULT && q->es->has_service_tags) {
        uint16_t t = moat__prefix_lookup(&pf->tag_prefixes, &q->ip);
        if (t < best)
            best = t;
    }
    if (q->auth == MOAT_AUTH_OAUTH && q->subscription < MOAT_ID_OTHER) {
        uint16_t s = subscription_rule(pf, q->subscription);
        if (s < best)
            best = s;
    }
    return best;
}

/* A service-tag rule that cannot be matched is reported when it was
** consulted: it comes before the rule that admits, or nothing admits
** (decision.md section 7). Storage never matches one
** (service-tags-unsupported); a key vault without the service-tag file
** cannot (service-tags-unknown). */
static void tag_warning(eval *e, const profile *pf, uint16_t best)
{
    if (pf->first_tag_rule == MOAT_RULE_NONE || pf->first_tag_rule >= best)
        return;
    if (e->r->kind == RES_STORAGE)
        e->warnings |= MOAT_WARN_SERVICE_TAGS_UNSUPPORTED;
    else if (!e->q->es->has_service_tags)
        e->warnings |= MOAT_WARN_SERVICE_TAGS_UNKNOWN;
}

/* perimeter_inbound(A, Q): all perimeter rules allow; the order fixes the
** label only. Intra- and cross-perimeter access and subscription rules need
** an Entra token ("don't support authentication via shared access
** signature", NSP concepts). */
static outcome perimeter_inbound(eval *e)
{
    const moat_request *q = e->q;
    const assoc *a = e->a;
    uint32_t guid = a->perimeter ? a->perimeter->guid : MOAT_ID_NONE;
    if (q->auth == MOAT_AUTH_OAUTH) {
        for (uint8_t i = 0; i < q->n_perimeters; i++) {
            if (moat__same_id(q->perimeters[i], guid)) {
                STEP(e, "same perimeter", MOAT_STEP_ALLOWED,
                     "the caller is inside perimeter %s", a->perimeter->name);
                return allowed(MOAT_CAT_NSP_INTRA_PERIMETER_INBOUND_ALLOWED,
                               MOAT_RULE_REF(RK_INTRA, 0));
            }
        }
        for (uint8_t i = 0; i < q->n_perimeters; i++) {
            uint16_t link;
            if (q->perimeters[i] < MOAT_ID_OTHER &&
                join_find(a, q->perimeters[i], &link)) {
                STEP(e, "perimeter links", MOAT_STEP_ALLOWED,
                     "Approved link %s joins the caller's perimeter",
                     q->es->links[link].name);
                return allowed(MOAT_CAT_NSP_CROSS_PERIMETER_INBOUND_ALLOWED,
                               MOAT_RULE_REF(RK_LINK, link));
            }
        }
    }
    STEP(e, "same perimeter", MOAT_STEP_PASSED, "%s",
         q->n_perimeters == 0 ? "the caller is in no perimeter"
         : q->auth != MOAT_AUTH_OAUTH
             ? "perimeter membership needs an Entra (OAuth) caller"
             : "the caller's perimeters are neither this one nor linked");
    const profile *pf = a->profile;
    if (pf == NULL) {
        STEP(e, "perimeter access rules", MOAT_STEP_PASSED,
             "the profile is not in the estate");
        return denied(MOAT_CAT_NONE, 0);
    }
    uint16_t best = perimeter_rule(e, pf);
    tag_warning(e, pf, best);
    if (best != MOAT_RULE_NONE) {
        STEP(e, "perimeter access rules", MOAT_STEP_ALLOWED,
             "inbound rule %s of profile %s admits", pf->rules[best].name,
             pf->name);
        return allowed(MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_ALLOWED,
                       MOAT_RULE_REF(RK_NSP_RULE, best));
    }
    STEP(e, "perimeter access rules", MOAT_STEP_PASSED,
         "no inbound rule of profile %s admits%s", pf->name,
         !on_public_path(e) ? " (address rules need the public path)"
         : same_region(e)   ? " (address rules ignore same-region callers)"
                            : "");
    return denied(MOAT_CAT_NONE, 0);
}

/*--------------------------------------------------------------------------
** decide(R, Q).
*/
static outcome private_link(eval *e)
{
    const moat_request *q = e->q;
    const resource *r = e->r;
    for (uint16_t i = 0; i < r->n_pes; i++) {
        const pe_conn *c = &r->pes[i];
        if (c->hash != q->pe_hash ||
            !moat__eq_ci(c->pe_id, strlen(c->pe_id), q->pe, q->pe_len))
            continue;
        if (c->status == PE_APPROVED) {
            int nsp = e->mode == MODE_LEARNING || e->mode == MODE_ENFORCED;
            STEP(
                e, "private endpoint", MOAT_STEP_ALLOWED,
                "connection from this endpoint is Approved; private link is subject to neither public network access nor a perimeter");
            return allowed(nsp ? MOAT_CAT_NSP_PRIVATE_INBOUND_ALLOWED
                               : MOAT_CAT_RES_PRIVATE_ENDPOINT,
                           MOAT_RULE_REF(RK_PE, i));
        }
        STEP(e, "private endpoint", MOAT_STEP_DENIED,
             "connection from this endpoint is %s, not Approved",
             c->status_text);
        return denied(MOAT_CAT_RES_PRIVATE_ENDPOINT_NOT_APPROVED,
                      MOAT_RULE_REF(RK_PE, i));
    }
    STEP(e, "private endpoint", MOAT_STEP_DENIED,
         "the resource has no connection from endpoint %s", q->pe);
    return denied(MOAT_CAT_RES_PRIVATE_ENDPOINT_NOT_APPROVED,
                  MOAT_RULE_REF(RK_PE, MOAT_RULE_NONE));
}

static outcome decide_steps(eval *e)
{
    const moat_request *q = e->q;
    const resource *r = e->r;
    pna_mode pna = r->pna;
    if (q->plane == MOAT_PLANE_CONTROL) {
        STEP(e, "plane", MOAT_STEP_ALLOWED,
             "control-plane (Resource Manager) requests are not filtered");
        return allowed(MOAT_CAT_RES_CONTROL_PLANE_NOT_FILTERED, 0);
    }
    STEP(e, "plane", MOAT_STEP_PASSED, "data plane");

    /* 1. Private link first: subject to neither publicNetworkAccess nor
    ** NSP ("connections via private link always succeed"). */
    if (q->pe)
        return private_link(e);
    STEP(e, "private endpoint", MOAT_STEP_SKIPPED, "not through one");

    /* 2. SecuredByPerimeter without a perimeter: locked down. */
    if (pna == PNA_SECURED_BY_PERIMETER && e->a == NULL) {
        STEP(
            e, "public network access", MOAT_STEP_DENIED,
            "SecuredByPerimeter, and no perimeter is associated: only private endpoints are admitted");
        return denied(MOAT_CAT_RES_PERIMETER_LOCKDOWN,
                      MOAT_RULE_REF(RK_PNA, 0));
    }
    STEP(e, "public network access", MOAT_STEP_PASSED, "%s%s",
         moat__pna_name(pna),
         r->pna_basis == BASIS_DEFAULT ? " (Azure's default)" : "");

    int nsp = e->mode == MODE_LEARNING || e->mode == MODE_ENFORCED;
    /* 3. Storage under a perimeter speaks HTTPS only (our reading refuses
    ** plain HTTP too; Network security perimeter for Azure Storage). */
    if (r->kind == RES_STORAGE && nsp && q->protocol != MOAT_PROTOCOL_HTTPS) {
        STEP(
            e, "perimeter", MOAT_STEP_DENIED,
            "%s is not supported for a storage account in a perimeter; only HTTPS is",
            moat__protocol_name(q->protocol));
        return denied(MOAT_CAT_RES_PROTOCOL_NOT_SUPPORTED_BY_PERIMETER,
                      MOAT_RULE_REF(RK_ASSOC, 0));
    }

    /* 4. The perimeter decides; Learning falls back to the firewall. */
    if (nsp) {
        STEP(e, "perimeter", MOAT_STEP_PASSED,
             "association %s, access mode %s%s", e->a->name,
             moat__mode_name((access_mode)e->mode),
             e->a->transition && e->mode == MODE_LEARNING ? " (Transition)"
                                                          : "");
        outcome n = perimeter_inbound(e);
        if (n.allowed)
            return n;
        if (e->mode == MODE_ENFORCED || pna == PNA_SECURED_BY_PERIMETER) {
            STEP(e, "perimeter", MOAT_STEP_DENIED, "%s",
                 e->mode == MODE_ENFORCED
                     ? "Enforced: only perimeter rules admit"
                     : "SecuredByPerimeter: only perimeter rules admit");
            return denied(MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_DENIED,
                          MOAT_RULE_REF(RK_NSP_PROFILE, 0));
        }
        STEP(e, "perimeter", MOAT_STEP_PASSED,
             "Learning: falls back to the resource's own rules");
        outcome o = resource_rules(e, pna);
        o.cat = o.allowed ? MOAT_CAT_NSP_PUBLIC_INBOUND_RESOURCE_RULES_ALLOWED
                          : MOAT_CAT_NSP_PUBLIC_INBOUND_RESOURCE_RULES_DENIED;
        return o;
    }
    if (e->a)
        STEP(e, "perimeter", MOAT_STEP_PASSED,
             "association %s in Audit mode: reported, not enforced",
             e->a->name);
    else
        STEP(e, "perimeter", MOAT_STEP_SKIPPED, "not associated");

    /* 5. No perimeter, or Audit: the resource's own rules decide. */
    return resource_rules(e, pna);
}

static void fill(moat_decision *d, const resource *r, outcome o)
{
    d->verdict = o.allowed ? MOAT_ALLOW : MOAT_DENY;
    d->category = o.cat;
    d->rule_ = o.rule;
    if (o.allowed) {
        d->http_status = 0;
        d->http_code = NULL;
    } else {
        /* Section 3: Storage answers AuthorizationFailure; Key Vault
        ** ForbiddenByConnection when public network access is disabled,
        ** ForbiddenByFirewall otherwise (its inner error codes). */
        d->http_status = 403;
        d->http_code = r->kind == RES_STORAGE ? "AuthorizationFailure"
                       : o.cat == MOAT_CAT_RES_PUBLIC_NETWORK_ACCESS_DISABLED
                           ? "ForbiddenByConnection"
                           : "ForbiddenByFirewall";
    }
}

moat_status moat__decide(const moat_request *q, moat_decision *d, moat_trace *t)
{
    memset(d, 0, sizeof *d); /* MOAT_DENY */
    if (q == NULL || q->res == NULL)
        return MOAT_E_STATE;
    const resource *r = q->res;
    eval e = {q, r, r->assoc, r->assoc ? (int)r->assoc->mode : NO_MODE, t, 0};
    if (r->tenant == MOAT_ID_NONE)
        e.warnings |= MOAT_WARN_TENANT_UNKNOWN;
    outcome o = decide_steps(&e);
    fill(d, r, o);
    d->warnings = e.warnings;
    /* enforced_would: the same request with the association Enforced. */
    if (e.a && (e.a->mode == MODE_LEARNING || e.a->mode == MODE_AUDIT)) {
        eval f = {q, r, r->assoc, MODE_ENFORCED, NULL, 0};
        outcome w = decide_steps(&f);
        d->has_enforced_would = 1;
        d->enforced_would = w.allowed ? MOAT_ALLOW : MOAT_DENY;
        d->enforced_category_ = w.cat;
        d->enforced_rule_ = w.rule;
    }
    if (d->category == MOAT_CAT_NONE) {
        /* Every branch names a category; this is unreachable, and if it is
        ** ever reached it denies. */
        fill(d, r, denied(MOAT_CAT_RES_DEFAULT_ACTION_DENY, 0));
        return MOAT_E_STATE;
    }
    return MOAT_OK;
}

moat_status moat_decide(const moat_request *q, moat_decision *out)
{
    if (out == NULL)
        return MOAT_E_INVAL;
    return moat__decide(q, out, NULL);
}
