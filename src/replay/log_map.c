/*
** log_map.c - an access-log record as the request Azure decided
** (decision.md section 2). docs/replay.md has every rule; in short:
**
**   resource   the storage account or key vault of the record's resource
**              id (the record says which kind), else its account name
**   what       storage: endpoint from the URI host, service type or table;
**              operation from the category and operation name; target
**              from the object key or URI path. Vaults: endpoint vault,
**              control plane for Resource Manager's requests
**   source     the caller address without its port; a private address in
**              an estate subnet means that subnet: through its private
**              endpoint when the subnet hosts an Approved one to the
**              resource, else through its service endpoint
**   caller     auth from the authentication type (vaults: OAuth); tenant
**              as logged; the calling resource from the requester's
**              object id (a managed identity of the estate), and with it
**              its subscription, perimeter and tenant
**   azure      what the status says Azure's network layer did
*/
#include "log.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define SCRATCH_BYTES (1u << 20)
#define MAX_COLUMNS 256

/* Resources as records name them (ids, account names), remembered by
** their exact bytes in a direct-mapped table: most records of a log name a
** few resources, and a resource id is 150 bytes to hash and compare. */
#define MEMO_BITS 7
#define MEMO_SLOTS (1u << MEMO_BITS)
#define MEMO_KEY 192
typedef struct resource_memo {
    size_t n; /* 0: empty */
    const resource *res;
    char key[MEMO_KEY];
} resource_memo;

/* What resource_id_of made of a record's resourceId, by its exact bytes
** (the account's or vault's id is a prefix of it): finding the provider
** segment was 4.7% of replay (bench/RESULTS.md, issue 16). */
typedef struct id_memo {
    size_t n;    /* 0: empty */
    size_t id_n; /* the prefix that is the resource's id; 0: none */
    int kind;    /* res_kind */
    char key[MEMO_KEY];
} id_memo;

struct moat_log_reader {
    const moat_estate *es;
    resource_memo memo[MEMO_SLOTS];
    id_memo ids[MEMO_SLOTS];
    moat_log_format format;
    log_field cols[MAX_COLUMNS];
    size_t n_cols;
    int have_header;
    log_fields f;
    char ip[64];   /* the caller address, bracket-free */
    char time[32]; /* the record's time in RFC 3339, when it was not */
    char *scratch; /* decoded strings of the current record */
    log_shape *shape; /* the JSON records' member names, learned */
    log_parsed parsed;
    /* A perimeter record's calling resource as the estate's managed
    ** identity: the last one looked up. */
    const principal *source_memo;
    size_t source_n;
    char source_key[MEMO_KEY];
};

const char *moat_log_format_name(moat_log_format f)
{
    switch (f) {
    case MOAT_LOG_DIAGNOSTIC: return "diagnostic";
    case MOAT_LOG_ANALYTICS_JSON: return "analytics-json";
    case MOAT_LOG_ANALYTICS_CSV: return "analytics-csv";
    case MOAT_LOG_CLASSIC: return "classic";
    case MOAT_LOG_UNKNOWN: break;
    }
    return "unknown";
}

static int has(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++) {
        if (memcmp(s + i, needle, k) == 0)
            return 1;
    }
    return 0;
}

moat_log_format moat_log_detect(const char *rec, size_t len)
{
    size_t i = 0;
    while (i < len &&
           (rec[i] == ' ' || rec[i] == '\t' || rec[i] == '\r' ||
            rec[i] == '\n' || (unsigned char)rec[i] == 0xEF ||
            (unsigned char)rec[i] == 0xBB || (unsigned char)rec[i] == 0xBF))
        i++; /* whitespace and a UTF-8 byte order mark */
    rec += i;
    len -= i;
    if (len && rec[0] == '{') {
        /* Perimeter access records name the resource they decided for;
        ** Azure Monitor's own may have no operation or caller field. */
        if (has(rec, len, "\"serviceResourceId\""))
            return MOAT_LOG_DIAGNOSTIC;
        if (has(rec, len, "\"ServiceResourceId\""))
            return MOAT_LOG_ANALYTICS_JSON;
        if (has(rec, len, "\"operationName\"") ||
            has(rec, len, "\"callerIpAddress\""))
            return MOAT_LOG_DIAGNOSTIC;
        if (has(rec, len, "\"OperationName\"") ||
            has(rec, len, "\"CallerIpAddress\"") ||
            has(rec, len, "\"CallerIPAddress\""))
            return MOAT_LOG_ANALYTICS_JSON;
        return MOAT_LOG_UNKNOWN;
    }
    /* Storage Analytics lines start with their version: tested before the
    ** loose CSV header test, which a classic line's URL or user agent (the
    ** client's text) could pass. */
    if (len > 4 && (rec[0] == '1' || rec[0] == '2') && rec[1] == '.' &&
        rec[2] == '0' && rec[3] == ';')
        return MOAT_LOG_CLASSIC;
    if (((has(rec, len, "OperationName") &&
          (has(rec, len, "CallerIpAddress") ||
           has(rec, len, "CallerIPAddress"))) ||
         (has(rec, len, "ServiceResourceId") && has(rec, len, "Category"))) &&
        memchr(rec, ',', len))
        return MOAT_LOG_ANALYTICS_CSV;
    return MOAT_LOG_UNKNOWN;
}

moat_log_reader *moat_log_reader_new(const moat_estate *es,
                                     moat_log_format format)
{
    if (es == NULL || format == MOAT_LOG_UNKNOWN)
        return NULL;
    moat_log_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->scratch = malloc(SCRATCH_BYTES);
    r->shape = moat__log_shape_new();
    if (r->scratch == NULL || r->shape == NULL) {
        moat__log_shape_free(r->shape);
        free(r->scratch);
        free(r);
        return NULL;
    }
    r->es = es;
    r->format = format;
    return r;
}

void moat_log_reader_free(moat_log_reader *r)
{
    if (r == NULL)
        return;
    moat__log_shape_free(r->shape);
    free(r->scratch);
    free(r);
}

moat_status moat_log_reader_header(moat_log_reader *r, const char *line,
                                   size_t len, moat_error *err)
{
    if (r == NULL || r->format != MOAT_LOG_ANALYTICS_CSV)
        return moat__error_set(err, MOAT_E_STATE, 0, "not a CSV reader");
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    if (len >= 3 && (unsigned char)line[0] == 0xEF)
        line += 3, len -= 3; /* byte order mark */
    r->n_cols = 0;
    uint32_t seen = 0;
    const char *p = line, *end = line + len;
    while (p <= end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *e = c ? c : end;
        const char *a = p, *b = e;
        if (b - a >= 2 && *a == '"' && b[-1] == '"')
            a++, b--;
        if (r->n_cols == MAX_COLUMNS)
            return moat__error_set(err, MOAT_E_LIMIT, (size_t)(p - line),
                                   "more than %d columns", MAX_COLUMNS);
        log_field f = moat__log_column(a, (size_t)(b - a));
        r->cols[r->n_cols++] = f;
        if (f != LF_COUNT)
            seen |= 1u << f;
        if (c == NULL)
            break;
        p = c + 1;
    }
    if (seen & (1u << LF_SERVICE_RESOURCE)) { /* NSPAccessLogs */
        if (!(seen & (1u << LF_CATEGORY)))
            return moat__error_set(err, MOAT_E_INVAL, 0,
                                   "the header has no Category column");
        r->have_header = 1;
        return MOAT_OK;
    }
    static const struct {
        log_field f;
        const char *name;
    } required[] = {{LF_OPERATION, "OperationName"},
                    {LF_CALLER_IP, "CallerIpAddress"}};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        if (!(seen & (1u << required[i].f)))
            return moat__error_set(err, MOAT_E_INVAL, 0,
                                   "the header has no %s column",
                                   required[i].name);
    }
    if (!(seen & ((1u << LF_ACCOUNT) | (1u << LF_RESOURCE_ID))))
        return moat__error_set(
            err, MOAT_E_INVAL, 0,
            "the header has neither AccountName nor _ResourceId");
    r->have_header = 1;
    return MOAT_OK;
}

/*--------------------------------------------------------------------------
** Pieces of the mapping.
*/
static inline int text_eq(moat_text t, const char *s)
{
    return moat__eq_ci(t.p, t.n, s, strlen(s));
}

static inline int text_starts(moat_text t, const char *s)
{
    size_t n = strlen(s);
    return t.n >= n && moat__eq_ci(t.p, n, s, n);
}

static inline int ends_with(moat_text t, const char *s)
{
    size_t n = strlen(s);
    return t.n >= n && moat__eq_ci(t.p + t.n - n, n, s, n);
}

static inline moat_text lit(const char *s)
{
    moat_text t = {s, strlen(s)};
    return t;
}

/* The first '/', ':' or '?' in [p, end), or end: a host's end. SSE2
** (all x86-64) tests sixteen bytes at a time; the byte loop was 3% of
** replay (bench/RESULTS.md, issue 16). */
static const char *host_end(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i slash = _mm_set1_epi8('/'), colon = _mm_set1_epi8(':'),
                  query = _mm_set1_epi8('?');
    for (; end - p >= 16; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, slash), _mm_cmpeq_epi8(v, colon)),
            _mm_cmpeq_epi8(v, query)));
        if (m)
            return p + __builtin_ctz(m);
    }
#endif
    while (p < end && *p != '/' && *p != ':' && *p != '?')
        p++;
    return p;
}

/* The host of a URI ("https://host:443/path"), or an empty span. */
static moat_text uri_host(moat_text uri)
{
    moat_text h = {NULL, 0};
    for (size_t i = 0; uri.p && i + 2 < uri.n; i++) {
        if (uri.p[i] == ':' && uri.p[i + 1] == '/' && uri.p[i + 2] == '/') {
            const char *p = uri.p + i + 3, *end = uri.p + uri.n;
            const char *e = host_end(p, end);
            h.p = p;
            h.n = (size_t)(e - p);
            break;
        }
    }
    return h;
}

/* The scheme of a URI ("https" of "https://..."), or an empty span. */
static moat_text uri_scheme(moat_text uri)
{
    moat_text h = uri_host(uri);
    moat_text t = {h.p ? uri.p : NULL, h.p ? (size_t)(h.p - 3 - uri.p) : 0};
    return t;
}

/* ".../Microsoft.Storage/storageAccounts/<name>[/blobServices/default]"
** or ".../Microsoft.KeyVault/vaults/<name>": the resource's id, and in
** *kind which of the two the record names. Only segment starts are
** compared (after each '/'), with the provider, so that a resource group
** named "storageAccounts" is not taken for the type. */
static moat_text resource_id_of(moat_text id, res_kind *kind)
{
#define TYPE(key, kind)                                                        \
    {                                                                          \
        key, sizeof key - 1, kind                                              \
    }
    static const struct {
        const char *key;
        size_t len;
        res_kind kind;
    } types[] = {TYPE("Microsoft.Storage/storageAccounts/", RES_STORAGE),
                 TYPE("Microsoft.KeyVault/vaults/", RES_KEYVAULT)};
#undef TYPE
    const char *p = id.p, *end = id.p + id.n;
    while ((p = memchr(p, '/', (size_t)(end - p))) != NULL) {
        p++;
        if ((size_t)(end - p) < 10 || (*p != 'M' && *p != 'm'))
            continue;
        for (size_t i = 0; i < MOAT_ARRAY_LEN(types); i++) {
            size_t k = types[i].len;
            if ((size_t)(end - p) <= k || !moat__eq_ci(p, k, types[i].key, k))
                continue;
            const char *e = p + k;
            while (e < end && *e != '/')
                e++;
            *kind = types[i].kind;
            moat_text t = {id.p, (size_t)(e - id.p)};
            return t;
        }
    }
    moat_text none = {NULL, 0};
    return none;
}

static const char *const endpoint_names[] = {"blob",  "dfs",   "file",
                                             "queue", "table", "web"};

/* The endpoint a URI host names: <account>.<endpoint>.core.windows.net
** (also <account>-secondary, and the z<nn>.web hosts of static sites). */
static const char *endpoint_of_host(moat_text host);

static const char *endpoint_of_uri(moat_text uri)
{
    return endpoint_of_host(uri_host(uri));
}

static const char *endpoint_of_host(moat_text host)
{
    if (host.p == NULL)
        return NULL;
    const char *host_end = host.p + host.n;
    const char *dot = memchr(host.p, '.', host.n);
    if (dot == NULL)
        return NULL;
    const char *label = dot + 1;
    const char *dot2 = memchr(label, '.', (size_t)(host_end - label));
    if (dot2 == NULL)
        return NULL;
    size_t n = (size_t)(dot2 - label);
    if (n > 1 && label[0] == 'z' && dot2 + 4 < host_end &&
        memcmp(dot2 + 1, "web.", 4) == 0)
        return "web";
    for (size_t i = 0; i < sizeof endpoint_names / sizeof *endpoint_names;
         i++) {
        if (moat__eq_ci(label, n, endpoint_names[i], strlen(endpoint_names[i])))
            return endpoint_names[i];
    }
    return NULL;
}

static const char *endpoint_of(const log_fields *f)
{
    const char *e = f->v[LF_URI].p ? endpoint_of_uri(f->v[LF_URI]) : NULL;
    if (e)
        return e;
    static const struct {
        log_field field;
        const char *value, *endpoint;
    } rules[] = {
        {LF_SERVICE, "blob", "blob"},
        {LF_SERVICE, "table", "table"},
        {LF_SERVICE, "queue", "queue"},
        {LF_SERVICE, "file", "file"},
        {LF_SERVICE, "files", "file"},
        {LF_SERVICE, "dfs", "dfs"},
        {LF_TABLE, "StorageBlobLogs", "blob"},
        {LF_TABLE, "StorageTableLogs", "table"},
        {LF_TABLE, "StorageQueueLogs", "queue"},
        {LF_TABLE, "StorageFileLogs", "file"},
    };
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        if (f->v[rules[i].field].p &&
            text_eq(f->v[rules[i].field], rules[i].value))
            return rules[i].endpoint;
    }
    moat_text id = f->v[LF_RESOURCE_ID];
    static const char *const services[][2] = {{"/blobServices", "blob"},
                                              {"/tableServices", "table"},
                                              {"/queueServices", "queue"},
                                              {"/fileServices", "file"}};
    for (size_t i = 0; id.p && i < 4; i++) {
        if (has(id.p, id.n, services[i][0]))
            return services[i][1];
    }
    return "blob"; /* decision.md section 7's default */
}

/* List operations read a listing; everything else StorageRead logs reads
** data or properties. */
static int is_list_op(moat_text op)
{
    return text_starts(op, "List") || text_eq(op, "QueryTables") ||
           text_eq(op, "GetContainers");
}

static const char *operation_of(const log_fields *f)
{
    moat_text cat = f->v[LF_CATEGORY], op = f->v[LF_OPERATION];
    if (cat.p) {
        if (text_eq(cat, "StorageDelete"))
            return "delete";
        if (text_eq(cat, "StorageWrite"))
            return "write";
        if (text_eq(cat, "StorageRead"))
            return is_list_op(op) ? "list" : "read";
    }
    if (op.p == NULL)
        return NULL;
    if (text_starts(op, "Delete"))
        return "delete";
    if (is_list_op(op))
        return "list";
    if (text_starts(op, "Get") || text_starts(op, "Query") ||
        text_starts(op, "Peek") || text_starts(op, "Read"))
        return "read";
    return "write";
}

/* The first path segment after the account: of the object key
** ("/<account>/<container>/<blob>"), else of the URI's path; percent
** escapes decoded ("%24logs" is "$logs"); a table's key ends at '('. */
static moat_text target_of(moat_log_reader *r, const log_fields *f,
                           size_t *scratch_used)
{
    moat_text t = {NULL, 0};
    const char *p = NULL, *end = NULL;
    moat_text key = f->v[LF_OBJECT_KEY];
    if (key.n >= 2 && key.p[0] == '"' && key.p[key.n - 1] == '"') {
        key.p++; /* Log Analytics documents the key "in quotes" */
        key.n -= 2;
    }
    if (key.n > 1 && key.p[0] == '/') {
        p = key.p + 1;
        end = key.p + key.n;
        const char *slash = memchr(p, '/', (size_t)(end - p));
        p = slash ? slash + 1 : end; /* past the account */
    } else if (f->v[LF_URI].p) {
        moat_text host = uri_host(f->v[LF_URI]);
        if (host.p == NULL)
            return t;
        const char *s = host.p + host.n, *ue = f->v[LF_URI].p + f->v[LF_URI].n;
        const char *slash = memchr(s, '/', (size_t)(ue - s));
        if (slash == NULL)
            return t;
        p = slash + 1;
        end = ue;
    }
    if (p == NULL)
        return t;
    const char *e = p;
    while (e < end && *e != '/' && *e != '?' && *e != '(' && *e != '#')
        e++;
    if (e == p)
        return t;
    if (memchr(p, '%', (size_t)(e - p)) == NULL) {
        t.p = p;
        t.n = (size_t)(e - p);
        return t;
    }
    char *o = r->scratch + *scratch_used, *start = o;
    if ((size_t)(e - p) > SCRATCH_BYTES - *scratch_used)
        return t;
    for (const char *q = p; q < e; q++) {
        int hi, lo;
        if (*q == '%' && e - q >= 3 && (hi = moat__hex_digit(q[1])) >= 0 &&
            (lo = moat__hex_digit(q[2])) >= 0) {
            *o++ = (char)(hi * 16 + lo);
            q += 2;
        } else {
            *o++ = *q;
        }
    }
    t.p = start;
    t.n = (size_t)(o - start);
    *scratch_used += t.n;
    return t;
}

static int word_index(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++) /* most often the table's own entry */
        if (names[i] == name)
            return i;
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0)
            return i;
    }
    return 0;
}

/* "a.b.c.d:port", "[v6]:port", a bare address: the address. */
static int source_of(moat_log_reader *r, moat_text ip, moat_text *out)
{
    const char *p = ip.p;
    size_t n = ip.n;
    if (n && p[0] == '[') {
        const char *close = memchr(p, ']', n);
        if (close == NULL)
            return -1;
        p++;
        n = (size_t)(close - p);
    } else {
        const char *colon = memchr(p, ':', n);
        if (colon &&
            memchr(colon + 1, ':', n - (size_t)(colon + 1 - p)) == NULL)
            n = (size_t)(colon - p); /* IPv4 with a port */
    }
    if (n == 0 || n >= sizeof r->ip)
        return -1;
    memcpy(r->ip, p, n);
    r->ip[n] = '\0';
    out->p = r->ip;
    out->n = n;
    return 0;
}

static const char *const auth_names[] = {"OAuth", "SAS", "AccountKey",
                                         "Anonymous"};
static const char *const protocol_names[] = {"HTTPS", "HTTP", "SMB", "NFS",
                                             "SFTP"};

static const char *auth_of(moat_text t)
{
    for (size_t i = 0; i < 4; i++) {
        if (text_eq(t, auth_names[i]))
            return auth_names[i];
    }
    /* Storage Analytics (classic) spellings: "bearer" is a token,
    ** "authenticated" a Shared Key signature. */
    if (text_eq(t, "Bearer"))
        return "OAuth";
    if (text_eq(t, "authenticated"))
        return "AccountKey";
    /* A user delegation SAS (signed with a key Microsoft Entra issued):
    ** the firewall treats it as any SAS, resource logs name it
    ** DelegationSAS (in varying case). */
    if (text_eq(t, "DelegationSAS"))
        return "SAS";
    return NULL;
}

static const char *protocol_of(moat_text t)
{
    for (size_t i = 0; t.p && i < 5; i++) {
        if (text_eq(t, protocol_names[i]))
            return protocol_names[i];
    }
    return NULL;
}

/* An HTTP status has three digits; anything else ("Unknown") is 0. */
static int http_status(moat_text sc)
{
    if (sc.p && sc.n == 3 && sc.p[0] >= '1' && sc.p[0] <= '5' &&
        sc.p[1] >= '0' && sc.p[1] <= '9' && sc.p[2] >= '0' && sc.p[2] <= '9')
        return (sc.p[0] - '0') * 100 + (sc.p[1] - '0') * 10 + (sc.p[2] - '0');
    return 0;
}

/* What the status says about Azure's network layer. A firewall refusal is
** logged with a status text ending in IpAuthorizationError (the prefix
** names the auth: SAS, OAuth, Anonymous, ...), or as 403
** AuthorizationFailure; anything else the service answered got past it. */
static moat_log_outcome outcome_of(const log_fields *f)
{
    moat_text st = f->v[LF_STATUS_TEXT];
    if (ends_with(st, "IpAuthorizationError"))
        return MOAT_LOG_AZURE_DENIED;
    int code = http_status(f->v[LF_STATUS_CODE]);
    if (st.p && text_eq(st, "AuthorizationFailure") &&
        (code == 403 || code == 0))
        return MOAT_LOG_AZURE_DENIED;
    if (code >= 200 && code < 400)
        return MOAT_LOG_AZURE_ALLOWED;
    if (code == 0 && ends_with(st, "Success"))
        return MOAT_LOG_AZURE_ALLOWED;
    /* Errors the service returns only after the firewall admitted the
    ** request: the resource or its state, not the caller's network. */
    if (code == 404 || code == 409 || code == 412 || code == 416)
        return MOAT_LOG_AZURE_ALLOWED;
    return MOAT_LOG_NO_EVIDENCE;
}

/* Decimal digits at t.p[*i], at least one and at most max; -1 when none. */
static int number_at(moat_text t, size_t *i, int max)
{
    int v = 0, k = 0;
    for (; *i < t.n && k < max && t.p[*i] >= '0' && t.p[*i] <= '9'; k++)
        v = v * 10 + (t.p[(*i)++] - '0');
    return k ? v : -1;
}

static int expect(moat_text t, size_t *i, const char *s)
{
    size_t n = strlen(s);
    if (*i + n > t.n || memcmp(t.p + *i, s, n) != 0)
        return 0;
    *i += n;
    return 1;
}

/* The Azure portal's CSV export writes TimeGenerated [UTC] as it shows it,
** "11/20/2026, 8:00:00.000 AM": month/day/year, a 12-hour clock, UTC. */
static int portal_time(moat_text t, int64_t *out)
{
    size_t i = 0;
    int mo = number_at(t, &i, 2), d = expect(t, &i, "/") ? number_at(t, &i, 2)
                                                         : -1;
    int y = expect(t, &i, "/") ? number_at(t, &i, 4) : -1;
    expect(t, &i, ",");
    int h = expect(t, &i, " ") ? number_at(t, &i, 2) : -1;
    int mi = expect(t, &i, ":") ? number_at(t, &i, 2) : -1;
    int sec = expect(t, &i, ":") ? number_at(t, &i, 2) : -1;
    if (expect(t, &i, ".") && number_at(t, &i, 9) < 0)
        return -1;
    int pm = expect(t, &i, " PM");
    if ((!pm && !expect(t, &i, " AM")) || i != t.n || y < 1000 || h < 1 ||
        h > 12 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || mo < 1 ||
        mo > 12)
        return -1;
    char date[32]; /* the day, validated as a date of the calendar */
    int64_t day;
    snprintf(date, sizeof date, "%04d-%02d-%02d", y, mo, d < 0 ? 0 : d);
    if (moat__date_parse(date, strlen(date), &day) != 0)
        return -1;
    *out = day + (h % 12 + (pm ? 12 : 0)) * 3600 + mi * 60 + sec;
    return 0;
}

/* The record's own time (diagnostic and Key Vault `time`, Log Analytics
** TimeGenerated, classic request-start-time) is the request's: the
** catalog rows in force then decide (decision.md section 2). A record
** without one is decided now; one whose time is not understood is not
** decided at all. */
static moat_status map_time(moat_log_reader *r, moat_log_request *out,
                            const char **reason, moat_error *err)
{
    moat_text t = r->f.v[LF_TIME];
    if (t.p == NULL || t.n == 0)
        return MOAT_OK;
    if (moat__time_parse(t.p, t.n, &r->parsed.time) == 0) {
        out->field[MOAT_REQ_TIME] = t;
    } else if (portal_time(t, &r->parsed.time) == 0) {
        moat__time_format(r->parsed.time, r->time, sizeof r->time);
        out->field[MOAT_REQ_TIME] = lit(r->time);
    } else {
        *reason = "time not understood";
        return moat__error_set(
            err, MOAT_E_INVAL, 0,
            "time \"%.*s\" is neither RFC 3339 nor the portal's M/D/YYYY, h:mm:ss AM",
            (int)(t.n < 64 ? t.n : 64), t.p);
    }
    r->parsed.has_time = 1;
    return MOAT_OK;
}

/* A private source in an estate subnet: the path it took. */
static int map_private(moat_log_reader *r, const resource *res,
                       const moat_addr *a, moat_log_request *out,
                       const char **reason, moat_error *err)
{
    const subnet_info *cand[8];
    size_t n = moat__netmap_subnets_of(r->es, a, cand, 8);
    if (n == 0)
        return 0; /* not an estate subnet: leave it on the public path */
    /* A candidate hosting an Approved private endpoint to the account. */
    for (size_t i = 0; i < n && i < 8; i++) {
        for (uint16_t k = 0; k < res->n_pes; k++) {
            const pe_conn *c = &res->pes[k];
            if (c->status != PE_APPROVED || c->pe_id == NULL)
                continue;
            const subnet_info *site = moat__index_get(
                &r->es->map.pe_subnet, c->pe_id, strlen(c->pe_id));
            if (site == cand[i]) {
                out->field[MOAT_REQ_SOURCE_PRIVATE_ENDPOINT] = lit(c->pe_id);
                out->path = "private endpoint";
                r->parsed.pe = c;
                return 0;
            }
        }
    }
    if (n > 1) {
        *reason = "private address in several estate subnets";
        moat__error_set(
            err, MOAT_E_AMBIGUOUS, 0,
            "%s is inside %zu subnets of the estate (overlapping address spaces)",
            r->ip, n);
        return -1;
    }
    out->field[MOAT_REQ_SOURCE_SUBNET] = lit(cand[0]->id);
    r->parsed.subnet = cand[0];
    if (cand[0]->vnet_region != MOAT_ID_NONE) {
        out->field[MOAT_REQ_SOURCE_REGION] =
            lit(r->es->regions.keys[cand[0]->vnet_region]);
        r->parsed.region = cand[0]->vnet_region;
    }
    out->path = "service endpoint";
    return 0;
}

/* The requester's object id as a managed identity of the estate: the
** calling resource, its subscription, region and perimeter. */
static void map_caller(moat_log_reader *r, moat_log_request *out)
{
    moat_text oid = out->identity;
    if (oid.p == NULL || oid.n == 0)
        return;
    const principal *pr = moat__index_get(&r->es->map.principals, oid.p, oid.n);
    if (pr == NULL)
        return;
    r->parsed.caller = pr;
    out->field[MOAT_REQ_CALLER_RESOURCE_ID] = lit(pr->resource_id);
    /* The tenant of a managed identity's token is its own: used when the
    ** record does not log one (Key Vault's claims often lack tid). */
    if (out->field[MOAT_REQ_CALLER_TENANT].n == 0 && pr->tenant_id)
        out->field[MOAT_REQ_CALLER_TENANT] = lit(pr->tenant_id);
    if (pr->subscription_text)
        out->field[MOAT_REQ_CALLER_SUBSCRIPTION] = lit(pr->subscription_text);
    if (pr->perimeter_text)
        out->field[MOAT_REQ_CALLER_PERIMETER] = lit(pr->perimeter_text);
}

/* The account an id or name finds: remembered by its exact bytes (another
** spelling of the same id misses the memo and is looked up again). */
/* The slot of a memo key of 1 to MEMO_KEY bytes. The ids records carry
** all end alike ("/blobServices/default"): the slot is taken from the
** four words before the end, which hold the account's name and service
** (the last word alone put every id of a length in one slot, and half
** the lookups missed on a log of the example estate). */
static uint64_t rotl64(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64 - r));
}

static size_t memo_slot(moat_text t)
{
    uint64_t h = t.n;
    if (t.n >= 32) {
        const char *e = t.p + t.n;
        h ^= moat__load8(e - 8) ^ rotl64(moat__load8(e - 16), 17) ^
             rotl64(moat__load8(e - 24), 31) ^ rotl64(moat__load8(e - 32), 47);
    } else if (t.n >= 8) {
        h ^= moat__load8(t.p + t.n - 8) ^ rotl64(moat__load8(t.p), 29);
    } else {
        h ^= moat__load_tail(t.p, t.n);
    }
    return (size_t)((h * 0x9E3779B97F4A7C15ULL) >> (64 - MEMO_BITS));
}

/* resource_id_of, remembered. */
static moat_text resource_id_memo(moat_log_reader *r, moat_text raw,
                                  res_kind *kind)
{
    if (raw.n == 0 || raw.n > MEMO_KEY) /* n == 0 marks an empty slot */
        return resource_id_of(raw, kind);
    id_memo *m = &r->ids[memo_slot(raw)];
    if (m->n != raw.n || memcmp(m->key, raw.p, raw.n) != 0) {
        res_kind k = RES_STORAGE;
        moat_text id = resource_id_of(raw, &k);
        memcpy(m->key, raw.p, raw.n);
        m->n = raw.n;
        m->id_n = id.p ? id.n : 0;
        m->kind = (int)k;
    }
    if (m->id_n == 0)
        return (moat_text){NULL, 0};
    *kind = (res_kind)m->kind;
    return (moat_text){raw.p, m->id_n};
}

static const resource *find_resource(moat_log_reader *r, moat_text t,
                                     moat_status *st)
{
    if (t.n == 0 || t.n > MEMO_KEY) /* n == 0 marks an empty slot */
        return moat__estate_find(r->es, t.p, t.n, st);
    resource_memo *m = &r->memo[memo_slot(t)];
    if (m->n == t.n && memcmp(m->key, t.p, t.n) == 0)
        return m->res;
    const resource *res = moat__estate_find(r->es, t.p, t.n, st);
    if (res) {
        memcpy(m->key, t.p, t.n);
        m->n = t.n;
        m->res = res;
    }
    return res;
}

static const resource *resource_of(moat_log_reader *r, const log_fields *f,
                                   moat_log_request *out, const char **reason,
                                   moat_status *status, moat_error *err)
{
    res_kind kind = RES_STORAGE; /* a bare account name is a storage field */
    moat_text id = f->v[LF_RESOURCE_ID].p
                       ? resource_id_memo(r, f->v[LF_RESOURCE_ID], &kind)
                       : (moat_text){NULL, 0};
    moat_text name = f->v[LF_ACCOUNT];
    moat_status st = MOAT_E_NOTFOUND;
    const resource *res = NULL;
    if (id.p)
        res = find_resource(r, id, &st);
    if (res == NULL && name.p)
        res = find_resource(r, name, &st);
    /* A name shared by a vault and an account finds either: the record
    ** says which kind it is about. */
    if (res && res->kind != kind) {
        res = NULL;
        st = MOAT_E_NOTFOUND;
    }
    if (name.p == NULL && id.p) {
        const char *slash = id.p + id.n;
        while (slash > id.p && slash[-1] != '/')
            slash--;
        name.p = slash;
        name.n = (size_t)(id.p + id.n - slash);
    }
    out->account = name;
    if (res)
        return res;
    const char *what = kind == RES_KEYVAULT ? "vault" : "account";
    if (id.p == NULL && name.p == NULL) {
        *reason = "no account";
        *status = moat__error_set(
            err, MOAT_E_INVAL, 0,
            "the record names no account (resourceId, AccountName)");
    } else if (st == MOAT_E_AMBIGUOUS) {
        *reason = "account name in several subscriptions";
        *status = moat__error_set(
            err, st, 0,
            "account %.*s is named by several resources of the estate and the record has no resource id",
            (int)name.n, name.p);
    } else {
        *reason = kind == RES_KEYVAULT ? "vault not in the estate"
                                       : "account not in the estate";
        *status = moat__error_set(err, MOAT_E_NOTFOUND, 0,
                                  "%s %.*s is not in the estate", what,
                                  (int)name.n, name.p);
    }
    return NULL;
}

/*--------------------------------------------------------------------------
** Key Vault AuditEvent records (the same diagnostic export): operations
** are ObjectVerb (SecretGet, KeyList, VaultPut); Vault* operations are
** Azure Resource Manager's, the control plane the firewall does not
** filter; every data-plane caller holds a Microsoft Entra token.
*/

/* Resource Manager's requests: Vault* operations, or a request to
** management.azure.com or to Key Vault's control-<region>.vaultcore
** hosts (a vault's own host is <name>.vault.azure.net, whatever its
** name). */
static int vault_control_plane(const log_fields *f)
{
    moat_text op = f->v[LF_OPERATION], host = uri_host(f->v[LF_URI]);
    return text_starts(op, "Vault") || text_eq(host, "management.azure.com") ||
           (text_starts(host, "control-") &&
            ends_with(host, ".vaultcore.azure.net"));
}

/* The verb of SecretGet, KeyList, CertificateDelete, ...: it does not
** change a vault's decision, but it is what the request reports. */
static const char *vault_operation(const log_fields *f)
{
    moat_text op = f->v[LF_OPERATION];
    if (op.p == NULL)
        return NULL;
    if (ends_with(op, "List") || ends_with(op, "ListVersions") ||
        ends_with(op, "ListDeleted"))
        return "list";
    if (ends_with(op, "Delete") || ends_with(op, "Purge"))
        return "delete";
    static const char *const writes[] = {"Set",    "Create",  "Import",
                                         "Update", "Restore", "Recover",
                                         "Put",    "Patch",   "Rotate"};
    for (size_t i = 0; i < sizeof writes / sizeof *writes; i++) {
        if (ends_with(op, writes[i]))
            return "write";
    }
    return "read"; /* Get, Backup, and the key operations (Sign, Decrypt) */
}

/* needle (lower case) in s, ignoring case. */
static int has_ci(moat_text s, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; s.p && i + k <= s.n; i++) {
        if (moat__eq_ci(s.p + i, k, needle, k))
            return 1;
    }
    return 0;
}

/* Key Vault answers a network refusal with 403 Forbidden and an inner
** error code that its message shows (decision.md section 3; the bodies
** collected from Azure's answers): ForbiddenByConnection, a refusal by
** public network access ("Public network access is disabled and request
** is not from a trusted service nor via an approved private link.", and
** with bypass None "Connection is not an approved private link and caller
** was ignored ..."), or ForbiddenByFirewall ("Client address is not
** authorized and caller is not a trusted service.", "... caller was ignored
** because bypass is set to None", "Request was not allowed by NSP rules and
** the client address is not authorized ..."). Other 403s are
** authorization, decided after the network. */
static moat_log_outcome vault_outcome(const log_fields *f, const char **code)
{
    moat_text d = f->v[LF_STATUS_DETAIL];
    int code_403 = http_status(f->v[LF_STATUS_CODE]) == 403;
    *code = NULL;
    if (code_403 && (has_ci(d, "public network access is disabled") ||
                     has_ci(d, "connection is not an approved private link") ||
                     has_ci(d, "forbiddenbyconnection")))
        *code = "ForbiddenByConnection";
    else if (code_403 && (has_ci(d, "client address is not authorized") ||
                          has_ci(d, "not allowed by nsp rules") ||
                          has_ci(d, "forbiddenbyfirewall")))
        *code = "ForbiddenByFirewall";
    if (*code)
        return MOAT_LOG_AZURE_DENIED;
    int status = http_status(f->v[LF_STATUS_CODE]);
    if ((status >= 200 && status < 400) || status == 404 || status == 409)
        return MOAT_LOG_AZURE_ALLOWED;
    return MOAT_LOG_NO_EVIDENCE;
}

/* The string value of the member "key" in JSON text (an AZKVAuditLogs
** Identity cell of a CSV export: {"claim":{"oid":"...",...}}), or an
** empty text. Claims are GUIDs and URLs: no escapes to undo. */
static moat_text json_member(moat_text json, const char *key)
{
    moat_text none = {NULL, 0};
    size_t k = strlen(key);
    const char *p = json.p, *end = json.p + json.n;
    for (; p && p + k + 2 < end; p++) {
        if (p[0] != '"' || memcmp(p + 1, key, k) != 0 || p[k + 1] != '"')
            continue;
        const char *v = p + k + 2;
        while (v < end && (*v == ' ' || *v == ':'))
            v++;
        if (v >= end || *v != '"')
            continue;
        const char *q = memchr(v + 1, '"', (size_t)(end - v - 1));
        if (q == NULL || memchr(v + 1, '\\', (size_t)(q - v - 1)))
            return none;
        moat_text t = {v + 1, (size_t)(q - v - 1)};
        return t;
    }
    return none;
}

/* The token's claims from the Identity column's text, where the row did
** not give them as an object (a CSV export holds the JSON text). */
static void identity_claims(log_fields *f)
{
    static const struct {
        log_field field;
        const char *keys[2];
    } claims[] = {
        {LF_OBJECT_ID,
         {"oid", "http://schemas.microsoft.com/identity/claims/objectidentifier"}},
        {LF_TENANT_ID,
         {"tid", "http://schemas.microsoft.com/identity/claims/tenantid"}},
        {LF_APP_ID, {"appid", "appid"}},
    };
    moat_text id = f->v[LF_IDENTITY];
    for (size_t i = 0; id.n && i < sizeof claims / sizeof *claims; i++) {
        for (int k = 0; k < 2 && f->v[claims[i].field].n == 0; k++) {
            moat_text v = json_member(id, claims[i].keys[k]);
            if (v.n)
                f->v[claims[i].field] = v;
        }
    }
}

/* Records that name a vault but are not requests moat reads. */
static int vault_record_refused(const moat_log_reader *r, const log_fields *f,
                                const char **reason, moat_error *err)
{
    /* Log Analytics keeps AuditEvent in AzureDiagnostics (its columns
    ** flattened from the record: log_scan.c) or, in resource-specific
    ** mode, in AZKVAuditLogs (typed columns; the claims in Identity). */
    if (r->format != MOAT_LOG_DIAGNOSTIC &&
        !text_eq(f->v[LF_TABLE], "AzureDiagnostics") &&
        !text_eq(f->v[LF_TABLE], "AZKVAuditLogs")) {
        *reason = "Key Vault Log Analytics row";
        moat__error_set(
            err, MOAT_E_INVAL, 0,
            "Key Vault rows of Log Analytics are read from AzureDiagnostics and AZKVAuditLogs (this row's Type is %.*s)",
            (int)f->v[LF_TABLE].n, f->v[LF_TABLE].p ? f->v[LF_TABLE].p : "");
        return 1;
    }
    if (ends_with(f->v[LF_OPERATION], "EventGridNotification")) {
        *reason = "not a request";
        moat__error_set(err, MOAT_E_INVAL, 0,
                        "%.*s is a notification Key Vault sends, not a request",
                        (int)f->v[LF_OPERATION].n, f->v[LF_OPERATION].p);
        return 1;
    }
    return 0;
}

/* The operation, as the mapping of the record's kind found it. */
static moat_status set_operation(log_parsed *pp, const char *op,
                                 moat_log_request *out, const char **reason,
                                 moat_error *err)
{
    if (op == NULL) {
        *reason = "no operation";
        return moat__error_set(
            err, MOAT_E_INVAL, 0,
            "the record has neither a category nor an operation");
    }
    out->field[MOAT_REQ_OPERATION] = lit(op);
    static const char *const ops[] = {"read", "write", "delete", "list"};
    pp->op = (moat_operation)word_index(ops, 4, op);
    return MOAT_OK;
}

/* What a storage record asks: endpoint, operation, target, protocol. */
static moat_status map_storage_request(moat_log_reader *r, size_t scratch_used,
                                       moat_log_request *out,
                                       const char **reason, moat_error *err)
{
    const log_fields *f = &r->f;
    log_parsed *pp = &r->parsed;
    const char *endpoint = endpoint_of(f);
    out->field[MOAT_REQ_ENDPOINT] = lit(endpoint);
    pp->endpoint = (moat_endpoint)word_index(endpoint_names, 6, endpoint);
    moat_status st = set_operation(pp, operation_of(f), out, reason, err);
    if (st != MOAT_OK)
        return st;
    moat_text target = target_of(r, f, &scratch_used);
    if (target.n)
        out->field[MOAT_REQ_TARGET] = target;
    /* The logged protocol, else the URI's scheme (classic lines have no
    ** protocol field). */
    const char *proto = protocol_of(f->v[LF_PROTOCOL]);
    if (proto == NULL && f->v[LF_PROTOCOL].p == NULL)
        proto = protocol_of(uri_scheme(f->v[LF_URI]));
    if (proto) {
        out->field[MOAT_REQ_PROTOCOL] = lit(proto);
        pp->protocol = (moat_protocol)word_index(protocol_names, 5, proto);
        pp->has_protocol = 1;
    }
    return MOAT_OK;
}

/* What a vault record asks: the plane and the operation. */
static moat_status map_vault_request(moat_log_reader *r, moat_log_request *out,
                                     const char **reason, moat_error *err)
{
    const log_fields *f = &r->f;
    log_parsed *pp = &r->parsed;
    out->field[MOAT_REQ_ENDPOINT] = lit("vault");
    pp->endpoint = MOAT_ENDPOINT_VAULT;
    if (vault_control_plane(f)) {
        out->field[MOAT_REQ_PLANE] = lit("control");
        pp->plane = MOAT_PLANE_CONTROL;
    }
    return set_operation(pp, vault_operation(f), out, reason, err);
}

/* The caller's authentication and tenant, as logged. */
static moat_status map_auth(moat_log_reader *r, int vault,
                            moat_log_request *out, const char **reason,
                            moat_error *err)
{
    const log_fields *f = &r->f;
    moat_text auth = f->v[LF_AUTH];
    const char *a = auth.p ? auth_of(auth) : vault ? "OAuth" : "Anonymous";
    if (a == NULL) {
        *reason = "authentication type moat does not decide";
        return moat__error_set(
            err, MOAT_E_INVAL, 0,
            "authentication type %.*s (moat decides OAuth, SAS, AccountKey and Anonymous)",
            (int)auth.n, auth.p);
    }
    out->field[MOAT_REQ_CALLER_AUTH] = lit(a);
    r->parsed.auth = (moat_auth)word_index(auth_names, 4, a);
    if (f->v[LF_TENANT_ID].n)
        out->field[MOAT_REQ_CALLER_TENANT] = f->v[LF_TENANT_ID];
    out->identity = f->v[LF_OBJECT_ID];
    return MOAT_OK;
}

/* The source address, and the private path it took, if any. */
static moat_status map_source(moat_log_reader *r, const resource *res,
                              moat_log_request *out, const char **reason,
                              moat_error *err)
{
    moat_text ip = r->f.v[LF_CALLER_IP];
    moat_addr addr;
    if (ip.p == NULL || source_of(r, ip, &out->source) != 0 ||
        moat__addr_parse(out->source.p, out->source.n, &addr) != 0) {
        *reason = "no caller address";
        return moat__error_set(err, MOAT_E_INVAL, 0,
                               "caller address \"%.*s\" is not an IP address",
                               (int)(ip.p ? ip.n : 0), ip.p ? ip.p : "");
    }
    out->field[MOAT_REQ_SOURCE_IP] = out->source;
    r->parsed.ip = addr;
    out->path = "public";
    if (map_private(r, res, &addr, out, reason, err) < 0)
        return MOAT_E_AMBIGUOUS; /* the only way it fails */
    return MOAT_OK;
}

/*--------------------------------------------------------------------------
** Network security perimeter access records (NSPAccessLogs; log_nsp.c has
** the categories): the record's resourceId is the perimeter, its
** serviceResourceId the resource it decided for; the caller is an
** address, and for OAuth callers the calling resource, its app id and,
** when the perimeter admitted it as such, its perimeters. The record
** carries no authentication type.
*/

/* The estate's managed identity of a calling resource, remembered. */
static const principal *source_principal(moat_log_reader *r, moat_text id)
{
    if (id.n == 0 || id.n > MEMO_KEY)
        return NULL;
    if (r->source_n == id.n && memcmp(r->source_key, id.p, id.n) == 0)
        return r->source_memo;
    const principal *found = NULL;
    for (size_t i = 0; i < r->es->map.n_principals && found == NULL; i++) {
        const principal *p = r->es->map.list[i];
        if (moat__eq_ci(p->resource_id, strlen(p->resource_id), id.p, id.n))
            found = p;
    }
    memcpy(r->source_key, id.p, id.n);
    r->source_n = id.n;
    r->source_memo = found;
    return found;
}

/* The category, and the resource it decided for. */
static const resource *nsp_resource(moat_log_reader *r, moat_log_request *out,
                                    const char **reason, moat_status *st,
                                    moat_error *err)
{
    log_fields *f = &r->f;
    moat_category cat;
    const char *name = NULL;
    int dir = moat__nsp_category(f->v[LF_CATEGORY], &cat, &name);
    if (dir <= 0) {
        *reason = dir == 0 ? "outbound access" : "not a request";
        *st = moat__error_set(
            err, MOAT_E_INVAL, 0,
            dir == 0
                ? "category %.*s is the resource's own outbound access, not a request to it"
                : "category \"%.*s\" is not an inbound perimeter access category",
            (int)(f->v[LF_CATEGORY].n < 80 ? f->v[LF_CATEGORY].n : 80),
            f->v[LF_CATEGORY].p ? f->v[LF_CATEGORY].p : "");
        return NULL;
    }
    out->azure_category = lit(name);
    out->azure = ends_with(lit(name), "Allowed") ? MOAT_LOG_AZURE_ALLOWED
                                                 : MOAT_LOG_AZURE_DENIED;
    res_kind kind = RES_STORAGE;
    moat_text svc = f->v[LF_SERVICE_RESOURCE];
    if (svc.p == NULL || resource_id_of(svc, &kind).p == NULL) {
        *reason = "resource moat does not decide";
        *st = moat__error_set(
            err, MOAT_E_INVAL, 0,
            "serviceResourceId \"%.*s\" is neither a storage account nor a key vault",
            (int)(svc.n < 200 ? svc.n : 200), svc.p ? svc.p : "");
        return NULL;
    }
    f->v[LF_RESOURCE_ID] = svc; /* the resource, not the perimeter */
    f->v[LF_ACCOUNT].p = NULL;
    f->v[LF_ACCOUNT].n = 0;
    return resource_of(r, f, out, reason, st, err);
}

/* An operation named as Resource Manager's permissions name data actions
** (".../blobServices/containers/blobs/read"): its last segment; read
** when the record names none. */
static const char *nsp_operation(moat_text op)
{
    if (op.n == 0)
        return "read";
    static const char *const verbs[] = {"read", "write", "delete"};
    for (size_t i = 0; i < MOAT_ARRAY_LEN(verbs); i++) {
        size_t k = strlen(verbs[i]);
        if (op.n > k && op.p[op.n - k - 1] == '/' &&
            moat__eq_ci(op.p + op.n - k, k, verbs[i], k))
            return verbs[i];
    }
    return NULL;
}

/* What the request asks: endpoint (from the resource's host name),
** operation (from the operation name's verb, else read), protocol. */
static moat_status nsp_request(moat_log_reader *r, const resource *res,
                               moat_log_request *out, const char **reason,
                               moat_error *err)
{
    const log_fields *f = &r->f;
    log_parsed *pp = &r->parsed;
    const char *endpoint = "vault";
    if (res->kind == RES_STORAGE) {
        endpoint = endpoint_of_host(f->v[LF_SERVICE_FQDN]);
        endpoint = endpoint ? endpoint : "blob";
        pp->endpoint = (moat_endpoint)word_index(endpoint_names, 6, endpoint);
    } else {
        pp->endpoint = MOAT_ENDPOINT_VAULT;
    }
    out->field[MOAT_REQ_ENDPOINT] = lit(endpoint);
    const char *op = nsp_operation(f->v[LF_OPERATION]);
    if (op == NULL)
        op = res->kind == RES_KEYVAULT ? vault_operation(f) : operation_of(f);
    moat_status st = set_operation(pp, op, out, reason, err);
    const char *proto = protocol_of(moat__nsp_protocol(f->v[LF_PROTOCOL]));
    if (proto) {
        out->field[MOAT_REQ_PROTOCOL] = lit(proto);
        pp->protocol = (moat_protocol)word_index(protocol_names, 5, proto);
        pp->has_protocol = 1;
    }
    return st;
}

/* The caller: an OAuth caller when the record names its resource, app or
** perimeter (these come from its token), decided by its address alone
** otherwise (as a SAS is: the record does not say how it signed). */
static void nsp_caller(moat_log_reader *r, moat_log_request *out)
{
    const log_fields *f = &r->f;
    moat_text src = f->v[LF_SOURCE_RESOURCE], app = f->v[LF_APP_ID];
    moat_text guid = moat__nsp_first_guid(f->v[LF_SOURCE_PERIMETERS]);
    int oauth = src.n || app.n || guid.n;
    const char *a = oauth ? "OAuth" : "SAS";
    out->field[MOAT_REQ_CALLER_AUTH] = lit(a);
    r->parsed.auth = (moat_auth)word_index(auth_names, 4, a);
    const principal *pr = source_principal(r, src);
    if (pr) {
        out->identity = lit(pr->principal_id);
        map_caller(r, out);
    } else if (src.n) {
        out->identity = src;
        out->field[MOAT_REQ_CALLER_RESOURCE_ID] = src;
        moat_text sub = moat__nsp_subscription(src);
        if (sub.n)
            out->field[MOAT_REQ_CALLER_SUBSCRIPTION] = sub;
    } else if (app.n) {
        out->identity = app;
    }
    if (guid.n && out->field[MOAT_REQ_CALLER_PERIMETER].n == 0)
        out->field[MOAT_REQ_CALLER_PERIMETER] = guid;
}

/* The count of events an aggregated record stands for (1 when absent). */
static uint64_t nsp_events(moat_text t)
{
    uint64_t v = 0;
    size_t i = 0;
    if (t.n >= 2 && t.p[0] == '"')
        t.p++, t.n -= 2;
    for (; i < t.n && i < 15 && t.p[i] >= '0' && t.p[i] <= '9'; i++)
        v = v * 10 + (uint64_t)(t.p[i] - '0');
    return i == t.n && v > 0 ? v : 1;
}

static moat_status map_nsp(moat_log_reader *r, moat_log_request *out,
                           const char **reason, moat_error *err)
{
    log_parsed *pp = &r->parsed;
    moat_status st = MOAT_OK;
    const resource *res = nsp_resource(r, out, reason, &st, err);
    if (res == NULL)
        return st;
    out->field[MOAT_REQ_RESOURCE] = lit(res->id);
    pp->res = res;
    /* Audit logs the Enforced evaluation without enforcing it: its
    ** category is not what happened to the request. */
    if (res->assoc && res->assoc->mode == MODE_AUDIT)
        out->azure = MOAT_LOG_NO_EVIDENCE;
    out->azure_rule = moat__nsp_rule_name(r->f.v[LF_MATCHED_RULE]);
    out->events = nsp_events(r->f.v[LF_EVENTS]);
    if ((st = nsp_request(r, res, out, reason, err)) != MOAT_OK ||
        (st = map_time(r, out, reason, err)) != MOAT_OK)
        return st;
    nsp_caller(r, out);
    /* A caller admitted by its identity may come without an address. */
    if (r->f.v[LF_CALLER_IP].n || pp->auth != MOAT_AUTH_OAUTH) {
        if ((st = map_source(r, res, out, reason, err)) != MOAT_OK)
            return st;
    } else {
        out->path = "public";
    }
    out->estate_ = r->es;
    out->parsed_ = pp;
    out->status = out->azure_category;
    return MOAT_OK;
}

static moat_status map(moat_log_reader *r, moat_log_request *out,
                       size_t scratch_used, const char **reason,
                       moat_error *err)
{
    const log_fields *f = &r->f;
    log_parsed *pp = &r->parsed;
    memset(pp, 0, sizeof *pp);
    pp->region = MOAT_ID_NONE;
    out->events = 1;
    if (moat__nsp_record(f))
        return map_nsp(r, out, reason, err);
    moat_status st = MOAT_OK;
    const resource *res = resource_of(r, f, out, reason, &st, err);
    if (res == NULL)
        return st;
    out->field[MOAT_REQ_RESOURCE] = lit(res->id);
    pp->res = res;
    int vault = res->kind == RES_KEYVAULT;
    if (vault && vault_record_refused(r, f, reason, err))
        return MOAT_E_INVAL;
    if (vault)
        identity_claims(&r->f);
    st = vault ? map_vault_request(r, out, reason, err)
               : map_storage_request(r, scratch_used, out, reason, err);
    if (st != MOAT_OK || (st = map_time(r, out, reason, err)) != MOAT_OK ||
        (st = map_auth(r, vault, out, reason, err)) != MOAT_OK ||
        (st = map_source(r, res, out, reason, err)) != MOAT_OK)
        return st;
    map_caller(r, out);
    out->azure = vault ? vault_outcome(f, &out->azure_code) : outcome_of(f);
    out->estate_ = r->es;
    out->parsed_ = pp;
    out->status =
        f->v[LF_STATUS_TEXT].n ? f->v[LF_STATUS_TEXT] : f->v[LF_STATUS_CODE];
    if (f->lenient)
        out->lenient =
            "an unquoted field holds HTML entities (&amp;): split with each entity kept whole";
    return MOAT_OK;
}

/* `az monitor log-analytics query` prints absent values as "None"
** (Python's str() of null). */
static void drop_none(log_fields *f)
{
    for (int i = 0; i < LF_COUNT; i++) {
        if (f->v[i].n == 4 && memcmp(f->v[i].p, "None", 4) == 0) {
            f->v[i].p = NULL;
            f->v[i].n = 0;
        }
    }
}

moat_status moat_log_read(moat_log_reader *r, const char *rec, size_t len,
                          moat_log_request *out, const char **reason,
                          moat_error *err)
{
    static const char *unused_reason;
    if (reason == NULL)
        reason = &unused_reason;
    *reason = NULL;
    memset(out, 0, sizeof *out);
    if (r == NULL || rec == NULL)
        return moat__error_set(err, MOAT_E_INVAL, 0, "no reader or record");
    if (len > SCRATCH_BYTES / 2) {
        *reason = "record too large";
        return moat__error_set(err, MOAT_E_LIMIT, 0,
                               "record of %zu bytes (at most %u)", len,
                               SCRATCH_BYTES / 2);
    }
    log_error le = {NULL, 0};
    int rc;
    if (r->format == MOAT_LOG_ANALYTICS_CSV) {
        if (!r->have_header)
            return moat__error_set(err, MOAT_E_STATE, 0, "no CSV header read");
        rc = moat__log_scan_csv(rec, len, r->cols, r->n_cols, &r->f, r->scratch,
                                SCRATCH_BYTES / 2, &le);
    } else if (r->format == MOAT_LOG_CLASSIC) {
        rc = moat__log_scan_classic(rec, len, &r->f, r->scratch,
                                    SCRATCH_BYTES / 2, &le);
    } else {
        rc = moat__log_scan_json(rec, len, &r->f, r->scratch, SCRATCH_BYTES / 2,
                                 r->shape, &le);
    }
    if (rc == 0 && r->format == MOAT_LOG_ANALYTICS_JSON)
        drop_none(&r->f);
    if (rc != 0) {
        *reason = "malformed record";
        return moat__error_set(err, MOAT_E_SYNTAX, le.at, "%s at byte %zu",
                               le.msg, le.at + 1);
    }
    return map(r, out, SCRATCH_BYTES / 2, reason, err);
}
