/*
** request.c - binding a request to an estate (sqlite's bind step).
**
** Every string a request carries is resolved here, once: the resource by
** id or unique name, the source address parsed, subnet and private endpoint
** ids hashed case-folded, the subnet looked up among the estate's subnets,
** tenant, subscription, perimeter GUIDs and region interned, the time
** parsed, and the catalog rows naming the caller found. What is left for
** moat_decide() is integer and hash comparisons.
**
** A request owns a fixed string pool and a scratch arena for JSON parsing;
** after the first few parses it allocates nothing.
*/
#include "engine_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct request_box {
    moat_request q;
    moat_arena scratch;
};

#define BOX(q) ((struct request_box *)(void *)(q))

moat_request *moat_request_new(const moat_estate *es)
{
    if (es == NULL)
        return NULL;
    struct request_box *b = malloc(sizeof *b);
    if (b == NULL)
        return NULL;
    moat__arena_init(&b->scratch, 64u * 1024u * 1024u);
    b->q.es = es;
    b->q.replay_memo = NULL;
    moat_request_reset(&b->q);
    return &b->q;
}

void moat_request_free(moat_request *q)
{
    if (q == NULL)
        return;
    moat__arena_free(&BOX(q)->scratch);
    free(q->replay_memo);
    free(BOX(q));
}

void moat_request_reset(moat_request *q)
{
    if (q == NULL)
        return; /* as a failed moat_request_new() leaves it */
    const moat_estate *es = q->es;
    /* Everything but the pool itself. */
    memset(q, 0, offsetof(moat_request, pool));
    q->es = es;
    q->plane = MOAT_PLANE_DATA;
    q->endpoint = MOAT_ENDPOINT_BLOB;
    q->protocol = MOAT_PROTOCOL_HTTPS;
    q->op = MOAT_OP_READ;
    q->auth = MOAT_AUTH_OAUTH;
    q->region = MOAT_ID_NONE;
    q->tenant = MOAT_ID_NONE;
    q->subscription = MOAT_ID_NONE;
    q->trust.instances_row = -1;
    q->trust.instances_until = INT64_MAX;
}

int64_t moat__request_time(const moat_request *q)
{
    return q->has_time ? q->time : (int64_t)time(NULL);
}

const char *moat_request_resource_id(const moat_request *q)
{
    return (q && q->res) ? q->res->id : NULL;
}

/* A request error keeps the offset already set: the member of a JSON
** request at fault (parse_fields), or 0. */
#define fail(err, code, ...)                                                   \
    moat__error_set(err, code, (err) ? (err)->offset : 0, __VA_ARGS__)

static const char *pool_copy(moat_request *q, const char *s, size_t n)
{
    if (n + 1 > MOAT_REQ_POOL - q->pool_used)
        return NULL;
    char *p = q->pool + q->pool_used;
    memcpy(p, s, n);
    p[n] = '\0';
    q->pool_used += n + 1;
    return p;
}

/* For replay's fast path (src/replay/log_apply.c). */
const char *moat__request_copy(moat_request *q, const char *s, size_t n)
{
    return pool_copy(q, s, n);
}

/* Enum values of the request, compared ignoring case. */
typedef struct word {
    const char *name;
    int value;
} word;

static const word planes[] = {{"data", MOAT_PLANE_DATA},
                              {"control", MOAT_PLANE_CONTROL}};
static const word endpoints[] = {
    {"blob", MOAT_ENDPOINT_BLOB},   {"dfs", MOAT_ENDPOINT_DFS},
    {"file", MOAT_ENDPOINT_FILE},   {"queue", MOAT_ENDPOINT_QUEUE},
    {"table", MOAT_ENDPOINT_TABLE}, {"web", MOAT_ENDPOINT_WEB},
    {"vault", MOAT_ENDPOINT_VAULT}};
static const word protocols[] = {{"HTTPS", MOAT_PROTOCOL_HTTPS},
                                 {"HTTP", MOAT_PROTOCOL_HTTP},
                                 {"SMB", MOAT_PROTOCOL_SMB},
                                 {"NFS", MOAT_PROTOCOL_NFS},
                                 {"SFTP", MOAT_PROTOCOL_SFTP}};
static const word operations[] = {{"read", MOAT_OP_READ},
                                  {"write", MOAT_OP_WRITE},
                                  {"delete", MOAT_OP_DELETE},
                                  {"list", MOAT_OP_LIST}};
static const word auths[] = {{"OAuth", MOAT_AUTH_OAUTH},
                             {"SAS", MOAT_AUTH_SAS},
                             {"AccountKey", MOAT_AUTH_ACCOUNT_KEY},
                             {"Anonymous", MOAT_AUTH_ANONYMOUS}};

static moat_status set_word(const word *t, size_t n, const char *what,
                            const char *v, size_t len, int *out,
                            moat_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (moat__eq_ci(t[i].name, strlen(t[i].name), v, len)) {
            *out = t[i].value;
            return MOAT_OK;
        }
    }
    char list[128] = "";
    size_t o = 0;
    for (size_t i = 0; i < n && o < sizeof list; i++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s",
                              i ? (i + 1 == n ? " or " : ", ") : "", t[i].name);
    return fail(err, MOAT_E_INVAL, "%s \"%.*s\" is not valid: expected %s",
                what, (int)(len < 64 ? len : 64), v, list);
}

#define SET_WORD(table, what, field)                                           \
    do {                                                                       \
        int w_;                                                                \
        moat_status rc_ =                                                      \
            set_word(table, MOAT_ARRAY_LEN(table), what, v, len, &w_, err);    \
        if (rc_ == MOAT_OK)                                                    \
            q->field = w_;                                                     \
        return rc_;                                                            \
    } while (0)

/* The catalog rows naming the caller: caller.service wins over the type
** of caller.resource_id (decision.md section 7); the type alone sets
** when resource instance rules stop admitting it (section 4). */
static void compute_trust(moat_request *q)
{
    char type[512];
    size_t tn = q->caller_id ? moat__arm_type_of(q->caller_id,
                                                 q->caller_id_len, type,
                                                 sizeof type)
                             : 0;
    if (q->service)
        moat__catalog_rows_of(q->service, strlen(q->service), type, tn,
                              &q->trust);
    else
        moat__catalog_rows_of(type, tn, type, tn, &q->trust);
}

static moat_status set_resource(moat_request *q, const char *v, size_t len,
                                moat_error *err)
{
    moat_status st;
    const resource *r = moat__estate_find(q->es, v, len, &st);
    if (r == NULL) {
        q->res = NULL;
        if (st == MOAT_E_AMBIGUOUS)
            return fail(
                err, st,
                "\"%.*s\" names more than one resource in the estate; give its full ARM id",
                (int)(len < 200 ? len : 200), v);
        return fail(err, MOAT_E_NOTFOUND,
                    "no storage account or key vault \"%.*s\" in the estate",
                    (int)(len < 200 ? len : 200), v);
    }
    q->res = r;
    return MOAT_OK;
}

static moat_status set_ip(moat_request *q, const char *v, size_t len,
                          moat_error *err)
{
    if (moat__addr_parse(v, len, &q->ip) != 0)
        return fail(err, MOAT_E_INVAL,
                    "source.ip \"%.*s\" is not an IPv4 or IPv6 address",
                    (int)(len < 64 ? len : 64), v);
    return MOAT_OK;
}

static moat_status set_region(moat_request *q, const char *v, size_t len,
                              moat_error *err)
{
    char norm[128];
    if (moat__region_norm(v, len, norm, sizeof norm) != 0)
        return fail(err, MOAT_E_INVAL,
                    "source.region \"%.*s\" is not a region name",
                    (int)(len < 64 ? len : 64), v);
    q->region_text = pool_copy(q, v, len);
    if (q->region_text == NULL)
        return fail(err, MOAT_E_LIMIT, "request strings too long");
    q->region = moat__intern_find(&q->es->regions, norm, strlen(norm));
    return MOAT_OK;
}

static moat_status set_caller_id(moat_request *q, const char *v, size_t len,
                                 moat_error *err)
{
    q->caller_id = pool_copy(q, v, len);
    if (q->caller_id == NULL)
        return fail(err, MOAT_E_LIMIT, "request strings too long");
    q->caller_id_len = len;
    q->caller_hash = moat__hash_ci(v, len);
    if (moat__segments_split(q->caller_id, len, &q->caller_seg) != 0)
        return fail(err, MOAT_E_INVAL,
                    "caller.resource_id has too many segments");
    char type[512];
    size_t n = moat__arm_type_of(q->caller_id, len, type, sizeof type);
    q->caller_type_hash = n ? moat__hash_ci(type, n) : 0;
    compute_trust(q);
    return MOAT_OK;
}

static moat_status set_time(moat_request *q, const char *v, size_t len,
                            moat_error *err)
{
    if (moat__time_parse(v, len, &q->time) != 0)
        return fail(
            err, MOAT_E_INVAL,
            "time \"%.*s\" is not an RFC 3339 date and time (2026-11-20T08:00:00Z, or with an offset +01:00)",
            (int)(len < 64 ? len : 64), v);
    q->has_time = 1;
    return MOAT_OK;
}

static moat_status add_perimeter(moat_request *q, const char *v, size_t len,
                                 moat_error *err)
{
    if (q->n_perimeters == MOAT_REQ_MAX_PERIMETERS)
        return fail(err, MOAT_E_LIMIT, "more than %d caller perimeters",
                    MOAT_REQ_MAX_PERIMETERS);
    q->perimeters[q->n_perimeters++] = moat__intern_find(&q->es->ids, v, len);
    return MOAT_OK;
}

/* Each field by its name in a JSON request, for messages. */
static const char *const field_names[MOAT_REQ_FIELD_COUNT] = {
    "resource",
    "plane",
    "endpoint",
    "protocol",
    "operation",
    "target",
    "source.ip",
    "source.subnet",
    "source.private_endpoint",
    "source.region",
    "caller.auth",
    "caller.tenant",
    "caller.subscription",
    "caller.resource_id",
    "caller.service",
    "caller.perimeters",
};

moat_status moat_request_set(moat_request *q, moat_field field, const char *v,
                             size_t len, moat_error *err)
{
    if (q == NULL || (v == NULL && len))
        return fail(err, MOAT_E_INVAL, "no request");
    if (v == NULL)
        v = "";
    /* Every reader after this one treats the value as a C string (the
    ** catalog match, the explanation): U+0000 would cut it short, so that
    ** "Microsoft.EventHub\u0000x" became a trusted service. */
    if ((unsigned)field < MOAT_REQ_FIELD_COUNT && memchr(v, '\0', len))
        return fail(err, MOAT_E_INVAL,
                    "%s holds U+0000, which would cut the value short: refused",
                    field_names[field]);
    if (len == 0 && field != MOAT_REQ_RESOURCE)
        return MOAT_OK; /* an empty optional value is an absent one */
    switch (field) {
    case MOAT_REQ_RESOURCE: return set_resource(q, v, len, err);
    case MOAT_REQ_PLANE: SET_WORD(planes, "plane", plane);
    case MOAT_REQ_ENDPOINT: SET_WORD(endpoints, "endpoint", endpoint);
    case MOAT_REQ_PROTOCOL: SET_WORD(protocols, "protocol", protocol);
    case MOAT_REQ_OPERATION: SET_WORD(operations, "operation", op);
    case MOAT_REQ_CALLER_AUTH: SET_WORD(auths, "caller.auth", auth);
    case MOAT_REQ_TARGET:
        q->target = pool_copy(q, v, len);
        q->target_len = len;
        break;
    case MOAT_REQ_SOURCE_IP: return set_ip(q, v, len, err);
    case MOAT_REQ_SOURCE_SUBNET:
        q->subnet = pool_copy(q, v, len);
        q->subnet_len = len;
        q->subnet_hash = moat__hash_ci(v, len);
        q->subnet_info = moat__index_get(&q->es->subnet_by_id, v, len);
        break;
    case MOAT_REQ_SOURCE_PRIVATE_ENDPOINT:
        q->pe = pool_copy(q, v, len);
        q->pe_len = len;
        q->pe_hash = moat__hash_ci(v, len);
        break;
    case MOAT_REQ_SOURCE_REGION: return set_region(q, v, len, err);
    case MOAT_REQ_CALLER_TENANT:
        q->tenant_text = pool_copy(q, v, len);
        q->tenant = moat__intern_find(&q->es->ids, v, len);
        break;
    case MOAT_REQ_CALLER_SUBSCRIPTION: {
        char guid[128];
        if (moat__subscription_of(v, len, guid, sizeof guid) != 0)
            return fail(err, MOAT_E_INVAL,
                        "caller.subscription \"%.*s\" is not a subscription id",
                        (int)(len < 64 ? len : 64), v);
        q->subscription_text = pool_copy(q, v, len);
        q->subscription = moat__intern_find(&q->es->ids, guid, strlen(guid));
        break;
    }
    case MOAT_REQ_CALLER_RESOURCE_ID: return set_caller_id(q, v, len, err);
    case MOAT_REQ_CALLER_SERVICE:
        q->service = pool_copy(q, v, len);
        if (q->service == NULL)
            break;
        compute_trust(q);
        break;
    case MOAT_REQ_CALLER_PERIMETER: return add_perimeter(q, v, len, err);
    case MOAT_REQ_TIME: return set_time(q, v, len, err);
    default:
        return fail(err, MOAT_E_INVAL, "unknown request field %d", (int)field);
    }
    if (q->pool_used >= MOAT_REQ_POOL - 1 ||
        (field == MOAT_REQ_TARGET && q->target == NULL) ||
        (field == MOAT_REQ_SOURCE_SUBNET && q->subnet == NULL) ||
        (field == MOAT_REQ_SOURCE_PRIVATE_ENDPOINT && q->pe == NULL) ||
        (field == MOAT_REQ_CALLER_TENANT && q->tenant_text == NULL) ||
        (field == MOAT_REQ_CALLER_SERVICE && q->service == NULL))
        return fail(err, MOAT_E_LIMIT, "request strings longer than %d bytes",
                    MOAT_REQ_POOL);
    return MOAT_OK;
}

/*--------------------------------------------------------------------------
** JSON requests (decision.md section 2).
*/
typedef struct json_field {
    const char *name;
    size_t len;
    moat_field field;
} json_field;

#define F(name, field)                                                         \
    {                                                                          \
        name, sizeof name - 1, field                                           \
    }

static const json_field top_fields[] = {
    F("resource", MOAT_REQ_RESOURCE),   F("plane", MOAT_REQ_PLANE),
    F("endpoint", MOAT_REQ_ENDPOINT),   F("protocol", MOAT_REQ_PROTOCOL),
    F("operation", MOAT_REQ_OPERATION), F("target", MOAT_REQ_TARGET),
    F("time", MOAT_REQ_TIME),
};
static const json_field source_fields[] = {
    F("ip", MOAT_REQ_SOURCE_IP),
    F("subnet", MOAT_REQ_SOURCE_SUBNET),
    F("private_endpoint", MOAT_REQ_SOURCE_PRIVATE_ENDPOINT),
    F("region", MOAT_REQ_SOURCE_REGION),
};
static const json_field caller_fields[] = {
    F("auth", MOAT_REQ_CALLER_AUTH),
    F("tenant", MOAT_REQ_CALLER_TENANT),
    F("subscription", MOAT_REQ_CALLER_SUBSCRIPTION),
    F("resource_id", MOAT_REQ_CALLER_RESOURCE_ID),
    F("service", MOAT_REQ_CALLER_SERVICE),
};

/* The nested member's name as the table spells it, or NULL. */
static const char *nested_name(const char *const *nested, const json_value *m)
{
    for (; nested && *nested; nested++) {
        if (moat__eq_ci(*nested, strlen(*nested), m->key, m->key_len))
            return *nested;
    }
    return NULL;
}

/* A member named like an earlier one of obj (ignoring case, as member
** names are matched) is an error: Python, Node and Go take the last of two,
** moat used to take either; no reading is safe. */
static moat_status check_unique(const json_value *obj, const json_value *m,
                                const char *prefix, const char *name,
                                moat_error *err)
{
    for (const json_value *p = obj->child; p != m; p = p->next) {
        if (moat__eq_ci(p->key, p->key_len, m->key, m->key_len))
            return fail(
                err, MOAT_E_INVAL,
                "duplicate field \"%s%s\": JSON readers disagree on which one counts",
                prefix, name);
    }
    return MOAT_OK;
}

/* Sets every member of obj listed in t; members named in `nested` (NULL-
** terminated) are read by the caller. An unknown member, a member given
** twice, a value of the wrong type or one moat_request_set() refuses is an
** error (err names it; its offset is the member's). */
static moat_status parse_fields(moat_request *q, const json_value *obj,
                                const char *prefix, const json_field *t,
                                size_t n, const char *const *nested,
                                moat_error *err)
{
    for (const json_value *m = obj->child; m; m = m->next) {
        if (err)
            err->offset = m->pos;
        const json_field *f = NULL;
        for (size_t i = 0; i < n; i++) {
            if (moat__eq_ci(t[i].name, t[i].len, m->key, m->key_len)) {
                f = &t[i];
                break;
            }
        }
        const char *name = f ? f->name : nested_name(nested, m);
        if (name == NULL)
            return fail(err, MOAT_E_INVAL, "unknown field \"%s%s\"", prefix,
                        m->key);
        moat_status rc = check_unique(obj, m, prefix, name, err);
        if (rc != MOAT_OK)
            return rc;
        if (f == NULL || m->type == JSON_NULL)
            continue; /* nested: read by the caller */
        if (m->type != JSON_STRING)
            return fail(err, MOAT_E_INVAL, "\"%s%s\" must be a string, not %s",
                        prefix, m->key, moat__json_type_name(m->type));
        rc = moat_request_set(q, f->field, m->str, m->len, err);
        if (rc != MOAT_OK)
            return rc;
    }
    return MOAT_OK;
}

static moat_status parse_object(moat_request *q, const json_value *root,
                                const char *name, const char *prefix,
                                const json_field *t, size_t n,
                                const char *const *nested,
                                const json_value **out, moat_error *err)
{
    const json_value *v = moat__json_get(root, name);
    *out = NULL;
    if (moat__json_is_null(v))
        return MOAT_OK;
    if (v->type != JSON_OBJECT) {
        if (err)
            err->offset = v->pos;
        return fail(err, MOAT_E_INVAL, "\"%s\" must be an object, not %s", name,
                    moat__json_type_name(v->type));
    }
    *out = v;
    return parse_fields(q, v, prefix, t, n, nested, err);
}

static moat_status parse_perimeters(moat_request *q, const json_value *caller,
                                    moat_error *err)
{
    const json_value *list = moat__json_get(caller, "perimeters");
    if (moat__json_is_null(list))
        return MOAT_OK;
    if (list->type != JSON_ARRAY) {
        if (err)
            err->offset = list->pos;
        return fail(
            err, MOAT_E_INVAL,
            "\"caller.perimeters\" must be an array of perimeter GUIDs");
    }
    for (const json_value *e = list->child; e; e = e->next) {
        if (err)
            err->offset = e->pos;
        if (e->type != JSON_STRING)
            return fail(err, MOAT_E_INVAL,
                        "\"caller.perimeters\" must hold strings, not %s",
                        moat__json_type_name(e->type));
        moat_status rc =
            moat_request_set(q, MOAT_REQ_CALLER_PERIMETER, e->str, e->len, err);
        if (rc != MOAT_OK)
            return rc;
    }
    return MOAT_OK;
}

moat_status moat_request_parse(moat_request *q, const char *json, size_t len,
                               moat_error *err)
{
    if (err) {
        err->code = MOAT_OK;
        err->offset = 0;
        err->message[0] = '\0';
    }
    if (q == NULL)
        return fail(err, MOAT_E_INVAL, "no request");
    moat_request_reset(q);
    moat_arena *a = &BOX(q)->scratch;
    moat__arena_reset(a);
    json_error jerr = {0, NULL};
    json_value *root = moat__json_parse(a, json, len, &jerr);
    if (root == NULL) {
        if (err)
            err->offset = jerr.pos;
        return fail(err,
                    strcmp(jerr.msg, "out of memory") == 0 ? MOAT_E_NOMEM
                                                           : MOAT_E_SYNTAX,
                    "%s", jerr.msg);
    }
    if (root->type != JSON_OBJECT)
        return fail(err, MOAT_E_INVAL, "a request is a JSON object, not %s",
                    moat__json_type_name(root->type));
    static const char *const top_nested[] = {"source", "caller", NULL};
    static const char *const caller_nested[] = {"perimeters", NULL};
    moat_status rc = parse_fields(q, root, "", top_fields,
                                  MOAT_ARRAY_LEN(top_fields), top_nested, err);
    const json_value *src, *caller;
    if (rc == MOAT_OK)
        rc = parse_object(q, root, "source", "source.", source_fields,
                          MOAT_ARRAY_LEN(source_fields), NULL, &src, err);
    if (rc == MOAT_OK)
        rc = parse_object(q, root, "caller", "caller.", caller_fields,
                          MOAT_ARRAY_LEN(caller_fields), caller_nested, &caller,
                          err);
    if (rc == MOAT_OK && caller)
        rc = parse_perimeters(q, caller, err);
    if (rc == MOAT_OK && q->res == NULL) {
        if (err)
            err->offset = 0;
        rc = fail(err, MOAT_E_INVAL, "the request has no \"resource\"");
    }
    if (rc != MOAT_OK)
        q->res = NULL; /* a half-bound request must never be decided */
    return rc;
}
