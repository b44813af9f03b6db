#!/usr/bin/env python3
"""The architecture as a check (`make lint`): layers import only downwards,
and no two files import each other in a circle, however long.

Layers, highest first (docs/architecture.md):
  gatehouse (shared/src):       api > wiring > adapters > settings, telemetry
  gatehouse-core (shared/core): service > memory > ports > domain > error
The core's Cargo.toml may not name the AWS SDK or lambda_http; the compiler
then keeps their types out, and this script says so first, by name.

Every import is followed to the file that defines the name, through `pub
use` re-exports: `crate::domain::ProjectFlow` is an import of
`domain/flow.rs`, not of `domain/mod.rs`. A `pub use` line itself is a
module's table of contents, not an import. A child file importing its
parent's items is an import like any other, so a parent file that uses its
child's items and a child that uses the parent's make a circle.

`scripts/check_layers.py --root DIR` checks a copy of the repository (the
mutation check in scripts/test_check_layers.py runs it so).
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES = {"core": "shared/core/src", "edge": "shared/src"}
# A module may import from its own layer and the layers after it.
LAYERS = {
    "core": ["service", "memory", "ports", "domain", "error"],
    "edge": ["api", "wiring", "adapters", "settings", "telemetry"],
}
ITEM = re.compile(
    r"^(?:pub(?:\([a-z: ]+\))?\s+)?(?:async\s+|unsafe\s+)*"
    r"(?:struct|enum|fn|trait|type|const|static|union)\s+([A-Za-z_]\w*)"
)
USE_START = re.compile(r"^(pub(?:\([a-z: ]+\))?\s+)?use\s+")
# A path in code: from `crate`, `super`, `self`, or a child module's name.
PATH = re.compile(r"(?<![\w:])([A-Za-z_]\w*)((?:::[A-Za-z_]\w*)+)")


def code_lines(text: str):
    """Every source line, comments stripped and lines inside `#[cfg(test)]`
    modules (or a `#[cfg(test)] mod tests;` line) blanked, so that line
    numbers stay the file's."""
    skip_depth = None
    depth = 0
    pending_test = False
    for line in text.splitlines():
        stripped = line.split("//", 1)[0]
        if skip_depth is None and re.match(r"\s*#\[cfg\(test\)\]", stripped):
            pending_test = True
            yield ""
            continue
        if pending_test and re.match(r"\s*(pub\s+)?mod\s+\w+\s*;", stripped):
            pending_test = False
            yield ""
            continue
        opened, closed = stripped.count("{"), stripped.count("}")
        if pending_test and opened:
            skip_depth, pending_test = depth, False
        depth += opened - closed
        if skip_depth is not None:
            if depth <= skip_depth:
                skip_depth = None
            yield ""
            continue
        yield stripped


def split_top(text: str) -> list:
    """`a, b::{c, d}` split at its top-level commas."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [p.strip() for p in parts + [current] if p.strip()]


def expand(tree: str, prefix=()) -> list:
    """A use tree as (path, name) pairs: `a::{b, c::{d as e}, self}` gives
    ((a, b), b), ((a, c, d), e), ((a,), a)."""
    tree = tree.strip()
    if tree.startswith("{"):
        return [pair for part in split_top(tree[1:-1]) for pair in expand(part, prefix)]
    nested = re.match(r"^([\w:]*?)::\{(.*)\}$", tree, re.S)
    if nested:
        return expand("{" + nested.group(2) + "}", prefix + tuple(nested.group(1).split("::")))
    leaf = re.match(r"^([\w:*]+)(?:\s+as\s+(\w+))?$", tree)
    if not leaf:
        return []
    path = prefix + tuple(leaf.group(1).split("::"))
    if path[-1] == "self":
        path = path[:-1]
    return [(path, leaf.group(2) or path[-1])] if path else []


def use_statements(lines):
    """(is_pub, use tree, line number) of each `use`, joined across lines."""
    pending = None
    for number, line in lines:
        text = line.strip()
        if pending is None:
            start = USE_START.match(text)
            if not start:
                continue
            pending = [bool(start.group(1)), text[start.end():], number]
        else:
            pending[1] += " " + text
        if ";" in pending[1]:
            yield pending[0], pending[1].split(";")[0], pending[2]
            pending = None


class Crate:
    """One crate's files, what each defines and re-exports, and what it
    imports, each import followed to the file that defines it."""

    def __init__(self, src: Path):
        self.src = src
        self.files = {}
        for path in sorted(src.rglob("*.rs")):
            if path.name == "tests.rs":
                continue
            parts = list(path.relative_to(src).with_suffix("").parts)
            if parts[-1] in ("mod", "lib"):
                parts = parts[:-1]
            self.files[tuple(parts)] = path
        self.defines, self.exports, self.imports = {}, {}, {}
        for module, path in self.files.items():
            lines = list(enumerate(code_lines(path.read_text()), 1))
            self.defines[module] = {m.group(1) for _, line in lines if (m := ITEM.match(line))}
            self.exports[module], imports = [], []
            use_lines = set()
            for is_pub, tree, number in use_statements(lines):
                use_lines.add(number)
                for path_, name in expand(tree):
                    (self.exports[module] if is_pub else imports).append((path_, name, number))
            # Paths written in the code itself: `crate::domain::login::X`,
            # `face::judge(..)` (paths into other crates resolve to nothing).
            inline = [
                ((m.group(1),) + tuple(m.group(2).strip(":").split("::")), "", number)
                for number, line in lines
                if number not in use_lines
                for m in PATH.finditer(line)
            ]
            self.imports[module] = imports + inline

    def start(self, module: tuple, path: tuple):
        """The module a path starts from, and the rest of the path; None for
        a path into another crate."""
        head = path[0]
        if head == "crate":
            return (), path[1:]
        if head == "self":
            return module, path[1:]
        if head == "super":
            base, rest = module[:-1], path[1:]
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
            return base, rest
        if module + (head,) in self.files:
            return module, path  # a child module, named as edition 2018 allows
        return None, path

    def resolve(self, module: tuple, path: tuple, seen=None):
        """The file that defines what `path`, written in `module`, names."""
        base, rest = self.start(module, path)
        if base is None:
            return None
        seen = set() if seen is None else seen
        while rest and rest[0] != "*" and base + (rest[0],) in self.files:
            base, rest = base + (rest[0],), rest[1:]
        if not rest or rest[0] == "*":
            return base
        return self.definer(base, rest[0], seen)

    def definer(self, module: tuple, name: str, seen: set):
        """The file that defines `name` as `module` offers it."""
        if name in self.defines.get(module, ()) or (module, name) in seen:
            return module
        seen.add((module, name))
        for path, alias, _ in self.exports.get(module, ()):
            if alias == name:
                return self.resolve(module, path, seen) or module
        for path, alias, _ in self.exports.get(module, ()):
            if alias == "*":
                found = self.resolve(module, path[:-1] + (name,), seen)
                if found is not None and name in self.defines.get(found, ()):
                    return found
        return module

    def edges(self) -> dict:
        """file module -> {imported file module: first line importing it}"""
        out = {module: {} for module in self.files}
        for module, imports in self.imports.items():
            for path, _, number in imports:
                target = self.resolve(module, path)
                if target is not None and target != module and target in self.files:
                    out[module].setdefault(target, number)
        return out


def circles(edges: dict) -> list:
    """Strongly connected components of more than one file (Tarjan)."""
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


def problems_in(root: Path) -> list:
    problems = []
    for name, src in CRATES.items():
        crate = Crate(root / src)
        edges = crate.edges()
        order = LAYERS[name]

        def where(module, line):
            return f"{crate.files[module].relative_to(root)}:{line}"

        for module, targets in edges.items():
            layer = module[0] if module else None
            for target, line in targets.items():
                up = target[0] if target else None
                if layer in order and up in order and order.index(up) < order.index(layer):
                    problems.append(f"{where(module, line)}: {layer} imports upwards from {up}")
        for component in circles({m: set(t) for m, t in edges.items()}):
            members = set(component)
            links = [
                f"    {where(m, line)} imports {crate.files[t].relative_to(root)}"
                for m in component
                for t, line in sorted(edges[m].items())
                if t in members
            ]
            files = ", ".join(str(crate.files[m].relative_to(root)) for m in component)
            problems.append(f"{name}: import circle of {len(component)} files: {files}\n" + "\n".join(links))
    cargo = (root / "shared/core/Cargo.toml").read_text()
    for banned in ("aws-sdk-", "lambda_http", "aws-config"):
        if banned in cargo:
            problems.append(f"shared/core/Cargo.toml depends on {banned}")
    return sorted(set(problems))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository to check")
    problems = problems_in(parser.parse_args().root.resolve())
    for problem in problems:
        print(problem)
    if problems:
        print(f"check_layers: {len(problems)} problem(s)")
        return 1
    print("check_layers: layers import downwards only; no file imports another in a circle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
