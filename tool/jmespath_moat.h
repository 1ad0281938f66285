/*
** jmespath_moat.h - moat's JSON documents (moat_doc, include/moat.h) as
** JMESPath values, so that --query runs on what a command prints.
*/
#ifndef MOAT_JMESPATH_MOAT_H
#define MOAT_JMESPATH_MOAT_H

#include "jmespath.h"
#include "moat.h"

/* n and everything under it as a value in a (strings and keys copied;
** numbers as Python's json reads their text: an int unless it has a
** fraction or an exponent). NULL with err set (limit: too deep or too
** large; memory). */
const jp_value *jp_from_moat(jp_arena *a, const moat_node *n, jp_error *err);

#endif
