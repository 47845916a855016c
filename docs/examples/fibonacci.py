"""Fibonacci with C doing each step through two `int *` created by ffi.new.

Usage: fibonacci.py [n]   prints the first n + 1 terms (default n = 10), one per line.
"""

import os
import pathlib
import sys

if os.environ.get("RFFI_EXAMPLES_BACKEND") == "cffi":
    from cffi import FFI
else:
    from rffi import FFI

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
LIBDIR = pathlib.Path(os.environ.get("RFFI_EXAMPLES_LIBDIR", REPO_ROOT / "build" / "examples"))

ffi = FFI()
lib = ffi.dlopen(str(LIBDIR / "libfibonacci.so"))
ffi.cdef("void fibo(int *a, int *b);")

# Number of terms in the sequence
n = int(sys.argv[1]) if len(sys.argv) > 1 else 10

# Nothing to cast here: ffi.new allocates a fresh C int owned by Python
aptr = ffi.new("int *")
bptr = ffi.new("int *")

# The first two terms
aptr[0] = 0
bptr[0] = 1

for i in range(n + 1):
    print(aptr[0])
    lib.fibo(aptr, bptr)
