#!/usr/bin/env python3
"""scripts/check-layers.py - `make check-layers`: the layers of
docs/ARCHITECTURE.md, checked on what the compiler produced.

From the object files' defined and undefined symbols (nm) it draws which
file uses which; it fails on
  - a use the layer table forbids (base using estate, the library using a
    command, serve using cli/, tool/ or front/ using the library's
    internals, ...);
  - a cycle between folders (two folders that use each other, directly or
    through others);
  - a symbol exported by libmoat.so or by the nginx module without the
    moat_ prefix (the module may also export the four names nginx looks
    up when it loads a module);
  - a library function longer than 80 lines (--sources).

  check-layers.py --objects OBJ|DIR [--objects ...] --export LIB.so
                  [--export MODULE.so] [--sources DIR ...] [--graph]
"""
import argparse
import os
import re
import subprocess
import sys

# The layers, and what each may use besides itself. "api" is what
# include/moat.h declares: the library's public names (moat_ without a
# second underscore).
LIBRARY = ["base", "estate", "engine", "reach", "audit", "replay", "doc"]
MAY_USE = {
    "base": set(),
    "estate": {"base"},
    "engine": {"base", "estate"},
    "reach": {"base", "estate", "engine"},
    "audit": {"base", "estate", "engine", "reach"},
    "replay": {"base", "estate", "engine", "reach"},
    "doc": {"base"},
    "tool": {"api"},
    "front": {"api"},
    "commands": {"api", "tool", "front"},
}
# The names nginx itself looks up in a dynamic module (ngx_module.c,
# ngx_load_module) and the module's own structure.
NGINX_EXPORTS = {"ngx_modules", "ngx_module_names", "ngx_module_order",
                 "ngx_http_moat_module"}
MAX_FUNCTION_LINES = 80


def folder_of(path):
    """The folder a file counts in: src/<layer>, tool, front, cli/<sub>,
    serve, nginx; generated tables count in base."""
    parts = path.split("/")
    if "gen" in parts:
        return "src/base"
    # From the right: nginx's build puts front/'s objects under
    # build/nginx/src/objs/addon/front/.
    for i in range(len(parts) - 1, -1, -1):
        p = parts[i]
        if p == "src" and i + 1 < len(parts) and parts[i + 1] in LIBRARY:
            return "src/" + parts[i + 1]
        if p in ("tool", "front", "serve", "nginx"):
            return p
        if p == "cli":
            sub = parts[i + 1] if i + 2 < len(parts) else ""
            return "cli/" + sub if sub else "cli"
    return None


def layer_of(folder):
    if folder.startswith("src/"):
        return folder[4:]
    if folder in ("tool", "front"):
        return folder
    return "commands"


def symbols(obj):
    out = subprocess.run(["nm", "-P", obj], capture_output=True, text=True,
                         check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) < 2:
            continue
        name, kind = f[0], f[1]
        if kind == "U":
            undefined.add(name)
        elif kind in "TDBRCVW" and kind.isupper():
            defined.add(name)
    return defined, undefined


def objects_under(dirs):
    found = [d for d in dirs if d.endswith(".o")]
    for d in dirs:
        for root, _, files in os.walk(d):
            found += [os.path.join(root, f) for f in files if f.endswith(".o")]
    return sorted(found)


def is_public(name):
    return name.startswith("moat_") and not name.startswith("moat__")


def forbidden(src_folder, dst_folder, name):
    """Why the use of NAME (defined in DST_FOLDER) from SRC_FOLDER breaks
    the table, or None."""
    a, b = layer_of(src_folder), layer_of(dst_folder)
    if a == b:
        if a == "commands" and src_folder == "serve" and \
                dst_folder.startswith("cli"):
            return "serve may not use cli/ (shared parts belong in tool/)"
        return None
    allowed = MAY_USE[a]
    if b in LIBRARY and "api" in allowed:
        return None if is_public(name) else \
            "%s may use only include/moat.h from the library" % a
    if b in allowed:
        return None
    return "%s may not use %s" % (a, b)


def strongly_connected(nodes, edges):
    """Tarjan's algorithm, iterative; the components of more than one
    node."""
    index, low, stack, on, comps = {}, {}, [], set(), []
    counter = [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        comps.append(sorted(comp))
    return comps


def check_uses(objs, show_graph):
    defined_by, uses = {}, {}
    for o in objs:
        folder = folder_of(o)
        if folder is None:
            continue
        d, u = symbols(o)
        uses[o] = u
        for name in d:
            defined_by.setdefault(name, []).append(o)
    problems = []
    file_edges, folder_edges = {}, {}
    for o, u in sorted(uses.items()):
        src = folder_of(o)
        for name in sorted(u):
            for target in defined_by.get(name, ()):
                dst = folder_of(target)
                if target == o:
                    continue
                file_edges.setdefault(o, set()).add(target)
                if dst != src:
                    folder_edges.setdefault(src, {}).setdefault(
                        dst, []).append((o, name))
                why = forbidden(src, dst, name)
                if why:
                    problems.append("%s uses %s from %s: %s" % (
                        short(o), name, short(target), why))
    for comp in strongly_connected(sorted(folder_edges), {
            k: set(v) for k, v in folder_edges.items()}):
        detail = []
        for a in comp:
            for b in comp:
                for o, name in folder_edges.get(a, {}).get(b, [])[:3]:
                    detail.append("    %s -> %s (%s)" % (short(o), b, name))
        problems.append("cycle between folders %s:\n%s" % (
            ", ".join(comp), "\n".join(detail)))
    if show_graph:
        for a in sorted(folder_edges):
            print("%s -> %s" % (a, ", ".join(sorted(folder_edges[a]))))
    return problems


def short(path):
    m = re.search(r"(src/.*|cli/.*|serve/.*|front/.*|tool/.*|nginx/.*|gen/.*)",
                  path)
    return m.group(1) if m else path


def check_exports(libs):
    problems = []
    for lib in libs:
        out = subprocess.run(["nm", "-D", "--defined-only", lib],
                             capture_output=True, text=True,
                             check=True).stdout
        module = "ngx_" in os.path.basename(lib)
        for line in out.splitlines():
            f = line.split()
            if len(f) < 3 or f[1] not in "TDBRVW":
                continue
            name = f[2]
            if name.startswith("moat_") or name.startswith("_"):
                continue
            if module and name in NGINX_EXPORTS:
                continue
            problems.append("%s exports %s without the moat_ prefix" % (
                os.path.basename(lib), name))
    return problems


FUNC_START = re.compile(r"^[A-Za-z_][\w \t\*]*\b(\w+)\s*\([^;]*$")


def check_function_lengths(dirs):
    """Functions in the clang-format layout: a definition starting in
    column 0, its body's braces alone in column 0."""
    problems = []
    for d in dirs:
        for root, _, files in os.walk(d):
            for f in sorted(files):
                if f.endswith(".c"):
                    problems += function_lengths(os.path.join(root, f))
    return problems


def function_lengths(path):
    problems = []
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    name, open_at = None, None
    for i, line in enumerate(lines):
        m = FUNC_START.match(line)
        if m and open_at is None and not line.startswith(("static const",
                                                          "typedef")):
            name = m.group(1)
        if line == "{" and name and open_at is None:
            open_at = i
        elif line == "}" and open_at is not None:
            length = i - open_at - 1
            if length > MAX_FUNCTION_LINES:
                problems.append("%s:%d: %s is %d lines (at most %d)" % (
                    path, open_at + 1, name, length, MAX_FUNCTION_LINES))
            name, open_at = None, None
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", action="append", default=[],
                    help="an object file or a directory of them")
    ap.add_argument("--export", action="append", default=[],
                    help="a shared object whose exports must be moat_")
    ap.add_argument("--sources", action="append", default=[],
                    help="library sources whose functions must be short")
    ap.add_argument("--graph", action="store_true",
                    help="print which folder uses which")
    args = ap.parse_args()
    objs = objects_under(args.objects)
    if not objs:
        print("check-layers: no object files under %s" % args.objects,
              file=sys.stderr)
        return 2
    problems = check_uses(objs, args.graph)
    problems += check_exports(args.export)
    problems += check_function_lengths(args.sources)
    for p in problems:
        print("check-layers: " + p, file=sys.stderr)
    if problems:
        print("check-layers: %d problems" % len(problems), file=sys.stderr)
        return 1
    print("check-layers: ok (%d objects)" % len(objs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
