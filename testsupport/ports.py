"""Free TCP ports on loopback, for servers that tests start and stop themselves."""
from __future__ import annotations

import socket


def free_port() -> int:
    """A port that nothing listens on right now (the OS picks it; tiny race, fine for tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
