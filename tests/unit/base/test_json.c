/*
** test_json.c - the JSON parser: grammar, positions, limits, and a
** differential check against cJSON (Debian's libcjson): on every input
** both accept, the trees must be equal; on RFC 8259 violations moat must
** refuse.
*/
#include "harness.h"
#include "moat_int.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

static json_value *parse(moat_arena *a, const char *s, json_error *err)
{
    return moat__json_parse(a, s, strlen(s), err);
}

TEST(json_accepts_rfc_values)
{
    static const char *const ok[] = {
        "null",
        "true",
        "false",
        "0",
        "-0",
        "1.5e10",
        "-2E-3",
        "\"\"",
        "\"a\\u00e9\\n\\\"\"",
        "[]",
        "{}",
        " [1, [2, [3]]] ",
        "{\"a\": {\"b\": [null, true]}}",
        "\"\\ud83d\\ude00\"",
        "\xEF\xBB\xBF{\"bom\": 1}",
    };
    moat_arena a;
    moat__arena_init(&a, 0);
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        json_error err = {0, NULL};
        if (parse(&a, ok[i], &err) == NULL)
            FAIL_AT("refused %s: %s", ok[i], err.msg);
    }
    moat__arena_free(&a);
}

TEST(json_refuses_rfc_violations)
{
    static const char *const bad[] = {
        "",
        " ",
        "nul",
        "tru",
        "01",
        "1.",
        ".5",
        "-",
        "+1",
        "1e",
        "0x10",
        "\"abc",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\\ud800\"",
        "\"\\udc00\"",
        "\"a\tb\"",
        "[1,]",
        "[1 2]",
        "{\"a\"}",
        "{\"a\":1,}",
        "{a:1}",
        "{\"a\":1}}",
        "[",
        "]",
        "1 2",
        "'a'",
        "NaN",
        "Infinity",
        "\"\\u0000\"x",
    };
    moat_arena a;
    moat__arena_init(&a, 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_error err = {0, NULL};
        if (parse(&a, bad[i], &err) != NULL)
            FAIL_AT("accepted invalid JSON: %s", bad[i]);
        ASSERT(err.msg != NULL);
    }
    moat__arena_free(&a);
}

TEST(json_positions_and_lines)
{
    moat_arena a;
    moat__arena_init(&a, 0);
    const char *src = "{\n  \"x\": [1,\n    \"two\"]\n}";
    json_error err;
    json_value *v = parse(&a, src, &err);
    ASSERT(v != NULL);
    json_value *x = moat__json_get(v, "X"); /* case-insensitive */
    ASSERT(x != NULL);
    ASSERT_EQ(x->type, JSON_ARRAY);
    ASSERT_EQ(x->len, 2);
    json_value *two = x->child->next;
    unsigned line, col;
    moat__json_line_col(src, strlen(src), two->pos, &line, &col);
    ASSERT_EQ(line, 3);
    ASSERT_EQ(col, 5);
    ASSERT_STR(two->str, "two");
    /* An error points at the offending byte. */
    const char *bad = "{\n  \"a\": [1, 2,,]\n}";
    ASSERT(parse(&a, bad, &err) == NULL);
    moat__json_line_col(bad, strlen(bad), err.pos, &line, &col);
    ASSERT_EQ(line, 2);
    ASSERT_EQ(col, 14);
    moat__arena_free(&a);
}

TEST(json_depth_limit)
{
    moat_arena a;
    moat__arena_init(&a, 0);
    char deep[2 * (MOAT_JSON_MAX_DEPTH + 10) + 1];
    size_t n = MOAT_JSON_MAX_DEPTH + 10;
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    json_error err;
    ASSERT(parse(&a, deep, &err) == NULL);
    ASSERT_STR(err.msg, "nesting too deep");
    n = MOAT_JSON_MAX_DEPTH;
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    ASSERT(parse(&a, deep, &err) != NULL);
    moat__arena_free(&a);
}

/* Structural equality of a moat tree and a cJSON tree. */
static int same_tree(const json_value *m, const cJSON *c)
{
    switch (m->type) {
    case JSON_NULL: return cJSON_IsNull(c);
    case JSON_TRUE: return cJSON_IsTrue(c);
    case JSON_FALSE: return cJSON_IsFalse(c);
    case JSON_NUMBER: {
        if (!cJSON_IsNumber(c))
            return 0;
        double d = strtod(m->str, NULL);
        return d == c->valuedouble || (isnan(d) && isnan(c->valuedouble));
    }
    case JSON_STRING:
        return cJSON_IsString(c) && strlen(c->valuestring) == m->len &&
               memcmp(c->valuestring, m->str, m->len) == 0;
    case JSON_ARRAY:
    case JSON_OBJECT: {
        if (m->type == JSON_ARRAY ? !cJSON_IsArray(c) : !cJSON_IsObject(c))
            return 0;
        const cJSON *cc = c->child;
        for (const json_value *k = m->child; k; k = k->next, cc = cc->next) {
            if (cc == NULL || !same_tree(k, cc))
                return 0;
            if (m->type == JSON_OBJECT && strcmp(k->key, cc->string) != 0)
                return 0;
        }
        return cc == NULL;
    }
    }
    return 0;
}

static const char *const seeds[] = {
    "{\"id\":\"/subscriptions/x/resourceGroups/r/providers/Microsoft.Storage/"
    "storageAccounts/a\",\"type\":\"Microsoft.Storage/storageAccounts\","
    "\"location\":\"westeurope\",\"properties\":{\"networkAcls\":{"
    "\"defaultAction\":\"Deny\",\"bypass\":\"Logging, Metrics\",\"ipRules\":"
    "[{\"value\":\"203.0.113.0/24\",\"action\":\"Allow\"}]}}}",
    "[1, -2.5e3, true, false, null, \"\\u00e9\\t\", {\"a\": [[]]}]",
    "{\"resource\":\"st1\",\"source\":{\"ip\":\"2001:db8::1\"},\"caller\":"
    "{\"perimeters\":[\"a\",\"b\"]}}",
};

static unsigned long rng_state = 0x9E3779B97F4A7C15UL;
static unsigned long rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* A seed document with one to three random edits (a byte replaced by one
** of alphabet, deleted, or inserted) into buf; its length. */
static size_t mutate(char *buf, size_t cap, const char *alphabet)
{
    size_t k = strlen(alphabet);
    const char *seed = seeds[rng() % (sizeof seeds / sizeof seeds[0])];
    size_t n = strlen(seed);
    memcpy(buf, seed, n + 1);
    int edits = 1 + (int)(rng() % 3);
    for (int e = 0; e < edits && n > 1; e++) {
        size_t at = rng() % n;
        switch (rng() % 3) {
        case 0: /* replace */
            buf[at] = alphabet[rng() % k];
            break;
        case 1: /* delete */
            memmove(buf + at, buf + at + 1, n - at);
            n--;
            break;
        default: /* insert */
            if (n + 2 < cap) {
                memmove(buf + at + 1, buf + at, n - at + 1);
                buf[at] = alphabet[rng() % k];
                n++;
            }
        }
    }
    return n;
}

/* 200,000 mutations of valid documents: whatever moat accepts, cJSON must
** accept too, with the same tree. */
TEST(json_differential_against_cjson)
{
    static const char alphabet[] = "{}[]\":,\\0123456789.eE+-truefalsn \t\nu";
    moat_arena a;
    moat__arena_init(&a, 0);
    long accepted = 0, checked = 0;
    for (int round = 0; round < 200000; round++) {
        char buf[512];
        size_t n = mutate(buf, sizeof buf, alphabet);
        moat__arena_reset(&a);
        json_error err;
        json_value *m = moat__json_parse(&a, buf, n, &err);
        cJSON *c = cJSON_ParseWithLength(buf, n);
        checked++;
        if (m) {
            accepted++;
            if (c == NULL)
                FAIL_AT("moat accepted, cJSON refused: %s", buf);
            if (!same_tree(m, c))
                FAIL_AT("trees differ for: %s", buf);
        }
        cJSON_Delete(c);
    }
    printf("#   %ld inputs, %ld accepted by both with equal trees\n", checked,
           accepted);
    ASSERT(accepted > 1000);
    moat__arena_free(&a);
}

TEST(json_string_escapes_decode)
{
    moat_arena a;
    moat__arena_init(&a, 0);
    json_error err;
    json_value *v = parse(&a, "\"\\u00e9\\ud83d\\ude00\\/\\b\"", &err);
    ASSERT(v != NULL);
    ASSERT_STR(v->str, "\xC3\xA9\xF0\x9F\x98\x80/\b");
    moat__arena_free(&a);
}

/* Two trees with the same values, member names and positions. */
static int same_json(const json_value *x, const json_value *y)
{
    if (x->type != y->type || x->len != y->len || x->pos != y->pos ||
        (x->key == NULL) != (y->key == NULL) ||
        (x->key && strcmp(x->key, y->key) != 0) ||
        (x->str && memcmp(x->str, y->str, x->len) != 0))
        return 0;
    const json_value *a = x->child, *b = y->child;
    for (; a && b; a = a->next, b = b->next) {
        if (!same_json(a, b))
            return 0;
    }
    return a == NULL && b == NULL;
}

/* ARM's JSON ("Template syntax": comments; and as ARM reads them, trailing
** commas and raw line breaks or tabs in strings): accepted in ARM mode
** with the value the text means, refused by the strict parser. */
TEST(json_arm_mode_reads_what_arm_accepts)
{
    static const struct {
        const char *text, *same_as;
    } cases[] = {
        {"// a comment\n{\"a\": 1}", "{\"a\": 1}"},
        {"{\"a\": /* inline */ 1 // end\n}", "{\"a\": 1}"},
        {"{\"a\": [1, 2,], \"b\": {\"c\": 3,},}",
         "{\"a\": [1, 2], \"b\": {\"c\": 3}}"},
        {"{\"a\": \"line one\nline two\"}", "{\"a\": \"line one\\nline two\"}"},
        {"{\"a\": \"tab\there\\u0041\r\"}", "{\"a\": \"tab\\there\\u0041\\r\"}"},
        {"\xEF\xBB\xBF/**/[/*x*/]", "[]"},
        {"{\"url\": \"https://example.com/a/*b*/\"}",
         "{\"url\": \"https://example.com/a/*b*/\"}"},
    };
    moat_arena a;
    moat__arena_init(&a, 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_error err = {0, NULL};
        const char *t = cases[i].text;
        json_value *v =
            moat__json_parse_mode(&a, t, strlen(t), MOAT_JSON_ARM, &err);
        json_value *w = parse(&a, cases[i].same_as, &err);
        if (v == NULL || w == NULL) {
            FAIL_AT("ARM mode refused %s: %s", t, err.msg);
            continue;
        }
        if (strcmp(t, cases[i].same_as) != 0 && parse(&a, t, &err) != NULL)
            FAIL_AT("the strict parser accepted %s", t);
        /* Same values; positions differ, so compare the decoded text. */
        const json_value *x = v->type == JSON_OBJECT ? v->child : v;
        const json_value *y = w->type == JSON_OBJECT ? w->child : w;
        for (; x && y; x = x->next, y = y->next) {
            if (x->type != y->type || x->len != y->len ||
                (x->str && memcmp(x->str, y->str, x->len) != 0))
                FAIL_AT("ARM mode read %s differently", t);
        }
    }
    static const char *const bad[] = {
        "{\"a\": 1 /* never ends",
        "[1,,]",
        "[,]",
        "{,}",
        "{\"a\": \"bell\a\"}",
        "/ {}",
        "{\"a\": 1} /",
        "'a'",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_error err = {0, NULL};
        if (moat__json_parse_mode(&a, bad[i], strlen(bad[i]), MOAT_JSON_ARM,
                                  &err) != NULL)
            FAIL_AT("ARM mode accepted %s", bad[i]);
    }
    static const char raw_nul[] = "{\"a\": \"nul\0here\"}";
    json_error err = {0, NULL};
    ASSERT(moat__json_parse_mode(&a, raw_nul, sizeof raw_nul - 1,
                                 MOAT_JSON_ARM, &err) == NULL);
    moat__arena_free(&a);
}

/* Whatever the strict parser accepts, ARM mode reads identically: the
** same mutations as the cJSON differential, plus comment characters. */
TEST(json_arm_mode_agrees_with_strict)
{
    static const char alphabet[] = "{}[]\":,\\0123456789.eE+-truefalsn \t\nu/*";
    moat_arena a;
    moat__arena_init(&a, 0);
    long strict = 0, arm_only = 0;
    for (int round = 0; round < 100000; round++) {
        char buf[512];
        size_t n = mutate(buf, sizeof buf, alphabet);
        moat__arena_reset(&a);
        json_error err;
        json_value *s = moat__json_parse(&a, buf, n, &err);
        json_value *m = moat__json_parse_mode(&a, buf, n, MOAT_JSON_ARM, &err);
        if (s && (m == NULL || !same_json(s, m)))
            FAIL_AT("ARM mode reads differently: %s", buf);
        strict += s != NULL;
        arm_only += s == NULL && m != NULL;
    }
    printf("#   %ld accepted by both alike, %ld by ARM mode alone\n", strict,
           arm_only);
    ASSERT(strict > 1000 && arm_only > 100);
    moat__arena_free(&a);
}
