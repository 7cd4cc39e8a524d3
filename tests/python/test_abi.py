"""The C ABI is written down once, in include/klient.h; everything else that restates it
is checked against it here: the ctypes prototypes, structures, callbacks and constants of
bindings/python/klient/_native.py and _native_types.py, the ERR_* codes and names of
bindings/python/klient/errors.py, the Kind values of core/errors.go and the structure
layouts the C compiler computes (capi/ compiles its exports against the header's
prototypes: the C compiler checks that side). Every failure names the header line and
the place that disagrees with it."""

from __future__ import annotations

import ctypes
import re
import subprocess
from ctypes import POINTER, c_char, c_char_p, c_void_p
from pathlib import Path
from typing import Any

from klient import _native, _native_types, errors

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "include" / "klient.h"
NATIVE = ROOT / "bindings" / "python" / "klient" / "_native.py"  # the prototypes
NATIVE_TYPES = ROOT / "bindings" / "python" / "klient" / "_native_types.py"  # structures, callbacks, constants
ERRORS = ROOT / "bindings" / "python" / "klient" / "errors.py"
CORE_ERRORS = ROOT / "core" / "errors.go"

# Where Python deliberately declares a pointer differently from the header, and why.
# Keyed by (function, struct or callback type, parameter or field name).
DEVIATIONS: dict[tuple[str, str], Any] = {
    # The producer passes the addresses of its own packed arrays (array.array / bytes).
    ("klient_producer_produce_packed", "key_offsets"): c_void_p,
    ("klient_producer_produce_packed", "value_offsets"): c_void_p,
    # Decoded with struct.unpack_from straight from the address.
    ("klient_packed_batch_t", "data"): c_void_p,
    # Not NUL-terminated (length given): c_char_p would read past the line.
    ("klient_event_sink_fn", "json_line"): POINTER(c_char),
    # Written, never read: a bytes object assigned as it is (the struct keeps it alive).
    ("klient_message_t", "key"): c_char_p,
    ("klient_message_t", "value"): c_char_p,
}


def _rel(p: Path) -> str:
    return str(p.relative_to(ROOT))


def _py(name: str) -> str:
    """Where _native.py names a C function, or _native_types.py a C type ("path:line")."""
    return _line_of(NATIVE_TYPES if name in _native_types.C_TYPES else NATIVE, '"' + name + '"')


def _const(path: Path, attr: str) -> str:
    return _line_of(path, "^" + attr + r"\b")


def _line_of(path: Path, pattern: str) -> str:
    """"path:line" of the first line matching pattern (the place to fix)."""
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if re.search(pattern, line):
            return f"{_rel(path)}:{i}"
    return _rel(path)


# ---- the header, parsed ----------------------------------------------------------------


def _code_only(text: str) -> str:
    """Comments and preprocessor lines blanked out, newlines kept (line numbers hold)."""
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group()), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"(?m)^[ \t]*#[^\n]*", "", text)


class Param:
    def __init__(self, decl: str) -> None:
        decl = " ".join(decl.split())
        m = re.fullmatch(r"(.*?)(\w+)(\[(\d+)\])?", decl)
        assert m, decl
        self.decl = decl
        self.name = m.group(2)
        self.array = int(m.group(4)) if m.group(4) else 0
        words = re.findall(r"\w+", m.group(1))
        self.const = "const" in words
        self.base = next(w for w in words if w != "const")
        self.stars = m.group(1).count("*")


class Header:
    def __init__(self, path: Path) -> None:
        raw = path.read_text()
        self.defines = {
            m.group(1): (int(m.group(2)), raw.count("\n", 0, m.start()) + 1)
            for m in re.finditer(r"(?m)^#define\s+(KLIENT_\w+)\s+\(?(-?\d+)\)?", raw)
        }
        code = _code_only(raw)
        self.functions: dict[str, tuple[str, list[Param], int]] = {}
        for m in re.finditer(r"\b(klient_\w+)\s*\(([^()]*)\)\s*;", code):
            start = max(code.rfind(c, 0, m.start()) for c in ";{}") + 1
            ret = " ".join(code[start : m.start()].split())
            args = m.group(2).strip()
            params = [] if args == "void" else [Param(a) for a in args.split(",")]
            self.functions[m.group(1)] = (ret, params, code.count("\n", 0, m.start()) + 1)
        self.callbacks = {
            m.group(2): (Param(m.group(1) + " r"), [Param(a) for a in m.group(3).split(",")], code.count("\n", 0, m.start()) + 1)
            for m in re.finditer(r"typedef\s+([\w\s\*]+?)\s*\(\s*\*\s*(klient_\w+)\s*\)\s*\(([^()]*)\)\s*;", code)
        }
        self.structs = {
            m.group(2): ([Param(f) for f in m.group(1).split(";") if f.strip()], code.count("\n", 0, m.start()) + 1)
            for m in re.finditer(r"typedef\s+struct\s*\w*\s*\{([^{}]*)\}\s*(klient_\w+)\s*;", code)
        }


H = Header(HEADER)


def _expected(p: Param, owner: str) -> Any:
    """The ctypes type that declares C parameter/field p, by _native_types.C_TYPES."""
    if (owner, p.name) in DEVIATIONS:
        return DEVIATIONS[(owner, p.name)]
    if p.array:
        return _native_types.C_TYPES[p.base] * p.array
    if p.base == "char" and p.stars:
        if p.stars == 1:
            return c_char_p
        # char **x_out: a string the library returns, kept as an address for klient_free.
        return POINTER(c_void_p) if p.name.endswith("_out") else POINTER(c_char_p)
    t = c_void_p if p.base == "void" and p.stars else _native_types.C_TYPES[p.base]
    stars = p.stars
    if t is c_void_p and stars:  # void * and opaque handles: one star is the pointer itself
        stars -= 1
    for _ in range(stars):
        t = POINTER(t)
    return t


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    # Arrays: ctypes makes a new class per `c_char * 256`.
    return (
        isinstance(a, type) and isinstance(b, type) and issubclass(a, ctypes.Array) and issubclass(b, ctypes.Array)
        and a._type_ is b._type_ and a._length_ == b._length_
    )


def _name(t: Any) -> str:
    if t is None:
        return "None"
    if isinstance(t, type) and issubclass(t, ctypes.Array):
        return f"{_name(t._type_)} * {t._length_}"
    if isinstance(t, type) and issubclass(t, ctypes._Pointer):  # type: ignore[attr-defined]
        return f"POINTER({_name(t._type_)})"
    return getattr(t, "__name__", repr(t))


def _report(problems: list[str]) -> None:
    assert not problems, "the C ABI and its copies disagree:\n  " + "\n  ".join(problems)


# ---- tests -----------------------------------------------------------------------------


def test_header_parsed() -> None:
    # Guards the parser itself: a regex that silently matched nothing would pass every
    # test below.
    assert len(H.functions) >= 65 and len(H.structs) >= 9 and len(H.callbacks) == 4
    assert H.defines["KLIENT_ERR_TIMEOUT"][0] == 3


def test_every_prototype_has_the_export_macro() -> None:
    bad = [f"{_rel(HEADER)}:{line} {name}: declared without KLIENT_API ({ret!r})"
           for name, (ret, _, line) in H.functions.items() if not ret.startswith("KLIENT_API ")]
    _report(bad)


def test_python_prototypes_match_header() -> None:
    problems = []
    header_names, py_names = set(H.functions), set(_native._PROTOTYPES)
    for name in sorted(header_names - py_names):
        problems.append(f"{_rel(HEADER)}:{H.functions[name][2]} declares {name}, missing from _PROTOTYPES in {_rel(NATIVE)}")
    for name in sorted(py_names - header_names):
        problems.append(f"{_py(name)} declares {name}, which {_rel(HEADER)} does not")
    for name in sorted(header_names & py_names):
        ret, params, line = H.functions[name]
        res, args = _native._PROTOTYPES[name]
        where = f"{_rel(HEADER)}:{line} vs {_py(name)}: {name}"
        want_ret = _expected(Param(ret.replace("KLIENT_API", "") + " r"), name)
        if not _same(res, want_ret):
            problems.append(f"{where} returns {ret.replace('KLIENT_API ', '')!r}; Python restype is {_name(res)}, expected {_name(want_ret)}")
        if len(args) != len(params):
            problems.append(f"{where} has {len(params)} parameters; Python argtypes has {len(args)}")
            continue
        for i, (p, a) in enumerate(zip(params, args)):
            want = _expected(p, name)
            if not _same(a, want):
                problems.append(f"{where} parameter {i} {p.decl!r}: Python has {_name(a)}, expected {_name(want)}")
    problems += [f"{_rel(NATIVE)}: the library {_native.LIB_PATH} lacks {n}" for n in _native.MISSING]
    _report(problems)


def test_callbacks_match_header() -> None:
    problems = []
    for cname, (ret, params, line) in H.callbacks.items():
        fn = _native_types.C_TYPES[cname]
        where = f"{_rel(HEADER)}:{line} vs {_py(cname)}: {cname}"
        if not _same(fn._restype_, _expected(ret, cname)):
            problems.append(f"{where} returns {ret.decl!r}; Python has {_name(fn._restype_)}")
        want = [_expected(p, cname) for p in params]
        if len(want) != len(fn._argtypes_) or not all(map(_same, fn._argtypes_, want)):
            problems.append(f"{where}: Python has ({', '.join(map(_name, fn._argtypes_))}), expected ({', '.join(map(_name, want))})")
    _report(problems)


def test_struct_fields_match_header() -> None:
    problems = []
    for sname, (fields, line) in H.structs.items():
        cls = _native_types.C_TYPES.get(sname)
        where = f"{_rel(HEADER)}:{line} vs {_py(sname)}: {sname}"
        if cls is None:
            problems.append(f"{where}: no ctypes Structure for it in _native_types.C_TYPES")
            continue
        py = cls._fields_
        if [f.name for f in fields] != [n for n, _ in py]:
            problems.append(f"{where}: fields {[f.name for f in fields]} in C, {[n for n, _ in py]} in Python")
            continue
        for f, (_, t) in zip(fields, py):
            want = _expected(f, sname)
            if not _same(t, want):
                problems.append(f"{where}.{f.name} {f.decl!r}: Python has {_name(t)}, expected {_name(want)}")
    _report(problems)


def test_struct_layouts_match_the_compiler(tmp_path: Path) -> None:
    # Sizes and offsets as the C compiler lays the structs out, against ctypes'.
    lines = ['#include <stddef.h>', '#include <stdio.h>', '#include "klient.h"', "int main(void) {"]
    for sname, (fields, _) in H.structs.items():
        lines.append(f'printf("{sname} %zu\\n", sizeof({sname}));')
        lines += [f'printf("{sname}.{f.name} %zu\\n", offsetof({sname}, {f.name}));' for f in fields]
    lines.append("return 0; }")
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines))
    exe = tmp_path / "layout"
    subprocess.run(["cc", "-std=c11", f"-I{HEADER.parent}", str(src), "-o", str(exe)], check=True, timeout=60)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True, timeout=60).stdout
    problems = []
    for row in out.splitlines():
        what, n = row.split()
        sname, _, field = what.partition(".")
        cls = _native_types.C_TYPES[sname]
        got = getattr(cls, field).offset if field else ctypes.sizeof(cls)
        if got != int(n):
            kind = f"offset of {field}" if field else "size"
            problems.append(f"{_rel(HEADER)}:{H.structs[sname][1]} vs {_py(sname)}: {sname} {kind} is {n} in C, {got} in ctypes")
    _report(problems)


def test_constants_match_header() -> None:
    problems = []
    for name, (value, line) in H.defines.items():
        if name.startswith("KLIENT_ERR_") or name == "KLIENT_OK":
            attr, mod, path = name.replace("KLIENT_", ""), errors, ERRORS
        else:
            attr, mod, path = name.replace("KLIENT_", ""), _native_types, NATIVE_TYPES
        got = getattr(mod, attr, None)
        if got != value:
            problems.append(f"{_rel(HEADER)}:{line} {name} = {value}, but {_const(path, attr)} {attr} = {got}")
    for attr in dir(errors):
        if re.fullmatch(r"ERR_\w+", attr) and f"KLIENT_{attr}" not in H.defines:
            problems.append(f"{_const(ERRORS, attr)} defines {attr}, which {_rel(HEADER)} does not (KLIENT_{attr})")
    _report(problems)


def _go_kinds() -> dict[str, tuple[int, int]]:
    text = CORE_ERRORS.read_text()
    return {
        "KLIENT_ERR_" + re.sub(r"(?<!^)(?=[A-Z])", "_", m.group(1)).upper(): (int(m.group(2)), text.count("\n", 0, m.start()) + 1)
        for m in re.finditer(r"(?m)^\s*Kind(\w+)\s+Kind\s*=\s*(-?\d+)", text)
    }


def test_go_kinds_match_header() -> None:
    kinds = _go_kinds()
    assert len(kinds) >= 15, f"no Kind constants parsed from {_rel(CORE_ERRORS)}"
    header = {n: v for n, v in H.defines.items() if n.startswith("KLIENT_ERR_")}
    problems = []
    for name in sorted(set(kinds) | set(header)):
        if name not in header:
            problems.append(f"{_rel(CORE_ERRORS)}:{kinds[name][1]} has a Kind for {name}, which {_rel(HEADER)} does not define")
        elif name not in kinds:
            problems.append(f"{_rel(HEADER)}:{header[name][1]} defines {name}, which has no Kind in {_rel(CORE_ERRORS)}")
        elif kinds[name][0] != header[name][0]:
            problems.append(f"{_rel(HEADER)}:{header[name][1]} {name} = {header[name][0]}, but {_rel(CORE_ERRORS)}:{kinds[name][1]} says {kinds[name][0]}")
    _report(problems)


def test_kind_names_match_go() -> None:
    text = CORE_ERRORS.read_text()
    block = text[text.index("var kindNames") :]
    block = block[: block.index("}")]
    go_names = {m.group(1): m.group(2) for m in re.finditer(r"Kind(\w+):\s*\"([^\"]+)\"", block)}
    kinds = _go_kinds()
    problems = []
    for cname, (value, _) in kinds.items():
        camel = "".join(w.capitalize() for w in cname.replace("KLIENT_ERR_", "").split("_"))
        go = go_names.get(camel, "unknown")
        if errors.CODE_NAMES.get(value) != go:
            problems.append(f"{_rel(CORE_ERRORS)} names Kind{camel} {go!r}, {_line_of(ERRORS, '^CODE_NAMES')} says {errors.CODE_NAMES.get(value)!r}")
    _report(problems)
