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


# A value whose conversion releases the very memory it is written into (the fuzzer's Rel):
# the write must land before the bytes go, or not at all, and then raise.
class Rel:
    def __init__(self, c):
        self.c = c

    def __index__(self):
        ffi.release(self.c)
        return 1

    __int__ = __index__


for write in (lambda p: p.__setitem__(3, Rel(p)),
              lambda p: p.__setitem__(slice(0, 2), [Rel(p), Rel(p)]),
              lambda p: ffi.buffer(p).__setitem__(Rel(p), b"x"),
              lambda p: ffi.buffer(p)[Rel(p)]):
    p = ffi.new("int[]", 64)
    try:
        write(p)
        raise AssertionError("a released cdata was written")
    except ValueError:
        pass
