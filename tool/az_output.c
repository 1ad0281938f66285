/*
** az_output.c - az's -o json|jsonc|table|tsv|none on JMESPath values, as
** knack's OutputProducer formats a command's result (knack/output.py):
**
** - json: json.dumps(indent=2, sort_keys=True, ensure_ascii=False);
** - jsonc: that text coloured by pygments' JsonLexer and
**   TerminalFormatter (keys bright blue, strings yellow, numbers and
**   literals blue, whitespace wrapped in gray); plain json when stdout is
**   not a terminal (knack's get_formatter);
** - table: each row an object's scalar members (id, type and etag left
**   out; null, list and object values left out), keys sorted unless a
**   --query is active, headers capitalised; a list row gives Column1..N,
**   a scalar Result; laid out as tabulate's "simple" format (columns two
**   spaces apart, at least the header's width plus two, rows
**   right-stripped);
** - tsv: a line per element of a list (one for anything else); an
**   object's values by key (a multiselect hash's in its order), a list
**   row's elements, tab-separated; a nested list as its length, a nested
**   object as nothing, other values as Python's str(); a boolean on its
**   own line in lower case.
**
** A null result prints nothing, in every format (az prints nothing).
*/
#include "az_output_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*--------------------------------------------------------------------------
** Text (in a tool_buf).
*/

/* A number as Python's repr writes it (jp_write writes json.dumps's). */
static void put_number(tool_buf *b, const jp_value *v)
{
    size_t n;
    char *text = jp_write(v, 0, 0, &n);
    if (text == NULL) {
        b->failed = 1;
        return;
    }
    tb_put(b, text, n);
    free(text);
}

void ao_str(tool_buf *b, const jp_value *v)
{
    size_t n;
    const char *s;
    switch (jp_type_of(v)) {
    case JP_NULL: tb_puts(b, "None"); break;
    case JP_BOOL: tb_puts(b, jp_is_true(v) ? "True" : "False"); break;
    case JP_NUMBER: put_number(b, v); break;
    case JP_STRING:
        s = jp_string(v, &n);
        tb_put(b, s, n);
        break;
    default: b->failed = 1; break; /* containers: ao_repr */
    }
}

/* A string as Python's repr writes it: single quotes unless it holds a
** single quote and no double one. */
static void repr_string(tool_buf *b, const char *s, size_t n)
{
    char q = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
    tb_put(b, &q, 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '\\' || c == (unsigned char)q) {
            esc[0] = '\\';
            esc[1] = (char)c;
            tb_put(b, esc, 2);
        } else if (c == '\n' || c == '\t' || c == '\r') {
            tb_puts(b, c == '\n' ? "\\n" : c == '\t' ? "\\t" : "\\r");
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\x%02x", c);
            tb_puts(b, esc);
        } else {
            tb_put(b, (const char *)&s[i], 1);
        }
    }
    tb_put(b, &q, 1);
}

/* repr(v): how a list or dict shows in a table cell. */
static void ao_repr(tool_buf *b, const jp_value *v)
{
    size_t n;
    jp_type t = jp_type_of(v);
    if (t == JP_STRING) {
        const char *s = jp_string(v, &n);
        repr_string(b, s, n);
    } else if (t == JP_ARRAY || t == JP_OBJECT) {
        tb_puts(b, t == JP_ARRAY ? "[" : "{");
        for (size_t i = 0; i < jp_count(v); i++) {
            if (i)
                tb_puts(b, ", ");
            if (t == JP_OBJECT) {
                const char *k = jp_key(v, i, &n);
                repr_string(b, k, n);
                tb_puts(b, ": ");
            }
            ao_repr(b, jp_item(v, i));
        }
        tb_puts(b, t == JP_ARRAY ? "]" : "}");
    } else {
        ao_str(b, v);
    }
}

/*--------------------------------------------------------------------------
** json: keys sorted.
*/
typedef struct keyed {
    const char *key;
    size_t len;
    size_t index;
} keyed;

static int by_key(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->key, b->key, n);
    if (c != 0)
        return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* The member indexes of obj in key order (Python sorts str by code
** point: UTF-8's byte order); NULL when out of memory. */
static keyed *sorted_members(const jp_value *obj)
{
    size_t n = jp_count(obj);
    keyed *k = malloc((n ? n : 1) * sizeof *k);
    if (k == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        k[i].key = jp_key(obj, i, &k[i].len);
        k[i].index = i;
    }
    qsort(k, n, sizeof *k, by_key);
    return k;
}

static const jp_value *sorted_object(jp_arena *a, const jp_value *v)
{
    size_t n = jp_count(v);
    keyed *k = sorted_members(v);
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    size_t *lens = malloc((n ? n : 1) * sizeof *lens);
    const jp_value **vals = malloc((n ? n : 1) * sizeof *vals);
    const jp_value *r = NULL;
    if (k && keys && lens && vals) {
        size_t i = 0;
        for (; i < n; i++) {
            keys[i] = k[i].key;
            lens[i] = k[i].len;
            if ((vals[i] = az_sorted(a, jp_item(v, k[i].index))) == NULL)
                break;
        }
        if (i == n)
            r = jp_new_object(a, keys, lens, vals, n);
    }
    free(k);
    free(keys);
    free(lens);
    free(vals);
    return r;
}

const jp_value *az_sorted(jp_arena *a, const jp_value *v)
{
    jp_type t = jp_type_of(v);
    if (t == JP_OBJECT)
        return sorted_object(a, v);
    if (t != JP_ARRAY)
        return v;
    size_t n = jp_count(v);
    const jp_value **items = malloc((n ? n : 1) * sizeof *items);
    const jp_value *r = NULL;
    if (items) {
        size_t i = 0;
        while (i < n && (items[i] = az_sorted(a, jp_item(v, i))) != NULL)
            i++;
        if (i == n)
            r = jp_new_array(a, items, n);
    }
    free(items);
    return r;
}

static char *format_json(const jp_value *v, size_t *len)
{
    jp_arena *a = jp_arena_new(0, 0);
    const jp_value *s = a ? az_sorted(a, v) : NULL;
    char *text = s ? jp_write(s, JP_WRITE_INDENT, 0, len) : NULL;
    jp_arena_free(a);
    if (text == NULL)
        return NULL;
    tool_buf b = {.s = text, .len = *len, .cap = *len + 1};
    tb_put(&b, "\n", 1);
    return tb_take(&b, len);
}

/*--------------------------------------------------------------------------
** jsonc: pygments' colours on the json text.
*/
#define C_END "\x1b[39;49;00m"
#define C_WHITE "\x1b[37m"

/* A run of blanks, line by line (a line keeps its newline, and an empty
** rest after the last is no line), each wrapped in the whitespace
** colour, as pygments' TerminalFormatter writes a token. */
static void colour_blanks(tool_buf *b, const char *s, size_t n)
{
    size_t start = 0;
    while (start < n) {
        const char *nl = memchr(s + start, '\n', n - start);
        size_t end = nl ? (size_t)(nl - s) : n;
        tb_puts(b, C_WHITE);
        tb_put(b, s + start, end - start);
        tb_puts(b, C_END);
        if (nl)
            tb_put(b, "\n", 1);
        start = end + (nl != NULL);
    }
}

/* The end of the string token starting at s[i] (a quote). */
static size_t string_end(const char *s, size_t n, size_t i)
{
    for (i++; i < n && s[i] != '"'; i++)
        if (s[i] == '\\')
            i++;
    return i < n ? i + 1 : n;
}

static void colour_json(tool_buf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        const char *colour = NULL;
        if (strchr(" \n", s[i])) {
            while (j < n && strchr(" \n", s[j]))
                j++;
            colour_blanks(b, s + i, j - i);
            i = j;
            continue;
        }
        if (s[i] == '"') {
            j = string_end(s, n, i);
            colour = j < n && s[j] == ':' ? "\x1b[94m" : "\x1b[33m";
        } else if (strchr("{}[],:", s[i])) {
            j = i + 1;
        } else {
            while (j < n && !strchr(" \n{}[],:", s[j]))
                j++;
            colour = "\x1b[34m";
        }
        if (colour)
            tb_puts(b, colour);
        tb_put(b, s + i, j - i);
        if (colour)
            tb_puts(b, C_END);
        i = j;
    }
}

static char *format_jsonc(const jp_value *v, size_t *len)
{
    char *plain = format_json(v, len);
    if (plain == NULL)
        return NULL;
    tool_buf b = {0};
    colour_json(&b, plain, *len);
    free(plain);
    return tb_take(&b, len);
}

/*--------------------------------------------------------------------------
** tsv.
*/
static void tsv_cell(tool_buf *b, const jp_value *v)
{
    char count[32];
    switch (jp_type_of(v)) {
    case JP_ARRAY:
        snprintf(count, sizeof count, "%zu", jp_count(v));
        tb_puts(b, count);
        break;
    case JP_OBJECT: break;
    default: ao_str(b, v); break;
    }
}

static void tsv_row(tool_buf *b, const jp_value *v)
{
    jp_type t = jp_type_of(v);
    if (t == JP_OBJECT) {
        keyed *k = jp_is_ordered(v) ? NULL : sorted_members(v);
        if (k == NULL && !jp_is_ordered(v))
            b->failed = 1;
        for (size_t i = 0; i < jp_count(v) && !b->failed; i++) {
            if (i)
                tb_put(b, "\t", 1);
            tsv_cell(b, jp_item(v, k ? k[i].index : i));
        }
        free(k);
    } else if (t == JP_ARRAY) {
        for (size_t i = 0; i < jp_count(v); i++) {
            if (i)
                tb_put(b, "\t", 1);
            tsv_cell(b, jp_item(v, i));
        }
    } else if (t == JP_BOOL) {
        tb_puts(b, jp_is_true(v) ? "true" : "false");
    } else {
        tsv_cell(b, v);
    }
    tb_put(b, "\n", 1);
}

static char *format_tsv(const jp_value *v, size_t *len)
{
    tool_buf b = {0};
    if (jp_type_of(v) == JP_ARRAY) {
        for (size_t i = 0; i < jp_count(v); i++)
            tsv_row(&b, jp_item(v, i));
    } else {
        tsv_row(&b, v);
    }
    return tb_take(&b, len);
}

/*--------------------------------------------------------------------------
** table.
*/
/* One cell of a row: its header (capitalised when hcap) and value. */
typedef struct entry {
    const char *head;
    size_t len;
    int cap;      /* the key's first letter is to be capitalised */
    char num[32]; /* Column<N> */
    const jp_value *v;
} entry;

static int skipped_key(const char *k, size_t n)
{
    return (n == 2 && memcmp(k, "id", 2) == 0) ||
           (n == 4 && memcmp(k, "type", 4) == 0) ||
           (n == 4 && memcmp(k, "etag", 4) == 0);
}

/* The cells of row item, in knack's _auto_table_item order; *n of them
** (malloc'd, NULL when none or out of memory: *failed). */
static entry *row_entries(const jp_value *item, int query_active, size_t *n,
                          int *failed)
{
    jp_type t = jp_type_of(item);
    size_t count = t == JP_OBJECT || t == JP_ARRAY ? jp_count(item) : 1;
    entry *e = malloc((count ? count : 1) * sizeof *e);
    keyed *k = t == JP_OBJECT && !query_active ? sorted_members(item) : NULL;
    *n = 0;
    if (e == NULL || (t == JP_OBJECT && !query_active && k == NULL)) {
        free(e);
        free(k);
        *failed = 1;
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        entry *x = &e[*n];
        memset(x, 0, sizeof *x);
        if (t == JP_OBJECT) {
            size_t at = k ? k[i].index : i;
            x->head = jp_key(item, at, &x->len);
            x->v = jp_item(item, at);
            x->cap = 1;
            jp_type vt = jp_type_of(x->v);
            if (skipped_key(x->head, x->len) || vt == JP_NULL ||
                vt == JP_ARRAY || vt == JP_OBJECT)
                continue;
        } else if (t == JP_ARRAY) {
            snprintf(x->num, sizeof x->num, "Column%zu", i + 1);
            x->v = jp_item(item, i);
        } else {
            snprintf(x->num, sizeof x->num, "Result");
            x->v = item;
        }
        ++*n;
    }
    free(k);
    return e;
}

/* The upper case of a two-byte UTF-8 letter c0 c1 as Python's upper()
** has it, for Latin-1, Latin Extended-A, Greek and Cyrillic (the rest:
** unchanged); 0 when unchanged. */
static unsigned upper_cp(unsigned cp)
{
    if ((cp >= 0xe0 && cp <= 0xfe && cp != 0xf7) ||
        (cp >= 0x3b1 && cp <= 0x3cb && cp != 0x3c2) ||
        (cp >= 0x430 && cp <= 0x44f))
        return cp - 0x20;
    if (cp >= 0x450 && cp <= 0x45f)
        return cp - 0x50;
    if (cp >= 0x100 && cp <= 0x17f && cp != 0x130 && cp != 0x131 &&
        cp != 0x138 && cp != 0x149 && cp != 0x17f &&
        ((cp < 0x139 || (cp > 0x148 && cp < 0x179)) ? cp % 2 : !(cp % 2)))
        return cp - 1;
    return 0;
}

/* s's first letter in upper case (knack's _capitalize_first_char). */
static void capitalize(char *s)
{
    unsigned char c0 = (unsigned char)s[0], c1 = (unsigned char)s[1];
    if (c0 >= 'a' && c0 <= 'z') {
        s[0] = (char)(c0 - 'a' + 'A');
        return;
    }
    if ((c0 & 0xe0) != 0xc0 || (c1 & 0xc0) != 0x80)
        return;
    unsigned up = upper_cp(((c0 & 0x1fu) << 6) | (c1 & 0x3fu));
    if (up >= 0x80 && up < 0x800) {
        s[0] = (char)(0xc0 | (up >> 6));
        s[1] = (char)(0x80 | (up & 0x3f));
    }
}

/* The header of e as tabulate shows it (malloc'd). */
static char *header_of(const entry *e)
{
    const char *h = e->head ? e->head : e->num;
    size_t n = e->head ? e->len : strlen(e->num);
    char *s = malloc(n + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, h, n);
    s[n] = '\0';
    if (e->cap)
        capitalize(s);
    return s;
}

typedef struct table {
    size_t rows, cols, cap;
    char **headers;
    size_t *widths; /* code points */
    char **cells;   /* rows x cols, "" when the row has no such cell */
    int failed;
} table;

static size_t width_of(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

/* The column of header h (taken, or freed when known); -1 on failure. */
static long column_of(table *t, char *h)
{
    if (h == NULL)
        return -1;
    for (size_t c = 0; c < t->cols; c++)
        if (strcmp(t->headers[c], h) == 0) {
            free(h);
            return (long)c;
        }
    if (t->cols == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 8;
        char **hs = realloc(t->headers, cap * sizeof *hs);
        if (hs == NULL) {
            free(h);
            return -1;
        }
        t->headers = hs;
        t->cap = cap;
    }
    t->headers[t->cols] = h;
    return (long)t->cols++;
}

/* Python's str() of v (repr for a list or dict), stripped as tabulate
** strips cells; "" for null (tabulate's missingval). */
static char *cell_text(const jp_value *v)
{
    tool_buf b = {0};
    jp_type t = jp_type_of(v);
    if (t == JP_NULL)
        tb_put(&b, "", 0);
    else if (t == JP_ARRAY || t == JP_OBJECT)
        ao_repr(&b, v);
    else
        ao_str(&b, v);
    size_t n;
    char *s = tb_take(&b, &n);
    if (s == NULL)
        return NULL;
    size_t lead = strspn(s, " \t\n\r\v\f");
    memmove(s, s + lead, n - lead + 1);
    n -= lead;
    while (n > 0 && strchr(" \t\n\r\v\f", s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* Pass one: the columns, in the order rows first name them. */
static void table_columns(table *t, const jp_value *const *rows,
                          int query_active)
{
    for (size_t r = 0; r < t->rows && !t->failed; r++) {
        size_t n;
        entry *e = row_entries(rows[r], query_active, &n, &t->failed);
        for (size_t i = 0; i < n && !t->failed; i++)
            if (column_of(t, header_of(&e[i])) < 0)
                t->failed = 1;
        free(e);
    }
}

/* The column at least as wide as each line of text. */
static void widen(table *t, size_t c, const char *text)
{
    for (const char *p = text; p;) {
        const char *nl = strchr(p, '\n');
        size_t w = 0;
        for (const char *q = p; *q && q != nl; q++)
            w += ((unsigned char)*q & 0xc0) != 0x80;
        if (w > t->widths[c])
            t->widths[c] = w;
        p = nl ? nl + 1 : NULL;
    }
}

/* Pass two: each row's cells under their columns, and the widths. */
static void table_cells(table *t, const jp_value *const *rows,
                        int query_active)
{
    t->cells = calloc(t->rows * t->cols + 1, sizeof *t->cells);
    t->widths = calloc(t->cols + 1, sizeof *t->widths);
    if (t->cells == NULL || t->widths == NULL) {
        t->failed = 1;
        return;
    }
    for (size_t c = 0; c < t->cols; c++)
        t->widths[c] = width_of(t->headers[c]) + 2; /* MIN_PADDING */
    for (size_t r = 0; r < t->rows && !t->failed; r++) {
        size_t n;
        entry *e = row_entries(rows[r], query_active, &n, &t->failed);
        for (size_t i = 0; i < n && !t->failed; i++) {
            long c = column_of(t, header_of(&e[i]));
            if (c < 0) {
                t->failed = 1;
                break;
            }
            char **cell = &t->cells[r * t->cols + (size_t)c];
            free(*cell); /* a later key of the same header wins */
            if ((*cell = cell_text(e[i].v)) == NULL)
                t->failed = 1;
            else
                widen(t, (size_t)c, *cell);
        }
        free(e);
    }
}

/* Line k of text (lines split at newlines, as tabulate's multiline
** cells are), its length in *n; "" past the last. */
static const char *line_of(const char *text, size_t k, size_t *n)
{
    for (; k > 0 && text; k--) {
        text = strchr(text, '\n');
        text = text ? text + 1 : NULL;
    }
    if (text == NULL) {
        *n = 0;
        return "";
    }
    const char *nl = strchr(text, '\n');
    *n = nl ? (size_t)(nl - text) : strlen(text);
    return text;
}

static size_t width_n(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        w += ((unsigned char)s[i] & 0xc0) != 0x80;
    return w;
}

/* Line k of a row: each text's line k padded to the widths, two spaces
** apart, right-stripped. */
static void table_line(tool_buf *b, const table *t, char *const *texts,
                       int dashes, size_t k)
{
    size_t start = b->len;
    for (size_t c = 0; c < t->cols; c++) {
        size_t n = 0;
        const char *s =
            texts && texts[c] ? line_of(texts[c], k, &n) : line_of("", 0, &n);
        size_t w = dashes ? 0 : width_n(s, n);
        if (c)
            tb_puts(b, "  ");
        tb_put(b, s, n);
        for (; w < t->widths[c]; w++)
            tb_put(b, dashes ? "-" : " ", 1);
    }
    while (!b->failed && b->len > start && b->s[b->len - 1] == ' ')
        b->s[--b->len] = '\0';
    tb_put(b, "\n", 1);
}

/* The lines a row takes: its tallest cell's; in a table with a cell of
** several lines (tabulate's multiline mode), an empty cell has none, so
** an empty row takes none. */
static size_t row_height(const table *t, char *const *texts, int multiline)
{
    size_t h = !multiline;
    for (size_t c = 0; c < t->cols; c++) {
        size_t lines = texts[c] && texts[c][0] ? 1 : !multiline;
        for (const char *p = texts[c]; p && (p = strchr(p, '\n')); p++)
            lines++;
        if (lines > h)
            h = lines;
    }
    return h;
}

static void table_free(table *t)
{
    for (size_t i = 0; t->cells && i < t->rows * t->cols; i++)
        free(t->cells[i]);
    for (size_t c = 0; c < t->cols; c++)
        free(t->headers[c]);
    free(t->cells);
    free(t->headers);
    free(t->widths);
}

static char *format_table(const jp_value *v, int query_active, size_t *len)
{
    int list = jp_type_of(v) == JP_ARRAY;
    size_t n = list ? jp_count(v) : 1;
    const jp_value **rows = malloc((n ? n : 1) * sizeof *rows);
    table t = {.rows = n, .failed = rows == NULL};
    for (size_t i = 0; rows && i < n; i++)
        rows[i] = list ? jp_item(v, i) : v;
    if (!t.failed)
        table_columns(&t, rows, query_active);
    if (!t.failed)
        table_cells(&t, rows, query_active);
    tool_buf b = {.failed = t.failed};
    if (t.cols > 0) { /* tabulate prints nothing without columns */
        table_line(&b, &t, t.headers, 0, 0);
        table_line(&b, &t, NULL, 1, 0);
        int multiline = 0;
        for (size_t i = 0; i < t.rows * t.cols; i++)
            multiline |= t.cells[i] && strchr(t.cells[i], '\n') != NULL;
        for (size_t r = 0; r < t.rows; r++)
            for (size_t k = 0;
                 k < row_height(&t, &t.cells[r * t.cols], multiline); k++)
                table_line(&b, &t, &t.cells[r * t.cols], 0, k);
    } else {
        tb_puts(&b, "\n");
    }
    table_free(&t);
    free(rows);
    return tb_take(&b, len);
}

/*--------------------------------------------------------------------------
** The formats.
*/
int az_output_parse(const char *text, az_output *out)
{
    static const char *const names[] = {"json", "jsonc", "table",
                                        "tsv",  "yaml",  "none"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (az_output)i;
            return 0;
        }
    return -1;
}

char *az_output_format(const jp_value *v, az_output f, int query_active,
                       size_t *len)
{
    if (jp_type_of(v) == JP_NULL || f == AZ_OUT_NONE) {
        tool_buf b = {0};
        return tb_take(&b, len);
    }
    switch (f) {
    case AZ_OUT_JSONC: return format_jsonc(v, len);
    case AZ_OUT_TABLE: return format_table(v, query_active, len);
    case AZ_OUT_TSV: return format_tsv(v, len);
    case AZ_OUT_YAML: return ao_yaml(v, len);
    default: return format_json(v, len);
    }
}

int az_output_print(FILE *fp, const jp_value *v, az_output f,
                    int query_active)
{
    if (f == AZ_OUT_JSONC && !isatty(fileno(fp)))
        f = AZ_OUT_JSON; /* knack: no colour when stdout is not a tty */
    size_t len;
    char *text = az_output_format(v, f, query_active, &len);
    if (text == NULL)
        return -1;
    size_t put = fwrite(text, 1, len, fp);
    free(text);
    return put == len ? 0 : -1;
}
