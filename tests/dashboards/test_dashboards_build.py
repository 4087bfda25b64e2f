"""Every dashboard builds for every stack, deterministically, and survives the SDK's model unchanged."""

from __future__ import annotations

import json
import re

import pytest
from grafana_foundation_sdk.cog import plugins
from grafana_foundation_sdk.models import dashboard as model

from model.settings import settings_for_stack
from render.dashboards import render_dashboards
from render.dashboards.layout import to_json
from render.dashboards.queries import panels

STACKS = ("production", "staging", "dev")

EXPECTED = {
    "executive": {"waqiti-financial-overview", "waqiti-sla-compliance", "waqiti-security-overview"},
    "operational": {"waqiti-payment-service", "waqiti-wallet-service", "waqiti-infrastructure"},
    "business-intelligence": {"waqiti-revenue-analytics", "waqiti-user-analytics", "waqiti-risk-management"},
    "monitoring": {"waqiti-monitoring-stack"},
}
MAX_BYTES = 900 * 1024  # a ConfigMap holds 1 MiB; the Grafana component puts one folder in each


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_renders_the_ten_dashboards_in_their_folders(stack):
    rendered = render_dashboards(settings_for_stack(stack))
    assert {folder: {name.removesuffix(".json") for name in files} for folder, files in rendered.items()} == EXPECTED


def test_file_name_is_the_uid_and_uids_are_stable_and_unique(rendered):
    uids = []
    for files in rendered.values():
        for name, text in files.items():
            uid = json.loads(text)["uid"]
            assert name == f"{uid}.json"
            assert re.fullmatch(r"waqiti-[a-z0-9-]+", uid) and len(uid) <= 40, uid
            uids.append(uid)
    assert len(uids) == len(set(uids)) == 10


def test_rendering_is_deterministic(settings, rendered):
    assert render_dashboards(settings) == rendered


def test_each_folder_fits_in_one_configmap(rendered):
    for folder, files in rendered.items():
        size = sum(len(text.encode("utf-8")) for text in files.values())
        assert size < MAX_BYTES, f"{folder}: {size} bytes"


def test_every_dashboard_round_trips_through_the_sdk_model(rendered):
    plugins.register_default_plugins()  # so the model decodes Prometheus targets and panel options by type
    for files in rendered.values():
        for name, text in files.items():
            decoded = model.Dashboard.from_json(json.loads(text))
            assert to_json(decoded) == text, f"{name} changes when read back through the SDK model"


def test_panel_ids_are_unique_and_positive_within_each_dashboard(dashboards):
    for dashboard in dashboards:
        ids = [panel["id"] for panel in dashboard["panels"]]  # rows included: they share the id space
        ids += [panel["id"] for row in dashboard["panels"] for panel in row.get("panels", [])]
        assert all(isinstance(i, int) and i > 0 for i in ids), dashboard["uid"]
        assert len(ids) == len(set(ids)), f"{dashboard['uid']}: duplicate panel ids"


def test_panels_fit_the_grid(dashboards):
    for dashboard in dashboards:
        for panel in panels(dashboard):
            grid = panel["gridPos"]
            assert grid["w"] > 0 and grid["h"] > 0 and grid["x"] + grid["w"] <= 24, (dashboard["uid"], panel["title"])


def test_panel_titles_are_unique_within_each_dashboard(dashboards):
    for dashboard in dashboards:
        titles = [panel["title"] for panel in panels(dashboard)]
        duplicates = {title for title in titles if titles.count(title) > 1}
        # The SLA dashboard repeats the same panels once per service, under a row per service.
        if dashboard["uid"] == "waqiti-sla-compliance":
            assert all(titles.count(title) == 2 for title in duplicates)
        else:
            assert not duplicates, f"{dashboard['uid']}: {duplicates}"
