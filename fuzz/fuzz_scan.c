/*
** fuzz_scan.c - replay's JSON record scanner with a learned shape against
** the same scanner without one. Each line of the input is a record; the
** shape is kept across lines and inputs, as a reader keeps it across a
** log, so it is taught by one record and consulted on the next. The
** answer (accepted or refused, the message and its byte, the members seen
** and every field's bytes) must not depend on the shape: a wrong
** prediction may cost time, never change what is read.
*/
#include "log.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int scan_fields_equal(const log_fields *a, const log_fields *b)
{
    if (a->seen != b->seen)
        return 0;
    for (int f = 0; f < LF_COUNT; f++) {
        const moat_text *x = &a->v[f], *y = &b->v[f];
        if ((x->p == NULL) != (y->p == NULL) || x->n != y->n ||
            (x->n && memcmp(x->p, y->p, x->n) != 0))
            return 0;
    }
    return 1;
}

/* One record, in a buffer of its exact size (ASan sees any overread). */
static void scan_record(const char *text, size_t n, log_shape *shape)
{
    static char with[1 << 20], without[1 << 20];
    char *rec = malloc(n ? n : 1);
    if (rec == NULL)
        return;
    memcpy(rec, text, n);
    size_t cap = n < sizeof with ? n : sizeof with;
    log_fields a, b;
    log_error ea = {NULL, 0}, eb = {NULL, 0};
    int ra = moat__log_scan_json(rec, n, &a, with, cap, shape, &ea);
    int rb = moat__log_scan_json(rec, n, &b, without, cap, NULL, &eb);
    if (ra != rb)
        __builtin_trap();
    if (ra != 0 && (ea.at != eb.at || strcmp(ea.msg, eb.msg) != 0))
        __builtin_trap();
    if (ra == 0 && !scan_fields_equal(&a, &b))
        __builtin_trap();
    free(rec);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    static log_shape *shape;
    if (shape == NULL && (shape = moat__log_shape_new()) == NULL)
        return 0;
    const char *p = (const char *)data, *end = p + size;
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        scan_record(p, (size_t)((nl ? nl : end) - p), shape);
        if (nl == NULL)
            return 0;
        p = nl + 1;
    }
}
