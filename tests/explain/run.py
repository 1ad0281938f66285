#!/usr/bin/env python3
"""`moat explain` on real failures.

Error bodies as Azure returned them (bodies/, sources in SOURCES.md), with
and without the example estate; and one denied record of every log format
replay reads (written by tests/replay/genlogs.py and gennsp.py), whose
explanation must decide as `moat check` does on the request the record
stands for.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(TOP, "examples", "estate")
REPLAY = os.path.join(TOP, "tests", "replay")
FAILURES = []

FIREWALL, PERIMETER, PRIVATE = "network firewall", "network security perimeter", \
    "private link / public network access"
NETWORK = "network (firewall or perimeter)"
ROLE = "not the network: authorization (role assignment or access policy)"

VNET = "/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/resourceGroups/rg-nw-network/providers/" \
    "Microsoft.Network/virtualNetworks/"
SNET_APP = VNET + "vnet-nw-prod-weu/subnets/snet-app"

# file, extra arguments, expected fields of the JSON answer
CASES = [
    ("kv-firewall-courselabs.json", [], {"layer": FIREWALL, "code": "Forbidden", "inner_code": "ForbiddenByFirewall",
                                         "source_ip": "20.126.176.160", "resource": "labsvnetappses"}),
    ("kv-nsp-azureossd.json", [], {"layer": PERIMETER, "inner_code": "ForbiddenByFirewall", "resource": "someakv"}),
    ("kv-connection-azureossd.json", [], {"layer": PRIVATE, "inner_code": "ForbiddenByConnection", "source_ip": ""}),
    ("kv-firewall-terraform-sap-automation-245.txt", [], {"layer": FIREWALL, "status": 403,
                                                          "inner_code": "ForbiddenByFirewall",
                                                          "source_ip": "20.111.13.60",
                                                          "resource": "MGMTWEEULAZ01user60D"}),
    ("kv-connection-terraform-multimodal-171.txt", [], {"layer": PRIVATE, "inner_code": "ForbiddenByConnection",
                                                        "resource": "kv-ac76373a"}),
    ("kv-subnet-aks-troubleshooting.txt", [], {"layer": FIREWALL, "inner_code": "ForbiddenByFirewall"}),
    ("storage-firewall-storage-explorer-3609.txt", [], {"layer": NETWORK, "code": "AuthorizationFailure"}),
    ("storage-firewall-storage-explorer-8769.json", [], {"layer": NETWORK, "status": 403,
                                                         "code": "AuthorizationFailure"}),
    ("storage-role-sdk-js-recording.http", [], {"layer": ROLE, "status": 403,
                                                "code": "AuthorizationPermissionMismatch"}),
    # With the configuration: the smallest fix and what it opens.
    ("kv-firewall-courselabs.json", ["--estate", EXAMPLE, "--resource", "kv-nw-edi"],
     {"layer": PERIMETER, "decision": "deny", "category": "NspPublicInboundPerimeterRulesDenied",
      "command": "az network perimeter profile access-rule create --resource-group rg-nw-security "
                 "--perimeter-name nsp-nw-prod --profile-name prof-secrets --name allow-20.126.176.160 "
                 "--address-prefixes 20.126.176.160/32",
      "opens": "1 address (20.126.176.160) to every resource of profile prof-secrets: 1 resource"}),
    ("storage-firewall-storage-explorer-3609.txt", ["--estate", EXAMPLE, "--resource", "stnwshipments",
                                                    "--source-ip", "20.1.2.3"],
     {"layer": FIREWALL, "decision": "deny", "category": "ResDefaultActionDeny",
      "command": "az storage account network-rule add --resource-group rg-nw-data --account-name "
                 "stnwshipments --ip-address 20.1.2.3"}),
    ("storage-firewall-storage-explorer-3609.txt", ["--estate", EXAMPLE, "--resource", "stnwshipments",
                                                    "--source-ip", "10.20.1.7"],
     {"layer": FIREWALL, "decision": "deny", "private_source": True,
      # the estate's subnet whose prefix (10.20.1.0/24) holds the address
      "subnets": [SNET_APP],
      "command": "az storage account network-rule add --resource-group rg-nw-data --account-name "
                 "stnwshipments --subnet " + SNET_APP}),
    ("storage-firewall-storage-explorer-3609.txt", ["--estate", EXAMPLE, "--resource", "stnwshipments",
                                                    "--source-ip", "10.99.1.7"],
     {"layer": FIREWALL, "decision": "deny", "private_source": True, "subnets": [],
      "command": "az storage account network-rule add --resource-group rg-nw-data --account-name "
                 "stnwshipments --subnet '<subnet id>'"}),
    ("storage-role-sdk-js-recording.http", ["--estate", EXAMPLE, "--resource", "stnwpublicassets",
                                            "--source-ip", "20.1.2.3"],
     {"layer": ROLE, "decision": "allow"}),
]


def fail(msg):
    FAILURES.append(msg)
    print("FAIL " + msg)


def explain(moat, args, stdin=None, ok=(0,)):
    p = subprocess.run([moat, "explain", "--format", "json"] + args, capture_output=True, text=True, input=stdin)
    if p.returncode not in ok:
        fail("moat explain %s -> %d: %s" % (" ".join(args), p.returncode, p.stderr[-400:]))
        return None
    return json.loads(p.stdout) if p.returncode == 0 else p


def check_bodies(moat):
    for name, extra, expect in CASES:
        got = explain(moat, extra + [os.path.join(HERE, "bodies", name)])
        if got is None:
            continue
        bad = {k: (got.get(k), v) for k, v in expect.items() if got.get(k) != v}
        if bad:
            fail("%s %s: %s" % (name, " ".join(extra), bad))
    text = subprocess.run([moat, "explain", os.path.join(HERE, "bodies", "kv-firewall-courselabs.json")],
                          capture_output=True, text=True).stdout
    for want in ("refused by: network firewall", "address Azure saw: 20.126.176.160", "look at:"):
        if want not in text:
            fail("text form lacks %r:\n%s" % (want, text))
    p = explain(moat, ["-"], stdin="hello, nothing here\n", ok=(4,))
    if p is None:
        fail("an input with no failure in it is not refused")


def check_overlapping_subnets(moat, tmp):
    """Two virtual networks reusing 10.20.1.0/24: both subnets are named,
    the command takes the first, the text says the others are candidates."""
    d = os.path.join(tmp, "overlap")
    shutil.copytree(EXAMPLE, d)
    other = VNET.replace("rg-nw-network", "rg-other") + "vnet-other"
    with open(os.path.join(d, "zz-other-vnet.json"), "w") as f:
        json.dump([{"id": other, "name": "vnet-other", "type": "Microsoft.Network/virtualNetworks",
                    "location": "westeurope",
                    "properties": {"addressSpace": {"addressPrefixes": ["10.20.0.0/16"]},
                                   "subnets": [{"id": other + "/subnets/snet-copy", "name": "snet-copy",
                                                "properties": {"addressPrefix": "10.20.1.0/25"}}]}}], f)
    body = os.path.join(HERE, "bodies", "storage-firewall-storage-explorer-3609.txt")
    args = ["--estate", d, "--resource", "stnwshipments", "--source-ip", "10.20.1.7", body]
    got = explain(moat, args)
    if got is None:
        return
    if sorted(got.get("subnets", [])) != sorted([SNET_APP, other + "/subnets/snet-copy"]) or \
            "--subnet " + got["subnets"][0] not in got["command"] or "2 of the estate's subnets" not in got["fix"]:
        fail("overlapping subnets: %s" % json.dumps(got)[:900])
    text = subprocess.run([moat, "explain"] + args, capture_output=True, text=True).stdout
    if "or --subnet " not in text:
        fail("overlapping subnets, text form lacks the other candidate:\n%s" % text)


def first_denied(log, truth, fmt):
    """The text of the first record Azure denied (with the CSV header)."""
    rows = [json.loads(l) for l in open(truth)]
    want = next(t["line"] for t in rows if t.get("azure") == "denied" or
                (t.get("azure_category", "").endswith("Denied")))
    with open(log) as f:
        lines = f.read().splitlines()
    head = lines[0] + "\n" if fmt == "analytics-csv" else ""
    return head + lines[want - 1] + "\n", next(t for t in rows if t["line"] == want)


def check_logs(moat, tmp):
    for gen, fmt in (("genlogs.py", "diagnostic"), ("genlogs.py", "analytics-json"), ("genlogs.py", "analytics-csv"),
                     ("genlogs.py", "classic"), ("genlogs.py", "keyvault"), ("gennsp.py", "diagnostic"),
                     ("gennsp.py", "analytics-csv")):
        log, truth = os.path.join(tmp, fmt + gen + ".log"), os.path.join(tmp, fmt + gen + ".truth")
        args = ["--estate", EXAMPLE, "--out", log, "--truth", truth, "--format", fmt, "--seed", "3"]
        subprocess.run([sys.executable, os.path.join(REPLAY, gen)] + args +
                       (["--records", "400", "--denied", "30"] if gen == "genlogs.py" else []), check=True)
        rec, t = first_denied(log, truth, fmt)
        got = explain(moat, ["--estate", EXAMPLE, "-"], stdin=rec)
        bare = explain(moat, ["-"], stdin=rec)
        tag = "%s %s" % (gen, fmt)
        if got is None or bare is None:
            continue
        if got.get("decision") != "deny" or got["layer"].startswith("not the network"):
            fail("%s: a record Azure denied explained as %s / %s" % (tag, got.get("decision"), got.get("layer")))
        if "request" in t:
            check = subprocess.run([moat, "check", "--estate", EXAMPLE, "--request", "-", "--format", "json"],
                                   input=json.dumps(t["request"]), capture_output=True, text=True).stdout
            if json.loads(check)["category"] != got.get("category"):
                fail("%s: explain decides %s, moat check %s" % (tag, got.get("category"), check))
        if bare["layer"] in ("unknown", ROLE) or not bare.get("look_at"):
            fail("%s: without an estate the layer is %s" % (tag, bare["layer"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    moat = os.path.abspath(ap.parse_args().moat)
    tmp = tempfile.mkdtemp(prefix="moat-explain-")
    try:
        check_bodies(moat)
        check_logs(moat, tmp)
        check_overlapping_subnets(moat, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("explain: %d failures" % len(FAILURES))
        sys.exit(1)
    print("explain: %d bodies and every log format explained" % len(CASES))


if __name__ == "__main__":
    main()
