"""HTTP endpoints: /metrics (the pre-rendered snapshot), /healthz (liveness: the process and its
refresh loops are alive) and /readyz (serving). Neither probe depends on the database: a database
outage must stay visible as business_exporter_database_up 0, which needs the target scraped.

The server is a small asyncio loop in its own thread rather than a thread-per-request WSGI server:
it only ever answers GET for three fixed resources, and with no thread to spawn and no WSGI
environ to build a scrape costs a fraction of the CPU, which is what keeps the /metrics p99 low
with ten concurrent scrapers on a two-core machine (see bench/RESULTS.md).

It faces whatever can reach its port, so every connection is bounded (bench/bench_exporter_attacks.py
measures it under slowloris, connection floods and pipelining clients that never read):
  * time: a request head must arrive within HEAD_TIMEOUT of its first byte (and a new connection's
    first byte within HEAD_TIMEOUT); a kept-alive connection may idle IDLE_TIMEOUT; a response must
    drain within WRITE_TIMEOUT, else the connection is aborted;
  * space: a head over MAX_REQUEST_HEAD gets 431; a pipelining client's next request is not read
    before its previous response has drained, so at most one response waits per connection;
  * count: at most max_connections; at the cap a new connection displaces the connection that has
    waited longest for a request (the slowloris, not the scraper being answered);
  * a GET or HEAD with a body gets 400 and the connection closes (the body is never read as a second
    request); a reset or timeout is one log line, never a traceback.

A scrape costs no rendering and no compression: /metrics answers with the latest pre-rendered body,
gzip-compressed ahead of time for clients that accept it (Prometheus does: about 12x fewer bytes
to copy), and deadlines use asyncio.timeout rather than wait_for, which would wrap every read and
drain in a task of its own."""
from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from typing import Callable

from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"
# status line text, body, content type[, content encoding]
Response = tuple[str, bytes, str] | tuple[str, bytes, str, str]
GZIP = "gzip"
MAX_REQUEST_HEAD = 16 * 1024
HEAD_TIMEOUT = 10.0
IDLE_TIMEOUT = 60.0
WRITE_TIMEOUT = 10.0
MAX_CONNECTIONS = 512  # under the container's 1024 file descriptors, over any honest number of scrapers
WRITE_BUFFER_HIGH = 64 * 1024
# The kernel's send buffer per connection, fixed rather than auto-tuned (up to megabytes): a client that
# pipelines requests and never reads can then make the server render and copy only a few responses.
SEND_BUFFER = 256 * 1024
LINGER_SECONDS, LINGER_BYTES = 2.0, 4 * 1024 * 1024
BAD_REQUEST: Response = ("400 Bad Request", b"bad request\n", TEXT)
HEAD_TOO_LARGE: Response = ("431 Request Header Fields Too Large", b"request head too large\n", TEXT)
NOT_ALLOWED: Response = ("405 Method Not Allowed", b"GET only\n", TEXT)


def make_routes(metrics_body: Callable[[], bytes], liveness_problems: Callable[[], list[str]],
                metrics_gzip: Callable[[], bytes | None] = lambda: None) -> Callable[..., Response]:
    """route(path, gzip_accepted=False) -> Response. metrics_gzip gives the same body compressed
    (None while there is none)."""
    def route(path: str, gzip_accepted: bool = False) -> Response:
        if path == "/metrics":
            if gzip_accepted and (compressed := metrics_gzip()) is not None:
                return "200 OK", compressed, CONTENT_TYPE_LATEST, GZIP
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


class _Refused(Exception):
    """A request answered with an error, after which the connection closes."""

    def __init__(self, response: Response):
        super().__init__(response[0])
        self.response = response


def _parse_head(head: bytes) -> tuple[bytes, bytes, bool, bool]:
    """(method, path, keep_alive, gzip accepted) of a request head, or _Refused."""
    request_line, _, header_block = head[:-4].partition(b"\r\n")
    parts = request_line.split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1.") or not parts[1].startswith(b"/"):
        raise _Refused(BAD_REQUEST)
    method, target, version = parts
    headers: dict[bytes, bytes] = {}
    for line in header_block.split(b"\r\n") if header_block else ():
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise _Refused(BAD_REQUEST)
        headers[name.lower()] = value.strip().lower()
    if method not in (b"GET", b"HEAD"):
        raise _Refused(NOT_ALLOWED)
    # GET and HEAD carry no body here; one we did not read would be taken for the next request.
    if headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers:
        raise _Refused(BAD_REQUEST)
    keep_alive = version == b"HTTP/1.1" and headers.get(b"connection") != b"close"
    return method, target.split(b"?", 1)[0], keep_alive, _accepts_gzip(headers.get(b"accept-encoding", b""))


def _accepts_gzip(accept_encoding: bytes) -> bool:
    for item in accept_encoding.split(b","):
        coding, _, params = item.strip().partition(b";")
        if coding.strip() == b"gzip":
            return params.replace(b" ", b"") not in (b"q=0", b"q=0.0", b"q=0.00", b"q=0.000")
    return False


class _Connection:
    __slots__ = ("writer", "waiting_since")

    def __init__(self, writer: asyncio.StreamWriter):
        self.writer = writer
        self.waiting_since: float | None = time.monotonic()  # None while a request is being answered


class HttpServer:
    """Binds at construction (so a taken port fails at start), serves after start()."""

    def __init__(self, host: str, port: int, route: Callable[[str], Response],
                 max_connections: int = MAX_CONNECTIONS):
        self._route = route
        self._max_connections = max_connections
        self._connections: set[_Connection] = set()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.create_server((host, port), family=family, backlog=128)
        self._loop = asyncio.new_event_loop()
        self._loop.set_exception_handler(self._log_loop_error)
        self._stopping = asyncio.Event()
        self._thread = threading.Thread(target=self._serve, name="http", daemon=True)

    @property
    def port(self) -> int:
        return self._socket.getsockname()[1]

    @property
    def connections(self) -> int:
        return len(self._connections)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(timeout=5)
        self._socket.close()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._run())
        finally:
            self._loop.close()

    async def _run(self) -> None:
        server = await asyncio.start_server(self._handle, sock=self._socket, limit=MAX_REQUEST_HEAD)
        await self._stopping.wait()
        server.close()
        for connection in list(self._connections):   # each handler then sees its end of stream
            connection.writer.transport.abort()
        handlers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        if handlers:
            await asyncio.wait(handlers, timeout=2)

    @staticmethod
    def _log_loop_error(loop, context) -> None:
        error = context.get("exception")
        log.warning("http: %s%s", context.get("message", "error"), f" ({error!r})" if error else "")

    def _admit(self, connection: _Connection) -> bool:
        """Makes room for a new connection at the cap by aborting the one waiting longest for a request."""
        if len(self._connections) >= self._max_connections:
            waiting = [c for c in self._connections if c.waiting_since is not None]
            if not waiting:
                return False
            oldest = min(waiting, key=lambda c: c.waiting_since)
            oldest.writer.transport.abort()
            self._connections.discard(oldest)
        self._connections.add(connection)
        return True

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(writer)
        if not self._admit(connection):
            writer.transport.abort()
            return
        writer.transport.set_write_buffer_limits(high=WRITE_BUFFER_HIGH)
        writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        try:
            await self._converse(reader, connection)
        except (ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError, OSError) as error:
            peer = writer.get_extra_info("peername")
            log.info("http: connection from %s ended: %s", peer[0] if peer else "?", type(error).__name__)
        finally:
            self._connections.discard(connection)
            writer.transport.abort()   # after a drained response: nothing is lost, nothing lingers

    async def _converse(self, reader: asyncio.StreamReader, connection: _Connection) -> None:
        first_wait = HEAD_TIMEOUT
        while True:  # HTTP/1.1 keep-alive: Prometheus reuses its connection between scrapes
            connection.waiting_since = time.monotonic()
            async with asyncio.timeout(first_wait):
                first = await reader.read(1)
            if not first:
                return
            try:
                async with asyncio.timeout(HEAD_TIMEOUT):
                    head = first + await reader.readuntil(b"\r\n\r\n")
                method, path, keep_alive, gzip_accepted = _parse_head(head)
            except asyncio.LimitOverrunError:
                return await self._refuse(reader, connection, HEAD_TOO_LARGE)
            except _Refused as refused:
                return await self._refuse(reader, connection, refused.response)
            connection.waiting_since = None
            await self._respond(connection, self._route(path.decode("latin-1"), gzip_accepted), keep_alive,
                                method == b"GET")
            if not keep_alive:
                return
            first_wait = IDLE_TIMEOUT

    async def _refuse(self, reader: asyncio.StreamReader, connection: _Connection, response: Response) -> None:
        """Answers an error and closes gently: the client may still be sending (a 1 MB head), and closing
        with unread input would reset the connection before it reads the answer. So: answer, end our
        side, and discard what still comes for a bounded time and amount."""
        await self._respond(connection, response, False, True)
        connection.writer.write_eof()
        deadline = time.monotonic() + LINGER_SECONDS
        discarded = 0
        while discarded < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
            try:
                async with asyncio.timeout(left):
                    chunk = await reader.read(64 * 1024)
            except (asyncio.TimeoutError, asyncio.LimitOverrunError):
                return
            if not chunk:
                return
            discarded += len(chunk)

    @staticmethod
    async def _respond(connection: _Connection, response: Response, keep_alive: bool, with_body: bool) -> None:
        status, body, content_type, *encoding = response
        encoding = "".join(f"Content-Encoding: {e}\r\nVary: Accept-Encoding\r\n" for e in encoding)
        head = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{encoding}Content-Length: {len(body)}\r\n"
                f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n").encode()
        connection.writer.write(head + body if with_body else head)
        async with asyncio.timeout(WRITE_TIMEOUT):
            await connection.writer.drain()
