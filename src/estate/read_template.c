/*
** read_template.c - ARM templates as Azure Resource Manager deploys them.
**
** A template's resources are read by the same readers as ARM resources,
** after the template reader has made each into the resource it becomes:
** an id built from its type and name (templates have none; an expression
** segment is kept as "[...]"), the parameters its deployment passes
** substituted (tpl_expr.c), property copy loops unrolled, and references
** written resourceId(...) turned into the same ids, so that a private
** endpoint or a perimeter association finds the account it names.
**
**   resources            an array, or (languageVersion 2.0, "Template
**                        syntax: languageVersion 2.0") an object keyed by
**                        symbolic name; "existing": true is a reference,
**                        not a declaration
**   child resources      "resources" inside a resource: type and name
**                        relative to the parent
**   nested deployments   Microsoft.Resources/deployments with an inline
**                        properties.template, at any depth, in outer scope
**                        (the parent's parameters) or inner scope (what
**                        properties.parameters passes: literal values are
**                        values, expressions stay unknown); Blueprint
**                        artifacts of kind "template" likewise
**   linked templates     templateLink: not fetched, reported incomplete
**   copy, condition      a literal count is unrolled; a literal false
**                        condition is not deployed; otherwise read once,
**                        with a warning
**
** ("Nested templates", "Linked templates", "Resource iteration", "Property
** iteration", "Conditional deployment" in learn.microsoft.com/azure/
** azure-resource-manager/templates.) Values stay unknown whenever they
** are not literal: nothing is evaluated or guessed.
*/
#include "load.h"

#include <stdlib.h>
#include <string.h>

#define MAX_COPIES 800      /* ARM's limit on a copy loop */
#define MAX_INSTANCES 20000 /* resources one file expands to */
#define MAX_DEPLOYMENT_DEPTH 32
/* What a file may expand to: 64 MiB and 16 bytes per byte read. */
#define BUDGET_BYTES (64u << 20)
#define BUDGET_PER_BYTE 16u

/* One resource declaration as it will be read. */
typedef struct decl {
    tpl_kind kind;
    const char *id;
    const char *key; /* accounts: type and name path, target left out */
    json_value *res; /* what the readers read (shared by copies) */
    const json_value *src;
    struct decl *same; /* the next with this key (accounts) or id */
    struct decl *next;
} decl;

/* Where a template's resources are declared. */
typedef struct where {
    const tpl_scope *scope;  /* where its expressions are evaluated */
    const char *eval_target; /* the deployment resourceId() refers to */
    const char *target;      /* the deployment its resources go to */
    const char *via;         /* "" or " (in deployment x)" for messages */
    int depth;
} where;

typedef struct tpl {
    moat_loader *ld;
    const src_file *f;
    rctx c;
    decl *decls, **tail;
    moat_index first; /* key (accounts) or id -> its first declaration */
    size_t instances;
    size_t byte_budget; /* the loader's arena may grow to this */
    int budget_said;
} tpl;

/* The loader's arena: everything built here lives as long as it. */
static moat_arena *arena(tpl *t)
{
    return &t->ld->arena;
}

/* A label for diagnostics about src: its name as written. */
static void label(tpl *t, const json_value *src, const char *id)
{
    const json_value *n = moat__json_get(src, "name");
    t->c.res = id ? id : n && n->type == JSON_STRING ? n->str : "";
    t->c.pos = src->pos;
    moat__rctx_pop(&t->c, 0);
}

/*--------------------------------------------------------------------------
** Values: a template's JSON with the scope's parameters substituted.
*/
static json_value *value_of(tpl *t, const where *w, const json_value *v,
                            const char *key, int in_props);

/* Members whose expressions are ids: resourceId(...) becomes the id the
** declared resource gets. */
static int id_key(const char *key)
{
    static const char *const keys[] = {
        "id", "privateLinkServiceId", "virtualNetworkResourceId",
        "remotePerimeterResourceId",
        /* dependency edges (read_deps.c) */
        "storageAccountId", "storageId", "storageAccountResourceId",
        "virtualNetworkSubnetId", "userAssignedIdentity"};
    for (size_t i = 0; key && i < MOAT_ARRAY_LEN(keys); i++) {
        if (moat__eq_ci_z(key, keys[i]))
            return 1;
    }
    return 0;
}

/* A string: as written, or its expression substituted (a literal, an id,
** or the canonical expression text); NULL when out of memory. */
static json_value *string_of(tpl *t, const where *w, const json_value *v,
                             const char *key, int in_props)
{
    tpl_expr *e = moat__is_expression(v)
                      ? moat__tpl_parse(arena(t), v->str, v->len)
                      : NULL;
    if (e == NULL)
        return moat__jt_clone(t->ld, v);
    const char *p = moat__tpl_reference(e, "parameters");
    const json_value *passed = p ? moat__tpl_passed(w->scope, p) : NULL;
    if (passed && passed->type != JSON_STRING && passed->type != JSON_NUMBER) {
        /* An object, array or boolean passed in, written in the outer
        ** scope: its own expressions are the outer scope's. */
        where outer = *w;
        outer.scope = w->scope->outer;
        outer.eval_target = w->scope->outer ? w->scope->outer->target : "";
        json_value *r = value_of(t, &outer, passed, key, in_props);
        if (r)
            r->pos = v->pos;
        return r;
    }
    tpl_expr *x = moat__tpl_subst(arena(t), w->scope, e);
    const char *text = NULL, *id = NULL;
    size_t n = 0;
    int lit = x ? moat__tpl_literal(x, &text, &n) : 0;
    if (x && !lit && id_key(key))
        id = moat__tpl_id(arena(t), w->eval_target,
                          moat__tpl_deref(arena(t), w->scope, x));
    if (x && !lit)
        text = id ? id : moat__tpl_text(arena(t), x);
    json_value *r = text ? moat__jt_str(t->ld, text, v->pos) : NULL;
    if (r == NULL)
        moat__oom(t->ld);
    else if (lit) {
        r->type = lit == 2 ? JSON_NUMBER : JSON_STRING;
        r->str = moat__dupn(t->ld, text, n);
        r->len = (uint32_t)n;
    }
    return r;
}

/* A copy count: a literal number (after substitution), else -1. */
static long literal_count(tpl *t, const where *w, const json_value *count)
{
    json_value *v = count ? string_of(t, w, count, NULL, 0) : NULL;
    if (count && count->type == JSON_NUMBER)
        v = (json_value *)(uintptr_t)count;
    if (v == NULL || v->type != JSON_NUMBER || v->str[0] == '-' ||
        strchr(v->str, '.') || strchr(v->str, 'e') || strchr(v->str, 'E') ||
        v->len > 6)
        return -1;
    return strtol(v->str, NULL, 10);
}

/* Property iteration: "copy": [{"name", "count", "input"}] inside an
** object of properties becomes the member name, an array of count inputs;
** a count that is not literal makes that member unknown. */
static void property_copies(tpl *t, const where *w, json_value *obj,
                            const json_value *copies)
{
    for (const json_value *c = copies->child; c; c = c->next) {
        const json_value *name = moat__json_get(c, "name");
        const json_value *input = moat__json_get(c, "input");
        if (c->type != JSON_OBJECT || name == NULL ||
            name->type != JSON_STRING || input == NULL)
            continue;
        long n = literal_count(t, w, moat__json_get(c, "count"));
        json_value *list;
        if (n < 0 || n > MAX_COPIES) {
            list = moat__jt_str(
                t->ld,
                moat__arena_printf(arena(t),
                                   "[copy of %s: the count is not literal]",
                                   name->str),
                c->pos);
        } else {
            list = moat__jt_new(t->ld, JSON_ARRAY, c->pos);
            for (long i = 0; i < n && list; i++)
                moat__jt_push(list, value_of(t, w, input, name->str, 1));
        }
        moat__jt_put(obj, name->str, list);
        if (list)
            list->key_pos = name->pos;
    }
}

/* A copy of v (key: its member name, or its array's) with the scope's
** parameters substituted in every string, and inside properties
** (in_props) property copy loops unrolled; NULL when out of memory. */
static json_value *value_of(tpl *t, const where *w, const json_value *v,
                            const char *key, int in_props)
{
    if (v->type == JSON_STRING)
        return string_of(t, w, v, key, in_props);
    json_value *r = moat__jt_clone(t->ld, v);
    if (r == NULL || (v->type != JSON_OBJECT && v->type != JSON_ARRAY))
        return r;
    r->child = NULL;
    r->len = 0;
    json_value **tail = &r->child; /* appended here: linear in the size */
    for (const json_value *m = v->child; m; m = m->next) {
        if (in_props && v->type == JSON_OBJECT &&
            moat__eq_ci_z(m->key, "copy") && m->type == JSON_ARRAY) {
            property_copies(t, w, r, m);
            while (*tail)
                tail = &(*tail)->next;
            continue;
        }
        json_value *x = value_of(t, w, m, m->key ? m->key : key, in_props);
        if (x == NULL)
            return NULL;
        x->key = m->key;
        x->key_len = m->key_len;
        x->key_pos = m->key_pos;
        x->next = NULL;
        *tail = x;
        tail = &x->next;
        r->len++;
    }
    return r;
}

/*--------------------------------------------------------------------------
** Resources.
*/

/* A name's value (literal, or an expression's text) as one id segment. */
static const char *segment(tpl *t, const json_value *name)
{
    tpl_expr *e = moat__is_expression(name)
                      ? moat__tpl_parse(arena(t), name->str, name->len)
                      : NULL;
    return moat__tpl_name_path(arena(t), name->str, e);
}

/* A VNet's subnets, which templates write without ids: each gets its
** VNet's id and its name. Subnets that are one expression are unknown:
** left out with a warning (they only say which subnets have service
** endpoints). */
static void subnet_ids(tpl *t, json_value *props, const char *vnet_id)
{
    json_value **at = &props->child;
    for (; *at; at = &(*at)->next) {
        if (moat__eq_ci_z((*at)->key, "subnets"))
            break;
    }
    json_value *list = *at;
    if (list && list->type == JSON_STRING) {
        moat__diag(
            &t->c, MOAT_SEV_WARNING, MOAT_E_INVAL, list,
            "the subnets are an expression: their service endpoints are unknown to moat and left out");
        *at = list->next;
        props->len--;
        return;
    }
    for (json_value *s = list && list->type == JSON_ARRAY ? list->child : NULL;
         s; s = s->next) {
        const json_value *name = moat__json_get(s, "name");
        if (s->type != JSON_OBJECT || moat__json_get(s, "id") || name == NULL ||
            name->type != JSON_STRING)
            continue;
        const char *seg = segment(t, name);
        moat__jt_put(
            s, "id",
            moat__jt_str(t->ld,
                         seg ? moat__arena_printf(arena(t), "%s/subnets/%s",
                                                  vnet_id, seg)
                             : NULL,
                         s->pos));
    }
}

/* The resource to read: id, type, name, location and properties with the
** scope's parameters substituted. NULL when out of memory. */
static json_value *build(tpl *t, const where *w, const json_value *src,
                         const char *type, const char *id, tpl_kind kind)
{
    json_value *res = moat__jt_new(t->ld, JSON_OBJECT, src->pos);
    moat__jt_put(res, "id", moat__jt_str(t->ld, id, src->pos));
    moat__jt_put(res, "type", moat__jt_str(t->ld, type, src->pos));
    static const char *const keys[] = {"name", "location", "properties"};
    for (size_t i = 0; res && i < MOAT_ARRAY_LEN(keys); i++) {
        const json_value *m = moat__member(&t->c, src, keys[i], NULL);
        if (m == NULL)
            continue;
        json_value *v = value_of(t, w, m, keys[i], i == 2);
        if (v == NULL)
            return NULL;
        moat__jt_put(res, keys[i], v);
        v->key_pos = m->key_pos;
        if (i == 2 && kind == TK_VNET && v->type == JSON_OBJECT)
            subnet_ids(t, v, id);
    }
    return res;
}

/* Records a declaration to read, linked to the earlier ones with its key
** (accounts) or id; out of memory it marks the loader. */
static void add_decl(tpl *t, tpl_kind kind, const char *id, const char *key,
                     json_value *res, const json_value *src)
{
    decl *d = moat__arena_zalloc(arena(t), sizeof *d);
    const char *k = kind == TK_ACCOUNT ? key : id;
    void *first = NULL;
    if (d == NULL || res == NULL || k == NULL ||
        moat__index_put(&t->first, k, strlen(k), d, &first) < 0) {
        moat__oom(t->ld);
        return;
    }
    d->kind = kind;
    d->id = id;
    d->key = key;
    d->res = res;
    d->src = src;
    *t->tail = d;
    t->tail = &d->next;
    for (decl *e = first; e; e = e->same) {
        if (e->same == NULL) {
            e->same = d;
            break;
        }
    }
}

/* How many copies of src are deployed: 1 without "copy", 0 under a
** literal false condition or count 0, the literal count, or 1 (read once
** for every copy) when the count is not literal; with a warning when it
** matters (a resource moat reads). */
static long instances(tpl *t, const where *w, const json_value *src,
                      int matters)
{
    const json_value *cond = moat__member(&t->c, src, "condition", NULL);
    if (cond && cond->type == JSON_FALSE)
        return 0;
    if (cond && cond->type == JSON_STRING) {
        json_value *v = string_of(t, w, cond, NULL, 0);
        tpl_expr *e = v ? moat__tpl_parse(arena(t), v->str, v->len) : NULL;
        int truth = v && !moat__is_expression(v)
                        ? moat__eq_ci_z(v->str, "false") ? 0 : 1
                        : moat__tpl_truth(e);
        if (truth == 0)
            return 0;
        if (truth < 0 && matters)
            moat__diag(&t->c, MOAT_SEV_WARNING, MOAT_E_INVAL, cond,
                       "deployed only when %s: audited as if it is%s",
                       v ? v->str : cond->str, w->via);
    }
    const json_value *copy = moat__member(&t->c, src, "copy", NULL);
    if (copy == NULL)
        return 1;
    const json_value *count =
        copy->type == JSON_OBJECT ? moat__json_get(copy, "count") : NULL;
    long n = literal_count(t, w, count);
    if (n >= 0 && n <= MAX_COPIES)
        return n;
    if (matters)
        moat__diag(
            &t->c, MOAT_SEV_WARNING, MOAT_E_INVAL, copy,
            "a copy loop whose count is %s: read once for every copy, whose settings are this one declaration's%s",
            count && count->type == JSON_STRING ? count->str
                                                : "not a literal number",
            w->via);
    return 1;
}

/* Counts what one file expands to; past MAX_INSTANCES resources, or when
** the loader's memory passes the file's budget, the rest is not read, and
** said so once. 1 while there is room. */
static int room(tpl *t, const json_value *src, long n)
{
    t->instances += (size_t)n;
    if (t->instances <= MAX_INSTANCES && t->ld->arena.total <= t->byte_budget)
        return 1;
    if (!t->budget_said)
        moat__incomplete(
            &t->c, src, "the rest of this template",
            "it expands to more than %d resources or %zu MiB (copy loops inside copy loops)",
            MAX_INSTANCES, t->byte_budget >> 20);
    t->budget_said = 1;
    return 0;
}

/*--------------------------------------------------------------------------
** Walking a template and its nested deployments.
*/
/* Every resource of a template (an array, or an object keyed by symbolic
** name); resources of any other shape are incomplete. */
static void walk_template(tpl *t, const where *w, const json_value *tmpl);

/* A deployment's target, from its subscriptionId and resourceGroup
** (literal or expression segments), as the prefix of its resources' ids;
** w's when it names neither. */
static const char *target_of(tpl *t, const where *w, const json_value *src)
{
    const json_value *sub = moat__member(&t->c, src, "subscriptionId", NULL);
    const json_value *rg = moat__member(&t->c, src, "resourceGroup", NULL);
    if ((sub == NULL || sub->type != JSON_STRING) &&
        (rg == NULL || rg->type != JSON_STRING))
        return w->target;
    json_value *s =
        sub && sub->type == JSON_STRING ? value_of(t, w, sub, NULL, 0) : NULL;
    json_value *g =
        rg && rg->type == JSON_STRING ? value_of(t, w, rg, NULL, 0) : NULL;
    return moat__arena_printf(
        arena(t), "/subscriptions/%s/resourceGroups/%s/providers/",
        s ? segment(t, s) : "[subscription().subscriptionId]",
        g ? segment(t, g) : "[resourceGroup().name]");
}

/* The template a nested deployment (or a Blueprint artifact) holds inline,
** or NULL after saying why it is not read (incomplete). */
static const json_value *inline_template(tpl *t, const json_value *props,
                                         const char *name)
{
    const char *what =
        moat__arena_printf(arena(t), "nested deployment %s", name ? name : "");
    const json_value *link = moat__member(&t->c, props, "templateLink", NULL);
    const json_value *tmpl = moat__member(&t->c, props, "template", NULL);
    if (link) {
        const json_value *uri = NULL;
        static const char *const keys[] = {"uri", "relativePath", "id"};
        for (size_t i = 0; link->type == JSON_OBJECT && !uri && i < 3; i++)
            uri = moat__json_get(link, keys[i]);
        moat__incomplete(
            &t->c, link, what,
            "its template is linked (templateLink %s), and moat does not fetch linked templates: audit that template on its own",
            uri && uri->type == JSON_STRING ? uri->str : "");
        return NULL;
    }
    if (tmpl && tmpl->type == JSON_OBJECT)
        return tmpl;
    moat__incomplete(&t->c, tmpl ? tmpl : props, what,
                     "its template is %s, not an object moat can read",
                     tmpl == NULL ? "absent"
                     : tmpl->type == JSON_STRING
                         ? tmpl->str
                         : moat__json_type_name(tmpl->type));
    return NULL;
}

/* Microsoft.Resources/deployments (inner: its own expressionEvaluation-
** Options) or a Blueprint template artifact (always inner): its template
** read where it deploys, in the scope its expressions are evaluated. */
static void deployment(tpl *t, const where *w, const json_value *src,
                       const char *name, int artifact)
{
    const json_value *props = moat__member(&t->c, src, "properties", NULL);
    const char *what =
        moat__arena_printf(arena(t), "nested deployment %s", name);
    if (w->depth >= MAX_DEPLOYMENT_DEPTH) {
        moat__incomplete(&t->c, src, what, "deployments nested deeper than %d",
                         MAX_DEPLOYMENT_DEPTH);
        return;
    }
    if (props == NULL || props->type != JSON_OBJECT) {
        moat__incomplete(&t->c, props ? props : src, what,
                         "its properties are %s, not an object moat can read",
                         props && props->type == JSON_STRING ? props->str
                                                             : "absent");
        return;
    }
    const json_value *tmpl = inline_template(t, props, name);
    if (tmpl == NULL)
        return;
    const json_value *opts =
        moat__member(&t->c, props, "expressionEvaluationOptions", NULL);
    const json_value *sc = opts && opts->type == JSON_OBJECT
                               ? moat__json_get(opts, "scope")
                               : NULL;
    int inner = artifact || (sc && sc->type == JSON_STRING &&
                             moat__eq_ci_z(sc->str, "inner"));
    where in = *w;
    in.depth = w->depth + 1;
    in.target = artifact ? w->target : target_of(t, w, src);
    in.via = moat__arena_printf(arena(t), " (in nested deployment %s)", name);
    tpl_scope *scope =
        inner ? moat__arena_zalloc(arena(t), sizeof *scope) : NULL;
    if (inner && scope) {
        scope->outer = w->scope;
        scope->label =
            w->scope->label[0]
                ? moat__arena_printf(arena(t), "%s/%s", w->scope->label, name)
                : name;
        scope->params = moat__member(&t->c, props, "parameters", NULL);
        scope->target = in.target;
        scope->vars = moat__member(&t->c, tmpl, "variables", NULL);
        in.scope = scope;
        in.eval_target = in.target;
    }
    if ((inner && scope == NULL) || in.target == NULL || in.via == NULL) {
        moat__oom(t->ld);
        return;
    }
    walk_template(t, &in, tmpl);
}

/* A Blueprint template artifact as `az blueprint artifact` files hold it,
** without a type: {"kind": "template", "properties": {"template": ...}}. */
static int untyped_artifact(const json_value *src)
{
    const json_value *k = moat__json_get(src, "kind");
    const json_value *p = moat__json_get(src, "properties");
    const json_value *tmpl = p ? moat__json_get(p, "template") : NULL;
    return k && k->type == JSON_STRING && moat__eq_ci_z(k->str, "template") &&
           tmpl && tmpl->type == JSON_OBJECT;
}

/* The full type and name path of src (a child's relative to its parent's
** ptype and ppath); 0 after a diagnostic when its type is not literal. */
static int type_and_path(tpl *t, const where *w, const json_value *src,
                         const char *ptype, const char *ppath,
                         const char **type, const char **path)
{
    const json_value *ty = moat__member(&t->c, src, "type", NULL);
    const json_value *nm = moat__member(&t->c, src, "name", NULL);
    if (ty == NULL && untyped_artifact(src)) {
        *type = "Microsoft.Blueprint/blueprints/artifacts";
        *path = "[artifact]";
        return 1;
    }
    if (ty == NULL || ty->type != JSON_STRING || moat__is_expression(ty)) {
        if (ty && moat__is_expression(ty))
            moat__incomplete(&t->c, ty, "a resource",
                             "its type is %s, and what it is is unknown%s",
                             ty->str, w->via);
        else
            moat__diag(&t->c, MOAT_SEV_WARNING, MOAT_E_INVAL, ty,
                       "resource has no literal \"type\"; ignored");
        return 0;
    }
    json_value *n =
        nm && nm->type == JSON_STRING ? value_of(t, w, nm, NULL, 0) : NULL;
    const char *np = n ? segment(t, n) : "[no name]";
    int relative = ptype && strchr(ty->str, '/') == NULL;
    *type = relative ? moat__arena_printf(arena(t), "%s/%s", ptype, ty->str)
                     : ty->str;
    *path = relative ? moat__arena_printf(arena(t), "%s/%s", ppath, np) : np;
    return *type && *path;
}

/* One resource of a template (a child of ptype/ppath, or NULL): recorded
** to read as many times as it is deployed, a deployment expanded, its child
** resources walked; what cannot be read is said (incomplete, or a warning
** when nothing is lost). */
static void walk_resource(tpl *t, const where *w, const json_value *src,
                          const char *ptype, const char *ppath)
{
    label(t, src, NULL);
    if (src->type != JSON_OBJECT) {
        moat__diag(&t->c, MOAT_SEV_ERROR, MOAT_E_INVAL, src,
                   "expected a resource object, found %s",
                   moat__json_type_name(src->type));
        return;
    }
    const json_value *ex = moat__member(&t->c, src, "existing", NULL);
    const char *type, *path;
    if ((ex && ex->type == JSON_TRUE) ||
        !type_and_path(t, w, src, ptype, ppath, &type, &path))
        return; /* "existing": a reference to a resource, not one */
    tpl_kind kind = moat__tpl_kind(type, strlen(type));
    const char *id = moat__tpl_join_id(arena(t), w->target, type, path);
    label(t, src, id ? id : path);
    const json_value *k = moat__json_get(src, "kind");
    int artifact =
        moat__eq_ci_z(type, "Microsoft.Blueprint/blueprints/artifacts") && k &&
        k->type == JSON_STRING && moat__eq_ci_z(k->str, "template");
    int deploy =
        artifact || moat__eq_ci_z(type, "Microsoft.Resources/deployments");
    /* A deployment's condition or copy says nothing of what it holds:
    ** only the resources moat reads are worth a warning. */
    long n = instances(t, w, src, kind != TK_OTHER);
    /* Copies are one declaration: built once, read as many times. */
    json_value *res = n && !deploy && kind != TK_OTHER && id
                          ? build(t, w, src, type, id, kind)
                          : NULL;
    const char *key = moat__arena_printf(arena(t), "%s|%s", type, path);
    for (long i = 0; i < n && room(t, src, 1); i++) {
        if (deploy)
            deployment(t, w, src, path, artifact);
        else if (kind != TK_OTHER && id == NULL)
            moat__incomplete(&t->c, src, type,
                             "its name %s does not name its parent%s", path,
                             w->via);
        else if (kind != TK_OTHER)
            add_decl(t, kind, id, key, res, src);
        label(t, src, id ? id : path);
    }
    if (kind == TK_OTHER && n && !deploy) {
        t->ld->n_ignored++;
        if (t->ld->first_ignored_type == NULL)
            t->ld->first_ignored_type = type;
    }
    const json_value *kids = moat__member(&t->c, src, "resources", NULL);
    for (const json_value *c =
             n && kids && kids->type == JSON_ARRAY ? kids->child : NULL;
         c; c = c->next)
        walk_resource(t, w, c, type, path);
}

static void walk_template(tpl *t, const where *w, const json_value *tmpl)
{
    label(t, tmpl, "");
    const json_value *list = moat__member(&t->c, tmpl, "resources", NULL);
    if (list == NULL)
        return;
    if (list->type != JSON_ARRAY && list->type != JSON_OBJECT) {
        moat__incomplete(&t->c, list, "the resources of a template",
                         "they are %s, not a list or an object%s",
                         moat__json_type_name(list->type), w->via);
        return;
    }
    /* languageVersion 2.0: {"symbolicName": {...}} */
    for (const json_value *r = list->child; r; r = r->next)
        walk_resource(t, w, r, NULL, NULL);
}

/*--------------------------------------------------------------------------
** Declarations read twice, and reading.
*/

/* Two JSON values alike: types, texts, member names, order. */
static int same_json(const json_value *a, const json_value *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->type != b->type || a->len != b->len ||
        (a->str && memcmp(a->str, b->str, a->len) != 0) ||
        (a->key == NULL) != (b->key == NULL) ||
        (a->key && strcmp(a->key, b->key) != 0))
        return 0;
    const json_value *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next) {
        if (!same_json(x, y))
            return 0;
    }
    return x == NULL && y == NULL;
}

/* Where obj's member key is (or would be appended), ignoring case. */
static json_value **member_slot(json_value *obj, const char *key)
{
    json_value **at = &obj->child;
    while (*at && !moat__eq_ci_z((*at)->key, key))
        at = &(*at)->next;
    return at;
}

/* Replaces (or adds) d's properties with props; nothing when props is
** NULL (out of memory, already marked on the loader). */
static void set_props(tpl *t, decl *d, json_value *props)
{
    json_value **at = member_slot(d->res, "properties");
    if (props == NULL)
        return;
    if (*at) {
        props->next = (*at)->next;
        props->key = "properties";
        props->key_len = 10;
        *at = props;
    } else {
        moat__jt_put(d->res, "properties", props);
    }
    (void)t;
}

/* The 1-based line of v in the file read. */
static unsigned line_of(tpl *t, const json_value *v)
{
    unsigned line, col;
    moat__src_line_col(t->f, v->pos, &line, &col);
    return line;
}

/* An account declared twice (ARM deploys the same name again in a nested
** deployment, often to set its firewall after creating it: "Update a
** resource in an ARM template"): when the declarations differ, which one
** is in force depends on the deployments' order and targets, so the
** settings of every one are unknown. */
static void declared_twice(tpl *t)
{
    for (decl *d = t->decls; d; d = d->next) {
        for (decl *e = d->same; d->kind == TK_ACCOUNT && e; e = e->same) {
            const json_value *props[2] = {*member_slot(d->res, "properties"),
                                          *member_slot(e->res, "properties")};
            if (e->src == d->src || same_json(props[0], props[1]))
                continue;
            for (int k = 0; k < 2; k++) {
                decl *x = k ? e : d, *y = k ? d : e;
                const json_value *yp = props[!k];
                label(t, x->src, x->id);
                moat__diag(
                    &t->c, MOAT_SEV_WARNING, MOAT_E_INVAL, NULL,
                    "declared again at line %u (%s) with other settings%s%s%s: which declaration is in force depends on the order and targets of their deployments, so its settings are read as unknown",
                    line_of(t, y->src), y->id,
                    moat__is_expression(yp)
                        ? " (its properties are one expression, "
                        : "",
                    moat__is_expression(yp) ? yp->str : "",
                    moat__is_expression(yp) ? ")" : "");
                set_props(
                    t, x,
                    moat__jt_unknown_props(t->ld, x->src->pos,
                                           "[declared twice, differently]"));
            }
        }
    }
}

/* Any other resource declared twice with the same id (copies, the same
** declaration in two deployments) is read once; when the declarations
** differ, the later one is incomplete. 1 for the one to read. */
static int read_once(tpl *t, const decl *d)
{
    const decl *e = moat__index_get(&t->first, d->id, strlen(d->id));
    if (e == NULL || e == d)
        return 1;
    if (e->res != d->res && !same_json(e->res, d->res)) {
        label(t, d->src, d->id);
        moat__incomplete(
            &t->c, d->src, d->id,
            "declared again with other settings (first at line %u); only the first is read",
            line_of(t, e->src));
    }
    return 0;
}

int moat__read_deployment(moat_loader *ld, const src_file *f,
                          const json_value *doc)
{
    const json_value *ty = moat__json_get(doc, "type");
    int deploy =
        ty && ty->type == JSON_STRING &&
        (moat__eq_ci_z(ty->str, "Microsoft.Resources/deployments") ||
         moat__eq_ci_z(ty->str, "Microsoft.Blueprint/blueprints/artifacts"));
    if (!deploy && !(ty == NULL && untyped_artifact(doc)))
        return 0;
    json_value *tmpl = moat__jt_new(ld, JSON_OBJECT, doc->pos);
    json_value *list = moat__jt_new(ld, JSON_ARRAY, doc->pos);
    json_value *one = moat__jt_clone(ld, doc);
    moat__jt_push(list, one);
    moat__jt_put(tmpl, "resources", list);
    if (tmpl && list && one)
        moat__read_template(ld, f, tmpl);
    return 1;
}

void moat__read_template(moat_loader *ld, const src_file *f,
                         const json_value *doc)
{
    tpl t;
    memset(&t, 0, sizeof t);
    t.ld = ld;
    t.f = f;
    t.c.ld = ld;
    t.c.file = f;
    t.c.res = "";
    t.c.origin = "template";
    t.tail = &t.decls;
    moat__index_init(&t.first);
    t.byte_budget =
        ld->arena.total + BUDGET_BYTES + BUDGET_PER_BYTE * (size_t)f->len;
    tpl_scope top = {NULL, "", NULL, "",
                     moat__member(&t.c, doc, "variables", NULL)};
    where w = {&top, "", "", "", 0};
    walk_template(&t, &w, doc);
    declared_twice(&t);
    for (decl *d = t.decls; d && !ld->oom; d = d->next) {
        label(&t, d->src, d->id);
        if ((d->kind == TK_ACCOUNT || read_once(&t, d)) &&
            moat__jt_settle(&t.c, d->res, d->kind))
            moat__read_resource(ld, f, d->res, "template", 1, NULL);
    }
    moat__index_free(&t.first);
}
