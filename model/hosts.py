"""Where a host named in the settings lives, in the terms a NetworkPolicy can select.

A NetworkPolicy selects pods by namespace and label, or addresses by IP block; it cannot select a
DNS name. So a host the stack talks to (a database, a cache, a long-term store) is one of:
- a cluster Service name (`<service>.<namespace>.svc[.<cluster domain>]`, or a bare `<service>` in
  the stack's own namespace): the pods of that namespace;
- an IP address: that address alone;
- any other name (a managed database outside the cluster): only an address range the settings give.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Place:
    namespace: Optional[str] = None  # a Service in this namespace
    cidr: Optional[str] = None  # an address, as a one-address block


def place_of(host: str, own_namespace: str) -> Optional[Place]:
    """The namespace or address of a host; None for a name outside the cluster."""
    bare = host.strip("[]")
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        pass
    else:
        return Place(cidr=f"{address}/{address.max_prefixlen}")
    labels = host.lower().rstrip(".").split(".")
    if len(labels) == 1:
        return Place(namespace=own_namespace)
    if len(labels) >= 3 and labels[2] == "svc":
        return Place(namespace=labels[1])
    return None


def host_of(host_port: str) -> str:
    """The host of host:port (an IPv6 address in brackets keeps them off)."""
    return host_port.rpartition(":")[0].strip("[]")
