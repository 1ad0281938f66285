/*
** audit_int.h - what the audit's files share (src/audit/): the rules and
** CIS numbering (audit_rules.c), the audit object (audit.c), the facts of a
** resource (audit_facts.c), findings (audit_findings.c), controls
** (audit_controls.c), exposure (audit_exposure.c), suppressions and
** baselines (audit_filter.c).
*/
#ifndef MOAT_AUDIT_INT_H
#define MOAT_AUDIT_INT_H

#include "engine_int.h"
#include "audit/audit_deps.h"
#include "reach/reach.h"

#include <stdarg.h>

/* Suppressions (audit_filter.c). */
struct audit_filters {
    moat_suppression *v;
    size_t n;
};
MOAT_HIDDEN moat_arena *moat__audit_arena(moat_audit *a);
MOAT_HIDDEN struct audit_filters *moat__audit_filters(moat_audit *a);
MOAT_HIDDEN moat_finding *moat__audit_findings(moat_audit *a, size_t *n);

/* The rules (kinds of findings), in moat__audit_rules order. */
enum {
    R_INTERNET,
    R_WIDE_RANGE,
    R_LOG_METRICS,
    R_WILDCARD_INSTANCE,
    R_CROSS_TENANT_INSTANCE,
    R_DISABLED_EXCEPTIONS,
    R_LOCKDOWN,
    R_NOT_ENFORCING,
    R_VNET_NO_ENDPOINT,
    R_VNET_INACTIVE,
    R_INVALID_RULE,
    R_PE_NOT_APPROVED,
    R_UNKNOWN,
    R_TENANT_UNKNOWN,
    R_DEP_REFUSED, /* MOAT015-017: audit/deps.c */
    R_PERIMETER_FEATURE,
    R_RUNNER_REFUSED,
    R_STORAGE_TAG_RULE, /* MOAT018 */
    R_CTL_STORAGE_DEFAULT_DENY,
    R_CTL_STORAGE_TRUSTED,
    R_CTL_STORAGE_PE,
    R_CTL_STORAGE_PNA,
    R_CTL_KEYVAULT_PE,
    R_CTL_KEYVAULT_PNA,
    R_CTL_KEYVAULT_DEFAULT_DENY,
    R_COUNT
};

/* The CIS controls moat judges; their numbers per CIS version. */
enum {
    C_STORAGE_DEFAULT_DENY,
    C_STORAGE_TRUSTED,
    C_STORAGE_PE,
    C_STORAGE_PNA,
    C_KEYVAULT_PE,
    C_KEYVAULT_PNA,
    C_KEYVAULT_DEFAULT_DENY,
    C_COUNT
};
#define N_CIS 10
#define CIS_4 7 /* index of 4.0.0 */
MOAT_HIDDEN extern const moat_audit_rule moat__audit_rules[R_COUNT];
MOAT_HIDDEN extern const char *const moat__audit_cis_versions[N_CIS];
MOAT_HIDDEN extern const char *const moat__audit_cis_ids[C_COUNT][N_CIS];
MOAT_HIDDEN extern const int moat__audit_control_rule[C_COUNT];

/* The audit object. */
#define VEC_OF(T)                                                              \
    struct {                                                                   \
        T *v;                                                                  \
        size_t n, cap;                                                         \
    }

typedef struct addr_count {
    moat_u128 n; /* addresses, unless `all` */
    int all;     /* every address of the family */
} addr_count;

struct moat_audit {
    moat_arena arena;
    struct audit_filters filters;
    VEC_OF(moat_audited) resources;
    VEC_OF(moat_finding) findings;
    VEC_OF(moat_control_result) controls;
    VEC_OF(moat_exposure) exposures;
    VEC_OF(moat_incomplete) incomplete;
    struct deps_run *deps; /* audit/deps.c */
    int failed;
    /* the internet exposure of the resource being audited (src/reach) */
    const resource *inet_for;
    addr_count inet[2];
    /* the cells of the resource being audited, for MOAT002's per-rule
    ** counts and MOAT008 (audit_reach.c); freed after its findings */
    moat_cells *cells;
    int cells_tried;
};

#define PUSH(a, vec)                                                           \
    moat__audit_grow((a), (void **)&(vec).v, &(vec).n, &(vec).cap,             \
                     sizeof *(vec).v)

typedef struct facts {
    const moat_estate *es;
    const resource *r;
    const assoc *a;
    int nsp;      /* a Learning or Enforced association decides first */
    int enforced; /* ... and it is Enforced */
    int locked;   /* SecuredByPerimeter without an association */
    int fallback; /* the resource's own rules are consulted */
    int firewall; /* IP and virtual network rules are consulted */
    int storage;
} facts;


typedef struct audit_run {
    moat_audit *a;
    const moat_estate *es;
    int cis_only; /* index into cis_versions, or -1 for all */
} audit_run;

MOAT_HIDDEN void *moat__audit_grow(moat_audit *a, void **v, size_t *n,
                                   size_t *cap, size_t size);
MOAT_HIDDEN char *moat__audit_fmt(moat_audit *a, const char *f, ...)
    MOAT_PRINTF(2, 3);
MOAT_HIDDEN char *moat__audit_cmd(moat_audit *a, const char *f, ...);
MOAT_HIDDEN void moat__audit_facts_of(facts *f, const moat_estate *es,
                                      const resource *r);
MOAT_HIDDEN moat_basis moat__audit_pe_counts(const resource *r,
                                             unsigned *approved,
                                             unsigned *unknown);
MOAT_HIDDEN const char *moat__audit_rg_of_id(moat_audit *a, const char *id);
MOAT_HIDDEN unsigned moat__audit_own_tenant_rars(const resource *r);
MOAT_HIDDEN moat_basis moat__audit_mode_basis(const facts *f);
MOAT_HIDDEN moat_basis moat__audit_to_basis(basis b);
MOAT_HIDDEN moat_basis moat__audit_weaker(moat_basis a, moat_basis b);
MOAT_HIDDEN const char *moat__audit_rg_of(moat_audit *a, const resource *r);
MOAT_HIDDEN const char *moat__audit_id_after(moat_audit *a, const char *id,
                                             const char *type,
                                             const char *otherwise);
MOAT_HIDDEN size_t moat__audit_public_sets(const facts *f,
                                           const moat_prefix_set **sets);
MOAT_HIDDEN addr_count moat__audit_internet_addresses(moat_audit *a,
                                                      const facts *f,
                                                      int family);
MOAT_HIDDEN const char *moat__audit_count_text(moat_audit *a, addr_count c);
/* audit_reach.c: the findings that speak of reachability, from the cells. */
MOAT_HIDDEN const moat_cells *moat__audit_cells(moat_audit *a, const facts *f);
MOAT_HIDDEN void moat__audit_cells_done(moat_audit *a);
MOAT_HIDDEN void moat__audit_find_wide_rules(moat_audit *a, const facts *f,
                                             uint64_t threshold);
MOAT_HIDDEN void moat__audit_find_not_enforcing(moat_audit *a,
                                                const facts *f);
MOAT_HIDDEN moat_finding *moat__audit_finding(moat_audit *a, const resource *r,
                                              int rule, const char *what,
                                              const char *message);
MOAT_HIDDEN void moat__audit_evidence(moat_audit *a, moat_finding *f,
                                      const char *path, const char *value,
                                      moat_basis b);
MOAT_HIDDEN const char *moat__audit_bypass_text(unsigned bypass);
MOAT_HIDDEN const char *moat__audit_az_target(moat_audit *a, const resource *r);
MOAT_HIDDEN const char *moat__audit_az_update(moat_audit *a, const resource *r,
                                              const char *args);
MOAT_HIDDEN void moat__audit_controls_of(audit_run *run, const facts *f);
MOAT_HIDDEN void moat__audit_exposure_of(moat_audit *a, const facts *f);
MOAT_HIDDEN void moat__audit_findings_of(moat_audit *a, const facts *f,
                                         uint64_t wide);

#endif /* MOAT_AUDIT_INT_H */
