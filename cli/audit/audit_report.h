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
} report_ctx;

void report_text(const report_ctx *c);
void report_json(const report_ctx *c);
void report_sarif(const report_ctx *c);
void report_junit(const report_ctx *c);

/* EXIT_FINDINGS when an active finding is at or above fail_on, or when
** the audit is incomplete (moat_audit_incomplete_count) unless
** allow_incomplete: what was not audited may hold anything. */
int report_exit(const moat_audit *a, moat_level fail_on, int allow_incomplete);

#endif
