"""A subnet defined twice (inside its VNet and on its own) with different
service endpoints is an error, in either mode: which definition counts
decides whether a virtual network rule admits. Before the fix the first
definition won with a mere warning, so the order of files decided access."""
import json
import os
import shutil
import subprocess

from seclib import MOAT, check, finish, tmpdir

VNET = ("/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/resourceGroups/"
        "rg/providers/Microsoft.Network/virtualNetworks/v")
SUBNET = VNET + "/subnets/a"
ESTATE = [
    {"id": VNET, "type": "Microsoft.Network/virtualNetworks",
     "location": "westeurope", "properties": {"subnets": [
         {"id": SUBNET, "properties": {"serviceEndpoints": [
             {"service": "Microsoft.Storage",
              "locations": ["westeurope"]}]}}]}},
    {"id": SUBNET, "type": "Microsoft.Network/virtualNetworks/subnets",
     "properties": {"serviceEndpoints": []}},
    {"id": "/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/"
           "resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/e",
     "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
     "properties": {"networkAcls": {
         "defaultAction": "Deny",
         "virtualNetworkRules": [{"id": SUBNET}]}}},
]


def main():
    d = tmpdir()
    estate = os.path.join(d, "estate.json")
    with open(estate, "w") as f:
        json.dump(ESTATE, f, indent=1)
    for lenient in ([], ["--lenient"]):
        r = subprocess.run([MOAT, "check", "--estate", estate, "--resource",
                            "e", "--subnet", SUBNET, "--format", "json"] +
                           lenient, capture_output=True, text=True,
                           timeout=60)
        check(r.returncode == 3 and "defined twice" in r.stderr,
              "%s: exit %d, expected 3 (subnet defined twice)\n%s%s"
              % (lenient, r.returncode, r.stdout, r.stderr))
    shutil.rmtree(d, ignore_errors=True)
    finish("estate subnet defined twice")


main()
