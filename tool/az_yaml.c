/*
** az_yaml.c - az's -o yaml: yaml.safe_dump(result, default_flow_style=
** False, allow_unicode=True), as PyYAML's emitter writes it: block style,
** keys sorted, a list under a key not indented, empty containers as [] and
** {}, a plain scalar at the top followed by "...".
**
** A string is written plain when PyYAML's analysis allows it (no leading
** or trailing blanks, no indicator where YAML would read one, no control
** characters) and its text would not read back as another type (YAML
** 1.1's implicit resolvers: booleans such as yes and off, numbers, null,
** timestamps, "<<", "="); else single-quoted when allowed, else double-
** quoted with escapes. Plain and single-quoted text longer than the line
** (80 columns) is folded at single spaces, as PyYAML folds it.
** Not done: folding double-quoted text (only strings with line breaks or
** control characters are double-quoted); keys of 128 characters and more
** (PyYAML writes them as "? key").
*/
#include "az_output_int.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define BEST_WIDTH 80

typedef struct yw {
    tool_buf b;
    size_t column;
    regex_t implicit[6];
    int compiled;
} yw;

static void put(yw *w, const char *s, size_t n)
{
    tb_put(&w->b, s, n);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            w->column = 0;
        else if (((unsigned char)s[i] & 0xc0) != 0x80)
            w->column++;
    }
}

static void puts_(yw *w, const char *s)
{
    put(w, s, strlen(s));
}

static void newline_indent(yw *w, size_t indent)
{
    put(w, "\n", 1);
    for (size_t i = 0; i < indent; i++)
        put(w, " ", 1);
}

/*--------------------------------------------------------------------------
** Which style a string takes.
*/
/* YAML 1.1's implicit resolvers (PyYAML's resolver.py), as POSIX EREs. */
static const char *const implicit_patterns[] = {
    "^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
    "^([-+]?([0-9][0-9_]*)\\.[0-9_]*([eE][-+][0-9]+)?|\\.[0-9][0-9_]*([eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
    "^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$",
    "^(<<|=)$",
    "^(~|null|Null|NULL|)$",
    "^([0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?([Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](\\.[0-9]*)?([ \t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?))?)$",
};

/* Whether s, written plain, would read back as something else. */
static int resolves_elsewhere(yw *w, const char *s, size_t n)
{
    if (memchr(s, '\0', n))
        return 0;
    for (size_t i = 0; i < 6; i++)
        if (regexec(&w->implicit[i], s, 0, NULL, 0) == 0)
            return 1;
    return 0;
}

/* The code point at s[*i] (UTF-8), advancing *i. */
static unsigned long next_cp(const char *s, size_t n, size_t *i)
{
    unsigned char c = (unsigned char)s[(*i)++];
    int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    unsigned long cp = more ? c & (0x3f >> more) : c;
    while (more-- > 0 && *i < n)
        cp = (cp << 6) | ((unsigned char)s[(*i)++] & 0x3f);
    return cp;
}

static int is_break(unsigned long c)
{
    return c == '\n' || c == 0x85 || c == 0x2028 || c == 0x2029;
}

static int is_blank_or_end(unsigned long c)
{
    return c == 0 || c == ' ' || c == '\t' || c == '\r' || is_break(c);
}

static int printable_unicode(unsigned long c)
{
    return (c == 0x85 || (c >= 0xa0 && c <= 0xd7ff) ||
            (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c < 0x10ffff)) &&
           c != 0xfeff;
}

typedef struct analysis {
    int flow_ind, block_ind, breaks, special;
    int lead_space, lead_break, trail_space, trail_break;
    int break_space, space_break;
} analysis;

/* PyYAML's indicators for the character c at index i. */
static void indicators(analysis *an, unsigned long c, size_t i, int before_ws,
                       int after_ws)
{
    if (i == 0) {
        if (c && strchr("#,[]{}&*!|>'\"%@`", (int)c))
            an->flow_ind = an->block_ind = 1;
        if (c == '?' || c == ':') {
            an->flow_ind = 1;
            an->block_ind |= after_ws;
        }
        if (c == '-' && after_ws)
            an->flow_ind = an->block_ind = 1;
    } else {
        if (c && strchr(",?[]{}", (int)c))
            an->flow_ind = 1;
        if (c == ':') {
            an->flow_ind = 1;
            an->block_ind |= after_ws;
        }
        if (c == '#' && before_ws)
            an->flow_ind = an->block_ind = 1;
    }
}

/* PyYAML's analyze_scalar, on code points. */
static void analyze(analysis *an, const char *s, size_t n)
{
    memset(an, 0, sizeof *an);
    if (n >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
        an->flow_ind = an->block_ind = 1;
    int prev_space = 0, prev_break = 0, before_ws = 1;
    size_t i = 0, index = 0;
    while (i < n) {
        unsigned long c = next_cp(s, n, &i);
        size_t j = i;
        int after_ws = i >= n || is_blank_or_end(next_cp(s, n, &j));
        int last = i >= n;
        indicators(an, c, index, before_ws, after_ws);
        an->breaks |= is_break(c);
        if (!(c == '\n' || (c >= 0x20 && c <= 0x7e)) && !printable_unicode(c))
            an->special = 1;
        if (c == ' ') {
            an->lead_space |= index == 0;
            an->trail_space |= last;
            an->break_space |= prev_break;
            prev_space = 1;
            prev_break = 0;
        } else if (is_break(c)) {
            an->lead_break |= index == 0;
            an->trail_break |= last;
            an->space_break |= prev_space;
            prev_space = 0;
            prev_break = 1;
        } else {
            prev_space = prev_break = 0;
        }
        before_ws = is_blank_or_end(c);
        index++;
    }
}

/* 'p' plain, 's' single-quoted, 'd' double-quoted (choose_scalar_style,
** block context). */
static char style_of(yw *w, const char *s, size_t n, int key)
{
    analysis an;
    analyze(&an, s, n);
    int plain = !(an.lead_space || an.lead_break || an.trail_space ||
                  an.trail_break || an.break_space || an.space_break ||
                  an.special || an.breaks || an.block_ind);
    int single = !(an.break_space || an.space_break || an.special);
    if (plain && n > 0 && !resolves_elsewhere(w, s, n))
        return 'p';
    if (single && !(key && an.breaks))
        return 's';
    return 'd';
}

/*--------------------------------------------------------------------------
** Writing scalars.
*/
/* Plain or single-quoted text, a single space folded into a line break
** once past the width (not for keys; single-quoted: not at either end). */
static void write_folded(yw *w, const char *s, size_t n, char style,
                         size_t indent, int split)
{
    if (style == 's')
        put(w, "'", 1);
    size_t start = 0;
    for (size_t end = 0; end <= n; end++) {
        int at_space = end < n && s[end] == ' ';
        int single_space = at_space && (end + 1 >= n || s[end + 1] != ' ') &&
                           (end == 0 || s[end - 1] != ' ');
        if (end == n || at_space || s[end] == '\n' ||
            (style == 's' && s[end] == '\'')) {
            put(w, s + start, end - start);
            start = end;
        }
        if (style == 's' && end < n && s[end] == '\n') {
            /* a run of line breaks: one more, then the indent */
            size_t run = end;
            while (run < n && s[run] == '\n')
                run++;
            for (size_t k = end; k <= run; k++)
                put(w, "\n", 1);
            for (size_t k = 0; k < indent; k++)
                put(w, " ", 1);
            start = run;
            end = run - 1;
            continue;
        }
        if (single_space && split && w->column > BEST_WIDTH &&
            (style == 'p' || (end != 0 && end != n - 1))) {
            newline_indent(w, indent);
            start = end + 1;
        } else if (end < n && style == 's' && s[end] == '\'') {
            put(w, "''", 2);
            start = end + 1;
        }
    }
    if (style == 's')
        put(w, "'", 1);
}

static void write_double(yw *w, const char *s, size_t n)
{
    static const char from[] = "\0\a\b\t\n\v\f\r\x1b\"\\";
    static const char to[] = "0abtnvfre\"\\";
    put(w, "\"", 1);
    size_t i = 0;
    while (i < n) {
        size_t at = i;
        unsigned long c = next_cp(s, n, &i);
        const char *e = c < 0x80 ? memchr(from, (int)c, sizeof from - 1) : NULL;
        char esc[32];
        if (e) {
            esc[0] = '\\';
            esc[1] = to[e - from];
            put(w, esc, 2);
        } else if (c == 0x85 || c == 0x2028 || c == 0x2029 || c == 0xfeff ||
                   !((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) ||
                     (c >= 0xe000 && c <= 0xfffd))) {
            const char *named = c == 0x85     ? "\\N"
                                : c == 0x2028 ? "\\L"
                                : c == 0x2029 ? "\\P"
                                              : NULL;
            if (named)
                snprintf(esc, sizeof esc, "%s", named);
            else if (c <= 0xff)
                snprintf(esc, sizeof esc, "\\x%02lX", c);
            else if (c <= 0xffff)
                snprintf(esc, sizeof esc, "\\u%04lX", c);
            else
                snprintf(esc, sizeof esc, "\\U%08lX", c);
            puts_(w, esc);
        } else {
            put(w, s + at, i - at);
        }
    }
    put(w, "\"", 1);
}

/* A scalar; returns its style ('p' for numbers, booleans, null). */
static char write_scalar(yw *w, const jp_value *v, size_t indent, int key)
{
    size_t n;
    switch (jp_type_of(v)) {
    case JP_NULL: puts_(w, "null"); return 'p';
    case JP_BOOL: puts_(w, jp_is_true(v) ? "true" : "false"); return 'p';
    case JP_NUMBER: {
        tool_buf b = {0};
        ao_str(&b, v);
        char *t = tb_take(&b, &n);
        if (t == NULL) {
            w->b.failed = 1;
            return 'p';
        }
        /* represent_float: repr lower-cased, 1e+20 as 1.0e+20 */
        char *e = strchr(t, 'e');
        if (e && !strchr(t, '.')) {
            put(w, t, (size_t)(e - t));
            puts_(w, ".0");
            puts_(w, e);
        } else {
            put(w, t, n);
        }
        free(t);
        return 'p';
    }
    default: break;
    }
    const char *s = jp_string(v, &n);
    char style = style_of(w, s, n, key);
    if (style == 'd')
        write_double(w, s, n);
    else
        write_folded(w, s, n, style, indent, !key);
    return style;
}

/*--------------------------------------------------------------------------
** Block collections.
*/
enum { CTX_ROOT, CTX_MAP_VALUE, CTX_SEQ_ITEM };

static int is_block(const jp_value *v)
{
    jp_type t = jp_type_of(v);
    return (t == JP_ARRAY || t == JP_OBJECT) && jp_count(v) > 0;
}

static void emit(yw *w, const jp_value *v, size_t indent, int ctx);

/* Where the i-th entry of a block collection at indent starts. */
static void entry_start(yw *w, size_t i, size_t indent, int ctx)
{
    if (i == 0 && ctx == CTX_SEQ_ITEM)
        put(w, " ", 1);
    else if (!(i == 0 && ctx == CTX_ROOT))
        newline_indent(w, indent);
}

static void emit_mapping(yw *w, const jp_value *v, size_t indent, int ctx)
{
    jp_arena *a = jp_arena_new(0, 0);
    const jp_value *s = a ? az_sorted(a, v) : NULL;
    if (s == NULL)
        w->b.failed = 1;
    for (size_t i = 0; s && i < jp_count(s) && !w->b.failed; i++) {
        size_t n;
        const char *k = jp_key(s, i, &n);
        const jp_value *item = jp_item(s, i);
        entry_start(w, i, indent, ctx);
        const jp_value *key = jp_new_string(a, k, n);
        if (key == NULL) {
            w->b.failed = 1;
            break;
        }
        write_scalar(w, key, indent, 1);
        put(w, ":", 1);
        int seq = jp_type_of(item) == JP_ARRAY;
        emit(w, item, is_block(item) && !seq ? indent + 2 : indent,
             CTX_MAP_VALUE);
    }
    jp_arena_free(a);
}

static void emit(yw *w, const jp_value *v, size_t indent, int ctx)
{
    if (!is_block(v)) {
        jp_type t = jp_type_of(v);
        if (ctx != CTX_ROOT)
            put(w, " ", 1);
        if (t == JP_ARRAY || t == JP_OBJECT) {
            puts_(w, t == JP_ARRAY ? "[]" : "{}");
        } else {
            size_t cont = ctx == CTX_ROOT       ? 2
                          : ctx == CTX_SEQ_ITEM ? indent
                                                : indent + 2;
            char style = write_scalar(w, v, cont, 0);
            if (ctx == CTX_ROOT && style == 'p')
                puts_(w, "\n..."); /* PyYAML's open-ended document */
        }
        return;
    }
    if (jp_type_of(v) == JP_OBJECT) {
        emit_mapping(w, v, indent, ctx);
        return;
    }
    for (size_t i = 0; i < jp_count(v) && !w->b.failed; i++) {
        entry_start(w, i, indent, ctx);
        put(w, "-", 1);
        emit(w, jp_item(v, i), indent + 2, CTX_SEQ_ITEM);
    }
}

char *ao_yaml(const jp_value *v, size_t *len)
{
    yw w = {.b = {0}};
    size_t i = 0;
    for (; i < 6; i++)
        if (regcomp(&w.implicit[i], implicit_patterns[i],
                    REG_EXTENDED | REG_NOSUB) != 0)
            break;
    if (i < 6)
        w.b.failed = 1;
    else
        emit(&w, v, 0, CTX_ROOT);
    put(&w, "\n", 1);
    while (i-- > 0)
        regfree(&w.implicit[i]);
    return tb_take(&w.b, len);
}
