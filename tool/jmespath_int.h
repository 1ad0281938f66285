/*
** jmespath_int.h - what the pieces of the JMESPath engine share: the
** value and arena layouts, the tree the parser builds, the function
** table and the evaluation context. Not for callers (jmespath.h is).
*/
#ifndef MOAT_JMESPATH_INT_H
#define MOAT_JMESPATH_INT_H

#include "jmespath.h"

#include <stdarg.h>

typedef struct jp_member {
    const char *key;
    size_t key_len;
    const jp_value *value;
} jp_member;

struct jp_node;

struct jp_value {
    unsigned char type;   /* jp_type */
    unsigned char is_int; /* a number Python holds as an int: prints bare */
    unsigned char boolean;
    unsigned char has_expref; /* an &expr inside: cannot be printed */
    unsigned char ordered;    /* made by a multiselect hash (jp_is_ordered) */
    unsigned depth;           /* 1 for a scalar or an empty container */
    size_t len;               /* string bytes, elements, members */
    union {
        double num;
        const char *str;
        const jp_value *const *items;
        const jp_member *members;
        const struct jp_node *expref;
    } u;
    const jp_value *fallback; /* objects: jp_new_object_fallback */
};

/*--------------------------------------------------------------------------
** Arena: chunks of memory freed together; bounded in bytes; counts the
** steps of the evaluation running on it.
*/
struct jp_arena {
    struct jp_chunk *chunks;
    size_t used, max_bytes;
    unsigned long steps, max_steps;
    jp_errkind failure;     /* why the last allocation failed */
    unsigned char too_deep; /* ... because a value would nest too deep */
};

/* n bytes aligned for any value; NULL (and a->failure set: limit or
** memory) past the arena's bound or when malloc fails. */
void *jp_alloc(jp_arena *a, size_t n);
/* A copy of s[0..n) with a NUL after it. */
char *jp_strdup(jp_arena *a, const char *s, size_t n);

/* Sets err (the first error only) and returns NULL, for chaining. */
void *jp_fail(jp_error *err, jp_errkind kind, size_t offset, const char *fmt,
              ...) __attribute__((format(printf, 4, 5)));

/*--------------------------------------------------------------------------
** Values.
*/
/* A number as Python's jmespath holds it: is_int only for a whole number
** (Python's int), and -0 as an int is 0. */
const jp_value *jp_number_value(jp_arena *a, double d, int is_int);
const jp_value *jp_expref_value(jp_arena *a, const struct jp_node *n);
/* A string over s[0..len) as it is (not copied: it must live as long). */
const jp_value *jp_string_over(jp_arena *a, const char *s, size_t len);
/* items[0..n) taken as they are (not copied): built in a by the caller. */
const jp_value *jp_array_take(jp_arena *a, const jp_value **items, size_t n);
/* members[0..n) taken and deduplicated in place (first place, last
** value). */
const jp_value *jp_object_take(jp_arena *a, jp_member *members, size_t n);
/* The JMESPath name of v's type: "number", "string", ... */
const char *jp_type_name(const jp_value *v);
/* JSON equality spending the arena's steps: 1, 0, or -1 once they are
** spent. */
int jp_equal_counted(jp_arena *a, const jp_value *x, const jp_value *y);
/* Orders two numbers or two strings (by code point): <0, 0, >0. */
int jp_order(const jp_value *a, const jp_value *b);

/* A growing list of values in an arena (old storage is left behind: at
** most as much again). */
typedef struct jp_list {
    const jp_value **items;
    size_t n, cap;
} jp_list;
int jp_list_push(jp_arena *a, jp_list *l, const jp_value *v);

/*--------------------------------------------------------------------------
** JSON text.
*/
/* Reads JSON at text[*pos..len) into a value, leaving *pos after it and
** after trailing white space. NULL with err on failure. Used for
** documents and for `literals` (whose offsets are reported from base). */
const jp_value *jp_json_value(jp_arena *a, const char *text, size_t len,
                              size_t *pos, jp_error *err);
/* The offset of the first byte of s[0..n) that is not valid UTF-8, or
** n. */
size_t jp_utf8_check(const char *s, size_t n);
/* A JSON string's body (between the quotes, escapes undone) into a; the
** length in *out_len. NULL with err (offset relative to s) on a bad
** escape or a control character. */
char *jp_json_unescape(jp_arena *a, const char *s, size_t n, size_t *out_len,
                       jp_error *err);
/* d as Python's repr(float) writes it ("1.0", "1e+16", "Infinity"), or as
** its int when is_int, into buf of JP_NUMBER_BUF bytes (an int as large as
** a double goes has 309 digits). */
#define JP_NUMBER_BUF 400
void jp_format_number(char *buf, size_t cap, double d, int is_int);

/*--------------------------------------------------------------------------
** The expression tree.
*/
typedef enum jp_kind {
    N_IDENTITY,   /* @, and what a projection applies when nothing follows */
    N_FIELD,      /* name, "name" */
    N_SUBEXPR,    /* kids in turn: a.b.c */
    N_INDEX,      /* [n] */
    N_SLICE,      /* [a:b:c], applied to the value */
    N_INDEX_EXPR, /* kids in turn: a[0][1] */
    N_PROJECTION, /* kid 0 an array, kid 1 on each element: a[*].b, a[].b */
    N_VALUE_PROJECTION, /* kid 0 an object, kid 1 on each value: a.*.b */
    N_FILTER,     /* kid 0 an array, kid 2 the condition, kid 1 on each kept */
    N_FLATTEN,    /* kid 0 an array, inner arrays merged: a[] */
    N_MULTI_LIST, /* [a, b] */
    N_MULTI_HASH, /* {k: a, ...}: keys[i] for kids[i] */
    N_OR,         /* kids: the first true, else the last */
    N_AND,        /* kids: the first false, else the last */
    N_NOT,        /* !a */
    N_PIPE,       /* kids in turn, projections stopped: a | b */
    N_COMPARE,    /* kids 0 and 1, op */
    N_LITERAL,    /* `json`, 'raw' */
    N_FUNCTION,   /* fn(kids) */
    N_EXPREF      /* &kid 0 */
} jp_kind;

typedef enum jp_cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE } jp_cmp;

struct jp_function;

typedef struct jp_node {
    jp_kind kind;
    size_t pos; /* byte of the expression it starts at (errors point here) */
    unsigned depth;
    size_t n, cap; /* kids */
    struct jp_node **kids;
    union {
        struct {
            const char *name;
            size_t len;
        } field;
        long long index;
        struct {
            long long start, stop, step;
            unsigned char has_start, has_stop;
        } slice;
        jp_cmp cmp;
        const jp_value *literal;
        const struct jp_function *fn;
        struct {
            const char **keys; /* N_MULTI_HASH */
            size_t *key_lens;
        } hash;
    } u;
} jp_node;

struct jp_expr {
    jp_arena *arena; /* the tree and its literals */
    jp_node *root;
};

/*--------------------------------------------------------------------------
** Evaluation.
*/
typedef struct jp_ctx {
    jp_arena *a;
    jp_error *err;
} jp_ctx;

/* n evaluated on v; NULL on error (ctx->err set). */
const jp_value *jp_eval_node(jp_ctx *c, const jp_node *n, const jp_value *v);
/* k steps of work; 0 (and the error set) once the arena's steps are
** spent. */
int jp_steps(jp_ctx *c, const jp_node *at, unsigned long k);
/* The error of a failed allocation (limit or memory) at node at. */
void *jp_nomem(jp_ctx *c, const jp_node *at);
/* The limit error for a result past the arena's bound, and for work past
** its steps (a comparison that ran out of them); NULL. */
void *jp_too_large(jp_ctx *c, const jp_node *at);
void *jp_spent(jp_ctx *c, const jp_node *at);

/* Built-in functions: what each takes, checked as Python's jmespath
** checks it (each argument's type, and the elements of typed arrays). */
#define JP_T_NULL 0x01u
#define JP_T_BOOL 0x02u
#define JP_T_NUMBER 0x04u
#define JP_T_STRING 0x08u
#define JP_T_ARRAY 0x10u
#define JP_T_OBJECT 0x20u
#define JP_T_EXPREF 0x40u
#define JP_T_ANY 0x7fu           /* any value, an expref too (the spec's any) */
#define JP_T_ARRAY_NUMBER 0x100u /* an array of numbers */
#define JP_T_ARRAY_STRING 0x200u /* an array of strings */

typedef const jp_value *(*jp_fn_impl)(jp_ctx *c, const jp_node *call,
                                      const jp_value **args, size_t n);

typedef struct jp_function {
    const char *name;
    size_t n_params;    /* the least number of arguments */
    int variadic;       /* more of the last parameter allowed */
    unsigned params[3]; /* JP_T_* for each parameter */
    jp_fn_impl impl;
} jp_function;

/* The function of that name, or NULL. */
const jp_function *jp_function_find(const char *name, size_t len);
/* Checks args against f's parameter types; 0 with invalid-type set. */
int jp_function_check(jp_ctx *c, const jp_node *call, const jp_value **args,
                      size_t n);

#endif
