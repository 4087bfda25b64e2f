"""The exporter's HTTP server on loopback, against clients that misbehave: every connection is bounded
in time, space and number, and a misbehaving client costs one log line."""
from __future__ import annotations

import gzip
import http.client as http_client
import logging
import socket
import struct
import time

import pytest

from exporter import server as http
from exporter.server import HttpServer, make_routes

BODY = b"# metrics\n" + b"x 1\n" * 50_000  # 200 KB: more than a socket and the write buffer hold


@pytest.fixture
def serve():
    started = []

    def start(**kwargs) -> HttpServer:
        instance = HttpServer("127.0.0.1", 0, make_routes(lambda: BODY, lambda: []), **kwargs)
        instance.start()
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    _READERS.pop(id(sock), None)
    return sock


_READERS: dict[int, object] = {}


def read_response(sock: socket.socket) -> tuple[str, bytes]:
    """(status line, body) of the next response on sock (buffered per socket, for pipelining)."""
    stream = _READERS.setdefault(id(sock), sock.makefile("rb"))
    status = stream.readline()
    if not status:
        raise ConnectionError("closed before a response")
    length = 0
    while (line := stream.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    return status.decode().rstrip("\r\n"), stream.read(length)


def closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_keep_alive_and_pipelined_requests_are_answered_in_order(serve):
    server = serve()
    with connect(server.port) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock) == ("HTTP/1.1 200 OK", BODY)
        assert read_response(sock) == ("HTTP/1.1 200 OK", b"ready\n")
        sock.sendall(b"GET /nothing HTTP/1.1\r\n\r\n")
        assert read_response(sock)[0] == "HTTP/1.1 404 Not Found"


@pytest.mark.parametrize("extra", [b"Content-Length: 5\r\n", b"Transfer-Encoding: chunked\r\n"])
def test_a_get_with_a_body_gets_one_400_and_the_connection_closes(serve, extra):
    server = serve()
    with connect(server.port) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\n" + extra + b"\r\nGET /metrics HTTP/1.1\r\n\r\n")
        assert read_response(sock) == ("HTTP/1.1 400 Bad Request", b"bad request\n")
        assert _READERS[id(sock)].read() == b""   # the body was not taken for a second request


@pytest.mark.parametrize("head", [b"GET metrics HTTP/1.1\r\n\r\n", b"GET /metrics\r\n\r\n",
                                  b"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n",
                                  b"GET /metrics HTTP/1.1\r\n X: folded\r\n\r\n"])
def test_malformed_heads_get_400(serve, head):
    server = serve()
    with connect(server.port) as sock:
        sock.sendall(head)
        assert read_response(sock)[0] == "HTTP/1.1 400 Bad Request"


def test_a_post_gets_405(serve):
    server = serve()
    with connect(server.port) as sock:
        sock.sendall(b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        assert read_response(sock)[0] == "HTTP/1.1 405 Method Not Allowed"


def test_a_megabyte_of_headers_gets_431(serve):
    server = serve()
    with connect(server.port) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\n" + b"X-Junk: " + b"a" * (1024 * 1024) + b"\r\n\r\n")
        assert read_response(sock) == ("HTTP/1.1 431 Request Header Fields Too Large", b"request head too large\n")


def test_slowloris_is_cut_off_after_the_head_timeout(serve, monkeypatch):
    monkeypatch.setattr(http, "HEAD_TIMEOUT", 0.5)
    server = serve()
    silent, trickling = connect(server.port), connect(server.port)
    started = time.monotonic()
    trickling.sendall(b"GET /metrics HTTP/1.1\r\n")
    for _ in range(3):
        time.sleep(0.2)
        trickling.sendall(b"X: y\r\n")
    assert closed_by_server(silent, 3) and closed_by_server(trickling, 3)
    assert time.monotonic() - started < 2.5
    assert wait_for(lambda: server.connections == 0, 2)


def test_a_pipelining_client_that_never_reads_is_aborted_after_the_write_timeout(serve, monkeypatch):
    monkeypatch.setattr(http, "WRITE_TIMEOUT", 0.5)
    server = serve()
    sock = connect(server.port)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(5)
    try:
        for _ in range(200):
            sock.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
    except (ConnectionError, socket.timeout):
        pass  # the server stopped reading, then aborted us
    assert wait_for(lambda: server.connections == 0, 5)
    sock.close()
    # and it still serves
    with connect(server.port) as fresh:
        fresh.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
        assert read_response(fresh) == ("HTTP/1.1 200 OK", BODY)


def test_at_the_connection_cap_a_new_client_displaces_the_longest_waiting(serve):
    server = serve(max_connections=5)
    idle = [connect(server.port) for _ in range(5)]
    assert wait_for(lambda: server.connections == 5, 2)
    with connect(server.port) as scraper:
        scraper.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
        assert read_response(scraper) == ("HTTP/1.1 200 OK", BODY)
        assert server.connections == 5
        assert closed_by_server(idle[0], 2)   # the oldest waiting connection made room
    for sock in idle:
        sock.close()


def test_a_reset_is_one_log_line_without_a_traceback(serve, caplog):
    caplog.set_level(logging.INFO, logger="exporter.server")
    server = serve()
    for _ in range(5):
        sock = connect(server.port)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
        time.sleep(0.05)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
        sock.close()
    assert wait_for(lambda: server.connections == 0, 5)
    records = [r for r in caplog.records if r.name.startswith("exporter") or r.name == "asyncio"]
    assert 1 <= len(records) <= 5
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in records)
    assert all("ConnectionResetError" in r.getMessage() or "BrokenPipe" in r.getMessage() for r in records)


@pytest.mark.parametrize("accept, compressed", [(b"gzip", True), (b"deflate, gzip;q=0.5", True),
                                                (b"gzip;q=0", False), (b"br", False), (None, False)])
def test_metrics_are_sent_gzipped_exactly_when_the_client_accepts_gzip(accept, compressed):
    packed = gzip.compress(BODY)
    instance = HttpServer("127.0.0.1", 0, make_routes(lambda: BODY, lambda: [], lambda: packed))
    instance.start()
    try:
        with connect(instance.port) as sock:
            header = b"Accept-Encoding: " + accept + b"\r\n" if accept else b""
            sock.sendall(b"GET /metrics HTTP/1.1\r\n" + header + b"\r\nGET /metrics HTTP/1.1\r\n\r\n")
            status, body = read_response(sock)
            assert status == "HTTP/1.1 200 OK"
            assert body == (packed if compressed else BODY)
            assert gzip.decompress(body) == BODY if compressed else body == BODY
            assert read_response(sock) == ("HTTP/1.1 200 OK", BODY)  # the next request asked for none
        client = http_client.HTTPConnection("127.0.0.1", instance.port, timeout=10)
        client.request("GET", "/metrics", headers={"Accept-Encoding": accept.decode()} if accept else {})
        response = client.getresponse()
        assert response.getheader("Content-Encoding") == ("gzip" if compressed else None)
        assert response.getheader("Content-Length") == str(len(packed if compressed else BODY))
        client.close()
    finally:
        instance.stop()


def test_the_exporter_serves_its_pre_compressed_exposition_to_gzip_scrapers(serve):
    from exporter.exposition import Exposition
    exposition = Exposition()
    exposition.render()
    route = make_routes(lambda: exposition.body, lambda: [], lambda: exposition.gzip_body)
    status, body, content_type, encoding = route("/metrics", True)
    assert (status, encoding) == ("200 OK", "gzip")
    assert gzip.decompress(body) == exposition.body and b"process_resident_memory_bytes" in exposition.body
    assert route("/metrics", False)[1] == exposition.body
