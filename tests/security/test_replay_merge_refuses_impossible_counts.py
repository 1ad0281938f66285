"""moat replay --merge refuses a partial whose counts are impossible,
naming the file and the field, and writes no summary. It once summed
whatever numbers a partial held: negative counts were read as 0, counts
past 2^64 wrapped, and a partial claiming 5,954 mapped records out of
3,000 merged into a report that said so. A replay summary is evidence
for changing a firewall; one that does not add up must not be written."""
import json
import os
import subprocess
import sys

from seclib import MOAT, TOP, check, finish, tmpdir

tmp = tmpdir()
estate = os.path.join(TOP, "examples", "estate")
log = os.path.join(tmp, "diag.log")
subprocess.run([sys.executable, os.path.join(TOP, "tests", "replay", "genlogs.py"), "--estate", estate,
                "--records", "3000", "--format", "diagnostic", "--out", log, "--truth", log + ".truth",
                "--seed", "11"], check=True)
good = os.path.join(tmp, "good.json")
with open(good, "w") as f:
    subprocess.run([MOAT, "replay", "--estate", estate, "--format", "json", "-q", log], stdout=f, check=True)
base = json.load(open(good))


def merged(change, name):
    d = json.loads(json.dumps(base))
    change(d)
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        json.dump(d, f)
    return subprocess.run([MOAT, "replay", "--merge", "--format", "json", good, path],
                          capture_output=True, text=True)


p = subprocess.run([MOAT, "replay", "--merge", "--format", "json", good, good], capture_output=True, text=True)
check(p.returncode == 0 and json.loads(p.stdout)["records"] == 6000, "two good partials merge: %s" % p.stderr)
cases = [
    ("mapped.json", lambda d: d.update(mapped=5954), "mapped.json: mapped (5954) and unmapped"),
    ("negative.json", lambda d: d["configs"][0].update(deny=-400), "negative.json: configs[0].deny: -400"),
    ("wrap.json", lambda d: d["configs"][0].update(allow=2 ** 64 + 5), "wrap.json: configs[0].allow: "),
    ("fraction.json", lambda d: d.update(unmapped=0.5), "fraction.json: unmapped: 0.5"),
]
for name, change, message in cases:
    p = merged(change, name)
    check(p.returncode == 3 and message in p.stderr and "is not a count" in p.stderr or
          p.returncode == 3 and message in p.stderr and "add up to" in p.stderr,
          "%s: exit %d, expected a refusal with %r: %s" % (name, p.returncode, message, p.stderr.strip()))
    check(p.stdout == "", "%s: no summary written" % name)
finish("replay --merge refuses impossible counts")
