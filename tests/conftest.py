"""Shared fixtures: the program run once per stack under Pulumi's mocks, and the rendered files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import render
from tools.pulumi_engine import Run, run_program

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("production", "staging", "dev")


@pytest.fixture(scope="session")
def runs() -> dict[str, Run]:
    return {stack: run_program(stack) for stack in STACKS}


@pytest.fixture(scope="session")
def rendered(runs, tmp_path_factory) -> dict[str, Path]:
    """build/<stack>/ for every stack, as `make render` writes it."""
    out = tmp_path_factory.mktemp("build")
    for stack, run in runs.items():
        render.write(run, out / stack)
    return {stack: out / stack for stack in STACKS}
