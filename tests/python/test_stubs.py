"""The type stubs (python/rffi/__init__.pyi) describe the compiled module exactly.

mypy's stubtest imports rffi and compares every name, signature and default of the stub with
what the extension exports, so a method added to rffi._rffi without a stub (or the reverse)
fails here. Names the stub leaves out on purpose are in stubtest_allowlist.txt.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent


def test_stubs_match_the_extension_module() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy.stubtest",
            "rffi",
            "--allowlist",
            str(HERE / "stubtest_allowlist.txt"),
        ],
        capture_output=True,
        text=True,
        cwd=HERE,
    )
    assert result.returncode == 0, result.stdout + result.stderr
