/*
** replay_nsp.c - fidelity on network security perimeter access records.
**
** A perimeter's record carries Azure's own category and the access rule it
** matched, so the comparison is exact: for each record, moat's category on
** the current estate (in the perimeter's terms: for an Audit association,
** the Enforced evaluation, which Audit logs without enforcing) against
** Azure's, and for NspPublicInboundPerimeterRulesAllowed the access rule's
** name too (the other categories name resource rules by names the
** estate does not hold). Records are grouped by disagreement: resource,
** Azure's category and rule, moat's category and rule.
*/
#include "replay.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RULE_CATEGORY "NspPublicInboundPerimeterRulesAllowed"

void replay_nsp_record(replay_agg *a, const replay_outcome *o)
{
    const moat_log_request *m = o->m;
    if (m->azure_category.n == 0 || o->verdict[0] < 0 ||
        o->nsp_category == NULL)
        return;
    a->nsp_records++;
    const moat_text *ac = &m->azure_category, *ar = &m->azure_rule;
    int same = strlen(o->nsp_category) == ac->n &&
               strncasecmp(o->nsp_category, ac->p, ac->n) == 0;
    if (same && strcmp(o->nsp_category, RULE_CATEGORY) == 0 && ar->n)
        same = strlen(o->nsp_rule) == ar->n &&
               strncasecmp(o->nsp_rule, ar->p, ar->n) == 0;
    if (same) {
        a->nsp_agree++;
        return;
    }
    const moat_text *res = &m->field[MOAT_REQ_RESOURCE];
    size_t n = res->n + ac->n + ar->n + strlen(o->nsp_category) +
               strlen(o->nsp_rule) + 5;
    char *key = malloc(n);
    if (key == NULL) {
        a->failed = 1;
        return;
    }
    int k = snprintf(key, n, "%.*s\t%.*s\t%.*s\t%s\t%s", (int)res->n, res->p,
                     (int)ac->n, ac->p, (int)ar->n, ar->p, o->nsp_category,
                     o->nsp_rule);
    /* Tabs separate the fields: one in the logged rule name (the only
    ** text from the record) is written as a space. */
    char *rule = key + res->n + ac->n + 2;
    for (size_t i = 0; k > 0 && i < ar->n; i++)
        if (rule[i] == '\t' || rule[i] == '\n')
            rule[i] = ' ';
    if (k < 0 || strmap_add(&a->nsp_disagreements, key, (size_t)k, 1) < 0)
        a->failed = 1;
    free(key);
}

int replay_nsp_merge(replay_agg *into, const replay_agg *from)
{
    into->nsp_records += from->nsp_records;
    into->nsp_agree += from->nsp_agree;
    for (size_t i = 0; i < from->nsp_disagreements.cap; i++) {
        const strmap_entry *e = &from->nsp_disagreements.slots[i];
        if (e->key &&
            strmap_add(&into->nsp_disagreements, e->key, e->len, e->count) < 0)
            return -1;
    }
    return 0;
}

static const char *const fields[5] = {"resource", "azure_category",
                                      "azure_rule", "moat_category",
                                      "moat_rule"};

void replay_nsp_json(const replay_agg *a, FILE *o)
{
    if (a->nsp_records == 0)
        return;
    fprintf(o,
            ",\n\"nsp_fidelity\":{\"records\":%llu,\"agree\":%llu,"
            "\"disagreements\":[",
            (unsigned long long)a->nsp_records,
            (unsigned long long)a->nsp_agree);
    replay_json_rows(o, &a->nsp_disagreements, fields, 5);
    fputs("]}", o);
}

void replay_nsp_text(const replay_agg *a, FILE *o, int top)
{
    if (a->nsp_records == 0)
        return;
    fprintf(o,
            "\nperimeter records (NSPAccessLogs): %llu; moat's category and "
            "rule are Azure's in %llu, differ in %llu\n",
            (unsigned long long)a->nsp_records,
            (unsigned long long)a->nsp_agree,
            (unsigned long long)(a->nsp_records - a->nsp_agree));
    size_t n;
    strmap_entry **v = strmap_by_count(&a->nsp_disagreements, &n);
    for (size_t i = 0; i < n && (int)i < top * 4; i++) {
        const char *f[5];
        char *copy = key_fields(v[i]->key, f, 5);
        if (copy == NULL)
            break;
        const char *slash = strrchr(f[0], '/');
        fprintf(o, "  %s: Azure %s%s%s%s, moat %s%s%s%s (%llu)\n",
                slash ? slash + 1 : f[0], f[1], *f[2] ? " (" : "", f[2],
                *f[2] ? ")" : "", f[3], *f[4] ? " (" : "", f[4],
                *f[4] ? ")" : "", (unsigned long long)v[i]->count);
        free(copy);
    }
    free(v);
}

/* One disagreement of a partial; its key as replay_nsp_record makes it. */
static int read_disagreement(replay_agg *a, const cJSON *e, int i, char *err,
                             size_t cap)
{
    const char *v[5];
    size_t len = 0;
    for (int k = 0; k < 5; k++) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, fields[k]);
        if (!cJSON_IsString(s) || strchr(s->valuestring, '\t')) {
            snprintf(err, cap,
                     "nsp_fidelity.disagreements[%d].%s: not a string without tabs",
                     i, fields[k]);
            return -1;
        }
        v[k] = s->valuestring;
        len += strlen(v[k]) + 1;
    }
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(e, "records");
    double d = cJSON_IsNumber(r) ? r->valuedouble : -1;
    if (!(d >= 1 && d <= 9007199254740992.0) || d != (double)(uint64_t)d) {
        snprintf(err, cap,
                 "nsp_fidelity.disagreements[%d].records: not a count of at least 1",
                 i);
        return -1;
    }
    char *key = malloc(len);
    if (key == NULL)
        return snprintf(err, cap, "out of memory"), -1;
    snprintf(key, len, "%s\t%s\t%s\t%s\t%s", v[0], v[1], v[2], v[3], v[4]);
    int rc = 0;
    if (strmap_find(&a->nsp_disagreements, key, len - 1))
        rc = -1, snprintf(err, cap, "nsp_fidelity.disagreements[%d]: appears twice", i);
    else if (strmap_add(&a->nsp_disagreements, key, len - 1, (uint64_t)d) < 0)
        rc = -1, snprintf(err, cap, "out of memory");
    free(key);
    return rc;
}

static int read_count(const cJSON *nf, const char *name, uint64_t *out,
                      char *err, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(nf, name);
    double d = cJSON_IsNumber(v) ? v->valuedouble : -1;
    if (!(d >= 0 && d <= 9007199254740992.0) || d != (double)(uint64_t)d) {
        snprintf(err, cap, "nsp_fidelity.%s: %s", name,
                 v ? "not a count (a whole number from 0 to 2^53)"
                   : "missing");
        return -1;
    }
    *out = (uint64_t)d;
    return 0;
}

int replay_nsp_read(replay_agg *a, const void *root_json, char *err,
                    size_t cap)
{
    const cJSON *nf =
        cJSON_GetObjectItemCaseSensitive(root_json, "nsp_fidelity");
    if (nf == NULL)
        return 0;
    if (!cJSON_IsObject(nf))
        return snprintf(err, cap, "nsp_fidelity: not an object"), -1;
    if (read_count(nf, "records", &a->nsp_records, err, cap) < 0 ||
        read_count(nf, "agree", &a->nsp_agree, err, cap) < 0)
        return -1;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(nf, "disagreements");
    if (list && !cJSON_IsArray(list))
        return snprintf(err, cap, "nsp_fidelity.disagreements: not an array"),
               -1;
    int i = 0;
    for (const cJSON *e = list ? list->child : NULL; e; e = e->next, i++)
        if (read_disagreement(a, e, i, err, cap) < 0)
            return -1;
    /* The parts fit: agreements and disagreements make the records, and
    ** the records are mapped ones. */
    uint64_t differ = 0;
    for (size_t k = 0; k < a->nsp_disagreements.cap; k++)
        if (a->nsp_disagreements.slots[k].key)
            differ += a->nsp_disagreements.slots[k].count;
    if (a->nsp_agree > a->nsp_records ||
        differ != a->nsp_records - a->nsp_agree || a->nsp_records > a->mapped) {
        snprintf(err, cap,
                 "nsp_fidelity: agree (%llu) and the disagreements (%llu) do not make the records (%llu), or the records exceed the mapped ones (%llu)",
                 (unsigned long long)a->nsp_agree, (unsigned long long)differ,
                 (unsigned long long)a->nsp_records,
                 (unsigned long long)a->mapped);
        return -1;
    }
    return 0;
}
