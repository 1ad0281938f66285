#!/usr/bin/env bash
# tests/cli/manage_nsp.sh - perimeter links and link references (`moat
# network perimeter link|link-reference ...`) and a storage account's
# perimeter configurations (`moat storage account network-security-
# perimeter-configuration ...`), with `moat check` deciding a request from
# a linked perimeter as decision.md section 7 says; and virtual networks
# and subnets (`moat network vnet ...`), their service endpoints deciding.
# MOAT names the binary.
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

cp -r "$top/examples/estate" "$tmp/estate"
E="$tmp/estate"
NSP="$E/perimeters.json"
G=rg-nw-security
SUB=69f2480c-acd7-4d9f-9100-82eb6a94806f
PUB=stnwpublicassets
PUBID=/subscriptions/$SUB/resourceGroups/rg-nw-web/providers/Microsoft.Storage/storageAccounts/$PUB
NSPS=/subscriptions/$SUB/resourceGroups/$G/providers/Microsoft.Network/networkSecurityPerimeters
L="network perimeter link"

run 0 network perimeter --help; has out "link create"; has out "link-reference delete"
run 0 $L create --help; has out "--auto-remote-nsp-id"; has out "--remote-inbound-profile"
run 0 storage account --help; has out "network-security-perimeter-configuration show"

# nsp-a holds the account (Enforced, profile p1, no rules admitting 25/8);
# nsp-b holds the caller.
run 0 network perimeter create -e "$E" -n nsp-a -g $G -o none
run 0 network perimeter create -e "$E" -n nsp-b -g $G -o none
run 0 network perimeter profile create -e "$E" --perimeter-name nsp-a -g $G -n p1 -o none
run 0 network perimeter profile create -e "$E" --perimeter-name nsp-a -g $G -n p2 -o none
run 0 network perimeter profile access-rule create -e "$E" --perimeter-name nsp-a -g $G \
    --profile-name p1 -n hq --address-prefixes 198.51.100.0/24 -o none
run 0 network perimeter association create -e "$E" --perimeter-name nsp-a -g $G -n a1 \
    --private-link-resource "$PUBID" --profile p1 --access-mode Enforced -o none
run 0 network perimeter show -e "$E" -n nsp-a -g $G --query properties.perimeterGuid -o tsv
GA=$(cat "$tmp/out")
run 0 network perimeter show -e "$E" -n nsp-b -g $G --query properties.perimeterGuid -o tsv
GB=$(cat "$tmp/out")

decide() { # expected decision, category prefix, extra flags, what
    run 0 check --estate "$E" --resource "$PUB" --from 25.1.1.1 --perimeter "$GB" $3 --format json
    py "d['decision'] == '$1' and d['category'].startswith('$2')" "$4"
}
decide deny NspPublicInboundPerimeterRulesDenied "" "no link: nsp-b's callers are outsiders"

# A link in nsp-b to nsp-a: nsp-a's profiles the link lists as remote
# inbound are reached from nsp-b.
run 0 $L create -e "$E" --perimeter-name nsp-b -g $G -n to-a --auto-remote-nsp-id "$NSPS/nsp-a" \
    --remote-inbound-profile "['p1']"
py "d['properties']['status'] == 'Approved' and d['properties']['remotePerimeterGuid'] == '$GA' \
    and d['properties']['localInboundProfiles'] == ['*'] and d['properties']['remoteInboundProfiles'] == ['p1'] \
    and d['properties']['description'] == 'Auto Approved.' and d['properties']['localOutboundProfiles'] == ['*']" \
   "a link, auto-approved, with az's defaults"
decide allow NspCrossPerimeterInboundAllowed "" "an Approved link admits nsp-b's callers to p1"
decide deny NspPublicInbound "--auth SAS" "a link admits OAuth callers only"
run 0 network perimeter link-reference list -e "$E" --perimeter-name nsp-a -g $G
py "len(d) == 1 and d[0]['name'] == 'Ref-from-to-a-$GB' and d[0]['properties']['localInboundProfiles'] == ['p1'] \
    and d[0]['properties']['remoteInboundProfiles'] == ['*'] and d[0]['properties']['remotePerimeterGuid'] == '$GB'" \
   "the reference Azure leaves in nsp-a: the link seen from there"
run 0 $L update -e "$E" --perimeter-name nsp-b -g $G -n to-a --remote-inbound-profile p2 \
    --query properties.remoteInboundProfiles -o tsv
has out '^p2$'
decide deny NspPublicInbound "" "p1 is not among the link's profiles any more"
run 0 network perimeter link-reference show -e "$E" --perimeter-name nsp-a -g $G -n "Ref-from-to-a-$GB" \
    --query properties.localInboundProfiles -o tsv
has out '^p2$'
run 0 $L update -e "$E" --perimeter-name nsp-b -g $G -n to-a --remote-inbound-profile '*' -o none
decide allow NspCrossPerimeterInboundAllowed "" "'*' is every profile"
run 0 $L list -e "$E" --perimeter-name nsp-b -g $G --query 'length(@)'; has out '^1$'
run 0 $L show -e "$E" --perimeter-name nsp-b -g $G -n to-a --query name; has out '"to-a"'

# Deleting the link leaves its reference Disconnected: nothing admits.
run 0 $L delete -e "$E" --perimeter-name nsp-b -g $G -n to-a --yes
[ -s "$tmp/out" ] && { echo "FAIL: link delete printed"; fail=$((fail + 1)); } || pass=$((pass + 1))
decide deny NspPublicInbound "" "the link is gone; a Disconnected reference admits nothing"
run 0 network perimeter link-reference show -e "$E" --perimeter-name nsp-a -g $G -n "Ref-from-to-a-$GB" \
    --query properties.status
has out '"Disconnected"'
run 0 network perimeter link-reference delete -e "$E" --perimeter-name nsp-a -g $G -n "Ref-from-to-a-$GB" --yes
run 0 network perimeter link-reference list -e "$E" --perimeter-name nsp-a -g $G --query 'length(@)'; has out '^0$'

# A link the other way round (in nsp-a: its local profiles); deleting its
# reference in nsp-b disconnects it.
run 0 $L create -e "$E" --perimeter-name nsp-a -g $G -n to-b --auto-remote-nsp-id "$NSPS/nsp-b" \
    --local-inbound-profile p1 -o none
decide allow NspCrossPerimeterInboundAllowed "" "a link in the account's perimeter listing p1 as local inbound"
run 0 network perimeter link-reference delete -e "$E" --perimeter-name nsp-b -g $G -n "Ref-from-to-b-$GA" -y
run 0 $L show -e "$E" --perimeter-name nsp-a -g $G -n to-b --query properties.status; has out '"Disconnected"'
decide deny NspPublicInbound "" "a Disconnected link admits nothing"
run 0 estate --estate "$E"   # what moat wrote loads cleanly

# What Azure refuses, and usage errors.
run 3 $L create -e "$E" --perimeter-name nsp-b -g $G -n x --auto-remote-nsp-id "$NSPS/nsp-zz"
has err "not in the estate"
run 1 $L create -e "$E" --perimeter-name nsp-b -g $G -n x --auto-remote-nsp-id "$NSPS/nsp-b"
has err "joins two perimeters"
run 2 $L create -e "$E" --perimeter-name nsp-b -g $G -n x; has err "--auto-remote-nsp-id"
run 2 $L update -e "$E" --perimeter-name nsp-a -g $G -n to-b; has err "nothing to update"
run 3 $L update -e "$E" --perimeter-name nsp-a -g $G -n none --description x; has err "no link named"
run 1 $L update -e "$E" --perimeter-name nsp-a -g $G -n to-b --auto-remote-nsp-id "$NSPS/nsp-new"
has err "does not change"
cp "$NSP" "$tmp/before.json"
run 0 $L create -e "$E" --perimeter-name nsp-b -g $G -n dry --auto-remote-nsp-id "$NSPS/nsp-a" --dry-run
has out "Ref-from-dry-"
cmp -s "$NSP" "$tmp/before.json" && pass=$((pass + 1)) || { echo "FAIL: --dry-run wrote"; fail=$((fail + 1)); }

# The account's perimeter configuration: computed from the estate.
C="storage account network-security-perimeter-configuration"
run 0 $C list -e "$E" --account-name $PUB -g rg-nw-web
py "len(d) == 1 and d[0]['name'] == '$GA.a1' and d[0]['resourceAssociation'] == {'name': 'a1', 'accessMode': 'Enforced'} \
    and d[0]['networkSecurityPerimeter']['perimeterGuid'] == '$GA' and d[0]['profile']['name'] == 'p1' \
    and d[0]['profile']['accessRulesVersion'] == 1 \
    and d[0]['profile']['accessRules'] == [{'name': 'hq', 'properties': {'direction': 'Inbound', \
        'addressPrefixes': ['198.51.100.0/24'], 'subscriptions': [], 'networkSecurityPerimeters': [], \
        'fullyQualifiedDomainNames': []}}] \
    and d[0]['id'] == '$PUBID/networkSecurityPerimeterConfigurations/$GA.a1'" \
   "the configuration: perimeter, association, profile and its rules"
run 0 $C show -e "$E" --account-name $PUB -g rg-nw-web -n "$GA.a1" --query resourceAssociation.accessMode -o tsv
has out '^Enforced$'
run 0 $C show -e "$E" --ids "$PUBID/networkSecurityPerimeterConfigurations/$GA.a1" --query name -o tsv
has out "^$GA.a1\$"
run 0 $C reconcile -e "$E" --account-name $PUB -g rg-nw-web --network-security-perimeter-configuration-name "$GA.a1"
[ -s "$tmp/out" ] && { echo "FAIL: reconcile printed"; fail=$((fail + 1)); } || pass=$((pass + 1))
run 3 $C show -e "$E" --account-name $PUB -g rg-nw-web -n "$GA.nope"; has err "no network security perimeter configuration"
run 2 $C show -e "$E" --account-name $PUB -g rg-nw-web; has err "give the configuration"
run 2 $C list -e "$E" --account-name Not_An_Account; has err "lower-case letters"
run 0 $C list -e "$E" --account-name stnwshipments --query 'length(@)'; has out '^0$'
run 0 network perimeter association update -e "$E" --perimeter-name nsp-a -g $G -n a1 --access-mode Learning -o none
run 0 $C list -e "$E" --account-name $PUB -o tsv --query '[].resourceAssociation.accessMode'; has out '^Learning$'


# --- virtual networks and subnets: service endpoints --------------------
V="network vnet"
run 0 $V create -e "$E" -g rg-nw-web -n vnet-new --subnet-name s1 -l westeurope --subscription $SUB
py "d['newVNet']['properties']['addressSpace']['addressPrefixes'] == ['10.0.0.0/16'] \
    and d['newVNet']['properties']['subnets'][0]['properties']['addressPrefix'] == '10.0.0.0/24'" \
   "vnet create: az's defaults, wrapped in newVNet as az prints it"
SID=/subscriptions/$SUB/resourceGroups/rg-nw-web/providers/Microsoft.Network/virtualNetworks/vnet-new/subnets/s1
run 0 storage account update -e "$E" -n $PUB --default-action Deny -o none
run 0 storage account network-rule add -e "$E" --account-name $PUB --subnet "$SID" -o none
run 0 check --estate "$E" --resource "$PUB" --from 10.0.0.4 --subnet "$SID" --format json
py "d['decision'] == 'deny'" "a subnet without a Microsoft.Storage endpoint does not reach the account"
run 0 $V subnet update -e "$E" -g rg-nw-web --vnet-name vnet-new -n s1 --service-endpoints Microsoft.Storage
py "d['properties']['serviceEndpoints'] == [{'provisioningState': 'Succeeded', 'service': 'Microsoft.Storage', \
    'locations': ['westeurope', 'northeurope']}]" "a Storage endpoint lists the region and its pair"
run 0 check --estate "$E" --resource "$PUB" --from 10.0.0.4 --subnet "$SID" --format json
py "d['decision'] == 'allow'" "with the endpoint the account's virtual network rule admits"
run 0 $V subnet create -e "$E" -g rg-nw-web --vnet-name vnet-new -n s2 --address-prefixes 10.0.1.0/24 \
    --service-endpoints Microsoft.KeyVault --query properties.serviceEndpoints[0].locations -o tsv
has out '^\*$'
run 0 $V subnet show -e "$E" -g rg-nw-web --vnet-name vnet-new -n s2 --query properties.addressPrefix -o tsv
has out '^10.0.1.0/24$'
run 0 $V subnet update -e "$E" -g rg-nw-web --vnet-name vnet-new -n s1 --service-endpoints "" \
    --query 'length(properties.serviceEndpoints)'
has out '^0$'
run 0 check --estate "$E" --resource "$PUB" --from 10.0.0.4 --subnet "$SID" --format json
py "d['decision'] == 'deny'" "endpoints removed: denied again"
run 0 $V show -e "$E" -g rg-nw-web -n vnet-new --query 'length(properties.subnets)'; has out '^2$'
run 3 $V subnet show -e "$E" -g rg-nw-web --vnet-name vnet-new -n s9; has err "no subnet named"
run 2 $V subnet create -e "$E" -g rg-nw-web --vnet-name vnet-new -n s3; has err "give --address-prefixes"
run 2 $V subnet create -e "$E" -g rg-nw-web --vnet-name vnet-new -n s3 --address-prefixes 10.0.300.0/24
has err "not a CIDR range"
run 2 $V subnet update -e "$E" -g rg-nw-web --vnet-name vnet-new -n s1; has err "nothing to update"
run 0 $V create -e "$E" -g rg-nw-web -n vnet-new --subscription $SUB -o none; has err "exists already"
run 0 estate --estate "$E"

# --ids on the perimeter commands, as az's id_part arguments: the id names
# the perimeter and each parent; one id prints an object, several a list.
R="$NSPS/nsp-a/profiles/p1/accessRules/hq"
run 0 network perimeter show -e "$E" --ids "$NSPS/nsp-a" --query name -o tsv; has out '^nsp-a$'
run 0 network perimeter profile access-rule show -e "$E" --ids "$R" --query name -o tsv; has out '^hq$'
run 0 network perimeter association show -e "$E" --ids "$NSPS/nsp-a/resourceAssociations/a1" \
    --query name -o tsv; has out '^a1$'
run 0 network perimeter show -e "$E" --ids "$NSPS/nsp-a $NSPS/nsp-b" --query 'length(@)'; has out '^2$'
run 2 network perimeter profile access-rule show -e "$E" --ids "$NSPS/nsp-a/profiles/p1"
has err "is not the ARM id of what"
run 2 network perimeter profile access-rule show -e "$E" --ids "$R" -n hq; has err "not both"
run 2 network perimeter profile access-rule create -e "$E" --ids "$R"; has err "names its resource with flags"
run 0 network perimeter profile access-rule create -e "$E" --perimeter-name nsp-a -g $G \
    --profile-name p1 -n gone --address-prefixes 192.0.2.0/24 -o none
run 0 network perimeter profile access-rule delete -e "$E" --ids "$NSPS/nsp-a/profiles/p1/accessRules/gone"
run 3 network perimeter profile access-rule show -e "$E" --ids "$NSPS/nsp-a/profiles/p1/accessRules/gone"

finish "manage nsp"
