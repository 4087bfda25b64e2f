"""The stack's settings: one typed model of every key in `Pulumi.<stack>.yaml`, validated once.

Pulumi config is flat (`waqiti-monitoring:prometheusReplicas`), while the program wants groups
(`settings.prometheus.replicas`). The mapping is mechanical: a grouped field's key is the group name
followed by the field name in camelCase; a top-level field's key is its name in camelCase.
Every key present in the stack's config is checked against that map, so a misspelled key is an
error, not a silently ignored value.

Secrets are never part of the model: `load()` returns them separately as Pulumi secret Outputs,
after checking that every secret the settings make necessary is present.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from reporter import schedule as report_schedule

PROJECT = "waqiti-monitoring"

# ---------------------------------------------------------------------------------------------
# Value types: each says what a valid value looks like, so an error can say what was expected.

_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
_DNS_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_IMAGE = re.compile(r"^[a-z0-9.\-/:_]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$")
_BYTES = re.compile(r"^[0-9]+(B|KB|MB|GB|TB|PB)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


def _matches(pattern: re.Pattern, expected: str):
    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"expected {expected}, got {value!r}")
        return value

    return check


def _image(value: str) -> str:
    _matches(_IMAGE, "an image pinned to a version tag or digest (e.g. quay.io/prometheus/prometheus:v2.53.3)")(value)
    if value.endswith(":latest"):
        raise ValueError(f"expected an image pinned to a version, not {value!r}")
    return value


def _cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value)
    except ValueError:
        raise ValueError(f"expected a CIDR block such as 10.0.0.1/32, got {value!r}") from None
    return value


Duration = Annotated[str, AfterValidator(_matches(_DURATION, "a Prometheus duration such as 15s, 2m or 30d"))]
Quantity = Annotated[str, AfterValidator(_matches(_QUANTITY, "a Kubernetes quantity such as 500m, 2Gi or 100Gi"))]
DnsName = Annotated[str, AfterValidator(_matches(_DNS_NAME, "a DNS name such as grafana.example.com"))]
DnsLabel = Annotated[str, AfterValidator(_matches(_DNS_LABEL, "a DNS label (lowercase letters, digits, '-')"))]
Image = Annotated[str, AfterValidator(_image)]
ByteSize = Annotated[str, AfterValidator(_matches(_BYTES, "a Prometheus byte size such as 90GB"))]
Email = Annotated[str, AfterValidator(_matches(_EMAIL, "an email address"))]
Url = Annotated[str, AfterValidator(_matches(_URL, "an http(s) URL"))]
Cidr = Annotated[str, AfterValidator(_cidr)]
Replicas = Annotated[int, Field(ge=1, le=10)]
Percent = Annotated[float, Field(gt=0, le=100)]
Port = Annotated[int, Field(ge=1, le=65535)]
# The reporter's own validators, so preview refuses exactly what the job would refuse.
Timezone = Annotated[str, AfterValidator(report_schedule.validate_timezone)]
Cron = Annotated[str, AfterValidator(report_schedule.validate_cron)]
# A list in the stack file, or a comma-separated string from `pulumi config set`.
Recipients = Annotated[
    list[Email],
    BeforeValidator(lambda value: [item.strip() for item in value.split(",") if item.strip()] if isinstance(value, str) else value),
    AfterValidator(report_schedule.validate_recipients),
]
S3Bucket = Annotated[str, AfterValidator(_matches(re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"), "an S3 bucket name (3-63 lowercase letters, digits, '.', '-')"))]
S3Prefix = Annotated[str, AfterValidator(_matches(re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$"), "an S3 key prefix without leading or trailing '/' (e.g. reports)"))]
AwsRegion = Annotated[str, AfterValidator(_matches(re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]$"), "an AWS region such as eu-west-2"))]
IamRoleArn = Annotated[str, AfterValidator(_matches(re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$"), "an IAM role ARN such as arn:aws:iam::123456789012:role/sla-reporter"))]


class Group(BaseModel):
    """A group of settings; unknown fields are errors and nothing changes after validation."""

    # Field docstrings are the settings' descriptions (Pulumi.yaml, README table).
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Resources(Group):
    cpu_request: Quantity
    cpu_limit: Quantity
    memory_request: Quantity
    memory_limit: Quantity


# ---------------------------------------------------------------------------------------------
# The groups. Defaults are the production values of the spec; staging and dev override them.


class PrometheusSettings(Group):
    image: Image = "quay.io/prometheus/prometheus:v3.13.5"
    """Prometheus image, pinned to a version."""
    replicas: Replicas = 2
    """Prometheus replicas; each scrapes everything (HA pair in production)."""
    scrape_interval: Duration = "15s"
    """How often every target is scraped."""
    evaluation_interval: Duration = "15s"
    """How often recording and alerting rules are evaluated."""
    retention: Duration = "30d"
    """How long samples are kept (spec: 30 days)."""
    retention_size: ByteSize = "90GB"
    """Size cap of the TSDB, below the volume size so the disk never fills."""
    storage_size: Quantity = "100Gi"
    """Volume size per replica."""
    cpu_request: Quantity = "500m"
    """CPU request."""
    cpu_limit: Quantity = "2000m"
    """CPU limit."""
    memory_request: Quantity = "2Gi"
    """Memory request."""
    memory_limit: Quantity = "4Gi"
    """Memory limit."""
    max_concurrent_queries: Annotated[int, Field(ge=1, le=200)] = 20
    """Queries evaluated at once (--query.max-concurrency)."""
    query_timeout: Duration = "2m"
    """Longest a query may run (--query.timeout)."""
    sample_limit: Annotated[int, Field(ge=100)] = 50000
    """Samples a target may expose per scrape before the scrape fails (jobs may set their own)."""
    label_limit: Annotated[int, Field(ge=10, le=200)] = 64
    """Labels a series may carry before the scrape fails."""
    host: DnsName = "prometheus.waqiti.example.com"
    """Public host name of the Prometheus UI behind the ingress."""
    remote_write_url: Optional[Url] = None
    """Long-term store (Thanos receive, Mimir, Cortex) to remote_write to; unset = none."""
    remote_write_username: Optional[str] = None
    """Basic-auth user for remote_write; its password is the secret remoteWritePassword."""


class AlertmanagerSettings(Group):
    image: Image = "quay.io/prometheus/alertmanager:v0.35.0"
    """Alertmanager image, pinned to a version."""
    replicas: Replicas = 3
    """Alertmanager peers, clustered over the headless Service."""
    storage_size: Quantity = "10Gi"
    """Volume per peer (silences and notification log)."""
    cpu_request: Quantity = "100m"
    """CPU request."""
    cpu_limit: Quantity = "200m"
    """CPU limit."""
    memory_request: Quantity = "256Mi"
    """Memory request."""
    memory_limit: Quantity = "512Mi"
    """Memory limit."""
    host: DnsName = "alerts.waqiti.example.com"
    """Public host name of the Alertmanager UI behind the ingress."""


class AlertingSettings(Group):
    """Who gets told what. Routing itself is data in configs/alertmanager/."""

    pagerduty_enabled: bool = True
    sms_enabled: bool = True
    sms_topic_arn: Optional[str] = None
    sns_region: str = "us-east-1"
    slack_critical_channel: str = "#critical-alerts"
    runbook_base_url: Url = "https://runbook.example.com"
    remediation_enabled: bool = False
    remediation_webhook_url: Optional[Url] = None
    status_page_webhook_url: Optional[Url] = None
    # Which auto-remediation hooks run when remediation_enabled; each is `<remediationWebhookUrl>/<action>`.
    remediation_actions: list[Literal["freeze-wallets", "replace-node", "scale-db-replicas"]] = Field(
        default_factory=lambda: ["freeze-wallets", "replace-node", "scale-db-replicas"]
    )
    # Levels 2 and 3 of the escalation matrix (managers, leadership, CTO, status page). Off outside production.
    escalation_enabled: bool = True
    # The dead man's switch that expects the always-firing Watchdog (e.g. a Dead Man's Snitch / healthchecks URL).
    deadmans_switch_url: Optional[Url] = None
    # Slack channel per team label; the critical channel above is the on-call one.
    slack_team_channels: dict[str, str] = Field(
        default_factory=lambda: {
            "payment": "#payments-alerts",
            "wallet": "#wallet-alerts",
            "platform": "#platform-alerts",
            "operations": "#operations-alerts",
            "growth": "#growth-alerts",
            "security": "#security-alerts",
            "compliance": "#compliance-alerts",
            "sre": "#sre-alerts",
            "support": "#customer-support",
        }
    )
    email_database_team: Email = "dba-oncall@example.com"
    email_security_team: Email = "security@example.com"
    email_ciso: Email = "ciso@example.com"
    email_compliance_team: Email = "compliance@example.com"
    email_operations_team: Email = "operations@example.com"
    email_product_team: Email = "product@example.com"
    email_engineering_managers: Email = "engineering-managers@example.com"
    email_leadership: Email = "leadership@example.com"
    email_cto: Email = "cto@example.com"
    email_cfo: Email = "cfo@example.com"

    @model_validator(mode="after")
    def _needs(self):
        # (sms_enabled without sms_topic_arn is reported by render/alertmanager_config.py: the default
        # instance of this class must stay valid.)
        if self.remediation_enabled and not self.remediation_webhook_url:
            raise ValueError("alertingRemediationWebhookUrl: required when alertingRemediationEnabled is true")
        missing = {"payment", "wallet", "platform", "operations", "growth", "security", "compliance", "sre", "support"} - set(self.slack_team_channels)
        if missing:
            raise ValueError(f"alertingSlackTeamChannels: missing a channel for team(s) {sorted(missing)}")
        for team, channel in self.slack_team_channels.items():
            if not channel.startswith("#"):
                raise ValueError(f"alertingSlackTeamChannels: channel of {team!r} must start with '#', got {channel!r}")
        return self


class SmtpSettings(Group):
    smarthost: str = "smtp.example.com:587"
    """Mail relay host:port for Alertmanager, Grafana and the reports."""
    sender: Email = "monitoring@example.com"
    """From address of every mail the stack sends."""
    username: str = "monitoring@example.com"
    """SMTP user; its password is the secret smtpPassword."""
    require_tls: bool = True
    """Refuse to send mail without STARTTLS."""

    @model_validator(mode="after")
    def _host_port(self):
        host, _, port = self.smarthost.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"smtpSmarthost: expected host:port such as smtp.example.com:587, got {self.smarthost!r}")
        return self


class GrafanaSettings(Group):
    image: Image = "docker.io/grafana/grafana:12.4.5"
    """Grafana image, pinned to a version."""
    renderer_image: Image = "docker.io/grafana/grafana-image-renderer:3.12.9"
    """Grafana image renderer, pinned to a version."""
    replicas: Replicas = 2
    """Grafana replicas (more than 1 needs grafanaDatabaseHost)."""
    storage_size: Quantity = "20Gi"
    """Volume for SQLite when no database is configured."""
    cpu_request: Quantity = "200m"
    """CPU request."""
    cpu_limit: Quantity = "500m"
    """CPU limit."""
    memory_request: Quantity = "512Mi"
    """Memory request."""
    memory_limit: Quantity = "1Gi"
    """Memory limit."""
    host: DnsName = "grafana.waqiti.example.com"
    """Public host name of Grafana behind the ingress."""
    admin_user: str = "admin"
    """Grafana admin user; its password is grafanaAdminPassword or generated."""
    database_host: Optional[str] = None
    """PostgreSQL host for Grafana (shared with the platform); unset = SQLite on a volume."""
    database_port: Port = 5432
    """PostgreSQL port."""
    database_name: str = "grafana"
    """PostgreSQL database."""
    database_user: str = "grafana"
    """PostgreSQL user; its password is the secret grafanaDatabasePassword."""
    database_ssl_mode: Literal["disable", "require", "verify-ca", "verify-full"] = "require"
    """PostgreSQL sslmode."""
    redis_address: Optional[str] = None
    """Redis host:port for Grafana's cache; unset = no remote cache."""
    image_renderer_enabled: bool = True
    """Deploy the image renderer (PNG panels for reports and alerts)."""


class ExporterSettings(Group):
    image: Image = "ghcr.io/waqiti/business-metrics-exporter:0.1.0"
    """Business metrics exporter image (built from exporter/), pinned to a version."""
    replicas: Replicas = 1
    """Exporter replicas (they agree: counters are seeded from the database)."""
    cpu_request: Quantity = "100m"
    """CPU request."""
    cpu_limit: Quantity = "500m"
    """CPU limit."""
    memory_request: Quantity = "128Mi"
    """Memory request."""
    memory_limit: Quantity = "256Mi"
    """Memory limit."""
    database_host: str = "postgres.waqiti.svc"
    """Platform PostgreSQL (a read replica is best) the exporter reads."""
    database_port: Port = 5432
    """PostgreSQL port."""
    database_name: str = "waqiti"
    """PostgreSQL database."""
    database_user: str = "metrics_reader"
    """Read-only role; its password is the secret exporterDatabasePassword."""
    database_ssl_mode: Literal["disable", "require", "verify-ca", "verify-full"] = "require"
    """PostgreSQL sslmode."""


class ConfigReloaderSettings(Group):
    image: Image = "ghcr.io/jimmidyson/configmap-reload:v0.14.0"
    """Sidecar that reloads Prometheus and Alertmanager when their ConfigMaps change."""


class IngressSettings(Group):
    class_name: str = "nginx"
    """IngressClass of the nginx ingress controller."""
    tls_mode: Literal["cert-manager", "secret", "none"] = "cert-manager"
    """cert-manager (issue certificates), secret (an existing TLS Secret) or none (dev only)."""
    cluster_issuer: str = "letsencrypt-prod"
    """cert-manager ClusterIssuer when ingressTlsMode is cert-manager."""
    tls_secret_name: Optional[DnsLabel] = None
    """Existing TLS Secret when ingressTlsMode is secret."""
    basic_auth_user: str = "sre"
    """Basic-auth user in front of all three UIs; password ingressBasicAuthPassword or generated."""
    controller_namespace: DnsLabel = "ingress-nginx"
    """Namespace of the ingress controller (allowed in by NetworkPolicy)."""

    @model_validator(mode="after")
    def _tls(self):
        if self.tls_mode == "secret" and not self.tls_secret_name:
            raise ValueError("ingressTlsSecretName: required when ingressTlsMode is 'secret'")
        return self


class NetworkSettings(Group):
    # NetworkPolicies cannot select the API server by label, only by IP.
    api_server_cidrs: list[Cidr] = Field(default_factory=lambda: ["0.0.0.0/0"])
    """Addresses of the Kubernetes API server, for Prometheus's egress policy."""
    dns_namespace: DnsLabel = "kube-system"
    """Namespace of the cluster DNS (kube-dns pods)."""


class ReportingSettings(Group):
    """The SLA reports and the backups (reporter/), run as CronJobs. Mail goes from smtpSender via smtpSmarthost."""

    enabled: bool = True
    """Deploy the report and backup CronJobs."""
    image: Image = "ghcr.io/waqiti/sla-reporter:0.1.0"
    """SLA reporter image (built from reporter/), pinned to a version."""
    timezone: Timezone = "UTC"
    """IANA timezone of the reports' days, weeks and months, and of every job's schedule."""
    daily_schedule: Cron = report_schedule.DEFAULT_SCHEDULES["daily"]
    """Cron schedule of the daily SLA report (in reportingTimezone)."""
    weekly_schedule: Cron = report_schedule.DEFAULT_SCHEDULES["weekly"]
    """Cron schedule of the weekly business review (in reportingTimezone)."""
    monthly_schedule: Cron = report_schedule.DEFAULT_SCHEDULES["monthly"]
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


# ---------------------------------------------------------------------------------------------


class Settings(Group):
    environment: Literal["production", "staging", "dev"]
    """production, staging or dev."""
    namespace: DnsLabel = "monitoring"
    """Namespace everything is deployed to."""
    cluster_name: DnsLabel
    """Value of the external label cluster on every series and alert."""
    storage_class: Optional[str] = None
    """StorageClass of every volume; unset = the cluster default."""
    prometheus: PrometheusSettings = PrometheusSettings()
    alertmanager: AlertmanagerSettings = AlertmanagerSettings()
    alerting: AlertingSettings = AlertingSettings()
    smtp: SmtpSettings = SmtpSettings()
    grafana: GrafanaSettings = GrafanaSettings()
    exporter: ExporterSettings = ExporterSettings()
    config_reloader: ConfigReloaderSettings = ConfigReloaderSettings()
    ingress: IngressSettings = IngressSettings()
    network: NetworkSettings = NetworkSettings()
    reporting: ReportingSettings = ReportingSettings()

    @model_validator(mode="after")
    def _grafana_replicas_need_a_database(self):
        # Several Grafana replicas cannot share one ReadWriteOnce volume of SQLite: they need PostgreSQL.
        if self.grafana.replicas > 1 and self.grafana.database_host is None:
            raise ValueError("grafanaReplicas: more than 1 replica needs grafanaDatabaseHost (a shared PostgreSQL)")
        return self

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


# ---------------------------------------------------------------------------------------------
# Secrets: config keys set with `pulumi config set --secret`. `required_if` says when one must be set.


@dataclass(frozen=True)
class SecretSpec:
    key: str
    meaning: str
    required_if: Any = None  # callable(Settings) -> bool; None = always optional (generated or unused)


SECRETS: tuple[SecretSpec, ...] = (
    SecretSpec("slackWebhookUrl", "Slack incoming-webhook URL for every Slack receiver", lambda s: True),
    SecretSpec("pagerdutyRoutingKey", "PagerDuty Events v2 routing key", lambda s: s.alerting.pagerduty_enabled),
    SecretSpec("smtpPassword", "password of smtpUsername at smtpSmarthost (Alertmanager, Grafana, reports)", lambda s: True),
    SecretSpec("snsAccessKeyId", "AWS access key for SNS SMS; leave unset to use the pod's IAM role"),
    SecretSpec("snsSecretAccessKey", "AWS secret key for SNS SMS; set together with snsAccessKeyId"),
    SecretSpec("remediationWebhookToken", "bearer token for the auto-remediation webhooks", lambda s: s.alerting.remediation_enabled),
    SecretSpec("grafanaAdminPassword", "Grafana admin password; generated when unset"),
    SecretSpec("grafanaSecretKey", "Grafana secret_key for signing; generated when unset"),
    SecretSpec("grafanaDatabasePassword", "password of grafanaDatabaseUser", lambda s: s.grafana.database_host is not None),
    SecretSpec("grafanaRedisPassword", "password of the Redis cache at grafanaRedisAddress"),
    SecretSpec("exporterDatabasePassword", "password of exporterDatabaseUser (read-only role)", lambda s: True),
    SecretSpec("remoteWritePassword", "password for prometheusRemoteWriteUrl", lambda s: s.prometheus.remote_write_username is not None),
    SecretSpec("ingressBasicAuthPassword", "basic-auth password of ingressBasicAuthUser; generated when unset"),
    SecretSpec(
        "grafanaBackupToken",
        "Grafana service-account token (Admin role) for the Grafana backup; create it once Grafana runs",
        lambda s: s.reporting.enabled and s.reporting.grafana_backup_enabled,
    ),
)
SECRET_KEYS = frozenset(spec.key for spec in SECRETS)


class SettingsError(ValueError):
    """Every problem with a stack's settings, each naming its config key and what was expected."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid stack settings:\n  - " + "\n  - ".join(problems))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def config_keys() -> dict[str, tuple[str, ...]]:
    """Every plain config key → its path in the model, e.g. prometheusReplicas → (prometheus, replicas)."""
    keys: dict[str, tuple[str, ...]] = {}
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, Group):
            for sub in annotation.model_fields:
                keys[_camel(name) + _camel(sub)[:1].upper() + _camel(sub)[1:]] = (name, sub)
        else:
            keys[_camel(name)] = (name,)
    return keys


def _decode(value: Any) -> Any:
    # Pulumi hands structured values (arrays, booleans, numbers) to the program as JSON text.
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def parse(raw: dict[str, Any]) -> Settings:
    """Validate plain config (keys without the project prefix) into Settings, or raise SettingsError."""
    keys = config_keys()
    problems: list[str] = []
    tree: dict[str, Any] = {}
    for key, value in sorted(raw.items()):
        if key in SECRET_KEYS or value in ("", None):
            continue  # "" is Pulumi.yaml's default for an optional key: unset
        path = keys.get(key)
        if path is None:
            hint = difflib.get_close_matches(key, list(keys) + list(SECRET_KEYS), n=1)
            problems.append(f"{PROJECT}:{key}: unknown setting" + (f"; did you mean {PROJECT}:{hint[0]}?" if hint else ""))
            continue
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _decode(value)
    if problems:
        raise SettingsError(problems)
    try:
        return Settings.model_validate(tree)
    except ValidationError as error:
        by_path = {path: key for key, path in keys.items()}
        for item in error.errors():
            loc = tuple(str(part) for part in item["loc"])
            key = by_path.get(loc[:2]) or by_path.get(loc[:1]) or ".".join(loc)
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "missing":
                message = "required, not set"
            problems.append(f"{PROJECT}:{key}: {message}")
        raise SettingsError(problems) from None


def missing_secrets(settings: Settings, present: set[str]) -> list[str]:
    problems = []
    for spec in SECRETS:
        if spec.required_if is not None and spec.required_if(settings) and spec.key not in present:
            problems.append(
                f"{PROJECT}:{spec.key}: required secret not set ({spec.meaning}); "
                f"set it with `pulumi config set --secret {spec.key} <value>`"
            )
    if ("snsAccessKeyId" in present) != ("snsSecretAccessKey" in present):
        problems.append(f"{PROJECT}:snsAccessKeyId/snsSecretAccessKey: set both or neither")
    return problems


@dataclass(frozen=True)
class StackConfig:
    settings: Settings
    secrets: dict[str, Any]  # config key -> pulumi.Output[str], marked secret; only the keys that are set


def _stack_config_values() -> dict[str, Any]:
    """The whole stack config the engine handed to this program, keys without the project prefix."""
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = PROJECT + ":"
    return {key[len(prefix):]: value for key, value in merged.items() if key.startswith(prefix)}


def load() -> StackConfig:
    """Read and validate the stack's config once, before any resource is created."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    raw = _stack_config_values()
    problems: list[str] = []
    try:
        settings = parse(raw)
    except SettingsError as error:
        problems += error.problems
        settings = None
    present = {key for key in SECRET_KEYS if raw.get(key) not in (None, "")}
    for key in sorted(present):
        if not runtime_config.is_config_secret(f"{PROJECT}:{key}"):
            problems.append(f"{PROJECT}:{key}: holds a secret but is stored in plain text; set it with --secret")
    if settings is not None:
        problems += missing_secrets(settings, present)
    if problems:
        raise SettingsError(problems)
    # A conditional secret is used only when its condition holds (no PagerDuty key in a stack that
    # does not page), so a leftover value never reaches a Secret.
    used = {spec.key for spec in SECRETS if spec.key in present and (spec.required_if is None or spec.required_if(settings))}
    config = pulumi.Config(PROJECT)
    return StackConfig(settings, {key: config.require_secret(key) for key in sorted(used)})


def read_stack_file(path) -> dict[str, Any]:
    """The plain values of a `Pulumi.<stack>.yaml`, keys without the project prefix; secure values skipped."""
    import yaml

    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle) or {}
    values = {}
    for key, value in (document.get("config") or {}).items():
        project, _, name = key.partition(":")
        if project != PROJECT:
            continue
        if isinstance(value, dict) and set(value) == {"secure"}:
            continue
        values[name] = json.dumps(value) if isinstance(value, (list, dict)) else value
    return values


def settings_for_stack(stack: str, root=None) -> Settings:
    """The validated settings of one stack, straight from its file (for tests and tools; no Pulumi engine)."""
    from pathlib import Path

    root = Path(root or Path(__file__).resolve().parent.parent)
    return parse(read_stack_file(root / f"Pulumi.{stack}.yaml"))
