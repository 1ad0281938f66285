#!/usr/bin/env python3
"""deps.py --moat MOAT

The dependency findings (MOAT015-017, docs/audit.md "Dependencies"): for
every edge kind, both outcomes, in ARM and in Terraform plan form, with
fixtures rebuilt from public reports (each case cites its thread; the
reports are summarised in the fixtures' comments). For each case:

- every edge the audit decides is the one expected (kind, caller, decision,
  category): nothing is lost, nothing is invented;
- every finding is the one expected (rule, resource it sits on);
- every edge's request, given to `moat check` on the same estate, gets the
  same decision and category (the audit and the engine agree);
- JSON, SARIF and JUnit carry the findings; a suppression and a baseline
  silence them.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
D = os.path.join(HERE, "deps")
FAILS = []

# (name, estate files (.tf are turned into plans), runners, expected edges
#  [kind, caller's last segment, decision, category], expected findings
#  [rule, resource's last segment], source)
CASES = [
    ("cmk-storage-arm", ["cmk-storage.json"], [],
     [["customer-managed-key", "stcmkok01", "allow", "ResTrustedService"],
      ["customer-managed-key", "stcmkko01", "deny", "ResDefaultActionDeny"],
      ["customer-managed-key", "stcmkuai01", "deny", "ResDefaultActionDeny"],
      ["customer-managed-key", "stcmkext01", "unknown", None]],
     [["MOAT015", "stcmkko01"], ["MOAT015", "stcmkuai01"],
      ["MOAT015", "stcmkext01"]],
     "MicrosoftDocs/azure-docs#117074 (CMK behind the vault firewall); "
     "#61015 (a user-assigned identity is not the trusted service)"),
    ("cmk-other-arm", ["cmk-other.json", "cmk-storage.json"], [],
     [["customer-managed-key", "stcmkok01", "allow", "ResTrustedService"],
      ["customer-managed-key", "stcmkko01", "deny", "ResDefaultActionDeny"],
      ["customer-managed-key", "stcmkuai01", "deny", "ResDefaultActionDeny"],
      ["customer-managed-key", "stcmkext01", "unknown", None],
      ["customer-managed-key", "sqlok01", "allow", "ResTrustedService"],
      ["customer-managed-key", "sqlko01", "deny", "ResDefaultActionDeny"],
      ["customer-managed-key", "desok01", "allow", "ResTrustedService"],
      ["customer-managed-key", "desko01", "deny", "ResDefaultActionDeny"],
      ["customer-managed-key", "evhnsok01", "allow", "ResTrustedService"],
      ["customer-managed-key", "sbnsko01", "deny", "ResDefaultActionDeny"],
      ["customer-managed-key", "acrok01", "allow", "ResTrustedService"],
      ["customer-managed-key", "acruai01", "deny", "ResDefaultActionDeny"],
      ["customer-managed-key", "cosmosko01", "deny", "ResDefaultActionDeny"],
      ["customer-managed-key", "laclok01", "allow", "ResTrustedService"]],
     [["MOAT015", "stcmkko01"], ["MOAT015", "stcmkuai01"],
      ["MOAT015", "stcmkext01"], ["MOAT015", "sqlko01"],
      ["MOAT015", "desko01"], ["MOAT015", "sbnsko01"],
      ["MOAT015", "acruai01"], ["MOAT015", "cosmosko01"]],
     "MicrosoftDocs/azure-docs#61015 (acruai01: its identity and key "
     "identifier as reported)"),
    ("cmk-perimeter-arm", ["nsp.json", "cmk-perimeter.json",
                           "cmk-storage.json"], [],
     None,  # every edge as in nsp-arm and cmk-storage-arm, and:
     [["MOAT015", "stnspcmk01"], ["MOAT015", "func-nsp-key"],
      ["MOAT015", "func-nsp-mi"], ["MOAT015", "stcmkext01"],
      ["MOAT015", "stcmkko01"], ["MOAT015", "stcmkuai01"]] +
     [["MOAT016", "stnsp01"]] * 7 + [["MOAT016", "stnspl01"]] * 2,
     "seed 003's warning: the CMK vault must be reachable from within the "
     "perimeter"),
    ("logs-arm", ["logs.json"], [],
     [["diagnostic-logs", "to-ok", "allow", "ResTrustedService"],
      ["diagnostic-logs", "to-ko", "deny", "ResDefaultActionDeny"],
      ["flow-logs", "fl-ok", "allow", "ResTrustedService"],
      ["flow-logs", "fl-ko", "deny", "ResDefaultActionDeny"],
      ["sql-auditing", "sqlaudok01", "allow", "ResTrustedService"],
      ["sql-auditing", "sqlaudko01", "deny", "ResDefaultActionDeny"],
      ["event-hubs-capture", "orders", "allow", "ResTrustedService"],
      ["event-hubs-capture", "payments", "deny", "ResDefaultActionDeny"]],
     [["MOAT015", "kvdiag01"], ["MOAT015", "fl-ko"],
      ["MOAT015", "sqlaudko01"], ["MOAT015", "payments"]],
     "hashicorp/terraform-provider-azurerm#14400, MicrosoftDocs/azure-docs"
     "#102123 and #64844 (logs need trusted services), #80312 (SQL auditing)"),
    ("apps-arm", ["apps.json"], [],
     [["function-storage", "func-vnet", "allow", "ResVirtualNetworkRule"],
      ["key-vault-reference", "func-vnet", "deny", "ResDefaultActionDeny"],
      ["function-storage", "func-public", "deny", "ResDefaultActionDeny"],
      ["function-storage", "func-sameregion", "deny", "ResDefaultActionDeny"],
      ["key-vault-reference", "web-public", "deny", "ResDefaultActionDeny"]],
     [["MOAT015", "func-vnet"], ["MOAT015", "func-public"],
      ["MOAT015", "func-sameregion"], ["MOAT015", "web-public"]],
     "Azure/azure-functions-host#5572, Azure/Azure-Functions#2486 (Functions "
     "storage behind a firewall)"),
    ("nsp-arm", ["nsp.json"], [],
     [["sftp", "stnsp01", "deny", "ResProtocolNotSupportedByPerimeter"],
      ["nfs", "stnspl01", "deny", "ResProtocolNotSupportedByPerimeter"],
      ["lifecycle-management", "default", "deny", None],
      ["lifecycle-management", "default", "allow", None],
      ["blob-inventory", "default", "deny", None],
      ["smb", "content", "deny", "ResProtocolNotSupportedByPerimeter"],
      ["object-replication", "default", "deny", None],
      ["unmanaged-disk", "vm-legacy", "deny", None],
      ["vaulted-backup", "stnsp01", "deny", None],
      ["function-storage", "func-nsp-key", "deny",
       "NspPublicInboundPerimeterRulesDenied"],
      ["function-storage", "func-nsp-mi", "allow",
       "NspPublicInboundPerimeterRulesAllowed"],
      ["function-storage", "func-nsp-mi", "deny",
       "ResProtocolNotSupportedByPerimeter"]],
     [["MOAT016", "stnsp01"]] * 7 + [["MOAT016", "stnspl01"]] * 2 +
     [["MOAT015", "func-nsp-key"], ["MOAT015", "func-nsp-mi"]],
     "Azure/azure-functions-dotnet-worker#3164 and Azure/Azure-Functions#2631 "
     "(Enforced perimeter on AzureWebJobsStorage); seed 003 Limitations"),
    ("cmk-tf", ["cmk.tf"], [],
     [["customer-managed-key", "sttfcmkok01", "allow", "ResTrustedService"],
      ["customer-managed-key", "sttfcmkko01", "deny", "ResDefaultActionDeny"],
      ["customer-managed-key", "sqltfok01", "allow", "ResTrustedService"],
      ["customer-managed-key", "destfko01", "deny", "ResDefaultActionDeny"],
      ["customer-managed-key", "evhnstf01", "allow", "ResTrustedService"],
      ["customer-managed-key", "sbnstf01", "deny", "ResDefaultActionDeny"],
      ["customer-managed-key", "acrtf01", "allow", "ResTrustedService"],
      ["customer-managed-key", "cosmostf01", "deny", "ResDefaultActionDeny"],
      ["customer-managed-key", "lacltf01", "allow", "ResTrustedService"]],
     [["MOAT015", "sttfcmkko01"], ["MOAT015", "destfko01"],
      ["MOAT015", "sbnstf01"], ["MOAT015", "cosmostf01"]],
     "Terraform arguments per azurerm 5.2.0 docs"),
    ("logs-tf", ["logs.tf"], [],
     [["diagnostic-logs", "azurerm_monitor_diagnostic_setting.ok", "allow",
       "ResTrustedService"],
      ["diagnostic-logs", "azurerm_monitor_diagnostic_setting.example",
       "deny", "ResDefaultActionDeny"],
      ["flow-logs", "azurerm_network_watcher_flow_log.ok", "allow",
       "ResTrustedService"],
      ["flow-logs", "azurerm_network_watcher_flow_log.ko", "deny",
       "ResDefaultActionDeny"],
      ["sql-auditing", "sqltfaud01", "allow", "ResTrustedService"],
      ["sql-auditing", "sqltfaud02", "deny", "ResDefaultActionDeny"],
      ["event-hubs-capture", "orders", "allow", "ResTrustedService"],
      ["event-hubs-capture", "payments", "deny", "ResDefaultActionDeny"]],
     [["MOAT015", "kvtfdiag02"], ["MOAT015",
                                  "azurerm_network_watcher_flow_log.ko"],
      ["MOAT015", "sqltfaud02"], ["MOAT015", "payments"]],
     "hashicorp/terraform-provider-azurerm#14400 (its configuration)"),
    ("apps-tf", ["apps.tf"], [],
     [["function-storage", "functf-public", "deny", "ResDefaultActionDeny"],
      ["key-vault-reference", "functf-public", "deny",
       "ResDefaultActionDeny"],
      ["function-storage", "functf-listed", "allow", "ResIpRule"],
      ["key-vault-reference", "functf-listed", "allow", "ResIpRule"]],
     [["MOAT015", "functf-public"], ["MOAT015", "functf-public"]],
     "hashicorp/terraform-provider-azurerm#30685 (Functions storage from "
     "Terraform behind network rules)"),
    ("features-tf", ["features.tf"], [],
     [["sftp", "sttfnsp01", "deny", "ResProtocolNotSupportedByPerimeter"],
      ["nfs", "sttfnspl01", "deny", "ResProtocolNotSupportedByPerimeter"],
      ["smb", "azurerm_storage_share.content", "deny",
       "ResProtocolNotSupportedByPerimeter"],
      ["object-replication", "azurerm_storage_object_replication.or", "deny",
       None],
      ["lifecycle-management", "azurerm_storage_management_policy.learning",
       "allow", None],
      ["blob-inventory", "azurerm_storage_blob_inventory_policy.inv", "deny",
       None],
      ["vaulted-backup",
       "azurerm_data_protection_backup_instance_blob_storage.bk", "deny",
       None],
      ["unmanaged-disk", "azurerm_virtual_machine.legacy", "deny", None],
      ["function-storage", "functf-nsp", "deny",
       "NspPublicInboundPerimeterRulesDenied"]],
     [["MOAT016", "sttfnsp01"]] * 6 + [["MOAT016", "sttfnspl01"]] * 2 +
     [["MOAT015", "functf-nsp"]],
     "Azure/azure-functions-dotnet-worker#3164; seed 003 Limitations"),
    ("r1-container-tf", ["r1-container.tf"],
     ["203.0.113.5", "100.0.0.1", "198.51.100.7,region=westeurope"],
     [["runner", "203.0.113.5", "deny", "ResDefaultActionDeny"],
      ["runner", "100.0.0.1", "allow", "ResIpRule"],
      ["runner", "198.51.100.7", "deny", "ResDefaultActionDeny"]],
     [["MOAT017", "azurerm_storage_container.dxdssa"]] * 2,
     "hashicorp/terraform-provider-azurerm#15683 (its configuration; "
     "storage_account_id since 4.9.0 is not a data-plane request)"),
    ("r3-secret-tf", ["r3-secret.tf"], ["203.0.113.5", "198.51.100.7"],
     [["runner", "203.0.113.5", "deny", "ResDefaultActionDeny"],
      ["runner", "198.51.100.7", "allow", "ResIpRule"]],
     [["MOAT017", "azurerm_key_vault_secret.user"]],
     "hashicorp/terraform-provider-azurerm#20742 and #4553"),
]


def fail(case, msg):
    FAILS.append("%s: %s" % (case, msg))


def last(s):
    return (s or "").rstrip("/").split("/")[-1]


def estate_args(files, tmp):
    args = ["--estate", os.path.join(D, "common.json")]
    for f in files:
        path = os.path.join(D, f)
        if f.endswith(".tf"):
            out = os.path.join(tmp, f + ".json")
            with open(out, "w") as fp:
                subprocess.run([sys.executable, os.path.join(HERE, "hcl2plan.py"),
                                path], stdout=fp, check=True)
            path = out
        args += ["--estate", path]
    return args


def audit(moat, est, runners, fmt="json", extra=()):
    cmd = [moat, "audit", "--quiet", "--format", fmt] + est + list(extra)
    for r in runners:
        cmd += ["--runner", r]
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def check_request(moat, est, req):
    p = subprocess.run([moat, "check", "--quiet", "--format", "json",
                        "--request", "-"] + est,
                       input=json.dumps(req), capture_output=True, text=True)
    try:
        return json.loads(p.stdout)
    except ValueError:
        return {"error": p.stderr.strip()}


def run_case(moat, tmp, case):
    name, files, runners, edges, findings, _source = case
    est = estate_args(files, tmp)
    rc, out, err = audit(moat, est, runners)
    try:
        d = json.loads(out)
    except ValueError:
        fail(name, "no JSON (exit %d): %s" % (rc, err[-300:]))
        return
    got = [[x["kind"], last(x["from"]), x["decision"], x["category"]]
           for x in d["dependencies"]]
    if edges is not None and sorted(map(str, got)) != sorted(map(str, edges)):
        fail(name, "edges\n  got      %s\n  expected %s" % (got, edges))
    dep = [f for f in d["findings"] if f["dependency"]]
    gotf = sorted([f["id"], last(f["name"])] for f in dep)
    if sorted(findings) != gotf:
        fail(name, "findings\n  got      %s\n  expected %s"
             % (gotf, sorted(findings)))
    for f in dep:
        dd = f["dependency"]
        if set(dd) != {"kind", "from", "to", "request", "decision",
                       "category", "rule", "resource"}:
            fail(name, "dependency object keys %s" % sorted(dd))
        if dd["decision"] == "unknown" and dd["category"] is not None:
            fail(name, "an unknown edge has a category")
        if dd["decision"] != "unknown" and not f["fix"] and \
                f["id"] != "MOAT016":
            fail(name, "%s has no fix" % f["message"][:80])
    # The audit and the engine agree on every request.
    for x in d["dependencies"]:
        if x["request"] is None or x["decision"] == "unknown":
            continue
        ans = check_request(moat, est, x["request"])
        if ans.get("decision") != x["decision"] or \
                ans.get("category") != x["category"]:
            fail(name, "moat check disagrees on %s: %s vs audit %s %s"
                 % (json.dumps(x["request"]), ans, x["decision"],
                    x["category"]))
    return est, d


def formats(moat, tmp, est, runners, d):
    """SARIF, JUnit, suppressions and baselines see the same findings."""
    n = sum(1 for f in d["findings"] if f["dependency"])
    rc, out, _ = audit(moat, est, runners, "sarif")
    s = json.loads(out)
    deps = [r for r in s["runs"][0]["results"]
            if "dependency" in r.get("properties", {})]
    if len(deps) != n:
        fail("formats", "sarif has %d dependency results, json %d"
             % (len(deps), n))
    rc, out, _ = audit(moat, est, runners, "junit")
    for rule in ("MOAT015", "MOAT016", "MOAT017"):
        if any(f["id"] == rule for f in d["findings"]) and rule not in out:
            fail("formats", "junit lacks %s" % rule)
    sup = os.path.join(tmp, "sup.json")
    with open(sup, "w") as fp:
        json.dump({"suppressions": [
            {"rule": r, "resource": "*", "reason": "test"}
            for r in ("dependency-refused", "perimeter-unsupported-feature",
                      "runner-refused")]}, fp)
    rc, out, _ = audit(moat, est, runners, "json", ["--suppressions", sup])
    left = [f for f in json.loads(out)["findings"]
            if f["dependency"] and f["state"] == "active"]
    if left:
        fail("formats", "suppressions left %d active" % len(left))
    base = os.path.join(tmp, "base.json")
    audit(moat, est, runners, "json", ["--write-baseline", base])
    rc, out, _ = audit(moat, est, runners, "json", ["--baseline", base])
    left = [f for f in json.loads(out)["findings"]
            if f["dependency"] and f["state"] == "active"]
    if left:
        fail("formats", "the baseline left %d active" % len(left))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    a = ap.parse_args()
    n_edges = 0
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            r = run_case(a.moat, tmp, case)
            if r:
                n_edges += len(r[1]["dependencies"])
        est = estate_args(["nsp.json", "logs.json", "apps.json"], tmp)
        _, d = run_case(a.moat, tmp, ("all", ["nsp.json", "logs.json",
                                               "apps.json"], [], None,
                                      sorted(sum([c[4] for c in CASES
                                                  if c[0] in ("nsp-arm",
                                                              "logs-arm",
                                                              "apps-arm")],
                                                 [])), ""))
        formats(a.moat, tmp, est, [], d)
        r1 = CASES[-2]
        est = estate_args(r1[1], tmp)
        _, out, _ = audit(a.moat, est, r1[2])
        formats(a.moat, tmp, est, r1[2], json.loads(out))
    for f in FAILS:
        print("FAIL " + f)
    print("deps: %d cases, %d edges decided and checked against moat check, "
          "%d failures" % (len(CASES), n_edges, len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
