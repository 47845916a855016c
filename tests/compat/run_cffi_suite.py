"""Run cffi's own ABI-mode test suite against rffi (or against cffi, for comparison).

    python tests/compat/run_cffi_suite.py            # rffi, through tests/compat/shim
    python tests/compat/run_cffi_suite.py --cffi     # the real cffi installed in the venv
    python tests/compat/run_cffi_suite.py -- -k union   # extra arguments go to pytest

The cffi sdist of the pinned version is fetched once with `pip download` into a cache
directory ($RFFI_COMPAT_CACHE, else $XDG_CACHE_HOME/rffi-compat, else ~/.cache/rffi-compat)
and unpacked there. Its `testing/cffi0/test_ffi_backend.py` (which pulls in backend_tests.py,
test_function.py and test_ownlib.py) runs in a pytest subprocess. For rffi, tests/compat/shim
goes first on PYTHONPATH: its `cffi` and `_cffi_backend` modules hand the suite rffi's FFI.

The script prints `N passed of M` and the tests that did not pass. Against rffi it exits
non-zero when a test fails that tests/compat/expected_failures.txt does not list, or when a
listed test passes (the list must stay true), so `make test` holds the line.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

CFFI_VERSION = "2.1.1"
SUITE = "testing/cffi0/test_ffi_backend.py"
HERE = Path(__file__).resolve().parent
SHIM = HERE / "shim"
EXPECTED = HERE / "expected_failures.txt"


def default_cache() -> Path:
    if os.environ.get("RFFI_COMPAT_CACHE"):
        return Path(os.environ["RFFI_COMPAT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rffi-compat"


def fetch_sdist(cache: Path) -> Path:
    """The unpacked sdist, downloaded and unpacked only when the cache lacks it."""
    root = cache / f"cffi-{CFFI_VERSION}"
    if (root / SUITE).is_file():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"cffi-{CFFI_VERSION}.tar.gz"
    if not archive.is_file():
        fetched = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
             "--no-deps", "--no-binary", ":all:",
             f"cffi=={CFFI_VERSION}", "-d", str(cache)],
        )
        if fetched.returncode != 0 or not archive.is_file():
            sys.exit(f"could not download the cffi {CFFI_VERSION} sdist into {cache} "
                     f"(PyPI unreachable?); put cffi-{CFFI_VERSION}.tar.gz there by hand")
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.startswith(f"cffi-{CFFI_VERSION}/testing/")]
        try:
            tar.extractall(cache, members=members, filter="data")
        except TypeError:  # a Python without extraction filters; the members are checked above
            tar.extractall(cache, members=members)
    return root


def read_expected(path: Path) -> dict[str, str]:
    """`test_name  # reason` lines; a test without a reason is an error, not a silent pass."""
    expected = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition("#")
        if not reason.strip():
            sys.exit(f"{path}:{number}: {name.strip()} has no reason")
        expected[name.strip()] = reason.strip()
    return expected


def run_suite(
    root: Path, use_cffi: bool, pytest_args: list[str], record: Path, verbose: bool
) -> dict[str, str]:
    """Each test's outcome: passed, failed, skipped, or crashed (it killed the interpreter;
    the run then goes on in a new process without the tests already done)."""
    env = dict(os.environ)
    # The sdist root provides the `testing` package; the shim (for rffi) shadows cffi.
    paths = [str(HERE), str(root)] if use_cffi else [str(HERE), str(SHIM), str(root)]
    env["PYTHONPATH"] = os.pathsep.join(paths + [env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["RFFI_COMPAT_RECORD"] = str(record)
    # The suite's own temp dirs go inside the cache, not into the system temp dir.
    tmp = record.parent / "tmp"
    tmp.mkdir(exist_ok=True)
    env["TMPDIR"] = str(tmp)
    record.unlink(missing_ok=True)
    results: dict[str, str] = {}
    while True:
        done = [f"{SUITE}::{name}" for name in results]
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   "-p", "_record", "-o", "addopts=", "--rootdir", str(root), SUITE,
                   *pytest_args, *(f"--deselect={nodeid}" for nodeid in done)]
        # pytest's own exit status says only "some failed"; the record decides.
        status = subprocess.run(command, cwd=root, env=env,
                                stdout=None if verbose else subprocess.DEVNULL,
                                stderr=None if verbose else subprocess.DEVNULL).returncode
        crashed = read_record(record, results)
        if crashed is None:
            if status not in (0, 1, 5):  # 5: nothing left to run
                sys.exit(f"pytest stopped with status {status}; rerun with -v")
            return results
        results[crashed] = "crashed"


def read_record(record: Path, results: dict[str, str]) -> str | None:
    """Folds the record into results; returns the test that started and never finished."""
    running = None
    if not record.exists():  # pytest stopped before any test ran
        return None
    for line in record.read_text().splitlines():
        word, nodeid = line.split(" ", 1)
        name = nodeid.split("::", 1)[1]
        if word == "start":
            running = name
            results.setdefault(name, "passed")
        elif word == "finish":
            running = None
        elif word == "failed" or (word == "skipped" and results[name] == "passed"):
            results[name] = word
    record.unlink()
    return running


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cffi", action="store_true", help="run the suite on the real cffi")
    parser.add_argument("--cache", type=Path, default=default_cache())
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's output")
    parser.add_argument("pytest_args", nargs="*", help="after --: passed on to pytest")
    args = parser.parse_args()

    started = time.monotonic()
    root = fetch_sdist(args.cache)
    backend = "cffi" if args.cffi else "rffi"
    record = args.cache / f"record-{backend}.txt"
    results = run_suite(root, args.cffi, args.pytest_args, record, args.verbose)
    elapsed = time.monotonic() - started

    passed = [name for name, outcome in results.items() if outcome == "passed"]
    failed = sorted(name for name, outcome in results.items() if outcome in ("failed", "crashed"))
    skipped = sorted(name for name, outcome in results.items() if outcome == "skipped")
    print(f"cffi {CFFI_VERSION} {SUITE} on {backend}: "
          f"{len(passed)} passed of {len(results)} ({len(failed)} failed, "
          f"{len(skipped)} skipped) in {elapsed:.1f}s")
    for name in skipped:
        print(f"  skipped  {name}")
    if args.cffi:
        for name in failed:
            print(f"  {results[name]:8} {name}")
        return 0

    expected = read_expected(EXPECTED)
    unexpected = [name for name in failed if name not in expected]
    for name in failed:
        if name in expected:
            print(f"  expected {name}  ({expected[name]})")
    for name in unexpected:
        print(f"  {results[name].upper():8} {name}")
    stale = sorted(name for name in expected if results.get(name) == "passed")
    for name in stale:
        print(f"  PASSED   {name}, listed in {EXPECTED.name}: remove the line")
    if unexpected or stale:
        print(f"{len(unexpected)} unexpected failures, {len(stale)} unexpected passes "
              f"(rerun with -v for pytest's report)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
