"""The README's stack settings table, generated from the settings model and the stack files.

`python -m tools.settings_table` rewrites the block between the markers in README.md; a test fails
when it is out of date.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from model.settings import SECRETS, config_keys, read_stack_file
from tools.pulumi_project import config_schema

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
STACKS = ("production", "staging", "dev")
START, END = "<!-- settings-table:start -->", "<!-- settings-table:end -->"


def _cell(value) -> str:
    if value in ("", None):
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    return f"`{value}`".replace("|", "\\|")


def table() -> str:
    schema = config_schema()
    stacks = {stack: read_stack_file(ROOT / f"Pulumi.{stack}.yaml") for stack in STACKS}
    lines = [
        "| key | type | default | production | staging | dev | meaning |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for key in config_keys():
        entry = schema[key]
        per_stack = [_cell(stacks[stack].get(key)) if key in stacks[stack] else "" for stack in STACKS]
        lines.append(f"| `{key}` | {entry['type']} | {_cell(entry.get('default'))} | " + " | ".join(per_stack) + f" | {entry['description']} |")
    lines += ["", "Secrets (`pulumi config set --secret KEY VALUE`):", "", "| key | meaning |", "| --- | --- |"]
    lines += [f"| `{spec.key}` | {spec.meaning} |" for spec in SECRETS]
    return "\n".join(lines)


def rewrite(text: str) -> str:
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"README.md has no {START} … {END} block")
    return pattern.sub(lambda _: f"{START}\n{table()}\n{END}", text)


if __name__ == "__main__":
    README.write_text(rewrite(README.read_text()))
    print(f"wrote the settings table in {README}", file=sys.stderr)
