/*
** cmd_estate.c - `moat estate`: load an estate, report every problem with
** its file, line, resource and JSON path, and show what moat read.
*/
#include "cli.h"
#include "cli_output.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: moat estate --estate PATH... [--lenient] [--format text|json]\n"
    "                   [-o FORMAT] [--query JMESPATH]\n"
    "\n"
    "Loads and compiles an estate. Prints every problem as\n"
    "FILE:LINE:COL: severity: RESOURCE: PATH: message, then a summary\n"
    "(text), or every resource with its effective settings, Azure's\n"
    "defaults made explicit (json).\n"
    "\n"
    "  -o, --output F     az's json, jsonc, table, tsv, yaml or none, on the\n"
    "                     JSON; table and tsv: a row per resource: name,\n"
    "                     kind, location, publicNetworkAccess,\n"
    "                     defaultAction, file, line (docs/output.md)\n"
    "  --query JMESPATH   az's --query on the JSON, before -o formats it\n"
    "\n"
    "Exit status: 0 loaded, 2 usage error, 3 bad estate.\n";

static const cli_spec spec[] = {{"estate", 1, 0}, {"lenient", 0, 0},
                                {"format", 1, 0}, {"quiet", 0, 'q'},
                                {"help", 0, 'h'}, CLI_OUTPUT_SPEC,
                                {NULL, 0, 0}};

int cmd_estate(int argc, char **argv)
{
    cli_args a;
    if (cli_parse(argc, argv, spec, &a, "estate") != 0)
        return EXIT_USAGE;
    if (cli_has(&a, "help")) {
        fputs(usage, stdout);
        return EXIT_DECIDED;
    }
    if (a.n_operands)
        return cli_usage_error("estate", "unexpected argument '%s'",
                               a.operands[0]);
    static const char *const formats[] = {"text", "json", NULL};
    static const cli_output_cmd cmd = {
        "estate", formats, "text", 0, 0,
        "resources[].{name: name, kind: kind, location: location, "
        "publicNetworkAccess: publicNetworkAccess, "
        "defaultAction: networkAcls.defaultAction, file: file, line: line}"};
    cli_output out;
    if (cli_output_parse(&a, &cmd, &out) != 0)
        return EXIT_USAGE;
    int json = cli_output_is(&out, "json");
    moat_estate *es =
        cli_load_estate(&a, cli_has(&a, "quiet") ? CLI_LOAD_QUIET : 0);
    if (es == NULL)
        return cli_output_end(&out, EXIT_BAD_ESTATE);
    if (cli_output_begin(&out) != 0) {
        moat_estate_free(es);
        return cli_output_end(&out, EXIT_BAD_REQUEST);
    }
    if (json) {
        size_t len = 0;
        char *text = moat_estate_describe(es, &len);
        if (text == NULL) {
            cli_error("out of memory");
            moat_estate_free(es);
            return cli_output_end(&out, EXIT_BAD_ESTATE);
        }
        fwrite(text, 1, len, stdout);
        fputc('\n', stdout);
        moat_free(text);
    } else {
        moat_estate_stats st;
        moat_estate_stats_get(es, &st);
        printf("storage accounts  %zu\n"
               "key vaults        %zu\n"
               "perimeters        %zu\n"
               "associations      %zu\n"
               "subnets           %zu\n"
               "subscriptions     %zu\n",
               st.storage_accounts, st.key_vaults, st.perimeters,
               st.associations, st.subnets, st.subscriptions);
    }
    moat_estate_free(es);
    return cli_output_end(&out, EXIT_DECIDED);
}
