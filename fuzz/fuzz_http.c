/*
** fuzz_http.c - the gate's request mapping (front/http_map.c) on arbitrary
** requests: the input is method, host, URI, Authorization, the server's
** normalised path and the Host header separated by newlines, the first
** byte picking host or path style, the endpoint, whether there is a
** normalised path (as nginx's $uri) or the URI's is decoded by the mapping
** (as moat serve's), and whether a Host header must agree with the host.
** Mapping never crashes; what it maps is always a request moat can take:
** an account, a known endpoint and operation, a target that is one path
** segment without NUL.
*/
#include "http_map.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *field(const char **p, const char *end, size_t *len)
{
    const char *s = *p;
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *e = nl ? nl : end;
    *len = (size_t)(e - s);
    *p = nl ? nl + 1 : end;
    return s;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    http_in in;
    memset(&in, 0, sizeof in);
    in.account_from = data[0] & 1 ? ACCOUNT_FROM_PATH : ACCOUNT_FROM_HOST;
    in.endpoint = data[0] & 2 ? "table" : NULL;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    in.method = field(&p, end, &in.method_len);
    in.host = field(&p, end, &in.host_len);
    in.uri = field(&p, end, &in.uri_len);
    in.authorization = field(&p, end, &in.authorization_len);
    if (data[0] & 4)
        in.path = field(&p, end, &in.path_len);
    if (data[0] & 8)
        in.host_header = field(&p, end, &in.host_header_len);
    http_out out;
    char err[128];
    if (moat_http_map(&in, &out, err, sizeof err) != 0) {
        if (err[0] == '\0')
            __builtin_trap(); /* a refusal always says why */
        return 0;
    }
    if (out.account[0] == '\0' || out.operation == NULL ||
        out.endpoint[0] == '\0' ||
        memchr(out.target, '\0', sizeof out.target) == NULL ||
        strchr(out.target, '/') != NULL)
        __builtin_trap();
    if (out.auth == HTTP_AUTH_BEARER &&
        (out.bearer < in.authorization ||
         out.bearer + out.bearer_len > in.authorization + in.authorization_len))
        __builtin_trap();
    return 0;
}
