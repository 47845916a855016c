"""Issue 15, the Python side: no ordinary Python corrupts memory, aborts or crashes rffi.

Each part pairs the case that used to crash (run in its own subprocess, so a segfault or an abort
fails the test instead of ending pytest) with what rffi now does, compared with cffi wherever cffi
itself behaves sanely (the same snippet under both, see ``_differential.py``).

- indexing, slicing and members through pointers stay within the memory their owner holds;
- sizes that come from Python raise MemoryError or OverflowError instead of aborting;
- NULL with a size is refused;
- ``ffi.release`` while a C call uses the memory waits for the call to return;
- callbacks from C threads keep one thread state per thread (speed, thread-local data);
- a signed one-bit bitfield takes 1, as cffi.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys
import textwrap

import pytest

from _differential import run_snippet
from conftest import TESTLIB_PATH
from test_bad_input import run_isolated


HERE = pathlib.Path(__file__).parent

_OUTCOME = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from _differential import run_snippet
    print(repr(run_snippet("rffi", sys.stdin.read())))
""")


def rffi_outcome(code: str) -> tuple:
    """``run_snippet("rffi", code)`` in a subprocess: these snippets crashed rffi before."""
    proc = subprocess.run([sys.executable, "-c", _OUTCOME, str(HERE)], input=code,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, (
        f"the interpreter died (exit status {proc.returncode}) running:\n{code}\n{proc.stderr}")
    return ast.literal_eval(proc.stdout.strip().splitlines()[-1])


def same_as_cffi(code: str) -> tuple:
    """The outcome of `code` under rffi (in a subprocess), asserted equal to cffi's."""
    expected = run_snippet("cffi", code)
    got = rffi_outcome(code)
    assert got == expected, f"{code!r}: rffi {got} != cffi {expected}"
    return got


def rffi_raises(code: str, accepted: tuple[str, ...], *, match: str = "") -> dict:
    """Runs `code` under rffi in a subprocess: it must end in one of `accepted`."""
    out = run_isolated(code)
    assert not out["ok"], f"no exception from:\n{code}"
    assert out["type"] in accepted, out
    assert match in out["message"], out
    return out


# ---- 1. indexing an owning pointer ------------------------------------------------------------

DECLS = "ffi.cdef('struct pt { int x, y; };')\n"
FLEX = "ffi.cdef('struct f { int n; int d[]; };')\n"

# What cffi refuses too: any index but 0 of what ffi.new("T *") or an allocator returns.
ONLY_ZERO = [
    "p = ffi.new('int *'); p[1]",
    "p = ffi.new('int *'); p[-1]",
    "p = ffi.new('int *'); p[100000]",
    "p = ffi.new('int *'); p[True]",
    "p = ffi.new('int *'); p[1] = 5",
    "p = ffi.new('int *', 7); (p[0], p[0:1][0], len(p[0:0]))",
    DECLS + "s = ffi.new('struct pt *'); s[1]",
    DECLS + "s = ffi.new('struct pt *'); s[1] = {'x': 1}",
    DECLS + "s = ffi.new('struct pt *', [1, 2]); (s[0].x, s[0].y, s.y)",
    "pp = ffi.new('int **'); pp[1]",
    "a = ffi.new_allocator()('int *'); a[2]",
    "a = ffi.new('int[3]'); a[3]",
    "a = ffi.new('int[3]'); a[-1]",
    "p = ffi.new('int *'); p[2**70]",
    # pointer arithmetic itself is allowed, and so is what stays inside
    "a = ffi.new('int[3]', [1, 2, 3]); q = a + 1; (q[0], q[1], q[-1], (q + 1)[0])",
    "p = ffi.new('int *', 4); ((p + 1) - 1)[0]",
    "b = ffi.from_buffer('int *', bytearray(16)); b[3]",
    "g = ffi.gc(ffi.new('int[4]', [1, 2, 3, 4]), lambda x: None); (g[3], (g + 1)[2])",
]


@pytest.mark.parametrize("code", ONLY_ZERO)
def test_owning_pointer_index_as_cffi(code):
    same_as_cffi(code)


def test_owning_pointer_index_message():
    assert same_as_cffi("p = ffi.new('int *'); p[1]") == (
        "raises", "IndexError", "cdata 'int *' can only be indexed by 0")


# cffi reads or writes outside the memory here (or crashes); rffi raises IndexError. The first
# two are the issue's own cases, which overflowed the heap.
OUTSIDE = [
    "p = ffi.new('int *'); p[100000]",
    DECLS + "s = ffi.new('struct pt *')\nfor i in range(1, 5000): s[i] = {'x': i}",
    "p = ffi.new('int *'); (p + 1)[0]",
    "p = ffi.new('int *'); (p + 100000)[0] = 1",
    "p = ffi.new('int *'); p[1:2]",
    "p = ffi.new('int *'); p[0:2] = [1, 2]",
    "a = ffi.new('int[3]'); (a + 1)[2]",
    "a = ffi.new('int[3]'); (a - 1)[0]",
    "a = ffi.new('int[3]'); (a + 3)[0] = 1",
    "a = ffi.new('int[4]'); ffi.cast('long long *', a)[2]",
    "a = ffi.new('int[3]')\nclass I:\n    def __index__(self): return 3\n(a + 1)[I()]",
    DECLS + "s = ffi.new('struct pt *'); (s + 1).x",
    DECLS + "s = ffi.new('struct pt *'); (s + 1).y = 2",
    DECLS + "s = ffi.new('struct pt[2]'); q = s + 1; q.x = 1; (s + 2).x",
    "b = ffi.from_buffer('int *', bytearray(16)); b[4]",
    "b = ffi.from_buffer(bytearray(8)); (b + 8)[0]",
    "a = ffi.new_allocator()('int[2]'); (a + 2)[0]",
    "g = ffi.gc(ffi.new('int[4]'), lambda x: None); (g + 4)[0]",
    "al = ffi.new_allocator(lambda n: ffi.new('char[]', n), lambda p: None)\n"
    "a = al('short[3]'); (a + 1)[5]",
    # an array cast longer than the memory under it
    "a = ffi.cast('int[100000]', ffi.new('int *')); a[5000]",
    "a = ffi.cast('int[100000]', ffi.new('int *')); a[5000] = 1",
    "a = ffi.cast('int[100000]', ffi.new('int *')); list(a)",
    "a = ffi.cast('int[100000]', ffi.new('int *')); a[0:100000]",
    "a = ffi.cast('int[100]', ffi.new('int *')); b = ffi.new('int[100]'); b[0:100] = a",
    # a flexible array member takes no more items than its struct's memory holds
    FLEX + "s = ffi.new('struct f *', {'d': 3}); s.d = list(range(100000))",
    FLEX + "s = ffi.new('struct f *', {'d': 3}); s.d[3]",
    FLEX + "s = ffi.new('struct f *'); s[0] = {'n': 1, 'd': list(range(100000))}",
    FLEX + "s = ffi.new('struct f *', {'d': 2}); s.d[2] = 1",
]


@pytest.mark.parametrize("code", OUTSIDE)
def test_outside_owned_memory_raises(code):
    rffi_raises(code, ("IndexError",))


def test_flexible_array_member_within_its_memory_as_cffi():
    same_as_cffi(FLEX + "s = ffi.new('struct f *', {'n': 3, 'd': 3}); s.d = [1, 2, 3]; "
                 "s.d = [4, 5]; (s.n, s.d[0], s.d[1], s.d[2])")
    same_as_cffi(FLEX + "s = ffi.new('struct f *', {'n': 2, 'd': [7, 8]}); (s.d[0], s.d[1])")


def test_memmove_from_an_array_cast_longer_than_its_memory_is_refused():
    rffi_raises("a = ffi.cast('char[100000]', ffi.new('char[4]'))\n"
                "ffi.memmove(ffi.new('char[100000]'), a, 100000)", ("ValueError",))


def test_inside_owned_memory_reads_and_writes():
    assert rffi_outcome(DECLS + (
        "s = ffi.new('struct pt[2]', [(1, 2), (3, 4)]); q = s + 1; q.y = 9\n"
        "a = ffi.new('int[4]', [1, 2, 3, 4]); c = ffi.cast('long long *', a)\n"
        "(q.x, s[1].y, (a + 3)[0], len(ffi.unpack(c, 2)), ffi.cast('char *', a)[15])"
    )) == ("ok", (3, 9, 4, 2, b"\x00"))


HEADER = "ffi.cdef('struct hdr { unsigned char kind; int n: 4; int m: 4; char pad[26]; long seq; };')\n"


def test_member_of_a_struct_longer_than_its_memory_as_cffi():
    # xcffib casts an event of 32 bytes (plus a NUL: ffi.new('char[]', data)) to a struct of
    # 40 and reads its first byte: only the bytes of the member count, as in cffi.
    same_as_cffi(HEADER + "b = ffi.new('char[]', b'\\x05\\x23' + bytes(30))\n"
                 "h = ffi.cast('struct hdr *', b); h.n = 7; h.pad[25] = b'x'\n"
                 "(h.kind, h.n, h.m, h.pad[25], ffi.sizeof('struct hdr'), len(b))")


@pytest.mark.parametrize("code", [
    "h.seq", "h.seq = 1", "(h + 1).kind", "(h + 1).n = 1"])
def test_member_beyond_the_memory_of_a_short_struct_raises(code):
    rffi_raises(HEADER + "b = ffi.new('char[]', bytes(32))\n"
                "h = ffi.cast('struct hdr *', b)\n" + code, ("IndexError",))


# ---- 2. sizes from Python ----------------------------------------------------------------------

HUGE = [
    ("ffi.unpack(ffi.new('char[3]'), 2**62)", "MemoryError"),
    ("ffi.unpack(ffi.new('int[3]'), 2**62)", "MemoryError"),
    ("ffi.unpack(ffi.new('wchar_t[3]'), 2**62)", "MemoryError"),
    ("ffi.new('char[]', 2**62)", "MemoryError"),
    ("ffi.new('int[]', 2**61)", "OverflowError"),
    ("ffi.new('char[%d]' % 2**62)", "MemoryError"),
]


@pytest.mark.parametrize("code,error", HUGE)
def test_huge_sizes_raise(code, error):
    rffi_raises(code, (error,))
    assert run_snippet("cffi", code)[:2] == ("raises", error)


# cffi reads past the end here; rffi stops at it.
@pytest.mark.parametrize("code", [
    "ffi.unpack(ffi.new('char[3]'), 5)",
    "ffi.unpack(ffi.new('int[3]'), 4)",
    "ffi.unpack(ffi.new('int *'), 2)",
    "a = ffi.new('int[3]'); ffi.unpack(a + 1, 3)",
    "ffi.unpack(ffi.new('wchar_t[2]'), 3)",
    "ffi.unpack(ffi.from_buffer(bytearray(4)), 5)",
    "ffi.unpack(ffi.new('char[3]'), 2**40)",
])
def test_unpack_stops_at_the_end(code):
    rffi_raises(code, ("IndexError", "MemoryError"))


def test_unpack_within_the_memory_as_cffi():
    same_as_cffi("a = ffi.new('int[3]', [1, 2, 3]); (ffi.unpack(a, 3), ffi.unpack(a + 1, 2))")
    same_as_cffi("ffi.unpack(ffi.new('char[]', b'abc'), 4)")


def test_string_stops_at_the_memory():
    # cffi's strlen would run on past the memory; rffi stops at its end.
    assert rffi_outcome("a = ffi.new('char[4]', b'abcd'); ffi.string(a + 2)") == ("ok", b"cd")
    assert rffi_outcome("ffi.string(ffi.new('char *', b'z'))") == ("ok", b"z")
    assert rffi_outcome("a = ffi.new('wchar_t[2]', 'xy'); ffi.string(a + 1)") == ("ok", "y")
    same_as_cffi("a = ffi.new('char[]', b'abcd'); (ffi.string(a + 2), ffi.string(a, 2**62))")


def test_buffer_larger_than_the_memory_is_refused():
    # cffi warns, then crashes when the buffer is read.
    rffi_raises("ffi.buffer(ffi.new('char[3]'), 2**62)[:]", ("ValueError",))
    rffi_raises("ffi.buffer(ffi.new('int *') + 1)[:]", ("ValueError",))
    same_as_cffi("p = ffi.new('int[4]'); (len(ffi.buffer(p, 16)), len(ffi.buffer(p + 1, 12)))")


def test_memmove_larger_than_the_memory_is_refused():
    rffi_raises("ffi.memmove(ffi.new('int *'), b'x' * 100, 100)", ("ValueError",))
    rffi_raises("ffi.memmove(ffi.new('int[100]'), ffi.new('int *'), 400)", ("ValueError",))
    same_as_cffi("p = ffi.new('int[2]'); ffi.memmove(p + 1, b'abcd', 4); bytes(ffi.buffer(p))")


def test_allocator_smaller_than_asked_is_refused():
    rffi_raises("al = ffi.new_allocator(lambda n: ffi.new('char[]', 4))\nal('int[1000]')",
                ("ValueError",), match="alloc()")
    same_as_cffi("al = ffi.new_allocator(lambda n: ffi.new('char[]', n))\nlist(al('int[3]', [1, 2, 3]))")


# ---- 3. NULL with a size -----------------------------------------------------------------------

@pytest.mark.parametrize("code", [
    "ffi.buffer(ffi.NULL, 16)[:]",
    "ffi.buffer(ffi.cast('int *', 0))[:]",
    "ffi.buffer(ffi.cast('char *', 8), 1)[:]",
    "ffi.memmove(ffi.NULL, b'ab', 2)",
    "ffi.memmove(ffi.new('char[2]'), ffi.NULL, 2)",
])
def test_null_with_a_size_is_refused(code):
    rffi_raises(code, ("RuntimeError",))


@pytest.mark.parametrize("code", [
    "len(ffi.buffer(ffi.NULL, 0)[:])",
    "ffi.buffer(ffi.NULL)",
    "ffi.unpack(ffi.cast('char *', 0), 3)",
    "ffi.unpack(ffi.cast('int *', 0), 0)",
    "ffi.string(ffi.cast('char *', 0))",
    "ffi.string(ffi.cast('wchar_t *', 0))",
    "ffi.memmove(ffi.new('char[2]'), b'ab', 0)",
])
def test_null_as_cffi(code):
    same_as_cffi(code)


# ---- 4. release while C uses the memory -------------------------------------------------------

QSORT = """
ffi.cdef("void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void *));")
libc = ffi.dlopen(None)
N = 100000   # large enough that freeing it gives the pages back: a read after is a crash
arr = ffi.new("int[]", list(range(N, 0, -1)))
seen = []
@ffi.callback("int(const void *, const void *)")
def cmp(a, b):
    if not seen:
        ffi.release(arr)
    x, y = ffi.cast("int *", a)[0], ffi.cast("int *", b)[0]
    seen.append(1)
    return (x > y) - (x < y)
libc.qsort(arr, N, 4, cmp)
try:
    arr[0]
except ValueError as e:
    raise ValueError(f"sorted {len(seen) > N}: {e}")
"""


def test_release_in_comparator_waits_for_qsort():
    # It aborted ("corrupted double-linked list") or segfaulted: qsort went on with freed memory.
    rffi_raises(QSORT, ("ValueError",), match="sorted True: cdata was released")


THREAD = """
import threading, time
N = 1 << 20   # 4 MiB: freeing it unmaps it, and reading it after is a crash
arr = ffi.new("int[]", N)
arr[0:N] = [1] * N
def release_soon():
    time.sleep(0.1)
    ffi.release(arr)
t = threading.Thread(target=release_soon)
t.start()
total = lib.sum_after_sleep(arr, N, 400)   # reads arr before and after the release
t.join()
raise ValueError(f"total {total}, released {not _is_live(arr)}")
"""

_IS_LIVE = """
def _is_live(c):
    try:
        c[0]
        return True
    except ValueError:
        return False
"""


def test_release_from_another_thread_waits_for_the_call():
    # Under valgrind: invalid reads in sum_after_sleep. With 4 MiB: a segfault.
    rffi_raises(_IS_LIVE + THREAD, ("ValueError",), match=f"total {1 << 20}, released True")


def test_release_in_callback_lets_go_after_the_call():
    # The allocator's free shows when the memory is let go: after qsort returned.
    code = """
events = []
al = ffi.new_allocator(lambda n: ffi.new("char[]", n), lambda p: events.append("free"))
ffi.cdef("void qsort(void *, size_t, size_t, int (*)(const void *, const void *));")
libc = ffi.dlopen(None)
arr = al("int[]", [3, 1, 2])
@ffi.callback("int(const void *, const void *)")
def cmp(a, b):
    if "release" not in events:
        ffi.release(arr)
        events.append("release")
    events.append("compare")
    x, y = ffi.cast("int *", a)[0], ffi.cast("int *", b)[0]
    return (x > y) - (x < y)
libc.qsort(arr, 3, 4, cmp)
events.append("returned")
ffi.release(arr)   # a second release does nothing
(events[0], events.count("free"), events[-2:])
"""
    # After the last comparison, before the call returned to Python; not at the release.
    assert rffi_outcome(code) == ("ok", ("release", 1, ["free", "returned"]))


def test_release_after_the_call_is_immediate():
    code = """
events = []
al = ffi.new_allocator(lambda n: ffi.new("char[]", n), lambda p: events.append("free"))
arr = al("int[]", [1, 2, 3])
total = lib.sum_ints(arr, 3)
events.append("returned")
ffi.release(arr)
events.append("released")
(total, events)
"""
    assert same_as_cffi(code) == ("ok", (6, ["returned", "free", "released"]))


def test_release_in_callback_on_general_path():
    # An int cdata where an int is expected sends the call past the fast path (and under
    # RFFI_FORCE_LIBFFI=1 through libffi); the callback releases the array the call was given.
    code = """
events = []
al = ffi.new_allocator(lambda n: ffi.new("char[]", n), lambda p: events.append("free"))
arr = al("int[]", [5, 6, 7])
@ffi.callback("int(int, int)")
def add(acc, x):
    if "release" not in events:
        ffi.release(arr)
        events.append("release")
    return acc + x
total = lib.fold_ints(arr, ffi.cast("int", 3), add, 0)
events.append("returned")
(total, events)
"""
    assert rffi_outcome(code) == ("ok", (18, ["release", "free", "returned"]))


# ---- 5. callbacks from C threads ---------------------------------------------------------------

THREAD_LOCAL = """
import threading
local = threading.local()
@ffi.callback("int(int)")
def count(i):
    local.n = getattr(local, "n", 0) + 1
    return local.n
lib.call_from_threads(count, 4, 100)
"""


def test_c_thread_keeps_its_thread_state_between_callbacks():
    # One thread state per C thread, as cffi: thread-local data lives from one callback to the
    # next on the same thread (each of 4 threads counts 1..100).
    assert same_as_cffi(THREAD_LOCAL) == ("ok", 4 * sum(range(1, 101)))


def test_c_thread_state_goes_when_the_thread_exits():
    code = THREAD_LOCAL.replace("local.n = ", "local.o = local.__dict__.get('o') or Obj()\n"
                                "    refs.add(weakref.ref(local.o))\n    local.n = ")
    code = "import gc, weakref\nclass Obj: pass\nrefs = set()\n" + code + (
        "\ngc.collect()\n(len(refs), sum(r() is not None for r in refs))")
    # rffi deletes each thread's state (and its thread-local data) when the C thread exits.
    assert rffi_outcome(code) == ("ok", (4, 0))


def test_interpreter_exits_cleanly_after_c_thread_callbacks():
    code = textwrap.dedent(f"""
        import threading
        from rffi import FFI
        ffi = FFI()
        ffi.cdef("long long call_from_threads(int (*f)(int), int nthreads, int ncalls);")
        lib = ffi.dlopen({str(TESTLIB_PATH)!r})
        f = ffi.callback("int(int)", lambda i: i)
        results = []
        t = threading.Thread(target=lambda: results.append(lib.call_from_threads(f, 8, 1000)))
        t.start(); t.join()
        print(results[0], lib.call_from_threads(f, 3, 10))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == [str(8 * sum(range(1000))), str(3 * sum(range(10)))]


# ---- 6. bitfields ------------------------------------------------------------------------------

BITFIELDS = "ffi.cdef('struct b { int x:1; int y:3; unsigned z:1; signed char s:1; " \
            "long long q:1; _Bool t:1; char c:3; };')\nb = ffi.new('struct b *')\n"


@pytest.mark.parametrize("field,value", [
    ("x", 1), ("x", -1), ("x", 2), ("x", -2),
    ("y", 3), ("y", 4), ("y", -4), ("y", -5),
    ("z", 1), ("z", 2), ("z", -1),
    ("s", 1), ("q", 1), ("q", -1),
    ("t", 1), ("t", True), ("t", 2),
    ("c", 3), ("c", 7), ("c", -1),
])
def test_bitfield_range_as_cffi(field, value):
    same_as_cffi(BITFIELDS + f"b.{field} = {value}\nb.{field}")


def test_bitfield_initializers_as_cffi():
    same_as_cffi(BITFIELDS + "b = ffi.new('struct b *', {'x': 1, 's': 1, 't': 1}); (b.x, b.s, b.t)")
    same_as_cffi(BITFIELDS + "ffi.new('struct b *', [1, 4])")
