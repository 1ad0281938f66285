/*
** manage_nsp_link.c - `moat network perimeter link ...` and `link-reference
** ...`: links between two perimeters, with the flags of az's nsp extension
** (azure-cli-extensions src/nsp, `network perimeter link create`) and the
** resources Azure answers with (realworld/azure-cli-recordings/
** nsp_links.json):
**
** - create is a PUT in auto-approval mode (--auto-remote-nsp-id): the link
**   is Approved at once, described "Auto Approved.", and answered with
**   provisioningState Accepted while Azure writes the remote side;
** - inbound profiles default to ['*'] (every profile); the outbound lists
**   are read-only ['*'];
** - Azure writes a link reference in the remote perimeter, named
**   "Ref-from-<link>-<local perimeterGuid>", its local and remote lists
**   the link's seen from the other side;
** - deleting a link leaves its reference Disconnected (the recording's
**   step 8); deleting a reference leaves its link Disconnected. Only an
**   Approved link admits anything (decision.md section 7).
**
** A remote perimeter in another file of a directory estate gets no
** reference (moat edits one file per command): it is said, and decisions
** do not need it (the link alone joins both perimeters).
*/
#include "manage_nsp.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define AUTO_DESCRIPTION "Auto Approved."
#define REF_PREFIX "Ref-from-"
#define GUID_LEN 36

static const char *const remote_keys[] = {
    "autoApprovedRemotePerimeterResourceId", "remotePerimeterResourceId",
    "manualApprovedRemotePerimeterResourceId"};

/* The remote perimeter a link names, wherever in the estate it is. */
typedef struct remote_nsp {
    const char *id; /* wanted */
    int in_open_file;
    const moat_node *here; /* when in the open file */
    char found_id[1024], guid[64], location[128];
    int found;
} remote_nsp;

static void match_nsp(const moat_node *r, void *ctx)
{
    remote_nsp *s = ctx;
    const char *t = mg_str(r, "type"), *id = mg_str(r, "id");
    if (s->found || !t || !id || strcasecmp(t, TYPE_NSP) != 0 ||
        strcasecmp(id, s->id) != 0)
        return;
    const char *guid = mg_str(mg_properties(r), "perimeterGuid"),
               *loc = mg_str(r, "location");
    snprintf(s->found_id, sizeof s->found_id, "%s", id);
    snprintf(s->guid, sizeof s->guid, "%s", guid ? guid : "");
    snprintf(s->location, sizeof s->location, "%s", loc ? loc : "");
    s->here = s->in_open_file ? r : NULL;
    s->found = 1;
}

static void match_nsp_doc(const moat_doc *d, void *ctx)
{
    mg_each_resource(d, match_nsp, ctx);
}

static int find_remote(nsp_ctx *c, remote_nsp *s)
{
    s->in_open_file = 1;
    mg_each_resource(c->m.doc, match_nsp, s);
    s->in_open_file = 0;
    if (!s->found)
        mg_each_other_doc(&c->m, match_nsp_doc, s);
    if (!s->found) {
        cli_error(
            "remote perimeter %s is not in the estate: moat cannot know its perimeterGuid, so the link would join nothing",
            s->id);
        return MG_NOT_FOUND;
    }
    if (c->nsp_id && strcasecmp(s->found_id, c->nsp_id) == 0)
        return mg_refuse(&c->m, "a link joins two perimeters; %s is this one",
                         s->id);
    if (!s->guid[0]) {
        cli_error("remote perimeter %s has no properties.perimeterGuid",
                  s->id);
        return MG_NOT_FOUND;
    }
    return MG_OK;
}

/*--------------------------------------------------------------------------
** The resources' JSON.
*/
typedef struct link_body {
    const char *type, *name, *id;
    const char *remote_key, *remote_id, *remote_guid, *remote_location;
    const mg_strings *local_in, *remote_in;
    const char *status, *description;
} link_body;

static void profile_list(tool_buf *b, const mg_strings *ws)
{
    tb_printf(b, "[");
    for (size_t i = 0; i < ws->n; i++) {
        tb_printf(b, "%s", i ? ", " : "");
        tb_json_str(b, ws->s[i]);
    }
    tb_printf(b, "]");
}

/* Members in the order Azure answers them (nsp_links.json). */
static void link_json(tool_buf *b, const link_body *l)
{
    tb_printf(b, "{\"name\": ");
    tb_json_str(b, l->name);
    mg_json_member(b, "id", l->id);
    mg_json_member(b, "type", l->type);
    tb_printf(b, ", \"properties\": {\"provisioningState\": "
                     "\"Accepted\"");
    mg_json_member(b, l->remote_key, l->remote_id);
    mg_json_member(b, "remotePerimeterGuid", l->remote_guid);
    mg_json_member(b, "remotePerimeterLocation", l->remote_location);
    tb_printf(b, ", \"localInboundProfiles\": ");
    profile_list(b, l->local_in);
    tb_printf(b, ", \"localOutboundProfiles\": [\"*\"], "
                     "\"remoteInboundProfiles\": ");
    profile_list(b, l->remote_in);
    tb_printf(b, ", \"remoteOutboundProfiles\": [\"*\"]");
    mg_json_member(b, "status", l->status);
    mg_json_member(b, "description", l->description);
    tb_printf(b, "}}");
}

/* The remote perimeter's id a link or reference names. */
static const char *remote_of(const moat_node *res)
{
    const moat_node *p = mg_properties(res);
    for (size_t i = 0; i < sizeof remote_keys / sizeof *remote_keys; i++) {
        const char *v = mg_str(p, remote_keys[i]);
        if (v && *v)
            return v;
    }
    return NULL;
}

/* Strings of a list member of res's properties (az's lists). */
static int copy_list(const moat_node *res, const char *key, mg_strings *out)
{
    const moat_node *l = moat_node_get(mg_properties(res), key);
    for (const moat_node *e = moat_node_child(l); e && out->n < CLI_MAX_ARGS;
         e = moat_node_next(e)) {
        const char *s = moat_node_text(e);
        if (moat_node_kind(e) != MOAT_NODE_STRING || s == NULL)
            continue;
        out->s[out->n] = strdup(s);
        if (out->s[out->n] == NULL)
            return MG_NOT_WRITTEN;
        out->n++;
    }
    return MG_OK;
}

static int default_all(mg_strings *out)
{
    out->s[0] = strdup("*");
    out->n = out->s[0] != NULL;
    return out->n ? MG_OK : MG_NOT_WRITTEN;
}

/*--------------------------------------------------------------------------
** link create | update
*/
typedef struct link_input {
    mg_strings local_in, remote_in;
    const char *remote_id, *description, *status;
    char *owned_remote, *owned_description, *owned_status;
} link_input;

static void link_input_free(link_input *in)
{
    mg_strings_free(&in->local_in);
    mg_strings_free(&in->remote_in);
    free(in->owned_remote);
    free(in->owned_description);
    free(in->owned_status);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The flags, and for update what the link holds now (az's update reads
** the link and puts it back with the flags' changes). */
static int read_link_input(nsp_ctx *c, const cli_args *a, const moat_node *old,
                           link_input *in)
{
    mg_split_words(a, "local-inbound-profile", &in->local_in);
    mg_split_words(a, "remote-inbound-profile", &in->remote_in);
    in->remote_id = cli_get(a, "auto-remote-nsp-id");
    in->description = cli_get(a, "description");
    if (old) {
        in->owned_remote = dup_or_null(remote_of(old));
        in->owned_description =
            dup_or_null(mg_str(mg_properties(old), "description"));
        in->owned_status = dup_or_null(mg_str(mg_properties(old), "status"));
        if (in->remote_id && in->owned_remote &&
            strcasecmp(in->remote_id, in->owned_remote) != 0)
            return mg_refuse(&c->m,
                             "a link's remote perimeter does not change (it is "
                             "%s); delete the link and create another",
                             in->owned_remote);
        in->remote_id = in->owned_remote;
        in->status = in->owned_status;
        if (!in->description)
            in->description = in->owned_description;
    }
    int rc = MG_OK;
    if (old && in->local_in.n == 0)
        rc = copy_list(old, "localInboundProfiles", &in->local_in);
    if (rc == MG_OK && old && in->remote_in.n == 0)
        rc = copy_list(old, "remoteInboundProfiles", &in->remote_in);
    if (rc == MG_OK && in->local_in.n == 0)
        rc = default_all(&in->local_in);
    if (rc == MG_OK && in->remote_in.n == 0)
        rc = default_all(&in->remote_in);
    if (!in->description)
        in->description = AUTO_DESCRIPTION;
    if (!in->status)
        in->status = "Approved"; /* auto-approval */
    if (rc == MG_OK && (in->remote_id == NULL || !*in->remote_id))
        rc = mg_usage(&c->m, "give the remote perimeter: --auto-remote-nsp-id "
                             "ID (its ARM id)");
    return rc;
}

/* Replaces old with json, or appends json as a new resource. */
static int put_resource(manage *m, const moat_node *old, const char *json)
{
    if (old == NULL)
        return mg_append_resource(m, json);
    moat_error err;
    if (moat_doc_replace(m->doc, old, json, &err) != MOAT_OK) {
        cli_error("%s", err.message);
        return MG_NOT_WRITTEN;
    }
    return MG_OK;
}

/* The reference Azure writes in the remote perimeter: the link seen from
** there. */
static int put_reference(nsp_ctx *c, const remote_nsp *r, const char *link,
                         const link_input *in)
{
    const char *guid = mg_str(mg_properties(c->nsp), "perimeterGuid"),
               *loc = mg_str(c->nsp, "location");
    if (guid == NULL)
        return MG_OK; /* the loader already says the perimeter lacks it */
    if (r->here == NULL) {
        mg_warn(&c->m,
                "Azure also writes the link reference " REF_PREFIX
                "%s-%s in perimeter %s, which is in another file: not written",
                link, guid, r->found_id);
        return MG_OK;
    }
    char name[512], id[2048];
    snprintf(name, sizeof name, REF_PREFIX "%s-%s", link, guid);
    snprintf(id, sizeof id, "%s/linkReferences/%s", r->found_id, name);
    const moat_node *old =
        mg_find_child(&c->m, TYPE_LINK_REFERENCE, r->found_id, name);
    link_body ref = {TYPE_LINK_REFERENCE,
                     name,
                     id,
                     "remotePerimeterResourceId",
                     c->nsp_id,
                     guid,
                     loc ? loc : "",
                     &in->remote_in,
                     &in->local_in,
                     in->status,
                     in->description};
    tool_buf b = {0};
    link_json(&b, &ref);
    int rc = b.failed ? MG_NOT_WRITTEN : put_resource(&c->m, old, b.s);
    tb_free(&b);
    return rc;
}

static int write_link(nsp_ctx *c, const moat_node *old, const char *name,
                      const char *id, link_input *in)
{
    remote_nsp r = {.id = in->remote_id};
    int rc = find_remote(c, &r);
    if (rc != MG_OK)
        return rc;
    link_body l = {TYPE_LINK,
                   name,
                   id,
                   remote_keys[0],
                   r.found_id,
                   r.guid,
                   r.location,
                   &in->local_in,
                   &in->remote_in,
                   in->status,
                   in->description};
    tool_buf b = {0};
    link_json(&b, &l);
    rc = b.failed ? MG_NOT_WRITTEN : put_resource(&c->m, old, b.s);
    tb_free(&b);
    if (rc == MG_OK)
        rc = put_reference(c, &r, name, in);
    return rc;
}

static int link_write(const cli_args *a, const char *command, int update)
{
    nsp_ctx c;
    link_input in = {0};
    const char *name = cli_get(a, "name");
    int rc = mg_nsp_open(&c, command, a, "perimeter-name");
    if (rc == MG_OK && name == NULL)
        rc = mg_usage(&c.m, "give the link's --name");
    const moat_node *old =
        rc == MG_OK ? mg_nsp_child(&c, TYPE_LINK, c.nsp_id, name,
                                   update ? "link" : NULL)
                    : NULL;
    if (rc == MG_OK && update && old == NULL)
        rc = MG_NOT_FOUND;
    if (rc == MG_OK && update && !cli_has(a, "local-inbound-profile") &&
        !cli_has(a, "remote-inbound-profile") && !cli_has(a, "description") &&
        !cli_has(a, "auto-remote-nsp-id"))
        rc = mg_usage(&c.m, "nothing to update: give --local-inbound-profile, "
                            "--remote-inbound-profile or --description");
    if (rc == MG_OK)
        rc = read_link_input(&c, a, update ? old : NULL, &in);
    char id[2048] = "";
    if (c.nsp_id && name)
        snprintf(id, sizeof id, "%s/links/%s", c.nsp_id, name);
    if (rc == MG_OK)
        rc = write_link(&c, old, name, id, &in);
    mg_target t = {TYPE_LINK, name, NULL, NULL, "link", id};
    if (rc == MG_OK)
        rc = mg_commit(&c.m, &t);
    link_input_free(&in);
    mg_close(&c.m);
    return rc;
}

static int link_create(const cli_args *a)
{
    return link_write(a, "network perimeter link create", 0);
}

static int link_update(const cli_args *a)
{
    return link_write(a, "network perimeter link update", 1);
}

/*--------------------------------------------------------------------------
** delete: the other side is left Disconnected.
*/
/* Sets the status of res (in the open file) to Disconnected. */
static int disconnect(manage *m, const moat_node *res)
{
    const char *now = mg_str(mg_properties(res), "status");
    if (now && strcasecmp(now, "Disconnected") == 0)
        return MG_OK;
    return mg_set(m, mg_properties(res), "status", "\"Disconnected\"");
}

static int link_delete(const cli_args *a)
{
    nsp_ctx c;
    const moat_node *link = NULL;
    int rc =
        mg_nsp_open(&c, "network perimeter link delete", a, "perimeter-name");
    if (rc == MG_OK)
        rc = mg_nsp_named(&c, a, TYPE_LINK, c.nsp_id, "link", &link);
    const char *remote = link ? remote_of(link) : NULL,
               *guid = c.nsp ? mg_str(mg_properties(c.nsp), "perimeterGuid")
                             : NULL;
    if (rc == MG_OK && remote && guid) {
        char ref[512];
        snprintf(ref, sizeof ref, REF_PREFIX "%s-%s", mg_str(link, "name"),
                 guid);
        const moat_node *r =
            mg_find_child(&c.m, TYPE_LINK_REFERENCE, remote, ref);
        if (r)
            rc = disconnect(&c.m, r);
    }
    if (rc == MG_OK)
        rc = mg_remove_resource(&c.m, link);
    if (rc == MG_OK)
        rc = mg_commit(&c.m, NULL);
    mg_close(&c.m);
    return rc;
}

/* The link a reference stands for: "Ref-from-<link>-<guid>" in the
** perimeter the reference names. */
static const moat_node *link_of_reference(manage *m, const moat_node *ref)
{
    const char *name = mg_str(ref, "name"), *remote = remote_of(ref);
    size_t n = name ? strlen(name) : 0, pre = strlen(REF_PREFIX);
    if (remote == NULL || n <= pre + GUID_LEN + 1 ||
        strncasecmp(name, REF_PREFIX, pre) != 0 ||
        name[n - GUID_LEN - 1] != '-')
        return NULL;
    char link[512];
    snprintf(link, sizeof link, "%.*s", (int)(n - pre - GUID_LEN - 1),
             name + pre);
    return mg_find_child(m, TYPE_LINK, remote, link);
}

static int reference_delete(const cli_args *a)
{
    nsp_ctx c;
    const moat_node *ref = NULL;
    int rc = mg_nsp_open(&c, "network perimeter link-reference delete", a,
                         "perimeter-name");
    if (rc == MG_OK)
        rc = mg_nsp_named(&c, a, TYPE_LINK_REFERENCE, c.nsp_id,
                          "link reference", &ref);
    const moat_node *link = ref ? link_of_reference(&c.m, ref) : NULL;
    if (rc == MG_OK && link)
        rc = disconnect(&c.m, link);
    if (rc == MG_OK)
        rc = mg_remove_resource(&c.m, ref);
    if (rc == MG_OK)
        rc = mg_commit(&c.m, NULL);
    mg_close(&c.m);
    return rc;
}

/*--------------------------------------------------------------------------
** show | list
*/
static int show_child(const cli_args *a, const char *command, const char *type,
                      const char *what)
{
    nsp_ctx c;
    const moat_node *r = NULL;
    int rc = mg_nsp_open(&c, command, a, "perimeter-name");
    if (rc == MG_OK)
        rc = mg_nsp_named(&c, a, type, c.nsp_id, what, &r);
    if (rc == MG_OK)
        rc = mg_print(&c.m, r, NULL);
    mg_close(&c.m);
    return rc;
}

static int list_children(const cli_args *a, const char *command,
                         const char *type)
{
    nsp_ctx c;
    int rc = mg_nsp_open(&c, command, a, "perimeter-name");
    if (rc == MG_OK)
        rc = mg_nsp_print_children(&c, type, c.nsp_id);
    mg_close(&c.m);
    return rc;
}

static int link_show(const cli_args *a)
{
    return show_child(a, "network perimeter link show", TYPE_LINK, "link");
}

static int link_list(const cli_args *a)
{
    return list_children(a, "network perimeter link list", TYPE_LINK);
}

static int reference_show(const cli_args *a)
{
    return show_child(a, "network perimeter link-reference show",
                      TYPE_LINK_REFERENCE, "link reference");
}

static int reference_list(const cli_args *a)
{
    return list_children(a, "network perimeter link-reference list",
                         TYPE_LINK_REFERENCE);
}

/*--------------------------------------------------------------------------
** The command table.
*/
static const cli_spec link_spec[] = {MG_COMMON_SPEC,
                                     {"name", 1, 'n'},
                                     {"perimeter-name", 1, 0},
                                     {"auto-remote-nsp-id", 1, 0},
                                     {"local-inbound-profile", CLI_VALUES, 0},
                                     {"remote-inbound-profile", CLI_VALUES, 0},
                                     {"description", 1, 0},
                                     {"yes", 0, 'y'},
                                     {NULL, 0, 0}};

#define LINK_HELP                                                              \
    "  --perimeter-name NSP       the perimeter\n"                             \
    "  --name, -n LINK            the link\n"
#define LINK_FLAGS                                                             \
    "  --auto-remote-nsp-id ID    the remote perimeter's ARM id (auto-\n"      \
    "                             approval: the link is Approved at once)\n"   \
    "  --local-inbound-profile P [P ...]   this perimeter's profiles the\n"    \
    "                             remote one reaches (default ['*']: all)\n"   \
    "  --remote-inbound-profile P [P ...]  the remote perimeter's profiles\n"  \
    "                             this one reaches (default ['*'])\n"          \
    "  --description TEXT         (default 'Auto Approved.')\n"
#define REF_HELP                                                               \
    "  --perimeter-name NSP       the perimeter\n"                             \
    "  --name, -n REFERENCE       the link reference (Ref-from-LINK-GUID)\n"

const mg_command mg_link_commands[] = {
    {"network perimeter link create",
     "link two perimeters (or replace the link)", LINK_HELP LINK_FLAGS,
     link_spec, link_create},
    {"network perimeter link update", "change a link's profiles",
     LINK_HELP LINK_FLAGS, link_spec, link_update},
    {"network perimeter link delete",
     "remove a link (its reference becomes Disconnected)",
     LINK_HELP "  --yes, -y                  (az asks otherwise; moat "
               "does not)\n",
     link_spec, link_delete},
    {"network perimeter link show", "print a link", LINK_HELP, link_spec,
     link_show},
    {"network perimeter link list", "print a perimeter's links",
     "  --perimeter-name NSP       the perimeter\n", link_spec, link_list},
    {"network perimeter link-reference delete",
     "remove a link reference (its link becomes Disconnected)",
     REF_HELP "  --yes, -y                  (az asks otherwise; moat "
              "does not)\n",
     link_spec, reference_delete},
    {"network perimeter link-reference show", "print a link reference",
     REF_HELP, link_spec, reference_show},
    {"network perimeter link-reference list",
     "print the references other perimeters' links left here",
     "  --perimeter-name NSP       the perimeter\n", link_spec, reference_list},
    {NULL, NULL, NULL, NULL, NULL},
};
