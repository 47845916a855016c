"""Eight threads share one FFI and one library for a bounded time (issue 13).

Each thread declares types, calls functions (scalars, pointers, structs by value, variadic),
creates, reads, writes and releases cdata (owned, `ffi.gc`, `from_buffer`, handles), reads
library globals, sets and reads errno, and runs callbacks, one of
them shared by every thread, whose pointer arguments rffi reuses between calls (the spares of
callback.rs). Every result is checked. On a GIL build the threads interleave at the
interpreter's switch interval and whenever a C call releases the GIL; on the free-threaded
build they run at once. A wrong value, an exception, a crash or a thread that does not finish
fails the test. It runs on cffi too, so the checks themselves are known to hold.
"""

from __future__ import annotations

import random
import struct
import sys
import threading
import time

THREADS = 8
SECONDS = 1.0
JOIN_TIMEOUT = 120.0


def _worker(ffi, lib, tid: int, shared: dict, stop_at: float, counts: list[int]) -> None:
    rnd = random.Random(tid)
    cmp = shared["cmp"]
    plus = shared["plus"]
    own = ffi.callback("int(int)", lambda x: x * 2 + tid)
    i = 0
    while time.monotonic() < stop_at or i < 20:
        i += 1
        a, b = rnd.randrange(-10**6, 10**6), rnd.randrange(-10**6, 10**6)
        # Declaring: a new type per thread and round, and cached type strings shared by all.
        name = f"struct t{tid}_{i}"
        ffi.cdef(f"{name} {{ int a; double b; char tag[{1 + i % 7}]; }};")
        assert ffi.sizeof(name) == 24 and ffi.offsetof(name, "tag") == 16
        assert ffi.typeof("struct point *") is ffi.typeof("point_t *")
        assert ffi.sizeof("struct big") == 32

        # Calls: scalars, variadic, structs by value, pointers out.
        assert lib.add(a, b) == a + b
        assert lib.add_double(a / 3, b / 7) == a / 3 + b / 7
        assert lib.sum_var(3, ffi.cast("int", a), ffi.cast("int", b), ffi.cast("int", tid)) == a + b + tid
        s = lib.point_add(lib.make_point(a, tid), {"x": b, "y": i})
        assert (s.x, s.y) == (a + b, tid + i)
        q, r = ffi.new("int *"), ffi.new("int *")
        lib.divmod(abs(a) + 1, tid + 1, q, r)
        assert (q[0], r[0]) == divmod(abs(a) + 1, tid + 1)

        # Creating, writing, reading and releasing cdata.
        values = [rnd.randrange(-1000, 1000) for _ in range(1 + i % 17)]
        arr = ffi.new("int[]", values)
        assert lib.sum_ints(arr, len(values)) == sum(values)
        arr[0] = tid
        assert arr[0] == tid and list(arr)[1:] == values[1:]
        p = ffi.new("struct point *", {"x": a, "y": b})
        p.x += 1
        assert (p.x, p.y) == (a + 1, b)
        assert lib.point_sum(p[0]) == a + 1 + b
        rect = ffi.new("struct rect *", [[tid, i], [tid + 3, i + 2]])
        assert lib.rect_area_ptr(rect) == 6
        with ffi.new(f"{name} *") as t:
            t.a, t.b = a, b / 2
            assert (t.a, t.b) == (a, b / 2)
        ffi.release(arr)
        text = ffi.new("char[]", f"thread {tid} round {i}".encode())
        lib.to_upper(text)
        assert ffi.string(text) == f"THREAD {tid} ROUND {i}".encode()
        buf = ffi.buffer(p)
        assert len(buf) == 8

        # Handles, ffi.gc destructors, from_buffer and global variables.
        obj = ("payload", tid, i)
        h = ffi.new_handle(obj)
        assert ffi.from_handle(h) is obj
        freed: list[int] = []
        g = ffi.gc(ffi.new("int *", i), lambda c: freed.append(c[0]))
        ffi.release(g)
        assert freed == [i]
        raw = bytearray(struct.pack("=ii", a, b))
        view = ffi.from_buffer("struct point *", raw)
        assert (view.x, view.y) == (a, b)
        view.y = tid
        assert struct.unpack("=ii", raw) == (a, tid)
        assert ffi.typeof(lib.gains) is ffi.typeof("double[4]")
        assert ffi.getctype(name, "*") == f"{name} *"

        # errno is per thread.
        assert lib.set_errno(100 + tid) == -1
        assert ffi.errno == 100 + tid
        ffi.errno = 0
        assert lib.checked_div(a, 0) == 0 and ffi.errno == 33

        # Callbacks: the thread's own, and shared ones with reused pointer arguments.
        assert lib.apply(own, a % 1000) == (a % 1000) * 2 + tid
        assert lib.apply_n(plus, tid, 5) == tid + 5
        to_sort = ffi.new("int[]", values)
        lib.sort_ints(to_sort, len(values), cmp)
        assert list(to_sort) == sorted(values)
        assert lib.fold_ints(to_sort, len(values), shared["add"], tid) == sum(values) + tid
        assert lib.call_from_threads(plus, 2, 10) == 2 * sum(range(1, 11))
    counts[tid] = i


def _run(ffi, lib) -> list[int]:
    def compare(x, y):
        a = ffi.cast("int *", x)[0]
        b = ffi.cast("int *", y)[0]
        return (a > b) - (a < b)

    shared = {
        "cmp": ffi.callback("int(const void *, const void *)", compare),
        "plus": ffi.callback("int(int)", lambda x: x + 1),
        "add": ffi.callback("int(int, int)", lambda x, y: x + y),
    }
    counts = [0] * THREADS
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)
    stop_at = time.monotonic() + SECONDS

    def body(tid: int) -> None:
        try:
            start.wait()
            _worker(ffi, lib, tid, shared, stop_at, counts)
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=body, args=(t,)) for t in range(THREADS)]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch often on GIL builds
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + JOIN_TIMEOUT
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
    finally:
        sys.setswitchinterval(old)
    assert not any(t.is_alive() for t in threads), "a thread did not finish: deadlock?"
    if errors:
        raise errors[0]
    return counts


def test_eight_threads_share_one_ffi_and_library(testlib):
    ffi, lib = testlib
    counts = _run(ffi, lib)
    assert all(c >= 20 for c in counts), counts
