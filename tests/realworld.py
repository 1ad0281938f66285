#!/usr/bin/env python3
"""Loads what Azure and its tools produced, and checks moat kept the settings.

1. Every response body of Azure's REST API examples (realworld/rest-api-
   examples) loads with `moat estate`, and the settings it carries appear in
   moat's view of the estate (`moat estate --format json`). Child resources
   (private endpoint connections, access rules, associations, an account's
   perimeter configuration) are loaded next to stand-ins for their parents,
   so that the test sees them attached.
2. Every answer recorded in realworld/azure-cli-recordings (the networkAcls
   and publicNetworkAccess Azure returned after each `az` command) loads as
   a storage account or key vault, and moat's rule set equals Azure's:
   addresses compared as addresses, ids ignoring case, defaults as Azure's.

The expectations are computed here from the Azure JSON independently of
moat's C reader. Exits 1 on any difference.
"""
import argparse
import glob
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

MOAT = None
FAILURES = []
CHECKS = 0


def fail(where, msg):
    FAILURES.append("%s: %s" % (where, msg))


def check(where, what, got, want):
    global CHECKS
    CHECKS += 1
    if got != want:
        fail(where, "%s: moat has %r, Azure says %r" % (what, got, want))


def load(resources, where, refused=()):
    """Runs `moat estate --format json` on a list of resources. Values
    decision.md has Azure refuse (refused) must be refused: the estate is
    then loaded with --lenient, each named in a warning and left out."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(resources, f)
        path = f.name
    try:
        p = subprocess.run([MOAT, "estate", "--estate", path, "--format", "json"],
                           capture_output=True, text=True)
        if refused and p.returncode == 3:
            p = subprocess.run([MOAT, "estate", "--lenient", "--estate", path, "--format", "json"],
                               capture_output=True, text=True)
        elif refused:
            fail(where, "moat accepted %s, which Azure refuses" % ", ".join(refused))
    finally:
        os.unlink(path)
    if p.returncode != 0:
        fail(where, "moat estate exited %d: %s" % (p.returncode, p.stderr.strip()))
        return None
    for r in refused:
        if "warning" not in p.stderr or r not in p.stderr:
            fail(where, "no warning names %s" % r)
    return json.loads(p.stdout)


PRIVATE = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


def vault_refuses(value):
    """Key Vault refuses private IPv4 ranges (decision.md section 1, version
    2: "belongs to forbidden range ... (private IP addresses)"). Azure's REST
    example createVaultWithNetworkAcls shows one (quoted) all the same."""
    n = net(value)
    if n is None or ":" in n:
        return False
    n = ipaddress.ip_network(n)
    return any(n.subnet_of(p) for p in PRIVATE)


def ci(d, *names):
    """A member of d by any of names, ignoring case."""
    if not isinstance(d, dict):
        return None
    low = {k.lower(): v for k, v in d.items()}
    for n in names:
        if n.lower() in low:
            return low[n.lower()]
    return None


def net(value):
    """An IP rule value as Azure would match it; None when unusable."""
    v = value.strip().strip("'\"")
    if not v:
        return None
    try:
        return str(ipaddress.ip_network(v, strict=False))
    except ValueError:
        return None


def expected_account(body, kind):
    """What moat must read from a storage account or vault body."""
    props = ci(body, "properties")
    if not isinstance(props, dict):
        props = body
    acls = ci(props, "networkAcls", "networkRuleSet")
    pna = ci(props, "publicNetworkAccess") or "Enabled"
    exp = {
        "publicNetworkAccess": {"enabled": "Enabled", "disabled": "Disabled",
                                "securedbyperimeter": "SecuredByPerimeter"}[pna.lower()],
        "defaultAction": "Allow",
        "bypass": ["AzureServices"],
        "ipRules": [], "ipv6Rules": [], "virtualNetworkRules": [],
        "resourceAccessRules": [],
    }
    if isinstance(acls, dict):
        da = ci(acls, "defaultAction")
        if da:
            exp["defaultAction"] = da.capitalize()
        bp = ci(acls, "bypass")
        if bp is not None:
            words = bp if isinstance(bp, list) else bp.split(",")
            words = [w.strip().lower() for w in words]
            order = ["Logging", "Metrics", "AzureServices"]
            exp["bypass"] = [w for w in order if w.lower() in words]
        for key in ("ipRules", "ipv6Rules"):
            if kind == "keyvault" and key == "ipv6Rules":
                continue
            for r in ci(acls, key) or []:
                n = net(ci(r, "value", "ipAddressOrRange") or "")
                if n and kind == "keyvault" and vault_refuses(n):
                    exp.setdefault("refused", []).append(n)
                elif n:
                    exp[key].append(n)
        for r in ci(acls, "virtualNetworkRules") or []:
            i = ci(r, "id", "virtualNetworkResourceId")
            if i:
                exp["virtualNetworkRules"].append(i.lower())
        if kind == "storage":
            for r in ci(acls, "resourceAccessRules") or []:
                exp["resourceAccessRules"].append(
                    (ci(r, "tenantId").lower(), ci(r, "resourceId").lower()))
    pes = []
    for c in ci(props, "privateEndpointConnections") or []:
        cp = ci(c, "properties") or c
        pe = ci(ci(cp, "privateEndpoint") or {}, "id")
        st = ci(ci(cp, "privateLinkServiceConnectionState") or {}, "status")
        # A connection is one whether or not its endpoint's id is shown
        # (updateVault: "privateEndpoint": {"id": ""}, Approved).
        pes.append(((pe or "").lower(), st or "unknown"))
    exp["privateEndpointConnections"] = sorted(pes)
    return exp


def moat_account(r):
    acls = r["networkAcls"]
    return {
        "publicNetworkAccess": r["publicNetworkAccess"],
        "defaultAction": acls["defaultAction"],
        "bypass": acls["bypass"],
        "ipRules": [x["cidr"] for x in acls["ipRules"]],
        "ipv6Rules": [x["cidr"] for x in acls["ipv6Rules"]],
        "virtualNetworkRules": [x["id"].lower() for x in acls["virtualNetworkRules"]],
        "resourceAccessRules": [(x["tenantId"].lower(), x["resourceId"].lower())
                                for x in acls["resourceAccessRules"]],
        "privateEndpointConnections": sorted(
            (x["privateEndpoint"].lower(), x["status"])
            for x in r["privateEndpointConnections"]),
    }


def compare_account(where, body, kind, view):
    rid = body.get("id") or body.get("name")
    got = [r for r in view["resources"] if r["id"].lower() == rid.lower()]
    if len(got) != 1:
        fail(where, "resource %s not in moat's view" % rid)
        return
    want = expected_account(body, kind)
    want.pop("refused", None)
    have = moat_account(got[0])
    for k in want:
        check(where, k, have[k], want[k])
    check(where, "kind", got[0]["kind"], kind)


def parent(rid, child):
    i = rid.lower().rfind("/" + child.lower() + "/")
    return rid[:i] if i > 0 else None


def stub(rid, typ):
    return {"id": rid, "type": typ, "location": "westus"}


def check_rest_body(where, body):
    t = (body.get("type") or "").lower()
    if t in ("microsoft.storage/storageaccounts", "microsoft.keyvault/vaults"):
        kind = "storage" if "storage" in t else "keyvault"
        view = load([body], where, expected_account(body, kind).get("refused", ()))
        if view:
            compare_account(where, body, kind, view)
    elif t.endswith("/privateendpointconnections"):
        owner = parent(body["id"], "privateEndpointConnections")
        owner_type = "Microsoft.Storage/storageAccounts" if "storage" in t else "Microsoft.KeyVault/vaults"
        view = load([stub(owner, owner_type), body], where)
        if view:
            pe = body["properties"]["privateEndpoint"]["id"]
            st = body["properties"]["privateLinkServiceConnectionState"]["status"]
            conns = view["resources"][0]["privateEndpointConnections"]
            check(where, "connection", [(c["privateEndpoint"], c["status"]) for c in conns],
                  [(pe, st)])
    elif t == "microsoft.network/networksecurityperimeters":
        view = load([body], where)
        if view:
            check(where, "perimeterGuid", view["perimeters"][0]["perimeterGuid"],
                  body["properties"]["perimeterGuid"])
    elif t == "microsoft.network/networksecurityperimeters/profiles":
        view = load([body], where)
        if view:
            check(where, "profile", [p["id"] for p in view["profiles"]], [body["id"]])
    elif t == "microsoft.network/networksecurityperimeters/profiles/accessrules":
        prof = parent(body["id"], "accessRules")
        view = load([{"id": prof, "type": "Microsoft.Network/networkSecurityPerimeters/profiles"},
                     body], where)
        if view:
            rules = view["profiles"][0]["accessRules"]
            p = body["properties"]
            check(where, "direction", rules[0]["direction"], p.get("direction", "Inbound"))
            check(where, "addressPrefixes", rules[0]["addressPrefixes"],
                  [net(x) for x in p.get("addressPrefixes", [])])
            check(where, "subscriptions", rules[0]["subscriptions"],
                  [s["id"] for s in p.get("subscriptions", [])])
    elif t == "microsoft.network/networksecurityperimeters/resourceassociations":
        p = body["properties"]
        res = p["privateLinkResource"]["id"]
        view = load([stub(res, "Microsoft.Storage/storageAccounts"),
                     {"id": p["profile"]["id"],
                      "type": "Microsoft.Network/networkSecurityPerimeters/profiles"},
                     body], where)
        if view:
            per = view["resources"][0]["perimeter"]
            check(where, "accessMode", per and per["accessMode"], p["accessMode"])
            check(where, "profile", per and per["profile"], p["profile"]["id"])
    elif t in ("microsoft.network/networksecurityperimeters/links",
               "microsoft.network/networksecurityperimeters/linkreferences"):
        view = load([body], where)
        if view:
            check(where, "link status", view["links"][0]["status"], body["properties"]["status"])
            check(where, "approved", view["links"][0]["approved"],
                  body["properties"]["status"] == "Approved")
    elif t == "microsoft.storage/storageaccounts/networksecurityperimeterconfigurations":
        acct = parent(body["id"], "networkSecurityPerimeterConfigurations")
        view = load([stub(acct, "Microsoft.Storage/storageAccounts"), body], where)
        if view:
            p = body["properties"]
            per = view["resources"][0]["perimeter"]
            check(where, "accessMode", per and per["accessMode"],
                  p["resourceAssociation"]["accessMode"])
            check(where, "perimeterGuid", per and per["perimeterGuid"],
                  p["networkSecurityPerimeter"]["perimeterGuid"])
            rules = view["profiles"][0]["accessRules"]
            want = [(r["name"], [net(x) for x in r["properties"].get("addressPrefixes", [])],
                     [s["id"] for s in r["properties"].get("subscriptions", [])])
                    for r in p["profile"]["accessRules"]]
            check(where, "access rules",
                  [(r["name"], r["addressPrefixes"], r["subscriptions"]) for r in rules], want)
    else:
        fail(where, "no check written for type %s" % t)


def rest_examples(root):
    n = 0
    for path in sorted(glob.glob(os.path.join(root, "rest-api-examples", "*", "*", "*.json"))):
        doc = json.load(open(path))
        for code, resp in sorted(doc.get("responses", {}).items()):
            body = resp.get("body")
            if not body:
                continue
            where = "%s (%s)" % (os.path.relpath(path, root), code)
            items = body["value"] if isinstance(body, dict) and "value" in body else [body]
            # The whole body loads as it is (what Azure refuses, refused) ...
            refused = [r for item in items
                       if (item.get("type") or "").lower() == "microsoft.keyvault/vaults"
                       for r in expected_account(item, "keyvault").get("refused", [])]
            load(body, where, refused)
            # ... and each resource keeps its settings.
            for item in items:
                check_rest_body(where, item)
            n += 1
    return n


def recordings(root):
    n = 0
    for path in sorted(glob.glob(os.path.join(root, "azure-cli-recordings", "*.json"))):
        doc = json.load(open(path))
        name = os.path.basename(path)
        kind = "keyvault" if "keyvault" in name else "storage"
        steps = list(doc.get("steps", []))
        for sc in doc.get("scenarios", []):
            steps.extend(sc.get("steps", []))
        for i, step in enumerate(steps):
            where = "%s step %d (%s)" % (name, i + 1, step.get("command", "")[:60])
            if "response_networkAcls" in step:
                body = {
                    "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
                          + ("Microsoft.KeyVault/vaults/kv" if kind == "keyvault"
                             else "Microsoft.Storage/storageAccounts/sa"),
                    "type": "Microsoft.KeyVault/vaults" if kind == "keyvault"
                            else "Microsoft.Storage/storageAccounts",
                    "location": "eastus2",
                    "properties": {"networkAcls": step["response_networkAcls"]},
                }
                if step.get("response_publicNetworkAccess") is not None:
                    body["properties"]["publicNetworkAccess"] = step["response_publicNetworkAccess"]
                view = load([body], where)
                if view:
                    compare_account(where, body, kind, view)
                n += 1
            resp = step.get("response")
            if isinstance(resp, dict) and resp:
                items = resp.get("value", [resp]) if "value" in resp else [resp]
                load(resp, where)
                for item in items:
                    if item.get("type"):
                        check_rest_body(where, item)
                n += 1
    return n


def main():
    global MOAT
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--moat", required=True)
    ap.add_argument("dir")
    args = ap.parse_args()
    MOAT = args.moat
    bodies = rest_examples(args.dir)
    answers = recordings(args.dir)
    for f in FAILURES:
        print("FAIL " + f)
    print("realworld: %d REST example bodies, %d recorded answers, %d checks, %d failures"
          % (bodies, answers, CHECKS, len(FAILURES)))
    return 1 if FAILURES or bodies == 0 or answers == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
