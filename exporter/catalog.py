"""The business metrics this exporter can produce: names, types and labels from
docs/metrics-contract.md, and the shape of query that computes each one.

The catalog is code on purpose: operators choose *where* the data lives (tables and columns, in the
YAML mapping), never *what* a metric means or which labels it carries.

Shapes:
  events        counter/histogram over an append-only table, read incrementally past a timestamp
                watermark; `value` (an SQL template over the roles) is summed or bucketed.
  snapshot      gauge recomputed whole on each refresh (count, or sum of `value`, per label set).
  balances      gauge: sum of wallet balances, seeded once, then moved by the ledger entries past a
                watermark (recounted in full on the group's recount_interval).
  active_users  gauge: users active within the last day, week and month (rolling 24h, 7d, 30d),
                seeded by counting ranges of the last_active_at index, then moved by the log of
                activity updates (each with the previous last_active_at) and the users whose last
                activity slid out of a window: small index ranges per refresh.
  transitions   gauge: how many rows are in each state, kept from an append-only table of state
                changes (the state entered and the one left): +1 for the state entered, -1 for
                the one left, read incrementally past a timestamp watermark like `events`.
  ratio         gauge: share of reviewed rows (within a sliding time window) whose outcome is in a
                set; kept by adding the reviews that enter the window and removing those that leave.
  reconciliation gauge: wallets whose stored balance differs from the sum of their ledger entries;
                only wallets changed since the last refresh are compared, with a full comparison on
                the group's recount_interval.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricSpec:
    name: str
    type: str  # counter | gauge | histogram
    help: str
    shape: str
    labels: tuple[str, ...] = ()
    # Column roles besides the labels, each mapped to a column by the config. Every role lives in
    # the metric's `table`, except those listed in `ledger_roles` (reconciliation only).
    roles: tuple[str, ...] = ()
    ledger_roles: tuple[str, ...] = ()
    # The config key naming the table of the ledger_roles (a ledger, or a log of updates).
    second_table: str = "ledger_table"
    timestamp_role: str | None = None  # events: the watermark column
    value: str | None = None  # SQL template over {role} placeholders; None means count rows
    default_buckets: tuple[float, ...] = ()
    required_buckets: tuple[float, ...] = ()  # histogram bounds the SLOs rely on
    # Labels computed from the roles rather than read from a column: label -> (SQL template over
    # {role} placeholders, its fixed allowlist). The operator maps no column to them.
    computed_labels: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    @property
    def column_labels(self) -> tuple[str, ...]:
        computed = {name for name, _, _ in self.computed_labels}
        return tuple(label for label in self.labels if label not in computed)

    @property
    def incremental(self) -> bool:
        return self.shape == "events"

    @property
    def all_roles(self) -> tuple[str, ...]:
        return self.column_labels + self.roles + self.ledger_roles


# Amounts that may be negative (reversals, refunds of fees) are split by sign, so each series
# only ever grows: `credit` sums the positive amounts, `debit` the absolute value of the negative
# ones; net = credit - debit. A counter that went down would read as a reset to Prometheus.
DIRECTION = ("direction", "CASE WHEN {amount} < 0 THEN 'debit' ELSE 'credit' END", ("credit", "debit"))

AMOUNT_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000, 100000)
LATENCY_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10, 30, 60, 300)

CATALOG: dict[str, MetricSpec] = {spec.name: spec for spec in [
    # -- payments ---------------------------------------------------------------------------
    MetricSpec(
        "payment_transactions_total", "counter",
        "Payment status changes, by the status entered (every payment enters pending first).",
        shape="events", labels=("status", "currency", "payment_method"),
        roles=("occurred_at",), timestamp_role="occurred_at"),
    MetricSpec(
        "payment_transaction_amount", "histogram",
        "Amounts of created payments, in units of their currency.",
        shape="events", labels=("currency",), roles=("created_at", "amount"),
        timestamp_role="created_at", value="{amount}", default_buckets=AMOUNT_BUCKETS),
    MetricSpec(
        "payment_processing_time_seconds", "histogram",
        "Time from a payment's creation to its completion or failure.",
        shape="events", roles=("created_at", "completed_at"), timestamp_role="completed_at",
        value="extract(epoch from {completed_at} - {created_at})",
        default_buckets=LATENCY_BUCKETS, required_buckets=(0.2, 0.5)),
    # -- wallets ----------------------------------------------------------------------------
    MetricSpec(
        "wallet_balance_total", "gauge",
        "Sum of wallet balances per currency (never summed across currencies).",
        shape="balances", labels=("currency", "user_type"), roles=("balance", "id"),
        ledger_roles=("ledger_wallet_id", "ledger_amount", "ledger_created_at")),
    MetricSpec(
        "wallet_operations_total", "counter", "Wallet ledger operations, by operation type.",
        shape="events", labels=("operation_type",), roles=("created_at",),
        timestamp_role="created_at"),
    MetricSpec(
        "wallet_balance_changes", "counter",
        "Money moved in and out of wallets (absolute ledger amounts), by currency and direction.",
        shape="events", labels=("currency", "change_type"), roles=("created_at", "amount"),
        timestamp_role="created_at", value="abs({amount})"),
    MetricSpec(
        "wallet_balance_reconciliation_failures", "gauge",
        "Wallets whose stored balance differs from the sum of their ledger entries.",
        shape="reconciliation", roles=("id", "balance", "updated_at"),
        ledger_roles=("ledger_wallet_id", "ledger_amount", "ledger_created_at")),
    # -- revenue ----------------------------------------------------------------------------
    MetricSpec(
        "revenue_total", "counter",
        "Recognised revenue by source and currency; direction=debit holds reversals (as positive "
        "amounts), so net revenue is credit - debit.",
        shape="events", labels=("source", "currency", "direction"), roles=("recognized_at", "amount"),
        timestamp_role="recognized_at", value="abs({amount})", computed_labels=(DIRECTION,)),
    MetricSpec(
        "fee_collection_total", "counter",
        "Fees collected by fee type and currency; direction=debit holds refunded fees (as positive "
        "amounts), so net fees are credit - debit.",
        shape="events", labels=("fee_type", "currency", "direction"), roles=("collected_at", "amount"),
        timestamp_role="collected_at", value="abs({amount})", computed_labels=(DIRECTION,)),
    # -- users ------------------------------------------------------------------------------
    MetricSpec(
        "user_registrations_total", "counter", "User registrations, by source and user type.",
        shape="events", labels=("source", "user_type"), roles=("created_at",),
        timestamp_role="created_at"),
    MetricSpec(
        "user_active_total", "gauge", "Users active within the last day, week or month.",
        shape="active_users", roles=("last_active_at",),
        ledger_roles=("log_user_id", "log_previous_active_at", "log_last_active_at", "log_occurred_at"),
        second_table="log_table"),
    MetricSpec(
        "user_verification_status", "gauge", "Users by KYC verification status.",
        shape="transitions", labels=("kyc_status",), roles=("occurred_at", "previous_status"),
        timestamp_role="occurred_at"),
    # -- fraud ------------------------------------------------------------------------------
    MetricSpec(
        "fraud_alerts_total", "counter", "Fraud alerts raised, by risk level and model version.",
        shape="events", labels=("risk_level", "model_version"), roles=("created_at",),
        timestamp_role="created_at"),
    MetricSpec(
        "fraud_detection_accuracy", "gauge",
        "Share of reviewed fraud alerts confirmed as fraud (0-1), within the review window.",
        shape="ratio", labels=("model_version",), roles=("reviewed_at", "outcome")),
    MetricSpec(
        "false_positive_rate", "gauge",
        "Share of reviewed fraud alerts found to be false positives (0-1), within the review window.",
        shape="ratio", labels=("detection_type",), roles=("reviewed_at", "outcome")),
]}

# user_active_total{timeframe}: fixed by the contract.
ACTIVE_TIMEFRAMES = {"day": "1 day", "week": "7 days", "month": "30 days"}

# Label value that stands for anything outside a label's allowlist (and for NULL).
OTHER = "other"


# The exporter's own health series (exporter/health.py) all start with this.
HEALTH_PREFIX = "business_exporter_"


def exposed_names() -> tuple[str, ...]:
    """Every series name the catalog's metrics are exposed under: counters end in `_total` once,
    histograms are `_bucket`, `_sum` and `_count`. Prometheus drops these names from every job but
    the exporter's, so no other target can speak for the business (render/business_metrics.py)."""
    names: list[str] = []
    for spec in CATALOG.values():
        if spec.type == "counter":
            names.append(spec.name if spec.name.endswith("_total") else f"{spec.name}_total")
        elif spec.type == "histogram":
            names += [f"{spec.name}_bucket", f"{spec.name}_sum", f"{spec.name}_count"]
        else:
            names.append(spec.name)
    return tuple(names)
