/*
** fuzz_serve.c - moat serve's request handling (serve/serve_endpoints.c)
** on arbitrary requests: method, path, headers and body from the input.
** No crash, no leak; every answer is one the service documents: an authz
** allow is 200 with no body, a deny is 403 with Azure's body, a /v1/check
** 200 is JSON, and nothing is ever allowed on an error.
**
** Input: "METHOD PATH\n" then "name: value\n" lines, an empty line, and the
** body.
*/
#include "serve.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char estate_json[] =
    "[{\"id\": \"/subscriptions/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\","
    "\"type\": \"Microsoft.Resources/subscriptions\","
    "\"subscriptionId\": \"5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\","
    "\"tenantId\": \"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0\"},"
    "{\"id\": \"/subscriptions/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/"
    "resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stopen\","
    "\"name\": \"stopen\", \"type\": \"Microsoft.Storage/storageAccounts\","
    "\"location\": \"westeurope\", \"properties\": {\"networkAcls\": "
    "{\"defaultAction\": \"Deny\", \"bypass\": \"Logging\", \"ipRules\": "
    "[{\"value\": \"127.0.0.5\"}, {\"value\": \"25.0.0.0/8\"}]}}},"
    "{\"id\": \"/subscriptions/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/"
    "resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kvone\","
    "\"name\": \"kvone\", \"type\": \"Microsoft.KeyVault/vaults\","
    "\"location\": \"westeurope\", \"properties\": {\"tenantId\": "
    "\"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0\", \"networkAcls\": "
    "{\"defaultAction\": \"Deny\"}}}]";

static srv_settings settings;
static srv_state state;
static srv_worker worker, *workers[1];

static void setup(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    settings.account_from = ACCOUNT_FROM_PATH;
    settings.listen = "fuzz";
    pthread_mutex_init(&state.lock, NULL);
    state.settings = &settings;
    state.log_fd = -1;
    moat_loader *ld = moat_loader_new(0);
    moat_loader_add_json(ld, "fuzz.json", estate_json, sizeof estate_json - 1);
    srv_snapshot *s = calloc(1, sizeof *s);
    if (moat_loader_finish(ld, &s->estate) != MOAT_OK)
        __builtin_trap();
    moat_loader_free(ld);
    s->refs = 1;
    s->revision = 1;
    state.current = s;
    atomic_store(&state.revision, 1);
    if (srv_worker_init(&worker, &state) != 0)
        __builtin_trap();
    workers[0] = &worker;
    worker.all = workers;
    worker.n_all = 1;
}

/* The next line of [*p, end): its start and length; *p moves past it. */
static const char *line(const char **p, const char *end, size_t *n)
{
    const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
    *n = (size_t)((nl ? nl : end) - s);
    *p = nl ? nl + 1 : end;
    return s;
}

/* Lines named name in the request. */
static size_t count(const srv_request *rq, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; i < rq->n_headers; i++)
        n += rq->headers[i].name_len == strlen(name) &&
             strncasecmp(rq->headers[i].name, name, strlen(name)) == 0;
    return n;
}

static void check_response(const srv_request *rq, const srv_response *rs)
{
    size_t lengths = count(rq, "content-length");
    size_t codings = count(rq, "transfer-encoding");
    if ((lengths > 1 || (lengths && codings) || count(rq, "host") > 1) &&
        rs->status != 431 && (rs->status != 400 || !rs->close))
        __builtin_trap(); /* an ambiguous head is refused, and closed */
    if (rs->endpoint == SRV_EP_AUTHZ) {
        const char *decision = NULL;
        for (size_t i = 0; i < rs->n_headers; i++)
            if (strcmp(rs->headers[i].name, "x-moat-decision") == 0)
                decision = rs->headers[i].value;
        if (decision == NULL)
            __builtin_trap();
        int allow = strcmp(decision, "allow") == 0;
        if (allow != (rs->status == 200) || (allow && rs->body_len) ||
            (!allow && ((rs->status != 403 && rs->status != 400) ||
                        rs->body_len == 0)))
            __builtin_trap(); /* an allow must be exactly a bodiless 200 */
        for (size_t i = 0; i < rs->n_headers; i++)
            if (strcmp(rs->headers[i].name, "x-moat-error") == 0 && allow)
                __builtin_trap(); /* an error never allows */
    }
    if (rs->endpoint == SRV_EP_CHECK) {
        /* Always JSON; a single request not decided is an error object
        ** under a status that says why, never a 200. */
        cJSON *j = cJSON_ParseWithLength(rs->body, rs->body_len);
        if (j == NULL ||
            (cJSON_IsObject(j) &&
             (rs->status == 200) == cJSON_HasObjectItem(j, "error")))
            __builtin_trap();
        cJSON_Delete(j);
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    setup();
    /* Both trust models, and one or two hops, chosen by the input. */
    settings.trusted = size & 1 ? 0x7fu : 0;
    settings.forwarded_hops = size & 2 ? 2 : 1;
    const char *p = (const char *)data, *end = p + size;
    size_t n;
    const char *first = line(&p, end, &n);
    const char *sp = memchr(first, ' ', n);
    if (sp == NULL)
        return 0;
    srv_header headers[32];
    size_t nh = 0;
    while (p < end && nh < 32) {
        size_t len;
        const char *h = line(&p, end, &len);
        if (len == 0)
            break;
        const char *colon = memchr(h, ':', len);
        if (colon == NULL)
            continue;
        const char *v = colon + 1;
        while (v < h + len && *v == ' ')
            v++;
        headers[nh++] =
            (srv_header){h, (size_t)(colon - h), v, (size_t)(h + len - v)};
    }
    srv_request rq = {first,   (size_t)(sp - first),
                      sp + 1,  (size_t)(first + n - sp - 1),
                      headers, nh,
                      p,       (size_t)(end - p),
                      NULL,    NULL,
                      /* the version from the input too: 1.0, 1.1, 2 */
                      size & 4 ? 0x101 : size & 8 ? 0x200 : 0x100};
    srv_response rs;
    srv_handle(&worker, &rq, &rs);
    check_response(&rq, &rs);
    return 0;
}
