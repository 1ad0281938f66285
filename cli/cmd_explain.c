/*
** cmd_explain.c - `moat explain`: one real failure, explained. It takes
** what a developer has (an HTTP error response, as Azure sends it or as a
** tool prints it, or one access-log record) and says which layer refused,
** the deciding rule, the address Azure saw, and the smallest fix with what
** it would open. Without an estate it names the layer from the codes and
** says what to look at; with one it decides the request again.
*/
#include "cli_output.h"
#include "explain.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: moat explain [--estate PATH...] [--resource NAME|ID]\n"
    "                    [--source-ip IP] [--format text|json] [FILE | -]\n"
    "\n"
    "Explains one real failure: an HTTP error response from Azure Storage\n"
    "or Key Vault (status line, headers and body; Storage's XML error, Key\n"
    "Vault's JSON error with its inner code; or as the Azure CLI, an SDK or\n"
    "Terraform printed it), or one access-log record in any format moat\n"
    "replay reads (a CSV record: its header line, then the row).\n"
    "\n"
    "Says which layer refused: the network firewall, a network security\n"
    "perimeter, private link (public network access), or not the network\n"
    "at all (a role assignment, a SAS, a key, the token); the address\n"
    "Azure saw (a caller in the account's own region arrives from a\n"
    "private address, not the public one an IP rule allows); and with\n"
    "--estate the deciding rule and the smallest fix, with what it opens.\n"
    "\n"
    "  --estate PATH      the configuration (repeat for more paths)\n"
    "  --resource NAME    the account or vault, when the text does not\n"
    "                     name it (Storage's errors do not)\n"
    "  --source-ip IP     the caller's address, when the text does not\n"
    "                     name it\n"
    "  --format text|json text (default) or one JSON object\n"
    "  -o, --output F     az's json, jsonc, table, tsv, yaml or none, on the\n"
    "                     JSON; table and tsv: layer, decision, category,\n"
    "                     rule, source_ip, fix (docs/output.md)\n"
    "  --query JMESPATH   az's --query on the JSON, before -o formats it\n"
    "  --lenient          as for moat check\n"
    "\n"
    "Exit status: 0 explained, 2 usage error, 3 the estate could not be\n"
    "read, 4 the input could not be read (standard input holds at most\n"
    "1 MiB) or nothing in it is a failure moat recognises.\n";

static const cli_spec spec[] = {
    {"estate", 1, 'e'},    {"resource", 1, 0}, {"source-ip", 1, 0},
    {"format", 1, 'f'},    {"lenient", 0, 0},  {"help", 0, 'h'},
    CLI_OUTPUT_SPEC,
    {NULL, 0, 0},
};

#define MAX_INPUT (1u << 20)

/* The failure's text: a file, or stdin (a pipe, a file or a terminal) of
** at most MAX_INPUT bytes; more is refused with a message, never cut. */
static char *read_input(const char *path, size_t *len)
{
    if (path && strcmp(path, "-") != 0)
        return cli_read_file(path, len);
    return cli_read_stdin_text(MAX_INPUT, len);
}

static int private_address(const char *ip)
{
    unsigned a, b;
    if (sscanf(ip, "%u.%u.", &a, &b) != 2)
        return strncmp(ip, "fd", 2) == 0 || strncmp(ip, "fc", 2) == 0;
    return a == 10 || (a == 172 && b >= 16 && b < 32) ||
           (a == 192 && b == 168) || (a == 100 && b >= 64 && b < 128);
}

/* A log record mapped in the estate, decided again. */
static int explain_record(finding *x, const moat_estate *es, const char *text,
                          size_t len, moat_log_format fmt, moat_request *q)
{
    moat_log_reader *r = moat_log_reader_new(es, fmt);
    if (r == NULL)
        return -1;
    const char *rec = text;
    size_t n = len;
    if (fmt == MOAT_LOG_ANALYTICS_CSV) {
        const char *nl = memchr(text, '\n', len);
        size_t h = nl ? (size_t)(nl - text) : len;
        moat_error err;
        if (moat_log_reader_header(r, text, h, &err) != MOAT_OK) {
            cli_error("the CSV header: %s", err.message);
            moat_log_reader_free(r);
            return -1;
        }
        rec = nl ? nl + 1 : text + len;
        n = len - (size_t)(rec - text);
    }
    while (n && (rec[n - 1] == '\n' || rec[n - 1] == '\r'))
        n--;
    moat_log_request m;
    const char *reason = NULL;
    moat_error err;
    int rc = -1;
    if (moat_log_read(r, rec, n, &m, &reason, &err) != MOAT_OK) {
        cli_error("the record does not map to a request (%s): %s",
                  reason ? reason : "unreadable", err.message);
    } else if (moat_log_request_apply(&m, q, &err) == MOAT_OK) {
        x->azure = m.azure == MOAT_LOG_AZURE_DENIED    ? "denied"
                   : m.azure == MOAT_LOG_AZURE_ALLOWED ? "allowed"
                                                       : "unknown";
        if (m.source.n && m.source.n < sizeof x->f.source_ip)
            snprintf(x->f.source_ip, sizeof x->f.source_ip, "%.*s",
                     (int)m.source.n, m.source.p);
        rc = 0;
    }
    moat_log_reader_free(r);
    return rc;
}

/* The request an HTTP failure stands for: the resource it names (or
** --resource), the address Azure saw (or --source-ip), the caller Key
** Vault's message names. */
static int explain_http(finding *x, const cli_args *a, moat_request *q)
{
    const char *res = cli_get(a, "resource");
    res = res ? res : x->f.resource[0] ? x->f.resource : NULL;
    if (res == NULL) {
        cli_error("the response does not name the account or vault: give --resource");
        return -1;
    }
    moat_error err;
    if (moat_request_set(q, MOAT_REQ_RESOURCE, res, strlen(res), &err) !=
        MOAT_OK) {
        cli_error("--resource %s: %s", res, err.message);
        return -1;
    }
    const char *ip = cli_get(a, "source-ip");
    if (ip)
        snprintf(x->f.source_ip, sizeof x->f.source_ip, "%s", ip);
    struct {
        moat_field field;
        const char *value;
    } set[] = {{MOAT_REQ_SOURCE_IP, x->f.source_ip},
               {MOAT_REQ_CALLER_TENANT, x->f.caller_tenant},
               {MOAT_REQ_CALLER_RESOURCE_ID, x->f.caller_resource}};
    int vault = x->f.service == 'k';
    moat_request_set(q, MOAT_REQ_ENDPOINT, vault ? "vault" : "blob",
                     vault ? 5 : 4, NULL);
    for (size_t i = 0; i < sizeof set / sizeof *set; i++) {
        if (set[i].value[0] &&
            moat_request_set(q, set[i].field, set[i].value,
                             strlen(set[i].value), &err) != MOAT_OK) {
            cli_error("%s: %s", set[i].value, err.message);
            return -1;
        }
    }
    return 0;
}

static void decide_again(finding *x, moat_request *q)
{
    moat_explanation *e = moat_explanation_new();
    if (e == NULL || moat_explain(q, e, 0) != MOAT_OK) {
        moat_explanation_free(e);
        return;
    }
    x->decided = 1;
    x->d = *moat_explanation_decision(e);
    snprintf(x->category, sizeof x->category, "%s",
             moat_category_name(x->d.category));
    snprintf(x->rule, sizeof x->rule, "%s", moat_explanation_rule(e));
    snprintf(x->reason, sizeof x->reason, "%s", moat_explanation_reason(e));
    const char *id = moat_request_resource_id(q);
    snprintf(x->resource_id, sizeof x->resource_id, "%s", id ? id : "");
    x->storage = strstr(x->resource_id, "/Microsoft.Storage/") != NULL ||
                 strstr(x->resource_id, "/microsoft.storage/") != NULL;
    moat_explanation_free(e);
}

/* The layer moat's category names, else the one the codes name. */
static const char *layer_of(const finding *x)
{
    if (x->decided && x->d.verdict == MOAT_DENY) {
        switch (x->d.category) {
        case MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_DENIED:
        case MOAT_CAT_RES_PERIMETER_LOCKDOWN:
        case MOAT_CAT_RES_PROTOCOL_NOT_SUPPORTED_BY_PERIMETER:
            return failure_layer_name(FL_PERIMETER);
        case MOAT_CAT_RES_PUBLIC_NETWORK_ACCESS_DISABLED:
        case MOAT_CAT_RES_PRIVATE_ENDPOINT_NOT_APPROVED:
            return failure_layer_name(FL_PRIVATE_LINK);
        default: return failure_layer_name(FL_FIREWALL);
        }
    }
    return failure_layer_name(x->f.layer);
}

/* Reads the input, decides it again when there is an estate, and fills
** the finding; an exit status. */
static int explain_input(finding *x, const cli_args *a, const char *text,
                         size_t len)
{
    moat_log_format fmt = moat_log_detect(text, len);
    x->input = fmt == MOAT_LOG_UNKNOWN ? "http" : moat_log_format_name(fmt);
    int recognised = failure_parse(text, len, &x->f) == 0;
    moat_estate *es = NULL;
    if (cli_count(a, "estate")) {
        es = cli_load_estate(a, CLI_LOAD_QUIET);
        if (es == NULL)
            return EXIT_BAD_ESTATE;
        moat_request *q = moat_request_new(es);
        int ok = q == NULL ? -1
                 : fmt != MOAT_LOG_UNKNOWN
                     ? explain_record(x, es, text, len, fmt, q)
                     : explain_http(x, a, q);
        if (ok == 0)
            decide_again(x, q);
        moat_request_free(q);
    }
    if (!recognised && !x->decided) {
        cli_error(
            "nothing in the input is an Azure Storage or Key Vault failure moat recognises (an error code, a status text, a perimeter category)");
        moat_estate_free(es);
        return EXIT_BAD_REQUEST;
    }
    x->private_source = x->f.source_ip[0] && private_address(x->f.source_ip);
    x->layer = layer_of(x);
    explain_fix(x, es);
    moat_estate_free(es);
    return EXIT_DECIDED;
}

static void print_text(const finding *x)
{
    printf("refused by: %s\n", x->layer);
    if (x->f.code[0] || x->f.status)
        printf("code: %s%s%s%s", x->f.code, x->f.inner[0] ? " / " : "",
               x->f.inner, x->f.status ? "" : "\n");
    if (x->f.status)
        printf(" (HTTP %d)\n", x->f.status);
    if (x->f.message[0])
        printf("message: %s\n", x->f.message);
    if (x->azure)
        printf("Azure logged: %s\n", x->azure);
    if (x->f.source_ip[0])
        printf("address Azure saw: %s%s%s\n", x->f.source_ip,
               x->private_source ? " (a private address: see the fix)" : "",
               x->f.source_subnet
                   ? " from a subnet's service endpoint that no virtual network rule names"
                   : "");
    if (x->f.caller_resource[0] || x->f.caller_oid[0])
        printf("caller: %s%s%s\n",
               x->f.caller_resource[0] ? x->f.caller_resource
                                       : x->f.caller_oid,
               x->f.caller_tenant[0] ? ", tenant " : "", x->f.caller_tenant);
    if (x->decided)
        printf("moat: %s %s%s%s\n  %s\n",
               x->d.verdict == MOAT_ALLOW ? "allow" : "deny", x->category,
               x->rule[0] ? ", rule " : "", x->rule, x->reason);
    printf("%s: %s\n", x->decided ? "smallest fix" : "look at", x->fix);
    if (x->command[0])
        printf("  %s\n", x->command);
    for (size_t i = 1; i < x->n_subnets; i++) {
        char q[1100];
        moat_shell_quote(x->subnets[i], q, sizeof q);
        printf("  or --subnet %s (its prefix holds the address too)\n", q);
    }
    if (x->opens[0])
        printf("opens: %s\n", x->opens);
}

static void json_field(const char *key, const char *value, int *first)
{
    printf("%s\"%s\":", *first ? "{" : ",", key);
    cli_json_str(stdout, value);
    *first = 0;
}

static void print_json(const finding *x)
{
    int first = 1;
    json_field("layer", x->layer, &first);
    json_field("input", x->input, &first);
    printf(",\"status\":%d", x->f.status);
    json_field("code", x->f.code, &first);
    json_field("inner_code", x->f.inner, &first);
    json_field("source_ip", x->f.source_ip, &first);
    printf(",\"private_source\":%s", x->private_source ? "true" : "false");
    json_field("resource", x->decided ? x->resource_id : x->f.resource,
               &first);
    if (x->azure)
        json_field("azure", x->azure, &first);
    if (x->decided) {
        json_field("decision", x->d.verdict == MOAT_ALLOW ? "allow" : "deny",
                   &first);
        json_field("category", x->category, &first);
        json_field("rule", x->rule, &first);
    }
    json_field(x->decided ? "fix" : "look_at", x->fix, &first);
    json_field("command", x->command, &first);
    if (x->private_source) {
        fputs(",\"subnets\":[", stdout);
        for (size_t i = 0; i < x->n_subnets; i++) {
            fputs(i ? "," : "", stdout);
            cli_json_str(stdout, x->subnets[i]);
        }
        fputs("]", stdout);
    }
    json_field("opens", x->opens, &first);
    puts("}");
}

int cmd_explain(int argc, char **argv)
{
    cli_args a;
    if (cli_parse(argc, argv, spec, &a, "explain") != 0)
        return EXIT_USAGE;
    if (cli_has(&a, "help")) {
        fputs(usage, stdout);
        return EXIT_DECIDED;
    }
    static const char *const formats[] = {"text", "json", NULL};
    static const cli_output_cmd cmd = {
        "explain", formats, "text", 0, 0,
        "{layer: layer, decision: decision, category: category, rule: rule, "
        "source_ip: source_ip, fix: fix || look_at}"};
    if (a.n_operands > 1)
        return cli_usage_error("explain", "one input at most (FILE or -)");
    cli_output out;
    if (cli_output_parse(&a, &cmd, &out) != 0)
        return EXIT_USAGE;
    int json = cli_output_is(&out, "json");
    size_t len = 0;
    char *text = read_input(a.n_operands ? a.operands[0] : NULL, &len);
    if (text == NULL) /* the reader said why */
        return cli_output_end(&out, EXIT_BAD_REQUEST);
    finding x;
    memset(&x, 0, sizeof x);
    int rc = explain_input(&x, &a, text, len);
    if (rc == EXIT_DECIDED)
        rc = cli_output_begin(&out);
    if (rc == EXIT_DECIDED)
        json ? print_json(&x) : print_text(&x);
    free(text);
    return cli_output_end(&out, rc);
}
