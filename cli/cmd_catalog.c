/*
** cmd_catalog.c - `moat catalog`: the trusted-service catalog compiled into
** moat (data/trusted-services.tsv, from the Azure documents in seeds 000
** and 004).
*/
#include "cli.h"
#include "cli_output.h"

#include <string.h>

static const char usage[] =
    "usage: moat catalog [--target storage|keyvault] [--format text|json]\n"
    "                    [-o FORMAT] [--query JMESPATH]\n"
    "\n"
    "Lists the first-party services that count as trusted when a storage\n"
    "account's or key vault's bypass includes AzureServices. A row names a\n"
    "caller whose caller.service equals its PLATFORM, or whose calling\n"
    "resource's type is among its IDENTITIES (a bare namespace there, such\n"
    "as Microsoft.Sql, matches every type in it). A row holds for requests\n"
    "made from SINCE (UTC) and before UNTIL; '-' is an open end.\n"
    "\n"
    "  -o, --output F     az's json, jsonc, table, tsv, yaml or none, on the\n"
    "                     JSON list; table and tsv: target, kind, service,\n"
    "                     platform, identities, since, until\n"
    "                     (docs/output.md)\n"
    "  --query JMESPATH   az's --query on the JSON, before -o formats it\n";

static const cli_spec spec[] = {
    {"target", 1, 0}, {"format", 1, 0}, {"help", 0, 'h'}, CLI_OUTPUT_SPEC,
    {NULL, 0, 0}};

static const char *dash(const char *s)
{
    return *s ? s : "-";
}

/* One row as JSON: every column, empty ones as "". */
static void print_json(const moat_service *s)
{
    const char *const names[] = {"target",     "kind",  "service",
                                 "platform",   "identities", "since",
                                 "until",      "operations", "note"};
    const char *const values[] = {s->target,     s->kind,       s->service,
                                  s->platform,   s->identities, s->since,
                                  s->until,      s->operations, s->note};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        printf("%s\"%s\":", i ? "," : " {", names[i]);
        cli_json_str(stdout, values[i]);
    }
    printf("}");
}

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
        return cli_usage_error("catalog",
                               "--target must be storage or keyvault");
    static const char *const formats[] = {"text", "json", NULL};
    static const cli_output_cmd cmd = {
        "catalog", formats, "text", 0, 0,
        "[].{target: target, kind: kind, service: service, "
        "platform: platform, identities: identities, since: since, "
        "until: until}"};
    cli_output out;
    if (cli_output_parse(&a, &cmd, &out) != 0 || cli_output_begin(&out) != 0)
        return cli_output_end(&out, EXIT_USAGE);
    int json = cli_output_is(&out, "json");
    size_t n = moat_catalog_count();
    int first = 1;
    if (json)
        printf("[");
    else
        printf("%-9s %-18s %-34s %-44s %-10s %-10s %s\n", "TARGET", "KIND",
               "PLATFORM", "IDENTITIES", "SINCE", "UNTIL", "SERVICE");
    for (size_t i = 0; i < n; i++) {
        const moat_service *s = moat_catalog_entry(i);
        if (target && strcmp(target, s->target) != 0)
            continue;
        if (json) {
            printf("%s\n", first ? "" : ",");
            print_json(s);
        } else {
            printf("%-9s %-18s %-34s %-44s %-10s %-10s %s\n", s->target,
                   s->kind, dash(s->platform), dash(s->identities),
                   dash(s->since), dash(s->until), s->service);
        }
        first = 0;
    }
    if (json)
        printf("\n]\n");
    return cli_output_end(&out, EXIT_DECIDED);
}
