/*
** cells_witness.c - points of the request space: a cell's witness (one
** concrete request inside it), the request of any point, and the cell
** that holds a point.
*/
#include "cells_api.h"

#include <string.h>

static const char *const plane_names[] = {"data", "control"};
static const char *const protocol_names[] = {"HTTPS", "HTTP", "SMB", "NFS",
                                             "SFTP"};
static const char *const endpoint_names[] = {"blob",  "dfs", "file", "queue",
                                             "table", "web", "vault"};
static const char *const op_names[] = {"read", "write", "delete", "list"};
static const char *const auth_names[] = {"OAuth", "SAS", "AccountKey",
                                         "Anonymous"};
/* A name of each target atom: $logs, a $Metrics table, any other. */
static const char *const target_names[] = {
    "$logs", "$MetricsHourPrimaryTransactionsBlob", "data"};

/* A day: the witness time of an interval open below. */
#define DAY 86400
/* 2026-01-01T00:00:00Z: the witness time when the catalog has no date. */
#define WITNESS_EPOCH 1767225600

void moat__cells_first(const moat_cells *m, const cbox *b, cpoint *p)
{
    const cdomain *d = &m->c.dom;
    for (int k = 0; k < D_COUNT; k++) {
        p->a[k] = 0;
        for (uint32_t w = 0; w < d->words[k]; w++) {
            if (b->s[k][w]) {
                p->a[k] = w * 64 + (uint32_t)__builtin_ctzll(b->s[k][w]);
                break;
            }
        }
    }
    /* An ordinary target and another region read better than $logs and
    ** the first region named: the last atom of those two. */
    for (uint32_t a = 0; a < d->n[D_TARGET]; a++)
        if (moat__bit(b->s[D_TARGET], a))
            p->a[D_TARGET] = a;
    for (uint32_t a = 0; a < d->n[D_REGION]; a++)
        if (moat__bit(b->s[D_REGION], a))
            p->a[D_REGION] = a;
}

static moat_status put(moat_request *q, moat_field f, const char *v)
{
    return v ? moat_request_set(q, f, v, strlen(v), NULL) : MOAT_OK;
}

static int64_t witness_time(const time_atom *t)
{
    if (t->lo != INT64_MIN)
        return t->lo;
    if (t->hi != INT64_MAX)
        return t->hi - DAY;
    return WITNESS_EPOCH;
}

static moat_status put_path(moat_request *q, const path_atom *pa)
{
    if (pa->kind == PATH_PE || pa->kind == PATH_PE_OTHER)
        return put(q, MOAT_REQ_SOURCE_PRIVATE_ENDPOINT, pa->id);
    if (pa->kind == PATH_PUBLIC)
        return MOAT_OK;
    return put(q, MOAT_REQ_SOURCE_SUBNET, pa->id);
}

static moat_status put_ip(moat_request *q, const ip_atom *ia,
                          const moat_u128 *ip)
{
    if (ia->family == 0)
        return MOAT_OK;
    moat_addr a = {ia->family, ip ? *ip : ia->lo};
    char text[64];
    moat__addr_format(&a, text, sizeof text);
    return put(q, MOAT_REQ_SOURCE_IP, text);
}

/* Every field but the enumerated ones. */
static moat_status put_named(const moat_cells *m, const cpoint *p,
                             const moat_u128 *ip, moat_request *q)
{
    const cdomain *d = &m->c.dom;
    moat_status st = put_path(q, &d->path[p->a[D_PATH]]);
    if (st == MOAT_OK)
        st = put_ip(q, &d->ip[p->a[D_IP]], ip);
    if (st == MOAT_OK)
        st = put(q, MOAT_REQ_SOURCE_REGION, d->region[p->a[D_REGION]]);
    if (st == MOAT_OK)
        st = put(q, MOAT_REQ_CALLER_TENANT, d->tenant[p->a[D_TENANT]]);
    if (st == MOAT_OK)
        st = put(q, MOAT_REQ_CALLER_SUBSCRIPTION,
                 d->subscription[p->a[D_SUBSCRIPTION]]);
    if (st == MOAT_OK)
        st = put(q, MOAT_REQ_CALLER_SERVICE, d->service[p->a[D_SERVICE]].name);
    if (st == MOAT_OK)
        st = put(q, MOAT_REQ_CALLER_RESOURCE_ID, d->caller[p->a[D_CALLER]].id);
    const perim_atom *pe = &d->perim[p->a[D_PERIMETERS]];
    for (uint8_t i = 0; st == MOAT_OK && i < pe->n_list; i++)
        st = put(q, MOAT_REQ_CALLER_PERIMETER, pe->list[i]);
    char when[40];
    moat__time_format(witness_time(&d->time[p->a[D_TIME]]), when, sizeof when);
    return st == MOAT_OK ? put(q, MOAT_REQ_TIME, when) : st;
}

moat_status moat__cells_request(const moat_cells *m, const cpoint *p,
                                const moat_u128 *ip, moat_request *q)
{
    moat_request_reset(q);
    moat_status st = MOAT_OK;
    const char *const *names[] = {
        [D_PLANE] = plane_names,   [D_PROTOCOL] = protocol_names,
        [D_ENDPOINT] = endpoint_names, [D_OP] = op_names,
        [D_AUTH] = auth_names,     [D_TARGET] = target_names};
    static const moat_field fields[] = {
        [D_PLANE] = MOAT_REQ_PLANE,       [D_PROTOCOL] = MOAT_REQ_PROTOCOL,
        [D_ENDPOINT] = MOAT_REQ_ENDPOINT, [D_OP] = MOAT_REQ_OPERATION,
        [D_AUTH] = MOAT_REQ_CALLER_AUTH,  [D_TARGET] = MOAT_REQ_TARGET};
    static const int enums[] = {D_PLANE, D_PROTOCOL, D_ENDPOINT,
                                D_OP,    D_AUTH,     D_TARGET};
    for (size_t i = 0; st == MOAT_OK && i < sizeof enums / sizeof *enums; i++)
        st = put(q, fields[enums[i]], names[enums[i]][p->a[enums[i]]]);
    return st == MOAT_OK ? put_named(m, p, ip, q) : st;
}

MOAT_API moat_status moat_cell_witness(const moat_cells *m, size_t i, int side,
                                       moat_request *q)
{
    const ccell *x = moat__cells_at(m, i);
    if (x == NULL || q == NULL || side < 0 || side >= m->c.dom.n_sides ||
        m->c.dom.side[side].r == NULL)
        return MOAT_E_NOTFOUND;
    cpoint p;
    moat__cells_first(m, &x->box, &p);
    moat_status st = moat__cells_request(m, &p, NULL, q);
    if (st != MOAT_OK)
        return st;
    const char *id = m->c.dom.side[side].r->id;
    return moat_request_set(q, MOAT_REQ_RESOURCE, id, strlen(id), NULL);
}

size_t moat__cells_locate(const moat_cells *m, const cpoint *p)
{
    for (size_t i = 0; i < m->c.n_cells; i++) {
        const ccell *x = moat__cells_at(m, i);
        int in = 1;
        for (int k = 0; k < D_COUNT && in; k++)
            in = moat__bit(x->box.s[k], p->a[k]);
        if (in)
            return i;
    }
    return SIZE_MAX;
}
