"""``python -m rffi.cffi``: run a program that imports cffi on rffi, without editing it.

    python -m rffi.cffi script.py [args...]
    python -m rffi.cffi -m module [args...]
    python -m rffi.cffi -c "code" [args...]

It calls ``rffi.install_as_cffi()`` and then runs the program as ``python script.py``,
``python -m module`` or ``python -c`` would: with ``__name__ == "__main__"``, ``sys.argv``
as the program expects (``sys.argv[0]`` the script, the module's file or ``-c``) and
``sys.path[0]`` the script's directory (the current directory for ``-m`` and ``-c``).
"""

from __future__ import annotations

import os
import runpy
import sys

import rffi

USAGE = """\
usage: python -m rffi.cffi script.py [args...]
       python -m rffi.cffi -m module [args...]
       python -m rffi.cffi -c code [args...]

Runs a Python program with rffi.install_as_cffi() in effect: `import cffi` and
`import _cffi_backend` give rffi's ABI-mode modules instead of the real cffi.
"""


def _usage_error(message: str) -> int:
    sys.stderr.write(f"{message}\n{USAGE}")
    return 2


def main(args: list[str]) -> int:
    if not args:
        return _usage_error("python -m rffi.cffi: no program given")
    if args[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if args[0] in ("-m", "-c") and len(args) < 2:
        return _usage_error(f"python -m rffi.cffi: argument expected for the {args[0]} option")
    if args[0].startswith("-") and args[0] not in ("-m", "-c"):
        return _usage_error(f"python -m rffi.cffi: unknown option {args[0]}")

    rffi.install_as_cffi()
    if args[0] == "-m":
        # run_module puts the module's file in sys.argv[0], as `python -m` does.
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    elif args[0] == "-c":
        sys.argv = ["-c", *args[2:]]
        main_globals = {"__name__": "__main__", "__builtins__": __builtins__}
        exec(compile(args[1], "<string>", "exec"), main_globals)
    else:
        sys.argv = list(args)
        sys.path[0] = os.path.dirname(os.path.abspath(args[0]))
        runpy.run_path(args[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
