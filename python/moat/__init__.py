"""moat: Azure Storage and Key Vault network access, decided and explained
the way Azure decides it - libmoat from Python, through ctypes.

    import moat
    with moat.load("examples/estate") as estate:
        d = estate.decide(resource="stnwshipments", source_ip="203.0.113.77")
        d.verdict, d.category          # ('deny', 'ResDefaultActionDeny')
        x = estate.explain(resource="stnwshipments", source_ip="203.0.113.77")
        x.reason, [s.layer for s in x.steps]
        audit = estate.audit()
        [f.rule_name for f in audit.failing("high")]
        r = estate.reach("stnwshipments")     # every request, exactly
        r.exposure["internet"]["ranges"]
    with moat.load("proposed/") as new, moat.load("estate/") as old:
        moat.diff(old, new, "stnwshipments").newly_allowed()

Errors are exceptions: EstateError (file:line:column of each problem),
RequestError and its ResourceNotFound and AmbiguousResource, AuditError;
all are MoatError. docs/python.md has the whole interface.
"""
from . import _native
from .audit import (Audit, Control, Evidence, Exposure, Finding, Level,
                    Resource)
from .errors import (AmbiguousResource, AuditError, Diagnostic, EstateError,
                     MoatError, RequestError, ResourceNotFound)
from .estate import Decision, Estate, Explanation, Step, load, loads
from .reach import Cell, Diff, Reach, diff

# The binding's version: it speaks the moat.h of this version.
__version__ = "0.1.0"


def library_version() -> str:
    """The version of the libmoat the binding runs with (moat_version())."""
    return _native.text(_native.lib.moat_version())


__all__ = ["load", "loads", "library_version", "Estate", "Decision",
           "Explanation", "Step", "Audit", "Resource", "Finding", "Control",
           "Exposure", "Evidence", "Level", "Diagnostic", "MoatError",
           "EstateError", "RequestError", "ResourceNotFound",
           "AmbiguousResource", "AuditError", "Reach", "Diff", "Cell",
           "diff"]
