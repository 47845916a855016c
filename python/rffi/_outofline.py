"""FFI objects from the tables of cffi's out-of-line ABI modules.

``ffibuilder.set_source("_name", None)`` makes cffi write a Python module that builds its
``ffi`` with ``_cffi_backend.FFI('_name', _version=0x2601, _types=b'...', _globals=(...),
...)``. :func:`ffi_from_tables` takes those same arguments and returns an :class:`rffi.FFI`
with the declarations they describe, ready for ``ffi.dlopen(...)``.
"""

from __future__ import annotations

from typing import Any

from . import FFI
from ._rffi import _ffi_from_tables  # type: ignore[import-not-found]  # (no stub: private)

__all__ = ["ffi_from_tables", "VERSION_MIN", "VERSION_MAX"]

#: The table versions cffi 2 accepts (generated modules say 0x2601).
VERSION_MIN = 0x2601
VERSION_MAX = 0x28FF

_OP_ENUM = 11
_OP_CONSTANT_INT = 31
_MASK64 = (1 << 64) - 1


def _version_text(version: int) -> str:
    # cffi formats the version with "%p"; glibc spells a null pointer "(nil)".
    if version == 0:
        return "0x(nil)"
    return hex(version & _MASK64)


def _tuple(name: str, value: Any) -> tuple[Any, ...]:
    if not isinstance(value, tuple):
        raise TypeError(f"FFI() argument '{name}' must be tuple, not {type(value).__name__}")
    return value


def _reduced(value: Any) -> int:
    # cffi keeps an integer constant as the low 64 bits and whether it was <= 0; the
    # value is then read as a 'long long' when it was, an 'unsigned long long' otherwise.
    negative = value <= False
    bits = int(value) & _MASK64
    if negative and bits >= 1 << 63:
        return bits - (1 << 64)
    return bits


def _global_pairs(table: tuple[Any, ...]) -> list[tuple[bytes, int]]:
    pairs = []
    for i in range(len(table) // 2):
        entry, value = table[2 * i], table[2 * i + 1]
        if not isinstance(entry, bytes):
            raise TypeError("_globals entries must be bytes")
        op = entry[3] if len(entry) >= 4 else -1
        pairs.append((entry, _reduced(value) if op in (_OP_ENUM, _OP_CONSTANT_INT) else 0))
    return pairs


def ffi_from_tables(
    module_name: str = "?",
    _version: int = -1,
    _types: bytes | str = b"",
    _globals: tuple[Any, ...] | None = None,
    _struct_unions: tuple[Any, ...] | None = None,
    _enums: tuple[Any, ...] | None = None,
    _typenames: tuple[Any, ...] | None = None,
    _includes: tuple[Any, ...] | None = None,
) -> FFI:
    """The FFI that ``_cffi_backend.FFI(module_name, **tables)`` would build.

    Raises ImportError for a table version cffi does not know, as cffi does.
    """
    if not isinstance(module_name, str):
        raise TypeError(f"FFI() argument 1 must be str, not {type(module_name).__name__}")
    if isinstance(_types, str):
        _types = _types.encode()
    if not isinstance(_types, bytes):
        raise TypeError(f"FFI() argument '_types' must be bytes, not {type(_types).__name__}")
    tables = {
        name: _tuple(name, value)
        for name, value in (
            ("_globals", _globals),
            ("_struct_unions", _struct_unions),
            ("_enums", _enums),
            ("_typenames", _typenames),
            ("_includes", _includes),
        )
        if value is not None
    }
    if _version == -1 and not _types:
        return FFI()
    if not VERSION_MIN <= _version <= VERSION_MAX:
        raise ImportError(
            f"cffi out-of-line Python module '{module_name}' has unknown version "
            f"{_version_text(_version)}"
        )
    return _ffi_from_tables(
        _types,
        _global_pairs(tables.get("_globals", ())),
        [list(entry) for entry in tables.get("_struct_unions", ())],
        list(tables.get("_enums", ())),
        list(tables.get("_typenames", ())),
        list(tables.get("_includes", ())),
    )
