"""rffi: call C libraries from Python with declarations written as C text.

``from rffi import FFI`` is meant as a drop-in for ``from cffi import FFI`` in ABI mode.
Everything is implemented in the compiled module ``rffi._rffi``; this file re-exports it and
adds ``install_as_cffi()``, which makes ``import cffi`` give rffi (see ``rffi.cffi``).
"""

from ._cffi_install import install_as_cffi
from ._rffi import *  # noqa: F401,F403
from ._rffi import __version__
from ._stubs import make_stubs

__all__ = [name for name in dir() if not name.startswith("_")] + ["__version__"]
