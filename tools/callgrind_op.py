"""One hot operation of rffi run n times, for tools/callgrind_ops.sh: python callgrind_op.py OP N."""
import sys
from rffi import FFI
ffi = FFI()
ffi.cdef("""
struct sample { int id; double weight; };
int abs(int);
double fabs(double);
""")
lib = ffi.dlopen(None)
m = ffi.dlopen("libm.so.6")
s = ffi.new("struct sample *")
a = ffi.new("int[100]")
p = ffi.new("int *")
op, n = sys.argv[1], int(sys.argv[2])
lib.abs(1)
m.fabs(1.0)
ops = {
    "call_abs": "lib.abs(-3)",
    "call_fabs": "m.fabs(-2.0)",
    "new_int": "ffi.new('int *')",
    "cast_ptr": "ffi.cast('int *', 0)",
    "read_member": "s.weight",
    "read_item": "a[50]",
    "write_item": "a[50] = 7",
    "write_p0": "p[0] = 7",
    "write_member": "s.weight = 1.5",
}
code = compile("for _ in range(n):\n    " + ops[op], "op", "exec")
exec(code, {"n": n, "lib": lib, "m": m, "ffi": ffi, "s": s, "a": a, "p": p})
