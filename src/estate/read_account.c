/*
** read_account.c - storage accounts and key vaults, with their firewall
** (networkAcls), public network access and private endpoint connections.
**
** Accepted spellings (decision.md section 1): ARM's nested "properties" or
** `az ... show`'s flattened form, "networkAcls" or "networkRuleSet",
** "value" or "ipAddressOrRange", "id" or "virtualNetworkResourceId", bypass
** as one comma-separated string or an array of words.
**
** Validation mirrors what Azure refuses (decision.md sections 1 and 7). A
** refused rule is an error, or under --lenient a warning and the rule is
** left out; a refused setting falls back to its most restrictive value, so
** that a bad estate can never open access (fail closed).
*/
#include "load.h"

#include <string.h>

#define STORAGE_MAX_IP 400
#define STORAGE_MAX_IP6 400
#define STORAGE_MAX_VNET 400
#define STORAGE_MAX_RAR 200
#define VAULT_MAX_IP 1000
#define VAULT_MAX_VNET 200

static const enum_entry pna_names[] = {
    {"Enabled", PNA_ENABLED},
    {"Disabled", PNA_DISABLED},
    {"SecuredByPerimeter", PNA_SECURED_BY_PERIMETER},
};

static const enum_entry action_names[] = {{"Allow", 1}, {"Deny", 0}};

static const enum_entry vnet_state_names[] = {
    {"Succeeded", VNET_SUCCEEDED},
    {"Provisioning", VNET_PROVISIONING},
    {"Deprovisioning", VNET_DEPROVISIONING},
    {"Failed", VNET_FAILED},
    {"NetworkSourceDeleted", VNET_NETWORK_SOURCE_DELETED},
};

static const enum_entry pe_status_names[] = {
    {"Approved", PE_APPROVED},
    {"Pending", PE_PENDING},
    {"Rejected", PE_REJECTED},
    {"Disconnected", PE_DISCONNECTED},
};

static const enum_entry bypass_names[] = {
    {"None", 0},
    {"AzureServices", BYPASS_AZURE_SERVICES},
    {"Logging", BYPASS_LOGGING},
    {"Metrics", BYPASS_METRICS},
};

#define UNKNOWN_VALUE 2

/* An enum-valued member: 1 and *out set when valid; 0 when absent;
** UNKNOWN_VALUE for an expression; -1 after a diagnostic (the caller then
** keeps its restrictive fallback). */
static int read_enum(rctx *c, const json_value *obj, const char *name,
                     const enum_entry *t, size_t n, int *out,
                     const json_value **at)
{
    const json_value *v;
    int rc = moat__get_setting(c, obj, name, &v);
    if (at)
        *at = v;
    if (rc <= 0)
        return rc;
    if (moat__is_expression(v))
        return UNKNOWN_VALUE;
    if (moat__enum_lookup(t, n, v->str, out))
        return 1;
    moat__invalid(c, v, "\"%s\" is not a valid value: expected %s", v->str,
                  moat__enum_list(c, t, n));
    return -1;
}

static const char *last_segment(const char *id)
{
    const char *s = strrchr(id, '/');
    return s ? s + 1 : id;
}

/*--------------------------------------------------------------------------
** Rule values.
*/

/* The text of a rule element: the element itself when it is a string
** (Terraform's lists), else its member k1 or k2 (two spellings). NULL
** after a diagnostic or when the element is to be skipped. */
static const json_value *element_text(rctx *c, const json_value *elem,
                                      const char *k1, const char *k2)
{
    if (elem->type == JSON_STRING)
        return moat__element_ok(c, elem) ? elem : NULL;
    if (elem->type != JSON_OBJECT) {
        moat__diag(c, MOAT_SEV_ERROR, MOAT_E_INVAL, elem,
                   "expected an object with \"%s\", found %s", k1,
                   moat__json_type_name(elem->type));
        return NULL;
    }
    const json_value *v = moat__setting(c, elem, k1, k2);
    if (moat__json_is_null(v)) {
        moat__invalid(c, elem, "rule has no \"%s\"", k1);
        return NULL;
    }
    if (v->type != JSON_STRING) {
        moat__diag(c, MOAT_SEV_ERROR, MOAT_E_INVAL, v,
                   "expected a string, found %s",
                   moat__json_type_name(v->type));
        return NULL;
    }
    return v;
}

/* Azure has stored values with quotes inside the string ("'10.91.4.0/24'",
** REST example createVaultWithNetworkAcls); read them without the quotes,
** with a warning. Empty values (REST example updateVault) match nothing and
** are skipped with a warning. Returns the usable length, 0 to skip. */
static size_t clean_value(rctx *c, const json_value *v, const char **text)
{
    const char *s = v->str;
    size_t n = v->len;
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0]) {
        moat__diag(c, MOAT_SEV_WARNING, MOAT_E_INVAL, v,
                   "value %s is wrapped in quotes; read without them", v->str);
        s++;
        n -= 2;
    }
    if (n == 0) {
        moat__diag(c, MOAT_SEV_WARNING, MOAT_E_INVAL, v,
                   "empty value matches nothing; rule ignored");
        return 0;
    }
    *text = s;
    return n;
}

/* 1 when the rule's action lets it admit (absent, or Allow), 0 when not
** (after a diagnostic), UNKNOWN_VALUE when unknown: the rule then admits
** nothing, its most restrictive reading. */
static int check_action(rctx *c, const json_value *elem)
{
    if (elem->type != JSON_OBJECT)
        return 1;
    int allow = 1;
    const json_value *at;
    int rc = read_enum(c, elem, "action", action_names, 2, &allow, &at);
    if (rc < 0)
        return 0;
    if (rc == UNKNOWN_VALUE)
        return UNKNOWN_VALUE;
    if (!allow) {
        moat__invalid(
            c, at,
            "action \"%s\" is not supported: Azure network rules are allow rules (expected Allow)",
            at->str);
        return 0;
    }
    return 1;
}

typedef enum ip_family_rule {
    IPR_STORAGE_V4,
    IPR_STORAGE_V6,
    IPR_VAULT
} ip_family_rule;

/* A rule Azure refuses: a diagnostic (error, or warning under --lenient),
** and a record the audit reports. */
static void reject(rctx *c, raw_res *r, const json_value *at, const char *list,
                   uint16_t index, const char *value, reject_reason reason,
                   const char *fmt, ...) MOAT_PRINTF(8, 9);

static void reject(rctx *c, raw_res *r, const json_value *at, const char *list,
                   uint16_t index, const char *value, reject_reason reason,
                   const char *fmt, ...)
{
    moat_buf b;
    moat__buf_init(&b, 0);
    va_list ap;
    va_start(ap, fmt);
    moat__buf_vprintf(&b, fmt, ap);
    va_end(ap);
    moat__invalid(c, at, "%s", moat__buf_cstr(&b));
    rejected_rule *rr = VEC_PUSH(c->ld, r->rejects);
    if (rr) {
        rr->list = list;
        rr->index = index;
        rr->reason = reason;
        rr->value = moat__dupn(c->ld, value, strlen(value));
        rr->message =
            moat__dupn(c->ld, moat__buf_cstr(&b), strlen(moat__buf_cstr(&b)));
        if (at) {
            unsigned col;
            moat__src_line_col(c->file, at->pos, &rr->line, &col);
        }
    }
    moat__buf_free(&b);
}

static const char *ip_list_name(ip_family_rule kind)
{
    return kind == IPR_STORAGE_V6 ? "ipv6Rules" : "ipRules";
}

/* Validates one IP rule as Azure does; 1 when it is kept. */
static int validate_ip(rctx *c, raw_res *r, const json_value *at,
                       const char *text, size_t n, ip_family_rule kind,
                       uint16_t index, moat_cidr *cidr)
{
    char shown[128];
    const char *list = ip_list_name(kind);
    snprintf(shown, sizeof shown, "%.*s", (int)(n < 100 ? n : 100), text);
    if (moat__cidr_parse(text, n, cidr) != 0) {
        reject(c, r, at, list, index, shown, REJ_SYNTAX,
               "\"%s\" is not an %s address or CIDR range", shown,
               kind == IPR_STORAGE_V6 ? "IPv6" : "IPv4");
        return 0;
    }
    if (kind != IPR_STORAGE_V6 && cidr->addr.family != 4) {
        reject(c, r, at, list, index, shown, REJ_FAMILY, "\"%s\" is IPv6; %s",
               shown,
               kind == IPR_VAULT
                   ? "Key Vault IP rules take IPv4 only"
                   : "put IPv6 ranges in ipv6Rules (ipRules take IPv4 only)");
        return 0;
    }
    if (kind == IPR_STORAGE_V6 && cidr->addr.family != 6) {
        reject(c, r, at, list, index, shown, REJ_FAMILY,
               "\"%s\" is IPv4; ipv6Rules take IPv6 only (put it in ipRules)",
               shown);
        return 0;
    }
    if (kind == IPR_STORAGE_V4) {
        if (!cidr->bare && cidr->prefix > 30) {
            reject(
                c, r, at, list, index, shown, REJ_PREFIX,
                "\"%s\": Azure Storage refuses /31 and /32 prefixes; write the bare address (\"%.*s\")",
                shown, (int)(strchr(shown, '/') - shown), shown);
            return 0;
        }
    }
    /* Both refuse private ranges (decision.md sections 1 and 7); Key Vault
    ** takes any prefix, /31 and /32 included. */
    if (kind != IPR_STORAGE_V6 && moat__cidr_is_private_v4(cidr)) {
        reject(
            c, r, at, list, index, shown, REJ_PRIVATE,
            "\"%s\" is a private range (10/8, 172.16/12, 192.168/16); %s",
            shown,
            kind == IPR_VAULT
                ? "Key Vault refuses it (\"belongs to forbidden range ... (private IP addresses)\")"
                : "Azure Storage IP rules take public addresses only");
        return 0;
    }
    return 1;
}

/* One element of a rule list, at index i of the JSON list. Returns 1 when
** the element's value is unknown (an expression). */
typedef int (*rule_reader)(rctx *c, raw_res *r, const json_value *e, uint16_t i,
                           int kind);

/* Reads list `name` of acls element by element, with the path of each;
** elements past Azure's limit are reported (once) and left out. *b says
** whether the list was written, defaulted (absent: empty) or unknown. */
static void each_rule(rctx *c, raw_res *r, const json_value *acls,
                      const char *name, size_t limit, rule_reader one, int kind,
                      basis *b)
{
    const json_value *list = moat__setting(c, acls, name, NULL);
    if (moat__is_expression(list)) {
        *b = BASIS_UNKNOWN;
        return;
    }
    if (moat__get_arr(c, acls, name, &list) <= 0) {
        if (*b != BASIS_UNKNOWN && *b != BASIS_EXPLICIT)
            *b = BASIS_DEFAULT;
        return;
    }
    if (*b != BASIS_UNKNOWN)
        *b = BASIS_EXPLICIT;
    size_t mark = moat__rctx_push_key(c, list);
    size_t i = 0;
    for (const json_value *e = list->child; e; e = e->next, i++) {
        size_t m2 = moat__rctx_push_index(c, i);
        if (i >= limit) {
            const json_value *v = e; /* for the message only */
            if (e->type == JSON_OBJECT &&
                (v = moat__json_get(e, "value")) == NULL)
                v = moat__json_get(e, "id");
            reject(c, r, e, name, (uint16_t)i,
                   v && v->type == JSON_STRING ? v->str : "", REJ_LIMIT,
                   "rule %zu of %u; Azure allows at most %zu", i + 1, list->len,
                   limit);
        } else if (one(c, r, e, (uint16_t)i, kind)) {
            *b = BASIS_UNKNOWN;
        }
        moat__rctx_pop(c, m2);
    }
    moat__rctx_pop(c, mark);
}

static int read_ip_rule(rctx *c, raw_res *r, const json_value *e, uint16_t i,
                        int kind)
{
    const json_value *v = element_text(c, e, "value", "ipAddressOrRange");
    if (moat__is_expression(v))
        return 1;
    const char *text;
    size_t n = v ? clean_value(c, v, &text) : 0;
    int action = n ? check_action(c, e) : 0;
    if (action == UNKNOWN_VALUE)
        return 1;
    moat_cidr cidr;
    if (!action ||
        !validate_ip(c, r, v, text, n, (ip_family_rule)kind, i, &cidr))
        return 0;
    ip_rule *ir = kind == IPR_STORAGE_V6 ? VEC_PUSH(c->ld, r->ip6)
                                         : VEC_PUSH(c->ld, r->ip4);
    if (ir) {
        ir->text = moat__dupn(c->ld, text, n);
        ir->cidr = cidr;
        ir->index = i;
    }
    return 0;
}

static int read_vnet_rule(rctx *c, raw_res *r, const json_value *e, uint16_t i,
                          int kind)
{
    (void)kind;
    const json_value *v = element_text(c, e, "id", "virtualNetworkResourceId");
    if (moat__is_expression(v))
        return 1;
    const char *text;
    size_t n = v ? clean_value(c, v, &text) : 0;
    int action = n ? check_action(c, e) : 0;
    if (action == UNKNOWN_VALUE)
        return 1;
    if (!action)
        return 0;
    int state = VNET_ABSENT;
    if (e->type == JSON_OBJECT) {
        int rc = read_enum(c, e, "state", vnet_state_names,
                           MOAT_ARRAY_LEN(vnet_state_names), &state, NULL);
        if (rc < 0)
            state = VNET_FAILED; /* unknown state: the rule does not admit */
        else if (rc == UNKNOWN_VALUE)
            state = VNET_UNKNOWN;
    }
    vnet_rule *vr = VEC_PUSH(c->ld, r->vnets);
    if (vr) {
        vr->id = moat__dupn(c->ld, text, n);
        vr->hash = moat__hash_ci(text, n);
        vr->state = (vnet_state)state;
        vr->index = i;
    }
    return 0;
}

static int read_rar(rctx *c, raw_res *r, const json_value *e, uint16_t i,
                    int kind)
{
    (void)kind;
    const json_value *tid = NULL, *rid = NULL;
    if (e->type != JSON_OBJECT) {
        moat__diag(c, MOAT_SEV_ERROR, MOAT_E_INVAL, e,
                   "expected an object with tenantId and resourceId, found %s",
                   moat__json_type_name(e->type));
        return 0;
    }
    if (moat__get_setting(c, e, "tenantId", &tid) == 0) {
        moat__invalid(c, e, "rule has no \"tenantId\"");
        return 0;
    }
    if (moat__get_setting(c, e, "resourceId", &rid) == 0) {
        moat__invalid(c, e, "rule has no \"resourceId\"");
        return 0;
    }
    moat_segments seg;
    if (tid == NULL || rid == NULL)
        return 0;
    if (moat__is_expression(tid) || moat__is_expression(rid))
        return 1;
    if (rid->len == 0 || rid->str[0] != '/' ||
        moat__segments_split(rid->str, rid->len, &seg) != 0) {
        reject(c, r, rid, "resourceAccessRules", i, rid->str, REJ_SYNTAX,
               "\"%s\" is not an ARM resource id", rid->str);
        return 0;
    }
    raw_rar *rr = VEC_PUSH(c->ld, r->rars);
    if (rr) {
        rr->tenant_text = moat__dup(c, tid);
        rr->resource_id = moat__dup(c, rid);
        rr->seg = seg;
        rr->index = i;
    }
    return 0;
}

/* The words of a bypass setting. */
typedef struct bypass_words {
    const char *w[16];
    size_t len[16];
    size_t n;
    int too_many;
} bypass_words;

static void add_word(bypass_words *out, const char *w, size_t len)
{
    if (out->n == MOAT_ARRAY_LEN(out->w)) {
        out->too_many = 1;
        return;
    }
    out->w[out->n] = w;
    out->len[out->n++] = len;
}

/* "Logging, Metrics": comma-separated, blanks trimmed. */
static void split_words(const json_value *v, bypass_words *out)
{
    const char *s = v->str, *end = v->str + v->len;
    for (;;) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *a = s, *b = comma ? comma : end;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        add_word(out, a, (size_t)(b - a));
        if (!comma)
            return;
        s = comma + 1;
    }
}

/* ["Logging", "Metrics"]: 0, or -1 when an element is unknown (r is then
** left with no exception) or not a string (an error). */
static int array_words(rctx *c, raw_res *r, const json_value *v,
                       bypass_words *out)
{
    for (const json_value *e = v->child; e; e = e->next) {
        if (moat__is_expression(e)) {
            r->bypass_basis = BASIS_UNKNOWN;
            r->bypass = 0;
            return -1;
        }
        if (e->type != JSON_STRING) {
            moat__diag(c, MOAT_SEV_ERROR, MOAT_E_INVAL, v,
                       "expected an array of strings");
            return -1;
        }
        add_word(out, e->str, e->len);
    }
    return 0;
}

/* r's exceptions from the words; a word Azure refuses, or None with
** others, is refused (moat__invalid) and grants nothing. */
static void apply_words(rctx *c, raw_res *r, const json_value *v,
                        const bypass_words *w)
{
    int has_none = 0;
    for (size_t i = 0; i < w->n; i++) {
        int bit = -1;
        for (size_t k = 0; k < MOAT_ARRAY_LEN(bypass_names); k++) {
            if (moat__eq_ci(bypass_names[k].name, strlen(bypass_names[k].name),
                            w->w[i], w->len[i]))
                bit = bypass_names[k].value;
        }
        if (bit < 0 || (r->kind == RES_KEYVAULT &&
                        (bit == BYPASS_LOGGING || bit == BYPASS_METRICS))) {
            moat__invalid(
                c, v, "\"%.*s\" is not a valid bypass: expected %s",
                (int)w->len[i], w->w[i],
                r->kind == RES_KEYVAULT
                    ? "AzureServices or None"
                    : "None, or any of Logging, Metrics, AzureServices");
            continue;
        }
        if (bit == 0)
            has_none = 1;
        r->bypass |= (uint8_t)bit;
    }
    if (has_none && r->bypass) {
        moat__invalid(c, v,
                      "\"None\" cannot be combined with other bypass values");
        r->bypass = 0;
    }
}

/* Storage bypass: "Logging, Metrics", "None", or ["Metrics", ...]. Key
** Vault takes AzureServices or None only. */
static void read_bypass(rctx *c, raw_res *r, const json_value *acls)
{
    const json_value *v = moat__setting(c, acls, "bypass", NULL);
    r->bypass = BYPASS_AZURE_SERVICES;
    r->bypass_basis = BASIS_DEFAULT;
    if (moat__json_is_null(v))
        return;
    r->bypass_basis = BASIS_EXPLICIT;
    r->bypass = 0;
    if (moat__is_expression(v)) {
        r->bypass_basis = BASIS_UNKNOWN; /* no exception: fail closed */
        return;
    }
    if (v->type != JSON_STRING && v->type != JSON_ARRAY) {
        moat__diag(
            c, MOAT_SEV_ERROR, MOAT_E_INVAL, v,
            "expected a string such as \"Logging, Metrics\" or an array of words, found %s",
            moat__json_type_name(v->type));
        return;
    }
    bypass_words w;
    w.n = 0;
    w.too_many = 0;
    if (v->type == JSON_STRING)
        split_words(v, &w);
    else if (array_words(c, r, v, &w) < 0)
        return;
    if (w.too_many) {
        moat__invalid(c, v, "too many bypass words");
        return;
    }
    apply_words(c, r, v, &w);
}

/* The whole firewall unknown (an expression, or under --lenient a value of
** the wrong type): it decides as Deny with no rule and no exception. */
static void acls_unknown(raw_res *r)
{
    r->acl_basis = r->default_basis = r->bypass_basis = BASIS_UNKNOWN;
    r->ip_basis = r->vnet_basis = r->rar_basis = BASIS_UNKNOWN;
    r->default_allow = 0;
    r->bypass = 0;
}

static void read_acls(rctx *c, raw_res *r, const json_value *props)
{
    r->acl_basis = BASIS_DEFAULT;
    r->default_allow = 1;
    r->default_basis = BASIS_DEFAULT;
    r->bypass = BYPASS_AZURE_SERVICES;
    r->bypass_basis = BASIS_DEFAULT;
    r->ip_basis = r->vnet_basis = r->rar_basis = BASIS_DEFAULT;
    const json_value *acls =
        moat__setting(c, props, "networkAcls", "networkRuleSet");
    if (moat__json_is_null(acls))
        return;
    if (moat__is_expression(acls)) {
        acls_unknown(r);
        return;
    }
    if (acls->type != JSON_OBJECT) {
        moat__invalid(c, acls, "expected an object, found %s",
                      moat__json_type_name(acls->type));
        acls_unknown(r);
        return;
    }
    r->acl_basis = BASIS_EXPLICIT;
    size_t mark = moat__rctx_push_key(c, acls);
    int allow = 1;
    int rc = read_enum(c, acls, "defaultAction", action_names, 2, &allow, NULL);
    if (rc == 1) {
        r->default_allow = (uint8_t)allow;
        r->default_basis = BASIS_EXPLICIT;
    } else if (rc == UNKNOWN_VALUE) {
        r->default_allow = 0; /* fail closed */
        r->default_basis = BASIS_UNKNOWN;
    } else if (rc < 0) {
        r->default_allow = 0; /* fail closed */
        r->default_basis = BASIS_EXPLICIT;
    }
    read_bypass(c, r, acls);
    if (r->kind == RES_STORAGE) {
        each_rule(c, r, acls, "ipRules", STORAGE_MAX_IP, read_ip_rule,
                  IPR_STORAGE_V4, &r->ip_basis);
        each_rule(c, r, acls, "ipv6Rules", STORAGE_MAX_IP6, read_ip_rule,
                  IPR_STORAGE_V6, &r->ip_basis);
    } else {
        each_rule(c, r, acls, "ipRules", VAULT_MAX_IP, read_ip_rule, IPR_VAULT,
                  &r->ip_basis);
        const json_value *v6 = moat__json_get(acls, "ipv6Rules");
        /* Not a Key Vault property: ignored like any unknown one, but said
        ** aloud, since whoever wrote it expected it to admit something. */
        if (v6 && v6->type == JSON_ARRAY && v6->len > 0)
            moat__diag(
                c, MOAT_SEV_WARNING, MOAT_E_INVAL, v6,
                "ipv6Rules is not a Key Vault setting (vaults take IPv4 rules only); ignored");
    }
    each_rule(c, r, acls, "virtualNetworkRules",
              r->kind == RES_KEYVAULT ? VAULT_MAX_VNET : STORAGE_MAX_VNET,
              read_vnet_rule, 0, &r->vnet_basis);
    if (r->kind == RES_STORAGE) {
        each_rule(c, r, acls, "resourceAccessRules", STORAGE_MAX_RAR, read_rar,
                  0, &r->rar_basis);
    } else if (moat__json_get(acls, "resourceAccessRules")) {
        moat__diag(
            c, MOAT_SEV_WARNING, MOAT_E_INVAL,
            moat__json_get(acls, "resourceAccessRules"),
            "resource access rules are not a Key Vault setting; ignored");
    }
    moat__rctx_pop(c, mark);
}

/*--------------------------------------------------------------------------
** Private endpoint connections.
*/

/* One connection object (ARM nesting or `az show`'s flattened form); props
** is where its settings are, NULL to find them in e. Fills pe and returns 1;
** 0 after an error (not an object), or when out of memory. */
static int read_connection(rctx *c, const json_value *e,
                           const json_value *props, pe_conn *pe)
{
    if (e->type != JSON_OBJECT) {
        moat__diag(c, MOAT_SEV_ERROR, MOAT_E_INVAL, e,
                   "expected a private endpoint connection object, found %s",
                   moat__json_type_name(e->type));
        return 0;
    }
    props_mark saved = {c->props, c->beside, c->beside_len, c->path_len};
    if (props == NULL)
        props = moat__props_enter(c, e, &saved);
    int ok = 0;
    const json_value *ep, *pid = NULL, *state;
    if (moat__get_obj(c, props, "privateEndpoint", &ep) > 0) {
        size_t m2 = moat__rctx_push_key(c, ep);
        moat__get_str(c, ep, "id", &pid);
        moat__rctx_pop(c, m2);
    }
    const char *text = "";
    size_t n = pid && pid->len ? clean_value(c, pid, &text) : 0;
    /* Azure shows approved connections without their endpoint's id (REST
    ** example updateVault): still a connection, whose status counts, though
    ** no request can name its endpoint. */
    if (n == 0)
        moat__diag(
            c, MOAT_SEV_WARNING, MOAT_E_INVAL, e,
            "connection has no privateEndpoint.id: its status counts, but no request can be matched to its endpoint");
    int status = PE_UNKNOWN;
    const char *status_text = "unknown";
    if (moat__get_obj(c, props, "privateLinkServiceConnectionState", &state) >
        0) {
        size_t m2 = moat__rctx_push_key(c, state);
        const json_value *st;
        if (read_enum(c, state, "status", pe_status_names,
                      MOAT_ARRAY_LEN(pe_status_names), &status, &st) == 1)
            status_text = pe_status_names[status].name;
        else
            status = PE_UNKNOWN;
        moat__rctx_pop(c, m2);
    }
    pe->pe_id = moat__dupn(c->ld, text, n);
    pe->hash = moat__hash_ci(text, n);
    pe->status = (pe_status)status;
    pe->status_text = status_text;
    const json_value *cid = moat__json_get(e, "id"); /* a label */
    if (cid == NULL || cid->type != JSON_STRING || cid->len == 0)
        cid = moat__json_get(e, "name");
    pe->name = (cid && cid->type == JSON_STRING && cid->len) ? moat__dup(c, cid)
               : n                                           ? pe->pe_id
                   : "a connection without an endpoint id";
    ok = pe->pe_id != NULL;
    moat__props_leave(c, &saved);
    return ok;
}

static void read_connections(rctx *c, raw_res *r, const json_value *props)
{
    const json_value *list =
        moat__setting(c, props, "privateEndpointConnections", NULL);
    r->pe_basis = BASIS_DEFAULT;
    if (moat__is_expression(list)) {
        r->pe_basis = BASIS_UNKNOWN;
        return;
    }
    if (moat__get_arr(c, props, "privateEndpointConnections", &list) <= 0)
        return;
    r->pe_basis = BASIS_EXPLICIT;
    size_t mark = moat__rctx_push_key(c, list);
    size_t i = 0;
    for (const json_value *e = list->child; e; e = e->next, i++) {
        size_t m2 = moat__rctx_push_index(c, i);
        pe_conn pe;
        memset(&pe, 0, sizeof pe);
        if (read_connection(c, e, NULL, &pe)) {
            pe_conn *slot = VEC_PUSH(c->ld, r->pes);
            if (slot) {
                *slot = pe;
                slot->index = (uint16_t)i;
            }
        }
        moat__rctx_pop(c, m2);
    }
    moat__rctx_pop(c, mark);
}

void moat__read_pe_child(rctx *c, const json_value *res,
                         const json_value *props)
{
    const json_value *id;
    if (moat__get_str(c, res, "id", &id) <= 0) {
        moat__diag(
            c, MOAT_SEV_WARNING, MOAT_E_INVAL, NULL,
            "private endpoint connection without an id: its resource is unknown; ignored");
        return;
    }
    size_t plen =
        moat__arm_parent_len(id->str, id->len, "privateEndpointConnections");
    pe_conn pe;
    memset(&pe, 0, sizeof pe);
    if (plen == 0 || !read_connection(c, res, props, &pe))
        return;
    raw_pe_child *ch = moat__arena_zalloc(&c->ld->arena, sizeof *ch);
    if (ch == NULL) {
        moat__oom(c->ld);
        return;
    }
    ch->target_id = moat__dupn(c->ld, id->str, plen);
    ch->conn = pe;
    ch->conn.index = MOAT_RULE_NONE;
    ch->loc = moat__loc(c, NULL);
    APPEND(c->ld, pe_children, ch);
}

/* One private link service connection e of private endpoint id: the
** resource it reaches and its approval state, as a connection of that
** resource. Without a target it adds nothing; out of memory it marks the
** loader (moat__oom). */
static void read_link_connection(rctx *c, const json_value *id,
                                 const json_value *e)
{
    props_mark saved;
    const json_value *p = moat__props_enter(c, e, &saved);
    const json_value *target, *state;
    int status = PE_UNKNOWN;
    const char *status_text = "unknown";
    if (moat__get_obj(c, p, "privateLinkServiceConnectionState", &state) > 0 &&
        read_enum(c, state, "status", pe_status_names,
                  MOAT_ARRAY_LEN(pe_status_names), &status, NULL) == 1)
        status_text = pe_status_names[status].name;
    else
        status = PE_UNKNOWN;
    raw_pe_child *ch = NULL;
    if (moat__get_str(c, p, "privateLinkServiceId", &target) > 0 &&
        target->len &&
        (ch = moat__arena_zalloc(&c->ld->arena, sizeof *ch)) == NULL)
        moat__oom(c->ld);
    if (ch) {
        ch->target_id = moat__dup(c, target);
        ch->conn.pe_id = moat__dup(c, id);
        ch->conn.name = ch->conn.pe_id;
        ch->conn.hash = moat__hash_ci(id->str, id->len);
        ch->conn.status = (pe_status)status;
        ch->conn.status_text = status_text;
        ch->conn.index = MOAT_RULE_NONE;
        ch->conn.from_endpoint = 1;
        ch->loc = moat__loc(c, e);
        APPEND(c->ld, pe_children, ch);
    }
    moat__props_leave(c, &saved);
}

/* Where the endpoint sits: properties.subnet.id. */
static void read_pe_site(rctx *c, const json_value *id, const json_value *props)
{
    const json_value *subnet, *subnet_id = NULL;
    if (moat__get_obj(c, props, "subnet", &subnet) > 0) {
        size_t mark = moat__rctx_push_key(c, subnet);
        moat__get_str(c, subnet, "id", &subnet_id);
        moat__rctx_pop(c, mark);
    }
    if (subnet_id == NULL || subnet_id->len == 0 ||
        moat__is_expression(subnet_id))
        return;
    raw_pe_site *site = moat__arena_zalloc(&c->ld->arena, sizeof *site);
    if (site == NULL) {
        moat__oom(c->ld);
        return;
    }
    site->pe_id = moat__dup(c, id);
    site->subnet_id = moat__dup(c, subnet_id);
    APPEND(c->ld, pe_sites, site);
}

/* Microsoft.Network/privateEndpoints: each (manual) private link service
** connection names the resource it reaches and its approval state. */
void moat__read_private_endpoint(rctx *c, const json_value *res,
                                 const json_value *props)
{
    const json_value *id;
    if (moat__get_str(c, res, "id", &id) <= 0 || id->len == 0)
        return;
    read_pe_site(c, id, props);
    static const char *const lists[] = {"privateLinkServiceConnections",
                                        "manualPrivateLinkServiceConnections"};
    for (size_t l = 0; l < MOAT_ARRAY_LEN(lists) && !c->ld->oom; l++) {
        const json_value *list;
        if (moat__get_arr(c, props, lists[l], &list) <= 0)
            continue;
        size_t mark = moat__rctx_push_key(c, list);
        size_t i = 0;
        for (const json_value *e = list->child; e; e = e->next, i++) {
            size_t m2 = moat__rctx_push_index(c, i);
            read_link_connection(c, id, e);
            moat__rctx_pop(c, m2);
        }
        moat__rctx_pop(c, mark);
    }
}

/*--------------------------------------------------------------------------
** The account or vault itself.
*/
void moat__read_account(rctx *c, const json_value *res, const json_value *props,
                        res_kind kind)
{
    moat_loader *ld = c->ld;
    raw_res *r = moat__arena_zalloc(&ld->arena, sizeof *r);
    if (r == NULL) {
        moat__oom(ld);
        return;
    }
    r->kind = kind;
    const json_value *id, *name, *loc;
    int has_id = moat__get_str(c, res, "id", &id) > 0 && id->len > 0;
    int has_name = moat__get_str(c, res, "name", &name) > 0 && name->len > 0;
    if (!has_id && !has_name) {
        moat__diag(c, MOAT_SEV_ERROR, MOAT_E_INVAL, NULL,
                   "%s without \"id\" or \"name\"",
                   kind == RES_STORAGE ? "storage account" : "key vault");
        return;
    }
    /* A template's resources have no id: name them by type and name. */
    if (has_id) {
        r->id = moat__dup(c, id);
        r->synthetic_id = c->synthetic_id;
    } else {
        r->id = moat__arena_printf(&ld->arena, "%s/%s",
                                   kind == RES_STORAGE
                                       ? "Microsoft.Storage/storageAccounts"
                                       : "Microsoft.KeyVault/vaults",
                                   name->str);
        r->synthetic_id = 1;
    }
    r->name = has_name ? moat__dup(c, name) : last_segment(r->id);
    r->origin = c->origin ? c->origin : "arm";
    r->address = c->address;
    r->location_basis = BASIS_EXPLICIT;
    if (moat__get_str(c, res, "location", &loc) > 0 && loc->len &&
        !moat__is_expression(loc)) {
        r->location = moat__dup(c, loc);
    } else if (loc && moat__is_expression(loc)) {
        r->location_basis = BASIS_UNKNOWN;
    } else {
        r->location_basis = BASIS_UNKNOWN;
        moat__diag(
            c, MOAT_SEV_WARNING, MOAT_E_INVAL, NULL,
            "no \"location\": same-region rules cannot apply to this resource");
    }
    r->loc = moat__loc(c, NULL);

    /* Tenant: a vault carries it; a storage account inherits it from its
    ** subscription (compile.c), or a Resource Graph row states it. */
    const json_value *tid = NULL;
    if (kind == RES_KEYVAULT) {
        if (moat__get_setting(c, props, "tenantId", &tid) > 0 && tid->len &&
            !moat__is_expression(tid)) {
            r->tenant = moat__dup(c, tid);
            r->tenant_source = "properties.tenantId";
        }
    } else if (moat__get_str(c, res, "tenantId", &tid) > 0 && tid->len) {
        r->tenant = moat__dup(c, tid);
        r->tenant_source = "tenantId";
    }

    int pna = PNA_ENABLED;
    const json_value *pna_at;
    int rc = read_enum(c, props, "publicNetworkAccess", pna_names,
                       MOAT_ARRAY_LEN(pna_names), &pna, &pna_at);
    r->pna_basis = rc == 0               ? BASIS_DEFAULT
                   : rc == UNKNOWN_VALUE ? BASIS_UNKNOWN
                                         : BASIS_EXPLICIT;
    if (rc < 0 || rc == UNKNOWN_VALUE)
        pna = PNA_DISABLED; /* fail closed */
    r->pna = (pna_mode)pna;
    r->pna_text = pna_names[pna].name;

    read_acls(c, r, props);
    read_connections(c, r, props);
    APPEND(ld, res, r);
}
