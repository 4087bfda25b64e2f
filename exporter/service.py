"""Wires the exporter together: HTTP server first (so /metrics shows database_up 0 even before
the database answers), then the start-up schema check, then one refresh loop per query group."""
from __future__ import annotations

import logging
import threading

from . import DEFAULT_PORT, queries
from .config import Config, ConfigError
from .database import connect_once, make_pool
from .exposition import Exposition
from .health import Health
from .index_check import missing_indexes, warning as index_warning
from .refresher import GroupRefresher
from .schema_check import check_schema
from .server import HttpServer, make_routes
from .sources import make_source

log = logging.getLogger(__name__)


class Exporter:
    def __init__(self, config: Config, conninfo: str, host: str = "0.0.0.0", port: int = DEFAULT_PORT):
        self.config = config
        self.conninfo = conninfo
        self.stop_event = threading.Event()
        self.fatal_error: ConfigError | None = None

        self.exposition = Exposition()
        self.sources = [make_source(metric) for metric in config.metrics]
        used_groups = [g for g in config.groups if config.metrics_of(g)]
        self.health = Health(self.exposition.registry, used_groups,
                             [s.name for s in self.sources if s.recounts])
        for group in used_groups:
            self.exposition.add_section(group, lambda g=group: [
                s.family() for s in self.sources if s.metric.group == g])

        self.pool = make_pool(conninfo, config.connect_timeout, size=len(used_groups))
        self.refreshers = [
            GroupRefresher(config.groups[g], [s for s in self.sources if s.metric.group == g],
                           self.pool, self.health, lambda g=g: self.exposition.render(g), self.stop_event,
                           connect_wait=config.connect_timeout + 1)
            for g in used_groups]
        self.http = HttpServer(host, port, make_routes(lambda: self.exposition.body, self.liveness_problems,
                                                       lambda: self.exposition.gzip_body))
        self._startup = threading.Thread(target=self._start_refreshing, name="startup", daemon=True)
        self._ticker = threading.Thread(target=self._render_every_second, name="render", daemon=True)

    @property
    def port(self) -> int:
        return self.http.port

    def start(self) -> "Exporter":
        self.exposition.render()
        self.http.start()
        self._startup.start()
        self._ticker.start()
        return self

    def wait(self) -> int:
        """Blocks until stop() or a fatal configuration error; returns the exit code."""
        self.stop_event.wait()
        return 2 if self.fatal_error else 0

    def stop(self) -> None:
        self.stop_event.set()
        for refresher in self.refreshers:
            if refresher.thread.is_alive():
                refresher.thread.join(timeout=10)
        self.pool.close(timeout=5)
        self.http.stop()

    def liveness_problems(self) -> list[str]:
        problems = [f"configuration error: {self.fatal_error}"] if self.fatal_error else []
        for refresher in self.refreshers:
            if refresher.thread.ident is not None and not refresher.thread.is_alive() \
                    and not self.stop_event.is_set():
                problems.append(f"refresh loop of group {refresher.group.name} has died")
        stale = self.health.stale_loops({r.group.name: r.liveness_deadline for r in self.refreshers})
        problems += [f"refresh loop of group {g} is stuck" for g in stale]
        return problems

    def _use_horizon(self, exists: bool, callable_: bool, sees_all: bool) -> None:
        if exists and callable_:
            if not sees_all:
                log.warning("%s() is owned by a role that is neither a superuser nor a member of "
                            "pg_read_all_stats: it sees only that role's own transactions, so other "
                            "roles' late commits are covered by safety_lag and the recount only "
                            "(recreate it with exporter/reader_role.sql as a superuser)",
                            queries.HORIZON_FUNCTION)
            return
        log.warning("%s() is %s: the exporter cannot see other sessions' open transactions, so late "
                    "commits are covered by safety_lag and the periodic recount only (run "
                    "exporter/reader_role.sql as a superuser)", queries.HORIZON_FUNCTION,
                    "not executable by this role" if exists else "missing")
        for refresher in self.refreshers:
            refresher.watermark_query = queries.WATERMARK_HIGH_WITHOUT_HORIZON

    def _render_every_second(self) -> None:
        """Refreshes re-render right away; this keeps time-based values (watermark lag, process
        memory) current between refreshes and through an outage."""
        while not self.stop_event.wait(1.0):
            self.exposition.render(Exposition.HEALTH)

    def _start_refreshing(self) -> None:
        delay = 1.0
        while not self.stop_event.is_set():
            try:
                with connect_once(self.conninfo, self.config.connect_timeout) as conn:
                    check_schema(conn, self.config)
                    for index in missing_indexes(conn, self.config):
                        log.warning("%s", index_warning(index))
                    horizon = conn.execute(queries.HORIZON_CHECK).fetchone()
                break
            except ConfigError as exc:
                log.error("%s", exc)
                self.fatal_error = exc
                self.stop_event.set()
                return
            except Exception as exc:  # an outage at start: serve database_up 0 and keep trying
                self.health.database_up.set(0)
                self.exposition.render(Exposition.HEALTH)
                log.warning("database not reachable yet (retrying in %.0fs): %s", delay,
                            str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__)
                self.stop_event.wait(delay)
                delay = min(delay * 2, 30.0)
        if self.stop_event.is_set():
            return
        self._use_horizon(*horizon)
        self.health.database_up.set(1)
        self.pool.open(wait=False)
        for refresher in self.refreshers:
            refresher.start()
        log.info("refreshing %d metrics in %d query groups", len(self.sources), len(self.refreshers))
