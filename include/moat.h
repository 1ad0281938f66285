/*
** moat.h - Azure Storage and Key Vault network access decisions.
**
** libmoat loads an estate of Azure Resource Manager JSON (storage accounts,
** key vaults, network security perimeters, virtual networks, subscriptions),
** compiles it once into an immutable structure, and then decides, for any
** data-plane request, whether Azure's network rules let it through, and why.
** The contract it implements is spec/decision.md.
**
** Lifecycle (sqlite's prepare/step idea). The code below is compiled and
** run by the command-line tests (tests/cli/run.sh), in examples/:
**
**     moat_loader *ld = moat_loader_new(0);
**     moat_loader_add_path(ld, "estate/");         // load: read, validate
**     moat_estate *es;
**     moat_loader_finish(ld, &es);                 // compile: immutable
**     moat_loader_free(ld);
**
**     moat_request *q = moat_request_new(es);      // bind: once per thread
**     moat_request_set(q, MOAT_REQ_RESOURCE, "stnwshipments", 13, NULL);
**     moat_request_set(q, MOAT_REQ_SOURCE_IP, "203.0.113.77", 12, NULL);
**     moat_decision d;
**     moat_decide(q, &d);                          // decide: allocates nothing
**
**     moat_explanation *x = moat_explanation_new();
**     moat_explain(q, x, MOAT_EXPLAIN_STEPS);      // explain: only when asked
**     moat_request_reset(q);                       // ... and bind again
**
**     moat_explanation_free(x);
**     moat_request_free(q);                        // requests before their
**     moat_estate_free(es);                        // estate
**
** Threads: a compiled moat_estate is never modified and may be shared by any
** number of threads. A moat_request or moat_explanation belongs to one thread
** at a time. The library never prints, never exits and keeps no global state.
**
** Fail closed: every function that produces a decision leaves it at
** MOAT_DENY when it returns an error.
*/
#ifndef MOAT_H
#define MOAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header. The library's shared object is
** libmoat.so.MOAT_ABI: the number changes when a program built against an
** older header could no longer run with the newer library. */
#define MOAT_VERSION "0.1.0"
#define MOAT_ABI 0

#if defined(MOAT_BUILDING) && defined(__GNUC__)
#define MOAT_API __attribute__((visibility("default")))
#else
#define MOAT_API
#endif

/*--------------------------------------------------------------------------
** Status codes. Zero is success; errors are negative.
*/
#define MOAT_STATUS_MAP(XX)                                                    \
    XX(OK, 0, "success")                                                       \
    XX(E_NOMEM, -1, "out of memory")                                           \
    XX(E_IO, -2, "cannot read input")                                          \
    XX(E_SYNTAX, -3, "malformed JSON")                                         \
    XX(E_INVAL, -4, "invalid value")                                           \
    XX(E_LIMIT, -5, "limit exceeded")                                          \
    XX(E_NOTFOUND, -6, "not found")                                            \
    XX(E_AMBIGUOUS, -7, "ambiguous name")                                      \
    XX(E_STATE, -8, "not ready")

typedef enum moat_status {
#define MOAT_XX_(name, value, text) MOAT_##name = value,
    MOAT_STATUS_MAP(MOAT_XX_)
#undef MOAT_XX_
} moat_status;

/* A sentence for a status code; never NULL, never to be freed. */
MOAT_API const char *moat_strerror(moat_status status);
/* The code's name without prefix ("E_SYNTAX"). */
MOAT_API const char *moat_status_name(moat_status status);

/* The version of the library the program runs with ("0.1.0"): the
** MOAT_VERSION libmoat was built with, which may be newer than the header
** the program was compiled with. Never NULL, never to be freed. */
MOAT_API const char *moat_version(void);

/* Frees memory the library returned to the caller (moat_estate_describe). */
MOAT_API void moat_free(void *p);

/*--------------------------------------------------------------------------
** The vocabulary of decision.md: verdicts, categories, request enums.
*/
typedef enum moat_verdict { MOAT_DENY = 0, MOAT_ALLOW = 1 } moat_verdict;

/* Section 5 of decision.md. The names are Azure's NSP log categories (Nsp*)
** and moat's own (Res*); moat_category_name() gives them verbatim. */
#define MOAT_CATEGORY_MAP(XX)                                                  \
    XX(RES_CONTROL_PLANE_NOT_FILTERED, "ResControlPlaneNotFiltered", 1)        \
    XX(RES_PRIVATE_ENDPOINT, "ResPrivateEndpoint", 1)                          \
    XX(NSP_PRIVATE_INBOUND_ALLOWED, "NspPrivateInboundAllowed", 1)             \
    XX(NSP_INTRA_PERIMETER_INBOUND_ALLOWED, "NspIntraPerimeterInboundAllowed", \
       1)                                                                      \
    XX(NSP_CROSS_PERIMETER_INBOUND_ALLOWED, "NspCrossPerimeterInboundAllowed", \
       1)                                                                      \
    XX(NSP_PUBLIC_INBOUND_PERIMETER_RULES_ALLOWED,                             \
       "NspPublicInboundPerimeterRulesAllowed", 1)                             \
    XX(NSP_PUBLIC_INBOUND_RESOURCE_RULES_ALLOWED,                              \
       "NspPublicInboundResourceRulesAllowed", 1)                              \
    XX(RES_DEFAULT_ACTION_ALLOW, "ResDefaultActionAllow", 1)                   \
    XX(RES_VIRTUAL_NETWORK_RULE, "ResVirtualNetworkRule", 1)                   \
    XX(RES_IP_RULE, "ResIpRule", 1)                                            \
    XX(RES_RESOURCE_INSTANCE_RULE, "ResResourceInstanceRule", 1)               \
    XX(RES_TRUSTED_SERVICE, "ResTrustedService", 1)                            \
    XX(RES_BYPASS_LOGGING, "ResBypassLogging", 1)                              \
    XX(RES_BYPASS_METRICS, "ResBypassMetrics", 1)                              \
    XX(RES_PRIVATE_ENDPOINT_NOT_APPROVED, "ResPrivateEndpointNotApproved", 0)  \
    XX(RES_PERIMETER_LOCKDOWN, "ResPerimeterLockdown", 0)                      \
    XX(RES_PROTOCOL_NOT_SUPPORTED_BY_PERIMETER,                                \
       "ResProtocolNotSupportedByPerimeter", 0)                                \
    XX(NSP_PUBLIC_INBOUND_PERIMETER_RULES_DENIED,                              \
       "NspPublicInboundPerimeterRulesDenied", 0)                              \
    XX(NSP_PUBLIC_INBOUND_RESOURCE_RULES_DENIED,                               \
       "NspPublicInboundResourceRulesDenied", 0)                               \
    XX(RES_PUBLIC_NETWORK_ACCESS_DISABLED, "ResPublicNetworkAccessDisabled",   \
       0)                                                                      \
    XX(RES_DEFAULT_ACTION_DENY, "ResDefaultActionDeny", 0)

typedef enum moat_category {
    MOAT_CAT_NONE = 0,
#define MOAT_XX_(id, name, allows) MOAT_CAT_##id,
    MOAT_CATEGORY_MAP(MOAT_XX_)
#undef MOAT_XX_
        MOAT_CAT_COUNT_
} moat_category;

/* "ResIpRule" etc.; "" for MOAT_CAT_NONE or an out-of-range value. */
MOAT_API const char *moat_category_name(moat_category category);
/* The category with that exact name, or MOAT_CAT_NONE. */
MOAT_API moat_category moat_category_from_name(const char *name);

typedef enum moat_plane { MOAT_PLANE_DATA, MOAT_PLANE_CONTROL } moat_plane;
typedef enum moat_endpoint {
    MOAT_ENDPOINT_BLOB,
    MOAT_ENDPOINT_DFS,
    MOAT_ENDPOINT_FILE,
    MOAT_ENDPOINT_QUEUE,
    MOAT_ENDPOINT_TABLE,
    MOAT_ENDPOINT_WEB,
    MOAT_ENDPOINT_VAULT
} moat_endpoint;
typedef enum moat_protocol {
    MOAT_PROTOCOL_HTTPS,
    MOAT_PROTOCOL_HTTP,
    MOAT_PROTOCOL_SMB,
    MOAT_PROTOCOL_NFS,
    MOAT_PROTOCOL_SFTP
} moat_protocol;
typedef enum moat_operation {
    MOAT_OP_READ,
    MOAT_OP_WRITE,
    MOAT_OP_DELETE,
    MOAT_OP_LIST
} moat_operation;
typedef enum moat_auth {
    MOAT_AUTH_OAUTH,
    MOAT_AUTH_SAS,
    MOAT_AUTH_ACCOUNT_KEY,
    MOAT_AUTH_ANONYMOUS
} moat_auth;

/* Warning bits of a decision (decision.md section 7). */
#define MOAT_WARN_TENANT_UNKNOWN 0x1u /* "tenant-unknown" */
#define MOAT_WARN_SERVICE_TAGS_UNSUPPORTED                                     \
    0x2u /* "service-tags-unsupported"                                         \
          */
#define MOAT_WARN_SERVICE_TAGS_UNKNOWN 0x4u /* "service-tags-unknown" */

/* The name of one warning bit ("tenant-unknown"), or NULL. */
MOAT_API const char *moat_warning_name(unsigned bit);

/*--------------------------------------------------------------------------
** Loading and compiling an estate.
*/
typedef struct moat_loader moat_loader;
typedef struct moat_estate moat_estate;

/* Loader flags. */
#define MOAT_LOAD_LENIENT                                                      \
    0x1u /* validation errors become warnings and the                          \
            offending rule is ignored */
#define MOAT_LOAD_PLAN_PRIOR                                                   \
    0x2u /* a Terraform plan (terraform show -json) is read as its          \
            prior state (prior_state.values) instead of its planned        \
            values: nothing when it has none (`moat diff PLAN.json`) */

typedef enum moat_severity { MOAT_SEV_ERROR, MOAT_SEV_WARNING } moat_severity;

/* One problem found while loading. Every string is owned by the loader and
** stays valid until moat_loader_free(); none is NULL. */
typedef struct moat_diag {
    moat_severity severity;
    moat_status code;
    const char *file;     /* file name as given, or the buffer's name */
    unsigned line;        /* 1-based; 0 when not tied to a position */
    unsigned column;      /* 1-based byte column */
    const char *resource; /* ARM id (or name) of the resource, or "" */
    const char *path;     /* JSON path in the resource, or "" */
    const char *message;  /* what was wrong and what was expected */
} moat_diag;

/* A new loader, or NULL when out of memory. flags: MOAT_LOAD_*. */
MOAT_API moat_loader *moat_loader_new(unsigned flags);

/* The largest estate file moat reads, in bytes (1 GiB). A larger file, or
** a stream that goes on past it, is refused with MOAT_E_LIMIT. */
#define MOAT_ESTATE_MAX_BYTES (1024u * 1024u * 1024u)

/* Reads a file, or every *.json file below a directory (sorted by name).
** Only regular files are read: a FIFO, a device or a socket, given or met
** as *.json below a directory, is refused (MOAT_E_IO), as is a file larger
** than MOAT_ESTATE_MAX_BYTES (MOAT_E_LIMIT). Returns MOAT_OK, or the first
** error; details are in the diagnostics. */
MOAT_API moat_status moat_loader_add_path(moat_loader *ld, const char *path);

/* Reads JSON from an open descriptor (a pipe, standard input) to its end,
** at most MOAT_ESTATE_MAX_BYTES (then MOAT_E_LIMIT); name labels
** diagnostics. The descriptor is left open. */
MOAT_API moat_status moat_loader_add_fd(moat_loader *ld, const char *name,
                                        int fd);

/* Reads JSON from memory; name labels diagnostics. The bytes are copied.
** More than MOAT_ESTATE_MAX_BYTES is refused (MOAT_E_LIMIT). */
MOAT_API moat_status moat_loader_add_json(moat_loader *ld, const char *name,
                                          const char *json, size_t len);

/* Reads Azure's service-tag file (ServiceTags_Public_<date>.json of "Azure
** IP Ranges and Service Tags": values[].name and
** values[].properties.addressPrefixes, IPv4 and IPv6), so that perimeter
** inbound rules naming service tags admit a key vault's callers from those
** prefixes (decision.md section 4). Without one such a rule admits nothing
** and the decision carries service-tags-unknown; on a storage account it
** never admits (service-tags-unsupported). Several files may be added; a
** tag named twice keeps its first definition. */
MOAT_API moat_status moat_loader_add_service_tags(moat_loader *ld,
                                                  const char *path);
/* The same from memory; name labels diagnostics. The bytes are copied. */
MOAT_API moat_status moat_loader_add_service_tags_json(moat_loader *ld,
                                                       const char *name,
                                                       const char *json,
                                                       size_t len);

/* Compiles everything added so far into an immutable estate.
** On success *out (OUT) owns its memory and the loader may be freed.
** On error *out is NULL and the diagnostics say why. */
MOAT_API moat_status moat_loader_finish(moat_loader *ld, moat_estate **out);

MOAT_API size_t moat_loader_diag_count(const moat_loader *ld);
/* The i-th diagnostic, or NULL when i is out of range. */
MOAT_API const moat_diag *moat_loader_diag(const moat_loader *ld, size_t i);
/* Number of diagnostics of severity MOAT_SEV_ERROR. */
MOAT_API size_t moat_loader_error_count(const moat_loader *ld);

/* Frees the loader (NULL is a no-op). Estates it produced stay valid. */
MOAT_API void moat_loader_free(moat_loader *ld);

/* Frees an estate (NULL is a no-op). Requests bound to it must be freed
** first. */
MOAT_API void moat_estate_free(moat_estate *es);

/* Counts of what the estate holds. */
typedef struct moat_estate_stats {
    size_t storage_accounts;
    size_t key_vaults;
    size_t perimeters;
    size_t associations;
    size_t subnets;
    size_t subscriptions;
    size_t hot_bytes; /* bytes moat_decide reads: resources, perimeter
                         profiles and associations */
} moat_estate_stats;
MOAT_API void moat_estate_stats_get(const moat_estate *es,
                                    moat_estate_stats *out);

/* Something the estate declares that moat could not expand or read, so
** that what it holds is not judged: a linked template (templateLink), a
** nested template that is an expression, a copy loop it cannot count, a
** perimeter rule or association whose targets are expressions, a
** Terraform rules resource whose account is not in the plan. Each is also
** a warning diagnostic. An audit of an estate with any is incomplete,
** never clean (docs/audit.md). Strings live as long as the estate. */
typedef struct moat_incomplete {
    const char *file; /* where it is declared, or "" */
    unsigned line;    /* 1-based; 0 when not tied to a line */
    const char *resource; /* the declaration's id, name or address, or "" */
    const char *what;     /* what is not read ("linked template ...") */
    const char *why;      /* why, and what it may hold */
} moat_incomplete;

MOAT_API size_t moat_estate_incomplete_count(const moat_estate *es);
/* The i-th thing not read, or NULL when i is out of range. */
MOAT_API const moat_incomplete *moat_estate_incomplete(const moat_estate *es,
                                                       size_t i);

/* The compiled estate as JSON (every resource with its effective settings,
** defaults made explicit, addresses canonical). Returns a NUL-terminated
** string that the caller frees with moat_free(), or NULL when out of
** memory. */
MOAT_API char *moat_estate_describe(const moat_estate *es, size_t *len);

/*--------------------------------------------------------------------------
** The trusted-service catalog (spec/trusted-services.tsv, compiled in).
*/
typedef struct moat_service {
    const char *target;     /* "storage" or "keyvault" */
    const char *kind;       /* "tenant-registered", "managed-identity",
                               "keyvault" */
    const char *service;    /* "Azure Backup" */
    const char *platform;   /* the namespace it calls as with its own
                               identity ("Microsoft.RecoveryServices"), or
                               "" */
    const char *identities; /* comma-separated provider/type (or bare
                               namespace) whose managed identity it
                               presents, or "" */
    const char *since;      /* YYYY-MM-DD (UTC) the row holds from, or "" */
    const char *until;      /* YYYY-MM-DD (UTC) it no longer holds from,
                               or "" */
    const char *operations; /* what the seed says it may do */
    const char *note;       /* provenance, may be "" */
} moat_service;

MOAT_API size_t moat_catalog_count(void);
/* The i-th entry, or NULL when out of range. */
MOAT_API const moat_service *moat_catalog_entry(size_t i);

/*--------------------------------------------------------------------------
** Requests: bind, decide, reset.
*/
typedef struct moat_request moat_request;

/* Fields of decision.md section 2. Every value is a string, parsed as the
** JSON request would be ("OAuth", "HTTPS", "203.0.113.7", ...). */
typedef enum moat_field {
    MOAT_REQ_RESOURCE,      /* ARM id, or a unique name */
    MOAT_REQ_PLANE,         /* data | control */
    MOAT_REQ_ENDPOINT,      /* blob | dfs | file | queue | table | web |
                               vault */
    MOAT_REQ_PROTOCOL,      /* HTTPS | HTTP | SMB | NFS | SFTP */
    MOAT_REQ_OPERATION,     /* read | write | delete | list */
    MOAT_REQ_TARGET,        /* container, table or share name */
    MOAT_REQ_SOURCE_IP,     /* IPv4 or IPv6 address */
    MOAT_REQ_SOURCE_SUBNET, /* subnet ARM id (service endpoint) */
    MOAT_REQ_SOURCE_PRIVATE_ENDPOINT, /* private endpoint ARM id */
    MOAT_REQ_SOURCE_REGION,           /* Azure region of the caller */
    MOAT_REQ_CALLER_AUTH,             /* OAuth | SAS | AccountKey | Anonymous */
    MOAT_REQ_CALLER_TENANT,           /* tenant GUID */
    MOAT_REQ_CALLER_SUBSCRIPTION,     /* subscription GUID */
    MOAT_REQ_CALLER_RESOURCE_ID,      /* ARM id of the calling resource */
    MOAT_REQ_CALLER_SERVICE,          /* first-party service namespace[/type] */
    MOAT_REQ_CALLER_PERIMETER,        /* adds one perimeter GUID */
    MOAT_REQ_TIME, /* RFC 3339 ("2026-11-20T08:00:00Z"); unset: now */
    MOAT_REQ_FIELD_COUNT
} moat_field;

/* Details of a request error. */
typedef struct moat_error {
    moat_status code;
    size_t offset; /* byte offset in the JSON input, when parsing */
    char message[256];
} moat_error;

/* A request bound to an estate, with every field at its default
** (section 7: data, blob, HTTPS, read, OAuth, the time of the decision).
** NULL when out of memory.
** The request holds bounded buffers and never allocates again. */
MOAT_API moat_request *moat_request_new(const moat_estate *es);
MOAT_API void moat_request_free(moat_request *q);

/* Back to the defaults, keeping the binding (NULL is a no-op). */
MOAT_API void moat_request_reset(moat_request *q);

/* Sets one field from a string of len bytes (not necessarily terminated).
** Resolves names against the estate: MOAT_REQ_RESOURCE fails with
** MOAT_E_NOTFOUND or MOAT_E_AMBIGUOUS. err may be NULL. */
MOAT_API moat_status moat_request_set(moat_request *q, moat_field field,
                                      const char *value, size_t len,
                                      moat_error *err);

/* Parses one request object (decision.md section 2) into q, which is reset
** first. err may be NULL. */
MOAT_API moat_status moat_request_parse(moat_request *q, const char *json,
                                        size_t len, moat_error *err);

/* The ARM id of the resource the request is for (as the estate spells it),
** or NULL when none is set. */
MOAT_API const char *moat_request_resource_id(const moat_request *q);

/*--------------------------------------------------------------------------
** Deciding.
*/
typedef struct moat_decision {
    moat_verdict verdict;
    moat_category category;
    int has_enforced_would;      /* resource in a Learning or Audit perimeter */
    moat_verdict enforced_would; /* what Enforced mode would decide */
    unsigned warnings;           /* MOAT_WARN_* bits */
    int http_status;             /* 403 on deny, 0 on allow */
    const char *http_code;       /* "AuthorizationFailure" (Storage) or
                                    "ForbiddenByFirewall" (Key Vault) on deny,
                                    NULL on allow */
    uint32_t rule_;              /* private: the deciding rule */
    moat_category enforced_category_; /* private: Enforced mode's category */
    uint32_t enforced_rule_;          /* private: and its rule */
} moat_decision;

/* Decides q. Allocates nothing, touches only q and the estate. Returns
** MOAT_E_STATE when no resource is set; out is then a deny. */
MOAT_API moat_status moat_decide(const moat_request *q, moat_decision *out);

/* The decision as a network security perimeter access log would write it
** (NSPAccessLogs, docs/replay.md): *category the category the perimeter
** logs (for an association in Audit mode, the Enforced evaluation's, which
** Audit logs without enforcing), *access_rule the name of the perimeter
** access rule that matched ("" when none did). */
MOAT_API void moat_decision_nsp_terms(const moat_request *q,
                                      const moat_decision *d,
                                      const char **category,
                                      const char **access_rule);

/*--------------------------------------------------------------------------
** Explaining: the same procedure, traced, with words.
*/
typedef struct moat_explanation moat_explanation;

typedef enum moat_step_outcome {
    MOAT_STEP_SKIPPED, /* the layer did not apply to this request */
    MOAT_STEP_PASSED,  /* looked, matched nothing, went on */
    MOAT_STEP_ALLOWED, /* this layer admitted the request */
    MOAT_STEP_DENIED   /* this layer refused the request */
} moat_step_outcome;

typedef struct moat_step {
    const char *layer; /* "private endpoint", "IP rules", ... */
    moat_step_outcome outcome;
    const char *detail; /* what was looked at and what was found */
} moat_step;

MOAT_API moat_explanation *moat_explanation_new(void);
MOAT_API void moat_explanation_free(moat_explanation *x);

/* Explain flags. */
#define MOAT_EXPLAIN_STEPS 0x1u /* also record the path, layer by layer */

/* Decides q again and names the deciding rule and a reason sentence; with
** MOAT_EXPLAIN_STEPS also each layer passed or refused. The explanation is
** valid until the next moat_explain() on it, or until q or its estate is
** freed. */
MOAT_API moat_status moat_explain(const moat_request *q, moat_explanation *x,
                                  unsigned flags);

MOAT_API const moat_decision *
moat_explanation_decision(const moat_explanation *x);
/* "networkAcls.ipRules[2] 203.0.113.0/24", or "" when no rule decided. */
MOAT_API const char *moat_explanation_rule(const moat_explanation *x);
/* One human sentence. */
MOAT_API const char *moat_explanation_reason(const moat_explanation *x);
MOAT_API size_t moat_explanation_step_count(const moat_explanation *x);
MOAT_API const moat_step *moat_explanation_step(const moat_explanation *x,
                                                size_t i);

/* Writes the decision as one JSON object (decision.md section 3, no
** newline) into buf. Returns the length it needs, excluding the NUL; the
** output is complete when that is < cap (snprintf's convention). Returns 0
** when out of memory. */
MOAT_API size_t moat_explanation_json(moat_explanation *x, char *buf,
                                      size_t cap);

/* Azure's message for a refusal, as its 403 body carries it (decision.md
** section 3), into buf with snprintf's convention; "" on an allow.
** Storage: "This request is not authorized to perform this operation."
** (its body adds RequestId and Time). Key Vault: lines separated by CR LF
** as Key Vault writes them: the cause, by inner code and bypass ("Client
** address is not authorized and caller is not a trusted service.");
** "Client address: <ip>" (ForbiddenByFirewall); "Caller: <caller>" unless
** the cause says the caller was ignored; "Vault: <name>;location=<region>".
** caller: the token as Key Vault names it ("appid=..;oid=..;iss=..",
** with ";xms_mirid=..;xms_az_rid=.." for a managed identity), or NULL for
** "unknown". */
MOAT_API size_t moat_refusal_message(const moat_request *q,
                                     const moat_decision *d,
                                     const char *caller, char *buf,
                                     size_t cap);

/*--------------------------------------------------------------------------
** Auditing: posture controls (CIS Microsoft Azure Foundations) and exposure
** findings judged on effective access, not on single fields.
*/
typedef struct moat_audit moat_audit;

typedef enum moat_level {
    MOAT_LEVEL_INFO,
    MOAT_LEVEL_LOW,
    MOAT_LEVEL_MEDIUM,
    MOAT_LEVEL_HIGH,
    MOAT_LEVEL_CRITICAL
} moat_level;

/* "info", "low", "medium", "high", "critical". */
MOAT_API const char *moat_level_name(moat_level level);
/* 0 and *out set when name is a level (ignoring case), else -1. */
MOAT_API int moat_level_from_name(const char *name, moat_level *out);

/* Where a value came from: the estate, Azure's default, or unknown (an ARM
** template expression, a Terraform value known only after apply). */
typedef enum moat_basis {
    MOAT_BASIS_EXPLICIT,
    MOAT_BASIS_DEFAULT,
    MOAT_BASIS_UNKNOWN
} moat_basis;
MOAT_API const char *moat_basis_name(moat_basis basis);

typedef struct moat_evidence {
    const char *path;  /* JSON path in the resource */
    const char *value; /* the value as moat reads it (defaults filled) */
    moat_basis basis;
} moat_evidence;

typedef struct moat_cis_ref {
    const char *version; /* "1.3.0" */
    const char *id;      /* "3.7" */
} moat_cis_ref;

/* One kind of finding: what SARIF calls a rule. */
typedef struct moat_audit_rule {
    const char *id;    /* "MOAT001" */
    const char *name;  /* "internet-reachable" */
    const char *title; /* one line */
    const char *help;  /* why it matters and what Azure does */
    moat_level level;  /* default severity */
} moat_audit_rule;

MOAT_API size_t moat_audit_rule_count(void);
MOAT_API const moat_audit_rule *moat_audit_rule_at(size_t i);

/* Whether a finding counts. */
typedef enum moat_finding_state {
    MOAT_FINDING_ACTIVE,
    MOAT_FINDING_SUPPRESSED, /* a suppression with a reason covers it */
    MOAT_FINDING_BASELINE    /* it was in the baseline: not new */
} moat_finding_state;

/* A platform dependency behind a finding (MOAT015-017): the data-plane
** request one resource (or a deployment's runner) makes to a storage
** account or key vault, and what decision.md section 4 decides for it. */
typedef struct moat_dependency {
    const char *kind; /* "customer-managed-key", "diagnostic-logs",
                         "flow-logs", "sql-auditing", "event-hubs-capture",
                         "function-storage", "key-vault-reference"; a
                         feature: "sftp", "nfs", "smb", "object-replication",
                         "lifecycle-management", "blob-inventory",
                         "unmanaged-disk", "vaulted-backup"; "runner" */
    const char *from; /* the resource (or plan address) that calls */
    const char *to;   /* the storage account or vault called */
    const char *request;  /* the request as `moat check` reads it (JSON), or
                             NULL (a feature, or nothing to ask) */
    const char *decision; /* "allow", "deny" or "unknown" */
    const char *category; /* decision.md section 5, or NULL when unknown */
    const char *rule;     /* the deciding rule, or "" */
    const char *resource; /* the resource that breaks (the finding's) */
} moat_dependency;

typedef struct moat_finding {
    const moat_audit_rule *rule;
    moat_level level;
    const char *resource;      /* ARM id as moat names it */
    const char *resource_name; /* its name */
    const char *address;       /* Terraform address, or NULL */
    const char *file;          /* where the resource was read */
    unsigned line;
    const char *message; /* the finding, with its specifics */
    const moat_evidence *evidence;
    size_t n_evidence;
    const char *fix;     /* the az command that fixes it, or "" */
    const char *control; /* the CIS control it fails, or NULL */
    const moat_cis_ref *cis;
    size_t n_cis;
    const char *fingerprint; /* stable across runs: rule, resource, what */
    moat_finding_state state;
    const char *suppression; /* the reason, when suppressed */
    const moat_dependency *dependency; /* MOAT015-017, else NULL */
} moat_finding;

typedef enum moat_control_status {
    MOAT_CONTROL_PASS,
    MOAT_CONTROL_FAIL,
    MOAT_CONTROL_NOT_APPLICABLE
} moat_control_status;
MOAT_API const char *moat_control_status_name(moat_control_status status);

typedef struct moat_control_result {
    const char *control; /* "storage-default-deny" */
    const char *title;
    const char *resource;
    const char *resource_name;
    moat_control_status status;
    moat_basis basis; /* of the values the verdict rests on */
    const char *reason;
    const moat_cis_ref *cis; /* the versions this verdict holds for */
    size_t n_cis;
} moat_control_result;

/* What one class of sources can reach on one resource. */
typedef struct moat_exposure {
    const char *resource;
    const char *source; /* "internet", "azure-same-region", "virtual-networks",
                           "trusted-services", "identities",
                           "private-endpoints", "perimeters" */
    const char *admitted; /* "all", "some", "none", "unknown" */
    const char *detail;   /* what and by which rules */
} moat_exposure;

/* A resource the audit judged. */
typedef struct moat_audited {
    const char *id;
    const char *name;
    const char *kind; /* "storage" or "keyvault" */
    const char *file;
    unsigned line;
    const char *address; /* Terraform address, or NULL */
    /* Its findings, controls and exposures: the audit lists them grouped
    ** by resource, in resource order, so each is a run of indexes. */
    size_t first_finding, n_findings;
    size_t first_control, n_controls;
    size_t first_exposure, n_exposures;
} moat_audited;

/* Where a deployment runs from (`moat audit --runner`): each data-plane
** resource of a Terraform plan is a request from it (MOAT017). */
typedef struct moat_runner {
    const char *label;    /* for messages ("203.0.113.5"), or NULL */
    const char *ip;       /* its public address; NULL: not known in advance
                             (a hosted runner) */
    const char *region;   /* its Azure region, or NULL */
    const char *subnet;   /* the subnet it runs in (service endpoint), or
                             NULL */
    const char *identity; /* the ARM id of the identity it deploys as, or
                             NULL */
} moat_runner;

typedef struct moat_audit_options {
    const char *cis_version; /* only controls of this CIS version; NULL: all */
    uint64_t wide_ip_addresses; /* an IP range admitting more addresses than
                                   this is a finding; 0: 65536 (a /16) */
    const moat_runner *runners; /* deployment pre-flight (MOAT017) */
    size_t n_runners;
} moat_audit_options;

/* Audits every storage account and key vault of es. opt may be NULL.
** MOAT_E_INVAL when opt names an unknown CIS version. */
MOAT_API moat_status moat_audit_run(const moat_estate *es,
                                    const moat_audit_options *opt,
                                    moat_audit **out);
MOAT_API void moat_audit_free(moat_audit *a);

MOAT_API size_t moat_audit_resource_count(const moat_audit *a);
MOAT_API const moat_audited *moat_audit_resource(const moat_audit *a, size_t i);
MOAT_API size_t moat_audit_finding_count(const moat_audit *a);
MOAT_API const moat_finding *moat_audit_finding(const moat_audit *a, size_t i);
MOAT_API size_t moat_audit_control_count(const moat_audit *a);
MOAT_API const moat_control_result *moat_audit_control(const moat_audit *a,
                                                       size_t i);
MOAT_API size_t moat_audit_exposure_count(const moat_audit *a);
MOAT_API const moat_exposure *moat_audit_exposure(const moat_audit *a,
                                                  size_t i);
/* Every dependency edge the audit decided (MOAT015-017's requests, the
** admitted ones too), in estate order. */
MOAT_API size_t moat_audit_dependency_count(const moat_audit *a);
MOAT_API const moat_dependency *moat_audit_dependency(const moat_audit *a,
                                                      size_t i);
/* What the audit could not judge: the estate's moat_estate_incomplete()
** entries, and one more when it judged no resource at all (an empty audit
** is never clean). None: the audit is complete. */
MOAT_API size_t moat_audit_incomplete_count(const moat_audit *a);
MOAT_API const moat_incomplete *moat_audit_incomplete(const moat_audit *a,
                                                      size_t i);
/* A suppression as read from a suppressions file. */
typedef struct moat_suppression {
    const char *rule;        /* rule id or name, or NULL */
    const char *resource;    /* ARM id or name, "*" for any, or NULL */
    const char *fingerprint; /* one finding, or NULL */
    const char *reason;
    const char *expires; /* YYYY-MM-DD, or NULL */
    int expired;         /* past its date: it suppresses nothing */
    size_t matched;      /* findings it suppressed */
} moat_suppression;

/* Applies a suppressions file (JSON: {"suppressions": [{"rule", "resource",
** "fingerprint", "reason", "expires"}]}); today is YYYY-MM-DD. Every entry
** needs a reason, and a rule or a fingerprint. An expired entry suppresses
** nothing and is listed by moat_audit_suppression(). On error nothing is
** applied and err says which entry and field. */
MOAT_API moat_status moat_audit_suppress(moat_audit *a, const char *json,
                                         size_t len, const char *today,
                                         moat_error *err);
MOAT_API size_t moat_audit_suppression_count(const moat_audit *a);
MOAT_API const moat_suppression *moat_audit_suppression(const moat_audit *a,
                                                        size_t i);

/* Marks the findings whose fingerprints a baseline lists (JSON written by
** moat_audit_baseline_json()) as MOAT_FINDING_BASELINE. */
MOAT_API moat_status moat_audit_apply_baseline(moat_audit *a, const char *json,
                                               size_t len, moat_error *err);
/* The current findings (suppressed ones left out) as a baseline document;
** the caller frees it with moat_free(). NULL when out of memory. */
MOAT_API char *moat_audit_baseline_json(const moat_audit *a);

/* The CIS versions moat knows, oldest first; NULL past the end. */
MOAT_API const char *moat_cis_version(size_t i);

/*--------------------------------------------------------------------------
** Replaying access logs: Azure Storage and Key Vault resource-log
** records, read and mapped to the requests Azure decided (docs/replay.md
** has the mapping).
*/
typedef enum moat_log_format {
    MOAT_LOG_UNKNOWN,
    MOAT_LOG_DIAGNOSTIC,     /* diagnostic-setting export: JSON lines */
    MOAT_LOG_ANALYTICS_JSON, /* Log Analytics rows as JSON objects */
    MOAT_LOG_ANALYTICS_CSV,  /* Log Analytics rows as CSV, header first */
    MOAT_LOG_CLASSIC         /* Storage Analytics ($logs) 1.0/2.0 lines */
} moat_log_format;

/* "diagnostic", "analytics-json", "analytics-csv", "classic", "unknown". */
MOAT_API const char *moat_log_format_name(moat_log_format f);

/* The format of a log from its first record (of a CSV log, the header
** line; of a JSON array, its first element). */
MOAT_API moat_log_format moat_log_detect(const char *rec, size_t len);

/* A span of text, not NUL-terminated. */
typedef struct moat_text {
    const char *p;
    size_t n;
} moat_text;

/* What Azure's network layer did, as the record's status shows it. */
typedef enum moat_log_outcome {
    MOAT_LOG_NO_EVIDENCE,   /* the status says nothing about the network */
    MOAT_LOG_AZURE_ALLOWED, /* success, or an error past the firewall */
    MOAT_LOG_AZURE_DENIED   /* IpAuthorizationError, 403 AuthorizationFailure,
                               Key Vault's ForbiddenByFirewall and
                               ForbiddenByConnection */
} moat_log_outcome;

/* A record mapped to a request: each field's text as moat_request_set()
** takes it (n == 0: not set), indexed by moat_field. Texts point into the
** record, the reader or the estate: valid until the next moat_log_read()
** on the same reader. */
typedef struct moat_log_request {
    moat_text field[MOAT_REQ_FIELD_COUNT];
    moat_log_outcome azure;
    moat_text account;  /* the account or vault as the record names it */
    moat_text source;   /* caller address, without its port */
    moat_text identity; /* the requester's object id */
    moat_text status;   /* status text (or code) as logged */
    const char *azure_code; /* a Key Vault refusal's inner error code as the
                               record's message shows it:
                               "ForbiddenByConnection" (public network
                               access disabled) or "ForbiddenByFirewall";
                               NULL otherwise */
    const char *path;   /* "public", "service endpoint", "private endpoint" */
    const char *lenient; /* NULL, or how the record was read leniently (a
                            classic line whose unquoted request URL holds
                            "&amp;", as Azure's documentation shows one) */
    /* A network security perimeter access record (NSPAccessLogs): the
    ** category Azure logged and the access rule it names as matched
    ** (n == 0: not such a record, or no rule); the events it aggregates
    ** (its count; 1 for every other record). */
    moat_text azure_category;
    moat_text azure_rule;
    uint64_t events;
    const moat_estate *estate_; /* private: the reader's estate ... */
    const void *parsed_;        /* private: ... and the record resolved in it */
} moat_log_request;

/* Reads records of one format and maps them against es (accounts, subnets,
** private endpoints, managed identities, perimeters). Not thread-safe: one
** reader per thread; es may be shared. */
typedef struct moat_log_reader moat_log_reader;

MOAT_API moat_log_reader *moat_log_reader_new(const moat_estate *es,
                                              moat_log_format format);
MOAT_API void moat_log_reader_free(moat_log_reader *r);

/* A CSV log's header line: which column is which field. Unknown columns
** are skipped; err names a missing required column. */
MOAT_API moat_status moat_log_reader_header(moat_log_reader *r,
                                            const char *line, size_t len,
                                            moat_error *err);

/* Reads one record (one JSON object, one CSV row, or one classic line)
** and maps it. When it cannot be mapped, returns an error, *reason gets a
** short constant phrase to count it by ("account not in the estate", ...)
** and err the specifics. */
MOAT_API moat_status moat_log_read(moat_log_reader *r, const char *rec,
                                   size_t len, moat_log_request *out,
                                   const char **reason, moat_error *err);

/* Sets q (reset first) to the mapped request; q may be bound to another
** estate than the reader's (a proposed configuration). */
MOAT_API moat_status moat_log_request_apply(const moat_log_request *m,
                                            moat_request *q, moat_error *err);

/*--------------------------------------------------------------------------
** Callers the estate knows, for front ends that turn a token or an address
** into a request (the nginx gate, moat serve, moat token).
*/
typedef struct moat_identity {
    const char *resource_id;  /* the resource holding the identity */
    const char *principal_id; /* its principalId (a token's oid) */
    const char *tenant_id;    /* identity.tenantId, or NULL */
} moat_identity;

/* The managed identity of a resource named by ARM id, last id segment or
** principal id. MOAT_E_NOTFOUND, or MOAT_E_AMBIGUOUS when the name fits
** several. */
MOAT_API moat_status moat_estate_identity(const moat_estate *es,
                                          const char *name, moat_identity *out);
/* A resource's perimeter association, as names (for tools that write
** perimeter rules): NULL profile when the association names none. */
typedef struct moat_perimeter_info {
    const char *perimeter_id;
    const char *perimeter_name;
    const char *perimeter_guid;
    const char *profile_id;
    const char *profile_name;
    const char *association_name;
    const char *mode;       /* "Learning", "Enforced" or "Audit" */
    size_t profile_members; /* resources associated with that profile */
} moat_perimeter_info;

/* MOAT_E_NOTFOUND when the estate does not hold the resource or it is in
** no perimeter. */
MOAT_API moat_status moat_estate_perimeter_info(const moat_estate *es,
                                                const char *resource_id,
                                                moat_perimeter_info *out);
/* The id of the i-th resource associated with profile_id; NULL past the
** end. */
MOAT_API const char *moat_estate_profile_member(const moat_estate *es,
                                                const char *profile_id,
                                                size_t i);
/* The id of the estate's perimeter with that GUID, or NULL. */
MOAT_API const char *moat_estate_perimeter_by_guid(const moat_estate *es,
                                                   const char *guid);

/* The GUID of the perimeter resource_id is associated with (in any mode),
** or NULL. */
MOAT_API const char *moat_estate_perimeter_of(const moat_estate *es,
                                              const char *resource_id);

/* The subnets of the estate whose address prefixes hold address (a private
** caller's: `moat explain` names the subnet to admit): their ids into
** ids[0..cap), and how many there are (more than cap when so); 0 when none
** holds it or address is not one. */
MOAT_API size_t moat_estate_subnets_of(const moat_estate *es,
                                       const char *address, const char **ids,
                                       size_t cap);


/*--------------------------------------------------------------------------
** Exact reasoning (docs/reach.md): the whole request space of decision.md
** section 2, for one resource or for the same resource in two estates,
** cut into cells on which moat_decide decides the same way. Cells are
** disjoint and cover the space; addresses are exact interval sets, never
** enumerated; everything is allocated from one arena per computation.
*/
typedef struct moat_cells moat_cells;

/* The cells of resource (an id or a unique name) in es. time (RFC 3339,
** or NULL: every time) restricts the space to that instant. Returns
** MOAT_E_NOTFOUND / MOAT_E_AMBIGUOUS for the resource, MOAT_E_LIMIT when
** the partition would pass its bound, MOAT_E_NOMEM. */
MOAT_API moat_status moat_cells_compute(const moat_estate *es,
                                        const char *res_name,
                                        const char *time, moat_cells **out);
/* The cells of one resource in two estates (side 0: old_es, side 1:
** new_es), refined so that each cell has one decision on each side. Either
** id may be NULL: the resource is absent there and denies everything. */
MOAT_API moat_status moat_cells_diff(const moat_estate *old_es,
                                     const char *old_id,
                                     const moat_estate *new_es,
                                     const char *new_id, const char *time,
                                     moat_cells **out);
MOAT_API void moat_cells_free(moat_cells *c);
MOAT_API size_t moat_cells_count(const moat_cells *c);
/* 1 for moat_cells_compute, 2 for moat_cells_diff. */
MOAT_API int moat_cells_sides(const moat_cells *c);

/* What moat_decide gives every request of cell i on side (0 or 1):
** verdict, category, warnings, enforced_would, http and the rule.
** MOAT_E_NOTFOUND past the end or for a side without the resource. */
MOAT_API moat_status moat_cell_decision(const moat_cells *c, size_t i,
                                        int side, moat_decision *out);
/* Sets q (bound to the side's estate) to one concrete request of cell i.
** MOAT_E_NOTFOUND as above. */
MOAT_API moat_status moat_cell_witness(const moat_cells *c, size_t i, int side,
                                       moat_request *q);

/* The source addresses of a cell: IPv4 count, IPv6 count (hi, lo words;
** ipv6_all when it is all 2^128), and whether requests without an address
** are in it. */
typedef struct moat_addr_count {
    uint64_t ipv4;
    uint64_t ipv6_hi, ipv6_lo;
    int ipv6_all;
    int no_address;
} moat_addr_count;
MOAT_API void moat_cell_addresses(const moat_cells *c, size_t i,
                                  moat_addr_count *out);

/* Cell i as JSON (docs/reach.md): {"when": {...}, "decision", "category",
** "rule", ("before"/"after" for a diff), "witness", "addresses"}. malloc'd
** (moat_free()); NULL when out of memory. */
MOAT_API char *moat_cell_json(const moat_cells *c, size_t i, size_t *len);

/* The named values the `when` of every cell refers to (docs/reach.md):
** private endpoints, subnets, regions, tenants, subscriptions, resource
** instance rule patterns and each side's perimeters. malloc'd. */
MOAT_API char *moat_cells_domain_json(const moat_cells *c, size_t *len);

/* `moat reach` for the resource of c (moat_cells_compute): the JSON
** document {"resource", "kind", "association", "exposure", ("domain",
** "cells" when with_cells)}, the text, and Graphviz edges (the lines of a
** digraph body). malloc'd (moat_free()); NULL when out of memory. */
MOAT_API char *moat_cells_reach_json(const moat_cells *c, int with_cells,
                                     size_t *len);
MOAT_API char *moat_cells_reach_text(const moat_cells *c, size_t *len);
MOAT_API char *moat_cells_reach_dot(const moat_cells *c, size_t *len);

/* `moat diff` for the resource of c (moat_cells_diff): how cell i's
** verdict moves (1 newly allowed: old denies, new allows; -1 newly denied;
** 0 the same), the JSON {"resource", "kind", "change", "newly_allowed",
** "newly_denied", "exposure_before", "exposure_after"} and the text.
** malloc'd (moat_free()). */
MOAT_API int moat_cell_change(const moat_cells *c, size_t i);
MOAT_API char *moat_cells_diff_json(const moat_cells *c, size_t *len);
MOAT_API char *moat_cells_diff_text(const moat_cells *c, size_t *len);

/* The resources of an estate, in estate order: their number, and the id
** (NULL past the end) and origin (file, line, Terraform address or NULL)
** of the i-th. */
MOAT_API size_t moat_estate_resource_count(const moat_estate *es);
MOAT_API const char *moat_estate_resource_id(const moat_estate *es, size_t i,
                                             const char **file, unsigned *line,
                                             const char **address);
/* 1 when the estate holds a resource with this ARM id (ignoring case). */
MOAT_API int moat_estate_has_resource(const moat_estate *es, const char *id);
/* What changed between two estates that a resource's decisions depend on
** outside the resource itself (subnets' service endpoints), for
** moat_estate_resource_unchanged. NULL when out of memory. */
typedef struct moat_estate_changes moat_estate_changes;
MOAT_API moat_estate_changes *moat_estate_changes_new(const moat_estate *a,
                                                      const moat_estate *b);
MOAT_API void moat_estate_changes_free(moat_estate_changes *c);
/* 1 when resource id decides every request the same way in both estates
** by construction (the same compiled settings, perimeter profile, links
** and subnet reach); 0 when it may not (moat_cells_diff then says how). */
MOAT_API int moat_estate_resource_unchanged(const moat_estate_changes *c,
                                            const char *id);

/* The exposure projection of side (docs/reach.md, "exposure") as a JSON
** object; malloc'd (moat_free()), NULL when out of memory or the side has
** no resource. */
MOAT_API char *moat_cells_exposure_json(const moat_cells *c, int side,
                                        size_t *len);
/*--------------------------------------------------------------------------
** Admitting rules: every rule of the estate that can admit a request (IP,
** virtual network and resource instance rules of each resource, inbound
** rules of each perimeter profile), numbered 0 .. count-1, so that callers
** can count which ones decided and find the ones that never do.
*/
MOAT_API size_t moat_estate_rule_count(const moat_estate *es);

typedef struct moat_rule_info {
    const char *owner; /* the resource or profile id the rule belongs to */
    char text[320];    /* "networkAcls.ipRules[2] 203.0.113.0/24" */
    int inbound;       /* 0 for a perimeter's outbound rule: it admits
                          nothing inbound, so it never decides */
} moat_rule_info;

/* Describes rule i; MOAT_E_NOTFOUND past the end. */
MOAT_API moat_status moat_estate_rule(const moat_estate *es, size_t i,
                                      moat_rule_info *out);
/* The rules that can decide for resource id: the resource's own and its
** perimeter profile's, as [first, first + n) ranges; returns MOAT_OK and
** sets both ranges, or MOAT_E_NOTFOUND. */
MOAT_API moat_status moat_estate_rules_of(const moat_estate *es, const char *id,
                                          size_t *first, size_t *n,
                                          size_t *profile_first,
                                          size_t *profile_n);
/* The number of the rule that decided d (for q), or -1 when no numbered
** rule did (a default action, an exception, a private endpoint). */
MOAT_API long moat_decision_rule(const moat_request *q, const moat_decision *d);

/*--------------------------------------------------------------------------
** Address ranges as firewall rules write them ("25.1.2.3", "25.2.0.0/24",
** "fe00::1:0:0:1:92"), for tools that edit rules: compared as addresses,
** never as text (Azure keeps rules as written).
*/
typedef struct moat_range {
    int family;             /* 4 or 6 */
    unsigned char addr[16]; /* network address, host bits cleared; IPv4 in
                               addr[0..3] */
    unsigned prefix;        /* 0..32 or 0..128; 32 or 128 when bare */
    int bare;               /* written without a prefix length */
    int host_bits;          /* bits set under the prefix ("25.2.0.1/24") */
} moat_range;

/* MOAT_E_INVAL when text is not an address or CIDR range. */
MOAT_API moat_status moat_range_parse(const char *text, moat_range *out);
/* The ranges share an address. */
MOAT_API int moat_range_overlaps(const moat_range *a, const moat_range *b);
/* The same range: "1.2.3.4" equals "1.2.3.4/32". */
MOAT_API int moat_range_equal(const moat_range *a, const moat_range *b);
/* Inside 10/8, 172.16/12 or 192.168/16 (the ranges Storage refuses). */
MOAT_API int moat_range_is_private(const moat_range *r);
/* "network/prefix", canonical; buf of at least 50 bytes. */
MOAT_API void moat_range_format(const moat_range *r, char *buf, size_t cap);

/*--------------------------------------------------------------------------
** Command lines for a user to copy (the az fixes moat prints): every word
** quoted for a POSIX shell, so that a hostile name stays one argument.
*/
/* word as one shell word: as is when it holds only [A-Za-z0-9@%+=:,./_-],
** else in single quotes ('\'' for a quote). Returns the length of the
** quoted text; out gets it, or "" when it does not fit in cap. */
MOAT_API size_t moat_shell_quote(const char *word, char *out, size_t cap);
/* A command line: fmt's text as is; %s and %.*s one word each, quoted
** (text next to them joins the word: "pe-%s"); %r text already quoted;
** %zu; %%. Returns the length; out gets it, or "" when it does not fit in
** cap or fmt holds another conversion (0 then): never a cut command. */
MOAT_API size_t moat_shell_command(char *out, size_t cap, const char *fmt, ...);

/*--------------------------------------------------------------------------
** Editing estate files in place: a JSON document whose text changes only
** where an edit says, so unknown properties, the order of keys and the
** formatting of everything else stay as they were (the az-style commands).
*/
typedef struct moat_doc moat_doc;
typedef struct moat_node moat_node; /* a value in a document, read-only */

typedef enum moat_node_type {
    MOAT_NODE_NULL,
    MOAT_NODE_BOOL,
    MOAT_NODE_NUMBER,
    MOAT_NODE_STRING,
    MOAT_NODE_ARRAY,
    MOAT_NODE_OBJECT
} moat_node_type;

/* Parses text; err says where it is not JSON. */
MOAT_API moat_status moat_doc_parse(const char *text, size_t len,
                                    moat_doc **out, moat_error *err);
MOAT_API void moat_doc_free(moat_doc *d);
MOAT_API const moat_node *moat_doc_root(const moat_doc *d);

MOAT_API moat_node_type moat_node_kind(const moat_node *n);
/* A string's value, a number's text, "true", "false", "null"; NULL for
** containers. */
MOAT_API const char *moat_node_text(const moat_node *n);
/* The member name of a value inside an object, or NULL. */
MOAT_API const char *moat_node_key(const moat_node *n);
/* A member by name, ignoring case (as ARM does), or NULL. */
MOAT_API const moat_node *moat_node_get(const moat_node *obj, const char *key);
MOAT_API const moat_node *moat_node_child(const moat_node *n);
MOAT_API const moat_node *moat_node_next(const moat_node *n);
MOAT_API size_t moat_node_count(const moat_node *n);
/* The node's text as written (malloc'd; moat_free()). */
MOAT_API char *moat_doc_slice(const moat_doc *d, const moat_node *n);

/* Edits, applied when the text is made. A new value (JSON text) is laid
** out like its surroundings. Edits of overlapping parts are refused (two
** removals may overlap). */
MOAT_API moat_status moat_doc_replace(moat_doc *d, const moat_node *n,
                                      const char *json, moat_error *err);
/* Appends a member (key given) to an object, or an element to an array. */
MOAT_API moat_status moat_doc_add(moat_doc *d, const moat_node *container,
                                  const char *key, const char *json,
                                  moat_error *err);
/* Removes children (elements, or members with their names) of container,
** with the separators between them; the rest keeps its layout. */
MOAT_API moat_status moat_doc_remove(moat_doc *d, const moat_node *container,
                                     const moat_node *const *children, size_t n,
                                     moat_error *err);
/* The document's text with every edit applied (malloc'd; moat_free()). */
MOAT_API char *moat_doc_text(const moat_doc *d, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* MOAT_H */
