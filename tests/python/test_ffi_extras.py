"""The rest of the FFI object: init_once, include, list_types, integer_const, wide strings,
long double, complex numbers, flexible array members, enums. Run under cffi and rffi."""

from __future__ import annotations

import threading
import time

import pytest

# ---- init_once ----


def test_init_once_runs_once_per_tag(backend):
    ffi = backend()
    calls = []

    def init():
        calls.append(1)
        return len(calls) * 10

    assert ffi.init_once(init, "a") == 10
    assert ffi.init_once(init, "a") == 10
    assert ffi.init_once(init, "b") == 20
    assert calls == [1, 1]


def test_init_once_retries_after_an_exception(backend):
    ffi = backend()
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("first try fails")
        return "ok"

    with pytest.raises(OSError):
        ffi.init_once(flaky, "tag")
    assert ffi.init_once(flaky, "tag") == "ok"
    assert ffi.init_once(flaky, "tag") == "ok"
    assert len(attempts) == 2


def test_init_once_from_threads_waits_for_the_first(backend):
    ffi = backend()
    calls = []

    def slow():
        calls.append(threading.get_ident())
        time.sleep(0.05)
        return "ready"

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(ffi.init_once(slow, ("any", "hashable"))))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["ready"] * 8
    assert len(calls) == 1


# ---- include and list_types ----

DECLS = """
    typedef int myint;
    struct s { int a; myint b; };
    union u { int i; float f; };
    typedef struct { int z; } anon_t;
    enum color { RED, GREEN = 5 };
    #define ANSWER 42
"""


def test_list_types(backend):
    ffi = backend()
    ffi.cdef(DECLS)
    assert ffi.list_types() == (["anon_t", "myint"], ["s"], ["u"])
    assert backend().list_types() == ([], [], [])


def test_include_brings_types_and_constants(backend):
    base = backend()
    base.cdef(DECLS)
    ffi = backend()
    ffi.include(base)
    ffi.cdef("struct t { struct s x; myint y; anon_t z; enum color c; };")
    assert ffi.sizeof("struct t") == 20
    assert ffi.offsetof("struct t", "c") == 16
    assert ffi.list_types() == (["anon_t", "myint"], ["s", "t"], ["u"])
    assert base.list_types() == (["anon_t", "myint"], ["s"], ["u"])
    p = ffi.new("struct t *", {"x": [1, 2], "y": 3, "c": 5})
    assert (p.x.b, p.y, p.c) == (2, 3, 5)
    assert ffi.string(ffi.cast("enum color", 5)) == "GREEN"


def test_include_and_functions(backend, backend_name, testlib_path):
    base = backend()
    base.cdef("int add(int a, int b); enum { SEVEN = 7 };")
    ffi = backend()
    ffi.include(base)
    lib = ffi.dlopen(str(testlib_path))
    assert lib.SEVEN == 7
    if backend_name == "cffi":
        # cffi's libraries see only their own FFI's functions.
        with pytest.raises(AttributeError):
            lib.add
    else:
        # rffi declares everything the included FFI declared, functions too.
        assert lib.add(2, 3) == 5


def test_include_refuses_other_objects(backend):
    with pytest.raises(TypeError, match="ffi.include\\(\\) expects an argument"):
        backend().include(42)


def test_integer_const_in_rffi():
    # cffi has integer_const only on out-of-line (compiled) FFIs; rffi offers it in ABI mode.
    from rffi import FFI

    ffi = FFI()
    ffi.cdef(DECLS)
    assert ffi.integer_const("ANSWER") == 42
    assert ffi.integer_const("GREEN") == 5
    with pytest.raises(AttributeError, match="integer constant 'nope' not found"):
        ffi.integer_const("nope")
    with pytest.raises(AttributeError):
        ffi.integer_const("myint")


# ---- wide characters ----


@pytest.mark.parametrize(
    "ctype, text, length",
    [
        ("wchar_t", "héllo", 6),
        ("char16_t", "h\U0001f600", 4),  # a surrogate pair in UTF-16
        ("char32_t", "h\U0001f600", 3),
    ],
)
def test_wide_strings_round_trip(backend, ctype, text, length):
    ffi = backend()
    p = ffi.new(f"{ctype}[]", text)
    assert len(p) == length
    assert ffi.string(p) == text
    assert ffi.unpack(p, length - 1) == text
    assert ffi.new(f"{ctype} *", "x")[0] == "x"


def test_wide_characters_through_calls(testlib):
    ffi, lib = testlib
    assert lib.id_wchar("é") == "é"
    assert lib.id_char16("Ω") == "Ω"
    assert lib.id_char32("\U0001f600") == "\U0001f600"
    assert lib.wide_len(ffi.new("wchar_t[]", "héllo")) == 5
    assert lib.wide_len("héllo") == 5


# ---- long double and complex ----


def test_long_double_values_and_calls(testlib):
    ffi, lib = testlib
    x = ffi.cast("long double", 1.5)
    assert repr(x) == "<cdata 'long double' 1.500000E+00>"
    assert float(lib.id_longdouble(x)) == 1.5
    assert float(lib.add_longdouble(0.25, x)) == 1.75
    p = ffi.new("long double[2]", [2.5, x])
    assert [float(v) for v in p] == [2.5, 1.5]


def test_complex_values(backend):
    ffi = backend()
    z = ffi.cast("double _Complex", 1 + 2j)
    assert complex(z) == 1 + 2j
    assert complex(ffi.cast("float _Complex", 0.5 - 1j)) == 0.5 - 1j
    p = ffi.new("double _Complex[2]", [3j, 1])
    assert [complex(v) for v in p] == [3j, 1]


def test_complex_calls(testlib, backend_name):
    ffi, lib = testlib
    if backend_name == "cffi":
        # libffi supports complex numbers, cffi does not pass them; rffi does.
        with pytest.raises(NotImplementedError):
            lib.id_dcomplex(1j)
        return
    assert lib.id_dcomplex(1 + 2j) == 1 + 2j
    assert lib.mul_fcomplex(1 + 1j, 2) == 2 + 2j
    assert lib.mul_dcomplex(ffi.cast("double _Complex", 2j), 2j) == -4


# ---- flexible array members, enums ----


def test_new_struct_with_a_flexible_array_member(backend):
    ffi = backend()
    ffi.cdef("struct vec { int n; double items[]; };")
    p = ffi.new("struct vec *", [3, [1.5, 2.5, 3.5]])
    assert ffi.sizeof(p[0]) == 8 + 3 * 8
    assert (p.n, list(p.items[0:3])) == (3, [1.5, 2.5, 3.5])
    q = ffi.new("struct vec *", {"n": 2, "items": 10})
    assert ffi.sizeof(q[0]) == 8 + 10 * 8
    q.items[9] = 4.0
    assert q.items[9] == 4.0


def test_enums_in_string_and_cast(backend):
    ffi = backend()
    ffi.cdef("enum e { A, B = 5, C = -1 };")
    assert ffi.string(ffi.cast("enum e", 5)) == "B"
    assert ffi.string(ffi.cast("enum e", -1)) == "C"
    assert ffi.string(ffi.cast("enum e", 7)) == "7"
    assert repr(ffi.cast("enum e", 0)) == "<cdata 'enum e' 0: A>"
    assert int(ffi.cast("int", ffi.cast("enum e", 5))) == 5
    assert ffi.new("enum e *", 5)[0] == 5


# ---- ffi.new and ffi.cast, called every way ----
# rffi takes positional calls of these two on a shortcut and hands every other form to the
# general method; both must behave as cffi's.

CALL_FORMS = [
    ("positional", lambda ffi: ffi.new("int *", 3)[0]),
    ("no-init", lambda ffi: ffi.new("int *")[0]),
    ("init-none", lambda ffi: ffi.new("int *", None)[0]),
    ("init-keyword", lambda ffi: ffi.new("int *", init=4)[0]),
    ("all-keywords", lambda ffi: ffi.new(init=[1, 2], cdecl="int[]")[1]),
    ("ctype-object", lambda ffi: ffi.new(ffi.typeof("int[2]"), [5, 6])[1]),
    ("cast-positional", lambda ffi: int(ffi.cast("int", 7))),
    ("cast-keywords", lambda ffi: int(ffi.cast(source=8, cdecl="long"))),
    ("cast-pointer", lambda ffi: int(ffi.cast("uintptr_t", ffi.cast("char *", 9)))),
    ("cast-negative-to-pointer", lambda ffi: int(ffi.cast("uintptr_t", ffi.cast("void *", -1)))),
    ("cast-big-to-pointer", lambda ffi: int(ffi.cast("uintptr_t", ffi.cast("int *", 2**70 + 5)))),
    ("unbound", lambda ffi: type(ffi).new(ffi, "int *", 2)[0]),
]


@pytest.mark.parametrize("call", [c for _, c in CALL_FORMS], ids=[n for n, _ in CALL_FORMS])
def test_new_and_cast_call_forms(backend, call):
    assert call(backend()) == call(__import__("cffi").FFI())


BAD_CALLS = [
    ("new-no-argument", lambda ffi: ffi.new()),
    ("new-three-arguments", lambda ffi: ffi.new("int *", 1, 2)),
    ("new-unknown-keyword", lambda ffi: ffi.new("int *", value=1)),
    ("new-twice-cdecl", lambda ffi: ffi.new("int *", cdecl="int *")),
    ("new-not-a-type", lambda ffi: ffi.new(5)),
    ("cast-one-argument", lambda ffi: ffi.cast("int *")),
    ("cast-three-arguments", lambda ffi: ffi.cast("int", 1, 2)),
    ("cast-not-a-type", lambda ffi: ffi.cast(None, 0)),
]


@pytest.mark.parametrize("call", [c for _, c in BAD_CALLS], ids=[n for n, _ in BAD_CALLS])
def test_bad_calls_of_new_and_cast_raise_type_error(backend, call):
    with pytest.raises(TypeError):
        call(backend())


def test_new_and_cast_in_a_subclass(backend):
    class Sub(backend):
        def new(self, cdecl, init=None):
            return super().new(cdecl, init)

    ffi = Sub()
    assert ffi.new("int *", 3)[0] == 3
    assert int(ffi.cast("short", 70000)) == 70000 - 65536


def test_new_and_cast_as_methods_in_rffi():
    import inspect

    from rffi import FFI

    assert str(inspect.signature(FFI.new)) == "(self, /, cdecl, init=None)"
    assert str(inspect.signature(FFI.cast)) == "(self, /, cdecl, source)"
    for not_an_ffi in (object(), None, 5):
        with pytest.raises(TypeError):
            FFI.new(not_an_ffi, "int *")
        with pytest.raises(TypeError):
            FFI.cast(not_an_ffi, "int", 0)


def test_typeof_a_cdata_of_another_ffi(backend):
    one = backend()
    one.cdef("struct s { int x; double y[4]; }; typedef struct s t[3];")
    p = one.new("t")
    other = backend()
    assert repr(other.typeof(p)) == repr(one.typeof(p)) == "<ctype 'struct s[3]'>"


# ---- types and cdata of another FFI instance ----
# Type ids are per FFI in rffi; a ctype or cdata of another FFI is translated by its C name.


def test_types_and_cdata_of_an_included_ffi(backend):
    a = backend()
    a.cdef("struct s { int x; double y; };")
    c = backend()
    c.include(a)
    c.cdef("void *memset(void *, int, size_t);")
    lib = c.dlopen(None)
    t = a.typeof("struct s")
    p = a.new("struct s *", [1, 2.5])
    assert (c.sizeof(t), c.offsetof(t, "y"), c.sizeof(p)) == (16, 8, 8)
    assert c.new(a.typeof("struct s *"), [3, 4.5]).y == 4.5
    assert c.new("struct s **", p)[0] == p
    assert lib.memset(p, 0, 4) == p and p.x == 0
    assert c.cast(a.typeof("int *"), 0) == c.NULL
    assert c.new(a.typeof("int[]"), [1, 2])[1] == 2


def test_foreign_types_never_panic():
    from rffi import FFI

    a, b = FFI(), FFI()
    a.cdef("struct s { int x; }; typedef struct { int y; } anon_t;")
    p = a.new("struct s *")
    assert b.sizeof(a.typeof("int")) == 4
    with pytest.raises(ValueError, match="unknown alignment"):
        b.alignof(a.typeof("struct s"))  # only an opaque 'struct s' in b
    with pytest.raises(TypeError, match="another FFI"):
        b.addressof(p[0], "x")
    with pytest.raises(TypeError, match="another FFI"):
        b.sizeof(a.typeof("anon_t"))  # b knows no typedef of that name
