"""What the NetworkPolicies need to know about the cluster."""

from __future__ import annotations

from pydantic import Field

from model.settings.types import Cidr, DnsLabel, DnsName, Group


class NetworkSettings(Group):
    # NetworkPolicies cannot select the API server by label, only by IP.
    api_server_cidrs: list[Cidr] = Field(default_factory=lambda: ["0.0.0.0/0"])
    """Addresses of the Kubernetes API server, for Prometheus's egress policy."""
    dns_namespace: DnsLabel = "kube-system"
    """Namespace of the cluster DNS (kube-dns pods)."""
    cluster_domain: DnsName = "cluster.local"
    """The cluster's DNS domain: the ingress controller's nginx resolves the login check by its full name (no search domains)."""
