"""Fixtures for the dashboard tests: the rendered dashboards and the catalogue of metrics that exist."""

from __future__ import annotations

import json

import pytest
from metric_catalogue import CONTRACT, contract_metrics, upstream_metrics

from model.settings import settings_for_stack
from render.dashboards import render_dashboards


@pytest.fixture(scope="session")
def known_metrics() -> set[str]:
    names = contract_metrics(CONTRACT.read_text(encoding="utf-8"))
    for listed in upstream_metrics().values():
        names |= listed
    return names


@pytest.fixture(scope="session")
def settings():
    return settings_for_stack("production")


@pytest.fixture(scope="session")
def rendered(settings) -> dict[str, dict[str, str]]:
    return render_dashboards(settings)


@pytest.fixture(scope="session")
def dashboards(rendered) -> list[dict]:
    """Every rendered dashboard, parsed."""
    return [json.loads(text) for files in rendered.values() for _, text in sorted(files.items())]
