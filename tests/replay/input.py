#!/usr/bin/env python3
"""How `moat replay` takes its logs in: every way in gives the same answer.

A plain log file is mapped and its chunks are slices of the mapping; a
gzip log and stdin are read into buffers. Only --changes and --decisions
number every chunk as it is cut; otherwise a chunk's first line is known
when the chunks before it are written (cli/replay/replay_input.h). This
test holds all of that to one answer:

  - logs of several chunks (JSON lines, CSV, classic `$logs` lines with
    records read leniently), with blank lines and malformed records placed
    at known lines, the last one without its newline;
  - each read as a mapped file, as gzip, through a pipe, on one and two
    threads, with --decisions and without: the --unmapped file, the lines
    on stderr and the summary are the same, and the unmapped lines are
    exactly the ones placed;
  - a file that grows while it is read: what was appended after the
    mapping is read too;
  - a file cut shorter while it is read: exit status 3 and a message,
    never a summary. Both are made deterministic by writing --decisions to
    a FIFO nobody reads yet: moat stops at its first chunk's lines, a few
    chunks into a log much longer than that, and the file is changed then.
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(ROOT, "examples", "estate")
PUBLISHED = os.path.join(HERE, "published")
MOAT = None
FAILURES = []


def fail(msg):
    FAILURES.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def generate(tmp, fmt, n, seed):
    out = os.path.join(tmp, "gen-%s.log" % fmt)
    truth = out + ".truth"
    subprocess.run([sys.executable, os.path.join(HERE, "genlogs.py"), "--estate", EXAMPLE,
                    "--records", str(n), "--format", fmt, "--out", out, "--truth", truth,
                    "--seed", str(seed)], check=True)
    with open(out, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    with open(truth) as f:
        unmapped = {json.loads(l)["line"] for l in f if '"unmapped"' in l}
    return lines, unmapped


def place(lines, unmapped, header, every, extra):
    """lines with extra (a list of (text, is_unmapped, lines_it_takes))
    placed every `every` records, and the last record replaced by a
    malformed one without a final newline. Returns the text and the line
    numbers of the unmapped records (1-based, as moat numbers them)."""
    out, want = [], set()
    k = 0
    for i, line in enumerate(lines):
        no = i + 1
        if no <= header:
            out.append(line)
            continue
        if (no - header) % every == 0:
            text, bad, _ = extra[k % len(extra)]
            k += 1
            if bad:
                want.add(len(out) + 1)
            out.extend(text.split("\n"))
        if no in unmapped:
            want.add(len(out) + 1)
        out.append(line)
    out[-1] = "{\"malformed\": "
    want.add(len(out))
    return "\n".join(out), want


def moat(args, stdin=None):
    return subprocess.run([MOAT] + args, capture_output=True, stdin=stdin)


def unmapped_lines(path, log):
    got = {}
    with open(path, encoding="utf-8") as f:
        for l in f:
            name, no, reason = l.split(":", 2)
            if name != log and name != "-":
                fail("--unmapped names %r, not %r" % (name, log))
            got[int(no)] = reason.strip()
    return got


def ways_in(tmp, tag, text):
    """The same log as a mapped file, gzip and stdin."""
    plain = os.path.join(tmp, tag + ".log")
    with open(plain, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    gz = plain + ".gz"
    with gzip.open(gz, "wb", compresslevel=1) as f:
        f.write(text.encode("utf-8"))
    return plain, [("file", plain, None), ("gzip", gz, None), ("stdin", "-", plain)]


def check_log(tmp, tag, text, want, estates, lenient_at=()):
    plain, ways = ways_in(tmp, tag, text)
    if os.path.getsize(plain) < 3 << 20:
        fail("%s: %d bytes is not several chunks" % (tag, os.path.getsize(plain)))
    reference = None
    for way, path, feed in ways:
        for threads in ("1", "2"):
            for decisions in (False, True):
                name = "%s %s, %s thread(s)%s" % (tag, way, threads, ", --decisions" if decisions else "")
                unm = os.path.join(tmp, "unmapped.txt")
                args = ["replay", "--format", "json", "--threads", threads, "--unmapped", unm]
                for e in estates:
                    args += ["--estate", e]
                if decisions:
                    args += ["--decisions", os.path.join(tmp, "decisions.jsonl")]
                stdin = open(feed, "rb") if feed else subprocess.DEVNULL
                p = moat(args + [path], stdin=stdin)
                if feed:
                    stdin.close()
                if p.returncode != 0:
                    fail("%s: exit %d: %s" % (name, p.returncode, p.stderr[-400:]))
                    continue
                got = unmapped_lines(unm, path)
                summary = json.loads(p.stdout)
                shown = [l for l in p.stderr.decode().splitlines()
                         if l.startswith("moat: unmapped:") or l.startswith("moat: read leniently:")]
                shown = [l.replace(path + ":", "LOG:") for l in shown]
                if set(got) != want:
                    fail("%s: unmapped at %s, placed at %s" % (name, sorted(set(got) ^ want)[:8], "..."))
                lenient = [int(l.split(":")[3]) for l in shown if "read leniently" in l]
                if lenient_at and (not lenient or lenient != list(lenient_at)[:len(lenient)]):
                    fail("%s: read leniently at %s, placed at %s" % (name, lenient, list(lenient_at)[:5]))
                if decisions:
                    with open(os.path.join(tmp, "decisions.jsonl")) as f:
                        numbers = [json.loads(l)["line"] for l in f]
                    if set(numbers) & want or len(numbers) != summary["records"] - summary["unmapped"]:
                        fail("%s: --decisions numbers unmapped lines or misses records" % name)
                mine = (got, shown, summary)
                if reference is None:
                    reference = (name, mine)
                elif mine != reference[1]:
                    fail("%s differs from %s" % (name, reference[0]))
    return plain


class Fifo:
    """--decisions into a FIFO nobody reads until release()."""

    def __init__(self, tmp):
        self.path = os.path.join(tmp, "decisions.fifo")
        if os.path.exists(self.path):
            os.unlink(self.path)
        os.mkfifo(self.path)
        self.lines = 0

    def open(self):
        self.f = open(self.path, "rb")  # returns once moat opened it

    def release(self):
        def drain():
            for _ in self.f:
                self.lines += 1
        self.t = threading.Thread(target=drain)
        self.t.start()

    def close(self):
        self.t.join()
        self.f.close()


def start_blocked(tmp, log):
    """moat replay with --decisions to a FIFO, once its log is mapped."""
    fifo = Fifo(tmp)
    p = subprocess.Popen([MOAT, "replay", "--format", "json", "--threads", "1", "--estate", EXAMPLE,
                          "--decisions", fifo.path, log],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    fifo.open()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and p.poll() is None:
        with open("/proc/%d/maps" % p.pid) as f:
            if os.path.realpath(log) in f.read():
                return p, fifo
        time.sleep(0.01)
    fail("the log was never mapped (moat ended: %s)" % p.poll())
    return p, fifo


def check_growing(tmp, lines):
    """Appended while moat is held at its first chunk: read too."""
    log = os.path.join(tmp, "growing.log")
    half = len(lines) // 2
    with open(log, "w", encoding="utf-8") as f:
        f.write("\n".join(lines[:half]) + "\n")
    p, fifo = start_blocked(tmp, log)
    with open(log, "a", encoding="utf-8") as f:
        f.write("\n".join(lines[half:]) + "\n")
    fifo.release()
    out, err = p.communicate()
    fifo.close()
    if p.returncode != 0:
        fail("growing log: exit %d: %s" % (p.returncode, err[-300:]))
        return
    summary = json.loads(out)
    if summary["records"] != len(lines):
        fail("growing log: %d records read, %d written" % (summary["records"], len(lines)))


def check_shrinking(tmp, lines):
    """Cut shorter while moat is held at its first chunk: status 3."""
    log = os.path.join(tmp, "shrinking.log")
    with open(log, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    size = os.path.getsize(log)
    p, fifo = start_blocked(tmp, log)
    os.truncate(log, size // 2)
    fifo.release()
    out, err = p.communicate()
    fifo.close()
    if p.returncode != 3 or b"became shorter while it was read" not in err or out.strip():
        fail("shrinking log: exit %d, stdout %d bytes, stderr %r" % (p.returncode, len(out), err[-300:]))


def main():
    global MOAT
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    MOAT = os.path.abspath(ap.parse_args().moat)
    tmp = tempfile.mkdtemp(prefix="moat-input-")
    try:
        broken = [("{\"time\": \"2026-11-14T02:15:05Z\", \"category\": ", True, 1), ("", False, 1),
                  ("   ", False, 1)]
        lines, unm = generate(tmp, "diagnostic", 4000, 11)
        text, want = place(lines, unm, 0, 333, broken)
        check_log(tmp, "diagnostic", text, want, [EXAMPLE])

        csv_lines, csv_unm = generate(tmp, "analytics-csv", 7000, 12)
        csv_text, csv_want = place(csv_lines, csv_unm, 1, 401, [("\"a\nb\nc\",x", True, 3), ("", False, 1)])
        check_log(tmp, "analytics-csv", csv_text, csv_want, [EXAMPLE])

        classic, classic_unm = generate(tmp, "classic", 9000, 13)
        with open(os.path.join(PUBLISHED, "classic-azure-docs.log"), encoding="utf-8") as f:
            amp = next(l.rstrip("\n") for l in f if "&amp;" in l)
        cl_text, cl_want = place(classic, classic_unm, 0, 997, [(amp, False, 1)])
        at = [i + 1 for i, l in enumerate(cl_text.split("\n")) if l == amp]
        check_log(tmp, "classic", cl_text, cl_want,
                  [EXAMPLE, os.path.join(PUBLISHED, "estate.json")], lenient_at=at)

        check_growing(tmp, lines)
        check_shrinking(tmp, lines)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("input: %d failures" % len(FAILURES), file=sys.stderr)
        sys.exit(1)
    print("input: mapped, gzip and piped logs give one answer on 1 and 2 threads; "
          "a growing log read whole, a shrinking one refused")


if __name__ == "__main__":
    main()
