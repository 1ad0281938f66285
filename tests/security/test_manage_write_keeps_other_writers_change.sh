#!/usr/bin/env bash
# A change another program makes to an estate file between moat's read and
# its rename is not lost. The other program (an editor saving, a script)
# takes no lock, so moat's flock cannot keep it out; moat compared nothing
# and renamed its own text over the file, undoing that change without a
# word. Now moat checks, right before the rename, that the file is what it
# read (same file, size, time and text) and otherwise refuses (exit 4),
# keeping the other change. The second writer here is a real process,
# started from moat's fsync of its temporary file: saving by rename (most
# editors) and writing in place (shell redirection).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

so=$(preload_so race_fsync) || { echo "FAIL: cannot build the preload"; exit 1; }
export ASAN_OPTIONS=verify_asan_link_order=0
for how in rename in-place; do
    rm -rf "$tmp/estate"; cp -r "$top/examples/estate" "$tmp/estate"
    KV="$tmp/estate/keyvaults.json"
    # The other writer removes the vault's IP rules: a tightening moat must
    # not silently undo.
    python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
for r in d["data"]:
    if (r["properties"].get("networkAcls") or {}).get("ipRules"):
        r["properties"]["networkAcls"]["ipRules"] = []
json.dump(d, open(sys.argv[2], "w"), indent=2)' "$KV" "$tmp/tightened.json"
    if [ $how = rename ]; then writer="cp '$tmp/tightened.json' '$KV.new' && mv '$KV.new' '$KV'"
    else writer="cat '$tmp/tightened.json' > '$KV'"; fi
    RACE_WRITER="$writer" LD_PRELOAD="$so" "$MOAT" keyvault update -e "$tmp/estate" \
        -n kv-nw-payments --default-action Allow -o none 2>"$tmp/err"
    got=$?
    if [ $got -eq 4 ]; then pass=$((pass + 1)); else
        echo "FAIL: ($how) exit $got, expected 4"; fail=$((fail + 1)); fi
    has err "changed since moat read it"
    if cmp -s "$KV" "$tmp/tightened.json"; then pass=$((pass + 1)); else
        echo "FAIL: ($how) the other writer's change was undone"; fail=$((fail + 1)); fi
    ls -a "$tmp/estate" | grep -q moat- && { echo "FAIL: ($how) a temporary file stayed"; fail=$((fail + 1)); }
    # Run again, moat changes the file as it now is.
    run 0 keyvault update -e "$tmp/estate" -n kv-nw-payments --default-action Allow -o none
done
finish "another writer's change kept"
