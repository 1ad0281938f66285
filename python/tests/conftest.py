"""The binding's tests run on the source tree's examples/ (make python-test
sets PYTHONPATH and MOAT_LIBRARY)."""
import os

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.fixture(scope="session")
def top():
    return TOP


@pytest.fixture(scope="session")
def estate():
    import moat
    es = moat.load(os.path.join(TOP, "examples", "estate"))
    yield es
    es.close()
