/*
** cmd_catalog.c - `moat catalog`: the trusted-service catalog compiled into
** moat (data/trusted-services.tsv, from the Azure documents in seeds 000
** and 004).
*/
#include "cli.h"

#include <string.h>

static const char usage[] =
    "usage: moat catalog [--target storage|keyvault] [--format text|json]\n"
    "\n"
    "Lists the first-party services that count as trusted when a storage\n"
    "account's or key vault's bypass includes AzureServices. A bare\n"
    "namespace (Microsoft.Sql) matches every resource type in it; a typed\n"
    "entry (Microsoft.DataFactory/factories) needs exactly that type.\n";

static const cli_spec spec[] = {
    {"target", 1, 0}, {"format", 1, 0}, {"help", 0, 'h'}, {NULL, 0, 0}};

int cmd_catalog(int argc, char **argv)
{
    cli_args a;
    if (cli_parse(argc, argv, spec, &a, "catalog") != 0)
        return EXIT_USAGE;
    if (cli_has(&a, "help")) {
        fputs(usage, stdout);
        return EXIT_DECIDED;
    }
    if (a.n_operands)
        return cli_usage_error("catalog", "unexpected argument '%s'",
                               a.operands[0]);
    const char *target = cli_get(&a, "target");
    if (target && strcmp(target, "storage") != 0 &&
        strcmp(target, "keyvault") != 0)
        return cli_usage_error("catalog", "--target must be storage or "
                                          "keyvault");
    int json = cli_format(&a, 0);
    if (json < 0)
        return cli_usage_error("catalog", "--format must be text or json");
    size_t n = moat_catalog_count();
    int first = 1;
    if (json)
        printf("[");
    else
        printf("%-9s %-18s %-44s %s\n", "TARGET", "KIND", "MATCH", "SERVICE");
    for (size_t i = 0; i < n; i++) {
        const moat_service *s = moat_catalog_entry(i);
        if (target && strcmp(target, s->target) != 0)
            continue;
        if (json) {
            printf("%s\n {\"target\":", first ? "" : ",");
            cli_json_str(stdout, s->target);
            printf(",\"kind\":");
            cli_json_str(stdout, s->kind);
            printf(",\"service\":");
            cli_json_str(stdout, s->service);
            printf(",\"match\":");
            cli_json_str(stdout, s->match);
            printf(",\"operations\":");
            cli_json_str(stdout, s->operations);
            printf(",\"note\":");
            cli_json_str(stdout, s->note);
            printf("}");
        } else {
            printf("%-9s %-18s %-44s %s\n", s->target, s->kind, s->match,
                   s->service);
        }
        first = 0;
    }
    if (json)
        printf("\n]\n");
    return EXIT_DECIDED;
}
