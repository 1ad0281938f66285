/*
** read_net.c - where callers come from: virtual networks and their subnets
** (service endpoints, address ranges), subscriptions (which tenant a storage
** account belongs to), and managed identities.
**
** Subnets come inside their VNet (properties.subnets) or as separate
** Microsoft.Network/virtualNetworks/subnets resources; either way moat keeps
** the subnet's service endpoints and its VNet's region (decision.md
** section 6), and its address prefixes, which replay uses to tell which
** subnet a private caller address belongs to.
*/
#include "load.h"

#include <string.h>

/* addressPrefix (one string) and addressPrefixes (a list); an address that
** does not parse is a warning, since only replay's mapping uses them. */
static void read_subnet_prefixes(rctx *c, const json_value *props,
                                 raw_subnet *s)
{
    uint16_t n = 0;
    const char **list = moat__read_strings(c, props, "addressPrefixes", &n);
    const json_value *one = NULL;
    if (moat__get_str(c, props, "addressPrefix", &one) <= 0 || one->len == 0)
        one = NULL;
    size_t total = (size_t)n + (one != NULL);
    if (total == 0)
        return;
    s->prefixes = moat__arena_alloc(&c->ld->arena, total * sizeof *s->prefixes);
    if (s->prefixes == NULL) {
        moat__oom(c->ld);
        return;
    }
    for (size_t i = 0; i < total; i++) {
        const char *text = i < n ? list[i] : one->str;
        moat_cidr cidr;
        if (text[0] == '[') /* a template's expression: unknown, and only */
            continue;       /* replay maps addresses to subnets */
        if (moat__cidr_parse(text, strlen(text), &cidr) != 0) {
            moat__diag(
                c, MOAT_SEV_WARNING, MOAT_E_INVAL, i < n ? NULL : one,
                "subnet address prefix \"%s\" is not an address range; ignored",
                text);
            continue;
        }
        s->prefixes[s->n_prefixes++] = cidr;
    }
}

void moat__read_subnet(rctx *c, const json_value *res, const json_value *props,
                       const char *vnet_location)
{
    raw_subnet *s = moat__arena_zalloc(&c->ld->arena, sizeof *s);
    if (s == NULL) {
        moat__oom(c->ld);
        return;
    }
    const json_value *id;
    if (moat__get_str(c, res, "id", &id) <= 0 || id->len == 0) {
        moat__diag(c, MOAT_SEV_WARNING, MOAT_E_INVAL, NULL,
                   "subnet without an \"id\"; ignored");
        return;
    }
    s->id = moat__dup(c, id);
    size_t plen = moat__arm_parent_len(id->str, id->len, "subnets");
    s->vnet_id = plen ? moat__dupn(c->ld, id->str, plen) : NULL;
    s->vnet_location = vnet_location;
    const json_value *eps;
    if (moat__get_arr(c, props, "serviceEndpoints", &eps) > 0 && eps->len) {
        s->endpoints =
            moat__arena_zalloc(&c->ld->arena, eps->len * sizeof *s->endpoints);
        if (s->endpoints == NULL) {
            moat__oom(c->ld);
            return;
        }
        size_t mark = moat__rctx_push_key(c, eps);
        size_t i = 0;
        for (const json_value *e = eps->child; e; e = e->next, i++) {
            size_t m2 = moat__rctx_push_index(c, i);
            const json_value *svc;
            if (e->type != JSON_OBJECT) {
                moat__diag(c, MOAT_SEV_ERROR, MOAT_E_INVAL, NULL,
                           "expected a service endpoint object, found %s",
                           moat__json_type_name(e->type));
            } else if (moat__get_str(c, e, "service", &svc) > 0) {
                raw_endpoint *ep = &s->endpoints[s->n_endpoints++];
                ep->service = moat__dup(c, svc);
                uint16_t nloc;
                ep->locations = moat__read_strings(c, e, "locations", &nloc);
                ep->n_locations = nloc;
            }
            moat__rctx_pop(c, m2);
        }
        moat__rctx_pop(c, mark);
    }
    read_subnet_prefixes(c, props, s);
    s->loc = moat__loc(c, NULL);
    APPEND(c->ld, subnets, s);
}

void moat__read_vnet(rctx *c, const json_value *res, const json_value *props)
{
    raw_vnet *v = moat__arena_zalloc(&c->ld->arena, sizeof *v);
    if (v == NULL) {
        moat__oom(c->ld);
        return;
    }
    const json_value *id, *loc;
    if (moat__get_str(c, res, "id", &id) > 0 && id->len)
        v->id = moat__dup(c, id);
    if (moat__get_str(c, res, "location", &loc) > 0 && loc->len)
        v->location = moat__dup(c, loc);
    v->loc = moat__loc(c, NULL);
    if (v->id)
        APPEND(c->ld, vnets, v);
    const json_value *subnets;
    if (moat__get_arr(c, props, "subnets", &subnets) <= 0)
        return;
    size_t mark = moat__rctx_push_key(c, subnets);
    size_t i = 0;
    for (const json_value *e = subnets->child; e; e = e->next, i++) {
        size_t m2 = moat__rctx_push_index(c, i);
        if (e->type != JSON_OBJECT) {
            moat__diag(c, MOAT_SEV_ERROR, MOAT_E_INVAL, NULL,
                       "expected a subnet object, found %s",
                       moat__json_type_name(e->type));
        } else {
            props_mark saved;
            const json_value *sp = moat__props_enter(c, e, &saved);
            moat__read_subnet(c, e, sp, v->location);
            moat__props_leave(c, &saved);
        }
        moat__rctx_pop(c, m2);
    }
    moat__rctx_pop(c, mark);
}

/* The subscription's tenantId, beside "properties" (Resource Graph, az)
** or inside it; NULL when absent or when the two disagree (a diagnostic:
** then no tenant is known, which fails closed). */
static const json_value *subscription_tenant(rctx *c, const json_value *res)
{
    const json_value *top = NULL, *in = NULL;
    moat__get_str(c, res, "tenantId", &top);
    if (c->props && c->beside == res)
        moat__get_str(c, c->props, "tenantId", &in);
    if (top && in &&
        (top->len != in->len || memcmp(top->str, in->str, top->len) != 0)) {
        moat__invalid(
            c, in,
            "\"%s\" differs from the tenantId beside \"properties\" (\"%s\"): which tenant is meant is not clear",
            in->str, top->str);
        return NULL;
    }
    return top ? top : in;
}

/* Microsoft.Resources/subscriptions ({subscriptionId, tenantId}), or an
** `az account list` entry ({id: <guid>, tenantId}). */
void moat__read_subscription(rctx *c, const json_value *res)
{
    const json_value *sid = NULL;
    moat__get_str(c, res, "subscriptionId", &sid);
    if (sid == NULL)
        moat__get_str(c, res, "id", &sid);
    const json_value *tid = subscription_tenant(c, res);
    if (sid == NULL || tid == NULL || tid->len == 0) {
        moat__diag(
            c, MOAT_SEV_WARNING, MOAT_E_INVAL, NULL,
            "subscription without subscriptionId (or id) and tenantId; ignored");
        return;
    }
    char guid[128];
    if (moat__subscription_of(sid->str, sid->len, guid, sizeof guid) != 0) {
        moat__diag(
            c, MOAT_SEV_ERROR, MOAT_E_INVAL, sid,
            "\"%s\" is not a subscription id (expected a GUID or /subscriptions/<guid>)",
            sid->str);
        return;
    }
    raw_sub *s = moat__arena_zalloc(&c->ld->arena, sizeof *s);
    if (s == NULL) {
        moat__oom(c->ld);
        return;
    }
    s->guid = moat__dupn(c->ld, guid, strlen(guid));
    s->tenant = moat__dup(c, tid);
    s->loc = moat__loc(c, NULL);
    APPEND(c->ld, subs, s);
}

/*--------------------------------------------------------------------------
** Managed identities: identity.principalId of a resource (system-assigned),
** and Microsoft.ManagedIdentity/userAssignedIdentities (properties.
** principalId). A token's oid is the principal; replay maps it back to the
** resource (decision.md section 2, caller.resource_id).
*/
void moat__read_identity(rctx *c, const json_value *res,
                         const json_value *props, int uai)
{
    const json_value *holder =
        uai ? props : moat__member(c, res, "identity", NULL);
    if (holder == NULL || holder->type != JSON_OBJECT)
        return;
    const json_value *pid = moat__member(c, holder, "principalId", NULL);
    const json_value *id = moat__member(c, res, "id", NULL);
    if (pid == NULL || pid->type != JSON_STRING || pid->len == 0 ||
        moat__is_expression(pid) || id == NULL || id->type != JSON_STRING ||
        id->len == 0)
        return;
    raw_principal *p = moat__arena_zalloc(&c->ld->arena, sizeof *p);
    if (p == NULL) {
        moat__oom(c->ld);
        return;
    }
    const json_value *loc = moat__member(c, res, "location", NULL);
    p->principal_id = moat__dup(c, pid);
    p->resource_id = moat__dup(c, id);
    p->location = loc && loc->type == JSON_STRING ? moat__dup(c, loc) : NULL;
    const json_value *tid = moat__member(c, holder, "tenantId", NULL);
    p->tenant_id =
        tid && tid->type == JSON_STRING && tid->len && !moat__is_expression(tid)
            ? moat__dup(c, tid)
            : NULL;
    p->loc = moat__loc(c, pid);
    APPEND(c->ld, principals, p);
}
