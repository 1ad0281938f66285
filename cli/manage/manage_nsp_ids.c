/*
** manage_nsp_ids.c - `--ids` on the network perimeter commands, as az's
** generated commands take it: the ARM id names the perimeter, and for a
** child (profile, access rule, association, link, link reference) its
** parents, so `--ids ID` stands for --subscription, --resource-group,
** --perimeter-name, --profile-name and --name (az's id_part arguments).
** An id whose child types are not the command's is a usage error, and so
** is --ids beside the names it stands for (as az: "--ids, or --name with
** --resource-group; not both").
*/
#include "manage_ids.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define NSP_PROVIDER "Microsoft.Network/networkSecurityPerimeters"

/* The child types, in order, a command's words name (after "network
** perimeter", before the verb). */
static const struct {
    const char *word;
    const char *type;
} child_words[] = {
    {"profile", "profiles"},
    {"access-rule", "accessRules"},
    {"association", "resourceAssociations"},
    {"link", "links"},
    {"link-reference", "linkReferences"},
};

/* The child type of one command word, or NULL. */
static const char *child_type(const char *word, size_t n)
{
    for (size_t i = 0; i < sizeof child_words / sizeof child_words[0]; i++)
        if (strlen(child_words[i].word) == n &&
            memcmp(child_words[i].word, word, n) == 0)
            return child_words[i].type;
    return NULL;
}

/* The child types of command path (at most 2) into types; their number,
** or -1 when the verb takes no --ids (create and list name their resource
** or its parent with flags, as az's do). */
static int command_types(const char *path, const char **types)
{
    const char *p = path + strlen("network perimeter");
    const char *verb = strrchr(path, ' ') + 1;
    if (strcmp(verb, "create") == 0 || strcmp(verb, "list") == 0)
        return -1;
    int n = 0;
    while (*p == ' ' && p + 1 < verb) {
        p++;
        size_t len = strcspn(p, " ");
        const char *t = child_type(p, len);
        if (t == NULL || n == 2)
            return -1;
        types[n++] = t;
        p += len;
    }
    return n;
}

/* The id's segments split at '/' into seg (the id copied into text);
** their number, or -1 when too many. */
static int split_id(const char *id, char *text, size_t cap, char **seg,
                    int max)
{
    size_t len = strlen(id);
    if (len + 1 > cap)
        return -1;
    memcpy(text, id, len + 1);
    int n = 0;
    for (char *s = text; s; n++) {
        if (n == max)
            return -1;
        seg[n] = s;
        char *slash = strchr(s, '/');
        if (slash)
            *slash = '\0';
        s = slash ? slash + 1 : NULL;
    }
    return n;
}

/* Whether seg (n segments) is the id of a perimeter's child of types
** (k of them): /subscriptions/S/resourceGroups/G/providers/NSP_PROVIDER/P
** then a type and a name per child, every name non-empty. */
static int id_matches(char **seg, int n, const char **types, int k)
{
    if (n != 9 + 2 * k || seg[0][0] != '\0' ||
        strcasecmp(seg[1], "subscriptions") != 0 ||
        strcasecmp(seg[3], "resourceGroups") != 0 ||
        strcasecmp(seg[5], "providers") != 0 ||
        strcasecmp(seg[6], "Microsoft.Network") != 0 ||
        strcasecmp(seg[7], "networkSecurityPerimeters") != 0)
        return 0;
    for (int i = 0; i < k; i++)
        if (strcasecmp(seg[9 + 2 * i], types[i]) != 0)
            return 0;
    for (int i = 2; i < n; i += 2)
        if (seg[i][0] == '\0')
            return 0;
    return 1;
}

static int add_opt(cli_args *a, const char *name, const char *value)
{
    if (a->n_opts == CLI_MAX_ARGS)
        return -1;
    a->opts[a->n_opts++] = (cli_opt){name, value, 0};
    return 0;
}

/* a without its --ids, and with the names the id stands for. */
static int names_of_id(cli_args *a, char **seg, int k)
{
    int kept = 0;
    for (int i = 0; i < a->n_opts; i++)
        if (strcmp(a->opts[i].name, "ids") != 0)
            a->opts[kept++] = a->opts[i];
    a->n_opts = kept;
    int bad = add_opt(a, "subscription", seg[2]) |
              add_opt(a, "resource-group", seg[4]);
    if (k == 0)
        return bad | add_opt(a, "name", seg[8]);
    bad |= add_opt(a, "perimeter-name", seg[8]);
    if (k == 2)
        bad |= add_opt(a, "profile-name", seg[10]);
    return bad | add_opt(a, "name", seg[8 + 2 * k]);
}

/* The usage error for an id that is not of the command's type. */
static int bad_id(const mg_command *c, const char *id, const char **types,
                  int k)
{
    char shape[160] = "";
    for (int i = 0; i < k; i++)
        snprintf(shape + strlen(shape), sizeof shape - strlen(shape),
                 "/%s/NAME", types[i]);
    return cli_usage_error(c->path, "--ids '%s' is not the ARM id of what '%s' takes (/subscriptions/S/resourceGroups/G/providers/" NSP_PROVIDER "/NSP%s)", id, c->path, shape);
}

int mg_nsp_ids_expand(const mg_command *c, cli_args *a)
{
    static const char *const named[] = {"name", "perimeter-name",
                                        "profile-name", "resource-group"};
    const char *id = cli_get(a, "ids");
    if (id == NULL || strncmp(c->path, "network perimeter ", 18) != 0)
        return 0;
    const char *types[2];
    int k = command_types(c->path, types);
    if (k < 0)
        return cli_usage_error(c->path, "--ids: '%s' names its resource with flags, as az's does", c->path);
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (cli_has(a, named[i]))
            return cli_usage_error(c->path, "--ids, or --%s and the other names; not both (as az)", named[i]);
    static char text[4096];
    char *seg[16];
    int n = split_id(id, text, sizeof text, seg, 16);
    if (n < 0 || !id_matches(seg, n, types, k))
        return bad_id(c, id, types, k);
    if (names_of_id(a, seg, k) != 0)
        return cli_usage_error(c->path, "too many options");
    return 0;
}
