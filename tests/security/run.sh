#!/bin/sh
# tests/security/run.sh - the security regression tests: one file per
# defence, named by what it defends (test_<defence>.py or .sh). Each one
# reproduces a way a request the estate denies could get through, or data
# could be lost or misread, and fails on the code before its fix.
#
# Environment: MOAT (the moat binary, the ASan build under make test),
# MODULE (build/ngx_http_moat_module.so, for the nginx tests). A test that
# needs nginx and finds it missing fails: scripts/deps installs it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export MOAT="${MOAT:-$top/build/moat}"
export MODULE="${MODULE:-$top/build/ngx_http_moat_module.so}"
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
pass=0 fail=0 failed=""
for t in "$here"/test_*; do
    [ -f "$t" ] || continue
    name=$(basename "$t")
    case "$name" in
    *.py) out=$(python3 "$t" 2>&1) ;;
    *.sh) out=$(sh "$t" 2>&1) ;;
    *) continue ;;
    esac
    if [ $? -eq 0 ]; then
        pass=$((pass + 1))
        echo "ok   $name${out:+: $(printf '%s' "$out" | tail -1)}"
    else
        fail=$((fail + 1))
        failed="$failed $name"
        echo "FAIL $name"
        printf '%s\n' "$out" | sed 's/^/    /' | tail -40
    fi
done
echo "security: $pass passed, $fail failed${failed:+ ($failed )}"
[ "$fail" -eq 0 ]
