/*
** fuzz_estate.c - the estate loader and compiler on arbitrary bytes, then
** a few decisions and an audit against whatever loaded (strict, lenient,
** and lenient reading the same bytes as a service-tag file too):
** diagnostics always
** name a message; nothing crashes or leaks; every decision fails closed;
** every audit result names its resource and a known status, and what was
** not read is said (an audit of nothing is incomplete); and when the
** estate loads without --lenient, it loads with it and decides the same
** (lenient only changes what strict refuses); and the cells of each of
** its first resources agree with moat_decide (docs/reach.md).
*/
#include "moat.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *const estate_probe_requests[] = {
    "{\"resource\":\"a\",\"source\":{\"ip\":\"203.0.113.7\"}}",
    "{\"resource\":\"a\",\"source\":{\"ip\":\"2001:db8::1\",\"subnet\":\"s\"},"
    "\"caller\":{\"tenant\":\"t\",\"service\":\"Microsoft.Sql\"}}",
    "{\"resource\":\"a\",\"source\":{\"private_endpoint\":\"p\"},"
    "\"caller\":{\"perimeters\":[\"g\"]}}",
};

static void audit(const moat_estate *es)
{
    moat_audit *a = NULL;
    /* One runner with an address, one without (a hosted runner): the
    ** pre-flight of a plan's data-plane resources (MOAT017). */
    static const moat_runner runners[] = {
        {"203.0.113.5", "203.0.113.5", "westeurope", NULL, NULL},
        {"hosted", NULL, NULL, NULL, NULL},
    };
    moat_audit_options opt = {NULL, 0, runners, 2};
    if (moat_audit_run(es, &opt, &a) != MOAT_OK)
        return;
    size_t findings = 0;
    for (size_t i = 0; i < moat_audit_resource_count(a); i++)
        findings += moat_audit_resource(a, i)->n_findings;
    if (findings != moat_audit_finding_count(a))
        __builtin_trap();
    for (size_t i = 0; i < moat_audit_control_count(a); i++) {
        const moat_control_result *c = moat_audit_control(a, i);
        if (c->resource == NULL || c->reason == NULL ||
            (c->status == MOAT_CONTROL_PASS && c->basis == MOAT_BASIS_UNKNOWN))
            __builtin_trap();
    }
    for (size_t i = 0; i < moat_audit_finding_count(a); i++) {
        const moat_finding *f = moat_audit_finding(a, i);
        if (f->message == NULL || f->fingerprint == NULL)
            __builtin_trap();
    }
    /* What the estate did not read is never lost on the way. */
    if (moat_audit_incomplete_count(a) < moat_estate_incomplete_count(es) ||
        (moat_audit_resource_count(a) == 0 &&
         moat_audit_incomplete_count(a) == 0))
        __builtin_trap();
    for (size_t i = 0; i < moat_audit_incomplete_count(a); i++) {
        const moat_incomplete *g = moat_audit_incomplete(a, i);
        if (g->file == NULL || g->resource == NULL || g->what == NULL ||
            g->why == NULL)
            __builtin_trap();
    }
    char *base = moat_audit_baseline_json(a);
    if (base)
        moat_audit_apply_baseline(a, base, strlen(base), NULL);
    moat_free(base);
    moat_audit_free(a);
}

/* Exact reasoning on whatever loaded (docs/reach.md): each cell's witness
** gets the cell's decision from moat_decide, a diff of the estate with
** itself opens and closes nothing, and the outputs build. */
static void reach_one(const moat_estate *es, const char *id)
{
    moat_cells *c = NULL;
    if (moat_cells_compute(es, id, NULL, &c) != MOAT_OK)
        return;
    moat_request *q = moat_request_new(es);
    for (size_t i = 0; q && i < moat_cells_count(c) && i < 64; i++) {
        moat_decision want, got;
        if (moat_cell_decision(c, i, 0, &want) != MOAT_OK ||
            moat_cell_witness(c, i, 0, q) != MOAT_OK ||
            moat_decide(q, &got) != MOAT_OK || want.verdict != got.verdict ||
            want.category != got.category || want.rule_ != got.rule_)
            __builtin_trap();
    }
    moat_request_free(q);
    moat_free(moat_cells_reach_text(c, NULL));
    moat_free(moat_cells_reach_json(c, 0, NULL));
    moat_cells_free(c);
    if (moat_cells_diff(es, id, es, id, NULL, &c) != MOAT_OK)
        return;
    for (size_t i = 0; i < moat_cells_count(c); i++) {
        if (moat_cell_change(c, i) != 0)
            __builtin_trap();
    }
    moat_cells_free(c);
}

static void reach(const moat_estate *es)
{
    for (size_t i = 0; i < moat_estate_resource_count(es) && i < 4; i++)
        reach_one(es, moat_estate_resource_id(es, i, NULL, NULL, NULL));
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    int strict[3] = {-1, -1, -1}; /* verdicts without --lenient, or -1 */
    int strict_loaded = 0;
    for (unsigned pass = 0; pass < 3; pass++) {
        unsigned flags = pass ? MOAT_LOAD_LENIENT : 0;
        moat_loader *ld = moat_loader_new(flags);
        if (ld == NULL)
            return 0;
        moat_loader_add_json(ld, "fuzz.json", (const char *)data, size);
        /* The third pass reads the bytes as a service-tag file too, so
        ** that the tags a perimeter rule names may be found in them. */
        if (pass == 2)
            moat_loader_add_service_tags_json(ld, "tags.json",
                                              (const char *)data, size);
        moat_estate *es = NULL;
        moat_status rc = moat_loader_finish(ld, &es);
        for (size_t i = 0; i < moat_loader_diag_count(ld); i++) {
            const moat_diag *d = moat_loader_diag(ld, i);
            if (d->message == NULL || d->message[0] == '\0')
                __builtin_trap();
        }
        /* What loads strictly loads leniently, and decides the same (the
        ** third pass adds service tags, which may admit more). */
        if ((rc == MOAT_OK) != (es != NULL) ||
            (pass == 1 && strict_loaded && es == NULL))
            __builtin_trap();
        strict_loaded |= pass == 0 && es != NULL;
        /* The estate must not depend on the loader's memory. */
        moat_loader_free(ld);
        if (es) {
            moat_free(moat_estate_describe(es, NULL));
            moat_request *q = moat_request_new(es);
            moat_explanation *x = moat_explanation_new();
            for (size_t i = 0; q && x && i < 3; i++) {
                const char *r = estate_probe_requests[i];
                moat_decision d;
                if (moat_request_parse(q, r, strlen(r), NULL) != MOAT_OK) {
                    if (moat_decide(q, &d) == MOAT_OK || d.verdict != MOAT_DENY)
                        __builtin_trap();
                    continue;
                }
                moat_decide(q, &d);
                if (pass == 0)
                    strict[i] = (int)d.verdict;
                else if (pass == 1 && strict[i] >= 0 &&
                         strict[i] != (int)d.verdict)
                    __builtin_trap();
                moat_explain(q, x, MOAT_EXPLAIN_STEPS);
                char out[256];
                moat_explanation_json(x, out, sizeof out);
            }
            moat_explanation_free(x);
            moat_request_free(q);
            audit(es);
            reach(es);
            moat_estate_free(es);
        }
    }
    return 0;
}
