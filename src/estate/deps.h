/*
** deps.h - platform dependency edges (issue 15): the data-plane requests
** Azure services make to a storage account or a key vault on the
** customer's behalf, the features a network security perimeter does not
** support, and the data-plane resources a Terraform plan makes its runner
** touch. Read from the estate (read_deps.c, read_deps_tf.c), kept in the
** compiled estate (deps_compile.c), decided by the audit (audit/deps.c).
*/
#ifndef MOAT_DEPS_H
#define MOAT_DEPS_H

#include "moat_int.h"

typedef enum dep_kind {
    /* MOAT015 dependency-refused */
    DEP_CMK,            /* customer-managed key in a vault */
    DEP_DIAG,           /* diagnostic settings -> storage */
    DEP_FLOW,           /* NSG / VNet flow logs -> storage */
    DEP_SQL_AUDIT,      /* SQL auditing -> storage */
    DEP_EH_CAPTURE,     /* Event Hubs Capture -> storage */
    DEP_FUNC_STORAGE,   /* a Function App's own storage */
    DEP_KV_REF,         /* an app setting @Microsoft.KeyVault(...) */
    /* MOAT016 perimeter-unsupported-feature */
    DEP_F_SFTP,
    DEP_F_NFS,
    DEP_F_SMB,
    DEP_F_OBJREP,
    DEP_F_LIFECYCLE,
    DEP_F_INVENTORY,
    DEP_F_UNMANAGED_DISK,
    DEP_F_BACKUP,
    /* MOAT017 runner-refused */
    DEP_RUNNER,
    /* Not an edge: where an app's outbound requests come from (its
    ** integration subnet, outbound addresses, region), for the edges read
    ** from a separate sites/config resource. */
    DEP_SITE_NET,
    DEP_KIND_COUNT
} dep_kind;

#define DEP_IS_FEATURE(k) ((k) >= DEP_F_SFTP && (k) <= DEP_F_BACKUP)

/* "customer-managed-key", ..., "sftp", ..., "runner". */
MOAT_HIDDEN const char *moat__dep_kind_name(unsigned kind);

typedef struct dep_edge {
    uint8_t kind;
    uint8_t federated;   /* a federated identity credential: the token is
                            the vault's tenant's (decision.md section 7) */
    uint8_t route_all;   /* the app routes all its traffic into its VNet */
    const char *from;    /* the resource that makes the request (id, or a
                            Terraform address) */
    const char *from_type;
    const char *breaks;  /* the resource that breaks: the finding sits on
                            it */
    const char *to_id;   /* the storage account or vault, by id ... */
    const char *to_name; /* ... or by name (a vault URI's host, a
                            connection string's AccountName) */
    const char *to_text; /* as the estate writes it */
    const char *path;    /* the setting read ("properties.encryption...") */
    /* The request (decision.md section 2), as its fields' strings. */
    const char *endpoints; /* "blob", or several: "blob,queue,table" */
    const char *operation;
    const char *protocol;  /* NULL: HTTPS */
    const char *auth;
    const char *target;    /* container, share, secret name, or NULL */
    const char *caller_resource; /* the identity presenting the token */
    const char *caller_service;  /* a platform service's own identity */
    const char *subnet;          /* source.subnet, or NULL */
    const char *ips;             /* outbound addresses "a,b", or NULL */
    const char *region;          /* source.region, or NULL */
    const char *scope;  /* an id whose subscription is the caller's (a
                           diagnostic setting's or flow log's target) */
    const char *unknown;         /* why the edge cannot be decided, or NULL */
    const char *file;
    unsigned line;
    const char *address; /* Terraform address, or NULL */
} dep_edge;

/* One runner of `moat audit --runner` (MOAT017). */
typedef struct dep_runner {
    const char *label; /* as given, for messages */
    const char *ip;    /* NULL: not known in advance (hosted runners) */
    const char *region;
    const char *subnet;
    const char *identity;
} dep_runner;

#endif /* MOAT_DEPS_H */
