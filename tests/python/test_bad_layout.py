"""Structs and unions that cannot be laid out, run against cffi and rffi.

cffi lays a record out when it is first used, not at ``cdef``: a header may declare
``struct s { float x:1; };`` (or ``char x:0``, ``char x:9``, a member of unknown size) and the
``cdef`` succeeds; the first use that needs the record raises ``TypeError``. rffi declares such
records too and refuses them with cffi's ``TypeError`` and message. Each snippet is one use in a
fresh FFI: cffi's answer to a *second* use depends on what the first one cached (see
test_repeated_use_is_refused_again).
"""

from __future__ import annotations

import warnings

import pytest
from _differential import run_snippet

# (source, the record's type name, a member name)
RECORDS = {
    "float": ("struct s1 { float x:1; };", "struct s1", "x"),
    "double": ("struct s1 { int a; double x:3; };", "struct s1", "x"),
    "long_double": ("struct s1 { long double x:3; };", "struct s1", "x"),
    "pointer": ("struct s1 { int *x:1; };", "struct s1", "x"),
    "pointer_zero": ("struct s1 { int *x:0; };", "struct s1", "x"),
    "struct": ("struct t { int a; }; struct s1 { struct t x:1; };", "struct s1", "x"),
    "typedef_float": ("typedef float myf; struct s1 { myf x:3; };", "struct s1", "x"),
    "unnamed_float_zero": ("struct s1 { int a; float :0; };", "struct s1", "a"),
    "named_zero": ("struct s1 { char x:0; };", "struct s1", "x"),
    "int_named_zero": ("struct s1 { int a; int x:0; };", "struct s1", "a"),
    "too_wide": ("struct s1 { char x:9; };", "struct s1", "x"),
    "unnamed_too_wide": ("struct s1 { char :9; };", "struct s1", "x"),
    "long_long_65": ("struct s1 { long long x:65; };", "struct s1", "x"),
    "bool_9": ("struct s1 { _Bool x:9; };", "struct s1", "x"),
    "enum_33": ("enum e { A }; struct s1 { enum e x:33; };", "struct s1", "x"),
    "first_fault_wins": ("struct s1 { char a:9; float x:1; };", "struct s1", "x"),
    "first_fault_wins_2": ("struct s1 { float x:1; char a:9; };", "struct s1", "x"),
    "union_named_zero": ("union s1 { int a; char x:0; };", "union s1", "x"),
    "flexible_not_last": ("struct s1 { int a[]; int b; };", "struct s1", "b"),
    "flexible_bitfield": ("struct s1 { int a; int b[]:3; };", "struct s1", "a"),
    "flexible_then_float": ("struct s1 { int a[]; float x:1; };", "struct s1", "x"),
    "void_member": ("struct s1 { int n; void x; };", "struct s1", "n"),
    "opaque_member": ("typedef ... t; struct s1 { t x; };", "struct s1", "x"),
    "incomplete_member": ("struct t; struct s1 { struct t x; };", "struct s1", "x"),
    # Named as the record is named when used: after a typedef, by the typedef.
    "renamed_by_typedef": ("struct s1 { float x:1; }; typedef struct s1 s1_t;", "struct s1", "x"),
    "typedef_anonymous": ("typedef struct { float x:1; } A, *B;", "A", "x"),
    # Holding one, by value or through a pointer, makes a record unusable too.
    "member": ("struct s1 { float x:1; }; struct s2 { struct s1 a; int y; };", "struct s2", "y"),
    "pointer_member": (
        "struct s1 { char x:0; }; struct s2 { struct s1 *a; int y; };",
        "struct s2",
        "y",
    ),
    "anonymous_member": ("struct s1 { int a; struct { float x:1; }; };", "struct s1", "a"),
}

USES = {
    "new": "ffi.new('{T} *')",
    "sizeof": "ffi.sizeof('{T}')",
    "alignof": "ffi.alignof('{T}')",
    "offsetof": "ffi.offsetof('{T}', '{M}')",
    "typeof": "ffi.typeof('{T}')",
    "typeof_pointer": "ffi.typeof('{T} *')",
    "new_array": "ffi.new('{T}[2]')",
    "cast_pointer": "ffi.cast('{T} *', 0)",
    "function_type": "ffi.typeof('int(*)({T})')",
    "callback_by_value": "ffi.callback('int({T})', lambda s: 0)",
    "callback_returning": "ffi.callback('{T}(void)', lambda: None)",
    "function_by_value": "lib.take_it",
    "function_by_pointer": "lib.give_it",
    "global": "lib.glob",
    "list_types": "ffi.list_types()",
    # Declarations beside the record stay usable.
    "neighbour": "lib.abs(-3)",
}

# Every use for the cases of cffi's own test (TestBitfield.test_error_cases) and the union;
# the others with the uses that reach the layout in different ways.
FULL = {"float", "named_zero", "too_wide", "union_named_zero"}
SOME = ("new", "sizeof", "typeof", "offsetof", "function_by_value", "list_types")


def snippet(record: str, use: str) -> str:
    source, name, member = RECORDS[record]
    decls = f"int take_it({name}); {name} *give_it(void); extern {name} glob; int abs(int);"
    return "\n".join(
        [
            f"ffi.cdef({source + ' ' + decls!r})",
            "lib = ffi.dlopen(None)",
            USES[use].format(T=name, M=member),
        ]
    )


def outcome(backend: str, code: str) -> tuple:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_snippet(backend, code, with_lib=False)


CASES = [
    (record, use)
    for record in RECORDS
    for use in (USES if record in FULL else SOME)
]


@pytest.mark.parametrize(("record", "use"), CASES, ids=[f"{r}-{u}" for r, u in CASES])
def test_same_as_cffi(record, use):
    code = snippet(record, use)
    cffi, rffi = outcome("cffi", code), outcome("rffi", code)
    assert rffi == cffi, f"\n{code}\ncffi: {cffi}\nrffi: {rffi}"


def test_cffi_suite_cases_are_refused_on_use(backend):
    """testing/cffi0/test_ffi_backend.py::TestBitfield::test_error_cases, with its messages."""
    ffi = backend()
    ffi.cdef("struct s1 { float x:1; };")
    with pytest.raises(TypeError, match=r"^field 'struct s1.x' declared as 'float' cannot be a bit field$"):
        ffi.new("struct s1 *")
    ffi.cdef("struct s2 { char x:0; };")
    with pytest.raises(TypeError, match=r"^field 'struct s2.x' is declared with :0$"):
        ffi.new("struct s2 *")
    ffi.cdef("struct s3 { char x:9; };")
    with pytest.raises(TypeError, match=r"declared 'char:9', which exceeds the width of the type$"):
        ffi.new("struct s3 *")


def test_repeated_use_is_refused_again():
    """rffi refuses every use alike. (cffi caches a half-built type on the first failure, and later
    uses meet ValueError "unknown size", NotImplementedError "recursive structure declaration" or,
    for pointers, success: a deliberate difference.)"""
    from rffi import FFI

    ffi = FFI()
    ffi.cdef("struct s1 { float x:1; }; struct s2 { struct s1 a; };")
    for _ in range(2):
        for use in ("struct s1", "struct s1 *", "struct s2", "int(*)(struct s1 *)"):
            with pytest.raises(TypeError, match="cannot be a bit field"):
                ffi.typeof(use)


def test_a_record_is_declared_once(backend):
    """A record refused on use still has its body: declaring another one is refused, as in cffi."""
    ffi = backend()
    ffi.cdef("struct s1 { float x:1; };")
    with pytest.raises(Exception, match="duplicate declaration of struct s1") as e:
        ffi.cdef("struct s1 { int y; };", override=True)
    assert type(e.value).__name__ == "CDefError"
