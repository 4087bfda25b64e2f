"""HTTP endpoints: /metrics (the pre-rendered snapshot), /healthz (liveness: the process and its
refresh loops are alive) and /readyz (serving). Neither probe depends on the database: a database
outage must stay visible as business_exporter_database_up 0, which needs the target scraped."""
from __future__ import annotations

import threading
from typing import Callable
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client.exposition import CONTENT_TYPE_LATEST, ThreadingWSGIServer


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # scrapes every 15 s would flood the log
        pass


def make_app(metrics_body: Callable[[], bytes], liveness_problems: Callable[[], list[str]]):
    def app(environ, start_response):
        path = environ.get("PATH_INFO", "/")
        if path == "/metrics":
            body, status, content_type = metrics_body(), "200 OK", CONTENT_TYPE_LATEST
        elif path == "/healthz":
            problems = liveness_problems()
            status = "503 Service Unavailable" if problems else "200 OK"
            body = ("\n".join(problems) if problems else "ok").encode() + b"\n"
            content_type = "text/plain; charset=utf-8"
        elif path == "/readyz":
            body, status, content_type = b"ready\n", "200 OK", "text/plain; charset=utf-8"
        else:
            body, status, content_type = b"not found\n", "404 Not Found", "text/plain; charset=utf-8"
        start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]
    return app


class HttpServer:
    def __init__(self, host: str, port: int, app):
        self._server = make_server(host, port, app, ThreadingWSGIServer, handler_class=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="http", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_port

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
