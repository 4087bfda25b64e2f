"""Executive dashboards: Financial Overview, SLA Compliance, Security Overview."""

from __future__ import annotations

from grafana_foundation_sdk.builders import timeseries
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models import units

from model.settings import Settings
from model.slo import SloSpec
from render.dashboards import alerts, probe_panels, service_panels
from render.dashboards.layout import Board
from render.dashboards.panels import (
    Query, RATE, bar_gauge_panel, firing_alerts_table, lower_limit, rate, stacked_panel, stat_panel, sum_by,
    trend_panel, upper_limit,
)
from render.dashboards.money import ACTIVE_TIMEFRAMES_NOTE, fees, revenue
from render.dashboards.targets import FRAUD_MODEL_ACCURACY_MIN, TRANSACTION_FAILURE_RATIO_MAX, service_slas
from render.dashboards.variables import (
    BY_CURRENCY,
    BY_SERVICE,
    FINISHED_PAYMENTS,
    currency_variable,
    eq,
    select,
    service_variable,
)

FOLDER = "executive"


def financial_overview(settings: Settings, slo: SloSpec) -> model.Dashboard:
    board = Board(
        settings,
        name="financial-overview",
        title="Financial Overview",
        description="Transaction volume, revenue and user growth, per currency.",
        folder=FOLDER,
        variables=[currency_variable()],
        time_from="now-24h",
    )
    _transactions_row(board, settings)
    _revenue_row(board)
    _users_row(board)
    return board.build()


def _transactions_row(board: Board, settings: Settings) -> None:
    completed = select("payment_transactions_total", eq("status", "completed"), BY_CURRENCY)
    failed = select("payment_transactions_total", eq("status", "failed"), BY_CURRENCY)
    finished = select("payment_transactions_total", FINISHED_PAYMENTS, BY_CURRENCY)
    amount = select("payment_transaction_amount_sum", BY_CURRENCY)
    board.row("Transactions").add(
        stat_panel(
            "Completed transactions (24h)",
            "Payment transactions completed in the last 24 hours.",
            units.Short,
            Query(f"sum(increase({completed}[24h]))"),
            sparkline=False,
        ),
        stat_panel(
            "Transaction failure rate (1h)",
            "Share of payment transactions that failed in the last hour; the alert fires above 5%.",
            units.PercentUnit,
            Query(f"sum(rate({failed}[1h])) / sum(rate({finished}[1h]))"),
            thresholds=upper_limit(TRANSACTION_FAILURE_RATIO_MAX),
            links=[alerts.runbook_link(settings, alerts.PAYMENT_FAILURE_RATE_HIGH)],
            decimals=2,
        ),
        stat_panel(
            "Transaction value (24h)",
            "Value of payment transactions in the last 24 hours, in each currency.",
            units.Short,
            Query(f"sum by (currency) (increase({amount}[24h]))", "{{currency}}"),
            sparkline=False,
        ),
        stat_panel(
            "Revenue (24h)",
            "Revenue booked in the last 24 hours, in each currency.",
            units.Short,
            sum_by("currency", revenue("increase", "24h")),
            sparkline=False,
        ),
        trend_panel(
            "Transaction volume by currency",
            "Completed payment transactions per minute, per currency.",
            units.OpsPerMinute,
            sum_by("currency", rate(completed), 60),
            w=8,
        ),
        trend_panel(
            "Transaction value by currency",
            "Value of payment transactions per minute, in each currency.",
            units.Short,
            sum_by("currency", rate(amount), 60),
            w=8,
        ),
        _payment_methods_panel(),
    )


def _payment_methods_panel() -> timeseries.Panel:
    transactions = select("payment_transactions_total", BY_CURRENCY)
    return stacked_panel(
        "Transactions by payment method",
        "Payment transactions per minute by payment method, all statuses.",
        units.OpsPerMinute,
        sum_by("payment_method", rate(transactions), 60),
        w=8,
    )


def _revenue_row(board: Board) -> None:
    board.row("Revenue").add(
        stacked_panel(
            "Revenue per hour by source",
            "Revenue per hour by source and currency.",
            units.Short,
            sum_by("source, currency", revenue("rate", RATE), 3600),
        ),
        stacked_panel(
            "Fees collected per hour by type",
            "Fees collected per hour by fee type and currency.",
            units.Short,
            sum_by("fee_type, currency", fees("rate", RATE), 3600),
        ),
    )


def _users_row(board: Board) -> None:
    registrations = select("user_registrations_total")
    board.row("Users").add(
        stat_panel(
            "New registrations (24h)",
            "User registrations in the last 24 hours.",
            units.Short,
            Query(f"sum(increase({registrations}[24h]))"),
            sparkline=False,
        ),
        stat_panel(
            "Active users",
            f"Distinct active users; {ACTIVE_TIMEFRAMES_NOTE}.",
            units.Short,
            Query(f'max by (timeframe) ({select("user_active_total")})', "{{timeframe}}"),
            sparkline=False,
            w=18,
        ),
        stacked_panel(
            "Registrations per hour by user type",
            "New user registrations per hour by user type.",
            units.Short,
            sum_by("user_type", rate(registrations), 3600),
            w=24,
        ),
    )


def sla_compliance(settings: Settings, slo: SloSpec) -> model.Dashboard:
    board = Board(
        settings,
        name="sla-compliance",
        title="SLA Compliance",
        description="Availability, error rate and P95 latency of the payment and wallet services against their SLAs, "
        "the error budget left over 30 days, and the public endpoints as probed from outside.",
        folder=FOLDER,
        alert_matchers=['service=~"payment|wallet"'],
        time_from="now-30d",
    )
    for sla in service_slas(slo):
        board.row(
            f"{sla.title} service: availability ≥ {sla.availability * 100:g}%, errors ≤ {sla.max_error_rate * 100:g}%, "
            f"P95 < {sla.p95_latency_seconds * 1000:g}ms"
        ).add(
            service_panels.availability_stat(settings, sla),
            service_panels.latency_compliance_stat(settings, sla),
            service_panels.error_rate_stat(sla),
            service_panels.p95_stat(sla),
            service_panels.instances_up_stat(settings, sla),
            service_panels.error_budget_gauge(settings, sla, h=4),
            service_panels.availability_timeseries(sla),
            service_panels.burn_rate_timeseries(settings, sla),
            service_panels.error_rate_timeseries(sla, w=12),
            service_panels.latency_timeseries(sla, w=12),
        )
    if settings.blackbox.enabled:
        board.row("Public endpoints, probed from outside").add(
            probe_panels.endpoint_up_stat(settings),
            probe_panels.probe_duration_timeseries(),
            probe_panels.certificate_days_bar_gauge(settings),
        )
    return board.build()


def security_overview(settings: Settings, slo: SloSpec) -> model.Dashboard:
    board = Board(
        settings,
        name="security-overview",
        title="Security Overview",
        description="Fraud detection, compliance status and authentication failures.",
        folder=FOLDER,
        variables=[service_variable()],
        alert_matchers=['team=~"security|compliance|fraud"'],
        time_from="now-24h",
    )
    _fraud_row(board)
    _compliance_row(board, settings)
    _authentication_row(board)
    return board.build()


def _fraud_row(board: Board) -> None:
    fraud_alerts = select("fraud_alerts_total")
    board.row("Fraud detection").add(
        stat_panel(
            "Fraud alerts by risk level (24h)",
            "Fraud alerts raised in the last 24 hours, per risk level.",
            units.Short,
            Query(f"sum by (risk_level) (increase({fraud_alerts}[24h]))", "{{risk_level}}"),
            sparkline=False,
            w=12,
        ),
        stat_panel(
            "Lowest fraud model accuracy",
            "Accuracy of the weakest fraud model version in service.",
            units.PercentUnit,
            Query(f'min({select("fraud_detection_accuracy")})'),
            thresholds=lower_limit(FRAUD_MODEL_ACCURACY_MIN),
            decimals=1,
        ),
        stat_panel(
            "Fraud alerts per transaction (1h)",
            "Fraud alerts raised per payment transaction over the last hour.",
            units.PercentUnit,
            Query(
                f"sum(increase({fraud_alerts}[1h])) / sum(increase({select('payment_transactions_total')}[1h]))"
            ),
            decimals=2,
        ),
        stacked_panel(
            "Fraud alerts per hour by risk level",
            "Fraud alerts raised per hour, stacked by risk level.",
            units.Short,
            sum_by("risk_level", rate(fraud_alerts), 3600),
            w=24,
        ),
    )


def _compliance_row(board: Board, settings: Settings) -> None:
    board.row("Compliance").add(
        stat_panel(
            "Compliance violations firing",
            "Alerts routed to the compliance team that are firing now.",
            units.NoUnit,
            Query(f'count({select("ALERTS", eq("alertstate", "firing"), eq("team", "compliance"))}) or vector(0)'),
            thresholds=upper_limit(1),
            sparkline=False,
        ),
        stat_panel(
            "Security incidents firing",
            "Alerts routed to the security team that are firing now.",
            units.NoUnit,
            Query(f'count({select("ALERTS", eq("alertstate", "firing"), eq("team", "security"))}) or vector(0)'),
            thresholds=upper_limit(1),
            sparkline=False,
        ),
        bar_gauge_panel(
            "Users by KYC status",
            "Users per KYC verification status (pending, verified, rejected, …).",
            units.Short,
            sum_by("kyc_status", select("user_verification_status")),
            min_value=0,
            h=4,
        ),
        firing_alerts_table(alerts.runbook_data_link(settings), 'team=~"security|compliance|fraud"'),
    )


def _authentication_row(board: Board) -> None:
    requests = select("http_server_requests_seconds_count", BY_SERVICE)
    auth_failures = select("http_server_requests_seconds_count", BY_SERVICE, 'status=~"401|403"')
    board.row("Authentication").add(
        trend_panel(
            "Authentication failures by service",
            "Requests answered 401 or 403 per second, per service.",
            units.RequestsPerSecond,
            sum_by("service", rate(auth_failures)),
        ),
        trend_panel(
            "Authentication failure ratio by service",
            "Share of requests answered 401 or 403, per service; a rise hints at credential stuffing.",
            units.PercentUnit,
            Query(
                f"sum by (service) (rate({auth_failures}[{RATE}])) / sum by (service) (rate({requests}[{RATE}]))",
                "{{service}}",
            ),
        ),
    )


DASHBOARDS = (financial_overview, sla_compliance, security_overview)
