"""The 2D heat equation with each time step done in C (evolve.c), in cffi's ABI mode.

A hot disc in a cold square spreads out. The script writes the field before and after as PNGs,
checks the C result against the same steps done with numpy, and prints a summary.

Usage: heat_equation.py [output_dir]   (default: $RFFI_EXAMPLES_OUTDIR or build/examples)
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
ffi.cdef((HERE / "evolve.h").read_text())
lib = ffi.dlopen(str(LIBDIR / "libevolve.so"))

# Diffusion constant, grid spacing, and the largest stable time step
a = 0.5
dx = dy = 0.01
dx2, dy2 = dx * dx, dy * dy
dt = dx2 * dy2 / (2 * a * (dx2 + dy2))
nx = ny = 200
timesteps = 500


def initial_field():
    """A disc at 65 degrees in a field at 5 degrees; the boundary stays at 5."""
    x, y = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    field = np.full((nx, ny), 5.0)
    field[(x - nx / 2) ** 2 + (y - ny / 2) ** 2 < (nx / 6) ** 2] = 65.0
    return field


def evolve_numpy(u, u_previous):
    """The same step as evolve.c, vectorized: the reference for the C result."""
    u[1:-1, 1:-1] = u_previous[1:-1, 1:-1] + a * dt * (
        (u_previous[2:, 1:-1] - 2 * u_previous[1:-1, 1:-1] + u_previous[:-2, 1:-1]) / dx2
        + (u_previous[1:-1, 2:] - 2 * u_previous[1:-1, 1:-1] + u_previous[1:-1, :-2]) / dy2
    )


def iterate(step, field):
    u, u_previous = field.copy(), field.copy()
    for _ in range(timesteps):
        step(u, u_previous)
        u, u_previous = u_previous, u
    return u_previous  # the field after the last step


def evolve_c(u, u_previous):
    lib.evolve(
        ffi.cast("double *", ffi.from_buffer(u)),
        ffi.cast("double *", ffi.from_buffer(u_previous)),
        nx, ny, a, dt, dx2, dy2,
    )


def write_png(field, path, title):
    fig, ax = plt.subplots(figsize=(5, 4))
    image = ax.imshow(field, cmap=plt.get_cmap("hot"), vmin=0, vmax=70)
    fig.colorbar(image, ax=ax, label="temperature")
    ax.set_title(title)
    fig.savefig(path)
    plt.close(fig)


start = initial_field()
t0 = time.time()
final = iterate(evolve_c, start)
t1 = time.time()
reference = iterate(evolve_numpy, start)

OUTDIR.mkdir(parents=True, exist_ok=True)
before, after = OUTDIR / "heat_initial.png", OUTDIR / "heat_final.png"
write_png(start, before, "initial")
write_png(final, after, f"after {timesteps} steps")

print(f"grid {nx}x{ny}, {timesteps} steps, dt = {dt:.3e}")
print(f"initial: mean {start.mean():.6f} max {start.max():.6f}")
print(f"final: mean {final.mean():.6f} max {final.max():.6f}")
print("matches numpy:", bool(np.allclose(final, reference, rtol=1e-12, atol=1e-12)))
print("wrote", before)
print("wrote", after)
print(f"time in C: {t1 - t0:.3f} s")
