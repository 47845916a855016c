"""ffi.release, `with`, and every way of using a cdata after its memory went: each must raise,
none may read or write the freed block."""

from _common import testlib

ffi, lib = testlib()
for n in (1, 7, 4096):
    p = ffi.new("int[]", list(range(n)))
    view = p[0:n]
    buf = ffi.buffer(p)
    ffi.release(p)
    ffi.release(p)  # twice is allowed
    for use in (lambda: p[0], lambda: view[0], lambda: buf[0], lambda: ffi.unpack(p, 1),
                lambda: bytes(buf), lambda: ffi.string(ffi.cast("char *", p))):
        try:
            use()
        except Exception:
            pass
with ffi.new("struct point *", {"x": 3, "y": 4}) as pt:
    assert lib.point_sum(pt[0]) == 7
try:
    pt.x
except Exception:
    pass
s = ffi.new("struct with_array *", [1, [1, 2, 3, 4]])
inner = s.values
ffi.release(s)
try:
    inner[3]
except Exception:
    pass
alloc = ffi.new_allocator(should_clear_after_alloc=False)
q = alloc("double[]", 100)
q[99] = 1.5
ffi.release(q)
print("release: ok")
