"""Silences of a real Alertmanager are exported to the moto bucket."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import requests

from reporter.jobs import run_backup
from testsupport.alertmanager import AlertmanagerServer

pytestmark = pytest.mark.slow


def test_silences_exported_to_s3(aws_env, bucket, s3):
    now = datetime.now(timezone.utc)
    silence = {"matchers": [{"name": "alertname", "value": "WalletServiceDown", "isRegex": False, "isEqual": True}],
               "startsAt": now.isoformat(), "endsAt": (now + timedelta(hours=2)).isoformat(),
               "createdBy": "oncall@waqiti.example", "comment": "acknowledged: INC-42"}
    with AlertmanagerServer() as alertmanager:
        created = requests.post(f"{alertmanager.url}/api/v2/silences", json=silence, timeout=10)
        created.raise_for_status()
        key = run_backup("alertmanager", {"BACKUP_S3_BUCKET": bucket, "ALERTMANAGER_URL": alertmanager.url})
    assert key.startswith("backups/alertmanager/") and key.endswith(".json")
    [exported] = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert exported["id"] == created.json()["silenceID"]
    assert exported["comment"] == "acknowledged: INC-42" and exported["status"]["state"] == "active"
    assert exported["matchers"][0]["value"] == "WalletServiceDown"
