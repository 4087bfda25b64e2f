"""Names, ports and mount paths of every server the stack runs: the one table the rest reads.

The components give their containers, Services and probes these ports and mount these directories;
the rendered files (prometheus.yml, alertmanager.yml, grafana.ini, datasources) point at them; the
NetworkPolicies and the Ingress let exactly them through; the local stack labels its targets with
the same names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional


@dataclass(frozen=True)
class Server:
    name: str  # workload, Service and pod-name prefix
    port: int  # the port it serves on
    port_name: str  # the container's and the Service's name of that port
    headless: Optional[str] = None  # the headless Service of a StatefulSet, which names each pod
    dirs: Mapping[str, str] = field(default_factory=dict)  # what is mounted where, by role

    def url(self, namespace: str) -> str:
        """Inside the cluster, through the Service."""
        return f"http://{self.name}.{namespace}.svc:{self.port}"

    def cluster_url(self, namespace: str, cluster_domain: str, path: str = "") -> str:
        """By its full DNS name: for resolvers that use no search domains (the ingress controller's nginx)."""
        return f"http://{self.name}.{namespace}.svc.{cluster_domain}:{self.port}{path}"

    def pod_address(self, index: int, namespace: str, port: Optional[int] = None) -> str:
        """One pod of a StatefulSet by its stable DNS name."""
        return f"{self.name}-{index}.{self.headless}.{namespace}.svc:{port or self.port}"

    def path(self, role: str, file: str) -> str:
        return f"{self.dirs[role]}/{file}"


PROMETHEUS = Server(
    "prometheus",
    9090,
    "web",
    headless="prometheus-headless",
    dirs={
        "config": "/etc/prometheus/config",
        "rules": "/etc/prometheus/rules",
        "secrets": "/etc/prometheus/secrets",
        "data": "/prometheus",
    },
)
# Prometheus itself listens on the pod's loopback only; the gate in its pod (render/prometheus_gate.py)
# serves PROMETHEUS.port without the admin API, and the admin port with the TSDB snapshot alone.
PROMETHEUS_LOOPBACK_PORT = 9091
PROMETHEUS_ADMIN_PORT = 9092
PROMETHEUS_ADMIN_PORT_NAME = "admin"
ALERTMANAGER = Server(
    "alertmanager",
    9093,
    "web",
    headless="alertmanager-headless",
    dirs={
        "config": "/etc/alertmanager/config",
        "templates": "/etc/alertmanager/templates",
        "secrets": "/etc/alertmanager/secrets",
        "data": "/alertmanager",
    },
)
ALERTMANAGER_CLUSTER_PORT = 9094  # gossip between the peers, TCP and UDP
GRAFANA = Server(
    "grafana",
    3000,
    "http",
    dirs={
        "config": "/etc/grafana/config",
        "provisioning": "/etc/grafana/provisioning",
        "dashboards": "/etc/grafana/dashboards",
        "secrets": "/etc/grafana/secrets",
        "data": "/var/lib/grafana",
    },
)
# The login check the ingress asks before every UI request (auth-url): nginx answering 2xx with the
# user's login in INGRESS_USER_HEADER, or 401. The ingress passes that header on; Grafana signs the user in by it.
INGRESS_AUTH = Server("ingress-auth", 8080, "http", dirs={"config": "/etc/ingress-auth/config", "secrets": "/etc/ingress-auth/secrets"})
INGRESS_AUTH_PATH = "/auth"
INGRESS_USER_HEADER = "X-Waqiti-User"
GRAFANA_RENDERER = Server("grafana-image-renderer", 8081, "http")
EXPORTER = Server("business-metrics-exporter", 9450, "metrics", dirs={"config": "/etc/exporter", "secrets": "/etc/exporter/secrets"})
# The sidecar next to Prometheus and Alertmanager that calls their /-/reload; serves its own metrics here.
CONFIG_RELOADER_PORT = 9533

# Cluster exporters the stack deploys (components/kube_state_metrics.py, node_exporter.py) and
# the blackbox exporter; the scrape jobs find the first two by name and port name (render/exporter_jobs.py).
KUBE_STATE_METRICS = Server("kube-state-metrics", 8080, "http-metrics")
KUBE_STATE_METRICS_TELEMETRY_PORT = 8081  # its own metrics, not scraped
NODE_EXPORTER = Server("node-exporter", 9100, "metrics")  # on each node's own address (host network)
BLACKBOX_EXPORTER = Server("blackbox-exporter", 9115, "http", dirs={"config": "/etc/blackbox-exporter"})

# Outside the namespace.
HTTPS_PORT = 443  # PagerDuty, Slack, SNS, S3, webhooks, remote_write
KUBELET_PORT = 10250  # kubelets and cAdvisor, on the nodes' own addresses
API_SERVER_PORTS = (443, 6443)
# Where a pod finds its service-account token and the cluster CA (Kubernetes discovery looks there).
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
DNS_PORT = 53

# The report and backup CronJobs run one image under one service account, `sla-reporter`; each job's
# pods carry their own workload label, so each job has its own NetworkPolicy (no port: nothing
# reaches them, and each reaches only what it reads).
SLA_REPORTER = "sla-reporter"
SLA_REPORTS = {kind: f"sla-report-{kind}" for kind in ("daily", "weekly", "monthly")}
PROMETHEUS_BACKUP = "backup-prometheus"
GRAFANA_BACKUP = "backup-grafana"
ALERTMANAGER_BACKUP = "backup-alertmanager"
