#!/bin/sh
# scripts/demo.sh - moat's main job on the bundled example estate: load it,
# decide every example request, and explain two of them.
set -eu
cd "$(dirname "$0")/.."
moat=build/moat
echo "== the example estate (examples/estate)"
$moat estate --estate examples/estate
echo
echo "== every request in examples/requests.jsonl"
$moat check --estate examples/estate --requests examples/requests.jsonl |
    python3 -c '
import json, sys
for i, line in enumerate(sys.stdin, 1):
    d = json.loads(line)
    name = d.get("resource", "").rsplit("/", 1)[-1]
    extra = " (enforced would %s)" % d["enforced_would"] if "enforced_would" in d else ""
    print("%2d  %-5s  %-40s %s%s" % (i, d.get("decision", "error"), d.get("category", d.get("error")), name, extra))
'
echo
echo "== why is a laptop on the internet refused?"
$moat check --estate examples/estate --resource stnwshipments --from 203.0.113.77 || true
echo
echo "== what changes when the Learning perimeter is switched to Enforced?"
$moat check --estate examples/estate --resource stnwtelemetry --from 203.0.113.40
echo
echo "== posture: moat audit (full report: moat audit --estate examples/estate)"
{ $moat audit --estate examples/estate --format json || [ $? -eq 1 ]; } |
    python3 -c '
import json, sys
d = json.load(sys.stdin)
internet = {e["resource"]: e["admitted"] for e in d["exposure"] if e["source"] == "internet"}
for r in d["resources"]:
    fails = sorted({c["control"] for c in d["controls"] if c["resource"] == r["id"] and c["status"] == "fail"})
    worst = [f for f in d["findings"] if f["resource"] == r["id"] and not f.get("control")]
    top = max(worst, key=lambda f: ["info", "low", "medium", "high", "critical"].index(f["severity"]), default=None)
    print("%-18s internet %-5s %d failed controls  %s" % (r["name"], internet.get(r["id"], "?"), len(fails),
          "%s %s" % (top["severity"], top["title"]) if top else ""))
s = d["summary"]["active"]
print("findings: %d critical, %d high, %d medium, %d low, %d info" % tuple(s[k] for k in ("critical", "high", "medium", "low", "info")))
'
echo
echo "== what if the Learning perimeter were Enforced? (moat replay over examples/logs)"
python3 - examples/estate build/demo-proposed <<'PY'
import json, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
shutil.rmtree(dst, ignore_errors=True)
shutil.copytree(src, dst)
path = os.path.join(dst, "perimeters.json")
doc = json.load(open(path))
for r in doc if isinstance(doc, list) else doc.get("value", []):
    p = r.get("properties") or {}
    if p.get("accessMode") == "Learning":
        p["accessMode"] = "Enforced"
json.dump(doc, open(path, "w"), indent=1)
PY
$moat replay --quiet --estate examples/estate --proposed enforced=build/demo-proposed \
    examples/logs/*
