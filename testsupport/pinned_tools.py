"""The Prometheus, Alertmanager, node_exporter and blackbox_exporter binaries that tests, drills,
benchmarks and the local stack run: exactly the versions the images pin (the settings defaults, the one source), built by `make deps`.

    from testsupport.pinned_tools import binary
    subprocess.run([binary("promtool"), "check", "rules", ...])

`make deps` builds each project once per version into a cache outside the clone,
$XDG_CACHE_HOME/waqiti-monitoring/tools/<project>-<version>/ (default ~/.cache), so a bump of an
image pin builds the new version and nothing else ever rebuilds. `python -m testsupport.pinned_tools`
prints what the Makefile builds.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

# The settings defaults as Pulumi.yaml states them (tools/pulumi_project.py writes it from the
# settings model, and a test fails when it is out of date): testsupport imports nothing of the project.
PULUMI_YAML = Path(__file__).resolve().parent.parent / "Pulumi.yaml"

# Go module, the setting that pins its image, and each command built from it with its main package.
_PROJECTS = {
    "prometheus": ("github.com/prometheus/prometheus", "prometheusImage",
                   (("prometheus", "./cmd/prometheus"), ("promtool", "./cmd/promtool"))),
    "alertmanager": ("github.com/prometheus/alertmanager", "alertmanagerImage",
                     (("alertmanager", "./cmd/alertmanager"), ("amtool", "./cmd/amtool"))),
    "node_exporter": ("github.com/prometheus/node_exporter", "nodeExporterImage", (("node_exporter", "."),)),
    "blackbox_exporter": ("github.com/prometheus/blackbox_exporter", "blackboxImage", (("blackbox_exporter", "."),)),
}
_TAG = re.compile(r":v?(?P<version>[0-9]+\.[0-9]+\.[0-9]+)$")


@dataclass(frozen=True)
class Project:
    name: str
    module: str
    version: str          # as the binary's --version reports it, e.g. 3.13.5
    module_version: str   # as the Go module proxy serves it, e.g. v0.313.5
    commands: tuple[str, ...]
    packages: tuple[str, ...]  # each command's main package inside the module
    directory: Path       # where `make deps` puts the commands


def image_version(image: str) -> str:
    found = _TAG.search(image)
    if not found:
        raise ValueError(f"{image!r}: expected an image pinned to a version tag such as :v3.13.5 "
                         "(make deps builds the tests' binaries from that version)")
    return found.group("version")


def module_version(module: str, version: str) -> str:
    """Prometheus 3.x is published as Go module v0.3MM.P (3.13.5 -> v0.313.5); Alertmanager as itself."""
    major, minor, patch = (int(part) for part in version.split("."))
    if module.endswith("/prometheus") and major >= 2:
        return f"v0.{major * 100 + minor if major >= 3 else minor}.{patch}"
    return f"v{version}"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "waqiti-monitoring" / "tools"


def pinned_image(setting: str) -> str:
    config = yaml.safe_load(PULUMI_YAML.read_text())["config"]
    return config[setting]["default"]


def projects() -> list[Project]:
    found = []
    for name, (module, setting, built) in _PROJECTS.items():
        version = image_version(pinned_image(setting))
        commands, packages = zip(*built)
        found.append(Project(name, module, version, module_version(module, version), commands, packages,
                             cache_dir() / f"{name}-{version}"))
    return found


def project_of(command: str) -> Project:
    for project in projects():
        if command in project.commands:
            return project
    raise KeyError(command)


def binary(command: str) -> str:
    """Path of `command` (prometheus, promtool, alertmanager, amtool, node_exporter, blackbox_exporter)
    at the pinned version."""
    project = project_of(command)
    path = project.directory / command
    if not os.access(path, os.X_OK):
        raise FileNotFoundError(
            f"{command} {project.version} (the version the {project.name} image pin names) is not built "
            f"in {project.directory}: run `make deps`")
    return str(path)


def main() -> None:
    """`python -m testsupport.pinned_tools [--table]`: what `make deps` builds, and where."""
    import argparse

    parser = argparse.ArgumentParser(description="The versions the images pin of the tools make deps builds.")
    parser.add_argument("--table", action="store_true",
                        help="name module version module-version directory command:package,...")
    args = parser.parse_args()
    for project in projects():
        if args.table:
            print(project.name, project.module, project.version, project.module_version, project.directory,
                  ",".join(f"{command}:{package}" for command, package in zip(project.commands, project.packages)))
        else:
            print(project.name, project.version, project.directory)


if __name__ == "__main__":
    main()
