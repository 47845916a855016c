"""libtestlib through each backend: checks the C test library itself (under cffi) and gives
rffi a first differential target. Where cffi's ABI mode refuses something (unions and complex
numbers by value, const globals) the test pins cffi's refusal and leaves rffi free."""

from __future__ import annotations

import math

import pytest

INT_LIMITS = {
    "schar": (-(2**7), 2**7 - 1),
    "uchar": (0, 2**8 - 1),
    "short": (-(2**15), 2**15 - 1),
    "ushort": (0, 2**16 - 1),
    "int": (-(2**31), 2**31 - 1),
    "uint": (0, 2**32 - 1),
    "long": (-(2**63), 2**63 - 1),
    "ulong": (0, 2**64 - 1),
    "longlong": (-(2**63), 2**63 - 1),
    "ulonglong": (0, 2**64 - 1),
    "int8": (-(2**7), 2**7 - 1),
    "uint8": (0, 2**8 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
    "size": (0, 2**64 - 1),
    "ssize": (-(2**63), 2**63 - 1),
    "intptr": (-(2**63), 2**63 - 1),
    "uintptr": (0, 2**64 - 1),
    "ptrdiff": (-(2**63), 2**63 - 1),
}


def test_add(testlib):
    _, lib = testlib
    assert lib.add(1, 2) == 3
    assert lib.nop(1.5, 2.0, 3.0) == 1.5
    before = lib.noargs_calls()
    assert lib.noargs() is None
    assert lib.noargs_calls() == before + 1


@pytest.mark.parametrize("name", sorted(INT_LIMITS))
def test_integer_identity_at_limits(testlib, name):
    _, lib = testlib
    low, high = INT_LIMITS[name]
    identity = getattr(lib, "id_" + name)
    for value in (low, high, 0, 1):
        assert identity(value) == value
    with pytest.raises(OverflowError):
        identity(high + 1)


def test_integer_addition(testlib):
    _, lib = testlib
    assert lib.add_uchar(200, 100) == 44  # wraps in C
    assert lib.add_schar(-100, 27) == -73
    assert lib.add_ulonglong(2**63, 2**62) == 2**63 + 2**62
    assert lib.add_int64(-(2**40), 1) == -(2**40) + 1
    assert lib.add_size(2**33, 7) == 2**33 + 7
    assert lib.add_ssize(-5, 3) == -2


def test_characters_and_bool(testlib):
    _, lib = testlib
    assert lib.id_char(b"a") == b"a"
    assert lib.id_wchar("\u00e9") == "\u00e9"
    assert lib.id_char16("\u20ac") == "\u20ac"
    assert lib.id_char32("\U0001f600") == "\U0001f600"
    assert lib.id_bool(True) is True
    assert lib.not_bool(True) is False
    assert lib.char_is_signed() == 1


def test_floating_point(testlib):
    ffi, lib = testlib
    assert lib.id_float(0.1) == pytest.approx(0.1, rel=1e-7)
    assert lib.id_float(0.1) != 0.1  # rounded to float precision
    assert lib.id_double(0.1) == 0.1
    assert lib.add_float(1.5, 2.25) == 3.75
    assert math.isinf(lib.id_double(math.inf))
    long_double = lib.add_longdouble(1.5, 2.0)
    assert ffi.typeof(long_double) is ffi.typeof("long double")
    assert float(long_double) == 3.5


def test_complex_by_value(testlib, backend_name):
    _, lib = testlib
    if backend_name == "cffi":
        with pytest.raises(NotImplementedError):
            lib.mul_dcomplex(1 + 2j, 3 - 1j)
    else:
        assert lib.mul_dcomplex(1 + 2j, 3 - 1j) == (1 + 2j) * (3 - 1j)
        assert lib.id_fcomplex(1.5 - 2j) == 1.5 - 2j


def test_out_params_and_arrays(testlib):
    ffi, lib = testlib
    q, r = ffi.new("int *"), ffi.new("int *")
    lib.divmod(17, 5, q, r)
    assert (q[0], r[0]) == (3, 2)
    a, b = ffi.new("int *", 1), ffi.new("int *", 2)
    lib.swap_ints(a, b)
    assert (a[0], b[0]) == (2, 1)
    assert lib.sum_ints(ffi.new("int[]", [1, 2, 3, 4]), 4) == 10
    assert lib.sum_ints([5, 6], 2) == 11  # a list converts to a temporary array
    out = ffi.new("double[5]")
    lib.fill_doubles(out, 5, 1.0, 0.5)
    assert list(out) == [1.0, 1.5, 2.0, 2.5, 3.0]
    assert lib.sum_doubles(out, 5) == 10.0
    assert lib.sum_bytes(b"\x01\x02\xff", 3) == 258


def test_returned_pointers(testlib):
    ffi, lib = testlib
    p = lib.static_int_ptr()
    assert p[0] == 42
    pp = ffi.new("int **")
    lib.get_static_int_ptr(pp)
    assert pp[0] == p
    assert lib.is_null(ffi.NULL) == 1
    assert lib.is_null(p) == 0


def test_strings(testlib):
    ffi, lib = testlib
    assert lib.my_strlen(b"hello") == 5
    assert ffi.string(lib.greeting()) == b"hello, world"
    buf = ffi.new("char[]", b"shout")
    lib.to_upper(buf)
    assert ffi.string(buf) == b"SHOUT"
    joined = lib.join_words(b"big", b"cat")
    assert ffi.string(joined) == b"big cat"
    lib.free_string(joined)
    assert lib.count_char(b"banana", b"a") == 3
    assert lib.wide_len("h\u00e9llo") == 5


def test_enums(testlib):
    ffi, lib = testlib
    assert (lib.RED, lib.GREEN, lib.BLUE, lib.NEGATIVE_COLOR) == (0, 5, 6, -1)
    assert lib.next_color(lib.GREEN) == lib.BLUE
    assert ffi.string(lib.color_name(lib.BLUE)) == b"blue"
    assert (lib.TESTLIB_VERSION, lib.TESTLIB_MASK, lib.TESTLIB_NEGATIVE) == (3, 255, -7)


def test_small_structs_by_value(testlib):
    ffi, lib = testlib
    p = lib.make_point(3, 4)
    assert (p.x, p.y) == (3, 4)
    assert lib.point_sum(p) == 7
    q = lib.point_add(p, {"x": 10, "y": 20})
    assert (q.x, q.y) == (13, 24)
    m = lib.make_mixed(b"A", 0.5)
    assert (m.c, m.d) == (b"A", 0.5)
    assert lib.mixed_sum(m) == 65.5
    f = lib.make_floats2(1.5, 2.0)
    assert lib.floats2_dot(f, f) == 6.25
    t = lib.make_chars3(b"a", b"b", b"c")
    assert lib.chars3_sum(t) == 97 + 98 + 99


def test_large_and_nested_structs_by_value(testlib):
    ffi, lib = testlib
    b = lib.make_big(1, 2, 3, 0.5)
    assert (b.a, b.b, b.c, b.d) == (1, 2, 3, 0.5)
    assert lib.big_sum(b) == 6.5
    assert lib.big_sum(lib.big_scale(b, 3)) == 19.5
    w = lib.make_with_array(10)
    assert list(w.values) == [10, 11, 12, 13]
    assert lib.with_array_sum(w) == 46
    r = lib.make_rect(lib.make_point(1, 1), lib.make_point(4, 5))
    assert lib.rect_area(r) == 12
    assert lib.rect_area_ptr(ffi.new("struct rect *", r)) == 12
    n = lib.make_nested(1, 2, b"\x03", 0.5, 4)
    assert (n.p.y, n.m.d, n.s) == (2, 0.5, 4)
    assert lib.nested_sum(n) == 10.5


def test_struct_pointers_and_bitfields(testlib):
    ffi, lib = testlib
    p = ffi.new("point_t *", [1, 2])
    lib.point_translate(p, 10, 20)
    assert (p.x, p.y) == (11, 22)
    f = ffi.new("struct flags *")
    lib.flags_set(f, 1, 5, -3, 1000)
    assert (f.a, f.b, f.c, f.d) == (1, 5, -3, 1000)
    f.c = 7
    assert lib.flags_pack(f) == 1 | 5 << 1 | 7 << 4 | 1000 << 8
    c = lib.counter_new(5)
    assert [lib.counter_next(c) for _ in range(3)] == [5, 6, 7]
    lib.counter_free(c)


def test_unions_by_value(testlib, backend_name):
    _, lib = testlib
    if backend_name == "cffi":
        with pytest.raises(NotImplementedError):
            lib.number_from_int(7)
    else:
        assert lib.number_as_int(lib.number_from_int(7)) == 7
        assert lib.number_as_double(lib.number_from_double(2.5)) == 2.5


def test_variadic(testlib):
    ffi, lib = testlib
    ints = [ffi.cast("int", i) for i in (1, 2, 3)]
    assert lib.sum_var(3, *ints) == 6
    assert lib.sum_var_d(2, ffi.cast("double", 1.5), ffi.cast("double", 2.25)) == 3.75
    args = [ffi.cast("int", 1), ffi.cast("long long", 2**40), ffi.cast("double", 3.9)]
    assert lib.sum_var_mixed(b"ild", *args) == 1 + 2**40 + 3
    buf = ffi.new("char[64]")
    n = lib.format_into(buf, 64, b"%d-%s-%.1f", ffi.cast("int", 7), ffi.new("char[]", b"x"),
                        ffi.cast("double", 2.5))
    assert ffi.string(buf) == b"7-x-2.5"
    assert n == 7


def test_variadic_calls_alternating_extra_types(testlib):
    # Each list of extra types gets its own call plan (rffi keeps them per list):
    # alternating lists, each seen again, must each use theirs.
    ffi, lib = testlib

    def i(v):
        return ffi.cast("int", v)

    def ll(v):
        return ffi.cast("long long", v)

    def d(v):
        return ffi.cast("double", v)

    for _ in range(3):
        assert lib.sum_var_mixed(b"ild", i(1), ll(2**40), d(3.9)) == 1 + 2**40 + 3
        assert lib.sum_var_mixed(b"dli", d(-2.5), ll(-(2**41)), i(7)) == -2 - 2**41 + 7
        assert lib.sum_var_mixed(b"ii", i(4), i(5)) == 9
        assert lib.sum_var_mixed(b"") == 0
        assert lib.sum_var(2, ffi.cast("short", 3), ffi.cast("char", b"\x04")) == 7


def test_globals(testlib):
    ffi, lib = testlib
    lib.counter = 10
    assert lib.bump_counter() == 11
    assert lib.counter == 11
    assert list(lib.gains) == [0.5, 1.0, 1.5, 2.0]
    lib.gains[3] = 10.0
    assert lib.gains_sum() == 13.0
    lib.gains[3] = 2.0
    assert (lib.origin_point.x, lib.origin_point.y) == (3, 4)
    assert lib.origin_sum() == 7
    assert ffi.string(lib.greeting_ptr) == b"hello, world"
    assert lib.call_binop(2, 3) == 5
    assert lib.binop(2, 3) == 5


def test_function_pointer_global_can_be_replaced(testlib):
    ffi, lib = testlib
    original = lib.binop
    mul = ffi.callback("int(int, int)", lambda a, b: a * b)
    lib.binop = mul
    try:
        assert lib.call_binop(6, 7) == 42
    finally:
        lib.binop = original
    assert lib.call_binop(6, 7) == 13


def test_const_global(testlib, backend_name):
    _, lib = testlib
    if backend_name == "cffi":
        with pytest.raises(NotImplementedError):
            lib.answer
    else:
        assert lib.answer == 42


def test_errno(testlib):
    ffi, lib = testlib
    assert lib.set_errno(42) == -1
    assert ffi.errno == 42
    ffi.errno = 0
    assert lib.checked_div(1, 0) == 0
    assert ffi.errno == 33  # EDOM
    assert lib.checked_div(9, 3) == 3


def test_callbacks(testlib):
    ffi, lib = testlib
    square = ffi.callback("int(int)", lambda x: x * x)
    assert lib.apply(square, 7) == 49
    assert lib.apply_n(ffi.callback("int(int)", lambda x: x + 2), 0, 5) == 10
    assert lib.apply_double(ffi.callback("double(double)", lambda x: x / 4), 1.0) == 0.25
    plus = ffi.callback("int(int, int)", lambda a, b: a + b)
    assert lib.fold_ints([1, 2, 3, 4], 4, plus, 100) == 110

    @ffi.callback("int(const void *, const void *)")
    def descending(a, b):
        x, y = ffi.cast("int *", a)[0], ffi.cast("int *", b)[0]
        return (x < y) - (x > y)

    values = ffi.new("int[]", [3, 1, 4, 1, 5])
    lib.sort_ints(values, 5, descending)
    assert list(values) == [5, 4, 3, 1, 1]


def test_callback_with_userdata_and_structs(testlib):
    ffi, lib = testlib
    seen = []
    handle = ffi.new_handle(seen)

    @ffi.callback("void(void *, int)")
    def collect(userdata, x):
        ffi.from_handle(userdata).append(x)

    lib.call_with_userdata(collect, handle, 9)
    assert seen == [9]
    swap = ffi.callback("struct point(struct point)", lambda p: {"x": p.y, "y": p.x})
    q = lib.apply_point(swap, lib.make_point(1, 2))
    assert (q.x, q.y) == (2, 1)

    @ffi.callback("double(int, double, char, float, long long)")
    def combine(a, b, c, d, e):
        return a + b + ord(c) + d + e / 1e12

    assert lib.apply_many(combine, 4) == 4 + 2.0 + 4 + 1.0 + 4.0


def test_many_arguments(testlib):
    _, lib = testlib
    assert lib.many_ints(*range(1, 9)) == sum((i + 1) * (i + 1) for i in range(8))
    doubles = [0.5 * i for i in range(10)]
    assert lib.many_doubles(*doubles) == sum((i + 1) * x for i, x in enumerate(doubles))
    args = [1, 2.0, b"\x03", 4.0, 5, 6.0, 7, 8.0, 9, 10.0, 11, 12.0, 13, 14.0]
    numeric = [ord(a) if isinstance(a, bytes) else a for a in args]
    assert lib.many_mixed(*args) == sum((i + 1) * x for i, x in enumerate(numeric))


def test_variadic_arguments_from_another_ffi(testlib, backend):
    # A cdata made by another FFI is passed as its own type: a struct pointer that FFI declared
    # (its type id means nothing in this FFI's registry) and a shared builtin.
    ffi, lib = testlib
    other = backend()
    other.cdef("struct never_here { int a; };")
    p = other.new("struct never_here *")
    buf = ffi.new("char[64]")
    n = lib.format_into(buf, 64, b"%d %p", other.cast("int", 5), p)
    assert ffi.string(buf).startswith(b"5 0x")
    assert n == len(ffi.string(buf))
