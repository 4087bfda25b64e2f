"""The parts every dashboard shares: datasource, variables, units, annotations, thresholds, runbook links."""

from __future__ import annotations

import json

from render.dashboards import alerts, render_dashboards
from render.dashboards.queries import expressions, panels, variable_references
from render.dashboards.targets import PAYMENT, SLA_SERVICES, WALLET

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


def test_spec_sla_targets():
    assert (PAYMENT.service, PAYMENT.availability, PAYMENT.max_error_rate, PAYMENT.p95_latency_seconds) == (
        "payment", 0.999, 0.001, 0.5)
    assert (WALLET.service, WALLET.availability, WALLET.max_error_rate, WALLET.p95_latency_seconds) == (
        "wallet", 0.9995, 0.0005, 0.2)


def test_datasource_variable_comes_first_and_selects_the_provisioned_prometheus(dashboards):
    for dashboard in dashboards:
        variable = dashboard["templating"]["list"][0]
        assert (variable["name"], variable["type"], variable["query"]) == ("datasource", "datasource", "prometheus")
        assert variable["current"]["value"] == "prometheus", dashboard["uid"]


def test_every_panel_and_query_variable_uses_the_datasource_variable(dashboards):
    for dashboard in dashboards:
        for panel in panels(dashboard):
            assert panel["datasource"] == DATASOURCE, (dashboard["uid"], panel["title"])
        for variable in dashboard["templating"]["list"]:
            if variable["type"] == "query":
                assert variable["datasource"] == DATASOURCE, (dashboard["uid"], variable["name"])


def test_every_dashboard_has_a_cluster_variable_whose_all_matches_a_missing_label(dashboards):
    for dashboard in dashboards:
        cluster = {v["name"]: v for v in dashboard["templating"]["list"]}["cluster"]
        assert cluster["includeAll"] and cluster["allValue"] == ".*", dashboard["uid"]


def test_every_variable_is_used_and_every_used_variable_is_defined(dashboards):
    for dashboard in dashboards:
        defined = {variable["name"] for variable in dashboard["templating"]["list"]}
        texts = [expr for panel in panels(dashboard) for expr in expressions(panel)]
        texts += [a["expr"] for a in dashboard["annotations"]["list"]]
        texts += [v["query"] for v in dashboard["templating"]["list"] if v["type"] == "query"]
        texts += [json.dumps(panel["datasource"]) for panel in panels(dashboard)]
        used = set().union(*(variable_references(text) for text in texts))
        assert used <= defined, f"{dashboard['uid']}: undefined {used - defined}"
        assert defined <= used, f"{dashboard['uid']}: unused {defined - used}"


def test_every_panel_has_a_unit_and_a_description(dashboards):
    for dashboard in dashboards:
        for panel in panels(dashboard):
            assert panel["fieldConfig"]["defaults"].get("unit"), (dashboard["uid"], panel["title"])
            assert panel.get("description"), (dashboard["uid"], panel["title"])


def test_every_dashboard_annotates_firing_alerts(dashboards):
    for dashboard in dashboards:
        annotations = dashboard["annotations"]["list"]
        assert any(
            a["enable"] and a["datasource"] == DATASOURCE and a["expr"].startswith("ALERTS{")
            and 'alertstate="firing"' in a["expr"]
            for a in annotations
        ), dashboard["uid"]


def _steps(panel: dict) -> list[tuple[float | None, str]]:
    return [(step["value"], step["color"]) for step in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]


def _serving(panel: dict, rule: str, *matchers: str) -> bool:
    return any(rule + "{" in expr and all(m in expr for m in matchers) for expr in expressions(panel))


def _expected_step(panel: dict, sla) -> tuple[float, str] | None:
    """The threshold step an SLA panel must have: where it turns red (limits) or green (targets)."""
    service = f'service="{sla.service}"'
    if _serving(panel, "service:http_request_duration_seconds:p95_5m", service):
        return (sla.p95_latency_seconds, "red")
    if _serving(panel, "service:http_request_errors:ratio_rate5m", service):
        return (sla.max_error_rate, "red")
    if "burn rate" in panel["title"]:
        return None  # burn rates are relative to the objective: 1 is the limit whatever the service
    for window in ("30d", "1h"):
        if _serving(panel, f"slo:sli_error:ratio_rate{window}", service, 'slo="availability"'):
            return (sla.availability, "green")
    if _serving(panel, "slo:sli_error:ratio_rate30d", service, 'slo="latency"'):
        return (sla.latency_objective, "green")
    return None


def test_sla_panels_are_coloured_at_their_service_targets(dashboards):
    checked = 0
    for dashboard in dashboards:
        for panel in panels(dashboard):
            for sla in SLA_SERVICES:
                expected = _expected_step(panel, sla)
                if expected:
                    assert expected in _steps(panel), (dashboard["uid"], panel["title"], _steps(panel))
                    checked += 1
    # SLA Compliance shows each of these panels for both services, and each service dashboard for its own.
    assert checked >= 20


def _runbook_urls(dashboard: dict) -> set[str]:
    urls = {link["url"] for panel in panels(dashboard) for link in panel.get("links", [])}
    urls |= {link["url"] for panel in panels(dashboard) for link in panel["fieldConfig"]["defaults"].get("links", [])}
    return urls


def test_every_alert_a_panel_watches_links_to_its_runbook(settings, dashboards):
    base = settings.alerting.runbook_base_url.rstrip("/")
    linked = set()
    for dashboard in dashboards:
        for url in _runbook_urls(dashboard):
            assert url.startswith(base + "/") and url.endswith(".md"), url
            linked.add(url.removeprefix(base + "/").removesuffix(".md"))
    names = {value for key, value in vars(alerts).items() if key.isupper() and isinstance(value, str)}
    assert names <= linked, f"alerts no panel links to: {names - linked}"
    assert "${__data.fields.alertname}" in linked  # the firing-alerts tables link each row


def test_runbook_links_follow_the_stack_setting(settings):
    moved = settings.model_copy(
        update={"alerting": settings.alerting.model_copy(update={"runbook_base_url": "https://wiki.waqiti.test/rb"})}
    )
    text = render_dashboards(moved)["operational"]["waqiti-payment-service.json"]
    assert "https://wiki.waqiti.test/rb/PaymentServiceDown.md" in text
    assert settings.alerting.runbook_base_url not in text
