/*
** fuzz_html.c - the HTML escaper (tool/html.c) and the diagram's DOT and
** SVG handling (tool/html_graph.c) on arbitrary bytes: estate names, ids,
** messages and file names reach them unfiltered. Checked besides no
** crash: the escaped text holds none of < > " ', every '&' starts one of
** the five references, it is well-formed UTF-8 without controls; every
** DOT label is one quoted string (no quote left unescaped inside); an SVG
** body accepted lies within the input, starts with <svg and holds no
** script.
*/
#include "html.h"
#include "html_graph.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static int html_fz_references_ok(const char *s, size_t len)
{
    static const char *const refs[] = {"&amp;", "&lt;", "&gt;", "&quot;",
                                       "&#39;"};
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '&')
            continue;
        int ok = 0;
        for (size_t k = 0; k < 5 && !ok; k++)
            ok = strncmp(s + i, refs[k], strlen(refs[k])) == 0;
        if (!ok)
            return 0;
    }
    return 1;
}

static void html_fz_escape(const unsigned char *data, size_t size)
{
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    if (m == NULL)
        return;
    html_escape(m, (const char *)data, size);
    fclose(m);
    if (memchr(out, '<', len) || memchr(out, '>', len) ||
        memchr(out, '"', len) || memchr(out, '\'', len) ||
        !html_fz_references_ok(out, len))
        __builtin_trap();
    for (size_t i = 0; i < len;) {
        unsigned cp;
        size_t n = html_utf8_seq((const unsigned char *)out + i, len - i, &cp);
        if (n == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
            (cp >= 0x7F && cp <= 0x9F))
            __builtin_trap();
        i += n;
    }
    free(out);
}

/* Within each line of the DOT text, quotes not escaped come in pairs and
** no label holds a raw '<'. */
static void html_fz_dot(const unsigned char *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0'; /* labels: the input up to its first NUL */
    size_t half = strlen(text) / 2;
    html_node nodes[2] = {{text + half, NULL, NULL, 1, NULL},
                          {text, text + half, "#r-0", 0, "critical"}};
    html_edge edges[1] = {{0, 1, text, HTML_EDGE_SOME}};
    html_graph g = {nodes, 2, edges, 1};
    size_t len;
    char *dot = html_graph_dot(&g, &len);
    for (size_t i = 0, quotes = 0; dot && i < len; i++) {
        if (dot[i] == '<')
            __builtin_trap();
        if (dot[i] == '\\')
            i++; /* an escaped character */
        else if (dot[i] == '"')
            quotes++;
        else if (dot[i] == '\n' && quotes % 2)
            __builtin_trap();
    }
    free(dot);
    free(text);
}

static void html_fz_svg(const unsigned char *data, size_t size)
{
    size_t n;
    const char *svg = (const char *)data;
    const char *body = html_graph_svg_body(svg, size, &n);
    if (body == NULL)
        return;
    if (body < svg || body + n > svg + size || n < 10 ||
        strncasecmp(body, "<svg", 4) != 0)
        __builtin_trap();
    for (size_t i = 0; i + 7 <= n; i++) {
        if (strncasecmp(body + i, "<script", 7) == 0)
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    html_fz_escape(data, size);
    html_fz_dot(data, size);
    html_fz_svg(data, size);
    return 0;
}
