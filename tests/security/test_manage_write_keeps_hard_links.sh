#!/usr/bin/env bash
# An estate file with another name (a hard link) is not replaced: a rename
# gives the name moat wrote a new file and leaves every other name with
# the old rules, so the estate differs by the name it is read under.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

cp -r "$top/examples/estate" "$tmp/estate"
ln "$tmp/estate/storage.json" "$tmp/published-storage.json"
run 4 storage account update -e "$tmp/estate" -n stnwshipments --default-action Allow -o none
has err "hard link"
if [ "$tmp/estate/storage.json" -ef "$tmp/published-storage.json" ]; then pass=$((pass + 1)); else
    echo "FAIL: the two names no longer hold one file"; fail=$((fail + 1)); fi
finish "hard links"
