/*
** explain.h - `moat explain`: what it found about one failure
** (cmd_explain.c) and the smallest fix for it (explain_fix.c).
*/
#ifndef MOAT_EXPLAIN_H
#define MOAT_EXPLAIN_H

#include "cli.h"
#include "failure.h"

/* What explain found, for both output forms. */
typedef struct finding {
    failure f;
    const char *layer;       /* from the codes, or moat's category */
    const char *input;       /* "http" or the log format's name */
    const char *azure;       /* a log record's outcome: allowed/denied */
    int decided;             /* moat decided the request */
    moat_decision d;
    char category[64];
    char rule[512];
    char reason[1024];
    char resource_id[512];
    int storage;
    int private_source;      /* the address Azure saw is private */
    char fix[2048];          /* the smallest fix, a sentence */
    char command[4096];      /* the az command that makes it, every word
                                shell-quoted; "" when it would not fit */
    char subnets[4][512];    /* a private source: the estate's subnets
                                whose prefixes hold it (the first four) */
    size_t n_subnets;
    char opens[512];         /* what it opens beyond this caller */
} finding;

/* The layer and the smallest fix (x->fix, command, opens) from moat's
** decision when there is one, else from what the codes say. */
void explain_fix(finding *x, const moat_estate *es);

#endif
