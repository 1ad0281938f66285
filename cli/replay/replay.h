/*
** replay.h - `moat replay`: access logs decided against the current estate
** and proposed ones.
**
**   replay_input.c  files (plain or gzip) and stdin, cut into chunks of
**                   whole records, with their line numbers
**   replay_run.c    workers (the main thread too): read, map, decide every
**                   configuration
**   replay_agg.c    the aggregates: counts, changes, dead rules, fidelity;
**                   JSON partials that merge exactly; the text report
**   replay_part.c   a JSON partial read back for --merge, its counts checked
**   cmd_replay.c    the command line
*/
#ifndef MOAT_REPLAY_H
#define MOAT_REPLAY_H

#include "cli.h"
#include "strmap.h"

#include <stdint.h>

#define REPLAY_MAX_CONFIGS 16

typedef struct replay_config {
    const char *name; /* "current", or the NAME of --proposed NAME=PATH */
    moat_estate *es;
} replay_config;

/* Per configuration. */
typedef struct cfg_agg {
    uint64_t allow, deny;
    uint64_t missing; /* records whose account this configuration lacks */
    uint64_t categories[MOAT_CAT_COUNT_];
    uint64_t newly_denied, newly_allowed; /* against the current one */
    uint64_t *rule_hits;                  /* by rule number */
    size_t n_rules;
    strmap rules; /* merged form: "owner\trule" -> hits */
} cfg_agg;

/* Per account and proposed configuration: who is affected. */
typedef struct change_agg {
    uint64_t newly_denied, newly_allowed;
    strmap denied_sources, denied_identities;
    strmap allowed_sources, allowed_identities;
    /* why: "what admitted it before\twhy it is refused now\twho", the
    ** caller named as the estate knows it (service, identity, address) */
    strmap denied_causes;
} change_agg;

typedef struct account_agg {
    uint64_t records;
    change_agg changes[REPLAY_MAX_CONFIGS]; /* [0] unused: current */
} account_agg;

typedef struct replay_agg {
    int n_cfg;
    const char *names[REPLAY_MAX_CONFIGS];
    const moat_estate *es[REPLAY_MAX_CONFIGS]; /* NULL for merged summaries */
    uint64_t records, mapped, unmapped;
    strmap unmapped_reasons;
    strmap formats; /* records per log format */
    cfg_agg cfg[REPLAY_MAX_CONFIGS];
    strmap accounts; /* account id -> account_agg */
    /* Fidelity: Azure's own outcome against the current decision. */
    uint64_t azure_denied_moat_denied, azure_denied_moat_allowed;
    uint64_t azure_allowed_moat_allowed, azure_allowed_moat_denied;
    strmap disagreements; /* "account\tazure\tcategory\tsource" -> n */
    /* Perimeter access records: moat's category and rule against Azure's
    ** (replay/replay_nsp.c). */
    uint64_t nsp_records, nsp_agree;
    strmap nsp_disagreements; /* "resource\tazure category\tazure rule\t
                                 moat category\tmoat rule" -> n */
    /* --suggest: records Enforced would refuse, by "resource\tkind\tcaller"
    ** (replay/replay_suggest.c): events, and records. */
    strmap suggest, suggest_records;
    int failed;           /* out of memory somewhere */
    /* Accounts by the address of their id text (the estate's, stable):
    ** a direct-mapped cache in front of the map. */
    const char *cache_key[64];
    account_agg *cache_val[64];
} replay_agg;

/* An aggregate over configs; rule_hits sized for each estate. */
int replay_agg_init(replay_agg *a, const replay_config *cfg, int n_cfg);
void replay_agg_free(replay_agg *a);

/* One mapped record and its decision per configuration (verdict -1: the
** configuration lacks the account). */
typedef struct replay_outcome {
    const moat_log_request *m;
    moat_decision d[REPLAY_MAX_CONFIGS];
    int verdict[REPLAY_MAX_CONFIGS]; /* MOAT_ALLOW, MOAT_DENY, or -1 */
    long rule[REPLAY_MAX_CONFIGS];
    /* A perimeter record: the current decision in the perimeter's terms
    ** (moat_decision_nsp_terms), NULL otherwise. */
    const char *nsp_category, *nsp_rule;
} replay_outcome;

/* The aggregate of an account, created when absent; NULL (and a->failed)
** when out of memory. */
account_agg *replay_agg_account(replay_agg *a, const char *id, size_t n);
void replay_agg_unmapped(replay_agg *a, const char *reason);
void replay_agg_record(replay_agg *a, const replay_outcome *o);
/* Adds from into into (same configurations). */
int replay_agg_merge(replay_agg *into, const replay_agg *from);
/* Turns rule hits by number into hits by "owner\trule" for the accounts
** seen, so that partials of different runs merge by name. */
int replay_agg_name_rules(replay_agg *a, const replay_config *cfg);

void replay_agg_json(const replay_agg *a, FILE *o);
void replay_agg_text(const replay_agg *a, FILE *o, int top);
/* Adds the JSON summary of path (written by replay_agg_json) to a, which
** the first summary initializes with its configuration names; the counts
** are checked first (replay_part.c). 0, or -1 with "path: ..." in err. */
int replay_agg_read(replay_agg *a, const char *path, const char *json,
                    size_t len, char *err, size_t err_cap);

/* A copy of key split at its tabs into f[0..n-1] ("" past the last
** field); the copy is the caller's to free (NULL: out of memory). */
char *key_fields(const char *key, const char **f, int n);
/* Each entry of m, sorted by key, as a JSON object: the key's fields under
** names, then "records" (the rows of a list, comma-separated). */
void replay_json_rows(FILE *o, const strmap *m, const char *const *names,
                      int n_names);

/* Perimeter access records (replay/replay_nsp.c): one record's fidelity,
** merging, the summary's "nsp_fidelity" (written when there were such
** records), the text report, and a partial's, read from its cJSON root
** and checked (0, or -1 with the field in err). */
void replay_nsp_record(replay_agg *a, const replay_outcome *o);
int replay_nsp_merge(replay_agg *into, const replay_agg *from);
void replay_nsp_json(const replay_agg *a, FILE *o);
void replay_nsp_text(const replay_agg *a, FILE *o, int top);
int replay_nsp_read(replay_agg *a, const void *root_json, char *err,
                    size_t cap);

#endif
