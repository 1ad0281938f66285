/*
** manage_generic.c - az's generic update arguments on `update` commands
** (azure-cli core, commands/arm.py: set_properties, add_properties,
** remove_properties), applied to the resource in the estate file after
** the command's own flags, in the order given:
**
**   --set PATH=VALUE          a property (added when its object lacks it)
**   --add PATH VALUE...       elements appended to a list: consecutive
**                             KEY=VALUE words make one object, any other
**                             word is one element
**   --remove PATH [INDEX]     a property, or a list's element
**
** PATH is dotted, with [N] for a list's element, in az's names: a storage
** account's as azure-mgmt-storage shows it (networkRuleSet.defaultAction,
** flattened properties, ipAddressOrRange), a vault's as ARM nests it;
** snake_case is camelCase (default_action is defaultAction), and names
** match ignoring case, as ARM's. VALUE is JSON when it parses as JSON,
** else a string. Enumerations are stored as Azure spells them: Azure
** answered "Deny" to --set networkRuleSet.default_action=deny
** (azure-cli-recordings: storage_account_service_endpoints step 3).
*/
#include "manage_generic.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_SEGMENTS 32
#define MAX_NAME 128

typedef struct gpath {
    char key[MAX_SEGMENTS][MAX_NAME]; /* "" for an index */
    long index[MAX_SEGMENTS];         /* -1 for a key */
    size_t n;
} gpath;

/* snake_case as camelCase (az's paths take both). */
static void camel(char *dst, size_t cap, const char *src, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        if (src[i] == '_' && i + 1 < n && o > 0) {
            dst[o++] = (char)toupper((unsigned char)src[++i]);
            continue;
        }
        dst[o++] = src[i];
    }
    dst[o] = '\0';
}

static int add_key(gpath *p, const char *s, size_t n)
{
    if (n == 0 || n >= MAX_NAME || p->n == MAX_SEGMENTS)
        return -1;
    camel(p->key[p->n], MAX_NAME, s, n);
    p->index[p->n++] = -1;
    return 0;
}

/* "a.b[2].c" into segments; -1 when malformed. */
static int parse_path(const char *text, gpath *p)
{
    memset(p, 0, sizeof *p);
    const char *s = text;
    while (*s) {
        size_t n = strcspn(s, ".[");
        if (n > 0 && add_key(p, s, n) != 0)
            return -1;
        s += n;
        while (*s == '[') {
            char *end;
            long i = strtol(s + 1, &end, 10);
            if (end == s + 1 || *end != ']' || i < 0 || p->n == MAX_SEGMENTS)
                return -1;
            p->key[p->n][0] = '\0';
            p->index[p->n++] = i;
            s = end + 1;
        }
        if (*s == '.')
            s++;
        else if (*s)
            return -1;
    }
    return p->n > 0 ? 0 : -1;
}

/*--------------------------------------------------------------------------
** az's names to the file's.
*/
static const char *const top_level[] = {
    "id",   "name", "type",     "location",         "tags",      "sku",
    "kind", "etag", "identity", "extendedLocation", "properties"};

/* azure-mgmt-storage's names and ARM's. */
static const char *const storage_names[][2] = {
    {"networkRuleSet", "networkAcls"},
    {"enableHttpsTrafficOnly", "supportsHttpsTrafficOnly"},
    {"enableNfsV3", "isNfsV3Enabled"},
    {"ipAddressOrRange", "value"},
    {"virtualNetworkResourceId", "id"},
};

static void rename_storage(char *key)
{
    for (size_t i = 0; i < sizeof storage_names / sizeof storage_names[0]; i++)
        if (strcasecmp(key, storage_names[i][0]) == 0)
            snprintf(key, MAX_NAME, "%s", storage_names[i][1]);
}

/* A storage path from az's flattened shape to the file's (under
** properties when the resource has them). */
static void storage_to_arm(gpath *p, const moat_node *res)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->index[i] < 0)
            rename_storage(p->key[i]);
    int top = 0;
    for (size_t i = 0; i < sizeof top_level / sizeof top_level[0]; i++)
        top |= strcasecmp(p->key[0], top_level[i]) == 0;
    if (top || mg_properties(res) == NULL || p->n == MAX_SEGMENTS)
        return;
    memmove(&p->key[1], &p->key[0], p->n * sizeof p->key[0]);
    memmove(&p->index[1], &p->index[0], p->n * sizeof p->index[0]);
    snprintf(p->key[0], MAX_NAME, "properties");
    p->index[0] = -1;
    p->n++;
}

/* The node at the first n segments of p, or NULL (*missing names the
** segment not found). */
static const moat_node *walk(const moat_node *res, const gpath *p, size_t n,
                             size_t *missing)
{
    const moat_node *at = res;
    for (size_t i = 0; i < n && at; i++) {
        *missing = i;
        if (p->index[i] >= 0) {
            at = moat_node_kind(at) == MOAT_NODE_ARRAY ? moat_node_child(at)
                                                       : NULL;
            for (long k = 0; at && k < p->index[i]; k++)
                at = moat_node_next(at);
        } else {
            at = moat_node_kind(at) == MOAT_NODE_OBJECT
                     ? moat_node_get(at, p->key[i])
                     : NULL;
        }
    }
    return at;
}

/*--------------------------------------------------------------------------
** Values.
*/
/* Enumerations Azure spells one way, by the property's name. */
static const char *const enum_values[][4] = {
    {"defaultAction", "Allow", "Deny", NULL},
    {"action", "Allow", NULL, NULL},
    {"publicNetworkAccess", "Enabled", "Disabled", "SecuredByPerimeter"},
    {"minimumTlsVersion", "TLS1_0", "TLS1_1", "TLS1_2"},
};

/* VALUE as JSON text: itself when it is JSON, else a string (an
** enumeration's value spelled as Azure spells it). */
static void value_json(tool_buf *b, const char *key, const char *value)
{
    moat_doc *d = NULL;
    if (moat_doc_parse(value, strlen(value), &d, NULL) == MOAT_OK) {
        moat_doc_free(d);
        tb_printf(b, "%s", value);
        return;
    }
    for (size_t i = 0; key && i < sizeof enum_values / sizeof enum_values[0];
         i++) {
        if (strcasecmp(key, enum_values[i][0]) != 0)
            continue;
        for (size_t k = 1; k < 4 && enum_values[i][k]; k++)
            if (strcasecmp(value, enum_values[i][k]) == 0)
                value = enum_values[i][k];
    }
    tb_json_str(b, value);
}

/* KEY=VALUE words from words[0] on as one JSON object; *used words. */
static void pairs_object(tool_buf *b, const char *const *words, size_t n,
                         int storage, size_t *used)
{
    tb_printf(b, "{");
    size_t i = 0;
    for (; i < n && strchr(words[i], '='); i++) {
        const char *eq = strchr(words[i], '=');
        char key[MAX_NAME];
        camel(key, sizeof key, words[i], (size_t)(eq - words[i]));
        if (storage)
            rename_storage(key);
        tb_printf(b, "%s", i ? ", " : "");
        tb_json_str(b, key);
        tb_printf(b, ": ");
        value_json(b, key, eq + 1);
    }
    tb_printf(b, "}");
    *used = i;
}

/*--------------------------------------------------------------------------
** The three arguments.
*/
typedef struct gen_ctx {
    manage *m;
    const mg_target *t;
    int storage;
} gen_ctx;

/* Earlier edits made real, the resource found again, PATH parsed in the
** file's names. */
static int resolve(gen_ctx *g, const char *flag, const char *text, gpath *p,
                   const moat_node **res)
{
    int rc = mg_apply(g->m);
    if (rc != MG_OK)
        return rc;
    if ((*res = mg_find(g->m, g->t)) == NULL)
        return MG_NOT_FOUND;
    if (parse_path(text, p) != 0)
        return mg_usage(
            g->m,
            "--%s: '%s' is not a property path (name.name[N].name, as az's)",
            flag, text);
    if (g->storage)
        storage_to_arm(p, *res);
    return MG_OK;
}

static int not_found(gen_ctx *g, const gpath *p, size_t missing,
                     const char *text)
{
    if (p->index[missing] >= 0)
        return mg_usage(g->m, "index %ld is out of range in '%s'",
                        p->index[missing], text);
    return mg_usage(g->m, "Couldn't find '%s' in '%s' (as az says)",
                    p->key[missing], text);
}

static int edit_failed(const moat_error *err)
{
    cli_error("%s", err->message);
    return MG_NOT_WRITTEN;
}

static int op_set(gen_ctx *g, const char *arg)
{
    const char *eq = strchr(arg, '=');
    char text[1024];
    if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof text)
        return mg_usage(g->m, "--set takes PATH=VALUE, not '%s'", arg);
    snprintf(text, sizeof text, "%.*s", (int)(eq - arg), arg);
    gpath p;
    const moat_node *res;
    int rc = resolve(g, "set", text, &p, &res);
    size_t missing = 0;
    const moat_node *parent = rc == MG_OK ? walk(res, &p, p.n - 1, &missing)
                                          : NULL;
    if (rc == MG_OK && parent == NULL)
        return not_found(g, &p, missing, text);
    if (rc != MG_OK)
        return rc;
    size_t last = p.n - 1;
    tool_buf b = {0};
    value_json(&b, p.index[last] < 0 ? p.key[last] : NULL, eq + 1);
    moat_error err;
    if (b.failed) {
        rc = MG_NOT_WRITTEN;
    } else if (p.index[last] >= 0) {
        const moat_node *el = walk(res, &p, p.n, &missing);
        rc = el == NULL ? not_found(g, &p, last, text)
             : moat_doc_replace(g->m->doc, el, b.s, &err) == MOAT_OK
                 ? MG_OK
                 : edit_failed(&err);
    } else if (moat_node_kind(parent) != MOAT_NODE_OBJECT) {
        rc = mg_usage(g->m, "--set: '%s' is not inside an object", text);
    } else {
        rc = mg_set(g->m, parent, p.key[last], b.s);
    }
    tb_free(&b);
    return rc;
}

/* The list at path, for --add and --remove with an index. */
static int find_list(gen_ctx *g, const char *flag, const char *text,
                     const moat_node **list)
{
    gpath p;
    const moat_node *res;
    int rc = resolve(g, flag, text, &p, &res);
    size_t missing = 0;
    if (rc == MG_OK && (*list = walk(res, &p, p.n, &missing)) == NULL)
        rc = not_found(g, &p, missing, text);
    if (rc == MG_OK && moat_node_kind(*list) != MOAT_NODE_ARRAY)
        rc = mg_usage(g->m, "--%s: '%s' is not a list", flag, text);
    return rc;
}

static int op_add(gen_ctx *g, const char *const *words, size_t n)
{
    const moat_node *list;
    if (n < 2)
        return mg_usage(g->m, "--add takes PATH and what to add");
    int rc = find_list(g, "add", words[0], &list);
    for (size_t i = 1; rc == MG_OK && i < n;) {
        tool_buf b = {0};
        size_t used = 1;
        if (strchr(words[i], '='))
            pairs_object(&b, words + i, n - i, g->storage, &used);
        else
            value_json(&b, NULL, words[i]);
        moat_error err;
        rc = b.failed ? MG_NOT_WRITTEN
             : moat_doc_add(g->m->doc, list, NULL, b.s, &err) == MOAT_OK
                 ? MG_OK
                 : edit_failed(&err);
        tb_free(&b);
        i += used;
    }
    return rc;
}

static int op_remove(gen_ctx *g, const char *const *words, size_t n)
{
    const moat_node *container, *child;
    moat_error err;
    int rc;
    if (n >= 2) {
        char *end;
        long index = strtol(words[1], &end, 10);
        if (*end || index < 0)
            return mg_usage(g->m, "--remove: '%s' is not a list index",
                            words[1]);
        rc = find_list(g, "remove", words[0], &container);
        child = rc == MG_OK ? moat_node_child(container) : NULL;
        for (long k = 0; child && k < index; k++)
            child = moat_node_next(child);
        if (rc == MG_OK && child == NULL)
            return mg_usage(g->m, "index %ld is out of range in '%s'", index,
                            words[0]);
    } else {
        gpath p;
        const moat_node *res;
        size_t missing = 0;
        rc = resolve(g, "remove", words[0], &p, &res);
        container = rc == MG_OK ? walk(res, &p, p.n - 1, &missing) : NULL;
        child = container ? walk(res, &p, p.n, &missing) : NULL;
        if (rc == MG_OK && child == NULL)
            return not_found(g, &p, missing, words[0]);
    }
    if (rc != MG_OK)
        return rc;
    return moat_doc_remove(g->m->doc, container, &child, 1, &err) == MOAT_OK
               ? MG_OK
               : edit_failed(&err);
}

int mg_generic_given(const cli_args *a)
{
    return cli_has(a, "set") || cli_has(a, "add") || cli_has(a, "remove");
}

int mg_generic_update(manage *m, const mg_target *t, const cli_args *a,
                      int storage)
{
    gen_ctx g = {m, t, storage};
    int rc = MG_OK;
    for (int i = 0; i < a->n_opts && rc == MG_OK; i++) {
        const char *name = a->opts[i].name;
        if (a->opts[i].more || (strcmp(name, "set") != 0 &&
                                strcmp(name, "add") != 0 &&
                                strcmp(name, "remove") != 0))
            continue;
        const char *words[CLI_MAX_ARGS];
        size_t n = 0;
        words[n++] = a->opts[i].value;
        for (int k = i + 1; k < a->n_opts && a->opts[k].more &&
                            strcmp(a->opts[k].name, name) == 0;
             k++)
            words[n++] = a->opts[k].value;
        if (strcmp(name, "set") == 0)
            for (size_t k = 0; k < n && rc == MG_OK; k++)
                rc = op_set(&g, words[k]);
        else if (strcmp(name, "add") == 0)
            rc = op_add(&g, words, n);
        else
            rc = op_remove(&g, words, n);
    }
    return rc;
}
