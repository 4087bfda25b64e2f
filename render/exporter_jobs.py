"""Scrape jobs of the cluster exporters that the stack deploys or finds already installed.

An existing kube-state-metrics or node-exporter is found by its Service, and the three common ways
of installing one name the Service's port differently:

| installed by                 | app.kubernetes.io/name         | port name      | scheme                  |
| ---------------------------- | ------------------------------ | -------------- | ----------------------- |
| the upstream example manifests | kube-state-metrics           | `http-metrics` | http                    |
| the prometheus-community chart | kube-state-metrics           | `http`         | http                    |
| kube-prometheus              | kube-state-metrics             | `https-main`   | https (kube-rbac-proxy) |

A job that keeps the wrong port name has no targets at all: no series, no `up`, and every alert
reading the exporter is silent. So the name, port name and scheme are parameters (settings), not
constants, and tests/test_scrape_discovery.py runs each shape through a real Prometheus.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from model import endpoints
from model.endpoints import SERVICE_ACCOUNT_DIR
from model.settings.cluster_exporters import CLUSTER_CA_FILE


@dataclass(frozen=True)
class ExporterService:
    """Where an exporter's Service is and how its metrics port is reached."""

    name: str  # the Service's app.kubernetes.io/name label
    port_name: str
    scheme: Literal["http", "https"] = "http"
    namespace: str | None = None  # None: look in every namespace
    tls_server_name: str | None = None  # https: verify the certificate for this name (None: unverified)
    tls_ca_file: str | None = None  # the CA that verification trusts (None: the cluster CA)

    def __post_init__(self):
        if self.scheme not in ("http", "https"):
            raise ValueError(f"scheme: expected http or https, got {self.scheme!r}")


# What the stack deploys itself (components), and so what a job keeps unless told otherwise.
KUBE_STATE_METRICS = ExporterService(name=endpoints.KUBE_STATE_METRICS.name, port_name=endpoints.KUBE_STATE_METRICS.port_name)
NODE_EXPORTER = ExporterService(name=endpoints.NODE_EXPORTER.name, port_name=endpoints.NODE_EXPORTER.port_name)

# The shapes of an existing kube-state-metrics that a stack can choose (see the table above).
KUBE_STATE_METRICS_SHAPES = {
    "upstream-manifests": ExporterService("kube-state-metrics", "http-metrics", "http"),
    "community-chart": ExporterService("kube-state-metrics", "http", "http"),
    "kube-prometheus": ExporterService("kube-state-metrics", "https-main", "https"),
}


def service_of(group, own_namespace: str, own: ExporterService) -> ExporterService:
    """The Service a scrape job looks for: the stack's own (in its namespace), or the existing one
    the settings group describes (kubeStateMetrics*, nodeExporter*)."""
    if group.deploy:
        return ExporterService(own.name, own.port_name, own.scheme, own_namespace)
    return ExporterService(group.service_name, group.port_name, group.scheme, group.namespace,
                           getattr(group, "tls_server_name", None), getattr(group, "tls_ca_file", None))


def _discovery(service: ExporterService, job_name: str) -> dict:
    sd = {"role": "endpoints"}
    if service.namespace:
        sd["namespaces"] = {"names": [service.namespace]}
    job = {"job_name": job_name, "scheme": service.scheme, "kubernetes_sd_configs": [sd]}
    if service.scheme == "https":
        # kube-rbac-proxy in front of the exporter: it authorises Prometheus' service-account token
        # (RBAC: get on the /metrics non-resource URL). Its serving certificate is self-signed
        # unless the cluster issues one: verified only when the settings name it (the targets are
        # pod IPs, which no certificate names), else accepted unverified.
        ca_file = service.tls_ca_file or CLUSTER_CA_FILE
        job["tls_config"] = ({"ca_file": ca_file, "server_name": service.tls_server_name, "insecure_skip_verify": False}
                             if service.tls_server_name else {"ca_file": ca_file, "insecure_skip_verify": True})
        job["authorization"] = {"credentials_file": f"{SERVICE_ACCOUNT_DIR}/token"}
    return job


def _keep(service: ExporterService) -> dict:
    return {
        "source_labels": ["__meta_kubernetes_service_label_app_kubernetes_io_name", "__meta_kubernetes_endpoint_port_name"],
        "action": "keep",
        "regex": f"{service.name};{service.port_name}",
    }


def kube_state_metrics_job(service: ExporterService = KUBE_STATE_METRICS) -> dict:
    job = _discovery(service, "kube-state-metrics")
    # Series of every object in the cluster: the default per-job limit is far too low.
    job["sample_limit"] = 300000
    # Its series describe other objects (their namespace, pod, node labels); nothing here adds
    # target labels of those names, so none is overwritten.
    job["relabel_configs"] = [_keep(service)]
    return job


def node_exporter_job(service: ExporterService = NODE_EXPORTER) -> dict:
    job = _discovery(service, "node-exporter")
    # One target per node (host network, node IP:port). instance and node are the node's name,
    # which is what the Infrastructure panels and the node alerts show and what inhibitions match.
    job["relabel_configs"] = [
        _keep(service),
        {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
        {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "instance"},
    ]
    return job
