"""Typed stubs for a declared library: ``python -m rffi stubs DECLS.h`` and ``make_stubs``.

The stub is a module with one class whose methods are the declared functions (parameter
names from the declarations, Python types from the C types, the C declaration as the
docstring), whose attributes are the global variables, and whose ``Final[int]`` attributes
are the integer constants and enumerators. Annotating what ``ffi.dlopen`` returns with that
class gives IDE completion and lets mypy check every ``lib.f(...)`` call::

    from typing import TYPE_CHECKING, cast
    if TYPE_CHECKING:
        from beta_lib import Lib as BetaLib     # beta_lib.pyi, written by `python -m rffi stubs`
    lib = cast("BetaLib", ffi.dlopen("./libbeta.so"))
"""

from __future__ import annotations

import importlib
import keyword
import re
from typing import Any

from . import FFI

# How a value of each C kind comes into Python (a result, a global) and what a parameter
# accepts, as cffi converts them.
_WIDE_CHARS = {"wchar_t", "char16_t", "char32_t"}


def _result_type(ctype: Any) -> str:
    kind = ctype.kind
    if kind == "void":
        return "None"
    if kind == "primitive":
        name = ctype.cname
        if name in ("float", "double"):
            return "float"
        if name == "char":
            return "bytes"
        if name in _WIDE_CHARS:
            return "str"
        if name == "_Bool":
            return "bool"
        if "_Complex" in name:
            return "complex"
        if name == "long double":
            return "CData"  # cffi gives a 'long double' cdata, float() of which is a float
        return "int"
    if kind == "enum":
        return "int"
    return "CData"  # pointers, arrays, structs and unions, function pointers


def _param_type(ctype: Any) -> str:
    kind = ctype.kind
    if kind == "primitive":
        name = ctype.cname
        if name == "long double":
            return "float | CData"
        if name == "_Bool":
            return "int"  # True/False are ints too
        return _result_type(ctype)
    if kind == "enum":
        return "int"
    if kind in ("pointer", "array"):
        item = ctype.item
        if item.kind == "primitive" and item.cname == "char":
            return "bytes | CData | None"
        return "CData | None"  # None passes NULL, as in cffi
    if kind in ("struct", "union"):
        return "CData | dict[str, Any] | list[Any]"
    return "CData"


def _python_name(name: str, taken: set[str]) -> str:
    """A parameter name Python accepts, unique within its function."""
    if keyword.iskeyword(name) or name == "self":
        name += "_"
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def _blank(source: str) -> str:
    """`source` with comments and preprocessor lines blanked out, every offset kept."""
    out = []
    i, n = 0, len(source)
    line_start = True
    while i < n:
        c = source[i]
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("".join(ch if ch == "\n" else " " for ch in source[i:end]))
            i = end
            continue
        if source.startswith("//", i) or (line_start and c == "#"):
            end = source.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
            continue
        if c == "\n":
            line_start = True
        elif not c.isspace():
            line_start = False
        out.append(c)
        i += 1
    return "".join(out)


def _declaration_text(blank: str, line_starts: list[int], line: int, column: int) -> str:
    """The whole declaration around the name at (line, column), whitespace collapsed."""
    at = line_starts[line - 1] + column - 1
    start = max(blank.rfind(";", 0, at), blank.rfind("}", 0, at), blank.rfind("{", 0, at)) + 1
    depth, end = 0, at
    while end < len(blank):
        ch = blank[end]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == ";" and depth <= 0:
            break
        end += 1
    return " ".join(blank[start:end].split()) + ";"


def _docstring(text: str) -> str:
    return '"""' + text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '"""'


def make_stubs(csource: str, name: str = "Lib") -> str:
    """The text of a stub module (.pyi) for a library declared by `csource` (cdef text):
    a class `name` with a method per function, an attribute per global variable and a
    `Final[int]` per integer constant and enumerator. Raises ValueError for text that
    `ffi.cdef` would refuse."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"not a Python class name: {name!r}")
    # Through importlib: the compiled module has no stub of its own (rffi/__init__.pyi
    # describes what the package re-exports, and `_declarations` is private).
    declarations: Any = importlib.import_module("rffi._rffi")._declarations
    declared = declarations(csource)
    ffi = FFI()
    ffi.cdef(csource)
    blank = _blank(csource)
    line_starts = [0] + [m.end() for m in re.finditer("\n", blank)]
    seen: set[str] = set()
    body: list[str] = []
    for kind, cname, c_type, value, param_names, line, column in declared:
        if cname in seen:
            continue
        seen.add(cname)
        if keyword.iskeyword(cname):
            body.append(f"    # {cname!r} is a Python keyword: reach it with getattr(lib, {cname!r})")
            continue
        if kind == "constant":
            body.append(f"    {cname}: Final[int]  # {value}")
            continue
        ctype = ffi.typeof(c_type)
        text = _declaration_text(blank, line_starts, line, column)
        if kind == "variable":
            body.append(f"    {cname}: {_result_type(ctype)}")
            body.append(f"    {_docstring(text)}")
            continue
        taken: set[str] = set()
        params = []
        for i, arg in enumerate(ctype.args):
            pname = param_names[i] if param_names and i < len(param_names) else None
            pname = _python_name(pname or f"arg{i}", taken)
            params.append(f"{pname}: {_param_type(arg)}")
        params.append("/")
        if ctype.ellipsis:
            params.append(f"*{_python_name('args', taken)}: Any")
        signature = ", ".join(["self"] + params)
        body.append(f"    def {cname}({signature}) -> {_result_type(ctype.result)}:")
        body.append(f"        {_docstring(text)}")
    header = [
        "# Generated by rffi (python -m rffi stubs): the library ffi.dlopen returns for these",
        "# declarations. Regenerate rather than edit. Use it as",
        "#     if TYPE_CHECKING: from <this module> import " + name,
        f'#     lib = typing.cast("{name}", ffi.dlopen(...))',
        "from typing import Any, Final",
        "",
        "from rffi import CData",
        "",
        f"class {name}:",
    ]
    return "\n".join(header + (body or ["    pass"])) + "\n"
