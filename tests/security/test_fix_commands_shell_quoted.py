#!/usr/bin/env python3
"""Fix commands are shell-quoted: a hostile name stays one argument.

moat prints az command lines for users to copy (audit fixes, dependency
fixes, `moat explain`'s smallest fix, `moat replay --suggest enforced`).
Names come from estate files and logs that anyone may have written, and the
loader accepts names Azure would refuse. Before the fix, a storage account
named `x;rm -rf ~` gave `az storage account update --name x;rm -rf ~`, and a
resource group holding '/' was cut at it.

Every estate is built twice from the same files: as written (benign) and
with names replaced by hostile ones ('x;rm -rf ~', '$(id)', backquotes,
'<svg onload=...>', quotes, a newline, a tab, globs, a '/' in a resource
group). Every command moat prints for the hostile estate must
  - be accepted by `sh -n`,
  - split (shlex.split, POSIX rules) into exactly the argv moat prints for
    the benign estate once each hostile name is put back to its benign one:
    the same commands, argument for argument, none more, none fewer.
"""
import collections
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile

from seclib import MOAT, TOP, check, finish

EXAMPLE = os.path.join(TOP, "examples", "estate")
DEPS = os.path.join(TOP, "tests", "audit", "deps")

# benign name -> hostile name; longest benign names first (one contains
# another: assoc-stnwtelemetry, stnwtelemetry).
SUBST = [
    ("assoc-stnwtelemetry", "assoc;id #"),
    ("rg-nw-security", "rg/sec;rm -rf ~"),
    ("rg-nw-data", "rg $(id)"),
    ("rg-nw-iot", "rg`id`"),
    ("stnwshipments", "x;rm -rf ~"),
    ("stnwtelemetry", "tel$(id)"),
    ("stnwinvoices", "<svg onload=alert(1)>"),
    ("kv-nw-edi", "kv'\"q"),
    ("kv-nw-apps", "kv\nnewline"),
    ("nsp-nw-prod", "nsp|tee /tmp/p"),
    ("prof-data", "prof&&id"),
    ("snet-app", "snet *?[a]"),
    ("vnet-nw-prod-weu", "vnet\t>x"),
    # tests/audit/deps: dependency fixes
    # (no ';', ')', '.', '/' or blank: the app settings that name them,
    # connection strings and Key Vault references, would not parse)
    ("stfuncko01", "st`reboot`&x"),
    ("kvapp01", "kv'x\"y|z$PATH"),
    ("rg-app", "rg\\back\\"),
    ("snet-func", "snet\"$HOME\""),
    ("rg-keys", "rg-{a,b}"),
    ("kvshut01", "kv!hist"),
]
COMMAND = re.compile(r"(?:^|: |, or )(az .*)\Z", re.S)


def substitute(text, in_json):
    for benign, hostile in SUBST:
        text = text.replace(benign, json.dumps(hostile)[1:-1] if in_json else hostile)
    return text


def back(word):
    """A hostile word with its benign names put back."""
    for benign, hostile in SUBST:
        word = word.replace(hostile, benign)
    return word


def build(src_dir, files, dst, hostile, tweak=None):
    os.makedirs(dst)
    for name in files:
        with open(os.path.join(src_dir, name)) as f:
            text = f.read()
        if tweak:
            text = tweak(name, text)
        with open(os.path.join(dst, name), "w") as f:
            f.write(substitute(text, True) if hostile else text)
    return dst


def commands_in(value, out):
    """Every az command line in a JSON answer (fix, command, commands)."""
    if isinstance(value, dict):
        for v in value.values():
            commands_in(v, out)
    elif isinstance(value, list):
        for v in value:
            commands_in(v, out)
    elif isinstance(value, str):
        m = COMMAND.search(value)
        if m:
            out.append(m.group(1))
    return out


def run_json(args, stdin=None):
    p = subprocess.run([MOAT] + args, capture_output=True, text=True, input=stdin)
    if not check(p.returncode in (0, 1, 2, 3), "moat %s -> %d: %s" % (args[0], p.returncode, p.stderr[-300:])):
        return None
    return json.loads(p.stdout)


def compare(what, benign_cmds, hostile_cmds):
    check(benign_cmds, "%s: no command printed at all" % what)
    want = collections.Counter()
    for c in benign_cmds:
        try:
            want[tuple(shlex.split(c))] += 1
        except ValueError as e:
            check(False, "%s: shlex cannot split the benign %r: %s" % (what, c, e))
    got = collections.Counter()
    for c in hostile_cmds:
        sh = subprocess.run(["sh", "-n", "-c", c], capture_output=True, text=True)
        check(sh.returncode == 0, "%s: sh -n refuses %r: %s" % (what, c, sh.stderr))
        try:
            argv = shlex.split(c)
        except ValueError as e:
            check(False, "%s: shlex cannot split %r: %s" % (what, c, e))
            continue
        got[tuple(back(w) for w in argv)] += 1
    extra, lost = got - want, want - got
    check(not extra, "%s: argv not the intended one: %s" % (what, list(extra)[:2]))
    check(not lost, "%s: commands lost: %s" % (what, list(lost)[:2]))
    hostile_seen = sum(1 for c in hostile_cmds if any(h in c or shlex.quote(h) in c for _, h in SUBST))
    check(hostile_seen > 0, "%s: no command holds a hostile name: the test tests nothing" % what)
    return len(hostile_cmds)


def audit(tmp):
    n = 0
    cases = [("example", EXAMPLE, sorted(f for f in os.listdir(EXAMPLE) if f.endswith(".json"))),
             ("deps-apps", DEPS, ["apps.json"]),
             ("deps-cmk", DEPS, ["cmk-other.json", "cmk-storage.json"])]
    for tag, src, files in cases:
        cmds = []
        for hostile in (False, True):
            d = build(src, files, os.path.join(tmp, "%s-%d" % (tag, hostile)), hostile)
            doc = run_json(["audit", "--estate", d, "--format", "json"])
            cmds.append(commands_in(doc, []) if doc else [])
        n += compare("audit " + tag, cmds[0], cmds[1])
    return n


def learning_telemetry(name, text):
    """The example estate with stnwtelemetry's firewall open (Learning)."""
    if name != "storage.json":
        return text
    doc = json.loads(text)
    for r in doc if isinstance(doc, list) else doc["value"]:
        if r.get("name") == "stnwtelemetry":
            r["properties"]["networkAcls"]["defaultAction"] = "Allow"
    return json.dumps(doc)


EXPLAIN = [  # --resource, --source-ip: a public caller, a private one, a perimeter's
    ("stnwshipments", "20.1.2.3"),
    ("stnwshipments", "10.20.1.7"),
    ("kv-nw-edi", "20.1.2.3"),
    ("kv-nw-apps", "20.1.2.3"),
    ("stnwinvoices", "20.1.2.3"),
    ("stnwtelemetry", "203.0.113.9"),
]


def explain(tmp):
    body = os.path.join(TOP, "tests", "explain", "bodies", "storage-firewall-storage-explorer-3609.txt")
    files = sorted(f for f in os.listdir(EXAMPLE) if f.endswith(".json"))
    dirs = [build(EXAMPLE, files, os.path.join(tmp, "explain-%d" % h), h) for h in (False, True)]
    cmds = [[], []]
    for resource, ip in EXPLAIN:
        for h in (0, 1):
            name = substitute(resource, False) if h else resource
            doc = run_json(["explain", "--format", "json", "--estate", dirs[h], "--resource", name,
                            "--source-ip", ip, body])
            if doc and doc.get("command"):
                cmds[h].append(doc["command"])
    return compare("explain", cmds[0], cmds[1])


def record(account_id, ip, k):
    name = account_id.rsplit("/", 1)[1]
    return {"time": "2026-11-20T%02d:%02d:00Z" % (k % 24, k % 60), "resourceId": account_id + "/blobServices/default",
            "category": "StorageRead", "operationName": "GetBlob", "statusCode": 200, "statusText": "Success",
            "callerIpAddress": "%s:%d" % (ip, 40000 + k), "protocol": "HTTPS",
            "uri": "https://%s.blob.core.windows.net/c/b%d" % (name, k), "identity": {"type": "SAS"},
            "properties": {"accountName": name, "serviceType": "blob", "objectKey": "/%s/c/b%d" % (name, k)}}


def suggest(tmp):
    files = sorted(f for f in os.listdir(EXAMPLE) if f.endswith(".json"))
    account = ("/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/resourceGroups/rg-nw-iot/providers/"
               "Microsoft.Storage/storageAccounts/stnwtelemetry")
    lines = [json.dumps(record(account, ip, k)) for k, ip in
             enumerate(["52.10.20.%d" % (i % 9) for i in range(30)] + ["2001:db8:aa::%x" % (i % 5) for i in range(10)])]
    cmds = [[], []]
    for h in (0, 1):
        d = build(EXAMPLE, files, os.path.join(tmp, "suggest-%d" % h), h, learning_telemetry)
        log = os.path.join(tmp, "suggest-%d.log" % h)
        with open(log, "w") as f:
            f.write("\n".join(substitute(l, True) if h else l for l in lines) + "\n")
        doc = run_json(["replay", "-q", "--estate", d, "--suggest", "enforced", "--format", "json",
                        "--write-proposal", os.path.join(tmp, "proposal-%d" % h), log])
        cmds[h] = commands_in(doc, []) if doc else []
    return compare("replay --suggest", cmds[0], cmds[1])


def main():
    tmp = tempfile.mkdtemp(prefix="moat-quoting-")
    try:
        n = audit(tmp) + explain(tmp) + suggest(tmp)
        print("%d commands printed for hostile names, each one argument per name" % n)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish("fix commands shell-quoted")


if __name__ == "__main__":
    main()
