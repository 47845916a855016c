"""``python -m rffi``: command-line tools.

    python -m rffi stubs DECLS.h [-o lib.pyi] [--name Lib]

writes a typed stub module for the library those declarations describe (see rffi._stubs).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from ._stubs import make_stubs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rffi")
    commands = parser.add_subparsers(dest="command", required=True)
    stubs = commands.add_parser(
        "stubs", help="write a typed stub (.pyi) for the library declared in a header"
    )
    stubs.add_argument("decls", type=pathlib.Path, help="C declarations, as given to ffi.cdef")
    stubs.add_argument("-o", "--output", type=pathlib.Path, help="the .pyi to write (default: stdout)")
    stubs.add_argument("--name", default="Lib", help="the class name (default: Lib)")
    args = parser.parse_args(argv)
    try:
        text = make_stubs(args.decls.read_text(), name=args.name)
    except (OSError, ValueError) as e:
        print(f"python -m rffi stubs: {e}", file=sys.stderr)
        return 1
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
