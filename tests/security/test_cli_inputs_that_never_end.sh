#!/bin/sh
# Every other file moat reads whole (a request, suppressions, a baseline,
# a replay partial, serve's topology and keys, the az-style commands'
# estate files) is a regular file or a pipe of at most 1 GiB. Before the
# fix `--request /dev/zero` read until memory ran out, and an az-style
# command over an estate directory holding a FIFO named *.json blocked
# until someone wrote it; now each is refused at once, naming the file.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
top=$(cd "$(dirname "$0")/../.." && pwd)
refused() { # WHAT WANT-EXIT PATTERN ARGS...: refused within 20 s, naming it
    what=$1 want=$2 pattern=$3; shift 3
    timeout 20 "$MOAT" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    if [ "$rc" -eq "$want" ] && grep -q -- "$pattern" "$tmp/err"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $what: exit $rc, expected $want (124: still reading after 20 s)"
        head -3 "$tmp/err"
    fi
}
refused "check --request /dev/zero" 2 "/dev/zero: not a regular file (a device)" \
    check --estate "$top/examples/estate" --request /dev/zero
refused "audit --suppressions /dev/zero" 3 "/dev/zero: not a regular file" \
    audit --estate "$top/examples/estate" --suppressions /dev/zero
refused "check --request DIR" 2 "not a regular file (a directory)" \
    check --estate "$top/examples/estate" --request "$tmp"
mkdir "$tmp/estate"
cp "$top/examples/estate/storage.json" "$tmp/estate/"
mkfifo "$tmp/estate/zz-fifo.json"
# The az-style command edits the file that holds the account and does not
# wait on the FIFO (the loader reports it when the estate is loaded).
timeout 20 "$MOAT" storage account network-rule add --estate "$tmp/estate" \
    --account-name stnwshipments --ip-address 198.51.100.77 -o none \
    >"$tmp/out" 2>"$tmp/err" </dev/null
rc=$?
if [ "$rc" -eq 0 ] && grep -q 198.51.100.77 "$tmp/estate/storage.json"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL: az-style command over a directory with a FIFO: exit $rc (124: blocked on the FIFO)"
    head -3 "$tmp/err"
fi
# A pipe is still read to its end: process substitution and stdin.
printf '{"resource":"stnwshipments","source":{"ip":"8.8.8.8"}}' >"$tmp/req.json"
if timeout 20 "$MOAT" check --estate "$top/examples/estate" --request - \
    --format json <"$tmp/req.json" | grep -q '"decision":"deny"'; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL: a request on stdin is still read"
fi
echo "inputs that never end: $pass checks passed, $fail failed"
[ "$fail" -eq 0 ]
