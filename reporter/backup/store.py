"""Where backups live in S3 and how long: <prefix>/<source>/<YYYY>/<MM>/<DD>/<source>-<UTC time>.<ext>;
objects older than the retention are deleted (the bucket's lifecycle expires old versions)."""
from __future__ import annotations

import logging
import os
import tarfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

from reporter.settings import BackupSettings

log = logging.getLogger(__name__)


def backup_key(settings: BackupSettings, source: str, extension: str, now: datetime | None = None) -> str:
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return f"{settings.prefix}/{source}/{now:%Y/%m/%d}/{source}-{now:%Y%m%dT%H%M%SZ}.{extension}"


def source_prefix(settings: BackupSettings, source: str) -> str:
    return f"{settings.prefix}/{source}/"


def upload_directory_as_tarball(client, bucket: str, key: str, directory: Path) -> None:
    """Streams directory as a .tar.gz into S3 (multipart), without a local copy: a Prometheus
    snapshot can be far larger than the job's scratch space."""
    read_fd, write_fd = os.pipe()

    def write_tarball() -> None:
        with os.fdopen(write_fd, "wb") as sink, tarfile.open(fileobj=sink, mode="w|gz") as tar:
            tar.add(directory, arcname=".")

    with ThreadPoolExecutor(max_workers=1) as pool:
        producer = pool.submit(write_tarball)
        with os.fdopen(read_fd, "rb") as source:
            client.upload_fileobj(source, bucket, key)
        try:
            producer.result()
        except Exception:
            # The upload saw an early end of stream and stored a truncated archive: remove it.
            client.delete_object(Bucket=bucket, Key=key)
            raise


def prune(client, settings: BackupSettings, source: str, now: datetime | None = None) -> list[str]:
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=settings.retention_days)
    expired = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=settings.bucket,
                                                                 Prefix=source_prefix(settings, source)):
        expired += [o["Key"] for o in page.get("Contents", []) if o["LastModified"] < cutoff]
    for start in range(0, len(expired), 1000):      # DeleteObjects takes at most 1000 keys
        client.delete_objects(Bucket=settings.bucket,
                              Delete={"Objects": [{"Key": k} for k in expired[start:start + 1000]], "Quiet": True})
    log.info("pruned %d %s backup(s) older than %d days", len(expired), source, settings.retention_days)
    return expired


def latest_key(client, settings: BackupSettings, source: str) -> str:
    newest = None
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=settings.bucket,
                                                                 Prefix=source_prefix(settings, source)):
        for o in page.get("Contents", []):
            if newest is None or o["Key"] > newest:     # keys sort by their UTC timestamp
                newest = o["Key"]
    if newest is None:
        raise FileNotFoundError(f"no {source} backup under s3://{settings.bucket}/{source_prefix(settings, source)}")
    return newest
