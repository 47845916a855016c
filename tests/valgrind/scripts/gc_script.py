"""ffi.gc destructors: run once, at collection or at release, with C and Python frees."""

import gc

from _common import testlib

ffi, lib = testlib()
calls = []
for i in range(200):
    c = ffi.gc(lib.counter_new(i), lib.counter_free)
    assert lib.counter_next(c) == i
    del c
gc.collect()
for i in range(50):
    s = ffi.gc(lib.join_words(b"a", b"b"), lib.free_string)
    assert ffi.string(s) == b"a b"
    if i % 2:
        ffi.release(s)  # runs free_string now, and never again
    del s
gc.collect()
p = ffi.gc(ffi.new("int[8]"), lambda x: calls.append(x[0]))
p[0] = 5
del p
gc.collect()
assert calls == [5], calls
p = ffi.gc(lib.counter_new(1), lib.counter_free)
ffi.gc(p, None)  # detaches the destructor: freeing by hand is now the only free
lib.counter_free(p)
del p
gc.collect()
print("gc: ok")
