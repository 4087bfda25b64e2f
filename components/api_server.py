"""Where the Kubernetes API server really is, for the egress policies of Prometheus and kube-state-metrics.

A NetworkPolicy cannot select the API server by label, only by IP block, and the block must hold the
API server's endpoint addresses, not the `kubernetes` Service's ClusterIP: kube-proxy, Calico and
Cilium translate the ClusterIP to an endpoint address before the policy sees the packet, so a rule
for the ClusterIP matches nothing and Prometheus loses all Kubernetes discovery. Unless
networkApiServerCidrs names them, they are read at deploy time (preview and up) from the
EndpointSlice the API server keeps for itself, `default/kubernetes`, through the provider's get
function: one /32 (or /128) per address, so a control plane that moves is followed by the next `up`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Iterable, Sequence

import pulumi
import pulumi_kubernetes as k8s

from model.endpoints import API_SERVER_PORTS

ENDPOINT_SLICE = "default/kubernetes"  # namespace/name: kept by the API server's endpoint reconciler
RESOURCE_NAME = "kubernetes-api-server-endpoints"
SETTING = "waqiti-monitoring:networkApiServerCidrs"


@dataclass(frozen=True)
class ApiServer:
    cidrs: tuple[str, ...]
    ports: tuple[int, ...] = API_SERVER_PORTS


def host_cidr(address: str) -> str:
    """`10.0.1.5` -> `10.0.1.5/32`, `fd00::5` -> `fd00::5/128`."""
    ip = ipaddress.ip_address(address)
    return f"{ip}/{ip.max_prefixlen}"


def from_endpoints(addresses: Iterable[str], ports: Iterable[int]) -> ApiServer:
    """The API server as its EndpointSlice lists it: every address as a host CIDR; its ports besides
    the usual 443 and 6443 (a control plane may serve on another)."""
    cidrs = tuple(sorted({host_cidr(address) for address in addresses}))
    if not cidrs:
        raise ValueError(
            f"{SETTING} is unset and the cluster's EndpointSlice {ENDPOINT_SLICE} lists no address: set {SETTING} "
            f"to the API server's endpoint addresses as CIDRs (kubectl get endpointslice -n default kubernetes)"
        )
    return ApiServer(cidrs, tuple(sorted(set(API_SERVER_PORTS) | {int(port) for port in ports})))


# The provider's output types are dicts of the wire names; the engine's mocks give plain dicts.
def _addresses(endpoints: Sequence | None) -> list[str]:
    return [address for endpoint in endpoints or [] for address in endpoint.get("addresses") or []]


def _ports(ports: Sequence | None) -> list[int]:
    return [port["port"] for port in ports or [] if port.get("port")]


def read(opts: pulumi.ResourceOptions) -> pulumi.Output[ApiServer]:
    """The API server's endpoints, read from the cluster (not created, not deleted)."""
    endpoint_slice = k8s.discovery.v1.EndpointSlice.get(RESOURCE_NAME, ENDPOINT_SLICE, opts=opts)
    return pulumi.Output.all(endpoint_slice.endpoints, endpoint_slice.ports).apply(
        lambda found: from_endpoints(_addresses(found[0]), _ports(found[1]))
    )


def api_server(cidrs: Sequence[str], opts: pulumi.ResourceOptions) -> pulumi.Output[ApiServer]:
    """The configured CIDRs when given, else the addresses read from the cluster."""
    return pulumi.Output.from_input(ApiServer(tuple(cidrs))) if cidrs else read(opts)
