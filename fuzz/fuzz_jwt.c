/*
** fuzz_jwt.c - bearer tokens and JWKS documents on arbitrary bytes
** (front/jwt.c). Odd first byte: the rest is a JWKS document to load.
** Even: the rest is a token, verified against a
** fixed P-256 key (its private half was used once, to sign the corpus
** seed, and thrown away); a token that verifies carries claims that are
** NUL-terminated strings; one that does not always says why.
*/
#include "jwt.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char fuzz_jwks[] =
    "{\"keys\": [{\"kty\": \"EC\", \"kid\": \"f1\", \"crv\": \"P-256\", "
    "\"x\": \"Shh4z4bfK6_mp9sdMm4MST7-Fg1d8SC4ZsKxmufAVBg\", "
    "\"y\": \"luqps3BLRoro5ebOCrcixn84QTa-MAHBt8KK8Rum1Y0\"}]}";

static jwt_keys *fuzz_keys;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char err[256];
    if (fuzz_keys == NULL) {
        fuzz_keys = jwt_keys_load(fuzz_jwks, sizeof fuzz_jwks - 1, err,
                                  sizeof err);
        if (fuzz_keys == NULL)
            abort();
    }
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (data[0] & 1) {
        jwt_keys *k = jwt_keys_load(text, len, err, sizeof err);
        if (k == NULL && err[0] == '\0')
            __builtin_trap();
        jwt_keys_free(k);
        return 0;
    }
    jwt_policy pol = {NULL, NULL, 1700000000, 60};
    jwt_claims c;
    if (jwt_verify(fuzz_keys, text, len, &pol, &c, err, sizeof err) == 0) {
        if (memchr(c.tid, '\0', sizeof c.tid) == NULL ||
            memchr(c.xms_mirid, '\0', sizeof c.xms_mirid) == NULL)
            __builtin_trap();
    } else if (err[0] == '\0') {
        __builtin_trap();
    }
    return 0;
}
