"""The SLA reports and backups (reporter/), run as CronJobs."""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field

from model import schedule
from model.settings.types import AwsRegion, Cron, Group, IamRoleArn, Image, Quantity, Recipients, S3Bucket, S3Prefix, Timezone


class ReportingSettings(Group):
    """The SLA reports and the backups (reporter/), run as CronJobs. Mail goes from smtpSender via smtpSmarthost."""

    enabled: bool = True
    """Deploy the report and backup CronJobs."""
    image: Image = "ghcr.io/waqiti/sla-reporter:0.1.0"
    """SLA reporter image (built from reporter/), pinned to a version."""
    timezone: Timezone = "UTC"
    """IANA timezone of the reports' days, weeks and months, and of every job's schedule."""
    daily_schedule: Cron = schedule.DEFAULT_SCHEDULES["daily"]
    """Cron schedule of the daily SLA report (in reportingTimezone)."""
    weekly_schedule: Cron = schedule.DEFAULT_SCHEDULES["weekly"]
    """Cron schedule of the weekly business review (in reportingTimezone)."""
    monthly_schedule: Cron = schedule.DEFAULT_SCHEDULES["monthly"]
    """Cron schedule of the monthly compliance report (in reportingTimezone)."""
    daily_recipients: Recipients = Field(default_factory=lambda: ["sre@example.com"])
    """Who gets the daily SLA report (at least one address)."""
    weekly_recipients: Recipients = Field(default_factory=lambda: ["sre@example.com"])
    """Who gets the weekly business review (at least one address)."""
    monthly_recipients: Recipients = Field(default_factory=lambda: ["compliance@example.com"])
    """Who gets the monthly compliance report (at least one address)."""
    s3_region: AwsRegion = "us-east-1"
    """AWS region of the report and backup buckets."""
    iam_role_arn: Optional[IamRoleArn] = None
    """IAM role the jobs assume for S3 (IRSA annotation on their service account); unset = the node's role."""
    report_bucket: S3Bucket = "waqiti-monitoring-reports"
    """Versioned S3 bucket the reports are archived to."""
    report_prefix: S3Prefix = "reports"
    """Key prefix of the archived reports, e.g. reports/daily/2026/11/20/daily-sla-report-2026-11-20.pdf."""
    report_object_lock_days: Annotated[int, Field(ge=0, le=36500)] = 0
    """Days each report is locked in COMPLIANCE mode (bucket created with Object Lock); 0 = no lock."""
    backup_bucket: S3Bucket = "waqiti-monitoring-backups"
    """S3 bucket of the Prometheus, Grafana and Alertmanager backups."""
    backup_prefix: S3Prefix = "backups"
    """Key prefix of the backups, e.g. backups/prometheus/2026/11/20/prometheus-20261120T023000Z.tar.gz."""
    backup_retention_days: Annotated[int, Field(ge=1, le=3650)] = 30
    """Backups older than this many days are deleted after each successful backup."""
    prometheus_backup_schedule: Cron = "30 2 * * *"
    """Cron schedule of the Prometheus TSDB snapshot to S3 (in reportingTimezone)."""
    grafana_backup_schedule: Cron = "45 2 * * *"
    """Cron schedule of the Grafana export to S3 (in reportingTimezone)."""
    alertmanager_backup_schedule: Cron = "15 * * * *"
    """Cron schedule of the Alertmanager silences export to S3 (in reportingTimezone)."""
    grafana_backup_enabled: bool = True
    """Back up Grafana; needs the secret grafanaBackupToken, which exists only once Grafana runs."""
    cpu_request: Quantity = "100m"
    """CPU request of each job."""
    cpu_limit: Quantity = "1000m"
    """CPU limit of each job (charts, PDF and gzip are CPU-bound)."""
    memory_request: Quantity = "256Mi"
    """Memory request of each job."""
    memory_limit: Quantity = "1Gi"
    """Memory limit of each job."""
