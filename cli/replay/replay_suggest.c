/*
** replay_suggest.c - `moat replay --suggest enforced`: perimeter inbound
** rules learned from traffic.
**
** Every record the current estate admits and Enforced mode would refuse
** (a resource whose association is in Learning or Audit) is noted by its
** resource and by what could admit it under Enforced: its subscription
** (an OAuth caller whose subscription the record shows), its perimeter (a
** caller of another perimeter: a link), its public address; or nothing (a
** trusted-service or logging exception, which Enforced ignores; a caller on
** a private path, as a same-region caller is, which address rules never
** admit). After the run, per profile: one subscription rule, links, and
** address prefixes aggregated from the observed addresses under the
** breadth budget (--max-prefixes, --max-addresses), each prefix with the
** records it covers and the addresses it opens beyond those observed.
*/
#include "replay_suggest.h"

#include <cjson/cJSON.h>

#include <arpa/inet.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *note_kind(const moat_log_request *m, const moat_decision *d)
{
    if (d->category == MOAT_CAT_RES_TRUSTED_SERVICE ||
        d->category == MOAT_CAT_RES_BYPASS_LOGGING ||
        d->category == MOAT_CAT_RES_BYPASS_METRICS)
        return "exception";
    int oauth = m->field[MOAT_REQ_CALLER_AUTH].n == 5 &&
                memcmp(m->field[MOAT_REQ_CALLER_AUTH].p, "OAuth", 5) == 0;
    if (oauth && m->field[MOAT_REQ_CALLER_PERIMETER].n)
        return "perimeter";
    if (oauth && m->field[MOAT_REQ_CALLER_SUBSCRIPTION].n)
        return "subscription";
    if (strcmp(m->path, "public") != 0)
        return "private";
    return m->source.n ? "address" : "private";
}

void replay_suggest_note(replay_agg *a, const moat_log_request *m,
                         const moat_decision *d)
{
    if (!d->has_enforced_would || d->verdict != MOAT_ALLOW ||
        d->enforced_would != MOAT_DENY)
        return;
    const char *kind = note_kind(m, d);
    const moat_text *res = &m->field[MOAT_REQ_RESOURCE];
    moat_text v = m->source;
    if (strcmp(kind, "perimeter") == 0)
        v = m->field[MOAT_REQ_CALLER_PERIMETER];
    else if (strcmp(kind, "subscription") == 0)
        v = m->field[MOAT_REQ_CALLER_SUBSCRIPTION];
    else if (strcmp(kind, "exception") == 0)
        v = m->identity.n ? m->identity : m->source;
    char key[1024];
    int n = snprintf(key, sizeof key, "%.*s\t%s\t%.*s", (int)res->n, res->p,
                     kind, (int)v.n, v.p ? v.p : "");
    if (n < 0 || (size_t)n >= sizeof key ||
        strmap_add(&a->suggest, key, (size_t)n, m->events ? m->events : 1) <
            0 ||
        strmap_add(&a->suggest_records, key, (size_t)n, 1) < 0)
        a->failed = 1;
}

/*--------------------------------------------------------------------------
** Address prefixes under a budget.
*/
static int pfx_bits(const pfx *p)
{
    return p->v6 ? 128 : 32;
}

/* The addresses a prefix holds; an IPv6 /0 (2^128) saturates to 2^128-1,
** far past any budget (--max-addresses is at most 2^64-1). */
static sg_u128 pfx_size(const pfx *p)
{
    int host = pfx_bits(p) - p->len;
    return host >= 128 ? ~(sg_u128)0 : (sg_u128)1 << host;
}

static sg_u128 mask_of(int len, int bits)
{
    if (len == 0)
        return 0;
    sg_u128 m = ~(sg_u128)0 << (bits - len);
    return bits == 128 ? m : m & 0xFFFFFFFFu;
}

static sg_u128 add_sat(sg_u128 a, sg_u128 b)
{
    return a + b < a ? ~(sg_u128)0 : a + b;
}

static sg_u128 pfx_last(const pfx *p)
{
    sg_u128 full = p->v6 ? ~(sg_u128)0 : (sg_u128)0xFFFFFFFFu;
    return p->base | (~mask_of(p->len, pfx_bits(p)) & full);
}

/* The smallest prefix holding both a and b (of one family). */
static pfx supernet(const pfx *a, const pfx *b)
{
    int bits = pfx_bits(a);
    sg_u128 lo = a->base < b->base ? a->base : b->base;
    sg_u128 ha = pfx_last(a), hb = pfx_last(b);
    sg_u128 hi = ha > hb ? ha : hb;
    pfx s;
    s.v6 = a->v6;
    s.len = a->len < b->len ? a->len : b->len;
    while (s.len > 0 && (lo & mask_of(s.len, bits)) != (hi & mask_of(s.len, bits)))
        s.len--;
    s.base = lo & mask_of(s.len, bits);
    s.records = a->records + b->records;
    s.observed = a->observed + b->observed;
    return s;
}

/* IPv4 first, then IPv6, each by address. */
static int by_base(const void *x, const void *y)
{
    const pfx *a = x, *b = y;
    if (a->v6 != b->v6)
        return a->v6 - b->v6;
    return a->base < b->base ? -1 : a->base > b->base;
}

/* Merges prefixes i..j into their supernet, removing those it swallows. */
static size_t merge_at(pfx *v, size_t n, size_t i)
{
    pfx s = supernet(&v[i], &v[i + 1]);
    size_t j = i + 2;
    sg_u128 last = pfx_last(&s);
    while (j < n && v[j].v6 == s.v6 && v[j].base >= s.base &&
           v[j].base <= last) {
        s.records += v[j].records;
        s.observed += v[j].observed;
        j++;
    }
    v[i] = s;
    memmove(&v[i + 1], &v[j], (n - j) * sizeof *v);
    return n - (j - i - 1);
}

static sg_u128 total_size(const pfx *v, size_t n)
{
    sg_u128 t = 0;
    for (size_t i = 0; i < n; i++)
        t = add_sat(t, pfx_size(&v[i]));
    return t;
}

/* The neighbours (of one family) whose supernet opens the fewest addresses
** beyond them and keeps the total within max_addresses; n when none. */
static size_t cheapest_merge(const pfx *v, size_t n, uint64_t max_addresses)
{
    size_t best = n;
    sg_u128 best_cost = ~(sg_u128)0, total = total_size(v, n);
    for (size_t i = 0; i + 1 < n; i++) {
        if (v[i].v6 != v[i + 1].v6)
            continue;
        pfx s = supernet(&v[i], &v[i + 1]);
        sg_u128 cost = pfx_size(&s) - pfx_size(&v[i]) - pfx_size(&v[i + 1]);
        if (add_sat(total, cost) <= max_addresses && cost < best_cost) {
            best = i;
            best_cost = cost;
        }
    }
    return best;
}

/* Greedy: while over the prefix budget, merge the neighbours whose
** supernet opens the fewest addresses beyond what they hold, as long as
** the total stays within the address budget; when no merge fits, leave
** out the prefix with the fewest records (into *dropped). */
size_t replay_suggest_aggregate(pfx *v, size_t n, uint64_t max_prefixes,
                                uint64_t max_addresses, pfx *dropped,
                                size_t *n_dropped)
{
    qsort(v, n, sizeof *v, by_base);
    *n_dropped = 0;
    while (n > max_prefixes || total_size(v, n) > max_addresses) {
        size_t best = n > max_prefixes ? cheapest_merge(v, n, max_addresses) : n;
        if (best < n) {
            n = merge_at(v, n, best);
            continue;
        }
        size_t worst = 0;
        for (size_t i = 1; i < n; i++)
            if (v[i].records < v[worst].records)
                worst = i;
        dropped[(*n_dropped)++] = v[worst];
        memmove(&v[worst], &v[worst + 1], (n - worst - 1) * sizeof *v);
        n--;
    }
    return n;
}

/*--------------------------------------------------------------------------
** The suggestion, profile by profile.
*/
typedef struct entry {
    char *resource, *kind, *value; /* split key (one allocation) */
    uint64_t records, events;
    moat_perimeter_info pi;
    int has_pi;
} entry;

typedef struct profile_plan {
    const moat_perimeter_info *pi;
    entry **e; /* this profile's entries */
    size_t n;
    pfx *v, *dropped;
    size_t n_v, n_dropped;
    uint64_t refused, kept; /* records Enforced refuses; the plan keeps */
    /* moat reach on the proposal: the IPv4 addresses its rules newly admit
    ** to a resource of the profile (the most for one resource), over every
    ** request, not only the logged ones; any_address when a rule admits
    ** callers from any address (subscriptions, links). */
    int reached;
    uint64_t reach_ipv4;
    sg_u128 reach_ipv6; /* the same for IPv6 (reach's decimal string) */
    int reach_any_address;
} profile_plan;

static int by_profile(const void *x, const void *y)
{
    const entry *a = x, *b = y;
    const char *pa = a->has_pi && a->pi.profile_id ? a->pi.profile_id : "";
    const char *pb = b->has_pi && b->pi.profile_id ? b->pi.profile_id : "";
    int c = strcmp(pa, pb);
    return c ? c : strcmp(a->value, b->value);
}

static entry *collect(const replay_agg *a, const moat_estate *es, size_t *n)
{
    entry *v = calloc(a->suggest_records.n + 1, sizeof *v);
    *n = 0;
    for (size_t i = 0; v && i < a->suggest_records.cap; i++) {
        const strmap_entry *s = &a->suggest_records.slots[i];
        if (s->key == NULL)
            continue;
        entry *e = &v[(*n)++];
        e->resource = strdup(s->key);
        char *t1 = e->resource ? strchr(e->resource, '\t') : NULL;
        char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (t2 == NULL) {
            (*n)--;
            free(e->resource);
            continue;
        }
        *t1 = *t2 = '\0';
        e->kind = t1 + 1;
        e->value = t2 + 1;
        e->records = s->count;
        const strmap_entry *ev = strmap_find(&a->suggest, s->key, s->len);
        e->events = ev ? ev->count : s->count;
        e->has_pi = moat_estate_perimeter_info(es, e->resource, &e->pi) ==
                    MOAT_OK;
    }
    if (v)
        qsort(v, *n, sizeof *v, by_profile);
    return v;
}

/* An address as a one-address prefix (IPv4 or IPv6); 0 when it is
** neither. */
static int parse_address(const char *text, pfx *x)
{
    unsigned char b[16];
    memset(x, 0, sizeof *x);
    if (inet_pton(AF_INET, text, b) == 1) {
        x->base = (sg_u128)b[0] << 24 | (sg_u128)b[1] << 16 |
                  (sg_u128)b[2] << 8 | b[3];
        x->len = 32;
        return 1;
    }
    if (inet_pton(AF_INET6, text, b) != 1)
        return 0;
    for (int i = 0; i < 16; i++)
        x->base = x->base << 8 | b[i];
    x->v6 = 1;
    x->len = 128;
    return 1;
}

/* The addresses of a profile's plan, IPv4 and IPv6, aggregated within one
** budget (a prefix holds one family; both count against --max-prefixes
** and --max-addresses). */
static int plan_addresses(profile_plan *p, const suggest_options *opt)
{
    p->v = calloc(p->n + 1, sizeof *p->v);
    p->dropped = calloc(p->n + 1, sizeof *p->dropped);
    if (p->v == NULL || p->dropped == NULL)
        return -1;
    for (size_t i = 0; i < p->n; i++) {
        entry *e = p->e[i];
        pfx *x = &p->v[p->n_v];
        if (strcmp(e->kind, "address") != 0 || e->records < opt->min_records ||
            !parse_address(e->value, x))
            continue;
        x->records = e->records;
        x->observed = 1;
        p->n_v++;
    }
    p->n_v = replay_suggest_aggregate(p->v, p->n_v, opt->max_prefixes,
                                      opt->max_addresses, p->dropped,
                                      &p->n_dropped);
    return 0;
}

static void prefix_text(const pfx *x, char *buf, size_t cap)
{
    unsigned char b[16];
    char a[INET6_ADDRSTRLEN];
    int n = x->v6 ? 16 : 4;
    for (int i = 0; i < n; i++)
        b[i] = (unsigned char)(x->base >> (8 * (n - 1 - i)));
    inet_ntop(x->v6 ? AF_INET6 : AF_INET, b, a, sizeof a);
    snprintf(buf, cap, "%s/%d", a, x->len);
}

/* A count of up to 2^128-1 in decimal. */
static void u128_text(sg_u128 v, char *out, size_t cap)
{
    char tmp[48];
    size_t n = 0, k = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    while (n && k + 1 < cap)
        out[k++] = tmp[--n];
    out[k] = '\0';
}

/* The addresses a prefix opens beyond those seen in it (a kept prefix
** holds at most --max-addresses, so this fits 64 bits). */
static unsigned long long opens_beyond(const pfx *x)
{
    return (unsigned long long)(pfx_size(x) - x->observed);
}

static int held(const profile_plan *p, const char *ip)
{
    pfx a;
    if (!parse_address(ip, &a))
        return 0;
    for (size_t i = 0; i < p->n_v; i++)
        if (p->v[i].v6 == a.v6 &&
            (a.base & mask_of(p->v[i].len, pfx_bits(&a))) == p->v[i].base)
            return 1;
    return 0;
}

/* Whether the plan keeps an entry's records. */
static int kept(const profile_plan *p, const entry *e,
                const suggest_options *opt, const moat_estate *es)
{
    (void)opt; /* a caller seen once inside a learned prefix is kept too */
    if (strcmp(e->kind, "address") == 0)
        return held(p, e->value);
    if (strcmp(e->kind, "subscription") == 0)
        return 1;
    return strcmp(e->kind, "perimeter") == 0 &&
           moat_estate_perimeter_by_guid(es, e->value) != NULL;
}

/* The perimeter a caller's entry asks a link to, when the estate holds
** it. */
static const char *link_remote(const entry *e, const moat_estate *es)
{
    return strcmp(e->kind, "perimeter") == 0
               ? moat_estate_perimeter_by_guid(es, e->value)
               : NULL;
}

/* One command of a plan: a line of text, or an element of the JSON list.
** Its words are quoted for a POSIX shell (moat_shell_command); a command
** too long for the buffer is left out rather than cut. */
typedef struct cmd_out {
    FILE *o;
    int json, n;
} cmd_out;

static void emit(cmd_out *c, const char *command)
{
    if (command[0] == '\0')
        return;
    if (c->json) {
        fputs(c->n ? "," : "", c->o);
        cli_json_str(c->o, command);
    } else {
        fprintf(c->o, "  %s\n", command);
    }
    c->n++;
}

/* The list argument of an access rule: "[a,b]" (az's shorthand). */
static char *list_text(const profile_plan *p, int subscriptions)
{
    size_t cap = 64 * (p->n + p->n_v + 1) + 4, len = 1;
    for (size_t i = 0; subscriptions && i < p->n; i++)
        cap += strlen(p->e[i]->value);
    char *t = malloc(cap);
    if (t == NULL)
        return NULL;
    strcpy(t, "[");
    for (size_t i = 0, k = 0; i < (subscriptions ? p->n : p->n_v); i++) {
        if (subscriptions && strcmp(p->e[i]->kind, "subscription") != 0)
            continue;
        char one[64];
        if (!subscriptions)
            prefix_text(&p->v[i], one, sizeof one);
        len += (size_t)snprintf(t + len, cap - len,
                                subscriptions ? "%s{id:/subscriptions/%s}" : "%s%s",
                                k++ ? "," : "",
                                subscriptions ? p->e[i]->value : one);
    }
    snprintf(t + len, cap - len, "]");
    return t;
}

static void rule_command(cmd_out *c, const profile_plan *p, const char *rg,
                         const char *perimeter, int subscriptions)
{
    char *list = list_text(p, subscriptions);
    char line[8192];
    moat_shell_command(line, sizeof line,
                       "az network perimeter profile access-rule create --resource-group %s --perimeter-name %s --profile-name %s --name %s %r %s",
                       rg, perimeter, p->pi->profile_name,
                       subscriptions ? "learned-subscriptions" : "learned-addresses",
                       subscriptions ? "--subscriptions" : "--address-prefixes",
                       list ? list : "");
    if (list)
        emit(c, line);
    free(list);
}

/* The az commands that make a profile's plan (az network perimeter, the
** nsp extension's verbs), one per line into o. */
static void plan_commands(const profile_plan *p, const moat_estate *es,
                          FILE *o, int json)
{
    char rg[512], line[4096];
    cli_arm_group(p->pi->perimeter_id, rg, sizeof rg);
    const char *perimeter = p->pi->perimeter_name;
    cmd_out c = {o, json, 0};
    int subs = 0;
    for (size_t i = 0; i < p->n; i++)
        subs |= strcmp(p->e[i]->kind, "subscription") == 0;
    if (p->n_v)
        rule_command(&c, p, rg, perimeter, 0);
    if (subs)
        rule_command(&c, p, rg, perimeter, 1);
    for (size_t i = 0, k = 0; i < p->n; i++) {
        const char *remote = link_remote(p->e[i], es);
        if (remote == NULL)
            continue;
        char local[512];
        snprintf(local, sizeof local, "[%s]", p->pi->profile_name);
        moat_shell_command(line, sizeof line,
                           "az network perimeter link create --resource-group %s --perimeter-name %s --name learned-link-%zu --remote-perimeter-resource-id %s --local-inbound-profiles %s --remote-inbound-profiles %s",
                           rg, perimeter, ++k, remote, local, "[*]");
        emit(&c, line);
    }
    const char *member;
    for (size_t i = 0;
         (member = moat_estate_profile_member(es, p->pi->profile_id, i)) !=
         NULL;
         i++) {
        moat_perimeter_info mi;
        if (moat_estate_perimeter_info(es, member, &mi) != MOAT_OK ||
            strcmp(mi.mode, "Enforced") == 0)
            continue;
        moat_shell_command(line, sizeof line,
                           "az network perimeter association update --resource-group %s --perimeter-name %s --name %s --access-mode Enforced",
                           rg, perimeter, mi.association_name);
        emit(&c, line);
    }
}

static const char *const cannot_why[][2] = {
    {"exception",
     "a trusted-service or logging exception: Enforced ignores the resource's exceptions"},
    {"private",
     "a caller on a private path (a service endpoint, or the resource's own region): perimeter address rules admit public addresses only"},
    {"perimeter",
     "a caller of a perimeter the estate does not hold: a link needs its resource id"},
    {"address", "seen fewer times than --min-records"},
};

static const char *why_not(const char *kind)
{
    for (size_t i = 0; i < sizeof cannot_why / sizeof *cannot_why; i++)
        if (strcmp(kind, cannot_why[i][0]) == 0)
            return cannot_why[i][1];
    return "";
}

static void plan_json(const profile_plan *p, const moat_estate *es,
                      const suggest_options *opt, FILE *o)
{
    fputs("{\"perimeter\":", o);
    cli_json_str(o, p->pi->perimeter_name);
    fputs(",\"profile\":", o);
    cli_json_str(o, p->pi->profile_name);
    fprintf(o, ",\"refused_by_enforced\":%llu,\"kept\":%llu,\"prefixes\":[",
            (unsigned long long)p->refused, (unsigned long long)p->kept);
    for (size_t i = 0; i < p->n_v; i++) {
        char t[64];
        prefix_text(&p->v[i], t, sizeof t);
        fprintf(o,
                "%s{\"prefix\":\"%s\",\"records\":%llu,\"observed_addresses\":%llu,\"opens_beyond_observed\":%llu}",
                i ? "," : "", t, (unsigned long long)p->v[i].records,
                (unsigned long long)p->v[i].observed,
                opens_beyond(&p->v[i]));
    }
    fputs("],\"left_out_by_budget\":[", o);
    for (size_t i = 0; i < p->n_dropped; i++) {
        char t[64];
        prefix_text(&p->dropped[i], t, sizeof t);
        fprintf(o, "%s{\"prefix\":\"%s\",\"records\":%llu}", i ? "," : "", t,
                (unsigned long long)p->dropped[i].records);
    }
    fputs("]", o);
    if (p->reached) {
        char v6[48];
        u128_text(p->reach_ipv6, v6, sizeof v6);
        fprintf(o,
                ",\"reach\":{\"ipv4_newly_admitted\":%llu,\"ipv6_newly_admitted\":\"%s\",\"any_address\":%s}",
                (unsigned long long)p->reach_ipv4, v6,
                p->reach_any_address ? "true" : "false");
    }
    fputs(",\"callers\":[", o);
    for (size_t i = 0; i < p->n; i++) {
        const entry *e = p->e[i];
        int k = kept(p, e, opt, es);
        fprintf(o, "%s{\"kind\":\"%s\",\"caller\":", i ? "," : "", e->kind);
        cli_json_str(o, e->value);
        fputs(",\"resource\":", o);
        cli_json_str(o, e->resource);
        fprintf(o, ",\"records\":%llu,\"events\":%llu,\"kept\":%s",
                (unsigned long long)e->records, (unsigned long long)e->events,
                k ? "true" : "false");
        if (!k) {
            fputs(",\"why_not\":", o);
            cli_json_str(o, strcmp(e->kind, "address") == 0 &&
                                    e->records >= opt->min_records
                                ? "left out by the budget"
                                : why_not(e->kind));
        }
        fputs("}", o);
    }
    fputs("],\"commands\":[", o);
    plan_commands(p, es, o, 1);
    fputs("]}", o);
}

static void plan_text(const profile_plan *p, const moat_estate *es,
                      const suggest_options *opt, FILE *o)
{
    fprintf(o,
            "\nperimeter %s, profile %s: Enforced would refuse %llu records the current estate admits; the proposal keeps %llu\n",
            p->pi->perimeter_name, p->pi->profile_name,
            (unsigned long long)p->refused, (unsigned long long)p->kept);
    for (size_t i = 0; i < p->n_v; i++) {
        char t[64];
        prefix_text(&p->v[i], t, sizeof t);
        fprintf(o,
                "  address prefix %-18s %llu records, %llu addresses seen, opens %llu more\n",
                t, (unsigned long long)p->v[i].records,
                (unsigned long long)p->v[i].observed,
                opens_beyond(&p->v[i]));
    }
    for (size_t i = 0; i < p->n_dropped; i++) {
        char t[64];
        prefix_text(&p->dropped[i], t, sizeof t);
        fprintf(o, "  left out by the budget: %s (%llu records)\n", t,
                (unsigned long long)p->dropped[i].records);
    }
    for (size_t i = 0; i < p->n; i++) {
        const entry *e = p->e[i];
        if (strcmp(e->kind, "subscription") == 0)
            fprintf(o,
                    "  subscription %s: %llu records (opens it to every OAuth caller of that subscription)\n",
                    e->value, (unsigned long long)e->records);
        else if (!kept(p, e, opt, es) && strcmp(e->kind, "address") != 0)
            fprintf(o, "  no perimeter rule admits %s (%s): %llu records, %s\n",
                    e->value, e->kind, (unsigned long long)e->records,
                    why_not(e->kind));
        else if (!kept(p, e, opt, es) && e->records < opt->min_records)
            fprintf(o, "  seen once: %s (%llu record%s), not proposed\n",
                    e->value, (unsigned long long)e->records,
                    e->records == 1 ? "" : "s");
        else if (strcmp(e->kind, "perimeter") == 0)
            fprintf(o, "  link to perimeter %s: %llu records\n", e->value,
                    (unsigned long long)e->records);
    }
    if (p->reached) {
        char v6[48];
        u128_text(p->reach_ipv6, v6, sizeof v6);
        fprintf(o,
                "  moat reach on the proposal: its rules newly admit %llu IPv4 and %s IPv6 addresses%s to a resource of the profile, over every request\n",
                (unsigned long long)p->reach_ipv4, v6,
                p->reach_any_address ? " (and OAuth callers from any address)" : "");
    }
    fputs("  az commands:\n", o);
    plan_commands(p, es, o, 0);
}

/*--------------------------------------------------------------------------
** The proposal as an estate directory: the current estate's files with
** every Learning or Audit association Enforced, and the learned rules.
*/
static void enforce(cJSON *node)
{
    if (node == NULL)
        return;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(node, "type");
    size_t k = strlen("/resourceAssociations");
    if (cJSON_IsString(type) && strlen(type->valuestring) > k &&
        strcasecmp(type->valuestring + strlen(type->valuestring) - k,
                   "/resourceAssociations") == 0) {
        cJSON *props = cJSON_GetObjectItemCaseSensitive(node, "properties");
        if (props == NULL)
            props = cJSON_AddObjectToObject(node, "properties");
        if (props) {
            cJSON_DeleteItemFromObjectCaseSensitive(props, "accessMode");
            cJSON_AddStringToObject(props, "accessMode", "Enforced");
        }
    }
    for (cJSON *c = node->child; c; c = c->next)
        if (cJSON_IsObject(c) || cJSON_IsArray(c))
            enforce(c);
}

static int write_json(const char *dir, const char *name, cJSON *doc)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = cJSON_Print(doc);
    FILE *fp = text ? fopen(path, "w") : NULL;
    int ok = fp && fputs(text, fp) >= 0;
    if (fp && fclose(fp) != 0)
        ok = 0;
    free(text);
    if (!ok)
        cli_error("%s: cannot write the proposal", path);
    return ok ? 0 : -1;
}

static int copy_estate_file(const char *dir, const char *path, size_t index)
{
    size_t len;
    char *text = cli_read_file(path, &len);
    if (text == NULL)
        return -1;
    cJSON *doc = cJSON_ParseWithLength(text, len);
    free(text);
    if (doc == NULL) {
        cli_error("%s: not JSON, not copied into the proposal", path);
        return -1;
    }
    enforce(doc);
    const char *base = strrchr(path, '/');
    char name[512];
    snprintf(name, sizeof name, "%02zu-%s", index, base ? base + 1 : path);
    int rc = write_json(dir, name, doc);
    cJSON_Delete(doc);
    return rc;
}

static int copy_estate(const suggest_options *opt)
{
    size_t index = 0;
    for (int i = 0; i < opt->n_estate_paths; i++) {
        size_t n = 0;
        char **files = cli_json_files(opt->estate_paths[i], &n);
        if (files == NULL) { /* a file, not a directory */
            if (copy_estate_file(opt->write_proposal, opt->estate_paths[i],
                                 index++) < 0)
                return -1;
            continue;
        }
        for (size_t k = 0; k < n; k++)
            if (copy_estate_file(opt->write_proposal, files[k], index++) < 0) {
                cli_free_files(files, n);
                return -1;
            }
        cli_free_files(files, n);
    }
    return 0;
}

static cJSON *rule_resource(const profile_plan *p, const char *name)
{
    cJSON *r = cJSON_CreateObject();
    char id[1024];
    snprintf(id, sizeof id, "%s/accessRules/%s", p->pi->profile_id, name);
    cJSON_AddStringToObject(r, "id", id);
    cJSON_AddStringToObject(r, "name", name);
    cJSON_AddStringToObject(
        r, "type", "Microsoft.Network/networkSecurityPerimeters/profiles/accessRules");
    cJSON *props = cJSON_AddObjectToObject(r, "properties");
    cJSON_AddStringToObject(props, "direction", "Inbound");
    return r;
}

static void add_rules(cJSON *out, const profile_plan *p, const moat_estate *es)
{
    if (p->n_v) {
        cJSON *r = rule_resource(p, "learned-addresses");
        cJSON *list = cJSON_AddArrayToObject(
            cJSON_GetObjectItemCaseSensitive(r, "properties"), "addressPrefixes");
        for (size_t i = 0; i < p->n_v; i++) {
            char t[64];
            prefix_text(&p->v[i], t, sizeof t);
            cJSON_AddItemToArray(list, cJSON_CreateString(t));
        }
        cJSON_AddItemToArray(out, r);
    }
    cJSON *subs = NULL;
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->e[i]->kind, "subscription") != 0)
            continue;
        if (subs == NULL) {
            cJSON *r = rule_resource(p, "learned-subscriptions");
            subs = cJSON_AddArrayToObject(
                cJSON_GetObjectItemCaseSensitive(r, "properties"), "subscriptions");
            cJSON_AddItemToArray(out, r);
        }
        char id[128];
        snprintf(id, sizeof id, "/subscriptions/%s", p->e[i]->value);
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "id", id);
        cJSON_AddItemToArray(subs, s);
    }
    for (size_t i = 0, k = 0; i < p->n; i++) {
        const char *remote = link_remote(p->e[i], es);
        if (remote == NULL)
            continue;
        cJSON *l = cJSON_CreateObject();
        char id[1024];
        snprintf(id, sizeof id, "%s/links/learned-link-%s-%zu",
                 p->pi->perimeter_id, p->pi->profile_name, ++k);
        cJSON_AddStringToObject(l, "id", id);
        cJSON_AddStringToObject(l, "type",
                                "Microsoft.Network/networkSecurityPerimeters/links");
        cJSON *props = cJSON_AddObjectToObject(l, "properties");
        cJSON_AddStringToObject(props, "remotePerimeterResourceId", remote);
        cJSON_AddItemToObject(props, "localInboundProfiles",
                              cJSON_CreateStringArray(&p->pi->profile_name, 1));
        const char *all = "*";
        cJSON_AddItemToObject(props, "remoteInboundProfiles",
                              cJSON_CreateStringArray(&all, 1));
        cJSON_AddStringToObject(props, "status", "Approved");
        cJSON_AddItemToArray(out, l);
    }
}

/* A number of the exposure projection (docs/reach.md): internet.ipv4, or
** the length of a list. */
static double exposure_number(const cJSON *e, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, key);
    if (strcmp(key, "internet") == 0) {
        v = cJSON_GetObjectItemCaseSensitive(v, "ipv4");
        return cJSON_IsNumber(v) ? v->valuedouble : 0;
    }
    return cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
}

/* internet.ipv6 of the exposure projection: a decimal string of up to
** 2^128 (docs/reach.md); saturates. */
static sg_u128 exposure_ipv6(const cJSON *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "internet");
    v = cJSON_GetObjectItemCaseSensitive(v, "ipv6");
    sg_u128 n = 0;
    for (const char *c = cJSON_IsString(v) ? v->valuestring : ""; *c >= '0' && *c <= '9'; c++)
        n = n > (~(sg_u128)0 - 9) / 10 ? ~(sg_u128)0 : n * 10 + (sg_u128)(*c - '0');
    return n;
}

static cJSON *exposure(const moat_cells *c, int side)
{
    char *text = moat_cells_exposure_json(c, side, NULL);
    cJSON *e = text ? cJSON_Parse(text) : NULL;
    moat_free(text);
    return e;
}

/* What the learned rules open, exactly (moat reach): the exposure of each
** member of the profile in the proposal without them (the associations
** Enforced) and with them: the internet's IPv4 addresses newly admitted,
** and whether subscriptions or perimeters now admit OAuth callers from
** any address. */
static void measure(profile_plan *p, const moat_estate *baseline,
                    const moat_estate *proposal)
{
    const char *id;
    for (size_t i = 0;
         (id = moat_estate_profile_member(proposal, p->pi->profile_id, i)) !=
         NULL;
         i++) {
        moat_cells *c = NULL;
        if (moat_cells_diff(baseline, id, proposal, id, NULL, &c) != MOAT_OK)
            continue;
        cJSON *before = exposure(c, 0), *after = exposure(c, 1);
        if (before && after) {
            double v4 = exposure_number(after, "internet") -
                        exposure_number(before, "internet");
            p->reached = 1;
            if (v4 > (double)p->reach_ipv4)
                p->reach_ipv4 = (uint64_t)v4;
            sg_u128 a6 = exposure_ipv6(after), b6 = exposure_ipv6(before);
            if (a6 > b6 && a6 - b6 > p->reach_ipv6)
                p->reach_ipv6 = a6 - b6;
            p->reach_any_address |=
                exposure_number(after, "subscriptions") >
                    exposure_number(before, "subscriptions") ||
                exposure_number(after, "perimeters") >
                    exposure_number(before, "perimeters");
        }
        cJSON_Delete(before);
        cJSON_Delete(after);
        moat_cells_free(c);
    }
}

static moat_estate *load_dir(const char *dir)
{
    const char *paths[1] = {dir};
    return cli_load_paths(paths, 1, NULL, CLI_LOAD_QUIET);
}

static int write_proposal(profile_plan *plans, size_t n,
                          const moat_estate *es, const suggest_options *opt)
{
    if (mkdir(opt->write_proposal, 0777) != 0 && errno != EEXIST) {
        cli_error("%s: cannot create the proposal directory",
                  opt->write_proposal);
        return -1;
    }
    if (copy_estate(opt) < 0)
        return -1;
    moat_estate *baseline = load_dir(opt->write_proposal);
    cJSON *out = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        add_rules(out, &plans[i], es);
    int rc = write_json(opt->write_proposal, "zz-moat-suggested.json", out);
    cJSON_Delete(out);
    moat_estate *proposal = rc == 0 ? load_dir(opt->write_proposal) : NULL;
    if (rc == 0 && (baseline == NULL || proposal == NULL)) {
        cli_error("%s: the proposal does not load", opt->write_proposal);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        measure(&plans[i], baseline, proposal);
    moat_estate_free(baseline);
    moat_estate_free(proposal);
    return rc;
}

/*--------------------------------------------------------------------------
** The report.
*/
static size_t make_plans(entry *v, size_t n, profile_plan *plans, size_t cap,
                         const suggest_options *opt, const moat_estate *es)
{
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
        entry *e = &v[i];
        if (!e->has_pi || e->pi.profile_id == NULL)
            continue;
        if (np == 0 || strcmp(plans[np - 1].pi->profile_id, e->pi.profile_id)) {
            if (np == cap)
                break;
            memset(&plans[np], 0, sizeof plans[np]);
            plans[np].pi = &e->pi;
            plans[np].e = calloc(n, sizeof *plans[np].e);
            if (plans[np].e == NULL)
                break;
            np++;
        }
        profile_plan *p = &plans[np - 1];
        p->e[p->n++] = e;
        p->refused += e->records;
    }
    for (size_t k = 0; k < np; k++) {
        profile_plan *p = &plans[k];
        plan_addresses(p, opt);
        for (size_t i = 0; i < p->n; i++)
            if (kept(p, p->e[i], opt, es))
                p->kept += p->e[i]->records;
    }
    return np;
}

int replay_suggest_report(const replay_agg *a, const moat_estate *es,
                          const suggest_options *opt, int json, FILE *o)
{
    size_t n = 0;
    entry *v = collect(a, es, &n);
    profile_plan plans[64];
    size_t np = v ? make_plans(v, n, plans, 64, opt, es) : 0;
    int rc = opt->write_proposal && v ? write_proposal(plans, np, es, opt) : 0;
    if (json) {
        fprintf(o,
                "{\"moat_suggest\":1,\"mode\":\"Enforced\",\"max_prefixes\":%llu,\"max_addresses\":%llu,\"min_records\":%llu,\"profiles\":[",
                (unsigned long long)opt->max_prefixes,
                (unsigned long long)opt->max_addresses,
                (unsigned long long)opt->min_records);
        for (size_t i = 0; i < np; i++) {
            fputs(i ? ",\n" : "\n", o);
            plan_json(&plans[i], es, opt, o);
        }
        fputs("]}\n", o);
    } else {
        fprintf(o,
                "\nsuggested for Enforced (at most %llu prefixes, %llu addresses per profile; callers seen at least %llu times):\n",
                (unsigned long long)opt->max_prefixes,
                (unsigned long long)opt->max_addresses,
                (unsigned long long)opt->min_records);
        if (np == 0)
            fputs("  nothing: Enforced refuses no record the current estate admits\n", o);
        for (size_t i = 0; i < np; i++)
            plan_text(&plans[i], es, opt, o);
    }
    for (size_t i = 0; i < np; i++) {
        free(plans[i].e);
        free(plans[i].v);
        free(plans[i].dropped);
    }
    for (size_t i = 0; i < n; i++)
        free(v[i].resource);
    free(v);
    return v || n == 0 ? rc : -1;
}
