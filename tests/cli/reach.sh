#!/usr/bin/env bash
# tests/cli/reach.sh - `moat reach` and `moat diff` (docs/reach.md): exit
# codes, the three formats of each, the exposure projection, the CI gate,
# a Terraform plan, and SARIF validated against the 2.1.0 schema.
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

EX="$top/examples/estate"

# --- reach ----------------------------------------------------------------
run 0 reach --help; has out "--format text|json|dot|html"
run 0 help reach; has out "Who can get in"
run 2 reach; has err "--estate is required"
run 2 reach --estate "$EX" --format xml; has err "text, json, dot, html, or az's -o"
run 3 reach --estate "$EX" --resource nosuchaccount; has err "not found"
run 3 reach --estate "$tmp/missing.json"
run 0 reach --estate "$EX" --resource stnwshipments
has out "internet: 198.51.100.0/26, 203.0.113.40/32, 2001:db8:4e57::/48"
has out "via networkAcls.ipRules\[0\] 198.51.100.0/26"
has out "resource instances: "
run 0 reach --estate "$EX" --resource stnwpublicassets
has out "internet: 0.0.0.0/0, ::/0 (4,294,967,296 IPv4"
run 0 reach --estate "$EX" --format json
py 'len(d["resources"]) == 10' "json: every resource"
py 'all(set(r) == {"resource", "kind", "association", "exposure"} for r in d["resources"])' "json: the document's keys"
py '[r for r in d["resources"] if r["resource"].endswith("stnwshipments")][0]["exposure"]["internet"] == {"ipv4": 65, "ipv6": "1208925819614629174706176", "ranges": ["198.51.100.0/26", "203.0.113.40/32", "2001:db8:4e57::/48"]}' "json: internet exposure"
py 'all("same_region" in r["exposure"] for r in d["resources"] if r["kind"] == "storage")' "json: same_region for storage"
py 'all(set(r["exposure"]) >= {"internet", "internet_oauth", "trusted_services", "instances", "subnets", "private_endpoints", "subscriptions", "perimeters", "logs", "metrics"} for r in d["resources"])' "json: exposure keys"
run 0 reach --estate "$EX" --resource stnwshipments --format json --cells
py 'len(d["resources"][0]["cells"]) > 10 and all("when" in c and "witness" in c and "addresses" in c for c in d["resources"][0]["cells"])' "json: cells with when, witness, addresses"
py 'sum(c["addresses"]["ipv4"] for c in d["resources"][0]["cells"] if "source_ip" not in c["when"] or True) > 0' "json: address counts"
run 0 reach --estate "$EX" --resource stnwshipments --format dot
has out "digraph reach"
has out '"internet" -> "stnwshipments"'

# IPv6 only: ::/0 is the whole internet for reach and for the audit (which
# reads its internet exposure from the same cells).
cat >"$tmp/v6.json" <<'JSON'
[{"id":"/subscriptions/11111111-1111-4111-8111-111111111111/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stv6","name":"stv6","type":"Microsoft.Storage/storageAccounts","location":"westeurope","properties":{"networkAcls":{"defaultAction":"Deny","bypass":"None","ipv6Rules":[{"value":"::/0"}]}}}]
JSON
run 0 reach --estate "$tmp/v6.json"; has out "internet: ::/0 (340,282,366,920,938,463,463,374,607,431,768,211,456 IPv6"
run 1 audit --estate "$tmp/v6.json" --format json
py 'any(f.get("rule") == "internet-reachable" for f in d["findings"])' "audit: IPv6 ::/0 is internet-reachable"

# --- diff -----------------------------------------------------------------
mkdir -p "$tmp/old" "$tmp/new"
cp "$EX"/*.json "$tmp/old/"
cp "$EX"/*.json "$tmp/new/"
run 0 diff --help; has out "--fail-on WHAT"
run 2 diff; has err "expected OLD NEW"
run 2 diff "$tmp/old" "$tmp/new" --fail-on sometimes; has err "new-access or any"
run 2 diff "$tmp/old" "$tmp/new" --format xml; has err "text, json, sarif, csv, or az's -o"
run 3 diff "$tmp/old" "$tmp/missing"
run 0 diff "$tmp/old" "$tmp/new" --fail-on new-access; has out "no decision changes"
# Open stnwshipments to the whole IPv4 internet.
python3 - "$tmp/new/storage.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
items = d if isinstance(d, list) else d.get("value", d.get("data", [d]))
for r in items:
    if r.get("name") == "stnwshipments":
        r["properties"]["networkAcls"]["ipRules"].append({"value": "0.0.0.0/1", "action": "Allow"})
json.dump(d, open(p, "w"), indent=1)
PY
run 1 diff "$tmp/old" "$tmp/new" --fail-on new-access
run 0 diff "$tmp/old" "$tmp/new" --fail-on new-access --soft-fail; has err "soft-fail: exit 0"
has out "newly admitted from the internet: 0.0.0.0/1 (2,147,483,648 IPv4 addresses) by networkAcls.ipRules\[2\] 0.0.0.0/1$"
run 0 diff "$tmp/old" "$tmp/new"
run 1 diff "$tmp/old" "$tmp/new" --fail-on any
run 1 diff "$tmp/old" "$tmp/new" --fail-on new-access --format json
py 'd["moat_diff"] == 1 and len(d["resources"]) == 1' "diff json: one changed resource"
py 'd["resources"][0]["newly_allowed"] and all(c["before"]["decision"] == "deny" and c["after"]["decision"] == "allow" for c in d["resources"][0]["newly_allowed"])' "diff json: newly allowed cells deny before, allow after"
py 'd["resources"][0]["exposure_after"]["internet"]["ipv4"] == d["resources"][0]["exposure_before"]["internet"]["ipv4"] + 2**31' "diff json: exposure after"
run 1 diff "$tmp/old" "$tmp/new" --fail-on new-access --format sarif
py 'd["version"] == "2.1.0" and len(d["runs"][0]["results"]) == 1 and d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] > 1' "diff sarif: one result at the resource's line"
cp "$tmp/out" "$tmp/diff.sarif"
# The reverse closes it: newly denied only, no new access.
run 0 diff "$tmp/new" "$tmp/old" --fail-on new-access
has out "no longer admitted from the internet: 0.0.0.0/1"
run 1 diff "$tmp/new" "$tmp/old" --fail-on any
# The text names the trusted services a change gains or loses, and counts
# with thousands separators as reach does; a default action Allow reads
# as the whole space minus what was admitted before.
cp -r "$tmp/old" "$tmp/old2"
cp -r "$tmp/old" "$tmp/new2"
acl() { # FILE DEFAULT BYPASS: stnwshipments' networkAcls
    python3 - "$@" <<'PY'
import json, sys
p, default, bypass = sys.argv[1:4]
d = json.load(open(p))
items = d if isinstance(d, list) else d.get("value", d.get("data", [d]))
for r in items:
    if r.get("name") == "stnwshipments":
        r["properties"]["networkAcls"].update(defaultAction=default, bypass=bypass)
json.dump(d, open(p, "w"), indent=1)
PY
}
acl "$tmp/new2/storage.json" Deny "Logging, Metrics"
run 0 diff "$tmp/old2" "$tmp/new2"
has out "^  trusted services no longer admitted: Azure Backup, Azure Data Box, "
run 0 diff "$tmp/new2" "$tmp/old2"
has out "^  trusted services newly admitted: Azure Backup, Azure Data Box, "
acl "$tmp/new2/storage.json" Allow "Logging, Metrics"
run 1 diff "$tmp/old2" "$tmp/new2" --fail-on new-access
has out "newly admitted from the internet: 0.0.0.0/0 minus 2 ranges, ::/0 minus 1 range (4,294,967,231 IPv4 and 340,282,366,920,937,254,537,554,992,802,593,505,280 IPv6 addresses) by networkAcls.defaultAction Allow$"
# Under Allow everyone gets in: the services are not said to be lost.
if grep -q "no longer admitted: Azure Backup" "$tmp/out"; then
    echo "FAIL: diff: trusted services said lost under defaultAction Allow"; fail=$((fail + 1))
else
    pass=$((pass + 1))
fi
# A resource removed and one added.
python3 - "$tmp/new/storage.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
items = d if isinstance(d, list) else d.get("value", d.get("data", [d]))
for r in items:
    if r.get("name") == "stnwpublicassets":
        r["id"] = r["id"].replace("stnwpublicassets", "stnwpublicassets2")
        r["name"] = "stnwpublicassets2"
json.dump(d, open(p, "w"), indent=1)
PY
run 1 diff "$tmp/old" "$tmp/new" --format json --fail-on new-access
py 'sorted(r["change"] for r in d["resources"]) == ["added", "changed", "removed"]' "diff: added, changed and removed"
# A Terraform plan: prior state against planned values.
python3 - "$top/tests/audit/terraform/state.json" "$tmp/plan.json" <<'PY'
import json, sys
state = json.load(open(sys.argv[1]))
plan = {"format_version": "1.2", "prior_state": state,
        "planned_values": json.loads(json.dumps(state["values"])),
        "resource_changes": [], "configuration": {"root_module": {}}}
def walk(m):
    for r in m.get("resources", []):
        if r["type"] == "azurerm_storage_account_network_rules":
            r["values"]["default_action"] = "Allow"
    for c in m.get("child_modules", []):
        walk(c)
walk(plan["planned_values"]["root_module"])
json.dump(plan, open(sys.argv[2], "w"))
PY
run 1 diff "$tmp/plan.json" --fail-on new-access --format sarif
py 'len(d["runs"][0]["results"]) >= 1' "plan: new access found"
cp "$tmp/out" "$tmp/plan-diff.sarif"
# A plan without a prior state creates everything; one operand that is not
# a plan is refused, saying what was expected.
python3 - "$tmp/plan.json" "$tmp/plan-new.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
del plan["prior_state"]
json.dump(plan, open(sys.argv[2], "w"))
PY
run 1 diff "$tmp/plan-new.json" --format json --fail-on new-access
py 'd["resources"] and all(r["change"] == "added" for r in d["resources"])' "plan without prior_state: everything added"
run 3 diff "$EX/storage.json"; has err "not a Terraform plan (terraform show -json): expected an object with planned_values"
if command -v node >/dev/null 2>&1 && [ -d "$top/tests/sarif/node_modules" ]; then
    if node "$top/tests/sarif/validate.js" "$tmp/diff.sarif" "$tmp/plan-diff.sarif" >"$tmp/v" 2>&1; then
        pass=$((pass + 1))
    else
        echo "FAIL: diff SARIF is not valid SARIF 2.1.0"; sed 's/^/    /' "$tmp/v" | head; fail=$((fail + 1))
    fi
fi

finish "reach and diff cli tests"
