/*
** jmespath_eval.c - evaluating a compiled JMESPath expression: a walk of
** the tree, node by node, as Python's jmespath interprets it (the
** reference the compliance suite was written against), except where the
** specification says otherwise: ordering compares numbers only, equality
** tells 1 from true at any depth. Every node costs a step, so that an
** expression built to do exponential work stops with an error.
*/
#include "jmespath_int.h"

#include <string.h>

int jp_steps(jp_ctx *c, const jp_node *at, unsigned long k)
{
    jp_arena *a = c->a;
    if (k <= a->max_steps && a->steps <= a->max_steps - k) {
        a->steps += k;
        return 1;
    }
    a->steps = a->max_steps;
    jp_fail(c->err, JP_ERR_LIMIT, at ? at->pos : 0,
            "the expression does more than %lu steps of work", a->max_steps);
    return 0;
}

void *jp_nomem(jp_ctx *c, const jp_node *at)
{
    size_t pos = at ? at->pos : 0;
    if (c->a->failure == JP_ERR_MEMORY)
        return jp_fail(c->err, JP_ERR_MEMORY, pos, "out of memory");
    if (c->a->too_deep)
        return jp_fail(c->err, JP_ERR_LIMIT, pos,
                       "the result nests deeper than %d levels", JP_MAX_DEPTH);
    return jp_fail(c->err, JP_ERR_LIMIT, pos,
                   "the result needs more than %zu bytes", c->a->max_bytes);
}

void *jp_too_large(jp_ctx *c, const jp_node *at)
{
    c->a->failure = JP_ERR_LIMIT;
    return jp_nomem(c, at);
}

void *jp_spent(jp_ctx *c, const jp_node *at)
{
    c->a->steps = c->a->max_steps;
    jp_steps(c, at, 1); /* fails, saying so */
    return NULL;
}

/* kids applied in turn, each to the last one's value: a.b, a[0][1], a|b
** (nothing stops at null: a function may take it). */
static const jp_value *in_turn(jp_ctx *c, const jp_node *n, const jp_value *v)
{
    for (size_t i = 0; i < n->n && v; i++)
        v = jp_eval_node(c, n->kids[i], v);
    return v;
}

/* A member of v, null when absent (NULL once the steps are spent: a
** lookup scans the members). */
static const jp_value *field_of(jp_ctx *c, const jp_node *n, const jp_value *v)
{
    if (v->type == JP_OBJECT && !jp_steps(c, n, v->len / 16))
        return NULL;
    const jp_value *r = jp_get(v, n->u.field.name, n->u.field.len);
    return r ? r : jp_null();
}

static const jp_value *index_of(const jp_node *n, const jp_value *v)
{
    if (v->type != JP_ARRAY)
        return jp_null();
    long long i = n->u.index, len = (long long)v->len;
    if (i < 0)
        i += len;
    return i >= 0 && i < len ? v->u.items[i] : jp_null();
}

/* A slice bound as Python's slice.indices() adjusts it. */
static long long slice_bound(int given, long long x, long long len,
                             long long step, long long absent)
{
    if (!given)
        return absent;
    if (x < 0) {
        x += len;
        if (x < 0)
            x = step < 0 ? -1 : 0;
    } else if (x >= len) {
        x = step < 0 ? len - 1 : len;
    }
    return x;
}

static const jp_value *slice_of(jp_ctx *c, const jp_node *n, const jp_value *v)
{
    if (v->type != JP_ARRAY)
        return jp_null();
    long long len = (long long)v->len, step = n->u.slice.step;
    long long start = slice_bound(n->u.slice.has_start, n->u.slice.start, len,
                                  step, step < 0 ? len - 1 : 0);
    long long stop = slice_bound(n->u.slice.has_stop, n->u.slice.stop, len,
                                 step, step < 0 ? -1 : len);
    long long count = 0;
    if (step > 0 && start < stop)
        count = (stop - start - 1) / step + 1;
    else if (step < 0 && stop < start)
        count = (start - stop - 1) / -step + 1;
    if (!jp_steps(c, n, (unsigned long)count))
        return NULL;
    const jp_value **items = jp_alloc(c->a, (size_t)count * sizeof *items);
    if (items == NULL)
        return jp_nomem(c, n);
    for (long long k = 0; k < count; k++)
        items[k] = v->u.items[start + k * step];
    const jp_value *r = jp_array_take(c->a, items, (size_t)count);
    return r ? r : jp_nomem(c, n);
}

/* Adds r (NULL: an error) to out unless it is null, as projections
** leave nulls out; 0 on error. */
static int collect(jp_ctx *c, const jp_node *at, jp_list *out,
                   const jp_value *r)
{
    if (r == NULL)
        return 0;
    if (r->type == JP_NULL || jp_list_push(c->a, out, r))
        return 1;
    jp_nomem(c, at);
    return 0;
}

static const jp_value *list_value(jp_ctx *c, const jp_node *at,
                                  const jp_list *out)
{
    const jp_value *r = jp_array_take(c->a, out->items, out->n);
    return r ? r : jp_nomem(c, at);
}

/* rhs on each of items: what every projection does once it has its
** list. */
static const jp_value *project(jp_ctx *c, const jp_node *at, const jp_node *rhs,
                               const jp_value *const *items, size_t count)
{
    jp_list out = {0};
    for (size_t i = 0; i < count; i++) {
        if (!collect(c, at, &out, jp_eval_node(c, rhs, items[i])))
            return NULL;
    }
    return list_value(c, at, &out);
}

/* The array kid 0 gives, or NULL: *base NULL too on an error. */
static const jp_value *array_of_kid(jp_ctx *c, const jp_node *n,
                                    const jp_value *v, const jp_value **base)
{
    *base = jp_eval_node(c, n->kids[0], v);
    return *base && (*base)->type == JP_ARRAY ? *base : NULL;
}

static const jp_value *projection(jp_ctx *c, const jp_node *n,
                                  const jp_value *v)
{
    const jp_value *base, *arr = array_of_kid(c, n, v, &base);
    if (arr == NULL)
        return base ? jp_null() : NULL;
    return project(c, n, n->kids[1], arr->u.items, arr->len);
}

static const jp_value *value_projection(jp_ctx *c, const jp_node *n,
                                        const jp_value *v)
{
    const jp_value *base = jp_eval_node(c, n->kids[0], v);
    if (base == NULL || base->type != JP_OBJECT)
        return base ? jp_null() : NULL;
    if (!jp_steps(c, n, base->len))
        return NULL;
    const jp_value **values = jp_alloc(c->a, base->len * sizeof *values);
    if (values == NULL)
        return jp_nomem(c, n);
    for (size_t i = 0; i < base->len; i++)
        values[i] = base->u.members[i].value;
    return project(c, n, n->kids[1], values, base->len);
}

/* kids: 0 the list, 2 the condition, 1 what is kept of each element. */
static const jp_value *filter(jp_ctx *c, const jp_node *n, const jp_value *v)
{
    const jp_value *base, *arr = array_of_kid(c, n, v, &base);
    if (arr == NULL)
        return base ? jp_null() : NULL;
    jp_list out = {0};
    for (size_t i = 0; i < arr->len; i++) {
        const jp_value *keep = jp_eval_node(c, n->kids[2], arr->u.items[i]);
        if (keep == NULL)
            return NULL;
        if (jp_is_true(keep) &&
            !collect(c, n, &out, jp_eval_node(c, n->kids[1], arr->u.items[i])))
            return NULL;
    }
    return list_value(c, n, &out);
}

static const jp_value *flatten(jp_ctx *c, const jp_node *n, const jp_value *v)
{
    const jp_value *base, *arr = array_of_kid(c, n, v, &base);
    if (arr == NULL)
        return base ? jp_null() : NULL;
    jp_list out = {0};
    for (size_t i = 0; i < arr->len; i++) {
        const jp_value *e = arr->u.items[i];
        size_t k = e->type == JP_ARRAY ? e->len : 1;
        if (!jp_steps(c, n, k))
            return NULL;
        for (size_t j = 0; j < k; j++) {
            if (!jp_list_push(c->a, &out,
                              e->type == JP_ARRAY ? e->u.items[j] : e))
                return jp_nomem(c, n);
        }
    }
    return list_value(c, n, &out);
}

static const jp_value *multi_list(jp_ctx *c, const jp_node *n,
                                  const jp_value *v)
{
    if (v->type == JP_NULL)
        return v;
    const jp_value **items = jp_alloc(c->a, n->n * sizeof *items);
    if (items == NULL)
        return jp_nomem(c, n);
    for (size_t i = 0; i < n->n; i++) {
        if ((items[i] = jp_eval_node(c, n->kids[i], v)) == NULL)
            return NULL;
    }
    const jp_value *r = jp_array_take(c->a, items, n->n);
    return r ? r : jp_nomem(c, n);
}

static const jp_value *multi_hash(jp_ctx *c, const jp_node *n,
                                  const jp_value *v)
{
    if (v->type == JP_NULL)
        return v;
    jp_member *m = jp_alloc(c->a, n->n * sizeof *m);
    if (m == NULL)
        return jp_nomem(c, n);
    for (size_t i = 0; i < n->n; i++) {
        m[i].key = n->u.hash.keys[i];
        m[i].key_len = n->u.hash.key_lens[i];
        if ((m[i].value = jp_eval_node(c, n->kids[i], v)) == NULL)
            return NULL;
    }
    jp_value *r = (jp_value *)jp_object_take(c->a, m, n->n);
    if (r == NULL)
        return jp_nomem(c, n);
    r->ordered = 1;
    return r;
}

/* a || b || c: the first true value, else the last; && the first false,
** else the last. */
static const jp_value *or_and(jp_ctx *c, const jp_node *n, const jp_value *v)
{
    const jp_value *r = v;
    for (size_t i = 0; i < n->n; i++) {
        if ((r = jp_eval_node(c, n->kids[i], v)) == NULL)
            return NULL;
        if (jp_is_true(r) == (n->kind == N_OR))
            return r;
    }
    return r;
}

static const jp_value *compare(jp_ctx *c, const jp_node *n, const jp_value *v)
{
    const jp_value *l = jp_eval_node(c, n->kids[0], v);
    const jp_value *r = l ? jp_eval_node(c, n->kids[1], v) : NULL;
    if (r == NULL)
        return NULL;
    if (n->u.cmp == CMP_EQ || n->u.cmp == CMP_NE) {
        int e = jp_equal_counted(c->a, l, r);
        if (e < 0)
            return jp_spent(c, n);
        return jp_new_bool(e == (n->u.cmp == CMP_EQ));
    }
    if (l->type != JP_NUMBER || r->type != JP_NUMBER)
        return jp_null(); /* the specification orders numbers only */
    double x = l->u.num, y = r->u.num;
    switch (n->u.cmp) {
    case CMP_LT: return jp_new_bool(x < y);
    case CMP_LE: return jp_new_bool(x <= y);
    case CMP_GT: return jp_new_bool(x > y);
    default: return jp_new_bool(x >= y);
    }
}

/* fn(args): every argument evaluated, left to right, then their types
** checked, then the function. */
static const jp_value *call(jp_ctx *c, const jp_node *n, const jp_value *v)
{
    const jp_value *few[4], **args = few;
    if (n->n > 4 && (args = jp_alloc(c->a, n->n * sizeof *args)) == NULL)
        return jp_nomem(c, n);
    for (size_t i = 0; i < n->n; i++) {
        if ((args[i] = jp_eval_node(c, n->kids[i], v)) == NULL)
            return NULL;
    }
    if (!jp_function_check(c, n, args, n->n))
        return NULL;
    return n->u.fn->impl(c, n, args, n->n);
}

const jp_value *jp_eval_node(jp_ctx *c, const jp_node *n, const jp_value *v)
{
    const jp_value *r;
    if (!jp_steps(c, n, 1))
        return NULL;
    switch (n->kind) {
    case N_IDENTITY: return v;
    case N_FIELD: return field_of(c, n, v);
    case N_SUBEXPR:
    case N_INDEX_EXPR:
    case N_PIPE: return in_turn(c, n, v);
    case N_INDEX: return index_of(n, v);
    case N_SLICE: return slice_of(c, n, v);
    case N_PROJECTION: return projection(c, n, v);
    case N_VALUE_PROJECTION: return value_projection(c, n, v);
    case N_FILTER: return filter(c, n, v);
    case N_FLATTEN: return flatten(c, n, v);
    case N_MULTI_LIST: return multi_list(c, n, v);
    case N_MULTI_HASH: return multi_hash(c, n, v);
    case N_OR:
    case N_AND: return or_and(c, n, v);
    case N_NOT:
        r = jp_eval_node(c, n->kids[0], v);
        return r ? jp_new_bool(!jp_is_true(r)) : NULL;
    case N_COMPARE: return compare(c, n, v);
    case N_LITERAL: return n->u.literal;
    case N_FUNCTION: return call(c, n, v);
    case N_EXPREF:
        r = jp_expref_value(c->a, n->kids[0]);
        return r ? r : jp_nomem(c, n);
    }
    return jp_fail(c->err, JP_ERR_INVALID_VALUE, n->pos, "unknown node");
}

const jp_value *jp_eval(const jp_expr *e, const jp_value *input, jp_arena *a,
                        jp_error *err)
{
    jp_error local;
    if (err == NULL)
        err = &local;
    memset(err, 0, sizeof *err);
    if (e == NULL || a == NULL)
        return jp_fail(err, JP_ERR_MEMORY, 0, "no expression or arena");
    a->steps = 0;
    a->too_deep = 0;
    jp_ctx c = {a, err};
    const jp_value *r = jp_eval_node(&c, e->root, input ? input : jp_null());
    if (r && r->has_expref)
        return jp_fail(
            err, JP_ERR_INVALID_TYPE, e->root->pos,
            "an expression reference (&...) is a function's argument, not a value to print");
    return r;
}
