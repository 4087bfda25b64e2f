"""Archives each report to S3 under a key an auditor can derive from the date alone:
<prefix>/<kind>/<YYYY>/<MM>/<DD>/<kind>-sla-report-<YYYY-MM-DD>.pdf (the date the period starts).
The bucket is versioned; with REPORT_S3_OBJECT_LOCK_DAYS > 0 each object is also locked in
COMPLIANCE mode, so nobody (root included) can alter or delete it before the retention ends."""
from __future__ import annotations

import hashlib
import base64
import logging
from datetime import datetime, timedelta, timezone

from reporter.period import Period
from reporter.settings import ArchiveSettings

log = logging.getLogger(__name__)


def report_file_name(period: Period, extension: str = "pdf") -> str:
    return f"{period.kind}-sla-report-{period.first_day.isoformat()}.{extension}"


def report_key(period: Period, prefix: str = "reports", extension: str = "pdf") -> str:
    day = period.first_day
    path = f"{period.kind}/{day:%Y}/{day:%m}/{day:%d}/{report_file_name(period, extension)}"
    return f"{prefix}/{path}" if prefix else path


def archive_report(client, settings: ArchiveSettings, period: Period, pdf: bytes,
                   now: datetime | None = None) -> str:
    key = report_key(period, settings.prefix)
    extra = {}
    if settings.object_lock_days:
        # Object Lock needs a Content-MD5 (or checksum) on the request.
        extra["ContentMD5"] = base64.b64encode(hashlib.md5(pdf).digest()).decode()
        extra["ObjectLockMode"] = "COMPLIANCE"
        extra["ObjectLockRetainUntilDate"] = (now or datetime.now(timezone.utc)) + timedelta(days=settings.object_lock_days)
    response = client.put_object(Bucket=settings.bucket, Key=key, Body=pdf, ContentType="application/pdf",
                                 Metadata={"report-kind": period.kind, "period-start": period.start.isoformat(),
                                           "period-end": period.end.isoformat()}, **extra)
    log.info("report archived to s3://%s/%s (version %s)", settings.bucket, key, response.get("VersionId"))
    return key
