"""Settings come from the environment and mounted files; bad ones fail with every problem named."""
import subprocess
import sys

import pytest

from reporter.settings import SettingsError, backup_settings, report_settings
from reporter.tests.conftest import REPO_ROOT

GOOD = {"PROMETHEUS_URL": "http://prometheus:9090", "REPORT_TIMEZONE": "Asia/Dubai",
        "REPORT_RECIPIENTS": "sre@waqiti.example", "REPORT_SENDER": "reports@waqiti.example",
        "SMTP_HOST": "smtp.waqiti.example", "REPORT_S3_BUCKET": "waqiti-sla-reports"}


def test_defaults_and_the_password_file(tmp_path, stack_targets_file):
    secret = tmp_path / "password"
    secret.write_text("hunter2\n")
    settings = report_settings({**GOOD, "SMTP_USERNAME": "mailer", "SMTP_PASSWORD_FILE": str(secret),
                                "SLO_TARGETS_FILE": str(stack_targets_file)})
    assert settings.smtp.password == "hunter2" and settings.smtp.port == 587 and settings.smtp.security == "starttls"
    assert settings.archive.prefix == "reports" and settings.archive.object_lock_days == 0
    assert set(settings.targets.services) == {"payment", "wallet"}
    assert settings.targets.services["wallet"].latency_p95_seconds == 0.2
    assert "hunter2" not in repr(settings)


def test_every_problem_is_named_at_once():
    with pytest.raises(SettingsError) as caught:
        report_settings({"PROMETHEUS_URL": "prometheus:9090", "REPORT_TIMEZONE": "Mars/Base",
                         "REPORT_RECIPIENTS": " ", "SMTP_PORT": "smtp", "SMTP_SECURITY": "tls"})
    text = str(caught.value)
    for expected in ("PROMETHEUS_URL must be an http(s) URL", "REPORT_TIMEZONE: unknown timezone",
                     "REPORT_RECIPIENTS is required", "REPORT_SENDER is required", "SMTP_HOST is required",
                     "SMTP_PORT must be a whole number", "SMTP_SECURITY must be one of starttls, ssl, none",
                     "REPORT_S3_BUCKET is required", "SLO_TARGETS_FILE is required"):
        assert expected in text


def test_secrets_only_from_files(tmp_path):
    with pytest.raises(SettingsError, match="SMTP_PASSWORD must not be set: secrets are read from a file"):
        report_settings({**GOOD, "SMTP_USERNAME": "mailer", "SMTP_PASSWORD": "hunter2",
                         "SMTP_PASSWORD_FILE": str(tmp_path / "missing")})
    with pytest.raises(SettingsError, match="SMTP_PASSWORD_FILE is required"):
        report_settings({**GOOD, "SMTP_USERNAME": "mailer"})
    with pytest.raises(SettingsError, match="SMTP_PASSWORD_FILE: cannot read"):
        report_settings({**GOOD, "SMTP_USERNAME": "mailer", "SMTP_PASSWORD_FILE": str(tmp_path / "missing")})


def test_bad_targets_file(tmp_path):
    targets = tmp_path / "slo.yml"
    targets.write_text("services:\n  payment: {availability: 99.9, error_rate: 0.001, latency_p95_seconds: 0.5}\n")
    with pytest.raises(SettingsError, match="services.payment.availability must be a number between 0 and 1"):
        report_settings({**GOOD, "SLO_TARGETS_FILE": str(targets)}, email=False, archive=False)


def test_backup_settings():
    assert backup_settings({"BACKUP_S3_BUCKET": "b"}).retention_days == 30
    with pytest.raises(SettingsError, match="BACKUP_RETENTION_DAYS must be at least 1"):
        backup_settings({"BACKUP_S3_BUCKET": "b", "BACKUP_RETENTION_DAYS": "0"})


def test_cli_exits_2_with_a_clear_message_on_bad_settings():
    result = subprocess.run([sys.executable, "-m", "reporter", "report", "daily"], cwd=REPO_ROOT,
                            capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "REPORT_TIMEZONE": "Nowhere/Land"})
    assert result.returncode == 2
    assert "PROMETHEUS_URL is required" in result.stderr and "unknown timezone" in result.stderr
