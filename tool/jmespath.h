/*
** jmespath.h - JMESPath (https://jmespath.org/specification.html), the
** query language of az's --query, run the way sqlite runs SQL: an
** expression is compiled once (jp_compile: a tokenizer and a Pratt parser
** into a tree held by one arena) and evaluated on JSON values as often as
** needed (jp_eval). Values are JSON's: null, booleans, numbers (doubles
** that remember whether Python holds them as ints, so that they print as
** az prints them), strings with a length (U+0000 included), arrays, and
** objects in member order. They are read from text (jp_parse_json) or
** built (jp_new_*), live in an arena, and are written back as az writes
** them (jp_write).
**
** Everything is bounded: the expression's length and nesting, the depth
** of values, the memory and the steps one evaluation may take. Past a
** bound the answer is an error (JP_ERR_LIMIT), never a crash.
*/
#ifndef MOAT_JMESPATH_H
#define MOAT_JMESPATH_H

#include <stddef.h>

typedef struct jp_expr jp_expr;   /* a compiled expression */
typedef struct jp_arena jp_arena; /* holds values and an evaluation's work */
typedef struct jp_value jp_value; /* a JSON value, read-only once built */

typedef enum jp_type {
    JP_NULL,
    JP_BOOL,
    JP_NUMBER,
    JP_STRING,
    JP_ARRAY,
    JP_OBJECT,
    JP_EXPREF /* &expr: a function's argument, never printed */
} jp_type;

/* The errors, as the compliance suite names them (jp_error_kind_name),
** then moat's own: a bound passed, memory exhausted, bad JSON text. */
typedef enum jp_errkind {
    JP_OK = 0,
    JP_ERR_SYNTAX,
    JP_ERR_UNKNOWN_FUNCTION,
    JP_ERR_INVALID_ARITY,
    JP_ERR_INVALID_TYPE,
    JP_ERR_INVALID_VALUE,
    JP_ERR_LIMIT,
    JP_ERR_MEMORY,
    JP_ERR_JSON
} jp_errkind;

typedef struct jp_error {
    jp_errkind kind;
    /* The byte of the expression (or of the JSON text) where it failed:
    ** the offending token, or the function whose arguments were wrong. */
    size_t offset;
    char message[256]; /* what was expected, and what was found */
} jp_error;

/* "syntax", "invalid-type", ... ("limit", "memory", "json" for moat's). */
const char *jp_error_kind_name(jp_errkind kind);

#define JP_MAX_EXPR_BYTES 65536 /* an expression's length */
#define JP_MAX_NESTING 256      /* brackets within brackets, tree depth */
#define JP_MAX_DEPTH 512        /* arrays and objects within each other */

/* Compiles text[0..len). NULL on error, with err saying where and why:
** syntax, unknown-function, invalid-arity (a function's argument count is
** known here), invalid-value (a slice step of 0), limit, memory. */
jp_expr *jp_compile(const char *text, size_t len, jp_error *err);
void jp_expr_free(jp_expr *e);

/* An arena for values. max_bytes bounds its memory and max_steps the work
** of each jp_eval on it (0: defaults of 1 GiB and 100 million steps). NULL
** when out of memory. Freeing it frees every value built in it. */
jp_arena *jp_arena_new(size_t max_bytes, unsigned long max_steps);
void jp_arena_free(jp_arena *a);

/* Reads one JSON text (RFC 8259; objects keep their first key's place and
** their last value, as Python's json does). NULL on error (JP_ERR_JSON
** with the offset, or limit, memory). */
const jp_value *jp_parse_json(jp_arena *a, const char *text, size_t len,
                              jp_error *err);

/* Evaluates e on input; the result lives in a and may share input's
** values and e's literals (keep them until it is used). NULL on error:
*invalid-type, invalid-value, limit, memory,
** with the offset of the function or operator in e's text. */
const jp_value *jp_eval(const jp_expr *e, const jp_value *input, jp_arena *a,
                        jp_error *err);

/* v as JSON text, malloc'd and NUL-terminated (*len without the NUL), as
** Python's json.dumps writes it: JP_WRITE_INDENT for indent=2 (az's
** output), else compact (',' and ':'); JP_WRITE_ASCII for ensure_ascii.
** NULL past max_bytes, for an expression reference, or out of memory. */
#define JP_WRITE_INDENT 0x1u
#define JP_WRITE_ASCII 0x2u
char *jp_write(const jp_value *v, unsigned flags, size_t max_bytes,
               size_t *len);

/* Reading values. */
jp_type jp_type_of(const jp_value *v);
int jp_is_true(const jp_value *v); /* JMESPath's truth: not null, false, "",
                                      [] or {} */
double jp_number(const jp_value *v);
const char *jp_string(const jp_value *v, size_t *len);
size_t jp_count(const jp_value *v); /* elements or members; 0 otherwise */
const jp_value *jp_item(const jp_value *v, size_t i); /* element or member
                                                         value */
const char *jp_key(const jp_value *v, size_t i, size_t *len);
/* obj's member key (then its fallback's, jp_new_object_fallback); NULL
** when absent or obj is not an object. */
const jp_value *jp_get(const jp_value *obj, const char *key, size_t len);
/* Whether obj was made by a multiselect hash ({a: x, b: y}): az runs
** JMESPath with Python's OrderedDict for those, so its tsv output keeps
** their members in the expression's order (other objects: by key). */
int jp_is_ordered(const jp_value *obj);
/* JSON equality: same type and value, arrays in order, objects by their
** members in any order; 1 and 1.0 are equal, 1 and true are not. */
int jp_equal(const jp_value *a, const jp_value *b);

/* Building values: NULL when a is full or the value would be too deep.
** Strings and keys are copied. */
const jp_value *jp_null(void);
const jp_value *jp_new_bool(int b);
const jp_value *jp_new_number(jp_arena *a, double d, int is_int);
const jp_value *jp_new_string(jp_arena *a, const char *s, size_t len);
const jp_value *jp_new_array(jp_arena *a, const jp_value *const *items,
                             size_t n);
/* Members in order; a repeated key keeps its first place and its last
** value. */
const jp_value *jp_new_object(jp_arena *a, const char *const *keys,
                              const size_t *key_lens,
                              const jp_value *const *values, size_t n);
/* obj with fallback consulted for the members obj lacks, by field lookups
** only (a.b, a."b", filters): keys(), values, *, equality and jp_write
** see obj alone. This is how az's names resolve on ARM files (moat's
** --query): JMESPath itself has no such thing. */
const jp_value *jp_new_object_fallback(jp_arena *a, const jp_value *obj,
                                       const jp_value *fallback);

#endif
