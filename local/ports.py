"""The ports of one local stack, none guessed (testsupport/ports.py).

The Python servers' ports are held: listening sockets on port 0, handed to the servers as `fd:N`,
so they are known before anything starts and nobody can take them. The exporters bind port 0 and
report theirs as they start. Prometheus and the Alertmanagers write their own port into their
flags, so they pick theirs as they start and pick again when another process took one meanwhile.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass, field

from testsupport.ports import listening_socket, pick_ports, port_of

SERVICES = ("payment", "wallet", "user", "fraud")
PODS_PER_SERVICE = 2
ALERTMANAGER_PEERS = 3


def _held_sockets() -> dict[str, socket.socket]:
    names = ["sinks-http", "sinks-smtp", "moto", "traffic-control",
             *(f"{s}-pod-{i}" for s in SERVICES for i in range(PODS_PER_SERVICE)), *(f"{s}-control" for s in SERVICES)]
    return {name: listening_socket() for name in names}


@dataclass
class Ports:
    """Held sockets by name (sinks-http, sinks-smtp, moto, traffic-control, <service>-pod-<i>,
    <service>-control), and the ports the other servers got as they started."""

    held: dict[str, socket.socket] = field(default_factory=_held_sockets)
    prometheus: int = 0
    alertmanager: list[int] = field(default_factory=list)
    alertmanager_cluster: list[int] = field(default_factory=list)
    exporter: int = 0
    postgres_exporter: int = 0
    node_exporter: int = 0
    blackbox_exporter: int = 0

    def __post_init__(self):
        self._held_ports = {name: port_of(sock) for name, sock in self.held.items()}  # kept after close()

    def held_port(self, name: str) -> int:
        return self._held_ports[name]

    def fd(self, name: str) -> str:
        return f"fd:{self.held[name].fileno()}"

    def fds(self, *names: str) -> tuple[int, ...]:
        return tuple(self.held[name].fileno() for name in names)

    def pick_alertmanagers(self) -> None:
        picked = pick_ports(2 * ALERTMANAGER_PEERS)
        self.alertmanager, self.alertmanager_cluster = picked[:ALERTMANAGER_PEERS], picked[ALERTMANAGER_PEERS:]

    def close(self) -> None:
        """Our copies of the held sockets (each server has its own once started)."""
        for sock in self.held.values():
            sock.close()

    @property
    def service_pods(self) -> dict[str, list[int]]:
        return {s: [self.held_port(f"{s}-pod-{i}") for i in range(PODS_PER_SERVICE)] for s in SERVICES}

    def all(self) -> list[int]:
        """Every port of the set known so far."""
        return [*self._held_ports.values(), *self.alertmanager, *self.alertmanager_cluster,
                *(p for p in (self.prometheus, self.exporter, self.postgres_exporter, self.node_exporter,
                              self.blackbox_exporter) if p)]
