"""``ffi.ufunc(lib.f)``: a scalar C function as a real numpy ufunc (rffi only, issue 12).

Every ufunc is checked against numpy applying the scalar rffi call element by element
(``np.vectorize(lib.f)``): same values, same dtype, for every scalar type the loop takes, with
broadcasting, ``out=``, ``where=``, strided views, casting, empty and 0-d arrays. The suite also
runs under ``RFFI_FORCE_LIBFFI=1`` (``make test``), which sends every ufunc through the libffi
loop instead of the direct ones.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import threading
import weakref

import numpy as np
import pytest

import rffi


@pytest.fixture(scope="module")
def tl(testlib_path, testlib_h):
    """``(ffi, lib)`` of rffi with testlib declared."""
    ffi = rffi.FFI()
    ffi.cdef(testlib_h)
    return ffi, ffi.dlopen(str(testlib_path))


# (function, dtype of every input) for each scalar type the loop takes: the C integer types
# by name and by width, enums, _Bool, float, double, complex (which cffi's ABI mode cannot
# call, rffi can). long double has its own test below.
SCALAR_CASES = [
    ("add_schar", np.int8),
    ("add_uchar", np.uint8),
    ("add_short", np.int16),
    ("add_ushort", np.uint16),
    ("add", np.int32),
    ("add_uint", np.uint32),
    ("add_long", np.int64),
    ("add_ulong", np.uint64),
    ("add_longlong", np.int64),
    ("add_ulonglong", np.uint64),
    ("add_int8", np.int8),
    ("add_uint8", np.uint8),
    ("add_int16", np.int16),
    ("add_uint16", np.uint16),
    ("add_int32", np.int32),
    ("add_uint32", np.uint32),
    ("add_int64", np.int64),
    ("add_uint64", np.uint64),
    ("add_size", np.uint64),
    ("add_ssize", np.int64),
    ("add_float", np.float32),
    ("add_double", np.float64),
    ("id_intptr", np.int64),
    ("id_uintptr", np.uint64),
    ("id_ptrdiff", np.int64),
    ("not_bool", np.bool_),
    ("id_bool", np.bool_),
    ("next_color", np.int32),
    ("id_double", np.float64),  # one double: the all-double loops exist per arity
    ("nop", np.float64),
    ("doubles5", np.float64),
    ("doubles8", np.float64),  # the most vector registers a direct call fills
    ("many_doubles", np.float64),
    ("many_ints", np.int32),
    ("id_fcomplex", np.complex64),  # complex numbers go through libffi, as rffi calls them
    ("id_dcomplex", np.complex128),
    ("mul_fcomplex", np.complex64),
    ("mul_dcomplex", np.complex128),
]


def sample(dtype, shape, rng):
    """Values over the whole range of `dtype` (and its edges)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 1e3).astype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    info = np.iinfo(dtype)
    values = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
    flat = values.reshape(-1)
    flat[: min(2, flat.size)] = [info.min, info.max][: min(2, flat.size)]
    return values


def reference(f, out_dtype):
    """numpy calling the scalar rffi function once per element."""
    return np.vectorize(f, otypes=[out_dtype])


def assert_same(got, expected):
    assert type(got) is type(expected)
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("name,dtype", SCALAR_CASES)
def test_every_scalar_type_matches_the_scalar_call(tl, name, dtype):
    ffi, lib = tl
    f = getattr(lib, name)
    u = ffi.ufunc(f)
    assert isinstance(u, np.ufunc)
    assert u.__name__ == name
    out_dtype = np.dtype(u.types[0].split("->")[1])
    rng = np.random.default_rng(12)
    # Broadcasting: the first input a column, the others rows.
    shapes = [(7, 1)] + [(5,)] * (u.nin - 1)
    args = [sample(dtype, s, rng) for s in shapes]
    got = u(*args)
    assert got.shape == ((7, 5) if u.nin > 1 else (7, 1))
    assert_same(got, reference(f, out_dtype)(*args))


def test_long_double_goes_through_libffi(tl):
    ffi, lib = tl
    u = ffi.ufunc(lib.add_longdouble)
    assert u.types == ["gg->g"]
    a = np.arange(10, dtype=np.longdouble) / 3
    b = np.longdouble(1) / 7
    got = u(a, b)
    assert got.dtype == np.longdouble
    # The ufunc keeps every bit of long double, as numpy's own addition does; the scalar call
    # takes and returns doubles' worth (float() of its cdata result).
    np.testing.assert_array_equal(got, a + b)
    expected = [float(lib.add_longdouble(float(x), float(b))) for x in a]
    np.testing.assert_allclose(got.astype(np.float64), expected, rtol=1e-15)


def test_dtypes_follow_the_c_signature(tl):
    ffi, lib = tl
    assert ffi.ufunc(lib.add_double).types == ["dd->d"]
    assert ffi.ufunc(lib.add_float).types == ["ff->f"]
    assert ffi.ufunc(lib.add_uint8).types == ["BB->B"]
    assert ffi.ufunc(lib.add_long).types == ["ll->l"]
    assert ffi.ufunc(lib.not_bool).types == ["?->?"]
    assert ffi.ufunc(lib.mul_fcomplex).types == ["FF->F"]
    assert ffi.ufunc(lib.mul_dcomplex).types == ["DD->D"]
    assert ffi.ufunc(lib.many_ints).types == ["iiiiiiii->l"]  # long long: int64, 'l' on LP64
    assert ffi.ufunc(lib.next_color).types == ["i->i"]  # enum color: int
    u = ffi.ufunc(lib.add_int32)
    assert (u.nin, u.nout, u.nargs, u.ntypes, u.identity) == (2, 1, 3, 1, None)


def test_scalars_and_0d_arrays(tl):
    ffi, lib = tl
    u = ffi.ufunc(lib.add_double)
    ref = reference(lib.add_double, np.float64)
    # np.vectorize gives 0-d arrays where ufuncs give numpy scalars, as np.add does.
    for args in [(1.5, 2.25), (np.float64(1.5), 2), (np.array(1.5), np.array(2.0))]:
        got = u(*args)
        assert type(got) is type(np.add(*args)) is np.float64
        assert_same(np.asarray(got), ref(*args))
    assert u(1.5, 2.25) == 3.75
    out = np.array(0.0)
    assert u(np.array(1.0), 2.0, out=out) is out
    assert out[()] == 3.0


def test_out(tl):
    ffi, lib = tl
    u = ffi.ufunc(lib.add_int32)
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    out = np.full((2, 3), -1, dtype=np.int32)
    assert u(a, 10, out=out) is out
    assert_same(out, reference(lib.add_int32, np.int32)(a, 10))
    # In place: out is one of the inputs.
    u(a, a, out=a)
    np.testing.assert_array_equal(a, np.arange(6).reshape(2, 3) * 2)
    # An output of another dtype is cast by numpy's rules (same_kind by default).
    wide = np.zeros((2, 3), dtype=np.int64)
    u(a, 1, out=wide)
    np.testing.assert_array_equal(wide, a.astype(np.int64) + 1)


def test_where(tl):
    ffi, lib = tl
    u = ffi.ufunc(lib.add_double)
    a = np.arange(8.0)
    mask = a % 3 == 0
    out = np.full(8, np.nan)
    u(a, 0.5, out=out, where=mask)
    np.testing.assert_array_equal(out[mask], a[mask] + 0.5)
    assert np.isnan(out[~mask]).all()


def test_strided_and_non_contiguous_views(tl):
    ffi, lib = tl
    f = lib.add_double
    u = ffi.ufunc(f)
    ref = reference(f, np.float64)
    rng = np.random.default_rng(3)
    base = rng.standard_normal((6, 10))
    views = [
        base[:, ::3],  # strided columns
        base[::-1],  # negative strides
        base.T,  # transposed
        np.asfortranarray(base),  # Fortran order
        base[1:5, 2:9:2],
    ]
    for v in views:
        assert_same(u(v, v[::-1]), ref(v, v[::-1]))
    # An output view with strides of its own.
    out = np.zeros((6, 20))[:, ::2]
    u(base, 1.0, out=out)
    np.testing.assert_array_equal(out, base + 1.0)
    # Unaligned data (numpy copies it to aligned buffers or the loop reads it unaligned).
    raw = np.zeros(8 * 10 + 1, dtype=np.uint8)[1:].view(np.float64)
    raw[:] = np.arange(10.0)
    assert_same(u(raw, raw), ref(raw, raw))


def test_casting_follows_numpys_rules(tl):
    ffi, lib = tl
    d = ffi.ufunc(lib.add_double)
    ints = np.arange(5, dtype=np.int32)
    # int32 -> double is a safe cast: numpy converts, as the scalar call converts ints.
    assert_same(d(ints, ints), reference(lib.add_double, np.float64)(ints, ints))
    i = ffi.ufunc(lib.add_int32)
    floats = np.array([1.5, -2.5])
    # double -> int32 is not safe: numpy refuses, and so does the scalar call.
    with pytest.raises(TypeError):
        i(floats, 1)
    with pytest.raises(TypeError):
        lib.add_int32(1.5, 1)
    # Asked for, numpy casts unsafely (truncating), before C sees the values.
    np.testing.assert_array_equal(i(floats, 1, casting="unsafe", dtype=np.int32), [2, -1])
    # A wider integer than the parameter: refused unless asked for.
    with pytest.raises(TypeError):
        i(np.array([2**40]), 1)
    # dtype= picks the loop's dtype for the inputs and result.
    assert_same(d(ints, 1, dtype=np.float64), ints + 1.0)


def test_empty_arrays(tl):
    ffi, lib = tl
    u = ffi.ufunc(lib.add_double)
    for shape in [(0,), (3, 0), (0, 4)]:
        got = u(np.zeros(shape), 1.0)
        assert got.shape == shape and got.dtype == np.float64
    ffi.errno = 7
    ffi.ufunc(lib.checked_div)(np.zeros(0, np.int32), np.zeros(0, np.int32))
    assert ffi.errno == 7


def test_errno_is_what_the_last_call_left(tl):
    """Each run of the loop restores ffi.errno before its first call and saves it after its
    last: after the ufunc, ffi.errno is what calling the scalar function on each element in
    turn would leave. C functions set errno only on failure, so with ffi.errno = 0 before,
    a non-zero value after says that some element failed."""
    ffi, lib = tl
    u = ffi.ufunc(lib.checked_div)
    a = np.array([6, 1, 8], dtype=np.int32)
    b = np.array([3, 0, 2], dtype=np.int32)
    ffi.errno = 0
    np.testing.assert_array_equal(u(a, b), [2, 0, 4])
    after_ufunc = ffi.errno
    ffi.errno = 0
    for x, y in zip(a.tolist(), b.tolist()):
        lib.checked_div(x, y)
    assert after_ufunc == ffi.errno == 33  # EDOM, from the second element
    ffi.errno = 0
    u(a, np.array([3, 1, 2], dtype=np.int32))
    assert ffi.errno == 0
    ffi.errno = 5
    # A function that sets errno sees the value ffi.errno set.
    np.testing.assert_array_equal(ffi.ufunc(lib.set_errno)(np.array([9, 11], np.int32)), [-1, -1])
    assert ffi.errno == 11


@pytest.mark.parametrize(
    "name,message",
    [
        ("divmod", "parameter 3 ('int *') of 'void(*)(int, int, int *, int *)' is a pointer"),
        ("sum_doubles", "parameter 1 ('double *') of"),
        ("point_sum", "parameter 1 ('point_t') of 'int(*)(point_t)' is a struct or union"),
        ("number_as_int", "is a struct or union"),
        ("make_point", "the result ('point_t') of 'point_t(*)(int, int)' is a struct or union"),
        ("greeting", "has no parameters"),
        ("noargs", "has no parameters"),
        ("point_translate", "parameter 1 ('point_t *')"),
        ("sum_var", "'int(*)(int, ...)' is variadic"),
        ("id_char", "parameter 1 ('char') of 'char(*)(char)' is a character"),
        ("id_wchar", "is a character"),
        ("free_string", "parameter 1 ('char *')"),
        ("apply", "parameter 1 ('int(*)(int)') of"),
    ],
)
def test_refused_signatures_name_the_parameter(tl, name, message):
    ffi, lib = tl
    with pytest.raises(TypeError) as info:
        ffi.ufunc(getattr(lib, name))
    assert message in str(info.value)


def test_void_result_is_refused(tl):
    ffi, lib = tl
    with pytest.raises(TypeError, match=r"the result \('void'\) of 'void\(\*\)\(int\)' is void"):
        ffi.ufunc(ffi.cast("void(*)(int)", lib.id_int))


def test_what_is_not_a_function(tl):
    ffi, lib = tl
    with pytest.raises(TypeError, match="expects a C function, not cdata 'int \\*'"):
        ffi.ufunc(ffi.new("int *"))
    with pytest.raises(TypeError, match="expects a function cdata"):
        ffi.ufunc(lib.add_double.__call__)
    with pytest.raises(ValueError, match="NULL"):
        ffi.ufunc(ffi.cast("double(*)(double)", 0))


def test_name_and_doc(tl):
    ffi, lib = tl
    u = ffi.ufunc(lib.add_double, name="plus", doc="Adds two doubles.")
    assert u.__name__ == "plus"
    assert repr(u) == "<ufunc 'plus'>"
    assert "Adds two doubles." in u.__doc__
    # A function pointer cast from an address is named by the symbol at that address.
    p = ffi.cast("double(*)(double, double)", ffi.cast("intptr_t", lib.add_double))
    assert ffi.ufunc(p).__name__ == "add_double"
    assert "double(*)(double, double)" in ffi.ufunc(p).__doc__
    with pytest.raises(ValueError):
        ffi.ufunc(lib.add_double, name="a\0b")


def test_the_ufunc_keeps_the_function_and_its_library_alive(testlib_path, testlib_h):
    def make():
        ffi = rffi.FFI()
        ffi.cdef(testlib_h)
        lib = ffi.dlopen(str(testlib_path))
        f = lib.add_double
        u = ffi.ufunc(f)
        ffi.dlclose(lib)  # the cdata still holds the library, so it stays mapped
        return u, weakref.ref(f)

    u, ref = make()
    gc.collect()
    assert ref() is not None
    np.testing.assert_array_equal(u(np.arange(3.0), 1.0), [1.0, 2.0, 3.0])
    del u
    gc.collect()
    assert ref() is None


def test_two_threads_run_at_once(tl):
    """Each element of thread A's ufunc waits (up to 10 s) until thread B's loop has
    started, and the reverse: both see the other only if neither loop holds the GIL. If one
    did, the other could not start, the first wait would time out and every later element
    would return 0 at once (a failure, not a hang)."""
    ffi, lib = tl
    u = ffi.ufunc(lib.peer_seen)
    lib.peers_reset()
    results = {}

    def run(side):
        results[side] = u(np.full(20_000, side, dtype=np.int32), 10_000)

    threads = [threading.Thread(target=run, args=(side,)) for side in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert set(results) == {0, 1}
    assert results[0].all() and results[1].all(), (results[0].min(), results[1].min())


def test_the_rendezvous_fails_without_a_peer(tl):
    """The check above can fail: one side alone never sees its peer."""
    ffi, lib = tl
    lib.peers_reset()
    got = ffi.ufunc(lib.peer_seen)(np.zeros(3, dtype=np.int32), 50)
    np.testing.assert_array_equal(got, [0, 0, 0])
    lib.peers_reset()


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_import_rffi_does_not_import_numpy(testlib_path):
    result = run_python(
        f"""
        import sys
        import rffi
        ffi = rffi.FFI()
        ffi.cdef("double add_double(double, double);")
        lib = ffi.dlopen({str(testlib_path)!r})
        assert lib.add_double(1.0, 2.0) == 3.0
        assert "numpy" not in sys.modules, "numpy imported"
        u = ffi.ufunc(lib.add_double)
        assert "numpy" in sys.modules
        print(u(1.0, 2.0))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3.0"


def test_missing_numpy_is_a_clear_import_error(testlib_path):
    result = run_python(
        f"""
        import sys
        sys.modules["numpy"] = None  # as if numpy were not installed
        import rffi
        ffi = rffi.FFI()
        ffi.cdef("double add_double(double, double);")
        lib = ffi.dlopen({str(testlib_path)!r})
        try:
            ffi.ufunc(lib.add_double)
        except ImportError as e:
            print(e)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "ffi.ufunc() needs numpy" in result.stdout


def test_ufunc_methods_come_from_numpy(tl):
    """reduce, accumulate, outer and at work as for any binary ufunc without an identity."""
    ffi, lib = tl
    u = ffi.ufunc(lib.add_int64)
    a = np.arange(1, 6, dtype=np.int64)
    assert u.reduce(a) == 15
    np.testing.assert_array_equal(u.accumulate(a), np.cumsum(a))
    assert_same(u.outer(a, a), np.add.outer(a, a))
    b = np.zeros(3, dtype=np.int64)
    u.at(b, [0, 0, 2], 5)
    np.testing.assert_array_equal(b, [10, 0, 5])
    with pytest.raises(ValueError):
        u.reduce(np.zeros(0, dtype=np.int64))  # no identity, as the ufunc has none
