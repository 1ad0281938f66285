/*
** cmd_token.c - `moat token`: local signing keys and bearer tokens for
** named identities, so the gate and `moat serve` can be tested and used
** without Microsoft Entra ID.
*/
#include "cli.h"
#include "jwt.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: moat token keygen --key KEY.pem --jwks JWKS.json [--alg RS256|ES256]\n"
    "                         [--kid KID]\n"
    "       moat token mint --key KEY.pem [--kid KID] (--estate PATH --identity NAME\n"
    "                       | --resource-id ID [--tenant T] [--object-id O])\n"
    "                       [--issuer ISS] [--audience AUD] [--ttl SECONDS]\n"
    "\n"
    "keygen writes a new private key (PEM, mode 0600) and the JWKS the gate\n"
    "verifies with (moat_jwks). mint prints a signed token for a caller: a\n"
    "managed identity of the estate, named by resource name, ARM id or\n"
    "principal id (its id becomes xms_mirid, its principalId oid, its\n"
    "tenant tid), or one given by its claims.\n"
    "\n"
    "  --audience AUD   default https://storage.azure.com/\n"
    "  --issuer ISS     default https://sts.windows.net/<tenant>/\n"
    "  --ttl SECONDS    default 3600\n"
    "\n"
    "Exit status: 0 done, 2 usage error, 3 unreadable key or estate.\n";

static const cli_spec spec[] = {
    {"key", 1, 0},         {"jwks", 1, 0},     {"alg", 1, 0},
    {"kid", 1, 0},         {"estate", 1, 'e'}, {"identity", 1, 0},
    {"resource-id", 1, 0}, {"tenant", 1, 0},   {"object-id", 1, 0},
    {"issuer", 1, 0},      {"audience", 1, 0}, {"ttl", 1, 0},
    {"lenient", 0, 0},     {"quiet", 0, 'q'},  {"help", 0, 'h'},
    {NULL, 0, 0},
};

/* A private key is created readable by its owner only (no window in
** which it is not). */
static int write_file(const char *path, const char *text, int private_key)
{
    int fd =
        open(path, O_WRONLY | O_CREAT | O_TRUNC, private_key ? 0600 : 0644);
    FILE *fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (fp == NULL && fd >= 0)
        close(fd);
    int ok = fp && fputs(text, fp) >= 0;
    if (fp && fclose(fp) != 0)
        ok = 0;
    if (!ok)
        cli_error("%s: cannot write", path);
    return ok ? 0 : EXIT_BAD_ESTATE;
}

static int keygen(const cli_args *a)
{
    const char *key = cli_get(a, "key"), *jwks = cli_get(a, "jwks");
    const char *alg = cli_get(a, "alg") ? cli_get(a, "alg") : "RS256";
    if (key == NULL || jwks == NULL)
        return cli_usage_error("token", "keygen needs --key and --jwks");
    char err[256];
    jwt_signer *s =
        moat_jwt_signer_generate(alg, cli_get(a, "kid"), err, sizeof err);
    if (s == NULL)
        return cli_usage_error("token", "%s", err);
    char *pem = moat_jwt_signer_pem(s), *doc = moat_jwt_signer_jwks(s);
    int rc = pem && doc ? write_file(key, pem, 1) : EXIT_BAD_ESTATE;
    if (rc == 0)
        rc = write_file(jwks, doc, 0);
    free(pem);
    free(doc);
    moat_jwt_signer_free(s);
    if (rc == 0)
        fprintf(stderr, "moat: wrote %s (private) and %s\n", key, jwks);
    return rc;
}

/* The claims of the caller: from the estate's identity, or from flags. */
static int claims_of(const cli_args *a, jwt_claims *c)
{
    memset(c, 0, sizeof *c);
    const char *name = cli_get(a, "identity");
    if (name) {
        moat_estate *es = cli_load_estate(a, CLI_LOAD_QUIET);
        if (es == NULL)
            return EXIT_BAD_ESTATE;
        moat_identity id;
        moat_status st = moat_estate_identity(es, name, &id);
        if (st != MOAT_OK) {
            cli_error("identity %s: %s", name,
                      st == MOAT_E_AMBIGUOUS
                          ? "several identities fit; give the ARM id"
                          : "no managed identity of that name in the estate");
            moat_estate_free(es);
            return EXIT_BAD_ESTATE;
        }
        snprintf(c->xms_mirid, sizeof c->xms_mirid, "%s", id.resource_id);
        snprintf(c->oid, sizeof c->oid, "%s", id.principal_id);
        snprintf(c->tid, sizeof c->tid, "%s", id.tenant_id ? id.tenant_id : "");
        moat_estate_free(es);
    } else if (cli_get(a, "resource-id")) {
        snprintf(c->xms_mirid, sizeof c->xms_mirid, "%s",
                 cli_get(a, "resource-id"));
    } else {
        return cli_usage_error(
            "token", "mint needs --identity (with --estate) or --resource-id");
    }
    if (cli_get(a, "tenant"))
        snprintf(c->tid, sizeof c->tid, "%s", cli_get(a, "tenant"));
    if (cli_get(a, "object-id"))
        snprintf(c->oid, sizeof c->oid, "%s", cli_get(a, "object-id"));
    if (cli_get(a, "issuer"))
        snprintf(c->iss, sizeof c->iss, "%s", cli_get(a, "issuer"));
    else if (c->tid[0])
        snprintf(c->iss, sizeof c->iss, "https://sts.windows.net/%s/", c->tid);
    return 0;
}

static int mint(const cli_args *a)
{
    const char *key = cli_get(a, "key");
    if (key == NULL)
        return cli_usage_error("token", "mint needs --key");
    long ttl = 3600;
    if (cli_get(a, "ttl")) {
        char *end;
        ttl = strtol(cli_get(a, "ttl"), &end, 10);
        if (*end || ttl < -86400 || ttl > 86400 * 365)
            return cli_usage_error("token", "--ttl takes seconds");
    }
    jwt_claims c;
    int rc = claims_of(a, &c);
    if (rc)
        return rc;
    size_t len;
    char *pem = cli_read_file(key, &len);
    if (pem == NULL)
        return EXIT_BAD_ESTATE;
    char err[256];
    jwt_signer *s =
        moat_jwt_signer_load(pem, len, cli_get(a, "kid"), err, sizeof err);
    free(pem);
    if (s == NULL) {
        cli_error("%s: %s", key, err);
        return EXIT_BAD_ESTATE;
    }
    const char *aud = cli_get(a, "audience") ? cli_get(a, "audience")
                                             : "https://storage.azure.com/";
    char *token = moat_jwt_sign(s, &c, aud, (int64_t)time(NULL), ttl);
    moat_jwt_signer_free(s);
    if (token == NULL) {
        cli_error("signing failed");
        return EXIT_BAD_ESTATE;
    }
    puts(token);
    free(token);
    return 0;
}

int cmd_token(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 ||
        strcmp(argv[0], "-h") == 0) {
        fputs(usage, argc < 1 ? stderr : stdout);
        return argc < 1 ? EXIT_USAGE : EXIT_DECIDED;
    }
    const char *sub = argv[0];
    cli_args a;
    if (cli_parse(argc - 1, argv + 1, spec, &a, "token") < 0)
        return EXIT_USAGE;
    if (cli_has(&a, "help")) {
        fputs(usage, stdout);
        return EXIT_DECIDED;
    }
    if (strcmp(sub, "keygen") == 0)
        return keygen(&a);
    if (strcmp(sub, "mint") == 0)
        return mint(&a);
    return cli_usage_error("token", "unknown subcommand %s (keygen, mint)",
                           sub);
}
