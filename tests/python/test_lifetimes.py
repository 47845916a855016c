"""Lifetimes: callbacks from C threads, ffi.gc, ffi.release and `with`, allocators, handles,
what keeps C memory alive, and dlclose. Differential (cffi and rffi) where cffi's behaviour is
the spec; rffi-only where rffi is deliberately safer (use after release raises instead of
reading freed memory, calling a function fetched before dlclose does not crash)."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import threading

import pytest
from conftest import TESTLIB_HEADER


@pytest.fixture
def unraisable(monkeypatch):
    """The reports that would go to sys.unraisablehook."""
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    return seen


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


# ---- callbacks called from threads C created ----


@pytest.mark.parametrize("nthreads", [1, 4, 16])
def test_callback_from_many_c_threads(testlib, nthreads):
    ffi, lib = testlib
    idents = set()
    lock = threading.Lock()

    @ffi.callback("int(int)")
    def twice(i):
        with lock:
            idents.add(threading.get_ident())
        return 2 * i

    calls = 500
    total = lib.call_from_threads(twice, nthreads, calls)
    assert total == nthreads * 2 * sum(range(calls))
    assert len(idents) == nthreads
    assert threading.get_ident() not in idents


def test_python_threads_run_while_c_threads_call_back(testlib):
    # The GIL is released during the call that starts the threads and taken by each
    # callback only for its own duration, so a Python thread keeps running meanwhile.
    ffi, lib = testlib
    stop = threading.Event()
    ticks = []

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            stop.wait(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        cb = ffi.callback("int(int)", lambda i: i)
        assert lib.call_from_threads(cb, 4, 2000) == 4 * sum(range(2000))
    finally:
        stop.set()
        t.join()
    assert ticks


def test_exception_in_a_thread_callback_is_reported(testlib, unraisable):
    ffi, lib = testlib

    def broken(i):
        if i == 3:
            raise KeyError(i)
        return 1

    cb = ffi.callback("int(int)", broken, error=-100)
    assert lib.call_from_threads(cb, 3, 5) == 3 * (4 - 100)
    assert [r.exc_type for r in unraisable] == [KeyError] * 3


def test_wrong_result_type_from_a_thread_callback(testlib, unraisable):
    ffi, lib = testlib
    cb = ffi.callback("int(int)", lambda i: "not an int")
    assert lib.call_from_threads(cb, 2, 3) == 0
    assert [r.exc_type for r in unraisable] == [TypeError] * 6


def test_onerror_in_a_thread_callback(testlib):
    ffi, lib = testlib
    seen = []

    def onerror(exc_type, exc_value, tb):
        seen.append(exc_type)
        return 7

    cb = ffi.callback("int(int)", lambda i: 1 // 0, onerror=onerror)
    assert lib.call_from_threads(cb, 2, 4) == 2 * 4 * 7
    assert seen == [ZeroDivisionError] * 8


# ---- arguments and results convert as for calls, in the other direction ----


def test_struct_by_value_callbacks(testlib):
    ffi, lib = testlib

    @ffi.callback("struct big(struct big, struct mixed)")
    def grow(b, m):
        assert ffi.typeof(b) is ffi.typeof("struct big")
        return {"a": b.a + 1, "b": b.b * 2, "c": ord(m.c), "d": b.d + m.d}

    r = lib.apply_big(grow, [1, 2, 3, 0.5], [b"A", 2.25])
    assert (r.a, r.b, r.c, r.d) == (2, 4, 65, 2.75)

    @ffi.callback("struct mixed(struct floats2, struct mixed)")
    def mix(a, m):
        return (m.c, a.x + a.y + m.d)

    r = lib.apply_mixed(mix, [1.5, 2.5], [b"z", 10.0])
    assert (r.c, r.d) == (b"z", 14.0)

    # A struct cdata is a valid result too.
    @ffi.callback("struct point(struct point)")
    def swap(p):
        return ffi.new("struct point *", [p.y, p.x])[0]

    r = lib.apply_point(swap, [3, 4])
    assert (r.x, r.y) == (4, 3)


def test_long_double_callback(testlib):
    ffi, lib = testlib
    cb = ffi.callback("long double(long double)", lambda x: float(x) * 3)
    assert float(lib.apply_longdouble(cb, 1.5)) == 4.5


def test_complex_callback(testlib, backend_name):
    ffi, lib = testlib
    if backend_name == "cffi":
        # cffi refuses complex arguments and results in callbacks; rffi supports them.
        with pytest.raises(NotImplementedError):
            ffi.callback("double _Complex(double _Complex)", lambda z: z)
        return
    cb = ffi.callback("double _Complex(double _Complex)", lambda z: z * 1j)
    assert lib.apply_dcomplex(cb, 1 + 2j) == -2 + 1j


# ---- ffi.gc ----


def test_gc_calls_the_destructor_once_when_collected(backend):
    ffi = backend()
    calls = []
    raw = ffi.cast("int *", 0x1000)
    p = ffi.gc(raw, calls.append)
    assert p == raw and ffi.typeof(p) is ffi.typeof(raw)
    assert repr(p) == repr(raw)
    del p
    gc.collect()
    assert calls == [raw]


def test_gc_with_none_detaches_the_destructor(backend):
    ffi = backend()
    calls = []
    p = ffi.gc(ffi.new("int *", 5), calls.append)
    assert ffi.gc(p, None) is None
    assert p[0] == 5
    del p
    gc.collect()
    assert calls == []


def test_release_of_a_gc_cdata_runs_the_destructor_now(backend):
    ffi = backend()
    calls = []
    raw = ffi.cast("void *", 0x2000)
    p = ffi.gc(raw, calls.append)
    ffi.release(p)
    assert calls == [raw]
    ffi.release(p)
    del p
    gc.collect()
    assert calls == [raw]


def test_gc_frees_c_memory_with_a_c_destructor(backend):
    ffi = backend()
    ffi.cdef("void *malloc(size_t); void free(void *);")
    libc = ffi.dlopen(None)
    with ffi.gc(ffi.cast("int *", libc.malloc(64)), libc.free) as p:
        p[15] = 3
        assert p[15] == 3


@pytest.mark.parametrize("module", ["cffi", "rffi"])
def test_gc_destructor_exception_is_printed(module):
    done = run_python(
        f"""
        import gc
        from {module} import FFI
        ffi = FFI()
        def broken(p):
            raise ValueError("in destructor")
        p = ffi.gc(ffi.cast("int *", 0x3000), broken)
        del p
        gc.collect()
        print("still running")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "still running\n"
    assert "Exception ignored from callback for ffi.gc <cdata 'int *' 0x3000>" in done.stderr
    assert "ValueError: in destructor" in done.stderr


def test_gc_refuses_non_cdata(backend):
    ffi = backend()
    with pytest.raises(TypeError):
        ffi.gc(5, None)


# ---- ffi.release and `with` ----


def test_with_gives_the_cdata_and_releases_it(backend):
    ffi = backend()
    with ffi.new("int[4]", [1, 2, 3, 4]) as p:
        assert list(p) == [1, 2, 3, 4]
    ffi.release(p)  # a second release does nothing


@pytest.mark.parametrize(
    "make",
    [
        lambda ffi, p: p + 1,
        lambda ffi, p: ffi.cast("int *", 0),
        lambda ffi, p: ffi.cast("int", 3),
        lambda ffi, p: p[0:1],
    ],
    ids=["derived", "cast-pointer", "cast-int", "slice"],
)
def test_only_owning_cdata_can_be_released(backend, make):
    ffi = backend()
    p = ffi.new("int[3]")
    other = make(ffi, p)
    message = "only 'cdata' object from ffi.new(), ffi.gc(), ffi.from_buffer()"
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ffi.release(other)
    with pytest.raises(ValueError):
        with other:
            pass


def test_struct_reached_through_a_new_pointer_cannot_be_released(backend):
    ffi = backend()
    ffi.cdef("struct s { int a; };")
    p = ffi.new("struct s *")
    with pytest.raises(ValueError):
        ffi.release(p[0])
    with pytest.raises(ValueError):
        ffi.release(ffi.new("struct s[2]")[0])


def test_release_of_from_buffer_lets_the_buffer_go(backend):
    ffi = backend()
    data = bytearray(b"hello")
    c = ffi.from_buffer(data)
    with pytest.raises(BufferError):
        data.extend(b"!")  # held while the cdata lives
    ffi.release(c)
    data.extend(b"!")
    assert data == b"hello!"


@pytest.fixture
def released():
    """An rffi FFI with testlib-like declarations, and cdata released by ffi.release."""
    from rffi import FFI

    ffi = FFI()
    ffi.cdef("struct pt { int x; int y; }; size_t strlen(const char *);"
             "void *memchr(const void *, int, size_t);")
    return ffi


USES_AFTER_RELEASE = {
    "item": lambda ffi, p, s: p[0],
    "store-item": lambda ffi, p, s: p.__setitem__(0, 1),
    "slice": lambda ffi, p, s: p[0:2],
    "store-slice": lambda ffi, p, s: p.__setitem__(slice(0, 2), [1, 2]),
    "iteration": lambda ffi, p, s: list(p),
    "derived-pointer": lambda ffi, p, s: (p + 1)[0],
    "field": lambda ffi, p, s: s.x,
    "store-field": lambda ffi, p, s: setattr(s, "y", 2),
    "buffer": lambda ffi, p, s: ffi.buffer(p),
    "string": lambda ffi, p, s: ffi.string(ffi.cast("char *", p)),
    "unpack": lambda ffi, p, s: ffi.unpack(p, 2),
    "cast": lambda ffi, p, s: ffi.cast("char *", p),
    "as-argument": lambda ffi, p, s: ffi.dlopen(None).strlen(ffi.cast("char *", p)),
    # a scalar signature: the fast call path (fastcall.rs) checks release too
    "as-void-argument": lambda ffi, p, s: ffi.dlopen(None).memchr(p, 1, 4),
    "pointer-init": lambda ffi, p, s: ffi.new("int **", p),
    "array-copy": lambda ffi, p, s: ffi.new("int[4]", p),
    "memmove": lambda ffi, p, s: ffi.memmove(bytearray(4), p, 4),
    "addressof": lambda ffi, p, s: ffi.addressof(s, "y")[0],
}


@pytest.mark.parametrize("use", USES_AFTER_RELEASE.values(), ids=USES_AFTER_RELEASE.keys())
def test_use_after_release_raises_in_rffi(released, use):
    # cffi leaves freed memory readable (or crashes); rffi refuses every access path.
    ffi = released
    p = ffi.new("int[4]", [1, 2, 3, 0])
    s = ffi.new("struct pt *", [1, 2])
    ffi.release(p)
    ffi.release(s)
    with pytest.raises(ValueError, match="released"):
        use(ffi, p, s)


def test_views_taken_before_release_raise_after_it(released):
    ffi = released
    p = ffi.new("struct pt[3]", [[1, 2], [3, 4], [5, 6]])
    first, tail, view, buf = p[0], p + 1, p[1:3], ffi.buffer(p)
    ffi.release(p)
    for use in (
        lambda: first.x,
        lambda: tail.y,
        lambda: view[0],
        lambda: buf[0],
        lambda: bytes(buf),
        lambda: ffi.new("struct pt *", first),
    ):
        with pytest.raises(ValueError, match="released"):
            use()
    # What does not touch the memory still works.
    assert tail - (p + 0) == 1
    assert len(view) == 2
    assert "owning" in repr(p)


def test_release_of_a_gc_cdata_protects_its_views(released):
    ffi = released
    ffi.cdef("void *malloc(size_t); void free(void *);")
    libc = ffi.dlopen(None)
    p = ffi.gc(ffi.cast("int *", libc.malloc(16)), libc.free)
    q = p + 1
    q[0] = 4
    ffi.release(p)
    with pytest.raises(ValueError, match="released"):
        q[0]


# Small `ffi.new`s (a primitive, a small struct or array) keep their bytes in the same allocation
# as the record that `ffi.release` marks; larger ones are allocated apart. Both kinds must behave
# the same, so these run on both sides of the boundary (16 bytes, alignment 8).
SMALL_AND_LARGE = ["int *", "double *", "char[16]", "struct q4 *", "char[17]", "long double *"]


@pytest.mark.parametrize("cdecl", SMALL_AND_LARGE)
def test_release_of_small_and_large_new_protects_derived_views(released, cdecl):
    ffi = released
    ffi.cdef("struct q4 { int a, b, c, d; };")
    p = ffi.new(cdecl)
    size = ffi.sizeof(p) if ffi.typeof(p).kind == "array" else ffi.sizeof(ffi.typeof(p).item)
    assert repr(p).endswith(f"owning {size} bytes>")
    assert bytes(ffi.buffer(p, size)) == bytes(size)  # zeroed
    ffi.buffer(p, size)[:] = bytes(range(1, size + 1))
    alias, tail, buf = ffi.cast("unsigned char *", p), p + 1, ffi.buffer(p, size)
    assert list(ffi.unpack(alias, size)) == list(range(1, size + 1))
    ffi.release(p)
    for use in (lambda: p[0], lambda: alias[0], lambda: tail[-1], lambda: bytes(buf)):
        with pytest.raises(ValueError, match="released"):
            use()
    assert tail - 1 == p  # what does not touch the memory still works
    ffi.release(p)  # a second release does nothing


@pytest.mark.parametrize("cdecl", SMALL_AND_LARGE)
def test_with_on_small_and_large_new(released, cdecl):
    ffi = released
    ffi.cdef("struct q4 { int a, b, c, d; };")
    with ffi.new(cdecl) as p:
        view = ffi.cast("char *", p)
        view[0] = b"x"
        assert view[0] == b"x"
    with pytest.raises(ValueError, match="released"):
        view[0]


def test_views_of_a_small_new_keep_it_alive():
    from rffi import FFI

    ffi = FFI()
    ffi.cdef("struct pt { int x; int y; };")
    alias = ffi.cast("int *", ffi.new("int *", 7))
    field = ffi.new("struct pt *", [3, 4])[0]
    fields = ffi.addressof(ffi.new("struct pt *", [5, 6]), "y")
    gc.collect()
    for _ in range(1000):
        ffi.new("int *", 9), ffi.new("struct pt *", [9, 9])
    assert (alias[0], field.x, field.y, fields[0]) == (7, 3, 4, 6)


def test_small_new_under_gc(backend):
    ffi = backend()
    calls = []
    p = ffi.new("int *", 5)
    q = ffi.gc(p, calls.append)
    assert q[0] == 5 and q == p
    ffi.release(q)
    assert calls == [p]
    assert p[0] == 5  # only the gc cdata was released
    del p, q
    gc.collect()
    assert len(calls) == 1


def test_small_new_distinct_and_aligned(backend):
    ffi = backend()
    kept = [ffi.new(cdecl) for cdecl in ("char *", "short *", "int *", "double *", "void **")] * 2
    kept += [ffi.new(cdecl) for cdecl in ("char *", "short *", "int *", "double *", "void **")]
    addresses = [int(ffi.cast("uintptr_t", p)) for p in kept[5:]]
    assert len(set(addresses)) == len(addresses)
    for p in kept:
        assert int(ffi.cast("uintptr_t", p)) % ffi.alignof(ffi.typeof(p).item) == 0


def test_weak_references_to_cdata(backend):
    ffi = backend()
    seen = []
    kinds = [ffi.new("int *"), ffi.new("int[]", 3), ffi.cast("int *", 8), ffi.cast("double", 1.5)]
    refs = [__import__("weakref").ref(p, seen.append) for p in kinds]
    assert [r() is p for r, p in zip(refs, kinds)] == [True] * 4
    del kinds
    gc.collect()
    assert [r() for r in refs] == [None] * 4
    assert len(seen) == 4


def test_cdata_outlive_their_ffi(backend):
    ffi = backend()
    ffi.cdef("struct pt { int x; int y; };")
    kept = [ffi.new("int *", 5), ffi.new("struct pt *", [1, 2]), ffi.cast("int", 6), ffi.new("int[]", 2)]
    del ffi
    gc.collect()
    assert (kept[0][0], kept[1].y, int(kept[2]), len(kept[3])) == (5, 2, 6, 2)
    del kept
    gc.collect()


def test_freeing_a_from_buffer_cdata_lets_the_buffer_go(backend):
    ffi = backend()
    data = bytearray(b"abcd")
    c = ffi.from_buffer(data)
    with pytest.raises(BufferError):
        data.extend(b"e")
    del c
    gc.collect()
    data.extend(b"e")
    assert data == b"abcde"


# ---- ffi.new_allocator ----


def test_default_allocator_is_like_new(backend):
    ffi = backend()
    new = ffi.new_allocator()
    p = new("int[3]", [1, 2, 3])
    assert list(p) == [1, 2, 3]
    assert list(new("int[3]")) == [0, 0, 0]
    unclear = ffi.new_allocator(should_clear_after_alloc=False)
    assert len(unclear("char[]", 100)) == 100
    with unclear("int *", 7) as q:
        assert q[0] == 7


def test_custom_allocator_calls_alloc_and_free(backend):
    ffi = backend()
    log = []

    def alloc(size):
        log.append(("alloc", size))
        return ffi.new("char[]", size)

    def free(cdata):
        log.append(("free", ffi.typeof(cdata).cname))

    new = ffi.new_allocator(alloc, free)
    p = new("int[4]", [1, 2, 3, 4])
    assert list(p) == [1, 2, 3, 4]
    assert log == [("alloc", 16)]
    assert list(new("int[2]")) == [0, 0]  # cleared after alloc
    gc.collect()
    assert ("free", "char[]") in log
    log.clear()
    ffi.release(p)
    assert log == [("free", "char[]")]
    del p
    gc.collect()
    assert log == [("free", "char[]")]


def test_allocator_errors(backend):
    ffi = backend()
    with pytest.raises(TypeError, match="cannot pass 'free' without 'alloc'"):
        ffi.new_allocator(free=lambda p: None)
    new = ffi.new_allocator(lambda size: ffi.NULL)
    with pytest.raises(MemoryError, match="alloc\\(\\) returned NULL"):
        new("int *")


# ---- handles ----


def test_from_handle_of_null_raises(backend):
    ffi = backend()
    with pytest.raises(RuntimeError):
        ffi.from_handle(ffi.NULL)


def test_handle_keeps_its_object_alive(backend):
    ffi = backend()

    class Thing:
        pass

    thing = Thing()
    h = ffi.new_handle(thing)
    ref = __import__("weakref").ref(thing)
    del thing
    gc.collect()
    assert ffi.from_handle(h) is ref()
    del h
    gc.collect()
    assert ref() is None


def test_handle_through_a_callback(testlib):
    ffi, lib = testlib
    seen = []

    @ffi.callback("void(void *, int)")
    def receive(userdata, x):
        seen.append((ffi.from_handle(userdata), x))

    payload = ["payload"]
    h = ffi.new_handle(payload)
    lib.call_with_userdata(receive, h, 5)
    assert seen == [(payload, 5)] and seen[0][0] is payload


def test_from_handle_of_a_non_handle_raises_in_rffi():
    from rffi import FFI

    ffi = FFI()
    p = ffi.new("int *")
    with pytest.raises(RuntimeError, match="not a live handle"):
        ffi.from_handle(ffi.cast("void *", p))
    with pytest.raises(TypeError):
        ffi.from_handle(42)


# ---- what keeps what alive ----


def test_derived_cdata_keep_the_owner_alive_in_rffi():
    # cffi: `p + 1`, `p[0]` of a struct array and casts do not keep `p` alive, so using them
    # after `p` is gone reads freed memory. rffi keeps the owner in every derived cdata.
    from rffi import FFI

    ffi = FFI()
    ffi.cdef("struct pt { int x; int y; };")
    p = ffi.new("struct pt[2]", [[1, 2], [3, 4]])
    second, tail = p[1], p + 1
    alias = ffi.cast("int *", p)
    del p
    gc.collect()
    for _ in range(1000):
        ffi.new("struct pt[2]", [[9, 9], [9, 9]])
    assert (second.x, tail.y, alias[3]) == (3, 4, 4)


def test_struct_reached_from_a_new_pointer_keeps_it_alive(backend):
    # cffi's documented rule: p[0] of `ffi.new("struct s *")` keeps the memory alive.
    ffi = backend()
    ffi.cdef("struct pt { int x; int y; };")
    s = ffi.new("struct pt *", [5, 6])[0]
    gc.collect()
    for _ in range(1000):
        ffi.new("struct pt *", [9, 9])
    assert (s.x, s.y) == (5, 6)


@pytest.mark.parametrize("module", ["cffi", "rffi"])
def test_a_million_new_calls_do_not_leak(module):
    done = run_python(
        f"""
        import os
        from {module} import FFI
        ffi = FFI()
        ffi.cdef("struct pt {{ int x; int y; }};")
        page = os.sysconf("SC_PAGE_SIZE")
        def rss():
            with open("/proc/self/statm") as f:
                return int(f.read().split()[1]) * page
        def churn(n):
            for i in range(n):
                p = ffi.new("int[64]")
                q = ffi.new("struct pt *", [i, i])
                r = q[0], p + 1
        churn(100_000)
        before = rss()
        churn(1_000_000)
        print(rss() - before)
        """
    )
    assert done.returncode == 0, done.stderr
    growth = int(done.stdout)
    assert growth < 8 * 1024 * 1024, f"resident memory grew by {growth} bytes"


# ---- dlclose ----


def test_dlclose_makes_the_lib_unusable(testlib):
    ffi, lib = testlib
    assert lib.add(1, 2) == 3
    ffi.dlclose(lib)
    with pytest.raises(ValueError):
        lib.add
    with pytest.raises(ValueError):
        lib.counter
    ffi.dlclose(lib)  # closing twice does nothing


def test_function_fetched_before_dlclose_stays_safe_in_rffi(testlib_path):
    # In cffi this call jumps into an unmapped library. rffi keeps the library mapped while
    # a cdata fetched from it lives, and unmaps it when the last of them and the Lib are gone
    # (at once, when nothing was fetched).
    done = run_python(
        """
        import gc, sys
        from rffi import FFI
        path = sys.argv[1]
        def mapped():
            with open("/proc/self/maps") as f:
                return path in f.read()
        ffi = FFI()
        ffi.cdef(open(sys.argv[2]).read())
        lib = ffi.dlopen(path)
        add = lib.add
        ffi.dlclose(lib)
        print(add(2, 3), mapped())
        del add
        gc.collect()
        print(mapped())
        del lib
        gc.collect()
        print(mapped())
        lib2 = ffi.dlopen(path)
        ffi.dlclose(lib2)
        print(mapped())
        """,
        str(testlib_path),
        str(TESTLIB_HEADER),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n") == ["5 True", "True", "False", "False", ""]
