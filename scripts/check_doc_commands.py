#!/usr/bin/env python3
"""Runs every fenced block marked ```` ```sh make-dev ```` in README.md and
docs/*.md, the blocks that claim to run against `make dev`, and fails if
any of them fails (`make test` runs it).

Each block runs in its own temporary folder under `bash -euo pipefail`, so
a failed command, a `curl -f` that got an HTTP error, or a `jq -e` that
found nothing fails it. The block's `make dev` addresses are pointed at the
stack under test:

    localhost:9000 / 127.0.0.1:9000   GATEHOUSE_E2E_URL
    localhost:5000 / 127.0.0.1:5000   GATEHOUSE_MOTO_URL
    localhost:5100 / 127.0.0.1:5100   GATEHOUSE_ENGINE_URL
    .local/demo.json                  a fresh demo tenant (gatehouse-admin demo)

With none of those variables set, it runs the blocks against a running
`make dev` as written:

    python3 scripts/check_doc_commands.py
    python3 scripts/check_doc_commands.py --self-test   # the runner's own check
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
MARKER = "sh make-dev"
FENCE = re.compile(r"^```(.*)$")


def documents() -> list:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def blocks(path: Path) -> list:
    """(line number, code) of every block marked MARKER."""
    found, code, marked, start = [], None, False, 0
    for number, line in enumerate(path.read_text().splitlines(), 1):
        fence = FENCE.match(line)
        if code is None and fence:
            code, marked, start = [], fence.group(1).strip() == MARKER, number
        elif code is not None and line.startswith("```"):
            if marked:
                found.append((start, "\n".join(code) + "\n"))
            code = None
        elif code is not None:
            code.append(line)
    return found


def host_port(variable: str, default: str) -> str:
    value = os.environ.get(variable)
    return urlparse(value).netloc if value else default


def substitutions(demo: str) -> list:
    pairs = []
    for port, variable in (("9000", "GATEHOUSE_E2E_URL"), ("5000", "GATEHOUSE_MOTO_URL"),
                           ("5100", "GATEHOUSE_ENGINE_URL")):
        target = host_port(variable, f"localhost:{port}")
        pairs += [(f"localhost:{port}", target), (f"127.0.0.1:{port}", target)]
    pairs.append((".local/demo.json", demo))
    return pairs


def demo_tenant() -> str:
    """`make dev`'s own demo file, or under test a fresh tenant's."""
    if not os.environ.get("GATEHOUSE_E2E_URL"):
        return str(ROOT / ".local" / "demo.json")
    out = subprocess.run([str(ROOT / "target" / "debug" / "gatehouse-admin"), "demo", "--name",
                          f"docs {uuid.uuid4().hex[:8]}"], check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp(prefix="doc-commands-")) / "demo.json"
    path.write_text(json.dumps(json.loads(out)))
    return str(path)


def run(code: str, pairs: list) -> subprocess.CompletedProcess:
    for before, after in pairs:
        code = code.replace(before, after)
    with tempfile.TemporaryDirectory(prefix="doc-block-") as folder:
        return subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=folder, capture_output=True,
                              text=True, timeout=300)


def check(paths: list, pairs: list) -> int:
    total, failed = 0, 0
    for path in paths:
        for line, code in blocks(path):
            total += 1
            where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{line}"
            result = run(code, pairs)
            if result.returncode == 0:
                print(f"ok      {where}")
            else:
                failed += 1
                print(f"FAILED  {where} (exit {result.returncode})\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}")
    if total == 0:
        print(f"check_doc_commands: no block is marked ```{MARKER}")
        return 1
    print(f"check_doc_commands: {total - failed} of {total} blocks ran")
    return 1 if failed else 0


def self_test() -> int:
    """The runner fails on a failing block, an HTTP error and a page with
    no marked block, and passes a block that works."""
    folder = Path(tempfile.mkdtemp(prefix="doc-self-test-"))
    cases = {
        "fails.md": ("```sh make-dev\ntrue\nfalse\necho never\n```\n", 1),
        "pipe.md": ("```sh make-dev\nfalse | cat\n```\n", 1),
        "unset.md": ("```sh make-dev\necho \"$NO_SUCH_VARIABLE\"\n```\n", 1),
        "unmarked.md": ("```sh\nfalse\n```\n", 1),
        "passes.md": ("text\n\n```sh make-dev\ntest \"$(echo ok)\" = ok\n```\n\n```sh\nfalse\n```\n", 0),
    }
    wrong = []
    for name, (text, expected) in cases.items():
        (folder / name).write_text(text)
        status = check([folder / name], [])
        if status != expected:
            wrong.append(f"{name}: exit {status}, expected {expected}")
    print("\n".join(wrong) or "check_doc_commands --self-test: every case answered as expected")
    return 1 if wrong else 0


def main() -> int:
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    return check(documents(), substitutions(demo_tenant()))


if __name__ == "__main__":
    sys.exit(main())
