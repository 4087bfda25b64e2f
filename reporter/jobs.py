"""What each command does, end to end: settings -> data -> outputs."""
from __future__ import annotations

import logging
from datetime import date, datetime, timezone
from pathlib import Path

from reporter import settings as config
from reporter.archive import archive_report, report_file_name
from reporter.backup.alertmanager import backup_alertmanager
from reporter.backup.grafana import GrafanaClient, backup_grafana
from reporter.backup.prometheus import backup_prometheus, restore_prometheus
from reporter.charts import render_charts
from reporter.layout import build_document
from reporter.mail import build_message, send
from reporter.period import last_complete_period, period_containing
from reporter.promapi import PrometheusAPI
from reporter.render_html import render_html
from reporter.render_pdf import render_pdf
from reporter.report import build_report
from reporter.s3 import s3_client

log = logging.getLogger(__name__)


def run_report(kind: str, day: date | None = None, email: bool = True, archive: bool = True,
               output_dir: Path | None = None, environ=None, now: datetime | None = None) -> dict:
    settings = config.report_settings(environ, email=email, archive=archive)
    now = now or datetime.now(timezone.utc)
    period = (period_containing(kind, day, settings.timezone) if day
              else last_complete_period(kind, now, settings.timezone))
    log.info("building the %s report for %s (%s)", kind, period.label, settings.timezone)
    report = build_report(PrometheusAPI(settings.prometheus_url), period, settings.targets, now)
    document = build_document(report)
    charts = render_charts(report)
    pdf = render_pdf(document, charts)
    pdf_name = report_file_name(period)
    outcome = {"period": period, "report": report, "pdf_name": pdf_name}
    if output_dir:
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / pdf_name).write_bytes(pdf)
        (output_dir / report_file_name(period, "html")).write_text(render_html(document, {n: f"{n}.png" for n in charts}))
        for name, png in charts.items():
            (output_dir / f"{name}.png").write_bytes(png)
        log.info("report written to %s", output_dir)
    if settings.archive:
        outcome["archive_key"] = archive_report(s3_client(), settings.archive, period, pdf, now)
    if settings.smtp:
        send(build_message(document, charts, pdf, pdf_name, settings.smtp.sender, settings.smtp.recipients),
             settings.smtp)
    return outcome


def run_backup(source: str, environ=None) -> str:
    settings = config.backup_settings(environ)
    if source == "prometheus":
        url = config.service_url("PROMETHEUS_URL", environ)
        data_dir = config.required_path("PROMETHEUS_DATA_DIR", environ)
        return backup_prometheus(s3_client(), settings, url, data_dir)
    if source == "grafana":
        grafana = GrafanaClient(config.service_url("GRAFANA_URL", environ), config.secret("GRAFANA_TOKEN_FILE", environ))
        return backup_grafana(s3_client(), settings, grafana)
    if source == "alertmanager":
        return backup_alertmanager(s3_client(), settings, config.service_url("ALERTMANAGER_URL", environ))
    raise ValueError(f"unknown backup source {source!r}")


def run_restore_prometheus(data_dir: Path, key: str | None = None, environ=None) -> str:
    return restore_prometheus(s3_client(), config.backup_settings(environ), data_dir, key)
