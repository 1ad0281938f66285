/*
** cmd_check.c - `moat check`: decide one request, or a stream of them
** (spec/cli.md).
*/
#include "cli.h"
#include "check_target.h"
#include "cli_output.h"
#include "line_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: moat check --estate PATH... --request FILE|-   [--format text|json]\n"
    "       moat check --estate PATH... --requests FILE|-  [--format json|text]\n"
    "       moat check --estate PATH... --resource NAME [--from IP] [flags]\n"
    "\n"
    "Decides whether Azure's network rules let a data-plane request reach a\n"
    "storage account or key vault, and explains why (spec/decision.md).\n"
    "\n"
    "Estate:\n"
    "  --estate PATH          ARM JSON file or directory (every *.json below);\n"
    "                         repeat for more; '-' reads stdin\n"
    "  --lenient              validation errors become warnings; the offending\n"
    "                         rule is ignored\n"
    "  --quiet                do not print estate warnings\n"
    "  --service-tags FILE    Azure's ServiceTags_Public_<date>.json: perimeter\n"
    "                         service-tag rules then admit for key vaults\n"
    "\n"
    "Requests:\n"
    "  --request FILE|-       one request object (decision.md section 2)\n"
    "  --requests FILE|-      JSON lines, one request per line; answers one\n"
    "                         decision per line, in order: output line N\n"
    "                         answers input line N. A line that gets no\n"
    "                         decision (bad, blank, longer than 1 MiB) is\n"
    "                         answered with {\"error\": \"line N: ...\"}\n"
    "  --format text|json     text explains the path (default for one\n"
    "                         request); json is decision.md section 3\n"
    "  -o, --output FORMAT    az's json, jsonc, table, tsv, yaml or none, on\n"
    "                         the JSON (a stream: a list); table and tsv: a\n"
    "                         row per decision: resource, decision, category,\n"
    "                         rule, status (docs/output.md)\n"
    "  --query JMESPATH       az's --query on the JSON, before -o formats it\n"
    "  --trace                json: the path through the rules too\n"
    "                         (\"trace\": [{layer, outcome, detail}])\n"
    "  --fail-on-deny         exit 1 when any decision is deny (CI)\n"
    "\n"
    "Quick flags (instead of a request file):\n"
    "  --resource NAME        account or vault: ARM id, unique name, or a\n"
    "                         hostname or URL (https://st.blob.core.windows.net/c/b,\n"
    "                         kv.vault.azure.net: endpoint, container and\n"
    "                         protocol from it too)\n"
    "  --from IP              source address the service sees\n"
    "  --subnet ID            came through a service endpoint of this subnet\n"
    "  --private-endpoint ID  came through this private endpoint\n"
    "  --region REGION        the caller runs in this Azure region\n"
    "  --identity ID          ARM id of the calling resource (managed identity)\n"
    "  --service NAMESPACE    first-party service (Microsoft.RecoveryServices)\n"
    "  --tenant GUID          the caller's tenant\n"
    "  --subscription GUID    the caller's subscription\n"
    "  --perimeter GUID       a perimeter the caller is in (repeatable)\n"
    "  --auth KIND            OAuth (default), SAS, AccountKey, Anonymous\n"
    "  --protocol P           HTTPS (default), HTTP, SMB, NFS, SFTP\n"
    "  --endpoint E           blob (default), dfs, file, queue, table, web, "
    "vault\n"
    "  --op OP                read (default), write, delete, list\n"
    "  --target NAME          container, table or share ('$logs')\n"
    "  --control-plane        an Azure Resource Manager request\n"
    "  --time T               when the request is made (RFC 3339, 2026-11-20T08:00:00Z;\n"
    "                         default now): the trusted-service catalog rows in force\n"
    "\n"
    "Exit status: 0 every request decided (allow or deny alike; with\n"
    "--fail-on-deny 1 when one was deny), 2 usage\n"
    "error, 3 bad estate, 4 a request not answered: a bad request (in a\n"
    "stream, the other lines are still decided), or moat could not read\n"
    "the requests, ran out of memory or could not write the decisions\n"
    "(stderr says which).\n"
    "\n"
    "Examples:\n"
    "  moat check --estate examples/estate --resource stnwshipments --from 203.0.113.77\n"
    "  moat check --estate examples/estate --requests examples/requests.jsonl\n";

static const cli_spec spec[] = {
    {"estate", 1, 0},           {"lenient", 0, 0},  {"quiet", 0, 'q'},
    {"request", 1, 0},          {"requests", 1, 0}, {"format", 1, 0},
    {"resource", 1, 0},         {"from", 1, 0},     {"subnet", 1, 0},
    {"private-endpoint", 1, 0}, {"region", 1, 0},   {"identity", 1, 0},
    {"service", 1, 0},          {"tenant", 1, 0},   {"subscription", 1, 0},
    {"perimeter", 1, 0},        {"auth", 1, 0},     {"protocol", 1, 0},
    {"endpoint", 1, 0},         {"op", 1, 0},       {"target", 1, 0},
    {"control-plane", 0, 0},    {"time", 1, 0},     {"help", 0, 'h'},
    {"service-tags", 1, 0},     {"fail-on-deny", 0, 0},
    {"trace", 0, 0},            CLI_OUTPUT_SPEC,    {NULL, 0, 0},
};

/* Quick flags and the request field each sets. */
static const struct {
    const char *flag;
    moat_field field;
} quick[] = {
    {"resource", MOAT_REQ_RESOURCE},
    {"from", MOAT_REQ_SOURCE_IP},
    {"subnet", MOAT_REQ_SOURCE_SUBNET},
    {"private-endpoint", MOAT_REQ_SOURCE_PRIVATE_ENDPOINT},
    {"region", MOAT_REQ_SOURCE_REGION},
    {"identity", MOAT_REQ_CALLER_RESOURCE_ID},
    {"service", MOAT_REQ_CALLER_SERVICE},
    {"tenant", MOAT_REQ_CALLER_TENANT},
    {"subscription", MOAT_REQ_CALLER_SUBSCRIPTION},
    {"perimeter", MOAT_REQ_CALLER_PERIMETER},
    {"auth", MOAT_REQ_CALLER_AUTH},
    {"protocol", MOAT_REQ_PROTOCOL},
    {"endpoint", MOAT_REQ_ENDPOINT},
    {"op", MOAT_REQ_OPERATION},
    {"target", MOAT_REQ_TARGET},
    {"time", MOAT_REQ_TIME},
};

static int quick_flags_used(const cli_args *a)
{
    for (size_t i = 0; i < sizeof quick / sizeof quick[0]; i++) {
        if (cli_has(a, quick[i].flag))
            return 1;
    }
    return cli_has(a, "control-plane");
}

/* --resource: an ARM id or a name, or a hostname or URL that also gives
** the endpoint, the container and the protocol (unless their flags do). */
static int set_resource(const cli_args *a, moat_request *q,
                        const moat_estate *es)
{
    const char *v = cli_get(a, "resource");
    check_target t;
    int url = check_target_parse(v, &t) == 0;
    const char *name = url ? t.name : v;
    moat_error err;
    moat_status st = moat_request_set(q, MOAT_REQ_RESOURCE, name, strlen(name),
                                      &err);
    if (st != MOAT_OK) {
        char near[512];
        check_did_you_mean(es, name, near, sizeof near);
        cli_error("--resource: %s%s%s%s", err.message,
                  near[0] ? "; did you mean " : "", near, near[0] ? "?" : "");
        return EXIT_BAD_REQUEST;
    }
    if (url && !cli_has(a, "endpoint"))
        moat_request_set(q, MOAT_REQ_ENDPOINT, t.endpoint, strlen(t.endpoint),
                         NULL);
    if (url && t.target[0] && !cli_has(a, "target"))
        moat_request_set(q, MOAT_REQ_TARGET, t.target, strlen(t.target), NULL);
    if (url && t.http && !cli_has(a, "protocol"))
        moat_request_set(q, MOAT_REQ_PROTOCOL, "HTTP", 4, NULL);
    return 0;
}

static int build_quick(const cli_args *a, moat_request *q,
                       const moat_estate *es)
{
    moat_error err;
    if (!cli_has(a, "resource"))
        return cli_usage_error("check",
                               "--resource is needed with the quick flags");
    int rc = set_resource(a, q, es);
    if (rc != 0)
        return rc;
    /* In command-line order, so that repeated --perimeter all count. */
    for (int i = 0; i < a->n_opts; i++) {
        for (size_t k = 0; k < sizeof quick / sizeof quick[0]; k++) {
            if (strcmp(a->opts[i].name, quick[k].flag) != 0 ||
                quick[k].field == MOAT_REQ_RESOURCE)
                continue;
            const char *v = a->opts[i].value;
            if (moat_request_set(q, quick[k].field, v, strlen(v), &err) !=
                MOAT_OK) {
                cli_error("--%s: %s", quick[k].flag, err.message);
                return EXIT_BAD_REQUEST;
            }
        }
    }
    if (cli_has(a, "control-plane"))
        moat_request_set(q, MOAT_REQ_PLANE, "control", 7, NULL);
    return 0;
}

static const char *outcome_word(moat_step_outcome o)
{
    switch (o) {
    case MOAT_STEP_SKIPPED: return "skipped";
    case MOAT_STEP_PASSED: return "passed";
    case MOAT_STEP_ALLOWED: return "ALLOWED";
    case MOAT_STEP_DENIED: return "DENIED";
    }
    return "?";
}

static void print_text(moat_explanation *x, const cli_args *a)
{
    const moat_decision *d = moat_explanation_decision(x);
    printf("%s  %s", d->verdict == MOAT_ALLOW ? "ALLOW" : "DENY",
           moat_category_name(d->category));
    if (d->verdict == MOAT_DENY)
        printf("  (HTTP %d %s)", d->http_status, d->http_code);
    printf("\n");
    const char *rule = moat_explanation_rule(x);
    if (rule[0])
        printf("  rule      %s\n", rule);
    printf("  reason    %s\n", moat_explanation_reason(x));
    if (d->has_enforced_would)
        printf("  enforced  would be %s if the perimeter were Enforced\n",
               d->enforced_would == MOAT_ALLOW ? "allowed" : "denied");
    for (unsigned bit = 1; bit; bit <<= 1) {
        const char *w = (d->warnings & bit) ? moat_warning_name(bit) : NULL;
        if (w)
            printf("  warning   %s\n", w);
    }
    printf("\n  path through the rules:\n");
    size_t n = moat_explanation_step_count(x);
    for (size_t i = 0; i < n; i++) {
        const moat_step *s = moat_explanation_step(x, i);
        printf("    %-8s %-28s %s\n", outcome_word(s->outcome), s->layer,
               s->detail);
    }
    if (a && cli_has(a, "identity") && !cli_has(a, "tenant") &&
        !cli_has(a, "request"))
        printf(
            "\n  hint: --tenant is not set; trusted services and resource instance rules need the caller's tenant\n");
}

/* What the run asks beyond the decisions: the path in JSON (--trace),
** and whether one was a deny (--fail-on-deny). */
static struct {
    int trace;
    int denied;
} run_opts;

static const char *outcome_word(moat_step_outcome o);

/* ,"trace":[{"layer","outcome","detail"}...] for the JSON decision. */
static void print_trace(const moat_explanation *x)
{
    fputs(",\"trace\":[", stdout);
    for (size_t i = 0; i < moat_explanation_step_count(x); i++) {
        const moat_step *st = moat_explanation_step(x, i);
        fputs(i ? ",{\"layer\":" : "{\"layer\":", stdout);
        cli_json_str(stdout, st->layer);
        fputs(",\"outcome\":", stdout);
        cli_json_str(stdout, outcome_word(st->outcome));
        fputs(",\"detail\":", stdout);
        cli_json_str(stdout, st->detail);
        fputc('}', stdout);
    }
    fputc(']', stdout);
}

/* The decision as JSON (decision.md section 3), with the trace spliced
** in before its closing brace when asked. */
static const char *print_json(moat_explanation *x)
{
    char small[4096], *text = small;
    size_t n = moat_explanation_json(x, small, sizeof small);
    if (n == 0)
        return "out of memory";
    if (n >= sizeof small) {
        if ((text = malloc(n + 1)) == NULL)
            return "out of memory";
        moat_explanation_json(x, text, n + 1);
    }
    fwrite(text, 1, run_opts.trace ? n - 1 : n, stdout);
    if (run_opts.trace) {
        print_trace(x);
        fputc('}', stdout);
    }
    fputc('\n', stdout);
    if (text != small)
        free(text);
    return NULL;
}

/* Writes the decision on q; NULL, or why there is none. */
static const char *write_decision(moat_request *q, moat_explanation *x,
                                  int json, const cli_args *a)
{
    unsigned flags = !json || run_opts.trace ? MOAT_EXPLAIN_STEPS : 0;
    moat_status rc = moat_explain(q, x, flags);
    if (rc != MOAT_OK)
        return moat_strerror(rc);
    if (moat_explanation_decision(x)->verdict == MOAT_DENY)
        run_opts.denied = 1;
    if (!json) {
        print_text(x, a);
        return NULL;
    }
    return print_json(x);
}

/* Decisions that did not reach stdout are an error like any other: a full
** disk or a closed pipe must not look like a run that answered. */
static int output_failed(int saved_errno)
{
    int failed = ferror(stdout);
    if (fflush(stdout) != 0 && !failed) {
        failed = 1;
        saved_errno = errno;
    }
    if (failed)
        cli_error("cannot write the decisions: %s",
                  strerror(saved_errno ? saved_errno : errno));
    return failed;
}

static int decide_one(moat_request *q, moat_explanation *x, int json,
                      const cli_args *a)
{
    const char *why = write_decision(q, x, json, a);
    if (why) {
        cli_error("cannot decide: %s", why);
        return EXIT_BAD_REQUEST;
    }
    return output_failed(0) ? EXIT_BAD_REQUEST : EXIT_DECIDED;
}

/* A line that gets no decision is answered on its own output line with
** {"error": "line N: ..."} (spec/cli.md), and said on stderr as
** FILE:N: what: why. */
static void answer_error(const char *path, size_t line, const char *what,
                         const char *why)
{
    char text[512];
    snprintf(text, sizeof text, "line %zu: %s", line, why);
    fputs("{\"error\":", stdout);
    cli_json_str(stdout, text);
    fputs("}\n", stdout);
    fprintf(stderr, "%s:%zu: %s: %s\n", strcmp(path, "-") ? path : "<stdin>",
            line, what, why);
}

/* The longest request line read: a request is a resource id and a few
** addresses and ids, far below this; the cap bounds the memory any input
** can make a stream take. */
#define MAX_REQUEST_LINE (1u << 20)

static int blank(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i == n;
}

/* Answers one line of a stream: 0 decided, 1 answered with an error. */
static int answer_line(line_reader *r, line_status st, size_t lineno,
                       const char *path, moat_request *q, moat_explanation *x,
                       int json)
{
    moat_error err;
    char why[400];
    if (st == LINE_TOO_LONG) {
        snprintf(
            why, sizeof why,
            "longer than 1 MiB (%u bytes), the longest request line moat reads; skipped",
            MAX_REQUEST_LINE);
    } else if (st == LINE_NO_MEMORY) {
        answer_error(path, lineno, "not read", "out of memory");
        return 1;
    } else if (blank(r->line, r->len)) {
        snprintf(why, sizeof why,
                 "an empty line; each line is one request (a JSON object)");
    } else if (moat_request_parse(q, r->line, r->len, &err) != MOAT_OK) {
        snprintf(why, sizeof why, "%s (at byte %zu)", err.message,
                 err.offset + 1);
    } else {
        if (!json)
            printf("# line %zu\n", lineno);
        const char *failed = write_decision(q, x, json, NULL);
        if (failed)
            answer_error(path, lineno, "not decided", failed);
        if (!json)
            printf("\n");
        return failed != NULL;
    }
    answer_error(path, lineno, "bad request", why);
    return 1;
}

static int check_stream(moat_request *q, moat_explanation *x, const char *path,
                        int json)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (fp == NULL) {
        cli_error("%s: cannot open", path);
        return EXIT_USAGE;
    }
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    line_reader r;
    line_reader_init(&r, fp, MAX_REQUEST_LINE);
    size_t lineno = 0, bad = 0;
    line_status st;
    int write_errno = 0;
    while ((st = line_reader_next(&r)) != LINE_END && st != LINE_READ_ERROR) {
        bad += (size_t)answer_line(&r, st, ++lineno, path, q, x, json);
        if (ferror(stdout)) { /* no one reads what follows */
            write_errno = errno;
            break;
        }
    }
    int read_errno = st == LINE_READ_ERROR ? errno : 0;
    line_reader_free(&r);
    if (fp != stdin)
        fclose(fp);
    int failed = output_failed(write_errno);
    if (read_errno)
        cli_error("%s: cannot read line %zu: %s", path, lineno + 1,
                  strerror(read_errno));
    return bad || failed || read_errno ? EXIT_BAD_REQUEST : EXIT_DECIDED;
}

int cmd_check(int argc, char **argv)
{
    cli_args a;
    if (cli_parse(argc, argv, spec, &a, "check") != 0)
        return EXIT_USAGE;
    if (cli_has(&a, "help")) {
        fputs(usage, stdout);
        return EXIT_DECIDED;
    }
    if (a.n_operands)
        return cli_usage_error("check", "unexpected argument '%s'",
                               a.operands[0]);
    int modes =
        cli_has(&a, "request") + cli_has(&a, "requests") + quick_flags_used(&a);
    if (modes != 1)
        return cli_usage_error(
            "check",
            modes
                ? "give one of --request, --requests or the quick flags"
                : "nothing to check: give --request, --requests or --resource");
    if (!cli_has(&a, "estate"))
        return cli_usage_error("check",
                               "no estate: give --estate FILE or --estate DIR");
    static const char *const formats[] = {"text", "json", NULL};
    static const cli_output_cmd one = {
        "check", formats, "text", 0, 0,
        "{resource: resource, decision: decision, category: category, "
        "rule: rule, status: http.status}"};
    static const cli_output_cmd stream = {
        "check", formats, "json", 0, 1,
        "[].{resource: resource, decision: decision, category: category, "
        "rule: rule, status: http.status, error: error}"};
    cli_output out;
    if (cli_output_parse(&a, cli_has(&a, "requests") ? &stream : &one,
                         &out) != 0)
        return EXIT_USAGE;
    int json = cli_output_is(&out, "json");
    run_opts.trace = cli_has(&a, "trace");
    run_opts.denied = 0;

    moat_estate *es =
        cli_load_estate(&a, cli_has(&a, "quiet") ? CLI_LOAD_QUIET : 0);
    if (es == NULL)
        return cli_output_end(&out, EXIT_BAD_ESTATE);
    moat_request *q = moat_request_new(es);
    moat_explanation *x = moat_explanation_new();
    int rc = cli_output_begin(&out);
    if (rc != 0) {
    } else if (q == NULL || x == NULL) {
        cli_error("out of memory");
        rc = EXIT_BAD_REQUEST;
    } else if (cli_has(&a, "requests")) {
        rc = check_stream(q, x, cli_get(&a, "requests"), json);
    } else if (cli_has(&a, "request")) {
        size_t len;
        const char *path = cli_get(&a, "request");
        char *text = cli_read_file(path, &len);
        moat_error err;
        if (text == NULL) {
            rc = EXIT_USAGE;
        } else if (moat_request_parse(q, text, len, &err) != MOAT_OK) {
            cli_error("%s: bad request: %s (at byte %zu)", path, err.message,
                      err.offset + 1);
            rc = EXIT_BAD_REQUEST;
        } else {
            rc = decide_one(q, x, json, &a);
        }
        free(text);
    } else {
        rc = build_quick(&a, q, es);
        if (rc == 0)
            rc = decide_one(q, x, json, &a);
    }
    moat_explanation_free(x);
    moat_request_free(q);
    moat_estate_free(es);
    if (rc == EXIT_DECIDED && run_opts.denied && cli_has(&a, "fail-on-deny"))
        rc = EXIT_FINDINGS; /* 1: a deny, as CI wants it */
    return cli_output_end(&out, rc);
}
