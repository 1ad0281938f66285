#!/usr/bin/env python3
"""hcl2plan.py FILE.tf... > plan.json

Turns the Terraform configurations of the tests (Checkov's fixtures) into the
JSON that `terraform show -json` prints for a plan of them, so that moat's
Terraform reader can audit them: planned_values with every literal,
resource_changes whose after_unknown marks what Terraform would know only
after apply (every reference to another resource or a data source), and the
configuration's references.

It reads the subset of HCL the fixtures use: resource blocks, attributes
(strings, numbers, booleans, lists, maps, references), nested blocks and
comments. It is a test tool, not a Terraform implementation: provider
defaults are not filled in (moat then applies Azure's defaults, as it would
for an attribute the plan leaves out).
"""
import json
import re
import sys

TOKEN = re.compile(r'''
    (?P<ws>[ \t\r\n]+|\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<num>-?[0-9]+(?:\.[0-9]+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z_*][A-Za-z0-9_\-*]*|\[[0-9]+\])*)
  | (?P<punct>[{}\[\]=,():?])
''', re.X | re.S)


def tokens(text):
    pos = 0
    out = []
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise SyntaxError("unexpected %r at offset %d" % (text[pos:pos + 20], pos))
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group(kind)))
    return out


class Unknown:
    """A reference: known only after apply."""
    def __init__(self, ref):
        self.ref = ref


class Parser:
    def __init__(self, toks):
        self.t = toks
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self, value=None):
        kind, text = self.peek()
        if value is not None and text != value:
            raise SyntaxError("expected %r, found %r" % (value, text))
        self.i += 1
        return kind, text

    def value(self):
        kind, text = self.take()
        if kind == "str":
            return json.loads(text)
        if kind == "num":
            return float(text) if "." in text else int(text)
        if text == "[":
            items = []
            while self.peek()[1] != "]":
                items.append(self.value())
                if self.peek()[1] == ",":
                    self.take(",")
            self.take("]")
            return items
        if text == "{":
            obj = {}
            while self.peek()[1] != "}":
                _, key = self.take()
                self.take("=") if self.peek()[1] == "=" else self.take(":")
                obj[key.strip('"')] = self.value()
                if self.peek()[1] == ",":
                    self.take(",")
            self.take("}")
            return obj
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if kind == "ident":
            if self.peek()[1] == "(":  # a function call: unknown
                depth = 0
                while True:
                    _, t = self.take()
                    depth += t == "("
                    depth -= t == ")"
                    if depth == 0:
                        break
            if self.peek()[1] == "?":  # a conditional: unknown
                self.take("?")
                self.value()
                self.take(":")
                self.value()
            return Unknown(text)
        raise SyntaxError("unexpected %r" % text)

    def body(self):
        attrs, blocks = {}, {}
        while self.peek()[1] not in ("}", None):
            _, name = self.take()
            if self.peek()[1] == "=":
                self.take("=")
                attrs[name] = self.value()
            else:
                labels = []
                while self.peek()[0] == "str":  # block labels
                    labels.append(json.loads(self.take()[1]))
                self.take("{")
                inner = self.body()
                self.take("}")
                if name == "dynamic":
                    # dynamic "x" { for_each = ..., content { ... } }: a
                    # block whose presence depends on for_each.
                    for_each = inner[0].get("for_each")
                    if isinstance(for_each, Unknown):
                        attrs[labels[0]] = Unknown("dynamic." + labels[0])
                    else:
                        for _ in for_each or []:
                            blocks.setdefault(labels[0], []).extend(
                                inner[1].get("content", []))
                else:
                    blocks.setdefault(name, []).append(inner)
        return attrs, blocks

    def resources(self):
        out = []
        while self.peek()[0] is not None:
            _, kw = self.take()
            labels = []
            while self.peek()[0] == "str":
                labels.append(json.loads(self.take()[1]))
            self.take("{")
            attrs, blocks = self.body()
            self.take("}")
            if kw == "resource":
                out.append((labels[0], labels[1], attrs, blocks))
        return out


def split(attrs, blocks):
    """values, after_unknown and expressions of one body."""
    values, unknown, exprs = {}, {}, {}
    for k, v in attrs.items():
        if isinstance(v, Unknown):
            unknown[k] = True
            exprs[k] = {"references": [v.ref, v.ref.rsplit(".", 1)[0]]}
        elif isinstance(v, list) and any(isinstance(x, Unknown) for x in v):
            values[k] = [x for x in v if not isinstance(x, Unknown)]
            unknown[k] = [isinstance(x, Unknown) for x in v]
            exprs[k] = {"references": [x.ref for x in v if isinstance(x, Unknown)]}
        else:
            values[k] = v
            exprs[k] = {"constant_value": v}
    for k, bodies in blocks.items():
        vs, us, es = [], [], []
        for b in bodies:
            v, u, e = split(*b)
            vs.append(v)
            us.append(u)
            es.append(e)
        values[k], unknown[k], exprs[k] = vs, us, es
    return values, unknown, exprs


def plan(resources):
    planned, changes, config = [], [], []
    seen = {}
    for typ, name, attrs, blocks in resources:
        addr = "%s.%s" % (typ, name)
        if addr in seen:  # Checkov fixtures reuse names across files
            seen[addr] += 1
            addr = "%s.%s_%d" % (typ, name, seen[addr])
        seen.setdefault(addr, 0)
        values, unknown, exprs = split(attrs, blocks)
        # An id written in the fixture is a resource that exists: an update,
        # whose id the plan knows.
        exists = "id" in values
        if not exists:
            unknown["id"] = True
        common = {"address": addr, "mode": "managed", "type": typ, "name": addr.split(".")[1],
                  "provider_name": "registry.terraform.io/hashicorp/azurerm"}
        planned.append(dict(common, schema_version=0, values=values, sensitive_values={}))
        changes.append(dict(common, change={"actions": ["update" if exists else "create"], "before": None, "after": values,
                                            "after_unknown": unknown}))
        config.append(dict(common, provider_config_key="azurerm", expressions=exprs,
                           schema_version=0))
    return {"format_version": "1.2", "terraform_version": "1.9.5",
            "planned_values": {"root_module": {"resources": planned}},
            "resource_changes": changes,
            "configuration": {"root_module": {"resources": config}}}


def main():
    resources = []
    for path in sys.argv[1:]:
        with open(path) as f:
            resources.extend(Parser(tokens(f.read())).resources())
    json.dump(plan(resources), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
