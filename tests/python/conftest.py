"""Shared fixtures of the Python test suite.

Differential tests take the ``backend`` fixture: the ``FFI`` class of cffi or of rffi, so one
snippet runs against both. ``make test`` builds what these fixtures point at (``make clibs``).
"""

from __future__ import annotations

import importlib
import pathlib

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD_DIR = REPO_ROOT / "build"
TESTLIB_PATH = BUILD_DIR / "libtestlib.so"
TESTLIB_HEADER = REPO_ROOT / "tests" / "c" / "testlib.h"


BACKENDS = [
    pytest.param("cffi", id="cffi"),
    pytest.param("rffi", id="rffi"),
]


def ffi_class(backend_name: str) -> type:
    """The ``FFI`` class of ``"cffi"`` or ``"rffi"``."""
    return importlib.import_module(backend_name).FFI


@pytest.fixture(scope="session")
def repo_root() -> pathlib.Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def testlib_path() -> pathlib.Path:
    if not TESTLIB_PATH.exists():
        pytest.fail(f"{TESTLIB_PATH} is missing: run `make clibs`")
    return TESTLIB_PATH


@pytest.fixture(scope="session")
def testlib_h() -> str:
    return TESTLIB_HEADER.read_text()


@pytest.fixture(params=BACKENDS)
def backend_name(request: pytest.FixtureRequest) -> str:
    """``"cffi"`` or ``"rffi"``."""
    return request.param


@pytest.fixture
def backend(backend_name: str) -> type:
    """The ``FFI`` class of the backend under test."""
    return ffi_class(backend_name)


@pytest.fixture
def testlib(backend, testlib_path, testlib_h):
    """``(ffi, lib)``: a fresh FFI of the backend with testlib.h declared and the library open."""
    ffi = backend()
    ffi.cdef(testlib_h)
    return ffi, ffi.dlopen(str(testlib_path))
