/*
** textdiff.c - a unified diff of two texts, for --dry-run. The lines both
** texts share at the start and the end are set aside; the middle is
** compared by longest common subsequence, which is exact and cheap for the
** few lines a rule change touches (a very large middle is shown as one
** replaced block instead).
*/
#include "textdiff.h"

#include <stdlib.h>
#include <string.h>

#define CONTEXT 3
#define MAX_CELLS (16u * 1024 * 1024)

typedef struct lines {
    const char **at;
    size_t *len; /* with the newline, when there is one */
    size_t n;
} lines;

static int split_lines(const char *s, size_t n, lines *out)
{
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += s[i] == '\n';
    out->at = malloc(cap * sizeof *out->at);
    out->len = malloc(cap * sizeof *out->len);
    out->n = 0;
    if (out->at == NULL || out->len == NULL)
        return -1;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            out->at[out->n] = s + start;
            out->len[out->n++] = i + 1 - start;
            start = i + 1;
        }
    }
    if (start < n) {
        out->at[out->n] = s + start;
        out->len[out->n++] = n - start;
    }
    return 0;
}

static int same(const lines *a, size_t i, const lines *b, size_t j)
{
    return a->len[i] == b->len[j] && memcmp(a->at[i], b->at[j], a->len[i]) == 0;
}

/* One line of the script: ' ', '-' or '+' with its text. */
typedef struct op {
    char kind;
    const char *text;
    size_t len;
} op;

static void put_line(FILE *out, char kind, const char *text, size_t len)
{
    fputc(kind, out);
    fwrite(text, 1, len, out);
    if (len == 0 || text[len - 1] != '\n')
        fputs("\n\\ No newline at end of file\n", out);
}

/* The edit script of a[lo_a..hi_a) against b[lo_b..hi_b), appended to ops. */
static size_t script(const lines *a, size_t lo_a, size_t hi_a, const lines *b,
                     size_t lo_b, size_t hi_b, op *ops, size_t k)
{
    size_t n = hi_a - lo_a, m = hi_b - lo_b;
    unsigned *t = NULL;
    if (n && m && (n + 1) * (m + 1) <= MAX_CELLS)
        t = calloc((n + 1) * (m + 1), sizeof *t);
    if (t == NULL) { /* all of a out, all of b in */
        for (size_t i = lo_a; i < hi_a; i++)
            ops[k++] = (op){'-', a->at[i], a->len[i]};
        for (size_t j = lo_b; j < hi_b; j++)
            ops[k++] = (op){'+', b->at[j], b->len[j]};
        return k;
    }
#define T(i, j) t[(i) * (m + 1) + (j)]
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            T(i, j) =
                same(a, lo_a + i, b, lo_b + j)
                    ? T(i + 1, j + 1) + 1
                    : (T(i + 1, j) > T(i, j + 1) ? T(i + 1, j) : T(i, j + 1));
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && same(a, lo_a + i, b, lo_b + j)) {
            ops[k++] = (op){' ', a->at[lo_a + i], a->len[lo_a + i]};
            i++, j++;
        } else if (i < n && (j == m || T(i + 1, j) >= T(i, j + 1))) {
            ops[k++] = (op){'-', a->at[lo_a + i], a->len[lo_a + i]};
            i++;
        } else {
            ops[k++] = (op){'+', b->at[lo_b + j], b->len[lo_b + j]};
            j++;
        }
    }
#undef T
    free(t);
    return k;
}

/* Prints the hunks of ops (a whole-file script) with CONTEXT lines around
** each change; changes closer than 2 * CONTEXT share a hunk. */
static void print_hunks(FILE *out, const op *ops, size_t n)
{
    size_t i = 0, line_a = 1, line_b = 1; /* lines of ops[i] */
    while (i < n) {
        size_t c = i;
        while (c < n && ops[c].kind == ' ')
            c++;
        if (c == n)
            break;
        size_t last = c;
        for (size_t k = c + 1; k < n && k - last <= 2 * CONTEXT; k++) {
            if (ops[k].kind != ' ')
                last = k;
        }
        size_t start = c - i > CONTEXT ? c - CONTEXT : i;
        size_t end = last + 1 + CONTEXT < n ? last + 1 + CONTEXT : n;
        for (; i < start; i++)
            line_a++, line_b++;
        size_t na = 0, nb = 0;
        for (size_t k = start; k < end; k++) {
            na += ops[k].kind != '+';
            nb += ops[k].kind != '-';
        }
        fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", na ? line_a : line_a - 1, na,
                nb ? line_b : line_b - 1, nb);
        for (; i < end; i++) {
            put_line(out, ops[i].kind, ops[i].text, ops[i].len);
            line_a += ops[i].kind != '+';
            line_b += ops[i].kind != '-';
        }
    }
}

int text_diff(FILE *out, const char *name, const char *a, size_t alen,
              const char *b, size_t blen)
{
    lines la = {NULL, NULL, 0}, lb = {NULL, NULL, 0};
    int rc = -1;
    op *ops = NULL;
    if (split_lines(a, alen, &la) == 0 && split_lines(b, blen, &lb) == 0) {
        size_t pre = 0;
        while (pre < la.n && pre < lb.n && same(&la, pre, &lb, pre))
            pre++;
        size_t post = 0;
        while (post < la.n - pre && post < lb.n - pre &&
               same(&la, la.n - 1 - post, &lb, lb.n - 1 - post))
            post++;
        ops = malloc((la.n + lb.n + 1) * sizeof *ops);
        if (ops) {
            size_t k = 0;
            for (size_t i = 0; i < pre; i++)
                ops[k++] = (op){' ', la.at[i], la.len[i]};
            k = script(&la, pre, la.n - post, &lb, pre, lb.n - post, ops, k);
            for (size_t i = la.n - post; i < la.n; i++)
                ops[k++] = (op){' ', la.at[i], la.len[i]};
            while (*name == '/')
                name++;
            fprintf(out, "--- a/%s\n+++ b/%s\n", name, name);
            print_hunks(out, ops, k);
            rc = 0;
        }
    }
    free(ops);
    free(la.at);
    free(la.len);
    free(lb.at);
    free(lb.len);
    return rc;
}
