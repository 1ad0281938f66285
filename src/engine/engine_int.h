/*
** engine_int.h - what the engine's files (request.c, decide.c, explain.c)
** share, and the layers after it (replay, audit) may use: the bound
** request, the trace, the decision procedure. The rest of the library
** does not see it (docs/ARCHITECTURE.md).
*/
#ifndef MOAT_ENGINE_INT_H
#define MOAT_ENGINE_INT_H

#include "moat_int.h"

/*==========================================================================
** The bound request.
*/
#define MOAT_REQ_MAX_PERIMETERS 16

struct moat_request {
    const moat_estate *es;
    const resource *res;
    moat_plane plane;
    moat_endpoint endpoint;
    moat_protocol protocol;
    moat_operation op;
    moat_auth auth;
    const char *target;
    size_t target_len;
    moat_addr ip;
    /* source.subnet */
    const char *subnet;
    size_t subnet_len;
    uint64_t subnet_hash;
    const subnet_info *subnet_info; /* NULL when the estate lacks it */
    /* source.private_endpoint */
    const char *pe;
    size_t pe_len;
    uint64_t pe_hash;
    /* source.region */
    const char *region_text;
    uint32_t region;
    /* caller */
    const char *tenant_text;
    uint32_t tenant;
    const char *subscription_text;
    uint32_t subscription;
    const char *caller_id;
    size_t caller_id_len;
    moat_segments caller_seg;
    uint64_t caller_type_hash;
    uint64_t caller_hash;
    const char *service;
    caller_rows trust; /* the catalog rows naming the caller */
    int64_t time;      /* seconds since the epoch, when has_time */
    uint8_t has_time;
    uint32_t perimeters[MOAT_REQ_MAX_PERIMETERS];
    uint8_t n_perimeters;
    /* strings copied out of the caller's buffers */
    size_t pool_used;
    char pool[MOAT_REQ_POOL];
    /* Replay's memo (src/replay/log_apply.c): one block of its own,
    ** malloc'd with the first record set and freed with the request; kept
    ** across resets. */
    void *replay_memo;
};

/* The request's time, or now when it has none (section 7). */
MOAT_HIDDEN int64_t moat__request_time(const moat_request *q);

/* A string copied into the request's pool; NULL when it is full. */
MOAT_HIDDEN const char *moat__request_copy(moat_request *q, const char *s,
                                           size_t n);

/*==========================================================================
** decide.c - the procedure of decision.md section 4, with an optional
** trace for explanations.
*/
/* The path a decision took, layer by layer: decide.c writes it (when
** given one), explain.c reads it. */
#define MOAT_TRACE_MAX_STEPS 48
typedef struct moat_trace {
    moat_step steps[MOAT_TRACE_MAX_STEPS];
    size_t n;
    moat_arena *arena; /* holds the steps' text */
} moat_trace;

MOAT_HIDDEN moat_status moat__decide(const moat_request *q, moat_decision *d,
                                     moat_trace *t);
/* Subnet si reaches resource r through a service endpoint (decision.md
** section 6); a subnet the estate lacks (NULL) is taken as it says. */
MOAT_HIDDEN int moat__subnet_reaches(const subnet_info *si, const resource *r);

#endif /* MOAT_ENGINE_INT_H */
