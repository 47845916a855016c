"""Runs each script of docs/examples in a subprocess, on cffi and on rffi, and checks what it
prints. The scripts pick the backend from RFFI_EXAMPLES_BACKEND."""

from __future__ import annotations

import functools
import os
import subprocess
import sys

import numpy as np
import pytest


@pytest.fixture
def run_example(repo_root):
    return functools.partial(_run_example, repo_root)


def _run_example(repo_root, backend_name: str, script: str, *args: str, **env: str) -> list[str]:
    """Runs docs/examples/<script> with this interpreter; returns its stdout lines."""
    environment = dict(os.environ)
    environment.update(
        RFFI_EXAMPLES_BACKEND=backend_name,
        RFFI_EXAMPLES_LIBDIR=str(repo_root / "build" / "examples"),
        **env,
    )
    done = subprocess.run(
        [sys.executable, str(repo_root / "docs" / "examples" / script), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout.splitlines()


def test_sqrtf(run_example, backend_name):
    assert run_example(backend_name, "sqrtf.py") == ["2.0"]


def test_abi_add(run_example, backend_name):
    lines = run_example(backend_name, "abi_add.py")
    a = np.arange(0, 200000, 0.1)
    expected = a + np.ones_like(a)
    assert f"n = {len(a)}" in lines
    assert f"sum = {expected.sum()}" in lines
    assert "matches numpy a + b: True" in lines


def test_fibonacci(run_example, backend_name):
    assert run_example(backend_name, "fibonacci.py") == [
        str(n) for n in (0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55)
    ]
    assert run_example(backend_name, "fibonacci.py", "3") == ["0", "1", "1", "2"]


def test_heat_equation(run_example, backend_name, tmp_path):
    lines = run_example(backend_name, "heat_equation.py", str(tmp_path))
    assert "matches numpy: True" in lines
    assert "grid 200x200, 500 steps, dt = 5.000e-05" in lines
    assert "initial: mean 10.257500 max 65.000000" in lines
    final = next(line for line in lines if line.startswith("final:"))
    final_max = float(final.split()[-1])
    assert 10 < final_max < 65  # heat spread out of the disc
    for name in ("heat_initial.png", "heat_final.png"):
        png = tmp_path / name
        assert f"wrote {png}" in lines
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_heat_equation_output_dir_from_environment(run_example, tmp_path):
    run_example("cffi", "heat_equation.py", RFFI_EXAMPLES_OUTDIR=str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["heat_final.png", "heat_initial.png"]


def test_qsort(run_example, backend_name):
    assert run_example(backend_name, "qsort.py") == [
        "before: [42, -7, 19, 0, 3, 3, 100, -50, 8]",
        "after:  [-50, -7, 0, 3, 3, 8, 19, 42, 100]",
        "comparator called more than once",
    ]


@pytest.mark.parametrize("workers, steps", [(4, 1000), (16, 200)])
def test_threads(run_example, backend_name, workers, steps):
    lines = run_example(backend_name, "threads.py", str(workers), str(steps))
    assert lines[:3] == [
        f"{workers} C threads called back {workers * steps} times",
        f"distinct threads seen: {workers}",
        "main thread among them: False",
    ]
    triangle = steps * (steps - 1) // 2
    assert lines[3:] == [
        f"worker {w}: {steps} reports, last value {w + (w + 1) * triangle:.3f}"
        for w in range(workers)
    ]


def test_beta_ufunc(run_example, backend_name, tmp_path):
    lines = run_example(backend_name, "beta_ufunc.py", str(tmp_path))
    expected_path = "ffi.ufunc" if backend_name == "rffi" else "np.vectorize (cffi has no ffi.ufunc)"
    assert lines[0] == f"beta_logpdf: {expected_path}"
    assert "grid 100x100 x 48 samples: 480000 calls" in lines
    assert "maximum likelihood at a = 3.38, b = 8.64" in lines
    assert "matches the scalar calls: True" in lines
    png = tmp_path / "beta_loglik.png"
    assert f"wrote {png}" in lines
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
