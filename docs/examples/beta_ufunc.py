"""A scalar C function over numpy arrays: beta_logpdf (beta.c) as a numpy ufunc.

rffi's `ffi.ufunc(lib.beta_logpdf)` makes a real numpy ufunc whose inner loop calls C once per
element, so broadcasting does the course's "apply a C function over a grid" with no loop in
Python. cffi has no such thing; on cffi (RFFI_EXAMPLES_BACKEND=cffi) the script falls back to
`np.vectorize(lib.beta_logpdf)`, which calls C from Python once per element.

It fits a Beta(a, b) distribution to a small sample by evaluating the log-likelihood over a
grid of (a, b), writes the grid as a PNG with the best point marked, checks the values against
the scalar calls, and prints how long a million evaluations take.

Usage: beta_ufunc.py [output_dir]   (default: $RFFI_EXAMPLES_OUTDIR or build/examples)
"""

import os
import pathlib
import sys
import time

import matplotlib

matplotlib.use("Agg")  # no display needed: we only write files
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

if os.environ.get("RFFI_EXAMPLES_BACKEND") == "cffi":
    from cffi import FFI
else:
    from rffi import FFI

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
LIBDIR = pathlib.Path(os.environ.get("RFFI_EXAMPLES_LIBDIR", REPO_ROOT / "build" / "examples"))
if len(sys.argv) > 1:
    OUTDIR = pathlib.Path(sys.argv[1])
else:
    OUTDIR = pathlib.Path(os.environ.get("RFFI_EXAMPLES_OUTDIR", REPO_ROOT / "build" / "examples"))

ffi = FFI()
ffi.cdef("double beta_logpdf(double a, double b, double x);")
lib = ffi.dlopen(str(LIBDIR / "libbeta.so"))

if hasattr(ffi, "ufunc"):  # rffi
    beta_logpdf = ffi.ufunc(lib.beta_logpdf)
    print("beta_logpdf: ffi.ufunc")
else:  # cffi: the same call shape, one Python-level call per element
    beta_logpdf = np.vectorize(lib.beta_logpdf, otypes=[np.float64])
    print("beta_logpdf: np.vectorize (cffi has no ffi.ufunc)")

# A sample from Beta(2.5, 6), fixed so the output is the same on every run.
rng = np.random.default_rng(2026)
sample = rng.beta(2.5, 6.0, size=48)

# The grid: a along the rows, b along the columns, the sample along a third axis.
a = np.linspace(0.5, 8.0, 100)
b = np.linspace(0.5, 16.0, 100)
loglik = beta_logpdf(a[:, None, None], b[None, :, None], sample[None, None, :]).sum(axis=2)
best_a, best_b = np.unravel_index(np.argmax(loglik), loglik.shape)
print(f"grid {len(a)}x{len(b)} x {len(sample)} samples: {loglik.size * len(sample)} calls")
print(f"maximum likelihood at a = {a[best_a]:.2f}, b = {b[best_b]:.2f}")

# The same values, one scalar call at a time (on a corner of the grid).
corner = [[sum(lib.beta_logpdf(float(ai), float(bi), float(x)) for x in sample) for bi in b[:8]]
          for ai in a[:8]]
print("matches the scalar calls:", bool(np.allclose(loglik[:8, :8], corner, rtol=1e-12)))

# A million evaluations, as in the seed article's table.
x = (np.arange(1_000_000) % 999 + 1) / 1000.0
start = time.perf_counter()
values = beta_logpdf(1.0, 2.0, x)
elapsed = time.perf_counter() - start
print(f"1,000,000 evaluations: {elapsed:.3f} s")
assert np.isfinite(values).all()

OUTDIR.mkdir(parents=True, exist_ok=True)
png = OUTDIR / "beta_loglik.png"
fig, ax = plt.subplots(figsize=(6, 5))
image = ax.imshow(np.maximum(loglik, loglik.max() - 40).T, origin="lower", aspect="auto",
                  extent=(a[0], a[-1], b[0], b[-1]), cmap="viridis")
ax.plot(a[best_a], b[best_b], "r+", markersize=14, mew=2, label="maximum")
ax.plot(2.5, 6.0, "wx", markersize=10, mew=2, label="true (2.5, 6)")
ax.set_xlabel("a")
ax.set_ylabel("b")
ax.set_title("log-likelihood of 48 samples under Beta(a, b)")
ax.legend(loc="upper left")
fig.colorbar(image, ax=ax)
fig.savefig(png, dpi=80)
print(f"wrote {png}")
