"""One source per configured metric: runs its query on a refresh, keeps the resulting values, and
builds the metric family that the pre-rendered /metrics snapshot is made of.

Event sources (counters and histograms) are incremental: the first refresh seeds the totals with
one full aggregate below the watermark; each later refresh adds only the rows stamped in
[watermark, high); a periodic full recount compares and adopts the database's truth, reporting the
difference as drift. The balance, ratio and reconciliation gauges follow the same pattern over the
ledger, the review timestamps and the changed wallets, and the KYC counts over the log of status
changes; active users from the log of activity updates and the index's window tails.

Full scans (seeds, recounts, the full reconciliation) take a database-wide advisory lock first, so
at most one runs at a time on the database, from any replica: that is what bounds start-up.
"""
from __future__ import annotations

import itertools
import logging
import time
from datetime import datetime, timedelta
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


def begin_full_scan(conn: psycopg.Connection, seconds: float) -> None:
    """Waits for the database-wide full-scan lock (held until this refresh's transaction ends);
    the wait counts against the same timeout as the scan."""
    set_statement_timeout(conn, seconds)
    conn.execute(queries.FULL_SCAN_LOCK)


def _safe_key(metric: MetricConfig, row: Iterable) -> LabelKey:
    """Label values exactly as the database's allowlist mapping returned them, checked once more:
    a value outside the allowlist must never become a label, whatever the query did."""
    key = []
    for label, value in zip(metric.spec.labels, row):
        key.append(value if value in metric.allowlists[label] else OTHER)
    return tuple(key)


class Source:
    """Base: what the refresher needs from every metric source."""

    needs_watermark = False  # refreshes get `high`, the upper end of the next window
    recounts = False  # reports business_exporter_recount_drift{metric}

    def __init__(self, metric: MetricConfig):
        self.metric = metric
        self.watermark: datetime | None = None
        self.last_full_scan = 0.0  # monotonic time of the last seed or recount
        self.last_drift: float | None = None

    def full_scan_due(self, group: GroupConfig) -> bool:
        return time.monotonic() - self.last_full_scan >= group.recount_interval

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

    needs_watermark = recounts = True
    monotonic = True  # counters: a total that went down means rows were deleted

    def __init__(self, metric: MetricConfig):
        super().__init__(metric)
        # label key -> [row count, value sum, cumulative count at each bucket bound...]
        self.totals: dict[LabelKey, list[Decimal]] = {}
        self._with_lower_bound = queries.events_query(metric, with_lower_bound=True)
        self._full = queries.events_query(metric, with_lower_bound=False)

    def refresh(self, conn, high, group):
        assert high is not None
        if self.watermark is None:
            begin_full_scan(conn, group.full_scan_timeout)
            self.totals = self._with_every_key(
                self._aggregate(conn, self._full, {"high": high}, group.full_scan_timeout))
            self.watermark, self.last_full_scan = high, time.monotonic()
            return sum(self._rows(v) for v in self.totals.values())
        processed = 0
        if high > self.watermark:
            window = self._aggregate(conn, self._with_lower_bound,
                                     {"low": self.watermark, "high": high}, group.statement_timeout)
            for key, vector in window.items():
                current = self.totals.setdefault(key, [Decimal(0)] * len(vector))
                for i, value in enumerate(vector):
                    current[i] += value
                processed += self._rows(vector)
            self.watermark = high
        if self.full_scan_due(group):
            self.recount(conn, group)
        return processed

    def recount(self, conn: psycopg.Connection, group: GroupConfig) -> float:
        """Full aggregate below the watermark: catches rows that committed after the watermark
        had passed their timestamp. Adopts the database's values and records the drift."""
        begin_full_scan(conn, group.full_scan_timeout)
        truth = self._aggregate(conn, self._full, {"high": self.watermark}, group.full_scan_timeout)
        index = self.value_index
        drift = sum(abs(truth.get(k, [Decimal(0)] * 2)[index] - self.totals.get(k, [Decimal(0)] * 2)[index])
                    for k in set(truth) | set(self.totals))
        decreased = [k for k in self.totals if truth.get(k, [Decimal(0)] * 2)[index] < self.totals[k][index]]
        if decreased and self.monotonic:
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

    @staticmethod
    def _rows(vector: list[Decimal]) -> int:
        """How many source rows a totals vector aggregates."""
        return int(vector[0])

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


class ActiveUsersSource(Source):
    """Users active within the last day, week and month, as of the watermark. Seeded by counting
    ranges of the last_active_at index (start-up and the recount only: it reads an entry per
    monthly active user). last_active_at is overwritten in place, so each refresh reads the log of
    activity updates instead (each with its previous value, schema.sql): a user whose first update
    since the watermark found them outside a window entered it; a user inside a window at the
    watermark left it when their last activity slid out by `high`, which a small range of the
    index at the window's tail finds (plus those updated only after `high`, from the log). So a
    refresh reads what changed, not every active user (queries.active_users_delta_query). The
    recount compares the full count."""

    needs_watermark = recounts = True

    def __init__(self, metric):
        super().__init__(metric)
        self.counts: list[int] | None = None
        self._seed = queries.active_users_seed_query(metric)
        self._delta = queries.active_users_delta_query(metric)

    def refresh(self, conn, high, group):
        assert high is not None
        if self.counts is None:
            begin_full_scan(conn, group.full_scan_timeout)
            self.counts = list(conn.execute(self._seed, {"high": high}).fetchone())
            self.watermark, self.last_full_scan = high, time.monotonic()
            return 0
        processed = 0
        if high > self.watermark:
            set_statement_timeout(conn, group.statement_timeout)
            *deltas, processed = conn.execute(self._delta, {"low": self.watermark, "high": high}).fetchone()
            self.counts = [count + delta for count, delta in zip(self.counts, deltas)]
            self.watermark = high
        if self.full_scan_due(group):
            begin_full_scan(conn, group.full_scan_timeout)
            truth = list(conn.execute(self._seed, {"high": self.watermark}).fetchone())
            self.last_drift = float(sum(abs(a - b) for a, b in zip(truth, self.counts)))
            if self.last_drift:
                log.warning("recount of %s differs from the incremental counts by %d (activity set "
                            "without the log, or back-dated?)", self.name, self.last_drift)
            self.counts, self.last_full_scan = truth, time.monotonic()
        return processed

    def family(self):
        if self.counts is None:
            return None
        family = GaugeMetricFamily(self.metric.spec.name, self.metric.spec.help, labels=("timeframe",))
        for timeframe, count in zip(ACTIVE_TIMEFRAMES, self.counts):
            family.add_metric([timeframe], float(count))
        return family


class TransitionsSource(EventsSource):
    """A gauge of how many rows are in each state, kept from an append-only log of state changes
    (the state entered and the state left): seeded by one full aggregate below the watermark,
    then each refresh reads only the changes stamped in [watermark, high) (one index range) and
    adds 1 to the state entered and takes 1 from the state left. The periodic recount aggregates
    the whole log again and reports the difference as drift. Every allowlisted state is exported,
    at 0 when no row is in it."""

    monotonic = False

    def __init__(self, metric):
        super().__init__(metric)
        self._with_lower_bound = queries.transitions_query(metric, with_lower_bound=True)
        self._full = queries.transitions_query(metric, with_lower_bound=False)

    def _aggregate(self, conn, query, params, timeout):
        set_statement_timeout(conn, timeout)
        allowed = self.metric.allowlists[self.metric.spec.labels[0]]
        result: dict[LabelKey, list[Decimal]] = {}
        for entered, left, count in conn.execute(query, params):
            for state, sign in ((entered, 1), (left, -1)):
                if state is None and sign < 0:  # a row's first state: nothing was left
                    continue
                vector = result.setdefault((state if state in allowed else OTHER,), [Decimal(0), Decimal(0)])
                vector[0] += sign * count  # the gauge: rows now in the state
                vector[1] += count if sign > 0 else 0  # rows read, for rows_processed
        return result

    @staticmethod
    def _rows(vector):
        return int(vector[1])

    def family(self):
        if self.watermark is None:
            return None
        spec = self.metric.spec
        family = GaugeMetricFamily(spec.name, spec.help, labels=spec.labels)
        for key, vector in sorted(self.totals.items()):
            family.add_metric(list(key), float(vector[0]))
        return family


class BalanceSource(Source):
    """Sum of wallet balances per label set: seeded from the balances as of the watermark, then
    moved by the ledger entries of each window (one index range, joined to the wallets by key).
    A balance changed without a ledger entry shows at the next recount, as drift (and in
    wallet_balance_reconciliation_failures at once)."""

    needs_watermark = recounts = True

    def __init__(self, metric):
        super().__init__(metric)
        self.values: dict[LabelKey, Decimal] | None = None
        self._total = queries.balance_total_query(metric)
        self._delta = queries.balance_delta_query(metric)

    def refresh(self, conn, high, group):
        assert high is not None
        if self.values is None:
            begin_full_scan(conn, group.full_scan_timeout)
            self.values, self.watermark = self._sums(conn, self._total, {"high": high}), high
            self.last_full_scan = time.monotonic()
            return 0
        processed = 0
        if high > self.watermark:
            set_statement_timeout(conn, group.statement_timeout)
            for key, delta in self._sums(conn, self._delta, {"low": self.watermark, "high": high}).items():
                self.values[key] = self.values.get(key, Decimal(0)) + delta
                processed += 1
            self.watermark = high
        if self.full_scan_due(group):
            begin_full_scan(conn, group.full_scan_timeout)
            truth = self._sums(conn, self._total, {"high": self.watermark})
            self.last_drift = float(sum(abs(truth.get(k, Decimal(0)) - self.values.get(k, Decimal(0)))
                                        for k in set(truth) | set(self.values)))
            self.values, self.last_full_scan = truth, time.monotonic()
        return processed

    def _sums(self, conn, query, params) -> dict[LabelKey, Decimal]:
        n = len(self.metric.spec.labels)
        sums: dict[LabelKey, Decimal] = {}
        for row in conn.execute(query, params):
            key = _safe_key(self.metric, row[:n])
            sums[key] = sums.get(key, Decimal(0)) + Decimal(row[n] or 0)
        return sums

    def family(self):
        if self.values is None:
            return None
        spec = self.metric.spec
        family = GaugeMetricFamily(spec.name, spec.help, labels=spec.labels)
        for key, value in sorted(self.values.items()):
            family.add_metric(list(key), float(value))
        return family


class RatioSource(Source):
    """numerator / denominator per label set over a sliding window of review times. Seeded from
    the whole window; each refresh adds the reviews stamped in [watermark, high) and removes those
    stamped in the same interval one window earlier: two index ranges. Relies on reviewed_at being
    set once (at review, no earlier than the reviewing transaction's start); a re-review shows at
    the recount. Label sets with nothing reviewed are left out (0/0 is unknown, not 0)."""

    needs_watermark = recounts = True

    def __init__(self, metric):
        super().__init__(metric)
        self.counts: dict[LabelKey, list[int]] | None = None
        self._window = timedelta(seconds=metric.window)
        self._query = queries.ratio_window_query(metric)

    def refresh(self, conn, high, group):
        assert high is not None
        if self.counts is None:
            begin_full_scan(conn, group.full_scan_timeout)
            self.counts, self.watermark = self._between(conn, high - self._window, high), high
            self.last_full_scan = time.monotonic()
            return 0
        processed = 0
        if high > self.watermark:
            set_statement_timeout(conn, group.statement_timeout)
            entered = self._between(conn, self.watermark, high)
            left = self._between(conn, self.watermark - self._window, high - self._window)
            for sign, part in ((1, entered), (-1, left)):
                for key, (num, den) in part.items():
                    acc = self.counts.setdefault(key, [0, 0])
                    acc[0] += sign * num
                    acc[1] += sign * den
                    processed += den
            self.watermark = high
        if self.full_scan_due(group):
            begin_full_scan(conn, group.full_scan_timeout)
            truth = self._between(conn, self.watermark - self._window, self.watermark)
            self.last_drift = float(sum(abs(a - b) for k in set(truth) | set(self.counts)
                                        for a, b in zip(truth.get(k, [0, 0]), self.counts.get(k, [0, 0]))))
            self.counts, self.last_full_scan = truth, time.monotonic()
        return processed

    def _between(self, conn, low: datetime, high: datetime) -> dict[LabelKey, list[int]]:
        n = len(self.metric.spec.labels)
        sums: dict[LabelKey, list[int]] = {}
        for row in conn.execute(self._query, {"low": low, "high": high}):
            acc = sums.setdefault(_safe_key(self.metric, row[:n]), [0, 0])
            acc[0] += row[n]
            acc[1] += row[n + 1]
        return sums

    def family(self):
        if self.counts is None:
            return None
        spec = self.metric.spec
        family = GaugeMetricFamily(spec.name, spec.help, labels=spec.labels)
        for key, (num, den) in sorted(self.counts.items()):
            if den > 0:
                family.add_metric(list(key), num / den)
        return family


class ReconciliationSource(Source):
    """Wallets whose balance differs from the sum of their ledger. Each refresh compares only the
    wallets with a ledger entry or a balance update (wallets.updated_at) stamped in
    [watermark, high), under the same open-transaction guard as the counters, and keeps the set of
    failing wallet ids (normally tiny). The full comparison (a whole-ledger scan) runs at start and
    on the group's recount_interval; how many wallets it judged differently from the incremental
    answer is reported as drift (wallets changed during the lag are left out of that count)."""

    needs_watermark = recounts = True

    def __init__(self, metric):
        super().__init__(metric)
        self.failing: set[int] | None = None
        self._full = queries.reconciliation_full_query(metric)
        self._changed = queries.reconciliation_changed_query(metric)

    def refresh(self, conn, high, group):
        assert high is not None
        if self.failing is None:
            begin_full_scan(conn, group.full_scan_timeout)
            self.failing = {wallet for (wallet,) in conn.execute(self._full)}
            self.watermark, self.last_full_scan = high, time.monotonic()
            return 0
        processed = 0
        if high > self.watermark:
            set_statement_timeout(conn, group.statement_timeout)
            for wallet, differs in conn.execute(self._changed, {"low": self.watermark, "high": high}):
                (self.failing.add if differs else self.failing.discard)(wallet)
                processed += 1
            self.watermark = high
        if self.full_scan_due(group):
            begin_full_scan(conn, group.full_scan_timeout)
            full = {wallet for (wallet,) in conn.execute(self._full)}
            # wallets changed after the watermark are judged by the next incremental refresh
            recent = {wallet for wallet, _ in conn.execute(
                self._changed, {"low": self.watermark, "high": self.watermark + timedelta(days=36500)})}
            self.last_drift = float(len((full ^ self.failing) - recent))
            if self.last_drift:
                log.warning("full reconciliation found %d wallets judged differently by the incremental "
                            "one (balance changed without updated_at or a ledger entry?)", self.last_drift)
            self.failing, self.last_full_scan = full, time.monotonic()
        return processed

    def family(self):
        if self.failing is None:
            return None
        family = GaugeMetricFamily(self.metric.spec.name, self.metric.spec.help, labels=())
        family.add_metric([], float(len(self.failing)))
        return family


SOURCE_BY_SHAPE = {"events": EventsSource, "snapshot": SnapshotSource, "balances": BalanceSource,
                   "active_users": ActiveUsersSource, "ratio": RatioSource,
                   "reconciliation": ReconciliationSource, "transitions": TransitionsSource}


def make_source(metric: MetricConfig) -> Source:
    return SOURCE_BY_SHAPE[metric.spec.shape](metric)
