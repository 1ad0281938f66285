/*
** replay_part.c - a JSON summary (the partial of one shard) read back for
** --merge, and checked before it counts.
**
** A summary is evidence for changing a firewall, so one that does not add
** up is refused, never summed: every count must be a whole number from 0
** to 2^53 (where a JSON number, read as a double, still counts exactly),
** and every part must fit its whole (mapped and unmapped records make the
** records; allow, deny and missing make the mapped ones; the categories
** make allow and deny; each account's changes are its sources; ...). The
** errors name the file and the field: "part.json: configs[1].deny: -4 is
** not a count". A partial is read into an aggregate of its own, checked,
** and only then merged. (cJSON: partials are small next to logs.)
*/
#include "replay.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COUNT 9007199254740992.0 /* 2^53 */

typedef struct part {
    replay_agg agg; /* what this partial holds */
    char *names[REPLAY_MAX_CONFIGS];
    const char *path;
    char *err;
    size_t cap;
} part;

/* "path: " and the message in err; returns -1. */
static int refuse(part *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int refuse(part *p, const char *fmt, ...)
{
    int n = snprintf(p->err, p->cap, "%s: ", p->path);
    if (n < 0 || (size_t)n >= p->cap)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->cap - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int get_count(part *p, const cJSON *v, const char *field, uint64_t *out)
{
    if (v == NULL)
        return refuse(p, "%s: missing", field);
    if (!cJSON_IsNumber(v))
        return refuse(p, "%s: not a number", field);
    double d = v->valuedouble;
    if (!(d >= 0 && d <= MAX_COUNT) || d != (double)(uint64_t)d)
        return refuse(
            p, "%s: %.17g is not a count (a whole number from 0 to 2^53)",
            field, d);
    *out = (uint64_t)d;
    return 0;
}

/* The count obj.name, its field written as "where.name". */
static int member_count(part *p, const cJSON *obj, const char *where,
                        const char *name, uint64_t *out)
{
    char field[1024];
    snprintf(field, sizeof field, "%s%s%s", where, where[0] ? "." : "", name);
    return get_count(p, cJSON_GetObjectItemCaseSensitive(obj, name), field,
                     out);
}

/* An object of counts by key ({"reason": n, ...}) into m; absent is
** empty. A key twice would be summed with itself: refused. */
static int read_map(part *p, strmap *m, const cJSON *obj, const char *field)
{
    if (obj == NULL)
        return 0;
    if (!cJSON_IsObject(obj))
        return refuse(p, "%s: not an object", field);
    for (const cJSON *e = obj->child; e; e = e->next) {
        char f[1024];
        size_t len = strlen(e->string);
        snprintf(f, sizeof f, "%.700s[\"%.200s\"]", field, e->string);
        uint64_t n = 0;
        if (strmap_find(m, e->string, len))
            return refuse(p, "%s: appears twice", f);
        if (get_count(p, e, f, &n) < 0)
            return -1;
        if (strmap_add(m, e->string, len, n) < 0)
            return refuse(p, "out of memory");
    }
    return 0;
}

/* The configurations' names, which fix the partial's shape. */
static int read_names(part *p, const cJSON *root)
{
    const cJSON *configs = cJSON_GetObjectItemCaseSensitive(root, "configs");
    replay_config cfg[REPLAY_MAX_CONFIGS];
    int n = 0;
    if (!cJSON_IsArray(configs) || configs->child == NULL)
        return refuse(p, "configs: missing");
    for (const cJSON *e = configs->child; e; e = e->next, n++) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
        if (n == REPLAY_MAX_CONFIGS)
            return refuse(p, "configs: more than %d", REPLAY_MAX_CONFIGS);
        if (!cJSON_IsString(name))
            return refuse(p, "configs[%d].name: not a string", n);
        for (int k = 0; k < n; k++)
            if (strcmp(p->names[k], name->valuestring) == 0)
                return refuse(p, "configs[%d].name: %s appears twice", n,
                              name->valuestring);
        p->names[n] = strdup(name->valuestring);
        if (p->names[n] == NULL)
            return refuse(p, "out of memory");
        cfg[n].name = p->names[n];
        cfg[n].es = NULL;
    }
    if (replay_agg_init(&p->agg, cfg, n) < 0)
        return refuse(p, "out of memory");
    return 0;
}

static int read_categories(part *p, cfg_agg *cf, const cJSON *cats, int c)
{
    char field[64];
    snprintf(field, sizeof field, "configs[%d].categories", c);
    if (!cJSON_IsObject(cats))
        return refuse(p, "%s: %s", field, cats ? "not an object" : "missing");
    unsigned char seen[MOAT_CAT_COUNT_] = {0};
    for (const cJSON *k = cats->child; k; k = k->next) {
        moat_category cat = moat_category_from_name(k->string);
        if (cat == MOAT_CAT_NONE || (unsigned)cat >= MOAT_CAT_COUNT_)
            return refuse(p, "%s: unknown category %.200s", field, k->string);
        if (seen[cat]++)
            return refuse(p, "%s: %s appears twice", field, k->string);
        char f[160];
        snprintf(f, sizeof f, "%s.%s", field, k->string);
        if (get_count(p, k, f, &cf->categories[cat]) < 0)
            return -1;
    }
    return 0;
}

static int read_config(part *p, const cJSON *root, const cJSON *e, int c)
{
    cfg_agg *cf = &p->agg.cfg[c];
    const char *name = p->names[c];
    char where[320];
    snprintf(where, sizeof where, "configs[%d]", c);
    if (member_count(p, e, where, "allow", &cf->allow) < 0 ||
        member_count(p, e, where, "deny", &cf->deny) < 0 ||
        member_count(p, e, where, "missing", &cf->missing) < 0 ||
        read_categories(p, cf,
                        cJSON_GetObjectItemCaseSensitive(e, "categories"),
                        c) < 0)
        return -1;
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(root, "rules");
    snprintf(where, sizeof where, "rules.%.200s", name);
    if (read_map(p, &cf->rules, cJSON_GetObjectItemCaseSensitive(rules, name),
                 where) < 0)
        return -1;
    if (c == 0)
        return 0;
    const cJSON *changes = cJSON_GetObjectItemCaseSensitive(root, "changes");
    const cJSON *ch = cJSON_GetObjectItemCaseSensitive(changes, name);
    snprintf(where, sizeof where, "changes.%.200s", name);
    if (member_count(p, ch, where, "newly_denied", &cf->newly_denied) < 0 ||
        member_count(p, ch, where, "newly_allowed", &cf->newly_allowed) < 0)
        return -1;
    return 0;
}

static int read_change(part *p, change_agg *ch, const cJSON *o,
                       const char *where)
{
    static const char *const maps[] = {"denied_sources", "denied_identities",
                                       "allowed_sources",
                                       "allowed_identities", "denied_causes"};
    strmap *into[] = {&ch->denied_sources, &ch->denied_identities,
                      &ch->allowed_sources, &ch->allowed_identities,
                      &ch->denied_causes};
    if (member_count(p, o, where, "newly_denied", &ch->newly_denied) < 0 ||
        member_count(p, o, where, "newly_allowed", &ch->newly_allowed) < 0)
        return -1;
    for (int i = 0; i < 5; i++) {
        char field[1024];
        snprintf(field, sizeof field, "%s.%s", where, maps[i]);
        if (read_map(p, into[i], cJSON_GetObjectItemCaseSensitive(o, maps[i]),
                     field) < 0)
            return -1;
    }
    return 0;
}

static int read_accounts(part *p, const cJSON *accounts)
{
    if (accounts && !cJSON_IsObject(accounts))
        return refuse(p, "accounts: not an object");
    for (const cJSON *e = accounts ? accounts->child : NULL; e; e = e->next) {
        char where[512];
        size_t len = strlen(e->string);
        snprintf(where, sizeof where, "accounts[\"%.200s\"]", e->string);
        if (strmap_find(&p->agg.accounts, e->string, len))
            return refuse(p, "%s: appears twice", where);
        account_agg *acc = replay_agg_account(&p->agg, e->string, len);
        if (acc == NULL)
            return refuse(p, "out of memory");
        if (member_count(p, e, where, "records", &acc->records) < 0)
            return -1;
        const cJSON *ch = cJSON_GetObjectItemCaseSensitive(e, "changes");
        for (int c = 1; c < p->agg.n_cfg; c++) {
            char field[800];
            snprintf(field, sizeof field, "%s.changes.%.200s", where,
                     p->names[c]);
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(ch, p->names[c]);
            if (read_change(p, &acc->changes[c], o, field) < 0)
                return -1;
        }
    }
    return 0;
}

/* One disagreement: account, Azure's outcome, moat's category, source. */
/* Azure's outcome as a disagreement names it: "allowed", "denied", or
** "denied CODE" with Key Vault's inner code (a word of letters). */
static int azure_outcome(const char *s)
{
    if (strcmp(s, "allowed") == 0 || strcmp(s, "denied") == 0)
        return 1;
    if (strncmp(s, "denied ", 7) != 0 || s[7] == '\0')
        return 0;
    for (const char *c = s + 7; *c; c++)
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z')))
            return 0;
    return 1;
}

static int read_disagreement(part *p, const cJSON *e, int i)
{
    static const char *const f[4] = {"account", "azure", "moat_category",
                                     "source"};
    char where[64];
    snprintf(where, sizeof where, "fidelity.disagreements[%d]", i);
    const char *v[4];
    size_t len = 0;
    for (int k = 0; k < 4; k++) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(e, f[k]);
        if (!cJSON_IsString(s) || strchr(s->valuestring, '\t'))
            return refuse(p, "%s.%s: not a string without tabs", where, f[k]);
        v[k] = s->valuestring;
        len += strlen(v[k]) + 1;
    }
    if (!azure_outcome(v[1]))
        return refuse(
            p,
            "%s.azure: allowed, denied or denied with Azure's code (\"denied ForbiddenByConnection\"), not %.40s",
            where, v[1]);
    if (moat_category_from_name(v[2]) == MOAT_CAT_NONE)
        return refuse(p, "%s.moat_category: unknown category %.100s", where,
                      v[2]);
    uint64_t n;
    char *key = malloc(len);
    if (key == NULL)
        return refuse(p, "out of memory");
    snprintf(key, len, "%s\t%s\t%s\t%s", v[0], v[1], v[2], v[3]);
    int rc = member_count(p, e, where, "records", &n);
    if (rc == 0 && strmap_find(&p->agg.disagreements, key, len - 1))
        rc = refuse(p, "%s: appears twice", where);
    if (rc == 0 && strmap_add(&p->agg.disagreements, key, len - 1, n) < 0)
        rc = refuse(p, "out of memory");
    free(key);
    return rc;
}

static int read_fidelity(part *p, const cJSON *root)
{
    replay_agg *a = &p->agg;
    const cJSON *fid = cJSON_GetObjectItemCaseSensitive(root, "fidelity");
    const cJSON *ad = cJSON_GetObjectItemCaseSensitive(fid, "azure_denied");
    const cJSON *aa = cJSON_GetObjectItemCaseSensitive(fid, "azure_allowed");
    const char *d = "fidelity.azure_denied", *al = "fidelity.azure_allowed";
    if (member_count(p, ad, d, "moat_denied", &a->azure_denied_moat_denied) <
            0 ||
        member_count(p, ad, d, "moat_allowed", &a->azure_denied_moat_allowed) <
            0 ||
        member_count(p, aa, al, "moat_allowed",
                     &a->azure_allowed_moat_allowed) < 0 ||
        member_count(p, aa, al, "moat_denied", &a->azure_allowed_moat_denied) <
            0)
        return -1;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(fid, "disagreements");
    if (list && !cJSON_IsArray(list))
        return refuse(p, "fidelity.disagreements: not an array");
    int i = 0;
    for (const cJSON *e = list ? list->child : NULL; e; e = e->next, i++)
        if (read_disagreement(p, e, i) < 0)
            return -1;
    return 0;
}

/* Every field of the partial into p->agg, each count checked. */
static int read_part(part *p, const cJSON *root)
{
    replay_agg *a = &p->agg;
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "moat_replay");
    if (!cJSON_IsNumber(version) || version->valuedouble != 1)
        return refuse(
            p, "moat_replay: %s (this moat reads version 1)",
            cJSON_IsNumber(version)
                ? "another version"
                : "missing: not a moat replay summary (--format json)");
    if (read_names(p, root) < 0 ||
        member_count(p, root, "", "records", &a->records) < 0 ||
        member_count(p, root, "", "mapped", &a->mapped) < 0 ||
        member_count(p, root, "", "unmapped", &a->unmapped) < 0 ||
        read_map(p, &a->unmapped_reasons,
                 cJSON_GetObjectItemCaseSensitive(root, "unmapped_reasons"),
                 "unmapped_reasons") < 0 ||
        read_map(p, &a->formats,
                 cJSON_GetObjectItemCaseSensitive(root, "formats"),
                 "formats") < 0)
        return -1;
    const cJSON *configs = cJSON_GetObjectItemCaseSensitive(root, "configs");
    int c = 0;
    for (const cJSON *e = configs->child; e; e = e->next, c++)
        if (read_config(p, root, e, c) < 0)
            return -1;
    if (read_accounts(p, cJSON_GetObjectItemCaseSensitive(root, "accounts")) <
            0 ||
        read_fidelity(p, root) < 0)
        return -1;
    char msg[512];
    if (replay_nsp_read(a, root, msg, sizeof msg) < 0)
        return refuse(p, "%s", msg);
    return 0;
}

/*--------------------------------------------------------------------------
** Parts within their wholes.
*/
/* A sum that saturates: an overflowing one still exceeds every whole. */
static uint64_t map_sum(const strmap *m)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < m->cap; i++) {
        uint64_t n = m->slots[i].key ? m->slots[i].count : 0;
        sum = n > UINT64_MAX - sum ? UINT64_MAX : sum + n;
    }
    return sum;
}

/* what (a sum of parts, or one value) against its whole: equal when
** exact, else at most the whole. */
static int fits(part *p, uint64_t value, uint64_t whole, int exact, int sum,
                const char *what, const char *whole_what)
{
    if (exact ? value == whole : value <= whole)
        return 0;
    return refuse(p, "%s %s %llu, %s %s (%llu)", what,
                  sum ? "add up to" : "is", (unsigned long long)value,
                  exact ? "not" : "more than", whole_what,
                  (unsigned long long)whole);
}

static int check_totals(part *p)
{
    const replay_agg *a = &p->agg;
    char what[128];
    snprintf(what, sizeof what, "mapped (%llu) and unmapped (%llu)",
             (unsigned long long)a->mapped, (unsigned long long)a->unmapped);
    if (fits(p, a->mapped + a->unmapped, a->records, 1, 1, what,
             "the records") < 0 ||
        fits(p, map_sum(&a->unmapped_reasons), a->unmapped, 1, 1,
             "unmapped_reasons", "unmapped") < 0 ||
        fits(p, map_sum(&a->formats), a->records, 1, 1, "formats",
             "the records") < 0)
        return -1;
    for (int c = 0; c < a->n_cfg; c++) {
        const cfg_agg *cf = &a->cfg[c];
        uint64_t decided = cf->allow + cf->deny, cats = 0;
        for (int k = 0; k < MOAT_CAT_COUNT_; k++)
            cats += cf->categories[k]; /* each at most 2^53: no overflow */
        char cat[64], rules[256], whole[64];
        snprintf(what, sizeof what, "configs[%d]: allow, deny and missing", c);
        snprintf(cat, sizeof cat, "configs[%d].categories", c);
        snprintf(rules, sizeof rules, "rules.%.200s", p->names[c]);
        if (fits(p, decided + cf->missing, a->mapped, 1, 1, what,
                 "the mapped records") < 0 ||
            fits(p, cats, decided, 1, 1, cat, "allow and deny") < 0 ||
            fits(p, map_sum(&cf->rules), decided, 0, 1, rules,
                 "the decisions") < 0)
            return -1;
        if (c == 0)
            continue;
        snprintf(what, sizeof what, "changes.%.60s.newly_denied", p->names[c]);
        snprintf(whole, sizeof whole, "configs[%d].deny", c);
        if (fits(p, cf->newly_denied, cf->deny, 0, 0, what, whole) < 0)
            return -1;
        snprintf(what, sizeof what, "changes.%.60s.newly_allowed", p->names[c]);
        snprintf(whole, sizeof whole, "configs[%d].allow", c);
        if (fits(p, cf->newly_allowed, cf->allow, 0, 0, what, whole) < 0)
            return -1;
    }
    return 0;
}

/* An account's changes by one proposal: each list of sources and of
** identities names every record it counts. */
static int check_change(part *p, const char *id, const char *name,
                        const change_agg *ch, uint64_t records)
{
    const strmap *maps[] = {&ch->denied_sources, &ch->denied_identities,
                            &ch->allowed_sources, &ch->allowed_identities};
    static const char *const names[] = {"denied_sources", "denied_identities",
                                        "allowed_sources",
                                        "allowed_identities"};
    char what[512], whole[64];
    for (int i = 0; i < 4; i++) {
        uint64_t want = i < 2 ? ch->newly_denied : ch->newly_allowed;
        snprintf(what, sizeof what, "accounts[\"%.200s\"].changes.%.60s.%s", id,
                 name, names[i]);
        snprintf(whole, sizeof whole, "its newly_%s", i < 2 ? "denied"
                                                             : "allowed");
        if (fits(p, map_sum(maps[i]), want, 1, 1, what, whole) < 0)
            return -1;
    }
    snprintf(what, sizeof what, "accounts[\"%.200s\"].changes.%.60s", id, name);
    return fits(p, ch->newly_denied + ch->newly_allowed, records, 0, 1, what,
                "the account's records");
}

static int check_accounts(part *p)
{
    const replay_agg *a = &p->agg;
    uint64_t records = 0, denied[REPLAY_MAX_CONFIGS] = {0},
             allowed[REPLAY_MAX_CONFIGS] = {0};
    for (size_t i = 0; i < a->accounts.cap; i++) {
        const strmap_entry *e = &a->accounts.slots[i];
        const account_agg *acc = e->key ? e->value : NULL;
        if (acc == NULL)
            continue;
        records += acc->records; /* fewer accounts than 2^11 bytes each */
        for (int c = 1; c < a->n_cfg; c++) {
            if (check_change(p, e->key, p->names[c], &acc->changes[c],
                             acc->records) < 0)
                return -1;
            denied[c] += acc->changes[c].newly_denied;
            allowed[c] += acc->changes[c].newly_allowed;
        }
    }
    if (fits(p, records, a->mapped, 1, 1, "the accounts' records",
             "the mapped records") < 0)
        return -1;
    for (int c = 1; c < a->n_cfg; c++) {
        char what[128], whole[128];
        snprintf(what, sizeof what, "the accounts' newly denied by %.60s",
                 p->names[c]);
        snprintf(whole, sizeof whole, "changes.%.60s.newly_denied",
                 p->names[c]);
        if (fits(p, denied[c], a->cfg[c].newly_denied, 1, 1, what, whole) < 0)
            return -1;
        snprintf(what, sizeof what, "the accounts' newly allowed by %.60s",
                 p->names[c]);
        snprintf(whole, sizeof whole, "changes.%.60s.newly_allowed",
                 p->names[c]);
        if (fits(p, allowed[c], a->cfg[c].newly_allowed, 1, 1, what, whole) <
            0)
            return -1;
    }
    return 0;
}

static int check_fidelity(part *p)
{
    const replay_agg *a = &p->agg;
    uint64_t by_azure[2] = {0, 0}; /* [0] Azure denied, [1] allowed */
    for (size_t i = 0; i < a->disagreements.cap; i++) {
        const strmap_entry *e = &a->disagreements.slots[i];
        const char *tab = e->key ? strchr(e->key, '\t') : NULL;
        if (tab)
            by_azure[strncmp(tab + 1, "allowed\t", 8) == 0] += e->count;
    }
    uint64_t evidence = a->azure_denied_moat_denied +
                        a->azure_denied_moat_allowed +
                        a->azure_allowed_moat_allowed +
                        a->azure_allowed_moat_denied;
    if (fits(p, evidence, a->mapped, 0, 1, "fidelity's four counts",
             "the mapped records") < 0 ||
        fits(p, by_azure[0], a->azure_denied_moat_allowed, 0, 1,
             "fidelity.disagreements where Azure denied",
             "fidelity.azure_denied.moat_allowed") < 0 ||
        fits(p, by_azure[1], a->azure_allowed_moat_denied, 0, 1,
             "fidelity.disagreements where Azure allowed",
             "fidelity.azure_allowed.moat_denied") < 0)
        return -1;
    return 0;
}

/*--------------------------------------------------------------------------
** Merging a checked partial.
*/
/* The first partial fixes the configurations; the others must match. */
static int merge_part(replay_agg *into, part *p)
{
    const replay_agg *from = &p->agg;
    if (into->n_cfg == 0) {
        replay_config cfg[REPLAY_MAX_CONFIGS];
        for (int c = 0; c < from->n_cfg; c++) {
            cfg[c].name = strdup(p->names[c]); /* cmd_replay frees them */
            cfg[c].es = NULL;
            if (cfg[c].name == NULL)
                return refuse(p, "out of memory");
        }
        if (replay_agg_init(into, cfg, from->n_cfg) < 0)
            return refuse(p, "out of memory");
    }
    for (int c = 0; c < into->n_cfg || c < from->n_cfg; c++) {
        if (c >= into->n_cfg || c >= from->n_cfg ||
            strcmp(into->names[c], p->names[c]) != 0)
            return refuse(
                p,
                "its configurations differ from the first partial's (configuration %d is %s, expected %s)",
                c + 1, c < from->n_cfg ? p->names[c] : "none",
                c < into->n_cfg ? into->names[c] : "none");
    }
    if (replay_agg_merge(into, from) < 0)
        return refuse(p, "out of memory");
    return 0;
}

/* FILE:LINE:COL of where cJSON stopped. */
static int syntax_error(part *p, const char *json, const char *at)
{
    unsigned line = 1, col = 1;
    for (const char *c = json; at && c < at; c++) {
        if (*c == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    snprintf(
        p->err, p->cap,
        "%s:%u:%u: not JSON: not a moat replay summary (--format json), or one cut short",
        p->path, line, col);
    return -1;
}

int replay_agg_read(replay_agg *a, const char *path, const char *json,
                    size_t len, char *err, size_t cap)
{
    part p;
    memset(&p, 0, sizeof p);
    p.path = path;
    p.err = err;
    p.cap = cap;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    int rc;
    if (root == NULL)
        rc = syntax_error(&p, json, end);
    else if (!cJSON_IsObject(root))
        rc = refuse(&p, "not a moat replay summary (--format json)");
    else if (read_part(&p, root) < 0 || check_totals(&p) < 0 ||
             check_accounts(&p) < 0 || check_fidelity(&p) < 0)
        rc = -1;
    else
        rc = merge_part(a, &p);
    cJSON_Delete(root);
    if (p.agg.n_cfg)
        replay_agg_free(&p.agg);
    for (int c = 0; c < REPLAY_MAX_CONFIGS; c++)
        free(p.names[c]);
    return rc;
}
