"""Checks that the modules of crates/rffi-python/src import only downward.

The folders are layers, lowest first (see the crate's lib.rs): a module may use modules of its
own folder or of a folder below it, never above; and no two modules may use each other, even
through others. `make lint` runs this; it prints each offending import or cycle and fails.
"""

from __future__ import annotations

import pathlib
import re
import sys

LAYERS = ["base", "model", "memory", "cdata", "convert", "calls", "classes", "glue"]
SRC = pathlib.Path(__file__).resolve().parents[1] / "crates" / "rffi-python" / "src"


def module_of(path: pathlib.Path) -> str | None:
    rel = path.relative_to(SRC).with_suffix("")
    parts = rel.parts
    if len(parts) != 2 or parts[1] == "mod":
        return None
    return "::".join(parts)


def imports(text: str) -> set[str]:
    found = {f"{a}::{b}" for a, b in re.findall(r"crate::([a-z_]+)::([a-z_]+)", text)}
    for group in re.findall(r"use crate::\{([^}]*)\}", text):
        for item in group.split(","):
            parts = item.strip().split("::")
            if len(parts) >= 2:
                found.add(f"{parts[0]}::{parts[1]}")
    return found


def main() -> int:
    graph: dict[str, set[str]] = {}
    problems: list[str] = []
    for path in sorted(SRC.rglob("*.rs")):
        mod = module_of(path)
        if mod is None:
            continue
        folder = mod.split("::")[0]
        if folder not in LAYERS:
            problems.append(f"{path.relative_to(SRC)}: folder {folder!r} is not a known layer")
            continue
        deps = {d for d in imports(path.read_text()) if d != mod}
        graph[mod] = deps
        for dep in sorted(deps):
            target = dep.split("::")[0]
            if target in LAYERS and LAYERS.index(target) > LAYERS.index(folder):
                problems.append(f"{path.relative_to(SRC)}: {folder} imports {dep}, a layer above it")
    # Cycles between modules (Tarjan's strongly connected components).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                problems.append("modules that use each other: " + ", ".join(sorted(component)))

    sys.setrecursionlimit(10_000)
    for v in list(graph):
        if v not in index:
            visit(v)
    for p in problems:
        print(p)
    print(f"check_layers: {len(graph)} modules, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
