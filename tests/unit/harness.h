/*
** harness.h - a small unit-test harness: TEST(name) registers a test
** (constructor attribute, so no list to maintain); ASSERT_* report file and
** line and end the test; main.c runs them all and prints TAP.
*/
#ifndef MOAT_HARNESS_H
#define MOAT_HARNESS_H

#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(int *failed);

void harness_register(const char *name, const char *file, test_fn fn);

#include "moat.h"
/* The estate of a JSON text loaded with flags (MOAT_LOAD_*), or NULL. */
moat_estate *harness_estate(const char *json, unsigned flags);
/* The same as "test.json", keeping the loader (its diagnostics) in *out when
** out is not NULL; the caller frees it. */
moat_estate *harness_load(const char *json, unsigned flags, moat_loader **out);

#define TEST(name)                                                             \
    static void test_##name(int *failed_);                                     \
    __attribute__((constructor)) static void register_##name(void)             \
    {                                                                          \
        harness_register(#name, __FILE__, test_##name);                        \
    }                                                                          \
    static void test_##name(int *failed_)

#define FAIL_AT(...)                                                           \
    do {                                                                       \
        printf("#   %s:%d: ", __FILE__, __LINE__);                             \
        printf(__VA_ARGS__);                                                   \
        printf("\n");                                                          \
        *failed_ = 1;                                                          \
        return;                                                                \
    } while (0)

#define ASSERT(cond)                                                           \
    do {                                                                       \
        if (!(cond))                                                           \
            FAIL_AT("assertion failed: %s", #cond);                            \
    } while (0)

#define ASSERT_EQ(a, b)                                                        \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_)                                                          \
            FAIL_AT("%s == %s: %lld != %lld", #a, #b, a_, b_);                 \
    } while (0)

#define ASSERT_STR(a, b)                                                       \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                   \
            FAIL_AT("%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)",  \
                    b_ ? b_ : "(null)");                                       \
    } while (0)

#endif
