"""Grafana's dashboards, folders, datasources and alerting settings are exported to the moto bucket
(against a stand-in HTTP server: no Grafana binary is available here)."""
from __future__ import annotations

import io
import json
import tarfile

import pytest

from reporter.backup import grafana
from reporter.jobs import run_backup
from reporter.tests.fake_grafana import DASHBOARDS, TOKEN, FakeGrafana


@pytest.fixture
def token_file(tmp_path):
    path = tmp_path / "grafana-token"
    path.write_text(TOKEN)
    return path


def test_grafana_export_to_s3(aws_env, bucket, s3, token_file, monkeypatch):
    monkeypatch.setattr(grafana, "SEARCH_PAGE_SIZE", 2)          # exercise the search pagination
    with FakeGrafana() as fake:
        key = run_backup("grafana", {"BACKUP_S3_BUCKET": bucket, "GRAFANA_URL": fake.url,
                                     "GRAFANA_TOKEN_FILE": str(token_file)})
    assert key.startswith("backups/grafana/") and key.endswith(".tar.gz")
    archive = tarfile.open(fileobj=io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
    names = set(archive.getnames())
    assert {f"dashboards/{uid}.json" for uid in DASHBOARDS} <= names
    assert {"folders.json", "datasources.json", "manifest.json", "alerting/alert-rules.json",
            "alerting/contact-points.json", "alerting/notification-policies.json"} <= names
    dashboard = json.load(archive.extractfile("dashboards/waqiti-003.json"))
    assert dashboard["dashboard"]["title"] == "Dashboard 3" and dashboard["meta"]["folderUid"] == "executive"
    assert json.load(archive.extractfile("manifest.json"))["dashboards"] == len(DASHBOARDS)


def test_grafana_wrong_token_is_a_clear_error(aws_env, bucket, tmp_path):
    wrong = tmp_path / "token"
    wrong.write_text("glsa_wrong")
    with FakeGrafana() as fake, pytest.raises(PermissionError, match="GRAFANA_TOKEN_FILE"):
        run_backup("grafana", {"BACKUP_S3_BUCKET": bucket, "GRAFANA_URL": fake.url, "GRAFANA_TOKEN_FILE": str(wrong)})
