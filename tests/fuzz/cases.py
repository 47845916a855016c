"""Hostile inputs for rffi's Python API, generated deterministically from (seed, index).

`make_case(seed, index)` returns a `Case`: a family name and a list of Python statements run
one after another in a namespace from fuzzlib.namespace() (ordinary exceptions from one
statement do not stop the next). The statements are the reproducer: they are short text that
rebuilds its hostile values (`"int x" + "[1]" * 50000`), not the values themselves.

Families:
  cdef_mutate  real declarations (tests/c/testlib.h, tests/gen_header.py's header,
               seeds/dialect.h) mutated: tokens inserted, deleted, duplicated, numbers replaced
               by hostile ones, NUL, non-UTF-8 (lone surrogates), truncation; then exercise()
  cdef_deep    deep nesting: pointers, arrays, function declarators, parentheses, nested
               structs, long expressions, long names and suffixes, in cdef and type strings
  cdef_numbers huge, negative and odd numbers in array lengths, bitfield widths, aligned(N),
               pack=N, enum values and #define expressions; then exercise()
  typestr      generated type strings for typeof/sizeof/alignof/new/cast/offsetof
  memory       ffi.new with hostile sizes; indexes, slices, unpack, buffer, string, memmove,
               from_buffer, release, addressof on owned memory and on NULL
  calls        testlib functions called with wrong types, huge ints, floats, None, nested
               lists/dicts, evil objects, callbacks that misbehave
  misc         cast, handles, gc, allocators, string decoding, globals, ctype attributes
  derived      indexes far outside pointers derived by arithmetic (p + 1)[i]: raw-pointer
               territory where cffi checks nothing; not in the default set
"""

from __future__ import annotations

import os
import random
import re
import sys
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # tests/, for gen_header

DEFAULT_FAMILIES = {
    "cdef_mutate": 22,
    "cdef_deep": 8,
    "cdef_numbers": 14,
    "typestr": 12,
    "memory": 20,
    "calls": 16,
    "misc": 8,
}
ALL_FAMILIES = dict(DEFAULT_FAMILIES, derived=6)


@dataclass
class Case:
    index: int
    family: str
    steps: list


# ---- value pools (as code text) ----

INTS = ["0", "1", "-1", "2", "3", "7", "8", "16", "31", "32", "33", "63", "64", "65", "127",
        "128", "255", "256", "1000", "4096", "65535", "65536", "100000", "2**31-1", "2**31",
        "-2**31", "-2**31-1", "2**32-1", "2**32", "2**53", "2**61", "2**62", "2**63-1",
        "2**63", "-2**63", "-2**63-1", "2**64-1", "2**64", "2**64+1", "2**100", "-2**100",
        "10**30", "sys.maxsize", "-sys.maxsize-1", "sys.maxsize//4", "2**60//3"]
SMALL_INTS = ["0", "1", "-1", "2", "3", "4", "5", "7", "8", "16", "100"]
FLOATS = ["0.0", "-0.0", "1.5", "-2.5", "1e308", "-1e308", "5e-324", "float('inf')",
          "float('-inf')", "float('nan')", "2.0**63", "2.0**64", "-2.0**63"]
OTHERS = ["None", "True", "False", "1j", "'a'", "''", "'ab'", "'\\x00'", "'\\udcff'",
          "'\\U0010ffff'", "'\\u20ac'", "b''", "b'a'", "b'\\x00'", "b'ab'", "b'\\xff' * 5",
          "bytearray(3)", "memoryview(b'abcd')", "[]", "[1]", "[1, 2, 3]", "[[1]]",
          "[None]", "(1, 2)", "{}", "{'x': 1}", "{'nope': 1}", "{'x': 1, 'y': 2, 'z': 3}",
          "object()", "ffi.NULL", "ffi.new('int *')", "ffi.new('int[4]')",
          "ffi.new('char[]', b'abc')", "ffi.new('struct point *')",
          "ffi.new('struct point *')[0]", "ffi.new('struct big *')[0]",
          "ffi.cast('int', 5)", "ffi.cast('double', 2.5)", "ffi.cast('void *', 0)",
          "ffi.cast('char', b'a')", "ffi.cast('enum color', 5)", "ffi.typeof('int')",
          "lib.add", "Evil()", "Idx(2**70)", "Idx(-1)", "Idx(3)", "Idx('x')",
          "Liar(10**9, [1, 2])", "Liar(-1, [])", "Liar(2, range(100))", "deep_list(50)",
          "deep_list(100000)", "deep_dict(50)", "deep_dict(100000)", "range(5)",
          "iter([1, 2])", "(x for x in range(3))", "ffi.new_handle(1)", "lib",
          "ffi.buffer(ffi.new('char[4]'))", "type", "str"]
VALUES = INTS + FLOATS + OTHERS

PRIMITIVES = ["char", "signed char", "unsigned char", "short", "unsigned short", "int",
              "unsigned int", "long", "unsigned long", "long long", "unsigned long long",
              "float", "double", "long double", "_Bool", "wchar_t", "char16_t", "char32_t",
              "int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t", "int64_t",
              "uint64_t", "size_t", "ssize_t", "intptr_t", "uintptr_t", "ptrdiff_t",
              "float _Complex", "double _Complex"]
TESTLIB_TYPES = ["struct point", "point_t", "struct mixed", "struct floats2", "struct big",
                 "struct with_array", "struct chars3", "union number", "struct rect",
                 "struct nested", "struct flags", "enum color", "counter_obj"]
BASE_TYPES = PRIMITIVES + TESTLIB_TYPES + ["void", "struct undeclared", "union undeclared",
                                           "enum undeclared", "undeclared_t"]

# C number spellings for array lengths, widths, alignments, enum values and #defines.
C_NUMBERS = ["0", "1", "-1", "2", "3", "7", "8", "16", "31", "32", "33", "63", "64", "65",
             "4096", "0x7fffffff", "0x80000000", "0xffffffff", "0x100000000", "2147483647",
             "2147483648", "-2147483648", "4294967296", "0x7fffffffffffffff",
             "0x8000000000000000", "0xffffffffffffffff", "0x10000000000000000",
             "9223372036854775807", "9223372036854775808", "-9223372036854775808",
             "18446744073709551615", "18446744073709551616", "99999999999999999999999999",
             "1152921504606846976", "2305843009213693952", "4611686018427387904",
             "0777", "09", "0x", "1u", "1U", "1ul", "1ULL", "1llu", "1uu", "1lll", "1.5",
             "1e10", "'a'", "'\\0'", "(1 << 62)", "(1 << 63)", "(1 << 64)", "(1 << -1)",
             "(1 >> 64)", "-(1 << 63)", "(~0)", "(~0u)", "(0 - 1)", "(1 / 0)", "(1 % 0)",
             "(-9223372036854775807 - 1) / -1", "(-9223372036854775807 - 1) % -1",
             "(0x7fffffffffffffff * 2)", "(0x7fffffffffffffff + 1)", "(-(-9223372036854775807 - 1))",
             "sizeof(int) * 0x4000000000000000", "sizeof(struct nope)", "sizeof(void)",
             "sizeof(int[0x7fffffffffffffff])", "(2 ? 3 : 4)", "UNKNOWN", "A", "A + 1",
             "-(-(-(-1)))", "!0", "1 && 0", "(char)300", "(unsigned char)-1"]


WIDE_ARGS = [repr("abc"), repr("\U0010ffff"), repr("\udcff")]
ODD_NAMES = [repr("RED"), "'x' * 100000", repr(""), repr("\x00"), repr("\udcff"),
             repr("add\x00junk"), repr("__dict__"), repr("__class__")]
ODD_PATHS = ["None", repr(""), repr("\x00"), repr("\udcff"), repr("/"), repr("/dev/zero"), "1",
             "b'c'", "'x' * 5000"]


def pick_value(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(INTS)
    if roll < 0.6:
        return rng.choice(FLOATS)
    return rng.choice(OTHERS)


def pick_int(rng: random.Random, small: float = 0.4) -> str:
    return rng.choice(SMALL_INTS) if rng.random() < small else rng.choice(INTS)


# ---- seed declarations ----

_SEEDS = None


def _strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def split_units(text: str) -> list:
    """Top-level declarations: `#define` lines, and text up to a `;` outside braces."""
    units, cur, depth = [], [], 0
    for line in _strip_comments(text).splitlines():
        if depth == 0 and line.strip().startswith("#"):
            units.append(line.strip())
            continue
        for ch in line:
            cur.append(ch)
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth = max(0, depth - 1)
            elif ch == ";" and depth == 0:
                unit = "".join(cur).strip()
                if unit:
                    units.append(unit)
                cur = []
        cur.append("\n")
    return units


def seeds() -> dict:
    """Seed declaration units per source name, read once."""
    global _SEEDS
    if _SEEDS is None:
        import gen_header  # tests/gen_header.py

        root = os.path.dirname(os.path.dirname(HERE))
        with open(os.path.join(root, "tests", "c", "testlib.h")) as fh:
            testlib = split_units(fh.read())
        with open(os.path.join(HERE, "seeds", "dialect.h")) as fh:
            dialect = split_units(fh.read())
        generated = split_units(gen_header.generate(1))
        _SEEDS = {"testlib": testlib, "dialect": dialect, "generated": generated}
    return _SEEDS


def seed_chunk(rng: random.Random) -> str:
    source = rng.choice(["testlib", "testlib", "dialect", "dialect", "generated"])
    units = seeds()[source]
    n = rng.choice([1, 1, 2, 3, 5, 10])
    start = rng.randrange(len(units))
    chunk = units[start:start + n]
    text = "\n".join(chunk)
    if source == "generated":
        # The generated header refers to earlier typedefs; those outside the chunk become int.
        defined = set(re.findall(r"\}\s*(rec\d+_t)\s*;", text))
        text = re.sub(r"\brec\d+_t\b", lambda m: m.group(0) if m.group(0) in defined else "int",
                      text)
        enums = set(re.findall(r"enum\s+(kind\d+)\s*\{", text))
        text = re.sub(r"\benum\s+(kind\d+)\b(?!\s*\{)",
                      lambda m: m.group(0) if m.group(1) in enums else "int", text)
    if source == "testlib" and rng.random() < 0.5:
        # Most testlib units need struct point & co.: declare the struct block first.
        text = "struct point { int x; int y; };\nstruct mixed { char c; double d; };\n" + text
    return text


# ---- mutations of C text ----

TOKENS = ["*", "**", "[", "]", "[]", "[0]", "[1]", "(", ")", "()", "(void)", "{", "}", ";",
          ",", "...", ":", ": 0", ": 65", "=", "= 1", "struct", "union", "enum", "typedef",
          "const", "volatile", "restrict", "unsigned", "signed", "long", "long long", "short",
          "int", "char", "void", "double", "_Bool", "float _Complex", "__attribute__((packed))",
          "__attribute__((aligned(8)))", "__attribute__((aligned))", "__attribute__((",
          "__declspec(align(8))", "__cdecl", "__stdcall", "static", "extern", "inline",
          "#define", "#define X", "\n#define Y (", "#pragma pack(1)", "#if 0", "#include <x>",
          "\n", " ", "x", "_", "a1", "int x", "\\", "'", "\"", "/*", "*/", "//", "#", "?",
          "@", "$", "\x00", "\udcff", "\ud800", "\ufeff", "\u00e9", "\U0001f600", "\x7f",
          "\t", "\r", "\x0c", "sizeof", "sizeof(", "_Alignas(8)", "_Static_assert(1, \"\")",
          "__int128", "struct point", "point_t", "enum color"]


def mutate_text(rng: random.Random, text: str) -> str:
    for _ in range(rng.choice([1, 1, 2, 3, 4])):
        op = rng.randrange(9)
        n = len(text)
        pos = rng.randint(0, n)
        if op == 0 and n:  # replace a number
            numbers = list(re.finditer(r"\b\d+\b", text))
            if numbers:
                m = rng.choice(numbers)
                text = text[:m.start()] + rng.choice(C_NUMBERS) + text[m.end():]
                continue
            op = 1
        if op in (1, 2):  # insert a token
            text = text[:pos] + rng.choice([" ", ""]) + rng.choice(TOKENS) + " " + text[pos:]
        elif op == 3 and n:  # delete a span
            end = min(n, pos + rng.choice([1, 1, 2, 5, 20]))
            text = text[:pos] + text[end:]
        elif op == 4 and n:  # duplicate a span
            end = min(n, pos + rng.choice([1, 3, 10, 40]))
            text = text[:pos] + text[pos:end] * rng.choice([2, 3, 50]) + text[pos:]
        elif op == 5:  # truncate
            text = text[:pos]
        elif op == 6:  # an identifier becomes deeply nested
            idents = list(re.finditer(r"\b([a-z_]\w*)\s*(?=[;,)\[])", text))
            if idents:
                m = rng.choice(idents)
                depth = rng.choice([2, 10, 100, 1000])
                wrap = rng.choice([("(*", ")"), ("(", ")"), ("", "[1]"), ("*", "")])
                text = (text[:m.start(1)] + wrap[0] * depth + m.group(1) + wrap[1] * depth
                        + text[m.end(1):])
        elif op == 7 and n:  # swap two characters
            a, b = rng.randrange(n), rng.randrange(n)
            chars = list(text)
            chars[a], chars[b] = chars[b], chars[a]
            text = "".join(chars)
        elif op == 8:  # an odd character
            text = text[:pos] + rng.choice(["\x00", "\udcff", "\ud800", "\x80", "\ufffd",
                                            "\u2028", "\x1b", "\U0010ffff"]) + text[pos:]
    return text


def cdef_call(rng: random.Random, source_expr: str) -> str:
    pack = rng.choice(["1", "2", "4", "8", "16", "0", "3", "-1", "2**63", "2**64", "None", "1.5", "'x'"])
    options = rng.choice(["", "", "", ", packed=True", f", pack={pack}", ", override=True"])
    return f"f = FFI()\nf.cdef({source_expr}{options})"


# ---- families ----


def fam_cdef_mutate(rng: random.Random) -> list:
    text = mutate_text(rng, seed_chunk(rng))
    source = repr(text)
    if rng.random() < 0.05:
        source = f"{source}.encode('utf-8', 'surrogateescape')"  # bytes, not str
    return [f"SRC = {source}", cdef_call(rng, "SRC"), "exercise(f, SRC)"]


DEEP = [2, 10, 100, 1000, 5000, 20000, 50000, 200000]


def fam_cdef_deep(rng: random.Random) -> list:
    n = rng.choice(DEEP)
    forms = [
        "'int ' + '*' * @N + 'x;'",
        "'int x' + '[1]' * @N + ';'",
        "'int ' + '(' * @N + 'x' + ')' * @N + ';'",
        "'int ' + '(*' * @N + 'f' + ')(int)' * @N + ';'",
        "'int f(' + 'int (*)(' * @N + 'int' + ')' * @N + ');'",
        "'typedef int t0;' + ''.join('typedef t%d t%d;' % (i, i + 1) for i in range(@M))",
        "''.join('struct s%d { ' % i for i in range(@N)) + 'int x;' + ' } m;' * @N",
        "'struct s { ' + 'union { struct { ' * @N + 'int x;' + ' }; };' * @N + ' };'",
        "'#define X ' + '(' * @N + '1' + ')' * @N",
        "'#define X ' + '-' * @N + '1'",
        "'#define X ' + '- ' * @N + '1'",
        "'#define X ' + '~' * @N + '1'",
        "'#define X ' + '!' * @N + '1'",
        "'#define X 1' + ' + 1' * @N",
        "'#define X 1' + ' << 1' * @N",
        "'#define X ' + '1 ? ' * @N + '1' + ' : 0' * @N",
        "'enum e { A = ' + '(' * @N + '1' + ')' * @N + ' };'",
        "'enum e { ' + ', '.join('A%d = A%d + 1' % (i + 1, i) if i else 'A0' for i in range(@M)) + ' };'",
        "'int x[' + '(' * @N + '1' + ')' * @N + '];'",
        "'int x[' + 'sizeof(' * @N + 'int' + ')' * @N + '];'",
        "'int ' + 'x' * @N + ';'",
        "'#define X 1' + 'u' * @N",
        "'#define X ' + '9' * @N",
        "'#define X 0x' + 'f' * @N",
        "'struct s { ' + ''.join('int f%d;' % i for i in range(@L)) + ' };'",
        "'int f(' + ', '.join(['int'] * @L) + ');'",
        "'const ' * @N + 'int x;'",
        "'unsigned ' * @N + 'int x;'",
        "'long ' * @N + 'x;'",
        "'int x' + '[]' * @N + ';'",
        "'/*' * @N + ' */ int x;'",
        "'int x;' * @N",
        "'int __attribute__((' + 'aligned(' * @N + '8' + ')' * @N + '))) x;'",
    ]
    form = rng.choice(forms).replace('@N', str(n)).replace('@M', str(min(n, 20000))).replace('@L', str(min(n, 50000)))
    if rng.random() < 0.7:
        return [f"SRC = {form}", cdef_call(rng, "SRC"), "exercise(f, SRC[:2000], budget=20)"]
    # The same shapes as type strings.
    tforms = [
        "'int ' + '*' * @N",
        "'int ' + '[1]' * @N",
        "'int ' + '(' * @N + ')' * @N",
        "'int ' + '(*' * @N + ')(int)' * @N",
        "'int(*)(' + 'int(*)(' * @N + 'int' + ')' * @N + ')'",
        "'int[' + '(' * @N + '1' + ')' * @N + ']'",
        "'int[' + '-' * @N + '1]'",
        "'const ' * @N + 'int'",
        "'struct ' + 'x' * @N",
        "'int ' + '*const ' * @N",
        "'int(' + '*' * @N + ')(' + 'int, ' * @L + 'int)'",
    ]
    op = rng.choice(["ffi.typeof(T)", "ffi.sizeof(T)", "ffi.new(T)", "ffi.new(T + '*')",
                     "ffi.cast(T, 0)", "ffi.alignof(T)", "ffi.callback(T)"])
    tform = rng.choice(tforms).replace('@N', str(n)).replace('@L', str(min(n, 50000)))
    return [f"T = {tform}", op]


# Lengths whose products and sums pass 2**64 (wrapping) in a struct of a few members.
WRAP_NUMBERS = ["0x1000000000000000", "1152921504606846976", "2305843009213693952",
                "4611686018427387904", "0x4000000000000000", "0x7fffffffffffffff",
                "0x2000000000000001", "0x100000000", "4294967296", "0xffffffff", "65536",
                "0x8000000000000000", "0x3fffffffffffffff"]


def _hostile_layout(rng: random.Random) -> str:
    if rng.random() < 0.25:
        W = lambda: rng.choice(WRAP_NUMBERS)  # noqa: E731
        T = lambda: rng.choice(["char", "short", "int", "long long", "double", "struct point"])  # noqa: E731
        members = " ".join(f"{T()} m{i}[{W()}];" for i in range(rng.randint(1, 4)))
        nested = rng.choice(["", f" {T()} grid[{W()}][{W()}];", f" struct {{ {T()} a[{W()}]; }} in[{W()}];"])
        return f"struct s {{ {members}{nested} char z; }};"

    N = lambda: rng.choice(C_NUMBERS)  # noqa: E731
    T = lambda: rng.choice(PRIMITIVES[:17] + ["struct point", "struct big", "void *", "char *"])  # noqa: E731
    forms = [
        lambda: f"struct s {{ char c; {T()} a[{N()}]; {T()} b[{N()}]; int z; }};",
        lambda: f"struct s {{ {T()} a[{N()}][{N()}]; char c; }};",
        lambda: f"struct s {{ int n; {T()} data[{N()}]; }}; typedef struct s s_t[{N()}];",
        lambda: f"typedef {T()} arr_t[{N()}]; struct s {{ arr_t a; arr_t b; }};",
        lambda: f"struct s {{ unsigned int a : {N()}; int b : {N()}; char c : {N()}; long long d : {N()}; }};",
        lambda: f"struct s {{ {T()} a : {N()}; }};",
        lambda: f"struct s {{ char c; {T()} x __attribute__((aligned({N()}))); }};",
        lambda: f"struct s {{ char c; }} __attribute__((aligned({N()})));",
        lambda: f"struct s {{ char c; {T()} x; }} __attribute__((packed, aligned({N()})));",
        lambda: f"union s {{ char c[{N()}]; {T()} x __attribute__((aligned({N()}))); }};",
        lambda: f"typedef {T()} t __attribute__((aligned({N()}))); struct s {{ char c; t x; t y[{N()}]; }};",
        lambda: f"enum s {{ A = {N()}, B, C = {N()}, D }};",
        lambda: f"enum s {{ A = {N()}, B = A * {N()}, C = B + {N()} }}; struct s2 {{ int a[C]; }};",
        lambda: f"#define A {N()}\n#define B (A * {N()})\nstruct s {{ char a[B]; }};",
        lambda: f"#define A {N()}\n#define B A\nenum s {{ X = B }};",
        lambda: f"struct s {{ int n; {T()} data[]; }};",
        lambda: f"struct s {{ int n; struct {{ {T()} a[{N()}]; }} in[{N()}]; }};",
        lambda: f"struct s {{ {T()} x; }}; struct s2 {{ struct s a[{N()}]; struct s b[{N()}]; }};",
        lambda: f"int f(int a[{N()}], {T()} b[{N()}][{N()}]);",
        lambda: f"extern {T()} g[{N()}];",
    ]
    return rng.choice(forms)()


def fam_cdef_numbers(rng: random.Random) -> list:
    text = _hostile_layout(rng)
    if rng.random() < 0.3:
        text += "\n" + _hostile_layout(rng).replace("struct s ", "struct s9 ").replace(
            "union s ", "union s9 ").replace("enum s ", "enum s9 ")
    steps = [f"SRC = {text!r}", cdef_call(rng, "SRC"), "exercise(f, SRC)"]
    if "data[]" in text:
        steps.append(f"p = f.new('struct s *', [{pick_int(rng)}, {rng.choice(['[1, 2]', pick_int(rng), 'None', '[]'])}])\n"
                     f"p.data[{pick_int(rng)}] = {pick_value(rng)}")
    if rng.random() < 0.3:
        steps.append(f"f.new('struct s[]', {pick_int(rng)})")
    return steps


def declarator(rng: random.Random, depth: int) -> str:
    """An abstract C declarator with `{}` where a name would go."""
    d = "{}"
    for _ in range(depth):
        roll = rng.random()
        if roll < 0.4:
            d = d.replace("{}", rng.choice(["(*{})", "*{}", "(* const {})", "(*volatile{})"]))
        elif roll < 0.7:
            d = d.replace("{}", "{}[" + rng.choice(C_NUMBERS[:30] + [""] * 5) + "]")
        elif roll < 0.9:
            args = ", ".join(rng.choice(BASE_TYPES + ["int *", "..."]) for _ in range(rng.randint(0, 3)))
            d = d.replace("{}", "{}(" + rng.choice([args, "void", "", "...", "int, ..."]) + ")")
        else:
            d = d.replace("{}", "({})")
    return d


def type_string(rng: random.Random) -> str:
    base = rng.choice(BASE_TYPES)
    if rng.random() < 0.2:
        base = rng.choice(["const ", "volatile ", "unsigned ", "signed ", "long ", "short "]) + base
    text = (base + " " + declarator(rng, rng.choice([0, 1, 1, 2, 3, 5]))).replace("{}", "")
    if rng.random() < 0.3:
        text = mutate_text(rng, text)
    return text


def fam_typestr(rng: random.Random) -> list:
    steps = []
    for _ in range(rng.randint(1, 4)):
        t = repr(type_string(rng))
        roll = rng.random()
        if roll < 0.05:
            t = rng.choice(["None", "1", "b'int'", "[]", "ffi.new('int *')", "ffi.typeof('int')",
                            "ffi.typeof('struct point')", "Evil()", "'int'.encode()"])
        op = rng.choice([
            f"ffi.typeof({t})", f"ffi.sizeof({t})", f"ffi.alignof({t})", f"ffi.new({t})",
            f"ffi.new({t}, {pick_value(rng)})", f"ffi.cast({t}, {pick_value(rng)})",
            f"ffi.offsetof({t}, {rng.choice(['x', 'y', 'values', 'nope', 0, 1, -1, 2**63])!r})",
            f"ffi.getctype({t}, {rng.choice(['None', repr('*'), repr('[5]'), repr('x'), repr('(*)(int)'), repr('&'), repr('* x'), repr('[' * 100)])})",
            f"ct = ffi.typeof({t}); [getattr(ct, a, None) for a in ('kind', 'cname', 'item', 'length', 'fields', 'args', 'result', 'ellipsis', 'abi', 'elements', 'relements')]",
            f"ffi.callback({t}, {rng.choice(['raiser', 'returns(1)', 'None', 'returns(None)'])})",
            f"ffi.new_allocator()({t}, {pick_value(rng)})",
        ])
        steps.append(op)
    return steps


OWNED = ["'int *'", "'int[]'", "'char[]'", "'char *'", "'unsigned char[]'", "'double[]'",
         "'long long[]'", "'struct point *'", "'struct point[]'", "'struct with_array *'",
         "'struct big[]'", "'union number *'", "'wchar_t[]'", "'char16_t[]'", "'char32_t[]'",
         "'_Bool[]'", "'struct flags *'", "'int[4]'", "'char[3]'", "'int *[]'",
         "'int[2][3]'", "'float _Complex[]'", "'enum color[]'", "'void *[]'", "'short[5]'"]


def owned_new(rng: random.Random, var: str = "p") -> str:
    t = rng.choice(OWNED)
    roll = rng.random()
    if roll < 0.3:
        init = ""
    elif roll < 0.6:
        init = ", " + pick_int(rng, small=0.7)
    elif roll < 0.75:
        init = ", " + rng.choice(["b'abc'", "b'ab\\x00c'", "'abc'", "'\\U0010ffff\\udcff'",
                                  "[1, 2, 3]", "list(range(8))", "[1.5, None]", "{'x': 1}",
                                  "[[1, 2], [3]]", "[{'x': 1}, {'y': 2}]"])
    else:
        init = ", " + pick_value(rng)
    return f"{var} = ffi.new({t}{init})"


def fam_memory(rng: random.Random) -> list:
    steps = [owned_new(rng)]
    if rng.random() < 0.3:
        steps.append(owned_new(rng, "q"))
    else:
        steps.append("q = ffi.new('char[16]')")
    for _ in range(rng.randint(1, 6)):
        i, j = pick_int(rng), pick_int(rng)
        ops = [
            f"p[{i}]", f"p[{i}] = {pick_value(rng)}", f"p[{i}:{j}]", f"p[{i}:{j}] = {pick_value(rng)}",
            f"p[{i}:{j}] = [0] * ({j} - {i})" if rng.random() < 0.5 else f"p[{i}:] ",
            f"p[:{j}]", "len(p)", "list(p)", f"p[Idx({i})]", "p[Evil()]",
            f"ffi.unpack(p, {i})", f"ffi.buffer(p, {i})", f"ffi.buffer(p)[{i}]",
            f"ffi.buffer(p)[{i}:{j}]", f"ffi.buffer(p)[{i}:{j}] = b'x' * ({j} - {i}) if 0 <= {j} - {i} < 10**6 else b'x'",
            f"ffi.buffer(p, {i})[:]", f"bytes(ffi.buffer(p, {i}))", f"ffi.buffer(p, {i})[{j}] = b'x'",
            f"memoryview(ffi.buffer(p))[{i}]", "ffi.string(p)", f"ffi.string(p, {i})",
            f"ffi.memmove(p, q, {i})", f"ffi.memmove(q, p, {i})", f"ffi.memmove(p, b'abcdef', {i})",
            f"ffi.memmove(bytearray(4), p, {i})", f"ffi.memmove(p, p, {i})",
            f"ffi.memmove(p, {pick_value(rng)}, {i})", f"ffi.memmove({pick_value(rng)}, p, {i})",
            f"ffi.addressof(p, {i})", f"ffi.addressof(p[0], {rng.choice(['x', 'values', 'nope'])!r}, {i})",
            f"ffi.addressof(p, {rng.choice(['x', 'values', 'a', 'd'])!r})",
            "p.x", f"p.values[{i}]", f"p.values[{i}] = 1", f"p.a = {pick_value(rng)}", "p.d",
            f"p[0].x = {pick_value(rng)}", f"p[0] = {pick_value(rng)}",
            f"ffi.release(p); p[{i}]", "ffi.release(p); ffi.release(p)", "ffi.release(p); len(p)",
            "ffi.release(p); ffi.buffer(p)", f"ffi.release(p); ffi.unpack(p, {i})",
            f"b = ffi.buffer(p); ffi.release(p); b[{i}]", "b = ffi.buffer(p); ffi.release(p); b[:]",
            f"m = memoryview(ffi.buffer(p)); ffi.release(p); m[{i}]",
            f"with p: p[{i}]", f"with p: pass\np[{i}]",
            f"p[{i}] = Rel(ffi, p)", "p[0:2] = [Rel(ffi, p), Rel(ffi, p)]",
            "p[0] = {'x': Rel(ffi, p)}", f"ffi.memmove(p, Rel(ffi, p), {i})",
            "ffi.buffer(p)[:] = Rel(ffi, p)", "ffi.unpack(p, Rel(ffi, p))",
            f"ffi.unpack(p, Idx({i}))", f"ffi.string(p, Idx({i}))", f"ffi.buffer(p, Idx({i}))",
            f"ffi.buffer(ffi.NULL, {i})", "ffi.string(ffi.NULL)", f"ffi.unpack(ffi.NULL, {i})",
            f"ffi.unpack(ffi.cast('int *', 0), {i})", f"ffi.string(ffi.cast('char *', 0), {i})",
            f"ffi.buffer(ffi.cast('char *', 0), {i})", f"ffi.cast('int *', 0)[{i}]",
            "ffi.cast('struct point *', 0).x", "ffi.cast('struct point *', 0).x = 1",
            f"ffi.memmove(ffi.NULL, b'abc', {i})", f"ffi.memmove(p, ffi.NULL, {i})",
            f"ffi.NULL[{i}]", f"ffi.cast('int *', 0)[{i}] = 1", "ffi.cast('int(*)(int)', 0)(1)",
            f"ffi.new('char[]', {i})", f"ffi.new('int[]', {i})", f"ffi.new('struct big[]', {i})",
            f"ffi.new('int[{j}]', {i})", f"ffi.new('char[]', Idx({i}))",
            f"ba = bytearray({pick_int(rng, 0.8)}); c = ffi.from_buffer(ba); c[{i}]",
            f"ba = bytearray({pick_int(rng, 0.8)}); c = ffi.from_buffer('int[]', ba); c[{i}] = 5",
            f"c = ffi.from_buffer({rng.choice(['b' + repr('abc'), 'bytearray(7)', 'memoryview(bytearray(8))[::2]', 'memoryview(b' + repr('abcdefgh') + ').cast(' + repr('i') + ')', repr('str'), '1', 'None', 'p', 'ffi.buffer(p)'])}); c[{i}]",
            f"c = ffi.from_buffer('char[]', bytearray(4), require_writable=True); ffi.release(c); c[{i}]",
            f"ba = bytearray(8); c = ffi.from_buffer(ba); ba.extend(b'x' * {pick_int(rng, 0.9)})",
            f"ba = bytearray(8); c = ffi.from_buffer(ba); ffi.release(c); ba.extend(b'x' * 100000); c[{i}]",
            f"c = ffi.from_buffer('struct point[]', bytearray({pick_int(rng, 0.8)})); c[{i}].x",
            f"x = p + {i}", f"x = p - {i}", "p - q", "p < q", f"p == {pick_value(rng)}",
            "int(ffi.cast('intptr_t', p))", "ffi.typeof(p)", "repr(p)", "hash(p)", "bool(p)",
            "iter(p)", "[x for x in p][:3]", f"p[0:2][{i}]", f"p[1:][{i}]",
            f"ffi.gc(p, {rng.choice(['raiser', 'None', 'ffi.release', 'lambda x: ffi.release(p)', 'returns(1)', '1'])})",
            "del p; import gc; gc.collect(); p = q",
        ]
        steps.append(rng.choice(ops))
    return steps


def fam_derived(rng: random.Random) -> list:
    i = pick_int(rng)
    return [owned_new(rng), f"x = p + {pick_int(rng, 0.9)}",
            rng.choice([f"x[{i}]", f"x[{i}] = 1", f"ffi.unpack(x, {i})", f"ffi.buffer(x, {i})[:]",
                        "ffi.string(x)", f"ffi.memmove(x, b'abc', {i})", f"x[0:{i}]"])]


# Functions whose C side cannot go wrong for any value rffi accepts, with their argument
# kinds: 's' scalar/struct by value, 'cb' a callback, 'p<type>' a pointer the C side reads
# `n` items through (given a matching owned array, or junk rffi must refuse).
SAFE_FUNCS = {
    "noargs": "", "nop": "s s s", "add": "s s", "not_bool": "s", "next_color": "s",
    "color_name": "s", "char_is_signed": "", "is_null": "s", "point_sum": "s",
    "point_add": "s s", "make_point": "s s", "make_mixed": "s s", "mixed_sum": "s",
    "make_floats2": "s s", "floats2_dot": "s s", "make_big": "s s s s", "big_sum": "s",
    "big_scale": "s s", "make_with_array": "s", "with_array_sum": "s", "make_chars3": "s s s",
    "chars3_sum": "s", "number_from_int": "s", "number_from_double": "s", "number_as_int": "s",
    "number_as_double": "s", "make_rect": "s s", "rect_area": "s", "make_nested": "s s s s s",
    "nested_sum": "s", "many_ints": "s s s s s s s s", "many_doubles": "s s s s s s s s s s",
    "many_mixed": "s s s s s s s s s s s s s s", "set_errno": "s", "checked_div": "s s",
    "bump_counter": "", "gains_sum": "", "origin_sum": "",
}
for _name in ["char", "schar", "uchar", "short", "ushort", "int", "uint", "long", "ulong",
              "longlong", "ulonglong", "float", "double", "longdouble", "bool", "wchar",
              "char16", "char32", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64",
              "uint64", "size", "ssize", "intptr", "uintptr", "ptrdiff", "fcomplex", "dcomplex"]:
    SAFE_FUNCS["id_" + _name] = "s"
for _name in ["schar", "uchar", "short", "ushort", "uint", "long", "ulong", "longlong",
              "ulonglong", "float", "double", "longdouble", "int8", "uint8", "int16", "uint16",
              "int32", "uint32", "int64", "uint64", "size", "ssize", "fcomplex", "dcomplex"]:
    SAFE_FUNCS["add_" + _name] = "s s"
SAFE_FUNCS["mul_fcomplex"] = SAFE_FUNCS["mul_dcomplex"] = "s s"

CALLBACK_SIGS = {
    "apply": ("int(int)", "cb s"), "apply_double": ("double(double)", "cb s"),
    "apply_n": ("int(int)", "cb n"), "apply_point": ("struct point(struct point)", "cb s"),
    "apply_many": ("double(int, double, char, float, long long)", "cb s"),
    "apply_big": ("struct big(struct big, struct mixed)", "cb s s"),
    "apply_mixed": ("struct mixed(struct floats2, struct mixed)", "cb s s"),
    "apply_longdouble": ("long double(long double)", "cb s"),
    "apply_dcomplex": ("double _Complex(double _Complex)", "cb s"),
    "call_with_userdata": ("void(void *, int)", "cb s s"),
}
CB_BODIES = ["raiser", "returns(None)", "returns(2**70)", "returns(1.5)", "returns('x')",
             "returns({'x': 1})", "returns([1, 2])", "returns(ffi.NULL)", "returns(Evil())",
             "returns(Idx(2**64))", "returns(ffi.new('int *'))", "lambda *a: a[0]",
             "lambda *a: ffi.from_handle(a[0])", "lambda *a: ffi.release(a[0])",
             "lambda *a: sys.setrecursionlimit(100)", "lambda: 1", "lambda a, b, c, d, e, f: 1",
             "lambda *a: lib.apply(cb, 1)", "returns(float('nan'))", "returns(ffi.new('struct point *')[0])"]


def fam_calls(rng: random.Random) -> list:
    roll = rng.random()
    steps = []
    if roll < 0.45:
        name = rng.choice(sorted(SAFE_FUNCS))
        nargs = len(SAFE_FUNCS[name].split())
        nargs += rng.choice([0, 0, 0, 0, -1, 1])
        args = ", ".join(pick_value(rng) for _ in range(max(0, nargs)))
        steps.append(f"lib.{name}({args})")
    elif roll < 0.7:
        name = rng.choice(sorted(CALLBACK_SIGS))
        sig, kinds = CALLBACK_SIGS[name]
        if rng.random() < 0.2:
            sig = type_string(rng)
        kw = rng.choice(["", "", f", error={pick_value(rng)}", f", onerror={rng.choice(['raiser', 'returns(1)', 'None', '1', 'lambda *a: 1/0'])}"])
        steps.append(f"cb = ffi.callback({sig!r}, {rng.choice(CB_BODIES)}{kw})")
        args = []
        for k in kinds.split():
            if k == "cb":
                # Not NULL: the C side calls it (in C as with cffi, a crash rffi cannot see).
                other = pick_value(rng)
                while other in ("ffi.NULL", "ffi.cast('void *', 0)"):
                    other = pick_value(rng)
                args.append(rng.choice(["cb", "cb", "cb", other]))
            elif k == "n":
                args.append(rng.choice(SMALL_INTS))
            else:
                args.append(pick_value(rng))
        if name == "call_with_userdata" and rng.random() < 0.5:
            args[1] = rng.choice(["ffi.new_handle(object())", "ffi.cast('void *', 12345)", "ffi.NULL",
                                  "ffi.new('int *')", "h", "ffi.cast('void *', id(object()))"])
            steps.insert(0, "hh = ffi.new_handle([1]); h = ffi.cast('void *', int(ffi.cast('intptr_t', hh))); del hh")
        steps.append(f"lib.{name}({', '.join(args)})")
    elif roll < 0.9:
        # Pointer parameters: the right kind of owned array with a matching count, or junk
        # rffi must refuse (with None/NULL excluded where the C side would dereference it).
        size = rng.choice(SMALL_INTS[1:])
        junk = pick_value(rng)
        while junk in ("None", "ffi.NULL", "ffi.cast('void *', 0)"):
            junk = pick_value(rng)
        good = {
            "int": [f"ffi.new('int[]', {size})", f"list(range({size}))", f"[{pick_value(rng)}] * {size}",
                    f"tuple(range({size}))"],
            "double": [f"ffi.new('double[]', {size})", f"[1.5] * {size}", f"[{pick_value(rng)}] * {size}"],
            "uchar": [f"ffi.new('unsigned char[]', {size})", f"b'x' * {size}", f"bytearray({size})",
                      f"ffi.from_buffer(bytearray({size}))"],
        }
        n = rng.choice(["0", str(size), str(max(0, int(size) - 1))])
        arg = lambda kind: rng.choice(good[kind] + [junk])  # noqa: E731
        steps.append(rng.choice([
            f"lib.sum_ints({arg('int')}, {n})",
            f"lib.sum_doubles({arg('double')}, {n})",
            f"lib.fill_doubles({arg('double')}, {n}, {pick_value(rng)}, {pick_value(rng)})",
            f"lib.sum_bytes({arg('uchar')}, {n})",
            f"lib.fold_ints({arg('int')}, {n}, ffi.callback('int(int, int)', {rng.choice(CB_BODIES)}), {pick_value(rng)})",
            f"lib.sort_ints({arg('int')}, {n}, ffi.callback('int(void *, void *)', {rng.choice(CB_BODIES)}))",
            f"lib.my_strlen({rng.choice(['b' + repr('abc'), repr('abc'), 'b' + repr('a' * 1000), 'bytearray(b' + repr('ab') + ')', junk])})",
            f"lib.count_char({rng.choice(['b' + repr('abca'), junk])}, {pick_value(rng)})",
            f"lib.wide_len({rng.choice(WIDE_ARGS + [junk])})",
            f"lib.to_upper({rng.choice(['ffi.new(' + repr('char[]') + ', b' + repr('abc') + ')', 'b' + repr('abc'), junk])})",
            f"s = lib.join_words({rng.choice(['b' + repr('a'), junk])}, {rng.choice(['b' + repr('b'), junk])}); lib.free_string(s)",
            f"lib.swap_ints({rng.choice(['ffi.new(' + repr('int *') + ')', '[1]', junk])}, {rng.choice(['ffi.new(' + repr('int *') + ')', '[2]', junk])})",
            f"lib.point_translate({rng.choice(['ffi.new(' + repr('point_t *') + ')', junk])}, {pick_value(rng)}, {pick_value(rng)})",
            f"lib.rect_area_ptr({rng.choice(['ffi.new(' + repr('struct rect *') + ')', junk])})",
            f"lib.flags_pack({rng.choice(['ffi.new(' + repr('struct flags *') + ')', junk])})",
            f"lib.flags_set({rng.choice(['ffi.new(' + repr('struct flags *') + ')', junk])}, {pick_value(rng)}, {pick_value(rng)}, {pick_value(rng)}, {pick_value(rng)})",
            f"c = lib.counter_new({pick_value(rng)}); lib.counter_next(c); lib.counter_free(c)",
            f"lib.sum_var({rng.choice(['0', '1', '2'])}, {', '.join(pick_value(rng) for _ in range(rng.randint(0, 2)))})",
            f"lib.sum_var(2, ffi.cast('int', 1), ffi.cast('int', {pick_value(rng)}))",
            f"lib.sum_var_d(1, {rng.choice(['ffi.cast(' + repr('double') + ', 1)', pick_value(rng)])})",
            f"lib.sum_var_mixed(b'', {pick_value(rng)})",
            f"lib.format_into(ffi.new('char[32]'), 32, b'%d', ffi.cast('int', {pick_value(rng)}))",
            f"lib.format_into(ffi.new('char[4]'), {rng.choice(['4', '0'])}, b'hello %d', {pick_value(rng)})",
        ]))
    else:
        # Globals: scalars, arrays and structs only (a pointer global that points at freed
        # memory is the caller's bug in C's terms).
        i = pick_int(rng)
        steps.append(rng.choice([
            f"lib.counter = {pick_value(rng)}", f"lib.gains = {pick_value(rng)}",
            f"lib.gains[{i}]", f"lib.gains[{i}] = {pick_value(rng)}",
            f"lib.origin_point = {pick_value(rng)}", f"lib.origin_point.x = {pick_value(rng)}",
            f"ffi.addressof(lib, 'gains')[{i}]", f"ffi.addressof(lib, {rng.choice(['counter', 'gains', 'nope', 'add', 'answer', ''])!r})",
            "lib.answer", f"ffi.string(lib.greeting_ptr, {i})", f"lib.gains[{i}:{pick_int(rng)}]",
            f"ffi.unpack(lib.gains, {i})", f"ffi.buffer(ffi.addressof(lib, 'gains'), {i})[:]",
            f"getattr(lib, {rng.choice(ODD_NAMES)})",
            f"setattr(lib, {rng.choice(['add', 'answer', 'nope', 'RED', 'counter'])!r}, {pick_value(rng)})",
            "dir(lib)", "lib.add = 1", "del lib.counter",
        ]))
    return steps


def fam_misc(rng: random.Random) -> list:
    i = pick_int(rng)
    t = rng.choice(PRIMITIVES + ["enum color", "int *", "char *", "void *", "int(*)(int)",
                                 "struct point", "int[2]"])
    ops = [
        f"ffi.cast({t!r}, {pick_value(rng)})",
        f"int(ffi.cast({t!r}, {pick_value(rng)}))", f"float(ffi.cast({t!r}, {pick_value(rng)}))",
        f"repr(ffi.cast({t!r}, {pick_value(rng)}))",
        f"ffi.string(ffi.cast({t!r}, {pick_value(rng)}))",
        f"ffi.string(ffi.new({rng.choice(['wchar_t[]', 'char16_t[]', 'char32_t[]', 'char[]'])!r}, [{i}, {pick_int(rng)}, 0]))",
        f"ffi.unpack(ffi.new({rng.choice(['wchar_t[]', 'char16_t[]', 'char32_t[]'])!r}, [{i}, {pick_int(rng)}]), 2)",
        f"p = ffi.new('char32_t[2]'); ffi.cast('unsigned int *', p)[0] = {i}; p[0]; ffi.string(p)",
        f"p = ffi.new('_Bool[2]'); ffi.cast('unsigned char *', p)[0] = {i}; p[0]; bool(p[0])",
        f"p = ffi.new('enum color *'); ffi.cast('int *', p)[0] = {i}; p[0]; ffi.string(p[0])",
        f"ffi.string(ffi.cast('enum color', {pick_value(rng)}))",
        f"p = ffi.new('struct flags *'); ffi.cast('unsigned int *', p)[0] = {i}; (p.a, p.b, p.c, p.d)",
        f"p = ffi.new('struct flags *'); p.c = {pick_value(rng)}; p.d = {pick_value(rng)}",
        f"ffi.from_handle({rng.choice(['ffi.NULL', 'ffi.cast(' + repr('void *') + ', ' + i + ')', 'ffi.new(' + repr('int *') + ')', 'ffi.new_handle(1) + 1', 'ffi.cast(' + repr('char *') + ', ffi.new_handle(1)) + 1', pick_value(rng)])})",
        f"h = ffi.new_handle({pick_value(rng)}); ffi.from_handle(h)",
        f"h = ffi.new_handle(1); ffi.from_handle(ffi.cast('void *', int(ffi.cast('intptr_t', h)) + {i}))",
        "h = ffi.new_handle(1); g = ffi.cast('void *', h); del h; import gc; gc.collect(); ffi.from_handle(g)",
        f"ffi.gc(ffi.new('int *'), {rng.choice(['raiser', 'None', 'ffi.release', 'returns(1)', '1', 'Evil()'])}, {rng.choice(['0', '-1', '2**63', '2**64', 'None', '1.5'])})",
        "p = ffi.gc(ffi.new('int *'), raiser); ffi.release(p); ffi.release(p)",
        "p = ffi.gc(ffi.cast('void *', 0), ffi.release); del p",
        f"a = ffi.new_allocator({rng.choice(['returns(None)', 'returns(ffi.NULL)', 'returns(1)', 'returns(' + repr('x') + ')', 'raiser', 'lambda n: ffi.new(' + repr('char[]') + ', n)', 'None'])}, {rng.choice(['None', 'raiser', 'returns(1)', 'ffi.release'])}, {rng.choice(['True', 'False', '1', 'None'])}); p = a({rng.choice(OWNED)}, {pick_int(rng, 0.8)}); p[0]; del p",
        f"ffi.sizeof({pick_value(rng)})", f"ffi.alignof({pick_value(rng)})",
        f"ffi.typeof({pick_value(rng)})", f"ffi.getctype(ffi.typeof('int'), {pick_value(rng)})",
        f"ffi.integer_const({rng.choice(ODD_NAMES + ['None', '1'])})",
        f"ffi.errno = {pick_value(rng)}", "ffi.errno",
        f"ffi.dlopen({rng.choice(ODD_PATHS)})",
        f"ffi.dlclose({rng.choice(['ffi.dlopen(None)', '1', 'None', 'ffi'])})" if rng.random() < 0.1 else
        f"lib2 = ffi.dlopen({repr(os.path.join('build', 'libtestlib.so'))}); f_ = lib2.add; ffi.dlclose(lib2); f_(1, 2); lib2.add",
        f"ffi.init_once({rng.choice(['raiser', 'returns(1)', 'None'])}, {pick_value(rng)})",
        f"ffi.include({rng.choice(['ffi', 'FFI()', 'None', '1'])})",
        "ffi.list_types()", f"ffi.typeof(ffi.new('struct point *')).item.fields[{i}]",
        f"ffi.typeof('int(*)(int, ...)').args[{i}]",
        f"x = ffi.cast('struct point *', ffi.new('char[]', {pick_int(rng, 0.9)}))",
        f"ffi.new('struct point *', {pick_value(rng)})", f"ffi.new('struct nested *', {{'p': {pick_value(rng)}, 'm': {pick_value(rng)}}})",
        f"ffi.new('struct with_array *', [{pick_value(rng)}, {pick_value(rng)}])",
        f"ffi.new('union number *', {pick_value(rng)})", f"ffi.new('struct rect[]', [{pick_value(rng)}, {pick_value(rng)}])",
        f"ffi.new('int[2][2]', {pick_value(rng)})", f"ffi.new('char *[]', [{pick_value(rng)}, b'x'])",
    ]
    return [rng.choice(ops) for _ in range(rng.randint(1, 3))]


FAMILIES = {
    "cdef_mutate": fam_cdef_mutate, "cdef_deep": fam_cdef_deep,
    "cdef_numbers": fam_cdef_numbers, "typestr": fam_typestr, "memory": fam_memory,
    "calls": fam_calls, "misc": fam_misc, "derived": fam_derived,
}


def make_case(seed: int, index: int, families: dict | None = None) -> Case:
    """Case `index` of the corpus of `seed`: the same on every run and machine."""
    families = families or DEFAULT_FAMILIES
    rng = random.Random(f"rffi-fuzz:{seed}:{index}")
    names = sorted(families)
    family = rng.choices(names, weights=[families[n] for n in names])[0]
    return Case(index, family, FAMILIES[family](rng))
