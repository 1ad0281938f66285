#!/usr/bin/env python3
"""Replay reads the log samples Azure and others published
(tests/replay/published/README.md names each source): every record maps
to the request its fields say, or is unmapped for the reason a reader of
the format would give, and moat agrees with the outcome Azure logged."""
import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "published")
ESTATE = os.path.join(HERE, "estate.json")
FAILURES = []


def check(cond, msg):
    if not cond:
        FAILURES.append(msg)
        print("FAIL " + msg)


def replay(moat, tmp, logs):
    """Each record's --decisions line (or its unmapped reason) by
    (file, line); the summary; stderr."""
    dec, unm = os.path.join(tmp, "dec"), os.path.join(tmp, "unm")
    p = subprocess.run([moat, "replay", "--estate", ESTATE, "--format", "json", "--decisions", dec,
                        "--unmapped", unm] + logs, capture_output=True, text=True)
    check(p.returncode == 0, "replay exited %d: %s" % (p.returncode, p.stderr[-400:]))
    out = {}
    for line in open(dec):
        d = json.loads(line)
        out[(os.path.basename(d["file"]), d["line"])] = d
    for line in open(unm):
        path, no, reason, _ = line.split(":", 3)
        out[(os.path.basename(path), int(no))] = reason.strip()
    return out, json.loads(p.stdout), p.stderr


def azure_diagnostics_csv(tmp):
    """The AzureDiagnostics rows as the portal's CSV export writes them."""
    rows = [json.loads(l) for l in open(os.path.join(HERE, "keyvault-azurediagnostics.json"))]
    cols = sorted({k for r in rows for k in r})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([c if c != "TimeGenerated" else "TimeGenerated [UTC]" for c in cols])
    for r in rows:
        w.writerow(["" if r.get(c) is None else str(r[c]).lower() if isinstance(r.get(c), bool) else r[c]
                    for c in cols])
    path = os.path.join(tmp, "keyvault-azurediagnostics.csv")
    with open(path, "w") as f:
        f.write(buf.getvalue())
    return path


def azkv_csv(tmp):
    """The AZKVAuditLogs rows as a CSV export writes them: dynamic columns
    (Identity, Properties) as their JSON text, booleans as true/false."""
    rows = [json.loads(l) for l in open(os.path.join(HERE, "keyvault-azkvauditlogs.json"))]
    cols = list(rows[0])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([c if c != "TimeGenerated" else "TimeGenerated [UTC]" for c in cols])
    for r in rows:
        w.writerow(["" if r.get(c) is None else json.dumps(r[c]) if isinstance(r[c], dict)
                    else str(r[c]).lower() if isinstance(r[c], bool) else r[c] for c in cols])
    path = os.path.join(tmp, "keyvault-azkvauditlogs.csv")
    with open(path, "w") as f:
        f.write(buf.getvalue())
    return path


def check_azkv(got, name):
    """AZKVAuditLogs rows (constructed from the table's schema): a secret
    read, Resource Manager's VaultGet, a read the firewall refused; the
    caller's tenant from the Identity column's tid claim, never TenantId
    (the workspace's)."""
    vault = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/example-rg/providers/"
             "Microsoft.KeyVault/vaults/example-vault")
    first = 1 if name.endswith("json") else 2
    get, arm, refused = (got.get((name, first + i)) for i in range(3))
    check(isinstance(get, dict) and get["request"].get("resource") == vault and get["azure"] == "allowed" and
          get["request"].get("endpoint") == "vault" and "plane" not in get["request"] and
          get["request"]["source"]["ip"] == "127.0.0.1" and get["request"].get("operation") == "read" and
          get["request"]["caller"].get("tenant") == "11111111-1111-1111-1111-111111111111",
          "%s SecretGet: %s" % (name, get))
    check(isinstance(arm, dict) and arm["request"].get("plane") == "control",
          "%s VaultGet through Resource Manager: %s" % (name, arm))
    check(isinstance(refused, dict) and refused["azure"] == "denied" and
          refused["decisions"]["current"]["decision"] == "deny" and
          refused["request"]["source"]["ip"] == "20.1.2.3",
          "%s SecretGet refused by the firewall: %s" % (name, refused))


def check_classic(got, stderr):
    docs = "classic-azure-docs.log"
    for line in (1, 2, 3, 4):
        check(isinstance(got.get((docs, line)), dict), "Azure docs' classic entry %d: %s" % (line, got.get((docs, line))))
    blob, queue = got.get((docs, 1), {}), got.get((docs, 3), {})
    if isinstance(blob, dict) and blob:
        check(blob.get("lenient") is True, "the &amp; blob entry is not marked lenient")
        check(blob["request"]["caller"] == {"auth": "SAS"}, "the blob entry's caller: %s" % blob["request"])
        check(blob["request"].get("target") == "container1", "the blob entry's target: %s" % blob["request"])
        check(blob["request"]["source"].get("ip") == "71.197.193.44", "the blob entry's source")
    if isinstance(queue, dict) and queue:
        check(queue.get("lenient") is True and queue["request"].get("endpoint") == "queue",
              "the &amp; queue entry: %s" % queue)
    for line in (2, 4):
        d = got.get((docs, line))
        check(not isinstance(d, dict) or "lenient" not in d, "entry %d was read leniently" % line)
    check(stderr.count("moat: read leniently: ") == 2 and "classic-azure-docs.log:1:" in stderr,
          "lenient reading not said on stderr: %s" % stderr[-400:])
    webjobs = "classic-webjobs.log"
    check(got.get((webjobs, 1)) == "no account", "WebJobs line 1: %s" % got.get((webjobs, 1)))
    for line in (2, 3, 4, 5):
        d = got.get((webjobs, line))
        check(isinstance(d, dict) and d["request"]["caller"] == {"auth": "AccountKey"} and
              d["request"]["source"]["ip"] == "192.100.0.102", "WebJobs line %d: %s" % (line, d))
    for line in (1, 2, 3):
        check(got.get(("classic-webjobs-malformed.log", line)) == "malformed record",
              "WebJobs malformed line %d: %s" % (line, got.get(("classic-webjobs-malformed.log", line))))


def check_diagnostic(got):
    name = "diagnostic-azure-docs.json"
    want = ["OAuth", "SAS", "SAS", "SAS", "SAS", "AccountKey", "Anonymous"]
    for i, auth in enumerate(want, 1):
        d = got.get((name, i))
        check(isinstance(d, dict) and d["request"]["caller"]["auth"] == auth,
              "identity.type of record %d: expected %s, got %s" % (i, auth, d))
    check(got.get((name, 8)) == "authentication type moat does not decide", "Kerberos: %s" % got.get((name, 8)))
    oauth = got.get((name, 1))
    if isinstance(oauth, dict):
        check(oauth["request"]["caller"].get("tenant") == "72f988bf-86f1-41af-91ab-dddddddddddd", "OAuth tenant")


def check_vault(got, name):
    vault = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/example-rg/providers/"
             "Microsoft.KeyVault/vaults/example-vault")
    get, arm = got.get((name, 1 if name.endswith("json") else 2)), got.get((name, 2 if name.endswith("json") else 3))
    check(isinstance(get, dict) and get["request"].get("resource") == vault and get["azure"] == "allowed" and
          get["request"].get("endpoint") == "vault" and "plane" not in get["request"] and
          get["request"]["source"]["ip"] == "127.0.0.1" and get["request"].get("operation") == "read",
          "%s SecretGet: %s" % (name, get))
    check(isinstance(arm, dict) and arm["request"].get("plane") == "control",
          "%s VaultGet through Resource Manager: %s" % (name, arm))
    if isinstance(get, dict):
        # TenantId is the workspace's tenant, never the caller's.
        check("tenant" not in get["request"]["caller"], "%s: the workspace TenantId read as the caller's" % name)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--moat", required=True)
    moat = os.path.abspath(ap.parse_args().moat)
    with tempfile.TemporaryDirectory(prefix="moat-published-") as tmp:
        logs = [os.path.join(HERE, n) for n in sorted(os.listdir(HERE)) if n.endswith((".log", ".json"))
                and n != "estate.json"]
        logs.append(azure_diagnostics_csv(tmp))
        logs.append(azkv_csv(tmp))
        got, summary, stderr = replay(moat, tmp, logs)
        check_classic(got, stderr)
        check_diagnostic(got)
        check_vault(got, "keyvault-azurediagnostics.json")
        check_vault(got, "keyvault-azurediagnostics.csv")
        check_azkv(got, "keyvault-azkvauditlogs.json")
        check_azkv(got, "keyvault-azkvauditlogs.csv")
        fid = summary["fidelity"]
        check(fid["azure_allowed"]["moat_denied"] == 0 and not fid["disagreements"],
              "moat disagrees with Azure on a published sample: %s" % fid["disagreements"])
        check(summary["formats"].get("analytics-csv") == 5 and summary["formats"].get("analytics-json") == 5,
              "formats: %s" % summary["formats"])
    print("published samples: %d records, %d failures" % (summary["records"], len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
