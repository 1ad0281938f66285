#!/usr/bin/env bash
# A request line has a length cap (1 MiB): a longer line is answered with
# an error for that line, the stream goes on, and memory stays bounded. A
# 1.5 GB line once took 1.54 GB; here a 96 MB line must not raise moat's
# peak memory by more than a fraction of it.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

EX="$top/examples/estate"
ok='{"resource": "stnwshipments", "source": {"ip": "198.51.100.23"}}'
# Peak memory (KiB) of moat reading the line-producing command's output.
peak() {
    python3 - "$MOAT" "$EX" "$tmp/out" "$@" <<'PY'
import resource, subprocess, sys
moat, estate, out, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
feed = subprocess.Popen(["bash", "-c", cmd], stdout=subprocess.PIPE)
with open(out, "w") as o:
    rc = subprocess.call([moat, "check", "--estate", estate, "--requests", "-"],
                         stdin=feed.stdout, stdout=o, stderr=subprocess.DEVNULL)
feed.wait()
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
}
read -r rc_small small < <(peak "echo '$ok'; echo '$ok'")
big="echo '$ok'; printf '{\"resource\": \"'; head -c 100663296 /dev/zero | tr '\\\\0' a; echo '\"}'; echo '$ok'"
read -r rc_big large < <(peak "$big")
if [ "$rc_big" -eq 4 ]; then pass=$((pass + 1)); else
    echo "FAIL: an over-long line: exit $rc_big, expected 4"; fail=$((fail + 1)); fi
if python3 - "$tmp/out" <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
ok = len(got) == 3 and got[0]["decision"] == "allow" and got[2]["decision"] == "allow" \
    and got[1]["error"].startswith("line 2: ") and "1 MiB" in got[1]["error"]
sys.exit(0 if ok else 1)
PY
then pass=$((pass + 1)); else
    echo "FAIL: the over-long line answered with an error, the others decided:"
    cut -c1-100 "$tmp/out"; fail=$((fail + 1))
fi
if [ $((large - small)) -lt 24576 ]; then pass=$((pass + 1)); else
    echo "FAIL: a 96 MB line raised peak memory from $small to $large KiB"
    fail=$((fail + 1))
fi
finish "request line cap"
