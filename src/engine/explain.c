/*
** explain.c - the decision with words: the path through decision.md
** section 4 layer by layer, the deciding rule as the estate names it, a
** reason sentence, and the JSON of section 3.
**
** Built only when asked for: moat_explain() runs the same procedure as
** moat_decide() with a trace attached, and everything it writes lives in
** the explanation's own arena.
*/
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>

struct moat_explanation {
    moat_trace trace;
    moat_arena arena;
    moat_decision d;
    const moat_request *q;
    const char *rule;
    const char *reason;
    moat_buf json;
};

moat_explanation *moat_explanation_new(void)
{
    moat_explanation *x = calloc(1, sizeof *x);
    if (x == NULL)
        return NULL;
    moat__arena_init(&x->arena, 16u * 1024u * 1024u);
    moat__buf_init(&x->json, 1024u * 1024u);
    return x;
}

void moat_explanation_free(moat_explanation *x)
{
    if (x == NULL)
        return;
    moat__arena_free(&x->arena);
    moat__buf_free(&x->json);
    free(x);
}

const moat_decision *moat_explanation_decision(const moat_explanation *x)
{
    return &x->d;
}

const char *moat_explanation_rule(const moat_explanation *x)
{
    return x->rule ? x->rule : "";
}

const char *moat_explanation_reason(const moat_explanation *x)
{
    return x->reason ? x->reason : "";
}

size_t moat_explanation_step_count(const moat_explanation *x)
{
    return x->trace.n;
}

const moat_step *moat_explanation_step(const moat_explanation *x, size_t i)
{
    return i < x->trace.n ? &x->trace.steps[i] : NULL;
}

/*--------------------------------------------------------------------------
** The deciding rule, named as the estate names it.
*/
static const char *perimeter_label(const assoc *a)
{
    if (a == NULL || a->perimeter == NULL)
        return "(perimeter not in the estate)";
    return a->perimeter->name;
}

/* The name a catalog row knew the caller by: caller.service, else the
** type of caller.resource_id (decision.md section 4, trusted). */
static void caller_name(moat_buf *b, const moat_request *q)
{
    char type[512];
    if (q->service) {
        moat__buf_puts(b, q->service);
        return;
    }
    size_t n = q->caller_id ? moat__arm_type_of(q->caller_id, q->caller_id_len,
                                                type, sizeof type)
                            : 0;
    moat__buf_put(b, type, n);
}

static void rule_text(moat_buf *b, const moat_request *q,
                      const moat_decision *d)
{
    const resource *r = q->res;
    const assoc *a = r->assoc;
    uint16_t i = MOAT_RULE_INDEX(d->rule_);
    switch (MOAT_RULE_KIND(d->rule_)) {
    case RK_NONE: break;
    case RK_DEFAULT_ACTION:
        moat__buf_printf(b, "networkAcls.defaultAction %s",
                         r->default_allow ? "Allow" : "Deny");
        break;
    case RK_NO_ACLS:
        moat__buf_puts(b, "networkAcls (absent: defaultAction Allow)");
        break;
    case RK_IP4:
    case RK_IP6:
    case RK_VNET:
    case RK_RAR: moat__rule_name(b, r, NULL, MOAT_RULE_KIND(d->rule_), i); break;
    case RK_TRUSTED:
        moat__buf_printf(b, "networkAcls.bypass AzureServices: %s (",
                         moat__catalog_entries[i].service);
        caller_name(b, q);
        moat__buf_putc(b, ')');
        break;
    case RK_BYPASS_LOGGING:
        moat__buf_puts(b, "networkAcls.bypass Logging");
        break;
    case RK_BYPASS_METRICS:
        moat__buf_puts(b, "networkAcls.bypass Metrics");
        break;
    case RK_PNA:
        moat__buf_printf(b, "publicNetworkAccess %s", moat__pna_name(r->pna));
        break;
    case RK_PE:
        if (i != MOAT_RULE_NONE)
            moat__buf_printf(b, "privateEndpointConnections %s (%s)",
                             r->pes[i].pe_id, r->pes[i].status_text);
        break;
    case RK_ASSOC:
        if (a)
            moat__buf_printf(b, "resourceAssociations/%s (%s)", a->name,
                             a->mode_text);
        break;
    case RK_INTRA:
        if (a && a->perimeter)
            moat__buf_printf(b, "perimeter %s (%s)", a->perimeter->name,
                             a->perimeter->guid_text ? a->perimeter->guid_text
                                                     : "no GUID");
        break;
    case RK_LINK: moat__buf_printf(b, "links/%s", q->es->links[i].name); break;
    case RK_NSP_RULE:
        if (a && a->profile)
            moat__rule_name(b, r, a->profile, RK_NSP_RULE, i);
        break;
    case RK_NSP_PROFILE:
        if (a && a->profile)
            moat__buf_printf(b, "profiles/%s", a->profile->name);
        else if (a)
            moat__buf_printf(b, "resourceAssociations/%s", a->name);
        break;
    }
}

/*--------------------------------------------------------------------------
** The reason sentence.
*/
static void source_words(moat_buf *b, const moat_request *q)
{
    char ip[64];
    if (q->ip.family) {
        moat__addr_format(&q->ip, ip, sizeof ip);
        moat__buf_puts(b, ip);
    } else {
        moat__buf_puts(b, "a request without a source address");
    }
}

/* Why a resource rule admitted (or why none did). */
static void resource_reason(moat_buf *b, const moat_request *q,
                            const moat_decision *d)
{
    const resource *r = q->res;
    uint16_t i = MOAT_RULE_INDEX(d->rule_);
    switch (MOAT_RULE_KIND(d->rule_)) {
    case RK_NO_ACLS:
        moat__buf_puts(
            b,
            "the resource has no network rules, and Azure's default admits all networks");
        break;
    case RK_DEFAULT_ACTION:
        if (r->default_allow) {
            moat__buf_puts(b, "the firewall's default action is Allow");
        } else {
            moat__buf_puts(
                b,
                "the default action is Deny and no rule or exception admits ");
            source_words(b, q);
        }
        break;
    case RK_IP4:
    case RK_IP6: {
        const ip_rule *ir =
            MOAT_RULE_KIND(d->rule_) == RK_IP4 ? &r->ip4[i] : &r->ip6[i];
        source_words(b, q);
        moat__buf_printf(b, " is inside IP rule %s", ir->text);
        break;
    }
    case RK_VNET:
        moat__buf_printf(
            b,
            "the request came through a service endpoint of subnet %s, which a virtual network rule admits",
            r->vnets[i].id);
        break;
    case RK_RAR:
        moat__buf_printf(
            b,
            "the calling resource %s (tenant %s) matches the resource instance rule %s",
            q->caller_id, q->tenant_text ? q->tenant_text : "",
            r->rars[i].resource_id);
        break;
    case RK_TRUSTED:
        moat__buf_printf(
            b,
            "the caller is %s, a trusted service, from the resource's own tenant, and AzureServices is in bypass",
            moat__catalog_entries[i].service);
        break;
    case RK_BYPASS_LOGGING:
        moat__buf_puts(
            b, "reads of the $logs container are excepted by bypass Logging");
        break;
    case RK_BYPASS_METRICS:
        moat__buf_printf(
            b, "reads of metrics table %s are excepted by bypass Metrics",
            q->target ? q->target : "");
        break;
    case RK_PNA:
        /* Each names the exceptions its kind has: Key Vault has neither
        ** resource instance rules nor Logging and Metrics. */
        moat__buf_puts(
            b,
            r->kind == RES_STORAGE
                ? "the resource's publicNetworkAccess is Disabled and no exception (resource instance rule, trusted service, Logging or Metrics) admits the request"
                : "the vault's publicNetworkAccess is Disabled and the request is neither from a trusted service (bypass AzureServices) nor through an approved private link");
        break;
    default: break;
    }
}

/* The reason of a perimeter's decision (its rules, its members, its
** links); 0 when the category is not one. */
static int perimeter_reason(moat_buf *b, const moat_request *q,
                            const moat_decision *d)
{
    const assoc *a = q->res->assoc;
    uint16_t i = MOAT_RULE_INDEX(d->rule_);
    switch (d->category) {
    case MOAT_CAT_NSP_INTRA_PERIMETER_INBOUND_ALLOWED:
        moat__buf_printf(
            b,
            "The caller is inside perimeter %s, which admits its own members",
            perimeter_label(a));
        break;
    case MOAT_CAT_NSP_CROSS_PERIMETER_INBOUND_ALLOWED:
        moat__buf_printf(
            b,
            "The caller's perimeter is joined to perimeter %s by the Approved link %s",
            perimeter_label(a), q->es->links[i].name);
        break;
    case MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_ALLOWED:
        moat__buf_printf(
            b, "Inbound access rule %s of perimeter %s admits the request",
            a && a->profile ? a->profile->rules[i].name : "?",
            perimeter_label(a));
        break;
    case MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_DENIED:
        moat__buf_printf(
            b,
            "Perimeter %s is %s and none of its inbound rules admit the request; the resource's own rules are not consulted",
            perimeter_label(a),
            a && a->mode == MODE_ENFORCED
                ? "Enforced"
                : "the only way in (SecuredByPerimeter)");
        break;
    case MOAT_CAT_NSP_PUBLIC_INBOUND_RESOURCE_RULES_ALLOWED:
        moat__buf_printf(
            b,
            "No rule of perimeter %s admits the request; in Learning mode the resource's own rules decide, and ",
            perimeter_label(a));
        resource_reason(b, q, d);
        break;
    case MOAT_CAT_NSP_PUBLIC_INBOUND_RESOURCE_RULES_DENIED:
        moat__buf_printf(
            b,
            "Neither perimeter %s nor the resource's own rules admit the request: ",
            perimeter_label(a));
        resource_reason(b, q, d);
        break;
    default: return 0;
    }
    return 1;
}

static void reason_text(moat_buf *b, const moat_request *q,
                        const moat_decision *d)
{
    const resource *r = q->res;
    const assoc *a = r->assoc;
    uint16_t i = MOAT_RULE_INDEX(d->rule_);
    switch (d->category) {
    case MOAT_CAT_RES_CONTROL_PLANE_NOT_FILTERED:
        moat__buf_puts(
            b,
            "Control-plane (Azure Resource Manager) requests are not subject to the resource's network rules");
        break;
    case MOAT_CAT_RES_PRIVATE_ENDPOINT:
    case MOAT_CAT_NSP_PRIVATE_INBOUND_ALLOWED:
        moat__buf_printf(
            b,
            "The request came through private endpoint %s, whose connection is Approved; private link is subject to neither public network access nor a perimeter",
            q->pe);
        break;
    case MOAT_CAT_RES_PRIVATE_ENDPOINT_NOT_APPROVED:
        if (i == MOAT_RULE_NONE)
            moat__buf_printf(
                b, "The resource has no connection from private endpoint %s",
                q->pe);
        else
            moat__buf_printf(
                b,
                "The connection from private endpoint %s is %s; only Approved connections carry traffic",
                q->pe, r->pes[i].status_text);
        break;
    case MOAT_CAT_RES_PERIMETER_LOCKDOWN:
        moat__buf_puts(
            b,
            "publicNetworkAccess is SecuredByPerimeter but no perimeter is associated, so only private endpoints are admitted");
        break;
    case MOAT_CAT_RES_PROTOCOL_NOT_SUPPORTED_BY_PERIMETER:
        moat__buf_printf(
            b,
            "The account is in network security perimeter %s, which admits HTTPS only; this request uses %s",
            perimeter_label(a), moat__protocol_name(q->protocol));
        break;
    default: {
        if (perimeter_reason(b, q, d))
            break;
        size_t start = b->len;
        resource_reason(b, q, d);
        /* Capitalise the sentence. */
        if (b->data && b->len > start && b->data[start] >= 'a' &&
            b->data[start] <= 'z')
            b->data[start] = (char)(b->data[start] - 32);
        break;
    }
    }
    if (d->has_enforced_would && a) {
        moat__buf_printf(b, ". In Enforced mode it would be %s",
                         d->enforced_would ? "allowed" : "denied");
    }
    moat__buf_putc(b, '.');
}

static const char *arena_copy(moat_arena *a, moat_buf *b)
{
    const char *s = moat__buf_cstr(b);
    return moat__arena_strndup(a, s, strlen(s));
}

moat_status moat_explain(const moat_request *q, moat_explanation *x,
                         unsigned flags)
{
    if (x == NULL)
        return MOAT_E_INVAL;
    moat__arena_reset(&x->arena);
    x->trace.n = 0;
    x->trace.arena = &x->arena;
    x->q = q;
    x->rule = "";
    x->reason = "";
    moat_status rc =
        moat__decide(q, &x->d, (flags & MOAT_EXPLAIN_STEPS) ? &x->trace : NULL);
    if (rc != MOAT_OK)
        return rc;
    moat_buf b;
    moat__buf_init(&b, 64u * 1024u);
    rule_text(&b, q, &x->d);
    x->rule = arena_copy(&x->arena, &b);
    moat__buf_clear(&b);
    reason_text(&b, q, &x->d);
    x->reason = arena_copy(&x->arena, &b);
    int failed = b.failed || x->rule == NULL || x->reason == NULL;
    moat__buf_free(&b);
    if (failed) {
        x->rule = x->reason = "";
        return MOAT_E_NOMEM;
    }
    return MOAT_OK;
}

/*--------------------------------------------------------------------------
** JSON (decision.md section 3).
*/
size_t moat_explanation_json(moat_explanation *x, char *buf, size_t cap)
{
    moat_buf *b = &x->json;
    moat__buf_clear(b);
    const moat_decision *d = &x->d;
    moat__buf_puts(b, "{\"resource\":");
    moat__buf_json_cstr(b, moat_request_resource_id(x->q));
    moat__buf_puts(b, d->verdict == MOAT_ALLOW ? ",\"decision\":\"allow\""
                                               : ",\"decision\":\"deny\"");
    moat__buf_puts(b, ",\"category\":\"");
    moat__buf_puts(b, moat_category_name(d->category));
    moat__buf_puts(b, "\",\"rule\":");
    moat__buf_json_cstr(b, x->rule);
    moat__buf_puts(b, ",\"reason\":");
    moat__buf_json_cstr(b, x->reason);
    if (d->has_enforced_would)
        moat__buf_puts(b, d->enforced_would == MOAT_ALLOW
                              ? ",\"enforced_would\":\"allow\""
                              : ",\"enforced_would\":\"deny\"");
    if (d->verdict == MOAT_DENY) {
        moat__buf_puts(b, ",\"http\":{\"status\":403,\"code\":\"");
        moat__buf_puts(b, d->http_code ? d->http_code : "");
        moat__buf_puts(b, "\"}");
    }
    moat__buf_puts(b, ",\"warnings\":[");
    int first = 1;
    for (unsigned bit = 1; bit; bit <<= 1) {
        const char *w = (d->warnings & bit) ? moat_warning_name(bit) : NULL;
        if (w == NULL)
            continue;
        moat__buf_puts(b, first ? "\"" : ",\"");
        moat__buf_puts(b, w);
        moat__buf_putc(b, '"');
        first = 0;
    }
    moat__buf_puts(b, "]}");
    if (b->failed) {
        if (cap)
            buf[0] = '\0';
        return 0;
    }
    if (cap) {
        size_t n = b->len < cap - 1 ? b->len : cap - 1;
        memcpy(buf, b->data, n);
        buf[n] = '\0';
    }
    return b->len;
}

/*--------------------------------------------------------------------------
** Azure's refusal messages (decision.md section 3; the bodies Key Vault
** answers, as collected from real responses: the wording changes with the
** inner code, the bypass and a perimeter).
*/
static const char *vault_cause(const resource *r, const moat_decision *d)
{
    int trusted = (r->bypass & BYPASS_AZURE_SERVICES) != 0;
    if (d->category == MOAT_CAT_RES_PUBLIC_NETWORK_ACCESS_DISABLED)
        return trusted
                   ? "Public network access is disabled and request is not from a trusted service nor via an approved private link."
                   : "Connection is not an approved private link and caller was ignored because bypass is not set to 'AzureServices' and PublicNetworkAccess is set to 'Disabled'.";
    /* A perimeter's refusal: Azure's words are known with bypass None;
    ** with AzureServices, our reading joins them to the firewall's. */
    if (d->category == MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_DENIED ||
        d->category == MOAT_CAT_NSP_PUBLIC_INBOUND_RESOURCE_RULES_DENIED)
        return trusted
                   ? "Request was not allowed by NSP rules and the client address is not authorized and caller is not a trusted service."
                   : "Request was not allowed by NSP rules and the client address is not authorized and caller was ignored because bypass is set to None";
    return trusted
               ? "Client address is not authorized and caller is not a trusted service."
               : "Client address is not authorized and caller was ignored because bypass is set to None";
}

size_t moat_refusal_message(const moat_request *q, const moat_decision *d,
                            const char *caller, char *buf, size_t cap)
{
    moat_buf b;
    moat__buf_init(&b, 64u * 1024u);
    const resource *r = q && q->res ? q->res : NULL;
    if (r && d && d->verdict == MOAT_DENY && r->kind == RES_STORAGE) {
        moat__buf_puts(
            &b, "This request is not authorized to perform this operation.");
    } else if (r && d && d->verdict == MOAT_DENY) {
        const char *cause = vault_cause(r, d);
        int connection = d->http_code &&
                         strcmp(d->http_code, "ForbiddenByConnection") == 0;
        moat__buf_puts(&b, cause);
        char ip[64] = "unknown", region[128] = "";
        if (q->ip.family)
            moat__addr_format(&q->ip, ip, sizeof ip);
        /* The region's ARM name ("westeurope"), as Key Vault writes it. */
        if (r->location == NULL ||
            moat__region_norm(r->location, strlen(r->location), region,
                              sizeof region) != 0)
            region[0] = '\0';
        if (!connection)
            moat__buf_printf(&b, "\r\nClient address: %s", ip);
        if (!(connection && strstr(cause, "caller was ignored")))
            moat__buf_printf(&b, "\r\nCaller: %s",
                             caller && *caller ? caller : "unknown");
        moat__buf_printf(&b, "\r\nVault: %s;location=%s", r->name, region);
    }
    size_t n = b.failed ? 0 : b.len;
    if (cap) {
        size_t k = n < cap - 1 ? n : cap - 1;
        if (k)
            memcpy(buf, b.data, k);
        buf[k] = '\0';
    }
    moat__buf_free(&b);
    return n;
}

long moat_decision_rule(const moat_request *q, const moat_decision *d)
{
    if (q == NULL || d == NULL || q->res == NULL)
        return -1;
    return moat__rule_number(q->res, d->rule_);
}
