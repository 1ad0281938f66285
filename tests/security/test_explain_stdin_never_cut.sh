#!/bin/sh
# moat explain reads a failure from standard input whole or not at all: an
# input over its 1 MiB cap is refused (exit 4, "larger than"), never cut.
# Before the fix explain stopped reading at 1 MiB without a word and
# answered on the part it had read (exit 0 here, on a megabyte of spaces:
# the Key Vault error after the cap was never seen).
set -u
pass=0 fail=0
check() { if [ "$1" -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $2"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
body='{"error":{"code":"Forbidden","message":"Client address is not authorized and caller is not a trusted service.\r\nClient address: 203.0.113.9","innererror":{"code":"ForbiddenByFirewall"}}}'
{ head -c 1100000 /dev/zero | tr '\0' ' '; printf '%s\n' "$body"; } >"$tmp/big"
"$MOAT" explain <"$tmp/big" >"$tmp/out" 2>"$tmp/err"
rc=$?
check $((rc != 4)) "over the cap: exit 4, not $rc"
grep -q "larger than 1048576 bytes" "$tmp/err"
check $? "over the cap: the message says the input is too large: $(cat "$tmp/err")"
check $(( $(wc -c <"$tmp/out") != 0 )) "over the cap: nothing explained"
# The same error under the cap is explained, from a pipe and from a file.
printf '%s\n' "$body" | "$MOAT" explain >"$tmp/out" 2>&1
check $? "under the cap from a pipe: explained"
grep -q "ForbiddenByFirewall" "$tmp/out"
check $? "under the cap: the inner code is named"
printf '%s\n' "$body" >"$tmp/small"
"$MOAT" explain <"$tmp/small" >/dev/null 2>&1
check $? "under the cap from a redirected file: explained"
echo "explain stdin never cut: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
