"""Shared fixtures: each stack's rule files and Alertmanager files, rendered into a tmp dir."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from model.settings import parse, read_stack_file, settings_for_stack
from render.alertmanager_config import render_alertmanager_files
from render.rules import render_rule_files
from testsupport.pinned_tools import binary

ROOT = Path(__file__).resolve().parents[2]
STACKS = ("production", "staging", "dev")
# production with every auto-remediation hook on: the hooks are off in every stack file.
VARIANTS = STACKS + ("production-remediation",)
REMEDIATION_URL = "https://remediation.example.com/hooks"


def settings_for(variant: str):
    if variant == "production-remediation":
        raw = read_stack_file(ROOT / "Pulumi.production.yaml")
        raw.update(alertingRemediationEnabled=True, alertingRemediationWebhookUrl=REMEDIATION_URL)
        return parse(raw)
    return settings_for_stack(variant)


def write(files: dict[str, str], directory: Path) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return directory


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def require(tool: str) -> str:
    """The pinned build of promtool / amtool (testsupport/pinned_tools.py); fails if `make deps` did not build it."""
    try:
        return binary(tool)
    except FileNotFoundError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def rendered_rules(tmp_path_factory):
    """variant -> directory holding prometheus/rules/*.yml as render_rule_files wrote them."""
    out = {}
    for stack in STACKS:
        out[stack] = write(render_rule_files(settings_for(stack)), tmp_path_factory.mktemp(f"rules-{stack}"))
    return out


@pytest.fixture(scope="session")
def rule_documents(rendered_rules):
    """variant -> {file name: parsed rule file}."""
    return {
        stack: {path.name: yaml.safe_load(path.read_text()) for path in sorted(directory.glob("*.yml"))}
        for stack, directory in rendered_rules.items()
    }


@pytest.fixture(scope="session")
def rendered_alertmanager(tmp_path_factory):
    """variant -> directory with alertmanager.yml + templates/; the templates glob points into it
    (the only change from the rendered file, so that amtool loads and checks the templates)."""
    out = {}
    for variant in VARIANTS:
        directory = write(render_alertmanager_files(settings_for(variant)), tmp_path_factory.mktemp(f"am-{variant}"))
        config = directory / "alertmanager.yml"
        text = config.read_text()
        assert "/etc/alertmanager/templates/*.tmpl" in text
        config.write_text(text.replace("/etc/alertmanager/templates/", f"{directory}/templates/"))
        out[variant] = directory
    return out


# ---------------------------------------------------------------------------------------------
# Alertmanager's route matching, reproduced to find routes no alert can reach (amtool only tells
# receivers). Cross-checked against amtool on every case of routes.yml.

_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"(.*)"\s*$')


def matcher(text: str):
    found = _MATCHER.match(text)
    assert found, f"unsupported matcher {text!r}"
    name, op, value = found.groups()
    value = value.replace('\\"', '"')
    if op == "=":
        return lambda labels: labels.get(name, "") == value
    if op == "!=":
        return lambda labels: labels.get(name, "") != value
    pattern = re.compile(f"^(?:{value})$")
    if op == "=~":
        return lambda labels: bool(pattern.match(labels.get(name, "")))
    return lambda labels: not pattern.match(labels.get(name, ""))


def route_nodes(route: dict, path: str = "route", parent: dict | None = None):
    """Every route with its path and its effective (inherited) group_wait."""
    settings = dict(parent or {})
    for key in ("receiver", "group_wait", "group_interval", "repeat_interval"):
        if key in route:
            settings[key] = route[key]
    yield path, route, settings
    for index, child in enumerate(route.get("routes", []) or []):
        yield from route_nodes(child, f"{path}.routes[{index}]", settings)


def match_route(route: dict, labels: dict, path: str = "route", inherited: dict | None = None) -> list[tuple[list[str], dict]]:
    """[(paths from root to the matched route, effective settings)] as Alertmanager's Route.Match."""
    if not all(matcher(m)(labels) for m in route.get("matchers", []) or []):
        return []
    settings = dict(inherited or {})
    for key in ("receiver", "group_wait", "group_interval", "repeat_interval"):
        if key in route:
            settings[key] = route[key]
    found = []
    for index, child in enumerate(route.get("routes", []) or []):
        matches = match_route(child, labels, f"{path}.routes[{index}]", settings)
        found += [([path] + paths, s) for paths, s in matches]
        if matches and not child.get("continue", False):
            break
    return found or [([path], settings)]


class WebhookSink:
    """Where a real Alertmanager's receivers post here (each at /<receiver name>): records which
    receiver was told which firing alerts."""

    def __init__(self):
        self.calls: list[tuple[str, list[str]]] = []
        calls = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                calls.append((self.path.strip("/"), sorted(a["labels"]["alertname"] for a in body["alerts"] if a["status"] == "firing")))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def received(self, receiver: str) -> set[str]:
        return {name for path, names in self.calls if path == receiver for name in names}

    def pairs(self) -> set[tuple[str, str]]:
        """(receiver, alert name) of every firing alert told so far."""
        return {(path, name) for path, names in self.calls for name in names}
