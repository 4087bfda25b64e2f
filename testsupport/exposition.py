"""A scrape target on loopback: serves Prometheus text exposition on a port the OS chose.

    with ExpositionServer(lambda path: "up 1\n") as target:     # target.address: "127.0.0.1:PORT"
        ...                                                      # a path answered None is a 404
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Optional


class ExpositionServer:
    def __init__(self, body: Callable[[str], Optional[str]]):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                text = body(self.path)
                if text is None:
                    self.send_error(404)
                    return
                data = text.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.address = f"127.0.0.1:{self.port}"

    def __enter__(self) -> "ExpositionServer":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
