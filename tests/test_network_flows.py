"""The NetworkPolicies narrowed to named flows, as rendered through the Pulumi mocks: Prometheus out
to the scrape ports of the jobs it has, Grafana and the exporter out to their databases' namespaces
or addresses only, and the README's table of every flow up to date."""

from __future__ import annotations

import pytest
import yaml

from model.hosts import place_of
from model.settings import SettingsError, settings_for_stack
from render.scrape_egress import ScrapeEgress, _egress, declared_ports, scrape_egress
from tests.conftest import ROOT, STACKS
from tools.pulumi_engine import run_program

EVERY_NAMESPACE = {"namespaceSelector": {"matchLabels": {}}}
ANYWHERE = {"ipBlock": {"cidr": "0.0.0.0/0"}}


def policies_of(run) -> dict[str, dict]:
    return {r.inputs["metadata"]["name"]: r.manifest["spec"] for r in run.kubernetes("NetworkPolicy") if r.manifest["metadata"]["namespace"] == "monitoring"}


def egress_flows(spec: dict) -> set[tuple[str, object]]:
    """(peer, port) for every pair an egress rule allows; a rule without ports yields port None."""
    def peer_text(peer):
        return yaml.safe_dump(peer, sort_keys=True).strip()

    return {(peer_text(peer), port.get("port") if port else None)
            for rule in spec["egress"] for peer in rule["to"] for port in (rule.get("ports") or [None])}


def scrape_jobs(run) -> list[dict]:
    return yaml.safe_load(run.get("ConfigMap", "prometheus-config").inputs["data"]["prometheus.yml"])["scrape_configs"]


@pytest.mark.parametrize("stack", STACKS)
def test_prometheus_reaches_every_namespace_only_on_the_scrape_ports_of_its_jobs(runs, stack):
    egress = policies_of(runs[stack])["allow-prometheus"]["egress"]
    settings = settings_for_stack(stack)
    assert all(rule.get("ports") for rule in egress), "no rule may allow every port"
    to_every_namespace = {port["port"] for rule in egress if EVERY_NAMESPACE in rule["to"] for port in rule["ports"]}
    assert to_every_namespace == {
        "metrics", "http-metrics", "management",  # the Waqiti services' metrics port names
        9187, 9121, 9308, 15090,                  # postgres-, redis-, kafka-exporter, the Envoy sidecars
        *settings.prometheus.opt_in_scrape_ports,
    }
    to_anywhere = {port["port"] for rule in egress if ANYWHERE in rule["to"] for port in rule["ports"]}
    # kubelets and node-exporter on the nodes' own addresses (and the API server where its address is not set)
    assert to_anywhere == {10250, 9100} | ({443, 6443} if "0.0.0.0/0" in settings.network.api_server_cidrs else set())
    own = {(peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"], port["port"])
           for rule in egress for peer in rule["to"] if "podSelector" in peer and "namespaceSelector" not in peer for port in rule["ports"]}
    assert own == {("prometheus", 9090), ("alertmanager", 9093), ("grafana", 3000), ("business-metrics-exporter", 9450),
                   ("kube-state-metrics", 8080), ("blackbox-exporter", 9115)}


@pytest.mark.parametrize("stack", STACKS)
def test_every_scrape_job_of_the_rendered_config_has_its_egress(runs, stack):
    jobs = [job["job_name"] for job in scrape_jobs(runs[stack])]
    placed = scrape_egress(settings_for_stack(stack))
    assert [egress.job for egress in placed] == jobs
    egress = policies_of(runs[stack])["allow-prometheus"]["egress"]
    # each job is named in the table's "for" column of exactly the rule that carries its ports
    from components.network_policies import flows
    rules = flows(settings_for_stack(stack))["prometheus"].egress
    for job in jobs:
        assert sum(f" {job}," in f" {rule.why}," or f" {job};" in f" {rule.why};" for rule in rules) == 1, job
    assert len(egress) == len(rules)


def test_a_scrape_job_whose_ports_are_unknown_is_an_error_naming_it():
    settings = settings_for_stack("production")
    job = {"job_name": "orders-sidecar", "kubernetes_sd_configs": [{"role": "endpoints"}],
           "relabel_configs": [{"source_labels": ["__meta_kubernetes_service_name"], "action": "keep", "regex": "orders"}]}
    with pytest.raises(ValueError, match="scrape job orders-sidecar: its targets' ports are not known; list them in configs/prometheus/scrape-ports.yml"):
        _egress(job, settings, declared_ports())
    assert _egress(job, settings, {"orders-sidecar": [9400]}) == ScrapeEgress("orders-sidecar", "namespaces", (9400,))


def test_the_opt_in_ports_are_a_setting_and_a_job_s_namespaces_narrow_its_egress():
    run = run_program("production", overrides={
        "prometheusOptInScrapePorts": [9102], "kubeStateMetricsDeploy": False, "kubeStateMetricsNamespace": "kube-system",
        "kubeStateMetricsPortName": "http-metrics"})
    flows = egress_flows(policies_of(run)["allow-prometheus"])
    every = yaml.safe_dump(EVERY_NAMESPACE, sort_keys=True).strip()
    assert (every, 9102) in flows and (every, 8080) not in flows and (every, 15020) not in flows
    # an existing kube-state-metrics: its namespace, on its Service's port name
    kube_system = yaml.safe_dump({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}, sort_keys=True).strip()
    assert (kube_system, "http-metrics") in flows and (every, "http-metrics") in flows  # the latter: the Waqiti services
    assert "allow-kube-state-metrics" not in policies_of(run)


@pytest.mark.parametrize("stack", STACKS)
def test_grafana_and_the_exporter_reach_only_their_databases_namespaces(runs, stack):
    settings = settings_for_stack(stack)
    policies = policies_of(runs[stack])
    exporter = policies["allow-business-metrics-exporter"]["egress"]
    namespace = place_of(settings.exporter.database_host, settings.namespace).namespace
    assert exporter == [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}],
                         "ports": [{"port": 5432, "protocol": "TCP"}]}]
    grafana = policies["allow-grafana"]["egress"]
    hosts = settings.database_hosts()
    for key, port in (("grafanaDatabaseHost", 5432), ("grafanaRedisAddress", 6379)):
        rules = [rule["to"] for rule in grafana if {"port": port, "protocol": "TCP"} in rule["ports"]]
        expected = [[{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": place_of(hosts[key], settings.namespace).namespace}}}]] if key in hosts else []
        assert rules == expected, key
    for spec in (policies["allow-grafana"], policies["allow-business-metrics-exporter"]):
        assert not any(EVERY_NAMESPACE in rule["to"] for rule in spec["egress"])


def test_a_database_by_address_gets_that_address_and_one_outside_the_cluster_its_configured_range():
    run = run_program("production", overrides={"exporterDatabaseHost": "10.20.30.40", "grafanaDatabaseHost": "db.example.rds.amazonaws.com",
                                               "grafanaRedisAddress": "redis:6379", "networkDatabaseCidrs": ["10.50.0.0/16", "10.51.0.0/16"]})
    policies = policies_of(run)
    assert policies["allow-business-metrics-exporter"]["egress"] == [{"to": [{"ipBlock": {"cidr": "10.20.30.40/32"}}], "ports": [{"port": 5432, "protocol": "TCP"}]}]
    grafana = {rule["ports"][0]["port"]: rule["to"] for rule in policies["allow-grafana"]["egress"] if rule["ports"][0]["port"] in (5432, 6379)}
    assert grafana == {5432: [{"ipBlock": {"cidr": "10.50.0.0/16"}}, {"ipBlock": {"cidr": "10.51.0.0/16"}}],
                       6379: [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]}  # a bare name: this namespace


@pytest.mark.parametrize("key, value", [("grafanaDatabaseHost", "db.example.rds.amazonaws.com"), ("exporterDatabaseHost", "replica.example.com"),
                                        ("grafanaRedisAddress", "cache.example.com:6379")])
def test_a_database_outside_the_cluster_without_its_range_is_refused_before_any_resource(key, value):
    from tools.pulumi_engine import Run

    run = Run()
    with pytest.raises(SettingsError) as caught:
        run_program("production", overrides={key: value}, record_into=run)
    assert f"waqiti-monitoring:{key}: a host outside the cluster" in str(caught.value) and "networkDatabaseCidrs" in str(caught.value)
    assert value not in str(caught.value)
    assert run.resources == []


def test_a_remote_write_store_in_the_cluster_is_reached_in_its_namespace_only():
    run = run_program("production", overrides={"prometheusRemoteWriteUrl": "http://mimir-distributor.mimir.svc:8080/api/v1/push"})
    egress = policies_of(run)["allow-prometheus"]["egress"]
    assert {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "mimir"}}}],
            "ports": [{"port": 8080, "protocol": "TCP"}]} in egress
    assert not [rule for rule in egress if ANYWHERE in rule["to"] and {"port": 8080, "protocol": "TCP"} in rule["ports"]]


def test_the_readme_lists_every_allowed_flow_of_production():
    from tools import network_flows

    readme = (ROOT / "README.md").read_text()
    assert readme == network_flows.rewrite(readme), "run `python -m tools.network_flows`"
    assert "| backup-prometheus | to | pod prometheus-0 | 9092/TCP |" in readme


@pytest.mark.parametrize("host, place", [
    ("postgres.platform.svc.cluster.local", ("platform", None)), ("postgres.waqiti.svc", ("waqiti", None)),
    ("postgres", ("monitoring", None)), ("10.0.0.5", (None, "10.0.0.5/32")), ("fd00::1", (None, "fd00::1/128")),
    ("db.example.rds.amazonaws.com", None), ("postgres.platform", None),
])
def test_where_a_host_lives(host, place):
    found = place_of(host, "monitoring")
    assert (found and (found.namespace, found.cidr)) == place
