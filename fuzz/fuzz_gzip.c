/*
** fuzz_gzip.c - replay's log source (cli/replay/replay_source.c) on
** arbitrary bytes, through ISA-L and through zlib: reading never crashes
** or hangs, an error always says what and where, and when both inflaters
** read the whole input they read the same bytes (a gzip member, several,
** or plain text alike); when one refuses, so does the other (fail closed:
** an inflater that skipped what the other refused would replay less).
*/
#include "replay_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define LIMIT (16u << 20)

/* The whole input through one inflater: the bytes read (malloc'd), or
** NULL when it refused; *n their count. */
static char *read_all(const char *path, const char *inflater, size_t *n)
{
    setenv("MOAT_INFLATE", inflater, 1);
    char err[256];
    replay_source *s = replay_source_open(path, err, sizeof err);
    if (s == NULL)
        __builtin_trap(); /* the file exists */
    size_t cap = 1 << 16;
    char *out = malloc(cap);
    *n = 0;
    for (;;) {
        if (*n + 4096 > cap && (out = realloc(out, cap *= 2)) == NULL)
            __builtin_trap();
        size_t want = LIMIT - *n < 4096 ? LIMIT - *n : 4096;
        long r = want ? replay_source_read(s, out + *n, want) : 0;
        if (r < 0) {
            if (replay_source_error(s)[0] == '\0')
                __builtin_trap(); /* an error always says why */
            free(out);
            out = NULL;
            break;
        }
        if (r == 0)
            break;
        *n += (size_t)r; /* a bomb stops at LIMIT, in both alike */
    }
    replay_source_close(s);
    unsetenv("MOAT_INFLATE");
    return out;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    FILE *tmp = tmpfile();
    if (tmp == NULL || fwrite(data, 1, size, tmp) != size || fflush(tmp) != 0)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fileno(tmp));
    size_t n_isal, n_zlib;
    char *isal = read_all(path, "isa-l", &n_isal);
    char *zlib = read_all(path, "zlib", &n_zlib);
    if ((isal == NULL) != (zlib == NULL))
        __builtin_trap(); /* one inflater refused what the other read */
    if (isal && zlib &&
        (n_isal != n_zlib || memcmp(isal, zlib, n_isal) != 0))
        __builtin_trap();
    free(isal);
    free(zlib);
    fclose(tmp);
    return 0;
}
