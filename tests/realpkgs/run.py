"""Run the test suites of real cffi ABI-mode packages on cffi and on rffi, and compare.

Each package is taken as a new user would take it: its sdist from PyPI (which holds its test
suite), its Python dependencies from PyPI, its C libraries from Debian's packages. Its suite
runs twice, unedited: `python -m pytest` on the real cffi, then `python -m rffi.cffi -m pytest`
(rffi.install_as_cffi()). The script prints both summaries and fails when they differ.
A package without a test suite (sounddevice) runs a script of ours instead, and the two runs
must print the same.

    make realpkgs                      # or: .venv/bin/python tests/realpkgs/run.py
    .venv/bin/python tests/realpkgs/run.py cairocffi
    .venv/bin/python tests/realpkgs/run.py --repo-tests pyvips=DIR   # see below

It downloads, so it is not part of `make test`. Work files go to build/realpkgs/.

The sdists of pyvips and pangocffi lack files of their repository's tests/ that their tests
import (helpers, images, context_creator.py): such a package runs only when given the tests/
directory of a checkout of its release with --repo-tests NAME=DIR (the commits are named
below), and is skipped with a note otherwise.
"""

from __future__ import annotations

import argparse
import ctypes.util
import dataclasses
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
WORK = REPO_ROOT / "build" / "realpkgs"


@dataclasses.dataclass
class Package:
    name: str
    version: str
    tests: list[str]  # paths inside the unpacked sdist
    pip_deps: list[str]  # what the package and its tests import, besides cffi and pytest
    libraries: dict[str, str]  # find_library name -> Debian package
    programs: dict[str, str] = dataclasses.field(default_factory=dict)  # program -> Debian
    wrapper: list[str] = dataclasses.field(default_factory=list)  # runs pytest, e.g. xvfb-run
    # A script in this directory to run instead of a test suite from an sdist (the package
    # then comes from pip_deps), and what it needs in its environment.
    script: str | None = None
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    # Where the tests/ that the sdist lacks come from (see --repo-tests).
    repo_tests: str | None = None

    @property
    def source(self) -> pathlib.Path:
        return WORK / "src" / f"{self.name}-{self.version}"


PACKAGES = [
    Package(
        "cairocffi",
        "1.7.1",
        tests=["cairocffi"],
        # With xcffib, test_xcb.py draws into an X window through both packages' FFIs
        # (cairocffi's ffi.include()s xcffib's); it needs an X server, hence xvfb-run.
        pip_deps=["pikepdf", "xcffib==1.13.0"],
        libraries={"cairo": "libcairo2", "gdk_pixbuf-2.0": "libgdk-pixbuf-2.0-0"},
        programs={"xvfb-run": "xvfb xauth"},
        wrapper=["xvfb-run", "-a"],
    ),
    Package(
        "xcffib",
        "1.13.0",
        tests=["test"],
        pip_deps=[],
        libraries={"xcb": "libxcb1"},
        programs={"Xvfb": "xvfb", "xeyes": "x11-apps"},
    ),
    Package(
        "weasyprint",
        "70.0",
        tests=["tests"],
        pip_deps=[
            "pydyf>=0.11.0",
            "tinyhtml5>=2.0.0b1",
            "tinycss2>=1.5.0",
            "cssselect2>=0.8.0",
            "Pyphen>=0.9.1",
            "brotli",  # fonttools[woff]; fonttools and Pillow come with .venv
            "zopfli",
        ],
        libraries={
            "pango-1.0": "libpango-1.0-0",
            "pangoft2-1.0": "libpangoft2-1.0-0",
            "harfbuzz": "libharfbuzz0b",
            "harfbuzz-subset": "libharfbuzz-subset0",
            "fontconfig": "fontconfig",
        },
        programs={"gs": "ghostscript"},
    ),
    Package(
        "pyvips",
        "3.2.0",
        tests=["tests"],
        pip_deps=[],
        libraries={"vips": "libvips42"},
        repo_tests="https://github.com/libvips/pyvips commit e855f6c (version 3.2.0)",
    ),
    # Its FFI is built at import from cdef text files, with set_source(name, None) called on
    # it and never compiled (ABI mode: dlopen()). Its tests draw through cairo and pangocairo
    # with an FFI of their own (tests/context_creator.py).
    Package(
        "pangocffi",
        "0.14.0",
        tests=["tests"],
        pip_deps=[],
        libraries={"pango-1.0": "libpango-1.0-0", "pangocairo-1.0": "libpangocairo-1.0-0",
                   "cairo": "libcairo2"},
        repo_tests="https://github.com/leifgehrmann/pangocffi commit 23ba90e (v0.14.0)",
    ),
    # Draws through cairocffi. Its test_non_regression/ renders 281 SVG files with it and
    # with a reference CairoSVG (a git submodule in its repository, absent from the sdist)
    # and compares the pixels; run.py makes the sdist its own reference, so that part
    # checks that every file renders, and renders the same twice.
    Package(
        "cairosvg",
        "2.8.2",
        tests=["cairosvg", "test_non_regression"],
        pip_deps=["cairocffi==1.7.1", "cssselect2>=0.8.0", "tinycss2>=1.5.0", "defusedxml"],
        libraries={"cairo": "libcairo2"},
    ),
    # Out-of-line ABI mode: soundfile's sdist holds _soundfile.py, the tables that cffi
    # generated, which build its FFI through `_cffi_backend.FFI(...)`. libsndfile comes from
    # the _soundfile_data package of soundfile's wheel when that is installed (.venv has it,
    # from requirements-dev.txt), else from Debian's libsndfile1. numpy comes with .venv.
    Package(
        "soundfile",
        "0.14.0",
        tests=["tests"],
        pip_deps=[],
        libraries={"sndfile": "libsndfile1"},
    ),
    # Out-of-line too, over PortAudio; it has no test suite, hence sounddevice_check.py. Its
    # streams play into ALSA's null plugin (the .asoundrc that run.py writes in HOME).
    Package(
        "sounddevice",
        "0.5.6",
        tests=[],
        pip_deps=["sounddevice==0.5.6"],
        libraries={"portaudio": "libportaudio2"},
        script="sounddevice_check.py",
        env={"HOME": str(WORK / "home")},
    ),
]

#: ALSA's default device for sounddevice_check.py: a sink that plays into nothing and
#: records silence, for machines without a sound card.
ASOUNDRC = """pcm.!default {
    type null
    hint { show on description "null device for tests/realpkgs" }
}
"""

SUMMARY = re.compile(r"^=*\s*(\d+ \w+.*) in [\d.]+s")
# The count of warnings is left out of the comparison: soundfile's warnings are exceptions
# raised in callbacks while a cycle of garbage (a test's frame, held by a traceback) is
# collected, and the test they are reported in, or whether before the end at all, depends
# on when the garbage collector runs, which any allocation moves.
WARNINGS = re.compile(r",? ?\d+ warnings?")


def pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True
    )


def fetch_sdist(package: Package) -> None:
    if package.source.exists():
        return
    sdists = WORK / "sdists"
    pip("download", "--no-deps", "--no-binary", ":all:", "-d", str(sdists),
        f"{package.name}=={package.version}")
    archive = next(sdists.glob(f"{package.name}-{package.version}.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(WORK / "src", filter="data")


def missing_libraries(package: Package) -> list[str]:
    missing = [debian for library, debian in package.libraries.items()
               if not ctypes.util.find_library(library)]
    missing += [debian for program, debian in package.programs.items()
                if not shutil.which(program)]
    return missing


def run_suite(package: Package, on_rffi: bool) -> tuple[str, str]:
    """(summary line, cffi module in use) of one run of the package's suite; for a
    package with a script, (the script's output, _cffi_backend module in use)."""
    runner = ["-m", "rffi.cffi"] if on_rffi else []
    if package.script:
        command = [*package.wrapper, sys.executable, *runner, str(HERE / package.script)]
        cwd = WORK
    else:
        command = [*package.wrapper, sys.executable, *runner, "-m", "pytest", "-q",
                   "-p", "no:cacheprovider", "-p", "cffi_in_use", *package.tests]
        cwd = package.source
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(package.source), str(WORK / "site"), str(HERE)])
    env.update(package.env)
    log = WORK / f"{package.name}-{'rffi' if on_rffi else 'cffi'}.log"
    with open(log, "w") as out:
        subprocess.run(command, cwd=cwd, env=env, stdout=out,
                       stderr=subprocess.DEVNULL if package.script else subprocess.STDOUT)
    lines = log.read_text().splitlines()
    marker = "_cffi_backend module in use: " if package.script else "cffi module in use: "
    in_use = next((line.split(": ", 1)[1] for line in lines if line.startswith(marker)),
                  "unknown")
    if package.script:
        output = "\n".join(line for line in lines if not line.startswith(marker))
        return output, in_use
    summary = next((m.group(1) for line in reversed(lines) if (m := SUMMARY.match(line))),
                   f"no summary: see {log}")
    return summary, in_use


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", help="names among: "
                        + ", ".join(p.name for p in PACKAGES))
    parser.add_argument("--repo-tests", action="append", default=[], metavar="NAME=DIR",
                        help="tests/ of a checkout of NAME's release, for the packages "
                        "whose sdist lacks part of it: "
                        + ", ".join(p.name for p in PACKAGES if p.repo_tests))
    args = parser.parse_args()
    repo_tests = dict(pair.split("=", 1) for pair in args.repo_tests)
    chosen = [p for p in PACKAGES if not args.packages or p.name in args.packages]
    for package in [p for p in chosen if p.repo_tests and p.name not in repo_tests]:
        message = (f"{package.name}: skipped; its sdist lacks part of its tests/: pass "
                   f"--repo-tests {package.name}=DIR, DIR the tests/ of "
                   f"{package.repo_tests}")
        if args.packages:
            parser.error(message)
        print(message)
        chosen.remove(package)

    WORK.mkdir(parents=True, exist_ok=True)
    deps = sorted({dep for p in chosen for dep in p.pip_deps})
    stamp = WORK / "site" / ".installed"
    if deps and (not stamp.exists() or set(deps) - set(stamp.read_text().split("\n"))):
        pip("install", "--upgrade", "--target", str(WORK / "site"), *deps)
        stamp.write_text("\n".join(deps))

    results = []
    for package in chosen:
        missing = missing_libraries(package)
        if missing:
            print(f"{package.name}: missing C libraries; run: apt-get install -y "
                  + " ".join(missing))
            return 2
        if package.script:
            (WORK / "home").mkdir(exist_ok=True)
            (WORK / "home" / ".asoundrc").write_text(ASOUNDRC)
        else:
            fetch_sdist(package)
        if package.name == "cairosvg":
            reference = package.source / "test_non_regression" / "cairosvg_reference"
            shutil.copytree(package.source / "cairosvg", reference / "cairosvg",
                            dirs_exist_ok=True)
        if package.name in repo_tests:
            shutil.copytree(repo_tests[package.name], package.source / "tests",
                            dirs_exist_ok=True)
        on_cffi = run_suite(package, on_rffi=False)
        on_rffi = run_suite(package, on_rffi=True)
        results.append((package, on_cffi, on_rffi))
        print(f"{package.name} {package.version}")
        if package.script:
            lines = len(on_cffi[0].splitlines())
            print(f"  {package.script}: " + (f"the same {lines} lines of output on both"
                  if on_cffi[0] == on_rffi[0] else "outputs differ"))
            print(f"  _cffi_backend module: {on_cffi[1]} and {on_rffi[1]}")
        else:
            print(f"  cffi: {on_cffi[0]}   [cffi module: {on_cffi[1]}]")
            print(f"  rffi: {on_rffi[0]}   [cffi module: {on_rffi[1]}]")

    expected = {False: ("cffi", "rffi.cffi"), True: ("_cffi_backend", "rffi._cffi_backend")}
    same = all(WARNINGS.sub("", c[0]) == WARNINGS.sub("", r[0])
               and (c[1], r[1]) == expected[bool(p.script)]
               for p, c, r in results)
    print("same results on cffi and rffi" if same else "results differ: see build/realpkgs/*.log")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
