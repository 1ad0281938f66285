/*
** fuzz_json.c - the JSON parser on arbitrary bytes: no crash, no leak, no
** undefined behaviour; every accepted tree is well formed.
*/
#include "moat_int.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static size_t json_walk(const json_value *v, int depth)
{
    size_t n = 1;
    if (depth > MOAT_JSON_MAX_DEPTH + 1)
        __builtin_trap();
    if (v->type == JSON_STRING && v->str[v->len] != '\0')
        __builtin_trap();
    uint32_t count = 0;
    for (const json_value *c = v->child; c; c = c->next, count++)
        n += json_walk(c, depth + 1);
    if ((v->type == JSON_ARRAY || v->type == JSON_OBJECT) && count != v->len)
        __builtin_trap();
    return n;
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
    moat__arena_free(&a);
    return 0;
}
