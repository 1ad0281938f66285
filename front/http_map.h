/*
** http_map.h - an HTTP request to Azure Storage (or Key Vault) as the
** request moat decides: account and endpoint from the host or the path,
** operation from the method, target from the path, auth type from the
** headers and query. Shared by the nginx module and `moat serve`; pure C,
** no server API, so it is fuzzed and unit-tested alone.
*/
#ifndef MOAT_HTTP_MAP_H
#define MOAT_HTTP_MAP_H

#include <stddef.h>

typedef enum http_account_from {
    ACCOUNT_FROM_HOST, /* <account>.blob.core.windows.net */
    ACCOUNT_FROM_PATH  /* /<account>/... as Azurite serves */
} http_account_from;

typedef struct http_in {
    const char *method;
    size_t method_len;
    const char *host; /* the host the request is for (nginx: $host, the
                      ** request line's in absolute form, else the Host
                      ** header's); port allowed */
    size_t host_len;
    const char *host_header; /* the Host header, when it must name the same
                             ** host as host, or NULL */
    size_t host_header_len;
    const char *uri; /* the request target as the client sent it: path and
                     ** query, percent-encoded */
    size_t uri_len;
    const char *path; /* the path the upstream receives, percent-decoded and
                      ** normalised by the server (nginx: $uri), or NULL:
                      ** uri's path, decoded here */
    size_t path_len;
    const char *authorization; /* header value, or NULL */
    size_t authorization_len;
    http_account_from account_from;
    const char *endpoint; /* path style: blob, queue, table, ...; NULL: blob */
} http_in;

typedef enum http_auth {
    HTTP_AUTH_ANONYMOUS,
    HTTP_AUTH_SHARED_KEY, /* AccountKey */
    HTTP_AUTH_SAS,
    HTTP_AUTH_BEARER /* OAuth: the token is in bearer */
} http_auth;

typedef struct http_out {
    char account[64];
    char endpoint[8];      /* blob, dfs, file, queue, table, web, vault */
    const char *operation; /* read, write, delete, list */
    char target[256];      /* container, table, queue or share; "" when none */
    http_auth auth;
    const char *bearer; /* the token, when auth is HTTP_AUTH_BEARER */
    size_t bearer_len;
    int vault; /* a Key Vault host (<vault>.vault.azure.net) */
} http_out;

/* The longest path moat_http_map() decodes itself (in->path NULL): nginx's
** default large_client_header_buffers hold request lines of 8 KiB. */
#define HTTP_MAX_PATH 8192

/* Maps in; 0, or -1 with a reason in err (cap bytes). A request whose
** path an upstream could read as another resource than the one moat
** decides for (dot segments in any encoding, encoded slashes, backslashes,
** empty segments, a fragment: docs/gate.md), or whose host and Host header
** differ, is refused: -1. */
int moat_http_map(const http_in *in, http_out *out, char *err, size_t cap);

/* The auth type's name as moat_request_set() takes it. */
const char *moat_http_auth_name(http_auth a);

#endif
