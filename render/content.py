"""Everything a stack's servers read, rendered at once before any resource is created.

A broken rule file, an SLO target of 101 or a dashboard too large for a ConfigMap fails here, so
`pulumi preview` reports it and `pulumi up` never creates half a namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from model.settings import Settings
from render.alertmanager_config import render_alertmanager_files
from render.dashboards import render_dashboards
from render.prometheus_config import render_prometheus_config
from render.rules import render_rule_files

CONFIG_MAP_LIMIT = 1_000_000  # bytes; Kubernetes refuses larger objects
EXPORTER_CONFIG = Path(__file__).resolve().parent.parent / "exporter" / "config.yml"


@dataclass(frozen=True)
class StackContent:
    prometheus_yml: str
    rule_files: dict[str, str]
    alertmanager_files: dict[str, str]
    dashboards: dict[str, dict[str, str]]
    exporter_config: dict[str, str]


def check_config_map_sizes(dashboards: dict[str, dict[str, str]]) -> None:
    """Each dashboard folder becomes one ConfigMap."""
    for folder, files in dashboards.items():
        size = sum(len(text.encode()) for text in files.values())
        if size > CONFIG_MAP_LIMIT:
            raise ValueError(f"grafana dashboards folder {folder!r} is {size} bytes; a ConfigMap holds at most {CONFIG_MAP_LIMIT}: split the folder")


def render_content(settings: Settings) -> StackContent:
    dashboards = render_dashboards(settings)
    check_config_map_sizes(dashboards)
    return StackContent(
        prometheus_yml=render_prometheus_config(settings),
        rule_files=render_rule_files(settings),
        alertmanager_files=render_alertmanager_files(settings),
        dashboards=dashboards,
        exporter_config={"config.yml": EXPORTER_CONFIG.read_text()},
    )
