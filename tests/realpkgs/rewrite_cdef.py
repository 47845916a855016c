"""A pytest plugin for `run.py --rewrite-cdef`: a stopgap, not a fix.

It rewrites the cdef forms of cffi's dialect that rffi-parse does not take yet, before rffi
reads them, so that a run shows what else differs:

- `typedef ... name;` (an opaque type)  ->  `typedef struct name name;`
- `#define NAME ...` (a value only API mode knows)  ->  removed
- `extern "Python" ...;` (callbacks that only API mode makes)  ->  removed

In ABI mode cffi cannot use any of these either, beyond naming the opaque type. Drop this
file once rffi accepts them.
"""

import re

from rffi.cffi import api

_REWRITES = [
    (re.compile(r"typedef\s+\.\.\.\s+(\w+)\s*;"), r"typedef struct \1 \1;"),
    (re.compile(r"#define\s+\w+\s+\.\.\.[ \t]*$", re.MULTILINE), ""),
    (re.compile(r'extern\s+"Python"[^;]*;'), ""),
]
_cdef = api.FFI.cdef


def _rewritten_cdef(self, csource, *args, **kwargs):  # type: ignore[no-untyped-def]
    for pattern, replacement in _REWRITES:
        csource = pattern.sub(replacement, csource)
    return _cdef(self, csource, *args, **kwargs)


api.FFI.cdef = _rewritten_cdef  # type: ignore[method-assign]
