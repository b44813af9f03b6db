#!/usr/bin/env python3
"""The architecture as a check (`make lint`): layers import only downwards,
and no modules import each other in a circle.

Layers, highest first (docs/architecture.md):
  gatehouse (shared/src):       api > wiring > adapters > settings, telemetry
  gatehouse-core (shared/core): service > memory > ports > domain > error
The core's Cargo.toml may not name the AWS SDK or lambda_http; the compiler
then keeps their types out, and this script says so first, by name.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES = {
    "core": ROOT / "shared/core/src",
    "edge": ROOT / "shared/src",
}
# A module may import from its own layer and the layers after it.
LAYERS = {
    "core": ["service", "memory", "ports", "domain", "error"],
    "edge": ["api", "wiring", "adapters", "settings", "telemetry"],
}
USE = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")


def module_of(crate_dir: Path, path: Path) -> tuple:
    parts = list(path.relative_to(crate_dir).with_suffix("").parts)
    if parts[-1] in ("mod", "lib"):
        parts = parts[:-1]
    return tuple(parts)


def code_lines(text: str):
    """Source lines outside `#[cfg(test)]` modules, comments stripped."""
    skip_depth = None
    depth = 0
    pending_test = False
    for line in text.splitlines():
        stripped = line.split("//", 1)[0]
        if skip_depth is None and re.match(r"\s*#\[cfg\(test\)\]", stripped):
            pending_test = True
            continue
        opened, closed = stripped.count("{"), stripped.count("}")
        if pending_test and opened:
            skip_depth, pending_test = depth, False
        depth += opened - closed
        if skip_depth is not None:
            if depth <= skip_depth:
                skip_depth = None
            continue
        yield stripped


def resolve(module: tuple, is_mod_file: bool, root: str, rest: str, known: set) -> tuple:
    names = rest.strip(":").split("::")
    if root == "crate":
        base = []
    else:
        # `super` of a mod.rs is its parent folder's module.
        base = list(module[:-1])
        while names and names[0] == "super":
            base = base[:-1]
            names = names[1:]
    target = tuple(base + names)
    while target and target not in known:
        target = target[:-1]
    return target


def main() -> int:
    problems = []
    for crate, crate_dir in CRATES.items():
        files = [p for p in crate_dir.rglob("*.rs") if p.name != "tests.rs"]
        modules = {module_of(crate_dir, p): p for p in files}
        known = set(modules)
        edges = {m: set() for m in modules}
        order = LAYERS[crate]
        for module, path in modules.items():
            layer = module[0] if module else None
            text = path.read_text()
            is_mod_file = path.name in ("mod.rs", "lib.rs")
            for line in code_lines(text):
                for root, rest in USE.findall(line):
                    if root == "super" and is_mod_file:
                        rest = "::super" + rest
                    target = resolve(module, is_mod_file, root, rest, known)
                    if not target or target == module:
                        continue
                    if target[: len(module)] == module or module[: len(target)] == target:
                        continue  # a module and its own parent or child
                    edges[module].add(target)
                    if layer in order and target[0] in order and order.index(target[0]) < order.index(layer):
                        problems.append(
                            f"{path.relative_to(ROOT)}: {layer} imports upwards from {target[0]}: {line.strip()}"
                        )
        problems += [f"{crate}: import circle: {' -> '.join('::'.join(m) for m in c)}" for c in circles(edges)]
    cargo = (ROOT / "shared/core/Cargo.toml").read_text()
    for banned in ("aws-sdk-", "lambda_http", "aws-config"):
        if banned in cargo:
            problems.append(f"shared/core/Cargo.toml depends on {banned}")
    for p in sorted(set(problems)):
        print(p)
    if problems:
        print(f"check_layers: {len(set(problems))} problem(s)")
        return 1
    print("check_layers: layers import downwards only; no import circles")
    return 0


def circles(edges: dict) -> list:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in list(edges):
        if v not in index:
            visit(v)
    return out


if __name__ == "__main__":
    sys.exit(main())
