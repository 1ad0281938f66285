"""A request field given twice (in any case, nested objects included) is an
error naming it. Before the fix a request read a repeated scalar as the last
value but a repeated "source" as the first, so
{"source": {"ip": "203.0.113.9"}, "source": {"ip": "198.51.100.1"}} was
decided for 203.0.113.9 (allowed by an IP rule) while Python, Node and Go
read 198.51.100.1 (denied)."""
import json
import os
import shutil
import subprocess

from seclib import MOAT, check, finish, tmpdir

ESTATE = {
    "id": "/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/resourceGroups/"
          "rg/providers/Microsoft.Storage/storageAccounts/e",
    "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
    "properties": {"networkAcls": {
        "defaultAction": "Deny",
        "ipRules": [{"value": "203.0.113.0/24"}]}}}

REQUESTS = [
    ('{"resource": "e", "source": {"ip": "203.0.113.9"},\n'
     ' "source": {"ip": "198.51.100.1"}}', '"source"'),
    ('{"resource": "e", "source": {"ip": "198.51.100.1",'
     ' "IP": "203.0.113.9"}}', '"source.ip"'),
    ('{"resource": "e", "plane": "data", "Plane": "control"}', '"plane"'),
    ('{"resource": "e", "caller": {"perimeters": []},'
     ' "caller": {"perimeters": ["g"]}}', '"caller"'),
]


def main():
    d = tmpdir()
    estate = os.path.join(d, "estate.json")
    with open(estate, "w") as f:
        json.dump(ESTATE, f)
    for text, name in REQUESTS:
        req = os.path.join(d, "request.json")
        with open(req, "w") as f:
            f.write(text)
        r = subprocess.run([MOAT, "check", "--estate", estate, "--request",
                            req, "--format", "json"],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 4 and "duplicate" in r.stderr and
              name in r.stderr and "allow" not in r.stdout,
              "%s: exit %d, expected 4 naming %s\nstdout: %s\nstderr: %s"
              % (text, r.returncode, name, r.stdout, r.stderr))
    shutil.rmtree(d, ignore_errors=True)
    finish("request duplicate keys")


main()
