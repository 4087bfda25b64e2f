"""The rendered prometheus.yml: accepted by promtool, every target family of the spec, limits and PII drop on every job."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from render.prometheus_config import PII_LABELS
from tests.conftest import STACKS
from testsupport.prometheus import checkable_copy

SPEC_JOBS = {
    "kubernetes-apiservers", "kubernetes-nodes", "kubernetes-cadvisor", "kube-state-metrics",
    "waqiti-payment-service", "waqiti-wallet-service", "waqiti-user-service", "waqiti-fraud-service",
    "waqiti-business-metrics-exporter", "postgres-exporter", "redis-exporter", "kafka-exporter", "istio-mesh",
    "kubernetes-pods", "kubernetes-services", "prometheus", "alertmanager", "grafana", "node-exporter", "blackbox",
}


@pytest.mark.parametrize("stack", STACKS)
def test_promtool_accepts_the_rendered_config(rendered, stack, tmp_path):
    config = yaml.safe_load((rendered[stack] / "prometheus" / "prometheus.yml").read_text())
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(checkable_copy(config, rendered[stack] / "prometheus" / "rules", tmp_path)))
    result = subprocess.run(["promtool", "check", "config", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_would_reject_a_broken_config(tmp_path):
    path = tmp_path / "prometheus.yml"
    path.write_text("global:\n  scrape_interval: 15x\n")
    assert subprocess.run(["promtool", "check", "config", str(path)], capture_output=True).returncode != 0


@pytest.mark.parametrize("stack", STACKS)
def test_every_target_family_every_limit_and_the_pii_drop(rendered, stack):
    config = yaml.safe_load((rendered[stack] / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == SPEC_JOBS
    for name, job in jobs.items():
        assert job["sample_limit"] >= 1000 and job["label_limit"] == 64, name
        assert {"action": "labeldrop", "regex": PII_LABELS} in job["metric_relabel_configs"], name


@pytest.mark.parametrize(
    "label, dropped",
    [("email", True), ("customer_email", True), ("card_number", True), ("phone", True), ("user_id", True), ("userid", True),
     ("account_number", True), ("iban", True), ("Email", True),
     ("status", False), ("currency", False), ("payment_method", False), ("service", False), ("namespace", False),
     ("instance", False), ("job", False), ("__name__", False), ("kyc_status", False), ("model_version", False), ("le", False)],
)
def test_pii_label_pattern(label, dropped):
    # Prometheus anchors relabel regexes; Python's fullmatch is the same anchoring (RE2 and re agree here).
    assert bool(re.fullmatch(PII_LABELS, label)) is dropped


def test_every_spec_business_label_survives():
    business_labels = {"status", "currency", "payment_method", "user_type", "operation_type", "change_type", "source",
                       "fee_type", "direction", "timeframe", "kyc_status", "risk_level", "model_version", "detection_type"}
    assert not [label for label in business_labels if re.fullmatch(PII_LABELS, label)]
