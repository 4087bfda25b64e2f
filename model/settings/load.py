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

from model.settings.secrets import PROJECT, SECRET_KEYS, SECRETS, login_passwords, missing_secrets, secret_problems
from model.settings.stack import Settings
from model.settings.types import CONTROL, Group

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


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _named(keys: dict[str, tuple[str, ...]], loc: tuple[str, ...], message: str) -> tuple[str, str]:
    """The config key an error is about, and its message. A check across fields raises at the group
    (or the whole model) with a message that starts with the key it blames."""
    by_path = {path: key for key, path in keys.items()}
    key = by_path.get(loc[:2]) or by_path.get(loc[:1])
    blamed, colon, rest = message.partition(": ")
    if colon and blamed in keys and (key is None or keys[blamed][: len(loc)] == loc[: len(keys[blamed])]):
        return blamed, rest
    return key or ".".join(loc) or "settings", message


def parse(raw: dict[str, Any]) -> Settings:
    """Validate plain config (keys without the project prefix) into Settings, or raise SettingsError.
    No message repeats a value: a secret pasted into a plain key must not reach a log."""
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
        value = _decode(value)
        if any(CONTROL.search(text) for text in _strings(value)):
            problems.append(f"{PROJECT}:{key}: contains a control character (newline, tab, NUL, ...); "
                            "expected one line of text")
            continue
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    if problems:
        raise SettingsError(problems)
    try:
        return Settings.model_validate(tree)
    except ValidationError as error:
        for item in error.errors():
            loc = tuple(str(part) for part in item["loc"])
            key, message = _named(keys, loc, item["msg"].removeprefix("Value error, "))
            if item["type"] == "missing":
                message = "required, not set"
            problems.append(f"{PROJECT}:{key}: {message}")
        raise SettingsError(problems) from None


LOGIN_PASSWORD = "ingressBasicAuthPasswords."  # + login: the secrets of StackConfig for each configured password


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
    for key in sorted(set(raw) - SECRET_KEYS):
        if runtime_config.is_config_secret(f"{PROJECT}:{key}"):
            # Its value would land in a ConfigMap, in plain text, whatever the stack file says.
            problems.append(f"{PROJECT}:{key}: stored with --secret, but it is a plain setting that ends up in "
                            "ConfigMaps; store it in plain text, or put the credential in its secret key")
    if settings is not None:
        problems += missing_secrets(settings, present) + secret_problems(settings, raw)
    if problems:
        raise SettingsError(problems)
    # A conditional secret is used only when its condition holds (no PagerDuty key in a stack that
    # does not page), so a leftover value never reaches a Secret.
    used = {spec.key for spec in SECRETS if spec.key in present and (spec.required_if is None or spec.required_if(settings))}
    config = pulumi.Config(PROJECT)
    secrets = {key: config.require_secret(key) for key in sorted(used)}
    if "ingressBasicAuthPasswords" in used:
        # One secret per login, so that the program knows (without reading a secret) whose password
        # is configured and whose it generates.
        for login, password in login_passwords(raw["ingressBasicAuthPasswords"]).items():
            secrets[f"{LOGIN_PASSWORD}{login}"] = pulumi.Output.secret(password)
    return StackConfig(settings, secrets)


def read_stack_file(path) -> dict[str, Any]:
    """The plain values of a `Pulumi.<stack>.yaml`, keys without the project prefix; secure values skipped.
    Like the Pulumi CLI, refuses a file that is not a mapping and a key given twice (YAML would keep the
    last value silently)."""
    with open(path, encoding="utf-8") as handle:
        document = _load_unique_yaml(handle, path)
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise SettingsError([f"{path}: `config` must be a mapping of keys to values"])
    values = {}
    for key, value in config.items():
        project, _, name = key.partition(":")
        if project != PROJECT:
            continue
        if isinstance(value, dict) and set(value) == {"secure"}:
            continue
        values[name] = json.dumps(value) if isinstance(value, (list, dict)) else value
    return values


def _load_unique_yaml(stream, path) -> dict:
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise SettingsError([f"{path}: line {key_node.start_mark.line + 1}: key {key!r} is given twice"])
            seen.add(key)
        return loader.construct_mapping(node, deep=deep)

    UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        document = yaml.load(stream, Loader=UniqueKeyLoader)  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as error:
        raise SettingsError([f"{path}: not valid YAML ({type(error).__name__})"]) from None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise SettingsError([f"{path}: expected a mapping with a `config` key, not a {type(document).__name__}"])
    return document


def settings_for_stack(stack: str, root=None) -> Settings:
    """The validated settings of one stack, straight from its file (for tests and tools; no Pulumi engine)."""
    root = Path(root or ROOT)
    return parse(read_stack_file(root / f"Pulumi.{stack}.yaml"))
