"""Alertmanager backup: its silences (they are the on-call's acknowledgements) as JSON in S3.
Restore by POSTing each still-active silence back to /api/v2/silences (see README.md)."""
from __future__ import annotations

import json
import logging

import requests

from reporter.backup.store import backup_key, prune
from reporter.settings import BackupSettings

log = logging.getLogger(__name__)
SOURCE = "alertmanager"


def export_silences(alertmanager_url: str, timeout: float = 60.0) -> list[dict]:
    response = requests.get(f"{alertmanager_url}/api/v2/silences", timeout=timeout)
    response.raise_for_status()
    return response.json()


def backup_alertmanager(client, settings: BackupSettings, alertmanager_url: str) -> str:
    silences = export_silences(alertmanager_url)
    key = backup_key(settings, SOURCE, "json")
    client.put_object(Bucket=settings.bucket, Key=key, ContentType="application/json",
                      Body=json.dumps(silences, indent=2, sort_keys=True).encode())
    log.info("%d Alertmanager silence(s) uploaded to s3://%s/%s", len(silences), settings.bucket, key)
    prune(client, settings, SOURCE)
    return key
