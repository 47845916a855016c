"""Typed stubs for a declared library (issue 12, part 2): ``python -m rffi stubs DECLS.h`` and
``rffi.make_stubs(cdef_text)``. The generated modules compile, pass mypy, and let mypy check
calls made through ``typing.cast("Lib", ffi.dlopen(...))``."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

import rffi

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tests"))
import gen_header  # noqa: E402


def run(*args: str, cwd: pathlib.Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def check_module(path: pathlib.Path) -> None:
    compiled = run("-m", "py_compile", str(path))
    assert compiled.returncode == 0, compiled.stderr
    checked = run("-m", "mypy", "--strict", "--no-incremental", str(path), cwd=path.parent)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_types_names_values_and_docstrings(testlib_h):
    stub = rffi.make_stubs(testlib_h, name="TestLib")
    lines = stub.splitlines()
    assert "class TestLib:" in lines
    expect = [
        # parameter names from the declarations, Python types from the C types
        "    def nop(self, a: float, b: float, c: float, /) -> float:",
        '        """double nop(double a, double b, double c);"""',
        "    def id_char(self, x: bytes, /) -> bytes:",
        "    def id_bool(self, x: int, /) -> bool:",
        "    def id_wchar(self, x: str, /) -> str:",
        "    def noargs(self, /) -> None:",
        # char * parameters take bytes, other pointers cdata (or None for NULL)
        "    def my_strlen(self, s: bytes | CData | None, /) -> int:",
        "    def divmod(self, a: int, b: int, quotient: CData | None, remainder: CData | None, /)"
        " -> None:",
        "    def greeting(self, /) -> CData:",
        # structs by value
        "    def point_sum(self, p: CData | dict[str, Any] | list[Any], /) -> int:",
        "    def make_point(self, x: int, y: int, /) -> CData:",
        # enums, function pointers, variadic functions
        "    def next_color(self, c: int, /) -> int:",
        "    def apply(self, f: CData, x: int, /) -> int:",
        "    def sum_var(self, n: int, /, *args: Any) -> int:",
        # globals and constants
        "    counter: int",
        '    """extern int counter;"""',
        "    gains: CData",
        "    RED: Final[int]  # 0",
        "    GREEN: Final[int]  # 5",
        "    NEGATIVE_COLOR: Final[int]  # -1",
        "    TESTLIB_NEGATIVE: Final[int]  # -7",
    ]
    for line in expect:
        assert line in lines, line


def test_awkward_names():
    stub = rffi.make_stubs(
        """
        int f(int self, int lambda, int, int arg2, double x[3]);   /* odd parameters */
        int pass(int x);
        typedef struct { int n; } box_t;
        box_t make(unsigned long long, const char *
            name);
        #define SIZE 0x10
        """,
        name="Odd",
    )
    lines = stub.splitlines()
    assert (
        "    def f(self, self_: int, lambda_: int, arg2: int, arg2_: int, x: CData | None, /)"
        " -> int:" in lines
    )
    assert '        """int f(int self, int lambda, int, int arg2, double x[3]);"""' in lines
    assert "    # 'pass' is a Python keyword: reach it with getattr(lib, 'pass')" in lines
    assert '        """box_t make(unsigned long long, const char * name);"""' in lines
    assert "    SIZE: Final[int]  # 16" in lines
    with pytest.raises(ValueError):
        rffi.make_stubs("int f(int;")
    with pytest.raises(ValueError):
        rffi.make_stubs("int f(void);", name="not a name")


def test_the_test_librarys_stub_compiles_and_passes_mypy(tmp_path, repo_root):
    out = tmp_path / "testlib_stub.pyi"
    done = run(
        "-m", "rffi", "stubs", str(repo_root / "tests" / "c" / "testlib.h"), "-o", str(out),
        "--name", "TestLib",
    )
    assert done.returncode == 0, done.stderr
    assert "class TestLib:" in out.read_text()
    check_module(out)


def test_a_generated_header_of_thousands_of_lines(tmp_path):
    header = tmp_path / "big.h"
    header.write_text(gen_header.generate(seed=1))
    assert len(header.read_text().splitlines()) > 5000
    out = tmp_path / "big_stub.pyi"
    done = run("-m", "rffi", "stubs", str(header), "-o", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert text.count("\n    def ") == 4000  # every function
    check_module(out)


def test_stdout_and_errors(tmp_path):
    header = tmp_path / "one.h"
    header.write_text("double beta_logpdf(double a, double b, double x);\n")
    done = run("-m", "rffi", "stubs", str(header), "--name", "Beta")
    assert done.returncode == 0, done.stderr
    assert "    def beta_logpdf(self, a: float, b: float, x: float, /) -> float:" in done.stdout
    bad = tmp_path / "bad.h"
    bad.write_text("int f(int;\n")
    done = run("-m", "rffi", "stubs", str(bad))
    assert done.returncode == 1
    assert "python -m rffi stubs: cannot parse" in done.stderr


SAMPLE = """\
from typing import TYPE_CHECKING, cast

from rffi import FFI

if TYPE_CHECKING:
    from testlib_stub import TestLib

ffi = FFI()
lib = cast("TestLib", ffi.dlopen("libtestlib.so"))
total: float = lib.nop(1.0, 2.0, 3)
length: int = lib.my_strlen(b"hello")
lib.add(1, 2, 3)
lib.add("one", 2)
"""


def test_mypy_reports_wrong_calls_through_the_stub(tmp_path, repo_root):
    done = run(
        "-m", "rffi", "stubs", str(repo_root / "tests" / "c" / "testlib.h"),
        "-o", str(tmp_path / "testlib_stub.pyi"), "--name", "TestLib",
    )
    assert done.returncode == 0, done.stderr
    (tmp_path / "sample.py").write_text(SAMPLE)
    checked = run("-m", "mypy", "--no-incremental", "sample.py", cwd=tmp_path)
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    assert errors == [
        'sample.py:12: error: Too many arguments for "add" of "TestLib"  [call-arg]',
        'sample.py:13: error: Argument 1 to "add" of "TestLib" has incompatible type "str"; '
        'expected "int"  [arg-type]',
    ], checked.stdout
