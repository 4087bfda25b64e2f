"""Panels of the public endpoints as the blackbox exporter sees them from outside (job `blackbox`).

The one view of availability the services' own request counters cannot give: DNS, load balancer,
ingress, certificate and service together. They read the probe series raw: one series per probed
endpoint, few enough for the SLA dashboard's 30 days without a recording rule.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, stat, timeseries
from grafana_foundation_sdk.models import units

from model.settings import Settings
from render.dashboards import alerts
from render.dashboards.panels import Query, bar_gauge_panel, lower_limit, stat_panel, timeseries_panel
from render.dashboards.targets import CERTIFICATE_EXPIRY_MIN_DAYS, CERTIFICATE_EXPIRY_WARNING_DAYS
from render.dashboards.variables import eq, select
from render.probe_jobs import HTTP_MODULE, JOB

HEIGHT = 8


def _http_probe(metric: str) -> str:
    return select(metric, eq("job", JOB), eq("module", HTTP_MODULE))


def endpoint_up_stat(settings: Settings, w: int = 6) -> stat.Panel:
    return stat_panel(
        "Public endpoints answering",
        "Whether each public health endpoint answers its probe with a 2xx now (1) or not (0); "
        f"0 for 2 minutes pages the service's team ({alerts.ENDPOINT_PROBE_FAILED}).",
        units.NoUnit,
        Query(f"max by (service, instance) ({_http_probe('probe_success')})", "{{service}}"),
        thresholds=lower_limit(1),
        links=[alerts.runbook_link(settings, alerts.ENDPOINT_PROBE_FAILED)],
        sparkline=False,
        w=w,
        h=HEIGHT,
    )


def probe_duration_timeseries(w: int = 12) -> timeseries.Panel:
    return timeseries_panel(
        "Public endpoint probe duration",
        "Time the probe of each public health endpoint took: DNS, connect, TLS and the response together.",
        units.Seconds,
        Query(f"max by (service, instance) ({_http_probe('probe_duration_seconds')})", "{{service}}"),
        min_value=0,
        w=w,
        h=HEIGHT,
    )


def certificate_days_bar_gauge(settings: Settings, w: int = 6) -> bargauge.Panel:
    expiry = select("probe_ssl_earliest_cert_expiry", eq("job", JOB))
    return bar_gauge_panel(
        "Days until certificate expiry",
        "Days left on the earliest-expiring certificate of each probed HTTPS endpoint and ingress host; "
        f"below {CERTIFICATE_EXPIRY_MIN_DAYS:g} days {alerts.CERTIFICATE_EXPIRING_SOON} fires.",
        units.Days,
        Query(f"min by (instance) (({expiry} > 0) - time()) / 86400", "{{instance}}"),
        thresholds=lower_limit(CERTIFICATE_EXPIRY_WARNING_DAYS, warning=CERTIFICATE_EXPIRY_MIN_DAYS),
        links=[alerts.runbook_link(settings, alerts.CERTIFICATE_EXPIRING_SOON)],
        min_value=0,
        decimals=0,
        w=w,
        h=HEIGHT,
    )
