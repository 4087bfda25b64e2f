"""Prometheus rules: rendered per stack, checked and unit-tested with the real promtool."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import requests
import yaml

from tests.alerting.conftest import ROOT, STACKS, require, run, settings_for
from model.urls import runbook_url
from render.rules import RUNBOOKS_DIR, iter_alerts
from render.slo import SloSpecError, load_slo_spec
from render.slo import _le as slo_le
from testsupport.prometheus import PrometheusServer, create_blocks_from_openmetrics

UNIT_TESTS = sorted((ROOT / "configs" / "prometheus" / "tests").glob("*.yml"))
SEVERITIES = {"critical", "warning", "info"}
REQUIRED_LABELS = ("severity", "team", "service")
REQUIRED_ANNOTATIONS = ("summary", "description", "runbook_url", "dashboard_url")
# Alerts that by design can never be quiet.
ALWAYS_FIRING = {"Watchdog"}
# Names the dashboards and the SLA reporter read (docs/metrics-contract.md).
CONTRACT_RECORDS = {f"slo:sli_error:ratio_rate{w}" for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")} | {
    "slo:objective:ratio",
    "slo:error_budget_remaining:ratio",
    "service:http_requests:rate5m",
    "service:http_request_errors:ratio_rate5m",
    "service:http_request_duration_seconds:p50_5m",
    "service:http_request_duration_seconds:p95_5m",
    "service:http_request_duration_seconds:p99_5m",
}


@pytest.mark.parametrize("stack", STACKS)
def test_promtool_check_rules(stack, rendered_rules):
    files = sorted(str(p) for p in rendered_rules[stack].glob("*.yml"))
    assert len(files) >= 9
    result = run(require("promtool"), "check", "rules", *files)
    assert "FAILED" not in result.stdout + result.stderr


@pytest.fixture(scope="session")
def unit_test_dir(rendered_rules, tmp_path_factory):
    """The promtool tests next to the rendered production rules. Annotations are dropped in this copy
    only: promtool compares annotations as a whole, and the per-stack links in them are checked by
    the tests below (their templates by `promtool check rules`)."""
    root = tmp_path_factory.mktemp("promtool-unit")
    (root / "rules").mkdir()
    for path in rendered_rules["production"].glob("*.yml"):
        document = yaml.safe_load(path.read_text())
        for group in document["groups"]:
            for rule in group["rules"]:
                rule.pop("annotations", None)
        (root / "rules" / path.name).write_text(yaml.safe_dump(document, sort_keys=False))
    shutil.copytree(ROOT / "configs" / "prometheus" / "tests", root / "tests")
    return root / "tests"


@pytest.mark.parametrize("test_file", [p.name for p in UNIT_TESTS])
def test_promtool_unit_tests(test_file, unit_test_dir):
    result = run(require("promtool"), "test", "rules", str(unit_test_dir / test_file), check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _unit_test_cases():
    """(alertname, firing?, expected label sets) of every alert_rule_test."""
    for path in UNIT_TESTS:
        for group in yaml.safe_load(path.read_text())["tests"]:
            for case in group.get("alert_rule_test", []) or []:
                expected = [alert.get("exp_labels", {}) for alert in case.get("exp_alerts") or []]
                yield case["alertname"], bool(expected), expected


def test_every_alert_has_a_firing_and_a_quiet_unit_test(rule_documents):
    alerts = {rule["alert"] for _, _, rule in iter_alerts(rule_documents["production"])}
    assert len(alerts) >= 30
    firing = {name for name, fires, _ in _unit_test_cases() if fires}
    quiet = {name for name, fires, _ in _unit_test_cases() if not fires}
    problems = [f"{name}: no unit test where it fires" for name in sorted(alerts - firing)]
    problems += [f"{name}: no unit test where it must stay quiet" for name in sorted(alerts - quiet - ALWAYS_FIRING)]
    problems += [f"{name}: unit test for an alert that does not exist" for name in sorted((firing | quiet) - alerts)]
    assert not problems, "\n".join(problems)


_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def cross_group_reads(documents: list[dict]) -> set[tuple[str, str]]:
    """(group that records a series, another group whose rule reads it) among these rule files."""
    recorded: dict[str, set[str]] = {}
    for document in documents:
        for group in document["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    recorded.setdefault(rule["record"], set()).add(group["name"])
    return {(source, group["name"]) for document in documents for group in document["groups"]
            for rule in group["rules"] for name in _NAME.findall(str(rule["expr"]))
            for source in recorded.get(name, ()) if source != group["name"]}


def test_cross_group_reads_are_found(rule_documents):
    """The check below sees the pairs it exists for (a renamed recording must not hide them)."""
    pairs = cross_group_reads(list(rule_documents["production"].values()))
    assert {("service-http", "payment-alerts"), ("service-http", "wallet-alerts"),
            ("slo-sli-payment", "slo-burn-rate-alerts"), ("slo-long-windows", "slo-burn-rate-alerts"),
            ("slo-sli-wallet", "slo-long-windows")} <= pairs, pairs


@pytest.mark.parametrize("test_file", [p.name for p in UNIT_TESTS])
def test_unit_tests_evaluate_recording_groups_before_their_readers(test_file, rule_documents):
    """promtool 3 evaluates the rule groups of a test in no fixed order at each step (unless told by
    `group_eval_order`), so a rule reading another group's recording would see this step's value or
    the previous one at random: every such pair is ordered, recording group first."""
    spec = yaml.safe_load((ROOT / "configs" / "prometheus" / "tests" / test_file).read_text())
    documents = [rule_documents["production"][Path(f).name] for f in spec["rule_files"]]
    order = spec.get("group_eval_order", [])
    problems = [f"{source} (records) must come before {reader} (reads) in group_eval_order"
                for source, reader in sorted(cross_group_reads(documents))
                if not (source in order and reader in order and order.index(source) < order.index(reader))]
    assert not problems, "\n".join(problems)


def test_every_burn_rate_rule_has_a_burn_rate_test(rule_documents):
    """Each generated SLOErrorBudgetBurn rule (service x SLO x window pair) fires in some test with its exact labels."""
    fired = [labels for name, _, expected in _unit_test_cases() if name == "SLOErrorBudgetBurn" for labels in expected]
    rules = [rule for _, _, rule in iter_alerts(rule_documents["production"]) if rule["alert"] == "SLOErrorBudgetBurn"]
    assert len(rules) == 16  # 2 services x 2 SLOs x 4 window pairs
    missing = [rule["labels"] for rule in rules if rule["labels"] not in fired]
    assert not missing, f"burn-rate rules never fired in a test: {missing}"


@pytest.mark.parametrize("stack", STACKS)
def test_every_alert_carries_the_required_labels_and_annotations(stack, rule_documents):
    problems = []
    for file, group, rule in iter_alerts(rule_documents[stack]):
        where = f"{file}/{group}/{rule['alert']}"
        labels, annotations = rule.get("labels", {}), rule.get("annotations", {})
        problems += [f"{where}: no label {key}" for key in REQUIRED_LABELS if not labels.get(key)]
        problems += [f"{where}: no annotation {key}" for key in REQUIRED_ANNOTATIONS if not annotations.get(key)]
        if labels.get("severity") not in SEVERITIES:
            problems.append(f"{where}: severity {labels.get('severity')!r} not in {sorted(SEVERITIES)}")
        if not re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["alert"]):
            problems.append(f"{where}: alert name is not PascalCase")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("stack", STACKS)
def test_links_are_per_stack_and_runbooks_exist(stack, rule_documents):
    settings = settings_for(stack)
    problems = []
    for file, _, rule in iter_alerts(rule_documents[stack]):
        name, annotations = rule["alert"], rule["annotations"]
        if annotations["runbook_url"] != runbook_url(settings, name):
            problems.append(f"{name}: runbook_url {annotations['runbook_url']}")
        page = RUNBOOKS_DIR / Path(annotations["runbook_url"]).name
        if not page.is_file():
            problems.append(f"{name}: runbook_url points to {page.relative_to(ROOT)}, which does not exist")
        if f"//{settings.grafana.host}/d/waqiti-" not in annotations["dashboard_url"]:
            problems.append(f"{name}: dashboard_url {annotations['dashboard_url']} is not on {settings.grafana.host}")
    assert not problems, "\n".join(sorted(set(problems)))


def test_every_runbook_page_has_the_sections_and_belongs_to_an_alert(rule_documents):
    alerts = {rule["alert"] for _, _, rule in iter_alerts(rule_documents["production"])}
    pages = {path.stem: path.read_text() for path in RUNBOOKS_DIR.glob("*.md")}
    problems = [f"docs/runbooks/{name}.md: no alert of that name" for name in sorted(set(pages) - alerts)]
    for name in sorted(alerts & set(pages)):
        for section in ("## Meaning", "## Impact", "## Diagnosis", "## Mitigation", "## Escalation"):
            if section not in pages[name]:
                problems.append(f"docs/runbooks/{name}.md: no '{section}' section")
    assert not problems, "\n".join(problems)


def test_remediation_runbooks_say_what_the_hook_does_and_how_to_undo_it():
    for name in ("WalletBalanceInconsistency", "KubernetesNodeNotReady", "DatabaseConnectionPoolHigh"):
        text = (RUNBOOKS_DIR / f"{name}.md").read_text()
        assert "## Auto-remediation" in text and "Undo" in text, name


def test_recording_rules_of_the_contract_exist(rule_documents):
    records = {
        rule["record"]
        for document in rule_documents["production"].values()
        for group in document["groups"]
        for rule in group["rules"]
        if "record" in rule
    }
    assert CONTRACT_RECORDS <= records, sorted(CONTRACT_RECORDS - records)


def test_latency_alert_thresholds_match_the_slo_spec(rule_documents):
    spec = load_slo_spec()
    alerts = {rule["alert"]: rule for _, _, rule in iter_alerts(rule_documents["production"])}
    for service, alert in (("payment", "PaymentLatencyHigh"), ("wallet", "WalletLatencyHigh")):
        threshold = float(alerts[alert]["expr"].rsplit(">", 1)[1])
        assert threshold == spec.services[service].latency.threshold_seconds, alert


def test_slo_expressions_use_the_threshold_buckets(rule_documents):
    text = yaml.safe_dump(rule_documents["production"]["slo.yml"])
    assert 'job="waqiti-payment-service",le="0.5"' in text
    assert 'job="waqiti-wallet-service",le="0.2"' in text
    assert "histogram_quantile" not in text


@pytest.mark.slow
def test_slo_bucket_selectors_match_the_le_values_prometheus_stores(tmp_path):
    """Prometheus 3 normalises a bucket's `le` as it ingests it (a client's "1" is stored as "1.0",
    "10" as "10.0"): the SLO rules must select the stored form, whatever the spec's number looks like."""
    thresholds = sorted({0.025, 0.2, 0.5, 1, 2.5, 10} | {s.latency.threshold_seconds for s in load_slo_spec().services.values()})
    at = 1_700_000_000
    lines = ["# TYPE latency_seconds histogram"]
    lines += [f'latency_seconds_bucket{{le="{bound:g}"}} 1 {at}' for bound in thresholds]  # as some clients write it
    lines += [f'latency_seconds_bucket{{le="+Inf"}} 1 {at}', f"latency_seconds_count 1 {at}", f"latency_seconds_sum 1 {at}", "# EOF"]
    create_blocks_from_openmetrics("\n".join(lines) + "\n", tmp_path / "data")
    with PrometheusServer(data_dir=tmp_path / "data") as prometheus:
        result = requests.get(f"{prometheus.url}/api/v1/query", params={"query": "latency_seconds_bucket", "time": at},
                              timeout=10).json()["data"]["result"]
    stored = {series["metric"]["le"] for series in result}
    assert "1.0" in stored and "1" not in stored  # the normalisation this guards against is real
    assert {slo_le(threshold) for threshold in thresholds} <= stored


def _spec_with(tmp_path, edit) -> Path:
    data = yaml.safe_load((ROOT / "configs" / "slo.yml").read_text())
    edit(data)
    path = tmp_path / "slo.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_slo_spec_rejects_an_availability_over_100_naming_service_and_field(tmp_path):
    path = _spec_with(tmp_path, lambda d: d["services"]["wallet"].update(availability=101))
    with pytest.raises(SloSpecError) as error:
        load_slo_spec(path)
    assert "services.wallet.availability" in str(error.value)
    assert "101" in str(error.value)


def test_slo_spec_rejects_an_error_rate_that_contradicts_availability(tmp_path):
    path = _spec_with(tmp_path, lambda d: d["services"]["payment"].update(error_rate=0.2))
    with pytest.raises(SloSpecError, match=r"services\.payment: .*error_rate 0\.2% contradicts availability 99\.9%"):
        load_slo_spec(path)


def test_slo_spec_rejects_unknown_fields_and_unrecorded_windows(tmp_path):
    path = _spec_with(tmp_path, lambda d: (d["services"]["payment"].update(availabilty=99.9), d["burn_rate_alerts"][0].update(long_window="4h")))
    with pytest.raises(SloSpecError) as error:
        load_slo_spec(path)
    assert "services.payment.availabilty" in str(error.value)
    assert "burn_rate_alerts.0.long_window" in str(error.value)


def test_the_shipped_slo_spec_is_the_spec(rule_documents):
    spec = load_slo_spec()
    assert {name: s.objectives() for name, s in spec.services.items()} == {
        "payment": {"availability": 0.999, "latency": 0.95},
        "wallet": {"availability": 0.9995, "latency": 0.95},
    }
    assert [(a.long_window, a.short_window, a.factor, a.severity) for a in spec.burn_rate_alerts] == [
        ("1h", "5m", 14.4, "critical"),
        ("6h", "30m", 6, "critical"),
        ("1d", "2h", 3, "warning"),
        ("3d", "6h", 1, "warning"),
    ]
