"""``rffi.install_as_cffi()``: make ``import cffi`` and ``import _cffi_backend`` give rffi.

Named after the ecosystem's convention (``pymysql.install_as_MySQLdb()``). It works on this
process's ``sys.modules``: nothing changes for a program that does not call it, even when
the real cffi is installed, and it does not reach subprocesses.
"""

from __future__ import annotations

import sys
from types import ModuleType

# Type checkers take this branch; at run time `typing` is not imported, which keeps
# `import rffi` fast.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec

__all__ = ["install_as_cffi"]


class _CffiSubmoduleFinder:
    """A meta path finder that refuses, with a message that says why, the submodules of
    cffi that the shim lacks.

    Without it ``import cffi.model`` would fail with a bare "No module named", or find a file
    of rffi's package under cffi's name. (Not derived from importlib.abc.MetaPathFinder:
    importing that module would make ``import rffi`` slower for everyone.)"""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if not fullname.startswith("cffi.") or fullname in sys.modules:
            return None
        from rffi import cffi as shim

        if sys.modules.get("cffi") is not shim:
            return None
        raise ModuleNotFoundError(
            f"No module named {fullname!r}: rffi.install_as_cffi() made `cffi` rffi's "
            "ABI-mode module, which has cffi.api and cffi.error only (the other submodules "
            "are cffi's parser, type model, API-mode compilers and ctypes backend)",
            name=fullname,
        )


_FINDER = _CffiSubmoduleFinder()


def _foreign_modules(shim: ModuleType, backend: ModuleType) -> list[str]:
    """The names under which the real cffi (or anything else) is already imported."""
    ours = {"cffi": shim, "_cffi_backend": backend}
    ours.update({f"cffi.{name}": module for name, module in shim._SUBMODULES.items()})
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if (name in ("cffi", "_cffi_backend") or name.startswith("cffi."))
        and module is not ours.get(name)
    )


def install_as_cffi() -> None:
    """From now on, ``import cffi`` and ``import _cffi_backend`` in this process give rffi's
    cffi-compatible modules (``rffi.cffi`` and ``rffi._cffi_backend``), so a package that
    imports cffi itself runs on rffi without being edited.

    Call it before anything imports cffi. If the real cffi (or ``_cffi_backend``) was
    imported already, its ``sys.modules`` entries are replaced all the same and a
    RuntimeWarning says so: modules that hold the real cffi keep it, and FFI objects made
    before stay cffi's. Calling it again does nothing. Subprocesses are not affected.
    """
    from rffi import _cffi_backend as backend
    from rffi import cffi as shim

    foreign = _foreign_modules(shim, backend)
    real_backend = sys.modules.get("_cffi_backend")
    if "_cffi_backend" in foreign and isinstance(real_backend, ModuleType):
        backend._real_backend = real_backend
    if foreign:
        import warnings

        for name in foreign:
            del sys.modules[name]
        warnings.warn(
            f"rffi.install_as_cffi(): {', '.join(foreign)} had been imported before; "
            "later imports give rffi's modules, but code that imported the real ones keeps "
            "them (call install_as_cffi() before anything imports cffi)",
            RuntimeWarning,
            stacklevel=2,
        )
    sys.modules["cffi"] = shim
    sys.modules["_cffi_backend"] = backend
    for name, module in shim._SUBMODULES.items():
        sys.modules[f"cffi.{name}"] = module
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
