/*
** html_graph.c - the reachability diagram: DOT written, Graphviz run as a
** child (child.h), its SVG inlined, a table otherwise (html_graph.h).
**
** Labels go to dot already HTML-escaped: Graphviz passes character
** references in a label through to its SVG unchanged (and escapes a bare
** '&' or '<' itself), so the SVG shows exactly the label, and a name like
** "<script>" arrives as text whatever dot does with it. The SVG is checked
** before it is inlined all the same (html_graph_svg_body).
*/
#include "html_graph.h"

#include "child.h"
#include "html.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_LINE 34  /* characters per line of an edge label */
#define LABEL_LINES 3  /* lines before the label is cut short ("...") */
#define DOT_MAX_OUT (64u << 20)

/* s HTML-escaped, then escaped for a DOT quoted string ('\\' doubled;
** '"' cannot remain), with tab and line breaks as spaces. */
static void dot_text(FILE *o, const char *s, size_t len)
{
    char *esc = NULL;
    size_t esc_len = 0;
    FILE *m = open_memstream(&esc, &esc_len);
    if (m == NULL)
        return;
    html_escape(m, s, len);
    fclose(m);
    for (size_t i = 0; i < esc_len; i++) {
        char ch = esc[i];
        if (ch == '\\')
            fputs("\\\\", o);
        else
            fputc(ch == '\n' || ch == '\r' || ch == '\t' ? ' ' : ch, o);
    }
    free(esc);
}

/* Where a line of at most LABEL_LINE bytes starting at s should end: the
** last space within it, else the limit (kept off a UTF-8 continuation). */
static size_t line_end(const char *s, size_t len)
{
    if (len <= LABEL_LINE)
        return len;
    for (size_t i = LABEL_LINE; i > LABEL_LINE / 2; i--) {
        if (s[i] == ' ')
            return i;
    }
    size_t i = LABEL_LINE;
    while (i > 1 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

/* A label wrapped in lines of about LABEL_LINE characters ("\n" in DOT),
** LABEL_LINES at most, "..." when cut short. */
static void dot_wrapped(FILE *o, const char *s)
{
    size_t len = strlen(s);
    for (int line = 0; len > 0; line++) {
        if (line == LABEL_LINES) {
            fputs("...", o);
            return;
        }
        if (line)
            fputs("\\n", o);
        size_t n = line_end(s, len);
        dot_text(o, s, n);
        s += n, len -= n;
        while (len > 0 && *s == ' ')
            s++, len--;
    }
}

static const char *fill_of(const char *level)
{
    static const struct {
        const char *level, *attrs;
    } fills[] = {
        {"critical", "fillcolor=\"#8b0000\" fontcolor=\"#ffffff\""},
        {"high", "fillcolor=\"#d1242f\" fontcolor=\"#ffffff\""},
        {"medium", "fillcolor=\"#f0a020\""},
        {"low", "fillcolor=\"#ddf4ff\""},
    };
    for (size_t i = 0; level && i < sizeof fills / sizeof fills[0]; i++) {
        if (strcmp(level, fills[i].level) == 0)
            return fills[i].attrs;
    }
    return "fillcolor=\"#ffffff\"";
}

static void dot_node(FILE *o, size_t i, const html_node *n)
{
    fprintf(o, "  n%zu [label=\"", i);
    dot_text(o, n->label, strlen(n->label));
    if (n->sub) {
        fputs("\\n", o);
        dot_text(o, n->sub, strlen(n->sub));
    }
    fprintf(o, "\" tooltip=\"");
    dot_text(o, n->label, strlen(n->label));
    fputc('"', o);
    if (n->href && n->href[0] == '#') {
        fputs(" URL=\"", o);
        dot_text(o, n->href, strlen(n->href));
        fputc('"', o);
    }
    if (n->is_source)
        fputs(" shape=box style=\"rounded,filled\" fillcolor=\"#eaeef2\"", o);
    else
        fprintf(o, " shape=box style=filled %s", fill_of(n->level));
    fputs("];\n", o);
}

static void dot_edge(FILE *o, const html_edge *e)
{
    static const char *const looks[] = {
        "color=\"#57606a\" fontcolor=\"#424a53\" style=dashed",
        "color=\"#bf8700\" fontcolor=\"#7d4e00\" penwidth=1.5",
        "color=\"#d1242f\" fontcolor=\"#a40e26\" penwidth=2.5"};
    fprintf(o, "  n%zu -> n%zu [label=\"", e->from, e->to);
    dot_wrapped(o, e->label);
    fputs("\" tooltip=\"", o);
    dot_text(o, e->label, strlen(e->label));
    fprintf(o, "\" %s];\n", looks[e->strength]);
}

char *html_graph_dot(const html_graph *g, size_t *len)
{
    char *text = NULL;
    FILE *o = open_memstream(&text, len);
    if (o == NULL)
        return NULL;
    fputs("digraph reach {\n  rankdir=LR; ranksep=2.2; nodesep=0.25;\n"
          "  node [fontname=\"Helvetica,Arial,sans-serif\" fontsize=11];\n"
          "  edge [fontname=\"Helvetica,Arial,sans-serif\" fontsize=9];\n"
          "  { rank=source;",
          o);
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].is_source)
            fprintf(o, " n%zu;", i);
    }
    fputs(" }\n", o);
    for (size_t i = 0; i < g->n_nodes; i++)
        dot_node(o, i, &g->nodes[i]);
    for (size_t i = 0; i < g->n_edges; i++)
        dot_edge(o, &g->edges[i]);
    fputs("}\n", o);
    if (fclose(o) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static const char *find_ci(const char *s, size_t len, const char *what)
{
    size_t n = strlen(what);
    for (size_t i = 0; i + n <= len; i++) {
        size_t k = 0;
        while (k < n && tolower((unsigned char)s[i + k]) == what[k])
            k++;
        if (k == n)
            return s + i;
    }
    return NULL;
}

/* Every link in the SVG stays within the page. */
static int links_local(const char *s, size_t len)
{
    const char *end = s + len, *p = s;
    while ((p = find_ci(p, (size_t)(end - p), "href=")) != NULL) {
        p += 5;
        if (p + 1 >= end || (*p != '"' && *p != '\'') || p[1] != '#')
            return 0;
    }
    return 1;
}

const char *html_graph_svg_body(const char *svg, size_t len, size_t *body_len)
{
    const char *start = find_ci(svg, len, "<svg");
    if (start == NULL)
        return NULL;
    const char *end = NULL;
    for (const char *p = start; (p = find_ci(p, len - (size_t)(p - svg),
                                             "</svg>")) != NULL;
         p += 6)
        end = p + 6;
    if (end == NULL)
        return NULL;
    size_t n = (size_t)(end - start);
    static const char *const banned[] = {"<script", "<foreignobject",
                                         "javascript:", "<iframe", "<!entity",
                                         "<?"};
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++) {
        if (find_ci(start, n, banned[i]))
            return NULL;
    }
    if (!links_local(start, n))
        return NULL;
    *body_len = n;
    return start;
}

static const char *const strength_names[] = {"unknown", "some", "all"};

static void edge_table(FILE *o, const html_graph *g)
{
    static const char *const columns[] = {"Source", "Resource", "Admitted",
                                          "By", NULL};
    html_table_start(o, "edges", "Who reaches what, and by which rule",
                     columns);
    for (size_t i = 0; i < g->n_edges; i++) {
        const html_edge *e = &g->edges[i];
        const html_node *to = &g->nodes[e->to];
        html_row_start(o, g->nodes[e->from].label);
        fputs("<td>", o);
        if (to->href) {
            fputs("<a href=\"", o);
            html_text(o, to->href);
            fputs("\">", o);
        }
        html_text(o, to->label);
        fputs(to->href ? "</a>" : "", o);
        fprintf(o, "</td><td><span class=\"badge %s\">%s</span></td>",
                strength_names[e->strength], strength_names[e->strength]);
        html_cell(o, e->label);
        fputs("</tr>\n", o);
    }
    html_table_end(o);
}

/* dot's SVG for g, or NULL with *why set. */
static char *run_dot(const html_graph *g, size_t *svg_len, const char **why)
{
    const char *prog = getenv("MOAT_DOT");
    const char *limit = getenv("MOAT_DOT_TIMEOUT");
    int seconds = limit ? atoi(limit) : 20;
    if (prog && prog[0] == '\0') {
        *why = "MOAT_DOT is empty";
        return NULL;
    }
    size_t dot_len;
    char *dot = html_graph_dot(g, &dot_len);
    if (dot == NULL) {
        *why = "out of memory";
        return NULL;
    }
    const char *argv[] = {prog ? prog : "dot", "-Tsvg", NULL};
    char *svg = NULL;
    child_status st =
        child_filter(argv, dot, dot_len, (seconds > 0 ? seconds : 20) * 1000,
                     DOT_MAX_OUT, &svg, svg_len);
    free(dot);
    if (st != CHILD_OK)
        *why = st == CHILD_NOT_FOUND ? "Graphviz (dot) is not installed"
                                      : child_status_name(st);
    return svg;
}

static void figure(FILE *o, const char *body, size_t len)
{
    fputs("<figure class=\"diagram\">\n<svg role=\"img\" "
          "aria-labelledby=\"diagram-caption\"",
          o);
    fwrite(body + 4, 1, len - 4, o);
    fputs("\n<figcaption id=\"diagram-caption\">Sources (left) and the "
          "resources they reach (right), each arrow labelled with the rule "
          "that admits: <span class=\"badge all\">red, thick</span> the whole "
          "class, <span class=\"badge some\">orange</span> part of it, "
          "<span class=\"badge unknown\">dashed</span> unknown. A resource's "
          "colour is its worst finding.</figcaption>\n</figure>\n",
          o);
}

html_drawn html_graph_write(FILE *o, const html_graph *g)
{
    const char *why = NULL;
    char *svg = NULL;
    size_t svg_len = 0, body_len = 0;
    const char *body = NULL;
    if (g->n_edges == 0)
        why = "nothing reaches any resource";
    else if (g->n_edges > HTML_GRAPH_MAX_EDGES)
        why = "too many paths to draw legibly";
    else if ((svg = run_dot(g, &svg_len, &why)) != NULL &&
             (body = html_graph_svg_body(svg, svg_len, &body_len)) == NULL)
        why = "the output of dot is not a plain SVG";
    if (body) {
        figure(o, body, body_len);
        fputs("<details><summary>The diagram as a table</summary>\n", o);
        edge_table(o, g);
        fputs("</details>\n", o);
    } else {
        fputs("<p class=\"note\" id=\"no-diagram\">No diagram (", o);
        html_text(o, why);
        fputs("): the paths as a table.</p>\n", o);
        edge_table(o, g);
    }
    free(svg);
    return body ? HTML_DRAWN_SVG : HTML_DRAWN_TABLE;
}
