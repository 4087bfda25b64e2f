"""Prometheus: the server, its storage and its limits."""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field, model_validator

from model.settings.types import ByteSize, CpuLimit, CpuRequest, DnsName, Duration, Group, Image, MemoryLimit, MemoryRequest, Port, Quantity, Replicas, Url, User, duration_seconds

# Every job's scrape timeout (prometheus.yml's global); Prometheus refuses an interval shorter than it.
SCRAPE_TIMEOUT = "10s"


class PrometheusSettings(Group):
    image: Image = "quay.io/prometheus/prometheus:v3.13.5"
    """Prometheus image, pinned to a version."""
    replicas: Replicas = 2
    """Prometheus replicas; each scrapes everything (HA pair in production)."""
    scrape_interval: Duration = "15s"
    """How often every target is scraped."""
    evaluation_interval: Duration = "15s"
    """How often recording and alerting rules are evaluated."""
    retention: Duration = "30d"
    """How long samples are kept (spec: 30 days)."""
    retention_size: ByteSize = "90GB"
    """Size cap of the TSDB, below the volume size so the disk never fills."""
    storage_size: Quantity = "100Gi"
    """Volume size per replica."""
    cpu_request: CpuRequest = "500m"
    cpu_limit: CpuLimit = "2000m"
    memory_request: MemoryRequest = "2Gi"
    memory_limit: MemoryLimit = "4Gi"
    max_concurrent_queries: Annotated[int, Field(ge=1, le=200)] = 20
    """Queries evaluated at once (--query.max-concurrency)."""
    query_timeout: Duration = "2m"
    """Longest a query may run (--query.timeout)."""
    sample_limit: Annotated[int, Field(ge=100, le=10_000_000)] = 50000
    """Samples a target may expose per scrape before the scrape fails (jobs may set their own)."""
    label_limit: Annotated[int, Field(ge=10, le=200)] = 64
    """Labels a series may carry before the scrape fails."""
    host: DnsName = "prometheus.waqiti.example.com"
    """Public host name of the Prometheus UI behind the ingress."""
    opt_in_scrape_ports: Annotated[list[Port], Field(min_length=1, max_length=20)] = Field(default_factory=lambda: [8080, 15020])
    """Ports that pods and Services opting in with prometheus.io/scrape may name in prometheus.io/port; Prometheus's NetworkPolicy lets it out to no others (15020: Istio's merged metrics)."""
    remote_write_url: Optional[Url] = None
    """Long-term store (Thanos receive, Mimir, Cortex) to remote_write to; unset = none."""
    remote_write_username: Optional[User] = None
    """Basic-auth user for remote_write; its password is the secret remoteWritePassword."""

    @model_validator(mode="after")
    def _interval_covers_the_timeout(self):
        if duration_seconds(self.scrape_interval) < duration_seconds(SCRAPE_TIMEOUT):
            raise ValueError(f"prometheusScrapeInterval: expected at least the scrape timeout ({SCRAPE_TIMEOUT})")
        return self
