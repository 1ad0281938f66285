/*
** members.c - reading the members of an estate's JSON so that moat reads
** exactly one value for each setting, the one every other reader reads, or
** says why it cannot.
**
** RFC 8259 section 4: names "SHOULD be unique"; when they are not, "the
** behavior of software that receives such an object is unpredictable".
** It is: Python's json, Node's JSON.parse, Go's encoding/json, Json.NET
** (DuplicatePropertyNameHandling.Replace, its default) and System.Text.Json
** keep the last of two, cJSON and moat's own lookup the first. ARM matches
** names ignoring case and accepts some settings under two spellings
** (networkAcls and networkRuleSet) and in two places (inside "properties",
** or beside it in az's flattened output), so the same holds across those.
** And a string holding U+0000 reads as two different values: whole to a
** JSON reader, cut short to every C string function after the parse.
**
** Only what moat reads is looked at: a name twice where moat never looks
** is the estate's own business. docs/decisions.md, "Reading JSON", has the
** rules; load.h the functions.
*/
#include "load.h"

#include <string.h>

#define MAX_FOUND 8 /* two spellings, twice each, in two places */

/* Every member a lookup found, in the order of the text. */
typedef struct found {
    json_value *v[MAX_FOUND];
    const json_value *holder[MAX_FOUND]; /* the object each is in */
    size_t n;
} found;

typedef enum reading { READ_STRICT, READ_UNKNOWN } reading;

typedef enum why { WHY_TWICE, WHY_BESIDE, WHY_NUL } why;

/* Adds the members of obj named name (at most two: two are enough to be
** ambiguous), keeping the list in text order. */
static void gather(found *f, const json_value *obj, const char *name)
{
    json_value *second;
    json_value *first = moat__json_find(obj, name, &second);
    json_value *both[2] = {first, second};
    for (size_t k = 0; k < 2 && both[k] && f->n < MAX_FOUND; k++) {
        size_t i = f->n++;
        while (i > 0 && f->v[i - 1]->key_pos > both[k]->key_pos) {
            f->v[i] = f->v[i - 1];
            f->holder[i] = f->holder[i - 1];
            i--;
        }
        f->v[i] = both[k];
        f->holder[i] = obj;
    }
}

/* Settings ARM also defines beside "properties" with another meaning:
** Resource Graph rows carry the subscription's tenantId there, while a
** vault's or an identity's own is properties.tenantId. */
static int also_beside(const char *name)
{
    return strcmp(name, "tenantId") == 0;
}

/* Two scalars with the same JSON value; containers never compare equal
** (a conservative answer: they are then read as conflicting). */
static int same_scalar(const json_value *a, const json_value *b)
{
    if (a->type != b->type || a->type == JSON_OBJECT || a->type == JSON_ARRAY)
        return 0;
    if (a->type != JSON_STRING && a->type != JSON_NUMBER)
        return 1;
    return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
}

/* Whether every value found is the same, none holding U+0000. */
static int values_agree(const found *f)
{
    if (f->n < 2)
        return 0;
    for (size_t i = 0; i < f->n; i++) {
        if (moat__json_has_nul(f->v[i]) || !same_scalar(f->v[0], f->v[i]))
            return 0;
    }
    return 1;
}

/* An unknown value standing where `at` stands: the readers that take an
** ARM template expression as its most restrictive value take this one so.
** NULL when out of memory. */
static const json_value *unknown_value(rctx *c, const json_value *at,
                                       const char *text)
{
    json_value *v = moat__arena_zalloc(&c->ld->arena, sizeof *v);
    if (v == NULL) {
        moat__oom(c->ld);
        return NULL;
    }
    *v = *at;
    v->type = JSON_STRING;
    v->str = text;
    v->len = (uint32_t)strlen(text);
    v->child = v->next = NULL;
    return v;
}

static unsigned line_of(const rctx *c, const json_value *v)
{
    unsigned line = 0, col;
    if (c->file)
        moat__src_line_col(c->file, v->key ? v->key_pos : v->pos, &line, &col);
    return line;
}

/* What is wrong, in words, into b: f's members are v[0] (first in the
** text) and `at`, the one the diagnostic points at. */
static void say_why(moat_buf *b, const rctx *c, const found *f,
                    const json_value *at, why w)
{
    const json_value *first = f->v[0];
    if (w == WHY_NUL)
        moat__buf_printf(
            b,
            "\"%s\" holds U+0000, which would cut it short (to \"%s\"): the value is not what other readers see",
            at->key ? at->key : "", at->str);
    else if (w == WHY_BESIDE && f->n == 1)
        moat__buf_printf(
            b,
            "\"%s\" beside \"properties\": ARM reads this setting inside \"properties\", az's flattened output beside it, and with both present which one is meant is not clear",
            at->key);
    else if (w == WHY_BESIDE)
        moat__buf_printf(
            b,
            "\"%s\" is given both inside \"properties\" and beside it (line %u): ARM reads the one, az's flattened output the other",
            at->key, line_of(c, at == first ? f->v[1] : first));
    else if (moat__eq_ci_z(first->key, at->key))
        moat__buf_printf(
            b,
            "duplicate key \"%s\" (first at line %u): JSON readers disagree on which one counts (Python, Node and Go take the last)",
            at->key, line_of(c, first));
    else
        moat__buf_printf(
            b,
            "duplicate setting: \"%s\" and \"%s\" (line %u) are two spellings of one setting, and readers disagree on which one counts",
            at->key, first->key, line_of(c, first));
}

/* One diagnostic about `at`, in the holder's path; none when one of this
** severity or a graver one was already made about it (a member may be
** looked up more than once). */
static void report(rctx *c, json_value *at, const json_value *holder,
                   moat_severity sev, const found *f, why w,
                   const char *outcome)
{
    uint8_t level = sev == MOAT_SEV_ERROR ? 2 : 1;
    if (at->flagged >= level)
        return;
    at->flagged = level;
    size_t len = holder == c->beside && c->beside ? c->beside_len : c->path_len;
    moat_buf b;
    moat__buf_init(&b, 0);
    say_why(&b, c, f, at, w);
    moat__buf_puts(&b, outcome);
    src_loc loc = {c->file, at->key ? at->key_pos : at->pos, c->res,
                   moat__arena_printf(&c->ld->arena, "%.*s%s%s", (int)len,
                                      c->path, len && at->key ? "." : "",
                                      at->key ? at->key : "")};
    moat__diag_at(c->ld, &loc, sev, MOAT_E_INVAL, "%s", moat__buf_cstr(&b));
    moat__buf_free(&b);
}

/* The value to read when f's members are ambiguous, after the diagnostic:
** an error; under --lenient a warning and the agreed value, or an unknown
** one when `how` allows, else still an error. */
static const json_value *resolve(rctx *c, const found *f, why w, reading how)
{
    size_t i = f->n > 1 ? 1 : 0; /* the second in the text, or the one */
    json_value *at = f->v[i];
    const json_value *out = f->v[0];
    moat_severity sev = MOAT_SEV_ERROR;
    const char *outcome = "; write it once";
    if (!(c->ld->flags & MOAT_LOAD_LENIENT)) {
        if (w == WHY_NUL)
            outcome = "; write it without U+0000";
    } else if (w != WHY_NUL && values_agree(f)) {
        sev = MOAT_SEV_WARNING;
        outcome = "; the values agree, so it is read once";
    } else if (how == READ_UNKNOWN) {
        sev = MOAT_SEV_WARNING;
        outcome =
            "; read as unknown, which decides as its most restrictive value";
        out = unknown_value(
            c, at, w == WHY_NUL ? "[holds U+0000]" : "[conflicting values]");
    } else {
        outcome =
            "; no reading of it is safe, so it stays an error under --lenient";
    }
    report(c, at, f->holder[i], sev, f, w, outcome);
    return out;
}

static const json_value *lookup(rctx *c, const json_value *obj,
                                const char *name, const char *alias,
                                reading how)
{
    found f;
    f.n = 0;
    gather(&f, obj, name);
    if (alias)
        gather(&f, obj, alias);
    int beside = 0;
    if (obj == c->props && c->beside && !also_beside(name)) {
        size_t n = f.n;
        gather(&f, c->beside, name);
        if (alias)
            gather(&f, c->beside, alias);
        beside = f.n > n;
    }
    if (f.n == 0)
        return NULL;
    if (f.n == 1 && !beside)
        return moat__json_has_nul(f.v[0]) ? resolve(c, &f, WHY_NUL, how)
                                          : f.v[0];
    return resolve(c, &f, beside ? WHY_BESIDE : WHY_TWICE, how);
}

const json_value *moat__member(rctx *c, const json_value *obj, const char *name,
                               const char *alias)
{
    return lookup(c, obj, name, alias, READ_STRICT);
}

const json_value *moat__setting(rctx *c, const json_value *obj,
                                const char *name, const char *alias)
{
    return lookup(c, obj, name, alias, READ_UNKNOWN);
}

int moat__element_ok(rctx *c, const json_value *e)
{
    if (!moat__json_has_nul(e))
        return 1;
    json_value *at = (json_value *)(uintptr_t)e; /* the loader's own tree */
    int lenient = (c->ld->flags & MOAT_LOAD_LENIENT) != 0;
    moat_severity sev = lenient ? MOAT_SEV_WARNING : MOAT_SEV_ERROR;
    if (at->flagged < (lenient ? 1 : 2)) {
        at->flagged = lenient ? 1 : 2;
        src_loc loc = {c->file, e->pos, c->res,
                       moat__dupn(c->ld, c->path, c->path_len)};
        moat__diag_at(c->ld, &loc, sev, MOAT_E_INVAL,
                      "\"%s...\" holds U+0000, which would cut it short%s",
                      e->str,
                      lenient ? "; left out" : "; write it without U+0000");
    }
    return 0;
}

const json_value *moat__props_enter(rctx *c, const json_value *obj,
                                    props_mark *saved)
{
    saved->props = c->props;
    saved->beside = c->beside;
    saved->beside_len = c->beside_len;
    saved->path_len = c->path_len;
    const json_value *p = moat__member(c, obj, "properties", NULL);
    if (p == NULL || p->type != JSON_OBJECT) {
        c->props = c->beside = NULL;
        return obj;
    }
    c->beside = obj;
    c->beside_len = c->path_len;
    moat__rctx_push_key(c, p);
    c->props = p;
    return p;
}

void moat__props_leave(rctx *c, const props_mark *saved)
{
    moat__rctx_pop(c, saved->path_len);
    c->props = saved->props;
    c->beside = saved->beside;
    c->beside_len = saved->beside_len;
}
