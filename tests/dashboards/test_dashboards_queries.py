"""Every panel query is PromQL, and every metric it names exists: in the contract or an upstream exporter's list."""

from __future__ import annotations

import pytest

from render.dashboards.queries import (
    expressions,
    is_recording_rule,
    label_values_selector,
    metric_names,
    panels,
    parse,
    selector_name,
    selectors,
)

from metric_catalogue import CONTRACT, contract_metrics, upstream_metrics

PROBE_METRICS = {"probe_success", "probe_duration_seconds", "probe_ssl_earliest_cert_expiry"}


def _all_queries(dashboards):
    for dashboard in dashboards:
        for panel in panels(dashboard):
            for expr in expressions(panel):
                yield dashboard["uid"], panel["title"], expr
        for annotation in dashboard["annotations"]["list"]:
            yield dashboard["uid"], f"annotation {annotation['name']}", annotation["expr"]


def test_every_panel_has_queries_with_distinct_ref_ids(dashboards):
    for dashboard in dashboards:
        for panel in panels(dashboard):
            ref_ids = [target["refId"] for target in panel["targets"]]
            assert ref_ids and len(ref_ids) == len(set(ref_ids)) and all(ref_ids), (dashboard["uid"], panel["title"])


def test_every_query_parses_as_promql(dashboards):
    for uid, title, expr in _all_queries(dashboards):
        try:
            parse(expr)
        except Exception as error:  # promql-parser raises ValueError-like errors with the position
            pytest.fail(f"{uid} / {title}: {expr}\n{error}")


def test_every_metric_a_query_names_exists(dashboards, known_metrics):
    unknown = {
        (uid, title, name)
        for uid, title, expr in _all_queries(dashboards)
        for name in metric_names(expr)
        if name not in known_metrics
    }
    assert not unknown, "\n".join(map(str, sorted(unknown)))


def test_every_variable_query_names_an_existing_metric(dashboards, known_metrics):
    for dashboard in dashboards:
        for variable in dashboard["templating"]["list"]:
            if variable["type"] != "query":
                continue
            selector = label_values_selector(variable["query"])
            assert selector, (dashboard["uid"], variable["query"])
            assert metric_names(selector) <= known_metrics, (dashboard["uid"], variable["query"])


def test_every_series_is_scoped_to_the_chosen_cluster(dashboards):
    for uid, title, expr in _all_queries(dashboards):
        for selector in selectors(expr):
            matchers = {(m.name, m.value) for m in selector.matchers.matchers}
            assert ("cluster", "x") in matchers, f"{uid} / {title}: {selector_name(selector)} ignores $cluster"


def test_request_histograms_are_served_by_recording_rules(dashboards):
    # The service:/slo: rules of the contract aggregate http_server_requests_seconds_bucket;
    # a panel recomputing quantiles or SLIs from the raw buckets is the heavy query they replace.
    for uid, title, expr in _all_queries(dashboards):
        assert "http_server_requests_seconds_bucket" not in metric_names(expr), f"{uid} / {title}"


def test_sla_compliance_reads_only_recording_rules(dashboards):
    # The request histograms only through recording rules; the probe series raw (one per endpoint).
    sla = next(d for d in dashboards if d["uid"] == "waqiti-sla-compliance")
    names = {name for panel in panels(sla) for expr in expressions(panel) for name in metric_names(expr)}
    raw = {"up"} | PROBE_METRICS
    assert names - raw and all(is_recording_rule(name) for name in names - raw), names
    assert PROBE_METRICS <= names


def test_sla_compliance_probe_panels_read_the_blackbox_job_only(dashboards):
    sla = next(d for d in dashboards if d["uid"] == "waqiti-sla-compliance")
    probe_selectors = [selector for panel in panels(sla) for expr in expressions(panel) for selector in selectors(expr)
                       if selector_name(selector) in PROBE_METRICS]
    assert len(probe_selectors) == 3
    for selector in probe_selectors:
        assert ("job", "blackbox") in {(m.name, m.value) for m in selector.matchers.matchers}, selector_name(selector)


# --- the checks above can fail -------------------------------------------------------------------


def test_the_catalogue_expands_the_contract_shorthands_and_nothing_else():
    names = contract_metrics(CONTRACT.read_text(encoding="utf-8"))
    for expected in (
        "payment_transactions_total",
        "payment_transaction_amount_bucket",
        "payment_processing_time_seconds_sum",
        "http_server_requests_seconds_count",
        "http_server_requests_seconds_sum",
        "slo:sli_error:ratio_rate30d",
        "slo:error_budget_remaining:ratio",
        "service:http_request_duration_seconds:p99_5m",
        "business_exporter_recount_drift",
    ):
        assert expected in names
    for junk in ("waqiti-payment-service", "service", "completed", "_total", "business_exporter_recount_total"):
        assert junk not in names


def test_the_upstream_lists_hold_one_valid_metric_name_per_line():
    lists = upstream_metrics()
    assert {"kube-state-metrics", "node-exporter", "cadvisor", "postgres-exporter", "redis-exporter",
            "kafka-exporter", "istio", "prometheus", "alertmanager"} <= set(lists)
    for exporter, names in lists.items():
        for name in names:
            assert metric_names(name) == {name}, (exporter, name)
            assert not is_recording_rule(name), (exporter, name)


def test_a_misspelt_metric_or_broken_query_is_caught(known_metrics):
    assert not metric_names('sum(rate(payment_transaction_totals{cluster=~"$cluster"}[5m]))') <= known_metrics
    with pytest.raises(Exception):
        parse('sum(rate(payment_transactions_total{cluster=~"$cluster"}[$__rate_interval])')
