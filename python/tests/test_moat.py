"""The binding against the example company of examples/: the answers are
the command's (moat check, moat audit) for the same requests."""
import datetime
import json
import os
import subprocess
import threading

import pytest

import moat


def moat_cmd(top, *args):
    exe = os.environ.get("MOAT", os.path.join(top, "build", "moat"))
    return subprocess.run([exe] + list(args), capture_output=True, text=True,
                          check=False)


def test_versions(top):
    with open(os.path.join(top, "include", "moat.h")) as f:
        assert '#define MOAT_VERSION "%s"' % moat.__version__ in f.read()
    assert moat.library_version() == moat.__version__


def test_decide_keywords(estate):
    d = estate.decide(resource="stnwshipments", source_ip="203.0.113.77")
    assert isinstance(d, moat.Decision)
    assert (d.verdict, d.allowed, d.category) == \
        ("deny", False, "ResDefaultActionDeny")
    assert (d.http_status, d.http_code) == (403, "AuthorizationFailure")
    assert d.resource.endswith("/storageAccounts/stnwshipments")
    assert d.enforced_would is None


def test_decide_learning_perimeter(estate):
    d = estate.decide({"resource": "stnwtelemetry",
                       "source": {"ip": "203.0.113.40"}})
    assert d.allowed and d.enforced_would == "deny"
    assert d.category == "NspPublicInboundResourceRulesAllowed"
    assert d.rule_number is not None


def test_decide_agrees_with_the_command(top, estate):
    """Every request of examples/requests.jsonl, decided by the binding and
    by moat check --requests."""
    path = os.path.join(top, "examples", "requests.jsonl")
    with open(path) as f:
        requests = [line for line in f if line.strip()]
    out = moat_cmd(top, "check", "--estate",
                   os.path.join(top, "examples", "estate"), "--requests", path)
    assert out.returncode == 0, out.stderr
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(answers) == len(requests) > 10
    for req, want in zip(requests, answers):
        x = estate.explain(req)
        assert x.json == want
        assert x.decision.verdict == want["decision"]
        assert x.decision.category == want["category"]
        assert x.rule == want["rule"]


def test_explain_path(estate):
    x = estate.explain(resource="stnwshipments", source_ip="203.0.113.77")
    assert x.rule == "networkAcls.defaultAction Deny"
    assert "203.0.113.77" in x.reason
    layers = [s.layer for s in x.steps]
    assert "IP rules" in layers and "default action" in layers
    assert all(s.outcome in ("skipped", "passed", "allowed", "denied")
               for s in x.steps)
    assert x.steps[-1].outcome == "denied" or \
        any(s.outcome == "denied" for s in x.steps)


def test_time_as_datetime(estate):
    when = datetime.datetime(2026, 11, 20, 8, tzinfo=datetime.timezone.utc)
    d = estate.decide(resource="stnwshipments", source_ip="203.0.113.77",
                      time=when)
    assert d.verdict == "deny"
    with pytest.raises(moat.MoatError, match="time zone"):
        estate.decide(resource="stnwshipments",
                      time=datetime.datetime(2026, 11, 20))


def test_request_errors(estate):
    with pytest.raises(moat.ResourceNotFound) as e:
        estate.decide(resource="stnope", source_ip="203.0.113.1")
    assert isinstance(e.value, LookupError)
    assert e.value.field == "resource" and e.value.status == "E_NOTFOUND"
    assert "stnope" in str(e.value)
    with pytest.raises(moat.RequestError) as e:
        estate.decide(resource="stnwshipments", source_ip="203.0.113.x")
    assert isinstance(e.value, ValueError)
    assert e.value.field == "source_ip" and "203.0.113.x" in str(e.value)
    with pytest.raises(moat.RequestError) as e:
        estate.decide('{"resource": 5}')
    assert e.value.offset > 0 and e.value.field is None
    with pytest.raises(TypeError, match="unknown request field"):
        estate.decide(resource="stnwshipments", colour="blue")
    with pytest.raises(moat.MoatError) as e:
        estate.decide(source_ip="203.0.113.1")  # no resource: fails closed
    assert e.value.status == "E_STATE"


def test_estate_errors_carry_file_line_column(tmp_path):
    bad = tmp_path / "storage.json"
    bad.write_text('{"type": "Microsoft.Storage/storageAccounts",\n'
                   ' "id": "/subscriptions/x/resourceGroups/g/providers/'
                   'Microsoft.Storage/storageAccounts/st1", "name": "st1",\n'
                   ' "properties": {"networkAcls": {"defaultAction": '
                   '"Sometimes"}}}\n')
    with pytest.raises(moat.EstateError) as e:
        moat.load(str(bad))
    err = e.value
    assert (err.file, err.line) == (str(bad), 3)
    assert err.column > 1
    assert str(err).startswith("%s:3:%d: error: " % (bad, err.column))
    assert "defaultAction" in str(err)
    assert err.errors and all(isinstance(d, moat.Diagnostic)
                              for d in err.diagnostics)
    with pytest.raises(moat.EstateError) as e:
        moat.loads('{"a": [1,\n 2,,]}', name="inline.json")
    assert (e.value.file, e.value.line) == ("inline.json", 2)
    assert e.value.status == "E_SYNTAX"
    with pytest.raises(moat.EstateError) as e:
        moat.load(str(tmp_path / "missing"))
    assert e.value.status == "E_IO"


def test_lenient_turns_errors_into_warnings(tmp_path):
    doc = {"type": "Microsoft.Storage/storageAccounts", "name": "st1",
           "id": "/subscriptions/x/resourceGroups/g/providers/"
                 "Microsoft.Storage/storageAccounts/st1",
           "properties": {"networkAcls": {"defaultAction": "Deny",
                                          "ipRules": [{"value": "nope"}]}}}
    with pytest.raises(moat.EstateError):
        moat.loads(doc)
    with moat.loads(doc, lenient=True) as es:
        assert es.warnings and es.warnings[0].severity == "warning"
        assert es.decide(resource="st1", source_ip="1.2.3.4").verdict == \
            "deny"


def test_closed_estate(top):
    es = moat.load(os.path.join(top, "examples", "estate"))
    es.close()
    es.close()
    with pytest.raises(moat.MoatError, match="closed"):
        es.decide(resource="stnwshipments")


def test_stats_and_describe(estate):
    assert estate.stats["storage_accounts"] == 7
    assert estate.stats["key_vaults"] == 3
    described = estate.describe()
    assert isinstance(described, (dict, list))
    assert "stnwshipments" in json.dumps(described)


def test_audit_matches_the_command(top, estate):
    audit = estate.audit()
    out = moat_cmd(top, "audit", "--estate",
                   os.path.join(top, "examples", "estate"), "--format",
                   "json")
    want = json.loads(out.stdout)
    assert audit.complete
    assert len(audit.resources) == 10
    findings = sorted((f.rule_id, f.resource) for f in audit.findings)
    assert len(findings) == 28
    text = json.dumps(want)
    for rule_id, _ in findings:
        assert rule_id in text
    public = next(r for r in audit.resources if r.name == "stnwpublicassets")
    assert public.exposures["internet"].admitted == "all"
    assert public.file.endswith("storage.json") and public.line == 3
    worst = audit.failing("critical")
    assert any(f.rule_name == "internet-reachable" and
               f.resource_name == "stnwpublicassets" for f in worst)
    assert all(f.level == moat.Level.CRITICAL for f in worst)
    assert worst[0].location.endswith("storage.json:3")
    assert all(c.status in ("pass", "fail", "not-applicable")
               for r in audit.resources for c in r.controls)


def test_audit_suppressions_and_options(estate):
    audit = estate.audit(suppressions={"suppressions": [
        {"rule": "MOAT001", "resource": "stnwpublicassets",
         "reason": "a public website"}]})
    states = {f.state for f in audit.findings if f.rule_id == "MOAT001" and
              f.resource_name == "stnwpublicassets"}
    assert states == {"suppressed"}
    with pytest.raises(moat.AuditError) as e:
        estate.audit(suppressions={"suppressions": [{"rule": "MOAT001"}]})
    assert "reason" in str(e.value)
    with pytest.raises(moat.AuditError, match="9.9"):
        estate.audit(cis="9.9")
    assert estate.audit(cis="6.0.0").resources


def test_threads_share_an_estate(estate):
    """A compiled estate answers from many threads at once."""
    want = estate.decide(resource="stnwtelemetry", source_ip="203.0.113.40")
    results, errors = [], []

    def work():
        try:
            for _ in range(200):
                results.append(estate.decide(resource="stnwtelemetry",
                                             source_ip="203.0.113.40"))
        except Exception as e:  # reported below
            errors.append(e)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 800
    assert all(r == want for r in results)
