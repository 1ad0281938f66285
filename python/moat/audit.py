"""Audits: CIS controls, exposure per source class and findings, judged on
what Azure lets through (moat audit; docs/audit.md)."""
import ctypes
import datetime
import enum
import json as _json
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple, Union

from . import _native
from .errors import AuditError, status_name
from .estate import _incomplete

lib = _native.lib
text = _native.text


class Level(enum.IntEnum):
    """A finding's severity; levels compare (Level.HIGH > Level.LOW)."""
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    def __str__(self):
        return self.name.lower()


@dataclass(frozen=True)
class Evidence:
    path: str    # JSON path in the resource
    value: str   # the value as moat reads it (defaults filled)
    basis: str   # "explicit", "default" or "unknown"


@dataclass(frozen=True)
class Finding:
    rule_id: str           # "MOAT001"
    rule_name: str         # "internet-reachable"
    level: Level
    resource: str          # ARM id
    resource_name: str
    address: Optional[str]  # Terraform address
    file: str
    line: int
    message: str
    evidence: Tuple[Evidence, ...]
    fix: str               # the az command that fixes it, or ""
    control: Optional[str]  # the CIS control it fails
    cis: Tuple[Tuple[str, str], ...]  # (version, id)
    fingerprint: str
    state: str             # "active", "suppressed" or "baseline"
    suppression: Optional[str]

    @property
    def location(self) -> str:
        return "%s:%d" % (self.file, self.line) if self.line else self.file


@dataclass(frozen=True)
class Control:
    control: str          # "storage-default-deny"
    title: str
    status: str           # "pass", "fail", "not-applicable"
    basis: str
    reason: str
    cis: Tuple[Tuple[str, str], ...]


@dataclass(frozen=True)
class Exposure:
    source: str    # "internet", "azure-same-region", "virtual-networks", ...
    admitted: str  # "all", "some", "none", "unknown"
    detail: str


@dataclass(frozen=True)
class Resource:
    """One storage account or key vault the audit judged."""
    id: str
    name: str
    kind: str      # "storage" or "keyvault"
    file: str
    line: int
    address: Optional[str]
    findings: Tuple[Finding, ...]
    controls: Tuple[Control, ...]
    exposures: Dict[str, Exposure]  # by source class


@dataclass(frozen=True)
class Audit:
    resources: Tuple[Resource, ...]
    incomplete: Tuple[Dict[str, object], ...]

    @property
    def findings(self) -> List[Finding]:
        return [f for r in self.resources for f in r.findings]

    @property
    def complete(self) -> bool:
        """Nothing the estate declares went unread, and something was
        audited (an empty audit is never clean)."""
        return not self.incomplete

    def failing(self, at: Union[Level, str] = Level.LOW) -> List[Finding]:
        """Active findings at or above a level (moat audit --fail-on)."""
        level = at if isinstance(at, Level) else Level[str(at).upper()]
        return [f for f in self.findings
                if f.state == "active" and f.level >= level]


def _cis(p, n) -> Tuple[Tuple[str, str], ...]:
    return tuple((text(p[i].version), text(p[i].id)) for i in range(n))


def _finding(f) -> Finding:
    rule = f.rule.contents
    return Finding(
        rule_id=text(rule.id), rule_name=text(rule.name), level=Level(f.level),
        resource=text(f.resource), resource_name=text(f.resource_name),
        address=text(f.address), file=text(f.file), line=f.line,
        message=text(f.message),
        evidence=tuple(Evidence(text(e.path), text(e.value),
                                text(lib.moat_basis_name(e.basis)))
                       for e in (f.evidence[i] for i in range(f.n_evidence))),
        fix=text(f.fix) or "", control=text(f.control),
        cis=_cis(f.cis, f.n_cis), fingerprint=text(f.fingerprint),
        state=("active", "suppressed", "baseline")[f.state],
        suppression=text(f.suppression))


def _control(c) -> Control:
    return Control(control=text(c.control), title=text(c.title),
                   status=text(lib.moat_control_status_name(c.status)),
                   basis=text(lib.moat_basis_name(c.basis)),
                   reason=text(c.reason), cis=_cis(c.cis, c.n_cis))


def _resource(a, r) -> Resource:
    findings = tuple(_finding(lib.moat_audit_finding(a, r.first_finding + i)
                              .contents) for i in range(r.n_findings))
    controls = tuple(_control(lib.moat_audit_control(a, r.first_control + i)
                              .contents) for i in range(r.n_controls))
    exposures = {}
    for i in range(r.n_exposures):
        e = lib.moat_audit_exposure(a, r.first_exposure + i).contents
        exposures[text(e.source)] = Exposure(text(e.source),
                                             text(e.admitted), text(e.detail))
    return Resource(id=text(r.id), name=text(r.name), kind=text(r.kind),
                    file=text(r.file), line=r.line, address=text(r.address),
                    findings=findings, controls=controls, exposures=exposures)


def _suppress(a, suppressions, today):
    if not isinstance(suppressions, (str, bytes)):
        suppressions = _json.dumps(suppressions)
    raw = suppressions.encode() if isinstance(suppressions, str) \
        else suppressions
    day = (today or datetime.date.today().isoformat()).encode()
    err = _native.Error()
    st = lib.moat_audit_suppress(a, raw, len(raw), day, ctypes.byref(err))
    if st:
        raise AuditError("suppressions: %s" % text(err.message),
                         status_name(st))


def run_audit(estate, cis: Optional[str], wide_ip: int,
              suppressions: Union[None, str, Mapping], today: Optional[str]
              ) -> Audit:
    opt = _native.AuditOptions(cis.encode() if cis else None, wide_ip)
    a = _native.P()
    st = lib.moat_audit_run(estate._handle(), ctypes.byref(opt),
                            ctypes.byref(a))
    if st:
        raise AuditError("audit: %s%s" % (
            text(lib.moat_strerror(st)),
            " (CIS version %r)" % cis if cis else ""), status_name(st))
    try:
        if suppressions is not None:
            _suppress(a, suppressions, today)
        resources = tuple(
            _resource(a, lib.moat_audit_resource(a, i).contents)
            for i in range(lib.moat_audit_resource_count(a)))
        incomplete = tuple(
            _incomplete(lib.moat_audit_incomplete(a, i).contents)
            for i in range(lib.moat_audit_incomplete_count(a)))
        return Audit(resources, incomplete)
    finally:
        lib.moat_audit_free(a.value)

