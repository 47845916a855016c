"""A stand-in for the `cffi` package, used only to run cffi's own test suite against rffi.

tests/compat/run_cffi_suite.py puts this directory first on the path, so the suite's
`from cffi import FFI` gets rffi's FFI. The suite builds every FFI as `FFI(backend=...)`;
rffi has one backend, so the argument is accepted and ignored.
"""

import rffi
from rffi import CDefError, FFIError

__version__ = "2.1.1"
__version_info__ = (2, 1, 1)


class VerificationError(Exception):
    """API mode (verify/compile) errors; rffi has no API mode, so nothing raises it."""


class VerificationMissing(Exception):
    """API mode errors; rffi has no API mode, so nothing raises it."""


class FFI(rffi.FFI):
    def __new__(cls, backend=None):
        return super().__new__(cls)

    def __init__(self, backend=None):
        pass
