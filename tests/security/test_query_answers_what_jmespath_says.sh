#!/usr/bin/env bash
# --query answers what JMESPath says, or refuses (exit 2) showing where the
# expression fails. Its first version, a dotted path, once read
# `ipRules[].value` as `ipRules[0].value` (the first of two rules, exit 0),
# `[].name` of a list as its first name, and a projection (`{a: name}`), a
# pipe or an unknown function as a member name that was "not in the
# resource" (nothing printed, exit 0): a script checking that every rule is
# there saw one. Now each answer is compared with python3-jmespath's (the
# library az runs) on the JSON moat prints.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

E="$top/examples/estate"
SHIP=stnwshipments   # two IP rules
PY=${JMESPATH_PYTHON:-/usr/bin/python3}
if ! "$PY" -c 'import jmespath' 2>/dev/null; then
    echo "python3-jmespath is missing: scripts/deps installs it"
    exit 1
fi
show() { run "$1" storage account show -e "$E" -n "$SHIP" ${2+--query "$2"}; }
list() { run "$1" storage account network-rule list -e "$E" --account-name "$SHIP" ${2+--query "$2"}; }

# The answer of moat's --query $2 is python3-jmespath's on the JSON moat
# prints without it ($1: show or list); null is nothing on stdout.
same_as_jmespath() {
    $1 0 && cp "$tmp/out" "$tmp/whole.json"
    $1 0 "$2" || return
    if "$PY" - "$tmp/whole.json" "$tmp/out" "$2" <<'PY'; then
import json, sys, jmespath
whole = json.load(open(sys.argv[1]))
want = jmespath.search(sys.argv[3], whole)
text = open(sys.argv[2]).read()
got = json.loads(text) if text.strip() else None
sys.exit(0 if json.dumps(got) == json.dumps(want) else 1)
PY
        pass=$((pass + 1))
    else
        echo "FAIL: --query '$2' differs from python3-jmespath's answer"
        fail=$((fail + 1))
    fi
}

for q in 'networkRuleSet.ipRules[].ipAddressOrRange' \
         'networkRuleSet.ipRules[*].ipAddressOrRange' '{a: name}' 'name || id' \
         'name | length(@)' 'sort(keys(@))' \
         "networkRuleSet.ipRules[?action=='Allow'].ipAddressOrRange" '"name"' \
         'networkRuleSet.ipRules[ 1].ipAddressOrRange' '@.name' \
         'networkRuleSet.ipRules[0:1]' \
         'networkRuleSet.ipRules[5].ipAddressOrRange' 'name.nothing'; do
    same_as_jmespath show "$q"
done
for q in '[].ipAddressOrRange' 'ipRules[].ipAddressOrRange' '[*].value' \
         'ipRules[-1].ipAddressOrRange' 'length(ipRules)' \
         "ipRules[?ipAddressOrRange == '198.51.100.0/26'].action"; do
    same_as_jmespath list "$q"
done
# Not JMESPath: refused, nothing printed, the place shown.
for q in '{}' 'a..b' 'name.' '.name' 'networkRuleSet.ipRules[+1].value' \
         'length(networkRuleSet.ipRules' 'length()' 'ipRules[0]x' '' \
         'tags.env-name' 'nope(@)'; do
    show 2 "$q" && has err "is not JMESPath" && has err '^ *\^$' && lacks out "."
done
# moat prints az's shape (properties flattened, ipAddressOrRange); the
# file's ARM names answer lookups too.
show 0 'properties.networkAcls.ipRules[].value'
py 'd == ["198.51.100.0/26", "203.0.113.40"]' "ARM's names, projected"
show 0 'networkRuleSet.ipRules[].value'
py 'd == ["198.51.100.0/26", "203.0.113.40"]' "an IP rule's ARM value"
# Past the end, or a member of a string: JMESPath's null, said on stderr.
show 0 'networkRuleSet.ipRules[5].value'; has err "not in the resource"; lacks out "."
finish "--query answers what JMESPath says"
