"""The parts agree: dashboards read recording rules that exist and link alerts that exist; alerts link dashboards that exist."""

from __future__ import annotations

import json
import re

import yaml

import exporter
from model.endpoints import EXPORTER
from render.dashboards import alerts as dashboard_alerts
from render.dashboards.queries import expressions, is_recording_rule, metric_names, panels


def rules_of(rendered_dir):
    groups = []
    for path in sorted((rendered_dir / "prometheus" / "rules").glob("*.yml")):
        groups += yaml.safe_load(path.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboards_of(rendered_dir):
    return [json.loads(path.read_text()) for path in sorted((rendered_dir / "grafana" / "dashboards").rglob("*.json"))]


def test_every_recording_rule_a_dashboard_reads_exists(rendered):
    recorded = {rule["record"] for rule in rules_of(rendered["production"]) if "record" in rule}
    used = {
        metric
        for dashboard in dashboards_of(rendered["production"])
        for panel in panels(dashboard)
        for expr in expressions(panel)
        for metric in metric_names(expr)
        if is_recording_rule(metric)
    }
    assert used, "the dashboards read recording rules"
    assert sorted(used - recorded) == []


def test_every_alert_a_dashboard_links_exists(rendered):
    alerts = {rule["alert"] for rule in rules_of(rendered["production"]) if "alert" in rule}
    linked = {value for name, value in vars(dashboard_alerts).items() if name.isupper() and isinstance(value, str)}
    assert len(linked) > 8
    assert sorted(linked - alerts) == []


def test_every_dashboard_an_alert_links_exists(rendered):
    uids = {dashboard["uid"] for dashboard in dashboards_of(rendered["production"])}
    linked = set()
    for rule in rules_of(rendered["production"]):
        if "alert" in rule:
            match = re.search(r"/d/([A-Za-z0-9_-]+)", rule["annotations"]["dashboard_url"])
            assert match, rule["alert"]
            linked.add(match.group(1))
    assert sorted(linked - uids) == []


def test_the_exporter_serves_by_default_on_the_port_the_stack_gives_it():
    # The image's health check asks the default port; the Deployment, its Service, the NetworkPolicy
    # and the scrape job use the endpoints table's. The exporter may not import the model (its image
    # carries no more than exporter/), so the two are held together here.
    assert exporter.DEFAULT_PORT == EXPORTER.port
