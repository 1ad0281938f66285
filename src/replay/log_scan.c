/*
** log_scan.c - the fields replay needs from one access-log record, without
** building a tree.
**
** Replay reads millions of records of about 1.5 KB and needs about fifteen
** of their fields. A general JSON parser builds every value; the fastest
** packaged one (cJSON) manages 230,000 to 300,000 such records per second
** (reference/performance-anchors.md section 3, bench/RESULTS.md), a
** fourth of the target. This scanner walks a record once, where it lies
** (no copy, no padding): strings are skipped sixteen bytes at a time,
** member names are predicted from the log's shape (the name that followed
** each one in the records before) and confirmed by one comparison, or
** else matched by a hash of their first word, values of no interest are
** skipped by depth, and only the wanted members (by name, in the objects
** they live in) are kept as spans. Escaped strings are decoded into the
** caller's scratch buffer.
**
** It accepts what a JSON parser accepts and extracts the same values (the
** unit test compares it with cJSON on records and mutations of them; the
** fuzz target runs it on arbitrary bytes). Like cJSON it takes any control
** byte between tokens for whitespace; unlike it, it does not refuse control
** bytes inside strings. Structure (balance, quoting, separators) is
** checked, so a truncated record is an error.
**
** CSV rows (RFC 4180: commas, double quotes, "" inside quotes) are split
** the same way, by the column map a header gave; classic Storage Analytics
** lines by the field positions of their version.
*/
#include "log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Member names, by the object they live in: Azure Monitor's diagnostic
** export nests identity and properties; Log Analytics rows are flat. */
typedef struct key_entry {
    log_ctx ctx;
    const char *name;
    size_t len;
    log_field field; /* LF_COUNT: an object to descend into */
    log_ctx child;
    int column; /* a Log Analytics column: CSV headers name these only */
} key_entry;

#define K(ctx, name, field, child)                                             \
    {                                                                          \
        ctx, name, sizeof name - 1, field, child, 0                            \
    }
#define COLUMN(name, field)                                                    \
    {                                                                          \
        CTX_TOP, name, sizeof name - 1, field, CTX_NONE, 1                     \
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
    /* Key Vault AuditEvent records: the same export, other names */
    K(CTX_TOP, "resultSignature", LF_STATUS_TEXT, CTX_NONE),
    K(CTX_TOP, "resultDescription", LF_STATUS_DETAIL, CTX_NONE),
    K(CTX_IDENTITY, "claim", LF_COUNT, CTX_CLAIM),
    K(CTX_CLAIM, "oid", LF_OBJECT_ID, CTX_NONE),
    K(CTX_CLAIM,
      "http://schemas.microsoft.com/identity/claims/objectidentifier",
      LF_OBJECT_ID, CTX_NONE),
    K(CTX_CLAIM, "tid", LF_TENANT_ID, CTX_NONE),
    K(CTX_CLAIM, "http://schemas.microsoft.com/identity/claims/tenantid",
      LF_TENANT_ID, CTX_NONE),
    K(CTX_CLAIM, "appid", LF_APP_ID, CTX_NONE),
    K(CTX_PROPERTIES, "httpStatusCode", LF_STATUS_CODE, CTX_NONE),
    K(CTX_PROPERTIES, "requestUri", LF_URI, CTX_NONE),
    /* Log Analytics tables (StorageBlobLogs, ...), as JSON rows */
    COLUMN("TimeGenerated", LF_TIME),
    COLUMN("_ResourceId", LF_RESOURCE_ID),
    COLUMN("AccountName", LF_ACCOUNT),
    COLUMN("Category", LF_CATEGORY),
    COLUMN("OperationName", LF_OPERATION),
    COLUMN("Protocol", LF_PROTOCOL),
    COLUMN("StatusCode", LF_STATUS_CODE),
    COLUMN("StatusText", LF_STATUS_TEXT),
    COLUMN("CallerIpAddress", LF_CALLER_IP),
    COLUMN("AuthenticationType", LF_AUTH),
    COLUMN("RequesterObjectId", LF_OBJECT_ID),
    COLUMN("RequesterTenantId", LF_TENANT_ID),
    COLUMN("RequesterAppId", LF_APP_ID),
    COLUMN("Uri", LF_URI),
    COLUMN("ObjectKey", LF_OBJECT_KEY),
    COLUMN("ServiceType", LF_SERVICE),
    COLUMN("Type", LF_TABLE),
    /* Key Vault's AuditEvent in Log Analytics' AzureDiagnostics table: the
    ** record flattened into typed columns (name_s string, _d number, _g
    ** GUID), the address as CallerIPAddress. Its TenantId column is the
    ** workspace's tenant, not the caller's: the caller's is the tid claim. */
    COLUMN("ResourceId", LF_RESOURCE_ID),
    COLUMN("CallerIPAddress", LF_CALLER_IP),
    COLUMN("ResultSignature", LF_STATUS_TEXT),
    COLUMN("ResultDescription", LF_STATUS_DETAIL),
    COLUMN("httpStatusCode_d", LF_STATUS_CODE),
    COLUMN("requestUri_s", LF_URI),
    COLUMN("identity_claim_oid_g", LF_OBJECT_ID),
    COLUMN(
        "identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g",
        LF_OBJECT_ID),
    COLUMN("identity_claim_tid_g", LF_TENANT_ID),
    COLUMN(
        "identity_claim_http_schemas_microsoft_com_identity_claims_tenantid_g",
        LF_TENANT_ID),
    COLUMN("identity_claim_appid_g", LF_APP_ID),
    /* Key Vault's resource-specific table, AZKVAuditLogs (docs/replay.md
    ** cites its schema): the same record in typed columns, the token's
    ** claims in the dynamic Identity column (an object in JSON rows, its
    ** JSON text in CSV). TimeGenerated, _ResourceId, OperationName,
    ** CallerIpAddress, ResultSignature and ResultDescription are above. */
    COLUMN("HttpStatusCode", LF_STATUS_CODE),
    COLUMN("RequestUri", LF_URI),
    {CTX_TOP, "Identity", 8, LF_IDENTITY, CTX_IDENTITY, 1},
    /* Network security perimeter access logs: the diagnostic export
    ** (properties.source, properties.matchedRule) and the NSPAccessLogs
    ** table of Log Analytics (docs/replay.md cites both schemas). */
    K(CTX_TOP, "count", LF_EVENTS, CTX_NONE),
    K(CTX_PROPERTIES, "serviceResourceId", LF_SERVICE_RESOURCE, CTX_NONE),
    K(CTX_PROPERTIES, "serviceFqdn", LF_SERVICE_FQDN, CTX_NONE),
    K(CTX_PROPERTIES, "matchedRule", LF_COUNT, CTX_MATCHED),
    K(CTX_PROPERTIES, "source", LF_COUNT, CTX_SOURCE),
    K(CTX_MATCHED, "accessRule", LF_MATCHED_RULE, CTX_NONE),
    K(CTX_SOURCE, "ipAddress", LF_CALLER_IP, CTX_NONE),
    K(CTX_SOURCE, "resourceId", LF_SOURCE_RESOURCE, CTX_NONE),
    K(CTX_SOURCE, "perimeterGuids", LF_SOURCE_PERIMETERS, CTX_NONE),
    K(CTX_SOURCE, "appId", LF_APP_ID, CTX_NONE),
    K(CTX_SOURCE, "protocol", LF_PROTOCOL, CTX_NONE),
    COLUMN("ServiceResourceId", LF_SERVICE_RESOURCE),
    COLUMN("ServiceFqdn", LF_SERVICE_FQDN),
    COLUMN("MatchedRule", LF_MATCHED_RULE),
    COLUMN("SourceIpAddress", LF_CALLER_IP),
    COLUMN("SourceResourceId", LF_SOURCE_RESOURCE),
    COLUMN("SourcePerimeterGuids", LF_SOURCE_PERIMETERS),
    COLUMN("SourceAppId", LF_APP_ID),
    COLUMN("SourceProtocol", LF_PROTOCOL),
    COLUMN("Count", LF_EVENTS),
};

#define N_KEYS (sizeof keys / sizeof keys[0])

/* Keys by name: an open-addressed table keyed by the context, the length
** and the first eight bytes of the name, so that a member name costs one
** hash and usually one comparison (records have sixty members, and most
** are not ours). A perfect hash with no probing loop measured slower: it
** needs the name's last word too. The table is kept sparse (77 keys in
** 1,024 slots) because most lookups miss: with linear probing a miss
** walks to an empty slot, 3.6 slots on average at 60% full and about
** one here (bench/RESULTS.md, 2026-12-05 issue 16). A slot is the key's
** index in a byte, so a miss reads one byte. */
#define KEY_SLOTS 1024
#define KEY_SHIFT 54 /* 64 - log2(KEY_SLOTS) */
/* A key's first and last eight bytes (zero-padded when shorter), which
** decide names of up to sixteen bytes without a memcmp. */
typedef struct key_words {
    uint64_t head, tail;
    uint8_t len, ctx; /* the longest name above is 77 bytes */
} key_words;
static key_words words[N_KEYS];
static uint8_t key_slot[KEY_SLOTS]; /* key index + 1; 0: empty */
_Static_assert(N_KEYS < 255, "key_slot holds a byte");

static uint64_t head_of(const char *s, size_t n)
{
    uint64_t v = 0;
    memcpy(&v, s, n < 8 ? n : 8);
    return v;
}

static uint64_t tail_of(const char *s, size_t n)
{
    return n < 8 ? head_of(s, n) : head_of(s + n - 8, 8);
}

static size_t key_hash(log_ctx ctx, size_t n, uint64_t word)
{
    uint64_t h = (word ^ ((uint64_t)n << 56) ^ ((uint64_t)ctx << 48)) *
                 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> KEY_SHIFT);
}

static void index_keys(void)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        const key_entry *k = &keys[i];
        words[i] = (key_words){head_of(k->name, k->len),
                               tail_of(k->name, k->len), (uint8_t)k->len,
                               (uint8_t)k->ctx};
        size_t h = key_hash(k->ctx, k->len, words[i].head);
        while (key_slot[h])
            h = (h + 1) & (KEY_SLOTS - 1);
        key_slot[h] = (uint8_t)(i + 1);
    }
}

/* Whether the name s of n bytes, whose first word matched key i, is
** that key. */
static inline int rest_matches(size_t i, const char *s, size_t n)
{
    if (n <= 8)
        return 1;
    if (tail_of(s, n) != words[i].tail)
        return 0;
    return n <= 16 || memcmp(keys[i].name + 8, s + 8, n - 16) == 0;
}

static const key_entry *find_key(log_ctx ctx, const char *s, size_t n,
                                 const char *end)
{
    /* A name longer than every key misses on the lengths compared
    ** below. Eight bytes load safely when the record has them (the name is
    ** followed by at least its closing quote and a value); the bytes past
    ** the name are masked off. */
    uint64_t word = 0;
    if (end - s >= 8)
        memcpy(&word, s, 8);
    else
        memcpy(&word, s, n);
    if (n < 8) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        word &= ~((1ULL << (8 * (8 - n))) - 1);
#else
        word &= (1ULL << (8 * n)) - 1;
#endif
    }
    for (size_t h = key_hash(ctx, n, word); key_slot[h];
         h = (h + 1) & (KEY_SLOTS - 1)) {
        size_t i = key_slot[h] - 1u;
        if (words[i].head == word && words[i].len == n &&
            words[i].ctx == ctx && rest_matches(i, s, n))
            return &keys[i];
    }
    return NULL;
}

/*--------------------------------------------------------------------------
** Shapes. A log's records carry the same members in the same order (Azure
** writes them from one schema), and the scanner's cost was mostly per
** member name: finding its closing quote, then hashing it to find_key. A
** shape remembers, for each name seen (in its object's context), the name
** that followed it, and the name each context's object began with. The
** predicted name is confirmed by comparing the bytes, closing quote and
** colon included, with one or two sixteen-byte compares; find_key's answer
** is kept with it. A name the prediction misses goes the general way and
** is learned. Only what the general path would decide the same way is
** taken: a name without escapes, written compactly ("name":value, the
** value's first byte not whitespace) and wholly inside the record.
*/
#define SHAPE_NAMES 255 /* names a shape learns; index 0 is "none" */
#define SHAPE_TEXT 32   /* a name of up to 30 bytes, '"' and ':' */
#define SHAPE_SLOTS 512 /* lookup table of names: never full */

typedef struct shape_name {
    unsigned char text[SHAPE_TEXT]; /* the name, '"', ':', then zeros */
    const key_entry *key;           /* find_key's answer for it in ctx */
    uint32_t mask;                  /* the bits of text's bytes that count */
    uint8_t skip;                   /* the name's bytes, '"' and ':' */
    uint8_t ctx;
    uint8_t next; /* the name that followed it when last seen, or 0 */
    uint8_t pad[64 - SHAPE_TEXT - sizeof(void *) - 7];
} shape_name;
_Static_assert(sizeof(shape_name) == 64, "a shape's name is a cache line");

struct log_shape {
    shape_name name[SHAPE_NAMES + 1];
    uint8_t first[CTX_COUNT]; /* the name each context's object began with */
    uint8_t n;                /* names learned */
    uint8_t slot[SHAPE_SLOTS]; /* name index by hash; 0: empty */
};

log_shape *moat__log_shape_new(void)
{
    return calloc(1, sizeof(log_shape));
}

void moat__log_shape_free(log_shape *sh)
{
    free(sh);
}

/* Where the value starts when the predicted name e is the member name at
** name (past its opening quote), or NULL. A prediction is always of the
** context it is made in: the names an object's members follow are
** learned in that object's context. */
static inline const char *shape_confirm(const shape_name *e, const char *name,
                                        const char *end)
{
    if (end - name <= SHAPE_TEXT)
        return NULL; /* near the end, the general path decides */
#if defined(__SSE2__)
    uint32_t eq = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(
        _mm_loadu_si128((const __m128i *)(const void *)name),
        _mm_loadu_si128((const __m128i *)(const void *)e->text)));
    if (e->mask >> 16)
        eq |= (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(
                  _mm_loadu_si128((const __m128i *)(const void *)(name + 16)),
                  _mm_loadu_si128(
                      (const __m128i *)(const void *)(e->text + 16))))
              << 16;
    if ((eq & e->mask) != e->mask)
        return NULL;
#else
    if (memcmp(name, e->text, e->skip) != 0)
        return NULL;
#endif
    const char *value = name + e->skip;
    return (unsigned char)*value > ' ' ? value : NULL;
}

static size_t shape_hash(log_ctx ctx, const char *s, size_t n)
{
    return key_hash(ctx, n, head_of(s, n)) & (SHAPE_SLOTS - 1);
}

/* The index of the name s of n bytes in ctx, learned now if it is new;
** 0 when it cannot be (too long, or the shape is full). */
static unsigned shape_learn(log_shape *sh, log_ctx ctx, const char *s,
                            size_t n, const key_entry *k)
{
    if (n == 0 || n > SHAPE_TEXT - 2)
        return 0;
    size_t h = shape_hash(ctx, s, n);
    for (; sh->slot[h]; h = (h + 1) & (SHAPE_SLOTS - 1)) {
        shape_name *e = &sh->name[sh->slot[h]];
        if (e->ctx == ctx && e->skip == n + 2 && memcmp(e->text, s, n) == 0)
            return sh->slot[h];
    }
    if (sh->n == SHAPE_NAMES)
        return 0;
    unsigned i = ++sh->n;
    shape_name *e = &sh->name[i];
    memcpy(e->text, s, n);
    e->text[n] = '"';
    e->text[n + 1] = ':';
    e->mask = n + 2 == 32 ? UINT32_MAX : ((uint32_t)1 << (n + 2)) - 1;
    e->key = k;
    e->skip = (uint8_t)(n + 2);
    e->ctx = (uint8_t)ctx;
    sh->slot[h] = (uint8_t)i;
    return i;
}

/* Records that name i followed prev (0: began the object). */
static void shape_link(log_shape *sh, log_ctx ctx, unsigned prev, unsigned i)
{
    if (prev)
        sh->name[prev].next = (uint8_t)i;
    else
        sh->first[ctx] = (uint8_t)i;
}

/*--------------------------------------------------------------------------
** JSON.
*/
typedef struct scan {
    const char *end;
    log_fields *out;
    log_shape *shape; /* or NULL */
    char *scratch;
    size_t cap, used;
    const char *err;
    const char *err_at;
} scan;

/* Bit of a member in log_fields.seen: fields first, then objects. */
#define SEEN_FIELD(f) ((uint64_t)1 << (f))
#define SEEN_OBJECT(ctx) ((uint64_t)1 << (LF_COUNT + (ctx)))
_Static_assert(LF_COUNT + CTX_MATCHED < 64, "log_fields.seen has 64 bits");

/* The scanning functions take the cursor and return where they stopped,
** or NULL after recording the first error and where it happened (a
** cursor kept in a register, not in the scan state, is most of the
** speed). */
static const char *fail(scan *s, const char *at, const char *msg)
{
    if (s->err == NULL) {
        s->err = msg;
        s->err_at = at;
    }
    return NULL;
}

/* Whitespace, and any other control byte, as cJSON skips them. */
static inline const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (unsigned char)*p <= ' ')
        p++;
    return p;
}

/* The first byte in [p, end) that is a or b, or end. SSE2 (all x86-64)
** compares sixteen bytes at a time; elsewhere the zero-byte test of
** Hacker's Delight 6-1 does eight (borrows can only flag bytes above the
** first match, so the lowest flag is exact). Blocks never read past end:
** the last few bytes go one at a time, so records are scanned where they
** lie, without a padded copy. Inlined with constant a and b. */
#if defined(__SSE2__)
static inline const char *first_of2(const char *p, const char *end, char a,
                                    char b)
{
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
    for (; end - p >= 16; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, va), _mm_cmpeq_epi8(v, vb)));
        if (m)
            return p + __builtin_ctz(m);
    }
    for (; p < end; p++)
        if (*p == a || *p == b)
            return p;
    return end;
}
#else
static inline const char *first_of2(const char *p, const char *end, char a,
                                    char b)
{
    const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
    for (; end - p >= 8; p += 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        uint64_t q = v ^ (ones * (unsigned char)a);
        uint64_t c = v ^ (ones * (unsigned char)b);
        uint64_t hit = (((q - ones) & ~q) | ((c - ones) & ~c)) & high;
        if (hit)
            return p + (__builtin_ctzll(hit) >> 3);
    }
    for (; p < end; p++)
        if (*p == a || *p == b)
            return p;
    return end;
}
#endif

static inline const char *quote_or_backslash(const char *p, const char *end)
{
    return first_of2(p, end, '"', '\\');
}

/* p just past an opening quote: the closing quote. *escaped is set when
** a backslash occurs inside. */
static inline const char *string_end(scan *s, const char *p, int *escaped)
{
    for (;;) {
        p = quote_or_backslash(p, s->end);
        if (p >= s->end)
            return fail(s, s->end, "unterminated string");
        if (*p == '"')
            return p;
        *escaped = 1; /* a backslash: it and the next byte are the escape */
        p += 2;
        if (p > s->end)
            return fail(s, s->end, "unterminated string");
    }
}

/* Decodes the escaped string body [p, q) into scratch; errors are
** reported past the closing quote. */
static int unescape(scan *s, const char *p, const char *q, moat_text *out)
{
    const char *at = q + 1;
    if ((size_t)(q - p) > s->cap - s->used)
        return fail(s, at, "record too large to decode"), -1;
    char *o = s->scratch + s->used, *start = o;
    while (p < q) {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        if (q - p < 2)
            return fail(s, at, "bad escape"), -1;
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
            if (q - p < 4 || moat__hex4(p, &cp) != 0)
                return fail(s, at, "bad \\u escape"), -1;
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (q - p < 6 || p[0] != '\\' || p[1] != 'u' ||
                    moat__hex4(p + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
                    return fail(s, at, "unpaired surrogate"), -1;
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return fail(s, at, "unpaired surrogate"), -1;
            }
            o += moat__put_utf8(o, cp);
            break;
        }
        default: return fail(s, at, "bad escape"), -1;
        }
    }
    out->p = start;
    out->n = (size_t)(o - start);
    s->used += out->n;
    return 0;
}

static const char *skip_value(scan *s, const char *p, int depth);

/* The end of an unsigned integer at p followed by ',', '}' or ']', or
** NULL: most numbers of a record, which end there whatever the general
** loop of skip_literal would do, and pass its test. */
static inline const char *digits_end(const char *p, const char *end)
{
    const char *start = p;
    while (p < end && (unsigned char)(*p - '0') < 10)
        p++;
    if (p > start && p < end && (*p == ',' || *p == '}' || *p == ']'))
        return p;
    return NULL;
}

static const char *skip_literal(scan *s, const char *p)
{
    const char *start = p, *digits = digits_end(p, s->end);
    if (digits)
        return digits;
    while (p < s->end && *p != ',' && *p != '}' && *p != ']' &&
           (unsigned char)*p > ' ')
        p++;
    size_t n = (size_t)(p - start);
    if (n == 0)
        return fail(s, p, "expected a value");
    if ((n == 4 && memcmp(start, "true", 4) == 0) ||
        (n == 5 && memcmp(start, "false", 5) == 0) ||
        (n == 4 && memcmp(start, "null", 4) == 0))
        return p;
    /* A number, as leniently as cJSON takes one (it hands the digits,
    ** signs, points and exponents to strtod): only its value matters. */
    for (const char *c = start; c < p; c++) {
        if (!((*c >= '0' && *c <= '9') || *c == '-' || *c == '+' || *c == '.' ||
              *c == 'e' || *c == 'E'))
            return fail(s, p, "expected a value");
    }
    return p;
}

/* p at the opening bracket or brace. */
static const char *skip_container(scan *s, const char *p, char close, int depth)
{
    const char *end = s->end;
    p = skip_ws(p + 1, end);
    if (p < end && *p == close)
        return p + 1;
    for (;;) {
        if (close == '}') {
            if (p >= end || *p != '"')
                return fail(s, p, "expected a member name");
            int esc = 0;
            const char *q = string_end(s, p + 1, &esc);
            if (q == NULL)
                return NULL;
            if (end - q > 2 && q[1] == ':' && (unsigned char)q[2] > ' ') {
                p = q + 2; /* compact JSON */
            } else {
                p = skip_ws(q + 1, end);
                if (p >= end || *p != ':')
                    return fail(s, p, "expected ':'");
                p = skip_ws(p + 1, end);
            }
        }
        /* A string is skipped here (what skip_value would do at this
        ** depth), other values there. */
        if (depth < 64 && p < end && *p == '"') {
            int esc = 0;
            if ((p = string_end(s, p + 1, &esc)) == NULL)
                return NULL;
            p++;
        } else if ((p = skip_value(s, p, depth + 1)) == NULL) {
            return NULL;
        }
        if (end - p > 1 && p[0] == ',' && (unsigned char)p[1] > ' ') {
            p++;
            continue;
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == close)
            return p + 1;
        return fail(
            s, p, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static const char *skip_value(scan *s, const char *p, int depth)
{
    if (depth > 64)
        return fail(s, p, "nested too deeply");
    if (p >= s->end)
        return fail(s, p, "expected a value");
    switch (*p) {
    case '"': {
        int esc = 0;
        const char *q = string_end(s, p + 1, &esc);
        return q ? q + 1 : NULL;
    }
    case '{': return skip_container(s, p, '}', depth);
    case '[': return skip_container(s, p, ']', depth);
    default: return skip_literal(s, p);
    }
}

/* Keeps a member's value: a string's body (decoded when escaped), or the
** text of a number or literal; null and containers keep nothing. */
static const char *capture(scan *s, const char *p, log_field f, int depth)
{
    moat_text *t = &s->out->v[f];
    /* The first of duplicate members wins, as in cJSON. */
    int first = !(s->out->seen & SEEN_FIELD(f));
    s->out->seen |= SEEN_FIELD(f);
    if (*p == '"') {
        int esc = 0;
        const char *q = string_end(s, p + 1, &esc);
        if (q == NULL)
            return NULL;
        if (first && esc) {
            if (unescape(s, p + 1, q, t) < 0)
                return NULL;
        } else if (first) {
            t->p = p + 1;
            t->n = (size_t)(q - (p + 1));
        }
        return q + 1;
    }
    const char *q = skip_value(s, p, depth);
    if (q == NULL)
        return NULL;
    /* A list of perimeter GUIDs is kept as its JSON text. */
    int list = *p == '[' && f == LF_SOURCE_PERIMETERS;
    if (first && *p != '{' && (*p != '[' || list) &&
        !(q - p == 4 && memcmp(p, "null", 4) == 0)) {
        t->p = p;
        t->n = (size_t)(q - p);
    }
    return q;
}

/* One member's value, p at its first byte: descended into, kept or
** skipped by what its name is in ctx. */
static const char *scan_object(scan *s, const char *p, log_ctx ctx, int depth);

static const char *member_value(scan *s, const char *p, const key_entry *k,
                                int depth)
{
    if (k == NULL)
        return skip_value(s, p, depth + 1);
    if (k->field != LF_COUNT && (*p != '{' || k->child == CTX_NONE))
        return capture(s, p, k->field, depth + 1);
    int first_object = !(s->out->seen & SEEN_OBJECT(k->child));
    s->out->seen |= SEEN_OBJECT(k->child);
    if (first_object && *p == '{')
        return scan_object(s, p, k->child, depth + 1);
    return skip_value(s, p, depth + 1);
}

/* A member's name the shape did not predict, p at its opening quote:
** where its value starts, with *key its key in ctx (NULL: not one of
** ours), or NULL on an error. The shape learns it: *prev is the name
** before it (0 at the object's start, -1 one the shape does not know) and
** becomes this one. */
static const char *member_name(scan *s, const char *p, log_ctx ctx, int *prev,
                               const key_entry **key)
{
    const char *end = s->end, *name = p + 1, *value;
    int esc = 0;
    const char *q = string_end(s, name, &esc);
    if (q == NULL)
        return NULL;
    size_t nlen = (size_t)(q - name);
    int compact = end - q > 2 && q[1] == ':' && (unsigned char)q[2] > ' ';
    if (compact) {
        value = q + 2; /* compact JSON, as Azure writes it */
    } else {
        value = skip_ws(q + 1, end);
        if (value >= end || *value != ':')
            return fail(s, value, "expected ':'");
        value = skip_ws(value + 1, end);
        if (value >= end)
            return fail(s, value, "expected a value");
    }
    /* Names with escapes are never ours: skip them. */
    *key = esc || nlen == 0 ? NULL : find_key(ctx, name, nlen, end);
    log_shape *sh = s->shape;
    unsigned i = sh && compact && !esc
                     ? shape_learn(sh, ctx, name, nlen, *key)
                     : 0;
    if (i && *prev >= 0)
        shape_link(sh, ctx, (unsigned)*prev, i);
    *prev = i ? (int)i : -1;
    return value;
}

/* p at the opening brace. */
static const char *scan_object(scan *s, const char *p, log_ctx ctx, int depth)
{
    const char *end = s->end;
    if (depth > 64)
        return fail(s, p, "nested too deeply");
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}')
        return p + 1;
    /* The shape's guess at the next member's name (0: none), and the name
    ** read last (0: none yet; -1: one the shape does not hold). */
    const log_shape *sh = s->shape;
    unsigned guess = sh ? sh->first[ctx] : 0;
    int prev = 0;
    for (;;) {
        if (p >= end || *p != '"')
            return fail(s, p, "expected a member name");
        const key_entry *k;
        const char *value =
            guess ? shape_confirm(&sh->name[guess], p + 1, end) : NULL;
        if (value) {
            k = sh->name[guess].key;
            prev = (int)guess;
            guess = sh->name[guess].next;
        } else if ((value = member_name(s, p, ctx, &prev, &k)) == NULL) {
            return NULL;
        } else {
            guess = prev > 0 ? sh->name[prev].next : 0;
        }
        p = value;
        const char *digits;
        if (k == NULL && *p == '"') { /* most members: a string skipped */
            int value_esc = 0;
            if ((p = string_end(s, p + 1, &value_esc)) == NULL)
                return NULL;
            p++;
        } else if (k == NULL && (digits = digits_end(p, end)) != NULL) {
            p = digits; /* and most others a number */
        } else if ((p = member_value(s, p, k, depth)) == NULL) {
            return NULL;
        }
        if (end - p > 1 && p[0] == ',' && p[1] == '"') {
            p++;
            continue;
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p = skip_ws(p + 1, end);
            continue;
        }
        if (p < end && *p == '}')
            return p + 1;
        return fail(s, p, "expected ',' or '}'");
    }
}

int moat__log_scan_json(const char *rec, size_t len, log_fields *out,
                        char *scratch, size_t cap, log_shape *shape,
                        log_error *err)
{
    moat__log_scan_init();
    memset(out, 0, sizeof *out);
    scan s = {rec + len, out, shape, scratch, cap, 0, NULL, NULL};
    const char *p = skip_ws(rec, s.end);
    if (p >= s.end || *p != '{') {
        err->msg = "expected a JSON object";
        err->at = (size_t)(p - rec);
        return -1;
    }
    if ((p = scan_object(&s, p, CTX_TOP, 0)) != NULL) {
        p = skip_ws(p, s.end);
        if (p == s.end)
            return 0;
        fail(&s, p, "text after the record");
    }
    err->msg = s.err;
    err->at = (size_t)(s.err_at - rec);
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

const char *moat__log_key(size_t i, log_ctx *ctx, log_field *field,
                          log_ctx *child)
{
    if (i >= N_KEYS)
        return NULL;
    *ctx = keys[i].ctx;
    *field = keys[i].field;
    *child = keys[i].child;
    return keys[i].name;
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
        if (k->column && moat__eq_ci(k->name, k->len, name, n))
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

/*--------------------------------------------------------------------------
** Classic Storage Analytics lines ($logs, "Storage Analytics log format"):
** semicolon-separated fields, the version first; 30 fields in 1.0, 38 in
** 2.0 (the requester's object id, tenant and application added). Fields
** that may hold a quote, a semicolon or a newline are quoted and HTML
** encoded. Azure's own lines do not always encode: ETags appear as
** ""0x8D..."" and 2.0's authorization detail as raw JSON, so a quote
** closes a field only when a semicolon or the end of the line follows it
** (what Azure's .NET reader does).
*/
typedef struct classic_version {
    const char *name;
    size_t fields;
} classic_version;

static const classic_version classic_versions[] = {{"1.0", 30}, {"2.0", 38}};

/* Field positions, by the format's order. */
static log_field classic_field(size_t i)
{
    switch (i) {
    case 1: return LF_TIME;        /* request-start-time */
    case 2: return LF_OPERATION;   /* operation-type */
    case 3: return LF_STATUS_TEXT; /* request-status */
    case 4: return LF_STATUS_CODE; /* http-status-code */
    case 7: return LF_AUTH;        /* authentication-type */
    case 9: return LF_ACCOUNT;     /* owner-account-name */
    case 10: return LF_SERVICE;    /* service-type */
    case 11: return LF_URI;        /* request-url */
    case 12: return LF_OBJECT_KEY; /* requested-object-key */
    case 15: return LF_CALLER_IP;  /* requester-ip-address */
    case 30: return LF_OBJECT_ID;  /* user-object-id (2.0) */
    case 31: return LF_TENANT_ID;  /* tenant-id (2.0) */
    case 32: return LF_APP_ID;     /* application-id (2.0) */
    default: return LF_COUNT;
    }
}

/* The character an HTML entity at p (after its '&', up to end) stands
** for, and its length through the ';'; 0 when it is not one. */
static size_t html_entity(const char *p, const char *end, unsigned *cp)
{
    static const struct {
        const char *name;
        unsigned cp;
    } named[] = {{"quot;", '"'},
                 {"amp;", '&'},
                 {"lt;", '<'},
                 {"gt;", '>'},
                 {"apos;", '\''}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        size_t n = strlen(named[i].name);
        if ((size_t)(end - p) >= n && memcmp(p, named[i].name, n) == 0) {
            *cp = named[i].cp;
            return n;
        }
    }
    if (end - p < 3 || p[0] != '#')
        return 0;
    int hex = p[1] == 'x' || p[1] == 'X';
    unsigned v = 0;
    size_t i = hex ? 2 : 1, digits = 0;
    for (; p + i < end && digits < 7; i++, digits++) {
        int d = hex                          ? moat__hex_digit(p[i])
                : p[i] >= '0' && p[i] <= '9' ? p[i] - '0'
                                             : -1;
        if (d < 0)
            break;
        v = v * (hex ? 16u : 10u) + (unsigned)d;
    }
    if (digits == 0 || p + i >= end || p[i] != ';' || v == 0 || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return i + 1;
}

/* A quoted field's body [p, q), decoded into scratch when it holds '&'. */
static int html_decode(const char *p, const char *q, char *scratch, size_t cap,
                       size_t *used, moat_text *out)
{
    if (memchr(p, '&', (size_t)(q - p)) == NULL) {
        out->p = p;
        out->n = (size_t)(q - p);
        return 0;
    }
    /* Decoding never lengthens: an entity is at least as long as its
    ** UTF-8 (the shortest, "&#1;", is 4 bytes for 1). */
    if ((size_t)(q - p) > cap - *used)
        return -1;
    char *o = scratch + *used, *start = o;
    while (p < q) {
        unsigned cp;
        size_t n = *p == '&' ? html_entity(p + 1, q, &cp) : 0;
        if (n == 0) {
            *o++ = *p++;
            continue;
        }
        o += moat__put_utf8(o, cp);
        p += 1 + n;
    }
    out->p = start;
    out->n = (size_t)(o - start);
    *used += out->n;
    return 0;
}

/* The end of the quoted field opening at p: a quote followed by ';' or
** the end of the line; NULL when there is none. */
static const char *classic_quote_end(const char *p, const char *end)
{
    for (const char *q = p + 1; q < end; q++) {
        q = first_of2(q, end, '"', '"');
        if (q == end)
            return NULL;
        if (q + 1 == end || q[1] == ';')
            return q;
    }
    return NULL;
}

static int classic_fail(log_error *err, const char *rec, const char *at,
                        const char *msg)
{
    err->msg = msg;
    err->at = (size_t)(at - rec);
    return -1;
}

static const classic_version *classic_version_of(const char *p, const char *end)
{
    const char *semi = memchr(p, ';', (size_t)(end - p));
    for (size_t i = 0; semi && i < MOAT_ARRAY_LEN(classic_versions); i++) {
        size_t n = strlen(classic_versions[i].name);
        if ((size_t)(semi - p) == n &&
            memcmp(p, classic_versions[i].name, n) == 0)
            return &classic_versions[i];
    }
    return NULL;
}

static const char *classic_error(log_error *err, const char *rec,
                                 const char *at, const char *msg)
{
    classic_fail(err, rec, at, msg);
    return NULL;
}

/* Whether the ';' at semi ends an HTML entity that starts in [from,
** semi): "&amp;" and its kind inside an unquoted field. */
static int ends_entity(const char *from, const char *semi)
{
    for (const char *a = semi - 1; a >= from && semi - a <= 10; a--) {
        unsigned cp;
        if (*a == '&')
            return html_entity(a + 1, semi + 1, &cp) == (size_t)(semi - a);
    }
    return 0;
}

/* An unquoted field's end: its ';' or the line's end; when lenient, a
** ';' that closes an entity does not end it. */
static const char *unquoted_end(const char *p, const char *end, int lenient)
{
    const char *c = first_of2(p, end, ';', '"');
    while (lenient && c < end && *c == ';' && ends_entity(p, c))
        c = first_of2(c + 1, end, ';', '"');
    return c;
}

/* The field starting at p, kept in *v when f is wanted (quoted ones
** decoded into scratch, unquoted ones too when lenient): where it ends
** (its ';' or the line's end), or NULL with err set. */
static const char *classic_field_at(const char *rec, const char *p,
                                    const char *end, log_field f, int lenient,
                                    char *scratch, size_t cap, size_t *used,
                                    moat_text *v, log_error *err)
{
    v->p = p;
    v->n = 0;
    if (p < end && *p == '"') {
        const char *q = classic_quote_end(p, end);
        if (q == NULL)
            return classic_error(err, rec, end, "unterminated quoted field");
        if (f != LF_COUNT && html_decode(p + 1, q, scratch, cap, used, v) != 0)
            return classic_error(err, rec, p, "record too large to decode");
        return q + 1;
    }
    const char *c = unquoted_end(p, end, lenient);
    if (c < end && *c == '"')
        return classic_error(err, rec, c, "a quote inside an unquoted field");
    v->n = (size_t)(c - p);
    if (lenient && f != LF_COUNT &&
        html_decode(p, c, scratch, cap, used, v) != 0)
        return classic_error(err, rec, p, "record too large to decode");
    return c;
}

/* The fields of a line of version ver from p; the number of fields
** found, or 0 with err set. */
static size_t classic_split(const char *rec, const char *p, const char *end,
                            const classic_version *ver, int lenient,
                            log_fields *out, char *scratch, size_t cap,
                            log_error *err)
{
    memset(out->v, 0, sizeof out->v);
    size_t used = 0, i = 0;
    for (;; i++) {
        log_field f = i < ver->fields ? classic_field(i) : LF_COUNT;
        moat_text v;
        p = classic_field_at(rec, p, end, f, lenient, scratch, cap, &used, &v,
                             err);
        if (p == NULL)
            return 0;
        if (f != LF_COUNT && v.n)
            out->v[f] = v;
        if (p >= end)
            return i + 1;
        p++; /* ';' */
    }
}

int moat__log_scan_classic(const char *rec, size_t len, log_fields *out,
                           char *scratch, size_t cap, log_error *err)
{
    memset(out, 0, sizeof *out);
    const char *p = rec, *end = rec + len;
    while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
        end--;
    const classic_version *ver = classic_version_of(p, end);
    if (ver == NULL)
        return classic_fail(
            err, rec, p,
            "not a Storage Analytics log line of version 1.0 or 2.0");
    size_t n = classic_split(rec, p, end, ver, 0, out, scratch, cap, err);
    if (n == 0)
        return -1;
    if (n > ver->fields) {
        /* Azure's documentation shows request URLs unquoted with their
        ** '&' encoded ("...?se=...&amp;sig=...", storage-analytics-logging
        ** "Log entries"): each "&amp;" ends in a ';'. When the line has
        ** too many fields, a split that keeps entities whole is tried;
        ** it stands only when it gives the version's count exactly. */
        log_error lenient_err;
        if (classic_split(rec, p, end, ver, 1, out, scratch, cap,
                          &lenient_err) == ver->fields) {
            out->lenient = 1;
            return 0;
        }
    }
    if (n != ver->fields)
        return classic_fail(err, rec, end,
                            n < ver->fields
                                ? "fewer fields than its version has"
                                : "more fields than its version has");
    return 0;
}
