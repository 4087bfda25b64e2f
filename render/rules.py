"""Prometheus rule files for a stack (placeholder until the alerting content lands)."""

from pathlib import Path

from components.settings import Settings

RULES = Path(__file__).resolve().parent.parent / "configs" / "prometheus" / "rules"


def render_rule_files(settings: Settings) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(RULES.glob("*.yml"))}
