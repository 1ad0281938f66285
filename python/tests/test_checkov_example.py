"""The Checkov-style example check, on Checkov's own ARM fixtures."""
import importlib.util
import os

import pytest


@pytest.fixture(scope="module")
def example(top):
    path = os.path.join(top, "python", "examples", "checkov_moat_check.py")
    spec = importlib.util.spec_from_file_location("checkov_moat_check", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def fixtures():
    shared = os.environ.get("SHARED")
    if not shared:
        pytest.skip("SHARED (the shared materials) not set")
    return os.path.join(shared, "realworld", "checkov-fixtures", "arm")


@pytest.mark.parametrize("path, want", [
    ("example_StorageAccountDefaultNetworkAccessDeny/"
     "storageAccountDefaultNetworkAccessDeny-FAILED.json", "FAILED"),
    ("example_StorageAccountDefaultNetworkAccessDeny/"
     "storageAccountDefaultNetworkAccessDeny-PASSED.json", "PASSED"),
    ("example_StorageAccountDefaultNetworkAccessDeny/"
     "storageAccountDefaultNetworkAccessDeny-UNKNOWN.json", "UNKNOWN"),
    ("example_StorageAccountDisablePublicAccess/PASSED_2.json", "PASSED"),
    ("example_KeyVaultDisablesPublicNetworkAccess/pass1.json", "PASSED"),
    ("example_KeyVaultDisablesPublicNetworkAccess/fail3.json", "FAILED"),
])
def test_verdicts(example, path, want):
    results = example.scan_template(os.path.join(fixtures(), path))
    assert [r.value for _, r, _ in results] == [want]


def test_details_name_the_deciding_rule(example):
    path = os.path.join(fixtures(), "example_StorageAccountDisablePublicAccess",
                        "PASSED_2.json")
    [(_, _, details)] = example.scan_template(path)
    assert details[0].startswith("deny from 198.51.100.254: "
                                 "ResPublicNetworkAccessDisabled")


def test_unknown_says_where(example):
    path = os.path.join(fixtures(),
                        "example_StorageAccountDefaultNetworkAccessDeny",
                        "storageAccountDefaultNetworkAccessDeny-UNKNOWN.json")
    [(_, _, details)] = example.scan_template(path)
    assert details[0].startswith("moat: template:1:")
