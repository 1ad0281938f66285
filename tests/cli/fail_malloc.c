/*
** fail_malloc.c - a preloaded malloc that runs out: with FAIL_MALLOC_AFTER=N
** the first N allocations (malloc, calloc, realloc) succeed and every later
** one fails with ENOMEM; FAIL_MALLOC_COUNT=FILE writes at exit how many
** there were, so that a test can aim at the middle of a run. Everything is
** passed on to the next malloc in line: the C library's, or
** AddressSanitizer's in the sanitized build (which needs
** ASAN_OPTIONS=verify_asan_link_order=0 to accept a preload ahead of it).
** Built by the tests themselves (tests/cli/lib.sh, preload_so).
*/
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned long calls, limit = (unsigned long)-1;
static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);

/* dlsym may itself ask calloc for a little memory before next_calloc is
** known: that comes from here, and is never freed by the program. */
static char early[4096];
static size_t early_used;

__attribute__((constructor)) static void find_next(void)
{
    next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    next_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    next_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    const char *n = getenv("FAIL_MALLOC_AFTER");
    if (n)
        limit = strtoul(n, NULL, 10);
}

__attribute__((destructor)) static void report(void)
{
    const char *path = getenv("FAIL_MALLOC_COUNT");
    if (path == NULL)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    char text[32];
    int len = snprintf(text, sizeof text, "%lu\n", calls);
    if (write(fd, text, (size_t)len) < 0)
        len = 0;
    close(fd);
}

static int out_of_memory(void)
{
    if (++calls <= limit)
        return 0;
    errno = ENOMEM;
    return 1;
}

void *malloc(size_t n)
{
    if (next_malloc == NULL)
        find_next();
    return out_of_memory() ? NULL : next_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    if (next_calloc == NULL) {
        size_t want = (n * size + 15) & ~(size_t)15;
        if (want > sizeof early - early_used)
            return NULL;
        early_used += want;
        return early + early_used - want; /* static: already zero */
    }
    return out_of_memory() ? NULL : next_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    if (next_realloc == NULL)
        find_next();
    return out_of_memory() ? NULL : next_realloc(p, n);
}
