/*
** ngx_http_moat_module.c - Azure's network rules in front of a storage
** endpoint: every request is decided in-process, in nginx's access phase,
** by libmoat; allowed ones go on to the upstream (Azurite locally), denied
** ones get the 403 Azure would send. Directives (docs/gate.md):
**
**   moat on | off | learning;       learning: allow, log what would deny
**   moat_estate PATH;               the estate (file or directory)
**   moat_topology PATH;             source ranges -> subnets, listeners ->
**                                   private endpoints (front/topology.h)
**   moat_jwks PATH;                 keys bearer tokens are verified with
**   moat_jwt_issuer ISS;            required iss (default: any)
**   moat_jwt_audience AUD;          required aud (default: any)
**   moat_decision_log PATH;         JSON lines shaped like NSP access logs
**   moat_account_from host | path;  <account>.blob.core.windows.net, or
**                                   /<account>/... (Azurite)
**   moat_endpoint blob|dfs|...;     the endpoint of path-style requests
**
** All are valid in http, server and location. Files are read when the
** configuration is (so `nginx -s reload` picks up a changed estate: new
** workers get the new one, old workers finish their requests with the
** old); a file that does not load fails the configuration, so a reload
** with a broken estate keeps the running one. Any error while deciding
** denies (fail closed) and is logged.
*/
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "http_map.h"
#include "jwt.h"
#include "moat.h"
#include "topology.h"

#include <stdio.h>

#define MODE_UNSET NGX_CONF_UNSET_UINT
#define MODE_OFF 0
#define MODE_ON 1
#define MODE_LEARNING 2

/* What a configuration loaded, shared by the locations that use it. */
typedef struct moat_gate {
    moat_estate *estate;
    topology *topo;
    jwt_keys *keys;
    moat_request *q; /* per worker, made on first use */
    moat_explanation *x;
} moat_gate;

typedef struct {
    ngx_uint_t mode;
    ngx_str_t estate_path, topology_path, jwks_path;
    ngx_str_t issuer, audience, endpoint;
    ngx_uint_t account_from;
    ngx_open_file_t *log;
    moat_gate *gate;
} ngx_http_moat_loc_conf_t;

static ngx_int_t ngx_http_moat_init(ngx_conf_t *cf);
static void *ngx_http_moat_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_moat_merge_loc_conf(ngx_conf_t *cf, void *parent,
                                          void *child);
static char *ngx_http_moat_set_log(ngx_conf_t *cf, ngx_command_t *cmd,
                                   void *conf);

static ngx_conf_enum_t ngx_http_moat_modes[] = {
    {ngx_string("off"), MODE_OFF},
    {ngx_string("on"), MODE_ON},
    {ngx_string("learning"), MODE_LEARNING},
    {ngx_null_string, 0}};

static ngx_conf_enum_t ngx_http_moat_account_from[] = {
    {ngx_string("host"), ACCOUNT_FROM_HOST},
    {ngx_string("path"), ACCOUNT_FROM_PATH},
    {ngx_null_string, 0}};

#define MOAT_CONF (NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF)
#define LOC_OFF(field) offsetof(ngx_http_moat_loc_conf_t, field)

static ngx_command_t ngx_http_moat_commands[] = {
    {ngx_string("moat"), MOAT_CONF | NGX_CONF_TAKE1, ngx_conf_set_enum_slot,
     NGX_HTTP_LOC_CONF_OFFSET, LOC_OFF(mode), ngx_http_moat_modes},
    {ngx_string("moat_estate"), MOAT_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET, LOC_OFF(estate_path),
     NULL},
    {ngx_string("moat_topology"), MOAT_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET, LOC_OFF(topology_path),
     NULL},
    {ngx_string("moat_jwks"), MOAT_CONF | NGX_CONF_TAKE1, ngx_conf_set_str_slot,
     NGX_HTTP_LOC_CONF_OFFSET, LOC_OFF(jwks_path), NULL},
    {ngx_string("moat_jwt_issuer"), MOAT_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET, LOC_OFF(issuer), NULL},
    {ngx_string("moat_jwt_audience"), MOAT_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET, LOC_OFF(audience), NULL},
    {ngx_string("moat_endpoint"), MOAT_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET, LOC_OFF(endpoint), NULL},
    {ngx_string("moat_account_from"), MOAT_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_enum_slot, NGX_HTTP_LOC_CONF_OFFSET, LOC_OFF(account_from),
     ngx_http_moat_account_from},
    {ngx_string("moat_decision_log"), MOAT_CONF | NGX_CONF_TAKE1,
     ngx_http_moat_set_log, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL},
    ngx_null_command};

static ngx_http_module_t ngx_http_moat_module_ctx = {
    NULL,                          /* preconfiguration */
    ngx_http_moat_init,            /* postconfiguration */
    NULL,                          /* create main configuration */
    NULL,                          /* init main configuration */
    NULL,                          /* create server configuration */
    NULL,                          /* merge server configuration */
    ngx_http_moat_create_loc_conf, /* create location configuration */
    ngx_http_moat_merge_loc_conf   /* merge location configuration */
};

ngx_module_t ngx_http_moat_module = {NGX_MODULE_V1,
                                     &ngx_http_moat_module_ctx,
                                     ngx_http_moat_commands,
                                     NGX_HTTP_MODULE,
                                     NULL,
                                     NULL,
                                     NULL,
                                     NULL,
                                     NULL,
                                     NULL,
                                     NULL,
                                     NGX_MODULE_V1_PADDING};

/*--------------------------------------------------------------------------
** Configuration: files are loaded once per path and configuration cycle.
*/
static void *ngx_http_moat_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_moat_loc_conf_t *c = ngx_pcalloc(cf->pool, sizeof *c);
    if (c == NULL)
        return NULL;
    c->mode = MODE_UNSET;
    c->account_from = NGX_CONF_UNSET_UINT;
    c->log = NGX_CONF_UNSET_PTR;
    return c;
}

static char *ngx_http_moat_set_log(ngx_conf_t *cf, ngx_command_t *cmd,
                                   void *conf)
{
    ngx_http_moat_loc_conf_t *c = conf;
    ngx_str_t *value = cf->args->elts;
    (void)cmd;
    if (c->log != NGX_CONF_UNSET_PTR)
        return "is duplicate";
    c->log = ngx_conf_open_file(cf->cycle, &value[1]);
    return c->log ? NGX_CONF_OK : NGX_CONF_ERROR;
}

static char *read_file(ngx_conf_t *cf, ngx_str_t *path, size_t *len)
{
    char name[4096];
    if (path->len >= sizeof name)
        return NULL;
    ngx_memcpy(name, path->data, path->len);
    name[path->len] = '\0';
    FILE *fp = fopen(name, "rb");
    if (fp == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno, "moat: cannot open %s",
                           name);
        return NULL;
    }
    size_t cap = 65536, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += got;
        if (n == cap) {
            char *p = realloc(buf, cap *= 2);
            if (p == NULL)
                free(buf);
            buf = p;
        }
    }
    fclose(fp);
    *len = n;
    return buf;
}

static void gate_cleanup(void *data)
{
    moat_gate *g = data;
    moat_request_free(g->q);
    moat_explanation_free(g->x);
    topology_free(g->topo);
    jwt_keys_free(g->keys);
    moat_estate_free(g->estate);
}

static moat_estate *load_estate(ngx_conf_t *cf, ngx_str_t *path)
{
    char name[4096];
    if (path->len >= sizeof name)
        return NULL;
    ngx_memcpy(name, path->data, path->len);
    name[path->len] = '\0';
    moat_loader *ld = moat_loader_new(0);
    moat_estate *es = NULL;
    if (ld == NULL)
        return NULL;
    moat_loader_add_path(ld, name);
    moat_status rc = moat_loader_finish(ld, &es);
    for (size_t i = 0; i < moat_loader_diag_count(ld); i++) {
        const moat_diag *d = moat_loader_diag(ld, i);
        ngx_conf_log_error(
            d->severity == MOAT_SEV_ERROR ? NGX_LOG_EMERG : NGX_LOG_WARN, cf, 0,
            "moat: %s:%ud:%ud: %s: %s %s", d->file, d->line, d->column,
            d->resource, d->path, d->message);
    }
    moat_loader_free(ld);
    if (rc != MOAT_OK)
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "moat: the estate %s does not load (%s)", name,
                           moat_strerror(rc));
    return rc == MOAT_OK ? es : NULL;
}

static char *load_gate(ngx_conf_t *cf, ngx_http_moat_loc_conf_t *c)
{
    ngx_pool_cleanup_t *cln = ngx_pool_cleanup_add(cf->pool, sizeof(moat_gate));
    if (cln == NULL)
        return NGX_CONF_ERROR;
    moat_gate *g = cln->data;
    ngx_memzero(g, sizeof *g);
    cln->handler = gate_cleanup;
    g->estate = load_estate(cf, &c->estate_path);
    if (g->estate == NULL)
        return NGX_CONF_ERROR;
    char err[256];
    size_t len;
    if (c->topology_path.len) {
        char *text = read_file(cf, &c->topology_path, &len);
        g->topo = text ? topology_load(text, len, err, sizeof err) : NULL;
        free(text);
        if (g->topo == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "moat: topology %V: %s",
                               &c->topology_path, text ? err : "unreadable");
            return NGX_CONF_ERROR;
        }
    }
    if (c->jwks_path.len) {
        char *text = read_file(cf, &c->jwks_path, &len);
        g->keys = text ? jwt_keys_load(text, len, err, sizeof err) : NULL;
        free(text);
        if (g->keys == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "moat: jwks %V: %s",
                               &c->jwks_path, text ? err : "unreadable");
            return NGX_CONF_ERROR;
        }
    }
    c->gate = g;
    return NGX_CONF_OK;
}

static char *ngx_http_moat_merge_loc_conf(ngx_conf_t *cf, void *parent,
                                          void *child)
{
    ngx_http_moat_loc_conf_t *prev = parent, *c = child;
    ngx_conf_merge_uint_value(c->mode, prev->mode, MODE_OFF);
    ngx_conf_merge_uint_value(c->account_from, prev->account_from,
                              ACCOUNT_FROM_HOST);
    ngx_conf_merge_ptr_value(c->log, prev->log, NULL);
    ngx_conf_merge_str_value(c->issuer, prev->issuer, "");
    ngx_conf_merge_str_value(c->audience, prev->audience, "");
    ngx_conf_merge_str_value(c->endpoint, prev->endpoint, "blob");
    int own = c->estate_path.data || c->topology_path.data || c->jwks_path.data;
    ngx_conf_merge_str_value(c->estate_path, prev->estate_path, "");
    ngx_conf_merge_str_value(c->topology_path, prev->topology_path, "");
    ngx_conf_merge_str_value(c->jwks_path, prev->jwks_path, "");
    if (!own && prev->gate) {
        c->gate = prev->gate; /* the same files: share what was loaded */
        return NGX_CONF_OK;
    }
    if (c->estate_path.len == 0) {
        if (c->mode != MODE_OFF)
            return "needs moat_estate";
        return NGX_CONF_OK;
    }
    return load_gate(cf, c);
}

/*--------------------------------------------------------------------------
** Deciding.
*/
typedef struct decision_ctx {
    ngx_http_request_t *r;
    ngx_http_moat_loc_conf_t *conf;
    http_out map;
    char ip[NGX_SOCKADDR_STRLEN + 1];
    const char *subnet, *pe;
    jwt_claims claims;
    int identity; /* the token verified */
    char token_error[128];
    moat_decision d;
    const char *rule;
    int error; /* an internal error or an unmappable request */
    char why[256];
} decision_ctx;

static int set(moat_request *q, moat_field f, const char *v)
{
    return v && *v ? moat_request_set(q, f, v, strlen(v), NULL) : MOAT_OK;
}

/* The caller from a verified token: tenant, calling resource and, through
** it, subscription and perimeter. An unverifiable token is OAuth without
** an identity: it can pass IP and network rules, never identity rules. */
static void caller_from_token(decision_ctx *dc, moat_gate *g)
{
    ngx_http_moat_loc_conf_t *c = dc->conf;
    if (g->keys == NULL) {
        snprintf(dc->token_error, sizeof dc->token_error,
                 "no moat_jwks to verify tokens with");
        return;
    }
    char iss[256], aud[256];
    jwt_policy pol = {NULL, NULL, (int64_t)ngx_time(), 60};
    if (c->issuer.len && c->issuer.len < sizeof iss) {
        ngx_memcpy(iss, c->issuer.data, c->issuer.len);
        iss[c->issuer.len] = '\0';
        pol.issuer = iss;
    }
    if (c->audience.len && c->audience.len < sizeof aud) {
        ngx_memcpy(aud, c->audience.data, c->audience.len);
        aud[c->audience.len] = '\0';
        pol.audience = aud;
    }
    dc->identity =
        jwt_verify(g->keys, dc->map.bearer, dc->map.bearer_len, &pol,
                   &dc->claims, dc->token_error, sizeof dc->token_error) == 0;
}

static int fill_request(decision_ctx *dc, moat_gate *g)
{
    moat_request *q = g->q;
    moat_request_reset(q);
    const char *account = dc->map.account;
    if (moat_request_set(q, MOAT_REQ_RESOURCE, account, strlen(account),
                         NULL) != MOAT_OK) {
        snprintf(dc->why, sizeof dc->why, "no account %s in the estate",
                 account);
        return -1;
    }
    if (set(q, MOAT_REQ_ENDPOINT, dc->map.endpoint) ||
        set(q, MOAT_REQ_OPERATION, dc->map.operation) ||
        set(q, MOAT_REQ_TARGET, dc->map.target) ||
        set(q, MOAT_REQ_CALLER_AUTH, http_auth_name(dc->map.auth)) ||
        set(q, MOAT_REQ_SOURCE_IP, dc->ip) ||
        set(q, MOAT_REQ_SOURCE_SUBNET, dc->pe ? NULL : dc->subnet) ||
        set(q, MOAT_REQ_SOURCE_PRIVATE_ENDPOINT, dc->pe)) {
        snprintf(dc->why, sizeof dc->why, "request fields refused");
        return -1;
    }
    if (dc->identity) {
        const char *mirid = dc->claims.xms_mirid;
        if (set(q, MOAT_REQ_CALLER_TENANT, dc->claims.tid) ||
            set(q, MOAT_REQ_CALLER_RESOURCE_ID, mirid)) {
            snprintf(dc->why, sizeof dc->why, "token claims refused");
            return -1;
        }
        /* /subscriptions/<sub>/...: the caller's subscription. */
        if (ngx_strncasecmp((u_char *)mirid, (u_char *)"/subscriptions/", 15) ==
            0) {
            char sub[64];
            const char *s = mirid + 15, *e = strchr(s, '/');
            size_t n = e ? (size_t)(e - s) : strlen(s);
            if (n < sizeof sub) {
                ngx_memcpy(sub, s, n);
                sub[n] = '\0';
                set(q, MOAT_REQ_CALLER_SUBSCRIPTION, sub);
            }
        }
        set(q, MOAT_REQ_CALLER_PERIMETER,
            moat_estate_perimeter_of(g->estate, mirid));
    }
    return 0;
}

static ngx_int_t decide(decision_ctx *dc, moat_gate *g)
{
    ngx_http_request_t *r = dc->r;
    http_in in;
    ngx_memzero(&in, sizeof in);
    in.method = (const char *)r->method_name.data;
    in.method_len = r->method_name.len;
    if (r->headers_in.host) {
        in.host = (const char *)r->headers_in.host->value.data;
        in.host_len = r->headers_in.host->value.len;
    }
    in.uri = (const char *)r->unparsed_uri.data;
    in.uri_len = r->unparsed_uri.len;
    if (r->headers_in.authorization) {
        in.authorization =
            (const char *)r->headers_in.authorization->value.data;
        in.authorization_len = r->headers_in.authorization->value.len;
    }
    in.account_from = (http_account_from)dc->conf->account_from;
    char endpoint[16];
    if (dc->conf->endpoint.len < sizeof endpoint) {
        ngx_memcpy(endpoint, dc->conf->endpoint.data, dc->conf->endpoint.len);
        endpoint[dc->conf->endpoint.len] = '\0';
        in.endpoint = endpoint;
    }
    if (http_map(&in, &dc->map, dc->why, sizeof dc->why) < 0)
        return NGX_ERROR;
    ngx_connection_t *c = r->connection;
    size_t n = ngx_sock_ntop(c->sockaddr, c->socklen, (u_char *)dc->ip,
                             sizeof dc->ip - 1, 0);
    dc->ip[n] = '\0';
    if (ngx_connection_local_sockaddr(c, NULL, 0) == NGX_OK)
        dc->pe = topology_private_endpoint(g->topo, c->local_sockaddr);
    dc->subnet = topology_subnet(g->topo, c->sockaddr);
    if (dc->map.auth == HTTP_AUTH_BEARER)
        caller_from_token(dc, g);
    if (fill_request(dc, g) < 0)
        return NGX_ERROR;
    if (moat_decide(g->q, &dc->d) != MOAT_OK) {
        snprintf(dc->why, sizeof dc->why, "moat_decide failed");
        return NGX_ERROR;
    }
    /* The rule's words only for the decision log: explaining is a second,
    ** traced pass. */
    dc->rule = "";
    if (dc->conf->log && g->x && moat_explain(g->q, g->x, 0) == MOAT_OK)
        dc->rule = moat_explanation_rule(g->x);
    return NGX_OK;
}

/*--------------------------------------------------------------------------
** The decision log: one JSON line per decision, shaped like a network
** security perimeter access log record (docs/gate.md).
*/
static size_t json_escape(u_char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; s && *s && o + 7 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            out[o++] = '\\';
            out[o++] = ch;
        } else if (ch < 0x20) {
            o += (size_t)snprintf((char *)out + o, cap - o, "\\u%04x", ch);
        } else {
            out[o++] = ch;
        }
    }
    return o;
}

static void log_decision(decision_ctx *dc, const char *verdict,
                         const char *category)
{
    ngx_open_file_t *f = dc->conf->log;
    if (f == NULL || f->fd == NGX_INVALID_FILE)
        return;
    ngx_http_request_t *r = dc->r;
    ngx_str_t now = ngx_cached_http_log_iso8601;
    u_char line[4096], e1[1024], e2[1024], e3[600];
    size_t l1 = json_escape(e1, sizeof e1, dc->rule ? dc->rule : "");
    size_t l2 = json_escape(e2, sizeof e2,
                            dc->error      ? dc->why
                            : dc->identity ? dc->claims.xms_mirid
                                           : dc->token_error);
    size_t l3 = json_escape(e3, sizeof e3, dc->map.account);
    u_char *end = ngx_snprintf(
        line, sizeof line - 2,
        "{\"time\":\"%V\",\"category\":\"%s\",\"resultAction\":\"%s\","
        "\"mode\":\"%s\",\"matchedRule\":{\"accessRule\":\"%*s\"},"
        "\"source\":{\"ipAddress\":\"%s\",\"subnet\":\"%s\","
        "\"privateEndpoint\":\"%s\",\"auth\":\"%s\",\"identity\":\"%*s\"},"
        "\"destination\":{\"account\":\"%*s\",\"endpoint\":\"%s\","
        "\"operation\":\"%s\",\"target\":\"%s\"},\"request\":\"%V\"}",
        &now, category, verdict,
        dc->conf->mode == MODE_LEARNING ? "learning" : "on", l1, e1, dc->ip,
        dc->subnet ? dc->subnet : "", dc->pe ? dc->pe : "",
        http_auth_name(dc->map.auth), l2, e2, l3, e3, dc->map.endpoint,
        dc->map.operation ? dc->map.operation : "", dc->map.target,
        &r->request_line);
    *end++ = '\n';
    (void)ngx_write_fd(f->fd, line, (size_t)(end - line));
}

/*--------------------------------------------------------------------------
** The answer Azure gives to a refused request.
*/
static ngx_int_t send_denial(decision_ctx *dc)
{
    ngx_http_request_t *r = dc->r;
    u_char id[40], body[1024];
    uint32_t a = (uint32_t)ngx_random(), b = (uint32_t)ngx_random();
    uint32_t c = (uint32_t)ngx_random(), d = (uint32_t)ngx_random();
    ngx_sprintf(id, "%08xD-%04xD-4%03xD-a%03xD-%08xD%04xD%Z", a, b & 0xffff,
                (b >> 16) & 0xfff, c & 0xfff, d, (c >> 16) & 0xffff);
    u_char *end;
    ngx_str_t now = ngx_cached_http_log_iso8601;
    int vault = dc->map.vault;
    if (vault)
        end = ngx_snprintf(
            body, sizeof body,
            "{\"error\":{\"code\":\"Forbidden\",\"message\":\"Client address "
            "is not authorized and caller is not a trusted service.\\r\\n"
            "Client address: %s\\r\\nCaller: %s\\r\\nVault: %s\","
            "\"innererror\":{\"code\":\"ForbiddenByFirewall\"}}}",
            dc->ip, dc->identity ? dc->claims.oid : "unknown", dc->map.account);
    else
        end = ngx_snprintf(
            body, sizeof body,
            "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><Error>"
            "<Code>AuthorizationFailure</Code><Message>This request is not "
            "authorized to perform this operation.\nRequestId:%s\nTime:%V"
            "</Message></Error>",
            id, &now);
    ngx_http_discard_request_body(r);
    r->headers_out.status = NGX_HTTP_FORBIDDEN;
    r->headers_out.content_length_n = end - body;
    if (vault) {
        ngx_str_set(&r->headers_out.content_type,
                    "application/json; charset=utf-8");
    } else {
        ngx_str_set(&r->headers_out.content_type, "application/xml");
    }
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    static const struct {
        const char *name, *value;
    } hdr[] = {{"x-ms-error-code", "AuthorizationFailure"},
               {"x-ms-request-id", NULL},
               {"x-ms-version", "2021-08-06"}};
    for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; i++) {
        if (vault && i != 1)
            continue;
        ngx_table_elt_t *h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL)
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        const char *v = hdr[i].value ? hdr[i].value : (const char *)id;
        size_t vlen = ngx_strlen(v);
        u_char *copy = ngx_pnalloc(r->pool, vlen);
        if (copy == NULL)
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_memcpy(copy, v, vlen);
        h->hash = 1;
        h->key.data = (u_char *)hdr[i].name;
        h->key.len = ngx_strlen(hdr[i].name);
        h->value.data = copy;
        h->value.len = vlen;
    }
    ngx_buf_t *buf = ngx_create_temp_buf(r->pool, (size_t)(end - body));
    if (buf == NULL)
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    buf->last = ngx_cpymem(buf->pos, body, (size_t)(end - body));
    buf->last_buf = (r == r->main);
    buf->last_in_chain = 1;
    ngx_chain_t out = {buf, NULL};
    ngx_int_t rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }
    ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));
    return NGX_DONE;
}

static ngx_int_t ngx_http_moat_handler(ngx_http_request_t *r)
{
    ngx_http_moat_loc_conf_t *conf =
        ngx_http_get_module_loc_conf(r, ngx_http_moat_module);
    if (conf->mode == MODE_OFF || r != r->main)
        return NGX_DECLINED;
    moat_gate *g = conf->gate;
    decision_ctx dc;
    ngx_memzero(&dc, sizeof dc);
    dc.r = r;
    dc.conf = conf;
    if (g && g->q == NULL) { /* per worker: requests are not shared */
        g->q = moat_request_new(g->estate);
        g->x = moat_explanation_new();
    }
    ngx_int_t rc = g && g->q ? decide(&dc, g) : NGX_ERROR;
    int allow = rc == NGX_OK && dc.d.verdict == MOAT_ALLOW;
    if (rc != NGX_OK) {
        dc.error = 1;
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "moat: denied (fail closed): %s",
                      dc.why[0] ? dc.why : "no estate");
    }
    if (dc.map.auth == HTTP_AUTH_BEARER && !dc.identity)
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "moat: bearer token not trusted: %s", dc.token_error);
    const char *category =
        rc == NGX_OK ? moat_category_name(dc.d.category) : "MoatInternalError";
    log_decision(&dc, allow ? "Allowed" : "Denied", category);
    if (allow || conf->mode == MODE_LEARNING)
        return NGX_DECLINED;
    return send_denial(&dc);
}

static ngx_int_t ngx_http_moat_init(ngx_conf_t *cf)
{
    ngx_http_core_main_conf_t *cmcf =
        ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    ngx_http_handler_pt *h =
        ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL)
        return NGX_ERROR;
    *h = ngx_http_moat_handler;
    return NGX_OK;
}
