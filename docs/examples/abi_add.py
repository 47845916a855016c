"""ABI in-line mode: hand two numpy arrays to a C function as `double *` pointers.

The C side (abi_add.c) adds b into a in place; numpy sees the change because
ffi.from_buffer points at the array's own memory.
"""

import os
import pathlib
import time

import numpy as np

if os.environ.get("RFFI_EXAMPLES_BACKEND") == "cffi":
    from cffi import FFI
else:
    from rffi import FFI

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
LIBDIR = pathlib.Path(os.environ.get("RFFI_EXAMPLES_LIBDIR", REPO_ROOT / "build" / "examples"))

ffi = FFI()
lib = ffi.dlopen(str(LIBDIR / "libabi_add.so"))
ffi.cdef("void add(double *, double *, int);")

t0 = time.time()
a = np.arange(0, 200000, 0.1)
b = np.ones_like(a)
expected = a + b

# "pointer" objects: views of the arrays' memory, typed as double *
aptr = ffi.cast("double *", ffi.from_buffer(a))
bptr = ffi.cast("double *", ffi.from_buffer(b))

lib.add(aptr, bptr, len(a))
t1 = time.time()

print("a + b = ", a)
print("n =", len(a))
print("sum =", a.sum())
print("matches numpy a + b:", bool(np.array_equal(a, expected)))
print("\ntime taken for ABI in line", t1 - t0)
