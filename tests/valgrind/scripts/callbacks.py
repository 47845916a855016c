"""Callbacks: called from C, from C threads, with structs by value, raising, and freed after
use; and handles passed through C and back."""

import gc

from _common import testlib

ffi, lib = testlib()
cb = ffi.callback("int(int)", lambda x: x * 3)
assert lib.apply(cb, 5) == 15
assert lib.apply_n(cb, 1, 5) == 243
assert lib.call_from_threads(ffi.callback("int(int)", lambda i: i), 4, 50) == 4 * sum(range(50))
pt = ffi.callback("struct point(struct point)", lambda p: {"x": p.y, "y": p.x})
r = lib.apply_point(pt, {"x": 1, "y": 2})
assert (r.x, r.y) == (2, 1)
big = ffi.callback("struct big(struct big, struct mixed)",
                   lambda b, m: (b.a + 1, b.b, b.c, b.d + m.d))
r = lib.apply_big(big, (1, 2, 3, 4.0), (b"c", 0.5))
assert (r.a, r.d) == (2, 4.5)
bad = ffi.callback("int(int)", lambda x: 1 / 0, error=-7)
assert lib.apply(bad, 1) == -7
wrong = ffi.callback("int(int)", lambda x: "not an int", error=-8)
assert lib.apply(wrong, 1) == -8
values = ffi.new("int[]", [5, 3, 9, 1])
cmp = ffi.callback("int(void *, void *)",
                   lambda a, b: ffi.cast("int *", a)[0] - ffi.cast("int *", b)[0])
lib.sort_ints(values, 4, cmp)
assert list(values) == [1, 3, 5, 9]
seen = []
h = ffi.new_handle(seen)
lib.call_with_userdata(ffi.callback("void(void *, int)",
                                    lambda ud, x: ffi.from_handle(ud).append(x)), h, 42)
assert seen == [42]
for i in range(100):
    tmp = ffi.callback("double(double)", lambda x, i=i: x + i)
    assert lib.apply_double(tmp, 1.0) == 1.0 + i
    del tmp
gc.collect()
print("callbacks: ok")
