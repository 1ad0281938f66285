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

#include <cjson/cJSON.h>
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

static account_agg *account(replay_agg *a, const char *id, size_t n)
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

void replay_agg_unmapped(replay_agg *a, const char *reason)
{
    a->records++;
    a->unmapped++;
    count(a, &a->unmapped_reasons, reason, strlen(reason), 1);
}

static void note_change(replay_agg *a, change_agg *ch, int denied,
                        const moat_log_request *m)
{
    static const char none[] = "(none)";
    moat_text id = m->identity.n ? m->identity : (moat_text){none, 6};
    if (denied) {
        ch->newly_denied++;
        count(a, &ch->denied_sources, m->source.p, m->source.n, 1);
        count(a, &ch->denied_identities, id.p, id.n, 1);
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
    char key[1024];
    const moat_text *acct = &m->field[MOAT_REQ_RESOURCE];
    int n = snprintf(key, sizeof key, "%.*s\t%s%s%s\t%s\t%.*s", (int)acct->n,
                     acct->p, azure_allows ? "allowed" : "denied",
                     m->azure_code && !azure_allows ? " " : "",
                     m->azure_code && !azure_allows ? m->azure_code : "",
                     moat_category_name(o->d[0].category), (int)m->source.n,
                     m->source.p);
    if (n > 0 && (size_t)n < sizeof key)
        count(a, &a->disagreements, key, (size_t)n, 1);
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
        acc = account(a, acct->p, acct->n);
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
        account_agg *dst = account(into, e->key, e->len);
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
                    char key[1024];
                    int len = snprintf(key, sizeof key, "%s\t%s", info.owner,
                                       info.text);
                    if (len <= 0 || (size_t)len >= sizeof key)
                        continue;
                    /* A profile shared by several accounts: counted once. */
                    strmap_entry *re = strmap_get(&cf->rules, key, (size_t)len);
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
                const char *tab = strchr(v[i]->key, '\t');
                char owner[1024];
                size_t ol = tab ? (size_t)(tab - v[i]->key) : 0;
                if (ol >= sizeof owner)
                    ol = sizeof owner - 1;
                memcpy(owner, v[i]->key, ol);
                owner[ol] = '\0';
                fputs("{\"owner\":", o);
                cli_json_str(o, owner);
                fputs(",\"rule\":", o);
                cli_json_str(o, tab ? tab + 1 : v[i]->key);
                fputc('}', o);
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
    fprintf(o,
            "\"fidelity\":{\"azure_denied\":{\"moat_denied\":%llu,"
            "\"moat_allowed\":%llu},\"azure_allowed\":{\"moat_allowed\":%llu,"
            "\"moat_denied\":%llu},\"disagreements\":[",
            (unsigned long long)a->azure_denied_moat_denied,
            (unsigned long long)a->azure_denied_moat_allowed,
            (unsigned long long)a->azure_allowed_moat_allowed,
            (unsigned long long)a->azure_allowed_moat_denied);
    size_t n;
    strmap_entry **v = strmap_sorted(&a->disagreements, &n);
    for (size_t i = 0; i < n; i++) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", v[i]->key);
        char *f[4] = {buf, NULL, NULL, NULL};
        for (int k = 1; k < 4; k++) {
            f[k] = f[k - 1] ? strchr(f[k - 1], '\t') : NULL;
            if (f[k])
                *f[k]++ = '\0';
        }
        fputs(i ? ",\n " : "\n ", o);
        fputs("{\"account\":", o);
        cli_json_str(o, f[0]);
        fputs(",\"azure\":", o);
        cli_json_str(o, f[1] ? f[1] : "");
        fputs(",\"moat_category\":", o);
        cli_json_str(o, f[2] ? f[2] : "");
        fputs(",\"source\":", o);
        cli_json_str(o, f[3] ? f[3] : "");
        fprintf(o, ",\"records\":%llu}", (unsigned long long)v[i]->count);
    }
    fputs("]}", o);
    free(v);
}

void replay_agg_json(const replay_agg *a, FILE *o)
{
    fprintf(o,
            "{\"moat_replay\":1,\"records\":%llu,\"mapped\":%llu,"
            "\"unmapped\":%llu,\n\"unmapped_reasons\":",
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
        fprintf(o,
                ",\"allow\":%llu,\"deny\":%llu,\"missing\":%llu,"
                "\"categories\":",
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
** Reading a partial back (cJSON: partials are small next to logs).
*/
static uint64_t num(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble
                                                   : 0;
}

static int read_counts(replay_agg *a, strmap *m, const cJSON *obj)
{
    if (obj == NULL)
        return 0;
    if (!cJSON_IsObject(obj))
        return -1;
    for (const cJSON *e = obj->child; e; e = e->next) {
        if (!cJSON_IsNumber(e) || e->valuedouble < 0)
            return -1;
        count(a, m, e->string, strlen(e->string), (uint64_t)e->valuedouble);
    }
    return 0;
}

static int read_change(replay_agg *a, change_agg *ch, const cJSON *o)
{
    ch->newly_denied += num(o, "newly_denied");
    ch->newly_allowed += num(o, "newly_allowed");
    return read_counts(a, &ch->denied_sources,
                       cJSON_GetObjectItemCaseSensitive(o, "denied_sources")) |
           read_counts(
               a, &ch->denied_identities,
               cJSON_GetObjectItemCaseSensitive(o, "denied_identities")) |
           read_counts(a, &ch->allowed_sources,
                       cJSON_GetObjectItemCaseSensitive(o, "allowed_sources")) |
           read_counts(
               a, &ch->allowed_identities,
               cJSON_GetObjectItemCaseSensitive(o, "allowed_identities"));
}

static int read_accounts(replay_agg *a, const cJSON *accounts)
{
    for (const cJSON *e = accounts ? accounts->child : NULL; e; e = e->next) {
        account_agg *acc = account(a, e->string, strlen(e->string));
        if (acc == NULL)
            return -1;
        acc->records += num(e, "records");
        const cJSON *ch = cJSON_GetObjectItemCaseSensitive(e, "changes");
        for (int c = 1; c < a->n_cfg; c++) {
            const cJSON *o = cJSON_GetObjectItemCaseSensitive(ch, a->names[c]);
            if (o && read_change(a, &acc->changes[c], o) < 0)
                return -1;
        }
    }
    return 0;
}

static int read_disagreements(replay_agg *a, const cJSON *list)
{
    for (const cJSON *e = list ? list->child : NULL; e; e = e->next) {
        const char *f[4] = {"account", "azure", "moat_category", "source"};
        char key[1024];
        size_t n = 0;
        for (int k = 0; k < 4; k++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, f[k]);
            if (!cJSON_IsString(v))
                return -1;
            int w = snprintf(key + n, sizeof key - n, "%s%s", k ? "\t" : "",
                             v->valuestring);
            if (w < 0 || (size_t)w >= sizeof key - n)
                return -1;
            n += (size_t)w;
        }
        count(a, &a->disagreements, key, n, num(e, "records"));
    }
    return 0;
}

static int read_configs(replay_agg *a, const cJSON *root, char *err, size_t cap)
{
    const cJSON *configs = cJSON_GetObjectItemCaseSensitive(root, "configs");
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(root, "rules");
    const cJSON *changes = cJSON_GetObjectItemCaseSensitive(root, "changes");
    int c = 0;
    for (const cJSON *e = configs ? configs->child : NULL; e;
         e = e->next, c++) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
        if (!cJSON_IsString(name) || c >= a->n_cfg ||
            strcmp(name->valuestring, a->names[c]) != 0) {
            snprintf(err, cap,
                     "its configurations differ from the first partial's "
                     "(configuration %d is %s, expected %s)",
                     c + 1, cJSON_IsString(name) ? name->valuestring : "?",
                     c < a->n_cfg ? a->names[c] : "none");
            return -1;
        }
        cfg_agg *cf = &a->cfg[c];
        cf->allow += num(e, "allow");
        cf->deny += num(e, "deny");
        cf->missing += num(e, "missing");
        const cJSON *cats = cJSON_GetObjectItemCaseSensitive(e, "categories");
        for (const cJSON *k = cats ? cats->child : NULL; k; k = k->next) {
            moat_category cat = moat_category_from_name(k->string);
            if (cat == MOAT_CAT_NONE || !cJSON_IsNumber(k)) {
                snprintf(err, cap, "unknown category %s", k->string);
                return -1;
            }
            cf->categories[cat] += (uint64_t)k->valuedouble;
        }
        const cJSON *ch =
            c ? cJSON_GetObjectItemCaseSensitive(changes, a->names[c]) : NULL;
        cf->newly_denied += num(ch, "newly_denied");
        cf->newly_allowed += num(ch, "newly_allowed");
        if (read_counts(a, &cf->rules,
                        cJSON_GetObjectItemCaseSensitive(rules, a->names[c])) <
            0) {
            snprintf(err, cap, "bad \"rules\" of %s", a->names[c]);
            return -1;
        }
    }
    if (c != a->n_cfg) {
        snprintf(err, cap, "it has %d configurations, the first partial %d", c,
                 a->n_cfg);
        return -1;
    }
    return 0;
}

int replay_agg_read(replay_agg *a, const char *json, size_t len, char *err,
                    size_t cap)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (root == NULL || !cJSON_IsObject(root) ||
        !cJSON_IsNumber(
            cJSON_GetObjectItemCaseSensitive(root, "moat_replay"))) {
        snprintf(err, cap, "not a moat replay summary (--format json)");
        cJSON_Delete(root);
        return -1;
    }
    if (a->n_cfg == 0) { /* the first partial fixes the configurations */
        const cJSON *configs =
            cJSON_GetObjectItemCaseSensitive(root, "configs");
        replay_config cfg[REPLAY_MAX_CONFIGS];
        int n = 0;
        for (const cJSON *e = configs ? configs->child : NULL;
             e && n < REPLAY_MAX_CONFIGS; e = e->next) {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
            cfg[n].name =
                cJSON_IsString(name) ? strdup(name->valuestring) : strdup("?");
            cfg[n].es = NULL;
            n++;
        }
        if (n == 0 || replay_agg_init(a, cfg, n) < 0) {
            snprintf(err, cap, "no configurations");
            cJSON_Delete(root);
            return -1;
        }
    }
    a->records += num(root, "records");
    a->mapped += num(root, "mapped");
    a->unmapped += num(root, "unmapped");
    const cJSON *fid = cJSON_GetObjectItemCaseSensitive(root, "fidelity");
    const cJSON *ad = cJSON_GetObjectItemCaseSensitive(fid, "azure_denied");
    const cJSON *aa = cJSON_GetObjectItemCaseSensitive(fid, "azure_allowed");
    a->azure_denied_moat_denied += num(ad, "moat_denied");
    a->azure_denied_moat_allowed += num(ad, "moat_allowed");
    a->azure_allowed_moat_allowed += num(aa, "moat_allowed");
    a->azure_allowed_moat_denied += num(aa, "moat_denied");
    int rc = 0;
    if (read_configs(a, root, err, cap) < 0)
        rc = -1;
    else if (read_counts(a, &a->unmapped_reasons,
                         cJSON_GetObjectItemCaseSensitive(
                             root, "unmapped_reasons")) < 0 ||
             read_counts(a, &a->formats,
                         cJSON_GetObjectItemCaseSensitive(root, "formats")) <
                 0 ||
             read_accounts(
                 a, cJSON_GetObjectItemCaseSensitive(root, "accounts")) < 0 ||
             read_disagreements(a, cJSON_GetObjectItemCaseSensitive(
                                       fid, "disagreements")) < 0) {
        snprintf(err, cap, "malformed summary");
        rc = -1;
    }
    cJSON_Delete(root);
    return rc || a->failed ? -1 : 0;
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
    fprintf(o,
            "\nfidelity against Azure (records whose status shows the network "
            "outcome):\n"
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
        char buf[1024];
        snprintf(buf, sizeof buf, "%s", v[i]->key);
        for (char *p = buf; *p; p++)
            if (*p == '\t')
                *p = ' ';
        const char *slash = strrchr(buf, '/');
        fprintf(o, "  disagree: %s (%llu)\n", slash ? slash + 1 : buf,
                (unsigned long long)v[i]->count);
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
