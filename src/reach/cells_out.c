/*
** cells_out.c - a whole cell as JSON (its `when` is cells_json.c's), and
** the domain the `when` of every cell refers to (docs/reach.md).
*/
#include "cells_api.h"

#include <stdlib.h>
#include <string.h>

char *moat__cells_take(moat_buf *b, size_t *len)
{
    if (b->failed) {
        moat__buf_free(b);
        return NULL;
    }
    char *s = malloc(b->len + 1);
    if (s) {
        memcpy(s, b->data ? b->data : "", b->len);
        s[b->len] = '\0';
        if (len)
            *len = b->len;
    }
    moat__buf_free(b);
    return s;
}

static void warnings_json(moat_buf *b, unsigned w)
{
    moat__buf_puts(b, "\"warnings\":[");
    int n = 0;
    for (unsigned bit = 1; bit && bit <= w; bit <<= 1) {
        if ((w & bit) && moat_warning_name(bit)) {
            moat__buf_puts(b, n++ ? "," : "");
            moat__buf_json_cstr(b, moat_warning_name(bit));
        }
    }
    moat__buf_putc(b, ']');
}

/* The side's decision of cell i with the deciding rule's text (from the
** explanation of the witness, which the tests hold to the cell). */
static void decision_fields(moat_buf *b, const moat_cells *m, size_t i,
                            int side, const moat_decision *dp)
{
    moat_decision d = *dp;
    moat__buf_printf(b, "\"decision\":\"%s\",\"category\":\"%s\",\"rule\":",
                     d.verdict == MOAT_ALLOW ? "allow" : "deny",
                     moat_category_name(d.category));
    moat_request *q = moat_request_new(m->c.dom.side[side].es);
    moat_explanation *x = moat_explanation_new();
    if (q && x && moat_cell_witness(m, i, side, q) == MOAT_OK &&
        moat_explain(q, x, 0) == MOAT_OK)
        moat__buf_json_cstr(b, moat_explanation_rule(x));
    else
        b->failed = 1;
    moat_explanation_free(x);
    moat_request_free(q);
    moat__buf_putc(b, ',');
    warnings_json(b, d.warnings);
    if (d.has_enforced_would)
        moat__buf_printf(b, ",\"enforced_would\":\"%s\"",
                         d.enforced_would == MOAT_ALLOW ? "allow" : "deny");
}

static void decision_json(moat_buf *b, const moat_cells *m, size_t i, int side)
{
    moat_decision d;
    if (moat_cell_decision(m, i, side, &d) != MOAT_OK) {
        moat__buf_puts(b, "null");
        return;
    }
    moat__buf_putc(b, '{');
    decision_fields(b, m, i, side, &d);
    moat__buf_putc(b, '}');
}

static void field(moat_buf *b, int *n, const char *key, const char *v)
{
    if (v == NULL)
        return;
    moat__buf_printf(b, "%s\"%s\":", (*n)++ ? "," : "", key);
    moat__buf_json_cstr(b, v);
}

/* The witness as a request object (decision.md section 2). */
static void witness_json(moat_buf *b, const moat_cells *m, const ccell *x)
{
    static const char *const names[][8] = {
        {"data", "control"},
        {"HTTPS", "HTTP", "SMB", "NFS", "SFTP"},
        {"blob", "dfs", "file", "queue", "table", "web", "vault"},
        {"read", "write", "delete", "list"},
        {"OAuth", "SAS", "AccountKey", "Anonymous"},
        {"$logs", "$MetricsHourPrimaryTransactionsBlob", "data"}};
    const cdomain *d = &m->c.dom;
    cpoint p;
    moat__cells_first(m, &x->box, &p);
    moat__buf_printf(b, "{\"plane\":\"%s\",\"endpoint\":\"%s\","
                        "\"protocol\":\"%s\",\"operation\":\"%s\","
                        "\"target\":",
                     names[0][p.a[D_PLANE]], names[2][p.a[D_ENDPOINT]],
                     names[1][p.a[D_PROTOCOL]], names[3][p.a[D_OP]]);
    moat__buf_json_cstr(b, names[5][p.a[D_TARGET]]);
    moat__buf_puts(b, ",\"source\":{");
    int n = 0;
    const path_atom *pa = &d->path[p.a[D_PATH]];
    int pe = pa->kind == PATH_PE || pa->kind == PATH_PE_OTHER;
    const ip_atom *ia = &d->ip[p.a[D_IP]];
    char ip[64];
    if (ia->family) {
        moat_addr a = {ia->family, ia->lo};
        moat__addr_format(&a, ip, sizeof ip);
    }
    field(b, &n, "ip", ia->family ? ip : NULL);
    field(b, &n, pe ? "private_endpoint" : "subnet", pa->id);
    field(b, &n, "region", d->region[p.a[D_REGION]]);
    moat__buf_printf(b, "},\"caller\":{\"auth\":\"%s\"",
                     names[4][p.a[D_AUTH]]);
    n = 1;
    field(b, &n, "tenant", d->tenant[p.a[D_TENANT]]);
    field(b, &n, "subscription", d->subscription[p.a[D_SUBSCRIPTION]]);
    field(b, &n, "resource_id", d->caller[p.a[D_CALLER]].id);
    field(b, &n, "service", d->service[p.a[D_SERVICE]].name);
    const perim_atom *pm = &d->perim[p.a[D_PERIMETERS]];
    moat__buf_puts(b, ",\"perimeters\":[");
    for (uint8_t i = 0; i < pm->n_list; i++) {
        moat__buf_puts(b, i ? "," : "");
        moat__buf_json_cstr(b, pm->list[i]);
    }
    char when[40];
    const time_atom *t = &d->time[p.a[D_TIME]];
    int64_t at = t->lo != INT64_MIN   ? t->lo
                 : t->hi != INT64_MAX ? t->hi - 86400
                                      : 1767225600;
    moat__time_format(at, when, sizeof when);
    moat__buf_printf(b, "]},\"time\":\"%s\"}", when);
}

static void addresses_json(moat_buf *b, const moat_cells *m, size_t i)
{
    moat_addr_count a;
    moat_cell_addresses(m, i, &a);
    char v6[48];
    moat__cells_u128_text(a.ipv6_hi, a.ipv6_lo, a.ipv6_all, v6, sizeof v6);
    moat__buf_printf(b,
                     "{\"ipv4\":%llu,\"ipv6\":\"%s\",\"none\":%s}",
                     (unsigned long long)a.ipv4, v6,
                     a.no_address ? "true" : "false");
}

MOAT_API char *moat_cell_json(const moat_cells *m, size_t i, size_t *len)
{
    const ccell *x = moat__cells_at(m, i);
    if (x == NULL)
        return NULL;
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__buf_puts(&b, "{\"when\":");
    moat__cells_when(&b, m, &x->box);
    if (m->c.dom.n_sides == 1) {
        moat_decision d;
        moat__buf_putc(&b, ',');
        if (moat_cell_decision(m, i, 0, &d) == MOAT_OK)
            decision_fields(&b, m, i, 0, &d);
    } else {
        moat__buf_puts(&b, ",\"before\":");
        decision_json(&b, m, i, 0);
        moat__buf_puts(&b, ",\"after\":");
        decision_json(&b, m, i, 1);
    }
    moat__buf_puts(&b, ",\"witness\":");
    witness_json(&b, m, x);
    moat__buf_puts(&b, ",\"addresses\":");
    addresses_json(&b, m, i);
    moat__buf_putc(&b, '}');
    return moat__cells_take(&b, len);
}

/*--------------------------------------------------------------------------
** The domain: the named values `when` refers to.
*/
static void list_json(moat_buf *b, const char *key, const char *const *v,
                      uint32_t n)
{
    moat__buf_printf(b, ",\"%s\":[", key);
    for (uint32_t i = 0; i < n; i++) {
        moat__buf_puts(b, i ? "," : "");
        moat__buf_json_cstr(b, v[i]);
    }
    moat__buf_putc(b, ']');
}

static void paths_json(moat_buf *b, const cdomain *d, path_kind kind,
                       const char *key)
{
    moat__buf_printf(b, ",\"%s\":[", key);
    int n = 0;
    for (uint32_t i = 0; i < d->n[D_PATH]; i++) {
        if (d->path[i].kind != kind)
            continue;
        moat__buf_puts(b, n++ ? "," : "");
        moat__buf_json_cstr(b, d->path[i].id);
    }
    moat__buf_putc(b, ']');
}

static void perimeters_json(moat_buf *b, const moat_cells *m)
{
    moat__buf_puts(b, ",\"perimeters\":[");
    for (int s = 0; s < m->c.dom.n_sides; s++) {
        const side_feat *f = &m->c.dom.side[s];
        const assoc *a = f->r ? f->r->assoc : NULL;
        moat__buf_puts(b, s ? ",{\"own\":" : "{\"own\":");
        if (a && a->perimeter && a->perimeter->guid < MOAT_ID_OTHER)
            moat__buf_json_cstr(b, f->es->ids.keys[a->perimeter->guid]);
        else
            moat__buf_puts(b, "null");
        moat__buf_puts(b, ",\"linked\":[");
        int n = 0;
        for (uint16_t i = 0; a && i < a->n_joins; i++) {
            uint32_t g = a->joins[i].guid;
            if (g >= MOAT_ID_OTHER || (i && a->joins[i - 1].guid == g))
                continue;
            moat__buf_puts(b, n++ ? "," : "");
            moat__buf_json_cstr(b, f->es->ids.keys[g]);
        }
        moat__buf_puts(b, "]}");
    }
    moat__buf_putc(b, ']');
}

MOAT_API char *moat_cells_domain_json(const moat_cells *m, size_t *len)
{
    const cdomain *d = &m->c.dom;
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__buf_printf(&b, "{\"kind\":\"%s\"",
                     d->kind == RES_STORAGE ? "storage" : "keyvault");
    paths_json(&b, d, PATH_PE, "private_endpoints");
    paths_json(&b, d, PATH_SUBNET, "subnets");
    list_json(&b, "regions", d->region, d->n[D_REGION] - 1);
    list_json(&b, "tenants", d->tenant, d->n[D_TENANT] - 1);
    list_json(&b, "subscriptions", d->subscription, d->n[D_SUBSCRIPTION] - 1);
    moat__buf_puts(&b, ",\"patterns\":[");
    for (uint32_t i = 0; i < d->n_pattern; i++) {
        moat__buf_puts(&b, i ? "," : "");
        moat__buf_json_cstr(&b, d->pattern[i].text);
    }
    moat__buf_putc(&b, ']');
    perimeters_json(&b, m);
    moat__buf_putc(&b, '}');
    return moat__cells_take(&b, len);
}

void moat__cells_u128_text(uint64_t hi, uint64_t lo, int all, char *out,
                           size_t cap)
{
    char tmp[48];
    size_t n = 0;
    if (all) {
        snprintf(out, cap, "340282366920938463463374607431768211456");
        return;
    }
    cu128 v = ((cu128)hi << 64) | lo;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    size_t k = 0;
    while (n && k + 1 < cap)
        out[k++] = tmp[--n];
    out[k] = '\0';
}
