"""moat serve --poll: a file that vanishes from a watched estate for a
moment (an editor's save, git checkout, rsync) does not open access. A
change is loaded only once the files have been stable for --settle
seconds, and a file that vanished is let go only on an explicit reload
(SIGHUP); until then the estate in force stays, and stderr and /healthz
say why.

Before the fix the poll loaded whatever the directory held at that
instant: with the file holding an Enforced perimeter association gone for
a moment, the account's own firewall decided, and requests the full
estate denies were allowed until the file came back."""
import http.client
import json
import os
import signal
import tempfile
import threading
import time

from seclib import Serve, TOP, check, finish

GATE = os.path.join(TOP, "tests", "e2e", "estate", "gate.json")
PATH = "/v1/authz/stperim/c/b"
# Asked from 127.0.0.5: stperim's IP rule admits it, its Enforced
# perimeter admits nothing.
FROM = ("127.0.0.5", 0)


def split_estate(d):
    """base.json, and assoc.json with the Enforced association alone."""
    doc = json.load(open(GATE))
    assoc = [r for r in doc if r["type"].endswith("/resourceAssociations")]
    base = [r for r in doc if r not in assoc]
    json.dump(base, open(os.path.join(d, "base.json"), "w"))
    text = json.dumps(assoc)
    json.dump(assoc, open(os.path.join(d, "assoc.json"), "w"))
    return text


def put_back(d, text):
    tmp = os.path.join(d, ".assoc.json.tmp")  # hidden: not an estate file
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, os.path.join(d, "assoc.json"))


class Load:
    """Clients asking the same denied question over kept-alive
    connections; counts the answers by status."""

    def __init__(self, port, n=4):
        self.port, self.stop, self.lock = port, threading.Event(), \
            threading.Lock()
        self.counts = {}
        self.threads = [threading.Thread(target=self.run) for _ in range(n)]
        for t in self.threads:
            t.start()

    def run(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10,
                                       source_address=FROM)
        while not self.stop.is_set():
            try:
                c.request("GET", PATH)
                r = c.getresponse()
                r.read()
                st = r.status
            except (OSError, http.client.HTTPException):
                st = "error"
                c = http.client.HTTPConnection("127.0.0.1", self.port,
                                               timeout=10,
                                               source_address=FROM)
            with self.lock:
                self.counts[st] = self.counts.get(st, 0) + 1

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()
        return self.counts


def health(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/healthz")
    out = json.loads(c.getresponse().read())
    c.close()
    return out


def status(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                   source_address=FROM)
    c.request("GET", PATH)
    st = c.getresponse().status
    c.close()
    return st


def wait_for(pred, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def main():
    d = tempfile.mkdtemp(prefix="moat-serve-vanishing-")
    estate = os.path.join(d, "estate")
    os.mkdir(estate)
    assoc = split_estate(estate)
    s = Serve("--estate", estate, "--account-from", "path", "--poll", "1",
              tmp=d)
    try:
        check(status(s.port) == 403, "the full estate denies")
        # A moment without the file: longer than a poll, shorter than
        # anyone's idea of a deliberate change.
        load = Load(s.port)
        time.sleep(0.5)
        os.unlink(os.path.join(estate, "assoc.json"))
        time.sleep(2.5)
        check(health(s.port)["revision"] == 1,
              "nothing is reloaded while the file is missing")
        put_back(estate, assoc)
        time.sleep(3)
        counts = load.finish()
        check(counts.get(200, 0) == 0 and counts.get(403, 0) > 100 and
              "error" not in counts,
              "a file gone for 2.5 s: no request the full estate denies is "
              "allowed (%s)" % counts)
        print("answers while the file flickered: %s" % counts)
        # Gone for good: still in force until SIGHUP, and said so. (The
        # file put back is a new file: it may have been loaded meanwhile.)
        os.unlink(os.path.join(estate, "assoc.json"))
        rev = health(s.port)["revision"]
        time.sleep(6)
        h = health(s.port)
        check(status(s.port) == 403 and h["revision"] == rev,
              "a vanished file keeps the estate in force (%s)" % h)
        check("assoc.json" in (h.get("pending_reload") or "") and
              "SIGHUP" in h["pending_reload"],
              "/healthz says what waits for SIGHUP: %r"
              % h.get("pending_reload"))
        check("assoc.json" in s.stderr() and "SIGHUP" in s.stderr(),
              "stderr says so too")
        s.p.send_signal(signal.SIGHUP)
        check(wait_for(lambda: health(s.port)["revision"] == rev + 1, 10),
              "SIGHUP loads the estate without it")
        check(status(s.port) == 200 and
              health(s.port).get("pending_reload") is None,
              "which then decides")
        # A new file is a change: loaded once still for --settle (3 s).
        put_back(estate, assoc)
        time.sleep(0.8)
        check(health(s.port)["revision"] == rev + 1,
              "a change is not loaded before it settles")
        check(wait_for(lambda: health(s.port)["revision"] == rev + 2, 15) and
              status(s.port) == 403, "and is loaded once it has")
    finally:
        s.stop()
    finish("serve estate vanishing")


if __name__ == "__main__":
    main()
