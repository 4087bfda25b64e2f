"""The pre-rendered /metrics body. Refresh loops re-render it after each refresh; a scrape only
copies the latest bytes, so it never waits on the database and costs the same at any table size."""
from __future__ import annotations

import threading
from typing import Callable, Iterable

from prometheus_client import CollectorRegistry, disable_created_metrics, generate_latest
from prometheus_client.core import Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.platform_collector import PlatformCollector


class BusinessCollector:
    """Yields the current family of every metric source (in config order)."""

    def __init__(self, families: Callable[[], Iterable[Metric | None]]):
        self._families = families

    def collect(self):
        for family in self._families():
            if family is not None:
                yield family


class Exposition:
    def __init__(self):
        # `_created` series double the output and mean nothing for totals seeded from the database.
        disable_created_metrics()
        self.registry = CollectorRegistry(auto_describe=False)
        ProcessCollector(registry=self.registry)  # RSS, CPU, open fds: as of the last render
        PlatformCollector(registry=self.registry)
        self._lock = threading.Lock()
        self._body = b""

    def add_business_metrics(self, families: Callable[[], Iterable[Metric | None]]) -> None:
        self.registry.register(BusinessCollector(families))

    def render(self) -> None:
        with self._lock:  # one render at a time; readers never block on it
            self._body = generate_latest(self.registry)

    @property
    def body(self) -> bytes:
        return self._body
