"""kube-state-metrics and node-exporter: deployed by the stack, or an existing one found by its Service.

The alerts and Infrastructure panels read both; on by default. A cluster that already runs one
(the kube-prometheus-stack chart, kube-prometheus, the upstream manifests) sets `...Deploy: false`
and says how to find it: the namespace, the Service's app.kubernetes.io/name, its port name and
scheme (render/exporter_jobs.py lists the common shapes).
"""

from __future__ import annotations

from typing import ClassVar, Literal, Optional

from pydantic import model_validator

from model.endpoints import SERVICE_ACCOUNT_DIR
from model.settings.types import AbsolutePath, CpuLimit, CpuRequest, DnsLabel, DnsName, Group, Image, MemoryLimit, MemoryRequest

_FIND_FIELDS = ("namespace", "service_name", "port_name", "scheme", "tls_server_name", "tls_ca_file")
# The cluster CA as Prometheus' service-account mount holds it (components/prometheus.py).
CLUSTER_CA_FILE = f"{SERVICE_ACCOUNT_DIR}/ca.crt"


class _ClusterExporter(Group):
    key_prefix: ClassVar[str]  # of its config keys, e.g. kubeStateMetrics

    @model_validator(mode="after")
    def _find_fields_only_for_an_existing_one(self):
        # Where to find an existing one means nothing when the stack deploys its own. The Pulumi CLI
        # hands the program every Pulumi.yaml default as if set, so only a value other than the
        # default counts as given.
        prefix = self.key_prefix
        if self.deploy:
            fields = type(self).model_fields
            given = sorted(f for f in _FIND_FIELDS if f in self.model_fields_set and getattr(self, f) != fields[f].default)
            if given:
                keys = ", ".join(prefix + "".join(w.title() for w in f.split("_")) for f in given)
                raise ValueError(f"{keys}: only for an existing one ({prefix}Deploy: false); the stack's own is found by itself")
        return self


class KubeStateMetricsSettings(_ClusterExporter):
    key_prefix = "kubeStateMetrics"
    deploy: bool = True
    """Deploy kube-state-metrics (false: use the existing one described by the keys below)."""
    image: Image = "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.13.0"
    """kube-state-metrics image, pinned to a version."""
    namespace: Optional[DnsLabel] = None
    """Namespace of an existing kube-state-metrics (unset: any namespace)."""
    service_name: DnsLabel = "kube-state-metrics"
    """app.kubernetes.io/name label of an existing kube-state-metrics Service."""
    port_name: str = "http-metrics"
    """Port name of an existing kube-state-metrics Service: http-metrics (upstream manifests), http (community chart), https-main (kube-prometheus)."""
    scheme: Literal["http", "https"] = "http"
    """Scheme of that port (https: kube-prometheus' kube-rbac-proxy, with Prometheus' service-account token)."""
    tls_server_name: Optional[DnsName] = None
    """With https: the name its serving certificate is issued for (e.g. kube-state-metrics.monitoring.svc); set, the certificate is verified against kubeStateMetricsTlsCaFile; unset, it is accepted unverified (kube-prometheus' kube-rbac-proxy signs its own)."""
    tls_ca_file: AbsolutePath = CLUSTER_CA_FILE
    """With kubeStateMetricsTlsServerName: the CA that issued that certificate, as a path in the Prometheus container (default: the cluster CA, which signs certificates issued through the Kubernetes CSR API)."""
    cpu_request: CpuRequest = "50m"
    cpu_limit: CpuLimit = "500m"
    memory_request: MemoryRequest = "128Mi"
    memory_limit: MemoryLimit = "512Mi"

    @model_validator(mode="after")
    def _tls_fields(self):
        if self.tls_server_name and self.scheme != "https":
            raise ValueError("kubeStateMetricsTlsServerName: only with kubeStateMetricsScheme: https (there is no certificate to verify over http)")
        if "tls_ca_file" in self.model_fields_set and self.tls_ca_file != CLUSTER_CA_FILE and not self.tls_server_name:
            raise ValueError("kubeStateMetricsTlsCaFile: only with kubeStateMetricsTlsServerName, the name the certificate is verified for")
        return self


class NodeExporterSettings(_ClusterExporter):
    key_prefix = "nodeExporter"
    deploy: bool = True
    """Deploy node-exporter as a DaemonSet in its own namespace (false: use the existing one described below)."""
    image: Image = "quay.io/prometheus/node-exporter:v1.8.2"
    """node-exporter image, pinned to a version."""
    own_namespace: DnsLabel = "node-exporter"
    """Namespace of the stack's own node-exporter (Pod Security privileged: it reads the host)."""
    namespace: Optional[DnsLabel] = None
    """Namespace of an existing node-exporter (unset: any namespace)."""
    service_name: DnsLabel = "node-exporter"
    """app.kubernetes.io/name label of an existing node-exporter Service (the community chart: prometheus-node-exporter)."""
    port_name: str = "metrics"
    """Port name of an existing node-exporter Service: http-metrics (community chart), https (kube-prometheus)."""
    scheme: Literal["http", "https"] = "http"
    """Scheme of that port (https: kube-prometheus' kube-rbac-proxy)."""
    cpu_request: CpuRequest = "20m"
    cpu_limit: CpuLimit = "250m"
    memory_request: MemoryRequest = "32Mi"
    memory_limit: MemoryLimit = "128Mi"
