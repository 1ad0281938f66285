/*
** reach.h - what the reach layer (src/reach, docs/reach.md) offers the
** layers above it (audit, replay) besides the public moat_cells_* API.
*/
#ifndef MOAT_REACH_H
#define MOAT_REACH_H

#include "moat_int.h"

/* The source addresses the exposure's `internet` probe admits for resource
** r (docs/reach.md, "exposure"), from the cells, so that the audit and
** `moat reach` cannot disagree: *v4 IPv4 addresses, *v6 IPv6 addresses
** unless *v6_all (the whole IPv6 space, which no 128-bit number holds).
** Returns 0, or -1 when out of memory (the outputs are then unspecified). */
MOAT_HIDDEN int moat__reach_internet(const moat_estate *es, const resource *r,
                                     moat_u128 *v4, moat_u128 *v6,
                                     int *v6_all);

#endif /* MOAT_REACH_H */
