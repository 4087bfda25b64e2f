"""Grafana and its image renderer."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from model.settings.types import Cidr, CpuLimit, CpuRequest, DatabaseName, DnsName, Group, Host, HostPort, Image, MemoryLimit, MemoryRequest, Port, Quantity, Replicas, User


class GrafanaSettings(Group):
    image: Image = "docker.io/grafana/grafana:12.4.5"
    """Grafana image, pinned to a version."""
    renderer_image: Image = "docker.io/grafana/grafana-image-renderer:3.12.9"
    """Grafana image renderer, pinned to a version."""
    replicas: Replicas = 2
    """Grafana replicas (more than 1 needs grafanaDatabaseHost)."""
    storage_size: Quantity = "20Gi"
    """Volume for SQLite when no database is configured."""
    cpu_request: CpuRequest = "200m"
    cpu_limit: CpuLimit = "500m"
    memory_request: MemoryRequest = "512Mi"
    memory_limit: MemoryLimit = "1Gi"
    host: DnsName = "grafana.waqiti.example.com"
    """Public host name of Grafana behind the ingress."""
    admin_user: User = "admin"
    """Grafana admin user; its password is grafanaAdminPassword or generated."""
    auth_proxy_role: Literal["Viewer", "Editor", "Admin"] = "Viewer"
    """Role in the main organisation of a person Grafana signs up from the ingress login (an admin can change it per person)."""
    auth_proxy_whitelist: list[Cidr] = Field(default_factory=list)
    """Addresses allowed to name the user (the ingress controller's pods); empty: whoever the NetworkPolicy lets reach Grafana."""
    database_host: Optional[Host] = None
    """PostgreSQL host for Grafana (shared with the platform); unset = SQLite on a volume."""
    database_port: Port = 5432
    """PostgreSQL port."""
    database_name: DatabaseName = "grafana"
    """PostgreSQL database."""
    database_user: User = "grafana"
    """PostgreSQL user; its password is the secret grafanaDatabasePassword."""
    database_ssl_mode: Literal["disable", "require", "verify-ca", "verify-full"] = "require"
    """PostgreSQL sslmode."""
    redis_address: Optional[HostPort] = None
    """Redis host:port for Grafana's cache; unset = no remote cache."""
    image_renderer_enabled: bool = True
    """Deploy the image renderer (PNG panels for reports and alerts)."""
