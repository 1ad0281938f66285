#!/usr/bin/env python3
"""Writes network security perimeter access logs (NSPAccessLogs) for an
estate, with the category and rule Azure's perimeter logs for each.

    gennsp.py --estate DIR --out LOG --truth FILE --format F [--gzip]
              [--repeat N] [--seed S]

Formats: diagnostic (the diagnostic setting's JSON lines, as a perimeter's
PT1H.json holds them), diagnostic-records ({"records": [...]}),
analytics-json (NSPAccessLogs rows as JSON lines), analytics-array (rows as
one JSON array), analytics-csv (rows as CSV with a header).

The record shapes are Azure's: the inbound template of "Diagnostic logs for
Network Security Perimeter" (Azure Private Link documentation: time,
timeGeneratedEndTime, count, resourceId of the perimeter, operationName,
category, location, properties.{serviceResourceId, serviceFqdn, profile,
matchedRule.accessRule, source.{resourceId, ipAddress, perimeterGuids,
appId, port, protocol}}) and the NSPAccessLogs table's columns (Azure
Monitor table reference: TimeGenerated, Category, ServiceResourceId,
MatchedRule as a JSON property bag, SourceIpAddress, SourcePerimeterGuids,
SourceProtocol "HTTPS:TCP", Count, ...).

Each perimeter association of the estate gets records of every inbound
category its mode can log: a caller inside each address rule and one in
each subscription rule's subscription (NspPublicInboundPerimeterRulesAllowed,
with the rule's name), a caller of the same perimeter
(NspIntraPerimeterInboundAllowed), of a linked perimeter
(NspCrossPerimeterInboundAllowed), through an Approved private endpoint
(NspPrivateInboundAllowed), and callers no perimeter rule admits: refused in
Enforced (and logged as refused in Audit, which logs the Enforced
evaluation), decided by the resource's own rules in Learning
(NspPublicInboundResourceRulesAllowed/Denied). The category is worked out
here from the estate, by decision.md's procedure written again in Python,
not by moat. Outbound records, a resource moat does not decide and an
account the estate lacks are written too, as unmappable.

Truth: one JSON line per record, {"line", "azure_category", "azure_rule",
"resource", "ip", "auth"} or {"line", "unmapped": REASON}.
"""
import argparse
import csv
import gzip
import io
import ipaddress
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from genlogs import Estate, resources  # noqa: E402

WORKSPACE = ("/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/resourceGroups/rg-nw-monitor/providers/"
             "Microsoft.OperationalInsights/workspaces/law-nw-prod")
ELSEWHERE = "/subscriptions/0b7e5a61-2c7d-4f0e-9a57-6e1d3c2b4a90/resourceGroups/rg-other/providers/"


def low(s):
    return (s or "").lower()


class Perimeters:
    """The estate's perimeters, profiles, rules, associations and links."""

    def __init__(self, path):
        rs = resources(path)
        self.est = Estate(path)
        self.perims, self.profiles, self.assocs, self.links = {}, {}, [], []
        self.res = {low(r["id"]): r for r in rs
                    if low(r.get("type")) in ("microsoft.storage/storageaccounts", "microsoft.keyvault/vaults")}
        for r in rs:
            t, p = low(r.get("type")), r.get("properties") or {}
            if t == "microsoft.network/networksecurityperimeters":
                self.perims[low(r["id"])] = {"guid": p.get("perimeterGuid"), "id": r["id"],
                                             "location": r.get("location")}
            elif t == "microsoft.network/networksecurityperimeters/profiles":
                self.profiles[low(r["id"])] = {"name": r["name"], "rules": []}
        for r in rs:
            t, p = low(r.get("type")), r.get("properties") or {}
            if t == "microsoft.network/networksecurityperimeters/profiles/accessrules" and \
                    (p.get("direction") or "Inbound") == "Inbound":
                prof = self.profiles.get(low(r["id"][:r["id"].lower().index("/accessrules/")]))
                if prof is not None:
                    prof["rules"].append({"name": r["name"], "prefixes": p.get("addressPrefixes") or [],
                                          "subs": [low(s["id"].split("/")[-1]) for s in p.get("subscriptions") or []]})
            elif t == "microsoft.network/networksecurityperimeters/resourceassociations":
                parent = low(r["id"][:r["id"].lower().index("/resourceassociations/")])
                rid = low((p.get("privateLinkResource") or {}).get("id"))
                mode = p.get("accessMode") or "Learning"
                mode = "Learning" if mode.lower() == "transition" else mode.capitalize()
                if rid in self.res and parent in self.perims:
                    self.assocs.append({"res": self.res[rid], "perimeter": self.perims[parent], "mode": mode,
                                        "profile": self.profiles.get(low((p.get("profile") or {}).get("id")))})
            elif t == "microsoft.network/networksecurityperimeters/links":
                parent = low(r["id"][:r["id"].lower().index("/links/")])
                remote = low(p.get("remotePerimeterResourceId"))
                self.links.append({"local": parent, "remote": remote,
                                   "local_profiles": [low(x) for x in p.get("localInboundProfiles") or []],
                                   "remote_profiles": [low(x) for x in p.get("remoteInboundProfiles") or []],
                                   "approved": low(p.get("status")) == "approved"})

    def linked_guid(self, a):
        """The GUID of a perimeter whose callers a link admits to a."""
        here, prof = low(a["perimeter"]["id"]), low((a["profile"] or {}).get("name"))
        for l in self.links:
            if not l["approved"]:
                continue
            if l["local"] == here and ("*" in l["local_profiles"] or prof in l["local_profiles"]):
                other = self.perims.get(l["remote"])
            elif l["remote"] == here and ("*" in l["remote_profiles"] or prof in l["remote_profiles"]):
                other = self.perims.get(l["local"])
            else:
                continue
            if other and other["guid"]:
                return other["guid"]
        return None


def inside(prefix, k=5):
    net = ipaddress.ip_network(prefix, strict=False)
    return str(net.network_address + min(k, net.num_addresses - 1))


def in_any(ip, prefixes):
    a = ipaddress.ip_address(ip)
    return any(a.version == ipaddress.ip_network(p, strict=False).version and
               a in ipaddress.ip_network(p, strict=False) for p in prefixes)


def resource_rules(res, ip):
    """The resource's own firewall for a caller by address alone."""
    p = res.get("properties") or {}
    if low(p.get("publicNetworkAccess")) == "disabled":
        return False
    acls = p.get("networkAcls") or {}
    if low(acls.get("defaultAction") or "Allow") == "allow":
        return True
    rules = [r.get("value") for r in acls.get("ipRules") or []] + [r.get("value") for r in acls.get("ipv6Rules") or []]
    return in_any(ip, [r for r in rules if r])


def azure(P, a, caller):
    """Azure's category and matched rule for caller (decision.md, section 4,
    for a resource associated with a perimeter)."""
    if caller.get("pe"):
        return "NspPrivateInboundAllowed", ""
    oauth = bool(caller.get("resource") or caller.get("guids"))
    if oauth and a["perimeter"]["guid"] in caller.get("guids", []):
        return "NspIntraPerimeterInboundAllowed", ""
    if oauth and P.linked_guid(a) in caller.get("guids", []):
        return "NspCrossPerimeterInboundAllowed", ""
    for rule in (a["profile"] or {}).get("rules", []):
        if caller.get("ip") and in_any(caller["ip"], rule["prefixes"]):
            return "NspPublicInboundPerimeterRulesAllowed", rule["name"]
        sub = low(caller.get("resource", "").split("/")[2]) if caller.get("resource") else None
        if oauth and sub and sub in rule["subs"]:
            return "NspPublicInboundPerimeterRulesAllowed", rule["name"]
    pna = low((a["res"].get("properties") or {}).get("publicNetworkAccess"))
    if a["mode"] in ("Enforced", "Audit") or pna == "securedbyperimeter":
        return "NspPublicInboundPerimeterRulesDenied", ""
    if resource_rules(a["res"], caller["ip"]):
        return "NspPublicInboundResourceRulesAllowed", ""
    return "NspPublicInboundResourceRulesDenied", ""


def outside(P, a, rng):
    """A public address no rule of the association's profile holds."""
    prefixes = [p for r in (a["profile"] or {}).get("rules", []) for p in r["prefixes"]]
    while True:
        ip = "20.%d.%d.%d" % (rng.randrange(1, 250), rng.randrange(0, 250), rng.randrange(1, 250))
        if not in_any(ip, prefixes) and not P.est.overlapping(ip):
            return ip


def callers(P, a, rng):
    """Every kind of caller the association's mode can log."""
    out = []
    for rule in (a["profile"] or {}).get("rules", []):
        for p in rule["prefixes"]:
            out.append({"ip": inside(p)})
        for sub in rule["subs"]:
            out.append({"ip": outside(P, a, rng), "app": "3f6a1c2e-9d4b-4e7a-8c15-0b2d6e9f4a71",
                        "resource": "/subscriptions/%s/resourceGroups/rg-callers/providers/Microsoft.Web/sites/app-%d"
                                    % (sub, rng.randrange(100))})
    out.append({"ip": outside(P, a, rng)})
    acls = (a["res"].get("properties") or {}).get("networkAcls") or {}
    for r in acls.get("ipRules") or []:
        ip = inside(r["value"] if "/" in r["value"] else r["value"] + "/32", 1)
        if not in_any(ip, [p for x in (a["profile"] or {}).get("rules", []) for p in x["prefixes"]]):
            out.append({"ip": ip})
    out.append({"ip": outside(P, a, rng), "guids": [a["perimeter"]["guid"]], "app": "7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f",
                "resource": ELSEWHERE + "Microsoft.Web/sites/app-in-perimeter"})
    other = P.linked_guid(a)
    if other:
        out.append({"ip": outside(P, a, rng), "guids": [other], "app": "8d2f3e4a-5b6c-4d7e-9f80-1a2b3c4d5e6f",
                    "resource": ELSEWHERE + "Microsoft.Web/sites/app-linked"})
    for _, subnet in P.est.approved_pe_subnets(a["res"]):
        for p in subnet["prefixes"][:1]:
            out.append({"ip": inside(p, 9), "pe": True})
    return out


def fqdn(res):
    name = res["name"]
    if low(res["type"]) == "microsoft.keyvault/vaults":
        return name + ".vault.azure.net"
    return name + ".blob.core.windows.net"


def record(P, a, caller, when, rng, category=None, rule=None, service=None):
    res = a["res"] if a else None
    perim = a["perimeter"] if a else next(iter(P.perims.values()))
    src = {"ipAddress": caller.get("ip", ""), "port": str(rng.randrange(1024, 65535)),
           "protocol": rng.choice(["HTTPS:TCP", "https"]), "parameters": ""}
    if caller.get("resource"):
        src["resourceId"] = caller["resource"]
    if caller.get("app"):
        src["appId"] = caller["app"]
    if category in ("NspIntraPerimeterInboundAllowed", "NspCrossPerimeterInboundAllowed"):
        src["perimeterGuids"] = caller["guids"]
    return {
        "time": when, "timeGeneratedEndTime": when, "count": str(rng.randrange(1, 40)),
        "resourceId": perim["id"].upper(),
        "operationName": "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
        if res is None or low(res["type"]).startswith("microsoft.storage") else "SecretGet",
        "operationVersion": "2023-01-01", "category": category, "location": perim["location"],
        "properties": {"serviceResourceId": service or res["id"], "serviceFqdn": fqdn(res) if res else "",
                       "accessRulesVersion": "3", "profile": (a["profile"] or {}).get("name", "") if a else "",
                       "appId": "", "parameters": "", "matchedRule": {"accessRule": rule or ""}, "source": src},
        "resultDescription": "Get blob.",
    }


def row(rec):
    """The NSPAccessLogs row of a diagnostic record."""
    p, s = rec["properties"], rec["properties"]["source"]
    return {"TenantId": "6b1f0e2d-3c4a-4b5d-8e6f-7a8b9c0d1e2f", "TimeGenerated": rec["time"],
            "TimeGeneratedEndTime": rec["timeGeneratedEndTime"], "Category": rec["category"],
            "Location": rec["location"], "OperationName": rec["operationName"],
            "OperationVersion": rec["operationVersion"], "Profile": p["profile"],
            "ServiceResourceId": p["serviceResourceId"], "ServiceFqdn": p["serviceFqdn"],
            "MatchedRule": json.dumps(p["matchedRule"]), "SourceIpAddress": s.get("ipAddress", ""),
            "SourceResourceId": s.get("resourceId", ""), "SourceAppId": s.get("appId", ""),
            "SourcePerimeterGuids": json.dumps(s["perimeterGuids"]) if "perimeterGuids" in s else "",
            "SourcePort": s.get("port", ""), "SourceProtocol": s["protocol"],
            "ResultAction": "Approved" if rec["category"].endswith("Allowed") else "Denied",
            "ResultDirection": "Outbound" if "Outbound" in rec["category"] else "Inbound",
            "Count": int(rec["count"]), "_ResourceId": rec["resourceId"].lower(), "Type": "NSPAccessLogs"}


def build(P, rng, repeat):
    recs, truth = [], []
    t0 = 1795680000  # 2026-11-26T00:00:00Z
    for k in range(repeat):
        for a in P.assocs:
            for c in callers(P, a, rng):
                cat, rule = azure(P, a, c)
                when = "%sZ" % __import__("datetime").datetime.utcfromtimestamp(t0 + len(recs) * 7).isoformat()
                recs.append(record(P, a, c, when, rng, cat, rule))
                auth = "OAuth" if c.get("resource") or c.get("guids") else "SAS"
                truth.append({"azure_category": cat, "azure_rule": rule, "resource": a["res"]["id"],
                              "ip": c.get("ip"), "auth": auth})
        a = P.assocs[0]
        for cat, service, reason in (("NspPublicOutboundPerimeterRulesAllowed", None, "outbound access"),
                                     ("NspOutboundAttempt", None, "outbound access"),
                                     ("NspPublicInboundPerimeterRulesAllowed", WORKSPACE,
                                      "resource moat does not decide"),
                                     ("NspPublicInboundPerimeterRulesDenied",
                                      ELSEWHERE + "Microsoft.Storage/storageAccounts/stnotours",
                                      "account not in the estate")):
            recs.append(record(P, a, {"ip": outside(P, a, rng)}, "2026-11-26T12:00:00Z", rng, cat, "", service))
            truth.append({"unmapped": reason})
    order = list(range(len(recs)))
    rng.shuffle(order)
    return [recs[i] for i in order], [truth[i] for i in order]


def write(fmt, recs, out):
    lines = []
    if fmt == "diagnostic":
        for r in recs:
            out.write(json.dumps(r) + "\n")
        return list(range(1, len(recs) + 1))
    if fmt == "diagnostic-records":
        out.write('{"records": [\n' + ",\n".join(json.dumps(r) for r in recs) + "\n]}\n")
        return list(range(1, len(recs) + 1))
    rows = [row(r) for r in recs]
    if fmt == "analytics-json":
        for r in rows:
            out.write(json.dumps(r) + "\n")
        return list(range(1, len(rows) + 1))
    if fmt == "analytics-array":
        out.write(json.dumps(rows, indent=1) + "\n")
        return list(range(1, len(rows) + 1))
    cols = list(rows[0].keys())
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([c + " [UTC]" if c == "TimeGenerated" else c for c in cols])
    for r in rows:
        w.writerow([r[c] for c in cols])
    out.write(buf.getvalue())
    return [i + 2 for i in range(len(rows))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--estate", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--format", default="diagnostic",
                    choices=["diagnostic", "diagnostic-records", "analytics-json", "analytics-array",
                             "analytics-csv"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gzip", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    P = Perimeters(args.estate)
    recs, truth = build(P, rng, args.repeat)
    opener = gzip.open if args.gzip else open
    with opener(args.out, "wt") as out:
        lines = write(args.format, recs, out)
    with open(args.truth, "w") as f:
        for line, t in zip(lines, truth):
            t["line"] = line
            f.write(json.dumps(t) + "\n")


if __name__ == "__main__":
    main()
