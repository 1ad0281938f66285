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
    "\"$schema\": \"https://schema.management.azure.com/schemas/"              \
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

/* The settings of the estate's only storage account or vault, as audited:
** the control's status and basis, by name. */
typedef struct seen {
    moat_estate *es;
    moat_audit *a;
    moat_loader *ld;
} seen;

static int audit_of(const char *json, seen *s)
{
    s->a = NULL;
    s->es = load(json, &s->ld);
    return s->es && moat_audit_run(s->es, NULL, &s->a) == MOAT_OK;
}

static void done(seen *s)
{
    moat_audit_free(s->a);
    moat_estate_free(s->es);
    moat_loader_free(s->ld);
}

static const moat_control_result *ctl(const seen *s, const char *res,
                                      const char *name)
{
    for (size_t i = 0; i < moat_audit_control_count(s->a); i++) {
        const moat_control_result *c = moat_audit_control(s->a, i);
        if (strstr(c->resource, res) && strcmp(c->control, name) == 0)
            return c;
    }
    return NULL;
}

static int warned(const seen *s, const char *text)
{
    for (size_t i = 0; i < moat_loader_diag_count(s->ld); i++) {
        if (strstr(moat_loader_diag(s->ld, i)->message, text))
            return 1;
    }
    return 0;
}

#define NESTED(scope, params, resources)                                       \
    "{\"type\": \"Microsoft.Resources/deployments\", \"apiVersion\": "         \
    "\"2022-09-01\", \"name\": \"inner\", \"properties\": {\"mode\": "         \
    "\"Incremental\", \"expressionEvaluationOptions\": {\"scope\": \"" scope   \
    "\"}, \"parameters\": {" params "}, \"template\": {" SCHEMA                \
    ", \"parameters\": {\"action\": {\"type\": \"string\"}}, \"resources\": "  \
    "[" resources "]}}}"

#define ACCOUNT(name, props)                                                   \
    "{\"type\": \"Microsoft.Storage/storageAccounts\", \"apiVersion\": "       \
    "\"2023-01-01\", \"name\": \"" name "\", \"location\": \"westeurope\", "   \
    "\"properties\": " props "}"

/* Nested deployments are read at any depth: in inner scope a literal
** passed in is a value, an expression stays unknown; in outer scope the
** parent's parameters are unknown as at the top. Before, each of these
** read as "0 resources" and exit 0. */
TEST(template_nested_deployments)
{
    const char *t = "{" SCHEMA ", \"resources\": [" NESTED(
        "inner", "\"action\": {\"value\": \"Deny\"}",
        ACCOUNT(
            "stliteral",
            "{\"networkAcls\": {\"defaultAction\": "
            "\"[parameters('action')]\"}}")) "," NESTED("inner",
                                                        "\"action\": "
                                                        "{\"value\": "
                                                        "\"[parameters('x')"
                                                        "]\"}",
                                                        ACCOUNT(
                                                            "stpassedexpr",
                                                            "{\"networkAcls"
                                                            "\": "
                                                            "{\"defaultActi"
                                                            "on\": "
                                                            "\"[parameters("
                                                            "'action')]\"}"
                                                            "}")) "," NESTED("o"
                                                                             "u"
                                                                             "t"
                                                                             "e"
                                                                             "r",
                                                                             "",
                                                                             NESTED(
                                                                                 "inner",
                                                                                 "\"action\": {\"value\": \"Allow\"}",
                                                                                 ACCOUNT(
                                                                                     "stdeep",
                                                                                     "{\"networkAcls\": {\"defaultAction\": "
                                                                                     "\"[parameters('action')]\"}}"))) "]}";
    seen s;
    ASSERT(audit_of(t, &s));
    ASSERT_EQ(moat_audit_resource_count(s.a), 3);
    ASSERT_EQ(moat_audit_incomplete_count(s.a), 0);
    const moat_control_result *c = ctl(&s, "stliteral", "storage-default-deny");
    ASSERT(c && c->status == MOAT_CONTROL_PASS &&
           c->basis == MOAT_BASIS_EXPLICIT);
    c = ctl(&s, "stpassedexpr", "storage-default-deny");
    ASSERT(c && c->status == MOAT_CONTROL_FAIL &&
           c->basis == MOAT_BASIS_UNKNOWN);
    c = ctl(&s, "stdeep", "storage-default-deny");
    ASSERT(c && c->status == MOAT_CONTROL_FAIL &&
           c->basis != MOAT_BASIS_UNKNOWN); /* Allow, passed two deep */
    done(&s);
}

/* A linked template is not fetched: said, and the estate incomplete. */
TEST(template_linked_is_incomplete)
{
    const char *t =
        "{" SCHEMA ", \"resources\": [{\"type\": \"Microsoft.Resources/"
        "deployments\", \"name\": \"linked\", \"properties\": {\"mode\": "
        "\"Incremental\", \"templateLink\": {\"uri\": \"https://example.com/"
        "storage.json\"}}}, {\"type\": \"Microsoft.Resources/deployments\", "
        "\"name\": \"byexpr\", \"properties\": {\"template\": "
        "\"[variables('t')]\"}}]}";
    seen s;
    ASSERT(audit_of(t, &s));
    ASSERT_EQ(moat_estate_incomplete_count(s.es), 2);
    const moat_incomplete *g = moat_estate_incomplete(s.es, 0);
    ASSERT_STR(g->file, "test.json");
    ASSERT_EQ(g->line, 1);
    ASSERT(strstr(g->what, "linked") && strstr(g->why, "storage.json"));
    ASSERT(strstr(moat_estate_incomplete(s.es, 1)->why, "variables('t')"));
    ASSERT_EQ(moat_audit_incomplete_count(s.a), 3); /* and nothing audited */
    done(&s);
}

/* languageVersion 2.0: resources keyed by symbolic name (with "::");
** "existing": true is a reference, not a declaration. */
TEST(template_language_version_2)
{
    const char *t =
        "{" SCHEMA ", \"languageVersion\": \"2.0\", \"resources\": {"
        "\"sa\": " ACCOUNT(
            "stsymbolic",
            "{\"publicNetworkAccess\": "
            "\"Disabled\"}") ","
                             "\"other\": {\"existing\": true, \"type\": "
                             "\"Microsoft.Storage/"
                             "storageAccounts\", \"apiVersion\": "
                             "\"2023-01-01\", \"name\": "
                             "\"stelsewhere\"},"
                             "\"sa::blob\": {\"type\": "
                             "\"Microsoft.Storage/storageAccounts/"
                             "blobServices\", \"apiVersion\": \"2023-01-01\", "
                             "\"name\": "
                             "\"stsymbolic/default\"}}}";
    seen s;
    ASSERT(audit_of(t, &s));
    ASSERT_EQ(moat_audit_resource_count(s.a), 1);
    ASSERT_STR(moat_audit_resource(s.a, 0)->name, "stsymbolic");
    const moat_control_result *c =
        ctl(&s, "stsymbolic", "storage-public-access-disabled");
    ASSERT(c && c->status == MOAT_CONTROL_PASS);
    done(&s);
}

/* "properties" written as one expression: every setting unknown, not an
** error; the same for a firewall, and for private endpoint connections. */
TEST(template_properties_one_expression)
{
    const char *t = "{" SCHEMA ", \"resources\": [" ACCOUNT(
        "stexpr", "\"[shallowMerge(createArray(parameters('p')))]\"") "]}";
    seen s;
    ASSERT(audit_of(t, &s));
    ASSERT_EQ(moat_loader_error_count(s.ld), 0);
    static const char *const controls[] = {"storage-default-deny",
                                           "storage-public-access-disabled",
                                           "storage-private-endpoint"};
    for (size_t i = 0; i < 3; i++) {
        const moat_control_result *c = ctl(&s, "stexpr", controls[i]);
        ASSERT(c && c->status == MOAT_CONTROL_FAIL &&
               c->basis == MOAT_BASIS_UNKNOWN);
    }
    done(&s);
}

/* copy and condition: a literal count is unrolled, a literal false
** condition deploys nothing; otherwise read once, with a warning. */
TEST(template_copy_and_condition)
{
    const char *t =
        "{" SCHEMA ", \"resources\": ["
        "{\"type\": \"Microsoft.Storage/storageAccounts\", \"name\": "
        "\"[concat('st', copyIndex())]\", \"location\": \"x\", \"copy\": "
        "{\"name\": \"three\", \"count\": 3}},"
        "{\"type\": \"Microsoft.Storage/storageAccounts\", \"name\": "
        "\"stmany\", \"location\": \"x\", \"copy\": {\"name\": \"n\", "
        "\"count\": \"[length(parameters('names'))]\"}},"
        "{\"type\": \"Microsoft.Storage/storageAccounts\", \"name\": "
        "\"stnever\", \"location\": \"x\", \"condition\": false},"
        "{\"type\": \"Microsoft.Storage/storageAccounts\", \"name\": "
        "\"stnotequal\", \"location\": \"x\", \"condition\": "
        "\"[equals('a', 'b')]\"},"
        "{\"type\": \"Microsoft.Storage/storageAccounts\", \"name\": "
        "\"stmaybe\", \"location\": \"x\", \"condition\": "
        "\"[parameters('deploy')]\"}]}";
    seen s;
    ASSERT(audit_of(t, &s));
    ASSERT_EQ(moat_audit_resource_count(s.a), 5); /* 3 + 1 + 1 */
    ASSERT(warned(&s, "a copy loop whose count is "
                      "[length(parameters('names'))]"));
    ASSERT(warned(&s, "deployed only when [parameters('deploy')]"));
    for (size_t i = 0; i < moat_audit_resource_count(s.a); i++) {
        const char *n = moat_audit_resource(s.a, i)->name;
        ASSERT(strcmp(n, "stnever") != 0 && strcmp(n, "stnotequal") != 0);
    }
    done(&s);
}

/* Property iteration inside networkAcls: a literal count and a literal
** input are the rules they build; a count that is not literal makes the
** list unknown. */
TEST(template_property_copy)
{
    const char *t = "{" SCHEMA ", \"resources\": [" ACCOUNT(
        "stcopied",
        "{\"networkAcls\": {\"defaultAction\": \"Deny\", "
        "\"copy\": [{\"name\": \"ipRules\", \"count\": 2, "
        "\"input\": {\"value\": \"0.0.0.0/0\"}}]}}") "," ACCOUNT("stcounted",
                                                                 "{\"networkAcl"
                                                                 "s\": "
                                                                 "{\"defaultAct"
                                                                 "ion\": "
                                                                 "\"Deny\", "
                                                                 "\"copy\": "
                                                                 "[{\"name\": "
                                                                 "\"ipRules\", "
                                                                 "\"count\": "
                                                                 "\"[length("
                                                                 "parameters('"
                                                                 "ips'))]\", "
                                                                 "\"input\": "
                                                                 "{\"value\": "
                                                                 "\"["
                                                                 "parameters('"
                                                                 "ips')["
                                                                 "copyIndex("
                                                                 "'ipRules')]]"
                                                                 "\"}}]}}") "]"
                                                                            "}";
    seen s;
    ASSERT(audit_of(t, &s));
    int open = 0, unknown = 0;
    for (size_t i = 0; i < moat_audit_exposure_count(s.a); i++) {
        const moat_exposure *e = moat_audit_exposure(s.a, i);
        if (strcmp(e->source, "internet") != 0)
            continue;
        open |= strstr(e->resource, "stcopied") && !strcmp(e->admitted, "all");
        unknown |=
            strstr(e->resource, "stcounted") && !strcmp(e->admitted, "unknown");
    }
    ASSERT(open && unknown);
    done(&s);
}

/* The same account declared again in a nested deployment with other
** settings (bicep#5455: the nested one sets the firewall with properties
** one expression): which is in force is unknown, so both read as unknown,
** never the top-level one's "open to every address". */
TEST(template_declared_twice)
{
    const char *t = "{" SCHEMA ", \"resources\": [" ACCOUNT(
        "[parameters('name')]",
        "{\"accessTier\": \"Hot\"}") ","
                                     "{\"type\": "
                                     "\"Microsoft.Resources/deployments\", "
                                     "\"name\": \"acls\", "
                                     "\"resourceGroup\": "
                                     "\"[parameters('rg')]\", \"properties\": "
                                     "{\"mode\": "
                                     "\"Incremental\", \"template\": {" SCHEMA
                                     ", \"resources\": [" ACCOUNT(
                                         "[parameters('name')]",
                                         "\"[parameters('props')]\"") "]}}}]}";
    seen s;
    ASSERT(audit_of(t, &s));
    ASSERT_EQ(moat_audit_resource_count(s.a), 2);
    ASSERT(warned(&s, "(its properties are one expression, "
                      "[parameters('props')])"));
    for (size_t i = 0; i < moat_audit_finding_count(s.a); i++)
        ASSERT(strcmp(moat_audit_finding(s.a, i)->rule->id, "MOAT001") != 0);
    for (size_t i = 0; i < moat_audit_control_count(s.a); i++) {
        const moat_control_result *c = moat_audit_control(s.a, i);
        if (strcmp(c->control, "storage-default-deny") == 0)
            ASSERT(c->basis == MOAT_BASIS_UNKNOWN);
    }
    done(&s);
}

/* A private endpoint naming the account by resourceId(), directly or
** through a variable, is a connection of that account whose approval is
** unknown, never "0 of 0"; one whose target moat cannot name may reach
** any account: incomplete. */
TEST(template_private_endpoints)
{
    const char *t =
        "{" SCHEMA ", \"variables\": {\"saId\": \"[resourceId('Microsoft."
        "Storage/storageAccounts', parameters('sa'))]\"}, \"resources\": "
        "[" ACCOUNT(
            "[parameters('sa')]",
            "{}") ","
                  "{\"type\": \"Microsoft.Network/privateEndpoints\", "
                  "\"name\": \"pe1\","
                  " \"location\": \"x\", \"properties\": {\"subnet\": {\"id\": "
                  "\"[resourceId('Microsoft.Network/virtualNetworks/subnets', "
                  "'vnet', "
                  "'pe')]\"}, \"privateLinkServiceConnections\": [{\"name\": "
                  "\"c\", "
                  "\"properties\": {\"privateLinkServiceId\": "
                  "\"[variables('saId')]\", "
                  "\"groupIds\": [\"blob\"]}}]}},"
                  "{\"type\": \"Microsoft.Network/privateEndpoints\", "
                  "\"name\": \"pe2\","
                  " \"location\": \"x\", \"properties\": "
                  "{\"privateLinkServiceConnections"
                  "\": [{\"name\": \"c\", \"properties\": "
                  "{\"privateLinkServiceId\": "
                  "\"[parameters('target')]\", \"groupIds\": [\"vault\"]}}]}},"
                  "{\"type\": \"Microsoft.Network/privateEndpoints\", "
                  "\"name\": \"pe3\","
                  " \"location\": \"x\", \"properties\": "
                  "{\"privateLinkServiceConnections"
                  "\": [{\"name\": \"c\", \"properties\": "
                  "{\"privateLinkServiceId\": "
                  "\"[parameters('sql')]\", \"groupIds\": "
                  "[\"sqlServer\"]}}]}}]}";
    seen s;
    ASSERT(audit_of(t, &s));
    const moat_control_result *c =
        ctl(&s, "[parameters('sa')]", "storage-private-endpoint");
    ASSERT(c && c->status == MOAT_CONTROL_FAIL &&
           c->basis == MOAT_BASIS_UNKNOWN);
    ASSERT(strstr(c->reason, "unknown") != NULL);
    ASSERT_EQ(moat_estate_incomplete_count(s.es), 1); /* pe2, not pe3 */
    ASSERT(strstr(moat_estate_incomplete(s.es, 0)->resource, "pe2"));
    done(&s);
}

/* A perimeter declared in a template: its profile, rules and association
** named by resourceId() find each other; rules or associations whose
** targets are expressions are incomplete, and an access mode that is one
** passes no control. */
TEST(template_perimeter)
{
    const char *nsp =
        "{\"type\": \"Microsoft.Network/networkSecurityPerimeters\", \"name\":"
        " \"[parameters('nsp')]\", \"location\": \"x\", \"properties\": {}},"
        "{\"type\": \"Microsoft.Network/networkSecurityPerimeters/profiles\","
        " \"name\": \"[format('{0}/{1}', parameters('nsp'), 'p')]\", "
        "\"location\": \"x\", \"properties\": {}},"
        "{\"type\": \"Microsoft.Network/networkSecurityPerimeters/profiles/"
        "accessRules\", \"name\": \"[concat(parameters('nsp'), '/p/in')]\", "
        "\"properties\": {\"direction\": \"Inbound\", \"addressPrefixes\": "
        "[\"100.10.0.0/16\"]}},"
        "{\"type\": \"Microsoft.Network/networkSecurityPerimeters/profiles/"
        "accessRules\", \"name\": \"[concat(parameters('nsp'), '/p/x')]\", "
        "\"properties\": {\"direction\": \"Inbound\", \"addressPrefixes\": "
        "\"[parameters('prefixes')]\"}},";
    static const char *const modes[] = {"Enforced", "[parameters('mode')]"};
    for (size_t m = 0; m < 2; m++) {
        char t[4096];
        snprintf(
            t, sizeof t,
            "{" SCHEMA ", \"resources\": [%s" ACCOUNT(
                "stin",
                "{}") ","
                      "{\"type\": "
                      "\"Microsoft.Network/networkSecurityPerimeters/"
                      "resourceAssociations\", \"name\": \"[format('{0}/{1}', "
                      "parameters('nsp'), 'a')]\", \"properties\": {"
                      "\"privateLinkResource\": {\"id\": "
                      "\"[resourceId('Microsoft."
                      "Storage/storageAccounts', 'stin')]\"}, \"profile\": "
                      "{\"id\": "
                      "\"[resourceId('Microsoft.Network/"
                      "networkSecurityPerimeters/"
                      "profiles', parameters('nsp'), 'p')]\"}, \"accessMode\": "
                      "\"%s\"}}]}",
            nsp, modes[m]);
        seen s;
        ASSERT(audit_of(t, &s));
        const moat_control_result *c = ctl(&s, "stin", "storage-default-deny");
        if (m == 0) {
            ASSERT(c && c->status == MOAT_CONTROL_PASS);
            ASSERT(strstr(c->reason, "Enforced") != NULL);
        } else {
            ASSERT(c && c->status == MOAT_CONTROL_FAIL &&
                   c->basis == MOAT_BASIS_UNKNOWN);
        }
        ASSERT_EQ(moat_estate_incomplete_count(s.es), 1); /* the rule x */
        ASSERT(strstr(moat_estate_incomplete(s.es, 0)->why, "prefixes"));
        done(&s);
    }
}

static int has_finding(const seen *s, const char *id, const char *res)
{
    for (size_t i = 0; i < moat_audit_finding_count(s->a); i++) {
        const moat_finding *f = moat_audit_finding(s->a, i);
        if (strcmp(f->rule->id, id) == 0 && strstr(f->resource, res))
            return 1;
    }
    return 0;
}

/* A template's subnets get their VNet's id, so a virtual network rule
** written resourceId(...) finds the subnet it names: here one without the
** Microsoft.Storage service endpoint, which can never match (MOAT009). A
** Blueprint template artifact is read as an inner-scope deployment. */
TEST(template_subnets_and_blueprints)
{
    const char *t =
        "{" SCHEMA ", \"resources\": ["
        "{\"type\": \"Microsoft.Network/virtualNetworks\", \"name\": \"vnet\","
        " \"location\": \"westeurope\", \"properties\": {\"subnets\": ["
        "{\"name\": \"apps\", \"properties\": {\"addressPrefix\": "
        "\"10.0.0.0/24\"}}]}}," ACCOUNT(
            "stvnet",
            "{\"networkAcls\": {\"defaultAction\": \"Deny\", "
            "\"virtualNetworkRules\": [{\"id\": \"[resourceId("
            "'Microsoft.Network/virtualNetworks/subnets', "
            "'vnet', 'apps')]\"}]}}") ","
                                      "{\"type\": "
                                      "\"Microsoft.Blueprint/blueprints/"
                                      "artifacts\", \"kind\": "
                                      "\"template\", \"name\": \"bp/storage\", "
                                      "\"properties\": {"
                                      "\"parameters\": {\"action\": "
                                      "{\"value\": \"Deny\"}}, \"template\": "
                                      "{" SCHEMA ", \"resources\": [" ACCOUNT(
                                          "stblueprint",
                                          "{\"networkAcls\": {"
                                          "\"defaultAction\": \"[parameters("
                                          "'action')]\"}}") "]}}}]}";
    seen s;
    ASSERT(audit_of(t, &s));
    ASSERT(has_finding(&s, "MOAT009", "stvnet"));
    const moat_control_result *c =
        ctl(&s, "stblueprint", "storage-default-deny");
    ASSERT(c && c->status == MOAT_CONTROL_PASS);
    done(&s);
}

/* Reading JSON's rules hold inside nested templates: a name given twice
** is an error naming its line. */
TEST(template_nested_duplicate_keys)
{
    const char *t = "{" SCHEMA ", \"resources\": [\n" NESTED(
        "outer", "",
        ACCOUNT("stdup", "{\"networkAcls\": {\"defaultAction\": "
                         "\"Deny\",\n \"defaultAction\": "
                         "\"Allow\"}}")) "]}";
    moat_loader *ld;
    moat_estate *es = harness_load(t, 0, &ld);
    ASSERT(es == NULL);
    int found = 0;
    for (size_t i = 0; i < moat_loader_diag_count(ld); i++) {
        const moat_diag *d = moat_loader_diag(ld, i);
        found |= d->severity == MOAT_SEV_ERROR && d->line == 3 &&
                 strstr(d->message, "duplicate key \"defaultAction\"");
    }
    moat_loader_free(ld);
    ASSERT(found);
}

/* Copy loops inside copied deployments stop at the budget, said so: the
** rest of the template is incomplete, never silently cut. */
TEST(template_expansion_budget)
{
    const char *t =
        "{" SCHEMA ", \"resources\": [{\"type\": \"Microsoft.Resources/"
        "deployments\", \"name\": \"[concat('d', copyIndex())]\", \"copy\": "
        "{\"name\": \"d\", \"count\": 800}, \"properties\": {\"template\": "
        "{" SCHEMA ", \"resources\": [{\"type\": \"Microsoft.Storage/"
        "storageAccounts\", \"name\": \"[concat('st', copyIndex())]\", "
        "\"location\": \"x\", \"copy\": {\"name\": \"c\", \"count\": "
        "800}}]}}}]}";
    seen s;
    ASSERT(audit_of(t, &s));
    ASSERT(moat_audit_resource_count(s.a) <= 20000);
    ASSERT_EQ(moat_estate_incomplete_count(s.es), 1);
    ASSERT(strstr(moat_estate_incomplete(s.es, 0)->why, "copy loops"));
    done(&s);
}

/* A file that is one deployment, or one Blueprint template artifact as
** `az blueprint` files hold it (no type), is read as a template of it. */
TEST(template_deployment_and_artifact_files)
{
    static const char *const docs[] = {
        "{\"kind\": \"template\", \"properties\": {\"parameters\": {"
        "\"action\": {\"value\": \"Deny\"}}, \"template\": {" SCHEMA
        ", \"resources\": [" ACCOUNT("stfile",
                                     "{\"networkAcls\": {"
                                     "\"defaultAction\": \"["
                                     "parameters('action')]\"}}") "]}}}",
        NESTED("inner", "\"action\": {\"value\": \"Deny\"}",
               ACCOUNT("stfile", "{\"networkAcls\": {\"defaultAction\": "
                                 "\"[parameters('action')]\"}}")),
    };
    for (size_t i = 0; i < 2; i++) {
        seen s;
        ASSERT(audit_of(docs[i], &s));
        const moat_control_result *c =
            ctl(&s, "stfile", "storage-default-deny");
        ASSERT(c && c->status == MOAT_CONTROL_PASS);
        done(&s);
    }
}
