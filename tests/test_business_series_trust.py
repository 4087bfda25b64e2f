"""Business series count only from the exporter's own job (render/business_metrics.py).

Any pod may opt in to `kubernetes-pods` and expose `revenue_total`: every rule reads the exporter's
job by name, every other job drops the business names at scrape time (proved here with a real
Prometheus scraping a loopback target), and the reporter asks for the exporter's job too. The
dashboards' side is tests/dashboards/test_dashboards_trust.py; RevenueDrop firing despite a spoofing
pod is a promtool unit test in configs/prometheus/tests/business-revenue.yml.
"""

from __future__ import annotations

import re
import time

import promql_parser
import pytest
import requests
import yaml

from exporter.catalog import CATALOG, exposed_names
from render import business_metrics
from render.dashboards.queries import selector_name, selectors
from render.prometheus_config import CONFIGS
from render.rules import source_rule_files
from reporter import business as reporter_business
from testsupport.exposition import ExpositionServer
from testsupport.prometheus import PrometheusServer


def _rule_expressions():
    for name, document in source_rule_files().items():
        for group in document.get("groups", []):
            for rule in group.get("rules", []):
                yield f"{name} / {rule.get('alert') or rule.get('record')}", rule["expr"]


def _unguarded(expr: str) -> list[str]:
    found = []
    for selector in selectors(expr):
        name = selector_name(selector)
        pinned = any(m.name == "job" and m.op == promql_parser.MatchOp.Equal and m.value == business_metrics.JOB
                     for m in selector.matchers.matchers)
        if business_metrics.is_business_metric(name) and not pinned:
            found.append(name)
    return found


def test_every_business_selector_of_every_rule_names_the_exporters_job():
    unguarded = {where: names for where, expr in _rule_expressions() if (names := _unguarded(expr))}
    assert not unguarded, unguarded


def test_the_check_would_catch_an_unguarded_selector():
    assert _unguarded("sum(rate(revenue_total[5m]))") == ["revenue_total"]
    assert _unguarded('sum(rate(revenue_total{job=~"waqiti-business-metrics-exporter|x"}[5m]))') == ["revenue_total"]
    assert _unguarded('revenue_total{job="waqiti-business-metrics-exporter"}') == []


def test_the_job_name_is_the_exporters_scrape_job():
    jobs = [job["job_name"] for job in yaml.safe_load((CONFIGS / "scrape-configs.yml").read_text())["scrape_configs"]]
    assert business_metrics.JOB in jobs
    assert reporter_business.EXPORTER_JOB == business_metrics.JOB


def test_the_names_cover_the_catalog_as_exposed():
    exposed = set(exposed_names())
    assert {"revenue_total", "wallet_balance_changes_total", "payment_transaction_amount_bucket",
            "payment_processing_time_seconds_count", "user_active_total"} <= exposed
    assert all(business_metrics.is_business_metric(name) for name in exposed)
    assert business_metrics.is_business_metric("business_exporter_last_success_timestamp_seconds")
    assert not [name for name in ("up", "http_server_requests_seconds_count", "revenue_total_x", "my_revenue_total",
                                  "process_cpu_seconds_total") if business_metrics.is_business_metric(name)]
    assert len(CATALOG) >= 14


@pytest.mark.parametrize("stack", ["production", "dev"])
def test_every_job_but_the_exporters_drops_business_names(rendered, stack):
    config = yaml.safe_load((rendered[stack] / "prometheus" / "prometheus.yml").read_text())
    drop = business_metrics.drop_business_series()
    for job in config["scrape_configs"]:
        carries = drop in job["metric_relabel_configs"]
        assert carries is (job["job_name"] != business_metrics.JOB), job["job_name"]


def test_reporter_selectors_name_the_exporters_job():
    selector = reporter_business.business("revenue_total")
    assert [m.value for m in selectors(selector)[0].matchers.matchers if m.name == "job"] == [business_metrics.JOB]


# --- the drop, as a real Prometheus applies it --------------------------------------------------------
EXPOSITION = (
    "# TYPE revenue_total counter\n"
    'revenue_total{source="fees",currency="EUR"} 288000000\n'
    "# TYPE payment_processing_time_seconds histogram\n"
    'payment_processing_time_seconds_bucket{le="+Inf"} 5\n'
    "payment_processing_time_seconds_sum 1\n"
    "payment_processing_time_seconds_count 5\n"
    "# TYPE business_exporter_database_up gauge\n"
    "business_exporter_database_up 1\n"
    "# TYPE spoof_pod_own_metric gauge\n"
    "spoof_pod_own_metric 1\n"
)


@pytest.fixture
def loopback_target():
    with ExpositionServer(lambda path: EXPOSITION) as target:
        yield target.address


@pytest.mark.slow
def test_prometheus_keeps_business_series_from_the_exporters_job_only(rendered, loopback_target):
    config = yaml.safe_load((rendered["production"] / "prometheus" / "prometheus.yml").read_text())
    jobs = []
    for job in config["scrape_configs"]:
        if job["job_name"] in (business_metrics.JOB, "kubernetes-pods", "kubernetes-services"):
            jobs.append({"job_name": job["job_name"], "scrape_interval": "1s", "scrape_timeout": "1s",
                         "static_configs": [{"targets": [loopback_target]}],
                         "metric_relabel_configs": job["metric_relabel_configs"]})
    assert len(jobs) == 3
    with PrometheusServer(config=yaml.safe_dump({"scrape_configs": jobs})) as prometheus:
        def query(expr: str) -> list[dict]:
            return requests.get(f"{prometheus.url}/api/v1/query", params={"query": expr}, timeout=10).json()["data"]["result"]

        deadline = time.monotonic() + 30
        while len(query("spoof_pod_own_metric")) < 3 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert {s["metric"]["job"] for s in query("spoof_pod_own_metric")} == {job["job_name"] for job in jobs}
        for name in ("revenue_total", "payment_processing_time_seconds_count", "business_exporter_database_up"):
            assert {s["metric"]["job"] for s in query(name)} == {business_metrics.JOB}, name
        assert not re.search("kubernetes", str(query('{__name__=~"revenue.*|payment.*|business.*"}')))
