"""moat serve: a port another process listens on is refused (exit 4,
"cannot listen"). Before the fix every worker opened its own listener with
SO_REUSEPORT, so a second moat serve (any program setting SO_REUSEPORT
under the same user) bound the same port and the kernel spread
connections between the two estates: requests were decided by whichever
answered."""
import json
import os
import subprocess
import time

from seclib import MOAT, Serve, check, finish, request, TOP, tmpdir

ESTATE = os.path.join(TOP, "tests", "e2e", "estate", "gate.json")


def main():
    first = Serve("--estate", ESTATE, "--account-from", "path")
    # The second one has an estate in which 127.0.0.9 is admitted.
    tmp = tmpdir()
    other = os.path.join(tmp, "other.json")
    doc = json.load(open(ESTATE))
    for r in doc:
        if r.get("name") == "stopen":
            r["properties"]["networkAcls"]["ipRules"] = [{"value": "0.0.0.0/0"}]
    json.dump(doc, open(other, "w"))
    second = subprocess.Popen(
        [MOAT, "serve", "--estate", other, "--account-from", "path",
         "--listen", "127.0.0.1:%d" % first.port, "--threads", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        rc = second.wait(15)
    except subprocess.TimeoutExpired:
        rc = None
    if rc is None:
        # It is serving too: see the two take turns, then stop it.
        seen = set()
        for _ in range(40):
            st, _, _ = request(first.port, "POST", "/v1/check", body=json.dumps(
                {"resource": "stopen", "source": {"ip": "127.0.0.9"}}).encode())
            seen.add(st)
        second.terminate()
        second.wait(10)
        print("both served: statuses seen %s" % sorted(seen))
    err = second.stderr.read()
    check(rc == 4, "a second moat serve on a port in use exits 4, not %s" % rc)
    check("in use" in err and "127.0.0.1:%d" % first.port in err,
          "and says the port is in use: %r" % err.strip())
    # The first one is still the only one answering.
    answers = set()
    for _ in range(20):
        st, _, data = request(first.port, "POST", "/v1/check",
                              body=json.dumps({"resource": "stopen", "source":
                                               {"ip": "127.0.0.9"}}).encode())
        answers.add(json.loads(data).get("decision") if st == 200 else st)
    check(answers == {"deny"}, "the first estate alone decides: %s" % answers)
    first.stop()
    finish("serve port in use")


if __name__ == "__main__":
    main()
