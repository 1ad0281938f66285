"""A request value holding U+0000 is refused, naming its field. Before the
fix caller.service "Microsoft.EventHub\\u0000x" was read as Microsoft.EventHub
(the catalog match stops at the NUL) and the request was admitted as a trusted
service; every other reader sees another, untrusted, name."""
import json
import os
import shutil
import subprocess

from seclib import MOAT, check, finish, tmpdir

SUB = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f"
TENANT = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
ESTATE = [
    {"id": "/subscriptions/" + SUB, "type": "Microsoft.Resources/subscriptions",
     "subscriptionId": SUB, "tenantId": TENANT},
    {"id": "/subscriptions/" + SUB + "/resourceGroups/rg/providers/"
           "Microsoft.Storage/storageAccounts/e",
     "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
     "properties": {"networkAcls": {"defaultAction": "Deny",
                                    "bypass": "AzureServices"}}}]

REQUESTS = [
    ({"resource": "e", "caller": {"tenant": TENANT,
                                  "service": "Microsoft.EventHub\u0000x"}},
     "caller.service"),
    ({"resource": "e\u0000x"}, "resource"),
    ({"resource": "e", "caller": {"tenant": TENANT + "\u0000",
                                  "service": "Microsoft.EventHub"}},
     "caller.tenant"),
]


def main():
    d = tmpdir()
    estate = os.path.join(d, "estate.json")
    with open(estate, "w") as f:
        json.dump(ESTATE, f)
    for doc, name in REQUESTS:
        req = os.path.join(d, "request.json")
        with open(req, "w") as f:
            json.dump(doc, f)   # writes \u0000
        r = subprocess.run([MOAT, "check", "--estate", estate, "--request",
                            req, "--format", "json"],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 4 and "U+0000" in r.stderr and
              name in r.stderr and "allow" not in r.stdout,
              "%s: exit %d, expected 4 naming %s\nstdout: %s\nstderr: %s"
              % (json.dumps(doc), r.returncode, name, r.stdout, r.stderr))
    shutil.rmtree(d, ignore_errors=True)
    finish("request U+0000 in values")


main()
