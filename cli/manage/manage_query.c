/*
** manage_query.c - --query of the az-style commands: JMESPath, as az's
** (tool/jmespath.h), on the JSON the command prints, printed as az prints
** a result (json.dumps with indent=2; nothing for null).
**
** az prints a resource with its properties flattened, and names a storage
** account's firewall networkRuleSet; moat prints the estate file's ARM
** JSON. So that az's queries answer on moat's files, a member the
** resource lacks is looked up under "properties", and networkRuleSet and
** networkAcls stand for each other; a storage account's firewall is
** filled with what Azure answers where the file is silent (decision.md
** section 1), and moat says when an answer rests on such a default. These
** fallbacks are seen by lookups only: keys(@), * and the printed JSON are
** the file's.
*/
#include "manage.h"

#include "jmespath.h"
#include "jmespath_moat.h"
#include "manage_view.h"
#include "az_output.h"

#include <stdlib.h>
#include <string.h>

/*--------------------------------------------------------------------------
** Compiling: a bad expression is a usage error that shows where.
*/
/* The expression on one line (control characters as spaces) and a caret
** under the code point at offset. */
static void show_position(tool_buf *b, const char *q, size_t offset)
{
    size_t len = strlen(q), column = 0;
    tb_printf(b, "\n  ");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)q[i];
        tb_printf(b, "%c", c < 0x20 ? ' ' : c);
        if (i < offset && (c & 0xc0) != 0x80)
            column++; /* code points before the offset, not bytes */
    }
    tb_printf(b, "\n  %*s^", (int)column, "");
}

/* Prints err (what, where) as a usage error; returns MG_USAGE. */
static int query_error(const manage *m, const char *what, const jp_error *err)
{
    tool_buf b = {0};
    show_position(&b, m->query, err->offset);
    int rc = mg_usage(m, "--query %s: %s%s", what, err->message,
                      b.failed ? "" : b.s);
    tb_free(&b);
    return rc;
}

int mg_query_compile(manage *m)
{
    if (m->query == NULL)
        return MG_OK;
    jp_error err;
    m->jq = jp_compile(m->query, strlen(m->query), &err);
    if (m->jq)
        return MG_OK;
    return query_error(m, "is not JMESPath (as az's --query is)", &err);
}

void mg_query_free(manage *m)
{
    jp_expr_free(m->jq);
    m->jq = NULL;
}

/*--------------------------------------------------------------------------
** The resource as --query reads it.
*/
/* Members collected for a new object (manage_view.h). */
typedef mg_members members;

static void add(members *m, const char *key, const jp_value *v)
{
    mg_members_add(m, key, strlen(key), v);
}

/* The members as an object (freed); NULL when they could not be. */
static const jp_value *to_object(jp_arena *a, members *m)
{
    return mg_members_done(a, m, NULL);
}

static const jp_value *object_or_null(const jp_value *v)
{
    return jp_type_of(v) == JP_OBJECT ? v : NULL;
}

static const jp_value *json(jp_arena *a, const char *text)
{
    return jp_parse_json(a, text, strlen(text), NULL);
}

/* What Azure answers for a storage account's firewall where the file is
** silent: the whole of it when there is none (az's "networkAcls": null
** too), else the members it lacks. Out of memory: fw as it is. */
static const jp_value *storage_defaults(jp_arena *a, const jp_value *fw)
{
    const jp_value *extra =
        json(a, "{\"ipv6Rules\": [], \"resourceAccessRules\": []}");
    const jp_value *base = json(
        a,
        "{\"bypass\": \"AzureServices\", \"virtualNetworkRules\": [], \"ipRules\": [], \"defaultAction\": \"Allow\"}");
    const jp_value *all =
        base && extra ? jp_new_object_fallback(a, base, extra) : NULL;
    if (fw == NULL || jp_type_of(fw) == JP_NULL)
        return all ? all : fw;
    return jp_type_of(fw) == JP_OBJECT && all
               ? jp_new_object_fallback(a, fw, all)
               : fw;
}

/* obj with the members named networkAcls or networkRuleSet set to fw,
** and both names looked up as fw when obj has neither. Out of memory (or
** no fw): obj as it is. */
static const jp_value *firewall_named(jp_arena *a, const jp_value *obj,
                                      const jp_value *fw)
{
    members own = {0}, aliases = {0};
    if (fw == NULL)
        return obj;
    for (size_t i = 0; i < jp_count(obj); i++) {
        const char *key = jp_key(obj, i, NULL);
        int is_fw = strcmp(key, "networkAcls") == 0 ||
                    strcmp(key, "networkRuleSet") == 0;
        add(&own, key, is_fw ? fw : jp_item(obj, i));
    }
    add(&aliases, "networkAcls", fw);
    add(&aliases, "networkRuleSet", fw);
    const jp_value *o = to_object(a, &own), *fb = to_object(a, &aliases);
    return o && fb ? jp_new_object_fallback(a, o, fb) : obj;
}

/* The resource's firewall as the file has it: under properties, or at
** the top as az exports it; NULL when there is none. */
static const jp_value *firewall_of(const jp_value *res, const jp_value *props)
{
    const jp_value *fw = jp_get(props, "networkAcls", 11);
    if (fw == NULL)
        fw = jp_get(res, "networkRuleSet", 14);
    if (fw == NULL)
        fw = jp_get(res, "networkAcls", 11);
    return fw;
}

/* A resource as az shows it: its properties flattened (looked up when the
** resource lacks a name), its firewall under both names, with Azure's
** defaults for a storage account when storage is set. Out of memory: res
** as the file has it (az's names then answer null). */
static const jp_value *resource_view(jp_arena *a, const jp_value *res,
                                     int storage)
{
    const jp_value *props = object_or_null(jp_get(res, "properties", 10));
    const jp_value *fw = firewall_of(res, props);
    if (storage)
        fw = storage_defaults(a, fw);
    if (jp_type_of(fw) == JP_NULL)
        fw = NULL;
    const jp_value *pview = props ? firewall_named(a, props, fw) : NULL;
    members top = {0}, flat = {0};
    for (size_t i = 0; i < jp_count(res); i++) {
        const char *key = jp_key(res, i, NULL);
        add(&top, key,
            strcmp(key, "properties") == 0 ? pview : jp_item(res, i));
    }
    for (size_t i = 0; i < jp_count(pview); i++)
        add(&flat, jp_key(pview, i, NULL), jp_item(pview, i));
    add(&flat, "networkRuleSet", fw);
    add(&flat, "networkAcls", fw);
    const jp_value *o = to_object(a, &top), *fb = to_object(a, &flat);
    o = o ? firewall_named(a, o, fw) : NULL; /* an az export's networkRuleSet */
    return o && fb ? jp_new_object_fallback(a, o, fb) : res;
}

/* What --query runs on: v, each resource in it viewed as az shows it
** (out of memory: as it is). */
static const jp_value *az_view(jp_arena *a, const jp_value *v, int storage)
{
    if (jp_type_of(v) == JP_OBJECT)
        return object_or_null(jp_get(v, "properties", 10)) || storage
                   ? resource_view(a, v, storage)
                   : v;
    if (jp_type_of(v) != JP_ARRAY)
        return v;
    size_t n = jp_count(v);
    const jp_value **items = malloc((n ? n : 1) * sizeof *items);
    if (items == NULL)
        return v;
    for (size_t i = 0; i < n; i++)
        items[i] = az_view(a, jp_item(v, i), 0);
    const jp_value *r = jp_new_array(a, items, n);
    free(items);
    return r ? r : v;
}

/*--------------------------------------------------------------------------
** Printing.
*/
/* What the command prints for doc, as az shows it (manage_view.c): a
** storage account flattened (with Azure's firewall defaults when
** defaults), resourceGroup added; the ARM view (az's names as lookups)
** behind it. Out of memory: the ARM view. */
static const jp_value *az_value(jp_arena *a, const jp_value *doc,
                                const char *type, int defaults);

/* A list of resources of type (list commands), each as az shows it. */
static const jp_value *az_list(jp_arena *a, const jp_value *doc,
                               const char *type, int defaults)
{
    size_t n = jp_count(doc);
    const jp_value **items = malloc((n ? n : 1) * sizeof *items);
    if (items == NULL)
        return doc;
    for (size_t i = 0; i < n; i++)
        items[i] = az_value(a, jp_item(doc, i), type, defaults);
    const jp_value *r = jp_new_array(a, items, n);
    free(items);
    return r ? r : doc;
}

static const jp_value *az_value(jp_arena *a, const jp_value *doc,
                                const char *type, int defaults)
{
    if (type && jp_type_of(doc) == JP_ARRAY &&
        strcmp(type, MG_SHAPE_STORAGE_RULES) != 0)
        return az_list(a, doc, type, defaults);
    int storage = type && strcmp(type, TYPE_STORAGE) == 0;
    const jp_value *arm = az_view(a, doc, storage && defaults);
    const jp_value *shaped = arm;
    if (storage && jp_type_of(doc) == JP_OBJECT) {
        const jp_value *props = object_or_null(jp_get(doc, "properties", 10));
        const jp_value *fw = firewall_of(doc, props);
        if (defaults)
            fw = storage_defaults(a, fw);
        shaped = mg_storage_view(a, doc, fw, arm);
    } else if (type && strcmp(type, MG_SHAPE_STORAGE_RULES) == 0) {
        shaped = mg_storage_rules_view(a, arm);
    }
    const jp_value *grouped = shaped ? mg_with_groups(a, shaped) : NULL;
    return grouped ? grouped : arm;
}

/* The --query result on the view with storage defaults or without; NULL
** after printing the error. */
static const jp_value *evaluate(manage *m, jp_arena *a, const jp_value *doc,
                                const char *type, int defaults, int *rc)
{
    jp_error err;
    const jp_value *r = jp_eval(m->jq, az_value(a, doc, type, defaults), a,
                                &err);
    if (r == NULL && rc)
        *rc = query_error(m, "failed on the JSON", &err);
    return r;
}

/* r as az prints it in the -o format; MG_NOT_WRITTEN when it cannot be
** written (past the writer's bound, out of memory). */
static int print_result(const manage *m, const jp_value *r)
{
    if (jp_type_of(r) == JP_NULL && m->query) { /* az prints nothing */
        if (!m->only_errors)
            fprintf(
                stderr,
                "moat: note: --query '%s' is null: it is not in the resource\n",
                m->query);
        return MG_OK;
    }
    if (az_output_print(stdout, r, m->output, m->jq != NULL) != 0) {
        cli_error("the result is too large to print, or stdout failed");
        return MG_NOT_WRITTEN;
    }
    return MG_OK;
}

int mg_query_print(manage *m, const moat_node *n, const char *type)
{
    int rc = MG_OK, storage = type && strcmp(type, TYPE_STORAGE) == 0;
    jp_arena *a = jp_arena_new(0, 0);
    jp_error err;
    const jp_value *doc = a ? jp_from_moat(a, n, &err) : NULL;
    const jp_value *r = NULL;
    if (doc == NULL) {
        cli_error("%s", a ? err.message : "out of memory");
        rc = MG_NOT_WRITTEN;
    } else if (m->jq) {
        r = evaluate(m, a, doc, type, 1, &rc);
    } else {
        r = az_value(a, doc, type, 1);
    }
    if (r && m->jq && storage && !m->only_errors) {
        /* the same query without the defaults, quietly */
        const jp_value *plain = evaluate(m, a, doc, type, 0, NULL);
        if (plain == NULL || !jp_equal(plain, r))
            fprintf(
                stderr,
                "moat: note: the file does not say; this is Azure's default for a storage account's firewall (networkRuleSet)\n");
    }
    if (r)
        rc = print_result(m, r);
    jp_arena_free(a);
    return rc;
}
