"""Estates, requests, decisions and explanations over libmoat."""
import ctypes
import datetime
import json as _json
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from . import _native
from .errors import (Diagnostic, EstateError, MoatError, request_error,
                     status_name)

lib = _native.lib
text = _native.text

LOAD_LENIENT = 0x1
EXPLAIN_STEPS = 0x1

# Keyword fields of decide() and explain(), as moat check's quick flags
# name them, and their moat_field numbers (include/moat.h).
FIELDS = {
    "resource": 0, "plane": 1, "endpoint": 2, "protocol": 3,
    "operation": 4, "target": 5, "source_ip": 6, "subnet": 7,
    "private_endpoint": 8, "region": 9, "auth": 10, "tenant": 11,
    "subscription": 12, "identity": 13, "service": 14, "perimeter": 15,
    "time": 16,
}
STEP_OUTCOMES = ("skipped", "passed", "allowed", "denied")
VERDICTS = ("deny", "allow")


@dataclass(frozen=True)
class Decision:
    """What Azure's network rules decide for one request (decision.md
    section 3)."""
    resource: str                 # the ARM id the request is for
    verdict: str                  # "allow" or "deny"
    category: str                 # "ResIpRule", "ResDefaultActionDeny", ...
    enforced_would: Optional[str]  # in a Learning or Audit perimeter
    warnings: Tuple[str, ...]
    http_status: int              # 403 on deny, 0 on allow
    http_code: Optional[str]      # "AuthorizationFailure", ...
    rule_number: Optional[int]    # the admitting rule (moat_estate_rule)

    @property
    def allowed(self) -> bool:
        return self.verdict == "allow"


@dataclass(frozen=True)
class Step:
    """One layer on the path through the rules."""
    layer: str     # "private endpoint", "IP rules", ...
    outcome: str   # "skipped", "passed", "allowed", "denied"
    detail: str


@dataclass(frozen=True)
class Explanation:
    """A decision with the deciding rule, a reason and the path."""
    decision: Decision
    rule: str                 # "networkAcls.ipRules[2] 203.0.113.0/24"
    reason: str
    steps: Tuple[Step, ...]
    json: Dict[str, Any] = field(compare=False)  # decision.md section 3


def _decision(q, d) -> Decision:
    warnings = tuple(text(lib.moat_warning_name(1 << i)) for i in range(32)
                     if d.warnings & (1 << i))
    rule = lib.moat_decision_rule(q, ctypes.byref(d))
    return Decision(
        resource=text(lib.moat_request_resource_id(q)) or "",
        verdict=VERDICTS[d.verdict == 1],
        category=text(lib.moat_category_name(d.category)),
        enforced_would=VERDICTS[d.enforced_would == 1]
        if d.has_enforced_would else None,
        warnings=warnings, http_status=d.http_status,
        http_code=text(d.http_code), rule_number=rule if rule >= 0 else None)


def _value(name: str, value: Any) -> str:
    """A keyword value as moat_request_set takes it."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise MoatError("%s: a datetime needs a time zone" % name)
        value = value.astimezone(datetime.timezone.utc)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if not isinstance(value, str):
        raise TypeError("%s: expected str, got %s" %
                        (name, type(value).__name__))
    return value


class _Request:
    """A moat_request for one decision (requests are not shared between
    threads; estates are)."""

    def __init__(self, estate: "Estate"):
        self.q = lib.moat_request_new(estate._handle())
        if not self.q:
            raise MemoryError("moat_request_new")

    def __enter__(self):
        return self.q

    def __exit__(self, *exc):
        lib.moat_request_free(self.q)

    @staticmethod
    def bind(q, request, fields: Mapping[str, Any]):
        err = _native.Error()
        if request is not None:
            if not isinstance(request, (str, bytes)):
                request = _json.dumps(request)
            raw = request.encode() if isinstance(request, str) else request
            st = lib.moat_request_parse(q, raw, len(raw), ctypes.byref(err))
            if st:
                raise request_error(st, err, None)
        for name, value in fields.items():
            if name not in FIELDS:
                raise TypeError("unknown request field %r (one of: %s)" %
                                (name, ", ".join(FIELDS)))
            values = value if name == "perimeter" and \
                isinstance(value, (list, tuple)) else [value]
            for v in values:
                raw = _value(name, v).encode()
                st = lib.moat_request_set(q, FIELDS[name], raw, len(raw),
                                          ctypes.byref(err))
                if st:
                    raise request_error(st, err, name)


class Estate:
    """A compiled estate: immutable, shared by any number of threads.

    Built by moat.load() or moat.loads(); closed by close() or a with
    block (or when collected)."""

    def __init__(self, handle, warnings: List[Diagnostic]):
        self._es = handle
        self._lock = threading.Lock()
        self.warnings = warnings

    def _handle(self):
        if not self._es:
            raise MoatError("the estate is closed", "E_STATE")
        return self._es

    def close(self):
        with self._lock:
            if self._es:
                lib.moat_estate_free(self._es)
                self._es = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_es", None):
            lib.moat_estate_free(self._es)
            self._es = None

    # ---- what it holds --------------------------------------------------
    @property
    def stats(self) -> Dict[str, int]:
        s = _native.EstateStats()
        lib.moat_estate_stats_get(self._handle(), ctypes.byref(s))
        return {n: getattr(s, n) for n, _ in s._fields_}

    @property
    def incomplete(self) -> List[Dict[str, Any]]:
        """What the estate declares that moat could not read."""
        es = self._handle()
        return [_incomplete(lib.moat_estate_incomplete(es, i).contents)
                for i in range(lib.moat_estate_incomplete_count(es))]

    def describe(self) -> Dict[str, Any]:
        """Every resource with its effective settings (moat estate
        --format json)."""
        n = ctypes.c_size_t()
        return _native.json_taken(
            lib.moat_estate_describe(self._handle(), ctypes.byref(n)), n)

    # ---- deciding -----------------------------------------------------------
    def decide(self, request: Union[None, str, Mapping] = None,
               **fields: Any) -> Decision:
        """Decides one request: a decision.md request (dict or JSON text),
        keyword fields (resource=, source_ip=, subnet=, identity=, ...),
        or both (the fields then override). Raises RequestError
        (ResourceNotFound, AmbiguousResource) for a request moat cannot
        decide."""
        with _Request(self) as q:
            _Request.bind(q, request, fields)
            d = _native.Decision()
            st = lib.moat_decide(q, ctypes.byref(d))
            if st:
                raise MoatError("decide: %s" %
                                text(lib.moat_strerror(st)), status_name(st))
            return _decision(q, d)

    def decide_many(self, requests: Iterable[Union[str, Mapping]]
                    ) -> List[Decision]:
        return [self.decide(r) for r in requests]

    def explain(self, request: Union[None, str, Mapping] = None,
                **fields: Any) -> Explanation:
        """As decide(), with the deciding rule, a reason and every layer
        on the path through the rules."""
        with _Request(self) as q:
            _Request.bind(q, request, fields)
            x = lib.moat_explanation_new()
            if not x:
                raise MemoryError("moat_explanation_new")
            try:
                return _explain(q, x)
            finally:
                lib.moat_explanation_free(x)

    def reach(self, resource: str, time: Optional[str] = None):
        """Who can reach resource, exactly (moat reach); see moat.reach."""
        from .reach import reach
        return reach(self, resource, time)

    def resource_id(self, name: str) -> str:
        """The ARM id of the resource a name (or id) names here; raises
        ResourceNotFound or AmbiguousResource."""
        with _Request(self) as q:
            _Request.bind(q, None, {"resource": name})
            return text(lib.moat_request_resource_id(q))

    def audit(self, cis: Optional[str] = None, wide_ip: int = 0,
              suppressions: Union[None, str, Mapping] = None,
              today: Optional[str] = None):
        """Posture controls and findings (moat audit); see moat.audit."""
        from .audit import run_audit
        return run_audit(self, cis, wide_ip, suppressions, today)


def _explain(q, x) -> Explanation:
    st = lib.moat_explain(q, x, EXPLAIN_STEPS)
    if st:
        raise MoatError("explain: %s" % text(lib.moat_strerror(st)),
                        status_name(st))
    d = lib.moat_explanation_decision(x).contents
    steps = []
    for i in range(lib.moat_explanation_step_count(x)):
        s = lib.moat_explanation_step(x, i).contents
        steps.append(Step(text(s.layer), STEP_OUTCOMES[s.outcome],
                          text(s.detail)))
    need = lib.moat_explanation_json(x, None, 0)
    buf = ctypes.create_string_buffer(need + 1)
    lib.moat_explanation_json(x, buf, need + 1)
    return Explanation(decision=_decision(q, d),
                       rule=text(lib.moat_explanation_rule(x)),
                       reason=text(lib.moat_explanation_reason(x)),
                       steps=tuple(steps), json=_json.loads(buf.value))


def _incomplete(c) -> Dict[str, Any]:
    return {"file": text(c.file), "line": c.line,
            "resource": text(c.resource), "what": text(c.what),
            "why": text(c.why)}


# ---- loading ------------------------------------------------------------------
def _diagnostics(ld) -> List[Diagnostic]:
    out = []
    for i in range(lib.moat_loader_diag_count(ld)):
        d = lib.moat_loader_diag(ld, i).contents
        out.append(Diagnostic(
            severity="error" if d.severity == 0 else "warning",
            status=status_name(d.code), file=text(d.file), line=d.line,
            column=d.column, resource=text(d.resource), path=text(d.path),
            message=text(d.message)))
    return out


def _finish(ld, failed: int) -> Estate:
    """The estate the loader compiles, or EstateError with its problems."""
    es = _native.P()
    st = failed or lib.moat_loader_finish(ld, ctypes.byref(es))
    diags = _diagnostics(ld)
    if st:
        errors = [d for d in diags if d.severity == "error"]
        head = str(errors[0]) if errors else \
            text(lib.moat_strerror(st))
        more = " (and %d more)" % (len(errors) - 1) if len(errors) > 1 \
            else ""
        raise EstateError(head + more, status_name(st), diags)
    return Estate(es.value, [d for d in diags if d.severity == "warning"])


def _loader(lenient: bool):
    ld = lib.moat_loader_new(LOAD_LENIENT if lenient else 0)
    if not ld:
        raise MemoryError("moat_loader_new")
    return ld


def load(*paths: Union[str, os.PathLike], lenient: bool = False,
         service_tags: Iterable[Union[str, os.PathLike]] = ()) -> Estate:
    """Loads and compiles an estate from files or directories (every *.json
    below), as moat --estate does. Raises EstateError (with file:line:column
    of each problem) when it does not load."""
    if not paths:
        raise TypeError("load() needs at least one path")
    ld = _loader(lenient)
    try:
        failed = 0
        for p in paths:
            failed = failed or lib.moat_loader_add_path(ld, os.fsencode(p))
        for p in service_tags:
            failed = failed or lib.moat_loader_add_service_tags(
                ld, os.fsencode(p))
        return _finish(ld, failed)
    finally:
        lib.moat_loader_free(ld)


def loads(document: Union[str, bytes, Mapping, list], name: str = "<string>",
          lenient: bool = False) -> Estate:
    """Loads an estate from JSON text, or from a JSON value (dict or list,
    as json.load gives it); name labels diagnostics."""
    if not isinstance(document, (str, bytes)):
        document = _json.dumps(document)
    raw = document.encode() if isinstance(document, str) else document
    ld = _loader(lenient)
    try:
        failed = lib.moat_loader_add_json(ld, name.encode(), raw, len(raw))
        return _finish(ld, failed)
    finally:
        lib.moat_loader_free(ld)
