/*
** cmd_diff.c - `moat diff OLD NEW` and `moat diff PLAN.json`: what a change
** opens and closes, exactly, per resource (docs/reach.md); with
** --fail-on new-access, the CI gate that no change gives anyone new access.
*/
#include "cli.h"
#include "cli_output.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    "  --format F        text (default), json ({\"moat_diff\": 1, ...}),\n"
    "                    sarif (2.1.0: a result per resource that a change\n"
    "                    newly opens, at its line in NEW or its plan\n"
    "                    address), or csv: a row per class of requests whose\n"
    "                    decision changes (resource, name, kind, change,\n"
    "                    category and rule before and after, IPv4 and IPv6\n"
    "                    address counts, a witness request as JSON)\n"
    "  -o, --output F    az's json, jsonc, table, tsv, yaml or none, on the\n"
    "                    JSON; table and tsv: a row per resource: resource,\n"
    "                    kind, change, newly_allowed, newly_denied (classes),\n"
    "                    internet_ipv4_before, internet_ipv4_after\n"
    "  --query JMESPATH  az's --query on the JSON, before -o formats it\n"
    "  --check SEL,...   only the changes SEL selects; SEL is a resource\n"
    "                    (name or id), a change (newly-allowed, newly-denied;\n"
    "                    MOAT-DIFF-NEW-ACCESS is newly-allowed) or a category\n"
    "                    of the rule that admits (decision.md: ResIpRule,\n"
    "                    ResVnetRule, ...; after the change for newly allowed\n"
    "                    requests, before it for newly denied ones). Names of\n"
    "                    one kind are alternatives; kinds combine: --check\n"
    "                    stnwx,newly-allowed is what stnwx newly allows\n"
    "  --skip-check SEL,...  all but the changes any SEL selects\n"
    "  --compact         text: a line per changed resource (counts and the\n"
    "                    internet exposure before and after)\n"
    "  --fail-on WHAT    new-access: exit 1 when anything is newly allowed;\n"
    "                    any: exit 1 when any decision changes\n"
    "  --soft-fail       report what --fail-on finds, but exit 0 (CI)\n"
    "                    (--fail-on counts the selected changes only)\n"
    "  --time T          the instant (RFC 3339) the catalog's dates are read\n"
    "                    at; default: every instant\n"
    "  --lenient, --service-tags FILE   as for moat check\n"
    "\n"
    "Exit status: 0 done (nothing to fail on), 1 --fail-on matched, 2 usage\n"
    "error, 3 bad estate or plan.\n";

static const cli_spec spec[] = {
    {"format", 1, 0},       {"fail-on", 1, 0}, {"time", 1, 0},
    {"soft-fail", 0, 0},    {"compact", 0, 0},
    {"check", CLI_VALUES, 0}, {"skip-check", CLI_VALUES, 0},
    CLI_OUTPUT_SPEC,
    {"lenient", 0, 0},      {"service-tags", 1, 0},
    {"help", 0, 'h'},       {NULL, 0, 0}};

enum { FMT_TEXT, FMT_JSON, FMT_SARIF, FMT_CSV };
enum { FAIL_NONE, FAIL_NEW_ACCESS, FAIL_ANY };

/* --check and --skip-check (docs/reach.md): each name selects by the
** resource (its name or id), the change (newly allowed or denied) or the
** category of the rule that admits; names of one kind are alternatives,
** kinds combine, a change any --skip-check name selects is left out. */
enum { SEL_RESOURCE, SEL_CHANGE, SEL_CATEGORY, SEL_KINDS };
typedef struct selectors {
    const char *names[CLI_MAX_ARGS];
    int kind[CLI_MAX_ARGS], skip[CLI_MAX_ARGS];
    size_t n;
    int checks[SEL_KINDS]; /* --check names of each kind */
    char text[8192];
} selectors;

typedef struct diff_run {
    const moat_estate *old_es, *new_es;
    moat_estate_changes *changes;
    const cli_args *a;
    int fmt;
    int compact;
    const selectors *sel;
    int used[CLI_MAX_ARGS]; /* which selectors selected something */
    int n_out;
    int newly_allowed, any_change;
    const char *new_label; /* file name of NEW, for SARIF */
} diff_run;

/* 1 newly allowed, -1 newly denied, 0 not a change kind. */
static int change_named(const char *s)
{
    if (!strcasecmp(s, "newly-allowed") || !strcasecmp(s, "newly_allowed") ||
        !strcasecmp(s, "MOAT-DIFF-NEW-ACCESS"))
        return 1;
    return !strcasecmp(s, "newly-denied") || !strcasecmp(s, "newly_denied")
               ? -1
               : 0;
}

static int read_selectors(const cli_args *a, selectors *sel)
{
    size_t used = 0;
    memset(sel, 0, sizeof *sel);
    for (int i = 0; i < a->n_opts; i++) {
        int skip = strcmp(a->opts[i].name, "skip-check") == 0;
        if (!skip && strcmp(a->opts[i].name, "check") != 0)
            continue;
        size_t n = strlen(a->opts[i].value);
        if (used + n + 1 > sizeof sel->text)
            return cli_usage_error("diff", "--check: too many names");
        memcpy(sel->text + used, a->opts[i].value, n + 1);
        for (char *tok = strtok(sel->text + used, ","); tok;
             tok = strtok(NULL, ",")) {
            tok += strspn(tok, " ");
            if (*tok == '\0' || sel->n == CLI_MAX_ARGS)
                continue;
            int kind = change_named(tok) ? SEL_CHANGE
                       : moat_category_from_name(tok) != MOAT_CAT_NONE
                           ? SEL_CATEGORY
                           : SEL_RESOURCE;
            sel->names[sel->n] = tok;
            sel->kind[sel->n] = kind;
            sel->skip[sel->n++] = skip;
            sel->checks[kind] += !skip;
        }
        used += n + 1;
    }
    return 0;
}

/* The resource's name: the last segment of its id. */
static const char *name_of(const char *id)
{
    const char *slash = strrchr(id, '/');
    return slash ? slash + 1 : id;
}

static int selects(const char *name, int kind, const char *id, int change,
                   const char *category)
{
    switch (kind) {
    case SEL_RESOURCE:
        return !strcasecmp(name, id) || !strcasecmp(name, name_of(id));
    case SEL_CHANGE: return change_named(name) == change;
    default: return category && !strcasecmp(name, category);
    }
}

/* Whether a change (1 newly allowed, -1 newly denied) of resource id,
** admitted by category (after for 1, before for -1), is reported. */
static int selected(const selectors *sel, int *used, const char *id,
                    int change, const char *category)
{
    int matched[SEL_KINDS] = {0};
    for (size_t i = 0; i < sel->n; i++) {
        int hit = selects(sel->names[i], sel->kind[i], id, change, category);
        used[i] |= hit;
        if (hit && sel->skip[i])
            return 0;
        matched[sel->kind[i]] |= hit && !sel->skip[i];
    }
    for (int k = 0; k < SEL_KINDS; k++)
        if (sel->checks[k] && !matched[k])
            return 0;
    return 1;
}

/* A name of --check or --skip-check that selected nothing. */
static void unused_selectors(const selectors *sel, const int *used)
{
    for (size_t i = 0; i < sel->n; i++)
        if (!used[i])
            fprintf(stderr,
                    "moat: warning: --%s %s selects no change of this diff\n",
                    sel->skip[i] ? "skip-check" : "check", sel->names[i]);
}

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

/* Drops the classes of list (newly_allowed: change 1, newly_denied: -1)
** the selectors leave out; the number kept. */
static int keep_selected(diff_run *d, cJSON *list, const char *id, int change)
{
    int kept = 0;
    for (cJSON *e = list ? list->child : NULL, *next; e; e = next) {
        next = e->next;
        cJSON *side = cJSON_GetObjectItem(e, change > 0 ? "after" : "before");
        const char *cat =
            cJSON_GetStringValue(cJSON_GetObjectItem(side, "category"));
        if (selected(d->sel, d->used, id, change, cat))
            kept++;
        else
            cJSON_Delete(cJSON_DetachItemViaPointer(list, e));
    }
    return kept;
}

static const char *str_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(o, a), b);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* A number, or (IPv6 counts past 2^53) a string, as text. */
static const char *count_at(const cJSON *o, const char *a, const char *b,
                            char *buf, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(o, a), b);
    if (cJSON_IsNumber(v))
        snprintf(buf, cap, "%.0f", v->valuedouble);
    else
        snprintf(buf, cap, "%s", cJSON_IsString(v) ? v->valuestring : "");
    return buf;
}

static const char csv_head[] =
    "resource,name,kind,change,before_category,before_rule,after_category,"
    "after_rule,ipv4_addresses,ipv6_addresses,witness\r\n";

static void csv_rows(const cJSON *res, const char *list, const char *change)
{
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(res, "resource"));
    const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(res, "kind"));
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(res, list))
    {
        char v4[32], v6[48];
        cli_csv_field(stdout, id, 0);
        cli_csv_field(stdout, id ? name_of(id) : "", 0);
        cli_csv_field(stdout, kind, 0);
        cli_csv_field(stdout, change, 0);
        cli_csv_field(stdout, str_at(e, "before", "category"), 0);
        cli_csv_field(stdout, str_at(e, "before", "rule"), 0);
        cli_csv_field(stdout, str_at(e, "after", "category"), 0);
        cli_csv_field(stdout, str_at(e, "after", "rule"), 0);
        cli_csv_field(stdout, count_at(e, "addresses", "ipv4", v4, sizeof v4),
                      0);
        cli_csv_field(stdout, count_at(e, "addresses", "ipv6", v6, sizeof v6),
                      0);
        char *witness = cJSON_PrintUnformatted(cJSON_GetObjectItem(e, "witness"));
        cli_csv_field(stdout, witness, 1);
        free(witness);
    }
}

/* --compact: a line per changed resource. */
static void compact_line(const cJSON *res, int opened, int closed)
{
    const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(res, "resource"));
    char before[48], after[48];
    const cJSON *eb = cJSON_GetObjectItem(res, "exposure_before");
    const cJSON *ea = cJSON_GetObjectItem(res, "exposure_after");
    printf("%s (%s, %s): %d newly allowed, %d newly denied classes; internet "
           "IPv4 addresses %s -> %s\n",
           id ? name_of(id) : "?",
           cJSON_GetStringValue(cJSON_GetObjectItem(res, "kind")),
           cJSON_GetStringValue(cJSON_GetObjectItem(res, "change")), opened,
           closed, count_at(eb, "internet", "ipv4", before, sizeof before),
           count_at(ea, "internet", "ipv4", after, sizeof after));
}

/* Prints one resource's selected changes in the run's format. */
static void print_one(diff_run *d, const moat_cells *c, cJSON *res,
                      const char *json, const char *id, int opened, int closed)
{
    char *out = NULL;
    size_t len = 0;
    if (d->fmt == FMT_JSON && (d->sel->n == 0 || opened + closed)) {
        /* the library's text when nothing was left out */
        out = d->sel->n ? cJSON_PrintUnformatted(res) : NULL;
        printf("%s%s", d->n_out++ ? "," : "", out ? out : json);
        free(out);
        return;
    }
    if (opened + closed == 0)
        return;
    if (d->fmt == FMT_CSV) {
        csv_rows(res, "newly_allowed", "newly_allowed");
        csv_rows(res, "newly_denied", "newly_denied");
    } else if (d->fmt == FMT_TEXT && d->compact) {
        compact_line(res, opened, closed);
    } else if (d->fmt == FMT_TEXT || (d->fmt == FMT_SARIF && opened)) {
        out = moat_cells_diff_text(c, &len);
        if (out && d->fmt == FMT_TEXT)
            fwrite(out, 1, len, stdout);
        else if (out)
            sarif_result(d, id, out);
        moat_free(out);
    }
}

/* Diffs one resource (old_id or new_id NULL: absent there). */
static int diff_one(diff_run *d, const char *old_id, const char *new_id)
{
    moat_cells *c = NULL;
    const char *id = new_id ? new_id : old_id;
    moat_status st = moat_cells_diff(d->old_es, old_id, d->new_es, new_id,
                                     cli_get(d->a, "time"), &c);
    if (st != MOAT_OK) {
        cli_error("diff: %s: %s", id, moat_strerror(st));
        return st == MOAT_E_INVAL ? EXIT_USAGE : EXIT_BAD_ESTATE;
    }
    size_t len = 0;
    char *json = moat_cells_diff_json(c, &len);
    cJSON *res = json ? cJSON_ParseWithLength(json, len) : NULL;
    if (res == NULL) {
        moat_free(json);
        moat_cells_free(c);
        cli_error("diff: out of memory");
        return EXIT_BAD_ESTATE;
    }
    int opened = keep_selected(d, cJSON_GetObjectItem(res, "newly_allowed"),
                               id, 1);
    int closed = keep_selected(d, cJSON_GetObjectItem(res, "newly_denied"),
                               id, -1);
    d->newly_allowed += opened;
    d->any_change += opened + closed;
    print_one(d, c, res, json, id, opened, closed);
    moat_free(json);
    cJSON_Delete(res);
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

static const char *const diff_formats[] = {"text", "json", "sarif", "csv",
                                           NULL};
static const cli_output_cmd diff_cmd = {
    "diff", diff_formats, "text", 0, 0,
    "resources[].{resource: resource, kind: kind, change: change, "
    "newly_allowed: length(newly_allowed), newly_denied: "
    "length(newly_denied), internet_ipv4_before: "
    "exposure_before.internet.ipv4, internet_ipv4_after: "
    "exposure_after.internet.ipv4}"};

static int parse_options(const cli_args *a, diff_run *d, cli_output *out,
                         selectors *sel, int *fail)
{
    const char *fo = cli_get(a, "fail-on");
    *fail = !fo ? FAIL_NONE
            : !strcmp(fo, "new-access") ? FAIL_NEW_ACCESS
            : !strcmp(fo, "any")        ? FAIL_ANY
                                        : -1;
    if (*fail < 0)
        return cli_usage_error("diff", "--fail-on must be new-access or any");
    if (a->n_operands < 1 || a->n_operands > 2)
        return cli_usage_error("diff", "expected OLD NEW, or PLAN.json");
    if (read_selectors(a, sel) != 0 || cli_output_parse(a, &diff_cmd, out))
        return EXIT_USAGE;
    const char *f = out->format;
    d->fmt = !strcmp(f, "json")    ? FMT_JSON
             : !strcmp(f, "sarif") ? FMT_SARIF
             : !strcmp(f, "csv")   ? FMT_CSV
                                   : FMT_TEXT;
    d->compact = cli_has(a, "compact");
    d->sel = sel;
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

/* The document in the run's format: its head, every resource, its end. */
static int print_diff(diff_run *d)
{
    fputs(d->fmt == FMT_JSON    ? "{\"moat_diff\":1,\"resources\":["
          : d->fmt == FMT_SARIF ? sarif_head
          : d->fmt == FMT_CSV   ? csv_head
                                : "",
          stdout);
    int rc = diff_all(d);
    fputs(d->fmt == FMT_SARIF  ? "]}]}\n"
          : d->fmt == FMT_JSON ? "]}\n"
                               : "",
          stdout);
    if (d->fmt == FMT_TEXT && d->any_change == 0)
        puts(d->sel->n ? "no selected decision changes"
                       : "no decision changes");
    if (rc == 0)
        unused_selectors(d->sel, d->used);
    return rc;
}

static int exit_status(const cli_args *a, const diff_run *d, int fail)
{
    if ((fail == FAIL_NEW_ACCESS && d->newly_allowed) ||
        (fail == FAIL_ANY && d->any_change)) {
        if (cli_has(a, "soft-fail")) {
            fprintf(stderr, "moat: --fail-on %s matched; --soft-fail: exit 0\n",
                    cli_get(a, "fail-on"));
            return EXIT_DECIDED;
        }
        return EXIT_FINDINGS;
    }
    return EXIT_DECIDED;
}

int cmd_diff(int argc, char **argv)
{
    cli_args a;
    diff_run d;
    cli_output out;
    static selectors sel;
    int fail = FAIL_NONE;
    memset(&d, 0, sizeof d);
    if (cli_parse(argc, argv, spec, &a, "diff") != 0)
        return EXIT_USAGE;
    if (cli_has(&a, "help")) {
        fputs(usage, stdout);
        return EXIT_DECIDED;
    }
    int rc = parse_options(&a, &d, &out, &sel, &fail);
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
    if (rc == 0 && (rc = cli_output_begin(&out)) == 0)
        rc = print_diff(&d);
    moat_estate_changes_free(d.changes);
    moat_estate_free(o);
    moat_estate_free(n);
    return cli_output_end(&out, rc ? rc : exit_status(&a, &d, fail));
}
