"""SLA violations: contiguous stretches in which a service with a target missed it, each with its
start, duration, worst value and the alerts that fired for it (or none — a missed alert).

Error rate and P95 latency are judged per 5-minute window, "down" per minute (no target up).
"""
from __future__ import annotations

from dataclasses import dataclass

from reporter.alerts import FiredAlert
from reporter.queries import UPTIME_STEP_SECONDS, WINDOW_SECONDS
from reporter.sla import ServiceSla

ERROR_RATE, LATENCY, DOWN = "error rate", "P95 latency", "down"


@dataclass(frozen=True)
class Violation:
    service: str
    kind: str
    start: float
    end: float
    worst: float | None          # highest error ratio / P95 seconds; None for down
    alerts: tuple[str, ...]      # alertnames that fired for this service during the violation

    @property
    def duration_seconds(self) -> float:
        return self.end - self.start


def _merge(intervals: list[tuple[float, float, float | None]]) -> list[tuple[float, float, float | None]]:
    merged: list[list] = []
    for start, end, value in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            if value is not None:
                merged[-1][2] = value if merged[-1][2] is None else max(merged[-1][2], value)
        else:
            merged.append([start, end, value])
    return [tuple(m) for m in merged]


def _bad_intervals(sla: ServiceSla) -> dict[str, list[tuple[float, float, float | None]]]:
    target = sla.target
    errors = []
    for t, requests in sla.request_windows.items():
        ratio = sla.error_windows.get(t, 0.0) / requests if requests > 0 else 0.0
        if ratio > target.error_rate:
            errors.append((t - WINDOW_SECONDS, t, ratio))
    latency = [(t - WINDOW_SECONDS, t, p95) for t, p95 in sla.p95_windows.items() if p95 >= target.latency_p95_seconds]
    down = [(t, t + UPTIME_STEP_SECONDS, None) for t, up in sla.up_points.items() if up < 1]
    return {ERROR_RATE: errors, LATENCY: latency, DOWN: down}


def find_violations(services: list[ServiceSla], alerts: list[FiredAlert]) -> list[Violation]:
    found = []
    for sla in services:
        if sla.target is None:
            continue
        for kind, intervals in _bad_intervals(sla).items():
            for start, end, worst in _merge(intervals):
                names = sorted({a.alertname for a in alerts
                                if a.service == sla.service and a.active_at < end and a.end > start})
                found.append(Violation(sla.service, kind, start, end, worst, tuple(names)))
    return sorted(found, key=lambda v: (v.start, v.service, v.kind))
