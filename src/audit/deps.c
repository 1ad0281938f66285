/*
** deps.c - what a lockdown breaks (issue 15, docs/audit.md
** "Dependencies"): every dependency edge of the estate turned into the
** decision.md request Azure's service makes, decided by moat_decide, and
** reported where it breaks:
**
**   MOAT015 dependency-refused       an edge the target refuses (or that
**                                    Enforced would refuse), or cannot be
**                                    decided (unknown, never fine)
**   MOAT016 perimeter-unsupported-feature   a storage feature seed 003
**                                    lists as unsupported under a perimeter
**   MOAT017 runner-refused           a Terraform data-plane resource its
**                                    runner will get a 403 for
*/
#include "audit_int.h"

#include <stdlib.h>
#include <string.h>

enum { D_ALLOW, D_DENY, D_UNKNOWN };

typedef struct result {
    const dep_edge *e;
    const moat_runner *runner; /* MOAT017 */
    const resource *to;
    const char *breaks; /* the resource the finding sits on */
    int verdict;
    int enforced_deny; /* allowed now, Enforced would refuse */
    moat_dependency dep;
    const char *reason;
    const char *why;    /* unknown: why */
    const char *source; /* the source in words */
    const char *ip;     /* the source address that was refused, or NULL */
    int same_region;
    int emitted;
    const char *fix; /* set where the decision knows it best */
    size_t next;     /* 1 + the next result sitting on the same resource */
} result;

struct deps_run {
    moat_audit *a;
    const moat_estate *es;
    moat_arena *arena;
    moat_request *q;
    moat_explanation *x;
    const moat_audit_options *opt;
    result *r;
    size_t n, cap;
    moat_index by_breaks; /* resource -> 1 + its first result */
    moat_index sites;     /* app -> its DEP_SITE_NET edge */
};

/* The fields of one request, as strings (decision.md section 2). */
typedef struct qf {
    const char *v[MOAT_REQ_FIELD_COUNT];
} qf;

/*--------------------------------------------------------------------------
** Requests.
*/

/* The request as `moat check` reads it. */
static const char *request_json(deps_run *d, const qf *f)
{
    static const struct {
        int field;
        const char *obj, *key;
    } keys[] = {
        {MOAT_REQ_RESOURCE, NULL, "resource"},
        {MOAT_REQ_PLANE, NULL, "plane"},
        {MOAT_REQ_ENDPOINT, NULL, "endpoint"},
        {MOAT_REQ_PROTOCOL, NULL, "protocol"},
        {MOAT_REQ_OPERATION, NULL, "operation"},
        {MOAT_REQ_TARGET, NULL, "target"},
        {MOAT_REQ_SOURCE_IP, "source", "ip"},
        {MOAT_REQ_SOURCE_SUBNET, "source", "subnet"},
        {MOAT_REQ_SOURCE_REGION, "source", "region"},
        {MOAT_REQ_CALLER_AUTH, "caller", "auth"},
        {MOAT_REQ_CALLER_TENANT, "caller", "tenant"},
        {MOAT_REQ_CALLER_SUBSCRIPTION, "caller", "subscription"},
        {MOAT_REQ_CALLER_RESOURCE_ID, "caller", "resource_id"},
        {MOAT_REQ_CALLER_SERVICE, "caller", "service"},
        {MOAT_REQ_CALLER_PERIMETER, "caller", "perimeters"},
    };
    moat_buf b;
    moat__buf_init(&b, 0);
    const char *open = NULL;
    int first = 1;
    moat__buf_putc(&b, '{');
    for (size_t i = 0; i < MOAT_ARRAY_LEN(keys); i++) {
        const char *v = f->v[keys[i].field];
        if (v == NULL)
            continue;
        if (open && (keys[i].obj == NULL || strcmp(open, keys[i].obj) != 0)) {
            moat__buf_putc(&b, '}');
            open = NULL;
        }
        if (!first)
            moat__buf_putc(&b, ',');
        first = 0;
        if (keys[i].obj && open == NULL) {
            moat__buf_printf(&b, "\"%s\":{", keys[i].obj);
            open = keys[i].obj;
        }
        moat__buf_printf(&b, "\"%s\":", keys[i].key);
        if (keys[i].field == MOAT_REQ_CALLER_PERIMETER)
            moat__buf_putc(&b, '[');
        moat__buf_json_cstr(&b, v);
        if (keys[i].field == MOAT_REQ_CALLER_PERIMETER)
            moat__buf_putc(&b, ']');
        /* the next key opens its own object: no comma inside */
        if (keys[i].obj && i + 1 < MOAT_ARRAY_LEN(keys) &&
            keys[i + 1].obj && strcmp(keys[i + 1].obj, keys[i].obj) == 0)
            first = 0;
    }
    if (open)
        moat__buf_putc(&b, '}');
    moat__buf_putc(&b, '}');
    char *s = b.failed ? NULL : moat__arena_strndup(d->arena, b.data, b.len);
    moat__buf_free(&b);
    if (s == NULL)
        moat__audit_set_failed(d->a);
    return s ? s : "{}";
}

/* Decides the request f; 0, or -1 when a field is refused (then the
** decision is unknown). */
static int decide(deps_run *d, const qf *f, moat_decision *out)
{
    moat_request_reset(d->q);
    for (int i = 0; i < MOAT_REQ_FIELD_COUNT; i++) {
        if (f->v[i] &&
            moat_request_set(d->q, (moat_field)i, f->v[i], strlen(f->v[i]),
                             NULL) != MOAT_OK)
            return -1;
    }
    if (moat_explain(d->q, d->x, 0) != MOAT_OK)
        return -1;
    *out = *moat_explanation_decision(d->x);
    return 0;
}

/* The tenant of the subscription of id, from the estate, or NULL. */
static const char *tenant_of(const moat_estate *es, const char *id)
{
    char sub[64];
    if (id == NULL || moat__arm_subscription_of(id, strlen(id), sub,
                                                 sizeof sub) < 0)
        return NULL;
    for (size_t i = 0; i < es->n_subs; i++) {
        if (moat__eq_ci_z(es->sub_ids[i], sub))
            return es->sub_tenants[i];
    }
    return NULL;
}

static const char *subscription_of(deps_run *d, const char *id)
{
    char sub[64];
    if (id == NULL ||
        moat__arm_subscription_of(id, strlen(id), sub, sizeof sub) < 0)
        return NULL;
    return moat__audit_fmt(d->a, "%s", sub);
}

/* The caller's side of an edge's request: who, which tenant, which
** perimeter. */
static void caller_fields(deps_run *d, const dep_edge *e, const resource *to,
                          qf *f)
{
    const char *who = e->caller_resource ? e->caller_resource : e->from;
    f->v[MOAT_REQ_CALLER_AUTH] = e->auth ? e->auth : "OAuth";
    f->v[MOAT_REQ_CALLER_RESOURCE_ID] =
        e->caller_service ? NULL : e->caller_resource;
    f->v[MOAT_REQ_CALLER_SERVICE] = e->caller_service;
    /* A federated identity credential: the token is issued by the
    ** vault's tenant (decision.md section 7). */
    f->v[MOAT_REQ_CALLER_TENANT] =
        e->federated && to->tenant_text ? to->tenant_text
                                        : tenant_of(d->es, e->from);
    if (f->v[MOAT_REQ_CALLER_TENANT] == NULL)
        f->v[MOAT_REQ_CALLER_TENANT] = tenant_of(d->es, who);
    if (f->v[MOAT_REQ_CALLER_TENANT] == NULL)
        f->v[MOAT_REQ_CALLER_TENANT] = tenant_of(d->es, e->scope);
    f->v[MOAT_REQ_CALLER_SUBSCRIPTION] = subscription_of(d, who);
    const perimeter *p =
        e->from ? moat__index_get(&d->es->map.member_of, e->from,
                                  strlen(e->from))
                : NULL;
    f->v[MOAT_REQ_CALLER_PERIMETER] = p ? p->guid_text : NULL;
}

/*--------------------------------------------------------------------------
** Deciding an edge.
*/
static const dep_edge *site_network(const deps_run *d, const char *site)
{
    return site ? moat__index_get(&d->sites, site, strlen(site)) : NULL;
}

static int wants_vault(unsigned kind)
{
    return kind == DEP_CMK || kind == DEP_KV_REF;
}

/* The storage account or vault an edge calls, or NULL with r->why. */
static const resource *target(deps_run *d, result *r, const char *id,
                              const char *name, int vault)
{
    moat_status st;
    const char *key = id ? id : name;
    const resource *t =
        key ? moat__estate_find(d->es, key, strlen(key), &st) : NULL;
    if (t && (t->kind == RES_KEYVAULT) != vault)
        t = NULL;
    if (t == NULL)
        r->why =
            key ? moat__audit_fmt(d->a, "the %s %s is not in the estate",
                                  vault ? "key vault" : "storage account", key)
                : "the resource it calls is not named";
    return t;
}

/* Judges the decision of one request into r; returns 1 when it is the
** one to report (the first refusal). */
static int judge(deps_run *d, result *r, const qf *f, const moat_decision *m)
{
    if (m->has_enforced_would && m->enforced_would == MOAT_DENY)
        r->enforced_deny = 1;
    if (r->dep.request && m->verdict == MOAT_ALLOW)
        return 0;
    r->dep.request = request_json(d, f);
    r->dep.category = moat_category_name(m->category);
    r->dep.rule = moat__audit_fmt(d->a, "%s", moat_explanation_rule(d->x));
    r->reason = moat__audit_fmt(d->a, "%s", moat_explanation_reason(d->x));
    r->verdict = m->verdict == MOAT_ALLOW ? D_ALLOW : D_DENY;
    r->ip = f->v[MOAT_REQ_SOURCE_IP];
    return m->verdict == MOAT_DENY;
}

/* Why a refusal may rest on what the estate does not say: the caller's
** tenant (a trusted service needs it), the source's addresses (an IP rule
** might hold them). NULL when the refusal stands. */
static const char *refusal_unknown(deps_run *d, const result *r, qf *f,
                                   int ips_known, unsigned warnings)
{
    moat_decision m;
    const char *auth = f->v[MOAT_REQ_CALLER_AUTH];
    if ((warnings & MOAT_WARN_TENANT_UNKNOWN) &&
        (auth == NULL || strcmp(auth, "OAuth") == 0))
        return "the tenant of the account is not known (its subscription is not in the estate), so whether the trusted-service exception admits the caller cannot be told";
    if (f->v[MOAT_REQ_CALLER_TENANT] == NULL && r->to->tenant_text) {
        f->v[MOAT_REQ_CALLER_TENANT] = r->to->tenant_text;
        int ok = decide(d, f, &m) == 0 && m.verdict == MOAT_ALLOW;
        f->v[MOAT_REQ_CALLER_TENANT] = NULL;
        if (ok)
            return "the caller's tenant is not in the estate (add its subscription): as the account's own tenant it would be admitted";
    }
    if (!ips_known && !r->same_region && r->to->n_ip4 + r->to->n_ip6 > 0)
        return "the caller's outbound addresses are not in the estate, and the firewall has IP rules that may hold them";
    return NULL;
}

static int same_region(const char *a, const char *b)
{
    char x[64], y[64];
    return a && b && moat__region_norm(a, strlen(a), x, sizeof x) == 0 &&
           moat__region_norm(b, strlen(b), y, sizeof y) == 0 &&
           strcmp(x, y) == 0;
}

/* The sources of an edge's requests: the app's integration subnet and
** outbound addresses (one request per address), a runner's; none for a
** platform service on Microsoft's backbone. */
typedef struct sources {
    const char *subnet, *region;
    const char *ips[16];
    size_t n_ips;
    int known; /* the addresses are known */
} sources;

static void sources_of(deps_run *d, const result *r, sources *s)
{
    memset(s, 0, sizeof *s);
    s->known = 1;
    const dep_edge *net = NULL;
    if (r->runner) {
        s->subnet = r->runner->subnet;
        s->region = r->runner->region;
        if (r->runner->ip)
            s->ips[s->n_ips++] = r->runner->ip;
        s->known = r->runner->ip != NULL;
        return;
    }
    if (r->e->kind == DEP_FUNC_STORAGE || r->e->kind == DEP_KV_REF)
        net = site_network(d, r->e->from);
    if (net == NULL)
        return;
    s->subnet = net->subnet;
    s->region = net->region;
    const char *p = net->ips;
    while (p && *p && s->n_ips < MOAT_ARRAY_LEN(s->ips)) {
        size_t n = strcspn(p, ", ");
        if (n)
            s->ips[s->n_ips++] = moat__audit_fmt(d->a, "%.*s", (int)n, p);
        p += n;
        p += strspn(p, ", ");
    }
    s->known = s->n_ips > 0;
}

static const char *source_words(deps_run *d, const sources *s)
{
    if (s->subnet)
        return moat__audit_fmt(d->a, "the integration subnet %s%s%s", s->subnet,
                               s->n_ips ? " (public path: " : "",
                               s->n_ips ? "its outbound addresses)" : "");
    if (s->n_ips)
        return moat__audit_fmt(d->a, "the outbound address%s %s%s",
                               s->n_ips > 1 ? "es" : "", s->ips[0],
                               s->n_ips > 1 ? ", ..." : "");
    return NULL;
}

/* Every request of an edge (each endpoint, each source address): the
** first refusal is the one reported. */
static void decide_edge(deps_run *d, result *r, qf *f)
{
    sources s;
    sources_of(d, r, &s);
    r->source = source_words(d, &s);
    f->v[MOAT_REQ_SOURCE_SUBNET] = s.subnet;
    f->v[MOAT_REQ_SOURCE_REGION] = s.region;
    r->same_region = r->to->kind == RES_STORAGE &&
                     same_region(s.region, r->to->location);
    const char *eps = r->runner ? NULL : r->e->endpoints;
    char ep[16];
    int refused = 0;
    do {
        size_t n = eps ? strcspn(eps, ",") : 0;
        if (eps) {
            snprintf(ep, sizeof ep, "%.*s", (int)n, eps);
            f->v[MOAT_REQ_ENDPOINT] = ep;
        }
        size_t k = 0;
        do {
            f->v[MOAT_REQ_SOURCE_IP] = s.n_ips ? s.ips[k] : NULL;
            moat_decision m;
            if (decide(d, f, &m) != 0) {
                r->why = "the request cannot be formed from the estate's values";
                r->verdict = D_UNKNOWN;
                return;
            }
            if (!refused && judge(d, r, f, &m)) {
                refused = 1;
                const char *u = refusal_unknown(d, r, f, s.known, m.warnings);
                if (u) {
                    r->why = u;
                    r->verdict = D_UNKNOWN;
                }
            }
        } while (++k < s.n_ips);
        eps = eps && eps[n] ? eps + n + 1 : NULL;
    } while (eps);
}

static result *new_result(deps_run *d, const dep_edge *e)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 32;
        result *p = realloc(d->r, cap * sizeof *p);
        if (p == NULL) {
            moat__audit_set_failed(d->a);
            return NULL;
        }
        d->r = p;
        d->cap = cap;
    }
    result *r = &d->r[d->n++];
    memset(r, 0, sizeof *r);
    r->e = e;
    r->breaks = e->breaks;
    r->dep.kind = moat__dep_kind_name(e->kind);
    r->dep.from = e->from;
    r->dep.to = e->to_id ? e->to_id : e->to_name ? e->to_name : e->to_text;
    r->dep.rule = "";
    return r;
}

static void fill_request(const dep_edge *e, const resource *to, qf *f)
{
    memset(f, 0, sizeof *f);
    f->v[MOAT_REQ_RESOURCE] = to->id;
    f->v[MOAT_REQ_ENDPOINT] = e->endpoints;
    f->v[MOAT_REQ_OPERATION] = e->operation;
    f->v[MOAT_REQ_PROTOCOL] = e->protocol;
    f->v[MOAT_REQ_TARGET] = e->target;
}

static const char *rg_of(deps_run *d, const char *id);

/* The edge's target found, or the edge unknown (0). */
static int resolve(deps_run *d, result *r, int vault)
{
    const dep_edge *e = r->e;
    r->to = target(d, r, e->to_id, e->to_name, vault);
    if (r->to)
        r->dep.to = r->to->id;
    if (e->unknown == NULL && r->to)
        return 1;
    r->verdict = D_UNKNOWN;
    if (e->unknown)
        r->why = e->unknown;
    return 0;
}

/* Seed 003: "For storage accounts that are associated with a network
** security perimeter, in order for customer managed keys (CMK) scenarios
** to work, ensure that the Azure Key Vault is accessible from within the
** perimeter to which the storage account is associated." A vault in
** another perimeter, or in none, is reached (if at all) through an
** outbound rule moat does not read: unknown, never fine. */
static void cmk_perimeter(deps_run *d, result *r)
{
    moat_status st;
    const resource *acct =
        moat__estate_find(d->es, r->e->from, strlen(r->e->from), &st);
    if (r->e->kind != DEP_CMK || acct == NULL || acct->kind != RES_STORAGE ||
        acct->assoc == NULL || acct->assoc->perimeter == NULL ||
        acct->assoc->mode == MODE_AUDIT || r->verdict != D_ALLOW)
        return;
    const assoc *va = r->to->assoc;
    if (va && va->perimeter == acct->assoc->perimeter)
        return;
    r->why = moat__audit_fmt(
        d->a,
        "%s is in perimeter %s (%s), and the vault is not: seed 003 asks that the vault be accessible from within the perimeter (associate the vault with it); an outbound access rule that would reach it is not read by moat",
        acct->name, acct->assoc->perimeter->name,
        acct->assoc->mode == MODE_ENFORCED ? "Enforced" : "Learning");
    r->verdict = D_UNKNOWN;
    const assoc *as = acct->assoc;
    r->fix = moat__audit_cmd(
        d->a,
        "az network perimeter association create --resource-group %s --perimeter-name %s --name %s --private-link-resource %s --profile %s --access-mode %s",
        rg_of(d, as->perimeter->id), as->perimeter->name, r->to->name,
        moat__audit_fmt(d->a, "{id:%s}", r->to->id),
        moat__audit_fmt(d->a, "{id:%s}",
                        as->profile ? as->profile->id : "<profile id>"),
        as->mode == MODE_ENFORCED ? "Enforced" : "Learning");
}

/* A MOAT015 edge. */
static void edge(deps_run *d, const dep_edge *e)
{
    result *r = new_result(d, e);
    if (r == NULL)
        return;
    if (!resolve(d, r, wants_vault(e->kind)))
        return;
    qf f;
    fill_request(e, r->to, &f);
    caller_fields(d, e, r->to, &f);
    decide_edge(d, r, &f);
    cmk_perimeter(d, r);
}

/*--------------------------------------------------------------------------
** Features a perimeter does not support (MOAT016) and runners (MOAT017).
*/

/* The protocol a feature speaks, and the endpoint: the perimeter refuses
** every protocol but HTTPS (decision.md section 4, step 3). */
static int feature_protocol(unsigned kind, const char **proto,
                            const char **ep)
{
    switch (kind) {
    case DEP_F_SFTP: *proto = "SFTP"; *ep = "blob"; return 1;
    case DEP_F_NFS: *proto = "NFS"; *ep = "blob"; return 1;
    case DEP_F_SMB: *proto = "SMB"; *ep = "file"; return 1;
    default: return 0;
    }
}

static void feature(deps_run *d, const dep_edge *e)
{
    moat_status st;
    const char *key = e->to_id ? e->to_id : e->to_name;
    const resource *to =
        key ? moat__estate_find(d->es, key, strlen(key), &st) : NULL;
    if (to == NULL || to->kind != RES_STORAGE || to->assoc == NULL)
        return; /* no perimeter: nothing to break */
    result *r = new_result(d, e);
    if (r == NULL)
        return;
    r->to = to;
    r->breaks = to->id;
    r->dep.to = to->id;
    const char *proto, *ep;
    if (e->unknown) {
        r->verdict = D_UNKNOWN;
        r->why = e->unknown;
    } else if (feature_protocol(e->kind, &proto, &ep)) {
        qf f;
        memset(&f, 0, sizeof f);
        f.v[MOAT_REQ_RESOURCE] = to->id;
        f.v[MOAT_REQ_ENDPOINT] = ep;
        f.v[MOAT_REQ_PROTOCOL] = proto;
        f.v[MOAT_REQ_OPERATION] = "write";
        moat_decision m;
        if (decide(d, &f, &m) == 0)
            judge(d, r, &f, &m);
    } else {
        /* Not a request moat decides: the service is not onboarded to
        ** perimeters, so Enforced blocks it (seed 003). */
        r->verdict = to->assoc->mode == MODE_ENFORCED ? D_DENY : D_ALLOW;
        r->enforced_deny = to->assoc->mode != MODE_ENFORCED;
        r->dep.category = NULL;
    }
}

static void runner(deps_run *d, const dep_edge *e, const moat_runner *run)
{
    result *r = new_result(d, e);
    if (r == NULL)
        return;
    r->runner = run;
    r->dep.from =
        moat__audit_fmt(d->a, "%s", run->label ? run->label : "runner");
    r->breaks = e->address ? e->address : e->from;
    if (!resolve(d, r, strcmp(e->endpoints, "vault") == 0))
        return;
    qf f;
    fill_request(e, r->to, &f);
    f.v[MOAT_REQ_CALLER_AUTH] = e->auth;
    f.v[MOAT_REQ_CALLER_RESOURCE_ID] = run->identity;
    f.v[MOAT_REQ_CALLER_TENANT] = tenant_of(d->es, run->identity);
    decide_edge(d, r, &f);
    if (r->verdict == D_UNKNOWN && run->ip == NULL)
        r->why = "the runner's address is not known in advance (a hosted runner: GitHub's and Azure Pipelines' hosted runners take any address of Azure's published ranges), and the firewall has IP rules that may or may not hold it";
}

/*--------------------------------------------------------------------------
** Findings.
*/
static moat_level lower(moat_level l)
{
    return l > MOAT_LEVEL_INFO ? (moat_level)(l - 1) : l;
}

/* Severity by consequence: an unreachable customer-managed key or a
** Functions host without its storage stops the resource; lost logs and
** unresolved settings are high. Unknown and Enforced-only one lower. */
static moat_level level_of(const result *r)
{
    moat_level l = MOAT_LEVEL_HIGH;
    unsigned k = r->e->kind;
    if (k == DEP_CMK || k == DEP_FUNC_STORAGE)
        l = MOAT_LEVEL_CRITICAL;
    else if (k == DEP_F_LIFECYCLE || k == DEP_F_INVENTORY)
        l = MOAT_LEVEL_LOW; /* listed in seed 003 (preview), not at GA */
    else if (k == DEP_F_UNMANAGED_DISK)
        l = MOAT_LEVEL_MEDIUM; /* it bypasses the perimeter */
    if (r->verdict != D_DENY)
        l = lower(l);
    return l;
}

static const char *short_name(deps_run *d, const char *id)
{
    if (id == NULL)
        return "?";
    const char *s = strrchr(id, '/');
    return moat__audit_fmt(d->a, "%s", s && s[1] ? s + 1 : id);
}

static const char *rg_of(deps_run *d, const char *id)
{
    return moat__audit_rg(d->a, id);
}

/* The edge in words: "storage account st1's customer-managed key in key
** vault kv1". */
static const char *edge_words(deps_run *d, const result *r)
{
    const dep_edge *e = r->e;
    const char *from = short_name(d, e->from);
    const char *to = short_name(d, r->dep.to);
    switch (e->kind) {
    case DEP_CMK:
        return moat__audit_fmt(
            d->a, "%s's customer-managed key in key vault %s", from, to);
    case DEP_DIAG:
        return moat__audit_fmt(
            d->a,
            "diagnostic setting %s writing %s's logs to storage account %s",
            from, short_name(d, r->breaks), to);
    case DEP_FLOW:
        return moat__audit_fmt(
            d->a, "flow log %s writing to storage account %s", from, to);
    case DEP_SQL_AUDIT:
        return moat__audit_fmt(
            d->a, "SQL server %s's auditing to storage account %s", from, to);
    case DEP_EH_CAPTURE:
        return moat__audit_fmt(
            d->a, "Event Hubs Capture of %s to storage account %s", from, to);
    case DEP_FUNC_STORAGE:
        return moat__audit_fmt(d->a, "app %s's own storage in %s (%s%s)", from,
                               to, e->endpoints,
                               e->protocol ? " over SMB" : "");
    case DEP_KV_REF:
        return moat__audit_fmt(d->a, "app %s's Key Vault reference to %s%s%s",
                               from, to, e->target ? ", secret " : "",
                               e->target ? e->target : "");
    default: return moat__audit_fmt(d->a, "%s", e->address ? e->address : from);
    }
}

static const char *consequence(unsigned kind)
{
    switch (kind) {
    case DEP_CMK:
        return "Azure cannot fetch the key, and the data it encrypts becomes unreadable";
    case DEP_DIAG: return "the logs stop being written, silently";
    case DEP_FLOW: return "the flow logs stop being written";
    case DEP_SQL_AUDIT:
        return "audit records are not written (BlobAuditingInsufficientStorageAccountPermissions)";
    case DEP_EH_CAPTURE: return "captured events are not archived";
    case DEP_FUNC_STORAGE:
        return "the Functions host cannot start (\"The service is unavailable\")";
    case DEP_KV_REF:
        return "the setting resolves to the reference text, not to the secret";
    default: return "";
    }
}

static const char *enforced_note(deps_run *d, const result *r)
{
    if (r->to == NULL || r->to->assoc == NULL ||
        r->to->assoc->mode == MODE_ENFORCED)
        return "";
    return moat__audit_fmt(
        d->a, " Under the perimeter's %s mode; Enforced would %s it.",
        r->to->assoc->mode == MODE_AUDIT ? "Audit" : "Learning",
        r->enforced_deny ? "refuse" : "admit");
}

static const char *region_note(deps_run *d, const result *r)
{
    if (!r->same_region)
        return "";
    return moat__audit_fmt(
        d->a,
        " The caller runs in %s, the account's own region: Azure Storage sees its private Azure address, and IP rules have no effect on it (decision.md's same-region rule), whatever addresses they list.",
        r->to->location);
}

static const char *dep_message(deps_run *d, const result *r)
{
    if (r->verdict == D_UNKNOWN)
        return moat__audit_fmt(
            d->a,
            "%s: cannot be decided: %s. moat does not call it fine: %s if it is refused.",
            edge_words(d, r), r->why ? r->why : "a value is unknown",
            consequence(r->e->kind));
    const char *src =
        r->source
            ? moat__audit_fmt(d->a, " The request comes from %s.", r->source)
            : "";
    if (r->verdict == D_ALLOW)
        return moat__audit_fmt(
            d->a,
            "%s: admitted today (%s), but the perimeter's Enforced mode would refuse it: %s.%s",
            edge_words(d, r), r->dep.category, consequence(r->e->kind), src);
    return moat__audit_fmt(
        d->a, "%s: refused by %s: %s (%s): %s Consequence: %s.%s%s%s",
        edge_words(d, r), short_name(d, r->to->id), r->dep.category,
        r->dep.rule[0] ? r->dep.rule : "no rule admits it", r->reason,
        consequence(r->e->kind), src, region_note(d, r), enforced_note(d, r));
}

static const char *feature_name(unsigned kind)
{
    static const char *const names[] = {
        "SSH File Transfer Protocol (SFTP) over Blob Storage (properties.isSftpEnabled)",
        "Network File System (NFS) 3.0 (isNfsV3Enabled, or an NFS file share)",
        "Server Message Block (SMB) access to Azure Files (a file share)",
        "object replication (an objectReplicationPolicies policy)",
        "lifecycle management (a managementPolicies policy)",
        "blob inventory (an inventoryPolicies policy)",
        "unmanaged disks (a virtual machine's VHD in the account)",
        "Azure Backup of blobs (a backup instance of the account)",
    };
    return names[kind - DEP_F_SFTP];
}

/* What seed 003 ("Limitations") and its GA revision say of each. */
static const char *feature_cite(unsigned kind)
{
    switch (kind) {
    case DEP_F_SFTP:
    case DEP_F_NFS:
    case DEP_F_SMB:
        return "Seed 003: \"Access and data transfer via NFS for Azure Blobs and Azure Files, and via SMB for Azure files are not natively covered by network security perimeter and will be blocked\"; its GA revision: \"All protocols other than HTTPS based access are blocked\"";
    case DEP_F_OBJREP:
        return "Seed 003 lists object replication as unsupported; its GA revision: \"Object Replication between storage accounts fails if either the source or destination account is associated with a network security perimeter\"";
    case DEP_F_LIFECYCLE:
    case DEP_F_INVENTORY:
        return "Seed 003 (the preview revision) lists it as unsupported; the GA revision no longer lists it, without saying it now works";
    case DEP_F_UNMANAGED_DISK:
        return "Seed 003: \"Unmanaged disks do not honor network security perimeter rules\": the perimeter does not protect the VHDs";
    default:
        return "Seed 003 lists vaulted backups for Azure Blob Storage; its GA revision: \"Azure Backup as a service is not onboarded to network security perimeter yet\"";
    }
}

static const char *feature_message(deps_run *d, const result *r)
{
    const char *mode = r->to->assoc->mode == MODE_ENFORCED ? "Enforced"
                       : r->to->assoc->mode == MODE_AUDIT  ? "Audit"
                                                           : "Learning";
    const char *state =
        r->verdict == D_UNKNOWN
            ? moat__audit_fmt(d->a, "cannot be told (%s)", r->why)
        : r->e->kind == DEP_F_UNMANAGED_DISK
            ? "is not covered: the perimeter's rules do not apply to it"
        : r->verdict == D_DENY
            ? moat__audit_fmt(d->a, "is blocked now%s%s%s",
                              r->dep.category ? " (" : "",
                              r->dep.category ? r->dep.category : "",
                              r->dep.category ? ")" : "")
            : "works today but will break at Enforced";
    return moat__audit_fmt(
        d->a,
        "%s is associated with perimeter %s (%s) and uses %s, which %s. %s.",
        short_name(d, r->to->id),
        r->to->assoc->perimeter ? r->to->assoc->perimeter->name : "?", mode,
        feature_name(r->e->kind), state, feature_cite(r->e->kind));
}

static const char *runner_message(deps_run *d, const result *r)
{
    const char *addr = r->e->address ? r->e->address : r->e->from;
    const char *who = r->runner->label ? r->runner->label
                      : r->runner->ip  ? r->runner->ip
                                       : "(address unknown)";
    if (r->verdict == D_UNKNOWN)
        return moat__audit_fmt(
            d->a,
            "%s: cannot tell whether terraform apply will get a 403 from the runner %s: %s.",
            addr, who, r->why ? r->why : "a value is unknown");
    const char *plain = "";
    if (r->same_region)
        plain = moat__audit_fmt(
            d->a,
            "the runner runs in %s, the account's own region, so it arrives from a private Azure address that no IP rule of %s can match",
            r->to->location, short_name(d, r->to->id));
    else if (r->dep.category &&
             strcmp(r->dep.category, "ResDefaultActionDeny") == 0 && r->ip)
        plain = moat__audit_fmt(d->a, "the runner %s is in no IP rule of %s",
                                r->ip, short_name(d, r->to->id));
    else
        plain = r->reason;
    return moat__audit_fmt(
        d->a, "%s: terraform apply will get 403 %s: %s; %s.%s", addr,
        r->to->kind == RES_STORAGE ? "AuthorizationFailure"
        : strcmp(r->dep.category, "ResPublicNetworkAccessDisabled") == 0
            ? "ForbiddenByConnection"
            : "ForbiddenByFirewall",
        r->dep.category, plain, enforced_note(d, r));
}

/*--------------------------------------------------------------------------
** The smallest fix.
*/
static const char *az_rule(deps_run *d, const resource *to, const char *what)
{
    return to->kind == RES_STORAGE
               ? moat__audit_cmd(d->a, "az storage account network-rule add --resource-group %s --account-name %s %r",
                      rg_of(d, to->id), to->name, what)
               : moat__audit_cmd(d->a, "az keyvault network-rule add --resource-group %s --name %s %r",
                      rg_of(d, to->id), to->name, what);
}

/* A refusal a perimeter decided: admit the caller's subscription in the
** target's profile, or put a customer-managed key's vault into the
** account's perimeter (seed 003's warning). */
static const char *perimeter_fix(deps_run *d, const result *r)
{
    const assoc *as = r->to->assoc;
    const char *who = r->e->caller_resource ? r->e->caller_resource
                                            : r->e->from;
    if (as == NULL || as->perimeter == NULL)
        return "";
    if (r->e->kind == DEP_CMK)
        return moat__audit_fmt(
            d->a,
            "the vault inside the perimeter of the account, as seed 003 asks for customer-managed keys: %s",
            moat__audit_cmd(
                d->a,
                "az network perimeter association create --resource-group %s --perimeter-name %s --name %s --private-link-resource %s --profile %s --access-mode Enforced",
                rg_of(d, as->perimeter->id), as->perimeter->name, r->to->name,
                moat__audit_fmt(d->a, "{id:%s}", r->to->id),
                moat__audit_fmt(d->a, "{id:%s}",
                                as->profile ? as->profile->id
                                            : "<profile id>")));
    char sub[64];
    if (who && moat__arm_subscription_of(who, strlen(who), sub, sizeof sub) >= 0)
        return moat__audit_fmt(
            d->a,
            "admit the caller's subscription (the caller must then present an Entra token of that subscription): %s",
            moat__audit_cmd(
                d->a,
                "az network perimeter profile access-rule create --resource-group %s --perimeter-name %s --profile-name %s --name allow-%s --subscriptions %s",
                rg_of(d, as->perimeter->id), as->perimeter->name,
                as->profile ? as->profile->name : "<profile>",
                short_name(d, who),
                moat__audit_fmt(d->a, "[{id:/subscriptions/%s}]", sub)));
    return "";
}

static int is_platform(const dep_edge *e)
{
    return e->caller_service || e->kind == DEP_CMK ||
           e->kind == DEP_SQL_AUDIT;
}

static const char *edge_fix(deps_run *d, const result *r)
{
    const char *cat = r->dep.category ? r->dep.category : "";
    if (strcmp(cat, "ResProtocolNotSupportedByPerimeter") == 0)
        return "keep what needs SMB (a Functions content share: WEBSITE_CONTENTAZUREFILECONNECTIONSTRING) in an account outside the perimeter: a perimeter admits HTTPS only";
    if (strncmp(cat, "Nsp", 3) == 0 && r->e->auth &&
        strcmp(r->e->auth, "OAuth") != 0)
        return r->e->kind == DEP_FUNC_STORAGE
                   ? "connect with the app's managed identity (AzureWebJobsStorage__accountName instead of a connection string with the account key): perimeter rules admit Entra-authenticated callers of a subscription, never an account key"
                   : "authenticate with a managed identity: perimeter subscription rules never admit an account key or SAS";
    if (strncmp(cat, "Nsp", 3) == 0)
        return perimeter_fix(d, r);
    sources s;
    sources_of(d, r, &s);
    if (is_platform(r->e) && !r->runner) {
        if (r->e->auth && strcmp(r->e->auth, "OAuth") != 0)
            return "write with the server's managed identity (remove storageAccountAccessKey) so that the trusted-service exception can apply";
        if (!(r->to->bypass & BYPASS_AZURE_SERVICES))
            return r->to->kind == RES_STORAGE
                       ? moat__audit_cmd(d->a, "az storage account update --resource-group %s --name %s --bypass AzureServices",
                              rg_of(d, r->to->id), r->to->name)
                       : moat__audit_cmd(d->a, "az keyvault update --resource-group %s --name %s --bypass AzureServices",
                              rg_of(d, r->to->id), r->to->name);
        if (r->e->caller_resource && strstr(r->e->caller_resource,
                                            "userAssignedIdentities"))
            return "use the resource's system-assigned identity: the vault's trusted-service exception does not see a user-assigned identity as the service (azure-docs#61015)";
        return moat__audit_fmt(
            d->a,
            "%s is not a trusted service of %s (the catalog, seed 000 and 004): reach it through a private endpoint of %s, or %s",
            short_name(d, r->e->from), r->to->name, r->to->name,
            az_rule(d, r->to,
                    moat__audit_cmd(d->a, "--ip-address %s",
                                    "<the caller's outbound addresses>")));
    }
    if (s.subnet)
        return moat__audit_fmt(
            d->a,
            "admit the caller's subnet (it needs a %s service endpoint): %s",
            r->to->kind == RES_STORAGE ? "Microsoft.Storage"
                                       : "Microsoft.KeyVault",
            az_rule(d, r->to, moat__audit_cmd(d->a, "--subnet %s", s.subnet)));
    if (r->same_region)
        return moat__audit_fmt(
            d->a,
            "IP rules never see a same-region caller: give the caller's subnet a Microsoft.Storage service endpoint and admit it, or use a private endpoint: %s",
            az_rule(d, r->to,
                    moat__audit_cmd(d->a, "--subnet %s", "<subnet id>")));
    if (r->ip)
        return az_rule(d, r->to, moat__audit_cmd(d->a, "--ip-address %s", r->ip));
    return "";
}

static const char *feature_fix(deps_run *d, const result *r)
{
    const char *acct = r->to->name, *rg = rg_of(d, r->to->id);
    switch (r->e->kind) {
    case DEP_F_SFTP:
        return moat__audit_fmt(
            d->a, "leave the perimeter, or turn SFTP off: %s",
            moat__audit_cmd(
                d->a,
                "az storage account update --resource-group %s --name %s --enable-sftp false",
                rg, acct));
    case DEP_F_NFS:
        return "serve it from an account outside the perimeter (NFS cannot be turned off on an existing account)";
    case DEP_F_SMB:
        return "reach the share over HTTPS (REST) only, or keep the account out of the perimeter";
    case DEP_F_OBJREP:
        return moat__audit_fmt(
            d->a,
            "keep both accounts out of perimeters, or delete the replication policy: %s",
            moat__audit_cmd(
                d->a,
                "az storage account or-policy delete --resource-group %s --account-name %s --policy-id %s",
                rg, acct, "<policy>"));
    case DEP_F_LIFECYCLE:
        return moat__audit_fmt(
            d->a, "after associating, confirm it runs: %s",
            moat__audit_cmd(
                d->a,
                "az storage account management-policy show --resource-group %s --account-name %s",
                rg, acct));
    case DEP_F_INVENTORY:
        return moat__audit_fmt(
            d->a, "after associating, confirm it runs: %s",
            moat__audit_cmd(
                d->a,
                "az storage account blob-inventory-policy show --resource-group %s --account-name %s",
                rg, acct));
    case DEP_F_UNMANAGED_DISK:
        return "migrate the VM to managed disks (az vm convert)";
    default:
        return "back the account up before associating it, or keep it out of the perimeter until Azure Backup is onboarded";
    }
}

static const char *runner_fix(deps_run *d, const result *r)
{
    if (r->verdict == D_UNKNOWN || r->to == NULL)
        return "";
    if (strncmp(r->dep.category ? r->dep.category : "", "Nsp", 3) == 0)
        return perimeter_fix(d, r);
    if (r->same_region)
        return moat__audit_fmt(
            d->a,
            "run terraform from a subnet with a Microsoft.Storage service endpoint and %s, or from outside %s",
            az_rule(d, r->to, "--subnet <runner subnet id>"), r->to->location);
    if (r->runner->subnet)
        return az_rule(d, r->to,
                       moat__audit_fmt(d->a, "--subnet %s", r->runner->subnet));
    if (r->ip)
        return az_rule(d, r->to, moat__audit_cmd(d->a, "--ip-address %s", r->ip));
    return "";
}

/*--------------------------------------------------------------------------
** The run.
*/
static int needs_finding(const result *r)
{
    return r->verdict != D_ALLOW || r->enforced_deny;
}

static const char *finding_message(deps_run *d, const result *r)
{
    if (DEP_IS_FEATURE(r->e->kind))
        return feature_message(d, r);
    if (r->runner && r->verdict == D_ALLOW)
        return moat__audit_fmt(
            d->a,
            "%s: admitted today for the runner %s (%s), but the perimeter's Enforced mode would refuse it: terraform apply will then get a 403.",
            r->e->address ? r->e->address : r->e->from,
            r->runner->label ? r->runner->label : "?", r->dep.category);
    if (r->runner)
        return runner_message(d, r);
    return dep_message(d, r);
}

static const char *finding_fix(deps_run *d, const result *r)
{
    if (r->fix)
        return r->fix;
    if (r->to == NULL || r->verdict == D_UNKNOWN)
        return "";
    if (DEP_IS_FEATURE(r->e->kind))
        return feature_fix(d, r);
    return r->runner ? runner_fix(d, r) : edge_fix(d, r);
}

static void emit(deps_run *d, result *r)
{
    const char *rule = r->runner                ? "MOAT017"
                       : DEP_IS_FEATURE(r->e->kind) ? "MOAT016"
                                                    : "MOAT015";
    const char *what =
        moat__audit_fmt(d->a, "%s|%s|%s|%s|%s", r->dep.kind, r->e->from,
                        r->dep.to ? r->dep.to : "", r->e->path,
                        r->runner && r->runner->label ? r->runner->label : "");
    const char *name = r->runner ? r->breaks : short_name(d, r->breaks);
    moat_finding *f = moat__audit_add_finding(
        d->a, rule, r->breaks, name, r->e->address, r->e->file, r->e->line,
        finding_message(d, r), what);
    if (f == NULL)
        return;
    f->level = level_of(r);
    f->fix = finding_fix(d, r);
    f->dependency = &r->dep;
    moat_evidence *ev = moat__arena_alloc(d->arena, sizeof *ev);
    if (ev == NULL) {
        moat__audit_set_failed(d->a);
        return;
    }
    ev->path = r->e->path;
    ev->value = r->e->to_text ? r->e->to_text : r->dep.to ? r->dep.to : "";
    ev->basis = r->verdict == D_UNKNOWN ? MOAT_BASIS_UNKNOWN
                                        : MOAT_BASIS_EXPLICIT;
    f->evidence = ev;
    f->n_evidence = 1;
}

/* The results of each resource, chained in order. */
static void index_breaks(deps_run *d)
{
    for (size_t i = d->n; i-- > 0;) {
        result *r = &d->r[i];
        if (r->breaks == NULL)
            continue;
        size_t n = strlen(r->breaks);
        void **slot = moat__index_ref(&d->by_breaks, r->breaks, n);
        if (slot) {
            r->next = (size_t)(uintptr_t)*slot;
            *slot = (void *)(uintptr_t)(i + 1);
        } else if (moat__index_put(&d->by_breaks, r->breaks, n,
                                   (void *)(uintptr_t)(i + 1), NULL) < 0) {
            moat__audit_set_failed(d->a);
        }
    }
}

deps_run *moat__deps_begin(moat_audit *a, const moat_estate *es,
                           const moat_audit_options *opt)
{
    deps_run *d = calloc(1, sizeof *d);
    if (d == NULL)
        return NULL;
    d->a = a;
    d->es = es;
    d->opt = opt;
    d->arena = moat__audit_arena(a);
    moat__index_init(&d->by_breaks);
    moat__index_init(&d->sites);
    d->q = moat_request_new(es);
    d->x = moat_explanation_new();
    if (d->q == NULL || d->x == NULL) {
        moat__deps_free(d);
        return NULL;
    }
    for (size_t i = 0; i < es->n_deps; i++) {
        const dep_edge *e = &es->deps[i];
        if (e->kind == DEP_SITE_NET && e->from &&
            moat__index_put(&d->sites, e->from, strlen(e->from), (void *)e,
                            NULL) < 0)
            moat__audit_set_failed(a);
    }
    for (size_t i = 0; i < es->n_deps; i++) {
        const dep_edge *e = &es->deps[i];
        if (e->kind == DEP_SITE_NET)
            continue;
        if (DEP_IS_FEATURE(e->kind))
            feature(d, e);
        else if (e->kind != DEP_RUNNER)
            edge(d, e);
        for (size_t k = 0; e->kind == DEP_RUNNER && opt && k < opt->n_runners;
             k++)
            runner(d, e, &opt->runners[k]);
    }
    for (size_t i = 0; i < d->n; i++) {
        result *r = &d->r[i];
        r->dep.decision = r->verdict == D_ALLOW  ? "allow"
                          : r->verdict == D_DENY ? "deny"
                                                 : "unknown";
        if (r->verdict == D_UNKNOWN)
            r->dep.category = NULL;
        r->dep.resource = r->breaks;
    }
    index_breaks(d);
    return d;
}

void moat__deps_on(deps_run *d, const char *id)
{
    if (d == NULL || id == NULL)
        return;
    size_t i = (size_t)(uintptr_t)moat__index_get(&d->by_breaks, id,
                                                   strlen(id));
    for (; i; i = d->r[i - 1].next) {
        result *r = &d->r[i - 1];
        if (!r->emitted && needs_finding(r)) {
            r->emitted = 1;
            emit(d, r);
        }
    }
}

void moat__deps_end(deps_run *d)
{
    for (size_t i = 0; d && i < d->n; i++) {
        result *r = &d->r[i];
        if (r->emitted || !needs_finding(r))
            continue;
        moat_audited *ar = moat__audit_add_resource(d->a);
        if (ar == NULL)
            return;
        ar->id = r->breaks;
        ar->name = r->runner ? r->breaks : short_name(d, r->breaks);
        ar->kind = r->runner ? "plan" : "other";
        ar->file = r->e->file;
        ar->line = r->e->line;
        ar->address = r->e->address;
        ar->first_finding = moat__audit_n_findings(d->a);
        moat__deps_on(d, r->breaks);
        ar->n_findings = moat__audit_n_findings(d->a) - ar->first_finding;
    }
    if (d) {
        moat_request_free(d->q);
        moat_explanation_free(d->x);
        d->q = NULL;
        d->x = NULL;
    }
}

void moat__deps_free(deps_run *d)
{
    if (d == NULL)
        return;
    moat_request_free(d->q);
    moat_explanation_free(d->x);
    moat__index_free(&d->by_breaks);
    moat__index_free(&d->sites);
    free(d->r);
    free(d);
}

size_t moat__deps_count(const deps_run *d)
{
    return d ? d->n : 0;
}

const moat_dependency *moat__deps_at(const deps_run *d, size_t i)
{
    return d && i < d->n ? &d->r[i].dep : NULL;
}
