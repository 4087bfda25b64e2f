"""Every panel query of the rendered dashboards returns data against the running local stack, except
the ones listed in NO_LOCAL_DATA with the reason: metrics of systems that do not run here.
The list is asserted exactly, so it cannot grow (or shrink) unnoticed."""
from __future__ import annotations

import json
import re
import time

import pytest
import requests

from local.observe import Observer
from render.dashboards.queries import expressions, panels

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("local-stack")]

# Grafana's "All" of every variable here is the regex .*; $__rate_interval is a few scrapes, and
# 5m leaves room for the rare baseline 5xx of the simulated services.
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
RATE_INTERVAL = "5m"

# (dashboard uid, panel title) -> why it has no data on one machine, per reason
NO_LOCAL_DATA = {
    "kube-state-metrics and cadvisor: no Kubernetes cluster locally": {
        ("waqiti-infrastructure", "Nodes ready"), ("waqiti-infrastructure", "Nodes not ready"),
        ("waqiti-infrastructure", "Pods not running"), ("waqiti-infrastructure", "Container restarts (1h)"),
        ("waqiti-infrastructure", "Pods by phase"),
        ("waqiti-infrastructure", "CPU by namespace"), ("waqiti-infrastructure", "Memory by namespace"),
        ("waqiti-payment-service", "CPU by pod"), ("waqiti-payment-service", "Memory by pod"),
        ("waqiti-wallet-service", "CPU by pod"), ("waqiti-wallet-service", "Memory by pod"),
    },
    "redis_exporter: no Redis locally": {
        ("waqiti-infrastructure", "Redis up"), ("waqiti-infrastructure", "Memory used"),
        ("waqiti-infrastructure", "Connected clients"), ("waqiti-infrastructure", "Keyspace hit ratio"),
        ("waqiti-infrastructure", "Commands processed"), ("waqiti-infrastructure", "Evicted keys"),
    },
    "kafka_exporter: no Kafka locally": {
        ("waqiti-infrastructure", "Brokers"), ("waqiti-infrastructure", "Under-replicated partitions"),
        ("waqiti-infrastructure", "Consumer group lag"), ("waqiti-infrastructure", "Messages produced by topic"),
    },
    "Istio: no service mesh locally": {
        ("waqiti-infrastructure", "Mesh requests by destination service"),
        ("waqiti-infrastructure", "Mesh 5xx ratio by destination service"),
        ("waqiti-infrastructure", "Mesh P95 latency by destination service"),
    },
    "blackbox probes: the local stand-in of the payment endpoint is plain HTTP, no certificate": {
        ("waqiti-sla-compliance", "Days until certificate expiry"),
    },
    "empty by design while the stack is healthy (no alert firing, no target down)": {
        ("waqiti-risk-management", "Firing alerts"), ("waqiti-security-overview", "Firing alerts"),
        ("waqiti-payment-service", "Firing alerts"), ("waqiti-wallet-service", "Firing alerts"),
        ("waqiti-monitoring-stack", "Unreachable targets"),
    },
}


def substitute(expr: str) -> str:
    expr = expr.replace("$__rate_interval", RATE_INTERVAL).replace("${__rate_interval}", RATE_INTERVAL)
    return _VARIABLE.sub(".*", expr)


def dashboard_queries(build_dir):
    for path in sorted((build_dir / "grafana" / "dashboards").glob("**/*.json")):
        dashboard = json.loads(path.read_text())
        for panel in panels(dashboard):
            yield dashboard["uid"], panel["title"], expressions(panel)


def panels_without_data(stack) -> set[tuple[str, str]]:
    empty = set()
    for uid, title, exprs in dashboard_queries(stack.build_dir):
        results = []
        for expr in exprs:
            response = requests.get(f"{stack.prometheus.url}/api/v1/query", params={"query": substitute(expr)}, timeout=30)
            assert response.status_code == 200, (uid, title, expr, response.text)
            results += response.json()["data"]["result"]
        if not results:
            empty.add((uid, title))
    return empty


def test_every_panel_returns_data_locally_except_the_listed(stack):
    observer = Observer(stack)
    observer.heal()
    observer.wait_healthy()
    expected = set().union(*NO_LOCAL_DATA.values())
    # a freshly started stack needs a little traffic first (two samples of every series, a first
    # refresh of every exporter group): look again until the answer settles
    deadline = time.monotonic() + 120
    while (empty := panels_without_data(stack)) != expected and time.monotonic() < deadline:
        time.sleep(5)
    assert empty == expected, {"no data, not listed": sorted(empty - expected), "listed, but has data": sorted(expected - empty)}
