"""A C library calls a Python callback from threads it started itself.

Each C thread takes the GIL for the duration of one callback and releases it afterwards, so
many threads can call the same callback; the call that starts them (run_workers) releases the
GIL while it waits, so Python threads keep running meanwhile.

Usage: threads.py [workers] [steps]   (default 4 workers, 1000 steps each)
"""

import os
import pathlib
import sys
import threading

if os.environ.get("RFFI_EXAMPLES_BACKEND") == "cffi":
    from cffi import FFI
else:
    from rffi import FFI

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
LIBDIR = pathlib.Path(os.environ.get("RFFI_EXAMPLES_LIBDIR", REPO_ROOT / "build" / "examples"))

ffi = FFI()
ffi.cdef("int run_workers(int workers, int steps, void (*report)(int, int, double));")
lib = ffi.dlopen(str(LIBDIR / "libthreads.so"))

workers = int(sys.argv[1]) if len(sys.argv) > 1 else 4
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 1000

reports = {}  # worker -> number of reports
threads_seen = set()
last_value = {}


@ffi.callback("void(int, int, double)")
def report(worker, step, value):
    # Runs on a C thread, holding the GIL: plain Python data structures are safe here.
    threads_seen.add(threading.get_ident())
    reports[worker] = reports.get(worker, 0) + 1
    last_value[worker] = value


if lib.run_workers(workers, steps, report) != 0:
    sys.exit("could not start the threads")

print(f"{workers} C threads called back {sum(reports.values())} times")
print(f"distinct threads seen: {len(threads_seen)}")
print(f"main thread among them: {threading.get_ident() in threads_seen}")
for worker in sorted(reports):
    print(f"worker {worker}: {reports[worker]} reports, last value {last_value[worker]:.3f}")
