"""A stand-in for cffi's `_cffi_backend`: the suite passes this module as `backend=` and reads
the RTLD_* flags from it."""

from rffi import (  # noqa: F401
    RTLD_DEEPBIND,
    RTLD_GLOBAL,
    RTLD_LAZY,
    RTLD_LOCAL,
    RTLD_NODELETE,
    RTLD_NOLOAD,
    RTLD_NOW,
    CData,
    CType,
    buffer,
)

__version__ = "2.1.1"
