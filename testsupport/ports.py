"""Loopback ports for the servers that tests and the local stack start themselves.

A port is drawn by binding port 0 (the OS picks a free one). Two things keep a drawn port from
being handed out twice: all the sockets of one draw stay bound until the whole set is drawn (the
OS never gives a bound port again), and this process remembers every port it handed out and never
hands one out again. What neither can stop, another process binding the port before our server
does, is left to the callers: servers that can bind port 0 themselves do so, the others retry a
start that lost the race (local/stack.py).
"""
from __future__ import annotations

import socket
import threading

_handed_out: set[int] = set()
_lock = threading.Lock()
# Far below the ~28000 ephemeral ports: a long-running process starts remembering afresh.
_REMEMBERED = 10_000


def free_ports(count: int) -> list[int]:
    """`count` distinct ports that nothing listens on now and that this process never handed out."""
    sockets: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            sock = socket.socket()
            sockets.append(sock)
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            with _lock:
                if len(_handed_out) >= _REMEMBERED:
                    _handed_out.clear()
                if port in _handed_out:
                    continue
                _handed_out.add(port)
            ports.append(port)
        return ports
    finally:
        for sock in sockets:
            sock.close()


def free_port() -> int:
    """One port, as free_ports draws them."""
    return free_ports(1)[0]
