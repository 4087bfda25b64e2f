"""Port sets of the local stack: never a port twice (a duplicate made ~2% of runs fail for no reason)."""
from __future__ import annotations

import socket

import pytest

from local import ports as ports_module
from local.ports import ALERTMANAGER_PEERS, PODS_PER_SERVICE, SERVICES, Ports
from local.stack import LocalStack
from testsupport.alertmanager import MINIMAL_CONFIG
from testsupport.ports import pick_ports, port_of


def test_200_port_sets_hold_no_duplicate():
    sets = [Ports() for _ in range(200)]  # all held at once, as 200 stacks started side by side
    try:
        for ports in sets:
            ports.pick_alertmanagers()  # what each stack picks as it starts its Alertmanagers
        every = [port for ports in sets for port in ports.all()]
        # each set: the held ports of the sinks, moto, traffic and every pod and control, and the peers' picks
        assert len(every) == 200 * (4 + len(SERVICES) * (PODS_PER_SERVICE + 1) + 2 * ALERTMANAGER_PEERS)
        assert len(set(every)) == len(every)
    finally:
        for ports in sets:
            ports.close()


@pytest.mark.slow
@pytest.mark.parametrize("taken", ["web", "cluster"])
def test_alertmanager_peers_that_lost_a_picked_port_start_again_on_new_ones(monkeypatch, taken):
    occupied: list[socket.socket] = []

    def picked_then_taken(count: int) -> list[int]:
        picked = pick_ports(count)
        if not occupied:  # another process binds one of the first picks before its peer does
            occupied.append(socket.create_server(("127.0.0.1", picked[-1 if taken == "cluster" else 0])))
        return picked

    monkeypatch.setattr(ports_module, "pick_ports", picked_then_taken)
    stack = LocalStack()
    try:
        source = stack.build_dir / "alertmanager"
        (source / "templates").mkdir(parents=True)
        (source / "alertmanager.yml").write_text("global: {}\ntemplates: []\n" + MINIMAL_CONFIG)
        stack.secrets_dir.mkdir()
        stack._start_alertmanagers()  # waits until the peers form one cluster
        assert port_of(occupied[0]) not in stack.ports.alertmanager + stack.ports.alertmanager_cluster
        assert [am.running() for am in stack.alertmanagers] == [True] * ALERTMANAGER_PEERS
    finally:
        stack.stop()
        for sock in occupied:
            sock.close()
