"""moat replay reports what it found for a resource whatever the length
of its id. Keys of a fixed 1 KiB once dropped, without a word, the
disagreements with Azure and the rules (dead or not) of any resource
whose id and rule text passed 1,024 bytes: the summary said moat and
Azure disagreed once but listed no disagreement, and a rule that never
decided was not reported dead."""
import json
import os
import subprocess

from seclib import MOAT, check, finish, tmpdir

tmp = tmpdir()
for n in (1500, 20000):
    rid = ("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/%s/providers/"
           "Microsoft.Storage/storageAccounts/stlongrep" % ("g" * n))
    estate = os.path.join(tmp, "estate.json")
    json.dump([{"id": rid, "name": "stlongrep", "type": "Microsoft.Storage/storageAccounts",
                "location": "westeurope", "properties": {"networkAcls": {
                    "defaultAction": "Deny", "ipRules": [{"value": "203.0.113.0/24"}]}}}], open(estate, "w"))
    record = {"time": "2026-11-20T08:00:00Z", "resourceId": rid + "/blobServices/default",
              "category": "StorageRead", "operationName": "GetBlob", "statusCode": 200,
              "statusText": "Success", "callerIpAddress": "198.51.100.1:1234",
              "uri": "https://stlongrep.blob.core.windows.net/c/b", "protocol": "HTTPS",
              "properties": {"accountName": "stlongrep", "objectKey": "/stlongrep/c/b"}}
    log = os.path.join(tmp, "long.log")
    open(log, "w").write(json.dumps(record) + "\n")
    p = subprocess.run([MOAT, "replay", "--estate", estate, "--format", "json", "-q", log],
                       capture_output=True, text=True)
    d = json.loads(p.stdout)
    check(d["fidelity"]["azure_allowed"]["moat_denied"] == 1, "%d: the record disagrees" % n)
    check([(x["account"], x["azure"], x["records"]) for x in d["fidelity"]["disagreements"]]
          == [(rid, "allowed", 1)], "%d: the disagreement is listed with its whole id" % n)
    check(d["dead_rules"]["current"] == [{"owner": rid, "rule": "networkAcls.ipRules[0] 203.0.113.0/24"}],
          "%d: the dead rule is listed with its whole owner: %s" % (n, str(d["dead_rules"])[:200]))
    part = os.path.join(tmp, "part.json")
    open(part, "w").write(p.stdout)
    m = subprocess.run([MOAT, "replay", "--merge", "--format", "json", part], capture_output=True, text=True)
    check(m.returncode == 0 and m.stdout == p.stdout, "%d: the partial merges to itself: %s" % (n, m.stderr))
    t = subprocess.run([MOAT, "replay", "--estate", estate, "-q", log], capture_output=True, text=True)
    check("disagree: stlongrep allowed ResDefaultActionDeny 198.51.100.1 (1)" in t.stdout,
          "%d: the text report shows the disagreement" % n)
finish("replay keeps long resource ids")
