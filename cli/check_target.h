/*
** check_target.h - `moat check --resource` by hostname or URL, and "did
** you mean" for a name the estate lacks (check_target.c).
*/
#ifndef MOAT_CHECK_TARGET_H
#define MOAT_CHECK_TARGET_H

#include "cli.h"

typedef struct check_target {
    char name[128];    /* the account or vault */
    char endpoint[8];  /* blob, dfs, file, queue, table, web, vault */
    char target[256];  /* the URL's container, share or table, or "" */
    int http;          /* http:// */
} check_target;

/* text as a storage or vault hostname or URL: 0, or -1 when it is none
** (then it is an ARM id or a name). */
int check_target_parse(const char *text, check_target *t);

/* The estate's resource names closest to name, comma-separated, into out
** ("" when none is close). */
void check_did_you_mean(const moat_estate *es, const char *name, char *out,
                        size_t cap);

#endif
