"""Differential tests for the runtime differences that cffi's own test suite showed (issue 10;
tests/compat runs that suite). Each snippet runs under cffi and under rffi and must give the
same outcome; the comment above each group names the cffi test that found the difference.
"""

from __future__ import annotations

import gc
import weakref

import pytest

from _differential import run_snippet

NESTED = (
    "f = FFI(); f.cdef('struct s { struct { int a, b; }; union { int c, d; }; };"
    " union u { struct { int a, b; }; union { int c, d; }; };"
    " struct t { int a; union { int b; union { int c, d; }; }; int e; };'); "
)
FLEX = "f = FFI(); f.cdef('struct fx { int n; int d[]; }; struct fz { int n; short d[0]; };'); "

SNIPPETS = [
    # test_nested_anonymous_struct, _union, _struct_2: a list initializer passes over the
    # members of a union after its first; CField.flags marks them (1).
    ("nested-list-too-long", NESTED + "f.new('struct s *', [0, 0, 0, 0])"),
    ("nested-list", NESTED + "p = f.new('struct s *', [1, 2, 3]); (p.a, p.b, p.c, p.d)"),
    ("nested-union-list-two", NESTED + "p = f.new('union u *', [123, 456]); (p.a, p.b, p.c, p.d)"),
    ("nested-union-list-three", NESTED + "f.new('union u *', [0, 0, 0])"),
    ("nested-union-dict", NESTED + "p = f.new('union u *', {'a': -63, 'b': 12}); (p.a, p.b, p.d)"),
    ("nested-deep-list", NESTED + "p = f.new('struct t *', [11, 22, 33]); (p.a, p.b, p.d, p.e)"),
    ("nested-deep-too-long", NESTED + "f.new('struct t *', [11, 22, 33, 44])"),
    ("nested-flags", NESTED + "[[(n, x.offset, x.flags) for n, x in f.typeof(t).fields]"
     " for t in ('struct s', 'union u', 'struct t')]"),
    ("union-flags", "f = FFI(); f.cdef('union v { int x; char y; };');"
     " [(n, x.flags) for n, x in f.typeof('union v').fields]"),
    # test_struct_array_no_length: `T d[]` read from what ffi.new made is a `T[]` of the items
    # that fit; through a cast it is a `T *`. A `T d[0]` member is always a `T *`.
    ("flexible-len", FLEX + "p = f.new('struct fx *', [100, [200, 300, 400]]);"
     " (len(p.d), list(p.d), repr(f.typeof(p.d)), len(p[0].d))"),
    ("flexible-empty", FLEX + "p = f.new('struct fx *'); (len(p.d), repr(f.typeof(p.d)))"),
    ("flexible-through-cast", FLEX + "p = f.new('struct fx *', [1, [2, 3]]);"
     " q = f.cast('struct fx *', p); (repr(f.typeof(q.d)), q.d[1])"),
    ("flexible-cast-no-len", FLEX + "p = f.new('struct fx *', [1, [2, 3]]);"
     " len(f.cast('struct fx *', p).d)"),
    ("zero-length-member", FLEX + "p = f.new('struct fz *'); repr(f.typeof(p.d))"),
    # test_struct_containing_array_varsize_workaround
    ("zero-length-workaround", FLEX + "p = f.new('char[]', f.sizeof('struct fz') + 14);"
     " q = f.cast('struct fz *', p); q.d[6] = 15; (repr(f.typeof(q.d)), q.d[6])"),
    # test_new_struct_containing_struct_containing_array_varsize: the flexible array of a
    # struct that ends another struct sizes the allocation too (rffi used to write past it).
    ("flexible-nested", "f = FFI(); f.cdef('struct fo { int len[100]; short data[]; };"
     " struct ba { int abc[100]; struct fo tail; };');"
     " p = f.new('struct ba *', [[10], [[20], [3, 4, 5, 6, 7, 8, 9] * 300]]);"
     " (p.abc[0], p.tail.len[0], p.tail.data[0], p.tail.data[7 * 300 - 1])"),
    ("flexible-assign", FLEX + "q = f.new('struct fx *', [1, [2, 3, 4]]); q.d = [7, 8, 9];"
     " a = list(q.d); q.d = [5]; (a, list(q.d))"),
    # test_delitem_raises
    ("del-item", "p = ffi.new('int[5]'); del p[0]"),
    ("del-slice", "p = ffi.new('int[5]'); del p[1:3]"),
    ("del-buffer-item", "b = ffi.buffer(ffi.new('int[5]')); del b[0]"),
    # test_ffi_buffer_ptr, test_ffi_buffer_comparisons: ffi.buffer is the buffer class, and
    # buffers compare as the bytes they hold.
    ("buffer-is-class", "type(ffi.buffer(ffi.new('short *', 100))) is ffi.buffer"),
    ("buffer-class-call", "bytes(ffi.buffer(ffi.new('short[]', [1, 2]), 2))"),
    ("buffer-order", "a = ffi.new('uint8_t[]', list(range(100, 110)));"
     " c = ffi.new('uint8_t[]', [99] + list(range(100, 110)));"
     " (ffi.buffer(c, 6) < ffi.buffer(a, 3) < ffi.buffer(a, 6) < ffi.buffer(a),"
     " bytearray(range(100, 110)) > ffi.buffer(a, 6) > b'de', ffi.buffer(a, 3) != b'efg',"
     " ffi.buffer(a, 2) <= ffi.buffer(a, 2), ffi.buffer(a) == bytearray(range(100, 110)))"),
    ("buffer-compare-other", "b = ffi.buffer(ffi.new('char[]', b'ab'))\n"
     "try:\n    b < 5\nexcept TypeError:\n    r = 'TypeError'\n(r, b == 5, b != 5)"),
    # test_char16_t, test_char32_t: surrogates pass through as themselves.
    ("char16-pair", "z = ffi.new('char16_t[]', '\\U00012345'); (len(z), list(z), ffi.string(z))"),
    ("char16-lone", "x = ffi.new('char16_t[]', 5); x[2] = '\\ud808'; (x[2], ffi.string(x, 5))"),
    ("char32-pair-kept", "s = ffi.new('char32_t[]', '\\ud808\\udf00'); (len(s), list(s), ffi.string(s))"),
    ("char32-astral", "z = ffi.new('char32_t[]', '\\U00012345'); (len(z), list(z), ffi.string(z))"),
    ("char16-cast-surrogate", "ffi.cast('char16_t', 0xd808)"),
    ("char32-from-surrogate", "int(ffi.cast('int', ffi.cast('char32_t', '\\udf00')))"),
    # test_wchar_cast: wchar_t is signed on x86-64 Linux.
    ("wchar-signed", "int(ffi.cast('long long', ffi.cast('wchar_t', -1)))"),
    ("char32-unsigned", "int(ffi.cast('long long', ffi.cast('char32_t', -1)))"),
    # test_addressof, _array, _pointer: a pointer alone has no address to give.
    ("addressof-pointer", "ffi.addressof(ffi.new('int *'))"),
    ("addressof-pointer-index", "a = ffi.new('int[50]'); p = ffi.cast('int *', a);"
     " (ffi.addressof(p, 0) == p, ffi.addressof(p, 25) == p + 25, repr(ffi.typeof(ffi.addressof(p, 25))))"),
    ("addressof-array-then-pointer", "ffi.addressof(ffi.addressof(ffi.new('int[52]')))"),
    # test_gc_disable: only what ffi.gc returned loses its destructor.
    ("gc-none-not-from-gc", "ffi.gc(ffi.new('int *', 1), None)"),
    ("gc-none", "seen = []; p = ffi.new('int *'); q1 = ffi.gc(p, lambda p: seen.append(1));"
     " q2 = ffi.gc(q1, lambda p: seen.append(2)); r = ffi.gc(q1, None); del q1, q2;"
     " import gc; gc.collect(); (r, seen)"),
    # test_ffi_new_allocator_4
    ("allocator-returns-int", "ffi.new_allocator(lambda n: 42)('int[5]')"),
    ("allocator-returns-int-cdata", "ffi.new_allocator(lambda n: ffi.cast('int', 42))('int[5]')"),
    # test_pack_valueerror
    ("packed-two", "FFI().cdef('', packed=2)"),
    ("packed-and-pack", "FFI().cdef('', packed=True, pack=1)"),
    ("packed-one", "f = FFI(); f.cdef('struct p { char a; int b; };', packed=1); f.sizeof('struct p')"),
    # test_opaque_enum: an enum without values is an unsigned int, with a warning.
    ("opaque-enum", "import warnings\nf = FFI(); f.cdef('enum foo;')\n"
     "with warnings.catch_warnings(record=True) as log:\n"
     "    warnings.simplefilter('always')\n    n = int(f.cast('enum foo', -1))\n"
     "(n, [str(w.message) for w in log], [w.category.__name__ for w in log])"),
    # test_array_of_func_ptr: a type string may not name a function type, except for callbacks.
    ("function-type-cast", "ffi.cast('int(int)', 42)"),
    ("function-type-new", "ffi.new('int(int)')"),
    ("function-type-sizeof", "ffi.sizeof('int(int)')"),
    ("function-type-array", "ffi.new('int([5])(int)')"),
    ("function-returning-array", "ffi.cast('int(*)(int)[5]', 0)"),
    ("function-type-callback", "ffi.callback('int(int)', lambda x: x + 1)(41)"),
    ("function-pointer-array", "f = ffi.callback('int(*)(int)', lambda n: n + 1);"
     " a = ffi.new('int(*[5])(int)', [f, f]); (len(a), a[1](42), a[2] == ffi.NULL)"),
    # test_ordering_bug2: an array parameter is a pointer, its items need no size yet.
    ("array-param-incomplete", "f = FFI(); f.cdef('struct bar_s; struct foo_s { void (*foo)(struct bar_s[]); };"
     " struct bar_s { struct foo_s foo; };'); (f.sizeof('struct foo_s'),"
     " repr(f.typeof('struct foo_s').fields[0][1].type))"),
]


# Same exception type, rffi's own message: cffi's names its internal type representation.
MESSAGE_DIFFERS = {
    "function-type-array": "cffi: 'cannot render the type <int()(int)>'",
    "function-returning-array": "cffi: 'invalid result type'",
}


@pytest.mark.parametrize("name,code", SNIPPETS, ids=[name for name, _ in SNIPPETS])
def test_same_outcome(name, code):
    expected = run_snippet("cffi", code, with_lib=False)
    got = run_snippet("rffi", code, with_lib=False)
    if name in MESSAGE_DIFFERS:
        assert expected[0] == "raises" and got[:2] == expected[:2], f"\ncffi: {expected}\nrffi: {got}"
    else:
        assert got == expected, f"\ncffi: {expected}\nrffi: {got}"


# test_keepalive_lib, test_keepalive_ffi: a Lib takes weak references, keeps its FFI alive,
# and is kept alive by it.
def test_lib_and_ffi_keep_each_other(backend, testlib_path):
    ffi = backend()
    ffi.cdef("int add(int a, int b);")
    lib = ffi.dlopen(str(testlib_path))
    ffi_ref, lib_ref = weakref.ref(ffi), weakref.ref(lib)
    add = lib.add
    del ffi
    gc.collect()
    assert ffi_ref() is not None and lib_ref() is not None
    ffi = ffi_ref()  # noqa: F841  # holds the FFI while the Lib's last name goes
    del lib
    gc.collect()
    assert lib_ref() is not None
    assert add(2, 3) == 5


def test_lib_and_ffi_cycle_is_collected(backend, testlib_path):
    ffi = backend()
    ffi.cdef("int add(int a, int b);")
    lib = ffi.dlopen(str(testlib_path))
    ffi_ref, lib_ref = weakref.ref(ffi), weakref.ref(lib)
    del ffi, lib
    gc.collect()
    assert ffi_ref() is None and lib_ref() is None


# test_dlopen_handle: ffi.dlopen() of a `void *` that C's dlopen returned; the handle stays
# open until the program closes it.
def test_dlopen_of_a_handle(backend, testlib_path):
    ffi1 = backend()
    ffi1.cdef("void *dlopen(const char *filename, int flags); int dlclose(void *handle);")
    libdl = ffi1.dlopen(None)
    handle = libdl.dlopen(str(testlib_path).encode(), ffi1.RTLD_LAZY)
    assert handle
    ffi = backend()
    ffi.cdef("int add(int a, int b);")
    lib = ffi.dlopen(handle)
    assert lib.add(40, 2) == 42
    del lib
    gc.collect()
    assert libdl.dlclose(handle) == 0


@pytest.mark.parametrize(
    "code",
    [
        "f = FFI(); f.dlopen(f.cast('int *', 8))",
        "f = FFI(); f.dlopen(f.NULL)",
    ],
)
def test_dlopen_of_a_bad_handle(code):
    expected = run_snippet("cffi", code, with_lib=False)
    got = run_snippet("rffi", code, with_lib=False)
    assert got[:2] == expected[:2], f"\ncffi: {expected}\nrffi: {got}"


# test_fputs_custom_FILE: a Python file object where C wants a FILE *.
def test_python_file_as_FILE(backend, tmp_path):
    ffi = backend()
    ffi.cdef("int fputs(const char *, FILE *); int fflush(FILE *);")
    libc = ffi.dlopen(None)
    path = tmp_path / "out"
    with path.open("wb") as f:
        f.write(b"[")
        libc.fputs(b"hello", f)
        f.write(b"][")
        libc.fputs(b"again", f)
        f.write(b"]")
    assert path.read_bytes() == b"[hello][again]"


def test_python_file_cast_to_FILE(backend, tmp_path):
    ffi = backend()
    ffi.cdef("int fputs(const char *, FILE *);")
    libc = ffi.dlopen(None)
    path = tmp_path / "out"
    with path.open("wb") as f:
        f.write(b"<")
        stream = ffi.cast("FILE *", f)  # flushes what Python buffered
        assert ffi.typeof(stream) is ffi.typeof("FILE *") and stream != ffi.NULL
        libc.fputs(b"cast", stream)
        assert ffi.cast("FILE *", f) == stream  # one stream per file
        f.write(b">")
    assert path.read_bytes() == b"<cast>"


# test_free_callback_cycle: a callback kept only by a reference cycle through its own Python
# function is collected (rffi's cdata show the garbage collector the function they call).
def test_callback_in_a_cycle_is_collected(backend):
    ffi = backend()

    class Data:
        pass

    def make_callback(data):
        container = [data]
        callback = ffi.callback("int()", lambda: len(container))
        container.append(callback)
        return callback

    data = Data()
    callback = make_callback(data)
    assert callback() == 2
    ref = weakref.ref(data)
    del callback, data
    gc.collect()
    assert ref() is None


def test_callback_in_a_cycle_lives_while_used(backend):
    ffi = backend()

    class Data:
        pass

    def make_callback(data):
        container = [data]
        callback = ffi.callback("int(int)", lambda n: n + len(container), onerror=lambda *a: None)
        container.append(callback)
        return callback

    data = Data()
    callback = make_callback(data)
    ref = weakref.ref(data)
    del data
    gc.collect()
    assert ref() is not None and callback(40) == 42
