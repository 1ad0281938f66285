/*
** test_log_scan_ref.c - replay's JSON record scanner against a reference
** written for clarity, not speed: byte at a time, member names found by a
** linear search of the scanner's own name list, no fast path. The scanner
** reads compact JSON, numbers and skipped strings by shortcuts (bench/
** RESULTS.md, issue 16); whatever the input, both must accept or refuse
** it alike, with the same message at the same byte, and keep the same
** fields, whether the scanner is given a shape (the member names it has
** learned to predict) or not. Inputs: every file of the log and request
** fuzz corpora (whole, and line by line), generated records with and
** without whitespace, and mutations of them; records of a few fixed
** shapes in random order; a shape taught more names than it holds.
*/
#include "harness.h"
#include "log.h"

#include <dirent.h>
#include <stdlib.h>

typedef struct ref {
    const char *end;
    log_fields *out;
    char *scratch;
    size_t cap, used;
    const char *err, *err_at;
} ref;

static const char *ref_fail(ref *r, const char *at, const char *msg)
{
    if (r->err == NULL) {
        r->err = msg;
        r->err_at = at;
    }
    return NULL;
}

static const char *ref_ws(ref *r, const char *p)
{
    while (p < r->end && (unsigned char)*p <= ' ')
        p++;
    return p;
}

/* p past the opening quote: the closing one. */
static const char *ref_string_end(ref *r, const char *p, int *esc)
{
    for (; p < r->end; p++) {
        if (*p == '"')
            return p;
        if (*p == '\\') {
            *esc = 1;
            if (++p >= r->end)
                break;
        }
    }
    return ref_fail(r, r->end, "unterminated string");
}

static int ref_unescape(ref *r, const char *p, const char *q, moat_text *t)
{
    const char *at = q + 1;
    if ((size_t)(q - p) > r->cap - r->used)
        return ref_fail(r, at, "record too large to decode"), -1;
    char *o = r->scratch + r->used, *start = o;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    while (p < q) {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        if (q - p < 2)
            return ref_fail(r, at, "bad escape"), -1;
        const char *c = p[1] ? strchr(from, p[1]) : NULL;
        p += 2;
        if (c) {
            *o++ = to[c - from];
            continue;
        }
        unsigned cp, lo;
        if (p[-1] != 'u')
            return ref_fail(r, at, "bad escape"), -1;
        if (q - p < 4 || moat__hex4(p, &cp) != 0)
            return ref_fail(r, at, "bad \\u escape"), -1;
        p += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return ref_fail(r, at, "unpaired surrogate"), -1;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (q - p < 6 || p[0] != '\\' || p[1] != 'u' ||
                moat__hex4(p + 2, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
                return ref_fail(r, at, "unpaired surrogate"), -1;
            p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        o += moat__put_utf8(o, cp);
    }
    t->p = start;
    t->n = (size_t)(o - start);
    r->used += t->n;
    return 0;
}

static const char *ref_value(ref *r, const char *p, int depth);

static const char *ref_literal(ref *r, const char *p)
{
    const char *start = p;
    while (p < r->end && !strchr(",}]", *p) && (unsigned char)*p > ' ')
        p++;
    size_t n = (size_t)(p - start);
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++)
        if (n == strlen(words[i]) && memcmp(start, words[i], n) == 0)
            return p;
    for (const char *c = start; c < p; c++)
        if (!strchr("0123456789-+.eE", *c) || *c == '\0')
            return ref_fail(r, p, "expected a value");
    return n ? p : ref_fail(r, p, "expected a value");
}

/* p at the opening quote of a member name: past its ':' and spaces, the
** name in *name (NULL when it has escapes). */
static const char *ref_member_name(ref *r, const char *p, moat_text *name)
{
    if (p >= r->end || *p != '"')
        return ref_fail(r, p, "expected a member name");
    int esc = 0;
    const char *q = ref_string_end(r, p + 1, &esc);
    if (q == NULL)
        return NULL;
    name->p = esc ? NULL : p + 1;
    name->n = (size_t)(q - (p + 1));
    p = ref_ws(r, q + 1);
    if (p >= r->end || *p != ':')
        return ref_fail(r, p, "expected ':'");
    return ref_ws(r, p + 1);
}

/* The rest of a container after its opening byte and spaces: members
** (ctx >= 0, an object the scanner reads) or skipped values. */
static const char *ref_members(ref *r, const char *p, char close, int ctx,
                               int depth);

static const char *ref_value(ref *r, const char *p, int depth)
{
    if (depth > 64)
        return ref_fail(r, p, "nested too deeply");
    if (p >= r->end)
        return ref_fail(r, p, "expected a value");
    int esc = 0;
    const char *q;
    switch (*p) {
    case '"': return (q = ref_string_end(r, p + 1, &esc)) ? q + 1 : NULL;
    case '{': return ref_members(r, ref_ws(r, p + 1), '}', -1, depth);
    case '[': return ref_members(r, ref_ws(r, p + 1), ']', -1, depth);
    default: return ref_literal(r, p);
    }
}

static const char *ref_capture(ref *r, const char *p, log_field f, int depth)
{
    moat_text *t = &r->out->v[f];
    int first = !(r->out->seen & ((uint64_t)1 << f));
    r->out->seen |= (uint64_t)1 << f;
    int esc = 0;
    if (*p == '"') {
        const char *q = ref_string_end(r, p + 1, &esc);
        if (q && first && esc && ref_unescape(r, p + 1, q, t) < 0)
            return NULL;
        if (q && first && !esc)
            *t = (moat_text){p + 1, (size_t)(q - (p + 1))};
        return q ? q + 1 : NULL;
    }
    const char *q = ref_value(r, p, depth);
    int kept = *p != '{' && (*p != '[' || f == LF_SOURCE_PERIMETERS) &&
               !(q && q - p == 4 && memcmp(p, "null", 4) == 0);
    if (q && first && kept)
        *t = (moat_text){p, (size_t)(q - p)};
    return q;
}

/* One member of an object the scanner reads, p at its value. */
static const char *ref_member(ref *r, const char *p, moat_text name, int ctx,
                              int depth)
{
    log_ctx kctx, child;
    log_field field;
    const char *k = NULL;
    for (size_t i = 0; name.p && name.n &&
                       (k = moat__log_key(i, &kctx, &field, &child)) != NULL;
         i++)
        if ((int)kctx == ctx && strlen(k) == name.n &&
            memcmp(k, name.p, name.n) == 0)
            break;
    if (!name.p || !name.n || k == NULL)
        return ref_value(r, p, depth + 1);
    /* A member with a field of its own is captured, unless it is an
    ** object whose members are read too (AZKVAuditLogs' Identity: its
    ** JSON text in CSV rows, an object in JSON rows). */
    if (field != LF_COUNT && (*p != '{' || child == CTX_NONE))
        return ref_capture(r, p, field, depth + 1);
    uint64_t bit = (uint64_t)1 << (LF_COUNT + child);
    int first = !(r->out->seen & bit);
    r->out->seen |= bit;
    if (first && *p == '{') {
        if (depth + 1 > 64)
            return ref_fail(r, p, "nested too deeply");
        return ref_members(r, ref_ws(r, p + 1), '}', (int)child, depth + 1);
    }
    return ref_value(r, p, depth + 1);
}

static const char *ref_members(ref *r, const char *p, char close, int ctx,
                               int depth)
{
    if (p < r->end && *p == close)
        return p + 1;
    for (;;) {
        moat_text name = {NULL, 0};
        if (close == '}' && (p = ref_member_name(r, p, &name)) == NULL)
            return NULL;
        if (ctx >= 0 && p >= r->end)
            return ref_fail(r, p, "expected a value");
        p = ctx >= 0 ? ref_member(r, p, name, ctx, depth)
                     : ref_value(r, p, depth + 1);
        if (p == NULL)
            return NULL;
        p = ref_ws(r, p);
        if (p < r->end && *p == ',') {
            p = ref_ws(r, p + 1);
            continue;
        }
        if (p < r->end && *p == close)
            return p + 1;
        return ref_fail(r, p,
                        close == '}' ? "expected ',' or '}'"
                                     : "expected ',' or ']'");
    }
}

static int ref_scan(const char *rec, size_t len, log_fields *out,
                    char *scratch, size_t cap, log_error *err)
{
    memset(out, 0, sizeof *out);
    ref r = {rec + len, out, scratch, cap, 0, NULL, NULL};
    const char *p = ref_ws(&r, rec);
    if (p >= r.end || *p != '{') {
        *err = (log_error){"expected a JSON object", (size_t)(p - rec)};
        return -1;
    }
    p = ref_members(&r, ref_ws(&r, p + 1), '}', CTX_TOP, 0);
    if (p && (p = ref_ws(&r, p)) == r.end)
        return 0;
    if (p)
        ref_fail(&r, p, "text after the record");
    *err = (log_error){r.err, (size_t)(r.err_at - rec)};
    return -1;
}

/* The shape the scanner learns from every input it is given here, as a
** reader's learns from a log: its predictions must change no answer. */
static log_shape *taught;

/* 1 when the scanner (with the shape sh, or none) and the reference
** agree on the n bytes at p. */
static int agrees(const char *p, size_t n, log_shape *sh, const char *how)
{
    static char s1[1 << 16], s2[1 << 16];
    size_t cap = n < sizeof s1 ? n : sizeof s1;
    log_fields a, b;
    log_error ea = {NULL, 0}, eb = {NULL, 0};
    int ra = moat__log_scan_json(p, n, &a, s1, cap, sh, &ea);
    int rb = ref_scan(p, n, &b, s2, cap, &eb);
    int same = ra == rb && a.seen == b.seen;
    if (same && ra != 0)
        same = ea.at == eb.at && strcmp(ea.msg, eb.msg) == 0;
    for (int f = 0; same && ra == 0 && f < LF_COUNT; f++)
        same = (a.v[f].p == NULL) == (b.v[f].p == NULL) &&
               a.v[f].n == b.v[f].n &&
               (a.v[f].n == 0 || memcmp(a.v[f].p, b.v[f].p, a.v[f].n) == 0);
    if (!same)
        printf("#   %s: scanner %d %s@%zu, reference %d %s@%zu\n", how, ra,
               ea.msg ? ea.msg : "-", ea.at, rb, eb.msg ? eb.msg : "-", eb.at);
    return same;
}

/* 1 when the scanner and the reference agree on the n bytes at text:
** without a shape, with the shape taught by every input before, and with
** it once more, taught by this input too. */
static int same_as_reference(const char *text, size_t n)
{
    if (taught == NULL && (taught = moat__log_shape_new()) == NULL)
        return printf("#   out of memory\n"), 0;
    char *p = malloc(n ? n : 1); /* exact size: ASan sees any overread */
    memcpy(p, text, n);
    int same = agrees(p, n, NULL, "no shape") &&
               agrees(p, n, taught, "taught by the inputs before") &&
               agrees(p, n, taught, "taught by this input too");
    free(p);
    return same;
}

/* Each file of a corpus, whole and line by line; the files checked. */
static int corpus_agrees(const char *dir, int *files)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return printf("#   cannot open %s\n", dir), 0;
    struct dirent *e;
    int ok = 1;
    static char buf[1 << 20];
    while (ok && (e = readdir(d)) != NULL) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = e->d_name[0] == '.' ? NULL : fopen(path, "rb");
        if (f == NULL)
            continue;
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        ++*files;
        ok = same_as_reference(buf, n) &&
             (n == 0 || same_as_reference(buf + 1, n - 1));
        for (const char *l = buf, *nl; ok && l < buf + n; l = nl + 1) {
            nl = memchr(l, '\n', (size_t)(buf + n - l));
            if (nl == NULL)
                nl = buf + n;
            ok = same_as_reference(l, (size_t)(nl - l));
        }
        if (!ok)
            printf("#   %s\n", path);
    }
    closedir(d);
    return ok;
}

TEST(log_scan_agrees_with_reference_on_the_fuzz_corpora)
{
    int files = 0;
    ASSERT(corpus_agrees("fuzz/corpus/log", &files));
    ASSERT(corpus_agrees("fuzz/corpus/request", &files));
    ASSERT(files > 100);
    printf("#   %d corpus files agreed\n", files);
}

static uint64_t seed = 0x2545F4914F6CDD1DULL;

/* Knuth's MMIX linear congruential generator, its high bits. */
static uint32_t pick(uint32_t below)
{
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(seed >> 33) % below;
}

/* A record: members named from the scanner's list (in any context) or
** not, values of every kind, optional whitespace. */
static void gen_value(char *o, size_t *n, int depth, int spaced);

static void gen_object(char *o, size_t *n, int depth, int spaced)
{
    static const char *const extra[] = {"operationVersion", "x", "tokenHash",
                                        "", "a\\\"b", "etag"};
    o[(*n)++] = '{';
    for (uint32_t i = 0, m = pick(depth ? 4 : 12); i < m; i++) {
        log_ctx c;
        log_field f;
        const char *name = moat__log_key(pick(100), &c, &f, &c);
        *n += (size_t)sprintf(o + *n, "%s\"%s\"%s:%s", i ? "," : "",
                              name ? name : extra[pick(6)],
                              spaced && pick(2) ? " " : "",
                              spaced && pick(2) ? "\n" : "");
        gen_value(o, n, depth + 1, spaced);
    }
    o[(*n)++] = '}';
}

static void gen_value(char *o, size_t *n, int depth, int spaced)
{
    static const char *const atoms[] = {
        "\"10.0.1.4:443\"", "206", "-1.5e3", "true", "null", "\"a\\u00e9\\n\"",
        "\"\\ud83d\\ude00\"", "\"\\\"0x8D\\\"\"", "[1,2]", "[]", "\"\"", "0"};
    if (depth < 4 && pick(4) == 0)
        gen_object(o, n, depth, spaced);
    else
        *n += (size_t)sprintf(o + *n, "%s", atoms[pick(12)]);
}

/* Strings, numbers and empty containers at the nesting limit and around
** it, in arrays and objects, in a skipped member and in a read one. */
TEST(log_scan_agrees_with_reference_at_the_depth_limit)
{
    static const char *const inner[] = {"\"s\"", "1", "[]", "{}", "\"\\"};
    char rec[1024];
    for (int d = 58; d < 70; d++) {
        for (size_t v = 0; v < 5; v++) {
            for (int obj = 0; obj < 2; obj++) {
                size_t n = (size_t)sprintf(rec, "{\"%s\":",
                                           d % 2 ? "x" : "properties");
                for (int i = 0; i < d; i++)
                    n += (size_t)sprintf(rec + n, obj ? "{\"a\":" : "[");
                n += (size_t)sprintf(rec + n, "%s", inner[v]);
                for (int i = 0; i < d; i++)
                    rec[n++] = obj ? '}' : ']';
                rec[n++] = '}';
                if (!same_as_reference(rec, n))
                    FAIL_AT("depth %d: %.*s", d, (int)n, rec);
            }
        }
    }
}

TEST(log_scan_agrees_with_reference_on_records)
{
    static char rec[1 << 16];
    for (int i = 0; i < 20000; i++) {
        size_t n = 0;
        gen_object(rec, &n, 0, i % 2);
        ASSERT(same_as_reference(rec, n));
        for (int m = 0; m < 4; m++) {
            char mut[1 << 16];
            size_t k = n, at = pick((uint32_t)n);
            memcpy(mut, rec, n);
            if (m == 0)
                k = at; /* cut short */
            else if (m == 1)
                mut[at] = "\"{}[],:\\ 0a"[pick(11)];
            else if (m == 2)
                mut[at] = (char)pick(256);
            else
                memmove(mut + at, mut + at + 1, --k - at);
            if (!same_as_reference(mut, k))
                FAIL_AT("mutation %d of record %d: %.*s", m, i, (int)k, mut);
        }
    }
}

/* The objects of Azure's records, as the shapes a log repeats: members
** by name, an object's members by the index of its description. */
typedef struct shape_obj {
    const char *name[18];
    int child[18]; /* the description of the member's object, or 0 */
} shape_obj;

static const shape_obj azure_objects[] = {
    {{NULL}, {0}},
    {{"time", "resourceId", "category", "operationName", "operationVersion",
      "schemaVersion", "statusCode", "statusText", "durationMs",
      "callerIpAddress", "correlationId", "identity", "location",
      "properties", "uri", "protocol", "resourceType"},
     {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0}},
    {{"type", "tokenHash", "requester", "claim"}, {0, 0, 4, 5}},
    {{"accountName", "userAgentHeader", "serviceType", "objectKey", "etag",
      "requestHeaderSize", "conditionsUsed", "serviceResourceId",
      "matchedRule", "source", "httpStatusCode", "requestUri"},
     {0, 0, 0, 0, 0, 0, 0, 0, 6, 7, 0, 0}},
    {{"objectId", "tenantId", "appId", "upn"}, {0}},
    {{"oid", "tid", "appid",
      "http://schemas.microsoft.com/identity/claims/objectidentifier"},
     {0}},
    {{"accessRule"}, {0}},
    {{"ipAddress", "resourceId", "perimeterGuids", "appId", "protocol"},
     {0}},
};

/* A member name as written, most often as the shape has it, sometimes
** changed by a byte, cut, grown, escaped or spaced. */
static void gen_name(char *o, size_t *n, const char *name)
{
    size_t len = strlen(name);
    switch (pick(40)) {
    case 0: *n += (size_t)sprintf(o + *n, "\"%.*sX\":", (int)len - 1, name); break;
    case 1: *n += (size_t)sprintf(o + *n, "\"%sx\":", name); break;
    case 2: *n += (size_t)sprintf(o + *n, "\"%.*s\":", (int)len - 1, name); break;
    case 3: *n += (size_t)sprintf(o + *n, "\"\\u%04x%s\":", name[0], name + 1); break;
    case 4: *n += (size_t)sprintf(o + *n, "\"%s\" :", name); break;
    case 5: *n += (size_t)sprintf(o + *n, "\"%s\": ", name); break;
    default: *n += (size_t)sprintf(o + *n, "\"%s\":", name); break;
    }
}

static void gen_azure(char *o, size_t *n, int obj)
{
    static const char *const atoms[] = {
        "\"10.0.1.4:443\"", "206", "\"a\\u00e9\"", "null", "\"\"",
        "\"\\\"0x8D\\\"\"", "[\"g1\",\"g2\"]", "\"Success\"", "0",
        "\"https://st.blob.core.windows.net/c/b?x=1\""};
    const shape_obj *d = &azure_objects[obj];
    int first = 1;
    o[(*n)++] = '{';
    for (int i = 0; i < 18 && d->name[i]; i++) {
        if (pick(8) == 0)
            continue; /* a member this record does not have */
        if (!first)
            o[(*n)++] = ',';
        first = 0;
        gen_name(o, n, d->name[i]);
        if (d->child[i] && pick(6))
            gen_azure(o, n, d->child[i]);
        else
            *n += (size_t)sprintf(o + *n, "%s", atoms[pick(10)]);
    }
    o[(*n)++] = '}';
}

TEST(log_scan_agrees_with_reference_on_logs_of_a_few_shapes)
{
    static char rec[1 << 16], mut[1 << 16];
    for (int i = 0; i < 20000; i++) {
        size_t n = 0;
        gen_azure(rec, &n, 1);
        if (!same_as_reference(rec, n))
            FAIL_AT("record %d: %.*s", i, (int)n, rec);
        /* one byte changed or the record cut short, where the shape has
        ** just been taught its names */
        size_t at = pick((uint32_t)n), k = n;
        memcpy(mut, rec, n);
        if (i % 2)
            mut[at] = "\"{}[],:\\ xa"[pick(11)];
        else
            k = at;
        if (!same_as_reference(mut, k))
            FAIL_AT("mutation of record %d: %.*s", i, (int)k, mut);
    }
}

/* More names than a shape holds: the ones past it are read the general
** way, and the ones it holds are still predicted. */
TEST(log_scan_agrees_with_reference_past_a_full_shape)
{
    log_shape *kept = taught;
    taught = moat__log_shape_new();
    ASSERT(taught != NULL);
    static char rec[1 << 16];
    for (int round = 0; round < 3; round++) {
        for (int r = 0; r < 40; r++) {
            size_t n = 0;
            rec[n++] = '{';
            for (int m = 0; m < 20; m++)
                n += (size_t)sprintf(rec + n, "%s\"n%u\":%u", m ? "," : "",
                                     (unsigned)(r * 20 + m) % 600, pick(9));
            n += (size_t)sprintf(rec + n, ",\"uri\":\"u\",\"time\":\"t\"}");
            if (!same_as_reference(rec, n))
                FAIL_AT("round %d, record %d: %.*s", round, r, (int)n, rec);
        }
    }
    moat__log_shape_free(taught);
    taught = kept;
}
