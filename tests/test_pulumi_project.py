"""Pulumi.yaml's config schema checked the way the Pulumi CLI checks it, before any program runs.

The CLI refuses a project whose default does not match its declared type, and a stack whose value
does not; the real-engine tier (`make e2e`) runs the CLI itself on dev and production.
"""

from __future__ import annotations

import pytest
import yaml

from model.settings import PROJECT
from tests.conftest import ROOT, STACKS
from tools.pulumi_project import PROVIDER_CONFIG, cli_accepts, stack_value_as_cli_reads_it

PROJECT_FILE = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
SCHEMA = {key: entry for key, entry in PROJECT_FILE["config"].items() if ":" not in key}


def test_every_default_has_its_declared_type():
    wrong = {key: entry["type"] for key, entry in SCHEMA.items() if "default" in entry and not cli_accepts(entry["type"], entry.get("items"), entry["default"])}
    assert wrong == {}


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_value_has_its_declared_type(stack):
    values = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    wrong = {}
    for key, value in values.items():
        namespace, name = key.split(":", 1)
        if namespace != PROJECT or (isinstance(value, dict) and set(value) == {"secure"}):
            continue
        entry = SCHEMA[name]  # a key the project does not declare would be refused too
        if not cli_accepts(entry["type"], entry.get("items"), stack_value_as_cli_reads_it(value)):
            wrong[key] = entry["type"]
    assert wrong == {}


def test_a_mapping_setting_is_an_object():
    assert SCHEMA["alertingSlackTeamChannels"]["type"] == "object"
    assert isinstance(SCHEMA["alertingSlackTeamChannels"]["default"], dict)


@pytest.mark.parametrize(
    ("type_name", "items", "value", "accepted"),
    [
        ("string", None, {"payment": "#payments"}, False),  # what the CLI refused before the fix
        ("object", None, {"payment": "#payments"}, True),
        ("integer", None, "2", True),
        ("integer", None, "two", False),
        ("integer", None, 2.0, True),
        ("boolean", None, "true", True),
        ("boolean", None, "yes", False),
        ("array", {"type": "string"}, ["a", "b"], True),
        ("array", {"type": "string"}, ["a", 1], False),
        ("array", None, ["a"], False),
    ],
)
def test_the_checker_follows_the_cli(type_name, items, value, accepted):
    assert cli_accepts(type_name, items, value) is accepted


def test_provider_settings_have_a_value_and_no_type():
    # The CLI wants keys outside the project's namespace to carry `value`, never `type` or `default`.
    for key, entry in PROJECT_FILE["config"].items():
        if ":" in key:
            assert key in PROVIDER_CONFIG and "value" in entry and not {"type", "default"} & set(entry), key
    assert PROJECT_FILE["config"]["kubernetes:enableConfigMapMutable"]["value"] is True
