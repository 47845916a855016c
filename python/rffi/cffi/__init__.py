"""A ``cffi`` module for programs that import cffi themselves, running on rffi.

``rffi.install_as_cffi()`` makes ``import cffi`` give this package (and ``import
_cffi_backend`` give ``rffi._cffi_backend``). It can also be imported by its own name:
``from rffi.cffi import FFI`` is rffi's FFI with cffi's constructor, ``FFI(backend=None)``.

``python -m rffi.cffi script.py args...`` (or ``-m module args...``) runs a whole program
this way without editing it; see ``rffi/cffi/__main__.py``.

``__version__`` is the version of cffi whose behaviour rffi follows (and is checked against);
``__rffi_version__`` is rffi's own.
"""

from __future__ import annotations

from rffi import __version__ as __rffi_version__
from rffi.cffi import api, error
from rffi.cffi.api import FFI
from rffi.cffi.error import (
    CDefError,
    FFIError,
    PkgConfigError,
    VerificationError,
    VerificationMissing,
)

__all__ = ["FFI", "VerificationError", "VerificationMissing", "CDefError", "FFIError"]

__version__ = "2.1.1"
__version_info__ = (2, 1, 1)

# Submodules of cffi that install_as_cffi() registers under "cffi.<name>". Others (the
# parser, the type model, the API-mode compilers, backend_ctypes) are cffi internals that
# an ABI-mode program does not import; `import cffi.<other>` raises ModuleNotFoundError.
_SUBMODULES = {"api": api, "error": error}

del annotations
