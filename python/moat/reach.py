"""Exact reasoning (docs/reach.md): the whole request space of a resource
cut into cells on which moat decides one way (Estate.reach), or the same
resource in two estates (moat.diff): who can get in, and everything a
change newly admits or refuses, for every request at once, not a sample."""
import ctypes
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from . import _native
from .errors import AmbiguousResource, MoatError, ResourceNotFound, \
    status_name

lib = _native.lib
CHANGES = {1: "newly allowed", -1: "newly denied", 0: "same"}


@dataclass(frozen=True)
class Cell:
    """Requests on which the decision (each side's, in a diff) is one."""
    when: Dict[str, Any]       # which requests: addresses, paths, callers
    decision: Optional[str]    # "allow" or "deny" (reach)
    category: Optional[str]
    rule: Optional[str]
    before: Optional[Dict[str, Any]]  # a diff's old side ...
    after: Optional[Dict[str, Any]]   # ... and its new side
    witness: Any               # one concrete request of the cell
    addresses: Any             # how many source addresses it holds
    change: str                # "newly allowed", "newly denied", "same"
    json: Dict[str, Any] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Reach:
    """Who can reach one resource (moat reach --format json --cells)."""
    resource: str
    kind: str
    exposure: Dict[str, Any]   # by source class: internet, same_region...
    cells: Tuple[Cell, ...]
    json: Dict[str, Any] = field(compare=False, repr=False)

    def allowed(self) -> List[Cell]:
        return [c for c in self.cells if c.decision == "allow"]


@dataclass(frozen=True)
class Diff:
    """What a change to one resource opens and closes (moat diff)."""
    resource: str
    kind: str
    change: str
    exposure_before: Optional[Dict[str, Any]]
    exposure_after: Optional[Dict[str, Any]]
    cells: Tuple[Cell, ...]
    json: Dict[str, Any] = field(compare=False, repr=False)

    def newly_allowed(self) -> List[Cell]:
        return [c for c in self.cells if c.change == "newly allowed"]

    def newly_denied(self) -> List[Cell]:
        return [c for c in self.cells if c.change == "newly denied"]


def _cells(c) -> Tuple[Cell, ...]:
    n = ctypes.c_size_t()
    out = []
    for i in range(lib.moat_cells_count(c)):
        j = _native.json_taken(lib.moat_cell_json(c, i, ctypes.byref(n)), n)
        out.append(Cell(
            when=j.get("when", {}), decision=j.get("decision"),
            category=j.get("category"), rule=j.get("rule"),
            before=j.get("before"), after=j.get("after"),
            witness=j.get("witness"), addresses=j.get("addresses"),
            change=CHANGES[lib.moat_cell_change(c, i)]
            if lib.moat_cells_sides(c) == 2 else "same", json=j))
    return tuple(out)


def _compute(run, resource: str):
    """The cells run() computes, handed to the caller's reader, freed."""
    c = _native.P()
    st = run(ctypes.byref(c))
    if st:
        name = status_name(st)
        message = "%s: %s" % (resource, _native.text(lib.moat_strerror(st)))
        cls = {"E_NOTFOUND": ResourceNotFound,
               "E_AMBIGUOUS": AmbiguousResource}.get(name)
        raise cls(message, name, "resource") if cls else \
            MoatError(message, name)
    return c.value


def reach(estate, resource: str, time: Optional[str] = None) -> Reach:
    t = time.encode() if time else None
    c = _compute(lambda out: lib.moat_cells_compute(
        estate._handle(), resource.encode(), t, out), resource)
    try:
        n = ctypes.c_size_t()
        doc = _native.json_taken(lib.moat_cells_reach_json(c, 1, ctypes.byref(n)), n)
        return Reach(resource=doc["resource"], kind=doc["kind"],
                     exposure=doc.get("exposure", {}), cells=_cells(c),
                     json=doc)
    finally:
        lib.moat_cells_free(c)


def diff(old, new, resource: str, new_resource: Optional[str] = None,
         time: Optional[str] = None) -> Diff:
    """The requests to resource that old and new decide differently.
    old or new may be None: the resource is absent there (added or
    removed). new_resource: its id in new when it differs."""
    t = time.encode() if time else None
    ids = [resource.encode() if old else None,
           (new_resource or resource).encode() if new else None]
    # The side without the resource still names an estate (either).
    es = [(old or new)._handle(), (new or old)._handle()]
    c = _compute(lambda out: lib.moat_cells_diff(
        es[0], ids[0], es[1], ids[1], t, out), resource)
    try:
        n = ctypes.c_size_t()
        doc = _native.json_taken(lib.moat_cells_diff_json(c, ctypes.byref(n)), n)
        return Diff(resource=doc["resource"], kind=doc["kind"],
                    change=doc.get("change"),
                    exposure_before=doc.get("exposure_before"),
                    exposure_after=doc.get("exposure_after"),
                    cells=_cells(c), json=doc)
    finally:
        lib.moat_cells_free(c)
