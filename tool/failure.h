/*
** failure.h - what a real failure says: an HTTP error response from Azure
** Storage or Key Vault (status line, headers, body; or the way the Azure
** CLI, the SDKs and Terraform print one), or an access-log record, read
** for the layer that refused and the facts it names (moat explain).
*/
#ifndef MOAT_FAILURE_H
#define MOAT_FAILURE_H

#include <stddef.h>

typedef enum failure_layer {
    FL_UNKNOWN,      /* nothing the text says names a layer */
    FL_NETWORK,      /* the network layer, firewall or perimeter (Storage's
                        AuthorizationFailure does not say which) */
    FL_FIREWALL,     /* the resource's own firewall */
    FL_PERIMETER,    /* a network security perimeter */
    FL_PRIVATE_LINK, /* public network access disabled, or a private
                        endpoint connection that does not fit */
    FL_ROLE,         /* authorization after the network: a role assignment
                        or an access policy */
    FL_SAS,          /* a shared access signature's own limits */
    FL_KEY,          /* shared key authorization */
    FL_TOKEN,        /* the bearer token itself (401) */
    FL_ANONYMOUS,    /* anonymous access not permitted */
    FL_ALLOWED       /* a log record of a request that was not refused */
} failure_layer;

typedef struct failure {
    int status;          /* HTTP status, 0 when not given */
    char service;        /* 's' Storage, 'k' Key Vault, 0 not known */
    char code[64];       /* Storage's error code, Key Vault's outer code,
                            or the log record's status or category */
    char inner[64];      /* Key Vault's inner error code */
    char message[512];   /* the message's first line */
    char source_ip[64];  /* the address Azure saw, when the text names it */
    int source_subnet;   /* Key Vault: "from unknown subnet" (a service
                            endpoint whose subnet no rule names) */
    char resource[160];  /* the vault, account or resource id named */
    char location[64];   /* the vault's region ("Vault: v;location=...") */
    char caller_tenant[64];
    char caller_oid[64];
    char caller_appid[64];
    char caller_resource[400]; /* xms_mirid: the managed identity's resource */
    failure_layer layer;
    const char *why; /* the code or sentence that decided the layer */
} failure;

/* Reads text (any of the shapes above). 0 when it names a failure or a
** logged outcome moat recognises, -1 when nothing in it does (*out then
** holds what was found, layer FL_UNKNOWN). Never reads past len. */
int failure_parse(const char *text, size_t len, failure *out);

/* "network firewall", "network security perimeter", ... */
const char *failure_layer_name(failure_layer l);

#endif
