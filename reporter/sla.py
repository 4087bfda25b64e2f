"""Per-service SLA figures over a period: availability, uptime, error rate, latency percentiles and
error budget, each judged against the service's target. Missing data stays None ("no data")."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from reporter.period import Period
from reporter.promapi import PrometheusAPI
from reporter.quantile import histogram_quantile
from reporter.queries import (APP_SERVICES, ERRORS, UPTIME_STEP_SECONDS, WINDOW_SECONDS, evaluate_windows,
                              increase_windows)
from reporter.targets import ServiceTarget, Targets

MET, MISSED, INCOMPLETE, NO_DATA, NO_TARGET = "met", "missed", "incomplete data", "no data", "no target"


@dataclass
class ServiceSla:
    service: str
    target: ServiceTarget | None
    requests: float | None = None
    errors: float | None = None
    success_ratio: float | None = None      # 1 - 5xx / requests
    uptime: float | None = None             # fraction of minutes with at least one target up
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    request_coverage: float = 0.0           # fraction of 5-minute windows with request data
    uptime_coverage: float = 0.0            # fraction of minutes with an `up` sample
    # per-window detail, used for violations and charts (window end -> value)
    request_windows: dict[float, float] = field(default_factory=dict, repr=False)
    error_windows: dict[float, float] = field(default_factory=dict, repr=False)
    p95_windows: dict[float, float] = field(default_factory=dict, repr=False)
    up_points: dict[float, float] = field(default_factory=dict, repr=False)

    @property
    def has_data(self) -> bool:
        return self.requests is not None or self.uptime is not None

    @property
    def availability(self) -> float | None:
        """The lower of request success ratio and uptime: the first cannot see an outage in which no
        requests were recorded, the second cannot see failing requests."""
        known = [v for v in (self.success_ratio, self.uptime) if v is not None]
        return min(known) if known else None

    @property
    def error_rate(self) -> float | None:
        return None if self.success_ratio is None else 1.0 - self.success_ratio

    @property
    def budget_consumed(self) -> float | None:
        """Share of the period's error budget (1 - availability target) used; above 1 is overspent."""
        if self.target is None or self.availability is None:
            return None
        return (1.0 - self.availability) / (1.0 - self.target.availability)

    @property
    def budget_remaining(self) -> float | None:
        return None if self.budget_consumed is None else 1.0 - self.budget_consumed

    def checks(self) -> list[tuple[str, bool | None]]:
        """(check, passed) per target; passed is None when the figure is missing."""
        if self.target is None:
            return []
        t = self.target

        def judge(value, ok):
            return None if value is None else ok(value)
        return [
            (f"availability >= {t.availability:.4%}", judge(self.availability, lambda v: v >= t.availability)),
            (f"error rate <= {t.error_rate:.4%}", judge(self.error_rate, lambda v: v <= t.error_rate)),
            (f"P95 < {t.latency_p95_seconds * 1000:g} ms", judge(self.p95, lambda v: v < t.latency_p95_seconds)),
        ]

    @property
    def status(self) -> str:
        if not self.has_data:
            return NO_DATA
        if self.target is None:
            return NO_TARGET
        results = [passed for _, passed in self.checks()]
        if False in results:
            return MISSED
        return INCOMPLETE if None in results else MET


def _by_service(windows) -> dict[str, dict[float, float]]:
    return {w.labels.get("service", ""): w.values for w in windows}


def collect_service_sla(api: PrometheusAPI, period: Period, targets: Targets) -> list[ServiceSla]:
    requests = _by_service(increase_windows(api, f"http_server_requests_seconds_count{{{APP_SERVICES}}}",
                                            ("service",), period, WINDOW_SECONDS))
    errors = _by_service(increase_windows(api, f"http_server_requests_seconds_count{{{APP_SERVICES},{ERRORS}}}",
                                          ("service",), period, WINDOW_SECONDS))
    p95 = _by_service(evaluate_windows(
        api, f"histogram_quantile(0.95, sum by (service, le) "
             f"(increase(http_server_requests_seconds_bucket{{{APP_SERVICES}}}[{WINDOW_SECONDS}s])))",
        period, WINDOW_SECONDS))
    buckets: dict[str, dict[float, float]] = {}
    for w in increase_windows(api, f"http_server_requests_seconds_bucket{{{APP_SERVICES}}}", ("service", "le"), period):
        buckets.setdefault(w.labels.get("service", ""), {})[float(w.labels["le"])] = w.total
    up = {s.get("service"): dict(s.points) for s in api.query_range(
        f"max by (service) (up{{{APP_SERVICES}}})", period.start, period.end.timestamp() - UPTIME_STEP_SECONDS,
        UPTIME_STEP_SECONDS)}

    windows_in_period = period.seconds / WINDOW_SECONDS
    minutes_in_period = period.seconds / UPTIME_STEP_SECONDS
    names = list(targets.services) + sorted((set(requests) | set(up)) - set(targets.services) - {""})
    result = []
    for name in names:
        sla = ServiceSla(service=name, target=targets.services.get(name))
        sla.request_windows = requests.get(name, {})
        sla.error_windows = errors.get(name, {})
        sla.p95_windows = {t: v for t, v in p95.get(name, {}).items() if not math.isnan(v)}
        sla.up_points = up.get(name, {})
        total = sum(sla.request_windows.values())
        if sla.request_windows:
            sla.requests = total
            sla.errors = sum(sla.error_windows.values())
            sla.request_coverage = len(sla.request_windows) / windows_in_period
            if total > 0:
                sla.success_ratio = 1.0 - sla.errors / total
        if sla.up_points:
            sla.uptime = sum(1 for v in sla.up_points.values() if v >= 1) / len(sla.up_points)
            sla.uptime_coverage = len(sla.up_points) / minutes_in_period
        histogram = buckets.get(name, {})
        sla.p50, sla.p95, sla.p99 = (histogram_quantile(q, histogram) for q in (0.5, 0.95, 0.99))
        result.append(sla)
    return result
