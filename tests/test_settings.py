"""Settings: every bad value fails before anything is created, naming the key and what was expected."""

from __future__ import annotations

import pytest
import yaml

from model.settings import SettingsError, parse, settings_for_stack
from tools import pulumi_project
from tools.pulumi_engine import placeholder_secrets, run_program
from tests.conftest import ROOT, STACKS

BASE = {"environment": "production", "clusterName": "waqiti-production", "grafanaDatabaseHost": "db.example.com"}


def problems(**overrides) -> str:
    with pytest.raises(SettingsError) as caught:
        parse({**BASE, **overrides})
    return str(caught.value)


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("prometheusRetention", "30x", "waqiti-monitoring:prometheusRetention: expected a Prometheus duration"),
        ("prometheusReplicas", "0", "waqiti-monitoring:prometheusReplicas: Input should be greater than or equal to 1"),
        ("alertmanagerReplicas", "-1", "waqiti-monitoring:alertmanagerReplicas: Input should be greater than or equal to 1"),
        ("grafanaHost", "not a host", "waqiti-monitoring:grafanaHost: expected a DNS name"),
        ("prometheusHost", "Prometheus_Host", "waqiti-monitoring:prometheusHost: expected a DNS name"),
        ("prometheusStorageSize", "lots", "waqiti-monitoring:prometheusStorageSize: expected a Kubernetes quantity"),
        ("prometheusImage", "quay.io/prometheus/prometheus:latest", "waqiti-monitoring:prometheusImage: expected an image pinned to a version"),
        ("prometheusImage", "quay.io/prometheus/prometheus", "waqiti-monitoring:prometheusImage: expected an image pinned"),
        ("networkApiServerCidrs", '["10.0.0.1/33"]', "waqiti-monitoring:networkApiServerCidrs: expected a CIDR block"),
        ("environment", "prod", "waqiti-monitoring:environment: Input should be 'production', 'staging' or 'dev'"),
        ("ingressTlsMode", "secret", "ingressTlsSecretName: required when ingressTlsMode is 'secret'"),
        ("smtpSmarthost", "smtp.example.com", "smtpSmarthost: expected host:port"),
        ("smtpSender", "monitoring", "waqiti-monitoring:smtpSender: expected an email address"),
        ("prometheusRemoteWriteUrl", "ftp://thanos", "waqiti-monitoring:prometheusRemoteWriteUrl: expected an http(s) URL"),
    ],
)
def test_bad_value_names_the_key_and_the_expectation(key, value, expected):
    assert expected in problems(**{key: value})


def test_a_misspelled_key_is_an_error_with_a_suggestion():
    message = problems(promethusReplicas="2")
    assert "waqiti-monitoring:promethusReplicas: unknown setting; did you mean waqiti-monitoring:prometheusReplicas?" in message


def test_required_keys_are_named_when_missing():
    with pytest.raises(SettingsError) as caught:
        parse({"environment": "dev"})
    assert "waqiti-monitoring:clusterName: required, not set" in str(caught.value)


def test_grafana_replicas_need_a_database():
    message = problems(grafanaDatabaseHost="", grafanaReplicas="2")
    assert "grafanaReplicas: more than 1 replica needs grafanaDatabaseHost" in message


def test_every_problem_is_reported_at_once():
    message = problems(prometheusRetention="30x", prometheusReplicas="0", grafanaHost="bad host")
    assert message.count("\n  - ") == 3


@pytest.mark.parametrize("stack", STACKS)
def test_stack_files_are_valid(stack):
    settings = settings_for_stack(stack)
    assert settings.environment == stack


def test_production_values_follow_the_spec():
    prometheus = settings_for_stack("production").prometheus
    assert (prometheus.scrape_interval, prometheus.evaluation_interval, prometheus.retention) == ("15s", "15s", "30d")
    assert (prometheus.storage_size, prometheus.memory_request, prometheus.memory_limit) == ("100Gi", "2Gi", "4Gi")
    assert (prometheus.cpu_request, prometheus.cpu_limit, prometheus.max_concurrent_queries, prometheus.query_timeout) == ("500m", "2000m", 20, "2m")
    settings = settings_for_stack("production")
    assert settings.cluster_name == "waqiti-production"
    grafana, alertmanager = settings.grafana, settings.alertmanager
    assert (grafana.storage_size, grafana.memory_request, grafana.memory_limit, grafana.cpu_request, grafana.cpu_limit) == ("20Gi", "512Mi", "1Gi", "200m", "500m")
    assert (alertmanager.storage_size, alertmanager.memory_request, alertmanager.memory_limit, alertmanager.cpu_request, alertmanager.cpu_limit) == ("10Gi", "256Mi", "512Mi", "100m", "200m")
    assert (prometheus.replicas, alertmanager.replicas, grafana.replicas) == (2, 3, 2)


def test_dev_is_a_single_node_stack():
    settings = settings_for_stack("dev")
    assert (settings.prometheus.replicas, settings.alertmanager.replicas, settings.grafana.replicas) == (1, 1, 1)
    assert settings.ingress.tls_mode == "none"


def test_a_missing_required_secret_fails_before_anything_is_created():
    secrets = placeholder_secrets()
    del secrets["exporterDatabasePassword"]
    with pytest.raises(SettingsError) as caught:
        run_program("production", secrets=secrets)
    assert "waqiti-monitoring:exporterDatabasePassword: required secret not set" in str(caught.value)
    assert "pulumi config set --secret exporterDatabasePassword" in str(caught.value)


def test_a_secret_stored_in_plain_text_is_refused():
    secrets = placeholder_secrets()
    del secrets["slackWebhookUrl"]
    with pytest.raises(SettingsError) as caught:
        run_program("production", overrides={"slackWebhookUrl": "https://hooks.slack.com/services/T/B/X"}, secrets=secrets)
    assert "waqiti-monitoring:slackWebhookUrl: holds a secret but is stored in plain text" in str(caught.value)


def test_bad_settings_create_no_resource():
    from tools import pulumi_engine

    created = []
    original = pulumi_engine.RecordingMocks.new_resource
    pulumi_engine.RecordingMocks.new_resource = lambda self, args: created.append(args.typ) or original(self, args)
    try:
        with pytest.raises(SettingsError):
            run_program("production", overrides={"prometheusRetention": "30x"})
    finally:
        pulumi_engine.RecordingMocks.new_resource = original
    assert created == []


def test_pulumi_yaml_declares_every_setting_as_generated():
    assert (ROOT / "Pulumi.yaml").read_text() == pulumi_project.render(), "run `python -m tools.pulumi_project`"
    config = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert config["prometheusReplicas"] == {"type": "integer", "description": config["prometheusReplicas"]["description"], "default": 2}
    assert config["alertingPagerdutyEnabled"]["type"] == "boolean"
    assert config["networkApiServerCidrs"]["type"] == "array"
    assert all(entry["description"] for key, entry in config.items() if not key.startswith("alerting")), "every setting is described"


def test_readme_settings_table_is_up_to_date():
    from tools import settings_table

    readme = (ROOT / "README.md").read_text()
    assert readme == settings_table.rewrite(readme), "run `python -m tools.settings_table`"
    assert "| `prometheusReplicas` | integer | `2` | `2` | `1` | `1` |" in readme


def test_a_bad_slo_target_fails_before_any_resource(tmp_path, monkeypatch):
    from model import slo
    from tools import pulumi_engine

    spec = yaml.safe_load(slo.SLO_FILE.read_text())
    spec["services"]["payment"]["availability"] = 101
    bad = tmp_path / "slo.yml"
    bad.write_text(yaml.safe_dump(spec))
    monkeypatch.setattr(slo, "SLO_FILE", bad)
    created = []
    original = pulumi_engine.RecordingMocks.new_resource
    monkeypatch.setattr(pulumi_engine.RecordingMocks, "new_resource", lambda self, args: created.append(args.typ) or original(self, args))
    with pytest.raises(slo.SloSpecError, match="services.payment.availability"):
        run_program("production")
    assert created == []


def test_an_oversized_dashboard_folder_is_refused():
    from render.content import check_config_map_sizes

    with pytest.raises(ValueError, match="grafana dashboards folder 'executive' is 1100000 bytes"):
        check_config_map_sizes({"executive": {"a.json": "x" * 1_100_000}})
