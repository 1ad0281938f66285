/*
** fuzz_json.c - the JSON parser on arbitrary bytes: no crash, no leak, no
** undefined behaviour; every accepted tree is well formed, and a member
** lookup finds the first member of its name and says when there is a
** second (what the loader's duplicate check rests on). Every input is also
** read in ARM mode (comments, trailing commas, raw line breaks in strings:
** what estate files may hold), which must accept whatever the strict
** parser accepts and read it identically.
*/
#include "moat_int.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* m, a member of obj: the lookup of its name gives the first member of
** that name (m or one before it), and a second one when m is not first. */
static void check_lookup(const json_value *obj, const json_value *m)
{
    if (strlen(m->key) != m->key_len)
        return; /* a name holding U+0000: not one moat looks up */
    json_value *second;
    const json_value *first = moat__json_find(obj, m->key, &second);
    if (first == NULL || first->key_pos > m->key_pos ||
        (first != m && second == NULL) || second == first ||
        (second && second->key_pos <= first->key_pos))
        __builtin_trap();
}

static size_t json_walk(const json_value *v, int depth)
{
    size_t n = 1;
    if (depth > MOAT_JSON_MAX_DEPTH + 1)
        __builtin_trap();
    if (v->type == JSON_STRING && v->str[v->len] != '\0')
        __builtin_trap();
    uint32_t count = 0;
    for (const json_value *c = v->child; c; c = c->next, count++) {
        if (v->type == JSON_OBJECT && count < 64)
            check_lookup(v, c);
        n += json_walk(c, depth + 1);
    }
    if ((v->type == JSON_ARRAY || v->type == JSON_OBJECT) && count != v->len)
        __builtin_trap();
    return n;
}

/* The same values, names and positions. */
static void same_json(const json_value *x, const json_value *y)
{
    if (x->type != y->type || x->len != y->len || x->pos != y->pos ||
        x->end != y->end || (x->key == NULL) != (y->key == NULL) ||
        (x->key && memcmp(x->key, y->key, x->key_len + 1) != 0) ||
        (x->str && memcmp(x->str, y->str, x->len) != 0))
        __builtin_trap();
    const json_value *a = x->child, *b = y->child;
    for (; a && b; a = a->next, b = b->next)
        same_json(a, b);
    if (a || b)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    moat_arena a;
    moat__arena_init(&a, 64u * 1024u * 1024u);
    json_error err;
    json_value *v = moat__json_parse(&a, (const char *)data, size, &err);
    if (v)
        json_walk(v, 0);
    else if (err.msg == NULL || err.pos > size)
        __builtin_trap();
    json_error arm_err;
    json_value *w = moat__json_parse_mode(&a, (const char *)data, size,
                                          MOAT_JSON_ARM, &arm_err);
    if (w)
        json_walk(w, 0);
    else if (v || arm_err.msg == NULL || arm_err.pos > size)
        __builtin_trap();
    if (v)
        same_json(v, w);
    moat__arena_free(&a);
    return 0;
}
