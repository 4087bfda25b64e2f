"""The exporter's own health metrics (names from docs/metrics-contract.md), and the liveness
heartbeat of each refresh loop behind /healthz."""
from __future__ import annotations

import threading
import time
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge


class Health:
    def __init__(self, registry: CollectorRegistry, groups: list[str], metrics_with_recount: list[str]):
        self.database_up = Gauge(
            "business_exporter_database_up",
            "1 if the last attempt to reach the database succeeded, 0 if it failed.",
            registry=registry)
        self.last_success = Gauge(
            "business_exporter_last_success_timestamp_seconds",
            "Unix time of the last successful refresh of a query group.", ["group"], registry=registry)
        self.refresh_duration = Gauge(
            "business_exporter_refresh_duration_seconds",
            "Wall time of the last refresh of a query group.", ["group"], registry=registry)
        self.refresh_errors = Counter(
            "business_exporter_refresh_errors_total",
            "Refreshes of a query group that failed (database down, timeout, query error).",
            ["group"], registry=registry)
        self.rows_processed = Counter(
            "business_exporter_rows_processed_total",
            "Source rows aggregated by a query group's seeding and incremental refreshes.",
            ["group"], registry=registry)
        self.watermark_lag = Gauge(
            "business_exporter_watermark_lag_seconds",
            "How far the oldest watermark of a query group trails the database clock.",
            ["group"], registry=registry)
        self.recount_drift = Gauge(
            "business_exporter_recount_drift",
            "Difference between the incremental total and the last full recount (0 = none).",
            ["metric"], registry=registry)

        self.database_up.set(0)
        self._lag: dict[str, tuple[float, float]] = {}  # group -> (lag at refresh, monotonic then)
        self._heartbeat: dict[str, float] = {}
        self._lock = threading.Lock()
        for group in groups:
            self.refresh_errors.labels(group)
            self.rows_processed.labels(group)
            self.refresh_duration.labels(group)
            self.last_success.labels(group)
        for metric in metrics_with_recount:
            self.recount_drift.labels(metric)

    def track_watermark(self, group: str, db_now: datetime, watermark: datetime) -> None:
        """The lag keeps growing between refreshes (and while the database is down)."""
        with self._lock:
            first = group not in self._lag
            self._lag[group] = ((db_now - watermark).total_seconds(), time.monotonic())
        if first:
            self.watermark_lag.labels(group).set_function(lambda: self._current_lag(group))

    def _current_lag(self, group: str) -> float:
        with self._lock:
            lag, at = self._lag[group]
        return lag + time.monotonic() - at

    def beat(self, group: str) -> None:
        with self._lock:
            self._heartbeat[group] = time.monotonic()

    def stale_loops(self, deadlines: dict[str, float]) -> list[str]:
        """Groups whose loop has not completed an iteration within its deadline (seconds)."""
        now = time.monotonic()
        with self._lock:
            return [g for g, limit in deadlines.items()
                    if now - self._heartbeat.get(g, now) > limit]
