"""Alerts that fired in a period, rebuilt from Prometheus's own ALERTS / ALERTS_FOR_STATE series.

ALERTS{alertstate="firing"} has one sample per rule evaluation while an alert fires, so a gap in the
samples is a resolution; ALERTS_FOR_STATE carries the time the condition became active (its value),
which is when the problem started, before the rule's `for:` delay let it fire.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass

from reporter.period import Period
from reporter.promapi import PrometheusAPI, Series

DEFAULT_EVALUATION_SECONDS = 60.0


@dataclass(frozen=True)
class FiredAlert:
    alertname: str
    labels: tuple[tuple[str, str], ...]   # every label but alertstate: identifies the alert instance
    active_at: float                      # condition became true (unix seconds)
    firing_start: float
    end: float                            # resolved, or the period end when still firing
    ongoing: bool

    def label(self, name: str) -> str:
        return dict(self.labels).get(name, "")

    @property
    def severity(self) -> str:
        return self.label("severity")

    @property
    def team(self) -> str:
        return self.label("team")

    @property
    def service(self) -> str:
        return self.label("service")

    @property
    def firing_seconds(self) -> float:
        """Time to resolve: from the notification (firing) to resolution."""
        return self.end - self.firing_start


def _identity(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in labels.items() if k not in ("alertstate", "__name__")))


def _evaluation_interval(series: list[Series]) -> float:
    gaps = [b[0] - a[0] for s in series for a, b in zip(s.points, s.points[1:])]
    return statistics.median(gaps) if gaps else DEFAULT_EVALUATION_SECONDS


def fired_alerts(api: PrometheusAPI, period: Period) -> list[FiredAlert]:
    start, end = period.start.timestamp(), period.end.timestamp()
    firing = api.raw_samples('ALERTS{alertstate="firing"}', start, end)
    active_since: dict[tuple, dict[float, float]] = {
        _identity(s.labels): dict(s.points) for s in api.raw_samples("ALERTS_FOR_STATE", start, end)}
    interval = _evaluation_interval(firing)
    alerts = []
    for series in firing:
        identity = _identity(series.labels)
        times = [t for t, _ in series.points]
        runs, run_start = [], times[0]
        for previous, current in zip(times, times[1:]):
            if current - previous > 2.5 * interval:       # a missing evaluation is a resolution
                runs.append((run_start, previous))
                run_start = current
        runs.append((run_start, times[-1]))
        for first, last in runs:
            ongoing = last + interval >= end
            resolved = min(last + interval, end)
            active_at = active_since.get(identity, {}).get(first, first)
            alerts.append(FiredAlert(series.get("alertname"), identity, min(active_at, first), first,
                                     resolved, ongoing))
    return sorted(alerts, key=lambda a: (a.firing_start, a.alertname))
