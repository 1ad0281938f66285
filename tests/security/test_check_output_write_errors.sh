#!/usr/bin/env bash
# Decisions that cannot be written are an error: `moat check` writing to
# a full disk (/dev/full) or a closed stdout once exited 0 with nothing on
# stderr, a stream and a single request alike.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

EX="$top/examples/estate"
# Enough decisions to fill stdio's buffer more than once, and one.
python3 -c '
import json
for i in range(3000):
    print(json.dumps({"resource": "stnwshipments", "source": {"ip": "203.0.113.%d" % (i % 250)}}))
' >"$tmp/many.jsonl"
head -1 "$tmp/many.jsonl" >"$tmp/one.jsonl"

full() { # full WHAT ARGS...: moat with stdout on /dev/full
    local what=$1; shift
    "$MOAT" "$@" >/dev/full 2>"$tmp/err"
    local got=$?
    if [ "$got" -ne 0 ] && grep -q "No space left on device" "$tmp/err"; then
        pass=$((pass + 1))
    else
        echo "FAIL: $what to /dev/full: exit $got, stderr: $(head -c 300 "$tmp/err")"
        fail=$((fail + 1))
    fi
}
full "a stream" check --estate "$EX" --requests "$tmp/many.jsonl"
full "a short stream" check --estate "$EX" --requests "$tmp/one.jsonl"
full "a stream as text" check --estate "$EX" --requests "$tmp/one.jsonl" --format text
full "one request" check --estate "$EX" --resource stnwshipments --from 1.2.3.4
full "one request in JSON" check --estate "$EX" --resource stnwshipments --from 1.2.3.4 --format json
full "a request file" check --estate "$EX" --request "$tmp/one.jsonl"

"$MOAT" check --estate "$EX" --requests "$tmp/one.jsonl" >&- 2>"$tmp/err"
got=$?
if [ "$got" -ne 0 ] && [ -s "$tmp/err" ]; then pass=$((pass + 1)); else
    echo "FAIL: a closed stdout: exit $got, stderr: $(head -c 300 "$tmp/err")"
    fail=$((fail + 1))
fi
finish "decisions that cannot be written"
