"""Alertmanager: the peers of the cluster."""

from __future__ import annotations

from model.settings.types import DnsName, Group, Image, Quantity, Replicas


class AlertmanagerSettings(Group):
    image: Image = "quay.io/prometheus/alertmanager:v0.35.0"
    """Alertmanager image, pinned to a version."""
    replicas: Replicas = 3
    """Alertmanager peers, clustered over the headless Service."""
    storage_size: Quantity = "10Gi"
    """Volume per peer (silences and notification log)."""
    cpu_request: Quantity = "100m"
    """CPU request."""
    cpu_limit: Quantity = "200m"
    """CPU limit."""
    memory_request: Quantity = "256Mi"
    """Memory request."""
    memory_limit: Quantity = "512Mi"
    """Memory limit."""
    host: DnsName = "alerts.waqiti.example.com"
    """Public host name of the Alertmanager UI behind the ingress."""
