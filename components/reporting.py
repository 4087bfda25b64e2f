"""SLA reports and backups: the reporter image (reporter/) run as CronJobs, one per report and backup.

The jobs share one service account (`sla-reporter`, no API token) but each job's pods carry their
own workload label (model/endpoints.py), so each has its own NetworkPolicy: a report reaches
Prometheus's query API, the mail relay and S3; only the Prometheus backup reaches Prometheus for a
snapshot, only the Alertmanager backup reads silences, only the Grafana backup reaches Grafana. The environment is the reporter's interface (reporter/README.md); secrets are files
from one Secret, each job mounting only the keys it reads. The report jobs read the stack's SLO
targets and paging rota from a ConfigMap rendered from configs/slo.yml and the rules
(render/report_targets.py), not a copy baked into the image. S3 credentials come from the pod's IAM
role (IRSA), never from keys in the environment.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components import k8s as kube
from components.network_policies import smtp_port
from components.shape import ComponentArgs
from model.endpoints import (
    ALERTMANAGER,
    ALERTMANAGER_BACKUP,
    GRAFANA,
    GRAFANA_BACKUP,
    PROMETHEUS,
    PROMETHEUS_ADMIN_PORT,
    PROMETHEUS_BACKUP,
    SLA_REPORTER,
    SLA_REPORTS,
)
from model.settings import Settings
from render.content import ReportingContent
from render.report_targets import FILE as TARGETS_FILE

NAME = SLA_REPORTER
COMPONENT = "sla-reporting"
CONFIG_DIR = "/etc/sla-reporter/config"
SECRETS_DIR = "/etc/sla-reporter/secrets"
SMTP_PASSWORD = "smtp-password"
GRAFANA_TOKEN = "grafana-token"
PROMETHEUS_DATA_DIR = PROMETHEUS.dirs["data"]
IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"

# The one Prometheus replica whose data volume the backup mounts (the StatefulSet's first claim).
PROMETHEUS_POD = f"{PROMETHEUS.name}-0"
PROMETHEUS_CLAIM = f"data-{PROMETHEUS_POD}"

HOUR = 3600


@dataclass(frozen=True)
class Job:
    """One CronJob: the reporter command it runs, when, and what it needs beyond the common settings."""

    name: str
    args: tuple[str, ...]
    schedule: str
    # A run the controller missed by more than this (controller down) waits for the next slot.
    starting_deadline: int
    # A run taking longer than this is stuck: it is killed and counts as failed.
    active_deadline: int
    env: tuple[tuple[str, str], ...] = ()
    secret_files: tuple[str, ...] = ()
    needs_prometheus_data: bool = False
    needs_targets: bool = False


# The whole settings: the jobs need the reporting group, the mail relay and the namespace.
SlaReportingArgs = ComponentArgs[Settings, ReportingContent]


def smtp_security(settings: Settings) -> str:
    """The reporter's SMTP_SECURITY for the stack's relay: implicit TLS on 465, else STARTTLS when required."""
    if smtp_port(settings) == 465:
        return "ssl"
    # Like Alertmanager's require_tls: false means plain SMTP (an internal relay).
    return "starttls" if settings.smtp.require_tls else "none"


def service_urls(namespace: str) -> dict[str, str]:
    return {
        "prometheus": PROMETHEUS.url(namespace),
        # The snapshot lands on the volume of the replica that takes it, so the backup talks to
        # prometheus-0 itself (its headless DNS name), not to the Service that balances replicas,
        # on its gate's admin port (the only way to the admin API).
        "prometheus-0": "http://" + PROMETHEUS.pod_address(0, namespace, port=PROMETHEUS_ADMIN_PORT),
        "alertmanager": ALERTMANAGER.url(namespace),
        "grafana": GRAFANA.url(namespace),
    }


def jobs(settings: Settings) -> list[Job]:
    """The six CronJobs (five without the Grafana backup), in the reporter's own terms."""
    reporting, smtp = settings.reporting, settings.smtp
    urls = service_urls(settings.namespace)
    report_env = (
        ("PROMETHEUS_URL", urls["prometheus"]),
        ("REPORT_TIMEZONE", reporting.timezone),
        ("REPORT_SENDER", smtp.sender),
        ("SMTP_HOST", smtp.smarthost.rpartition(":")[0]),
        ("SMTP_PORT", str(smtp_port(settings))),
        ("SMTP_SECURITY", smtp_security(settings)),
        ("SMTP_USERNAME", smtp.username),
        ("SMTP_PASSWORD_FILE", f"{SECRETS_DIR}/{SMTP_PASSWORD}"),
        ("REPORT_S3_BUCKET", reporting.report_bucket),
        ("REPORT_S3_PREFIX", reporting.report_prefix),
        ("REPORT_S3_OBJECT_LOCK_DAYS", str(reporting.report_object_lock_days)),
        ("SLO_TARGETS_FILE", f"{CONFIG_DIR}/{TARGETS_FILE}"),
    )
    recipients = {"daily": reporting.daily_recipients, "weekly": reporting.weekly_recipients, "monthly": reporting.monthly_recipients}
    schedules = {"daily": reporting.daily_schedule, "weekly": reporting.weekly_schedule, "monthly": reporting.monthly_schedule}
    result = [
        Job(
            name=SLA_REPORTS[kind],
            args=("report", kind),
            schedule=schedules[kind],
            # A report a few hours late is still that morning's report; a skipped monthly one waits a month.
            starting_deadline=6 * HOUR,
            active_deadline=HOUR,
            env=report_env + (("REPORT_RECIPIENTS", ",".join(recipients[kind])),),
            secret_files=(SMTP_PASSWORD,),
            needs_targets=True,
        )
        for kind in SLA_REPORTS
    ]
    backup_env = (
        ("BACKUP_S3_BUCKET", reporting.backup_bucket),
        ("BACKUP_S3_PREFIX", reporting.backup_prefix),
        ("BACKUP_RETENTION_DAYS", str(reporting.backup_retention_days)),
    )
    result.append(
        Job(
            name=PROMETHEUS_BACKUP,
            args=("backup", "prometheus"),
            schedule=reporting.prometheus_backup_schedule,
            starting_deadline=HOUR,
            active_deadline=4 * HOUR,  # streams the whole TSDB (up to prometheusRetentionSize) through gzip
            env=backup_env + (("PROMETHEUS_URL", urls["prometheus-0"]), ("PROMETHEUS_DATA_DIR", PROMETHEUS_DATA_DIR)),
            needs_prometheus_data=True,
        )
    )
    if reporting.grafana_backup_enabled:
        result.append(
            Job(
                name=GRAFANA_BACKUP,
                args=("backup", "grafana"),
                schedule=reporting.grafana_backup_schedule,
                starting_deadline=HOUR,
                active_deadline=HOUR // 2,
                env=backup_env + (("GRAFANA_URL", urls["grafana"]), ("GRAFANA_TOKEN_FILE", f"{SECRETS_DIR}/{GRAFANA_TOKEN}")),
                secret_files=(GRAFANA_TOKEN,),
            )
        )
    result.append(
        Job(
            name=ALERTMANAGER_BACKUP,
            args=("backup", "alertmanager"),
            schedule=reporting.alertmanager_backup_schedule,
            starting_deadline=HOUR // 2,
            active_deadline=HOUR // 4,
            env=backup_env + (("ALERTMANAGER_URL", urls["alertmanager"]),),
        )
    )
    return result


def prometheus_volume_affinity() -> k8s.core.v1.AffinityArgs:
    """Schedule next to prometheus-0.

    Its data volume is ReadWriteOnce: a second pod can mount it only on the node where it is
    attached. There the backup reads the snapshot Prometheus hard-linked under <data dir>/snapshots/
    and deletes it after upload (so read-write, as the same user as Prometheus: the pod security
    context's default, which also keeps fsGroup from re-owning the volume).
    """
    return k8s.core.v1.AffinityArgs(
        pod_affinity=k8s.core.v1.PodAffinityArgs(
            required_during_scheduling_ignored_during_execution=[
                k8s.core.v1.PodAffinityTermArgs(
                    label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels={"statefulset.kubernetes.io/pod-name": PROMETHEUS_POD}),
                    topology_key="kubernetes.io/hostname",
                )
            ]
        )
    )


class SlaReporting(pulumi.ComponentResource):
    service_account: k8s.core.v1.ServiceAccount
    secrets: k8s.core.v1.Secret
    cron_jobs: dict[str, k8s.batch.v1.CronJob]

    def __init__(self, name: str, args: SlaReportingArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("waqiti:monitoring:SlaReporting", name, None, opts)
        self.args = args
        child = kube.child(self)
        settings, reporting, namespace = args.settings, args.settings.reporting, args.placement.namespace

        self.config = kube.config_map_of_files(f"{NAME}-config", COMPONENT, namespace, args.content.config, child, label_name=NAME)
        self.secrets = kube.secret(f"{NAME}-secrets", COMPONENT, namespace, self._secret_values(), child, label_name=NAME)
        # No API token in the pods; with IRSA, EKS projects its own web-identity token for S3.
        role = {IRSA_ROLE_ANNOTATION: reporting.iam_role_arn} if reporting.iam_role_arn else None
        self.service_account = kube.service_account(NAME, COMPONENT, namespace, child, annotations=role)

        common_env = [("AWS_REGION", reporting.s3_region), ("AWS_DEFAULT_REGION", reporting.s3_region)]
        after = pulumi.ResourceOptions(parent=self, depends_on=[self.config, self.secrets, self.service_account])
        self.cron_jobs = {job.name: self._cron_job(job, settings, common_env, after) for job in jobs(settings)}
        self.register_outputs({})

    def _secret_values(self) -> dict[str, pulumi.Output[str]]:
        secrets = self.args.secrets
        values = {SMTP_PASSWORD: secrets["smtpPassword"]}
        if self.args.settings.reporting.grafana_backup_enabled:
            if "grafanaBackupToken" not in secrets:
                raise ValueError("reporting: the Grafana backup needs the secret grafanaBackupToken")
            values[GRAFANA_TOKEN] = secrets["grafanaBackupToken"]
        return values

    def _cron_job(self, job: Job, settings: Settings, common_env: list[tuple[str, str]], opts: pulumi.ResourceOptions) -> k8s.batch.v1.CronJob:
        reporting, namespace = settings.reporting, settings.namespace
        volumes = [kube.empty_dir("tmp", "256Mi")]
        mounts = [kube.mount("tmp", "/tmp", read_only=False)]
        if job.secret_files:
            volumes.append(kube.secret_volume("secrets", f"{NAME}-secrets", job.secret_files))
            mounts.append(kube.mount("secrets", SECRETS_DIR))
        if job.needs_targets:
            volumes.append(kube.config_map_volume("config", f"{NAME}-config", self.args.content.config))
            mounts.append(kube.mount("config", CONFIG_DIR))
        if job.needs_prometheus_data:
            volumes.append(
                k8s.core.v1.VolumeArgs(
                    name="prometheus-data",
                    persistent_volume_claim=k8s.core.v1.PersistentVolumeClaimVolumeSourceArgs(claim_name=PROMETHEUS_CLAIM),
                )
            )
            mounts.append(kube.mount("prometheus-data", PROMETHEUS_DATA_DIR, read_only=False))

        container = kube.container(
            NAME,
            reporting.image,
            args=list(job.args),
            env=[k8s.core.v1.EnvVarArgs(name=key, value=value) for key, value in [*common_env, *job.env]],
            volume_mounts=mounts,
            resources=kube.resources_of(reporting),
        )
        return k8s.batch.v1.CronJob(
            job.name,
            metadata=kube.metadata(job.name, COMPONENT, namespace, annotations=kube.skip_checks(**kube.unless_digest_pinned(reporting.image))),
            spec=k8s.batch.v1.CronJobSpecArgs(
                schedule=job.schedule,
                time_zone=reporting.timezone,
                concurrency_policy="Forbid",
                starting_deadline_seconds=job.starting_deadline,
                successful_jobs_history_limit=3,
                failed_jobs_history_limit=3,  # kept for their logs
                job_template=k8s.batch.v1.JobTemplateSpecArgs(
                    metadata=kube.pod_metadata(job.name, COMPONENT),
                    spec=k8s.batch.v1.JobSpecArgs(
                        backoff_limit=2,
                        active_deadline_seconds=job.active_deadline,
                        # The job's own workload label: its own NetworkPolicy selects it.
                        template=kube.pod_template(
                            job.name,
                            COMPONENT,
                            [container],
                            volumes,
                            NAME,
                            restart_policy="Never",
                            affinity=prometheus_volume_affinity() if job.needs_prometheus_data else None,
                        ),
                    ),
                ),
            ),
            opts=opts,
        )
