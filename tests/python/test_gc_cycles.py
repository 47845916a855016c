"""Reference cycles through cdata that hold Python objects: the garbage collector frees them.

Each test runs on both backends (``backend`` fixture): cffi is the oracle. A cdata from
``ffi.new_handle``, ``ffi.gc``, ``ffi.from_buffer`` or a Python allocator holds Python objects that
may refer back to it; cffi's cdata show them to the collector, and so do rffi's.
"""

import ctypes
import gc
import subprocess
import sys
import weakref

import pytest


class Holder:
    pass


class Bytes(bytearray):
    """A buffer exporter that can refer back to its ``from_buffer`` cdata."""


def collect():
    for _ in range(3):
        gc.collect()


def test_new_handle_cycle_is_collected(backend):
    ffi = backend()

    def make():
        h = Holder()
        h.handle = ffi.new_handle(h)
        assert ffi.from_handle(h.handle) is h
        return weakref.ref(h)

    ref = make()
    collect()
    assert ref() is None


def test_new_handle_cycle_through_a_list_is_collected(backend):
    ffi = backend()

    def make():
        h = Holder()
        box = [h]
        box.append(ffi.new_handle(box))
        h.box = box
        return weakref.ref(h)

    ref = make()
    collect()
    assert ref() is None


def test_handle_in_a_cycle_lives_while_reachable(backend):
    ffi = backend()
    h = Holder()
    h.handle = ffi.new_handle(h)
    ref = weakref.ref(h)
    keep = h.handle
    del h
    collect()
    assert ref() is not None and ffi.from_handle(keep) is ref()


def test_ffi_gc_destructor_cycle_is_collected_and_runs_once(backend):
    ffi = backend()
    calls = []

    def make():
        h = Holder()
        h.p = ffi.gc(ffi.new("int *", 7), lambda p: calls.append((h, p[0])))
        return weakref.ref(h)

    ref = make()
    collect()
    # The destructor ran once, with its objects still whole; what it kept is freed with it.
    assert len(calls) == 1
    h, value = calls.pop()
    assert value == 7 and isinstance(h, Holder)
    del h
    collect()
    assert ref() is None and calls == []


@pytest.mark.parametrize("module", ["cffi", "rffi"])
def test_ffi_gc_destructor_raising_in_a_cycle_is_reported(module):
    code = f"""
import gc, weakref
from {module} import FFI
ffi = FFI()
class Holder:
    pass
def make():
    h = Holder()
    def destructor(p):
        raise ValueError("boom in destructor")
    h.p = ffi.gc(ffi.cast("int *", 0x3000), destructor)
    return weakref.ref(h)
ref = make()
gc.collect()
print("collected:", ref() is None)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "collected: True\n"
    assert "Exception ignored from callback for ffi.gc <cdata 'int *' 0x3000>" in done.stderr
    assert "ValueError: boom in destructor" in done.stderr


def test_ffi_gc_of_a_handle_in_a_cycle_is_collected(backend):
    ffi = backend()
    calls = []

    def make():
        h = Holder()
        h.p = ffi.gc(ffi.new_handle(h), lambda p: calls.append(ffi.from_handle(p)))
        return weakref.ref(h)

    ref = make()
    collect()
    assert len(calls) == 1 and isinstance(calls[0], Holder)
    calls.clear()
    collect()
    assert ref() is None


def test_ffi_gc_cycle_lives_while_reachable(backend):
    ffi = backend()
    calls = []

    def make():
        h = Holder()
        h.p = ffi.gc(ffi.new("int *", 3), lambda p: calls.append(h))
        return weakref.ref(h), h.p

    ref, keep = make()
    collect()
    assert calls == [] and ref() is not None and keep[0] == 3
    del keep
    ref().p = None
    assert len(calls) == 1
    calls.clear()
    collect()
    assert ref() is None


def test_ffi_gc_destructor_resurrecting_the_original(backend):
    ffi = backend()
    saved = []

    def make():
        h = Holder()
        h.p = ffi.gc(ffi.new("int *", 42), lambda p: saved.append((h, p)))
        return weakref.ref(h)

    make()
    collect()
    assert len(saved) == 1
    h, p = saved[0]
    # The original cdata outlives the collected cycle and its memory is intact.
    assert p[0] == 42
    saved.clear()


@pytest.mark.parametrize("exporter", ["bytearray subclass", "ctypes structure"])
@pytest.mark.parametrize("cdecl", [None, "int[]", "char *"])
def test_from_buffer_cycle_is_collected(backend, exporter, cdecl):
    ffi = backend()

    class S(ctypes.Structure):
        _fields_ = [("a", ctypes.c_int), ("b", ctypes.c_int)]

    def make():
        obj = Bytes(8) if exporter == "bytearray subclass" else S()
        obj.p = ffi.from_buffer(obj) if cdecl is None else ffi.from_buffer(cdecl, obj)
        return weakref.ref(obj)

    ref = make()
    collect()
    assert ref() is None


def test_from_buffer_cycle_lives_while_reachable(backend):
    ffi = backend()
    b = Bytes(b"abcd")
    b.p = ffi.from_buffer(b)
    keep = b.p
    ref = weakref.ref(b)
    del b
    collect()
    assert ref() is not None and keep[0] == b"a" and ffi.buffer(keep)[:] == b"abcd"


def test_allocator_cdata_cycle_is_collected_and_frees_once(backend):
    ffi = backend()
    freed = []

    def make():
        h = Holder()

        def alloc(n):
            return ffi.new("char[]", n)

        def free(p):
            freed.append(h)

        h.p = ffi.new_allocator(alloc, free)("int[4]", [1, 2, 3, 4])
        return weakref.ref(h)

    ref = make()
    collect()
    assert len(freed) == 1
    freed.clear()
    collect()
    assert ref() is None


def test_allocator_without_free_in_a_cycle_is_collected(backend):
    ffi = backend()

    def make():
        h = Holder()
        h.p = ffi.new_allocator(lambda n: h and ffi.new("char[]", n), None)("int *")
        return weakref.ref(h)

    ref = make()
    collect()
    assert ref() is None


def test_allocator_object_cycle_is_collected(backend):
    ffi = backend()

    def make():
        h = Holder()
        h.allocator = ffi.new_allocator(lambda n: h and ffi.new("char[]", n), lambda p: h)
        assert h.allocator("int *")[0] == 0
        return weakref.ref(h)

    ref = make()
    collect()
    assert ref() is None


def test_ffi_and_lib_cycle_is_collected(backend):
    ffi = backend()
    ffi.cdef("int abs(int);")

    def make():
        h = Holder()
        h.ffi = ffi
        h.lib = ffi.dlopen(None)
        h.handle = ffi.new_handle(h)
        h.callback = ffi.callback("int(int)", lambda x: h.lib.abs(x))
        assert h.callback(-3) == 3
        return weakref.ref(h)

    ref = make()
    collect()
    assert ref() is None


def test_cleared_cycle_keeps_outside_cdata_working(backend):
    """A collected cycle leaves alone the cdata that were only referenced from it."""
    ffi = backend()
    outside = ffi.new("int[3]", [1, 2, 3])

    def make():
        h = Holder()
        h.outside = outside
        h.handle = ffi.new_handle(h)
        h.p = ffi.gc(ffi.new("int *", 5), lambda p: h)
        return weakref.ref(h)

    ref = make()
    collect()
    assert ref() is None
    assert list(outside) == [1, 2, 3]


def test_many_cycles_collected_by_the_collector_itself(backend):
    """Cycles freed by automatic collections, not only gc.collect()."""
    ffi = backend()
    refs = []
    for _ in range(1000):
        h = Holder()
        h.handle = ffi.new_handle(h)
        h.p = ffi.gc(ffi.new("int *"), lambda p, h=h: None)
        refs.append(weakref.ref(h))
    del h
    # Automatic collections ran during the loop and freed most of them already.
    assert sum(r() is None for r in refs) > len(refs) // 2
    collect()
    assert all(r() is None for r in refs)


def test_resurrected_ffi_gc_cdata_raises_after_its_destructor_ran():
    """The collector ran the destructor, then another finalizer resurrected the cdata.

    cffi's cdata would then read memory its destructor freed; rffi's was released with the
    destructor's run, and refuses to be used (and its destructor does not run again).
    """
    from rffi import FFI

    ffi = FFI()
    saved, calls = [], []

    class Saver:
        def __del__(self):
            saved.append(self.p)

    def make():
        s = Saver()
        s.p = ffi.gc(ffi.new("int *", 5), lambda p: calls.append(s))

    make()
    collect()
    assert len(calls) == 1 and len(saved) == 1
    p = saved.pop()
    with pytest.raises(ValueError, match="released"):
        p[0]
    calls.clear()
    del p
    collect()
    assert calls == []
