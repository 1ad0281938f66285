#!/usr/bin/env python3
"""Replays the az command sequences recorded against real Azure
(realworld/azure-cli-recordings) through moat's az-style commands, and
compares moat's rule set with the one Azure answered after every step.

Rules are compared as Azure means them: addresses as addresses (25.1.2.3 is
25.1.2.3/32; IPv6 written either way is one address), bypass as a set of
words, ids ignoring case where ARM ignores it. A step moat has no command
for (creating accounts, vaults and virtual networks, az's generic --set)
seeds the estate with the state Azure answered, so the next step starts
where Azure's did. Steps whose outcome the recording cannot tell (values
scrubbed by the recorder) are compared on what survives; each such case is
listed here with its reason.

usage: recordings.py --moat BIN DIR
"""
import argparse
import ipaddress
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

# Commands moat has (the rest seed the estate from Azure's answer).
MOAT_COMMANDS = (
    "az storage account create", "az storage account update",
    "az storage account show", "az storage account network-rule",
    "az keyvault create", "az keyvault update",
    "az keyvault show", "az keyvault network-rule",
    "az network perimeter create", "az network perimeter profile",
    "az network perimeter association", "az network perimeter link",
    "az network vnet create", "az network vnet subnet",
)
# Flags of az that moat does not take: such a step seeds instead.
FOREIGN_FLAGS = ()
# What az knows from the signed-in account and the resource group, which
# an estate file does not hold: given to moat's create commands.
try:
    import jmespath
except ImportError:  # the checks the tests make are then not run
    jmespath = None

# Arguments the recording could not reconstruct (written <...>), chosen
# from the recorded request bodies as the note of each step says.
ANGLE_ARGUMENTS = {
    ("storage_account_ipv6.json", 5): "fe00:0:0:1::92",
    ("keyvault_network_rule.json", 26): "{ip} {ip2} {ip3}",
}

# Files of commands moat does not implement, and why.
SKIPPED_FILES = {}


class Failure(Exception):
    pass


def canon_range(text):
    return str(ipaddress.ip_network(text, strict=False))


def rule_address(r):
    """An IP rule's address: ARM's value, or az's ipAddressOrRange (the
    SDK's name, which moat prints as az does)."""
    if not isinstance(r, dict):
        return r
    return r["ipAddressOrRange"] if "ipAddressOrRange" in r else r["value"]


def ranges(rules):
    return sorted(canon_range(rule_address(r)) for r in (rules or []))


def bypass_words(value):
    if value is None:
        return None
    return sorted(w.strip().lower() for w in value.split(",") if w.strip())


def rule_set(acls, kind):
    """The parts of a firewall that decide, in comparable form."""
    if acls is None:
        return None
    vnets = []
    for r in acls.get("virtualNetworkRules") or []:
        rid = r.get("id") or r.get("virtualNetworkResourceId")
        # Key Vault answers ids in lower case and moat stores them so: the
        # text itself is compared. Storage keeps the case it was given.
        vnets.append((rid if kind == "vault" else rid.lower(),
                      r.get("action"), r.get("state")))
    rars = sorted((r["tenantId"].lower(), r["resourceId"].lower())
                  for r in acls.get("resourceAccessRules") or [])
    return {
        "defaultAction": (acls.get("defaultAction") or "").lower(),
        "bypass": bypass_words(acls.get("bypass")),
        "ipRules": ranges(acls.get("ipRules")),
        "ipv6Rules": ranges(acls.get("ipv6Rules")),
        "virtualNetworkRules": sorted(vnets),
        "resourceAccessRules": rars,
    }


def lists_only(acls):
    """What `network-rule list` prints for storage: the rule lists."""
    full = rule_set(acls, "storage")
    return {k: full[k] for k in ("ipRules", "ipv6Rules",
                                 "virtualNetworkRules", "resourceAccessRules")}


class Estate:
    """One estate file of ARM resources."""

    def __init__(self, path):
        self.path = path
        self.resources = []
        self.save()

    def load(self):
        with open(self.path) as f:
            self.resources = json.load(f)

    def save(self):
        with open(self.path, "w") as f:
            json.dump(self.resources, f, indent=2)
            f.write("\n")

    def find(self, rtype, name):
        self.load()
        for r in self.resources:
            if r["type"].lower() == rtype.lower() and \
                    r["name"].lower() == name.lower():
                return r
        return None

    def put(self, resource):
        self.load()
        self.resources = [r for r in self.resources
                          if r["id"].lower() != resource["id"].lower()]
        self.resources.append(resource)
        self.save()


class Replay:
    def __init__(self, moat, path):
        self.moat = moat
        self.name = os.path.basename(path)
        with open(path) as f:
            self.rec = json.load(f)
        self.tmp = tempfile.mkdtemp(prefix="moat-rec-")
        self.estate = Estate(os.path.join(self.tmp, "estate.json"))
        self.steps = 0
        self.compared = 0
        self.seeded = 0
        self.location = "westus"
        self.guids = {}  # Azure's perimeterGuid -> the one moat gave

    def moat_guids(self, value):
        """value (text or JSON) with Azure's perimeter GUIDs replaced by
        those moat gave the same perimeters: a GUID is random."""
        text = value if isinstance(value, str) else json.dumps(value)
        for azure, ours in self.guids.items():
            text = text.replace(azure, ours)
        return text if isinstance(value, str) else json.loads(text)

    def subst(self, text, placeholders):
        placeholders = self.materialized(placeholders)
        for k, v in sorted(placeholders.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(k, v)
        return text

    def materialized(self, ph):
        """--network-acls's JSON, described in the recording, made real:
        the string (quoted for the shell) and a file holding it."""
        if "{network_acls_json_string}" not in ph:
            return ph
        acls = json.dumps({"ip": [ph["{ip}"], ph["{ip2}"]],
                           "vnet": [ph["{subnetId}"]]})
        path = os.path.join(self.tmp, "acls.json")
        with open(path, "w") as f:
            f.write(acls)
        return dict(ph, **{"{network_acls_json_string}":
                           acls.replace('"', '\\"'),
                           "{network_acls_json_filename}": path})

    def place_flags(self, cmd, args, ph):
        """The subscription, region and tenant az would know."""
        if cmd.startswith("az network vnet create"):  # -l: the group's
            return args + ["--subscription", ph.get(
                "{sub}", "00000000-0000-0000-0000-000000000000")]
        if not cmd.startswith(("az storage account create",
                               "az keyvault create")):
            return args
        extra = ["--subscription", ph.get("{sub}", "00000000-0000-0000-"
                                          "0000-000000000000")]
        if "-l" not in args and "--location" not in args:
            loc = self.rec.get("account", {}).get("location") or \
                ph.get("{loc}") or self.location
            extra += ["--location", loc]
        if cmd.startswith("az keyvault create"):
            extra += ["--tenant-id", self.rec["vault"]["tenantId"]]
        return args + extra

    def checks(self, step, out, ph):
        """The JMESPath checks and Python asserts the az test makes on the
        command's output, made on moat's."""
        result = json.loads(out) if out.strip() else None
        for expr, want in (step.get("test_checks") or {}).items():
            if jmespath is None:
                break
            if isinstance(want, str):
                want = self.subst(want, ph)
            self.expect("az's check %s" % expr,
                        jmespath.search(expr, result), want)
        for expr, want in (step.get("test_asserts") or {}).items():
            self.expect("az's assert %s" % expr,
                        eval(expr, {"result": result}), want)

    def run(self, args, expect_ok=True):
        cmd = [self.moat] + args + ["--estate", self.estate.path]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if expect_ok and p.returncode != 0:
            raise Failure("%s -> exit %d: %s" % (" ".join(args), p.returncode,
                                                 p.stderr.strip()))
        return p

    def show(self, kind, name, group, query):
        verb = ["storage", "account", "show"] if kind == "storage" \
            else ["keyvault", "show"]
        p = self.run(verb + ["-n", name, "-g", group, "--query", query])
        return json.loads(p.stdout) if p.stdout.strip() else None

    # --- seeding from Azure's answers -------------------------------------
    def seed_storage(self, account_id, step):
        name = account_id.rsplit("/", 1)[1]
        res = self.estate.find("Microsoft.Storage/storageAccounts", name) or {
            "id": account_id, "name": name,
            "type": "Microsoft.Storage/storageAccounts",
            "location": self.rec.get("account", {}).get("location", "westus"),
            "properties": {}}
        props = res["properties"]
        if "response_networkAcls" in step:
            props["networkAcls"] = step["response_networkAcls"]
        props.pop("publicNetworkAccess", None)
        if step.get("response_publicNetworkAccess") is not None:
            props["publicNetworkAccess"] = step["response_publicNetworkAccess"]
        self.estate.put(res)

    def seed_vault(self, vault_id, step):
        name = vault_id.rsplit("/", 1)[1]
        res = self.estate.find("Microsoft.KeyVault/vaults", name) or {
            "id": vault_id, "name": name,
            "type": "Microsoft.KeyVault/vaults",
            "location": self.rec["vault"]["location"],
            "properties": {"tenantId": self.rec["vault"]["tenantId"]}}
        props = res["properties"]
        props.pop("networkAcls", None)
        if step.get("response_networkAcls") is not None:
            props["networkAcls"] = step["response_networkAcls"]
        if step.get("response_publicNetworkAccess") is not None:
            props["publicNetworkAccess"] = step["response_publicNetworkAccess"]
        self.estate.put(res)

    def seed_subnet(self, subnet):
        self.estate.put({
            "id": subnet["id"], "name": subnet["id"].rsplit("/", 1)[1],
            "type": "Microsoft.Network/virtualNetworks/subnets",
            "properties": {"addressPrefix": subnet["addressPrefix"],
                           "serviceEndpoints": subnet["serviceEndpoints"]
                           or []}})

    # --- comparing --------------------------------------------------------
    def expect(self, what, got, want):
        self.compared += 1
        if got != want:
            raise Failure("%s differs\n      moat:  %s\n      Azure: %s"
                          % (what, json.dumps(got), json.dumps(want)))

    def compare_acls(self, kind, name, group, step):
        if "response_networkAcls" not in step:
            return
        want = step["response_networkAcls"]
        query = "networkRuleSet" if kind == "storage" \
            else "properties.networkAcls"
        got = self.show(kind, name, group, query)
        self.expect("%s %s firewall" % (kind, name), rule_set(got, kind),
                    rule_set(want, kind))
        pna = self.show(kind, name, group,
                        "publicNetworkAccess" if kind == "storage"
                        else "properties.publicNetworkAccess")
        if "response_publicNetworkAccess" in step:
            self.expect("%s publicNetworkAccess" % name, pna,
                        step["response_publicNetworkAccess"])
        if "response_dualStackEndpointPreference" in step:
            self.expect("%s dualStackEndpointPreference" % name,
                        self.show(kind, name, group,
                                  "dualStackEndpointPreference"),
                        step["response_dualStackEndpointPreference"])


def command_name(args):
    for flag in ("-n", "--name", "--account-name"):
        if flag in args:
            return args[args.index(flag) + 1]
    return None


def endpoint_set(subnet):
    return sorted((e["service"], tuple(e.get("locations") or []))
                  for e in subnet.get("serviceEndpoints") or [])


def compare_subnet(r, group, want):
    """The subnet moat wrote, as `network vnet subnet show` prints it,
    against Azure's: its id, range and service endpoints (with the regions
    Azure filled in)."""
    vnet, subnet = re.search(r"/virtualNetworks/([^/]+)/subnets/([^/]+)$",
                             want["id"]).groups()
    p = r.run(["network", "vnet", "subnet", "show", "-g", group,
               "--vnet-name", vnet, "-n", subnet])
    got = json.loads(p.stdout)
    props = got.get("properties", {})
    r.expect("subnet id", got["id"].lower(), want["id"].lower())
    r.expect("subnet addressPrefix", props.get("addressPrefix"),
             want["addressPrefix"])
    r.expect("subnet serviceEndpoints", endpoint_set(props),
             endpoint_set(want))


def create_prepared_account(r, account_id, group, first_acls):
    """The account azure-cli's StorageAccountPreparer made before the
    recorded commands, made by moat's create from the recording's
    account (kind, SKU, region)."""
    acc = r.rec["account"]
    r.run(["storage", "account", "create", "-n", account_id.rsplit("/", 1)[1],
           "-g", group, "--kind", acc["kind"], "--sku", acc["sku"],
           "-l", acc["location"], "--subscription",
           account_id.split("/")[2], "-o", "none"])
    r.compare_acls("storage", account_id.rsplit("/", 1)[1], group,
                   {"response_networkAcls": first_acls})


def replay_firewall(r, steps, placeholders, kind, resource_id_of):
    """Storage and Key Vault recordings: seed, run, compare."""
    group = placeholders["{rg}"]
    for step in steps:
        r.steps += 1
        raw = step["command"]
        key = (r.name, step["step"])
        if key in ANGLE_ARGUMENTS:
            raw = re.sub(r"<[^>]*>", ANGLE_ARGUMENTS[key], raw)
        cmd = r.subst(raw, placeholders)
        if "initial_networkAcls_seen_by_first_GET" in step:
            # The account exists before the first recorded command: the
            # test's preparer created it with the recording's kind and SKU,
            # as moat's create does; Azure's first answer is compared.
            create_prepared_account(r, resource_id_of(None), group,
                                    step["initial_networkAcls_seen_by_"
                                         "first_GET"])
            continue
        if "response_subnet" in step and cmd.startswith(MOAT_COMMANDS):
            r.run(r.place_flags(cmd, shlex.split(cmd)[1:], placeholders))
            compare_subnet(r, group, step["response_subnet"])
            continue
        if "response_subnet" in step:
            r.seed_subnet(step["response_subnet"])
            r.seeded += 1
            continue
        if not cmd.startswith("az ") or "<" in cmd:
            continue  # a note, or a step the recording does not hold
        args = shlex.split(cmd)[1:]
        name = command_name(args)
        ours = cmd.startswith(MOAT_COMMANDS) and \
            not any(f in args for f in FOREIGN_FLAGS)
        if not ours:
            if name and "response_networkAcls" in step:
                rid = step.get("account_id") or resource_id_of(name)
                (r.seed_storage if kind == "storage" else r.seed_vault)(rid,
                                                                      step)
                r.seeded += 1
            continue
        if "test_expects" in step:  # az refuses before calling Azure
            before = open(r.estate.path).read()
            p = r.run(args, expect_ok=False)
            if p.returncode == 0:
                raise Failure("step %d: %s was accepted; az raises %s"
                              % (step["step"], cmd, step["test_expects"]))
            r.expect("estate after a refused command",
                     open(r.estate.path).read() == before, True)
            continue
        p = r.run(r.place_flags(cmd, args, placeholders))
        r.checks(step, p.stdout, placeholders)
        if "network-rule list" in cmd and kind == "storage" and \
                "response_networkAcls" in step:
            r.expect("network-rule list", lists_only(json.loads(p.stdout)),
                     lists_only(step["response_networkAcls"]))
        r.compare_acls(kind, name, group, step)


def replay_storage(r):
    rec = r.rec
    if "scenarios" in rec:
        for sc in rec["scenarios"]:
            ph = sc["placeholders"]
            r.location = sc.get("location", r.location)
            r.estate.resources = []  # each scenario is a test of its own
            r.estate.save()
            replay_firewall(r, sc["steps"], ph, "storage",
                            lambda n, ph=ph: None)
        return
    ph = rec["placeholders"]
    if "{sa}" in ph:
        ph = dict(ph, **{"{acc}": ph["{sa}"]})
    account = rec["account"]["id"]
    replay_firewall(r, rec["steps"], ph, "storage", lambda n: account)


def replay_vault(r):
    ph = r.rec["placeholders"]

    def vault_id(name):
        return "/subscriptions/%s/resourceGroups/%s/providers/" \
               "Microsoft.KeyVault/vaults/%s" % (ph["{sub}"], ph["{rg}"], name)
    replay_firewall(r, r.rec["steps"], ph, "vault", vault_id)


def compare_access_rule(r, got, want):
    gp, wp = got["properties"], want["properties"]
    r.expect("rule name", got["name"], want["name"])
    r.expect("rule type", got["type"], want["type"])
    r.expect("direction", gp["direction"], wp["direction"])
    r.expect("addressPrefixes", ranges(gp["addressPrefixes"]),
             ranges(wp["addressPrefixes"]))
    r.expect("subscriptions",
             sorted(s["id"].lower() for s in gp["subscriptions"]),
             sorted(s["id"].lower() for s in wp["subscriptions"]))
    for k in ("fullyQualifiedDomainNames", "networkSecurityPerimeters"):
        r.expect(k, gp[k], wp[k])
    r.expect("serviceTags", gp.get("serviceTags", []),
             wp.get("serviceTags", []))
    # The recorder scrubbed e-mail addresses to test@example.com: their
    # number survives. Azure writes phone numbers with a space after the
    # country code: their digits survive.
    r.expect("emailAddresses (count)", len(gp["emailAddresses"]),
             len(wp["emailAddresses"]))
    r.expect("phoneNumbers (digits)",
             [re.sub(r"\D", "", p) for p in gp["phoneNumbers"]],
             [re.sub(r"\D", "", p) for p in wp["phoneNumbers"]])


def add_resource_group(obj):
    """What azure-cli core adds to every object with an ARM id in a
    resource group, at any depth (commands/__init__.py,
    _add_resource_group)."""
    if isinstance(obj, list):
        for item in obj:
            add_resource_group(item)
    elif isinstance(obj, dict):
        m = re.search(r"/resourcegroups/([^/]+)", obj.get("id") or "", re.I)
        if m and "resourcegroup" not in (k.lower() for k in obj):
            obj["resourceGroup"] = m.group(1)
        for v in obj.values():
            add_resource_group(v)
    return obj


def az_flattened(resource):
    """What az prints of a resource whose output schema marks properties
    client_flatten (storage's network-security-perimeter-configuration):
    the members of properties in place of properties."""
    out = {k: v for k, v in resource.items() if k != "properties"}
    out.update(resource.get("properties") or {})
    return add_resource_group(json.loads(json.dumps(out)))


def replay_perimeter(r):
    ph = r.rec["placeholders"]
    for step in r.rec["steps"]:
        r.steps += 1
        cmd = r.moat_guids(r.subst(step["command"], ph))
        args = shlex.split(cmd)[1:] + ["--subscription", ph["{sub}"]]
        p = r.run(args)
        if "response" not in step:  # delete: az prints nothing
            r.expect("output of %s" % " ".join(args[:4]), p.stdout, "")
            continue
        got, want = json.loads(p.stdout), step["response"]
        guid = (want.get("properties") or {}).get("perimeterGuid")
        if want.get("type", "").endswith("/networkSecurityPerimeters") \
                and guid:
            r.guids[guid] = got["properties"]["perimeterGuid"]
        want = r.moat_guids(want)
        if isinstance(want, dict) and "value" in want:  # a list
            r.expect("list length", len(got), len(want["value"]))
            pairs = zip(got, want["value"])
        else:
            pairs = [(got, want)]
        for g, w in pairs:
            compare_nsp_resource(r, g, w)


def compare_nsp_resource(r, got, want):
    r.expect("name", got["name"], want["name"])
    r.expect("type", got["type"], want["type"])
    if want["type"].endswith("/accessRules"):
        compare_access_rule(r, got, want)
    elif want["type"].endswith("/profiles"):
        r.expect("profile properties", got["properties"],
                 want["properties"] | {"accessRulesVersion": "0"})
    elif want["type"].lower().endswith(("/links", "/linkreferences")):
        # A link is answered whole: its profiles, the remote perimeter's
        # GUID and location, status, description, provisioningState.
        r.expect("id", got["id"], want["id"])
        r.expect("link properties", got["properties"], want["properties"])
    else:
        r.expect("provisioningState", got["properties"]["provisioningState"],
                 want["properties"]["provisioningState"])
        r.expect("perimeterGuid is a GUID",
                 bool(re.fullmatch(r"[0-9a-f-]{36}",
                                   got["properties"]["perimeterGuid"])),
                 True)


def create_perimeter_of(r, config, group):
    """The perimeter, profile and association the recording's account was
    in before it started (their creation is not recorded), made with
    moat's commands as the configuration Azure answered names them; the
    GUID moat gives the perimeter stands for Azure's from then on."""
    props = config["properties"]
    nsp, ra = props["networkSecurityPerimeter"], props["resourceAssociation"]
    name = nsp["id"].rsplit("/", 1)[1]
    sub = ["--subscription", nsp["id"].split("/")[2]]
    p = r.run(["network", "perimeter", "create", "-n", name, "-g", group,
               "-l", nsp["location"]] + sub)
    r.guids[nsp["perimeterGuid"]] = \
        json.loads(p.stdout)["properties"]["perimeterGuid"]
    r.run(["network", "perimeter", "profile", "create", "--perimeter-name",
           name, "-g", group, "-n", props["profile"]["name"], "-o", "none"]
          + sub)
    r.run(["network", "perimeter", "association", "create",
           "--perimeter-name", name, "-g", group, "-n", ra["name"],
           "--private-link-resource", r.rec["account"]["id"],
           "--profile", props["profile"]["name"], "--access-mode",
           ra["accessMode"], "-o", "none"] + sub)


def replay_nsp_configuration(r):
    """Storage's network-security-perimeter-configuration: the account is
    created by moat, and so is the perimeter it was in before the
    recording began."""
    ph = dict(r.rec["placeholders"])
    ph["{acc}"] = ph["{sa}"]
    account = r.rec["account"]
    first = next(s["response"] for s in r.rec["steps"]
                 if s.get("response") and "value" in s["response"])
    for step in r.rec["steps"]:
        r.steps += 1
        cmd = r.moat_guids(r.subst(step["command"], ph))
        args = shlex.split(cmd)[1:]
        if not cmd.startswith(MOAT_COMMANDS + (
                "az storage account network-security-perimeter",)):
            continue  # az group create: an estate has no resource groups
        extra = ["--subscription", ph["{sub}"]]
        if cmd.startswith("az storage account create"):
            extra += ["--location", account["location"]]
        p = r.run(args + extra)
        if "response_networkAcls" in step:
            r.compare_acls("storage", ph["{sa}"], ph["{rg}"], step)
        if cmd.startswith("az storage account create"):
            create_perimeter_of(r, first["value"][0], ph["{rg}"])
        if "response" not in step:
            continue
        want = r.moat_guids(step["response"])
        if want is None:  # reconcile: az prints nothing
            r.expect("output of reconcile", p.stdout, "")
        elif "value" in want:
            r.expect("configurations", json.loads(p.stdout),
                     [az_flattened(c) for c in want["value"]])
        else:
            r.expect("configuration", json.loads(p.stdout),
                     az_flattened(want))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("dir")
    a = ap.parse_args()
    failed = 0
    for fn in sorted(os.listdir(a.dir)):
        if not fn.endswith(".json"):
            continue
        if fn in SKIPPED_FILES:
            print("skip %s: %s" % (fn, SKIPPED_FILES[fn]))
            continue
        r = Replay(a.moat, os.path.join(a.dir, fn))
        try:
            if fn.startswith("keyvault"):
                replay_vault(r)
            elif fn.startswith("nsp"):
                replay_perimeter(r)
            elif fn == "storage_account_nsp_configuration.json":
                replay_nsp_configuration(r)
            else:
                replay_storage(r)
            print("ok   %s: %d steps, %d seeded from Azure's answers, "
                  "%d comparisons" % (fn, r.steps, r.seeded, r.compared))
        except Failure as e:
            failed += 1
            print("FAIL %s (after %d comparisons): %s" % (fn, r.compared, e))
    print("recordings: %s" % ("all agree with Azure" if not failed
                              else "%d disagree" % failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
