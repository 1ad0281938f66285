"""A key moat reads, given twice, is an error naming file, line and key; under
--lenient a warning and the most restrictive reading. Before the fix moat took
the first of two (`"defaultAction": "Allow", "defaultAction": "Deny"` was
Allow), while Python, Node, Go and ARM's Json.NET take the last: the estate
meant one thing to moat and another to every tool around it."""
import json
import os
import shutil
import subprocess

from seclib import MOAT, check, finish, tmpdir

ACCT = ("/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/resourceGroups/"
        "rg/providers/Microsoft.Storage/storageAccounts/e")
HEAD = ('{"id": "%s", "type": "Microsoft.Storage/storageAccounts", '
        '"location": "westeurope", ' % ACCT)

# (what, the resource's members after HEAD, the key the error names, its line)
CASES = [
    ("the same key twice",
     '"properties": {"networkAcls": {"defaultAction": "Allow",\n'
     '"defaultAction": "Deny"}}}', "networkAcls.defaultAction", 2),
    ("a key twice in two cases",
     '"properties": {"networkAcls": {"DEFAULTACTION": "Deny",\n'
     '"defaultAction": "Allow"}}}', "networkAcls.defaultAction", 2),
    ("two spellings of networkAcls",
     '"properties": {"networkAcls": {"defaultAction": "Deny"},\n'
     '"networkRuleSet": {"defaultAction": "Allow"}}}', "networkRuleSet", 2),
    ("inside and beside properties",
     '"properties": {"networkAcls": {"defaultAction": "Deny"}},\n'
     '"networkAcls": {"defaultAction": "Allow"}}', "networkAcls", 2),
    ("two spellings of an IP rule's value",
     '"properties": {"networkAcls": {"defaultAction": "Deny", "ipRules": '
     '[{"value": "203.0.113.0/24",\n"ipAddressOrRange": "198.51.100.0/24"'
     '}]}}}', "ipAddressOrRange", 2),
]


def moat(*args):
    return subprocess.run([MOAT] + list(args), capture_output=True,
                          text=True, timeout=60)


def main():
    d = tmpdir()
    for what, body, key, line in CASES:
        path = os.path.join(d, "estate.json")
        with open(path, "w") as f:
            f.write(HEAD + body)
        ask = ["check", "--estate", path, "--resource", "e", "--from",
               "198.51.100.1", "--format", "json"]
        r = moat(*ask)
        check(r.returncode == 3 and ("estate.json:%d:" % line) in r.stderr
              and key in r.stderr,
              "%s: exit %d, expected 3 with estate.json:%d and %s:\n%s"
              % (what, r.returncode, line, key, r.stderr))
        r = moat(*(ask + ["--lenient"]))
        decision = json.loads(r.stdout)["decision"] if r.returncode == 0 \
            else None
        check(decision == "deny" and "warning" in r.stderr,
              "%s under --lenient: %s, expected deny with a warning:\n%s"
              % (what, decision, r.stderr))
    shutil.rmtree(d, ignore_errors=True)
    finish("estate duplicate keys")


main()
