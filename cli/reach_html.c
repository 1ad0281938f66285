/*
** reach_html.c - `moat reach --format html` (reach_html.h).
**
** The edges are read off the cells (docs/reach.md): every cell moat
** admits contributes its source class (from the decision's category) and
** the rule that admits it, so the diagram shows each rule that admits
** anything and nothing else. The page is the audit's: no script, nothing
** fetched, every string escaped.
*/
#include "reach_html.h"

#include "html.h"
#include "html_graph.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* The class of sources an admitting category stands for (decision.md
** section 5); strength: the whole class (a default Allow, an unfiltered
** control plane) or part of it. */
static const char *source_class(moat_category cat, html_strength *strength)
{
    *strength = HTML_EDGE_SOME;
    switch (cat) {
    case MOAT_CAT_RES_CONTROL_PLANE_NOT_FILTERED:
        *strength = HTML_EDGE_ALL;
        return "control plane (ARM)";
    case MOAT_CAT_RES_DEFAULT_ACTION_ALLOW:
        *strength = HTML_EDGE_ALL;
        return "internet";
    case MOAT_CAT_RES_IP_RULE: return "internet";
    case MOAT_CAT_RES_PRIVATE_ENDPOINT:
    case MOAT_CAT_NSP_PRIVATE_INBOUND_ALLOWED: return "private-endpoints";
    case MOAT_CAT_NSP_INTRA_PERIMETER_INBOUND_ALLOWED:
    case MOAT_CAT_NSP_CROSS_PERIMETER_INBOUND_ALLOWED: return "perimeters";
    case MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_ALLOWED:
        return "perimeter access rules";
    case MOAT_CAT_NSP_PUBLIC_INBOUND_RESOURCE_RULES_ALLOWED:
        return "resource rules (perimeter not enforcing)";
    case MOAT_CAT_RES_VIRTUAL_NETWORK_RULE: return "virtual-networks";
    case MOAT_CAT_RES_RESOURCE_INSTANCE_RULE: return "identities";
    case MOAT_CAT_RES_TRUSTED_SERVICE: return "trusted-services";
    case MOAT_CAT_RES_BYPASS_LOGGING:
    case MOAT_CAT_RES_BYPASS_METRICS: return "$logs and $Metrics readers";
    default: return "other";
    }
}

/* What the page is built from: strings it owns, nodes and edges. */
typedef struct reach_page {
    char **strings;
    size_t n_strings, cap_strings;
    html_node *nodes;
    size_t n_nodes, cap_nodes;
    html_edge *edges;
    size_t n_edges, cap_edges;
    const char **first_rule; /* per edge: the first rule along it */
    size_t *n_rules;         /* per edge: how many distinct rules */
    size_t cap_first, cap_counts;
    struct edge_rule {
        size_t edge;
        const char *rule;
    } *seen; /* every distinct (edge, rule) */
    size_t n_seen, cap_seen;
    char **texts; /* each resource's `moat reach` text */
    size_t *first_node_of; /* resource -> its node */
} reach_page;

static int grow(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t want = *cap ? *cap * 2 : 16;
    void *p = realloc(*items, want * size);
    if (p == NULL)
        return -1;
    *items = p;
    *cap = want;
    return 0;
}

static const char *keep(reach_page *p, const char *s)
{
    if (grow((void **)&p->strings, &p->cap_strings, p->n_strings,
             sizeof *p->strings) != 0)
        return NULL;
    char *copy = strdup(s);
    if (copy)
        p->strings[p->n_strings++] = copy;
    return copy;
}

/* The node of a source class, added on first use; (size_t)-1 without
** memory. */
static size_t source_node(reach_page *p, const char *cls)
{
    for (size_t i = 0; i < p->n_nodes; i++) {
        if (p->nodes[i].is_source && strcmp(p->nodes[i].label, cls) == 0)
            return i;
    }
    if (grow((void **)&p->nodes, &p->cap_nodes, p->n_nodes,
             sizeof *p->nodes) != 0)
        return (size_t)-1;
    p->nodes[p->n_nodes] = (html_node){cls, NULL, NULL, 1, NULL};
    return p->n_nodes++;
}

/* The label of an edge that more rules admit along: the first rule's
** part before ": " when they all share it ("networkAcls.bypass
** AzureServices: 31 rules"), else the first rule and how many more. */
static const char *merged_label(reach_page *p, const char *first,
                                const char *rule, size_t n)
{
    const char *colon = strstr(first, ": ");
    size_t shared = colon ? (size_t)(colon - first) : 0;
    int same = colon && strncmp(first, rule, shared + 2) == 0;
    char text[512];
    if (same)
        snprintf(text, sizeof text, "%.*s: %zu rules", (int)shared, first, n);
    else
        snprintf(text, sizeof text, "%.*s and %zu more", 200, first, n - 1);
    return keep(p, text);
}

/* Notes that rule admits along edge; 1 when it is new there, 0 when
** seen, -1 without memory. */
static int note_rule(reach_page *p, size_t edge, const char *rule)
{
    for (size_t i = 0; i < p->n_seen; i++) {
        if (p->seen[i].edge == edge && strcmp(p->seen[i].rule, rule) == 0)
            return 0;
    }
    const char *kept = keep(p, rule);
    if (kept == NULL || grow((void **)&p->seen, &p->cap_seen, p->n_seen,
                             sizeof *p->seen) != 0)
        return -1;
    p->seen[p->n_seen++] = (struct edge_rule){edge, kept};
    return 1;
}

/* The edge from..to, added (labelled by rule) on first use; its index,
** or (size_t)-1 without memory. */
static size_t edge_of(reach_page *p, size_t from, size_t to, const char *rule,
                      html_strength strength)
{
    for (size_t i = 0; i < p->n_edges; i++) {
        if (p->edges[i].from == from && p->edges[i].to == to)
            return i;
    }
    const char *label = keep(p, rule);
    if (label == NULL ||
        grow((void **)&p->edges, &p->cap_edges, p->n_edges,
             sizeof *p->edges) != 0 ||
        grow((void **)&p->first_rule, &p->cap_first, p->n_edges,
             sizeof *p->first_rule) != 0 ||
        grow((void **)&p->n_rules, &p->cap_counts, p->n_edges,
             sizeof *p->n_rules) != 0)
        return (size_t)-1;
    p->first_rule[p->n_edges] = label;
    p->n_rules[p->n_edges] = 0;
    p->edges[p->n_edges] = (html_edge){from, to, label, strength};
    return p->n_edges++;
}

/* One edge per (class, resource), labelled by the rule that admits, or
** by what its rules have in common; 0, or -1 without memory. */
static int add_edge(reach_page *p, const char *cls, size_t to,
                    const char *rule, html_strength strength)
{
    size_t from = source_node(p, cls);
    size_t e = from == (size_t)-1 ? from
                                  : edge_of(p, from, to, rule, strength);
    int fresh = e == (size_t)-1 ? -1 : note_rule(p, e, rule);
    if (fresh <= 0)
        return fresh;
    if (strength > p->edges[e].strength)
        p->edges[e].strength = strength;
    if (++p->n_rules[e] == 1)
        return 0;
    const char *label =
        merged_label(p, p->first_rule[e], rule, p->n_rules[e]);
    if (label == NULL)
        return -1;
    p->edges[e].label = label;
    return 0;
}

/* The rule of cell i, from its JSON (the rule text is not in
** moat_decision); "" when it names none. malloc'd; NULL without memory. */
static char *cell_rule(const moat_cells *c, size_t i)
{
    size_t len;
    char *json = moat_cell_json(c, i, &len);
    cJSON *cell = json ? cJSON_ParseWithLength(json, len) : NULL;
    moat_free(json);
    const cJSON *rule = cJSON_GetObjectItemCaseSensitive(cell, "rule");
    char *text = strdup(cJSON_IsString(rule) ? rule->valuestring : "");
    cJSON_Delete(cell);
    return cell && text ? text : (free(text), NULL);
}

/* The edges of one resource (node to) from its admitting cells. */
static int resource_edges(reach_page *p, const moat_cells *c, size_t to)
{
    for (size_t i = 0; i < moat_cells_count(c); i++) {
        moat_decision d;
        if (moat_cell_decision(c, i, 0, &d) != MOAT_OK ||
            d.verdict != MOAT_ALLOW)
            continue;
        html_strength strength;
        const char *cls = source_class(d.category, &strength);
        if (d.category == MOAT_CAT_RES_CONTROL_PLANE_NOT_FILTERED)
            continue; /* every resource's: said once, above the diagram */
        char *rule = cell_rule(c, i);
        int rc = rule ? add_edge(p, cls, to,
                                 rule[0] ? rule
                                         : moat_category_name(d.category),
                                 strength)
                      : -1;
        free(rule);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* The resource's id and kind as `moat reach --format json` names them. */
static int resource_identity(reach_page *p, const moat_cells *c,
                             const char **id, const char **kind)
{
    size_t len;
    char *json = moat_cells_reach_json(c, 0, &len);
    cJSON *doc = json ? cJSON_ParseWithLength(json, len) : NULL;
    moat_free(json);
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(doc, "resource");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(doc, "kind");
    *id = cJSON_IsString(r) ? keep(p, r->valuestring) : NULL;
    *kind = cJSON_IsString(k) && strcmp(k->valuestring, "storage") == 0
                ? "storage account"
                : "key vault";
    cJSON_Delete(doc);
    return *id ? 0 : -1;
}

/* The node of resource i (its name, the id's last segment). */
static int resource_node(reach_page *p, const moat_cells *c, size_t i,
                         char (*href)[32])
{
    const char *id, *kind;
    if (resource_identity(p, c, &id, &kind) != 0 ||
        grow((void **)&p->nodes, &p->cap_nodes, p->n_nodes,
             sizeof *p->nodes) != 0)
        return -1;
    const char *slash = strrchr(id, '/');
    snprintf(href[i], sizeof href[i], "#r-%zu", i);
    p->first_node_of[i] = p->n_nodes;
    p->nodes[p->n_nodes++] =
        (html_node){slash ? slash + 1 : id, kind, href[i], 0, NULL};
    return 0;
}

/* Computes resource i's cells and adds its node, edges and text; 0, or
** an exit status after a message. */
static int reach_resource(reach_page *p, const moat_estate *es,
                          const char *name, const char *time, size_t i,
                          char (*href)[32])
{
    moat_cells *c = NULL;
    moat_status st = moat_cells_compute(es, name, time, &c);
    if (st != MOAT_OK) {
        cli_error("reach: %s: %s", name, moat_strerror(st));
        return st == MOAT_E_INVAL ? EXIT_USAGE : EXIT_BAD_ESTATE;
    }
    size_t len;
    int rc = resource_node(p, c, i, href);
    if (rc == 0)
        rc = resource_edges(p, c, p->first_node_of[i]);
    if (rc == 0 && (p->texts[i] = moat_cells_reach_text(c, &len)) == NULL)
        rc = -1;
    moat_cells_free(c);
    if (rc != 0)
        cli_error("reach: out of memory");
    return rc ? EXIT_BAD_ESTATE : 0;
}

static size_t edges_to(const reach_page *p, size_t node)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_edges; i++)
        n += p->edges[i].to == node;
    return n;
}

static void resources_table(FILE *o, const reach_page *p, size_t n)
{
    static const char *const columns[] = {"Resource", "Kind",
                                          "Admitting rules", NULL};
    fputs("<section id=\"resources\" aria-labelledby=\"h-resources\">\n"
          "<h2 id=\"h-resources\">Resources</h2>\n",
          o);
    html_table_start(o, NULL, NULL, columns);
    for (size_t i = 0; i < n; i++) {
        const html_node *r = &p->nodes[p->first_node_of[i]];
        fprintf(o, "<tr><th scope=\"row\"><a href=\"%s\">", r->href);
        html_text(o, r->label);
        fputs("</a></th>", o);
        html_cell(o, r->sub);
        fprintf(o, "<td>%zu</td></tr>\n", edges_to(p, p->first_node_of[i]));
    }
    html_table_end(o);
    fputs("</section>\n", o);
}

static void details(FILE *o, const reach_page *p, size_t n)
{
    fputs("<section id=\"details\" aria-labelledby=\"h-details\">\n"
          "<h2 id=\"h-details\">Each resource</h2>\n",
          o);
    for (size_t i = 0; i < n; i++) {
        const html_node *r = &p->nodes[p->first_node_of[i]];
        fprintf(o, "<section id=\"r-%zu\" aria-labelledby=\"h-r-%zu\">\n"
                   "<h3 id=\"h-r-%zu\">",
                i, i, i);
        html_text(o, r->label);
        fprintf(o, " <small>(%s)</small></h3>\n<pre class=\"reach\">",
                r->sub);
        html_text(o, p->texts[i]);
        fputs("</pre>\n</section>\n", o);
    }
    fputs("</section>\n", o);
}

static void write_page(FILE *o, const reach_page *p, size_t n,
                       const char *time)
{
    char title[96];
    snprintf(title, sizeof title, "moat reach: %zu resources", n);
    html_page_start(o, title);
    fputs("<header>\n<h1>moat reach</h1>\n<p class=\"note\">Who can get in, "
          "for every request at once: decision.md's request space cut into "
          "cells on which moat decides the same way, ",
          o);
    if (time) {
        fputs("at ", o);
        html_text(o, time);
    } else {
        fputs("at every time", o);
    }
    fprintf(o, ", by moat %s. Each arrow is a rule that admits some "
               "request (several along one arrow: what they share and how many); nothing else admits any. The control plane (ARM), which no network rule filters, is left out of the diagram.</p>\n<nav aria-label="
               "\"sections\"><ul><li><a href=\"#resources\">Resources</a>"
               "</li><li><a href=\"#reachability\">Reachability</a></li>"
               "<li><a href=\"#details\">Each resource</a></li></ul></nav>\n"
               "</header>\n<main>\n",
            MOAT_VERSION);
    resources_table(o, p, n);
    fputs("<section id=\"reachability\" aria-labelledby=\"h-reach\">\n"
          "<h2 id=\"h-reach\">Reachability</h2>\n",
          o);
    html_graph g = {p->nodes, p->n_nodes, p->edges, p->n_edges};
    html_graph_write(o, &g);
    fputs("</section>\n", o);
    details(o, p, n);
    fputs("</main>\n", o);
    html_page_end(o);
}

static void page_free(reach_page *p, size_t n)
{
    for (size_t i = 0; i < p->n_strings; i++)
        free(p->strings[i]);
    for (size_t i = 0; p->texts && i < n; i++)
        moat_free(p->texts[i]);
    free(p->strings);
    free(p->nodes);
    free(p->edges);
    free(p->first_rule);
    free(p->n_rules);
    free(p->seen);
    free(p->texts);
    free(p->first_node_of);
}

int reach_html(FILE *o, const moat_estate *es, const char *const *ids,
               size_t n, const char *time)
{
    reach_page p;
    memset(&p, 0, sizeof p);
    p.texts = calloc(n + 1, sizeof *p.texts);
    p.first_node_of = calloc(n + 1, sizeof *p.first_node_of);
    char(*href)[32] = calloc(n + 1, sizeof *href);
    int rc = p.texts && p.first_node_of && href ? 0 : EXIT_BAD_ESTATE;
    if (rc)
        cli_error("reach: out of memory");
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = reach_resource(&p, es, ids[i], time, i, href);
    if (rc == 0)
        write_page(o, &p, n, time);
    page_free(&p, n);
    free(href);
    return rc;
}
