/*
** serve_endpoints.c - what each endpoint answers (serve.h), on a request
** type of our own, so the same code runs under h2o and under the fuzzer.
**
** /v1/authz reads the original request the way both callers send it, from
** the headers the operator trusts (serve_headers.c, docs/serve.md):
**   method  X-Original-Method, else the request's own (Envoy forwards the
**           original method)
**   path    X-Original-URI (nginx: proxy_set_header X-Original-URI
**           $request_uri), else what follows /v1/authz (Envoy's
**           path_prefix)
**   host    X-Original-Host, X-Forwarded-Host, else :authority or Host
**   client  X-Real-IP, else the --forwarded-hops-th X-Forwarded-For entry
**           from the right, else (neither trusted) the TCP peer
**   local   X-Moat-Local-Address (ip:port the original request came in on:
**           the topology's private endpoint listeners)
** and Authorization. A header that is there but names no address denies:
** moat never guesses a source (fail closed).
*/
#include "serve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*--------------------------------------------------------------------------
** Workers.
*/
int srv_worker_init(srv_worker *w, srv_state *s)
{
    memset(w, 0, sizeof *w);
    w->state = s;
    w->snap = srv_state_acquire(s);
    w->q = moat_request_new(w->snap->estate);
    w->x = moat_explanation_new();
    w->metrics = srv_metrics_new();
    w->cap = 64 * 1024;
    w->buf = malloc(w->cap);
    return w->q && w->x && w->metrics && w->buf ? 0 : -1;
}

void srv_worker_free(srv_worker *w)
{
    moat_request_free(w->q);
    moat_explanation_free(w->x);
    srv_metrics_free(w->metrics);
    free(w->buf);
    srv_state_release(w->state, w->snap);
    memset(w, 0, sizeof *w);
}

int srv_worker_refresh(srv_worker *w)
{
    if (atomic_load_explicit(&w->state->revision, memory_order_acquire) ==
        w->snap->revision)
        return 0;
    srv_snapshot *next = srv_state_acquire(w->state);
    moat_request *q = moat_request_new(next->estate);
    if (q == NULL) {
        srv_state_release(w->state, next);
        return -1;
    }
    moat_request_free(w->q);
    srv_state_release(w->state, w->snap);
    w->q = q;
    w->snap = next;
    return 0;
}

static void body(srv_worker *w, srv_response *rs, const char *s)
{
    srv_body_append(w, rs, s, strlen(s));
}

/* s as a JSON string, quotes included. */
static void json_string(srv_worker *w, srv_response *rs, const char *s)
{
    body(w, rs, "\"");
    for (const char *p = s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\')
            snprintf(esc, sizeof esc, "\\%c", *p);
        else if ((unsigned char)*p < 0x20)
            snprintf(esc, sizeof esc, "\\u%04x", (unsigned char)*p);
        else
            snprintf(esc, sizeof esc, "%c", *p);
        body(w, rs, esc);
    }
    body(w, rs, "\"");
}

/* A response header; its value copied into the worker. */
static void header(srv_worker *w, srv_response *rs, const char *name,
                   const char *value)
{
    size_t n = strlen(value);
    if (rs->n_headers == SRV_MAX_RESPONSE_HEADERS ||
        w->hdr_used + n + 1 > sizeof w->hdr)
        return;
    char *v = w->hdr + w->hdr_used;
    memcpy(v, value, n + 1);
    w->hdr_used += n + 1;
    rs->headers[rs->n_headers++] = (srv_header){name, strlen(name), v, n};
}

/* An error as JSON: {"error": "..."}. */
static void error_json(srv_worker *w, srv_response *rs, int status,
                       const char *msg)
{
    rs->status = status;
    rs->content_type = "application/json";
    rs->body_len = 0;
    body(w, rs, "{\"error\":");
    json_string(w, rs, msg);
    body(w, rs, "}\n");
}

/* A request refused for its head: 400, the connection closed (nothing
** after it on the connection can be trusted to be where the client meant
** it), and on /v1/authz a deny that says why. */
static void refuse(srv_worker *w, srv_response *rs, const char *why)
{
    error_json(w, rs, 400, why);
    rs->close = 1;
    if (rs->endpoint == SRV_EP_AUTHZ) {
        header(w, rs, "x-moat-decision", "deny");
        header(w, rs, "x-moat-error", why);
    }
}

/* The time, ISO 8601 UTC, formatted once a second per worker. */
static const char *now_iso(void)
{
    static _Thread_local time_t last;
    static _Thread_local char text[32];
    time_t t = time(NULL);
    if (t != last) {
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
        last = t;
    }
    return text;
}

/*--------------------------------------------------------------------------
** /v1/authz
*/
static void log_decision(srv_worker *w, const gate_verdict *v,
                         const http_in *in)
{
    int fd = w->state->log_fd;
    if (fd < 0)
        return;
    char request[1024], line[4096];
    int n =
        snprintf(request, sizeof request, "%.*s %.*s",
                 (int)(in->method_len < 16 ? in->method_len : 16), in->method,
                 (int)(in->uri_len < 900 ? in->uri_len : 900), in->uri);
    size_t len =
        moat_gate_log_line(v, now_iso(), "on", request,
                      n < 0                        ? 0
                      : (size_t)n < sizeof request ? (size_t)n
                                                   : sizeof request - 1,
                      line, sizeof line);
    /* One write per line: O_APPEND keeps lines whole between workers. */
    ssize_t rc = write(fd, line, len);
    (void)rc;
}

/* The verdict on a request whose source or listener is unreadable. */
static void error_verdict(gate_verdict *v, const srv_origin *o)
{
    memset(v, 0, sizeof *v);
    v->error = 1;
    v->rule = "";
    v->source_ip = o->ip;
    snprintf(v->why, sizeof v->why, "%s", o->deny);
}

/* The answer: x-moat-* headers, and Azure's 403 when it denies. */
static void authz_answer(srv_worker *w, srv_response *rs,
                         const gate_verdict *v, int allow,
                         const char *category)
{
    char rev[24];
    snprintf(rev, sizeof rev, "%llu", (unsigned long long)w->snap->revision);
    header(w, rs, "x-moat-decision", allow ? "allow" : "deny");
    header(w, rs, "x-moat-category", category);
    header(w, rs, "x-moat-rule", v->rule);
    header(w, rs, "x-moat-estate-revision", rev);
    if (v->error)
        header(w, rs, "x-moat-error", v->why);
    if (allow) { /* no body: nginx keeps its upstream connection */
        rs->status = 200;
        return;
    }
    char id[37], deny[8192]; /* a vault's message names the caller */
    moat_gate_request_id(id);
    size_t n = moat_gate_denial_body(v, id, now_iso(), deny, sizeof deny,
                                &rs->content_type);
    rs->status = 403;
    srv_body_append(w, rs, deny, n);
    if (!v->map.vault)
        header(w, rs, "x-ms-error-code", "AuthorizationFailure");
    header(w, rs, "x-ms-request-id", id);
}

static void authz(srv_worker *w, const srv_request *rq, srv_response *rs)
{
    const srv_settings *st = w->state->settings;
    srv_origin o;
    const char *refused = srv_origin_read(rq, st, &o);
    if (refused) {
        refuse(w, rs, refused);
        return;
    }
    gate_input in = {o.http, o.ip,
                     o.have_source ? (const struct sockaddr *)&o.source : NULL,
                     o.have_local ? (const struct sockaddr *)&o.local : NULL};
    const srv_snapshot *snap = w->snap;
    gate_config cfg = {snap->estate,
                       snap->topo,
                       snap->keys,
                       {st->issuer, st->audience, (int64_t)time(NULL), 60}};
    gate_verdict v;
    if (o.deny)
        error_verdict(&v, &o);
    else
        moat_gate_decide(&cfg, w->q, w->x, &in, &v);
    int allow = moat_gate_allows(&v);
    const char *category = moat_gate_category(&v);
    /* Labels come from the estate only: names a client sends would grow
    ** the metrics without bound. */
    const char *resource = v.error ? NULL : moat_request_resource_id(w->q);
    srv_metrics_decision(w->metrics, resource ? resource : "unknown", allow,
                         category);
    log_decision(w, &v, &in.http);
    authz_answer(w, rs, &v, allow, category);
}

/*--------------------------------------------------------------------------
** /v1/check
*/
/* A request object's error: {"error": msg}, and in an array (in_array) the
** element's own "status"; extra is more members, or "". */
static int check_error(srv_worker *w, srv_response *rs, int status,
                       const char *msg, int in_array, const char *extra)
{
    char tail[64];
    snprintf(tail, sizeof tail, ",\"status\":%d", status);
    body(w, rs, "{\"error\":");
    json_string(w, rs, msg);
    body(w, rs, extra);
    body(w, rs, in_array ? tail : "");
    body(w, rs, "}");
    return status;
}

/* The HTTP status of a request object that does not parse: 404 when it
** names a resource the estate does not have, 500 out of memory, else 400
** (it is not a valid decision.md request). */
static int parse_status(moat_status rc)
{
    return rc == MOAT_E_NOTFOUND ? 404 : rc == MOAT_E_NOMEM ? 500 : 400;
}

/* One request object's decision (decision.md section 3), or its error.
** Returns its status: 200 decided, else as parse_status, or 500. */
static int check_one(srv_worker *w, srv_response *rs, const char *json,
                     size_t len, int in_array)
{
    moat_error err;
    moat_status rc = moat_request_parse(w->q, json, len, &err);
    if (rc != MOAT_OK)
        return check_error(w, rs, parse_status(rc), err.message, in_array,
                           "");
    if (moat_explain(w->q, w->x, 0) != MOAT_OK)
        return check_error(w, rs, 500, "internal error: the request is denied",
                           in_array, ",\"decision\":\"deny\"");
    const moat_decision *d = moat_explanation_decision(w->x);
    const char *resource = moat_request_resource_id(w->q);
    srv_metrics_decision(w->metrics, resource ? resource : "unknown",
                         d->verdict == MOAT_ALLOW,
                         moat_category_name(d->category));
    /* The decision is written in place: what fits, else its length, and
    ** again once the buffer has room for it. */
    size_t room = w->cap - rs->body_len;
    size_t need = moat_explanation_json(w->x, w->buf + rs->body_len, room);
    if (need >= room) {
        if (srv_body_reserve(w, rs, need) != 0)
            return check_error(w, rs, 500, "out of memory", in_array, "");
        moat_explanation_json(w->x, w->buf + rs->body_len, need + 1);
    }
    rs->body_len += need;
    return 200;
}

/* An array: 200, each element's decision or error (with its status) in
** its place. */
static void check_array(srv_worker *w, srv_response *rs, const moat_doc *doc,
                        const moat_node *root)
{
    body(w, rs, "[");
    for (const moat_node *c = moat_node_child(root); c;
         c = moat_node_next(c)) {
        char *one = moat_doc_slice(doc, c);
        if (one)
            check_one(w, rs, one, strlen(one), 1);
        else
            check_error(w, rs, 500, "out of memory", 1, "");
        moat_free(one);
        if (moat_node_next(c))
            body(w, rs, ",");
    }
    body(w, rs, "]\n");
}

static void check(srv_worker *w, const srv_request *rq, srv_response *rs)
{
    if (rq->method_len != 4 || memcmp(rq->method, "POST", 4) != 0) {
        header(w, rs, "allow", "POST");
        error_json(w, rs, 405, "POST a request object or an array of them");
        return;
    }
    moat_doc *doc = NULL;
    moat_error err;
    if (rq->body_len == 0 ||
        moat_doc_parse(rq->body, rq->body_len, &doc, &err) != MOAT_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "the body is not JSON: %s at byte %zu",
                 rq->body_len ? err.message : "empty",
                 rq->body_len ? (size_t)err.offset : (size_t)0);
        error_json(w, rs, 400, msg);
        return;
    }
    const moat_node *root = moat_doc_root(doc);
    rs->status = 200;
    rs->content_type = "application/json";
    if (moat_node_kind(root) == MOAT_NODE_ARRAY) {
        check_array(w, rs, doc, root);
    } else if (moat_node_kind(root) == MOAT_NODE_OBJECT) {
        rs->status = check_one(w, rs, rq->body, rq->body_len, 0);
        body(w, rs, "\n");
    } else {
        error_json(w, rs, 400,
                   "expected a request object or an array of request objects");
    }
    moat_doc_free(doc);
}

/*--------------------------------------------------------------------------
** /healthz
*/
/* text as a JSON string, or null when empty. */
static void json_string_or_null(srv_worker *w, srv_response *rs,
                                const char *text)
{
    if (text[0])
        json_string(w, rs, text);
    else
        body(w, rs, "null");
}

static void health(srv_worker *w, srv_response *rs)
{
    srv_state *s = w->state;
    char err[512], pending[512];
    pthread_mutex_lock(&s->lock);
    snprintf(err, sizeof err, "%s", s->last_error);
    snprintf(pending, sizeof pending, "%s", s->pending);
    int64_t loaded = s->current->loaded_at;
    pthread_mutex_unlock(&s->lock);
    moat_estate_stats st;
    moat_estate_stats_get(w->snap->estate, &st);
    char text[1024];
    snprintf(
        text, sizeof text,
        "{\"status\":\"ok\",\"revision\":%llu,\"loaded_at\":%lld,\"resources\":%zu,\"reloads\":%llu,\"reload_errors\":%llu,\"last_reload_error\":",
        (unsigned long long)atomic_load(&s->revision), (long long)loaded,
        st.storage_accounts + st.key_vaults,
        (unsigned long long)atomic_load(&s->reloads),
        (unsigned long long)atomic_load(&s->reload_errors));
    rs->status = 200;
    rs->content_type = "application/json";
    body(w, rs, text);
    json_string_or_null(w, rs, err);
    body(w, rs, ",\"pending_reload\":");
    json_string_or_null(w, rs, pending);
    body(w, rs, "}\n");
}

/*--------------------------------------------------------------------------
** Routing.
*/
static int path_is(const srv_request *rq, const char *p, int prefix)
{
    size_t n = strlen(p), len = rq->path_len;
    const char *q = memchr(rq->path, '?', rq->path_len);
    if (q && !prefix)
        len = (size_t)(q - rq->path);
    if (len < n || memcmp(rq->path, p, n) != 0)
        return 0;
    if (len == n)
        return 1;
    return prefix && (rq->path[n] == '/' || rq->path[n] == '?');
}

static int is_get(const srv_request *rq)
{
    return (rq->method_len == 3 && memcmp(rq->method, "GET", 3) == 0) ||
           (rq->method_len == 4 && memcmp(rq->method, "HEAD", 4) == 0);
}

static int route(const srv_request *rq)
{
    if (path_is(rq, "/v1/authz", 1))
        return SRV_EP_AUTHZ;
    if (path_is(rq, "/v1/check", 0))
        return SRV_EP_CHECK;
    if (path_is(rq, "/healthz", 0) && is_get(rq))
        return SRV_EP_HEALTH;
    if (path_is(rq, "/metrics", 0) && is_get(rq))
        return SRV_EP_METRICS;
    return SRV_EP_OTHER;
}

static void dispatch(srv_worker *w, const srv_request *rq, srv_response *rs)
{
    switch (rs->endpoint) {
    case SRV_EP_AUTHZ: authz(w, rq, rs); break;
    case SRV_EP_CHECK: check(w, rq, rs); break;
    case SRV_EP_HEALTH: health(w, rs); break;
    case SRV_EP_METRICS:
        rs->status = 200;
        rs->content_type = "text/plain; version=0.0.4";
        srv_metrics_render(w, rs);
        break;
    default:
        error_json(
            w, rs, 404,
            "no such endpoint: POST /v1/check, /v1/authz/..., GET /healthz, GET /metrics");
    }
}

void srv_handle(srv_worker *w, const srv_request *rq, srv_response *rs)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(rs, 0, sizeof *rs);
    rs->body = w->buf;
    w->hdr_used = 0;
    w->buf[0] = '\0';
    size_t header_bytes = 0;
    for (size_t i = 0; i < rq->n_headers; i++)
        header_bytes += rq->headers[i].name_len + rq->headers[i].value_len;
    rs->endpoint = route(rq);
    const char *framing =
        rq->unreadable ? rq->unreadable : srv_head_problem(rq);
    if (header_bytes > SRV_MAX_HEADER_BYTES) {
        rs->endpoint = SRV_EP_OTHER;
        error_json(w, rs, 431, "the request's headers are larger than 16 KiB");
    } else if (framing) {
        refuse(w, rs, framing);
    } else {
        dispatch(w, rq, rs);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    srv_metrics_response(w->metrics, rs->endpoint, rs->status,
                         (double)(t1.tv_sec - t0.tv_sec) +
                             (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
}
