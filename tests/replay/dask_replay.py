#!/usr/bin/env python3
"""`moat replay` on a real distributed engine: Dask distributed.

A local cluster of several worker processes maps `moat replay --format json
-` over the partitions of a set of logs (JSON lines cut at line
boundaries, classic lines, a gzip file whole, each worker reading its own
byte range of the file as a cluster reading shared storage does), the
partials come back to the client, `moat replay --merge` combines them, and
the result is exactly (byte for byte) the summary of one run over all the
logs. Skipped, saying so, when python3-distributed is not installed.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(TOP, "examples", "estate")
WORKERS = 3
sys.path.insert(0, HERE)
from run import proposed_estate  # noqa: E402  (the proposal run.py replays)


def replay_partition(moat, estate, proposed, path, start, end):
    """One task: bytes [start, end) of path (a whole file when end is None)
    piped through `moat replay -`; its JSON partial."""
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read() if end is None else f.read(end - start)
    p = subprocess.run([moat, "replay", "-q", "--estate", estate, "--proposed", "strict=" + proposed,
                        "--format", "json", "-"], input=data, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError("moat replay on %s [%d, %s): %s" % (path, start, end, p.stderr.decode()[-400:]))
    return p.stdout.decode()


def line_partitions(path, parts):
    """Byte ranges of path cut at line boundaries, about parts of them."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        cuts = [0]
        for k in range(1, parts):
            f.seek(max(cuts[-1], size * k // parts))
            f.readline()  # to the end of the line the cut falls in
            if 0 < f.tell() < size and f.tell() > cuts[-1]:
                cuts.append(f.tell())
    cuts.append(size)
    return [(path, a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def make_logs(tmp, moat):
    gen = [sys.executable, os.path.join(HERE, "genlogs.py"), "--estate", EXAMPLE, "--records", "1500"]
    logs = []
    for i, (fmt, gz) in enumerate([("diagnostic", False), ("classic", False), ("keyvault", False),
                                   ("diagnostic", True)]):
        out = os.path.join(tmp, "log%d.%s%s" % (i, fmt, ".gz" if gz else ""))
        subprocess.run(gen + ["--format", fmt, "--out", out, "--seed", str(11 + i)] + (["--gzip"] if gz else []),
                       check=True, capture_output=True)
        logs.append(out)
    return logs


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--moat", required=True)
    moat = os.path.abspath(ap.parse_args().moat)
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print("dask: python3-distributed is not installed (scripts/deps); skipped")
        return 0
    tmp = tempfile.mkdtemp(prefix="moat-dask-")
    try:
        logs = make_logs(tmp, moat)
        proposed = proposed_estate(tmp)
        whole = subprocess.run([moat, "replay", "-q", "--estate", EXAMPLE, "--proposed", "strict=" + proposed,
                                "--format", "json"] + logs, capture_output=True, text=True)
        if whole.returncode != 0:
            print("FAIL single run: " + whole.stderr[-400:])
            return 1
        tasks = []
        for log in logs:
            tasks += [(log, 0, None)] if log.endswith(".gz") else line_partitions(log, 4)
        with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None,
                          local_directory=tmp) as cluster, Client(cluster) as client:
            futures = [client.submit(replay_partition, moat, EXAMPLE, proposed, *t, pure=False) for t in tasks]
            partials = client.gather(futures)
            workers = len(client.scheduler_info()["workers"])
        paths = []
        for i, text in enumerate(partials):
            paths.append(os.path.join(tmp, "part%02d.json" % i))
            with open(paths[-1], "w") as f:
                f.write(text)
        merged = subprocess.run([moat, "replay", "--merge", "--format", "json"] + paths,
                                capture_output=True, text=True)
        if merged.returncode != 0 or merged.stdout != whole.stdout:
            print("FAIL dask: %d partials merged differ from the single run (%s)"
                  % (len(paths), merged.stderr[-300:]))
            return 1
        print("dask: %d partitions of %d logs on %d worker processes merged into the single run's summary"
              % (len(tasks), len(logs), workers))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
