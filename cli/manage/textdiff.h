/*
** textdiff.h - a unified diff of two texts (--dry-run of the az-style
** commands), as `diff -u` prints it.
*/
#ifndef MOAT_TEXTDIFF_H
#define MOAT_TEXTDIFF_H

#include <stdio.h>

/* Prints the differences of a and b, both named name; -1 when out of
** memory. */
int text_diff(FILE *out, const char *name, const char *a, size_t alen,
              const char *b, size_t blen);

#endif
