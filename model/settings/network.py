"""What the NetworkPolicies need to know about the cluster."""

from __future__ import annotations

from pydantic import Field

from model.settings.types import Cidr, DnsLabel, DnsName, Group


class NetworkSettings(Group):
    # NetworkPolicies cannot select the API server by label, only by IP (components/api_server.py).
    api_server_cidrs: list[Cidr] = Field(default_factory=list)
    """Endpoint addresses of the Kubernetes API server (not its ClusterIP), for the egress policies of Prometheus and kube-state-metrics; unset: read from the EndpointSlice default/kubernetes at deploy time."""
    dns_namespace: DnsLabel = "kube-system"
    """Namespace of the cluster DNS (kube-dns pods)."""
    cluster_domain: DnsName = "cluster.local"
    """The cluster's DNS domain: the ingress controller's nginx resolves the login check by its full name (no search domains)."""
