"""Panels about one SLA-bound service (payment, wallet), shared by SLA Compliance and the service dashboards.

All of them read the SLO and service recording rules of the metrics contract, never the raw
request histogram: a 30-day availability over raw buckets is the heavy query those rules exist for.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import gauge, stat, timeseries
from grafana_foundation_sdk.models import units

from model.settings import Settings
from render.dashboards import alerts
from render.dashboards.panels import (
    Query, gauge_panel, lower_limit, stat_panel, timeseries_panel, trend_panel, upper_limit,
)
from render.dashboards.targets import ERROR_BUDGET_AT_RISK, ServiceSLA
from render.dashboards.variables import eq, select


def _slo(sla: ServiceSLA, rule: str, slo: str) -> str:
    return select(rule, eq("service", sla.service), eq("slo", slo))


def _service(sla: ServiceSLA, rule: str) -> str:
    return select(rule, eq("service", sla.service))


def _percent(ratio: float) -> str:
    return f"{ratio * 100:g}%"


def instances_up_stat(settings: Settings, sla: ServiceSLA, w: int = 4) -> stat.Panel:
    return stat_panel(
        "Instances up",
        f"Scrape targets of {sla.job} answering now; 0 pages ({alerts.SERVICE_DOWN[sla.service]}).",
        units.NoUnit,
        Query(f'sum({select("up", eq("job", sla.job))})'),
        thresholds=lower_limit(1),
        links=[alerts.runbook_link(settings, alerts.SERVICE_DOWN[sla.service])],
        sparkline=False,
        w=w,
    )


def availability_stat(settings: Settings, sla: ServiceSLA, w: int = 4) -> stat.Panel:
    return stat_panel(
        "Availability (30d)",
        f"Share of non-5xx requests over 30 days; SLA {_percent(sla.availability)}.",
        units.PercentUnit,
        Query(f'1 - {_slo(sla, "slo:sli_error:ratio_rate30d", "availability")}'),
        thresholds=lower_limit(sla.availability),
        links=[alerts.runbook_link(settings, alerts.SLO_ERROR_BUDGET_BURN)],
        decimals=3,
        w=w,
    )


def latency_compliance_stat(settings: Settings, sla: ServiceSLA, w: int = 4) -> stat.Panel:
    return stat_panel(
        f"Requests under {sla.p95_latency_seconds * 1000:g}ms (30d)",
        f"Share of requests faster than {sla.p95_latency_seconds * 1000:g}ms over 30 days; "
        f"the P95 target holds while it is at least {_percent(sla.latency_objective)}.",
        units.PercentUnit,
        Query(f'1 - {_slo(sla, "slo:sli_error:ratio_rate30d", "latency")}'),
        thresholds=lower_limit(sla.latency_objective),
        links=[alerts.runbook_link(settings, alerts.SLO_ERROR_BUDGET_BURN)],
        decimals=2,
        w=w,
    )


def error_rate_stat(sla: ServiceSLA, w: int = 4) -> stat.Panel:
    return stat_panel(
        "Error rate (5m)",
        f"Share of 5xx responses over the last 5 minutes; SLA at most {_percent(sla.max_error_rate)}.",
        units.PercentUnit,
        Query(_service(sla, "service:http_request_errors:ratio_rate5m")),
        thresholds=upper_limit(sla.max_error_rate),
        decimals=3,
        w=w,
    )


def p95_stat(sla: ServiceSLA, w: int = 4) -> stat.Panel:
    return stat_panel(
        "P95 latency (5m)",
        f"95th percentile response time over the last 5 minutes; SLA below {sla.p95_latency_seconds * 1000:g}ms.",
        units.Seconds,
        Query(_service(sla, "service:http_request_duration_seconds:p95_5m")),
        thresholds=upper_limit(sla.p95_latency_seconds),
        w=w,
    )


def error_budget_gauge(settings: Settings, sla: ServiceSLA, w: int = 4, h: int = 6) -> gauge.Panel:
    return gauge_panel(
        "Error budget remaining (30d)",
        "Share of the 30-day error budget left, per SLO; negative when overspent.",
        units.PercentUnit,
        Query(_service(sla, "slo:error_budget_remaining:ratio"), "{{slo}}"),
        thresholds=lower_limit(ERROR_BUDGET_AT_RISK, warning=0),
        min_value=0,
        max_value=1,
        links=[alerts.runbook_link(settings, alerts.SLO_ERROR_BUDGET_BURN)],
        w=w,
        h=h,
    )


def request_rate_timeseries(sla: ServiceSLA, w: int = 8) -> timeseries.Panel:
    return trend_panel(
        "Request rate",
        "HTTP requests per second served by the service (all instances).",
        units.RequestsPerSecond,
        Query(_service(sla, "service:http_requests:rate5m"), "requests/s"),
        w=w,
    )


def error_rate_timeseries(sla: ServiceSLA, w: int = 8) -> timeseries.Panel:
    return trend_panel(
        "Error rate",
        f"Share of 5xx responses; the dashed line is the SLA limit of {_percent(sla.max_error_rate)}.",
        units.PercentUnit,
        Query(_service(sla, "service:http_request_errors:ratio_rate5m"), "5xx ratio"),
        thresholds=upper_limit(sla.max_error_rate),
        w=w,
    )


def latency_timeseries(sla: ServiceSLA, w: int = 8) -> timeseries.Panel:
    return trend_panel(
        "Latency P50 / P95 / P99",
        f"Response time percentiles over 5 minutes; the dashed line is the P95 SLA of {sla.p95_latency_seconds * 1000:g}ms.",
        units.Seconds,
        *(
            Query(_service(sla, f"service:http_request_duration_seconds:{quantile}_5m"), quantile.upper())
            for quantile in ("p50", "p95", "p99")
        ),
        thresholds=upper_limit(sla.p95_latency_seconds),
        w=w,
    )


def availability_timeseries(sla: ServiceSLA, w: int = 12) -> timeseries.Panel:
    return timeseries_panel(
        "Availability (1h window)",
        f"Share of non-5xx requests over a sliding hour; the dashed line is the SLA of {_percent(sla.availability)}.",
        units.PercentUnit,
        Query(f'1 - {_slo(sla, "slo:sli_error:ratio_rate1h", "availability")}', "availability"),
        thresholds=lower_limit(sla.availability),
        max_value=1,
        decimals=3,
        w=w,
    )


def burn_rate_timeseries(settings: Settings, sla: ServiceSLA, w: int = 12) -> timeseries.Panel:
    return trend_panel(
        "Error budget burn rate (1h / 6h)",
        "How fast the error budget is spent: 1 uses it up in exactly 30 days; above 1 it runs out early.",
        units.NoUnit,
        *(
            Query(
                f"{_service(sla, f'slo:sli_error:ratio_rate{window}')}"
                f" / on (cluster, service, slo) (1 - {_service(sla, 'slo:objective:ratio')})",
                f"{{{{slo}}}} {window}",
            )
            for window in ("1h", "6h")
        ),
        thresholds=upper_limit(1),
        links=[alerts.runbook_link(settings, alerts.SLO_ERROR_BUDGET_BURN)],
        w=w,
    )
