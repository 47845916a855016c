"""Types that depend on no declaration are one ctype object per process, as in cffi.

``FFI().typeof("int") is FFI().typeof("int")`` in cffi: every FFI shares the ctype objects of
``void``, the primitives, and pointers, arrays and function types made only of them (cffi's
``test_unique_types``). Structs, unions and enums belong to the FFI that declared them, and so
does every type that reaches one. A typedef is its type, so ``my_t`` of one FFI is ``int`` of
another. The snippets check the same outcome on both backends; the ctypes and cdata of one FFI
used by another (new, cast, calls, callbacks) go through the same code as its own.
"""

from __future__ import annotations

import importlib

import pytest

from _differential import run_snippet


def test_builtin_types_are_one_object(backend):
    ffi1, ffi2 = backend(), backend()
    assert ffi1.typeof("char") is ffi2.typeof("char ")
    assert ffi1.typeof("long") is ffi2.typeof("signed long int")
    assert ffi1.typeof("double *") is ffi2.typeof("double*")
    assert ffi1.typeof("int ***") is ffi2.typeof(" int * * *")
    assert ffi1.typeof("int[]") is ffi2.typeof("signed int[]")
    assert ffi1.typeof("signed int*[17]") is ffi2.typeof("int *[17]")
    assert ffi1.typeof("void") is ffi2.typeof("void")
    assert ffi1.typeof("int(*)(int,int)") is ffi2.typeof("int(*)(int,int)")
    assert ffi1.typeof("void(*)(char *, ...)") is ffi2.typeof("void (*)(char*, ...)")
    assert ffi1.typeof("_Bool") is ffi2.typeof("bool")
    assert ffi1.typeof("double _Complex[2]") is ffi2.typeof("double _Complex[2]")
    # Distinct types stay distinct, even when they have the same size.
    assert ffi1.typeof("size_t") is not ffi2.typeof("unsigned long")
    assert ffi1.typeof("int32_t") is not ffi2.typeof("int")
    assert ffi1.typeof("int[3]") is not ffi2.typeof("int[4]")
    # The parts of a shared type are shared too.
    assert ffi1.typeof("int *[3]").item is ffi2.typeof("int *")
    assert ffi1.typeof("int(*)(long)").args[0] is ffi2.typeof("long")
    assert ffi1.typeof("int(*)(long)").result is ffi2.typeof("int")
    # One object, so equal and hashed alike.
    assert ffi1.typeof("int") == ffi2.typeof("int")
    assert len({ffi1.typeof("char *"), ffi2.typeof("char *")}) == 1


def test_declared_types_belong_to_their_ffi(backend):
    ffi1, ffi2 = backend(), backend()
    source = "struct foo { int x; }; union u { int i; }; enum e { E0, E1 }; typedef struct { int y; } anon_t;"
    ffi1.cdef(source)
    ffi2.cdef(source)
    for name in ["struct foo", "union u *", "enum e", "anon_t", "struct foo *[2]",
                 "int(*)(struct foo *)", "enum e(*)(int)"]:
        assert ffi1.typeof(name) is not ffi2.typeof(name), name
        assert ffi1.typeof(name) is ffi1.typeof(name), name
    assert ffi1.typeof("struct foo*") is ffi1.typeof("struct foo *")
    # Within one FFI, a declared type is reached from a shared one and back.
    assert ffi1.typeof("int(*)(struct foo *)").result is ffi2.typeof("int")


def test_typedefs_are_their_type(backend):
    ffi1, ffi2 = backend(), backend()
    ffi1.cdef("typedef int my_t; typedef char *str_t; typedef int (*cb_t)(my_t);")
    ffi2.cdef("typedef long my_t;")
    assert ffi1.typeof("my_t") is ffi2.typeof("int")
    assert ffi1.typeof("my_t") is not ffi2.typeof("my_t")
    assert ffi1.typeof("str_t[4]") is ffi2.typeof("char *[4]")
    assert ffi1.typeof("cb_t") is ffi2.typeof("int(*)(int)")


def test_backend_functions_make_the_same_objects():
    """cffi's ``new_primitive_type`` and friends give the objects every FFI shares."""
    for module, ffi_module in [("_cffi_backend", "cffi"), ("rffi._cffi_backend", "rffi")]:
        b = importlib.import_module(module)
        ffi = importlib.import_module(ffi_module).FFI()
        assert b.new_primitive_type("int") is ffi.typeof("int"), module
        assert b.new_pointer_type(b.new_primitive_type("char")) is ffi.typeof("char *"), module


# Ctypes and cdata of another FFI, in every use. `ffi` and `lib` (testlib) are one FFI, `f1`
# another; what rffi would otherwise look up by name is taken as it is.
CROSS_FFI = [
    ("new", "f1 = FFI(); p = ffi.new(f1.typeof('int[]'), [1, 2, 3]); (len(p), p[2], ffi.typeof(p) is f1.typeof('int[]'))"),
    ("new-typeof-is", "f1 = FFI(); ct = f1.typeof('double *'); ffi.typeof(ffi.new(ct, 1.5)) is ct"),
    ("cast", "f1 = FFI(); (int(ffi.cast(f1.typeof('unsigned char'), 300)), ffi.cast(f1.typeof('long'), -1))"),
    ("cast-cdata", "f1 = FFI(); p = f1.new('int[3]', [1, 2, 3]); ffi.cast('int *', p)[2]"),
    ("sizeof", "f1 = FFI(); (ffi.sizeof(f1.typeof('int *[5]')), ffi.alignof(f1.typeof('double')),"
     " ffi.offsetof(f1.typeof('int[3]'), 2))"),
    ("getctype", "f1 = FFI(); ffi.getctype(f1.typeof('char *[3]'), 'x')"),
    ("call-array", "f1 = FFI(); lib.sum_ints(f1.new('int[3]', [1, 2, 3]), 3)"),
    ("call-pointer", "f1 = FFI(); lib.sum_ints(f1.new('int *', 7), 1)"),
    ("call-char-array", "f1 = FFI(); lib.my_strlen(f1.new('char[]', b'hello'))"),
    ("call-double", "f1 = FFI(); d = f1.new('double[3]', [1.5, 2, 3]); lib.sum_doubles(d, 3)"),
    ("call-wrong-item", "f1 = FFI(); lib.sum_ints(f1.new('long[3]'), 3)"),
    ("call-void-ptr", "f1 = FFI(); lib.call_with_userdata(ffi.callback('void(*)(void *, int)',"
     " lambda p, x: None), f1.new('int *'), 1)"),
    ("callback-of-other-ffi", "f1 = FFI(); cb = f1.callback('int(*)(int)', lambda x: x * 2); lib.apply(cb, 21)"),
    ("callback-type-of-other-ffi", "f1 = FFI(); cb = ffi.callback(f1.typeof('int(*)(int)'), lambda x: x + 1);"
     " (lib.apply(cb, 41), ffi.typeof(cb) is f1.typeof('int(*)(int)'))"),
    ("callback-function-type", "f1 = FFI(); lib.apply(f1.callback('int(int)', lambda x: -x), 5)"),
    ("item-write", "f1 = FFI(); q = f1.new('int *', 4); a = ffi.new('int *[2]'); a[0] = q; a[0][0]"),
    ("init-list", "f1 = FFI(); q = f1.new('int *', 4); ffi.new('int *[2]', [q])[0][0]"),
    ("array-copy", "f1 = FFI(); s = ffi.new('int[2][3]'); s[1] = f1.new('int[3]', [4, 5, 6]); list(s[1])"),
    ("addressof", "f1 = FFI(); a = f1.new('int[3]', [1, 2, 3]); ffi.addressof(a, 1)[0]"),
    ("unpack-string", "f1 = FFI(); (ffi.unpack(f1.new('int[3]', [1, 2, 3]), 3), ffi.string(f1.new('char[]', b'hey')))"),
    ("from-buffer", "f1 = FFI(); ffi.from_buffer(f1.typeof('char[]'), bytearray(b'ab'))[1]"),
    ("function-pointer-of-other-ffi", "f1 = FFI(); f1.cdef('int add(int, int);');"
     " l1 = f1.dlopen(LIBPATH); fp = ffi.cast('int(*)(int, int)', ffi.addressof(lib, 'add')); fp(2, 3)"),
    # Declared types stay their FFI's: cffi refuses them in another FFI's call.
    ("struct-not-shared", "f1 = FFI(); f1.cdef('struct point { int x; int y; };');"
     " f1.typeof('struct point *') is ffi.typeof('struct point *')"),
    ("struct-sizeof", "f1 = FFI(); f1.cdef('struct point { int x; int y; };'); ffi.sizeof(f1.typeof('struct point'))"),
]


@pytest.mark.parametrize("name,code", CROSS_FFI, ids=[name for name, _ in CROSS_FFI])
def test_cross_ffi_same_outcome(name, code):
    expected = run_snippet("cffi", code)
    got = run_snippet("rffi", code)
    assert got == expected, f"\ncffi: {expected}\nrffi: {got}"


def test_shared_ctypes_from_threads(backend):
    """Many FFIs in many threads agree on one object per type."""
    import threading

    found: list = []

    def work():
        ffi = backend()
        found.append([ffi.typeof(t) for t in ("int", "char *[7]", "void(*)(double)")])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for row in found:
        assert all(a is b for a, b in zip(row, found[0]))
