"""Alertmanager: each stack's rendered file checked with amtool, and the spec's routing matrix
(routes.yml) proven with `amtool config routes test --verify.receivers`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.alerting.conftest import ROOT, STACKS, VARIANTS, match_route, require, route_nodes, run, settings_for
from model.endpoints import ALERTMANAGER
from model.settings import SECRETS
from render.alertmanager_config import SECRET_FILES, render_alertmanager_files
from render.rules import iter_alerts, render_rule_files

SECRETS_DIR = ALERTMANAGER.dirs["secrets"]

TABLE = yaml.safe_load((Path(__file__).parent / "routes.yml").read_text())
FALLBACK = {"production-remediation": "production", "dev": "staging", "staging": "production"}


def expected(entry: dict, variant: str):
    while variant not in entry:
        variant = FALLBACK[variant]
    return entry[variant]


def config(rendered_alertmanager, variant) -> dict:
    return yaml.safe_load((rendered_alertmanager[variant] / "alertmanager.yml").read_text())


_ALERT_LABELS: dict[str, dict] = {}


def alert_labels(name: str) -> dict:
    """Static labels of the alert in the rendered rules (templated ones left out)."""
    if not _ALERT_LABELS:
        for _, _, rule in iter_alerts({k: yaml.safe_load(v) for k, v in render_rule_files(settings_for("production")).items()}):
            labels = {k: v for k, v in rule.get("labels", {}).items() if "{{" not in v}
            _ALERT_LABELS.setdefault(rule["alert"], labels)
    assert name in _ALERT_LABELS, f"routes.yml names alert {name}, which is not in the rules"
    return _ALERT_LABELS[name]


def case_labels(case: dict) -> dict:
    labels = {"cluster": "waqiti-test"}
    if "alert" in case:
        labels.update(alert_labels(case["alert"]), alertname=case["alert"])
    labels.update(case.get("labels", {}))
    return labels


CASES = [(variant, index) for index in range(len(TABLE["cases"])) for variant in VARIANTS]


@pytest.mark.parametrize("variant", VARIANTS)
def test_amtool_check_config(variant, rendered_alertmanager):
    result = run(require("amtool"), "check-config", str(rendered_alertmanager[variant] / "alertmanager.yml"))
    assert "SUCCESS" in result.stdout and "1 templates" in result.stdout


@pytest.mark.parametrize(
    "variant,index", CASES, ids=[f"{v}-{i:02d}-{TABLE['cases'][i].get('alert', 'unlabelled')}" for v, i in CASES]
)
def test_routing_matrix(variant, index, rendered_alertmanager):
    """One line of the spec's routing matrix, on one stack, verified by amtool."""
    case = TABLE["cases"][index]
    labels = case_labels(case)
    receivers = expected(case, variant)
    path = rendered_alertmanager[variant] / "alertmanager.yml"
    result = run(
        require("amtool"), "config", "routes", "test", f"--config.file={path}",
        f"--verify.receivers={','.join(receivers)}", *(f"{k}={v}" for k, v in sorted(labels.items())),
        check=False,
    )
    assert result.returncode == 0, f"{case['spec']} ({variant}): {result.stdout}{result.stderr}"
    # The reproduction of Alertmanager's matching used by the coverage tests agrees with amtool.
    ours = [settings["receiver"] for _, settings in match_route(config(rendered_alertmanager, variant)["route"], labels)]
    assert ours == receivers


@pytest.mark.parametrize("variant", VARIANTS)
def test_critical_alerts_go_out_at_once_warnings_after_5m_and_escalation_waits(variant, rendered_alertmanager):
    route = config(rendered_alertmanager, variant)["route"]
    waits = {
        "PaymentServiceDown": {"oncall-critical": "0s", "escalation-sms": "5m", "escalation-level2": "5m", "escalation-level3": "15m"},
        "PostgresDown": {"database-critical": "0s"},
        "FraudHighRiskAlertSurge": {"security-critical": "0s"},
        "PaymentLatencyHigh": {"platform": "5m"},
        "UserRegistrationAnomaly": {"growth-product": "5m"},
        "KycVerificationBacklogGrowing": {"compliance": "5m"},
    }
    for alert, want in waits.items():
        labels = {**alert_labels(alert), "alertname": alert, "cluster": "waqiti-test"}
        got = {s["receiver"]: s["group_wait"] for _, s in match_route(route, labels)}
        for receiver, wait in want.items():
            if receiver in got or not receiver.startswith("escalation"):
                assert got.get(receiver) == wait, f"{alert} -> {receiver} ({variant}): group_wait {got.get(receiver)}"


def summarize(receiver: dict) -> list[str]:
    out = []
    out += ["pagerduty" for _ in receiver.get("pagerduty_configs", [])]
    out += [f"slack:{c['channel']}" for c in receiver.get("slack_configs", [])]
    out += [f"email:{c['to']}" for c in receiver.get("email_configs", [])]
    out += [f"sms:{c['topic_arn']}" for c in receiver.get("sns_configs", [])]
    out += [f"webhook:{c['url']}" for c in receiver.get("webhook_configs", [])]
    return out


@pytest.mark.parametrize("variant", VARIANTS)
def test_receivers_notify_the_right_people(variant, rendered_alertmanager):
    receivers = {r["name"]: r for r in config(rendered_alertmanager, variant)["receivers"]}
    for name, per_stack in TABLE["receivers"].items():
        want = expected(per_stack, variant)
        if want is None:
            assert name not in receivers, f"{name} must not exist in {variant}"
        else:
            assert name in receivers, f"{name} missing in {variant}"
            assert sorted(summarize(receivers[name])) == sorted(want), name


@pytest.mark.parametrize("variant", ("staging", "dev"))
def test_staging_and_dev_never_page_or_text(variant, rendered_alertmanager):
    text = (rendered_alertmanager[variant] / "alertmanager.yml").read_text()
    assert "pagerduty_configs" not in text and "sns_configs" not in text and "escalation-" not in text


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_receiver_is_used(variant, rendered_alertmanager):
    document = config(rendered_alertmanager, variant)
    used = {route["receiver"] for _, route, _ in route_nodes(document["route"]) if "receiver" in route}
    defined = [r["name"] for r in document["receivers"]]
    assert len(defined) == len(set(defined))
    assert set(defined) == used, f"unused: {sorted(set(defined) - used)}, undefined: {sorted(used - set(defined))}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_route_is_reached_by_some_alert(variant, rendered_alertmanager):
    """A route no alert of the rules can reach is dead configuration (a typo in a matcher, a team
    label nobody uses, a route shadowed by an earlier sibling)."""
    route = config(rendered_alertmanager, variant)["route"]
    rules = {k: yaml.safe_load(v) for k, v in render_rule_files(settings_for(variant)).items()}
    reached = set()
    for _, _, rule in iter_alerts(rules):
        labels = {k: ("templated" if "{{" in v else v) for k, v in rule["labels"].items()}
        labels.update(alertname=rule["alert"], cluster="waqiti-test")
        for paths, _ in match_route(route, labels):
            reached.update(paths)
    unreached = [path for path, _, _ in route_nodes(route) if path not in reached]
    assert not unreached, f"routes no alert reaches in {variant}: {unreached}"


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_alert_reaches_a_team_not_the_default(variant, rendered_alertmanager):
    route = config(rendered_alertmanager, variant)["route"]
    rules = {k: yaml.safe_load(v) for k, v in render_rule_files(settings_for(variant)).items()}
    lost = []
    for _, _, rule in iter_alerts(rules):
        labels = {**{k: v for k, v in rule["labels"].items()}, "alertname": rule["alert"], "cluster": "waqiti-test"}
        receivers = [s["receiver"] for _, s in match_route(route, labels)]
        if receivers == ["default"]:
            lost.append(rule["alert"])
    assert not lost


def test_secret_files_map_to_stack_secrets():
    keys = {spec.key for spec in SECRETS}
    assert set(SECRET_FILES.values()) <= keys
    assert SECRET_FILES == {
        "slack-webhook-url": "slackWebhookUrl",
        "pagerduty-routing-key": "pagerdutyRoutingKey",
        "smtp-password": "smtpPassword",
        "remediation-webhook-token": "remediationWebhookToken",
    }


@pytest.mark.parametrize("variant", VARIANTS)
def test_credentials_are_files_never_inline(variant, rendered_alertmanager):
    document = config(rendered_alertmanager, variant)
    text = (rendered_alertmanager[variant] / "alertmanager.yml").read_text()
    inline = {"routing_key", "service_key", "auth_password", "credentials", "access_key", "secret_key", "bot_token"}

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                where = f"{path}.{key}"
                assert key not in inline, f"inline credential at {where}"
                # Slack and webhook URLs can carry tokens: Slack's comes from a file; only SNS has an inline api_url.
                assert key != "api_url" or ".sns_configs" in path, f"inline URL at {where}"
                walk(value, where)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}[{index}]")

    walk(document, "")
    assert "hooks.slack.com" not in text
    files = set(re.findall(rf"{SECRETS_DIR}/([a-z-]+)", text))
    assert files <= set(SECRET_FILES), files - set(SECRET_FILES)
    for receiver in document["receivers"]:
        for slack in receiver.get("slack_configs", []):
            assert slack["api_url_file"] == f"{SECRETS_DIR}/slack-webhook-url"
        for pd in receiver.get("pagerduty_configs", []):
            assert pd["routing_key_file"] == f"{SECRETS_DIR}/pagerduty-routing-key" and pd["url"].startswith("https://")
        for email in receiver.get("email_configs", []):
            assert email["auth_password_file"] == f"{SECRETS_DIR}/smtp-password"
        for hook in receiver.get("webhook_configs", []):
            if receiver["name"].startswith("remediation-"):
                assert hook["http_config"]["authorization"]["credentials_file"] == f"{SECRETS_DIR}/remediation-webhook-token"
    assert document["global"]["smtp_smarthost"] == settings_for(variant).smtp.smarthost


def test_sms_needs_a_topic():
    from model.settings import parse, read_stack_file

    raw = read_stack_file(ROOT / "Pulumi.production.yaml")
    raw.pop("alertingSmsTopicArn")
    with pytest.raises(ValueError, match="alertingSmsTopicArn"):
        render_alertmanager_files(parse(raw))


def test_templates_render(rendered_alertmanager):
    glob = str(rendered_alertmanager["production"] / "templates" / "*.tmpl")
    for name in ("waqiti.title", "waqiti.slack.text", "waqiti.email.html", "waqiti.pagerduty.description", "waqiti.sms"):
        result = run(require("amtool"), "template", "render", f"--template.glob={glob}", f'--template.text={{{{ template "{name}" . }}}}')
        assert result.stdout.strip(), name
