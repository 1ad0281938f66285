"""moat replay finds a log's format past any number of blank lines, with
bounded memory. Format detection looked at the first 64 KiB only: a valid
log behind 10 million blank lines was "empty" (exit 3, nothing replayed),
so padding a log hid every record in it. Here 64 million blank lines go
through stdin before a diagnostic log: every record must be replayed, and
moat's peak memory must not grow with the padding."""
import json
import os
import resource
import subprocess
import sys

from seclib import MOAT, TOP, check, finish, tmpdir

tmp = tmpdir()
log = os.path.join(tmp, "diag.log")
subprocess.run([sys.executable, os.path.join(TOP, "tests", "replay", "genlogs.py"), "--estate",
                os.path.join(TOP, "examples", "estate"), "--records", "200", "--format",
                "diagnostic", "--out", log, "--truth", log + ".truth", "--seed", "7"], check=True)
records = open(log, "rb").read()


def replay(blank_lines):
    """The summary and exit status of replaying the padded log from stdin,
    and the peak memory (KiB) of the largest child so far."""
    p = subprocess.Popen([MOAT, "replay", "--estate", os.path.join(TOP, "examples", "estate"),
                          "--format", "json", "-q", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunk = b"\n" * (1 << 20)
    try:
        for _ in range(blank_lines >> 20):
            p.stdin.write(chunk)
        p.stdin.write(records)
        p.stdin.close()
    except BrokenPipeError:
        pass
    out, err = p.stdout.read(), p.stderr.read()
    p.wait()
    return p.returncode, out, err, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


rc, plain, err, small = replay(0)
check(rc == 0 and json.loads(plain)["records"] == 200, "the log alone: %s" % err[-300:])
rc, padded, err, large = replay(64 << 20)
check(rc == 0, "64 million blank lines first: exit %d, %s" % (rc, err[-300:].decode()))
check(padded == plain, "the padded log replays as the log alone")
check(large - small < 32 * 1024, "peak memory grew from %d to %d KiB" % (small, large))
finish("replay detects past blank lines")
