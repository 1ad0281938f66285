#!/usr/bin/env python3
"""html.py - `moat audit --format html` checked where people see it.

Without a browser: the page is self-contained (no script, no URL outside
the page), and the diagram falls back to a table when Graphviz is absent
(PATH without dot), times out (a dot that sleeps, MOAT_DOT_TIMEOUT=1), or
answers something that is not a plain SVG (a dot that writes a script).

In a real browser (Debian's chromium, headless, driven through the
DevTools protocol; skipped with a message when it is not installed): the
example estate and a hostile Terraform plan (a resource named
st<script>..., an address holding <img onerror>, an IP rule holding
<svg onload>, a file named <hostile & "name">.json) are rendered, with
Graphviz and without; the DOM must hold every resource and every finding
of the JSON report with the same text, every exposure cell, the diagram
(an SVG edge per admitted path) or its table; no script runs, nothing is
fetched, no console message or exception. Screenshots go to --out-dir.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
FAILS = []
PASSES = [0]


def check(cond, what):
    if cond:
        PASSES[0] += 1
    else:
        FAILS.append(what)
        print("FAIL:", what)


def moat(args, env=None):
    full = dict(os.environ, MOAT_TODAY="2026-12-01")
    full.update(env or {})
    p = subprocess.run([ARGS.moat] + args, capture_output=True, text=True,
                       env=full)
    if p.returncode not in (0, 1):
        raise SystemExit(f"moat {' '.join(args)}: exit {p.returncode}: "
                         f"{p.stderr[:500]}")
    return p.stdout


def render(estate, page, env=None):
    moat(["audit", "--estate", estate, "--quiet", "--format", "html",
          "--output", page], env)
    return open(page, encoding="utf-8").read()


def truth(estate):
    return json.loads(moat(["audit", "--estate", estate, "--quiet",
                            "--format", "json"]))


def edges_of(report):
    return [e for e in report["exposure"] if e["admitted"] != "none"]


# ---- without a browser -------------------------------------------------

def fake_dot(tmp, name, body):
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "dot")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, 0o755)
    return d + ":/usr/bin:/bin"  # found first; the rest for the shell


def static_checks(estate, tmp):
    page = os.path.join(tmp, "static.html")
    text = render(estate, page)
    low = text.lower()
    check("<script" not in low, "the page holds a <script>")
    check("http://" not in low.replace("http://www.w3.org", ""),
          "the page names an http:// URL outside the SVG namespaces")
    check("https://" not in low, "the page names an https:// URL")
    check("content-security-policy" in low and "default-src 'none'" in text,
          "the page carries no Content-Security-Policy")
    cases = [
        ("no graphviz", {"PATH": "/nonexistent"},
         "Graphviz (dot) is not installed"),
        ("dot times out", {"PATH": fake_dot(tmp, "slow", "sleep 30"),
                           "MOAT_DOT_TIMEOUT": "1"}, "timed out"),
        ("dot fails", {"PATH": fake_dot(tmp, "fails", "exit 3")}, "failed"),
        ("dot writes a script",
         {"PATH": fake_dot(tmp, "script", "cat >/dev/null; echo "
                           "'<svg><script>alert(1)</script></svg>'")},
         "the output of dot is not a plain SVG"),
    ]
    for name, env, why in cases:
        text = render(estate, page, env)
        check(f'id="no-diagram">No diagram ({why})' in text,
              f"{name}: no fallback note saying '{why}'")
        check('<table class="edges">' in text and "<svg" not in text,
              f"{name}: the diagram is not the table")
        check("<script" not in text.lower(), f"{name}: a script got in")


# ---- in the browser ----------------------------------------------------

PROBE = r"""(() => {
  const q = s => Array.from(document.querySelectorAll(s));
  const text = e => e ? e.textContent : null;
  return {
    title: document.title,
    scripts: document.scripts.length,
    images: q('img,iframe,object,embed,link,foreignObject').length,
    handlers: q('*').filter(e => Array.from(e.attributes).some(
        a => a.name.toLowerCase().startsWith('on'))).length,
    links: q('[href],[src]').map(e => e.getAttribute('href') ||
        e.getAttribute('src')).concat(q('a').map(
        a => a.getAttribute('xlink:href')).filter(h => h)),
    resources: q('#resources tbody tr').map(tr => [tr.dataset.resource,
        text(tr.querySelector('th'))]),
    sections: q('#details > section').map(s => [s.dataset.resource,
        s.querySelector('h3').firstChild.textContent.trim()]),
    findings: q('#findings tbody tr').map(tr => ({
        fingerprint: tr.dataset.fingerprint,
        rule: text(tr.querySelector('th')),
        resource: text(tr.cells[2]),
        message: text(tr.querySelector('.message')),
        fix: text(tr.querySelector('code.fix')) || ''})),
    matrix_head: q('#exposure thead th').map(text),
    matrix: q('#exposure tbody tr').map(tr =>
        Array.from(tr.cells).map(text)),
    svg: !!document.querySelector('#reachability svg'),
    svg_edges: q('#reachability svg g.edge').length,
    svg_nodes: q('#reachability svg g.node').map(g => Array.from(
        g.querySelectorAll('text')).map(text).join('\n')),
    no_diagram: text(document.getElementById('no-diagram')),
    edge_rows: q('#reachability table.edges tbody tr').map(tr =>
        Array.from(tr.cells).map(text)),
    th_without_scope: q('th').filter(th => !th.hasAttribute('scope')).length,
    headings: q('h1,h2,h3').map(h => h.tagName),
    lang: document.documentElement.lang,
    height: document.documentElement.scrollHeight,
  };
})()"""


def load(browser, page):
    browser.events.clear()
    browser.call("Page.navigate", url="file://" + os.path.abspath(page))
    browser.wait_event("Page.loadEventFired")
    r = browser.call("Runtime.evaluate", expression=PROBE,
                     returnByValue=True)
    if "exceptionDetails" in r:
        raise OSError("the probe failed: %r" % r["exceptionDetails"])
    return r["result"]["value"]


def screenshot(browser, dom, path):
    height = min(max(dom["height"], 600), 12000)
    browser.call("Emulation.setDeviceMetricsOverride", width=1280,
                 height=height, deviceScaleFactor=1, mobile=False)
    shot = browser.call("Page.captureScreenshot", format="png")
    import base64
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    browser.call("Emulation.clearDeviceMetricsOverride")


def quiet_page(browser, page_url, name):
    """No exception, console message, error log entry or request for
    anything but the page itself."""
    for e in browser.events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.exceptionThrown":
            check(False, f"{name}: exception {p['exceptionDetails']}")
        elif m == "Runtime.consoleAPICalled":
            check(False, f"{name}: console.{p['type']} called")
        elif m == "Log.entryAdded" and p["entry"]["level"] in ("error",
                                                              "warning"):
            check(False, f"{name}: log {p['entry']['level']}: "
                         f"{p['entry']['text']}")
        elif m == "Network.requestWillBeSent":
            url = p["request"]["url"]
            check(url == page_url, f"{name}: the page fetched {url}")
    PASSES[0] += 1


def dom_checks(dom, report, name, with_dot):
    res = report["resources"]
    check(dom["scripts"] == 0 and dom["handlers"] == 0 and
          dom["images"] == 0,
          f"{name}: scripts, handlers or embedded content in the DOM")
    check(all(link.startswith("#") for link in dom["links"]),
          f"{name}: a link leaves the page: {dom['links']}")
    check(dom["lang"] == "en" and dom["th_without_scope"] == 0,
          f"{name}: lang or th scope missing")
    check(dom["headings"][0] == "H1" and dom["headings"].count("H1") == 1,
          f"{name}: headings {dom['headings'][:5]}")
    want = [[r["id"], r["name"]] for r in res]
    check(dom["resources"] == want,
          f"{name}: resources table {dom['resources']} != {want}")
    check(dom["sections"] == want, f"{name}: per-resource sections differ")
    got = {f["fingerprint"]: f for f in dom["findings"]}
    check(len(got) == len(report["findings"]) == len(dom["findings"]),
          f"{name}: {len(dom['findings'])} findings shown of "
          f"{len(report['findings'])}")
    for f in report["findings"]:
        g = got.get(f["fingerprint"])
        check(g is not None and g["message"] == f["message"] and
              g["fix"] == f["fix"] and g["resource"] == f["name"] and
              g["rule"] == f"{f['id']} {f['rule']}",
              f"{name}: finding {f['id']} on {f['name']} shown as {g}")
    sources = dom["matrix_head"][1:]
    for row, r in zip(dom["matrix"], res):
        for src, cell in zip(sources, row[1:]):
            e = next(x for x in report["exposure"]
                     if x["resource"] == r["id"] and x["source"] == src)
            check(cell == e["admitted"],
                  f"{name}: {r['name']} {src} shows {cell}")
    edges = edges_of(report)
    if with_dot:
        check(dom["svg"] and dom["svg_edges"] == len(edges),
              f"{name}: {dom['svg_edges']} SVG edges for {len(edges)} paths")
        for r in res:
            check(any(t.strip().startswith(r["name"])
                      for t in dom["svg_nodes"]),
                  f"{name}: {r['name']} not in the diagram")
    else:
        check(not dom["svg"] and "not installed" in (dom["no_diagram"] or ""),
              f"{name}: no fallback note")
    names = {r["id"]: r["name"] for r in res}
    want_rows = sorted([e["source"], names[e["resource"]], e["admitted"],
                        e["detail"]] for e in edges)
    check(sorted(dom["edge_rows"]) == want_rows,
          f"{name}: the table of paths differs from the exposure")


def browser_checks(binary, estates, tmp, out_dir):
    browser = cdp.Browser(binary)
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(domain + ".enable")
        for name, estate in estates:
            report = truth(estate)
            for with_dot in ([True, False] if shutil.which("dot")
                             else [False]):
                label = f"{name} ({'dot' if with_dot else 'no dot'})"
                page = os.path.join(tmp, f"{name}-{with_dot}.html")
                render(estate, page,
                       None if with_dot else {"PATH": "/nonexistent"})
                dom = load(browser, page)
                quiet_page(browser, "file://" + os.path.abspath(page), label)
                dom_checks(dom, report, label, with_dot)
                shot = os.path.join(out_dir, f"audit-{name}-"
                                    f"{'svg' if with_dot else 'table'}.png")
                screenshot(browser, dom, shot)
                check(os.path.getsize(shot) > 10000,
                      f"{label}: screenshot {shot} is empty")
                print(f"html: {label}: {len(report['resources'])} resources,"
                      f" {len(report['findings'])} findings, "
                      f"{len(edges_of(report))} paths; screenshot {shot}")
    finally:
        browser.quit()


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("--out-dir", default=os.path.join(TOP, "build", "html"))
    ARGS = ap.parse_args()
    os.makedirs(ARGS.out_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="moat-html-")
    try:
        hostile = os.path.join(tmp, '<hostile & "name">.json')
        shutil.copy(os.path.join(TOP, "tests/audit/html/hostile-plan.json"),
                    hostile)
        estates = [("example", os.path.join(TOP, "examples/estate")),
                   ("hostile", hostile)]
        for _, estate in estates:
            static_checks(estate, tmp)
        binary = cdp.find_chromium()
        if binary is None:
            print("html: SKIP the browser checks: chromium is not installed "
                  "(scripts/deps installs it)")
        else:
            browser_checks(binary, estates, tmp, ARGS.out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"html: {PASSES[0]} passed, {len(FAILS)} failed")
    sys.exit(1 if FAILS else 0)


if __name__ == "__main__":
    main()
