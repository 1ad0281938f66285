#!/usr/bin/env python3
"""Differential test of moat's -o formats (tool/az_output.h) against what
az prints: random results (az-like documents, strings chosen to test
YAML's quoting and folding, numbers, booleans, nulls, nesting), with and
without a --query, formatted by moat (jp_check --output) and by the
libraries az formats with: json.dumps, PyYAML's safe_dump, tabulate's
"simple" table, pygments' terminal colours, following knack's rules
(knack/output.py: the table's rows, the tsv's lines), restated here.

Seeded, so every run asks the same questions.

usage: output_diff.py --jp BIN [--cases N] [--seed S]
"""
import argparse
import collections
import json
import random
import subprocess
import sys

try:
    import jmespath
    import tabulate
    import yaml
    from pygments import formatters, highlight, lexers
except ImportError as e:
    print("output differential: SKIPPED: %s (scripts/deps installs "
          "python3-jmespath, python3-tabulate, python3-yaml, "
          "python3-pygments)" % e)
    sys.exit(0)

KEYS = ["id", "type", "etag", "name", "location", "bypass", "defaultAction",
        "ipRules", "value", "action", "resourceGroup", "tags", "kind",
        "a", "B", "zeta", "état", "x y", "0", "yes"]
STRINGS = [
    "", " ", "Allow", "Deny", "westeurope", "yes", "No", "on", "OFF", "true",
    "null", "Null", "~", "<<", "=", "1", "012", "0x1F", "1_000", "1.5",
    "1e5", ".5", "-.inf", ".NaN", "12:30", "2024-01-01",
    "2024-01-01T00:00:00.1234567Z", "2024-1-1 1:02:03", " lead", "trail ",
    "a: b", "a:b", "a:", ":a", "- x", "-x", "-", "#c", "x #c", "x#c",
    "'q'", '"dq"', "a'b", "@at", "`bt", "%p", "!bang", "&amp", "*star",
    "|pipe", ">gt", "?q", "? q", "a,b", "[x]", "{x}", "---x", "...y",
    "é", "日本", "tab\there", "line\nbreak", "nul\0x", "bell\x07",
    "25.1.2.3", "2001:db8::/48", "Logging, Metrics",
    "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Storage/"
    "storageAccounts/st1",
]
WORDS = ["alpha", "beta", "gamma", "delta", "a", "rule", "subnet", "it's"]


def long_text(rnd):
    words = [rnd.choice(WORDS) for _ in range(rnd.randint(10, 40))]
    text = " ".join(words)
    if rnd.random() < 0.3:
        text = text.replace(" ", "  ", 1)
    if rnd.random() < 0.3:
        text += " "
    return text


def scalar(rnd):
    r = rnd.random()
    if r < 0.55:
        return rnd.choice(STRINGS)
    if r < 0.62:
        return long_text(rnd)
    if r < 0.72:
        return rnd.choice([0, 1, -7, 400, 2 ** 40])
    if r < 0.8:
        return rnd.choice([0.5, 1.0, -2.25, 1e20, 1e-7, 3.14159])
    if r < 0.9:
        return rnd.choice([True, False])
    return None


def value(rnd, depth):
    r = rnd.random()
    if depth > 3 or r < 0.5:
        return scalar(rnd)
    if r < 0.75:
        return {k: value(rnd, depth + 1)
                for k in rnd.sample(KEYS, rnd.randint(0, 5))}
    return [value(rnd, depth + 1) for _ in range(rnd.randint(0, 4))]


def document(rnd):
    r = rnd.random()
    if r < 0.5:
        return [{k: value(rnd, 2) for k in rnd.sample(KEYS, rnd.randint(1, 6))}
                for _ in range(rnd.randint(0, 4))]
    return value(rnd, 0)


def query(rnd, doc):
    if rnd.random() < 0.5:
        return None
    keys = rnd.sample(KEYS, 3)
    return rnd.choice([
        "@", "[*]", "[].{k1: %s, k2: %s}" % (json.dumps(keys[0]),
                                              json.dumps(keys[1])),
        "[].%s" % json.dumps(keys[0]), "{b: `1`, a: @}",
        "[].[%s, %s]" % (json.dumps(keys[0]), json.dumps(keys[1])),
        json.dumps(keys[2]),
    ])


# --- az's formats, as knack writes them ----------------------------------
def table_item(item, sort_keys):
    entry = collections.OrderedDict()
    if isinstance(item, dict):
        keys = sorted(item) if sort_keys else item.keys()
        for k in keys:
            if k in ("id", "type", "etag"):
                continue
            v = item[k]
            if v is not None and not isinstance(v, (list, dict)):
                entry[k[0].upper() + k[1:] if k else k] = v
    elif isinstance(item, list):
        for i, v in enumerate(item):
            entry["Column%d" % (i + 1)] = v
    else:
        entry["Result"] = item
    return entry


def az_table(result, query_active):
    rows = result if isinstance(result, list) else [result]
    data = [table_item(r, not query_active) for r in rows]
    text = tabulate.tabulate(data, headers="keys", tablefmt="simple",
                             disable_numparse=True) if data else ""
    return text + "\n"


def tsv_cell(v):
    if isinstance(v, list):
        return str(len(v))
    if isinstance(v, dict):
        return ""
    return v if isinstance(v, str) else str(v)


def az_tsv(result):
    out = []
    for row in (result if isinstance(result, list) else [result]):
        if isinstance(row, collections.OrderedDict):
            out.append("\t".join(tsv_cell(v) for v in row.values()))
        elif isinstance(row, dict):
            out.append("\t".join(tsv_cell(v) for _, v in sorted(row.items())))
        elif isinstance(row, list):
            out.append("\t".join(tsv_cell(v) for v in row))
        elif isinstance(row, bool):
            out.append(str(row).lower())
        else:
            out.append(tsv_cell(row))
    return "".join(line + "\n" for line in out)


def az_format(fmt, result, query_active):
    if result is None:
        return ""
    text = json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False)
    if fmt == "json":
        return text + "\n"
    if fmt == "jsonc":
        return highlight(text, lexers.JsonLexer(),
                         formatters.TerminalFormatter())
    if fmt == "yaml":
        return yaml.safe_dump(json.loads(json.dumps(result)),
                              default_flow_style=False, allow_unicode=True)
    if fmt == "tsv":
        return az_tsv(result)
    return az_table(result, query_active)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jp", required=True)
    ap.add_argument("--cases", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=17)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    cases = []
    for _ in range(a.cases):
        doc = document(rnd)
        q = query(rnd, doc)
        fmt = rnd.choice(["json", "jsonc", "table", "tsv", "yaml", "none"])
        if fmt == "table" and "\\u0000" in json.dumps(doc):
            continue  # a cell holding U+0000 ends there in moat
        result = doc
        if q is not None:
            result = jmespath.search(
                q, doc, jmespath.Options(dict_cls=collections.OrderedDict))
        want = "" if fmt == "none" else az_format(fmt, result, q is not None)
        cases.append(({"format": fmt, "given": doc, "expression": q}, want))
    p = subprocess.run([a.jp, "--output"], capture_output=True, text=True,
                       input="".join(json.dumps(c) + "\n" for c, _ in cases))
    answers = p.stdout.splitlines()
    if p.returncode != 0 or len(answers) != len(cases):
        print("output differential: jp_check failed: %s" % p.stderr[-2000:])
        return 1
    failed = 0
    per_format = collections.Counter()
    for (case, want), line in zip(cases, answers):
        got = json.loads(line).get("text")
        per_format[case["format"]] += 1
        if got != want:
            failed += 1
            if failed <= 5:
                print("DIFFERS: %s\n  moat: %r\n  az:   %r"
                      % (json.dumps(case, ensure_ascii=False), got, want))
    print("output differential: %d cases (%s), %d differ"
          % (len(cases), ", ".join("%s %d" % kv for kv in
                                   sorted(per_format.items())), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
