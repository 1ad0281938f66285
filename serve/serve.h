/*
** serve.h - `moat serve`, the decision service (docs/serve.md):
**
**   POST /v1/check     decision.md requests in (one, or an array), decisions
**                      out
**   *    /v1/authz/... Envoy ext_authz (HTTP service) and nginx auth_request:
**                      200 and no body to allow, Azure's 403 to deny; the
**                      category and rule in x-moat-* headers
**   GET  /healthz      liveness and the estate in force
**   GET  /metrics      Prometheus text
**
** The pieces: serve_state.c (the estate in force, reloaded aside and swapped
** whole), serve_endpoints.c (the endpoints, on a server-neutral request
** type, so they are fuzzed without a server), serve_metrics.c (per-worker
** counters), serve_http.c (h2o's event loops, one per worker thread), and
** serve_main.c (options, configuration file, signals).
*/
#ifndef MOAT_SERVE_H
#define MOAT_SERVE_H

#include "gate.h"
#include "moat.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*--------------------------------------------------------------------------
** Settings (flags or the configuration file).
*/
#define SRV_MAX_ESTATES 32

/* The headers /v1/authz believes only when the operator says the proxy in
** front sets them (--trust-header NAME; serve_headers.c). */
enum {
    SRV_TRUST_REAL_IP = 1u << 0,         /* X-Real-IP: the client */
    SRV_TRUST_FORWARDED_FOR = 1u << 1,   /* X-Forwarded-For: the client */
    SRV_TRUST_LOCAL_ADDRESS = 1u << 2,   /* X-Moat-Local-Address: listener */
    SRV_TRUST_ORIGINAL_URI = 1u << 3,    /* X-Original-URI: path and query */
    SRV_TRUST_ORIGINAL_METHOD = 1u << 4, /* X-Original-Method */
    SRV_TRUST_ORIGINAL_HOST = 1u << 5,   /* X-Original-Host: the host */
    SRV_TRUST_FORWARDED_HOST = 1u << 6   /* X-Forwarded-Host: the host */
};

typedef struct srv_settings {
    const char *estates[SRV_MAX_ESTATES];
    int n_estates;
    const char *listen;       /* "127.0.0.1:8080" */
    const char *topology;     /* or NULL */
    const char *jwks;         /* or NULL */
    const char *issuer;       /* required iss, or NULL */
    const char *audience;     /* required aud, or NULL */
    const char *decision_log; /* or NULL */
    http_account_from account_from;
    const char *endpoint; /* of path-style requests, or NULL (blob) */
    int threads;
    size_t max_body;      /* bytes */
    unsigned timeout_ms;  /* reading a request */
    unsigned poll_ms;     /* how often files are checked for changes */
    unsigned settle_ms;   /* how long a change must be still to be loaded */
    unsigned shutdown_ms; /* graceful shutdown: longest wait */
    int lenient;
    const char *service_tags; /* Azure's service-tag file, or NULL */
    unsigned trusted;         /* SRV_TRUST_* */
    int forwarded_hops; /* the client: this entry from the right of XFF */
} srv_settings;

/*--------------------------------------------------------------------------
** The estate in force: what one load produced, shared read-only by every
** worker and freed when the last one lets go.
*/
typedef struct srv_snapshot {
    moat_estate *estate;
    topology *topo;
    jwt_keys *keys;
    uint64_t revision;
    int64_t loaded_at; /* seconds since the epoch */
    int refs;          /* under srv_state.lock */
} srv_snapshot;

/* A file the estate is read from, as a poll saw it (serve_watch.c). */
enum {
    SRV_FILE_ESTATE = 'e',
    SRV_FILE_TOPOLOGY = 't',
    SRV_FILE_KEYS = 'k',
    SRV_FILE_SERVICE_TAGS = 's'
};

typedef struct srv_file {
    char *path;
    uint64_t sig; /* size, inode, modification time */
    char kind;    /* SRV_FILE_* */
    char present;
} srv_file;

typedef struct srv_files {
    srv_file *v;
    size_t n;
} srv_files;

/* Every file the settings name (a directory's *.json files, sorted; an
** estate file, the topology, the keys and the service tags even when
** missing); 0, or -1 out
** of memory. */
int srv_files_observe(const srv_settings *st, srv_files *out);
void srv_files_free(srv_files *f);
int srv_files_equal(const srv_files *a, const srv_files *b);
/* The first file present in was and missing from now, or NULL; *count
** how many are. */
const char *srv_files_vanished(const srv_files *was, const srv_files *now,
                               size_t *count);

typedef struct srv_state {
    const srv_settings *settings;
    pthread_mutex_t lock;
    srv_snapshot *current;     /* under lock */
    _Atomic uint64_t revision; /* of current: the workers' fast check */
    _Atomic uint64_t reload_errors;
    _Atomic uint64_t reloads;
    _Atomic unsigned vanished; /* files of the estate in force that are
                                  gone, kept until SIGHUP */
    char last_error[512];      /* under lock; "" when the last load
                                  succeeded */
    char pending[512];         /* under lock: a change on disk that is not
                                  in force yet, and why; "" when none */
    /* The main thread's alone (polls and reloads): */
    srv_files loaded;        /* the files the estate in force came from */
    srv_files seen;          /* what the polls see, when that differs */
    uint64_t seen_since_ms;  /* since when seen has not changed */
    int seen_done;           /* seen was acted on: wait for a change */
    int log_fd;              /* the decision log, or -1 */
} srv_state;

/* Loads the first estate; -1 after printing why. */
int srv_state_init(srv_state *s, const srv_settings *settings);
void srv_state_free(srv_state *s);
/* SIGHUP: loads the files as they are now (a new snapshot, swapped in
** whole), vanished ones let go; a failure keeps the estate in force,
** counts and reports. Returns 1 when a new estate is in force, -1 on a
** failed load. */
int srv_state_reload(srv_state *s);
/* --poll: loads a change once the files have been still for --settle
** (the same answers), unless a file of the estate in force has vanished:
** that waits for srv_state_reload, and says so (stderr, /healthz,
** /metrics). 1 when a new estate is in force, 0 when not, -1 on a failed
** load. */
int srv_state_poll(srv_state *s);
/* A reference to the estate in force. */
srv_snapshot *srv_state_acquire(srv_state *s);
void srv_state_release(srv_state *s, srv_snapshot *snap);
/* Reopens the decision log (after rotation). */
void srv_state_reopen_log(srv_state *s);

/*--------------------------------------------------------------------------
** Metrics, per worker (each updates its own under its own lock; a scrape
** sums them).
*/
typedef struct srv_metrics srv_metrics;

srv_metrics *srv_metrics_new(void);
void srv_metrics_free(srv_metrics *m);
/* One decision: resource (ARM id or name), allow, category. */
void srv_metrics_decision(srv_metrics *m, const char *resource, int allow,
                          const char *category);
/* One HTTP answer: endpoint index (SRV_EP_*), status, seconds taken. */
void srv_metrics_response(srv_metrics *m, int endpoint, int status,
                          double seconds);

/*--------------------------------------------------------------------------
** The endpoints, on a server-neutral request.
*/
enum {
    SRV_EP_CHECK,
    SRV_EP_AUTHZ,
    SRV_EP_HEALTH,
    SRV_EP_METRICS,
    SRV_EP_OTHER,
    SRV_N_EP
};

typedef struct srv_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} srv_header;

/* A request as the endpoints see it. headers are every header line as the
** client sent it, in order, repeated names and Content-Length,
** Transfer-Encoding and Host included (HTTP/1: read again from the
** request's own bytes, since h2o keeps only one of each of those); an
** HTTP/2 request's authority is a line named ":authority". */
typedef struct srv_request {
    const char *method;
    size_t method_len;
    const char *path; /* with the query */
    size_t path_len;
    const srv_header *headers;
    size_t n_headers;
    const char *body;
    size_t body_len;
    const struct sockaddr *peer; /* the TCP peer */
    const char *unreadable;      /* why the server could not list the
                                    header lines (refused), or NULL */
    int version; /* 0x100 HTTP/1.0, 0x101 HTTP/1.1, 0x200 HTTP/2, as h2o
                    numbers them; 0 when not known (no version rule) */
} srv_request;

#define SRV_MAX_RESPONSE_HEADERS 12
#define SRV_MAX_HEADER_BYTES 16384 /* a request's header names and values */

typedef struct srv_response {
    int status;
    const char *content_type; /* or NULL */
    srv_header headers[SRV_MAX_RESPONSE_HEADERS];
    size_t n_headers;
    char *body; /* the worker's buffer */
    size_t body_len;
    int endpoint; /* SRV_EP_* */
    int close;    /* close the connection after the answer */
} srv_response;

/* A worker: its requests bound to the estate in force, its buffers and
** metrics. One per thread. */
typedef struct srv_worker {
    srv_state *state;
    srv_snapshot *snap;
    moat_request *q;
    moat_explanation *x;
    srv_metrics *metrics;
    struct srv_worker **all; /* every worker, for /metrics */
    int n_all;
    char *buf; /* response body */
    size_t cap;
    char hdr[2048]; /* response header values */
    size_t hdr_used;
} srv_worker;

int srv_worker_init(srv_worker *w, srv_state *s);
void srv_worker_free(srv_worker *w);
/* Rebinds to the estate in force when it changed. 0, or -1 out of memory
** (the worker keeps deciding with what it has, or denies). */
int srv_worker_refresh(srv_worker *w);

/*--------------------------------------------------------------------------
** Reading the request's header lines (serve_headers.c).
*/
/* The first line named name (case-insensitive), or NULL; *count, when not
** NULL, is how many lines have that name. */
const srv_header *srv_header_find(const srv_request *rq, const char *name,
                                  size_t *count);
/* Why the request's head cannot be read one way only, or NULL: its body's
** length (more than one Content-Length or Transfer-Encoding line, or both:
** RFC 9112 section 6.3), a line folded onto the previous one (section
** 5.2), more than one Host line, :authority and Host that disagree. Such a
** request is refused and its connection closed. */
const char *srv_head_problem(const srv_request *rq);

/* The SRV_TRUST_* bit of a header name (any case), or 0 when moat does not
** read it. */
unsigned srv_trust_bit(const char *name);

/* The original request /v1/authz decides, as the trusted headers (and the
** request itself) describe it. */
typedef struct srv_origin {
    http_in http; /* method, path, host, Authorization (into the request) */
    char ip[64];  /* the client's address, as text */
    struct sockaddr_storage source;
    int have_source;
    char local_ip[64];
    struct sockaddr_storage local; /* the listener, when have_local */
    int have_local;
    const char *deny; /* a header names no address: the request denies */
} srv_origin;

/* Reads rq into o. NULL, or why the request is refused (400): a header
** that must name one thing has two lines, X-Forwarded-For has fewer
** entries than --forwarded-hops, or no trusted source header is there. */
const char *srv_origin_read(const srv_request *rq, const srv_settings *st,
                            srv_origin *o);

/* Answers rq. Never fails: an internal error is a 403 (authz) or a 500
** (the others), said in the body. */
void srv_handle(srv_worker *w, const srv_request *rq, srv_response *rs);

/* Prometheus text of every worker's metrics and the state's, appended to
** the worker's buffer. */
void srv_metrics_render(srv_worker *w, srv_response *rs);

/* Makes room for n more bytes of body (and a terminating NUL) in the
** worker's buffer; 0, or -1 out of memory. */
int srv_body_reserve(srv_worker *w, srv_response *rs, size_t n);
/* Appends n bytes of s to the body; 0, or -1 out of memory. */
int srv_body_append(srv_worker *w, srv_response *rs, const char *s, size_t n);

/*--------------------------------------------------------------------------
** The server.
*/
typedef struct srv_http srv_http;

/* Opens one listener per worker and starts the worker threads; NULL with
** why in err (the listen address). */
srv_http *srv_http_start(srv_state *s, srv_worker *workers, int n,
                         atomic_int *stop, char *err, size_t cap);
/* Waits for the workers to stop (set *stop first): each stops accepting,
** lets its connections finish, and returns. */
void srv_http_stop(srv_http *h);

/* `moat serve` (serve_main.c), dispatched by the command (cli/main.c). */
int cmd_serve(int argc, char **argv);

#endif
