/*
** replay_agg.c - what replay counts, and how partial counts merge.
**
** Every aggregate is a sum (of records, of decisions by category, of
** changes by account, source and identity, of rule hits by rule name, of
** disagreements with Azure by account, category and source), so a summary
** of shards merged is exactly the summary of one run over all of them; the
** JSON form writes keys sorted, so the two are the same bytes.
*/
#include "replay.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int replay_agg_init(replay_agg *a, const replay_config *cfg, int n_cfg)
{
    memset(a, 0, sizeof *a);
    a->n_cfg = n_cfg;
    strmap_init(&a->unmapped_reasons);
    strmap_init(&a->formats);
    strmap_init(&a->accounts);
    strmap_init(&a->disagreements);
    for (int c = 0; c < n_cfg; c++) {
        a->names[c] = cfg[c].name;
        a->es[c] = cfg[c].es;
        strmap_init(&a->cfg[c].rules);
        a->cfg[c].n_rules = cfg[c].es ? moat_estate_rule_count(cfg[c].es) : 0;
        if (a->cfg[c].n_rules) {
            a->cfg[c].rule_hits =
                calloc(a->cfg[c].n_rules, sizeof *a->cfg[c].rule_hits);
            if (a->cfg[c].rule_hits == NULL)
                return -1;
        }
    }
    return 0;
}

static void free_account(void *p)
{
    account_agg *acc = p;
    for (int c = 0; c < REPLAY_MAX_CONFIGS; c++) {
        change_agg *ch = &acc->changes[c];
        strmap_free(&ch->denied_sources, NULL);
        strmap_free(&ch->denied_identities, NULL);
        strmap_free(&ch->allowed_sources, NULL);
        strmap_free(&ch->allowed_identities, NULL);
        strmap_free(&ch->denied_causes, NULL);
    }
    free(acc);
}

void replay_agg_free(replay_agg *a)
{
    strmap_free(&a->unmapped_reasons, NULL);
    strmap_free(&a->formats, NULL);
    strmap_free(&a->accounts, free_account);
    strmap_free(&a->disagreements, NULL);
    for (int c = 0; c < a->n_cfg; c++) {
        free(a->cfg[c].rule_hits);
        strmap_free(&a->cfg[c].rules, NULL);
    }
}

account_agg *replay_agg_account(replay_agg *a, const char *id, size_t n)
{
    strmap_entry *e = strmap_get(&a->accounts, id, n);
    if (e == NULL) {
        a->failed = 1;
        return NULL;
    }
    if (e->value == NULL) {
        e->value = calloc(1, sizeof(account_agg));
        if (e->value == NULL)
            a->failed = 1;
    }
    return e->value;
}

static void count(replay_agg *a, strmap *m, const char *key, size_t n,
                  uint64_t k)
{
    if (strmap_add(m, key, n, k) < 0)
        a->failed = 1;
}

/* A map key printed into small when it fits, else into a malloc'd string
** (ids have no length limit; a key cut short would be another key, and one
** skipped a finding lost). NULL when out of memory. */
static char *key_printf(char *small, size_t cap, size_t *len, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));
static char *key_printf(char *small, size_t cap, size_t *len, const char *fmt,
                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, cap, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    *len = (size_t)n;
    if ((size_t)n < cap)
        return small;
    char *big = malloc((size_t)n + 1);
    if (big == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return big;
}

/* A copy of key split at its tabs into f[0..n-1] ("" past the last
** field); the copy is the caller's to free (NULL: out of memory). */
static char *key_fields(const char *key, const char **f, int n)
{
    char *copy = strdup(key);
    char *p = copy;
    for (int k = 0; k < n; k++) {
        f[k] = p ? p : "";
        p = p ? strchr(p, '\t') : NULL;
        if (p)
            *p++ = '\0';
    }
    return copy;
}

void replay_agg_unmapped(replay_agg *a, const char *reason)
{
    a->records++;
    a->unmapped++;
    count(a, &a->unmapped_reasons, reason, strlen(reason), 1);
}

/* The last segment of an ARM id of n bytes. */
static moat_text last_segment(const char *p, size_t n)
{
    size_t k = n;
    while (k > 0 && p[k - 1] != '/')
        k--;
    return (moat_text){p + k, n - k};
}

/* A requester's object id as the estate knows it: "name (principal id)"
** for a managed identity of the estate, else the id as it is. */
static char *identity_name(const replay_agg *a, moat_text id, char *small,
                           size_t cap, size_t *n)
{
    char pid[128];
    moat_identity who;
    if (id.n > 0 && id.n < sizeof pid && a->es[0]) {
        memcpy(pid, id.p, id.n);
        pid[id.n] = '\0';
        if (moat_estate_identity(a->es[0], pid, &who) == MOAT_OK &&
            who.resource_id) {
            moat_text name = last_segment(who.resource_id,
                                          strlen(who.resource_id));
            return key_printf(small, cap, n, "%.*s (%s)", (int)name.n, name.p,
                              pid);
        }
    }
    return key_printf(small, cap, n, "%.*s", (int)id.n, id.p);
}

/* Who made a newly denied request, as the estate knows it: the calling
** service, the calling resource, a managed identity, else the address. */
static char *caller_name(const replay_agg *a, const moat_log_request *m,
                         char *small, size_t cap, size_t *n)
{
    const moat_text *svc = &m->field[MOAT_REQ_CALLER_SERVICE];
    const moat_text *rid = &m->field[MOAT_REQ_CALLER_RESOURCE_ID];
    if (svc->n)
        return key_printf(small, cap, n, "%.*s", (int)svc->n, svc->p);
    if (rid->n) {
        moat_text name = last_segment(rid->p, rid->n);
        return key_printf(small, cap, n, "%.*s", (int)name.n, name.p);
    }
    if (m->identity.n)
        return identity_name(a, m->identity, small, cap, n);
    return key_printf(small, cap, n, "%.*s", (int)m->source.n, m->source.p);
}

/* An allow that no rule of the estate names, in the estate's words. */
static const char *allow_phrase(moat_category c)
{
    static const struct {
        const char *category, *phrase;
    } words[] = {
        {"ResTrustedService", "bypass AzureServices (a trusted service)"},
        {"ResBypassLogging", "bypass Logging"},
        {"ResBypassMetrics", "bypass Metrics"},
        {"ResDefaultActionAllow", "default action Allow"},
        {"NspPublicInboundResourceRulesAllowed",
         "the resource's own rules (its perimeter in Learning or Audit mode)"},
        {"ResPerimeterLockdown", "SecuredByPerimeter"},
    };
    const char *name = moat_category_name(c);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(name, words[i].category) == 0)
            return words[i].phrase;
    return name;
}

/* What admitted the request in the current configuration: the deciding
** rule as the estate names it, else the category of the allow. */
static void admitted_by(const replay_agg *a, const replay_outcome *o,
                        char *out, size_t cap)
{
    moat_rule_info info;
    if (o->rule[0] >= 0 && a->es[0] &&
        moat_estate_rule(a->es[0], (size_t)o->rule[0], &info) == MOAT_OK &&
        info.text[0])
        snprintf(out, cap, "%s", info.text);
    else
        snprintf(out, cap, "%s", allow_phrase(o->d[0].category));
}

/* The cause of a newly denied request: what admitted it, what refuses it
** now (the proposed decision's category), and who it was. */
static void note_cause(replay_agg *a, change_agg *ch, const replay_outcome *o,
                       int c)
{
    char before[400], who_small[256], small[1024];
    size_t who_n, n;
    admitted_by(a, o, before, sizeof before);
    char *who = caller_name(a, o->m, who_small, sizeof who_small, &who_n);
    char *key = who ? key_printf(small, sizeof small, &n, "%s\t%s\t%s", before,
                                 moat_category_name(o->d[c].category), who)
                    : NULL;
    if (key == NULL)
        a->failed = 1;
    else
        count(a, &ch->denied_causes, key, n, 1);
    if (key && key != small)
        free(key);
    if (who && who != who_small)
        free(who);
}

static void note_change(replay_agg *a, change_agg *ch, int denied,
                        const moat_log_request *m)
{
    static const char none[] = "(none)";
    moat_text id = m->identity.n ? m->identity : (moat_text){none, 6};
    char small[256];
    size_t n;
    if (denied) {
        ch->newly_denied++;
        count(a, &ch->denied_sources, m->source.p, m->source.n, 1);
        char *who = identity_name(a, id, small, sizeof small, &n);
        if (who == NULL)
            a->failed = 1;
        else
            count(a, &ch->denied_identities, who, n, 1);
        if (who && who != small)
            free(who);
    } else {
        ch->newly_allowed++;
        count(a, &ch->allowed_sources, m->source.p, m->source.n, 1);
        count(a, &ch->allowed_identities, id.p, id.n, 1);
    }
}

static void fidelity(replay_agg *a, const replay_outcome *o)
{
    const moat_log_request *m = o->m;
    if (m->azure == MOAT_LOG_NO_EVIDENCE || o->verdict[0] < 0)
        return;
    int moat_allows = o->verdict[0] == MOAT_ALLOW;
    int azure_allows = m->azure == MOAT_LOG_AZURE_ALLOWED;
    if (azure_allows)
        moat_allows ? a->azure_allowed_moat_allowed++
                    : a->azure_allowed_moat_denied++;
    else
        moat_allows ? a->azure_denied_moat_allowed++
                    : a->azure_denied_moat_denied++;
    /* A Key Vault refusal names its cause (ForbiddenByConnection: public
    ** network access; ForbiddenByFirewall): moat refusing for the other
    ** cause is a disagreement too, listed but counted as a denial. */
    int same_code = azure_allows || m->azure_code == NULL ||
                    o->d[0].http_code == NULL ||
                    strcmp(m->azure_code, o->d[0].http_code) == 0;
    if (azure_allows == moat_allows && same_code)
        return;
    char small[1024];
    size_t n;
    const moat_text *acct = &m->field[MOAT_REQ_RESOURCE];
    int coded = m->azure_code && !azure_allows;
    char *key = key_printf(small, sizeof small, &n, "%.*s\t%s%s%s\t%s\t%.*s",
                           (int)acct->n, acct->p,
                           azure_allows ? "allowed" : "denied",
                           coded ? " " : "", coded ? m->azure_code : "",
                           moat_category_name(o->d[0].category),
                           (int)m->source.n, m->source.p);
    if (key == NULL) {
        a->failed = 1;
        return;
    }
    count(a, &a->disagreements, key, n, 1);
    if (key != small)
        free(key);
}

void replay_agg_record(replay_agg *a, const replay_outcome *o)
{
    a->records++;
    a->mapped++;
    const moat_text *acct = &o->m->field[MOAT_REQ_RESOURCE];
    size_t slot = ((uintptr_t)acct->p >> 4) & 63;
    account_agg *acc =
        a->cache_key[slot] == acct->p ? a->cache_val[slot] : NULL;
    if (acc == NULL) {
        acc = replay_agg_account(a, acct->p, acct->n);
        a->cache_key[slot] = acc ? acct->p : NULL;
        a->cache_val[slot] = acc;
    }
    if (acc)
        acc->records++;
    for (int c = 0; c < a->n_cfg; c++) {
        cfg_agg *cf = &a->cfg[c];
        if (o->verdict[c] < 0) {
            cf->missing++;
            continue;
        }
        if (o->verdict[c] == MOAT_ALLOW)
            cf->allow++;
        else
            cf->deny++;
        if ((unsigned)o->d[c].category < MOAT_CAT_COUNT_)
            cf->categories[o->d[c].category]++;
        if (o->rule[c] >= 0 && (size_t)o->rule[c] < cf->n_rules)
            cf->rule_hits[o->rule[c]]++;
        if (c == 0 || o->verdict[0] < 0 || o->verdict[c] == o->verdict[0])
            continue;
        int denied = o->verdict[c] == MOAT_DENY;
        if (denied)
            cf->newly_denied++;
        else
            cf->newly_allowed++;
        if (acc)
            note_change(a, &acc->changes[c], denied, o->m);
        if (acc && denied)
            note_cause(a, &acc->changes[c], o, c);
    }
    fidelity(a, o);
}

/*--------------------------------------------------------------------------
** Merging.
*/
static void merge_map(replay_agg *a, strmap *into, const strmap *from)
{
    for (size_t i = 0; i < from->cap; i++) {
        const strmap_entry *e = &from->slots[i];
        if (e->key)
            count(a, into, e->key, e->len, e->count);
    }
}

static void merge_change(replay_agg *a, change_agg *into,
                         const change_agg *from)
{
    into->newly_denied += from->newly_denied;
    into->newly_allowed += from->newly_allowed;
    merge_map(a, &into->denied_sources, &from->denied_sources);
    merge_map(a, &into->denied_identities, &from->denied_identities);
    merge_map(a, &into->denied_causes, &from->denied_causes);
    merge_map(a, &into->allowed_sources, &from->allowed_sources);
    merge_map(a, &into->allowed_identities, &from->allowed_identities);
}

int replay_agg_merge(replay_agg *into, const replay_agg *from)
{
    if (into->n_cfg != from->n_cfg)
        return -1;
    into->records += from->records;
    into->mapped += from->mapped;
    into->unmapped += from->unmapped;
    merge_map(into, &into->unmapped_reasons, &from->unmapped_reasons);
    merge_map(into, &into->formats, &from->formats);
    merge_map(into, &into->disagreements, &from->disagreements);
    into->azure_denied_moat_denied += from->azure_denied_moat_denied;
    into->azure_denied_moat_allowed += from->azure_denied_moat_allowed;
    into->azure_allowed_moat_allowed += from->azure_allowed_moat_allowed;
    into->azure_allowed_moat_denied += from->azure_allowed_moat_denied;
    for (int c = 0; c < into->n_cfg; c++) {
        cfg_agg *t = &into->cfg[c];
        const cfg_agg *f = &from->cfg[c];
        t->allow += f->allow;
        t->deny += f->deny;
        t->missing += f->missing;
        t->newly_denied += f->newly_denied;
        t->newly_allowed += f->newly_allowed;
        for (int k = 0; k < MOAT_CAT_COUNT_; k++)
            t->categories[k] += f->categories[k];
        for (size_t k = 0; k < t->n_rules && k < f->n_rules; k++)
            t->rule_hits[k] += f->rule_hits[k];
        merge_map(into, &t->rules, &f->rules);
    }
    for (size_t i = 0; i < from->accounts.cap; i++) {
        const strmap_entry *e = &from->accounts.slots[i];
        if (e->key == NULL)
            continue;
        const account_agg *src = e->value;
        account_agg *dst = replay_agg_account(into, e->key, e->len);
        if (dst == NULL || src == NULL)
            continue;
        dst->records += src->records;
        for (int c = 1; c < into->n_cfg; c++)
            merge_change(into, &dst->changes[c], &src->changes[c]);
    }
    return into->failed ? -1 : 0;
}

/* The rules that could decide for the accounts seen, by name, with their
** hits: "owner\trule" -> n (0 for rules that never decided). */
int replay_agg_name_rules(replay_agg *a, const replay_config *cfg)
{
    for (int c = 0; c < a->n_cfg; c++) {
        cfg_agg *cf = &a->cfg[c];
        for (size_t i = 0; i < a->accounts.cap; i++) {
            const strmap_entry *e = &a->accounts.slots[i];
            size_t first, n, pfirst, pn;
            if (e->key == NULL ||
                moat_estate_rules_of(cfg[c].es, e->key, &first, &n, &pfirst,
                                     &pn) != MOAT_OK)
                continue;
            for (int part = 0; part < 2; part++) {
                size_t from = part ? pfirst : first, k = part ? pn : n;
                for (size_t r = from; r < from + k; r++) {
                    moat_rule_info info;
                    if (moat_estate_rule(cfg[c].es, r, &info) != MOAT_OK ||
                        !info.inbound)
                        continue;
                    char small[1024];
                    size_t len;
                    char *key = key_printf(small, sizeof small, &len, "%s\t%s",
                                           info.owner, info.text);
                    /* A profile shared by several accounts: counted once. */
                    strmap_entry *re =
                        key ? strmap_get(&cf->rules, key, len) : NULL;
                    if (key != small)
                        free(key);
                    if (re == NULL) {
                        a->failed = 1;
                        continue;
                    }
                    if (re->value == NULL) {
                        re->value = (void *)1;
                        re->count += r < cf->n_rules ? cf->rule_hits[r] : 0;
                    }
                }
            }
        }
        /* The counts are now by name; numbers no longer apply. */
        for (size_t i = 0; i < cf->rules.cap; i++)
            cf->rules.slots[i].value = NULL;
        if (cf->rule_hits)
            memset(cf->rule_hits, 0, cf->n_rules * sizeof *cf->rule_hits);
    }
    return a->failed ? -1 : 0;
}

/*--------------------------------------------------------------------------
** JSON.
*/
static void json_counts(FILE *o, const strmap *m)
{
    size_t n;
    strmap_entry **v = strmap_sorted(m, &n);
    fputc('{', o);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? "," : "", o);
        cli_json_str(o, v[i]->key);
        fprintf(o, ":%llu", (unsigned long long)v[i]->count);
    }
    fputc('}', o);
    free(v);
}

static void json_categories(FILE *o, const uint64_t *cat)
{
    fputc('{', o);
    int first = 1;
    for (int k = 1; k < MOAT_CAT_COUNT_; k++) {
        if (cat[k] == 0)
            continue;
        fprintf(o, "%s\"%s\":%llu", first ? "" : ",",
                moat_category_name((moat_category)k),
                (unsigned long long)cat[k]);
        first = 0;
    }
    fputc('}', o);
}

static void json_accounts(const replay_agg *a, FILE *o)
{
    size_t n;
    strmap_entry **v = strmap_sorted(&a->accounts, &n);
    fputs("\"accounts\":{", o);
    for (size_t i = 0; i < n; i++) {
        const account_agg *acc = v[i]->value;
        fputs(i ? ",\n " : "\n ", o);
        cli_json_str(o, v[i]->key);
        fprintf(o, ":{\"records\":%llu,\"changes\":{",
                (unsigned long long)acc->records);
        for (int c = 1; c < a->n_cfg; c++) {
            const change_agg *ch = &acc->changes[c];
            fputs(c > 1 ? "," : "", o);
            cli_json_str(o, a->names[c]);
            fprintf(o, ":{\"newly_denied\":%llu,\"newly_allowed\":%llu,",
                    (unsigned long long)ch->newly_denied,
                    (unsigned long long)ch->newly_allowed);
            fputs("\"denied_sources\":", o);
            json_counts(o, &ch->denied_sources);
            fputs(",\"denied_identities\":", o);
            json_counts(o, &ch->denied_identities);
            fputs(",\"allowed_sources\":", o);
            json_counts(o, &ch->allowed_sources);
            fputs(",\"allowed_identities\":", o);
            json_counts(o, &ch->allowed_identities);
            fputs(",\"denied_causes\":", o);
            json_counts(o, &ch->denied_causes);
            fputc('}', o);
        }
        fputs("}}", o);
    }
    fputs("}", o);
    free(v);
}

static void json_rules(const replay_agg *a, FILE *o, int dead_only)
{
    fputs(dead_only ? "\"dead_rules\":{" : "\"rules\":{", o);
    for (int c = 0; c < a->n_cfg; c++) {
        fputs(c ? "," : "", o);
        cli_json_str(o, a->names[c]);
        fputs(dead_only ? ":[" : ":{", o);
        size_t n;
        strmap_entry **v = strmap_sorted(&a->cfg[c].rules, &n);
        int first = 1;
        for (size_t i = 0; i < n; i++) {
            if (dead_only && v[i]->count)
                continue;
            fputs(first ? "" : ",", o);
            first = 0;
            if (dead_only) {
                const char *f[2];
                char *copy = key_fields(v[i]->key, f, 2);
                fputs("{\"owner\":", o);
                cli_json_str(o, f[0]);
                fputs(",\"rule\":", o);
                cli_json_str(o, f[1]);
                fputc('}', o);
                free(copy);
            } else {
                cli_json_str(o, v[i]->key);
                fprintf(o, ":%llu", (unsigned long long)v[i]->count);
            }
        }
        fputs(dead_only ? "]" : "}", o);
        free(v);
    }
    fputs("}", o);
}

static void json_fidelity(const replay_agg *a, FILE *o)
{
    fprintf(
        o,
        "\"fidelity\":{\"azure_denied\":{\"moat_denied\":%llu,\"moat_allowed\":%llu},\"azure_allowed\":{\"moat_allowed\":%llu,\"moat_denied\":%llu},\"disagreements\":[",
        (unsigned long long)a->azure_denied_moat_denied,
        (unsigned long long)a->azure_denied_moat_allowed,
        (unsigned long long)a->azure_allowed_moat_allowed,
        (unsigned long long)a->azure_allowed_moat_denied);
    size_t n;
    strmap_entry **v = strmap_sorted(&a->disagreements, &n);
    for (size_t i = 0; i < n; i++) {
        const char *f[4];
        char *copy = key_fields(v[i]->key, f, 4);
        fputs(i ? ",\n " : "\n ", o);
        fputs("{\"account\":", o);
        cli_json_str(o, f[0]);
        fputs(",\"azure\":", o);
        cli_json_str(o, f[1]);
        fputs(",\"moat_category\":", o);
        cli_json_str(o, f[2]);
        fputs(",\"source\":", o);
        cli_json_str(o, f[3]);
        fprintf(o, ",\"records\":%llu}", (unsigned long long)v[i]->count);
        free(copy);
    }
    fputs("]}", o);
    free(v);
}

void replay_agg_json(const replay_agg *a, FILE *o)
{
    fprintf(
        o,
        "{\"moat_replay\":1,\"records\":%llu,\"mapped\":%llu,\"unmapped\":%llu,\n\"unmapped_reasons\":",
        (unsigned long long)a->records, (unsigned long long)a->mapped,
        (unsigned long long)a->unmapped);
    json_counts(o, &a->unmapped_reasons);
    fputs(",\n\"formats\":", o);
    json_counts(o, &a->formats);
    fputs(",\n\"configs\":[", o);
    for (int c = 0; c < a->n_cfg; c++) {
        const cfg_agg *cf = &a->cfg[c];
        fputs(c ? ",\n " : "\n ", o);
        fputs("{\"name\":", o);
        cli_json_str(o, a->names[c]);
        fprintf(
            o, ",\"allow\":%llu,\"deny\":%llu,\"missing\":%llu,\"categories\":",
            (unsigned long long)cf->allow, (unsigned long long)cf->deny,
            (unsigned long long)cf->missing);
        json_categories(o, cf->categories);
        fputc('}', o);
    }
    fputs("],\n\"changes\":{", o);
    for (int c = 1; c < a->n_cfg; c++) {
        fputs(c > 1 ? "," : "", o);
        cli_json_str(o, a->names[c]);
        fprintf(o, ":{\"newly_denied\":%llu,\"newly_allowed\":%llu}",
                (unsigned long long)a->cfg[c].newly_denied,
                (unsigned long long)a->cfg[c].newly_allowed);
    }
    fputs("},\n", o);
    json_accounts(a, o);
    fputs(",\n", o);
    json_rules(a, o, 0);
    fputs(",\n", o);
    json_rules(a, o, 1);
    fputs(",\n", o);
    json_fidelity(a, o);
    fputs("}\n", o);
}

/*--------------------------------------------------------------------------
** Text.
*/
static void text_top(FILE *o, const char *label, const strmap *m, int top)
{
    size_t n;
    strmap_entry **v = strmap_by_count(m, &n);
    if (n == 0)
        return;
    fprintf(o, "      %-12s", label);
    for (size_t i = 0; i < n && (int)i < top; i++)
        fprintf(o, "%s%s (%llu)", i ? ", " : "", v[i]->key,
                (unsigned long long)v[i]->count);
    if (n > (size_t)top)
        fprintf(o, ", and %zu more", n - (size_t)top);
    fputc('\n', o);
    free(v);
}

/* Newly denied requests by cause: one line per cause (what admitted
** them, what refuses them now), with who made them, most first:
** "ipRules[2] 203.0.113.0/24 no longer admits (NspPublicInboundDenied):
** 50 requests from Microsoft.Synapse, 30 from 198.51.100.7". */
static void text_causes(FILE *o, const strmap *m, int top)
{
    size_t n;
    strmap_entry **v = strmap_by_count(m, &n);
    int *done = calloc(n + 1, sizeof *done);
    for (size_t i = 0; v && done && i < n; i++) {
        if (done[i])
            continue;
        const char *t2 = strrchr(v[i]->key, '\t');
        size_t cause = t2 ? (size_t)(t2 - v[i]->key) : strlen(v[i]->key);
        const char *t1 = memchr(v[i]->key, '\t', cause);
        fprintf(o, "      cause:      %.*s no longer admits (%.*s):",
                (int)(t1 ? t1 - v[i]->key : (long)cause), v[i]->key,
                t1 ? (int)(cause - (size_t)(t1 - v[i]->key) - 1) : 0,
                t1 ? t1 + 1 : "");
        int shown = 0;
        for (size_t k = i; k < n; k++) {
            if (done[k] || strncmp(v[k]->key, v[i]->key, cause) != 0 ||
                v[k]->key[cause] != '\t')
                continue;
            done[k] = 1;
            if (shown++ < top)
                fprintf(o, "%s %llu request%s from %s", shown > 1 ? "," : "",
                        (unsigned long long)v[k]->count,
                        v[k]->count == 1 ? "" : "s", v[k]->key + cause + 1);
        }
        if (shown > top)
            fprintf(o, ", and %d more callers", shown - top);
        fputc('\n', o);
    }
    free(done);
    free(v);
}

static void text_changes(const replay_agg *a, FILE *o, int top)
{
    size_t n;
    strmap_entry **v = strmap_sorted(&a->accounts, &n);
    for (int c = 1; c < a->n_cfg; c++) {
        if (a->cfg[c].newly_denied + a->cfg[c].newly_allowed == 0) {
            fprintf(o, "\n%s changes no decision.\n", a->names[c]);
            continue;
        }
        fprintf(o, "\n%s against current, by account:\n", a->names[c]);
        for (size_t i = 0; i < n; i++) {
            const account_agg *acc = v[i]->value;
            const change_agg *ch = &acc->changes[c];
            if (ch->newly_denied + ch->newly_allowed == 0)
                continue;
            const char *slash = strrchr(v[i]->key, '/');
            fprintf(o,
                    "  %s: %llu newly denied, %llu newly allowed (of %llu)\n",
                    slash ? slash + 1 : v[i]->key,
                    (unsigned long long)ch->newly_denied,
                    (unsigned long long)ch->newly_allowed,
                    (unsigned long long)acc->records);
            if (ch->newly_denied) {
                text_causes(o, &ch->denied_causes, top);
                text_top(o, "denied:", &ch->denied_sources, top);
                text_top(o, "identities:", &ch->denied_identities, top);
            }
            if (ch->newly_allowed) {
                text_top(o, "allowed:", &ch->allowed_sources, top);
                text_top(o, "identities:", &ch->allowed_identities, top);
            }
        }
    }
    free(v);
}

static void text_dead(const replay_agg *a, FILE *o)
{
    for (int c = 0; c < a->n_cfg; c++) {
        size_t n, dead = 0;
        strmap_entry **v = strmap_sorted(&a->cfg[c].rules, &n);
        for (size_t i = 0; i < n; i++)
            dead += v[i]->count == 0;
        if (dead) {
            fprintf(o, "\nrules that never decided in %s (%zu of %zu):\n",
                    a->names[c], dead, n);
            for (size_t i = 0; i < n; i++) {
                if (v[i]->count)
                    continue;
                const char *tab = strchr(v[i]->key, '\t');
                const char *slash = v[i]->key;
                for (const char *p = v[i]->key; tab && p < tab; p++)
                    if (*p == '/')
                        slash = p + 1;
                fprintf(o, "  %.*s  %s\n", tab ? (int)(tab - slash) : 0, slash,
                        tab ? tab + 1 : v[i]->key);
            }
        }
        free(v);
    }
}

static void text_fidelity(const replay_agg *a, FILE *o, int top)
{
    uint64_t denied =
        a->azure_denied_moat_denied + a->azure_denied_moat_allowed;
    uint64_t allowed =
        a->azure_allowed_moat_allowed + a->azure_allowed_moat_denied;
    if (denied + allowed == 0) {
        fputs("\nfidelity: no record shows Azure's own network outcome\n", o);
        return;
    }
    fprintf(
        o,
        "\nfidelity against Azure (records whose status shows the network outcome):\n"
        "  Azure denied  %llu: moat denies %llu, allows %llu\n"
        "  Azure allowed %llu: moat allows %llu, denies %llu\n",
        (unsigned long long)denied,
        (unsigned long long)a->azure_denied_moat_denied,
        (unsigned long long)a->azure_denied_moat_allowed,
        (unsigned long long)allowed,
        (unsigned long long)a->azure_allowed_moat_allowed,
        (unsigned long long)a->azure_allowed_moat_denied);
    size_t n;
    strmap_entry **v = strmap_by_count(&a->disagreements, &n);
    for (size_t i = 0; i < n && (int)i < top * 4; i++) {
        const char *f[4];
        char *copy = key_fields(v[i]->key, f, 4);
        const char *slash = strrchr(f[0], '/'); /* the account's name */
        fprintf(o, "  disagree: %s %s %s %s (%llu)\n", slash ? slash + 1 : f[0],
                f[1], f[2], f[3], (unsigned long long)v[i]->count);
        free(copy);
    }
    free(v);
}

void replay_agg_text(const replay_agg *a, FILE *o, int top)
{
    fprintf(o, "%llu records: %llu mapped, %llu unmapped\n",
            (unsigned long long)a->records, (unsigned long long)a->mapped,
            (unsigned long long)a->unmapped);
    size_t n;
    strmap_entry **v = strmap_by_count(&a->unmapped_reasons, &n);
    for (size_t i = 0; i < n; i++)
        fprintf(o, "  unmapped: %llu %s\n", (unsigned long long)v[i]->count,
                v[i]->key);
    free(v);
    fprintf(o, "\n%-20s %12s %12s %10s\n", "configuration", "allow", "deny",
            "missing");
    for (int c = 0; c < a->n_cfg; c++) {
        const cfg_agg *cf = &a->cfg[c];
        fprintf(o, "%-20s %12llu %12llu %10llu", a->names[c],
                (unsigned long long)cf->allow, (unsigned long long)cf->deny,
                (unsigned long long)cf->missing);
        if (c)
            fprintf(o, "   newly denied %llu, newly allowed %llu",
                    (unsigned long long)cf->newly_denied,
                    (unsigned long long)cf->newly_allowed);
        fputc('\n', o);
    }
    for (int c = 0; c < a->n_cfg; c++) {
        fprintf(o, "\n%s by category:\n", a->names[c]);
        for (int k = 1; k < MOAT_CAT_COUNT_; k++) {
            if (a->cfg[c].categories[k])
                fprintf(o, "  %-40s %12llu\n",
                        moat_category_name((moat_category)k),
                        (unsigned long long)a->cfg[c].categories[k]);
        }
    }
    text_changes(a, o, top);
    text_dead(a, o);
    text_fidelity(a, o, top);
}
