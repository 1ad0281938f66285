/*
** jmespath_json.c - JSON text in and out of the JMESPath engine's values:
** a strict reader (RFC 8259, UTF-8 checked, objects as Python's json
** builds them) and a writer that prints as Python's json.dumps does,
** which is how az prints: numbers as Python's int and float repr, the
** same escapes, indent=2 or compact, ensure_ascii on request.
*/
#include "jmespath_int.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*--------------------------------------------------------------------------
** UTF-8.
*/
/* The length of the valid UTF-8 sequence at s[0..n), or 0 (overlong
** forms, surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_valid(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (len == 0 || s[0] > 0xf4 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    }
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return len;
}

size_t jp_utf8_check(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t len = utf8_valid((const unsigned char *)s + i, n - i);
        if (len == 0)
            return i;
        i += len;
    }
    return n;
}

/* Writes code point cp (a lone surrogate too, as its three bytes: Python
** strings may hold one) at out; returns the bytes written. */
static size_t utf8_put(char *out, unsigned long cp)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/*--------------------------------------------------------------------------
** Reading.
*/
static int hex4(const char *s, size_t n, size_t at, unsigned long *out)
{
    if (at + 4 > n)
        return 0;
    unsigned long v = 0;
    for (size_t i = at; i < at + 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return 0;
        v = v * 16 + (unsigned long)d;
    }
    *out = v;
    return 1;
}

/* The escape \u at s[at] (a surrogate pair joined); the bytes it takes in
** *used. 0 when malformed. */
static int unicode_escape(const char *s, size_t n, size_t at, unsigned long *cp,
                          size_t *used)
{
    if (!hex4(s, n, at + 2, cp))
        return 0;
    *used = 6;
    unsigned long low;
    if (*cp >= 0xd800 && *cp < 0xdc00 && at + 7 < n && s[at + 6] == '\\' &&
        s[at + 7] == 'u' && hex4(s, n, at + 8, &low) && low >= 0xdc00 &&
        low < 0xe000) {
        *cp = 0x10000 + ((*cp - 0xd800) << 10) + (low - 0xdc00);
        *used = 12;
    }
    return 1;
}

/* One escape at s[i] (a backslash) written at out; its length in *used
** and the bytes written returned; 0 when invalid. */
static size_t one_escape(const char *s, size_t n, size_t i, char *out,
                         size_t *used)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    if (i + 1 >= n)
        return 0;
    const char *e = s[i + 1] ? strchr(from, s[i + 1]) : NULL;
    if (e) {
        *out = to[e - from];
        *used = 2;
        return 1;
    }
    unsigned long cp;
    if (s[i + 1] != 'u' || !unicode_escape(s, n, i, &cp, used))
        return 0;
    return utf8_put(out, cp);
}

char *jp_json_unescape(jp_arena *a, const char *s, size_t n, size_t *out_len,
                       jp_error *err)
{
    char *out = jp_alloc(a, n + 1); /* escapes never grow */
    if (out == NULL)
        return jp_fail(err, a->failure, 0, "the string does not fit");
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t used = 1;
        if (c == '\\') {
            size_t w = one_escape(s, n, i, out + o, &used);
            if (w == 0)
                return jp_fail(
                    err, JP_ERR_JSON, i,
                    "invalid escape in a string: \\%.1s (JSON has \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)",
                    i + 1 < n ? s + i + 1 : "");
            o += w;
        } else if (c < 0x20) {
            return jp_fail(
                err, JP_ERR_JSON, i,
                "a control character (0x%02x) in a string: write it as an escape",
                c);
        } else if ((used = utf8_valid((const unsigned char *)s + i, n - i)) ==
                   0) {
            return jp_fail(err, JP_ERR_JSON, i, "invalid UTF-8 in a string");
        } else {
            memcpy(out + o, s + i, used);
            o += used;
        }
        i += used;
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

typedef struct reader {
    jp_arena *a;
    const char *s;
    size_t n, i;
    jp_error *err;
} reader;

static const jp_value *read_value(reader *r, unsigned depth);

static void skip_space(reader *r)
{
    while (r->i < r->n && (r->s[r->i] == ' ' || r->s[r->i] == '\t' ||
                           r->s[r->i] == '\n' || r->s[r->i] == '\r'))
        r->i++;
}

static const jp_value *read_fail(reader *r, jp_errkind kind, const char *what)
{
    if (kind != JP_ERR_JSON)
        return jp_fail(r->err, kind, r->i, "%s",
                       kind == JP_ERR_LIMIT ? "the JSON is too large or deep"
                                            : "out of memory");
    return jp_fail(r->err, JP_ERR_JSON, r->i, "%s",
                   what ? what : "invalid JSON");
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Moves *i past digits; 0 when there is none. */
static int skip_digits(const reader *r, size_t *i)
{
    size_t start = *i;
    while (*i < r->n && is_digit(r->s[*i]))
        ++*i;
    return *i > start;
}

/* A JSON number: an int (as Python reads it) without fraction or
** exponent. */
static const jp_value *read_number(reader *r)
{
    size_t start = r->i, i = r->i;
    int is_int = 1, ok = 1;
    if (i < r->n && r->s[i] == '-')
        i++;
    if (i < r->n && r->s[i] == '0')
        i++; /* "01" is a 0 that something follows */
    else
        ok = skip_digits(r, &i);
    if (ok && i < r->n && r->s[i] == '.') {
        is_int = 0;
        i++;
        ok = skip_digits(r, &i);
    }
    if (ok && i < r->n && (r->s[i] == 'e' || r->s[i] == 'E')) {
        is_int = 0;
        if (++i < r->n && (r->s[i] == '+' || r->s[i] == '-'))
            i++;
        ok = skip_digits(r, &i);
    }
    r->i = i;
    if (!ok)
        return read_fail(r, JP_ERR_JSON, "expected a digit");
    size_t len = i - start;
    char small[64], *text = small; /* strtod wants a NUL after the digits */
    if (len >= sizeof small &&
        (text = jp_strdup(r->a, r->s + start, len)) == NULL)
        return read_fail(r, r->a->failure, NULL);
    if (text == small) {
        memcpy(small, r->s + start, len);
        small[len] = '\0';
    }
    const jp_value *v = jp_number_value(r->a, strtod(text, NULL), is_int);
    return v ? v : read_fail(r, r->a->failure, NULL);
}

/* The string at r->i (its opening quote): body found, then unescaped. */
static const char *read_string(reader *r, size_t *len)
{
    size_t start = ++r->i;
    while (r->i < r->n && r->s[r->i] != '"')
        r->i += r->s[r->i] == '\\' ? 2 : 1;
    if (r->i >= r->n) {
        r->i = r->n;
        read_fail(r, JP_ERR_JSON, "a string without its closing quote");
        return NULL;
    }
    jp_error e = {0};
    char *s = jp_json_unescape(r->a, r->s + start, r->i - start, len, &e);
    if (s == NULL) {
        r->i = start + e.offset;
        jp_fail(r->err, e.kind, r->i, "%s", e.message);
        return NULL;
    }
    r->i++;
    return s;
}

/* Skips the opening bracket and blanks: 1 when close follows at once
** (consumed: the container is empty). */
static int opens_empty(reader *r, char close)
{
    r->i++;
    skip_space(r);
    if (r->i < r->n && r->s[r->i] == close) {
        r->i++;
        return 1;
    }
    return 0;
}

/* After an element: 1 at ',' (the next follows), 0 at close (the
** container ends), both consumed; -1 with an error otherwise. */
static int after_element(reader *r, char close, const char *what)
{
    skip_space(r);
    if (r->i < r->n && (r->s[r->i] == ',' || r->s[r->i] == close))
        return r->s[r->i++] == ',';
    read_fail(r, JP_ERR_JSON, what);
    return -1;
}

static const jp_value *read_array(reader *r, unsigned depth)
{
    jp_list l = {0};
    int more = !opens_empty(r, ']');
    while (more > 0) {
        const jp_value *v = read_value(r, depth + 1);
        if (v == NULL)
            return NULL;
        if (!jp_list_push(r->a, &l, v))
            return read_fail(r, r->a->failure, NULL);
        more = after_element(r, ']', "expected ',' or ']' in an array");
    }
    const jp_value *v = more < 0 ? NULL : jp_array_take(r->a, l.items, l.n);
    return v || more < 0 ? v : read_fail(r, r->a->failure, NULL);
}

/* One "key": value of an object into m. */
static int read_member(reader *r, jp_member *m, unsigned depth)
{
    skip_space(r);
    if (r->i >= r->n || r->s[r->i] != '"') {
        read_fail(r, JP_ERR_JSON, "expected a member's name in quotes");
        return 0;
    }
    m->key = read_string(r, &m->key_len);
    if (m->key == NULL)
        return 0;
    skip_space(r);
    if (r->i >= r->n || r->s[r->i] != ':') {
        read_fail(r, JP_ERR_JSON, "expected ':' after a member's name");
        return 0;
    }
    r->i++;
    m->value = read_value(r, depth + 1);
    return m->value != NULL;
}

static const jp_value *read_object(reader *r, unsigned depth)
{
    jp_member *m = NULL;
    size_t n = 0, cap = 0;
    int more = !opens_empty(r, '}');
    while (more > 0) {
        if (n == cap) {
            jp_member *bigger =
                jp_alloc(r->a, (cap = cap ? 2 * cap : 8) * sizeof *bigger);
            if (bigger == NULL)
                return read_fail(r, r->a->failure, NULL);
            if (n)
                memcpy(bigger, m, n * sizeof *m);
            m = bigger;
        }
        if (!read_member(r, &m[n++], depth))
            return NULL;
        more = after_element(r, '}', "expected ',' or '}' in an object");
    }
    const jp_value *v = more < 0 ? NULL : jp_object_take(r->a, m, n);
    return v || more < 0 ? v : read_fail(r, r->a->failure, NULL);
}

static int read_word(reader *r, const char *word)
{
    size_t n = strlen(word);
    if (r->n - r->i < n || memcmp(r->s + r->i, word, n) != 0)
        return 0;
    r->i += n;
    return 1;
}

static const jp_value *read_value(reader *r, unsigned depth)
{
    if (depth > JP_MAX_DEPTH)
        return read_fail(r, JP_ERR_LIMIT, NULL);
    skip_space(r);
    if (r->i >= r->n)
        return read_fail(r, JP_ERR_JSON, "expected a value, found the end");
    char c = r->s[r->i];
    if (c == '{')
        return read_object(r, depth);
    if (c == '[')
        return read_array(r, depth);
    if (c == '"') {
        size_t len;
        const char *s = read_string(r, &len);
        const jp_value *v = s ? jp_string_over(r->a, s, len) : NULL;
        return v || s == NULL ? v : read_fail(r, r->a->failure, NULL);
    }
    if (c == '-' || is_digit(c))
        return read_number(r);
    if (read_word(r, "true"))
        return jp_new_bool(1);
    if (read_word(r, "false"))
        return jp_new_bool(0);
    if (read_word(r, "null"))
        return jp_null();
    return read_fail(r, JP_ERR_JSON, "expected a JSON value");
}

const jp_value *jp_json_value(jp_arena *a, const char *text, size_t len,
                              size_t *pos, jp_error *err)
{
    reader r = {a, text, len, *pos, err};
    const jp_value *v = read_value(&r, 1);
    skip_space(&r);
    *pos = r.i;
    return v;
}

const jp_value *jp_parse_json(jp_arena *a, const char *text, size_t len,
                              jp_error *err)
{
    jp_error local;
    if (err == NULL)
        err = &local;
    memset(err, 0, sizeof *err);
    size_t pos = 0;
    const jp_value *v = jp_json_value(a, text, len, &pos, err);
    if (v && pos < len)
        return jp_fail(err, JP_ERR_JSON, pos, "text after the JSON value");
    return v;
}

/*--------------------------------------------------------------------------
** Numbers as Python prints them.
*/
/* The shortest digits that read back as d (sign left out) and d's
** decimal exponent: d = D.IGITS x 10^exp, as repr() finds them. */
static void shortest_digits(double d, char *digits, size_t cap, int *exp)
{
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    size_t k = 0;
    const char *p = buf + (buf[0] == '-');
    for (; *p && *p != 'e' && k + 1 < cap; p++) {
        if (*p != '.')
            digits[k++] = *p;
    }
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    *exp = *p == 'e' ? atoi(p + 1) : 0;
}

/* repr(float): positional from 1e-4 up to 1e16 (with ".0" when whole),
** else d.ddde+XX; NaN and the infinities as json.dumps writes them. buf
** holds at least 40 bytes. */
static void format_float(char *buf, size_t cap, double d)
{
    if (isnan(d) || isinf(d)) {
        snprintf(buf, cap, "%s",
                 isnan(d) ? "NaN"
                 : d > 0  ? "Infinity"
                          : "-Infinity");
        return;
    }
    char digits[24], *o = buf;
    int e;
    shortest_digits(d, digits, sizeof digits, &e);
    int nd = (int)strlen(digits);
    if (signbit(d))
        *o++ = '-';
    if (e < -4 || e >= 16) {
        snprintf(o, cap - 1, "%c%s%se%c%02d", digits[0], nd > 1 ? "." : "",
                 digits + 1, e < 0 ? '-' : '+', e < 0 ? -e : e);
        return;
    }
    if (e < 0) { /* 0.000ddd */
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > e; i--)
            *o++ = '0';
        memcpy(o, digits, (size_t)nd + 1);
        return;
    }
    for (int i = 0; i <= e; i++) /* the whole part, zeros past the digits */
        *o++ = i < nd ? digits[i] : '0';
    *o++ = '.';
    if (nd > e + 1)
        memcpy(o, digits + e + 1, (size_t)(nd - e - 1) + 1);
    else
        memcpy(o, "0", 2);
}

void jp_format_number(char *buf, size_t cap, double d, int is_int)
{
    if (is_int && isfinite(d))
        snprintf(buf, cap, "%.0f", d == 0 ? 0.0 : d);
    else
        format_float(buf, cap, d);
}

/*--------------------------------------------------------------------------
** Writing.
*/
typedef struct writer {
    char *s;
    size_t len, cap, max;
    unsigned flags;
    int failed;
} writer;

static void put(writer *w, const char *s, size_t n)
{
    if (w->failed)
        return;
    if (n > w->max - w->len) {
        w->failed = 1;
        return;
    }
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n + 1)
            cap *= 2;
        char *bigger = realloc(w->s, cap);
        if (bigger == NULL) {
            w->failed = 1;
            return;
        }
        w->s = bigger;
        w->cap = cap;
    }
    memcpy(w->s + w->len, s, n);
    w->len += n;
    w->s[w->len] = '\0';
}

static void put_str(writer *w, const char *s)
{
    put(w, s, strlen(s));
}

/* The code point of the UTF-8 (or lone-surrogate) sequence at s, its
** length in *used; U+FFFD for a byte that starts none. */
static unsigned long decode(const unsigned char *s, size_t n, size_t *used)
{
    size_t len = utf8_valid(s, n);
    if (len == 0 && n >= 3 && s[0] == 0xed && (s[1] & 0xe0) == 0xa0 &&
        (s[2] & 0xc0) == 0x80)
        len = 3; /* a lone surrogate, as \ud800 reads */
    if (len == 0) {
        *used = 1;
        return 0xfffd;
    }
    *used = len;
    if (len == 1)
        return s[0];
    unsigned long cp = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++)
        cp = (cp << 6) | (s[i] & 0x3f);
    return cp;
}

static void put_escaped_cp(writer *w, unsigned long cp)
{
    char buf[32];
    if (cp >= 0x10000) {
        cp -= 0x10000;
        snprintf(buf, sizeof buf, "\\u%04lx\\u%04lx", 0xd800 + (cp >> 10),
                 0xdc00 + (cp & 0x3ff));
    } else {
        snprintf(buf, sizeof buf, "\\u%04lx", cp);
    }
    put_str(w, buf);
}

/* A string as Python's json.dumps writes it. */
static void put_string(writer *w, const char *s, size_t n)
{
    static const char short_escapes[] = "\"\\\b\f\n\r\t",
                      letters[] = "\"\\bfnrt";
    put(w, "\"", 1);
    size_t run = 0; /* bytes copied as they are, written in one go */
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        const char *e = c ? memchr(short_escapes, c, 7) : NULL;
        int ascii_only = (w->flags & JP_WRITE_ASCII) && c >= 0x80;
        if (!e && c >= 0x20 && !ascii_only) {
            i++;
            run++;
            continue;
        }
        put(w, s + i - run, run);
        run = 0;
        if (e) {
            char esc[2] = {'\\', letters[e - short_escapes]};
            put(w, esc, 2);
            i++;
        } else {
            size_t used = 1;
            put_escaped_cp(w, c < 0x20 ? c
                                       : decode((const unsigned char *)s + i,
                                                n - i, &used));
            i += used;
        }
    }
    put(w, s + n - run, run);
    put(w, "\"", 1);
}

static void put_newline(writer *w, unsigned depth)
{
    static const char spaces[] = "                                ";
    put(w, "\n", 1);
    for (size_t n = 2 * (size_t)depth; n > 0 && !w->failed;) {
        size_t k = n < 32 ? n : 32;
        put(w, spaces, k);
        n -= k;
    }
}

static void put_value(writer *w, const jp_value *v, unsigned depth);

/* An array or object: compact, or indent=2 with "[]" and "{}" when
** empty. */
static void put_container(writer *w, const jp_value *v, unsigned depth)
{
    int obj = v->type == JP_OBJECT, indent = w->flags & JP_WRITE_INDENT;
    put(w, obj ? "{" : "[", 1);
    for (size_t i = 0; i < v->len && !w->failed; i++) {
        if (i)
            put(w, ",", 1);
        if (indent)
            put_newline(w, depth + 1);
        if (obj) {
            put_string(w, v->u.members[i].key, v->u.members[i].key_len);
            put(w, indent ? ": " : ":", indent ? 2 : 1);
        }
        put_value(w, obj ? v->u.members[i].value : v->u.items[i], depth + 1);
    }
    if (indent && v->len)
        put_newline(w, depth);
    put(w, obj ? "}" : "]", 1);
}

static void put_value(writer *w, const jp_value *v, unsigned depth)
{
    char num[400];
    switch (jp_type_of(v)) {
    case JP_NULL: put_str(w, "null"); break;
    case JP_BOOL: put_str(w, v->boolean ? "true" : "false"); break;
    case JP_NUMBER:
        jp_format_number(num, sizeof num, v->u.num, v->is_int);
        put_str(w, num);
        break;
    case JP_STRING: put_string(w, v->u.str, v->len); break;
    case JP_ARRAY:
    case JP_OBJECT: put_container(w, v, depth); break;
    default: w->failed = 1; /* an expression reference is no JSON */
    }
}

char *jp_write(const jp_value *v, unsigned flags, size_t max_bytes, size_t *len)
{
    writer w = {NULL, 0, 0, max_bytes ? max_bytes : SIZE_MAX / 2, flags, 0};
    put_value(&w, v, 0);
    put(&w, "", 0);
    if (w.failed || w.s == NULL) {
        free(w.s);
        return NULL;
    }
    if (len)
        *len = w.len;
    return w.s;
}
