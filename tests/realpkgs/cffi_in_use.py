"""A pytest plugin for the real-package runs: says which cffi module served the test session.

Loaded with `-p cffi_in_use`; run.py reads the line to be sure that a run meant for rffi did
not silently use the real cffi, or the reverse.
"""

import sys


def pytest_terminal_summary(terminalreporter):  # type: ignore[no-untyped-def]
    module = sys.modules.get("cffi")
    name = getattr(module, "__name__", None)
    terminalreporter.write_line(f"cffi module in use: {name}")
