#!/usr/bin/env bash
# An az-style command writing through a symbolic link changes the file
# the link names and leaves the link alone. The rename once went over the
# link itself: the link became a private copy holding the change, and the
# real estate file (the one `moat check`, a repository or another
# directory reads) silently kept the old rules.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

mkdir -p "$tmp/repo" "$tmp/estate"
cp -r "$top/examples/estate/." "$tmp/repo/"
for f in "$tmp"/repo/*.json; do ln -s "../repo/$(basename "$f")" "$tmp/estate/$(basename "$f")"; done
ips() { python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); d = d if isinstance(d, list) else d.get("value") or d.get("data")
print(" ".join(r["value"] for x in d if x.get("name") == sys.argv[2]
               for r in x["properties"]["networkAcls"]["ipRules"]))' "$@"; }

run 0 storage account network-rule add -e "$tmp/estate" --account-name stnwshipments --ip-address 25.1.2.3 -o none
run 0 keyvault network-rule add -e "$tmp/estate/keyvaults.json" -n kv-nw-apps --ip-address 32.0.0.0/24 -o none
for f in storage keyvaults; do
    if [ -L "$tmp/estate/$f.json" ]; then pass=$((pass + 1)); else
        echo "FAIL: $f.json is no longer a symbolic link"; fail=$((fail + 1)); fi
done
case " $(ips "$tmp/repo/storage.json" stnwshipments) " in
*" 25.1.2.3 "*) pass=$((pass + 1)) ;;
*) echo "FAIL: the link's target lacks the storage rule"; fail=$((fail + 1)) ;;
esac
case " $(ips "$tmp/repo/keyvaults.json" kv-nw-apps) " in
*" 32.0.0.0/24 "*) pass=$((pass + 1)) ;;
*) echo "FAIL: the link's target lacks the vault rule"; fail=$((fail + 1)) ;;
esac
# What moat check reads through the links is the change.
run 0 check --estate "$tmp/estate" --resource stnwshipments --from 25.1.2.3 --format json
has out '"decision":"allow"'
finish "writes through symbolic links"
