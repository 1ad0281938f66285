"""moat's exceptions: each carries libmoat's status, and where the input was
wrong (file:line:column for an estate, the field or byte offset for a
request)."""
from dataclasses import dataclass
from typing import Optional, Sequence

from . import _native


@dataclass(frozen=True)
class Diagnostic:
    """One problem found while loading an estate (moat_diag)."""
    severity: str          # "error" or "warning"
    status: str            # libmoat's status name: "E_SYNTAX", "E_INVAL"...
    file: str
    line: int              # 1-based; 0 when not tied to a position
    column: int
    resource: str          # ARM id (or name) of the resource, or ""
    path: str              # JSON path in the resource, or ""
    message: str           # what was wrong and what was expected

    @property
    def location(self) -> str:
        """file:line:column, as compilers and moat's command line say it."""
        if not self.line:
            return self.file
        return "%s:%d:%d" % (self.file, self.line, self.column)

    def __str__(self):
        parts = [p for p in (self.location, self.severity) if p]
        parts += [p for p in (self.resource, self.path) if p]
        return ": ".join(parts + [self.message])


class MoatError(Exception):
    """libmoat returned an error; status is its name ("E_SYNTAX")."""

    def __init__(self, message: str, status: str = "E_INVAL"):
        super().__init__(message)
        self.status = status


class EstateError(MoatError):
    """The estate does not load. diagnostics holds every problem (errors
    and warnings); file, line and column are the first error's."""

    def __init__(self, message: str, status: str,
                 diagnostics: Sequence[Diagnostic]):
        super().__init__(message, status)
        self.diagnostics = list(diagnostics)
        first = next((d for d in self.diagnostics if d.severity == "error"),
                     None)
        self.file: Optional[str] = first.file if first else None
        self.line: int = first.line if first else 0
        self.column: int = first.column if first else 0

    @property
    def errors(self):
        return [d for d in self.diagnostics if d.severity == "error"]


class RequestError(MoatError, ValueError):
    """A request moat cannot decide: a bad value or field. field is the
    request field (or None for a JSON request), offset the byte offset in
    a JSON request."""

    def __init__(self, message: str, status: str, field: Optional[str] = None,
                 offset: int = 0):
        super().__init__(message, status)
        self.field = field
        self.offset = offset


class ResourceNotFound(RequestError, LookupError):
    """The request names a resource the estate does not hold."""


class AmbiguousResource(RequestError, LookupError):
    """The request names a resource by a name several resources share."""


class AuditError(MoatError, ValueError):
    """An audit option or suppressions file moat refuses."""


def status_name(code: int) -> str:
    return _native.text(_native.lib.moat_status_name(code)) or str(code)


def request_error(code: int, err: "_native.Error", field: Optional[str]):
    """The exception for a failed moat_request_set/parse."""
    message = _native.text(err.message) or \
        _native.text(_native.lib.moat_strerror(code))
    if field:
        message = "%s: %s" % (field, message)
    name = status_name(code)
    cls = {"E_NOTFOUND": ResourceNotFound,
           "E_AMBIGUOUS": AmbiguousResource}.get(name, RequestError)
    return cls(message, name, field, err.offset)
