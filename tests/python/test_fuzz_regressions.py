"""What tests/fuzz found after the first round of issue 15 fixes, one test per class.

Each crashing snippet runs in a subprocess (see test_reliability.py), so a crash fails the test
instead of ending pytest; where cffi behaves sanely the outcome is compared with cffi's.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from _differential import run_snippet
from test_reliability import rffi_outcome, rffi_raises, same_as_cffi

REL = textwrap.dedent("""
    class Rel:
        # Releases `c` while being converted to a number.
        def __init__(self, c):
            self.c = c
        def __index__(self):
            ffi.release(self.c)
            return 1
        __int__ = __index__
""")


# ---- a conversion that releases the memory being written -------------------------------------
# The address was taken before the value was converted, and the write went to freed memory.

@pytest.mark.parametrize("code", [
    "p = ffi.new('int[]', 32); p[3] = Rel(p)",
    "p = ffi.new('unsigned char[]', 63); p[0:2] = [Rel(p), Rel(p)]",
    "p = ffi.new('long long[]', 8); p[0:2] = [Rel(p), Rel(p)]",
    "p = ffi.new('double[]', 7); p[0:2] = [Rel(p), Rel(p)]",
    "p = ffi.new('struct point[]', 8); p[1] = {'x': Rel(p)}",
    "p = ffi.new('struct point *'); p.y = Rel(p)",
    "p = ffi.new('struct point *'); p[0] = [1, Rel(p)]",
])
def test_release_during_the_conversion_of_a_written_value(code):
    rffi_raises(REL + code, ("ValueError",), match="released")


def test_release_during_conversion_then_use_is_refused():
    rffi_raises(REL + "p = ffi.new('int[]', 64)\ntry:\n    p[0] = Rel(p)\nexcept ValueError:\n"
                "    pass\np[1]", ("ValueError",), match="released")


def test_writes_that_release_nothing_still_work():
    same_as_cffi("p = ffi.new('int[]', 32); p[3] = 7; p[0:2] = [5, 6]; "
                 "q = ffi.new('struct point *'); q.y = 9; (list(p[0:4]), q.y)")


# ---- global arrays are bounded by their declared length ---------------------------------------

@pytest.mark.parametrize("code", [
    "ffi.unpack(lib.gains, 100000)",
    "ffi.buffer(lib.gains, 2**20)[:]",
    "ffi.buffer(ffi.addressof(lib, 'gains'), 2**32 - 1)[:]",
    "ffi.addressof(lib, 'gains')[4]",
    "ffi.unpack(lib.gains + 1, 4)",
    "ffi.memmove(lib.gains, b'x' * 64, 64)",
    "lib.gains[0:5]",
])
def test_global_array_is_bounded(code):
    rffi_raises(code, ("IndexError", "ValueError"))


def test_global_array_huge_unpack_is_an_error():
    rffi_raises("ffi.unpack(lib.gains, 2**63 - 1)", ("IndexError", "MemoryError"))


def test_global_array_within_its_length_as_cffi():
    same_as_cffi("g = lib.gains; g[3] = 2.5; "
                 "(ffi.unpack(g, 4), len(ffi.buffer(g)[:]), ffi.unpack(g + 1, 3), "
                 "ffi.addressof(lib, 'gains')[3], len(ffi.buffer(ffi.addressof(lib, 'gains'))), "
                 "ffi.typeof(ffi.addressof(lib, 'gains')).cname, "
                 "ffi.sizeof(g), list(g[1:3]))")


def test_global_array_keeps_the_library_loaded():
    # The bounded owner of a global array holds the library: dlclose waits for it.
    same_as_cffi("g = lib.gains; g[1] = 4.0; ffi.dlclose(lib); g[1]")


# ---- a failed bytes allocation is a MemoryError, not a panic ----------------------------------

def test_bytes_that_cannot_be_allocated_raise_memory_error():
    code = textwrap.dedent("""
        import resource, sys
        from rffi import FFI
        ffi = FFI()
        b = ffi.buffer(ffi.new('char[]', 2**30))
        resource.setrlimit(resource.RLIMIT_AS, (2**31, 2**31))
        try:
            b[:]
            print("no error")
        except MemoryError:
            print("MemoryError")
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["MemoryError"], proc.stdout + proc.stderr


# ---- ffi.new of an array with a length takes no int, as cffi ----------------------------------

@pytest.mark.parametrize("code", [
    "ffi.new('int[4]', 2**100)",
    "ffi.new('int[4]', 5)",
    "ffi.new('int[4]', 0)",
    "ffi.new('char[4]', 5)",
    "ffi.new('unsigned char[2]', 1.5)",
    "ffi.new('_Bool[2]', object())",
    "ffi.new('wchar_t[2]', 3)",
    "ffi.new('int[]', 2**100)",
    "list(ffi.new('int[]', 3))",
    "list(ffi.new('int[4]', None))",
])
def test_array_initializer_as_cffi(code):
    same_as_cffi(code)


# ---- cdef ---------------------------------------------------------------------------------------

def test_many_declarations_parse_in_linear_time():
    code = "f = FFI()\ntry:\n    f.cdef('int x;' * {n})\nexcept Exception as e:\n    out = type(e).__name__"
    times = []
    for n in (20000, 80000):
        t = time.perf_counter()
        assert rffi_outcome(code.format(n=n))[0] == "ok"
        times.append(time.perf_counter() - t)
    # Four times the input: well under 16 times the time (what a quadratic parse takes).
    assert times[1] < 8 * max(times[0], 0.05), times


def test_cdef_huge_array_types_are_refused():
    for decl in ["typedef unsigned char arr_t[0xffffffffffffffff];",
                 "struct s { short a[0x7fffffffffffffff]; };"]:
        rffi_raises(f"FFI().cdef({decl!r})", ("OverflowError", "CDefError", "ValueError"))


def test_constant_remainder_overflow_is_an_error():
    rffi_raises("FFI().cdef('enum s { A = sizeof(int) * 0x4000000000000000, "
                "B = A * (-9223372036854775807 - 1) % -1 };')", ("CDefError", "OverflowError"))
    assert run_snippet("rffi", "f = FFI(); f.cdef('enum e { R = -7 % 3 };'); f.integer_const('R')",
                       with_lib=False) == ("ok", -1)


def test_unpack_of_a_moved_pointer_too_large_for_memory():
    # cffi raises MemoryError; rffi used to abort on the failed allocation.
    rffi_raises("x = ffi.new('char[3]') + 1; ffi.unpack(x, 2**62)", ("MemoryError", "IndexError"))


@pytest.mark.parametrize("decl", [
    "typedef _Bool t __attribute__((aligned(sizeof(struct nope))));",
    "typedef int t __attribute__((aligned(8)));",
])
def test_aligned_on_a_typedef_is_refused(decl):
    # It used to be accepted and ignored (its argument never evaluated); cffi refuses every
    # attribute with CDefError.
    rffi_raises(f"FFI().cdef({decl!r})", ("CDefError",), match="typedef")
    assert run_snippet("cffi", f"FFI().cdef({decl!r})", with_lib=False)[:2] == ("raises", "CDefError")


@pytest.mark.parametrize("code", [
    "p = ffi.new('char[]', 64); b = ffi.buffer(p); b[Rel(p)] = b'x'",
    "p = ffi.new('char[]', 64); b = ffi.buffer(p); b[Rel(p):3] = b'xy'",
    "p = ffi.new('char[]', 64); b = ffi.buffer(p); b[Rel(p)]",
])
def test_buffer_index_that_releases_is_refused(code):
    rffi_raises(REL + code, ("ValueError",), match="released")


def test_release_while_a_memoryview_holds_the_buffer():
    # The memory goes when the view is released, not before (a read used to hit freed memory).
    out = rffi_outcome("p = ffi.new('int[]', 65536)\n"
                       "m = memoryview(ffi.buffer(p)); ffi.release(p)\n"
                       "x = (m[65536], len(m)); m.release()\nx")
    assert out == ("ok", (0, 4 * 65536))
    rffi_raises("p = ffi.new('int[]', 64)\nm = memoryview(ffi.buffer(p)); ffi.release(p)\n"
                "m.release(); ffi.buffer(p)", ("ValueError",), match="released")
