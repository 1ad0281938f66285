/*
** cli_output.c - -o/--output, --format and --query for the commands that
** print data (cli_output.h). The command's JSON document is captured at
** the file descriptor (stdout pointed at a temporary file), so that every
** writer the command has, printf or fwrite, is captured unchanged; az's
** rules then apply as knack applies them (knack/output.py, knack/
** query.py): the query first, then the format, and for -o table without
** --query the command's table transformer (here: its view), which az
** gives its list commands so that a table shows the columns that matter.
*/
#define _POSIX_C_SOURCE 200809L
#include "cli_output.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*--------------------------------------------------------------------------
** Options.
*/
static int in_list(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

/* The command's formats and az's, for a usage message. */
static void format_names(const cli_output_cmd *c, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const char *const *f = c->formats; f && *f && used < cap; f++)
        used += (size_t)snprintf(buf + used, cap - used, "%s, ", *f);
    if (used < cap)
        snprintf(buf + used, cap - used, "or az's -o %s", AZ_OUTPUT_NAMES);
}

static int bad_format(const cli_output_cmd *c, const char *opt,
                      const char *value)
{
    char names[256];
    format_names(c, names, sizeof names);
    return cli_usage_error(c->command, "%s takes %s, not '%s'", opt, names,
                           value);
}

/* The expression on a line and a caret under the code point at offset. */
static int query_error(const cli_output *o, const char *what,
                       const jp_error *err)
{
    size_t column = 0, len = strlen(o->query);
    for (size_t i = 0; i < len && i < err->offset; i++)
        column += ((unsigned char)o->query[i] & 0xc0) != 0x80;
    char *line = strdup(o->query);
    for (char *p = line; p && *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    int rc = cli_usage_error(o->cmd->command, "--query %s: %s\n  %s\n  %*s^",
                             what, err->message, line ? line : o->query,
                             (int)column, "");
    free(line);
    return rc;
}

/* -o's value: an az format, or (output_is_file) the file it always was. */
static int read_output(const cli_args *a, const cli_output_cmd *c,
                       cli_output *o, const char **out)
{
    az_output f;
    *out = cli_get(a, "output");
    if (*out == NULL || az_output_parse(*out, &f) == 0)
        return 0;
    if (c->output_is_file) {
        o->file = *out;
        *out = NULL;
        return 0;
    }
    return bad_format(c, "-o/--output", *out);
}

/* The format in force: -o's, else --format's, else the default; the two
** may both be given only when they agree. */
static int resolve(const cli_args *a, const cli_output_cmd *c, cli_output *o)
{
    const char *out, *fmt = cli_get(a, "format");
    az_output f;
    if (read_output(a, c, o, &out) != 0)
        return EXIT_USAGE;
    if (fmt && !in_list(c->formats, fmt) && az_output_parse(fmt, &f) != 0)
        return bad_format(c, "--format", fmt);
    if (out && fmt && strcmp(out, fmt) != 0)
        return cli_usage_error(
            c->command, "-o %s and --format %s disagree: give one of them",
            out, fmt);
    const char *name = out ? out : fmt ? fmt : o->query ? "json" : c->dflt;
    /* --format json is the command's own JSON, byte for byte as before;
    ** -o json (or --query) is az's: keys sorted, indented. */
    int own = in_list(c->formats, name) && !(out || (o->query && !fmt));
    if (!own && az_output_parse(name, &o->az_format) != 0)
        return bad_format(c, "--format", name);
    if (own && o->query && strcmp(name, "json") != 0)
        return cli_usage_error(
            c->command,
            "--query runs on the JSON document: it goes with -o %s, not --format %s",
            AZ_OUTPUT_NAMES, name);
    o->az = !own || o->query != NULL;
    o->format = o->az ? "json" : name;
    return 0;
}

int cli_output_parse(const cli_args *a, const cli_output_cmd *cmd,
                     cli_output *o)
{
    memset(o, 0, sizeof *o);
    o->cmd = cmd;
    o->saved_stdout = -1;
    o->query = cli_get(a, "query");
    if (resolve(a, cmd, o) != 0)
        return EXIT_USAGE;
    if (o->query == NULL)
        return 0;
    jp_error err;
    o->jq = jp_compile(o->query, strlen(o->query), &err);
    if (o->jq == NULL)
        return query_error(o, "is not JMESPath (as az's --query is)", &err);
    return 0;
}

int cli_output_is(const cli_output *o, const char *name)
{
    return strcmp(o->format, name) == 0;
}

void cli_output_free(cli_output *o)
{
    jp_expr_free(o->jq);
    jp_expr_free(o->view);
    o->jq = o->view = NULL;
}

/*--------------------------------------------------------------------------
** The capture.
*/
int cli_output_begin(cli_output *o)
{
    return o->az ? cli_output_capture(o) : 0;
}

int cli_output_capture(cli_output *o)
{
    fflush(stdout);
    o->capture = tmpfile();
    o->saved_stdout = o->capture ? dup(STDOUT_FILENO) : -1;
    if (o->saved_stdout < 0 ||
        dup2(fileno(o->capture), STDOUT_FILENO) < 0) {
        cli_error("cannot capture the JSON document for -o %s",
                  AZ_OUTPUT_NAMES);
        if (o->capture)
            fclose(o->capture);
        o->capture = NULL;
        return EXIT_BAD_REQUEST;
    }
    return 0;
}

char *cli_output_captured(cli_output *o, size_t *len)
{
    fflush(stdout);
    dup2(o->saved_stdout, STDOUT_FILENO);
    close(o->saved_stdout);
    o->saved_stdout = -1;
    /* The capture read whole through the one reader, or NULL after it said
    ** why: never a part of the command's output. */
    char *text = NULL;
    int fd = fileno(o->capture);
    if (fd >= 0 && lseek(fd, 0, SEEK_SET) == 0)
        text = cli_read_fd(fd, "the command's output", CLI_MAX_FILE_BYTES, len);
    fclose(o->capture);
    o->capture = NULL;
    return text;
}

/* A stream's lines as one list (blank lines skipped). */
static const jp_value *read_stream(jp_arena *ar, const char *text, size_t len,
                                   jp_error *err)
{
    size_t n = 0, cap = 64;
    const jp_value **items = malloc(cap * sizeof *items), *list = NULL;
    size_t at = 0;
    while (items && at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t blank = strspn(text + at, " \t\r");
        if (blank < end - at) {
            if (n == cap) {
                const jp_value **grown =
                    realloc(items, (cap *= 2) * sizeof *items);
                if (grown == NULL)
                    break;
                items = grown;
            }
            if ((items[n++] = jp_parse_json(ar, text + at, end - at, err)) ==
                NULL)
                break;
        }
        at = end + 1;
    }
    if (items && at >= len && (n == 0 || items[n - 1] != NULL))
        list = jp_new_array(ar, items, n);
    free(items);
    return list;
}

/* What is printed: --query's result, else the view (table, tsv) when it
** finds something, else the document. NULL after printing why. */
static const jp_value *result(cli_output *o, jp_arena *ar,
                              const jp_value *doc, int *rc)
{
    jp_error err;
    if (o->jq) {
        const jp_value *r = jp_eval(o->jq, doc, ar, &err);
        if (r == NULL)
            *rc = query_error(o, "failed on the JSON", &err);
        return r;
    }
    if (o->cmd->view == NULL ||
        (o->az_format != AZ_OUT_TABLE && o->az_format != AZ_OUT_TSV))
        return doc;
    /* kept until printed: the result's keys are the expression's */
    o->view = jp_compile(o->cmd->view, strlen(o->cmd->view), &err);
    const jp_value *r = o->view ? jp_eval(o->view, doc, ar, &err) : NULL;
    return r && jp_type_of(r) != JP_NULL ? r : doc;
}

static int print_document(cli_output *o, const char *text, size_t len)
{
    jp_arena *ar = jp_arena_new(0, 0);
    jp_error err = {0};
    const jp_value *doc =
        ar == NULL         ? NULL
        : o->cmd->stream ? read_stream(ar, text, len, &err)
                           : jp_parse_json(ar, text, len, &err);
    if (doc == NULL) {
        cli_error("the JSON document could not be read for -o: %s",
                  err.message[0] ? err.message : "out of memory");
        jp_arena_free(ar);
        return EXIT_BAD_REQUEST;
    }
    int rc = cli_output_print_value(o, ar, doc);
    jp_arena_free(ar);
    return rc;
}

int cli_output_print_value(cli_output *o, jp_arena *ar, const jp_value *doc)
{
    int rc = 0;
    const jp_value *r = result(o, ar, doc, &rc);
    /* the view is a transformer: its columns keep their order, as az's
    ** table keeps a transformer's (knack: sort only without one) */
    int ordered = o->jq != NULL || r != doc;
    FILE *fp = r == NULL ? NULL : o->file ? fopen(o->file, "w") : stdout;
    if (r && fp == NULL) {
        cli_error("%s: cannot write", o->file);
        rc = EXIT_USAGE;
    } else if (r && (az_output_print(fp, r, o->az_format, ordered) != 0 ||
                     fflush(fp) != 0)) {
        cli_error("the result is too large to print, or the output failed");
        rc = EXIT_BAD_REQUEST;
    }
    if (fp && fp != stdout && fclose(fp) != 0 && rc == 0)
        rc = EXIT_BAD_REQUEST;
    return rc;
}

int cli_output_end(cli_output *o, int rc)
{
    if (o->capture == NULL) {
        cli_output_free(o);
        return rc;
    }
    size_t len = 0;
    char *text = cli_output_captured(o, &len);
    int printed = 0;
    /* a command that failed before its document was whole prints nothing
    ** (its error is on stderr); one that answered, or a stream (whose
    ** other lines were answered), prints what it has */
    if (text == NULL)
        printed = EXIT_BAD_REQUEST;
    else if (rc == 0 || rc == EXIT_FINDINGS || o->cmd->stream)
        printed = print_document(o, text, len);
    free(text);
    cli_output_free(o);
    return printed ? printed : rc;
}
