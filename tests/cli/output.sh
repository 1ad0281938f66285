#!/usr/bin/env bash
# tests/cli/output.sh - az's -o/--output and --query on every command that
# prints data (docs/output.md): each command in each format, --query before
# formatting, the table views, --format as the alias, conflicts, exit codes
# that do not depend on the format; and moat diff's CI conventions
# (--check, --skip-check, --compact, --format csv).
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

EX="$top/examples/estate"
SHIP=stnwshipments
LOG="$top/examples/logs/classic-2026-11-20-0800.log.gz"
yaml_ok() { python3 -c "import yaml,sys; yaml.safe_load(open('$tmp/out'))" || { echo "FAIL: not YAML: $1"; fail=$((fail + 1)); return; }; pass=$((pass + 1)); }
lines() { # the last run's stdout has N lines
    local n; n=$(wc -l <"$tmp/out")
    if [ "$n" -eq "$1" ]; then pass=$((pass + 1)); else echo "FAIL: $2: $n lines, expected $1"; fail=$((fail + 1)); fi
}
empty() {
    if [ -s "$tmp/out" ]; then echo "FAIL: $1: output not empty"; fail=$((fail + 1)); else pass=$((pass + 1)); fi
}

# Every printing command, every az format: json (keys sorted, indented),
# jsonc (json when not a terminal, as az), yaml, table (a header, dashes),
# tsv (no header), none (nothing). $1: the exit status the command has in
# every format; the rest: the command.
formats() {
    local want=$1; shift
    run "$want" "$@" -o json && py 'd is not None' "$1 -o json"
    has out '^  [{"]'  # indented two spaces, as json.dumps(indent=2)
    run "$want" "$@" -o jsonc && py 'd is not None' "$1 -o jsonc (no tty: json)"
    run "$want" "$@" -o yaml && yaml_ok "$1 -o yaml"
    run "$want" "$@" -o table && has out '^--*  --*'
    run "$want" "$@" -o tsv && lacks out '^--*  --*'
    has out "	"
    run "$want" "$@" -o none && empty "$1 -o none"
    run "$want" "$@" --format table && has out '^--*  --*'  # --format: alias
}

# --- check -------------------------------------------------------------
formats 0 check --estate "$EX" --resource "$SHIP" --from 203.0.113.77
formats 1 check --estate "$EX" --resource "$SHIP" --from 203.0.113.77 --fail-on-deny
run 0 check --estate "$EX" --resource "$SHIP" --from 203.0.113.77 -o table
has out "^Resource *Decision *Category *Rule *Status$"
has out "deny *ResDefaultActionDeny *networkAcls.defaultAction Deny *403$"
run 0 check --estate "$EX" --resource "$SHIP" --from 203.0.113.77 -o json
py 'list(d) == sorted(d) and d["decision"] == "deny"' "check -o json: az's sorted keys"
run 0 check --estate "$EX" --resource "$SHIP" --from 203.0.113.77 --query decision -o tsv
has out "^deny$"
run 0 check --estate "$EX" --resource "$SHIP" --from 203.0.113.77 --query 'http.status'
has out "^403$"
run 0 check --estate "$EX" --resource "$SHIP" --from 203.0.113.77 --query '{d: decision, r: rule}' -o table
has out "^D *R$"
run 0 check --estate "$EX" --requests "$top/examples/requests.jsonl" -o tsv
lines "$(grep -c . "$top/examples/requests.jsonl")" "check --requests -o tsv: a row per request"
run 0 check --estate "$EX" --requests "$top/examples/requests.jsonl" --query 'length([?decision==`deny`])'
py "d == $("$MOAT" check --estate "$EX" --requests "$top/examples/requests.jsonl" | grep -c '"decision":"deny"')" "check --requests --query over the list"
run 0 check --estate "$EX" --resource "$SHIP" --from 203.0.113.77 --format json
lacks out '^  "'  # --format json keeps the command's own compact line
# conflicts and mistakes
run 2 check --estate "$EX" --resource "$SHIP" --format text -o json; has err "disagree"
run 0 check --estate "$EX" --resource "$SHIP" --format json -o json
run 2 check --estate "$EX" --resource "$SHIP" -o xml; has err "-o/--output takes"
run 2 check --estate "$EX" --resource "$SHIP" --format text --query decision; has err "goes with -o"
run 2 check --estate "$EX" --resource "$SHIP" --query 'decision[' ; has err "is not JMESPath"
has err "^   *^$"
run 2 check --estate "$EX" --resource "$SHIP" --query 'length(decision) + `1`'; has err "is not JMESPath"
run 2 check --estate "$EX" --resource "$SHIP" --query 'abs(decision)'; has err "failed on the JSON"
run 0 check --help; has out "-o, --output FORMAT"; has out "--query JMESPATH"

# --- explain -----------------------------------------------------------
printf '403 AuthorizationFailure\n' >"$tmp/err403"
formats 0 explain --estate "$EX" --resource "$SHIP" --source-ip 1.2.3.4 "$tmp/err403"
run 0 explain --estate "$EX" --resource "$SHIP" --source-ip 1.2.3.4 "$tmp/err403" -o table
has out "^Layer *Decision *Category *Rule *Source_ip *Fix$"
run 0 explain --estate "$EX" --resource "$SHIP" --source-ip 1.2.3.4 "$tmp/err403" --query command -o tsv
has out "^az storage account network-rule add"

# --- estate, catalog, reach --------------------------------------------
formats 0 estate --estate "$EX"
run 0 estate --estate "$EX" -o table
has out "^Name *Kind *Location *PublicNetworkAccess *DefaultAction *File *Line$"
run 0 estate --estate "$EX" --query 'resources[?kind==`keyvault`].name' -o tsv
lines 3 "estate --query: three key vaults"
formats 0 catalog
run 0 catalog --target keyvault -o table; has out "^Target *Kind *Service"
lacks out "^storage "
run 0 catalog --query 'length(@)'
py "d == $("$MOAT" catalog --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "catalog --query length"
formats 0 reach --estate "$EX"
run 0 reach --estate "$EX" --resource "$SHIP" -o table
has out "^Resource *Kind *Internet_ipv4 *Internet_ipv6$"
has out "storage *65 *1208925819614629174706176$"
run 0 reach --estate "$EX" --query 'resources[0].exposure.internet.ranges' -o tsv
has out "198.51.100.0/26"
run 2 reach --estate "$EX" --format dot --query resources; has err "goes with -o"

# --- audit: findings exit 1 in every format ------------------------------
formats 1 audit --estate "$EX" -q
run 1 audit --estate "$EX" -q -o table
has out "^Check *Severity *State *Name *Title$"
has out "^CIS-KEYVAULT-PRIVATE-ENDPOINT *medium *active *kv-nw-apps"
run 0 audit --estate "$EX" -q -o table --soft-fail
run 1 audit --estate "$EX" -q --query 'summary.active.critical' -o tsv; has out "^1$"
run 1 audit --estate "$EX" -q --query 'findings[?severity==`critical`].name' -o json
py 'isinstance(d, list) and len(d) == 1' "audit --query before -o json"
run 1 audit --estate "$EX" -q -o yaml --output-file "$tmp/audit.yaml"; empty "audit --output-file"
python3 -c "import yaml; d=yaml.safe_load(open('$tmp/audit.yaml')); assert d['summary']['failed']" && pass=$((pass + 1)) || { echo "FAIL: audit -o yaml --output-file"; fail=$((fail + 1)); }
run 1 audit --estate "$EX" -q --output "$tmp/audit.txt"; empty "audit --output FILE (the old spelling)"
grep -q "kv-nw-apps" "$tmp/audit.txt" && pass=$((pass + 1)) || { echo "FAIL: audit --output FILE wrote no report"; fail=$((fail + 1)); }
run 2 audit --estate "$EX" -q --output "$tmp/a" --output-file "$tmp/b"; has err "give --output FILE or --output-file FILE"
run 2 audit --estate "$EX" -q --format sarif -o table; has err "disagree"

# --- replay --------------------------------------------------------------
formats 0 replay --estate "$EX" -q "$LOG"
run 0 replay --estate "$EX" -q "$LOG" -o table
has out "^Name *Allow *Deny *Missing$"; has out "^current *137 *357 *0$"
run 0 replay --estate "$EX" -q "$LOG" --query 'unmapped_reasons' -o json
py 'sum(d.values()) == 6' "replay --query unmapped_reasons"
run 2 replay --estate "$EX" -q "$LOG" -o json --changes -; has err "writes to stdout"

# --- diff: formats, and its CI conventions --------------------------------
mkdir -p "$tmp/old" "$tmp/new"
cp "$EX"/*.json "$tmp/old/"
cp "$EX"/*.json "$tmp/new/"
python3 - "$tmp/new/storage.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
items = d if isinstance(d, list) else d.get("value", d.get("data", [d]))
for r in items:
    if r.get("name") == "stnwshipments":   # opens 0.0.0.0/1
        r["properties"]["networkAcls"]["ipRules"].append({"value": "0.0.0.0/1", "action": "Allow"})
    if r.get("name") == "stnwtelemetry":   # closes its IP rules
        r["properties"]["networkAcls"]["ipRules"] = []
json.dump(d, open(p, "w"), indent=1)
PY
formats 1 diff "$tmp/old" "$tmp/new" --fail-on new-access
formats 0 diff "$tmp/old" "$tmp/new"
run 1 diff "$tmp/old" "$tmp/new" --fail-on any -o table
has out "^Resource *Kind *Change *Newly_allowed *Newly_denied *Internet_ipv4_before *Internet_ipv4_after$"
has out "stnwshipments *storage *changed *[1-9][0-9]* *0 *65 *2147483713$"
has out "stnwtelemetry *storage *changed *0 *[1-9][0-9]* *65 *64$"
run 0 diff "$tmp/old" "$tmp/new" --query 'resources[].newly_allowed[].after.category' -o tsv
has out "^ResIpRule$"
run 0 diff "$tmp/old" "$tmp/new" --compact
lines 2 "diff --compact: a line per changed resource"
has out "^stnwshipments (storage, changed): [1-9][0-9]* newly allowed, 0 newly denied classes; internet IPv4 addresses 65 -> 2147483713$"
# --check by resource: what else changed does not fail the gate
run 0 diff "$tmp/old" "$tmp/new" --fail-on new-access --check stnwtelemetry --compact
lines 1 "diff --check RESOURCE"; has out "^stnwtelemetry "
run 1 diff "$tmp/old" "$tmp/new" --fail-on any --check stnwtelemetry
# --skip-check by resource id, by change kind, by category
ID=$("$MOAT" estate --estate "$EX" --query "resources[?name=='$SHIP'].id | [0]" -o tsv)
run 0 diff "$tmp/old" "$tmp/new" --fail-on new-access --skip-check "$ID"
run 0 diff "$tmp/old" "$tmp/new" --fail-on new-access --skip-check newly-allowed
run 0 diff "$tmp/old" "$tmp/new" --fail-on new-access --skip-check ResIpRule
run 1 diff "$tmp/old" "$tmp/new" --fail-on any --skip-check ResIpRule
run 1 diff "$tmp/old" "$tmp/new" --fail-on new-access --check ResIpRule
# kinds combine: what stnwshipments newly denies is nothing
run 0 diff "$tmp/old" "$tmp/new" --fail-on any --check "$SHIP",newly-denied
has out "no selected decision changes"
# names of one kind are alternatives
run 1 diff "$tmp/old" "$tmp/new" --fail-on any --check "$SHIP" --check stnwtelemetry --format json
py 'len(d["resources"]) == 2' "diff --check A --check B: both"
run 1 diff "$tmp/old" "$tmp/new" --fail-on any --check newly-denied --format json
py 'len(d["resources"]) == 1 and d["resources"][0]["newly_allowed"] == [] and d["resources"][0]["newly_denied"]' "diff --check newly-denied: the classes left out"
run 0 diff "$tmp/old" "$tmp/new" --check nosuchaccount; has err "selects no change"
# CSV: a row per class
run 0 diff "$tmp/old" "$tmp/new" --format csv
has out "^resource,name,kind,change,before_category,before_rule,after_category,after_rule,ipv4_addresses,ipv6_addresses,witness"
python3 - "$tmp/out" "$tmp/old" "$tmp/new" "$MOAT" <<'PY' && pass=$((pass + 1)) || { echo "FAIL: diff csv rows against the json"; fail=$((fail + 1)); }
import csv, json, subprocess, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
d = json.loads(subprocess.run([sys.argv[4], "diff", sys.argv[2], sys.argv[3], "--format", "json"], capture_output=True, text=True).stdout)
want = sum(len(r["newly_allowed"]) + len(r["newly_denied"]) for r in d["resources"])
assert len(rows) == want, (len(rows), want)
assert {r["name"] for r in rows} == {"stnwshipments", "stnwtelemetry"}
assert all(json.loads(r["witness"])["plane"] for r in rows)
assert any(r["change"] == "newly_allowed" and r["after_category"] == "ResIpRule" and r["ipv4_addresses"] == "2147483648" for r in rows)
PY
run 0 diff "$tmp/old" "$tmp/new" --format csv --check newly-denied
lacks out ",newly_allowed,"
run 0 diff --help; has out "--skip-check"; has out "--compact"

finish "output cli tests"
