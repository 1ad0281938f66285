/*
** cmd_audit.c - `moat audit`: posture controls and exposure findings.
*/
#include "audit_report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: moat audit --estate PATH... [--format text|json|sarif|junit]\n"
    "                  [--fail-on info|low|medium|high|critical] [--cis "
    "VERSION]\n"
    "                  [--suppressions FILE] [--baseline FILE | "
    "--write-baseline FILE]\n"
    "                  [--output FILE] [--wide-ip ADDRESSES] [--quiet]\n"
    "                  [--allow-incomplete]\n"
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
    "  --format F            text (default), json, sarif (2.1.0) or junit\n"
    "  --fail-on LEVEL       exit 1 when a finding at or above LEVEL remains\n"
    "                        (default low)\n"
    "  --cis VERSION         only the controls of one CIS version (1.1.0 ...\n"
    "                        6.0.0; \"4.0\" works too)\n"
    "  --suppressions FILE   JSON {\"suppressions\": [{\"rule\", \"resource\",\n"
    "                        \"fingerprint\", \"reason\", \"expires\"}]}; a reason\n"
    "                        is required, an expired entry is reported\n"
    "  --baseline FILE       report only findings not in FILE\n"
    "  --write-baseline FILE write the current findings as a baseline\n"
    "  --output FILE         write the report to FILE instead of stdout\n"
    "  --wide-ip N           IP ranges of more than N addresses are findings\n"
    "                        (default 65536)\n"
    "  --quiet               do not print estate warnings\n"
    "  --service-tags FILE   Azure's ServiceTags_Public_<date>.json: a key\n"
    "                        vault's perimeter service-tag rules count\n"
    "  --allow-incomplete    report what is not audited, but let the exit\n"
    "                        status rest on the findings alone\n"
    "\n"
    "Exit status: 0 nothing at or above the threshold and the audit complete,\n"
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
    {"wide-ip", 1, 0},
    {"quiet", 0, 'q'},
    {"lenient", 0, 0},
    {"service-tags", 1, 0},
    {"allow-incomplete", 0, 0}, /* what is not audited does not fail */
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
    free(text);
    if (rc != MOAT_OK) {
        cli_error("%s: %s (at byte %zu)", path, err.message, err.offset + 1);
        return EXIT_BAD_ESTATE;
    }
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
    static const char *const names[] = {"text", "json", "sarif", "junit"};
    for (int i = 0; i < 4; i++) {
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
static int report(const cli_args *a, const moat_audit *au,
                  const moat_estate *es, int kind, moat_level fail_on,
                  const char *date)
{
    int rc = 0;
    FILE *out = stdout;
    const char *path = cli_get(a, "output");
    if (path && (out = fopen(path, "w")) == NULL) {
        cli_error("%s: cannot write", path);
        rc = EXIT_USAGE;
    } else {
        report_ctx ctx = {au,
                          es,
                          out,
                          fail_on,
                          out == stdout && isatty(1) &&
                              getenv("NO_COLOR") == NULL,
                          date,
                          cli_has(a, "allow-incomplete")};
        static void (*const writers[])(const report_ctx *) = {
            report_text, report_json, report_sarif, report_junit};
        writers[kind](&ctx);
        if (out != stdout && fclose(out) != 0) {
            cli_error("%s: write error", path);
            rc = EXIT_USAGE;
        }
    }
    notes(a, au);
    return rc ? rc : report_exit(au, fail_on, cli_has(a, "allow-incomplete"));
}

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
    const char *format = cli_get(&a, "format");
    int kind = report_kind(format ? format : "text");
    if (kind < 0)
        return cli_usage_error("audit",
                               "--format must be text, json, sarif or junit");
    moat_level fail_on = MOAT_LEVEL_LOW;
    if (cli_has(&a, "fail-on") &&
        moat_level_from_name(cli_get(&a, "fail-on"), &fail_on) != 0)
        return cli_usage_error(
            "audit", "--fail-on must be info, low, medium, high or critical");
    if (cli_has(&a, "baseline") && cli_has(&a, "write-baseline"))
        return cli_usage_error("audit",
                               "give --baseline or --write-baseline, not both");
    moat_audit_options opt = {cli_get(&a, "cis"), 0};
    if (cli_has(&a, "wide-ip")) {
        char *end;
        unsigned long long n = strtoull(cli_get(&a, "wide-ip"), &end, 10);
        if (*end || n == 0)
            return cli_usage_error("audit",
                                   "--wide-ip takes a number of addresses");
        opt.wide_ip_addresses = n;
    }

    /* The audit reads leniently: rules Azure would refuse become findings.
    ** The loader's warnings are printed (what was not read, unknowns) as
    ** `moat estate` prints them, unless --quiet. */
    moat_estate *es = cli_load_estate(
        &a, CLI_LOAD_LENIENT | (cli_has(&a, "quiet") ? CLI_LOAD_QUIET : 0));
    if (es == NULL)
        return EXIT_BAD_ESTATE;
    moat_audit *au = NULL;
    moat_status st = moat_audit_run(es, &opt, &au);
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
    if (cli_has(&a, "suppressions"))
        rc = apply_file(au, "suppressions", cli_get(&a, "suppressions"), date);
    if (rc == 0 && cli_has(&a, "baseline"))
        rc = apply_file(au, "baseline", cli_get(&a, "baseline"), date);
    if (rc == 0 && cli_has(&a, "write-baseline"))
        rc = write_baseline(au, cli_get(&a, "write-baseline"));
    if (rc == 0)
        rc = report(&a, au, es, kind, fail_on, date);
    moat_audit_free(au);
    moat_estate_free(es);
    return rc;
}
