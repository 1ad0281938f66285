/*
** failure.c - the layer a real failure names, read from the text a
** developer has: Storage's XML error (<Error><Code>AuthorizationFailure
** </Code><Message>...</Message></Error>, and its x-ms-error-code header),
** Key Vault's JSON error ({"error":{"code":"Forbidden","message":"...",
** "innererror":{"code":"ForbiddenByFirewall"}}}), the renderings of them
** by the Azure CLI ("Inner error: {"), Go's autorest (Terraform:
** Status=403 Code="Forbidden" Message="..." InnerError={"code":...}) and
** the SDKs, and access-log records of every format replay reads (their
** status texts, Key Vault's resultDescription, a perimeter's category).
**
** The text is searched, not parsed: each of those shapes holds the same
** codes and message lines, and a body pasted from a terminal is seldom
** whole. Sources of the codes: Storage's "Common REST API error codes" and
** "Blob Storage error codes" (AuthorizationFailure for the firewall,
** AuthorizationPermissionMismatch for a missing role, the SAS and key
** codes); Key Vault's "Common error codes" and the 403 bodies its service
** returns (ForbiddenByFirewall, ForbiddenByConnection, ForbiddenByRbac,
** AccessDenied), with their message lines (Client address, Caller, Vault),
** which public issue reports show verbatim (tests/explain/ cites them).
*/
#include "failure.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct span {
    const char *p;
    size_t n;
} span;

/* needle in [p, p + n), ignoring case; NULL when absent. */
static const char *find(const char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k && i + k <= n; i++) {
        if (strncasecmp(p + i, needle, k) == 0)
            return p + i;
    }
    return NULL;
}

/* The value after marker, up to the first byte in stop (or a line end,
** or an escaped one "\r"), copied into out. 0 when the marker is found. */
static int value_after(span t, const char *marker, const char *stop, char *out,
                       size_t cap)
{
    const char *m = find(t.p, t.n, marker);
    if (m == NULL || cap == 0)
        return -1;
    const char *v = m + strlen(marker), *end = t.p + t.n;
    while (v < end && (*v == ' ' || *v == '"'))
        v++;
    size_t k = 0;
    while (v + k < end && k + 1 < cap && !strchr(stop, v[k]) &&
           v[k] != '\r' && v[k] != '\n' && v[k] != '\\')
        k++;
    memcpy(out, v, k);
    out[k] = '\0';
    while (k && out[k - 1] == ' ')
        out[--k] = '\0';
    return k ? 0 : -1;
}

/* The HTTP status the text gives, in any of its renderings: three digits
** from 100 to 599 (RFC 9110 section 15); "statusCode": 806 is no status. */
static int status_of(span t)
{
    static const char *const markers[] = {
        "HTTP/1.1 ", "HTTP/2 ", "HTTP/1.0 ", "StatusCode=", "Status=",
        "Status: ", "\"statusCode\":", "\"StatusCode\":", "\"httpStatusCode\":",
        "\"status\":"};
    for (size_t i = 0; i < sizeof markers / sizeof *markers; i++) {
        char v[8];
        if (value_after(t, markers[i], " \",;}()", v, sizeof v) == 0 &&
            isdigit((unsigned char)v[0]) && isdigit((unsigned char)v[1]) &&
            isdigit((unsigned char)v[2]) && v[3] == '\0' && v[0] >= '1' &&
            v[0] <= '5')
            return (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
    }
    return 0;
}

/* The codes and sentences that name a layer, most specific first (Key
** Vault's perimeter refusal carries ForbiddenByFirewall as its code). */
static const struct {
    const char *text;
    char service;
    failure_layer layer;
} signs[] = {
    {"not allowed by NSP rules", 'k', FL_PERIMETER},
    {"NspPublicInboundPerimeterRulesDenied", 0, FL_PERIMETER},
    {"NspPublicInboundResourceRulesDenied", 0, FL_FIREWALL},
    {"ForbiddenByConnection", 'k', FL_PRIVATE_LINK},
    {"This TCP connection does not allow access", 'k', FL_PRIVATE_LINK},
    {"Public network access is disabled", 'k', FL_PRIVATE_LINK},
    {"Connection is not an approved private link", 'k', FL_PRIVATE_LINK},
    {"ForbiddenByFirewall", 'k', FL_FIREWALL},
    {"Client address is not authorized", 'k', FL_FIREWALL},
    {"ForbiddenByRbac", 'k', FL_ROLE},
    {"ForbiddenByPolicy", 'k', FL_ROLE},
    {"AuthorizationPermissionMismatch", 's', FL_ROLE},
    {"AuthorizationSourceIPMismatch", 's', FL_SAS},
    {"AuthorizationProtocolMismatch", 's', FL_SAS},
    {"AuthorizationResourceTypeMismatch", 's', FL_SAS},
    {"AuthorizationServiceMismatch", 's', FL_SAS},
    {"InsufficientAccountPermissions", 's', FL_SAS},
    {"KeyBasedAuthenticationNotPermitted", 's', FL_KEY},
    {"PublicAccessNotPermitted", 's', FL_ANONYMOUS},
    {"NoAuthenticationInformation", 's', FL_ANONYMOUS},
    {"InvalidAuthenticationInfo", 's', FL_TOKEN},
    {"IpAuthorizationError", 's', FL_NETWORK},
    {"AuthorizationFailure", 's', FL_NETWORK},
    {"AuthenticationFailed", 's', FL_KEY},
    {"\"AccessDenied\"", 'k', FL_ROLE},
    {"NspPublicInboundPerimeterRulesAllowed", 0, FL_ALLOWED},
    {"NspPublicInboundResourceRulesAllowed", 0, FL_ALLOWED},
    {"NspIntraPerimeterInboundAllowed", 0, FL_ALLOWED},
    {"NspCrossPerimeterInboundAllowed", 0, FL_ALLOWED},
    {"NspPrivateInboundAllowed", 0, FL_ALLOWED},
};

static void classify(span t, failure *f)
{
    for (size_t i = 0; i < sizeof signs / sizeof *signs; i++) {
        const char *at = find(t.p, t.n, signs[i].text);
        if (at == NULL)
            continue;
        f->layer = signs[i].layer;
        f->why = signs[i].text;
        if (signs[i].service)
            f->service = signs[i].service;
        break;
    }
    /* AuthenticationFailed: a SAS whose signature, times or fields are
    ** wrong, or a Shared Key signature ("The MAC signature ..."). */
    if (f->layer == FL_KEY && strcmp(f->why, "AuthenticationFailed") == 0 &&
        (find(t.p, t.n, "Signature fields") || find(t.p, t.n, "sig=") ||
         find(t.p, t.n, "specified time frame") ||
         find(t.p, t.n, "Signed expiry")))
        f->layer = FL_SAS;
    /* A log record whose status says the request succeeded. */
    if (f->layer == FL_UNKNOWN && f->status >= 200 && f->status < 400)
        f->layer = FL_ALLOWED;
}

/* Key Vault's codes: the outer one ("code":"Forbidden", Code="Forbidden")
** and the inner one (innererror, InnerError=, Inner error:). */
static void codes_of(span t, failure *f)
{
    const char *inner = find(t.p, t.n, "innererror");
    if (inner == NULL)
        inner = find(t.p, t.n, "Inner error");
    if (inner) {
        span rest = {inner, (size_t)(t.p + t.n - inner)};
        char v[64];
        if (value_after(rest, "\"code\":", "\",} ", v, sizeof v) == 0)
            snprintf(f->inner, sizeof f->inner, "%s", v);
    }
    if (value_after(t, "<Code>", "<", f->code, sizeof f->code) == 0 ||
        value_after(t, "x-ms-error-code:", " ", f->code, sizeof f->code) == 0)
        f->service = 's';
    else if (value_after(t, "{\"error\":{\"code\":\"", "\"", f->code,
                         sizeof f->code) == 0 ||
             value_after(t, "Code=\"", "\"", f->code, sizeof f->code) == 0)
        f->service = f->service ? f->service : 'k';
    else if (f->why)
        snprintf(f->code, sizeof f->code, "%s", f->why);
}

static void message_of(span t, failure *f)
{
    static const char *const markers[] = {"<Message>", "\"message\":\"",
                                          "Message=\"", "(Forbidden) "};
    for (size_t i = 0; i < sizeof markers / sizeof *markers; i++) {
        if (value_after(t, markers[i], "<\"", f->message, sizeof f->message) ==
            0)
            return;
    }
}

/* The address Azure saw: Key Vault's "Client address:" line and its
** x-ms-keyvault-network-info header, a SAS's source IP mismatch, a log
** record's caller address (without its port). */
static void source_of(span t, failure *f)
{
    static const struct {
        const char *marker, *stop;
    } m[] = {{"Client address:", " "},
             {"x-ms-keyvault-network-info: addr=", ";"},
             {"using this source IP ", " ."},
             {"\"callerIpAddress\":\"", "\""},
             {"\"CallerIpAddress\":\"", "\""},
             {"\"ipAddress\":\"", "\""},
             {"\"SourceIpAddress\":\"", "\""}};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++) {
        if (value_after(t, m[i].marker, m[i].stop, f->source_ip,
                        sizeof f->source_ip) == 0)
            break;
    }
    char *colon = strchr(f->source_ip, ':');
    if (colon && strchr(colon + 1, ':') == NULL)
        *colon = '\0'; /* a.b.c.d:port */
    f->source_subnet = find(t.p, t.n, "from unknown subnet") != NULL;
}

/* The vault or account, and the caller Key Vault's message names. */
static void names_of(span t, failure *f)
{
    if (value_after(t, "Vault:", ";\"", f->resource, sizeof f->resource) == 0)
        f->service = 'k';
    value_after(t, ";location=", "\";", f->location, sizeof f->location);
    value_after(t, "iss=https://sts.windows.net/", "/;\"", f->caller_tenant,
                sizeof f->caller_tenant);
    value_after(t, "appid=", ";\"", f->caller_appid, sizeof f->caller_appid);
    value_after(t, ";oid=", ";\"", f->caller_oid, sizeof f->caller_oid);
    if (value_after(t, "xms_mirid=", "; \"", f->caller_resource,
                    sizeof f->caller_resource) != 0)
        value_after(t, "xmsmirid=", "; \"", f->caller_resource,
                    sizeof f->caller_resource);
    if (f->resource[0])
        return;
    /* A request URL: https://<account>.blob.core.windows.net/...,
    ** https://<vault>.vault.azure.net/... */
    char host[160];
    if (value_after(t, "https://", "/ \"?:", host, sizeof host) == 0) {
        char *dot = strchr(host, '.');
        if (dot && (strstr(dot, ".core.windows.net") ||
                    strstr(dot, ".vault.azure.net"))) {
            f->service = strstr(dot, ".vault.") ? 'k' : 's';
            *dot = '\0';
            snprintf(f->resource, sizeof f->resource, "%s", host);
        }
    }
}

int failure_parse(const char *text, size_t len, failure *out)
{
    memset(out, 0, sizeof *out);
    span t = {text, len};
    out->status = status_of(t);
    classify(t, out);
    codes_of(t, out);
    message_of(t, out);
    source_of(t, out);
    names_of(t, out);
    return out->layer == FL_UNKNOWN ? -1 : 0;
}

const char *failure_layer_name(failure_layer l)
{
    switch (l) {
    case FL_NETWORK: return "network (firewall or perimeter)";
    case FL_FIREWALL: return "network firewall";
    case FL_PERIMETER: return "network security perimeter";
    case FL_PRIVATE_LINK: return "private link / public network access";
    case FL_ROLE: return "not the network: authorization (role assignment or access policy)";
    case FL_SAS: return "not the network: the shared access signature";
    case FL_KEY: return "not the network: shared key authorization";
    case FL_TOKEN: return "not the network: the bearer token";
    case FL_ANONYMOUS: return "not the network: anonymous access";
    case FL_ALLOWED: return "none: the record shows the request admitted";
    case FL_UNKNOWN: break;
    }
    return "unknown";
}
