#!/usr/bin/env python3
"""The configurations on which posture tools disagree with Azure
(reference/posture-tools.md section 5), each as a regression test with
Azure's true verdict, in ARM and in Terraform plan form; and the hand-written
Terraform fixtures, a plan (tests/audit/terraform/plan.json) and a state
(state.json), with what moat must read from them.

A case names a resource, the controls it must pass or fail (with the basis
the verdict rests on), and rules that must or must not be among its
findings.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SUB = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
TENANT = "7c6b5a4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d"


def account(name, props=None, kind="storage"):
    t = "Microsoft.Storage/storageAccounts" if kind == "storage" else "Microsoft.KeyVault/vaults"
    r = {"id": "/subscriptions/%s/resourceGroups/rg/providers/%s/%s" % (SUB, t, name),
         "name": name, "type": t, "location": "westeurope", "properties": props or {}}
    if kind == "keyvault":
        r["properties"].setdefault("tenantId", TENANT)
    return r


SUBSCRIPTION = {"id": "/subscriptions/" + SUB, "type": "Microsoft.Resources/subscriptions",
                "subscriptionId": SUB, "tenantId": TENANT}

NSP = "/p/providers/Microsoft.Network/networkSecurityPerimeters/n"


def perimeter(resource_name, mode, prefixes=None):
    """A perimeter with one profile (and an inbound address rule when
    prefixes are given) and the association of resource_name in mode."""
    res = [{"id": NSP, "type": "Microsoft.Network/networkSecurityPerimeters",
            "properties": {"perimeterGuid": "g1"}},
           {"id": NSP + "/profiles/p", "type": "Microsoft.Network/networkSecurityPerimeters/profiles"},
           {"id": NSP + "/resourceAssociations/a",
            "type": "Microsoft.Network/networkSecurityPerimeters/resourceAssociations",
            "properties": {"privateLinkResource": {"id": account(resource_name)["id"]},
                           "profile": {"id": NSP + "/profiles/p"}, "accessMode": mode}}]
    if prefixes:
        res.append({"id": NSP + "/profiles/p/accessRules/r",
                    "type": "Microsoft.Network/networkSecurityPerimeters/profiles/accessRules",
                    "properties": {"direction": "Inbound", "addressPrefixes": prefixes}})
    return res


def tf_plan(resources):
    """A minimal `terraform show -json` plan of (address, values) pairs."""
    planned, changes = [], []
    for addr, values in resources:
        typ, name = addr.split(".")
        common = {"address": addr, "mode": "managed", "type": typ, "name": name,
                  "provider_name": "registry.terraform.io/hashicorp/azurerm"}
        planned.append(dict(common, values=values))
        changes.append(dict(common, change={"actions": ["create"], "after": values,
                                            "after_unknown": {"id": True}}))
    return {"format_version": "1.2", "planned_values": {"root_module": {"resources": planned}},
            "resource_changes": changes}


TF_SA = {"name": "sa", "location": "westeurope", "resource_group_name": "rg"}
TF_KV = {"name": "kv", "location": "westeurope", "resource_group_name": "rg", "tenant_id": TENANT}

# (title, estate, resource name, {control: (status, basis)}, rules present, rules absent)
# A control name may carry "@4" for its CIS 4.0-and-later verdict.
CASES = [
    ("row 1: no network rules: open to all (default-deny)",
     [SUBSCRIPTION, account("row1")], "row1",
     {"storage-default-deny": ("fail", "default")}, ["MOAT001"], []),
    ("row 1 (Terraform): no network_rules block",
     tf_plan([("azurerm_storage_account.row1", dict(TF_SA, network_rules=[]))]),
     "sa", {"storage-default-deny": ("fail", "default")}, ["MOAT001"], []),
    ("row 1b: no network rules: trusted services are admitted",
     [SUBSCRIPTION, account("row1b")], "row1b",
     {"storage-trusted-services": ("pass", "default"),
      "storage-trusted-services@4": ("not-applicable", "default")}, [], []),
    ("row 2: Deny, bypass omitted: AzureServices by default",
     [SUBSCRIPTION, account("row2", {"networkAcls": {"defaultAction": "Deny"}})], "row2",
     {"storage-trusted-services": ("pass", "default"), "storage-default-deny": ("pass", "explicit"),
      "storage-trusted-services@4": ("pass", "default")}, [], ["MOAT001"]),
    ("row 2 (Terraform): bypass omitted",
     tf_plan([("azurerm_storage_account.row2",
               dict(TF_SA, network_rules=[{"default_action": "Deny", "ip_rules": [],
                                           "virtual_network_subnet_ids": []}]))]),
     "sa", {"storage-trusted-services": ("pass", "default")}, [], []),
    ("row 3: 'Logging, Metrics, AzureServices' is trusted services on",
     [SUBSCRIPTION, account("row3", {"networkAcls": {"defaultAction": "Deny",
                                                     "bypass": "Logging, Metrics, AzureServices"}})],
     "row3", {"storage-trusted-services": ("pass", "explicit")}, ["MOAT003"], []),
    ("row 4: 'Logging, Metrics' without AzureServices: trusted services off",
     [SUBSCRIPTION, account("row4", {"networkAcls": {"defaultAction": "Deny",
                                                     "bypass": "Logging, Metrics"}})],
     "row4", {"storage-trusted-services": ("fail", "explicit")}, ["MOAT003"], []),
    ("row 4 (Terraform): bypass set without AzureServices",
     tf_plan([("azurerm_storage_account.row4",
               dict(TF_SA, network_rules=[{"default_action": "Deny", "bypass": ["Logging", "Metrics"],
                                           "ip_rules": [], "virtual_network_subnet_ids": []}]))]),
     "sa", {"storage-trusted-services": ("fail", "explicit")}, ["MOAT003"], []),
    ("row 5: Disabled with defaultAction Allow: no public path, exceptions remain",
     [SUBSCRIPTION, account("row5", {"publicNetworkAccess": "Disabled",
                                     "networkAcls": {"defaultAction": "Allow"}})], "row5",
     {"storage-default-deny": ("pass", "explicit"),
      "storage-public-access-disabled": ("pass", "explicit")},
     ["MOAT006"], ["MOAT001"]),
    ("row 6: SecuredByPerimeter without a perimeter: locked down",
     [SUBSCRIPTION, account("row6", {"publicNetworkAccess": "SecuredByPerimeter"})], "row6",
     {"storage-default-deny": ("pass", "explicit"),
      "storage-public-access-disabled": ("pass", "explicit")}, ["MOAT007"], ["MOAT001"]),
    ("row 6 (Terraform): public_network_access = SecuredByPerimeter",
     tf_plan([("azurerm_storage_account.row6",
               dict(TF_SA, public_network_access="SecuredByPerimeter", network_rules=[]))]),
     "sa", {"storage-default-deny": ("pass", "explicit"),
            "storage-public-access-disabled": ("pass", "explicit")}, ["MOAT007"], []),
    ("row 7: vault with public access off and no network ACLs",
     [account("row7", {"publicNetworkAccess": "Disabled"}, kind="keyvault")], "row7",
     {"keyvault-default-deny": ("pass", "explicit"),
      "keyvault-public-access-disabled": ("pass", "explicit")}, [], ["MOAT001"]),
    ("row 7 (Terraform): public_network_access_enabled = false, no network_acls",
     tf_plan([("azurerm_key_vault.row7",
               dict(TF_KV, public_network_access_enabled=False, network_acls=[]))]),
     "kv", {"keyvault-default-deny": ("pass", "explicit"),
            "keyvault-public-access-disabled": ("pass", "explicit")}, [], []),
    ("row 8: vault with Allow and one IP rule is open to all",
     [account("row8", {"publicNetworkAccess": "Enabled",
                       "networkAcls": {"defaultAction": "Allow", "ipRules": [{"value": "1.2.3.4"}]}},
              kind="keyvault")], "row8",
     {"keyvault-default-deny": ("fail", "explicit"),
      "keyvault-public-access-disabled": ("fail", "explicit")}, ["MOAT001"], []),
    ("row 8 (Terraform): ip_rules with default_action Allow",
     tf_plan([("azurerm_key_vault.row8",
               dict(TF_KV, public_network_access_enabled=True,
                    network_acls=[{"default_action": "Allow", "bypass": "AzureServices",
                                   "ip_rules": ["1.2.3.4"], "virtual_network_subnet_ids": []}]))]),
     "kv", {"keyvault-default-deny": ("fail", "explicit"),
            "keyvault-public-access-disabled": ("fail", "explicit")}, ["MOAT001"], []),
    # Beyond section 5: what no tool checks.
    ("Enforced perimeter denies by default; trusted services no longer reach",
     [SUBSCRIPTION, account("enf", {"networkAcls": {"defaultAction": "Allow"}})]
     + perimeter("enf", "Enforced"), "enf",
     {"storage-default-deny": ("pass", "explicit"), "storage-trusted-services": ("fail", "explicit")},
     [], ["MOAT001", "MOAT008"]),
    ("wildcard and cross-tenant instance rules, a wide range, a private one",
     [SUBSCRIPTION, account("wide", {"networkAcls": {
         "defaultAction": "Deny",
         "ipRules": [{"value": "20.0.0.0/8"}, {"value": "192.168.0.0/16"}],
         "resourceAccessRules": [
             {"tenantId": TENANT,
              "resourceId": "/subscriptions/*/resourceGroups/*/providers/Microsoft.DataFactory/factories/*"},
             {"tenantId": "99999999-9999-4999-9999-999999999999",
              "resourceId": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Synapse/workspaces/w"}]}})],
     "wide", {"storage-default-deny": ("pass", "explicit")},
     ["MOAT002", "MOAT004", "MOAT005", "MOAT011"], ["MOAT001"]),
    ("narrow rules that add up to more than a /16 (addresses, not rules)",
     [SUBSCRIPTION, account("sum", {"networkAcls": {
         "defaultAction": "Deny",
         "ipRules": [{"value": "20.1.0.0/17"}, {"value": "20.2.0.0/17"}, {"value": "20.3.0.0/17"},
                     {"value": "20.1.0.0/18"}]}})],
     "sum", {"storage-default-deny": ("pass", "explicit")}, ["MOAT002"], ["MOAT001"]),
    ("overlapping rules that stay under the threshold",
     [SUBSCRIPTION, account("overlap", {"networkAcls": {
         "defaultAction": "Deny",
         "ipRules": [{"value": "20.1.0.0/17"}, {"value": "20.1.0.0/18"}, {"value": "20.1.128.0/18"}]}})],
     "overlap", {"storage-default-deny": ("pass", "explicit")}, [], ["MOAT002"]),
    ("Disabled, but a Learning perimeter's address rules admit public sources",
     [SUBSCRIPTION, account("dislearn", {"publicNetworkAccess": "Disabled"})]
     + perimeter("dislearn", "Learning", ["198.51.100.0/24"]), "dislearn",
     {"storage-public-access-disabled": ("fail", "explicit"), "storage-default-deny": ("pass", "explicit")},
     ["MOAT008"], ["MOAT001"]),
    ("SecuredByPerimeter under an Audit association: the firewall decides",
     [SUBSCRIPTION, account("sbpaudit", {"publicNetworkAccess": "SecuredByPerimeter"})]
     + perimeter("sbpaudit", "Audit"), "sbpaudit",
     {"storage-public-access-disabled": ("fail", "explicit"), "storage-default-deny": ("fail", "default")},
     ["MOAT001", "MOAT008"], []),
    ("approved private endpoint passes; a pending one is reported",
     [SUBSCRIPTION, account("pe", {"publicNetworkAccess": "Disabled", "privateEndpointConnections": [
         {"properties": {"privateEndpoint": {"id": "/s/pe1"},
                         "privateLinkServiceConnectionState": {"status": "Approved"}}},
         {"properties": {"privateEndpoint": {"id": "/s/pe2"},
                         "privateLinkServiceConnectionState": {"status": "Pending"}}}]})], "pe",
     {"storage-private-endpoint": ("pass", "explicit")}, ["MOAT012"], []),
]

# The hand-written plan fixture: (resource name, controls, rules present, rules absent).
PLAN_CASES = [
    ("stlogs01", {"storage-default-deny": ("pass", "explicit"),
                  "storage-trusted-services": ("fail", "explicit")},
     ["MOAT003", "MOAT008", "MOAT011", "MOAT013"], ["MOAT001"]),
    ("stdata01", {"storage-default-deny": ("pass", "explicit"),
                  "storage-trusted-services": ("pass", "explicit")}, ["MOAT004"], ["MOAT001"]),
    ("stlocked01", {"storage-public-access-disabled": ("pass", "explicit")}, ["MOAT007"], []),
    ("stprivate01", {"storage-private-endpoint": ("fail", "unknown"),
                     "storage-public-access-disabled": ("pass", "explicit")}, ["MOAT013"], []),
    ("stunknown01", {"storage-default-deny": ("fail", "unknown"),
                     "storage-public-access-disabled": ("fail", "unknown")}, ["MOAT013"], []),
    ("kv-app-01", {"keyvault-default-deny": ("pass", "explicit")}, [], ["MOAT001"]),
    ("kv-open-01", {"keyvault-default-deny": ("fail", "default")}, ["MOAT001"], []),
]

# The hand-written state fixture (tests/audit/terraform/state.json): ids are
# known, references are followed through attribute values, separate rules
# resources compose onto their account and vault.
STATE_CASES = [
    # azurerm_storage_account_network_rules wins over the empty inline block
    ("starchive01", {"storage-default-deny": ("pass", "explicit"),
                     "storage-trusted-services": ("fail", "explicit")}, ["MOAT003"], ["MOAT001"]),
    # SecuredByPerimeter under an Enforced association: default Allow does not count
    ("stevents01", {"storage-default-deny": ("pass", "explicit"),
                    "storage-public-access-disabled": ("fail", "explicit")}, [], ["MOAT001", "MOAT008"]),
    # azurerm_key_vault_network_acls composes; a manual private endpoint is unknown
    ("kv-secrets-01", {"keyvault-default-deny": ("pass", "explicit"),
                       "keyvault-private-endpoint": ("fail", "unknown")}, ["MOAT013"], ["MOAT001"]),
]


def audit(estate):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(estate, f)
        path = f.name
    try:
        p = subprocess.run([MOAT, "audit", "--estate", path, "--format", "json"],
                           capture_output=True, text=True)
    finally:
        os.unlink(path)
    if p.returncode not in (0, 1):
        raise RuntimeError("moat audit exited %d: %s" % (p.returncode, p.stderr))
    return json.loads(p.stdout)


def check(title, report, name, controls, present, absent):
    failures = []
    ids = {r["id"] for r in report["resources"] if r["name"] == name}
    if not ids:
        return ["%s: resource %s not audited" % (title, name)]
    for control, (status, basis) in controls.items():
        cname, _, v4 = control.partition("@")
        got = [c for c in report["controls"] if c["control"] == cname and c["resource"] in ids
               and (("4.0.0" in c["cis"]) if v4 else ("1.1.0" in c["cis"] or not c["cis"]
                                                      or "2.0.0" in c["cis"] or "4.0.0" in c["cis"]))]
        if not got:
            failures.append("%s: no %s verdict" % (title, control))
            continue
        c = got[0]
        if (c["status"], c["basis"]) != (status, basis):
            failures.append("%s: %s is %s (%s), Azure's truth is %s (%s): %s"
                            % (title, control, c["status"], c["basis"], status, basis, c["reason"]))
    rules = {f["id"] for f in report["findings"] if f["resource"] in ids}
    for r in present:
        if r not in rules:
            failures.append("%s: no %s finding (has %s)" % (title, r, sorted(rules)))
    for r in absent:
        if r in rules:
            failures.append("%s: unexpected %s finding" % (title, r))
    return failures


def main():
    global MOAT
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--moat", required=True)
    args = ap.parse_args()
    MOAT = args.moat
    failures = []
    for title, estate, name, controls, present, absent in CASES:
        failures += check(title, audit(estate), name, controls, present, absent)
    with open(os.path.join(HERE, "terraform", "plan.json")) as f:
        plan = audit(json.load(f))
    for name, controls, present, absent in PLAN_CASES:
        failures += check("plan.json " + name, plan, name, controls, present, absent)
    with open(os.path.join(HERE, "terraform", "state.json")) as f:
        state = audit(json.load(f))
    for name, controls, present, absent in STATE_CASES:
        failures += check("state.json " + name, state, name, controls, present, absent)
    for f in failures:
        print("FAIL " + f)
    print("posture: %d configurations, %d plan and %d state resources, %d failures"
          % (len(CASES), len(PLAN_CASES), len(STATE_CASES), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
