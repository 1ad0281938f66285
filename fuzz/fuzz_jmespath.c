/*
** fuzz_jmespath.c - moat's JMESPath engine (tool/jmespath.h, behind
** --query) on arbitrary expressions and documents: no crash, no leak, no
** undefined behaviour, bounded work. The input is an expression, a NUL,
** then a JSON document (without a NUL, the expression runs on a fixed
** document). Checked besides: an error points inside the expression; a
** result printed and read again is the same value (unless it holds a
** number JSON cannot write, Infinity or NaN, or outgrows the bounds), in
** az's indented form and in the compact one.
*/
#include "jmespath.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char jmes_fixed_doc[] =
    "{\"name\": \"st1\", \"properties\": {\"networkAcls\": {\"bypass\": "
    "\"AzureServices\", \"defaultAction\": \"Deny\", \"ipRules\": [{\"value\": "
    "\"25.1.2.3\", \"action\": \"Allow\"}, {\"value\": \"25.2.0.0/24\"}]}}, "
    "\"n\": [3, -1.5, 0, 1e3, 2], \"s\": [\"b\", \"a\", \"\\u00e9\"], "
    "\"e\": [], \"o\": {}, \"t\": true, \"z\": null}";

/* The text of v read back (when it can be) is v. */
static void jmes_check_round_trip(jp_arena *a, const jp_value *v,
                                  unsigned flags)
{
    size_t len;
    jp_error err;
    char *text = jp_write(v, flags, 1u << 20, &len);
    if (text == NULL)
        return; /* too large to write within the bound: refused, fine */
    const jp_value *back = jp_parse_json(a, text, len, &err);
    if (back ? !jp_equal(back, v)
             : err.kind == JP_ERR_JSON && strstr(text, "NaN") == NULL &&
                   strstr(text, "Infinity") == NULL)
        __builtin_trap(); /* not read back, and not for lack of room */
    free(text);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nul = memchr(text, '\0', size);
    size_t expr_len = nul ? (size_t)(nul - text) : size;
    jp_error err;
    jp_expr *e = jp_compile(text, expr_len, &err);
    if (e == NULL) {
        if (err.kind == JP_OK || err.offset > expr_len)
            __builtin_trap(); /* every failure says where, inside it */
        return 0;
    }
    jp_arena *a = jp_arena_new(64u << 20, 200000);
    const char *doc = nul ? nul + 1 : jmes_fixed_doc;
    size_t doc_len = nul ? size - expr_len - 1 : strlen(jmes_fixed_doc);
    const jp_value *input = a ? jp_parse_json(a, doc, doc_len, NULL) : NULL;
    const jp_value *result = input ? jp_eval(e, input, a, &err) : NULL;
    if (input && result == NULL && err.kind == JP_OK)
        __builtin_trap();
    if (result) { /* ASCII: a lone surrogate (from \ud800) is no UTF-8 */
        jmes_check_round_trip(a, result, JP_WRITE_INDENT | JP_WRITE_ASCII);
        jmes_check_round_trip(a, result, JP_WRITE_ASCII);
        free(jp_write(result, JP_WRITE_INDENT, 1u << 20, NULL));
    }
    jp_arena_free(a);
    jp_expr_free(e);
    return 0;
}
