"""Secrets stay Pulumi secrets end to end: never in a ConfigMap, an env literal, a manifest or a plain output."""

from __future__ import annotations

import json

import pytest

from model.settings import SECRETS
from tools import render
from tools.pulumi_engine import is_secret, run_program

# A recognisable value per secret: if any of them shows up outside a Secret, it leaked.
SENTINELS = {spec.key: f"SENTINEL-{spec.key}-7f3a" for spec in SECRETS}
# The per-login passwords are a JSON object of login -> password: here alice's, while the login of
# before (sre) keeps ingressBasicAuthPassword.
SECRET_VALUES = {**SENTINELS, "ingressBasicAuthPasswords": json.dumps({"alice": SENTINELS["ingressBasicAuthPasswords"]})}
ALL_ON = {
    "prometheusRemoteWriteUrl": "https://mimir.example.com/api/v1/push",
    "prometheusRemoteWriteUsername": "waqiti",
    "alertingRemediationEnabled": "true",
    "alertingRemediationWebhookUrl": "https://remediation.example.com/hooks",
    "ingressBasicAuthUsers": ["sre", "alice"],
}


@pytest.fixture(scope="module")
def run():
    return run_program("production", overrides=ALL_ON, secrets=SECRET_VALUES)


def leaks(value) -> list[str]:
    text = json.dumps(value)
    return [key for key, sentinel in SENTINELS.items() if sentinel in text]


def test_every_secret_reaches_a_secret(run):
    secret_text = json.dumps([r.manifest for r in run.kubernetes("Secret")])
    used = {key for key, sentinel in SENTINELS.items() if sentinel in secret_text}
    # Every configured secret is used somewhere (a redis password inside the connection string);
    # the basic-auth passwords are stored only as their bcrypt hashes.
    assert used == set(SENTINELS) - {"ingressBasicAuthPassword", "ingressBasicAuthPasswords"}


def test_no_secret_outside_a_secret(run):
    for resource in run.kubernetes():
        if resource.kind != "Secret":
            assert leaks(resource.manifest) == [], f"{resource.kind}/{resource.inputs['metadata']['name']}"


def test_every_secret_value_is_a_pulumi_secret(run):
    for resource in run.kubernetes("Secret"):
        assert "data" not in resource.inputs
        assert is_secret(resource.inputs["stringData"]), resource.inputs["metadata"]["name"]


def pod_specs(run):
    for resource in run.kubernetes():
        if resource.kind in {"Deployment", "StatefulSet"}:
            yield resource.manifest["spec"]["template"]["spec"]
        elif resource.kind == "CronJob":
            yield resource.manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def test_env_never_holds_a_literal_secret(run):
    specs = list(pod_specs(run))
    assert len(specs) > 10  # the report and backup CronJobs too
    for spec in specs:
        for container in spec["containers"]:
            for env in container.get("env", []):
                assert leaks(env.get("value", "")) == []
                if env["name"].endswith(("PASSWORD", "TOKEN", "SECRET_ACCESS_KEY", "ACCESS_KEY_ID")):
                    assert "secretKeyRef" in env["valueFrom"], env["name"]


def test_outputs_hold_secrets_only_as_secrets(run):
    for name, value in run.outputs.items():
        if leaks(value):
            assert name in run.secret_outputs, name


def test_rendered_files_hold_no_secret(run, tmp_path):
    render.write(run, tmp_path)
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(files) > 40
    for path in files:
        assert leaks(path.read_text()) == [], path
    assert render.REDACTED in (tmp_path / "manifests" / "secret-alertmanager-secrets.yaml").read_text()


def test_the_leak_check_would_catch_a_leak(run):
    assert leaks({"env": [{"value": SENTINELS["smtpPassword"]}]}) == ["smtpPassword"]
