#!/usr/bin/env python3
"""Differential test of moat's JMESPath engine (tool/jmespath.h, behind
--query) against Debian's python3-jmespath, the library az itself runs.

Random expressions, generated from JMESPath's grammar (and, for some,
broken on purpose: cut short or with a stray character), run on random
documents, by both; the results must be the same JSON, type for type
(1 is not 1.0, key order counts: az prints what Python holds), and the
errors the same kind. Seeded, so every run asks the same questions.

Where python3-jmespath 1.0.1 departs from the specification that the
compliance suite and moat follow, the harness holds it to the
specification, and counts the cases where that changed its answer:

  ordering     '<' and friends order numbers only (1.0.1 orders strings)
  equality     '==' tells 1 from true inside arrays and objects (Python's
               list equality does not)
  contains     contains() uses that equality, and a non-string searched in
               a string is false (Python raises TypeError)
  slice        a slice after an index projects (JEP 10; 1.0.1 folds it into
               the index expression: a[0][1:3].b was null)
  merge        every argument of merge() is an object (1.0.1 checks the
               first only)
  static       unknown functions, argument counts and a slice step of 0 are
               errors before evaluation, as moat compiles them (1.0.1 finds
               them only when it reaches them)
  syntax       commas between a function's arguments and between {k: v}
               pairs, none after the last, one number per slice part, and
               '(' after a function's name only (1.0.1 reads f(a b), f(a,),
               {a: b c: d}, [1 2:3] and (f)(a))
  expref       to_string() of an expression reference (&a) is invalid-type
               and to_number() of one null (1.0.1 writes the Python object's
               repr, or raises TypeError)

A Python TypeError comparing a number with a string in max_by()/min_by()
counts as invalid-type, the kind the specification gives; so does a result
holding an expression reference, which Python cannot write (az fails).

Not generated, because moat follows the specification and Python does not
(see docs/manage.md): to_number() of strings Python's int()/float() read but
JSON does not ("01", " 1", "1_000", "+1", ".5", "inf").
"""
import argparse
import json
import operator
import os
import random
import subprocess
import sys
import tempfile

try:
    import jmespath
    from jmespath import exceptions, functions, parser, visitor
except ImportError:
    print("jmespath differential: SKIPPED: python3-jmespath is not installed "
          "(scripts/deps installs it)")
    sys.exit(0)

PATCHES = ("ordering", "equality", "contains", "slice", "merge", "static",
           "syntax", "expref")

# --------------------------------------------------------------------------
# The reference, held to the specification.


def spec_equal(x, y):
    """JSON equality: types first (1 is not true), objects in any order."""
    if isinstance(x, bool) or isinstance(y, bool):
        return type(x) is type(y) and x == y
    if isinstance(x, (int, float)) and isinstance(y, (int, float)):
        return x == y
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(map(spec_equal, x, y))
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(spec_equal(x[k], y[k])
                                            for k in x)
    if isinstance(x, str) and isinstance(y, str):
        return x == y
    return x is None and y is None


def is_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def holds_expref(v):
    if isinstance(v, visitor._Expression):
        return True
    if isinstance(v, list):
        return any(map(holds_expref, v))
    if isinstance(v, dict):
        return any(map(holds_expref, v.values()))
    return False


class SpecFunctions(functions.Functions):
    """Functions whose 1.0.1 versions depart from the specification."""
    patches = set(PATCHES)

    @functions.signature({'types': ['array', 'string']}, {'types': []})
    def _func_contains(self, subject, search):
        if "contains" not in self.patches:
            return search in subject
        if isinstance(subject, str):
            return isinstance(search, str) and search in subject
        return any(spec_equal(x, search) for x in subject)

    @functions.signature({'types': []})
    def _func_to_string(self, arg):
        if "expref" in self.patches and holds_expref(arg):
            raise exceptions.JMESPathTypeError(
                'to_string', arg, 'expref', ['any but an expression'])
        return super()._func_to_string(arg)

    @functions.signature({'types': []})
    def _func_to_number(self, arg):
        if "expref" in self.patches and isinstance(arg, visitor._Expression):
            return None
        return super()._func_to_number(arg)

    @functions.signature({'types': ['object'], 'variadic': True})
    def _func_merge(self, *arguments):
        if "merge" in self.patches:
            for a in arguments:
                if not isinstance(a, dict):
                    raise exceptions.JMESPathTypeError(
                        'merge', a, 'unknown', ['object'])
        merged = {}
        for a in arguments:
            merged.update(a)
        return merged


class SpecInterpreter(visitor.TreeInterpreter):
    ORDER = {'lt': operator.lt, 'lte': operator.le,
             'gt': operator.gt, 'gte': operator.ge}

    def __init__(self, patches):
        functions_ = SpecFunctions()
        functions_.patches = patches
        super().__init__(jmespath.Options(custom_functions=functions_))
        self.patches = patches

    def visit_comparator(self, node, value):
        op = node['value']
        if op in ('eq', 'ne') and "equality" in self.patches:
            left = self.visit(node['children'][0], value)
            right = self.visit(node['children'][1], value)
            return spec_equal(left, right) == (op == 'eq')
        if op not in ('eq', 'ne') and "ordering" in self.patches:
            left = self.visit(node['children'][0], value)
            right = self.visit(node['children'][1], value)
            if not (is_number(left) and is_number(right)):
                return None
            return self.ORDER[op](left, right)
        return super().visit_comparator(node, value)


class SpecParser(parser.Parser):
    """A slice after an index starts a projection (JEP 10); commas where
    the grammar has them."""

    def __init__(self, patches):
        super().__init__()
        self.patches = patches

    def _strict_error(self, what):
        t = self._lookahead_token(0)
        raise exceptions.ParseError(t['start'], t['value'], t['type'], what)

    def _token_led_lparen(self, left):
        if "syntax" not in self.patches:
            return super()._token_led_lparen(left)
        if left['type'] != 'field' or \
                self._lookahead(-2) != 'unquoted_identifier':
            self._strict_error("not a function name")
        args = []
        while self._current_token() != 'rparen':
            args.append(self._expression())
            if self._current_token() == 'comma':
                self._match('comma')
                if self._current_token() == 'rparen':
                    self._strict_error("an argument after ','")
            elif self._current_token() != 'rparen':
                self._strict_error("',' or ')'")
        self._match('rparen')
        return {'type': 'function_expression', 'children': args,
                'value': left['value']}

    def _parse_multi_select_hash(self):
        if "syntax" not in self.patches:
            return super()._parse_multi_select_hash()
        pairs = []
        while True:
            key_token = self._lookahead_token(0)
            self._match_multiple_tokens(
                token_types=['quoted_identifier', 'unquoted_identifier'])
            self._match('colon')
            value = self._expression(0)
            pairs.append({'type': 'key_val_pair', 'children': [value],
                          'value': key_token['value']})
            if self._current_token() == 'rbrace':
                self._match('rbrace')
                return {'type': 'multi_select_dict', 'children': pairs}
            if self._current_token() != 'comma':
                self._strict_error("',' or '}'")
            self._match('comma')

    def _parse_slice_expression(self):
        if "syntax" not in self.patches:
            return super()._parse_slice_expression()
        parts, index = [None, None, None], 0
        while self._current_token() != 'rbracket':
            if self._current_token() == 'number' and parts[index] is None:
                parts[index] = self._lookahead_token(0)['value']
            elif self._current_token() == 'colon' and index < 2:
                index += 1
            else:
                self._strict_error("syntax error")
            self._advance()
        self._match('rbracket')
        return {'type': 'slice', 'children': parts}

    def _token_led_lbracket(self, left):
        token = self._lookahead_token(0)
        if "slice" in self.patches and token['type'] in ['number', 'colon']:
            right = self._parse_index_expression()
            if left['type'] == 'index_expression' and \
                    right['type'] == 'index':
                left['children'].append(right)
                return left
            return self._project_if_slice(left, right)
        return super()._token_led_lbracket(left)


def static_errors(node, table):
    """Unknown functions, argument counts and slice steps of 0, found
    before evaluation in evaluation order (arguments before their call)."""
    if not isinstance(node, dict):
        return
    kids = node.get('children', [])
    if node['type'] == 'filter_projection':
        kids = [kids[0], kids[2], kids[1]]
    for kid in kids:
        static_errors(kid, table)
    if node['type'] == 'slice' and node['children'][2] == 0:
        raise exceptions.JMESPathError("slice step 0")  # invalid-value
    if node['type'] == 'function_expression':
        name, n = node['value'], len(kids)
        if name not in table:
            raise exceptions.UnknownFunctionError(name)
        sig = table[name]['signature']
        if sig and sig[-1].get('variadic'):
            if n < len(sig):
                raise exceptions.VariadictArityError(len(sig), n, name)
        elif n != len(sig):
            raise exceptions.ArityError(len(sig), n, name)


def error_kind(e):
    if isinstance(e, (exceptions.ArityError,)):
        return "invalid-arity"
    if isinstance(e, exceptions.UnknownFunctionError):
        return "unknown-function"
    if isinstance(e, exceptions.JMESPathTypeError):
        return "invalid-type"
    if isinstance(e, (exceptions.ParseError, exceptions.EmptyExpressionError)):
        return "syntax"
    if isinstance(e, exceptions.JMESPathError) and "slice step" in str(e):
        return "invalid-value"
    if isinstance(e, ValueError) and "slice step" in str(e):
        return "invalid-value"  # 1.0.1 reaching a step of 0 on a list
    if isinstance(e, TypeError):
        return "invalid-type"   # max_by/min_by comparing number and string
    return "oracle-crash: %s: %s" % (type(e).__name__, e)


def reference(expression, given, patches):
    """('result', value) or ('error', kind) from python3-jmespath, with the
    given patches applied."""
    try:
        if not expression:
            raise exceptions.EmptyExpressionError()
        parsed = SpecParser(patches)._parse(expression).parsed
        if "static" in patches:
            static_errors(parsed, SpecFunctions.FUNCTION_TABLE)
        result = SpecInterpreter(patches).visit(parsed, given)
        if holds_expref(result):
            return ('error', 'invalid-type')  # Python cannot write it
        return ('result', result)
    except Exception as e:  # every kind of failure is an answer to compare
        return ('error', error_kind(e))


# --------------------------------------------------------------------------
# Random documents and expressions.

KEYS = ["a", "b", "c", "foo", "bar", "name", "value", "with space", "é",
        "a\u0000b"]
STRINGS = ["", "a", "b", "ab", "abc", "foo", "bar", "é", "日本", "😀",
           "1", "-2", "1.5", "1e2", "0", "-0.5", "12abc", "true", "null",
           "with space", "a\u0000b", "A", "z"]
FLOATS = [0.5, -2.25, 1.0, 3.5e3, 1e-7, 123.456, -0.0, 2.0, 1e16, 0.1]
FUNCTIONS = {
    "abs": 1, "avg": 1, "ceil": 1, "contains": 2, "ends_with": 2,
    "floor": 1, "join": 2, "keys": 1, "length": 1, "map": 2, "max": 1,
    "max_by": 2, "merge": -1, "min": 1, "min_by": 2, "not_null": -1,
    "reverse": 1, "sort": 1, "sort_by": 2, "starts_with": 2, "sum": 1,
    "to_array": 1, "to_string": 1, "to_number": 1, "type": 1, "values": 1,
}
EXPREF_FIRST = {"map"}
EXPREF_SECOND = {"max_by", "min_by", "sort_by"}


def gen_scalar(r):
    k = r.random()
    if k < 0.35:
        return r.randint(-10, 10)
    if k < 0.5:
        return r.choice(FLOATS)
    if k < 0.8:
        return r.choice(STRINGS)
    return r.choice([True, False, None])


def gen_value(r, depth):
    k = r.random()
    if depth <= 0 or k < 0.35:
        return gen_scalar(r)
    if k < 0.65:
        return {r.choice(KEYS): gen_value(r, depth - 1)
                for _ in range(r.randint(0, 4))}
    n = r.randint(0, 5)
    kind = r.random()
    if kind < 0.25:     # arrays of one kind, for sort, sum, max...
        return [r.randint(-20, 20) for _ in range(n)]
    if kind < 0.4:
        return [r.choice(STRINGS) for _ in range(n)]
    return [gen_value(r, depth - 1) for _ in range(n)]


def gen_name(r):
    k = r.choice(KEYS + ["nope"])
    if k.isidentifier() and k.isascii():
        return k
    return json.dumps(k, ensure_ascii=r.random() < 0.5)


def gen_literal(r):
    if r.random() < 0.3:
        s = r.choice(STRINGS)
        return "'%s'" % s.replace("'", "\\'")
    text = json.dumps(gen_value(r, 2), ensure_ascii=r.random() < 0.5)
    return "`%s`" % text.replace("`", "\\`")


def gen_atom(r):
    return r.choice([gen_name, gen_name, gen_name, lambda r: "@",
                     gen_literal, lambda r: "*", lambda r: "[*]",
                     lambda r: "[]"])(r)


def gen_slice(r):
    def part():
        return str(r.randint(-6, 6)) if r.random() < 0.6 else ""
    s = part() + ":" + part()
    if r.random() < 0.5:
        step = r.choice([-3, -2, -1, 1, 2, 3, 0] if r.random() < 0.97
                        else [0])
        s += ":" + (str(step) if r.random() < 0.8 else "")
    return s


def gen_projection_rest(r, d):
    k = r.random()
    if k < 0.4:
        return ""
    if k < 0.8:
        return "." + gen_dot_rhs(r, d)
    return "[%d]" % r.randint(-3, 3)


def gen_dot_rhs(r, d):
    k = r.random()
    if k < 0.6 or d <= 0:
        return gen_name(r)
    if k < 0.7:
        return "[%s]" % ", ".join(gen_expr(r, d - 1)
                                  for _ in range(r.randint(1, 3)))
    if k < 0.8:
        return "{%s}" % ", ".join("%s: %s" % (gen_name(r), gen_expr(r, d - 1))
                                  for _ in range(r.randint(1, 3)))
    if k < 0.9:
        return "*"
    return gen_call(r, d - 1)


def gen_arg(r, d, expref):
    e = gen_expr(r, d)
    return "&" + e if expref else e


def gen_call(r, d):
    name = r.choice(list(FUNCTIONS))
    n = FUNCTIONS[name]
    if n < 0:
        n = r.randint(1, 3)
    if r.random() < 0.04:
        n += r.choice([-1, 1])          # a wrong count of arguments
    if r.random() < 0.02:
        name = r.choice(["nope", "len", "lenght", "Sum"])
    args = [gen_arg(r, d, (i == 0 and name in EXPREF_FIRST) or
                    (i == 1 and name in EXPREF_SECOND))
            for i in range(max(n, 0))]
    return "%s(%s)" % (name, ", ".join(args))


def gen_expr(r, d):
    if d <= 0:
        return gen_atom(r)
    e = lambda: gen_expr(r, d - 1)
    forms = [
        lambda: gen_atom(r),
        lambda: e() + "." + gen_dot_rhs(r, d - 1),
        lambda: e() + "[%d]" % r.randint(-4, 4),
        lambda: e() + "[%s]" % gen_slice(r) + gen_projection_rest(r, d - 1),
        lambda: e() + "[*]" + gen_projection_rest(r, d - 1),
        lambda: e() + "[]" + gen_projection_rest(r, d - 1),
        lambda: e() + ".*" + gen_projection_rest(r, d - 1),
        lambda: e() + "[?%s]" % e() + gen_projection_rest(r, d - 1),
        lambda: "[%s]" % ", ".join(e() for _ in range(r.randint(1, 3))),
        lambda: "{%s}" % ", ".join("%s: %s" % (gen_name(r), e())
                                   for _ in range(r.randint(1, 3))),
        lambda: e() + " | " + e(),
        lambda: e() + " || " + e(),
        lambda: e() + " && " + e(),
        lambda: "!" + e(),
        lambda: e() + r.choice([" == ", " != ", " < ", " <= ", " > ",
                                " >= "]) + e(),
        lambda: "(" + e() + ")",
        lambda: gen_call(r, d - 1),
        lambda: gen_call(r, d - 1),
        lambda: gen_literal(r),
    ]
    return r.choice(forms)()


def break_expression(r, e):
    """A stray character, or the expression cut short: mostly syntax
    errors, sometimes another valid expression."""
    if r.random() < 0.4 and len(e) > 1:
        return e[:r.randint(0, len(e) - 1)]
    i = r.randint(0, len(e))
    c = r.choice("[](){}.,:|&!=<>@*?`'\"#$^~%;-0 a")
    return e[:i] + c + e[i:]


def gen_case(r):
    given = gen_value(r, 4)
    expression = gen_expr(r, r.randint(1, 4))
    if r.random() < 0.12:
        expression = break_expression(r, expression)
    return expression, given


# --------------------------------------------------------------------------
# Comparing.


def same(x, y):
    """JSON values equal type for type and in key order."""
    if type(x) is not type(y):
        return False
    if isinstance(x, list):
        return len(x) == len(y) and all(map(same, x, y))
    if isinstance(x, dict):
        return list(x) == list(y) and all(same(x[k], y[k]) for k in x)
    if isinstance(x, float) and x != x:
        return y != y
    return x == y


def same_outcome(a, b):
    return a[0] == b[0] and (same(a[1], b[1]) if a[0] == 'result'
                             else a[1] == b[1])


def moat_outcomes(jp, cases):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl",
                                     delete=False) as f:
        for expression, given in cases:
            f.write(json.dumps({"expression": expression, "given": given})
                    + "\n")
        path = f.name
    try:
        with open(path) as stdin:
            p = subprocess.run([jp, "--lines"], stdin=stdin,
                               capture_output=True, text=True, check=False)
    finally:
        os.unlink(path)
    if p.returncode != 0:
        sys.exit("jmespath differential: %s failed (exit %d): %s"
                 % (jp, p.returncode, p.stderr[-2000:]))
    out = []
    for line in p.stdout.splitlines():
        d = json.loads(line)
        out.append(('result', d["result"]) if "result" in d
                   else ('error', d["error"]))
    if len(out) != len(cases):
        sys.exit("jmespath differential: %d answers for %d cases"
                 % (len(out), len(cases)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jp", required=True, help="tests/jmespath/jp_check")
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args()
    r = random.Random(args.seed)
    cases = [gen_case(r) for _ in range(args.cases)]
    ours = moat_outcomes(args.jp, cases)
    kinds, departed, failures = {}, {p: 0 for p in PATCHES}, 0
    all_patches = set(PATCHES)
    for (expression, given), mine in zip(cases, ours):
        theirs = reference(expression, given, all_patches)
        key = theirs[1] if theirs[0] == 'error' else \
            "null" if theirs[1] is None else "result"
        kinds[key] = kinds.get(key, 0) + 1
        for p in PATCHES:
            if not same_outcome(reference(expression, given,
                                          all_patches - {p}), theirs):
                departed[p] += 1
        if not same_outcome(mine, theirs):
            failures += 1
            if failures <= 20:
                print("DIFFER: %s\n  given:  %s\n  moat:   %s\n  python: %s"
                      % (json.dumps(expression), json.dumps(given)[:300],
                         json.dumps(mine)[:300],
                         json.dumps(theirs, default=repr)[:300]))
    print("jmespath differential: %d cases against python3-jmespath %s "
          "(seed %d): %d agree, %d differ"
          % (len(cases), jmespath.__version__, args.seed,
             len(cases) - failures, failures))
    print("  outcomes: " + ", ".join("%s %d" % kv
                                     for kv in sorted(kinds.items())))
    print("  held to the specification (cases whose answer that changed): "
          + ", ".join("%s %d" % (p, departed[p]) for p in PATCHES))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
