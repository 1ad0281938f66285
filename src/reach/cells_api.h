/*
** cells_api.h - what the public functions of the cells engine share
** (cells_api.c, cells_witness.c, cells_json.c, cells_exposure.c).
*/
#ifndef MOAT_CELLS_API_H
#define MOAT_CELLS_API_H

#include "cells_int.h"

struct moat_cells {
    moat_arena arena;
    cctx c;
    int stage_of[CELLS_SIDES];    /* the stage deciding each side */
    int enforced_of[CELLS_SIDES]; /* its Enforced stage, or -1 */
};

/* Cell i, or NULL past the end. */
MOAT_HIDDEN const ccell *moat__cells_at(const moat_cells *m, size_t i);

/* One atom per dimension: a point of the request space. */
typedef struct cpoint {
    uint32_t a[D_COUNT];
} cpoint;

/* The first atom of each dimension of box b. */
MOAT_HIDDEN void moat__cells_first(const moat_cells *m, const cbox *b,
                                   cpoint *p);
/* Sets q to the request of point p (ip: the address within atom p.a[D_IP]
** to use; NULL: its first). */
MOAT_HIDDEN moat_status moat__cells_request(const moat_cells *m,
                                            const cpoint *p,
                                            const moat_u128 *ip,
                                            moat_request *q);
/* The cell holding point p, or SIZE_MAX. */
MOAT_HIDDEN size_t moat__cells_locate(const moat_cells *m, const cpoint *p);

/* The `when` of box x (cells_json.c). */
MOAT_HIDDEN void moat__cells_when(moat_buf *b, const moat_cells *m,
                                  const cbox *x);
/* b's text, malloc'd (b is freed); NULL when b failed. */
MOAT_HIDDEN char *moat__cells_take(moat_buf *b, size_t *len);
/* The current time (the exposure's default instant). */
MOAT_HIDDEN int64_t moat__cells_now(void);
/* The exposure object of side (cells_exposure.c). */
MOAT_HIDDEN void moat__cells_exposure(moat_buf *b, const moat_cells *m,
                                      int side);
/* A 128-bit count in decimal (all: 2^128). */
MOAT_HIDDEN void moat__cells_u128_text(uint64_t hi, uint64_t lo, int all,
                                       char *out, size_t cap);

/* The cells of resource r of es over every instant (the audit's entry). */
MOAT_HIDDEN moat_status moat__cells_of(const moat_estate *es, const resource *r,
                                       moat_cells **out);

/* The cells of resource r of es cut to the exposure's internet probe at
** instant `at` (moat__probe_base: every dimension fixed but the source
** address), with caller.service and caller.resource_id reduced to their
** "absent" atom: what the audit needs of each resource, at a fraction of
** the whole space's cost. Probed at that point, they answer as the whole
** space's cells do (tests/unit/reach/). */
MOAT_HIDDEN moat_status moat__cells_internet(const moat_estate *es,
                                             const resource *r, int64_t at,
                                             moat_cells **out);

#endif /* MOAT_CELLS_API_H */
