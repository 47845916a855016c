"""When calls release the GIL (crates/rffi-python/src/gil.rs).

rffi releases the GIL around a call whenever another thread could use it: another Python
thread exists, an rffi callback was ever made, or ``RFFI_RELEASE_GIL=always`` is set. With a
single thread and no callbacks nothing could run meanwhile, and rffi keeps the GIL.

CPython's own ``PyGILState_Check`` (1 when the calling thread holds the GIL), called through
rffi from the process itself, shows which happened. Each case runs in a fresh interpreter,
since a callback made once makes every later call release.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

PRELUDE = """
import threading, time, ctypes
from rffi import FFI
ffi = FFI()
ffi.cdef("int PyGILState_Check(void); int usleep(unsigned int usec);")
py = ffi.dlopen(None)
"""


def run(body: str, *, env: dict[str, str] | None = None, timeout: float = 60) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "RFFI_RELEASE_GIL"}
    environ.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(body)],
        capture_output=True, text=True, timeout=timeout, env=environ,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_a_lone_thread_keeps_the_gil():
    assert run("print(py.PyGILState_Check())") == "1"


def test_released_when_asked_by_the_environment():
    assert run("print(py.PyGILState_Check())", env={"RFFI_RELEASE_GIL": "always"}) == "0"


def test_released_once_a_callback_exists():
    out = run("""
        print(py.PyGILState_Check())
        cb = ffi.callback("int(int)", lambda i: i)
        del cb
        print(py.PyGILState_Check())
    """)
    assert out.split() == ["1", "0"]


def test_released_while_another_python_thread_lives():
    out = run("""
        stop = threading.Event()
        t = threading.Thread(target=stop.wait)
        t.start()
        print(py.PyGILState_Check())
        stop.set(); t.join()
        print(py.PyGILState_Check())
    """)
    assert out.split() == ["0", "1"]


def test_another_thread_runs_during_a_long_call():
    # The thread exists before the call, so the call releases the GIL and the thread ticks
    # while C sleeps.
    out = run("""
        ticks = []
        stop = threading.Event()
        def ticker():
            while not stop.is_set():
                ticks.append(1)
                time.sleep(0.001)
        t = threading.Thread(target=ticker)
        t.start()
        time.sleep(0.01)
        before = len(ticks)
        py.usleep(300000)
        during = len(ticks) - before
        stop.set(); t.join()
        print(during > 10)
    """)
    assert out == "True"


def test_the_libffi_invoker_follows_the_same_rule():
    body = """
        print(py.PyGILState_Check())
        cb = ffi.callback("int(int)", lambda i: i)
        print(py.PyGILState_Check())
    """
    assert run(body, env={"RFFI_FORCE_LIBFFI": "1"}).split() == ["1", "0"]


def test_foreign_callbacks_from_c_threads_need_always(testlib_path):
    # A C function that starts threads calling back into Python through ctypes and waits
    # for them: rffi cannot see that callback, so this program sets RFFI_RELEASE_GIL=always
    # (without it, the threads would wait for the GIL the call holds).
    body = f"""
        ffi.cdef("long long call_from_threads(int (*f)(int), int nthreads, int ncalls);")
        lib = ffi.dlopen({str(testlib_path)!r})
        CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)
        twice = CB(lambda i: 2 * i)
        f = ffi.cast("int(*)(int)", ctypes.cast(twice, ctypes.c_void_p).value)
        print(lib.call_from_threads(f, 3, 100))
    """
    assert run(body, env={"RFFI_RELEASE_GIL": "always"}) == str(3 * 2 * sum(range(100)))


@pytest.mark.parametrize("value", ["", "0", "never", "ALWAYS"])
def test_other_values_keep_the_default(value):
    assert run("print(py.PyGILState_Check())", env={"RFFI_RELEASE_GIL": value}) == "1"


# Py_mod_gil (CPython 3.13+): a module slot saying whether the module needs the GIL. A
# free-threaded interpreter turns its GIL back on when it imports a module that says it does.
PY_MOD_GIL = 4
PY_MOD_GIL_USED = 0


@pytest.mark.skipif(sys.version_info < (3, 13), reason="module GIL slots exist from CPython 3.13")
def test_the_module_says_it_needs_the_gil():
    # pyo3 0.30 declares a module free-threading safe unless told otherwise, and rffi has not
    # been checked to be (docs/design.md, "Free-threaded CPython"): lib.rs says gil_used.
    import ctypes
    import sysconfig

    from rffi import _rffi

    header = 32 if sysconfig.get_config_var("Py_GIL_DISABLED") else 16

    class ModuleDef(ctypes.Structure):  # PyModuleDef: its PyModuleDef_Base, then the fields
        _fields_ = [
            ("ob_base", ctypes.c_byte * header),
            ("m_init", ctypes.c_void_p),
            ("m_index", ctypes.c_ssize_t),
            ("m_copy", ctypes.c_void_p),
            ("m_name", ctypes.c_char_p),
            ("m_doc", ctypes.c_void_p),
            ("m_size", ctypes.c_ssize_t),
            ("m_methods", ctypes.c_void_p),
            ("m_slots", ctypes.c_void_p),
        ]

    class Slot(ctypes.Structure):
        _fields_ = [("slot", ctypes.c_int), ("value", ctypes.c_void_p)]

    get_def = ctypes.pythonapi.PyModule_GetDef
    get_def.restype = ctypes.POINTER(ModuleDef)
    get_def.argtypes = [ctypes.py_object]
    mdef = get_def(_rffi).contents
    assert mdef.m_name == b"_rffi"
    slots = ctypes.cast(mdef.m_slots, ctypes.POINTER(Slot))
    found = {}
    for i in range(64):
        if slots[i].slot == 0:
            break
        found[slots[i].slot] = slots[i].value or 0
    assert found.get(PY_MOD_GIL) == PY_MOD_GIL_USED
