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
    return moat_http_map(&in, out, err, sizeof err);
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

/* Paths an upstream could read as another resource than the one moat
** decides for: refused, whether moat decodes the raw target itself (moat
** serve's X-Original-URI) or the server gives its normalised path. */
TEST(http_map_refuses_ambiguous_paths)
{
    static const char *const bad[] = {
        "/pub/../shipments/c/b",
        "/shipments/$logs/../manifests/secret.csv",
        "/shipments/$logs/..",
        "/shipments/$logs/./x",
        "/pub/%2E%2E/shipments/c",
        "/pub/%2e./shipments/c",
        "/pub/.%2E/shipments/c",
        "/pub/..%2Fshipments/c",
        "/pub%2F..%2Fshipments/c",
        "/shipments/$logs/..;/manifests/x",
        "/shipments/$logs/..%3Bx/manifests/x",
        "/shipments/$logs/..\\manifests/x",
        "/shipments/$logs/%5C..%5Cmanifests/x",
        "/shipments/$logs/%252E%252E/manifests/x",
        "/shipments/$logs/a%252Fb",
        "/shipments//$logs/b",
        "/shipments/$logs/b%00",
        "/shipments/$logs/b%zz",
        "/shipments/$logs/b%2",
        "/pub/c#/../../shipments/c",
        "/pub/c?x=1#frag",
        "shipments/$logs/b",
        "*",
        "",
    };
    http_out o;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (map("GET", NULL, bad[i], NULL, ACCOUNT_FROM_PATH, &o) != -1)
            FAIL_AT("path style mapped %s", bad[i]);
        if (map("GET", "shipments.blob.core.windows.net", bad[i], NULL,
                ACCOUNT_FROM_HOST, &o) != -1)
            FAIL_AT("host style mapped %s", bad[i]);
    }
    /* Dots that are not dot segments, a trailing slash, dots in the query:
    ** names like any other. */
    ASSERT_EQ(map("GET", NULL, "/pub/c/a.b/..x/.../b.?p=a/../b", NULL,
                  ACCOUNT_FROM_PATH, &o),
              0);
    ASSERT_STR(o.target, "c");
    ASSERT_EQ(map("GET", NULL, "/pub/", NULL, ACCOUNT_FROM_PATH, &o), 0);
    ASSERT_STR(o.target, "");
    ASSERT_EQ(
        map("GET", NULL, "/pub/%24logs/a%2Bb%20c", NULL, ACCOUNT_FROM_PATH, &o),
        0);
    ASSERT_STR(o.target, "$logs");
}

/* The server's normalised path is what moat decides on, as it is: decoded
** once already (nginx's $uri), so "%24logs" there is a name of its own. */
TEST(http_map_decides_on_the_servers_path)
{
    http_in in;
    memset(&in, 0, sizeof in);
    in.method = "GET";
    in.method_len = 3;
    in.uri = "/shipments/%24logs/b";
    in.uri_len = strlen(in.uri);
    in.path = "/shipments/$logs/b";
    in.path_len = strlen(in.path);
    in.account_from = ACCOUNT_FROM_PATH;
    http_out o;
    char err[128];
    ASSERT_EQ(moat_http_map(&in, &o, err, sizeof err), 0);
    ASSERT_STR(o.account, "shipments");
    ASSERT_STR(o.target, "$logs");
    in.uri = "/shipments/%2524logs/b"; /* $uri: /shipments/%24logs/b */
    in.uri_len = strlen(in.uri);
    in.path = "/shipments/%24logs/b";
    in.path_len = strlen(in.path);
    ASSERT_EQ(moat_http_map(&in, &o, err, sizeof err), 0);
    ASSERT_STR(o.target, "%24logs");
    /* A rewritten $uri with a dot segment is refused like a raw one. */
    in.uri = "/pub/c";
    in.uri_len = strlen(in.uri);
    in.path = "/pub/../shipments/c";
    in.path_len = strlen(in.path);
    ASSERT_EQ(moat_http_map(&in, &o, err, sizeof err), -1);
    ASSERT(strstr(err, "dot segment") != NULL);
}

/* The methods Azure serves, by what they do; any other is refused, and
** methods are case-sensitive. */
TEST(http_map_methods)
{
    static const struct {
        const char *method, *operation;
    } served[] = {{"GET", "read"},    {"HEAD", "read"},    {"OPTIONS", "read"},
                  {"PUT", "write"},   {"POST", "write"},   {"PATCH", "write"},
                  {"MERGE", "write"}, {"DELETE", "delete"}};
    http_out o;
    for (size_t i = 0; i < sizeof served / sizeof served[0]; i++) {
        ASSERT_EQ(map(served[i].method, NULL, "/a/$logs/b", NULL,
                      ACCOUNT_FROM_PATH, &o),
                  0);
        ASSERT_STR(o.operation, served[i].operation);
    }
    static const char *const unserved[] = {
        "COPY", "MOVE", "MKCOL", "LOCK", "PROPFIND", "TRACE", "CONNECT",
        "get",  "Put",  "GETX",  "GE",   "",         "FOO"};
    for (size_t i = 0; i < sizeof unserved / sizeof unserved[0]; i++)
        if (map(unserved[i], NULL, "/a/$logs/b", NULL, ACCOUNT_FROM_PATH, &o) !=
            -1)
            FAIL_AT("method \"%s\" was mapped", unserved[i]);
}

static int map_hosts(const char *host, const char *host_header,
                     http_account_from from, http_out *out)
{
    http_in in;
    memset(&in, 0, sizeof in);
    in.method = "GET";
    in.method_len = 3;
    in.host = host;
    in.host_len = strlen(host);
    in.host_header = host_header;
    in.host_header_len = host_header ? strlen(host_header) : 0;
    in.uri = "/a/c/b";
    in.uri_len = 6;
    in.account_from = from;
    char err[128];
    return moat_http_map(&in, out, err, sizeof err);
}

/* The request line's host (nginx's $host) and the Host header must name
** one host, as nginx compares them: case, port and a trailing dot aside. */
TEST(http_map_refuses_two_hosts)
{
    http_out o;
    ASSERT_EQ(map_hosts("shipments.blob.core.windows.net",
                        "public.blob.core.windows.net", ACCOUNT_FROM_HOST, &o),
              -1);
    ASSERT_EQ(map_hosts("shipments.blob.core.windows.net",
                        "shipments.blob.core.windows.net.evil",
                        ACCOUNT_FROM_HOST, &o),
              -1);
    ASSERT_EQ(map_hosts("a.blob.core.windows.net", "b", ACCOUNT_FROM_PATH, &o),
              -1);
    ASSERT_EQ(map_hosts("shipments.blob.core.windows.net",
                        "Shipments.Blob.Core.Windows.Net.:443",
                        ACCOUNT_FROM_HOST, &o),
              0);
    ASSERT_STR(o.account, "shipments");
    ASSERT_EQ(map_hosts("[::1]:8080", "[::1]", ACCOUNT_FROM_PATH, &o), 0);
    ASSERT_EQ(map_hosts("[::1]", "[::2]", ACCOUNT_FROM_PATH, &o), -1);
    ASSERT_EQ(map_hosts("shipments.blob.core.windows.net", NULL,
                        ACCOUNT_FROM_HOST, &o),
              0);
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
    topology *t = moat_topology_load(doc, sizeof doc - 1, err, sizeof err);
    ASSERT(t != NULL);
    struct sockaddr_in a = v4("127.0.1.5", 1), b = v4("127.0.1.200", 1),
                       c = v4("127.0.2.1", 1);
    ASSERT_STR(moat_topology_subnet(t, (struct sockaddr *)&a), "/s/a");
    ASSERT_STR(moat_topology_subnet(t, (struct sockaddr *)&b), "/s/b");
    ASSERT(moat_topology_subnet(t, (struct sockaddr *)&c) == NULL);
    struct sockaddr_in l1 = v4("127.0.0.1", 10010), l2 = v4("127.0.0.1", 10000);
    ASSERT_STR(moat_topology_private_endpoint(t, (struct sockaddr *)&l1), "/p/1");
    ASSERT(moat_topology_private_endpoint(t, (struct sockaddr *)&l2) == NULL);
    moat_topology_free(t);
    static const char bad[] = "{\"subnets\": [{\"addresses\": [\"300.1.1.1\"], "
                              "\"subnet\": \"/s/a\"}]}";
    ASSERT(moat_topology_load(bad, sizeof bad - 1, err, sizeof err) == NULL);
    ASSERT(strstr(err, "subnets[0].addresses") != NULL);
}

static int verify(const jwt_keys *k, const char *tok, const char *iss,
                  const char *aud, int64_t now, jwt_claims *c)
{
    jwt_policy p = {iss, aud, now, 60};
    char err[128];
    return moat_jwt_verify(k, tok, strlen(tok), &p, c, err, sizeof err);
}

static void round_trip(const char *alg, int *failed_)
{
    char err[128];
    jwt_signer *s = moat_jwt_signer_generate(alg, "k1", err, sizeof err);
    ASSERT(s != NULL);
    char *jwks = moat_jwt_signer_jwks(s);
    jwt_keys *k = moat_jwt_keys_load(jwks, strlen(jwks), err, sizeof err);
    ASSERT(k != NULL);
    jwt_claims c;
    memset(&c, 0, sizeof c);
    strcpy(c.tid, "t1");
    strcpy(c.oid, "o1");
    strcpy(c.iss, "https://sts.windows.net/t1/");
    strcpy(c.xms_mirid, "/subscriptions/s/resourceGroups/g/providers/"
                        "Microsoft.RecoveryServices/vaults/v");
    char *tok = moat_jwt_sign(s, &c, "https://storage.azure.com/", 1000000, 3600);
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
    jwt_signer *other = moat_jwt_signer_generate(alg, "k1", err, sizeof err);
    char *forged =
        moat_jwt_sign(other, &c, "https://storage.azure.com/", 1000000, 3600);
    ASSERT(verify(k, forged, NULL, NULL, 1000100, &got) != 0);
    /* A PEM round trip signs the same. */
    char *pem = moat_jwt_signer_pem(s);
    jwt_signer *again =
        moat_jwt_signer_load(pem, strlen(pem), "k1", err, sizeof err);
    char *tok2 = moat_jwt_sign(again, &c, NULL, 1000000, 3600);
    ASSERT_EQ(verify(k, tok2, NULL, NULL, 1000100, &got), 0);
    free(tok2);
    free(pem);
    moat_jwt_signer_free(again);
    free(forged);
    moat_jwt_signer_free(other);
    free(tok);
    moat_jwt_keys_free(k);
    free(jwks);
    moat_jwt_signer_free(s);
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
    jwt_signer *s = moat_jwt_signer_generate("ES256", "k", err, sizeof err);
    char *jwks = moat_jwt_signer_jwks(s);
    jwt_keys *k = moat_jwt_keys_load(jwks, strlen(jwks), err, sizeof err);
    jwt_claims c;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ASSERT(verify(k, bad[i], NULL, NULL, 0, &c) != 0);
    ASSERT(moat_jwt_keys_load("{}", 2, err, sizeof err) == NULL);
    ASSERT(moat_jwt_keys_load("{\"keys\": [{\"kty\": \"RSA\", \"n\": \"AQAB\", "
                         "\"e\": \"AQAB\"}]}",
                         58, err, sizeof err) == NULL); /* too short */
    moat_jwt_keys_free(k);
    free(jwks);
    moat_jwt_signer_free(s);
}

/* Tokens signed by the right key that moat must still refuse: no kid,
** a crit header (RFC 7515 section 4.1.11: moat understands no extension),
** a NUL inside a string (a claim that would compare equal to a prefix),
** duplicate names (RFC 7515 section 4, RFC 7519 section 4: cJSON would
** read the first, another parser the last), claims of the wrong type or
** size, times beyond any clock. */
static const struct {
    const char *name, *value;
} token_claims[] = {{"aud", "\"https://storage.azure.com/\""},
                    {"iss", "\"https://sts.windows.net/t1/\""},
                    {"tid", "\"t1\""},
                    {"xms_mirid", "\"/subscriptions/s/x\""},
                    {"exp", "2000000"},
                    {"nbf", "1000000"}};

/* The claims above with name's value replaced by value (JSON text), or
** name added when it is not one of them; name NULL: as they are. */
static void token_body(char *out, size_t cap, const char *name,
                       const char *value)
{
    size_t n = (size_t)snprintf(out, cap, "{");
    int added = 0;
    for (size_t i = 0; i < sizeof token_claims / sizeof token_claims[0]; i++) {
        int here = name && strcmp(name, token_claims[i].name) == 0;
        added |= here;
        n += (size_t)snprintf(out + n, cap - n, "%s\"%s\":%s", i ? "," : "",
                              token_claims[i].name,
                              here ? value : token_claims[i].value);
    }
    if (name && !added)
        n += (size_t)snprintf(out + n, cap - n, ",\"%s\":%s", name, value);
    snprintf(out + n, cap - n, "}");
}

static int verify_json(const jwt_signer *s, const jwt_keys *k,
                       const char *header, const char *name, const char *value)
{
    char body[2048];
    token_body(body, sizeof body, name, value);
    char *tok = moat_jwt_sign_json(s, header, body);
    if (tok == NULL)
        return -2;
    jwt_claims c;
    int rc = verify(k, tok, "https://sts.windows.net/t1/",
                    "https://storage.azure.com/", 1500000, &c);
    free(tok);
    return rc;
}

TEST(jwt_refuses_what_it_does_not_understand)
{
    char err[128];
    jwt_signer *s = moat_jwt_signer_generate("ES256", "k1", err, sizeof err);
    char *jwks = moat_jwt_signer_jwks(s);
    jwt_keys *k = moat_jwt_keys_load(jwks, strlen(jwks), err, sizeof err);
    ASSERT(k != NULL);
    static const char ok_head[] = "{\"alg\":\"ES256\",\"kid\":\"k1\"}";
    ASSERT_EQ(verify_json(s, k, ok_head, NULL, NULL), 0);
    /* A backslash before "u0000" is a backslash, not a NUL. */
    ASSERT_EQ(verify_json(s, k, ok_head, "x", "\"\\\\u0000\""), 0);
    static const char *const bad_heads[] = {
        "{\"alg\":\"ES256\"}",
        "{\"alg\":\"ES256\",\"kid\":\"\"}",
        "{\"alg\":\"ES256\",\"kid\":7}",
        "{\"alg\":\"ES256\",\"kid\":\"k2\"}",
        "{\"alg\":\"ES256\",\"kid\":\"k1\",\"crit\":[\"exp\"]}",
        "{\"alg\":\"ES256\",\"kid\":\"k1\",\"crit\":[]}",
        "{\"alg\":\"ES256\",\"kid\":\"k1\",\"b64\":false,\"crit\":[\"b64\"]}",
        "{\"alg\":\"ES256\",\"kid\":\"k1\\u0000x\"}",
        "{\"alg\":\"ES256\",\"kid\":\"k1\",\"kid\":\"k2\"}",
        "{\"alg\":\"ES256\",\"kid\":\"k1\",\"alg\":\"none\"}",
    };
    for (size_t i = 0; i < sizeof bad_heads / sizeof bad_heads[0]; i++)
        if (verify_json(s, k, bad_heads[i], NULL, NULL) != -1)
            FAIL_AT("header %s verified", bad_heads[i]);
    static const struct {
        const char *name, *value;
    } bad_claims[] = {
        {"iss", "\"https://sts.windows.net/t1/\\u0000evil\""},
        {"aud", "\"https://storage.azure.com/\\u0000evil\""},
        {"aud", "[\"https://storage.azure.com/\\u0000x\"]"},
        {"tid", "\"t1\\u0000\""},
        {"oid", "\"o\\u0000\""},
        {"xms_mirid", "\"/subscriptions/s/x\\u0000/y\""},
        {"other", "\"\\u0000\""},
        {"tid", "7"},
        {"xms_mirid", "[\"/subscriptions/s/x\"]"},
        {"exp", "1e300"},
        {"exp", "-1e300"},
        {"nbf", "1e300"},
        {"exp", "\"2000000\""},
        {"iss", "\"https://sts.windows.net/t1/\",\"iss\":\"https://evil/\""},
        {"tid", "\"t1\",\"tid\":\"t2\""},
    };
    for (size_t i = 0; i < sizeof bad_claims / sizeof bad_claims[0]; i++)
        if (verify_json(s, k, ok_head, bad_claims[i].name,
                        bad_claims[i].value) != -1)
            FAIL_AT("claim %s: %s verified", bad_claims[i].name,
                    bad_claims[i].value);
    char big[700];
    snprintf(big, sizeof big, "\"/subscriptions/s/%0600d\"", 0);
    ASSERT_EQ(verify_json(s, k, ok_head, "xms_mirid", big), -1);
    /* A key without kid matches no token: it is not loaded. */
    static const char no_kid[] =
        "{\"keys\": [{\"kty\": \"EC\", \"crv\": \"P-256\", \"x\": "
        "\"Shh4z4bfK6_mp9sdMm4MST7-Fg1d8SC4ZsKxmufAVBg\", \"y\": "
        "\"luqps3BLRoro5ebOCrcixn84QTa-MAHBt8KK8Rum1Y0\"}]}";
    ASSERT(moat_jwt_keys_load(no_kid, sizeof no_kid - 1, err, sizeof err) == NULL);
    ASSERT(strstr(err, "kid") != NULL);
    moat_jwt_keys_free(k);
    free(jwks);
    moat_jwt_signer_free(s);
}

/*--------------------------------------------------------------------------
** estate_guard.c: a reload never swaps in an estate that lost files.
*/
#include "estate_guard.h"

#include <sys/stat.h>
#include <unistd.h>

static void touch(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
}

/* The loader's rule: every *.json below the directory, dot names
** skipped, each directory's names sorted. */
TEST(estate_files_as_the_loader_reads_them)
{
    char dir[] = "/tmp/moat-unit-guard-XXXXXX", sub[600], dot[600];
    ASSERT(mkdtemp(dir) != NULL);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(dot, sizeof dot, "%s/.git", dir);
    ASSERT(mkdir(sub, 0700) == 0 && mkdir(dot, 0700) == 0);
    touch(dir, "b.JSON");
    touch(dir, "a.json");
    touch(dir, ".hidden.json");
    touch(dir, "notes.txt");
    touch(dir, ".json");
    touch(sub, "d.json");
    touch(dot, "x.json");
    estate_files f = {NULL, 0, 0};
    char err[256];
    ASSERT_EQ(moat_estate_files_list(dir, &f, err, sizeof err), 0);
    ASSERT_EQ(f.n, 3);
    char want[600];
    snprintf(want, sizeof want, "%s/a.json", dir);
    ASSERT_STR(f.names[0], want);
    snprintf(want, sizeof want, "%s/b.JSON", dir);
    ASSERT_STR(f.names[1], want);
    snprintf(want, sizeof want, "%s/sub/d.json", dir);
    ASSERT_STR(f.names[2], want);
    snprintf(want, sizeof want, "%s/notes.txt", dir);
    ASSERT_EQ(moat_estate_files_list(want, &f, err, sizeof err), 0);
    ASSERT(f.n == 1 && strcmp(f.names[0], want) == 0);
    snprintf(want, sizeof want, "%s/gone", dir);
    ASSERT_EQ(moat_estate_files_list(want, &f, err, sizeof err), -1);
    ASSERT(f.n == 0 && strstr(err, "gone") != NULL);
    moat_estate_files_free(&f);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ASSERT_EQ(system(cmd), 0);
}

/* One reload: begin, check path's files at time t, commit when accepted
** (as nginx does when the configuration takes effect). */
static guard_verdict reload(estate_guard *g, const char *const *names, size_t n,
                            time_t t, char *msg, size_t cap)
{
    estate_files f = {NULL, 0, 0};
    for (size_t i = 0; i < n; i++) {
        if (f.n == f.cap) {
            f.cap = f.cap ? 2 * f.cap : 4;
            f.names = realloc(f.names, f.cap * sizeof *f.names);
        }
        f.names[f.n++] = strdup(names[i]);
    }
    moat_estate_guard_begin(g);
    guard_verdict v = moat_estate_guard_check(g, "/e", &f, t, msg, cap);
    char again[512]; /* the same path twice in one configuration */
    if (v != GUARD_REFUSED &&
        moat_estate_guard_check(g, "/e", &f, t, again, sizeof again) !=
            GUARD_ACCEPTED)
        v = -2;
    if (v != GUARD_REFUSED)
        moat_estate_guard_commit(g);
    moat_estate_files_free(&f);
    return v;
}

TEST(estate_guard_refuses_lost_files_until_confirmed)
{
    static const char *const ab[] = {"/e/a.json", "/e/b.json"};
    static const char *const a[] = {"/e/a.json"}, *const c[] = {"/e/c.json"};
    static const char *const abc[] = {"/e/a.json", "/e/b.json", "/e/c.json"};
    estate_guard g;
    memset(&g, 0, sizeof g);
    char msg[512];
    ASSERT_EQ(reload(&g, ab, 2, 100, msg, sizeof msg), GUARD_ACCEPTED);
    /* b.json vanishes for a moment: refused, twice, then it is back. */
    ASSERT_EQ(reload(&g, a, 1, 200, msg, sizeof msg), GUARD_REFUSED);
    ASSERT(strstr(msg, "/e/b.json") && strstr(msg, "lost 1 of the files"));
    ASSERT_EQ(reload(&g, a, 1, 204, msg, sizeof msg), GUARD_REFUSED);
    ASSERT(strstr(msg, "1 s or more") != NULL);
    ASSERT_EQ(reload(&g, ab, 2, 206, msg, sizeof msg), GUARD_ACCEPTED);
    ASSERT_STR(msg, "");
    /* An addition is always taken; the pending removal was forgotten. */
    ASSERT_EQ(reload(&g, abc, 3, 207, msg, sizeof msg), GUARD_ACCEPTED);
    ASSERT_EQ(reload(&g, ab, 2, 300, msg, sizeof msg), GUARD_REFUSED);
    /* Removed on purpose: the same files, 5 s after the first refusal. */
    ASSERT_EQ(reload(&g, ab, 2, 305, msg, sizeof msg), GUARD_REMOVAL_CONFIRMED);
    ASSERT(strstr(msg, "/e/c.json") && strstr(msg, "accepted the removal"));
    ASSERT_EQ(reload(&g, ab, 2, 306, msg, sizeof msg), GUARD_ACCEPTED);
    /* Other files missing restart the wait: what is confirmed is the set
    ** that was refused. */
    ASSERT_EQ(reload(&g, a, 1, 400, msg, sizeof msg), GUARD_REFUSED);
    ASSERT_EQ(reload(&g, c, 1, 406, msg, sizeof msg), GUARD_REFUSED);
    ASSERT_EQ(reload(&g, c, 1, 410, msg, sizeof msg), GUARD_REFUSED);
    ASSERT_EQ(reload(&g, c, 1, 411, msg, sizeof msg), GUARD_REMOVAL_CONFIRMED);
    /* A configuration that did not take effect leaves the running files. */
    estate_files f = {NULL, 0, 0};
    moat_estate_guard_begin(&g);
    ASSERT_EQ(moat_estate_guard_check(&g, "/e", &f, 500, msg, sizeof msg),
              GUARD_REFUSED);
    moat_estate_guard_begin(&g);
    ASSERT_EQ(moat_estate_guard_check(&g, "/other", &f, 500, msg, sizeof msg),
              GUARD_ACCEPTED);
    moat_estate_guard_begin(&g);
    ASSERT_EQ(reload(&g, c, 1, 501, msg, sizeof msg), GUARD_ACCEPTED);
    moat_estate_guard_free(&g);
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
    return moat_gate_decide(&cfg, q, x, &in, v);
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
    moat_gate_denial_body(&v, id, "now", body, sizeof body, &type);
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
    ASSERT(moat_gate_allows(&v));
    ASSERT_STR(moat_gate_category(&v), "ResIpRule");
    ASSERT_STR(v.rule, "networkAcls.ipRules[0] 25.1.2.3");
    ASSERT_EQ(gate_run(es, q, NULL, "st1.blob.core.windows.net", "/c/b",
                       "8.8.8.8", &v),
              0);
    ASSERT(!moat_gate_allows(&v));
    ASSERT_STR(v.rule, "");
    char line[4096], body[1024], id[37];
    size_t n = moat_gate_log_line(&v, "2026-11-22T10:00:00Z", "on", "GET /c/b", 8,
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
    moat_gate_request_id(id);
    ASSERT_EQ(strlen(id), 36);
    ASSERT(id[14] == '4' && id[19] == 'a');
    const char *type;
    n = moat_gate_denial_body(&v, id, "now", body, sizeof body, &type);
    ASSERT_STR(type, "application/xml");
    ASSERT(strstr(body, "<Code>AuthorizationFailure</Code>") != NULL);
    ASSERT(strstr(body, id) != NULL && n == strlen(body));
    /* A vault answers JSON with ForbiddenByFirewall. */
    ASSERT_EQ(gate_run(es, q, NULL, "kv1.vault.azure.net", "/secrets/s",
                       "8.8.8.8", &v),
              0);
    moat_gate_denial_body(&v, id, "now", body, sizeof body, &type);
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
    ASSERT(v.error && !moat_gate_allows(&v));
    ASSERT_STR(moat_gate_category(&v), "MoatInternalError");
    ASSERT(strstr(v.why, "nosuch") != NULL);
    /* No estate at all. */
    gate_config none = {NULL, NULL, NULL, {NULL, NULL, 0, 60}};
    gate_input in;
    memset(&in, 0, sizeof in);
    ASSERT_EQ(moat_gate_decide(&none, q, NULL, &in, &v), -1);
    ASSERT(!moat_gate_allows(&v));
    moat_explanation_free(x);
    moat_request_free(q);
    moat_estate_free(es);
}
