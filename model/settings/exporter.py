"""The business metrics exporter."""

from __future__ import annotations

from typing import Literal

from model.settings.types import CpuLimit, CpuRequest, DatabaseName, Group, Host, Image, MemoryLimit, MemoryRequest, Port, Replicas, User


class ExporterSettings(Group):
    image: Image = "ghcr.io/waqiti/business-metrics-exporter:0.1.0"
    """Business metrics exporter image (built from exporter/), pinned to a version."""
    replicas: Replicas = 1
    """Exporter replicas (they agree: counters are seeded from the database)."""
    cpu_request: CpuRequest = "100m"
    cpu_limit: CpuLimit = "500m"
    memory_request: MemoryRequest = "128Mi"
    memory_limit: MemoryLimit = "256Mi"
    database_host: Host = "postgres.waqiti.svc"
    """Platform PostgreSQL (a read replica is best) the exporter reads."""
    database_port: Port = 5432
    """PostgreSQL port."""
    database_name: DatabaseName = "waqiti"
    """PostgreSQL database."""
    database_user: User = "metrics_reader"
    """Read-only role; its password is the secret exporterDatabasePassword."""
    database_ssl_mode: Literal["disable", "require", "verify-ca", "verify-full"] = "require"
    """PostgreSQL sslmode."""
