"""Fixtures for the dashboard tests: the rendered dashboards and the catalogue of metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from components.settings import settings_for_stack
from render.dashboards import render_dashboards

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "metrics-contract.md"
UPSTREAM_METRICS = ROOT / "configs" / "upstream-metrics"
STACKS = ("production", "staging", "dev")

# The contract sections that name metrics (the others name jobs and labels).
_METRIC_SECTIONS = ("Application service metrics", "Business metrics", "SLO recording rules")
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_TOKEN = re.compile(r"`([^`]+)`(\s+histogram)?")


def contract_metrics(text: str) -> set[str]:
    """Metric and recording-rule names of the contract, with its shorthands expanded.

    `x_bucket`, `_count`, `_sum` → x_count, x_sum; `a:b:ratio_rate5m`, `…_rate30m` → a:b:ratio_rate30m;
    `a:b:p50_5m`, `…:p95_5m` → a:b:p95_5m; `x` histogram → x_bucket, x_sum, x_count.
    """
    names: set[str] = set()
    for section in re.split(r"^## ", text, flags=re.M):
        if not section.startswith(_METRIC_SECTIONS):
            continue
        for line in section.splitlines():
            previous = None  # shorthands continue a name of the same line only
            for match in _TOKEN.finditer(line):
                token = match.group(1).split("{")[0]
                if token.startswith("…") and previous:
                    suffix = token[1:]
                    name = previous.rsplit(suffix[0], 1)[0] + suffix
                elif token.startswith("_") and previous:
                    name = previous.rsplit("_", 1)[0] + token
                elif _NAME.fullmatch(token) and ("_" in token or ":" in token) and not token.startswith("_"):
                    name = token
                else:
                    continue
                names.add(name)
                if match.group(2):
                    names.update({f"{name}_bucket", f"{name}_sum", f"{name}_count"})
                previous = name
    return names


def upstream_metrics() -> dict[str, set[str]]:
    """Exporter → the metric names listed for it in configs/upstream-metrics/."""
    lists = {}
    for path in sorted(UPSTREAM_METRICS.glob("*.txt")):
        lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
        lists[path.stem] = {line for line in lines if line}
    return lists


@pytest.fixture(scope="session")
def known_metrics() -> set[str]:
    names = contract_metrics(CONTRACT.read_text(encoding="utf-8"))
    for listed in upstream_metrics().values():
        names |= listed
    return names


@pytest.fixture(scope="session")
def settings():
    return settings_for_stack("production")


@pytest.fixture(scope="session")
def rendered(settings) -> dict[str, dict[str, str]]:
    return render_dashboards(settings)


@pytest.fixture(scope="session")
def dashboards(rendered) -> list[dict]:
    """Every rendered dashboard, parsed, with its folder under the key `_folder`."""
    return [
        {**json.loads(text), "_folder": folder}
        for folder, files in rendered.items()
        for _, text in sorted(files.items())
    ]
