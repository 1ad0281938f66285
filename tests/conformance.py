#!/usr/bin/env python3
"""Runs every conformance file through `moat check --requests` (spec/cli.md).

Each file holds one estate and its cases. The estate is written to a file
exactly as the case gives it; the requests go in as JSON lines; a case passes
when decision and category, and every other field `expect` names, equal
moat's answer. Exits 1 on any mismatch, printing each with the case name.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile


def run_file(moat, path):
    with open(path) as f:
        doc = json.load(f)
    cases = doc["cases"]
    with tempfile.TemporaryDirectory() as tmp:
        estate = os.path.join(tmp, "estate.json")
        with open(estate, "w") as f:
            json.dump(doc["estate"], f)
        requests = os.path.join(tmp, "requests.jsonl")
        with open(requests, "w") as f:
            for c in cases:
                f.write(json.dumps(c["request"]) + "\n")
        proc = subprocess.run(
            [moat, "check", "--estate", estate, "--requests", requests],
            capture_output=True, text=True)
    failures = []
    if proc.returncode != 0:
        failures.append("moat exited %d: %s" % (proc.returncode, proc.stderr.strip()))
    lines = proc.stdout.splitlines()
    if len(lines) != len(cases):
        failures.append("expected %d answers, got %d" % (len(cases), len(lines)))
        return len(cases), failures
    for case, line in zip(cases, lines):
        got = json.loads(line)
        for key, want in case["expect"].items():
            if got.get(key) != want:
                failures.append("%s: %s: expected %r, got %r\n    answer: %s" % (
                    os.path.basename(path), case["name"], want, got.get(key), line))
    return len(cases), failures


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--moat", required=True)
    ap.add_argument("dir")
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(args.dir, "*.json")))
    if not files:
        print("conformance: no files in %s" % args.dir)
        return 1
    total = bad = 0
    for path in files:
        n, failures = run_file(args.moat, path)
        total += n
        bad += len(failures)
        for f in failures:
            print("FAIL " + f)
    print("conformance: %d files, %d cases, %d failures" % (len(files), total, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
