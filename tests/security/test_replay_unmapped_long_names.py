"""moat replay writes every unmapped record's line whole, whatever the
length of the log's file name. Lines were formatted through a 1 KiB stack
buffer and cut there without a word: with a log deep in a directory tree
the --unmapped file held a line ending mid-name, with neither the line
number nor the reason."""
import json
import os
import subprocess

from seclib import MOAT, check, finish, tmpdir

tmp = tmpdir()
estate = os.path.join(tmp, "estate.json")
json.dump([{"id": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/"
            "providers/Microsoft.Storage/storageAccounts/stunmapped",
            "name": "stunmapped", "type": "Microsoft.Storage/storageAccounts",
            "location": "westeurope", "properties": {"networkAcls": {"defaultAction": "Deny"}}}],
          open(estate, "w"))
record = {"time": "2026-11-20T08:00:00Z",
          "resourceId": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/"
                        "providers/Microsoft.Storage/storageAccounts/stother/blobServices/default",
          "category": "StorageRead", "operationName": "GetBlob", "statusCode": 200,
          "statusText": "Success", "callerIpAddress": "198.51.100.1:1234",
          "uri": "https://stother.blob.core.windows.net/c/b", "protocol": "HTTPS",
          "properties": {"accountName": "stother", "objectKey": "/stother/c/b"}}
for depth in (1, 12):
    d = os.path.join(tmp, *(["d" * 200] * depth))
    os.makedirs(d, exist_ok=True)
    log = os.path.join(d, "insights.log")
    open(log, "w").write(json.dumps(record) + "\n")
    unmapped = os.path.join(tmp, "unmapped.txt")
    p = subprocess.run([MOAT, "replay", "--estate", estate, "--format", "json", "-q",
                        "--unmapped", unmapped, log], capture_output=True, text=True)
    check(p.returncode == 0, "depth %d: replay runs: %s" % (depth, p.stderr[-300:]))
    lines = open(unmapped).read().splitlines()
    check(len(lines) == 1 and lines[0].startswith(log + ":1: "),
          "depth %d (%d-byte name): the line names the file and line whole: %r"
          % (depth, len(log), [x[-120:] for x in lines]))
    check(len(lines) == 1 and "not in the estate" in lines[0],
          "depth %d: the line ends with its reason: %r" % (depth, [x[-160:] for x in lines]))
finish("replay writes unmapped lines whole")
