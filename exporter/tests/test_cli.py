"""The command the Pulumi deployment runs: `python -m exporter --config ...`, with the database
reached through libpq's environment, and clear start-up errors for bad configuration."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
import yaml

from testsupport.ports import EXPORTER_LISTENING as LISTENING

from .conftest import EXPORTER_DIR, READER, READER_PASSWORD
from .scraping import value, scrape, wait_until

REPO = EXPORTER_DIR.parent


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "EXPORTER_DSN"}
    return {**env, "PYTHONPATH": str(REPO), **extra}


def _config_file(tmp_path: Path, edit=None) -> Path:
    data = yaml.safe_load((EXPORTER_DIR / "config.yml").read_text())
    for group in data["groups"].values():
        group.update(interval="200ms", safety_lag="200ms")
    if edit:
        edit(data)
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(data))
    return path


def _run(config: Path, env: dict, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "exporter", "--config", str(config),
                           "--listen", "127.0.0.1:0"],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def test_runs_from_libpq_environment_serves_probes_and_stops_on_sigterm(database, tmp_path):
    env = _env(PGHOST="127.0.0.1", PGPORT=str(database.server.port), PGUSER=READER,
               PGPASSWORD=READER_PASSWORD, PGDATABASE=database.name, PGSSLMODE="disable")
    process = subprocess.Popen([sys.executable, "-m", "exporter", "--config", str(_config_file(tmp_path)),
                                "--listen", "127.0.0.1:0"],
                               env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    before = _until_listening(process)
    port = int(LISTENING.search(before).group(1))  # it bound port 0 and says which port it got
    try:
        wait_until(lambda: _answers(port), timeout=20, message="HTTP server")
        wait_until(lambda: value(scrape(port), "business_exporter_database_up") == 1
                   and value(scrape(port), "business_exporter_last_success_timestamp_seconds",
                             group="payments") > 0, timeout=20, message="first refresh")
        for path in ("/healthz", "/readyz"):
            assert requests.get(f"http://127.0.0.1:{port}{path}", timeout=5).status_code == 200
        assert requests.get(f"http://127.0.0.1:{port}/nothing", timeout=5).status_code == 404
        assert "payment_transactions_total" in requests.get(f"http://127.0.0.1:{port}/metrics").text
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, before + output
    assert READER_PASSWORD not in before + output


def _until_listening(process: subprocess.Popen) -> str:
    """What the exporter printed up to and including the line naming its port."""
    lines = []
    for line in process.stdout:
        lines.append(line)
        if LISTENING.search(line):
            return "".join(lines)
    raise AssertionError("the exporter never said where it listens:\n" + "".join(lines))


def _answers(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


def test_missing_column_is_a_start_up_error_naming_the_field(database, tmp_path):
    def misspell(data):
        data["metrics"]["payment_transactions_total"]["columns"]["currency"] = "currncy"
        data["metrics"]["revenue_total"]["table"] = "revenue_entry"
    result = _run(_config_file(tmp_path, misspell), _env(EXPORTER_DSN=database.reader_dsn))
    assert result.returncode == 2
    assert "metrics.payment_transactions_total.columns.currency" in result.stderr
    assert "'currncy' not found in table public.payment_events" in result.stderr
    assert "metrics.revenue_total.table: table public.revenue_entry does not exist" in result.stderr
    assert READER_PASSWORD not in result.stderr + result.stdout


def test_column_the_role_may_not_read_is_a_start_up_error(database, tmp_path):
    def read_email(data):  # the reader role has no grant on users.email
        data["metrics"]["user_registrations_total"]["columns"]["source"] = "email"
    result = _run(_config_file(tmp_path, read_email), _env(EXPORTER_DSN=database.reader_dsn))
    assert result.returncode == 2
    assert "metrics.user_registrations_total.columns.source: column 'email'" in result.stderr


def test_wrong_password_is_a_start_up_error_without_the_password(database, tmp_path):
    dsn = database.server.dsn_for(READER, "not-the-password-x1", database.name)
    result = _run(_config_file(tmp_path), _env(EXPORTER_DSN=dsn))
    assert result.returncode == 2
    assert "password authentication failed" in result.stderr
    assert "not-the-password-x1" not in result.stderr + result.stdout


@pytest.mark.parametrize("edit, env, message", [
    (lambda d: d["metrics"].update(payment_volume_total={"group": "payments", "table": "payments"}),
     {}, "metrics.payment_volume_total: unknown metric"),
    (lambda d: d["groups"]["payments"].update(interval="soon"), {}, "groups.payments.interval"),
    (lambda d: d["metrics"]["payment_processing_time_seconds"].update(buckets=[0.1, 1, 5]), {},
     "metrics.payment_processing_time_seconds.buckets.default: must include the bounds [0.2, 0.5]"),
    (lambda d: d["labels"].pop("currency"), {}, "labels.currency: missing allowlist"),
    (None, {"EXPORTER_DSN": "host=127.0.0.1 port"}, "EXPORTER_DSN: not a valid libpq connection string"),
], ids=["unknown-metric", "bad-duration", "missing-slo-buckets", "missing-allowlist", "malformed-dsn"])
def test_bad_configuration_fails_fast_naming_the_field(tmp_path, edit, env, message):
    result = _run(_config_file(tmp_path, edit), _env(**env), timeout=15)
    assert result.returncode == 2
    assert message in result.stderr


def test_missing_config_file_fails_fast(tmp_path):
    result = _run(tmp_path / "absent.yml", _env(), timeout=15)
    assert result.returncode == 2 and "absent.yml: cannot read" in result.stderr
