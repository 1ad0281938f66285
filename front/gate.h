/*
** gate.h - one HTTP request to Storage or Key Vault decided, the way the
** nginx module and `moat serve` both need it: mapped (http_map.h), its
** source placed (topology.h), its bearer token verified (jwt.h), decided
** by libmoat; then the decision log line (shaped like an NSP access log
** record) and the 403 Azure would send. Any failure on the way is an error
** verdict, and an error denies.
*/
#ifndef MOAT_GATE_H
#define MOAT_GATE_H

#include "http_map.h"
#include "jwt.h"
#include "moat.h"
#include "topology.h"

#include <stddef.h>
#include <sys/socket.h>

/* What a front end loaded: the estate, and optionally a topology and the
** keys tokens are verified with. */
typedef struct gate_config {
    const moat_estate *estate;
    const topology *topo;
    const jwt_keys *keys;
    jwt_policy policy; /* issuer, audience, now (set per request), leeway */
} gate_config;

/* The request as the front end saw it. */
typedef struct gate_input {
    http_in http;
    const char *source_ip;         /* the client's address, as text */
    const struct sockaddr *source; /* the same, for the topology */
    const struct sockaddr *local;  /* the listener it came in on, or NULL */
} gate_input;

typedef struct gate_verdict {
    http_out map;
    const char *source_ip;
    const char *subnet, *pe; /* from the topology, or NULL */
    jwt_claims claims;
    int identity;          /* the token verified */
    char token_error[128]; /* why it did not, or "" */
    moat_decision d;
    const char *rule; /* the deciding rule, when asked for; "" else */
    int error;        /* an internal error or an unmappable request */
    char why[256];
    char refusal[3072]; /* Azure's message for a refusal, or "" */
} gate_verdict;

/* Decides in with q (bound to cfg->estate); with x, also names the rule.
** Returns 0, or -1 with v->error set and v->why (the request denies). */
int moat_gate_decide(const gate_config *cfg, moat_request *q, moat_explanation *x,
                const gate_input *in, gate_verdict *v);

/* The verdict allows (no error, and moat allowed). */
int moat_gate_allows(const gate_verdict *v);
/* The category's name, or "MoatInternalError". */
const char *moat_gate_category(const gate_verdict *v);

/* The decision log line (JSON, newline-terminated) into buf; its length,
** truncated to cap - 1. time is ISO 8601, mode "on" or "learning". */
size_t moat_gate_log_line(const gate_verdict *v, const char *time, const char *mode,
                     const char *request_line, size_t request_line_len,
                     char *buf, size_t cap);

/* The body Azure answers a refused request with (Storage: XML with
** AuthorizationFailure; Key Vault: JSON with ForbiddenByConnection or
** ForbiddenByFirewall and Key Vault's message) into buf; its length.
** *content_type is set. */
size_t moat_gate_denial_body(const gate_verdict *v, const char *request_id,
                        const char *time, char *buf, size_t cap,
                        const char **content_type);

/* A random request id, as x-ms-request-id carries it (UUID text). */
void moat_gate_request_id(char out[37]);

#endif
