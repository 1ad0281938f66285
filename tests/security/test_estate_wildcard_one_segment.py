"""'*' in a resource instance rule matches one whole segment of the caller's
id, never an empty one (decision.md section 4). Before the fix a caller id
with an empty segment ("/subscriptions//resourceGroups/...") matched
"/subscriptions/*/...", in the decision and in its explanation."""
import json
import os
import shutil
import subprocess

from seclib import MOAT, check, finish, tmpdir

TENANT = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
ESTATE = {
    "id": "/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/resourceGroups/"
          "rg/providers/Microsoft.Storage/storageAccounts/stw",
    "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
    "properties": {"networkAcls": {
        "defaultAction": "Deny", "bypass": "None",
        "resourceAccessRules": [{
            "tenantId": TENANT,
            "resourceId": "/subscriptions/*/resourceGroups/*/providers/"
                          "Microsoft.Web/sites/*"}]}}}
SITE = "/providers/Microsoft.Web/sites/"
CALLERS = [
    ("/subscriptions/x/resourceGroups/y" + SITE + "z", "allow"),
    ("/subscriptions//resourceGroups/y" + SITE + "z", "deny"),
    ("/subscriptions/x/resourceGroups/" + SITE + "z", "deny"),
    ("/subscriptions/x/resourceGroups/y" + SITE + "/", "deny"),
]


def main():
    d = tmpdir()
    path = os.path.join(d, "estate.json")
    with open(path, "w") as f:
        json.dump(ESTATE, f)
    for caller, want in CALLERS:
        for fmt in ("json", "text"):   # the decision, and the explanation
            r = subprocess.run(
                [MOAT, "check", "--estate", path, "--resource", "stw",
                 "--tenant", TENANT, "--identity", caller, "--format", fmt],
                capture_output=True, text=True, timeout=60)
            got = None
            if r.returncode == 0 and fmt == "json":
                got = json.loads(r.stdout)["decision"]
            elif r.returncode == 0:
                got = r.stdout.split()[0].lower() if r.stdout else None
            check(got == want, "%s (%s): %s, expected %s\n%s"
                  % (caller, fmt, got, want, r.stderr))
    shutil.rmtree(d, ignore_errors=True)
    finish("estate wildcard one segment")


main()
