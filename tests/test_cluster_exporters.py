"""kube-state-metrics, node-exporter and the blackbox exporter: deployed least-privilege, or found.

The stack deploys all three by default; each can be switched to an existing installation, and then
only the scrape job (how to find it) remains.
"""

from __future__ import annotations

import re

import pytest
import yaml

from components.kube_state_metrics import RESOURCES
from model.settings import SettingsError, parse, read_stack_file
from tests.conftest import ROOT
from tests.dashboards.metric_catalogue import upstream_metrics
from tools.pulumi_engine import placeholder_secrets, run_program

# kube-state-metrics metric family prefix -> the resource it lists
FAMILIES = {"cronjob": "cronjobs", "deployment": "deployments", "job": "jobs", "node": "nodes", "pod": "pods", "statefulset": "statefulsets"}


def prometheus_yml(run) -> dict:
    return yaml.safe_load(run.get("ConfigMap", "prometheus-config").inputs["data"]["prometheus.yml"])


def jobs_of(run) -> dict[str, dict]:
    return {job["job_name"]: job for job in prometheus_yml(run)["scrape_configs"]}


def test_kube_state_metrics_lists_and_watches_only_what_the_rules_and_panels_read(runs):
    run = runs["production"]
    role = run.get("ClusterRole", "waqiti-monitoring-kube-state-metrics").manifest
    assert {verb for rule in role["rules"] for verb in rule["verbs"]} == {"list", "watch"}
    granted = {(group, resource) for rule in role["rules"] for group in rule["apiGroups"] for resource in rule["resources"]}
    assert granted == {(group, resource) for resource, group in RESOURCES.items()}
    # every kube_* family read is one of those resources, and no resource is granted for nothing
    read = {re.match(r"kube_([a-z]+?)_", name).group(1) for name in upstream_metrics()["kube-state-metrics"]}
    assert {FAMILIES[family] for family in read} == set(RESOURCES)
    container = run.get("Deployment", "kube-state-metrics").manifest["spec"]["template"]["spec"]["containers"][0]
    assert "--resources=" + ",".join(sorted(RESOURCES)) in container["args"]
    binding = run.get("ClusterRoleBinding", "waqiti-monitoring-kube-state-metrics").manifest
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "kube-state-metrics", "namespace": "monitoring"}]


def test_the_stacks_own_exporters_are_what_the_scrape_jobs_find(runs):
    run = runs["production"]
    service = run.get("Service", "kube-state-metrics").manifest
    assert service["metadata"]["labels"]["app.kubernetes.io/name"] == "kube-state-metrics"
    assert [p["name"] for p in service["spec"]["ports"]] == ["http-metrics"]
    jobs = jobs_of(run)
    assert jobs["kube-state-metrics"]["relabel_configs"][0]["regex"] == "kube-state-metrics;http-metrics"
    assert jobs["kube-state-metrics"]["kubernetes_sd_configs"] == [{"role": "endpoints", "namespaces": {"names": ["monitoring"]}}]
    node_service = run.get("Service", "node-exporter").manifest
    assert node_service["metadata"]["namespace"] == "node-exporter" and [p["name"] for p in node_service["spec"]["ports"]] == ["metrics"]
    assert jobs["node-exporter"]["relabel_configs"][0]["regex"] == "node-exporter;metrics"


def test_node_exporter_gets_the_host_and_nothing_more(runs):
    run = runs["production"]
    labels = run.get("Namespace", "node-exporter").manifest["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "privileged"
    spec = run.get("DaemonSet", "node-exporter").manifest["spec"]["template"]["spec"]
    assert spec["hostNetwork"] is True and spec["hostPID"] is True and spec.get("hostIPC") is not True
    assert spec["automountServiceAccountToken"] is False
    assert {v["name"]: v["hostPath"]["path"] for v in spec["volumes"]} == {"proc": "/proc", "sys": "/sys", "root": "/"}
    (container,) = spec["containers"]
    context = container["securityContext"]
    assert context["privileged"] is False and context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]} and context["readOnlyRootFilesystem"] is True and context["runAsNonRoot"] is True
    assert all(mount["readOnly"] for mount in container["volumeMounts"])
    assert f"--web.listen-address=$(HOST_IP):9100" in container["args"]


def test_the_flows_node_exporter_needs_and_nothing_more(runs):
    run = runs["production"]
    (policy,) = [r.manifest for r in run.kubernetes("NetworkPolicy") if r.manifest["metadata"]["namespace"] == "node-exporter"]
    assert policy["spec"]["podSelector"] == {} and policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert not policy["spec"].get("egress")
    (rule,) = policy["spec"]["ingress"]
    assert rule["ports"] == [{"port": 9100, "protocol": "TCP"}]
    assert rule["from"] == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                             "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus", "app.kubernetes.io/part-of": "waqiti-monitoring"}}}]
    prometheus = run.get("NetworkPolicy", "allow-prometheus").manifest["spec"]["egress"]
    assert {"ports": [{"port": 9100, "protocol": "TCP"}], "to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]} in prometheus
    ksm = run.get("NetworkPolicy", "allow-kube-state-metrics").manifest["spec"]
    assert [p["port"] for p in ksm["ingress"][0]["ports"]] == [8080]
    assert {p["port"] for rule in ksm["egress"] for p in rule["ports"]} == {443, 6443}


def test_the_blackbox_job_probes_the_endpoints_and_every_ingress_host(runs):
    job = jobs_of(runs["production"])["blackbox"]
    groups = {(g["labels"]["module"], g["labels"]["service"], g["labels"]["team"]): g["targets"] for g in job["static_configs"]}
    assert groups == {
        ("http_2xx", "payment", "payment"): ["https://api.waqiti.example.com/payments/health"],
        ("http_2xx", "wallet", "wallet"): ["https://api.waqiti.example.com/wallets/health"],
        ("tls_connect", "ingress", "platform"): ["alerts.waqiti.example.com:443", "grafana.waqiti.example.com:443", "prometheus.waqiti.example.com:443"],
    }
    assert job["metrics_path"] == "/probe"
    assert {"target_label": "__address__", "replacement": "blackbox-exporter.monitoring.svc:9115"} in job["relabel_configs"]
    config = yaml.safe_load(runs["production"].get("ConfigMap", "blackbox-exporter-config").inputs["data"]["blackbox.yml"])
    assert set(config["modules"]) == {"http_2xx", "tls_connect"}


def test_existing_exporters_instead_of_the_stacks_own():
    run = run_program("production", overrides={
        "kubeStateMetricsDeploy": False, "kubeStateMetricsNamespace": "monitoring-ext", "kubeStateMetricsPortName": "https-main",
        "kubeStateMetricsScheme": "https", "nodeExporterDeploy": False, "nodeExporterServiceName": "prometheus-node-exporter",
        "nodeExporterPortName": "http-metrics", "blackboxEnabled": False,
    }, secrets=placeholder_secrets())
    kinds = {(r.kind, r.inputs["metadata"]["name"]) for r in run.kubernetes()}
    assert not {k for k in kinds if "kube-state-metrics" in k[1] or "node-exporter" in k[1] or "blackbox" in k[1]}
    jobs = jobs_of(run)
    ksm = jobs["kube-state-metrics"]
    assert ksm["scheme"] == "https" and ksm["relabel_configs"][0]["regex"] == "kube-state-metrics;https-main"
    assert ksm["kubernetes_sd_configs"] == [{"role": "endpoints", "namespaces": {"names": ["monitoring-ext"]}}]
    assert jobs["node-exporter"]["relabel_configs"][0]["regex"] == "prometheus-node-exporter;http-metrics"
    assert "blackbox" not in jobs
    rules = run.get("ConfigMap", "prometheus-rules").inputs["data"]["scrape-jobs.yml"]
    assert 'job="kube-state-metrics"' in rules and 'job="blackbox"' not in rules  # no absence alert for a job switched off


def test_where_to_find_an_existing_one_is_refused_while_the_stack_deploys_its_own():
    raw = read_stack_file(ROOT / "Pulumi.production.yaml")
    raw.update(kubeStateMetricsPortName="http", blackboxHttpTargets=["payment https://x"])
    with pytest.raises(SettingsError) as error:
        parse(raw)
    text = str(error.value)
    assert "kubeStateMetricsPortName: only for an existing one (kubeStateMetricsDeploy: false)" in text
    assert "blackboxHttpTargets" in text and "'<service>[:<team>]=<http(s) URL>'" in text
