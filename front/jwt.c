/*
** jwt.c - see jwt.h. RFC 7515 (JWS compact), RFC 7517 (JWK), RFC 7518
** (RS256: RSASSA-PKCS1-v1_5 with SHA-256; ES256: ECDSA P-256 with SHA-256,
** signature as r || s, 32 bytes each).
*/
#include "jwt.h"

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 32
#define MAX_TOKEN 16384
/* Members of a JOSE header (Entra ID's have typ, alg, x5t, kid) and of a
** claims set (Entra ID's have about thirty): bounds on the quadratic
** search for repeated names, which runs before the signature is checked. */
#define MAX_HEADER_MEMBERS 16
#define MAX_CLAIMS 256

static int fail(char *err, size_t cap, const char *msg)
{
    if (cap)
        snprintf(err, cap, "%s", msg);
    return -1;
}

/*--------------------------------------------------------------------------
** base64url (RFC 4648 section 5), no padding.
*/
static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes n chars into out (cap bytes); the length, or -1. */
static long b64url_decode(const char *s, size_t n, unsigned char *out,
                          size_t cap)
{
    while (n && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* Leftover bits must be zero (canonical encoding). */
    if (bits && (acc & ((1u << bits) - 1)))
        return -1;
    return (long)o;
}

static char *b64url_encode(const unsigned char *in, size_t n)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(n * 4 / 3 + 4);
    if (out == NULL)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v =
            (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = tbl[v >> 18];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = tbl[(v >> 6) & 63];
        out[o++] = tbl[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = tbl[v >> 18];
        out[o++] = tbl[(v >> 12) & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = tbl[v >> 18];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = tbl[(v >> 6) & 63];
    }
    out[o] = '\0';
    return out;
}

/*--------------------------------------------------------------------------
** Keys.
*/
typedef struct jwt_key {
    char kid[128];
    int ec; /* ES256, else RS256 */
    EVP_PKEY *pkey;
} jwt_key;

struct jwt_keys {
    jwt_key v[MAX_KEYS];
    size_t n;
};

static BIGNUM *b64_bn(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    unsigned char buf[1024];
    long n = cJSON_IsString(v)
                 ? b64url_decode(v->valuestring, strlen(v->valuestring), buf,
                                 sizeof buf)
                 : -1;
    return n > 0 ? BN_bin2bn(buf, (int)n, NULL) : NULL;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = bld ? OSSL_PARAM_BLD_to_param(bld) : NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;
    if (params && ctx && EVP_PKEY_fromdata_init(ctx) > 0)
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

static EVP_PKEY *rsa_key(const cJSON *o)
{
    BIGNUM *n = b64_bn(o, "n"), *e = b64_bn(o, "e");
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pkey = NULL;
    if (n && e && bld && BN_num_bits(n) >= 2048 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
        pkey = from_params("RSA", bld);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    return pkey;
}

static EVP_PKEY *ec_key(const cJSON *o)
{
    const cJSON *crv = cJSON_GetObjectItemCaseSensitive(o, "crv");
    if (!cJSON_IsString(crv) || strcmp(crv->valuestring, "P-256") != 0)
        return NULL;
    unsigned char pt[65];
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, "x");
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(o, "y");
    if (!cJSON_IsString(x) || !cJSON_IsString(y) ||
        b64url_decode(x->valuestring, strlen(x->valuestring), pt + 1, 32) !=
            32 ||
        b64url_decode(y->valuestring, strlen(y->valuestring), pt + 33, 32) !=
            32)
        return NULL;
    pt[0] = 0x04; /* uncompressed point */
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pkey = NULL;
    if (bld &&
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                        "prime256v1", 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                         sizeof pt))
        pkey = from_params("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

jwt_keys *moat_jwt_keys_load(const char *json, size_t len, char *err, size_t cap)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "keys");
    if (!cJSON_IsArray(list)) {
        cJSON_Delete(root);
        fail(err, cap, "not a JWKS document: expected {\"keys\": [...]}");
        return NULL;
    }
    jwt_keys *k = calloc(1, sizeof *k);
    for (const cJSON *o = list->child; k && o && k->n < MAX_KEYS; o = o->next) {
        const cJSON *kty = cJSON_GetObjectItemCaseSensitive(o, "kty");
        const cJSON *kid = cJSON_GetObjectItemCaseSensitive(o, "kid");
        if (!cJSON_IsString(kty))
            continue;
        jwt_key *key = &k->v[k->n];
        key->ec = strcmp(kty->valuestring, "EC") == 0;
        /* A key moat cannot use, or cannot name (tokens choose their key
        ** by kid), is skipped, not trusted. */
        if (!cJSON_IsString(kid) || kid->valuestring[0] == '\0' ||
            strlen(kid->valuestring) >= sizeof key->kid)
            continue;
        key->pkey = key->ec                                ? ec_key(o)
                    : strcmp(kty->valuestring, "RSA") == 0 ? rsa_key(o)
                                                           : NULL;
        if (key->pkey == NULL)
            continue;
        snprintf(key->kid, sizeof key->kid, "%s", kid->valuestring);
        k->n++;
    }
    cJSON_Delete(root);
    if (k && k->n == 0) {
        moat_jwt_keys_free(k);
        fail(
            err, cap,
            "no usable key (RSA of 2048 bits or more, or EC P-256, with a kid)");
        return NULL;
    }
    return k;
}

void moat_jwt_keys_free(jwt_keys *k)
{
    if (k == NULL)
        return;
    for (size_t i = 0; i < k->n; i++)
        EVP_PKEY_free(k->v[i].pkey);
    free(k);
}

size_t moat_jwt_keys_count(const jwt_keys *k)
{
    return k ? k->n : 0;
}

/*--------------------------------------------------------------------------
** Verifying.
*/
static int verify_sig(const jwt_key *key, const char *data, size_t n,
                      const unsigned char *sig, size_t siglen)
{
    unsigned char der[80];
    const unsigned char *s = sig;
    size_t slen = siglen;
    if (key->ec) { /* r || s to DER */
        if (siglen != 64)
            return 0;
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, 32, NULL),
               *ss = BN_bin2bn(sig + 32, 32, NULL);
        if (es == NULL || r == NULL || ss == NULL ||
            !ECDSA_SIG_set0(es, r, ss)) {
            ECDSA_SIG_free(es);
            BN_free(r);
            BN_free(ss);
            return 0;
        }
        unsigned char *p = der;
        int dl = i2d_ECDSA_SIG(es, NULL);
        if (dl <= 0 || (size_t)dl > sizeof der) {
            ECDSA_SIG_free(es);
            return 0;
        }
        slen = (size_t)i2d_ECDSA_SIG(es, &p);
        ECDSA_SIG_free(es);
        s = der;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok =
        md &&
        EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
        EVP_DigestVerify(md, s, slen, (const unsigned char *)data, n) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

/* A NUL in a string of JSON text t (n bytes): raw, or escaped as \u0000.
** cJSON keeps it and C strings stop at it, so "iss": "https://sts.../
** \u0000evil" would compare equal to the issuer it starts with. A
** backslash in valid JSON only starts an escape, so pairs are skipped. */
static int json_has_nul(const unsigned char *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '\0')
            return 1;
        if (t[i] == '\\' && i + 1 < n) {
            if (t[i + 1] == 'u' && i + 5 < n &&
                memcmp(t + i + 2, "0000", 4) == 0)
                return 1;
            i++;
        }
    }
    return 0;
}

/* A member name that repeats. RFC 7515 section 4 and RFC 7519 section 4:
** a parser must reject duplicates or take the last; cJSON finds the first,
** so moat and another reader of the same token would differ: reject. */
static int repeated_name(const cJSON *o)
{
    for (const cJSON *a = o->child; a; a = a->next)
        for (const cJSON *b = a->next; b; b = b->next)
            if (strcmp(a->string, b->string) == 0)
                return 1;
    return 0;
}

/* A JOSE header or claims set: base64url of one JSON object (nothing after
** it), at most max members, no NUL in a string, no name twice. NULL with
** why. */
static cJSON *decode_object(const char *p, size_t n, int max, const char **why)
{
    unsigned char buf[MAX_TOKEN];
    long len = b64url_decode(p, n, buf, sizeof buf);
    const char *end = NULL;
    cJSON *o = len > 0 ? cJSON_ParseWithLengthOpts((const char *)buf,
                                                   (size_t)len, &end, 0)
                       : NULL;
    while (o && end < (const char *)buf + len &&
           (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
        end++;
    *why = NULL;
    if (!cJSON_IsObject(o) || end != (const char *)buf + len)
        *why = "is not one base64url JSON object";
    else if (json_has_nul(buf, (size_t)len))
        *why = "has a NUL in a string";
    else if (cJSON_GetArraySize(o) > max)
        *why = "has too many members";
    else if (repeated_name(o))
        *why = "names a member twice";
    if (*why) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* A string claim moat reads into out: absent is "", and one of another
** type or too long for moat to hold refuses the token. */
static int copy_claim(const cJSON *o, const char *name, char *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    out[0] = '\0';
    if (v == NULL)
        return 0;
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap)
        return -1;
    snprintf(out, cap, "%s", v->valuestring);
    return 0;
}

static int audience_ok(const cJSON *aud, const char *want)
{
    if (want == NULL)
        return 1;
    if (cJSON_IsString(aud))
        return strcmp(aud->valuestring, want) == 0;
    for (const cJSON *e = cJSON_IsArray(aud) ? aud->child : NULL; e;
         e = e->next)
        if (cJSON_IsString(e) && strcmp(e->valuestring, want) == 0)
            return 1;
    return 0;
}

/* A NumericDate (RFC 7519 section 2) moat can hold: 0 to 2^53 seconds.
** Beyond it the conversion to int64_t is undefined behaviour. */
static int numeric_date(const cJSON *v, int64_t *out)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0) ||
        v->valuedouble > 9007199254740992.0)
        return -1;
    *out = (int64_t)v->valuedouble;
    return 0;
}

static int check_times(const cJSON *body, const jwt_policy *pol,
                       jwt_claims *out, char *err, size_t cap)
{
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(body, "exp");
    const cJSON *nbf = cJSON_GetObjectItemCaseSensitive(body, "nbf");
    if (exp == NULL)
        return fail(err, cap, "token without exp");
    if (numeric_date(exp, &out->exp) < 0 ||
        (nbf && numeric_date(nbf, &out->nbf) < 0))
        return fail(err, cap, "token exp or nbf is not a time moat can hold");
    if (pol->now > out->exp + pol->leeway)
        return fail(err, cap, "token expired");
    if (out->nbf && pol->now + pol->leeway < out->nbf)
        return fail(err, cap, "token not yet valid (nbf)");
    return 0;
}

static int check_claims(const cJSON *body, const jwt_policy *pol,
                        jwt_claims *out, char *err, size_t cap)
{
    if (check_times(body, pol, out, err, cap) < 0)
        return -1;
    if (copy_claim(body, "iss", out->iss, sizeof out->iss) < 0 ||
        copy_claim(body, "tid", out->tid, sizeof out->tid) < 0 ||
        copy_claim(body, "oid", out->oid, sizeof out->oid) < 0 ||
        copy_claim(body, "appid", out->appid, sizeof out->appid) < 0 ||
        copy_claim(body, "xms_mirid", out->xms_mirid, sizeof out->xms_mirid) <
            0)
        return fail(
            err, cap,
            "token claim iss, tid, oid, appid or xms_mirid is not a string moat can hold");
    if (pol->issuer && strcmp(out->iss, pol->issuer) != 0)
        return fail(err, cap, "token from another issuer");
    if (!audience_ok(cJSON_GetObjectItemCaseSensitive(body, "aud"),
                     pol->audience))
        return fail(err, cap, "token for another audience");
    return 0;
}

/* What the JOSE header says: the algorithm and the key. moat understands
** no extension, so a header with crit is refused (RFC 7515 section
** 4.1.11: the recipient must reject a JWS whose crit names one it does
** not understand); and without a kid no key is chosen (Entra ID always
** sends one), so none is tried at random. */
static int read_header(const char *p, size_t n, int *ec, char *kid,
                       size_t kidcap, char *err, size_t cap)
{
    const char *why;
    cJSON *head = decode_object(p, n, MAX_HEADER_MEMBERS, &why);
    if (head == NULL) {
        snprintf(err, cap, "token header %s", why);
        return -1;
    }
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(head, "alg");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(head, "kid");
    int es = cJSON_IsString(alg) && strcmp(alg->valuestring, "ES256") == 0;
    int rs = cJSON_IsString(alg) && strcmp(alg->valuestring, "RS256") == 0;
    int crit = cJSON_GetObjectItemCaseSensitive(head, "crit") != NULL;
    int has_kid = cJSON_IsString(k) && k->valuestring[0] &&
                  strlen(k->valuestring) < kidcap;
    if (has_kid)
        snprintf(kid, kidcap, "%s", k->valuestring);
    cJSON_Delete(head);
    *ec = es;
    if (!es && !rs)
        return fail(err, cap, "token alg is not RS256 or ES256");
    if (crit)
        return fail(err, cap,
                    "token header has crit: moat understands no extension");
    return has_kid ? 0 : fail(err, cap, "token header has no kid");
}

int moat_jwt_verify(const jwt_keys *keys, const char *token, size_t len,
               const jwt_policy *pol, jwt_claims *out, char *err, size_t cap)
{
    memset(out, 0, sizeof *out);
    if (keys == NULL || token == NULL || len == 0 || len > MAX_TOKEN)
        return fail(err, cap, "no token, or no keys to verify it with");
    const char *d1 = memchr(token, '.', len);
    const char *d2 =
        d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (d1 == NULL || d2 == NULL ||
        memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
        return fail(err, cap, "not a JWS compact token (three parts)");
    int ec;
    char kid[128];
    if (read_header(token, (size_t)(d1 - token), &ec, kid, sizeof kid, err,
                    cap) < 0)
        return -1;
    unsigned char sig[1024];
    long siglen =
        b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token), sig, sizeof sig);
    if (siglen <= 0)
        return fail(err, cap, "token signature is not base64url");
    int verified = 0;
    for (size_t i = 0; i < keys->n && !verified; i++) {
        const jwt_key *k = &keys->v[i];
        if (k->ec == ec && strcmp(k->kid, kid) == 0)
            verified =
                verify_sig(k, token, (size_t)(d2 - token), sig, (size_t)siglen);
    }
    if (!verified)
        return fail(
            err, cap,
            "token signature does not verify with the key its kid names");
    const char *why;
    cJSON *body =
        decode_object(d1 + 1, (size_t)(d2 - d1 - 1), MAX_CLAIMS, &why);
    if (body == NULL) {
        snprintf(err, cap, "token payload %s", why);
        return -1;
    }
    int rc = check_claims(body, pol, out, err, cap);
    cJSON_Delete(body);
    return rc;
}

/*--------------------------------------------------------------------------
** Minting.
*/
struct jwt_signer {
    EVP_PKEY *pkey;
    int ec;
    char kid[128];
};

jwt_signer *moat_jwt_signer_generate(const char *alg, const char *kid, char *err,
                                size_t cap)
{
    int ec = strcmp(alg, "ES256") == 0;
    if (!ec && strcmp(alg, "RS256") != 0) {
        fail(err, cap, "alg is RS256 or ES256");
        return NULL;
    }
    jwt_signer *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->ec = ec;
    s->pkey = ec ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
                 : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    snprintf(s->kid, sizeof s->kid, "%s", kid ? kid : "moat-local");
    if (s->pkey == NULL) {
        free(s);
        fail(err, cap, "key generation failed");
        return NULL;
    }
    return s;
}

jwt_signer *moat_jwt_signer_load(const char *pem, size_t len, const char *kid,
                            char *err, size_t cap)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *pkey =
        bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (pkey == NULL) {
        fail(err, cap, "not a PEM private key");
        return NULL;
    }
    jwt_signer *s = calloc(1, sizeof *s);
    if (s == NULL) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    s->pkey = pkey;
    s->ec = EVP_PKEY_is_a(pkey, "EC");
    if (!s->ec && !EVP_PKEY_is_a(pkey, "RSA")) {
        moat_jwt_signer_free(s);
        fail(err, cap, "the key is neither RSA nor EC");
        return NULL;
    }
    snprintf(s->kid, sizeof s->kid, "%s", kid ? kid : "moat-local");
    return s;
}

void moat_jwt_signer_free(jwt_signer *s)
{
    if (s == NULL)
        return;
    EVP_PKEY_free(s->pkey);
    free(s);
}

char *moat_jwt_signer_pem(const jwt_signer *s)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *out = NULL;
    if (bio && PEM_write_bio_PrivateKey(bio, s->pkey, NULL, NULL, 0, NULL,
                                        NULL) == 1) {
        char *data;
        long n = BIO_get_mem_data(bio, &data);
        out = n > 0 ? strndup(data, (size_t)n) : NULL;
    }
    BIO_free(bio);
    return out;
}

static char *bn_b64(const EVP_PKEY *pkey, const char *name, int pad)
{
    BIGNUM *bn = NULL;
    if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
        return NULL;
    unsigned char buf[512];
    int n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
    BN_free(bn);
    return n > 0 ? b64url_encode(buf, (size_t)n) : NULL;
}

char *moat_jwt_signer_jwks(const jwt_signer *s)
{
    char *a = bn_b64(s->pkey,
                     s->ec ? OSSL_PKEY_PARAM_EC_PUB_X : OSSL_PKEY_PARAM_RSA_N,
                     s->ec ? 32 : 0);
    char *b = bn_b64(s->pkey,
                     s->ec ? OSSL_PKEY_PARAM_EC_PUB_Y : OSSL_PKEY_PARAM_RSA_E,
                     s->ec ? 32 : 0);
    char *out = NULL;
    if (a && b) {
        size_t cap = strlen(a) + strlen(b) + 256;
        out = malloc(cap);
        if (out && s->ec)
            snprintf(
                out, cap,
                "{\"keys\": [{\"kty\": \"EC\", \"use\": \"sig\", \"alg\": \"ES256\", \"kid\": \"%s\", \"crv\": \"P-256\", \"x\": \"%s\", \"y\": \"%s\"}]}\n",
                s->kid, a, b);
        else if (out)
            snprintf(
                out, cap,
                "{\"keys\": [{\"kty\": \"RSA\", \"use\": \"sig\", \"alg\": \"RS256\", \"kid\": \"%s\", \"n\": \"%s\", \"e\": \"%s\"}]}\n",
                s->kid, a, b);
    }
    free(a);
    free(b);
    return out;
}

/* DER ECDSA signature to r || s. */
static int der_to_raw(const unsigned char *der, size_t n, unsigned char *raw)
{
    const unsigned char *p = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
    const BIGNUM *r, *s;
    if (es == NULL)
        return -1;
    ECDSA_SIG_get0(es, &r, &s);
    int ok =
        BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
    ECDSA_SIG_free(es);
    return ok ? 0 : -1;
}

/* The signature of input (n bytes) as JWS puts it: RS256's as OpenSSL
** gives it, ES256's as r || s (RFC 7518 section 3.4), base64url. */
static char *signature(const jwt_signer *s, const char *input, size_t n)
{
    unsigned char sig[1024], raw[64];
    size_t siglen = sizeof sig;
    char *out = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, s->pkey) == 1 &&
        EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input, n) ==
            1) {
        if (!s->ec)
            out = b64url_encode(sig, siglen);
        else if (der_to_raw(sig, siglen, raw) == 0)
            out = b64url_encode(raw, sizeof raw);
    }
    EVP_MD_CTX_free(md);
    return out;
}

char *moat_jwt_sign_json(const jwt_signer *s, const char *header,
                    const char *payload)
{
    char *hb = b64url_encode((const unsigned char *)header, strlen(header));
    char *bb = b64url_encode((const unsigned char *)payload, strlen(payload));
    char *out = NULL, *input = NULL, *sb = NULL;
    if (hb && bb) {
        size_t n = strlen(hb) + 1 + strlen(bb);
        input = malloc(n + 1);
        if (input)
            snprintf(input, n + 1, "%s.%s", hb, bb);
        sb = input ? signature(s, input, n) : NULL;
        size_t total = sb ? n + 1 + strlen(sb) + 1 : 0;
        out = sb ? malloc(total) : NULL;
        if (out)
            snprintf(out, total, "%s.%s", input, sb);
    }
    free(sb);
    free(input);
    free(hb);
    free(bb);
    return out;
}

char *moat_jwt_sign(const jwt_signer *s, const jwt_claims *c, const char *audience,
               int64_t now, int64_t ttl)
{
    cJSON *head = cJSON_CreateObject(), *body = cJSON_CreateObject();
    cJSON_AddStringToObject(head, "typ", "JWT");
    cJSON_AddStringToObject(head, "alg", s->ec ? "ES256" : "RS256");
    cJSON_AddStringToObject(head, "kid", s->kid);
    if (audience)
        cJSON_AddStringToObject(body, "aud", audience);
    if (c->iss[0])
        cJSON_AddStringToObject(body, "iss", c->iss);
    cJSON_AddNumberToObject(body, "iat", (double)now);
    cJSON_AddNumberToObject(body, "nbf", (double)now);
    cJSON_AddNumberToObject(body, "exp", (double)(now + ttl));
    static const struct {
        const char *name;
        size_t off;
    } claims[] = {{"tid", offsetof(jwt_claims, tid)},
                  {"oid", offsetof(jwt_claims, oid)},
                  {"appid", offsetof(jwt_claims, appid)},
                  {"xms_mirid", offsetof(jwt_claims, xms_mirid)}};
    for (size_t i = 0; i < sizeof claims / sizeof claims[0]; i++) {
        const char *v = (const char *)c + claims[i].off;
        if (v[0])
            cJSON_AddStringToObject(body, claims[i].name, v);
    }
    char *h = cJSON_PrintUnformatted(head), *b = cJSON_PrintUnformatted(body);
    cJSON_Delete(head);
    cJSON_Delete(body);
    char *out = h && b ? moat_jwt_sign_json(s, h, b) : NULL;
    free(h);
    free(b);
    return out;
}
