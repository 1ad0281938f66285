/*
** tpl_expr.c - ARM template expressions ("[parameters('name')]"), read
** but never evaluated: parsed into a tree, the parameters a nested
** deployment passes in substituted (literal values become values,
** expressions stay expressions, written in the scope that passed them),
** and printed again in one canonical form, so that two references to the
** same thing in the same scope are the same text: the storage account
** named "[parameters('name')]" and the private endpoint's
** "[resourceId('Microsoft.Storage/storageAccounts', parameters('name'))]".
**
** The grammar is the template expression syntax of
** learn.microsoft.com/azure/azure-resource-manager/templates/
** template-expressions: function calls with arguments, string literals in
** single quotes ('' escapes a quote), integers, and property (.name) and
** index ([expr]) access after a call. Function names ignore case, as ARM
** matches them. Anything else does not parse, and the text stays as
** written: still an expression, still unknown.
*/
#include "load.h"

#include <string.h>

#define MAX_EXPR_DEPTH 64
#define MAX_SUBST_DEPTH 32

typedef enum xkind { X_STR, X_NUM, X_WORD, X_CALL, X_MEMBER, X_INDEX } xkind;

struct tpl_expr {
    xkind kind;
    const char *text; /* string, number, word, function or member name */
    size_t len;
    tpl_expr *arg;  /* X_CALL: first argument; X_MEMBER, X_INDEX: base */
    tpl_expr *next; /* the next argument */
    tpl_expr *index;
    const tpl_scope *scope; /* parameters() and variables(): whose */
};

typedef struct xparser {
    moat_arena *a;
    const char *s;
    size_t n, pos;
    int failed;
} xparser;

/* A new node; NULL (and the parse failed) when out of memory. */
static tpl_expr *node(xparser *p, xkind k, const char *text, size_t len)
{
    tpl_expr *e = moat__arena_zalloc(p->a, sizeof *e);
    if (e == NULL) {
        p->failed = 1;
        return NULL;
    }
    e->kind = k;
    e->text = text;
    e->len = len;
    return e;
}

/* Skips blanks between tokens. */
static void blank(xparser *p)
{
    while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                             p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

/* A character of a function or property name (first: its first). */
static int is_word(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && ((c >= '0' && c <= '9') || c == '.'));
}

/* 'text' with '' for a quote, decoded into the arena. */
static tpl_expr *string_lit(xparser *p)
{
    char *out = moat__arena_alloc(p->a, p->n - p->pos + 1);
    size_t k = 0;
    if (out == NULL) {
        p->failed = 1;
        return NULL;
    }
    for (p->pos++; p->pos < p->n; p->pos++) {
        if (p->s[p->pos] == '\'') {
            if (p->pos + 1 < p->n && p->s[p->pos + 1] == '\'') {
                out[k++] = '\'';
                p->pos++;
                continue;
            }
            p->pos++;
            out[k] = '\0';
            return node(p, X_STR, out, k);
        }
        out[k++] = p->s[p->pos];
    }
    p->failed = 1; /* never closed */
    return NULL;
}

/* One expression: a literal, a name or a call, with accessors after it;
** NULL when it does not parse (or is nested deeper than MAX_EXPR_DEPTH). */
static tpl_expr *expr(xparser *p, int depth);

/* The arguments of a call, after its '('. */
static int call_args(xparser *p, tpl_expr *call, int depth)
{
    tpl_expr **tail = &call->arg;
    blank(p);
    if (p->pos < p->n && p->s[p->pos] == ')') {
        p->pos++;
        return 1;
    }
    for (;;) {
        tpl_expr *a = expr(p, depth + 1);
        if (a == NULL)
            return 0;
        *tail = a;
        tail = &a->next;
        blank(p);
        if (p->pos >= p->n)
            return 0;
        char c = p->s[p->pos++];
        if (c == ')')
            return 1;
        if (c != ',')
            return 0;
    }
}

/* Property and index access after a value: .name, [expr]. */
static tpl_expr *accessors(xparser *p, tpl_expr *base, int depth)
{
    for (;;) {
        blank(p);
        if (p->pos + 1 < p->n && p->s[p->pos] == '.' &&
            is_word(p->s[p->pos + 1], 1)) {
            size_t start = ++p->pos;
            while (p->pos < p->n && is_word(p->s[p->pos], 0) &&
                   p->s[p->pos] != '.')
                p->pos++;
            tpl_expr *m = node(p, X_MEMBER, p->s + start, p->pos - start);
            if (m == NULL)
                return NULL;
            m->arg = base;
            base = m;
        } else if (p->pos < p->n && p->s[p->pos] == '[') {
            p->pos++;
            tpl_expr *i = node(p, X_INDEX, "", 0);
            if (i == NULL || (i->index = expr(p, depth + 1)) == NULL)
                return NULL;
            blank(p);
            if (p->pos >= p->n || p->s[p->pos++] != ']')
                return NULL;
            i->arg = base;
            base = i;
        } else {
            return base;
        }
    }
}

static tpl_expr *expr(xparser *p, int depth)
{
    blank(p);
    if (depth > MAX_EXPR_DEPTH || p->pos >= p->n || p->failed)
        return NULL;
    char c = p->s[p->pos];
    tpl_expr *e = NULL;
    if (c == '\'') {
        e = string_lit(p);
    } else if ((c >= '0' && c <= '9') || c == '-') {
        size_t start = p->pos++;
        while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
        e = node(p, X_NUM, p->s + start, p->pos - start);
    } else if (is_word(c, 1)) {
        size_t start = p->pos;
        while (p->pos < p->n && is_word(p->s[p->pos], 0))
            p->pos++;
        size_t len = p->pos - start;
        blank(p);
        int call = p->pos < p->n && p->s[p->pos] == '(';
        e = node(p, call ? X_CALL : X_WORD, p->s + start, len);
        if (e && call) {
            p->pos++;
            if (!call_args(p, e, depth))
                return NULL;
        }
    }
    return e ? accessors(p, e, depth) : NULL;
}

tpl_expr *moat__tpl_parse(moat_arena *a, const char *s, size_t n)
{
    if (n < 2 || s[0] != '[' || s[1] == '[' || s[n - 1] != ']')
        return NULL;
    xparser p = {a, s + 1, n - 2, 0, 0};
    tpl_expr *e = expr(&p, 0);
    blank(&p);
    return e && !p.failed && p.pos == p.n ? e : NULL;
}

/*--------------------------------------------------------------------------
** Substitution.
*/
static int is_call(const tpl_expr *e, const char *name)
{
    return e && e->kind == X_CALL &&
           moat__eq_ci(e->text, e->len, name, strlen(name));
}

/* parameters('x') or variables('x'): the name, else NULL. */
const char *moat__tpl_reference(const tpl_expr *e, const char *fn)
{
    if (!is_call(e, fn) || e->arg == NULL || e->arg->kind != X_STR ||
        e->arg->next)
        return NULL;
    return e->arg->text;
}

/* The value a scope's deployment passes for parameter name: the member
** "value" of properties.parameters.<name>; NULL when it passes none (the
** nested template's default applies, unknown as at the top) or a Key
** Vault reference. */
const json_value *moat__tpl_passed(const tpl_scope *sc, const char *name)
{
    if (sc == NULL || sc->params == NULL || sc->params->type != JSON_OBJECT)
        return NULL;
    const json_value *p = moat__json_get(sc->params, name);
    return p && p->type == JSON_OBJECT ? moat__json_get(p, "value") : NULL;
}

/* moat__tpl_subst at a depth of parameters passed through scopes; NULL
** when out of memory. */
static tpl_expr *subst(moat_arena *a, const tpl_scope *sc, tpl_expr *e,
                       int depth);

/* What parameters(name) of scope sc stands for: a literal string or
** number the deployment passed, the expression it passed (substituted in
** the scope that wrote it), or NULL to keep the reference. */
static tpl_expr *passed_expr(moat_arena *a, const tpl_scope *sc,
                             const char *name, int depth)
{
    const json_value *v = moat__tpl_passed(sc, name);
    if (v == NULL || depth > MAX_SUBST_DEPTH)
        return NULL;
    xparser p = {a, NULL, 0, 0, 0};
    if (v->type == JSON_NUMBER)
        return node(&p, X_NUM, v->str, v->len);
    if (v->type != JSON_STRING)
        return NULL; /* objects, arrays, booleans: kept as a reference */
    tpl_expr *x = moat__tpl_parse(a, v->str, v->len);
    if (x)
        return subst(a, sc->outer, x, depth + 1);
    if (moat__is_expression(v))
        return NULL; /* an expression that does not parse */
    return node(&p, X_STR, v->str, v->len);
}

/* A copy of e with the parameters of scope sc replaced by what was passed,
** and every remaining parameters() and variables() marked as sc's. */
static tpl_expr *subst(moat_arena *a, const tpl_scope *sc, tpl_expr *e,
                       int depth)
{
    if (e == NULL)
        return NULL;
    const char *pname = moat__tpl_reference(e, "parameters");
    tpl_expr *r = pname ? passed_expr(a, sc, pname, depth) : NULL;
    if (r)
        return r;
    r = moat__arena_alloc(a, sizeof *r);
    if (r == NULL)
        return NULL;
    *r = *e;
    if (pname || moat__tpl_reference(e, "variables"))
        r->scope = sc;
    r->arg = NULL;
    tpl_expr **tail = &r->arg;
    for (tpl_expr *x = e->arg; x; x = x->next) {
        tpl_expr *c = subst(a, sc, x, depth);
        if (c == NULL)
            return NULL;
        c->next = NULL;
        *tail = c;
        tail = &c->next;
    }
    if (e->index && (r->index = subst(a, sc, e->index, depth)) == NULL)
        return NULL;
    return r;
}

tpl_expr *moat__tpl_subst(moat_arena *a, const tpl_scope *sc, tpl_expr *e)
{
    return subst(a, sc, e, 0);
}

tpl_expr *moat__tpl_deref(moat_arena *a, const tpl_scope *sc, tpl_expr *e)
{
    for (int i = 0; i < MAX_SUBST_DEPTH && e; i++) {
        const char *name = moat__tpl_reference(e, "variables");
        const json_value *v = name && sc && sc->vars && e->scope == sc
                                  ? moat__json_get(sc->vars, name)
                                  : NULL;
        tpl_expr *x = v && v->type == JSON_STRING
                          ? moat__tpl_parse(a, v->str, v->len)
                          : NULL;
        if (x == NULL)
            return e;
        e = subst(a, sc, x, 0);
    }
    return e;
}

/*--------------------------------------------------------------------------
** Printing.
*/
/* s as an expression's string literal: quoted, '' for a quote. */
static void quoted(moat_buf *b, const char *s, size_t n)
{
    moat__buf_putc(b, '\'');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'')
            moat__buf_putc(b, '\'');
        moat__buf_putc(b, s[i]);
    }
    moat__buf_putc(b, '\'');
}

/* e's canonical text into b (b->failed when out of memory). */
static void print(moat_buf *b, const tpl_expr *e)
{
    switch (e->kind) {
    case X_STR: quoted(b, e->text, e->len); return;
    case X_NUM:
    case X_WORD: moat__buf_put(b, e->text, e->len); return;
    case X_CALL:
        moat__buf_put(b, e->text, e->len);
        moat__buf_putc(b, '(');
        for (const tpl_expr *x = e->arg; x; x = x->next) {
            print(b, x);
            if (x->next)
                moat__buf_putc(b, ',');
        }
        /* Another scope's parameters and variables are other values:
        ** variables('x','storage') is variables('x') of deployment
        ** storage (a second argument ARM does not have, so the text parses
        ** again and is never substituted twice). */
        if (e->scope && e->scope->label[0]) {
            moat__buf_putc(b, ',');
            quoted(b, e->scope->label, strlen(e->scope->label));
        }
        moat__buf_putc(b, ')');
        return;
    case X_MEMBER:
        print(b, e->arg);
        moat__buf_putc(b, '.');
        moat__buf_put(b, e->text, e->len);
        return;
    case X_INDEX:
        print(b, e->arg);
        moat__buf_putc(b, '[');
        print(b, e->index);
        moat__buf_putc(b, ']');
        return;
    }
}

const char *moat__tpl_text(moat_arena *a, const tpl_expr *e)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__buf_putc(&b, '[');
    print(&b, e);
    moat__buf_putc(&b, ']');
    const char *s = b.failed ? NULL : moat__arena_strndup(a, b.data, b.len);
    moat__buf_free(&b);
    return s;
}

int moat__tpl_literal(const tpl_expr *e, const char **text, size_t *len)
{
    if (e == NULL || (e->kind != X_STR && e->kind != X_NUM))
        return 0;
    *text = e->text;
    *len = e->len;
    return e->kind == X_STR ? 1 : 2;
}

/*--------------------------------------------------------------------------
** Names and ids. A name "a/b" is the segments a and b of a child
** resource's id; so are format('{0}/{1}', x, y) and concat(x, '/', y).
** An expression segment is written "[...]" with '/' as %2F, so that it
** stays one segment of the id.
*/
static void put_segment_expr(moat_buf *b, const tpl_expr *e)
{
    moat_buf t;
    moat__buf_init(&t, 0);
    print(&t, e);
    moat__buf_putc(b, '[');
    for (size_t i = 0; i < t.len && !t.failed; i++) {
        if (t.data[i] == '/')
            moat__buf_puts(b, "%2F");
        else
            moat__buf_putc(b, t.data[i]);
    }
    moat__buf_putc(b, ']');
    b->failed |= t.failed;
    moat__buf_free(&t);
}

/* concat()'s parts into b: literals as they are (their '/' separate
** segments), expressions as expression segments. */
static void put_parts(moat_buf *b, const tpl_expr *parts)
{
    for (const tpl_expr *x = parts; x; x = x->next) {
        if (x->kind == X_STR || x->kind == X_NUM)
            moat__buf_put(b, x->text, x->len);
        else
            put_segment_expr(b, x);
    }
}

/* "{n}" of a format string: n, else -1. */
static int placeholder(const char *s, size_t n)
{
    if (n < 3 || s[0] != '{' || s[n - 1] != '}' || n > 6)
        return -1;
    int k = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        k = k * 10 + (s[i] - '0');
    }
    return k;
}

/* format('{0}/{1}', ...) with a literal format string, into b: each
** "{n}" piece as its argument, literal pieces as they are, mixed pieces
** as one expression segment. 0 when the format is not literal. */
static int put_format(moat_buf *b, const tpl_expr *e)
{
    const tpl_expr *f = e->arg;
    if (f == NULL || f->kind != X_STR)
        return 0;
    const char *s = f->text, *end = f->text + f->len;
    for (;;) {
        const char *slash = memchr(s, '/', (size_t)(end - s));
        const char *stop = slash ? slash : end;
        int k = placeholder(s, (size_t)(stop - s));
        if (k >= 0) {
            const tpl_expr *a = f->next;
            for (int i = 0; a && i < k; i++)
                a = a->next;
            if (a == NULL)
                return 0;
            if (a->kind == X_STR || a->kind == X_NUM)
                moat__buf_put(b, a->text, a->len);
            else
                put_segment_expr(b, a);
        } else if (memchr(s, '{', (size_t)(stop - s)) == NULL) {
            moat__buf_put(b, s, (size_t)(stop - s));
        } else { /* "{0}-kv": format() of this piece, one segment */
            tpl_expr piece = *e, lit = *f;
            lit.text = s;
            lit.len = (size_t)(stop - s);
            piece.arg = &lit;
            put_segment_expr(b, &piece);
        }
        if (slash == NULL)
            break;
        moat__buf_putc(b, '/');
        s = slash + 1;
    }
    return 1;
}

/* The name e (a parsed expression, or NULL with the literal text) as
** '/'-separated id segments into b. */
static void put_name(moat_buf *b, const tpl_expr *e)
{
    if (e->kind == X_STR || e->kind == X_NUM)
        moat__buf_put(b, e->text, e->len);
    else if (is_call(e, "concat"))
        put_parts(b, e->arg);
    else if (!(is_call(e, "format") && put_format(b, e)))
        put_segment_expr(b, e);
}

const char *moat__tpl_name_path(moat_arena *a, const char *literal,
                                const tpl_expr *e)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    if (e)
        put_name(&b, e);
    else
        moat__buf_puts(&b, literal);
    const char *s = b.failed ? NULL : moat__arena_strndup(a, b.data, b.len);
    moat__buf_free(&b);
    return s;
}

/* "Microsoft.Network/networkSecurityPerimeters/profiles" and the name
** path "nsp/p" as an id: "Microsoft.Network/networkSecurityPerimeters/nsp/
** profiles/p", after prefix (a deployment's target, or ""). NULL when the
** name has not one segment per type. */
const char *moat__tpl_join_id(moat_arena *a, const char *prefix,
                              const char *type, const char *names)
{
    const char *slash = strchr(type, '/');
    if (slash == NULL)
        return NULL;
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__buf_puts(&b, prefix);
    moat__buf_put(&b, type, (size_t)(slash - type));
    const char *t = slash + 1, *n = names;
    int ok = 1;
    while (ok && *t) {
        const char *te = strchr(t, '/'), *ne = strchr(n, '/');
        size_t tl = te ? (size_t)(te - t) : strlen(t);
        size_t nl = ne ? (size_t)(ne - n) : strlen(n);
        ok = *n != '\0' && nl > 0 && (te == NULL) == (ne == NULL);
        moat__buf_printf(&b, "/%.*s/%.*s", (int)tl, t, (int)nl, n);
        t += tl + (te != NULL);
        n += nl + (ne != NULL);
    }
    const char *s =
        ok && !b.failed ? moat__arena_strndup(a, b.data, b.len) : NULL;
    moat__buf_free(&b);
    return s;
}

/* resourceId(['sub', 'rg',] 'Type/child', 'name', 'child') as an id in
** the scope whose target is prefix; NULL when it is not one moat can
** write (the type an expression, or a name built from copyIndex(),
** which names a different resource in every copy). */
static const char *resource_id(moat_arena *a, const char *prefix,
                               const tpl_expr *e)
{
    const tpl_expr *t = e->arg;
    size_t before = 0;
    while (t && !(t->kind == X_STR && memchr(t->text, '/', t->len))) {
        t = t->next;
        before++;
    }
    if (t == NULL || before > 2)
        return NULL;
    moat_buf b;
    moat__buf_init(&b, 0);
    for (const tpl_expr *x = t->next; x; x = x->next) {
        if (x != t->next)
            moat__buf_putc(&b, '/');
        put_name(&b, x);
    }
    if (before) { /* [subscriptionId,] resourceGroupName */
        const tpl_expr *sub = before == 2 ? e->arg : NULL;
        const tpl_expr *rg = before == 2 ? e->arg->next : e->arg;
        moat_buf p;
        moat__buf_init(&p, 0);
        moat__buf_puts(&p, "/subscriptions/");
        if (sub)
            put_name(&p, sub);
        else
            moat__buf_puts(&p, "[subscription().subscriptionId]");
        moat__buf_puts(&p, "/resourceGroups/");
        put_name(&p, rg);
        moat__buf_puts(&p, "/providers/");
        prefix =
            b.failed || p.failed ? NULL : moat__arena_strndup(a, p.data, p.len);
        moat__buf_free(&p);
    }
    char *type = moat__arena_strndup(a, t->text, t->len);
    const char *names = b.failed ? NULL : moat__arena_strndup(a, b.data, b.len);
    moat__buf_free(&b);
    if (prefix == NULL || type == NULL || names == NULL ||
        strstr(names, "copyIndex(") || strstr(names, "copyindex("))
        return NULL;
    return moat__tpl_join_id(a, prefix, type, names);
}

const char *moat__tpl_id(moat_arena *a, const char *prefix, const tpl_expr *e)
{
    if (is_call(e, "resourceId"))
        return resource_id(a, prefix, e);
    /* concat(resourceId(...), '/subnets/', name) */
    if (!is_call(e, "concat") || !is_call(e->arg, "resourceId"))
        return NULL;
    const char *base = resource_id(a, prefix, e->arg);
    if (base == NULL)
        return NULL;
    moat_buf b;
    moat__buf_init(&b, 0);
    moat__buf_puts(&b, base);
    put_parts(&b, e->arg->next);
    const char *s = b.failed ? NULL : moat__arena_strndup(a, b.data, b.len);
    moat__buf_free(&b);
    return s;
}

/*--------------------------------------------------------------------------
** Conditions: literal truth after substitution, for a condition that is a
** literal boolean, a comparison of literals, or not/and/or of those.
*/
int moat__tpl_truth(const tpl_expr *e)
{
    if (e == NULL)
        return -1;
    if (e->kind == X_WORD || (e->kind == X_CALL && e->arg == NULL)) {
        if (moat__eq_ci(e->text, e->len, "true", 4))
            return 1;
        if (moat__eq_ci(e->text, e->len, "false", 5))
            return 0;
        return -1;
    }
    if (e->kind == X_STR)
        return moat__eq_ci(e->text, e->len, "true", 4)    ? 1
               : moat__eq_ci(e->text, e->len, "false", 5) ? 0
                                                          : -1;
    if (is_call(e, "bool") && e->arg && !e->arg->next)
        return moat__tpl_truth(e->arg);
    if (is_call(e, "not") && e->arg && !e->arg->next) {
        int t = moat__tpl_truth(e->arg);
        return t < 0 ? -1 : !t;
    }
    if ((is_call(e, "and") || is_call(e, "or")) && e->arg) {
        int is_and = is_call(e, "and"), unknown = 0;
        for (const tpl_expr *x = e->arg; x; x = x->next) {
            int t = moat__tpl_truth(x);
            if (t == !is_and)
                return t; /* false decides an and, true an or */
            unknown |= t < 0;
        }
        return unknown ? -1 : is_and;
    }
    const tpl_expr *x = e->arg, *y = x ? x->next : NULL;
    if (is_call(e, "equals") && y && !y->next && x->kind == y->kind &&
        (x->kind == X_STR || x->kind == X_NUM)) {
        if (x->len == y->len && memcmp(x->text, y->text, x->len) == 0)
            return 1;
        /* ARM compares strings as written; differing only in case is a
        ** guess either way. */
        return moat__eq_ci(x->text, x->len, y->text, y->len) ? -1 : 0;
    }
    return -1;
}
