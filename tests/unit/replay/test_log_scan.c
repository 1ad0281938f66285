/*
** test_log_scan.c - replay's record scanner against a packaged JSON parser
** (cJSON, Debian's libcjson): on 20,000 generated records, and on 40,000
** mutations of them (bytes flipped, inserted, removed, records cut short),
** whenever a record is valid JSON (cJSON and moat's strict parser both
** accept it) the scanner accepts it too and extracts the same values as
** cJSON; on the others it may refuse (and must not crash). Then broken
** records and CSV rows.
*/
#include "harness.h"
#include "log.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static uint32_t rnd(uint32_t below)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % below);
}

typedef struct gen {
    char buf[8192];
    size_t n;
} gen;

static void put(gen *g, const char *s)
{
    size_t k = strlen(s);
    if (g->n + k < sizeof g->buf) {
        memcpy(g->buf + g->n, s, k);
        g->n += k;
    }
}

static void ws(gen *g)
{
    static const char *const w[] = {"", "", "", " ", "\n", "\t ", "\r\n"};
    put(g, w[rnd(7)]);
}

/* A string value: plain, with escapes, with \u escapes and surrogates. */
static void string(gen *g)
{
    static const char *const parts[] = {
        "abc",
        "203.0.113.7:443",
        "\\\"",
        "\\\\",
        "\\/",
        "\\n",
        "\\u00e9",
        "\\u20AC",
        "\\ud83d\\ude00",
        "GetBlob",
        "/acct/c/b",
        "$logs",
        "%24logs",
        "é",
        "2001:db8::1",
        "\\t",
    };
    put(g, "\"");
    for (uint32_t i = rnd(4); i > 0; i--)
        put(g, parts[rnd(sizeof parts / sizeof parts[0])]);
    put(g, "\"");
}

static void value(gen *g, int depth);

static void object(gen *g, int depth, const char *const *names, size_t n)
{
    put(g, "{");
    uint32_t members = rnd(6) + (n ? 2 : 0);
    for (uint32_t i = 0; i < members; i++) {
        if (i)
            put(g, ",");
        ws(g);
        if (n && rnd(3)) {
            put(g, "\"");
            put(g, names[rnd((uint32_t)n)]);
            put(g, "\"");
        } else {
            string(g);
        }
        ws(g);
        put(g, ":");
        ws(g);
        value(g, depth + 1);
        ws(g);
    }
    put(g, "}");
}

static const char *const top_names[] = {"time",
                                        "resourceId",
                                        "category",
                                        "operationName",
                                        "statusCode",
                                        "statusText",
                                        "callerIpAddress",
                                        "uri",
                                        "protocol",
                                        "identity",
                                        "properties",
                                        "TimeGenerated",
                                        "AccountName",
                                        "CallerIpAddress",
                                        "AuthenticationType",
                                        "RequesterObjectId",
                                        "Uri",
                                        "ObjectKey",
                                        "Type",
                                        "resultSignature",
                                        "resultDescription",
                                        "ResourceId",
                                        "CallerIPAddress",
                                        "ResultDescription",
                                        "httpStatusCode_d",
                                        "identity_claim_oid_g",
                                        "identity_claim_tid_g",
                                        "TenantId"};
static const char *const identity_names[] = {"type", "requester",
                                             "authorization", "claim"};
static const char *const claim_names[] = {
    "oid", "http://schemas.microsoft.com/identity/claims/objectidentifier",
    "tid", "http://schemas.microsoft.com/identity/claims/tenantid", "appid"};
static const char *const requester_names[] = {"objectId", "tenantId", "appId",
                                              "upn"};
static const char *const properties_names[] = {
    "accountName", "objectKey", "serviceType", "httpStatusCode", "requestUri"};

static void value(gen *g, int depth)
{
    switch (depth > 3 ? rnd(4) : rnd(10)) {
    case 0: string(g); break;
    case 1: put(g, rnd(2) ? "200" : "-1.5e3"); break;
    case 2: put(g, rnd(2) ? "true" : "null"); break;
    case 3: string(g); break;
    case 4: object(g, depth, identity_names, 4); break;
    case 5: object(g, depth, requester_names, 4); break;
    case 6: object(g, depth, properties_names, 5); break;
    case 8: object(g, depth, claim_names, 5); break;
    case 7:
        put(g, "[");
        for (uint32_t i = rnd(3); i > 0; i--) {
            value(g, depth + 1);
            if (i > 1)
                put(g, ",");
        }
        put(g, "]");
        break;
    default: object(g, depth, NULL, 0); break;
    }
}

/* The oracle: which member each field is, walking cJSON's tree in
** document order through the objects the scanner reads (the first of
** duplicate names wins, for fields and objects alike). The names are the
** documented ones (docs/replay.md), listed again here. */
static const struct {
    log_ctx ctx;
    const char *name;
    log_field field; /* LF_COUNT: an object to walk into */
    log_ctx child;
} oracle_keys[] = {
    {CTX_TOP, "time", LF_TIME, CTX_NONE},
    {CTX_TOP, "resourceId", LF_RESOURCE_ID, CTX_NONE},
    {CTX_TOP, "category", LF_CATEGORY, CTX_NONE},
    {CTX_TOP, "operationName", LF_OPERATION, CTX_NONE},
    {CTX_TOP, "statusCode", LF_STATUS_CODE, CTX_NONE},
    {CTX_TOP, "statusText", LF_STATUS_TEXT, CTX_NONE},
    {CTX_TOP, "callerIpAddress", LF_CALLER_IP, CTX_NONE},
    {CTX_TOP, "uri", LF_URI, CTX_NONE},
    {CTX_TOP, "protocol", LF_PROTOCOL, CTX_NONE},
    {CTX_TOP, "identity", LF_COUNT, CTX_IDENTITY},
    {CTX_TOP, "properties", LF_COUNT, CTX_PROPERTIES},
    {CTX_IDENTITY, "type", LF_AUTH, CTX_NONE},
    {CTX_IDENTITY, "requester", LF_COUNT, CTX_REQUESTER},
    {CTX_REQUESTER, "objectId", LF_OBJECT_ID, CTX_NONE},
    {CTX_REQUESTER, "tenantId", LF_TENANT_ID, CTX_NONE},
    {CTX_REQUESTER, "appId", LF_APP_ID, CTX_NONE},
    {CTX_PROPERTIES, "accountName", LF_ACCOUNT, CTX_NONE},
    {CTX_PROPERTIES, "objectKey", LF_OBJECT_KEY, CTX_NONE},
    {CTX_PROPERTIES, "serviceType", LF_SERVICE, CTX_NONE},
    {CTX_TOP, "resultSignature", LF_STATUS_TEXT, CTX_NONE},
    {CTX_TOP, "resultDescription", LF_STATUS_DETAIL, CTX_NONE},
    {CTX_IDENTITY, "claim", LF_COUNT, CTX_CLAIM},
    {CTX_CLAIM, "oid", LF_OBJECT_ID, CTX_NONE},
    {CTX_CLAIM, "http://schemas.microsoft.com/identity/claims/objectidentifier",
     LF_OBJECT_ID, CTX_NONE},
    {CTX_CLAIM, "tid", LF_TENANT_ID, CTX_NONE},
    {CTX_CLAIM, "http://schemas.microsoft.com/identity/claims/tenantid",
     LF_TENANT_ID, CTX_NONE},
    {CTX_CLAIM, "appid", LF_APP_ID, CTX_NONE},
    {CTX_PROPERTIES, "httpStatusCode", LF_STATUS_CODE, CTX_NONE},
    {CTX_PROPERTIES, "requestUri", LF_URI, CTX_NONE},
    {CTX_TOP, "TimeGenerated", LF_TIME, CTX_NONE},
    {CTX_TOP, "_ResourceId", LF_RESOURCE_ID, CTX_NONE},
    {CTX_TOP, "AccountName", LF_ACCOUNT, CTX_NONE},
    {CTX_TOP, "Category", LF_CATEGORY, CTX_NONE},
    {CTX_TOP, "OperationName", LF_OPERATION, CTX_NONE},
    {CTX_TOP, "Protocol", LF_PROTOCOL, CTX_NONE},
    {CTX_TOP, "StatusCode", LF_STATUS_CODE, CTX_NONE},
    {CTX_TOP, "StatusText", LF_STATUS_TEXT, CTX_NONE},
    {CTX_TOP, "CallerIpAddress", LF_CALLER_IP, CTX_NONE},
    {CTX_TOP, "AuthenticationType", LF_AUTH, CTX_NONE},
    {CTX_TOP, "RequesterObjectId", LF_OBJECT_ID, CTX_NONE},
    {CTX_TOP, "RequesterTenantId", LF_TENANT_ID, CTX_NONE},
    {CTX_TOP, "RequesterAppId", LF_APP_ID, CTX_NONE},
    {CTX_TOP, "Uri", LF_URI, CTX_NONE},
    {CTX_TOP, "ObjectKey", LF_OBJECT_KEY, CTX_NONE},
    {CTX_TOP, "ServiceType", LF_SERVICE, CTX_NONE},
    {CTX_TOP, "Type", LF_TABLE, CTX_NONE},
    {CTX_TOP, "ResourceId", LF_RESOURCE_ID, CTX_NONE},
    {CTX_TOP, "CallerIPAddress", LF_CALLER_IP, CTX_NONE},
    {CTX_TOP, "ResultSignature", LF_STATUS_TEXT, CTX_NONE},
    {CTX_TOP, "ResultDescription", LF_STATUS_DETAIL, CTX_NONE},
    {CTX_TOP, "httpStatusCode_d", LF_STATUS_CODE, CTX_NONE},
    {CTX_TOP, "requestUri_s", LF_URI, CTX_NONE},
    {CTX_TOP, "identity_claim_oid_g", LF_OBJECT_ID, CTX_NONE},
    {CTX_TOP,
     "identity_claim_http_schemas_microsoft_com_identity_claims_objectidentifier_g",
     LF_OBJECT_ID, CTX_NONE},
    {CTX_TOP, "identity_claim_tid_g", LF_TENANT_ID, CTX_NONE},
    {CTX_TOP,
     "identity_claim_http_schemas_microsoft_com_identity_claims_tenantid_g",
     LF_TENANT_ID, CTX_NONE},
    {CTX_TOP, "identity_claim_appid_g", LF_APP_ID, CTX_NONE},
};

typedef struct oracle {
    const cJSON *member[LF_COUNT];
    int seen[LF_COUNT];
    unsigned objects;
} oracle;

static void walk(const cJSON *o, log_ctx ctx, oracle *w)
{
    for (const cJSON *c = o->child; c; c = c->next) {
        for (size_t i = 0; i < sizeof oracle_keys / sizeof *oracle_keys; i++) {
            if (oracle_keys[i].ctx != ctx ||
                strcmp(oracle_keys[i].name, c->string) != 0)
                continue;
            log_field f = oracle_keys[i].field;
            if (f != LF_COUNT) {
                if (!w->seen[f]) {
                    w->seen[f] = 1;
                    w->member[f] = c;
                }
            } else if (!(w->objects & (1u << oracle_keys[i].child))) {
                w->objects |= 1u << oracle_keys[i].child;
                if (cJSON_IsObject(c))
                    walk(c, oracle_keys[i].child, w);
            }
        }
    }
}

/* 0 when the scanner's field agrees with the oracle's member. */
static int agree(const cJSON *v, const moat_text *t)
{
    if (cJSON_IsString(v))
        return !(t->p && t->n == strlen(v->valuestring) &&
                 memcmp(t->p, v->valuestring, t->n) == 0);
    if (cJSON_IsNumber(v)) {
        if (t->p == NULL)
            return 1;
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%.*s", (int)t->n, t->p);
        return strtod(tmp, NULL) != v->valuedouble;
    }
    if (cJSON_IsBool(v))
        return !(t->p && t->n == (cJSON_IsTrue(v) ? 4u : 5u));
    return t->p != NULL; /* absent, null, or a container: nothing kept */
}

/* An exact-size copy: AddressSanitizer catches any read past the record. */
static char *exact(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    memcpy(p, s, n);
    return p;
}

/* 1 when the check passes for this text. */
static int check_text(const char *text, size_t n, int *accepted)
{
    static char scratch[1 << 16];
    static log_shape *shape; /* taught by every text, as a reader's */
    if (shape == NULL && (shape = moat__log_shape_new()) == NULL)
        return 0;
    char *p = exact(text, n);
    log_fields f;
    log_error err;
    int rc =
        moat__log_scan_json(p, n, &f, scratch, sizeof scratch, shape, &err);
    /* The whole text must be the value (cJSON stops after the first value
    ** unless told to require the end).
    ** cJSON also takes some invalid escapes and numbers; moat's strict
    ** parser (tested against cJSON in test_json.c) rules those out. */
    moat_arena arena;
    moat__arena_init(&arena, 0);
    json_error jerr = {0, NULL};
    int valid = memchr(text, '\0', n) == NULL &&
                moat__json_parse(&arena, p, n, &jerr) != NULL;
    moat__arena_free(&arena);
    char *z = malloc(n + 1); /* cJSON wants the terminating NUL */
    memcpy(z, text, n);
    z[n] = '\0';
    cJSON *root = valid ? cJSON_ParseWithLengthOpts(z, n + 1, NULL, 1) : NULL;
    free(z);
    int ok = 1;
    if (root && cJSON_IsObject(root)) {
        *accepted += 1;
        if (rc != 0) {
            printf("#   refused: %s at byte %zu\n", err.msg, err.at);
            ok = 0;
        }
        oracle w;
        memset(&w, 0, sizeof w);
        walk(root, CTX_TOP, &w);
        for (int k = 0; ok && k < LF_COUNT; k++) {
            if (agree(w.member[k], &f.v[k])) {
                printf("#   field %d differs: scanner \"%.*s\"\n", k,
                       f.v[k].p ? (int)f.v[k].n : 6,
                       f.v[k].p ? f.v[k].p : "absent");
                ok = 0;
            }
        }
    }
    cJSON_Delete(root);
    free(p);
    return ok;
}

TEST(log_scan_agrees_with_cjson)
{
    int accepted = 0;
    for (int i = 0; i < 20000; i++) {
        gen g = {{0}, 0};
        ws(&g);
        object(&g, 0, top_names, sizeof top_names / sizeof top_names[0]);
        ws(&g);
        if (!check_text(g.buf, g.n, &accepted))
            FAIL_AT("record %d disagrees: %.*s", i, (int)g.n, g.buf);
        /* Mutations, some of them cut short. */
        for (int m = 0; m < 2; m++) {
            char mut[8192];
            size_t n = g.n;
            memcpy(mut, g.buf, n);
            switch (rnd(4)) {
            case 0: mut[rnd((uint32_t)n)] = (char)rnd(256); break;
            case 1: n = rnd((uint32_t)n); break;
            case 2:
                if (n > 1) {
                    size_t at = rnd((uint32_t)n);
                    memmove(mut + at, mut + at + 1, n - at - 1);
                    n--;
                }
                break;
            default: {
                static const char ins[] = "\"{}[],:\\";
                size_t at = rnd((uint32_t)n);
                memmove(mut + at + 1, mut + at, n - at);
                mut[at] = ins[rnd(8)];
                n++;
            }
            }
            if (!check_text(mut, n, &accepted))
                FAIL_AT("mutation of record %d disagrees: %.*s", i, (int)n,
                        mut);
        }
    }
    ASSERT(accepted > 20000); /* the originals and some mutations */
    printf("#   %d records and mutations accepted by cJSON, all agreed\n",
           accepted);
}

TEST(log_scan_refuses_broken_records)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{",
        "{\"time\":\"x\"",
        "{\"time\":\"x\",}",
        "{\"time\" \"x\"}",
        "{\"time\":}",
        "{\"time\":\"\\q\"}",
        "{\"time\":\"\\ud800\"}",
        "{\"a\":x1}",
        "{} {}",
        "{\"identity\":{\"type\":\"OAuth\"}",
        "{\"a\":[1,2}",
    };
    static char scratch[4096];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *p = exact(bad[i], strlen(bad[i]));
        log_fields f;
        log_error err = {NULL, 0};
        int rc = moat__log_scan_json(p, strlen(bad[i]), &f, scratch,
                                     sizeof scratch, NULL, &err);
        free(p);
        if (rc == 0)
            FAIL_AT("accepted %s", bad[i]);
        ASSERT(err.msg != NULL);
    }
}

TEST(log_scan_csv_rows)
{
    static const char header[] =
        "TimeGenerated [UTC],AccountName,OperationName,CallerIpAddress,Uri";
    log_field cols[8];
    size_t n = 0;
    const char *p = header;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        cols[n++] = moat__log_column(p, len);
        if (c == NULL)
            break;
        p = c + 1;
    }
    ASSERT_EQ(cols[0], LF_TIME);
    ASSERT_EQ(cols[1], LF_ACCOUNT);
    ASSERT_EQ(cols[3], LF_CALLER_IP);
    static char scratch[4096];
    static const char row[] = "2026-11-20,\"st,\"\"x\"\"\",GetBlob,1.2.3.4:5,"
                              "\"https://a/b\nc\"";
    log_fields f;
    log_error err;
    ASSERT_EQ(moat__log_scan_csv(row, sizeof row - 1, cols, n, &f, scratch,
                                 sizeof scratch, &err),
              0);
    ASSERT_EQ(f.v[LF_ACCOUNT].n, 6);
    ASSERT(memcmp(f.v[LF_ACCOUNT].p, "st,\"x\"", 6) == 0);
    ASSERT(f.v[LF_URI].n == 13 && memchr(f.v[LF_URI].p, '\n', 13));
    static const char short_row[] = "2026-11-20,st,GetBlob";
    ASSERT(moat__log_scan_csv(short_row, sizeof short_row - 1, cols, n, &f,
                              scratch, sizeof scratch, &err) != 0);
    static const char open_quote[] = "2026,\"st,GetBlob,1.2.3.4,u";
    ASSERT(moat__log_scan_csv(open_quote, sizeof open_quote - 1, cols, n, &f,
                              scratch, sizeof scratch, &err) != 0);
}

/* A classic line of n fields: version, then the given ones at their
** positions, every other field empty. */
static size_t classic_line(char *out, size_t cap, const char *version, size_t n,
                           const char *const *fields)
{
    size_t len = (size_t)snprintf(out, cap, "%s", version);
    for (size_t i = 1; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len, ";%s",
                                fields[i] ? fields[i] : "");
    return len;
}

static int text_is(moat_text t, const char *s)
{
    return t.p && t.n == strlen(s) && memcmp(t.p, s, t.n) == 0;
}

TEST(log_scan_classic_lines)
{
    static char scratch[4096];
    char line[4096];
    const char *v[38] = {NULL};
    v[1] = "2026-11-20T08:01:02.1234567Z";
    v[2] = "GetBlob";
    v[3] = "OAuthIpAuthorizationError";
    v[4] = "403";
    v[7] = "bearer";
    v[9] = "stx";
    v[10] = "blob";
    v[11] = "\"https://stx.blob.core.windows.net:443/c/a&amp;b?x=1&amp;y=&#59;"
            "&#x1F600;&bogus;\"";
    v[12] = "\"/stx/c/&quot;;&quot;\""; /* a blob named ";" (quotes) */
    v[15] = "203.0.113.9:50211";
    v[24] = "\"\"0x8D15A2913C934DE\"\""; /* an ETag as Azure writes it */
    v[27] = "\"agent (Linux; x86_64)\"";
    v[30] = "\"5e6f7a8b-1111-4222-8333-000000000009\"";
    v[31] = "\"2987efb7-f7cf-4546-a458-91d2550c48c7\"";
    v[37] = "\"[{\"action\":\"read\",\"result\":\"Granted\"}]\"";
    log_fields f;
    log_error err;
    size_t n = classic_line(line, sizeof line, "2.0", 38, v);
    ASSERT_EQ(
        moat__log_scan_classic(line, n, &f, scratch, sizeof scratch, &err), 0);
    ASSERT(text_is(f.v[LF_OPERATION], "GetBlob"));
    ASSERT(text_is(f.v[LF_STATUS_TEXT], "OAuthIpAuthorizationError"));
    ASSERT(text_is(f.v[LF_STATUS_CODE], "403"));
    ASSERT(text_is(f.v[LF_AUTH], "bearer"));
    ASSERT(text_is(f.v[LF_ACCOUNT], "stx"));
    ASSERT(text_is(f.v[LF_SERVICE], "blob"));
    ASSERT(text_is(f.v[LF_URI], "https://stx.blob.core.windows.net:443/c/a&b"
                                "?x=1&y=;\xF0\x9F\x98\x80&bogus;"));
    ASSERT(text_is(f.v[LF_OBJECT_KEY], "/stx/c/\";\""));
    ASSERT(text_is(f.v[LF_CALLER_IP], "203.0.113.9:50211"));
    ASSERT(text_is(f.v[LF_OBJECT_ID], "5e6f7a8b-1111-4222-8333-000000000009"));
    ASSERT(text_is(f.v[LF_TENANT_ID], "2987efb7-f7cf-4546-a458-91d2550c48c7"));
    ASSERT(f.v[LF_APP_ID].p == NULL); /* empty: absent */
    ASSERT(f.v[LF_CATEGORY].p == NULL);
    /* Version 1.0 has 30 fields, and the line may end in CR LF. */
    n = classic_line(line, sizeof line, "1.0", 30, v);
    memcpy(line + n, "\r\n", 3);
    ASSERT_EQ(
        moat__log_scan_classic(line, n + 2, &f, scratch, sizeof scratch, &err),
        0);
    ASSERT(f.v[LF_OBJECT_ID].p == NULL);
    /* Refused: a wrong field count for the version, an unknown version, an
    ** unterminated quote, a stray quote in a bare field. */
    n = classic_line(line, sizeof line, "1.0", 38, v);
    ASSERT(moat__log_scan_classic(line, n, &f, scratch, sizeof scratch, &err) !=
           0);
    ASSERT_STR(err.msg, "more fields than its version has");
    n = classic_line(line, sizeof line, "2.0", 30, v);
    ASSERT(moat__log_scan_classic(line, n, &f, scratch, sizeof scratch, &err) !=
           0);
    ASSERT_STR(err.msg, "fewer fields than its version has");
    n = classic_line(line, sizeof line, "3.0", 38, v);
    ASSERT(moat__log_scan_classic(line, n, &f, scratch, sizeof scratch, &err) !=
           0);
    ASSERT_EQ(err.at, 0);
    static const char open_quote[] = "1.0;t;GetBlob;Success;200;1;1;sas;;stx;"
                                     "blob;\"https://stx/a\";\"/stx/a";
    ASSERT(moat__log_scan_classic(open_quote, sizeof open_quote - 1, &f,
                                  scratch, sizeof scratch, &err) != 0);
    ASSERT_STR(err.msg, "unterminated quoted field");
    static const char stray[] = "1.0;t;Get\"Blob;Success";
    ASSERT(moat__log_scan_classic(stray, sizeof stray - 1, &f, scratch,
                                  sizeof scratch, &err) != 0);
    ASSERT_EQ(err.at, 9); /* at the quote */
    /* Decoding needs room: a field with entities and no scratch left. */
    n = classic_line(line, sizeof line, "2.0", 38, v);
    ASSERT(moat__log_scan_classic(line, n, &f, scratch, 8, &err) != 0);
    ASSERT_STR(err.msg, "record too large to decode");
}

/* Azure's documentation writes request URLs unquoted with '&' as "&amp;"
** (storage-analytics-logging.md, "Example log entry for Queue Storage",
** below as published): a split on ';' finds 40 fields where 2.0 has 38.
** The line is read with each entity kept whole, decoded, and marked
** lenient; a line that no such reading makes whole stays refused, and a
** line whose plain split is whole is never lenient. */
TEST(log_scan_classic_lenient)
{
    static char scratch[4096];
    static const char queue[] =
        "2.0;2022-01-03T20:35:04.6097590Z;PeekMessages;Success;200;5;5;"
        "authenticated;logsamples;logsamples;queue;https://logsamples.queue."
        "core.windows.net/queue1/messages?numofmessages=32&amp;peekonly=true&"
        "amp;timeout=30;\"/logsamples/queue1\";xxxxxxxx-xxxx-xxxx-xxxx-"
        "xxxxxxxxxxx;0;71.197.193.44:53385;2020-04-08;536;0;232;62;0;;;;;;"
        "\"Microsoft Azure Storage Explorer, 1.20.1, win32 azsdk-js-"
        "storagequeue/12.3.1 (NODE-VERSION v12.16.3; Windows_NT 10.0.22000)\";"
        ";\"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxx\";;;;;;;;";
    log_fields f;
    log_error err;
    ASSERT_EQ(moat__log_scan_classic(queue, sizeof queue - 1, &f, scratch,
                                     sizeof scratch, &err),
              0);
    ASSERT_EQ(f.lenient, 1);
    ASSERT(text_is(f.v[LF_URI], "https://logsamples.queue.core.windows.net/"
                                "queue1/messages?numofmessages=32&peekonly="
                                "true&timeout=30"));
    ASSERT(text_is(f.v[LF_OBJECT_KEY], "/logsamples/queue1"));
    ASSERT(text_is(f.v[LF_CALLER_IP], "71.197.193.44:53385"));
    ASSERT(text_is(f.v[LF_SERVICE], "queue"));
    /* One field too many even with entities whole: refused. */
    char extra[sizeof queue + 2];
    memcpy(extra, queue, sizeof queue - 1);
    memcpy(extra + sizeof queue - 1, ";x", 2);
    ASSERT(moat__log_scan_classic(extra, sizeof queue + 1, &f, scratch,
                                  sizeof scratch, &err) != 0);
    ASSERT_STR(err.msg, "more fields than its version has");
    /* "&amp" with no ';' of its own, and a bare '&': a plain split. */
    char line[4096];
    const char *v[30] = {NULL};
    v[2] = "GetBlob";
    v[9] = "stx";
    v[11] = "https://stx.blob.core.windows.net/c/b?a=1&b=2&amp";
    size_t n = classic_line(line, sizeof line, "1.0", 30, v);
    ASSERT_EQ(
        moat__log_scan_classic(line, n, &f, scratch, sizeof scratch, &err), 0);
    ASSERT_EQ(f.lenient, 0);
    ASSERT(text_is(f.v[LF_URI], v[11]));
}
