"""The standard panels every dashboard is made of: each takes a unit, so no panel goes without one.

Every panel queries the `$datasource` Prometheus; its queries get refIds A, B, C… in order.
Each factory sets the plugin's own field options explicitly, so that what is rendered is exactly
what the SDK's model reads back (the model fills absent custom options with defaults).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from grafana_foundation_sdk.builders import bargauge, common, dashboard, gauge, prometheus, stat, table, timeseries
from grafana_foundation_sdk.models import common as common_model
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import prometheus as prometheus_model
from grafana_foundation_sdk.models import units

from render.dashboards.variables import DATASOURCE, eq, select

GREEN, AMBER, RED, BLUE = "green", "orange", "red", "blue"


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


RATE = "$__rate_interval"  # Grafana's window for rate(): at least four scrapes at any zoom


def rate(selector: str) -> str:
    return f"rate({selector}[{RATE}])"


def sum_by(labels: str, expr: str, per: int | None = None) -> Query:
    """`sum by (labels) (expr)`, times `per` (60: per minute, 3600: per hour), one series per
    label set, named by its labels."""
    legend = " ".join("{{" + label.strip() + "}}" for label in labels.split(","))
    return Query(f"sum by ({labels}) ({expr})" + (f" * {per}" if per else ""), legend)


def _targets(queries: Sequence[Query], instant: bool = False, table_format: bool = False):
    targets = []
    for index, query in enumerate(queries):
        target = prometheus.Dataquery().expr(query.expr).ref_id(chr(ord("A") + index))
        if query.legend:
            target = target.legend_format(query.legend)
        if instant:
            target = target.instant()
        else:
            target = target.range()
        if table_format:
            target = target.format(prometheus_model.PromQueryFormat.TABLE)
        targets.append(target)
    return targets


# --- thresholds ------------------------------------------------------------------------------


def _steps(base: str, *steps: tuple[float, str]) -> dashboard.ThresholdsConfig:
    return (
        dashboard.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=None, color=base)] + [model.Threshold(value=v, color=c) for v, c in steps])
    )


def upper_limit(limit: float, warning: Optional[float] = None) -> dashboard.ThresholdsConfig:
    """Good below `limit` (amber from `warning`), red at or above it: latency, error rates, lag."""
    return _steps(GREEN, *([(warning, AMBER)] if warning is not None else []), (limit, RED))


def lower_limit(target: float, warning: Optional[float] = None) -> dashboard.ThresholdsConfig:
    """Red below `warning` (or `target`), amber up to `target`, green from `target` on: availability, accuracy."""
    if warning is None:
        return _steps(RED, (target, GREEN))
    return _steps(RED, (warning, AMBER), (target, GREEN))


def informational() -> dashboard.ThresholdsConfig:
    """For panels with no target: one neutral colour, so nothing looks alarming by accident."""
    return _steps(BLUE)


# --- panels ----------------------------------------------------------------------------------


def _common(panel, title: str, description: str, unit: str, thresholds, links, decimals, w: int, h: int):
    panel = (
        panel.title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .thresholds(thresholds if thresholds is not None else informational())
        .span(w)
        .height(h)
    )
    if links:
        panel = panel.links(list(links))
    if decimals is not None:
        panel = panel.decimals(decimals)
    return panel


def timeseries_panel(
    title: str,
    description: str,
    unit: str,
    *queries: Query,
    thresholds: Optional[dashboard.ThresholdsConfig] = None,
    links: Sequence[dashboard.DashboardLink] = (),
    stacked: bool = False,
    min_value: Optional[float] = None,
    max_value: Optional[float] = None,
    decimals: Optional[float] = None,
    w: int = 12,
    h: int = 8,
) -> timeseries.Panel:
    panel = _common(timeseries.Panel(), title, description, unit, thresholds, links, decimals, w, h)
    panel = (
        panel.targets(_targets(queries))
        .line_width(1)
        .fill_opacity(25 if stacked else 10)
        .show_points(common_model.VisibilityMode.NEVER)
        .stacking(common.StackingConfig().mode(common_model.StackingMode.NORMAL if stacked else common_model.StackingMode.NONE))
        .legend(
            common.VizLegendOptions()
            .display_mode(common_model.LegendDisplayMode.LIST)
            .placement(common_model.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(common.VizTooltipOptions().mode(common_model.TooltipDisplayMode.MULTI).sort(common_model.SortOrder.DESCENDING))
        # A threshold on a time series is drawn as a dashed line: the target is visible against the trend.
        .thresholds_style(
            common.GraphThresholdsStyleConfig().mode(
                common_model.GraphThresholdsStyleMode.DASHED if thresholds is not None else common_model.GraphThresholdsStyleMode.OFF
            )
        )
    )
    if min_value is not None:
        panel = panel.min(min_value)
    if max_value is not None:
        panel = panel.max(max_value)
    return panel


def trend_panel(title: str, description: str, unit: str, *queries: Query, **options) -> timeseries.Panel:
    """A time series of counts, rates or sizes: drawn from zero, where nothing is below."""
    return timeseries_panel(title, description, unit, *queries, min_value=0, **options)


def stacked_panel(title: str, description: str, unit: str, *queries: Query, **options) -> timeseries.Panel:
    """The parts of a whole over time, stacked from zero."""
    return timeseries_panel(title, description, unit, *queries, stacked=True, min_value=0, **options)


def _last_value() -> common.ReduceDataOptions:
    return common.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def stat_panel(
    title: str,
    description: str,
    unit: str,
    *queries: Query,
    thresholds: Optional[dashboard.ThresholdsConfig] = None,
    links: Sequence[dashboard.DashboardLink] = (),
    decimals: Optional[float] = None,
    sparkline: bool = True,
    w: int = 6,
    h: int = 4,
) -> stat.Panel:
    panel = _common(stat.Panel(), title, description, unit, thresholds, links, decimals, w, h)
    return (
        panel.targets(_targets(queries))
        .reduce_options(_last_value())
        .color_mode(common_model.BigValueColorMode.BACKGROUND if thresholds is not None else common_model.BigValueColorMode.VALUE)
        .graph_mode(common_model.BigValueGraphMode.AREA if sparkline else common_model.BigValueGraphMode.NONE)
    )


def gauge_panel(
    title: str,
    description: str,
    unit: str,
    *queries: Query,
    thresholds: dashboard.ThresholdsConfig,
    min_value: float,
    max_value: float,
    links: Sequence[dashboard.DashboardLink] = (),
    decimals: Optional[float] = None,
    w: int = 6,
    h: int = 6,
) -> gauge.Panel:
    panel = _common(gauge.Panel(), title, description, unit, thresholds, links, decimals, w, h)
    return (
        panel.targets(_targets(queries))
        .reduce_options(_last_value())
        .show_threshold_markers(True)
        .min(min_value)
        .max(max_value)
    )


def bar_gauge_panel(
    title: str,
    description: str,
    unit: str,
    *queries: Query,
    thresholds: Optional[dashboard.ThresholdsConfig] = None,
    links: Sequence[dashboard.DashboardLink] = (),
    min_value: Optional[float] = None,
    max_value: Optional[float] = None,
    decimals: Optional[float] = None,
    w: int = 12,
    h: int = 8,
) -> bargauge.Panel:
    panel = _common(bargauge.Panel(), title, description, unit, thresholds, links, decimals, w, h)
    panel = (
        panel.targets(_targets(queries, instant=True))
        .reduce_options(_last_value())
        .display_mode(common_model.BarGaugeDisplayMode.GRADIENT)
        .orientation(common_model.VizOrientation.HORIZONTAL)
    )
    if min_value is not None:
        panel = panel.min(min_value)
    if max_value is not None:
        panel = panel.max(max_value)
    return panel


def table_panel(
    title: str,
    description: str,
    unit: str,
    *queries: Query,
    hidden_columns: Sequence[str] = ("Time",),
    data_links: Sequence[dashboard.DashboardLink] = (),
    thresholds: Optional[dashboard.ThresholdsConfig] = None,
    w: int = 24,
    h: int = 8,
) -> table.Panel:
    panel = _common(table.Panel(), title, description, unit, thresholds, (), None, w, h)
    panel = (
        panel.targets(_targets(queries, instant=True, table_format=True))
        .align(common_model.FieldTextAlignment.AUTO)
        .filterable(True)
        .cell_height(common_model.TableCellHeight.SM)
        .with_transformation(
            model.DataTransformerConfig(
                id_val="organize",
                options={"excludeByName": {column: True for column in sorted(hidden_columns)}},
            )
        )
    )
    if data_links:
        panel = panel.data_links(list(data_links))
    return panel


def firing_alerts_table(runbook: dashboard.DashboardLink, *matchers: str, h: int = 8) -> table.Panel:
    """The alerts firing now that concern this dashboard, each row linked to its runbook."""
    return table_panel(
        "Firing alerts",
        "Alerts firing now for what this dashboard shows; click a row to open the alert's runbook.",
        units.NoUnit,
        Query("sort_desc(" + select("ALERTS", eq("alertstate", "firing"), *matchers) + ")"),
        hidden_columns=("Time", "Value", "__name__", "alertstate", "cluster"),
        data_links=(runbook,),
        h=h,
    )
