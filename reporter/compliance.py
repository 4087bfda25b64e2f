"""Monthly compliance and audit figures: SLA attainment, alert counts by severity and team, and the
configuration changes (successful reloads of Prometheus and Alertmanager) in the period."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from reporter.alerts import FiredAlert
from reporter.period import Period
from reporter.promapi import PrometheusAPI

RELOAD_METRICS = {
    "Prometheus": "prometheus_config_last_reload_success_timestamp_seconds",
    "Alertmanager": "alertmanager_config_last_reload_success_timestamp_seconds",
}


@dataclass(frozen=True)
class ConfigChange:
    component: str
    instance: str
    at: float        # the reload time, as the component itself recorded it


@dataclass(frozen=True)
class Compliance:
    alert_counts: dict[tuple[str, str], int]   # (severity, team) -> firings
    config_changes: list[ConfigChange]
    config_data_found: bool                     # False: no reload metrics at all, i.e. unknown


def config_changes(api: PrometheusAPI, period: Period) -> tuple[list[ConfigChange], bool]:
    start, end = period.start.timestamp(), period.end.timestamp()
    changes, found = set(), False
    for component, metric in RELOAD_METRICS.items():
        for series in api.raw_samples(metric, start, end):
            found = True
            instance = series.get("instance") or series.get("pod") or series.get("job")
            changes |= {ConfigChange(component, instance, value) for _, value in series.points if start <= value < end}
    return sorted(changes, key=lambda c: (c.at, c.component, c.instance)), found


def collect_compliance(api: PrometheusAPI, period: Period, alerts: list[FiredAlert]) -> Compliance:
    counts = Counter((a.severity or "none", a.team or "none") for a in alerts)
    changes, found = config_changes(api, period)
    return Compliance(dict(sorted(counts.items())), changes, found)
