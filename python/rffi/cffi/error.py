"""The exceptions of ``cffi.error``, for programs that run on rffi through install_as_cffi().

``CDefError``, ``FFIError`` and ``VerificationMissing`` (raised on use of a partial struct or
enum) are rffi's own classes, so ``except cffi.CDefError`` catches
what rffi raises. The others belong to cffi's API mode (compiling C), which rffi does not
implement; they exist so that code naming them imports and its ``except`` clauses work.
"""

from __future__ import annotations

from rffi import CDefError, FFIError, VerificationMissing

__all__ = [
    "APIModeUnsupported",
    "CDefError",
    "FFIError",
    "PkgConfigError",
    "VerificationError",
    "VerificationMissing",
]


class VerificationError(Exception):
    """An error raised while compiling or loading C code (cffi's API mode)."""


class PkgConfigError(Exception):
    """pkg-config did not find a library (cffi's API mode build helpers)."""


class APIModeUnsupported(VerificationError, NotImplementedError):
    """A cffi method of API mode or of the out-of-line build step was called.

    rffi implements ABI mode only: there is no C compiler behind it. The class derives from
    VerificationError, which cffi raises when compiling fails (so code that falls back to ABI
    mode on a failed build does so), and from NotImplementedError.
    """
