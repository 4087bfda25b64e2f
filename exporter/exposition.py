"""The pre-rendered /metrics body. A scrape only returns the latest bytes, so it never waits on
the database and costs the same at any table size.

The body is rendered in sections so that little work holds the interpreter lock at any time (a
render blocks the threads serving scrapes): each query group re-renders only its own metrics after
a refresh; the small health section (watermark lag, process memory) is re-rendered every second.
Each new body is also gzip-compressed here, once, so that scrapes accepting gzip (Prometheus's do)
get about a twelfth of the bytes without any scrape paying for the compression."""
from __future__ import annotations

import gzip
import threading
from typing import Callable, Iterable

from prometheus_client import CollectorRegistry, disable_created_metrics, generate_latest
from prometheus_client.core import Metric
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector


class FamiliesCollector:
    """Yields the current families of a set of metric sources (None: not refreshed yet)."""

    def __init__(self, families: Callable[[], Iterable[Metric | None]]):
        self._families = families

    def collect(self):
        for family in self._families():
            if family is not None:
                yield family


class Exposition:
    HEALTH = "__health__"

    def __init__(self):
        # `_created` series double the output and mean nothing for totals seeded from the database.
        disable_created_metrics()
        self.registry = CollectorRegistry(auto_describe=False)  # health and process metrics
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self._collectors: dict[str, object] = {self.HEALTH: self.registry}
        self._sections: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._body = b""
        self._gzip: bytes | None = None

    def add_section(self, name: str, families: Callable[[], Iterable[Metric | None]]) -> None:
        self._collectors[name] = FamiliesCollector(families)

    def render(self, *names: str) -> None:
        """Re-render the named sections (all when none are named) and the health section."""
        wanted = names or tuple(self._collectors)
        with self._lock:
            for name in {*wanted, self.HEALTH}:
                self._sections[name] = generate_latest(self._collectors[name])
            body = b"".join(self._sections.get(name, b"") for name in self._collectors)
            # mtime 0: the same body always compresses to the same bytes
            self._body, self._gzip = body, gzip.compress(body, compresslevel=6, mtime=0)

    @property
    def body(self) -> bytes:
        return self._body

    @property
    def gzip_body(self) -> bytes | None:
        return self._gzip
