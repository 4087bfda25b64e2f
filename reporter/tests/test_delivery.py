"""End to end through the CLI's job: a report from the synthetic Prometheus is emailed to an SMTP sink
(AUTH with the password from a file), archived to a moto bucket under the predictable key with
COMPLIANCE object lock, and its PDF renders to PNG pages for a person to look at."""
from __future__ import annotations

import email
import email.policy
import re
import subprocess
from datetime import datetime, timezone

import pytest

from reporter.jobs import run_report
from reporter.tests import synthetic_day as day
from reporter.tests.conftest import SMTP_USER

pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")]
NOW = datetime(2026, 11, 21, 4, 0, tzinfo=timezone.utc)      # 08:00 in Dubai, the day after


@pytest.fixture
def report_env(synthetic_prometheus, targets_file, aws_env, bucket, smtp_sink, smtp_password_file):
    controller, _ = smtp_sink
    return {**aws_env, "PROMETHEUS_URL": synthetic_prometheus.url, "REPORT_TIMEZONE": day.TIMEZONE,
            "SLO_TARGETS_FILE": str(targets_file), "REPORT_RECIPIENTS": "sre@waqiti.example, cfo@waqiti.example",
            "REPORT_SENDER": "sla-reports@waqiti.example", "SMTP_HOST": controller.hostname,
            "SMTP_PORT": str(controller.port), "SMTP_SECURITY": "none", "SMTP_USERNAME": SMTP_USER,
            "SMTP_PASSWORD_FILE": str(smtp_password_file), "REPORT_S3_BUCKET": bucket,
            "REPORT_S3_OBJECT_LOCK_DAYS": "2555"}


def render_pages(pdf: bytes, name: str, output_dir) -> list:
    path = output_dir / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(path), str(output_dir / name)], check=True)
    return sorted(output_dir.glob(f"{name}-*.png"))


def test_daily_report_is_emailed_archived_and_renders(report_env, smtp_sink, s3, bucket, output_dir):
    outcome = run_report("daily", environ=report_env, now=NOW)       # no --date: yesterday, in Dubai
    assert outcome["period"].first_day == day.DAY

    # the email: HTML body with the charts as cid images, and the PDF attached
    _, sink = smtp_sink
    [(envelope, login)] = sink.messages
    assert login == SMTP_USER.encode()
    assert envelope.rcpt_tos == ["sre@waqiti.example", "cfo@waqiti.example"]
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert message["Subject"] == "Waqiti Daily SLA report: 2026-11-20"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "PaymentHighErrorRate" in html and "WalletServiceDown" in html and "99.375%" in html
    assert ">no data<" in html                                         # fraud, which sent nothing
    images = {part["Content-ID"].strip("<>"): part.get_content() for part in message.walk()
              if part.get_content_type() == "image/png"}
    assert set(re.findall(r'src="cid:([^"]+)"', html)) == set(images) and len(images) == 4
    assert all(png.startswith(b"\x89PNG") for png in images.values())
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "daily-sla-report-2026-11-20.pdf"
    pdf = attachment.get_content()

    # the archive: the key an auditor derives from the date, locked in compliance mode
    key = "reports/daily/2026/11/20/daily-sla-report-2026-11-20.pdf"
    assert outcome["archive_key"] == key
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert stored["Body"].read() == pdf
    assert stored["ObjectLockMode"] == "COMPLIANCE"
    assert stored["ObjectLockRetainUntilDate"].year == 2033
    assert stored["VersionId"]

    # the PDF renders, with its charts on the pages
    pages = render_pages(pdf, "daily-sla-report", output_dir)
    assert len(pages) >= 2
    listing = subprocess.run(["pdfimages", "-list", str(output_dir / "daily-sla-report.pdf")],
                             capture_output=True, text=True, check=True).stdout
    image_types = [line.split()[2] for line in listing.splitlines()[2:]]     # PNG alpha adds "smask" rows
    assert image_types.count("image") == 4


@pytest.mark.parametrize("kind", ["weekly", "monthly"])
def test_weekly_and_monthly_reports_render(kind, report_env, output_dir, tmp_path):
    outcome = run_report(kind, day.DAY, email=False, archive=False, output_dir=tmp_path, environ=report_env)
    pdf = (tmp_path / outcome["pdf_name"]).read_bytes()
    assert render_pages(pdf, f"{kind}-sla-report", output_dir)
    html = (tmp_path / outcome["pdf_name"].replace(".pdf", ".html")).read_text()
    assert "Alert-noise review" in html
    assert ("Compliance and audit" in html) == (kind == "monthly")


def test_report_of_an_empty_period_says_no_data(report_env, output_dir, tmp_path):
    outcome = run_report("daily", day.DAY.replace(day=10), email=False, archive=False, output_dir=tmp_path,
                         environ=report_env)
    html = (tmp_path / outcome["pdf_name"].replace(".pdf", ".html")).read_text()
    assert "100.000%" not in html
    assert html.count(">no data<") >= 3 * 9          # every figure of the three services with targets
    render_pages((tmp_path / outcome["pdf_name"]).read_bytes(), "empty-day-sla-report", output_dir)
