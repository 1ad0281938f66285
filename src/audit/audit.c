/*
** audit.c - posture judged on effective access.
**
** For every storage account and key vault: the CIS Microsoft Azure
** Foundations controls (reference/posture-tools.md section 2), each judged
** on what Azure does (defaults counted, publicNetworkAccess and perimeters
** before the firewall) and marked explicit, default or unknown; what each
** class of sources can reach and through which rule; and findings no
** field-by-field scanner makes (wide ranges, wildcard or cross-tenant
** instance rules, exceptions that outlive Disabled, perimeters that do not
** enforce, rules that can never match, values Azure would refuse).
**
** The reasoning mirrors decide.c: a source class is admitted when the
** procedure of decision.md section 4 would admit some request of that
** class. tests/unit/audit/test_audit.c checks the claims against moat_decide.
*/
#include "audit_int.h"

#include <stdlib.h>
#include <string.h>

/*--------------------------------------------------------------------------
** The audit object.
*/
void *moat__audit_grow(moat_audit *a, void **v, size_t *n, size_t *cap, size_t size)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        void *p = realloc(*v, nc * size);
        if (p == NULL) {
            a->failed = 1;
            return NULL;
        }
        *v = p;
        *cap = nc;
    }
    void *slot = (char *)*v + (*n)++ * size;
    memset(slot, 0, size);
    return slot;
}

/* b's text in the audit's arena, b freed; "" (and the audit failed) when
** out of memory. */
static char *audit_keep(moat_audit *a, moat_buf *b)
{
    char *s = b->failed ? NULL : moat__arena_strndup(&a->arena, b->data, b->len);
    moat__buf_free(b);
    if (s == NULL)
        a->failed = 1;
    return s ? s : (char *)"";
}

char *moat__audit_fmt(moat_audit *a, const char *f, ...)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    va_list ap;
    va_start(ap, f);
    moat__buf_vprintf(&b, f, ap);
    va_end(ap);
    return audit_keep(a, &b);
}

/* A fix command: f as moat__shell_vprintf (src/base/shell.c), every %s a
** shell-quoted word. */
char *moat__audit_cmd(moat_audit *a, const char *f, ...)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    va_list ap;
    va_start(ap, f);
    moat__shell_vprintf(&b, f, ap);
    va_end(ap);
    return audit_keep(a, &b);
}

void moat_audit_free(moat_audit *a)
{
    if (a == NULL)
        return;
    free(a->resources.v);
    free(a->findings.v);
    free(a->controls.v);
    free(a->exposures.v);
    free(a->incomplete.v);
    moat__deps_free(a->deps);
    moat__arena_free(&a->arena);
    free(a);
}

moat_arena *moat__audit_arena(moat_audit *a)
{
    return &a->arena;
}

struct audit_filters *moat__audit_filters(moat_audit *a)
{
    return &a->filters;
}

moat_finding *moat__audit_findings(moat_audit *a, size_t *n)
{
    *n = a ? a->findings.n : 0;
    return a ? a->findings.v : NULL;
}

size_t moat_audit_resource_count(const moat_audit *a)
{
    return a ? a->resources.n : 0;
}

const moat_audited *moat_audit_resource(const moat_audit *a, size_t i)
{
    return a && i < a->resources.n ? &a->resources.v[i] : NULL;
}

size_t moat_audit_finding_count(const moat_audit *a)
{
    return a ? a->findings.n : 0;
}

const moat_finding *moat_audit_finding(const moat_audit *a, size_t i)
{
    return a && i < a->findings.n ? &a->findings.v[i] : NULL;
}

size_t moat_audit_control_count(const moat_audit *a)
{
    return a ? a->controls.n : 0;
}

const moat_control_result *moat_audit_control(const moat_audit *a, size_t i)
{
    return a && i < a->controls.n ? &a->controls.v[i] : NULL;
}

size_t moat_audit_exposure_count(const moat_audit *a)
{
    return a ? a->exposures.n : 0;
}

const moat_exposure *moat_audit_exposure(const moat_audit *a, size_t i)
{
    return a && i < a->exposures.n ? &a->exposures.v[i] : NULL;
}

size_t moat_audit_incomplete_count(const moat_audit *a)
{
    return a ? a->incomplete.n : 0;
}

const moat_incomplete *moat_audit_incomplete(const moat_audit *a, size_t i)
{
    return a && i < a->incomplete.n ? &a->incomplete.v[i] : NULL;
}

/* What the audit could not judge: what the estate could not read, and an
** audit that judged nothing at all (no storage account or key vault: the
** wrong file, or a template whose resources are all elsewhere), which a
** gate must not take for a clean one. */
static void incomplete_of(moat_audit *a, const moat_estate *es)
{
    for (size_t i = 0; i < es->n_incomplete; i++) {
        moat_incomplete *g = PUSH(a, a->incomplete);
        if (g)
            *g = es->incomplete[i];
    }
    if (es->n_resources)
        return;
    moat_incomplete *g = PUSH(a, a->incomplete);
    if (g) {
        g->file = g->resource = "";
        g->what = "the estate";
        g->why =
            "it holds no storage account or key vault moat could read, so nothing was audited";
    }
}

/*--------------------------------------------------------------------------
** Entry point.
*/
moat_status moat_audit_run(const moat_estate *es, const moat_audit_options *opt,
                           moat_audit **out)
{
    *out = NULL;
    if (es == NULL)
        return MOAT_E_INVAL;
    audit_run run = {NULL, es, -1};
    if (opt && opt->cis_version) {
        for (size_t i = 0; i < N_CIS; i++) {
            if (strcmp(moat__audit_cis_versions[i], opt->cis_version) == 0 ||
                (strlen(opt->cis_version) == 3 &&
                 strncmp(moat__audit_cis_versions[i], opt->cis_version, 3) == 0))
                run.cis_only = (int)i;
        }
        if (run.cis_only < 0)
            return MOAT_E_INVAL;
    }
    uint64_t wide =
        opt && opt->wide_ip_addresses ? opt->wide_ip_addresses : 65536;
    moat_audit *a = calloc(1, sizeof *a);
    if (a == NULL)
        return MOAT_E_NOMEM;
    moat__arena_init(&a->arena, 0);
    run.a = a;
    a->deps = es->n_deps ? moat__deps_begin(a, es, opt) : NULL;
    if (es->n_deps && a->deps == NULL)
        a->failed = 1;
    for (size_t i = 0; i < es->n_resources && !a->failed; i++) {
        facts f;
        const resource *r = &es->resources[i];
        moat__audit_facts_of(&f, es, r);
        moat_audited *ar = PUSH(a, a->resources);
        if (ar == NULL)
            break;
        ar->id = r->id;
        ar->name = r->name;
        ar->kind = r->kind == RES_STORAGE ? "storage" : "keyvault";
        ar->file = r->file;
        ar->line = r->line;
        ar->address = r->address;
        ar->first_finding = a->findings.n;
        ar->first_control = a->controls.n;
        ar->first_exposure = a->exposures.n;
        moat__audit_controls_of(&run, &f);
        moat__audit_findings_of(a, &f, wide);
        moat__deps_on(a->deps, r->id);
        moat__audit_exposure_of(a, &f);
        ar->n_findings = a->findings.n - ar->first_finding;
        ar->n_controls = a->controls.n - ar->first_control;
        ar->n_exposures = a->exposures.n - ar->first_exposure;
    }
    moat__deps_end(a->deps);
    incomplete_of(a, es);
    if (a->failed) {
        moat_audit_free(a);
        return MOAT_E_NOMEM;
    }
    *out = a;
    return MOAT_OK;
}
