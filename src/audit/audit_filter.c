/*
** audit_filter.c - what an audit leaves out: suppressions (with a reason,
** optionally an expiry date) and a baseline of findings already known.
**
** A suppression matches by rule (id or name) and resource (ARM id or name,
** "*" for any), or by one finding's fingerprint. An expired suppression
** suppresses nothing and is listed, so that an exception nobody renewed
** shows up instead of silently hiding a finding.
*/
#include "audit_int.h"

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

/* Member key of obj into *out (NULL when absent), where names the object
** in messages. A name given twice (ignoring case) and a string holding
** U+0000 are errors, as in estates (docs/decisions.md, "Reading JSON"):
** readers would disagree on the value. Returns MOAT_OK or the error. */
static moat_status member(const json_value *obj, const char *key,
                          const char *where, const json_value **out,
                          moat_error *err)
{
    json_value *second;
    *out = moat__json_find(obj, key, &second);
    if (second)
        return moat__error_set(
            err, MOAT_E_INVAL, second->key_pos,
            "%s: duplicate \"%s\": JSON readers disagree on which one counts",
            where, key);
    if (moat__json_has_nul(*out))
        return moat__error_set(
            err, MOAT_E_INVAL, (*out)->pos,
            "%s: \"%s\" holds U+0000, which would cut it short", where, key);
    return MOAT_OK;
}

/* An optional string member copied into ar, in *out (NULL when absent). */
static moat_status opt_str(moat_arena *ar, const json_value *obj,
                           const char *key, const char *where, const char **out,
                           moat_error *err)
{
    const json_value *v;
    *out = NULL;
    moat_status rc = member(obj, key, where, &v, err);
    if (rc != MOAT_OK || moat__json_is_null(v))
        return rc;
    if (v->type != JSON_STRING)
        return moat__error_set(err, MOAT_E_INVAL, v->pos,
                               "%s: \"%s\" is a string, not %s", where, key,
                               moat__json_type_name(v->type));
    *out = moat__arena_strndup(ar, v->str, v->len);
    return *out ? MOAT_OK : MOAT_E_NOMEM;
}

/* One suppression from e (the i-th), checked; MOAT_OK or the error. */
static moat_status read_suppression(moat_arena *ar, const json_value *e,
                                    size_t i, const char *today,
                                    moat_suppression *s, moat_error *err)
{
    char where[48];
    snprintf(where, sizeof where, "suppressions[%zu]", i);
    if (e->type != JSON_OBJECT)
        return moat__error_set(err, MOAT_E_INVAL, e->pos,
                               "%s: expected an object", where);
    moat_status rc = opt_str(ar, e, "rule", where, &s->rule, err);
    if (rc == MOAT_OK)
        rc = opt_str(ar, e, "resource", where, &s->resource, err);
    if (rc == MOAT_OK)
        rc = opt_str(ar, e, "fingerprint", where, &s->fingerprint, err);
    if (rc == MOAT_OK)
        rc = opt_str(ar, e, "reason", where, &s->reason, err);
    if (rc == MOAT_OK)
        rc = opt_str(ar, e, "expires", where, &s->expires, err);
    if (rc != MOAT_OK)
        return rc;
    if (s->reason == NULL || s->reason[0] == '\0')
        return moat__error_set(err, MOAT_E_INVAL, e->pos,
                               "%s: a suppression needs a \"reason\"", where);
    if (s->rule == NULL && s->fingerprint == NULL)
        return moat__error_set(
            err, MOAT_E_INVAL, e->pos,
            "%s: give a \"rule\" (id or name) or a \"fingerprint\"", where);
    if (s->expires && !valid_date(s->expires))
        return moat__error_set(err, MOAT_E_INVAL, e->pos,
                               "%s: \"expires\" is \"%s\"; expected YYYY-MM-DD",
                               where, s->expires);
    s->expired = s->expires && strcmp(s->expires, today) < 0;
    return MOAT_OK;
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
    if (doc->type == JSON_ARRAY)
        list = doc;
    else if ((rc = member(doc, "suppressions", "the suppressions file", &list,
                          err)) != MOAT_OK)
        goto out;
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
        if ((rc = read_suppression(ar, e, i, today, &v[i], err)) != MOAT_OK)
            goto out;
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
    const json_value *list = NULL, *fp;
    if (doc == NULL) {
        rc = moat__error_set(err, MOAT_E_SYNTAX, jerr.pos, "%s", jerr.msg);
        goto out;
    }
    if ((rc = member(doc, "findings", "the baseline", &list, err)) != MOAT_OK)
        goto out;
    if (list == NULL || list->type != JSON_ARRAY) {
        rc = moat__error_set(
            err, MOAT_E_INVAL, doc->pos,
            "expected a baseline: {\"findings\": [{\"fingerprint\": ...}]}, as --write-baseline writes it");
        goto out;
    }
    for (const json_value *e = list->child; e; e = e->next) {
        if ((rc = member(e, "fingerprint", "the baseline", &fp, err)) !=
            MOAT_OK)
            goto out;
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
