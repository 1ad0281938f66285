"""Every ctypes structure has the size and field offsets the C compiler
gives the moat.h structure it mirrors: a C program prints them."""
import ctypes
import os
import subprocess

from moat import _native


def c_layout(top, tmp_path):
    lines = ["#include <moat.h>", "#include <stddef.h>", "#include <stdio.h>",
             "int main(void) {"]
    for cls, name in _native.C_NAMES.items():
        lines.append('printf("%s %%zu\\n", sizeof(%s));' % (name, name))
        for field, _ in cls._fields_:
            cfield = _native.C_FIELD_NAMES.get(field, field)
            lines.append('printf("%s.%s %%zu\\n", offsetof(%s, %s));' %
                         (name, cfield, name, cfield))
    lines += ["return 0;", "}"]
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp_path / "layout"
    subprocess.run(["cc", "-std=c11", "-Wall", "-Werror",
                    "-I" + os.path.join(top, "include"), "-o", str(exe),
                    str(src)], check=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True,
                         check=True).stdout
    return dict(line.rsplit(" ", 1) for line in out.splitlines())


def test_structures_match_moat_h(top, tmp_path):
    want = c_layout(top, tmp_path)
    got = {}
    for cls, name in _native.C_NAMES.items():
        got[name] = str(ctypes.sizeof(cls))
        for field, _ in cls._fields_:
            cfield = _native.C_FIELD_NAMES.get(field, field)
            got["%s.%s" % (name, cfield)] = str(
                getattr(cls, field).offset)
    assert got == want


def test_abi_is_moat_h(top):
    with open(os.path.join(top, "include", "moat.h")) as f:
        header = f.read()
    assert "#define MOAT_ABI %d\n" % _native.ABI in header
