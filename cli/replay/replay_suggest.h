/*
** replay_suggest.h - perimeter inbound rules learned from traffic
** (`moat replay --suggest enforced`).
*/
#ifndef MOAT_REPLAY_SUGGEST_H
#define MOAT_REPLAY_SUGGEST_H

#include "replay.h"

typedef struct suggest_options {
    uint64_t max_prefixes;  /* address prefixes per profile */
    uint64_t max_addresses; /* addresses the prefixes of a profile hold */
    uint64_t min_records;   /* a caller seen fewer times is not proposed */
    const char *write_proposal; /* the proposal as an estate directory */
    const char *const *estate_paths; /* the current estate's --estate */
    int n_estate_paths;
} suggest_options;

/* 128 bits: an IPv6 address, or a count of them (as src/reach/cells_int.h). */
__extension__ typedef unsigned __int128 sg_u128;

/* An IPv4 or IPv6 prefix and what it holds. */
typedef struct pfx {
    sg_u128 base;      /* the address; IPv4 in the low 32 bits */
    int v6;            /* 1 for IPv6 */
    int len;           /* prefix length */
    uint64_t records;  /* records of the addresses it holds */
    uint64_t observed; /* distinct observed addresses it holds */
} pfx;

/* Notes one record (its decision on the current estate) when Enforced
** would refuse what the current estate admits. */
void replay_suggest_note(replay_agg *a, const moat_log_request *m,
                         const moat_decision *d);
/* Aggregates v (n single addresses or prefixes) within the budget;
** returns how many prefixes remain in v; those left out go to dropped
** (room for n). */
size_t replay_suggest_aggregate(pfx *v, size_t n, uint64_t max_prefixes,
                                uint64_t max_addresses, pfx *dropped,
                                size_t *n_dropped);
/* The suggestion: written as text or JSON to o, the proposal to
** opt->write_proposal. 0, or -1 after printing why. */
int replay_suggest_report(const replay_agg *a, const moat_estate *es,
                          const suggest_options *opt, int json, FILE *o);

#endif
