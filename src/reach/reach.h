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

/* The cells of resource r of es (every instant, decided in the
** association's mode and, under Learning or Audit, as Enforced would), for
** the questions below (reach_audit.c); NULL when out of memory or past the
** partition's bound. Freed with moat_cells_free. */
MOAT_HIDDEN moat_cells *moat__reach_open(const moat_estate *es,
                                         const resource *r);

/* The source addresses the exposure's `internet` probe admits by the rule
** ref (MOAT_RULE_REF, as moat_decision.rule_: the rule the engine names,
** so a rule shadowed by an earlier one admits only what is left to it),
** inside `within` (NULL: anywhere): *n addresses, *all for the whole IPv6
** space. Returns 0, or -1 when out of memory. */
MOAT_HIDDEN int moat__reach_rule_addresses(const moat_cells *m, uint32_t ref,
                                           const moat_cidr *within,
                                           moat_u128 *n, int *all);

/* The distinct rules (MOAT_RULE_REF) that admit requests the association's
** Enforced mode would deny (decision.md section 3, enforced_would), over
** every cell (every request, every instant): at most max of them into
** refs, in cell order; their number. */
MOAT_HIDDEN size_t moat__reach_enforced_cuts(const moat_cells *m,
                                             uint32_t *refs, size_t max);

#endif /* MOAT_REACH_H */
