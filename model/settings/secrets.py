"""Secrets: config keys set with `pulumi config set --secret`, never part of the settings model.

`required_if` says when one must be set; `missing_secrets` lists those a stack's settings make
necessary but that are not there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PROJECT = "waqiti-monitoring"


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
    SecretSpec("ingressBasicAuthPasswords", "login -> password of the ingressBasicAuthUsers (a JSON object, or "
                                            "`--path 'ingressBasicAuthPasswords.<login>'`); a login without one gets a generated password"),
    SecretSpec(
        "grafanaBackupToken",
        "Grafana service-account token (Admin role) for the Grafana backup; create it once Grafana runs",
        lambda s: s.reporting.enabled and s.reporting.grafana_backup_enabled,
    ),
)
SECRET_KEYS = frozenset(spec.key for spec in SECRETS)


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


def login_passwords(value: Any) -> dict[str, str]:
    """The ingressBasicAuthPasswords secret as a mapping: a JSON object of login -> password (Pulumi
    hands structured config to the program as JSON text)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            value = None
    if not isinstance(value, dict) or not all(isinstance(password, str) and password for password in value.values()):
        raise ValueError("expected a JSON object of login -> non-empty password")
    return value


def secret_problems(settings: Settings, values: dict[str, Any]) -> list[str]:
    """Secrets whose shape the settings constrain. No message repeats a value or a key of a secret."""
    if values.get("ingressBasicAuthPasswords") in (None, ""):
        return []
    key = f"{PROJECT}:ingressBasicAuthPasswords"
    try:
        passwords = login_passwords(values["ingressBasicAuthPasswords"])
    except ValueError as error:
        return [f"{key}: {error}"]
    problems = []
    strangers = set(passwords) - set(settings.ingress.users)
    if strangers:
        problems.append(f"{key}: {len(strangers)} of its logins are not in ingressBasicAuthUsers (or ingressBasicAuthUser); "
                        "expected a password only for a configured login")
    if settings.ingress.basic_auth_user in passwords and values.get("ingressBasicAuthPassword") not in (None, ""):
        problems.append(f"{PROJECT}:ingressBasicAuthPassword: ingressBasicAuthPasswords also gives ingressBasicAuthUser a "
                        "password; expected one of the two")
    return problems
