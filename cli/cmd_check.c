/*
** cmd_check.c - `moat check`: decide one request, or a stream of them
** (spec/cli.md).
*/
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: moat check --estate PATH... --request FILE|-   [--format "
    "text|json]\n"
    "       moat check --estate PATH... --requests FILE|-  [--format "
    "json|text]\n"
    "       moat check --estate PATH... --resource NAME [--from IP] [flags]\n"
    "\n"
    "Decides whether Azure's network rules let a data-plane request reach a\n"
    "storage account or key vault, and explains why (spec/decision.md).\n"
    "\n"
    "Estate:\n"
    "  --estate PATH          ARM JSON file or directory (every *.json "
    "below);\n"
    "                         repeat for more; '-' reads stdin\n"
    "  --lenient              validation errors become warnings; the "
    "offending\n"
    "                         rule is ignored\n"
    "  --quiet                do not print estate warnings\n"
    "  --service-tags FILE    Azure's ServiceTags_Public_<date>.json: "
    "perimeter\n"
    "                         service-tag rules then admit for key vaults\n"
    "\n"
    "Requests:\n"
    "  --request FILE|-       one request object (decision.md section 2)\n"
    "  --requests FILE|-      JSON lines, one request per line; answers one\n"
    "                         decision per line, in order\n"
    "  --format text|json     text explains the path (default for one\n"
    "                         request); json is decision.md section 3\n"
    "\n"
    "Quick flags (instead of a request file):\n"
    "  --resource NAME        account or vault: ARM id or unique name\n"
    "  --from IP              source address the service sees\n"
    "  --subnet ID            came through a service endpoint of this subnet\n"
    "  --private-endpoint ID  came through this private endpoint\n"
    "  --region REGION        the caller runs in this Azure region\n"
    "  --identity ID          ARM id of the calling resource (managed "
    "identity)\n"
    "  --service NAMESPACE    first-party service "
    "(Microsoft.RecoveryServices)\n"
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
    "  --time T               when the request is made (RFC 3339, "
    "2026-11-20T08:00:00Z;\n"
    "                         default now): the trusted-service catalog "
    "rows in force\n"
    "\n"
    "Exit status: 0 every request decided (allow or deny alike), 2 usage\n"
    "error, 3 bad estate, 4 bad request (other lines are still decided).\n"
    "\n"
    "Examples:\n"
    "  moat check --estate examples/estate --resource stnwshipments --from "
    "203.0.113.77\n"
    "  moat check --estate examples/estate --requests "
    "examples/requests.jsonl\n";

static const cli_spec spec[] = {
    {"estate", 1, 0},           {"lenient", 0, 0},  {"quiet", 0, 'q'},
    {"request", 1, 0},          {"requests", 1, 0}, {"format", 1, 0},
    {"resource", 1, 0},         {"from", 1, 0},     {"subnet", 1, 0},
    {"private-endpoint", 1, 0}, {"region", 1, 0},   {"identity", 1, 0},
    {"service", 1, 0},          {"tenant", 1, 0},   {"subscription", 1, 0},
    {"perimeter", 1, 0},        {"auth", 1, 0},     {"protocol", 1, 0},
    {"endpoint", 1, 0},         {"op", 1, 0},       {"target", 1, 0},
    {"control-plane", 0, 0},    {"time", 1, 0},     {"help", 0, 'h'},
    {"service-tags", 1, 0},     {NULL, 0, 0},
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

static int build_quick(const cli_args *a, moat_request *q)
{
    moat_error err;
    if (!cli_has(a, "resource"))
        return cli_usage_error("check", "--resource is needed with the quick "
                                        "flags");
    /* In command-line order, so that repeated --perimeter all count. */
    for (int i = 0; i < a->n_opts; i++) {
        for (size_t k = 0; k < sizeof quick / sizeof quick[0]; k++) {
            if (strcmp(a->opts[i].name, quick[k].flag) != 0)
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
        printf("\n  hint: --tenant is not set; trusted services and resource "
               "instance rules need the caller's tenant\n");
}

static int decide_one(moat_request *q, moat_explanation *x, int json,
                      const cli_args *a)
{
    moat_status rc = moat_explain(q, x, json ? 0 : MOAT_EXPLAIN_STEPS);
    if (rc != MOAT_OK) {
        cli_error("cannot decide: %s", moat_strerror(rc));
        return EXIT_BAD_REQUEST;
    }
    if (json) {
        char small[4096];
        size_t n = moat_explanation_json(x, small, sizeof small);
        if (n == 0) {
            cli_error("out of memory");
            return EXIT_BAD_REQUEST;
        }
        if (n < sizeof small) {
            fwrite(small, 1, n, stdout);
        } else {
            char *big = malloc(n + 1);
            if (big == NULL) {
                cli_error("out of memory");
                return EXIT_BAD_REQUEST;
            }
            moat_explanation_json(x, big, n + 1);
            fwrite(big, 1, n, stdout);
            free(big);
        }
        fputc('\n', stdout);
    } else {
        print_text(x, a);
    }
    return EXIT_DECIDED;
}

static void print_line_error(size_t line, const char *msg)
{
    /* {"error": "..."} on the line's own output line (spec/cli.md). */
    char text[512];
    snprintf(text, sizeof text, "line %zu: %s", line, msg);
    fputs("{\"error\":\"", stdout);
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            fputc(c, stdout);
    }
    fputs("\"}\n", stdout);
}

static int check_stream(moat_request *q, moat_explanation *x, const char *path,
                        int json, const cli_args *a)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (fp == NULL) {
        cli_error("%s: cannot open", path);
        return EXIT_USAGE;
    }
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    char *line = NULL;
    size_t cap = 0, lineno = 0, bad = 0;
    ssize_t len;
    moat_error err;
    while ((len = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        size_t i = 0;
        while (i < (size_t)len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == (size_t)len)
            continue; /* blank line */
        if (moat_request_parse(q, line, (size_t)len, &err) != MOAT_OK) {
            char msg[400];
            snprintf(msg, sizeof msg, "%s (at byte %zu)", err.message,
                     err.offset + 1);
            print_line_error(lineno, msg);
            fprintf(stderr, "%s:%zu: bad request: %s\n", path, lineno, msg);
            bad++;
            continue;
        }
        if (!json)
            printf("# line %zu\n", lineno);
        if (decide_one(q, x, json, a) != EXIT_DECIDED) {
            print_line_error(lineno, "cannot decide");
            bad++;
        }
        if (!json)
            printf("\n");
    }
    free(line);
    int read_error = ferror(fp);
    if (fp != stdin)
        fclose(fp);
    fflush(stdout);
    if (read_error) {
        cli_error("%s: read error", path);
        return EXIT_BAD_REQUEST;
    }
    return bad ? EXIT_BAD_REQUEST : EXIT_DECIDED;
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
        return cli_usage_error("check", modes ? "give one of --request, "
                                                "--requests or the quick flags"
                                              : "nothing to check: give "
                                                "--request, --requests or "
                                                "--resource");
    if (!cli_has(&a, "estate"))
        return cli_usage_error("check", "no estate: give --estate FILE or "
                                        "--estate DIR");
    int json = cli_format(&a, cli_has(&a, "requests"));
    if (json < 0)
        return cli_usage_error("check", "--format must be text or json");

    moat_estate *es =
        cli_load_estate(&a, cli_has(&a, "quiet") ? CLI_LOAD_QUIET : 0);
    if (es == NULL)
        return EXIT_BAD_ESTATE;
    moat_request *q = moat_request_new(es);
    moat_explanation *x = moat_explanation_new();
    int rc = EXIT_DECIDED;
    if (q == NULL || x == NULL) {
        cli_error("out of memory");
        rc = EXIT_BAD_REQUEST;
    } else if (cli_has(&a, "requests")) {
        rc = check_stream(q, x, cli_get(&a, "requests"), json, &a);
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
        rc = build_quick(&a, q);
        if (rc == 0)
            rc = decide_one(q, x, json, &a);
    }
    moat_explanation_free(x);
    moat_request_free(q);
    moat_estate_free(es);
    return rc;
}
