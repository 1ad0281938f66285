#!/usr/bin/env bash
# --query answers exactly what its dotted path says, or refuses (exit 2)
# with what it supports. It once read `ipRules[].value` as `ipRules[0].value`
# (the first of two rules, exit 0), `[].name` of a list as its first name,
# and a projection (`{a: name}`), a pipe or an unknown function as a member
# name that was "not in the resource" (nothing printed, exit 0): a script
# checking that every rule is there saw one.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

E="$top/examples/estate"
SHIP=stnwshipments   # two IP rules
show() { run "$1" storage account show -e "$E" -n "$SHIP" --query "$2"; }
list() { run "$1" storage account network-rule list -e "$E" --account-name "$SHIP" --query "$2"; }

for q in 'networkRuleSet.ipRules[].value' 'networkRuleSet.ipRules[*].value' \
         '{a: name}' '{}' 'name || id' 'name | length(@)' 'keys(@)' \
         'networkRuleSet.ipRules[?action==`Allow`]' 'a..b' 'name.' '.name' \
         '"name"' 'networkRuleSet.ipRules[+1].value' 'networkRuleSet.ipRules[ 1].value' \
         'length(networkRuleSet.ipRules' 'length()' 'ipRules[0]x' '' '@.name' \
         'networkRuleSet.ipRules[0:1]' 'tags.env-name'; do
    show 2 "$q" && has err "--query supports" && lacks out "."
done
for q in '[].value' 'ipRules[].value' '[*].value' '{}'; do
    list 2 "$q" && has err "--query supports"
done
# What the path supports still answers, exactly.
show 0 'networkRuleSet.ipRules[1].value'; has out '^"203.0.113.40"$'
show 0 'networkRuleSet.ipRules[-1].value'; has out '^"203.0.113.40"$'
show 0 'length(networkRuleSet.ipRules)'; has out '^2$'
show 0 'name'; has out '^"stnwshipments"$'
list 0 'ipRules[0].value'; has out '^"198.51.100.0/26"$'
list 0 'length(ipRules)'; has out '^2$'
# Past the end, or a member of a string: JMESPath's null, said on stderr.
show 0 'networkRuleSet.ipRules[5].value'; has err "not in the resource"; lacks out "."
finish "--query refuses what it cannot read"
