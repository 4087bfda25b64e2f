"""bench/RESULTS.md: each benchmark replaces (or appends) only its own `## ` section."""
from __future__ import annotations

from pathlib import Path


def replace_section(path: Path, heading: str, section: str) -> None:
    text = path.read_text() if path.exists() else "# Benchmark results\n\n"
    if heading in text:
        before, after = text.split(heading, 1)
        next_section = after.find("\n## ")
        rest = after[next_section + 1:] if next_section >= 0 else ""
        text = before + section + ("\n" + rest if rest else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
