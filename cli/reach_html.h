/*
** reach_html.h - `moat reach --format html`: the exact reachability of
** decision.md's request space as one self-contained page, drawn with the
** audit's renderer (tool/html.h, tool/html_graph.h).
*/
#ifndef MOAT_REACH_HTML_H
#define MOAT_REACH_HTML_H

#include "cli.h"

/* Writes the page for the resources ids[0..n) of es at time (NULL: every
** time) to o. 0, or an exit status after an error message (a resource
** moat cannot compute, no memory). */
int reach_html(FILE *o, const moat_estate *es, const char *const *ids,
               size_t n, const char *time);

#endif
