/*
** cmd_manage.c - `moat storage`, `moat keyvault`, `moat network`: the
** az-style command groups. A command is named by its words ("storage
** account network-rule add"); fewer words print the group's commands.
*/
#include "manage_acl.h"
#include "manage_ids.h"
#include "manage_nsp.h"

#include <string.h>

static const mg_command *const tables[] = {
    mg_storage_commands, mg_storage_lifecycle, mg_keyvault_commands,
    mg_vault_lifecycle, mg_perimeter_commands, mg_link_commands,
    mg_nsp_config_commands, mg_vnet_commands};

static const char exit_help[] =
    "Exit status: 0 done (or nothing to change), 1 refused (Azure would\n"
    "refuse the result; nothing written), 2 usage error, 3 unreadable\n"
    "estate or no such resource, 4 not written (the file is unchanged).\n";

/* The number of words of argv naming a command or group (up to the first
** option). */
static int command_words(int argc, char **argv)
{
    int n = 0;
    while (n < argc && argv[n][0] != '-')
        n++;
    return n;
}

/* Whether path starts with the n words of argv. */
static int has_prefix(const char *path, int n, char **argv, int exact)
{
    const char *p = path;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(argv[i]);
        if (strncmp(p, argv[i], len) != 0 || (p[len] != ' ' && p[len] != '\0'))
            return 0;
        p += len + (p[len] == ' ');
    }
    return !exact || *p == '\0';
}

static const mg_command *find_command(int n, char **argv)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const mg_command *c = tables[t]; c->path; c++)
            if (has_prefix(c->path, n, argv, 1))
                return c;
    return NULL;
}

static int group_help(int n, char **argv, FILE *fp)
{
    fputs("usage: moat", fp);
    for (int i = 0; i < n; i++)
        fprintf(fp, " %s", argv[i]);
    fputs(" <command> [options]\n\nCommands:\n", fp);
    int found = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const mg_command *c = tables[t]; c->path; c++)
            if (has_prefix(c->path, n, argv, 0)) {
                fprintf(fp, "  %-44s%s%s\n", c->path,
                        strlen(c->path) < 44 ? " " : "  ", c->summary);
                found = 1;
            }
    fputs(
        "\nEach edits the estate file in place (the rest of the file kept as it\nwas), as az would change the resource in Azure. 'moat <command> --help'\nfor a command's flags.\n",
        fp);
    return found;
}

static void command_help(const mg_command *c)
{
    printf("usage: moat %s [options]\n\n%s.\n\n%s%s\n%s", c->path, c->summary,
           c->help, MG_COMMON_HELP, exit_help);
}

int cmd_manage(int argc, char **argv)
{
    int n = command_words(argc, argv);
    const mg_command *c = find_command(n, argv);
    if (c == NULL) {
        int help = n < argc && (strcmp(argv[n], "--help") == 0 ||
                                strcmp(argv[n], "-h") == 0);
        int known = group_help(n, argv, help ? stdout : stderr);
        if (help && known)
            return MG_OK;
        if (!known) {
            fprintf(stderr, "moat: '");
            for (int i = 0; i < n; i++)
                fprintf(stderr, "%s%s", i ? " " : "", argv[i]);
            fprintf(stderr, "' is not a moat command\n");
        }
        return MG_USAGE;
    }
    cli_args a;
    if (cli_parse(argc - n, argv + n, c->spec, &a, c->path) != 0)
        return MG_USAGE;
    if (cli_has(&a, "help")) {
        command_help(c);
        return MG_OK;
    }
    if (a.n_operands > 0) {
        manage m = {.command = c->path};
        return mg_usage(&m, "unexpected argument '%s'", a.operands[0]);
    }
    if (mg_ids_several(&a))
        return mg_run_ids(c, &a);
    return mg_nsp_ids_expand(c, &a) ? MG_USAGE : c->run(&a);
}
