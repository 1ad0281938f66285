/*
** cmd_replay.c - `moat replay`: what would change if the estate were
** different, decided over the access logs Azure already wrote.
*/
#include "cli_output.h"
#include "replay_run.h"
#include "replay/replay_suggest.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: moat replay --estate PATH... [--proposed NAME=PATH ...]\n"
    "                   [--format text|json] [--changes FILE] LOG... | -\n"
    "       moat replay --merge [--format text|json] PART...\n"
    "\n"
    "Replays Azure Storage access logs against the current estate and\n"
    "proposed ones: every record becomes the request Azure decided, and\n"
    "each configuration decides it again. Reports what each configuration\n"
    "allows and denies (by category), what a proposal newly denies or\n"
    "allows (by account, source and identity), rules that never decided,\n"
    "and where the log shows Azure deciding otherwise than moat.\n"
    "\n"
    "Logs (plain or gzip; '-' reads stdin; the format is detected):\n"
    "  Azure Monitor diagnostic-setting exports (StorageRead/Write/Delete,\n"
    "  and Key Vault AuditEvent, as JSON lines or {\"records\": [...]});\n"
    "  Log Analytics StorageBlobLogs, StorageTableLogs, StorageQueueLogs,\n"
    "  StorageFileLogs rows, and Key Vault rows of AzureDiagnostics, as JSON\n"
    "  (lines or an array) or CSV with a header; Storage Analytics\n"
    "  (classic) $logs lines, log format 1.0 or 2.0; network security\n"
    "  perimeter access logs (Nsp* categories, or the NSPAccessLogs table\n"
    "  as JSON or CSV), whose own category and rule are compared with\n"
    "  moat's record by record.\n"
    "\n"
    "  --estate PATH          the current estate (repeat for more paths)\n"
    "  --proposed NAME=PATH   a proposed estate named NAME (repeat NAME for\n"
    "                         more paths, or give more names)\n"
    "  --format text|json     text (default) or the JSON summary, which is\n"
    "                         also a partial that --merge combines\n"
    "  --output-file FILE     write the summary to FILE (--output FILE too,\n"
    "                         when FILE is not one of az's format names)\n"
    "  -o, --output FORMAT    az's json, jsonc, table, tsv, yaml or none, on\n"
    "                         the JSON summary; table and tsv: a row per\n"
    "                         configuration: name, allow, deny, missing\n"
    "                         (docs/output.md)\n"
    "  --query JMESPATH       az's --query on the JSON, before -o formats it\n"
    "  --changes FILE         one JSON line per record whose decision\n"
    "                         differs between configurations\n"
    "  --decisions FILE       one JSON line per record, every record\n"
    "  --unmapped FILE        every record moat could not map, with its\n"
    "                         line (the first 10 also go to stderr)\n"
    "  --top N                sources and identities shown per account\n"
    "                         (default 5)\n"
    "  --threads N            threads that process records, the reading one among\n"
    "                         them (default: one per CPU it may use)\n"
    "  --merge                combine JSON summaries of shards (PART...)\n"
    "  --lenient              as for moat check\n"
    "  --service-tags FILE    as for moat check (every configuration)\n"
    "  --quiet                no estate warnings, no unmapped records or\n"
    "                         progress on stderr\n"
    "\n"
    "Learning rules from traffic (docs/replay.md):\n"
    "  --suggest enforced     for every perimeter association in Learning or\n"
    "                         Audit, the inbound rules that keep what the\n"
    "                         current estate admits and Enforced would refuse:\n"
    "                         subscription rules, links, address prefixes;\n"
    "                         and what no perimeter rule can admit (with\n"
    "                         --format json, the suggestion is the output)\n"
    "  --max-prefixes N       address prefixes per profile (default 200)\n"
    "  --max-addresses N      addresses they may hold in all (default 65536)\n"
    "  --min-records N        callers seen fewer times are not proposed\n"
    "                         (default 2)\n"
    "  --write-proposal DIR   the current estate with those associations\n"
    "                         Enforced and the learned rules, as an estate\n"
    "                         directory (replay it with --proposed)\n"
    "\n"
    "Exit status: 0 replayed (unmapped records are reported, not errors),\n"
    "2 usage error, 3 an estate or log could not be read.\n";

static const cli_spec spec[] = {
    {"estate", 1, 'e'}, {"proposed", 1, 0}, {"format", 1, 'f'},
    {"output", 1, 'o'}, {"changes", 1, 0},  {"decisions", 1, 0},
    {"unmapped", 1, 0}, {"top", 1, 0},      {"threads", 1, 0},
    {"merge", 0, 0},    {"lenient", 0, 0},  {"quiet", 0, 'q'},
    {"service-tags", 1, 0}, {"help", 0, 'h'},
    {"suggest", 1, 0},      {"max-prefixes", 1, 0}, {"max-addresses", 1, 0},
    {"min-records", 1, 0},  {"write-proposal", 1, 0}, {"query", 1, 0},
    {"output-file", 1, 0},  {NULL, 0, 0},
};

static int positive(const char *s, long max, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 1 || v > max)
        return -1;
    *out = v;
    return 0;
}

static FILE *open_out(const char *path, const char *what)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (fp == NULL)
        cli_error("%s: cannot write %s", path, what);
    return fp;
}

static int close_out(FILE *fp, const char *path)
{
    if (fp == NULL || fp == stdout)
        return fp ? fflush(fp) : 0;
    if (fclose(fp) != 0) {
        cli_error("%s: write failed", path);
        return -1;
    }
    return 0;
}

/* --proposed NAME=PATH: the configurations, current first. */
static int load_configs(const cli_args *a, replay_options *opt, unsigned flags)
{
    opt->cfg[0].name = "current";
    opt->cfg[0].es = cli_load_estate(a, flags);
    if (opt->cfg[0].es == NULL)
        return EXIT_BAD_ESTATE;
    opt->n_cfg = 1;
    for (int i = 0; i < a->n_opts; i++) {
        if (strcmp(a->opts[i].name, "proposed") != 0)
            continue;
        const char *v = a->opts[i].value, *eq = strchr(v, '=');
        if (eq == NULL || eq == v || eq[1] == '\0')
            return cli_usage_error("replay",
                                   "--proposed takes NAME=PATH, not \"%s\"", v);
        size_t nlen = (size_t)(eq - v);
        int seen = 0;
        for (int c = 1; c < opt->n_cfg; c++)
            seen |= strlen(opt->cfg[c].name) == nlen &&
                    strncmp(opt->cfg[c].name, v, nlen) == 0;
        if (seen || (nlen == 7 && strncmp(v, "current", 7) == 0))
            continue; /* loaded with its first mention */
        if (opt->n_cfg == REPLAY_MAX_CONFIGS)
            return cli_usage_error("replay", "at most %d proposals",
                                   REPLAY_MAX_CONFIGS - 1);
        const char *paths[CLI_MAX_ARGS];
        int n = 0;
        for (int k = i; k < a->n_opts; k++) {
            const char *w = a->opts[k].value;
            if (strcmp(a->opts[k].name, "proposed") == 0 &&
                strncmp(w, v, nlen + 1) == 0)
                paths[n++] = w + nlen + 1;
        }
        char *name = strndup(v, nlen);
        if (name == NULL)
            return EXIT_BAD_ESTATE;
        opt->cfg[opt->n_cfg].name = name;
        opt->cfg[opt->n_cfg].es =
            cli_load_paths(paths, n, cli_get(a, "service-tags"), flags);
        if (opt->cfg[opt->n_cfg].es == NULL) {
            cli_error("proposal %s could not be loaded", name);
            free(name);
            return EXIT_BAD_ESTATE;
        }
        opt->n_cfg++;
    }
    return 0;
}

static void free_configs(replay_options *opt)
{
    for (int c = 0; c < opt->n_cfg; c++) {
        moat_estate_free(opt->cfg[c].es);
        if (c)
            free((char *)opt->cfg[c].name);
    }
}

/* Where the summary goes: --output FILE or --output-file FILE without an
** az format, else stdout (NULL). */
static const char *summary_path;

static int write_summary(const cli_args *a, const replay_agg *agg, int json,
                         int top)
{
    (void)a;
    const char *path = summary_path;
    FILE *o = path ? open_out(path, "the summary") : stdout;
    if (o == NULL)
        return EXIT_BAD_ESTATE;
    if (json)
        replay_agg_json(agg, o);
    else
        replay_agg_text(agg, o, top);
    return close_out(o, path ? path : "stdout") < 0 ? EXIT_BAD_ESTATE : 0;
}

static int merge(const cli_args *a, int json, int top)
{
    if (a->n_operands == 0)
        return cli_usage_error("replay",
                               "--merge needs the JSON summaries to combine");
    replay_agg agg;
    memset(&agg, 0, sizeof agg);
    int rc = 0;
    for (int i = 0; i < a->n_operands && rc == 0; i++) {
        size_t len;
        char *text = cli_read_file(a->operands[i], &len);
        char err[1024];
        if (text == NULL) {
            rc = EXIT_BAD_ESTATE;
        } else if (replay_agg_read(&agg, a->operands[i], text, len, err,
                                   sizeof err) < 0) {
            cli_error("%s", err);
            rc = EXIT_BAD_ESTATE;
        }
        free(text);
    }
    if (rc == 0)
        rc = write_summary(a, &agg, json, top);
    for (int c = 0; c < agg.n_cfg; c++)
        free((char *)agg.names[c]);
    replay_agg_free(&agg);
    return rc;
}

/* A CSV log's header names the columns replay needs: checked before any
** record is read, so a bad header is an input error, not a failed run. */
static int check_header(replay_input *in, const moat_estate *es)
{
    if (in->format != MOAT_LOG_ANALYTICS_CSV)
        return 0;
    moat_log_reader *r = moat_log_reader_new(es, in->format);
    moat_error err;
    moat_status st =
        r ? moat_log_reader_header(r, in->header, in->header_len, &err)
          : MOAT_E_NOMEM;
    moat_log_reader_free(r);
    if (st == MOAT_OK)
        return 0;
    snprintf(in->err, sizeof in->err, "CSV header: %.200s",
             r ? err.message : "out of memory");
    return -1;
}

static int open_inputs(const cli_args *a, replay_input *in,
                       const moat_estate *es)
{
    int stdin_used = 0;
    for (int i = 0; i < a->n_operands; i++) {
        if (strcmp(a->operands[i], "-") == 0 && stdin_used++)
            return cli_usage_error("replay", "stdin ('-') given twice");
    }
    for (int i = 0; i < a->n_operands; i++) {
        if (replay_input_open(&in[i], a->operands[i]) < 0 ||
            check_header(&in[i], es) < 0) {
            cli_error("%s: %s", a->operands[i], in[i].err);
            for (int k = 0; k <= i; k++)
                replay_input_close(&in[k]);
            return EXIT_BAD_ESTATE;
        }
    }
    return 0;
}

static int number(const cli_args *a, const char *name, long dflt,
                  uint64_t *out)
{
    long v = dflt;
    if (cli_get(a, name) && positive(cli_get(a, name), 1L << 40, &v) < 0)
        return cli_usage_error("replay", "--%s takes a positive number, not \"%s\"",
                               name, cli_get(a, name));
    *out = (uint64_t)v;
    return 0;
}

/* --suggest enforced: the learned rules, after the run. */
static int suggest(const cli_args *a, const replay_agg *agg,
                   const moat_estate *es, int json)
{
    suggest_options so;
    memset(&so, 0, sizeof so);
    const char *paths[CLI_MAX_ARGS];
    for (int i = 0; i < a->n_opts; i++)
        if (strcmp(a->opts[i].name, "estate") == 0)
            paths[so.n_estate_paths++] = a->opts[i].value;
    so.estate_paths = paths;
    so.write_proposal = cli_get(a, "write-proposal");
    if (number(a, "max-prefixes", 200, &so.max_prefixes) ||
        number(a, "max-addresses", 65536, &so.max_addresses) ||
        number(a, "min-records", 2, &so.min_records))
        return EXIT_USAGE;
    return replay_suggest_report(agg, es, &so, json, stdout) < 0
               ? EXIT_BAD_ESTATE
               : 0;
}

static int replay(const cli_args *a, replay_options *opt, int json, int top)
{
    replay_input *in = calloc((size_t)a->n_operands, sizeof *in);
    if (in == NULL)
        return EXIT_BAD_ESTATE;
    int rc = open_inputs(a, in, opt->cfg[0].es);
    if (rc) {
        free(in);
        return rc;
    }
    replay_agg agg;
    uint64_t shown = 0;
    if (replay_agg_init(&agg, opt->cfg, opt->n_cfg) < 0) {
        cli_error("out of memory");
        rc = EXIT_BAD_ESTATE;
    } else {
        int run = replay_run_all(opt, in, a->n_operands, &agg, &shown);
        if (run == -2) {
            cli_error("writing --changes or --decisions failed");
            rc = EXIT_BAD_ESTATE;
        } else if (run < 0 || replay_agg_name_rules(&agg, opt->cfg) < 0) {
            cli_error("out of memory");
            rc = EXIT_BAD_ESTATE;
        }
    }
    for (int i = 0; i < a->n_operands; i++) {
        if (in[i].error) {
            cli_error("%s: %s (records before it were replayed)", in[i].path,
                      in[i].err);
            rc = EXIT_BAD_ESTATE;
        }
        replay_input_close(&in[i]);
    }
    free(in);
    if (agg.unmapped > shown && opt->show_unmapped)
        fprintf(stderr, "moat: %llu unmapped record%s in all%s\n",
                (unsigned long long)agg.unmapped, agg.unmapped == 1 ? "" : "s",
                cli_has(a, "unmapped") ? "" : " (--unmapped FILE lists each)");
    int out = json && opt->suggest ? 0 : write_summary(a, &agg, json, top);
    if (opt->suggest && rc == 0 && out == 0)
        out = suggest(a, &agg, opt->cfg[0].es, json);
    replay_agg_free(&agg);
    return rc ? rc : out;
}

static int open_record_files(const cli_args *a, replay_options *opt)
{
    static const char *const names[] = {"changes", "decisions", "unmapped"};
    FILE **files[] = {&opt->changes, &opt->decisions, &opt->unmapped};
    for (int i = 0; i < 3; i++) {
        const char *path = cli_get(a, names[i]);
        if (path && (*files[i] = open_out(path, names[i])) == NULL)
            return EXIT_BAD_ESTATE;
    }
    return 0;
}

static int close_record_files(const cli_args *a, replay_options *opt)
{
    int bad = close_out(opt->changes, cli_get(a, "changes")) |
              close_out(opt->decisions, cli_get(a, "decisions")) |
              close_out(opt->unmapped, cli_get(a, "unmapped"));
    return bad ? EXIT_BAD_ESTATE : 0;
}

static int replay_main(const cli_args *a, cli_output *out, int json);

int cmd_replay(int argc, char **argv)
{
    cli_args a;
    if (cli_parse(argc, argv, spec, &a, "replay") < 0)
        return EXIT_USAGE;
    if (cli_has(&a, "help")) {
        fputs(usage, stdout);
        return EXIT_DECIDED;
    }
    static const char *const formats[] = {"text", "json", NULL};
    static const cli_output_cmd cmd = {
        "replay", formats, "text", 1, 0,
        "configs[].{name: name, allow: allow, deny: deny, missing: missing}"};
    cli_output out;
    if (cli_output_parse(&a, &cmd, &out) != 0)
        return EXIT_USAGE;
    if (out.file && cli_has(&a, "output-file")) {
        cli_output_free(&out);
        return cli_usage_error("replay",
                               "give --output FILE or --output-file FILE");
    }
    if (cli_has(&a, "output-file"))
        out.file = cli_get(&a, "output-file");
    summary_path = out.az ? NULL : out.file;
    int rc = replay_main(&a, &out, cli_output_is(&out, "json"));
    return cli_output_end(&out, rc);
}

/* The replay, once the summary's format is known. */
static int replay_main(const cli_args *a, cli_output *out, int json)
{
    long top = 5, threads = cli_cpus();
    if (cli_get(a, "top") && positive(cli_get(a, "top"), 1000, &top) < 0)
        return cli_usage_error("replay", "--top takes a number from 1 to 1000");
    if (cli_get(a, "threads") &&
        positive(cli_get(a, "threads"), 256, &threads) < 0)
        return cli_usage_error("replay",
                               "--threads takes a number from 1 to 256");
    for (int i = 0; out->az && i < a->n_opts; i++)
        if (a->opts[i].value && strcmp(a->opts[i].value, "-") == 0 &&
            strcmp(a->opts[i].name, "estate") != 0)
            return cli_usage_error(
                "replay", "--%s - writes to stdout, where -o prints: give a file",
                a->opts[i].name);
    if (cli_has(a, "merge"))
        return cli_output_begin(out) ? EXIT_BAD_REQUEST
                                     : merge(a, json, (int)top);
    if (a->n_operands == 0)
        return cli_usage_error("replay",
                               "no logs: give log files, or - to read stdin");
    replay_options opt;
    memset(&opt, 0, sizeof opt);
    const char *sg = cli_get(a, "suggest");
    if (sg && strcmp(sg, "enforced") != 0)
        return cli_usage_error("replay",
                               "--suggest takes enforced, not \"%s\"", sg);
    opt.suggest = sg != NULL;
    uint64_t check;
    if (number(a, "max-prefixes", 200, &check) ||
        number(a, "max-addresses", 65536, &check) ||
        number(a, "min-records", 2, &check))
        return EXIT_USAGE;
    opt.threads = threads < 1 ? 1 : (int)threads;
    opt.show_unmapped = cli_has(a, "quiet") ? 0 : 10;
    opt.progress = !cli_has(a, "quiet") && isatty(2);
    unsigned flags = cli_has(a, "quiet") ? CLI_LOAD_QUIET : 0;
    int rc = load_configs(a, &opt, flags);
    if (rc == 0)
        rc = open_record_files(a, &opt);
    if (rc == 0)
        rc = cli_output_begin(out);
    if (rc == 0)
        rc = replay(a, &opt, json, (int)top);
    int closed = close_record_files(a, &opt);
    free_configs(&opt);
    return rc ? rc : closed;
}
