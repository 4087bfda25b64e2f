"""One source per configured metric: runs its query on a refresh, keeps the resulting values, and
builds the metric family that the pre-rendered /metrics snapshot is made of.

Event sources (counters and histograms) are incremental: the first refresh seeds the totals with
one full aggregate below the watermark; each later refresh adds only the rows stamped in
[watermark, high); a periodic full recount compares and adopts the database's truth, reporting the
difference as drift. Every other shape is recomputed whole on each refresh.
"""
from __future__ import annotations

import itertools
import logging
import time
from datetime import datetime
from decimal import Decimal
from typing import Iterable

import psycopg
from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily,
                                    HistogramMetricFamily, Metric)
from prometheus_client.utils import floatToGoString

from . import queries
from .catalog import ACTIVE_TIMEFRAMES, OTHER
from .config import GroupConfig, MetricConfig

log = logging.getLogger(__name__)

LabelKey = tuple[str, ...]


def set_statement_timeout(conn: psycopg.Connection, seconds: float) -> None:
    """Applies to the rest of the current transaction only."""
    conn.execute("SELECT set_config('statement_timeout', %s, true)", [f"{int(seconds * 1000)}ms"])


def _safe_key(metric: MetricConfig, row: Iterable) -> LabelKey:
    """Label values exactly as the database's allowlist mapping returned them, checked once more:
    a value outside the allowlist must never become a label, whatever the query did."""
    key = []
    for label, value in zip(metric.spec.labels, row):
        key.append(value if value in metric.allowlists[label] else OTHER)
    return tuple(key)


class Source:
    """Base: what the refresher needs from every metric source."""

    def __init__(self, metric: MetricConfig):
        self.metric = metric

    @property
    def name(self) -> str:
        return self.metric.name

    def refresh(self, conn: psycopg.Connection, high: datetime | None, group: GroupConfig) -> int:
        """Runs the metric's queries; returns the number of source rows newly aggregated."""
        raise NotImplementedError

    def family(self) -> Metric | None:
        """The metric family as of the last successful refresh (None before the first)."""
        raise NotImplementedError


class EventsSource(Source):
    """Counters and histograms over append-only rows, read past a timestamp watermark."""

    def __init__(self, metric: MetricConfig):
        super().__init__(metric)
        self.watermark: datetime | None = None
        # label key -> [row count, value sum, cumulative count at each bucket bound...]
        self.totals: dict[LabelKey, list[Decimal]] = {}
        self.last_full_scan = 0.0  # monotonic time of the last seed or recount
        self.last_drift: float | None = None
        self._with_lower_bound = queries.events_query(metric, with_lower_bound=True)
        self._full = queries.events_query(metric, with_lower_bound=False)

    def refresh(self, conn, high, group):
        assert high is not None
        if self.watermark is None:
            self.totals = self._with_every_key(
                self._aggregate(conn, self._full, {"high": high}, group.full_scan_timeout))
            self.watermark, self.last_full_scan = high, time.monotonic()
            return int(sum(v[0] for v in self.totals.values()))
        processed = 0
        if high > self.watermark:
            window = self._aggregate(conn, self._with_lower_bound,
                                     {"low": self.watermark, "high": high}, group.statement_timeout)
            for key, vector in window.items():
                current = self.totals.setdefault(key, [Decimal(0)] * len(vector))
                for i, value in enumerate(vector):
                    current[i] += value
                processed += int(vector[0])
            self.watermark = high
        if time.monotonic() - self.last_full_scan >= group.recount_interval:
            self.recount(conn, group)
        return processed

    def recount(self, conn: psycopg.Connection, group: GroupConfig) -> float:
        """Full aggregate below the watermark: catches rows that committed after the watermark
        had passed their timestamp. Adopts the database's values and records the drift."""
        truth = self._aggregate(conn, self._full, {"high": self.watermark}, group.full_scan_timeout)
        index = self.value_index
        drift = sum(abs(truth.get(k, [Decimal(0)] * 2)[index] - self.totals.get(k, [Decimal(0)] * 2)[index])
                    for k in set(truth) | set(self.totals))
        decreased = [k for k in self.totals if truth.get(k, [Decimal(0)] * 2)[index] < self.totals[k][index]]
        if decreased:
            log.warning("recount of %s found lower totals for %d label sets (rows deleted?); "
                        "adopting them, which Prometheus sees as a counter reset", self.name, len(decreased))
        elif drift:
            log.info("recount of %s found %s missed by the incremental refreshes", self.name, drift)
        self.totals = self._with_every_key(truth)
        self.last_full_scan, self.last_drift = time.monotonic(), float(drift)
        return float(drift)

    def _with_every_key(self, totals: dict[LabelKey, list[Decimal]]) -> dict[LabelKey, list[Decimal]]:
        """Every label set the allowlists allow (and "other") starts at 0: Prometheus needs a
        sample before the first increment to see it, so a series that first appeared at 1 would
        lose that 1 to rate() and increase(). The allowlists bound how many there are."""
        width = 2 + (len(self.metric.all_bucket_bounds()) if self.metric.spec.type == "histogram" else 0)
        values = [self.metric.allowlists[label] + (OTHER,) for label in self.metric.spec.labels]
        for key in itertools.product(*values):
            totals.setdefault(key, [Decimal(0)] * width)
        return totals

    @property
    def value_index(self) -> int:
        """Which element of the totals vector is the metric's value: row count or value sum."""
        return 1 if self.metric.spec.value and self.metric.spec.type == "counter" else 0

    def _aggregate(self, conn, query, params, timeout) -> dict[LabelKey, list[Decimal]]:
        set_statement_timeout(conn, timeout)
        nlabels = len(self.metric.spec.labels)
        result: dict[LabelKey, list[Decimal]] = {}
        for row in conn.execute(query, params):
            key = _safe_key(self.metric, row[:nlabels])
            vector = [Decimal(v or 0) for v in row[nlabels:]]
            if key in result:  # two raw values mapped to the same key: cannot happen, but be safe
                vector = [a + b for a, b in zip(result[key], vector)]
            result[key] = vector
        return result

    def family(self):
        if self.watermark is None:
            return None
        spec = self.metric.spec
        if spec.type == "histogram":
            family = HistogramMetricFamily(spec.name, spec.help, labels=spec.labels)
            bounds = self.metric.all_bucket_bounds()
            for key, vector in sorted(self.totals.items()):
                own = self.metric.bucket_bounds(key[0] if key else None)
                buckets = [(floatToGoString(b), float(vector[2 + bounds.index(b)])) for b in own]
                buckets.append(("+Inf", float(vector[0])))
                family.add_metric(list(key), buckets, float(vector[1]))
            return family
        family = CounterMetricFamily(spec.name, spec.help, labels=spec.labels)
        for key, vector in sorted(self.totals.items()):
            family.add_metric(list(key), float(vector[self.value_index]))
        return family


class GaugeSource(Source):
    """Gauges recomputed whole on each refresh; label sets that vanish from the data vanish here."""

    def __init__(self, metric: MetricConfig):
        super().__init__(metric)
        self.values: dict[LabelKey, float] | None = None

    def refresh(self, conn, high, group):
        set_statement_timeout(conn, group.statement_timeout)
        self.values = self.compute(conn)
        return 0

    def compute(self, conn: psycopg.Connection) -> dict[LabelKey, float]:
        raise NotImplementedError

    def family(self):
        if self.values is None:
            return None
        spec = self.metric.spec
        labels = ("timeframe",) if spec.shape == "active_users" else spec.labels
        family = GaugeMetricFamily(spec.name, spec.help, labels=labels)
        for key, value in sorted(self.values.items()):
            family.add_metric(list(key), value)
        return family


class SnapshotSource(GaugeSource):
    def __init__(self, metric):
        super().__init__(metric)
        self._query = queries.snapshot_query(metric)

    def compute(self, conn):
        n = len(self.metric.spec.labels)
        values: dict[LabelKey, float] = {}
        for row in conn.execute(self._query):
            key = _safe_key(self.metric, row[:n])
            values[key] = values.get(key, 0.0) + float(row[n] or 0)
        return values


class ActiveUsersSource(GaugeSource):
    def __init__(self, metric):
        super().__init__(metric)
        self._query = queries.active_users_query(metric)

    def compute(self, conn):
        counts = conn.execute(self._query).fetchone()
        return {(timeframe,): float(count) for timeframe, count in zip(ACTIVE_TIMEFRAMES, counts)}


class RatioSource(GaugeSource):
    """numerator / denominator per label set; label sets with nothing reviewed are left out
    (a ratio of 0/0 is unknown, not 0)."""

    def __init__(self, metric):
        super().__init__(metric)
        self._query = queries.ratio_query(metric)

    def compute(self, conn):
        n = len(self.metric.spec.labels)
        sums: dict[LabelKey, list[int]] = {}
        for row in conn.execute(self._query):
            key = _safe_key(self.metric, row[:n])
            acc = sums.setdefault(key, [0, 0])
            acc[0] += row[n]
            acc[1] += row[n + 1]
        return {key: num / den for key, (num, den) in sums.items() if den}


class ReconciliationSource(GaugeSource):
    def __init__(self, metric):
        super().__init__(metric)
        self._query = queries.reconciliation_query(metric)

    def refresh(self, conn, high, group):
        # A full join of wallets and ledger: it gets the long timeout.
        set_statement_timeout(conn, group.full_scan_timeout)
        self.values = self.compute(conn)
        return 0

    def compute(self, conn):
        return {(): float(conn.execute(self._query).fetchone()[0])}


SOURCE_BY_SHAPE = {"events": EventsSource, "snapshot": SnapshotSource,
                   "active_users": ActiveUsersSource, "ratio": RatioSource,
                   "reconciliation": ReconciliationSource}


def make_source(metric: MetricConfig) -> Source:
    return SOURCE_BY_SHAPE[metric.spec.shape](metric)
