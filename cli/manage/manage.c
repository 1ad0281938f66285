/*
** manage.c - the machinery of the az-style commands: find the file and the
** resource, print as az prints, and land a change (validate, diff or
** write). The commands themselves (manage_storage.c, manage_keyvault.c,
** manage_perimeter.c) only decide what to edit.
*/
#include "manage.h"

#include "az_output.h"
#include "textdiff.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/*--------------------------------------------------------------------------
** Messages.
*/
int mg_usage(const manage *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("moat: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'moat %s --help'.\n", m->command);
    va_end(ap);
    return MG_USAGE;
}

int mg_refuse(const manage *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("moat: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nNothing was changed.\n", stderr);
    va_end(ap);
    (void)m;
    return MG_REFUSED;
}

void mg_warn(manage *m, const char *fmt, ...)
{
    m->warned = 1;
    if (m->only_errors) /* --only-show-errors, as az */
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("moat: warning: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    m->warned = 1;
}

void mg_strings_free(mg_strings *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->s[i]);
    l->n = 0;
}

int mg_strings_take(mg_strings *l, tool_buf *b)
{
    if (b->failed || b->s == NULL || l->n == CLI_MAX_ARGS) {
        tb_free(b);
        return MG_NOT_WRITTEN;
    }
    l->s[l->n++] = tb_take(b, NULL);
    return MG_OK;
}

/*--------------------------------------------------------------------------
** Reading resources.
*/
const char *mg_str(const moat_node *obj, const char *key)
{
    const moat_node *v = moat_node_get(obj, key);
    return moat_node_kind(v) == MOAT_NODE_STRING ? moat_node_text(v) : NULL;
}

const moat_node *mg_properties(const moat_node *res)
{
    const moat_node *p = moat_node_get(res, "properties");
    return moat_node_kind(p) == MOAT_NODE_OBJECT ? p : NULL;
}

int mg_id_part(const char *id, const char *segment, char *buf, size_t cap)
{
    size_t sn = strlen(segment);
    for (const char *p = id; p && *p; p = strchr(p + 1, '/')) {
        if (p[0] == '/' && strncasecmp(p + 1, segment, sn) == 0 &&
            p[1 + sn] == '/') {
            const char *v = p + 2 + sn, *end = strchr(v, '/');
            size_t n = end ? (size_t)(end - v) : strlen(v);
            if (n == 0 || n >= cap)
                return 0;
            memcpy(buf, v, n);
            buf[n] = '\0';
            return 1;
        }
    }
    return 0;
}

int mg_group_of(const moat_node *res, char *buf, size_t cap)
{
    const char *g = mg_str(res, "resourceGroup"); /* az's flattened form */
    if (g && strlen(g) < cap) {
        snprintf(buf, cap, "%s", g);
        return 1;
    }
    const char *id = mg_str(res, "id");
    return id && mg_id_part(id, "resourceGroups", buf, cap);
}

int mg_choice(const char *text, const char *const *names, size_t n,
              const char **canon)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(text, names[i]) == 0) {
            *canon = names[i];
            return 1;
        }
    }
    return 0;
}

static int matches(const moat_node *res, const mg_target *t)
{
    const char *type = mg_str(res, "type"), *name = mg_str(res, "name");
    if (type == NULL || strcasecmp(type, t->type) != 0)
        return 0;
    if (t->name && (name == NULL || strcasecmp(name, t->name) != 0))
        return 0;
    const char *rid = mg_str(res, "id");
    if (t->id && (rid == NULL || strcasecmp(rid, t->id) != 0))
        return 0;
    char buf[256];
    if (t->group &&
        (!mg_group_of(res, buf, sizeof buf) || strcasecmp(buf, t->group) != 0))
        return 0;
    if (t->subscription) {
        const char *want = t->subscription;
        if (strncasecmp(want, "/subscriptions/", 15) == 0)
            want += 15;
        const char *id = mg_str(res, "id");
        if (id == NULL || !mg_id_part(id, "subscriptions", buf, sizeof buf) ||
            strcasecmp(buf, want) != 0)
            return 0;
    }
    return 1;
}

static const moat_node *first_resource(const moat_doc *doc,
                                       const moat_node *list)
{
    return list ? moat_node_child(list) : moat_doc_root(doc);
}

static const moat_node *next_resource(const moat_node *list, const moat_node *r)
{
    return list ? moat_node_next(r) : NULL;
}

/* The array of resources of a document, or NULL for a single resource. */
static const moat_node *resource_list(const moat_doc *doc)
{
    const moat_node *root = moat_doc_root(doc);
    if (moat_node_kind(root) == MOAT_NODE_ARRAY)
        return root;
    if (moat_node_get(root, "type") == NULL) {
        static const char *const lists[] = {"value", "data", "resources"};
        for (size_t i = 0; i < 3; i++) {
            const moat_node *l = moat_node_get(root, lists[i]);
            if (moat_node_kind(l) == MOAT_NODE_ARRAY)
                return l;
        }
    }
    return NULL;
}

static size_t count_matches(const moat_doc *doc, const mg_target *t)
{
    const moat_node *list = resource_list(doc);
    size_t n = 0;
    for (const moat_node *r = first_resource(doc, list); r;
         r = next_resource(list, r))
        n += matches(r, t);
    return n;
}

/* The names of the resources of t's type in doc, for "it has: ...". */
static void add_names(const moat_doc *doc, const mg_target *t, tool_buf *names)
{
    mg_target any = {t->type, NULL, NULL, NULL, t->what, NULL};
    const moat_node *list = resource_list(doc);
    for (const moat_node *r = first_resource(doc, list); r;
         r = next_resource(list, r)) {
        const char *name = mg_str(r, "name");
        if (matches(r, &any) && name && names->len < 400)
            tb_printf(names, "%s%s", names->len ? ", " : "", name);
    }
}

/* The part of id after "/providers/TYPE/" (TYPE ignoring case), or NULL. */
static const char *name_after_type(const char *id, const char *type)
{
    for (const char *p = strstr(id, "/providers/"); p;
         p = strstr(p + 1, "/providers/")) {
        size_t n = strlen(type);
        const char *q = p + 11;
        if (strncasecmp(q, type, n) == 0 && q[n] == '/' && q[n + 1] &&
            strchr(q + n + 1, '/') == NULL)
            return q + n + 1;
    }
    return NULL;
}

int mg_target_ids(manage *m, const cli_args *a, mg_target *t, char *group,
                  char *sub, size_t cap)
{
    const char *id = cli_get(a, "ids");
    if (id == NULL)
        return MG_OK;
    if (cli_count(a, "ids") > 1)
        return mg_usage(m, "--ids: one resource at a time (moat changes one file per command)");
    if (t->name)
        return mg_usage(m, "usage error: --ids, or --name with --resource-group; not both (as az)");
    const char *name = name_after_type(id, t->type);
    if (name == NULL || !mg_id_part(id, "resourceGroups", group, cap) ||
        !mg_id_part(id, "subscriptions", sub, cap))
        return mg_usage(m, "--ids '%s' is not the ARM id of a %s (/subscriptions/S/resourceGroups/G/providers/%s/NAME)", id, t->what, t->type);
    t->name = name;
    t->group = group;
    t->subscription = sub;
    return MG_OK;
}

const moat_node *mg_find(manage *m, const mg_target *t)
{
    const moat_node *found = NULL;
    size_t n = 0;
    char groups[512] = "";
    for (const moat_node *r = first_resource(m->doc, m->list); r;
         r = next_resource(m->list, r)) {
        if (!matches(r, t))
            continue;
        char g[128];
        if (mg_group_of(r, g, sizeof g) &&
            strlen(groups) + strlen(g) + 3 < sizeof groups)
            snprintf(groups + strlen(groups), sizeof groups - strlen(groups),
                     "%s%s", n ? ", " : "", g);
        found = r;
        n++;
    }
    if (n == 1) {
        if (m->debug)
            fprintf(stderr, "moat: debug: %s %s is %s in %s\n", t->what,
                    t->name ? t->name : "", mg_str(found, "id") ? mg_str(found, "id") : "(no id)", m->file.path);
        return found;
    }
    if (n > 1) {
        cli_error(
            "%zu %ss are named '%s' in %s (resource groups %s): give --resource-group",
            n, t->what, t->name ? t->name : "", m->file.path, groups);
        return NULL;
    }
    tool_buf names = {0};
    add_names(m->doc, t, &names);
    cli_error("no %s named '%s'%s%s in %s%s%s%s", t->what,
              t->name ? t->name : "", t->group ? " in resource group " : "",
              t->group ? t->group : "", m->file.path,
              names.len ? " (it has: " : "", names.len ? names.s : "",
              names.len ? ")" : "");
    tb_free(&names);
    return NULL;
}

const moat_node *mg_find_child(manage *m, const char *type,
                               const char *parent_id, const char *name)
{
    size_t pn = strlen(parent_id);
    for (const moat_node *r = first_resource(m->doc, m->list); r;
         r = next_resource(m->list, r)) {
        const char *t = mg_str(r, "type"), *n = mg_str(r, "name");
        const char *id = mg_str(r, "id");
        if (t && n && id && strcasecmp(t, type) == 0 &&
            strcasecmp(n, name) == 0 && strncasecmp(id, parent_id, pn) == 0 &&
            id[pn] == '/')
            return r;
    }
    return NULL;
}

/*--------------------------------------------------------------------------
** Finding the file.
*/
/* The one file below dir that holds t (any, when t has no name). */
static char *file_holding(const char *dir, const mg_target *t)
{
    size_t n_files;
    char **files = cli_json_files(dir, &n_files);
    char *found = NULL, *second = NULL;
    tool_buf names = {0};
    for (size_t i = 0; i < n_files && second == NULL; i++) {
        size_t len;
        char *text = cli_read_file(files[i], &len);
        moat_doc *doc = NULL;
        if (text && moat_doc_parse(text, len, &doc, NULL) == MOAT_OK)
            add_names(doc, t, &names);
        if (doc && count_matches(doc, t) > 0) {
            if (found == NULL)
                found = strdup(files[i]);
            else if (t->name)
                second = files[i];
        }
        moat_doc_free(doc);
        free(text);
    }
    if (second) {
        cli_error("%s and %s both hold a %s named '%s': give --estate the file",
                  found, second, t->what, t->name);
        free(found);
        found = NULL;
    } else if (found == NULL && t->name) {
        cli_error("no %s named '%s' in any *.json file below %s%s%s%s", t->what,
                  t->name, dir, names.len ? " (it has: " : "",
                  names.len ? names.s : "", names.len ? ")" : "");
    } else if (found == NULL) {
        cli_error(
            "no file below %s holds a %s yet: give --estate the file to add it to",
            dir, t->what);
    }
    cli_free_files(files, n_files);
    tb_free(&names);
    return found;
}

void mg_each_other_doc(manage *m, void (*fn)(const moat_doc *doc, void *ctx),
                       void *ctx)
{
    if (!m->estate_is_dir)
        return;
    size_t n_files;
    char **files = cli_json_files(m->estate, &n_files);
    for (size_t i = 0; i < n_files; i++) {
        if (strcmp(files[i], m->file.path) == 0)
            continue;
        size_t len;
        char *text = cli_read_file(files[i], &len);
        moat_doc *doc = NULL;
        if (text && moat_doc_parse(text, len, &doc, NULL) == MOAT_OK)
            fn(doc, ctx);
        moat_doc_free(doc);
        free(text);
    }
    cli_free_files(files, n_files);
}

void mg_each_resource(const moat_doc *doc,
                      void (*fn)(const moat_node *res, void *ctx), void *ctx)
{
    const moat_node *list = resource_list(doc);
    for (const moat_node *r = first_resource(doc, list); r;
         r = next_resource(list, r))
        fn(r, ctx);
}

/* Terraform's JSON is generated from the configuration: editing it would
** be undone by the next plan. */
static int is_terraform(const moat_doc *doc)
{
    const moat_node *root = moat_doc_root(doc);
    return moat_node_get(root, "format_version") &&
           (moat_node_get(root, "values") ||
            moat_node_get(root, "planned_values"));
}

static void line_col(const char *text, size_t at, unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < at && text[i]; i++) {
        if (text[i] == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

static int parse_output(manage *m, const cli_args *a)
{
    const char *o = cli_get(a, "output");
    az_output f = AZ_OUT_JSON;
    if (o && az_output_parse(o, &f) != 0)
        return mg_usage(m, "--output takes %s, not '%s'", AZ_OUTPUT_NAMES, o);
    m->output = (int)f;
    m->output_none = f == AZ_OUT_NONE;
    m->only_errors = cli_has(a, "only-show-errors");
    m->debug = cli_has(a, "debug");
    return MG_OK;
}

int mg_open(manage *m, const char *command, const cli_args *a,
            const mg_target *t)
{
    memset(m, 0, sizeof *m);
    m->file.fd = -1;
    m->command = command;
    m->args = a;
    m->estate = cli_get(a, "estate");
    m->dry_run = cli_has(a, "dry-run");
    m->query = cli_get(a, "query");
    int rc = parse_output(m, a);
    if (rc == MG_OK)
        rc = mg_query_compile(m);
    if (rc != MG_OK)
        return rc;
    if (m->estate == NULL)
        return mg_usage(m, "give the estate file: --estate FILE");
    struct stat st;
    if (stat(m->estate, &st) != 0) {
        cli_error("%s: %s", m->estate, strerror(errno));
        return MG_NOT_FOUND;
    }
    char *path = NULL;
    if (S_ISDIR(st.st_mode)) {
        m->estate_is_dir = 1;
        path = file_holding(m->estate, t);
        if (path == NULL)
            return MG_NOT_FOUND;
    }
    rc = estate_file_open(&m->file, path ? path : m->estate);
    free(path);
    if (rc != 0)
        return MG_NOT_FOUND;
    moat_error err;
    if (moat_doc_parse(m->file.text, m->file.len, &m->doc, &err) != MOAT_OK) {
        unsigned line, col;
        line_col(m->file.text, err.offset, &line, &col);
        fprintf(stderr, "%s:%u:%u: error: %s\n", m->file.path, line, col,
                err.message);
        return MG_NOT_FOUND;
    }
    if (is_terraform(m->doc)) {
        cli_error(
            "%s is Terraform JSON, generated from the configuration: change the .tf files instead (moat edits ARM JSON and az output)",
            m->file.path);
        return MG_USAGE;
    }
    m->list = resource_list(m->doc);
    return MG_OK;
}

void mg_close(manage *m)
{
    mg_query_free(m);
    moat_doc_free(m->doc);
    m->doc = NULL;
    estate_file_close(&m->file);
}

int mg_apply(manage *m)
{
    size_t len;
    char *text = moat_doc_text(m->doc, &len);
    moat_doc *doc = NULL;
    if (text == NULL || moat_doc_parse(text, len, &doc, NULL) != MOAT_OK) {
        free(text);
        cli_error("out of memory");
        return MG_NOT_WRITTEN;
    }
    free(text);
    moat_doc_free(m->doc);
    m->doc = doc;
    m->list = resource_list(doc);
    return MG_OK;
}

int mg_set(manage *m, const moat_node *obj, const char *key, const char *json)
{
    const moat_node *old = moat_node_get(obj, key);
    moat_error err;
    moat_status rc = old ? moat_doc_replace(m->doc, old, json, &err)
                         : moat_doc_add(m->doc, obj, key, json, &err);
    if (rc != MOAT_OK) {
        cli_error("%s", err.message);
        return MG_NOT_WRITTEN;
    }
    return MG_OK;
}

int mg_remove_resource(manage *m, const moat_node *res)
{
    moat_error err;
    if (m->list == NULL) {
        cli_error("%s holds this one resource only; delete the file instead",
                  m->file.path);
        return MG_USAGE;
    }
    if (moat_doc_remove(m->doc, m->list, &res, 1, &err) != MOAT_OK) {
        cli_error("%s", err.message);
        return MG_NOT_WRITTEN;
    }
    return MG_OK;
}

int mg_append_resource(manage *m, const char *json)
{
    if (m->list == NULL) {
        cli_error(
            "%s holds a single resource; give --estate a file with a list of resources (an array, or {\"value\": [...]})",
            m->file.path);
        return MG_USAGE;
    }
    moat_error err;
    if (moat_doc_add(m->doc, m->list, NULL, json, &err) != MOAT_OK) {
        cli_error("%s", err.message);
        return MG_NOT_WRITTEN;
    }
    return MG_OK;
}

/*--------------------------------------------------------------------------
** Printing as az does (manage_query.c: az's shape, --query, -o).
*/
int mg_print_json(manage *m, const tool_buf *json, const char *type)
{
    moat_doc *d = NULL;
    int rc = MG_NOT_WRITTEN;
    if (!json->failed &&
        moat_doc_parse(json->s, json->len, &d, NULL) == MOAT_OK)
        rc = mg_print(m, moat_doc_root(d), type);
    else
        cli_error("out of memory");
    moat_doc_free(d);
    return rc;
}

int mg_print(manage *m, const moat_node *n, const char *type)
{
    if (m->output_none)
        return MG_OK;
    return mg_query_print(m, n, type);
}

/*--------------------------------------------------------------------------
** Where a new resource goes: its subscription and region.
*/
typedef struct rg_facts {
    const char *group;
    char subscription[64];
    char location[64];
    int subscriptions; /* distinct subscriptions seen in the file */
    char any_sub[64];
} rg_facts;

static void learn_rg(const moat_node *r, void *ctx)
{
    rg_facts *f = ctx;
    const char *id = mg_str(r, "id"), *loc = mg_str(r, "location");
    char sub[64], g[256];
    if (id == NULL || !mg_id_part(id, "subscriptions", sub, sizeof sub))
        return;
    if (f->any_sub[0] == '\0')
        snprintf(f->any_sub, sizeof f->any_sub, "%s", sub);
    else if (strcasecmp(f->any_sub, sub) != 0)
        f->subscriptions = 2;
    if (mg_id_part(id, "resourceGroups", g, sizeof g) &&
        strcasecmp(g, f->group) == 0) {
        if (f->subscription[0] == '\0')
            snprintf(f->subscription, sizeof f->subscription, "%s", sub);
        if (loc && f->location[0] == '\0')
            snprintf(f->location, sizeof f->location, "%s", loc);
    }
}

int mg_new_place(manage *m, const cli_args *a, const char *group, char *sub,
                 char *loc, size_t cap)
{
    rg_facts f = {.group = group};
    mg_each_resource(m->doc, learn_rg, &f);
    const char *s = cli_get(a, "subscription");
    if (s && strncasecmp(s, "/subscriptions/", 15) == 0)
        s += 15;
    if (s == NULL)
        s = f.subscription[0]
                ? f.subscription
                : (f.subscriptions < 2 && f.any_sub[0] ? f.any_sub : NULL);
    const char *l = cli_get(a, "location");
    if (l == NULL && f.location[0])
        l = f.location;
    if (s == NULL)
        return mg_usage(
            m,
            "give --subscription: no resource in %s names the subscription of resource group %s",
            m->file.path, group);
    if (l == NULL)
        return mg_usage(
            m,
            "give --location: no resource of resource group %s in %s has one (az takes the group's)",
            group, m->file.path);
    snprintf(sub, cap, "%s", s);
    snprintf(loc, cap, "%s", l);
    return MG_OK;
}

/*--------------------------------------------------------------------------
** Landing a change.
*/
/* The estate with the edited file's text replaced by text, loaded. */
static moat_loader *load_with(const manage *m, const char *text, size_t len)
{
    moat_loader *ld = moat_loader_new(0);
    if (ld == NULL)
        return NULL;
    if (m->estate_is_dir) {
        size_t n_files;
        char **files = cli_json_files(m->estate, &n_files);
        for (size_t i = 0; i < n_files; i++) {
            if (strcmp(files[i], m->file.path) != 0)
                moat_loader_add_path(ld, files[i]);
        }
        cli_free_files(files, n_files);
    }
    moat_loader_add_json(ld, m->file.path, text, len);
    moat_estate *es = NULL;
    moat_loader_finish(ld, &es);
    moat_estate_free(es);
    return ld;
}

static int same_error(const moat_diag *a, const moat_diag *b)
{
    return strcmp(a->message, b->message) == 0 &&
           strcmp(a->resource, b->resource) == 0;
}

/* Errors of the new estate that the old one did not have: what the change
** broke. Each old error excuses one new error of the same text. */
static size_t new_errors(const manage *m, const char *text, size_t len)
{
    moat_loader *before = load_with(m, m->file.text, m->file.len);
    moat_loader *after = load_with(m, text, len);
    if (before == NULL || after == NULL) {
        moat_loader_free(before);
        moat_loader_free(after);
        cli_error("out of memory");
        return 1;
    }
    size_t nb = moat_loader_diag_count(before);
    unsigned char *used = calloc(nb + 1, 1);
    size_t found = 0;
    for (size_t i = 0; i < moat_loader_diag_count(after); i++) {
        const moat_diag *d = moat_loader_diag(after, i);
        if (d->severity != MOAT_SEV_ERROR)
            continue;
        size_t j = 0;
        for (; j < nb; j++) {
            const moat_diag *o = moat_loader_diag(before, j);
            if (used && !used[j] && o->severity == MOAT_SEV_ERROR &&
                same_error(o, d))
                break;
        }
        if (used && j < nb) {
            used[j] = 1;
            continue;
        }
        cli_print_diag(d);
        found++;
    }
    free(used);
    moat_loader_free(before);
    moat_loader_free(after);
    return found;
}

/* Prints t as the text now has it. */
static int print_result(manage *m, const char *text, size_t len,
                        const mg_target *t)
{
    if (t == NULL || m->output_none)
        return MG_OK;
    moat_doc *doc;
    if (moat_doc_parse(text, len, &doc, NULL) != MOAT_OK)
        return MG_OK;
    moat_doc *old = m->doc;
    const moat_node *old_list = m->list;
    m->doc = doc;
    m->list = resource_list(doc);
    const moat_node *r = mg_find(m, t);
    int rc = r ? mg_print(m, r, t->type) : MG_OK;
    m->doc = old;
    m->list = old_list;
    moat_doc_free(doc);
    return rc;
}

int mg_commit(manage *m, const mg_target *t)
{
    size_t len;
    char *text = moat_doc_text(m->doc, &len);
    if (text == NULL) {
        cli_error("out of memory");
        return MG_NOT_WRITTEN;
    }
    int rc = MG_OK;
    if (len == m->file.len && memcmp(text, m->file.text, len) == 0) {
        if (!m->only_errors)
            fprintf(stderr, "moat: no change to %s\n", m->file.path);
    } else if (new_errors(m, text, len) > 0) {
        rc = mg_refuse(
            m,
            "the change would make the estate invalid: Azure refuses such a configuration (the errors above)");
    } else if (m->dry_run) {
        text_diff(stdout, m->file.path, m->file.text, m->file.len, text, len);
        free(text);
        return MG_OK;
    } else if (estate_file_replace(&m->file, text, len) != 0) {
        rc = MG_NOT_WRITTEN;
    }
    if (rc == MG_OK)
        rc = print_result(m, text, len, t);
    free(text);
    return rc;
}
