/*
** replay_run.h - running replay over inputs with workers: the calling
** thread and threads of their own.
*/
#ifndef MOAT_REPLAY_RUN_H
#define MOAT_REPLAY_RUN_H

#include "replay.h"
#include "replay_input.h"

typedef struct replay_options {
    replay_config cfg[REPLAY_MAX_CONFIGS];
    int n_cfg;
    int threads; /* workers, this thread among them */
    FILE *changes;          /* --changes: records whose decision differs */
    FILE *decisions;        /* --decisions: every record */
    FILE *unmapped;         /* --unmapped: every unmapped record */
    uint64_t show_unmapped; /* how many unmapped records go to stderr */
    int progress;           /* progress on stderr */
    int suggest;            /* --suggest enforced: note what it refuses */
} replay_options;

/* Replays every input into total (initialized by the caller). Returns 0;
** -1 when out of memory; -2 when writing --changes or --decisions failed.
** *unmapped_shown: how many unmapped records were printed to stderr. */
int replay_run_all(const replay_options *opt, replay_input *inputs,
                   int n_inputs, replay_agg *total, uint64_t *unmapped_shown);

#endif
