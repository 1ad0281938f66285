/*
** test_template.c - ARM templates as Azure Resource Manager reads them:
** its JSON (comments, trailing commas, multi-line strings), nested and
** linked deployments, languageVersion 2.0, copy loops and conditions,
** expressions as unknown values, and what cannot be expanded reported as
** such, never dropped.
*/
#include "harness.h"
#include "load.h"

#include <stdlib.h>

#define SCHEMA                                                                 \
    "\"$schema\": \"https://schema.management.azure.com/schemas/"             \
    "2019-04-01/deploymentTemplate.json#\", \"contentVersion\": \"1.0.0.0\""

static moat_estate *load(const char *json, moat_loader **out)
{
    return harness_load(json, MOAT_LOAD_LENIENT, out);
}

/* ARM's own JSON in an estate file; never in a request. */
TEST(template_arm_json)
{
    const char *t = "// a template with comments\n{" SCHEMA ",\n"
                    "  /* resources */ \"resources\": [\n"
                    "    {\"type\": \"Microsoft.Storage/storageAccounts\",\n"
                    "     \"name\": \"stcomments\", \"location\": \"x\",\n"
                    "     \"properties\": {\"networkAcls\": {\"defaultAction\":"
                    " \"Deny\",}},},\n"
                    "  ],\n"
                    "  \"metadata\": {\"description\": \"two\nlines\"}\n}";
    moat_estate *es = load(t, NULL);
    ASSERT(es != NULL);
    moat_estate_stats st;
    moat_estate_stats_get(es, &st);
    ASSERT_EQ(st.storage_accounts, 1);
    moat_request *q = moat_request_new(es);
    moat_error err;
    const char *req = "{\"resource\": \"stcomments\", // no\n \"source\": "
                      "{\"ip\": \"203.0.113.9\"}}";
    ASSERT(moat_request_parse(q, req, strlen(req), &err) != MOAT_OK);
    moat_request_free(q);
    moat_estate_free(es);
}
