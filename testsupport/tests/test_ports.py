"""Ports are never guessed: a held socket is served on as it is, and a picked port that another
process takes before the server binds it costs a retry on a new pick, not a failed run."""
from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest
import requests

from testsupport import ports, postgres, process
from testsupport.postgres import PostgresServer
from testsupport.prometheus import PrometheusServer
from testsupport.ports import listening_socket, pick_ports, port_of


class Occupier:
    """Stands in for another process: the first port picked is bound by someone else in between."""

    def __init__(self):
        self.picked: list[int] = []
        self.sockets: list[socket.socket] = []

    def __call__(self) -> int:
        port = ports.pick_port()
        self.picked.append(port)
        if len(self.picked) == 1:
            self.sockets.append(socket.create_server(("127.0.0.1", port)))
        return port

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def occupier():
    taker = Occupier()
    yield taker
    taker.close()


@pytest.mark.slow
def test_prometheus_that_lost_its_port_starts_again_on_a_new_one(monkeypatch, occupier):
    monkeypatch.setattr(process, "pick_port", occupier)
    with PrometheusServer(config=lambda port: f"global: {{external_labels: {{port: '{port}'}}}}\n") as prometheus:
        assert len(occupier.picked) == 2 and prometheus.port == occupier.picked[1] != occupier.picked[0]
        config = requests.get(f"{prometheus.url}/api/v1/status/config", timeout=5).json()["data"]["yaml"]
        assert f"port: \"{prometheus.port}\"" in config  # the configuration was written for the new port
        assert ports.in_use((prometheus.config_path.parent / "prometheus.log").read_text())  # the first start's


@pytest.mark.slow
def test_a_given_port_that_is_taken_fails_at_once(occupier):
    port = occupier()
    server = PrometheusServer(port=port)
    try:
        with pytest.raises(process.PortInUse):
            server.start()
    finally:
        server.cleanup()


@pytest.mark.slow
def test_postgres_that_lost_its_port_starts_again_on_a_new_one(monkeypatch, occupier):
    monkeypatch.setattr(postgres, "pick_port", occupier)
    with PostgresServer() as server:
        assert len(occupier.picked) == 2 and server.port == occupier.picked[1] != occupier.picked[0]
        with psycopg.connect(server.dsn) as conn:
            assert conn.execute("SHOW port").fetchone()[0] == str(server.port)


def test_a_held_socket_is_served_on_as_it_is():
    sock = listening_socket()
    port = port_of(sock)

    class Hello(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Hello, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=5).text == "hello"
        with pytest.raises(OSError):  # and nobody else can have it meanwhile
            socket.create_server(("127.0.0.1", port))
    finally:
        server.shutdown()
        sock.close()


def test_a_picked_set_holds_no_port_twice_nor_one_handed_out_before():
    sets = [pick_ports(10) for _ in range(200)]
    every = [port for picked in sets for port in picked]
    assert len(set(every)) == len(every) == 2000
