/*
** test_buf.c - arena and growable buffer: alignment, reuse after reset,
** limits, the sticky failure flag, JSON string escaping.
*/
#include "harness.h"
#include "moat_int.h"

#include <stdint.h>

TEST(arena_alignment_and_reset)
{
    moat_arena a;
    moat__arena_init(&a, 0);
    for (size_t n = 1; n < 5000; n += 37) {
        void *p = moat__arena_alloc(&a, n);
        ASSERT(p != NULL);
        ASSERT(((uintptr_t)p & 15) == 0);
        memset(p, 0xAB, n);
    }
    size_t total = a.total;
    moat__arena_reset(&a);
    ASSERT(a.total <= total);
    /* After a reset the kept chunk serves small allocations again. */
    size_t kept = a.total;
    for (int i = 0; i < 100; i++)
        ASSERT(moat__arena_alloc(&a, 64) != NULL);
    ASSERT_EQ(a.total, kept);
    char *s = moat__arena_printf(&a, "%s-%d-%0300d", "x", 7, 1);
    ASSERT(s != NULL && strncmp(s, "x-7-000", 7) == 0 && strlen(s) == 304);
    moat__arena_free(&a);
}

TEST(arena_limit)
{
    moat_arena a;
    moat__arena_init(&a, 64 * 1024);
    ASSERT(moat__arena_alloc(&a, 1000) != NULL);
    ASSERT(moat__arena_alloc(&a, 1024 * 1024) == NULL);
    ASSERT(moat__arena_alloc(&a, 100) != NULL);
    moat__arena_free(&a);
}

TEST(buf_growth_limit_and_escape)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    for (int i = 0; i < 10000; i++)
        moat__buf_putc(&b, 'x');
    ASSERT_EQ(b.len, 10000);
    moat__buf_clear(&b);
    const char *raw = "a\"b\\c\n\x01\x7f\xc3\xa9 plain text over eight";
    moat__buf_json_str(&b, raw, strlen(raw));
    ASSERT_STR(
        moat__buf_cstr(&b),
        "\"a\\\"b\\\\c\\n\\u0001\\u007f\xc3\xa9 plain text over eight\"");
    moat__buf_free(&b);
    moat__buf_init(&b, 16);
    moat__buf_puts(&b, "0123456789");
    moat__buf_puts(&b, "0123456789");
    ASSERT(b.failed);
    ASSERT_STR(moat__buf_cstr(&b), "");
    moat__buf_free(&b);
}

/* The limit applies to what a string takes once escaped, not to the worst
** case of six bytes per byte: a long resource id in a decision's JSON. */
TEST(buf_json_str_limit_is_the_escaped_size)
{
    char raw[700];
    memset(raw, 'g', sizeof raw);
    moat_buf b;
    moat__buf_init(&b, 1024);
    moat__buf_json_str(&b, raw, sizeof raw);
    ASSERT(!b.failed);
    ASSERT_EQ(b.len, sizeof raw + 2);
    moat__buf_clear(&b);
    memset(raw, '\n', 400); /* 400 * 2 + 300 + 2 quotes: over 1024 */
    moat__buf_json_str(&b, raw, sizeof raw);
    ASSERT(b.failed);
    moat__buf_clear(&b);
    moat__buf_json_str(&b, raw, 300); /* 600 + 2 */
    ASSERT(!b.failed);
    ASSERT_EQ(b.len, 602);
    moat__buf_free(&b);
}

/* Formats of only %s, %u and %% are written without vsnprintf: the
** result is vsnprintf's, null strings included. */
TEST(buf_printf_plain_formats_match_vsnprintf)
{
    static const char *const words[] = {"", "a", "ipRules", NULL,
                                        "100% sure", "é"};
    static const unsigned nums[] = {0, 7, 10, 4294967295u, 65536};
    moat_buf b;
    moat__buf_init(&b, 0);
    for (int i = 0; i < 6 * 5; i++) {
        const char *w = words[i % 6];
        unsigned u = nums[i % 5];
        char want[128];
        moat__buf_clear(&b);
        moat__buf_printf(&b, "x %s [%u] %% %s%u", w, u, words[(i + 1) % 6],
                         u / 3);
        snprintf(want, sizeof want, "x %s [%u] %% %s%u", w ? w : "(null)", u,
                 words[(i + 1) % 6] ? words[(i + 1) % 6] : "(null)", u / 3);
        if (strcmp(moat__buf_cstr(&b), want) != 0)
            FAIL_AT("\"%s\", vsnprintf \"%s\"", moat__buf_cstr(&b), want);
    }
    moat__buf_clear(&b);
    moat__buf_printf(&b, "%s", "");
    moat__buf_printf(&b, "no conversion");
    moat__buf_printf(&b, "%05u|%x", 42u, 255u); /* through vsnprintf */
    ASSERT(strcmp(moat__buf_cstr(&b), "no conversion00042|ff") == 0);
    moat__buf_free(&b);
}

/* The escaper, sixteen bytes at a time, against a byte-at-a-time one on
** random strings of every length up to 80 over an alphabet rich in what
** needs escaping. */
TEST(buf_json_str_matches_bytewise_escaping)
{
    static const char alphabet[] = "ab\"\\\x01\x1f\x7f\x80\xff \n\t/";
    uint32_t seed = 99;
    moat_buf b;
    moat__buf_init(&b, 0);
    for (int i = 0; i < 50000; i++) {
        char s[80], want[80 * 6 + 3];
        size_t n = (size_t)i % 81, w = 0;
        for (size_t k = 0; k < n; k++) {
            seed = seed * 1664525u + 1013904223u;
            s[k] = (seed >> 24) % 4 ? 'x' : alphabet[(seed >> 8) % 14];
        }
        want[w++] = '"';
        for (size_t k = 0; k < n; k++) {
            unsigned char c = (unsigned char)s[k];
            const char *e = c == '"'    ? "\\\""
                            : c == '\\' ? "\\\\"
                            : c == '\n' ? "\\n"
                            : c == '\t' ? "\\t"
                                        : NULL;
            if (e)
                w += (size_t)sprintf(want + w, "%s", e);
            else if (c < 0x20 || c == 0x7f)
                w += (size_t)sprintf(want + w, "\\u%04x", c);
            else
                want[w++] = (char)c;
        }
        want[w++] = '"';
        moat__buf_clear(&b);
        moat__buf_json_str(&b, s, n);
        ASSERT_EQ(b.len, w);
        ASSERT(memcmp(b.data, want, w) == 0);
    }
    moat__buf_free(&b);
}
