/*
** moat_int.h - the library's private umbrella header.
**
** The pipeline, one file per stage:
**
**   json.c      bytes -> JSON tree (positions kept for diagnostics)
**   load.c      JSON tree -> raw resources, validated (diagnostics)
**   read_*.c    one reader per ARM resource family
**   compile.c   raw resources -> immutable estate (prefix sets, hashes)
**   request.c   request fields -> bound request (resolved against estate)
**   decide.c    bound request x estate -> decision (decision.md section 4)
**   explain.c   the same, traced, with words and JSON
**
** Support: arena.c (bump allocation), buf.c (growable text), addr.c
** (addresses, CIDR), prefix.c (interval sets), ids.c (case-insensitive ids,
** interning), catalog.c (trusted services), describe.c (estate as JSON).
**
** Internal names shared between files start with moat__ and are hidden from
** the shared library's symbol table.
*/
#ifndef MOAT_INT_H
#define MOAT_INT_H

#include "moat.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#if defined(__GNUC__)
#define MOAT_HIDDEN __attribute__((visibility("hidden")))
#define MOAT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define MOAT_LIKELY(x) __builtin_expect(!!(x), 1)
#define MOAT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define MOAT_HIDDEN
#define MOAT_PRINTF(f, a)
#define MOAT_LIKELY(x) (x)
#define MOAT_UNLIKELY(x) (x)
#endif

#define MOAT_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Fills err (when not NULL) with code, a byte offset and a message, and
** returns code: every library error goes through here (names.c). */
MOAT_HIDDEN moat_status moat__error_set(moat_error *err, moat_status code,
                                        size_t offset, const char *fmt, ...)
    MOAT_PRINTF(4, 5);

/*==========================================================================
** arena.c - bump allocation. Everything a loader, an estate or a request
** parse allocates lives in one arena and is freed at once.
*/
typedef struct moat_arena_chunk moat_arena_chunk;
typedef struct moat_arena {
    moat_arena_chunk *head;
    size_t total; /* bytes obtained from malloc */
    size_t limit; /* 0 = unlimited; beyond it allocations fail */
} moat_arena;

MOAT_HIDDEN void moat__arena_init(moat_arena *a, size_t limit);
/* n bytes aligned for any type, or NULL (out of memory or over limit). */
MOAT_HIDDEN void *moat__arena_alloc(moat_arena *a, size_t n);
MOAT_HIDDEN void *moat__arena_zalloc(moat_arena *a, size_t n);
/* A NUL-terminated copy of n bytes of s. */
MOAT_HIDDEN char *moat__arena_strndup(moat_arena *a, const char *s, size_t n);
MOAT_HIDDEN char *moat__arena_printf(moat_arena *a, const char *fmt, ...)
    MOAT_PRINTF(2, 3);
/* The same with a va_list; NULL when out of memory. */
MOAT_HIDDEN char *moat__arena_vprintf(moat_arena *a, const char *fmt,
                                      va_list ap) MOAT_PRINTF(2, 0);
/* Forgets every allocation but keeps the largest chunk for reuse. */
MOAT_HIDDEN void moat__arena_reset(moat_arena *a);
MOAT_HIDDEN void moat__arena_free(moat_arena *a);

/*==========================================================================
** buf.c - growable text with a sticky failure flag (sqlite's
** mallocFailed): append freely, check once.
*/
typedef struct moat_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t limit; /* 0 = unlimited */
    int failed;
} moat_buf;

MOAT_HIDDEN void moat__buf_init(moat_buf *b, size_t limit);
MOAT_HIDDEN void moat__buf_free(moat_buf *b);
MOAT_HIDDEN void moat__buf_clear(moat_buf *b);
MOAT_HIDDEN void moat__buf_put(moat_buf *b, const char *s, size_t n);
MOAT_HIDDEN void moat__buf_puts(moat_buf *b, const char *s);
MOAT_HIDDEN void moat__buf_putc(moat_buf *b, char c);
MOAT_HIDDEN void moat__buf_printf(moat_buf *b, const char *fmt, ...)
    MOAT_PRINTF(2, 3);
MOAT_HIDDEN void moat__buf_vprintf(moat_buf *b, const char *fmt, va_list ap);
/* s as a JSON string literal, quotes included. */
MOAT_HIDDEN void moat__buf_json_str(moat_buf *b, const char *s, size_t n);
MOAT_HIDDEN void moat__buf_json_cstr(moat_buf *b, const char *s);
/* The NUL-terminated contents ("" when empty or failed). */
MOAT_HIDDEN const char *moat__buf_cstr(moat_buf *b);

/*--------------------------------------------------------------------------
** shell.c - command lines for a user to copy, every word quoted for a
** POSIX shell. moat__shell_vprintf takes %s and %.*s (one word, quoted;
** text around it joins the word: "pe-%s"), %r (text already made of
** quoted words), %zu and %%; anything else fails (-1, b->failed).
*/
MOAT_HIDDEN void moat__shell_word(moat_buf *b, const char *s, size_t n);
MOAT_HIDDEN int moat__shell_vprintf(moat_buf *b, const char *fmt, va_list ap);

/*==========================================================================
** json.c - a small JSON parser that keeps the byte offset of every value,
** so that every load error can name its line. Why not a packaged parser:
** cJSON (Debian) keeps no positions and allocates per node; diagnostics
** need positions and the request stream needs an arena. It is fuzzed
** (fuzz/fuzz_json.c) and checked against cJSON (tests/unit/base/test_json.c).
*/
typedef enum json_type {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type;

typedef struct json_value json_value;
struct json_value {
    json_type type;
    uint32_t pos;      /* byte offset of the value in the source */
    uint32_t len;      /* string bytes, number text bytes, child count */
    const char *str;   /* decoded string or number text, NUL-terminated */
    json_value *child; /* first element or member */
    json_value *next;  /* next sibling */
    const char *key;   /* member name when inside an object */
    uint32_t key_len;
    uint32_t end;     /* byte offset just past the value */
    uint32_t key_pos; /* offset of the member name's opening quote */
    uint8_t flagged;  /* the loader said this member is read twice or holds
                         U+0000: 1 in a warning, 2 in an error (load.c) */
};

typedef struct json_error {
    size_t pos;
    const char *msg; /* static text */
} json_error;

#define MOAT_JSON_MAX_DEPTH 256

/* Parses exactly one JSON value (surrounding whitespace and a leading UTF-8
** byte order mark allowed). Returns NULL on error (err filled) or when out
** of memory (err->msg is "out of memory"). */
MOAT_HIDDEN json_value *moat__json_parse(moat_arena *a, const char *src,
                                         size_t len, json_error *err);
/* The JSON Azure Resource Manager accepts in templates ("Template syntax":
** comments; and, as ARM's reader does, trailing commas and raw tabs and
** line breaks inside strings). Estate files only, never requests. */
#define MOAT_JSON_ARM 0x1u
/* moat__json_parse() with mode 0 (RFC 8259) or MOAT_JSON_ARM. */
MOAT_HIDDEN json_value *moat__json_parse_mode(moat_arena *a, const char *src,
                                              size_t len, unsigned mode,
                                              json_error *err);
/* The first member whose name equals key ignoring ASCII case, as ARM
** matches names; NULL when absent or obj is not an object. When second is
** not NULL it gets the next member of that name, or NULL: two are
** ambiguous (RFC 8259 section 4: "the behavior of software that receives
** such an object is unpredictable"). */
MOAT_HIDDEN json_value *moat__json_find(const json_value *obj, const char *key,
                                        json_value **second);
/* The first member whose name equals key ignoring ASCII case. */
MOAT_HIDDEN json_value *moat__json_get(const json_value *obj, const char *key);
/* A string holding U+0000: every reader that takes it as a C string (enum
** names, ids, strcmp) would read it cut short. */
static inline int moat__json_has_nul(const json_value *v)
{
    return v && v->type == JSON_STRING && memchr(v->str, '\0', v->len);
}
MOAT_HIDDEN const char *moat__json_type_name(json_type t);
/* True for null or absent. */
static inline int moat__json_is_null(const json_value *v)
{
    return v == NULL || v->type == JSON_NULL;
}
/* Four hexadecimal digits at p (a \u escape's); 0, or -1. */
MOAT_HIDDEN int moat__hex4(const char *p, unsigned *out);
/* Writes code point cp (at most 0x10FFFF) as UTF-8; its length, 1 to 4. */
MOAT_HIDDEN size_t moat__put_utf8(char *o, unsigned cp);
/* 1-based line and column of a byte offset in src. */
MOAT_HIDDEN void moat__json_line_col(const char *src, size_t len, size_t pos,
                                     unsigned *line, unsigned *col);

/*==========================================================================
** addr.c - IPv4 and IPv6 addresses and CIDR ranges. Both families are held
** as 128-bit numbers (IPv4 in the low 32 bits) so one matcher serves both.
*/
typedef struct moat_u128 {
    uint64_t hi, lo;
} moat_u128;

typedef struct moat_addr {
    uint8_t family; /* 0 none, 4, 6 */
    moat_u128 v;
} moat_addr;

typedef struct moat_cidr {
    moat_addr addr;    /* network address (host bits cleared) */
    uint8_t prefix;    /* 0..32 or 0..128 */
    uint8_t bare;      /* written without a prefix length */
    uint8_t host_bits; /* host bits were set in the text */
} moat_cidr;

/* Parses an address of n bytes. An IPv4-mapped IPv6 address
** (::ffff:a.b.c.d) is returned as IPv4, as the service sees it. */
MOAT_HIDDEN int moat__addr_parse(const char *s, size_t n, moat_addr *out);
/* Parses "a.b.c.d", "a.b.c.d/nn", "v6", "v6/nn". Returns 0 on success. */
MOAT_HIDDEN int moat__cidr_parse(const char *s, size_t n, moat_cidr *out);
/* Canonical text (inet_ntop); buf of at least 46 bytes. */
MOAT_HIDDEN void moat__addr_format(const moat_addr *a, char *buf, size_t cap);
MOAT_HIDDEN void moat__cidr_format(const moat_cidr *c, char *buf, size_t cap);
/* First and last address of the range. */
MOAT_HIDDEN void moat__cidr_range(const moat_cidr *c, moat_u128 *lo,
                                  moat_u128 *hi);
/* The range lies inside 10/8, 172.16/12 or 192.168/16 (decision.md 7). */
MOAT_HIDDEN int moat__cidr_is_private_v4(const moat_cidr *c);
/* Number of addresses, saturating at UINT64_MAX. */
MOAT_HIDDEN uint64_t moat__cidr_size(const moat_cidr *c);

static inline int moat__u128_cmp(moat_u128 a, moat_u128 b)
{
    if (a.hi != b.hi)
        return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo)
        return a.lo < b.lo ? -1 : 1;
    return 0;
}

/* The range c holds address a (same family). */
static inline int moat__cidr_contains(const moat_cidr *c, const moat_addr *a)
{
    if (c->addr.family != a->family)
        return 0;
    moat_u128 lo, hi;
    moat__cidr_range(c, &lo, &hi);
    return moat__u128_cmp(lo, a->v) <= 0 && moat__u128_cmp(a->v, hi) <= 0;
}

/*==========================================================================
** prefix.c - a set of CIDR ranges compiled into sorted, disjoint intervals
** that remember the lowest rule index covering them. Lookup is a binary
** search: O(log n), no allocation. Built in O(n log n).
*/
#define MOAT_RULE_NONE 0xFFFFu

typedef struct moat_iv4 {
    uint32_t lo, hi;
    uint16_t rule;
} moat_iv4;

typedef struct moat_iv6 {
    moat_u128 lo, hi;
    uint16_t rule;
} moat_iv6;

typedef struct moat_prefix_set {
    const moat_iv4 *v4;
    const moat_iv6 *v6;
    uint32_t n4, n6;
} moat_prefix_set;

typedef struct moat_prefix_builder {
    struct moat_prefix_item *items;
    size_t n, cap;
    int failed;
} moat_prefix_builder;

MOAT_HIDDEN void moat__prefix_builder_init(moat_prefix_builder *b);
MOAT_HIDDEN void moat__prefix_builder_add(moat_prefix_builder *b,
                                          const moat_cidr *c, uint16_t rule);
/* Compiles into arena memory; the builder is emptied. */
MOAT_HIDDEN moat_status moat__prefix_build(moat_prefix_builder *b,
                                           moat_arena *a, moat_prefix_set *out);
MOAT_HIDDEN void moat__prefix_builder_free(moat_prefix_builder *b);
/* The lowest rule index whose range holds addr, or MOAT_RULE_NONE. */
MOAT_HIDDEN uint16_t moat__prefix_lookup(const moat_prefix_set *s,
                                         const moat_addr *addr);
MOAT_HIDDEN size_t moat__prefix_bytes(const moat_prefix_set *s);

/*==========================================================================
** ids.c - Azure ids, names, GUIDs and regions compare ignoring case; ids
** are hashed case-folded; regions also ignore spaces ("East US" = eastus).
*/
#define MOAT_ID_NONE 0xFFFFFFFFu  /* not set / not known */
#define MOAT_ID_OTHER 0xFFFFFFFEu /* set, but nothing in the estate has it */

/* The value of a hexadecimal digit, or -1. */
static inline int moat__hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static inline int moat__same_id(uint32_t a, uint32_t b)
{
    return a == b && a < MOAT_ID_OTHER;
}

/* Case-insensitive comparison eight bytes at a time (inline: replay
** compares a dozen fields of every record this way). The loads: */
static inline uint64_t moat__load8(const char *s)
{
    uint64_t x;
    memcpy(&x, s, 8);
    return x;
}

static inline uint64_t moat__load_tail(const char *s, size_t n)
{
    uint64_t x = 0;
    memcpy(&x, s, n);
    return x;
}

/* ASCII upper case folded to lower case without branches: a byte gets bit
** 0x20 when it lies in 'A'..'Z'. */
static inline uint64_t moat__fold8(uint64_t x)
{
    const uint64_t high = 0x8080808080808080ULL;
    uint64_t low7 = x & ~high;
    uint64_t ge_a = low7 + 0x3F3F3F3F3F3F3F3FULL; /* byte >= 'A' */
    uint64_t gt_z = low7 + 0x2525252525252525ULL; /* byte > 'Z' */
    uint64_t upper = (ge_a ^ gt_z) & ~x & high;
    return x | (upper >> 2);
}

static inline int moat__eq_ci(const char *a, size_t an, const char *b,
                              size_t bn)
{
    if (an != bn)
        return 0;
    size_t i = 0;
    for (; i + 8 <= an; i += 8) {
        if (moat__fold8(moat__load8(a + i)) != moat__fold8(moat__load8(b + i)))
            return 0;
    }
    if (i < an)
        return moat__fold8(moat__load_tail(a + i, an - i)) ==
               moat__fold8(moat__load_tail(b + i, an - i));
    return 1;
}

MOAT_HIDDEN uint64_t moat__hash_ci(const char *s, size_t n);
MOAT_HIDDEN int moat__eq_ci_z(const char *a, const char *b);
/* Region normalised into out (lower case, no spaces); 0 on success. */
MOAT_HIDDEN int moat__region_norm(const char *s, size_t n, char *out,
                                  size_t cap);
/* Azure's region pairs (data/region-pairs.tsv, generated): each region's
** own paired region, directed as Azure's table gives it. */
typedef struct moat_region_pair {
    const char *region, *pair;
} moat_region_pair;
MOAT_HIDDEN extern const moat_region_pair moat__region_pairs[];
MOAT_HIDDEN extern const unsigned long moat__region_pairs_size;
/* The pair of a normalised region name, or NULL (nonpaired or unknown). */
MOAT_HIDDEN const char *moat__region_pair_of(const char *norm);
/* The GUID in "/subscriptions/<guid>" or a bare "<guid>", lower-cased into
** out (37 bytes); 0 on success. Accepts any non-empty value without '/'
** after the prefix, since Azure's own examples use placeholders. */
MOAT_HIDDEN int moat__subscription_of(const char *s, size_t n, char *out,
                                      size_t cap);
MOAT_HIDDEN void moat__lower(char *s);

/* A string interning table: case-insensitive key -> dense index. */
typedef struct moat_intern {
    struct moat_intern_slot *slots;
    size_t cap, count;
    const char **keys; /* by index, lower-cased */
    size_t keys_cap;
} moat_intern;

MOAT_HIDDEN void moat__intern_init(moat_intern *t);
MOAT_HIDDEN void moat__intern_free(moat_intern *t);
/* Adds (or finds) key; MOAT_ID_NONE when out of memory. The key text is
** copied into arena a. */
MOAT_HIDDEN uint32_t moat__intern_add(moat_intern *t, moat_arena *a,
                                      const char *key, size_t n);
/* The index of key, or MOAT_ID_OTHER. */
MOAT_HIDDEN uint32_t moat__intern_find(const moat_intern *t, const char *key,
                                       size_t n);

/* A hash index from case-folded string to pointer (ids, names). */
typedef struct moat_index {
    struct moat_index_slot *slots;
    size_t cap, count;
} moat_index;

MOAT_HIDDEN void moat__index_init(moat_index *x);
MOAT_HIDDEN void moat__index_free(moat_index *x);
/* Adds key -> value. Returns 0, 1 when the key was already there (the
** first value is kept; *prev gets it when prev is not NULL), -1 on OOM. */
MOAT_HIDDEN int moat__index_put(moat_index *x, const char *key, size_t n,
                                void *value, void **prev);
MOAT_HIDDEN void *moat__index_get(const moat_index *x, const char *key,
                                  size_t n);
/* The stored value's slot, to replace it; NULL when the key is absent. */
MOAT_HIDDEN void **moat__index_ref(const moat_index *x, const char *key,
                                   size_t n);

/* An ARM id split at '/': "/subscriptions/s/resourceGroups/g/providers/
** NS/type/name" has 8 segments. */
#define MOAT_MAX_SEGMENTS 32
typedef struct moat_segments {
    uint16_t off[MOAT_MAX_SEGMENTS];
    uint16_t len[MOAT_MAX_SEGMENTS];
    uint8_t n;
} moat_segments;

/* Splits an id of n bytes (< 65536); -1 when it has too many segments. */
MOAT_HIDDEN int moat__segments_split(const char *s, size_t n,
                                     moat_segments *out);
/* The resource type of an ARM id, "Microsoft.Storage/storageAccounts" for
** ".../providers/Microsoft.Storage/storageAccounts/x" (nested types give
** "NS/t1/t2"). Writes into out; returns its length, 0 when none. */
MOAT_HIDDEN size_t moat__arm_type_of(const char *id, size_t n, char *out,
                                     size_t cap);
/* The subscription GUID of an ARM id into out (lower case); 0 on success. */
MOAT_HIDDEN int moat__arm_subscription_of(const char *id, size_t n, char *out,
                                          size_t cap);
/* Length of the parent id: for ".../vaults/v/privateEndpointConnections/c"
** and child "privateEndpointConnections", the length of ".../vaults/v";
** 0 when child is not found. */
MOAT_HIDDEN size_t moat__arm_parent_len(const char *id, size_t n,
                                        const char *child);

/*==========================================================================
** catalog.c - the trusted-service catalog, generated at build time from
** data/trusted-services.tsv.
*/
typedef enum moat_catalog_target {
    MOAT_TARGET_STORAGE = 1,
    MOAT_TARGET_KEYVAULT = 2
} moat_catalog_target;

MOAT_HIDDEN extern const moat_service moat__catalog_entries[];
MOAT_HIDDEN extern const unsigned long moat__catalog_size;

/* What the engine reads of each row, in catalog order: its span in
** seconds since the epoch (since inclusive, until exclusive; an open end
** is INT64_MIN or INT64_MAX), its target and whether it is of kind
** managed-identity. */
typedef struct catalog_row {
    int64_t since, until;
    uint8_t target; /* moat_catalog_target */
    uint8_t managed_identity;
} catalog_row;
MOAT_HIDDEN extern const catalog_row moat__catalog_rows[];

/* Every name a row is known by, in row order (generated): its platform,
** and each of its identities, a provider/type or a bare namespace. */
enum { CATALOG_PLATFORM, CATALOG_TYPE, CATALOG_NAMESPACE };
typedef struct catalog_name {
    const char *name;
    uint8_t len;
    uint8_t kind;
    uint16_t row;
} catalog_name;
MOAT_HIDDEN extern const catalog_name moat__catalog_names[];
MOAT_HIDDEN extern const unsigned long moat__catalog_names_size;

/* The rows that name one caller (decision.md section 4, trusted), found
** once when the request's caller is set, so that deciding only filters
** them by time. Per target (index target - 1), in catalog order; no name
** in the catalog is named by more than MOAT_TRUST_MAX rows of one target
** (a unit test checks). */
#define MOAT_TRUST_MAX 8
typedef struct caller_rows {
    uint16_t row[2][MOAT_TRUST_MAX];
    uint8_t n[2];
    uint8_t dated[2]; /* one of them has a since or an until */
    /* Resource instance rules stop admitting the caller's type at the
    ** earliest `until` of a managed-identity row naming it (section 4),
    ** INT64_MAX when none has one; that row, or -1. */
    int16_t instances_row;
    int64_t instances_until;
} caller_rows;

/* The rows naming a caller called `name` (caller.service, else the type
** of caller.resource_id), and the instance-rule limit of its resource
** type `type` (tn 0: no resource id). */
MOAT_HIDDEN void moat__catalog_rows_of(const char *name, size_t n,
                                       const char *type, size_t tn,
                                       caller_rows *out);
/* The first of c's rows for target in force at time t, or -1. */
MOAT_HIDDEN int moat__catalog_in_force(const caller_rows *c,
                                       moat_catalog_target target, int64_t t);

/*==========================================================================
** dates.c - instants as seconds since 1970-01-01T00:00:00Z.
*/
MOAT_HIDDEN int64_t moat__days_from_civil(int y, unsigned m, unsigned d);
/* "YYYY-MM-DD" as the first second of that day (UTC); 0, or -1. */
MOAT_HIDDEN int moat__date_parse(const char *s, size_t n, int64_t *out);
/* An RFC 3339 date-time, floored to its second; 0, or -1. */
MOAT_HIDDEN int moat__time_parse(const char *s, size_t n, int64_t *out);
/* "YYYY-MM-DDTHH:MM:SSZ"; buf of at least 32 bytes. */
MOAT_HIDDEN void moat__time_format(int64_t t, char *buf, size_t cap);

/*==========================================================================
** The compiled estate.
*/
typedef enum res_kind { RES_STORAGE, RES_KEYVAULT } res_kind;
typedef enum pna_mode {
    PNA_ENABLED,
    PNA_DISABLED,
    PNA_SECURED_BY_PERIMETER
} pna_mode;
typedef enum access_mode {
    MODE_LEARNING,
    MODE_ENFORCED,
    MODE_AUDIT
} access_mode;
typedef enum vnet_state {
    VNET_SUCCEEDED,
    VNET_ABSENT, /* no state: counts as Succeeded */
    VNET_PROVISIONING,
    VNET_DEPROVISIONING,
    VNET_FAILED,
    VNET_NETWORK_SOURCE_DELETED,
    VNET_UNKNOWN /* an expression: the rule does not admit */
} vnet_state;
typedef enum pe_status {
    PE_APPROVED,
    PE_PENDING,
    PE_REJECTED,
    PE_DISCONNECTED,
    PE_UNKNOWN
} pe_status;

#define BYPASS_AZURE_SERVICES 0x1u
#define BYPASS_LOGGING 0x2u
#define BYPASS_METRICS 0x4u

/* Where a setting's value came from (for describe and audit). */
/* Where a setting's value came from: written in the estate, Azure's default
** for an absent value, or unknown (an ARM template expression, a Terraform
** value known only after apply). An unknown value decides as the most
** restrictive one, and the audit says it is unknown. */
typedef enum basis { BASIS_EXPLICIT, BASIS_DEFAULT, BASIS_UNKNOWN } basis;

/* A rule Azure would refuse, kept (under --lenient) for the audit. */
typedef enum reject_reason {
    REJ_SYNTAX,  /* not an address or range */
    REJ_FAMILY,  /* IPv6 where IPv4 is required, or the reverse */
    REJ_PREFIX,  /* /31 or /32 written out on a storage account */
    REJ_PRIVATE, /* inside 10/8, 172.16/12 or 192.168/16 */
    REJ_LIMIT,   /* past Azure's limit on the number of rules */
    REJ_OTHER
} reject_reason;

typedef struct rejected_rule {
    const char *list; /* "ipRules", "virtualNetworkRules", ... */
    uint16_t index;
    reject_reason reason;
    const char *value;
    const char *message;
    unsigned line;
} rejected_rule;

typedef struct ip_rule {
    const char *text; /* as written */
    moat_cidr cidr;
    uint16_t index; /* position in the resource's JSON list */
} ip_rule;

typedef struct vnet_rule {
    const char *id;
    uint64_t hash;
    vnet_state state;
    uint16_t index;
} vnet_rule;

typedef struct rar_rule {
    uint32_t tenant; /* interned */
    uint16_t index;
    uint8_t nseg;
    uint8_t wildcard;        /* has a '*' segment */
    uint64_t type_hash;      /* hash of provider namespace and type, or 0 */
    const uint16_t *seg_off; /* segments of resource_id */
    const uint16_t *seg_len;
    const char *resource_id;
    const char *tenant_text;
} rar_rule;

typedef struct pe_conn {
    const char *name;  /* connection id or name, for explanations */
    const char *pe_id; /* private endpoint ARM id */
    uint64_t hash;
    pe_status status;
    const char *status_text;
    uint16_t index;
    uint8_t from_endpoint; /* learnt from a Microsoft.Network/privateEndpoints
                              resource rather than the resource itself */
} pe_conn;

typedef struct perimeter perimeter;
typedef struct profile profile;
typedef struct assoc assoc;

typedef struct access_rule {
    const char *id;
    const char *name;
    int inbound;
    const char **prefixes; /* texts */
    moat_cidr *cidrs;
    uint16_t n_prefixes;
    const char **subscriptions;
    uint16_t n_subscriptions;
    const char **service_tags;
    uint16_t n_service_tags;
    uint16_t n_other; /* outbound elements (FQDN, e-mail, phone) */
} access_rule;

struct perimeter {
    const char *id;
    const char *name;
    const char *guid_text;
    uint32_t guid; /* interned */
    const char *location;
    uint8_t synthetic; /* from a storage account's NSP configuration */
};

struct profile {
    const char *id;
    const char *name;
    uint32_t rule_base; /* its inbound rules' numbers start here (rules.c) */
    const perimeter *perimeter;
    const access_rule *rules; /* in estate order */
    uint16_t n_rules;
    /* hot: inbound address prefixes and subscriptions, lowest rule index */
    moat_prefix_set prefixes;
    const uint32_t *sub_ids; /* sorted interned subscription GUIDs */
    const uint16_t *sub_rule;
    uint16_t n_subs;
    uint16_t first_tag_rule; /* lowest rule index with service tags */
    /* The prefixes of the service tags its inbound rules name (from the
    ** service-tag file; matched for key vaults only), lowest rule index. */
    moat_prefix_set tag_prefixes;
};

typedef struct link_join {
    uint32_t guid; /* the caller's perimeter */
    uint16_t link; /* index into the estate's links */
} link_join;

typedef struct nsp_link {
    const char *id;
    const char *name;
    const perimeter *local;
    const char *remote_id;
    uint32_t remote_guid;
    int approved;
    const char *status_text;
} nsp_link;

struct assoc {
    const char *id;
    const char *name;
    access_mode mode;
    const char *mode_text;
    uint8_t transition; /* written as Transition: text says so */
    const profile *profile;
    const perimeter *perimeter;
    const link_join *joins; /* sorted by guid */
    uint16_t n_joins;
    uint8_t synthetic;
};

typedef struct subnet_info {
    const char *id;
    uint64_t hash;
    uint32_t vnet_region;   /* interned, or MOAT_ID_NONE */
    uint8_t se_storage;     /* Microsoft.Storage */
    uint8_t se_storage_any; /* its locations list '*' */
    uint8_t se_storage_global;
    uint8_t se_keyvault;
    /* Microsoft.Storage without locations also reaches the VNet region's
    ** pair (decision.md section 6); interned, or MOAT_ID_NONE. */
    uint32_t storage_pair;
    const uint32_t *storage_locations; /* interned regions */
    uint16_t n_storage_locations;
    const char **services; /* every service endpoint, for describe */
    uint16_t n_services;
} subnet_info;

typedef struct resource {
    /* hot: what moat_decide reads */
    res_kind kind;
    pna_mode pna;
    uint8_t default_allow;
    uint8_t bypass;
    uint32_t region; /* interned */
    uint32_t tenant; /* interned, MOAT_ID_NONE when unknown */
    const assoc *assoc;
    moat_prefix_set ips;         /* ipRules and ipv6Rules */
    const uint64_t *vnet_hashes; /* sorted, active rules only */
    const uint16_t *vnet_which;  /* rule index per hash */
    uint16_t n_vnet_active;
    const rar_rule *rars;
    uint16_t n_rars;
    /* Literal resource access rules by case-folded hash of their id
    ** (sorted), and the rules with '*' segments, in rule order. */
    const uint64_t *rar_hashes;
    const uint16_t *rar_which;
    uint16_t n_rar_literal;
    const uint16_t *rar_wild;
    uint16_t n_rar_wild;
    const pe_conn *pes;
    uint16_t n_pes;
    /* cold: what explanations and describe read */
    const char *id;
    const char *name;
    const char *location;
    const char *tenant_text;
    const char *tenant_source; /* "subscription", "resource", "properties" */
    const char *pna_text;
    basis pna_basis;
    basis acl_basis; /* networkAcls present or defaulted */
    basis default_basis;
    basis bypass_basis;
    basis ip_basis;   /* ipRules and ipv6Rules */
    basis vnet_basis; /* virtualNetworkRules */
    basis rar_basis;  /* resourceAccessRules */
    basis pe_basis;   /* privateEndpointConnections */
    basis location_basis;
    const rejected_rule *rejects;
    uint16_t n_rejects;
    uint8_t synthetic_id; /* no "id" in the estate (templates, Terraform) */
    const char *origin;   /* "arm", "template", "terraform" */
    const char *address;  /* Terraform address, or NULL */
    const ip_rule *ip4;
    uint16_t n_ip4;
    const ip_rule *ip6;
    uint16_t n_ip6;
    const vnet_rule *vnets;
    uint16_t n_vnets;
    const char *file;
    unsigned line;
    uint32_t rule_base; /* its admitting rules' numbers start here */
} resource;

/* The network map (netmap.c): what replay needs to turn a log record's
** caller into a request. */
typedef struct net_site {
    moat_cidr cidr;
    const subnet_info *subnet;
    uint8_t overlaps; /* another subnet's range overlaps this one */
} net_site;

typedef struct principal {
    const char *principal_id;
    const char *resource_id; /* the caller's resource */
    const char *location;    /* its region, or NULL */
    const char *tenant_id;   /* identity.tenantId, or NULL */
    /* The caller fields of a request from it, computed once: */
    size_t id_len;
    moat_segments seg;
    uint64_t hash, type_hash;
    caller_rows trust;
    const char *subscription_text; /* or NULL */
    uint32_t subscription;                 /* interned, or MOAT_ID_OTHER */
    const char *perimeter_text;            /* its perimeter's GUID, or NULL */
    uint32_t perimeter;
} principal;

typedef struct netmap {
    net_site *sites;
    size_t n_sites;
    moat_prefix_set site_set; /* address -> lowest site index */
    moat_index pe_subnet;     /* private endpoint id -> subnet_info */
    moat_index principals;    /* principal id -> principal */
    moat_index member_of;     /* resource id -> perimeter */
    const principal **list;   /* every identity, in estate order */
    size_t n_principals;
} netmap;

struct moat_estate {
    moat_arena arena;
    moat_intern ids; /* tenants, subscriptions, perimeter GUIDs */
    moat_intern regions;
    resource *resources;
    size_t n_resources;
    moat_index by_id;   /* resource id -> resource */
    moat_index by_name; /* resource name -> resource, or &ambiguous */
    perimeter *perimeters;
    size_t n_perimeters;
    profile *profiles;
    size_t n_profiles;
    assoc *assocs;
    size_t n_assocs;
    nsp_link *links;
    size_t n_links;
    subnet_info *subnets;
    size_t n_subnets;
    moat_index subnet_by_id;
    netmap map;
    size_t n_rules;       /* admitting rules, numbered (rules.c) */
    uint8_t has_service_tags; /* a service-tag file was read */
    uint64_t generation;  /* unique per compiled estate in this process */
    const char **sub_ids; /* subscriptions and their tenants, for describe */
    const char **sub_tenants;
    size_t n_subs;
    moat_incomplete *incomplete; /* what the loader could not read */
    size_t n_incomplete;
    struct dep_edge *deps; /* dependency edges (estate/deps.h) */
    size_t n_deps;
};

MOAT_HIDDEN extern const char moat__ambiguous_marker;

MOAT_HIDDEN void moat__netmap_free(netmap *m);
/* Numbers every admitting rule of the estate (rules.c). */
MOAT_HIDDEN void moat__number_rules(moat_estate *es);
/* The subnets whose address ranges hold a; returns how many (up to cap are
** stored in out, in no particular order). */
MOAT_HIDDEN size_t moat__netmap_subnets_of(const moat_estate *es,
                                           const moat_addr *a,
                                           const subnet_info **out, size_t cap);

/* The resource of an id or unique name; NULL with *status set otherwise. */
MOAT_HIDDEN const resource *moat__estate_find(const moat_estate *es,
                                              const char *s, size_t n,
                                              moat_status *status);

/*==========================================================================
** The string pool of a bound request (engine/request.c): the limit on
** what one request holds, which the network map's precomputed callers
** follow too (estate/netmap.c).
*/
#define MOAT_REQ_POOL 8192

/*==========================================================================
** The admitting rules' references: a kind and an index, as the estate
** numbers them (estate/rules.c) and decide.c reports them.
*/
typedef enum rule_kind {
    RK_NONE,
    RK_DEFAULT_ACTION,
    RK_NO_ACLS, /* networkAcls absent: default Allow */
    RK_IP4,
    RK_IP6,
    RK_VNET,
    RK_RAR,
    RK_TRUSTED, /* index: catalog entry */
    RK_BYPASS_LOGGING,
    RK_BYPASS_METRICS,
    RK_PNA,
    RK_PE, /* index: connection, or MOAT_RULE_NONE */
    RK_ASSOC,
    RK_INTRA,
    RK_LINK,     /* index: estate link */
    RK_NSP_RULE, /* index: rule of the association's profile */
    RK_NSP_PROFILE
} rule_kind;

#define MOAT_RULE_REF(kind, index) (((uint32_t)(kind) << 16) | (index))
#define MOAT_RULE_KIND(ref) ((rule_kind)((ref) >> 16))
#define MOAT_RULE_INDEX(ref) ((uint16_t)((ref)&0xFFFFu))

/* The estate-wide number of a decision's rule (MOAT_RULE_REF) of resource
** r, or -1 when it is not an admitting rule (rules.c). */
MOAT_HIDDEN long moat__rule_number(const resource *r, uint32_t ref);
/* The name of admitting rule i, RK_IP4, RK_IP6, RK_VNET, RK_RAR of r or
** RK_NSP_RULE of profile p (rules.c: the one rule formatter). */
MOAT_HIDDEN void moat__rule_name(moat_buf *b, const resource *r,
                                 const profile *p, rule_kind kind, uint16_t i);

/*==========================================================================
** names.c - the contract's words.
*/
/* Lower-case names of enum values, for text. */
MOAT_HIDDEN const char *moat__endpoint_name(moat_endpoint e);
MOAT_HIDDEN const char *moat__protocol_name(moat_protocol p);
MOAT_HIDDEN const char *moat__operation_name(moat_operation o);
MOAT_HIDDEN const char *moat__auth_name(moat_auth a);
MOAT_HIDDEN const char *moat__mode_name(access_mode m);
MOAT_HIDDEN const char *moat__pna_name(pna_mode p);
MOAT_HIDDEN const char *moat__vnet_state_name(vnet_state s);
MOAT_HIDDEN const char *moat__pe_status_name(pe_status s);

#endif /* MOAT_INT_H */
