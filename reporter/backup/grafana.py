"""Grafana backup: dashboards, folders, datasources and alerting configuration, exported through
Grafana's HTTP API (service-account token) into one .tar.gz of JSON files in S3.

Datasource secrets are not exported: Grafana's API only says which secure fields are set."""
from __future__ import annotations

import io
import json
import logging
import tarfile
import time
from datetime import datetime, timezone

import requests

from reporter.backup.store import backup_key, prune
from reporter.settings import BackupSettings

log = logging.getLogger(__name__)
SOURCE = "grafana"
SEARCH_PAGE_SIZE = 1000
ALERTING_ENDPOINTS = {
    "alert-rules": "/api/v1/provisioning/alert-rules",
    "contact-points": "/api/v1/provisioning/contact-points",
    "notification-policies": "/api/v1/provisioning/policies",
    "mute-timings": "/api/v1/provisioning/mute-timings",
    "templates": "/api/v1/provisioning/templates",
}


class GrafanaClient:
    def __init__(self, url: str, token: str, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})
        self.timeout = timeout

    def get(self, path: str, **params):
        response = self.session.get(f"{self.url}{path}", params=params, timeout=self.timeout)
        if response.status_code in (401, 403):
            raise PermissionError(f"Grafana refused {path} ({response.status_code}): the token in "
                                  "GRAFANA_TOKEN_FILE needs a service account with the Viewer/Admin role")
        response.raise_for_status()
        return response.json()

    def dashboard_uids(self) -> list[str]:
        uids, page = [], 1
        while True:
            found = self.get("/api/search", type="dash-db", limit=SEARCH_PAGE_SIZE, page=page)
            uids += [d["uid"] for d in found]
            if len(found) < SEARCH_PAGE_SIZE:
                return uids
            page += 1


def export_grafana(grafana: GrafanaClient) -> dict[str, object]:
    """path in the archive -> JSON document."""
    files: dict[str, object] = {
        "folders.json": grafana.get("/api/folders"),
        "datasources.json": grafana.get("/api/datasources"),
    }
    for uid in grafana.dashboard_uids():
        files[f"dashboards/{uid}.json"] = grafana.get(f"/api/dashboards/uid/{uid}")
    for name, path in ALERTING_ENDPOINTS.items():
        files[f"alerting/{name}.json"] = grafana.get(path)
    files["manifest.json"] = {"exported_at": datetime.now(timezone.utc).isoformat(), "grafana_url": grafana.url,
                              "dashboards": sum(1 for p in files if p.startswith("dashboards/"))}
    return files


def tarball(files: dict[str, object]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, document in sorted(files.items()):
            data = json.dumps(document, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def backup_grafana(client, settings: BackupSettings, grafana: GrafanaClient) -> str:
    files = export_grafana(grafana)
    key = backup_key(settings, SOURCE, "tar.gz")
    client.put_object(Bucket=settings.bucket, Key=key, Body=tarball(files), ContentType="application/gzip")
    log.info("Grafana export (%d files) uploaded to s3://%s/%s", len(files), settings.bucket, key)
    prune(client, settings, SOURCE)
    return key
