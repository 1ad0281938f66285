#!/usr/bin/env bash
# `moat check --requests` running out of memory in the middle of a stream
# says so and does not exit 0: a preloaded malloc lets the first three lines
# through and fails every later allocation. getline's ENOMEM once read as
# the end of the input: 4 of 7 lines went unanswered, nothing on stderr,
# exit 0. Now every line is answered (the one moat could not read with an
# {"error"} object naming it) and the exit status is 4.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

so=$(preload_so fail_malloc) || { echo "FAIL: cannot build the preload"; exit 1; }
export ASAN_OPTIONS=verify_asan_link_order=0
python3 - "$tmp" <<'PY'
import json, sys
short = [json.dumps(r) for r in (
    {"resource": "stnwshipments", "source": {"ip": "198.51.100.23"}},
    {"resource": "stnwshipments", "source": {"ip": "203.0.113.77"}},
    {"resource": "stnwtelemetry", "source": {"ip": "203.0.113.40"}})]
# Line 4 is longer than any before it: reading it needs more memory.
long = '{"resource": "stnwshipments",' + " " * 200000 + '"source": {"ip": "203.0.113.77"}}'
open(sys.argv[1] + "/three.jsonl", "w").write("\n".join(short) + "\n")
open(sys.argv[1] + "/seven.jsonl", "w").write("\n".join(short + [long] + short) + "\n")
PY
EX="$top/examples/estate"
# (moat alone runs with the preload: a failing sed would say nothing.)
FAIL_MALLOC_COUNT="$tmp/count" LD_PRELOAD="$so" \
    "$MOAT" check --estate "$EX" --requests "$tmp/three.jsonl" >/dev/null
after=$(cat "$tmp/count")
FAIL_MALLOC_AFTER=$after LD_PRELOAD="$so" \
    "$MOAT" check --estate "$EX" --requests "$tmp/seven.jsonl" >"$tmp/out" 2>"$tmp/err"
got=$?
if [ $got -eq 4 ]; then pass=$((pass + 1)); else
    echo "FAIL: exit $got, expected 4"; fail=$((fail + 1)); fi
has err "seven.jsonl:4: .*out of memory"
if python3 - "$tmp/out" <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
ok = len(got) == 7 and all("decision" in got[i] for i in (0, 1, 2)) and \
    got[3].get("error", "").startswith("line 4: ")
sys.exit(0 if ok else 1)
PY
then pass=$((pass + 1)); else
    echo "FAIL: 7 lines in, 7 answers out, line 4's an error:"; cut -c1-100 "$tmp/out"
    fail=$((fail + 1))
fi
finish "out of memory in a stream"
