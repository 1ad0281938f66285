/*
** audit_filter.c - what an audit leaves out: suppressions (with a reason,
** optionally an expiry date) and a baseline of findings already known.
**
** A suppression matches by rule (id or name) and resource (ARM id or name,
** "*" for any), or by one finding's fingerprint. An expired suppression
** suppresses nothing and is listed, so that an exception nobody renewed
** shows up instead of silently hiding a finding.
*/
#include "moat_int.h"

#include <stdlib.h>
#include <string.h>

static int valid_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    }
    int month = (s[5] - '0') * 10 + (s[6] - '0');
    int day = (s[8] - '0') * 10 + (s[9] - '0');
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

static const char *opt_str(moat_arena *ar, const json_value *obj,
                           const char *key, int *bad)
{
    const json_value *v = moat__json_get(obj, key);
    if (moat__json_is_null(v))
        return NULL;
    if (v->type != JSON_STRING) {
        *bad = 1;
        return NULL;
    }
    return moat__arena_strndup(ar, v->str, v->len);
}

static int rule_matches(const moat_suppression *s, const moat_finding *f)
{
    if (s->rule == NULL)
        return 1;
    return moat__eq_ci_z(s->rule, f->rule->id) ||
           moat__eq_ci_z(s->rule, f->rule->name);
}

static int resource_matches(const moat_suppression *s, const moat_finding *f)
{
    if (s->resource == NULL || strcmp(s->resource, "*") == 0)
        return 1;
    return moat__eq_ci_z(s->resource, f->resource) ||
           moat__eq_ci_z(s->resource, f->resource_name) ||
           (f->address && strcmp(s->resource, f->address) == 0);
}

static int suppression_matches(const moat_suppression *s, const moat_finding *f)
{
    if (s->fingerprint)
        return strcmp(s->fingerprint, f->fingerprint) == 0;
    return rule_matches(s, f) && resource_matches(s, f);
}

moat_status moat_audit_suppress(moat_audit *a, const char *json, size_t len,
                                const char *today, moat_error *err)
{
    if (a == NULL || today == NULL || !valid_date(today))
        return moat__error_set(err, MOAT_E_INVAL, 0, "no audit, or a bad date");
    moat_arena *ar = moat__audit_arena(a);
    moat_arena scratch;
    moat__arena_init(&scratch, 64u * 1024u * 1024u);
    json_error jerr = {0, NULL};
    json_value *doc = moat__json_parse(&scratch, json, len, &jerr);
    moat_status rc = MOAT_OK;
    const json_value *list = NULL;
    if (doc == NULL) {
        rc = moat__error_set(err, MOAT_E_SYNTAX, jerr.pos, "%s", jerr.msg);
        goto out;
    }
    list = doc->type == JSON_ARRAY ? doc : moat__json_get(doc, "suppressions");
    if (list == NULL || list->type != JSON_ARRAY) {
        rc = moat__error_set(err, MOAT_E_INVAL, doc->pos,
                             "expected {\"suppressions\": [...]} or an array");
        goto out;
    }
    moat_suppression *v = moat__arena_zalloc(ar, (list->len + 1) * sizeof *v);
    if (v == NULL) {
        rc = MOAT_E_NOMEM;
        goto out;
    }
    size_t i = 0;
    for (const json_value *e = list->child; e; e = e->next, i++) {
        int bad = 0;
        if (e->type != JSON_OBJECT) {
            rc = moat__error_set(err, MOAT_E_INVAL, e->pos,
                                 "suppressions[%zu]: expected an object", i);
            goto out;
        }
        moat_suppression *s = &v[i];
        s->rule = opt_str(ar, e, "rule", &bad);
        s->resource = opt_str(ar, e, "resource", &bad);
        s->fingerprint = opt_str(ar, e, "fingerprint", &bad);
        s->reason = opt_str(ar, e, "reason", &bad);
        s->expires = opt_str(ar, e, "expires", &bad);
        if (bad) {
            rc = moat__error_set(
                err, MOAT_E_INVAL, e->pos,
                "suppressions[%zu]: rule, resource, fingerprint, "
                "reason and expires are strings",
                i);
            goto out;
        }
        if (s->reason == NULL || s->reason[0] == '\0') {
            rc = moat__error_set(
                err, MOAT_E_INVAL, e->pos,
                "suppressions[%zu]: a suppression needs a \"reason\"", i);
            goto out;
        }
        if (s->rule == NULL && s->fingerprint == NULL) {
            rc = moat__error_set(
                err, MOAT_E_INVAL, e->pos,
                "suppressions[%zu]: give a \"rule\" (id or name) or a "
                "\"fingerprint\"",
                i);
            goto out;
        }
        if (s->expires && !valid_date(s->expires)) {
            rc = moat__error_set(
                err, MOAT_E_INVAL, e->pos,
                "suppressions[%zu]: \"expires\" is \"%s\"; expected "
                "YYYY-MM-DD",
                i, s->expires);
            goto out;
        }
        s->expired = s->expires && strcmp(s->expires, today) < 0;
    }
    /* Valid: apply. */
    size_t nf;
    moat_finding *f = moat__audit_findings(a, &nf);
    for (size_t k = 0; k < nf; k++) {
        for (size_t j = 0; j < i; j++) {
            if (v[j].expired || !suppression_matches(&v[j], &f[k]))
                continue;
            if (f[k].state == MOAT_FINDING_ACTIVE) {
                f[k].state = MOAT_FINDING_SUPPRESSED;
                f[k].suppression = v[j].reason;
            }
            v[j].matched++;
            break;
        }
    }
    struct audit_filters *fl = moat__audit_filters(a);
    fl->v = v;
    fl->n = i;
out:
    moat__arena_free(&scratch);
    return rc;
}

size_t moat_audit_suppression_count(const moat_audit *a)
{
    return a ? moat__audit_filters((moat_audit *)(uintptr_t)a)->n : 0;
}

const moat_suppression *moat_audit_suppression(const moat_audit *a, size_t i)
{
    if (a == NULL)
        return NULL;
    struct audit_filters *fl = moat__audit_filters((moat_audit *)(uintptr_t)a);
    return i < fl->n ? &fl->v[i] : NULL;
}

moat_status moat_audit_apply_baseline(moat_audit *a, const char *json,
                                      size_t len, moat_error *err)
{
    if (a == NULL)
        return moat__error_set(err, MOAT_E_INVAL, 0, "no audit");
    moat_arena scratch;
    moat__arena_init(&scratch, 256u * 1024u * 1024u);
    json_error jerr = {0, NULL};
    json_value *doc = moat__json_parse(&scratch, json, len, &jerr);
    moat_status rc = MOAT_OK;
    moat_index known;
    moat__index_init(&known);
    const json_value *list = doc ? moat__json_get(doc, "findings") : NULL;
    if (doc == NULL) {
        rc = moat__error_set(err, MOAT_E_SYNTAX, jerr.pos, "%s", jerr.msg);
        goto out;
    }
    if (list == NULL || list->type != JSON_ARRAY) {
        rc = moat__error_set(
            err, MOAT_E_INVAL, doc->pos,
            "expected a baseline: {\"findings\": [{\"fingerprint\": "
            "...}]}, as --write-baseline writes it");
        goto out;
    }
    for (const json_value *e = list->child; e; e = e->next) {
        const json_value *fp = moat__json_get(e, "fingerprint");
        if (fp == NULL || fp->type != JSON_STRING) {
            rc = moat__error_set(err, MOAT_E_INVAL, e->pos,
                                 "a baseline entry without a \"fingerprint\"");
            goto out;
        }
        if (moat__index_put(&known, fp->str, fp->len, (void *)fp, NULL) < 0) {
            rc = MOAT_E_NOMEM;
            goto out;
        }
    }
    size_t nf;
    moat_finding *f = moat__audit_findings(a, &nf);
    for (size_t k = 0; k < nf; k++) {
        if (f[k].state == MOAT_FINDING_ACTIVE &&
            moat__index_get(&known, f[k].fingerprint, strlen(f[k].fingerprint)))
            f[k].state = MOAT_FINDING_BASELINE;
    }
out:
    moat__index_free(&known);
    moat__arena_free(&scratch);
    return rc;
}

char *moat_audit_baseline_json(const moat_audit *a)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__buf_puts(&b, "{\"moat_baseline\": 1,\n \"findings\": [");
    size_t nf;
    moat_finding *f = moat__audit_findings((moat_audit *)(uintptr_t)a, &nf);
    int first = 1;
    for (size_t k = 0; k < nf; k++) {
        if (f[k].state == MOAT_FINDING_SUPPRESSED)
            continue;
        moat__buf_puts(&b, first ? "\n  {\"fingerprint\": "
                                 : ",\n  {\"fingerprint\": ");
        moat__buf_json_cstr(&b, f[k].fingerprint);
        moat__buf_puts(&b, ", \"rule\": ");
        moat__buf_json_cstr(&b, f[k].rule->id);
        moat__buf_puts(&b, ", \"resource\": ");
        moat__buf_json_cstr(&b, f[k].resource);
        moat__buf_putc(&b, '}');
        first = 0;
    }
    moat__buf_puts(&b, "\n ]\n}\n");
    if (b.failed) {
        moat__buf_free(&b);
        return NULL;
    }
    return b.data;
}
