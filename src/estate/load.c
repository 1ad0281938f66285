/*
** load.c - the loader: files and directories in, raw resources and
** diagnostics out.
**
** decision.md section 1: a file holds one resource, an array of them,
** {"value": [...]} (ARM list), {"data": [...]} (Resource Graph) or an ARM
** template's {"resources": [...]}; a directory means every *.json below it.
** Resources are dispatched on their type, ignoring case; types moat does not
** read are counted and skipped. Every problem becomes a diagnostic naming
** the file, line, resource, JSON path and what was expected.
*/
#include "load.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DIR_DEPTH 32

moat_loader *moat_loader_new(unsigned flags)
{
    moat_loader *ld = calloc(1, sizeof *ld);
    if (ld == NULL)
        return NULL;
    ld->flags = flags;
    ld->max_file_bytes = MOAT_ESTATE_MAX_BYTES;
    moat__arena_init(&ld->arena, 0);
    ld->res_tail = &ld->res;
    ld->subs_tail = &ld->subs;
    ld->perims_tail = &ld->perims;
    ld->profiles_tail = &ld->profiles;
    ld->rules_tail = &ld->rules;
    ld->assocs_tail = &ld->assocs;
    ld->links_tail = &ld->links;
    ld->subnets_tail = &ld->subnets;
    ld->vnets_tail = &ld->vnets;
    ld->pe_children_tail = &ld->pe_children;
    ld->pe_sites_tail = &ld->pe_sites;
    ld->principals_tail = &ld->principals;
    return ld;
}

static void free_res_vectors(raw_res *r)
{
    for (; r; r = r->next) {
        free(r->rejects.v);
        free(r->ip4.v);
        free(r->ip6.v);
        free(r->vnets.v);
        free(r->rars.v);
        free(r->pes.v);
    }
}

void moat_loader_free(moat_loader *ld)
{
    if (ld == NULL)
        return;
    free_res_vectors(ld->res);
    free(ld->deps.v);
    free(ld->diags.v);
    free(ld->incomplete.v);
    moat__arena_free(&ld->arena);
    free(ld);
}

size_t moat_loader_diag_count(const moat_loader *ld)
{
    return ld ? ld->diags.n : 0;
}

const moat_diag *moat_loader_diag(const moat_loader *ld, size_t i)
{
    return (ld && i < ld->diags.n) ? &ld->diags.v[i] : NULL;
}

size_t moat_loader_error_count(const moat_loader *ld)
{
    return ld ? ld->n_errors : 0;
}

void *moat__vec_push(moat_loader *ld, void **v, size_t *n, size_t *cap,
                     size_t size)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        void *p = realloc(*v, nc * size);
        if (p == NULL) {
            moat__oom(ld);
            return NULL;
        }
        *v = p;
        *cap = nc;
    }
    void *slot = (char *)*v + (*n)++ * size;
    memset(slot, 0, size);
    return slot;
}

void moat__oom(moat_loader *ld)
{
    ld->oom = 1;
}

/*--------------------------------------------------------------------------
** Diagnostics.
*/
static void add_diag(moat_loader *ld, moat_severity sev, moat_status code,
                     const src_file *file, uint32_t pos, int has_pos,
                     const char *res_label, const char *path, const char *msg)
{
    if (msg == NULL) {
        moat__oom(ld);
        return;
    }
    moat_diag *d = VEC_PUSH(ld, ld->diags);
    if (d == NULL)
        return;
    d->severity = sev;
    d->code = code;
    d->file = file ? file->name : "";
    if (file && has_pos)
        moat__src_line_col(file, pos, &d->line, &d->column);
    d->resource = res_label ? res_label : "";
    d->path = path ? path : "";
    d->message = msg;
    if (sev == MOAT_SEV_ERROR)
        ld->n_errors++;
}

size_t moat__rctx_push_key(rctx *c, const json_value *member)
{
    size_t mark = c->path_len;
    const char *key = member && member->key ? member->key : "?";
    int n = snprintf(c->path + c->path_len, sizeof c->path - c->path_len,
                     "%s%s", c->path_len ? "." : "", key);
    if (n > 0 && (size_t)n < sizeof c->path - c->path_len)
        c->path_len += (size_t)n;
    return mark;
}

size_t moat__rctx_push_index(rctx *c, size_t i)
{
    size_t mark = c->path_len;
    int n = snprintf(c->path + c->path_len, sizeof c->path - c->path_len,
                     "[%zu]", i);
    if (n > 0 && (size_t)n < sizeof c->path - c->path_len)
        c->path_len += (size_t)n;
    return mark;
}

void moat__rctx_pop(rctx *c, size_t mark)
{
    c->path_len = mark;
    c->path[mark] = '\0';
}

static const char *path_of(rctx *c, const json_value *at)
{
    if (at && at->key) {
        size_t mark = moat__rctx_push_key(c, at);
        const char *p = moat__dupn(c->ld, c->path, c->path_len);
        moat__rctx_pop(c, mark);
        return p;
    }
    return moat__dupn(c->ld, c->path, c->path_len);
}

static void vdiag(rctx *c, moat_severity sev, moat_status code,
                  const json_value *at, const char *fmt, va_list ap)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__buf_vprintf(&b, fmt, ap);
    const char *msg = b.failed ? NULL : moat__dupn(c->ld, b.data, b.len);
    moat__buf_free(&b);
    add_diag(c->ld, sev, code, c->file, at ? at->pos : c->pos, 1, c->res,
             path_of(c, at), msg);
}

void moat__diag(rctx *c, moat_severity sev, moat_status code,
                const json_value *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(c, sev, code, at, fmt, ap);
    va_end(ap);
}

void moat__invalid(rctx *c, const json_value *at, const char *fmt, ...)
{
    moat_severity sev =
        (c->ld->flags & MOAT_LOAD_LENIENT) ? MOAT_SEV_WARNING : MOAT_SEV_ERROR;
    va_list ap;
    va_start(ap, fmt);
    vdiag(c, sev, MOAT_E_INVAL, at, fmt, ap);
    va_end(ap);
}

src_loc moat__loc(rctx *c, const json_value *at)
{
    src_loc l;
    l.file = c->file;
    l.pos = at ? at->pos : c->pos;
    l.resource = c->res;
    l.path = path_of(c, at);
    return l;
}

void moat__diag_at(moat_loader *ld, const src_loc *loc, moat_severity sev,
                   moat_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *msg = moat__arena_vprintf(&ld->arena, fmt, ap);
    va_end(ap);
    add_diag(ld, sev, code, loc ? loc->file : NULL, loc ? loc->pos : 0,
             loc != NULL && loc->file != NULL, loc ? loc->resource : "",
             loc ? loc->path : "", msg);
}

void moat__incomplete_at(moat_loader *ld, const src_loc *loc, const char *what,
                         const char *why)
{
    moat__diag_at(ld, loc, MOAT_SEV_WARNING, MOAT_E_NOTFOUND,
                  "%s is not audited: %s", what, why);
    moat_incomplete *g = VEC_PUSH(ld, ld->incomplete);
    if (g == NULL)
        return;
    g->file = loc && loc->file ? loc->file->name : "";
    if (loc && loc->file) {
        unsigned col;
        moat__src_line_col(loc->file, loc->pos, &g->line, &col);
    }
    g->resource = loc && loc->resource ? loc->resource : "";
    g->what = moat__dupn(ld, what, strlen(what));
    g->why = moat__dupn(ld, why, strlen(why));
    if (g->what == NULL || g->why == NULL) /* moat__dupn marked the loader */
        g->what = g->why = "";
}

void moat__incomplete(rctx *c, const json_value *at, const char *what,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *why = moat__arena_vprintf(&c->ld->arena, fmt, ap);
    va_end(ap);
    src_loc loc = moat__loc(c, at);
    if (why == NULL)
        moat__oom(c->ld);
    else
        moat__incomplete_at(c->ld, &loc, what, why);
}

/*--------------------------------------------------------------------------
** Typed access.
*/
int moat__is_expression(const json_value *v)
{
    return v && v->type == JSON_STRING && v->len >= 2 && v->str[0] == '[' &&
           v->str[1] != '[' && v->str[v->len - 1] == ']';
}

const char *moat__dupn(moat_loader *ld, const char *s, size_t n)
{
    const char *p = moat__arena_strndup(&ld->arena, s, n);
    if (p == NULL)
        moat__oom(ld);
    return p;
}

const char *moat__dup(rctx *c, const json_value *s)
{
    return moat__dupn(c->ld, s->str, s->len);
}

/* v (what a lookup gave) when present with type want: see moat__get_str. */
static int typed(rctx *c, const json_value *v, json_type want,
                 const json_value **out)
{
    *out = NULL;
    if (moat__json_is_null(v))
        return 0;
    if (v->type != want) {
        moat__diag(c, MOAT_SEV_ERROR, MOAT_E_INVAL, v, "expected %s, found %s",
                   moat__json_type_name(want), moat__json_type_name(v->type));
        return -1;
    }
    *out = v;
    return 1;
}

int moat__get_str(rctx *c, const json_value *obj, const char *name,
                  const json_value **out)
{
    return typed(c, moat__member(c, obj, name, NULL), JSON_STRING, out);
}

int moat__get_obj(rctx *c, const json_value *obj, const char *name,
                  const json_value **out)
{
    return typed(c, moat__member(c, obj, name, NULL), JSON_OBJECT, out);
}

int moat__get_arr(rctx *c, const json_value *obj, const char *name,
                  const json_value **out)
{
    return typed(c, moat__member(c, obj, name, NULL), JSON_ARRAY, out);
}

int moat__get_setting(rctx *c, const json_value *obj, const char *name,
                      const json_value **out)
{
    return typed(c, moat__setting(c, obj, name, NULL), JSON_STRING, out);
}

const char **moat__read_strings(rctx *c, const json_value *obj,
                                const char *name, uint16_t *count)
{
    const json_value *list;
    *count = 0;
    if (moat__get_arr(c, obj, name, &list) <= 0 || list->len == 0)
        return NULL;
    const char **out =
        moat__arena_alloc(&c->ld->arena, list->len * sizeof *out);
    if (out == NULL) {
        moat__oom(c->ld);
        return NULL;
    }
    size_t mark = moat__rctx_push_key(c, list);
    size_t i = 0;
    for (const json_value *e = list->child; e; e = e->next, i++) {
        size_t m2 = moat__rctx_push_index(c, i);
        /* subscriptions: [{"id": "/subscriptions/<guid>"}] */
        const json_value *v =
            e->type == JSON_OBJECT ? moat__member(c, e, "id", NULL) : e;
        if (v && v->type == JSON_STRING) {
            if (moat__element_ok(c, v))
                out[(*count)++] = moat__dup(c, v);
        } else if (e->type != JSON_OBJECT || v == NULL)
            moat__diag(c, MOAT_SEV_ERROR, MOAT_E_INVAL, NULL,
                       "expected a string, found %s",
                       moat__json_type_name(e->type));
        moat__rctx_pop(c, m2);
    }
    moat__rctx_pop(c, mark);
    return out;
}

int moat__enum_lookup(const enum_entry *t, size_t n, const char *s, int *out)
{
    for (size_t i = 0; i < n; i++) {
        if (moat__eq_ci_z(t[i].name, s)) {
            *out = t[i].value;
            return 1;
        }
    }
    return 0;
}

const char *moat__enum_list(rctx *c, const enum_entry *t, size_t n)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        if (i)
            moat__buf_puts(&b, i + 1 == n ? " or " : ", ");
        moat__buf_puts(&b, t[i].name);
    }
    const char *s = b.failed ? "" : moat__dupn(c->ld, b.data, b.len);
    moat__buf_free(&b);
    return s ? s : "";
}

/*--------------------------------------------------------------------------
** Dispatch.
*/
typedef enum kind {
    K_UNKNOWN,
    K_STORAGE,
    K_VAULT,
    K_PE_CHILD,
    K_PRIVATE_ENDPOINT,
    K_PERIMETER,
    K_PROFILE,
    K_ACCESS_RULE,
    K_ASSOCIATION,
    K_LINK,
    K_NSP_CONFIGURATION,
    K_VNET,
    K_SUBNET,
    K_SUBSCRIPTION,
    K_USER_IDENTITY
} kind;

static const struct {
    const char *type;
    kind k;
} kinds[] = {
    {"Microsoft.Storage/storageAccounts", K_STORAGE},
    {"Microsoft.KeyVault/vaults", K_VAULT},
    {"Microsoft.Storage/storageAccounts/privateEndpointConnections",
     K_PE_CHILD},
    {"Microsoft.KeyVault/vaults/privateEndpointConnections", K_PE_CHILD},
    {"Microsoft.Network/privateEndpoints", K_PRIVATE_ENDPOINT},
    {"Microsoft.Network/networkSecurityPerimeters", K_PERIMETER},
    {"Microsoft.Network/networkSecurityPerimeters/profiles", K_PROFILE},
    {"Microsoft.Network/networkSecurityPerimeters/profiles/accessRules",
     K_ACCESS_RULE},
    {"Microsoft.Network/networkSecurityPerimeters/resourceAssociations",
     K_ASSOCIATION},
    {"Microsoft.Network/networkSecurityPerimeters/links", K_LINK},
    {"Microsoft.Network/networkSecurityPerimeters/linkReferences", K_LINK},
    {"Microsoft.Storage/storageAccounts/networkSecurityPerimeterConfigurations",
     K_NSP_CONFIGURATION},
    {"Microsoft.Network/virtualNetworks", K_VNET},
    {"Microsoft.Network/virtualNetworks/subnets", K_SUBNET},
    {"Microsoft.Resources/subscriptions", K_SUBSCRIPTION},
    {"Microsoft.ManagedIdentity/userAssignedIdentities", K_USER_IDENTITY},
};

static kind kind_of(const char *type, size_t n)
{
    for (size_t i = 0; i < MOAT_ARRAY_LEN(kinds); i++) {
        if (moat__eq_ci(kinds[i].type, strlen(kinds[i].type), type, n))
            return kinds[i].k;
    }
    return K_UNKNOWN;
}

/* `az account list` entries carry no type: an id without '/' plus a
** tenantId. */
static int looks_like_account_entry(const json_value *res)
{
    const json_value *id = moat__json_get(res, "id");
    const json_value *tid = moat__json_get(res, "tenantId");
    return id && id->type == JSON_STRING && id->len > 0 &&
           memchr(id->str, '/', id->len) == NULL && tid &&
           tid->type == JSON_STRING;
}

/* What res is, by its "type" ignoring case; an untyped `az account list`
** entry is a subscription. 0 after a diagnostic when there is nothing to
** read (no type: a warning; a type that is not a string: an error). */
static int resource_kind(rctx *c, const json_value *res, kind *k)
{
    const json_value *type = moat__member(c, res, "type", NULL);
    *k = K_UNKNOWN;
    if (type && type->type == JSON_STRING) {
        *k = kind_of(type->str, type->len);
        if (*k == K_UNKNOWN) {
            c->ld->n_ignored++;
            if (c->ld->first_ignored_type == NULL)
                c->ld->first_ignored_type = moat__dup(c, type);
        }
    } else if (looks_like_account_entry(res)) {
        *k = K_SUBSCRIPTION;
    } else if (type == NULL) {
        moat__diag(
            c, MOAT_SEV_WARNING, MOAT_E_INVAL, NULL,
            "resource has no \"type\"; ignored (expected an ARM resource such as Microsoft.Storage/storageAccounts)");
        return 0;
    } else {
        moat__diag(c, MOAT_SEV_ERROR, MOAT_E_INVAL, type,
                   "expected a string, found %s",
                   moat__json_type_name(type->type));
        return 0;
    }
    return 1;
}

/* The reader of each kind; props is where its settings are. */
static void read_kind(rctx *c, kind k, const json_value *res,
                      const json_value *props)
{
    switch (k) {
    case K_USER_IDENTITY: moat__read_identity(c, res, props, 1); break;
    case K_STORAGE: moat__read_account(c, res, props, RES_STORAGE); break;
    case K_VAULT: moat__read_account(c, res, props, RES_KEYVAULT); break;
    case K_PE_CHILD: moat__read_pe_child(c, res, props); break;
    case K_PRIVATE_ENDPOINT: moat__read_private_endpoint(c, res, props); break;
    case K_PERIMETER: moat__read_perimeter(c, res, props); break;
    case K_PROFILE: moat__read_profile(c, res, props); break;
    case K_ACCESS_RULE: moat__read_access_rule(c, res, props); break;
    case K_ASSOCIATION: moat__read_association(c, res, props); break;
    case K_LINK: moat__read_link(c, res, props); break;
    case K_NSP_CONFIGURATION:
        moat__read_nsp_configuration(c, res, props);
        break;
    case K_VNET: moat__read_vnet(c, res, props); break;
    case K_SUBNET: moat__read_subnet(c, res, props, NULL); break;
    case K_SUBSCRIPTION: moat__read_subscription(c, res); break;
    case K_UNKNOWN: return;
    }
    c->ld->n_read++;
}

tpl_kind moat__tpl_kind(const char *type, size_t n)
{
    switch (kind_of(type, n)) {
    case K_UNKNOWN: return moat__dep_type(type, n) ? TK_DEP : TK_OTHER;
    case K_STORAGE:
    case K_VAULT: return TK_ACCOUNT;
    case K_PRIVATE_ENDPOINT: return TK_PRIVATE_ENDPOINT;
    case K_VNET: return TK_VNET;
    default: return TK_READ;
    }
}

static void read_resource(moat_loader *ld, const src_file *f,
                          const json_value *res, const char *origin,
                          int synthetic, const char *address)
{
    rctx c;
    memset(&c, 0, sizeof c);
    c.ld = ld;
    c.file = f;
    c.origin = origin;
    c.synthetic_id = (uint8_t)synthetic;
    c.address = address;
    c.pos = res->pos;
    /* A label for diagnostics; the readers read the id itself. */
    const json_value *id = moat__json_get(res, "id");
    const json_value *name = moat__json_get(res, "name");
    if (id && id->type == JSON_STRING && id->len)
        c.res = moat__dup(&c, id);
    else if (name && name->type == JSON_STRING && name->len)
        c.res = moat__dup(&c, name);
    else
        c.res = "";
    if (res->type != JSON_OBJECT) {
        moat__diag(&c, MOAT_SEV_ERROR, MOAT_E_INVAL, res,
                   "expected a resource object, found %s",
                   moat__json_type_name(res->type));
        return;
    }
    kind k;
    if (!resource_kind(&c, res, &k))
        return;
    /* ARM and Resource Graph nest settings in "properties"; `az ... show`
    ** prints some types flattened. Of a type moat does not read, only the
    ** managed identity is read. */
    const json_value *props = res;
    if (k != K_UNKNOWN) {
        const json_value *p = moat__member(&c, res, "properties", NULL);
        if (!moat__json_is_null(p) && p->type != JSON_OBJECT) {
            moat__diag(&c, MOAT_SEV_ERROR, MOAT_E_INVAL, p,
                       "expected an object, found %s",
                       moat__json_type_name(p->type));
            return;
        }
        props_mark saved;
        props = moat__props_enter(&c, res, &saved);
    }
    /* Any resource may call others with its managed identity. */
    if (k != K_USER_IDENTITY)
        moat__read_identity(&c, res, props, 0);
    read_kind(&c, k, res, props);
    if (moat__read_deps(&c, res) && k == K_UNKNOWN) {
        ld->n_ignored--;
        ld->n_read++;
    }
}

void moat__read_resource(moat_loader *ld, const src_file *f,
                         const json_value *res, const char *origin,
                         int synthetic, const char *address)
{
    read_resource(ld, f, res, origin, synthetic, address);
}

static void read_list(moat_loader *ld, const src_file *f, const json_value *arr,
                      const char *origin)
{
    for (const json_value *r = arr->child; r; r = r->next)
        read_resource(ld, f, r, origin, 0, NULL);
}

/* The list of resources of a document without a type: ARM's "value",
** Resource Graph's "data" or a template's "resources" (an object keyed by
** symbolic name in a languageVersion 2.0 template), with *origin set.
** Two of them is an error (which list is meant?): NULL with *origin set.
** NULL with *origin NULL: none, the document is one resource. */
static const json_value *container_of(rctx *c, const json_value *doc,
                                      const char **origin)
{
    static const char *const names[] = {"value", "data", "resources"};
    const json_value *list = NULL;
    *origin = NULL;
    int symbolic = moat__json_get(doc, "languageVersion") != NULL ||
                   moat__json_get(doc, "$schema") != NULL;
    for (size_t i = 0; i < MOAT_ARRAY_LEN(names); i++) {
        const json_value *v = moat__member(c, doc, names[i], NULL);
        if (v == NULL || (v->type != JSON_ARRAY &&
                          !(i == 2 && symbolic && v->type == JSON_OBJECT)))
            continue;
        if (list) {
            moat__diag(
                c, MOAT_SEV_ERROR, MOAT_E_INVAL, v,
                "the document holds both \"%s\" and \"%s\": which list of resources is meant is not clear",
                list->key, v->key);
            return NULL;
        }
        list = v;
        *origin = i == 2 ? "template" : "arm";
    }
    return list;
}

static void read_document(moat_loader *ld, const src_file *f,
                          const json_value *doc)
{
    if (doc->type == JSON_ARRAY) {
        read_list(ld, f, doc, "arm");
        return;
    }
    if (doc->type != JSON_OBJECT) {
        rctx c;
        memset(&c, 0, sizeof c);
        c.ld = ld;
        c.file = f;
        c.res = "";
        moat__diag(
            &c, MOAT_SEV_ERROR, MOAT_E_INVAL, doc,
            "expected a resource, an array of resources, or an object with \"value\", \"data\" or \"resources\"; found %s",
            moat__json_type_name(doc->type));
        return;
    }
    if (moat__is_terraform(doc)) {
        moat__read_terraform(ld, f, doc);
        return;
    }
    rctx c;
    memset(&c, 0, sizeof c);
    c.ld = ld;
    c.file = f;
    c.res = "";
    if (moat__member(&c, doc, "type", NULL) == NULL) {
        const char *origin = NULL;
        const json_value *list = container_of(&c, doc, &origin);
        if (list && strcmp(origin, "template") == 0)
            moat__read_template(ld, f, doc);
        else if (list)
            read_list(ld, f, list, origin);
        if (list || origin)
            return;
    }
    if (!moat__read_deployment(ld, f, doc))
        read_resource(ld, f, doc, "arm", 0, NULL);
}

/* Records where each line of f starts. */
static int index_lines(moat_loader *ld, src_file *f)
{
    uint32_t n = 1;
    for (const char *p = f->text, *end = f->text + f->len;
         (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        n++;
    uint32_t *starts = moat__arena_alloc(&ld->arena, n * sizeof *starts);
    if (starts == NULL)
        return -1;
    starts[0] = 0;
    uint32_t k = 1;
    for (const char *p = f->text, *end = f->text + f->len;
         (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        starts[k++] = (uint32_t)(p + 1 - f->text);
    f->line_starts = starts;
    f->n_lines = n;
    return 0;
}

void moat__src_line_col(const src_file *f, size_t pos, unsigned *line,
                        unsigned *col)
{
    if (pos > f->len)
        pos = f->len;
    uint32_t lo = 0, hi = f->n_lines; /* the last start <= pos */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (f->line_starts[mid] <= pos)
            lo = mid;
        else
            hi = mid;
    }
    *line = lo + 1;
    *col = (unsigned)(pos - f->line_starts[lo]) + 1;
}

json_value *moat__load_text(moat_loader *ld, const char *name,
                            const char *json, size_t len, src_file **out,
                            moat_status *rc)
{
    src_file *f = moat__arena_alloc(&ld->arena, sizeof *f);
    char *text = len <= ld->max_file_bytes
                     ? moat__arena_strndup(&ld->arena, json, len)
                     : (char *)"";
    const char *fname =
        moat__dupn(ld, name ? name : "<json>", strlen(name ? name : "<json>"));
    *rc = MOAT_E_NOMEM;
    if (f == NULL || text == NULL || fname == NULL) {
        moat__oom(ld);
        return NULL;
    }
    f->name = fname;
    f->text = text;
    f->len = len;
    *out = f;
    *rc = MOAT_E_LIMIT;
    if (len > ld->max_file_bytes) { /* and positions are 32-bit */
        add_diag(
            ld, MOAT_SEV_ERROR, MOAT_E_LIMIT, f, 0, 0, "", "",
            moat__arena_printf(
                &ld->arena,
                "%zu bytes; an estate file holds at most %zu (MOAT_ESTATE_MAX_BYTES)",
                len, ld->max_file_bytes));
        return NULL;
    }
    if (index_lines(ld, f) != 0) {
        moat__oom(ld);
        *rc = MOAT_E_NOMEM;
        return NULL;
    }
    ld->n_files++;
    json_error err = {0, NULL};
    /* Estate files may be templates: read the JSON ARM reads. */
    json_value *doc =
        moat__json_parse_mode(&ld->arena, text, len, MOAT_JSON_ARM, &err);
    if (doc == NULL) {
        if (err.msg && strcmp(err.msg, "out of memory") == 0) {
            moat__oom(ld);
            *rc = MOAT_E_NOMEM;
            return NULL;
        }
        add_diag(ld, MOAT_SEV_ERROR, MOAT_E_SYNTAX, f, (uint32_t)err.pos, 1, "",
                 "", moat__dupn(ld, err.msg, strlen(err.msg)));
        *rc = MOAT_E_SYNTAX;
        return NULL;
    }
    *rc = MOAT_OK;
    return doc;
}

moat_status moat_loader_add_json(moat_loader *ld, const char *name,
                                 const char *json, size_t len)
{
    if (ld == NULL)
        return MOAT_E_INVAL;
    src_file *f;
    moat_status rc;
    json_value *doc = moat__load_text(ld, name, json, len, &f, &rc);
    if (doc == NULL)
        return rc;
    size_t errors = ld->n_errors, read = ld->n_read, ignored = ld->n_ignored;
    read_document(ld, f, doc);
    if (ld->oom)
        return MOAT_E_NOMEM;
    /* A file with nothing moat reads is most likely the wrong file. */
    if (ld->n_read == read && ld->n_errors == errors) {
        src_loc at = {f, 0, "", ""};
        if (ld->n_ignored > ignored)
            moat__diag_at(
                ld, &at, MOAT_SEV_WARNING, MOAT_E_NOTFOUND,
                "none of its %zu resources is of a type moat reads (such as %s); expected storage accounts, key vaults, perimeters, virtual networks or subscriptions",
                ld->n_ignored - ignored,
                ld->first_ignored_type ? ld->first_ignored_type
                                       : "an untyped object");
        else
            moat__diag_at(ld, &at, MOAT_SEV_WARNING, MOAT_E_NOTFOUND,
                          "holds no resources");
    }
    return ld->n_errors > errors ? MOAT_E_INVAL : MOAT_OK;
}

static moat_status io_error(moat_loader *ld, const char *path, const char *what)
{
    moat__diag_at(ld, NULL, MOAT_SEV_ERROR, MOAT_E_IO, "%s: %s: %s", path, what,
                  strerror(errno));
    return MOAT_E_IO;
}

/* What a file that is not regular is, for the message. */
static const char *file_kind(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

/* Estate files are read whole, so only regular files are: a FIFO may never
** start (nobody writes it) and a device never end (/dev/zero). */
static moat_status not_regular(moat_loader *ld, const char *path, mode_t mode)
{
    moat__diag_at(
        ld, NULL, MOAT_SEV_ERROR, MOAT_E_IO,
        "%s: %s, not a regular file: an estate file is read whole, and this one might never end; refused",
        path, file_kind(mode));
    return MOAT_E_IO;
}

static moat_status too_large(moat_loader *ld, const char *name)
{
    moat__diag_at(
        ld, NULL, MOAT_SEV_ERROR, MOAT_E_LIMIT,
        "%s: larger than %zu bytes, the most an estate file may hold (MOAT_ESTATE_MAX_BYTES)",
        name, ld->max_file_bytes);
    return MOAT_E_LIMIT;
}

/* Reads fd to its end into *out (malloc'd, *len bytes), counting every
** byte against the cap as it comes, so that a stream or a file that grows
** while it is read stops there. MOAT_E_LIMIT past the cap, MOAT_E_IO on a
** read error, MOAT_E_NOMEM; each with a diagnostic naming `name`. */
static moat_status read_to_end(moat_loader *ld, const char *name, int fd,
                               size_t hint, char **out, size_t *len)
{
    size_t cap = hint + 1 < 65536 ? 65536 : hint + 1, n = 0;
    char *buf = malloc(cap);
    moat_status rc = MOAT_OK;
    while (buf && rc == MOAT_OK) {
        if (n == cap) { /* never beyond one byte past the cap */
            size_t grown =
                cap > ld->max_file_bytes / 2 ? ld->max_file_bytes + 1 : cap * 2;
            char *p = realloc(buf, grown);
            if (p == NULL)
                break;
            buf = p;
            cap = grown;
        }
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            rc = io_error(ld, name, "cannot read");
        else if (got == 0)
            break;
        else if ((n += (size_t)got) > ld->max_file_bytes)
            rc = too_large(ld, name);
    }
    if (rc == MOAT_OK && (buf == NULL || n == cap)) {
        moat__oom(ld);
        rc = MOAT_E_NOMEM;
    }
    if (rc != MOAT_OK) {
        free(buf);
        return rc;
    }
    *out = buf;
    *len = n;
    return MOAT_OK;
}

moat_status moat_loader_add_fd(moat_loader *ld, const char *name, int fd)
{
    if (ld == NULL || fd < 0)
        return MOAT_E_INVAL;
    if (name == NULL)
        name = "<fd>";
    char *text;
    size_t len;
    moat_status rc = read_to_end(ld, name, fd, 0, &text, &len);
    if (rc != MOAT_OK)
        return rc;
    rc = moat_loader_add_json(ld, name, text, len);
    free(text);
    return rc;
}

/* Opens without blocking (a FIFO nobody writes would block open), then
** looks at what was opened, not at what the name pointed to a moment
** before; hands the text to add (an estate file, or service tags).
** MOAT_E_IO (cannot open, not a regular file), MOAT_E_LIMIT (past the cap)
** or add's status, each with a diagnostic naming path. */
moat_status moat__add_file(moat_loader *ld, const char *path,
                           moat_status (*add)(moat_loader *, const char *,
                                              const char *, size_t))
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return io_error(ld, path, "cannot open");
    struct stat st;
    moat_status rc = MOAT_OK;
    char *text = NULL;
    size_t len = 0;
    if (fstat(fd, &st) != 0)
        rc = io_error(ld, path, "cannot read");
    else if (!S_ISREG(st.st_mode))
        rc = not_regular(ld, path, st.st_mode);
    else if ((uint64_t)st.st_size > ld->max_file_bytes)
        rc = too_large(ld, path);
    else
        rc = read_to_end(ld, path, fd, (size_t)st.st_size, &text, &len);
    close(fd);
    if (rc == MOAT_OK)
        rc = add(ld, path, text ? text : "", len);
    free(text);
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int has_json_suffix(const char *name)
{
    size_t n = strlen(name);
    return n > 5 && moat__eq_ci(name + n - 5, 5, ".json", 5);
}

static moat_status add_path_depth(moat_loader *ld, const char *path, int depth);

static moat_status add_dir(moat_loader *ld, const char *path, int depth)
{
    if (depth > MAX_DIR_DEPTH) {
        moat__diag_at(ld, NULL, MOAT_SEV_ERROR, MOAT_E_LIMIT,
                      "%s: directories nested deeper than %d", path,
                      MAX_DIR_DEPTH);
        return MOAT_E_LIMIT;
    }
    DIR *d = opendir(path);
    if (d == NULL)
        return io_error(ld, path, "cannot open directory");
    char **names = NULL;
    size_t n = 0, cap = 0;
    moat_status rc = MOAT_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ., .., and hidden files such as .git */
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **p = realloc(names, cap * sizeof *names);
            if (p == NULL) {
                rc = MOAT_E_NOMEM;
                break;
            }
            names = p;
        }
        names[n] = strdup(e->d_name);
        if (names[n] == NULL) {
            rc = MOAT_E_NOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc == MOAT_OK)
        qsort(names, n, sizeof *names, cmp_names);
    size_t files_before = ld->n_files;
    for (size_t i = 0; i < n && rc != MOAT_E_NOMEM; i++) {
        size_t len = strlen(path) + strlen(names[i]) + 2;
        char *child = malloc(len);
        if (child == NULL) {
            rc = MOAT_E_NOMEM;
            break;
        }
        snprintf(child, len, "%s%s%s", path,
                 path[strlen(path) - 1] == '/' ? "" : "/", names[i]);
        /* Every *.json below is part of the estate: one that cannot be
        ** read (a dangling link, a FIFO) is an error, never skipped, since
        ** what it holds might be what denies. */
        struct stat st;
        int is_dir = stat(child, &st) == 0 && S_ISDIR(st.st_mode);
        if (is_dir || has_json_suffix(names[i])) {
            moat_status r = add_path_depth(ld, child, depth + 1);
            if (rc == MOAT_OK)
                rc = r;
        }
        free(child);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (rc == MOAT_E_NOMEM)
        moat__oom(ld);
    if (rc == MOAT_OK && depth == 0 && ld->n_files == files_before)
        moat__diag_at(ld, NULL, MOAT_SEV_WARNING, MOAT_E_NOTFOUND,
                      "%s: no *.json files in this directory", path);
    return rc;
}

static moat_status add_path_depth(moat_loader *ld, const char *path, int depth)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return io_error(ld, path, "cannot open");
    if (S_ISDIR(st.st_mode))
        return add_dir(ld, path, depth);
    if (!S_ISREG(st.st_mode)) /* a socket cannot even be opened */
        return not_regular(ld, path, st.st_mode);
    return moat__add_file(ld, path, moat_loader_add_json);
}

moat_status moat_loader_add_path(moat_loader *ld, const char *path)
{
    if (ld == NULL || path == NULL || path[0] == '\0')
        return MOAT_E_INVAL;
    return add_path_depth(ld, path, 0);
}

moat_status moat_loader_finish(moat_loader *ld, moat_estate **out)
{
    if (out)
        *out = NULL;
    if (ld == NULL || out == NULL)
        return MOAT_E_INVAL;
    if (ld->oom)
        return MOAT_E_NOMEM;
    if (ld->n_errors > 0)
        return MOAT_E_INVAL;
    return moat__compile(ld, out);
}
