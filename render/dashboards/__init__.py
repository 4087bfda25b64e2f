"""Grafana dashboards (placeholder until the dashboards land)."""

from components.settings import Settings


def render_dashboards(settings: Settings) -> dict[str, dict[str, str]]:
    return {"monitoring": {}}
