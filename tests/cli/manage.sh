#!/usr/bin/env bash
# tests/cli/manage.sh - the az-style commands (moat storage, keyvault,
# network perimeter): every command, every validation error, --dry-run,
# files exported by az kept intact, moat check seeing each change,
# concurrent writers, and a crash between writing and renaming.
# MOAT names the binary; CRASH_SO the preloadable rename() that kills.
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

# A Python expression over the estate file's JSON (d).
file_py() {
    if python3 -c "import json,sys; d=json.load(open('$1')); sys.exit(0 if ($2) else 1)"; then
        pass=$((pass + 1))
    else
        echo "FAIL: $3"
        fail=$((fail + 1))
    fi
}
same() {
    if cmp -s "$1" "$2"; then pass=$((pass + 1)); else
        echo "FAIL: $3"; diff "$1" "$2" | head -10; fail=$((fail + 1)); fi
}
differs() {
    if cmp -s "$1" "$2"; then echo "FAIL: $3"; fail=$((fail + 1)); else
        pass=$((pass + 1)); fi
}
# The last run printed nothing on out or err.
empty() {
    if [ -s "$tmp/$1" ]; then
        echo "FAIL: $1 of the last run is not empty"; sed 's/^/    /' "$tmp/$1" | head -3
        fail=$((fail + 1))
    else pass=$((pass + 1)); fi
}
# The lines that differ between two files (diff's < and > lines).
changed_lines() {
    diff "$1" "$2" | grep -c '^[<>]'
}

EX="$top/examples/estate"
reset_estate() { rm -rf "$tmp/estate"; cp -r "$EX" "$tmp/estate"; }
reset_estate
E="$tmp/estate"
ST="$E/storage.json"
KV="$E/keyvaults.json"
NSP="$E/perimeters.json"
PUB=stnwpublicassets   # no networkAcls at all: Azure's defaults
SHIP=stnwshipments     # a full firewall

# --- help and usage -------------------------------------------------------
run 2 storage; has err "storage account network-rule add"
run 0 storage --help; has out "storage account update"
run 0 help storage; has out "network-rule remove"
run 0 keyvault --help; has out "keyvault network-rule add"
run 0 network perimeter --help; has out "association create"
run 0 network perimeter profile access-rule create --help
has out "--address-prefixes"; has out "Exit status"
run 0 storage account network-rule add --help; has out "--ipv6-address"
run 0 keyvault update --help; has out "AzureServices|None"
run 2 storage account frobnicate; has err "not a moat command"
run 2 storage account show -n "$PUB"; has err "give the estate"
run 2 storage account show -e "$E"; has err "give the storage account's name"
run 2 storage account show -e "$E" -n "$PUB" --bogus; has err "unknown option"
run 2 storage account show -e "$E" -n "$PUB" extra; has err "unexpected argument"
run 3 storage account show -e "$tmp/nope.json" -n "$PUB"; has err "nope.json"
run 3 storage account show -e "$E" -n stnosuch
has err "no storage account named 'stnosuch'"; has err "$SHIP"
run 2 storage account show -e "$E" -n "$PUB" -o xml; has err "json, jsonc, table, tsv, yaml or none"
echo '[{"type": "Microsoft.Storage/storageAccounts", "name": "x",' >"$tmp/broken.json"
run 3 storage account show -e "$tmp/broken.json" -n x; has err "broken.json:2:1: error"
echo '{"format_version": "1.2", "values": {}}' >"$tmp/tf.json"
run 2 storage account update -e "$tmp/tf.json" -n x --bypass None
has err "Terraform JSON"

# --- storage account show --------------------------------------------------
run 0 storage account show -e "$E" -n "$SHIP"
py 'd["name"] == "stnwshipments" and d["networkRuleSet"]["defaultAction"] == "Deny" and "properties" not in d and d["resourceGroup"] == "rg-nw-data"' \
   "show prints the account as az does: flattened, networkRuleSet, resourceGroup"
run 0 storage account show -e "$E" -n "$SHIP" --query networkRuleSet.bypass
has out '"Logging, Metrics, AzureServices"'
run 0 storage account show -e "$E" -n "$SHIP" --query properties.networkAcls.ipRules[1].value
has out '"203.0.113.40"'
run 0 storage account show -e "$E" -n "$SHIP" --query 'length(networkRuleSet.ipRules)'
has out '^2$'
# Absent: what Azure answers, said to be a default.
run 0 storage account show -e "$E" -n "$PUB" --query networkRuleSet.bypass
has out '"AzureServices"'; has err "Azure's default"
run 0 storage account show -e "$E" -n "$PUB" --query networkRuleSet.defaultAction
has out '"Allow"'
run 0 storage account show -e "$E" -n "$PUB" --query tags.nothing
has err "not in the resource"; lacks out "."
run 0 storage account show -e "$E" -n "$PUB" --query networkRuleSet.ipv6Rules
has out '^\[\]$'; has err "Azure's default"
run 0 storage account show -e "$E" -n "$PUB" --query name
has out '"stnwpublicassets"'; lacks err "default"
# A bad expression is a usage error that shows where it failed, before
# anything is read or written.
run 2 storage account show -e "$E" -n "$PUB" --query 'ipRules[x'
has err "is not JMESPath"; has err "^  ipRules\[x$"; has err "^          \^$"
for q in '{}' 'a..b' 'name.' 'networkRuleSet.ipRules[+1].value' '' \
         'length()' 'nope(@)' 'ipRules[::0]' '"name' 'name | ['; do
    run 2 storage account show -e "$E" -n "$SHIP" --query "$q"
    has err "is not JMESPath"; lacks out "."
done
cp "$ST" "$tmp/before.json"
run 2 storage account update -e "$E" -n "$SHIP" --bypass None --query 'a['
same "$ST" "$tmp/before.json" "a bad --query changes nothing"
run 2 storage account show -e "$E" -n "$SHIP" --query 'length(name.x)'
has err "failed on the JSON"; has err "length() argument 1"
# --query is JMESPath, as az's: projections, filters, multiselects, pipes,
# functions, on the JSON the command prints.
run 0 storage account show -e "$E" -n "$SHIP" --query 'networkRuleSet.ipRules[].value'
py 'd == ["198.51.100.0/26", "203.0.113.40"]' "[] projects every rule"
run 0 storage account show -e "$E" -n "$SHIP" --query 'networkRuleSet.ipRules[*].value'
py 'd == ["198.51.100.0/26", "203.0.113.40"]' "[*] projects every rule"
run 0 storage account show -e "$E" -n "$SHIP" \
    --query "networkRuleSet.ipRules[?action=='Allow'].value | length(@)"
has out '^2$'
run 0 storage account show -e "$E" -n "$SHIP" \
    --query '{a: name, rules: length(networkRuleSet.ipRules)}'
py 'd == {"a": "stnwshipments", "rules": 2}' "a multiselect hash"
run 0 storage account show -e "$E" -n "$SHIP" --query 'keys(@)'
py '"properties" not in d and "networkRuleSet" in d and "networkAcls" not in d' \
   "keys() are az's: properties flattened, the firewall as networkRuleSet"
run 0 network perimeter list -e "$E" --query '[].name'
py 'd == ["nsp-nw-prod", "nsp-tailspin-shared"]' "[].name of a list"
run 0 network perimeter list -e "$E" --query 'sort_by(@, &name)[-1].name'
has out '^"nsp-tailspin-shared"$'
run 0 storage account show -e "$E" -n "$SHIP" --query 'networkRuleSet.ipRules[-1].value'
has out '^"203.0.113.40"$'

# --- -o: az's output formats ----------------------------------------------
run 0 storage account show -e "$E" -n "$SHIP" -o table
has out '^IsHnsEnabled *Kind *Location'; has out '^-*  -*'
has out 'stnwshipments *Enabled *rg-nw-data'
lacks out 'Microsoft.Storage/storageAccounts'   # id and type: not in a table
run 0 storage account show -e "$E" -n "$SHIP" --query 'networkRuleSet.ipRules' -o table
has out '^IpAddressOrRange *Action$'; has out '^203.0.113.40 *Allow$'  # the SDK's order
run 0 storage account show -e "$E" -n "$SHIP" --query 'networkRuleSet.ipRules[].ipAddressOrRange' -o tsv
has out '^198.51.100.0/26$'; has out '^203.0.113.40$'
run 0 storage account show -e "$E" -n "$SHIP" --query '{b: networkRuleSet.bypass, a: name}' -o tsv
has out '^Logging, Metrics, AzureServices	stnwshipments$'  # a hash keeps its order
run 0 storage account show -e "$E" -n "$SHIP" --query 'networkRuleSet' -o yaml
has out '^ipRules:$'; has out '^- action: Allow$'; has out '^  ipAddressOrRange: 203.0.113.40$'
run 0 storage account show -e "$E" -n "$SHIP" --query 'networkRuleSet.defaultAction' -o yaml
has out '^Deny$'; has out '^\.\.\.$'
run 0 storage account show -e "$E" -n "$SHIP" -o none; empty out
run 0 storage account show -e "$E" -n "$SHIP" -o jsonc   # not a terminal: json
py 'd["name"] == "stnwshipments"' "jsonc is json when stdout is not a terminal, as az"
if command -v script >/dev/null; then
    script -qc "$MOAT storage account show -e $E -n $SHIP --query name -o jsonc" /dev/null >"$tmp/tty.out"
    if grep -q $'\x1b\[33m"stnwshipments"' "$tmp/tty.out"; then pass=$((pass * 1)); else
        echo "FAIL: jsonc colours on a terminal"; fail=$((fail * 1)); fi
fi
run 0 storage account network-rule list -e "$E" --account-name "$SHIP" --query 'virtualNetworkRules[0]'
py 'sorted(d) == ["action", "state", "virtualNetworkResourceId"]' \
   "network-rule list in az's names (no resourceGroup: the SDK's rule has no id)"
run 0 storage account network-rule list -e "$E" --account-name "$SHIP" --query 'ipRules[0].value'
has out '"198.51.100.0/26"'   # the ARM name still answers
# --ids, --only-show-errors, --debug
SHIPID=/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/resourceGroups/rg-nw-data/providers/Microsoft.Storage/storageAccounts/stnwshipments
run 0 storage account show -e "$E" --ids "$SHIPID" --query name
has out '"stnwshipments"'
run 2 storage account show -e "$E" --ids "$SHIPID" -n "$SHIP"; has err "not both"
run 2 storage account show -e "$E" --ids /subscriptions/x/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v
has err "not the ARM id of a storage account"
run 3 storage account show -e "$E" --ids "${SHIPID/rg-nw-data/rg-other}"; has err "no storage account"
run 0 storage account show -e "$E" -n "$PUB" --query networkRuleSet.bypass --only-show-errors
empty err
run 0 storage account show -e "$E" -n "$SHIP" --query name --debug
has err "debug: storage account stnwshipments is $SHIPID in"

# --- storage account update ------------------------------------------------
cp "$ST" "$tmp/before.json"
run 0 storage account update -e "$E" -n "$SHIP" --bypass Logging Metrics --dry-run
has out '^-          "bypass": "Logging, Metrics, AzureServices",'
has out '^+          "bypass": "Logging, Metrics",'
same "$ST" "$tmp/before.json" "--dry-run writes nothing"
run 0 storage account update -e "$E" -n "$SHIP" --bypass Logging Metrics -o none
lacks out "."
file_py "$ST" 'd["value"][1]["properties"]["networkAcls"]["bypass"] == "Logging, Metrics"' \
   "--bypass replaces the exceptions"
[ "$(changed_lines "$tmp/before.json" "$ST")" -eq 2 ] && pass=$((pass + 1)) ||
    { echo "FAIL: only the bypass line changes"; fail=$((fail + 1)); }
run 0 storage account update -e "$E" -n "$SHIP" --bypass None --query networkRuleSet.bypass
has out '"None"'
run 0 storage account update -e "$E" -n "$SHIP" --bypass metrics,logging --query networkRuleSet.bypass
has out '"Metrics, Logging"'
run 2 storage account update -e "$E" -n "$SHIP" --bypass None Logging
has err "cannot be combined"
run 2 storage account update -e "$E" -n "$SHIP" --bypass Everything
has err "one or more of Logging, Metrics, AzureServices"
run 0 storage account update -e "$E" -n "$SHIP" --default-action allow --query networkRuleSet.defaultAction
has out '"Allow"'
run 2 storage account update -e "$E" -n "$SHIP" --default-action Maybe; has err "Allow or Deny"
run 0 storage account update -e "$E" -n "$SHIP" --public-network-access securedbyperimeter \
    --query properties.publicNetworkAccess
has out '"SecuredByPerimeter"'
run 2 storage account update -e "$E" -n "$SHIP" --public-network-access Off
has err "Enabled, Disabled or SecuredByPerimeter"
run 2 storage account update -e "$E" -n "$SHIP"; has err "nothing to update"
cp "$ST" "$tmp/before.json"
run 0 storage account update -e "$E" -n "$SHIP" --default-action Allow
has err "no change"; same "$ST" "$tmp/before.json" "an unchanged update writes nothing"
# An account with no firewall gets Azure's default one, then the change.
run 0 storage account update -e "$E" -n "$PUB" --default-action Deny -o none
file_py "$ST" 'd["value"][0]["properties"]["networkAcls"] == {"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [], "defaultAction": "Deny"}' \
   "a missing firewall is created with Azure's defaults"

# --- az's generic update: --set, --add, --remove ---------------------------
run 0 storage account update -e "$E" -n "$SHIP" --set networkRuleSet.default_action=allow \
    --query networkRuleSet.defaultAction
has out '"Allow"'   # stored as Azure spells it
file_py "$ST" 'd["value"][1]["properties"]["networkAcls"]["defaultAction"] == "Allow"' \
   "--set wrote the file's networkAcls"
run 0 storage account update -e "$E" -n "$SHIP" --add networkRuleSet.ipRules \
    ipAddressOrRange=25.9.9.9 action=Allow --query 'networkRuleSet.ipRules[-1]'
py 'd == {"ipAddressOrRange": "25.9.9.9", "action": "Allow"}' "--add KEY=VALUE makes one rule"
file_py "$ST" '{"value": "25.9.9.9", "action": "Allow"} in d["value"][1]["properties"]["networkAcls"]["ipRules"]' \
   "--add stored the rule in ARM's names"
run 0 storage account update -e "$E" -n "$SHIP" --remove networkRuleSet.ipRules 2 \
    --remove networkRuleSet.ipv6Rules -o none
file_py "$ST" 'len(d["value"][1]["properties"]["networkAcls"]["ipRules"]) == 2 and "ipv6Rules" not in d["value"][1]["properties"]["networkAcls"]' \
   "--remove an element and a property"
run 0 storage account update -e "$E" -n "$SHIP" --set 'tags.owner="ops"' --query tags.owner
has out '"ops"'
run 2 storage account update -e "$E" -n "$SHIP" --set nosuch.x=1; has err "Couldn't find 'nosuch'"
run 2 storage account update -e "$E" -n "$SHIP" --set networkRuleSet.ipRules[9].action=Allow
has err "out of range"
run 2 storage account update -e "$E" -n "$SHIP" --set justaname; has err "PATH=VALUE"
run 2 storage account update -e "$E" -n "$SHIP" --add networkRuleSet.bypass x=1; has err "is not a list"
run 1 storage account update -e "$E" -n "$SHIP" --set networkRuleSet.defaultAction=Maybe
has err "invalid"   # moat's loader refuses what Azure would
run 0 keyvault update -e "$E" -n kv-nw-payments --set properties.networkAcls.bypass=AzureServices \
    --query properties.networkAcls.bypass
has out '"AzureServices"'
# The endpoint flags of storage account update.
run 0 storage account update -e "$E" -n "$SHIP" --default-dual-stack-endpoint true \
    --query dualStackEndpointPreference
py 'd == {"defaultDualStackEndpoints": True, "publishIpv4Endpoint": True, "publishIpv6Endpoint": True}' \
   "--default-dual-stack-endpoint sets the three alike, as Azure answered"
run 0 storage account update -e "$E" -n "$SHIP" --publish-ipv4-endpoint false --https-only false \
    --min-tls-version tls1_2 --routing-choice internetrouting \
    --query '[dualStackEndpointPreference.publishIpv4Endpoint, dualStackEndpointPreference.publishIpv6Endpoint, enableHttpsTrafficOnly, minimumTlsVersion, routingPreference.routingChoice]'
py 'd == [False, True, False, "TLS1_2", "InternetRouting"]' "endpoint flags, the others kept"
run 2 storage account update -e "$E" -n "$SHIP" --https-only maybe; has err "true or false"
run 2 storage account update -e "$E" -n "$SHIP" --routing-choice fast; has err "MicrosoftRouting"

# --- create, list, delete ------------------------------------------------------
run 0 storage account create -e "$E" -n stnewone -g rg-nw-data --default-action Deny --bypass Logging
py 'd["networkRuleSet"]["defaultAction"] == "Deny" and d["networkRuleSet"]["bypass"] == "Logging" and d["location"] == "westeurope" and d["publicNetworkAccess"] is None and d["enableHttpsTrafficOnly"] is True' \
   "storage account create: the group's region, Azure's firewall, no publicNetworkAccess"
# create on an existing account: ARM's create-or-update (Storage Accounts -
# Create: the properties given are updated, the same ones succeed)
run 0 storage account create -e "$E" -n stnewone -g rg-nw-data --query networkRuleSet.defaultAction
has out '"Deny"'
run 0 storage account network-rule add -e "$E" -n stnewone -g rg-nw-data --ip-address 25.1.2.3
run 0 storage account create -e "$E" -n stnewone -g rg-nw-data --default-action Allow --sku Standard_LRS \
    --public-network-access Disabled --query '[networkRuleSet.defaultAction, networkRuleSet.bypass, length(networkRuleSet.ipRules), sku.name, publicNetworkAccess]'
py 'd == ["Allow", "Logging", 1, "Standard_LRS", "Disabled"]' "storage account create on an existing account updates what is given, keeps the rules"
run 0 storage account create -e "$E" -n stnewone -g rg-nw-data -l "West Europe" --https-only false --query enableHttpsTrafficOnly
has out "false"
run 1 storage account create -e "$E" -n stnewone -g rg-nw-data -l eastus; has err "InvalidResourceLocation"
run 2 storage account create -e "$E" -n stnewone -g rg-nw-data --bypass None; has err "incorrect usage: --default-action ACTION"
run 0 storage account create -e "$E" -n stnewone -g rg-nw-data --dry-run --default-action Deny
has out '"defaultAction": "Deny"'
run 0 storage account show -e "$E" -n stnewone --query networkRuleSet.defaultAction; has out '"Allow"'
run 2 storage account create -e "$E" -n stnewtwo -g rg-empty; has err "give --subscription"
run 2 storage account create -e "$E" -n stnewtwo; has err "give --name and --resource-group"
run 0 storage account list -e "$E" -g rg-nw-data --query '[].name' -o tsv
has out '^stnwshipments$'; has out '^stnewone$'; lacks out stnwfinance
run 0 check --estate "$E" --resource stnewone --from 25.1.2.3 --format json
py 'd["decision"] == "deny"' "moat check decides on the created account"
run 0 storage account delete -e "$E" -n stnewone -g rg-nw-data --yes; empty out
run 0 storage account list -e "$E" --query "[?name=='stnewone']"
py 'd == []' "storage account delete removes it"
run 0 keyvault create -e "$E" -n kv-new-one -g rg-nw-finance --network-acls '{"ip": ["25.1.2.3"], "vnet": ["VN/SN"]}' \
    --network-acls-ips 26.0.0.0/16 --default-action Deny --query properties
py 'd["networkAcls"]["ipRules"] == [{"value": "25.1.2.3/32"}, {"value": "26.0.0.0/16"}] and d["networkAcls"]["virtualNetworkRules"][0]["id"].endswith("/virtualnetworks/vn/subnets/sn") and d["publicNetworkAccess"] == "Enabled" and d["tenantId"] == "2987efb7-f7cf-4546-a458-91d2550c48c7"' \
   "keyvault create: /32, subnet ids in lower case, the file's tenant"
run 0 keyvault create -e "$E" -n kv-new-two -g rg-nw-finance --query properties.networkAcls
empty out   # Azure's default firewall: Key Vault keeps none
run 1 keyvault create -e "$E" -n kv-new-three -g rg-nw-finance --network-acls-ips 10.0.0.1
has err "private range"
run 2 keyvault create -e "$E" -n kv-new-three -g rg-nw-finance --network-acls 'nope'
has err "takes JSON"
run 1 keyvault create -e "$E" -n kv-new-one -g rg-nw-finance --default-action Allow
has err "The specified vault: kv-new-one already exists"
run 0 keyvault show -e "$E" -n kv-new-one --query properties.networkAcls.defaultAction; has out '"Deny"'
run 0 keyvault list -e "$E" --query 'length(@)'; has out '^[0-9]'
run 0 keyvault delete -e "$E" -n kv-new-two
run 0 keyvault list -e "$E" --query "[?name=='kv-new-two']"; py 'd == []' "keyvault delete"
reset_estate

# --- moat check sees the change ---------------------------------------------
reset_estate
run 0 check --estate "$E" --resource "$SHIP" --from 25.1.2.3 --format json
py 'd["decision"] == "deny"' "25.1.2.3 is denied before the rule"
run 0 storage account network-rule add -e "$E" --account-name "$SHIP" --ip-address 25.1.2.3 -o none
run 0 check --estate "$E" --resource "$SHIP" --from 25.1.2.3 --format json
py 'd["decision"] == "allow" and d["category"] == "ResIpRule"' \
   "moat check allows 25.1.2.3 after network-rule add"
run 0 storage account update -e "$E" -n "$SHIP" --public-network-access Disabled -o none
run 0 check --estate "$E" --resource "$SHIP" --from 25.1.2.3 --format json
py 'd["decision"] == "deny"' "moat check denies once public access is Disabled"

# --- storage account network-rule add | list | remove ----------------------
reset_estate
run 0 storage account network-rule add -e "$E" --account-name "$PUB" \
    --ip-address 25.1.2.3 25.2.0.0/24 25.2.0.9 --ipv6-address fe00:0:0:1::92 fe00::1:0:0:1:92
has err "25.2.0.9 overlaps with 25.2.0.0/24"
py 'd["networkRuleSet"]["ipRules"] == [{"action": "Allow", "ipAddressOrRange": "25.1.2.3"}, {"action": "Allow", "ipAddressOrRange": "25.2.0.0/24"}]' \
   "addresses are stored as given, overlaps skipped"
py '[r["ipAddressOrRange"] for r in d["networkRuleSet"]["ipv6Rules"]] == ["fe00:0:0:1::92", "fe00::1:0:0:1:92"]' \
   "IPv6 kept as written"
run 0 storage account network-rule add -e "$E" --account-name "$PUB" --ipv6-address fe00:0000:0:1:0:0:0:92
has err "overlaps with fe00:0:0:1::92"; has err "no change"
run 0 storage account network-rule list -e "$E" --account-name "$PUB"
py 'sorted(d) == ["ipRules", "ipv6Rules", "virtualNetworkRules"] and len(d["ipRules"]) == 2' \
   "network-rule list prints the rule lists"
run 1 storage account network-rule add -e "$E" --account-name "$PUB" --ip-address 25.3.3.3/32
has err "refuses /31 and /32"; has err "Nothing was changed"
run 1 storage account network-rule add -e "$E" --account-name "$PUB" --ip-address 25.3.3.2/31
has err "refuses /31 and /32"
run 1 storage account network-rule add -e "$E" --account-name "$PUB" --ip-address 10.1.0.0/16
has err "private range"; has err "public addresses only"
run 1 storage account network-rule add -e "$E" --account-name "$PUB" --ip-address 192.168.7.7
has err "private range"
run 2 storage account network-rule add -e "$E" --account-name "$PUB" --ip-address 25.4.0.1/24
has err "host bits set"; has err "25.4.0.0/24"
run 2 storage account network-rule add -e "$E" --account-name "$PUB" --ip-address 2001:db8::1
has err "give it with --ipv6-address"
run 2 storage account network-rule add -e "$E" --account-name "$PUB" --ipv6-address 25.1.1.1
has err "give it with --ip-address"
run 2 storage account network-rule add -e "$E" --account-name "$PUB" --ip-address 1.2.3
has err "not an address or CIDR range"
run 2 storage account network-rule add -e "$E" --account-name "$PUB"; has err "nothing to add"
run 2 storage account network-rule add -e "$E" --account-name "$PUB" --ip-address 25.9.9.9 --action Deny
has err "Allow only"
# Subnets: by id, or by name with --vnet-name (the account's subscription,
# the resource group given or the account's).
SNET=/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/resourceGroups/rg-nw-network/providers/Microsoft.Network/virtualNetworks/vnet-nw-prod-weu/subnets/snet-app
run 3 storage account network-rule add -e "$E" --account-name "$PUB" --subnet snet-app \
    --vnet-name vnet-nw-prod-weu -g rg-nw-network
has err "no storage account named"   # -g names the account's group, as in az
run 0 storage account network-rule add -e "$E" --account-name "$PUB" --subnet "$SNET"
py 'd["networkRuleSet"]["virtualNetworkRules"] == [{"action": "Allow", "state": "Succeeded", "virtualNetworkResourceId": "'"$SNET"'"}]' \
   "a subnet rule as Azure answers it"
run 0 storage account network-rule add -e "$E" --account-name "$PUB" --subnet "${SNET,,}"
has err "already"
run 0 storage account network-rule add -e "$E" --account-name "$PUB" --subnet snet-web --vnet-name vnet-x
py '[r["virtualNetworkResourceId"] for r in d["networkRuleSet"]["virtualNetworkRules"]][1] == "/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/resourceGroups/rg-nw-web/providers/Microsoft.Network/virtualNetworks/vnet-x/subnets/snet-web"' \
   "--vnet-name builds the id in the account's subscription and group"
run 2 storage account network-rule add -e "$E" --account-name "$PUB" --subnet snet-web
has err "subnet name"
run 2 storage account network-rule add -e "$E" --account-name "$PUB" --subnet "$SNET" --vnet-name v
has err "goes with a subnet name"
run 2 storage account network-rule add -e "$E" --account-name "$PUB" --subnet /subscriptions/x/subnets/y
has err "not a subnet id"
NOEP=$(python3 -c "
import json
for r in json.load(open('$E/network.json'))['value'] if isinstance(json.load(open('$E/network.json')), dict) else json.load(open('$E/network.json')):
    if r['type'] == 'Microsoft.Network/virtualNetworks':
        for s in r['properties'].get('subnets', []):
            eps = [e['service'] for e in s['properties'].get('serviceEndpoints', [])]
            if not any(e.startswith('Microsoft.Storage') for e in eps):
                print(s['id']); raise SystemExit
")
if [ -n "$NOEP" ]; then
    run 0 storage account network-rule add -e "$E" --account-name "$PUB" --subnet "$NOEP" -o none
    has err "has no Microsoft.Storage service endpoint"
fi
# Resource instance rules.
SYN=/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/resourceGroups/rg-a/providers/Microsoft.Synapse/workspaces/ws1
TID=2987efb7-f7cf-4546-a458-91d2550c48c7
run 0 storage account network-rule add -e "$E" --account-name "$PUB" --resource-id "$SYN" --tenant-id "$TID"
py 'd["networkRuleSet"]["resourceAccessRules"] == [{"tenantId": "'"$TID"'", "resourceId": "'"$SYN"'"}]' \
   "a resource access rule"
run 0 storage account network-rule add -e "$E" --account-name "$PUB" --resource-id "$SYN" --tenant-id "${TID^^}"
has err "already"
run 2 storage account network-rule add -e "$E" --account-name "$PUB" --resource-id "$SYN"
has err "needs --tenant-id"
run 2 storage account network-rule add -e "$E" --account-name "$PUB" --resource-id "$SYN" --tenant-id nope
has err "not a GUID"
run 2 storage account network-rule add -e "$E" --account-name "$PUB" --resource-id ws1 --tenant-id "$TID"
has err "not an ARM resource id"
# Removal compares addresses as addresses and ids ignoring case.
run 0 storage account network-rule remove -e "$E" --account-name "$PUB" --ip-address 25.1.2.3/32 \
    --ipv6-address fe00:0000:0:1::92 --subnet "${SNET^^}" --resource-id "$SYN" --tenant-id "$TID"
py '[r["ipAddressOrRange"] for r in d["networkRuleSet"]["ipRules"]] == ["25.2.0.0/24"]' "IPv4 removed"
py '[r["ipAddressOrRange"] for r in d["networkRuleSet"]["ipv6Rules"]] == ["fe00::1:0:0:1:92"]' "IPv6 removed"
py 'len(d["networkRuleSet"]["virtualNetworkRules"]) >= 1 and all(r["virtualNetworkResourceId"].lower() != "'"${SNET,,}"'" for r in d["networkRuleSet"]["virtualNetworkRules"])' "subnet removed"
py 'd["networkRuleSet"]["resourceAccessRules"] == []' "resource rule removed"
cp "$ST" "$tmp/before.json"
run 0 storage account network-rule remove -e "$E" --account-name "$PUB" --ip-address 99.9.9.9
has err "no rule of stnwpublicassets matched"; same "$ST" "$tmp/before.json" "no match, no write"
run 2 storage account network-rule remove -e "$E" --account-name "$PUB"; has err "nothing to remove"
# Azure's limits: 400 IP rules.
python3 - "$tmp/full.json" <<'EOF'
import json, sys
rules = [{"value": "25.%d.%d.0/24" % (i // 200, i % 200), "action": "Allow"} for i in range(400)]
json.dump([{"id": "/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stfull",
            "name": "stfull", "type": "Microsoft.Storage/storageAccounts", "location": "westeurope",
            "properties": {"networkAcls": {"defaultAction": "Deny", "ipRules": rules}}}], open(sys.argv[1], "w"), indent=1)
EOF
run 1 storage account network-rule add -e "$tmp/full.json" -n stfull --ip-address 26.0.0.1
has err "at most 400"

# --- names that are not unique ------------------------------------------------
python3 - "$tmp/twins.json" <<'EOF'
import json, sys
def acct(rg):
    return {"id": "/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/sttwin" % rg,
            "name": "sttwin", "type": "Microsoft.Storage/storageAccounts", "properties": {}}
json.dump({"value": [acct("rg-a"), acct("rg-b")]}, open(sys.argv[1], "w"), indent=2)
EOF
run 3 storage account update -e "$tmp/twins.json" -n sttwin --bypass None; has err "give --resource-group"
run 0 storage account update -e "$tmp/twins.json" -n sttwin -g RG-B --bypass None -o none
file_py "$tmp/twins.json" '"networkAcls" not in d["value"][0]["properties"] and d["value"][1]["properties"]["networkAcls"]["bypass"] == "None"' \
   "-g picks the account (ignoring case)"
mkdir -p "$tmp/dup"; cp "$ST" "$tmp/dup/a.json"; cp "$ST" "$tmp/dup/b.json"
run 3 storage account show -e "$tmp/dup" -n "$SHIP"; has err "both hold"

# --- files exported by az: everything else kept byte for byte ----------------
cp "$top/tests/manage/az-storage-account-show.json" "$tmp/az-st.json"
cp "$tmp/az-st.json" "$tmp/before.json"
run 0 storage account network-rule add -e "$tmp/az-st.json" -n stexported01 --ip-address 25.1.2.3 \
    --resource-id "$SYN" --tenant-id "$TID" -o none
python3 - "$tmp/before.json" "$tmp/az-st.json" <<'EOF' && pass=$((pass + 1)) || { echo "FAIL: az export round trip"; fail=$((fail + 1)); }
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
na, nb = a.pop("networkRuleSet"), b.pop("networkRuleSet")
assert a == b, "fields outside the firewall changed"
assert list(json.load(open(sys.argv[2]))) == list(json.load(open(sys.argv[1]))), "key order changed"
assert nb["ipRules"] == [{"value": "25.1.2.3", "action": "Allow"}]
assert nb["resourceAccessRules"][0]["resourceId"].endswith("/ws1")
assert nb["ipv6Rules"] == [] and nb["virtualNetworkRules"] == []
EOF
head -c 400 "$tmp/before.json" >"$tmp/h1"; head -c 400 "$tmp/az-st.json" >"$tmp/h2"
same "$tmp/h1" "$tmp/h2" "the text before the change is untouched"
run 0 storage account show -e "$tmp/az-st.json" -n stexported01 --query networkRuleSet.ipRules[0].value
has out '"25.1.2.3"'
cp "$top/tests/manage/az-keyvault-show.json" "$tmp/az-kv.json"
run 0 keyvault update -e "$tmp/az-kv.json" -n kv-exported01 --default-action Deny -o none
file_py "$tmp/az-kv.json" 'd["properties"]["networkAcls"] == {"bypass": "AzureServices", "defaultAction": "Deny", "ipRules": [], "virtualNetworkRules": []} and d["systemData"]["createdBy"] == "ops@example.com"' \
   "az's \"networkAcls\": null becomes Azure's default firewall"
run 0 check --estate "$tmp/az-kv.json" --resource kv-exported01 --from 25.1.2.3 --format json
py 'd["decision"] == "deny"' "moat check reads the az export after the change"

# --- keyvault ----------------------------------------------------------------
reset_estate
KVP=kv-nw-payments
run 0 keyvault show -e "$E" -n "$KVP" --query properties.networkAcls.bypass; has out '"None"'
run 0 keyvault network-rule list -e "$E" -n "$KVP"
py 'd["defaultAction"] == "Deny" and d["ipRules"] == []' "keyvault network-rule list"
run 0 keyvault network-rule add -e "$E" -n "$KVP" --ip-address 1.2.3.4 2.3.4.0/24 -o none
file_py "$KV" '[r["value"] for r in d["data"][1]["properties"]["networkAcls"]["ipRules"]] == ["1.2.3.4/32", "2.3.4.0/24"]' \
   "Key Vault stores a single address as /32"
grep -q '"ipRules": \[{"value": "1.2.3.4/32"}, {"value": "2.3.4.0/24"}\]' "$KV" &&
    pass=$((pass + 1)) || { echo "FAIL: a compact object stays compact"; fail=$((fail + 1)); }
cp "$KV" "$tmp/before.json"
run 0 keyvault network-rule add -e "$E" -n "$KVP" --ip-address 1.2.3.4/32
has err "overlaps with 1.2.3.4/32"; same "$KV" "$tmp/before.json" "a present rule writes nothing"
run 2 keyvault network-rule add -e "$E" -n "$KVP" --ip-address 5.5.5.5 5.5.0.0/16
has err "overlap; give each range once"
run 1 keyvault network-rule add -e "$E" -n "$KVP" --ip-address 2001:db8::/32
has err "IPv4 only"
run 1 keyvault network-rule add -e "$E" -n "$KVP" --ip-address 10.0.0.0/8 -o none
has err "private range"; has err "Key Vault IP rules take public addresses only"
KSUB=/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/resourceGroups/RG-X/providers/Microsoft.Network/virtualNetworks/VNET/subnets/Apps
run 0 keyvault network-rule add -e "$E" -n "$KVP" --subnet "$KSUB" --query properties.networkAcls.virtualNetworkRules
py 'd == [{"id": "'"${KSUB,,}"'", "resourceGroup": "rg-x"}]' "Key Vault stores subnet ids in lower case (az adds resourceGroup)"
run 0 keyvault network-rule remove -e "$E" -n "$KVP" --ip-address 1.2.3.4 --subnet "$KSUB" -o none
file_py "$KV" '[r["value"] for r in d["data"][1]["properties"]["networkAcls"]["ipRules"]] == ["2.3.4.0/24"] and d["data"][1]["properties"]["networkAcls"]["virtualNetworkRules"] == []' \
   "removing 1.2.3.4 removes 1.2.3.4/32"
run 2 keyvault update -e "$E" -n "$KVP" --bypass Logging; has err "AzureServices or None"
run 0 keyvault update -e "$E" -n "$KVP" --bypass azureservices --default-action Allow \
    --public-network-access Enabled --query properties.networkAcls
py 'd["bypass"] == "AzureServices" and d["defaultAction"] == "Allow"' "keyvault update"
run 2 keyvault network-rule add -e "$E" -n "$KVP"; has err "nothing to add"
run 3 keyvault show -e "$E" -n kv-none; has err "no key vault named"
python3 - "$tmp/kvfull.json" <<'EOF'
import json, sys
rules = [{"value": "30.%d.%d.0/24" % (i // 250, i % 250)} for i in range(1000)]
json.dump([{"id": "/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kvfull",
            "name": "kvfull", "type": "Microsoft.KeyVault/vaults", "location": "westeurope",
            "properties": {"tenantId": "2987efb7-f7cf-4546-a458-91d2550c48c7", "networkAcls": {"defaultAction": "Deny", "ipRules": rules}}}],
          open(sys.argv[1], "w"))
EOF
run 1 keyvault network-rule add -e "$tmp/kvfull.json" -n kvfull --ip-address 40.0.0.1
has err "at most 1000"

# --- network perimeter -----------------------------------------------------
reset_estate
G=rg-nw-security
run 0 network perimeter create -e "$E" -n nsp-new -g "$G" --query properties.provisioningState
has out '"Succeeded"'
file_py "$NSP" 'any(r["name"] == "nsp-new" and r["location"] == "westeurope" and r["id"].startswith("/subscriptions/69f2480c-") for r in d)' \
   "perimeter create takes the group's subscription and region"
cp "$NSP" "$tmp/before.json"
run 0 network perimeter create -e "$E" -n NSP-NEW -g "$G" -o none; has err "exists already"
same "$NSP" "$tmp/before.json" "creating an existing perimeter changes nothing"
run 2 network perimeter create -e "$E" -n nsp-x -g rg-empty; has err "give --subscription"
run 2 network perimeter create -e "$E" -n nsp-x -g rg-empty --subscription 69f2480c-acd7-4d9f-9100-82eb6a94806f
has err "give --location"
run 0 network perimeter create -e "$E" -n nsp-x -g rg-empty --subscription 69f2480c-acd7-4d9f-9100-82eb6a94806f -l westeurope -o none
run 0 network perimeter show -e "$E" -n nsp-new --query name; has out '"nsp-new"'
run 0 network perimeter list -e "$E" -g "$G" --query 'length(@)'; has out '^2$'
run 0 network perimeter profile create -e "$E" --perimeter-name nsp-new -g "$G" -n p1 --query properties
py 'd == {"accessRulesVersion": "0", "diagnosticSettingsVersion": "0"}' "a new profile"
run 3 network perimeter profile create -e "$E" --perimeter-name nsp-none -g "$G" -n p1
has err "no network security perimeter named"
run 0 network perimeter profile list -e "$E" --perimeter-name nsp-new --query 'length(@)'; has out '^1$'
R="network perimeter profile access-rule"
run 0 $R create -e "$E" --perimeter-name nsp-new --profile-name p1 -n ips --address-prefixes "['25.0.0.0/16', '2001:db8::/32']"
py 'd["properties"]["direction"] == "Inbound" and d["properties"]["addressPrefixes"] == ["25.0.0.0/16", "2001:db8::/32"] and d["properties"]["subscriptions"] == []' \
   "an inbound address rule (az's list shorthand)"
run 0 $R create -e "$E" --perimeter-name nsp-new --profile-name p1 -n subs \
    --subscriptions '[0].id=/subscriptions/8fda9fa2-48b6-4eb6-928c-c56d3b37241d' 210dfd20-6aea-4b12-9ca4-75aad969ab4f
py '[s["id"] for s in d["properties"]["subscriptions"]] == ["/subscriptions/8fda9fa2-48b6-4eb6-928c-c56d3b37241d", "/subscriptions/210dfd20-6aea-4b12-9ca4-75aad969ab4f"]' \
   "subscription rules hold /subscriptions/<guid>"
run 0 $R create -e "$E" --perimeter-name nsp-new --profile-name p1 -n out --direction outbound --fqdn api.example.com
py 'd["properties"]["direction"] == "Outbound" and d["properties"]["fullyQualifiedDomainNames"] == ["api.example.com"]' "an outbound rule"
run 0 network perimeter profile list -e "$E" --perimeter-name nsp-new --query '[0].properties.accessRulesVersion'
has out '"3"'
run 0 $R create -e "$E" --perimeter-name nsp-new --profile-name p1 -n ips --address-prefixes 26.0.0.0/8 \
    --query properties.addressPrefixes
has out '"26.0.0.0/8"'; lacks out "25.0.0.0"
run 0 $R list -e "$E" --perimeter-name nsp-new --profile-name p1 --query 'length(@)'; has out '^3$'
run 0 $R show -e "$E" --perimeter-name nsp-new --profile-name p1 -n subs --query name; has out '"subs"'
run 1 $R create -e "$E" --perimeter-name nsp-new --profile-name p1 -n bad --direction Outbound --address-prefixes 1.0.0.0/8
has err "make Inbound rules"
run 1 $R create -e "$E" --perimeter-name nsp-new --profile-name p1 -n bad --fqdn x.example.com
has err "make Outbound rules"
run 2 $R create -e "$E" --perimeter-name nsp-new --profile-name p1 -n bad; has err "needs --address-prefixes"
run 2 $R create -e "$E" --perimeter-name nsp-new --profile-name p1 -n bad --address-prefixes 300.1.1.1
has err "not an IPv4 or IPv6"
run 2 $R create -e "$E" --perimeter-name nsp-new --profile-name p1 -n bad --subscriptions nope
has err "expected a subscription id"
run 2 $R create -e "$E" --perimeter-name nsp-new --profile-name p1 -n bad --direction Sideways --fqdn a.b
has err "Inbound or Outbound"
run 3 $R create -e "$E" --perimeter-name nsp-new --profile-name p9 -n r --fqdn a.b --direction Outbound
has err "no profile named 'p9'"
BIG=$(python3 -c "print(' '.join('27.%d.%d.0/24' % (i // 200, i % 200) for i in range(199)))")
# shellcheck disable=SC2086
run 1 $R create -e "$E" --perimeter-name nsp-new --profile-name p1 -n big --address-prefixes $BIG
has err "at most 200"
run 0 $R delete -e "$E" --perimeter-name nsp-new --profile-name p1 -n out
run 0 $R list -e "$E" --perimeter-name nsp-new --profile-name p1 --query 'length(@)'; has out '^2$'
run 3 $R delete -e "$E" --perimeter-name nsp-new --profile-name p1 -n out; has err "no access rule"
A="network perimeter association"
PUBID=/subscriptions/69f2480c-acd7-4d9f-9100-82eb6a94806f/resourceGroups/rg-nw-web/providers/Microsoft.Storage/storageAccounts/$PUB
run 0 check --estate "$E" --resource "$PUB" --from 26.1.1.1 --format json
py 'd["decision"] == "allow" and d["category"] == "ResDefaultActionAllow"' "no perimeter yet"
run 0 $A create -e "$E" --perimeter-name nsp-new -n a1 --private-link-resource "{id:$PUBID}" --profile p1 --access-mode enforced
py 'd["properties"]["accessMode"] == "Enforced" and d["properties"]["profile"]["id"].endswith("/nsp-new/profiles/p1")' \
   "an association (shorthand id, profile by name)"
run 0 check --estate "$E" --resource "$PUB" --from 26.1.1.1 --format json
py 'd["decision"] == "allow" and d["category"].startswith("Nsp")' "the perimeter's rule admits 26.1.1.1"
run 0 check --estate "$E" --resource "$PUB" --from 25.1.1.1 --format json
py 'd["decision"] == "deny"' "Enforced: the perimeter denies what its rules do not admit"
run 0 $A update -e "$E" --perimeter-name nsp-new -n a1 --access-mode Learning --query properties.accessMode
has out '"Learning"'
run 0 check --estate "$E" --resource "$PUB" --from 25.1.1.1 --format json
py 'd["decision"] == "allow"' "Learning: the account's own rules decide again"
run 1 $A create -e "$E" --perimeter-name nsp-nw-prod -n a2 --private-link-resource "$PUBID" --profile prof-data
has err "one perimeter at most"
run 2 $A update -e "$E" --perimeter-name nsp-new -n a1 --access-mode Strict; has err "Learning, Enforced or"
run 2 $A update -e "$E" --perimeter-name nsp-new -n a1; has err "nothing to update"
run 3 $A update -e "$E" --perimeter-name nsp-new -n a9 --access-mode Audit; has err "no association"
run 3 $A create -e "$E" --perimeter-name nsp-new -n a3 --private-link-resource "$PUBID/x" --profile nope
has err "no profile named 'nope'"
run 2 $A create -e "$E" --perimeter-name nsp-new -n a3 --profile p1; has err "give --private-link-resource"
run 0 $A list -e "$E" --perimeter-name nsp-new --query 'length(@)'; has out '^1$'
run 0 $A show -e "$E" --perimeter-name nsp-new -n a1 --query name; has out '"a1"'
run 0 $A delete -e "$E" --perimeter-name nsp-new -n a1 -o none
run 0 $A list -e "$E" --perimeter-name nsp-new --query 'length(@)'; has out '^0$'
run 0 estate --estate "$E"   # the estate moat wrote loads cleanly
# An association there already changes in place: one line for the mode.
cp "$NSP" "$tmp/before.json"
run 0 $A update -e "$E" --perimeter-name nsp-nw-prod -n assoc-stnwtelemetry --access-mode Enforced -o none
[ "$(changed_lines "$tmp/before.json" "$NSP")" -eq 2 ] && pass=$((pass + 1)) ||
    { echo "FAIL: association update rewrote more than its mode"; diff "$tmp/before.json" "$NSP" | head; fail=$((fail + 1)); }
run 0 $R create -e "$E" --perimeter-name nsp-nw-prod --profile-name prof-data -n allow-hq \
    --address-prefixes 198.51.100.0/26 -o none
file_py "$NSP" '[r for r in d if r["name"] == "allow-hq"][0]["properties"]["addressPrefixes"] == ["198.51.100.0/26"] and len([r for r in d if r["name"] == "allow-hq"]) == 1' \
   "access-rule create replaces a rule of the same name in place"

# --- nothing lost: concurrent writers -------------------------------------
reset_estate
N=24
for i in $(seq 1 $N); do
    "$MOAT" storage account network-rule add -e "$E" --account-name "$PUB" \
        --ip-address "31.0.$i.0/24" -o none 2>>"$tmp/conc.err" &
    "$MOAT" keyvault network-rule add -e "$E" -n kv-nw-apps \
        --ip-address "32.0.$i.0/24" -o none 2>>"$tmp/conc.err" &
done
wait
file_py "$ST" 'sorted(r["value"] for r in d["value"][0]["properties"]["networkAcls"]["ipRules"]) == sorted("31.0.%d.0/24" % i for i in range(1, '$N' + 1))' \
   "$N concurrent storage writers: every rule is there"
file_py "$KV" 'sorted(r["value"] for r in d["data"][0]["properties"]["networkAcls"]["ipRules"] if r["value"].startswith("32.")) == sorted("32.0.%d.0/24" % i for i in range(1, '$N' + 1))' \
   "$N concurrent vault writers: every rule is there"
[ ! -s "$tmp/conc.err" ] && pass=$((pass + 1)) || { echo "FAIL: concurrent writers complained"; head -3 "$tmp/conc.err"; fail=$((fail + 1)); }

# --- nothing lost: symbolic links, read-only files, other writers ---------
# A write through a symbolic link changes the file it points to; the link
# stays a link (a rename over it once replaced the link with a copy).
reset_estate
mkdir -p "$tmp/real"
mv "$ST" "$tmp/real/storage.json"
ln -s ../real/storage.json "$ST"
run 0 storage account network-rule add -e "$E" --account-name "$PUB" --ip-address 25.1.2.3 -o none
[ -L "$ST" ] && pass=$((pass + 1)) || { echo "FAIL: the symbolic link was replaced"; fail=$((fail + 1)); }
file_py "$tmp/real/storage.json" '"25.1.2.3" in [r["value"] for r in d["value"][0]["properties"]["networkAcls"]["ipRules"]]' \
   "a write through a symbolic link changes its target"
run 0 storage account network-rule add -e "$ST" --account-name "$PUB" --ip-address 25.1.2.4 -o none
[ -L "$ST" ] && pass=$((pass + 1)) || { echo "FAIL: --estate LINK replaced the link"; fail=$((fail + 1)); }
file_py "$tmp/real/storage.json" '"25.1.2.4" in [r["value"] for r in d["value"][0]["properties"]["networkAcls"]["ipRules"]]' \
   "--estate LINK changes the link's target"
ls -a "$E" "$tmp/real" | grep -q 'moat-' && { echo "FAIL: a temporary file stayed"; fail=$((fail + 1)); } ||
    pass=$((pass + 1))
rm -rf "$tmp/real"

# A file nobody may write is not replaced (it once was, and took moat's
# owner); one that is replaced keeps its owner, group and mode.
reset_estate
chmod 444 "$ST"
cp "$ST" "$tmp/before.json"
run 4 storage account network-rule add -e "$E" --account-name "$PUB" --ip-address 25.1.2.3 -o none
has err "read-only"
same "$ST" "$tmp/before.json" "a read-only file is left alone"
[ "$(stat -c %a "$ST")" = 444 ] && pass=$((pass + 1)) || { echo "FAIL: the read-only file's mode changed"; fail=$((fail + 1)); }
run 0 storage account network-rule add -e "$E" --account-name "$PUB" --ip-address 25.1.2.3 --dry-run
has out "25.1.2.3"
if [ "$(id -u)" = 0 ]; then
    chmod 664 "$ST"
    chown 4321:5432 "$ST"
    run 0 storage account network-rule add -e "$E" --account-name "$PUB" --ip-address 25.1.2.5 -o none
    [ "$(stat -c %u:%g:%a "$ST")" = 4321:5432:664 ] && pass=$((pass + 1)) ||
        { echo "FAIL: owner, group or mode changed: $(stat -c %u:%g:%a "$ST")"; fail=$((fail + 1)); }
fi
# A file with another name (a hard link) is not replaced: the other name
# would keep the old rules.
reset_estate
ln "$ST" "$tmp/other-name.json"
run 4 storage account network-rule add -e "$E" --account-name "$PUB" --ip-address 25.1.2.3 -o none
has err "hard link"
same "$ST" "$tmp/other-name.json" "both names still hold one file"
rm -f "$tmp/other-name.json"

# Another program writes the file between moat's read and its rename (a
# real second process, started from moat's fsync of its temporary file):
# its change is kept, moat's refused (exit 4), never silently undone.
if so=$(preload_so race_fsync); then
    for how in rename in-place; do
        reset_estate
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["value"][0]["tags"]={"editor": "was here"}; json.dump(d, open(sys.argv[2], "w"), indent=2)' \
            "$ST" "$tmp/edited.json"
        if [ $how = rename ]; then writer="cp '$tmp/edited.json' '$E/.ed' && mv '$E/.ed' '$ST'"
        else writer="cat '$tmp/edited.json' > '$ST'"; fi
        ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD="$so" RACE_WRITER="$writer" \
            "$MOAT" storage account network-rule add -e "$E" --account-name "$PUB" \
            --ip-address 25.1.2.3 -o none 2>"$tmp/err"
        got=$?
        [ $got -eq 4 ] && pass=$((pass + 1)) || { echo "FAIL: ($how) a change under moat's feet: exit $got, expected 4"; fail=$((fail + 1)); }
        has err "changed since moat read it"
        same "$ST" "$tmp/edited.json" "($how) the other writer's change is kept"
    done
else
    echo "FAIL: cannot build the race_fsync preload"; fail=$((fail + 1))
fi

# --- nothing lost: a crash between writing and renaming --------------------
if [ -n "${CRASH_SO:-}" ]; then
    reset_estate
    chmod 640 "$ST"
    cp "$ST" "$tmp/before.json"
    # (An inner shell, so that the "Killed" notice goes to /dev/null.)
    bash -c '"$@"; exit $?' crash env ASAN_OPTIONS=verify_asan_link_order=0 \
        LD_PRELOAD="$CRASH_SO" "$MOAT" storage account network-rule add \
        -e "$E" --account-name "$PUB" --ip-address 25.1.2.3 -o none 2>/dev/null
    got=$?
    [ "$got" -eq 137 ] && pass=$((pass + 1)) || { echo "FAIL: the preloaded crash did not happen ($got)"; fail=$((fail + 1)); }
    same "$ST" "$tmp/before.json" "after a crash before the rename the old file is intact"
    ls -a "$E" | grep -q '^\.storage\.json\.moat-' && pass=$((pass + 1)) ||
        { echo "FAIL: the crash left no temporary file to clean"; fail=$((fail + 1)); }
    run 0 storage account network-rule add -e "$E" --account-name "$PUB" --ip-address 25.1.2.3 -o none
    ls -a "$E" | grep -q '^\.storage\.json\.moat-' && { echo "FAIL: the stale temporary file stayed"; fail=$((fail + 1)); } ||
        pass=$((pass + 1))
    [ "$(stat -c %a "$ST")" = 640 ] && pass=$((pass + 1)) || { echo "FAIL: the file's mode changed"; fail=$((fail + 1)); }
fi

finish "manage"
