/*
** cells_reach.c - `moat reach` output for one resource (docs/reach.md):
** the JSON document, the text (admitted sources grouped by class, with
** ranges, counts and the admitting rules) and Graphviz edges.
*/
#include "cells_probe.h"

#include <stdlib.h>
#include <string.h>

/* The rule text of cell i on side (the explanation of its witness). */
static void rule_text(const moat_cells *m, size_t i, int side, moat_buf *b)
{
    moat_request *q = moat_request_new(m->c.dom.side[side].es);
    moat_explanation *x = moat_explanation_new();
    if (q && x && moat_cell_witness(m, i, side, q) == MOAT_OK &&
        moat_explain(q, x, 0) == MOAT_OK)
        moat__buf_puts(b, moat_explanation_rule(x));
    moat_explanation_free(x);
    moat_request_free(q);
}

static void association_json(moat_buf *b, const resource *r)
{
    const assoc *a = r->assoc;
    if (a == NULL) {
        moat__buf_puts(b, "null");
        return;
    }
    moat__buf_puts(b, "{\"perimeter\":");
    if (a->perimeter)
        moat__buf_json_cstr(b, a->perimeter->id);
    else
        moat__buf_puts(b, "null");
    moat__buf_printf(b, ",\"mode\":\"%s\"}", moat__mode_name(a->mode));
}

MOAT_API char *moat_cells_reach_json(const moat_cells *m, int with_cells,
                                     size_t *len)
{
    const resource *r = m->c.dom.side[0].r;
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__buf_puts(&b, "{\"resource\":");
    moat__buf_json_cstr(&b, r->id);
    moat__buf_printf(&b, ",\"kind\":\"%s\",\"association\":",
                     r->kind == RES_STORAGE ? "storage" : "keyvault");
    association_json(&b, r);
    moat__buf_puts(&b, ",\"exposure\":");
    moat__cells_exposure(&b, m, 0);
    if (with_cells) {
        char *dom = moat_cells_domain_json(m, NULL);
        moat__buf_printf(&b, ",\"domain\":%s,\"cells\":[", dom ? dom : "null");
        free(dom);
        for (size_t i = 0; i < m->c.n_cells; i++) {
            char *c = moat_cell_json(m, i, NULL);
            moat__buf_puts(&b, i ? "," : "");
            moat__buf_puts(&b, c ? c : "null");
            b.failed |= c == NULL;
            free(c);
        }
        moat__buf_putc(&b, ']');
    }
    moat__buf_putc(&b, '}');
    return moat__cells_take(&b, len);
}

/*--------------------------------------------------------------------------
** Text.
*/
/* "203.0.113.0/24, 198.51.100.7/32 (257 addresses) via RULE, RULE", or
** "none". */
static void probe_line(moat_buf *b, const moat_cells *m, const cpoint *p,
                       int side, const char *label)
{
    probe_addrs a;
    moat__probe_addresses(m, p, side, &a);
    moat__buf_printf(b, "  %s: ", label);
    if (a.ipv4 == 0 && a.ipv6 == 0 && !a.ipv6_all) {
        moat__buf_puts(b, "none\n");
        moat__probe_free(&a);
        return;
    }
    moat__probe_ranges_text(b, m, &a, 12);
    moat__probe_count_text(b, &a);
    moat__buf_puts(b, a.n_rules ? " via " : "");
    /* side 2 asks moat__probe_addresses for side 0 under Enforced (which
    ** names no rules); the side itself is side & 1. */
    for (int i = 0; i < a.n_rules; i++) {
        moat__buf_puts(b, i ? ", " : "");
        rule_text(m, a.cell[i], side & 1, b);
    }
    moat__buf_putc(b, '\n');
    moat__probe_free(&a);
}

/* One exposure list ("subnets": [...]) as a line. */
static void list_line(moat_buf *b, const char *json, const char *key,
                      const char *label)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":[", key);
    const char *s = strstr(json, pat);
    if (s == NULL)
        return;
    s += strlen(pat);
    const char *e = strchr(s, ']');
    if (e == NULL || e == s)
        return;
    moat__buf_printf(b, "  %s: ", label);
    for (; s < e; s++) {
        if (*s == '"')
            continue;
        moat__buf_puts(b, *s == ',' ? ", " : "");
        if (*s != ',')
            moat__buf_putc(b, *s);
    }
    moat__buf_putc(b, '\n');
}

static void exposure_lines(moat_buf *b, const moat_cells *m, int side)
{
    moat_buf e;
    moat__buf_init(&e, 0);
    moat__cells_exposure(&e, m, side & 1);
    const char *json = moat__buf_cstr(&e);
    list_line(b, json, "subnets", "subnets");
    list_line(b, json, "private_endpoints", "private endpoints");
    list_line(b, json, "trusted_services", "trusted services");
    list_line(b, json, "instances", "resource instances");
    list_line(b, json, "subscriptions", "perimeter subscriptions");
    list_line(b, json, "perimeters", "perimeters");
    if (strstr(json, "\"logs\":true"))
        moat__buf_puts(b, "  $logs readers: admitted (bypass Logging)\n");
    if (strstr(json, "\"metrics\":true"))
        moat__buf_puts(b, "  $Metrics readers: admitted (bypass Metrics)\n");
    moat__buf_free(&e);
}

MOAT_API char *moat_cells_reach_text(const moat_cells *m, size_t *len)
{
    const resource *r = m->c.dom.side[0].r;
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__buf_printf(&b, "%s (%s, %s)", r->name ? r->name : r->id,
                     r->kind == RES_STORAGE ? "storage account" : "key vault",
                     r->location ? r->location : "region unknown");
    if (r->assoc)
        moat__buf_printf(&b, ", perimeter %s (%s)",
                         r->assoc->perimeter ? r->assoc->perimeter->name
                                             : "not in the estate",
                         moat__mode_name(r->assoc->mode));
    moat__buf_putc(&b, '\n');
    cpoint base, p;
    moat__probe_base(m, 0, moat__cells_now(), &base);
    probe_line(&b, m, &base, 0, "internet");
    p = base;
    p.a[D_AUTH] = MOAT_AUTH_OAUTH;
    probe_line(&b, m, &p, 0, "internet, Entra ID callers of another tenant");
    for (uint32_t a = 0; r->kind == RES_STORAGE && a + 1 < m->c.dom.n[D_REGION];
         a++) {
        if (!m->c.dom.side[0].same_region[a])
            continue;
        p = base;
        p.a[D_REGION] = a;
        probe_line(&b, m, &p, 0, "same-region Azure callers");
    }
    exposure_lines(&b, m, 0);
    if (r->assoc && r->assoc->mode != MODE_ENFORCED)
        moat__cells_enforced_lines(&b, m, &base);
    return moat__cells_take(&b, len);
}

/*--------------------------------------------------------------------------
** Under Enforced (a Learning or Audit association).
*/
void moat__cells_enforced_lines(moat_buf *b, const moat_cells *m,
                                const cpoint *base)
{
    size_t admitted = 0, lost = 0;
    for (size_t i = 0; i < m->c.n_cells; i++) {
        moat_decision d;
        moat_cell_decision(m, i, 0, &d);
        if (d.verdict != MOAT_ALLOW)
            continue;
        admitted++;
        lost += d.has_enforced_would && d.enforced_would == MOAT_DENY;
    }
    moat__buf_printf(b, "  under Enforced: %zu of the %zu admitted classes of "
                        "requests would be denied\n",
                     lost, admitted);
    probe_line(b, m, base, 2, "under Enforced, internet");
}

/*--------------------------------------------------------------------------
** Graphviz: sources -> resource, edges labelled by rule.
*/
static void dot_node(moat_buf *b, const char *res, const char *src,
                     const char *label)
{
    moat__buf_puts(b, "  ");
    moat__buf_json_cstr(b, src);
    moat__buf_puts(b, " -> ");
    moat__buf_json_cstr(b, res);
    moat__buf_puts(b, " [label=");
    moat__buf_json_cstr(b, label);
    moat__buf_puts(b, "];\n");
}

static void dot_list(moat_buf *b, const char *res, const char *json,
                     const char *key, const char *label)
{
    char pat[64], item[1024];
    snprintf(pat, sizeof pat, "\"%s\":[", key);
    const char *s = strstr(json, pat);
    if (s == NULL)
        return;
    s += strlen(pat);
    while (*s == '"') {
        const char *e = strchr(s + 1, '"');
        if (e == NULL)
            return;
        snprintf(item, sizeof item, "%.*s", (int)(e - s - 1), s + 1);
        dot_node(b, res, item, label);
        s = e + 1 + (e[1] == ',');
    }
}

MOAT_API char *moat_cells_reach_dot(const moat_cells *m, size_t *len)
{
    const resource *r = m->c.dom.side[0].r;
    const char *res = r->name ? r->name : r->id;
    moat_buf b, e;
    moat__buf_init(&b, 0);
    moat__buf_init(&e, 0);
    cpoint base;
    moat__probe_base(m, 0, moat__cells_now(), &base);
    probe_addrs a;
    moat__probe_addresses(m, &base, 0, &a);
    for (int i = 0; i < a.n_rules; i++) {
        moat_buf t;
        moat__buf_init(&t, 0);
        rule_text(m, a.cell[i], 0, &t);
        dot_node(&b, res, "internet", moat__buf_cstr(&t));
        moat__buf_free(&t);
    }
    moat__probe_free(&a);
    moat__cells_exposure(&e, m, 0);
    const char *json = moat__buf_cstr(&e);
    dot_list(&b, res, json, "subnets", "virtualNetworkRules");
    dot_list(&b, res, json, "private_endpoints", "private endpoint");
    dot_list(&b, res, json, "trusted_services", "bypass AzureServices");
    dot_list(&b, res, json, "instances", "resourceAccessRules");
    dot_list(&b, res, json, "subscriptions", "perimeter subscription rule");
    dot_list(&b, res, json, "perimeters", "perimeter");
    if (strstr(json, "\"logs\":true"))
        dot_node(&b, res, "$logs readers", "bypass Logging");
    if (strstr(json, "\"metrics\":true"))
        dot_node(&b, res, "$Metrics readers", "bypass Metrics");
    moat__buf_free(&e);
    return moat__cells_take(&b, len);
}
