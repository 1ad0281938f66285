/*
** test_front.c - the front-end helpers the gate and moat serve share:
** HTTP requests mapped to moat's request fields, the topology file, and
** bearer tokens minted and verified (RS256, ES256), refused when expired,
** early, for another issuer or audience, tampered with, or signed by
** another key.
*/
#include "harness.h"
#include "http_map.h"
#include "jwt.h"
#include "topology.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

static int map(const char *method, const char *host, const char *uri,
               const char *auth, http_account_from from, http_out *out)
{
    http_in in;
    memset(&in, 0, sizeof in);
    in.method = method;
    in.method_len = strlen(method);
    in.host = host;
    in.host_len = host ? strlen(host) : 0;
    in.uri = uri;
    in.uri_len = strlen(uri);
    in.authorization = auth;
    in.authorization_len = auth ? strlen(auth) : 0;
    in.account_from = from;
    in.endpoint = from == ACCOUNT_FROM_PATH ? "blob" : NULL;
    char err[128];
    return http_map(&in, out, err, sizeof err);
}

TEST(http_map_host_style)
{
    http_out o;
    ASSERT_EQ(map("GET", "stdata.blob.core.windows.net:443",
                  "/%24logs/2026/blob.log?sv=1&sig=abc", NULL,
                  ACCOUNT_FROM_HOST, &o),
              0);
    ASSERT_STR(o.account, "stdata");
    ASSERT_STR(o.endpoint, "blob");
    ASSERT_STR(o.target, "$logs");
    ASSERT_STR(o.operation, "read");
    ASSERT_EQ(o.auth, HTTP_AUTH_SAS);
    ASSERT_EQ(map("GET", "stdata-secondary.table.core.windows.net",
                  "/$MetricsHourPrimaryTransactionsBlob(PartitionKey='a')",
                  "SharedKey stdata:x", ACCOUNT_FROM_HOST, &o),
              0);
    ASSERT_STR(o.account, "stdata");
    ASSERT_STR(o.endpoint, "table");
    ASSERT_STR(o.target, "$MetricsHourPrimaryTransactionsBlob");
    ASSERT_EQ(o.auth, HTTP_AUTH_SHARED_KEY);
    ASSERT_EQ(map("GET", "stdata.table.core.windows.net", "/Tables", NULL,
                  ACCOUNT_FROM_HOST, &o),
              0);
    ASSERT_STR(o.operation, "list");
    ASSERT_EQ(map("GET", "kv1.vault.azure.net", "/secrets/s", "Bearer a.b.c",
                  ACCOUNT_FROM_HOST, &o),
              0);
    ASSERT(o.vault);
    ASSERT_EQ(o.auth, HTTP_AUTH_BEARER);
    ASSERT_EQ(o.bearer_len, 5);
    ASSERT_EQ(map("GET", "localhost", "/", NULL, ACCOUNT_FROM_HOST, &o), -1);
}

TEST(http_map_path_style)
{
    http_out o;
    ASSERT_EQ(map("PUT", "127.0.0.1:10000", "/devstoreaccount1/c1/b?comp=block",
                  NULL, ACCOUNT_FROM_PATH, &o),
              0);
    ASSERT_STR(o.account, "devstoreaccount1");
    ASSERT_STR(o.target, "c1");
    ASSERT_STR(o.operation, "write");
    ASSERT_EQ(map("GET", NULL, "/devstoreaccount1?comp=list", NULL,
                  ACCOUNT_FROM_PATH, &o),
              0);
    ASSERT_STR(o.operation, "list");
    ASSERT_STR(o.target, "");
    ASSERT_EQ(map("DELETE", NULL, "/a/c/b", NULL, ACCOUNT_FROM_PATH, &o), 0);
    ASSERT_STR(o.operation, "delete");
    ASSERT_EQ(map("GET", NULL, "/", NULL, ACCOUNT_FROM_PATH, &o), -1);
    ASSERT_EQ(map("GET", NULL, "/a%00b/c", NULL, ACCOUNT_FROM_PATH, &o), -1);
}

static struct sockaddr_in v4(const char *ip, int port)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &sa.sin_addr);
    return sa;
}

TEST(topology_subnets_and_listeners)
{
    static const char doc[] =
        "{\"subnets\": [{\"addresses\": [\"127.0.1.0/24\"], \"subnet\": "
        "\"/s/a\"}, {\"addresses\": [\"127.0.1.128/25\", \"::1\"], "
        "\"subnet\": \"/s/b\"}], \"private_endpoints\": [{\"listen\": "
        "\"127.0.0.1:10010\", \"private_endpoint\": \"/p/1\"}]}";
    char err[128];
    topology *t = topology_load(doc, sizeof doc - 1, err, sizeof err);
    ASSERT(t != NULL);
    struct sockaddr_in a = v4("127.0.1.5", 1), b = v4("127.0.1.200", 1),
                       c = v4("127.0.2.1", 1);
    ASSERT_STR(topology_subnet(t, (struct sockaddr *)&a), "/s/a");
    ASSERT_STR(topology_subnet(t, (struct sockaddr *)&b), "/s/b");
    ASSERT(topology_subnet(t, (struct sockaddr *)&c) == NULL);
    struct sockaddr_in l1 = v4("127.0.0.1", 10010), l2 = v4("127.0.0.1", 10000);
    ASSERT_STR(topology_private_endpoint(t, (struct sockaddr *)&l1), "/p/1");
    ASSERT(topology_private_endpoint(t, (struct sockaddr *)&l2) == NULL);
    topology_free(t);
    static const char bad[] = "{\"subnets\": [{\"addresses\": [\"300.1.1.1\"], "
                              "\"subnet\": \"/s/a\"}]}";
    ASSERT(topology_load(bad, sizeof bad - 1, err, sizeof err) == NULL);
    ASSERT(strstr(err, "subnets[0].addresses") != NULL);
}

static int verify(const jwt_keys *k, const char *tok, const char *iss,
                  const char *aud, int64_t now, jwt_claims *c)
{
    jwt_policy p = {iss, aud, now, 60};
    char err[128];
    return jwt_verify(k, tok, strlen(tok), &p, c, err, sizeof err);
}

static void round_trip(const char *alg, int *failed_)
{
    char err[128];
    jwt_signer *s = jwt_signer_generate(alg, "k1", err, sizeof err);
    ASSERT(s != NULL);
    char *jwks = jwt_signer_jwks(s);
    jwt_keys *k = jwt_keys_load(jwks, strlen(jwks), err, sizeof err);
    ASSERT(k != NULL);
    jwt_claims c;
    memset(&c, 0, sizeof c);
    strcpy(c.tid, "t1");
    strcpy(c.oid, "o1");
    strcpy(c.iss, "https://sts.windows.net/t1/");
    strcpy(c.xms_mirid, "/subscriptions/s/resourceGroups/g/providers/"
                        "Microsoft.RecoveryServices/vaults/v");
    char *tok = jwt_sign(s, &c, "https://storage.azure.com/", 1000000, 3600);
    ASSERT(tok != NULL);
    jwt_claims got;
    ASSERT_EQ(verify(k, tok, "https://sts.windows.net/t1/",
                     "https://storage.azure.com/", 1000100, &got),
              0);
    ASSERT_STR(got.tid, "t1");
    ASSERT_STR(got.xms_mirid, c.xms_mirid);
    /* Refusals. */
    ASSERT(verify(k, tok, NULL, NULL, 1000000 + 3600 + 61, &got) != 0);
    ASSERT(verify(k, tok, NULL, NULL, 1000000 - 61, &got) != 0);
    ASSERT(verify(k, tok, "https://evil/", NULL, 1000100, &got) != 0);
    ASSERT(verify(k, tok, NULL, "https://vault.azure.net", 1000100, &got) != 0);
    char *bad = strdup(tok);
    char *dot = strchr(bad, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A'; /* the payload changed */
    ASSERT(verify(k, bad, NULL, NULL, 1000100, &got) != 0);
    free(bad);
    jwt_signer *other = jwt_signer_generate(alg, "k1", err, sizeof err);
    char *forged =
        jwt_sign(other, &c, "https://storage.azure.com/", 1000000, 3600);
    ASSERT(verify(k, forged, NULL, NULL, 1000100, &got) != 0);
    /* A PEM round trip signs the same. */
    char *pem = jwt_signer_pem(s);
    jwt_signer *again =
        jwt_signer_load(pem, strlen(pem), "k1", err, sizeof err);
    char *tok2 = jwt_sign(again, &c, NULL, 1000000, 3600);
    ASSERT_EQ(verify(k, tok2, NULL, NULL, 1000100, &got), 0);
    free(tok2);
    free(pem);
    jwt_signer_free(again);
    free(forged);
    jwt_signer_free(other);
    free(tok);
    jwt_keys_free(k);
    free(jwks);
    jwt_signer_free(s);
}

TEST(jwt_rs256)
{
    round_trip("RS256", failed_);
}

TEST(jwt_es256)
{
    round_trip("ES256", failed_);
}

TEST(jwt_refuses_malformed)
{
    static const char *const bad[] = {
        "",
        "a",
        "a.b",
        "a.b.c.d",
        "eyJhbGciOiJub25lIn0.e30.",
        "eyJhbGciOiJIUzI1NiJ9.e30.AAAA",
        "!!.??.**",
    };
    char err[128];
    jwt_signer *s = jwt_signer_generate("ES256", "k", err, sizeof err);
    char *jwks = jwt_signer_jwks(s);
    jwt_keys *k = jwt_keys_load(jwks, strlen(jwks), err, sizeof err);
    jwt_claims c;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ASSERT(verify(k, bad[i], NULL, NULL, 0, &c) != 0);
    ASSERT(jwt_keys_load("{}", 2, err, sizeof err) == NULL);
    ASSERT(jwt_keys_load("{\"keys\": [{\"kty\": \"RSA\", \"n\": \"AQAB\", "
                         "\"e\": \"AQAB\"}]}",
                         58, err, sizeof err) == NULL); /* too short */
    jwt_keys_free(k);
    free(jwks);
    jwt_signer_free(s);
}

/*--------------------------------------------------------------------------
** gate.c: one HTTP request decided, logged and refused as Azure does.
*/
#include "gate.h"

#include <cjson/cJSON.h>

static const char gate_estate[] =
    "[{\"id\": \"/subscriptions/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/"
    "resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1\","
    "\"name\": \"st1\", \"type\": \"Microsoft.Storage/storageAccounts\","
    "\"location\": \"westeurope\", \"properties\": {\"networkAcls\": "
    "{\"defaultAction\": \"Deny\", \"ipRules\": [{\"value\": "
    "\"25.1.2.3\"}]}}},"
    "{\"id\": \"/subscriptions/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/"
    "resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1\","
    "\"name\": \"kv1\", \"type\": \"Microsoft.KeyVault/vaults\","
    "\"location\": \"westeurope\", \"properties\": {\"tenantId\": "
    "\"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0\", \"networkAcls\": "
    "{\"defaultAction\": \"Deny\"}}},"
    "{\"id\": \"/subscriptions/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/"
    "resourceGroups/rg/providers/Microsoft.KeyVault/vaults/KvOff\","
    "\"type\": \"Microsoft.KeyVault/vaults\", \"location\": \"North Europe\","
    "\"properties\": {\"tenantId\": \"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0\","
    "\"publicNetworkAccess\": \"Disabled\"}},"
    "{\"id\": \"/subscriptions/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/"
    "resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kvnone\","
    "\"type\": \"Microsoft.KeyVault/vaults\", \"location\": \"westeurope\","
    "\"properties\": {\"tenantId\": \"0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0\","
    "\"publicNetworkAccess\": \"Disabled\", \"networkAcls\": "
    "{\"defaultAction\": \"Deny\", \"bypass\": \"None\"}}}]";

static int gate_run(const moat_estate *es, moat_request *q, moat_explanation *x,
                    const char *host, const char *uri, const char *ip,
                    gate_verdict *v)
{
    gate_config cfg = {es, NULL, NULL, {NULL, NULL, 0, 60}};
    gate_input in;
    memset(&in, 0, sizeof in);
    in.http.method = "GET";
    in.http.method_len = 3;
    in.http.host = host;
    in.http.host_len = strlen(host);
    in.http.uri = uri;
    in.http.uri_len = strlen(uri);
    in.http.account_from = ACCOUNT_FROM_HOST;
    in.source_ip = ip;
    return gate_decide(&cfg, q, x, &in, v);
}

/* Key Vault's refusal body for a request from 8.8.8.8 to host: its inner
** code, and its message. */
static int vault_body(const moat_estate *es, moat_request *q, const char *host,
                      char *code, char *message, size_t cap)
{
    gate_verdict v;
    char body[4096], id[37] = "id";
    const char *type;
    if (gate_run(es, q, NULL, host, "/secrets/s", "8.8.8.8", &v) != 0)
        return -1;
    gate_denial_body(&v, id, "now", body, sizeof body, &type);
    cJSON *j = cJSON_Parse(body);
    cJSON *e = cJSON_GetObjectItem(j, "error");
    cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(e, "innererror"), "code");
    cJSON *m = cJSON_GetObjectItem(e, "message");
    int ok = strcmp(type, "application/json; charset=utf-8") == 0 &&
             cJSON_IsString(c) && cJSON_IsString(m);
    if (ok) {
        snprintf(code, cap, "%s", c->valuestring);
        snprintf(message, cap, "%s", m->valuestring);
    }
    cJSON_Delete(j);
    return ok ? 0 : -1;
}

/* Key Vault's bodies as Azure answers them: the inner code follows the
** category (decision.md section 3), the message the code and the bypass. */
TEST(gate_vault_refusal_bodies)
{
    moat_estate *es = harness_estate(gate_estate, 0);
    ASSERT(es != NULL);
    moat_request *q = moat_request_new(es);
    char code[2048], msg[2048];
    ASSERT_EQ(vault_body(es, q, "kv1.vault.azure.net", code, msg, sizeof msg),
              0);
    ASSERT_STR(code, "ForbiddenByFirewall");
    ASSERT_STR(msg, "Client address is not authorized and caller is not a "
                    "trusted service.\r\nClient address: 8.8.8.8\r\n"
                    "Caller: unknown\r\nVault: kv1;location=westeurope");
    ASSERT_EQ(vault_body(es, q, "kvoff.vault.azure.net", code, msg, sizeof msg),
              0);
    ASSERT_STR(code, "ForbiddenByConnection");
    ASSERT_STR(msg, "Public network access is disabled and request is not "
                    "from a trusted service nor via an approved private "
                    "link.\r\nCaller: unknown\r\nVault: KvOff;location="
                    "northeurope");
    ASSERT_EQ(
        vault_body(es, q, "kvnone.vault.azure.net", code, msg, sizeof msg), 0);
    ASSERT_STR(code, "ForbiddenByConnection");
    ASSERT_STR(msg, "Connection is not an approved private link and caller "
                    "was ignored because bypass is not set to "
                    "'AzureServices' and PublicNetworkAccess is set to "
                    "'Disabled'.\r\nVault: kvnone;location=westeurope");
    /* The library's message without a front end: nothing on an allow,
    ** Storage's sentence, and snprintf's convention. */
    moat_decision d;
    moat_request_reset(q);
    ASSERT_EQ(moat_request_set(q, MOAT_REQ_RESOURCE, "st1", 3, NULL), MOAT_OK);
    ASSERT_EQ(moat_request_set(q, MOAT_REQ_SOURCE_IP, "25.1.2.3", 8, NULL),
              MOAT_OK);
    ASSERT_EQ(moat_decide(q, &d), MOAT_OK);
    ASSERT_EQ(moat_refusal_message(q, &d, NULL, msg, sizeof msg), 0);
    ASSERT_STR(msg, "");
    ASSERT_EQ(moat_request_set(q, MOAT_REQ_SOURCE_IP, "8.8.8.8", 7, NULL),
              MOAT_OK);
    ASSERT_EQ(moat_decide(q, &d), MOAT_OK);
    size_t n = moat_refusal_message(q, &d, NULL, msg, 10);
    ASSERT_EQ(n, strlen("This request is not authorized to perform this "
                        "operation."));
    ASSERT_STR(msg, "This requ");
    moat_request_free(q);
    moat_estate_free(es);
}

TEST(gate_decides_logs_and_refuses)
{
    moat_estate *es = harness_estate(gate_estate, 0);
    ASSERT(es != NULL);
    moat_request *q = moat_request_new(es);
    moat_explanation *x = moat_explanation_new();
    gate_verdict v;
    ASSERT_EQ(
        gate_run(es, q, x, "st1.blob.core.windows.net", "/c/b", "25.1.2.3", &v),
        0);
    ASSERT(gate_allows(&v));
    ASSERT_STR(gate_category(&v), "ResIpRule");
    ASSERT_STR(v.rule, "networkAcls.ipRules[0] 25.1.2.3");
    ASSERT_EQ(gate_run(es, q, NULL, "st1.blob.core.windows.net", "/c/b",
                       "8.8.8.8", &v),
              0);
    ASSERT(!gate_allows(&v));
    ASSERT_STR(v.rule, "");
    char line[4096], body[1024], id[37];
    size_t n = gate_log_line(&v, "2026-11-22T10:00:00Z", "on", "GET /c/b", 8,
                             line, sizeof line);
    ASSERT(n > 0 && line[n - 1] == '\n');
    cJSON *j = cJSON_Parse(line);
    ASSERT(j != NULL);
    ASSERT_STR(cJSON_GetObjectItem(j, "resultAction")->valuestring, "Denied");
    ASSERT_STR(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "source"), "ipAddress")
            ->valuestring,
        "8.8.8.8");
    ASSERT_STR(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "destination"), "account")
            ->valuestring,
        "st1");
    cJSON_Delete(j);
    gate_request_id(id);
    ASSERT_EQ(strlen(id), 36);
    ASSERT(id[14] == '4' && id[19] == 'a');
    const char *type;
    n = gate_denial_body(&v, id, "now", body, sizeof body, &type);
    ASSERT_STR(type, "application/xml");
    ASSERT(strstr(body, "<Code>AuthorizationFailure</Code>") != NULL);
    ASSERT(strstr(body, id) != NULL && n == strlen(body));
    /* A vault answers JSON with ForbiddenByFirewall. */
    ASSERT_EQ(gate_run(es, q, NULL, "kv1.vault.azure.net", "/secrets/s",
                       "8.8.8.8", &v),
              0);
    gate_denial_body(&v, id, "now", body, sizeof body, &type);
    ASSERT(strstr(type, "application/json") == type);
    j = cJSON_Parse(body);
    ASSERT(j != NULL);
    ASSERT_STR(
        cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "innererror"),
            "code")
            ->valuestring,
        "ForbiddenByFirewall");
    cJSON_Delete(j);
    /* An unknown account is an error, and an error denies. */
    ASSERT_EQ(gate_run(es, q, NULL, "nosuch.blob.core.windows.net", "/c",
                       "25.1.2.3", &v),
              -1);
    ASSERT(v.error && !gate_allows(&v));
    ASSERT_STR(gate_category(&v), "MoatInternalError");
    ASSERT(strstr(v.why, "nosuch") != NULL);
    /* No estate at all. */
    gate_config none = {NULL, NULL, NULL, {NULL, NULL, 0, 60}};
    gate_input in;
    memset(&in, 0, sizeof in);
    ASSERT_EQ(gate_decide(&none, q, NULL, &in, &v), -1);
    ASSERT(!gate_allows(&v));
    moat_explanation_free(x);
    moat_request_free(q);
    moat_estate_free(es);
}
