"""Member and item reads in rffi: `p.x` and `a[i]` go through raw CPython slots whose fast
path reads common cases directly and hands the rest to the general path (pyo3's slots).

The general path stays reachable as `type(c).__getattribute__(c, name)` and
`type(c).__getitem__(c, key)` (the descriptors keep the slots the type was created with), so
each case here is read both ways and the outcomes must be identical: the same value (or the
same repr, address included, for cdata results) or the same exception type and message.
What the values are is pinned against cffi by the `read-*` snippets of test_differential.py.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def ffi():
    from rffi import FFI

    ffi = FFI()
    ffi.cdef(
        """
        enum color { RED, GREEN = 5, BLUE };
        struct point { int x; int y; };
        struct rect { struct point min; struct point max; };
        struct flags { unsigned int a : 1; unsigned int b : 3; int c : 4; };
        union number { int i; float f; double d; };
        struct all {
            char c; signed char sc; unsigned char uc; short s; unsigned short us;
            int i; unsigned int ui; long l; unsigned long ul; long long ll;
            unsigned long long ull; float f; double d; _Bool b; enum color e;
            wchar_t wc; long double ld; double _Complex z; int *p; int arr[2];
            struct point pt; int __hidden;
        };
        struct opaque;
        """
    )
    return ffi


def outcome(read, *args):
    try:
        value = read(*args)
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return ("raises", type(e).__name__, str(e))
    if type(value).__name__ == "CData":
        return ("cdata", repr(value))
    return ("ok", type(value).__name__, value)


def same_member(obj, name):
    fast = outcome(getattr, obj, name)
    general = outcome(type(obj).__getattribute__, obj, name)
    assert fast == general, f"{name!r} of {obj!r}"
    return fast


def same_item(obj, key):
    fast = outcome(lambda: obj[key])
    general = outcome(type(obj).__getitem__, obj, key)
    assert fast == general, f"[{key!r}] of {obj!r}"
    return fast


ALL_MEMBERS = [
    "c", "sc", "uc", "s", "us", "i", "ui", "l", "ul", "ll", "ull", "f", "d", "b", "e",
    "wc", "ld", "z", "p", "arr", "pt",
]


def filled(ffi):
    p = ffi.new("struct all *")
    p.c, p.sc, p.uc, p.s, p.us = b"A", -128, 255, -32768, 65535
    p.i, p.ui, p.l, p.ul = -(2**31), 2**32 - 1, -(2**63), 2**64 - 1
    p.ll, p.ull, p.f, p.d, p.b, p.e = 2**63 - 1, 2**64 - 1, 0.1, -2.5, True, 6
    p.wc, p.ld, p.z, p.arr, p.pt = "\u00e9", 1.25, 1 - 2j, [3, 4], [5, 6]
    return p


def test_every_member_kind_reads_the_same_both_ways(ffi):
    p = filled(ffi)
    for obj in (p, p[0], ffi.cast("struct all *", p)):
        for name in ALL_MEMBERS:
            same_member(obj, name)
    assert [getattr(p, n) for n in ("sc", "uc", "s", "us", "i", "ui")] == [
        -128, 255, -32768, 65535, -(2**31), 2**32 - 1,
    ]
    assert (p.l, p.ul, p.ll, p.ull) == (-(2**63), 2**64 - 1, 2**63 - 1, 2**64 - 1)
    assert (p.c, p.b, p.e, p.wc, p.d, p.z) == (b"A", True, 6, "\u00e9", -2.5, 1 - 2j)
    assert p.f == pytest.approx(0.1) and p.f != 0.1  # a C float, widened
    assert type(p.b) is bool and type(p.e) is int and type(p.c) is bytes
    assert repr(p.pt) == repr(p[0].pt) and p.pt.y == 6


def test_members_hand_back_the_general_cases(ffi):
    p = filled(ffi)
    names = ["zz", "__class__", "__len__", "__hidden", "x", "", "é"]
    for obj in (p, p[0]):
        for name in names:
            same_member(obj, name)
    # Names that are not the interned str objects of the members.
    class S(str):
        pass

    assert same_member(p, "".join(["i"])) == ("ok", "int", -(2**31))
    assert same_member(p, S("d")) == ("ok", "float", -2.5)
    assert same_member(p, S("zz"))[:2] == ("raises", "AttributeError")


def test_members_of_records_of_every_shape(ffi):
    r = ffi.new("struct rect *", [[1, 2], [3, 4]])
    for obj, names in [
        (r, ["min", "max", "zz"]),
        (r.max, ["x", "y", "zz"]),
        (r[0].min, ["x", "y"]),
        (ffi.new("struct point[2]", [[1, 2], [3, 4]])[1], ["x", "y"]),
        (ffi.new("union number *", {"d": 1.5}), ["i", "f", "d"]),
        (ffi.new("struct flags *", [1, 5, -3]), ["a", "b", "c"]),
        (ffi.new("struct flags[2]")[1], ["a", "b", "c"]),
        (ffi.new("int *"), ["x", "__class__"]),
        (ffi.new("struct point[2]"), ["x"]),
        (ffi.new("struct point **"), ["x"]),
        (ffi.cast("int", 5), ["x"]),
        (ffi.cast("struct opaque *", 4096), ["x"]),
    ]:
        for name in names:
            same_member(obj, name)
    f = ffi.new("struct flags *", [1, 5, -3])
    assert (f.a, f.b, f.c) == (1, 5, -3)


def test_members_through_null_and_released_memory_raise(ffi):
    null = ffi.cast("struct point *", 0)
    assert same_member(null, "x")[:2] == ("raises", "RuntimeError")
    assert same_member(ffi.cast("struct point *", 4095), "y")[:2] == ("raises", "RuntimeError")
    # A member the struct lacks: cffi's AttributeError, before any look at the address.
    assert same_member(null, "zz")[:2] == ("raises", "AttributeError")
    p = ffi.new("struct rect *")
    inner = p.max
    value = p[0]
    ffi.release(p)
    for obj, name in [(p, "min"), (inner, "x"), (value, "max")]:
        got = same_member(obj, name)
        assert got[:2] == ("raises", "ValueError") and "released" in got[2]


def test_many_members_are_all_found(ffi):
    ffi.cdef("struct many { " + " ".join(f"int f{i};" for i in range(300)) + " };")
    p = ffi.new("struct many *", list(range(300)))
    assert [getattr(p, f"f{i}") for i in range(300)] == list(range(300))
    for name in ("f0", "f150", "f299", "f300", "g"):
        same_member(p, name)


def test_members_of_a_struct_completed_later(ffi):
    ffi.cdef("struct late;")
    a = ffi.new("int[4]", [1, 2, 3, 4])
    p = ffi.cast("struct late *", a)
    assert same_member(p, "b")[0] == "raises"
    assert same_item(p, 1)[0] == "raises"
    ffi.cdef("struct late { int a; int b; };")
    assert same_member(p, "b") == ("ok", "int", 2)
    assert same_item(p, 1)[0] == "cdata"
    assert same_member(p[1], "a") == ("ok", "int", 3)


PRIMITIVE_ITEMS = {
    "char": [b"a", b"\xff"],
    "signed char": [-128, 127],
    "unsigned char": [0, 255],
    "short": [-32768, 32767],
    "unsigned short": [0, 65535],
    "int": [-(2**31), 2**31 - 1],
    "unsigned int": [0, 2**32 - 1],
    "long long": [-(2**63), 2**63 - 1],
    "unsigned long long": [0, 2**64 - 1],
    "float": [0.5, -1024.25],
    "double": [1e300, -0.0],
    "_Bool": [False, True],
    "enum color": [0, 6],
    "wchar_t": ["a", "\u20ac"],
    "long double": [1.5, 2.0],
    "float _Complex": [1j, 2.5],
}


@pytest.mark.parametrize("ctype", PRIMITIVE_ITEMS, ids=list(PRIMITIVE_ITEMS))
def test_items_read_the_same_both_ways(ffi, ctype):
    values = PRIMITIVE_ITEMS[ctype]
    a = ffi.new(f"{ctype}[]", values)
    p = ffi.cast(f"{ctype} *", a) + 1
    for obj, keys in [
        (a, [0, 1, 2, -1, 2**70, -(2**70), True, 1.0, "x", None]),
        (p, [-1, 0, -(2**64), 2**64]),
        (ffi.new(f"{ctype}[3]"), [0, 2, 3, -1]),
        (a[0:1], [0, 1, -1]),
    ]:
        for key in keys:
            same_item(obj, key)
    if ctype not in ("long double",):
        assert [a[0], a[1]] == values


def test_items_hand_back_the_general_cases(ffi):
    class I(int):  # noqa: E742
        pass

    class Index:
        def __index__(self):
            return 1

    a = ffi.new("int[3]", [4, 5, 6])
    for key in (I(2), Index(), True, slice(0, 2), ffi.cast("int", 1)):
        same_item(a, key)
    assert (a[I(2)], a[Index()], a[True]) == (6, 5, 5)
    s = ffi.new("struct point *", [1, 2])
    structs = ffi.new("struct point[2]", [[1, 2], [3, 4]])
    for obj, key in [
        (s, 0),  # shows as owning, like cffi
        (s, 1),
        (structs, 0),
        (structs, 1),
        (ffi.cast("struct point *", structs), 0),
        (ffi.new("int[2][3]"), 1),
        (ffi.new("int *[2]"), 1),
        (ffi.cast("void *", 4096), 0),
        (ffi.cast("int(*)(int)", 4096), 0),
        (ffi.cast("struct opaque *", 4096), 0),
        (ffi.cast("int", 5), 0),
        (s[0], 0),
    ]:
        same_item(obj, key)
    assert "owning" in repr(s[0]) and "owning" not in repr(structs[0])


def test_items_through_null_and_released_memory_raise(ffi):
    for ctype in ("int", "double", "char", "struct point"):
        null = ffi.cast(f"{ctype} *", 0)
        for key in (0, 1, -1):
            assert same_item(null, key)[:2] == ("raises", "RuntimeError")
    assert same_item(ffi.cast("int *", 4096), -1)[:2] == ("raises", "RuntimeError")
    assert same_item(ffi.cast("int[4]", 0), 2)[:2] == ("raises", "RuntimeError")
    a = ffi.new("int[4]", [1, 2, 3, 4])
    tail, view = a + 1, a[1:3]
    ffi.release(a)
    for obj in (a, tail, view):
        got = same_item(obj, 0)
        assert got[:2] == ("raises", "ValueError") and "released" in got[2]
