#!/usr/bin/env python3
"""Runs moat audit over Checkov's own fixtures and compares verdicts.

For each of Checkov's expectations (realworld/checkov-fixtures/expectations.json)
the matching moat control gives moat's verdict on the same resource:

    CKV_AZURE_35   storage-default-deny
    CKV_AZURE_36   storage-trusted-services (as CIS before 4.0 states it)
    CKV_AZURE_59   storage-public-access-disabled
    CKV_AZURE_109  keyvault-default-deny
    CKV_AZURE_189  keyvault-public-access-disabled

Where moat and Checkov agree, nothing more is said. Where they differ, the
difference must be one listed in DIFFERENCES below, with moat's verdict and
the Azure rule that makes it right (docs/audit.md repeats the table); any
other difference fails the test, and so does a listed one that no longer
happens. Bicep is not read by moat; those expectations are counted and
skipped. Terraform files are turned into plan JSON by hcl2plan.py, one file at
a time, so that addresses are Checkov's resource names.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

CONTROL = {
    "CKV_AZURE_35": "storage-default-deny",
    "CKV_AZURE_36": "storage-trusted-services",
    "CKV_AZURE_59": "storage-public-access-disabled",
    "CKV_AZURE_109": "keyvault-default-deny",
    "CKV_AZURE_189": "keyvault-public-access-disabled",
}

# (check, framework, file, resource) -> (moat verdict, why moat is right)
DIFFERENCES = {}


def differ(check, framework, file, resource, verdict, why):
    DIFFERENCES[(check, framework, file, resource)] = (verdict, why)


# ARM: an account with no networkAcls at all.
for f, r in [("arm/example_StorageAccountAzureServicesAccessEnabled/storageAccountAzureServicesAccessEnabled-FAILED2.json", n)
             for n in ("cdsdf", "name1", "sto725")]:
    differ("CKV_AZURE_36", "arm", f, "Microsoft.Storage/storageAccounts." + r, "PASSED",
           "bypass absent means AzureServices (Storage REST API default); Checkov's ARM check "
           "wants the exact string")
differ("CKV_AZURE_36", "arm",
       "arm/example_StorageAccountAzureServicesAccessEnabled/storageAccountAzureServicesAccessEnabled-UNKNOWN.json",
       "Microsoft.Storage/storageAccounts.[variables('storageAccountName')]", "FAILED",
       "networkAcls is not an object (a string): moat cannot read the setting, reports it unknown "
       "and fails closed; Checkov leaves it out")
differ("CKV_AZURE_36", "arm",
       "arm/example_StorageAccountAzureServicesAccessEnabled/storageAccountAzureServicesAccessEnabled-VARIABLE.json",
       "Microsoft.Storage/storageAccounts.[variables('storageAccountName')]", "FAILED",
       "bypass is None, written literally: trusted services are off. Checkov reports UNKNOWN "
       "because the subnet ids are template variables, which do not bear on bypass")
differ("CKV_AZURE_35", "arm",
       "arm/example_StorageAccountDefaultNetworkAccessDeny/storageAccountDefaultNetworkAccessDeny-UNKNOWN.json",
       "Microsoft.Storage/storageAccounts.[variables('storageAccountName')]", "FAILED",
       "networkAcls is a string, not an object: the default action is unknown, reported as such "
       "and failed closed (basis unknown) rather than left out")
differ("CKV_AZURE_59", "arm", "arm/example_StorageAccountDisablePublicAccess/PASSED.json",
       "Microsoft.Storage/storageAccounts.default", "FAILED",
       "publicNetworkAccess absent means Enabled (Azure's default); Checkov's ARM check passes "
       "it while its Terraform check fails the same thing")
differ("CKV_AZURE_189", "arm", "arm/example_KeyVaultDisablesPublicNetworkAccess/pass3.json",
       "Microsoft.KeyVault/vaults.pass3", "FAILED",
       "publicNetworkAccess Enabled with defaultAction Allow: one IP rule does not restrict "
       "anything, the vault is open to every address (posture-tools.md section 5 row 8)")
differ("CKV_AZURE_189", "arm", "arm/example_KeyVaultDisablesPublicNetworkAccess/pass4.json",
       "Microsoft.KeyVault/vaults.pass4", "FAILED",
       "publicNetworkAccess absent (Enabled) and defaultAction Allow: open to every address "
       "despite the IP rule")
for name in ("pass3", "pass4", "pass5"):
    differ("CKV_AZURE_189", "terraform", "terraform/example_KeyVaultDisablesPublicNetworkAccess/main.tf",
           "azurerm_key_vault." + name, "FAILED",
           "public access is on and network_acls default_action is Allow: the IP rules or "
           "subnets listed restrict nothing (checkov#6122 made the check pass on any rule)")
differ("CKV_AZURE_35", "terraform", "terraform/example_StorageAccountDefaultNetworkAccessDeny/main.tf",
       "azurerm_storage_account.unknown", "FAILED",
       "no network_rules block: Azure's default action Allow applies, the account is open to "
       "every address; Checkov reports nothing (checkov#475) - a silent false negative")
differ("CKV_AZURE_35", "terraform", "terraform/example_StorageAccountDefaultNetworkAccessDeny/main.tf",
       "azurerm_storage_account_network_rules.pass", "NOT-JUDGED",
       "the rules resource configures an account the file does not declare; moat judges "
       "accounts (with their rules composed onto them) and warns about the orphan")
differ("CKV_AZURE_35", "terraform", "terraform/example_StorageAccountDefaultNetworkAccessDeny/main.tf",
       "azurerm_storage_account_network_rules.fail", "NOT-JUDGED",
       "as above: an orphan rules resource")
differ("CKV_AZURE_36", "terraform", "terraform/inline_StorageAccountAzureServicesAccessEnabled/test_failure.tf",
       "azurerm_storage_account_network_rules.test", "NOT-JUDGED",
       "as above: an orphan rules resource")


def audit(path):
    p = subprocess.run([MOAT, "audit", "--estate", path, "--format", "json"],
                       capture_output=True, text=True)
    if p.returncode not in (0, 1):
        raise RuntimeError("moat audit %s exited %d: %s" % (path, p.returncode, p.stderr))
    return json.loads(p.stdout), p.stderr


def moat_verdict(report, framework, resource, control):
    """moat's verdict on a Checkov resource ("type.name", or a Terraform
    address). storage-trusted-services is taken as CIS before 4.0 states it,
    unconditionally, as Checkov does."""
    if framework == "arm":  # "Microsoft.Storage/storageAccounts.<name>"
        cut = resource.index(".", resource.index("/"))
        kind, name = resource[:cut], resource[cut + 1:]
    else:
        kind, name = resource.split(".", 1)
    ids = set()
    for r in report["resources"]:
        if framework == "terraform" and r["address"] == resource:
            ids.add(r["id"])
        if framework == "arm" and r["id"].split("#")[0] == kind + "/" + name:
            ids.add(r["id"])
    for c in report["controls"]:
        if c["control"] != control or c["resource"] not in ids:
            continue
        if control == "storage-trusted-services" and "3.0.0" not in c["cis"]:
            continue
        return {"pass": "PASSED", "fail": "FAILED", "not-applicable": "NOT-APPLICABLE"}[c["status"]]
    return "NOT-JUDGED"


def main():
    global MOAT
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--moat", required=True)
    ap.add_argument("dir")
    args = ap.parse_args()
    MOAT = args.moat
    with open(os.path.join(args.dir, "expectations.json")) as f:
        expectations = json.load(f)["expectations"]
    reports = {}
    agree = differ_ok = skipped = 0
    failures = []
    seen = set()
    for e in expectations:
        fw, rel = e["framework"], e["file"]
        if fw == "bicep":
            skipped += 1
            continue
        key = (e["check"], fw, rel, e["resource"])
        seen.add(key)
        if rel not in reports:
            path = os.path.join(args.dir, rel)
            if fw == "terraform":
                tmp = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
                subprocess.run([sys.executable, os.path.join(HERE, "hcl2plan.py"), path],
                               stdout=tmp, check=True)
                tmp.close()
                path = tmp.name
            reports[rel] = audit(path)
        report, _ = reports[rel]
        got = moat_verdict(report, fw, e["resource"], CONTROL[e["check"]])
        want = e["checkov_expected"]
        if key in DIFFERENCES:
            expected, why = DIFFERENCES[key]
            if got != expected:
                failures.append("%s %s %s: moat says %s, the documented verdict is %s"
                                % (e["check"], rel, e["resource"], got, expected))
            elif got == want:
                failures.append("%s %s %s: listed as a difference but moat agrees with Checkov"
                                % (e["check"], rel, e["resource"]))
            else:
                differ_ok += 1
        elif got == want:
            agree += 1
        else:
            failures.append("%s %s %s: Checkov %s, moat %s, and the difference is not documented"
                            % (e["check"], rel, e["resource"], want, got))
    for key in DIFFERENCES:
        if key not in seen:
            failures.append("documented difference for %s matches no expectation" % (key,))
    for f in failures:
        print("FAIL " + f)
    print("checkov fixtures: %d agree, %d differ as documented, %d Bicep skipped, %d failures"
          % (agree, differ_ok, skipped, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
