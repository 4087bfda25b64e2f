"""The simulated Waqiti services: payment, wallet, user and fraud, each with a few pods.

    python -m local.services --spec services.json

Each pod serves its health at /actuator/health (what the blackbox exporter probes) and
Micrometer-shaped metrics at /actuator/prometheus on its own port (a socket the stack hands over,
`fd:N`, or HOST:PORT), as Spring Boot
does (docs/metrics-contract.md): `http_server_requests_seconds_bucket/_count/_sum` with
method/uri/status/outcome/exception labels and the SLA buckets 0.2 and 0.5, and
`db_connections_used/max{pool}`. Requests are simulated, not served: each pod records a steady
stream of them with realistic latencies and a small error share.

Each service has a control endpoint for faults (JSON, merged into the current state):

    curl -X POST 127.0.0.1:PORT/faults -d '{"down": true}'        # every pod drops scrapes unanswered
    curl -X POST 127.0.0.1:PORT/faults -d '{"unhealthy": true}'   # health answers 503, metrics still served
    curl -X POST 127.0.0.1:PORT/faults -d '{"slow": 0.8}'         # +0.8s on every request
    curl -X POST 127.0.0.1:PORT/faults -d '{"error_rate": 0.2}'   # 20% of requests answer 500
    curl -X POST 127.0.0.1:PORT/faults -d '{"db_pool_usage": 0.9}' # connection pool 90% used
    curl -X POST 127.0.0.1:PORT/faults -d '{"leak_pii": true}'    # a metric labelled email/card_number
    curl -X DELETE 127.0.0.1:PORT/faults                          # healthy again
"""
from __future__ import annotations

import argparse
import json
import math
import random
import signal
import socket
import struct
import threading
import time
from dataclasses import asdict, dataclass, field
from http.server import ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.exposition import MetricsHandler

from local.http_json import JsonHandler, listening, serve

disable_created_metrics()  # Micrometer exposes no _created series

# Micrometer's SLA boundaries as Waqiti configures them: 0.2 (wallet SLO) and 0.5 (payment SLO).
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0)
TICK = 0.1  # seconds between simulated request batches

# Per service: requests per second per pod, median latency, endpoints (method, uri).
PROFILES = {
    "payment": (12.0, 0.08, [("POST", "/api/v1/payments"), ("GET", "/api/v1/payments/{id}"),
                             ("POST", "/api/v1/payments/{id}/refund")]),
    "wallet": (15.0, 0.035, [("GET", "/api/v1/wallets/{id}/balance"), ("POST", "/api/v1/wallets/{id}/topup"),
                             ("POST", "/api/v1/wallets/{id}/withdraw"), ("POST", "/api/v1/transfers")]),
    "user": (8.0, 0.05, [("POST", "/api/v1/users"), ("GET", "/api/v1/users/{id}"), ("POST", "/api/v1/kyc")]),
    "fraud": (10.0, 0.06, [("POST", "/api/v1/fraud/score"), ("GET", "/api/v1/fraud/alerts")]),
}
HEALTH_PATH = "/actuator/health"  # Spring Boot Actuator's health endpoint
BASELINE_ERROR_RATE = 0.0003   # well inside the 99.9% / 99.95% availability SLOs
CLIENT_ERROR_RATE = 0.01
LEAKED_CUSTOMER = {"email": "jane.doe@example.com", "card_number": "4111111111111111"}


@dataclass
class Faults:
    down: bool = False
    unhealthy: bool = False    # health endpoint answers 503 DOWN (a broken dependency), pods still scraped
    slow: float = 0.0          # seconds added to every request
    error_rate: float = 0.0    # share of requests answering 500 (on top of the baseline)
    db_pool_usage: float = 0.0  # 0 = normal usage; else the fraction of the pool in use
    leak_pii: bool = False


@dataclass
class Pod:
    name: str
    sock: socket.socket
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    server: ThreadingHTTPServer | None = None
    down: bool = False

    def __post_init__(self):
        self.requests = Histogram("http_server_requests_seconds", "Duration of HTTP server request handling",
                                  ["method", "uri", "status", "outcome", "exception"],
                                  buckets=LATENCY_BUCKETS, registry=self.registry)
        self.pool_used = Gauge("db_connections_used", "Connections in use", ["pool"], registry=self.registry)
        self.pool_max = Gauge("db_connections_max", "Maximum connections", ["pool"], registry=self.registry)
        self.lookups = Counter("customer_lookups", "Customer lookups (a careless metric for the PII drill)",
                               ["email", "card_number"], registry=self.registry)
        self.pool_max.labels("primary").set(50)

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def serve(self, service: "Service") -> None:
        """Serve for good: a pod that is down keeps its port (nobody else may take it before it is
        up again) and resets every connection unanswered, as a dead pod's scrape and probe fail."""
        self.server = serve(self.sock, pod_handler(self, service))

    def stop_serving(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def pod_handler(pod: Pod, service: "Service") -> type:
    """Health at HEALTH_PATH, metrics on every other path. A pod that is down answers neither."""
    class Handler(MetricsHandler.factory(pod.registry)):
        def handle(self):
            if pod.down:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            super().handle()

        def do_GET(self):
            if self.path.split("?", 1)[0] != HEALTH_PATH:
                return super().do_GET()
            healthy = not service.faults.unhealthy
            body = b'{"status":"UP"}' if healthy else b'{"status":"DOWN"}'
            self.send_response(200 if healthy else 503)
            self.send_header("Content-Type", "application/vnd.spring-boot.actuator.v3+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


class Service:
    def __init__(self, name: str, pod_sockets: list[socket.socket], control: socket.socket, seed: int):
        self.name = name
        self.rps, self.median, self.endpoints = PROFILES[name]
        self.pods = [Pod(f"{name}-service-{i}", sock) for i, sock in enumerate(pod_sockets)]
        self.control = control
        self.faults = Faults()
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        # the first request fails (cold start): a long-running service has its 5xx series already
        self.error_debt = 1.0

    def set_faults(self, changes: dict) -> Faults:
        with self.lock:
            unknown = set(changes) - set(asdict(self.faults))
            if unknown:
                raise ValueError(f"unknown faults {sorted(unknown)}; known: {sorted(asdict(self.faults))}")
            self.faults = Faults(**{**asdict(self.faults), **changes})
            for pod in self.pods:
                pod.down = self.faults.down
            return self.faults

    def tick(self, seconds: float) -> None:
        faults = self.faults
        for pod in self.pods:
            expected = self.rps * seconds
            count = int(expected) + (self.rng.random() < expected - int(expected))
            for _ in range(count):
                method, uri = self.rng.choice(self.endpoints)
                latency = self.rng.lognormvariate(math.log(self.median), 0.5) + faults.slow
                # server errors spread evenly (not at random) so a rate never shows more than is set
                self.error_debt += BASELINE_ERROR_RATE + faults.error_rate
                if self.error_debt >= 1:
                    self.error_debt -= 1
                    status, outcome, exception = "500", "SERVER_ERROR", "DataAccessException"
                elif self.rng.random() < CLIENT_ERROR_RATE:
                    status, outcome, exception = self.rng.choice(["400", "401", "403", "404"]), "CLIENT_ERROR", "None"
                else:
                    status, outcome, exception = ("201" if method == "POST" else "200"), "SUCCESS", "None"
                pod.requests.labels(method, uri, status, outcome, exception).observe(latency)
            usage = faults.db_pool_usage or self.rng.uniform(0.15, 0.35)
            pod.pool_used.labels("primary").set(round(usage * 50))
            if faults.leak_pii:
                pod.lookups.labels(**LEAKED_CUSTOMER).inc()


def control_handler(service: Service):
    class Handler(JsonHandler):
        def do_GET(self):
            self._reply(200, {"service": service.name, "faults": asdict(service.faults),
                              "pods": {p.name: p.port for p in service.pods}})

        def do_POST(self):
            try:
                changes = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                faults = service.set_faults(changes)
            except (ValueError, TypeError) as error:
                return self._reply(400, {"error": str(error)})
            self._reply(200, {"service": service.name, "faults": asdict(faults)})

        def do_DELETE(self):
            service.set_faults(asdict(Faults()))
            self._reply(200, {"service": service.name, "faults": asdict(service.faults)})


    return Handler


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", required=True,
                        help='JSON: {"payment": {"pods": [LISTEN, ...], "control": LISTEN}, ...}; LISTEN: HOST:PORT or fd:N')
    args = parser.parse_args(argv)
    with open(args.spec) as spec_file:
        spec = json.load(spec_file)
    services = [Service(name, [listening(pod) for pod in entry["pods"]], listening(entry["control"]), seed=i)
                for i, (name, entry) in enumerate(spec.items())]
    controls = []
    for service in services:
        for pod in service.pods:
            pod.serve(service)
        controls.append(serve(service.control, control_handler(service)))

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    last = time.monotonic()
    while not stop.wait(TICK):
        now = time.monotonic()
        for service in services:
            service.tick(now - last)
        last = now
    for control in controls:
        control.shutdown()
    for service in services:
        for pod in service.pods:
            pod.stop_serving()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
