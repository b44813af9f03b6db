#!/usr/bin/env python3
"""Every relative link in the repository's Markdown resolves (`make lint`):
the file exists, and a `#fragment` names a heading of that file, as GitHub
makes heading anchors. External links (http, https, mailto) are not
fetched: this machine has no network."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^\s*(```|~~~)")


def documents() -> list:
    return sorted([ROOT / "README.md", ROOT / "BENCHMARKS.md", *(ROOT / "docs").glob("*.md")])


def prose(text: str):
    """(line number, line) outside fenced code blocks, inline code blanked."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield number, re.sub(r"`[^`]*`", "", line)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercased, punctuation dropped,
    spaces to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set:
    seen, out = {}, set()
    for _, line in prose(path.read_text()):
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            base = slug(heading.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            out.add(base if count == 0 else f"{base}-{count}")
    return out


def problems() -> list:
    found = []
    for doc in documents():
        for number, line in prose(doc.read_text()):
            for target in LINK.findall(line):
                if re.match(r"^[a-z]+:", target):
                    continue
                file_part, _, fragment = target.partition("#")
                path = (doc.parent / file_part).resolve() if file_part else doc
                where = f"{doc.relative_to(ROOT)}:{number}: {target}"
                if not path.exists():
                    found.append(f"{where}: no such file")
                elif fragment and path.suffix == ".md" and fragment not in anchors(path):
                    found.append(f"{where}: no heading #{fragment} in {path.relative_to(ROOT)}")
    return found


def main() -> int:
    found = problems()
    for problem in found:
        print(problem)
    if found:
        print(f"check_links: {len(found)} broken link(s)")
        return 1
    print(f"check_links: every relative link in {len(documents())} Markdown files resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main())
