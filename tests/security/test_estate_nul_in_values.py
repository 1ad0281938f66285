"""A string holding U+0000 where moat reads a value is an error naming file,
line and key; under --lenient a warning and the most restrictive reading.
Before the fix the value was cut at the NUL: "Allow\\u0000Deny" loaded as
Allow, "Learning\\u0000Enforced" as Learning, "*\\u0000" in a link's profiles
as every profile."""
import json
import os
import shutil
import subprocess

from seclib import MOAT, check, finish, tmpdir

ACCT = ("/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/resourceGroups/"
        "rg/providers/Microsoft.Storage/storageAccounts/e")
NSP = "/n/providers/Microsoft.Network/networkSecurityPerimeters/n"


def account(acls):
    return {"id": ACCT, "type": "Microsoft.Storage/storageAccounts",
            "location": "westeurope", "properties": {"networkAcls": acls}}


def perimeter(mode):
    """Account e (its own rules: Allow) in perimeter n with mode."""
    return [account({"defaultAction": "Allow"}),
            {"id": NSP, "type": "Microsoft.Network/networkSecurityPerimeters",
             "properties": {"perimeterGuid": "g"}},
            {"id": NSP + "/profiles/p",
             "type": "Microsoft.Network/networkSecurityPerimeters/profiles"},
            {"id": NSP + "/resourceAssociations/x",
             "type": "Microsoft.Network/networkSecurityPerimeters/"
                     "resourceAssociations",
             "properties": {"privateLinkResource": {"id": ACCT},
                            "profile": {"id": NSP + "/profiles/p"},
                            "accessMode": mode}}]


CASES = [
    ("defaultAction Allow\\0Deny",
     account({"defaultAction": "Allow\u0000Deny"}), "defaultAction"),
    ("an IP rule cut to the caller's address",
     account({"defaultAction": "Deny",
              "ipRules": [{"value": "198.51.100.1\u0000/32"}]}),
     "ipRules[0].value"),
    ("accessMode Learning\\0Enforced", perimeter("Learning\u0000Enforced"),
     "accessMode"),
]


def moat(*args):
    return subprocess.run([MOAT] + list(args), capture_output=True,
                          text=True, timeout=60)


def main():
    d = tmpdir()
    for what, doc, key in CASES:
        path = os.path.join(d, "estate.json")
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)   # writes \u0000, valid JSON
        ask = ["check", "--estate", path, "--resource", "e", "--from",
               "198.51.100.1", "--format", "json"]
        r = moat(*ask)
        check(r.returncode == 3 and "estate.json:" in r.stderr
              and key in r.stderr and "U+0000" in r.stderr,
              "%s: exit %d, expected 3 naming %s:\n%s"
              % (what, r.returncode, key, r.stderr))
        r = moat(*(ask + ["--lenient"]))
        decision = json.loads(r.stdout)["decision"] if r.returncode == 0 \
            else None
        check(decision == "deny",
              "%s under --lenient: %s, expected deny:\n%s"
              % (what, decision, r.stderr))
    shutil.rmtree(d, ignore_errors=True)
    finish("estate U+0000 in values")


main()
