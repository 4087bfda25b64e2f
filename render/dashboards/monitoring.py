"""The monitoring stack watching itself: scrape targets, rule evaluation, notifications, exporter freshness."""

from __future__ import annotations

from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import units

from model.settings import Settings
from model.slo import SloSpec
from render.dashboards import alerts
from render.dashboards.layout import Board
from render.dashboards.panels import (
    Query, RATE, bar_gauge_panel, firing_alerts_table, lower_limit, rate, stacked_panel, stat_panel, sum_by,
    table_panel, timeseries_panel, trend_panel, upper_limit,
)
from render.dashboards.targets import EXPORTER_STALENESS_MAX_SECONDS
from render.dashboards.variables import select

FOLDER = "monitoring"
# Alertmanager's share of failed notifications above which AlertmanagerFailedToSendAlerts fires.
NOTIFICATION_FAILURE_RATIO_MAX = 0.01


def monitoring_stack(settings: Settings, slo: SloSpec) -> model.Dashboard:
    board = Board(
        settings,
        name="monitoring-stack",
        title="Monitoring Stack",
        description="Prometheus targets and rule evaluation, Alertmanager notifications sent and failed, "
        "and the freshness of the business metrics exporter.",
        folder=FOLDER,
    )
    _targets_row(board)
    _rules_row(settings, board)
    _notifications_row(settings, board)
    _exporter_row(settings, board)
    board.row("Alerts").add(firing_alerts_table(alerts.runbook_data_link(settings)))
    return board.build()


def _targets_row(board: Board) -> None:
    up = select("up")
    board.row("Scrape targets").add(
        stat_panel(
            "Targets down",
            "Scrape targets that did not answer their last scrape.",
            units.NoUnit,
            Query(f"count({up} == 0) or vector(0)"),
            thresholds=upper_limit(1),
            sparkline=False,
        ),
        bar_gauge_panel(
            "Targets up by job",
            "Share of each job's scrape targets that answered their last scrape.",
            units.PercentUnit,
            Query(f"sum by (job) ({up}) / count by (job) ({up})", "{{job}}"),
            thresholds=lower_limit(1),
            min_value=0,
            max_value=1,
            w=18,
            h=8,
        ),
        trend_panel(
            "Scrape duration by job",
            "Slowest scrape of each job.",
            units.Seconds,
            Query(f'max by (job) ({select("scrape_duration_seconds")})', "{{job}}"),
        ),
        trend_panel(
            "Samples scraped by job",
            "Samples per scrape, summed over each job's targets: the cardinality each job adds.",
            units.Short,
            sum_by("job", select("scrape_samples_scraped")),
        ),
        table_panel(
            "Unreachable targets",
            "Every scrape target that did not answer its last scrape, with its job and instance.",
            units.NoUnit,
            Query(f"{up} == 0"),
            hidden_columns=("Time", "Value", "__name__"),
            h=6,
        ),
    )


def _rules_row(settings: Settings, board: Board) -> None:
    board.row("Prometheus").add(
        trend_panel(
            "Rule evaluation failures",
            "Failed rule evaluations per second, per rule group.",
            units.OpsPerSecond,
            sum_by("rule_group", rate(select("prometheus_rule_evaluation_failures_total"))),
            thresholds=upper_limit(0.001),
            links=[alerts.runbook_link(settings, alerts.PROMETHEUS_RULE_FAILURES)],
            w=8,
        ),
        trend_panel(
            "Rule group duration / interval",
            "How much of its evaluation interval each rule group takes; at 100% evaluations are skipped.",
            units.PercentUnit,
            Query(
                f'max by (rule_group) ({select("prometheus_rule_group_last_duration_seconds")}'
                f' / {select("prometheus_rule_group_interval_seconds")})',
                "{{rule_group}}",
            ),
            thresholds=upper_limit(1, warning=0.5),
            w=8,
        ),
        trend_panel(
            "Missed rule group iterations",
            "Rule group evaluations skipped per second because the previous one was still running.",
            units.OpsPerSecond,
            sum_by("rule_group", rate(select("prometheus_rule_group_iterations_missed_total"))),
            thresholds=upper_limit(0.001),
            w=8,
        ),
        stat_panel(
            "Head series",
            "Series in the in-memory head block of the busiest Prometheus replica.",
            units.Short,
            Query(f'max({select("prometheus_tsdb_head_series")})'),
        ),
        stat_panel(
            "Prometheus config reloaded",
            "Whether every Prometheus replica loaded its last configuration (1) or not (0).",
            units.NoUnit,
            Query(f'min({select("prometheus_config_last_reload_successful")})'),
            thresholds=lower_limit(1),
            sparkline=False,
        ),
        stat_panel(
            "Alertmanager config reloaded",
            "Whether every Alertmanager replica loaded its last configuration (1) or not (0).",
            units.NoUnit,
            Query(f'min({select("alertmanager_config_last_reload_successful")})'),
            thresholds=lower_limit(1),
            sparkline=False,
        ),
        stat_panel(
            "Alertmanager cluster members",
            f"Peers each Alertmanager sees in its cluster; {settings.alertmanager.replicas} expected.",
            units.NoUnit,
            Query(f'min({select("alertmanager_cluster_members")})'),
            thresholds=lower_limit(settings.alertmanager.replicas),
            sparkline=False,
        ),
    )


def _notifications_row(settings: Settings, board: Board) -> None:
    sent = select("alertmanager_notifications_total")
    failed = select("alertmanager_notifications_failed_total")
    latency = select("alertmanager_notification_latency_seconds_bucket")
    board.row("Notifications").add(
        trend_panel(
            "Prometheus alerts sent to Alertmanager",
            "Alerts Prometheus sends, fails to send and drops, per second.",
            units.OpsPerSecond,
            Query(f'sum(rate({select("prometheus_notifications_sent_total")}[{RATE}]))', "sent"),
            Query(f'sum(rate({select("prometheus_notifications_errors_total")}[{RATE}]))', "errors"),
            Query(f'sum(rate({select("prometheus_notifications_dropped_total")}[{RATE}]))', "dropped"),
            w=8,
        ),
        stacked_panel(
            "Notifications sent by integration",
            "Notifications Alertmanager sends per second to PagerDuty, Slack, email, SMS and webhooks.",
            units.OpsPerSecond,
            sum_by("integration", rate(sent)),
            w=8,
        ),
        trend_panel(
            "Notifications failed by integration",
            "Share of each integration's notifications that failed; the alert fires above 1%.",
            units.PercentUnit,
            Query(
                f"sum by (integration) (rate({failed}[{RATE}])) / sum by (integration) (rate({sent}[{RATE}]))",
                "{{integration}}",
            ),
            thresholds=upper_limit(NOTIFICATION_FAILURE_RATIO_MAX),
            links=[alerts.runbook_link(settings, alerts.ALERTMANAGER_FAILED_TO_SEND_ALERTS)],
            w=8,
        ),
        trend_panel(
            "Notification latency P95 by integration",
            "95th percentile time Alertmanager takes to deliver a notification, per integration.",
            units.Seconds,
            Query(
                f"histogram_quantile(0.95, sum by (integration, le) (rate({latency}[{RATE}])))",
                "{{integration}}",
            ),
        ),
        trend_panel(
            "Alerts in Alertmanager by state",
            "Alerts Alertmanager holds, active or suppressed (busiest replica).",
            units.Short,
            Query(f'max by (state) ({select("alertmanager_alerts")})', "{{state}}"),
        ),
    )


def _exporter_row(settings: Settings, board: Board) -> None:
    board.row("Business metrics exporter").add(
        stat_panel(
            "Exporter database up",
            "Whether the business metrics exporter reaches its database (1) or not (0).",
            units.NoUnit,
            Query(f'min({select("business_exporter_database_up")})'),
            thresholds=lower_limit(1),
            sparkline=False,
        ),
        bar_gauge_panel(
            "Data age by group",
            "Time since each metric group was last refreshed successfully; stale business metrics page.",
            units.Seconds,
            Query(
                f'max by (group) (time() - {select("business_exporter_last_success_timestamp_seconds")})',
                "{{group}}",
            ),
            thresholds=upper_limit(EXPORTER_STALENESS_MAX_SECONDS),
            links=[alerts.runbook_link(settings, alerts.BUSINESS_EXPORTER_STALE)],
            min_value=0,
            w=18,
            h=8,
        ),
        trend_panel(
            "Refresh duration by group",
            "How long the last refresh of each metric group took.",
            units.Seconds,
            Query(f'max by (group) ({select("business_exporter_refresh_duration_seconds")})', "{{group}}"),
            w=8,
        ),
        trend_panel(
            "Refresh errors by group",
            "Failed refreshes per second, per metric group.",
            units.OpsPerSecond,
            sum_by("group", rate(select("business_exporter_refresh_errors_total"))),
            thresholds=upper_limit(0.001),
            w=8,
        ),
        trend_panel(
            "Rows processed by group",
            "Database rows read per second, per metric group.",
            units.RowsPerSecond,
            sum_by("group", rate(select("business_exporter_rows_processed_total"))),
            w=8,
        ),
        trend_panel(
            "Watermark lag by group",
            "How far each group's incremental read lags behind the newest row.",
            units.Seconds,
            Query(f'max by (group) ({select("business_exporter_watermark_lag_seconds")})', "{{group}}"),
            thresholds=upper_limit(EXPORTER_STALENESS_MAX_SECONDS),
        ),
        timeseries_panel(
            "Recount drift by metric",
            "Difference between incremental counts and a full recount, per metric; should stay at 0.",
            units.Short,
            Query(f'max by (metric) ({select("business_exporter_recount_drift")})', "{{metric}}"),
        ),
    )


DASHBOARDS = (monitoring_stack,)
