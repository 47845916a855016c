#!/usr/bin/env python3
"""Generate a large, deterministic, cdef-compatible C header.

The header is the input of the cdef benchmark (python/benchmarks/bench_cdef.py):
about 8,000 lines in the subset that both cffi and rffi accept.

    400 typedef'd structs of 2-12 fields (primitives, pointers, arrays,
        function pointers, earlier structs by value)
    100 enums (negative, hex and implicit values)
    4,000 function declarations with 0-6 parameters
    300 `#define NAME <integer>` lines, decimal and hex

The same seed always gives the same text.
"""

import argparse
import random
import sys

PRIMITIVES = [
    "char", "signed char", "unsigned char", "short", "unsigned short", "int",
    "unsigned int", "long", "unsigned long", "long long", "unsigned long long",
    "float", "double", "_Bool", "int8_t", "uint8_t", "int16_t", "uint16_t",
    "int32_t", "uint32_t", "int64_t", "uint64_t", "size_t", "intptr_t",
    "uintptr_t", "ptrdiff_t",
]

N_STRUCTS = 400
N_ENUMS = 100
N_FUNCTIONS = 4000
N_DEFINES = 300


class Header:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.lines = []
        self.structs = []  # typedef names, in declaration order
        self.enums = []

    def field_type(self, name):
        """One struct field declaration (without the `;`)."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.40:
            return f"{rng.choice(PRIMITIVES)} {name}"
        if roll < 0.55:
            target = rng.choice(PRIMITIVES + ["void"] + self.structs[-50:])
            return f"{target} *{name}"
        if roll < 0.65:
            return f"{rng.choice(PRIMITIVES)} {name}[{rng.randint(1, 16)}]"
        if roll < 0.70:
            return f"int (*{name})({rng.choice(PRIMITIVES)}, void *)"
        if roll < 0.75 and self.enums:
            return f"enum {rng.choice(self.enums)} {name}"
        if self.structs:
            earlier = rng.choice(self.structs)
            if roll < 0.90:
                return f"{earlier} {name}"
            return f"{earlier} {name}[{rng.randint(1, 4)}]"
        return f"double {name}"

    def struct(self, i):
        name = f"rec{i}_t"
        self.lines.append(f"typedef struct rec{i} {{")
        for f in range(self.rng.randint(2, 12)):
            self.lines.append(f"    {self.field_type(f'f{f}')};")
        self.lines.append(f"}} {name};")
        self.structs.append(name)

    def enum(self, i):
        rng = self.rng
        name = f"kind{i}"
        self.lines.append(f"enum {name} {{")
        count = rng.randint(2, 8)
        value = rng.randint(-1000, 1000)
        for v in range(count):
            if v > 0 and rng.random() < 0.5:
                item = f"K{i}_{v}"
            else:
                value = rng.randint(-100000, 100000)
                item = f"K{i}_{v} = {value if value < 0 or rng.random() < 0.5 else hex(value)}"
            sep = "," if v + 1 < count else ""
            self.lines.append(f"    {item}{sep}")
        self.lines.append("};")
        self.enums.append(name)

    def param_type(self):
        rng = self.rng
        roll = rng.random()
        if roll < 0.35:
            return rng.choice(PRIMITIVES)
        if roll < 0.55:
            return rng.choice(self.structs) + " *"
        if roll < 0.65:
            return "const char *"
        if roll < 0.75:
            return f"struct rec{rng.randrange(N_STRUCTS)} *"
        if roll < 0.85:
            return f"enum {rng.choice(self.enums)}"
        if roll < 0.92:
            return rng.choice(self.structs)
        return "void *"

    def function(self, i):
        rng = self.rng
        ret = "void" if rng.random() < 0.3 else self.param_type()
        n = rng.randint(0, 6)
        params = [f"{self.param_type()} a{p}" for p in range(n)] or ["void"]
        sep = "" if ret.endswith("*") else " "
        self.lines.append(f"{ret}{sep}fn{i}({', '.join(params)});")

    def define(self, i):
        value = self.rng.randint(0, 2**31 - 1)
        text = hex(value) if self.rng.random() < 0.5 else str(value)
        self.lines.append(f"#define CONST_{i} {text}")

    def build(self):
        for i in range(N_DEFINES):
            self.define(i)
        # Enums first, then structs interleaved with the rest of the enums.
        for i in range(N_ENUMS // 2):
            self.enum(i)
        for i in range(N_STRUCTS):
            self.struct(i)
            if i % 8 == 0 and len(self.enums) < N_ENUMS:
                self.enum(len(self.enums))
        while len(self.enums) < N_ENUMS:
            self.enum(len(self.enums))
        for i in range(N_FUNCTIONS):
            self.function(i)
        return "\n".join(self.lines) + "\n"


def generate(seed=1):
    return Header(seed).build()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="-", help="output path, or - for stdout")
    args = parser.parse_args(argv)
    text = generate(args.seed)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
