/*
** log_nsp.c - network security perimeter access logs (NSPAccessLogs): the
** pieces of a perimeter record that the other access logs do not have,
** and a decision put in the terms such a record uses.
**
** A perimeter writes one record per evaluation (aggregated: `count`
** events), in a category that is its verdict and the path that decided
** ("Diagnostic logs for Network Security Perimeter", Azure Private Link
** documentation; the NSPAccessLogs table of Azure Monitor's reference):
**
**   NspPublicInboundPerimeterRulesAllowed   an inbound access rule admitted
**   NspPublicInboundPerimeterRulesDenied    none did (Enforced)
**   NspPublicInboundResourceRulesAllowed    none did, the resource's own
**   NspPublicInboundResourceRulesDenied       rules decided (Learning)
**   NspIntraPerimeterInboundAllowed         a caller of the same perimeter
**   NspCrossPerimeterInboundAllowed         a caller of a linked perimeter
**   NspPrivateInboundAllowed                a private endpoint
**
** and the outbound ones (NspPublicOutbound*, NspCrossPerimeterOutbound*,
** NspOutboundAttempt), which are the resource's own calls, not requests to
** it. These names are decision.md's Nsp* categories.
*/
#include "log.h"

#include <string.h>

static const struct {
    const char *name;
    moat_category category; /* MOAT_CAT_NONE: outbound */
} nsp_categories[] = {
    {"NspPublicInboundPerimeterRulesAllowed",
     MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_ALLOWED},
    {"NspPublicInboundPerimeterRulesDenied",
     MOAT_CAT_NSP_PUBLIC_INBOUND_PERIMETER_RULES_DENIED},
    {"NspPublicInboundResourceRulesAllowed",
     MOAT_CAT_NSP_PUBLIC_INBOUND_RESOURCE_RULES_ALLOWED},
    {"NspPublicInboundResourceRulesDenied",
     MOAT_CAT_NSP_PUBLIC_INBOUND_RESOURCE_RULES_DENIED},
    {"NspIntraPerimeterInboundAllowed",
     MOAT_CAT_NSP_INTRA_PERIMETER_INBOUND_ALLOWED},
    {"NspCrossPerimeterInboundAllowed",
     MOAT_CAT_NSP_CROSS_PERIMETER_INBOUND_ALLOWED},
    {"NspPrivateInboundAllowed", MOAT_CAT_NSP_PRIVATE_INBOUND_ALLOWED},
    {"NspPublicOutboundPerimeterRulesAllowed", MOAT_CAT_NONE},
    {"NspPublicOutboundPerimeterRulesDenied", MOAT_CAT_NONE},
    {"NspPublicOutboundResourceRulesAllowed", MOAT_CAT_NONE},
    {"NspPublicOutboundResourceRulesDenied", MOAT_CAT_NONE},
    {"NspCrossPerimeterOutboundAllowed", MOAT_CAT_NONE},
    {"NspOutboundAttempt", MOAT_CAT_NONE},
};

int moat__nsp_category(moat_text t, moat_category *out, const char **name)
{
    for (size_t i = 0; i < MOAT_ARRAY_LEN(nsp_categories); i++) {
        const char *n = nsp_categories[i].name;
        if (moat__eq_ci(t.p, t.n, n, strlen(n))) {
            *out = nsp_categories[i].category;
            *name = n;
            return nsp_categories[i].category == MOAT_CAT_NONE ? 0 : 1;
        }
    }
    return -1;
}

int moat__nsp_record(const log_fields *f)
{
    moat_text c = f->v[LF_CATEGORY];
    return f->v[LF_SERVICE_RESOURCE].p != NULL ||
           (c.n > 3 && moat__eq_ci(c.p, 3, "Nsp", 3));
}

/* A JSON string's body at p (just past its opening quote) up to end:
** the span before the closing quote (escapes are not decoded: rule names
** hold none). */
static moat_text json_string_at(const char *p, const char *end)
{
    moat_text t = {p, 0};
    const char *q = p;
    while (q < end && *q != '"') {
        if (*q == '\\' && q + 1 < end)
            q++;
        q++;
    }
    if (q < end)
        t.n = (size_t)(q - p);
    return t;
}

moat_text moat__nsp_rule_name(moat_text raw)
{
    /* The diagnostic export gives matchedRule.accessRule itself; the
    ** NSPAccessLogs table a "JSON property bag", {"accessRule": "name"}. */
    while (raw.n && (raw.p[0] == ' ' || raw.p[0] == '\t'))
        raw.p++, raw.n--;
    if (raw.n == 0 || raw.p[0] != '{')
        return raw;
    static const char key[] = "\"accessRule\"";
    const char *end = raw.p + raw.n;
    for (const char *p = raw.p; p + sizeof key - 1 <= end; p++) {
        if (memcmp(p, key, sizeof key - 1) != 0)
            continue;
        p += sizeof key - 1;
        while (p < end && (*p == ' ' || *p == ':' || *p == '\t'))
            p++;
        if (p < end && *p == '"')
            return json_string_at(p + 1, end);
        break;
    }
    moat_text none = {NULL, 0};
    return none;
}

static int is_guid_at(const char *p, const char *end)
{
    if (end - p < 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? p[i] != '-' : moat__hex_digit(p[i]) < 0)
            return 0;
    }
    return 1;
}

moat_text moat__nsp_first_guid(moat_text list)
{
    /* ["<guid>", ...] in the diagnostic export; the table's string column
    ** holds the same list as text. */
    const char *end = list.p ? list.p + list.n : NULL;
    for (const char *p = list.p; p && p < end; p++) {
        if (is_guid_at(p, end) && (p == list.p || moat__hex_digit(p[-1]) < 0)) {
            moat_text t = {p, 36};
            return t;
        }
    }
    moat_text none = {NULL, 0};
    return none;
}

moat_text moat__nsp_subscription(moat_text id)
{
    static const char seg[] = "/subscriptions/";
    size_t k = sizeof seg - 1;
    moat_text t = {NULL, 0};
    if (id.n > k + 36 && moat__eq_ci(id.p, k, seg, k) &&
        is_guid_at(id.p + k, id.p + id.n)) {
        t.p = id.p + k;
        t.n = 36;
    }
    return t;
}

moat_text moat__nsp_protocol(moat_text t)
{
    /* {AppProtocol}:{TransportProtocol}, "HTTPS:TCP"; or "https". */
    const char *colon = t.p ? memchr(t.p, ':', t.n) : NULL;
    if (colon)
        t.n = (size_t)(colon - t.p);
    return t;
}

void moat_decision_nsp_terms(const moat_request *q, const moat_decision *d,
                             const char **category, const char **rule_name)
{
    *category = "";
    *rule_name = "";
    if (q == NULL || d == NULL || q->res == NULL)
        return;
    const assoc *a = q->res->assoc;
    moat_category cat = d->category;
    uint32_t rule = d->rule_;
    /* Audit logs what Enforced would decide without enforcing it. */
    if (a && a->mode == MODE_AUDIT && d->has_enforced_would) {
        cat = d->enforced_category_;
        rule = d->enforced_rule_;
    }
    *category = moat_category_name(cat);
    if (a && a->profile && MOAT_RULE_KIND(rule) == RK_NSP_RULE &&
        MOAT_RULE_INDEX(rule) < a->profile->n_rules)
        *rule_name = a->profile->rules[MOAT_RULE_INDEX(rule)].name;
}
