"""Sorting a C int array with libc's qsort and a comparator written in Python.

Usage: qsort.py   prints the array before and after sorting, and how often C called Python.
"""

import os

if os.environ.get("RFFI_EXAMPLES_BACKEND") == "cffi":
    from cffi import FFI
else:
    from rffi import FFI

ffi = FFI()
ffi.cdef(
    "void qsort(void *base, size_t nmemb, size_t size,"
    " int (*compar)(const void *, const void *));"
)
libc = ffi.dlopen(None)  # qsort is already loaded in the process, from libc

calls = 0


# ffi.callback turns the Python function into a C function pointer. C passes `const void *`
# arguments; casting them to `int *` reads the two ints being compared.
@ffi.callback("int(const void *, const void *)")
def compare(a, b):
    global calls
    calls += 1
    x = ffi.cast("int *", a)[0]
    y = ffi.cast("int *", b)[0]
    return (x > y) - (x < y)


values = ffi.new("int[]", [42, -7, 19, 0, 3, 3, 100, -50, 8])
print("before:", list(values))
libc.qsort(values, len(values), ffi.sizeof("int"), compare)
print("after: ", list(values))
print("comparator called", "more than once" if calls > 1 else "once")
