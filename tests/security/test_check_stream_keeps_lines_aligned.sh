#!/usr/bin/env bash
# `moat check --requests` answers line N of its input on line N of its
# output. Blank lines were skipped, so every answer after one sat on the
# line of the request before it: a pipeline that pairs lines (paste, a
# join by line number) read the wrong decision for each of them. A blank
# or white-space line is now answered with an error object that names it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

EX="$top/examples/estate"
printf '%s\n' '' \
    '{"resource": "stnwshipments", "source": {"ip": "203.0.113.77"}}' \
    '   ' $'\t\r' \
    '{"resource": "stnwshipments", "source": {"ip": "198.51.100.23"}}' \
    '' >"$tmp/gappy.jsonl"
for input in file stdin; do
    if [ $input = file ]; then
        run 4 check --estate "$EX" --requests "$tmp/gappy.jsonl"
    else
        "$MOAT" check --estate "$EX" --requests - <"$tmp/gappy.jsonl" >"$tmp/out" 2>"$tmp/err"
    fi
    if python3 - "$tmp/out" <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
errors = {i + 1 for i, d in enumerate(got) if d.get("error", "").startswith("line %d: " % (i + 1))}
ok = len(got) == 6 and errors == {1, 3, 4, 6} and got[1]["decision"] == "deny" \
    and got[4]["decision"] == "allow"
sys.exit(0 if ok else 1)
PY
    then pass=$((pass + 1)); else
        echo "FAIL: ($input) 6 lines in, 6 answers out, each on its own line:"
        cut -c1-100 "$tmp/out"; fail=$((fail + 1))
    fi
done
finish "stream lines aligned"
