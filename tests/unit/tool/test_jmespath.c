/*
** test_jmespath.c - the JMESPath engine behind --query (tool/jmespath.h)
** where the compliance suite does not look: where each error points and
** what it says, the bounds (length, nesting, depth, steps, bytes), raw
** strings and legacy literals as Python's jmespath reads them, numbers
** printed as Python prints them, az's indented output, objects with
** repeated keys, and the fallback members moat's --query adds.
*/
#include "harness.h"
#include "jmespath.h"

#include <stdlib.h>

/* The compact JSON of expr on json, or "KIND@OFFSET" for an error, in a
** buffer that lives until the next call. */
static const char *run_with(const char *expr, const char *json,
                            unsigned long steps)
{
    static char out[4096];
    jp_error err;
    jp_arena *a = jp_arena_new(1u << 24, steps);
    jp_expr *e = jp_compile(expr, strlen(expr), &err);
    const jp_value *input = jp_parse_json(a, json, strlen(json), NULL);
    const jp_value *r = e && input ? jp_eval(e, input, a, &err) : NULL;
    char *text = r ? jp_write(r, 0, 0, NULL) : NULL;
    if (text)
        snprintf(out, sizeof out, "%s", text);
    else
        snprintf(out, sizeof out, "%s@%zu", jp_error_kind_name(err.kind),
                 err.offset);
    free(text);
    jp_expr_free(e);
    jp_arena_free(a);
    return out;
}

static const char *run(const char *expr, const char *json)
{
    return run_with(expr, json, 0);
}

/* The message of expr's compile error. */
static const char *compile_message(const char *expr)
{
    static jp_error err;
    jp_expr *e = jp_compile(expr, strlen(expr), &err);
    jp_expr_free(e);
    return e ? "" : err.message;
}

/* A string of n copies of unit. */
static char *repeat(const char *unit, size_t n, const char *tail)
{
    size_t u = strlen(unit), t = strlen(tail);
    char *s = malloc(u * n + t + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * u, unit, u);
    memcpy(s + u * n, tail, t + 1);
    return s;
}

TEST(jmespath_errors_point_at_the_offending_token)
{
    ASSERT_STR(run("foo[", "{}"), "syntax@4"); /* the end */
    ASSERT_STR(run("a.b)", "{}"), "syntax@3");
    ASSERT_STR(run("foo bar", "{}"), "syntax@4");
    ASSERT_STR(run("\"foo", "{}"), "syntax@0"); /* the unclosed quote */
    ASSERT_STR(run("a = b", "{}"), "syntax@2");
    ASSERT_STR(run("a[?b==`1`]}", "{}"), "syntax@10");
    ASSERT_STR(run("", "{}"), "syntax@0");
    ASSERT_STR(run("a.\"\\q\"", "{}"), "syntax@3"); /* the escape */
    ASSERT_STR(run("foo.\xff", "{}"), "syntax@4");  /* not UTF-8 */
    ASSERT_STR(run("  length(@, @)", "{}"), "invalid-arity@2");
    ASSERT_STR(run("a | nope(@)", "{}"), "unknown-function@4");
    ASSERT_STR(run("a[::0]", "{}"), "invalid-value@1");
    ASSERT_STR(run("x.abs(name)", "{\"x\": {\"name\": \"n\"}}"),
               "invalid-type@2");
}

TEST(jmespath_syntax_errors_come_before_what_the_syntax_hides)
{
    /* Python's jmespath parses the whole expression first. */
    ASSERT_STR(run("nope(@) ]", "{}"), "syntax@8");
    ASSERT_STR(run("abs(@, @) || (", "{}"), "syntax@14");
    /* Arguments before their call: the inner error is the one. */
    ASSERT_STR(run("abs(nope(@))", "{}"), "unknown-function@4");
}

TEST(jmespath_error_messages_say_what_was_expected)
{
    ASSERT(strstr(compile_message("foo["), "expected"));
    ASSERT(strstr(compile_message("foo["), "the end of the expression"));
    ASSERT(strstr(compile_message("a.1"), "a name, '*', '[' or '{'"));
    ASSERT(strstr(compile_message("a{b: c}"), "found '{'"));
    ASSERT(strstr(compile_message("length(@, @)"),
                  "length() takes 1 argument, given 2"));
    ASSERT(strstr(compile_message("not_null()"), "at least 1"));
    ASSERT(strstr(compile_message("f(a,)"), "an argument after ','"));
    ASSERT(strstr(compile_message("{a: b c: d}"), "',' or '}'"));
    ASSERT(strstr(compile_message("\"abs\"(@)"), "not quoted"));
    ASSERT(strstr(compile_message("(abs)(@)"), "function's name"));
    ASSERT(strstr(compile_message("a = b"), "=="));
    ASSERT(strstr(compile_message(""), "empty"));
}

TEST(jmespath_strict_where_python_is_lenient)
{
    ASSERT_STR(run("abs(`1` `2`)", "{}"), "syntax@8");
    ASSERT_STR(run("[1 2:3]", "[]"), "syntax@3");
    ASSERT_STR(run("[1:2:3:4]", "[]"), "syntax@6");
}

TEST(jmespath_bounds_on_length_and_nesting)
{
    char *deep = repeat("(", 300, "a");
    ASSERT_STR(run(deep, "{}"), "limit@256");
    free(deep);
    deep = repeat("[", 300, "");
    ASSERT(strncmp(run(deep, "{}"), "limit@", 6) == 0);
    free(deep);
    /* Long chains are one node each, not 1000 levels. */
    char *chain = repeat("a.", 1000, "a");
    ASSERT_STR(run(chain, "{\"a\": 1}"), "null");
    free(chain);
    chain = repeat("a || ", 1000, "`2`");
    ASSERT_STR(run(chain, "{}"), "2");
    free(chain);
    chain = repeat("a | ", 1000, "`3`");
    ASSERT_STR(run(chain, "{}"), "3");
    free(chain);
    chain = repeat("a == ", 300, "a"); /* comparisons nest */
    ASSERT(strncmp(run(chain, "{}"), "limit@", 6) == 0);
    free(chain);
    char *longest = repeat("a", JP_MAX_EXPR_BYTES + 1, "");
    ASSERT_STR(run(longest, "{}"), "limit@65536");
    free(longest);
}

TEST(jmespath_bounds_on_values_and_work)
{
    char *deep = repeat("[", 600, "");
    jp_arena *a = jp_arena_new(0, 0);
    jp_error err;
    ASSERT(jp_parse_json(a, deep, 600, &err) == NULL);
    ASSERT_EQ(err.kind, JP_ERR_LIMIT);
    jp_arena_free(a);
    free(deep);
    /* Values built deeper than JP_MAX_DEPTH. */
    char *wrap = repeat("[@] | ", 600, "@");
    ASSERT(strncmp(run(wrap, "1"), "limit@", 6) == 0);
    free(wrap);
    /* Shared values make printing and comparing exponential. */
    char *dag = repeat("[@, @] | ", 40, "to_string(@)");
    ASSERT(strncmp(run(dag, "1"), "limit@", 6) == 0);
    free(dag);
    /* Two values built apart compare element by element: bounded. */
    char *half = repeat("[@, @] | ", 40, "@"), both[1024];
    snprintf(both, sizeof both, "[(%s), (%s)] | [0] == [1]", half, half);
    ASSERT(strncmp(run_with(both, "1", 100000), "limit@", 6) == 0);
    snprintf(both, sizeof both, "(%s) | [@] == [@]", half);
    ASSERT_STR(run_with(both, "1", 100000), "true"); /* shared: at once */
    free(half);
    ASSERT(strncmp(run_with("[*].[@, @, @]", "[1,2,3,4,5,6,7,8,9,10]", 20),
                   "limit@", 6) == 0);
    /* Finding a key costs steps too: two large objects compared. */
    char *big = malloc(2000 * 16 + 2);
    size_t n = 0;
    for (int i = 0; i < 2000; i++)
        n += (size_t)sprintf(big + n, "%s\"k%d\": 0", i ? ", " : "{", i);
    strcpy(big + n, "}");
    ASSERT_STR(run_with("@ == merge(@)", big, 0), "true");
    ASSERT(strncmp(run_with("@ == merge(@)", big, 100000), "limit@", 6) == 0);
    free(big);
}

TEST(jmespath_raw_strings_and_literals_as_python_reads_them)
{
    ASSERT_STR(run("'\\\\'", "{}"), "\"\\\\\\\\\""); /* '\\' is \\ */
    ASSERT_STR(run("'it\\'s'", "{}"), "\"it's\"");
    ASSERT_STR(run("'\\n'", "{}"), "\"\\\\n\"");
    ASSERT_STR(run("`foo`", "{}"), "\"foo\""); /* JEP 12's old form */
    ASSERT_STR(run("`  foo`", "{}"), "\"foo\"");
    ASSERT_STR(run("`[1, 2`", "{}"), "\"[1, 2\"");
    ASSERT_STR(run("`\"a`", "{}"), "syntax@1");
    ASSERT_STR(run("`a\\`b`", "{}"), "\"a`b\"");
    ASSERT_STR(run("`1e2`", "{}"), "100.0");
    ASSERT_STR(run("\"\\ud83d\\ude00\"", "{\"\\ud83d\\ude00\": 1}"), "1");
    ASSERT_STR(run("length('\xf0\x9f\x98\x80\xc3\xa9')", "{}"), "2");
    ASSERT_STR(run("reverse('a\xc3\xa9\xf0\x9f\x98\x80')", "{}"),
               "\"\xf0\x9f\x98\x80\xc3\xa9\x61\"");
    ASSERT_STR(run("[99999999999999999999999]", "[1]"), "null");
    ASSERT_STR(run("[-99999999999999999999:]", "[1]"), "[1]");
}

TEST(jmespath_numbers_print_as_python_prints_them)
{
    ASSERT_STR(run("to_string(@)",
                   "[1, 1.0, 1e16, 1.5e16, 1e15, 0.0001, 0.00001, 123.456, "
                   "-0.0, -0, 1e300, 2.5e-7, 100, 1E2, 0.1]"),
               "\"[1,1.0,1e+16,1.5e+16,1000000000000000.0,0.0001,1e-05,"
               "123.456,-0.0,0,1e+300,2.5e-07,100,100.0,0.1]\"");
    ASSERT_STR(run("[sum(@), avg(@), floor(`1.5`), ceil(`-1.5`), abs(`-2`)]",
                   "[1, 2]"),
               "[3,1.5,1,-1,2]");
    ASSERT_STR(run("sum(@)", "[1, 2.0]"), "3.0");
    ASSERT_STR(run("[to_number('7'), to_number('7.0'), to_number('01'), "
                   "to_number(' 7'), to_number('-0')]",
                   "{}"),
               "[7,7.0,null,null,0]");
    ASSERT_STR(run("ceil(`1e300`)", "{}"), /* an int, as Python holds it */
               "10000000000000000525047602552044202487044685811081591549158541"
               "15511802457988908195786371375080447864043704443832883878176942"
               "52323536043057564479218478670698284838720092657580373783023379"
               "47880900593689532349707999450811190389676408800746527427801424"
               "94579258788820056842838115669472196386865459400540160");
}

TEST(jmespath_writes_as_az_prints)
{
    jp_arena *a = jp_arena_new(0, 0);
    const char *doc = "{\"a\": [1, {}, {\"b\": null}], \"c\": [], \"d\": "
                      "\"\\n\\t\\u0001\\u00e9\\\"\"}";
    const jp_value *v = jp_parse_json(a, doc, strlen(doc), NULL);
    char *text = jp_write(v, JP_WRITE_INDENT, 0, NULL);
    ASSERT_STR(text, "{\n  \"a\": [\n    1,\n    {},\n    {\n      \"b\": "
                     "null\n    }\n  ],\n  \"c\": [],\n  \"d\": "
                     "\"\\n\\t\\u0001\xc3\xa9\\\"\"\n}");
    free(text);
    text = jp_write(v, JP_WRITE_ASCII, 0, NULL);
    ASSERT(strstr(text, "\\u00e9"));
    free(text);
    ASSERT(jp_write(v, 0, 10, NULL) == NULL); /* past max_bytes */
    jp_arena_free(a);
}

TEST(jmespath_objects_keep_the_first_place_and_the_last_value)
{
    ASSERT_STR(run("@", "{\"a\": 1, \"b\": 2, \"a\": 3}"), "{\"a\":3,\"b\":2}");
    ASSERT_STR(run("{b: a, a: a, b: `0`}", "{\"a\": 1}"), "{\"b\":0,\"a\":1}");
    ASSERT_STR(run("merge(@, `{\"b\": 9, \"z\": 1}`)", "{\"a\": 1, \"b\": 2}"),
               "{\"a\":1,\"b\":9,\"z\":1}");
    /* Many members: the sorting path. */
    char doc[2048];
    size_t n = 0;
    n += (size_t)snprintf(doc + n, sizeof doc - n, "{");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(doc + n, sizeof doc - n, "\"k%d\": %d, ", i % 30,
                              i);
    snprintf(doc + n, sizeof doc - n, "\"last\": 0}");
    ASSERT_STR(run("[length(keys(@)), k0, k9, k10, keys(@)[10]]", doc),
               "[31,30,39,10,\"k10\"]");
}

TEST(jmespath_equality_and_ordering_follow_the_specification)
{
    ASSERT_STR(run("[`1` == `true`, `[1]` == `[true]`, `{\"a\": [0]}` == "
                   "`{\"a\": [false]}`, `1` == `1.0`, `{\"a\":1,\"b\":2}` == "
                   "`{\"b\":2,\"a\":1}`]",
                   "{}"),
               "[false,false,false,true,true]");
    ASSERT_STR(run("['a' < 'b', `1` < `2`, `[]` < `1`]", "{}"),
               "[null,true,null]");
    ASSERT_STR(run("[contains(@, `true`), contains('abc', `1`)]", "[1]"),
               "[false,false]");
}

TEST(jmespath_sorting_is_stable_and_typed)
{
    ASSERT_STR(run("sort_by(@, &a)[*].i",
                   "[{\"a\":2,\"i\":0},{\"a\":1,\"i\":1},{\"a\":2,\"i\":2},"
                   "{\"a\":1,\"i\":3}]"),
               "[1,3,0,2]");
    ASSERT_STR(run("sort_by(@, &a)", "[{\"a\":1},{\"a\":\"x\"}]"),
               "invalid-type@0");
    ASSERT_STR(run("max_by(@, &a)", "[{\"a\":1},{\"a\":\"x\"}]"),
               "invalid-type@0");
    ASSERT_STR(run("max_by(@, &a).i",
                   "[{\"a\":2,\"i\":0},{\"a\":2,\"i\":1},{\"a\":1}]"),
               "0");
    ASSERT_STR(run("sort(@)", "[\"b\", \"\xc3\xa9\", \"a\", \"B\"]"),
               "[\"B\",\"a\",\"b\",\"\xc3\xa9\"]");
    ASSERT_STR(run("sort(@)", "[1, \"a\"]"), "invalid-type@0");
}

TEST(jmespath_expression_references_are_arguments_only)
{
    ASSERT_STR(run("&a", "{}"), "invalid-type@0");
    ASSERT_STR(run("[&a]", "{}"), "invalid-type@0");
    ASSERT_STR(run("length([&a])", "{}"), "1");
    ASSERT_STR(run("to_string(&a)", "{}"), "invalid-type@0");
    ASSERT_STR(run("type(&a)", "{}"), "null");
    ASSERT_STR(run("map(&a, @)", "[{\"a\": 1}, 2]"), "[1,null]");
}

TEST(jmespath_fallback_members_are_seen_by_lookups_only)
{
    jp_arena *a = jp_arena_new(0, 0);
    const char *doc = "{\"properties\": {\"x\": 1}, \"name\": \"n\"}";
    const jp_value *res = jp_parse_json(a, doc, strlen(doc), NULL);
    const jp_value *props = jp_get(res, "properties", 10);
    const jp_value *view = jp_new_object_fallback(a, res, props);
    jp_error err;
    const char *q = "[x, name, keys(@), @ == properties]";
    jp_expr *e = jp_compile(q, strlen(q), &err);
    ASSERT(e != NULL);
    const jp_value *r = jp_eval(e, view, a, &err);
    char *text = jp_write(r, 0, 0, NULL);
    ASSERT_STR(text, "[1,\"n\",[\"properties\",\"name\"],false]");
    free(text);
    text = jp_write(view, 0, 0, NULL);
    ASSERT_STR(text, "{\"properties\":{\"x\":1},\"name\":\"n\"}");
    free(text);
    jp_expr_free(e);
    jp_arena_free(a);
}
