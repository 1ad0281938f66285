"""moat serve: a /v1/check answer larger than the worker's buffer (64 KiB)
is grown into, never copied from a short literal. Before the fix, growing
the buffer for one decision copied need + 1 bytes from "" (ASan:
global-buffer-overflow READ in srv_body_append, from check_one). Under the
ASan build that kills the server; here the answer must come back whole."""
import json
import os

from seclib import Serve, check, finish, request, TOP

ESTATE = os.path.join(TOP, "tests", "e2e", "estate", "gate.json")


def main():
    s = Serve("--estate", ESTATE, "--account-from", "path")
    try:
        one = {"resource": "stopen", "source": {"ip": "127.0.0.9"}}
        # Each decision is about 300 bytes: 400 of them outgrow 64 KiB,
        # and the growth happens in the middle of a decision.
        for n in (230, 400, 1500):
            body = json.dumps([one] * n).encode()
            try:
                st, h, data = request(s.port, "POST", "/v1/check", body=body)
            except OSError as e:  # the server died (ASan) or hung up
                st, data = str(e), b""
            out = json.loads(data) if st == 200 else None
            check(st == 200 and isinstance(out, list) and len(out) == n and
                  all(d.get("decision") == "deny" for d in out),
                  "%d decisions in one answer (%d bytes): %s" %
                  (n, len(data), st))
    finally:
        s.stop()
    finish("serve check answer growth")


if __name__ == "__main__":
    main()
