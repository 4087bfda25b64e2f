"""Prometheus backup and restore.

Backup: ask Prometheus for a TSDB snapshot (admin API, POST /api/v1/admin/tsdb/snapshot), which it
writes as hard links under <data dir>/snapshots/<name>; stream that directory as a .tar.gz to S3,
delete the snapshot, prune old backups. The job therefore mounts Prometheus's data volume
(PROMETHEUS_DATA_DIR) as well as reaching its admin API.

Restore: download a backup and unpack it into an empty directory, then start Prometheus with
--storage.tsdb.path pointing at it (see README.md for the whole procedure).
"""
from __future__ import annotations

import logging
import re
import shutil
import tarfile
from pathlib import Path

import requests

from reporter.backup.store import backup_key, latest_key, prune, upload_directory_as_tarball
from reporter.settings import BackupSettings

log = logging.getLogger(__name__)
SOURCE = "prometheus"
# Prometheus names a snapshot <UTC time as 20060102T150405Z>-<16 hex digits> (its API's snapshot handler).
SNAPSHOT_NAME = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{16}")


def take_snapshot(prometheus_url: str, timeout: float = 300.0) -> str:
    response = requests.post(f"{prometheus_url}/api/v1/admin/tsdb/snapshot", timeout=timeout)
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code != 200 or body.get("status") != "success":
        error = body.get("error") or response.reason
        hint = ": it must run with --web.enable-admin-api" if "admin APIs disabled" in str(error) else ""
        raise RuntimeError(f"Prometheus at {prometheus_url} refused the snapshot ({response.status_code} {error}){hint}")
    return body["data"]["name"]


def snapshot_directory(data_dir: Path, name) -> Path:
    """The snapshot's directory, directly under <data dir>/snapshots/. The name comes from an HTTP
    answer and the directory is removed afterwards: a name like "../wal" must never reach rmtree."""
    if not isinstance(name, str) or not SNAPSHOT_NAME.fullmatch(name):
        raise ValueError("Prometheus answered a snapshot name that is not of its <time>-<hex> form; "
                         "nothing was read or removed")
    snapshots = (Path(data_dir) / "snapshots").resolve()
    snapshot = snapshots / name
    if snapshot.is_symlink() or snapshot.resolve().parent != snapshots:
        raise ValueError(f"snapshot {name} does not resolve to a directory under {snapshots}; nothing was removed")
    return snapshot


def backup_prometheus(client, settings: BackupSettings, prometheus_url: str, data_dir: Path) -> str:
    name = take_snapshot(prometheus_url)
    snapshot = snapshot_directory(data_dir, name)
    if not snapshot.is_dir():
        raise FileNotFoundError(f"snapshot {name} not found at {snapshot}: PROMETHEUS_DATA_DIR must be the "
                                "mount of Prometheus's data volume")
    key = backup_key(settings, SOURCE, "tar.gz")
    try:
        upload_directory_as_tarball(client, settings.bucket, key, snapshot)
    finally:
        shutil.rmtree(snapshot, ignore_errors=True)    # snapshots are hard links; do not let them pile up
    log.info("Prometheus snapshot %s uploaded to s3://%s/%s", name, settings.bucket, key)
    prune(client, settings, SOURCE)
    return key


def restore_prometheus(client, settings: BackupSettings, data_dir: Path, key: str | None = None) -> str:
    data_dir = Path(data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise FileExistsError(f"{data_dir} is not empty: restore into a fresh directory")
    key = key or latest_key(client, settings, SOURCE)
    data_dir.mkdir(parents=True, exist_ok=True)
    body = client.get_object(Bucket=settings.bucket, Key=key)["Body"]
    with tarfile.open(fileobj=body, mode="r|gz") as tar:
        tar.extractall(data_dir, filter="data")       # refuses absolute paths, .. and device files
    log.info("restored s3://%s/%s into %s", settings.bucket, key, data_dir)
    return key
