/*
** compile.c - raw resources in, an immutable estate out.
**
** Joins what the readers kept apart (accounts to subscriptions and tenants,
** associations to accounts and profiles, rules to profiles, links to
** perimeters, connections to accounts, subnets to their VNets) and builds
** the structures moat_decide() reads: prefix sets with rule indexes, sorted
** case-folded hashes of subnet ids, pre-split resource-instance patterns,
** interned tenants, subscriptions, perimeter GUIDs and regions. After this
** nothing is modified, so any number of threads may decide at once.
*/
#include "load.h"

#include <stdlib.h>
#include <string.h>

#define PROFILE_MAX_INBOUND_ELEMENTS 200

const char moat__ambiguous_marker = 0;

typedef struct compiler {
    moat_loader *ld;
    moat_estate *es;
    moat_index raw_by_id;  /* raw_res by id, for attaching children */
    moat_index sub_tenant; /* subscription guid -> tenant text */
    moat_index perim_by_id;
    moat_index profile_by_id;
    moat_index vnet_loc;    /* vnet id -> raw_vnet with a location */
    moat_index raw_subnets; /* subnet id -> its first raw_subnet */
    moat_index tags;        /* service tag name -> raw_tag */
    int failed;
} compiler;

static void *xalloc(compiler *c, size_t n)
{
    void *p = moat__arena_zalloc(&c->es->arena, n ? n : 1);
    if (p == NULL)
        c->failed = 1;
    return p;
}

static const char *xstr(compiler *c, const char *s)
{
    if (s == NULL)
        return NULL;
    const char *p = moat__arena_strndup(&c->es->arena, s, strlen(s));
    if (p == NULL)
        c->failed = 1;
    return p;
}

static uint32_t intern_id(compiler *c, const char *s)
{
    if (s == NULL || *s == '\0')
        return MOAT_ID_NONE;
    uint32_t id = moat__intern_add(&c->es->ids, &c->es->arena, s, strlen(s));
    if (id == MOAT_ID_NONE)
        c->failed = 1;
    return id;
}

static uint32_t intern_region(compiler *c, const char *s)
{
    char norm[128];
    if (s == NULL || moat__region_norm(s, strlen(s), norm, sizeof norm) != 0)
        return MOAT_ID_NONE;
    uint32_t id =
        moat__intern_add(&c->es->regions, &c->es->arena, norm, strlen(norm));
    if (id == MOAT_ID_NONE)
        c->failed = 1;
    return id;
}

static uint32_t intern_subscription(compiler *c, const char *s)
{
    char guid[128];
    if (s == NULL || moat__subscription_of(s, strlen(s), guid, sizeof guid))
        return MOAT_ID_NONE;
    return intern_id(c, guid);
}

static void put(compiler *c, moat_index *x, const char *key, void *value)
{
    if (moat__index_put(x, key, strlen(key), value, NULL) < 0)
        c->failed = 1;
}

/*--------------------------------------------------------------------------
** Subscriptions.
*/
static void compile_subscriptions(compiler *c)
{
    moat_loader *ld = c->ld;
    size_t n = 0;
    for (raw_sub *s = ld->subs; s; s = s->next)
        n++;
    c->es->sub_ids = xalloc(c, n * sizeof(char *));
    c->es->sub_tenants = xalloc(c, n * sizeof(char *));
    if (c->failed)
        return;
    for (raw_sub *s = ld->subs; s; s = s->next) {
        void *prev = NULL;
        int rc = moat__index_put(&c->sub_tenant, s->guid, strlen(s->guid),
                                 (void *)s->tenant, &prev);
        if (rc < 0) {
            c->failed = 1;
            return;
        }
        if (rc == 1) {
            if (!moat__eq_ci_z((const char *)prev, s->tenant))
                moat__diag_at(
                    ld, &s->loc, MOAT_SEV_ERROR, MOAT_E_INVAL,
                    "subscription %s is listed twice with different tenants (%s and %s)",
                    s->guid, (const char *)prev, s->tenant);
            continue;
        }
        c->es->sub_ids[c->es->n_subs] = xstr(c, s->guid);
        c->es->sub_tenants[c->es->n_subs] = xstr(c, s->tenant);
        c->es->n_subs++;
        intern_id(c, s->tenant);
    }
}

/*--------------------------------------------------------------------------
** Perimeters, profiles, rules.
*/

/* Keeps one perimeter per id. A Microsoft.Network resource wins over the
** copy in an account's NSP configuration; two real ones are an error. */
static void compile_perimeters(compiler *c)
{
    moat_loader *ld = c->ld;
    size_t n = 0;
    for (raw_perimeter *p = ld->perims; p; p = p->next)
        n++;
    c->es->perimeters = xalloc(c, n * sizeof(perimeter));
    if (c->failed)
        return;
    /* Real ones first, so that they win. */
    for (int pass = 0; pass < 2; pass++) {
        for (raw_perimeter *p = ld->perims; p; p = p->next) {
            if (p->synthetic != pass)
                continue;
            perimeter *prev =
                moat__index_get(&c->perim_by_id, p->id, strlen(p->id));
            if (prev) {
                if (!pass && !prev->synthetic)
                    moat__diag_at(ld, &p->loc, MOAT_SEV_ERROR, MOAT_E_INVAL,
                                  "perimeter %s is defined twice", p->id);
                continue;
            }
            perimeter *pm = &c->es->perimeters[c->es->n_perimeters++];
            pm->id = xstr(c, p->id);
            pm->name = xstr(c, p->name);
            pm->guid_text = xstr(c, p->guid);
            pm->guid = intern_id(c, p->guid);
            pm->location = xstr(c, p->location);
            pm->synthetic = p->synthetic;
            if (p->guid == NULL)
                moat__diag_at(
                    ld, &p->loc, MOAT_SEV_WARNING, MOAT_E_INVAL,
                    "perimeter has no perimeterGuid: callers cannot be matched as inside it");
            if (!c->failed)
                put(c, &c->perim_by_id, pm->id, pm);
        }
    }
}

static int cmp_u32_pair(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

static const char **copy_strings(compiler *c, const char **v, uint16_t n)
{
    const char **out = xalloc(c, n * sizeof *out);
    for (uint16_t i = 0; i < n && !c->failed; i++)
        out[i] = xstr(c, v[i]);
    return out;
}

/* A rule with everything it points at moved into the estate's arena. */
static void copy_rule(compiler *c, access_rule *out, const access_rule *r)
{
    *out = *r;
    out->id = xstr(c, r->id);
    out->name = xstr(c, r->name);
    out->prefixes = copy_strings(c, r->prefixes, r->n_prefixes);
    moat_cidr *cidrs = xalloc(c, r->n_prefixes * sizeof *cidrs);
    if (cidrs && r->n_prefixes)
        memcpy(cidrs, r->cidrs, r->n_prefixes * sizeof *cidrs);
    out->cidrs = cidrs;
    out->subscriptions = copy_strings(c, r->subscriptions, r->n_subscriptions);
    out->service_tags = copy_strings(c, r->service_tags, r->n_service_tags);
}

/* The profile's subscription rules from the (subscription, rule) pairs of
** its inbound rules: each subscription once, with its lowest rule. */
static void compile_profile_subscriptions(compiler *c, profile *pf,
                                          uint32_t *pairs, size_t np)
{
    qsort(pairs, np, 2 * sizeof(uint32_t), cmp_u32_pair);
    uint32_t *ids = xalloc(c, np * sizeof *ids);
    uint16_t *which = xalloc(c, np * sizeof *which);
    size_t out = 0;
    for (size_t i = 0; i < np && !c->failed; i++) {
        if (out && ids[out - 1] == pairs[i * 2])
            continue; /* sorted by rule too: the first is the lowest */
        ids[out] = pairs[i * 2];
        which[out] = (uint16_t)pairs[i * 2 + 1];
        out++;
    }
    pf->sub_ids = ids;
    pf->sub_rule = which;
    pf->n_subs = (uint16_t)out;
}

/* Builds the hot part of a profile from its rules (in estate order). */
static void compile_profile_rules(compiler *c, profile *pf, raw_rule **rules,
                                  size_t n, const src_loc *loc)
{
    access_rule *ar = xalloc(c, n * sizeof *ar);
    if (c->failed)
        return;
    moat_prefix_builder pb, tb; /* address prefixes; service tags' */
    moat__prefix_builder_init(&pb);
    moat__prefix_builder_init(&tb);
    size_t nsubs = 0, elements = 0;
    for (size_t i = 0; i < n; i++) {
        if (rules[i]->rule.inbound)
            nsubs += rules[i]->rule.n_subscriptions;
    }
    uint32_t *pairs = malloc((nsubs ? nsubs : 1) * 2 * sizeof(uint32_t));
    if (pairs == NULL) {
        moat__prefix_builder_free(&pb);
        moat__prefix_builder_free(&tb);
        c->failed = 1;
        return;
    }
    size_t np = 0;
    pf->first_tag_rule = MOAT_RULE_NONE;
    int over = 0;
    for (size_t i = 0; i < n; i++) {
        access_rule r = rules[i]->rule;
        copy_rule(c, &ar[i], &r);
        if (!r.inbound)
            continue;
        size_t count =
            (size_t)r.n_prefixes + r.n_subscriptions + r.n_service_tags;
        if (elements + count > PROFILE_MAX_INBOUND_ELEMENTS) {
            if (!over)
                moat__diag_at(
                    c->ld, &rules[i]->loc,
                    (c->ld->flags & MOAT_LOAD_LENIENT) ? MOAT_SEV_WARNING
                                                       : MOAT_SEV_ERROR,
                    MOAT_E_LIMIT,
                    "profile %s holds more than %d inbound rule elements; Azure refuses it (this rule and later ones are ignored)",
                    pf->name, PROFILE_MAX_INBOUND_ELEMENTS);
            over = 1;
            ar[i].inbound = 0;
            continue;
        }
        elements += count;
        for (uint16_t k = 0; k < r.n_prefixes; k++)
            moat__prefix_builder_add(&pb, &r.cidrs[k], (uint16_t)i);
        for (uint16_t k = 0; k < r.n_subscriptions; k++) {
            uint32_t sid = intern_subscription(c, r.subscriptions[k]);
            if (sid == MOAT_ID_NONE)
                continue;
            pairs[np * 2] = sid;
            pairs[np * 2 + 1] = (uint32_t)i;
            np++;
        }
        if (r.n_service_tags && pf->first_tag_rule == MOAT_RULE_NONE)
            pf->first_tag_rule = (uint16_t)i;
        for (uint16_t k = 0; c->es->has_service_tags && k < r.n_service_tags;
             k++)
            moat__tags_add(c->ld, &c->tags, r.service_tags[k], (uint16_t)i,
                           &rules[i]->loc, &tb);
    }
    (void)loc;
    if (moat__prefix_build(&pb, &c->es->arena, &pf->prefixes) != MOAT_OK ||
        moat__prefix_build(&tb, &c->es->arena, &pf->tag_prefixes) != MOAT_OK)
        c->failed = 1;
    moat__prefix_builder_free(&pb);
    moat__prefix_builder_free(&tb);
    compile_profile_subscriptions(c, pf, pairs, np);
    free(pairs);
    pf->rules = ar;
    pf->n_rules = (uint16_t)n;
}

static void compile_profiles(compiler *c)
{
    moat_loader *ld = c->ld;
    size_t n = 0;
    for (raw_profile *p = ld->profiles; p; p = p->next)
        n++;
    c->es->profiles = xalloc(c, n * sizeof(profile));
    if (c->failed)
        return;
    raw_profile **chosen = calloc(n ? n : 1, sizeof *chosen);
    if (chosen == NULL) {
        c->failed = 1;
        return;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (raw_profile *p = ld->profiles; p; p = p->next) {
            if (p->synthetic != pass || p->id == NULL)
                continue;
            profile *prev =
                moat__index_get(&c->profile_by_id, p->id, strlen(p->id));
            if (prev) {
                if (!pass)
                    moat__diag_at(ld, &p->loc, MOAT_SEV_ERROR, MOAT_E_INVAL,
                                  "profile %s is defined twice", p->id);
                continue;
            }
            size_t i = c->es->n_profiles++;
            profile *pf = &c->es->profiles[i];
            chosen[i] = p;
            pf->id = xstr(c, p->id);
            pf->name = xstr(c, p->name);
            pf->perimeter = moat__index_get(&c->perim_by_id, p->perimeter_id,
                                            strlen(p->perimeter_id));
            if (pf->perimeter == NULL)
                moat__diag_at(
                    ld, &p->loc, MOAT_SEV_WARNING, MOAT_E_NOTFOUND,
                    "profile of perimeter %s, which the estate does not hold",
                    p->perimeter_id);
            if (!c->failed)
                put(c, &c->profile_by_id, pf->id, pf);
        }
    }
    /* Rules, grouped per chosen profile, in estate order. A synthetic
    ** profile's rules count only when that profile was chosen. */
    size_t nr = 0;
    for (raw_rule *r = ld->rules; r; r = r->next)
        nr++;
    raw_rule **group = malloc((nr ? nr : 1) * sizeof *group);
    if (group == NULL) {
        free(chosen);
        c->failed = 1;
        return;
    }
    for (size_t i = 0; i < c->es->n_profiles && !c->failed; i++) {
        profile *pf = &c->es->profiles[i];
        size_t k = 0;
        for (raw_rule *r = ld->rules; r; r = r->next) {
            if (r->synthetic != chosen[i]->synthetic || r->profile_id == NULL ||
                !moat__eq_ci_z(r->profile_id, pf->id))
                continue;
            group[k++] = r;
        }
        compile_profile_rules(c, pf, group, k, &chosen[i]->loc);
    }
    /* Rules whose profile is missing. */
    for (raw_rule *r = ld->rules; r; r = r->next) {
        if (!r->synthetic && moat__index_get(&c->profile_by_id, r->profile_id,
                                             strlen(r->profile_id)) == NULL)
            moat__diag_at(
                ld, &r->loc, MOAT_SEV_WARNING, MOAT_E_NOTFOUND,
                "access rule of profile %s, which the estate does not hold; ignored",
                r->profile_id);
    }
    free(group);
    free(chosen);
}

/*--------------------------------------------------------------------------
** Accounts and vaults.
*/
static int cmp_vnet_hash(const void *a, const void *b)
{
    const vnet_rule *x = *(const vnet_rule *const *)a;
    const vnet_rule *y = *(const vnet_rule *const *)b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void compile_ips(compiler *c, resource *r, const raw_res *raw)
{
    moat_prefix_builder pb;
    moat__prefix_builder_init(&pb);
    ip_rule *ip4 = xalloc(c, raw->ip4.n * sizeof *ip4);
    ip_rule *ip6 = xalloc(c, raw->ip6.n * sizeof *ip6);
    if (c->failed)
        return;
    /* Rule numbers: IPv4 rules are 0..n4-1, IPv6 rules n4.. */
    for (size_t i = 0; i < raw->ip4.n; i++) {
        ip4[i] = raw->ip4.v[i];
        ip4[i].text = xstr(c, raw->ip4.v[i].text);
        moat__prefix_builder_add(&pb, &ip4[i].cidr, (uint16_t)i);
    }
    for (size_t i = 0; i < raw->ip6.n; i++) {
        ip6[i] = raw->ip6.v[i];
        ip6[i].text = xstr(c, raw->ip6.v[i].text);
        moat__prefix_builder_add(&pb, &ip6[i].cidr, (uint16_t)(raw->ip4.n + i));
    }
    if (moat__prefix_build(&pb, &c->es->arena, &r->ips) != MOAT_OK)
        c->failed = 1;
    moat__prefix_builder_free(&pb);
    r->ip4 = ip4;
    r->n_ip4 = (uint16_t)raw->ip4.n;
    r->ip6 = ip6;
    r->n_ip6 = (uint16_t)raw->ip6.n;
}

static void compile_vnets(compiler *c, resource *r, const raw_res *raw)
{
    size_t n = raw->vnets.n;
    vnet_rule *rules = xalloc(c, n * sizeof *rules);
    const vnet_rule **active = malloc((n ? n : 1) * sizeof *active);
    if (c->failed || active == NULL) {
        free(active);
        c->failed = 1;
        return;
    }
    size_t na = 0;
    for (size_t i = 0; i < n; i++) {
        rules[i] = raw->vnets.v[i];
        rules[i].id = xstr(c, raw->vnets.v[i].id);
        /* decision.md section 4: state Succeeded or absent. */
        if (rules[i].state == VNET_SUCCEEDED || rules[i].state == VNET_ABSENT)
            active[na++] = &rules[i];
    }
    qsort(active, na, sizeof *active, cmp_vnet_hash);
    uint64_t *hashes = xalloc(c, na * sizeof *hashes);
    uint16_t *which = xalloc(c, na * sizeof *which);
    for (size_t i = 0; i < na && !c->failed; i++) {
        hashes[i] = active[i]->hash;
        which[i] = (uint16_t)(active[i] - rules);
    }
    free(active);
    r->vnets = rules;
    r->n_vnets = (uint16_t)n;
    r->vnet_hashes = hashes;
    r->vnet_which = which;
    r->n_vnet_active = (uint16_t)na;
}

/* Hash of the provider namespace and type segments of a resource id or
** pattern, for quick rejection; 0 when they are not literal. */
static uint64_t type_hash(const char *id)
{
    char type[512];
    size_t n = moat__arm_type_of(id, strlen(id), type, sizeof type);
    if (n == 0 || memchr(type, '*', n) != NULL)
        return 0;
    return moat__hash_ci(type, n);
}

static int cmp_hash_rule(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Literal rules go in a sorted hash index, so that a caller's id is found
** in O(log n); rules with '*' segments are kept apart, in rule order. */
static void index_rars(compiler *c, resource *r, const rar_rule *rars, size_t n)
{
    uint64_t *pairs = malloc((n ? n : 1) * 2 * sizeof *pairs);
    uint16_t *wild = xalloc(c, n * sizeof *wild);
    if (pairs == NULL || c->failed) {
        free(pairs);
        c->failed = 1;
        return;
    }
    size_t nl = 0, nw = 0;
    for (size_t i = 0; i < n; i++) {
        if (rars[i].wildcard) {
            wild[nw++] = (uint16_t)i;
        } else {
            pairs[nl * 2] =
                moat__hash_ci(rars[i].resource_id, strlen(rars[i].resource_id));
            pairs[nl * 2 + 1] = i;
            nl++;
        }
    }
    qsort(pairs, nl, 2 * sizeof *pairs, cmp_hash_rule);
    uint64_t *hashes = xalloc(c, nl * sizeof *hashes);
    uint16_t *which = xalloc(c, nl * sizeof *which);
    for (size_t i = 0; i < nl && !c->failed; i++) {
        hashes[i] = pairs[i * 2];
        which[i] = (uint16_t)pairs[i * 2 + 1];
    }
    free(pairs);
    r->rar_hashes = hashes;
    r->rar_which = which;
    r->n_rar_literal = (uint16_t)nl;
    r->rar_wild = wild;
    r->n_rar_wild = (uint16_t)nw;
}

static void compile_rars(compiler *c, resource *r, const raw_res *raw)
{
    rar_rule *rars = xalloc(c, raw->rars.n * sizeof *rars);
    if (c->failed)
        return;
    for (size_t i = 0; i < raw->rars.n; i++) {
        const raw_rar *in = &raw->rars.v[i];
        rar_rule *out = &rars[i];
        uint16_t *off = xalloc(c, in->seg.n * sizeof *off);
        uint16_t *len = xalloc(c, in->seg.n * sizeof *len);
        if (c->failed)
            return;
        memcpy(off, in->seg.off, in->seg.n * sizeof *off);
        memcpy(len, in->seg.len, in->seg.n * sizeof *len);
        out->seg_off = off;
        out->seg_len = len;
        out->nseg = in->seg.n;
        out->index = in->index;
        out->tenant_text = xstr(c, in->tenant_text);
        out->resource_id = xstr(c, in->resource_id);
        out->tenant = intern_id(c, out->tenant_text);
        out->type_hash = type_hash(out->resource_id);
        for (uint8_t k = 0; k < out->nseg; k++) {
            if (len[k] == 1 && out->resource_id[off[k]] == '*')
                out->wildcard = 1;
        }
    }
    index_rars(c, r, rars, raw->rars.n);
    r->rars = rars;
    r->n_rars = (uint16_t)raw->rars.n;
}

static void compile_pes(compiler *c, resource *r, const raw_res *raw)
{
    pe_conn *pes = xalloc(c, raw->pes.n * sizeof *pes);
    if (c->failed)
        return;
    for (size_t i = 0; i < raw->pes.n; i++) {
        pes[i] = raw->pes.v[i];
        pes[i].name = xstr(c, raw->pes.v[i].name);
        pes[i].pe_id = xstr(c, raw->pes.v[i].pe_id);
        pes[i].status_text = xstr(c, raw->pes.v[i].status_text);
    }
    r->pes = pes;
    r->n_pes = (uint16_t)raw->pes.n;
}

static void compile_rejects(compiler *c, resource *r, const raw_res *raw)
{
    rejected_rule *rj = xalloc(c, raw->rejects.n * sizeof *rj);
    if (c->failed)
        return;
    for (size_t i = 0; i < raw->rejects.n; i++) {
        rj[i] = raw->rejects.v[i];
        rj[i].value = xstr(c, raw->rejects.v[i].value);
        rj[i].message = xstr(c, raw->rejects.v[i].message);
    }
    r->rejects = rj;
    r->n_rejects = (uint16_t)raw->rejects.n;
}

static void resolve_tenant(compiler *c, resource *r, const raw_res *raw)
{
    r->tenant = MOAT_ID_NONE;
    if (raw->kind == RES_STORAGE) {
        char sub[128];
        if (moat__arm_subscription_of(raw->id, strlen(raw->id), sub,
                                      sizeof sub) == 0) {
            const char *t = moat__index_get(&c->sub_tenant, sub, strlen(sub));
            if (t) {
                r->tenant_text = xstr(c, t);
                r->tenant_source = "subscription";
            }
        }
    }
    if (r->tenant_text == NULL && raw->tenant) {
        r->tenant_text = xstr(c, raw->tenant);
        r->tenant_source = raw->tenant_source;
    }
    if (r->tenant_text)
        r->tenant = intern_id(c, r->tenant_text);
}

static void attach_children(compiler *c)
{
    moat_loader *ld = c->ld;
    for (raw_res *r = ld->res; r; r = r->next)
        put(c, &c->raw_by_id, r->id, r);
    for (raw_pe_child *ch = ld->pe_children; ch; ch = ch->next) {
        raw_res *r = moat__index_get(&c->raw_by_id, ch->target_id,
                                     strlen(ch->target_id));
        if (r == NULL) {
            if (!ch->conn.from_endpoint)
                moat__diag_at(
                    ld, &ch->loc, MOAT_SEV_WARNING, MOAT_E_NOTFOUND,
                    "private endpoint connection of %s, which the estate does not hold; ignored",
                    ch->target_id);
            continue;
        }
        /* The resource's own list is authoritative over what a private
        ** endpoint resource says about itself. */
        int known = 0;
        for (size_t i = 0; i < r->pes.n; i++) {
            if (r->pes.v[i].hash == ch->conn.hash &&
                moat__eq_ci_z(r->pes.v[i].pe_id, ch->conn.pe_id))
                known = 1;
        }
        if (known)
            continue;
        pe_conn *slot = VEC_PUSH(ld, r->pes);
        if (slot)
            *slot = ch->conn;
    }
}

static void compile_resources(compiler *c)
{
    moat_loader *ld = c->ld;
    size_t n = 0;
    for (raw_res *r = ld->res; r; r = r->next)
        n++;
    c->es->resources = xalloc(c, n * sizeof(resource));
    if (c->failed)
        return;
    for (raw_res *raw = ld->res; raw && !c->failed; raw = raw->next) {
        void *prev = NULL;
        resource *r = &c->es->resources[c->es->n_resources];
        r->id = xstr(c, raw->id);
        if (c->failed)
            return;
        int rc = moat__index_put(&c->es->by_id, r->id, strlen(r->id), r, &prev);
        if (rc < 0) {
            c->failed = 1;
            return;
        }
        if (rc == 1 && raw->synthetic_id) {
            /* Templates may declare the same name twice (conditions,
            ** copies): keep both, told apart by their position. */
            r->id = moat__arena_printf(&c->es->arena, "%s#%u", raw->id,
                                       (unsigned)c->es->n_resources + 1);
            if (r->id == NULL || moat__index_put(&c->es->by_id, r->id,
                                                 strlen(r->id), r, NULL) < 0) {
                c->failed = 1;
                return;
            }
        } else if (rc == 1) {
            const resource *p = prev;
            moat__diag_at(ld, &raw->loc, MOAT_SEV_ERROR, MOAT_E_INVAL,
                          "%s is defined twice (first in %s line %u)", raw->id,
                          p->file, p->line);
            continue;
        }
        c->es->n_resources++;
        r->kind = raw->kind;
        r->name = xstr(c, raw->name);
        r->location = xstr(c, raw->location);
        r->region = intern_region(c, raw->location);
        r->pna = raw->pna;
        r->pna_text = raw->pna_text;
        r->pna_basis = raw->pna_basis;
        r->acl_basis = raw->acl_basis;
        r->default_allow = raw->default_allow;
        r->default_basis = raw->default_basis;
        r->bypass = raw->bypass;
        r->bypass_basis = raw->bypass_basis;
        r->ip_basis = raw->ip_basis;
        r->vnet_basis = raw->vnet_basis;
        r->rar_basis = raw->rar_basis;
        r->pe_basis = raw->pe_basis;
        r->location_basis = raw->location_basis;
        r->synthetic_id = raw->synthetic_id;
        r->origin = raw->origin;
        r->address = xstr(c, raw->address);
        compile_rejects(c, r, raw);
        r->file = raw->loc.file ? xstr(c, raw->loc.file->name) : "";
        if (raw->loc.file) {
            unsigned col;
            moat__src_line_col(raw->loc.file, raw->loc.pos, &r->line, &col);
        }
        resolve_tenant(c, r, raw);
        compile_ips(c, r, raw);
        compile_vnets(c, r, raw);
        compile_rars(c, r, raw);
        compile_pes(c, r, raw);
    }
}

/* Names resolve when unique; a name several resources share points at
** moat__ambiguous_marker so that lookups can say so. */
static void index_names(compiler *c)
{
    moat_index *x = &c->es->by_name;
    for (size_t i = 0; i < c->es->n_resources && !c->failed; i++) {
        resource *r = &c->es->resources[i];
        int rc = moat__index_put(x, r->name, strlen(r->name), r, NULL);
        if (rc < 0)
            c->failed = 1;
        else if (rc == 1)
            *moat__index_ref(x, r->name, strlen(r->name)) =
                (void *)&moat__ambiguous_marker;
    }
}

/*--------------------------------------------------------------------------
** Associations and links.
*/
static int profile_listed(const char **names, size_t n, const profile *pf)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], "*") == 0 || moat__eq_ci_z(names[i], pf->name) ||
            moat__eq_ci_z(names[i], pf->id))
            return 1;
    }
    return 0;
}

static int cmp_join(const void *a, const void *b)
{
    const link_join *x = a, *y = b;
    if (x->guid != y->guid)
        return x->guid < y->guid ? -1 : 1;
    return x->link < y->link ? -1 : x->link > y->link;
}

static void compile_links(compiler *c)
{
    moat_loader *ld = c->ld;
    size_t n = 0;
    for (raw_link *l = ld->links; l; l = l->next)
        n++;
    c->es->links = xalloc(c, n * sizeof(nsp_link));
    if (c->failed)
        return;
    for (raw_link *l = ld->links; l; l = l->next) {
        nsp_link *k = &c->es->links[c->es->n_links++];
        k->id = xstr(c, l->id);
        k->name = xstr(c, l->name);
        k->local = moat__index_get(&c->perim_by_id, l->perimeter_id,
                                   strlen(l->perimeter_id));
        k->remote_id = xstr(c, l->remote_id);
        k->approved = l->approved;
        k->status_text = xstr(c, l->status);
        const perimeter *remote =
            l->remote_id ? moat__index_get(&c->perim_by_id, l->remote_id,
                                           strlen(l->remote_id))
                         : NULL;
        if (remote && remote->guid != MOAT_ID_NONE)
            k->remote_guid = remote->guid;
        else
            k->remote_guid = intern_id(c, l->remote_guid);
        if (k->approved && k->remote_guid == MOAT_ID_NONE)
            moat__diag_at(
                ld, &l->loc, MOAT_SEV_WARNING, MOAT_E_NOTFOUND,
                "link to %s, whose perimeter GUID the estate does not hold: it joins nothing",
                l->remote_id ? l->remote_id : "an unknown perimeter");
    }
}

/* Which caller perimeters reach association a through Approved links
** (decision.md section 7, "Perimeter links"). */
static void compile_joins(compiler *c, assoc *a)
{
    moat_loader *ld = c->ld;
    link_join *joins = xalloc(c, 2 * c->es->n_links * sizeof *joins);
    if (c->failed || a->perimeter == NULL || a->profile == NULL)
        return;
    size_t nj = 0, li = 0;
    for (raw_link *l = ld->links; l; l = l->next, li++) {
        const nsp_link *k = &c->es->links[li];
        if (!k->approved)
            continue;
        if (k->local == a->perimeter &&
            profile_listed(l->local_profiles, l->n_local, a->profile) &&
            k->remote_guid != MOAT_ID_NONE) {
            joins[nj].guid = k->remote_guid;
            joins[nj++].link = (uint16_t)li;
        }
        if (k->local && k->local->guid != MOAT_ID_NONE &&
            moat__same_id(k->remote_guid, a->perimeter->guid) &&
            profile_listed(l->remote_profiles, l->n_remote, a->profile)) {
            joins[nj].guid = k->local->guid;
            joins[nj++].link = (uint16_t)li;
        }
    }
    qsort(joins, nj, sizeof *joins, cmp_join);
    a->joins = joins;
    a->n_joins = (uint16_t)nj;
}

static void compile_assocs(compiler *c)
{
    moat_loader *ld = c->ld;
    size_t n = 0;
    for (raw_assoc *a = ld->assocs; a; a = a->next)
        n++;
    c->es->assocs = xalloc(c, n * sizeof(assoc));
    if (c->failed)
        return;
    for (int pass = 0; pass < 2; pass++) {
        for (raw_assoc *ra = ld->assocs; ra && !c->failed; ra = ra->next) {
            if (ra->synthetic != pass)
                continue;
            resource *r = moat__index_get(&c->es->by_id, ra->resource_id,
                                          strlen(ra->resource_id));
            if (r == NULL) {
                if (!pass)
                    moat__diag_at(
                        ld, &ra->loc, MOAT_SEV_WARNING, MOAT_E_NOTFOUND,
                        "association of %s, which the estate does not hold; ignored",
                        ra->resource_id);
                continue;
            }
            if (r->assoc) {
                if (!pass)
                    moat__diag_at(
                        ld, &ra->loc, MOAT_SEV_ERROR, MOAT_E_INVAL,
                        "%s has two perimeter associations (%s and %s); Azure allows one",
                        r->id, r->assoc->id, ra->id);
                else if (r->assoc->mode != ra->mode)
                    moat__diag_at(
                        ld, &ra->loc, MOAT_SEV_WARNING, MOAT_E_INVAL,
                        "the account's perimeter configuration says %s, the association %s says %s; the association is used",
                        ra->mode_text, r->assoc->id, r->assoc->mode_text);
                continue;
            }
            assoc *a = &c->es->assocs[c->es->n_assocs++];
            a->id = xstr(c, ra->id);
            a->name = xstr(c, ra->name);
            a->mode = ra->mode;
            a->mode_text = ra->mode_text;
            a->transition = ra->transition;
            a->synthetic = ra->synthetic;
            a->profile = moat__index_get(&c->profile_by_id, ra->profile_id,
                                         strlen(ra->profile_id));
            a->perimeter = moat__index_get(&c->perim_by_id, ra->perimeter_id,
                                           strlen(ra->perimeter_id));
            if (a->profile == NULL)
                moat__diag_at(
                    ld, &ra->loc, MOAT_SEV_WARNING, MOAT_E_NOTFOUND,
                    "profile %s is not in the estate: its access rules are unknown and none will match",
                    ra->profile_id);
            if (a->perimeter == NULL && a->profile)
                a->perimeter = a->profile->perimeter;
            compile_joins(c, a);
            r->assoc = a;
        }
    }
}

/*--------------------------------------------------------------------------
** Subnets.
*/
/* The pair of an interned region, interned (Azure's region pairs). */
static uint32_t paired_region(compiler *c, uint32_t region)
{
    if (region >= MOAT_ID_OTHER)
        return MOAT_ID_NONE;
    return intern_region(c, moat__region_pair_of(c->es->regions.keys[region]));
}

/* The VNets' regions by id. One VNet listed twice in two regions is an
** error: which region a subnet's service endpoint reaches would depend on
** which copy is read. */
static void index_vnet_regions(compiler *c)
{
    for (raw_vnet *v = c->ld->vnets; v && !c->failed; v = v->next) {
        if (v->location == NULL)
            continue;
        void *prev = NULL;
        int rc = moat__index_put(&c->vnet_loc, v->id, strlen(v->id), v, &prev);
        if (rc < 0)
            c->failed = 1;
        const raw_vnet *p = prev;
        if (rc == 1 &&
            intern_region(c, p->location) != intern_region(c, v->location))
            moat__diag_at(
                c->ld, &v->loc, MOAT_SEV_ERROR, MOAT_E_INVAL,
                "virtual network %s is defined twice, in %s and in %s: which region its subnets are in is not clear",
                v->id, p->location, v->location);
    }
}

/* The region of s's VNet: the copy read inside the VNet, else the VNet's
** own resource; NULL when unknown. */
static const char *vnet_location(compiler *c, const raw_subnet *s)
{
    if (s->vnet_location || s->vnet_id == NULL)
        return s->vnet_location;
    const raw_vnet *v =
        moat__index_get(&c->vnet_loc, s->vnet_id, strlen(s->vnet_id));
    return v ? v->location : NULL;
}

/* Two definitions of a subnet that moat reads alike: the same service
** endpoints (in order; names and locations ignoring case), VNet region and
** address ranges. */
static int same_subnet(compiler *c, const raw_subnet *a, const raw_subnet *b)
{
    if (a->n_endpoints != b->n_endpoints || a->n_prefixes != b->n_prefixes ||
        intern_region(c, vnet_location(c, a)) !=
            intern_region(c, vnet_location(c, b)))
        return 0;
    for (size_t i = 0; i < a->n_endpoints; i++) { /* in order: conservative */
        const raw_endpoint *x = &a->endpoints[i], *y = &b->endpoints[i];
        if (!moat__eq_ci_z(x->service, y->service) ||
            x->n_locations != y->n_locations)
            return 0;
        for (size_t k = 0; k < x->n_locations; k++) {
            if (!moat__eq_ci_z(x->locations[k], y->locations[k]))
                return 0;
        }
    }
    for (size_t i = 0; i < a->n_prefixes; i++) {
        const moat_cidr *x = &a->prefixes[i], *y = &b->prefixes[i];
        if (x->addr.family != y->addr.family || x->prefix != y->prefix ||
            moat__u128_cmp(x->addr.v, y->addr.v) != 0)
            return 0;
    }
    return 1;
}

/* Whether s repeats a subnet already read: the same definition again is a
** warning (a VNet's subnets and the subnets on their own), a different one
** an error in either mode, since neither reading is the stricter (a service
** endpoint turns IP rules off as it turns virtual network rules on). */
static int subnet_twice(compiler *c, const raw_subnet *s)
{
    void *prev = NULL;
    int rc = moat__index_put(&c->raw_subnets, s->id, strlen(s->id), (void *)s,
                             &prev);
    if (rc < 0)
        c->failed = 1;
    if (rc != 1)
        return rc < 0;
    const raw_subnet *p = prev;
    if (same_subnet(c, p, s)) {
        moat__diag_at(c->ld, &s->loc, MOAT_SEV_WARNING, MOAT_E_INVAL,
                      "subnet %s appears twice, alike; read once", s->id);
        return 1;
    }
    unsigned line = 0, col;
    if (p->loc.file)
        moat__src_line_col(p->loc.file, p->loc.pos, &line, &col);
    moat__diag_at(
        c->ld, &s->loc, MOAT_SEV_ERROR, MOAT_E_INVAL,
        "subnet %s is defined twice, differently (first in %s line %u): its service endpoints, region or address ranges are not clear",
        s->id, p->loc.file ? p->loc.file->name : "?", line);
    return 1;
}

/* s's service endpoints into si: which services, and the regions its
** Microsoft.Storage endpoint reaches (decision.md section 6). */
static void compile_endpoints(compiler *c, subnet_info *si, const raw_subnet *s)
{
    si->services = xalloc(c, s->n_endpoints * sizeof(char *));
    size_t nloc = 0;
    for (size_t i = 0; i < s->n_endpoints; i++)
        nloc += s->endpoints[i].n_locations;
    uint32_t *locs = xalloc(c, nloc * sizeof *locs);
    if (c->failed)
        return;
    for (size_t i = 0; i < s->n_endpoints; i++) {
        const raw_endpoint *ep = &s->endpoints[i];
        si->services[si->n_services++] = xstr(c, ep->service);
        if (moat__eq_ci_z(ep->service, "Microsoft.Storage")) {
            si->se_storage = 1;
            /* Without locations, Azure fills in the VNet's region and its
            ** pair (decision.md section 6). */
            if (ep->n_locations == 0)
                si->storage_pair = paired_region(c, si->vnet_region);
            for (size_t k = 0; k < ep->n_locations; k++) {
                if (strcmp(ep->locations[k], "*") == 0)
                    si->se_storage_any = 1;
                else
                    locs[si->n_storage_locations++] =
                        intern_region(c, ep->locations[k]);
            }
        } else if (moat__eq_ci_z(ep->service, "Microsoft.Storage.Global")) {
            si->se_storage_global = 1;
        } else if (moat__eq_ci_z(ep->service, "Microsoft.KeyVault")) {
            si->se_keyvault = 1;
        }
    }
    si->storage_locations = locs;
}

static void compile_subnets(compiler *c)
{
    index_vnet_regions(c);
    size_t n = 0;
    for (raw_subnet *s = c->ld->subnets; s; s = s->next)
        n++;
    c->es->subnets = xalloc(c, n * sizeof(subnet_info));
    for (raw_subnet *s = c->ld->subnets; s && !c->failed; s = s->next) {
        if (subnet_twice(c, s))
            continue;
        subnet_info *si = &c->es->subnets[c->es->n_subnets];
        si->id = xstr(c, s->id);
        if (c->failed || moat__index_put(&c->es->subnet_by_id, si->id,
                                         strlen(si->id), si, NULL) < 0) {
            c->failed = 1;
            return;
        }
        c->es->n_subnets++;
        si->hash = moat__hash_ci(s->id, strlen(s->id));
        si->vnet_region = intern_region(c, vnet_location(c, s));
        si->storage_pair = MOAT_ID_NONE;
        compile_endpoints(c, si, s);
    }
}

/* What the loader could not read, kept with the estate (its strings
** copied) for moat_estate_incomplete() and the audit. */
static void compile_incomplete(compiler *c)
{
    moat_loader *ld = c->ld;
    c->es->incomplete = xalloc(c, ld->incomplete.n * sizeof *c->es->incomplete);
    for (size_t i = 0; i < ld->incomplete.n && !c->failed; i++) {
        const moat_incomplete *g = &ld->incomplete.v[i];
        moat_incomplete *o = &c->es->incomplete[i];
        o->file = xstr(c, g->file);
        o->line = g->line;
        o->resource = xstr(c, g->resource);
        o->what = xstr(c, g->what);
        o->why = xstr(c, g->why);
    }
    if (!c->failed)
        c->es->n_incomplete = ld->incomplete.n;
}

size_t moat_estate_incomplete_count(const moat_estate *es)
{
    return es ? es->n_incomplete : 0;
}

const moat_incomplete *moat_estate_incomplete(const moat_estate *es, size_t i)
{
    return es && i < es->n_incomplete ? &es->incomplete[i] : NULL;
}

/*--------------------------------------------------------------------------
** Entry point.
*/
moat_status moat__compile(moat_loader *ld, moat_estate **out)
{
    moat_estate *es = calloc(1, sizeof *es);
    if (es == NULL)
        return MOAT_E_NOMEM;
    moat__arena_init(&es->arena, 0);
    moat__intern_init(&es->ids);
    moat__intern_init(&es->regions);
    moat__index_init(&es->by_id);
    moat__index_init(&es->by_name);
    moat__index_init(&es->subnet_by_id);
    compiler c;
    memset(&c, 0, sizeof c);
    c.ld = ld;
    c.es = es;
    moat__index_init(&c.raw_by_id);
    moat__index_init(&c.sub_tenant);
    moat__index_init(&c.perim_by_id);
    moat__index_init(&c.profile_by_id);
    moat__index_init(&c.vnet_loc);
    moat__index_init(&c.raw_subnets);
    es->has_service_tags = ld->n_tag_files > 0;
    if (moat__tags_index(ld, &c.tags) < 0)
        c.failed = 1;

    compile_subscriptions(&c);
    if (!c.failed)
        compile_perimeters(&c);
    if (!c.failed)
        compile_profiles(&c);
    if (!c.failed)
        attach_children(&c);
    if (!c.failed)
        compile_resources(&c);
    if (!c.failed)
        index_names(&c);
    if (!c.failed)
        compile_links(&c);
    if (!c.failed)
        compile_assocs(&c);
    if (!c.failed)
        compile_subnets(&c);
    if (!c.failed)
        compile_incomplete(&c);
    if (!c.failed && moat__compile_deps(ld, es) < 0)
        c.failed = 1;
    if (!c.failed && moat__compile_netmap(ld, es) < 0)
        c.failed = 1;
    if (!c.failed)
        moat__number_rules(es);
    static _Atomic uint64_t generations;
    es->generation = ++generations;

    moat__index_free(&c.raw_by_id);
    moat__index_free(&c.sub_tenant);
    moat__index_free(&c.perim_by_id);
    moat__index_free(&c.profile_by_id);
    moat__index_free(&c.vnet_loc);
    moat__index_free(&c.raw_subnets);
    moat__index_free(&c.tags);
    moat_status rc = MOAT_OK;
    if (c.failed || ld->oom)
        rc = MOAT_E_NOMEM;
    else if (ld->n_errors > 0)
        rc = MOAT_E_INVAL;
    if (rc != MOAT_OK) {
        moat_estate_free(es);
        return rc;
    }
    *out = es;
    return MOAT_OK;
}

void moat_estate_free(moat_estate *es)
{
    if (es == NULL)
        return;
    moat__intern_free(&es->ids);
    moat__intern_free(&es->regions);
    moat__index_free(&es->by_id);
    moat__index_free(&es->by_name);
    moat__index_free(&es->subnet_by_id);
    moat__netmap_free(&es->map);
    moat__arena_free(&es->arena);
    free(es);
}

const resource *moat__estate_find(const moat_estate *es, const char *s,
                                  size_t n, moat_status *status)
{
    const resource *r = moat__index_get(&es->by_id, s, n);
    if (r) {
        *status = MOAT_OK;
        return r;
    }
    r = moat__index_get(&es->by_name, s, n);
    if (r == (const resource *)&moat__ambiguous_marker) {
        *status = MOAT_E_AMBIGUOUS;
        return NULL;
    }
    *status = r ? MOAT_OK : MOAT_E_NOTFOUND;
    return r;
}

void moat_estate_stats_get(const moat_estate *es, moat_estate_stats *out)
{
    memset(out, 0, sizeof *out);
    if (es == NULL)
        return;
    for (size_t i = 0; i < es->n_resources; i++) {
        const resource *r = &es->resources[i];
        if (r->kind == RES_STORAGE)
            out->storage_accounts++;
        else
            out->key_vaults++;
        out->hot_bytes +=
            sizeof *r + moat__prefix_bytes(&r->ips) +
            r->n_vnet_active * (sizeof(uint64_t) + sizeof(uint16_t)) +
            r->n_rars * sizeof(rar_rule) +
            r->n_rar_literal * (sizeof(uint64_t) + sizeof(uint16_t)) +
            r->n_rar_wild * sizeof(uint16_t) + r->n_pes * sizeof(pe_conn);
    }
    for (size_t i = 0; i < es->n_profiles; i++) {
        const profile *p = &es->profiles[i];
        out->hot_bytes += sizeof *p + moat__prefix_bytes(&p->prefixes) +
                          moat__prefix_bytes(&p->tag_prefixes) +
                          p->n_subs * (sizeof(uint32_t) + sizeof(uint16_t));
    }
    for (size_t i = 0; i < es->n_assocs; i++)
        out->hot_bytes +=
            sizeof(assoc) + es->assocs[i].n_joins * sizeof(link_join);
    out->perimeters = es->n_perimeters;
    out->associations = es->n_assocs;
    out->subnets = es->n_subnets;
    out->subscriptions = es->n_subs;
}
