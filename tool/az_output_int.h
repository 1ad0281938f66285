/*
** az_output_int.h - what the az output formats share (az_output.c,
** az_yaml.c): a growing text and Python's str() of a scalar.
*/
#ifndef MOAT_AZ_OUTPUT_INT_H
#define MOAT_AZ_OUTPUT_INT_H

#include "az_output.h"

typedef struct ao_buf {
    char *s;
    size_t len, cap;
    int failed;
} ao_buf;

void ao_put(ao_buf *b, const char *s, size_t n);
void ao_puts(ao_buf *b, const char *s);
/* str(v) as Python writes it: a string as it is, True, None, 1.0. */
void ao_str(ao_buf *b, const jp_value *v);
/* The text of b (NUL-terminated, *len) handed over; NULL when it failed. */
char *ao_take(ao_buf *b, size_t *len);

/* yaml.safe_dump(v, default_flow_style=False, allow_unicode=True). */
char *ao_yaml(const jp_value *v, size_t *len);

#endif
