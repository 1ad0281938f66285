/*
** fuzz_doc.c - editing documents in place (moat_doc, under the az-style
** commands) on arbitrary bytes and arbitrary edit scripts: no crash, no
** leak; an accepted document with no edit comes back byte for byte; every
** mix of removals, additions and replacements that is accepted yields JSON
** that parses again.
*/
#include "moat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define MAX_NODES 256

static void collect(const moat_node *n, const moat_node **out, size_t *k)
{
    if (*k == MAX_NODES)
        return;
    out[(*k)++] = n;
    for (const moat_node *c = moat_node_child(n); c; c = moat_node_next(c))
        collect(c, out, k);
}

static int is_container(const moat_node *n)
{
    moat_node_type t = moat_node_kind(n);
    return t == MOAT_NODE_ARRAY || t == MOAT_NODE_OBJECT;
}

static void edit(moat_doc *d, const moat_node *n, unsigned op, unsigned seq)
{
    static const char *const values[] = {
        "1",
        "\"x\"",
        "[]",
        "{}",
        "{\"value\": \"25.1.2.3\", \"action\": "
        "\"Allow\"}",
        "[1, [2, {\"a\": null}]]",
        "{not json"};
    const char *v = values[op % 7];
    char key[32];
    snprintf(key, sizeof key, "fuzz_%u", seq);
    switch ((op >> 3) % 3) {
    case 0: moat_doc_replace(d, n, v, NULL); break;
    case 1:
        if (is_container(n))
            moat_doc_add(d, n,
                         moat_node_kind(n) == MOAT_NODE_OBJECT ? key : NULL, v,
                         NULL);
        break;
    default:
        if (is_container(n)) {
            const moat_node *pick[8];
            size_t k = 0, i = 0;
            for (const moat_node *c = moat_node_child(n); c && k < 8;
                 c = moat_node_next(c), i++)
                if ((op >> (5 + i % 8)) & 1)
                    pick[k++] = c;
            moat_doc_remove(d, n, pick, k, NULL);
        }
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    /* The first byte says how many edits (0 to 7) follow, two bytes each;
    ** the rest is the document. */
    if (size == 0)
        return 0;
    size_t edits = data[0] % 8;
    size_t script = 1 + 2 * edits;
    if (size < script)
        return 0;
    const char *text = (const char *)data + script;
    size_t len = size - script;
    moat_doc *d;
    if (moat_doc_parse(text, len, &d, NULL) != MOAT_OK)
        return 0;
    const moat_node *nodes[MAX_NODES];
    size_t n = 0;
    collect(moat_doc_root(d), nodes, &n);
    for (size_t i = 1; i + 1 < script; i += 2)
        edit(d, nodes[data[i] % n], data[i + 1], (unsigned)i);
    size_t out_len;
    char *out = moat_doc_text(d, &out_len);
    if (out == NULL)
        __builtin_trap();
    if (edits == 0 && (out_len != len || memcmp(out, text, len) != 0))
        __builtin_trap(); /* no edit: the same bytes */
    moat_doc *again;
    if (moat_doc_parse(out, out_len, &again, NULL) != MOAT_OK)
        __builtin_trap(); /* an edit broke the document */
    moat_doc_free(again);
    moat_free(out);
    moat_doc_free(d);
    return 0;
}
