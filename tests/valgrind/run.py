#!/usr/bin/env python3
"""Run rffi's lifetime tests and scripts under valgrind; count invalid reads, writes and frees.

    .venv/bin/python tests/valgrind/run.py            # everything: `make valgrind`
    .venv/bin/python tests/valgrind/run.py --quick    # the subset `make test` runs

Each target runs as `valgrind python ...` with PYTHONMALLOC=malloc, so Python's objects come
from malloc too and valgrind sees every block. A target fails when it exits non-zero (its own
assertions) or when valgrind reports an "Invalid read", "Invalid write" or "Invalid free"
(after tests/valgrind/python.supp, which silences CPython's known noise). Other reports
(uninitialised values) are counted and shown, not failed on. Logs go to build/valgrind/.
The last line is "valgrind: N passed, M failed" (targets).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import glob
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPTS = os.path.join(HERE, "scripts")
PYTEST_LIFETIMES = ["-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "tests/python/test_lifetimes.py", "-k", "not cffi"]

# (name, python arguments, in the quick subset)
TARGETS = [
    ("release", [os.path.join(SCRIPTS, "release.py")], True),
    ("gc", [os.path.join(SCRIPTS, "gc_script.py")], True),
    ("from_buffer", [os.path.join(SCRIPTS, "from_buffer.py")], True),
    ("callbacks", [os.path.join(SCRIPTS, "callbacks.py")], True),
    ("memory", [os.path.join(SCRIPTS, "memory.py")], True),
    ("test_lifetimes", PYTEST_LIFETIMES, False),
    # Cycles through cdata: what the collector's finalize and clear leave behind.
    ("test_gc_cycles", ["-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "tests/python/test_gc_cycles.py", "-k", "not cffi"], True),
]
# The quick subset's share of test_lifetimes.py: the tests of release, gc, `with`, allocators,
# handles and from_buffer, without the slow thread and subprocess ones.
QUICK_LIFETIMES = ("test_lifetimes (quick)", PYTEST_LIFETIMES[:-1] + [
    "not cffi and not thread and not subprocess and not dlclose"], True)

FAILING = re.compile(r"^==\d+== (Invalid read|Invalid write|Invalid free|Mismatched free)", re.M)
OTHER = re.compile(r"^==\d+== (Conditional jump|Use of uninitialised|Syscall param|"
                   r"Source and destination overlap)", re.M)


def run_target(name: str, argv: list, log_dir: str, timeout: float) -> dict:
    safe = re.sub(r"\W+", "_", name).strip("_")
    for old in glob.glob(os.path.join(log_dir, safe + ".*.log")):
        os.remove(old)
    cmd = ["valgrind", "--tool=memcheck", "--num-callers=40", "--error-limit=no",
           f"--suppressions={os.path.join(HERE, 'python.supp')}",
           f"--log-file={os.path.join(log_dir, safe)}.%p.log",
           sys.executable, *argv]
    env = dict(os.environ, PYTHONMALLOC="malloc", PYTHONDONTWRITEBYTECODE="1")
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
        rc, out = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        rc, out = "timeout", (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
    seconds = time.monotonic() - t0
    failing, other, blocks = 0, 0, []
    for log in sorted(glob.glob(os.path.join(log_dir, safe + ".*.log"))):
        text = open(log, errors="replace").read()
        failing += len(FAILING.findall(text))
        other += len(OTHER.findall(text))
        for m in FAILING.finditer(text):
            end = text.find("\n==" + m.group(0).split("==")[1] + "== \n", m.end())
            blocks.append(text[m.start():end if end > 0 else m.start() + 3000][:3000])
    return {"name": name, "rc": rc, "seconds": seconds, "invalid": failing, "other": other,
            "blocks": blocks, "output": out}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="the subset make test runs")
    p.add_argument("--only", help="comma list of target names")
    p.add_argument("--timeout", type=float, default=1800, help="seconds per target")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--out", default=os.path.join("build", "valgrind"))
    args = p.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: `apt-get install valgrind` (Debian's package; "
              "`make valgrind` installs it when run as root)", file=sys.stderr)
        print("valgrind: 0 passed, 1 failed")
        return 1
    log_dir = os.path.join(REPO_ROOT, args.out)
    os.makedirs(log_dir, exist_ok=True)
    targets = [t for t in TARGETS if t[2]] + [QUICK_LIFETIMES] if args.quick else TARGETS
    if args.only:
        wanted = set(args.only.split(","))
        targets = [t for t in TARGETS + [QUICK_LIFETIMES] if t[0] in wanted]
    passed = failed = 0
    # Longest first, two at a time: valgrind runs one thread per process.
    targets.sort(key=lambda t: not t[0].startswith("test_"))
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        results = list(pool.map(lambda t: run_target(t[0], t[1], log_dir, args.timeout),
                                targets))
    for r in results:
        name = r["name"]
        ok = r["rc"] == 0 and r["invalid"] == 0
        passed += ok
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {r['seconds']:.0f} s, exit {r['rc']}, "
              f"{r['invalid']} invalid reads/writes/frees, {r['other']} other reports")
        if r["rc"] != 0:
            print("    " + "\n    ".join(r["output"].strip().splitlines()[-15:]))
        for block in r["blocks"][:3]:
            print("    " + block.replace("\n", "\n    "))
    print(f"logs: {args.out}/")
    print(f"valgrind: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
