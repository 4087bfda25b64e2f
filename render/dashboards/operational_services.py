"""Operational dashboards of the services with an SLA: Payment Service, Wallet Service."""

from __future__ import annotations

from typing import Callable

from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import units

from model.settings import Settings
from model.slo import SloSpec
from render.dashboards import alerts
from render.dashboards.layout import Board
from render.dashboards.operational_common import service_dashboard
from render.dashboards.panels import (
    Query, RATE, rate, stacked_panel, stat_panel, sum_by, timeseries_panel, trend_panel, upper_limit,
)
from render.dashboards.targets import TRANSACTION_FAILURE_RATIO_MAX, ServiceSLA, service_sla
from render.dashboards.variables import BY_CURRENCY, FINISHED_PAYMENTS, eq, select


# --- Payment Service --------------------------------------------------------------------------


def _payment_rows(settings: Settings, sla: ServiceSLA) -> Callable[[Board], None]:
    transactions = select("payment_transactions_total", BY_CURRENCY)
    finished = select("payment_transactions_total", FINISHED_PAYMENTS, BY_CURRENCY)
    failed = select("payment_transactions_total", eq("status", "failed"), BY_CURRENCY)
    processing = select("payment_processing_time_seconds_bucket")

    def add(board: Board) -> None:
        board.row("Transactions").add(
            stacked_panel(
                "Transactions by status",
                "Payment transactions per minute by status (completed, failed, pending, refunded).",
                units.OpsPerMinute,
                sum_by("status", rate(transactions), 60),
            ),
            trend_panel(
                "Transaction failure rate",
                "Share of payment transactions that fail, per currency; the alert fires above 5% for 2 minutes.",
                units.PercentUnit,
                Query(
                    f"sum by (currency) (rate({failed}[{RATE}])) / sum by (currency) (rate({finished}[{RATE}]))",
                    "{{currency}}",
                ),
                thresholds=upper_limit(TRANSACTION_FAILURE_RATIO_MAX),
                links=[alerts.runbook_link(settings, alerts.PAYMENT_FAILURE_RATE_HIGH)],
            ),
            trend_panel(
                "Processing time P50 / P95 / P99",
                f"End-to-end payment processing time percentiles; the dashed line is the {sla.p95_latency_seconds * 1000:g}ms P95 target.",
                units.Seconds,
                *(
                    Query(
                        f"histogram_quantile({quantile}, sum by (le) (rate({processing}[{RATE}])))",
                        f"P{round(quantile * 100)}",
                    )
                    for quantile in (0.5, 0.95, 0.99)
                ),
                thresholds=upper_limit(sla.p95_latency_seconds),
            ),
            stacked_panel(
                "Transactions by payment method",
                "Payment transactions per minute by payment method.",
                units.OpsPerMinute,
                sum_by("payment_method", rate(transactions), 60),
            ),
        )

    return add


def payment_service(settings: Settings, slo: SloSpec) -> model.Dashboard:
    sla = service_sla(slo, "payment")
    return service_dashboard(
        settings,
        sla,
        "Request rate, latency percentiles, errors and saturation of the payment service, and the transactions it processes.",
        _payment_rows(settings, sla),
    )


# --- Wallet Service ---------------------------------------------------------------------------


def _wallet_rows(settings: Settings) -> Callable[[Board], None]:
    operations = select("wallet_operations_total")
    changes = select("wallet_balance_changes_total", BY_CURRENCY)
    balances = select("wallet_balance_total", BY_CURRENCY)
    reconciliation = select("wallet_balance_reconciliation_failures")

    def add(board: Board) -> None:
        board.row("Balances").add(
            stat_panel(
                "Reconciliation failures",
                "Wallets whose balance does not reconcile with the ledger; any is critical and freezes the wallets.",
                units.NoUnit,
                Query(f"max({reconciliation})"),
                thresholds=upper_limit(1),
                links=[alerts.runbook_link(settings, alerts.WALLET_BALANCE_INCONSISTENCY)],
                w=6,
                h=8,
            ),
            trend_panel(
                "Reconciliation failures over time",
                "Wallet balance reconciliation failures; the alert fires when above 0 for 1 minute.",
                units.NoUnit,
                Query(f"max({reconciliation})", "failures"),
                thresholds=upper_limit(1),
                links=[alerts.runbook_link(settings, alerts.WALLET_BALANCE_INCONSISTENCY)],
                w=18,
            ),
            stacked_panel(
                "Balance operations by type",
                "Wallet operations per second by operation type.",
                units.OpsPerSecond,
                sum_by("operation_type", rate(operations)),
            ),
            trend_panel(
                "Balance changes by currency and type",
                "Balance changes per second by currency and change type (credit, debit, …).",
                units.OpsPerSecond,
                sum_by("currency, change_type", rate(changes)),
            ),
            timeseries_panel(
                "Total wallet balance by currency",
                "Sum of all wallet balances, in each currency.",
                units.Short,
                sum_by("currency", balances),
            ),
            timeseries_panel(
                "Total wallet balance by user type",
                "Sum of all wallet balances by user type and currency.",
                units.Short,
                sum_by("user_type, currency", balances),
            ),
        )

    return add


def wallet_service(settings: Settings, slo: SloSpec) -> model.Dashboard:
    return service_dashboard(
        settings,
        service_sla(slo, "wallet"),
        "Request rate, latency percentiles, errors and saturation of the wallet service, balance operations and reconciliation.",
        _wallet_rows(settings),
    )

