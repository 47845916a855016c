"""Callbacks (C calling Python) and handles, run under both cffi and rffi."""

import subprocess
import sys

import pytest


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
    assert "ZeroDivisionError: integer division or modulo by zero" in run.stderr


def test_onerror_replaces_the_result(backend, capfd):
    ffi = backend()
    seen = []

    def onerror(exc_type, exc_value, tb):
        seen.append((exc_type, str(exc_value), tb is not None))
        return 42

    cb = ffi.callback("int(int)", lambda x: 1 // x, onerror=onerror)
    assert cb(0) == 42
    assert seen == [(ZeroDivisionError, "integer division or modulo by zero", True)]
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
