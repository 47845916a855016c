"""The differential suite: every snippet runs under cffi and under rffi, and the outcomes must
agree: the value (reprs with addresses normalised), or the exception's type and message.

Snippets are Python source; see ``_differential.py`` for what they see and how outcomes are
reduced. Differences that are known and justified are listed in ``MESSAGE_DIFFERS`` (only the
exception type is compared) with the reason. Behaviour where cffi refuses or crashes and rffi
deliberately does better is tested separately at the end of this file, against rffi alone.
"""

from __future__ import annotations

import pytest

from _differential import run_snippet

# ---------------------------------------------------------------------------------------------
# Snippets, grouped by topic. Each is (id, source).

PRIMITIVES = {
    # type: (a sample value, a value out of range or of the wrong type)
    "char": (b"A", 65),
    "signed char": (-5, 128),
    "unsigned char": (250, -1),
    "short": (-300, 2**15),
    "unsigned short": (65535, 65536),
    "int": (-7, 2**40),
    "unsigned int": (2**32 - 1, -1),
    "long": (-(2**63), 2**63),
    "unsigned long": (2**64 - 1, 2**64),
    "long long": (2**63 - 1, -(2**63) - 1),
    "unsigned long long": (12345, -3),
    "int8_t": (-128, 128),
    "uint8_t": (255, 256),
    "int16_t": (-32768, -32769),
    "uint16_t": (7, "x"),
    "int32_t": (1, 1.5),
    "uint32_t": (3, None),
    "int64_t": (-1, 2**64),
    "uint64_t": (2**64 - 1, -1),
    "size_t": (10, -10),
    "ssize_t": (-10, 2**63),
    "intptr_t": (5, b"x"),
    "uintptr_t": (5, -5),
    "ptrdiff_t": (-5, []),
    "float": (1.5, "1.5"),
    "double": (-2.25, b"2"),
    "_Bool": (True, 2),
    "wchar_t": ("\u00e9", b"a"),
    "char16_t": ("z", "\U0001f600"),
    "char32_t": ("\U0001f600", 65),
}

SNIPPETS: list[tuple[str, str]] = []


def snippet(name: str, code: str) -> None:
    SNIPPETS.append((name, code))


for _t, (_good, _bad) in PRIMITIVES.items():
    snippet(f"new-default-{_t}", f"ffi.new('{_t} *')[0]")
    snippet(f"new-value-{_t}", f"ffi.new('{_t} *', {_good!r})[0]")
    snippet(f"new-bad-{_t}", f"ffi.new('{_t} *', {_bad!r})")
    snippet(f"repr-new-{_t}", f"repr(ffi.new('{_t} *'))")
    snippet(f"cast-{_t}", f"repr(ffi.cast('{_t}', 65))")
    snippet(f"sizeof-{_t}", f"(ffi.sizeof('{_t}'), ffi.alignof('{_t}'))")
    snippet(f"typeof-{_t}", f"t = ffi.typeof('{_t}'); (repr(t), t.kind, t.cname)")

# ---- ffi.new: arrays, structs, unions
for name, code in [
    ("array-fixed", "a = ffi.new('int[10]'); (len(a), list(a), repr(a))"),
    ("array-len", "a = ffi.new('int[]', 5); (len(a), list(a), repr(a))"),
    ("array-list", "list(ffi.new('int[]', [1, 2, 3]))"),
    ("array-tuple", "list(ffi.new('short[4]', (1, 2)))"),
    ("array-char-bytes", "a = ffi.new('char[]', b'hello'); (len(a), ffi.string(a), a[5])"),
    ("array-char-fixed", "a = ffi.new('char[8]', b'hi'); (len(a), ffi.string(a), a[1])"),
    ("array-char-toolong", "ffi.new('char[2]', b'abc')"),
    ("array-char-exact", "a = ffi.new('char[3]', b'abc'); ffi.string(a)"),
    ("array-wchar-str", "a = ffi.new('wchar_t[]', 'h\u00e9'); (len(a), ffi.string(a))"),
    ("array-too-many", "ffi.new('int[2]', [1, 2, 3])"),
    ("array-negative-len", "ffi.new('int[]', -1)"),
    ("array-no-len", "ffi.new('int[]')"),
    ("array-float-len", "ffi.new('int[]', 2.0)"),
    ("array-bad-item", "ffi.new('int[3]', [1, 'x'])"),
    ("array-overflow-item", "ffi.new('unsigned char[]', [1, 256])"),
    ("array-2d", "a = ffi.new('int[2][3]', [[1, 2, 3], [4, 5]]); [list(r) for r in a]"),
    ("array-2d-repr", "a = ffi.new('int[2][3]'); (repr(a[1]), repr(ffi.typeof(a[1])))"),
    ("array-of-ptr", "a = ffi.new('int *[3]'); repr(a[0])"),
    ("array-double", "list(ffi.new('double[]', [1, 2.5]))"),
    ("array-bool", "list(ffi.new('_Bool[]', [True, 0]))"),
    ("array-char-list", "ffi.string(ffi.new('char[]', [b'a', b'b']))"),
    ("array-char-from-int", "ffi.new('char[]', [1])"),
    ("array-zero", "a = ffi.new('int[0]'); (len(a), repr(a))"),
    ("array-from-str", "ffi.new('char[]', 'text')"),
    ("array-from-dict", "ffi.new('int[]', {1: 2})"),
    ("struct-new", "p = ffi.new('struct point *'); (p.x, p.y, repr(p))"),
    ("struct-list", "p = ffi.new('struct point *', [1, 2]); (p.x, p.y)"),
    ("struct-dict", "p = ffi.new('point_t *', {'y': 5}); (p.x, p.y)"),
    ("struct-too-many", "ffi.new('point_t *', [1, 2, 3])"),
    ("struct-bad-key", "ffi.new('struct point *', {'z': 1})"),
    ("struct-bad-type", "ffi.new('struct point *', 5)"),
    ("struct-nested-list", "r = ffi.new('struct rect *', [[1, 2], [3, 4]]); (r.min.x, r.max.y)"),
    ("struct-nested-dict", "r = ffi.new('struct rect *', {'max': {'x': 9}}); (r.max.x, r.min.x)"),
    ("struct-with-array", "w = ffi.new('struct with_array *', [4, [1, 2, 3, 4]]); (w.n, list(w.values))"),
    ("struct-array-too-many", "ffi.new('struct with_array *', [4, [1, 2, 3, 4, 5]])"),
    ("struct-chars3", "t = ffi.new('struct chars3 *', [b'ab']); (t.tag[0], t.tag[1], t.tag[2])"),
    ("struct-value", "s = ffi.new('struct point *', [1, 2])[0]; (repr(s), s.x)"),
    ("struct-copy", "a = ffi.new('struct point *', [1, 2]); b = ffi.new('struct point *', a[0]); b.y"),
    ("struct-mixed", "m = ffi.new('struct mixed *', [b'c', 2.5]); (m.c, m.d)"),
    ("struct-new-non-pointer", "ffi.new('struct point')"),
    ("struct-new-int", "ffi.new('int')"),
    ("struct-array", "a = ffi.new('struct point[2]', [[1, 2], {'x': 3}]); (a[0].y, a[1].x, repr(a[1]))"),
    ("union-new", "u = ffi.new('union number *', [7]); (u.i, repr(u))"),
    ("union-dict", "u = ffi.new('union number *', {'d': 1.5}); u.d"),
    ("union-too-many", "ffi.new('union number *', [1, 2])"),
    ("new-void", "ffi.new('void *')"),
    ("new-opaque", "ffi.new('counter_obj *')"),
    ("new-func", "ffi.new('int(*)(int)')"),
    ("new-func-ptr-ptr", "repr(ffi.new('int(**)(int)')[0])"),
    ("new-ptr-ptr", "p = ffi.new('int **'); repr(p[0])"),
    ("new-ptr-init", "x = ffi.new('int *', 5); p = ffi.new('int **', x); p[0][0]"),
    ("new-ptr-bad", "ffi.new('int **', 5)"),
    ("new-ptr-wrong-type", "x = ffi.new('char *'); ffi.new('int **', x)"),
    ("new-void-ptr-any", "x = ffi.new('char *'); p = ffi.new('void **', x); p[0] == x"),
    ("new-ctype-arg", "ffi.new(ffi.typeof('int *'), 3)[0]"),
    ("new-bad-type-string", "ffi.new('int **)')"),
    ("new-unknown-type", "ffi.new('struct nope *')"),
    ("new-unknown-name", "ffi.new('foo_t *')"),
    ("new-enum", "p = ffi.new('enum color *', 6); (p[0], repr(p))"),
    ("new-enum-name", "ffi.new('enum color *', 'GREEN')"),
    ("new-bitfields", "f = ffi.new('struct flags *', [1, 7, -8, 100]); (f.a, f.b, f.c, f.d)"),
    ("new-bitfield-overflow", "ffi.new('struct flags *', [2])"),
    ("new-bitfield-signed", "ffi.new('struct flags *', {'c': 8})"),
    ("new-longdouble", "repr(ffi.new('long double *', 1.5)[0])"),
    ("new-complex", "ffi.new('double _Complex *', 1+2j)[0]"),
    ("new-fcomplex", "ffi.new('float _Complex *', 3)[0]"),
]:
    snippet(name, code)

# ---- ffi.cast
for name, code in [
    ("cast-int-trunc", "int(ffi.cast('unsigned char', 300))"),
    ("cast-int-neg-unsigned", "int(ffi.cast('unsigned int', -1))"),
    ("cast-float-int", "int(ffi.cast('int', 3.9))"),
    ("cast-int-float", "float(ffi.cast('double', 3))"),
    ("cast-float-repr", "repr(ffi.cast('float', 1.1))"),
    ("cast-double-repr", "repr(ffi.cast('double', 1.1))"),
    ("cast-bool", "(repr(ffi.cast('_Bool', 5)), bool(ffi.cast('_Bool', 0)))"),
    ("cast-char-bytes", "repr(ffi.cast('char', b'x'))"),
    ("cast-char-int", "repr(ffi.cast('char', 0x141))"),
    ("cast-wchar", "repr(ffi.cast('wchar_t', 'a'))"),
    ("cast-ptr-int", "repr(ffi.cast('int *', 0x1000))"),
    ("cast-ptr-null", "repr(ffi.cast('int *', 0))"),
    ("cast-ptr-ptr", "p = ffi.new('int *'); q = ffi.cast('char *', p); (repr(q) == repr(p).replace('int', 'char'), ffi.cast('intptr_t', q) == ffi.cast('intptr_t', p))"),
    ("cast-ptr-to-int", "p = ffi.cast('int *', 1234); int(ffi.cast('intptr_t', p))"),
    ("cast-ptr-to-long", "int(ffi.cast('long', ffi.cast('void *', 99)))"),
    ("cast-array-to-ptr", "a = ffi.new('int[3]', [1, 2, 3]); ffi.cast('int *', a)[2]"),
    ("cast-enum", "(repr(ffi.cast('enum color', 5)), repr(ffi.cast('enum color', 99)))"),
    ("cast-enum-neg", "repr(ffi.cast('enum color', -1))"),
    ("cast-struct", "ffi.cast('struct point', 0)"),
    ("cast-void", "ffi.cast('void', 0)"),
    ("cast-str", "ffi.cast('int', 'ab')"),
    ("cast-bytes-long", "ffi.cast('int', b'ab')"),
    ("cast-none", "ffi.cast('int', None)"),
    ("cast-list", "ffi.cast('int *', [1])"),
    ("cast-float-to-ptr", "ffi.cast('int *', 1.5)"),
    ("cast-huge", "int(ffi.cast('unsigned long long', 2**100 + 5))"),
    ("cast-huge-neg", "int(ffi.cast('int', -2**70 - 1))"),
    ("cast-cdata-int", "int(ffi.cast('short', ffi.cast('int', 70000)))"),
    ("cast-double-to-float", "float(ffi.cast('float', ffi.cast('double', 0.1)))"),
    ("cast-ptr-to-double", "ffi.cast('double', ffi.cast('void *', 1))"),
    ("cast-func-ptr", "repr(ffi.cast('int(*)(int)', 0))"),
    ("cast-func-to-void", "f = lib.add; p = ffi.cast('void *', f); p == ffi.cast('void *', f)"),
    ("cast-longdouble", "repr(ffi.cast('long double', 2))"),
    ("cast-complex", "complex(ffi.cast('double _Complex', 1.5))"),
    ("cast-complex-to-int", "ffi.cast('int', 1j)"),
    ("cast-bad-ctype", "ffi.cast(5, 0)"),
    ("cast-index-obj", "class I:\n    def __index__(self): return 7\nint(ffi.cast('int', I()))"),
    ("cast-bool-obj", "int(ffi.cast('int', True))"),
    ("cast-nan", "ffi.cast('int', float('nan'))"),
    ("cast-inf-ptr", "ffi.cast('int *', float('inf'))"),
    ("cast-huge-float", "(int(ffi.cast('int', 1e300)), int(ffi.cast('long long', -1e19)), int(ffi.cast('unsigned char', 300.7)))"),
    ("cast-float-bool", "(bool(ffi.cast('_Bool', 0.5)), repr(ffi.cast('_Bool', 0.0)))"),
]:
    snippet(name, code)

# ---- indexing, slicing, iteration, arithmetic, comparisons
for name, code in [
    ("index-basic", "a = ffi.new('int[5]', [1, 2, 3, 4, 5]); (a[0], a[4])"),
    ("index-too-large", "a = ffi.new('int[]', 5); a[5]"),
    ("index-negative", "a = ffi.new('int[5]'); a[-1]"),
    ("index-set-too-large", "a = ffi.new('int[5]'); a[5] = 1"),
    ("index-float", "a = ffi.new('int[5]'); a[1.0]"),
    ("index-str", "a = ffi.new('int[5]'); a['x']"),
    ("index-cdata-int", "a = ffi.new('int[5]', [1, 2, 3]); a[ffi.cast('int', 2)]"),
    ("index-ptr", "a = ffi.new('int[5]', [1, 2, 3]); p = ffi.cast('int *', a); (p[1], p[-0])"),
    ("index-ptr-negative", "a = ffi.new('int[5]', [1, 2, 3]); p = ffi.cast('int *', a) + 2; p[-1]"),
    ("index-int-cdata", "ffi.cast('int', 5)[0]"),
    ("index-struct", "ffi.new('struct point *')[0][0]"),
    ("setitem-overflow", "a = ffi.new('short[2]'); a[0] = 2**15"),
    ("setitem-wrong", "a = ffi.new('int[2]'); a[0] = 'x'"),
    ("setitem-ptr", "p = ffi.new('int *'); p[0] = 9; p[0]"),
    ("setitem-char", "a = ffi.new('char[2]'); a[0] = b'z'; a[0]"),
    ("setitem-char-int", "a = ffi.new('char[2]'); a[0] = 5"),
    ("setitem-struct", "a = ffi.new('struct point[2]'); a[1] = [3, 4]; (a[1].x, a[1].y)"),
    ("slice-basic", "a = ffi.new('int[5]', [1, 2, 3, 4, 5]); s = a[1:3]; (repr(s), list(s), len(s))"),
    ("slice-no-start", "a = ffi.new('int[5]'); a[:2]"),
    ("slice-no-stop", "a = ffi.new('int[5]'); a[2:]"),
    ("slice-step", "a = ffi.new('int[5]'); a[0:4:2]"),
    ("slice-negative", "a = ffi.new('int[5]'); a[-1:3]"),
    ("slice-reversed", "a = ffi.new('int[5]'); a[3:1]"),
    ("slice-too-large", "a = ffi.new('int[5]'); a[0:6]"),
    ("slice-ptr", "a = ffi.new('int[5]', [1, 2, 3]); p = ffi.cast('int *', a); list(p[0:3])"),
    ("slice-ptr-no-start", "p = ffi.new('int *'); p[:1]"),
    ("slice-ptr-no-stop", "p = ffi.new('int *'); p[0:]"),
    ("slice-assign", "a = ffi.new('int[5]'); a[1:3] = [7, 8]; list(a)"),
    ("slice-assign-short", "a = ffi.new('int[5]'); a[1:3] = [7]"),
    ("slice-assign-long", "a = ffi.new('int[5]'); a[1:3] = [7, 8, 9]"),
    ("slice-assign-cdata", "a = ffi.new('int[5]'); b = ffi.new('int[2]', [5, 6]); a[0:2] = b; list(a)"),
    ("slice-assign-bytes", "a = ffi.new('char[4]'); a[0:2] = b'xy'; ffi.string(a)"),
    ("slice-assign-bytes-bad", "a = ffi.new('char[4]'); a[0:2] = b'xyz'"),
    ("slice-assign-gen", "a = ffi.new('int[3]'); a[0:3] = iter([1, 2, 3]); list(a)"),
    ("slice-assign-int", "a = ffi.new('int[3]'); a[0:3] = 5"),
    ("slice-of-slice", "a = ffi.new('int[5]', [1, 2, 3, 4, 5]); list(a[1:4][1:2])"),
    ("slice-empty", "a = ffi.new('int[5]'); (len(a[2:2]), list(a[2:2]))"),
    ("iter-array", "list(ffi.new('int[3]', [4, 5, 6]))"),
    ("iter-ptr", "iter(ffi.new('int *'))"),
    ("iter-struct", "iter(ffi.new('struct point *')[0])"),
    ("iter-chars", "list(ffi.new('char[3]', b'ab'))"),
    ("len-ptr", "len(ffi.new('int *'))"),
    ("len-struct", "len(ffi.new('struct point *')[0])"),
    ("len-int", "len(ffi.cast('int', 3))"),
    ("arith-add", "a = ffi.new('int[5]'); p = a + 2; (repr(ffi.typeof(p)), p - a, (p + 1) - a)"),
    ("arith-radd", "a = ffi.new('int[5]'); (2 + a) - a"),
    ("arith-sub-int", "a = ffi.new('int[5]'); p = a + 4; (p - 3) - a"),
    ("arith-sub-mismatch", "a = ffi.new('int[5]'); b = ffi.new('char[5]'); a - b"),
    ("arith-struct-ptr", "a = ffi.new('struct point[3]'); (ffi.cast('char *', a + 1) - ffi.cast('char *', a))"),
    ("arith-void-ptr", "p = ffi.cast('void *', 16); p + 1"),
    ("arith-int-cdata", "ffi.cast('int', 5) + 1"),
    ("arith-float-off", "a = ffi.new('int[5]'); a + 1.5"),
    ("arith-ptr-ptr-add", "a = ffi.new('int[5]'); a + a"),
    ("cmp-ptr-eq", "a = ffi.new('int[5]'); (a == a, a + 1 == a + 1, a != a + 1, a < a + 1, a + 2 >= a + 1)"),
    ("cmp-ptr-none", "p = ffi.new('int *'); (p == None, p != None)"),
    ("cmp-null", "(ffi.NULL == ffi.cast('int *', 0), ffi.NULL == ffi.cast('char *', 0))"),
    ("cmp-ptr-int", "ffi.cast('int *', 0) == 0"),
    ("cmp-int-cdata", "(ffi.cast('int', 5) == 5, ffi.cast('int', 5) == ffi.cast('long', 5), ffi.cast('int', 5) < 6)"),
    ("cmp-float-cdata", "(ffi.cast('double', 1.5) == 1.5, ffi.cast('float', 1.5) > 1)"),
    ("cmp-char-cdata", "(ffi.cast('char', b'a') == b'a', ffi.cast('char', b'a') == 97)"),
    ("cmp-ptr-lt-int", "ffi.cast('int *', 0) < 5"),
    ("cmp-struct", "a = ffi.new('struct point *'); a[0] == a[0]"),
    ("hash-int", "hash(ffi.cast('int', 5)) == hash(5)"),
    ("hash-ptr", "p = ffi.cast('int *', 64); hash(p) == hash(ffi.cast('int *', 64))"),
    ("hash-float", "hash(ffi.cast('double', 1.5)) == hash(1.5)"),
    ("dict-key", "d = {ffi.cast('int', 5): 1}; d.get(5)"),
    ("bool-values", "(bool(ffi.cast('int', 0)), bool(ffi.cast('int', 2)), bool(ffi.NULL), bool(ffi.new('int *')), bool(ffi.cast('double', 0.0)))"),
    ("int-of-values", "(int(ffi.cast('char', b'a')), int(ffi.cast('double', 2.7)), int(ffi.cast('_Bool', 1)), int(ffi.cast('wchar_t', 'a')))"),
    ("int-of-ptr", "int(ffi.cast('int *', 8))"),
    ("int-of-struct", "int(ffi.new('struct point *')[0])"),
    ("float-of-int", "float(ffi.cast('int', 3))"),
    ("float-of-ptr", "float(ffi.new('int *'))"),
    ("float-of-longdouble", "float(ffi.cast('long double', 2.5))"),
    ("index-op", "import operator; operator.index(ffi.cast('int', 3))"),
    ("index-op-float", "import operator; operator.index(ffi.cast('double', 3))"),
    ("range-cdata", "list(range(ffi.cast('int', 3)))"),
]:
    snippet(name, code)

# ---- struct fields
for name, code in [
    ("field-rw", "p = ffi.new('struct point *'); p.x = 5; p.y = -3; (p.x, p.y, p[0].x)"),
    ("field-missing", "p = ffi.new('struct point *'); p.zz"),
    ("field-missing-value", "p = ffi.new('struct point *'); p[0].zz"),
    ("field-set-missing", "p = ffi.new('struct point *'); p.zz = 1"),
    ("field-overflow", "p = ffi.new('struct point *'); p.x = 2**31"),
    ("field-wrong-type", "p = ffi.new('struct point *'); p.x = 'a'"),
    ("field-nested", "r = ffi.new('struct rect *'); r.max.x = 4; (r.max.x, repr(r.max))"),
    ("field-nested-assign", "r = ffi.new('struct rect *'); r.min = [1, 2]; (r.min.x, r.min.y)"),
    ("field-nested-assign-cdata", "r = ffi.new('struct rect *'); p = ffi.new('struct point *', [6, 7]); r.max = p[0]; r.max.y"),
    ("field-array", "w = ffi.new('struct with_array *'); w.values[2] = 9; (list(w.values), repr(w.values), len(w.values))"),
    ("field-array-assign", "w = ffi.new('struct with_array *'); w.values = [1, 2, 3, 4]; list(w.values)"),
    ("field-array-oob", "w = ffi.new('struct with_array *'); w.values[4]"),
    ("field-char-array", "t = ffi.new('struct chars3 *'); t.tag = b'xyz'; (ffi.string(t.tag), t.tag[2])"),
    ("field-char-array-long", "t = ffi.new('struct chars3 *'); t.tag = b'wxyz'"),
    ("field-ptr", "ffi.cdef('struct node { int v; struct node *next; };'); n = ffi.new('struct node *'); (repr(n.next), n.next == ffi.NULL)"),
    ("field-ptr-assign", "ffi.cdef('struct node { int v; struct node *next; };'); a = ffi.new('struct node *'); b = ffi.new('struct node *', [3]); a.next = b; a.next.v"),
    ("field-ptr-assign-bad", "ffi.cdef('struct node { int v; struct node *next; };'); a = ffi.new('struct node *'); a.next = 5"),
    ("field-bitfields", "f = ffi.new('struct flags *'); f.a = 1; f.b = 5; f.c = -3; f.d = 2**24 - 1; (f.a, f.b, f.c, f.d, lib.flags_pack(f))"),
    ("field-bitfield-overflow", "f = ffi.new('struct flags *'); f.b = 8"),
    ("field-bitfield-negative", "f = ffi.new('struct flags *'); f.a = -1"),
    ("field-bitfield-c-set", "f = ffi.new('struct flags *'); lib.flags_set(f, 1, 2, -4, 1000); (f.a, f.b, f.c, f.d)"),
    ("field-anon", "ffi.cdef('struct an { int a; struct { int b; int c; }; union { int d; float e; }; };'); p = ffi.new('struct an *', {'b': 2, 'd': 4}); (p.a, p.b, p.c, p.d, ffi.offsetof('struct an', 'c'), ffi.sizeof('struct an'))"),
    ("field-anon-list", "ffi.cdef('struct an { int a; struct { int b; int c; }; };'); p = ffi.new('struct an *', [1, 2, 3]); (p.a, p.b, p.c)"),
    ("field-on-int", "ffi.cast('int', 1).x"),
    ("field-on-ptr-int", "ffi.new('int *').x"),
    ("field-union", "u = ffi.new('union number *'); u.f = 1.0; u.i"),
    ("field-enum", "ffi.cdef('struct ce { enum color c; };'); p = ffi.new('struct ce *', [5]); (p.c, repr(ffi.typeof(p).item.fields[0][1].type))"),
    ("field-float", "ffi.cdef('struct fl { float f; };'); p = ffi.new('struct fl *'); p.f = 0.1; p.f"),
    ("field-dir", "sorted(dir(ffi.new('struct point *')))"),
    ("field-dir-value", "sorted(dir(ffi.new('struct point *')[0]))"),
]:
    snippet(name, code)

# ---- reads of members and items: rffi reads `p.v` and `a[i]` through raw slots with a fast
# path (see test_reads.py); these pin what both paths return against cffi.
for _t, (_good, _bad) in PRIMITIVES.items():
    snippet(
        f"read-field-{_t}",
        f"ffi.cdef('struct rf {{ char pad; {_t} v; {_t} w[3]; }};'); p = ffi.new('struct rf *');"
        f" p.v = {_good!r}; p.w[1] = {_good!r}; s = p[0]; q = ffi.cast('{_t} *', p.w);"
        f" (p.v, s.v, p.w[1], q[1], q[2], type(p.v).__name__, type(q[1]).__name__)",
    )
    snippet(
        f"read-item-{_t}",
        f"a = ffi.new('{_t}[4]', [{_good!r}] * 4); p = ffi.cast('{_t} *', a) + 1;"
        f" (a[0], a[3], p[-1], p[2], list(a), type(a[0]).__name__)",
    )
for _t in ("int", "unsigned short", "double", "long long"):
    snippet(
        f"read-unaligned-{_t}",
        f"b = ffi.new('char[32]', bytes(range(1, 33))); p = ffi.cast('{_t} *', b + 1); (p[0], p[1])",
    )
for name, code in [
    ("read-index-bool", "a = ffi.new('int[3]', [4, 5, 6]); (a[True], a[False])"),
    ("read-index-int-subclass", "class I(int): pass\na = ffi.new('int[3]', [4, 5, 6]); a[I(2)]"),
    ("read-index-object", "class I:\n    def __index__(self): return 1\na = ffi.new('int[3]', [4, 5, 6]); a[I()]"),
    ("read-index-huge", "a = ffi.new('int[3]'); a[2**70]"),
    ("read-index-huge-negative", "a = ffi.new('int[3]'); a[-2**70]"),
    ("read-index-huge-ptr", "p = ffi.cast('int *', ffi.new('int[3]')); p[2**64]"),
    ("read-index-len", "a = ffi.new('int[]', 3); (a[2], a[3])"),
    ("read-index-len-negative", "a = ffi.new('int[]', 3); a[-1]"),
    ("read-index-fixed-end", "a = ffi.new('double[3]'); a[3]"),
    ("read-index-sliced-end", "a = ffi.new('int[5]', [1, 2, 3, 4, 5]); s = a[1:3]; (s[0], s[1], s[2])"),
    ("read-index-late-struct", "ffi.cdef('struct late;'); a = ffi.new('int[4]', [1, 2, 3, 4]); p = ffi.cast('struct late *', a)\ntry:\n    p[1]\nexcept Exception:\n    pass\nffi.cdef('struct late { int a; int b; };'); (p[1].a, p.b, p[0].b)"),
    ("read-field-late-struct", "ffi.cdef('struct late;'); a = ffi.new('int[4]', [1, 2, 3, 4]); p = ffi.cast('struct late *', a)\ntry:\n    p.a\nexcept Exception:\n    pass\nffi.cdef('struct late { int a; int b; };'); (p.a, p.b, p[1].a)"),
    ("read-struct-items", "a = ffi.new('struct point[3]', [[1, 2], [3, 4], [5, 6]]); (a[0].x, a[2].y, repr(a[1]), repr(a[0]))"),
    ("read-new-ptr-item0", "p = ffi.new('struct point *', [1, 2]); (repr(p[0]), p[0].y, repr((p + 0)[0]))"),
    ("read-ptr-struct-items", "a = ffi.new('struct point[3]', [[1, 2], [3, 4], [5, 6]]); p = ffi.cast('struct point *', a); (repr(p[0]), p[1].x, (p + 1).y, repr(p[2]))"),
    ("read-ptr-items", "x = ffi.new('int *', 7); a = ffi.new('int *[2]', [x]); (a[0][0], a[1] == ffi.NULL, repr(a[1]))"),
    ("read-2d-items", "a = ffi.new('int[2][3]', [[1, 2, 3], [4, 5, 6]]); (a[1][2], repr(ffi.typeof(a[0])), len(a[1]))"),
    ("read-longdouble-items", "a = ffi.new('long double[2]', [1.5, 2]); (repr(a[0]), float(a[1]))"),
    ("read-complex-items", "a = ffi.new('double _Complex[2]', [1j, 2]); (a[0], a[1])"),
    ("read-enum-items", "a = ffi.new('enum color[3]', [0, 5, 6]); (a[0], a[1], a[2], type(a[2]).__name__)"),
    ("read-enum-char-bool-fields", "ffi.cdef('struct ce2 { enum color c; char k; _Bool b; };'); p = ffi.new('struct ce2 *', [6, b'q', True]); (p.c, p.k, p.b, type(p.b).__name__)"),
    ("read-field-many", "ffi.cdef('struct many { ' + ' '.join(f'int f{i};' for i in range(100)) + ' };'); p = ffi.new('struct many *', list(range(100))); [getattr(p, f'f{i}') for i in range(100)] + [p.f0, p.f57, p.f99]"),
    ("read-field-runtime-name", "p = ffi.new('struct point *', [3, 4]); n = ''.join(['x']); (getattr(p, n), getattr(p, 'y'), p.__class__ is type(p))"),
    ("read-field-str-subclass", "class S(str): pass\np = ffi.new('struct point *', [3, 4]); getattr(p, S('y'))"),
    ("read-field-missing-ptr", "p = ffi.new('struct point *'); p.z"),
    ("read-field-on-array", "ffi.new('struct point[2]').x"),
    ("read-field-on-ptrptr", "ffi.new('struct point **').x"),
    ("read-union-fields", "u = ffi.new('union number *'); u.d = 1.5; (u.d, u.i == ffi.cast('int *', u)[0], u.f)"),
    ("read-bitfields-signed", "f = ffi.new('struct flags *'); f.c = -8; f.b = 7; f.a = 1; f.d = 5; (f.c, f.b, f.a, f.d, ffi.new('struct flags[2]')[1].c)"),
    ("read-nested-view", "r = ffi.new('struct rect *', [[1, 2], [3, 4]]); m = r.max; m.x = 9; (r.max.x, repr(m), r[0].min.y)"),
    ("read-array-field-view", "w = ffi.new('struct with_array *', [1, [5, 6, 7, 8]]); v = w.values; v[0] = 0; (w.values[0], v[3], repr(v))"),
    ("read-char-array-field", "t = ffi.new('struct chars3 *', [b'abc']); (t.tag[0], t.tag[2], ffi.string(t.tag))"),
    ("read-ptr-field", "ffi.cdef('struct node2 { int v; struct node2 *next; };'); a = ffi.new('struct node2 *', [1]); b = ffi.new('struct node2 *', [2, a]); (b.next.v, b.next.next == ffi.NULL, b[0].next.v)"),
    ("read-anon-fields", "ffi.cdef('struct an2 { int a; struct { int b; int c; }; union { int d; float e; }; };'); p = ffi.new('struct an2 *', [1, 2, 3, 4]); (p.a, p.b, p.c, p.d, p[0].c)"),
]:
    snippet(name, code)

# ---- reprs of cdata and ctypes
for name, code in [
    ("repr-null", "repr(ffi.NULL)"),
    ("repr-new-array", "repr(ffi.new('int[3]'))"),
    ("repr-new-struct", "repr(ffi.new('struct point *'))"),
    ("repr-struct-ref", "repr(ffi.new('struct point *')[0])"),
    ("repr-ptr-field", "r = ffi.new('struct rect *'); repr(r.min)"),
    ("repr-func", "repr(lib.add)"),
    ("repr-func-variadic", "repr(lib.sum_var)"),
    ("repr-int", "repr(ffi.cast('int', -3))"),
    ("repr-char", "repr(ffi.cast('char', b'\\n'))"),
    ("repr-double", "repr(ffi.cast('double', 1e300))"),
    ("repr-float-nan", "repr(ffi.cast('double', float('nan')))"),
    ("repr-float-inf", "repr(ffi.cast('float', float('-inf')))"),
    ("repr-uint", "repr(ffi.cast('unsigned long long', -1))"),
    ("repr-ptr-index", "a = ffi.new('int *[2]'); repr(a[0])"),
    ("repr-ctype-ptr", "repr(ffi.typeof('int *'))"),
    ("repr-ctype-array", "(repr(ffi.typeof('int[5]')), repr(ffi.typeof('int[]')), repr(ffi.typeof('char *[3]')))"),
    ("repr-ctype-func", "repr(ffi.typeof('int(*)(int, double)'))"),
    ("repr-ctype-func-void", "repr(ffi.typeof('void(*)(void)'))"),
    ("repr-ctype-func-var", "repr(ffi.typeof(lib.sum_var))"),
    ("repr-ctype-array-of-ptr", "repr(ffi.typeof('int(*)[5]'))"),
    ("repr-ctype-ptr-ptr", "repr(ffi.typeof('const char **'))"),
    ("repr-ctype-struct", "(repr(ffi.typeof('struct point')), repr(ffi.typeof('point_t')))"),
    ("repr-ctype-union", "repr(ffi.typeof('union number'))"),
    ("repr-ctype-enum", "repr(ffi.typeof('enum color'))"),
    ("repr-ctype-opaque", "repr(ffi.typeof('counter_obj'))"),
    ("repr-ctype-unsigned", "repr(ffi.typeof('unsigned'))"),
    ("repr-ctype-long-int", "(repr(ffi.typeof('long int')), repr(ffi.typeof('short int')), repr(ffi.typeof('long long int')))"),
    ("repr-ctype-func-type", "ffi.typeof('int(int)')"),
    ("repr-ctype-func-ptr-array", "repr(ffi.typeof('int(*[2])(int)'))"),
    ("repr-slice", "a = ffi.new('int[4]'); repr(a[1:3])"),
    ("repr-enum-unknown", "repr(ffi.cast('enum color', 3))"),
    ("repr-bool", "repr(ffi.cast('_Bool', 1))"),
    ("repr-new-char-array", "repr(ffi.new('char[]', b'abc'))"),
]:
    snippet(name, code)

# ---- ctype attributes
for name, code in [
    ("ct-ptr", "t = ffi.typeof('int *'); (t.kind, t.cname, repr(t.item))"),
    ("ct-array", "t = ffi.typeof('int[5]'); (t.kind, t.cname, repr(t.item), t.length)"),
    ("ct-open-array", "t = ffi.typeof('int[]'); (t.kind, t.length)"),
    ("ct-struct-fields", "t = ffi.typeof('struct point'); [(n, f.offset, repr(f.type), f.bitshift, f.bitsize) for n, f in t.fields]"),
    ("ct-mixed-fields", "t = ffi.typeof('struct mixed'); [(n, f.offset, repr(f.type)) for n, f in t.fields]"),
    ("ct-nested-fields", "t = ffi.typeof('struct nested'); [(n, f.offset, repr(f.type)) for n, f in t.fields]"),
    ("ct-bitfields", "t = ffi.typeof('struct flags'); [(n, f.offset, f.bitshift, f.bitsize) for n, f in t.fields]"),
    ("ct-union-fields", "t = ffi.typeof('union number'); (t.kind, [(n, f.offset) for n, f in t.fields])"),
    ("ct-opaque-fields", "t = ffi.typeof('counter_obj'); (t.kind, t.fields)"),
    # Members of an opaque struct: an AttributeError, so hasattr() and getattr() with a
    # default work (code that duck-types on `.pointer` meets such cdata).
    ("opaque-member-read", "b = ffi.new('char[16]'); ffi.cast('counter_obj *', b).value"),
    ("opaque-member-write", "b = ffi.new('char[16]'); p = ffi.cast('counter_obj *', b); p.value = 1"),
    ("opaque-member-hasattr", "b = ffi.new('char[16]'); p = ffi.cast('counter_obj *', b);"
     " (hasattr(p, 'pointer'), getattr(p, 'value', 'none'))"),
    ("opaque-member-null", "ffi.cast('counter_obj *', 0).value"),
    ("member-missing-null", "ffi.cast('struct point *', 0).nope"),
    ("ct-anon-fields", "ffi.cdef('struct an { int a; struct { int b; }; union { int d; float e; }; };'); [(n, f.offset) for n, f in ffi.typeof('struct an').fields]"),
    ("ct-func", "t = ffi.typeof(lib.add); (t.kind, t.cname, [repr(a) for a in t.args], repr(t.result), t.ellipsis, t.abi == ffi.typeof(lib.nop).abi)"),
    ("ct-func-variadic", "t = ffi.typeof(lib.sum_var); (t.ellipsis, len(t.args))"),
    ("ct-func-void", "t = ffi.typeof(lib.noargs); (t.args, repr(t.result))"),
    ("ct-enum", "t = ffi.typeof('enum color'); (t.kind, t.cname, sorted(t.elements.items()), sorted(t.relements.items()))"),
    ("ct-prim", "t = ffi.typeof('double'); (t.kind, t.cname)"),
    ("ct-void", "t = ffi.typeof('void'); (t.kind, t.cname)"),
    ("ct-no-item", "ffi.typeof('int').item"),
    ("ct-no-fields", "ffi.typeof('int').fields"),
    ("ct-no-length", "ffi.typeof('int *').length"),
    ("ct-no-args", "ffi.typeof('int').args"),
    ("ct-no-elements", "ffi.typeof('int').elements"),
    ("ct-struct-kind", "(ffi.typeof('struct point').kind, ffi.typeof('struct point').cname)"),
    ("ct-identity", "ffi.typeof('int *') is ffi.typeof('int*')"),
    ("ct-of-cdata", "ffi.typeof(ffi.new('int[3]')) is ffi.typeof('int[3]')"),
    ("ct-func-ptr-item", "ffi.typeof('int(*)(int)').item"),
    ("ct-array-ptr-item", "repr(ffi.typeof('int(*)[3]').item)"),
    ("ct-const", "(repr(ffi.typeof('const int')), repr(ffi.typeof('const char *')))"),
    ("ct-enum-anon", "ffi.cdef('typedef enum { AA, BB } ab_t;'); (repr(ffi.typeof('ab_t')), ffi.typeof('ab_t').kind)"),
    ("ct-struct-anon", "ffi.cdef('typedef struct { int q; } anon_t;'); (repr(ffi.typeof('anon_t')), ffi.typeof('anon_t').kind)"),
]:
    snippet(name, code)

# ---- ffi.sizeof / alignof / offsetof / typeof / addressof / getctype
for name, code in [
    ("sizeof-records", "[ffi.sizeof(t) for t in ('struct point', 'struct mixed', 'struct big', 'struct with_array', 'struct chars3', 'union number', 'struct rect', 'struct nested', 'struct flags')]"),
    ("alignof-records", "[ffi.alignof(t) for t in ('struct point', 'struct mixed', 'struct chars3', 'union number')]"),
    ("sizeof-cdata", "(ffi.sizeof(ffi.new('int[7]')), ffi.sizeof(ffi.new('int[]', 3)), ffi.sizeof(ffi.new('int *')), ffi.sizeof(ffi.cast('short', 1)))"),
    ("sizeof-struct-cdata", "ffi.sizeof(ffi.new('struct big *')[0])"),
    ("sizeof-opaque", "ffi.sizeof('counter_obj')"),
    ("sizeof-void", "ffi.sizeof('void')"),
    ("sizeof-open-array", "ffi.sizeof('int[]')"),
    ("sizeof-bad", "ffi.sizeof(5)"),
    ("sizeof-func", "ffi.sizeof(lib.add)"),
    ("alignof-opaque", "ffi.alignof('counter_obj')"),
    ("offsetof-basic", "(ffi.offsetof('struct point', 'y'), ffi.offsetof('struct mixed', 'd'))"),
    ("offsetof-nested", "ffi.offsetof('struct rect', 'max', 'y')"),
    ("offsetof-array", "ffi.offsetof('struct with_array', 'values', 2)"),
    ("offsetof-missing", "ffi.offsetof('struct point', 'z')"),
    ("offsetof-int", "ffi.offsetof('int', 'x')"),
    ("offsetof-bitfield", "ffi.offsetof('struct flags', 'b')"),
    ("offsetof-ptr", "ffi.offsetof('struct point *', 'y')"),
    ("offsetof-array-type", "ffi.offsetof('int[5]', 3)"),
    ("typeof-bad", "ffi.typeof(5)"),
    ("typeof-func-type", "ffi.typeof('int(int)')"),
    ("typeof-syntax", "ffi.typeof('int int')"),
    ("typeof-unknown", "ffi.typeof('struct zz')"),
    ("typeof-unknown-ident", "ffi.typeof('zz_t')"),
    ("addressof-struct", "p = ffi.new('struct point *'); a = ffi.addressof(p[0]); (a == p, repr(ffi.typeof(a)))"),
    ("addressof-field", "p = ffi.new('struct rect *'); a = ffi.addressof(p[0], 'max'); (repr(ffi.typeof(a)), ffi.cast('char *', a) - ffi.cast('char *', p))"),
    ("addressof-nested", "p = ffi.new('struct rect *'); a = ffi.addressof(p[0], 'max', 'y'); ffi.cast('char *', a) - ffi.cast('char *', p)"),
    ("addressof-array", "a = ffi.new('int[5]'); q = ffi.addressof(a, 3); (repr(ffi.typeof(q)), q - ffi.cast('int *', a))"),
    ("addressof-array-whole", "a = ffi.new('int[5]'); repr(ffi.typeof(ffi.addressof(a)))"),
    ("addressof-ptr", "p = ffi.new('struct point *'); a = ffi.addressof(p, 'y'); ffi.cast('char *', a) - ffi.cast('char *', p)"),
    ("addressof-int", "ffi.addressof(ffi.cast('int', 1))"),
    ("addressof-bad", "ffi.addressof(5)"),
    ("addressof-missing", "p = ffi.new('struct point *'); ffi.addressof(p[0], 'q')"),
    ("addressof-lib-var", "a = ffi.addressof(lib, 'counter'); (repr(ffi.typeof(a)), a[0] == lib.counter)"),
    ("addressof-lib-func", "repr(ffi.typeof(ffi.addressof(lib, 'add')))"),
    ("addressof-lib-missing", "ffi.addressof(lib, 'nope')"),
    ("getctype-basic", "(ffi.getctype('int'), ffi.getctype('int', '*'), ffi.getctype('int *', 'x'), ffi.getctype('int[5]', 'a'))"),
    ("getctype-funcptr", "(ffi.getctype('int(*)(int)'), ffi.getctype('int(*)(int)', 'f'))"),
    ("getctype-array-ptr", "(ffi.getctype('int *', '[5]'), ffi.getctype('int[5]', '*'), ffi.getctype('char *', '*'))"),
    ("getctype-struct", "(ffi.getctype('struct point'), ffi.getctype('point_t *'), ffi.getctype(ffi.typeof('union number')))"),
]:
    snippet(name, code)

# ---- string / unpack / buffer / from_buffer / memmove / errno
for name, code in [
    ("string-array", "ffi.string(ffi.new('char[]', b'hello'))"),
    ("string-maxlen", "ffi.string(ffi.new('char[]', b'hello'), 3)"),
    ("string-no-nul", "ffi.string(ffi.new('char[3]', b'abc'))"),
    ("string-ptr", "a = ffi.new('char[]', b'xy'); ffi.string(ffi.cast('char *', a))"),
    ("string-char", "ffi.string(ffi.cast('char', b'q'))"),
    ("string-int", "ffi.string(ffi.cast('int', 5))"),
    ("string-enum", "(ffi.string(ffi.cast('enum color', 5)), ffi.string(ffi.cast('enum color', 4)))"),
    ("string-wchar", "ffi.string(ffi.new('wchar_t[]', 'abc'))"),
    ("string-char16", "ffi.string(ffi.new('char16_t[]', '\U0001f600x'))"),
    ("string-int-array", "ffi.string(ffi.new('int[3]', [1, 2]))"),
    ("string-uchar", "ffi.string(ffi.new('unsigned char[]', [65, 66, 0]))"),
    ("string-not-cdata", "ffi.string(b'x')"),
    ("string-struct", "ffi.string(ffi.new('struct point *')[0])"),
    ("string-greeting", "ffi.string(lib.greeting())"),
    ("string-greeting-ptr", "ffi.string(lib.greeting_ptr)"),
    ("unpack-int", "ffi.unpack(ffi.new('int[]', [1, 2, 3]), 2)"),
    ("unpack-char", "ffi.unpack(ffi.new('char[]', b'ab\\x00c'), 4)"),
    ("unpack-wchar", "ffi.unpack(ffi.new('wchar_t[]', 'abc'), 2)"),
    ("unpack-struct", "r = ffi.unpack(ffi.new('struct point[2]', [[1, 2], [3, 4]]), 2); [x.y for x in r]"),
    ("unpack-bad", "ffi.unpack(ffi.cast('int', 3), 1)"),
    ("unpack-zero", "ffi.unpack(ffi.new('int[3]'), 0)"),
    ("unpack-negative", "ffi.unpack(ffi.new('int[3]'), -1)"),
    ("unpack-void", "ffi.unpack(ffi.cast('void *', ffi.new('int[2]')), 1)"),
    ("buffer-bytes", "b = ffi.buffer(ffi.new('char[]', b'abc')); (len(b), b[:], b[1], bytes(b))"),
    ("buffer-int", "b = ffi.buffer(ffi.new('int *', 0x01020304)); bytes(b)"),
    ("buffer-size", "bytes(ffi.buffer(ffi.new('char[]', b'abcdef'), 3))"),
    ("buffer-write", "a = ffi.new('char[4]'); b = ffi.buffer(a); b[0:2] = b'hi'; b[3:4] = b'!'; ffi.unpack(a, 4)"),
    ("buffer-write-bad", "a = ffi.new('char[4]'); b = ffi.buffer(a); b[0:2] = b'abc'"),
    ("buffer-index-oob", "b = ffi.buffer(ffi.new('char[2]')); b[2]"),
    ("buffer-memoryview", "m = memoryview(ffi.buffer(ffi.new('int[2]', [1, 2]))); (m.nbytes, m.readonly, m.tobytes())"),
    ("buffer-struct", "len(ffi.buffer(ffi.new('struct big *')))"),
    ("buffer-not-cdata", "ffi.buffer(b'x')"),
    ("buffer-repr-type", "type(ffi.buffer(ffi.new('char[1]'))).__name__"),
    ("from-buffer-bytearray", "ba = bytearray(b'abcd'); c = ffi.from_buffer(ba); (len(c), c[1], repr(c))"),
    ("from-buffer-bytes", "c = ffi.from_buffer(b'xyz'); (len(c), c[0], repr(ffi.typeof(c)))"),
    ("from-buffer-typed", "import array; a = array.array('i', [1, 2, 3]); c = ffi.from_buffer('int[]', a); (len(c), list(c), repr(c))"),
    ("from-buffer-write", "ba = bytearray(4); c = ffi.from_buffer(ba); c[0] = b'z'; bytes(ba)"),
    ("from-buffer-str", "ffi.from_buffer('hello')"),
    ("from-buffer-int", "ffi.from_buffer(5)"),
    ("from-buffer-ptr-type", "ffi.from_buffer('int *', bytearray(8))"),
    ("from-buffer-writable", "ffi.from_buffer(b'abc', require_writable=True)"),
    ("from-buffer-too-small", "ffi.from_buffer('int[4]', bytearray(8))"),
    ("from-buffer-ptr-repr", "repr(ffi.from_buffer('int *', bytearray(8)))"),
    ("from-buffer-fixed-repr", "import array; repr(ffi.from_buffer('int[2]', array.array('i', [1, 2, 3])))"),
    ("from-buffer-gc-repr", "c = ffi.from_buffer(bytearray(4)); repr(ffi.gc(c, lambda x: None)) == repr(c)"),
    ("repr-new-sizes", "[repr(ffi.new(t)) for t in ('char *', 'int *', 'double *', 'long double *', 'char[16]', 'char[17]')]"),
    ("repr-new-open-array", "(repr(ffi.new('int[]', 3)), len(ffi.new('int[]', 3)), ffi.sizeof(ffi.new('char[]', 20)))"),
    ("repr-new-struct-view", "p = ffi.new('struct big *'); (repr(p[0]), ffi.sizeof(p[0]))"),
    ("repr-gc-value", "v = ffi.cast('int', 5); repr(ffi.gc(v, lambda x: None))"),
    ("cast-value-cells", "[repr(ffi.cast(t, 3)) for t in ('char', 'short', 'int', 'long long', 'float', 'double', 'long double', '_Bool')]"),
    ("new-empty-open-array", "p = ffi.new('int[]', 0); (repr(p), len(p), ffi.sizeof(p))"),
    ("memmove-basic", "a = ffi.new('int[4]', [1, 2, 3, 4]); ffi.memmove(a, a + 1, 8); list(a)"),
    ("memmove-bytes", "a = ffi.new('char[4]'); ffi.memmove(a, b'xyz', 3); ffi.string(a)"),
    ("memmove-to-bytearray", "ba = bytearray(3); ffi.memmove(ba, ffi.new('char[]', b'qrs'), 3); bytes(ba)"),
    ("memmove-to-bytes", "ffi.memmove(b'abc', ffi.new('char[3]'), 1)"),
    ("memmove-bad", "ffi.memmove(5, b'a', 1)"),
    ("errno-roundtrip", "ffi.errno = 7; ffi.errno"),
    ("errno-after-call", "lib.set_errno(13); ffi.errno"),
    ("errno-checked-div", "(lib.checked_div(1, 0), ffi.errno)"),
]:
    snippet(name, code)

# ---- dlopen, lib attributes, globals
for name, code in [
    ("dlopen-missing", "ffi.dlopen('/nonexistent/libnothing.so')"),
    ("dlopen-missing-short", "ffi.dlopen('surely_no_such_library_zz')"),
    ("dlopen-bad-type", "ffi.dlopen(5)"),
    ("dlopen-empty", "ffi.dlopen('')"),
    ("dlopen-lazy", "f = FFI(); l = f.dlopen(LIBPATH); f.cdef('int add(int, int);'); l.add(2, 3)"),
    ("lib-undeclared", "lib.not_declared"),
    ("lib-unknown-symbol", "ffi.cdef('int no_such_function_zz(int);'); lib.no_such_function_zz"),
    ("lib-constant", "(lib.TESTLIB_VERSION, lib.TESTLIB_MASK, lib.TESTLIB_NEGATIVE)"),
    ("lib-enum-constant", "(lib.RED, lib.GREEN, lib.BLUE, lib.NEGATIVE_COLOR)"),
    ("lib-dir", "sorted(x for x in dir(lib) if not x.startswith('_'))"),
    ("lib-func-cached", "lib.add is lib.add"),
    ("global-int", "lib.counter = 5; (lib.counter, lib.bump_counter(), lib.counter)"),
    ("global-int-overflow", "lib.counter = 2**31"),
    ("global-int-wrong", "lib.counter = 'x'"),
    ("global-array", "g = lib.gains; (repr(ffi.typeof(g)), len(g))"),
    ("global-array-write", "lib.gains[0] = 1.0; lib.gains[1] = 2.0; lib.gains[2] = 0; lib.gains[3] = 0; lib.gains_sum()"),
    ("global-array-assign", "lib.gains = [1, 2, 3, 4]; lib.gains_sum()"),
    ("global-struct", "lib.origin_point.x = 3; lib.origin_point.y = 4; (lib.origin_sum(), repr(ffi.typeof(lib.origin_point)))"),
    ("global-struct-assign", "lib.origin_point = [1, 1]; lib.origin_sum()"),
    ("global-ptr", "ffi.string(lib.greeting_ptr)"),
    ("global-funcptr", "(lib.binop(2, 3), repr(ffi.typeof(lib.binop)))"),
    ("global-funcptr-set", "old = lib.binop; lib.binop = ffi.NULL; r = lib.binop == ffi.NULL; lib.binop = old; (r, lib.call_binop(3, 4))"),
    ("lib-set-func", "lib.add = 5"),
    ("lib-set-undeclared", "lib.zzz = 5"),
    ("lib-set-constant", "lib.TESTLIB_VERSION = 5"),
    ("lib-dlclose", "f = FFI(); f.cdef('int add(int, int);'); l = f.dlopen(LIBPATH); f.dlclose(l); l.add"),
]:
    snippet(name, code)

# ---- calls
_CALL_VALUES = {
    "char": b"x", "schar": -100, "uchar": 200, "short": -30000, "ushort": 60000, "int": -2**31,
    "uint": 2**32 - 1, "long": -(2**63), "ulong": 2**64 - 1, "longlong": 2**63 - 1,
    "ulonglong": 2**64 - 1, "float": 1.25, "double": 1e100, "bool": True, "wchar": "\u20ac",
    "char16": "\u00e9", "char32": "\U0001f600", "int8": -128, "uint8": 255, "int16": -1,
    "uint16": 65535, "int32": 7, "uint32": 2**32 - 1, "int64": -(2**63), "uint64": 2**64 - 1,
    "size": 2**64 - 1, "ssize": -1, "intptr": -5, "uintptr": 5, "ptrdiff": -9,
}
for _n, _v in _CALL_VALUES.items():
    snippet(f"call-id-{_n}", f"lib.id_{_n}({_v!r})")
for name, code in [
    ("call-longdouble", "repr(lib.id_longdouble(1.5))"),
    ("call-add-longdouble", "float(lib.add_longdouble(1.5, 2))"),
    ("call-float-rounding", "lib.id_float(0.1)"),
    ("call-float-from-int", "lib.id_double(3)"),
    ("call-int-from-float", "lib.id_int(1.5)"),
    ("call-int-from-cdata", "lib.id_int(ffi.cast('int', 3))"),
    ("call-int-from-ptr", "lib.id_int(ffi.NULL)"),
    ("call-int-overflow", "lib.id_int(2**31)"),
    ("call-uint-negative", "lib.id_uint(-1)"),
    ("call-char-int", "lib.id_char(65)"),
    ("call-char-long", "lib.id_char(b'ab')"),
    ("call-bool-2", "lib.id_bool(2)"),
    ("call-bool-cdata", "lib.id_bool(ffi.cast('_Bool', 1))"),
    ("call-wchar-long", "lib.id_wchar('ab')"),
    ("call-adds", "(lib.add_uchar(200, 100), lib.add_schar(100, 27), lib.add_ushort(65535, 1), lib.add_uint(2**32 - 1, 1), lib.add_ulonglong(2**64 - 1, 2), lib.not_bool(False))"),
    ("call-add-float", "(lib.add_float(0.1, 0.2), lib.add_double(0.1, 0.2))"),
    ("call-too-many", "lib.add(1, 2, 3)"),
    ("call-too-few", "lib.add(1)"),
    ("call-kwargs", "lib.add(a=1, b=2)"),
    ("call-noargs", "(lib.noargs(), lib.nop(1.0, 2.0, 3.0))"),
    ("call-ptr-out", "q = ffi.new('int *'); r = ffi.new('int *'); lib.divmod(17, 5, q, r); (q[0], r[0])"),
    ("call-ptr-wrong", "q = ffi.new('char *'); lib.divmod(17, 5, q, q)"),
    ("call-ptr-int", "lib.divmod(17, 5, 0, 0)"),
    ("call-ptr-null", "lib.is_null(ffi.NULL)"),
    ("call-ptr-none", "lib.is_null(None)"),
    ("call-list-as-ptr", "lib.sum_ints([1, 2, 3], 3)"),
    ("call-tuple-as-ptr", "lib.sum_doubles((1.5, 2.5), 2)"),
    ("call-list-bad-item", "lib.sum_ints([1, 'x'], 2)"),
    ("call-array-as-ptr", "lib.sum_ints(ffi.new('int[]', [4, 5]), 2)"),
    ("call-bytes-as-char-ptr", "(lib.my_strlen(b'hello'), lib.count_char(b'banana', b'a'))"),
    ("call-str-as-char-ptr", "lib.my_strlen('hello')"),
    ("call-bytes-as-uchar-ptr", "lib.sum_bytes(b'\\x01\\x02', 2)"),
    ("call-bytes-as-int-ptr", "lib.sum_ints(b'\\x01\\x00\\x00\\x00', 1)"),
    ("call-str-as-wchar-ptr", "lib.wide_len('h\u00e9llo')"),
    ("call-to-upper", "buf = ffi.new('char[]', b'abc'); lib.to_upper(buf); ffi.string(buf)"),
    ("call-returns-ptr", "p = lib.static_int_ptr(); (repr(ffi.typeof(p)), p[0] in (42, 43))"),
    ("call-ptr-ptr", "pp = ffi.new('int **'); lib.get_static_int_ptr(pp); pp[0] == lib.static_int_ptr()"),
    ("call-returns-string", "s = lib.join_words(b'a', b'b'); r = ffi.string(s); lib.free_string(s); r"),
    ("call-greeting-type", "repr(ffi.typeof(lib.greeting()))"),
    ("call-enum", "(lib.next_color(lib.RED), lib.next_color(lib.BLUE), ffi.string(lib.color_name(5)))"),
    ("call-enum-str", "lib.next_color('RED')"),
    ("call-struct-result", "p = lib.make_point(3, 4); (p.x, p.y, repr(p))"),
    ("call-struct-arg", "lib.point_sum(lib.make_point(3, 4))"),
    ("call-struct-arg-list", "lib.point_sum([1, 2])"),
    ("call-struct-arg-dict", "lib.point_sum({'x': 5})"),
    ("call-struct-arg-ptr", "lib.point_sum(ffi.new('struct point *', [1, 2]))"),
    ("call-struct-arg-wrong", "lib.point_sum(5)"),
    ("call-struct-ptr-arg", "p = ffi.new('point_t *', [1, 1]); lib.point_translate(p, 2, 3); (p.x, p.y)"),
    ("call-struct-ptr-list", "lib.rect_area_ptr([[0, 0], [2, 3]])"),
    ("call-struct-add", "r = lib.point_add([1, 2], [3, 4]); (r.x, r.y)"),
    ("call-mixed", "m = lib.make_mixed(b'a', 2.5); (m.c, m.d, lib.mixed_sum(m))"),
    ("call-floats2", "f = lib.make_floats2(1.5, 2.5); (f.x, f.y, lib.floats2_dot(f, f))"),
    ("call-big", "b = lib.make_big(1, 2, 3, 4.5); (b.a, b.d, lib.big_sum(b), lib.big_scale(b, 2).c)"),
    ("call-with-array", "w = lib.make_with_array(3); (list(w.values), lib.with_array_sum(w))"),
    ("call-chars3", "t = lib.make_chars3(b'a', b'b', b'c'); (ffi.unpack(t.tag, 3), lib.chars3_sum(t))"),
    ("call-rect", "r = lib.make_rect([0, 0], [3, 4]); (lib.rect_area(r), r.max.y)"),
    ("call-nested", "n = lib.make_nested(1, 2, b'c', 1.5, 7); (n.p.y, n.m.d, n.s, lib.nested_sum(n))"),
    ("call-opaque", "c = lib.counter_new(5); r = (lib.counter_next(c), lib.counter_next(c)); lib.counter_free(c); r"),
    ("call-opaque-wrong", "lib.counter_next(ffi.new('int *'))"),
    ("call-variadic-ints", "lib.sum_var(3, ffi.cast('int', 1), ffi.cast('int', 2), ffi.cast('int', 3))"),
    ("call-variadic-doubles", "lib.sum_var_d(2, ffi.cast('double', 1.5), ffi.cast('double', 2.25))"),
    ("call-variadic-float-promoted", "lib.sum_var_d(1, ffi.cast('float', 1.5))"),
    ("call-variadic-short-promoted", "lib.sum_var(2, ffi.cast('short', -3), ffi.cast('char', b'\\x05'))"),
    ("call-variadic-mixed", "lib.sum_var_mixed(b'ild', ffi.cast('int', 1), ffi.cast('long long', 2**40), ffi.cast('double', 3.7))"),
    ("call-variadic-plain-int", "lib.sum_var(1, 5)"),
    ("call-variadic-plain-float", "lib.sum_var_d(1, 5.0)"),
    ("call-variadic-none", "lib.sum_var(0)"),
    ("call-variadic-too-few", "lib.sum_var()"),
    ("call-variadic-format", "buf = ffi.new('char[64]'); n = lib.format_into(buf, 64, b'%d-%s-%.1f', ffi.cast('int', 7), ffi.new('char[]', b'x'), ffi.cast('double', 2.5)); (n, ffi.string(buf))"),
    ("call-many-ints", "lib.many_ints(1, 2, 3, 4, 5, 6, 7, 8)"),
    ("call-many-doubles", "lib.many_doubles(*range(10))"),
    ("call-many-mixed", "lib.many_mixed(1, 2.0, b'\\x03', 4.0, 5, 6.0, 7, 8.0, 9, 10.0, 11, 12.0, 13, 14.0)"),
    ("call-funcptr-arg", "lib.call_binop(5, 6)"),
    ("call-funcptr-pass", "lib.apply(ffi.cast('int(*)(int)', 0), 1) if False else repr(ffi.typeof(lib.apply).args[0])"),
    ("call-not-callable", "ffi.new('int *')()"),
    ("call-null-fptr", "ffi.cast('int(*)(int)', 0)(1)"),
    ("call-cast-fptr", "f = ffi.cast('int(*)(int, int)', lib.add); f(2, 5)"),
    ("call-cast-fptr-from-voidp", "f = ffi.cast('int(*)(int, int)', ffi.cast('void *', lib.add)); f(1, 1)"),
    ("call-fptr-wrong-count", "f = ffi.cast('int(*)(int)', lib.id_int); f(1, 2)"),
    ("call-error-index", "lib.divmod(1, 2, ffi.new('int *'), 'x')"),
]:
    snippet(name, code)

# ---- the fast call path's edges (crates/rffi-python/src/fastcall.rs): it takes exact ints
# within range, exact floats and cdata pointers of the parameter's item type (any for void *),
# and hands everything else to the general path; both must agree with cffi.
_INT_LIMITS = {
    "schar": (1, True), "uchar": (1, False), "short": (2, True), "ushort": (2, False),
    "int": (4, True), "uint": (4, False), "long": (8, True), "ulong": (8, False),
    "longlong": (8, True), "ulonglong": (8, False), "int8": (1, True), "uint16": (2, False),
    "int32": (4, True), "uint32": (4, False), "int64": (8, True), "uint64": (8, False),
    "size": (8, False), "ssize": (8, True),
}
for _n, (_size, _signed) in _INT_LIMITS.items():
    _lo, _hi = (-(2 ** (8 * _size - 1)), 2 ** (8 * _size - 1) - 1) if _signed else (0, 2 ** (8 * _size) - 1)
    snippet(f"fast-{_n}-limits", f"(lib.id_{_n}({_lo}), lib.id_{_n}({_hi}), lib.id_{_n}(0))")
    snippet(f"fast-{_n}-below", f"lib.id_{_n}({_lo - 1})")
    snippet(f"fast-{_n}-above", f"lib.id_{_n}({_hi + 1})")
for name, code in [
    ("fast-int-subclass", "lib.id_int(type('I', (int,), {})(5))"),
    ("fast-int-huge", "lib.id_longlong(2**200)"),
    ("fast-bool-as-int", "(lib.id_int(True), lib.add(False, True))"),
    ("fast-float-subclass", "lib.id_double(type('F', (float,), {})(2.5))"),
    ("fast-int-as-double", "(lib.id_double(7), lib.id_float(2**60), lib.nop(1, 2, 3))"),
    ("fast-float-overflows-float", "lib.id_float(1e300)"),
    ("fast-float-nan", "repr(lib.id_double(float('nan')))"),
    ("fast-float-as-int", "lib.add(1.0, 2)"),
    ("fast-str-as-double", "lib.id_double('1')"),
    ("fast-voidp-takes-any", "(lib.is_null(ffi.new('int *')), lib.is_null(ffi.new('double[3]')), lib.is_null(ffi.cast('char *', 0)))"),
    ("fast-ptr-from-array", "q = ffi.new('int[1]'); r = ffi.new('int[1]'); lib.divmod(17, 5, q, r); (q[0], r[0])"),
    ("fast-ptr-other-type", "lib.divmod(17, 5, ffi.new('double *'), ffi.new('int *'))"),
    ("fast-ptr-voidp-to-int", "q = ffi.new('int *'); r = ffi.new('int *'); lib.divmod(17, 5, ffi.cast('void *', q), r); q[0]"),
    ("fast-ptr-from-int-cdata", "lib.divmod(17, 5, ffi.cast('int', 0), ffi.new('int *'))"),
    ("fast-same-fn-both-paths", "r = ffi.new('int *'); lib.divmod(9, 4, r, r); a = r[0]; lib.divmod(9, 4, [0], r); (a, r[0])"),
]:
    snippet(name, code)

# ---- cdef errors and extras
for name, code in [
    ("cdef-syntax", "ffi.cdef('int f(')"),
    ("cdef-unknown-type", "ffi.cdef('zz_t f(void);')"),
    ("cdef-redefine-struct", "ffi.cdef('struct point { int z; };')"),
    ("cdef-packed", "f = FFI(); f.cdef('struct pk { char a; int b; };', packed=True); (f.sizeof('struct pk'), f.offsetof('struct pk', 'b'))"),
    ("cdef-pack", "f = FFI(); f.cdef('struct pk { char a; int b; };', pack=2); f.sizeof('struct pk')"),
    ("cdef-define", "f = FFI(); f.cdef('#define ZZ 0x10\\n#define YY -3'); l = f.dlopen(LIBPATH); (l.ZZ, l.YY)"),
    ("cdef-enum-expr", "f = FFI(); f.cdef('enum e { A = 1 << 3, B, C = A | 1 };'); l = f.dlopen(LIBPATH); (l.A, l.B, l.C)"),
    ("cdef-array-const", "f = FFI(); f.cdef('#define N 3\\nstruct arr { int v[N]; };'); f.sizeof('struct arr')"),
    ("cdef-typedef-chain", "f = FFI(); f.cdef('typedef int myint; typedef myint *myintp;'); (repr(f.typeof('myintp')), f.sizeof('myint'))"),
    ("cdef-unknown-size", "f = FFI(); f.cdef('struct ctx;'); f.sizeof('struct ctx')"),
    ("cdef-unknown-size-new", "f = FFI(); f.cdef('struct ctx;'); f.new('struct ctx *')"),
    ("cdef-unknown-size-array", "f = FFI(); f.cdef('struct ctx;'); f.new('struct ctx[2]')"),
    ("cdef-new-void", "ffi.new('void *')"),
    ("cdef-not-str", "ffi.cdef(5)"),
    ("cdef-dots", "f = FFI(); f.cdef('struct dd { int a; ...; };'); f.sizeof('struct dd')"),
    ("cdef-override", "f = FFI(); f.cdef('typedef int T;'); f.cdef('typedef long T;', override=True); f.sizeof('T')"),
    ("cdef-redefine-typedef", "f = FFI(); f.cdef('typedef int T;'); f.cdef('typedef long T;')"),
    ("cdef-same-twice", "f = FFI(); f.cdef('typedef int T;'); f.cdef('typedef int T;'); f.sizeof('T')"),
    ("cdef-flexible", "f = FFI(); f.cdef('struct fx { int n; int d[]; };'); p = f.new('struct fx *'); (f.sizeof('struct fx'), repr(f.typeof(p.d)))"),
    ("cdef-flexible-init", "f = FFI(); f.cdef('struct fx { int n; int d[]; };'); p = f.new('struct fx *', [2, [5, 6]]); (p.d[1], f.sizeof(p[0]))"),
]:
    snippet(name, code)

# ---- slices assigned from cdata, and pointer arguments given as lists: only an array of the
# same item type is copied as bytes, and no temporary array is made of items of unknown size
for name, code in [
    ("slice-assign-same-items", "d = ffi.new('int[4]'); d[1:3] = ffi.new('int[2]', [5, 6]); list(d)"),
    ("slice-assign-other-items", "d = ffi.new('int[4]'); d[0:4] = ffi.new('char[4]', b'abc'); list(d)"),
    ("slice-assign-other-items-foreign", "b = ffi.new('char[64]', b'abcdefgh'); s = ffi.cast('char[4]', ffi.cast('void *', b)); d = ffi.new('int[4]'); d[0:4] = s"),
    ("slice-assign-char-from-int-array", "d = ffi.new('char[2]'); d[0:2] = ffi.new('int[2]', [65, 66])"),
    ("slice-assign-from-pointer", "d = ffi.new('int[2]'); d[0:2] = ffi.new('int *')"),
    ("call-list-for-open-array-pointer", "ffi.callback('int(int(*)[])', lambda p: 0)([[1, 2, 3]])"),
    ("call-list-for-opaque-pointer", "f = FFI(); f.cdef('struct opq;'); f.callback('int(struct opq *)', lambda p: 0)([1])"),
]:
    snippet(name, code)


# ---------------------------------------------------------------------------------------------
# Known differences: the exception type must match, its message may differ. Every entry says why.
MESSAGE_DIFFERS: dict[str, str] = {
    # Parse errors: cffi reports pycparser's text (internal token names, a synthetic line
    # number in a wrapper source); rffi reports its own parser's, with a position and a caret
    # in the cdef text. Both are CDefError.
    "cdef-syntax": "different parsers",
    "cdef-unknown-type": "different parsers",
    "new-bad-type-string": "different parsers",
    "new-unknown-name": "different parsers",
    "typeof-unknown-ident": "different parsers",
    # rffi-types appends the position of the offending declaration to redeclaration errors.
    "cdef-redefine-struct": "rffi adds the position of the declaration",
    "cdef-redefine-typedef": "rffi adds the position of the declaration",
    # cffi names its C-level function ("cast() argument 1 must be _cffi_backend.CType");
    # rffi's FFI methods share one type resolver with a single message.
    "cast-bad-ctype": "cffi names its internal builtin",
}

# Snippets whose outcome rffi deliberately does not share with cffi: rffi's own behaviour is
# tested in test_rffi_* below. Each entry says what cffi does and why rffi differs.
RFFI_DIFFERS: dict[str, str] = {
    "lib-set-func": "cffi recurses until RecursionError (a cffi bug); rffi raises AttributeError",
    "lib-set-constant": "cffi recurses until RecursionError (a cffi bug); rffi raises AttributeError",
    "call-variadic-float-promoted": "cffi passes a float cdata unpromoted in the variadic part, "
    "so C reads garbage; rffi promotes float to double as C does",
    "cdef-dots": "cffi accepts '...' in an ABI-mode struct and fails on use "
    "(VerificationMissing); rffi's parser refuses it at cdef time with CDefError",
    "call-struct-arg-dict": "cffi leaves the members a dict does not name uninitialized in a "
    "by-value struct argument (the result varies); rffi zero-fills them",
    "typeof-syntax": "cffi's model refuses 'int int' with FFIError after pycparser accepts it; "
    "rffi's parser refuses it with CDefError",
}


def test_snippet_ids_are_unique():
    names = [name for name, _ in SNIPPETS]
    assert len(names) == len(set(names))


SAME = [(name, code) for name, code in SNIPPETS if name not in RFFI_DIFFERS]


def test_every_difference_names_a_snippet():
    """Each allowlisted difference is a real snippet (tested on its own elsewhere)."""
    names = {name for name, _ in SNIPPETS}
    assert set(RFFI_DIFFERS) <= names
    assert set(MESSAGE_DIFFERS) <= names


@pytest.mark.parametrize("name,code", SAME, ids=[name for name, _ in SAME])
def test_same_outcome(name, code, testlib_path):
    expected = run_snippet("cffi", code)
    got = run_snippet("rffi", code)
    if name in MESSAGE_DIFFERS and expected[0] == "raises":
        assert got[:2] == expected[:2], f"cffi: {expected}\nrffi: {got}"
    else:
        assert got == expected, f"\ncffi: {expected}\nrffi: {got}"


def test_enough_snippets():
    assert len(SNIPPETS) >= 150


# ---------------------------------------------------------------------------------------------
# rffi's own behaviour where it deliberately differs from cffi (see RFFI_DIFFERS).


def test_rffi_lib_refuses_writing_functions_and_constants():
    assert run_snippet("rffi", "lib.add = 5")[:2] == ("raises", "AttributeError")
    assert run_snippet("rffi", "lib.TESTLIB_VERSION = 5")[:2] == ("raises", "AttributeError")


def test_rffi_promotes_float_in_variadic_part():
    assert run_snippet("rffi", "lib.sum_var_d(1, ffi.cast('float', 1.5))") == ("ok", 1.5)


def test_rffi_zero_fills_struct_arguments_from_dicts():
    assert run_snippet("rffi", "lib.point_sum({'x': 5})") == ("ok", 5)


def test_rffi_refuses_partial_struct_when_used():
    got = run_snippet("rffi", "ffi.cdef('struct dd { int a; ...; };')\nffi.typeof('struct dd')")
    assert got == ("raises", "VerificationMissing", "struct dd")


def test_rffi_refuses_int_int():
    assert run_snippet("rffi", "ffi.typeof('int int')")[:2] == ("raises", "CDefError")


# cffi's ABI mode raises NotImplementedError for unions and complex numbers passed or returned
# by value, and for reading const globals; rffi supports them (libffi describes them fine).
@pytest.mark.parametrize(
    "code,expected",
    [
        ("lib.number_as_int(lib.number_from_int(7))", 7),
        ("lib.number_as_double(lib.number_from_double(2.5))", 2.5),
        ("lib.number_as_int([9])", 9),
        ("lib.id_dcomplex(1 + 2j)", 1 + 2j),
        ("lib.mul_dcomplex(1j, 1j)", -1 + 0j),
        ("lib.id_fcomplex(0.5 - 1j)", 0.5 - 1j),
        ("lib.answer", 42),
    ],
)
def test_rffi_supports_what_cffi_abi_mode_refuses(code, expected):
    assert run_snippet("cffi", code)[:2] == ("raises", "NotImplementedError")
    assert run_snippet("rffi", code) == ("ok", expected)
