"""Alertmanager: the peers of the cluster."""

from __future__ import annotations

from model.settings.types import CpuLimit, CpuRequest, DnsName, Group, Image, MemoryLimit, MemoryRequest, Quantity, Replicas


class AlertmanagerSettings(Group):
    image: Image = "quay.io/prometheus/alertmanager:v0.35.0"
    """Alertmanager image, pinned to a version."""
    replicas: Replicas = 3
    """Alertmanager peers, clustered over the headless Service."""
    storage_size: Quantity = "10Gi"
    """Volume per peer (silences and notification log)."""
    cpu_request: CpuRequest = "100m"
    cpu_limit: CpuLimit = "200m"
    memory_request: MemoryRequest = "256Mi"
    memory_limit: MemoryLimit = "512Mi"
    host: DnsName = "alerts.waqiti.example.com"
    """Public host name of the Alertmanager UI behind the ingress."""
