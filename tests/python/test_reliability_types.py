"""Types at the limits: sizes past the address space, absurd alignments, deep declarators,
overflowing constants and empty records. Each of these once wrapped, panicked or crashed; every
snippet runs in its own subprocess so that a regression fails the test instead of killing pytest.

Where cffi gives an answer (it computes sizes with Python integers and refuses arrays past
``Py_ssize_t``), the same snippet also runs under cffi and the outcomes are compared. Where cffi
itself wraps or does not parse the input, rffi's refusal is asserted directly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

_RUNNER = textwrap.dedent(
    """
    import importlib, json, sys
    FFI = importlib.import_module(sys.argv[1]).FFI
    ns = {"FFI": FFI, "ffi": FFI()}
    try:
        exec(sys.stdin.read(), ns)
        out = {"ok": True, "result": repr(ns.get("result"))}
    except BaseException as e:
        m = str(e)
        m = m if len(m) < 3000 else m[:1000] + " ... " + m[-1000:]
        out = {"ok": False, "type": type(e).__name__, "message": m}
    print(json.dumps(out))
    """
)


def run_isolated(code: str, backend: str = "rffi") -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, backend],
        input=code,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "RUST_BACKTRACE": "0"},
    )
    assert proc.returncode == 0, (
        f"the interpreter died (exit status {proc.returncode}) running:\n{code[:500]}\n"
        f"{proc.stderr[-2000:]}"
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def outcome(out: dict) -> tuple:
    return ("ok", out["result"]) if out["ok"] else ("raised", out["type"])


# -- 1. sizes past the address space ---------------------------------------------------------

# Snippets on which cffi and rffi agree: the value, or the exception type.
SAME_AS_CFFI = [
    # 2^61 + 4 bytes is a valid size: too big to allocate, but no longer wrapped to 4 bytes.
    ("big-member-size", "ffi.cdef('struct s { char a[2305843009213693952]; int t; };')\n"
     "result = ffi.sizeof('struct s'), ffi.offsetof('struct s', 't')"),
    ("big-member-new", "ffi.cdef('struct s { char a[2305843009213693952]; int t; };')\n"
     "ffi.new('struct s *')"),
    ("big-member-bitfield", "ffi.cdef('struct s { char a[9223372036854775800]; int b:3; };')\n"
     "result = ffi.sizeof('struct s')"),
    # cffi declares lazily: it raises when the type is first used, rffi in cdef.
    ("member-past-2^64", "ffi.cdef('struct s { char pad[18446744073709551612]; int t; };')\n"
     "ffi.sizeof('struct s')"),
    ("int-array-past-max", "ffi.cdef('struct s { int a[2305843009213693952]; };')\n"
     "ffi.sizeof('struct s')"),
    ("typeof-int-array", "ffi.typeof('int[2305843009213693952]')"),
    ("typeof-char-2^63", "ffi.typeof('char[9223372036854775808]')"),
    ("typeof-char-max", "result = ffi.sizeof('char[9223372036854775807]')"),
    ("new-char-2^62", "ffi.new('char[4611686018427387904]')"),
    ("new-int-open-array", "ffi.new('int[]', 2**62)"),
    ("array-of-big-struct", "ffi.cdef('struct s { char a[4611686018427387904]; };')\n"
     "ffi.sizeof('struct s[2]')"),
    ("member-array-of-big-struct",
     "ffi.cdef('struct s { char a[4611686018427387904]; }; struct t { struct s x[2]; };')\n"
     "ffi.sizeof('struct t')"),
    ("typedef-of-big-array",
     "ffi.cdef('typedef char big[4611686018427387904]; typedef big two[2];')\n"
     "ffi.sizeof('two')"),
    ("pointer-to-too-big-array", "ffi.cdef('typedef int (*p)[2305843009213693952];')\n"
     "ffi.sizeof('p')"),
]


@pytest.mark.parametrize("name,code", SAME_AS_CFFI, ids=[c[0] for c in SAME_AS_CFFI])
def test_sizes_at_the_limit_match_cffi(name, code):
    assert outcome(run_isolated(code)) == outcome(run_isolated(code, "cffi"))


# cffi wraps these (two 2^62 members give sizeof 2^62); rffi refuses them, naming the member.
TOO_LARGE_RECORDS = [
    ("struct s { char a[4611686018427387904]; char b[4611686018427387904]; };", "'b'"),
    ("struct s { char a[9223372036854775806]; char b; char c; };", "'c'"),
    ("struct s { char a[9223372036854775807]; int b; };", "'b'"),
    ("union s { char a[9223372036854775807]; int b; };", "too large"),
    ("struct s { char a[9223372036854775807]; int b : 3; };", "'b'"),
    ("struct s { int t; char pad[18446744073709551612]; };", "'pad'"),
    ("struct s { int t; int a[2305843009213693952]; };", "'a'"),
]


@pytest.mark.parametrize("source,named", TOO_LARGE_RECORDS)
def test_records_larger_than_the_address_space_are_refused(source, named):
    out = run_isolated(f"ffi.cdef({source!r})")
    assert not out["ok"] and out["type"] == "OverflowError", out
    assert named in out["message"], out


def test_refused_record_cannot_be_allocated_or_written():
    # The original report: sizeof 4, then p.a[64] wrote past the 4 bytes allocated.
    code = (
        "try:\n"
        "    ffi.cdef('struct s { char a[2305843009213693952]; int t; };')\n"
        "    p = ffi.new('struct s *')\n"
        "except MemoryError:\n"
        "    result = 'refused'\n"
    )
    assert run_isolated(code) == {"ok": True, "result": "'refused'"}


# -- 2. alignments: GCC's rules (cffi does not parse attributes) -------------------------------

@pytest.mark.parametrize(
    "align,expected",
    [
        ("2305843009213693952", "exceeds maximum 268435456"),
        ("9223372036854775808", "exceeds maximum 268435456"),
        ("536870912", "exceeds maximum 268435456"),
        ("3", "not a positive power of 2"),
        ("-4", "not a positive power of 2"),
    ],
)
def test_absurd_alignments_are_refused_like_gcc(align, expected):
    for where in ("struct s { int x __attribute__((aligned(%s))); };",
                  "struct __attribute__((aligned(%s))) s { int x; };"):
        out = run_isolated(f"ffi.cdef({where % align!r})")
        assert not out["ok"] and out["type"] == "CDefError", out
        assert expected in out["message"], out


def test_alignment_zero_is_ignored_and_the_largest_accepted():
    code = (
        "ffi.cdef('struct z { int x __attribute__((aligned(0))); };'\n"
        "         'struct m { char c __attribute__((aligned(268435456))); };')\n"
        "result = ffi.sizeof('struct z'), ffi.alignof('struct z'), ffi.alignof('struct m')"
    )
    assert run_isolated(code) == {"ok": True, "result": repr((4, 4, 268435456))}


# -- 3. deep declarators ----------------------------------------------------------------------

DEEP = [
    "ffi.cdef('int a' + '[1]' * 50000 + ';')",
    "ffi.typeof('int' + '[1]' * 50000)",
    "ffi.typeof('int' + '*' * 50000)",
    "ffi.cdef('int f' + '()' * 50000 + ';')",
    "ffi.cdef('int (' * 30 + 'x' + ')[1]' * 30 + '[1]' * 50000 + ';')",
    # Chains of typedefs build deep types one shallow declaration at a time.
    "ffi.cdef('typedef int t0;' + ''.join(f'typedef t{i} t{i+1}[1];' for i in range(5000)))",
    "ffi.cdef('typedef int t0;' + ''.join(f'typedef t{i} *t{i+1};' for i in range(5000)))",
    "ffi.cdef('typedef int t0;' + ''.join(f'typedef t{i} (*t{i+1})(t{i});' for i in range(5000)))",
    # Structs holding the previous struct: walking their members recursed once per struct.
    "ffi.cdef('struct s0 { int a0; };' + ''.join(f'struct s{i+1} {{ struct s{i}; int a{i+1}; }};'"
    " for i in range(2000)))",
    "ffi.cdef('struct s0 { int a0; };' + ''.join(f'struct s{i+1} {{ struct s{i} m[1]; }};'"
    " for i in range(2000)))",
]


@pytest.mark.parametrize("code", DEEP, ids=range(len(DEEP)))
def test_deep_declarators_are_refused(code):
    out = run_isolated(code)
    assert not out["ok"] and out["type"] == "CDefError", out
    message = out["message"]
    assert "too long" in message or "levels deep" in message, message[-300:]


def test_moderately_deep_types_still_work():
    code = (
        "t = ffi.typeof('int' + '[1]' * 200)\n"
        "ffi.cdef('typedef int t0;' + ''.join(f'typedef t{i} *t{i+1};' for i in range(200)))\n"
        "result = ffi.sizeof(t), ffi.sizeof('t200'), ffi.typeof('t3').cname"
    )
    assert run_isolated(code) == {"ok": True, "result": repr((4, 8, "int * * *"))}


def test_records_nested_200_deep_still_work():
    code = (
        "ffi.cdef('struct s0 { int a0; };' + ''.join(\n"
        "    f'struct s{i+1} {{ struct s{i}; struct {{ int b{i+1}; }} m{i+1}; }};' for i in range(200)))\n"
        "p = ffi.new('struct s200 *', {'a0': 7, 'm200': {'b200': 9}})\n"
        "cb = ffi.callback('int(struct s200)', lambda s: s.a0 + s.m200.b200)\n"
        "result = cb(p[0]), len(ffi.typeof('struct s200').fields), ffi.offsetof('struct s200', 'm1')"
    )
    assert run_isolated(code) == {"ok": True, "result": repr((16, 201, 4))}


def test_long_one_line_sources_are_declared():
    # Tens of thousands of declarations on one line (once quadratic in the column count).
    code = (
        "ffi.cdef('enum e {' + ','.join(f'E{i}' for i in range(20000)) + '};')\n"
        "ffi.cdef(''.join(f'typedef int t{i}; ' for i in range(20000)))\n"
        "lib = ffi.dlopen(None)\n"
        "result = lib.E19999, ffi.sizeof('t19999')"
    )
    assert run_isolated(code) == {"ok": True, "result": repr((19999, 4))}


# -- 4. constants that overflow long long -----------------------------------------------------

OVERFLOWING_CONSTANTS = [
    "#define X ((-9223372036854775807-1)/-1)",
    "#define X (-(-9223372036854775807-1))",
    "#define X (9223372036854775807 * 2)",
    "#define X (9223372036854775807 + 1)",
    "#define X ((-9223372036854775807-1) - 1)",
    "#define X (1 << 63)",
    "#define X (1 << 64)",
    "#define X (0xffffffffffffffff + 1)",
    "#define X (0xffffffffffffffffU * 2)",
    "enum e { A = (-9223372036854775807-1)/-1 };",
    "struct s { int a[(-9223372036854775807-1)/-1]; };",
]


@pytest.mark.parametrize("source", OVERFLOWING_CONSTANTS)
def test_constant_overflow_is_an_error(source):
    out = run_isolated(f"ffi.cdef({source!r})")
    assert not out["ok"] and out["type"] == "CDefError", out
    assert "overflow" in out["message"] or "shift count" in out["message"], out


def test_constants_in_range_still_evaluate():
    code = (
        "ffi.cdef('#define A (-9223372036854775807-1)\\n'\n"
        "         '#define B (1ULL << 63)\\n'\n"
        "         '#define C ((-9223372036854775807-1) % -1)\\n'\n"
        "         '#define D (0xffffffffffffffff)')\n"
        "lib = ffi.dlopen(None)\n"
        "result = lib.A, lib.B, lib.C, lib.D"
    )
    assert run_isolated(code) == {"ok": True, "result": repr((-2**63, 2**63, 0, 2**64 - 1))}


@pytest.mark.parametrize(
    "source",
    [
        "enum e { A = 0xffffffffffffffff, B };",
        "enum e { A = -1, B = 0x8000000000000000 };",
    ],
)
def test_enums_fitting_no_long_are_refused_as_cffi_does(source):
    for backend in ("rffi", "cffi"):
        out = run_isolated(f"ffi.cdef({source!r})\nffi.sizeof('enum e')", backend)
        assert not out["ok"] and out["type"] == "CDefError", (backend, out)
        assert "don't all fit" in out["message"], (backend, out)


# -- 5. empty records: cffi gives them size 1 -------------------------------------------------

EMPTY_RECORDS = [
    ("struct s { int a[0]; };", "struct s"),
    ("struct s { char a[0]; };", "struct s"),
    ("struct s { double a[0][3]; };", "struct s"),
    ("union s { int a[0]; };", "union s"),
    ("struct s { };", "struct s"),
    ("union s { };", "union s"),
    ("struct s { int a[]; };", "struct s"),
    ("struct s { int :0; };", "struct s"),
    ("struct s { int x; double a[0]; };", "struct s"),
    ("struct s { int x; int a[]; };", "struct s"),
]


@pytest.mark.parametrize("source,name", EMPTY_RECORDS)
def test_empty_records_are_sized_as_cffi_does(source, name):
    code = f"ffi.cdef({source!r})\nresult = ffi.sizeof({name!r}), ffi.alignof({name!r})"
    assert run_isolated(code) == run_isolated(code, "cffi")


def test_empty_records_nested_are_laid_out_as_cffi_does():
    code = (
        "ffi.cdef('struct e { int a[0]; }; struct s { struct e x; struct e y; int z; };'\n"
        "         'struct t { struct e a[3]; char c; };')\n"
        "result = (ffi.sizeof('struct s'), ffi.offsetof('struct s', 'y'),\n"
        "          ffi.offsetof('struct s', 'z'), ffi.sizeof('struct t'),\n"
        "          ffi.offsetof('struct t', 'c'))"
    )
    assert run_isolated(code) == run_isolated(code, "cffi")
