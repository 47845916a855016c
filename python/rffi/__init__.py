"""rffi: call C libraries from Python with declarations written as C text.

``from rffi import FFI`` is meant as a drop-in for ``from cffi import FFI`` in ABI mode.
Everything is implemented in the compiled module ``rffi._rffi``; this file only re-exports it.
"""

from ._rffi import *  # noqa: F401,F403
from ._rffi import __version__

__all__ = [name for name in dir() if not name.startswith("_")] + ["__version__"]
