"""The whole program per stack: what it creates, how every pod is secured, and what it exports."""

from __future__ import annotations

import re
import subprocess

import bcrypt
import pytest
import yaml

from components.rbac import DISCOVERY_RULES
from model.settings import settings_for_stack
from testsupport.pinned_tools import binary
from tools.pulumi_engine import MOCK_API_SERVER_ADDRESSES, unwrap
from tests.conftest import STACKS

REQUIRED_LABELS = {"app.kubernetes.io/name", "app.kubernetes.io/component", "app.kubernetes.io/part-of", "app.kubernetes.io/managed-by"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet"}


def pod_specs(run):
    for resource in run.kubernetes():
        if resource.kind in WORKLOAD_KINDS:
            yield resource.inputs["metadata"]["name"], resource.manifest["spec"]["template"]["spec"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_object_has_a_stable_name_labels_and_the_namespace(runs, stack):
    for resource in runs[stack].kubernetes():
        metadata = resource.inputs["metadata"]
        assert metadata.get("name"), resource.name
        assert REQUIRED_LABELS <= set(metadata["labels"]), metadata["name"]
        assert metadata["labels"]["app.kubernetes.io/part-of"] == "waqiti-monitoring"
        assert metadata["labels"]["app.kubernetes.io/managed-by"] == "pulumi"
        if resource.kind not in CLUSTER_SCOPED:
            # node-exporter alone lives in a namespace of its own (components/node_exporter.py says why)
            expected = "node-exporter" if metadata["labels"]["app.kubernetes.io/component"] == "node-exporter" else "monitoring"
            assert metadata.get("namespace") == expected, metadata["name"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_pod_is_restricted(runs, stack):
    specs = dict(pod_specs(runs[stack]))
    assert {"prometheus", "alertmanager", "grafana", "business-metrics-exporter"} <= set(specs)
    for name, spec in specs.items():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["seccompProfile"]["type"] == "RuntimeDefault", name
        # prometheus projects its token into one container; kube-state-metrics has one container, which watches the API.
        assert spec["automountServiceAccountToken"] is (name == "kube-state-metrics"), name
        for container in spec["containers"]:
            where = f"{name}/{container['name']}"
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert context["runAsNonRoot"] is True and context["runAsUser"] > 0, where
            assert context["seccompProfile"]["type"] == "RuntimeDefault", where
            assert container["livenessProbe"] and container["readinessProbe"], where
            assert set(container["resources"]["requests"]) == {"cpu", "memory"} == set(container["resources"]["limits"]), where
            image = container["image"]
            assert ":" in image.rsplit("/", 1)[1] and not image.endswith(":latest"), where


def test_the_namespace_enforces_pod_security_restricted(runs):
    labels = runs["production"].get("Namespace", "monitoring").inputs["metadata"]["labels"]
    assert labels["monitoring"] == "enabled"
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


def test_prometheus_may_only_read_what_discovery_needs(runs):
    run = runs["production"]
    role = run.get("ClusterRole", "waqiti-monitoring-prometheus").manifest
    verbs = {verb for rule in role["rules"] for verb in rule["verbs"]}
    assert verbs <= {"get", "list", "watch"}
    resources = {resource for rule in role["rules"] for resource in rule.get("resources", [])}
    # Exactly what the discovery roles of the rendered jobs read (Prometheus's Kubernetes SD), plus
    # nodes/metrics for scraping kubelets directly.
    config = yaml.safe_load(run.get("ConfigMap", "prometheus-config").inputs["data"]["prometheus.yml"])
    roles = {sd["role"] for job in config["scrape_configs"] for sd in job.get("kubernetes_sd_configs", [])}
    needs = {"node": {"nodes"}, "pod": {"pods"}, "service": {"services"}, "endpoints": {"endpoints", "services", "pods"},
             "endpointslice": {"endpointslices", "services", "pods"}, "ingress": {"ingresses"}}
    assert resources == set().union(*(needs[role] for role in roles)) | {"nodes/metrics"}
    assert [rule.get("nonResourceURLs") for rule in role["rules"] if "nonResourceURLs" in rule] == [["/metrics"]]
    assert len(role["rules"]) == len(DISCOVERY_RULES)
    # Besides kube-state-metrics' own pair (tests/test_cluster_exporters.py), nothing else is granted.
    rbac = [r for r in run.kubernetes() if r.kind in {"ClusterRole", "Role", "ClusterRoleBinding", "RoleBinding"}]
    assert sorted((r.kind, r.inputs["metadata"]["name"]) for r in rbac) == [
        ("ClusterRole", "waqiti-monitoring-kube-state-metrics"), ("ClusterRole", "waqiti-monitoring-prometheus"),
        ("ClusterRoleBinding", "waqiti-monitoring-kube-state-metrics"), ("ClusterRoleBinding", "waqiti-monitoring-prometheus"),
    ]
    binding = run.get("ClusterRoleBinding", "waqiti-monitoring-prometheus").manifest
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "prometheus", "namespace": "monitoring"}]


@pytest.mark.parametrize("stack, prometheus, alertmanager, grafana, login_check", [("production", 2, 3, 2, 2), ("staging", 1, 2, 1, 2), ("dev", 1, 1, 1, 1)])
def test_replicas_and_disruption_budgets_per_stack(runs, stack, prometheus, alertmanager, grafana, login_check):
    run = runs[stack]
    assert run.get("StatefulSet", "prometheus").manifest["spec"]["replicas"] == prometheus
    assert run.get("StatefulSet", "alertmanager").manifest["spec"]["replicas"] == alertmanager
    assert run.get("Deployment", "grafana").manifest["spec"]["replicas"] == grafana
    assert run.get("Deployment", "ingress-auth").manifest["spec"]["replicas"] == login_check
    budgets = {r.inputs["metadata"]["name"] for r in run.kubernetes("PodDisruptionBudget")}
    expected = {name for name, replicas in (("prometheus", prometheus), ("alertmanager", alertmanager), ("grafana", grafana),
                                            ("ingress-auth", login_check)) if replicas > 1}
    assert budgets == expected


def test_prometheus_runs_with_the_spec_limits_and_a_reloader(runs):
    spec = runs["production"].get("StatefulSet", "prometheus").manifest["spec"]
    containers = {c["name"]: c for c in spec["template"]["spec"]["containers"]}
    args = containers["prometheus"]["args"]
    for flag in ("--storage.tsdb.retention.time=30d", "--query.max-concurrency=20", "--query.timeout=2m"):
        assert flag in args
    assert containers["prometheus"]["resources"] == {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"cpu": "2000m", "memory": "4Gi"}}
    reloader = containers["config-reloader"]
    assert "--webhook-url=http://127.0.0.1:9091/-/reload" in reloader["args"]  # Prometheus on the pod's loopback
    assert "--web.listen-address=127.0.0.1:9091" in args
    assert {"--volume-dir=/etc/prometheus/config", "--volume-dir=/etc/prometheus/rules"} <= set(reloader["args"])
    claim = spec["volumeClaimTemplates"][0]["spec"]
    assert claim["resources"]["requests"]["storage"] == "100Gi"
    # Configuration and rules reload in place: only the gate's nginx.conf (read at start) is on the pod template.
    assert set(spec["template"]["metadata"]["annotations"]) == {"waqiti.io/gate-config-digest"}


def containers_image_of(run, deployment: str) -> str:
    (container,) = run.get("Deployment", deployment).manifest["spec"]["template"]["spec"]["containers"]
    return container["image"]


def test_the_gate_takes_the_web_port_and_the_admin_port(runs):
    spec = runs["production"].get("StatefulSet", "prometheus").manifest["spec"]["template"]["spec"]
    containers = {c["name"]: c for c in spec["containers"]}
    assert "ports" not in containers["prometheus"]
    gate = containers["gate"]
    assert gate["image"] == containers_image_of(runs["production"], "ingress-auth")  # Debian's nginx, the login check's image
    assert gate["command"] == ["nginx"] and gate["args"] == ["-c", "/etc/prometheus-gate/nginx.conf", "-e", "stderr", "-g", "daemon off;"]
    assert {(p["name"], p["containerPort"]) for p in gate["ports"]} == {("web", 9090), ("admin", 9092)}
    assert {m["mountPath"]: m["readOnly"] for m in gate["volumeMounts"]} == {"/etc/prometheus-gate": True, "/tmp": False}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert containers["prometheus"][probe]["httpGet"]["port"] == 9090  # through the gate
    config = runs["production"].get("ConfigMap", "prometheus-gate").manifest["data"]["nginx.conf"]
    assert "listen 9090;" in config and "listen 9092;" in config and "proxy_pass http://127.0.0.1:9091;" in config
    # the Services keep sending the web port to the gate, by its name; the admin port is in no Service
    for service in ("prometheus", "prometheus-headless"):
        ports = runs["production"].get("Service", service).manifest["spec"]["ports"]
        assert [(p["port"], p["targetPort"]) for p in ports] == [(9090, "web")]


def test_prometheus_config_carries_the_cluster_and_replica_labels(rendered):
    config = yaml.safe_load((rendered["production"] / "prometheus" / "prometheus.yml").read_text())
    assert config["global"]["scrape_interval"] == config["global"]["evaluation_interval"] == "15s"
    assert config["global"]["external_labels"] == {"cluster": "waqiti-production", "replica": "${POD_NAME}"}
    assert {"action": "labeldrop", "regex": "replica"} in config["alerting"]["alert_relabel_configs"]
    assert len(config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]) == 3


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("workload", ["prometheus", "alertmanager"])
def test_every_flag_a_pod_passes_exists_in_the_pinned_release(runs, stack, workload):
    """Prometheus 3 and Alertmanager 0.35 removed flags and feature flags that older releases took;
    an unknown one stops the pod (a flag) or is ignored with a warning (a feature)."""
    containers = runs[stack].get("StatefulSet", workload).manifest["spec"]["template"]["spec"]["containers"]
    args = next(c for c in containers if c["name"] == workload)["args"]
    result = subprocess.run([binary(workload), "--help"], capture_output=True, text=True, timeout=30)
    known = set(re.findall(r"--(?:\[no-\])?([a-z][a-z0-9.-]+)", result.stdout + result.stderr))
    assert {"config.file", "web.listen-address"} <= known
    unknown = [arg for arg in args if arg.removeprefix("--").split("=", 1)[0] not in known]
    assert unknown == []
    features = [arg.split("=", 1)[1] for arg in args if arg.startswith("--enable-feature=")]
    assert not [f for f in features if f not in result.stdout + result.stderr]


def test_alertmanager_peers_gossip_over_the_headless_service(runs):
    args = runs["production"].get("StatefulSet", "alertmanager").manifest["spec"]["template"]["spec"]["containers"][0]["args"]
    peers = [arg for arg in args if arg.startswith("--cluster.peer=")]
    assert peers == [f"--cluster.peer=alertmanager-{i}.alertmanager-headless.monitoring.svc:9094" for i in range(3)]
    dev_args = runs["dev"].get("StatefulSet", "alertmanager").manifest["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--cluster.listen-address=" in dev_args and not any(arg.startswith("--cluster.peer=") for arg in dev_args)
    ports = {(p["port"], p["protocol"]) for p in runs["production"].get("Service", "alertmanager-headless").manifest["spec"]["ports"]}
    assert {(9094, "TCP"), (9094, "UDP")} <= ports


def test_alertmanager_reads_every_credential_from_its_secret(runs):
    spec = runs["production"].get("StatefulSet", "alertmanager").manifest["spec"]["template"]["spec"]
    secret_volume = next(v for v in spec["volumes"] if v["name"] == "secrets")
    secret = runs["production"].get("Secret", "alertmanager-secrets").manifest
    assert {item["key"] for item in secret_volume["secret"]["items"]} == set(secret["stringData"])
    assert {"slack-webhook-url", "pagerduty-routing-key", "smtp-password"} <= set(secret["stringData"])


def test_staging_has_no_pagerduty_key(runs):
    assert "pagerduty-routing-key" not in runs["staging"].get("Secret", "alertmanager-secrets").manifest["stringData"]


def test_grafana_uses_postgres_and_redis_in_production_and_a_volume_in_dev(runs, rendered):
    production = (rendered["production"] / "grafana" / "grafana.ini").read_text()
    assert "type = postgres" in production and "host = postgres.platform.svc.cluster.local:5432" in production
    assert "connstr = $__file{/etc/grafana/secrets/redis-connstr}" in production
    assert "[rendering]" in production and "cookie_secure = true" in production
    assert "[auth.anonymous]\nenabled = false" in production
    assert not [r for r in runs["production"].kubernetes("PersistentVolumeClaim")]
    dev = (rendered["dev"] / "grafana" / "grafana.ini").read_text()
    assert "type = sqlite3" in dev and "[rendering]" not in dev
    assert runs["dev"].get("PersistentVolumeClaim", "grafana-data").manifest["spec"]["resources"]["requests"]["storage"] == "1Gi"


def test_grafana_provisions_both_datasources_by_uid(rendered):
    datasources = yaml.safe_load((rendered["production"] / "grafana" / "provisioning" / "datasources" / "datasources.yml").read_text())
    assert {(d["uid"], d["type"], d["url"]) for d in datasources["datasources"]} == {
        ("prometheus", "prometheus", "http://prometheus.monitoring.svc:9090"),
        ("alertmanager", "alertmanager", "http://alertmanager.monitoring.svc:9093"),
    }


def test_the_exporter_gets_its_password_from_the_secret_only(runs):
    container = runs["production"].get("Deployment", "business-metrics-exporter").manifest["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert "PGPASSWORD" not in env
    assert env["EXPORTER_DB_PASSWORD_FILE"]["value"] == "/etc/exporter/secrets/db-password"
    volumes = runs["production"].get("Deployment", "business-metrics-exporter").manifest["spec"]["template"]["spec"]["volumes"]
    assert {"name": "secrets", "secret": {"secretName": "business-metrics-exporter-secrets", "defaultMode": 0o440, "items": [{"key": "db-password", "path": "db-password"}]}} in volumes
    assert env["PGHOST"]["value"] == "postgres-replica.platform.svc.cluster.local"
    service = runs["production"].get("Service", "business-metrics-exporter").manifest
    assert service["spec"]["ports"] == [{"name": "metrics", "port": 9450, "targetPort": "metrics", "protocol": "TCP"}]


@pytest.mark.parametrize("stack", STACKS)
def test_ingress_hides_lifecycle_and_admin_endpoints(runs, stack):
    run = runs[stack]
    settings = settings_for_stack(stack)
    for name, blocked in (("prometheus", {"/-/", "/api/v1/admin/", "/debug/"}), ("alertmanager", {"/-/", "/debug/"}),
                          ("grafana", {"/debug/"})):
        ingress = run.get("Ingress", name).manifest
        paths = ingress["spec"]["rules"][0]["http"]["paths"]
        to_blackhole = {p["path"] for p in paths if p["backend"]["service"]["name"] == "ingress-blackhole"}
        assert to_blackhole == blocked, name
        assert {p["pathType"] for p in paths} == {"Prefix"}
        annotations = ingress["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/auth-url"] == "http://ingress-auth.monitoring.svc.cluster.local:8080/auth"
        assert ("tls" in ingress["spec"]) == (settings.ingress.tls_mode != "none")
        assert ("cert-manager.io/cluster-issuer" in annotations) == (settings.ingress.tls_mode == "cert-manager")
    blackhole = run.get("Service", "ingress-blackhole").manifest
    assert "selector" not in blackhole["spec"]


def test_basic_auth_is_a_bcrypt_htpasswd_of_the_stack_password(runs):
    run = runs["production"]
    line = run.get("Secret", "ingress-basic-auth").manifest["stringData"]["auth"].strip()
    user, hashed = line.split(":", 1)
    assert user == "sre" and hashed.startswith("$2b$")
    assert bcrypt.checkpw(run.outputs["basicAuthPasswords"]["sre"].encode(), hashed.encode())
    assert not bcrypt.checkpw(b"wrong", hashed.encode())
    # The salt is pulumi-random state, not derived from the password: the same password and salt give
    # the same line (no diff on every `pulumi up`), and the salt says nothing about the password.
    from components.ingress import htpasswd_line

    salt_resource = next(r for r in run.resources if r.type == "random:index/randomString:RandomString"
                         and r.name == "ingress-basic-auth-salt")
    assert salt_resource.inputs["length"] == 22 and salt_resource.inputs["keepers"] == {"user": "sre"}
    salt = hashed[7:29]
    assert htpasswd_line("sre", "s3cret", salt) == htpasswd_line("sre", "s3cret", salt) != htpasswd_line("sre", "other", salt)
    other_salt = "A" * 22
    assert htpasswd_line("sre", "s3cret", other_salt) != htpasswd_line("sre", "s3cret", salt)


@pytest.mark.parametrize("stack", STACKS)
def test_network_policies_deny_by_default_and_cover_every_pod(runs, stack):
    run = runs[stack]
    policies = {r.inputs["metadata"]["name"]: r.manifest["spec"] for r in run.kubernetes("NetworkPolicy")}
    deny = policies["default-deny-all"]
    assert deny["podSelector"] == {} and sorted(deny["policyTypes"]) == ["Egress", "Ingress"]
    assert "ingress" not in deny and "egress" not in deny
    dns = policies["allow-dns"]["egress"][0]
    assert {(p["port"], p["protocol"]) for p in dns["ports"]} == {(53, "UDP"), (53, "TCP")}
    selected = {p["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name") for p in policies.values()}
    for name, _ in pod_specs(run):
        assert name in selected, f"no NetworkPolicy allows anything for {name}"


def test_network_flows_are_exactly_the_needed_ones(runs):
    policies = {r.inputs["metadata"]["name"]: r.manifest["spec"] for r in runs["production"].kubernetes("NetworkPolicy")}

    def ingress_ports(policy):
        return {(port["port"], port["protocol"]) for rule in policies[policy].get("ingress", []) for port in rule.get("ports", [])}

    assert ingress_ports("allow-prometheus") == {(9090, "TCP"), (9092, "TCP")}  # the gate: web, admin (snapshot only)
    assert ingress_ports("allow-alertmanager") == {(9093, "TCP"), (9094, "TCP"), (9094, "UDP")}
    assert ingress_ports("allow-grafana") == {(3000, "TCP")}
    assert ingress_ports("allow-business-metrics-exporter") == {(9450, "TCP")}
    # The exporter may reach its database and nothing else.
    exporter_egress = policies["allow-business-metrics-exporter"]["egress"]
    assert [{(p["port"], p["protocol"]) for p in rule["ports"]} for rule in exporter_egress] == [{(5432, "TCP")}]
    # Prometheus may reach the API server only at its endpoint addresses (read from the mocked cluster).
    api = [rule for rule in policies["allow-prometheus"]["egress"] if any(p["port"] == 6443 for p in rule.get("ports", []))]
    assert api[0]["to"] == [{"ipBlock": {"cidr": f"{address}/32"}} for address in MOCK_API_SERVER_ADDRESSES]


@pytest.mark.parametrize("stack", STACKS)
def test_outputs_give_the_urls_and_keep_passwords_secret(runs, stack):
    run = runs[stack]
    settings = settings_for_stack(stack)
    scheme = "http" if stack == "dev" else "https"
    assert run.outputs["grafanaUrl"] == f"{scheme}://{settings.grafana.host}"
    assert run.outputs["prometheusUrl"] == f"{scheme}://{settings.prometheus.host}"
    assert run.outputs["alertmanagerUrl"] == f"{scheme}://{settings.alertmanager.host}"
    assert run.outputs["namespace"] == "monitoring" and run.outputs["grafanaAdminUser"] == "admin"
    assert run.secret_outputs == {"grafanaAdminPassword", "basicAuthPasswords"}
    assert run.outputs["basicAuthUsers"] == list(settings.ingress.users)


def test_generated_passwords_come_from_pulumi_random(runs):
    generated = {r.name for r in runs["production"].resources if r.type == "random:index/randomPassword:RandomPassword"}
    assert generated == {"grafana-admin-password", "grafana-secret-key", "grafana-renderer-token", "ingress-basic-auth-password"}
    assert runs["production"].outputs["grafanaAdminPassword"].startswith("generated-")


def test_the_stack_is_one_component_per_concern(runs):
    components = [r.type for r in runs["production"].resources if r.type.startswith("waqiti:monitoring:")]
    assert sorted(components) == sorted(
        [
            "waqiti:monitoring:Stack", "waqiti:monitoring:Namespace", "waqiti:monitoring:PrometheusRbac", "waqiti:monitoring:Prometheus",
            "waqiti:monitoring:Alertmanager", "waqiti:monitoring:Grafana", "waqiti:monitoring:BusinessMetricsExporter",
            "waqiti:monitoring:NetworkPolicies", "waqiti:monitoring:Ingress", "waqiti:monitoring:IngressAuth", "waqiti:monitoring:SlaReporting",
            "waqiti:monitoring:KubeStateMetrics", "waqiti:monitoring:NodeExporter", "waqiti:monitoring:BlackboxExporter",
        ]
    )


def test_unwrap_removes_secret_markers():
    from pulumi.runtime.rpc import _special_secret_sig, _special_sig_key

    assert unwrap({"a": {_special_sig_key: _special_secret_sig, "value": "x"}}) == {"a": "x"}


def test_remote_write_to_a_long_term_store_is_a_setting():
    from tools.pulumi_engine import placeholder_secrets, run_program

    run = run_program(
        "production",
        overrides={"prometheusRemoteWriteUrl": "https://mimir.example.com/api/v1/push", "prometheusRemoteWriteUsername": "waqiti"},
        secrets=placeholder_secrets(),
    )
    config = yaml.safe_load(run.get("ConfigMap", "prometheus-config").manifest["data"]["prometheus.yml"])
    assert config["remote_write"][0]["url"] == "https://mimir.example.com/api/v1/push"
    assert config["remote_write"][0]["basic_auth"] == {"username": "waqiti", "password_file": "/etc/prometheus/secrets/remote-write-password"}
    assert set(run.get("Secret", "prometheus-secrets").manifest["stringData"]) == {"remote-write-password"}
    spec = run.get("StatefulSet", "prometheus").manifest["spec"]["template"]["spec"]
    assert any(v["name"] == "secrets" for v in spec["volumes"])
    egress = run.get("NetworkPolicy", "allow-prometheus").manifest["spec"]["egress"]
    (to_store,) = [rule for rule in egress if rule.get("ports") == [{"port": 443, "protocol": "TCP"}]]
    assert {"ipBlock": {"cidr": "0.0.0.0/0"}} in to_store["to"]


@pytest.mark.parametrize("url, port", [
    ("https://mimir.example.com/api/v1/push", 443), ("http://mimir-distributor.mimir.svc:8080/api/v1/push", 8080),
    ("http://thanos-receive.thanos.svc:19291/api/v1/receive", 19291), ("http://lts.example.com/api/v1/write", 80),
])
def test_prometheus_may_reach_the_long_term_store_on_the_port_of_its_url(url, port):
    from components.network_policies import url_port

    assert url_port(url) == port


def test_without_remote_write_there_is_no_remote_write_secret(runs):
    assert not [r for r in runs["production"].kubernetes("Secret") if r.inputs["metadata"]["name"] == "prometheus-secrets"]
    config = yaml.safe_load(runs["production"].get("ConfigMap", "prometheus-config").manifest["data"]["prometheus.yml"])
    assert "remote_write" not in config


@pytest.mark.parametrize("stack", STACKS)
def test_the_api_token_reaches_the_prometheus_container_only(runs, stack):
    pod = runs[stack].get("StatefulSet", "prometheus").manifest["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    token_dir = "/var/run/secrets/kubernetes.io/serviceaccount"
    mounting = [c["name"] for c in pod["containers"] if any(m["mountPath"] == token_dir for m in c.get("volumeMounts", []))]
    assert mounting == ["prometheus"]
    volume = next(v for v in pod["volumes"] if v["name"] == "api-token")
    assert [next(iter(source)) for source in volume["projected"]["sources"]] == ["serviceAccountToken", "configMap", "downwardAPI"]
    for name, pod_spec in ((r.inputs["metadata"]["name"], r.manifest["spec"]["template"]["spec"])
                           for r in runs[stack].kubernetes() if r.kind in ("Deployment", "StatefulSet")):
        # kube-state-metrics' single container is the one that watches the API with it
        assert pod_spec.get("automountServiceAccountToken") is (name == "kube-state-metrics"), name


@pytest.mark.parametrize("stack", STACKS)
def test_every_tls_scrape_verifies_the_target(runs, stack):
    config = yaml.safe_load(runs[stack].get("ConfigMap", "prometheus-config").inputs["data"]["prometheus.yml"])
    for job in config["scrape_configs"]:
        assert "insecure_skip_verify" not in job.get("tls_config", {}), job["job_name"]
