"""Reading a stack's config into the settings model: key mapping, validation, secrets.

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
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from model.settings.secrets import PROJECT, SECRET_KEYS, SECRETS, missing_secrets
from model.settings.stack import Settings
from model.settings.types import Group

ROOT = Path(__file__).resolve().parents[2]


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
    root = Path(root or ROOT)
    return parse(read_stack_file(root / f"Pulumi.{stack}.yaml"))
