"""Hostile settings, tried on the real program: each ends as a named error, or as a render the real
tools accept. Used by tests/test_hostile_settings.py and, for the figures, by

    python -m tests.settings_attack [--stack production]

Outcomes, per setting (tests/data/hostile-settings.yml):
  named      SettingsError naming the key, before any resource, without repeating the value
  leaked     a named error that repeats the value (a secret pasted into a plain key would be printed)
  traceback  any other exception before the first resource
  crashed    any exception after resources were registered
  broken     the program ran, a real tool rejects what it rendered (promtool check config, amtool
             check-config and template render), or a manifest string holds a control character
  injected   the render parses, but to more than the setting: grafana.ini sections or keys that the
             baseline does not have or values it changed elsewhere, htpasswd lines for other users
  accepted   the program ran and every check passed
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from testsupport.pinned_tools import binary
from testsupport.prometheus import checkable_copy

ROOT = Path(__file__).resolve().parent.parent
HOSTILE_FILE = ROOT / "tests" / "data" / "hostile-settings.yml"
PROJECT = "waqiti-monitoring"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
OUTCOMES = ("named", "leaked", "traceback", "crashed", "broken", "injected", "accepted")


@dataclass(frozen=True)
class Attempt:
    key: str
    value: object
    why: str
    secret: bool = False


@dataclass(frozen=True)
class Outcome:
    attempt: Attempt
    outcome: str
    detail: str


def hostile_settings(path: Path = HOSTILE_FILE) -> list[Attempt]:
    return [Attempt(item["key"], item["value"], item["why"], item.get("secret", False))
            for item in yaml.safe_load(path.read_text(encoding="utf-8"))]


def repeats_value(value: object, message: str) -> bool:
    """Whether an error message repeats a value (a secret pasted into a plain key would be printed).
    Short values, and values found only inside a longer word of the message (the example `#critical-alerts`
    for the value `critical-alerts`, the project name for `monitoring`), do not count."""
    text = _text(value).strip()
    if len(text) < 6:
        return False
    return re.search(rf"(?<![\w.#:/-]){re.escape(text)}(?![\w.:/-])", message) is not None


def grafana_ini(text: str) -> dict[tuple[str, str], str]:
    """grafana.ini as Grafana's ini library reads it: one entry per line, a later key wins."""
    section, values = "", {}
    for line in text.split("\n"):
        line = line.strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        key, _, value = line.partition("=")
        values[(section, key.strip())] = value.strip()
    return values


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _secret_value(run, name: str, field: str) -> str | None:
    for resource in run.kubernetes("Secret"):
        if resource.inputs["metadata"]["name"] == name:
            data = resource.manifest.get("stringData") or {}
            return data.get(field)
    return None


def _control_characters(run, attempt: Attempt) -> list[str]:
    """Strings of the manifests that hold a control character the setting brought in (file contents in
    ConfigMaps and Secrets may hold tabs and newlines; nothing else may)."""
    parts = [part for part in re.split(r"[\x00-\x1f\x7f]", _text(attempt.value)) if len(part) >= 3]
    found = []
    for resource in run.kubernetes():
        for text in _strings(resource.manifest):
            allowed = "\t\n\r" if resource.kind in ("ConfigMap", "Secret") else ""
            if re.search(r"[\x00-\x1f\x7f]", text.translate({ord(c): None for c in allowed})) and \
                    any(part in text for part in parts):
                found.append(text)
    return found


def _tool_problems(out: Path) -> list[str]:
    problems = []
    config = yaml.safe_load((out / "prometheus" / "prometheus.yml").read_text())
    checkable = out / "prometheus-checkable.yml"
    checkable.write_text(yaml.safe_dump(checkable_copy(config, out / "prometheus" / "rules", out)))
    result = subprocess.run([binary("promtool"), "check", "config", str(checkable)], capture_output=True, text=True)
    if result.returncode != 0:
        problems.append("promtool check config: " + (result.stdout + result.stderr).strip().splitlines()[-1])
    am_dir = out / "alertmanager"
    am = am_dir / "alertmanager.yml"
    am.write_text(am.read_text().replace("/etc/alertmanager/templates/", f"{am_dir}/templates/"))
    result = subprocess.run([binary("amtool"), "check-config", str(am)], capture_output=True, text=True)
    if result.returncode != 0:
        problems.append("amtool check-config: " + (result.stdout + result.stderr).strip().splitlines()[-1])
        return problems
    document = yaml.safe_load(am.read_text())
    channels = {c["channel"] for r in document.get("receivers", []) for c in r.get("slack_configs", []) or []
                if "channel" in c}
    for channel in sorted(channels):
        result = subprocess.run(["amtool", "template", "render", f"--template.glob={am_dir}/templates/*.tmpl",
                                 f"--template.text={channel}"], capture_output=True, text=True)
        if result.returncode != 0:
            problems.append(f"amtool template render of channel {channel!r}: failed")
    return problems


def _injections(run, baseline, attempt: Attempt, out: Path, base_out: Path) -> list[str]:
    problems = []
    ini, base_ini = (grafana_ini((o / "grafana" / "grafana.ini").read_text()) for o in (out, base_out))
    text = _text(attempt.value).strip()
    for entry in sorted(set(ini) | set(base_ini)):
        if entry not in base_ini:
            problems.append(f"grafana.ini gained {entry[0]}.{entry[1]}")
        elif entry in ini and ini[entry] != base_ini[entry] and text not in ini[entry] and ini[entry] not in text:
            problems.append(f"grafana.ini changed {entry[0]}.{entry[1]}")
    htpasswd = _secret_value(run, "ingress-basic-auth", "auth")
    if htpasswd is not None:
        # Exactly the configured logins, one line each (a login with a newline would add a line).
        users = [line.split(":", 1)[0] for line in htpasswd.split("\n")[:-1]]
        if users != run.outputs["basicAuthUsers"] or not htpasswd.endswith("\n"):
            problems.append(f"htpasswd has {len(users)} lines for {len(run.outputs['basicAuthUsers'])} logins")
    return problems


def try_one(attempt: Attempt, stack: str, baseline, base_out: Path) -> Outcome:
    from model.settings import SettingsError
    from tools import render
    from tools.pulumi_engine import Run, placeholder_secrets, run_program

    overrides = {} if attempt.secret else {attempt.key: attempt.value}
    secrets = {**placeholder_secrets(), **({attempt.key: _text(attempt.value)} if attempt.secret else {})}
    recorder = Run()
    try:
        run = run_program(stack, overrides=overrides, secrets=secrets, record_into=recorder)
    except SettingsError as error:
        named = f"{PROJECT}:{attempt.key}" in str(error)
        if recorder.resources:
            return Outcome(attempt, "crashed", f"after {len(recorder.resources)} resources: {error}")
        if not named:
            return Outcome(attempt, "traceback", f"error without the key: {error}")
        leaked = repeats_value(attempt.value, str(error))
        return Outcome(attempt, "leaked" if leaked else "named", str(error).splitlines()[-1].strip())
    except Exception as error:  # noqa: BLE001 (classifying every failure is the point)
        kind = "crashed" if recorder.resources else "traceback"
        return Outcome(attempt, kind, f"{type(error).__name__}: {error}"[:300])
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / stack
        render.write(run, out)
        bad = _control_characters(run, attempt)
        problems = _tool_problems(out) + ([f"control character in a manifest: {bad[0][:60]!r}"] if bad else [])
        if problems:
            return Outcome(attempt, "broken", "; ".join(problems)[:300])
        injected = _injections(run, baseline, attempt, out, base_out)
        if injected:
            return Outcome(attempt, "injected", "; ".join(injected)[:300])
    return Outcome(attempt, "accepted", "")


def try_all(stack: str = "production", attempts: list[Attempt] | None = None) -> list[Outcome]:
    from tools import render
    from tools.pulumi_engine import run_program

    baseline = run_program(stack)
    with tempfile.TemporaryDirectory() as directory:
        base_out = Path(directory) / "baseline"
        render.write(baseline, base_out)
        return [try_one(attempt, stack, baseline, base_out) for attempt in attempts or hostile_settings()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="production")
    args = parser.parse_args()
    outcomes = try_all(args.stack)
    for o in outcomes:
        print(f"{o.outcome:9} {o.attempt.key} = {_text(o.attempt.value)[:50]!r}: {o.detail[:160]}")
    counts = Counter(o.outcome for o in outcomes)
    print(f"\n{len(outcomes)} hostile settings: " + ", ".join(f"{counts[k]} {k}" for k in OUTCOMES))


if __name__ == "__main__":
    main()
