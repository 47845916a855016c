"""The fast paths are in use where they should be, and the switch that turns them off works.

``rffi._rffi._fast_path_taken(op, obj, key, value)`` runs one operation through its fast path
alone and says whether that path took it. Under ``RFFI_NO_FAST_PATHS=1`` (the third run of the
suite in ``make test``) every fast path is off and the general path does everything; the tests
below then check that the fast paths really are off.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest

import rffi
from rffi import _rffi

FAST = _rffi._switches()[0]
FORCED_LIBFFI = _rffi._switches()[1]


def test_switches_follow_the_environment() -> None:
    assert FAST == (os.environ.get("RFFI_NO_FAST_PATHS", "") in ("", "0"))
    assert FORCED_LIBFFI == (os.environ.get("RFFI_FORCE_LIBFFI", "") not in ("", "0"))
    env = dict(os.environ, RFFI_NO_FAST_PATHS="1", RFFI_FORCE_LIBFFI="1")
    out = subprocess.run(
        [sys.executable, "-c", "from rffi import _rffi; print(_rffi._switches())"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    assert out.strip() == "(False, True)"


@pytest.fixture
def ffi() -> rffi.FFI:
    f = rffi.FFI()
    f.cdef("""
        struct point { int x; double y; unsigned char c; float f; long long big; };
        int abs(int);
        double fabs(double);
    """)
    return f


SCALARS = [
    ("x", 7, -3),
    ("y", 1.5, -0.25),
    ("c", 200, 5),
    ("f", 0.5, 2.0),
    ("big", 2**62, -(2**62)),
]


@pytest.mark.parametrize("name,first,second", SCALARS)
def test_member_reads_and_writes_take_the_fast_path(ffi: rffi.FFI, name: str, first, second) -> None:
    p = ffi.new("struct point *")
    key = sys.intern(name)
    taken, _ = _rffi._fast_path_taken("setattr", p, key, first)
    assert taken is FAST
    if not taken:
        setattr(p, name, first)
    assert getattr(p, name) == first
    taken, value = _rffi._fast_path_taken("getattr", p, key)
    assert taken is FAST
    if taken:
        assert value == first
    # The struct itself (not through a pointer) too.
    s = p[0]
    setattr(s, name, second)
    taken, value = _rffi._fast_path_taken("getattr", s, key)
    assert taken is FAST
    if taken:
        assert value == second


@pytest.mark.parametrize("ctype,value", [
    ("int[4]", -5), ("unsigned short[4]", 65535), ("double[4]", math.pi), ("float[4]", 0.25),
    ("signed char[4]", -128), ("unsigned long long[4]", 2**63 - 1),
])
def test_item_reads_and_writes_take_the_fast_path(ffi: rffi.FFI, ctype: str, value) -> None:
    a = ffi.new(ctype)
    taken, _ = _rffi._fast_path_taken("setitem", a, 2, value)
    assert taken is FAST
    if not taken:
        a[2] = value
    assert a[2] == value
    taken, read = _rffi._fast_path_taken("getitem", a, 2)
    assert taken is FAST
    if taken:
        assert read == value
    # Through a pointer to the same memory.
    p = ffi.cast(ctype.split("[")[0] + " *", a)
    taken, read = _rffi._fast_path_taken("getitem", p, 2)
    assert taken is FAST


@pytest.mark.parametrize("op,key,value", [
    ("setitem", 9, 1),          # out of bounds: the general path raises IndexError
    ("setitem", 1, 2**40),      # out of range for int: OverflowError there
    ("setitem", 1, "x"),        # not a number: TypeError there
    ("setitem", True, 1),       # a bool index is not an exact int
    ("getitem", -1, None),
])
def test_what_the_fast_path_declines(ffi: rffi.FFI, op: str, key, value) -> None:
    a = ffi.new("int[4]")
    taken, _ = _rffi._fast_path_taken(op, a, key, value)
    assert taken is False


def test_member_write_declines_what_needs_conversion(ffi: rffi.FFI) -> None:
    p = ffi.new("struct point *")
    for name, value in [("x", 1.5), ("x", 2**31), ("c", -1), ("y", 3), ("c", b"a")]:
        taken, _ = _rffi._fast_path_taken("setattr", p, sys.intern(name), value)
        assert taken is False, (name, value)


def test_fast_write_refuses_released_memory(ffi: rffi.FFI) -> None:
    p = ffi.new("struct point *")
    ffi.release(p)
    with pytest.raises(ValueError):
        _rffi._fast_path_taken("setattr", p, sys.intern("x"), 1) if FAST else setattr(p, "x", 1)


def test_calls_take_the_fast_path(ffi: rffi.FFI) -> None:
    lib = ffi.dlopen(None)
    assert lib.abs(-4) == 4  # the first call makes the call site
    taken, result = _rffi._fast_path_taken("call", lib.abs, None, (-9,))
    assert taken is (FAST and not FORCED_LIBFFI)
    if taken:
        assert result == 9
    m = ffi.dlopen("libm.so.6")
    assert m.fabs(-1.0) == 1.0
    taken, result = _rffi._fast_path_taken("call", m.fabs, None, (-2.5,))
    assert taken is (FAST and not FORCED_LIBFFI)


def test_cdata_type_is_rffis_own_and_immutable() -> None:
    tp = rffi.CData
    assert tp.__module__ == "rffi" and tp.__name__ == "CData"
    assert tp.__flags__ & (1 << 8)  # Py_TPFLAGS_IMMUTABLETYPE
    with pytest.raises(TypeError):
        tp.__call__ = lambda self: None  # type: ignore[method-assign]
    with pytest.raises(TypeError):
        tp()
    f = rffi.FFI()
    assert type(f.new("int *")) is tp and type(f.cast("int", 1)) is tp


def test_ffi_new_and_cast_are_methods_of_the_class() -> None:
    for name, sig in [("new", "($self, /, cdecl, init=None)"), ("cast", "($self, /, cdecl, source)")]:
        method = rffi.FFI.__dict__[name]
        assert type(method).__name__ == "method_descriptor"
        assert method.__text_signature__ == sig
    f = rffi.FFI()
    assert f.new(cdecl="int *", init=3)[0] == 3
    assert int(f.cast(source=7, cdecl="long")) == 7
    with pytest.raises(TypeError, match="unexpected keyword argument 'x'"):
        f.new("int *", x=1)
    with pytest.raises(TypeError, match="multiple values for argument 'cdecl'"):
        f.new("int *", cdecl="int *")
    with pytest.raises(TypeError, match="missing 1 required argument: 'source'"):
        f.cast("int")
    with pytest.raises(TypeError, match="takes from 1 to 2 positional arguments but 3"):
        f.new("int *", 1, 2)


def test_delete_member_as_cffi(backend) -> None:
    f = backend()
    f.cdef("struct s { int x; };")
    s = f.new("struct s *")
    with pytest.raises(AttributeError) as e:
        del s.x
    assert str(e.value) == "cannot delete struct field"
    with pytest.raises(AttributeError) as e:
        del s.y
    assert "no field 'y'" in str(e.value) or "no attribute 'y'" in str(e.value)


def test_callbacks_take_the_scalar_conversions() -> None:
    f = rffi.FFI()
    cases = [
        ("int(*)(int, double)", (["scalar", "scalar"], "scalar")),
        ("double(*)(float, unsigned long long)", (["scalar", "scalar"], "scalar")),
        ("void(*)(char, _Bool)", (["scalar", "scalar"], "void")),
        ("int *(*)(int *)", (["pointer (reused)"], "general")),
        ("long double(*)(long double)", (["general"], "general")),
    ]
    for cdecl, fast in cases:
        cb = f.callback(cdecl, lambda *args: None)
        conv = _rffi._callback_conversions(cb)
        if FAST:
            assert conv == fast, cdecl
        else:
            general = (["general"] * len(fast[0]), "void" if fast[1] == "void" else "general")
            assert conv == general, cdecl
    assert _rffi._callback_conversions(f.new("int *")) is None
