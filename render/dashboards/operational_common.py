"""What the operational dashboards share: their folder, the rate window, the layout of a service dashboard."""

from __future__ import annotations

from typing import Callable

from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import units

from model.settings import Settings
from render.dashboards import alerts, service_panels
from render.dashboards.layout import Board
from render.dashboards.panels import Query, RATE, firing_alerts_table, trend_panel, upper_limit
from render.dashboards.targets import DB_POOL_UTILISATION_MAX, ServiceSLA
from render.dashboards.variables import currency_variable, eq, select

FOLDER = "operational"
CONTAINERS = 'container!=""'  # cAdvisor also reports pod-level cgroups with an empty container label: skip them


# --- shared by the service dashboards ---------------------------------------------------------


def of_service_pods(sla: ServiceSLA, per_pod: str) -> str:
    """Restrict a per-(namespace, pod) cAdvisor expression to the pods the service's scrape job finds."""
    return f'{per_pod} * on (namespace, pod) (max by (namespace, pod) ({select("up", eq("job", sla.job))}) == 1)'


def service_dashboard(
    settings: Settings, sla: ServiceSLA, description: str, business_rows: Callable[[Board], None]
) -> model.Dashboard:
    board = Board(
        settings,
        name=f"{sla.service}-service",
        title=f"{sla.title} Service",
        description=description,
        folder=FOLDER,
        variables=[currency_variable()],
        alert_matchers=[eq("service", sla.service)],
    )
    _service_level_row(board, settings, sla)
    _requests_row(board, sla)
    _saturation_row(board, settings, sla)
    business_rows(board)
    board.row("Alerts").add(firing_alerts_table(alerts.runbook_data_link(settings), eq("service", sla.service)))
    return board.build()


def _service_level_row(board: Board, settings: Settings, sla: ServiceSLA) -> None:
    board.row("Service level").add(
        service_panels.instances_up_stat(settings, sla),
        service_panels.availability_stat(settings, sla),
        service_panels.error_rate_stat(sla),
        service_panels.p95_stat(sla),
        service_panels.latency_compliance_stat(settings, sla),
        service_panels.error_budget_gauge(settings, sla, h=4),
    )


def _requests_row(board: Board, sla: ServiceSLA) -> None:
    requests = select("http_server_requests_seconds_count", eq("job", sla.job))
    errors = select("http_server_requests_seconds_count", eq("job", sla.job), 'status=~"5.."')
    board.row("Requests").add(
        service_panels.request_rate_timeseries(sla),
        service_panels.error_rate_timeseries(sla),
        service_panels.latency_timeseries(sla),
        trend_panel(
            "Top endpoints by request rate",
            "The ten busiest endpoints (method and URI template), requests per second.",
            units.RequestsPerSecond,
            Query(f"topk(10, sum by (method, uri) (rate({requests}[{RATE}])))", "{{method}} {{uri}}"),
        ),
        trend_panel(
            "Top endpoints by 5xx rate",
            "The ten endpoints answering most 5xx responses, per second, by status.",
            units.RequestsPerSecond,
            Query(f"topk(10, sum by (method, uri, status) (rate({errors}[{RATE}])))", "{{method}} {{uri}} {{status}}"),
        ),
    )


def _saturation_row(board: Board, settings: Settings, sla: ServiceSLA) -> None:
    pool_used = select("db_connections_used", eq("service", sla.service))
    pool_max = select("db_connections_max", eq("service", sla.service))
    cpu = select("container_cpu_usage_seconds_total", CONTAINERS)
    memory = select("container_memory_working_set_bytes", CONTAINERS)
    board.row("Saturation").add(
        trend_panel(
            "Database connection pool utilisation",
            "Busiest instance's share of its database connection pool in use; the alert fires above 80%.",
            units.PercentUnit,
            Query(f"max by (pool) ({pool_used} / {pool_max})", "{{pool}}"),
            thresholds=upper_limit(DB_POOL_UTILISATION_MAX),
            links=[alerts.runbook_link(settings, alerts.DATABASE_CONNECTION_POOL_HIGH)],
            max_value=1,
            w=8,
        ),
        trend_panel(
            "CPU by pod",
            "CPU cores used by each pod of the service (cAdvisor).",
            units.Short,
            Query(of_service_pods(sla, f"sum by (namespace, pod) (rate({cpu}[{RATE}]))"), "{{pod}}"),
            w=8,
        ),
        trend_panel(
            "Memory by pod",
            "Working-set memory of each pod of the service (cAdvisor).",
            units.BytesIEC,
            Query(of_service_pods(sla, f"sum by (namespace, pod) ({memory})"), "{{pod}}"),
            w=8,
        ),
    )

