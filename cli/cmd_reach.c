/*
** cmd_reach.c - `moat reach`: who can get in, per resource, exactly
** (docs/reach.md). The cells and their projections come from the library;
** this file picks the resources and the format.
*/
#include "cli.h"
#include "cli_output.h"
#include "reach_html.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: moat reach --estate PATH... [--resource NAME|ID]... [--time T]\n"
    "                  [--format text|json|dot|html] [--cells] [--lenient]\n"
    "                  [--service-tags FILE] [-o FORMAT] [--query JMESPATH]\n"
    "\n"
    "Who can get in, per resource, for every request at once: the request\n"
    "space of decision.md section 2 cut into cells on which moat decides\n"
    "the same way (docs/reach.md). The text groups the admitted sources by\n"
    "class (internet addresses as the fewest CIDR ranges with counts,\n"
    "same-region callers, subnets, private endpoints, trusted services,\n"
    "resource instances, perimeter subscriptions and perimeters, $logs and\n"
    "$Metrics readers) with the rules that admit them, and what a Learning\n"
    "or Audit association would change under Enforced.\n"
    "\n"
    "  --resource R   only this resource (repeatable); default: every one\n"
    "  --time T       the instant (RFC 3339) the catalog's dates are read at;\n"
    "                 default: every instant (exposure: now)\n"
    "  --format F     text (default), json ({\"resources\": [...]}, each with\n"
    "                 its exposure), or dot (Graphviz: sources -> resource,\n"
    "                 edges labelled by rule), or html: one self-contained\n"
    "                 page (no script, nothing fetched) with the resources,\n"
    "                 the diagram drawn by Graphviz when installed (a table\n"
    "                 otherwise) and each resource's text\n"
    "  --cells        json: every cell too, with its `when`\n"
    "  -o, --output F az's json, jsonc, table, tsv, yaml or none, on the\n"
    "                 JSON; table and tsv: a row per resource: resource,\n"
    "                 kind, association, internet_ipv4, internet_ipv6\n"
    "                 (docs/output.md)\n"
    "  --query Q      az's --query (JMESPath) on the JSON, before -o\n"
    "\n"
    "Exit status: 0 done, 2 usage error, 3 bad estate or unknown resource.\n";

static const cli_spec spec[] = {
    {"estate", 1, 0},   {"resource", 1, 0}, {"time", 1, 0},
    {"format", 1, 0},   {"cells", 0, 0},    {"lenient", 0, 0},
    {"service-tags", 1, 0}, {"help", 0, 'h'}, CLI_OUTPUT_SPEC,
    {NULL, 0, 0}};

enum { FMT_TEXT, FMT_JSON, FMT_DOT, FMT_HTML };

static int reach_format(const char *f)
{
    if (strcmp(f, "text") == 0)
        return FMT_TEXT;
    if (strcmp(f, "json") == 0)
        return FMT_JSON;
    if (strcmp(f, "html") == 0)
        return FMT_HTML;
    return strcmp(f, "dot") == 0 ? FMT_DOT : -1;
}

/* Prints one resource; 0, or an exit status. */
static int reach_one(const moat_estate *es, const char *id, const cli_args *a,
                     int fmt, int *n_out)
{
    moat_cells *c = NULL;
    moat_status st = moat_cells_compute(es, id, cli_get(a, "time"), &c);
    if (st != MOAT_OK) {
        cli_error("reach: %s: %s", id, moat_strerror(st));
        return st == MOAT_E_INVAL ? EXIT_USAGE : EXIT_BAD_ESTATE;
    }
    size_t len = 0;
    char *out = fmt == FMT_JSON  ? moat_cells_reach_json(c, cli_has(a, "cells"),
                                                         &len)
                : fmt == FMT_DOT ? moat_cells_reach_dot(c, &len)
                                 : moat_cells_reach_text(c, &len);
    moat_cells_free(c);
    if (out == NULL) {
        cli_error("reach: out of memory");
        return EXIT_BAD_ESTATE;
    }
    if (fmt == FMT_JSON && (*n_out)++)
        fputc(',', stdout);
    if (fmt == FMT_TEXT && (*n_out)++)
        fputc('\n', stdout);
    fwrite(out, 1, len, stdout);
    moat_free(out);
    return 0;
}

/* --format html: the resources named by --resource, else every one, on
** one page (reach_html.h). */
static int reach_page(const moat_estate *es, const cli_args *a)
{
    size_t n = 0, cap = (size_t)a->n_opts + moat_estate_resource_count(es);
    const char **ids = malloc((cap + 1) * sizeof *ids);
    if (ids == NULL) {
        cli_error("reach: out of memory");
        return EXIT_BAD_ESTATE;
    }
    for (int i = 0; i < a->n_opts; i++) {
        if (strcmp(a->opts[i].name, "resource") == 0)
            ids[n++] = a->opts[i].value;
    }
    for (size_t i = 0; !cli_has(a, "resource") &&
                       i < moat_estate_resource_count(es);
         i++)
        ids[n++] = moat_estate_resource_id(es, i, NULL, NULL, NULL);
    int rc = reach_html(stdout, es, ids, n, cli_get(a, "time"));
    free(ids);
    return rc;
}

int cmd_reach(int argc, char **argv)
{
    cli_args a;
    if (cli_parse(argc, argv, spec, &a, "reach") != 0)
        return EXIT_USAGE;
    if (cli_has(&a, "help")) {
        fputs(usage, stdout);
        return EXIT_DECIDED;
    }
    static const char *const formats[] = {"text", "json", "dot", "html", NULL};
    static const cli_output_cmd cmd = {
        "reach", formats, "text", 0, 0,
        "resources[].{resource: resource, kind: kind, association: "
        "association, internet_ipv4: exposure.internet.ipv4, internet_ipv6: "
        "exposure.internet.ipv6}"};
    cli_output out;
    if (a.n_operands)
        return cli_usage_error("reach", "unexpected argument '%s'",
                               a.operands[0]);
    if (!cli_has(&a, "estate"))
        return cli_usage_error("reach", "--estate is required");
    if (cli_output_parse(&a, &cmd, &out) != 0)
        return EXIT_USAGE;
    int fmt = reach_format(out.format);
    moat_estate *es = cli_load_estate(&a, 0);
    if (es == NULL)
        return cli_output_end(&out, EXIT_BAD_ESTATE);
    if (fmt == FMT_HTML) {
        int rc = reach_page(es, &a);
        moat_estate_free(es);
        return cli_output_end(&out, rc);
    }
    int rc = cli_output_begin(&out), n = 0;
    if (rc) {
        moat_estate_free(es);
        return cli_output_end(&out, rc);
    }
    fputs(fmt == FMT_JSON ? "{\"resources\":[" : fmt == FMT_DOT ? "digraph reach {\n  rankdir=LR;\n" : "", stdout);
    if (cli_has(&a, "resource")) {
        for (int i = 0; i < a.n_opts && rc == 0; i++) {
            if (strcmp(a.opts[i].name, "resource") == 0)
                rc = reach_one(es, a.opts[i].value, &a, fmt, &n);
        }
    } else {
        for (size_t i = 0; i < moat_estate_resource_count(es) && rc == 0; i++)
            rc = reach_one(es, moat_estate_resource_id(es, i, NULL, NULL, NULL),
                           &a, fmt, &n);
    }
    fputs(fmt == FMT_JSON ? "]}\n" : fmt == FMT_DOT ? "}\n" : "", stdout);
    moat_estate_free(es);
    return cli_output_end(&out, rc);
}
