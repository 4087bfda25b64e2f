"""The catalogue of metrics that exist: the metrics contract and the upstream exporters' lists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "docs" / "metrics-contract.md"
UPSTREAM_METRICS = ROOT / "configs" / "upstream-metrics"

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
                if "counter" in line and ":" not in name and not name.endswith("_total"):
                    names.add(f"{name}_total")  # client libraries expose every counter with _total
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
