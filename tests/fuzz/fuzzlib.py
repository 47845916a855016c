"""What a fuzz case may use besides the FFI itself: hostile Python objects and `exercise`.

A case (see cases.py) is a list of Python statements run in a namespace made by `namespace()`:
`ffi` (testlib.h declared) and `lib` (build/libtestlib.so) plus the names below. Reproducers
import this module too, so everything a case refers to is defined here, in plain Python.

`exercise(f, source)` walks what a cdef declared (types, fields, constants) and pokes at each
with sizes, reads and writes, catching ordinary exceptions: only a crash, a hang or a
PanicException can get out of it. Each poke is a line of code run by `poke`, which reports it
to `TRACE` first, so a crash inside `exercise` is attributed to one short statement.
"""

from __future__ import annotations

import importlib
import os
import re
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTLIB_PATH = os.path.join(REPO_ROOT, "build", "libtestlib.so")
TESTLIB_HEADER = os.path.join(REPO_ROOT, "tests", "c", "testlib.h")

# Called with each statement `poke` is about to run (the worker reports it to the driver).
TRACE = None


def load_backend(name: str | None = None):
    """The FFI class of the backend in $RFFI_FUZZ_BACKEND (rffi unless told; cffi to compare)."""
    name = name or os.environ.get("RFFI_FUZZ_BACKEND", "rffi")
    return importlib.import_module(name).FFI


# ---- hostile Python objects ----


class Evil:
    """Every conversion hook raises: a conversion must pass the exception on, not crash."""

    def __index__(self):
        raise ValueError("evil __index__")

    def __int__(self):
        raise ValueError("evil __int__")

    def __float__(self):
        raise ValueError("evil __float__")

    def __len__(self):
        raise ValueError("evil __len__")

    def __iter__(self):
        raise ValueError("evil __iter__")

    def __getitem__(self, key):
        raise ValueError("evil __getitem__")

    def __bytes__(self):
        raise ValueError("evil __bytes__")


class Idx:
    """An object whose __index__/__int__/__float__ give `value` (which may be huge or odd)."""

    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value

    def __int__(self):
        return self.value

    def __float__(self):
        return float(self.value) if isinstance(self.value, (int, float)) else self.value


class Liar:
    """A sequence whose __len__ disagrees with what iteration and indexing give."""

    def __init__(self, length, items):
        self.length = length
        self.items = list(items)

    def __len__(self):
        return self.length

    def __iter__(self):
        return iter(self.items)

    def __getitem__(self, i):
        return self.items[i]


class Rel:
    """Releases `cdata` (with ffi.release) while being converted to a number: writing it into
    that same cdata must not then write into freed memory."""

    def __init__(self, ffi, cdata, value=1):
        self.ffi = ffi
        self.cdata = cdata
        self.value = value

    def _release(self):
        try:
            self.ffi.release(self.cdata)
        except Exception:
            pass
        return self.value

    def __index__(self):
        return self._release()

    def __int__(self):
        return self._release()

    def __float__(self):
        return float(self._release())


class Grow:
    """A list-like initializer that appends to `target` (a list) while it is read."""

    def __init__(self, items, target):
        self.items = items
        self.target = target

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        for item in self.items:
            self.target.append(item)
            yield item

    def __getitem__(self, i):
        self.target.append(i)
        return self.items[i]


def deep_list(depth, leaf=1):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def deep_dict(depth, key="x", leaf=1):
    value = leaf
    for _ in range(depth):
        value = {key: value}
    return value


def raiser(*args):
    raise RuntimeError("raised by a fuzz callback")


def returns(value):
    return lambda *args: value


# ---- exercising whatever a cdef declared ----

SMALL_VALUES = ["0", "1", "-1", "2**31", "2**63", "-2**63-1", "2**64", "1.5", "None", "b'x'",
                "[1, 2]", "{'x': 1}"]
SMALL_INDEXES = ["0", "1", "-1", "2", "7", "100000", "2**31", "2**62", "2**63", "-2**63"]


def poke(code: str, ns: dict) -> None:
    """Run one statement, report it to TRACE first; ordinary exceptions are the expected
    outcome of hostile input and are swallowed."""
    if TRACE is not None:
        TRACE(code)
    try:
        exec(code, ns)
    except Exception:
        pass


class InvariantViolation(BaseException):
    """A layout that cannot be right (a field outside its struct, an allocation smaller than
    sizeof): no crash yet, but the next write through it overflows. Counted as a crash."""


def check_layout(f, cname: str) -> None:
    """Every non-bitfield member lies inside the struct, and ffi.new gives sizeof bytes."""
    try:
        size = f.sizeof(cname)
        fields = f.typeof(cname).fields or []
    except Exception:
        return
    for name, fld in fields:
        try:
            if fld.bitsize >= 0:
                continue
            offset, fsize = fld.offset, f.sizeof(fld.type)
        except Exception:
            continue
        if offset < 0 or offset + fsize > size:
            raise InvariantViolation(f"{cname}: member {name!r} at offset {offset} of size "
                                     f"{fsize} lies outside sizeof {size}")
    try:
        got = len(f.buffer(f.new(cname + " *")))
    except Exception:
        return
    if got < size:
        raise InvariantViolation(f"{cname}: ffi.new gave {got} bytes, sizeof is {size}")


def _kind(f, cname):
    try:
        return f.typeof(cname).kind
    except Exception:
        return None


def exercise(f, source: str = "", budget: int = 60) -> None:
    """Poke at every type and constant a cdef declared in FFI `f`: at most `budget` statements
    (a declaration of thousands of names would otherwise be slow, not hostile)."""
    ns = {"f": f}
    done = 0

    def run(code):
        nonlocal done
        if done < budget:
            done += 1
            poke(code, ns)

    try:
        typedefs, structs, unions = f.list_types()
    except Exception:
        typedefs, structs, unions = [], [], []
    names = [t for t in typedefs[:8]]
    names += ["struct " + s for s in structs[:8]] + ["union " + u for u in unions[:4]]
    for cname in names:
        c = repr(cname)
        run(f"f.sizeof({c}); f.alignof({c})")
        kind = _kind(f, cname)
        if kind in ("struct", "union"):
            try:
                fields = f.typeof(cname).fields or []
            except Exception:
                fields = []
            if TRACE is not None:
                TRACE(f"check_layout(f, {c})")
            check_layout(f, cname)
            run(f"p = f.new({c} + ' *')")
            run(f"a = f.new({c} + '[]', 3)")
            run("b = f.buffer(p); b[:] = b'\\xff' * len(b)")
            for fname, field in fields[:6]:
                fn = repr(fname)
                run(f"f.offsetof({c}, {fn})")
                run(f"getattr(p, {fn})")
                run(f"v = getattr(p, {fn}); len(v); v[{_pick(fname, SMALL_INDEXES)}]")
                run(f"setattr(p, {fn}, {_pick(fname, SMALL_VALUES)})")
                run(f"getattr(a[2], {fn})")
            run(f"q = f.new({c} + ' *', {_pick(cname, SMALL_VALUES)})")
        elif kind in ("primitive", "enum", "pointer"):
            run(f"p = f.new({c} + ' *', {_pick(cname, SMALL_VALUES)}); p[0]")
            run(f"f.cast({c}, {_pick(cname + 'c', SMALL_VALUES)})")
        elif kind == "array":
            run(f"p = f.new({c}); len(p); p[{_pick(cname, SMALL_INDEXES)}]")
            run(f"p = f.new({c} + ' *'); p[0]")
            run(f"p = f.new({c}); p[{_pick(cname + 'w', SMALL_INDEXES)}] = 1")
        else:
            run(f"f.typeof({c}); f.new({c} + ' *')")
    for ident in sorted(set(re.findall(r"\b[A-Za-z_]\w*\b", source)))[:12]:
        run(f"f.integer_const({ident!r})")


def _pick(key: str, options: list) -> str:
    """A choice that depends only on `key`, so exercise() is the same on every run."""
    h = 0
    for ch in key:
        h = (h * 131 + ord(ch)) & 0xFFFFFFFF
    return options[h % len(options)]


def namespace(FFI) -> dict:
    """The names a case runs with: a fresh dict per case over one shared `ffi` and `lib`."""
    global _BASE
    if _BASE is None or _BASE["FFI"] is not FFI:
        ffi = FFI()
        with open(TESTLIB_HEADER) as fh:
            ffi.cdef(fh.read())
        lib = ffi.dlopen(TESTLIB_PATH)
        _BASE = {"ffi": ffi, "lib": lib, "FFI": FFI, "sys": sys}
        for name in ("Evil", "Idx", "Liar", "Rel", "Grow", "deep_list", "deep_dict", "raiser",
                     "returns", "exercise", "poke", "check_layout", "InvariantViolation"):
            _BASE[name] = globals()[name]
    return dict(_BASE)


_BASE = None
