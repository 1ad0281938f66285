#!/usr/bin/env python3
"""`moat replay --suggest enforced`: rules learned from traffic.

Five days of storage access logs (diagnostic-setting JSON lines) for the
example estate, with stnwtelemetry's firewall open (a team in Learning with
defaultAction Allow, as perimeters are usually first deployed) and
sttailspinxfer in Audit: callers from a few busy networks, single
addresses, OAuth callers of the estate's managed identities, a trusted
service, callers seen once, and IPv6 callers (a busy /124 and a steady
single address, aggregated under the same budget as IPv4). Learn on the
first four days; then:

  - every profile's prefixes stay within --max-prefixes and --max-addresses;
  - the proposal (--write-proposal) loads, has those associations Enforced,
    and replaying the same logs against it newly denies no record of a
    caller the suggestion said it keeps (the others are exactly the
    callers it listed as not kept);
  - on the held-out fifth day, no record of a kept caller is newly denied;
  - the az commands name the perimeter, the profile and the prefixes;
  - a tight budget leaves callers out and says so.
"""
import argparse
import ipaddress
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(TOP, "examples", "estate")
SUB = "69f2480c-acd7-4d9f-9100-82eb6a94806f"
TELEMETRY = "/subscriptions/%s/resourceGroups/rg-nw-iot/providers/Microsoft.Storage/storageAccounts/stnwtelemetry" % SUB
XFER = ("/subscriptions/8fda9fa2-48b6-4eb6-928c-c56d3b37241d/resourceGroups/rg-tailspin-exchange/providers/"
        "Microsoft.Storage/storageAccounts/sttailspinxfer")
SYNAPSE_OID, TENANT = "5b2c7e91-0d4a-4f63-9a8e-1c3b6d2f7e40", "2987efb7-f7cf-4546-a458-91d2550c48c7"
FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL " + msg)


def run(moat, args, ok=(0,)):
    p = subprocess.run([moat] + args, capture_output=True, text=True)
    if p.returncode not in ok:
        fail("moat %s -> %d: %s" % (" ".join(args), p.returncode, p.stderr[-500:]))
    return p


def open_estate(tmp):
    d = os.path.join(tmp, "estate")
    shutil.copytree(EXAMPLE, d)
    path = os.path.join(d, "storage.json")
    with open(path) as f:
        doc = json.load(f)
    for r in doc if isinstance(doc, list) else doc["value"]:
        if r.get("name") == "stnwtelemetry":
            r["properties"]["networkAcls"]["defaultAction"] = "Allow"
    with open(path, "w") as f:
        json.dump(doc, f)
    return d


def record(account, ip, day, k, oauth=None):
    name = account.rsplit("/", 1)[1]
    rec = {"time": "2026-11-%02dT%02d:%02d:00Z" % (20 + day, k % 24, k % 60), "resourceId": account + "/blobServices/default",
           "category": "StorageRead", "operationName": "GetBlob", "statusCode": 200, "statusText": "Success",
           "callerIpAddress": ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, 40000 + k % 20000), "protocol": "HTTPS",
           "uri": "https://%s.blob.core.windows.net/telemetry/b%d" % (name, k),
           "identity": {"type": "SAS"},
           "properties": {"accountName": name, "serviceType": "blob", "objectKey": "/%s/telemetry/b%d" % (name, k)}}
    if oauth:
        rec["identity"] = {"type": "OAuth", "requester": {"objectId": oauth, "tenantId": TENANT}}
    return rec


def traffic(rng):
    """Records per day: busy networks, steady single callers, an OAuth
    identity, callers seen once."""
    days = {d: [] for d in range(5)}
    busy = [ipaddress.ip_network(n) for n in ("52.10.20.0/26", "52.10.21.0/28", "40.112.7.0/29",
                                              "2001:db8:aa::/124")]
    steady = ["20.50.60.70", "20.50.61.9", "13.69.1.1", "2001:db8:bb::5"]
    for d in range(5):
        k = 0
        for net in busy:
            for _ in range(25):
                ip = str(net.network_address + rng.randrange(net.num_addresses))
                days[d].append(record(TELEMETRY, ip, d, k))
                k += 1
        for ip in steady:
            for _ in range(3):
                days[d].append(record(TELEMETRY, ip, d, k))
                k += 1
        for _ in range(4):
            days[d].append(record(TELEMETRY, "20.40.30.20", d, k, oauth=SYNAPSE_OID))
            k += 1
        once = "23.%d.%d.%d" % (d + 1, rng.randrange(250), rng.randrange(1, 250))
        days[d].append(record(TELEMETRY, once, d, k))
        days[d].append(record(XFER, "192.0.2.7", d, k + 1))  # Audit: its IP rule admits
    return days


def write(path, recs):
    with open(path, "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")


def caller_of(line):
    r = json.loads(line)
    return r["request"]["source"].get("ip"), r["request"]["caller"].get("subscription")


def kept_callers(sug):
    keep, prefixes = set(), []
    for p in sug["profiles"]:
        prefixes += [ipaddress.ip_network(x["prefix"]) for x in p["prefixes"]]
        for c in p["callers"]:
            if c["kept"]:
                keep.add((c["kind"], c["caller"]))
    return keep, prefixes


def claimed(ip, sub, keep, prefixes):
    if sub and ("subscription", sub) in keep:
        return True
    return ip is not None and any(ipaddress.ip_address(ip) in n for n in prefixes)


def newly_denied(moat, estate, proposal, log, tmp, tag):
    chg = os.path.join(tmp, tag + ".chg")
    run(moat, ["replay", "-q", "--estate", estate, "--proposed", "enforced=" + proposal, "--changes", chg, log])
    out = []
    for line in open(chg):
        d = json.loads(line)
        if d["decisions"]["current"]["decision"] == "allow" and d["decisions"]["enforced"]["decision"] == "deny":
            out.append(line)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    moat = os.path.abspath(ap.parse_args().moat)
    tmp = tempfile.mkdtemp(prefix="moat-suggest-")
    try:
        estate = open_estate(tmp)
        days = traffic(random.Random(7))
        learn, held = os.path.join(tmp, "learn.log"), os.path.join(tmp, "held.log")
        write(learn, [r for d in range(4) for r in days[d]])
        write(held, days[4])
        proposal = os.path.join(tmp, "proposal")
        p = run(moat, ["replay", "-q", "--estate", estate, "--suggest", "enforced", "--max-prefixes", "4",
                       "--max-addresses", "200", "--write-proposal", proposal, "--format", "json", learn])
        sug = json.loads(p.stdout)
        profiles = {x["profile"]: x for x in sug["profiles"]}
        if "prof-data" not in profiles:
            fail("no suggestion for prof-data: %s" % p.stdout[:500])
            return finish(tmp)
        pd = profiles["prof-data"]
        sizes = [ipaddress.ip_network(x["prefix"]).num_addresses for x in pd["prefixes"]]
        if len(sizes) > 4 or sum(sizes) > 200:
            fail("budget exceeded: %s" % pd["prefixes"])
        for x in pd["prefixes"]:
            net = ipaddress.ip_network(x["prefix"])
            if x["opens_beyond_observed"] != net.num_addresses - x["observed_addresses"]:
                fail("opens_beyond_observed of %s" % x)
        # moat reach on the proposal: exactly the learned prefixes' addresses
        # (none of them admitted before), and a subscription rule's any address.
        nets = [ipaddress.ip_network(x["prefix"]) for x in pd["prefixes"]]
        v4 = sum(n.num_addresses for n in nets if n.version == 4)
        v6 = sum(n.num_addresses for n in nets if n.version == 6)
        reach = pd.get("reach", {})
        if reach.get("ipv4_newly_admitted") != v4 or reach.get("ipv6_newly_admitted") != str(v6) \
                or reach.get("any_address") is not True:
            fail("reach on the proposal %s, prefixes hold %d IPv4 and %d IPv6 addresses" % (reach, v4, v6))
        busy6 = ipaddress.ip_network("2001:db8:aa::/124")
        if not any(n.version == 6 and busy6.subnet_of(n) for n in nets):
            fail("the busy IPv6 network is not aggregated into a prefix: %s" % pd["prefixes"])
        six = [c for c in pd["callers"] if ":" in c["caller"] and c["kind"] == "address"]
        if not any(c["kept"] for c in six) or \
                any(not c["kept"] and c.get("why_not") != "left out by the budget" for c in six):
            fail("IPv6 callers seen often are neither kept nor left out by the budget: %s" % six)
        kinds = {(c["kind"], c["kept"]) for c in pd["callers"]}
        if ("subscription", True) not in kinds:
            fail("the managed identity's subscription is not proposed: %s" % pd["callers"])
        once = [c for c in pd["callers"] if c["caller"].startswith("23.")]
        if not once or any(c["kept"] for c in once):
            fail("callers seen once are proposed, or not listed: %s" % once)
        # The commands as a shell splits them (every word quoted).
        argvs = [shlex.split(c) for c in pd["commands"]]
        cmds = " ".join(" ".join(a) for a in argvs)
        listed = "[" + ",".join(x["prefix"] for x in pd["prefixes"]) + "]"
        for want in ("az network perimeter profile access-rule create", "--perimeter-name nsp-nw-prod",
                     "--profile-name prof-data", "--address-prefixes " + listed,
                     "--subscriptions [{id:/subscriptions/" + SUB,
                     "az network perimeter association update", "--name assoc-stnwtelemetry --access-mode Enforced"):
            if want not in cmds:
                fail("the az commands lack %r: %s" % (want, cmds))
        keep, prefixes = kept_callers(sug)
        # The same logs against the proposal: only callers not kept are newly denied.
        for tag, log in (("learn", learn), ("held", held)):
            bad = [l for l in newly_denied(moat, estate, proposal, log, tmp, tag)
                   if claimed(*caller_of(l), keep, prefixes)]
            if bad:
                fail("%s: %d records the suggestion claims to keep are newly denied: %s"
                     % (tag, len(bad), bad[0][:400]))
        lost = newly_denied(moat, estate, proposal, learn, tmp, "learn2")
        refused = sum(x["refused_by_enforced"] for x in sug["profiles"])
        kept = sum(x["kept"] for x in sug["profiles"])
        if len(lost) != refused - kept:
            fail("the proposal newly denies %d records; the suggestion said %d of %d are not kept"
                 % (len(lost), refused - kept, refused))
        # A tight budget: one address at most.
        p = run(moat, ["replay", "-q", "--estate", estate, "--suggest", "enforced", "--max-prefixes", "1",
                       "--max-addresses", "1", "--format", "json", learn])
        tight = {x["profile"]: x for x in json.loads(p.stdout)["profiles"]}["prof-data"]
        if len(tight["prefixes"]) > 1 or any(ipaddress.ip_network(x["prefix"]).num_addresses > 1
                                             for x in tight["prefixes"]) or not tight["left_out_by_budget"]:
            fail("tight budget: %s" % json.dumps(tight)[:600])
        # The widest address budget (2^40): an IPv6 merge past it is never
        # made (the two IPv6 networks only meet in a /42, 2^86 addresses).
        wide = 2 ** 40
        p = run(moat, ["replay", "-q", "--estate", estate, "--suggest", "enforced", "--max-prefixes", "2",
                       "--max-addresses", str(wide), "--format", "json", learn])
        w = {x["profile"]: x for x in json.loads(p.stdout)["profiles"]}["prof-data"]
        wn = [ipaddress.ip_network(x["prefix"]) for x in w["prefixes"]]
        if len(wn) > 2 or sum(n.num_addresses for n in wn) > wide:
            fail("2^40 budget exceeded: %s" % w["prefixes"])
        for x in w["prefixes"]:
            if x["opens_beyond_observed"] != ipaddress.ip_network(x["prefix"]).num_addresses - x["observed_addresses"]:
                fail("opens_beyond_observed of %s" % x)
        text = run(moat, ["replay", "-q", "--estate", estate, "--suggest", "enforced", learn]).stdout
        if "suggested for Enforced" not in text or "seen once" not in text:
            fail("text suggestion: %s" % text[-800:])
    finally:
        pass
    finish(tmp)


def finish(tmp):
    shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("suggest: %d failures" % len(FAILURES))
        sys.exit(1)
    print("suggest: budgets kept, every kept caller still admitted, held-out day too")


if __name__ == "__main__":
    main()
