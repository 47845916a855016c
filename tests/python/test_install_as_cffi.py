"""rffi.install_as_cffi(), the rffi.cffi and rffi._cffi_backend modules, and python -m rffi.cffi.

install_as_cffi() changes sys.modules, which is global to a process, so every test that calls
it runs its program in a fresh interpreter. Where the behaviour is cffi's, the same program
runs once on the real cffi (plain `python`) and once on rffi (`python -m rffi.cffi`), and
both outputs are compared.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import textwrap

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]


def run(*args: str, cwd: pathlib.Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def run_ok(*args: str, cwd: pathlib.Path = REPO_ROOT) -> str:
    result = run(*args, cwd=cwd)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def program(tmp_path: pathlib.Path, source: str, name: str = "prog.py") -> pathlib.Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


# A program written for cffi, which knows nothing of rffi: it names cffi's module, its
# exceptions, its FFI(backend=None) signature and the backend module.
CFFI_PROGRAM = """
    import json, sys
    import cffi
    import _cffi_backend
    from cffi import FFI

    ffi = FFI(backend=None)
    ffi.cdef(open("tests/c/testlib.h").read())
    lib = ffi.dlopen("build/libtestlib.so")
    out = {
        "add": lib.add_int32(2, 40),
        "point": [lib.make_point(3, 4).x, lib.make_point(3, 4).y],
        "string": ffi.string(ffi.new("char[]", b"abc")).decode(),
        "version_is_a_string": isinstance(cffi.__version__, str),
        "version_info": list(cffi.__version_info__[:1]),
        "all": sorted(cffi.__all__),
        "exceptions": [issubclass(getattr(cffi, name), Exception) for name in
                       ("CDefError", "FFIError", "VerificationError", "VerificationMissing",
                        "PkgConfigError")],
        "backend_version_is_a_string": isinstance(_cffi_backend.__version__, str),
        "backend_ffi_is_a_class": isinstance(_cffi_backend.FFI, type),
        "cdata_base": isinstance(ffi.new("int *"), _cffi_backend._CDataBase),
    }
    try:
        ffi.cdef("int broken(;")
    except cffi.CDefError:
        out["cdef_error"] = "CDefError"
    try:
        FFI().cdef("int f(void); int f(int);")
    except cffi.FFIError:
        out["ffi_error"] = "FFIError"
    from cffi.api import FFI as ApiFFI
    from cffi.error import VerificationError
    out["api_ffi"] = ApiFFI is FFI
    out["verification_error"] = VerificationError is cffi.VerificationError
    out["backend_ffi_of"] = type(ffi).__module__.split(".")[0] + " " + type(lib).__name__
    json.dump(out, sys.stdout, sort_keys=True)
"""


def test_a_cffi_program_gives_the_same_results_on_rffi(tmp_path: pathlib.Path) -> None:
    path = program(tmp_path, CFFI_PROGRAM)
    on_cffi = json.loads(run_ok(str(path)))
    on_rffi = json.loads(run_ok("-m", "rffi.cffi", str(path)))
    # Only which module made the FFI differs.
    assert on_cffi.pop("backend_ffi_of").startswith("cffi FFILibrary")
    assert on_rffi.pop("backend_ffi_of") == "rffi Lib"
    assert on_rffi == on_cffi
    assert on_rffi["add"] == 42 and on_rffi["cdef_error"] == "CDefError"


def test_install_as_cffi_gives_rffi_modules_and_classes() -> None:
    out = run_ok(
        "-c",
        textwrap.dedent(
            """
            import rffi
            rffi.install_as_cffi()
            import cffi, cffi.api, cffi.error, _cffi_backend
            import rffi.cffi, rffi._cffi_backend
            assert cffi is rffi.cffi and _cffi_backend is rffi._cffi_backend
            assert cffi.api.FFI is cffi.FFI and issubclass(cffi.FFI, rffi.FFI)
            assert cffi.CDefError is rffi.CDefError and cffi.FFIError is rffi.FFIError
            assert cffi.error.CDefError is rffi.CDefError
            # rffi's own class once rffi raises it (partial structs and enums).
            assert getattr(rffi, "VerificationMissing", cffi.VerificationMissing) is (
                cffi.VerificationMissing)
            assert _cffi_backend.CDefError is rffi.CDefError
            assert _cffi_backend.FFIError is rffi.FFIError
            ffi = cffi.FFI()
            assert ffi._backend is _cffi_backend
            assert isinstance(cffi.FFI(backend=_cffi_backend), rffi.FFI)
            try:
                cffi.FFI(backend=object())
            except NotImplementedError as exc:
                print("backend:", exc)
            same_version = cffi.__rffi_version__ == rffi.__version__
            print(cffi.__version__, cffi.__version_info__, same_version)
            """
        ),
    )
    assert "2.1.1 (2, 1, 1) True" in out
    assert "other cffi backends (such as cffi.backend_ctypes) are not supported" in out


def test_without_install_import_cffi_is_the_real_cffi() -> None:
    out = run_ok(
        "-c",
        "import rffi, rffi.cffi, rffi._cffi_backend, cffi, _cffi_backend, sys;"
        "print(cffi.__file__.endswith('cffi/__init__.py'), 'site-packages' in cffi.__file__,"
        " cffi is rffi.cffi, _cffi_backend is rffi._cffi_backend, type(cffi.FFI()).__module__)",
    )
    assert out.split() == ["True", "True", "False", "False", "cffi.api"]


def test_cffi_imported_before_install_is_replaced_with_a_warning() -> None:
    result = run(
        "-W",
        "always",
        "-c",
        textwrap.dedent(
            """
            import sys, warnings
            import cffi as real_cffi, cffi.model
            real_ffi = real_cffi.FFI()
            real_ffi.cdef("int abs(int);")
            import rffi
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                rffi.install_as_cffi()
                rffi.install_as_cffi()
            print(len(caught), caught[0].category.__name__)
            print(str(caught[0].message))
            import cffi
            print(cffi is rffi.cffi, real_cffi is not cffi, "cffi.model" in sys.modules)
            # An FFI of the real cffi made before keeps working.
            print(type(real_ffi).__module__, real_ffi.dlopen(None).abs(-5))
            """
        ),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # One warning, from the first call only.
    assert lines[0] == "1 RuntimeWarning"
    assert "_cffi_backend, cffi, cffi.api" in lines[1] and "had been imported before" in lines[1]
    assert lines[2:] == ["True True False", "cffi.api 5"]


def test_submodules_that_the_shim_lacks_raise_a_clear_import_error() -> None:
    out = run_ok(
        "-c",
        textwrap.dedent(
            """
            import rffi
            rffi.install_as_cffi()
            for name in ("cffi.model", "cffi.backend_ctypes", "cffi.api"):
                try:
                    __import__(name)
                    print(name, "ok")
                except ModuleNotFoundError as exc:
                    print(name, exc.name, str(exc))
            """
        ),
    )
    model, ctypes_backend, api = out.splitlines()
    assert model.startswith("cffi.model cffi.model No module named 'cffi.model': rffi.")
    assert "cffi.api and cffi.error only" in model
    assert ctypes_backend.startswith("cffi.backend_ctypes cffi.backend_ctypes No module")
    assert api == "cffi.api ok"


def test_api_mode_methods_raise_a_clear_error() -> None:
    out = run_ok(
        "-c",
        textwrap.dedent(
            """
            import rffi
            rffi.install_as_cffi()
            import cffi
            ffi = cffi.FFI()
            ffi.cdef("int f(int);")
            ffi.set_source("_m", None)  # recorded, as cffi does; building is what raises
            calls = [("compile", ()), ("verify", ("",)), ("emit_python_code", ("x.py",)),
                     ("set_source_pkgconfig", ("_m", ["x"], ""))]
            for name, args in calls:
                try:
                    getattr(ffi, name)(*args)
                except cffi.VerificationError as exc:
                    assert isinstance(exc, NotImplementedError)
                    print(name, "|", exc)
            # def_extern is rffi.FFI's own, which raises cffi's ABI-mode ValueError.
            try:
                ffi.def_extern()
            except ValueError as exc:
                print("def_extern", "|", exc)
            """
        ),
    )
    lines = out.splitlines()
    assert [line.split(" | ")[0] for line in lines] == [
        "compile",
        "verify",
        "emit_python_code",
        "set_source_pkgconfig",
        "def_extern",
    ]
    assert "ffi.compile() belongs to cffi's API mode" in lines[0]
    assert "rffi runs ABI mode only" in lines[0]


# pangocffi's builder FFI is its run-time FFI: it calls set_source(name, None) at import,
# then only dlopen()s. cffi's set_source only checks and records its arguments.
SET_SOURCE_CASES = [
    "ffi.set_source('pkg._generated.ffi', None); ffi.set_source('other', None)",
    "ffi.set_source(b'_m', None)",
    "ffi.set_source('pkg/_m', None)",
    "ffi.set_source('_m', 'int f(int x) { return x; }', '.cpp', libraries=['m'])\n"
    "print(ffi._assigned_source)",
    "ffi.set_source('_m', None); print(ffi.dlopen(None).abs(-3))",
]


@pytest.mark.parametrize("code", SET_SOURCE_CASES)
def test_set_source_records_as_cffi(code: str) -> None:
    def outcome(backend: str) -> tuple[str, str]:
        program = f"from {backend} import FFI\nffi = FFI()\nffi.cdef('int abs(int);')\n"
        result = run("-c", program + code)
        return result.stdout, result.stderr.strip().splitlines()[-1] if result.stderr else ""

    assert outcome("rffi.cffi") == outcome("cffi")


@pytest.mark.parametrize("backend", ["cffi", "rffi.cffi"])
def test_set_unicode_declares_the_tchar_typedefs(backend: str) -> None:
    out = run_ok(
        "-c",
        textwrap.dedent(
            f"""
            from {backend} import FFI
            for flag in (True, False):
                ffi = FFI()
                ffi.set_unicode(flag)
                types = [ffi.typeof(name) for name in ("LPCTSTR", "PCTSTR", "LPTSTR", "PTSTR",
                                                       "PTBYTE", "PTCHAR")]
                print(ffi.sizeof("TCHAR"), ffi.sizeof("TBYTE"),
                      {{(t.kind, ffi.sizeof(t.item)) for t in types}})
                try:
                    ffi.set_unicode(flag)
                except ValueError as exc:
                    print(exc)
            """
        ),
    )
    assert out.splitlines() == [
        "4 4 {('pointer', 4)}",
        "set_unicode() can only be called once",
        "1 1 {('pointer', 1)}",
        "set_unicode() can only be called once",
    ]


BACKEND_FUNCTIONS = """
    import json, sys
    {install}
    import _cffi_backend as b
    int_t = b.new_primitive_type("int")
    p_int = b.new_pointer_type(int_t)
    arr = b.new_array_type(p_int, 3)
    open_arr = b.new_array_type(p_int, None)
    p = b.newp(arr, [1, 2, 3])
    chars = b.newp(b.new_array_type(b.new_pointer_type(b.new_primitive_type("char")), None), b"hi")
    handle = b.newp_handle(b.new_pointer_type(b.new_void_type()), "obj")
    b.set_errno(7)
    out = {{
        "cnames": [t.cname for t in (int_t, p_int, arr, open_arr, b.typeof(p))],
        "sizes": [b.sizeof(int_t), b.sizeof(arr), b.alignof(p_int), b.sizeof(p)],
        "items": list(p), "unpack": b.unpack(p, 2),
        "cast": int(b.cast(int_t, 3.9)),
        "string": b.string(chars).decode(),
        "handle": b.from_handle(handle),
        "errno": b.get_errno(),
        "getcname": b.getcname(p_int, "&"),
        "ffi": type(b.FFI()).__name__,
        "rtld": [b.RTLD_NOW, b.RTLD_GLOBAL], "abi": [b.FFI_DEFAULT_ABI, b.FFI_CDECL],
    }}
    json.dump(out, sys.stdout)
"""


def test_backend_functions_match_cffis_backend() -> None:
    on_cffi = json.loads(run_ok("-c", textwrap.dedent(BACKEND_FUNCTIONS.format(install=""))))
    install = "import rffi; rffi.install_as_cffi()"
    on_rffi = json.loads(run_ok("-c", textwrap.dedent(BACKEND_FUNCTIONS.format(install=install))))
    assert on_rffi == on_cffi
    assert on_rffi["cnames"] == ["int", "int *", "int[3]", "int[]", "int[3]"]


def test_backend_names_it_lacks_raise_attribute_error() -> None:
    out = run_ok(
        "-c",
        "import rffi._cffi_backend as b\ntry:\n    b.load_library\n"
        "except AttributeError as exc:\n    print(exc)",
    )
    assert out.startswith("rffi's _cffi_backend has no 'load_library': cffi's backend internals")


OUT_OF_LINE = """
    import sys, types
    import rffi
    {outofline}
    rffi.install_as_cffi()
    import _cffi_backend
    try:
        ffi = _cffi_backend.FFI('_example', _version=0x2601, _types=b'\\x00', _globals=())
        print("made", ffi)
        print("made", _cffi_backend.FFI(_version=0x2601, _types=b''))
    except ImportError as exc:
        print("ImportError:", exc)
    ffi = _cffi_backend.FFI()
    ffi.cdef("int abs(int);")
    print(ffi.dlopen(None).abs(-3), isinstance(ffi, _cffi_backend.FFI))
"""

FAKE_OUTOFLINE = """
    fake = types.ModuleType("rffi._outofline")
    def ffi_from_tables(module_name="default", **kwargs):
        return ("tables", module_name, sorted(kwargs))
    fake.ffi_from_tables = ffi_from_tables
    sys.modules["rffi._outofline"] = fake
"""


def test_backend_ffi_with_tables_is_built_by_rffi_outofline() -> None:
    source = OUT_OF_LINE.format(outofline=textwrap.indent(textwrap.dedent(FAKE_OUTOFLINE), "    "))
    out = run_ok("-c", textwrap.dedent(source))
    assert out.splitlines() == [
        "made ('tables', '_example', ['_globals', '_types', '_version'])",
        "made ('tables', 'default', ['_types', '_version'])",
        "3 True",
    ]


def test_backend_ffi_with_tables_says_when_out_of_line_support_is_missing() -> None:
    source = OUT_OF_LINE.format(outofline='sys.modules["rffi._outofline"] = None')
    out = run_ok("-c", textwrap.dedent(source))
    assert out.splitlines() == [
        "ImportError: _cffi_backend.FFI('_example', ...) builds the FFI of a module generated "
        "by cffi's out-of-line ABI mode, and this rffi has no support for those modules "
        "(rffi._outofline is missing)",
        "3 True",
    ]


RUNNER_PROGRAM = """
    import os, sys
    import cffi
    print(__name__, sys.argv[1:], os.path.basename(sys.argv[0]), sys.path[0] == {path0!r})
    print(cffi.FFI.__module__)
    sys.exit(int(sys.argv[-1]))
"""


def test_runner_runs_a_script_as_python_would(tmp_path: pathlib.Path) -> None:
    path = program(tmp_path, RUNNER_PROGRAM.format(path0=str(tmp_path)))
    plain = run(str(path), "a b", "0")
    shimmed = run("-m", "rffi.cffi", str(path), "a b", "0")
    assert plain.returncode == shimmed.returncode == 0, plain.stderr + shimmed.stderr
    assert plain.stdout.splitlines() == ["__main__ ['a b', '0'] prog.py True", "cffi.api"]
    assert shimmed.stdout.splitlines() == ["__main__ ['a b', '0'] prog.py True", "rffi.cffi.api"]
    assert run("-m", "rffi.cffi", str(path), "3").returncode == 3


def test_runner_runs_a_module_and_code(tmp_path: pathlib.Path) -> None:
    program(tmp_path, RUNNER_PROGRAM.format(path0=str(tmp_path)), name="shimmed_prog.py")
    as_module = run("-m", "rffi.cffi", "-m", "shimmed_prog", "x", "0", cwd=tmp_path)
    assert as_module.returncode == 0, as_module.stderr
    assert as_module.stdout.splitlines() == [
        "__main__ ['x', '0'] shimmed_prog.py True",
        "rffi.cffi.api",
    ]
    as_code = run("-m", "rffi.cffi", "-c", "import sys, cffi; print(sys.argv, cffi.FFI)", "y")
    assert as_code.stdout == "['-c', 'y'] <class 'rffi.cffi.api.FFI'>\n"


def test_runner_reports_usage_errors_and_program_errors(tmp_path: pathlib.Path) -> None:
    no_program = run("-m", "rffi.cffi")
    assert no_program.returncode == 2 and "usage: python -m rffi.cffi" in no_program.stderr
    assert run("-m", "rffi.cffi", "-m").returncode == 2
    assert run("-m", "rffi.cffi", "--bogus").returncode == 2
    assert run("-m", "rffi.cffi", "--help").stdout.startswith("usage: python -m rffi.cffi")
    failing = program(tmp_path, "raise KeyError('boom')\n", name="failing.py")
    result = run("-m", "rffi.cffi", str(failing))
    assert result.returncode == 1 and "KeyError: 'boom'" in result.stderr


def test_api_mode_modules_keep_the_real_backend(tmp_path: pathlib.Path) -> None:
    # A module compiled by the real cffi in API mode fetches _cffi_backend._C_API at import;
    # after install_as_cffi() it still gets the real backend's, beside rffi's ABI mode.
    build = textwrap.dedent(
        """
        import cffi
        ffi = cffi.FFI()
        ffi.cdef("int twice(int);")
        ffi.set_source("_apimode_twice", "static int twice(int x) { return 2 * x; }")
        ffi.compile(tmpdir=".")
        """
    )
    run_ok("-c", build, cwd=tmp_path)
    use = textwrap.dedent(
        """
        import rffi
        rffi.install_as_cffi()
        import _apimode_twice, cffi
        abi = cffi.FFI()
        abi.cdef("int abs(int);")
        print(_apimode_twice.lib.twice(21), abi.dlopen(None).abs(-2), type(abi).__module__)
        """
    )
    assert run_ok("-c", use, cwd=tmp_path) == "42 2 rffi.cffi.api\n"


def test_api_mode_module_without_the_real_cffi_says_why() -> None:
    out = run_ok(
        "-c",
        textwrap.dedent(
            """
            import importlib.machinery
            import rffi._cffi_backend as b
            # As if cffi were not installed: no _cffi_backend on the path.
            importlib.machinery.PathFinder.find_spec = lambda *args, **kwargs: None
            try:
                b._C_API
            except AttributeError as exc:
                print(exc)
            """
        ),
    )
    assert "needs the real cffi, which is not installed" in out
