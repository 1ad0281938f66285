/*
** jmespath.c - compiling a JMESPath expression: a tokenizer (the whole
** expression into tokens first, as Python's jmespath does, so that a bad
** character is reported before a bad construct) and a Pratt parser, with
** the binding powers of the reference implementation, into a tree held by
** the expression's arena. What is known before any data is seen is
** checked here: function names, argument counts, a slice step of 0.
*/
#include "jmespath_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum tok_type {
    T_EOF,
    T_IDENT,
    T_QIDENT,
    T_LITERAL,
    T_NUMBER,
    T_DOT,
    T_STAR,
    T_RBRACKET,
    T_COMMA,
    T_COLON,
    T_CURRENT,
    T_LPAREN,
    T_RPAREN,
    T_LBRACE,
    T_RBRACE,
    T_LBRACKET,
    T_FLATTEN,
    T_FILTER,
    T_PIPE,
    T_OR,
    T_AND,
    T_EXPREF,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_NOT,
    T_COUNT
} tok_type;

/* How tightly each token binds what is on its left (0: it cannot
** continue an expression). Projections stop at tokens below 10. */
static const unsigned char binding_power[T_COUNT] = {
    [T_PIPE] = 1,   [T_OR] = 2,      [T_AND] = 3,     [T_EQ] = 5,
    [T_NE] = 5,     [T_LT] = 5,      [T_LE] = 5,      [T_GT] = 5,
    [T_GE] = 5,     [T_FLATTEN] = 9, [T_STAR] = 20,   [T_FILTER] = 21,
    [T_DOT] = 40,   [T_NOT] = 45,    [T_LBRACE] = 50, [T_LBRACKET] = 55,
    [T_LPAREN] = 60};
#define PROJECTION_STOP 10

static const char *const token_names[T_COUNT] = {"the end of the expression",
                                                 "a name",
                                                 "a quoted name",
                                                 "a literal",
                                                 "a number",
                                                 "'.'",
                                                 "'*'",
                                                 "']'",
                                                 "','",
                                                 "':'",
                                                 "'@'",
                                                 "'('",
                                                 "')'",
                                                 "'{'",
                                                 "'}'",
                                                 "'['",
                                                 "'[]'",
                                                 "'[?'",
                                                 "'|'",
                                                 "'||'",
                                                 "'&&'",
                                                 "'&'",
                                                 "'=='",
                                                 "'!='",
                                                 "'<'",
                                                 "'<='",
                                                 "'>'",
                                                 "'>='",
                                                 "'!'"};

typedef struct jp_token {
    tok_type type;
    size_t start, end; /* bytes of the expression */
    const char *text;  /* names, decoded */
    size_t len;
    long long number;
    const jp_value *value; /* literals */
} jp_token;

/*--------------------------------------------------------------------------
** Tokens.
*/
typedef struct lexer {
    const char *s;
    size_t n, i;
    jp_arena *a;
    jp_error *err;
} lexer;

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int lex_fail(lexer *lx, size_t at, const char *what)
{
    jp_fail(lx->err, JP_ERR_SYNTAX, at, "%s", what);
    return 0;
}

/* From the opening delim at lx->i to its unescaped closing one: the body
** in [*start, *end), lx->i after the delimiter. A backslash escapes any
** character (and stays in the body). */
static int delimited(lexer *lx, char delim, size_t *start, size_t *end)
{
    size_t open = lx->i++;
    *start = lx->i;
    while (lx->i < lx->n && lx->s[lx->i] != delim)
        lx->i += lx->s[lx->i] == '\\' ? 2 : 1;
    if (lx->i >= lx->n) {
        lx->i = lx->n;
        jp_fail(lx->err, JP_ERR_SYNTAX, open, "no closing %c for this %c",
                delim, delim);
        return 0;
    }
    *end = lx->i++;
    return 1;
}

/* The body with each backslash-delim pair made the delimiter alone. */
static char *unescape_delim(lexer *lx, size_t start, size_t end, char delim,
                            size_t *len)
{
    char *out = jp_alloc(lx->a, end - start + 1);
    if (out == NULL)
        return jp_fail(lx->err, lx->a->failure, start, "out of memory");
    size_t o = 0;
    for (size_t i = start; i < end; i++) {
        if (lx->s[i] == '\\' && i + 1 < end) {
            if (lx->s[i + 1] != delim)
                out[o++] = '\\';
            i++;
        }
        out[o++] = lx->s[i];
    }
    out[o] = '\0';
    *len = o;
    return out;
}

/* A quoted name: a JSON string. */
static int lex_quoted(lexer *lx, jp_token *t)
{
    size_t start, end;
    if (!delimited(lx, '"', &start, &end))
        return 0;
    jp_error e = {0};
    t->type = T_QIDENT;
    t->text = jp_json_unescape(lx->a, lx->s + start, end - start, &t->len, &e);
    if (t->text == NULL) {
        jp_fail(lx->err, e.kind == JP_ERR_JSON ? JP_ERR_SYNTAX : e.kind,
                start + e.offset, "in a quoted name: %s", e.message);
        return 0;
    }
    return 1;
}

/* 'raw string': the text as it is, \' being a quote. */
static int lex_raw(lexer *lx, jp_token *t)
{
    size_t start, end, len;
    if (!delimited(lx, '\'', &start, &end))
        return 0;
    char *s = unescape_delim(lx, start, end, '\'', &len);
    t->type = T_LITERAL;
    t->value = s ? jp_new_string(lx->a, s, len) : NULL;
    if (s && t->value == NULL)
        jp_fail(lx->err, lx->a->failure, start, "out of memory");
    return t->value != NULL;
}

/* A body that is not JSON is read as a string, as Python's jmespath still
** does (JEP 12's deprecated form `foo`): its leading blanks dropped, no
** unescaped double quote in it. */
static const jp_value *legacy_literal(lexer *lx, const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ||
                 *s == '\f' || *s == '\v'))
        s++, n--;
    for (size_t i = 0; i < n; i += s[i] == '\\' ? 2 : 1) {
        if (s[i] == '"')
            return NULL;
    }
    jp_error e = {0};
    size_t len;
    char *text = jp_json_unescape(lx->a, s, n, &len, &e);
    return text ? jp_new_string(lx->a, text, len) : NULL;
}

/* `JSON`, \` being a backtick. */
static int lex_literal(lexer *lx, jp_token *t)
{
    size_t start, end, len;
    if (!delimited(lx, '`', &start, &end))
        return 0;
    char *body = unescape_delim(lx, start, end, '`', &len);
    if (body == NULL)
        return 0;
    jp_error e = {0};
    size_t pos = 0;
    t->type = T_LITERAL;
    t->value = jp_json_value(lx->a, body, len, &pos, &e);
    if (t->value && pos < len) {
        t->value = NULL;
        jp_fail(&e, JP_ERR_JSON, pos, "text after the JSON value");
    }
    if (t->value == NULL && e.kind == JP_ERR_JSON)
        t->value = legacy_literal(lx, body, len);
    if (t->value == NULL) {
        jp_fail(lx->err, e.kind == JP_ERR_JSON ? JP_ERR_SYNTAX : e.kind,
                start + (e.offset < end - start ? e.offset : 0),
                "in a `literal`: %s", e.message);
        return 0;
    }
    return 1;
}

static int lex_number(lexer *lx, jp_token *t)
{
    size_t start = lx->i;
    int negative = lx->s[lx->i] == '-';
    if (negative && (++lx->i >= lx->n || !is_digit(lx->s[lx->i])))
        return lex_fail(lx, start, "'-' without digits: a number is -?[0-9]+");
    long long v = 0;
    for (; lx->i < lx->n && is_digit(lx->s[lx->i]); lx->i++) {
        int d = lx->s[lx->i] - '0';
        v = v > (LLONG_MAX / 2 - d) / 10 ? LLONG_MAX / 2 : v * 10 + d;
    }
    t->type = T_NUMBER;
    t->number = negative ? -v : v; /* saturated: past any array's end */
    return 1;
}

/* c, then c2 makes the two-character token; else the one. */
static void one_or_two(lexer *lx, jp_token *t, char c2, tok_type two,
                       tok_type one)
{
    int pair = lx->i + 1 < lx->n && lx->s[lx->i + 1] == c2;
    t->type = pair ? two : one;
    lx->i += pair ? 2 : 1;
}

static int lex_operator(lexer *lx, jp_token *t)
{
    char c = lx->s[lx->i], next = lx->i + 1 < lx->n ? lx->s[lx->i + 1] : 0;
    switch (c) {
    case '[':
        t->type = next == ']' ? T_FLATTEN : next == '?' ? T_FILTER : T_LBRACKET;
        lx->i += t->type == T_LBRACKET ? 1 : 2;
        return 1;
    case '|': one_or_two(lx, t, '|', T_OR, T_PIPE); return 1;
    case '&': one_or_two(lx, t, '&', T_AND, T_EXPREF); return 1;
    case '<': one_or_two(lx, t, '=', T_LE, T_LT); return 1;
    case '>': one_or_two(lx, t, '=', T_GE, T_GT); return 1;
    case '!': one_or_two(lx, t, '=', T_NE, T_NOT); return 1;
    case '=':
        if (next != '=')
            return lex_fail(lx, lx->i, "'=' alone: equality is '=='");
        t->type = T_EQ;
        lx->i += 2;
        return 1;
    default: break;
    }
    static const char simple[] = ".*],:@(){}";
    static const tok_type types[] = {T_DOT,    T_STAR,    T_RBRACKET, T_COMMA,
                                     T_COLON,  T_CURRENT, T_LPAREN,   T_RPAREN,
                                     T_LBRACE, T_RBRACE};
    const char *p = c ? strchr(simple, c) : NULL;
    if (p == NULL)
        return lex_fail(lx, lx->i, "a character JMESPath does not have here");
    t->type = types[p - simple];
    lx->i++;
    return 1;
}

static int lex_one(lexer *lx, jp_token *t)
{
    char c = lx->s[lx->i];
    memset(t, 0, sizeof *t);
    t->start = lx->i;
    int ok;
    if (is_alpha(c)) {
        while (lx->i < lx->n &&
               (is_alpha(lx->s[lx->i]) || is_digit(lx->s[lx->i])))
            lx->i++;
        t->type = T_IDENT;
        t->text = jp_strdup(lx->a, lx->s + t->start, lx->i - t->start);
        t->len = lx->i - t->start;
        ok = t->text != NULL || lex_fail(lx, t->start, "out of memory");
    } else if (c == '"') {
        ok = lex_quoted(lx, t);
    } else if (c == '\'') {
        ok = lex_raw(lx, t);
    } else if (c == '`') {
        ok = lex_literal(lx, t);
    } else if (c == '-' || is_digit(c)) {
        ok = lex_number(lx, t);
    } else {
        ok = lex_operator(lx, t);
    }
    t->end = lx->i;
    return ok;
}

/* Every token of s, the last T_EOF; malloc'd. NULL with err set. */
static jp_token *tokenize(const char *s, size_t n, jp_arena *a, jp_error *err,
                          size_t *count)
{
    jp_token *toks = malloc((n + 1) * sizeof *toks);
    if (toks == NULL)
        return jp_fail(err, JP_ERR_MEMORY, 0, "out of memory");
    lexer lx = {s, n, 0, a, err};
    size_t k = 0;
    for (;;) {
        while (lx.i < n && (s[lx.i] == ' ' || s[lx.i] == '\t' ||
                            s[lx.i] == '\n' || s[lx.i] == '\r'))
            lx.i++;
        if (lx.i >= n)
            break;
        if (!lex_one(&lx, &toks[k++])) {
            free(toks);
            return NULL;
        }
    }
    memset(&toks[k], 0, sizeof toks[k]);
    toks[k].type = T_EOF;
    toks[k].start = toks[k].end = n;
    *count = k + 1;
    return toks;
}

/*--------------------------------------------------------------------------
** The tree.
*/
typedef struct parser {
    const char *src;
    jp_token *t;
    size_t k; /* the current token */
    jp_arena *a;
    jp_error *err;
    jp_error late; /* the first error found once the syntax is known good */
    unsigned nesting;
} parser;

static const jp_token *cur(const parser *p)
{
    return &p->t[p->k];
}

static tok_type cur_type(const parser *p)
{
    return p->t[p->k].type;
}

static tok_type peek_type(const parser *p)
{
    return p->t[p->k].type == T_EOF ? T_EOF : p->t[p->k + 1].type;
}

static jp_node *syntax(parser *p, const jp_token *at, const char *expected)
{
    char found[80];
    if (at->type == T_IDENT || at->type == T_QIDENT)
        snprintf(found, sizeof found, "the name '%.40s'", at->text);
    else
        snprintf(found, sizeof found, "%s", token_names[at->type]);
    return jp_fail(p->err, JP_ERR_SYNTAX, at->start, "expected %s, found %s",
                   expected, found);
}

static jp_node *nomem(parser *p, size_t at)
{
    return jp_fail(p->err, p->a->failure, at, "%s",
                   p->a->failure == JP_ERR_LIMIT ? "the expression is too large"
                                                 : "out of memory");
}

static jp_node *new_node(parser *p, jp_kind kind, size_t pos)
{
    jp_node *n = jp_alloc(p->a, sizeof *n);
    if (n == NULL)
        return nomem(p, pos);
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->pos = pos;
    n->depth = 1;
    return n;
}

/* Appends kid to n (n and kid NULL-safe, for chaining); NULL on error. */
static jp_node *add_kid(parser *p, jp_node *n, jp_node *kid)
{
    if (n == NULL || kid == NULL)
        return NULL;
    if (n->n == n->cap) {
        size_t cap = n->cap ? 2 * n->cap : 2;
        jp_node **kids = jp_alloc(p->a, cap * sizeof *kids);
        if (kids == NULL)
            return nomem(p, kid->pos);
        if (n->n)
            memcpy(kids, n->kids, n->n * sizeof *kids);
        n->kids = kids;
        n->cap = cap;
    }
    n->kids[n->n++] = kid;
    if (kid->depth + 1 > n->depth)
        n->depth = kid->depth + 1;
    if (n->depth > JP_MAX_NESTING)
        return jp_fail(p->err, JP_ERR_LIMIT, kid->pos,
                       "the expression nests deeper than %d levels",
                       JP_MAX_NESTING);
    return n;
}

static jp_node *node2(parser *p, jp_kind kind, size_t pos, jp_node *a,
                      jp_node *b)
{
    jp_node *n = a && b ? new_node(p, kind, pos) : NULL;
    return add_kid(p, add_kid(p, n, a), b);
}

/* left and right joined by an n-ary kind: a.b.c, a|b|c, a||b||c are one
** node each, so that long chains do not nest (the value is the same). */
static jp_node *chain(parser *p, jp_kind kind, jp_node *left, jp_node *right)
{
    if (left && left->kind == kind)
        return add_kid(p, left, right);
    return node2(p, kind, left ? left->pos : 0, left, right);
}

static jp_node *identity(parser *p, size_t pos)
{
    return new_node(p, N_IDENTITY, pos);
}

static jp_node *expression(parser *p, unsigned rbp);

static jp_node *projection_rhs(parser *p, unsigned bp);

/* An error the syntax does not show (an unknown function, a wrong count
** of arguments, a step of 0): kept until the whole expression is known to
** parse, so that a syntax error anywhere is reported first, and the first
** such error in evaluation order (arguments before their call) wins. */
static void late_error(parser *p, jp_errkind kind, size_t at, const char *msg)
{
    jp_fail(&p->late, kind, at, "%s", msg);
}

static jp_node *node1(parser *p, jp_kind kind, size_t pos, jp_node *kid)
{
    return add_kid(p, kid ? new_node(p, kind, pos) : NULL, kid);
}

static jp_node *field(parser *p, const jp_token *t)
{
    jp_node *n = new_node(p, N_FIELD, t->start);
    if (n) {
        n->u.field.name = t->text;
        n->u.field.len = t->len;
    }
    return n;
}

/* [a:b:c] after the '[': each part optional, at most three. */
static jp_node *slice(parser *p, size_t pos)
{
    long long part[3] = {0, 0, 1};
    int has[3] = {0, 0, 0}, i = 0;
    while (cur_type(p) != T_RBRACKET) {
        if (cur_type(p) == T_NUMBER && !has[i]) {
            part[i] = cur(p)->number;
            has[i] = 1;
        } else if (cur_type(p) == T_COLON && i < 2) {
            i++;
        } else {
            return syntax(p, cur(p),
                          has[i]  ? (i < 2 ? "':' or ']' in a slice"
                                           : "']' after a slice's step")
                          : i < 2 ? "a number, ':' or ']' in a slice"
                                  : "a number or ']' in a slice");
        }
        p->k++;
    }
    p->k++;
    jp_node *n = new_node(p, N_SLICE, pos);
    if (n == NULL)
        return NULL;
    n->u.slice.start = part[0];
    n->u.slice.stop = part[1];
    n->u.slice.step = part[2];
    n->u.slice.has_start = (unsigned char)has[0];
    n->u.slice.has_stop = (unsigned char)has[1];
    if (has[2] && part[2] == 0)
        late_error(p, JP_ERR_INVALID_VALUE, pos, "a slice's step cannot be 0");
    return n;
}

/* [n] or a slice, after the '['. */
static jp_node *index_or_slice(parser *p, size_t pos)
{
    if (cur_type(p) != T_NUMBER || peek_type(p) == T_COLON)
        return slice(p, pos);
    jp_node *n = new_node(p, N_INDEX, pos);
    if (n == NULL)
        return NULL;
    n->u.index = cur(p)->number;
    p->k++;
    if (cur_type(p) != T_RBRACKET)
        return syntax(p, cur(p), "']' after an index");
    p->k++;
    return n;
}

/* left[idx]: a slice starts a projection (JEP 10), an index does not. */
static jp_node *index_applied(parser *p, jp_node *left, jp_node *idx)
{
    if (left == NULL || idx == NULL)
        return NULL;
    if (idx->kind == N_INDEX && left->kind == N_INDEX_EXPR)
        return add_kid(p, left, idx);
    jp_node *ie = node2(p, N_INDEX_EXPR, left->pos, left, idx);
    if (ie == NULL || idx->kind != N_SLICE)
        return ie;
    jp_node *right = projection_rhs(p, binding_power[T_STAR]);
    return node2(p, N_PROJECTION, ie->pos, ie, right);
}

static jp_node *flatten_projection(parser *p, jp_node *left, size_t pos)
{
    jp_node *flat = node1(p, N_FLATTEN, pos, left);
    jp_node *right = flat ? projection_rhs(p, binding_power[T_FLATTEN]) : NULL;
    return node2(p, N_PROJECTION, pos, flat, right);
}

/* left[?condition]rest, after the '[?'. */
static jp_node *filter(parser *p, jp_node *left, size_t pos)
{
    jp_node *cond = left ? expression(p, 0) : NULL;
    if (cond == NULL)
        return NULL;
    if (cur_type(p) != T_RBRACKET)
        return syntax(p, cur(p), "']' after a filter's condition");
    p->k++;
    jp_node *right = cur_type(p) == T_FLATTEN
                         ? identity(p, cur(p)->start)
                         : projection_rhs(p, binding_power[T_FILTER]);
    return add_kid(p, node2(p, N_FILTER, pos, left, right), cond);
}

/* [a, b, ...] after the '['. */
static jp_node *multi_list(parser *p, size_t pos)
{
    jp_node *n = new_node(p, N_MULTI_LIST, pos);
    for (;;) {
        if (add_kid(p, n, expression(p, 0)) == NULL)
            return NULL;
        if (cur_type(p) == T_RBRACKET)
            break;
        if (cur_type(p) != T_COMMA)
            return syntax(p, cur(p), "',' or ']' in a list [a, b]");
        p->k++;
    }
    p->k++;
    return n;
}

/* Records key t for the next kid of the hash n. */
static int push_key(parser *p, jp_node *n, const jp_token *t)
{
    size_t k = n->n;
    if ((k & (k - 1)) == 0) { /* 0, 1, 2, 4...: room for twice as many */
        size_t cap = k ? 2 * k : 1;
        const char **keys = jp_alloc(p->a, cap * sizeof *keys);
        size_t *lens = jp_alloc(p->a, cap * sizeof *lens);
        if (keys == NULL || lens == NULL) {
            nomem(p, t->start);
            return 0;
        }
        if (k) {
            memcpy(keys, n->u.hash.keys, k * sizeof *keys);
            memcpy(lens, n->u.hash.key_lens, k * sizeof *lens);
        }
        n->u.hash.keys = keys;
        n->u.hash.key_lens = lens;
    }
    n->u.hash.keys[k] = t->text;
    n->u.hash.key_lens[k] = t->len;
    return 1;
}

/* {key: value, ...} after the '{'. */
static jp_node *multi_hash(parser *p, size_t pos)
{
    jp_node *n = new_node(p, N_MULTI_HASH, pos);
    while (n) {
        const jp_token *key = cur(p);
        if (key->type != T_IDENT && key->type != T_QIDENT)
            return syntax(p, key, "a key (a name) in {key: value}");
        p->k++;
        if (cur_type(p) != T_COLON)
            return syntax(p, cur(p), "':' after a key in {key: value}");
        p->k++;
        jp_node *value = expression(p, 0);
        if (value == NULL || !push_key(p, n, key) || !add_kid(p, n, value))
            return NULL;
        if (cur_type(p) == T_RBRACE)
            break;
        if (cur_type(p) != T_COMMA)
            return syntax(p, cur(p), "',' or '}' in {key: value}");
        p->k++;
    }
    if (n)
        p->k++;
    return n;
}

/* What may follow '.': a name (or a function), '*', [list], {hash}. */
static jp_node *dot_rhs(parser *p, unsigned bp)
{
    size_t pos = cur(p)->start;
    switch (cur_type(p)) {
    case T_IDENT:
    case T_QIDENT:
    case T_STAR: return expression(p, bp);
    case T_LBRACKET: p->k++; return multi_list(p, pos);
    case T_LBRACE: p->k++; return multi_hash(p, pos);
    default: return syntax(p, cur(p), "a name, '*', '[' or '{' after '.'");
    }
}

/* What a projection applies to each element: nothing (the element) when
** the next token stops projections, else '.x', '[...]' or '[?...]'. */
static jp_node *projection_rhs(parser *p, unsigned bp)
{
    tok_type t = cur_type(p);
    if (binding_power[t] < PROJECTION_STOP)
        return identity(p, cur(p)->start);
    if (t == T_LBRACKET || t == T_FILTER)
        return expression(p, bp);
    if (t == T_DOT) {
        p->k++;
        return dot_rhs(p, bp);
    }
    return syntax(p, cur(p), "'.', '[' or '[?' after a projection");
}

/* The function of name (known, with a count of arguments it takes) or a
** late error. */
static void resolve_function(parser *p, jp_node *n)
{
    char msg[200];
    const char *name = n->u.field.name;
    const jp_function *f = jp_function_find(name, n->u.field.len);
    n->u.fn = f;
    if (f == NULL) {
        snprintf(msg, sizeof msg, "unknown function %.60s()", name);
        late_error(p, JP_ERR_UNKNOWN_FUNCTION, n->pos, msg);
    } else if (n->n < f->n_params || (!f->variadic && n->n > f->n_params)) {
        snprintf(msg, sizeof msg, "%s() takes %s%zu argument%s, given %zu",
                 f->name, f->variadic ? "at least " : "", f->n_params,
                 f->n_params == 1 ? "" : "s", n->n);
        late_error(p, JP_ERR_INVALID_ARITY, n->pos, msg);
    }
}

/* name(args), after the '(': name is the field just before it. */
static jp_node *call(parser *p, jp_node *left)
{
    const jp_token *name = &p->t[p->k - 2];
    if (left->kind != N_FIELD || name->type != T_IDENT ||
        name->start != left->pos)
        return jp_fail(p->err, JP_ERR_SYNTAX, name->start, "%s",
                       name->type == T_QIDENT
                           ? "a function's name is not quoted"
                           : "'(' follows a function's name only");
    jp_node *n = new_node(p, N_FUNCTION, left->pos);
    if (n == NULL)
        return NULL;
    n->u.field = left->u.field;
    while (cur_type(p) != T_RPAREN) {
        if (add_kid(p, n, expression(p, 0)) == NULL)
            return NULL;
        if (cur_type(p) == T_COMMA) {
            p->k++;
            if (cur_type(p) == T_RPAREN)
                return syntax(p, cur(p), "an argument after ','");
        } else if (cur_type(p) != T_RPAREN) {
            return syntax(p, cur(p), "',' or ')' after an argument");
        }
    }
    p->k++;
    resolve_function(p, n);
    return n;
}

static jp_node *compare(parser *p, const jp_token *t, jp_node *left)
{
    jp_node *right = expression(p, binding_power[t->type]);
    jp_node *n = node2(p, N_COMPARE, t->start, left, right);
    if (n)
        n->u.cmp = (jp_cmp)(t->type - T_EQ);
    return n;
}

static jp_node *nud_bracket(parser *p, const jp_token *t)
{
    if (cur_type(p) == T_NUMBER || cur_type(p) == T_COLON)
        return index_applied(p, identity(p, t->start),
                             index_or_slice(p, t->start));
    if (cur_type(p) == T_STAR && peek_type(p) == T_RBRACKET) {
        p->k += 2;
        jp_node *id = identity(p, t->start);
        jp_node *right = id ? projection_rhs(p, binding_power[T_STAR]) : NULL;
        return node2(p, N_PROJECTION, t->start, id, right);
    }
    return multi_list(p, t->start);
}

/* A token that begins an expression. */
static jp_node *nud(parser *p, const jp_token *t)
{
    jp_node *n, *kid;
    switch (t->type) {
    case T_LITERAL:
        if ((n = new_node(p, N_LITERAL, t->start)) != NULL)
            n->u.literal = t->value;
        return n;
    case T_IDENT: return field(p, t);
    case T_QIDENT:
        if (cur_type(p) == T_LPAREN)
            return jp_fail(p->err, JP_ERR_SYNTAX, t->start,
                           "a function's name is not quoted");
        return field(p, t);
    case T_STAR:
        kid = identity(p, t->start);
        n = kid ? projection_rhs(p, binding_power[T_STAR]) : NULL;
        return node2(p, N_VALUE_PROJECTION, t->start, kid, n);
    case T_FILTER: return filter(p, identity(p, t->start), t->start);
    case T_LBRACE: return multi_hash(p, t->start);
    case T_LPAREN:
        n = expression(p, 0);
        if (n && cur_type(p) != T_RPAREN)
            return syntax(p, cur(p), "')'");
        p->k += n != NULL;
        return n;
    case T_FLATTEN:
        return flatten_projection(p, identity(p, t->start), t->start);
    case T_NOT:
        return node1(p, N_NOT, t->start, expression(p, binding_power[T_NOT]));
    case T_LBRACKET: return nud_bracket(p, t);
    case T_CURRENT: return identity(p, t->start);
    case T_EXPREF: return node1(p, N_EXPREF, t->start, expression(p, 0));
    case T_EOF:
        return jp_fail(
            p->err, JP_ERR_SYNTAX, t->start, "%s",
            t == p->t
                ? "the expression is empty"
                : "the expression ends early: expected a value (a name, @, [...], {...}, a literal, a function)");
    default:
        return syntax(
            p, t, "a value (a name, @, [...], {...}, a literal, a function)");
    }
}

/* A token that continues the expression on its left. */
static jp_node *led(parser *p, const jp_token *t, jp_node *left)
{
    unsigned bp = binding_power[t->type];
    switch (t->type) {
    case T_DOT:
        if (cur_type(p) != T_STAR)
            return chain(p, N_SUBEXPR, left, dot_rhs(p, bp));
        p->k++;
        return node2(p, N_VALUE_PROJECTION, t->start, left,
                     projection_rhs(p, bp));
    case T_PIPE: return chain(p, N_PIPE, left, expression(p, bp));
    case T_OR: return chain(p, N_OR, left, expression(p, bp));
    case T_AND: return chain(p, N_AND, left, expression(p, bp));
    case T_LPAREN: return call(p, left);
    case T_FILTER: return filter(p, left, t->start);
    case T_EQ:
    case T_NE:
    case T_LT:
    case T_LE:
    case T_GT:
    case T_GE: return compare(p, t, left);
    case T_FLATTEN: return flatten_projection(p, left, t->start);
    case T_LBRACKET:
        if (cur_type(p) == T_NUMBER || cur_type(p) == T_COLON)
            return index_applied(p, left, index_or_slice(p, t->start));
        if (cur_type(p) != T_STAR || peek_type(p) != T_RBRACKET)
            return syntax(p, cur(p), "a number, ':' or '*]' after '['");
        p->k += 2;
        return node2(p, N_PROJECTION, t->start, left,
                     projection_rhs(p, binding_power[T_STAR]));
    default: return syntax(p, t, "an operator or the end of the expression");
    }
}

static jp_node *expression(parser *p, unsigned rbp)
{
    if (p->nesting >= JP_MAX_NESTING)
        return jp_fail(p->err, JP_ERR_LIMIT, cur(p)->start,
                       "the expression nests deeper than %d levels",
                       JP_MAX_NESTING);
    p->nesting++;
    const jp_token *t = cur(p);
    p->k += t->type != T_EOF;
    jp_node *left = nud(p, t);
    while (left && rbp < binding_power[cur_type(p)]) {
        const jp_token *op = cur(p);
        p->k++;
        left = led(p, op, left);
    }
    p->nesting--;
    return left;
}

/*--------------------------------------------------------------------------
** Compiling.
*/
#define EXPR_ARENA_BYTES ((size_t)64 << 20)

static jp_node *parse(const char *text, size_t len, jp_arena *a, jp_error *err)
{
    size_t bad = jp_utf8_check(text, len);
    if (bad < len)
        return jp_fail(err, JP_ERR_SYNTAX, bad, "invalid UTF-8");
    size_t count;
    jp_token *toks = tokenize(text, len, a, err, &count);
    if (toks == NULL)
        return NULL;
    parser p = {text, toks, 0, a, err, {0}, 0};
    jp_node *root = expression(&p, 0);
    if (root && cur_type(&p) != T_EOF)
        root = syntax(
            &p, cur(&p),
            "an operator ('.', '[', '|', '||', '&&', a comparison) or the end of the expression");
    if (root && p.late.kind != JP_OK) {
        *err = p.late;
        root = NULL;
    }
    free(toks);
    return root;
}

jp_expr *jp_compile(const char *text, size_t len, jp_error *err)
{
    jp_error local;
    if (err == NULL)
        err = &local;
    memset(err, 0, sizeof *err);
    if (len > JP_MAX_EXPR_BYTES)
        return jp_fail(err, JP_ERR_LIMIT, JP_MAX_EXPR_BYTES,
                       "the expression is longer than %d bytes",
                       JP_MAX_EXPR_BYTES);
    jp_expr *e = calloc(1, sizeof *e);
    if (e == NULL || (e->arena = jp_arena_new(EXPR_ARENA_BYTES, 0)) == NULL) {
        free(e);
        return jp_fail(err, JP_ERR_MEMORY, 0, "out of memory");
    }
    e->root = parse(text, len, e->arena, err);
    if (e->root == NULL) {
        jp_expr_free(e);
        return NULL;
    }
    return e;
}

void jp_expr_free(jp_expr *e)
{
    if (e == NULL)
        return;
    jp_arena_free(e->arena);
    free(e);
}
