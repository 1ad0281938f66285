/*
** serve_headers.c - what the request's header lines say, and whether they
** say it one way only.
**
** Framing. A request whose body length two parsers could read differently
** is where request smuggling starts (RFC 9112 section 11.2): a front end
** that counts one length and moat (h2o) another disagree on where the next
** request begins. h2o 2.2.5 takes the first of several Content-Length lines
** and lets Transfer-Encoding win over Content-Length, and keeps the
** connection open; RFC 9112 section 6.3 says a server may reject both
** together and "MUST close the connection after responding to such a
** request". moat refuses them all with 400 and closes.
*/
#include "serve.h"

#include <string.h>
#include <strings.h>

const srv_header *srv_header_find(const srv_request *rq, const char *name,
                                  size_t *count)
{
    size_t n = strlen(name), seen = 0;
    const srv_header *first = NULL;
    for (size_t i = 0; i < rq->n_headers; i++) {
        const srv_header *h = &rq->headers[i];
        if (h->name_len == n && strncasecmp(h->name, name, n) == 0) {
            if (first == NULL)
                first = h;
            seen++;
        }
    }
    if (count)
        *count = seen;
    return first;
}

const char *srv_framing_problem(const srv_request *rq)
{
    size_t lengths, codings;
    srv_header_find(rq, "content-length", &lengths);
    srv_header_find(rq, "transfer-encoding", &codings);
    if (lengths > 1)
        return "more than one Content-Length line: the body's length is "
               "ambiguous (RFC 9112 section 6.3)";
    if (lengths && codings)
        return "both Content-Length and Transfer-Encoding: the body's "
               "length is ambiguous (RFC 9112 section 6.3)";
    if (codings > 1)
        return "more than one Transfer-Encoding line (RFC 9112 section "
               "6.1)";
    for (size_t i = 0; i < rq->n_headers; i++)
        if (rq->headers[i].name_len == 0)
            return "a header line folded onto the previous one (obs-fold, "
                   "RFC 9112 section 5.2)";
    return NULL;
}
