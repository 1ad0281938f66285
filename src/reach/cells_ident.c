/*
** cells_ident.c - the atoms of the caller's identity: caller.service and
** caller.resource_id.
**
** What the procedure asks of them (decision.md section 4): which resource
** instance rule patterns the id matches, which catalog rows of the
** resource's kind name the caller (by caller.service when set, else by
** the type of the id), and until when resource instance rules admit the
** id's type (a managed-identity row's `until`). A service atom is a class
** of names with the same rows; a caller atom a class of ids with the same
** patterns matched, rows and end.
**
** Every class that exists is found from witnesses: each catalog name (and
** a name under each of its namespaces), each literal pattern, and the
** intersections of wildcard patterns filled with fresh segments, with the
** catalog's types put where '*' leaves the type open; an id of a segment
** count no pattern has stands for "matches nothing" with each type. Each
** witness is classified by the same matching decide does, so a class is
** only ever what a real id gives.
*/
#include "cells_int.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BOXES 4096u
#define FRESH "moat~"

static moat_catalog_target target(const cctx *c)
{
    return c->dom.kind == RES_STORAGE ? MOAT_TARGET_STORAGE
                                      : MOAT_TARGET_KEYVAULT;
}

/* The rows of the resource's kind naming `name` (n bytes), and the end of
** resource instance access for type `type` (tn bytes). */
static void rows_of(const cctx *c, const char *name, size_t n,
                    const char *type, size_t tn, rows_list *rows,
                    int64_t *until)
{
    caller_rows cr;
    memset(&cr, 0, sizeof cr);
    moat__catalog_rows_of(name, n, type, tn, &cr);
    unsigned t = (unsigned)target(c) - 1u;
    memset(rows, 0, sizeof *rows);
    rows->n = cr.n[t];
    memcpy(rows->row, cr.row[t], cr.n[t] * sizeof rows->row[0]);
    if (until)
        *until = cr.instances_until;
}

static int same_rows(const rows_list *a, const rows_list *b)
{
    return a->n == b->n && memcmp(a->row, b->row, a->n * sizeof a->row[0]) == 0;
}

/*--------------------------------------------------------------------------
** Catalog names: every platform and identity, and a type under each
** namespace that no row names as a type.
*/
typedef struct namelist {
    char **v;
    size_t n, cap;
    int oom;
} namelist;

static void name_push(namelist *l, const char *s, size_t n, const char *tail)
{
    if (l->oom || n == 0)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 128;
        char **v = realloc(l->v, cap * sizeof *v);
        if (v == NULL) {
            l->oom = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    size_t tl = tail ? strlen(tail) : 0;
    char *p = malloc(n + tl + 1);
    if (p == NULL) {
        l->oom = 1;
        return;
    }
    memcpy(p, s, n);
    memcpy(p + n, tail ? tail : "", tl + 1);
    l->v[l->n++] = p;
}

static void names_free_all(namelist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* Each identity of a comma-separated list: itself, and (a type) its
** namespace with a type no row names, or (a namespace) a type in it. */
static void identity_names(namelist *types, const char *ids)
{
    for (const char *p = ids; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        const char *slash = memchr(p, '/', n);
        if (slash) {
            name_push(types, p, n, NULL);
            name_push(types, p, (size_t)(slash - p), "/" FRESH "type");
        } else {
            name_push(types, p, n, "/" FRESH "type");
        }
        p += n + (e != NULL);
    }
}

/* The names (platforms, namespaces, types) and the types of the catalog,
** plus a name and a type no row knows. */
static void catalog_names(namelist *names, namelist *types)
{
    for (size_t i = 0; i < moat__catalog_size; i++) {
        const moat_service *s = &moat__catalog_entries[i];
        name_push(names, s->platform, strlen(s->platform), NULL);
        identity_names(types, s->identities);
    }
    name_push(names, FRESH "none", strlen(FRESH "none"), NULL);
    name_push(types, FRESH "none/type", strlen(FRESH "none/type"), NULL);
    for (size_t i = 0; i < types->n; i++)
        name_push(names, types->v[i], strlen(types->v[i]), NULL);
}

/*--------------------------------------------------------------------------
** Service atoms: absent, and one per distinct rows list.
*/
/* The service atoms depend on the catalog and the resource's kind only:
** computed once per kind and process, published atomically (a thread
** that loses the race frees its copy). */
typedef struct service_table {
    uint32_t n;
    service_atom v[];
} service_table;

static _Atomic(service_table *) service_cache[2];

static service_table *service_table_build(const cctx *c, const namelist *names)
{
    service_table *t = calloc(1, sizeof *t + (names->n + 1) * sizeof t->v[0]);
    if (t == NULL)
        return NULL;
    t->n = 1; /* v[0]: absent */
    for (size_t i = 0; i < names->n; i++) {
        rows_list rows;
        rows_of(c, names->v[i], strlen(names->v[i]), "", 0, &rows, NULL);
        uint32_t k = 1;
        while (k < t->n && !same_rows(&t->v[k].rows, &rows))
            k++;
        if (k < t->n)
            continue;
        t->v[t->n].name = names->v[i];
        t->v[t->n++].rows = rows;
    }
    for (uint32_t k = 1; k < t->n; k++) { /* names outlive the list */
        t->v[k].name = strdup(t->v[k].name);
        if (t->v[k].name == NULL) {
            while (--k >= 1)
                free((char *)t->v[k].name);
            free(t);
            return NULL;
        }
    }
    return t;
}

static int service_atoms(cctx *c, const namelist *names)
{
    int kind = c->dom.kind == RES_STORAGE ? 0 : 1;
    service_table *t = atomic_load(&service_cache[kind]);
    if (t == NULL) {
        service_table *mine = service_table_build(c, names), *none = NULL;
        if (mine == NULL)
            return -1;
        if (atomic_compare_exchange_strong(&service_cache[kind], &none, mine)) {
            t = mine;
        } else {
            for (uint32_t k = 1; k < mine->n; k++)
                free((char *)mine->v[k].name);
            free(mine);
            t = none;
        }
    }
    c->dom.service = t->v;
    moat__cells_dim(c, D_SERVICE, t->n);
    return c->failed ? -1 : 0;
}

/* The internet probe's caller.service: absent, its atom 0 in every
** computation (service_table_build). */
static int absent_service(cctx *c)
{
    c->dom.service = moat__cells_alloc(c, sizeof *c->dom.service);
    moat__cells_dim(c, D_SERVICE, 1);
    return c->failed ? -1 : 0;
}

/*--------------------------------------------------------------------------
** Patterns of resource instance rules, matched as decide matches them.
*/
/* The type of id as a hash (0: none), as decide computes a caller's. */
static uint64_t id_type_hash(const char *id, size_t n, char *type, size_t cap,
                             size_t *tn)
{
    *tn = moat__arm_type_of(id, n, type, cap);
    return *tn ? moat__hash_ci(type, *tn) : 0;
}

int moat__cells_pattern_match(const cpattern *p, const char *id, size_t n)
{
    if (!p->wild)
        return moat__eq_ci(p->text, p->len, id, n);
    moat_segments seg;
    if (!p->split_ok || moat__segments_split(id, n, &seg) != 0 ||
        seg.n != p->seg.n)
        return 0;
    char type[512];
    size_t tn;
    uint64_t th = id_type_hash(id, n, type, sizeof type, &tn);
    if (p->type_hash && th && p->type_hash != th)
        return 0;
    for (int i = 0; i < seg.n; i++) {
        const char *ps = p->text + p->seg.off[i];
        size_t pl = p->seg.len[i];
        if (pl == 1 && ps[0] == '*') {
            if (seg.len[i] == 0)
                return 0;
        } else if (!moat__eq_ci(ps, pl, id + seg.off[i], seg.len[i])) {
            return 0;
        }
    }
    return 1;
}

static void pattern_init(cpattern *p, const char *text)
{
    memset(p, 0, sizeof *p);
    p->text = text;
    p->len = strlen(text);
    p->hash = moat__hash_ci(text, p->len);
    p->split_ok = moat__segments_split(text, p->len, &p->seg) == 0;
    for (int i = 0; p->split_ok && i < p->seg.n; i++)
        p->wild |= p->seg.len[i] == 1 && text[p->seg.off[i]] == '*';
    char type[512];
    size_t tn = moat__arm_type_of(text, p->len, type, sizeof type);
    if (tn && memchr(type, '*', tn) == NULL)
        p->type_hash = moat__hash_ci(type, tn);
}

static int collect_patterns(cctx *c)
{
    cnames l;
    moat__cnames_init(&l);
    FOR_SIDES(c, s, f)
    {
        f->rule_pattern =
            moat__cells_alloc(c, (f->r->n_rars + 1u) * sizeof(uint16_t));
        for (uint16_t i = 0; f->rule_pattern && i < f->r->n_rars; i++)
            f->rule_pattern[i] =
                (uint16_t)moat__cnames_add(&l, f->r->rars[i].resource_id);
    }
    c->dom.pattern = moat__cells_alloc(c, (l.n + 1) * sizeof *c->dom.pattern);
    for (uint32_t i = 0; c->dom.pattern && i < l.n; i++)
        pattern_init(&c->dom.pattern[i], l.v[i]);
    c->dom.n_pattern = l.n;
    if (l.oom && !c->failed)
        c->failed = MOAT_E_NOMEM;
    moat__cnames_free(&l);
    return c->failed ? -1 : 0;
}

/*--------------------------------------------------------------------------
** Caller atoms, deduplicated by what the procedure asks of them.
*/
/* The catalog rows (per kind) and instance-access end of every type the
** catalog names, by case-folded hash: built once per process with the
** catalog's lists (moat__cells_ident), read by every computation. */
#define TYPE_SLOTS 2048u /* a power of two, over twice the types */
typedef struct type_entry {
    uint64_t h; /* 0: empty */
    rows_list rows[2];
    int64_t until;
} type_entry;

typedef struct type_table {
    type_entry slot[TYPE_SLOTS];
} type_table;

static const type_entry *type_find(const type_table *t, uint64_t h)
{
    for (size_t k = h & (TYPE_SLOTS - 1); t && t->slot[k].h;
         k = (k + 1) & (TYPE_SLOTS - 1)) {
        if (t->slot[k].h == h)
            return &t->slot[k];
    }
    return NULL;
}

typedef struct atoms {
    const type_table *tt;
    caller_atom *v;
    size_t n, cap;
    uint64_t *hash;
    int oom;
    /* literal patterns by hash, open addressing */
    uint32_t *lit;
    size_t lit_cap;
    namelist types; /* catalog type candidates */
    uint32_t nseg_used; /* bit n: some pattern has n segments */
    /* the last types classified */
    struct {
        uint64_t h;
        rows_list rows;
        int64_t until;
    } memo[16];
    unsigned n_memo;
} atoms;

static void lit_index(cctx *c, atoms *a)
{
    a->lit_cap = 16;
    while (a->lit_cap < 2 * (size_t)c->dom.n_pattern + 2)
        a->lit_cap *= 2;
    a->lit = malloc(a->lit_cap * sizeof *a->lit);
    if (a->lit == NULL) {
        a->oom = 1;
        return;
    }
    memset(a->lit, 0xFF, a->lit_cap * sizeof *a->lit);
    for (uint32_t i = 0; i < c->dom.n_pattern; i++) {
        const cpattern *p = &c->dom.pattern[i];
        if (p->split_ok && p->seg.n < 32)
            a->nseg_used |= 1u << p->seg.n;
        if (p->wild)
            continue;
        size_t k = p->hash & (a->lit_cap - 1);
        while (a->lit[k] != UINT32_MAX)
            k = (k + 1) & (a->lit_cap - 1);
        a->lit[k] = i;
    }
}

/* The rows and end of a type (tn bytes, 0: none), remembered. */
static void classify_type(const cctx *c, atoms *a, const char *type,
                          size_t tn, rows_list *rows, int64_t *until)
{
    uint64_t h = tn ? moat__hash_ci(type, tn) : 0;
    const type_entry *e = h ? type_find(a->tt, h) : NULL;
    if (e) {
        *rows = e->rows[c->dom.kind == RES_STORAGE ? 0 : 1];
        *until = e->until;
        return;
    }
    for (unsigned i = 0; i < a->n_memo && i < 16; i++) {
        if (a->memo[i].h == h) {
            *rows = a->memo[i].rows;
            *until = a->memo[i].until;
            return;
        }
    }
    rows_of(c, type, tn, type, tn, rows, until);
    unsigned k = a->n_memo++ % 16;
    a->memo[k].h = h;
    a->memo[k].rows = *rows;
    a->memo[k].until = *until;
}

/* The patterns id (n bytes) matches, sorted into m; their count. */
static uint16_t match_of(const cctx *c, const atoms *a, const char *id,
                         size_t n, uint16_t *m)
{
    uint16_t k = 0;
    uint64_t h = moat__hash_ci(id, n);
    for (size_t j = h & (a->lit_cap - 1); a->lit[j] != UINT32_MAX;
         j = (j + 1) & (a->lit_cap - 1)) {
        const cpattern *p = &c->dom.pattern[a->lit[j]];
        if (p->hash == h && moat__eq_ci(p->text, p->len, id, n))
            m[k++] = (uint16_t)a->lit[j];
    }
    for (uint32_t i = 0; i < c->dom.n_pattern; i++) {
        const cpattern *p = &c->dom.pattern[i];
        if (p->wild && moat__cells_pattern_match(p, id, n))
            m[k++] = (uint16_t)i;
    }
    for (uint16_t i = 1; i < k; i++) { /* insertion sort: k is tiny */
        uint16_t x = m[i], j = i;
        for (; j > 0 && m[j - 1] > x; j--)
            m[j] = m[j - 1];
        m[j] = x;
    }
    return k;
}

static uint64_t atom_hash(const uint16_t *m, uint16_t k, const rows_list *r,
                          int64_t until)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ k ^ ((uint64_t)until * 31);
    for (uint16_t i = 0; i < k; i++)
        h = (h ^ m[i]) * 0x100000001B3ULL;
    for (uint8_t i = 0; i < r->n; i++)
        h = (h ^ (r->row[i] + 0x10000u)) * 0x100000001B3ULL;
    return h ? h : 1;
}

static int atom_equal(const caller_atom *x, const uint16_t *m, uint16_t k,
                      const rows_list *r, int64_t until)
{
    return x->n_match == k && x->until == until && same_rows(&x->rows, r) &&
           (k == 0 || memcmp(x->match, m, k * sizeof *m) == 0);
}

/* Adds the class of a witness id (NULL: absent) once. */
static void atom_add(cctx *c, atoms *a, const char *id, size_t n)
{
    uint16_t m[1024];
    uint16_t k = 0;
    rows_list rows;
    int64_t until = INT64_MAX;
    memset(&rows, 0, sizeof rows);
    if (id) {
        if (c->dom.n_pattern > 1024)
            k = 0; /* unreachable: at most 200 rules per side */
        else
            k = match_of(c, a, id, n, m);
        char type[512];
        size_t tn = moat__arm_type_of(id, n, type, sizeof type);
        classify_type(c, a, type, tn, &rows, &until);
    }
    uint64_t h = atom_hash(m, k, &rows, until);
    for (size_t i = 0; i < a->n; i++) {
        if (a->hash[i] == h && atom_equal(&a->v[i], m, k, &rows, until))
            return;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 64;
        caller_atom *v = realloc(a->v, cap * sizeof *v);
        uint64_t *hv = v ? realloc(a->hash, cap * sizeof *hv) : NULL;
        if (v)
            a->v = v;
        if (hv == NULL) {
            a->oom = 1;
            return;
        }
        a->hash = hv;
        a->cap = cap;
    }
    caller_atom *x = &a->v[a->n];
    memset(x, 0, sizeof *x);
    x->id = id ? moat__arena_strndup(c->arena, id, n) : NULL;
    uint16_t *mm = k ? moat__arena_alloc(c->arena, k * sizeof *mm) : NULL;
    if ((id && x->id == NULL) || (k && mm == NULL)) {
        a->oom = 1;
        return;
    }
    if (k)
        memcpy(mm, m, k * sizeof *mm);
    x->match = mm;
    x->n_match = k;
    x->rows = rows;
    x->until = until;
    a->hash[a->n++] = h;
}

/*--------------------------------------------------------------------------
** Witnesses.
*/
typedef struct cbox_id {
    uint8_t n;
    const char *lit[MOAT_MAX_SEGMENTS]; /* NULL: '*' */
    uint16_t len[MOAT_MAX_SEGMENTS];
} cbox_id;

/* The id of segments seg (n of them) with '*' filled fresh, written with
** a leading slash or not and a trailing slash or not (form bits 1, 2). */
static size_t id_text(const cbox_id *b, int form, char *out, size_t cap)
{
    size_t o = 0;
    for (int i = 0; i < b->n; i++) {
        char fresh[16];
        const char *s = b->lit[i];
        size_t n = b->len[i];
        if (s == NULL) {
            n = (size_t)snprintf(fresh, sizeof fresh, FRESH "%d", i);
            s = fresh;
        }
        if (o + n + 3 > cap)
            return 0;
        if (i || !(form & 1))
            out[o++] = '/';
        memcpy(out + o, s, n);
        o += n;
    }
    if (form & 2)
        out[o++] = '/';
    out[o] = '\0';
    return o;
}

/* Ids of a segment count no pattern has, one per catalog type: they match
** nothing, and carry each type's rows and end. */
static void type_witnesses(cctx *c, atoms *a)
{
    for (size_t t = 0; t < a->types.n; t++) {
        const char *type = a->types.v[t];
        cbox_id b;
        memset(&b, 0, sizeof b);
        const char *part[MOAT_MAX_SEGMENTS];
        uint16_t plen[MOAT_MAX_SEGMENTS];
        int k = 0;
        for (const char *p = type; *p && k < 12;) {
            const char *e = strchr(p, '/');
            plen[k] = (uint16_t)(e ? (size_t)(e - p) : strlen(p));
            part[k++] = p;
            p += plen[k - 1] + (e != NULL);
        }
        int core = 2 * k, n = core;
        while (n < MOAT_MAX_SEGMENTS && (a->nseg_used >> n) & 1u)
            n++;
        if (n >= MOAT_MAX_SEGMENTS)
            n = core;
        for (int i = 0; i < n - core; i++)
            b.lit[b.n] = "moat", b.len[b.n++] = 4;
        b.lit[b.n] = "providers", b.len[b.n++] = 9;
        for (int i = 0; i < k; i++) {
            b.lit[b.n] = part[i], b.len[b.n++] = plen[i];
            if (i > 0)
                b.lit[b.n] = "name", b.len[b.n++] = 4;
        }
        char id[2048];
        size_t len = id_text(&b, 0, id, sizeof id);
        if (len)
            atom_add(c, a, id, len);
    }
}

static void literal_witnesses(cctx *c, atoms *a)
{
    for (uint32_t i = 0; i < c->dom.n_pattern; i++) {
        const cpattern *p = &c->dom.pattern[i];
        if (!p->wild)
            atom_add(c, a, p->text, p->len);
    }
}

static void box_of(const cpattern *p, cbox_id *b)
{
    b->n = p->seg.n;
    for (int i = 0; i < b->n; i++) {
        const char *s = p->text + p->seg.off[i];
        int star = p->seg.len[i] == 1 && s[0] == '*';
        b->lit[i] = star ? NULL : s;
        b->len[i] = star ? 0 : p->seg.len[i];
    }
}

/* x := b and pattern p; 0 when they share no id. */
static int box_and(const cbox_id *b, const cpattern *p, cbox_id *x)
{
    if (!p->split_ok || p->seg.n != b->n)
        return 0;
    cbox_id q;
    box_of(p, &q);
    *x = *b;
    for (int i = 0; i < b->n; i++) {
        if (q.lit[i] == NULL) {
            if (b->lit[i] && b->len[i] == 0)
                return 0; /* '*' is never an empty segment */
            continue;
        }
        if (b->lit[i] == NULL) {
            if (q.len[i] == 0)
                return 0;
            x->lit[i] = q.lit[i];
            x->len[i] = q.len[i];
        } else if (!moat__eq_ci(b->lit[i], b->len[i], q.lit[i], q.len[i])) {
            return 0;
        }
    }
    return 1;
}

static uint64_t box_hash(const cbox_id *b)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ b->n;
    for (int i = 0; i < b->n; i++)
        h = (h ^ (b->lit[i] ? moat__hash_ci(b->lit[i], b->len[i]) : 7)) *
            0x100000001B3ULL;
    return h;
}

/* Puts type t ("NS/type[/type...]") into box b at providers position j:
** "providers", the namespace, then each type at every other segment, to
** the end; 0 when b's literals are in the way or the count is wrong. */
static int put_type(cbox_id *b, const char *t, int j)
{
    const char *p = t;
    int at = j;
    if (b->lit[at] && !moat__eq_ci(b->lit[at], b->len[at], "providers", 9))
        return 0;
    b->lit[at] = "providers", b->len[at] = 9;
    for (int k = 0; *p; k++) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        at = k == 0 ? j + 1 : j + 2 * k;
        if (at >= b->n)
            return 0;
        if (b->lit[at] && !moat__eq_ci(b->lit[at], b->len[at], p, n))
            return 0;
        b->lit[at] = p, b->len[at] = (uint16_t)n;
        p += n + (e != NULL);
    }
    return at == b->n - 1 || at == b->n - 2;
}

/* Box b leaves the type open: its ids with each catalog type. */
static void type_variants(cctx *c, atoms *a, const cbox_id *b)
{
    char id[2048];
    for (size_t t = 0; t < a->types.n; t++) {
        for (int j = 0; j + 2 < b->n; j++) {
            cbox_id x = *b;
            if (!put_type(&x, a->types.v[t], j))
                continue;
            size_t len = id_text(&x, 0, id, sizeof id);
            if (len)
                atom_add(c, a, id, len);
        }
    }
}

/* The witnesses of box b: filled with fresh segments (every way of
** writing it when it has none to fill), and with each type when none of
** the patterns it matches fixes its type. */
static void box_witnesses(cctx *c, atoms *a, const cbox_id *b)
{
    char id[2048];
    int open = 0;
    for (int i = 0; i < b->n; i++)
        open |= b->lit[i] == NULL;
    for (int form = 0; form < (open ? 1 : 4); form++) {
        size_t len = id_text(b, form, id, sizeof id);
        if (len)
            atom_add(c, a, id, len);
    }
    size_t len = id_text(b, 0, id, sizeof id);
    uint16_t m[1024];
    uint16_t k = open && len ? match_of(c, a, id, len, m) : 1;
    int fixed = !open;
    for (uint16_t i = 0; i < k && !fixed && open; i++)
        fixed = c->dom.pattern[m[i]].type_hash != 0;
    if (!fixed)
        type_variants(c, a, b);
}

/* The wildcard patterns and every intersection of them; -2 past
** MAX_BOXES, -1 when out of memory. */
static int wildcard_witnesses(cctx *c, atoms *a)
{
    cbox_id *box = malloc(MAX_BOXES * sizeof *box);
    uint64_t *seen = malloc(MAX_BOXES * sizeof *seen);
    size_t n = 0;
    int rc = box && seen ? 0 : -1;
    for (uint32_t i = 0; rc == 0 && i < c->dom.n_pattern; i++) {
        const cpattern *p = &c->dom.pattern[i];
        if (!p->wild || !p->split_ok)
            continue;
        box_of(p, &box[n]);
        seen[n] = box_hash(&box[n]);
        n++;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        for (uint32_t j = 0; rc == 0 && j < c->dom.n_pattern; j++) {
            if (!c->dom.pattern[j].wild ||
                !box_and(&box[i], &c->dom.pattern[j], &box[n]))
                continue;
            uint64_t h = box_hash(&box[n]);
            size_t k = 0;
            while (k < n && seen[k] != h)
                k++;
            if (k < n)
                continue;
            if (n + 1 == MAX_BOXES)
                rc = -2;
            else
                seen[n++] = h;
        }
        if (rc == 0)
            box_witnesses(c, a, &box[i]);
    }
    free(box);
    free(seen);
    return rc;
}

/*--------------------------------------------------------------------------
** Classes of rows lists and of ends, for the keys the procedure splits by.
*/
static uint32_t rows_class(cctx *c, const rows_list *r, rows_list *v,
                           uint32_t *n)
{
    for (uint32_t i = 0; i < *n; i++) {
        if (same_rows(&v[i], r))
            return i;
    }
    v[*n] = *r;
    (void)c;
    return (*n)++;
}

static void classes(cctx *c)
{
    cdomain *d = &c->dom;
    uint32_t ns = d->n[D_SERVICE], nc = d->n[D_CALLER];
    d->rows_class = moat__cells_alloc(c, (ns + nc) * sizeof *d->rows_class);
    d->service_class = moat__cells_alloc(c, ns * sizeof(uint32_t));
    d->caller_class = moat__cells_alloc(c, nc * sizeof(uint32_t));
    d->until_value = moat__cells_alloc(c, nc * sizeof(int64_t));
    if (c->failed)
        return;
    d->service_class[0] = UINT32_MAX;
    for (uint32_t i = 1; i < ns; i++)
        d->service_class[i] =
            rows_class(c, &d->service[i].rows, d->rows_class, &d->n_rows_class);
    for (uint32_t i = 0; i < nc; i++) {
        caller_atom *x = &d->caller[i];
        d->caller_class[i] =
            rows_class(c, &x->rows, d->rows_class, &d->n_rows_class);
        uint32_t u = 0;
        while (u < d->n_until && d->until_value[u] != x->until)
            u++;
        if (u == d->n_until)
            d->until_value[d->n_until++] = x->until;
        x->until_class = (uint16_t)u;
    }
}

static void keep_atoms(cctx *c, atoms *a)
{
    c->dom.caller = moat__cells_alloc(c, (a->n + 1) * sizeof *c->dom.caller);
    if (c->dom.caller)
        memcpy(c->dom.caller, a->v, a->n * sizeof *a->v);
    moat__cells_dim(c, D_CALLER, (uint32_t)a->n);
}

/* Without resource instance rules the caller atoms depend on the kind
** alone (the catalog's types by rows and end): built once per kind and
** process, published atomically, copied into each computation. */
typedef struct caller_cache {
    size_t n;
    caller_atom v[];
} caller_cache;

static _Atomic(caller_cache *) no_pattern_cache[2];

static void caller_cache_free(caller_cache *k)
{
    for (size_t i = 0; i < k->n; i++)
        free((char *)k->v[i].id);
    free(k);
}

static void no_pattern_keep(const cctx *c, const atoms *a)
{
    int kind = c->dom.kind == RES_STORAGE ? 0 : 1;
    caller_cache *k = calloc(1, sizeof *k + a->n * sizeof k->v[0]), *none = NULL;
    if (k == NULL)
        return; /* not cached: only slower */
    for (size_t i = 0; i < a->n; i++, k->n++) {
        k->v[i] = a->v[i];
        k->v[i].id = a->v[i].id ? strdup(a->v[i].id) : NULL;
        if (a->v[i].id && k->v[i].id == NULL) {
            caller_cache_free(k);
            return;
        }
    }
    if (!atomic_compare_exchange_strong(&no_pattern_cache[kind], &none, k))
        caller_cache_free(k);
}

/* 1 when the cache gave a's atoms. */
static int no_pattern_atoms(cctx *c, atoms *a)
{
    int kind = c->dom.kind == RES_STORAGE ? 0 : 1;
    const caller_cache *k = atomic_load(&no_pattern_cache[kind]);
    if (k == NULL)
        return 0;
    a->v = malloc((k->n ? k->n : 1) * sizeof *a->v);
    if (a->v == NULL) {
        a->oom = 1;
        return 1;
    }
    memcpy(a->v, k->v, k->n * sizeof *a->v);
    a->n = a->cap = k->n;
    return 1;
}

/* The catalog's names and types, built once per process (they depend on
** the compiled-in catalog only) and published atomically. */
typedef struct catalog_lists {
    namelist names, types;
    type_table tt;
} catalog_lists;

/* Every type of the list into the table (a full table just stops). */
static void type_table_fill(type_table *t, const namelist *types)
{
    size_t used = 0;
    for (size_t i = 0; i < types->n && 2 * (used + 1) < TYPE_SLOTS; i++) {
        const char *ty = types->v[i];
        size_t tn = strlen(ty);
        uint64_t h = moat__hash_ci(ty, tn);
        if (h == 0 || type_find(t, h))
            continue;
        caller_rows cr;
        memset(&cr, 0, sizeof cr);
        moat__catalog_rows_of(ty, tn, ty, tn, &cr);
        size_t k = h & (TYPE_SLOTS - 1);
        while (t->slot[k].h)
            k = (k + 1) & (TYPE_SLOTS - 1);
        type_entry *e = &t->slot[k];
        e->h = h;
        for (int kind = 0; kind < 2; kind++) {
            e->rows[kind].n = cr.n[kind];
            memcpy(e->rows[kind].row, cr.row[kind],
                   cr.n[kind] * sizeof e->rows[kind].row[0]);
        }
        e->until = cr.instances_until;
        used++;
    }
}

static _Atomic(catalog_lists *) lists_cache;

static void lists_free(catalog_lists *l)
{
    names_free_all(&l->names);
    names_free_all(&l->types);
    free(l);
}

static const catalog_lists *catalog_lists_get(void)
{
    catalog_lists *l = atomic_load(&lists_cache), *none = NULL;
    if (l)
        return l;
    l = calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    catalog_names(&l->names, &l->types);
    if (l->names.oom || l->types.oom) {
        lists_free(l);
        return NULL;
    }
    type_table_fill(&l->tt, &l->types);
    if (atomic_compare_exchange_strong(&lists_cache, &none, l))
        return l;
    lists_free(l);
    return none;
}

int moat__cells_ident(cctx *c)
{
    atoms a;
    memset(&a, 0, sizeof a);
    const catalog_lists *cl = catalog_lists_get();
    int rc = cl ? 0 : -1;
    if (cl) {
        a.types = cl->types; /* shared, read only */
        a.tt = &cl->tt;
    }
    if (rc == 0)
        rc = c->dom.probe_only ? absent_service(c)
                               : service_atoms(c, &cl->names);
    if (rc == 0)
        rc = collect_patterns(c);
    if (rc == 0 && c->dom.n_pattern > 1024)
        rc = -2;
    if (rc == 0)
        lit_index(c, &a);
    if (rc == 0 && !a.oom && c->dom.probe_only)
        atom_add(c, &a, NULL, 0); /* caller.resource_id absent, alone */
    else if (rc == 0 && !a.oom && c->dom.n_pattern == 0 &&
             no_pattern_atoms(c, &a))
        ; /* the kind's atoms without patterns, from the cache */
    else if (rc == 0 && !a.oom) {
        atom_add(c, &a, NULL, 0); /* caller.resource_id absent */
        type_witnesses(c, &a);
        literal_witnesses(c, &a);
        rc = wildcard_witnesses(c, &a);
        if (rc == 0 && !a.oom && c->dom.n_pattern == 0)
            no_pattern_keep(c, &a);
    }
    if (rc == 0 && !a.oom && !c->failed) {
        keep_atoms(c, &a);
        classes(c);
    }
    if (rc == -1 || a.oom)
        c->failed = MOAT_E_NOMEM;
    else if (rc == -2 && !c->failed)
        c->failed = MOAT_E_LIMIT;
    free(a.v);
    free(a.hash);
    free(a.lit);
    return c->failed ? -1 : 0;
}
