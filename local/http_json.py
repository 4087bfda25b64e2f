"""The small HTTP endpoints of the local stack (fault controls, sinks) answer JSON the same way, and
serve on the listening socket the stack hands them (testsupport/ports.py: held ports)."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JsonHandler(BaseHTTPRequestHandler):
    """A request handler with one way to answer and no access log on the terminal."""

    def _reply(self, status: int, payload) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain" if isinstance(payload, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def listening(text: str) -> socket.socket:
    """A command-line listen address: `fd:N`, a listening socket the parent handed over (the local
    stack's way: the port is known before the server starts and nobody can take it), or HOST:PORT
    to bind (port 0 is fine)."""
    if text.startswith("fd:"):
        return socket.socket(fileno=int(text[3:]))
    host, _, port = text.rpartition(":")
    return socket.create_server((host or "127.0.0.1", int(port)))


def serve(sock: socket.socket, handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """`handler` answering on the listening socket `sock`, in a background thread."""
    server = ThreadingHTTPServer(sock.getsockname()[:2], handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
