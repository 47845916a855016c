"""ffi.from_buffer over bytearray, bytes, memoryview and array: reads and writes stay inside the
Python buffer, and the buffer stays alive (and unresizable) while the cdata holds it."""

import array
import gc

from _common import testlib

ffi, lib = testlib()
ba = bytearray(b"hello")
c = ffi.from_buffer(ba)
c[0] = b"j"
assert ba == bytearray(b"jello")
try:
    ba.extend(b"x" * 10000)  # refused while exported
except BufferError:
    pass
assert lib.sum_bytes(c, len(ba)) == sum(ba)
ffi.release(c)
ba.extend(b"x" * 10000)
a = array.array("i", range(100))
ints = ffi.from_buffer("int[]", a)
assert lib.sum_ints(ints, 100) == sum(range(100))
del a
gc.collect()
assert ints[99] == 99  # the cdata keeps the array alive
ro = ffi.from_buffer(b"abc")
assert ffi.string(ro, 3) == b"abc"
mv = memoryview(bytearray(64))[8:24]
part = ffi.from_buffer("double[]", mv)
part[1] = 2.5
assert len(part) == 2
for bad in (lambda: part[2], lambda: ffi.from_buffer(b"x", require_writable=True)):
    try:
        bad()
    except Exception:
        pass
print("from_buffer: ok")
