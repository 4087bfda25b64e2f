"""The job's configuration, read from environment variables and mounted files (see README.md).

Each command reads only the settings it needs; all problems are reported together, each naming the
variable and what was expected. Secrets are only ever read from files (`*_FILE`), never from an env
literal, and never appear in messages.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from model import schedule
from reporter.targets import Targets, load_targets

SMTP_SECURITY_MODES = ("starttls", "ssl", "none")


class SettingsError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid settings:\n" + "\n".join(f"  - {p}" for p in problems))


class _Env:
    """Reads variables from a mapping, remembering every problem instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self.problems: list[str] = []

    def text(self, name: str, default: str | None = None, required: bool = True) -> str | None:
        value = (self.env.get(name) or "").strip()
        if value:
            return value
        if default is None and required:
            self.problems.append(f"{name} is required but not set")
        return default

    def url(self, name: str) -> str | None:
        value = self.text(name)
        if value and not value.startswith(("http://", "https://")):
            self.problems.append(f"{name} must be an http(s) URL, got {value!r}")
        return value.rstrip("/") if value else value

    def integer(self, name: str, default: int, minimum: int) -> int:
        raw = self.text(name, str(default))
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"{name} must be a whole number, got {raw!r}")
            return default
        if value < minimum:
            self.problems.append(f"{name} must be at least {minimum}, got {value}")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default).lower()
        if value not in choices:
            self.problems.append(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value

    def validated(self, name: str, validator, default: str | None = None):
        raw = self.text(name, default)
        if raw is None:
            return None
        try:
            return validator(raw)
        except ValueError as error:
            self.problems.append(f"{name}: {error}")
            return None

    def secret_file(self, name: str, required: bool) -> str | None:
        """The content of the file named by NAME_FILE (trailing newline stripped)."""
        literal = name.removesuffix("_FILE")
        if self.env.get(literal):
            self.problems.append(f"{literal} must not be set: secrets are read from a file, set {name} "
                                 "to the path of a mounted secret instead")
        path = self.text(name, required=required)
        if not path:
            return None
        try:
            content = Path(path).read_text().rstrip("\r\n")
        except OSError as error:
            self.problems.append(f"{name}: cannot read {path}: {error.strerror}")
            return None
        if not content:
            self.problems.append(f"{name}: {path} is empty")
        return content

    def done(self) -> None:
        if self.problems:
            raise SettingsError(self.problems)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str            # starttls | ssl | none
    username: str | None
    password: str | None     # from SMTP_PASSWORD_FILE
    sender: str
    recipients: list[str]

    def __repr__(self) -> str:  # keep the password out of logs and tracebacks
        return (f"SmtpSettings(host={self.host!r}, port={self.port}, security={self.security!r}, "
                f"username={self.username!r}, sender={self.sender!r}, recipients={self.recipients!r})")


@dataclass(frozen=True)
class ArchiveSettings:
    bucket: str
    prefix: str
    object_lock_days: int    # 0: no object lock; otherwise COMPLIANCE retention in days


@dataclass(frozen=True)
class ReportSettings:
    prometheus_url: str
    timezone: str
    targets: Targets
    smtp: SmtpSettings | None        # None when email is turned off (--no-email)
    archive: ArchiveSettings | None  # None when archiving is turned off (--no-archive)


@dataclass(frozen=True)
class BackupSettings:
    bucket: str
    prefix: str
    retention_days: int


def _targets(env: _Env) -> Targets | None:
    path = env.text("SLO_TARGETS_FILE")
    if path is None:
        return None
    try:
        return load_targets(path)
    except ValueError as error:
        env.problems.append(f"SLO_TARGETS_FILE: {error}")
        return None


def _smtp(env: _Env) -> SmtpSettings:
    username = env.text("SMTP_USERNAME", required=False)
    return SmtpSettings(
        host=env.text("SMTP_HOST"),
        port=env.integer("SMTP_PORT", 587, minimum=1),
        security=env.choice("SMTP_SECURITY", "starttls", SMTP_SECURITY_MODES),
        username=username,
        password=env.secret_file("SMTP_PASSWORD_FILE", required=bool(username)),
        sender=env.validated("REPORT_SENDER", schedule.validate_email),
        recipients=env.validated("REPORT_RECIPIENTS", schedule.validate_recipients))


def _archive(env: _Env) -> ArchiveSettings:
    return ArchiveSettings(
        bucket=env.text("REPORT_S3_BUCKET"),
        prefix=env.text("REPORT_S3_PREFIX", "reports").strip("/"),
        object_lock_days=env.integer("REPORT_S3_OBJECT_LOCK_DAYS", 0, minimum=0))


def report_settings(environ: Mapping[str, str] | None = None, email: bool = True,
                    archive: bool = True) -> ReportSettings:
    env = _Env(os.environ if environ is None else environ)
    settings = ReportSettings(
        prometheus_url=env.url("PROMETHEUS_URL"),
        timezone=env.validated("REPORT_TIMEZONE", schedule.validate_timezone, "UTC"),
        targets=_targets(env),
        smtp=_smtp(env) if email else None,
        archive=_archive(env) if archive else None)
    env.done()
    return settings


def backup_settings(environ: Mapping[str, str] | None = None) -> BackupSettings:
    env = _Env(os.environ if environ is None else environ)
    settings = BackupSettings(
        bucket=env.text("BACKUP_S3_BUCKET"),
        prefix=env.text("BACKUP_S3_PREFIX", "backups").strip("/"),
        retention_days=env.integer("BACKUP_RETENTION_DAYS", 30, minimum=1))
    env.done()
    return settings


def service_url(name: str, environ: Mapping[str, str] | None = None) -> str:
    """PROMETHEUS_URL, GRAFANA_URL or ALERTMANAGER_URL for the backup that needs it."""
    env = _Env(os.environ if environ is None else environ)
    url = env.url(name)
    env.done()
    return url


def required_path(name: str, environ: Mapping[str, str] | None = None) -> Path:
    env = _Env(os.environ if environ is None else environ)
    value = env.text(name)
    env.done()
    return Path(value)


def secret(name: str, environ: Mapping[str, str] | None = None) -> str:
    """A required secret read from the file that NAME (ending in _FILE) points to."""
    env = _Env(os.environ if environ is None else environ)
    value = env.secret_file(name, required=True)
    env.done()
    return value
