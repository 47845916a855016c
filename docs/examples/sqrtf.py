"""Call sqrtf from the C math library: open the library, declare the function, call it."""

import os

if os.environ.get("RFFI_EXAMPLES_BACKEND") == "cffi":
    from cffi import FFI
else:
    from rffi import FFI

ffi = FFI()

lib = ffi.dlopen("libm.so.6")
ffi.cdef("""float sqrtf(float x);""")  # declaring after dlopen works: lookups are lazy
a = lib.sqrtf(4)
print(a)
