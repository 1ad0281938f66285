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
