/*
** fuzz_plan.c - a Terraform plan (`terraform show -json`, untrusted: it
** comes from a pull request) read as `moat diff PLAN.json` reads it, its
** prior state (MOAT_LOAD_PLAN_PRIOR) against its planned values, then the
** diff of each resource of either side (docs/reach.md): nothing crashes or
** leaks; every newly allowed cell's witness is denied by OLD and allowed by
** NEW through moat_decide, and every newly denied one the reverse; the
** diff's JSON is JSON and its text builds.
*/
#include "moat.h"

#include <cjson/cJSON.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define PLAN_RESOURCES 4 /* resources diffed per side */
#define PLAN_CELLS 256   /* changed cells checked per resource */

static moat_estate *plan_side(const unsigned char *data, size_t size,
                              unsigned flags)
{
    moat_loader *ld = moat_loader_new(flags | MOAT_LOAD_LENIENT);
    moat_estate *es = NULL;
    if (ld == NULL)
        return NULL;
    moat_loader_add_json(ld, "plan.json", (const char *)data, size);
    moat_loader_finish(ld, &es);
    moat_loader_free(ld);
    return es;
}

/* The witness of cell i on side, decided by that side's estate: its
** verdict, or MOAT_DENY when the side has no such resource (absent
** denies everything). */
static moat_verdict witness_verdict(const moat_cells *c, size_t i, int side,
                                    const moat_estate *es, const char *id)
{
    moat_decision d;
    memset(&d, 0, sizeof d);
    d.verdict = MOAT_DENY;
    if (id == NULL)
        return MOAT_DENY;
    moat_request *q = moat_request_new(es);
    if (q && moat_cell_witness(c, i, side, q) == MOAT_OK)
        moat_decide(q, &d);
    else if (q)
        __builtin_trap(); /* a present side always has a witness */
    moat_request_free(q);
    return d.verdict;
}

static void check_outputs(const moat_cells *c)
{
    char *json = moat_cells_diff_json(c, NULL);
    cJSON *doc = json ? cJSON_Parse(json) : NULL;
    if (json && doc == NULL)
        __builtin_trap();
    cJSON_Delete(doc);
    moat_free(json);
    moat_free(moat_cells_diff_text(c, NULL));
}

static void diff_one(const moat_estate *old_es, const moat_estate *new_es,
                     const char *id)
{
    const char *old_id = moat_estate_has_resource(old_es, id) ? id : NULL;
    const char *new_id = moat_estate_has_resource(new_es, id) ? id : NULL;
    moat_cells *c = NULL;
    if (moat_cells_diff(old_es, old_id, new_es, new_id, NULL, &c) != MOAT_OK)
        return;
    size_t checked = 0;
    for (size_t i = 0; i < moat_cells_count(c) && checked < PLAN_CELLS; i++) {
        int ch = moat_cell_change(c, i);
        if (ch == 0)
            continue;
        checked++;
        moat_verdict before = witness_verdict(c, i, 0, old_es, old_id);
        moat_verdict after = witness_verdict(c, i, 1, new_es, new_id);
        if ((ch > 0 && (before != MOAT_DENY || after != MOAT_ALLOW)) ||
            (ch < 0 && (before != MOAT_ALLOW || after != MOAT_DENY)))
            __builtin_trap();
    }
    check_outputs(c);
    moat_cells_free(c);
}

static void diff_side(const moat_estate *old_es, const moat_estate *new_es,
                      const moat_estate *from, int skip_shared)
{
    for (size_t i = 0;
         i < moat_estate_resource_count(from) && i < PLAN_RESOURCES; i++) {
        const char *id = moat_estate_resource_id(from, i, NULL, NULL, NULL);
        if (id && !(skip_shared && moat_estate_has_resource(new_es, id)))
            diff_one(old_es, new_es, id);
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    moat_estate *old_es = plan_side(data, size, MOAT_LOAD_PLAN_PRIOR);
    moat_estate *new_es = old_es ? plan_side(data, size, 0) : NULL;
    if (old_es && new_es) {
        diff_side(old_es, new_es, new_es, 0);
        diff_side(old_es, new_es, old_es, 1); /* removed resources */
    }
    moat_estate_free(old_es);
    moat_estate_free(new_es);
    return 0;
}
