"""HTTP endpoints: /metrics (the pre-rendered snapshot), /healthz (liveness: the process and its
refresh loops are alive) and /readyz (serving). Neither probe depends on the database: a database
outage must stay visible as business_exporter_database_up 0, which needs the target scraped.

The server is a small asyncio loop in its own thread rather than a thread-per-request WSGI server:
it only ever answers GET for three fixed resources, and with no thread to spawn and no WSGI
environ to build a scrape costs a fraction of the CPU, which is what keeps the /metrics p99 low
with ten concurrent scrapers on a two-core machine (see bench/RESULTS.md)."""
from __future__ import annotations

import asyncio
import socket
import threading
from typing import Callable

from prometheus_client.exposition import CONTENT_TYPE_LATEST

TEXT = "text/plain; charset=utf-8"
Response = tuple[str, bytes, str]  # status line text, body, content type
MAX_REQUEST_HEAD = 16 * 1024
IDLE_TIMEOUT = 60.0


def make_routes(metrics_body: Callable[[], bytes],
                liveness_problems: Callable[[], list[str]]) -> Callable[[str], Response]:
    def route(path: str) -> Response:
        if path == "/metrics":
            return "200 OK", metrics_body(), CONTENT_TYPE_LATEST
        if path == "/healthz":
            problems = liveness_problems()
            if problems:
                return "503 Service Unavailable", ("\n".join(problems) + "\n").encode(), TEXT
            return "200 OK", b"ok\n", TEXT
        if path == "/readyz":
            return "200 OK", b"ready\n", TEXT
        return "404 Not Found", b"not found\n", TEXT
    return route


class HttpServer:
    """Binds at construction (so a taken port fails at start), serves after start()."""

    def __init__(self, host: str, port: int, route: Callable[[str], Response]):
        self._route = route
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.create_server((host, port), family=family, backlog=128)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._serve, name="http", daemon=True)

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        self._socket.close()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, sock=self._socket, limit=MAX_REQUEST_HEAD))
        try:
            self._loop.run_forever()
        finally:
            server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # HTTP/1.1 keep-alive: Prometheus reuses its connection between scrapes
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_TIMEOUT)
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
                        ConnectionError):
                    return
                request_line, _, headers = head.partition(b"\r\n")
                parts = request_line.split()
                if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
                    await self._respond(writer, ("400 Bad Request", b"bad request\n", TEXT), False, True)
                    return
                method, target, version = parts
                keep_alive = version == b"HTTP/1.1" and b"connection: close" not in headers.lower()
                if method not in (b"GET", b"HEAD"):
                    # Only GET and HEAD, which carry no body: anything else ends the connection.
                    await self._respond(writer, ("405 Method Not Allowed", b"GET only\n", TEXT), False, True)
                    return
                path = target.split(b"?", 1)[0].decode("latin-1")
                await self._respond(writer, self._route(path), keep_alive, method == b"GET")
                if not keep_alive:
                    return
        finally:
            writer.close()

    @staticmethod
    async def _respond(writer: asyncio.StreamWriter, response: Response, keep_alive: bool,
                       with_body: bool) -> None:
        status, body, content_type = response
        head = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n").encode()
        writer.write(head + body if with_body else head)
        await writer.drain()
