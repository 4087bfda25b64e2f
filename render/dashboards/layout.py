"""A dashboard with the parts every Waqiti dashboard shares, and its rendering to JSON.

Shared parts: the `$datasource` and `$cluster` variables first, the firing-alerts annotation, a
dropdown to the other Waqiti dashboards, UTC time, read-only (the code is the source of truth).
Panel and row ids are assigned in order of addition, so they are unique and stable.
"""

from __future__ import annotations

import json
from typing import Sequence

from grafana_foundation_sdk.builders import dashboard
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import dashboard as model

from model.settings import Settings
from render.dashboards.variables import DATASOURCE, cluster_variable, datasource_variable, eq, select

TAG = "waqiti"
UID_PREFIX = "waqiti-"


class Board:
    def __init__(
        self,
        settings: Settings,
        *,
        name: str,
        title: str,
        description: str,
        folder: str,
        variables: Sequence[cogbuilder.Builder[model.VariableModel]] = (),
        alert_matchers: Sequence[str] = (),
        time_from: str = "now-6h",
    ):
        self.uid = UID_PREFIX + name
        self.folder = folder
        self._next_id = 1
        self._builder = (
            dashboard.Dashboard(title)
            .uid(self.uid)
            .description(f"{description} Cluster: {settings.cluster_name}.")
            .tags([TAG, folder])
            .timezone("utc")
            .time(time_from, "now")
            .refresh("1m")
            .readonly()
            .tooltip(model.DashboardCursorSync.CROSSHAIR)
            .with_variable(datasource_variable())
            .with_variable(cluster_variable())
            .annotation(
                dashboard.AnnotationQuery()
                .name("Firing alerts")
                .datasource(DATASOURCE)
                .enable(True)
                .icon_color("red")
                .expr(select("ALERTS", eq("alertstate", "firing"), *alert_matchers))
            )
            .link(
                dashboard.DashboardLink("Waqiti dashboards")
                .type(model.DashboardLinkType.DASHBOARDS)
                .tags([TAG])
                .as_dropdown(True)
                .include_vars(True)
                .keep_time(True)
            )
        )
        for variable in variables:
            self._builder = self._builder.with_variable(variable)

    def _take_id(self) -> int:
        panel_id, self._next_id = self._next_id, self._next_id + 1
        return panel_id

    def row(self, title: str) -> "Board":
        self._builder = self._builder.with_row(dashboard.Row(title).id(self._take_id()))
        return self

    def add(self, *panels) -> "Board":
        for panel in panels:
            self._builder = self._builder.with_panel(panel.id(self._take_id()))
        return self

    def build(self) -> model.Dashboard:
        return self._builder.build()


def to_json(board: model.Dashboard) -> str:
    """Deterministic JSON text of a dashboard: sorted keys, fixed indentation, trailing newline."""
    return json.dumps(board, cls=JSONEncoder, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
