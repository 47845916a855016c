"""Owned memory at its edges: the last item, slices up to the end, unpack/buffer/string/memmove
of exactly the allocated size, struct and array initializers, and bounds errors one past."""

from _common import testlib

ffi, lib = testlib()
for n in (1, 2, 3, 8, 17, 4096):
    p = ffi.new("char[]", n)
    p[n - 1] = b"z"
    assert ffi.buffer(p)[n - 1] == b"z"
    assert len(ffi.unpack(p, n)) == n
    ffi.memmove(p, b"y" * n, n)
    assert ffi.string(p, n) == b"y" * n
    q = ffi.new("int[]", n)
    q[0:n] = list(range(n))
    assert q[n - 1] == n - 1 and sum(q[0:n]) == sum(range(n))
    for bad in (lambda: p[n], lambda: q[n], lambda: q[0:n + 1], lambda: p[-1]):
        try:
            bad()
        except IndexError:
            pass
w = ffi.new("wchar_t[]", "h\u00e9llo")
assert ffi.string(w) == "h\u00e9llo"
s = ffi.new("struct with_array *", {"n": 4, "values": [1, 2, 3, 4]})
assert lib.with_array_sum(s[0]) == 10
assert list(s.values) == [1, 2, 3, 4]
rects = ffi.new("struct rect[]", [((0, 0), (2, 3)), ((1, 1), (4, 5))])
assert lib.rect_area_ptr(rects + 1) == 12
buf = ffi.new("char[32]")
assert lib.format_into(buf, 32, b"%d-%s", ffi.cast("int", 7), ffi.new("char[]", b"x")) == 3
assert ffi.string(buf) == b"7-x"
print("memory: ok")
