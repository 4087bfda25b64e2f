"""Loopback ports for the servers that tests and the local stack start themselves: never guessed.

Three ways, the first that fits the server:

- held: `listening_socket()` binds port 0 and listens; the server is handed that very socket
  (a Python server in this process, or a child through `pass_fds`), so the port it serves on is
  the one the caller knows, and nothing can take it in between.
- reported: the server binds port 0 itself and says which port it got; `reported_port()` reads it
  from its log (node_exporter, postgres_exporter and the business exporter log it).
- picked and retried: a server whose own port must be written into its flags or config before it
  starts (Prometheus and Alertmanager name themselves in their external URL, peers and self-scrape;
  PostgreSQL in postgresql.conf) gets `pick_port()`: free now, but another process may bind it
  before the server does. That start fails with "address already in use" (`PortInUse`, from
  testsupport.process) and is retried with a new pick.
"""
from __future__ import annotations

import re
import socket
import threading

LOOPBACK = "127.0.0.1"
# exporter-toolkit's line, logged by Prometheus, Alertmanager, node_exporter and postgres_exporter
# with the address the listener actually got (so also for port 0).
TOOLKIT_LISTENING = re.compile(r'msg="Listening on".*? address=(?:127\.0\.0\.1|\[::\]|0\.0\.0\.0):(\d+)')

# Starts of a server whose picked port was taken before it bound it: each retry picks anew.
PICK_ATTEMPTS = 5
# The business exporter's line (exporter/__main__.py; its CLI test reads it with this pattern too).
EXPORTER_LISTENING = re.compile(r"exporter: listening on \S+:(\d+)")

_handed_out: set[int] = set()
_lock = threading.Lock()
# Far below the ~28000 ephemeral ports: a long-running process starts remembering afresh.
_REMEMBERED = 10_000


def listening_socket(host: str = LOOPBACK) -> socket.socket:
    """A socket listening on a port the OS chose; hand it to the server that is to serve on it."""
    sock = socket.create_server((host, 0), backlog=128)
    sock.set_inheritable(True)
    return sock


def port_of(sock: socket.socket) -> int:
    return sock.getsockname()[1]


def pick_ports(count: int) -> list[int]:
    """`count` distinct ports free now and never handed out before by this process.

    Only for servers that must be told their port (see the module's docstring): the caller retries
    a start that lost its port. All the sockets of one draw stay bound until the whole set is drawn,
    so a set never holds a port twice.
    """
    sockets: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            sock = socket.socket()
            sockets.append(sock)
            sock.bind((LOOPBACK, 0))
            port = port_of(sock)
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


def pick_port() -> int:
    """One port, as pick_ports draws them."""
    return pick_ports(1)[0]


def reported_port(log_text: str, pattern: re.Pattern = TOOLKIT_LISTENING) -> int | None:
    """The port a server that bound port 0 reported in its log, or None while it has not yet."""
    found = pattern.search(log_text)
    return int(found.group(1)) if found else None


def in_use(error_text: str) -> bool:
    """Whether a server's error says its port was taken (Go, PostgreSQL and Python all say so)."""
    return "address already in use" in error_text.lower()
