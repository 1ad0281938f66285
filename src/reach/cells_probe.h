/*
** cells_probe.h - probes of the cells (cells_probe.c): the exposure and the
** reach text are made of them.
*/
#ifndef MOAT_CELLS_PROBE_H
#define MOAT_CELLS_PROBE_H

#include "cells_api.h"

/* The point of the exposure's `internet` probe (docs/reach.md): a data
** read over HTTPS of an ordinary target on the public path from another
** region, SAS (storage) or OAuth without identity (key vault), at now (or
** the one instant the cells were computed for). */
MOAT_HIDDEN void moat__probe_base(const moat_cells *m, int side, int64_t now,
                                  cpoint *p);
/* For every point that differs from base only in dimensions d1 and d2
** (d2 -1: d1 only), in one pass over the cells: fn with the cell that
** holds it. */
typedef void (*probe_fn)(void *ctx, size_t cell, const cpoint *p);
MOAT_HIDDEN void moat__probe_each(const moat_cells *m, const cpoint *base,
                                  int d1, int d2, probe_fn fn, void *ctx);
/* The cell holding p, or SIZE_MAX. */
MOAT_HIDDEN size_t moat__probe_cell(const moat_cells *m, const cpoint *p);
/* p is admitted on side; its decision in *out when out is not NULL. */
MOAT_HIDDEN int moat__probe_allows(const moat_cells *m, const cpoint *p,
                                   int side, moat_decision *out);

#define PROBE_RULES 32
/* The source addresses admitted at p with any address (side's view;
** side + 2: as Enforced would decide). */
typedef struct probe_addrs {
    uint64_t *atoms; /* IP atoms admitted (malloc'd) */
    uint64_t ipv4;
    cu128 ipv6;
    int ipv6_all;
    uint32_t rule[PROBE_RULES]; /* the rules that admit, distinct */
    size_t cell[PROBE_RULES];   /* a cell of each */
    int n_rules;
} probe_addrs;
MOAT_HIDDEN void moat__probe_addresses(const moat_cells *m, const cpoint *p,
                                       int side, probe_addrs *out);
MOAT_HIDDEN void moat__probe_free(probe_addrs *a);
/* The admitted addresses as JSON strings of CIDR ranges (the fewest),
** comma-separated, into b; their number. */
MOAT_HIDDEN int moat__probe_ranges(moat_buf *b, const moat_cells *m,
                                   const probe_addrs *a);

/* "lo/prefix" of family 4 or 6 into out (at least 64 bytes), as
** moat__addr_format writes the address; its length. */
MOAT_HIDDEN size_t moat__probe_cidr_text(int family, cu128 lo, int prefix,
                                         char *out);

/* The CIDR ranges of [lo, hi] (family f), the fewest, in order, as JSON
** strings, comma-separated (a comma first when *n); *n counts them. */
MOAT_HIDDEN void moat__probe_cidrs(moat_buf *b, int f, cu128 lo, cu128 hi,
                                   int *n);

/* cells_text.c: "1,234,567" (all: 2^128). */
MOAT_HIDDEN void moat__cells_count_text(moat_buf *b, cu128 v, int all);
/* The admitted addresses of a as text, per family: the fewest CIDR ranges
** (at most `most`, then "and N more ranges"), or "0.0.0.0/0 minus N
** ranges" ("::/0 minus ...") when the ranges the family lacks are fewer. */
MOAT_HIDDEN void moat__probe_ranges_text(moat_buf *b, const moat_cells *m,
                                         const probe_addrs *a, int most);
/* " (257 IPv4 and 18 IPv6 addresses)": the families a admits. */
MOAT_HIDDEN void moat__probe_count_text(moat_buf *b, const probe_addrs *a);
/* The strings of the list `key` of an exposure object's JSON: up to max,
** as pointers into json and lengths; their number. */
MOAT_HIDDEN int moat__cells_list_items(const char *json, const char *key,
                                       const char **item, size_t *len,
                                       int max);

/* What Enforced would change (reach text). */
MOAT_HIDDEN void moat__cells_enforced_lines(moat_buf *b, const moat_cells *m,
                                            const cpoint *base);

#endif /* MOAT_CELLS_PROBE_H */
