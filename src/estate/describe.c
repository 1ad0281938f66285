/*
** describe.c - the compiled estate as JSON: every resource with its
** effective settings (Azure's defaults made explicit and marked as such),
** addresses in canonical form, perimeters with their joins. It backs
** `moat estate show` and lets tests compare what moat loaded with what
** Azure answered.
*/
#include "moat_int.h"

#include <stdlib.h>
#include <string.h>

static void str_member(moat_buf *b, const char *key, const char *value)
{
    moat__buf_printf(b, "\"%s\":", key);
    if (value)
        moat__buf_json_cstr(b, value);
    else
        moat__buf_puts(b, "null");
}

static const char *basis_name(basis x)
{
    return x == BASIS_DEFAULT   ? "default"
           : x == BASIS_UNKNOWN ? "unknown"
                                : "explicit";
}

static void describe_ips(moat_buf *b, const char *key, const ip_rule *r,
                         uint16_t n)
{
    moat__buf_printf(b, ",\"%s\":[", key);
    for (uint16_t i = 0; i < n; i++) {
        char text[80];
        moat__cidr_format(&r[i].cidr, text, sizeof text);
        moat__buf_printf(b, "%s{\"value\":", i ? "," : "");
        moat__buf_json_cstr(b, r[i].text);
        moat__buf_puts(b, ",\"cidr\":");
        moat__buf_json_cstr(b, text);
        moat__buf_printf(b, ",\"index\":%u}", r[i].index);
    }
    moat__buf_putc(b, ']');
}

static void describe_acls(moat_buf *b, const resource *r)
{
    moat__buf_printf(
        b,
        ",\"networkAcls\":{\"basis\":\"%s\",\"defaultAction\":\"%s\",\"defaultActionBasis\":\"%s\",\"bypass\":[",
        basis_name(r->acl_basis), r->default_allow ? "Allow" : "Deny",
        basis_name(r->default_basis));
    static const struct {
        unsigned bit;
        const char *name;
    } bits[] = {{BYPASS_LOGGING, "Logging"},
                {BYPASS_METRICS, "Metrics"},
                {BYPASS_AZURE_SERVICES, "AzureServices"}};
    int first = 1;
    for (size_t i = 0; i < MOAT_ARRAY_LEN(bits); i++) {
        if (r->bypass & bits[i].bit) {
            moat__buf_printf(b, "%s\"%s\"", first ? "" : ",", bits[i].name);
            first = 0;
        }
    }
    moat__buf_printf(
        b,
        "],\"bypassBasis\":\"%s\",\"ipRulesBasis\":\"%s\",\"virtualNetworkRulesBasis\":\"%s\",\"resourceAccessRulesBasis\":\"%s\"",
        basis_name(r->bypass_basis), basis_name(r->ip_basis),
        basis_name(r->vnet_basis), basis_name(r->rar_basis));
    describe_ips(b, "ipRules", r->ip4, r->n_ip4);
    describe_ips(b, "ipv6Rules", r->ip6, r->n_ip6);
    moat__buf_puts(b, ",\"virtualNetworkRules\":[");
    for (uint16_t i = 0; i < r->n_vnets; i++) {
        moat__buf_printf(b, "%s{", i ? "," : "");
        str_member(b, "id", r->vnets[i].id);
        moat__buf_printf(b, ",\"state\":\"%s\",\"index\":%u}",
                         moat__vnet_state_name(r->vnets[i].state),
                         r->vnets[i].index);
    }
    moat__buf_puts(b, "],\"resourceAccessRules\":[");
    for (uint16_t i = 0; i < r->n_rars; i++) {
        moat__buf_printf(b, "%s{", i ? "," : "");
        str_member(b, "tenantId", r->rars[i].tenant_text);
        moat__buf_putc(b, ',');
        str_member(b, "resourceId", r->rars[i].resource_id);
        moat__buf_printf(b, ",\"index\":%u}", r->rars[i].index);
    }
    moat__buf_puts(b, "]}");
}

static void describe_resource(moat_buf *b, const resource *r)
{
    moat__buf_putc(b, '{');
    str_member(b, "id", r->id);
    moat__buf_putc(b, ',');
    str_member(b, "name", r->name);
    moat__buf_printf(b, ",\"kind\":\"%s\",",
                     r->kind == RES_STORAGE ? "storage" : "keyvault");
    str_member(b, "location", r->location);
    moat__buf_printf(b, ",\"origin\":\"%s\",\"syntheticId\":%s,",
                     r->origin ? r->origin : "arm",
                     r->synthetic_id ? "true" : "false");
    str_member(b, "address", r->address);
    moat__buf_putc(b, ',');
    str_member(b, "tenant", r->tenant_text);
    moat__buf_putc(b, ',');
    str_member(b, "tenantSource", r->tenant_source);
    moat__buf_printf(
        b,
        ",\"publicNetworkAccess\":\"%s\",\"publicNetworkAccessBasis\":\"%s\"",
        moat__pna_name(r->pna), basis_name(r->pna_basis));
    describe_acls(b, r);
    moat__buf_puts(b, ",\"privateEndpointConnections\":[");
    for (uint16_t i = 0; i < r->n_pes; i++) {
        moat__buf_printf(b, "%s{", i ? "," : "");
        str_member(b, "privateEndpoint", r->pes[i].pe_id);
        moat__buf_printf(b, ",\"status\":\"%s\",\"source\":\"%s\"}",
                         moat__pe_status_name(r->pes[i].status),
                         r->pes[i].from_endpoint ? "privateEndpoint"
                                                 : "resource");
    }
    moat__buf_printf(
        b, "],\"privateEndpointConnectionsBasis\":\"%s\",\"rejectedRules\":[",
        basis_name(r->pe_basis));
    for (uint16_t i = 0; i < r->n_rejects; i++) {
        moat__buf_printf(b, "%s{\"list\":\"%s\",\"index\":%u,\"value\":",
                         i ? "," : "", r->rejects[i].list, r->rejects[i].index);
        moat__buf_json_cstr(b, r->rejects[i].value);
        moat__buf_puts(b, ",\"message\":");
        moat__buf_json_cstr(b, r->rejects[i].message);
        moat__buf_putc(b, '}');
    }
    moat__buf_puts(b, "],\"perimeter\":");
    const assoc *a = r->assoc;
    if (a == NULL) {
        moat__buf_puts(b, "null");
    } else {
        moat__buf_putc(b, '{');
        str_member(b, "association", a->id);
        moat__buf_printf(b, ",\"accessMode\":\"%s\",",
                         moat__mode_name(a->mode));
        str_member(b, "perimeter", a->perimeter ? a->perimeter->id : NULL);
        moat__buf_putc(b, ',');
        str_member(b, "perimeterGuid",
                   a->perimeter ? a->perimeter->guid_text : NULL);
        moat__buf_putc(b, ',');
        str_member(b, "profile", a->profile ? a->profile->id : NULL);
        moat__buf_printf(b,
                         ",\"linkedPerimeters\":%u,\"fromConfiguration\":%s}",
                         a->n_joins, a->synthetic ? "true" : "false");
    }
    moat__buf_printf(b, ",\"file\":");
    moat__buf_json_cstr(b, r->file);
    moat__buf_printf(b, ",\"line\":%u}", r->line);
}

static void describe_profile(moat_buf *b, const profile *p)
{
    moat__buf_putc(b, '{');
    str_member(b, "id", p->id);
    moat__buf_putc(b, ',');
    str_member(b, "perimeter", p->perimeter ? p->perimeter->id : NULL);
    moat__buf_puts(b, ",\"accessRules\":[");
    for (uint16_t i = 0; i < p->n_rules; i++) {
        const access_rule *r = &p->rules[i];
        moat__buf_printf(b, "%s{", i ? "," : "");
        str_member(b, "name", r->name);
        moat__buf_printf(b, ",\"direction\":\"%s\",\"addressPrefixes\":[",
                         r->inbound ? "Inbound" : "Outbound");
        for (uint16_t k = 0; k < r->n_prefixes; k++) {
            char text[80];
            moat__cidr_format(&r->cidrs[k], text, sizeof text);
            moat__buf_printf(b, "%s", k ? "," : "");
            moat__buf_json_cstr(b, text);
        }
        moat__buf_puts(b, "],\"subscriptions\":[");
        for (uint16_t k = 0; k < r->n_subscriptions; k++) {
            moat__buf_printf(b, "%s", k ? "," : "");
            moat__buf_json_cstr(b, r->subscriptions[k]);
        }
        moat__buf_puts(b, "],\"serviceTags\":[");
        for (uint16_t k = 0; k < r->n_service_tags; k++) {
            moat__buf_printf(b, "%s", k ? "," : "");
            moat__buf_json_cstr(b, r->service_tags[k]);
        }
        moat__buf_printf(b, "],\"outboundElements\":%u}", r->n_other);
    }
    moat__buf_puts(b, "]}");
}

char *moat_estate_describe(const moat_estate *es, size_t *len)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__buf_puts(&b, "{\"resources\":[");
    for (size_t i = 0; i < es->n_resources; i++) {
        if (i)
            moat__buf_putc(&b, ',');
        describe_resource(&b, &es->resources[i]);
    }
    moat__buf_puts(&b, "],\"perimeters\":[");
    for (size_t i = 0; i < es->n_perimeters; i++) {
        const perimeter *p = &es->perimeters[i];
        moat__buf_printf(&b, "%s{", i ? "," : "");
        str_member(&b, "id", p->id);
        moat__buf_putc(&b, ',');
        str_member(&b, "perimeterGuid", p->guid_text);
        moat__buf_putc(&b, ',');
        str_member(&b, "location", p->location);
        moat__buf_printf(&b, ",\"fromConfiguration\":%s}",
                         p->synthetic ? "true" : "false");
    }
    moat__buf_puts(&b, "],\"profiles\":[");
    for (size_t i = 0; i < es->n_profiles; i++) {
        if (i)
            moat__buf_putc(&b, ',');
        describe_profile(&b, &es->profiles[i]);
    }
    moat__buf_puts(&b, "],\"links\":[");
    for (size_t i = 0; i < es->n_links; i++) {
        const nsp_link *l = &es->links[i];
        moat__buf_printf(&b, "%s{", i ? "," : "");
        str_member(&b, "id", l->id);
        moat__buf_putc(&b, ',');
        str_member(&b, "remotePerimeter", l->remote_id);
        moat__buf_putc(&b, ',');
        str_member(&b, "status", l->status_text);
        moat__buf_printf(&b, ",\"approved\":%s}",
                         l->approved ? "true" : "false");
    }
    moat__buf_puts(&b, "],\"subnets\":[");
    for (size_t i = 0; i < es->n_subnets; i++) {
        const subnet_info *s = &es->subnets[i];
        moat__buf_printf(&b, "%s{", i ? "," : "");
        str_member(&b, "id", s->id);
        moat__buf_puts(&b, ",\"region\":");
        if (s->vnet_region < MOAT_ID_OTHER)
            moat__buf_json_cstr(&b, es->regions.keys[s->vnet_region]);
        else
            moat__buf_puts(&b, "null");
        if (s->storage_pair < MOAT_ID_OTHER) {
            moat__buf_puts(&b, ",\"storagePairedRegion\":");
            moat__buf_json_cstr(&b, es->regions.keys[s->storage_pair]);
        }
        moat__buf_puts(&b, ",\"serviceEndpoints\":[");
        for (uint16_t k = 0; k < s->n_services; k++) {
            moat__buf_printf(&b, "%s", k ? "," : "");
            moat__buf_json_cstr(&b, s->services[k]);
        }
        moat__buf_puts(&b, "]}");
    }
    moat__buf_puts(&b, "],\"subscriptions\":[");
    for (size_t i = 0; i < es->n_subs; i++) {
        moat__buf_printf(&b, "%s{", i ? "," : "");
        str_member(&b, "subscriptionId", es->sub_ids[i]);
        moat__buf_putc(&b, ',');
        str_member(&b, "tenantId", es->sub_tenants[i]);
        moat__buf_putc(&b, '}');
    }
    moat__buf_puts(&b, "]}");
    if (b.failed) {
        moat__buf_free(&b);
        return NULL;
    }
    if (len)
        *len = b.len;
    return b.data;
}
