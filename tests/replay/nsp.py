#!/usr/bin/env python3
"""`moat replay` on network security perimeter access logs (NSPAccessLogs).

gennsp.py writes records of every inbound category, for every perimeter
association of the example estate (one added with an Approved private
endpoint, so that NspPrivateInboundAllowed has a caller), in every format
replay reads, with Azure's category and rule worked out from the estate.
Then:

  - every record maps to the resource, address and authentication it
    stands for, or is unmapped for the reason it was made to be;
  - moat's category and rule (in the perimeter's terms) are Azure's on
    every record, and the summary's nsp_fidelity says so;
  - moat check on the requests --decisions wrote decides the same;
  - with an estate that differs from Azure's (a rule removed, a mode
    changed), the disagreements are reported, grouped, with their counts;
  - shards merge into the single run's summary, byte for byte; a partial
    whose perimeter counts do not add up is refused.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(TOP, "examples", "estate")
FORMATS = ["diagnostic", "diagnostic-records", "analytics-json", "analytics-array", "analytics-csv"]
NSP = ("/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/resourceGroups/rg-nw-security/providers/"
       "Microsoft.Network/networkSecurityPerimeters/nsp-nw-prod")
FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL " + msg)


def run(moat, args, ok=(0,), stdin=None):
    p = subprocess.run([moat] + args, capture_output=True, text=True, input=stdin)
    if p.returncode not in ok:
        fail("moat %s -> %d: %s" % (" ".join(args), p.returncode, p.stderr[-400:]))
    return p


def edit_estate(src, dst, edit):
    shutil.copytree(src, dst)
    path = os.path.join(dst, "perimeters.json")
    with open(path) as f:
        doc = json.load(f)
    items = doc if isinstance(doc, list) else doc["value"]
    edit(items)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    return dst


def add_private_member(items):
    """stnwfinance (an Approved private endpoint) joins nsp-nw-prod."""
    items.append({"id": NSP + "/resourceAssociations/assoc-stnwfinance", "name": "assoc-stnwfinance",
                  "type": "Microsoft.Network/networkSecurityPerimeters/resourceAssociations",
                  "properties": {"privateLinkResource": {"id": "/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/"
                                                               "resourceGroups/rg-nw-finance/providers/"
                                                               "Microsoft.Storage/storageAccounts/stnwfinance"},
                                 "profile": {"id": NSP + "/profiles/prof-data"}, "accessMode": "Enforced"}})


def read_lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def check_format(moat, tmp, estate, fmt, gz):
    tag = fmt + (".gz" if gz else "")
    log, truth_path = os.path.join(tmp, tag + ".log"), os.path.join(tmp, tag + ".truth")
    subprocess.run([sys.executable, os.path.join(HERE, "gennsp.py"), "--estate", estate, "--out", log,
                    "--truth", truth_path, "--format", fmt, "--seed", str(len(tag))] + (["--gzip"] if gz else []),
                   check=True)
    dec, unm = os.path.join(tmp, tag + ".dec"), os.path.join(tmp, tag + ".unm")
    p = run(moat, ["replay", "--estate", estate, "--format", "json", "--decisions", dec, "--unmapped", unm,
                   "--threads", "2", log])
    summary = json.loads(p.stdout)
    truth = read_lines(truth_path)
    decisions = {d["line"]: d for d in read_lines(dec)}
    unmapped = {}
    for l in open(unm):
        _, line, reason = l.split(":", 3)[:3]
        unmapped[int(line)] = reason.strip()
    bad = 0
    cats = Counter()
    for t in truth:
        d = decisions.get(t["line"])
        if "unmapped" in t:
            ok = unmapped.get(t["line"]) == t["unmapped"]
            got = unmapped.get(t["line"]) or "mapped"
        else:
            cats[t["azure_category"]] += 1
            req = (d or {}).get("request", {})
            nsp = (d or {}).get("moat_nsp", {})
            rule_ok = t["azure_category"] != "NspPublicInboundPerimeterRulesAllowed" or nsp.get("rule") == t["azure_rule"]
            ok = d is not None and d.get("azure_category") == t["azure_category"] and \
                nsp.get("category") == t["azure_category"] and rule_ok and \
                req.get("resource") == t["resource"] and req.get("source", {}).get("ip") == t["ip"] and \
                req.get("caller", {}).get("auth") == t["auth"]
            got = json.dumps(d)[:600] if d else "unmapped: " + unmapped.get(t["line"], "?")
        if not ok:
            bad += 1
            if bad <= 3:
                fail("%s line %d: expected %s\n  got %s" % (tag, t["line"], json.dumps(t), got))
    every = {"NspPublicInboundPerimeterRulesAllowed", "NspPublicInboundPerimeterRulesDenied",
             "NspPublicInboundResourceRulesAllowed", "NspPublicInboundResourceRulesDenied",
             "NspIntraPerimeterInboundAllowed", "NspCrossPerimeterInboundAllowed", "NspPrivateInboundAllowed"}
    if set(cats) != every:
        fail("%s: the generated records miss categories %s" % (tag, every - set(cats)))
    nf = summary.get("nsp_fidelity", {})
    mapped = sum(1 for t in truth if "unmapped" not in t)
    if nf != {"records": mapped, "agree": mapped, "disagreements": []}:
        fail("%s: nsp_fidelity %s, expected all %d records to agree" % (tag, json.dumps(nf)[:400], mapped))
    if summary["unmapped"] != len(truth) - mapped:
        fail("%s: %d unmapped, truth %d" % (tag, summary["unmapped"], len(truth) - mapped))
    # moat check decides the requests the same way
    order = list(decisions.values())
    reqs = "".join(json.dumps(d["request"]) + "\n" for d in order)
    out = run(moat, ["check", "--estate", estate, "--requests", "-", "--format", "json"], stdin=reqs).stdout
    answers = [json.loads(l) for l in out.splitlines()]
    diff = sum(1 for d, a in zip(order, answers) if d["decisions"]["current"]["category"] != a["category"])
    if len(answers) != len(order) or diff:
        fail("%s: moat check differs on %d of %d requests" % (tag, diff, len(order)))
    return log, truth, summary


def check_disagreements(moat, tmp, estate, log, truth):
    """An estate unlike Azure's: allow-hq removed from prof-data and
    stnwtelemetry switched to Enforced."""
    def edit(items):
        for r in items:
            if r.get("name") == "allow-hq":
                r["properties"]["addressPrefixes"] = []
            if r.get("name") == "assoc-stnwtelemetry":
                r["properties"]["accessMode"] = "Enforced"
    other = edit_estate(estate, os.path.join(tmp, "other"), edit)
    summary = json.loads(run(moat, ["replay", "--estate", other, "--format", "json", log]).stdout)
    nf = summary["nsp_fidelity"]
    expect = Counter()
    for t in truth:
        if "unmapped" in t:
            continue
        name = t["resource"].rsplit("/", 1)[1]
        cat, rule = t["azure_category"], t["azure_rule"]
        if cat == "NspPublicInboundPerimeterRulesAllowed" and rule == "allow-hq":
            # Enforced: refused; Learning (none left here): the firewall
            expect[(t["resource"], cat, rule, "NspPublicInboundPerimeterRulesDenied", "")] += 1
        elif name == "stnwtelemetry" and cat.startswith("NspPublicInboundResourceRules"):
            expect[(t["resource"], cat, rule, "NspPublicInboundPerimeterRulesDenied", "")] += 1
    got = Counter({(d["resource"], d["azure_category"], d["azure_rule"], d["moat_category"], d["moat_rule"]):
                   d["records"] for d in nf["disagreements"]})
    if got != expect:
        fail("disagreements %s, expected %s" % (dict(got), dict(expect)))
    if nf["records"] - nf["agree"] != sum(expect.values()):
        fail("nsp_fidelity counts %s against %d disagreements" % ({k: nf[k] for k in ("records", "agree")},
                                                                  sum(expect.values())))
    text = run(moat, ["replay", "--estate", other, log]).stdout
    if "perimeter records (NSPAccessLogs)" not in text or "Azure NspPublicInboundPerimeterRulesAllowed (allow-hq)" \
            not in text:
        fail("the text report does not show the perimeter disagreements:\n" + text[-800:])


def check_merge(moat, tmp, estate, log, single):
    with open(log) as f:
        lines = f.read().splitlines(True)
    parts = []
    for i in range(3):
        shard = os.path.join(tmp, "nsp-shard%d" % i)
        with open(shard, "w") as f:
            f.writelines(lines[i::3])
        part = os.path.join(tmp, "nsp-part%d.json" % i)
        with open(part, "w") as f:
            f.write(run(moat, ["replay", "-q", "--estate", estate, "--format", "json", shard]).stdout)
        parts.append(part)
    merged = run(moat, ["replay", "--merge", "--format", "json"] + parts).stdout
    if merged != single:
        fail("merged perimeter shards differ from one run")
    with open(parts[0]) as f:
        doc = json.load(f)
    doc["nsp_fidelity"]["agree"] += 1
    bad = os.path.join(tmp, "nsp-bad.json")
    with open(bad, "w") as f:
        json.dump(doc, f)
    p = run(moat, ["replay", "--merge", bad], ok=(3,))
    if "nsp_fidelity" not in p.stderr:
        fail("a partial whose perimeter counts do not add up: %s" % p.stderr[-300:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    args = ap.parse_args()
    moat = os.path.abspath(args.moat)
    tmp = tempfile.mkdtemp(prefix="moat-nsp-")
    try:
        estate = edit_estate(EXAMPLE, os.path.join(tmp, "estate"), add_private_member)
        first = None
        for fmt in FORMATS:
            for gz in ((False, True) if fmt == "diagnostic" else (False,)):
                got = check_format(moat, tmp, estate, fmt, gz)
                if first is None:
                    first = got
        log, truth, _ = first
        check_disagreements(moat, tmp, estate, log, truth)
        single = run(moat, ["replay", "-q", "--estate", estate, "--format", "json", log]).stdout
        check_merge(moat, tmp, estate, log, single)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("nsp replay: %d failures" % len(FAILURES))
        sys.exit(1)
    print("nsp replay: every category, every format, exact fidelity")


if __name__ == "__main__":
    main()
