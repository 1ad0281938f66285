/*
** doc.c - editing estate files in place. The text of a JSON document
** changes only where an edit says: a value replaced, a member or element
** added. Everything else (unknown properties, the order of keys, spacing,
** comments-free formatting of the rest of the file) stays byte for byte,
** which is what `moat storage account update` and friends need to keep
** files exported by `az` intact. New values are laid out like their
** surroundings: indented as the container's other members when the
** container spans lines, compact when it does not.
*/
#include "moat_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct doc_edit {
    size_t start, end; /* replaced range of the original text */
    char *text;
    size_t seq;                 /* insertions at one offset keep their order */
    const json_value *added_to; /* a container added to, or NULL */
    size_t body;                /* text before what closes the container */
    const json_value *emptied;  /* a container all of whose children go */
    const json_value *removed_from; /* a container removed from */
} doc_edit;

struct moat_doc {
    moat_arena arena;
    char *text;
    size_t len;
    json_value *root;
    doc_edit *edits;
    size_t n_edits, cap_edits;
};

struct moat_node {
    json_value v; /* a moat_node is the parser's value, seen from outside */
};

static moat_status doc_err(moat_error *err, moat_status code, size_t at,
                           const char *msg)
{
    if (err) {
        err->code = code;
        err->offset = at;
        snprintf(err->message, sizeof err->message, "%s", msg);
    }
    return code;
}

moat_status moat_doc_parse(const char *text, size_t len, moat_doc **out,
                           moat_error *err)
{
    *out = NULL;
    if (len > UINT32_MAX)
        return doc_err(err, MOAT_E_LIMIT, 0, "document larger than 4 GiB");
    moat_doc *d = calloc(1, sizeof *d);
    if (d == NULL)
        return doc_err(err, MOAT_E_NOMEM, 0, "out of memory");
    moat__arena_init(&d->arena, 0);
    d->text = malloc(len + 1);
    if (d->text == NULL) {
        moat_doc_free(d);
        return doc_err(err, MOAT_E_NOMEM, 0, "out of memory");
    }
    memcpy(d->text, text, len);
    d->text[len] = '\0';
    d->len = len;
    json_error je = {0, NULL};
    d->root = moat__json_parse(&d->arena, d->text, len, &je);
    if (d->root == NULL) {
        moat_doc_free(d);
        return doc_err(err, MOAT_E_SYNTAX, je.pos,
                       je.msg ? je.msg : "malformed JSON");
    }
    *out = d;
    return MOAT_OK;
}

void moat_doc_free(moat_doc *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n_edits; i++)
        free(d->edits[i].text);
    free(d->edits);
    free(d->text);
    moat__arena_free(&d->arena);
    free(d);
}

const moat_node *moat_doc_root(const moat_doc *d)
{
    return d ? (const moat_node *)(const void *)d->root : NULL;
}

static const json_value *jv(const moat_node *n)
{
    return (const json_value *)(const void *)n;
}

static const moat_node *node(const json_value *v)
{
    return (const moat_node *)(const void *)v;
}

moat_node_type moat_node_kind(const moat_node *n)
{
    switch (n ? jv(n)->type : JSON_NULL) {
    case JSON_TRUE:
    case JSON_FALSE: return MOAT_NODE_BOOL;
    case JSON_NUMBER: return MOAT_NODE_NUMBER;
    case JSON_STRING: return MOAT_NODE_STRING;
    case JSON_ARRAY: return MOAT_NODE_ARRAY;
    case JSON_OBJECT: return MOAT_NODE_OBJECT;
    default: return MOAT_NODE_NULL;
    }
}

const char *moat_node_text(const moat_node *n)
{
    if (n == NULL)
        return NULL;
    switch (jv(n)->type) {
    case JSON_STRING:
    case JSON_NUMBER: return jv(n)->str;
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    default: return NULL;
    }
}

const char *moat_node_key(const moat_node *n)
{
    return n ? jv(n)->key : NULL;
}

const moat_node *moat_node_get(const moat_node *obj, const char *key)
{
    if (obj == NULL || jv(obj)->type != JSON_OBJECT)
        return NULL;
    size_t k = strlen(key);
    for (const json_value *c = jv(obj)->child; c; c = c->next) {
        if (moat__eq_ci(c->key, c->key_len, key, k))
            return node(c);
    }
    return NULL;
}

const moat_node *moat_node_child(const moat_node *n)
{
    return n ? node(jv(n)->child) : NULL;
}

const moat_node *moat_node_next(const moat_node *n)
{
    return n ? node(jv(n)->next) : NULL;
}

size_t moat_node_count(const moat_node *n)
{
    if (n == NULL || (jv(n)->type != JSON_ARRAY && jv(n)->type != JSON_OBJECT))
        return 0;
    return jv(n)->len;
}

char *moat_doc_slice(const moat_doc *d, const moat_node *n)
{
    if (d == NULL || n == NULL)
        return NULL;
    size_t a = jv(n)->pos, b = jv(n)->end;
    char *s = malloc(b - a + 1);
    if (s) {
        memcpy(s, d->text + a, b - a);
        s[b - a] = '\0';
    }
    return s;
}

/*--------------------------------------------------------------------------
** Layout: how the text around a node is indented.
*/
/* The whitespace that starts the line holding offset at. */
static size_t line_indent(const moat_doc *d, size_t at, const char **start)
{
    size_t s = at;
    while (s > 0 && d->text[s - 1] != '\n')
        s--;
    size_t e = s;
    while (e < at && (d->text[e] == ' ' || d->text[e] == '\t'))
        e++;
    *start = d->text + s;
    return e - s;
}

static int spans_lines(const moat_doc *d, const json_value *c)
{
    return memchr(d->text + c->pos, '\n', c->end - c->pos) != NULL;
}

/* The value (with its name) begins its line: its container holds one
** member per line, and an empty value filled in there takes lines too. */
static int starts_line(const moat_doc *d, const json_value *v)
{
    size_t at = v->key ? v->key_pos : v->pos;
    const char *s;
    return line_indent(d, at, &s) == (size_t)(d->text + at - s);
}

typedef struct layout {
    int pretty;
    char indent[128]; /* of the container's own line */
    char child[128];  /* of its members */
    char unit[16];    /* one level of nesting: the file's own step */
} layout;

static void layout_of(const moat_doc *d, const json_value *c, layout *l)
{
    const char *s;
    size_t n = line_indent(d, c->pos, &s);
    if (n >= sizeof l->indent)
        n = sizeof l->indent - 1;
    memcpy(l->indent, s, n);
    l->indent[n] = '\0';
    l->pretty = spans_lines(d, c);
    size_t cn = n + 2; /* a member's indent: its line's, or two more */
    const char *cs = NULL;
    if (c->child) {
        size_t at = c->type == JSON_OBJECT ? c->child->key_pos : c->child->pos;
        cn = line_indent(d, at, &cs);
    }
    if (cn >= sizeof l->child)
        cn = sizeof l->child - 1;
    for (size_t i = 0; i < cn; i++)
        l->child[i] = cs ? cs[i] : ' ';
    l->child[cn] = '\0';
    /* Files written with four spaces or tabs get new values the same way. */
    size_t un = cn > n && cn - n < sizeof l->unit ? cn - n : 2;
    for (size_t i = 0; i < un; i++)
        l->unit[i] = cn > n && cn - n < sizeof l->unit ? l->child[n + i] : ' ';
    l->unit[un] = '\0';
}

/*--------------------------------------------------------------------------
** Writing new values in a layout.
*/
typedef struct style {
    const char *indent; /* where the value starts */
    const char *unit;   /* one level deeper */
    int pretty;         /* one member per line */
} style;

static void put_value(moat_buf *b, const json_value *v, const style *st,
                      int depth);

static void put_nl(moat_buf *b, const style *st, int depth)
{
    if (!st->pretty)
        return;
    moat__buf_putc(b, '\n');
    moat__buf_puts(b, st->indent);
    for (int i = 0; i < depth; i++)
        moat__buf_puts(b, st->unit);
}

static void put_container(moat_buf *b, const json_value *v, const style *st,
                          int depth)
{
    int obj = v->type == JSON_OBJECT;
    moat__buf_putc(b, obj ? '{' : '[');
    if (v->child == NULL) {
        moat__buf_putc(b, obj ? '}' : ']');
        return;
    }
    for (const json_value *c = v->child; c; c = c->next) {
        put_nl(b, st, depth + 1);
        if (obj) {
            moat__buf_json_str(b, c->key, c->key_len);
            moat__buf_puts(b, ": ");
        }
        put_value(b, c, st, depth + 1);
        if (c->next)
            moat__buf_puts(b, st->pretty ? "," : ", ");
    }
    put_nl(b, st, depth);
    moat__buf_putc(b, obj ? '}' : ']');
}

static void put_value(moat_buf *b, const json_value *v, const style *st,
                      int depth)
{
    switch (v->type) {
    case JSON_STRING: moat__buf_json_str(b, v->str, v->len); break;
    case JSON_NUMBER: moat__buf_puts(b, v->str); break;
    case JSON_TRUE: moat__buf_puts(b, "true"); break;
    case JSON_FALSE: moat__buf_puts(b, "false"); break;
    case JSON_NULL: moat__buf_puts(b, "null"); break;
    default: put_container(b, v, st, depth); break;
    }
}

/* json laid out at indent; NULL (with err set) when json is not JSON. */
static char *render(const char *json, const style *st, moat_error *err)
{
    moat_arena a;
    moat__arena_init(&a, 0);
    json_error je = {0, NULL};
    json_value *v = moat__json_parse(&a, json, strlen(json), &je);
    char *out = NULL;
    if (v == NULL) {
        doc_err(err, MOAT_E_SYNTAX, je.pos, "the new value is not JSON");
    } else {
        moat_buf b;
        moat__buf_init(&b, 0);
        put_value(&b, v, st, 0);
        if (!b.failed)
            out = strdup(moat__buf_cstr(&b));
        moat__buf_free(&b);
        if (out == NULL)
            doc_err(err, MOAT_E_NOMEM, 0, "out of memory");
    }
    moat__arena_free(&a);
    return out;
}

static moat_status push_edit(moat_doc *d, size_t start, size_t end, char *text,
                             moat_error *err)
{
    for (size_t i = 0; i < d->n_edits; i++) {
        const doc_edit *e = &d->edits[i];
        /* Two removals may overlap: the text loses their union. */
        int both_removals = text[0] == '\0' && e->text[0] == '\0';
        if (start < e->end && e->start < end && !both_removals) {
            free(text);
            return doc_err(err, MOAT_E_STATE, start,
                           "two edits of the same part of the document");
        }
    }
    if (d->n_edits == d->cap_edits) {
        size_t cap = d->cap_edits ? d->cap_edits * 2 : 8;
        doc_edit *e = realloc(d->edits, cap * sizeof *e);
        if (e == NULL) {
            free(text);
            return doc_err(err, MOAT_E_NOMEM, 0, "out of memory");
        }
        d->edits = e;
        d->cap_edits = cap;
    }
    d->edits[d->n_edits] =
        (doc_edit){start, end, text, d->n_edits, NULL, 0, NULL, NULL};
    d->n_edits++;
    return MOAT_OK;
}

moat_status moat_doc_replace(moat_doc *d, const moat_node *n, const char *json,
                             moat_error *err)
{
    moat_error local;
    if (err == NULL)
        err = &local;
    if (d == NULL || n == NULL || json == NULL)
        return doc_err(err, MOAT_E_INVAL, 0, "nothing to replace");
    const json_value *v = jv(n);
    layout l;
    layout_of(d, v, &l);
    /* A replaced value keeps the layout it had: multi-line if it spanned
    ** lines, or if it starts its line (one member per line around it). */
    int scalar_or_empty =
        (v->type != JSON_ARRAY && v->type != JSON_OBJECT) || v->child == NULL;
    int pretty = spans_lines(d, v) || (scalar_or_empty && starts_line(d, v));
    style st = {l.indent, l.unit, pretty};
    char *text = render(json, &st, err);
    return text ? push_edit(d, v->pos, v->end, text, err) : err->code;
}

/* The text of one new child: its separator, its name, its value. */
static char *child_text(const json_value *c, const char *key, const char *value,
                        const layout *l, int pretty, int first)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    if (!first)
        moat__buf_putc(&b, ',');
    if (pretty) {
        moat__buf_putc(&b, '\n');
        moat__buf_puts(&b, l->child);
    } else if (!first) {
        moat__buf_putc(&b, ' ');
    }
    if (c->type == JSON_OBJECT) {
        moat__buf_json_str(&b, key, strlen(key));
        moat__buf_puts(&b, ": ");
    }
    moat__buf_puts(&b, value);
    char *text = b.failed ? NULL : strdup(moat__buf_cstr(&b));
    moat__buf_free(&b);
    return text;
}

/* A second addition to a container joins the first one's text, before
** the line break that closes a container that was empty. */
static moat_status join_addition(doc_edit *e, const char *piece,
                                 moat_error *err)
{
    size_t n = strlen(e->text), p = strlen(piece);
    char *t = malloc(n + p + 1);
    if (t == NULL)
        return doc_err(err, MOAT_E_NOMEM, 0, "out of memory");
    memcpy(t, e->text, e->body);
    memcpy(t + e->body, piece, p);
    memcpy(t + e->body + p, e->text + e->body, n - e->body + 1);
    free(e->text);
    e->text = t;
    e->body += p;
    return MOAT_OK;
}

moat_status moat_doc_add(moat_doc *d, const moat_node *container,
                         const char *key, const char *json, moat_error *err)
{
    moat_error local;
    if (err == NULL)
        err = &local;
    if (d == NULL || container == NULL || json == NULL)
        return doc_err(err, MOAT_E_INVAL, 0, "nothing to add to");
    const json_value *c = jv(container);
    int obj = c->type == JSON_OBJECT;
    if ((obj && key == NULL) || (!obj && c->type != JSON_ARRAY))
        return doc_err(err, MOAT_E_INVAL, c->pos,
                       "members go into objects, elements into arrays");
    layout l;
    layout_of(d, c, &l);
    int pretty = l.pretty || (c->child == NULL && starts_line(d, c));
    style st = {l.child, l.unit, pretty};
    char *value = render(json, &st, err);
    if (value == NULL)
        return err->code;
    doc_edit *before = NULL;
    for (size_t i = 0; i < d->n_edits; i++) {
        if (d->edits[i].added_to == c && before == NULL)
            before = &d->edits[i];
        if (d->edits[i].emptied == c) {
            free(value);
            return doc_err(
                err, MOAT_E_STATE, c->pos,
                "every child of the container is being removed: replace the container instead");
        }
    }
    char *text = child_text(c, key, value, &l, pretty,
                            c->child == NULL && before == NULL);
    free(value);
    if (text == NULL)
        return doc_err(err, MOAT_E_NOMEM, 0, "out of memory");
    if (before) {
        moat_status rc = join_addition(before, text, err);
        free(text);
        return rc;
    }
    size_t body = strlen(text);
    if (c->child == NULL && pretty) { /* close the container on its line */
        size_t n = strlen(l.indent);
        char *t = realloc(text, body + n + 2);
        if (t == NULL) {
            free(text);
            return doc_err(err, MOAT_E_NOMEM, 0, "out of memory");
        }
        text = t;
        text[body] = '\n';
        memcpy(text + body + 1, l.indent, n + 1);
    }
    const json_value *last = c->child;
    while (last && last->next)
        last = last->next;
    /* After the last member, or inside an empty container (replacing the
    ** whitespace between its brackets). */
    size_t at = last ? last->end : c->pos + 1;
    size_t end = last ? last->end : c->end - 1;
    moat_status rc = push_edit(d, at, end, text, err);
    if (rc == MOAT_OK) {
        d->edits[d->n_edits - 1].added_to = c;
        d->edits[d->n_edits - 1].body = body;
    }
    return rc;
}

/* Where a child's text starts: a member at its name. */
static size_t child_start(const json_value *c)
{
    return c->key ? c->key_pos : c->pos;
}

static moat_status remove_range(moat_doc *d, const json_value *c, size_t start,
                                size_t end, moat_error *err)
{
    char *none = strdup("");
    if (none == NULL)
        return doc_err(err, MOAT_E_NOMEM, 0, "out of memory");
    moat_status rc = push_edit(d, start, end, none, err);
    if (rc == MOAT_OK)
        d->edits[d->n_edits - 1].removed_from = c;
    return rc;
}

moat_status moat_doc_remove(moat_doc *d, const moat_node *container,
                            const moat_node *const *children, size_t n,
                            moat_error *err)
{
    moat_error local;
    if (err == NULL)
        err = &local;
    const json_value *c = container ? jv(container) : NULL;
    if (d == NULL || c == NULL ||
        (c->type != JSON_ARRAY && c->type != JSON_OBJECT))
        return doc_err(err, MOAT_E_INVAL, 0, "nothing to remove from");
    for (size_t i = 0; i < n; i++) {
        const json_value *x = c->child;
        while (x && node(x) != children[i])
            x = x->next;
        if (x == NULL)
            return doc_err(err, MOAT_E_INVAL, c->pos,
                           "not a child of the container");
    }
    /* The separators to remove depend on which children stay: all of them
    ** are chosen in one call. */
    for (size_t i = 0; i < d->n_edits; i++)
        if (d->edits[i].removed_from == c)
            return doc_err(
                err, MOAT_E_STATE, c->pos,
                "children of this container are being removed already: remove them all in one call");
    /* Runs of removed children go with the separator before them, or,
    ** at the start, with the one after; all gone empties the container. */
    const json_value *kept_before = NULL, *run = NULL;
    size_t kept = 0;
    moat_status rc = MOAT_OK;
    for (const json_value *x = c->child; x && rc == MOAT_OK; x = x->next) {
        int removed = 0;
        for (size_t i = 0; i < n && !removed; i++)
            removed = node(x) == children[i];
        if (removed) {
            if (run == NULL)
                run = x;
            if (kept_before)
                rc = remove_range(d, c, kept_before->end, x->end, err);
            continue;
        }
        if (run && kept_before == NULL)
            rc = remove_range(d, c, child_start(run), child_start(x), err);
        run = NULL;
        kept_before = x;
        kept++;
    }
    if (rc == MOAT_OK && kept == 0 && c->child) {
        for (size_t i = 0; i < d->n_edits; i++)
            if (d->edits[i].added_to == c)
                return doc_err(
                    err, MOAT_E_STATE, c->pos,
                    "the container is being added to: remove fewer children, or replace it");
        rc = remove_range(d, c, c->pos + 1, c->end - 1, err);
        if (rc == MOAT_OK)
            d->edits[d->n_edits - 1].emptied = c;
    }
    return rc;
}

static int cmp_edit(const void *x, const void *y)
{
    const doc_edit *a = x, *b = y;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

char *moat_doc_text(const moat_doc *d, size_t *len)
{
    if (d == NULL)
        return NULL;
    doc_edit *e = NULL;
    if (d->n_edits) {
        e = malloc(d->n_edits * sizeof *e);
        if (e == NULL)
            return NULL;
        memcpy(e, d->edits, d->n_edits * sizeof *e);
        qsort(e, d->n_edits, sizeof *e, cmp_edit);
    }
    moat_buf b;
    moat__buf_init(&b, 0);
    size_t at = 0;
    for (size_t i = 0; i < d->n_edits; i++) {
        if (e[i].start > at)
            moat__buf_put(&b, d->text + at, e[i].start - at);
        moat__buf_puts(&b, e[i].text);
        if (e[i].end > at)
            at = e[i].end;
    }
    moat__buf_put(&b, d->text + at, d->len - at);
    free(e);
    char *out = NULL;
    if (!b.failed) {
        out = malloc(b.len + 1);
        if (out) {
            memcpy(out, moat__buf_cstr(&b), b.len + 1);
            if (len)
                *len = b.len;
        }
    }
    moat__buf_free(&b);
    return out;
}
