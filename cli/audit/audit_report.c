/*
** audit_report.c - writing an audit as text, JSON, SARIF 2.1.0 and JUnit.
*/
#include "audit_report.h"

#include <string.h>

int report_exit(const moat_audit *a, moat_level fail_on, int allow_incomplete)
{
    if (moat_audit_incomplete_count(a) && !allow_incomplete)
        return EXIT_FINDINGS;
    for (size_t i = 0; i < moat_audit_finding_count(a); i++) {
        const moat_finding *f = moat_audit_finding(a, i);
        if (f->state == MOAT_FINDING_ACTIVE && f->level >= fail_on)
            return EXIT_FINDINGS;
    }
    return EXIT_DECIDED;
}

typedef struct counts {
    size_t active[MOAT_LEVEL_CRITICAL + 1];
    size_t suppressed, baseline, total;
} counts;

static counts count(const moat_audit *a)
{
    counts c;
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < moat_audit_finding_count(a); i++) {
        const moat_finding *f = moat_audit_finding(a, i);
        c.total++;
        if (f->state == MOAT_FINDING_SUPPRESSED)
            c.suppressed++;
        else if (f->state == MOAT_FINDING_BASELINE)
            c.baseline++;
        else
            c.active[f->level]++;
    }
    return c;
}

/*--------------------------------------------------------------------------
** Text, grouped by resource.
*/
static const char *paint(const report_ctx *c, moat_level l)
{
    if (!c->colour)
        return "";
    static const char *const codes[] = {"\033[2m", "\033[36m", "\033[33m",
                                        "\033[31m", "\033[1;31m"};
    return codes[l];
}

static const char *reset(const report_ctx *c)
{
    return c->colour ? "\033[0m" : "";
}

static void text_resource(const report_ctx *c, const moat_audited *res)
{
    const moat_audit *a = c->audit;
    FILE *o = c->out;
    fprintf(o, "%s%s%s  (%s)", c->colour ? "\033[1m" : "", res->name, reset(c),
            strcmp(res->kind, "storage") == 0 ? "storage account"
                                              : "key vault");
    if (res->file[0])
        fprintf(o, "  %s:%u", res->file, res->line);
    if (res->address)
        fprintf(o, "  %s", res->address);
    fprintf(o, "\n  %s\n", res->id);
    fprintf(o, "  reachable from:");
    for (size_t i = 0; i < res->n_exposures; i++) {
        const moat_exposure *e =
            moat_audit_exposure(a, res->first_exposure + i);
        fprintf(o, "\n    %-18s %-8s %s", e->source, e->admitted, e->detail);
    }
    fprintf(o, "\n  controls:\n");
    for (size_t i = 0; i < res->n_controls; i++) {
        const moat_control_result *r =
            moat_audit_control(a, res->first_control + i);
        fprintf(o, "    %s%-14s%s %-32s",
                r->status == MOAT_CONTROL_FAIL ? paint(c, MOAT_LEVEL_HIGH) : "",
                moat_control_status_name(r->status),
                r->status == MOAT_CONTROL_FAIL ? reset(c) : "", r->control);
        if (r->n_cis) {
            fprintf(o, " CIS");
            for (size_t k = 0; k < r->n_cis && k < 3; k++)
                fprintf(o, " %s:%s", r->cis[k].version, r->cis[k].id);
            if (r->n_cis > 3)
                fprintf(o, " ...");
        }
        fprintf(o, "  (%s; %s)\n", r->reason, moat_basis_name(r->basis));
    }
    int any = 0;
    for (size_t i = 0; i < res->n_findings; i++) {
        const moat_finding *f = moat_audit_finding(a, res->first_finding + i);
        if (f->state != MOAT_FINDING_ACTIVE || f->control)
            continue;
        if (!any)
            fprintf(o, "  findings:\n");
        any = 1;
        fprintf(o, "    %s%-8s%s %s %s\n      %s\n", paint(c, f->level),
                moat_level_name(f->level), reset(c), f->rule->id, f->rule->name,
                f->message);
        if (f->fix[0])
            fprintf(o, "      fix: %s\n", f->fix);
    }
    fputc('\n', o);
}

/* What was not audited, with where it is declared. */
static void text_incomplete(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    size_t n = moat_audit_incomplete_count(a);
    if (n == 0)
        return;
    fprintf(c->out, "%snot audited%s (the audit is incomplete):\n",
            c->colour ? "\033[1;31m" : "", reset(c));
    for (size_t i = 0; i < n; i++) {
        const moat_incomplete *g = moat_audit_incomplete(a, i);
        if (g->file[0])
            fprintf(c->out, g->line ? "  %s:%u" : "  %s", g->file, g->line);
        if (g->resource[0])
            fprintf(c->out, "  %s", g->resource);
        fprintf(c->out, "%s    %s: %s\n",
                g->file[0] || g->resource[0] ? "\n" : "", g->what, g->why);
    }
    fputc('\n', c->out);
}

void report_text(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    size_t resources = moat_audit_resource_count(a);
    for (size_t i = 0; i < resources; i++)
        text_resource(c, moat_audit_resource(a, i));
    text_incomplete(c);
    counts k = count(a);
    fprintf(
        c->out,
        "%zu resource%s: %zu critical, %zu high, %zu medium, %zu low, %zu info",
        resources, resources == 1 ? "" : "s", k.active[MOAT_LEVEL_CRITICAL],
        k.active[MOAT_LEVEL_HIGH], k.active[MOAT_LEVEL_MEDIUM],
        k.active[MOAT_LEVEL_LOW], k.active[MOAT_LEVEL_INFO]);
    if (k.suppressed)
        fprintf(c->out, "; %zu suppressed", k.suppressed);
    if (k.baseline)
        fprintf(c->out, "; %zu in the baseline", k.baseline);
    size_t gaps = moat_audit_incomplete_count(a);
    if (gaps)
        fprintf(c->out, "; INCOMPLETE: %zu thing%s not audited%s", gaps,
                gaps == 1 ? "" : "s", c->allow_incomplete ? " (allowed)" : "");
    fprintf(c->out, " (failing at %s and above)\n",
            moat_level_name(c->fail_on));
}

/*--------------------------------------------------------------------------
** JSON.
*/
/* Keys are always present in JSON output: absent values are null. */
static void json_str_or_null(FILE *o, const char *s)
{
    if (s)
        cli_json_str(o, s);
    else
        fputs("null", o);
}

static void json_cis(FILE *o, const moat_cis_ref *cis, size_t n)
{
    fputc('{', o);
    for (size_t k = 0; k < n; k++) {
        fprintf(o, "%s", k ? "," : "");
        cli_json_str(o, cis[k].version);
        fputc(':', o);
        cli_json_str(o, cis[k].id);
    }
    fputc('}', o);
}

static const char *state_name(moat_finding_state s)
{
    return s == MOAT_FINDING_SUPPRESSED ? "suppressed"
           : s == MOAT_FINDING_BASELINE ? "baseline"
                                        : "active";
}

static void json_finding(FILE *o, const moat_finding *f)
{
    fprintf(o, "{\"id\":");
    cli_json_str(o, f->rule->id);
    fprintf(o, ",\"rule\":");
    cli_json_str(o, f->rule->name);
    fprintf(o, ",\"title\":");
    cli_json_str(o, f->rule->title);
    fprintf(o, ",\"severity\":\"%s\",\"state\":\"%s\",\"resource\":",
            moat_level_name(f->level), state_name(f->state));
    cli_json_str(o, f->resource);
    fprintf(o, ",\"name\":");
    cli_json_str(o, f->resource_name);
    fprintf(o, ",\"address\":");
    json_str_or_null(o, f->address);
    fprintf(o, ",\"file\":");
    cli_json_str(o, f->file);
    fprintf(o, ",\"line\":%u,\"message\":", f->line);
    cli_json_str(o, f->message);
    fprintf(o, ",\"evidence\":[");
    for (size_t k = 0; k < f->n_evidence; k++) {
        fprintf(o, "%s{\"path\":", k ? "," : "");
        cli_json_str(o, f->evidence[k].path);
        fprintf(o, ",\"value\":");
        cli_json_str(o, f->evidence[k].value);
        fprintf(o, ",\"basis\":\"%s\"}", moat_basis_name(f->evidence[k].basis));
    }
    fprintf(o, "],\"fix\":");
    cli_json_str(o, f->fix);
    fprintf(o, ",\"control\":");
    json_str_or_null(o, f->control);
    fprintf(o, ",\"cis\":");
    json_cis(o, f->cis, f->n_cis);
    fprintf(o, ",\"fingerprint\":");
    cli_json_str(o, f->fingerprint);
    fprintf(o, ",\"suppression\":");
    json_str_or_null(o, f->suppression);
    fputc('}', o);
}

/* "complete" and "incomplete": what was not audited, where and why. */
static void json_incomplete(FILE *o, const moat_audit *a)
{
    fprintf(o, "\"complete\":%s,\"incomplete\":[",
            moat_audit_incomplete_count(a) ? "false" : "true");
    for (size_t i = 0; i < moat_audit_incomplete_count(a); i++) {
        const moat_incomplete *g = moat_audit_incomplete(a, i);
        fprintf(o, "%s\n{\"file\":", i ? "," : "");
        json_str_or_null(o, g->file[0] ? g->file : NULL);
        fprintf(o, ",\"line\":%u,\"resource\":", g->line);
        json_str_or_null(o, g->resource[0] ? g->resource : NULL);
        fprintf(o, ",\"what\":");
        cli_json_str(o, g->what);
        fprintf(o, ",\"why\":");
        cli_json_str(o, g->why);
        fputc('}', o);
    }
    fputc(']', o);
}

void report_json(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    FILE *o = c->out;
    counts k = count(a);
    fprintf(
        o,
        "{\"moat\":\"%s\",\"date\":\"%s\",\"summary\":{\"findings\":%zu,\"active\":{\"critical\":%zu,\"high\":%zu,\"medium\":%zu,\"low\":%zu,\"info\":%zu},\"suppressed\":%zu,\"baseline\":%zu,\"fail_on\":\"%s\",\"failed\":%s,\"complete\":%s,\"incomplete\":%zu},\n\"resources\":[",
        MOAT_VERSION, c->today, k.total, k.active[MOAT_LEVEL_CRITICAL],
        k.active[MOAT_LEVEL_HIGH], k.active[MOAT_LEVEL_MEDIUM],
        k.active[MOAT_LEVEL_LOW], k.active[MOAT_LEVEL_INFO], k.suppressed,
        k.baseline, moat_level_name(c->fail_on),
        report_exit(a, c->fail_on, c->allow_incomplete) ? "true" : "false",
        moat_audit_incomplete_count(a) ? "false" : "true",
        moat_audit_incomplete_count(a));
    for (size_t i = 0; i < moat_audit_resource_count(a); i++) {
        const moat_audited *r = moat_audit_resource(a, i);
        fprintf(o, "%s\n{\"id\":", i ? "," : "");
        cli_json_str(o, r->id);
        fprintf(o, ",\"name\":");
        cli_json_str(o, r->name);
        fprintf(o, ",\"kind\":\"%s\",\"file\":", r->kind);
        cli_json_str(o, r->file);
        fprintf(o, ",\"line\":%u,\"address\":", r->line);
        json_str_or_null(o, r->address);
        fputc('}', o);
    }
    fprintf(o, "],\n");
    json_incomplete(o, a);
    fprintf(o, ",\n\"controls\":[");
    for (size_t i = 0; i < moat_audit_control_count(a); i++) {
        const moat_control_result *r = moat_audit_control(a, i);
        fprintf(o, "%s\n{\"control\":", i ? "," : "");
        cli_json_str(o, r->control);
        fprintf(o, ",\"cis\":");
        json_cis(o, r->cis, r->n_cis);
        fprintf(o, ",\"resource\":");
        cli_json_str(o, r->resource);
        fprintf(o, ",\"status\":\"%s\",\"basis\":\"%s\",\"reason\":",
                moat_control_status_name(r->status), moat_basis_name(r->basis));
        cli_json_str(o, r->reason);
        fputc('}', o);
    }
    fprintf(o, "],\n\"findings\":[");
    for (size_t i = 0; i < moat_audit_finding_count(a); i++) {
        fprintf(o, "%s\n", i ? "," : "");
        json_finding(o, moat_audit_finding(a, i));
    }
    fprintf(o, "],\n\"exposure\":[");
    for (size_t i = 0; i < moat_audit_exposure_count(a); i++) {
        const moat_exposure *e = moat_audit_exposure(a, i);
        fprintf(o, "%s\n{\"resource\":", i ? "," : "");
        cli_json_str(o, e->resource);
        fprintf(o,
                ",\"source\":\"%s\",\"admitted\":\"%s\",\"detail\":", e->source,
                e->admitted);
        cli_json_str(o, e->detail);
        fputc('}', o);
    }
    fprintf(o, "],\n\"suppressions\":[");
    for (size_t i = 0; i < moat_audit_suppression_count(a); i++) {
        const moat_suppression *s = moat_audit_suppression(a, i);
        fprintf(o, "%s{\"rule\":", i ? "," : "");
        json_str_or_null(o, s->rule);
        fprintf(o, ",\"resource\":");
        cli_json_str(o, s->resource ? s->resource : "*");
        fprintf(o, ",\"fingerprint\":");
        json_str_or_null(o, s->fingerprint);
        fprintf(o, ",\"reason\":");
        cli_json_str(o, s->reason);
        fprintf(o, ",\"expires\":");
        json_str_or_null(o, s->expires);
        fprintf(o, ",\"expired\":%s,\"matched\":%zu}",
                s->expired ? "true" : "false", s->matched);
    }
    fprintf(o, "]}\n");
}

/*--------------------------------------------------------------------------
** SARIF 2.1.0.
*/
static const char *sarif_level(moat_level l)
{
    return l >= MOAT_LEVEL_HIGH     ? "error"
           : l == MOAT_LEVEL_MEDIUM ? "warning"
                                    : "note";
}

/* GitHub code scanning's 0-10 security severity. */
static const char *security_severity(moat_level l)
{
    static const char *const s[] = {"1.0", "3.0", "5.5", "8.0", "9.5"};
    return s[l];
}

/* A file path as a relative URI reference (spaces and '%' escaped). */
static void sarif_uri(FILE *o, const char *path)
{
    fputc('"', o);
    for (const char *p = path; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == ' ' || ch == '%' || ch == '"' || ch == '\\' || ch < 0x20 ||
            ch >= 0x7f || ch == '#' || ch == '?')
            fprintf(o, "%%%02X", ch);
        else
            fputc(ch, o);
    }
    fputc('"', o);
}

static size_t rule_index(const moat_audit_rule *r)
{
    for (size_t i = 0; i < moat_audit_rule_count(); i++) {
        if (moat_audit_rule_at(i) == r)
            return i;
    }
    return 0;
}

/* What was not audited, as error notifications located where it is
** declared: a code-scanning UI shows that the results are not the whole
** story. */
static int sarif_incomplete(FILE *o, const moat_audit *a)
{
    size_t n = moat_audit_incomplete_count(a);
    for (size_t i = 0; i < n; i++) {
        const moat_incomplete *g = moat_audit_incomplete(a, i);
        fprintf(o,
                "%s{\"level\":\"error\",\"message\":{\"text\":", i ? "," : "");
        char text[2048];
        snprintf(text, sizeof text, "not audited: %s%s%s: %s", g->what,
                 g->resource[0] ? " in " : "", g->resource, g->why);
        cli_json_str(o, text);
        fputc('}', o);
        if (g->file[0]) {
            fprintf(
                o,
                ",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":");
            sarif_uri(o, g->file);
            fprintf(o, "},\"region\":{\"startLine\":%u}}}]",
                    g->line ? g->line : 1);
        }
        fputc('}', o);
    }
    return n == 0;
}

/* The run's invocation: expired suppressions are tool notifications, so
** that a code-scanning UI shows them next to the results they let through;
** so is what was not audited. */
static void sarif_invocation(FILE *o, const moat_audit *a)
{
    fprintf(
        o,
        ",\"invocations\":[{\"executionSuccessful\":true,\"toolExecutionNotifications\":[");
    int first = sarif_incomplete(o, a);
    for (size_t i = 0; i < moat_audit_suppression_count(a); i++) {
        const moat_suppression *s = moat_audit_suppression(a, i);
        if (!s->expired)
            continue;
        char text[1024];
        snprintf(
            text, sizeof text,
            "suppression of %s on %s expired on %s (%s): its findings are reported again",
            s->rule ? s->rule : s->fingerprint, s->resource ? s->resource : "*",
            s->expires, s->reason);
        fprintf(o, "%s{\"level\":\"warning\",\"message\":{\"text\":",
                first ? "" : ",");
        cli_json_str(o, text);
        fprintf(o, "}}");
        first = 0;
    }
    fprintf(o, "]}]");
}

void report_sarif(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    FILE *o = c->out;
    fprintf(
        o,
        "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"moat\",\"version\":\"%s\",\"semanticVersion\":\"%s\",\"rules\":[",
        MOAT_VERSION, MOAT_VERSION);
    for (size_t i = 0; i < moat_audit_rule_count(); i++) {
        const moat_audit_rule *r = moat_audit_rule_at(i);
        fprintf(o, "%s\n{\"id\":", i ? "," : "");
        cli_json_str(o, r->id);
        fprintf(o, ",\"name\":");
        cli_json_str(o, r->name);
        fprintf(o, ",\"shortDescription\":{\"text\":");
        cli_json_str(o, r->title);
        fprintf(o, "},\"fullDescription\":{\"text\":");
        cli_json_str(o, r->help);
        fprintf(o, "},\"help\":{\"text\":");
        cli_json_str(o, r->help);
        fprintf(
            o,
            "},\"defaultConfiguration\":{\"level\":\"%s\"},\"properties\":{\"security-severity\":\"%s\",\"tags\":[\"security\",\"azure\",\"network\"]}}",
            sarif_level(r->level), security_severity(r->level));
    }
    fprintf(o, "]}},\"columnKind\":\"unicodeCodePoints\",\"results\":[");
    int first = 1;
    for (size_t i = 0; i < moat_audit_finding_count(a); i++) {
        const moat_finding *f = moat_audit_finding(a, i);
        if (f->state == MOAT_FINDING_BASELINE)
            continue;
        fprintf(o, "%s\n{\"ruleId\":", first ? "" : ",");
        first = 0;
        cli_json_str(o, f->rule->id);
        fprintf(o, ",\"ruleIndex\":%zu,\"level\":\"%s\",\"message\":{\"text\":",
                rule_index(f->rule), sarif_level(f->level));
        char text[2048];
        snprintf(text, sizeof text, "%s%s%s", f->message,
                 f->fix[0] ? " Fix: " : "", f->fix);
        cli_json_str(o, text);
        fprintf(o, "},\"locations\":[{");
        if (f->file[0]) {
            fprintf(o, "\"physicalLocation\":{\"artifactLocation\":{\"uri\":");
            sarif_uri(o, f->file);
            fprintf(o, "},\"region\":{\"startLine\":%u}},",
                    f->line ? f->line : 1);
        }
        fprintf(o, "\"logicalLocations\":[{\"fullyQualifiedName\":");
        cli_json_str(o, f->address ? f->address : f->resource);
        fprintf(
            o,
            ",\"kind\":\"resource\"}]}],\"partialFingerprints\":{\"moat/v1\":");
        cli_json_str(o, f->fingerprint);
        fprintf(o, "},\"properties\":{\"severity\":\"%s\",\"resource\":",
                moat_level_name(f->level));
        cli_json_str(o, f->resource);
        if (f->n_cis) {
            fprintf(o, ",\"cis\":");
            json_cis(o, f->cis, f->n_cis);
        }
        fputc('}', o);
        if (f->state == MOAT_FINDING_SUPPRESSED) {
            fprintf(
                o,
                ",\"suppressions\":[{\"kind\":\"external\",\"justification\":");
            cli_json_str(o, f->suppression);
            fprintf(o, "}]");
        }
        fputc('}', o);
    }
    fprintf(o, "]");
    sarif_invocation(o, a);
    fprintf(o, ",\"properties\":{\"complete\":%s}}]}\n",
            moat_audit_incomplete_count(a) ? "false" : "true");
}

/*--------------------------------------------------------------------------
** JUnit XML: a suite per resource, a case per control and per finding.
*/
static void xml(FILE *o, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;
         p++) {
        switch (*p) {
        case '&': fputs("&amp;", o); break;
        case '<': fputs("&lt;", o); break;
        case '>': fputs("&gt;", o); break;
        case '"': fputs("&quot;", o); break;
        case '\'': fputs("&apos;", o); break;
        default:
            if (*p < 0x20 && *p != '\n' && *p != '\t')
                fputc('?', o); /* not allowed in XML 1.0 */
            else
                fputc(*p, o);
        }
    }
}

static void junit_suite(const report_ctx *c, const moat_audited *res)
{
    const moat_audit *a = c->audit;
    FILE *o = c->out;
    size_t tests = 0, failures = 0, skipped = 0;
    for (size_t i = 0; i < res->n_controls; i++) {
        const moat_control_result *r =
            moat_audit_control(a, res->first_control + i);
        tests++;
        failures += r->status == MOAT_CONTROL_FAIL;
        skipped += r->status == MOAT_CONTROL_NOT_APPLICABLE;
    }
    for (size_t i = 0; i < res->n_findings; i++) {
        const moat_finding *f = moat_audit_finding(a, res->first_finding + i);
        if (f->control || f->state == MOAT_FINDING_BASELINE)
            continue;
        tests++;
        failures += f->state == MOAT_FINDING_ACTIVE && f->level >= c->fail_on;
        skipped += f->state == MOAT_FINDING_SUPPRESSED;
    }
    fprintf(o, "  <testsuite name=\"");
    xml(o, res->id);
    fprintf(o, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n", tests,
            failures, skipped);
    for (size_t i = 0; i < res->n_controls; i++) {
        const moat_control_result *r =
            moat_audit_control(a, res->first_control + i);
        fprintf(o, "    <testcase classname=\"");
        xml(o, r->resource_name);
        fprintf(o, "\" name=\"");
        xml(o, r->control);
        if (r->n_cis)
            fprintf(o, " (CIS %s %s)", r->cis[0].version, r->cis[0].id);
        fprintf(o, "\">");
        if (r->status == MOAT_CONTROL_FAIL) {
            fprintf(o, "<failure type=\"control\" message=\"");
            xml(o, r->reason);
            fprintf(o, "\">basis: %s</failure>", moat_basis_name(r->basis));
        } else if (r->status == MOAT_CONTROL_NOT_APPLICABLE) {
            fprintf(o, "<skipped message=\"");
            xml(o, r->reason);
            fprintf(o, "\"/>");
        }
        fprintf(o, "</testcase>\n");
    }
    for (size_t i = 0; i < res->n_findings; i++) {
        const moat_finding *f = moat_audit_finding(a, res->first_finding + i);
        if (f->control || f->state == MOAT_FINDING_BASELINE)
            continue;
        fprintf(o, "    <testcase classname=\"");
        xml(o, f->resource_name);
        fprintf(o, "\" name=\"%s %s\">", f->rule->id, f->rule->name);
        if (f->state == MOAT_FINDING_SUPPRESSED) {
            fprintf(o, "<skipped message=\"suppressed: ");
            xml(o, f->suppression);
            fprintf(o, "\"/>");
        } else if (f->level >= c->fail_on) {
            fprintf(o, "<failure type=\"%s\" message=\"",
                    moat_level_name(f->level));
            xml(o, f->message);
            fprintf(o, "\">");
            xml(o, f->fix);
            fprintf(o, "</failure>");
        } else {
            fprintf(o, "<system-out>");
            xml(o, f->message);
            fprintf(o, "</system-out>");
        }
        fprintf(o, "</testcase>\n");
    }
    fprintf(o, "  </testsuite>\n");
}

/* What was not audited: one suite, a failing case each (skipped under
** --allow-incomplete). */
static void junit_incomplete(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    FILE *o = c->out;
    size_t n = moat_audit_incomplete_count(a);
    if (n == 0)
        return;
    fprintf(
        o,
        "  <testsuite name=\"not audited\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n",
        n, c->allow_incomplete ? 0 : n, c->allow_incomplete ? n : 0);
    for (size_t i = 0; i < n; i++) {
        const moat_incomplete *g = moat_audit_incomplete(a, i);
        fprintf(o, "    <testcase classname=\"");
        xml(o, g->file[0] ? g->file : "estate");
        fprintf(o, "\" name=\"");
        xml(o, g->what);
        fprintf(o, "\"><%s message=\"",
                c->allow_incomplete ? "skipped" : "failure");
        xml(o, g->why);
        fprintf(o, "\"%s</testcase>\n",
                c->allow_incomplete ? "/>" : "></failure>");
    }
    fprintf(o, "  </testsuite>\n");
}

void report_junit(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    fprintf(c->out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<testsuites name=\"moat audit\">\n");
    for (size_t i = 0; i < moat_audit_resource_count(a); i++)
        junit_suite(c, moat_audit_resource(a, i));
    junit_incomplete(c);
    fprintf(c->out, "</testsuites>\n");
}
