"""`make render STACK=<stack>`: write build/<stack>/ from the real program run under Pulumi's mocks.

- manifests/<kind>-<name>.yaml: every Kubernetes object the stack creates, secret values redacted;
- prometheus/, alertmanager/, grafana/, exporter/, reporter/: the configuration files, taken back out of the
  very ConfigMaps the program creates, so what is checked and run locally is what is deployed;
- outputs.json: the stack outputs, secret ones redacted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from model.settings import SettingsError
from model.yamltext import dump_yaml
from tools.pulumi_engine import Run, is_secret, run_program

REDACTED = "<redacted: pulumi secret>"

# ConfigMap name -> directory of build/<stack>/ its files are written to.
CONFIG_MAP_DIRS = {
    "prometheus-config": "prometheus",
    "prometheus-rules": "prometheus/rules",
    "prometheus-gate": "prometheus/gate",
    "alertmanager-config": "alertmanager",
    "grafana-config": "grafana",
    "grafana-provisioning": "grafana/provisioning",
    "business-metrics-exporter-config": "exporter",
    "sla-reporter-config": "reporter",
    "blackbox-exporter-config": "blackbox",
}
DASHBOARDS_PREFIX = "grafana-dashboards-"


def redact(value):
    if is_secret(value):
        return REDACTED
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def manifest_name(resource) -> str:
    return f"{resource.kind.lower()}-{resource.inputs['metadata']['name']}.yaml"


def config_map_dir(name: str) -> str | None:
    if name.startswith(DASHBOARDS_PREFIX):
        return f"grafana/dashboards/{name.removeprefix(DASHBOARDS_PREFIX)}"
    return CONFIG_MAP_DIRS.get(name)


def write(run: Run, out: Path) -> int:
    if out.exists():
        shutil.rmtree(out)
    (out / "manifests").mkdir(parents=True)
    for resource in run.kubernetes():
        document = redact(resource.manifest_order())
        if resource.kind == "Secret":
            # Whatever the program passed, no Secret value is ever written out; the keys are.
            for field in ("data", "stringData"):
                if field in resource.manifest:
                    document[field] = {key: REDACTED for key in sorted(resource.manifest[field])}
        (out / "manifests" / manifest_name(resource)).write_text(dump_yaml(document, escaped=True))
        if resource.kind == "ConfigMap":
            directory = config_map_dir(resource.inputs["metadata"]["name"])
            for key, text in (resource.inputs.get("data") or {}).items() if directory else ():
                path = out / directory / key.replace("__", "/")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    outputs = {name: REDACTED if name in run.secret_outputs else value for name, value in run.outputs.items()}
    (out / "outputs.json").write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    return len(run.kubernetes())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="production, staging or dev (reads Pulumi.<stack>.yaml)")
    parser.add_argument("--out", type=Path, help="default: build/<stack>")
    args = parser.parse_args(argv)
    out = args.out or Path("build") / args.stack
    try:
        run = run_program(args.stack)
    except SettingsError as error:
        print(f"render {args.stack}: {error}", file=sys.stderr)
        return 2
    count = write(run, out)
    print(f"render {args.stack}: {count} Kubernetes objects and their configuration files in {out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
