#!/usr/bin/env python3
"""cdef benchmark: how long declaring a large header takes, rffi against cffi.

Generates the header with tests/gen_header.py (about 8,000 lines), then in one
run times
  * cffi:        FFI().cdef(text), best of --rounds
  * rffi-types:  the Rust example `cdef_bench` (release build), best of --rust-rounds
  * rffi:        rffi.FFI().cdef(text), if the Python package is importable
and prints a table with the ratio of each to cffi. The goal is rffi at most
1/25 of cffi's time. A script, not a test: nothing here asserts on time.

    python3 python/benchmarks/bench_cdef.py [--seed N] [--rounds N] [--rust-rounds N]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOAL_RATIO = 1 / 25

sys.path.insert(0, os.path.join(ROOT, "tests"))
import gen_header  # noqa: E402


def best_ms(fn, rounds):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000.0)
    return min(times)


def time_cffi(text, rounds):
    try:
        from cffi import FFI
    except ImportError:
        return None, "cffi is not installed"
    return best_ms(lambda: FFI().cdef(text), rounds), ""


def time_rffi_python(text, rounds):
    try:
        import rffi
    except ImportError as e:
        return None, f"import rffi failed: {e}"
    if not hasattr(rffi, "FFI"):
        return None, "rffi has no FFI yet"
    try:
        return best_ms(lambda: rffi.FFI().cdef(text), rounds), ""
    except Exception as e:  # the benchmark reports, it does not judge
        return None, f"rffi.FFI().cdef failed: {type(e).__name__}: {e}"


def time_rust(header_path, rounds):
    cmd = [
        "cargo", "run", "--release", "-q", "-p", "rffi-types",
        "--example", "cdef_bench", "--", header_path, str(rounds),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return None, f"cdef_bench failed: {last}"
    match = re.search(r"best_ms=([0-9.]+)", proc.stdout)
    if not match:
        return None, f"unexpected cdef_bench output: {proc.stdout.strip()!r}"
    return float(match.group(1)), ""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5, help="rounds for cffi and rffi (Python)")
    parser.add_argument("--rust-rounds", type=int, default=20, help="rounds for the Rust example")
    args = parser.parse_args(argv)

    text = gen_header.generate(args.seed)
    with tempfile.NamedTemporaryFile("w", suffix=".h", prefix="bench_cdef_", delete=False) as f:
        f.write(text)
        header_path = f.name
    try:
        rows = [
            ("cffi FFI().cdef", *time_cffi(text, args.rounds)),
            ("rffi-types Types::cdef (Rust)", *time_rust(header_path, args.rust_rounds)),
            ("rffi FFI().cdef (Python)", *time_rffi_python(text, args.rounds)),
        ]
    finally:
        os.unlink(header_path)

    print(f"cdef of a generated header: {text.count(chr(10))} lines, seed {args.seed}")
    print(f"{'implementation':<32} {'best ms':>10} {'vs cffi':>9}")
    cffi_ms = rows[0][1]
    for name, ms, note in rows:
        if ms is None:
            print(f"{name:<32} {'-':>10} {'-':>9}  ({note})")
            continue
        ratio = f"{ms / cffi_ms:.4f}" if cffi_ms else "-"
        print(f"{name:<32} {ms:>10.2f} {ratio:>9}")

    if cffi_ms is None:
        print("goal (rffi <= 1/25 of cffi): cannot tell without cffi")
        return
    measured = [(name, ms) for name, ms, _ in rows[1:] if ms is not None]
    if not measured:
        print("goal (rffi <= 1/25 of cffi): no rffi measurement")
    for name, ms in measured:
        met = "met" if ms <= cffi_ms * GOAL_RATIO else "NOT met"
        print(f"goal (<= {cffi_ms * GOAL_RATIO:.2f} ms, 1/25 of cffi) for {name}: {met}")


if __name__ == "__main__":
    main()
