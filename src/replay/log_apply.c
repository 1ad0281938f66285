/*
** log_apply.c - a log record the reader already resolved in its estate
** (log_map.c) set on a request: replay's fast path. In the same estate its
** objects are used as they are; in another (a proposed configuration) each
** is looked up once by id and remembered. The result is the same as
** setting each field with moat_request_set(), which tests/replay checks.
**
** What is remembered lives in a memo of replay's own, allocated with the
** request's first record and freed with the request (moat_request only
** holds the pointer).
*/
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define XLATE_SLOTS 128 /* a power of two */
#define TENANT_MEMO_KEY 48

typedef struct apply_memo {
    /* The translation of a reader's estate into the request's: resources,
    ** subnets and principals by their address there, regions by their id
    ** there. Keyed by the reader estate's generation, so a freed estate
    ** never matches. */
    uint64_t xlate_gen; /* generations start at 1 */
    const void *xlate_src[XLATE_SLOTS];
    const void *xlate_dst[XLATE_SLOTS];
    uint32_t xlate_id_src[16]; /* interned regions: id there + 1 (0: empty) */
    uint32_t xlate_id_dst[16];
    /* Caller tenants by their exact bytes: a log names few tenants, and
    ** the text is the same in every configuration, so each is interned
    ** in this estate once. Independent of the reader's estate. */
    struct {
        uint8_t n; /* 0: empty */
        uint32_t id;
        char key[TENANT_MEMO_KEY];
    } tenant_memo[8];
} apply_memo;

static const void *const missing_marker = &missing_marker;

/* Slot of a pointer in the translation memo (objects are allocated with
** strides that would make low address bits collide). */
static size_t memo_slot(const void *p)
{
    return (size_t)(((uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ULL) >>
                    (64 - __builtin_ctz(XLATE_SLOTS)));
}

/* The object of this estate under key (the id of src's object, src from
** the reader's estate), through a small direct-mapped memo. len SIZE_MAX:
** key is NUL-terminated, measured only on a miss (resource ids are 150
** bytes, and a hit is the common case). */
static const void *xlate(moat_request *q, const void *src, moat_index *idx,
                         const char *key, size_t len)
{
    apply_memo *m = q->replay_memo;
    size_t slot = memo_slot(src);
    if (m && m->xlate_src[slot] == src)
        return m->xlate_dst[slot] == missing_marker ? NULL : m->xlate_dst[slot];
    const void *dst =
        moat__index_get(idx, key, len == SIZE_MAX ? strlen(key) : len);
    if (m) {
        m->xlate_src[slot] = src;
        m->xlate_dst[slot] = dst ? dst : missing_marker;
    }
    return dst;
}

/* The id in this estate's interner of a name interned as src_id in the
** reader's estate. */
static uint32_t xlate_id(moat_request *q, const moat_intern *t, uint32_t src_id,
                         const char *name)
{
    apply_memo *m = q->replay_memo;
    size_t slot = src_id & 15;
    if (m && m->xlate_id_src[slot] == src_id + 1)
        return m->xlate_id_dst[slot];
    uint32_t id = moat__intern_find(t, name, strlen(name));
    if (m) {
        m->xlate_id_src[slot] = src_id + 1;
        m->xlate_id_dst[slot] = id;
    }
    return id;
}

/* The interned id of a caller tenant, remembered by its exact bytes. */
static uint32_t tenant_id(moat_request *q, const char *s, size_t n)
{
    apply_memo *m = q->replay_memo;
    if (m == NULL || n > TENANT_MEMO_KEY)
        return moat__intern_find(&q->es->ids, s, n);
    uint64_t head = n >= 8 ? moat__load8(s) : moat__load_tail(s, n);
    size_t slot = (size_t)(((head ^ n) * 0x9E3779B97F4A7C15ULL) >> 61);
    if (m->tenant_memo[slot].n == n &&
        memcmp(m->tenant_memo[slot].key, s, n) == 0)
        return m->tenant_memo[slot].id;
    uint32_t id = moat__intern_find(&q->es->ids, s, n);
    memcpy(m->tenant_memo[slot].key, s, n);
    m->tenant_memo[slot].n = (uint8_t)n;
    m->tenant_memo[slot].id = id;
    return id;
}

static void set_caller_prepared(moat_request *q, const principal *c)
{
    q->caller_id = c->resource_id;
    q->caller_id_len = c->id_len;
    q->caller_seg = c->seg;
    q->caller_hash = c->hash;
    q->caller_type_hash = c->type_hash;
    q->trust = c->trust;
    if (c->subscription_text) {
        q->subscription_text = c->subscription_text;
        q->subscription = c->subscription;
    }
    if (c->perimeter_text)
        q->perimeters[q->n_perimeters++] = c->perimeter;
}

static moat_status set_caller_text(moat_request *q, const moat_log_request *m);

/* The caller in this estate: its own prepared identity when it has the
** principal, else the fields set from text. */
static moat_status set_caller_from(moat_request *q, const principal *src,
                                   const moat_log_request *m, int same)
{
    const principal *c = src;
    if (!same)
        c = xlate(q, src, &((moat_estate *)q->es)->map.principals,
                  m->identity.p, m->identity.n);
    if (c) {
        set_caller_prepared(q, c);
        return MOAT_OK;
    }
    return set_caller_text(q, m);
}

/* The caller fields of a record as text (a caller the estate does not
** hold: a perimeter record's source resource). */
static moat_status set_caller_text(moat_request *q, const moat_log_request *m)
{
    static const moat_field fields[] = {MOAT_REQ_CALLER_RESOURCE_ID,
                                        MOAT_REQ_CALLER_SUBSCRIPTION,
                                        MOAT_REQ_CALLER_PERIMETER};
    for (size_t i = 0; i < MOAT_ARRAY_LEN(fields); i++) {
        const moat_text *t = &m->field[fields[i]];
        moat_status st =
            t->n ? moat_request_set(q, fields[i], t->p, t->n, NULL) : MOAT_OK;
        if (st != MOAT_OK)
            return st;
    }
    return MOAT_OK;
}

/* The source's subnet, private endpoint and region, from the reader's
** estate (same: q's own). */
static void set_source_from_log(moat_request *q, const log_parsed *p,
                                const moat_estate *src, int same)
{
    q->ip = p->ip;
    if (p->subnet) {
        q->subnet = p->subnet->id;
        q->subnet_len = strlen(p->subnet->id);
        q->subnet_hash = p->subnet->hash;
        q->subnet_info =
            same ? p->subnet
                 : xlate(q, p->subnet, &((moat_estate *)q->es)->subnet_by_id,
                         p->subnet->id, q->subnet_len);
    }
    if (p->pe) {
        q->pe = p->pe->pe_id;
        q->pe_len = strlen(p->pe->pe_id);
        q->pe_hash = p->pe->hash;
    }
    if (p->region != MOAT_ID_NONE) {
        const char *name = src->regions.keys[p->region];
        q->region_text = name;
        q->region =
            same ? p->region : xlate_id(q, &q->es->regions, p->region, name);
    }
}

/* Copies a text of the record into the request's pool. */
static moat_status copy_text(moat_request *q, const moat_text *t,
                             const char **out)
{
    *out = moat__request_copy(q, t->p, t->n);
    return *out ? MOAT_OK : MOAT_E_LIMIT;
}

static moat_status request_from_log(moat_request *q, const log_parsed *p,
                                    const moat_log_request *m)
{
    const moat_estate *src = m->estate_;
    int same = src == q->es;
    if (q->replay_memo == NULL)
        q->replay_memo = calloc(1, sizeof(apply_memo)); /* NULL: no memo */
    apply_memo *memo = q->replay_memo;
    if (!same && memo && memo->xlate_gen != src->generation) {
        memset(memo->xlate_src, 0, sizeof memo->xlate_src);
        memset(memo->xlate_id_src, 0, sizeof memo->xlate_id_src);
        memo->xlate_gen = src->generation;
    }
    moat_request_reset(q);
    q->res = same ? p->res
                  : xlate(q, p->res, &((moat_estate *)q->es)->by_id, p->res->id,
                          SIZE_MAX);
    if (q->res == NULL)
        return MOAT_E_NOTFOUND; /* the resource is not in this estate */
    q->plane = p->plane;
    q->endpoint = p->endpoint;
    q->op = p->op;
    q->auth = p->auth;
    q->time = p->time;
    q->has_time = p->has_time;
    if (p->has_protocol)
        q->protocol = p->protocol;
    set_source_from_log(q, p, src, same);
    const moat_text *target = &m->field[MOAT_REQ_TARGET];
    const moat_text *tenant = &m->field[MOAT_REQ_CALLER_TENANT];
    moat_status st = MOAT_OK;
    if (target->n && (st = copy_text(q, target, &q->target)) == MOAT_OK)
        q->target_len = target->n;
    if (st == MOAT_OK && tenant->n &&
        (st = copy_text(q, tenant, &q->tenant_text)) == MOAT_OK)
        q->tenant = tenant_id(q, tenant->p, tenant->n);
    if (st != MOAT_OK)
        return st;
    return p->caller ? set_caller_from(q, p->caller, m, same)
                     : set_caller_text(q, m);
}

moat_status moat_log_request_apply(const moat_log_request *m, moat_request *q,
                                   moat_error *err)
{
    if (m == NULL || q == NULL)
        return moat__error_set(err, MOAT_E_INVAL, 0, "no request");
    if (m->estate_ && m->parsed_) {
        moat_status st = request_from_log(q, m->parsed_, m);
        if (st != MOAT_OK)
            moat__error_set(err, st, 0, "%s",
                            st == MOAT_E_NOTFOUND
                                ? "the account is not in this estate"
                                : "request strings too long");
        return st;
    }
    moat_request_reset(q);
    for (int f = 0; f < MOAT_REQ_FIELD_COUNT; f++) {
        if (m->field[f].n == 0)
            continue;
        moat_status st = moat_request_set(q, (moat_field)f, m->field[f].p,
                                          m->field[f].n, err);
        if (st != MOAT_OK)
            return st;
    }
    return MOAT_OK;
}
