"""The SLA report and backup CronJobs per stack: schedules, the reporter's env interface, secrets as
files, restricted pods, Prometheus's volume, network flows; bad report settings fail at preview."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.settings import SettingsError, settings_for_stack
from reporter import settings as reporter_settings
from tools import pulumi_engine
from tools.pulumi_engine import placeholder_secrets, run_program
from tests.conftest import STACKS

REPORTS = ("daily", "weekly", "monthly")
BACKUPS = ("prometheus", "grafana", "alertmanager")
AWS_KEYS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}


def cron_jobs(run) -> dict[str, dict]:
    return {r.inputs["metadata"]["name"]: r.manifest for r in run.kubernetes("CronJob")}


def pod_spec(cron_job: dict) -> dict:
    return cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def pod_labels(cron_job: dict) -> dict[str, str]:
    return cron_job["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]


def env_of(cron_job: dict) -> dict[str, str]:
    (container,) = pod_spec(cron_job)["containers"]
    assert all("valueFrom" not in e for e in container["env"]), "every value is a literal; secrets are files"
    return {e["name"]: e["value"] for e in container["env"]}


def mounted_environment(run, cron_job: dict, root: Path) -> dict[str, str]:
    """The job's env, with its Secret and ConfigMap volumes written under `root` as the kubelet would mount them."""
    spec = pod_spec(cron_job)
    (container,) = spec["containers"]
    env = env_of(cron_job)
    for volume in spec["volumes"]:
        if "secret" in volume:
            source, values = volume["secret"], run.get("Secret", volume["secret"]["secretName"]).manifest["stringData"]
        elif "configMap" in volume:
            source, values = volume["configMap"], run.get("ConfigMap", volume["configMap"]["name"]).manifest["data"]
        else:
            continue
        mount_path = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == volume["name"])
        for item in source["items"]:
            path = root / mount_path.lstrip("/") / item["path"]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(values[item["key"]])
        env = {key: str(root / value.lstrip("/")) if value.startswith(mount_path + "/") else value for key, value in env.items()}
    return env


@pytest.mark.parametrize("stack", STACKS)
def test_the_cron_jobs_run_on_the_stack_schedules_in_its_timezone(runs, stack):
    reporting = settings_for_stack(stack).reporting
    jobs = cron_jobs(runs[stack])
    expected = {f"sla-report-{kind}": getattr(reporting, f"{kind}_schedule") for kind in REPORTS}
    expected |= {
        f"backup-{source}": getattr(reporting, f"{source}_backup_schedule")
        for source in BACKUPS
        if source != "grafana" or reporting.grafana_backup_enabled
    }
    assert {name: job["spec"]["schedule"] for name, job in jobs.items()} == expected
    for name, job in jobs.items():
        spec = job["spec"]
        assert spec["timeZone"] == reporting.timezone, name
        assert spec["concurrencyPolicy"] == "Forbid", name
        assert spec["startingDeadlineSeconds"] > 0 and spec["jobTemplate"]["spec"]["activeDeadlineSeconds"] > 0, name
        assert (spec["successfulJobsHistoryLimit"], spec["failedJobsHistoryLimit"]) == (3, 3), name
        # Each job its own workload label, on the CronJob and on its pods: its own NetworkPolicy.
        assert job["metadata"]["labels"]["app.kubernetes.io/name"] == name
        assert pod_labels(job)["app.kubernetes.io/name"] == name == job["spec"]["jobTemplate"]["metadata"]["labels"]["app.kubernetes.io/name"]
        assert pod_spec(job)["serviceAccountName"] == "sla-reporter"
    assert ("backup-grafana" in jobs) == (stack != "dev")


def test_production_reports_at_eight_london_time():
    reporting = settings_for_stack("production").reporting
    assert reporting.timezone == "Europe/London"
    assert (reporting.daily_schedule, reporting.weekly_schedule, reporting.monthly_schedule) == ("0 8 * * *", "0 8 * * 1", "0 8 1 * *")
    assert reporting.report_object_lock_days == 2555


@pytest.mark.parametrize("stack", STACKS)
def test_each_job_runs_its_reporter_command(runs, stack):
    for name, job in cron_jobs(runs[stack]).items():
        (container,) = pod_spec(job)["containers"]
        kind, what = name.removeprefix("sla-").split("-")
        assert container["args"] == [kind, what], name
        assert container["image"] == settings_for_stack(stack).reporting.image
        assert "command" not in container  # the image's entrypoint: python -m reporter


@pytest.mark.parametrize("stack", STACKS)
def test_report_env_is_what_the_reporter_reads(runs, stack, tmp_path):
    settings = settings_for_stack(stack)
    reporting = settings.reporting
    run = runs[stack]
    for kind in REPORTS:
        env = mounted_environment(run, cron_jobs(run)[f"sla-report-{kind}"], tmp_path / kind)
        parsed = reporter_settings.report_settings(env)  # the reporter's own parser: raises on any problem
        assert parsed.prometheus_url == "http://prometheus.monitoring.svc:9090"
        assert parsed.timezone == reporting.timezone
        assert parsed.smtp.recipients == getattr(reporting, f"{kind}_recipients")
        assert parsed.smtp.sender == settings.smtp.sender
        assert (parsed.smtp.host, parsed.smtp.port, parsed.smtp.security) == ("smtp.example.com", 587, "starttls")
        assert parsed.smtp.username == settings.smtp.username
        assert parsed.smtp.password == "placeholder-smtpPassword"  # read from the mounted file
        assert (parsed.archive.bucket, parsed.archive.prefix, parsed.archive.object_lock_days) == (
            reporting.report_bucket, reporting.report_prefix, reporting.report_object_lock_days
        )
        assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == reporting.s3_region
        # The stack's own SLO targets and paging rota, mounted from its ConfigMap (not the image's copy).
        assert parsed.targets.services["payment"].availability == 0.999
        assert {"payment", "wallet", "sre", "operations"} <= set(parsed.targets.paging.teams)


@pytest.mark.parametrize("stack", STACKS)
def test_backup_env_is_what_the_reporter_reads(runs, stack, tmp_path):
    reporting = settings_for_stack(stack).reporting
    run = runs[stack]
    jobs = cron_jobs(run)
    for source in BACKUPS:
        if f"backup-{source}" not in jobs:
            continue
        env = mounted_environment(run, jobs[f"backup-{source}"], tmp_path / source)
        parsed = reporter_settings.backup_settings(env)
        assert (parsed.bucket, parsed.prefix, parsed.retention_days) == (reporting.backup_bucket, reporting.backup_prefix, reporting.backup_retention_days)
        if source == "grafana":
            assert reporter_settings.service_url("GRAFANA_URL", env) == "http://grafana.monitoring.svc:3000"
            assert reporter_settings.secret("GRAFANA_TOKEN_FILE", env) == "placeholder-grafanaBackupToken"
        elif source == "alertmanager":
            assert reporter_settings.service_url("ALERTMANAGER_URL", env) == "http://alertmanager.monitoring.svc:9093"
        else:
            # prometheus-0's gate, on the admin port: the only way to the admin API
            assert reporter_settings.service_url("PROMETHEUS_URL", env) == "http://prometheus-0.prometheus-headless.monitoring.svc:9092"
            assert str(reporter_settings.required_path("PROMETHEUS_DATA_DIR", env)) == "/prometheus"


@pytest.mark.parametrize("stack", STACKS)
def test_secrets_are_files_and_each_job_mounts_only_its_own(runs, stack):
    run = runs[stack]
    secret = run.get("Secret", "sla-reporter-secrets").manifest
    assert set(secret["stringData"]) == ({"smtp-password", "grafana-token"} if stack != "dev" else {"smtp-password"})
    needs = {"sla-report-daily": ["smtp-password"], "sla-report-weekly": ["smtp-password"], "sla-report-monthly": ["smtp-password"], "backup-grafana": ["grafana-token"]}
    for name, job in cron_jobs(run).items():
        spec = pod_spec(job)
        env = env_of(job)
        assert not AWS_KEYS & set(env) and "SMTP_PASSWORD" not in env and "GRAFANA_TOKEN" not in env, name
        keys = [item["key"] for volume in spec["volumes"] if "secret" in volume for item in volume["secret"]["items"]]
        assert keys == needs.get(name, []), name
        for volume in spec["volumes"]:
            if "secret" in volume:
                assert volume["secret"]["defaultMode"] == 0o440
                mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == volume["name"])
                assert mount["readOnly"] is True


@pytest.mark.parametrize("stack", STACKS)
def test_every_job_pod_is_restricted(runs, stack):
    run = runs[stack]
    prometheus_user = run.get("StatefulSet", "prometheus").manifest["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
    for name, job in cron_jobs(run).items():
        spec = pod_spec(job)
        assert spec["restartPolicy"] == "Never" and job["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 2, name
        assert spec["serviceAccountName"] == "sla-reporter" and spec["automountServiceAccountToken"] is False, name
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["seccompProfile"]["type"] == "RuntimeDefault", name
        # Same user as Prometheus: the backup deletes the snapshot Prometheus wrote on the shared volume.
        assert pod["runAsUser"] == pod["fsGroup"] == prometheus_user, name
        (container,) = spec["containers"]
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False and context["privileged"] is False, name
        assert context["readOnlyRootFilesystem"] is True and context["capabilities"]["drop"] == ["ALL"], name
        assert context["runAsNonRoot"] is True and context["seccompProfile"]["type"] == "RuntimeDefault", name
        assert set(container["resources"]["requests"]) == {"cpu", "memory"} == set(container["resources"]["limits"]), name
        assert container["imagePullPolicy"] == "Always"
        image = container["image"]
        assert ":" in image.rsplit("/", 1)[1] and not image.endswith(":latest"), name
        # The image writes only to /tmp (HOME and MPLCONFIGDIR point there).
        assert {"name": "tmp", "mountPath": "/tmp", "readOnly": False} in container["volumeMounts"], name


@pytest.mark.parametrize("stack", STACKS)
def test_prometheus_backup_mounts_prometheus_0_volume_on_its_node(runs, stack):
    run = runs[stack]
    statefulset = run.get("StatefulSet", "prometheus").manifest
    claim = f"{statefulset['spec']['volumeClaimTemplates'][0]['metadata']['name']}-prometheus-0"
    assert claim == "data-prometheus-0"
    spec = pod_spec(cron_jobs(run)["backup-prometheus"])
    volume = next(v for v in spec["volumes"] if "persistentVolumeClaim" in v)
    assert volume["persistentVolumeClaim"] == {"claimName": claim}
    mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == volume["name"])
    assert mount == {"name": volume["name"], "mountPath": "/prometheus", "readOnly": False}
    (term,) = spec["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term == {"labelSelector": {"matchLabels": {"statefulset.kubernetes.io/pod-name": "prometheus-0"}}, "topologyKey": "kubernetes.io/hostname"}
    # The per-pod DNS name it snapshots through exists: the StatefulSet's headless Service.
    assert statefulset["spec"]["serviceName"] == "prometheus-headless"
    assert run.get("Service", "prometheus-headless").manifest["spec"]["clusterIP"] == "None"
    # No other job touches Prometheus's volume.
    others = [name for name, job in cron_jobs(run).items() if name != "backup-prometheus" and any("persistentVolumeClaim" in v for v in pod_spec(job)["volumes"])]
    assert others == []


@pytest.mark.parametrize("stack", STACKS)
def test_s3_credentials_come_from_the_service_account_role(runs, stack):
    account = runs[stack].get("ServiceAccount", "sla-reporter").manifest
    assert account["automountServiceAccountToken"] is False
    role = settings_for_stack(stack).reporting.iam_role_arn
    annotations = account["metadata"].get("annotations") or {}
    assert annotations == ({"eks.amazonaws.com/role-arn": role} if role else {})
    assert (role is None) == (stack == "dev")


def _egress_of(policy: dict) -> set[tuple[str, frozenset]]:
    def target(peer):
        labels = peer.get("podSelector", {}).get("matchLabels", {})
        name = labels.get("app.kubernetes.io/name")
        return labels.get("statefulset.kubernetes.io/pod-name", name) if name else peer["ipBlock"]["cidr"]

    return {(target(peer), frozenset(p["port"] for p in rule["ports"])) for rule in policy["egress"] for peer in rule["to"]}


def _admitted(policies: dict, workload: str, port: int) -> set[str]:
    """The report and backup jobs an ingress rule of this workload's policy lets in on this port."""
    return {
        peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
        for rule in policies[f"allow-{workload}"]["ingress"] if port in {p["port"] for p in rule["ports"]}
        for peer in rule["from"] if "podSelector" in peer and "namespaceSelector" not in peer
    } & {*(f"sla-report-{kind}" for kind in REPORTS), *(f"backup-{source}" for source in BACKUPS)}


@pytest.mark.parametrize("stack", STACKS)
def test_each_job_has_its_own_policy_and_reaches_only_what_it_reads(runs, stack):
    policies = {r.inputs["metadata"]["name"]: r.manifest["spec"] for r in runs[stack].kubernetes("NetworkPolicy")}
    jobs = cron_jobs(runs[stack])
    assert "allow-sla-reporter" not in policies
    for name in jobs:
        policy = policies[f"allow-{name}"]
        assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == name
        assert sorted(policy["policyTypes"]) == ["Egress", "Ingress"] and not policy.get("ingress")
    relay = frozenset({587})
    for kind in REPORTS:  # queries, S3, the mail relay: no Alertmanager, no Grafana
        assert _egress_of(policies[f"allow-sla-report-{kind}"]) == {("prometheus", frozenset({9090})), ("0.0.0.0/0", frozenset({443})), ("0.0.0.0/0", relay)}
    # the snapshot: prometheus-0 alone, the replica whose volume the job mounts, on its gate's admin port
    assert _egress_of(policies["allow-backup-prometheus"]) == {("prometheus-0", frozenset({9092})), ("0.0.0.0/0", frozenset({443}))}
    assert _egress_of(policies["allow-backup-alertmanager"]) == {("alertmanager", frozenset({9093})), ("0.0.0.0/0", frozenset({443}))}
    grafana_backup = stack != "dev"
    if grafana_backup:
        assert _egress_of(policies["allow-backup-grafana"]) == {("grafana", frozenset({3000})), ("0.0.0.0/0", frozenset({443}))}
    # and the other side: who of them each server lets in
    assert _admitted(policies, "prometheus", 9090) == {"sla-report-daily", "sla-report-weekly", "sla-report-monthly"}
    assert _admitted(policies, "prometheus", 9092) == {"backup-prometheus"}
    assert _admitted(policies, "alertmanager", 9093) == {"backup-alertmanager"}
    assert _admitted(policies, "grafana", 3000) == ({"backup-grafana"} if grafana_backup else set())


def test_reporting_disabled_creates_no_job_and_needs_no_grafana_token():
    secrets = placeholder_secrets()
    del secrets["grafanaBackupToken"]
    run = run_program("production", overrides={"reportingEnabled": "false"}, secrets=secrets)
    assert run.kubernetes("CronJob") == []
    names = {r.inputs["metadata"]["name"] for r in run.kubernetes()}
    assert not {"sla-reporter", "sla-reporter-secrets", "allow-backup-prometheus", "allow-sla-report-daily"} & names
    assert not any(r.type == "waqiti:monitoring:SlaReporting" for r in run.resources)


def test_the_grafana_backup_needs_its_token():
    secrets = placeholder_secrets()
    del secrets["grafanaBackupToken"]
    with pytest.raises(SettingsError) as caught:
        run_program("production", secrets=secrets)
    assert "waqiti-monitoring:grafanaBackupToken: required secret not set" in str(caught.value)
    run = run_program("production", overrides={"reportingGrafanaBackupEnabled": "false"}, secrets=secrets)
    assert "backup-grafana" not in cron_jobs(run) and "sla-report-daily" in cron_jobs(run)


def test_recipients_may_be_a_comma_separated_string():
    run = run_program("staging", overrides={"reportingDailyRecipients": "a@waqiti.example.com, b@waqiti.example.com"})
    assert env_of(cron_jobs(run)["sla-report-daily"])["REPORT_RECIPIENTS"] == "a@waqiti.example.com,b@waqiti.example.com"


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("reportingTimezone", "Europe/Londn", "waqiti-monitoring:reportingTimezone: unknown timezone: expected an IANA name"),
        ("reportingDailySchedule", "0 8 * *", "waqiti-monitoring:reportingDailySchedule: expected a 5-field cron schedule"),
        ("reportingMonthlySchedule", "0 25 1 * *", "waqiti-monitoring:reportingMonthlySchedule: expected a 5-field cron schedule"),
        ("reportingPrometheusBackupSchedule", "@daily", "waqiti-monitoring:reportingPrometheusBackupSchedule: expected a 5-field cron schedule"),
        ("reportingWeeklyRecipients", [], "waqiti-monitoring:reportingWeeklyRecipients: recipients must list at least one email address, got none"),
        ("reportingDailyRecipients", ["sre@waqiti.example.com", "leadership"], "waqiti-monitoring:reportingDailyRecipients: expected an email address such as sre@example.com"),
        ("reportingReportBucket", "Reports_Bucket", "waqiti-monitoring:reportingReportBucket: expected an S3 bucket name"),
        ("reportingIamRoleArn", "sla-reporter", "waqiti-monitoring:reportingIamRoleArn: expected an IAM role ARN"),
        ("reportingImage", "ghcr.io/waqiti/sla-reporter:latest", "waqiti-monitoring:reportingImage: expected an image pinned to a version"),
    ],
)
def test_bad_report_settings_fail_before_anything_is_created(key, value, expected, monkeypatch):
    created = []
    original = pulumi_engine.RecordingMocks.new_resource
    monkeypatch.setattr(pulumi_engine.RecordingMocks, "new_resource", lambda self, args: created.append(args.typ) or original(self, args))
    with pytest.raises(SettingsError) as caught:
        run_program("production", overrides={key: value})
    assert expected in str(caught.value)
    assert created == []
