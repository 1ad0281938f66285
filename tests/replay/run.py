#!/usr/bin/env python3
"""`moat replay` end to end, against ground truth.

For every log format (and gzip), genlogs.py writes records from the example
estate together with the request each stands for. Then:

  - every record maps to exactly that request (or is reported unmapped,
    with its line and reason);
  - every decision replay makes, for the current estate and a proposed
    one, equals `moat check --requests` on the same request;
  - the summary's counts (allow/deny, categories, changes, fidelity) equal
    what the per-record output adds up to;
  - the log split into shards, replayed shard by shard and merged with
    --merge, gives the same summary, byte for byte, as one run;
  - stdin, several files at once, threads 1 and 4 agree; bad inputs (empty,
    unknown format, truncated gzip, truncated record) are reported.
"""
import argparse
import copy
import gzip
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
FORMATS = ["diagnostic", "diagnostic-records", "analytics-json", "analytics-array", "analytics-csv", "classic",
           "keyvault"]
FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL " + msg)


def run(args, stdin=None, ok=(0,)):
    p = subprocess.run([MOAT] + args, capture_output=True, text=True, input=stdin)
    if p.returncode not in ok:
        fail("moat %s -> %d: %s" % (" ".join(args), p.returncode, p.stderr[-500:]))
    return p


def proposed_estate(tmp):
    """The example estate with the changes a team would try: the Learning
    perimeter switched to Enforced, and the open account locked down."""
    d = os.path.join(tmp, "proposed")
    shutil.copytree(EXAMPLE, d)
    for name in os.listdir(d):
        path = os.path.join(d, name)
        with open(path) as f:
            doc = json.load(f)
        items = doc if isinstance(doc, list) else doc.get("value", [])
        for r in items:
            p = r.get("properties") or {}
            if r.get("type", "").endswith("/resourceAssociations") and p.get("accessMode") == "Learning":
                p["accessMode"] = "Enforced"
            if r.get("name") == "stnwpublicassets":
                r.setdefault("properties", {})["networkAcls"] = {"defaultAction": "Deny", "bypass": "AzureServices"}
            if r.get("name") == "stnwshipments":
                acls = p.get("networkAcls", {})
                acls["ipRules"] = acls.get("ipRules", [])[:1]
        with open(path, "w") as f:
            json.dump(doc, f)
    return d


def read_lines(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def check_format(tmp, fmt, proposed, gz):
    tag = fmt + (".gz" if gz else "")
    log = os.path.join(tmp, tag + ".log")
    truth_path = os.path.join(tmp, tag + ".truth")
    subprocess.run([sys.executable, os.path.join(HERE, "genlogs.py"), "--estate", EXAMPLE, "--records", "3000",
                    "--format", fmt, "--out", log, "--truth", truth_path, "--seed", str(len(tag))]
                   + (["--gzip"] if gz else []), check=True)
    dec, unm, chg = (os.path.join(tmp, tag + x) for x in (".dec", ".unm", ".chg"))
    p = run(["replay", "--estate", EXAMPLE, "--proposed", "strict=" + proposed, "--format", "json",
             "--decisions", dec, "--unmapped", unm, "--changes", chg, "--threads", "2", log])
    summary = json.loads(p.stdout)
    truth = read_lines(truth_path)
    decisions = {d["line"]: d for d in read_lines(dec)}
    unmapped = {}
    for l in open(unm):
        path, line, reason = l.split(":", 3)[:3]
        unmapped[int(line)] = reason.strip()
    # 1. the mapping
    bad = 0
    for t in truth:
        if "unmapped" in t:
            if unmapped.get(t["line"]) != t["unmapped"]:
                bad += 1
                if bad <= 3:
                    fail("%s line %d: expected unmapped (%s), got %s" % (tag, t["line"], t["unmapped"],
                                                                      unmapped.get(t["line"]) or "mapped"))
        elif t["line"] not in decisions or decisions[t["line"]]["request"] != t["request"] or \
                decisions[t["line"]]["azure"] != t["azure"] or \
                decisions[t["line"]].get("azure_code") != t.get("azure_code"):
            bad += 1
            if bad <= 3:
                got = decisions.get(t["line"], {})
                fail("%s line %d: mapped to\n    %s (Azure %s)\n  expected\n    %s (Azure %s)"
                     % (tag, t["line"], json.dumps(got.get("request")), got.get("azure"),
                        json.dumps(t["request"]), t["azure"]))
    # 2. the decisions, against moat check
    reqs = "".join(json.dumps(d["request"]) + "\n" for d in decisions.values())
    order = list(decisions.values())
    for cfg, estate in (("current", EXAMPLE), ("strict", proposed)):
        out = run(["check", "--estate", estate, "--requests", "-", "--format", "json"], stdin=reqs).stdout
        answers = [json.loads(l) for l in out.splitlines()]
        if len(answers) != len(order):
            fail("%s: moat check answered %d of %d" % (tag, len(answers), len(order)))
            continue
        diff = sum(1 for d, a in zip(order, answers)
                   if d["decisions"][cfg]["decision"] != a["decision"]
                   or d["decisions"][cfg]["category"] != a["category"])
        if diff:
            fail("%s: %d decisions of %s differ from moat check" % (tag, diff, cfg))
    # 3. the summary adds up
    if summary["records"] != len(truth) or summary["unmapped"] != len(unmapped):
        fail("%s: summary counts %d records, %d unmapped; truth %d, %d"
             % (tag, summary["records"], summary["unmapped"], len(truth), len(unmapped)))
    for i, cfg in enumerate(("current", "strict")):
        allow = sum(1 for d in order if d["decisions"][cfg]["decision"] == "allow")
        c = summary["configs"][i]
        if (c["allow"], c["deny"]) != (allow, len(order) - allow):
            fail("%s: %s allow/deny %d/%d, records say %d/%d" % (tag, cfg, c["allow"], c["deny"], allow,
                                                                len(order) - allow))
        cats = Counter(d["decisions"][cfg]["category"] for d in order)
        if dict(cats) != c["categories"]:
            fail("%s: %s categories differ" % (tag, cfg))
    nd = sum(1 for d in order if d["decisions"]["current"]["decision"] == "allow"
             and d["decisions"]["strict"]["decision"] == "deny")
    na = sum(1 for d in order if d["decisions"]["current"]["decision"] == "deny"
             and d["decisions"]["strict"]["decision"] == "allow")
    if summary["changes"]["strict"] != {"newly_denied": nd, "newly_allowed": na}:
        fail("%s: changes %s, records say %d/%d" % (tag, summary["changes"]["strict"], nd, na))
    if len(read_lines(chg)) != nd + na:
        fail("%s: --changes has %d lines, %d records changed" % (tag, len(read_lines(chg)), nd + na))
    fid = Counter((d["azure"], d["decisions"]["current"]["decision"]) for d in order if d["azure"] != "unknown")
    f = summary["fidelity"]
    got = {("denied", "deny"): f["azure_denied"]["moat_denied"], ("denied", "allow"): f["azure_denied"]["moat_allowed"],
           ("allowed", "allow"): f["azure_allowed"]["moat_allowed"],
           ("allowed", "deny"): f["azure_allowed"]["moat_denied"]}
    if any(got[k] != fid.get(k, 0) for k in got):
        fail("%s: fidelity %s, records say %s" % (tag, got, dict(fid)))
    # Rule hits: the summary's counts by rule equal the records each rule
    # decided, and the dead rules are exactly those with none.
    for cfg in ("current", "strict"):
        decided = Counter()
        for d in order:
            rule = d["decisions"][cfg].get("rule", "")
            text = rule.split(" (")[0] if rule.startswith("privateEndpoint") else rule
            if rule.startswith("profiles/") and "/accessRules/" in rule:
                decided[("profile", rule)] += 1
            elif rule.startswith("networkAcls.ipRules") or rule.startswith("networkAcls.ipv6Rules") \
                    or rule.startswith("networkAcls.virtualNetworkRules") \
                    or rule.startswith("networkAcls.resourceAccessRules"):
                decided[(d["request"]["resource"], text)] += 1
        counted = Counter()
        for key, hits in summary["rules"][cfg].items():
            owner, text = key.split("\t", 1)
            k = ("profile", text) if text.startswith("profiles/") else (owner, text)
            counted[k] += hits
        if +counted != +decided:
            fail("%s: %s rule hits differ from the records: %s" % (tag, cfg, (+counted) - (+decided)
                                                                  or (+decided) - (+counted)))
        dead = {(("profile", r["rule"]) if r["rule"].startswith("profiles/") else (r["owner"], r["rule"]))
                for r in summary["dead_rules"][cfg]}
        if any(decided.get(k) for k in dead):
            fail("%s: %s lists a rule that decided as dead" % (tag, cfg))
        if len(dead) != sum(1 for k, v in counted.items() if v == 0):
            fail("%s: %s dead rules are not the rules without hits" % (tag, cfg))
    # Causes: every newly denied record is counted once, by account, under
    # what refuses it now (the proposal's category).
    want = Counter()
    for d in order:
        cur, new = d["decisions"]["current"], d["decisions"]["strict"]
        if cur["decision"] == "allow" and new["decision"] == "deny":
            want[(d["request"]["resource"].rsplit("/", 1)[-1].lower(), new["category"])] += 1
    got = Counter()
    for acct, a in summary["accounts"].items():
        for key, n in a["changes"]["strict"].get("denied_causes", {}).items():
            before, now, who = key.split("\t")
            got[(acct.rsplit("/", 1)[-1].lower(), now)] += n
    if got != want:
        fail("%s: causes %s, records say %s" % (tag, dict(got), dict(want)))
    expected_format = {"diagnostic-records": "diagnostic", "analytics-array": "analytics-json",
                       "keyvault": "diagnostic"}.get(fmt, fmt)
    if summary["formats"] != {expected_format: len(truth)}:
        fail("%s: formats %s" % (tag, summary["formats"]))
    return log, summary, p.stdout


def split_lines(log, parts, tmp, header):
    with open(log) as f:
        lines = f.read().splitlines(True)
    head = lines[:1] if header else []
    body = lines[1:] if header else lines
    size = (len(body) + parts - 1) // parts
    out = []
    for i in range(parts):
        path = os.path.join(tmp, "shard%d" % i)
        with open(path, "w") as f:
            f.writelines(head + body[i * size:(i + 1) * size])
        out.append(path)
    return out


def split_array(log, parts, tmp, wrapped):
    """Shards of a JSON array (or {"records": [...]}) log, each valid."""
    with open(log) as f:
        text = f.read()
    body = text[text.index("[") + 1: text.rindex("]")]
    elems = [e for e in body.split(",\n") if e.strip()]
    size = (len(elems) + parts - 1) // parts
    out = []
    for i in range(parts):
        path = os.path.join(tmp, "shard%d" % i)
        chunk = ",\n".join(e.strip() for e in elems[i * size:(i + 1) * size])
        with open(path, "w") as f:
            f.write(('{"records": [\n%s\n]}\n' if wrapped else "[\n%s\n]\n") % chunk)
        out.append(path)
    return out


def check_shards(tmp, fmt, log, proposed, whole_json):
    if fmt in ("diagnostic-records", "analytics-array"):
        shards = split_array(log, 4, tmp, wrapped=fmt == "diagnostic-records")
    else:
        shards = split_lines(log, 4, tmp, header=fmt == "analytics-csv")
    parts = []
    for i, s in enumerate(shards):
        # Shards are fed on stdin, as Spark's RDD.pipe and Hadoop Streaming do.
        with open(s) as f:
            p = run(["replay", "--estate", EXAMPLE, "--proposed", "strict=" + proposed, "--format", "json",
                     "-q", "-"], stdin=f.read())
        part = os.path.join(tmp, "part%d.json" % i)
        with open(part, "w") as f:
            f.write(p.stdout)
        parts.append(part)
    merged = run(["replay", "--merge", "--format", "json"] + parts).stdout
    if merged != whole_json:
        fail("%s: 4 shards merged differ from one run" % fmt)
    text = run(["replay", "--merge"] + parts).stdout
    if "records:" not in text or "strict against current" not in text and "changes no decision" not in text:
        fail("%s: merged text summary lacks its sections" % fmt)


def check_agreement(tmp, proposed, logs):
    """Threads and several files at once agree with one file at a time."""
    base = run(["replay", "--estate", EXAMPLE, "--proposed", "strict=" + proposed, "--format", "json",
                "--threads", "1"] + logs).stdout
    four = run(["replay", "--estate", EXAMPLE, "--proposed", "strict=" + proposed, "--format", "json",
                "--threads", "4"] + logs).stdout
    if base != four:
        fail("--threads 1 and --threads 4 disagree")
    parts = []
    for i, log in enumerate(logs):
        part = os.path.join(tmp, "each%d.json" % i)
        with open(part, "w") as f:
            f.write(run(["replay", "--estate", EXAMPLE, "--proposed", "strict=" + proposed, "--format",
                         "json", log]).stdout)
        parts.append(part)
    if run(["replay", "--merge", "--format", "json"] + parts).stdout != base:
        fail("files one at a time, merged, differ from all files in one run")
    return base


def first_key(obj):
    return sorted(obj)[0]


def mutations(d):
    """(what, change to a summary, what the refusal must name)."""
    acc = first_key(d["accounts"])
    cat = first_key(d["configs"][0]["categories"])
    yield "negative records", lambda d: d.update(records=-5), "records: -5 is not a count"
    yield "more mapped than records", lambda d: d.update(mapped=d["records"] * 2), \
        "not the records (%d)" % d["records"]
    yield "overflowing allow", lambda d: d["configs"][0].update(allow=1e30), \
        "configs[0].allow: 1e+30 is not a count"
    yield "fractional deny", lambda d: d["configs"][1].update(deny=2.5), "configs[1].deny: 2.5 is not a count"
    yield "a count as text", lambda d: d["configs"][0].update(allow="12"), "configs[0].allow: not a number"
    yield "no unmapped", lambda d: d.pop("unmapped"), "unmapped: missing"
    yield "2^60 newly denied", lambda d: d["changes"]["strict"].update(newly_denied=2 ** 60), \
        "changes.strict.newly_denied: 1.152921504606847e+18 is not a count"
    yield "categories over allow + deny", lambda d: d["configs"][0]["categories"].update(
        {cat: d["configs"][0]["categories"][cat] + 1}), "configs[0].categories add up to"
    yield "an unknown category", lambda d: d["configs"][0]["categories"].update(NoSuchCategory=1), \
        "unknown category"
    yield "a negative reason", lambda d: d["unmapped_reasons"].update(x=-1), 'unmapped_reasons["x"]: -1'
    yield "reasons over unmapped", lambda d: d["unmapped_reasons"].update(x=1), \
        "unmapped_reasons add up to"
    yield "formats over records", lambda d: d["formats"].update(classic=d["formats"].get("classic", 0) + 7), \
        "formats add up to"
    yield "a negative account", lambda d: d["accounts"][acc].update(records=-1), "].records: -1 is not a count"
    yield "accounts over mapped", lambda d: d["accounts"][acc].update(records=d["accounts"][acc]["records"] + 1), \
        "accounts' records add up to"
    yield "newly denied beyond deny", lambda d: d["changes"]["strict"].update(
        newly_denied=d["configs"][1]["deny"] + 1), "more than"
    yield "account changes not their sources", lambda d: d["accounts"][acc]["changes"]["strict"].update(
        newly_allowed=d["accounts"][acc]["changes"]["strict"]["newly_allowed"] + 1), "allowed_sources add up to"
    yield "fidelity over mapped", lambda d: d["fidelity"]["azure_denied"].update(moat_denied=d["mapped"] + 1), \
        "fidelity"
    yield "a negative disagreement", lambda d: d["fidelity"]["disagreements"][0].update(records=-3), \
        "fidelity.disagreements[0].records: -3"
    yield "rule hits over decisions", lambda d: d["rules"]["current"].update(
        {first_key(d["rules"]["current"]): d["mapped"] + 1}), "rules.current add up to"
    yield "another version", lambda d: d.update(moat_replay=2), "moat_replay"


def check_merge_validation(tmp, base):
    """--merge refuses a partial whose counts are not counts, or whose parts
    exceed their wholes, naming the file and the field; it writes nothing."""
    good = os.path.join(tmp, "good.json")
    with open(good, "w") as f:
        f.write(base)
    for what, change, message in mutations(json.loads(base)):
        d = json.loads(base)
        change(d)
        bad = os.path.join(tmp, "bad.json")
        with open(bad, "w") as f:
            json.dump(d, f)
        p = run(["replay", "--merge", "--format", "json", good, bad], ok=(3,))
        if p.returncode != 3 or "bad.json: " not in p.stderr or message not in p.stderr or p.stdout:
            fail("--merge with %s: exit %d, expected a refusal naming %r; got %s"
                 % (what, p.returncode, message, p.stderr.strip()[-300:]))
    with open(os.path.join(tmp, "bad.json"), "w") as f:
        f.write(base.replace('"formats":{', '"formats":{"classic":0,"classic":0,', 1))
    p = run(["replay", "--merge", good, os.path.join(tmp, "bad.json")], ok=(3,))
    if 'formats["classic"]: appears twice' not in p.stderr:
        fail("--merge with a key twice: %s" % p.stderr[-300:])
    cut = base[: base.index("\n", base.index("configs")) + 5]  # inside the first configuration
    with open(os.path.join(tmp, "bad.json"), "w") as f:
        f.write(cut)
    p = run(["replay", "--merge", good, os.path.join(tmp, "bad.json")], ok=(3,))
    where = "bad.json:%d:" % (cut.count("\n") + 1)
    if where not in p.stderr:
        fail("--merge with a cut partial: expected %s, got %s" % (where, p.stderr[-300:]))


def refused(tmp, name, text, message):
    """A log replay refuses (exit 3) with message on stderr."""
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    p = run(["replay", "--estate", EXAMPLE, path], ok=(3,))
    if message not in p.stderr:
        fail("%s: expected %r, got %s" % (name, message, p.stderr))


def replay_records(tmp, name, records, estate=EXAMPLE):
    """Each record's --decisions line, or its unmapped reason."""
    log = os.path.join(tmp, name)
    with open(log, "w") as f:
        f.write("".join(json.dumps(r) + "\n" for r in records))
    dec, unm = log + ".dec", log + ".unm"
    run(["replay", "--estate", estate, "--decisions", dec, "--unmapped", unm, log])
    out = {d["line"]: d for d in read_lines(dec)}
    for l in open(unm):
        out[int(l.split(":")[1])] = l.split(":", 3)[2].strip()
    return [out[i + 1] for i in range(len(records))]


def check_vault_edges(tmp):
    """Key Vault records the generator does not write (docs/replay.md)."""
    vault_id = ("/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/resourceGroups/rg-nw-security/providers/"
                "Microsoft.KeyVault/vaults/control-apps")
    estate = os.path.join(tmp, "vault-estate.json")
    with open(estate, "w") as f:
        json.dump([{"id": vault_id, "name": "control-apps", "type": "Microsoft.KeyVault/vaults",
                    "location": "westeurope", "properties": {
                        "tenantId": "2987efb7-f7cf-4546-a458-91d2550c48c7",
                        "networkAcls": {"defaultAction": "Deny", "bypass": "None"}}}], f)
    denied = {"time": "2026-11-20T08:00:00Z", "resourceId": vault_id.upper(), "operationName": "SecretGet",
              "category": "AuditEvent", "resultSignature": "Forbidden", "callerIpAddress": "203.0.113.9",
              "resultDescription": "Client address is not authorized and caller is not a trusted service.",
              "identity": {"claim": {"oid": "x"}},
              "properties": {"httpStatusCode": 403,
                             "requestUri": "https://control-apps.vault.azure.net/secrets/s?api-version=7.4"}}
    notification = dict(denied, operationName="VaultAccessPolicyChangedEventGridNotification")
    arm = dict(denied, operationName="VaultGet", properties={
        "httpStatusCode": 200, "requestUri": "https://management.azure.com%s?api-version=2023-07-01" % vault_id})
    # A storage record naming an account the estate lacks, whose name a vault has.
    storage = {"time": "2026-11-20T08:00:00Z", "category": "StorageRead", "operationName": "GetBlob",
               "resourceId": "/subscriptions/0/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/"
                             "control-apps/blobServices/default", "callerIpAddress": "203.0.113.9:1",
               "statusCode": 200, "statusText": "Success", "properties": {"accountName": "control-apps"}}
    got = replay_records(tmp, "vault-edges.log", [denied, notification, arm, storage], estate)
    if not isinstance(got[0], dict) or "plane" in got[0]["request"] or got[0]["azure"] != "denied" or \
            got[0]["decisions"]["current"]["decision"] != "deny":
        fail("a data-plane request to a vault named control-*: %s" % got[0])
    if got[1] != "not a request":
        fail("Key Vault notification: %s" % got[1])
    if not isinstance(got[2], dict) or got[2]["request"].get("plane") != "control":
        fail("VaultGet through Resource Manager: %s" % got[2])
    if got[3] != "account not in the estate":
        fail("storage record resolved to a vault of the same name: %s" % got[3])
    la = {"TimeGenerated": "2026-11-20T08:00:00Z", "_ResourceId": vault_id.lower(), "OperationName": "SecretGet",
          "CallerIpAddress": "203.0.113.9", "HttpStatusCode": 403, "Type": "AZKVAuditLogs"}
    other = dict(la, Type="AZKVPolicyEvaluationDetailsLogs")
    got = replay_records(tmp, "vault-la.log", [la, other], estate)
    # AZKVAuditLogs is read (a 403 without Key Vault's words is no evidence);
    # a Key Vault row of another table is not a request moat reads.
    if not isinstance(got[0], dict) or got[0]["request"].get("endpoint") != "vault" or \
            got[0]["request"].get("operation") != "read" or got[0]["azure"] != "unknown":
        fail("AZKVAuditLogs row: %s" % got[0])
    if got[1] != "Key Vault Log Analytics row":
        fail("Key Vault row of another Log Analytics table: %s" % got[1])


def check_blank_lead(tmp, logs):
    """Blank lines before the first record (ten million of them, and after
    an array's '[') do not make a log "empty" or unknown: the format is
    detected past them and every record is read, with its line number."""
    blanks = "\n" * 10000000
    for fmt in ("diagnostic", "diagnostic-records", "analytics-array", "analytics-csv", "classic"):
        with open(logs[fmt]) as f:
            text = f.read()
        padded = os.path.join(tmp, fmt + ".blank.log")
        with open(padded, "w") as f:
            f.write("\ufeff" + blanks + (text.replace("[", "[" + blanks, 1) if "array" in fmt or "records" in fmt
                                          else text))
        args = ["replay", "--estate", EXAMPLE, "--format", "json", "-q"]
        want = run(args + [logs[fmt]]).stdout
        dec = os.path.join(tmp, fmt + ".blank.dec")
        p = run(args + ["--decisions", dec, padded])
        if p.stdout != want:
            fail("%s after 10 million blank lines: %s" % (fmt, p.stderr[-300:] or p.stdout[:300]))
            continue
        lines = [d["line"] for d in read_lines(dec)]
        first_record = 2 if fmt == "analytics-csv" else 1  # after the CSV header
        expect = 1 if "array" in fmt or "records" in fmt else 10000000 + first_record
        if min(lines) != expect:
            fail("%s after 10 million blank lines: first record numbered %d, expected %d"
                 % (fmt, min(lines), expect))
    with open(os.path.join(tmp, "blank.log.gz"), "wb") as f:
        f.write(gzip.compress(blanks.encode() + open(logs["diagnostic"], "rb").read()))
    p = run(["replay", "--estate", EXAMPLE, "--format", "json", "-q", os.path.join(tmp, "blank.log.gz")])
    if json.loads(p.stdout or "{}").get("records") != 3000:
        fail("gzip after 10 million blank lines: %s" % p.stderr[-300:])
    refused(tmp, "blanks-only.log", blanks, "empty log")


def check_long_ids(tmp):
    """An account whose id is 3,000 characters long keeps its disagreement
    with Azure and its dead rule in the summary (1 KiB keys dropped both)."""
    rid = ("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/%s/providers/"
           "Microsoft.Storage/storageAccounts/stlongid" % ("g" * 3000))
    estate = os.path.join(tmp, "long-estate.json")
    with open(estate, "w") as f:
        json.dump([{"id": rid, "name": "stlongid", "type": "Microsoft.Storage/storageAccounts",
                    "location": "westeurope", "properties": {"networkAcls": {
                        "defaultAction": "Deny", "ipRules": [{"value": "203.0.113.0/24"}]}}}], f)
    record = {"time": "2026-11-20T08:00:00Z", "resourceId": rid, "category": "StorageRead",
              "operationName": "GetBlob", "statusCode": 200, "statusText": "Success",
              "callerIpAddress": "198.51.100.1:1234", "properties": {"accountName": "stlongid"}}
    log = os.path.join(tmp, "long-id.log")
    with open(log, "w") as f:
        f.write(json.dumps(record) + "\n")
    d = json.loads(run(["replay", "--estate", estate, "--format", "json", "-q", log]).stdout)
    if [x["account"] for x in d["fidelity"]["disagreements"]] != [rid]:
        fail("a 3,000-character id: disagreement missing")
    if [x["owner"] for x in d["dead_rules"]["current"]] != [rid]:
        fail("a 3,000-character id: dead rule missing")


def check_record_times(tmp):
    """Each record is decided at its own time (the catalog's dates), and Key
    Vault's ForbiddenByConnection is a refusal by public network access."""
    sub, tenant = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
    rg = "/subscriptions/%s/resourceGroups/rg/providers/" % sub
    acct, oid = rg + "Microsoft.Storage/storageAccounts/stapim", "7a7a7a7a-1111-4222-8333-444444444444"
    estate = os.path.join(tmp, "times-estate.json")
    vault = lambda name, pna, bypass: {
        "id": rg + "Microsoft.KeyVault/vaults/" + name, "name": name, "type": "Microsoft.KeyVault/vaults",
        "location": "westeurope", "properties": {"tenantId": tenant, "publicNetworkAccess": pna,
                                                 "networkAcls": {"defaultAction": "Deny", "bypass": bypass}}}
    with open(estate, "w") as f:
        json.dump([{"id": "/subscriptions/" + sub, "type": "Microsoft.Resources/subscriptions",
                    "subscriptionId": sub, "tenantId": tenant},
                   {"id": acct, "name": "stapim", "type": "Microsoft.Storage/storageAccounts",
                    "location": "westeurope", "properties": {"networkAcls": {"defaultAction": "Deny",
                                                                             "bypass": "AzureServices"}}},
                   {"id": rg + "Microsoft.ApiManagement/service/apim1", "type": "Microsoft.ApiManagement/service",
                    "location": "westeurope", "identity": {"type": "SystemAssigned", "principalId": oid,
                                                           "tenantId": tenant}},
                   vault("kvoff", "Disabled", "None"), vault("kvon", "Enabled", "AzureServices")], f)

    def blob(t, ok=True):
        return {"time": t, "resourceId": acct + "/blobServices/default", "category": "StorageRead",
                "operationName": "GetBlob", "callerIpAddress": "203.0.113.9:1", "statusCode": 200 if ok else 403,
                "statusText": "Success" if ok else "AuthorizationFailure",
                "uri": "https://stapim.blob.core.windows.net:443/c/b",
                "identity": {"type": "OAuth", "requester": {"objectId": oid, "tenantId": tenant}},
                "properties": {"accountName": "stapim", "objectKey": "/stapim/c/b"}}

    def kv(name, desc):
        return {"time": "2026-11-20T08:00:00Z", "resourceId": (rg + "Microsoft.KeyVault/vaults/" + name).upper(),
                "operationName": "SecretGet", "category": "AuditEvent", "resultSignature": "Forbidden",
                "resultDescription": desc, "callerIpAddress": "203.0.113.9",
                "identity": {"claim": {"oid": "not-an-estate-identity", "tid": tenant}},
                "properties": {"httpStatusCode": 403,
                               "requestUri": "https://%s.vault.azure.net/secrets/s?api-version=7.4" % name}}
    conn = ("Connection is not an approved private link and caller was ignored because bypass is not set to "
            "'AzureServices' and PublicNetworkAccess is set to 'Disabled'.\r\nVault: kvoff;location=westeurope")
    records = [blob("2026-03-14T23:59:59.9999999Z"), blob("2026-03-15T00:30:00+01:00"),
               blob("2026-03-15T00:00:00Z", False), blob("3/16/2026, 9:00:00.000 AM", False), blob("15.03.2026"),
               kv("kvoff", conn), kv("kvon", conn.replace("kvoff", "kvon")),
               kv("kvon", "Request was not allowed by NSP rules and the client address is not authorized and "
                          "caller was ignored because bypass is set to None\r\nClient address: 203.0.113.9")]
    got = replay_records(tmp, "times.log", records, estate)
    want = [("ResTrustedService", "2026-03-14T23:59:59.9999999Z"), ("ResTrustedService", "2026-03-15T00:30:00+01:00"),
            ("ResDefaultActionDeny", "2026-03-15T00:00:00Z"), ("ResDefaultActionDeny", "2026-03-16T09:00:00Z")]
    for i, (cat, t) in enumerate(want):
        d = got[i]
        if not isinstance(d, dict) or d["decisions"]["current"]["category"] != cat or d["request"].get("time") != t:
            fail("record time %s: expected %s, got %s" % (t, cat, d))
    if got[4] != "time not understood":
        fail("a record whose time is not understood: %s" % got[4])
    for d, code, cat in ((got[5], "ForbiddenByConnection", "ResPublicNetworkAccessDisabled"),
                         (got[6], "ForbiddenByConnection", "ResDefaultActionDeny"),
                         (got[7], "ForbiddenByFirewall", "ResDefaultActionDeny")):
        if not isinstance(d, dict) or d["azure"] != "denied" or d.get("azure_code") != code or \
                d["decisions"]["current"]["category"] != cat:
            fail("Key Vault %s record: %s" % (code, d))
    # A vault Azure refused by public network access that the estate says
    # is open is a disagreement, though both deny.
    p = run(["replay", "--estate", estate, "--format", "json", os.path.join(tmp, "times.log")])
    dis = json.loads(p.stdout)["fidelity"]["disagreements"]
    if [(x["azure"], x["moat_category"]) for x in dis] != [("denied ForbiddenByConnection", "ResDefaultActionDeny")]:
        fail("ForbiddenByConnection disagreement: %s" % dis)


def check_bad_inputs(tmp, log_gz):
    empty = os.path.join(tmp, "empty.log")
    open(empty, "w").close()
    p = run(["replay", "--estate", EXAMPLE, empty], ok=(3,))
    if "empty log" not in p.stderr:
        fail("empty log: %s" % p.stderr)
    refused(tmp, "other.log", '{"hello": "world"}\n', "not a Storage access log")
    # A CSV header without the account columns: an input error, up front.
    refused(tmp, "header.csv", "OperationName,CallerIpAddress,Foo\nGetBlob,1.2.3.4:5,x\n",
            "CSV header: the header has neither AccountName nor _ResourceId")
    # A classic line whose URL holds CSV header words is still classic.
    tricky = os.path.join(tmp, "tricky.log")
    line = ("1.0;2026-11-20T08:00:00.0000000Z;GetBlob;AnonymousSuccess;200;1;1;anonymous;;stnwshipments;blob;"
            '"https://stnwshipments.blob.core.windows.net/images/a?x=OperationName,CallerIpAddress";'
            '"/stnwshipments/images/a";id;0;198.51.100.8:4000;2021-08-06;1;0;1;1;0;;;;;;"curl/8";;')
    with open(tricky, "w") as f:
        f.write(line + "\n")
    summary = json.loads(run(["replay", "--estate", EXAMPLE, "--format", "json", tricky]).stdout)
    if summary["formats"] != {"classic": 1} or summary["mapped"] != 1:
        fail("classic line with CSV words: %s" % summary["formats"])
    with open(log_gz, "rb") as f:
        data = f.read()
    cut = os.path.join(tmp, "cut.log.gz")
    with open(cut, "wb") as f:
        f.write(data[: len(data) // 2])
    p = run(["replay", "--estate", EXAMPLE, "--format", "json", cut], ok=(3,))
    if "records before it were replayed" not in p.stderr or json.loads(p.stdout)["records"] == 0:
        fail("truncated gzip: %s" % p.stderr[-300:])
    trunc = os.path.join(tmp, "trunc.log")
    with gzip.open(log_gz, "rt") as f:
        text = f.read()
    with open(trunc, "w") as f:
        f.write(text[: len(text) - 200])  # the last record cut short, no newline
    p = run(["replay", "--estate", EXAMPLE, "--format", "json", trunc])
    if json.loads(p.stdout)["unmapped_reasons"].get("malformed record", 0) < 1:
        fail("a truncated last record is not reported as malformed")
    run(["replay", "--estate", EXAMPLE], ok=(2,))
    run(["replay", "--estate", EXAMPLE, "--proposed", "oops", trunc], ok=(2,))
    run(["replay", "--estate", EXAMPLE, "--threads", "0", trunc], ok=(2,))
    p = run(["replay", "--merge", empty], ok=(3,))
    run(["replay", "--help"])


def check_gzip(tmp, log_gz):
    """gzip through both inflaters (ISA-L and zlib, MOAT_INFLATE): every
    member of a multi-member file is read; a stream cut short, corrupt
    data, a bad checksum or length, and bytes after the last member that
    are not gzip each fail (exit 3) naming the file and the compressed
    byte, after replaying the records before them."""
    with gzip.open(log_gz, "rb") as f:
        text = f.read()
    data = open(log_gz, "rb").read()
    cuts = [0, text.index(b"\n", len(text) // 3) + 1, text.index(b"\n", 2 * len(text) // 3) + 1, len(text)]
    members = b"".join(gzip.compress(text[a:b]) for a, b in zip(cuts, cuts[1:]))
    bad = bytearray(data)
    bad[len(data) // 2] ^= 0x55
    crc = bytearray(data)
    crc[-8] ^= 1
    size = bytearray(data)
    size[-1] ^= 1
    cases = {"members.gz": (members, None), "cut.gz": (data[: len(data) * 2 // 3], "cut short"),
             "corrupt.gz": (bytes(bad), "corrupt gzip data"), "crc.gz": (bytes(crc), "corrupt gzip data"),
             "size.gz": (bytes(size), "corrupt gzip data"), "trailing.gz": (data + b"PK\3\4 not gzip", "are not gzip")}
    args = [MOAT, "replay", "--estate", EXAMPLE, "--format", "json", "-q"]
    plain = os.path.join(tmp, "gzip-plain.log")
    with open(plain, "wb") as f:
        f.write(text)
    want = subprocess.run(args + [plain], capture_output=True, text=True).stdout
    for inflater in ("isa-l", "zlib"):
        env = dict(os.environ, MOAT_INFLATE=inflater)
        for name, (blob, error) in cases.items():
            path = os.path.join(tmp, name)
            with open(path, "wb") as f:
                f.write(blob)
            p = subprocess.run(args + [path], capture_output=True, text=True, env=env)
            if error is None:
                if p.returncode != 0 or p.stdout != want:
                    fail("%s (%s): not the plain log's summary: %s" % (name, inflater, p.stderr[-300:]))
                continue
            if p.returncode != 3 or error not in p.stderr or path not in p.stderr or \
                    "at compressed byte" not in p.stderr:
                fail("%s (%s): exit %d, %s" % (name, inflater, p.returncode, p.stderr[-300:]))
            elif name != "trailing.gz" and json.loads(p.stdout or "{}").get("records", 0) == 0:
                fail("%s (%s): the records before the damage were not replayed" % (name, inflater))
        # Several gzip files inflate at once (on threads of their own): the
        # same summary as the plain logs, and each damaged file named.
        members = os.path.join(tmp, "members.gz")
        for threads in ("1", "4"):
            p = subprocess.run(args + ["--threads", threads, members, members, members],
                               capture_output=True, text=True, env=env)
            w = subprocess.run(args + ["--threads", threads, plain, plain, plain], capture_output=True, text=True)
            if p.returncode != 0 or p.stdout != w.stdout:
                fail("three gzip files (%s, %s threads): not the plain logs' summary" % (inflater, threads))
        damaged = [os.path.join(tmp, n) for n in ("members.gz", "corrupt.gz", "members.gz", "cut.gz", "members.gz")]
        p = subprocess.run(args + damaged, capture_output=True, text=True, env=env)
        if p.returncode != 3 or p.stderr.count("at compressed byte") != 2 or \
                json.loads(p.stdout or "{}").get("records", 0) <= 3 * len(text.splitlines()):
            fail("gzip files inflating ahead, two damaged (%s): %s" % (inflater, p.stderr[-300:]))


def main():
    global MOAT
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--moat", required=True)
    MOAT = os.path.abspath(ap.parse_args().moat)
    tmp = tempfile.mkdtemp(prefix="moat-replay-")
    try:
        proposed = proposed_estate(tmp)
        logs = []
        for fmt in FORMATS:
            log, summary, whole = check_format(tmp, fmt, proposed, gz=False)
            check_shards(tmp, fmt, log, proposed, whole)
            logs.append(log)
        gz, _, _ = check_format(tmp, "diagnostic", proposed, gz=True)
        logs.append(gz)
        base = check_agreement(tmp, proposed, logs)
        check_merge_validation(tmp, base)
        check_blank_lead(tmp, dict(zip(FORMATS, logs)))
        check_bad_inputs(tmp, gz)
        check_gzip(tmp, gz)
        check_long_ids(tmp)
        check_vault_edges(tmp)
        check_record_times(tmp)
    finally:
        shutil.rmtree(tmp)
    print("replay: %d formats (and gzip), 3000 records each, %d failures" % (len(FORMATS), len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
