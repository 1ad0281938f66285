# bench/lib.sh - what the wrk benchmarks (gate.sh, serve.sh) share. Sourced.
#
#   max_estate DIR   writes DIR/estate.json, the decide benchmark's
#                    maximum-size account with 127.0.0.1 as its last IP
#                    rule (IP rules come after the perimeter's, so an
#                    allowed request walks them all); prints the account
#   free_port        a free TCP port on 127.0.0.1
#   wrk_fields FILE  wrk --latency output as JSON fields:
#                    "requests_per_sec":N,"p50_us":N,"p99_us":N

max_estate() {
    build/bench decide --emit "$1/emit" --requests 16 >/dev/null
    python3 - "$1/emit/estate.json" "$1/estate.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
items = d if isinstance(d, list) else d.get("value", [])
for r in items:
    if r.get("type", "").lower() == "microsoft.storage/storageaccounts":
        r["properties"]["networkAcls"]["ipRules"][-1] = {"value": "127.0.0.1"}
        account = r["name"]
json.dump(d, open(sys.argv[2], "w"))
print(account)
PY
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wrk_fields() {
    python3 - "$1" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
def us(label):
    m = re.search(r"\s%s\s+([\d.]+)(us|ms|s)\b" % re.escape(label), t)
    v, u = float(m.group(1)), m.group(2)
    return v * {"us": 1, "ms": 1e3, "s": 1e6}[u]
errors = re.search(r"Socket errors: (.*)", t)
print('"requests_per_sec":%.0f,"p50_us":%.0f,"p99_us":%.0f,"socket_errors":%s'
      % (rps, us("50%"), us("99%"),
         '"%s"' % errors.group(1) if errors else "null"), end="")
PY
}
