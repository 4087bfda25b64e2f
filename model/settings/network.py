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
    # A cluster Service name or an IP needs nothing here: the NetworkPolicy selects its namespace or
    # address. A name outside the cluster (a managed database) can only be allowed by address.
    database_cidrs: list[Cidr] = Field(default_factory=list)
    """Address ranges of the databases and caches outside the cluster that Grafana and the exporter use (set when a database host is not a cluster Service name or an IP)."""
