#!/usr/bin/env bash
# A resource id far longer than Azure writes (200,000 and 400,000
# characters) is still answered in JSON, by `moat check --format json`
# and in a --requests stream, whether the request names the resource by
# its id or the estate alone holds it. The explanation's JSON once
# reserved six bytes per character for escapes against its 1 MiB limit,
# and ids above ~175,000 characters came out as "out of memory" (exit 4).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh"

for n in 200000 400000; do
    python3 - "$tmp" "$n" <<'PY'
import json, sys
tmp, n = sys.argv[1], int(sys.argv[2])
rid = ("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/%s"
       "/providers/Microsoft.Storage/storageAccounts/stlong" % ("g" * n))
json.dump([{"id": rid, "name": "stlong", "type": "Microsoft.Storage/storageAccounts",
            "location": "westeurope",
            "properties": {"networkAcls": {"defaultAction": "Deny",
                                           "ipRules": [{"value": "203.0.113.0/24"}]}}}],
          open(tmp + "/long.json", "w"))
with open(tmp + "/req.jsonl", "w") as f:
    f.write(json.dumps({"resource": rid, "source": {"ip": "203.0.113.5"}}) + "\n")
    f.write(json.dumps({"resource": "stlong", "source": {"ip": "1.2.3.4"}}) + "\n")
open(tmp + "/id", "w").write(rid)
PY
    run 0 check --estate "$tmp/long.json" --resource stlong --from 1.2.3.4 --format json
    py "d['resource'] == open('$tmp/id').read() and d['decision'] == 'deny'" \
        "$n-character id: one decision in JSON"
    run 0 check --estate "$tmp/long.json" --requests "$tmp/req.jsonl"
    if python3 - "$tmp" <<'PY'
import json, sys
rid = open(sys.argv[1] + "/id").read()
got = [json.loads(l) for l in open(sys.argv[1] + "/out")]
sys.exit(0 if [(d.get("resource"), d.get("decision")) for d in got]
         == [(rid, "allow"), (rid, "deny")] else 1)
PY
    then pass=$((pass + 1)); else echo "FAIL: $n-character id: the stream's two decisions"; fail=$((fail + 1)); fi
done
finish "long resource ids in JSON"
