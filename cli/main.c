/*
** main.c - the moat command: dispatch to a subcommand.
*/
#include "cli.h"

#include <string.h>

static const char usage[] =
    "usage: moat <command> [options]\n"
    "\n"
    "Azure Storage and Key Vault network access, decided and explained the\n"
    "way Azure decides it: publicNetworkAccess, firewall rules, exceptions,\n"
    "resource instance rules, private endpoints and network security\n"
    "perimeters.\n"
    "\n"
    "Commands:\n"
    "  check     decide one request or a stream of them, and explain why\n"
    "  audit     posture controls (CIS) and exposure findings: text, JSON,\n"
    "            SARIF, JUnit\n"
    "  reach     who can get in, per resource, exactly: every request at\n"
    "            once, as classes with the rules that admit them\n"
    "  diff      what a change (two estates, or a Terraform plan) newly\n"
    "            allows and denies; --fail-on new-access gates CI\n"
    "  replay    what-if over Storage access logs: what proposed estates\n"
    "            would newly deny or allow, and moat against Azure\n"
    "  serve     a decision service: /v1/check, /v1/authz (Envoy ext_authz,\n"
    "            nginx auth_request), /healthz, /metrics\n"
    "  token     local signing keys and bearer tokens for named identities\n"
    "  estate    load an estate, report problems, show what moat read\n"
    "  catalog   list the trusted-service catalog\n"
    "\n"
    "Managing rules in estate files, with az's verbs and flags:\n"
    "  storage account show|update, storage account network-rule\n"
    "            list|add|remove\n"
    "  keyvault show|update, keyvault network-rule list|add|remove\n"
    "  network perimeter create|show|list, ... profile create|list,\n"
    "            ... profile access-rule create|delete|list|show,\n"
    "            ... association create|update|delete|show|list\n"
    "  help      this text; 'moat <command> --help' for a command\n"
    "\n"
    "  moat --version prints the version.\n";

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"check", cmd_check},    {"audit", cmd_audit},    {"replay", cmd_replay},
    {"token", cmd_token},    {"estate", cmd_estate},  {"catalog", cmd_catalog},
    {"serve", cmd_serve},    {"storage", cmd_manage}, {"keyvault", cmd_manage},
    {"network", cmd_manage}, {"reach", cmd_reach},   {"diff", cmd_diff},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "-h") == 0) {
        if (argc > 2) {
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
                if (strcmp(argv[2], commands[i].name) == 0) {
                    char help[] = "--help";
                    char *args[] = {help, NULL};
                    char *group[] = {argv[2], help, NULL};
                    return commands[i].run == cmd_manage
                               ? cmd_manage(2, group)
                               : commands[i].run(1, args);
                }
            }
        }
        fputs(usage, stdout);
        return EXIT_DECIDED;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("moat %s\n", moat_version());
        return EXIT_DECIDED;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run == cmd_manage
                       ? cmd_manage(argc - 1, argv + 1)
                       : commands[i].run(argc - 2, argv + 2);
    }
    fprintf(stderr, "moat: '%s' is not a moat command. See 'moat help'.\n",
            cmd);
    return EXIT_USAGE;
}
