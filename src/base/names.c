/*
** names.c - the words of the contract: status codes, categories, warnings
** and the request's enum values, each generated from one table.
*/
#include "moat_int.h"

#include <stdlib.h>
#include <string.h>

const char *moat_version(void)
{
    return MOAT_VERSION;
}

const char *moat_strerror(moat_status status)
{
    switch (status) {
#define XX(name, value, text)                                                  \
    case MOAT_##name: return text;
        MOAT_STATUS_MAP(XX)
#undef XX
    }
    return "unknown status";
}

const char *moat_status_name(moat_status status)
{
    switch (status) {
#define XX(name, value, text)                                                  \
    case MOAT_##name: return #name;
        MOAT_STATUS_MAP(XX)
#undef XX
    }
    return "UNKNOWN";
}

void moat_free(void *p)
{
    free(p);
}

static const char *const category_names[] = {"",
#define XX(id, name, allows) name,
                                             MOAT_CATEGORY_MAP(XX)
#undef XX
};

const char *moat_category_name(moat_category c)
{
    if ((unsigned)c >= MOAT_ARRAY_LEN(category_names))
        return "";
    return category_names[c];
}

moat_category moat_category_from_name(const char *name)
{
    for (size_t i = 1; name && i < MOAT_ARRAY_LEN(category_names); i++) {
        if (strcmp(category_names[i], name) == 0)
            return (moat_category)i;
    }
    return MOAT_CAT_NONE;
}

const char *moat_warning_name(unsigned bit)
{
    switch (bit) {
    case MOAT_WARN_TENANT_UNKNOWN: return "tenant-unknown";
    case MOAT_WARN_SERVICE_TAGS_UNSUPPORTED: return "service-tags-unsupported";
    case MOAT_WARN_SERVICE_TAGS_UNKNOWN: return "service-tags-unknown";
    }
    return NULL;
}

const char *moat__endpoint_name(moat_endpoint e)
{
    static const char *const n[] = {"blob",  "dfs", "file", "queue",
                                    "table", "web", "vault"};
    return (unsigned)e < MOAT_ARRAY_LEN(n) ? n[e] : "?";
}

const char *moat__protocol_name(moat_protocol p)
{
    static const char *const n[] = {"HTTPS", "HTTP", "SMB", "NFS", "SFTP"};
    return (unsigned)p < MOAT_ARRAY_LEN(n) ? n[p] : "?";
}

const char *moat__operation_name(moat_operation o)
{
    static const char *const n[] = {"read", "write", "delete", "list"};
    return (unsigned)o < MOAT_ARRAY_LEN(n) ? n[o] : "?";
}

const char *moat__auth_name(moat_auth a)
{
    static const char *const n[] = {"OAuth", "SAS", "AccountKey", "Anonymous"};
    return (unsigned)a < MOAT_ARRAY_LEN(n) ? n[a] : "?";
}

const char *moat__mode_name(access_mode m)
{
    static const char *const n[] = {"Learning", "Enforced", "Audit"};
    return (unsigned)m < MOAT_ARRAY_LEN(n) ? n[m] : "?";
}

const char *moat__pna_name(pna_mode p)
{
    static const char *const n[] = {"Enabled", "Disabled",
                                    "SecuredByPerimeter"};
    return (unsigned)p < MOAT_ARRAY_LEN(n) ? n[p] : "?";
}

const char *moat__vnet_state_name(vnet_state s)
{
    static const char *const n[] = {"Succeeded",    "(none)",
                                    "Provisioning", "Deprovisioning",
                                    "Failed",       "NetworkSourceDeleted",
                                    "unknown"};
    return (unsigned)s < MOAT_ARRAY_LEN(n) ? n[s] : "?";
}

const char *moat__pe_status_name(pe_status s)
{
    static const char *const n[] = {"Approved", "Pending", "Rejected",
                                    "Disconnected", "unknown"};
    return (unsigned)s < MOAT_ARRAY_LEN(n) ? n[s] : "?";
}

moat_status moat__error_set(moat_error *err, moat_status code, size_t offset,
                            const char *fmt, ...)
{
    if (err) {
        err->code = code;
        err->offset = offset;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}
