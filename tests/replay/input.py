#!/usr/bin/env python3
"""How `moat replay` takes its logs in: every way in gives the same answer.

Logs are cut into chunks of whole records for the workers. Only
--changes and --decisions number every chunk as it is cut; otherwise a
chunk's first line is known when the chunks before it are written, from
the lines each held (cli/replay/replay_input.h). This test holds all of
that to one answer:

  - logs of several chunks (JSON lines, CSV, classic `$logs` lines with
    records read leniently), with blank lines and malformed records placed
    at known lines, the last one without its newline;
  - each read as a file, as gzip, through a pipe, from stdin
    redirected from a file already partly read, on one, two and three
    threads (the reading thread processes chunks too), with --decisions
    and without: the --unmapped file, the lines
    on stderr and the summary are the same, and the unmapped lines are
    exactly the ones placed.
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

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
    """lines with extra (a list of (text, is_unmapped))
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
            text, bad = extra[k % len(extra)]
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
    """The same log as a file, gzip, a pipe, and stdin redirected
    from a file whose first line the shell had already read (moat's log
    starts where stdin stands, not at the file's first byte)."""
    plain = os.path.join(tmp, tag + ".log")
    with open(plain, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    gz = plain + ".gz"
    with gzip.open(gz, "wb", compresslevel=1) as f:
        f.write(text.encode("utf-8"))
    after = os.path.join(tmp, tag + ".after")
    with open(after, "w", encoding="utf-8", newline="") as f:
        f.write("a line read before moat\n" + text)
    return plain, [("file", plain, None), ("gzip", gz, None), ("pipe", "-", "pipe:" + plain),
                   ("stdin at an offset", "-", "after:" + after)]


def open_stdin(feed):
    """What moat's stdin is for a way in."""
    kind, path = feed.split(":", 1)
    if kind == "pipe":
        cat = subprocess.Popen(["cat", path], stdout=subprocess.PIPE)
        return cat.stdout, cat
    f = open(path, "rb")
    f.readline()
    os.lseek(f.fileno(), f.tell(), os.SEEK_SET)
    return f, None


def check_log(tmp, tag, text, want, estates, lenient_at=()):
    plain, ways = ways_in(tmp, tag, text)
    if os.path.getsize(plain) < 3 << 20:
        fail("%s: %d bytes is not several chunks" % (tag, os.path.getsize(plain)))
    reference = None
    for way, path, feed in ways:
        for threads in ("1", "2", "3"):
            for decisions in (False, True):
                name = "%s %s, %s thread(s)%s" % (tag, way, threads, ", --decisions" if decisions else "")
                unm = os.path.join(tmp, "unmapped.txt")
                args = ["replay", "--format", "json", "--threads", threads, "--unmapped", unm]
                for e in estates:
                    args += ["--estate", e]
                if decisions:
                    args += ["--decisions", os.path.join(tmp, "decisions.jsonl")]
                stdin, cat = open_stdin(feed) if feed else (subprocess.DEVNULL, None)
                p = moat(args + [path], stdin=stdin)
                if feed:
                    stdin.close()
                if cat:
                    cat.wait()
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


def main():
    global MOAT
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    MOAT = os.path.abspath(ap.parse_args().moat)
    tmp = tempfile.mkdtemp(prefix="moat-input-")
    try:
        broken = [("{\"time\": \"2026-11-14T02:15:05Z\", \"category\": ", True), ("", False),
                  ("   ", False)]
        lines, unm = generate(tmp, "diagnostic", 4000, 11)
        # A record whose message quotes a field holding an escaped line
        # break: its entry stays on one line.
        rec = json.loads(next(l for i, l in enumerate(lines) if i + 1 not in unm))
        rec["time"] = "2026-11-14\nnot a time"
        broken.append((json.dumps(rec), True))
        text, want = place(lines, unm, 0, 333, broken)
        check_log(tmp, "diagnostic", text, want, [EXAMPLE])

        csv_lines, csv_unm = generate(tmp, "analytics-csv", 7000, 12)
        csv_text, csv_want = place(csv_lines, csv_unm, 1, 401, [("\"a\nb\nc\",x", True), ("", False)])
        check_log(tmp, "analytics-csv", csv_text, csv_want, [EXAMPLE])

        classic, classic_unm = generate(tmp, "classic", 9000, 13)
        with open(os.path.join(PUBLISHED, "classic-azure-docs.log"), encoding="utf-8") as f:
            amp = next(l.rstrip("\n") for l in f if "&amp;" in l)
        cl_text, cl_want = place(classic, classic_unm, 0, 997, [(amp, False)])
        at = [i + 1 for i, l in enumerate(cl_text.split("\n")) if l == amp]
        check_log(tmp, "classic", cl_text, cl_want,
                  [EXAMPLE, os.path.join(PUBLISHED, "estate.json")], lenient_at=at)

    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("input: %d failures" % len(FAILURES), file=sys.stderr)
        sys.exit(1)
    print("input: files, gzip, pipes and stdin past its start give one answer "
          "on 1, 2 and 3 threads, with and without --decisions")


if __name__ == "__main__":
    main()
