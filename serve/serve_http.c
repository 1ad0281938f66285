/*
** serve_http.c - the HTTP layer: one h2o event loop per worker thread, all
** accepting from one listening socket (each loop holds its own descriptor
** of it), so workers share nothing on the request path but the estate.
**
** One socket, not one SO_REUSEPORT socket per worker: SO_REUSEPORT lets any
** other process of the same user bind the same port, and the kernel then
** spreads connections between the two, so a second `moat serve` with
** another estate would answer some of the requests (socket(7)). Without it
** a port in use is refused at bind (EADDRINUSE). h2o's own server shares
** its listeners the same way (2.2.5 src/main.c, run_loop: "dup the
** listener fd for other threads").
**
** Why h2o: Debian's libh2o-evloop is the fastest packaged HTTP/1.1 server
** library measured on this machine class (reference/performance-anchors.md
** section 5: about 110,000 requests/s on one core at 50 connections,
** against 55,000 for libevent's evhttp and 19,000 for libmicrohttpd); it
** parses HTTP/1.1 and HTTP/2, bounds header sizes, buffers bodies up to a
** limit and times out slow clients, which moat then does not write itself.
*/
#define H2O_USE_LIBUV 0
#include "serve.h"

#include <h2o.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQUEST_HEADERS 100

typedef struct srv_thread srv_thread;

typedef struct srv_handler {
    h2o_handler_t super;
    srv_thread *t;
} srv_handler;

struct srv_thread {
    srv_worker *w;
    atomic_int *stop;
    unsigned shutdown_ms;
    int fd;
    h2o_globalconf_t config;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
    h2o_evloop_t *loop;
    h2o_socket_t *listener;
    pthread_t thread;
};

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    default: return "Status";
    }
}

/* picohttpparser, the parser h2o reads HTTP/1 requests with; libh2o
** exports it but installs no header for it. */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};
int phr_parse_request(const char *buf, size_t len, const char **method,
                      size_t *method_len, const char **path, size_t *path_len,
                      int *minor_version, struct phr_header *headers,
                      size_t *num_headers, size_t last_len);

/* An HTTP/1 request's header lines, every one as sent. h2o keeps only one
** Content-Length or Transfer-Encoding line (the one it frames the body
** with) and the last Host line, so moat reads the request's head again,
** with h2o's own parser, from the connection's input buffer: the head
** stays at its start until the answer is sent (lib/http1.c consumes it in
** on_send_complete). The number of lines, or -1 (the request is refused):
** the head read again must be the request h2o parsed. */
static long http1_headers(h2o_req_t *req, srv_header *out, size_t cap)
{
    h2o_socket_t *sock = req->conn->callbacks->get_socket(req->conn);
    if (sock == NULL || sock->input == NULL)
        return -1;
    struct phr_header ph[MAX_REQUEST_HEADERS];
    const char *method, *path;
    size_t n = cap < MAX_REQUEST_HEADERS ? cap : MAX_REQUEST_HEADERS;
    size_t method_len, path_len;
    int minor;
    int len = phr_parse_request(sock->input->bytes, sock->input->size,
                                &method, &method_len, &path, &path_len, &minor,
                                ph, &n, 0);
    if (len <= 0 || !h2o_memis(path, path_len, req->input.path.base,
                               req->input.path.len))
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = (srv_header){ph[i].name ? ph[i].name : "", ph[i].name_len,
                              ph[i].value, ph[i].value_len};
    return (long)n;
}

/* An HTTP/2 request's header lines: h2o's list, and :authority (h2o drops
** a host field sent in HTTP/2 and uses :authority, lib/http2/hpack.c). */
static long http2_headers(h2o_req_t *req, srv_header *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < req->headers.size && n < cap; i++) {
        const h2o_header_t *h = &req->headers.entries[i];
        out[n++] = (srv_header){h->name->base, h->name->len, h->value.base,
                                h->value.len};
    }
    if (req->input.authority.base && n < cap)
        out[n++] = (srv_header){":authority", 10, req->input.authority.base,
                                req->input.authority.len};
    return (long)n;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    srv_thread *t = ((srv_handler *)self)->t;
    srv_worker *w = t->w;
    srv_worker_refresh(w);
    srv_header headers[MAX_REQUEST_HEADERS];
    long n = req->version < 0x200
                 ? http1_headers(req, headers, MAX_REQUEST_HEADERS)
                 : http2_headers(req, headers, MAX_REQUEST_HEADERS);
    struct sockaddr_storage peer;
    socklen_t plen =
        req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&peer);
    srv_request rq = {req->method.base,
                      req->method.len,
                      req->path.base,
                      req->path.len,
                      headers,
                      n < 0 ? 0 : (size_t)n,
                      req->entity.base,
                      req->entity.base ? req->entity.len : 0,
                      plen ? (const struct sockaddr *)&peer : NULL,
                      n < 0 ? "the request's head cannot be read again" : NULL,
                      req->version};
    srv_response rs;
    srv_handle(w, &rq, &rs);
    req->res.status = rs.status;
    req->res.reason = reason(rs.status);
    if (rs.content_type)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                       NULL, rs.content_type, strlen(rs.content_type));
    for (size_t i = 0; i < rs.n_headers; i++) {
        h2o_iovec_t v = h2o_strdup(&req->pool, rs.headers[i].value,
                                   rs.headers[i].value_len);
        h2o_add_header_by_str(&req->pool, &req->res.headers, rs.headers[i].name,
                              rs.headers[i].name_len, 1, NULL, v.base, v.len);
    }
    req->res.content_length = rs.body_len;
    if (rs.close) /* "Connection: close", and h2o closes after the answer */
        req->http1_is_persistent = 0;
    h2o_send_inline(req, rs.body_len ? rs.body : "", rs.body_len);
    return 0;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    if (err != NULL)
        return;
    srv_thread *t = listener->data;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock != NULL)
        h2o_accept(&t->accept, sock);
}

static int open_listener(const char *listen_at, char *err, size_t cap)
{
    const char *shown = listen_at; /* as given, brackets and all */
    char host[256];
    const char *colon = strrchr(listen_at, ':');
    if (colon == NULL || colon[1] == '\0') {
        snprintf(err, cap, "--listen %s: expected HOST:PORT", listen_at);
        return -1;
    }
    size_t hn = (size_t)(colon - listen_at);
    if (hn && listen_at[0] == '[' && listen_at[hn - 1] == ']') {
        listen_at++;
        hn -= 2;
    }
    snprintf(host, sizeof host, "%.*s", (int)hn, listen_at);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(hn ? host : NULL, colon + 1, &hints, &ai);
    if (rc != 0) {
        snprintf(err, cap, "--listen %s: %s", shown, gai_strerror(rc));
        return -1;
    }
    /* SO_REUSEADDR only lets a restart bind over connections in TIME_WAIT;
    ** on Linux it never lets two sockets listen on one port. */
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
        if (errno == EADDRINUSE)
            snprintf(
                err, cap,
                "cannot listen on %s: the port is in use (another process listens on it)",
                shown);
        else
            snprintf(err, cap, "cannot listen on %s: %s", shown,
                     strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static void setup(srv_thread *t, const srv_settings *st)
{
    h2o_config_init(&t->config);
    t->config.server_name = h2o_iovec_init(H2O_STRLIT("moat"));
    t->config.max_request_entity_size = st->max_body;
    t->config.http1.req_timeout = st->timeout_ms;
    t->config.http2.idle_timeout = st->timeout_ms;
    h2o_hostconf_t *host = h2o_config_register_host(
        &t->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    srv_handler *h = (srv_handler *)h2o_create_handler(path, sizeof *h);
    h->super.on_req = on_req;
    h->t = t;
    t->loop = h2o_evloop_create();
    h2o_context_init(&t->ctx, t->loop, &t->config);
    t->accept.ctx = &t->ctx;
    t->accept.hosts = t->config.hosts;
    t->listener =
        h2o_evloop_socket_create(t->loop, t->fd, H2O_SOCKET_FLAG_DONT_READ);
    t->listener->data = t;
    h2o_socket_read_start(t->listener, on_accept);
}

static int connections_left(srv_thread *t)
{
    return !h2o_linklist_is_empty(&t->ctx.http1._conns) ||
           !h2o_linklist_is_empty(&t->ctx.http2._conns);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Serves until told to stop; then stops accepting, lets the connections
** finish what they are doing (h2o closes idle ones), and returns. */
static void *run(void *arg)
{
    srv_thread *t = arg;
    while (!atomic_load(t->stop)) {
        h2o_evloop_run(t->loop, 100);
        srv_worker_refresh(t->w); /* an idle worker lets go of old estates */
    }
    h2o_socket_read_stop(t->listener);
    h2o_socket_close(t->listener);
    t->listener = NULL;
    h2o_context_request_shutdown(&t->ctx);
    uint64_t deadline = now_ms() + t->shutdown_ms;
    while (connections_left(t) && now_ms() < deadline)
        h2o_evloop_run(t->loop, 50);
    if (!connections_left(t)) {
        /* Sockets still open past the deadline would be freed under h2o:
        ** then the process exit reclaims everything instead. */
        h2o_evloop_run(t->loop, 0); /* closes that were pending */
        /* The HTTP/2 graceful-shutdown timer outlives the connections. */
        if (h2o_timeout_is_linked(&t->ctx.http2._graceful_shutdown_timeout))
            h2o_timeout_unlink(&t->ctx.http2._graceful_shutdown_timeout);
        h2o_context_dispose(&t->ctx);
        h2o_evloop_destroy(t->loop);
        h2o_config_dispose(&t->config);
    }
    return NULL;
}

struct srv_http {
    srv_thread *threads;
    int n;
};

srv_http *srv_http_start(srv_state *s, srv_worker *workers, int n,
                         atomic_int *stop, char *err, size_t cap)
{
    srv_http *h = calloc(1, sizeof *h);
    srv_thread *t = h ? calloc((size_t)n, sizeof *t) : NULL;
    if (t == NULL) {
        free(h);
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    h->threads = t;
    int fd = open_listener(s->settings->listen, err, cap);
    for (int i = 0; fd >= 0 && i < n; i++) {
        /* Each loop closes its own descriptor of the one socket. */
        t[i].fd = i == 0 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (t[i].fd < 0) {
            snprintf(err, cap, "cannot listen: %s", strerror(errno));
            for (int k = 0; k < i; k++)
                close(t[k].fd);
            fd = -1;
        }
    }
    if (fd < 0) {
        free(t);
        free(h);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        t[i].w = &workers[i];
        t[i].stop = stop;
        t[i].shutdown_ms = s->settings->shutdown_ms;
        setup(&t[i], s->settings);
        if (pthread_create(&t[i].thread, NULL, run, &t[i]) != 0) {
            snprintf(err, cap, "cannot start a worker thread");
            atomic_store(stop, 1);
            h->n = i;
            srv_http_stop(h);
            return NULL;
        }
        h->n = i + 1;
    }
    return h;
}

void srv_http_stop(srv_http *h)
{
    for (int i = 0; i < h->n; i++)
        pthread_join(h->threads[i].thread, NULL);
    free(h->threads);
    free(h);
}
