"""Grafana dashboards as code: one module per folder, rendered to provisioning-ready JSON.

`render_dashboards(settings, slo)` returns {folder slug: {"<uid>.json": dashboard JSON text}}; the
Grafana component provisions one file provider per folder. Every builder is `build(settings, slo)`:
the SLA panels colour against the objectives of the SLO spec it is given.
"""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as model

from model.settings import Settings
from model.slo import SloSpec, load_slo_spec
from render.dashboards import business_intelligence, executive, monitoring, operational
from render.dashboards.layout import to_json

# Folder slug → the functions building its dashboards, in display order.
FOLDERS = {
    executive.FOLDER: executive.DASHBOARDS,
    operational.FOLDER: operational.DASHBOARDS,
    business_intelligence.FOLDER: business_intelligence.DASHBOARDS,
    monitoring.FOLDER: monitoring.DASHBOARDS,
}


def build_dashboards(settings: Settings, slo: SloSpec | None = None) -> dict[str, list[model.Dashboard]]:
    """The SDK models of every dashboard, by folder (SLO spec: configs/slo.yml unless given)."""
    slo = slo or load_slo_spec()
    return {folder: [build(settings, slo) for build in builders] for folder, builders in FOLDERS.items()}


def render_dashboards(settings: Settings, slo: SloSpec | None = None) -> dict[str, dict[str, str]]:
    """Folder slug → file name (`<uid>.json`) → dashboard JSON text."""
    return {
        folder: {f"{board.uid}.json": to_json(board) for board in boards}
        for folder, boards in build_dashboards(settings, slo).items()
    }
