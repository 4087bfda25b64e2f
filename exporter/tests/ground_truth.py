"""What /metrics must show, computed independently of the exporter: raw rows of the reference
schema read with plain SQL, then counted, summed and bucketed here in Python."""
from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import psycopg

from exporter.config import Config

Samples = dict[tuple[str, frozenset], float]


def _allow(config: Config, metric: str, label: str, value) -> str:
    allowed = next(m for m in config.metrics if m.name == metric).allowlists[label]
    return value if value in allowed else "other"


def _every_label_set(config: Config, metric: str, labels) -> list[tuple[str, ...]]:
    allowlists = next(m for m in config.metrics if m.name == metric).allowlists
    return list(itertools.product(*(allowlists[label] + ("other",) for label in labels)))


def _labels(**labels) -> frozenset:
    return frozenset(labels.items())


def _totals(config, metric, sample, rows, labels, value_index=None) -> Samples:
    """Counter samples: rows are tuples of label values (then optionally a value to sum)."""
    totals: dict[frozenset, Decimal] = defaultdict(Decimal)
    for key in _every_label_set(config, metric, labels):  # exported at 0 before their first row
        totals[_labels(**dict(zip(labels, key)))] = Decimal(0)
    for row in rows:
        key = _labels(**{l: _allow(config, metric, l, v) for l, v in zip(labels, row)})
        totals[key] += Decimal(1) if value_index is None else row[value_index]
    return {(sample, k): float(v) for k, v in totals.items()}


def _histogram(config, metric, rows, label: str | None) -> Samples:
    """rows: (label value or None, observed value as Decimal)."""
    conf = next(m for m in config.metrics if m.name == metric)
    per_key: dict[str | None, list[Decimal]] = defaultdict(list)
    for (key,) in (_every_label_set(config, metric, (label,)) if label else [(None,)]):
        per_key[key] = []
    for label_value, value in rows:
        per_key[_allow(config, metric, label, label_value) if label else None].append(value)
    samples: Samples = {}
    for key, values in per_key.items():
        base = {label: key} if label else {}
        for bound in conf.bucket_bounds(key):
            le = repr(float(bound))  # scrapes are compared with `le` normalised the same way
            count = sum(1 for v in values if v <= Decimal(str(bound)))
            samples[(f"{metric}_bucket", _labels(**base, le=le))] = float(count)
        samples[(f"{metric}_bucket", _labels(**base, le=repr(float("inf"))))] = float(len(values))
        samples[(f"{metric}_count", _labels(**base))] = float(len(values))
        samples[(f"{metric}_sum", _labels(**base))] = float(sum(values, Decimal(0)))
    return samples


def _seconds(delta: timedelta) -> Decimal:
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds) / Decimal(10**6)


def expected_samples(conn: psycopg.Connection, config: Config) -> Samples:
    q = lambda sql: conn.execute(sql).fetchall()  # noqa: E731
    now = datetime.now(timezone.utc)
    s: Samples = {}
    s |= _totals(config, "payment_transactions_total", "payment_transactions_total",
                 q("SELECT status, currency, payment_method FROM payment_events"),
                 ("status", "currency", "payment_method"))
    s |= _histogram(config, "payment_transaction_amount",
                    q("SELECT currency, amount FROM payments"), "currency")
    s |= _histogram(config, "payment_processing_time_seconds",
                    [(None, _seconds(done - created)) for created, done in
                     q("SELECT created_at, completed_at FROM payments WHERE completed_at IS NOT NULL")],
                    None)

    balances: dict[frozenset, Decimal] = defaultdict(Decimal)
    for currency, user_type, balance in q("SELECT currency, user_type, balance FROM wallets"):
        balances[_labels(currency=_allow(config, "wallet_balance_total", "currency", currency),
                         user_type=_allow(config, "wallet_balance_total", "user_type", user_type))] += balance
    s |= {("wallet_balance_total", k): float(v) for k, v in balances.items()}
    s |= _totals(config, "wallet_operations_total", "wallet_operations_total",
                 q("SELECT operation_type FROM wallet_ledger"), ("operation_type",))
    s |= _totals(config, "wallet_balance_changes", "wallet_balance_changes_total",
                 q("SELECT currency, change_type, abs(amount) FROM wallet_ledger"),
                 ("currency", "change_type"), value_index=2)
    ledger_sums: dict[int, Decimal] = defaultdict(Decimal)
    for wallet_id, amount in q("SELECT wallet_id, amount FROM wallet_ledger"):
        ledger_sums[wallet_id] += amount
    failures = sum(1 for wallet_id, balance in q("SELECT id, balance FROM wallets")
                   if balance != ledger_sums.get(wallet_id, Decimal(0)))
    s[("wallet_balance_reconciliation_failures", frozenset())] = float(failures)

    # reversals (negative amounts) count as direction="debit", by their absolute value
    s |= _totals(config, "revenue_total", "revenue_total",
                 [(src, cur, "debit" if amount < 0 else "credit", abs(amount)) for src, cur, amount in
                  q("SELECT source, currency, amount FROM revenue_entries")],
                 ("source", "currency", "direction"), value_index=3)
    s |= _totals(config, "fee_collection_total", "fee_collection_total",
                 [(fee, cur, "debit" if amount < 0 else "credit", abs(amount)) for fee, cur, amount in
                  q("SELECT fee_type, currency, amount FROM fees")],
                 ("fee_type", "currency", "direction"), value_index=3)

    s |= _totals(config, "user_registrations_total", "user_registrations_total",
                 q("SELECT source, user_type FROM users"), ("source", "user_type"))
    last_active = [a for (a,) in q("SELECT last_active_at FROM users") if a is not None]
    for timeframe, days in (("day", 1), ("week", 7), ("month", 30)):
        s[("user_active_total", _labels(timeframe=timeframe))] = float(
            sum(1 for a in last_active if a >= now - timedelta(days=days)))
    # every allowlisted status is exported, at 0 when no user is in it
    s |= _totals(config, "user_verification_status", "user_verification_status",
                 q("SELECT kyc_status FROM users"), ("kyc_status",))

    s |= _totals(config, "fraud_alerts_total", "fraud_alerts_total",
                 q("SELECT risk_level, model_version FROM fraud_alerts"), ("risk_level", "model_version"))
    reviewed = q("SELECT model_version, detection_type, outcome, reviewed_at FROM fraud_alerts "
                 "WHERE reviewed_at IS NOT NULL")
    recent = [r for r in reviewed if r[3] >= now - timedelta(days=30)]
    for metric, label, index, hit in (("fraud_detection_accuracy", "model_version", 0, "confirmed_fraud"),
                                      ("false_positive_rate", "detection_type", 1, "false_positive")):
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in recent:
            if row[2] in ("confirmed_fraud", "false_positive"):
                c = counts[_allow(config, metric, label, row[index])]
                c[0] += row[2] == hit
                c[1] += 1
        s |= {(metric, _labels(**{label: k})): n / d for k, (n, d) in counts.items()}
    return s
