/*
** log.h - replay's reading of access-log records (log_scan.c) and their
** mapping to requests (log_map.c).
*/
#ifndef MOAT_LOG_H
#define MOAT_LOG_H

#include "engine_int.h"

/* The fields replay reads from a record. */
typedef enum log_field {
    LF_TIME,
    LF_RESOURCE_ID,
    LF_ACCOUNT,
    LF_CATEGORY,
    LF_OPERATION,
    LF_PROTOCOL,
    LF_STATUS_CODE,
    LF_STATUS_TEXT,
    LF_CALLER_IP,
    LF_AUTH,
    LF_OBJECT_ID,
    LF_TENANT_ID,
    LF_APP_ID,
    LF_URI,
    LF_OBJECT_KEY,
    LF_SERVICE,
    LF_TABLE,         /* Log Analytics "Type": StorageBlobLogs, ... */
    LF_STATUS_DETAIL, /* Key Vault's resultDescription */
    /* network security perimeter access logs (NSPAccessLogs) */
    LF_SERVICE_RESOURCE, /* the resource the perimeter decided for */
    LF_SERVICE_FQDN,     /* its host name */
    LF_MATCHED_RULE,     /* matchedRule.accessRule, or MatchedRule's bag */
    LF_SOURCE_RESOURCE,  /* the calling resource */
    LF_SOURCE_PERIMETERS, /* its perimeter GUIDs: a JSON array or a string */
    LF_EVENTS,           /* count: the events the record aggregates */
    LF_IDENTITY, /* AZKVAuditLogs' Identity column as JSON text (CSV) */
    LF_COUNT
} log_field;

/* The objects a member can live in. */
typedef enum log_ctx {
    CTX_NONE,
    CTX_TOP,
    CTX_IDENTITY,
    CTX_REQUESTER,
    CTX_PROPERTIES,
    CTX_CLAIM, /* Key Vault's identity.claim */
    CTX_SOURCE, /* a perimeter record's properties.source */
    CTX_MATCHED, /* a perimeter record's properties.matchedRule */
    CTX_COUNT
} log_ctx;

typedef struct log_fields {
    moat_text v[LF_COUNT]; /* p == NULL: absent (or null) */
    uint64_t seen;         /* members met, fields and objects alike */
    int lenient; /* a classic line split only by reading entities in an
                    unquoted field (&amp; in a request URL) */
} log_fields;

typedef struct log_error {
    const char *msg;
    size_t at; /* byte offset in the record */
} log_error;

/* Builds the scanner's key index (once; thread-safe). */
MOAT_HIDDEN void moat__log_scan_init(void);
/* What the JSON scanner learned of the member names a log's records
** carry and of their order, so that the next record's names are
** confirmed by one comparison (log_scan.c). One per reader: not shared
** between threads. NULL when out of memory. */
typedef struct log_shape log_shape;
MOAT_HIDDEN log_shape *moat__log_shape_new(void);
MOAT_HIDDEN void moat__log_shape_free(log_shape *sh);
/* One JSON record (read where it lies, never past its end); strings with
** escapes are decoded into scratch (cap bytes, at least the record's
** length). shape, when not NULL, is consulted and taught; the answer is
** the same with or without it. 0, or -1 with err set. */
MOAT_HIDDEN int moat__log_scan_json(const char *rec, size_t len,
                                    log_fields *out, char *scratch, size_t cap,
                                    log_shape *shape, log_error *err);
/* The i-th member name the JSON scanner knows (its context, field, and
** for an object the context inside), or NULL past the last: for the unit
** test's reference scanner. */
MOAT_HIDDEN const char *moat__log_key(size_t i, log_ctx *ctx,
                                      log_field *field, log_ctx *child);
/* The field a CSV header column names, or LF_COUNT. */
MOAT_HIDDEN log_field moat__log_column(const char *name, size_t n);
/* One CSV row by its header's column map. */
MOAT_HIDDEN int moat__log_scan_csv(const char *rec, size_t len,
                                   const log_field *cols, size_t n_cols,
                                   log_fields *out, char *scratch, size_t cap,
                                   log_error *err);
/* One classic Storage Analytics line (version 1.0 or 2.0); quoted fields
** are HTML-decoded into scratch when they hold entities. */
MOAT_HIDDEN int moat__log_scan_classic(const char *rec, size_t len,
                                       log_fields *out, char *scratch,
                                       size_t cap, log_error *err);

/* Network security perimeter access records (replay/log_nsp.c). */
/* Whether a scanned record is a perimeter's (it names the resource the
** perimeter decided for, or its category is Nsp*). */
MOAT_HIDDEN int moat__nsp_record(const log_fields *f);
/* An Nsp* category: 1 inbound (*out its category), 0 outbound, -1 not
** one; *name its spelling. */
MOAT_HIDDEN int moat__nsp_category(moat_text t, moat_category *out,
                                   const char **name);
/* The access rule a matchedRule names (the name, or the table's
** {"accessRule": "name"} bag). */
MOAT_HIDDEN moat_text moat__nsp_rule_name(moat_text raw);
/* The first GUID of a perimeter GUID list (a JSON array or its text). */
MOAT_HIDDEN moat_text moat__nsp_first_guid(moat_text list);
/* The subscription GUID of a resource id. */
MOAT_HIDDEN moat_text moat__nsp_subscription(moat_text id);
/* The application protocol of "HTTPS:TCP". */
MOAT_HIDDEN moat_text moat__nsp_protocol(moat_text t);

/* A log record as replay's reader mapped it, resolved in the reader's
** estate, so that a request bound to the same estate is set without
** parsing text again (log_map.c, request.c). */
typedef struct log_parsed {
    const resource *res;
    moat_plane plane;
    moat_endpoint endpoint;
    moat_operation op;
    moat_auth auth;
    moat_protocol protocol;
    int has_protocol;
    moat_addr ip;
    const subnet_info *subnet;
    const pe_conn *pe;
    uint32_t region; /* interned, or MOAT_ID_NONE: not set */
    const principal *caller;
    int64_t time; /* the record's own time, when has_time */
    uint8_t has_time;
} log_parsed;

#endif
