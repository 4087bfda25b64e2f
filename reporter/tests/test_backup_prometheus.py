"""A TSDB snapshot of a real Prometheus goes to the moto bucket, restores through the CLI into a fresh
data directory, and a new Prometheus on it answers the same queries; old backups are pruned."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from reporter.backup.store import prune
from reporter.jobs import run_backup
from reporter.promapi import PrometheusAPI
from reporter.settings import backup_settings
from reporter.tests import synthetic_day as day
from reporter.tests.conftest import REPO_ROOT
from testsupport.prometheus import PrometheusServer

pytestmark = pytest.mark.slow
QUERIES = [
    "sum by (service, status) (increase(http_server_requests_seconds_count[1d]))",
    "count by (alertname) (count_over_time(ALERTS[1d]))",
    "sum by (currency) (increase(revenue_total[1d]))",
]


def answers(url: str) -> list:
    api = PrometheusAPI(url)
    return [sorted((tuple(sorted(s.labels.items())), s.points) for s in api.query(q, day.START + 86400))
            for q in QUERIES]


def test_snapshot_to_s3_and_restore_into_a_new_prometheus(synthetic_blocks, tmp_path, aws_env, bucket, s3):
    shutil.copytree(synthetic_blocks, tmp_path / "original")
    env = {**aws_env, "BACKUP_S3_BUCKET": bucket, "BACKUP_RETENTION_DAYS": "14"}
    with PrometheusServer(data_dir=tmp_path / "original", admin_api=True) as original:
        expected = answers(original.url)
        key = run_backup("prometheus", {**env, "PROMETHEUS_URL": original.url,
                                        "PROMETHEUS_DATA_DIR": str(original.data_dir)})
        assert not any((original.data_dir / "snapshots").iterdir())          # the snapshot was cleaned up
    assert re.fullmatch(r"backups/prometheus/\d{4}/\d{2}/\d{2}/prometheus-\d{8}T\d{6}Z\.tar\.gz", key)
    assert expected[0], "the synthetic data must give answers to compare"

    restored_dir = tmp_path / "restored"
    result = subprocess.run([sys.executable, "-m", "reporter", "restore", "prometheus", "--data-dir", str(restored_dir)],
                            cwd=REPO_ROOT, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == key                                     # the newest backup by default
    with PrometheusServer(data_dir=restored_dir) as restored:
        assert answers(restored.url) == expected

    # restoring over existing data is refused
    refused = subprocess.run([sys.executable, "-m", "reporter", "restore", "prometheus", "--data-dir", str(restored_dir)],
                             cwd=REPO_ROOT, env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True)
    assert refused.returncode == 1 and "is not empty" in refused.stderr

    # retention: nothing is pruned today, everything 15 days from now
    settings = backup_settings(env)
    assert prune(s3, settings, "prometheus") == []
    assert prune(s3, settings, "prometheus", now=datetime.now(timezone.utc) + timedelta(days=15)) == [key]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="backups/prometheus/")


def test_snapshot_needs_the_admin_api(synthetic_blocks, tmp_path, aws_env, bucket):
    with PrometheusServer(admin_api=False) as prometheus:
        with pytest.raises(RuntimeError, match="--web.enable-admin-api"):
            run_backup("prometheus", {"BACKUP_S3_BUCKET": bucket, "PROMETHEUS_URL": prometheus.url,
                                      "PROMETHEUS_DATA_DIR": str(prometheus.data_dir)})
