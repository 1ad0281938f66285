/*
** audit_report.c - writing an audit as text, JSON, SARIF 2.1.0 and JUnit.
*/
#include "audit_report.h"

#include <string.h>
#include <strings.h>
#include <unistd.h>

/* A CIS number as a selector gives it: "3.8", "CIS 3.8", "cis-3.8". */
static const char *cis_number(const char *sel)
{
    if (strncasecmp(sel, "cis", 3) == 0) {
        sel += 3;
        while (*sel == ' ' || *sel == '-' || *sel == '_' || *sel == ':')
            sel++;
    }
    return sel;
}

int report_selects(const char *sel, const moat_finding *f)
{
    if (strcasecmp(sel, f->rule->id) == 0 ||
        strcasecmp(sel, f->rule->name) == 0 ||
        (f->control && strcasecmp(sel, f->control) == 0))
        return 1;
    const char *num = cis_number(sel);
    for (size_t i = 0; i < f->n_cis; i++)
        if (strcmp(num, f->cis[i].id) == 0)
            return 1;
    return 0;
}

int report_keeps(const report_ctx *c, const moat_finding *f)
{
    int keep = c->n_checks == 0;
    for (size_t i = 0; i < c->n_checks && !keep; i++)
        keep = report_selects(c->checks[i], f);
    for (size_t i = 0; i < c->n_skips && keep; i++)
        keep = !report_selects(c->skips[i], f);
    return keep;
}

int report_exit(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    if (c->soft_fail)
        return EXIT_DECIDED;
    if (moat_audit_incomplete_count(a) && !c->allow_incomplete)
        return EXIT_FINDINGS;
    for (size_t i = 0; i < moat_audit_finding_count(a); i++) {
        const moat_finding *f = moat_audit_finding(a, i);
        if (f->state == MOAT_FINDING_ACTIVE && f->level >= c->fail_on &&
            report_keeps(c, f))
            return EXIT_FINDINGS;
    }
    return EXIT_DECIDED;
}

typedef struct counts {
    size_t active[MOAT_LEVEL_CRITICAL + 1];
    size_t suppressed, baseline, total;
} counts;

static counts count(const report_ctx *rc)
{
    const moat_audit *a = rc->audit;
    counts c;
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < moat_audit_finding_count(a); i++) {
        const moat_finding *f = moat_audit_finding(a, i);
        if (!report_keeps(rc, f))
            continue;
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
    int judged = strcmp(res->kind, "storage") == 0 ||
                 strcmp(res->kind, "keyvault") == 0;
    fprintf(o, "%s%s%s  (%s)", c->colour ? "\033[1m" : "", res->name, reset(c),
            strcmp(res->kind, "storage") == 0    ? "storage account"
            : strcmp(res->kind, "keyvault") == 0 ? "key vault"
            : strcmp(res->kind, "plan") == 0     ? "planned data-plane resource"
                                                 : "depends on storage or a vault");
    if (res->file[0])
        fprintf(o, "  %s:%u", res->file, res->line);
    if (res->address)
        fprintf(o, "  %s", res->address);
    fprintf(o, "\n  %s\n", res->id);
    if (judged)
        fprintf(o, "  reachable from:");
    for (size_t i = 0; i < res->n_exposures; i++) {
        const moat_exposure *e =
            moat_audit_exposure(a, res->first_exposure + i);
        fprintf(o, "\n    %-18s %-8s %s", e->source, e->admitted, e->detail);
    }
    if (judged)
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
        if (f->state != MOAT_FINDING_ACTIVE || f->control ||
            !report_keeps(c, f))
            continue;
        if (!any)
            fprintf(o, "  findings:\n");
        any = 1;
        fprintf(o, "    %s%-8s%s %s %s%s%s\n", paint(c, f->level),
                moat_level_name(f->level), reset(c), f->rule->id, f->rule->name,
                c->compact ? ": " : "\n      ", f->message);
        if (f->fix[0] && !c->compact)
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
    counts k = count(c);
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

/* {"kind", "from", "to", "request", "decision", "category", "rule"} of a
** dependency finding (docs/audit.md "Dependencies"); request is the
** request object as `moat check` reads it. */
static void json_dependency(FILE *o, const moat_dependency *d)
{
    if (d == NULL) {
        fputs("null", o);
        return;
    }
    fprintf(o, "{\"kind\":");
    cli_json_str(o, d->kind);
    fprintf(o, ",\"from\":");
    json_str_or_null(o, d->from);
    fprintf(o, ",\"to\":");
    json_str_or_null(o, d->to);
    fprintf(o, ",\"request\":%s,\"decision\":", d->request ? d->request : "null");
    cli_json_str(o, d->decision);
    fprintf(o, ",\"category\":");
    json_str_or_null(o, d->category);
    fprintf(o, ",\"rule\":");
    cli_json_str(o, d->rule);
    fprintf(o, ",\"resource\":");
    json_str_or_null(o, d->resource);
    fputc('}', o);
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
    fprintf(o, ",\"dependency\":");
    json_dependency(o, f->dependency);
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
    counts k = count(c);
    fprintf(
        o,
        "{\"moat\":\"%s\",\"date\":\"%s\",\"summary\":{\"findings\":%zu,\"active\":{\"critical\":%zu,\"high\":%zu,\"medium\":%zu,\"low\":%zu,\"info\":%zu},\"suppressed\":%zu,\"baseline\":%zu,\"fail_on\":\"%s\",\"failed\":%s,\"complete\":%s,\"incomplete\":%zu},\n\"resources\":[",
        MOAT_VERSION, c->today, k.total, k.active[MOAT_LEVEL_CRITICAL],
        k.active[MOAT_LEVEL_HIGH], k.active[MOAT_LEVEL_MEDIUM],
        k.active[MOAT_LEVEL_LOW], k.active[MOAT_LEVEL_INFO], k.suppressed,
        k.baseline, moat_level_name(c->fail_on),
        report_exit(c) ? "true" : "false",
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
    fprintf(o, "],\n\"dependencies\":[");
    for (size_t i = 0; i < moat_audit_dependency_count(a); i++) {
        fputs(i ? ",\n" : "\n", o);
        json_dependency(o, moat_audit_dependency(a, i));
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
    for (size_t i = 0, n = 0; i < moat_audit_finding_count(a); i++) {
        if (!report_keeps(c, moat_audit_finding(a, i)))
            continue;
        fprintf(o, "%s\n", n++ ? "," : "");
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

/* A path's characters as a URI reference's (spaces, '%' and the like
** escaped). */
static void uri_chars(FILE *o, const char *path)
{
    for (const char *p = path; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == ' ' || ch == '%' || ch == '"' || ch == '\\' || ch < 0x20 ||
            ch >= 0x7f || ch == '#' || ch == '?')
            fprintf(o, "%%%02X", ch);
        else
            fputc(ch, o);
    }
}

/* The artifact location of a file: relative to the directory moat ran in
** (%SRCROOT%, the repository root in CI), or a file:// URI when it lies
** outside it. */
static void sarif_uri(FILE *o, const char *path)
{
    char cwd[4096];
    size_t n = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0;
    if (path[0] == '/' && n > 0 && strncmp(path, cwd, n) == 0 &&
        path[n] == '/')
        path += n + 1;
    fputs(path[0] == '/' ? "\"file://" : "\"", o);
    uri_chars(o, path);
    fputs(path[0] == '/' ? "\"" : "\",\"uriBaseId\":\"%SRCROOT%\"", o);
}

/* The run's %SRCROOT%: the directory moat ran in. */
static void sarif_base(FILE *o)
{
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == NULL)
        return;
    fputs(",\"originalUriBaseIds\":{\"%SRCROOT%\":{\"uri\":\"file://", o);
    uri_chars(o, cwd);
    fputs("/\"}}", o);
}

/* Azure's documentation of what a rule is about. */
static const char *help_uri(const moat_audit_rule *r)
{
    static const char *const by_name[][2] = {
        {"instance-rule", "https://learn.microsoft.com/azure/storage/common/storage-network-security-resource-instances"},
        {"perimeter", "https://learn.microsoft.com/azure/private-link/network-security-perimeter-concepts"},
        {"service-tag", "https://learn.microsoft.com/azure/private-link/network-security-perimeter-concepts"},
        {"private-endpoint", "https://learn.microsoft.com/azure/private-link/private-endpoint-overview"},
        {"keyvault", "https://learn.microsoft.com/azure/key-vault/general/network-security"},
        {"trusted-services", "https://learn.microsoft.com/azure/storage/common/storage-network-security-trusted-azure-services"},
        {"vnet-rule", "https://learn.microsoft.com/azure/storage/common/storage-network-security-virtual-networks"},
        {"ip-r", "https://learn.microsoft.com/azure/storage/common/storage-network-security-ip-address-range"},
    };
    for (size_t i = 0; i < sizeof by_name / sizeof by_name[0]; i++)
        if (strstr(r->name, by_name[i][0]))
            return by_name[i][1];
    return "https://learn.microsoft.com/azure/storage/common/storage-network-security";
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
        fprintf(o, "},\"helpUri\":");
        cli_json_str(o, help_uri(r));
        fprintf(
            o,
            ",\"defaultConfiguration\":{\"level\":\"%s\"},\"properties\":{\"security-severity\":\"%s\",\"tags\":[\"security\",\"azure\",\"network\"]}}",
            sarif_level(r->level), security_severity(r->level));
    }
    fprintf(o, "]}}");
    sarif_base(o);
    fprintf(o, ",\"columnKind\":\"unicodeCodePoints\",\"results\":[");
    int first = 1;
    for (size_t i = 0; i < moat_audit_finding_count(a); i++) {
        const moat_finding *f = moat_audit_finding(a, i);
        if (f->state == MOAT_FINDING_BASELINE || !report_keeps(c, f))
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
        /* the Terraform address where there is one: what a plan's reader
        ** knows the resource by */
        fprintf(o, "\"logicalLocations\":[{\"name\":");
        cli_json_str(o, f->address ? f->address : f->resource_name);
        fprintf(o, ",\"fullyQualifiedName\":");
        cli_json_str(o, f->address ? f->address : f->resource);
        fprintf(
            o,
            ",\"kind\":\"resource\"}]}],\"partialFingerprints\":{\"moat/v1\":");
        cli_json_str(o, f->fingerprint);
        fprintf(o, "},\"properties\":{\"severity\":\"%s\",\"resource\":",
                moat_level_name(f->level));
        cli_json_str(o, f->resource);
        if (f->dependency) {
            fprintf(o, ",\"dependency\":");
            json_dependency(o, f->dependency);
        }
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
        if (f->control || f->state == MOAT_FINDING_BASELINE ||
            !report_keeps(c, f))
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
        if (f->control || f->state == MOAT_FINDING_BASELINE ||
            !report_keeps(c, f))
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

/*--------------------------------------------------------------------------
** CSV (RFC 4180): a row per finding, as posture tools export them.
*/
#define csv_field cli_csv_field

static void csv_finding(FILE *o, const moat_finding *f)
{
    static const char *const states[] = {"active", "suppressed", "baseline"};
    char cis[512] = "", line[16];
    for (size_t i = 0, used = 0; i < f->n_cis && used < sizeof cis; i++) {
        int w = snprintf(cis + used, sizeof cis - used, "%s%s %s",
                         i ? "; " : "", f->cis[i].version, f->cis[i].id);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    snprintf(line, sizeof line, "%u", f->line);
    csv_field(o, f->rule->id, 0);
    csv_field(o, f->rule->name, 0);
    csv_field(o, moat_level_name(f->level), 0);
    csv_field(o, states[f->state], 0);
    csv_field(o, f->resource_name, 0);
    csv_field(o, f->resource, 0);
    csv_field(o, f->address, 0);
    csv_field(o, f->file, 0);
    csv_field(o, f->line ? line : "", 0);
    csv_field(o, f->control, 0);
    csv_field(o, cis, 0);
    csv_field(o, f->message, 0);
    csv_field(o, f->fix, 0);
    csv_field(o, f->fingerprint, 1);
}

void report_csv(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    fputs("rule,name,severity,state,resource_name,resource,address,file,line,"
          "control,cis,message,fix,fingerprint\r\n",
          c->out);
    for (size_t i = 0; i < moat_audit_finding_count(a); i++) {
        const moat_finding *f = moat_audit_finding(a, i);
        if (report_keeps(c, f))
            csv_finding(c->out, f);
    }
}
