#!/usr/bin/env python3
"""Call-overhead benchmark: rffi against cffi (ABI and compiled API mode) and ctypes.

Everything runs in one process, interleaved, best of several rounds, and the
table gives ns per operation and each one's ratio to rffi. Machines are noisy:
compare only numbers from the same run. Nothing here asserts on time.

    python python/benchmarks/bench_calls.py [--quick]
"""

import argparse
import ctypes
import gc
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DECLS = """
double nop(double a, double b, double x);
double beta_logpdf(double a, double b, double x);
int add(int a, int b);
void noargs(void);
double sum(const double *values, long n);
double beta_loop(long n);
void beta_logpdf_array(double a, double b, const double *x, double *out, long n);
struct sample { int id; double weight; };
void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const int *, const int *));
long long call_from_threads(int (*f)(int), int nthreads, int ncalls);
"""


def build_library(workdir):
    path = os.path.join(workdir, "libbench.so")
    subprocess.check_call(["cc", "-O2", "-shared", "-fPIC", "-pthread", "-o", path,
                           os.path.join(HERE, "benchlib.c"), "-lm"])
    return path


def build_cffi_api(workdir):
    """cffi's compiled mode, built with the local C compiler (for comparison only)."""
    try:
        import cffi
        builder = cffi.FFI()
        builder.cdef(DECLS.split("void qsort")[0])
        with open(os.path.join(HERE, "benchlib.c")) as f:
            source = f.read()
        builder.set_source("_bench_api", "#include <stdlib.h>\n" + source,
                           libraries=["m", "pthread"])
        builder.compile(tmpdir=workdir, verbose=False)
        sys.path.insert(0, workdir)
        import _bench_api
        return _bench_api
    except Exception as e:  # a missing compiler or setuptools only drops a column
        print(f"(cffi API mode unavailable: {type(e).__name__}: {e})")
        return None


def best_ns(fn, n, rounds):
    best = float("inf")
    for _ in range(rounds):
        gc.disable()
        start = time.perf_counter_ns()
        fn(n)
        elapsed = time.perf_counter_ns() - start
        gc.enable()
        best = min(best, elapsed / n)
    return best


def loop(expression, **names):
    """A function running `expression` n times, compiled so that the loop
    itself costs what a Python loop costs and nothing more (no lambda)."""
    source = f"def run(n):\n    for _ in range(n):\n        {expression}\n"
    namespace = dict(names)
    exec(source, namespace)
    return namespace["run"]


def interleaved(candidates, n, rounds):
    """Best ns/op of each candidate, the rounds of all interleaved."""
    best = {name: float("inf") for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            best[name] = min(best[name], best_ns(fn, n, 1))
    return best


def table(title, rows, columns):
    print(f"\n{title}")
    print(f"{'operation':34s}" + "".join(f"{c:>14s}" for c in columns) +
          "".join(f"{'rffi/' + c:>14s}" for c in columns if c != "rffi"))
    for op, times in rows:
        cells = "".join(f"{times[c]:14.1f}" if c in times else f"{'-':>14s}" for c in columns)
        ratios = "".join(
            f"{times['rffi'] / times[c]:14.2f}" if c in times and "rffi" in times else f"{'-':>14s}"
            for c in columns if c != "rffi")
        print(f"{op:34s}{cells}{ratios}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    n = 20_000 if args.quick else 200_000
    rounds = 3 if args.quick else 7

    import numpy as np
    from cffi import FFI as CffiFFI
    from rffi import FFI as RffiFFI

    work = tempfile.mkdtemp(prefix="rffi-bench-")
    libpath = build_library(work)
    api = build_cffi_api(work)

    impls = {}
    for name, cls in (("rffi", RffiFFI), ("cffi ABI", CffiFFI)):
        ffi = cls()
        ffi.cdef(DECLS)
        impls[name] = (ffi, ffi.dlopen(libpath), ffi.dlopen(None))
    if api is not None:
        impls["cffi API"] = (api.ffi, api.lib, api.lib)
    cdll = ctypes.CDLL(libpath)
    for fname, res, argtypes in (("nop", ctypes.c_double, [ctypes.c_double] * 3),
                                 ("beta_logpdf", ctypes.c_double, [ctypes.c_double] * 3),
                                 ("add", ctypes.c_int, [ctypes.c_int] * 2),
                                 ("noargs", None, []),
                                 ("sum", ctypes.c_double, [ctypes.c_void_p, ctypes.c_long])):
        f = getattr(cdll, fname)
        f.restype, f.argtypes = res, argtypes
    columns = ["rffi", "cffi ABI", "cffi API", "ctypes"]

    data = np.arange(1000, dtype=np.float64)
    rows = []

    def calls(label, expression, make_args, ctypes_fn=None):
        cands = {}
        for name, (ffi, lib, _) in impls.items():
            cands[name] = loop(expression, **make_args(ffi, lib))
        if ctypes_fn is not None:
            cands["ctypes"] = loop(expression, **{**make_args(None, cdll), "f": ctypes_fn})
        rows.append((label, interleaved(cands, n, rounds)))

    calls("nop(1.0, 2.0, 0.5)", "f(1.0, 2.0, 0.5)", lambda ffi, lib: {"f": lib.nop}, cdll.nop)
    calls("beta_logpdf(1.0, 2.0, 0.5)", "f(1.0, 2.0, 0.5)",
          lambda ffi, lib: {"f": lib.beta_logpdf}, cdll.beta_logpdf)
    calls("add(i, 2)", "f(40, 2)", lambda ffi, lib: {"f": lib.add}, cdll.add)
    calls("noargs()", "f()", lambda ffi, lib: {"f": lib.noargs}, cdll.noargs)

    def sum_args(ffi, lib):
        if ffi is None:
            return {"f": lib.sum, "buf": data.ctypes.data}
        return {"f": lib.sum, "buf": ffi.cast("double *", ffi.from_buffer(data))}
    calls("sum(from_buffer 1000 doubles)", "f(buf, 1000)", sum_args, cdll.sum)
    import math
    rows.append(("math.copysign(1.0, 2.0) (floor)",
                 {"rffi": best_ns(loop("f(1.0, 2.0)", f=math.copysign), n, rounds)}))
    table("Calls, ns per call", rows, columns)
    results = dict(rows)

    rows = []
    ffi_ops = [
        ('ffi.new("int *")', 'ffi.new("int *")'),
        ('ffi.new("int[100]")', 'ffi.new("int[100]")'),
        ('ffi.cast("int *", 0)', 'ffi.cast("int *", 0)'),
        ('ffi.cast("double", 1.5)', 'ffi.cast("double", 1.5)'),
        ("struct field read", "s.weight"),
        ("array item read", "a[50]"),
        ("struct field write", "s.weight = 1.5"),
        ("array item write", "a[50] = 7"),
        ("from_buffer(numpy array)", "ffi.from_buffer(data)"),
        ("ffi.string(100 bytes)", "ffi.string(p)"),
    ]
    for label, expression in ffi_ops:
        cands = {}
        for name, (ffi, _, _) in impls.items():
            if name == "cffi API":
                continue
            cands[name] = loop(expression, ffi=ffi, s=ffi.new("struct sample *"),
                               a=ffi.new("int[100]"), data=data,
                               p=ffi.new("char[]", b"x" * 100))
        rows.append((label, interleaved(cands, n // 2, rounds)))
    table("FFI operations, ns per operation", rows, ["rffi", "cffi ABI"])
    results.update(rows)

    seed_table(impls, cdll, api, quick=args.quick)
    results["qsort"] = qsort_table(impls, quick=args.quick)
    results["callbacks from 8 C threads"] = threads_table(impls, libpath, quick=args.quick)
    memory_table()
    goals_table(results)


# The call-speed issue's goals: the most rffi may take, as a fraction of each.
GOALS = [
    ("nop(1.0, 2.0, 0.5)", {"cffi ABI": 0.25, "cffi API": 0.5, "ctypes": 0.15}),
    ("beta_logpdf(1.0, 2.0, 0.5)", {"cffi ABI": 0.3, "cffi API": 0.6, "ctypes": 0.2}),
    ("add(i, 2)", {"cffi ABI": 0.3, "cffi API": 0.6, "ctypes": 0.2}),
    ("noargs()", {"cffi ABI": 0.5, "cffi API": 0.8, "ctypes": 0.5}),
    ('ffi.new("int *")', {"cffi ABI": 0.5}),
    ('ffi.cast("int *", 0)', {"cffi ABI": 0.3}),
    ("struct field read", {"cffi ABI": 1.0}),
    ("array item read", {"cffi ABI": 1.0}),
    ("qsort", {"cffi ABI": 0.5, "ctypes": 1.0}),
    ("callbacks from 8 C threads", {"cffi ABI": 1.0}),
]


def goals_table(results):
    print("\nGoals (ratio rffi / other, this run)")
    for op, goals in GOALS:
        times = results.get(op, {})
        for other, limit in goals.items():
            if other not in times or "rffi" not in times:
                continue
            ratio = times["rffi"] / times[other]
            verdict = "met" if ratio <= limit else "NOT met"
            print(f"{op:34s} vs {other:9s} {ratio:6.2f}  goal <= {limit:<5} {verdict}")


def seed_table(impls, cdll, api, quick):
    """The seed article's table: 1,000,000 evaluations of beta_logpdf."""
    total = 100_000 if quick else 1_000_000
    results = {}

    def timed(fn):
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    ffi, lib, _ = impls["rffi"]
    results["C loop (reference)"] = timed(lambda: lib.beta_loop(total))
    try:
        from scipy.stats import beta
        xs = [(i % 999 + 1) / 1000.0 for i in range(total)]
        few = max(total // 1000, 100)
        results["SciPy scalar (scaled)"] = timed(lambda: [beta.logpdf(x, 1, 2) for x in xs[:few]]) * total / few
        import numpy as np
        arr = np.array(xs)
        results["SciPy vectorized"] = timed(lambda: beta.logpdf(arr, 1, 2))
    except ImportError:
        pass
    xs = [(i % 999 + 1) / 1000.0 for i in range(total)]
    for name, (_, impl_lib, _) in impls.items():
        f = impl_lib.beta_logpdf
        results[name] = timed(lambda: [f(1.0, 2.0, x) for x in xs])
    results["ctypes"] = timed(lambda: [cdll.beta_logpdf(1.0, 2.0, x) for x in xs])
    results.update(ufunc_rows(ffi, lib, total))
    ref = results["C loop (reference)"]
    print(f"\nThe seed's table: {total:,} evaluations of beta_logpdf")
    print(f"{'method':28s}{'time [s]':>12s}{'vs C':>10s}{'vs rffi':>10s}")
    for name, t in results.items():
        print(f"{name:28s}{t:12.4f}{t / ref:10.1f}{t / results['rffi']:10.2f}")


def ufunc_rows(ffi, lib, total):
    """ffi.ufunc(lib.beta_logpdf) over `total` float64 values against the same loop written
    in C (beta_logpdf_array, compiled with the library's flags), both writing into an array
    made beforehand, best of 5; and np.vectorize of the scalar rffi call. Issue 12's goal:
    the ufunc within 1.2x of the C loop."""
    import numpy as np
    x = (np.arange(total) % 999 + 1) / 1000.0
    out = np.empty_like(x)
    ufunc = ffi.ufunc(lib.beta_logpdf)
    c_loop = lib.beta_logpdf_array
    px, pout = ffi.cast("double *", ffi.from_buffer(x)), ffi.cast("double *", ffi.from_buffer(out))

    def best(fn, rounds=5):
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return min(times)

    rows = {}
    for _ in range(2):  # interleaved: each gets the machine in the same state
        rows["C loop over the array"] = min(rows.get("C loop over the array", 1e9),
                                            best(lambda: c_loop(1.0, 2.0, px, pout, total)))
        expected = out.copy()
        rows["rffi ffi.ufunc"] = min(rows.get("rffi ffi.ufunc", 1e9),
                                     best(lambda: ufunc(1.0, 2.0, x, out=out)))
        assert np.array_equal(out, expected, equal_nan=True)
    scalar = np.vectorize(lib.beta_logpdf)
    rows["np.vectorize(rffi scalar call)"] = best(lambda: scalar(1.0, 2.0, x), rounds=1)
    ratio = rows["rffi ffi.ufunc"] / rows["C loop over the array"]
    verdict = "met" if ratio <= 1.2 else "NOT met"
    print(f"\nffi.ufunc(beta_logpdf) over {total:,} float64: {ratio:.2f}x the C loop over the "
          f"same array (goal <= 1.2: {verdict})")
    return rows


def qsort_table(impls, quick):
    count = 10_000 if quick else 100_000
    import random
    rand = random.Random(7)
    values = [rand.randrange(10**6) for _ in range(count)]
    del random
    times = {}
    for name, (ffi, _, libc) in impls.items():
        if name == "cffi API":
            continue

        @ffi.callback("int(const int *, const int *)")
        def cmp(a, b):
            return (a[0] > b[0]) - (a[0] < b[0])

        arr = ffi.new("int[]", values)
        start = time.perf_counter()
        libc.qsort(arr, count, 4, cmp)
        times[name] = time.perf_counter() - start
    libc = ctypes.CDLL(None)
    CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int))
    cmp = CMP(lambda a, b: (a[0] > b[0]) - (a[0] < b[0]))
    arr = (ctypes.c_int * count)(*values)
    start = time.perf_counter()
    libc.qsort(arr, count, 4, cmp)
    times["ctypes"] = time.perf_counter() - start
    print(f"\nqsort of {count:,} ints with a Python comparator")
    for name, t in times.items():
        print(f"{name:12s}{t * 1000:10.1f} ms   rffi/{name}: {times['rffi'] / t:.2f}")
    return times


def threads_table(impls, libpath, quick):
    """Callbacks from threads C started: each thread's first call makes its Python thread
    state, and what the later calls cost depends on whether that state is kept."""
    nthreads, ncalls = 8, (5_000 if quick else 40_000)
    times = {}
    for name, (ffi, lib, _) in impls.items():
        if name == "cffi API":
            continue
        f = ffi.callback("int(int)", lambda i: i)
        lib.call_from_threads(f, nthreads, 10)  # warm up
        start = time.perf_counter()
        lib.call_from_threads(f, nthreads, ncalls)
        times[name] = time.perf_counter() - start
    cdll = ctypes.CDLL(libpath)
    cdll.call_from_threads.restype = ctypes.c_longlong
    CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)
    f = CB(lambda i: i)
    start = time.perf_counter()
    cdll.call_from_threads(f, nthreads, ncalls)
    times["ctypes"] = time.perf_counter() - start
    calls = nthreads * ncalls
    print(f"\nCallbacks from {nthreads} C threads x {ncalls:,} calls, us per call")
    for name, t in times.items():
        print(f"{name:12s}{t / calls * 1e6:10.2f} us   rffi/{name}: {times['rffi'] / t:.2f}")
    return times


# Resident memory from /proc, not ru_maxrss: a child's maxrss starts from
# its parent's peak, which would hide the growth being measured. One cdata is
# made before measuring: the first `ffi.new("int *")` parses the type and
# fills caches once, which is not what a cdata costs. The growth is measured
# for a million and for two million kept cdata (in a list made beforehand):
# the difference, over a million, is what one more kept cdata costs, free of
# what the allocators had spare when the loop began.
MEMORY_SCRIPT = """
import os, sys
def rss_kib():
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGESIZE") // 1024
mod = __import__(sys.argv[1])
n = int(sys.argv[2])
ffi = mod.FFI()
first = ffi.new("int *")
keep = [None] * n
before = rss_kib()
for i in range(n):
    keep[i] = ffi.new("int *")
print(rss_kib() - before)
"""


def memory_table():
    print("\nResident memory growth for ffi.new(\"int *\") kept alive (issue 11's goal: rffi <= cffi)")
    grown = {}
    for module in ("rffi", "cffi"):
        for n in (1_000_000, 2_000_000):
            out = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, module, str(n)],
                                 capture_output=True, text=True)
            text = out.stdout.strip()
            if not text.isdigit():
                print(f"{module:8s} failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}")
                return
            grown[module, n] = int(text)
    per = {}
    for module in ("rffi", "cffi"):
        per[module] = (grown[module, 2_000_000] - grown[module, 1_000_000]) * 1024 / 1_000_000
        print(f"{module:8s}{grown[module, 1_000_000]:>10,} KiB for 10^6, "
              f"{grown[module, 2_000_000]:>10,} KiB for 2x10^6, {per[module]:6.1f} bytes per cdata")
    verdict = "met" if per["rffi"] <= per["cffi"] else "NOT met"
    print(f"bytes per kept cdata, rffi/cffi: {per['rffi'] / per['cffi']:.3f} ({verdict}); "
          f"for 10^6, rffi/cffi: {grown['rffi', 1_000_000] / grown['cffi', 1_000_000]:.3f}")


if __name__ == "__main__":
    main()
