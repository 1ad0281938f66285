/*
** audit_html.c - `moat audit --format html` (audit_html.h).
**
** One page, nothing fetched: the stylesheet is inline, there is no
** script, and the page's Content-Security-Policy forbids both, so what an
** estate's strings hold can neither run nor load (every one is escaped by
** tool/html.c besides). Every element a reader or a test looks for is
** there without JavaScript: resources carry data-resource, findings
** data-fingerprint.
*/
#include "audit_html.h"

#include "html.h"
#include "html_graph.h"

#include <stdlib.h>
#include <string.h>

static const char *const source_classes[] = {
    "internet",         "azure-same-region", "virtual-networks",
    "trusted-services", "identities",        "private-endpoints",
    "perimeters"};
#define N_SOURCES (sizeof source_classes / sizeof source_classes[0])

static const char *kind_name(const char *kind)
{
    return strcmp(kind, "storage") == 0 ? "storage account" : "key vault";
}

static const char *finding_state(moat_finding_state s)
{
    return s == MOAT_FINDING_SUPPRESSED ? "suppressed"
           : s == MOAT_FINDING_BASELINE ? "in the baseline"
                                        : "active";
}

/* The worst active finding of a resource, or -1. */
static int worst_level(const moat_audit *a, const moat_audited *r)
{
    int worst = -1;
    for (size_t i = 0; i < r->n_findings; i++) {
        const moat_finding *f = moat_audit_finding(a, r->first_finding + i);
        if (f->state == MOAT_FINDING_ACTIVE && (int)f->level > worst)
            worst = (int)f->level;
    }
    return worst;
}

static void badge(FILE *o, const char *cls, const char *word)
{
    fprintf(o, "<span class=\"badge %s\">", cls);
    html_text(o, word);
    fputs("</span>", o);
}

static void resource_link(FILE *o, size_t index, const char *name)
{
    fprintf(o, "<a href=\"#r-%zu\">", index);
    html_text(o, name);
    fputs("</a>", o);
}

/* file:line and the Terraform address, as the estate declares them. */
static void declared_at(FILE *o, const char *file, unsigned line,
                        const char *address)
{
    if (file && file[0]) {
        fputs("<code>", o);
        html_text(o, file);
        fprintf(o, line ? ":%u</code>" : "</code>", line);
    }
    if (address) {
        fputs(file && file[0] ? " <code>" : "<code>", o);
        html_text(o, address);
        fputs("</code>", o);
    }
}

/* The resource index of each finding (the audit lists findings grouped
** by resource, each resource a run), into owner[finding]. */
static void finding_owners(const moat_audit *a, size_t *owner)
{
    for (size_t i = 0; i < moat_audit_resource_count(a); i++) {
        const moat_audited *r = moat_audit_resource(a, i);
        for (size_t k = 0; k < r->n_findings; k++)
            owner[r->first_finding + k] = i;
    }
}

/*--------------------------------------------------------------------------
** The header: verdict and counts.
*/
static void header(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    FILE *o = c->out;
    size_t active[MOAT_LEVEL_CRITICAL + 1] = {0}, other = 0;
    for (size_t i = 0; i < moat_audit_finding_count(a); i++) {
        const moat_finding *f = moat_audit_finding(a, i);
        if (f->state == MOAT_FINDING_ACTIVE)
            active[f->level]++;
        else
            other++;
    }
    int failed = report_exit(c) != 0;
    fprintf(o, "<header>\n<h1>moat audit</h1>\n<p class=\"note\">%zu "
               "resources audited on ",
            moat_audit_resource_count(a));
    html_text(o, c->today);
    fprintf(o, " by moat %s.</p>\n<p class=\"verdict\" id=\"verdict\">",
            MOAT_VERSION);
    badge(o, failed ? "fail" : "pass", failed ? "fails" : "passes");
    fprintf(o, " at <code>--fail-on %s</code>%s</p>\n<div class=\"summary\" "
               "aria-label=\"active findings per level\">",
            moat_level_name(c->fail_on),
            moat_audit_incomplete_count(a)
                ? "; <strong>the audit is incomplete</strong> (see "
                  "<a href=\"#not-audited\">Not audited</a>)"
                : "");
    for (int l = MOAT_LEVEL_CRITICAL; l >= MOAT_LEVEL_INFO; l--)
        fprintf(o, "<span class=\"%s\">%zu %s</span>", moat_level_name(l),
                active[l], moat_level_name(l));
    fprintf(o, "<span class=\"info\">%zu suppressed or in the baseline</span>"
               "</div>\n<nav aria-label=\"sections\"><ul><li><a "
               "href=\"#resources\">Resources</a></li><li><a "
               "href=\"#exposure\">Exposure</a></li><li><a "
               "href=\"#reachability\">Reachability</a></li><li><a "
               "href=\"#findings\">Findings</a></li><li><a "
               "href=\"#details\">Each resource</a></li></ul></nav>\n"
               "</header>\n",
            other);
}

/*--------------------------------------------------------------------------
** Resources, and the exposure matrix.
*/
static void resources(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    FILE *o = c->out;
    static const char *const columns[] = {
        "Resource", "Kind", "Worst finding", "Active findings", "Declared",
        NULL};
    fputs("<section id=\"resources\" aria-labelledby=\"h-resources\">\n"
          "<h2 id=\"h-resources\">Resources</h2>\n",
          o);
    html_table_start(o, NULL, NULL, columns);
    for (size_t i = 0; i < moat_audit_resource_count(a); i++) {
        const moat_audited *r = moat_audit_resource(a, i);
        int worst = worst_level(a, r);
        size_t n_active = 0;
        for (size_t k = 0; k < r->n_findings; k++)
            n_active += moat_audit_finding(a, r->first_finding + k)->state ==
                        MOAT_FINDING_ACTIVE;
        fputs("<tr data-resource=\"", o);
        html_text(o, r->id);
        fputs("\"><th scope=\"row\">", o);
        resource_link(o, i, r->name);
        fprintf(o, "</th><td>%s</td><td>", kind_name(r->kind));
        if (worst >= 0)
            badge(o, moat_level_name((moat_level)worst),
                  moat_level_name((moat_level)worst));
        else
            fputs("none", o);
        fprintf(o, "</td><td>%zu</td><td>", n_active);
        declared_at(o, r->file, r->line, r->address);
        fputs("</td></tr>\n", o);
    }
    html_table_end(o);
    fputs("</section>\n", o);
}

static const moat_exposure *exposure_of(const moat_audit *a,
                                        const moat_audited *r,
                                        const char *source)
{
    for (size_t i = 0; i < r->n_exposures; i++) {
        const moat_exposure *e = moat_audit_exposure(a, r->first_exposure + i);
        if (strcmp(e->source, source) == 0)
            return e;
    }
    return NULL;
}

static void exposure_matrix(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    FILE *o = c->out;
    fputs("<section id=\"exposure\" aria-labelledby=\"h-exposure\">\n"
          "<h2 id=\"h-exposure\">Exposure per source class</h2>\n"
          "<p class=\"note\">What each class of callers can reach: "
          "<em>all</em> of the class, <em>some</em>, <em>none</em> or "
          "<em>unknown</em> (a setting moat cannot know). The rule behind "
          "each is under <a href=\"#details\">Each resource</a> and hovering "
          "a cell.</p>\n",
          o);
    const char *columns[N_SOURCES + 2] = {"Resource"};
    memcpy(columns + 1, source_classes, sizeof source_classes);
    html_table_start(o, NULL, NULL, columns);
    for (size_t i = 0; i < moat_audit_resource_count(a); i++) {
        const moat_audited *r = moat_audit_resource(a, i);
        fputs("<tr><th scope=\"row\">", o);
        resource_link(o, i, r->name);
        fputs("</th>", o);
        for (size_t s = 0; s < N_SOURCES; s++) {
            const moat_exposure *e = exposure_of(a, r, source_classes[s]);
            fputs("<td title=\"", o);
            html_text(o, e ? e->detail : "not judged");
            fputs("\">", o);
            badge(o, e ? e->admitted : "unknown", e ? e->admitted : "-");
            fputs("</td>", o);
        }
        fputs("</tr>\n", o);
    }
    html_table_end(o);
    fputs("</section>\n", o);
}

/*--------------------------------------------------------------------------
** The reachability diagram: source classes to resources.
*/
static html_strength strength_of(const char *admitted)
{
    return strcmp(admitted, "all") == 0    ? HTML_EDGE_ALL
           : strcmp(admitted, "some") == 0 ? HTML_EDGE_SOME
                                           : HTML_EDGE_UNKNOWN;
}

/* Nodes: the source classes that reach something, then every resource;
** an edge per exposure that admits (or may). */
static void build_graph(const moat_audit *a, html_node *nodes, size_t *n_nodes,
                        html_edge *edges, size_t *n_edges, char (*hrefs)[32])
{
    size_t n_res = moat_audit_resource_count(a), source_node[N_SOURCES];
    *n_nodes = *n_edges = 0;
    for (size_t s = 0; s < N_SOURCES; s++) {
        source_node[s] = (size_t)-1;
        for (size_t i = 0; i < n_res && source_node[s] == (size_t)-1; i++) {
            const moat_exposure *e = exposure_of(a, moat_audit_resource(a, i),
                                                 source_classes[s]);
            if (e && strcmp(e->admitted, "none") != 0) {
                source_node[s] = (*n_nodes)++;
                nodes[source_node[s]] =
                    (html_node){source_classes[s], NULL, NULL, 1, NULL};
            }
        }
    }
    size_t first_resource = *n_nodes;
    for (size_t i = 0; i < n_res; i++) {
        const moat_audited *r = moat_audit_resource(a, i);
        int worst = worst_level(a, r);
        snprintf(hrefs[i], sizeof hrefs[i], "#r-%zu", i);
        nodes[(*n_nodes)++] = (html_node){
            r->name, kind_name(r->kind), hrefs[i], 0,
            worst >= 0 ? moat_level_name((moat_level)worst) : NULL};
        for (size_t s = 0; s < N_SOURCES; s++) {
            const moat_exposure *e = exposure_of(a, r, source_classes[s]);
            if (e && strcmp(e->admitted, "none") != 0)
                edges[(*n_edges)++] =
                    (html_edge){source_node[s], first_resource + i, e->detail,
                                strength_of(e->admitted)};
        }
    }
}

static void reachability(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    size_t n_res = moat_audit_resource_count(a);
    html_node *nodes = calloc(n_res + N_SOURCES, sizeof *nodes);
    html_edge *edges = calloc(n_res * N_SOURCES + 1, sizeof *edges);
    char(*hrefs)[32] = calloc(n_res + 1, sizeof *hrefs);
    fputs("<section id=\"reachability\" aria-labelledby=\"h-reach\">\n"
          "<h2 id=\"h-reach\">Reachability</h2>\n",
          c->out);
    if (nodes && edges && hrefs) {
        html_graph g = {nodes, 0, edges, 0};
        build_graph(a, nodes, &g.n_nodes, edges, &g.n_edges, hrefs);
        html_graph_write(c->out, &g);
    } else {
        fputs("<p class=\"note\">Out of memory: no diagram.</p>\n", c->out);
    }
    fputs("</section>\n", c->out);
    free(nodes);
    free(edges);
    free(hrefs);
}

/*--------------------------------------------------------------------------
** Findings, worst first, with their evidence and fixes.
*/
static const moat_audit *sort_audit; /* qsort has no context argument */

static int by_level(const void *x, const void *y)
{
    size_t i = *(const size_t *)x, k = *(const size_t *)y;
    const moat_finding *f = moat_audit_finding(sort_audit, i);
    const moat_finding *g = moat_audit_finding(sort_audit, k);
    int active_f = f->state == MOAT_FINDING_ACTIVE;
    int active_g = g->state == MOAT_FINDING_ACTIVE;
    if (active_f != active_g)
        return active_g - active_f;
    if (f->level != g->level)
        return (int)g->level - (int)f->level;
    return i < k ? -1 : i > k;
}

static void evidence(FILE *o, const moat_finding *f)
{
    if (f->n_evidence == 0)
        return;
    fputs("<ul class=\"evidence\">", o);
    for (size_t k = 0; k < f->n_evidence; k++) {
        fputs("<li><code>", o);
        html_text(o, f->evidence[k].path);
        fputs("</code> = <code>", o);
        html_text(o, f->evidence[k].value);
        fprintf(o, "</code> (%s)</li>", moat_basis_name(f->evidence[k].basis));
    }
    fputs("</ul>", o);
}

static void finding_row(const report_ctx *c, size_t i, size_t resource)
{
    FILE *o = c->out;
    const moat_finding *f = moat_audit_finding(c->audit, i);
    fputs("<tr data-fingerprint=\"", o);
    html_text(o, f->fingerprint);
    fputs("\"><td>", o);
    badge(o, moat_level_name(f->level), moat_level_name(f->level));
    if (f->state != MOAT_FINDING_ACTIVE) {
        fputs("<br>", o);
        badge(o, "info", finding_state(f->state));
    }
    fputs("</td><th scope=\"row\"><code>", o);
    html_text(o, f->rule->id);
    fputs("</code> ", o);
    html_text(o, f->rule->name);
    fputs("</th><td>", o);
    resource_link(o, resource, f->resource_name);
    fputs("</td><td><span class=\"message\">", o);
    html_text(o, f->message);
    fputs("</span>", o);
    evidence(o, f);
    if (f->suppression) {
        fputs("<p class=\"note\">Suppressed: ", o);
        html_text(o, f->suppression);
        fputs("</p>", o);
    }
    fputs("</td><td>", o);
    if (f->fix[0]) {
        fputs("<code class=\"fix\">", o);
        html_text(o, f->fix);
        fputs("</code>", o);
    }
    fputs("</td></tr>\n", o);
}

/* Every finding, worst first; in the audit's order (by resource) should
** there be no memory to sort them: never fewer. */
static void finding_rows(const report_ctx *c, size_t n)
{
    const moat_audit *a = c->audit;
    size_t *order = malloc(n * sizeof *order);
    size_t *owner = malloc(n * sizeof *owner);
    if (order == NULL || owner == NULL) {
        for (size_t i = 0; i < moat_audit_resource_count(a); i++) {
            const moat_audited *r = moat_audit_resource(a, i);
            for (size_t k = 0; k < r->n_findings; k++)
                finding_row(c, r->first_finding + k, i);
        }
    } else {
        finding_owners(a, owner);
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        sort_audit = a;
        qsort(order, n, sizeof *order, by_level);
        for (size_t i = 0; i < n; i++)
            finding_row(c, order[i], owner[order[i]]);
    }
    free(order);
    free(owner);
}

static void findings(const report_ctx *c)
{
    static const char *const columns[] = {"Level", "Rule", "Resource", "What",
                                          "Fix", NULL};
    size_t n = moat_audit_finding_count(c->audit);
    fputs("<section id=\"findings\" aria-labelledby=\"h-findings\">\n"
          "<h2 id=\"h-findings\">Findings</h2>\n",
          c->out);
    if (n == 0) {
        fputs("<p>No findings.</p>\n</section>\n", c->out);
        return;
    }
    html_table_start(c->out, NULL, NULL, columns);
    finding_rows(c, n);
    html_table_end(c->out);
    fputs("</section>\n", c->out);
}

/* What was not audited: the audit is incomplete. */
static void not_audited(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    FILE *o = c->out;
    size_t n = moat_audit_incomplete_count(a);
    if (n == 0)
        return;
    static const char *const columns[] = {"What", "Where", "Why", NULL};
    fputs("<section id=\"not-audited\" aria-labelledby=\"h-gaps\">\n"
          "<h2 id=\"h-gaps\">Not audited: the audit is incomplete</h2>\n",
          o);
    html_table_start(o, NULL, NULL, columns);
    for (size_t i = 0; i < n; i++) {
        const moat_incomplete *g = moat_audit_incomplete(a, i);
        html_row_start(o, g->what);
        fputs("<td>", o);
        declared_at(o, g->file, g->line, g->resource[0] ? g->resource : NULL);
        fputs("</td>", o);
        html_cell(o, g->why);
        fputs("</tr>\n", o);
    }
    html_table_end(o);
    fputs("</section>\n", o);
}

/*--------------------------------------------------------------------------
** Each resource: identity, exposure with its rules, controls.
*/
static void detail_exposure(FILE *o, const moat_audit *a,
                            const moat_audited *r)
{
    static const char *const columns[] = {"Source", "Admitted",
                                          "By which rule", NULL};
    html_table_start(o, NULL, "Reachable from", columns);
    for (size_t i = 0; i < r->n_exposures; i++) {
        const moat_exposure *e = moat_audit_exposure(a, r->first_exposure + i);
        html_row_start(o, e->source);
        fputs("<td>", o);
        badge(o, e->admitted, e->admitted);
        fputs("</td>", o);
        html_cell(o, e->detail);
        fputs("</tr>\n", o);
    }
    html_table_end(o);
}

static void detail_controls(FILE *o, const moat_audit *a,
                            const moat_audited *r)
{
    if (r->n_controls == 0)
        return;
    static const char *const columns[] = {"Control", "Status", "CIS", "Why",
                                          NULL};
    html_table_start(o, NULL, "Controls (CIS Microsoft Azure Foundations)",
                     columns);
    for (size_t i = 0; i < r->n_controls; i++) {
        const moat_control_result *k =
            moat_audit_control(a, r->first_control + i);
        const char *status = moat_control_status_name(k->status);
        html_row_start(o, k->control);
        fputs("<td>", o);
        badge(o, status, status);
        fputs("</td><td>", o);
        for (size_t v = 0; v < k->n_cis; v++) {
            fputs(v ? ", " : "", o);
            html_text(o, k->cis[v].version);
            fputs(": ", o);
            html_text(o, k->cis[v].id);
        }
        fputs("</td><td>", o);
        html_text(o, k->reason);
        fprintf(o, " (%s)</td></tr>\n", moat_basis_name(k->basis));
    }
    html_table_end(o);
}

static void details(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    FILE *o = c->out;
    fputs("<section id=\"details\" aria-labelledby=\"h-details\">\n"
          "<h2 id=\"h-details\">Each resource</h2>\n",
          o);
    for (size_t i = 0; i < moat_audit_resource_count(a); i++) {
        const moat_audited *r = moat_audit_resource(a, i);
        fprintf(o, "<section id=\"r-%zu\" aria-labelledby=\"h-r-%zu\" "
                   "data-resource=\"",
                i, i);
        html_text(o, r->id);
        fprintf(o, "\">\n<h3 id=\"h-r-%zu\">", i);
        html_text(o, r->name);
        fprintf(o, " <small>(%s)</small></h3>\n<p class=\"id\">",
                kind_name(r->kind));
        html_text(o, r->id);
        fputs("</p>\n<p>Declared: ", o);
        declared_at(o, r->file, r->line, r->address);
        fputs("</p>\n", o);
        detail_exposure(o, a, r);
        detail_controls(o, a, r);
        fputs("</section>\n", o);
    }
    fputs("</section>\n", o);
}

static void suppressions(const report_ctx *c)
{
    const moat_audit *a = c->audit;
    FILE *o = c->out;
    size_t n = moat_audit_suppression_count(a);
    if (n == 0)
        return;
    static const char *const columns[] = {
        "Rule or fingerprint", "Resource", "Reason", "Expires", "Matched",
        NULL};
    fputs("<section id=\"suppressions\" aria-labelledby=\"h-supp\">\n"
          "<h2 id=\"h-supp\">Suppressions</h2>\n",
          o);
    html_table_start(o, NULL, NULL, columns);
    for (size_t i = 0; i < n; i++) {
        const moat_suppression *s = moat_audit_suppression(a, i);
        html_row_start(o, s->rule ? s->rule : s->fingerprint);
        html_cell(o, s->resource ? s->resource : "*");
        html_cell(o, s->reason);
        fputs("<td>", o);
        html_text(o, s->expires ? s->expires : "never");
        if (s->expired)
            fputs(" <strong>(expired: its findings are reported again)"
                  "</strong>",
                  o);
        fprintf(o, "</td><td>%zu</td></tr>\n", s->matched);
    }
    html_table_end(o);
    fputs("</section>\n", o);
}

void report_html(const report_ctx *c)
{
    char title[96];
    snprintf(title, sizeof title, "moat audit: %zu resources, %s",
             moat_audit_resource_count(c->audit), c->today);
    html_page_start(c->out, title);
    header(c);
    fputs("<main>\n", c->out);
    resources(c);
    not_audited(c);
    exposure_matrix(c);
    reachability(c);
    findings(c);
    details(c);
    suppressions(c);
    fputs("</main>\n", c->out);
    html_page_end(c->out);
}
