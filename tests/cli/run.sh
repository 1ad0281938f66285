#!/usr/bin/env bash
# tests/cli/run.sh - the moat command's exit codes, messages and output
# shapes (spec/cli.md). MOAT names the binary under test.
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

lines() {
    local n; n=$(wc -l <"$tmp/out")
    if [ "$n" -ne "$1" ]; then
        echo "FAIL: expected $1 output lines, got $n"; fail=$((fail + 1)); return 1
    fi
    pass=$((pass + 1))
}
valid_json() {
    if ! python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1]) if l.strip()] if sys.argv[2]=="lines" else json.load(open(sys.argv[1]))' "$tmp/out" "$1"; then
        echo "FAIL: output is not valid JSON ($1)"; fail=$((fail + 1)); return 1
    fi
    pass=$((pass + 1))
}

EX="$top/examples/estate"
SHIP=stnwshipments

# --- usage --------------------------------------------------------------
run 2
run 0 --help; has out "Commands:"
run 0 --version; has out "moat "
run 2 frobnicate; has err "not a moat command"
run 0 check --help; has out "--requests"
run 0 help check; has out "Quick flags"
run 0 estate --help
run 0 catalog --help
run 2 check --estate "$EX"; has err "nothing to check"
run 2 check --estate "$EX" --bogus; has err "unknown option '--bogus'"
run 2 check --estate "$EX" --resource "$SHIP" --format xml; has err "text, json, or az's -o"
run 2 check --estate "$EX" --request x.json --requests y.jsonl; has err "one of"
run 2 check --estate "$EX" --resource; has err "needs a value"
run 2 check --resource "$SHIP" --from 1.2.3.4; has err "no estate"

# --- bad estates: exit 3, with file:line:col, resource and path -----------
printf '[\n {"id": "x",,}\n]\n' >"$tmp/syntax.json"
run 3 check --estate "$tmp/syntax.json" --resource x; has err "syntax.json:2:"
cat >"$tmp/private.json" <<'JSON'
[{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/stpriv",
  "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
  "properties": {"networkAcls": {"defaultAction": "Deny",
     "ipRules": [{"value": "203.0.113.0/24"}, {"value": "10.1.0.0/16"}]}}}]
JSON
run 3 check --estate "$tmp/private.json" --resource stpriv --from 203.0.113.1
has err "private.json:4:"
has err "stpriv: properties.networkAcls.ipRules\[1\].value"
has err "private range"
has err "lenient"
run 0 check --estate "$tmp/private.json" --lenient --resource stpriv --from 203.0.113.1 --format json
has err "warning"
has out '"decision":"allow"'
run 0 check --estate "$tmp/private.json" --lenient --quiet --resource stpriv --from 10.1.0.5 --format json
has out '"decision":"deny"'
if [ -s "$tmp/err" ]; then echo "FAIL: --quiet printed warnings"; fail=$((fail+1)); fi
run 3 check --estate "$tmp/missing.json" --resource x; has err "missing.json"
# Only regular files are estate files: a device or a FIFO might never end.
run 3 check --estate /dev/zero --resource x; has err "/dev/zero: a character device"
mkdir "$tmp/fifodir" && cp "$EX/storage.json" "$tmp/fifodir/" && mkfifo "$tmp/fifodir/z.json"
run 3 estate --estate "$tmp/fifodir"; has err "fifodir/z.json: a FIFO"
"$MOAT" check --estate - --resource "$SHIP" --from 203.0.113.77 <"$EX/storage.json" >"$tmp/out" 2>&1
has out "ResDefaultActionDeny"
run 3 estate --estate "$tmp/private.json"

# --- one request ------------------------------------------------------------
run 0 check --estate "$EX" --resource "$SHIP" --from 198.51.100.23
has out "ALLOW  ResIpRule"; has out "path through the rules"; has out "IP rules"
run 0 check --estate "$EX" --resource "$SHIP" --from 203.0.113.77
has out "DENY  ResDefaultActionDeny  (HTTP 403 AuthorizationFailure)"
run 0 check --estate "$EX" --resource "$SHIP" --from 203.0.113.77 --format json
valid_json one; has out '"http":{"status":403,"code":"AuthorizationFailure"}'
run 0 check --estate "$EX" --resource "$SHIP" --from 192.0.2.55 --op read --target '$logs' --auth SAS --format json
has out '"category":"ResBypassLogging"'
run 0 check --estate "$EX" --resource "$SHIP" --control-plane --format json
has out ResControlPlaneNotFiltered
run 4 check --estate "$EX" --resource nosuchaccount --from 1.2.3.4; has err "no storage account or key vault"
run 4 check --estate "$EX" --resource "$SHIP" --from 1.2.3; has err "not an IPv4 or IPv6 address"
# --- check by hostname or URL; did you mean; --fail-on-deny; --trace -------
run 0 check --estate "$EX" --resource "https://$SHIP.blob.core.windows.net/invoices/2026/a.pdf" \
    --from 203.0.113.40 --format json
py 'd["decision"] == "allow" and d["resource"].endswith("/stnwshipments")' "a blob URL names the account"
run 0 check --estate "$EX" --resource "$SHIP.blob.core.windows.net" --from 192.0.2.55 \
    --auth SAS --format json --trace
py '[t["layer"] for t in d["trace"]][0] == "plane" and all(set(t) == {"layer", "outcome", "detail"} for t in d["trace"])' \
   "--trace puts the path into the JSON"
run 0 check --estate "$EX" --resource "https://$SHIP.blob.core.windows.net/%24logs" --from 192.0.2.55 --format json
run 0 check --estate "$EX" --resource kv-nw-payments.vault.azure.net --from 203.0.113.40 --format json
py 'd["resource"].endswith("/vaults/kv-nw-payments") and d["decision"] == "deny"' "a vault's hostname"
run 1 check --estate "$EX" --resource kv-nw-payments.vault.azure.net --from 203.0.113.40 --fail-on-deny
has out "DENY"
run 0 check --estate "$EX" --resource "$SHIP" --from 203.0.113.40 --fail-on-deny; has out "ALLOW"
run 4 check --estate "$EX" --resource stnwshipment.blob.core.windows.net --from 1.2.3.4
has err "did you mean stnwshipments?"
run 4 check --estate "$EX" --resource kv-nw-paymnts --from 1.2.3.4; has err "did you mean kv-nw-payments?"
run 4 check --estate "$EX" --resource zzzzzzzzzzzz --from 1.2.3.4; lacks err "did you mean"
printf '%s\n' '{"resource": "'"$SHIP"'", "source": {"ip": "203.0.113.40"}}' \
    '{"resource": "'"$SHIP"'", "source": {"ip": "1.1.1.1"}}' >"$tmp/two.jsonl"
run 1 check --estate "$EX" --requests "$tmp/two.jsonl" --fail-on-deny
run 0 check --estate "$EX" --requests "$tmp/two.jsonl"
run 4 check --estate "$EX" --resource "$SHIP" --auth Kerberos; has err "OAuth, SAS, AccountKey or Anonymous"
echo '{"resource": "stnwshipments", "source": {"ip": "198.51.100.23"}}' >"$tmp/req.json"
run 0 check --estate "$EX" --request "$tmp/req.json"; has out "ALLOW  ResIpRule"
run 0 check --estate "$EX" --request "$tmp/req.json" --format json; valid_json one
echo '{"resource": "stnwshipments", "source": {"ipp": "1.2.3.4"}}' >"$tmp/bad.json"
run 4 check --estate "$EX" --request "$tmp/bad.json"; has err 'unknown field "source.ipp"'
run 2 check --estate "$EX" --request "$tmp/none.json"

# --- streams: one answer per line, bad lines answered with {"error"} -------
run 0 check --estate "$EX" --requests "$top/examples/requests.jsonl"
valid_json lines
lines "$(grep -c . "$top/examples/requests.jsonl")"
printf '%s\n' '{"resource": "stnwshipments", "source": {"ip": "198.51.100.23"}}' \
    '{"resource": "stnwshipments", "source": {"ip": "nope"}}' '' \
    '{"resource": "stnwshipments", "source": {"ip": "203.0.113.77"}}' >"$tmp/mixed.jsonl"
run 4 check --estate "$EX" --requests "$tmp/mixed.jsonl"
lines 4; valid_json lines
has out '^{"error":"line 2: source.ip'
has err "mixed.jsonl:2: bad request"
# Output line N answers input line N: a blank line too, with an error.
py_lines() {
    if python3 -c "import json,sys; L=[json.loads(l) for l in open('$tmp/out')]; sys.exit(0 if ($1) else 1)"; then
        pass=$((pass + 1)); else echo "FAIL: $2"; fail=$((fail + 1)); fi
}
py_lines 'L[2]["error"].startswith("line 3: an empty line") and L[3]["decision"] == "deny"' \
    "a blank line is answered on its own line"
has err "mixed.jsonl:3: bad request: an empty line"
"$MOAT" check --estate "$EX" --requests - <"$tmp/mixed.jsonl" >"$tmp/out" 2>"$tmp/err"
if [ "$(wc -l <"$tmp/out")" -ne 4 ]; then echo "FAIL: --requests - (stdin)"; fail=$((fail+1)); else pass=$((pass+1)); fi
has err "<stdin>:2: bad request"
# A line over 1 MiB is answered with an error and skipped; the next is read.
{ head -1 "$tmp/mixed.jsonl"; printf '{"resource": "%*s"}\n' 1100000 x; head -1 "$tmp/mixed.jsonl"; } >"$tmp/long.jsonl"
run 4 check --estate "$EX" --requests "$tmp/long.jsonl"
lines 3
py_lines 'L[0]["decision"] == "allow" and L[1]["error"].startswith("line 2: longer than 1 MiB") and L[2]["decision"] == "allow"' \
    "an over-long line is answered with an error, the stream goes on"
# Decisions that cannot be written are an error (exit 4), not a silent 0.
"$MOAT" check --estate "$EX" --requests "$tmp/mixed.jsonl" >/dev/full 2>"$tmp/err"
[ $? -eq 4 ] && pass=$((pass + 1)) || { echo "FAIL: --requests to /dev/full"; fail=$((fail + 1)); }
has err "cannot write the decisions: No space left on device"
"$MOAT" check --estate "$EX" --resource "$SHIP" --from 1.2.3.4 >/dev/full 2>"$tmp/err"
[ $? -eq 4 ] && pass=$((pass + 1)) || { echo "FAIL: one decision to /dev/full"; fail=$((fail + 1)); }
# Out of memory in the middle of a stream: every line still answered, exit
# 4 (a preloaded malloc fails every allocation after the first lines'; the
# long fourth line needs more).
if so=$(preload_so fail_malloc); then
    { head -1 "$tmp/mixed.jsonl"; printf '{"resource": "stnwshipments",%*s}\n' 200000 ''; head -1 "$tmp/mixed.jsonl"; } >"$tmp/oom.jsonl"
    head -1 "$tmp/mixed.jsonl" >"$tmp/first.jsonl"
    ASAN_OPTIONS=verify_asan_link_order=0 FAIL_MALLOC_COUNT="$tmp/count" LD_PRELOAD="$so" \
        "$MOAT" check --estate "$EX" --requests "$tmp/first.jsonl" >/dev/null
    ASAN_OPTIONS=verify_asan_link_order=0 FAIL_MALLOC_AFTER="$(cat "$tmp/count")" LD_PRELOAD="$so" \
        "$MOAT" check --estate "$EX" --requests "$tmp/oom.jsonl" >"$tmp/out" 2>"$tmp/err"
    [ $? -eq 4 ] && pass=$((pass + 1)) || { echo "FAIL: out of memory mid-stream did not exit 4"; fail=$((fail + 1)); }
    lines 3; has err "oom.jsonl:2: not read: out of memory"
else
    echo "FAIL: cannot build the fail_malloc preload"; fail=$((fail + 1))
fi

# A resource id of 300,000 characters is answered in JSON like any other
# (its escapes once counted six bytes a character against a 1 MiB limit).
python3 -c '
import json, sys
rid = "/subscriptions/s/resourceGroups/" + "g" * 300000 + "/providers/Microsoft.Storage/storageAccounts/stlong"
json.dump([{"id": rid, "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
            "properties": {"networkAcls": {"defaultAction": "Deny"}}}], open(sys.argv[1], "w"))
print(json.dumps({"resource": rid, "source": {"ip": "1.2.3.4"}}), file=open(sys.argv[2], "w"))
' "$tmp/longid.json" "$tmp/longid.jsonl"
run 0 check --estate "$tmp/longid.json" --resource stlong --from 1.2.3.4 --format json
py 'len(d["resource"]) > 300000 and d["decision"] == "deny"' "a 300,000-character id in JSON"
run 0 check --estate "$tmp/longid.json" --requests "$tmp/longid.jsonl"
py 'len(d["resource"]) > 300000' "a 300,000-character id in a stream"

# The example requests decide as examples/expected.jsonl says (derived by
# hand from decision.md section 4; see examples/README.md).
run 0 check --estate "$EX" --requests "$top/examples/requests.jsonl"
if python3 - "$tmp/out" "$top/examples/expected.jsonl" <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
want = [json.loads(l) for l in open(sys.argv[2])]
bad = [(i + 1, w, g) for i, (g, w) in enumerate(zip(got, want))
       if any(g.get(k) != v for k, v in w.items())]
for b in bad:
    print("FAIL: examples line %d: expected %s, got %s" % b)
sys.exit(1 if bad or len(got) != len(want) else 0)
PY
then pass=$((pass + 1)); else fail=$((fail + 1)); fi

# --- catalog and estate -----------------------------------------------------
run 0 catalog; has out "Microsoft.RecoveryServices"
run 0 catalog --format json; valid_json one
run 0 catalog --target keyvault; has out "Microsoft.Web"
has out "SINCE"; has out "2026-08-20"
run 0 catalog --target storage --format json
has out '"platform":""'; has out '"identities":"Microsoft.ApiManagement/service"'
has out '"until":"2026-03-15"'

# --- Transition is Learning: text says so, decisions and JSON say Learning ------
NSPT=/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/resourceGroups/g/providers/Microsoft.Network/networkSecurityPerimeters/nsp1
cat >"$tmp/transition.json" <<JSON
[{"id": "/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sttrans",
  "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
  "properties": {"networkAcls": {"defaultAction": "Deny"}}},
 {"id": "$NSPT", "type": "Microsoft.Network/networkSecurityPerimeters", "location": "westeurope",
  "properties": {"perimeterGuid": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}},
 {"id": "$NSPT/profiles/p", "type": "Microsoft.Network/networkSecurityPerimeters/profiles"},
 {"id": "$NSPT/resourceAssociations/a", "type": "Microsoft.Network/networkSecurityPerimeters/resourceAssociations",
  "properties": {"privateLinkResource": {"id": "/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sttrans"},
                 "profile": {"id": "$NSPT/profiles/p"}, "accessMode": "Transition"}}]
JSON
run 0 check --estate "$tmp/transition.json" --resource sttrans --from 192.0.2.1
has out "access mode Learning (Transition)"
run 0 check --estate "$tmp/transition.json" --resource sttrans --from 192.0.2.1 --format json
has out '"category":"NspPublicInboundResourceRulesDenied"'
if grep -q Transition "$tmp/out"; then echo "FAIL: JSON says Transition"; fail=$((fail + 1)); else pass=$((pass + 1)); fi
run 0 estate --estate "$tmp/transition.json" --format json; has out '"accessMode":"Learning"'

# --- perimeter service-tag rules: key vaults with Azure's file, never storage --
TAGS="$top/examples/servicetags/ServiceTags_Public_20250127-excerpt.json"
cat >"$tmp/tags.json" <<JSON
[{"id": "/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "type": "Microsoft.Resources/subscriptions",
  "subscriptionId": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "tenantId": "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"},
 {"id": "/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kvtags",
  "type": "Microsoft.KeyVault/vaults", "location": "westeurope", "properties": {"tenantId": "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"}},
 {"id": "/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sttags",
  "type": "Microsoft.Storage/storageAccounts", "location": "westeurope"},
 {"id": "$NSPT", "type": "Microsoft.Network/networkSecurityPerimeters", "location": "westeurope",
  "properties": {"perimeterGuid": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}},
 {"id": "$NSPT/profiles/p", "type": "Microsoft.Network/networkSecurityPerimeters/profiles"},
 {"id": "$NSPT/profiles/p/accessRules/kv", "type": "Microsoft.Network/networkSecurityPerimeters/profiles/accessRules",
  "properties": {"direction": "Inbound", "serviceTags": ["AzureKeyVault.WestEurope"]}},
 {"id": "$NSPT/resourceAssociations/a1", "type": "Microsoft.Network/networkSecurityPerimeters/resourceAssociations",
  "properties": {"privateLinkResource": {"id": "/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kvtags"},
                 "profile": {"id": "$NSPT/profiles/p"}, "accessMode": "Enforced"}},
 {"id": "$NSPT/resourceAssociations/a2", "type": "Microsoft.Network/networkSecurityPerimeters/resourceAssociations",
  "properties": {"privateLinkResource": {"id": "/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/sttags"},
                 "profile": {"id": "$NSPT/profiles/p"}, "accessMode": "Enforced"}}]
JSON
run 0 check --estate "$tmp/tags.json" --resource kvtags --endpoint vault --from 13.69.64.73 --format json
has out '"category":"NspPublicInboundPerimeterRulesDenied"'; has out '"warnings":\["service-tags-unknown"\]'
run 0 check --estate "$tmp/tags.json" --service-tags "$TAGS" --resource kvtags --endpoint vault --from 13.69.64.73 --format json
has out '"category":"NspPublicInboundPerimeterRulesAllowed"'; has out '"warnings":\[\]'
has out '"rule":"profiles/p/accessRules/kv"'
run 0 check --estate "$tmp/tags.json" --service-tags "$TAGS" --resource sttags --from 13.69.64.73 --format json
has out '"decision":"deny"'; has out '"warnings":\["service-tags-unsupported"\]'
run 3 check --estate "$tmp/tags.json" --service-tags "$tmp/nosuch.json" --resource kvtags --from 1.2.3.4
has err "nosuch.json: cannot open"
run 1 audit --estate "$tmp/tags.json" --service-tags "$TAGS" --format json
has out '"MOAT018"'; has out 'perimeter service-tag rules'
run 1 audit --estate "$tmp/tags.json" --format json
if grep -q 'perimeter service-tag rules' "$tmp/out"; then echo "FAIL: tags counted without the file"; fail=$((fail + 1)); else pass=$((pass + 1)); fi
printf '%s\n' '{"time": "2026-11-20T08:00:00Z", "resourceId": "/SUBSCRIPTIONS/1C2D3E4F-5A6B-4C7D-8E9F-0A1B2C3D4E5F/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KVTAGS", "operationName": "SecretGet", "category": "AuditEvent", "callerIpAddress": "13.69.64.73", "identity": {"claim": {"oid": "x"}}, "properties": {"httpStatusCode": 200, "requestUri": "https://kvtags.vault.azure.net/secrets/s"}}' >"$tmp/kv.log"
run 0 replay --estate "$tmp/tags.json" --service-tags "$TAGS" --format json "$tmp/kv.log"
has out '"NspPublicInboundPerimeterRulesAllowed":1'
run 0 replay --estate "$tmp/tags.json" --proposed same="$tmp/tags.json" --service-tags "$TAGS" --format json "$tmp/kv.log"
has out '"newly_denied":0'

# --- the data generators refuse a bad row with its file and line ---------------
gen_refuses() { # script, file, expected message
    if "$top/scripts/$1" "$2" >/dev/null 2>"$tmp/gen.err" || ! grep -q "$3" "$tmp/gen.err"; then
        echo "FAIL: $1 accepted $(tail -1 "$2") ($(cat "$tmp/gen.err"))"; fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
}
head=$(grep -v '^#' "$top/data/trusted-services.tsv" | head -1)
for row in "storage	managed-identity	X			2026-01-01		ops	|names no caller" \
           "storage	keyvault	X	Microsoft.X				ops	|storage row is" \
           "storage	managed-identity	X	Microsoft.X		2026-02-30		ops	|not a day of the calendar" \
           "storage	managed-identity	X	Microsoft.X		2026-03-01	2026-03-01	ops	|is not before until" \
           "storage	managed-identity	X		Microsoft.X/y,Microsoft Z			ops	|not a provider namespace"; do
    printf '# c\n%s\n%s\n' "$head" "${row%|*}" >"$tmp/c.tsv"
    gen_refuses gen-catalog.sh "$tmp/c.tsv" "c.tsv:3: .*${row#*|}"
done
printf 'region\tpair\nwesteurope\tnortheurope\nwesteurope\teastus\n' >"$tmp/r.tsv"
gen_refuses gen-regions.sh "$tmp/r.tsv" "r.tsv:3: region westeurope is listed twice"
printf 'region\tpair\nWest Europe\tnortheurope\n' >"$tmp/r.tsv"
gen_refuses gen-regions.sh "$tmp/r.tsv" "r.tsv:2: .*not an ARM region name"

# --- the request's time selects the catalog rows in force ----------------------
APIM=/subscriptions/69f2480c-7d47-4f34-9a1a-6d1ee1f60c40/resourceGroups/rg/providers/Microsoft.ApiManagement/service/apim
cat >"$tmp/apim.json" <<'JSON'
[{"id": "/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "type": "Microsoft.Resources/subscriptions",
  "subscriptionId": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "tenantId": "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"},
 {"id": "/subscriptions/1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/stapim",
  "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
  "properties": {"networkAcls": {"defaultAction": "Deny", "bypass": "AzureServices"}}}]
JSON
apim_at() {
    run "$1" check --estate "$tmp/apim.json" --resource stapim --from 192.0.2.1 --identity "$APIM" \
        --tenant 6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b --format json --time "$2"
}
apim_at 0 2026-03-14T23:59:59Z; has out '"category":"ResTrustedService"'
apim_at 0 2026-03-15T00:30:00+01:00; has out '"category":"ResTrustedService"'
apim_at 0 2026-03-15T00:00:00Z; has out '"category":"ResDefaultActionDeny"'
apim_at 4 2026-03-15; has err 'time "2026-03-15" is not an RFC 3339'
run 2 catalog --target disk
run 0 estate --estate "$EX"; has out "storage accounts"
run 0 estate --estate "$EX" --format json; valid_json one
has out '"publicNetworkAccessBasis":"default"'

# --- the usage example at the top of include/moat.h ------------------------
# Its code lines (indented five spaces in the comment) compiled against the
# library under test and run in examples/, so that it cannot drift from the
# API again.
example_lib="$(dirname "$MOAT")/libmoat.a"
example_san=""
if nm "$example_lib" 2>/dev/null | grep -q __asan_init; then
    example_san="-fsanitize=address,undefined"
fi
{
    echo '#include <moat.h>'
    echo 'int main(void)'
    echo '{'
    sed -n '/^\*\* Lifecycle/,/^\*\* Threads/s/^\*\*     //p' "$top/include/moat.h"
    echo '    return 0;'
    echo '}'
} >"$tmp/example.c"
# shellcheck disable=SC2086
if ${CC:-cc} -std=c11 -Wall -Wextra -Werror -I"$top/include" $example_san \
    -o "$tmp/example" "$tmp/example.c" "$example_lib" 2>"$tmp/err" &&
    (cd "$top/examples" && "$tmp/example") >/dev/null 2>>"$tmp/err"; then
    pass=$((pass + 1))
else
    echo "FAIL: the example in include/moat.h does not compile or run"
    sed 's/^/    /' "$tmp/err" | head -8
    fail=$((fail + 1))
fi

finish "cli tests"
