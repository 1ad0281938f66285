/*
** audit_html.h - the audit as one self-contained HTML page: resources,
** exposure per source class, the reachability diagram, findings with
** their fixes, controls (docs/audit.md, "HTML").
*/
#ifndef MOAT_AUDIT_HTML_H
#define MOAT_AUDIT_HTML_H

#include "audit_report.h"

void report_html(const report_ctx *c);

#endif
