/*
** az_output_int.h - what the az output formats share (az_output.c,
** az_yaml.c): the one buffer (buf.h), Python's str() of a scalar.
*/
#ifndef MOAT_AZ_OUTPUT_INT_H
#define MOAT_AZ_OUTPUT_INT_H

#include "az_output.h"
#include "buf.h"

/* str(v) as Python writes it: a string as it is, True, None, 1.0. */
void ao_str(tool_buf *b, const jp_value *v);

/* yaml.safe_dump(v, default_flow_style=False, allow_unicode=True). */
char *ao_yaml(const jp_value *v, size_t *len);

#endif
