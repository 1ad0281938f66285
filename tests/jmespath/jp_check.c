/*
** jp_check.c - runs moat's JMESPath engine (tool/jmespath.h) on test
** cases, two ways:
**
**   jp_check --compliance FILE...  every case of the official compliance
**                                  suite's files: the result (JSON equal)
**                                  or the error kind; a count per file
**   jp_check --lines               one {"expression": ..., "given": ...}
**                                  per line on stdin, one {"result": ...}
**                                  or {"error": KIND} per line on stdout
**                                  (the differential test's peer)
**   jp_check --output              one {"format": F, "given": ...,
**                                  "expression": ... or null} per line,
**                                  one {"text": ...} per line: what az's
**                                  -o F prints (tool/az_output.h; the
**                                  output test's peer)
**
** Exit status: 0 when every compliance case passed (or the lines were
** answered), 1 otherwise, 2 on a usage or read error.
*/
#include "az_output.h"
#include "jmespath.h"
#include "tool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const jp_value *member(const jp_value *obj, const char *key)
{
    return jp_get(obj, key, strlen(key));
}

/* The case's outcome: result and error as the engine gives them. */
typedef struct outcome {
    const jp_value *result;
    jp_error err;
} outcome;

static void run(const jp_value *expression, const jp_value *given, jp_arena *a,
                outcome *o, int compile_only)
{
    size_t len;
    const char *text = jp_string(expression, &len);
    o->result = NULL;
    jp_expr *e = jp_compile(text ? text : "", text ? len : 0, &o->err);
    if (e && !compile_only)
        o->result = jp_eval(e, given, a, &o->err);
    if (e && compile_only)
        o->result = jp_null();
    /* Results may share the expression's literals: copied out first
    ** (escaped: a lone surrogate is no UTF-8). */
    if (o->result) {
        char *json = jp_write(o->result, JP_WRITE_ASCII, 0, &len);
        o->result = json ? jp_parse_json(a, json, len, NULL) : NULL;
        free(json);
    }
    jp_expr_free(e);
}

static void print_failure(const char *file, const jp_value *c, const outcome *o)
{
    char *want = jp_write(c, 0, 0, NULL);
    char *got = o->result ? jp_write(o->result, 0, 0, NULL) : NULL;
    printf("FAIL %s: %s\n     got: %s%s%s\n", file, want ? want : "?",
           got ? got : jp_error_kind_name(o->err.kind), got ? "" : ": ",
           got ? "" : o->err.message);
    free(want);
    free(got);
}

/* One case: 1 passed, 0 failed. */
static int check_case(const char *file, const jp_value *given,
                      const jp_value *c, jp_arena *a)
{
    const jp_value *want = member(c, "result"), *error = member(c, "error");
    const jp_value *bench = member(c, "bench");
    size_t len;
    const char *bench_kind = jp_string(bench, &len);
    outcome o;
    run(member(c, "expression"), given, a, &o,
        bench_kind && strcmp(bench_kind, "parse") == 0);
    int ok;
    if (error) {
        const char *kind = jp_string(error, &len);
        ok = o.result == NULL && kind &&
             strcmp(kind, jp_error_kind_name(o.err.kind)) == 0;
    } else if (bench) {
        ok = o.result != NULL; /* benchmarks carry no result: it runs */
    } else {
        ok = o.result && jp_equal(o.result, want ? want : jp_null());
    }
    if (!ok)
        print_failure(file, c, &o);
    return ok;
}

/* Every case of one file; counts added to *passed and *total. */
static int check_file(const char *path, size_t *passed, size_t *total)
{
    size_t len = 0;
    char *text = cli_read_file(path, &len); /* tool's reader */
    jp_arena *a = jp_arena_new(0, 0);
    jp_error err;
    const jp_value *suites =
        text && a ? jp_parse_json(a, text, len, &err) : NULL;
    if (suites == NULL) {
        fprintf(stderr, "jp_check: cannot read %s\n", path);
        free(text);
        jp_arena_free(a);
        return 0;
    }
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t file_passed = 0, file_total = 0;
    for (size_t i = 0; i < jp_count(suites); i++) {
        const jp_value *s = jp_item(suites, i), *cases = member(s, "cases");
        for (size_t k = 0; k < jp_count(cases); k++) {
            file_total++;
            file_passed +=
                check_case(name, member(s, "given"), jp_item(cases, k), a);
        }
    }
    printf("jmespath compliance: %-16s %4zu / %zu\n", name, file_passed,
           file_total);
    *passed += file_passed;
    *total += file_total;
    free(text);
    jp_arena_free(a);
    return 1;
}

static int compliance(int argc, char **argv)
{
    size_t passed = 0, total = 0;
    for (int i = 0; i < argc; i++) {
        if (!check_file(argv[i], &passed, &total))
            return 2;
    }
    printf("jmespath compliance: %zu of %zu cases passed, %zu failed\n", passed,
           total, total - passed);
    return passed == total && total > 0 ? 0 : 1;
}

/* One line of --lines: its answer on stdout. */
static void answer_line(const char *line, size_t len)
{
    jp_arena *a = jp_arena_new(256u << 20, 0);
    jp_error err;
    const jp_value *c = a ? jp_parse_json(a, line, len, &err) : NULL;
    outcome o = {NULL, {0}};
    if (c)
        run(member(c, "expression"), member(c, "given"), a, &o, 0);
    char *json = o.result ? jp_write(o.result, JP_WRITE_ASCII, 0, NULL) : NULL;
    if (json)
        printf("{\"result\": %s}\n", json);
    else
        printf("{\"error\": \"%s\"}\n",
               c ? jp_error_kind_name(o.err.kind) : "bad-line");
    free(json);
    jp_arena_free(a);
}

/* The text of -o name for the result of expr (a string, or null for
** none) on given; NULL on an error. Formatted before the expression is
** freed: a result may share its literals and knows whether a multiselect
** hash made it. */
static char *formatted(const jp_value *expr, const jp_value *given,
                       const char *name, jp_arena *a, size_t *n)
{
    az_output f;
    if (name == NULL || az_output_parse(name, &f) != 0)
        return NULL;
    if (jp_type_of(expr) != JP_STRING)
        return az_output_format(given, f, 0, n);
    size_t len;
    const char *text = jp_string(expr, &len);
    jp_error err;
    jp_expr *e = jp_compile(text, len, &err);
    const jp_value *r = e ? jp_eval(e, given, a, &err) : NULL;
    char *out = r ? az_output_format(r, f, 1, n) : NULL;
    jp_expr_free(e);
    return out;
}

/* One line of --output: the formatted text as a JSON string. */
static void format_line(const char *line, size_t len)
{
    jp_arena *a = jp_arena_new(256u << 20, 0);
    jp_error err;
    const jp_value *c = a ? jp_parse_json(a, line, len, &err) : NULL;
    const jp_value *fmt = c ? member(c, "format") : NULL;
    size_t n;
    const char *name = fmt ? jp_string(fmt, &n) : NULL;
    char *text = c ? formatted(member(c, "expression"), member(c, "given"),
                               name, a, &n)
                   : NULL;
    const jp_value *str = text ? jp_new_string(a, text, n) : NULL;
    char *json = str ? jp_write(str, JP_WRITE_ASCII, 0, NULL) : NULL;
    if (json)
        printf("{\"text\": %s}\n", json);
    else
        printf("{\"error\": \"format\"}\n");
    free(json);
    free(text);
    jp_arena_free(a);
}

static int lines(void (*answer)(const char *, size_t))
{
    size_t len;
    char *all = cli_read_file("-", &len);
    if (all == NULL)
        return 2;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(all + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - all) : len;
        if (end > i)
            answer(all + i, end - i);
        i = end + 1;
    }
    free(all);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--compliance") == 0)
        return compliance(argc - 2, argv + 2);
    if (argc == 2 && strcmp(argv[1], "--lines") == 0)
        return lines(answer_line);
    if (argc == 2 && strcmp(argv[1], "--output") == 0)
        return lines(format_line);
    fprintf(stderr,
            "usage: jp_check --compliance FILE... | --lines | --output\n");
    return 2;
}
