"""moat serve: POST /v1/check never answers a question it could not decide
with 200. A single request object that is malformed is 400, one that names
a resource the estate does not have is 404, each with {"error": "..."}; in
an array every element that could not be decided says its own status
beside its error, and the array itself is 200 (it was read, and every
element is answered in its place).

Before the fix both were 200, so a client that checked the status alone
read an error as an answer."""
import json
import os

from seclib import Serve, TOP, check, finish, request

ESTATE = os.path.join(TOP, "tests", "e2e", "estate", "gate.json")


def post(port, doc):
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    st, h, data = request(port, "POST", "/v1/check", body=body)
    try:
        return st, h, json.loads(data)
    except ValueError:
        return st, h, data


def main():
    s = Serve("--estate", ESTATE)
    try:
        ok = {"resource": "stopen", "source": {"ip": "127.0.0.5"}}
        st, h, out = post(s.port, ok)
        check(st == 200 and out.get("decision") == "allow",
              "a request decided: 200 (%s)" % st)
        for what, doc, want in (
                ("no resource", {"source": {"ip": "127.0.0.5"}}, 400),
                ("a bad address", {"resource": "stopen",
                                   "source": {"ip": "not-an-ip"}}, 400),
                ("an unknown field value", {"resource": "stopen",
                                            "operation": "fly"}, 400),
                ("an unknown resource", {"resource": "nosuch",
                                         "source": {"ip": "127.0.0.5"}}, 404)):
            st, h, out = post(s.port, doc)
            check(st == want and isinstance(out, dict) and
                  isinstance(out.get("error"), str) and out["error"] and
                  "decision" not in out and
                  h.get("content-type") == "application/json",
                  "%s: %d with a JSON error, not %s %r" % (what, want, st, out))
        st, h, out = post(s.port, [ok, {"resource": "nosuch"},
                                   {"source": {}}, 42])
        check(st == 200 and isinstance(out, list) and len(out) == 4,
              "an array: 200 and one answer per element (%s)" % st)
        if isinstance(out, list) and len(out) == 4:
            check(out[0].get("decision") == "allow" and "status" not in out[0],
                  "a decided element is the decision")
            check([e.get("status") for e in out[1:]] == [404, 400, 400] and
                  all(e.get("error") for e in out[1:]),
                  "each failed element says its status: %r" % out[1:])
    finally:
        s.stop()
    finish("serve check statuses")


if __name__ == "__main__":
    main()
