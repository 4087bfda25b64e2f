"""The local stack's only changes to the rendered files: durations scaled, discovery and receivers localized."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from local import localize, timescale
from local.localize import Sinks, Target, endpoint_meta
from render.alertmanager_config import render_alertmanager_files
from render.prometheus_config import render_prometheus_config
from render.rules import render_rule_files
from render.time_intervals import refer_to_defined
from model.settings import settings_for_stack


@pytest.fixture(scope="module")
def production():
    return settings_for_stack("production")


def test_promql_durations_scale_and_strings_do_not():
    expr = 'sum(rate(x{code=~"[0-9]+m"}[5m])) / y[1h:5m] offset 1w'
    assert timescale.scale_promql(expr, 20) == 'sum(rate(x{code=~"[0-9]+m"}[15s])) / y[3m:15s] offset 504m'
    assert timescale.scale_promql(expr, 1) == expr


def test_rule_files_unchanged_at_scale_one_and_for_scaled(production):
    for text in render_rule_files(production).values():
        rules = yaml.safe_load(text)
        assert timescale.scale_rule_file(rules, 1) == rules
    payment = yaml.safe_load(render_rule_files(production)["payment.yml"])
    scaled = timescale.scale_rule_file(payment, 20)
    down = next(r for g in scaled["groups"] for r in g["rules"] if r.get("alert") == "PaymentServiceDown")
    assert down["for"] == "1500ms"


def test_a_scaled_for_keeps_its_scrapes_under_the_scrape_floor(production):
    """15s scrapes run every 2.5s at factor 20 (the floor): `for: 30s` (two production scrapes) lasts
    two local scrapes, not 1.5s, so one slow scrape cannot fire PaymentServiceDown; a `for` that
    spans more scrapes than that is scaled as it is."""
    assert timescale.scale_for(30, 20, (15, 2.5)) == 5.0
    assert timescale.scale_for(300, 20, (15, 2.5)) == 15.0
    assert timescale.scale_for(10, 20, (15, 2.5)) == pytest.approx(10 / 15 * 2.5)
    assert timescale.scale_for(30, 20) == 1.5
    payment = yaml.safe_load(render_rule_files(production)["payment.yml"])
    scaled = timescale.scale_rule_file(payment, 20, (15, 2.5))
    by_name = {r["alert"]: r for g in scaled["groups"] for r in g["rules"] if "alert" in r}
    assert by_name["PaymentServiceDown"]["for"] == "5s"
    assert all(rule.get("for") != "1ms" for rule in by_name.values())  # a `for: 0s` stays 0s


def test_escalation_delay_scales(production):
    config = yaml.safe_load(render_alertmanager_files(production)["alertmanager.yml"])
    scaled = timescale.scale_alertmanager_config(config, 20)
    sms = next(r for r in scaled["route"]["routes"] if r["receiver"] == "escalation-sms")
    assert (sms["group_wait"], sms["group_interval"]) == ("15s", "15s")


def test_scrapes_have_a_floor_for_slow_failure_answers():
    scaled = timescale.scale_prometheus_config({"global": {"scrape_interval": "15s", "scrape_timeout": "10s",
                                                           "evaluation_interval": "15s"}}, 20)
    assert scaled["global"] == {"scrape_interval": "2500ms", "scrape_timeout": "2500ms", "evaluation_interval": "750ms"}


def test_only_discovery_changes_in_prometheus_yml(production, tmp_path):
    config = yaml.safe_load(render_prometheus_config(production))
    target = Target("127.0.0.1:1234", endpoint_meta(service="payment-service", port_name="metrics", namespace="waqiti", pod="p-0"))
    local = localize.localize_prometheus_config(config, {"waqiti-payment-service": [target]}, ["127.0.0.1:9093"], tmp_path)
    for before, after in zip(config["scrape_configs"], local["scrape_configs"]):
        assert "kubernetes_sd_configs" not in after
        assert {k: v for k, v in before.items() if k not in ("kubernetes_sd_configs", "static_configs")} == \
               {k: v for k, v in after.items() if k != "static_configs"}
        if before["job_name"] == "blackbox":  # public endpoints: not probed from here
            assert before["static_configs"] and after["static_configs"] == []
    assert local["global"]["external_labels"] == config["global"]["external_labels"]


def test_the_blackbox_job_probes_local_stand_ins_through_the_local_exporter(production, tmp_path):
    config = yaml.safe_load(render_prometheus_config(production))
    probes = localize.probe_targets(config, {"payment": "http://127.0.0.1:1234/actuator/health"})
    local = localize.localize_prometheus_config(config, {"blackbox": probes}, ["127.0.0.1:9093"], tmp_path,
                                                probe_exporter="127.0.0.1:5678")
    before, after = (next(job for job in c["scrape_configs"] if job["job_name"] == "blackbox") for c in (config, local))
    # the labels the rendered job gives the public payment endpoint, on the local health URL
    public = next(entry for entry in before["static_configs"] if entry["labels"].get("service") == "payment")
    assert public["targets"] != ["http://127.0.0.1:1234/actuator/health"]
    assert after["static_configs"] == [{"targets": ["http://127.0.0.1:1234/actuator/health"], "labels": public["labels"]}]
    assert public["labels"] == {"module": "http_2xx", "service": "payment", "team": "payment"}
    # the exporter's address is the one relabelling change; target, module and instance stay as rendered
    changed = [(b, a) for b, a in zip(before["relabel_configs"], after["relabel_configs"]) if b != a]
    assert changed == [({"target_label": "__address__", "replacement": "blackbox-exporter.monitoring.svc:9115"},
                        {"target_label": "__address__", "replacement": "127.0.0.1:5678"})]
    with pytest.raises(AssertionError, match="no public endpoint of"):
        localize.probe_targets(config, {"ledger": "http://127.0.0.1:1/"})


def test_receivers_point_to_sinks_and_secrets_to_files(production, tmp_path):
    config = yaml.safe_load(render_alertmanager_files(production)["alertmanager.yml"])
    sinks = Sinks("http://127.0.0.1:1", "127.0.0.1:2", "http://127.0.0.1:3")
    local = localize.localize_alertmanager_config(config, sinks, tmp_path, tmp_path / "templates")
    text = yaml.safe_dump(local)
    assert "/etc/alertmanager" not in text and "example.com/" not in text.replace("@example.com", "")
    assert local["inhibit_rules"] == config["inhibit_rules"]
    # the same routes, without business hours or maintenance windows (drills run at any hour)
    assert "time_intervals" in config and "time_intervals" not in local
    assert local["route"] == refer_to_defined(config["route"], set()) != config["route"]


def test_absence_alerts_stay_for_local_jobs_only(production):
    document = yaml.safe_load(render_rule_files(production)["scrape-jobs.yml"])
    kept = localize.localize_rule_file(document, {"postgres-exporter", "prometheus", "alertmanager"})
    jobs = sorted(rule["labels"]["service"] for group in kept["groups"] for rule in group["rules"])
    assert jobs == ["alertmanager", "postgres-exporter", "prometheus"]
    # the source document is untouched, and has the cluster's jobs too
    assert "kube-state-metrics" in {rule["labels"]["service"] for rule in document["groups"][0]["rules"]}


def test_the_host_machine_alerts_are_left_out_the_other_node_alerts_stay(production):
    document = yaml.safe_load(render_rule_files(production)["nodes.yml"])
    kept = localize.localize_rule_file(document, set())
    alerts = {rule["alert"] for group in kept["groups"] for rule in group["rules"]}
    assert alerts == {"NodeClockNotSynchronising", "NodeClockSkewDetected", "NodeExporterDown"}
