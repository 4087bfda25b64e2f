"""The README's table of every flow the production stack's NetworkPolicies allow.

`python -m tools.network_flows` rewrites the block between the markers in README.md from
`components.network_policies.flows_table`; a test fails when it is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from components.network_policies import flows_table
from model.settings import settings_for_stack

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- network-flows:start -->", "<!-- network-flows:end -->"


def rewrite(readme: str, stack: str = "production") -> str:
    head, start, rest = readme.partition(START)
    _, end, tail = rest.partition(END)
    if not (start and end):
        raise ValueError(f"README.md: the markers {START} and {END} are missing")
    return head + START + "\n" + flows_table(settings_for_stack(stack, ROOT)) + END + tail


def main() -> int:
    README.write_text(rewrite(README.read_text()))
    print(f"wrote the network flows table in {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
