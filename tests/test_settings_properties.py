"""Property-based: random and hostile strings through every plain setting. Each value ends as an
error naming its key (without repeating the value), or as settings whose renders the real tools
accept: promtool check config, amtool check-config and the Slack channels rendered by amtool's
template engine, grafana.ini read back line by line as Grafana reads it, and an htpasswd file with
exactly the configured users. Example counts stay modest so that the suite stays fast; the fixed
hostile list is tests/data/hostile-settings.yml (tests/test_hostile_settings.py).
"""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings as hypothesis_settings, strategies as st

from components.ingress import htpasswd, htpasswd_line
from model.endpoints import INGRESS_USER_HEADER
from model.settings import PROJECT, SettingsError, config_keys, parse, read_stack_file
from model.settings.load import ROOT
from render.alertmanager_config import render_alertmanager_files
from render.grafana_provisioning import render_grafana_ini
from render.prometheus_config import render_prometheus_config
from testsupport.pinned_tools import binary
from testsupport.prometheus import checkable_copy
from tests.settings_attack import grafana_ini, repeats_value

BASE = read_stack_file(ROOT / "Pulumi.production.yaml")
KEYS = sorted(config_keys())
# Characters that break the files settings end up in: line breaks and other controls, ini and YAML
# syntax, template delimiters, URL and host:port separators, digits that are not ASCII.
HOSTILE = st.sampled_from(["\n", "\r", "\t", "\x00", "\x7f", "\u2028", "{{", "}}", "[", "]", "=", ":", "@", "#", "/",
                           "?", "&", "$", "%", "'", '"', " ", "\\", "²", "٣", "é", "..", "-", "_", ".", ";"])
TEXT = st.lists(st.one_of(st.characters(codec="utf-8"), HOSTILE), max_size=20).map("".join)


def _as_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _near_valid(key: str) -> st.SearchStrategy[str]:
    """Mutations of the key's production value: the cases a careless operator produces."""
    base = _as_text(BASE.get(key, "x"))
    benign = st.text("abcxyz0123456789-.", max_size=6)
    return st.one_of(
        st.builds(lambda suffix: base + suffix, benign),
        st.builds(lambda suffix: base + suffix, TEXT),
        st.builds(lambda prefix: prefix + base, TEXT),
        st.builds(lambda cut, insert: base[:cut] + insert + base[cut:], st.integers(0, len(base)), TEXT),
    )


def _parsed(values: dict):
    try:
        return parse(values)
    except SettingsError as error:
        return error


def _outcome(key: str, value: str):
    """The Settings, or the SettingsError, after checking the error names the key and hides the value."""
    if value == "":
        # An empty value means "not set" (model/settings/load.py): the outcome is exactly the key's absence,
        # which may be another key's error (grafanaDatabaseHost unset with several Grafana replicas).
        outcome, absent = _parsed({**BASE, key: value}), _parsed({k: v for k, v in BASE.items() if k != key})
        assert type(outcome) is type(absent) and str(outcome) == str(absent), (outcome, absent)
        return outcome
    try:
        return parse({**BASE, key: value})
    except SettingsError as error:
        text = str(error)
        assert f"{PROJECT}:{key}:" in text, text
        assert all(f"{PROJECT}:{key}:" in problem or problem.startswith(f"{PROJECT}:grafanaReplicas")
                   for problem in error.problems), text
        assert not repeats_value(value, text), "the error repeats the value"
        return error


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(KEYS), data=st.data())
def test_every_setting_gives_a_named_error_or_settings(key, data):
    value = data.draw(st.one_of(TEXT, _near_valid(key)))
    event("refused" if isinstance(_outcome(key, value), SettingsError) else "accepted")  # nothing else may escape


def _tool_checks(settings, tmp_path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    config = checkable_copy(yaml.safe_load(render_prometheus_config(settings)), rules, tmp_path)
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    result = subprocess.run([binary("promtool"), "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

    am_dir = tmp_path / "alertmanager"
    for name, text in render_alertmanager_files(settings).items():
        path = am_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace("/etc/alertmanager/templates/", f"{am_dir}/templates/"))
    result = subprocess.run([binary("amtool"), "check-config", str(am_dir / "alertmanager.yml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    document = yaml.safe_load((am_dir / "alertmanager.yml").read_text())
    channels = {c["channel"] for r in document["receivers"] for c in r.get("slack_configs") or [] if "channel" in c}
    for channel in channels:
        result = subprocess.run([binary("amtool"), "template", "render", f"--template.glob={am_dir}/templates/*.tmpl",
                                 f"--template.text={channel}"], capture_output=True, text=True)
        assert result.returncode == 0 and result.stdout.strip() == channel, (channel, result.stderr)

    ini = render_grafana_ini(settings)
    parsed = grafana_ini(ini)
    assert len(parsed) == len([line for line in ini.split("\n") if "=" in line and not line.lstrip().startswith((";", "#"))])
    assert ("auth.anonymous", "enabled") in parsed and parsed[("auth.anonymous", "enabled")] == "false"

    assert parsed[("auth.proxy", "enabled")] == "true" and parsed[("auth.proxy", "header_name")] == INGRESS_USER_HEADER

    users = settings.ingress.users
    text = htpasswd([htpasswd_line(user, "a-password", "abcdefghijklmnopqrstuv") for user in users])
    assert text.count("\n") == len(users) and [line.split(":")[0] for line in text.splitlines()] == list(users)


RENDERED_KEYS = [key for key in KEYS if not key.startswith("reporting")]


@pytest.mark.slow
@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(RENDERED_KEYS), data=st.data())
def test_accepted_settings_render_what_the_real_tools_accept(key, data, tmp_path_factory):
    value = data.draw(_near_valid(key))
    outcome = _outcome(key, value)
    event("refused" if isinstance(outcome, SettingsError) else "accepted, rendered and checked")
    if not isinstance(outcome, SettingsError):
        _tool_checks(outcome, tmp_path_factory.mktemp("render"))
