"""Every scrape job the rules and dashboards read has an alert when it is gone (scrape-job-owners.yml).

- The list is complete: a rule or panel that reads a job (a `job` matcher, or a metric from the
  job's upstream list) whose job is not listed fails here.
- Each generated ScrapeJobDown, and each `covered_by` alert, fires under the real promtool when the
  job's targets are absent and when all are down, and stays quiet while one answers.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from render.dashboards import render_dashboards
from render.dashboards.queries import expressions, panels, selectors, selector_name
from render.job_absence import ALERT, FOR, JobOwner, load_job_owners
from render.prometheus_config import scrape_configs
from render.rules import iter_alerts
from tests.alerting.conftest import ROOT, require, run, settings_for
from tests.dashboards.metric_catalogue import upstream_metrics

OWNERS = load_job_owners()
SETTINGS = settings_for("production")
# Series Prometheus makes itself (per scrape, per alert): they belong to no job.
SYNTHESISED = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds", "scrape_samples_scraped"}


def _job_names() -> list[str]:
    return [job["job_name"] for job in scrape_configs(SETTINGS)]


def _expressions(rule_documents) -> list[tuple[str, str]]:
    """(where, PromQL) of every rule and every dashboard panel of production."""
    found = []
    for name, document in rule_documents["production"].items():
        for group in document["groups"]:
            for rule in group["rules"]:
                found.append((f"{name}/{rule.get('alert') or rule.get('record')}", rule["expr"]))
    for folder, files in render_dashboards(SETTINGS).items():
        for file, text in files.items():
            for panel in panels(json.loads(text)):
                found += [(f"{folder}/{file}/{panel['title']}", expr) for expr in expressions(panel)]
    return found


def _jobs_read(expr: str, job_names: list[str], metric_jobs: dict[str, set[str]]) -> set[str]:
    jobs = set()
    for selector in selectors(expr):
        matchers = [m for m in selector.matchers.matchers if m.name == "job"]
        for matcher in matchers:
            op = str(matcher.op).rsplit(".", 1)[-1]
            if op == "Equal":
                jobs.add(matcher.value)
            elif op == "Re":
                jobs |= {name for name in job_names if re.fullmatch(matcher.value, name)}
            # a negative matcher (job!=, job!~) names no job it depends on
        if not matchers:
            jobs |= metric_jobs.get(selector_name(selector), set())
    return jobs


def test_every_job_a_rule_or_panel_reads_has_an_owner(rule_documents):
    listed = {owner.job for owner in OWNERS}
    lists = upstream_metrics()
    metric_jobs: dict[str, set[str]] = {}
    for owner in OWNERS:
        if owner.metrics:
            assert owner.metrics in lists, f"{owner.job}: no configs/upstream-metrics/{owner.metrics}.txt"
            for metric in lists[owner.metrics] - SYNTHESISED:
                metric_jobs.setdefault(metric, set()).add(owner.job)
    # A list whose header names a job must be the metrics of a listed job (so the map is complete).
    for name in lists:
        header = (ROOT / "configs" / "upstream-metrics" / f"{name}.txt").read_text().splitlines()[0]
        job = re.search(r"\(job ([\w-]+)\)", header)
        if job:
            assert any(o.job == job.group(1) and o.metrics == name for o in OWNERS), f"{name}.txt: job {job.group(1)} not listed with metrics: {name}"
    names = _job_names()
    missing = {}
    for where, expr in _expressions(rule_documents):
        for job in _jobs_read(expr, names, metric_jobs) - listed:
            missing.setdefault(job, where)
    assert not missing, f"jobs read but not in scrape-job-owners.yml: {missing}"
    # and the reading is real: the common dependencies are found
    assert {"kube-state-metrics", "node-exporter", "postgres-exporter", "kafka-exporter", "istio-mesh",
            "waqiti-payment-service", "waqiti-user-service"} <= {
        job for _, expr in _expressions(rule_documents) for job in _jobs_read(expr, names, metric_jobs)}


def test_every_listed_job_is_a_scrape_job():
    assert sorted({owner.job for owner in OWNERS} - set(_job_names())) == []


def test_a_listed_job_missing_its_team_or_listed_twice_is_refused(tmp_path):
    path = tmp_path / "owners.yml"
    path.write_text("jobs:\n  - {job: redis-exporter, team: database}\n")
    with pytest.raises(ValueError, match=r"jobs\[0\] \(redis-exporter\): expected a team and a severity"):
        load_job_owners(path)
    path.write_text("jobs:\n  - {job: a, covered_by: X}\n  - {job: a, covered_by: Y}\n")
    with pytest.raises(ValueError, match="job listed twice: a"):
        load_job_owners(path)
    path.write_text("jobs:\n  - {job: a, covered_by: X, owner: me}\n")
    with pytest.raises(ValueError, match=r"unknown keys \['owner'\]"):
        load_job_owners(path)


def _case(owner: JobOwner, alerts: dict[str, dict]) -> dict:
    """promtool cases for one job: absent, all down, one of two down."""
    name = owner.covered_by or ALERT
    rule = next(r for r in alerts[name] if f'up{{job="{owner.job}"}}' in r["expr"])
    labels = {k: v for k, v in rule["labels"].items()}
    wait = rule.get("for", "0m")
    amount, unit = re.fullmatch(r"(\d+)([sm])", wait).groups()
    minutes = -(-int(amount) * {"s": 1, "m": 60}[unit] // 60) + 2  # the wait, rounded up, and 2 more
    at = f"{minutes}m"
    # every other listed job healthy, so that only this one can fire
    healthy = [{"series": f'up{{job="{o.job}", instance="x"}}', "values": f"1x{minutes + 2}"} for o in OWNERS if o is not owner]
    return {
        "interval": "1m",
        "input_series": [
            *healthy,
            {"series": f'up{{job="{owner.job}", instance="a"}}', "values": f"_x{minutes + 2}"},  # absent at first
        ],
        "alert_rule_test": [{"eval_time": at, "alertname": name,
                             "exp_alerts": [{"exp_labels": {**labels, "job": owner.job}}]}],
    }, {
        "interval": "1m",
        "input_series": [
            *healthy,
            {"series": f'up{{job="{owner.job}", instance="a"}}', "values": f"0x{minutes + 2}"},
            {"series": f'up{{job="{owner.job}", instance="b"}}', "values": f"0x{minutes + 2}"},
        ],
        "alert_rule_test": [{"eval_time": at, "alertname": name,
                             "exp_alerts": [{"exp_labels": {**labels, "job": owner.job}}]}],
    }, {
        "interval": "1m",
        "input_series": [
            *healthy,
            {"series": f'up{{job="{owner.job}", instance="a"}}', "values": f"0x{minutes + 2}"},
            {"series": f'up{{job="{owner.job}", instance="b"}}', "values": f"1x{minutes + 2}"},
        ],
        "alert_rule_test": [{"eval_time": at, "alertname": name, "exp_alerts": []}],
    }


@pytest.mark.parametrize("owner", OWNERS, ids=[o.job for o in OWNERS])
def test_the_absence_alert_of_each_job_fires_when_absent_or_all_down_and_not_otherwise(owner, rendered_rules, tmp_path):
    alerts: dict[str, list[dict]] = {}
    documents = {p.name: yaml.safe_load(p.read_text()) for p in rendered_rules["production"].glob("*.yml")}
    for _, _, rule in iter_alerts(documents):
        alerts.setdefault(rule["alert"], []).append(rule)
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    for name, document in documents.items():
        for group in document["groups"]:
            for rule in group["rules"]:
                rule.pop("annotations", None)  # per-stack links; checked in test_rules
        (rules_dir / name).write_text(yaml.safe_dump(document, sort_keys=False))
    test = {"rule_files": [str(p) for p in sorted(rules_dir.glob("*.yml"))], "evaluation_interval": "1m",
            "tests": list(_case(owner, alerts))}
    path = tmp_path / "absence-test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    result = run(require("promtool"), "test", "rules", str(path), check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_alerts_carry_the_owner_and_a_wait_per_severity(rule_documents):
    generated = [rule for _, _, rule in iter_alerts(rule_documents["production"]) if rule["alert"] == ALERT]
    expected = {o.job: o for o in OWNERS if o.covered_by is None}
    assert sorted(rule["labels"]["service"] for rule in generated) == sorted(expected)
    for rule in generated:
        owner = expected[rule["labels"]["service"]]
        assert (rule["labels"]["team"], rule["labels"]["severity"], rule["for"]) == (owner.team, owner.severity, FOR[owner.severity])
