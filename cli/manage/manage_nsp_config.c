/*
** manage_nsp_config.c - `moat storage account network-security-perimeter-
** configuration list|show|reconcile`: Azure's read-only view of the
** perimeter a storage account is in (Microsoft.Storage
** networkSecurityPerimeterConfigurations), computed from the estate: for
** each association of the account, the perimeter (id, perimeterGuid,
** location), the association (name, accessMode) and its profile (name,
** accessRulesVersion, access rules), named "<perimeterGuid>.<association>"
** (realworld/azure-cli-recordings/storage_account_nsp_configuration.json).
** Configurations the estate holds as resources of their own (exported from
** Azure) are listed as they are.
**
** Printed as az prints them: properties flattened into the object (the az
** command's output schema marks properties client_flatten), versions as
** numbers (Storage's model; Microsoft.Network writes them as strings).
** Storage's access rule model has no service tags, e-mail addresses or
** phone numbers; a rule shows its direction, addressPrefixes,
** subscriptions, networkSecurityPerimeters and fullyQualifiedDomainNames.
** reconcile asks Azure to refresh the view and answers nothing; moat's
** view is computed afresh every time, so it only checks that the
** configuration exists.
*/
#include "manage_nsp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_VIEWS 8
#define CONFIGS "/networkSecurityPerimeterConfigurations/"

typedef struct nsp_view {
    char assoc_name[256], mode[32], profile_id[1024], nsp_id[1024];
    char guid[64], location[128], profile_name[256];
    long rules_version, diag_version;
    int have_nsp;
    tool_buf rules;
    size_t n_rules;
} nsp_view;

typedef struct view_set {
    const char *account_id;
    nsp_view v[MAX_VIEWS];
    size_t n;
    const moat_doc *doc; /* the document being visited */
    mg_strings stored;   /* configurations held as resources, flattened */
} view_set;

/*--------------------------------------------------------------------------
** Visiting every resource of the estate.
*/
typedef struct visit {
    void (*fn)(const moat_node *r, void *ctx);
    view_set *set;
} visit;

static void visit_doc(const moat_doc *d, void *ctx)
{
    visit *x = ctx;
    x->set->doc = d;
    mg_each_resource(d, x->fn, x->set);
}

static void each_everywhere(manage *m, void (*fn)(const moat_node *, void *),
                            view_set *s)
{
    visit x = {fn, s};
    visit_doc(m->doc, &x);
    mg_each_other_doc(m, visit_doc, &x);
}

/* The first place needle is in hay, ignoring case (ARM ids). */
static const char *find_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return hay;
    return NULL;
}

static int is_type(const moat_node *r, const char *type)
{
    const char *t = mg_str(r, "type");
    return t && strcasecmp(t, type) == 0;
}

static void copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

/* A version, string ("0") or number (0), as a number. */
static long version_of(const moat_node *props, const char *key)
{
    const moat_node *v = moat_node_get(props, key);
    const char *text = moat_node_text(v);
    return text ? strtol(text, NULL, 10) : 0;
}

/*--------------------------------------------------------------------------
** Pass 1: the account's associations, and configurations held as such.
*/
/* The object res with the members of its properties in place of
** properties, as az's client_flatten prints it. */
static int flatten(const moat_doc *d, const moat_node *res, tool_buf *b)
{
    size_t n = 0;
    tb_printf(b, "{");
    for (const moat_node *m = moat_node_child(res); m; m = moat_node_next(m)) {
        const char *key = moat_node_key(m);
        int props = strcmp(key, "properties") == 0 &&
                    moat_node_kind(m) == MOAT_NODE_OBJECT;
        for (const moat_node *p = props ? moat_node_child(m) : m; p;
             p = props ? moat_node_next(p) : NULL) {
            char *text = moat_doc_slice(d, p);
            tb_printf(b, "%s", n++ ? ", " : "");
            tb_json_str(b, moat_node_key(p));
            tb_printf(b, ": %s", text ? text : "null");
            b->failed |= text == NULL;
            moat_free(text);
        }
    }
    tb_printf(b, "}");
    return b->failed ? MG_NOT_WRITTEN : MG_OK;
}

static void find_assocs(const moat_node *r, void *ctx)
{
    view_set *s = ctx;
    const char *id = mg_str(r, "id");
    size_t an = strlen(s->account_id);
    if (id && is_type(r, TYPE_NSP_CONFIGURATION) &&
        strncasecmp(id, s->account_id, an) == 0 && id[an] == '/') {
        tool_buf b = {0};
        if (flatten(s->doc, r, &b) == MG_OK)
            mg_strings_take(&s->stored, &b);
        tb_free(&b);
        return;
    }
    const moat_node *p = mg_properties(r);
    const char *res = mg_str(moat_node_get(p, "privateLinkResource"), "id");
    const char *cut = id ? find_ci(id, "/resourceAssociations/") : NULL;
    if (!is_type(r, TYPE_ASSOCIATION) || res == NULL || cut == NULL ||
        strcasecmp(res, s->account_id) != 0 || s->n == MAX_VIEWS)
        return;
    nsp_view *v = &s->v[s->n++];
    copy(v->assoc_name, sizeof v->assoc_name, mg_str(r, "name"));
    snprintf(v->nsp_id, sizeof v->nsp_id, "%.*s", (int)(cut - id), id);
    copy(v->profile_id, sizeof v->profile_id,
         mg_str(moat_node_get(p, "profile"), "id"));
    const char *mode = mg_str(p, "accessMode");
    /* decision.md: Transition is the portal's name for Learning, the
    ** name Azure answers with. */
    if (mode == NULL || strcasecmp(mode, "Transition") == 0)
        mode = "Learning";
    copy(v->mode, sizeof v->mode, mode);
    const char *slash = strrchr(v->profile_id, '/');
    copy(v->profile_name, sizeof v->profile_name,
         slash ? slash + 1 : v->profile_id);
}

/*--------------------------------------------------------------------------
** Pass 2: their perimeters, profiles and access rules.
*/
static void string_list(tool_buf *b, const moat_node *list)
{
    size_t n = 0;
    tb_printf(b, "[");
    for (const moat_node *e = moat_node_child(list); e; e = moat_node_next(e))
        if (moat_node_kind(e) == MOAT_NODE_STRING) {
            tb_printf(b, "%s", n++ ? ", " : "");
            tb_json_str(b, moat_node_text(e));
        }
    tb_printf(b, "]");
}

/* A list of objects, each with the string members keys has. */
static void object_list(tool_buf *b, const moat_node *list,
                        const char *const *keys, size_t n_keys)
{
    size_t n = 0;
    tb_printf(b, "[");
    for (const moat_node *e = moat_node_child(list); e; e = moat_node_next(e)) {
        size_t k = 0;
        tb_printf(b, "%s{", n++ ? ", " : "");
        for (size_t i = 0; i < n_keys; i++)
            if (mg_str(e, keys[i])) {
                tb_printf(b, "%s\"%s\": ", k++ ? ", " : "", keys[i]);
                tb_json_str(b, mg_str(e, keys[i]));
            }
        tb_printf(b, "}");
    }
    tb_printf(b, "]");
}

static void append_rule(nsp_view *v, const moat_node *r)
{
    static const char *const sub_keys[] = {"id"};
    static const char *const nsp_keys[] = {"id", "perimeterGuid", "location"};
    const moat_node *p = mg_properties(r);
    const char *dir = mg_str(p, "direction");
    tool_buf *b = &v->rules;
    tb_printf(b, "%s{\"name\": ", v->n_rules++ ? ", " : "");
    tb_json_str(b, mg_str(r, "name"));
    tb_printf(b, ", \"properties\": {\"direction\": ");
    tb_json_str(b, dir ? dir : "Inbound");
    tb_printf(b, ", \"addressPrefixes\": ");
    string_list(b, moat_node_get(p, "addressPrefixes"));
    tb_printf(b, ", \"subscriptions\": ");
    object_list(b, moat_node_get(p, "subscriptions"), sub_keys, 1);
    tb_printf(b, ", \"networkSecurityPerimeters\": ");
    object_list(b, moat_node_get(p, "networkSecurityPerimeters"), nsp_keys, 3);
    tb_printf(b, ", \"fullyQualifiedDomainNames\": ");
    string_list(b, moat_node_get(p, "fullyQualifiedDomainNames"));
    tb_printf(b, "}}");
}

static void fill_view(nsp_view *v, const moat_node *r, const char *id)
{
    const moat_node *p = mg_properties(r);
    size_t pn = strlen(v->profile_id);
    if (is_type(r, TYPE_NSP) && strcasecmp(id, v->nsp_id) == 0) {
        copy(v->nsp_id, sizeof v->nsp_id, id);
        copy(v->guid, sizeof v->guid, mg_str(p, "perimeterGuid"));
        copy(v->location, sizeof v->location, mg_str(r, "location"));
        v->have_nsp = v->guid[0] != '\0';
    } else if (is_type(r, TYPE_PROFILE) && strcasecmp(id, v->profile_id) == 0) {
        copy(v->profile_name, sizeof v->profile_name, mg_str(r, "name"));
        v->rules_version = version_of(p, "accessRulesVersion");
        v->diag_version = version_of(p, "diagnosticSettingsVersion");
    } else if (is_type(r, TYPE_ACCESS_RULE) && pn &&
               strncasecmp(id, v->profile_id, pn) == 0 && id[pn] == '/') {
        append_rule(v, r);
    }
}

static void fill_views(const moat_node *r, void *ctx)
{
    view_set *s = ctx;
    const char *id = mg_str(r, "id");
    for (size_t i = 0; id && i < s->n; i++)
        fill_view(&s->v[i], r, id);
}

/*--------------------------------------------------------------------------
** The configuration, as az prints it.
*/
static void view_json(const view_set *s, const nsp_view *v, tool_buf *b)
{
    char name[512], id[2048];
    snprintf(name, sizeof name, "%s.%s", v->guid, v->assoc_name);
    snprintf(id, sizeof id, "%s" CONFIGS "%s", s->account_id, name);
    tb_printf(b, "{\"id\": ");
    tb_json_str(b, id);
    mg_json_member(b, "name", name);
    mg_json_member(b, "type", TYPE_NSP_CONFIGURATION);
    mg_json_member(b, "provisioningState", "Succeeded");
    tb_printf(b, ", \"networkSecurityPerimeter\": {\"id\": ");
    tb_json_str(b, v->nsp_id);
    mg_json_member(b, "perimeterGuid", v->guid);
    mg_json_member(b, "location", v->location);
    tb_printf(b, "}, \"resourceAssociation\": {\"name\": ");
    tb_json_str(b, v->assoc_name);
    mg_json_member(b, "accessMode", v->mode);
    tb_printf(b, "}, \"profile\": {\"name\": ");
    tb_json_str(b, v->profile_name);
    tb_printf(b,
                  ", \"accessRulesVersion\": %ld, \"accessRules\": [%s], "
                  "\"diagnosticSettingsVersion\": %ld, "
                  "\"enabledLogCategories\": []}}",
                  v->rules_version, v->rules.s ? v->rules.s : "",
                  v->diag_version);
}

/*--------------------------------------------------------------------------
** The commands.
*/
typedef struct config_cmd {
    manage m;
    view_set set;
    mg_strings configs, names; /* each configuration's JSON and name */
    char account[128], group[256], sub[128], by_id[512];
} config_cmd;

static void config_close(config_cmd *c)
{
    for (size_t i = 0; i < c->set.n; i++)
        tb_free(&c->set.v[i].rules);
    mg_strings_free(&c->set.stored);
    mg_strings_free(&c->configs);
    mg_strings_free(&c->names);
    mg_close(&c->m);
}

/* --ids: the account, and the configuration's name, from its ARM id. */
static int config_ids(config_cmd *c, const cli_args *a, mg_target *t)
{
    const char *id = cli_get(a, "ids");
    const char *acc = id ? find_ci(id, "/storageAccounts/") : NULL;
    const char *cfg = acc ? find_ci(acc, CONFIGS) : NULL;
    if (cli_count(a, "ids") > 1 || t->name || cli_has(a, "name"))
        return mg_usage(&c->m, "--ids: one configuration's ARM id, instead "
                               "of --account-name and --name");
    if (cfg == NULL || !mg_id_part(id, "resourceGroups", c->group,
                                   sizeof c->group) ||
        !mg_id_part(id, "subscriptions", c->sub, sizeof c->sub))
        return mg_usage(&c->m,
                        "--ids '%s' is not the ARM id of a storage account's "
                        "network security perimeter configuration",
                        id);
    acc += strlen("/storageAccounts/");
    snprintf(c->account, sizeof c->account, "%.*s", (int)(cfg - acc), acc);
    snprintf(c->by_id, sizeof c->by_id, "%s", cfg + strlen(CONFIGS));
    t->name = c->account;
    t->group = c->group;
    t->subscription = c->sub;
    return MG_OK;
}

/* The account's name as Azure allows it (az checks it before calling). */
static int valid_account_name(const char *s)
{
    size_t n = strlen(s);
    return n >= 3 && n <= 24 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
                                          "0123456789") == n;
}

static int add_config(config_cmd *c, const char *name, tool_buf *json)
{
    for (size_t i = 0; i < c->names.n; i++)
        if (strcasecmp(c->names.s[i], name) == 0) {
            tb_free(json); /* computed from the estate already */
            return MG_OK;
        }
    tool_buf n = {0};
    tb_printf(&n, "%s", name);
    int rc = mg_strings_take(&c->names, &n);
    if (rc == MG_OK)
        rc = mg_strings_take(&c->configs, json);
    tb_free(&n);
    tb_free(json);
    return rc;
}

/* The name member of a flattened configuration. */
static int stored_name(const char *json, char *name, size_t cap)
{
    moat_doc *d = NULL;
    int ok = moat_doc_parse(json, strlen(json), &d, NULL) == MOAT_OK &&
             mg_str(moat_doc_root(d), "name");
    if (ok)
        copy(name, cap, mg_str(moat_doc_root(d), "name"));
    moat_doc_free(d);
    return ok;
}

static int collect(config_cmd *c)
{
    each_everywhere(&c->m, find_assocs, &c->set);
    each_everywhere(&c->m, fill_views, &c->set);
    int rc = MG_OK;
    for (size_t i = 0; i < c->set.n && rc == MG_OK; i++) {
        nsp_view *v = &c->set.v[i];
        if (!v->have_nsp) {
            mg_warn(&c->m,
                    "association %s names perimeter %s, which the estate "
                    "does not hold (or holds without perimeterGuid)",
                    v->assoc_name, v->nsp_id);
            continue;
        }
        char name[512];
        snprintf(name, sizeof name, "%s.%s", v->guid, v->assoc_name);
        tool_buf b = {0};
        view_json(&c->set, v, &b);
        rc = b.failed || v->rules.failed ? MG_NOT_WRITTEN
                                         : add_config(c, name, &b);
        tb_free(&b);
    }
    for (size_t i = 0; i < c->set.stored.n && rc == MG_OK; i++) {
        char name[512];
        tool_buf b = {0};
        tb_printf(&b, "%s", c->set.stored.s[i]);
        rc = stored_name(b.s, name, sizeof name) ? add_config(c, name, &b)
                                                 : MG_OK;
        tb_free(&b);
    }
    return rc;
}

static int config_open(config_cmd *c, const char *command, const cli_args *a)
{
    memset(c, 0, sizeof *c);
    mg_target t = {TYPE_STORAGE,
                   cli_get(a, "account-name"),
                   cli_get(a, "resource-group"),
                   cli_get(a, "subscription"),
                   "storage account",
                   NULL};
    c->m.command = command;
    int rc = cli_has(a, "ids") ? config_ids(c, a, &t) : MG_OK;
    if (rc == MG_OK && t.name == NULL)
        rc = mg_usage(&c->m, "give the account: --account-name NAME");
    else if (rc == MG_OK && !valid_account_name(t.name))
        rc = mg_usage(&c->m,
                      "--account-name '%s': 3 to 24 lower-case letters and "
                      "digits",
                      t.name);
    if (rc == MG_OK)
        rc = mg_open(&c->m, command, a, &t);
    const moat_node *acc = rc == MG_OK ? mg_find(&c->m, &t) : NULL;
    c->set.account_id = acc ? mg_str(acc, "id") : NULL;
    if (rc == MG_OK && c->set.account_id == NULL)
        rc = MG_NOT_FOUND;
    return rc == MG_OK ? collect(c) : rc;
}

/* The configuration named by --name (or --ids): MG_OK with its index in
** *at, or an exit status after saying why. */
static int config_named(config_cmd *c, const cli_args *a, size_t *at)
{
    const char *name = c->by_id[0] ? c->by_id : cli_get(a, "name");
    if (name == NULL)
        name = cli_get(a, "network-security-perimeter-configuration-name");
    if (name == NULL)
        return mg_usage(&c->m,
                        "give the configuration: --name GUID.ASSOCIATION");
    for (*at = 0; *at < c->names.n; (*at)++)
        if (strcasecmp(c->names.s[*at], name) == 0)
            return MG_OK;
    cli_error("storage account %s has no network security perimeter "
              "configuration named '%s' (it has %zu: one per association)",
              c->set.account_id, name, c->names.n);
    return MG_NOT_FOUND;
}

static int print_text(manage *m, const char *json)
{
    size_t n = strlen(json);
    tool_buf b = {.s = (char *)json, .len = n, .cap = n + 1}; /* a view */
    return mg_print_json(m, &b, NULL);
}

static int config_list(const cli_args *a)
{
    config_cmd c;
    int rc = config_open(
        &c, "storage account network-security-perimeter-configuration list", a);
    tool_buf b = {0};
    tb_printf(&b, "[");
    for (size_t i = 0; rc == MG_OK && i < c.configs.n; i++)
        tb_printf(&b, "%s%s", i ? ", " : "", c.configs.s[i]);
    tb_printf(&b, "]");
    if (rc == MG_OK)
        rc = b.failed ? MG_NOT_WRITTEN : print_text(&c.m, b.s);
    tb_free(&b);
    config_close(&c);
    return rc;
}

static int config_show(const cli_args *a)
{
    config_cmd c;
    int rc = config_open(
        &c, "storage account network-security-perimeter-configuration show", a);
    size_t i = 0;
    if (rc == MG_OK)
        rc = config_named(&c, a, &i);
    if (rc == MG_OK)
        rc = print_text(&c.m, c.configs.s[i]);
    config_close(&c);
    return rc;
}

static int config_reconcile(const cli_args *a)
{
    config_cmd c;
    int rc = config_open(
        &c, "storage account network-security-perimeter-configuration reconcile",
        a);
    size_t i = 0;
    if (rc == MG_OK)
        rc = config_named(&c, a, &i);
    config_close(&c);
    return rc;
}

static const cli_spec config_spec[] = {
    MG_COMMON_SPEC,
    {"account-name", 1, 0},
    {"name", 1, 'n'},
    {"network-security-perimeter-configuration-name", 1, 0},
    {NULL, 0, 0}};

#define CONFIG_HELP                                                            \
    "  --account-name NAME        the storage account\n"
#define CONFIG_NAME_HELP                                                       \
    "  --name, -n GUID.ASSOC      the configuration: the perimeter's GUID and\n" \
    "                             the association's name (also\n"            \
    "                             --network-security-perimeter-configuration-" \
    "name)\n"

const mg_command mg_nsp_config_commands[] = {
    {"storage account network-security-perimeter-configuration list",
     "print the perimeter configurations of an account (computed from the "
     "estate)",
     CONFIG_HELP, config_spec, config_list},
    {"storage account network-security-perimeter-configuration show",
     "print one perimeter configuration of an account",
     CONFIG_HELP CONFIG_NAME_HELP, config_spec, config_show},
    {"storage account network-security-perimeter-configuration reconcile",
     "refresh a configuration (moat computes it afresh every time: checks "
     "that it exists, prints nothing)",
     CONFIG_HELP CONFIG_NAME_HELP, config_spec, config_reconcile},
    {NULL, NULL, NULL, NULL, NULL},
};
