"""The rendered prometheus.yml: accepted by promtool, every target family of the spec, limits and PII drop on every job."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from render.prometheus_config import FALLBACK_SCRAPE_PROTOCOL, PII_LABELS
from testsupport.pinned_tools import binary
from tests.conftest import STACKS
from testsupport.prometheus import checkable_copy

SPEC_JOBS = {
    "kubernetes-apiservers", "kubernetes-nodes", "kubernetes-cadvisor", "kube-state-metrics",
    "waqiti-payment-service", "waqiti-wallet-service", "waqiti-user-service", "waqiti-fraud-service",
    "waqiti-business-metrics-exporter", "postgres-exporter", "redis-exporter", "kafka-exporter", "istio-mesh",
    "kubernetes-pods", "kubernetes-services", "prometheus", "alertmanager", "grafana", "node-exporter", "blackbox",
}


def promtool_check_config(path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary("promtool"), "check", "config", *flags, str(path)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("stack", STACKS)
def test_promtool_accepts_the_rendered_config_as_deployed(rendered, stack):
    """The file exactly as the ConfigMap carries it: syntax, Kubernetes discovery, relabelling, limits."""
    config = yaml.safe_load((rendered[stack] / "prometheus" / "prometheus.yml").read_text())
    assert sum("kubernetes_sd_configs" in job for job in config["scrape_configs"]) >= 10
    result = promtool_check_config(rendered[stack] / "prometheus" / "prometheus.yml", "--syntax-only")
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize("stack", STACKS)
def test_promtool_accepts_the_rendered_config_with_its_files_and_rules(rendered, stack, tmp_path):
    config = yaml.safe_load((rendered[stack] / "prometheus" / "prometheus.yml").read_text())
    rules_dir = rendered[stack] / "prometheus" / "rules"
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(checkable_copy(config, rules_dir, tmp_path)))
    result = promtool_check_config(path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(list(rules_dir.glob('*.yml')))} rule files found" in result.stdout


@pytest.mark.parametrize("broken", [
    "global:\n  scrape_interval: 15x\n",
    # Kubernetes discovery is checked too, not skipped
    "scrape_configs:\n  - job_name: x\n    kubernetes_sd_configs:\n      - role: pods-and-nodes\n",
    # a flag of Prometheus 2 written as a config key
    "scrape_configs:\n  - job_name: x\n    scrape_classic_histograms: true\n    static_configs: [{targets: ['127.0.0.1:9']}]\n",
    "scrape_configs:\n  - job_name: x\n    fallback_scrape_protocol: text\n    static_configs: [{targets: ['127.0.0.1:9']}]\n",
])
def test_promtool_would_reject_a_broken_config(tmp_path, broken):
    path = tmp_path / "prometheus.yml"
    path.write_text(broken)
    assert promtool_check_config(path, "--syntax-only").returncode != 0


@pytest.mark.parametrize("stack", STACKS)
def test_every_target_family_every_limit_and_the_pii_drop(rendered, stack):
    config = yaml.safe_load((rendered[stack] / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == SPEC_JOBS
    for name, job in jobs.items():
        assert job["sample_limit"] >= 1000 and job["label_limit"] == 64, name
        assert job["fallback_scrape_protocol"] == FALLBACK_SCRAPE_PROTOCOL, name
        assert {"action": "labeldrop", "regex": PII_LABELS} in job["metric_relabel_configs"], name


@pytest.mark.parametrize(
    "label, dropped",
    [("email", True), ("customer_email", True), ("card_number", True), ("phone", True), ("user_id", True), ("userid", True),
     ("account_number", True), ("iban", True), ("Email", True),
     ("user.email", True), ("customer.user_id", True), ("payment.currency", False),
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
