/*
** cells_sym.c - the procedure of decision.md section 4, run over boxes of
** atoms instead of one request.
**
** This is a second implementation of decide.c, written from the contract:
** every branch that looks at a request splits the box it is given by what
** the branch asks (moat__cells_split), and follows each part; a branch
** that returns makes a leaf with its outcome (moat__cells_leaf). The order
** of the branches, the categories and the deciding rules are decide's
** (section 4 and section 5); the unit tests compare every cell with
** moat_decide. Nothing here fails: out of memory, a split returns no group
** and the run stops (cctx.failed says why).
*/
#include "cells_int.h"

#include <string.h>

typedef struct sym {
    cctx *c;
    int k; /* the stage */
    side_feat *f;
    const resource *r;
    const assoc *a;
    int mode; /* this run's access mode, or -1 */
    int nsp;  /* Learning or Enforced: the perimeter decides first */
    int storage;
    unsigned warn0; /* tenant-unknown */
} sym;

/* A run's way through resource_rules: the Learning fallback relabels its
** outcome (section 4, step 4), and warnings gathered on the way. */
typedef struct way {
    int wrap;
    unsigned warn;
} way;

/* Keys of the enumerated dimensions. */
static const int32_t plane_key[2] = {0, 1}; /* control */
static const int32_t https_key[5] = {1, 0, 0, 0, 0};
static const int32_t oauth_key[4] = {1, 0, 0, 0};
static const int32_t read_key[4] = {1, 0, 0, 1}; /* read, list */
/* blob and dfs hold $logs, table $Metrics tables (section 4). */
static const int32_t endpoint_key[7] = {1, 1, 0, 0, 2, 0, 0};
static const int32_t target_key[3] = {0, 1, 2};

#define SPLIT(y, b, d, key, g)                                                 \
    const cgroup *g = NULL;                                                    \
    size_t n_##g = moat__cells_split((y)->c, d, (b)->s[d], key, &g)

static cbox with(const cbox *b, int d, const uint64_t *set)
{
    cbox x = *b;
    x.s[d] = set;
    return x;
}

/* For each group i of g: child is b with dimension d narrowed to it
** (`continue` goes to the next group). */
#define EACH(g, i, b, d, child)                                                \
    for (size_t i = 0; i < n_##g; i++)                                         \
        for (cbox child = with(b, d, g[i].set), *child##_ = &child;          \
             child##_; child##_ = NULL)

static void leaf(const sym *y, const cbox *b, int allowed, moat_category cat,
                 uint32_t rule, unsigned warn)
{
    coutcome o = {(uint8_t)allowed, (uint8_t)cat,
                  (uint16_t)(y->warn0 | warn), rule};
    moat__cells_leaf(y->c, y->k, b, o);
}

/* A leaf of resource_rules: the Learning fallback is labelled
** NspPublicInboundResourceRules*, with the rule kept (section 4, step 4). */
static void rr_leaf(const sym *y, const cbox *b, way w, int allowed,
                    moat_category cat, uint32_t rule)
{
    if (w.wrap)
        cat = allowed ? MOAT_CAT_NSP_PUBLIC_INBOUND_RESOURCE_RULES_ALLOWED
                      : MOAT_CAT_NSP_PUBLIC_INBOUND_RESOURCE_RULES_DENIED;
    leaf(y, b, allowed, cat, rule, w.warn);
}

/*--------------------------------------------------------------------------
** resource_rules(R, Q, pna): the firewall, then the exceptions.
*/
/* Last: nothing admitted. */
static void rr_final(const sym *y, const cbox *b, way w)
{
    if (y->r->pna == PNA_DISABLED)
        rr_leaf(y, b, w, 0, MOAT_CAT_RES_PUBLIC_NETWORK_ACCESS_DISABLED,
                MOAT_RULE_REF(RK_PNA, 0));
    else
        rr_leaf(y, b, w, 0, MOAT_CAT_RES_DEFAULT_ACTION_DENY,
                MOAT_RULE_REF(RK_DEFAULT_ACTION, 0));
}

/* Storage's Logging and Metrics exceptions: reads (read, list) of $logs
** from blob or dfs, of a $Metrics table from table. */
static void rr_bypass(const sym *y, const cbox *b, way w)
{
    unsigned by = y->r->bypass;
    if (!y->storage || !(by & (BYPASS_LOGGING | BYPASS_METRICS))) {
        rr_final(y, b, w);
        return;
    }
    SPLIT(y, b, D_OP, read_key, op);
    EACH(op, i, b, D_OP, ob)
    {
        if (!op[i].key) {
            rr_final(y, &ob, w);
            continue;
        }
        SPLIT(y, &ob, D_ENDPOINT, endpoint_key, ep);
        EACH(ep, j, &ob, D_ENDPOINT, eb)
        {
            int logs = ep[j].key == 1 && (by & BYPASS_LOGGING);
            int metrics = ep[j].key == 2 && (by & BYPASS_METRICS);
            if (!logs && !metrics) {
                rr_final(y, &eb, w);
                continue;
            }
            SPLIT(y, &eb, D_TARGET, target_key, tg);
            EACH(tg, t, &eb, D_TARGET, tb)
            {
                if (logs && tg[t].key == 0)
                    rr_leaf(y, &tb, w, 1, MOAT_CAT_RES_BYPASS_LOGGING,
                            MOAT_RULE_REF(RK_BYPASS_LOGGING, 0));
                else if (metrics && tg[t].key == 1)
                    rr_leaf(y, &tb, w, 1, MOAT_CAT_RES_BYPASS_METRICS,
                            MOAT_RULE_REF(RK_BYPASS_METRICS, 0));
                else
                    rr_final(y, &tb, w);
            }
        }
    }
}

/* The catalog row in force for each time atom among rows class k. */
static const int32_t *trust_key(cctx *c, uint32_t k)
{
    cdomain *d = &c->dom;
    if (d->trust_key == NULL)
        d->trust_key = moat__cells_alloc(c, (d->n_rows_class + 1) *
                                                sizeof *d->trust_key);
    if (d->trust_key == NULL || d->trust_key[k])
        return d->trust_key ? d->trust_key[k] : NULL;
    int32_t *key = moat__cells_keys(c, d->n[D_TIME], CKEY_NONE);
    const rows_list *rl = &d->rows_class[k];
    for (uint32_t t = 0; key && t < d->n[D_TIME]; t++) {
        int64_t at = d->time[t].lo;
        for (uint8_t i = 0; i < rl->n && key[t] < 0; i++) {
            const catalog_row *row = &moat__catalog_rows[rl->row[i]];
            if (row->since <= at && at < row->until)
                key[t] = rl->row[i];
        }
    }
    return d->trust_key[k] = key;
}

/* trusted(R, Q) with the caller's rows fixed (rows class k): the row in
** force at the request's time admits. */
static void rr_trusted_rows(const sym *y, const cbox *b, way w, uint32_t k)
{
    if (y->c->dom.rows_class[k].n == 0) {
        rr_bypass(y, b, w);
        return;
    }
    SPLIT(y, b, D_TIME, trust_key(y->c, k), tm);
    EACH(tm, i, b, D_TIME, tb)
    {
        if (tm[i].key >= 0)
            rr_leaf(y, &tb, w, 1, MOAT_CAT_RES_TRUSTED_SERVICE,
                    MOAT_RULE_REF(RK_TRUSTED, (uint16_t)tm[i].key));
        else
            rr_bypass(y, &tb, w);
    }
}

static void class_keys(cctx *c)
{
    cdomain *d = &c->dom;
    d->service_key = moat__cells_keys(c, d->n[D_SERVICE], CKEY_NONE);
    d->caller_key = moat__cells_keys(c, d->n[D_CALLER], CKEY_NONE);
    for (uint32_t i = 1; d->service_key && i < d->n[D_SERVICE]; i++)
        d->service_key[i] = (int32_t)d->service_class[i];
    for (uint32_t i = 0; d->caller_key && i < d->n[D_CALLER]; i++)
        d->caller_key[i] = (int32_t)d->caller_class[i];
}

/* The caller is named by caller.service when set, else by the type of
** caller.resource_id (section 7). */
static void rr_trusted_name(const sym *y, const cbox *b, way w)
{
    cdomain *d = &y->c->dom;
    if (d->service_key == NULL)
        class_keys(y->c);
    SPLIT(y, b, D_SERVICE, d->service_key, sv);
    EACH(sv, i, b, D_SERVICE, sb)
    {
        if (sv[i].key >= 0) {
            rr_trusted_rows(y, &sb, w, (uint32_t)sv[i].key);
            continue;
        }
        SPLIT(y, &sb, D_CALLER, d->caller_key, cl);
        EACH(cl, j, &sb, D_CALLER, cb)
        rr_trusted_rows(y, &cb, w, (uint32_t)cl[j].key);
    }
}

/* AzureServices in bypass and trusted(R, Q): OAuth, and the caller's
** tenant is the resource's (known) tenant. */
static void rr_trusted(const sym *y, const cbox *b, way w)
{
    if (!(y->r->bypass & BYPASS_AZURE_SERVICES) ||
        y->r->tenant == MOAT_ID_NONE) {
        rr_bypass(y, b, w);
        return;
    }
    SPLIT(y, b, D_AUTH, oauth_key, au);
    EACH(au, i, b, D_AUTH, ab)
    {
        if (!au[i].key) {
            rr_bypass(y, &ab, w);
            continue;
        }
        SPLIT(y, &ab, D_TENANT, y->f->tenant_is_res, tn);
        EACH(tn, j, &ab, D_TENANT, tb)
        {
            if (tn[j].key)
                rr_trusted_name(y, &tb, w);
            else
                rr_bypass(y, &tb, w);
        }
    }
}

/* Per time atom: 1 when it is before until class u's end. */
static const int32_t *until_key(cctx *c, uint32_t u)
{
    cdomain *d = &c->dom;
    if (d->until_key == NULL)
        d->until_key =
            moat__cells_alloc(c, (d->n_until + 1) * sizeof *d->until_key);
    if (d->until_key == NULL || d->until_key[u])
        return d->until_key ? d->until_key[u] : NULL;
    int32_t *key = moat__cells_keys(c, d->n[D_TIME], 0);
    for (uint32_t t = 0; key && t < d->n[D_TIME]; t++)
        key[t] = d->time[t].lo < d->until_value[u];
    return d->until_key[u] = key;
}

/* Per caller atom: the lowest resource instance rule of tenant atom t
** whose pattern it matches, with its end class (rule * n_until + class),
** or -1 (decide's rar_match: the rule's tenant is the caller's). */
static const int32_t *rar_key(cctx *c, side_feat *f, uint32_t t)
{
    cdomain *d = &c->dom;
    if (f->rar_key == NULL)
        f->rar_key = moat__cells_alloc(c, d->n[D_TENANT] * sizeof *f->rar_key);
    if (f->rar_key == NULL || f->rar_key[t])
        return f->rar_key ? f->rar_key[t] : NULL;
    int32_t *key = moat__cells_keys(c, d->n[D_CALLER], CKEY_NONE);
    /* the lowest rule of tenant t with each pattern */
    int32_t *first = moat__cells_keys(c, d->n_pattern + 1, CKEY_NONE);
    for (uint16_t i = f->r->n_rars; first && i-- > 0;) {
        if (f->rule_tenant[i] == t && f->rule_pattern[i] < d->n_pattern)
            first[f->rule_pattern[i]] = i; /* (an empty id has none) */
    }
    for (uint32_t a = 0; key && first && a < d->n[D_CALLER]; a++) {
        const caller_atom *x = &d->caller[a];
        int32_t best = CKEY_NONE;
        for (uint16_t m = 0; m < x->n_match; m++) {
            int32_t i = first[x->match[m]];
            if (i >= 0 && (best < 0 || i < best))
                best = i;
        }
        if (best >= 0)
            key[a] = best * (int32_t)d->n_until + x->until_class;
    }
    return f->rar_key[t] = key;
}

/* Per tenant atom: itself when resource instance rules may admit it (an
** Entra caller of the account's tenant, or, the tenant unknown, of any
** tenant the estate knows: section 4), else -1. */
static int32_t *eligible_key(const sym *y)
{
    cctx *c = y->c;
    uint32_t n = c->dom.n[D_TENANT];
    int32_t *key = moat__cells_keys(c, n, CKEY_NONE);
    for (uint32_t t = 0; key && t < n; t++) {
        if (y->f->tenant_known[t] &&
            (y->r->tenant == MOAT_ID_NONE || y->f->tenant_is_res[t]))
            key[t] = (int32_t)t;
    }
    return key;
}

/* A matching rule admits while its type's instance access lasts (the
** catalog's managed-identity `until`). */
static void rr_rar_rule(const sym *y, const cbox *b, way w, int32_t key)
{
    cdomain *d = &y->c->dom;
    uint32_t u = (uint32_t)key % d->n_until;
    uint32_t rule = MOAT_RULE_REF(RK_RAR, (uint16_t)(key / (int32_t)d->n_until));
    if (d->until_value[u] == INT64_MAX) {
        rr_leaf(y, b, w, 1, MOAT_CAT_RES_RESOURCE_INSTANCE_RULE, rule);
        return;
    }
    SPLIT(y, b, D_TIME, until_key(y->c, u), tm);
    EACH(tm, i, b, D_TIME, tb)
    {
        if (tm[i].key)
            rr_leaf(y, &tb, w, 1, MOAT_CAT_RES_RESOURCE_INSTANCE_RULE, rule);
        else
            rr_trusted(y, &tb, w);
    }
}

/* Storage's resource instance rules (section 4 and section 7: only
** instances of the account's own tenant). */
static void rr_instances(const sym *y, const cbox *b, way w)
{
    if (!y->storage || y->r->n_rars == 0) {
        rr_trusted(y, b, w);
        return;
    }
    SPLIT(y, b, D_AUTH, oauth_key, au);
    EACH(au, i, b, D_AUTH, ab)
    {
        if (!au[i].key) {
            rr_trusted(y, &ab, w);
            continue;
        }
        if (y->f->eligible == NULL)
            y->f->eligible = eligible_key(y);
        SPLIT(y, &ab, D_TENANT, y->f->eligible, tn);
        EACH(tn, j, &ab, D_TENANT, tb)
        {
            if (tn[j].key < 0) {
                rr_trusted(y, &tb, w);
                continue;
            }
            SPLIT(y, &tb, D_CALLER, rar_key(y->c, y->f, (uint32_t)tn[j].key),
                  cl);
            EACH(cl, m, &tb, D_CALLER, cb)
            {
                if (cl[m].key >= 0)
                    rr_rar_rule(y, &cb, w, cl[m].key);
                else
                    rr_trusted(y, &cb, w);
            }
        }
    }
}

/* IP rules: on the public path, not exempt by region (storage), the
** lowest rule holding the address (ipRules, then ipv6Rules). */
static void rr_ip(const sym *y, const cbox *b, way w)
{
    SPLIT(y, b, D_IP, y->f->ip_key, ip);
    EACH(ip, i, b, D_IP, ib)
    {
        int32_t k = ip[i].key;
        if (k < 0) {
            rr_instances(y, &ib, w);
            continue;
        }
        int v6 = k >= y->r->n_ip4;
        rr_leaf(y, &ib, w, 1, MOAT_CAT_RES_IP_RULE,
                MOAT_RULE_REF(v6 ? RK_IP6 : RK_IP4,
                              (uint16_t)(v6 ? k - y->r->n_ip4 : k)));
    }
}

/* The firewall (publicNetworkAccess not Disabled): the default action,
** virtual network rules through a service endpoint (section 6), IP rules
** on the public path. */
static void rr_firewall(const sym *y, const cbox *b, way w)
{
    const resource *r = y->r;
    if (r->default_allow) {
        rr_leaf(y, b, w, 1, MOAT_CAT_RES_DEFAULT_ACTION_ALLOW,
                MOAT_RULE_REF(r->acl_basis == BASIS_DEFAULT ? RK_NO_ACLS
                                                            : RK_DEFAULT_ACTION,
                              0));
        return;
    }
    SPLIT(y, b, D_PATH, y->f->fw_key, pa);
    EACH(pa, i, b, D_PATH, pb)
    {
        if (pa[i].key >= 0) {
            rr_leaf(y, &pb, w, 1, MOAT_CAT_RES_VIRTUAL_NETWORK_RULE,
                    MOAT_RULE_REF(RK_VNET, (uint16_t)pa[i].key));
            continue;
        }
        if (pa[i].key == CKEY_NONE) { /* a service endpoint, no rule */
            rr_instances(y, &pb, w);
            continue;
        }
        if (!y->storage) {
            rr_ip(y, &pb, w);
            continue;
        }
        SPLIT(y, &pb, D_REGION, y->f->same_region, rg);
        EACH(rg, j, &pb, D_REGION, rb)
        {
            if (rg[j].key) /* same region: IP rules have no effect */
                rr_instances(y, &rb, w);
            else
                rr_ip(y, &rb, w);
        }
    }
}

static void resource_rules(const sym *y, const cbox *b, way w)
{
    if (y->r->pna != PNA_DISABLED)
        rr_firewall(y, b, w);
    else
        rr_instances(y, b, w);
}

/*--------------------------------------------------------------------------
** perimeter_inbound(A, Q), and what follows when it does not admit.
*/
static void after_perimeter(const sym *y, const cbox *b, unsigned warn)
{
    if (y->mode == MODE_ENFORCED || y->r->pna == PNA_SECURED_BY_PERIMETER) {
        leaf(y, b, 0, MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_DENIED,
             MOAT_RULE_REF(RK_NSP_PROFILE, 0), warn);
        return;
    }
    way w = {1, warn}; /* Learning falls back to the resource's rules */
    resource_rules(y, b, w);
}

/* The lowest inbound rule known: a service-tag rule before it was
** consulted and cannot match (section 7): storage never matches one, a
** vault without the service-tag file cannot. */
static void perim_best(const sym *y, const cbox *b, int32_t best)
{
    const profile *pf = y->f->pf;
    unsigned warn = 0;
    uint16_t at = best < 0 ? MOAT_RULE_NONE : (uint16_t)best;
    if (pf->first_tag_rule != MOAT_RULE_NONE && pf->first_tag_rule < at) {
        if (y->storage)
            warn = MOAT_WARN_SERVICE_TAGS_UNSUPPORTED;
        else if (!y->f->es->has_service_tags)
            warn = MOAT_WARN_SERVICE_TAGS_UNKNOWN;
    }
    if (best >= 0)
        leaf(y, b, 1, MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_ALLOWED,
             MOAT_RULE_REF(RK_NSP_RULE, (uint16_t)best), warn);
    else
        after_perimeter(y, b, warn);
}

static int32_t lower(int32_t a, int32_t b)
{
    return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* Subscription rules: an Entra caller's subscription. */
static void perim_subs(const sym *y, const cbox *b, int oauth, int32_t addr)
{
    if (!oauth || y->f->pf->n_subs == 0) {
        perim_best(y, b, addr);
        return;
    }
    SPLIT(y, b, D_SUBSCRIPTION, y->f->sub_key, sb);
    EACH(sb, i, b, D_SUBSCRIPTION, bb)
    perim_best(y, &bb, lower(addr, sb[i].key));
}

/* Address rules (and a vault's service tags): on the public path with an
** address, not exempt by region. */
static void perim_addr(const sym *y, const cbox *b, int oauth, int use)
{
    if (!use) {
        perim_subs(y, b, oauth, CKEY_NONE);
        return;
    }
    SPLIT(y, b, D_IP, y->f->perim_key, ip);
    EACH(ip, i, b, D_IP, ib)
    perim_subs(y, &ib, oauth, ip[i].key);
}

static void perim_rules(const sym *y, const cbox *b, int oauth)
{
    if (y->f->pf == NULL) { /* the profile is not in the estate */
        after_perimeter(y, b, 0);
        return;
    }
    SPLIT(y, b, D_PATH, y->f->se_key, pa);
    EACH(pa, i, b, D_PATH, pb)
    {
        if (pa[i].key || !y->storage) {
            perim_addr(y, &pb, oauth, !pa[i].key);
            continue;
        }
        SPLIT(y, &pb, D_REGION, y->f->same_region, rg);
        EACH(rg, j, &pb, D_REGION, rb)
        perim_addr(y, &rb, oauth, !rg[j].key);
    }
}

/* Intra- and cross-perimeter access need an Entra token. */
static void perimeter_inbound(const sym *y, const cbox *b)
{
    SPLIT(y, b, D_AUTH, oauth_key, au);
    EACH(au, i, b, D_AUTH, ab)
    {
        if (!au[i].key) {
            perim_rules(y, &ab, 0);
            continue;
        }
        SPLIT(y, &ab, D_PERIMETERS, y->f->perim_sig, pe);
        EACH(pe, j, &ab, D_PERIMETERS, eb)
        {
            int32_t s = pe[j].key;
            if (s == PSIG_INTRA)
                leaf(y, &eb, 1, MOAT_CAT_NSP_INTRA_PERIMETER_INBOUND_ALLOWED,
                     MOAT_RULE_REF(RK_INTRA, 0), 0);
            else if (s >= PSIG_LINK)
                leaf(y, &eb, 1, MOAT_CAT_NSP_CROSS_PERIMETER_INBOUND_ALLOWED,
                     MOAT_RULE_REF(RK_LINK, (uint16_t)(s - PSIG_LINK)), 0);
            else
                perim_rules(y, &eb, 1);
        }
    }
}

/*--------------------------------------------------------------------------
** decide(R, Q).
*/
/* Steps 2 to 5, for requests not through a private endpoint. */
static void public_steps(const sym *y, const cbox *b)
{
    const resource *r = y->r;
    if (r->pna == PNA_SECURED_BY_PERIMETER && y->a == NULL) {
        leaf(y, b, 0, MOAT_CAT_RES_PERIMETER_LOCKDOWN, MOAT_RULE_REF(RK_PNA, 0),
             0);
        return;
    }
    if (!y->nsp) {
        way w = {0, 0};
        resource_rules(y, b, w);
        return;
    }
    if (!y->storage) {
        perimeter_inbound(y, b);
        return;
    }
    /* A storage account under a perimeter speaks HTTPS only. */
    SPLIT(y, b, D_PROTOCOL, https_key, pr);
    EACH(pr, i, b, D_PROTOCOL, pb)
    {
        if (pr[i].key)
            perimeter_inbound(y, &pb);
        else
            leaf(y, &pb, 0, MOAT_CAT_RES_PROTOCOL_NOT_SUPPORTED_BY_PERIMETER,
                 MOAT_RULE_REF(RK_ASSOC, 0), 0);
    }
}

/* Step 1: private link first, subject to neither publicNetworkAccess nor
** a perimeter; an endpoint without an Approved connection is refused. */
static void private_link(const sym *y, const cbox *b)
{
    SPLIT(y, b, D_PATH, y->f->pe_key, pa);
    EACH(pa, i, b, D_PATH, pb)
    {
        int32_t k = pa[i].key;
        if (k >= y->r->n_pes) /* no connection from that endpoint */
            k = MOAT_RULE_NONE;
        if (k < 0) {
            public_steps(y, &pb);
        } else if (k != MOAT_RULE_NONE &&
                   y->r->pes[k].status == PE_APPROVED) {
            leaf(y, &pb, 1,
                 y->nsp ? MOAT_CAT_NSP_PRIVATE_INBOUND_ALLOWED
                        : MOAT_CAT_RES_PRIVATE_ENDPOINT,
                 MOAT_RULE_REF(RK_PE, (uint16_t)k), 0);
        } else {
            leaf(y, &pb, 0, MOAT_CAT_RES_PRIVATE_ENDPOINT_NOT_APPROVED,
                 MOAT_RULE_REF(RK_PE, (uint16_t)k), 0);
        }
    }
}

/* A side without the resource: nothing is admitted (a diff's added or
** removed resource). */
static void absent(const sym *y, const cbox *b)
{
    leaf(y, b, 0, MOAT_CAT_NONE, MOAT_RULE_REF(RK_NONE, 0), 0);
}

void moat__cells_run(cctx *c, int k, const cbox *b)
{
    const cstage *st = &c->stage[k];
    side_feat *f = &c->dom.side[st->side];
    sym y = {c, k, f, f->r, f->r ? f->r->assoc : NULL, st->mode, 0, 0, 0};
    if (f->r == NULL) {
        absent(&y, b);
        return;
    }
    y.nsp = y.mode == MODE_LEARNING || y.mode == MODE_ENFORCED;
    y.storage = f->r->kind == RES_STORAGE;
    y.warn0 = f->r->tenant == MOAT_ID_NONE ? MOAT_WARN_TENANT_UNKNOWN : 0;
    SPLIT(&y, b, D_PLANE, plane_key, pl);
    EACH(pl, i, b, D_PLANE, pb)
    {
        if (pl[i].key) /* control plane: not filtered */
            leaf(&y, &pb, 1, MOAT_CAT_RES_CONTROL_PLANE_NOT_FILTERED, 0, 0);
        else
            private_link(&y, &pb);
    }
}
