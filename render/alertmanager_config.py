"""alertmanager.yml and its templates per stack, from configs/alertmanager/.

Pure Python (no Pulumi). `route` and `inhibit_rules` are copied from routing.yml; receivers are
built from receivers.yml and the stack settings; routes to receivers a stack disables are dropped.
Credentials are never inline: each is a file of the Secret the Alertmanager component mounts at its
secrets directory (model/endpoints.py), named as in SECRET_FILES (checked by amtool of the pinned
release in the tests). Webhook URLs are settings and their tokens credentials_file.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from model.endpoints import ALERTMANAGER
from model.settings.alerting import REMEDIATION_ACTIONS, time_interval
from model.yamltext import dump_yaml
from render.time_intervals import refer_to_defined, time_intervals

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = ROOT / "configs" / "alertmanager"

# File of the Alertmanager Secret -> stack secret key (model/settings/secrets.py). The component
# writes each file without a trailing newline (auth_password_file is not trimmed). SNS keys are not
# among them: the component adds an AWS shared-credentials file when they are set, else the pod's
# IAM role signs.
SECRET_FILES: dict[str, str] = {
    "slack-webhook-url": "slackWebhookUrl",
    "pagerduty-routing-key": "pagerdutyRoutingKey",
    "smtp-password": "smtpPassword",
    "remediation-webhook-token": "remediationWebhookToken",
}

PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"


def _secret(name: str) -> str:
    assert name in SECRET_FILES, name
    return ALERTMANAGER.path("secrets", name)


def _load(name: str) -> dict:
    return yaml.safe_load((CONFIG_DIR / name).read_text(encoding="utf-8"))


def _enabled(spec: dict, settings) -> bool:
    condition = spec.get("enabled_if")
    alerting = settings.alerting
    if condition is None:
        return True
    if condition == "sms_enabled":
        return alerting.sms_enabled
    if condition == "escalation_enabled":
        return alerting.escalation_enabled
    if condition.startswith("remediation/"):
        action = condition.split("/", 1)[1]
        if action not in REMEDIATION_ACTIONS:
            raise ValueError(f"receivers.yml: unknown remediation action {action!r}")
        return alerting.remediation_enabled and action in alerting.remediation_actions
    raise ValueError(f"receivers.yml: unknown enabled_if {condition!r}")


def _slack(channel: str) -> dict:
    return {
        "api_url_file": _secret("slack-webhook-url"),
        "channel": channel,
        "send_resolved": True,
        "title": '{{ template "waqiti.title" . }}',
        "text": '{{ template "waqiti.slack.text" . }}',
        "color": '{{ if eq .Status "firing" }}{{ if eq .CommonLabels.severity "critical" }}danger{{ else }}warning{{ end }}{{ else }}good{{ end }}',
    }


def _email(to: str) -> dict:
    return {
        "to": to,
        "auth_password_file": _secret("smtp-password"),
        "send_resolved": True,
        "headers": {"Subject": '{{ template "waqiti.email.subject" . }}'},
        "html": '{{ template "waqiti.email.html" . }}',
    }


def _pagerduty(name: str) -> dict:
    return {
        "routing_key_file": _secret("pagerduty-routing-key"),
        "url": PAGERDUTY_URL,
        "send_resolved": True,
        "severity": '{{ if eq .CommonLabels.severity "critical" }}critical{{ else }}warning{{ end }}',
        "description": '{{ template "waqiti.pagerduty.description" . }}',
        "class": "{{ .CommonLabels.alertname }}",
        "component": "{{ .CommonLabels.service }}",
        "group": "{{ .CommonLabels.team }}",
        "details": {
            "receiver": name,
            "firing": "{{ .Alerts.Firing | len }}",
            "summary": "{{ .CommonAnnotations.summary }}",
            "description": "{{ .CommonAnnotations.description }}",
            "runbook": "{{ .CommonAnnotations.runbook_url }}",
            "dashboard": "{{ .CommonAnnotations.dashboard_url }}",
        },
    }


def _sns(settings) -> dict:
    alerting = settings.alerting
    if not alerting.sms_topic_arn:
        raise ValueError("alertingSmsTopicArn: required when alertingSmsEnabled is true (the SNS topic of the on-call phones)")
    # No access_key/secret_key here: the AWS SDK reads the shared-credentials file the component
    # mounts (AWS_SHARED_CREDENTIALS_FILE), or the pod's IAM role.
    return {
        "api_url": f"https://sns.{alerting.sns_region}.amazonaws.com",
        "sigv4": {"region": alerting.sns_region},
        "topic_arn": alerting.sms_topic_arn,
        "subject": "{{ .CommonLabels.alertname }}",
        "message": '{{ template "waqiti.sms" . }}',
        "send_resolved": False,
    }


def _webhook(hook: str, settings) -> dict | None:
    alerting = settings.alerting
    if hook == "status-page":
        if not alerting.status_page_webhook_url:
            return None
        return {"url": alerting.status_page_webhook_url, "send_resolved": True}
    if hook == "deadmans-switch":
        if not alerting.deadmans_switch_url:
            return None
        return {"url": alerting.deadmans_switch_url, "send_resolved": False}
    if hook.startswith("remediation/"):
        if not alerting.remediation_webhook_url:
            raise ValueError("alertingRemediationWebhookUrl: required when alertingRemediationEnabled is true")
        action = hook.split("/", 1)[1]
        return {
            "url": f"{alerting.remediation_webhook_url.rstrip('/')}/{action}",
            "send_resolved": False,  # undoing is a human decision (see the runbook)
            "max_alerts": 0,
            "http_config": {"authorization": {"type": "Bearer", "credentials_file": _secret("remediation-webhook-token")}},
        }
    raise ValueError(f"receivers.yml: unknown webhook {hook!r}")


_KEYS = {"pagerduty", "slack", "email", "sms", "webhook", "enabled_if"}


def _receiver(name: str, spec: dict, settings) -> dict:
    unknown = set(spec) - _KEYS
    if unknown:
        raise ValueError(f"receivers.yml: {name}: unknown keys {sorted(unknown)}")
    alerting = settings.alerting
    receiver: dict = {"name": name}
    if spec.get("pagerduty") and alerting.pagerduty_enabled:
        receiver["pagerduty_configs"] = [_pagerduty(name)]
    slack = []
    for who in spec.get("slack", []):
        if who == "critical":
            slack.append(_slack(alerting.slack_critical_channel))
        elif who in alerting.slack_team_channels:
            slack.append(_slack(alerting.slack_team_channels[who]))
        else:
            raise ValueError(f"receivers.yml: {name}: no Slack channel for {who!r} in alertingSlackTeamChannels")
    if slack:
        receiver["slack_configs"] = slack
    emails = []
    for who in spec.get("email", []):
        address = getattr(alerting, f"email_{who}", None)
        if address is None:
            raise ValueError(f"receivers.yml: {name}: no setting alerting.email_{who} for email {who!r}")
        emails.append(_email(address))
    if emails:
        receiver["email_configs"] = emails
    if spec.get("sms"):
        receiver["sns_configs"] = [_sns(settings)]
    hooks = [hook for hook in (_webhook(h, settings) for h in spec.get("webhook", [])) if hook]
    if hooks:
        receiver["webhook_configs"] = hooks
    return receiver


def _prune(route: dict, enabled: set[str], known: set[str], path: str = "route") -> dict | None:
    """The route without the child routes whose receiver this stack disables; None if its own is disabled."""
    receiver = route.get("receiver")
    if receiver is not None and receiver not in known:
        raise ValueError(f"routing.yml: {path} uses receiver {receiver!r}, which receivers.yml does not define")
    if receiver is not None and receiver not in enabled:
        return None
    route = copy.deepcopy(route)
    children = []
    for index, child in enumerate(route.pop("routes", []) or []):
        kept = _prune(child, enabled, known, f"{path}.routes[{index}]")
        if kept is not None:
            children.append(kept)
    if children:
        route["routes"] = children
    return route


def alertmanager_config(settings) -> dict:
    """alertmanager.yml of the stack, as data."""
    routing = _load("routing.yml")
    receivers = _load("receivers.yml")["receivers"]
    enabled = [name for name, spec in receivers.items() if _enabled(spec, settings)]
    route = _prune(routing["route"], set(enabled), set(receivers))
    if route is None:
        raise ValueError("routing.yml: the root route's receiver is disabled")
    intervals = _time_intervals(settings)
    route = refer_to_defined(route, {interval["name"] for interval in intervals})
    smtp = settings.smtp
    document = {
        "global": {
            "resolve_timeout": "5m",
            "smtp_smarthost": smtp.smarthost,
            "smtp_from": smtp.sender,
            "smtp_auth_username": smtp.username,
            "smtp_auth_password_file": _secret("smtp-password"),
            "smtp_require_tls": smtp.require_tls,
        },
        "templates": [ALERTMANAGER.path("templates", "*.tmpl")],
        "route": route,
        "inhibit_rules": routing.get("inhibit_rules", []),
        "receivers": [_receiver(name, receivers[name], settings) for name in enabled],
    }
    if intervals:
        document["time_intervals"] = intervals
    return document


def _time_intervals(settings) -> list[dict]:
    alerting = settings.alerting
    return time_intervals([time_interval(i) for i in alerting.business_hours],
                          [time_interval(i) for i in alerting.maintenance_windows], alerting.timezone)


def render_alertmanager_files(settings) -> dict[str, str]:
    """{"alertmanager.yml": ..., "templates/<name>.tmpl": ...} for the stack."""
    header = (
        f"# Generated by render/alertmanager_config.py for {settings.environment} from configs/alertmanager/. "
        "Do not edit.\n"
    )
    files = {"alertmanager.yml": header + dump_yaml(alertmanager_config(settings))}
    for template in sorted((CONFIG_DIR / "templates").glob("*.tmpl")):
        files[f"templates/{template.name}"] = template.read_text(encoding="utf-8")
    return files
