/*
** cmd_audit.c - `moat audit`: posture controls and exposure findings.
*/
#include "audit_html.h"
#include "audit_report.h"
#include "cli_output.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: moat audit --estate PATH...\n"
    "                  [--format text|json|sarif|junit|csv|html]\n"
    "                  [--fail-on info|low|medium|high|critical] [--cis "
    "VERSION]\n"
    "                  [--suppressions FILE] [--baseline FILE | "
    "--write-baseline FILE]\n"
    "                  [-o FORMAT] [--query JMESPATH] [--output-file FILE]\n"
    "                  [--wide-ip ADDRESSES] [--quiet]\n"
    "                  [--allow-incomplete] [--soft-fail] [--compact]\n"
    "                  [--check ID,...] [--skip-check ID,...]\n"
    "                  [--runner IP[,region=R][,subnet=ID][,identity=ID]]...\n"
    "                  [--runner-from-env]\n"
    "\n"
    "Judges every storage account and key vault on what Azure really lets\n"
    "through: the CIS Microsoft Azure Foundations network controls (defaults\n"
    "counted, public network access and perimeters first), what each class of\n"
    "sources can reach and by which rule, and findings such as wide IP\n"
    "ranges, wildcard or cross-tenant instance rules, exceptions that outlive\n"
    "publicNetworkAccess Disabled, perimeters that do not enforce, rules that\n"
    "can never match and rules Azure refuses.\n"
    "\n"
    "Inputs: ARM JSON as for `moat check`, ARM templates (nested templates\n"
    "expanded; expressions are unknown, never guessed), and `terraform show\n"
    "-json` of a plan or state. What moat cannot read (a linked template, a\n"
    "copy loop it cannot count, ...) is named, and the audit is incomplete.\n"
    "\n"
    "  --format F            text (default), json, sarif (2.1.0), junit, or\n"
    "                        html: one self-contained page (no script, nothing\n"
    "                        fetched) with resources, exposure, findings and\n"
    "                        their fixes, and a reachability diagram drawn by\n"
    "                        Graphviz's dot when installed (a table otherwise;\n"
    "                        MOAT_DOT names the program, MOAT_DOT_TIMEOUT its\n"
    "                        limit in seconds, default 20)\n"
    "                        csv: a row per finding\n"
    "  --check ID,...        only these findings: a rule id (MOAT001) or\n"
    "                        name (internet-reachable), a control\n"
    "                        (storage-default-deny) or a CIS number (3.8)\n"
    "  --skip-check ID,...   all but these (same names)\n"
    "  --soft-fail           report, but exit 0 (CI: never fail the build)\n"
    "  --compact             text: a line per finding, no fix commands\n"
    "  --fail-on LEVEL       exit 1 when a finding at or above LEVEL remains\n"
    "                        (default low)\n"
    "  --cis VERSION         only the controls of one CIS version (1.1.0 ...\n"
    "                        6.0.0; \"4.0\" works too)\n"
    "  --suppressions FILE   JSON {\"suppressions\": [{\"rule\", \"resource\",\n"
    "                        \"fingerprint\", \"reason\", \"expires\"}]}; a reason\n"
    "                        is required, an expired entry is reported\n"
    "  --baseline FILE       report only findings not in FILE\n"
    "  --write-baseline FILE write the current findings as a baseline\n"
    "  -o, --output FORMAT   az's json, jsonc, table, tsv, yaml or none, on\n"
    "                        the JSON report; table and tsv: a row per\n"
    "                        finding: check, severity, state, name, title\n"
    "                        (docs/output.md)\n"
    "  --query JMESPATH      az's --query on the JSON report, before -o\n"
    "  --output-file FILE    write the report to FILE instead of stdout\n"
    "                        (--output FILE still works when FILE is not\n"
    "                        one of az's format names)\n"
    "  --wide-ip N           IP ranges of more than N addresses are findings\n"
    "                        (default 65536)\n"
    "  --quiet               do not print estate warnings\n"
    "  --service-tags FILE   Azure's ServiceTags_Public_<date>.json: a key\n"
    "                        vault's perimeter service-tag rules count\n"
    "  --allow-incomplete    report what is not audited, but let the exit\n"
    "                        status rest on the findings alone\n"
    "  --runner SPEC         deployment pre-flight: each data-plane resource\n"
    "                        of a Terraform plan (containers, shares, queues,\n"
    "                        tables, blobs, filesystems, Key Vault secrets,\n"
    "                        keys, certificates) is decided as a request from\n"
    "                        this runner: IP[,region=R][,subnet=ID]\n"
    "                        [,identity=ID]; repeat for several runners\n"
    "  --runner-from-env     the GitHub Actions or Azure Pipelines runner this\n"
    "                        job runs on (its address is not known in advance)\n"
    "\n"
    "Dependencies: the requests Azure services make for the estate (a\n"
    "customer-managed key's vault, diagnostic settings, flow logs, SQL\n"
    "auditing, Event Hubs Capture, a Function App's storage and Key Vault\n"
    "references) are decided too: MOAT015 when refused, MOAT016 for storage\n"
    "features a perimeter does not support, MOAT017 for a runner's 403.\n"
    "\n"
    "Exit status (--soft-fail: 0 unless 2 or 3): 0 nothing at or above the\n"
    "threshold and the audit complete,\n"
    "1 findings at or above it, or the audit incomplete (something not\n"
    "audited, or no resource at all), 2 usage error, 3 unreadable input.\n";

static const cli_spec spec[] = {
    {"estate", 1, 0},
    {"format", 1, 0},
    {"fail-on", 1, 0},
    {"cis", 1, 0},
    {"suppressions", 1, 0},
    {"baseline", 1, 0},
    {"write-baseline", 1, 0},
    {"output", 1, 'o'},
    {"output-file", 1, 0},
    {"query", 1, 0},
    {"wide-ip", 1, 0},
    {"quiet", 0, 'q'},
    {"lenient", 0, 0},
    {"service-tags", 1, 0},
    {"allow-incomplete", 0, 0}, /* what is not audited does not fail */
    {"soft-fail", 0, 0},
    {"compact", 0, 0},
    {"check", CLI_VALUES, 0},
    {"skip-check", CLI_VALUES, 0},
    {"runner", 1, 0},
    {"runner-from-env", 0, 0},
    {"help", 0, 'h'},
    {NULL, 0, 0},
};

static const char *today(char *buf, size_t cap)
{
    time_t now = time(NULL);
    const char *fixed = getenv("MOAT_TODAY"); /* for tests */
    if (fixed && strlen(fixed) == 10) {
        snprintf(buf, cap, "%s", fixed);
        return buf;
    }
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, cap, "%Y-%m-%d", &tm);
    return buf;
}

static int apply_file(moat_audit *au, const char *opt, const char *path,
                      const char *date)
{
    size_t len;
    char *text = cli_read_file(path, &len);
    if (text == NULL)
        return EXIT_BAD_ESTATE;
    moat_error err;
    moat_status rc = strcmp(opt, "suppressions") == 0
                         ? moat_audit_suppress(au, text, len, date, &err)
                         : moat_audit_apply_baseline(au, text, len, &err);
    if (rc != MOAT_OK) {
        /* FILE:LINE:COL, as editors and CI annotations read it */
        unsigned line = 1, col = 1;
        for (size_t i = 0; i < err.offset && i < len; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
                col++;
            }
        }
        fprintf(stderr, "%s:%u:%u: error: %s\n", path, line, col,
                err.message);
        free(text);
        return EXIT_BAD_ESTATE;
    }
    free(text);
    return 0;
}

static int write_baseline(const moat_audit *au, const char *path)
{
    char *text = moat_audit_baseline_json(au);
    FILE *fp = text ? fopen(path, "w") : NULL;
    int ok = fp && fputs(text, fp) >= 0;
    if (fp && fclose(fp) != 0)
        ok = 0;
    moat_free(text);
    if (!ok) {
        cli_error("%s: cannot write the baseline", path);
        return EXIT_BAD_ESTATE;
    }
    return 0;
}

static int report_kind(const char *format)
{
    static const char *const names[] = {"text", "json", "sarif", "junit",
                                        "html", "csv"};
    for (int i = 0; i < 6; i++) {
        if (strcmp(format, names[i]) == 0)
            return i;
    }
    return -1;
}

/* Stderr's notes after the report: expired suppressions, and an audit
** that is incomplete. */
static void notes(const cli_args *a, const moat_audit *au)
{
    for (size_t i = 0; i < moat_audit_suppression_count(au); i++) {
        const moat_suppression *s = moat_audit_suppression(au, i);
        if (s->expired)
            fprintf(
                stderr,
                "moat: warning: suppression of %s on %s expired on %s (%s); its findings are reported again\n",
                s->rule ? s->rule : s->fingerprint,
                s->resource ? s->resource : "*", s->expires, s->reason);
        else if (s->matched == 0)
            fprintf(
                stderr,
                "moat: warning: suppression of %s on %s (%s) matched no finding: remove it, or fix its rule, resource or fingerprint\n",
                s->rule ? s->rule : s->fingerprint,
                s->resource ? s->resource : "*", s->reason);
    }
    size_t gaps = moat_audit_incomplete_count(au);
    if (gaps)
        fprintf(
            stderr,
            "moat: the audit is incomplete: %zu thing%s not audited%s\n", gaps,
            gaps == 1 ? "" : "s",
            cli_has(a, "allow-incomplete")
                ? " (--allow-incomplete: the exit status rests on the findings)"
                : "; exit status 1 (--allow-incomplete lets it rest on the findings)");
}

/* Writes the report in format kind to stdout or --output, then the notes;
** the exit status: EXIT_USAGE when the output cannot be written, else
** report_exit()'s. */
/* --check and --skip-check, comma lists split (copies in text). */
typedef struct selectors {
    const char *checks[CLI_MAX_ARGS], *skips[CLI_MAX_ARGS];
    size_t n_checks, n_skips;
    char text[8192];
} selectors;

static int read_selectors(const cli_args *a, selectors *sel)
{
    size_t used = 0;
    memset(sel, 0, sizeof *sel);
    for (int i = 0; i < a->n_opts; i++) {
        int check = strcmp(a->opts[i].name, "check") == 0;
        if (!check && strcmp(a->opts[i].name, "skip-check") != 0)
            continue;
        size_t n = strlen(a->opts[i].value);
        if (used + n + 1 > sizeof sel->text)
            return cli_usage_error("audit", "--check: too many names");
        memcpy(sel->text + used, a->opts[i].value, n + 1);
        for (char *tok = strtok(sel->text + used, ","); tok;
             tok = strtok(NULL, ",")) {
            while (*tok == ' ')
                tok++;
            size_t *count = check ? &sel->n_checks : &sel->n_skips;
            if (*tok && *count < CLI_MAX_ARGS)
                (check ? sel->checks : sel->skips)[(*count)++] = tok;
        }
        used += n + 1;
    }
    return 0;
}

/* A name of --check or --skip-check that selects nothing moat knows. */
static void unknown_selectors(const moat_audit *au, const selectors *sel)
{
    for (size_t k = 0; k < sel->n_checks + sel->n_skips; k++) {
        const char *name = k < sel->n_checks ? sel->checks[k]
                                             : sel->skips[k - sel->n_checks];
        int known = 0;
        for (size_t i = 0; i < moat_audit_rule_count() && !known; i++) {
            const moat_audit_rule *r = moat_audit_rule_at(i);
            known = strcasecmp(name, r->id) == 0 ||
                    strcasecmp(name, r->name) == 0;
        }
        for (size_t i = 0; i < moat_audit_finding_count(au) && !known; i++)
            known = report_selects(name, moat_audit_finding(au, i));
        if (!known)
            fprintf(stderr,
                    "moat: warning: --%s %s names no rule, control or CIS number moat reports here\n",
                    k < sel->n_checks ? "check" : "skip-check", name);
    }
}

static int report(const cli_args *a, const moat_audit *au,
                  const moat_estate *es, int kind, moat_level fail_on,
                  const char *date, const selectors *sel, const char *path)
{
    report_ctx ctxs, *ctx = &ctxs;
    memset(ctx, 0, sizeof *ctx);
    int rc = 0;
    FILE *out = stdout;
    if (path && (out = fopen(path, "w")) == NULL) {
        cli_error("%s: cannot write", path);
        rc = EXIT_USAGE;
    } else {
        *ctx = (report_ctx){au,
                            es,
                            out,
                            fail_on,
                            out == stdout && isatty(1) &&
                                getenv("NO_COLOR") == NULL,
                            date,
                            cli_has(a, "allow-incomplete"),
                            cli_has(a, "soft-fail"),
                            cli_has(a, "compact"),
                            sel->checks,
                            sel->n_checks,
                            sel->skips,
                            sel->n_skips};
        static void (*const writers[])(const report_ctx *) = {
            report_text, report_json, report_sarif, report_junit,
            report_html, report_csv};
        writers[kind](ctx);
        if (out != stdout && fclose(out) != 0) {
            cli_error("%s: write error", path);
            rc = EXIT_USAGE;
        }
    }
    notes(a, au);
    unknown_selectors(au, sel);
    return rc ? rc : report_exit(ctx);
}

static int audit_main(const cli_args *a, cli_output *out, int kind);

int cmd_audit(int argc, char **argv)
{
    cli_args a;
    if (cli_parse(argc, argv, spec, &a, "audit") != 0)
        return EXIT_USAGE;
    if (cli_has(&a, "help")) {
        fputs(usage, stdout);
        return EXIT_DECIDED;
    }
    if (a.n_operands)
        return cli_usage_error("audit", "unexpected argument '%s'",
                               a.operands[0]);
    if (!cli_has(&a, "estate"))
        return cli_usage_error("audit",
                               "no estate: give --estate FILE or --estate DIR");
    static const char *const formats[] = {"text", "json", "sarif", "junit",
                                          "html", "csv",  NULL};
    static const cli_output_cmd cmd = {
        "audit", formats, "text", 1, 0,
        "findings[].{check: id, severity: severity, state: state, name: "
        "name, title: title}"};
    cli_output out;
    if (cli_output_parse(&a, &cmd, &out) != 0)
        return EXIT_USAGE;
    if (out.file && cli_has(&a, "output-file")) {
        cli_output_free(&out);
        return cli_usage_error("audit",
                               "give --output FILE or --output-file FILE");
    }
    if (cli_has(&a, "output-file"))
        out.file = cli_get(&a, "output-file");
    int rc = audit_main(&a, &out, report_kind(out.format));
    return cli_output_end(&out, rc);
}

/* The audit, once the report's format is known. */
static int audit_main(const cli_args *a, cli_output *out, int kind)
{
    selectors sel;
    if (read_selectors(a, &sel) != 0)
        return EXIT_USAGE;
    moat_level fail_on = MOAT_LEVEL_LOW;
    if (cli_has(a, "fail-on") &&
        moat_level_from_name(cli_get(a, "fail-on"), &fail_on) != 0)
        return cli_usage_error(
            "audit", "--fail-on must be info, low, medium, high or critical");
    if (cli_has(a, "baseline") && cli_has(a, "write-baseline"))
        return cli_usage_error("audit",
                               "give --baseline or --write-baseline, not both");
    moat_audit_options opt = {cli_get(a, "cis"), 0, NULL, 0};
    if (cli_has(a, "wide-ip")) {
        char *end;
        unsigned long long n = strtoull(cli_get(a, "wide-ip"), &end, 10);
        if (*end || n == 0)
            return cli_usage_error("audit",
                                   "--wide-ip takes a number of addresses");
        opt.wide_ip_addresses = n;
    }

    moat_runner *runners = NULL;
    char *runner_text = NULL;
    if (audit_runners(a, &runners, &opt.n_runners, &runner_text) != 0) {
        free(runners);
        free(runner_text);
        return EXIT_USAGE;
    }
    opt.runners = runners;

    /* The audit reads leniently: rules Azure would refuse become findings.
    ** The loader's warnings are printed (what was not read, unknowns) as
    ** `moat estate` prints them, unless --quiet. */
    moat_estate *es = cli_load_estate(
        a, CLI_LOAD_LENIENT | (cli_has(a, "quiet") ? CLI_LOAD_QUIET : 0));
    moat_audit *au = NULL;
    moat_status st = es ? moat_audit_run(es, &opt, &au) : MOAT_E_IO;
    free(runners);
    free(runner_text);
    if (es == NULL)
        return EXIT_BAD_ESTATE;
    if (st == MOAT_E_INVAL) {
        moat_estate_free(es);
        fprintf(stderr, "moat: --cis: \"%s\" is not a CIS version moat knows:",
                opt.cis_version);
        for (size_t i = 0; moat_cis_version(i); i++)
            fprintf(stderr, " %s", moat_cis_version(i));
        fputc('\n', stderr);
        return EXIT_USAGE;
    }
    if (st != MOAT_OK) {
        moat_estate_free(es);
        cli_error("audit failed: %s", moat_strerror(st));
        return EXIT_BAD_ESTATE;
    }
    char date[16];
    today(date, sizeof date);
    int rc = 0;
    if (cli_has(a, "suppressions"))
        rc = apply_file(au, "suppressions", cli_get(a, "suppressions"), date);
    if (rc == 0 && cli_has(a, "baseline"))
        rc = apply_file(au, "baseline", cli_get(a, "baseline"), date);
    if (rc == 0 && cli_has(a, "write-baseline"))
        rc = write_baseline(au, cli_get(a, "write-baseline"));
    if (rc == 0)
        rc = cli_output_begin(out);
    if (rc == 0)
        rc = report(a, au, es, kind, fail_on, date, &sel,
                    out->az ? NULL : out->file);
    moat_audit_free(au);
    moat_estate_free(es);
    return rc;
}
