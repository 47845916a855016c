"""A stand-in for the `cffi` package, used only to run cffi's own test suite against rffi.

tests/compat/run_cffi_suite.py puts this directory first on the path, so the suite's
`from cffi import FFI` gets rffi's FFI. The suite builds every FFI as `FFI(backend=...)`;
rffi has one backend, so the argument is accepted and ignored.
"""

import rffi
from rffi import CDefError, FFIError

__version__ = "2.1.1"
__version_info__ = (2, 1, 1)


# rffi raises VerificationMissing for what a cdef left to the compiler (`enum e {A, ...}`)
# where it has that class; the suite catches cffi's names for them.
VerificationMissing = getattr(rffi, "VerificationMissing", None)
if VerificationMissing is None:

    class VerificationMissing(Exception):  # noqa: N818 - cffi's name
        """What this rffi never raises: it has no such class yet."""


VerificationError = getattr(rffi, "VerificationError", None)
if VerificationError is None:

    class VerificationError(Exception):
        """API mode (verify/compile) errors; rffi has no API mode."""


class FFI(rffi.FFI):
    def __new__(cls, backend=None):
        return super().__new__(cls)

    def __init__(self, backend=None):
        pass
