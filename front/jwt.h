/*
** jwt.h - bearer tokens as Microsoft Entra ID issues them for Storage and
** Key Vault: JWS compact serialization, RS256 or ES256, keys from a JWKS
** file. Verification (signature, exp/nbf, issuer, audience) for the gate
** and `moat serve`; minting for `moat token`. OpenSSL 3 from Debian.
*/
#ifndef MOAT_JWT_H
#define MOAT_JWT_H

#include <stddef.h>
#include <stdint.h>

typedef struct jwt_keys jwt_keys;

/* Reads a JWKS document ({"keys": [{"kty": "RSA"|"EC", "kid", "n", "e" |
** "crv": "P-256", "x", "y"}]}). NULL with a reason in err. */
jwt_keys *moat_jwt_keys_load(const char *json, size_t len, char *err, size_t cap);
void moat_jwt_keys_free(jwt_keys *k);
size_t moat_jwt_keys_count(const jwt_keys *k);

/* The claims replay and the gate use. */
typedef struct jwt_claims {
    char tid[64];        /* tenant */
    char oid[64];        /* object (principal) id */
    char appid[64];      /* client application */
    char xms_mirid[512]; /* the calling resource's ARM id (managed identity) */
    char iss[256];
    int64_t exp, nbf;
} jwt_claims;

typedef struct jwt_policy {
    const char *issuer;   /* required iss, or NULL: any */
    const char *audience; /* required aud (string or one of a list), or NULL */
    int64_t now;          /* seconds since the epoch */
    int64_t leeway;       /* clock skew allowed, seconds */
} jwt_policy;

/* Verifies token against keys and policy; 0 and claims, or -1 and why in
** err. Never trusts what it could not verify. */
int moat_jwt_verify(const jwt_keys *keys, const char *token, size_t len,
               const jwt_policy *policy, jwt_claims *out, char *err,
               size_t cap);

/* Minting (moat token). */
typedef struct jwt_signer jwt_signer;

/* A new key: "RS256" (RSA 2048) or "ES256" (P-256). */
jwt_signer *moat_jwt_signer_generate(const char *alg, const char *kid, char *err,
                                size_t cap);
/* A key from a PEM private key file's text. */
jwt_signer *moat_jwt_signer_load(const char *pem, size_t len, const char *kid,
                            char *err, size_t cap);
void moat_jwt_signer_free(jwt_signer *s);
/* The PEM private key and the JWKS of the public key, malloc'd. */
char *moat_jwt_signer_pem(const jwt_signer *s);
char *moat_jwt_signer_jwks(const jwt_signer *s);
/* A signed token for the claims (iat = now, exp = now + ttl), malloc'd. */
char *moat_jwt_sign(const jwt_signer *s, const jwt_claims *c, const char *audience,
               int64_t now, int64_t ttl);
/* A token signed over header and payload as given (JSON texts, taken as
** they are: the tests' and fuzzers' odd tokens), malloc'd. */
char *moat_jwt_sign_json(const jwt_signer *s, const char *header,
                    const char *payload);

#endif
