"""Bad input never crashes the interpreter: every snippet here runs under rffi in its own
subprocess, so a segfault or an abort is a test failure rather than the end of pytest, and must
end in an ordinary Python exception of the expected type.

Some of these crash cffi itself (reading through NULL, for one); rffi refuses them instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from conftest import TESTLIB_HEADER, TESTLIB_PATH

_RUNNER = textwrap.dedent(
    """
    import json, sys
    from rffi import FFI
    ffi = FFI()
    ffi.cdef(open(sys.argv[1]).read())
    lib = ffi.dlopen(sys.argv[2])
    code = sys.stdin.read()
    try:
        exec(code, {"ffi": ffi, "lib": lib, "FFI": FFI, "LIBPATH": sys.argv[2]})
        out = {"ok": True}
    except BaseException as e:
        out = {"ok": False, "type": type(e).__name__, "message": str(e)[:500]}
    print(json.dumps(out))
    """
)


def run_isolated(code: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(TESTLIB_HEADER), str(TESTLIB_PATH)],
        input=code,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, (
        f"the interpreter died (exit status {proc.returncode}) running:\n{code}\n{proc.stderr}"
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


# (id, code, the exception types accepted)
CASES: list[tuple[str, str, tuple[str, ...]]] = [
    # reading and writing through NULL: cffi segfaults on most of these
    ("null-index", "ffi.cast('int *', 0)[0]", ("RuntimeError",)),
    ("null-index-write", "p = ffi.cast('int *', 0); p[0] = 1", ("RuntimeError",)),
    ("null-index-1", "ffi.cast('int *', 0)[1]", ("RuntimeError",)),
    ("null-void-index", "ffi.NULL[0]", ("TypeError", "RuntimeError")),
    ("null-char-index", "ffi.cast('char *', 0)[0]", ("RuntimeError",)),
    ("null-double-index", "ffi.cast('double *', 0)[3]", ("RuntimeError",)),
    ("null-ptr-ptr", "ffi.cast('int **', 0)[0]", ("RuntimeError",)),
    ("null-struct-index", "ffi.cast('struct point *', 0)[0]", ("RuntimeError",)),
    ("null-struct-field", "ffi.cast('struct point *', 0).y", ("RuntimeError",)),
    ("null-struct-field-write", "ffi.cast('struct point *', 0).x = 1", ("RuntimeError",)),
    ("null-nested-field", "ffi.cast('struct rect *', 0).max.y", ("RuntimeError",)),
    ("null-array-cast", "a = ffi.cast('int[4]', 0); a[2]", ("RuntimeError",)),
    ("null-array-iter", "list(ffi.cast('int[4]', 0))", ("RuntimeError",)),
    ("null-slice", "ffi.cast('int *', 0)[0:3]", ("RuntimeError",)),
    ("null-slice-assign", "p = ffi.cast('int *', 0); p[0:2] = [1, 2]", ("RuntimeError",)),
    ("null-plus-one", "(ffi.cast('int *', 0) + 1)[0]", ("RuntimeError",)),
    ("null-string", "ffi.string(ffi.NULL)", ("RuntimeError", "TypeError")),
    ("null-string-char", "ffi.string(ffi.cast('char *', 0))", ("RuntimeError",)),
    ("null-string-wchar", "ffi.string(ffi.cast('wchar_t *', 0))", ("RuntimeError",)),
    ("null-unpack", "ffi.unpack(ffi.cast('int *', 0), 3)", ("RuntimeError",)),
    ("null-unpack-char", "ffi.unpack(ffi.cast('char *', 0), 3)", ("RuntimeError",)),
    ("null-memmove", "ffi.memmove(ffi.cast('char *', 0), b'abc', 3)", ("RuntimeError",)),
    ("null-call", "ffi.cast('int(*)(int)', 0)(1)", ("RuntimeError",)),
    ("null-buffer-cast-array", "bytes(ffi.buffer(ffi.cast('char *', 0), 0))", ()),
    # huge sizes
    ("huge-array", "ffi.new('int[]', 10**18)", ("MemoryError", "OverflowError")),
    ("huge-array-2", "ffi.new('int[]', 2**62)", ("MemoryError", "OverflowError")),
    ("huge-array-3", "ffi.new('int[]', 10**19)", ("MemoryError", "OverflowError")),
    ("huge-array-4", "ffi.new('char[]', 2**63 - 1)", ("MemoryError", "OverflowError")),
    ("huge-array-type", "ffi.new('int[1000000000000000000]')", ("MemoryError", "OverflowError", "ValueError", "CDefError")),
    ("huge-array-type-2", "ffi.typeof('int[99999999999999999999999]')", ("OverflowError", "ValueError", "CDefError")),
    ("huge-struct-array", "ffi.new('struct big[]', 2**60)", ("MemoryError", "OverflowError")),
    ("huge-index", "ffi.new('int[3]')[2**70]", ("IndexError", "OverflowError")),
    ("huge-slice", "ffi.new('int[3]')[0:2**70]", ("IndexError", "OverflowError")),
    ("huge-ptr-arith", "ffi.new('int *') + 2**70", ("OverflowError",)),
    ("huge-buffer-size", "ffi.buffer(ffi.new('char[2]'), 2**70)", ("OverflowError",)),
    ("huge-unpack", "ffi.unpack(ffi.new('int[2]'), 2**70)", ("OverflowError",)),
    ("negative-unpack", "ffi.unpack(ffi.new('int[2]'), -5)", ("ValueError",)),
    ("huge-memmove", "ffi.memmove(ffi.new('char[2]'), b'ab', 2**70)", ("OverflowError",)),
    ("memmove-too-long", "ffi.memmove(ffi.new('char[2]'), b'ab', 100)", ("ValueError",)),
    ("huge-flexible", "ffi.cdef('struct fx { int n; int d[]; };'); ffi.new('struct fx *', [1, 2**62])", ("MemoryError", "OverflowError")),
    ("huge-string-maxlen", "ffi.string(ffi.new('char[]', b'ab'), 2**70)", ("OverflowError",)),
    # out-of-range indexes
    ("index-past-end", "ffi.new('int[3]')[3]", ("IndexError",)),
    ("index-negative", "ffi.new('int[3]')[-1]", ("IndexError",)),
    ("index-write-past-end", "a = ffi.new('int[3]'); a[3] = 1", ("IndexError",)),
    ("slice-past-end", "ffi.new('int[3]')[1:5]", ("IndexError",)),
    ("slice-assign-past-end", "a = ffi.new('int[3]'); a[1:5] = [1, 2, 3, 4]", ("IndexError",)),
    ("field-array-past-end", "w = ffi.new('struct with_array *'); w.values[10] = 1", ("IndexError",)),
    ("global-array-past-end", "lib.gains[4]", ("IndexError",)),
    ("buffer-past-end", "ffi.buffer(ffi.new('char[2]'))[5]", ("IndexError",)),
    ("from-buffer-past-end", "ffi.from_buffer(bytearray(3))[3]", ("IndexError",)),
    # wrong types everywhere
    ("new-object", "ffi.new(object())", ("TypeError",)),
    ("new-none", "ffi.new(None)", ("TypeError",)),
    ("new-int-from-object", "ffi.new('int *', object())", ("TypeError",)),
    ("new-double-from-str", "ffi.new('double *', 'x')", ("TypeError",)),
    ("new-ptr-from-float", "ffi.new('int **', 1.5)", ("TypeError",)),
    ("new-struct-from-set", "ffi.new('struct point *', {1, 2})", ("TypeError",)),
    ("new-struct-from-generator", "ffi.new('struct point *', (x for x in [1, 2]))", ("TypeError",)),
    ("new-array-from-generator", "ffi.new('int[]', (x for x in [1]))", ("TypeError",)),
    ("new-array-from-bytes-int", "ffi.new('int[]', b'abc')", ("TypeError",)),
    ("new-dict-nonstr-key", "ffi.new('struct point *', {1: 2})", ("TypeError", "KeyError")),
    ("cast-object", "ffi.cast('int', object())", ("TypeError",)),
    ("cast-list", "ffi.cast('int', [1])", ("TypeError",)),
    ("cast-dict", "ffi.cast('int *', {})", ("TypeError",)),
    ("cast-ctype", "ffi.cast('int', ffi.typeof('int'))", ("TypeError",)),
    ("cast-lib", "ffi.cast('int', lib)", ("TypeError",)),
    ("cast-ffi", "ffi.cast('void *', ffi)", ("TypeError",)),
    ("cast-nan", "int(ffi.cast('int', float('nan')))", ("ValueError", "OverflowError")),
    ("cast-inf-to-ptr", "ffi.cast('int *', float('inf'))", ("TypeError", "OverflowError")),
    ("cast-huge-float", "ffi.cast('int', 1e300)", ()),
    ("cast-class-raising-int", "class X:\n    def __int__(self): raise ZeroDivisionError\nffi.cast('int', X())", ("ZeroDivisionError", "TypeError")),
    ("sizeof-object", "ffi.sizeof(object())", ("TypeError",)),
    ("typeof-object", "ffi.typeof([])", ("TypeError",)),
    ("string-int", "ffi.string(5)", ("TypeError",)),
    ("string-struct", "ffi.string(ffi.new('struct point *')[0])", ("TypeError",)),
    ("buffer-int", "ffi.buffer(ffi.cast('int', 1))", ()),
    ("from-buffer-object", "ffi.from_buffer(object())", ("TypeError",)),
    ("from-buffer-list", "ffi.from_buffer([1, 2])", ("TypeError",)),
    ("memmove-ints", "ffi.memmove(1, 2, 3)", ("TypeError",)),
    ("addressof-none", "ffi.addressof(None)", ("TypeError",)),
    ("addressof-lib-int", "ffi.addressof(lib, 5)", ("TypeError",)),
    ("offsetof-bad-field", "ffi.offsetof('struct point', None)", ("TypeError",)),
    ("getctype-object", "ffi.getctype(5)", ("TypeError",)),
    ("call-with-object", "lib.add(object(), 1)", ("TypeError",)),
    ("call-with-none", "lib.add(None, 1)", ("TypeError",)),
    ("call-float-with-str", "lib.id_double('x')", ("TypeError",)),
    ("call-ptr-with-float", "lib.is_null(1.5)", ("TypeError",)),
    ("call-struct-with-list-too-long", "lib.point_sum([1, 2, 3])", ("ValueError",)),
    ("call-variadic-object", "lib.sum_var(1, object())", ("TypeError",)),
    ("call-variadic-struct", "lib.sum_var(1, lib.make_point(1, 2))", ()),
    ("call-too-many", "lib.add(*range(100))", ("TypeError",)),
    ("call-int", "ffi.cast('int', 1)()", ("TypeError",)),
    ("int-of-struct", "int(ffi.new('struct point *')[0])", ("TypeError",)),
    ("float-of-array", "float(ffi.new('int[2]'))", ("TypeError",)),
    ("compare-longdouble", "ffi.cast('long double', 1) < 2", ("NotImplementedError",)),
    ("setattr-array", "ffi.new('int[2]').x = 1", ("AttributeError",)),
    ("delitem", "a = ffi.new('int[2]'); del a[0]", ("TypeError", "AttributeError", "NotImplementedError")),
    ("bitfield-overflow", "f = ffi.new('struct flags *'); f.d = 2**30", ("OverflowError",)),
    ("bitfield-huge", "f = ffi.new('struct flags *'); f.d = 2**200", ("OverflowError",)),
    ("enum-huge", "ffi.cast('enum color', 2**200)", ()),
    ("wchar-surrogate", "ffi.new('wchar_t *', '\\ud800')", ()),
    ("char16-bad-array", "ffi.new('char16_t[]', '\\U0001f600')", ()),
    ("wchar-invalid-read", "p = ffi.new('int *', 0x7fffffff); ffi.cast('wchar_t *', p)[0]", ("ValueError",)),
    # unknown names, missing libraries
    ("unknown-type", "ffi.new('struct nope *')", ("TypeError", "CDefError")),
    ("unknown-typedef", "ffi.new('nope_t *')", ("CDefError",)),
    ("unknown-lib-attr", "lib.nope", ("AttributeError",)),
    ("unknown-symbol", "ffi.cdef('int zz_missing(void);'); lib.zz_missing", ("AttributeError",)),
    ("unknown-global", "ffi.cdef('extern int zz_missing_var;'); lib.zz_missing_var", ("AttributeError",)),
    ("unknown-global-write", "ffi.cdef('extern int zz_missing_var;'); lib.zz_missing_var = 1", ("AttributeError",)),
    ("missing-lib", "ffi.dlopen('/nonexistent/lib.so')", ("OSError",)),
    ("missing-lib-short", "ffi.dlopen('zz_no_such_lib')", ("OSError",)),
    ("missing-lib-empty", "ffi.dlopen('')", ("OSError",)),
    ("missing-lib-nul", "ffi.dlopen('a\\x00b')", ("OSError", "ValueError", "TypeError")),
    ("not-a-lib", "ffi.dlopen('/etc/passwd')", ("OSError",)),
    ("dlopen-dir", "ffi.dlopen('/')", ("OSError",)),
    ("closed-lib", "l = ffi.dlopen(LIBPATH); ffi.dlclose(l); l.add", ("ValueError",)),
    ("dlclose-object", "ffi.dlclose(5)", ("TypeError",)),
    ("opaque-new", "ffi.new('counter_obj *')", ("TypeError",)),
    ("opaque-index", "c = lib.counter_new(1); r = c[0]", ("TypeError", "ValueError")),
    ("void-ptr-index", "ffi.cast('void *', ffi.new('int *'))[0]", ("TypeError", "ValueError")),
    ("func-ptr-index", "lib.add[0]", ("TypeError",)),
    ("sizeof-function-type", "ffi.sizeof('int(int)')", ("ValueError", "TypeError", "CDefError")),
    ("new-function-type", "ffi.new('int(int)')", ("TypeError", "CDefError")),
    ("array-of-void", "ffi.new('void[3]')", ("TypeError", "CDefError", "ValueError")),
    ("array-of-opaque", "ffi.new('counter_obj[2]')", ("TypeError", "CDefError", "ValueError")),
    # writes past the memory that cffi makes (heap overflows)
    (
        "flexible-member-assign-too-long",
        "ffi.cdef('struct fxa { int n; int d[]; };'); p = ffi.new('struct fxa *', [1, [1, 2, 3]]);"
        " p.d = ffi.new('int[]', 1000)",
        ("IndexError",),
    ),
    (
        "flexible-member-in-list-argument",
        "ffi.cdef('struct fxb { int n; int d[]; };');"
        " ffi.callback('int(struct fxb *)', lambda p: p.n)([[7, [1, 2, 3]]])",
        ("IndexError",),
    ),
]

# Malformed cdef sources: each must raise (CDefError mostly; FFIError for redeclarations;
# ValueError/TypeError for semantic errors), never crash or hang.
MALFORMED_CDEFS = [
    "int f(",
    "int f(int",
    "int f(int) int;",
    "struct",
    "struct {",
    "struct s {",
    "struct s { int a }",
    "struct s { int a; ",
    "struct s { int; };",
    "union u { int a; ",
    "enum",
    "enum e {",
    "enum e { A = };",
    "enum e { A = 1 / 0 };",
    "enum e { A = B };",
    "enum e { A, A };",
    "typedef;",
    "typedef int;",
    "typedef int int;",
    "int x[-1];",
    "struct s { int a[-5]; };",
    "struct s { int a : -1; };",
    "struct s { int a : 99; };",
    "struct s { double a : 3; };",
    "struct s { struct s inner; };",
    "struct s { void v; };",
    "int f(void, int);",
    "int f(...);",
    "int a[1/0];",
    "#define",
    "#define X",
    "#define X (",
    "#include <stdio.h>",
    "#if 1",
    "int (*)(int);",
    "int ((((((((((((((((((((((((((((((((((((((((x))))))))))))))))))))))))))))))))))))))));",
    "int " + "*" * 5000 + "p;",
    "int x" + "[1]" * 3000 + ";",
    "struct s { " + "struct { " * 300 + "int x; " + "}; " * 300 + "};",
    "int f(" + "int, " * 2000 + "int);",
    "\x00",
    "int \x00 x;",
    "int \udcff;",
    "???",
    "}}}{{{",
    "int f(int a, int a) { return a; }",
    "static int x = 5;",
    "int x = 5;",
    "extern int;",
    "unsigned float x;",
    "long long long x;",
    "short double x;",
    "signed void *p;",
    "_Complex x;",
    "char16_t char32_t x;",
    "struct s; struct s { int a; }; struct s { int b; };",
    "typedef int T; typedef long T;",
    "int f(int); int f(long);",
    "__attribute__((",
    "int x __attribute__((aligned(3)));",
    "struct s { int a; } __attribute__((aligned(-1)));",
    "struct s { int a; } __attribute__((packed, aligned(0)));",
    "int a[0x7fffffffffffffffffff];",
    "int a[9223372036854775807];",
    "struct s { char a[9223372036854775807]; char b[9223372036854775807]; };",
    "int x[1e3];",
    "int x['a'];",
    "enum e { A = 0x7fffffffffffffffffffffffffffffff };",
    "enum e { A = -0x8000000000000000, B = 0xffffffffffffffff };",
    "#define X 99999999999999999999999999999999999999999",
    "int f(int (*)(int (*)(int (*)(int (*)(int)))));" * 1,
]


@pytest.mark.parametrize("name,code,accepted", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_cleanly(name, code, accepted):
    out = run_isolated(code)
    if not accepted:
        # Any outcome but a crash: the value may be defined (C truncation) or refused.
        assert out["ok"] or out["type"] not in ("SystemError", "PanicException"), out
        return
    assert not out["ok"], f"{name}: expected one of {accepted}, but it succeeded"
    assert out["type"] in accepted, out


@pytest.mark.parametrize("source", MALFORMED_CDEFS, ids=range(len(MALFORMED_CDEFS)))
def test_malformed_cdef_raises_cleanly(source):
    code = (
        f"src = {source!r}\n"
        "try:\n"
        "    FFI().cdef(src)\n"
        "except Exception as e:\n"
        "    raise\n"
        "else:\n"
        "    f = FFI(); f.cdef(src)\n"  # accepted: declaring it again must not crash either
    )
    out = run_isolated(code)
    if not out["ok"]:
        # UnicodeEncodeError (a ValueError): lone surrogates cannot become C text.
        assert out["type"] in (
            "CDefError", "FFIError", "ValueError", "UnicodeEncodeError", "TypeError",
            "OverflowError", "NotImplementedError",
        ), out


def test_interpreter_survives_many_bad_inputs_in_one_process():
    # All the cases together in one process: no state left broken by an earlier failure.
    code = "\n".join(
        f"try:\n    exec({c!r})\nexcept Exception:\n    pass" for _, c, _ in CASES
    )
    code += "\nassert lib.add(2, 3) == 5\n"
    assert run_isolated(code) == {"ok": True}


def test_global_write_keeps_the_library_mapped_while_the_value_converts():
    # The conversion of the value runs Python code that closes the library: the write must
    # still land in mapped memory (a copy of the library, so that closing really unmaps it).
    code = textwrap.dedent(
        """
        import os, shutil, tempfile
        path = os.path.join(tempfile.mkdtemp(), "libcopy.so")
        shutil.copy(LIBPATH, path)
        copy = ffi.dlopen(path)

        class ClosesTheLibrary:
            def __int__(self):
                ffi.dlclose(copy)
                return 5

        copy.counter = ClosesTheLibrary()
        try:
            copy.counter
        except ValueError:
            pass
        else:
            raise AssertionError("a closed library still reads")
        """
    )
    assert run_isolated(code) == {"ok": True}
