/*
** json.c - RFC 8259 JSON into an arena-allocated tree that keeps the byte
** offset of every value.
**
** Strings are decoded (escapes, surrogate pairs) into NUL-terminated copies;
** numbers are validated and kept as text. Nesting is limited to
** MOAT_JSON_MAX_DEPTH so that hostile input cannot exhaust the stack.
** Member lookup ignores ASCII case, as Azure Resource Manager does.
*/
#include "moat_int.h"

#include <string.h>

typedef struct parser {
    const char *src;
    size_t len;
    size_t pos;
    moat_arena *arena;
    json_error *err;
    int failed;
    int arm; /* MOAT_JSON_ARM: what ARM accepts in templates */
} parser;

static void fail(parser *p, size_t pos, const char *msg)
{
    if (!p->failed) {
        p->failed = 1;
        p->err->pos = pos;
        p->err->msg = msg;
    }
}

/* A comment at p->pos (ARM mode): a line comment to the end of the line,
** or a block comment to its closing star and slash. Returns 0 when there
** is none; fails when a block comment never ends. */
static int skip_comment(parser *p)
{
    if (p->pos + 1 >= p->len || p->src[p->pos] != '/')
        return 0;
    const char *s = p->src + p->pos + 2;
    size_t left = p->len - p->pos - 2;
    if (p->src[p->pos + 1] == '/') {
        const char *nl = memchr(s, '\n', left);
        p->pos = nl ? (size_t)(nl - p->src) : p->len;
        return 1;
    }
    if (p->src[p->pos + 1] != '*')
        return 0;
    for (size_t i = 0; i + 1 < left; i++) {
        if (s[i] == '*' && s[i + 1] == '/') {
            p->pos += 2 + i + 2;
            return 1;
        }
    }
    fail(p, p->pos, "unterminated comment: expected */");
    p->pos = p->len;
    return 0;
}

/* Blanks, and in ARM mode comments: the strict loop is the RFC's alone. */
static void skip_ws(parser *p)
{
    do {
        while (p->pos < p->len) {
            char c = p->src[p->pos];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                break;
            p->pos++;
        }
    } while (p->arm && skip_comment(p));
}

/* A control character c inside a string that may not be there: RFC 8259
** requires them escaped; ARM also takes a raw tab or line break
** (multi-line strings), never U+0000. */
static int bad_control(const parser *p, unsigned char c)
{
    return c < 0x20 && !(p->arm && (c == '\t' || c == '\n' || c == '\r'));
}

static json_value *new_value(parser *p, json_type t, size_t pos)
{
    json_value *v = moat__arena_alloc(p->arena, sizeof *v);
    if (v == NULL) {
        fail(p, pos, "out of memory");
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->type = t;
    v->pos = (uint32_t)pos;
    return v;
}

int moat__hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = moat__hex_digit(p[i]);
        if (h < 0)
            return -1;
        v = (v << 4) | (unsigned)h;
    }
    *out = v;
    return 0;
}

static int read_hex4(parser *p, size_t at, unsigned *out)
{
    return at + 4 <= p->len && moat__hex4(p->src + at, out) == 0;
}

size_t moat__put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes one \uXXXX escape (and its low surrogate) at p->pos, which points
** at the 'u'. Returns bytes written to o, 0 on error. */
static size_t decode_unicode(parser *p, char *o)
{
    size_t start = p->pos - 1;
    unsigned cp;
    if (!read_hex4(p, p->pos + 1, &cp)) {
        fail(p, start, "invalid \\u escape: expected four hex digits");
        return 0;
    }
    p->pos += 5;
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
        fail(p, start, "invalid \\u escape: lone low surrogate");
        return 0;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        unsigned lo;
        if (p->pos + 6 > p->len || p->src[p->pos] != '\\' ||
            p->src[p->pos + 1] != 'u' || !read_hex4(p, p->pos + 2, &lo) ||
            lo < 0xDC00 || lo > 0xDFFF) {
            fail(p, start, "invalid \\u escape: unpaired high surrogate");
            return 0;
        }
        p->pos += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    return moat__put_utf8(o, cp);
}

/* The first control character of s[from, end), or end: the hot loop of
** reading strings, kept to one comparison a byte. */
static size_t first_control(const char *s, size_t from, size_t end)
{
    for (size_t i = from; i < end; i++) {
        if ((unsigned char)s[i] < 0x20)
            return i;
    }
    return end;
}

/* Whether the unescaped string text from p->pos to end holds no control
** character it may not (then it fails, pointing at it). */
static int plain_ok(parser *p, size_t end)
{
    for (size_t i = first_control(p->src, p->pos, end); i < end;
         i = first_control(p->src, i + 1, end)) {
        if (bad_control(p, (unsigned char)p->src[i])) {
            fail(p, i, "control character in string: escape it");
            return 0;
        }
    }
    return 1;
}

/* Parses a string at p->pos (the opening quote). The decoded text is never
** longer than the source, so one allocation of the source length suffices. */
static char *parse_string(parser *p, uint32_t *out_len)
{
    size_t start = p->pos++;
    /* The closing quote is the first one not escaped: find the first quote,
    ** and only when a backslash comes before it, walk the escapes. */
    const char *q = memchr(p->src + p->pos, '"', p->len - p->pos);
    size_t end = q ? (size_t)(q - p->src) : p->len;
    int escaped = memchr(p->src + p->pos, '\\', end - p->pos) != NULL;
    if (escaped) {
        end = p->pos;
        while (end < p->len && p->src[end] != '"') {
            if (p->src[end] == '\\')
                end++;
            end++;
        }
    }
    if (end >= p->len) {
        fail(p, start, "unterminated string");
        return NULL;
    }
    if (end - p->pos > UINT32_MAX - 1) {
        fail(p, start, "string too long");
        return NULL;
    }
    char *out = moat__arena_alloc(p->arena, end - p->pos + 1);
    if (out == NULL) {
        fail(p, start, "out of memory");
        return NULL;
    }
    char *o = out;
    if (!escaped) {
        if (!plain_ok(p, end))
            return NULL;
        memcpy(o, p->src + p->pos, end - p->pos);
        o += end - p->pos;
        p->pos = end;
    }
    while (p->pos < end) {
        unsigned char c = (unsigned char)p->src[p->pos];
        if (bad_control(p, c)) {
            fail(p, p->pos, "control character in string: escape it");
            return NULL;
        }
        if (c != '\\') {
            *o++ = (char)c;
            p->pos++;
            continue;
        }
        char e = p->src[++p->pos];
        p->pos++;
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            p->pos--;
            size_t n = decode_unicode(p, o);
            if (n == 0)
                return NULL;
            o += n;
            break;
        }
        default: fail(p, p->pos - 2, "invalid escape in string"); return NULL;
        }
    }
    if (p->pos != end) {
        /* An escape ran past the closing quote: "\u12" */
        fail(p, start, "invalid escape at end of string");
        return NULL;
    }
    *o = '\0';
    p->pos = end + 1;
    *out_len = (uint32_t)(o - out);
    return out;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static json_value *parse_number(parser *p)
{
    size_t start = p->pos;
    size_t i = p->pos;
    if (i < p->len && p->src[i] == '-')
        i++;
    if (i >= p->len || !is_digit(p->src[i])) {
        fail(p, start, "invalid number");
        return NULL;
    }
    if (p->src[i] == '0') {
        i++;
        if (i < p->len && is_digit(p->src[i])) {
            fail(p, start, "invalid number: leading zero");
            return NULL;
        }
    } else {
        while (i < p->len && is_digit(p->src[i]))
            i++;
    }
    if (i < p->len && p->src[i] == '.') {
        i++;
        if (i >= p->len || !is_digit(p->src[i])) {
            fail(p, start, "invalid number: digit expected after '.'");
            return NULL;
        }
        while (i < p->len && is_digit(p->src[i]))
            i++;
    }
    if (i < p->len && (p->src[i] == 'e' || p->src[i] == 'E')) {
        i++;
        if (i < p->len && (p->src[i] == '+' || p->src[i] == '-'))
            i++;
        if (i >= p->len || !is_digit(p->src[i])) {
            fail(p, start, "invalid number: digit expected in exponent");
            return NULL;
        }
        while (i < p->len && is_digit(p->src[i]))
            i++;
    }
    json_value *v = new_value(p, JSON_NUMBER, start);
    if (v == NULL)
        return NULL;
    v->str = moat__arena_strndup(p->arena, p->src + start, i - start);
    if (v->str == NULL) {
        fail(p, start, "out of memory");
        return NULL;
    }
    v->len = (uint32_t)(i - start);
    p->pos = i;
    return v;
}

static json_value *parse_literal(parser *p, const char *word, json_type t)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->src + p->pos, word, n) != 0) {
        fail(p, p->pos, "invalid literal: expected a JSON value");
        return NULL;
    }
    json_value *v = new_value(p, t, p->pos);
    p->pos += n;
    return v;
}

static json_value *parse_value(parser *p, int depth);

/* ARM mode: a trailing comma, "[1, 2,]": after the comma, the bracket
** `close` ends the container (consumed). */
static int closes(parser *p, char close)
{
    skip_ws(p);
    if (p->pos < p->len && p->src[p->pos] == close) {
        p->pos++;
        return 1;
    }
    return 0;
}

static json_value *parse_array(parser *p, int depth)
{
    json_value *arr = new_value(p, JSON_ARRAY, p->pos);
    if (arr == NULL)
        return NULL;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->src[p->pos] == ']') {
        p->pos++;
        return arr;
    }
    json_value **tail = &arr->child;
    for (;;) {
        json_value *item = parse_value(p, depth + 1);
        if (item == NULL)
            return NULL;
        *tail = item;
        tail = &item->next;
        if (arr->len == UINT32_MAX) {
            fail(p, arr->pos, "array too long");
            return NULL;
        }
        arr->len++;
        skip_ws(p);
        if (p->pos >= p->len) {
            fail(p, arr->pos, "unterminated array: expected ',' or ']'");
            return NULL;
        }
        char c = p->src[p->pos++];
        if (c == ']')
            return arr;
        if (c != ',') {
            fail(p, p->pos - 1, "expected ',' or ']' in array");
            return NULL;
        }
        if (p->arm && closes(p, ']'))
            return arr;
    }
}

static json_value *parse_object(parser *p, int depth)
{
    json_value *obj = new_value(p, JSON_OBJECT, p->pos);
    if (obj == NULL)
        return NULL;
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->src[p->pos] == '}') {
        p->pos++;
        return obj;
    }
    json_value **tail = &obj->child;
    for (;;) {
        skip_ws(p);
        if (p->pos >= p->len || p->src[p->pos] != '"') {
            fail(p, p->pos, "expected a member name in double quotes");
            return NULL;
        }
        uint32_t key_len = 0;
        size_t key_pos = p->pos;
        char *key = parse_string(p, &key_len);
        if (key == NULL)
            return NULL;
        skip_ws(p);
        if (p->pos >= p->len || p->src[p->pos] != ':') {
            fail(p, p->pos, "expected ':' after member name");
            return NULL;
        }
        p->pos++;
        json_value *val = parse_value(p, depth + 1);
        if (val == NULL)
            return NULL;
        val->key = key;
        val->key_len = key_len;
        val->key_pos = (uint32_t)key_pos;
        *tail = val;
        tail = &val->next;
        if (obj->len == UINT32_MAX) {
            fail(p, obj->pos, "object too long");
            return NULL;
        }
        obj->len++;
        skip_ws(p);
        if (p->pos >= p->len) {
            fail(p, obj->pos, "unterminated object: expected ',' or '}'");
            return NULL;
        }
        char c = p->src[p->pos++];
        if (c == '}')
            return obj;
        if (c != ',') {
            fail(p, p->pos - 1, "expected ',' or '}' in object");
            return NULL;
        }
        if (p->arm && closes(p, '}'))
            return obj;
    }
}

static json_value *parse_value_at(parser *p, int depth);

/* A value, with where it ends (for editing the text in place: doc.c). */
static json_value *parse_value(parser *p, int depth)
{
    json_value *v = parse_value_at(p, depth);
    if (v)
        v->end = (uint32_t)p->pos;
    return v;
}

static json_value *parse_value_at(parser *p, int depth)
{
    if (depth > MOAT_JSON_MAX_DEPTH) {
        fail(p, p->pos, "nesting too deep");
        return NULL;
    }
    skip_ws(p);
    if (p->pos >= p->len) {
        fail(p, p->pos, "unexpected end of input: expected a JSON value");
        return NULL;
    }
    switch (p->src[p->pos]) {
    case '{': return parse_object(p, depth);
    case '[': return parse_array(p, depth);
    case '"': {
        size_t start = p->pos;
        uint32_t n = 0;
        char *s = parse_string(p, &n);
        if (s == NULL)
            return NULL;
        json_value *v = new_value(p, JSON_STRING, start);
        if (v) {
            v->str = s;
            v->len = n;
        }
        return v;
    }
    case 't': return parse_literal(p, "true", JSON_TRUE);
    case 'f': return parse_literal(p, "false", JSON_FALSE);
    case 'n': return parse_literal(p, "null", JSON_NULL);
    default: return parse_number(p);
    }
}

json_value *moat__json_parse(moat_arena *a, const char *src, size_t len,
                             json_error *err)
{
    return moat__json_parse_mode(a, src, len, 0, err);
}

json_value *moat__json_parse_mode(moat_arena *a, const char *src, size_t len,
                                  unsigned mode, json_error *err)
{
    json_error dummy;
    parser p = {
        src, len, 0, a, err ? err : &dummy, 0, (mode & MOAT_JSON_ARM) != 0};
    if (len > UINT32_MAX) {
        fail(&p, 0, "input too large (more than 4 GiB)");
        return NULL;
    }
    if (len >= 3 && memcmp(src, "\xEF\xBB\xBF", 3) == 0)
        p.pos = 3;
    json_value *v = parse_value(&p, 0);
    if (v == NULL)
        return NULL;
    skip_ws(&p);
    if (p.pos != p.len) {
        fail(&p, p.pos, "unexpected text after the JSON value");
        return NULL;
    }
    return v;
}

json_value *moat__json_find(const json_value *obj, const char *key,
                            json_value **second)
{
    if (second)
        *second = NULL;
    if (obj == NULL || obj->type != JSON_OBJECT)
        return NULL;
    size_t n = strlen(key);
    json_value *first = NULL;
    for (json_value *m = obj->child; m; m = m->next) {
        if (!moat__eq_ci(m->key, m->key_len, key, n))
            continue;
        if (first == NULL) {
            first = m;
            if (second == NULL)
                break;
        } else {
            *second = m;
            break;
        }
    }
    return first;
}

json_value *moat__json_get(const json_value *obj, const char *key)
{
    return moat__json_find(obj, key, NULL);
}

const char *moat__json_type_name(json_type t)
{
    switch (t) {
    case JSON_NULL: return "null";
    case JSON_FALSE:
    case JSON_TRUE: return "a boolean";
    case JSON_NUMBER: return "a number";
    case JSON_STRING: return "a string";
    case JSON_ARRAY: return "an array";
    case JSON_OBJECT: return "an object";
    }
    return "a value";
}

void moat__json_line_col(const char *src, size_t len, size_t pos,
                         unsigned *line, unsigned *col)
{
    unsigned l = 1, c = 1;
    if (pos > len)
        pos = len;
    for (size_t i = 0; i < pos; i++) {
        if (src[i] == '\n') {
            l++;
            c = 1;
        } else {
            c++;
        }
    }
    *line = l;
    *col = c;
}
