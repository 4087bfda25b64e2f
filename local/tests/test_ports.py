"""Port sets of the local stack: never a port twice (a duplicate made ~2% of runs fail for no reason)."""
from __future__ import annotations

import socket
from dataclasses import astuple, fields

from local.stack import Ports
from testsupport.ports import free_ports


def ports_of(ports: Ports) -> list[int]:
    flat = []
    for value in astuple(ports):
        if isinstance(value, dict):
            for item in value.values():
                flat.extend(item if isinstance(item, list) else [item])
        elif isinstance(value, list):
            flat.extend(value)
        else:
            flat.append(value)
    return flat


def test_200_port_sets_hold_no_duplicate():
    sets = [ports_of(Ports()) for _ in range(200)]
    # every set has one port per field, more for the lists and maps (Alertmanager peers, service pods)
    assert len({len(ports) for ports in sets}) == 1 and len(sets[0]) > len(fields(Ports))
    for ports in sets:
        assert len(set(ports)) == len(ports)
    every = [port for ports in sets for port in ports]
    assert len(set(every)) == len(every)  # nor across sets: a port handed out is never handed out again


def test_a_drawn_port_is_free_to_bind():
    for port in free_ports(20):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
