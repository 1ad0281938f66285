"""The C library through ctypes: libmoat.so's structures and prototypes.

Each structure mirrors one of include/moat.h field by field, with the same
field names; tests/test_layout.py compiles a C program that prints the
sizes and offsets the C compiler gives them and compares.
"""
import ctypes
import json
import os

# The shared object's number (MOAT_ABI in moat.h): libmoat.so.0.
ABI = 0

c_char_p, c_int, c_uint = ctypes.c_char_p, ctypes.c_int, ctypes.c_uint
c_size_t, c_void_p = ctypes.c_size_t, ctypes.c_void_p
POINTER = ctypes.POINTER


class Diag(ctypes.Structure):
    _fields_ = [("severity", c_int), ("code", c_int), ("file", c_char_p),
                ("line", c_uint), ("column", c_uint), ("resource", c_char_p),
                ("path", c_char_p), ("message", c_char_p)]


class Error(ctypes.Structure):
    _fields_ = [("code", c_int), ("offset", c_size_t),
                ("message", ctypes.c_char * 256)]


class Decision(ctypes.Structure):
    _fields_ = [("verdict", c_int), ("category", c_int),
                ("has_enforced_would", c_int), ("enforced_would", c_int),
                ("warnings", c_uint), ("http_status", c_int),
                ("http_code", c_char_p), ("rule_", ctypes.c_uint32)]


class Step(ctypes.Structure):
    _fields_ = [("layer", c_char_p), ("outcome", c_int),
                ("detail", c_char_p)]


class EstateStats(ctypes.Structure):
    _fields_ = [(n, c_size_t) for n in (
        "storage_accounts", "key_vaults", "perimeters", "associations",
        "subnets", "subscriptions", "hot_bytes")]


class Incomplete(ctypes.Structure):
    _fields_ = [("file", c_char_p), ("line", c_uint), ("resource", c_char_p),
                ("what", c_char_p), ("why", c_char_p)]


class Evidence(ctypes.Structure):
    _fields_ = [("path", c_char_p), ("value", c_char_p), ("basis", c_int)]


class CisRef(ctypes.Structure):
    _fields_ = [("version", c_char_p), ("id", c_char_p)]


class AuditRule(ctypes.Structure):
    _fields_ = [("id", c_char_p), ("name", c_char_p), ("title", c_char_p),
                ("help", c_char_p), ("level", c_int)]


class Dependency(ctypes.Structure):
    _fields_ = [("kind", c_char_p), ("from_", c_char_p), ("to", c_char_p),
                ("request", c_char_p), ("decision", c_char_p),
                ("category", c_char_p), ("rule", c_char_p),
                ("resource", c_char_p)]


class Finding(ctypes.Structure):
    _fields_ = [("rule", POINTER(AuditRule)), ("level", c_int),
                ("resource", c_char_p), ("resource_name", c_char_p),
                ("address", c_char_p), ("file", c_char_p), ("line", c_uint),
                ("message", c_char_p), ("evidence", POINTER(Evidence)),
                ("n_evidence", c_size_t), ("fix", c_char_p),
                ("control", c_char_p), ("cis", POINTER(CisRef)),
                ("n_cis", c_size_t), ("fingerprint", c_char_p),
                ("state", c_int), ("suppression", c_char_p),
                ("dependency", POINTER(Dependency))]


class ControlResult(ctypes.Structure):
    _fields_ = [("control", c_char_p), ("title", c_char_p),
                ("resource", c_char_p), ("resource_name", c_char_p),
                ("status", c_int), ("basis", c_int), ("reason", c_char_p),
                ("cis", POINTER(CisRef)), ("n_cis", c_size_t)]


class Exposure(ctypes.Structure):
    _fields_ = [("resource", c_char_p), ("source", c_char_p),
                ("admitted", c_char_p), ("detail", c_char_p)]


class Audited(ctypes.Structure):
    _fields_ = [("id", c_char_p), ("name", c_char_p), ("kind", c_char_p),
                ("file", c_char_p), ("line", c_uint), ("address", c_char_p),
                ("first_finding", c_size_t), ("n_findings", c_size_t),
                ("first_control", c_size_t), ("n_controls", c_size_t),
                ("first_exposure", c_size_t), ("n_exposures", c_size_t)]


class Runner(ctypes.Structure):
    _fields_ = [("label", c_char_p), ("ip", c_char_p), ("region", c_char_p),
                ("subnet", c_char_p), ("identity", c_char_p)]


class AuditOptions(ctypes.Structure):
    _fields_ = [("cis_version", c_char_p),
                ("wide_ip_addresses", ctypes.c_uint64),
                ("runners", POINTER(Runner)), ("n_runners", c_size_t)]


# The C names of the structures above, for the layout test.
C_NAMES = {Diag: "moat_diag", Error: "moat_error", Decision: "moat_decision",
           Step: "moat_step", EstateStats: "moat_estate_stats",
           Incomplete: "moat_incomplete", Evidence: "moat_evidence",
           CisRef: "moat_cis_ref", AuditRule: "moat_audit_rule",
           Finding: "moat_finding", ControlResult: "moat_control_result",
           Exposure: "moat_exposure", Audited: "moat_audited",
           AuditOptions: "moat_audit_options", Dependency: "moat_dependency",
           Runner: "moat_runner"}

# Fields whose C name is a Python keyword: moat_dependency.from.
C_FIELD_NAMES = {"from_": "from"}

P = c_void_p  # an opaque handle: moat_loader *, moat_estate *, ...

# name: (restype, argtypes)
PROTOTYPES = {
    "moat_version": (c_char_p, []),
    "moat_strerror": (c_char_p, [c_int]),
    "moat_status_name": (c_char_p, [c_int]),
    "moat_free": (None, [c_void_p]),
    "moat_category_name": (c_char_p, [c_int]),
    "moat_warning_name": (c_char_p, [c_uint]),
    "moat_loader_new": (P, [c_uint]),
    "moat_loader_add_path": (c_int, [P, c_char_p]),
    "moat_loader_add_json": (c_int, [P, c_char_p, c_char_p, c_size_t]),
    "moat_loader_add_service_tags": (c_int, [P, c_char_p]),
    "moat_loader_finish": (c_int, [P, POINTER(P)]),
    "moat_loader_diag_count": (c_size_t, [P]),
    "moat_loader_diag": (POINTER(Diag), [P, c_size_t]),
    "moat_loader_free": (None, [P]),
    "moat_estate_free": (None, [P]),
    "moat_estate_stats_get": (None, [P, POINTER(EstateStats)]),
    "moat_estate_incomplete_count": (c_size_t, [P]),
    "moat_estate_incomplete": (POINTER(Incomplete), [P, c_size_t]),
    "moat_estate_describe": (c_void_p, [P, POINTER(c_size_t)]),
    "moat_request_new": (P, [P]),
    "moat_request_free": (None, [P]),
    "moat_request_set": (c_int, [P, c_int, c_char_p, c_size_t,
                                 POINTER(Error)]),
    "moat_request_parse": (c_int, [P, c_char_p, c_size_t, POINTER(Error)]),
    "moat_request_resource_id": (c_char_p, [P]),
    "moat_decide": (c_int, [P, POINTER(Decision)]),
    "moat_decision_rule": (ctypes.c_long, [P, POINTER(Decision)]),
    "moat_explanation_new": (P, []),
    "moat_explanation_free": (None, [P]),
    "moat_explain": (c_int, [P, P, c_uint]),
    "moat_explanation_decision": (POINTER(Decision), [P]),
    "moat_explanation_rule": (c_char_p, [P]),
    "moat_explanation_reason": (c_char_p, [P]),
    "moat_explanation_step_count": (c_size_t, [P]),
    "moat_explanation_step": (POINTER(Step), [P, c_size_t]),
    "moat_explanation_json": (c_size_t, [P, c_char_p, c_size_t]),
    "moat_audit_run": (c_int, [P, POINTER(AuditOptions), POINTER(P)]),
    "moat_audit_free": (None, [P]),
    "moat_audit_resource_count": (c_size_t, [P]),
    "moat_audit_resource": (POINTER(Audited), [P, c_size_t]),
    "moat_audit_finding": (POINTER(Finding), [P, c_size_t]),
    "moat_audit_control": (POINTER(ControlResult), [P, c_size_t]),
    "moat_audit_exposure": (POINTER(Exposure), [P, c_size_t]),
    "moat_audit_incomplete_count": (c_size_t, [P]),
    "moat_audit_incomplete": (POINTER(Incomplete), [P, c_size_t]),
    "moat_audit_suppress": (c_int, [P, c_char_p, c_size_t, c_char_p,
                                    POINTER(Error)]),
    "moat_cells_compute": (c_int, [P, c_char_p, c_char_p, POINTER(P)]),
    "moat_cells_diff": (c_int, [P, c_char_p, P, c_char_p, c_char_p,
                                POINTER(P)]),
    "moat_cells_free": (None, [P]),
    "moat_cells_count": (c_size_t, [P]),
    "moat_cells_sides": (c_int, [P]),
    "moat_cell_json": (c_void_p, [P, c_size_t, POINTER(c_size_t)]),
    "moat_cell_change": (c_int, [P, c_size_t]),
    "moat_cells_reach_json": (c_void_p, [P, c_int, POINTER(c_size_t)]),
    "moat_cells_diff_json": (c_void_p, [P, POINTER(c_size_t)]),
    "moat_level_name": (c_char_p, [c_int]),
    "moat_basis_name": (c_char_p, [c_int]),
    "moat_control_status_name": (c_char_p, [c_int]),
}


def _load():
    """libmoat: $MOAT_LIBRARY when set (a path), else libmoat.so.ABI as
    the dynamic linker finds it (LD_LIBRARY_PATH, then the system's)."""
    path = os.environ.get("MOAT_LIBRARY") or "libmoat.so.%d" % ABI
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise ImportError("moat: cannot load %s (%s); install libmoat%d or "
                          "set MOAT_LIBRARY to libmoat.so's path" %
                          (path, e, ABI)) from e
    for name, (restype, argtypes) in PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


lib = _load()


def text(b):
    """A C string as str (None stays None)."""
    return None if b is None else b.decode("utf-8", "replace")


def json_taken(p, n):
    """A JSON document libmoat malloc'd (n: its length), parsed and freed."""
    if not p:
        raise MemoryError("libmoat ran out of memory")
    try:
        return json.loads(ctypes.string_at(p, n.value))
    finally:
        lib.moat_free(p)
