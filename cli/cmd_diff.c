/*
** cmd_diff.c - `moat diff OLD NEW` and `moat diff PLAN.json`: what a change
** opens and closes, exactly, per resource (docs/reach.md); with
** --fail-on new-access, the CI gate that no change gives anyone new access.
*/
#include "cli.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: moat diff OLD NEW [options]\n"
    "       moat diff PLAN.json [options]\n"
    "\n"
    "What a change opens and closes, for every request at once. OLD and NEW\n"
    "are estates (files or directories, any shape `moat estate` reads); a\n"
    "Terraform plan (`terraform show -json PLAN`) is diffed between its\n"
    "prior state and its planned values. For each resource added, removed\n"
    "or changed: the classes of requests newly allowed and newly denied,\n"
    "each with category and rule before and after, a witness request and\n"
    "its address count, and the exposure before and after (docs/reach.md).\n"
    "\n"
    "  --format F        text (default), json ({\"moat_diff\": 1, ...}) or\n"
    "                    sarif (2.1.0: a result per resource that a change\n"
    "                    newly opens, at its line in NEW or its plan address)\n"
    "  --fail-on WHAT    new-access: exit 1 when anything is newly allowed;\n"
    "                    any: exit 1 when any decision changes\n"
    "  --soft-fail       report what --fail-on finds, but exit 0 (CI)\n"
    "  --time T          the instant (RFC 3339) the catalog's dates are read\n"
    "                    at; default: every instant\n"
    "  --lenient, --service-tags FILE   as for moat check\n"
    "\n"
    "Exit status: 0 done (nothing to fail on), 1 --fail-on matched, 2 usage\n"
    "error, 3 bad estate or plan.\n";

static const cli_spec spec[] = {
    {"format", 1, 0},       {"fail-on", 1, 0}, {"time", 1, 0},
    {"soft-fail", 0, 0},
    {"lenient", 0, 0},      {"service-tags", 1, 0},
    {"help", 0, 'h'},       {NULL, 0, 0}};

enum { FMT_TEXT, FMT_JSON, FMT_SARIF };
enum { FAIL_NONE, FAIL_NEW_ACCESS, FAIL_ANY };

typedef struct diff_run {
    const moat_estate *old_es, *new_es;
    moat_estate_changes *changes;
    const cli_args *a;
    int fmt;
    int n_out;
    int newly_allowed, any_change;
    const char *new_label; /* file name of NEW, for SARIF */
} diff_run;

/*--------------------------------------------------------------------------
** Loading: two estates, or a plan's prior state and planned values.
*/
static moat_estate *load_text(const char *name, const char *text, size_t len,
                              unsigned flags, const cli_args *a)
{
    moat_loader *ld = moat_loader_new(
        flags | (cli_has(a, "lenient") ? MOAT_LOAD_LENIENT : 0));
    moat_estate *es = NULL;
    if (ld && moat_loader_add_json(ld, name, text, len) == MOAT_OK &&
        (!cli_get(a, "service-tags") ||
         moat_loader_add_service_tags(ld, cli_get(a, "service-tags")) ==
             MOAT_OK))
        moat_loader_finish(ld, &es);
    for (size_t i = 0; ld && i < moat_loader_diag_count(ld); i++)
        if (moat_loader_diag(ld, i)->severity == MOAT_SEV_ERROR)
            cli_print_diag(moat_loader_diag(ld, i));
    moat_loader_free(ld);
    return es;
}

/* A plan (`terraform show -json PLAN`) has planned values. */
static int is_plan(const char *plan, size_t len)
{
    cJSON *doc = cJSON_ParseWithLength(plan, len);
    int yes = cJSON_IsObject(cJSON_GetObjectItem(doc, "planned_values"));
    cJSON_Delete(doc);
    return yes;
}

/* The plan's prior state (the loader's MOAT_LOAD_PLAN_PRIOR) against its
** planned values. */
static int load_plan(const char *path, const cli_args *a, moat_estate **old_es,
                     moat_estate **new_es)
{
    size_t len = 0;
    char *plan = cli_read_file(path, &len);
    if (plan == NULL)
        return EXIT_BAD_ESTATE;
    if (!is_plan(plan, len)) {
        cli_error("%s: not a Terraform plan (terraform show -json): expected "
                  "an object with planned_values",
                  path);
        free(plan);
        return EXIT_BAD_ESTATE;
    }
    *old_es = load_text(path, plan, len, MOAT_LOAD_PLAN_PRIOR, a);
    *new_es = *old_es ? load_text(path, plan, len, 0, a) : NULL;
    free(plan);
    return *old_es && *new_es ? 0 : EXIT_BAD_ESTATE;
}

/*--------------------------------------------------------------------------
** Output.
*/
static void sarif_result(diff_run *d, const char *id, const char *text)
{
    const char *file = NULL, *address = NULL;
    unsigned line = 0;
    for (size_t i = 0; i < moat_estate_resource_count(d->new_es); i++) {
        const char *rid = moat_estate_resource_id(d->new_es, i, &file, &line,
                                                  &address);
        if (rid && strcmp(rid, id) == 0)
            break;
        file = NULL;
    }
    printf("%s{\"ruleId\":\"MOAT-DIFF-NEW-ACCESS\",\"ruleIndex\":0,"
           "\"level\":\"error\","
           "\"message\":{\"text\":",
           d->n_out++ ? "," : "");
    cli_json_str(stdout, text);
    printf("},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":"
           "{\"uri\":");
    cli_json_str(stdout, file ? file : d->new_label);
    printf("},\"region\":{\"startLine\":%u}}", line ? line : 1);
    if (address) {
        printf(",\"logicalLocations\":[{\"fullyQualifiedName\":");
        cli_json_str(stdout, address);
        printf(",\"kind\":\"resource\"}]");
    }
    printf("}],\"properties\":{\"resource\":");
    cli_json_str(stdout, id);
    printf("}}");
}

/* Diffs one resource (old_id or new_id NULL: absent there). */
static int diff_one(diff_run *d, const char *old_id, const char *new_id)
{
    moat_cells *c = NULL;
    moat_status st = moat_cells_diff(d->old_es, old_id, d->new_es, new_id,
                                     cli_get(d->a, "time"), &c);
    if (st != MOAT_OK) {
        cli_error("diff: %s: %s", new_id ? new_id : old_id, moat_strerror(st));
        return st == MOAT_E_INVAL ? EXIT_USAGE : EXIT_BAD_ESTATE;
    }
    int opened = 0, moved = 0;
    for (size_t i = 0; i < moat_cells_count(c); i++) {
        int ch = moat_cell_change(c, i);
        opened += ch > 0;
        moved += ch != 0;
    }
    d->newly_allowed += opened;
    d->any_change += moved;
    char *out = NULL;
    size_t len = 0;
    if (d->fmt == FMT_JSON)
        out = moat_cells_diff_json(c, &len);
    else if (moved && (d->fmt == FMT_TEXT || opened))
        out = moat_cells_diff_text(c, &len);
    if (out && d->fmt == FMT_JSON) {
        printf("%s", d->n_out++ ? "," : "");
        fwrite(out, 1, len, stdout);
    } else if (out && d->fmt == FMT_TEXT) {
        fwrite(out, 1, len, stdout);
    } else if (out) {
        sarif_result(d, new_id ? new_id : old_id, out);
    }
    moat_free(out);
    moat_cells_free(c);
    return 0;
}

/* Every resource of either estate that may have changed. */
static int diff_all(diff_run *d)
{
    int rc = 0;
    for (size_t i = 0; i < moat_estate_resource_count(d->new_es) && !rc; i++) {
        const char *id = moat_estate_resource_id(d->new_es, i, NULL, NULL, NULL);
        int in_old = moat_estate_has_resource(d->old_es, id);
        if (in_old && moat_estate_resource_unchanged(d->changes, id))
            continue;
        rc = diff_one(d, in_old ? id : NULL, id);
    }
    for (size_t i = 0; i < moat_estate_resource_count(d->old_es) && !rc; i++) {
        const char *id = moat_estate_resource_id(d->old_es, i, NULL, NULL, NULL);
        if (!moat_estate_has_resource(d->new_es, id))
            rc = diff_one(d, id, NULL);
    }
    return rc;
}

static const char sarif_head[] =
    "{\"version\":\"2.1.0\",\"$schema\":\"https://json.schemastore.org/"
    "sarif-2.1.0.json\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"moat\","
    "\"informationUri\":\"https://github.com/moat/moat/blob/main/docs/"
    "reach.md\",\"rules\":[{\"id\":\"MOAT-DIFF-NEW-ACCESS\",\"name\":"
    "\"NewAccess\",\"shortDescription\":{\"text\":\"A change newly admits "
    "requests\"},\"fullDescription\":{\"text\":\"Requests that the old "
    "configuration denies and the new one allows (moat diff, exact over "
    "every request).\"},\"defaultConfiguration\":{\"level\":\"error\"}}]}},"
    "\"results\":[";

static int parse_options(const cli_args *a, diff_run *d, int *fail)
{
    const char *f = cli_get(a, "format");
    d->fmt = !f || !strcmp(f, "text") ? FMT_TEXT
             : !strcmp(f, "json")     ? FMT_JSON
             : !strcmp(f, "sarif")    ? FMT_SARIF
                                      : -1;
    if (d->fmt < 0)
        return cli_usage_error("diff", "--format must be text, json or sarif");
    const char *fo = cli_get(a, "fail-on");
    *fail = !fo ? FAIL_NONE
            : !strcmp(fo, "new-access") ? FAIL_NEW_ACCESS
            : !strcmp(fo, "any")        ? FAIL_ANY
                                        : -1;
    if (*fail < 0)
        return cli_usage_error("diff", "--fail-on must be new-access or any");
    if (a->n_operands < 1 || a->n_operands > 2)
        return cli_usage_error("diff", "expected OLD NEW, or PLAN.json");
    return 0;
}

static int load_sides(const cli_args *a, moat_estate **o, moat_estate **n)
{
    *o = *n = NULL;
    if (a->n_operands == 1)
        return load_plan(a->operands[0], a, o, n);
    unsigned flags = CLI_LOAD_QUIET | (cli_has(a, "lenient") ? CLI_LOAD_LENIENT : 0);
    *o = cli_load_paths(&a->operands[0], 1, cli_get(a, "service-tags"), flags);
    *n = *o ? cli_load_paths(&a->operands[1], 1, cli_get(a, "service-tags"),
                             flags)
            : NULL;
    return *o && *n ? 0 : EXIT_BAD_ESTATE;
}

int cmd_diff(int argc, char **argv)
{
    cli_args a;
    diff_run d;
    int fail = FAIL_NONE;
    memset(&d, 0, sizeof d);
    if (cli_parse(argc, argv, spec, &a, "diff") != 0)
        return EXIT_USAGE;
    if (cli_has(&a, "help")) {
        fputs(usage, stdout);
        return EXIT_DECIDED;
    }
    int rc = parse_options(&a, &d, &fail);
    if (rc)
        return rc;
    moat_estate *o = NULL, *n = NULL;
    rc = load_sides(&a, &o, &n);
    d.old_es = o;
    d.new_es = n;
    d.a = &a;
    d.new_label = a.operands[a.n_operands - 1];
    d.changes = rc ? NULL : moat_estate_changes_new(o, n);
    if (rc == 0 && d.changes == NULL)
        rc = EXIT_BAD_ESTATE;
    if (rc == 0) {
        fputs(d.fmt == FMT_JSON    ? "{\"moat_diff\":1,\"resources\":["
              : d.fmt == FMT_SARIF ? sarif_head
                                   : "",
              stdout);
        rc = diff_all(&d);
        fputs(d.fmt == FMT_TEXT ? "" : "]}", stdout);
        fputs(d.fmt == FMT_SARIF ? "]}\n" : d.fmt == FMT_JSON ? "\n" : "",
              stdout);
        if (d.fmt == FMT_TEXT && d.any_change == 0)
            puts("no decision changes");
    }
    moat_estate_changes_free(d.changes);
    moat_estate_free(o);
    moat_estate_free(n);
    if (rc)
        return rc;
    if ((fail == FAIL_NEW_ACCESS && d.newly_allowed) ||
        (fail == FAIL_ANY && d.any_change)) {
        if (cli_has(&a, "soft-fail")) {
            fprintf(stderr, "moat: --fail-on %s matched; --soft-fail: exit 0\n",
                    cli_get(&a, "fail-on"));
            return EXIT_DECIDED;
        }
        return EXIT_FINDINGS;
    }
    return EXIT_DECIDED;
}
