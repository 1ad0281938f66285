/*
** manage_ids.c - several --ids, as az takes them: `--ids ID1 ID2` and the
** ids of `$(az ... --query [].id -o tsv)`, quoted or not (each value is
** split at white space, so a quoted list of lines is several ids). az runs
** the command once per id and prints the results as one list, --query and
** -o applied to the list (azure-cli's --ids: a command per id, the
** results gathered). So does moat: each id's run prints its result as JSON
** into a capture, the results are gathered into a list, and the list is
** queried and printed once. A run that fails stops the others (the ids
** before it are changed: each is its own write) and gives the exit status.
*/
#include "manage_ids.h"

#include "cli_output.h"
#include "jmespath.h"

#include <stdlib.h>
#include <string.h>

/* Every id of every --ids value, split at white space, into ids (each a
** copy in text); their number. */
static size_t split_ids(const cli_args *a, char *text, size_t cap,
                        const char **ids, size_t max)
{
    size_t n = 0, used = 0;
    for (int i = 0; i < a->n_opts; i++) {
        if (strcmp(a->opts[i].name, "ids") != 0 || a->opts[i].value == NULL)
            continue;
        size_t len = strlen(a->opts[i].value);
        if (used + len + 1 > cap)
            return max + 1;
        memcpy(text + used, a->opts[i].value, len + 1);
        for (char *tok = strtok(text + used, " \t\r\n"); tok;
             tok = strtok(NULL, " \t\r\n"))
            if (n++ < max)
                ids[n - 1] = tok;
        used += len + 1;
    }
    return n;
}

int mg_ids_several(const cli_args *a)
{
    const char *v = cli_get(a, "ids");
    return cli_count(a, "ids") > 1 || (v && strpbrk(v, " \t\r\n"));
}

/* a for one id: --ids ID; unless alone, --query dropped and -o json. */
static void one_id(const cli_args *a, const char *id, int alone,
                   cli_args *out)
{
    static const char json[] = "json";
    out->n_opts = 0;
    out->n_operands = a->n_operands;
    memcpy(out->operands, a->operands, sizeof a->operands);
    for (int i = 0; i < a->n_opts; i++) {
        const char *name = a->opts[i].name;
        if (strcmp(name, "ids") &&
            (alone || (strcmp(name, "query") && strcmp(name, "output"))))
            out->opts[out->n_opts++] = a->opts[i];
    }
    out->opts[out->n_opts++] = (cli_opt){"ids", id, 0};
    if (!alone)
        out->opts[out->n_opts++] = (cli_opt){"output", json, 0};
}

/* Runs the command for id and adds its JSON result to items (*n). */
static int run_one(const mg_command *c, const cli_args *one, const char *id,
                   cli_output *o, jp_arena *ar, const jp_value **items,
                   size_t *n)
{
    if (cli_output_capture(o) != 0)
        return MG_NOT_WRITTEN;
    int rc = c->run(one);
    size_t len = 0;
    char *text = cli_output_captured(o, &len);
    if (text == NULL)
        return rc ? rc : MG_NOT_WRITTEN;
    if (rc == MG_OK && len > strspn(text, " \n")) {
        jp_error err;
        items[*n] = jp_parse_json(ar, text, len, &err);
        if (items[*n] == NULL) {
            cli_error("--ids %s: the result is not JSON: %s", id, err.message);
            rc = MG_NOT_WRITTEN;
        } else {
            ++*n;
        }
    }
    free(text);
    return rc;
}

int mg_run_ids(const mg_command *c, const cli_args *a)
{
    static const cli_output_cmd cmd = {NULL, NULL, "json", 0, 0, NULL};
    cli_output_cmd named = cmd;
    named.command = c->path;
    static char text[65536];
    static const char *ids[CLI_MAX_ARGS];
    size_t n_ids = split_ids(a, text, sizeof text, ids, CLI_MAX_ARGS);
    if (n_ids > CLI_MAX_ARGS)
        return cli_usage_error(c->path, "--ids: more than %d ids",
                               CLI_MAX_ARGS);
    static cli_args one;
    if (n_ids == 1) { /* one id prints its result alone, as az */
        one_id(a, ids[0], 1, &one);
        return mg_nsp_ids_expand(c, &one) ? MG_USAGE : c->run(&one);
    }
    cli_output o;
    if (cli_output_parse(a, &named, &o) != 0)
        return MG_USAGE;
    jp_arena *ar = jp_arena_new(0, 0);
    const jp_value **items = calloc(n_ids + 1, sizeof *items);
    size_t n = 0;
    int rc = ar && items ? MG_OK : MG_NOT_WRITTEN;
    for (size_t i = 0; i < n_ids && rc == MG_OK; i++) {
        one_id(a, ids[i], 0, &one);
        if (mg_nsp_ids_expand(c, &one) != 0) {
            rc = MG_USAGE;
            break;
        }
        /* --dry-run prints each id's diff as it comes */
        rc = cli_has(a, "dry-run") ? c->run(&one)
                                   : run_one(c, &one, ids[i], &o, ar, items, &n);
    }
    /* what prints nothing (delete) prints nothing for several ids */
    const jp_value *list = rc == MG_OK && n ? jp_new_array(ar, items, n) : NULL;
    if (rc == MG_OK && n && list == NULL)
        rc = MG_NOT_WRITTEN;
    if (rc == MG_OK && list) /* EXIT_USAGE is MG_USAGE, ... */
        rc = cli_output_print_value(&o, ar, list);
    free(items);
    jp_arena_free(ar);
    cli_output_free(&o);
    return rc;
}
