/*
** fuzz_reach.c - `moat reach`'s rendering (library code: docs/reach.md) on
** whatever estate the bytes load into: for each of its first resources,
** at every instant and at one, the text, the Graphviz edges, the JSON with
** its cells and the exposure build without crashing or leaking; the JSON
** is JSON with the documented keys, its exposure is the one
** moat_cells_exposure_json gives, and there is one cell per cell.
*/
#include "moat.h"

#include <cjson/cJSON.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define REACH_RESOURCES 4

static cJSON *parsed(char *text)
{
    cJSON *doc = text ? cJSON_Parse(text) : NULL;
    if (text && doc == NULL)
        __builtin_trap();
    moat_free(text);
    return doc;
}

static void check_json(const moat_cells *c)
{
    cJSON *doc = parsed(moat_cells_reach_json(c, 1, NULL));
    cJSON *exp = parsed(moat_cells_exposure_json(c, 0, NULL));
    if (doc) {
        static const char *const keys[] = {"resource", "kind", "association",
                                           "exposure", "domain", "cells"};
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            if (!cJSON_HasObjectItem(doc, keys[k]))
                __builtin_trap();
        }
        if ((size_t)cJSON_GetArraySize(cJSON_GetObjectItem(doc, "cells")) !=
            moat_cells_count(c))
            __builtin_trap();
        if (exp && !cJSON_Compare(cJSON_GetObjectItem(doc, "exposure"), exp, 1))
            __builtin_trap();
    }
    cJSON_Delete(doc);
    cJSON_Delete(exp);
}

static void render(const moat_estate *es, const char *id, const char *time)
{
    moat_cells *c = NULL;
    if (moat_cells_compute(es, id, time, &c) != MOAT_OK)
        return;
    moat_free(moat_cells_reach_text(c, NULL));
    moat_free(moat_cells_reach_dot(c, NULL));
    check_json(c);
    moat_cells_free(c);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    moat_loader *ld = moat_loader_new(MOAT_LOAD_LENIENT);
    moat_estate *es = NULL;
    if (ld == NULL)
        return 0;
    moat_loader_add_json(ld, "estate.json", (const char *)data, size);
    moat_loader_finish(ld, &es);
    moat_loader_free(ld);
    for (size_t i = 0; es && i < moat_estate_resource_count(es) &&
                       i < REACH_RESOURCES;
         i++) {
        const char *id = moat_estate_resource_id(es, i, NULL, NULL, NULL);
        render(es, id, NULL);
        render(es, id, "2025-06-01T00:00:00Z");
    }
    moat_estate_free(es);
    return 0;
}
