"""A stand-in for Grafana's HTTP API (no Grafana binary exists here): answers the endpoints the
backup reads with JSON shaped like Grafana 11's, and insists on the service-account token."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

TOKEN = "glsa_test_token_0123456789"
FOLDERS = [{"id": 3, "uid": "operational", "title": "Operational"}, {"id": 4, "uid": "executive", "title": "Executive"}]


def _dashboard(uid: str, title: str, folder: dict, version: int) -> dict:
    return {
        "meta": {"type": "db", "canSave": True, "slug": title.lower().replace(" ", "-"), "url": f"/d/{uid}",
                 "folderId": folder["id"], "folderUid": folder["uid"], "folderTitle": folder["title"],
                 "version": version, "provisioned": True},
        "dashboard": {"uid": uid, "title": title, "schemaVersion": 39, "version": version, "tags": ["waqiti"],
                      "panels": [{"id": 1, "type": "timeseries", "title": "Request rate",
                                  "datasource": {"type": "prometheus", "uid": "prometheus"},
                                  "targets": [{"expr": "service:http_requests:rate5m", "refId": "A"}]}]}}


DASHBOARDS = {f"waqiti-{i:03d}": _dashboard(f"waqiti-{i:03d}", f"Dashboard {i}", FOLDERS[i % 2], i) for i in range(5)}
ROUTES = {
    "/api/folders": FOLDERS,
    "/api/datasources": [{"id": 1, "uid": "prometheus", "orgId": 1, "name": "Prometheus", "type": "prometheus",
                          "access": "proxy", "url": "http://prometheus:9090", "isDefault": True,
                          "jsonData": {"httpMethod": "POST"}, "secureJsonFields": {}, "readOnly": True}],
    "/api/v1/provisioning/alert-rules": [{"uid": "grafana-payment-down", "title": "Payment down", "folderUID": "operational",
                                          "ruleGroup": "payments", "condition": "A", "for": "30s",
                                          "labels": {"severity": "critical", "team": "payments"}, "data": []}],
    "/api/v1/provisioning/contact-points": [{"uid": "email-ops", "name": "email-ops", "type": "email",
                                             "settings": {"addresses": "ops@waqiti.example"}}],
    "/api/v1/provisioning/policies": {"receiver": "email-ops", "group_by": ["grafana_folder", "alertname"]},
    "/api/v1/provisioning/mute-timings": [],
    "/api/v1/provisioning/templates": [],
}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):   # quiet
        pass

    def _send(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._send(401, {"message": "invalid API key"})
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/api/search":
            limit, page = int(query.get("limit", ["1000"])[0]), int(query.get("page", ["1"])[0])
            hits = [{"uid": uid, "title": d["dashboard"]["title"], "type": "dash-db", "folderUid": d["meta"]["folderUid"]}
                    for uid, d in sorted(DASHBOARDS.items())]
            return self._send(200, hits[(page - 1) * limit: page * limit])
        if url.path.startswith("/api/dashboards/uid/"):
            uid = url.path.rsplit("/", 1)[1]
            return self._send(200, DASHBOARDS[uid]) if uid in DASHBOARDS else self._send(404, {"message": "Dashboard not found"})
        if url.path in ROUTES:
            return self._send(200, ROUTES[url.path])
        return self._send(404, {"message": "Not found"})


class FakeGrafana:
    def __enter__(self) -> "FakeGrafana":
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
