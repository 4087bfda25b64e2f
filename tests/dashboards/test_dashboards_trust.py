"""The dashboards read business series from the exporter's job only: a pod that opts in to the
`kubernetes-pods` job and exposes `revenue_total{currency="EUR"}` changes no panel and no variable.

Proved on a real Prometheus: the same exporter history is backfilled twice, once alone and once next
to a spoofing pod's series (same names and labels, a thousand times the values); every dashboard
query and variable answers the same on both. The control shows the spoof would have counted: with the
job matcher taken out, the revenue query differs.
"""

from __future__ import annotations

import itertools
import re

import pytest
import requests

from exporter.catalog import CATALOG
from render import business_metrics
from render.dashboards.queries import label_values_selector, metric_names, panels
from testsupport.prometheus import PrometheusServer, create_blocks_from_openmetrics

pytestmark = pytest.mark.slow

START = 1_780_000_000  # a fixed past instant; two hours of minutely samples follow it
MINUTES = 120
END = START + 60 * (MINUTES - 1)
VALUES = {  # label values that every equality matcher of the dashboards finds
    "status": ("completed", "failed", "pending"), "currency": ("EUR", "USD"),
    "source": ("subscriptions", "transaction_fees"), "timeframe": ("day", "week", "month"),
    "kyc_status": ("verified", "pending", "rejected"), "risk_level": ("high", "low"), "direction": ("credit", "debit"),
}
SPOOF = (("job", "kubernetes-pods"), ("namespace", "attacker"), ("pod", "spoof-0"))
EXPORTER = (("job", business_metrics.JOB), ("namespace", "monitoring"), ("pod", "business-metrics-exporter-0"))
_INTERVAL = re.compile(r"\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}")
_VARIABLE = re.compile(r"\$\{\w+(?::\w+)?\}|\$\w+")


def _label_sets(spec) -> list[tuple[tuple[str, str], ...]]:
    names = spec.labels + (("timeframe",) if spec.shape == "active_users" else ())
    choices = [[(name, value) for value in VALUES.get(name, ("a",))] for name in names]
    return [tuple(combination) for combination in itertools.product(*choices)]


def _series(target: tuple, scale: float) -> list[tuple[str, int, float]]:
    lines = []
    for spec in CATALOG.values():
        for labels in _label_sets(spec):
            base = ",".join(f'{k}="{v}"' for k, v in (*target, *labels))
            if spec.type == "histogram":
                names = [(f"{spec.name}_bucket", f'{base},le="{le}"', 1.0) for le in ("0.2", "0.5", "+Inf")]
                names += [(f"{spec.name}_sum", base, 7.0), (f"{spec.name}_count", base, 1.0)]
            else:
                name = spec.name if spec.type == "gauge" or spec.name.endswith("_total") else f"{spec.name}_total"
                names = [(name, base, 1.0 if ("direction", "debit") in labels else 3.0)]
            for name, labels_text, step in names:
                for minute in range(MINUTES):
                    value = step * scale * (minute if spec.type != "gauge" else 1)
                    lines.append((f"{name}{{{labels_text}}}", minute, value))
    return lines


def _openmetrics(samples: list[tuple[str, int, float]]) -> str:
    lines = [f"{key} {value} {START + 60 * minute}" for key, minute, value in sorted(samples)]
    return "\n".join(lines) + "\n# EOF\n"


@pytest.fixture(scope="module")
def prometheus_pair(tmp_path_factory):
    """(exporter's history alone, the same history plus a spoofing pod's series)."""
    honest = _series(EXPORTER, 1.0)
    spoofed = honest + _series(SPOOF, 1000.0)
    dirs = []
    for name, lines in (("honest", honest), ("spoofed", spoofed)):
        data = tmp_path_factory.mktemp(f"trust-{name}") / "data"
        create_blocks_from_openmetrics(_openmetrics(lines), data)
        dirs.append(data)
    with PrometheusServer(data_dir=dirs[0]) as honest_server, PrometheusServer(data_dir=dirs[1]) as spoofed_server:
        yield honest_server, spoofed_server


def _as_query(expr: str) -> str:
    """The expression as Grafana would send it with every variable on "All"."""
    return _VARIABLE.sub(".*", _INTERVAL.sub("5m", expr))


def _evaluate(server: PrometheusServer, expr: str) -> list[tuple]:
    response = requests.get(f"{server.url}/api/v1/query", params={"query": expr, "time": END}, timeout=30)
    response.raise_for_status()
    result = response.json()["data"]["result"]
    return sorted((tuple(sorted(s["metric"].items())), f'{float(s["value"][1]):.6g}') for s in result)  # NaN == NaN


def _business_queries(dashboards) -> list[tuple[str, str]]:
    found = []
    for dashboard in dashboards:
        for panel in panels(dashboard):
            for target in panel.get("targets", []):
                found.append((f"{dashboard['uid']} / {panel['title']}", target["expr"]))
        for variable in dashboard["templating"]["list"]:
            selector = variable["type"] == "query" and label_values_selector(variable["query"])
            if selector:
                found.append((f"{dashboard['uid']} / ${variable['name']}", f"count by (__name__) ({selector})"))
    return [(where, expr) for where, expr in found
            if any(business_metrics.is_business_metric(name) for name in metric_names(expr))]


def test_every_business_query_answers_the_same_with_a_spoofing_pod(dashboards, prometheus_pair):
    honest, spoofed = prometheus_pair
    queries = _business_queries(dashboards)
    assert len(queries) > 30   # the business boards, the exporter's health panels, $currency
    differing = [where for where, expr in queries
                 if _evaluate(honest, _as_query(expr)) != _evaluate(spoofed, _as_query(expr))]
    assert not differing, differing


def test_without_the_job_matcher_the_spoof_would_reach_the_cfo(dashboards, prometheus_pair):
    honest, spoofed = prometheus_pair
    revenue = next(expr for where, expr in _business_queries(dashboards)
                   if "revenue_total" in expr and "increase" in expr and "[24h]" in expr)
    unguarded = _as_query(revenue.replace(business_metrics.JOB_MATCHER + ", ", ""))
    assert unguarded != _as_query(revenue)
    assert _evaluate(honest, unguarded) != _evaluate(spoofed, unguarded)
