"""The machinery of the differential suite: run a snippet under a backend, reduce the outcome to
plain data that can be compared between cffi and rffi.

A snippet is Python source run with ``ffi`` (a fresh FFI with testlib.h declared), ``lib`` (the
opened test library), ``FFI`` (the backend's class) and ``LIBPATH`` in scope. Its outcome is the
value of its last line when that line is an expression (``None`` otherwise), or the exception it
raised.
"""

from __future__ import annotations

import ast
import re

from conftest import TESTLIB_HEADER, TESTLIB_PATH, ffi_class

_ADDR = re.compile(r"0x[0-9a-fA-F]+")
_HEADER = TESTLIB_HEADER.read_text() if TESTLIB_HEADER.exists() else ""


# The classes behind cdata and ctype objects have backend-specific names, which appear in
# CPython's own messages ("'_cffi_backend._CDataBase' object cannot be interpreted as ...").
_CDATA_CLASS = re.compile(r"\b(_cffi_backend\.(_CDataBase|__CDataOwn\w*|_CDataGCP)|rffi\.CData)\b")
_CTYPE_CLASS = re.compile(r"\b(_cffi_backend\.CType|rffi\.CType)\b")


def _norm_text(text: str) -> str:
    """Addresses differ between runs and backends; module and class names differ by backend."""
    text = _ADDR.sub("0xADDR", text)
    text = _CDATA_CLASS.sub("CDATA_CLASS", text)
    text = _CTYPE_CLASS.sub("CTYPE_CLASS", text)
    for module in ("_cffi_backend", "cffi", "rffi._rffi", "rffi"):
        text = text.replace(f"<{module}.", "<MODULE.")
    return text


def normalize(value: object) -> object:
    """Plain data for a snippet's value: cdata, ctypes and other objects become their repr."""
    if isinstance(value, str) and value.startswith("<"):
        return _norm_text(value)  # a repr made inside the snippet
    if isinstance(value, (bool, int, float, complex, str, bytes, type(None))):
        return value
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, tuple):
        return tuple(normalize(v) for v in value)
    if isinstance(value, dict):
        return {normalize(k): normalize(v) for k, v in value.items()}
    if isinstance(value, type):
        return ("type", value.__name__)
    return ("repr", _norm_text(repr(value)))


def run_snippet(backend_name: str, code: str, with_lib: bool = True) -> tuple:
    """``("ok", value)`` or ``("raises", exception type name, message)``."""
    cls = ffi_class(backend_name)
    ns: dict = {"FFI": cls, "LIBPATH": str(TESTLIB_PATH)}
    if with_lib:
        ffi = cls()
        ffi.cdef(_HEADER)
        ns["ffi"] = ffi
        ns["lib"] = ffi.dlopen(str(TESTLIB_PATH))
    else:
        ns["ffi"] = cls()
    tree = ast.parse(code)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    try:
        exec(compile(tree, "<snippet>", "exec"), ns)
        value = eval(compile(last, "<snippet>", "eval"), ns) if last is not None else None
        return ("ok", normalize(value))
    except Exception as e:  # noqa: BLE001 - every exception is an outcome to compare
        return ("raises", type(e).__name__, _norm_text(str(e)))
