/*
** jmespath_func.c - JMESPath's built-in functions, with the type checks
** the specification gives and Python's jmespath applies (each argument's
** type, and the elements of an array of numbers or of strings: all of one
** kind, decided by the first). Results are the reference's too: an int
** where Python computes an int (length, sum of ints, floor, ceil), a float
** where it computes a float (avg).
*/
#include "jmespath_int.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*--------------------------------------------------------------------------
** Type checks.
*/
/* "a number", "a string or an array", ... for messages. */
static void describe_types(unsigned mask, char *buf, size_t cap)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{JP_T_NUMBER, "a number"},
                 {JP_T_STRING, "a string"},
                 {JP_T_BOOL, "a boolean"},
                 {JP_T_ARRAY, "an array"},
                 {JP_T_ARRAY_NUMBER, "an array of numbers"},
                 {JP_T_ARRAY_STRING, "an array of strings"},
                 {JP_T_OBJECT, "an object"},
                 {JP_T_EXPREF, "an expression (&...)"},
                 {JP_T_NULL, "null"}};
    size_t len = 0, k = 0, count = 0, n = sizeof names / sizeof names[0];
    for (size_t i = 0; i < n; i++)
        count += (mask & names[i].bit) != 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!(mask & names[i].bit) || len >= cap)
            continue;
        k++;
        len += (size_t)snprintf(buf + len, cap - len, "%s%s",
                                k == 1       ? ""
                                : k == count ? " or "
                                             : ", ",
                                names[i].name);
    }
}

static unsigned type_bit(const jp_value *v)
{
    static const unsigned bits[] = {JP_T_NULL,   JP_T_BOOL,  JP_T_NUMBER,
                                    JP_T_STRING, JP_T_ARRAY, JP_T_OBJECT,
                                    JP_T_EXPREF};
    return bits[jp_type_of(v)];
}

static int type_error(jp_ctx *c, const jp_node *call, size_t i, unsigned mask,
                      const char *given)
{
    char want[160];
    describe_types(mask, want, sizeof want);
    jp_fail(c->err, JP_ERR_INVALID_TYPE, call->pos,
            "%s() argument %zu: expected %s, given %s", call->u.fn->name, i + 1,
            want, given);
    return 0;
}

/* An array argument's elements against the array kinds of mask: one
** kind allowed, every element of it; two, the first element's kind for
** all. */
static int check_elements(jp_ctx *c, const jp_node *call, size_t i,
                          unsigned mask, const jp_value *arr)
{
    unsigned kinds = mask & (JP_T_ARRAY_NUMBER | JP_T_ARRAY_STRING);
    if (kinds == 0 || arr->len == 0)
        return 1;
    unsigned want = kinds == JP_T_ARRAY_NUMBER   ? JP_T_NUMBER
                    : kinds == JP_T_ARRAY_STRING ? JP_T_STRING
                                                 : type_bit(arr->u.items[0]);
    if (want != JP_T_NUMBER && want != JP_T_STRING)
        want = 0;
    for (size_t k = 0; k < arr->len; k++) {
        if (type_bit(arr->u.items[k]) != want) {
            char given[80];
            snprintf(given, sizeof given, "an array holding %s %s",
                     jp_type_of(arr->u.items[k]) == JP_ARRAY ? "an" : "a",
                     jp_type_name(arr->u.items[k]));
            return type_error(c, call, i, mask, given);
        }
    }
    return jp_steps(c, call, arr->len);
}

int jp_function_check(jp_ctx *c, const jp_node *call, const jp_value **args,
                      size_t n)
{
    const jp_function *f = call->u.fn;
    for (size_t i = 0; i < n; i++) {
        unsigned mask = f->params[i < f->n_params ? i : f->n_params - 1];
        unsigned allowed = mask;
        if (mask & (JP_T_ARRAY_NUMBER | JP_T_ARRAY_STRING))
            allowed |= JP_T_ARRAY;
        if (!(type_bit(args[i]) & allowed)) {
            char given[40];
            snprintf(given, sizeof given, "%s %s",
                     jp_type_of(args[i]) == JP_ARRAY ||
                             jp_type_of(args[i]) == JP_OBJECT ||
                             jp_type_of(args[i]) == JP_EXPREF
                         ? "an"
                         : "a",
                     jp_type_name(args[i]));
            if (jp_type_of(args[i]) == JP_NULL)
                snprintf(given, sizeof given, "null");
            return type_error(c, call, i, mask, given);
        }
        if (args[i]->type == JP_ARRAY &&
            !check_elements(c, call, i, mask, args[i]))
            return 0;
    }
    return 1;
}

/*--------------------------------------------------------------------------
** Helpers.
*/
static const jp_value *number(jp_ctx *c, const jp_node *call, double d,
                              int is_int)
{
    const jp_value *v = jp_number_value(c->a, d, is_int);
    return v ? v : jp_nomem(c, call);
}

/* A string value over s[0..n) (s already lives long enough). */
static const jp_value *string_over(jp_ctx *c, const jp_node *call,
                                   const char *s, size_t n)
{
    const jp_value *v = jp_string_over(c->a, s, n);
    return v ? v : jp_nomem(c, call);
}

static const jp_value *array_of(jp_ctx *c, const jp_node *call,
                                const jp_value **items, size_t n)
{
    const jp_value *v = jp_array_take(c->a, items, n);
    return v ? v : jp_nomem(c, call);
}

static const jp_value **new_items(jp_ctx *c, const jp_node *call, size_t n)
{
    const jp_value **items = n <= SIZE_MAX / sizeof *items
                                 ? jp_alloc(c->a, n * sizeof *items)
                                 : NULL;
    if (items == NULL)
        jp_nomem(c, call);
    return items;
}

/* The expression of &expr applied to v. */
static const jp_value *apply(jp_ctx *c, const jp_value *expref,
                             const jp_value *v)
{
    return jp_eval_node(c, expref->u.expref, v);
}

/* Sorts items stably by keys (a bottom-up merge sort: qsort is not
** stable and cannot stop). keys are all numbers or all strings. */
static int sort_by_keys(jp_ctx *c, const jp_node *call, const jp_value **items,
                        const jp_value **keys, size_t n)
{
    const jp_value **ti = new_items(c, call, n), **tk = new_items(c, call, n);
    if (ti == NULL || tk == NULL)
        return 0;
    for (size_t w = 1; w < n; w *= 2) {
        if (!jp_steps(c, call, n))
            return 0;
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n, i = lo, j = mid;
            for (size_t k = lo; k < hi; k++) {
                int left =
                    j >= hi || (i < mid && jp_order(keys[i], keys[j]) <= 0);
                ti[k] = left ? items[i] : items[j];
                tk[k] = left ? keys[i++] : keys[j++];
            }
        }
        memcpy(items, ti, n * sizeof *items);
        memcpy(keys, tk, n * sizeof *keys);
    }
    return 1;
}

/* The key of each element under expref: numbers all, or strings all
** (sort_by, min_by, max_by); NULL with invalid-type otherwise. */
static const jp_value **keys_of(jp_ctx *c, const jp_node *call,
                                const jp_value *arr, const jp_value *expref)
{
    const jp_value **keys = new_items(c, call, arr->len);
    for (size_t i = 0; keys && i < arr->len; i++) {
        if ((keys[i] = apply(c, expref, arr->u.items[i])) == NULL)
            return NULL;
        jp_type t = jp_type_of(keys[i]);
        jp_type want = i ? jp_type_of(keys[0]) : t;
        if ((t != JP_NUMBER && t != JP_STRING) || t != want) {
            jp_fail(
                c->err, JP_ERR_INVALID_TYPE, call->pos,
                "%s(): the expression gives %s%s for element %zu; it must give numbers for all, or strings for all",
                call->u.fn->name, t == JP_NULL ? "" : "a ",
                jp_type_name(keys[i]), i);
            return NULL;
        }
    }
    return keys;
}

/*--------------------------------------------------------------------------
** The functions, in the specification's order.
*/
#define FN(name)                                                               \
    static const jp_value *fn_##name(jp_ctx *c, const jp_node *call,           \
                                     const jp_value **args, size_t n)

FN(abs)
{
    (void)n;
    return number(c, call, fabs(args[0]->u.num), args[0]->is_int);
}

FN(avg)
{
    (void)n;
    const jp_value *arr = args[0];
    if (arr->len == 0)
        return jp_null();
    double sum = 0;
    for (size_t i = 0; i < arr->len; i++)
        sum += arr->u.items[i]->u.num;
    return number(c, call, sum / (double)arr->len, 0);
}

FN(ceil)
{
    (void)n;
    return number(c, call, ceil(args[0]->u.num), 1);
}

/* Whether s[0..n) holds t[0..tn). */
static int holds(const char *s, size_t n, const char *t, size_t tn)
{
    if (tn == 0)
        return 1;
    for (size_t i = 0; i + tn <= n; i++) {
        if (s[i] == t[0] && memcmp(s + i, t, tn) == 0)
            return 1;
    }
    return 0;
}

FN(contains)
{
    (void)n;
    const jp_value *subject = args[0], *search = args[1];
    if (subject->type == JP_STRING) {
        if (search->type != JP_STRING)
            return jp_new_bool(0);
        /* a naive search: up to both lengths multiplied */
        if (!jp_steps(c, call,
                      subject->len / 16 +
                          (subject->len / 64) * (search->len / 64)))
            return NULL;
        return jp_new_bool(
            holds(subject->u.str, subject->len, search->u.str, search->len));
    }
    for (size_t i = 0; i < subject->len; i++) {
        int e = jp_equal_counted(c->a, subject->u.items[i], search);
        if (e < 0)
            return jp_spent(c, call);
        if (e)
            return jp_new_bool(1);
    }
    return jp_new_bool(0);
}

FN(ends_with)
{
    (void)c, (void)call, (void)n;
    const jp_value *s = args[0], *suffix = args[1];
    return jp_new_bool(s->len >= suffix->len &&
                       memcmp(s->u.str + s->len - suffix->len, suffix->u.str,
                              suffix->len) == 0);
}

FN(floor)
{
    (void)n;
    return number(c, call, floor(args[0]->u.num), 1);
}

FN(join)
{
    (void)n;
    const jp_value *sep = args[0], *arr = args[1];
    size_t total = 0;
    for (size_t i = 0; i < arr->len; i++) {
        size_t add = arr->u.items[i]->len + (i ? sep->len : 0);
        if (add > SIZE_MAX / 4 - total)
            return jp_too_large(c, call);
        total += add;
    }
    char *out = jp_alloc(c->a, total + 1);
    if (out == NULL || !jp_steps(c, call, total / 16))
        return out ? NULL : jp_nomem(c, call);
    size_t o = 0;
    for (size_t i = 0; i < arr->len; i++) {
        if (i && sep->len) {
            memcpy(out + o, sep->u.str, sep->len);
            o += sep->len;
        }
        if (arr->u.items[i]->len)
            memcpy(out + o, arr->u.items[i]->u.str, arr->u.items[i]->len);
        o += arr->u.items[i]->len;
    }
    out[o] = '\0';
    return string_over(c, call, out, o);
}

FN(keys)
{
    (void)n;
    const jp_value *obj = args[0];
    const jp_value **items = new_items(c, call, obj->len);
    for (size_t i = 0; items && i < obj->len; i++) {
        items[i] = string_over(c, call, obj->u.members[i].key,
                               obj->u.members[i].key_len);
        if (items[i] == NULL)
            return NULL;
    }
    return items ? array_of(c, call, items, obj->len) : NULL;
}

FN(length)
{
    (void)n;
    const jp_value *v = args[0];
    size_t len = v->len;
    if (v->type == JP_STRING) { /* code points: bytes that start one */
        len = 0;
        for (size_t i = 0; i < v->len; i++)
            len += ((unsigned char)v->u.str[i] & 0xc0) != 0x80;
    }
    return number(c, call, (double)len, 1);
}

FN(map)
{
    (void)n;
    const jp_value *arr = args[1];
    const jp_value **items = new_items(c, call, arr->len);
    for (size_t i = 0; items && i < arr->len; i++) {
        if ((items[i] = apply(c, args[0], arr->u.items[i])) == NULL)
            return NULL;
    }
    return items ? array_of(c, call, items, arr->len) : NULL;
}

/* The first greatest (sign 1) or least (sign -1) of keys; its index. */
static size_t extreme(const jp_value **keys, size_t n, int sign)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++) {
        if (jp_order(keys[i], keys[best]) * sign > 0)
            best = i;
    }
    return best;
}

static const jp_value *min_max(const jp_value *arr, int sign)
{
    if (arr->len == 0)
        return jp_null();
    return arr->u
        .items[extreme((const jp_value **)arr->u.items, arr->len, sign)];
}

static const jp_value *min_max_by(jp_ctx *c, const jp_node *call,
                                  const jp_value **args, int sign)
{
    const jp_value *arr = args[0];
    if (arr->len == 0)
        return jp_null();
    const jp_value **keys = keys_of(c, call, arr, args[1]);
    return keys ? arr->u.items[extreme(keys, arr->len, sign)] : NULL;
}

FN(max)
{
    (void)c, (void)call, (void)n;
    return min_max(args[0], 1);
}

FN(max_by)
{
    (void)n;
    return min_max_by(c, call, args, 1);
}

FN(merge)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += args[i]->len;
    jp_member *m = total <= SIZE_MAX / sizeof *m
                       ? jp_alloc(c->a, total * sizeof *m)
                       : NULL;
    if (m == NULL || !jp_steps(c, call, total))
        return m ? NULL : jp_nomem(c, call);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (args[i]->len)
            memcpy(m + k, args[i]->u.members, args[i]->len * sizeof *m);
        k += args[i]->len;
    }
    const jp_value *v = jp_object_take(c->a, m, total);
    return v ? v : jp_nomem(c, call);
}

FN(min)
{
    (void)c, (void)call, (void)n;
    return min_max(args[0], -1);
}

FN(min_by)
{
    (void)n;
    return min_max_by(c, call, args, -1);
}

FN(not_null)
{
    (void)c, (void)call;
    for (size_t i = 0; i < n; i++) {
        if (args[i]->type != JP_NULL)
            return args[i];
    }
    return jp_null();
}

/* A string reversed by code points (a stray byte counts as one). */
static const jp_value *reverse_string(jp_ctx *c, const jp_node *call,
                                      const jp_value *s)
{
    char *out = jp_alloc(c->a, s->len + 1);
    if (out == NULL)
        return jp_nomem(c, call);
    size_t o = s->len;
    for (size_t i = 0; i < s->len;) {
        size_t k = 1;
        while (i + k < s->len &&
               ((unsigned char)s->u.str[i + k] & 0xc0) == 0x80)
            k++;
        o -= k;
        memcpy(out + o, s->u.str + i, k);
        i += k;
    }
    out[s->len] = '\0';
    return string_over(c, call, out, s->len);
}

FN(reverse)
{
    (void)n;
    const jp_value *v = args[0];
    if (v->type == JP_STRING)
        return reverse_string(c, call, v);
    const jp_value **items = new_items(c, call, v->len);
    for (size_t i = 0; items && i < v->len; i++)
        items[i] = v->u.items[v->len - 1 - i];
    return items ? array_of(c, call, items, v->len) : NULL;
}

FN(sort)
{
    (void)n;
    const jp_value *arr = args[0];
    const jp_value **items = new_items(c, call, arr->len);
    const jp_value **keys = new_items(c, call, arr->len);
    if (items == NULL || keys == NULL)
        return NULL;
    if (arr->len) {
        memcpy(items, arr->u.items, arr->len * sizeof *items);
        memcpy(keys, arr->u.items, arr->len * sizeof *keys);
    }
    if (!sort_by_keys(c, call, items, keys, arr->len))
        return NULL;
    return array_of(c, call, items, arr->len);
}

FN(sort_by)
{
    (void)n;
    const jp_value *arr = args[0];
    if (arr->len == 0)
        return arr;
    const jp_value **keys = keys_of(c, call, arr, args[1]);
    const jp_value **items = keys ? new_items(c, call, arr->len) : NULL;
    if (items == NULL)
        return NULL;
    memcpy(items, arr->u.items, arr->len * sizeof *items);
    if (!sort_by_keys(c, call, items, keys, arr->len))
        return NULL;
    return array_of(c, call, items, arr->len);
}

FN(starts_with)
{
    (void)c, (void)call, (void)n;
    const jp_value *s = args[0], *prefix = args[1];
    return jp_new_bool(s->len >= prefix->len &&
                       memcmp(s->u.str, prefix->u.str, prefix->len) == 0);
}

FN(sum)
{
    (void)n;
    const jp_value *arr = args[0];
    double sum = 0;
    int all_ints = 1;
    for (size_t i = 0; i < arr->len; i++) {
        sum += arr->u.items[i]->u.num;
        all_ints &= arr->u.items[i]->is_int;
    }
    return number(c, call, sum, all_ints);
}

FN(to_array)
{
    (void)n;
    if (args[0]->type == JP_ARRAY)
        return args[0];
    const jp_value **items = new_items(c, call, 1);
    if (items == NULL)
        return NULL;
    items[0] = args[0];
    return array_of(c, call, items, 1);
}

FN(to_string)
{
    (void)n;
    const jp_value *v = args[0];
    if (v->type == JP_STRING)
        return v;
    if (v->has_expref)
        return jp_fail(
            c->err, JP_ERR_INVALID_TYPE, call->pos,
            "to_string(): an expression reference (&...) has no text");
    size_t room =
        c->a->max_bytes > c->a->used ? c->a->max_bytes - c->a->used : 0;
    size_t len;
    char *text = room ? jp_write(v, JP_WRITE_ASCII, room, &len) /* dumps */
                      : NULL;
    if (text == NULL)
        return jp_too_large(c, call);
    const jp_value *s =
        jp_steps(c, call, len / 16) ? jp_new_string(c->a, text, len) : NULL;
    free(text);
    return s || c->err->kind ? s : jp_nomem(c, call);
}

/* A string that is a JSON number, as its value; NULL when it is not. */
static const jp_value *parse_number(jp_ctx *c, const jp_value *s)
{
    const char *p = s->u.str;
    size_t n = s->len, i = 0;
    if (n == 0 || n > 400 || (p[0] != '-' && (p[0] < '0' || p[0] > '9')))
        return NULL;
    jp_error e = {0};
    size_t pos = 0;
    const jp_value *v = jp_json_value(c->a, p, n, &pos, &e);
    for (i = 0; i < n; i++) { /* leading or trailing blanks are no number */
        if (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')
            return NULL;
    }
    return v && pos == n && v->type == JP_NUMBER ? v : NULL;
}

FN(to_number)
{
    (void)call, (void)n;
    const jp_value *v = args[0];
    if (v->type == JP_NUMBER)
        return v;
    if (v->type != JP_STRING)
        return jp_null();
    const jp_value *r = parse_number(c, v);
    return r ? r : jp_null();
}

FN(type)
{
    (void)n;
    if (args[0]->type == JP_EXPREF) /* Python's answers none */
        return jp_null();
    const char *name = jp_type_name(args[0]);
    return string_over(c, call, name, strlen(name));
}

FN(values)
{
    (void)n;
    const jp_value *obj = args[0];
    const jp_value **items = new_items(c, call, obj->len);
    for (size_t i = 0; items && i < obj->len; i++)
        items[i] = obj->u.members[i].value;
    return items ? array_of(c, call, items, obj->len) : NULL;
}

#define ANY JP_T_ANY
#define NUM JP_T_NUMBER
#define STR JP_T_STRING
#define ARR JP_T_ARRAY
#define OBJ JP_T_OBJECT
#define EXP JP_T_EXPREF
#define ARR_NUM JP_T_ARRAY_NUMBER
#define ARR_STR JP_T_ARRAY_STRING

static const jp_function functions[] = {
    {"abs", 1, 0, {NUM}, fn_abs},
    {"avg", 1, 0, {ARR_NUM}, fn_avg},
    {"ceil", 1, 0, {NUM}, fn_ceil},
    {"contains", 2, 0, {ARR | STR, ANY}, fn_contains},
    {"ends_with", 2, 0, {STR, STR}, fn_ends_with},
    {"floor", 1, 0, {NUM}, fn_floor},
    {"join", 2, 0, {STR, ARR_STR}, fn_join},
    {"keys", 1, 0, {OBJ}, fn_keys},
    {"length", 1, 0, {STR | ARR | OBJ}, fn_length},
    {"map", 2, 0, {EXP, ARR}, fn_map},
    {"max", 1, 0, {ARR_NUM | ARR_STR}, fn_max},
    {"max_by", 2, 0, {ARR, EXP}, fn_max_by},
    {"merge", 1, 1, {OBJ}, fn_merge},
    {"min", 1, 0, {ARR_NUM | ARR_STR}, fn_min},
    {"min_by", 2, 0, {ARR, EXP}, fn_min_by},
    {"not_null", 1, 1, {ANY}, fn_not_null},
    {"reverse", 1, 0, {ARR | STR}, fn_reverse},
    {"sort", 1, 0, {ARR_NUM | ARR_STR}, fn_sort},
    {"sort_by", 2, 0, {ARR, EXP}, fn_sort_by},
    {"starts_with", 2, 0, {STR, STR}, fn_starts_with},
    {"sum", 1, 0, {ARR_NUM}, fn_sum},
    {"to_array", 1, 0, {ANY}, fn_to_array},
    {"to_string", 1, 0, {ANY}, fn_to_string},
    {"to_number", 1, 0, {ANY}, fn_to_number},
    {"type", 1, 0, {ANY | EXP}, fn_type},
    {"values", 1, 0, {OBJ}, fn_values},
};

const jp_function *jp_function_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof functions / sizeof functions[0]; i++) {
        if (strlen(functions[i].name) == len &&
            memcmp(functions[i].name, name, len) == 0)
            return &functions[i];
    }
    return NULL;
}
