"""The blackbox exporter: probes from outside the services, as customers reach them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, Field

from model.settings.types import CpuLimit, CpuRequest, DnsName, Group, Image, MemoryLimit, MemoryRequest

_PROBE = re.compile(r"^(?P<service>[a-z0-9][a-z0-9-]*)(?::(?P<team>[a-z0-9][a-z0-9-]*))?=(?P<url>https?://[^\s/$.?#][^\s]*)$")


@dataclass(frozen=True)
class HttpProbe:
    service: str  # label service on the probe and its alert
    team: str  # the team paged when it fails
    url: str  # the public health endpoint, as a customer calls it


def http_probe(value: str) -> HttpProbe:
    """`<service>[:<team>]=<url>`; the team is the service's name unless given."""
    found = _PROBE.match(value)
    if not found:
        raise ValueError(f"expected '<service>[:<team>]=<http(s) URL>' such as 'payment=https://api.example.com/payments/health', got {value!r}")
    return HttpProbe(found["service"], found["team"] or found["service"], found["url"])


def _valid_probe(value: str) -> str:
    http_probe(value)
    return value


ProbeTarget = Annotated[str, AfterValidator(_valid_probe)]


class BlackboxSettings(Group):
    enabled: bool = True
    """Deploy the blackbox exporter and probe the endpoints below and every ingress host's certificate."""
    image: Image = "quay.io/prometheus/blackbox-exporter:v0.25.0"
    """blackbox_exporter image, pinned to a version."""
    http_targets: list[ProbeTarget] = Field(
        default_factory=lambda: [
            "payment=https://api.waqiti.example.com/payments/health",
            "wallet=https://api.waqiti.example.com/wallets/health",
        ]
    )
    """Public health endpoints probed for a 2xx, as '<service>[:<team>]=<url>' (the team paged when it fails; default the service's name)."""
    tls_hosts: list[DnsName] = Field(default_factory=list)
    """Hosts whose TLS certificate is checked on 443, besides the stack's own ingress hosts."""
    cpu_request: CpuRequest = "20m"
    cpu_limit: CpuLimit = "200m"
    memory_request: MemoryRequest = "32Mi"
    memory_limit: MemoryLimit = "128Mi"

    def probes(self) -> list[HttpProbe]:
        return [http_probe(value) for value in self.http_targets]
