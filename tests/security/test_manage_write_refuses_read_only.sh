#!/usr/bin/env bash
# A read-only estate file is not replaced, and a file that is replaced
# keeps its owner, group and mode. The rename once replaced a file nobody
# was meant to write (chmod a-w, or another user's file in a shared
# directory), and the new file belonged to whoever ran moat.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

cp -r "$top/examples/estate" "$tmp/estate"
NSP="$tmp/estate/perimeters.json"
chmod a-w "$NSP"
cp "$NSP" "$tmp/before.json"
run 4 network perimeter association update -e "$tmp/estate" --perimeter-name nsp-nw-prod \
    -n assoc-stnwtelemetry --access-mode Enforced -o none
has err "read-only"
if cmp -s "$NSP" "$tmp/before.json" && [ "$(stat -c %a "$NSP")" = 444 ]; then pass=$((pass + 1)); else
    echo "FAIL: the read-only file was replaced"; fail=$((fail + 1)); fi
chmod 640 "$NSP"
if [ "$(id -u)" = 0 ]; then chown 2345:3456 "$NSP"; fi
want=$(stat -c %u:%g:%a "$NSP")
run 0 network perimeter association update -e "$tmp/estate" --perimeter-name nsp-nw-prod \
    -n assoc-stnwtelemetry --access-mode Enforced -o none
if [ "$(stat -c %u:%g:%a "$NSP")" = "$want" ]; then pass=$((pass + 1)); else
    echo "FAIL: owner, group and mode $want became $(stat -c %u:%g:%a "$NSP")"; fail=$((fail + 1)); fi
has_mode=$(python3 -c 'import json,sys; print([r["properties"]["accessMode"] for r in json.load(open(sys.argv[1])) if r["name"] == "assoc-stnwtelemetry"][0])' "$NSP")
[ "$has_mode" = Enforced ] && pass=$((pass + 1)) || { echo "FAIL: the change is not there"; fail=$((fail + 1)); }
finish "read-only files, owners and modes"
