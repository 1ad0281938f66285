/*
** audit_deps.h - what audit.c and the dependency findings (audit/deps.c)
** share: MOAT015 dependency-refused, MOAT016 perimeter-unsupported-feature,
** MOAT017 runner-refused.
*/
#ifndef MOAT_AUDIT_DEPS_H
#define MOAT_AUDIT_DEPS_H

#include "estate/deps.h"

/* audit.c: a new finding of rule id ("MOAT015") on a resource, its
** fingerprint made of the rule, the resource and what; NULL when out of
** memory (the audit is then failed). */
MOAT_HIDDEN moat_finding *moat__audit_add_finding(
    moat_audit *a, const char *rule_id, const char *resource_id,
    const char *name, const char *address, const char *file, unsigned line,
    const char *message, const char *what);
/* audit.c: a resource the audit lists that is not a storage account or a
** vault (an app, a server, a plan address): its findings are the run
** from first_finding. */
MOAT_HIDDEN moat_audited *moat__audit_add_resource(moat_audit *a);
MOAT_HIDDEN size_t moat__audit_n_findings(const moat_audit *a);
/* The resource group of an ARM id ("<resource-group>" when it has none). */
MOAT_HIDDEN const char *moat__audit_rg(moat_audit *a, const char *id);
MOAT_HIDDEN void moat__audit_set_failed(moat_audit *a);

/* deps.c: every edge of es decided once (and every runner's request);
** NULL when out of memory. */
typedef struct deps_run deps_run;
MOAT_HIDDEN deps_run *moat__deps_begin(moat_audit *a, const moat_estate *es,
                                       const moat_audit_options *opt);
/* The findings that sit on the audited resource id. */
MOAT_HIDDEN void moat__deps_on(deps_run *d, const char *id);
/* The findings that sit on other resources, each listed as a resource of
** its own. */
MOAT_HIDDEN void moat__deps_end(deps_run *d);
MOAT_HIDDEN void moat__deps_free(deps_run *d);
/* Every edge decided (moat_audit_dependency()). */
MOAT_HIDDEN size_t moat__deps_count(const deps_run *d);
MOAT_HIDDEN const moat_dependency *moat__deps_at(const deps_run *d, size_t i);
MOAT_HIDDEN deps_run *moat__audit_deps(const moat_audit *a);

#endif /* MOAT_AUDIT_DEPS_H */
