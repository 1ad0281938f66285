#!/usr/bin/env python3
"""tests/audit/templates.py - real ARM templates and the fixtures of issue 12
through `moat audit`: nothing a template declares is silently lost.

1. Every real template of tests/audit/templates/real (sources, commits and
   licences in SOURCES.tsv, MIT) is audited. Every storage account and key
   vault it declares (the counts in SOURCES.tsv, checked by hand against
   the files; "existing" references left out) is audited, every perimeter
   is read (`moat estate`), and what it keeps elsewhere (linked templates,
   private endpoints moat cannot name) is reported as not expanded, naming
   it (the not_expanded column). An audit of nothing never exits 0.
2. Fixtures, each with the verdicts it must give: nested deployments,
   languageVersion 2.0, ARM's lenient JSON, azapi_resource, the older
   azurerm_storage_account_network_rules form with an orphan, and Azure's
   REST example updateVault (an Approved connection without an endpoint
   id).

Usage: templates.py --moat build/asan/moat [--shared tests/shared]
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DIR = os.path.join(HERE, "templates")
FAILURES = []


def fail(where, msg):
    FAILURES.append("%s: %s" % (where, msg))


def run(moat, *args):
    p = subprocess.run([moat, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def audit(moat, path, *extra):
    rc, out, err = run(moat, "audit", "--estate", path, "--format", "json",
                       *extra)
    if rc not in (0, 1):
        fail(path, "moat audit exited %d: %s" % (rc, err.strip()[-400:]))
        return rc, None, err
    return rc, json.loads(out), err


def perimeters(moat, path):
    rc, out, err = run(moat, "estate", "--estate", path, "--lenient",
                       "--format", "json")
    if rc != 0:
        fail(path, "moat estate exited %d: %s" % (rc, err.strip()[-300:]))
        return []
    return json.loads(out).get("perimeters", [])


def kinds(d):
    # Only accounts and vaults are judged; the resources a dependency
    # finding sits on (kind "other", "plan") are counted apart.
    count = {"storage": 0, "keyvault": 0}
    for r in d["resources"]:
        if r["kind"] in count:
            count[r["kind"]] += 1
    return count


def never_clean_when_empty(where, rc, d):
    if not d["resources"] and (rc == 0 or d["complete"]):
        fail(where, "0 resources, yet exit %d and complete %s"
             % (rc, d["complete"]))
    if d["incomplete"] and (rc == 0 or d["summary"]["complete"]):
        fail(where, "incomplete, yet exit %d" % rc)


def real_templates(moat):
    totals = dict(templates=0, declared=0, audited=0, not_expanded=0,
                  reports=0, lost=0)
    with open(os.path.join(DIR, "SOURCES.tsv"), newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    for row in rows:
        path = os.path.join(DIR, "real", row["file"])
        where = row["file"]
        rc, d, err = audit(moat, path)
        if d is None:
            continue
        totals["templates"] += 1
        never_clean_when_empty(where, rc, d)
        got = kinds(d)
        got["perimeter"] = len(perimeters(moat, path))
        want = {"storage": int(row["storage_accounts"]),
                "keyvault": int(row["key_vaults"]),
                "perimeter": int(row["perimeters"])}
        for k in want:
            totals["declared"] += want[k]
            totals["audited"] += min(got[k], want[k])
            if got[k] < want[k]:
                totals["lost"] += want[k] - got[k]
                fail(where, "declares %d %s, %d audited" % (want[k], k, got[k]))
        said = " | ".join(g["what"] + ": " + g["why"] for g in d["incomplete"])
        for name in filter(None, row["not_expanded"].split(";")):
            totals["not_expanded"] += 1
            if name not in said:
                totals["lost"] += 1
                fail(where, "%r is not reported as not expanded" % name)
        totals["reports"] += len(d["incomplete"])
        if "warning" not in err and d["incomplete"]:
            fail(where, "incomplete without a warning on stderr")
    print("templates: %(templates)d real templates, %(declared)d accounts, "
          "vaults and perimeters declared, %(audited)d audited, "
          "%(not_expanded)d held elsewhere reported as not expanded "
          "(%(reports)d reports in all), %(lost)d lost" % totals)


def control(d, name, control):
    for c in d["controls"]:
        if c["resource"].endswith(name) and c["control"] == control:
            return c
    return None


def expose(d, name, source):
    for e in d["exposure"]:
        if e["resource"].endswith(name) and e["source"] == source:
            return e
    return None


def check(where, cond, what):
    if not cond:
        fail(where, what)


def fixture_nested(moat):
    where = "fixtures/nested.json"
    rc, d, err = audit(moat, os.path.join(DIR, "fixtures", "nested.json"))
    check(where, rc == 1 and not d["complete"], "the linked template makes "
          "it incomplete")
    check(where, len(d["resources"]) == 3, "three accounts, two nested")
    check(where, any("storage.json" in g["why"] for g in d["incomplete"]),
          "the linked template is named")
    c = control(d, "stnestedlocked", "storage-default-deny")
    check(where, c and c["status"] == "pass", "Deny passed in is a value")
    c = control(d, "kv-nested-deep", "keyvault-default-deny")
    check(where, c and c["basis"] == "unknown",
          "the top's parameter, two deep, is unknown")
    check(where, any(f["id"] == "MOAT001" and f["name"] == "stnestedtop"
                     for f in d["findings"]), "the top account is open")


def fixture_lv2(moat):
    where = "fixtures/lv2.json"
    rc, d, err = audit(moat, os.path.join(DIR, "fixtures", "lv2.json"))
    check(where, [r["kind"] for r in d["resources"]] == ["keyvault"],
          "the vault, not the existing account")
    c = control(d, "[parameters('vaultName')]", "keyvault-private-endpoint")
    check(where, c and c["basis"] == "unknown" and "unknown" in c["reason"],
          "the template's endpoint is a connection of unknown approval")
    e = expose(d, "[parameters('vaultName')]", "private-endpoints")
    check(where, e and e["admitted"] == "unknown" and "of 1" in e["detail"],
          "never 0 of 0")


def fixture_lenient(moat):
    where = "fixtures/lenient.json"
    rc, d, err = audit(moat, os.path.join(DIR, "fixtures", "lenient.json"))
    check(where, d and len(d["resources"]) == 1, "comments, trailing commas, "
          "a multi-line string and a BOM load")
    c = control(d, "stlenient", "storage-default-deny")
    check(where, c and c["status"] == "pass", "read as written")


def fixture_azapi(moat):
    where = "terraform/azapi-plan.json"
    rc, d, err = audit(moat, os.path.join(HERE, "terraform", "azapi-plan.json"))
    check(where, d["complete"], "every azapi resource is read")
    c = control(d, "stazapidata", "storage-default-deny")
    check(where, c and c["status"] == "pass" and "Enforced" in c["reason"],
          "the azapi association (ids from the body's references) enforces")
    e = expose(d, "stazapidata", "internet")
    check(where, e and e["detail"].startswith("256 IPv4"),
          "the azapi access rule admits its /24")
    e = expose(d, "kv-azapi-json", "internet")
    check(where, e and e["detail"].startswith("256 IPv4"),
          "an azapi 1.x body (a JSON string) is read")
    c = control(d, "stazapilater", "storage-default-deny")
    check(where, c and c["basis"] == "unknown",
          "a body known only after apply is unknown")


def fixture_legacy(moat):
    where = "terraform/legacy-rules-plan.json"
    rc, d, err = audit(moat, os.path.join(HERE, "terraform",
                                          "legacy-rules-plan.json"))
    c = control(d, "stlegacy", "storage-default-deny")
    check(where, c and c["status"] == "pass" and c["basis"] == "explicit",
          "rules named by storage_account_name compose onto their account")
    whats = [g["what"] for g in d["incomplete"]]
    check(where, rc == 1 and "a storage account's network rules" in whats,
          "the orphan is reported and the audit incomplete")
    check(where, "stelsewhere" in err, "the orphan's warning names it")
    check(where, any("azapi_update_resource" in w for w in whats),
          "a partial update is not read")


def fixture_rest(moat, shared):
    where = "rest-api-examples/keyvault/2025-05-01/updateVault.json"
    src = os.path.join(shared, "realworld", where)
    body = json.load(open(src))["responses"]["200"]["body"]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(body, f)
    try:
        rc, d, err = audit(moat, f.name)
    finally:
        os.unlink(f.name)
    c = control(d, "sample-vault", "keyvault-private-endpoint")
    check(where, c and c["status"] == "pass",
          "an Approved connection without privateEndpoint.id counts")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "shared"))
    a = ap.parse_args()
    real_templates(a.moat)
    fixture_nested(a.moat)
    fixture_lv2(a.moat)
    fixture_lenient(a.moat)
    fixture_azapi(a.moat)
    fixture_legacy(a.moat)
    fixture_rest(a.moat, a.shared)
    for f in FAILURES:
        print("FAIL " + f)
    print("templates: 6 fixtures, %d failures" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
