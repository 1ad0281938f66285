/*
** gate.c - one HTTP request decided (gate.h): the part the nginx module and
** `moat serve` share, with no server API in it.
*/
#include "gate.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

static int set(moat_request *q, moat_field f, const char *v)
{
    return v && *v ? moat_request_set(q, f, v, strlen(v), NULL) : MOAT_OK;
}

static int fail(gate_verdict *v, const char *why)
{
    v->error = 1;
    snprintf(v->why, sizeof v->why, "%s", why);
    return -1;
}

/* The caller from a verified token: tenant, calling resource and, through
** it, subscription and perimeter. An unverifiable token is OAuth without
** an identity: it can pass IP and network rules, never identity rules. */
static void caller_from_token(const gate_config *cfg, gate_verdict *v)
{
    if (cfg->keys == NULL) {
        snprintf(v->token_error, sizeof v->token_error,
                 "no keys to verify tokens with");
        return;
    }
    v->identity =
        moat_jwt_verify(cfg->keys, v->map.bearer, v->map.bearer_len, &cfg->policy,
                   &v->claims, v->token_error, sizeof v->token_error) == 0;
}

/* /subscriptions/<sub>/...: the caller's subscription. */
static void caller_subscription(moat_request *q, const char *mirid)
{
    if (strncasecmp(mirid, "/subscriptions/", 15) != 0)
        return;
    char sub[64];
    const char *s = mirid + 15, *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n < sizeof sub) {
        memcpy(sub, s, n);
        sub[n] = '\0';
        set(q, MOAT_REQ_CALLER_SUBSCRIPTION, sub);
    }
}

static int fill_request(const gate_config *cfg, moat_request *q,
                        gate_verdict *v)
{
    moat_request_reset(q);
    const char *account = v->map.account;
    if (moat_request_set(q, MOAT_REQ_RESOURCE, account, strlen(account),
                         NULL) != MOAT_OK) {
        snprintf(v->why, sizeof v->why, "no account %s in the estate", account);
        v->error = 1;
        return -1;
    }
    if (set(q, MOAT_REQ_ENDPOINT, v->map.endpoint) ||
        set(q, MOAT_REQ_OPERATION, v->map.operation) ||
        set(q, MOAT_REQ_TARGET, v->map.target) ||
        set(q, MOAT_REQ_CALLER_AUTH, moat_http_auth_name(v->map.auth)) ||
        set(q, MOAT_REQ_SOURCE_IP, v->source_ip) ||
        set(q, MOAT_REQ_SOURCE_SUBNET, v->pe ? NULL : v->subnet) ||
        set(q, MOAT_REQ_SOURCE_PRIVATE_ENDPOINT, v->pe))
        return fail(v, "request fields refused");
    if (v->identity) {
        const char *mirid = v->claims.xms_mirid;
        if (set(q, MOAT_REQ_CALLER_TENANT, v->claims.tid) ||
            set(q, MOAT_REQ_CALLER_RESOURCE_ID, mirid))
            return fail(v, "token claims refused");
        caller_subscription(q, mirid);
        set(q, MOAT_REQ_CALLER_PERIMETER,
            moat_estate_perimeter_of(cfg->estate, mirid));
    }
    return 0;
}

/* The caller as Key Vault's refusals name it: the token's application,
** object and issuer, and a managed identity's resource; NULL when no
** token was verified. */
static const char *caller_text(const gate_verdict *v, char *buf, size_t cap)
{
    if (!v->identity)
        return NULL;
    int n = snprintf(buf, cap, "appid=%s;oid=%s;iss=%s", v->claims.appid,
                     v->claims.oid, v->claims.iss);
    if (v->claims.xms_mirid[0] && n > 0 && (size_t)n < cap)
        snprintf(buf + n, cap - (size_t)n, ";xms_mirid=%s;xms_az_rid=%s",
                 v->claims.xms_mirid, v->claims.xms_mirid);
    return buf;
}

int moat_gate_decide(const gate_config *cfg, moat_request *q, moat_explanation *x,
                const gate_input *in, gate_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->rule = "";
    v->source_ip = in->source_ip ? in->source_ip : "";
    if (cfg->estate == NULL || q == NULL)
        return fail(v, "no estate");
    if (moat_http_map(&in->http, &v->map, v->why, sizeof v->why) < 0) {
        v->error = 1;
        return -1;
    }
    if (cfg->topo && in->local)
        v->pe = moat_topology_private_endpoint(cfg->topo, in->local);
    if (cfg->topo && in->source)
        v->subnet = moat_topology_subnet(cfg->topo, in->source);
    if (v->map.auth == HTTP_AUTH_BEARER)
        caller_from_token(cfg, v);
    if (fill_request(cfg, q, v) < 0)
        return -1;
    if (moat_decide(q, &v->d) != MOAT_OK)
        return fail(v, "moat_decide failed");
    if (v->d.verdict == MOAT_DENY) {
        char caller[2048];
        moat_refusal_message(q, &v->d, caller_text(v, caller, sizeof caller),
                             v->refusal, sizeof v->refusal);
    }
    /* The rule's words come from explaining: a second, traced pass. */
    if (x && moat_explain(q, x, 0) == MOAT_OK)
        v->rule = moat_explanation_rule(x);
    return 0;
}

int moat_gate_allows(const gate_verdict *v)
{
    return !v->error && v->d.verdict == MOAT_ALLOW;
}

const char *moat_gate_category(const gate_verdict *v)
{
    return v->error ? "MoatInternalError" : moat_category_name(v->d.category);
}

/*--------------------------------------------------------------------------
** Writing.
*/
typedef struct text_out {
    char *buf;
    size_t cap, len;
} text_out;

static void put(text_out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o->len + 1 < o->cap; i++)
        o->buf[o->len++] = s[i];
    o->buf[o->len] = '\0';
}

static void puts_(text_out *o, const char *s)
{
    put(o, s ? s : "", strlen(s ? s : ""));
}

/* s (n bytes) as the inside of a JSON string. */
static void put_json(text_out *o, const char *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char esc[8];
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            put(o, esc, 2);
        } else if (ch < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            put(o, esc, 6);
        } else {
            put(o, (const char *)&ch, 1);
        }
    }
}

static void put_field(text_out *o, const char *name, const char *value)
{
    puts_(o, "\"");
    puts_(o, name);
    puts_(o, "\":\"");
    put_json(o, value, value ? strlen(value) : 0);
    puts_(o, "\"");
}

size_t moat_gate_log_line(const gate_verdict *v, const char *time, const char *mode,
                     const char *request_line, size_t request_line_len,
                     char *buf, size_t cap)
{
    text_out o = {buf, cap, 0};
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    puts_(&o, "{");
    put_field(&o, "time", time);
    puts_(&o, ",");
    put_field(&o, "category", moat_gate_category(v));
    puts_(&o, ",");
    put_field(&o, "resultAction", moat_gate_allows(v) ? "Allowed" : "Denied");
    puts_(&o, ",");
    put_field(&o, "mode", mode);
    puts_(&o, ",\"matchedRule\":{");
    put_field(&o, "accessRule", v->rule);
    puts_(&o, "},\"source\":{");
    put_field(&o, "ipAddress", v->source_ip);
    puts_(&o, ",");
    put_field(&o, "subnet", v->subnet);
    puts_(&o, ",");
    put_field(&o, "privateEndpoint", v->pe);
    puts_(&o, ",");
    put_field(&o, "auth", moat_http_auth_name(v->map.auth));
    puts_(&o, ",");
    put_field(&o, "identity",
              v->error      ? v->why
              : v->identity ? v->claims.xms_mirid
                            : v->token_error);
    puts_(&o, "},\"destination\":{");
    put_field(&o, "account", v->map.account);
    puts_(&o, ",");
    put_field(&o, "endpoint", v->map.endpoint);
    puts_(&o, ",");
    put_field(&o, "operation", v->map.operation);
    puts_(&o, ",");
    put_field(&o, "target", v->map.target);
    puts_(&o, "},\"request\":\"");
    put_json(&o, request_line, request_line_len);
    puts_(&o, "\"}");
    if (o.len + 1 < o.cap) {
        buf[o.len++] = '\n';
        buf[o.len] = '\0';
    }
    return o.len;
}

size_t moat_gate_denial_body(const gate_verdict *v, const char *request_id,
                        const char *time, char *buf, size_t cap,
                        const char **content_type)
{
    int n;
    if (v->map.vault && !v->error && v->refusal[0]) {
        /* Key Vault's body: outer Forbidden, the inner code of the
        ** decision, the message moat_refusal_message wrote. */
        *content_type = "application/json; charset=utf-8";
        text_out o = {buf, cap, 0};
        if (cap == 0)
            return 0;
        buf[0] = '\0';
        puts_(&o, "{\"error\":{\"code\":\"Forbidden\",\"message\":\"");
        put_json(&o, v->refusal, strlen(v->refusal));
        puts_(&o, "\",\"innererror\":{\"code\":\"");
        puts_(&o, v->d.http_code ? v->d.http_code : "ForbiddenByFirewall");
        puts_(&o, "\"}}}");
        return o.len;
    } else if (v->map.vault) {
        *content_type = "application/json; charset=utf-8";
        n = snprintf(
            buf, cap,
            "{\"error\":{\"code\":\"Forbidden\",\"message\":\"Client address is not authorized and caller is not a trusted service.\\r\\nClient address: %s\\r\\nCaller: %s\\r\\n"
            "Vault: %s\",\"innererror\":{\"code\":\"ForbiddenByFirewall\"}}}",
            v->source_ip, v->identity ? v->claims.oid : "unknown",
            v->map.account);
    } else {
        *content_type = "application/xml";
        n = snprintf(
            buf, cap,
            "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationFailure</Code><Message>This request is not authorized to perform this operation.\n"
            "RequestId:%s\nTime:%s</Message></Error>",
            request_id, time);
    }
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* A per-thread xorshift generator, seeded from the kernel once: request ids
** need to be unique, not secret. */
static uint64_t next_random(void)
{
    static _Thread_local uint64_t s;
    while (s == 0 && getrandom(&s, sizeof s, 0) != (ssize_t)sizeof s)
        s = (uint64_t)(uintptr_t)&s ^ 0x9E3779B97F4A7C15ull;
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
}

void moat_gate_request_id(char out[37])
{
    uint64_t a = next_random(), b = next_random();
    snprintf(out, 37, "%08x-%04x-4%03x-a%03x-%08x%04x", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             (unsigned)(b >> 48) & 0xfff, (unsigned)(b >> 16),
             (unsigned)b & 0xffff);
}
