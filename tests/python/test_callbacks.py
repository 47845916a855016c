"""Callbacks (C calling Python) and handles, run under both cffi and rffi."""

import subprocess
import sys

import pytest


def _int_division_by_zero() -> str:
    """The message of ``1 // 0``, which CPython 3.14 changed ("division by zero")."""
    try:
        1 // 0  # noqa: B018
    except ZeroDivisionError as e:
        return str(e)
    raise AssertionError("1 // 0 did not raise")


DIVISION_BY_ZERO = _int_division_by_zero()


def qsort_ffi(backend):
    ffi = backend()
    ffi.cdef(
        "void qsort(void *base, size_t nmemb, size_t size,"
        " int (*compar)(const void *, const void *));"
    )
    return ffi, ffi.dlopen(None)


def test_qsort_with_a_python_comparator(backend):
    ffi, libc = qsort_ffi(backend)

    @ffi.callback("int(const void *, const void *)")
    def compare(a, b):
        x, y = ffi.cast("int *", a)[0], ffi.cast("int *", b)[0]
        return (x > y) - (x < y)

    values = ffi.new("int[]", [5, 3, 9, 1, 7, -2])
    libc.qsort(values, len(values), ffi.sizeof("int"), compare)
    assert list(values) == [-2, 1, 3, 5, 7, 9]
    assert repr(compare).startswith("<cdata 'int(*)(void *, void *)' calling <function ")
    assert ffi.typeof(compare).kind == "function"


def test_callback_called_from_python(backend):
    ffi = backend()
    square = ffi.callback("int(*)(int)", lambda x: x * x)
    assert square(12) == 144
    twice = ffi.callback("double(double)", lambda x: 2 * x)
    assert twice(1.25) == 2.5


@pytest.fixture
def unraisable(monkeypatch):
    """The reports that would go to sys.unraisablehook."""
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    return seen


def test_exception_gives_error_value_and_is_reported(backend, unraisable):
    ffi = backend()

    def broken(x):
        raise ValueError("boom %d" % x)

    cb = ffi.callback("int(int)", broken, error=-7)
    assert cb(3) == -7
    assert ffi.callback("short(int)", broken)(1) == 0
    assert [r.exc_type for r in unraisable] == [ValueError, ValueError]
    assert str(unraisable[0].exc_value) == "boom 3"
    assert unraisable[0].err_msg.startswith("Exception ignored from cffi callback <function ")


@pytest.mark.parametrize("module", ["cffi", "rffi"])
def test_default_report_goes_to_stderr(module, tmp_path):
    script = tmp_path / "report.py"
    script.write_text(
        f"from {module} import FFI\n"
        "ffi = FFI()\n"
        "def broken(x):\n"
        "    return 1 // 0\n"
        "print(ffi.callback('int(int)', broken, error=3)(1))\n"
    )
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert run.stdout == "3\n"
    assert run.stderr.startswith("Exception ignored from cffi callback <function broken at 0x")
    assert f"ZeroDivisionError: {DIVISION_BY_ZERO}" in run.stderr


def test_onerror_replaces_the_result(backend, capfd):
    ffi = backend()
    seen = []

    def onerror(exc_type, exc_value, tb):
        seen.append((exc_type, str(exc_value), tb is not None))
        return 42

    cb = ffi.callback("int(int)", lambda x: 1 // x, onerror=onerror)
    assert cb(0) == 42
    assert seen == [(ZeroDivisionError, DIVISION_BY_ZERO, True)]
    assert capfd.readouterr().err == ""


def test_wrong_result_type_is_reported_not_crashed(backend, unraisable):
    ffi = backend()
    cb = ffi.callback("int(int)", lambda x: "not an int", error=5)
    assert cb(1) == 5
    assert [r.exc_type for r in unraisable] == [TypeError]


def test_callback_refuses_bad_arguments(backend):
    ffi = backend()
    with pytest.raises(TypeError):
        ffi.callback("int(int)", 42)
    with pytest.raises(TypeError):
        ffi.callback("int", lambda: 0)


def test_handles_round_trip(backend):
    ffi = backend()
    payload = {"key": [1, 2, 3]}
    h = ffi.new_handle(payload)
    assert ffi.typeof(h) is ffi.typeof("void *")
    assert ffi.from_handle(h) is payload
    assert ffi.from_handle(ffi.cast("void *", h)) is payload


def test_from_handle_misuse_raises_in_rffi():
    # cffi crashes or returns garbage here; rffi raises.
    from rffi import FFI

    ffi = FFI()
    with pytest.raises(RuntimeError):
        ffi.from_handle(ffi.NULL)
    with pytest.raises(RuntimeError):
        ffi.from_handle(ffi.cast("void *", 0x1234))
    h = ffi.new_handle(object())
    address = int(ffi.cast("intptr_t", h))
    del h
    with pytest.raises(RuntimeError):
        ffi.from_handle(ffi.cast("void *", address))


# ---- argument and result conversions, one per kind of C type ----

INT_TYPES = [
    ("int8_t", -(2**7), 2**7 - 1),
    ("uint8_t", 0, 2**8 - 1),
    ("int16_t", -(2**15), 2**15 - 1),
    ("uint16_t", 0, 2**16 - 1),
    ("int32_t", -(2**31), 2**31 - 1),
    ("uint32_t", 0, 2**32 - 1),
    ("int64_t", -(2**63), 2**63 - 1),
    ("uint64_t", 0, 2**64 - 1),
]


@pytest.mark.parametrize("ctype, lo, hi", INT_TYPES)
def test_integer_arguments_and_results_at_their_limits(backend, ctype, lo, hi):
    ffi = backend()
    seen = []

    def echo(x):
        seen.append(x)
        return x

    cb = ffi.callback(f"{ctype}({ctype})", echo)
    for v in (lo, hi, 0, 1, lo + 1, hi - 1):
        assert cb(v) == v
    assert seen == [lo, hi, 0, 1, lo + 1, hi - 1]
    assert all(type(x) is int for x in seen)


@pytest.mark.parametrize("ctype, lo, hi", INT_TYPES)
def test_integer_result_out_of_range_is_reported(backend, unraisable, ctype, lo, hi):
    ffi = backend()
    cb = ffi.callback(f"{ctype}(int)", lambda i: (lo - 1, hi + 1, 2**200, -(2**200))[i], error=7)
    assert [cb(i) for i in range(4)] == [7, 7, 7, 7]
    assert [r.exc_type for r in unraisable] == [OverflowError] * 4
    assert all(
        r.err_msg.startswith("Exception ignored from cffi callback <function ") for r in unraisable
    )


def int_like_results(backend, unraisable):
    """What a callback returning int gives C for int-like objects, and what it reports."""
    ffi = backend()

    class Small(int):
        pass

    class WithInt:
        def __int__(self):
            return 12

    class WithIndex:
        def __index__(self):
            return 13

    values = [True, Small(11), WithInt(), WithIndex(), ffi.cast("int", 14), 15.0, "16", None]
    unraisable.clear()
    cb = ffi.callback("int(int)", lambda i: values[i], error=-1)
    out = [cb(i) for i in range(len(values))]
    short = ffi.callback("short(int)", lambda i: values[i], error=-1)
    assert [short(i) for i in range(len(values))] == out
    negative = ffi.callback("unsigned int(int)", lambda i: -1, error=3)
    assert negative(0) == 3
    return out, [(r.exc_type, str(r.exc_value)) for r in unraisable]


def test_integer_results_from_int_like_objects(unraisable):
    import cffi
    import rffi

    expected = int_like_results(cffi.FFI, unraisable)
    assert int_like_results(rffi.FFI, unraisable) == expected
    assert expected[0] == [1, 11, 12, -1, 14, -1, -1, -1]


def test_enum_arguments_and_results(backend):
    ffi = backend()
    ffi.cdef("enum color { RED, GREEN = 5, BLUE = -3 };")
    seen = []

    def shift(c):
        seen.append(c)
        return c + 1 if c != 5 else "GREEN"

    cb = ffi.callback("enum color(enum color)", shift, error=99)
    assert cb(0) == 1
    assert cb(-3) == -2
    assert seen == [0, -3]
    assert all(type(x) is int for x in seen)


def test_bool_arguments_and_results(backend, unraisable):
    ffi = backend()
    seen = []

    def negate(b):
        seen.append(b)
        return not b

    cb = ffi.callback("_Bool(_Bool)", negate)
    assert cb(True) is False
    assert cb(False) is True
    assert seen == [True, False]
    assert all(type(x) is bool for x in seen)
    bad = ffi.callback("_Bool(int)", lambda i: (2, -1, "yes", 1)[i], error=True)
    assert [bad(i) for i in range(4)] == [True, True, True, True]
    assert [r.exc_type for r in unraisable] == [OverflowError, OverflowError, TypeError]


def test_char_arguments_and_results(backend, unraisable):
    ffi = backend()
    seen = []

    def upper(c):
        seen.append(c)
        return c.upper()

    cb = ffi.callback("char(char)", upper)
    assert cb(b"a") == b"A"
    assert cb(b"\xff") == b"\xff"
    assert cb(b"\x00") == b"\x00"
    assert seen == [b"a", b"\xff", b"\x00"]
    bad = ffi.callback("char(int)", lambda i: (b"ab", "a", 65)[i], error=b"?")
    assert [bad(i) for i in range(3)] == [b"?", b"?", b"?"]
    assert [r.exc_type for r in unraisable] == [TypeError] * 3


@pytest.mark.parametrize("ctype", ["float", "double"])
def test_floating_arguments_and_results(backend, unraisable, ctype):
    ffi = backend()
    seen = []

    def third(x):
        seen.append(x)
        return x / 3

    cb = ffi.callback(f"{ctype}({ctype})", third)
    assert cb(1.0) == pytest.approx(1 / 3, rel=1e-6)
    assert cb(-2.5e30) == pytest.approx(-2.5e30 / 3, rel=1e-6)
    assert cb(float("inf")) == float("inf")
    assert all(type(x) is float for x in seen)
    if ctype == "float":
        # the argument and the result are rounded to single precision
        assert seen[1] == float(ffi.cast("float", -2.5e30))
        assert cb(1.0) == float(ffi.cast("float", 1 / 3))
    else:
        assert cb(1.0) == 1 / 3

    class Real(float):
        pass

    class WithFloat:
        def __float__(self):
            return 4.5

    others = [7, Real(1.5), WithFloat(), ffi.cast("double", 2.25), 2**70, "1.0", None, 10**400]
    conv = ffi.callback(f"{ctype}(int)", lambda i: others[i], error=-1.0)
    out = [conv(i) for i in range(len(others))]
    assert out[:5] == [7.0, 1.5, 4.5, 2.25, float(ffi.cast(ctype, 2**70))]
    assert out[5:] == [-1.0, -1.0, -1.0]
    assert [r.exc_type for r in unraisable] == [TypeError, TypeError, OverflowError]


def test_pointer_arguments(backend):
    ffi = backend()
    seen = []

    def take(p, v, s):
        seen.append((p[0], v, ffi.string(s)))
        p[0] += 1
        return p[0]

    cb = ffi.callback("int(int *, void *, char *)", take)
    box = ffi.new("int *", 41)
    text = ffi.new("char[]", b"hello")
    assert cb(box, ffi.NULL, text) == 42
    assert box[0] == 42
    assert seen[0][0] == 41
    assert seen[0][1] == ffi.NULL
    assert seen[0][2] == b"hello"
    assert ffi.typeof(cb).args[0] is ffi.typeof("int *")


def test_pointer_arguments_kept_by_the_function_keep_their_values(backend):
    # A callback that stores its arguments must find them unchanged after later calls.
    ffi = backend()
    kept = []

    @ffi.callback("int(const int *, const int *)")
    def compare(a, b):
        kept.append((a, b, a[0], b[0]))
        return (a[0] > b[0]) - (a[0] < b[0])

    values = ffi.new("int[]", [9, 4, 7, 1, 8, 2, 6, 3, 5, 0])
    ffi.cdef("void qsort(void *, size_t, size_t, int (*)(const int *, const int *));")
    libc = ffi.dlopen(None)
    libc.qsort(values, len(values), ffi.sizeof("int"), compare)
    assert list(values) == list(range(10))
    addresses = set()
    for a, b, _, _ in kept:
        addresses.add(int(ffi.cast("intptr_t", a)))
        addresses.add(int(ffi.cast("intptr_t", b)))
        assert ffi.typeof(a) is ffi.typeof("const int *")
    # the arguments point into the array (or a copy qsort made), never anywhere else
    assert len(addresses) > 2


def test_pointer_arguments_seen_through_weak_references_die_with_the_call(backend):
    import weakref

    ffi = backend()
    refs = []

    @ffi.callback("int(int *)")
    def read(p):
        refs.append(weakref.ref(p))
        return p[0]

    box = ffi.new("int *", 3)
    assert [read(box), read(box), read(box)] == [3, 3, 3]
    assert [r() for r in refs] == [None, None, None]


def test_pointer_arguments_after_the_function_kept_then_dropped_one(backend):
    # A stored argument that is dropped later does not disturb the next calls.
    ffi = backend()
    kept = []

    @ffi.callback("int(int *)")
    def read(p):
        if len(kept) < 2:
            kept.append(p)
        return p[0]

    boxes = [ffi.new("int *", i) for i in range(6)]
    assert [read(b) for b in boxes] == list(range(6))
    assert [k[0] for k in kept] == [0, 1]
    kept.clear()
    assert [read(b) for b in boxes] == list(range(6))
    assert [k[0] for k in kept] == [0, 1]


def test_pointer_arguments_kept_in_every_way_keep_their_values(backend):
    # rffi reuses a pointer argument's object when only the callback held it (refcount 1, no
    # weak reference). Each way Python code can keep an argument past the call must leave a
    # reference behind, on every CPython: 3.14 borrows references on the operand stack
    # without counting them, and frames, generators and tracebacks own their locals.
    import functools
    import sys

    ffi = backend()
    boxes = [ffi.new("int *", 100 + i) for i in range(8)]
    kept: dict[str, object] = {}
    cell = None
    holder = type("Holder", (), {})()

    def suspended(q):
        yield q

    def keep(n, p):
        nonlocal cell
        if n == 0:
            cell = p
        elif n == 1:
            globals()["_kept_pointer_argument"] = p
        elif n == 2:
            kept["generator"] = suspended(p)
        elif n == 3:
            kept["frame"] = sys._getframe()
        elif n == 4:
            try:
                raise ValueError(p)
            except ValueError as e:
                kept["exception"] = e
        elif n == 5:
            holder.p = p
        elif n == 6:
            kept["partial"] = functools.partial(print, p)
        return p[0]

    cb = ffi.callback("int(int, int *)", keep)
    assert [cb(n, boxes[n]) for n in range(7)] == [100 + n for n in range(7)]
    for _ in range(3):  # more calls, which would reuse a spare object
        assert cb(7, boxes[7]) == 107
    found = [
        cell,
        globals().pop("_kept_pointer_argument"),
        next(kept["generator"]),
        kept["frame"].f_locals["p"],
        kept["exception"].args[0],
        holder.p,
        kept["partial"].args[0],
    ]
    def address(p):
        return int(ffi.cast("intptr_t", p))

    assert [address(p) for p in found] == [address(b) for b in boxes[:7]]
    assert [p[0] for p in found] == [100 + n for n in range(7)]


def test_function_pointer_arguments(backend):
    ffi = backend()
    double = ffi.callback("int(int)", lambda x: 2 * x)
    negate = ffi.callback("int(int)", lambda x: -x)
    cb = ffi.callback("int(int(*)(int), int)", lambda f, x: f(x) + 1)
    assert [cb(double, 5), cb(negate, 5), cb(double, 7), cb(negate, 7)] == [11, -4, 15, -6]


def test_pointer_results(backend, unraisable):
    ffi = backend()
    box = ffi.new("int *", 5)
    cb = ffi.callback("int *(int)", lambda i: (box, ffi.NULL, 5, ffi.new("long *"))[i])
    assert cb(0) == box
    assert cb(1) == ffi.NULL
    assert cb(2) == ffi.NULL
    assert cb(3) == ffi.NULL
    assert [r.exc_type for r in unraisable] == [TypeError, TypeError]


def test_many_arguments(backend):
    ffi = backend()
    args = ", ".join(["int"] * 6 + ["double"] * 6 + ["int *"])
    seen = []

    def total(*xs):
        seen.append(xs[:-1])
        return sum(xs[:-1]) + xs[-1][0]

    cb = ffi.callback(f"double({args})", total)
    box = ffi.new("int *", 1000)
    assert cb(*range(1, 7), *[0.5 * i for i in range(6)], box) == 21 + 7.5 + 1000
    assert seen == [(1, 2, 3, 4, 5, 6, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5)]


def test_struct_arguments_and_results(backend):
    ffi = backend()
    ffi.cdef("struct pair { int a; double b; };")

    def swap(p):
        return {"a": int(p.b), "b": float(p.a)}

    cb = ffi.callback("struct pair(struct pair)", swap)
    out = cb({"a": 3, "b": 9.5})
    assert (out.a, out.b) == (9, 3.0)


def test_struct_argument_kept_after_the_callback_still_holds_its_value():
    # cffi's struct argument points into libffi's copy on the stack, which is gone once the
    # callback returns: a kept one then reads (and writes) a dead stack frame. rffi's holds a
    # copy of its own, shown as the same reference type.
    from rffi import FFI

    ffi = FFI()
    ffi.cdef("struct pt { int x, y; };")
    kept = []

    def keep(s):
        kept.append(s)
        s.x += 100
        return s.x + s.y

    cb = ffi.cast("int(*)(struct pt)", ffi.callback("int(struct pt)", keep))
    assert [cb([3, 4]), cb([5, 6]), cb([7, 8])] == [107, 111, 115]
    assert [(s.x, s.y) for s in kept] == [(103, 4), (105, 6), (107, 8)]
    assert repr(kept[0]).startswith("<cdata 'struct pt &' 0x")
    kept[0].y = 40
    assert (kept[0].y, kept[1].y) == (40, 6)


def test_exception_with_pointer_arguments_keeps_them_for_the_traceback(backend):
    ffi = backend()
    tracebacks = []

    def onerror(exc_type, exc_value, tb):
        tracebacks.append(tb)
        return -1

    def broken(p):
        raise ValueError(p[0])

    cb = ffi.callback("int(int *)", broken, onerror=onerror)
    boxes = [ffi.new("int *", i) for i in (10, 20, 30)]
    assert [cb(b) for b in boxes] == [-1, -1, -1]
    frames = []
    for tb in tracebacks:
        while tb.tb_next is not None:
            tb = tb.tb_next
        frames.append(tb.tb_frame.f_locals["p"])
    assert [p[0] for p in frames] == [10, 20, 30]


def test_reentrant_callback(backend):
    # The comparator sorts a small array with itself while the outer sort runs.
    ffi = backend()
    ffi.cdef("void qsort(void *, size_t, size_t, int (*)(const int *, const int *));")
    libc = ffi.dlopen(None)
    depth = [0]
    inner_results = []

    @ffi.callback("int(const int *, const int *)")
    def compare(a, b):
        x, y = a[0], b[0]
        if depth[0] == 0 and len(inner_results) < 5:
            depth[0] += 1
            small = ffi.new("int[]", [3, 1, 2])
            libc.qsort(small, 3, ffi.sizeof("int"), compare)
            inner_results.append(list(small))
            depth[0] -= 1
        assert (a[0], b[0]) == (x, y)
        return (x > y) - (x < y)

    values = ffi.new("int[]", [5, 3, 8, 1, 9, 2, 7])
    libc.qsort(values, len(values), ffi.sizeof("int"), compare)
    assert list(values) == [1, 2, 3, 5, 7, 8, 9]
    assert inner_results == [[1, 2, 3]] * 5


def test_one_callback_sorting_in_several_python_threads(backend):
    # The GIL is released during qsort: the threads' comparisons interleave on one callback.
    import random
    import threading

    ffi = backend()
    ffi.cdef("void qsort(void *, size_t, size_t, int (*)(const int *, const int *));")
    libc = ffi.dlopen(None)

    @ffi.callback("int(const int *, const int *)")
    def compare(a, b):
        return (a[0] > b[0]) - (a[0] < b[0])

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        rand = random.Random(3)
        inputs = [[rand.randrange(1000) for _ in range(2000)] for _ in range(4)]
        arrays = [ffi.new("int[]", v) for v in inputs]
        threads = [
            threading.Thread(target=libc.qsort, args=(a, len(a), ffi.sizeof("int"), compare))
            for a in arrays
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert [list(a) for a in arrays] == [sorted(v) for v in inputs]


# ---- how failures are reported (cffi's messages) ----


def reports(unraisable):
    """(exception type, message, err_msg without the function's address, has traceback)."""
    import re

    return [
        (
            r.exc_type,
            str(r.exc_value),
            re.sub(r" at 0x[0-9a-fA-F]+", "", r.err_msg),
            r.exc_traceback is not None,
        )
        for r in unraisable
    ]


def test_void_result_must_be_none(backend, unraisable):
    ffi = backend()
    seen = []
    ok = ffi.callback("void(int)", lambda x: seen.append(x))
    assert ok(4) is None
    assert seen == [4]
    assert unraisable == []

    def returns_five(x):
        return 5

    bad = ffi.callback("void(int)", returns_five)
    assert bad(1) is None
    assert reports(unraisable) == [
        (
            TypeError,
            "callback with the return type 'void' must return None",
            "Exception ignored from cffi callback <function test_void_result_must_be_none."
            "<locals>.returns_five>, trying to convert the result back to C",
            True,
        )
    ]


def test_void_callback_refuses_an_error_value(backend):
    ffi = backend()
    assert ffi.callback("void(int)", lambda x: None, error=None)(1) is None
    for error in (0, 1):
        with pytest.raises(TypeError, match="return type 'void' must return None"):
            ffi.callback("void(int)", lambda x: None, error=error)


def test_result_conversion_errors_say_so(backend, unraisable):
    ffi = backend()

    def too_big(x):
        return 2**20

    assert ffi.callback("short(int)", too_big, error=-5)(1) == -5
    assert reports(unraisable) == [
        (
            OverflowError,
            "integer 1048576 does not fit 'short'",
            "Exception ignored from cffi callback <function test_result_conversion_errors_say_so."
            "<locals>.too_big>, trying to convert the result back to C",
            True,
        )
    ]


@pytest.mark.parametrize("fails_by", ["raising", "a wrong result"])
def test_failing_onerror_reports_both_exceptions(backend, unraisable, fails_by):
    ffi = backend()

    def divide(x):
        return 1 // x

    def onerror(exc_type, exc_value, tb):
        if fails_by == "raising":
            raise KeyError("in onerror")
        return 2**20

    cb = ffi.callback("short(int)", divide, error=1, onerror=onerror)
    assert cb(0) == 1
    second = (
        (KeyError, "'in onerror'")
        if fails_by == "raising"
        else (OverflowError, "integer 1048576 does not fit 'short'")
    )
    assert reports(unraisable) == [
        (
            ZeroDivisionError,
            DIVISION_BY_ZERO,
            "Exception ignored from cffi callback <function "
            "test_failing_onerror_reports_both_exceptions.<locals>.divide>",
            True,
        ),
        (*second, "Exception ignored during handling of the above exception by 'onerror'", True),
    ]


def test_onerror_sees_result_conversion_errors(backend, unraisable):
    ffi = backend()
    seen = []

    def onerror(exc_type, exc_value, tb):
        seen.append((exc_type, str(exc_value), tb))
        return 9

    cb = ffi.callback("int(int)", lambda x: "not an int", error=1, onerror=onerror)
    assert cb(0) == 9
    assert seen == [(TypeError, "an integer is required", None)]
    assert unraisable == []


@pytest.mark.parametrize("module", ["cffi", "rffi"])
def test_default_report_of_a_failing_onerror(module, tmp_path):
    script = tmp_path / "report.py"
    script.write_text(
        f"from {module} import FFI\n"
        "ffi = FFI()\n"
        "def broken(x):\n"
        "    return 1 // 0\n"
        "cb = ffi.callback('short(int)', broken, error=3, onerror=lambda *exc: 2**20)\n"
        "print(cb(1))\n"
    )
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert run.stdout == "3\n"
    lines = run.stderr.splitlines()
    assert lines[0].startswith("Exception ignored from cffi callback <function broken at 0x")
    assert f"ZeroDivisionError: {DIVISION_BY_ZERO}" in lines
    i = lines.index("Exception ignored during handling of the above exception by 'onerror':")
    assert lines[i + 1] == "Traceback (most recent call last):"
    assert lines[-1] == "OverflowError: integer 1048576 does not fit 'short'"


def test_pointer_argument_found_through_the_gc_keeps_its_value(backend):
    # An argument object the function dropped may still be reached through
    # gc.get_objects(); once someone holds it, later calls must not change it.
    import gc

    ffi = backend()
    int_p = ffi.typeof("int *")
    seen = []

    @ffi.callback("int(int *)")
    def read(p):
        seen.append(int(ffi.cast("intptr_t", p)))
        return p[0]

    boxes = [ffi.new("int *", i) for i in range(3)]
    assert read(boxes[0]) == 0
    found = [
        o for o in gc.get_objects()
        if type(o) is type(boxes[0]) and ffi.typeof(o) is int_p and int(ffi.cast("intptr_t", o)) == seen[0]
    ]
    assert [read(boxes[1]), read(boxes[2])] == [1, 2]
    assert all(int(ffi.cast("intptr_t", o)) == seen[0] for o in found)
