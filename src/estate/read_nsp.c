/*
** read_nsp.c - network security perimeters: perimeters, profiles, access
** rules, resource associations, links and link references; and a storage
** account's own view of its perimeter (networkSecurityPerimeter-
** Configurations), which carries the same information in one object.
**
** Children name their parent through their id (".../profiles/p" belongs to
** the perimeter before "/profiles/"); compile.c joins them.
*/
#include "load.h"

#include <string.h>

static const enum_entry mode_names[] = {
    {"Learning", MODE_LEARNING},
    {"Enforced", MODE_ENFORCED},
    {"Audit", MODE_AUDIT},
    {"Transition", MODE_LEARNING}, /* the portal's name for Learning */
};

static const enum_entry direction_names[] = {{"Inbound", 1}, {"Outbound", 0}};

static const char *id_or_name(rctx *c, const json_value *res)
{
    const json_value *v;
    if (moat__get_str(c, res, "id", &v) > 0 && v->len)
        return moat__dup(c, v);
    return NULL;
}

static const char *name_of(rctx *c, const json_value *res, const char *id)
{
    const json_value *v;
    if (moat__get_str(c, res, "name", &v) > 0 && v->len)
        return moat__dup(c, v);
    const char *s = id ? strrchr(id, '/') : NULL;
    return s ? s + 1 : (id ? id : "");
}

static const char *parent_id(rctx *c, const char *id, const char *child)
{
    size_t n = moat__arm_parent_len(id, strlen(id), child);
    return n ? moat__dupn(c->ld, id, n) : NULL;
}

/* A child resource must have an id that names its parent. */
static const char *require_parent(rctx *c, const char *id, const char *child,
                                  const char *what)
{
    const char *p = id ? parent_id(c, id, child) : NULL;
    if (p == NULL)
        moat__diag(
            c, MOAT_SEV_ERROR, MOAT_E_INVAL, NULL,
            "%s needs an \"id\" of the form .../networkSecurityPerimeters/<name>/%s/<name>",
            what, child);
    return p;
}

/* The association's accessMode. Transition, the documents' new name for
** Learning (decision.md section 7), is Learning, remembered for text. */
static int read_mode(rctx *c, const json_value *obj, raw_assoc *a)
{
    const json_value *v;
    const char **text = &a->mode_text;
    int rc = moat__get_setting(c, obj, "accessMode", &v);
    int m = MODE_LEARNING;
    *text = "Learning";
    if (rc > 0 && moat__is_expression(v)) {
        m = MODE_ENFORCED; /* unknown: decide as the strictest mode */
        *text = "unknown";
    } else if (rc > 0) {
        if (moat__enum_lookup(mode_names, MOAT_ARRAY_LEN(mode_names), v->str,
                              &m)) {
            *text = mode_names[m == MODE_LEARNING ? 0 : m].name;
            a->transition = moat__eq_ci_z(v->str, "Transition");
        } else {
            moat__invalid(
                c, v,
                "\"%s\" is not a valid access mode: expected Learning, Enforced, Audit (or Transition)",
                v->str);
            m = MODE_ENFORCED; /* fail closed */
            *text = "Enforced";
        }
    }
    a->mode = (access_mode)m;
    return rc >= 0;
}

void moat__read_perimeter(rctx *c, const json_value *res,
                          const json_value *props)
{
    raw_perimeter *p = moat__arena_zalloc(&c->ld->arena, sizeof *p);
    if (p == NULL) {
        moat__oom(c->ld);
        return;
    }
    p->id = id_or_name(c, res);
    if (p->id == NULL) {
        moat__diag(c, MOAT_SEV_ERROR, MOAT_E_INVAL, NULL,
                   "perimeter without an \"id\"");
        return;
    }
    p->name = name_of(c, res, p->id);
    const json_value *v;
    if (moat__get_str(c, props, "perimeterGuid", &v) > 0 && v->len)
        p->guid = moat__dup(c, v);
    if (moat__get_str(c, res, "location", &v) > 0)
        p->location = moat__dup(c, v);
    p->loc = moat__loc(c, NULL);
    APPEND(c->ld, perims, p);
}

void moat__read_profile(rctx *c, const json_value *res, const json_value *props)
{
    (void)props;
    raw_profile *p = moat__arena_zalloc(&c->ld->arena, sizeof *p);
    if (p == NULL) {
        moat__oom(c->ld);
        return;
    }
    p->id = id_or_name(c, res);
    p->perimeter_id = require_parent(c, p->id, "profiles", "a profile");
    if (p->perimeter_id == NULL)
        return;
    p->name = name_of(c, res, p->id);
    p->loc = moat__loc(c, NULL);
    APPEND(c->ld, profiles, p);
}

/* A template's rule whose direction, addresses, subscriptions or service
** tags are expressions admits what moat cannot say: the most restrictive
** reading (nothing) would understate a perimeter's exposure, so the rule
** is not read and the estate is incomplete. 1 when it is one. */
static int rule_unknown(rctx *c, const json_value *props)
{
    static const char *const keys[] = {"direction", "addressPrefixes",
                                       "subscriptions", "serviceTags"};
    for (size_t i = 0; i < MOAT_ARRAY_LEN(keys); i++) {
        const json_value *v = moat__json_get(props, keys[i]);
        const json_value *x = moat__is_expression(v) ? v : NULL;
        for (const json_value *e = v && v->type == JSON_ARRAY ? v->child : NULL;
             e && x == NULL; e = e->next)
            if (moat__is_expression(e))
                x = e;
        if (x) {
            moat__incomplete(c, v, "a perimeter access rule",
                             "its %s %s %s, so what it admits is unknown",
                             keys[i], x == v ? "is" : "holds", x->str);
            return 1;
        }
    }
    return 0;
}

int moat__read_rule_props(rctx *c, const json_value *props, access_rule *r)
{
    if (rule_unknown(c, props))
        return 0;
    int inbound = 1;
    const json_value *dir;
    if (moat__get_setting(c, props, "direction", &dir) > 0 &&
        moat__is_expression(dir)) {
        inbound = 0; /* unknown: admits nothing inbound, the strictest */
    } else if (dir &&
               !moat__enum_lookup(direction_names, 2, dir->str, &inbound)) {
        moat__invalid(
            c, dir,
            "\"%s\" is not a valid direction: expected Inbound or Outbound",
            dir->str);
        inbound = 0; /* an unknown direction admits nothing inbound */
    }
    r->inbound = inbound;
    uint16_t n;
    const char **prefixes = moat__read_strings(c, props, "addressPrefixes", &n);
    r->cidrs =
        n ? moat__arena_alloc(&c->ld->arena, n * sizeof *r->cidrs) : NULL;
    r->prefixes = prefixes;
    r->n_prefixes = 0;
    const json_value *list = moat__json_get(props, "addressPrefixes");
    for (uint16_t i = 0; i < n && r->cidrs; i++) {
        moat_cidr cidr;
        const char *s = prefixes[i];
        if (moat__cidr_parse(s, strlen(s), &cidr) != 0) {
            size_t mark = moat__rctx_push_key(c, list);
            moat__rctx_push_index(c, i);
            moat__invalid(c, NULL,
                          "\"%s\" is not an IPv4 or IPv6 address or CIDR range",
                          s);
            moat__rctx_pop(c, mark);
            continue;
        }
        prefixes[r->n_prefixes] = s;
        r->cidrs[r->n_prefixes++] = cidr;
    }
    r->subscriptions =
        moat__read_strings(c, props, "subscriptions", &r->n_subscriptions);
    r->service_tags =
        moat__read_strings(c, props, "serviceTags", &r->n_service_tags);
    /* Outbound elements: counted, never matched inbound (an expression
    ** is one unknown element). */
    static const char *const outbound[] = {"fullyQualifiedDomainNames",
                                           "emailAddresses", "phoneNumbers"};
    for (size_t i = 0; i < MOAT_ARRAY_LEN(outbound); i++) {
        uint16_t k = 1;
        if (!moat__is_expression(moat__json_get(props, outbound[i])))
            moat__read_strings(c, props, outbound[i], &k);
        r->n_other = (uint16_t)(r->n_other + k);
    }
    return 1;
}

void moat__read_access_rule(rctx *c, const json_value *res,
                            const json_value *props)
{
    raw_rule *r = moat__arena_zalloc(&c->ld->arena, sizeof *r);
    if (r == NULL) {
        moat__oom(c->ld);
        return;
    }
    r->rule.id = id_or_name(c, res);
    r->profile_id =
        require_parent(c, r->rule.id, "accessRules", "an access rule");
    if (r->profile_id == NULL)
        return;
    r->rule.name = name_of(c, res, r->rule.id);
    if (!moat__read_rule_props(c, props, &r->rule))
        return;
    r->loc = moat__loc(c, NULL);
    APPEND(c->ld, rules, r);
}

static const char *ref_id(rctx *c, const json_value *props, const char *name)
{
    const json_value *obj, *id;
    if (moat__get_obj(c, props, name, &obj) <= 0)
        return NULL;
    size_t mark = moat__rctx_push_key(c, obj);
    const char *out = NULL;
    if (moat__get_str(c, obj, "id", &id) > 0 && id->len)
        out = moat__dup(c, id);
    moat__rctx_pop(c, mark);
    return out;
}

void moat__read_association(rctx *c, const json_value *res,
                            const json_value *props)
{
    raw_assoc *a = moat__arena_zalloc(&c->ld->arena, sizeof *a);
    if (a == NULL) {
        moat__oom(c->ld);
        return;
    }
    a->id = id_or_name(c, res);
    a->perimeter_id = require_parent(c, a->id, "resourceAssociations",
                                     "a resource association");
    if (a->perimeter_id == NULL)
        return;
    a->name = name_of(c, res, a->id);
    a->resource_id = ref_id(c, props, "privateLinkResource");
    a->profile_id = ref_id(c, props, "profile");
    if (a->resource_id == NULL || a->profile_id == NULL) {
        moat__diag(
            c, MOAT_SEV_ERROR, MOAT_E_INVAL, NULL,
            "association needs properties.privateLinkResource.id and properties.profile.id");
        return;
    }
    /* A template's expression moat cannot turn into an id: which resource
    ** joins which profile is unknown, and leaving it out would leave that
    ** resource outside its perimeter without a word. */
    const char *unknown = a->resource_id[0] == '['  ? a->resource_id
                          : a->profile_id[0] == '[' ? a->profile_id
                                                    : NULL;
    if (unknown) {
        moat__incomplete(
            c, NULL, "a perimeter association",
            "it names %s, which moat cannot name, so which resource joins which profile is unknown",
            unknown);
        return;
    }
    if (!read_mode(c, props, a))
        return;
    a->loc = moat__loc(c, NULL);
    APPEND(c->ld, assocs, a);
}

void moat__read_link(rctx *c, const json_value *res, const json_value *props)
{
    raw_link *l = moat__arena_zalloc(&c->ld->arena, sizeof *l);
    if (l == NULL) {
        moat__oom(c->ld);
        return;
    }
    l->id = id_or_name(c, res);
    const char *p = l->id ? parent_id(c, l->id, "links") : NULL;
    if (p == NULL && l->id)
        p = parent_id(c, l->id, "linkReferences");
    if (p == NULL) {
        moat__diag(
            c, MOAT_SEV_ERROR, MOAT_E_INVAL, NULL,
            "a link needs an \"id\" of the form .../networkSecurityPerimeters/<name>/links/<name>");
        return;
    }
    l->perimeter_id = p;
    l->name = name_of(c, res, l->id);
    static const char *const remote_keys[] = {
        "remotePerimeterResourceId", "autoApprovedRemotePerimeterResourceId",
        "manualApprovedRemotePerimeterResourceId"};
    for (size_t i = 0; i < MOAT_ARRAY_LEN(remote_keys) && !l->remote_id; i++) {
        const json_value *v;
        if (moat__get_str(c, props, remote_keys[i], &v) > 0 && v->len)
            l->remote_id = moat__dup(c, v);
    }
    const json_value *v;
    if (moat__get_str(c, props, "remotePerimeterGuid", &v) > 0 && v->len)
        l->remote_guid = moat__dup(c, v);
    uint16_t n;
    l->local_profiles =
        moat__read_strings(c, props, "localInboundProfiles", &n);
    l->n_local = n;
    l->remote_profiles =
        moat__read_strings(c, props, "remoteInboundProfiles", &n);
    l->n_remote = n;
    /* decision.md section 7: a link without status is not Approved. */
    if (moat__get_str(c, props, "status", &v) > 0) {
        l->status = moat__dup(c, v);
        l->approved = moat__eq_ci_z(v->str, "Approved");
    } else {
        l->status = "none";
    }
    l->loc = moat__loc(c, NULL);
    APPEND(c->ld, links, l);
}

/* The access rules of a perimeter configuration's profile prof (one rule
** element: ARM nesting or flattened), as rules of profile pr. Out of
** memory it marks the loader (moat__oom) and stops. */
static void read_config_rules(rctx *c, const json_value *prof,
                              const raw_profile *pr)
{
    moat_loader *ld = c->ld;
    const json_value *rules, *v;
    if (moat__get_arr(c, prof, "accessRules", &rules) <= 0)
        return;
    size_t mark = moat__rctx_push_key(c, rules);
    size_t i = 0;
    for (const json_value *e = rules->child; e && !ld->oom; e = e->next, i++) {
        size_t m2 = moat__rctx_push_index(c, i);
        raw_rule *r = moat__arena_zalloc(&ld->arena, sizeof *r);
        if (r == NULL) {
            moat__oom(ld);
            break;
        }
        const char *rname = "";
        if (moat__get_str(c, e, "name", &v) > 0)
            rname = moat__dup(c, v);
        r->rule.name = rname;
        r->rule.id = moat__arena_printf(&ld->arena, "%s/accessRules/%s",
                                        pr->id ? pr->id : "", rname);
        r->profile_id = pr->id;
        r->synthetic = 1;
        props_mark saved;
        int keep =
            moat__read_rule_props(c, moat__props_enter(c, e, &saved), &r->rule);
        moat__props_leave(c, &saved);
        r->loc = moat__loc(c, e);
        if (keep)
            APPEND(ld, rules, r);
        moat__rctx_pop(c, m2);
    }
    moat__rctx_pop(c, mark);
}

/* The perimeter of a configuration (its networkSecurityPerimeter object
** nsp) into p; 0 after an error when it has no id. */
static int read_config_perimeter(rctx *c, const json_value *nsp,
                                 raw_perimeter *p)
{
    const json_value *v;
    size_t mark = moat__rctx_push_key(c, nsp);
    if (moat__get_str(c, nsp, "id", &v) > 0 && v->len)
        p->id = moat__dup(c, v);
    if (moat__get_str(c, nsp, "perimeterGuid", &v) > 0 && v->len)
        p->guid = moat__dup(c, v);
    if (moat__get_str(c, nsp, "location", &v) > 0)
        p->location = moat__dup(c, v);
    moat__rctx_pop(c, mark);
    if (p->id == NULL) {
        moat__diag(
            c, MOAT_SEV_ERROR, MOAT_E_INVAL, nsp,
            "no perimeter id: the configuration cannot be read, and leaving it out would leave the account outside its perimeter");
        return 0;
    }
    p->name = strrchr(p->id, '/') ? strrchr(p->id, '/') + 1 : p->id;
    p->synthetic = 1;
    p->loc = moat__loc(c, nsp);
    return 1;
}

/* The association of a configuration (its resourceAssociation object ra)
** of account to profile pr into a; 0 after an error. */
static int read_config_association(rctx *c, const json_value *ra,
                                   const char *account, const raw_profile *pr,
                                   raw_assoc *a)
{
    const json_value *v;
    size_t mark = moat__rctx_push_key(c, ra);
    const char *aname = "association";
    if (moat__get_str(c, ra, "name", &v) > 0 && v->len)
        aname = moat__dup(c, v);
    a->name = aname;
    a->id = moat__arena_printf(&c->ld->arena, "%s/resourceAssociations/%s",
                               pr->perimeter_id, aname);
    a->perimeter_id = pr->perimeter_id;
    a->resource_id = account;
    a->profile_id = pr->id;
    a->synthetic = 1;
    int ok = read_mode(c, ra, a);
    a->loc = moat__loc(c, ra);
    moat__rctx_pop(c, mark);
    if (pr->id == NULL || a->id == NULL)
        moat__oom(c->ld);
    return ok && !c->ld->oom;
}

/* Microsoft.Storage/storageAccounts/networkSecurityPerimeterConfigurations:
** the perimeter, profile (with its rules) and association that apply to one
** account, as the account sees them. They stand in for the Microsoft.Network
** resources when those are not in the estate (compile.c prefers the
** latter). One that cannot be read is an error in either mode: left out, it
** would leave the account outside an Enforced perimeter. */
void moat__read_nsp_configuration(rctx *c, const json_value *res,
                                  const json_value *props)
{
    moat_loader *ld = c->ld;
    const char *id = id_or_name(c, res);
    const char *account =
        id ? parent_id(c, id, "networkSecurityPerimeterConfigurations") : NULL;
    const json_value *nsp = NULL, *ra = NULL, *prof = NULL, *v;
    if (account == NULL ||
        moat__get_obj(c, props, "networkSecurityPerimeter", &nsp) <= 0 ||
        moat__get_obj(c, props, "resourceAssociation", &ra) <= 0 ||
        moat__get_obj(c, props, "profile", &prof) <= 0) {
        moat__diag(
            c, MOAT_SEV_ERROR, MOAT_E_INVAL, NULL,
            "a perimeter configuration needs the account in its \"id\", and networkSecurityPerimeter, resourceAssociation and profile objects; without them it cannot be read, and leaving it out would leave the account outside its perimeter");
        return;
    }
    raw_perimeter *p = moat__arena_zalloc(&ld->arena, sizeof *p);
    raw_profile *pr = moat__arena_zalloc(&ld->arena, sizeof *pr);
    raw_assoc *a = moat__arena_zalloc(&ld->arena, sizeof *a);
    if (p == NULL || pr == NULL || a == NULL) {
        moat__oom(ld);
        return;
    }
    if (!read_config_perimeter(c, nsp, p))
        return;
    size_t mark = moat__rctx_push_key(c, prof);
    const char *pname = "default";
    if (moat__get_str(c, prof, "name", &v) > 0 && v->len)
        pname = moat__dup(c, v);
    pr->name = pname;
    pr->perimeter_id = p->id;
    pr->id = moat__arena_printf(&ld->arena, "%s/profiles/%s", p->id, pname);
    pr->synthetic = 1;
    pr->loc = moat__loc(c, prof);
    read_config_rules(c, prof, pr);
    moat__rctx_pop(c, mark);
    if (!read_config_association(c, ra, account, pr, a))
        return;
    APPEND(ld, perims, p);
    APPEND(ld, profiles, pr);
    APPEND(ld, assocs, a);
}
