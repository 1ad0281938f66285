#!/usr/bin/env bash
# tests/cli/audit.sh - `moat audit`: exit codes, thresholds, CIS filter,
# suppressions (reason required, expiry), baselines, and the four formats
# (SARIF validated against the SARIF 2.1.0 schema by tests/sarif).
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
EX="$top/examples/estate"
export MOAT_TODAY=2026-11-22

# --- usage and exit codes -------------------------------------------------
run 0 audit --help; has out "--fail-on"
run 2 audit; has err "no estate"
run 2 audit --estate "$EX" --format xml; has err "text, json, sarif, junit, html, csv, or az's -o json, jsonc, table, tsv, yaml or none"
run 2 audit --estate "$EX" --fail-on severe; has err "info, low, medium, high or critical"
run 2 audit --estate "$EX" --cis 9.9; has err "not a CIS version"
run 2 audit --estate "$EX" --baseline a --write-baseline b
run 3 audit --estate "$tmp/none.json"
printf '{"oops":' >"$tmp/broken.json"
run 3 audit --estate "$tmp/broken.json"; has err "broken.json:1:"
run 1 audit --estate "$EX"                       # findings at low and above
has out "reachable from:"; has out "stnwpublicassets"; has out "MOAT001 internet-reachable"
lacks out $'\033\['                               # no colour when not a terminal
run 1 audit --estate "$EX" --fail-on critical    # stnwpublicassets is open to all
cat >"$tmp/closed.json" <<'JSON'
[{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/stclosed",
  "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
  "properties": {"publicNetworkAccess": "Disabled", "networkAcls": {"defaultAction": "Deny", "bypass": "None"}}}]
JSON
run 0 audit --estate "$tmp/closed.json" --fail-on high
run 1 audit --estate "$tmp/closed.json" --fail-on medium   # no private endpoint (CIS)

# --- estate warnings and incomplete audits ------------------------------------
cat >"$tmp/noloc.json" <<'JSON'
[{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/stnoloc",
  "type": "Microsoft.Storage/storageAccounts",
  "properties": {"publicNetworkAccess": "Disabled", "networkAcls": {"defaultAction": "Deny", "bypass": "None"}}}]
JSON
run 0 audit --estate "$tmp/noloc.json" --fail-on high; has err 'warning: .*no "location"'
run 0 audit --estate "$tmp/noloc.json" --fail-on high --quiet; lacks err "warning"
echo '[]' >"$tmp/nothing.json"                     # nothing audited is never clean
run 1 audit --estate "$tmp/nothing.json"; has out "INCOMPLETE: 1 thing not audited"
has out "nothing was audited"; has err "the audit is incomplete"
run 1 audit --estate "$tmp/nothing.json" --fail-on critical --format json
py 'd["complete"] is False and d["summary"]["complete"] is False and d["summary"]["failed"] is True' "an empty audit is incomplete and failed"
py 'd["incomplete"][0]["what"] == "the estate" and set(d["incomplete"][0]) == {"file","line","resource","what","why"}' "incomplete entries"
run 0 audit --estate "$tmp/nothing.json" --allow-incomplete
has out "INCOMPLETE: 1 thing not audited (allowed)"
run 1 audit --estate "$tmp/nothing.json" --format sarif
py 'd["runs"][0]["properties"]["complete"] is False and d["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["level"] == "error"' "SARIF says the audit is incomplete"
cp "$tmp/out" "$tmp/incomplete.sarif"
run 1 audit --estate "$tmp/nothing.json" --format junit; has out '<testsuite name="not audited" tests="1" failures="1"'

# --- JSON shape and the CIS filter ------------------------------------------
run 1 audit --estate "$EX" --format json
py '{"resources","controls","findings","exposure","summary"} <= set(d)' "json sections"
py 'all(set(c) >= {"control","cis","resource","status","basis"} for c in d["controls"])' "control fields"
py 'all(c["status"] in ("pass","fail","not-applicable") and c["basis"] in ("explicit","default","unknown") for c in d["controls"])' "control values"
py 'all(f["evidence"] and f["fingerprint"] and f["severity"] for f in d["findings"])' "finding fields"
py 'any(f["fix"].startswith("az ") for f in d["findings"])' "fix commands"
run 1 audit --estate "$EX" --format json --cis 1.3.0
py 'all(list(c["cis"]) == ["1.3.0"] for c in d["controls"])' "--cis keeps one version"
py 'any(c["control"] == "storage-trusted-services" and c["cis"] == {"1.3.0": "3.7"} for c in d["controls"])' "CIS 1.3.0 numbers trusted services 3.7"
run 1 audit --estate "$EX" --format json --cis 4.0
py 'any(c["control"] == "storage-trusted-services" and c["status"] == "not-applicable" for c in d["controls"])' "CIS 4.0 makes trusted services conditional"

# --- suppressions -----------------------------------------------------------
cat >"$tmp/sup.json" <<'JSON'
{"suppressions": [
  {"rule": "internet-reachable", "resource": "stnwpublicassets", "reason": "public web assets, by design (SEC-101)"},
  {"rule": "MOAT008", "resource": "*", "reason": "perimeter roll-out in progress", "expires": "2026-01-31"}
]}
JSON
run 1 audit --estate "$EX" --format json --suppressions "$tmp/sup.json"
py 'any(f["id"]=="MOAT001" and f["state"]=="suppressed" and "SEC-101" in f["suppression"] for f in d["findings"])' "suppressed with its reason"
py 'all(f["state"]=="active" for f in d["findings"] if f["id"]=="MOAT008")' "an expired suppression suppresses nothing"
py 'any(s["expired"] for s in d["suppressions"])' "the expired suppression is listed"
has err "expired on 2026-01-31"
run 0 audit --estate "$EX" --fail-on critical --suppressions "$tmp/sup.json"
echo '{"suppressions": [{"rule": "MOAT001", "resource": "*"}]}' >"$tmp/noreason.json"
run 3 audit --estate "$EX" --suppressions "$tmp/noreason.json"; has err 'needs a "reason"'
echo '{"suppressions": [{"rule": "MOAT001", "reason": "x", "expires": "31/01/2027"}]}' >"$tmp/baddate.json"
run 3 audit --estate "$EX" --suppressions "$tmp/baddate.json"; has err "YYYY-MM-DD"

# A suppression that matches nothing is said; errors point at FILE:LINE:COL.
cat >"$tmp/stale.json" <<'JSON'
{"suppressions": [
  {"rule": "MOAT001", "resource": "stgone", "reason": "an account deleted long ago"}
]}
JSON
run 1 audit --estate "$EX" --suppressions "$tmp/stale.json"
has err "suppression of MOAT001 on stgone (an account deleted long ago) matched no finding"
printf '{"suppressions": [\n  {"rule": "MOAT001",\n   "reason": 7}\n]}\n' >"$tmp/badtype.json"
run 3 audit --estate "$EX" --suppressions "$tmp/badtype.json"
has err "badtype.json:[0-9]*:[0-9]*: error:"
printf '{"suppressions": [\n  {"rule": "MOAT001" "reason": "x"}\n]}\n' >"$tmp/syntax.json"
run 3 audit --estate "$EX" --suppressions "$tmp/syntax.json"
has err "syntax.json:2:[0-9]*: error:"
printf '{"findings": [\n {"rule": "x"}\n]}\n' >"$tmp/badbase2.json"
run 3 audit --estate "$EX" --baseline "$tmp/badbase2.json"; has err "badbase2.json:[0-9]*:[0-9]*: error:"

# --- CI conventions: --soft-fail, --check, --skip-check, --compact, CSV --------
run 0 audit --estate "$EX" --soft-fail; has out "critical"
run 0 audit --estate "$tmp/nothing.json" --soft-fail   # incomplete too: reported, exit 0
run 3 audit --estate "$tmp/missing.json" --soft-fail   # unreadable is not a finding
run 1 audit --estate "$EX" --format json --check MOAT001
py 'd["findings"] and all(f["id"] == "MOAT001" for f in d["findings"])' "--check by finding id"
run 1 audit --estate "$EX" --format json --check internet-reachable,storage-default-deny
py '{f["id"] for f in d["findings"]} <= {"MOAT001", "CIS-STORAGE-DEFAULT-DENY"} and d["findings"]' "--check by names, comma-separated"
run 1 audit --estate "$EX" --format json --check 'CIS 3.10'
py 'd["findings"] and all(any(v == "3.10" for v in f["cis"].values()) for f in d["findings"])' "--check by CIS number"
run 1 audit --estate "$EX" --format json --skip-check MOAT001 --skip-check MOAT002
py 'd["findings"] and not any(f["id"] in ("MOAT001", "MOAT002") for f in d["findings"])' "--skip-check, repeated"
run 0 audit --estate "$EX" --check MOAT007 --fail-on medium   # only an info finding is left
run 0 audit --estate "$EX" --check MOAT999 --format json; has err "names no rule"
py 'd["findings"] == []' "--check of an unknown name reports nothing"
run 1 audit --estate "$EX" --compact
lacks out "fix: az"; has out "MOAT001 internet-reachable: "
run 1 audit --estate "$EX" --format csv
python3 - "$tmp/out" <<'PY' && pass=$((pass + 1)) || { echo "FAIL: CSV"; fail=$((fail + 1)); }
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert rows and set(rows[0]) >= {"rule", "severity", "resource", "file", "line", "message", "fix", "fingerprint"}
assert any(r["rule"] == "MOAT001" and r["fix"].startswith("az ") for r in rows)
PY

# --- baselines: only new findings count -------------------------------------
run 1 audit --estate "$EX" --write-baseline "$tmp/base.json"
run 0 audit --estate "$EX" --baseline "$tmp/base.json"
has out "in the baseline"
cp "$tmp/closed.json" "$tmp/extra.json"
sed -i 's/"Disabled"/"Enabled"/; s/"Deny"/"Allow"/; s/stclosed/stnewopen/' "$tmp/extra.json"
run 1 audit --estate "$EX" --estate "$tmp/extra.json" --baseline "$tmp/base.json" --format json
py 'all(f["resource"].endswith("stnewopen") for f in d["findings"] if f["state"]=="active")' "only the new account's findings are active"
echo '{"findings": [{"rule": "x"}]}' >"$tmp/badbase.json"
run 3 audit --estate "$EX" --baseline "$tmp/badbase.json"; has err "fingerprint"

# --- Terraform input errors name the file, line and address -------------------
python3 - "$top/tests/audit/terraform/plan.json" "$tmp/novalues.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for r in d["planned_values"]["root_module"]["resources"]:
    if r["type"] == "azurerm_storage_account":
        del r["values"]
        break
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
run 3 audit --estate "$tmp/novalues.json"
has err 'novalues.json:[0-9]*:[0-9]*: error: azurerm_storage_account\.[a-z_]*: expected an object at "values"'

# --- Terraform: the older network rules form, orphans, azapi_resource ----------
TF="$top/tests/audit/terraform"
run 1 audit --estate "$TF/legacy-rules-plan.json" --format json
py 'any(c["resource"].endswith("/stlegacy") and c["control"] == "storage-default-deny" and c["status"] == "pass" for c in d["controls"])' "rules named by storage_account_name compose onto their account"
py '[g["what"] for g in d["incomplete"]] == ["a storage account'"'"'s network rules", "a partial update (azapi_update_resource)"]' "an orphan and a partial update are not audited"
has err "stelsewhere"
run 1 audit --estate "$TF/azapi-plan.json" --format json
py 'd["complete"] and any(c["resource"].endswith("/stazapidata") and c["control"] == "storage-default-deny" and c["status"] == "pass" for c in d["controls"])' "an azapi perimeter enforces on an azurerm account"

# --- SARIF and JUnit ----------------------------------------------------------
run 1 audit --estate "$EX" --format sarif --output "$tmp/audit.sarif"
[ -s "$tmp/out" ] && { echo "FAIL: --output still wrote to stdout"; fail=$((fail+1)); }
run 1 audit --estate "$top/tests/audit/terraform/plan.json" --format sarif --output "$tmp/plan.sarif" \
    --suppressions "$tmp/sup.json"
run 1 audit --estate "$EX" --format sarif --suppressions "$tmp/sup.json"
py 'any("expired on 2026-01-31" in n["message"]["text"] for n in d["runs"][0]["invocations"][0]["toolExecutionNotifications"])' \
    "SARIF reports the expired suppression as a notification"
py 'any(r.get("suppressions") for r in d["runs"][0]["results"])' "SARIF marks suppressed results"
py 'all(r["locations"][0]["physicalLocation"]["region"]["startLine"] > 1 for r in d["runs"][0]["results"])' \
    "SARIF results point at the resource's line"
py 'all(r["helpUri"].startswith("https://learn.microsoft.com/") for r in d["runs"][0]["tool"]["driver"]["rules"])' \
    "SARIF: a helpUri per rule"
(cd "$top" && "$MOAT" audit --estate "$top/examples/estate" --format sarif >"$tmp/abs.sarif" 2>/dev/null)
python3 - "$tmp/abs.sarif" <<'PY' && pass=$((pass + 1)) || { echo "FAIL: SARIF relative paths"; fail=$((fail + 1)); }
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
locs = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
assert all(l["uri"].startswith("examples/estate/") and l["uriBaseId"] == "%SRCROOT%" for l in locs), locs[:2]
assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file:///")
PY
run 1 audit --estate "$top/tests/audit/terraform/plan.json" --format sarif
py 'any(l["fullyQualifiedName"].startswith("azurerm_") and l["kind"] == "resource" for r in d["runs"][0]["results"] for l in r["locations"][0]["logicalLocations"])' \
    "SARIF: the Terraform address is the logical location"
cp "$tmp/out" "$tmp/sup.sarif"
if command -v node >/dev/null 2>&1 && [ -d "$top/tests/sarif/node_modules" ]; then
    if node "$top/tests/sarif/validate.js" "$tmp/audit.sarif" "$tmp/plan.sarif" "$tmp/sup.sarif" \
            "$tmp/incomplete.sarif"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
    fi
else
    echo "FAIL: node and tests/sarif/node_modules are needed to validate SARIF (make test installs them)"
    fail=$((fail + 1))
fi
run 1 audit --estate "$EX" --format junit
if python3 - "$tmp/out" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall(".//testcase")
fails = root.findall(".//failure")
assert root.tag == "testsuites" and len(root.findall("testsuite")) == 10, "one suite per resource"
assert len(cases) > 40 and fails, "cases and failures"
PY
then pass=$((pass + 1)); else echo "FAIL: JUnit XML"; fail=$((fail + 1)); fi

finish "audit cli tests"
