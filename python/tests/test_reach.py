"""Exact reasoning from Python: the same documents as moat reach and moat
diff print, and cells that agree with decide() on their witnesses."""
import json
import os
import shutil
import subprocess

import pytest

import moat


def moat_json(top, *args):
    exe = os.environ.get("MOAT", os.path.join(top, "build", "moat"))
    out = subprocess.run([exe] + list(args), capture_output=True, text=True,
                         check=False)
    assert out.returncode in (0, 1), out.stderr
    return json.loads(out.stdout)


def test_reach_is_moat_reach(top, estate):
    r = estate.reach("stnwshipments")
    want = moat_json(top, "reach", "--estate",
                     os.path.join(top, "examples", "estate"), "--resource",
                     "stnwshipments", "--format", "json", "--cells")
    assert r.json == want["resources"][0]
    assert r.resource.endswith("/storageAccounts/stnwshipments")
    assert r.kind == "storage"
    assert "203.0.113.40/32" in r.exposure["internet"]["ranges"]
    assert len(r.cells) == len(want["resources"][0]["cells"]) > 1
    assert r.allowed() and all(c.decision == "allow" for c in r.allowed())


def test_cells_agree_with_decide(estate):
    """Each cell's witness, decided, gets the cell's decision."""
    r = estate.reach("stnwtelemetry", time="2026-11-20T08:00:00Z")
    for cell in r.cells[:200]:
        request = dict(cell.witness, resource=r.resource)
        d = estate.decide(request)
        assert (d.verdict, d.category) == (cell.decision, cell.category)


def test_reach_unknown_resource(estate):
    with pytest.raises(moat.ResourceNotFound):
        estate.reach("stnope")


def test_diff_is_moat_diff(top, tmp_path):
    old_dir = os.path.join(top, "examples", "estate")
    new_dir = str(tmp_path / "proposed")
    shutil.copytree(old_dir, new_dir)
    exe = os.environ.get("MOAT", os.path.join(top, "build", "moat"))
    subprocess.run([exe, "storage", "account", "update", "-n",
                    "stnwshipments", "--default-action", "Allow", "-e",
                    new_dir, "-o", "none"], check=True)
    want = moat_json(top, "diff", old_dir, new_dir, "--format", "json")
    with moat.load(old_dir) as old, moat.load(new_dir) as new:
        d = moat.diff(old, new, "stnwshipments")
        same = moat.diff(old, old, "stnwshipments")
        added = moat.diff(None, new, "stnwshipments")
    assert [d.json] == want["resources"]
    assert len(d.newly_allowed()) == len(want["resources"][0]
                                         ["newly_allowed"]) > 0
    assert not d.newly_denied()
    cell = d.newly_allowed()[0]
    assert (cell.before["decision"], cell.after["decision"]) == \
        ("deny", "allow")
    assert cell.after["rule"] == "networkAcls.defaultAction Allow"
    assert not same.newly_allowed() and not same.newly_denied()
    assert added.newly_allowed() and not added.newly_denied()
