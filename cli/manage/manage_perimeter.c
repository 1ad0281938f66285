/*
** manage_perimeter.c - `moat network perimeter ...`: perimeters, profiles,
** access rules and resource associations, with the flags of az's nsp
** extension and the resources Azure answers with
** (realworld/azure-cli-recordings/nsp_access_rules.json):
**
** - create is a PUT: an access rule or association of the same name is
**   replaced;
** - an access rule carries every list (empty when unused), direction
**   Inbound unless given, subscriptions as {"id": "/subscriptions/<guid>"};
** - a profile's accessRulesVersion counts the changes to its rules;
** - a resource is in one perimeter at most (two associations for one
**   resource is refused, as moat's loader refuses it: decision.md 7).
**
** List flags take az's shorthand ("[10.10.0.0/16]", "['a', 'b']",
** [0].id=/subscriptions/...) as well as plain words.
*/
#include "manage_nsp.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PROFILE_MAX_INBOUND 200

static const char *const modes[] = {"Learning", "Enforced", "Audit"};
static const char *const directions[] = {"Inbound", "Outbound"};

/*--------------------------------------------------------------------------
** Finding perimeters and what hangs from them.
*/
int mg_nsp_open(nsp_ctx *c, const char *command, const cli_args *a,
                    const char *name_flag)
{
    memset(c, 0, sizeof *c);
    c->m.command = command;
    c->target.type = TYPE_NSP;
    c->target.what = "network security perimeter";
    c->target.name = cli_get(a, name_flag);
    c->target.group = cli_get(a, "resource-group");
    c->target.subscription = cli_get(a, "subscription");
    if (c->target.name == NULL)
        return mg_usage(&c->m, "give the perimeter: --%s NAME", name_flag);
    int rc = mg_open(&c->m, command, a, &c->target);
    if (rc != MG_OK)
        return rc;
    c->nsp = mg_find(&c->m, &c->target);
    c->nsp_id = c->nsp ? mg_str(c->nsp, "id") : NULL;
    if (c->nsp && c->nsp_id == NULL) {
        cli_error("perimeter %s has no \"id\"", c->target.name);
        return MG_NOT_FOUND;
    }
    return c->nsp ? MG_OK : MG_NOT_FOUND;
}

const moat_node *mg_nsp_child(nsp_ctx *c, const char *type, const char *under,
                              const char *name, const char *what)
{
    const moat_node *r = mg_find_child(&c->m, type, under, name);
    if (r == NULL && what)
        cli_error("no %s named '%s' in %s", what, name, under);
    return r;
}

/* The child of parent named by --name: MG_OK with *out set, or an exit
** status after saying why. */
int mg_nsp_named(nsp_ctx *c, const cli_args *a, const char *type,
                 const char *parent, const char *what, const moat_node **out)
{
    const char *name = cli_get(a, "name");
    *out = NULL;
    if (name == NULL)
        return mg_usage(&c->m, "give the %s's --name", what);
    *out = mg_nsp_child(c, type, parent, name, what);
    return *out ? MG_OK : MG_NOT_FOUND;
}

/* Prints every resource of type under parent as a JSON array. */
int mg_nsp_print_children(nsp_ctx *c, const char *type, const char *parent)
{
    tool_buf b = {0};
    tb_printf(&b, "[");
    size_t n = 0, pn = strlen(parent);
    const moat_node *list = c->m.list;
    for (const moat_node *r = list ? moat_node_child(list) : NULL; r;
         r = moat_node_next(r)) {
        const char *t = mg_str(r, "type"), *id = mg_str(r, "id");
        if (t && id && strcasecmp(t, type) == 0 &&
            strncasecmp(id, parent, pn) == 0 && id[pn] == '/') {
            char *text = moat_doc_slice(c->m.doc, r);
            tb_printf(&b, "%s%s", n++ ? ", " : "", text ? text : "null");
            moat_free(text);
        }
    }
    tb_printf(&b, "]");
    int rc = mg_print_json(&c->m, &b, NULL);
    tb_free(&b);
    return rc;
}

/*--------------------------------------------------------------------------
** az's shorthand lists.
*/
/* Every value of --opt, split at commas and spaces, without brackets,
** braces and quotes: "['a', 'b']" and "a b" are both a and b. */
void mg_split_words(const cli_args *a, const char *opt, mg_strings *out)
{
    for (int i = 0; i < a->n_opts; i++) {
        if (strcmp(a->opts[i].name, opt) != 0)
            continue;
        const char *p = a->opts[i].value;
        while (*p && out->n < CLI_MAX_ARGS) {
            p += strspn(p, "{}, \t'\"");
            size_t digits = p[0] == '[' ? strspn(p + 1, "0123456789") : 0;
            if (digits && p[1 + digits] == ']' && p[2 + digits] == '.')
                p += 3 + digits; /* az's [0].id=... */
            p += strspn(p, "[]{}, \t'\"");
            size_t n = strcspn(p, "[]{}, \t'\"");
            if (n == 0)
                break;
            out->s[out->n] = strndup(p, n);
            if (out->s[out->n])
                out->n++;
            p += n;
        }
    }
}

/* "[0].id=/subscriptions/G", "id:/subscriptions/G", "/subscriptions/G"
** or "G": the subscription's id as an access rule holds it. */
static int subscription_id(const char *w, char *out, size_t cap)
{
    const char *eq = strpbrk(w, "=:");
    if (eq && strncasecmp(w, "/subscriptions/", 15) != 0)
        w = eq + 1;
    if (strncasecmp(w, "/subscriptions/", 15) == 0)
        w += 15;
    size_t n = strlen(w);
    if (n != 36)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = w[i];
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? ch != '-'
                 : !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
                     (ch >= 'A' && ch <= 'F')))
            return 0;
    }
    snprintf(out, cap, "/subscriptions/%s", w);
    return 1;
}

static void json_list(tool_buf *b, const mg_strings *ws)
{
    tb_printf(b, "[");
    for (size_t i = 0; i < ws->n; i++) {
        if (i)
            tb_printf(b, ", ");
        tb_json_str(b, ws->s[i]);
    }
    tb_printf(b, "]");
}

/* A random version 4 UUID, as Azure gives a perimeter. */
static void new_guid(char out[37])
{
    unsigned char r[16] = {0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, r, sizeof r) != (ssize_t)sizeof r)
            memset(r, 0x5a, sizeof r);
        close(fd);
    }
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(
        out, 37,
        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
        r[11], r[12], r[13], r[14], r[15]);
}

/*--------------------------------------------------------------------------
** perimeter create | show | list
*/
static int perimeter_create(const cli_args *a)
{
    const char *cmd = "network perimeter create";
    manage m = {.command = cmd};
    const char *name = cli_get(a, "name"),
               *group = cli_get(a, "resource-group");
    if (name == NULL || group == NULL)
        return mg_usage(&m, "give --name and --resource-group");
    mg_target any = {TYPE_NSP, NULL, NULL, NULL, "network security perimeter",
                     NULL};
    int rc = mg_open(&m, cmd, a, &any);
    mg_target t = {TYPE_NSP,
                   name,
                   group,
                   cli_get(a, "subscription"),
                   "network security perimeter",
                   NULL};
    for (const moat_node *r = m.list ? moat_node_child(m.list) : NULL;
         rc == MG_OK && r; r = moat_node_next(r)) {
        const char *type = mg_str(r, "type"), *n = mg_str(r, "name");
        char g[256];
        if (type && n && strcasecmp(type, TYPE_NSP) == 0 &&
            strcasecmp(n, name) == 0 && mg_group_of(r, g, sizeof g) &&
            strcasecmp(g, group) == 0) {
            fprintf(stderr, "moat: %s exists already; nothing changed\n", name);
            rc = mg_print(&m, r, TYPE_NSP);
            mg_close(&m);
            return rc;
        }
    }
    char sub[64] = "", loc[64] = "";
    if (rc == MG_OK)
        rc = mg_new_place(&m, a, group, sub, loc, sizeof sub);
    if (rc == MG_OK) {
        char guid[37];
        new_guid(guid);
        tool_buf b = {0};
        tb_printf(
            &b,
            "{\"id\": \"/subscriptions/%s/resourceGroups/%s/providers/" TYPE_NSP
            "/%s\", \"name\": ",
            sub, group, name);
        tb_json_str(&b, name);
        tb_printf(&b, ", \"type\": \"" TYPE_NSP "\", \"location\": ");
        tb_json_str(&b, loc);
        tb_printf(
            &b,
            ", \"properties\": {\"perimeterGuid\": \"%s\", \"provisioningState\": \"Succeeded\"}}",
            guid);
        rc = b.failed ? MG_NOT_WRITTEN : mg_append_resource(&m, b.s);
        tb_free(&b);
    }
    t.subscription = sub;
    if (rc == MG_OK)
        rc = mg_commit(&m, &t);
    mg_close(&m);
    return rc;
}

static int perimeter_show(const cli_args *a)
{
    nsp_ctx c;
    int rc = mg_nsp_open(&c, "network perimeter show", a, "name");
    if (rc == MG_OK)
        rc = mg_print(&c.m, c.nsp, TYPE_NSP);
    mg_close(&c.m);
    return rc;
}

static int perimeter_list(const cli_args *a)
{
    manage m;
    mg_target any = {TYPE_NSP, NULL, NULL, NULL, "network security perimeter",
                     NULL};
    int rc = mg_open(&m, "network perimeter list", a, &any);
    const char *group = cli_get(a, "resource-group");
    tool_buf b = {0};
    tb_printf(&b, "[");
    size_t n = 0;
    for (const moat_node *r = m.list ? moat_node_child(m.list) : NULL;
         rc == MG_OK && r; r = moat_node_next(r)) {
        const char *type = mg_str(r, "type");
        char g[256];
        if (type == NULL || strcasecmp(type, TYPE_NSP) != 0 ||
            (group && (!mg_group_of(r, g, sizeof g) || strcasecmp(g, group))))
            continue;
        char *text = moat_doc_slice(m.doc, r);
        tb_printf(&b, "%s%s", n++ ? ", " : "", text ? text : "null");
        moat_free(text);
    }
    tb_printf(&b, "]");
    if (rc == MG_OK)
        rc = mg_print_json(&m, &b, NULL);
    tb_free(&b);
    mg_close(&m);
    return rc;
}

/*--------------------------------------------------------------------------
** profile create | list
*/
static int profile_create(const cli_args *a)
{
    nsp_ctx c;
    const char *name = cli_get(a, "name");
    int rc =
        mg_nsp_open(&c, "network perimeter profile create", a, "perimeter-name");
    if (rc == MG_OK && name == NULL)
        rc = mg_usage(&c.m, "give the profile's --name");
    const moat_node *old =
        rc == MG_OK ? mg_nsp_child(&c, TYPE_PROFILE, c.nsp_id, name, NULL) : NULL;
    char id[2048] = "";
    if (rc == MG_OK && name)
        snprintf(id, sizeof id, "%s/profiles/%s", c.nsp_id, name);
    mg_target t = {TYPE_PROFILE, name, NULL, NULL, "profile", id};
    if (old) {
        fprintf(stderr, "moat: profile %s exists already; nothing changed\n",
                name);
        rc = mg_print(&c.m, old, NULL);
    } else if (rc == MG_OK) {
        const char *loc = mg_str(c.nsp, "location");
        tool_buf b = {0};
        tb_printf(&b, "{\"id\": ");
        tb_json_str(&b, id);
        tb_printf(&b, ", \"name\": ");
        tb_json_str(&b, name);
        tb_printf(
            &b,
            ", \"type\": \"" TYPE_PROFILE
            "\", \"properties\": {\"accessRulesVersion\": \"0\", \"diagnosticSettingsVersion\": \"0\"}");
        if (loc) {
            tb_printf(&b, ", \"location\": ");
            tb_json_str(&b, loc);
        }
        tb_printf(&b, "}");
        rc = b.failed ? MG_NOT_WRITTEN : mg_append_resource(&c.m, b.s);
        tb_free(&b);
        if (rc == MG_OK)
            rc = mg_commit(&c.m, &t);
    }
    mg_close(&c.m);
    return rc;
}

static int profile_list(const cli_args *a)
{
    nsp_ctx c;
    int rc =
        mg_nsp_open(&c, "network perimeter profile list", a, "perimeter-name");
    if (rc == MG_OK)
        rc = mg_nsp_print_children(&c, TYPE_PROFILE, c.nsp_id);
    mg_close(&c.m);
    return rc;
}

/*--------------------------------------------------------------------------
** profile access-rule create | delete | list | show
*/
typedef struct rule_args {
    const char *direction;
    mg_strings prefixes, subscriptions, tags, fqdns, emails, phones;
} rule_args;

static void rule_args_free(rule_args *r)
{
    mg_strings_free(&r->prefixes);
    mg_strings_free(&r->subscriptions);
    mg_strings_free(&r->tags);
    mg_strings_free(&r->fqdns);
    mg_strings_free(&r->emails);
    mg_strings_free(&r->phones);
}

static int check_prefixes(manage *m, mg_strings *ws)
{
    for (size_t i = 0; i < ws->n; i++) {
        moat_range r;
        if (moat_range_parse(ws->s[i], &r) != MOAT_OK)
            return mg_usage(
                m,
                "--address-prefixes '%s' is not an IPv4 or IPv6 address or CIDR range",
                ws->s[i]);
        if (r.host_bits) {
            char net[64];
            moat_range_format(&r, net, sizeof net);
            mg_warn(m, "'%s' has host bits set; it means %s", ws->s[i], net);
        }
    }
    return MG_OK;
}

static int read_rule_args(manage *m, const cli_args *a, rule_args *r)
{
    memset(r, 0, sizeof *r);
    const char *d = cli_get(a, "direction");
    if (d == NULL)
        r->direction = directions[0]; /* Azure's default */
    else if (!mg_choice(d, directions, 2, &r->direction))
        return mg_usage(m, "--direction takes Inbound or Outbound, not '%s'",
                        d);
    mg_split_words(a, "address-prefixes", &r->prefixes);
    mg_split_words(a, "subscriptions", &r->subscriptions);
    mg_split_words(a, "service-tags", &r->tags);
    mg_split_words(a, "fqdn", &r->fqdns);
    mg_split_words(a, "email-addresses", &r->emails);
    mg_split_words(a, "phone-numbers", &r->phones);
    int inbound = r->direction == directions[0];
    size_t in = r->prefixes.n + r->subscriptions.n + r->tags.n;
    size_t out = r->fqdns.n + r->emails.n + r->phones.n;
    if (in + out == 0)
        return mg_usage(
            m,
            "an access rule needs --address-prefixes, --subscriptions or --service-tags (Inbound), or --fqdn, --email-addresses or --phone-numbers (Outbound)");
    if (inbound && out)
        return mg_refuse(
            m,
            "--fqdn, --email-addresses and --phone-numbers make Outbound rules; an Inbound rule takes --address-prefixes, --subscriptions or --service-tags");
    if (!inbound && in)
        return mg_refuse(
            m,
            "--address-prefixes, --subscriptions and --service-tags make Inbound rules; an Outbound rule takes --fqdn, --email-addresses or --phone-numbers");
    for (size_t i = 0; i < r->subscriptions.n; i++) {
        char id[80];
        if (!subscription_id(r->subscriptions.s[i], id, sizeof id))
            return mg_usage(
                m,
                "--subscriptions '%s': expected a subscription id (/subscriptions/GUID, or the GUID; az's [0].id=... also works)",
                r->subscriptions.s[i]);
        free(r->subscriptions.s[i]);
        r->subscriptions.s[i] = strdup(id);
        if (r->subscriptions.s[i] == NULL)
            return MG_NOT_WRITTEN;
    }
    return check_prefixes(m, &r->prefixes);
}

static void rule_properties(tool_buf *b, const rule_args *r)
{
    tb_printf(
        b,
        "{\"provisioningState\": \"Succeeded\", \"direction\": \"%s\", \"addressPrefixes\": ",
        r->direction);
    json_list(b, &r->prefixes);
    tb_printf(b, ", \"fullyQualifiedDomainNames\": ");
    json_list(b, &r->fqdns);
    tb_printf(b, ", \"subscriptions\": [");
    for (size_t i = 0; i < r->subscriptions.n; i++) {
        tb_printf(b, "%s{\"id\": ", i ? ", " : "");
        tb_json_str(b, r->subscriptions.s[i]);
        tb_printf(b, "}");
    }
    tb_printf(b,
                  "], \"networkSecurityPerimeters\": [], \"emailAddresses\": ");
    json_list(b, &r->emails);
    tb_printf(b, ", \"phoneNumbers\": ");
    json_list(b, &r->phones);
    if (r->tags.n) {
        tb_printf(b, ", \"serviceTags\": ");
        json_list(b, &r->tags);
    }
    tb_printf(b, "}");
}

static void rule_json(tool_buf *b, const char *id, const char *name,
                      const rule_args *r)
{
    tb_printf(b, "{\"id\": ");
    tb_json_str(b, id);
    tb_printf(b, ", \"name\": ");
    tb_json_str(b, name);
    tb_printf(b, ", \"type\": \"" TYPE_ACCESS_RULE "\", \"properties\": ");
    rule_properties(b, r);
    tb_printf(b, "}");
}

/* Inbound rule elements of the profile's rules, but skip. */
static size_t inbound_elements(nsp_ctx *c, const char *profile_id,
                               const moat_node *skip)
{
    size_t n = 0, pn = strlen(profile_id);
    static const char *const lists[] = {"addressPrefixes", "subscriptions",
                                        "serviceTags"};
    for (const moat_node *r = c->m.list ? moat_node_child(c->m.list) : NULL; r;
         r = moat_node_next(r)) {
        const char *t = mg_str(r, "type"), *id = mg_str(r, "id");
        if (r == skip || !t || !id || strcasecmp(t, TYPE_ACCESS_RULE) != 0 ||
            strncasecmp(id, profile_id, pn) != 0 || id[pn] != '/')
            continue;
        const moat_node *p = mg_properties(r);
        const char *d = mg_str(p, "direction");
        if (d && strcasecmp(d, "Inbound") != 0)
            continue;
        for (size_t i = 0; i < 3; i++)
            n += moat_node_count(moat_node_get(p, lists[i]));
    }
    return n;
}

/* Azure counts the changes to a profile's rules in accessRulesVersion. */
static int bump_version(nsp_ctx *c, const moat_node *profile)
{
    const moat_node *p = mg_properties(profile);
    if (p == NULL)
        return MG_OK;
    const char *v = mg_str(p, "accessRulesVersion");
    if (v == NULL) {
        const moat_node *num = moat_node_get(p, "accessRulesVersion");
        v = moat_node_kind(num) == MOAT_NODE_NUMBER ? moat_node_text(num) : "0";
    }
    char json[32];
    snprintf(json, sizeof json, "\"%ld\"", strtol(v, NULL, 10) + 1);
    return mg_set(&c->m, p, "accessRulesVersion", json);
}

typedef struct rule_ctx {
    nsp_ctx c;
    const char *profile_name;
    const moat_node *profile;
    const char *profile_id;
} rule_ctx;

static int rule_open(rule_ctx *r, const char *command, const cli_args *a)
{
    r->profile_name = cli_get(a, "profile-name");
    int rc = mg_nsp_open(&r->c, command, a, "perimeter-name");
    if (rc == MG_OK && r->profile_name == NULL)
        rc = mg_usage(&r->c.m, "give the profile: --profile-name NAME");
    if (rc != MG_OK)
        return rc;
    r->profile =
        mg_nsp_child(&r->c, TYPE_PROFILE, r->c.nsp_id, r->profile_name, "profile");
    r->profile_id = r->profile ? mg_str(r->profile, "id") : NULL;
    return r->profile_id ? MG_OK : MG_NOT_FOUND;
}

static int rule_create(const cli_args *a)
{
    rule_ctx r = {0};
    rule_args ra = {0};
    const char *name = cli_get(a, "name");
    int rc = rule_open(&r, "network perimeter profile access-rule create", a);
    if (rc == MG_OK && name == NULL)
        rc = mg_usage(&r.c.m, "give the rule's --name");
    if (rc == MG_OK)
        rc = read_rule_args(&r.c.m, a, &ra);
    const moat_node *old = NULL;
    char id[2048] = "";
    if (rc == MG_OK) {
        old = mg_nsp_child(&r.c, TYPE_ACCESS_RULE, r.profile_id, name, NULL);
        snprintf(id, sizeof id, "%s/accessRules/%s", r.profile_id, name);
        size_t have = inbound_elements(&r.c, r.profile_id, old);
        size_t adding = ra.prefixes.n + ra.subscriptions.n + ra.tags.n;
        if (have + adding > PROFILE_MAX_INBOUND)
            rc = mg_refuse(
                &r.c.m,
                "profile %s would hold %zu inbound rule elements; Azure allows at most %d",
                r.profile_name, have + adding, PROFILE_MAX_INBOUND);
    }
    tool_buf b = {0};
    if (rc == MG_OK) {
        /* create is a PUT: an existing rule's properties are replaced (its
        ** other members, such as systemData, stay). */
        if (old)
            rule_properties(&b, &ra);
        else
            rule_json(&b, id, name, &ra);
        if (b.failed)
            rc = MG_NOT_WRITTEN;
        else if (old)
            rc = mg_set(&r.c.m, old, "properties", b.s);
        else
            rc = mg_append_resource(&r.c.m, b.s);
    }
    if (rc == MG_OK)
        rc = bump_version(&r.c, r.profile);
    mg_target t = {TYPE_ACCESS_RULE, name, NULL, NULL, "access rule", id};
    if (rc == MG_OK)
        rc = mg_commit(&r.c.m, &t);
    tb_free(&b);
    rule_args_free(&ra);
    mg_close(&r.c.m);
    return rc;
}

static int rule_delete(const cli_args *a)
{
    rule_ctx r = {0};
    const moat_node *rule = NULL;
    int rc = rule_open(&r, "network perimeter profile access-rule delete", a);
    if (rc == MG_OK)
        rc = mg_nsp_named(&r.c, a, TYPE_ACCESS_RULE, r.profile_id, "access rule",
                   &rule);
    if (rc == MG_OK)
        rc = mg_remove_resource(&r.c.m, rule);
    if (rc == MG_OK)
        rc = bump_version(&r.c, r.profile);
    if (rc == MG_OK)
        rc = mg_commit(&r.c.m, NULL);
    mg_close(&r.c.m);
    return rc;
}

static int rule_list(const cli_args *a)
{
    rule_ctx r = {0};
    int rc = rule_open(&r, "network perimeter profile access-rule list", a);
    if (rc == MG_OK)
        rc = mg_nsp_print_children(&r.c, TYPE_ACCESS_RULE, r.profile_id);
    mg_close(&r.c.m);
    return rc;
}

static int rule_show(const cli_args *a)
{
    rule_ctx r = {0};
    const moat_node *rule = NULL;
    int rc = rule_open(&r, "network perimeter profile access-rule show", a);
    if (rc == MG_OK)
        rc = mg_nsp_named(&r.c, a, TYPE_ACCESS_RULE, r.profile_id, "access rule",
                   &rule);
    if (rc == MG_OK)
        rc = mg_print(&r.c.m, rule, NULL);
    mg_close(&r.c.m);
    return rc;
}

/*--------------------------------------------------------------------------
** association create | update | delete | show | list
*/
/* "{id:X}", "{\"id\": \"X\"}", "id=X" or "X": the id X. */
static char *shorthand_id(const char *v)
{
    const char *p = v + (v[0] == '{');
    p += strspn(p, " \"'");
    if (strncmp(p, "id", 2) == 0 && p[2] && strchr(":=\"' ", p[2])) {
        p += 2;
        p += strspn(p, "\"' :=");
    }
    return strndup(p, strcspn(p, "\"'}, "));
}

typedef struct assoc_search {
    const char *resource;
    const char *except; /* the association being replaced */
    char found[1024];
} assoc_search;

static void find_assoc(const moat_node *r, void *ctx)
{
    assoc_search *s = ctx;
    const char *t = mg_str(r, "type"), *id = mg_str(r, "id");
    const moat_node *link =
        moat_node_get(mg_properties(r), "privateLinkResource");
    const char *res = mg_str(link, "id");
    if (t && id && res && strcasecmp(t, TYPE_ASSOCIATION) == 0 &&
        strcasecmp(res, s->resource) == 0 &&
        (s->except == NULL || strcasecmp(id, s->except) != 0) && !s->found[0])
        snprintf(s->found, sizeof s->found, "%s", id);
}

static void find_assoc_doc(const moat_doc *d, void *ctx)
{
    mg_each_resource(d, find_assoc, ctx);
}

/* The profile id from --profile (id, shorthand, or a name in this
** perimeter); NULL after printing why. */
static char *profile_id_of(nsp_ctx *c, const char *v)
{
    char *id = shorthand_id(v);
    if (id && strchr(id, '/') == NULL) {
        const moat_node *p = mg_nsp_child(c, TYPE_PROFILE, c->nsp_id, id, "profile");
        free(id);
        return p && mg_str(p, "id") ? strdup(mg_str(p, "id")) : NULL;
    }
    size_t pn = strlen(c->nsp_id);
    if (id == NULL || strncasecmp(id, c->nsp_id, pn) != 0 ||
        strncasecmp(id + pn, "/profiles/", 10) != 0) {
        cli_error("--profile %s is not a profile of perimeter %s", v,
                  c->target.name);
        free(id);
        return NULL;
    }
    if (mg_nsp_child(c, TYPE_PROFILE, c->nsp_id, id + pn + 10, "profile") == NULL) {
        free(id);
        return NULL;
    }
    return id;
}

/* Sets member key of props to {"id": id}, unless it is that already. */
static int set_id_member(manage *m, const moat_node *props, const char *key,
                         const char *id)
{
    const char *now = mg_str(moat_node_get(props, key), "id");
    if (now && strcmp(now, id) == 0)
        return MG_OK;
    tool_buf b = {0};
    tb_printf(&b, "{\"id\": ");
    tb_json_str(&b, id);
    tb_printf(&b, "}");
    int rc = b.failed ? MG_NOT_WRITTEN : mg_set(m, props, key, b.s);
    tb_free(&b);
    return rc;
}

/* The association: for a new one, its JSON in b; for one there already,
** its members changed in place. */
static int assoc_body(nsp_ctx *c, const cli_args *a, const moat_node *old,
                      const char *name, tool_buf *b)
{
    const moat_node *p = old ? mg_properties(old) : NULL;
    const char *mode = cli_get(a, "access-mode");
    const char *canon = NULL;
    if (mode && !mg_choice(mode, modes, 3, &canon))
        return mg_usage(
            &c->m, "--access-mode takes Learning, Enforced or Audit, not '%s'",
            mode);
    if (canon == NULL)
        canon =
            p && mg_str(p, "accessMode") ? mg_str(p, "accessMode") : modes[0];
    const char *pv = cli_get(a, "profile"),
               *rv = cli_get(a, "private-link-resource");
    char *profile = pv ? profile_id_of(c, pv) : NULL;
    char *res = rv ? shorthand_id(rv) : NULL;
    if (!profile && !pv && p)
        profile = mg_str(moat_node_get(p, "profile"), "id")
                      ? strdup(mg_str(moat_node_get(p, "profile"), "id"))
                      : NULL;
    if (!res && p)
        res =
            mg_str(moat_node_get(p, "privateLinkResource"), "id")
                ? strdup(mg_str(moat_node_get(p, "privateLinkResource"), "id"))
                : NULL;
    int rc = MG_OK;
    if (profile == NULL)
        rc = pv ? MG_NOT_FOUND
                : mg_usage(&c->m, "give --profile (its id or name)");
    else if (res == NULL || strncasecmp(res, "/subscriptions/", 15) != 0)
        rc = mg_usage(
            &c->m,
            "give --private-link-resource, the ARM id of the resource to associate");
    assoc_search s = {res, old ? mg_str(old, "id") : NULL, ""};
    if (rc == MG_OK) {
        find_assoc_doc(c->m.doc, &s);
        mg_each_other_doc(&c->m, find_assoc_doc, &s);
        if (s.found[0])
            rc = mg_refuse(
                &c->m,
                "%s is associated already (%s): Azure puts a resource in one perimeter at most",
                res, s.found);
    }
    if (rc == MG_OK && p) {
        /* An association there already keeps its other members. */
        rc = set_id_member(&c->m, p, "privateLinkResource", res);
        if (rc == MG_OK)
            rc = set_id_member(&c->m, p, "profile", profile);
        const char *now = mg_str(p, "accessMode");
        char json[32];
        snprintf(json, sizeof json, "\"%s\"", canon);
        if (rc == MG_OK && (now == NULL || strcmp(now, canon) != 0))
            rc = mg_set(&c->m, p, "accessMode", json);
    } else if (rc == MG_OK) {
        char id[2048];
        snprintf(id, sizeof id, "%s/resourceAssociations/%s", c->nsp_id, name);
        tb_printf(b, "{\"id\": ");
        tb_json_str(b, id);
        tb_printf(b, ", \"name\": ");
        tb_json_str(b, name);
        tb_printf(
            b, ", \"type\": \"" TYPE_ASSOCIATION
               "\", \"properties\": {\"privateLinkResource\": {\"id\": ");
        tb_json_str(b, res);
        tb_printf(b, "}, \"profile\": {\"id\": ");
        tb_json_str(b, profile);
        tb_printf(
            b,
            "}, \"accessMode\": \"%s\", \"provisioningState\": \"Succeeded\"}}",
            canon);
        if (b->failed)
            rc = MG_NOT_WRITTEN;
    }
    free(profile);
    free(res);
    return rc;
}

static int assoc_write(const cli_args *a, const char *command, int update)
{
    nsp_ctx c;
    const char *name = cli_get(a, "name");
    int rc = mg_nsp_open(&c, command, a, "perimeter-name");
    if (rc == MG_OK && name == NULL)
        rc = mg_usage(&c.m, "give the association's --name");
    const moat_node *old = rc == MG_OK
                               ? mg_nsp_child(&c, TYPE_ASSOCIATION, c.nsp_id, name,
                                       update ? "association" : NULL)
                               : NULL;
    if (rc == MG_OK && update && old == NULL)
        rc = MG_NOT_FOUND;
    if (rc == MG_OK && update && !cli_has(a, "access-mode") &&
        !cli_has(a, "profile") && !cli_has(a, "private-link-resource"))
        rc = mg_usage(
            &c.m,
            "nothing to update: give --access-mode, --profile or --private-link-resource");
    tool_buf b = {0};
    if (rc == MG_OK)
        rc = assoc_body(&c, a, old, name, &b);
    if (rc == MG_OK && b.len && old) /* one without properties */
        rc = moat_doc_replace(c.m.doc, old, b.s, NULL) == MOAT_OK
                 ? MG_OK
                 : MG_NOT_WRITTEN;
    else if (rc == MG_OK && b.len)
        rc = mg_append_resource(&c.m, b.s);
    char id[2048] = "";
    if (c.nsp_id && name)
        snprintf(id, sizeof id, "%s/resourceAssociations/%s", c.nsp_id, name);
    mg_target t = {TYPE_ASSOCIATION, name, NULL, NULL, "association", id};
    if (rc == MG_OK)
        rc = mg_commit(&c.m, &t);
    tb_free(&b);
    mg_close(&c.m);
    return rc;
}

static int assoc_create(const cli_args *a)
{
    return assoc_write(a, "network perimeter association create", 0);
}

static int assoc_update(const cli_args *a)
{
    return assoc_write(a, "network perimeter association update", 1);
}

static int assoc_delete(const cli_args *a)
{
    nsp_ctx c;
    const moat_node *old = NULL;
    int rc = mg_nsp_open(&c, "network perimeter association delete", a,
                      "perimeter-name");
    if (rc == MG_OK)
        rc = mg_nsp_named(&c, a, TYPE_ASSOCIATION, c.nsp_id, "association", &old);
    if (rc == MG_OK)
        rc = mg_remove_resource(&c.m, old);
    if (rc == MG_OK)
        rc = mg_commit(&c.m, NULL);
    mg_close(&c.m);
    return rc;
}

static int assoc_show(const cli_args *a)
{
    nsp_ctx c;
    const moat_node *r = NULL;
    int rc =
        mg_nsp_open(&c, "network perimeter association show", a, "perimeter-name");
    if (rc == MG_OK)
        rc = mg_nsp_named(&c, a, TYPE_ASSOCIATION, c.nsp_id, "association", &r);
    if (rc == MG_OK)
        rc = mg_print(&c.m, r, NULL);
    mg_close(&c.m);
    return rc;
}

static int assoc_list(const cli_args *a)
{
    nsp_ctx c;
    int rc =
        mg_nsp_open(&c, "network perimeter association list", a, "perimeter-name");
    if (rc == MG_OK)
        rc = mg_nsp_print_children(&c, TYPE_ASSOCIATION, c.nsp_id);
    mg_close(&c.m);
    return rc;
}

/*--------------------------------------------------------------------------
** The command table.
*/
static const cli_spec nsp_spec[] = {
    MG_COMMON_SPEC, {"name", 1, 'n'}, {"location", 1, 'l'}, {NULL, 0, 0}};
static const cli_spec child_spec[] = {
    MG_COMMON_SPEC, {"name", 1, 'n'}, {"perimeter-name", 1, 0}, {NULL, 0, 0}};
static const cli_spec rule_spec[] = {MG_COMMON_SPEC,
                                     {"name", 1, 'n'},
                                     {"perimeter-name", 1, 0},
                                     {"profile-name", 1, 0},
                                     {"direction", 1, 0},
                                     {"address-prefixes", CLI_VALUES, 0},
                                     {"subscriptions", CLI_VALUES, 0},
                                     {"service-tags", CLI_VALUES, 0},
                                     {"fqdn", CLI_VALUES, 0},
                                     {"email-addresses", CLI_VALUES, 0},
                                     {"phone-numbers", CLI_VALUES, 0},
                                     {NULL, 0, 0}};
static const cli_spec assoc_spec[] = {MG_COMMON_SPEC,
                                      {"name", 1, 'n'},
                                      {"perimeter-name", 1, 0},
                                      {"access-mode", 1, 0},
                                      {"private-link-resource", 1, 0},
                                      {"profile", 1, 0},
                                      {NULL, 0, 0}};

#define NSP_HELP "  --perimeter-name NSP       the perimeter\n"
#define RULE_HELP                                                              \
    NSP_HELP                                                                   \
    "  --profile-name PROFILE     its profile\n"                               \
    "  --name, -n RULE            the access rule\n"
#define ASSOC_HELP NSP_HELP "  --name, -n ASSOCIATION     the association\n"
#define ASSOC_FLAGS                                                            \
    "  --private-link-resource ID the resource (\"{id:ID}\" also works)\n"     \
    "  --profile ID|NAME          the profile (\"{id:ID}\" also works)\n"      \
    "  --access-mode Learning|Enforced|Audit   (Learning when not given)\n"

const mg_command mg_perimeter_commands[] = {
    {"network perimeter create", "add a perimeter",
     "  --name, -n NSP             the perimeter\n"
     "  --location, -l REGION      (default: of the resource group's\n"
     "                             resources)\n",
     nsp_spec, perimeter_create},
    {"network perimeter show", "print a perimeter",
     "  --name, -n NSP             the perimeter\n", nsp_spec, perimeter_show},
    {"network perimeter list", "print the perimeters (-g: of one group)", "",
     nsp_spec, perimeter_list},
    {"network perimeter profile create", "add a profile to a perimeter",
     NSP_HELP "  --name, -n PROFILE         the profile\n", child_spec,
     profile_create},
    {"network perimeter profile list", "print a perimeter's profiles", NSP_HELP,
     child_spec, profile_list},
    {"network perimeter profile access-rule create",
     "add (or replace) an access rule",
     RULE_HELP "  --direction Inbound|Outbound   (Inbound when not given)\n"
               "  --address-prefixes P [P ...]   IPv4 or IPv6 ranges "
               "(Inbound)\n"
               "  --subscriptions S [S ...]      subscription ids (Inbound)\n"
               "  --service-tags T [T ...]       service tags (Inbound)\n"
               "  --fqdn F [F ...]               domain names (Outbound)\n"
               "  --email-addresses, --phone-numbers   (Outbound)\n"
               "  Lists also take az's shorthand: \"['a', 'b']\", [0].id=...\n",
     rule_spec, rule_create},
    {"network perimeter profile access-rule delete", "remove an access rule",
     RULE_HELP, rule_spec, rule_delete},
    {"network perimeter profile access-rule list",
     "print a profile's access rules", RULE_HELP, rule_spec, rule_list},
    {"network perimeter profile access-rule show", "print an access rule",
     RULE_HELP, rule_spec, rule_show},
    {"network perimeter association create",
     "put a resource in the perimeter (or replace the association)",
     ASSOC_HELP ASSOC_FLAGS, assoc_spec, assoc_create},
    {"network perimeter association update",
     "change an association's mode, profile or resource",
     ASSOC_HELP ASSOC_FLAGS, assoc_spec, assoc_update},
    {"network perimeter association delete", "take a resource out", ASSOC_HELP,
     assoc_spec, assoc_delete},
    {"network perimeter association show", "print an association", ASSOC_HELP,
     assoc_spec, assoc_show},
    {"network perimeter association list", "print a perimeter's associations",
     NSP_HELP, assoc_spec, assoc_list},
    {NULL, NULL, NULL, NULL, NULL},
};
