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
**   moat_service_tags PATH;         Azure's ServiceTags_Public_*.json: key
**                                   vaults' perimeter service-tag rules
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

#include "estate_guard.h"
#include "gate.h"

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
    ngx_str_t estate_path, topology_path, jwks_path, service_tags_path;
    ngx_str_t issuer, audience, endpoint;
    ngx_uint_t account_from;
    ngx_open_file_t *log;
    moat_gate *gate;
} ngx_http_moat_loc_conf_t;

static ngx_int_t ngx_http_moat_preconf(ngx_conf_t *cf);
static ngx_int_t ngx_http_moat_init(ngx_conf_t *cf);
static ngx_int_t ngx_http_moat_commit(ngx_cycle_t *cycle);
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
    {ngx_string("moat_service_tags"), MOAT_CONF | NGX_CONF_TAKE1,
     ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET,
     LOC_OFF(service_tags_path), NULL},
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
    ngx_http_moat_preconf,         /* preconfiguration */
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
                                     ngx_http_moat_commit, /* init module */
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
    moat_topology_free(g->topo);
    moat_jwt_keys_free(g->keys);
    moat_estate_free(g->estate);
}

/*--------------------------------------------------------------------------
** Reloads that lost files (front/estate_guard.h). The master process reads
** every configuration and keeps this module's static data from one reload
** to the next (the module stays loaded), so it remembers which files each
** moat_estate path loaded in the running configuration; a configuration
** that lost any fails, as a broken estate does, and the running one stays.
** `nginx -t` runs in a process of its own, without that memory.
*/
static estate_guard moat_guard;

static ngx_int_t ngx_http_moat_preconf(ngx_conf_t *cf)
{
    (void)cf;
    moat_estate_guard_begin(&moat_guard);
    return NGX_OK;
}

/* init_module: called once the new configuration is committed. */
static ngx_int_t ngx_http_moat_commit(ngx_cycle_t *cycle)
{
    (void)cycle;
    moat_estate_guard_commit(&moat_guard);
    return NGX_OK;
}

/* name's files, checked against the running configuration's. */
static int guarded_files(ngx_conf_t *cf, const char *name, estate_files *files)
{
    char msg[2048];
    if (moat_estate_files_list(name, files, msg, sizeof msg) < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "moat: the estate %s: %s",
                           name, msg);
        return -1;
    }
    guard_verdict v = moat_estate_guard_check(&moat_guard, name, files, time(NULL),
                                         msg, sizeof msg);
    if (v != GUARD_ACCEPTED)
        ngx_conf_log_error(v == GUARD_REFUSED ? NGX_LOG_EMERG : NGX_LOG_NOTICE,
                           cf, 0, "moat: %s", msg);
    if (files->n == 0)
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "moat: %s: no *.json files in this directory", name);
    return v == GUARD_REFUSED ? -1 : 0;
}

static void log_diags(ngx_conf_t *cf, const moat_loader *ld)
{
    for (size_t i = 0; i < moat_loader_diag_count(ld); i++) {
        const moat_diag *d = moat_loader_diag(ld, i);
        ngx_conf_log_error(
            d->severity == MOAT_SEV_ERROR ? NGX_LOG_EMERG : NGX_LOG_WARN, cf, 0,
            "moat: %s:%ud:%ud: %s: %s %s", d->file, d->line, d->column,
            d->resource, d->path, d->message);
    }
}

/* The estate: exactly the files listed (one by one, so that the loader
** reads no other than the guard saw), and the service tags when given. */
static moat_estate *load_estate(ngx_conf_t *cf, ngx_str_t *path,
                                ngx_str_t *tags)
{
    char name[4096], tag_file[4096];
    if (path->len >= sizeof name || tags->len >= sizeof tag_file)
        return NULL;
    ngx_memcpy(name, path->data, path->len);
    name[path->len] = '\0';
    ngx_memcpy(tag_file, tags->data, tags->len);
    tag_file[tags->len] = '\0';
    estate_files files = {NULL, 0, 0};
    moat_loader *ld = NULL;
    moat_estate *es = NULL;
    moat_status rc = MOAT_E_NOMEM;
    if (guarded_files(cf, name, &files) == 0 &&
        (ld = moat_loader_new(0)) != NULL) {
        /* Every file, as the loader reads a directory: all their
        ** problems are reported at once. */
        rc = MOAT_OK;
        for (size_t i = 0; i < files.n && rc != MOAT_E_NOMEM; i++) {
            moat_status r = moat_loader_add_path(ld, files.names[i]);
            rc = rc == MOAT_OK ? r : rc;
        }
        if (tags->len && rc != MOAT_E_NOMEM) {
            moat_status r = moat_loader_add_service_tags(ld, tag_file);
            rc = rc == MOAT_OK ? r : rc;
        }
        moat_status done = moat_loader_finish(ld, &es);
        rc = rc == MOAT_OK ? done : rc;
        log_diags(cf, ld);
        if (rc != MOAT_OK)
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "moat: the estate %s does not load (%s)", name,
                               moat_strerror(rc));
    }
    moat_loader_free(ld);
    moat_estate_files_free(&files);
    if (rc != MOAT_OK)
        moat_estate_free(es);
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
    g->estate = load_estate(cf, &c->estate_path, &c->service_tags_path);
    if (g->estate == NULL)
        return NGX_CONF_ERROR;
    char err[256];
    size_t len;
    if (c->topology_path.len) {
        char *text = read_file(cf, &c->topology_path, &len);
        g->topo = text ? moat_topology_load(text, len, err, sizeof err) : NULL;
        free(text);
        if (g->topo == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "moat: topology %V: %s",
                               &c->topology_path, text ? err : "unreadable");
            return NGX_CONF_ERROR;
        }
    }
    if (c->jwks_path.len) {
        char *text = read_file(cf, &c->jwks_path, &len);
        g->keys = text ? moat_jwt_keys_load(text, len, err, sizeof err) : NULL;
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
    int own = c->estate_path.data || c->topology_path.data ||
              c->jwks_path.data || c->service_tags_path.data;
    ngx_conf_merge_str_value(c->estate_path, prev->estate_path, "");
    ngx_conf_merge_str_value(c->topology_path, prev->topology_path, "");
    ngx_conf_merge_str_value(c->jwks_path, prev->jwks_path, "");
    ngx_conf_merge_str_value(c->service_tags_path, prev->service_tags_path,
                             "");
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
/* What nginx knows of the request, for front/gate.c to decide. */
static ngx_int_t decide(ngx_http_request_t *r, ngx_http_moat_loc_conf_t *conf,
                        moat_gate *g, gate_verdict *v, char *ip, size_t ipcap)
{
    gate_input in;
    ngx_memzero(&in, sizeof in);
    in.http.method = (const char *)r->method_name.data;
    in.http.method_len = r->method_name.len;
    /* $host: the request line's host in absolute form (nginx then
    ** ignores the Host header), else the Host header's; validated and
    ** lower-cased by nginx. The Host header must name the same host. */
    if (r->headers_in.server.len) {
        in.http.host = (const char *)r->headers_in.server.data;
        in.http.host_len = r->headers_in.server.len;
    }
    if (r->headers_in.host) {
        in.http.host_header = (const char *)r->headers_in.host->value.data;
        in.http.host_header_len = r->headers_in.host->value.len;
    }
    /* The raw target, for what an upstream given it could read otherwise;
    ** $uri (decoded once, dot segments resolved, slashes merged: what
    ** proxy_pass with a URI part forwards) for the decision. */
    in.http.uri = (const char *)r->unparsed_uri.data;
    in.http.uri_len = r->unparsed_uri.len;
    in.http.path = (const char *)r->uri.data;
    in.http.path_len = r->uri.len;
    if (r->headers_in.authorization) {
        in.http.authorization =
            (const char *)r->headers_in.authorization->value.data;
        in.http.authorization_len = r->headers_in.authorization->value.len;
    }
    in.http.account_from = (http_account_from)conf->account_from;
    char endpoint[16];
    if (conf->endpoint.len < sizeof endpoint) {
        ngx_memcpy(endpoint, conf->endpoint.data, conf->endpoint.len);
        endpoint[conf->endpoint.len] = '\0';
        in.http.endpoint = endpoint;
    }
    ngx_connection_t *c = r->connection;
    size_t n =
        ngx_sock_ntop(c->sockaddr, c->socklen, (u_char *)ip, ipcap - 1, 0);
    ip[n] = '\0';
    in.source_ip = ip;
    in.source = c->sockaddr;
    if (ngx_connection_local_sockaddr(c, NULL, 0) == NGX_OK)
        in.local = c->local_sockaddr;
    char iss[256], aud[256];
    gate_config cfg = {
        g->estate, g->topo, g->keys, {NULL, NULL, (int64_t)ngx_time(), 60}};
    if (conf->issuer.len && conf->issuer.len < sizeof iss) {
        ngx_memcpy(iss, conf->issuer.data, conf->issuer.len);
        iss[conf->issuer.len] = '\0';
        cfg.policy.issuer = iss;
    }
    if (conf->audience.len && conf->audience.len < sizeof aud) {
        ngx_memcpy(aud, conf->audience.data, conf->audience.len);
        aud[conf->audience.len] = '\0';
        cfg.policy.audience = aud;
    }
    /* The rule's words only for the decision log. */
    return moat_gate_decide(&cfg, g->q, conf->log ? g->x : NULL, &in, v) == 0
               ? NGX_OK
               : NGX_ERROR;
}

/* The decision log: one JSON line per decision, shaped like a network
** security perimeter access log record (docs/gate.md). */
static void log_decision(ngx_http_request_t *r, ngx_http_moat_loc_conf_t *conf,
                         const gate_verdict *v)
{
    ngx_open_file_t *f = conf->log;
    if (f == NULL || f->fd == NGX_INVALID_FILE)
        return;
    char now[64], line[4096];
    ngx_str_t t = ngx_cached_http_log_iso8601;
    ngx_snprintf((u_char *)now, sizeof now - 1, "%V%Z", &t);
    size_t n =
        moat_gate_log_line(v, now, conf->mode == MODE_LEARNING ? "learning" : "on",
                      (const char *)r->request_line.data, r->request_line.len,
                      line, sizeof line);
    (void)ngx_write_fd(f->fd, line, n);
}

/* The answer Azure gives to a refused request. */
static ngx_int_t send_denial(ngx_http_request_t *r, const gate_verdict *v)
{
    char id[37], now[64], body[8192]; /* a vault's message names the caller */
    moat_gate_request_id(id);
    ngx_str_t t = ngx_cached_http_log_iso8601;
    ngx_snprintf((u_char *)now, sizeof now - 1, "%V%Z", &t);
    const char *type;
    size_t len = moat_gate_denial_body(v, id, now, body, sizeof body, &type);
    ngx_http_discard_request_body(r);
    r->headers_out.status = NGX_HTTP_FORBIDDEN;
    r->headers_out.content_length_n = (off_t)len;
    r->headers_out.content_type.data = (u_char *)type;
    r->headers_out.content_type.len = ngx_strlen(type);
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    static const struct {
        const char *name, *value;
    } hdr[] = {{"x-ms-error-code", "AuthorizationFailure"},
               {"x-ms-request-id", NULL},
               {"x-ms-version", "2021-08-06"}};
    for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; i++) {
        if (v->map.vault && i != 1)
            continue;
        ngx_table_elt_t *h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL)
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        const char *val = hdr[i].value ? hdr[i].value : id;
        size_t vlen = ngx_strlen(val);
        u_char *copy = ngx_pnalloc(r->pool, vlen);
        if (copy == NULL)
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        ngx_memcpy(copy, val, vlen);
        h->hash = 1;
        h->key.data = (u_char *)hdr[i].name;
        h->key.len = ngx_strlen(hdr[i].name);
        h->value.data = copy;
        h->value.len = vlen;
    }
    ngx_buf_t *buf = ngx_create_temp_buf(r->pool, len);
    if (buf == NULL)
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    buf->last = ngx_cpymem(buf->pos, body, len);
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
    gate_verdict v;
    char ip[NGX_SOCKADDR_STRLEN + 1] = "";
    ngx_memzero(&v, sizeof v);
    v.source_ip = v.rule = "";
    if (g && g->q == NULL) { /* per worker: requests are not shared */
        g->q = moat_request_new(g->estate);
        g->x = moat_explanation_new();
    }
    ngx_int_t rc = NGX_ERROR;
    if (g && g->q) {
        rc = decide(r, conf, g, &v, ip, sizeof ip);
    } else {
        v.error = 1;
        ngx_cpystrn((u_char *)v.why, (u_char *)"no estate", sizeof v.why);
    }
    if (rc != NGX_OK)
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "moat: denied (fail closed): %s", v.why);
    if (v.map.auth == HTTP_AUTH_BEARER && !v.identity)
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "moat: bearer token not trusted: %s", v.token_error);
    log_decision(r, conf, &v);
    if (moat_gate_allows(&v) || conf->mode == MODE_LEARNING)
        return NGX_DECLINED;
    return send_denial(r, &v);
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
