#!/bin/sh
# Estate files are regular files of at most 1 GiB. Before the fix
# `--estate /dev/zero` read forever and an estate FIFO (given, or *.json in
# an estate directory) blocked moat until someone wrote it; now each is
# refused at once, naming the file (exit 3).
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
refused() { # WHAT NAME ARGS...: moat refuses within 20 s, naming NAME
    what=$1 name=$2; shift 2
    timeout 20 "$MOAT" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    if [ "$rc" -eq 3 ] && grep -q -- "$name" "$tmp/err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $what: exit $rc (124: still reading after 20 s)"
        head -3 "$tmp/err"
    fi
}
refused "/dev/zero" "/dev/zero: a character device" \
    check --estate /dev/zero --resource x --from 1.2.3.4
mkfifo "$tmp/estate.json"
refused "a FIFO" "estate.json: a FIFO" \
    check --estate "$tmp/estate.json" --resource x --from 1.2.3.4
mkdir "$tmp/dir"
printf '{"id":"/s/x","type":"Microsoft.Storage/storageAccounts","location":"x"}' \
    >"$tmp/dir/a.json"
mkfifo "$tmp/dir/b.json"
refused "a FIFO in an estate directory" "dir/b.json: a FIFO" \
    estate --estate "$tmp/dir"
echo "estate files that never end: $pass checks passed, $fail failed"
[ "$fail" -eq 0 ]
