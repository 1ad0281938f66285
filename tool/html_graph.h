/*
** html_graph.h - a reachability diagram for an HTML page: sources on the
** left, resources on the right, an edge per admitted path labelled with
** the rule that admits it. Drawn by Graphviz (`dot -Tsvg`, run as a child
** with a time limit) and inlined as SVG when dot is there and answers;
** otherwise, and for graphs too large to read, the same edges as a table.
*/
#ifndef MOAT_TOOL_HTML_GRAPH_H
#define MOAT_TOOL_HTML_GRAPH_H

#include <stddef.h>
#include <stdio.h>

typedef enum html_strength {
    HTML_EDGE_UNKNOWN, /* may admit: depends on a value moat cannot know */
    HTML_EDGE_SOME,    /* admits part of the class */
    HTML_EDGE_ALL      /* admits the whole class */
} html_strength;

typedef struct html_node {
    const char *label; /* the name shown */
    const char *sub;   /* a second line (the kind), or NULL */
    const char *href;  /* a link within the page ("#r-3"), or NULL */
    int is_source;     /* sources left, resources right */
    const char *level; /* a CSS class for the node ("critical", ...) or
                          NULL */
} html_node;

typedef struct html_edge {
    size_t from, to;   /* node indexes */
    const char *label; /* the rule that admits */
    html_strength strength;
} html_edge;

typedef struct html_graph {
    const html_node *nodes;
    size_t n_nodes;
    const html_edge *edges;
    size_t n_edges;
} html_graph;

/* How the diagram was drawn. */
typedef enum html_drawn {
    HTML_DRAWN_SVG,   /* dot's SVG, inlined */
    HTML_DRAWN_TABLE  /* the table (why: in the page's note) */
} html_drawn;

/* The graph in the DOT language (labels escaped for DOT and for the SVG
** dot writes: the text a browser shows is the label). The caller frees
** it; NULL without memory. */
char *html_graph_dot(const html_graph *g, size_t *len);

/* Writes the diagram: a <figure> holding dot's SVG, or a table of the
** edges with a note saying why there is no drawing (dot not installed,
** timed out, failed, more than HTML_GRAPH_MAX_EDGES edges).
** MOAT_DOT names the program (default "dot", looked up in PATH; "" for
** none) and MOAT_DOT_TIMEOUT its limit in seconds (default 20). */
html_drawn html_graph_write(FILE *o, const html_graph *g);

#define HTML_GRAPH_MAX_EDGES 1500

/* The SVG element of dot's output (the XML declaration, doctype and
** comments before it left out), checked to be one <svg>...</svg> with no
** script or foreign content; NULL when it is not. Points into svg. */
const char *html_graph_svg_body(const char *svg, size_t len, size_t *body_len);

#endif
