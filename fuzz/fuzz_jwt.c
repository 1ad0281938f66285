/*
** fuzz_jwt.c - bearer tokens and JWKS documents on arbitrary bytes
** (front/jwt.c). The first byte picks what the rest is:
**   odd        a JWKS document to load;
**   bit 1 set  a JOSE header and a claims set (JSON texts, separated by a
**              newline), signed here with a key made at start, then
**              verified: the header and claims checks behind the
**              signature, which tokens mutated byte by byte never reach;
**   else       a token, verified against a fixed P-256 key (its private
**              half was used once, to sign the corpus seed, and thrown
**              away).
** A token that verifies carries claims that are NUL-terminated strings, and
** came with a kid and without crit; one that does not always says why.
*/
#include "jwt.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char fuzz_jwks[] =
    "{\"keys\": [{\"kty\": \"EC\", \"kid\": \"f1\", \"crv\": \"P-256\", "
    "\"x\": \"Shh4z4bfK6_mp9sdMm4MST7-Fg1d8SC4ZsKxmufAVBg\", "
    "\"y\": \"luqps3BLRoro5ebOCrcixn84QTa-MAHBt8KK8Rum1Y0\"}]}";

static jwt_keys *fuzz_keys, *fuzz_signer_keys;
static jwt_signer *fuzz_signer;

static void jwt_fuzz_setup(void)
{
    char err[256];
    fuzz_keys = moat_jwt_keys_load(fuzz_jwks, sizeof fuzz_jwks - 1, err, sizeof err);
    fuzz_signer = moat_jwt_signer_generate("ES256", "s1", err, sizeof err);
    char *jwks = fuzz_signer ? moat_jwt_signer_jwks(fuzz_signer) : NULL;
    fuzz_signer_keys =
        jwks ? moat_jwt_keys_load(jwks, strlen(jwks), err, sizeof err) : NULL;
    free(jwks);
    if (fuzz_keys == NULL || fuzz_signer_keys == NULL)
        abort();
}

/* What a verified token must have had: a kid, and no crit. */
static void jwt_fuzz_check_header(const char *header)
{
    cJSON *h = cJSON_Parse(header);
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(h, "kid");
    if (!cJSON_IsString(kid) || kid->valuestring[0] == '\0' ||
        cJSON_GetObjectItemCaseSensitive(h, "crit"))
        __builtin_trap();
    cJSON_Delete(h);
}

static void jwt_fuzz_verify(const jwt_keys *keys, const char *token, size_t len,
                            const char *header)
{
    char err[256];
    jwt_policy pol = {NULL, NULL, 1700000000, 60};
    jwt_claims c;
    if (moat_jwt_verify(keys, token, len, &pol, &c, err, sizeof err) == 0) {
        if (memchr(c.tid, '\0', sizeof c.tid) == NULL ||
            memchr(c.xms_mirid, '\0', sizeof c.xms_mirid) == NULL)
            __builtin_trap();
        if (header)
            jwt_fuzz_check_header(header);
    } else if (err[0] == '\0') {
        __builtin_trap();
    }
}

/* header "\n" claims, both NUL-free, signed and verified. */
static void jwt_fuzz_sign_and_verify(const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return;
    memcpy(copy, text, len);
    copy[len] = '\0';
    char *nl = strchr(copy, '\n');
    if (nl && strlen(copy) == len) {
        *nl = '\0';
        char *token = moat_jwt_sign_json(fuzz_signer, copy, nl + 1);
        if (token)
            jwt_fuzz_verify(fuzz_signer_keys, token, strlen(token), copy);
        free(token);
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (fuzz_keys == NULL)
        jwt_fuzz_setup();
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] & 1) {
        char err[256];
        jwt_keys *k = moat_jwt_keys_load(text, len, err, sizeof err);
        if (k == NULL && err[0] == '\0')
            __builtin_trap();
        moat_jwt_keys_free(k);
    } else if (data[0] & 2) {
        jwt_fuzz_sign_and_verify(text, len);
    } else {
        jwt_fuzz_verify(fuzz_keys, text, len, NULL);
    }
    return 0;
}
