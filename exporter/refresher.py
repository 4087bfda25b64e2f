"""The background loop of one query group: refresh its metrics on the group's interval, in one
read-only transaction, and never let an error escape (the last values stay served)."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

import psycopg
import psycopg_pool

from . import queries
from .config import GroupConfig
from .health import Health
from .sources import Source

log = logging.getLogger(__name__)


class GroupRefresher:
    def __init__(self, group: GroupConfig, sources: list[Source], pool: psycopg_pool.ConnectionPool,
                 health: Health, on_refresh: Callable[[], None], stop: threading.Event,
                 connect_wait: float):
        self.group = group
        self.connect_wait = connect_wait
        self.sources = sources
        self.pool = pool
        self.health = health
        self.on_refresh = on_refresh
        self.stop = stop
        self.thread = threading.Thread(target=self._loop, name=f"refresh-{group.name}", daemon=True)
        self._incremental = any(s.needs_watermark for s in sources)
        self.watermark_query = queries.WATERMARK_HIGH  # the service drops the horizon if it is missing

    @property
    def liveness_deadline(self) -> float:
        """Longest a healthy iteration can take: waiting for a connection, the slowest query
        (a full scan when seeding or recounting) and the pause between refreshes."""
        return self.group.interval + 2 * self.group.full_scan_timeout + 60

    def start(self) -> None:
        self.thread.start()

    def _loop(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            self.refresh_once()
            self.health.beat(self.group.name)
            self.on_refresh()
            self.stop.wait(max(0.0, self.group.interval - (time.monotonic() - started)))

    def refresh_once(self) -> bool:
        name = self.group.name
        started = time.monotonic()
        try:
            processed = self._refresh()
        except Exception as exc:  # never let the loop die: keep the last values, report, retry
            self.health.refresh_errors.labels(name).inc()
            if _database_unreachable(exc):
                self.health.database_up.set(0)
            else:
                self.health.database_up.set(1)
            log.warning("refresh of group %s failed: %s: %s", name, type(exc).__name__,
                        str(exc).strip().splitlines()[0] if str(exc).strip() else "")
            return False
        finally:
            self.health.refresh_duration.labels(name).set(time.monotonic() - started)
        self.health.database_up.set(1)
        self.health.rows_processed.labels(name).inc(processed)
        self.health.last_success.labels(name).set(time.time())
        return True

    def _refresh(self) -> int:
        processed = 0
        # Waiting longer than a connection attempt takes would only slow down the outage report.
        with self.pool.connection(timeout=self.connect_wait) as conn:
            with conn.transaction():
                high = db_now = None
                if self._incremental:
                    db_now, high = conn.execute(self.watermark_query, {
                        "lag": self.group.safety_lag, "hold": self.group.max_watermark_hold}).fetchone()
                for source in self.sources:
                    processed += source.refresh(conn, high, self.group)
                    if source.recounts and source.last_drift is not None:
                        self.health.recount_drift.labels(source.name).set(source.last_drift)
                watermarks = [s.watermark for s in self.sources
                              if s.needs_watermark and s.watermark is not None]
                if db_now is not None and watermarks:
                    self.health.track_watermark(self.group.name, db_now, min(watermarks))
        return processed


def _database_unreachable(exc: Exception) -> bool:
    """A statement timeout means the database is up but slow; connection trouble means down."""
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return False
    return isinstance(exc, (psycopg.OperationalError, psycopg_pool.PoolTimeout, psycopg.InterfaceError))
