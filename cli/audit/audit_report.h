/*
** audit_report.h - the audit's report formats: text, JSON, SARIF 2.1.0 and
** JUnit XML, and the exit status they imply.
*/
#ifndef MOAT_AUDIT_REPORT_H
#define MOAT_AUDIT_REPORT_H

#include "cli.h"

typedef struct report_ctx {
    const moat_audit *audit;
    const moat_estate *estate;
    FILE *out;
    moat_level fail_on;
    int colour;
    const char *today;
    int allow_incomplete; /* --allow-incomplete */
    int soft_fail;        /* --soft-fail: report, exit 0 */
    int compact;          /* --compact: a line per finding */
    const char *const *checks; /* --check: only findings these select */
    size_t n_checks;
    const char *const *skips; /* --skip-check: not these */
    size_t n_skips;
} report_ctx;

/* Whether the finding is reported: selected by --check (when given) and
** not by --skip-check. A selector names a finding's rule (id MOAT001 or
** name internet-reachable), its control (storage-default-deny) or a CIS
** number (3.8, CIS 3.8), ignoring case. */
int report_keeps(const report_ctx *c, const moat_finding *f);
int report_selects(const char *sel, const moat_finding *f);

void report_text(const report_ctx *c);
void report_json(const report_ctx *c);
void report_sarif(const report_ctx *c);
void report_junit(const report_ctx *c);
void report_csv(const report_ctx *c);

/* EXIT_FINDINGS when an active finding is at or above fail_on, or when
** the audit is incomplete (moat_audit_incomplete_count) unless
** allow_incomplete: what was not audited may hold anything. */
int report_exit(const report_ctx *c);

/* --runner and --runner-from-env (audit_runner.c): the runners, in *out
** (free it and *storage); 0, or -1 after a usage error. */
int audit_runners(const cli_args *a, moat_runner **out, size_t *n,
                  char **storage);

#endif
