"""A token moat does not fully understand gives no identity.

Through real nginx with the module: Azure Backup's managed identity holds
a token signed by the configured key, and stopen (bypass AzureServices,
denying 127.0.0.6) admits it as a trusted service. The same token, still
signed by that key, used to pass when its header had no kid (with one key
in the JWKS), when its header had crit (RFC 7515 section 4.1.11: a
recipient must refuse extensions it does not understand, and moat
understands none), when a claim repeated with another value (cJSON reads
the first, RFC 7515/7519 section 4 parsers the last), and when the issuer
moat requires was followed by a NUL and more ("iss": "...\\u0000evil"
compared equal as a C string). Each of these now verifies to no identity:
the request is OAuth without a caller, and stopen denies it."""
import base64
import json
import os
import shutil
import subprocess

from gatelib import Gate, get, refused
from seclib import MOAT, TOP, check, finish

ESTATE = os.path.join(TOP, "tests", "e2e", "estate", "gate.json")
TENANT = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
ISSUER = "https://sts.windows.net/%s/" % TENANT
MIRID = ("/subscriptions/5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d/resourceGroups/"
         "rg-gate/providers/Microsoft.RecoveryServices/vaults/rsv-gate")


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(key, header, payload):
    """header and payload as JSON texts, signed RS256 with openssl."""
    signing_input = b64(header.encode()) + "." + b64(payload.encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                         input=signing_input.encode(), capture_output=True,
                         check=True).stdout
    return signing_input + "." + b64(sig)


def claims(**override):
    import time
    now = int(time.time())
    c = {"aud": "https://storage.azure.com/", "iss": ISSUER, "tid": TENANT,
         "xms_mirid": MIRID, "iat": now, "nbf": now, "exp": now + 3600}
    c.update(override)
    return json.dumps(c)


def main():
    g = None
    tmp = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                       "moat-sec-token-%d" % os.getpid())
    os.makedirs(tmp)
    try:
        key, jwks = os.path.join(tmp, "k.pem"), os.path.join(tmp, "jwks.json")
        subprocess.run([MOAT, "token", "keygen", "--alg", "RS256", "--key", key,
                        "--jwks", jwks, "--kid", "k1"], check=True,
                       capture_output=True)
        g = Gate([{"account_from": "path"}], estate=ESTATE, http_extra="""
    moat_jwks %s;
    moat_jwt_issuer %s;
    moat_jwt_audience https://storage.azure.com/;
""" % (jwks, ISSUER))
        port = g.ports[0]

        def status(token):
            return get(port, "/stopen/data?restype=container", source="127.0.0.6",
                       headers=["Authorization: Bearer " + token])

        head = '{"alg":"RS256","kid":"k1","typ":"JWT"}'
        st, body = status(sign(key, head, claims()))
        check(st == 200, "the well-formed token passes as Azure Backup: %d %r"
              % (st, body))
        bad = {
            "no kid": sign(key, '{"alg":"RS256","typ":"JWT"}', claims()),
            "crit": sign(key, '{"alg":"RS256","kid":"k1","crit":["exp"],'
                         '"exp":1}', claims()),
            "crit in an escaped name": sign(
                key, '{"alg":"RS256","kid":"k1","\\u0063rit":["x"]}', claims()),
            "kid twice": sign(key, '{"alg":"RS256","kid":"k1","kid":"k2"}',
                              claims()),
            "tid twice": sign(key, head, claims()[:-1] + ', "tid": "other"}'),
            "NUL after the issuer": sign(key, head, claims(
                iss=ISSUER + "\u0000evil")),
            "NUL in tid": sign(key, head, claims(tid=TENANT + "\u0000")),
            "tid a number": sign(key, head, claims(tid=7)),
        }
        for what, token in bad.items():
            st, body = status(token)
            check(refused(st, body), "a token with %s gave an identity (%d)"
                  % (what, st))
        log = g.nginx.error_log()
        check("token header has no kid" in log and "crit" in log,
              "the error log says why the tokens were not trusted")
    finally:
        if g:
            g.stop()
        shutil.rmtree(tmp, ignore_errors=True)


main()
finish("tokens not understood")
