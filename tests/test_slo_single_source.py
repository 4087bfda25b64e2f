"""configs/slo.yml is the one source of the objectives: rules, dashboards and reports move together."""

from __future__ import annotations

import json

import yaml

from model.settings import settings_for_stack
from model.slo import SLO_FILE, load_slo_spec
from render.content import render_content
from reporter.targets import load_targets


def objective(content, service: str, slo: str) -> str:
    rules = yaml.safe_load(content.prometheus.rules["slo.yml"])
    (expr,) = [
        rule["expr"]
        for group in rules["groups"]
        for rule in group["rules"]
        if rule.get("record") == "slo:objective:ratio" and rule["labels"] == {"service": service, "slo": slo}
    ]
    return expr


def titles(dashboard_json: str) -> list[str]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("title"), str):
                found.append(node["title"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(dashboard_json))
    return found


def report_targets(content, tmp_path, name: str):
    ((file, text),) = content.reporting.config.items()
    path = tmp_path / name / file
    path.parent.mkdir()
    path.write_text(text)
    return load_targets(path)


def test_changing_an_objective_once_moves_rules_dashboards_and_reports(tmp_path):
    spec = yaml.safe_load(SLO_FILE.read_text())
    spec["services"]["payment"]["availability"] = 99.5
    spec["services"]["payment"]["error_rate"] = 0.5
    changed = tmp_path / "slo.yml"
    changed.write_text(yaml.safe_dump(spec, sort_keys=False))
    settings = settings_for_stack("production")

    before, after = render_content(settings), render_content(settings, load_slo_spec(changed))

    assert objective(before, "payment", "availability") == "vector(0.999)"
    assert objective(after, "payment", "availability") == "vector(0.995)"
    assert objective(after, "wallet", "availability") == objective(before, "wallet", "availability")

    board = "waqiti-sla-compliance.json"
    row = "Payment service: availability ≥ {}%, errors ≤ {}%, P95 < 500ms"
    assert row.format("99.9", "0.1") in titles(before.grafana.dashboards["executive"][board])
    assert row.format("99.5", "0.5") in titles(after.grafana.dashboards["executive"][board])

    old, new = report_targets(before, tmp_path, "before"), report_targets(after, tmp_path, "after")
    assert (old.services["payment"].availability, old.services["payment"].error_rate) == (0.999, 0.001)
    assert (new.services["payment"].availability, new.services["payment"].error_rate) == (0.995, 0.005)
    assert new.services["wallet"] == old.services["wallet"]


def test_the_paging_rota_is_the_teams_the_paging_rules_carry(tmp_path):
    content = render_content(settings_for_stack("production"))
    rules = {name: yaml.safe_load(text) for name, text in content.prometheus.rules.items()}
    paging_teams = {
        rule["labels"]["team"]
        for document in rules.values()
        for group in document["groups"]
        for rule in group["rules"]
        if "alert" in rule and rule["labels"].get("severity") == "critical"
    }
    targets = report_targets(content, tmp_path, "rota")
    assert set(targets.paging.teams) == paging_teams
    # The drift this replaced: the rules say `payment`, a hand-written rota said `payments`.
    assert "payment" in targets.paging.teams and "payments" not in targets.paging.teams
    assert {"sre", "operations"} <= set(targets.paging.teams)
