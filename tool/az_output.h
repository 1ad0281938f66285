/*
** az_output.h - az's -o/--output formats on JMESPath values: what az
** (knack's OutputProducer) prints for a command's result with -o json,
** jsonc, table, tsv, yaml or none, after --query has run.
*/
#ifndef MOAT_AZ_OUTPUT_H
#define MOAT_AZ_OUTPUT_H

#include "jmespath.h"

#include <stddef.h>
#include <stdio.h>

typedef enum az_output {
    AZ_OUT_JSON,  /* json.dumps(indent=2, sort_keys=True) */
    AZ_OUT_JSONC, /* the same, coloured as pygments' terminal formatter
                     does; json when stdout is not a terminal, as az */
    AZ_OUT_TABLE, /* knack's auto table: tabulate's "simple" format */
    AZ_OUT_TSV,   /* knack's tsv: no headers, values in order */
    AZ_OUT_YAML,  /* yaml.safe_dump(default_flow_style=False) */
    AZ_OUT_NONE
} az_output;

#define AZ_OUTPUT_NAMES "json, jsonc, table, tsv, yaml or none"

/* The format named text (az's names); 0, or -1 when there is none. */
int az_output_parse(const char *text, az_output *out);

/* v as az prints it in format f, malloc'd (*len bytes, NUL-terminated;
** empty for null, which az does not print). query_active: --query was
** given (the table then keeps the result's key order). NULL when out of
** memory or past the value's bounds. */
char *az_output_format(const jp_value *v, az_output f, int query_active,
                       size_t *len);

/* Formats and writes v to fp (jsonc coloured only when fp is a
** terminal). 0, or -1 after a failure (nothing written). */
int az_output_print(FILE *fp, const jp_value *v, az_output f,
                    int query_active);

/* v with every object's members sorted by key, as json.dumps(sort_keys=
** True) orders them; NULL when out of memory. */
const jp_value *az_sorted(jp_arena *a, const jp_value *v);

#endif
