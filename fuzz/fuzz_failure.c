/*
** fuzz_failure.c - moat explain's reading of a failure (tool/failure.c) on
** arbitrary bytes: it never reads past the input, every field it fills is
** a terminated string within its buffer, and a layer is named only when
** the input holds a sign of it.
*/
#include "failure.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    /* An exact-size copy, so that ASan sees any read past the end. */
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    failure f;
    int rc = failure_parse(text, size, &f);
    const char *fields[] = {f.code,       f.inner,         f.message,
                            f.source_ip,  f.resource,      f.location,
                            f.caller_tenant, f.caller_oid, f.caller_appid,
                            f.caller_resource};
    const size_t caps[] = {sizeof f.code,       sizeof f.inner,
                           sizeof f.message,    sizeof f.source_ip,
                           sizeof f.resource,   sizeof f.location,
                           sizeof f.caller_tenant, sizeof f.caller_oid,
                           sizeof f.caller_appid, sizeof f.caller_resource};
    for (size_t i = 0; i < sizeof caps / sizeof *caps; i++)
        if (memchr(fields[i], '\0', caps[i]) == NULL)
            __builtin_trap(); /* every field terminated within its buffer */
    if ((rc == 0) != (f.layer != FL_UNKNOWN) ||
        (f.layer != FL_UNKNOWN && f.layer != FL_ALLOWED && f.why == NULL &&
         f.status == 0))
        __builtin_trap(); /* a layer only from a sign in the input */
    if (f.status != 0 && (f.status < 100 || f.status > 599))
        __builtin_trap();
    failure_layer_name(f.layer);
    free(text);
    return 0;
}
