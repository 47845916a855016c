"""``cffi.api``: the ``FFI`` class with cffi's constructor, running on rffi.

``rffi.FFI()`` takes no argument; cffi's is ``FFI(backend=None)``. This subclass accepts the
``backend`` argument, refuses the API-mode methods that build C with a clear error
(``set_source()`` only records its arguments, as cffi's does), and adds the ABI-mode methods
of cffi that rffi's core leaves to Python (``set_unicode``).
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any, NoReturn

import rffi
from rffi.cffi.error import APIModeUnsupported

__all__ = ["FFI"]

# The backends FFI(backend=...) accepts: cffi's default one, under either name.
_BACKEND_NAMES = ("_cffi_backend", "rffi._cffi_backend")


def _backend_module() -> ModuleType:
    from rffi import _cffi_backend

    return _cffi_backend


def _api_mode(method: str) -> NoReturn:
    raise APIModeUnsupported(
        f"ffi.{method}() belongs to cffi's API mode (C compiled against the declarations), "
        "which rffi does not implement: rffi runs ABI mode only (ffi.cdef() and "
        "ffi.dlopen()). Build API-mode or out-of-line modules with the real cffi."
    )


class FFI(rffi.FFI):
    """cffi's ``FFI`` (ABI mode) on rffi: ``FFI(backend=None)``."""

    def __new__(cls, backend: Any = None) -> FFI:
        return super().__new__(cls)

    def __init__(self, backend: Any = None) -> None:
        if backend is not None and getattr(backend, "__name__", None) not in _BACKEND_NAMES:
            raise NotImplementedError(
                f"FFI(backend={backend!r}): rffi's FFI runs on rffi only; other cffi "
                "backends (such as cffi.backend_ctypes) are not supported"
            )
        self._backend = _backend_module()
        self._windows_unicode: bool | None = None

    def set_unicode(self, enabled_flag: bool) -> None:
        """Declare the Windows ``TCHAR`` family of typedefs as ``wchar_t`` (True) or ``char``
        (False), as cffi does. Can be called once per FFI."""
        if self._windows_unicode is not None:
            raise ValueError("set_unicode() can only be called once")
        enabled_flag = bool(enabled_flag)
        base = "wchar_t" if enabled_flag else "char"
        self.cdef(
            f"typedef {base} TBYTE; typedef {base} TCHAR; "
            f"typedef const {base} *LPCTSTR; typedef const {base} *PCTSTR; "
            f"typedef {base} *LPTSTR; typedef {base} *PTSTR; "
            f"typedef TBYTE *PTBYTE; typedef TCHAR *PTCHAR;"
        )
        self._windows_unicode = enabled_flag

    def set_source(
        self, module_name: str, source: str | None, source_extension: str = ".c", **kwds: Any
    ) -> None:
        """Records the module to build, as cffi does: building it (``compile()``,
        ``emit_*()``) is what needs cffi. Packages whose builder FFI is also their run-time
        FFI (pangocffi) call this at import and then only ``dlopen()``."""
        if hasattr(self, "_assigned_source"):
            raise ValueError("set_source() cannot be called several times per ffi object")
        if not isinstance(module_name, str):
            raise TypeError("'module_name' must be a string")
        if os.sep in module_name or (os.altsep and os.altsep in module_name):
            raise ValueError(
                "'module_name' must not contain '/': use a dotted name to make a "
                "'package.module' location"
            )
        self._assigned_source = (str(module_name), source, source_extension, kwds)

    def set_source_pkgconfig(self, *args: Any, **kwargs: Any) -> NoReturn:
        _api_mode("set_source_pkgconfig")

    def compile(self, *args: Any, **kwargs: Any) -> NoReturn:
        _api_mode("compile")

    def emit_c_code(self, *args: Any, **kwargs: Any) -> NoReturn:
        _api_mode("emit_c_code")

    def emit_python_code(self, *args: Any, **kwargs: Any) -> NoReturn:
        _api_mode("emit_python_code")

    def distutils_extension(self, *args: Any, **kwargs: Any) -> NoReturn:
        _api_mode("distutils_extension")

    def verify(self, *args: Any, **kwargs: Any) -> NoReturn:
        _api_mode("verify")

    def embedding_api(self, *args: Any, **kwargs: Any) -> NoReturn:
        _api_mode("embedding_api")

    def embedding_init_code(self, *args: Any, **kwargs: Any) -> NoReturn:
        _api_mode("embedding_init_code")
