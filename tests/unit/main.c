/*
** main.c - runs every registered unit test and prints TAP. An argument
** runs only the tests whose name contains it.
*/
#include "harness.h"

#include <stdlib.h>

#define MAX_TESTS 512

static struct {
    const char *name;
    const char *file;
    test_fn fn;
} tests[MAX_TESTS];
static int n_tests;

void harness_register(const char *name, const char *file, test_fn fn)
{
    if (n_tests == MAX_TESTS) {
        fprintf(stderr, "harness: too many tests\n");
        exit(2);
    }
    tests[n_tests].name = name;
    tests[n_tests].file = file;
    tests[n_tests].fn = fn;
    n_tests++;
}

moat_estate *harness_load(const char *json, unsigned flags, moat_loader **out)
{
    moat_loader *ld = moat_loader_new(flags);
    moat_loader_add_json(ld, "test.json", json, strlen(json));
    moat_estate *es = NULL;
    moat_loader_finish(ld, &es);
    if (out)
        *out = ld;
    else
        moat_loader_free(ld);
    return es;
}

moat_estate *harness_estate(const char *json, unsigned flags)
{
    return harness_load(json, flags, NULL);
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    int run = 0, failed = 0;
    printf("TAP version 13\n");
    for (int i = 0; i < n_tests; i++) {
        if (only && strstr(tests[i].name, only) == NULL)
            continue;
        int f = 0;
        tests[i].fn(&f);
        run++;
        printf("%s %d - %s (%s)\n", f ? "not ok" : "ok", run, tests[i].name,
               tests[i].file);
        failed += f;
        fflush(stdout);
    }
    printf("1..%d\n# %d passed, %d failed\n", run, run - failed, failed);
    return failed ? 1 : 0;
}
