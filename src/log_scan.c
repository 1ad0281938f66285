/*
** log_scan.c - the fields replay needs from one access-log record, without
** building a tree.
**
** Replay reads millions of records of about 1.5 KB and needs about fifteen
** of their fields. A general JSON parser builds every value; the fastest
** packaged one (cJSON) manages about 230,000 such records per second
** (reference/performance-anchors.md section 3), a fifth of the target. This
** scanner walks a record once: strings are skipped with memchr, values of
** no interest are skipped by depth, and only the wanted members (by name,
** in the objects they live in) are kept as spans. Escaped strings are
** decoded into the caller's scratch buffer.
**
** It accepts what a JSON parser accepts and extracts the same values (the
** unit test compares it with cJSON on records and mutations of them; the
** fuzz target runs it on arbitrary bytes). Like cJSON it takes any control
** byte between tokens for whitespace; unlike it, it does not refuse control
** bytes inside strings. Structure (balance, quoting, separators) is
** checked, so a truncated record is an error.
**
** CSV rows (RFC 4180: commas, double quotes, "" inside quotes) are split
** the same way, by the column map a header gave.
*/
#include "log.h"

#include <pthread.h>
#include <string.h>

/* Member names, by the object they live in: Azure Monitor's diagnostic
** export nests identity and properties; Log Analytics rows are flat. */
typedef struct key_entry {
    log_ctx ctx;
    const char *name;
    size_t len;
    log_field field; /* LF_COUNT: an object to descend into */
    log_ctx child;
} key_entry;

#define K(ctx, name, field, child)                                             \
    {                                                                          \
        ctx, name, sizeof name - 1, field, child                               \
    }

static const key_entry keys[] = {
    /* diagnostic-setting export (camelCase) */
    K(CTX_TOP, "time", LF_TIME, CTX_NONE),
    K(CTX_TOP, "resourceId", LF_RESOURCE_ID, CTX_NONE),
    K(CTX_TOP, "category", LF_CATEGORY, CTX_NONE),
    K(CTX_TOP, "operationName", LF_OPERATION, CTX_NONE),
    K(CTX_TOP, "statusCode", LF_STATUS_CODE, CTX_NONE),
    K(CTX_TOP, "statusText", LF_STATUS_TEXT, CTX_NONE),
    K(CTX_TOP, "callerIpAddress", LF_CALLER_IP, CTX_NONE),
    K(CTX_TOP, "uri", LF_URI, CTX_NONE),
    K(CTX_TOP, "protocol", LF_PROTOCOL, CTX_NONE),
    K(CTX_TOP, "identity", LF_COUNT, CTX_IDENTITY),
    K(CTX_TOP, "properties", LF_COUNT, CTX_PROPERTIES),
    K(CTX_IDENTITY, "type", LF_AUTH, CTX_NONE),
    K(CTX_IDENTITY, "requester", LF_COUNT, CTX_REQUESTER),
    K(CTX_REQUESTER, "objectId", LF_OBJECT_ID, CTX_NONE),
    K(CTX_REQUESTER, "tenantId", LF_TENANT_ID, CTX_NONE),
    K(CTX_REQUESTER, "appId", LF_APP_ID, CTX_NONE),
    K(CTX_PROPERTIES, "accountName", LF_ACCOUNT, CTX_NONE),
    K(CTX_PROPERTIES, "objectKey", LF_OBJECT_KEY, CTX_NONE),
    K(CTX_PROPERTIES, "serviceType", LF_SERVICE, CTX_NONE),
    /* Log Analytics tables (StorageBlobLogs, ...), as JSON rows */
    K(CTX_TOP, "TimeGenerated", LF_TIME, CTX_NONE),
    K(CTX_TOP, "_ResourceId", LF_RESOURCE_ID, CTX_NONE),
    K(CTX_TOP, "AccountName", LF_ACCOUNT, CTX_NONE),
    K(CTX_TOP, "Category", LF_CATEGORY, CTX_NONE),
    K(CTX_TOP, "OperationName", LF_OPERATION, CTX_NONE),
    K(CTX_TOP, "Protocol", LF_PROTOCOL, CTX_NONE),
    K(CTX_TOP, "StatusCode", LF_STATUS_CODE, CTX_NONE),
    K(CTX_TOP, "StatusText", LF_STATUS_TEXT, CTX_NONE),
    K(CTX_TOP, "CallerIpAddress", LF_CALLER_IP, CTX_NONE),
    K(CTX_TOP, "AuthenticationType", LF_AUTH, CTX_NONE),
    K(CTX_TOP, "RequesterObjectId", LF_OBJECT_ID, CTX_NONE),
    K(CTX_TOP, "RequesterTenantId", LF_TENANT_ID, CTX_NONE),
    K(CTX_TOP, "RequesterAppId", LF_APP_ID, CTX_NONE),
    K(CTX_TOP, "Uri", LF_URI, CTX_NONE),
    K(CTX_TOP, "ObjectKey", LF_OBJECT_KEY, CTX_NONE),
    K(CTX_TOP, "ServiceType", LF_SERVICE, CTX_NONE),
    K(CTX_TOP, "Type", LF_TABLE, CTX_NONE),
};

#define N_KEYS (sizeof keys / sizeof keys[0])

/* Keys by name length (every name is shorter than 32): a member name is
** compared only with the few of its length, first by its first eight
** bytes as one word. */
static uint64_t by_len[32];
static uint64_t head[N_KEYS];

static uint64_t head_of(const char *s, size_t n)
{
    uint64_t v = 0;
    memcpy(&v, s, n < 8 ? n : 8);
    return v;
}

static void index_keys(void)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        by_len[keys[i].len] |= 1ULL << i;
        head[i] = head_of(keys[i].name, keys[i].len);
    }
}

static const key_entry *find_key(log_ctx ctx, const char *s, size_t n)
{
    if (n >= 32 || by_len[n] == 0)
        return NULL;
    /* The record is padded (LOG_PAD): eight bytes load safely; the bytes
    ** past the name are masked off. */
    uint64_t word;
    memcpy(&word, s, 8);
    if (n < 8) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        word &= ~((1ULL << (8 * (8 - n))) - 1);
#else
        word &= (1ULL << (8 * n)) - 1;
#endif
    }
    for (uint64_t m = by_len[n]; m; m &= m - 1) {
        size_t i = (size_t)__builtin_ctzll(m);
        const key_entry *k = &keys[i];
        if (head[i] == word && k->ctx == ctx &&
            (n <= 8 || memcmp(k->name + 8, s + 8, n - 8) == 0))
            return k;
    }
    return NULL;
}

/*--------------------------------------------------------------------------
** JSON.
*/
typedef struct scan {
    const char *p, *end;
    log_fields *out;
    char *scratch;
    size_t cap, used;
    const char *err;
    const char *err_at;
} scan;

/* Bit of a member in log_fields.seen: fields first, then objects. */
#define SEEN_FIELD(f) (1u << (f))
#define SEEN_OBJECT(ctx) (1u << (LF_COUNT + (ctx)))

static int fail(scan *s, const char *msg)
{
    if (s->err == NULL) {
        s->err = msg;
        s->err_at = s->p;
    }
    return -1;
}

/* Whitespace, and any other control byte, as cJSON skips them. */
static inline void skip_ws(scan *s)
{
    while (s->p < s->end && (unsigned char)*s->p <= ' ')
        s->p++;
}

/* The first '"' or '\\' in [p, end), or end. The record is followed by
** LOG_PAD readable bytes (log.h), so blocks may read past end. SSE2 (all
** x86-64) compares sixteen bytes at a time; elsewhere the zero-byte test
** of Hacker's Delight 6-1 does eight (borrows can only flag bytes above
** the first match, so the lowest flag is exact). */
#if defined(__SSE2__)
#include <emmintrin.h>

static const char *quote_or_backslash(const char *p, const char *end)
{
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
    for (; p < end; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)));
        if (m) {
            const char *q = p + __builtin_ctz(m);
            return q < end ? q : end;
        }
    }
    return end;
}
#else
static const char *quote_or_backslash(const char *p, const char *end)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    for (; p < end; p += 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');
        uint64_t hit = (((q - ones) & ~q) | ((b - ones) & ~b)) & high;
        if (hit) {
            const char *r = p + (__builtin_ctzll(hit) >> 3);
            return r < end ? r : end;
        }
    }
    return end;
}
#endif

/* s->p at an opening quote: moves past the closing one. *escaped tells
** whether a backslash occurs inside. */
static int skip_string(scan *s, int *escaped)
{
    const char *p = s->p + 1;
    int esc = 0;
    for (;;) {
        p = quote_or_backslash(p, s->end);
        if (p >= s->end) {
            s->p = s->end;
            return fail(s, "unterminated string");
        }
        if (*p == '"')
            break;
        esc = 1; /* a backslash: it and the next byte are the escape */
        p += 2;
        if (p > s->end) {
            s->p = s->end;
            return fail(s, "unterminated string");
        }
    }
    if (escaped)
        *escaped = esc;
    s->p = p + 1;
    return 0;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
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

/* Decodes the escaped string body [p, q) into scratch. */
static int unescape(scan *s, const char *p, const char *q, moat_text *out)
{
    if ((size_t)(q - p) > s->cap - s->used)
        return fail(s, "record too large to decode");
    char *o = s->scratch + s->used, *start = o;
    while (p < q) {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        if (q - p < 2)
            return fail(s, "bad escape");
        char c = p[1];
        p += 2;
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (q - p < 4 || hex4(p, &cp) != 0)
                return fail(s, "bad \\u escape");
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (q - p < 6 || p[0] != '\\' || p[1] != 'u' ||
                    hex4(p + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
                    return fail(s, "unpaired surrogate");
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return fail(s, "unpaired surrogate");
            }
            o += put_utf8(o, cp);
            break;
        }
        default: return fail(s, "bad escape");
        }
    }
    out->p = start;
    out->n = (size_t)(o - start);
    s->used += out->n;
    return 0;
}

static int skip_value(scan *s, int depth);

static int skip_literal(scan *s)
{
    const char *start = s->p;
    while (s->p < s->end && *s->p != ',' && *s->p != '}' && *s->p != ']' &&
           (unsigned char)*s->p > ' ')
        s->p++;
    size_t n = (size_t)(s->p - start);
    if (n == 0)
        return fail(s, "expected a value");
    if ((n == 4 && memcmp(start, "true", 4) == 0) ||
        (n == 5 && memcmp(start, "false", 5) == 0) ||
        (n == 4 && memcmp(start, "null", 4) == 0))
        return 0;
    /* A number, as leniently as cJSON takes one (it hands the digits,
    ** signs, points and exponents to strtod): only its value matters. */
    for (const char *p = start; p < s->p; p++) {
        if (!((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == '.' ||
              *p == 'e' || *p == 'E'))
            return fail(s, "expected a value");
    }
    return 0;
}

static int skip_container(scan *s, char close, int depth)
{
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return 0;
    }
    for (;;) {
        if (close == '}') {
            if (s->p >= s->end || *s->p != '"')
                return fail(s, "expected a member name");
            if (skip_string(s, NULL) < 0)
                return -1;
            skip_ws(s);
            if (s->p >= s->end || *s->p != ':')
                return fail(s, "expected ':'");
            s->p++;
            skip_ws(s);
        }
        if (skip_value(s, depth + 1) < 0)
            return -1;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            skip_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == close) {
            s->p++;
            return 0;
        }
        return fail(s, close == '}' ? "expected ',' or '}'"
                                    : "expected ',' or ']'");
    }
}

static int skip_value(scan *s, int depth)
{
    if (depth > 64)
        return fail(s, "nested too deeply");
    if (s->p >= s->end)
        return fail(s, "expected a value");
    switch (*s->p) {
    case '"': return skip_string(s, NULL);
    case '{': return skip_container(s, '}', depth);
    case '[': return skip_container(s, ']', depth);
    default: return skip_literal(s);
    }
}

/* Keeps a member's value: a string's body (decoded when escaped), or the
** text of a number or literal; null and containers keep nothing. */
static int capture(scan *s, log_field f, int depth)
{
    moat_text *t = &s->out->v[f];
    /* The first of duplicate members wins, as in cJSON. */
    int first = !(s->out->seen & SEEN_FIELD(f));
    s->out->seen |= SEEN_FIELD(f);
    const char *start = s->p;
    if (*s->p == '"') {
        int esc = 0;
        if (skip_string(s, &esc) < 0)
            return -1;
        if (!first)
            return 0;
        if (esc)
            return unescape(s, start + 1, s->p - 1, t);
        t->p = start + 1;
        t->n = (size_t)(s->p - 1 - (start + 1));
        return 0;
    }
    if (skip_value(s, depth) < 0)
        return -1;
    if (first && *start != '{' && *start != '[' &&
        !(s->p - start == 4 && memcmp(start, "null", 4) == 0)) {
        t->p = start;
        t->n = (size_t)(s->p - start);
    }
    return 0;
}

static int scan_object(scan *s, log_ctx ctx, int depth)
{
    if (depth > 64)
        return fail(s, "nested too deeply");
    s->p++; /* '{' */
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (s->p >= s->end || *s->p != '"')
            return fail(s, "expected a member name");
        const char *name = s->p + 1;
        int esc = 0;
        if (skip_string(s, &esc) < 0)
            return -1;
        size_t nlen = (size_t)(s->p - 1 - name);
        skip_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return fail(s, "expected ':'");
        s->p++;
        skip_ws(s);
        if (s->p >= s->end)
            return fail(s, "expected a value");
        /* Names with escapes are never ours: skip them. */
        const key_entry *k =
            esc || nlen == 0 ? NULL : find_key(ctx, name, nlen);
        int rc;
        int first_object = k && k->field == LF_COUNT &&
                           !(s->out->seen & SEEN_OBJECT(k->child));
        if (k && k->field == LF_COUNT)
            s->out->seen |= SEEN_OBJECT(k->child);
        if (first_object && *s->p == '{') {
            rc = scan_object(s, k->child, depth + 1);
        } else if (k && k->field != LF_COUNT) {
            rc = capture(s, k->field, depth + 1);
        } else {
            rc = skip_value(s, depth + 1);
        }
        if (rc < 0)
            return -1;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            skip_ws(s);
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return 0;
        }
        return fail(s, "expected ',' or '}'");
    }
}

int moat__log_scan_json(const char *rec, size_t len, log_fields *out,
                        char *scratch, size_t cap, log_error *err)
{
    moat__log_scan_init();
    memset(out, 0, sizeof *out);
    scan s = {rec, rec + len, out, scratch, cap, 0, NULL, NULL};
    skip_ws(&s);
    if (s.p >= s.end || *s.p != '{') {
        err->msg = "expected a JSON object";
        err->at = (size_t)(s.p - rec);
        return -1;
    }
    if (scan_object(&s, CTX_TOP, 0) == 0) {
        skip_ws(&s);
        if (s.p == s.end)
            return 0;
        fail(&s, "text after the record");
    }
    err->msg = s.err;
    err->at = (size_t)((s.err_at ? s.err_at : s.p) - rec);
    return -1;
}

/*--------------------------------------------------------------------------
** CSV.
*/
/* The field a Log Analytics column holds ("TimeGenerated [UTC]" is
** TimeGenerated), or LF_COUNT. */
void moat__log_scan_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, index_keys);
}

log_field moat__log_column(const char *name, size_t n)
{
    while (n && (name[n - 1] == ' ' || name[n - 1] == '\r'))
        n--;
    const char *br = memchr(name, '[', n);
    if (br) {
        n = (size_t)(br - name);
        while (n && name[n - 1] == ' ')
            n--;
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const key_entry *k = &keys[i];
        if (k->ctx == CTX_TOP && k->field != LF_COUNT && k->name[0] >= 'A' &&
            k->name[0] <= '_' && moat__eq_ci(k->name, strlen(k->name), name, n))
            return k->field;
    }
    return LF_COUNT;
}

int moat__log_scan_csv(const char *rec, size_t len, const log_field *cols,
                       size_t n_cols, log_fields *out, char *scratch,
                       size_t cap, log_error *err)
{
    memset(out, 0, sizeof *out);
    const char *p = rec, *end = rec + len;
    while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
        end--;
    size_t used = 0;
    for (size_t col = 0;; col++) {
        moat_text v = {p, 0};
        if (p < end && *p == '"') {
            char *o = scratch + used;
            v.p = o;
            p++;
            for (;;) {
                if (p >= end) {
                    err->msg = "unterminated quoted field";
                    err->at = len;
                    return -1;
                }
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        *o++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if ((size_t)(o - scratch) >= cap) {
                    err->msg = "record too large to decode";
                    err->at = (size_t)(p - rec);
                    return -1;
                }
                *o++ = *p++;
            }
            v.n = (size_t)(o - v.p);
            used += v.n;
            if (p < end && *p != ',') {
                err->msg = "expected ',' after a quoted field";
                err->at = (size_t)(p - rec);
                return -1;
            }
        } else {
            const char *c = memchr(p, ',', (size_t)(end - p));
            v.n = (size_t)((c ? c : end) - p);
            p += v.n;
        }
        if (col < n_cols && cols[col] != LF_COUNT && v.n &&
            out->v[cols[col]].p == NULL)
            out->v[cols[col]] = v;
        if (p >= end) {
            if (col + 1 != n_cols) {
                err->msg = col + 1 < n_cols ? "fewer fields than the header"
                                            : "more fields than the header";
                err->at = len;
                return -1;
            }
            return 0;
        }
        p++; /* ',' */
    }
}
