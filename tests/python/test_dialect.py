"""cffi's cdef dialect, run against cffi and rffi: the same snippet must have the same outcome.

cffi accepts C that only its API mode can complete (`...` in its many places, `extern "Python"`)
and things it ignores (calling conventions, `#pragma`, `_Alignas`). In ABI mode it declares them
and raises its own error where they are used; rffi must do the same, with the same exception
type and message.
"""

from __future__ import annotations

import warnings

import pytest
from _differential import run_snippet


def outcome(backend: str, code: str) -> tuple:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_snippet(backend, code, with_lib=False)


def same(code: str) -> tuple:
    cffi, rffi = outcome("cffi", code), outcome("rffi", code)
    assert rffi == cffi, f"\n{code}\ncffi: {cffi}\nrffi: {rffi}"
    return cffi


def cdef_and(source: str, *uses: str) -> str:
    """A snippet: declare `source`, then collect what each use gives (value or error)."""
    lines = [
        f"ffi.cdef({source!r})",
        "lib = ffi.dlopen(None)",
        "out = []",
        "def probe(f):",
        "    try:",
        "        v = f()",
        "        out.append(('ok', v if isinstance(v, (int, str, bool, type(None), list, tuple)) "
        "else repr(v)))",
        "    except Exception as e:",
        "        out.append((type(e).__name__, str(e)))",
    ]
    lines += [f"probe(lambda: {u})" for u in uses]
    lines.append("out")
    return "\n".join(lines)


OPAQUE_USES = (
    "ffi.typeof('foo_t')",
    "ffi.typeof('foo_t').kind",
    "ffi.typeof('foo_t').cname",
    "ffi.typeof('foo_t *')",
    "ffi.new('foo_t *')",
    "ffi.sizeof('foo_t')",
    "ffi.new('foo_t **')",
    "ffi.cast('foo_t *', 0)",
    "ffi.new('foo_t[]', 3)",
    "ffi.typeof('foo_t').fields",
    "ffi.typeof('struct foo_t')",
    "ffi.list_types()",
)

SNIPPETS = {
    "typedef_dots": cdef_and("typedef ... foo_t;", *OPAQUE_USES),
    "typedef_dots_in_signatures": cdef_and(
        "typedef ... foo_t; foo_t *make(void); void use(foo_t *);",
        "ffi.typeof('foo_t *')",
        "ffi.typeof('void(*)(foo_t *)')",
        "ffi.list_types()",
    ),
    "typedef_dots_pointer": cdef_and(
        "typedef ... *foo_p;", "ffi.typeof('foo_p')", "ffi.new('foo_p *')", "ffi.list_types()"
    ),
    "typedef_dots_two_names": cdef_and(
        "typedef ... foo_t, bar_t;", "ffi.typeof('bar_t')", "ffi.typeof('foo_t') is ffi.typeof('bar_t')"
    ),
    "typedef_struct_dots": cdef_and(
        "typedef struct { int x; ...; } foo_t;",
        "ffi.typeof('foo_t')",
        "ffi.new('foo_t *')",
        "ffi.sizeof('foo_t')",
        "ffi.offsetof('foo_t', 'x')",
        "ffi.list_types()",
    ),
    "struct_dots": cdef_and(
        "struct s { int x; ...; }; struct s *f(void); int abs(int);",
        "ffi.typeof('struct s')",
        "ffi.typeof('struct s *')",
        "ffi.cast('struct s *', 0)",
        "lib.f",
        "lib.abs(-1)",
        "ffi.list_types()",
    ),
    "struct_only_dots": cdef_and("struct s { ...; };", "ffi.typeof('struct s')"),
    "union_dots": cdef_and("union u { int x; ...; };", "ffi.typeof('union u')"),
    "struct_dots_array_member": cdef_and("struct s { int a[...]; };", "ffi.typeof('struct s')"),
    "enum_dots": cdef_and(
        "enum e { A, B, ... }; int abs(int);",
        "lib.A",
        "lib.B",
        "dir(lib)",
        "ffi.typeof('enum e')",
        "ffi.typeof('enum e *')",
        "lib.abs(-1)",
    ),
    "typedef_enum_dots": cdef_and(
        "typedef enum { A, B, ... } e_t;", "lib.A", "ffi.typeof('e_t')", "ffi.list_types()"
    ),
    "anonymous_enum_dots": cdef_and("enum { A, ... };", "lib.A"),
    "array_dots": cdef_and(
        "int a[...]; extern int b[...];", "lib.a", "lib.b", "dir(lib)"
    ),
    "typedef_array_dots": cdef_and(
        "typedef int arr_t[...];", "ffi.typeof('arr_t')", "ffi.list_types()"
    ),
    "type_string_array_dots": cdef_and("int x;", "type(ffi.typeof('int[...]'))"),
    "define_dots": cdef_and(
        "#define FOO ...\n#define BAR 42", "lib.BAR", "lib.FOO", "dir(lib)"
    ),
    "typedef_int_dots": cdef_and(
        "typedef int... foo_t; typedef unsigned long... ul_t; foo_t f(void);",
        "ffi.typeof('foo_t')",
        "ffi.typeof('ul_t *')",
        "lib.f",
        "ffi.list_types()",
    ),
    "typedef_float_dots": cdef_and("typedef double... d_t;", "ffi.typeof('d_t')"),
    "extern_python": cdef_and(
        'extern "Python" int cb(int); int abs(int);',
        "lib.cb",
        "dir(lib)",
        "lib.abs(-3)",
        "ffi.def_extern()",
        "ffi.def_extern('cb')",
        "ffi.def_extern(name='cb', error=1)",
    ),
    "extern_python_plus_c": cdef_and('extern "Python+C" int cb(int);', "dir(lib)", "ffi.def_extern()"),
    "extern_python_block": cdef_and(
        'extern "Python" { int cb(int); void cb2(void); typedef int foo; }',
        "dir(lib)",
        "ffi.typeof('foo')",
    ),
    "extern_python_storage": cdef_and(
        'extern "Python" static int cb(int); extern "Python" typedef int foo;',
        "dir(lib)",
        "ffi.typeof('foo')",
    ),
    "calling_conventions": cdef_and(
        "int __stdcall f(int); int WINAPI g(int); int __cdecl h(int); int (__stdcall *p)(int);\n"
        "typedef int (WINAPI *fp)(int);",
        "ffi.typeof('fp')",
        "ffi.typeof('int(__stdcall *)(int)')",
        "ffi.typeof('int(__cdecl *)(int)')",
        "ffi.typeof('int(WINAPI *)(int)')",
        "dir(lib)",
    ),
    "non_integer_constants": cdef_and(
        "static const float x = 42.5; static const double y = -1e3; static const int z = 42;"
        " static const long l = 1.5; static char *const cp = 0; int j = 5;",
        "lib.x",
        "lib.y",
        "lib.z",
        "lib.l",
        "lib.cp",
        "lib.j",
        "dir(lib)",
    ),
    "pragma_is_ignored": cdef_and(
        "#pragma pack(1)\n#pragma once\nstruct s { char a; int b; };", "ffi.sizeof('struct s')"
    ),
    "alignas_is_ignored": cdef_and(
        "struct s { char c; _Alignas(16) int x; }; _Alignas(8) int g;",
        "ffi.sizeof('struct s')",
        "ffi.offsetof('struct s', 'x')",
    ),
    "typedef_tagged_struct_two_declarators": cdef_and(
        "typedef struct _P { int x; } P, *PP;",
        "ffi.typeof('P')",
        "ffi.typeof('PP')",
        "ffi.typeof('struct _P')",
        "ffi.typeof('PP').item is ffi.typeof('P')",
        "ffi.new('PP', [7]).x",
        "ffi.list_types()",
    ),
    "typedef_anonymous_struct_two_declarators": cdef_and(
        "typedef struct { int x; } Q, *QP;",
        "ffi.typeof('Q')",
        "ffi.typeof('QP')",
        "ffi.typeof('QP').item is ffi.typeof('Q')",
        "ffi.list_types()",
    ),
    "typedef_pointer_declarator_first": cdef_and(
        "typedef struct { int x; } *QP, Q; typedef struct _T { int y; } *TP, T;",
        "ffi.typeof('Q')",
        "ffi.typeof('QP')",
        "ffi.typeof('T')",
        "ffi.typeof('TP').item is ffi.typeof('T')",
    ),
    "typedef_union_two_declarators": cdef_and(
        "typedef union { int x; } U, *UP;", "ffi.typeof('U')", "ffi.typeof('UP')"
    ),
    "typedef_enum_two_declarators": cdef_and(
        "typedef enum { A1, B1 } A, B;",
        "ffi.typeof('A')",
        "ffi.typeof('B')",
        "ffi.typeof('A') is ffi.typeof('B')",
        "lib.B1",
    ),
    "typedef_tagged_enum_is_named_by_typedef": cdef_and(
        "typedef enum _E { X1, Y1 } E;",
        "ffi.typeof('E')",
        "ffi.typeof('enum _E')",
        "ffi.typeof('E').cname",
        "ffi.typeof('E *')",
        "repr(ffi.new('E *'))",
        "ffi.list_types()",
    ),
    "enum_declared_before_typedef_keeps_tag": cdef_and(
        "enum e { A, B }; typedef enum e e_t;", "ffi.typeof('e_t')", "ffi.typeof('enum e')"
    ),
    "typedef_struct_names_first": cdef_and(
        "typedef struct _S S1; typedef struct _S S2; struct _S { int x; };",
        "ffi.typeof('S1')",
        "ffi.typeof('S2')",
        "ffi.typeof('struct _S')",
    ),
    "file_is_not_a_struct_tag": cdef_and(
        "typedef ... handle_t; FILE *open_it(handle_t *);", "ffi.list_types()"
    ),
    "callback_with_names": cdef_and(
        "int x;",
        "ffi.typeof('char cb(char, char)')",
        "ffi.typeof('int(*)(int a, int b)')",
        "callable(ffi.callback('char cb(char, char)'))",
        "ffi.cast('int(int)', 0)",
        "ffi.cast('int f(int)', 0)",
        "ffi.callback('char(*)(char a, char b)', lambda a, b: a)",
    ),
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_dialect_same_as_cffi(name):
    result = same(SNIPPETS[name])
    assert result[0] == "ok", result


# Refused at cdef time by both; rffi's message adds the position, so cffi's text without its
# position is looked for in rffi's.
REFUSED = {
    "typedef_dots_twice": "typedef ... foo_t; typedef ... foo_t;",
    "typedef_dots_then_int": "typedef ... foo_t; typedef int foo_t;",
    "extern_python_variable": 'extern "Python" int x;',
    "extern_python_block_variable": 'extern "Python" { int x; }',
    "dots_array_parameter": "void f(int a[...]);",
    "enum_body_after_typedef": "typedef enum _E E; enum _E { X1 };",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_dialect_refused_as_cffi(name):
    code = f"ffi.cdef({REFUSED[name]!r})"
    cffi, rffi = outcome("cffi", code), outcome("rffi", code)
    assert cffi[0] == rffi[0] == "raises", (cffi, rffi)
    assert rffi[1] == cffi[1]
    cffi_message = cffi[2].split(":", 2)[-1].strip() if cffi[2].startswith(":") else cffi[2]
    cffi_message = cffi_message.replace("<cdef source string>:1: ", "")
    assert cffi_message in rffi[2], (cffi, rffi)


def test_pragma_warns_as_cffi(backend):
    ffi = backend()
    with pytest.warns(UserWarning, match="#pragma in cdef"):
        ffi.cdef("#pragma pack(1)\nint x;")


def test_verification_missing_is_exported_like_cffi():
    import cffi
    import rffi

    ffi = rffi.FFI()
    ffi.cdef("struct s { int x; ...; };")
    with pytest.raises(rffi.VerificationMissing, match="^struct s$"):
        ffi.typeof("struct s")
    assert rffi.VerificationMissing.__mro__[1:] == cffi.VerificationMissing.__mro__[1:]


# Refused by both, at the point where rffi says what to write instead.
@pytest.mark.parametrize(
    "source",
    ['extern "C" int f(int);', "#include <stdio.h>", "#ifdef X\nint a;\n#endif"],
)
def test_still_refused(backend, source):
    ffi = backend()
    with pytest.raises(Exception, match="parse|Directives|not supported"):
        ffi.cdef(source)
