/*
** jmespath_moat.c - a moat_node tree (include/moat.h, the documents the
** az-style commands edit) converted to JMESPath values.
*/
#include "jmespath_moat.h"

#include "jmespath_int.h"

#include <stdlib.h>
#include <string.h>

static const jp_value *convert(jp_arena *a, const moat_node *n, unsigned depth,
                               jp_error *err);

static const jp_value *nomem(jp_arena *a, jp_error *err)
{
    return jp_fail(
        err, a->failure == JP_ERR_MEMORY ? JP_ERR_MEMORY : JP_ERR_LIMIT, 0,
        "%s",
        a->failure == JP_ERR_MEMORY ? "out of memory"
                                    : "the document is too large or too deep");
}

static const jp_value *number(jp_arena *a, const char *text, jp_error *err)
{
    int is_int = strpbrk(text, ".eE") == NULL;
    const jp_value *v = jp_number_value(a, strtod(text, NULL), is_int);
    return v ? v : nomem(a, err);
}

static const jp_value *array(jp_arena *a, const moat_node *n, unsigned depth,
                             jp_error *err)
{
    size_t count = moat_node_count(n), i = 0;
    const jp_value **items = jp_alloc(a, count * sizeof *items);
    if (items == NULL)
        return nomem(a, err);
    for (const moat_node *c = moat_node_child(n); c && i < count;
         c = moat_node_next(c)) {
        if ((items[i++] = convert(a, c, depth + 1, err)) == NULL)
            return NULL;
    }
    const jp_value *v = jp_array_take(a, items, i);
    return v ? v : nomem(a, err);
}

static const jp_value *object(jp_arena *a, const moat_node *n, unsigned depth,
                              jp_error *err)
{
    size_t count = moat_node_count(n), i = 0;
    jp_member *m = jp_alloc(a, count * sizeof *m);
    if (m == NULL)
        return nomem(a, err);
    for (const moat_node *c = moat_node_child(n); c && i < count;
         c = moat_node_next(c), i++) {
        const char *key = moat_node_key(c);
        m[i].key_len = key ? strlen(key) : 0;
        m[i].key = jp_strdup(a, key ? key : "", m[i].key_len);
        if (m[i].key == NULL)
            return nomem(a, err);
        if ((m[i].value = convert(a, c, depth + 1, err)) == NULL)
            return NULL;
    }
    const jp_value *v = jp_object_take(a, m, i);
    return v ? v : nomem(a, err);
}

static const jp_value *convert(jp_arena *a, const moat_node *n, unsigned depth,
                               jp_error *err)
{
    if (depth > JP_MAX_DEPTH) {
        a->failure = JP_ERR_LIMIT;
        return nomem(a, err);
    }
    const char *text = moat_node_text(n);
    switch (moat_node_kind(n)) {
    case MOAT_NODE_BOOL: return jp_new_bool(text && strcmp(text, "true") == 0);
    case MOAT_NODE_NUMBER: return number(a, text ? text : "0", err);
    case MOAT_NODE_STRING: {
        const jp_value *v = jp_new_string(a, text, text ? strlen(text) : 0);
        return v ? v : nomem(a, err);
    }
    case MOAT_NODE_ARRAY: return array(a, n, depth, err);
    case MOAT_NODE_OBJECT: return object(a, n, depth, err);
    default: return jp_null();
    }
}

const jp_value *jp_from_moat(jp_arena *a, const moat_node *n, jp_error *err)
{
    jp_error local;
    if (err == NULL)
        err = &local;
    memset(err, 0, sizeof *err);
    return n ? convert(a, n, 1, err) : jp_null();
}
