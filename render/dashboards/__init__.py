"""Grafana dashboards as code: one module per folder, rendered to provisioning-ready JSON.

`render_dashboards(settings)` returns {folder slug: {"<uid>.json": dashboard JSON text}}; the
Grafana component provisions one file provider per folder.
"""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as model

from model.settings import Settings
from render.dashboards import business_intelligence, executive, monitoring, operational
from render.dashboards.layout import to_json

# Folder slug → the functions building its dashboards, in display order.
FOLDERS = {
    executive.FOLDER: executive.DASHBOARDS,
    operational.FOLDER: operational.DASHBOARDS,
    business_intelligence.FOLDER: business_intelligence.DASHBOARDS,
    monitoring.FOLDER: monitoring.DASHBOARDS,
}


def build_dashboards(settings: Settings) -> dict[str, list[model.Dashboard]]:
    """The SDK models of every dashboard, by folder."""
    return {folder: [build(settings) for build in builders] for folder, builders in FOLDERS.items()}


def render_dashboards(settings: Settings) -> dict[str, dict[str, str]]:
    """Folder slug → file name (`<uid>.json`) → dashboard JSON text."""
    return {
        folder: {f"{board.uid}.json": to_json(board) for board in boards}
        for folder, boards in build_dashboards(settings).items()
    }
